//! Collator mode (`--features collator`): Offload as a parachain of a relay chain, with an
//! embedded relay-chain node (or `--relay-chain-rpc-url`) and Aura's lookahead collator.
//!
//! Usage: `offload-node --chain local --collator --alice -- --chain rococo-local.json`; the
//! arguments after `--` configure the relay-chain node.

use crate::{chain_spec, rpc, service};
use cumulus_client_cli::CollatorOptions;
use cumulus_client_collator::service::CollatorService;
use cumulus_client_consensus_common::ParachainBlockImport as CumulusBlockImport;
use cumulus_client_service::{
	build_network, build_relay_chain_interface, prepare_node_config, start_relay_chain_tasks,
	BuildNetworkParams, DARecoveryProfile, StartRelayChainTasksParams,
};
use cumulus_primitives_core::{relay_chain::CollatorPair, ParaId};
use cumulus_relay_chain_interface::{OverseerHandle, RelayChainInterface};
use offload_runtime::{opaque::Block, Hash};
use sc_cli::{
	ChainSpec, CliConfiguration, DefaultConfigurationValues, ImportParams, KeystoreParams,
	NetworkParams, SharedParams, SubstrateCli,
};
use sc_network::{service::traits::NetworkBlock as _, NetworkBackend};
use sc_service::{Configuration, TaskManager};
use sp_keystore::KeystorePtr;
use std::{path::PathBuf, sync::Arc, time::Duration};

/// The parachain's block import: cumulus's, which tracks the relay chain's view of the chain.
type BlockImport = CumulusBlockImport<Block, Arc<service::FullClient>, service::FullBackend>;

/// Relay chain slot duration.
const RELAY_CHAIN_SLOT_DURATION: Duration = Duration::from_secs(6);

/// The embedded relay-chain node's command line (the arguments after `--`).
#[derive(Debug)]
pub struct RelayChainCli {
	/// The relay-chain node's run options.
	base: polkadot_cli::RunCmd,
	/// The relay chain named by the parachain's chain spec.
	chain_id: Option<String>,
	/// Where the relay chain's data goes: `<parachain base path>/polkadot`.
	base_path: Option<PathBuf>,
}

impl RelayChainCli {
	fn new<'a>(
		para_config: &Configuration,
		relay_chain_args: impl Iterator<Item = &'a String>,
	) -> Self {
		let chain_id = chain_spec::Extensions::try_get(&*para_config.chain_spec)
			.map(|extensions| extensions.relay_chain.clone());
		let base_path = para_config.base_path.path().join("polkadot");
		Self {
			base: clap::Parser::parse_from(relay_chain_args),
			chain_id,
			base_path: Some(base_path),
		}
	}
}

impl SubstrateCli for RelayChainCli {
	fn impl_name() -> String {
		"Offload Node (relay chain)".into()
	}

	fn impl_version() -> String {
		crate::cli::Cli::impl_version()
	}

	fn description() -> String {
		"The relay-chain node embedded in an Offload collator.".into()
	}

	fn author() -> String {
		crate::cli::Cli::author()
	}

	fn support_url() -> String {
		crate::cli::Cli::support_url()
	}

	fn copyright_start_year() -> i32 {
		crate::cli::Cli::copyright_start_year()
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn ChainSpec>, String> {
		<polkadot_cli::Cli as SubstrateCli>::from_iter([Self::executable_name()]).load_spec(id)
	}
}

impl DefaultConfigurationValues for RelayChainCli {
	fn p2p_listen_port() -> u16 {
		30334
	}

	fn rpc_listen_port() -> u16 {
		9945
	}

	fn prometheus_listen_port() -> u16 {
		9616
	}
}

impl CliConfiguration<Self> for RelayChainCli {
	fn shared_params(&self) -> &SharedParams {
		self.base.base.shared_params()
	}

	fn import_params(&self) -> Option<&ImportParams> {
		self.base.base.import_params()
	}

	fn network_params(&self) -> Option<&NetworkParams> {
		self.base.base.network_params()
	}

	fn keystore_params(&self) -> Option<&KeystoreParams> {
		self.base.base.keystore_params()
	}

	fn base_path(&self) -> sc_cli::Result<Option<sc_service::BasePath>> {
		Ok(self.shared_params().base_path()?.or_else(|| self.base_path.clone().map(Into::into)))
	}

	fn rpc_addr(
		&self,
		default_listen_port: u16,
	) -> sc_cli::Result<Option<Vec<sc_cli::RpcEndpoint>>> {
		self.base.base.rpc_addr(default_listen_port)
	}

	fn prometheus_config(
		&self,
		default_listen_port: u16,
		chain_spec: &Box<dyn ChainSpec>,
	) -> sc_cli::Result<Option<sc_service::config::PrometheusConfig>> {
		self.base.base.prometheus_config(default_listen_port, chain_spec)
	}

	fn init<F>(
		&self,
		_support_url: &String,
		_impl_version: &String,
		_logger_hook: F,
	) -> sc_cli::Result<()>
	where
		F: FnOnce(&mut sc_cli::LoggerBuilder),
	{
		// The parachain's command line already set up logging for the whole process.
		Ok(())
	}

	fn chain_id(&self, is_dev: bool) -> sc_cli::Result<String> {
		let chain_id = self.base.base.chain_id(is_dev)?;
		Ok(if chain_id.is_empty() { self.chain_id.clone().unwrap_or_default() } else { chain_id })
	}

	fn role(&self, is_dev: bool) -> sc_cli::Result<sc_service::Role> {
		self.base.base.role(is_dev)
	}

	fn transaction_pool(
		&self,
		is_dev: bool,
	) -> sc_cli::Result<sc_service::config::TransactionPoolOptions> {
		self.base.base.transaction_pool(is_dev)
	}

	fn rpc_methods(&self) -> sc_cli::Result<sc_service::config::RpcMethods> {
		self.base.base.rpc_methods()
	}

	fn rpc_cors(&self, is_dev: bool) -> sc_cli::Result<Option<Vec<String>>> {
		self.base.base.rpc_cors(is_dev)
	}

	fn node_name(&self) -> sc_cli::Result<String> {
		self.base.base.node_name()
	}
}

/// Runs the collator; `relay_chain_args` are the arguments after `--`.
pub fn run(
	runner: sc_cli::Runner<crate::cli::Cli>,
	collator_options: CollatorOptions,
	relay_chain_args: Vec<String>,
) -> sc_cli::Result<()> {
	runner.run_node_until_exit(|config| async move {
		let para_id = chain_spec::Extensions::try_get(&*config.chain_spec)
			.map(|extensions| extensions.para_id)
			.ok_or("the chain spec has no `para_id` extension")?;
		let relay_cli = RelayChainCli::new(
			&config,
			[RelayChainCli::executable_name()].iter().chain(relay_chain_args.iter()),
		);
		let relay_config =
			SubstrateCli::create_configuration(&relay_cli, &relay_cli, config.tokio_handle.clone())
				.map_err(|error| format!("relay chain configuration: {error}"))?;
		log::info!("Offload collator for parachain {para_id}");
		start(config, relay_config, collator_options, para_id.into())
			.await
			.map_err(sc_cli::Error::Service)
	})
}

/// Starts the parachain node against a relay chain, and the Aura collator if it is an authority.
async fn start(
	parachain_config: Configuration,
	relay_config: Configuration,
	collator_options: CollatorOptions,
	para_id: ParaId,
) -> sc_service::error::Result<TaskManager> {
	let parachain_config = prepare_node_config(parachain_config);
	let partial = service::new_parts(&parachain_config)?;
	let client = partial.client.clone();
	let backend = partial.backend.clone();
	let mut task_manager = partial.task_manager;
	let mut telemetry = partial.other;
	let block_import = BlockImport::new(client.clone(), backend.clone());

	// A collator's import queue checks Aura seals (the dev chain's manual-seal one does not).
	let import_queue =
		cumulus_client_consensus_aura::equivocation_import_queue::fully_verifying_import_queue::<
			sp_consensus_aura::sr25519::AuthorityPair,
			_,
			_,
			_,
			_,
		>(
			client.clone(),
			block_import.clone(),
			move |_, ()| async move { Ok(sp_timestamp::InherentDataProvider::from_system_time()) },
			&task_manager.spawn_essential_handle(),
			parachain_config.prometheus_registry(),
			telemetry.as_ref().map(|telemetry| telemetry.handle()),
		);

	let (relay_chain_interface, collator_key, _relay_network, _paranode_requests) =
		build_relay_chain_interface(
			relay_config,
			&parachain_config,
			None,
			&mut task_manager,
			collator_options,
			None,
		)
		.await
		.map_err(|error| sc_service::Error::Application(Box::new(error)))?;

	let is_authority = parachain_config.role.is_authority();
	let prometheus_registry = parachain_config.prometheus_registry().cloned();
	let transaction_pool = partial.transaction_pool.clone();
	let import_queue_service = sc_consensus::ImportQueue::service(&import_queue);
	type Network = sc_network::NetworkWorker<Block, Hash>;
	let net_config = sc_network::config::FullNetworkConfiguration::<Block, Hash, Network>::new(
		&parachain_config.network,
		prometheus_registry.clone(),
	);
	let metrics = Network::register_notification_metrics(prometheus_registry.as_ref());

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		build_network(BuildNetworkParams {
			parachain_config: &parachain_config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			para_id,
			relay_chain_interface: relay_chain_interface.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			metrics,
			gap_sync_body_policy: None,
		})
		.await?;

	let rpc_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		Box::new(move |_| {
			rpc::create_full(rpc::FullDeps { client: client.clone(), pool: pool.clone() })
				.map_err(Into::into)
		})
	};
	let collator_peer_id = network.local_peer_id();
	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		rpc_builder,
		client: client.clone(),
		transaction_pool: transaction_pool.clone(),
		task_manager: &mut task_manager,
		config: parachain_config,
		keystore: partial.keystore_container.keystore(),
		backend: backend.clone(),
		network,
		sync_service: sync_service.clone(),
		system_rpc_tx,
		tx_handler_controller,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	let announce_block = {
		let sync_service = sync_service.clone();
		Arc::new(move |hash, data| sync_service.announce_block(hash, data))
	};
	let overseer_handle = relay_chain_interface
		.overseer_handle()
		.map_err(|error| sc_service::Error::Application(Box::new(error)))?;

	start_relay_chain_tasks(StartRelayChainTasksParams {
		client: client.clone(),
		announce_block: announce_block.clone(),
		para_id,
		relay_chain_interface: relay_chain_interface.clone(),
		task_manager: &mut task_manager,
		da_recovery_profile: if is_authority {
			DARecoveryProfile::Collator
		} else {
			DARecoveryProfile::FullNode
		},
		import_queue: import_queue_service,
		relay_chain_slot_duration: RELAY_CHAIN_SLOT_DURATION,
		recovery_handle: Box::new(overseer_handle.clone()),
		sync_service,
		prometheus_registry: prometheus_registry.as_ref(),
	})?;

	if is_authority {
		let collator_key = collator_key
			.ok_or("an authority collator needs a collator key from the relay chain node")?;
		start_collator(CollatorParts {
			client,
			backend,
			block_import,
			prometheus_registry,
			telemetry: telemetry.as_ref().map(|telemetry| telemetry.handle()),
			task_manager: &task_manager,
			relay_chain_interface,
			transaction_pool,
			keystore: partial.keystore_container.keystore(),
			para_id,
			collator_key,
			collator_peer_id,
			overseer_handle,
			announce_block,
		});
	}

	Ok(task_manager)
}

/// What the Aura collator needs.
struct CollatorParts<'a> {
	client: Arc<service::FullClient>,
	backend: Arc<service::FullBackend>,
	block_import: BlockImport,
	prometheus_registry: Option<substrate_prometheus_endpoint::Registry>,
	telemetry: Option<sc_telemetry::TelemetryHandle>,
	task_manager: &'a TaskManager,
	relay_chain_interface: Arc<dyn RelayChainInterface>,
	transaction_pool: Arc<service::TransactionPool>,
	keystore: KeystorePtr,
	para_id: ParaId,
	collator_key: CollatorPair,
	collator_peer_id: sc_network::PeerId,
	overseer_handle: OverseerHandle,
	announce_block: Arc<dyn Fn(Hash, Option<Vec<u8>>) + Send + Sync>,
}

/// Starts Aura's lookahead collator (asynchronous backing).
fn start_collator(parts: CollatorParts<'_>) {
	use cumulus_client_consensus_aura::collators::lookahead::{self as aura, Params};

	let proposer = sc_basic_authorship::ProposerFactory::new(
		parts.task_manager.spawn_handle(),
		parts.client.clone(),
		parts.transaction_pool,
		parts.prometheus_registry.as_ref(),
		parts.telemetry,
	);
	let collator_service =
		CollatorService::new(parts.client.clone(), parts.announce_block, parts.client.clone());
	let code_hash_client = parts.client.clone();
	let params = Params {
		create_inherent_data_providers: move |_, ()| async move { Ok(()) },
		block_import: parts.block_import,
		para_client: parts.client,
		para_backend: parts.backend,
		relay_client: parts.relay_chain_interface,
		code_hash_provider: move |block_hash| {
			code_hash_client
				.code_at(block_hash)
				.ok()
				.map(|code| cumulus_primitives_core::relay_chain::ValidationCode(code).hash())
		},
		keystore: parts.keystore,
		collator_key: parts.collator_key,
		collator_peer_id: parts.collator_peer_id,
		para_id: parts.para_id,
		overseer_handle: parts.overseer_handle,
		relay_chain_slot_duration: RELAY_CHAIN_SLOT_DURATION,
		proposer,
		collator_service,
		authoring_duration: Duration::from_millis(2000),
		reinitialize: false,
		max_pov_percentage: None,
	};
	let collator =
		aura::run::<Block, sp_consensus_aura::sr25519::AuthorityPair, _, _, _, _, _, _, _, _>(
			params,
		);
	parts.task_manager.spawn_essential_handle().spawn("aura", None, collator);
}
