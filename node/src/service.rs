//! The node's services. [`new_parts`] builds what every mode shares (client, database,
//! transaction pool), [`new_partial`] adds the dev chain's import queue; [`start_dev`] runs the
//! standalone dev chain.
//!
//! ## The standalone dev chain
//!
//! Offload's runtime is a parachain runtime: each block must carry the relay chain's validation
//! data, an Aura pre-runtime digest, and a timestamp in the Aura slot. With no relay chain, the
//! dev chain supplies all three itself, consistently:
//! - a block is sealed every `--dev-block-time` ms and finalized at once (clients that follow
//!   finalized blocks, such as the worker, see every block);
//! - its Aura slot is `max(parent slot + 1, wall-clock slot)`, its timestamp the start of that
//!   slot, and the digest carries that slot;
//! - the mocked relay chain's slot equals the parachain's slot (both chains use 6 s slots), which
//!   is what the runtime's consensus hook checks.
//!
//! When blocks come faster than one a slot, the chain's clock runs ahead of the wall clock; after
//! a pause it catches up. Deadlines in Offload count blocks, not seconds, so nothing depends on it.

use crate::rpc;
use codec::{Decode, Encode};
use cumulus_client_parachain_inherent::{MockValidationDataInherentDataProvider, MockXcmConfig};
use cumulus_primitives_core::{relay_chain::well_known_keys, ParaId};
use offload_runtime::{apis::RuntimeApi, opaque::Block, Hash, SLOT_DURATION};
use sc_client_api::StorageProvider;
use sc_consensus_manual_seal::{
	consensus::aura::AuraConsensusDataProvider, EngineCommand, ManualSealParams,
};
use sc_executor::WasmExecutor;
use sc_service::{error::Error as ServiceError, Configuration, PartialComponents, TaskManager};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sp_consensus_aura::{Slot, SlotDuration};
use sp_runtime::traits::{BlakeTwo256, Hash as _, Header as _};
use std::{sync::Arc, time::Duration};

/// Host functions of a parachain runtime: Substrate's, plus the proof-size function that weight
/// reclaim calls.
pub type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	cumulus_primitives_proof_size_hostfunction::storage_proof_size::HostFunctions,
);

/// The client: database, executor and runtime.
pub type FullClient = sc_service::TFullClient<Block, RuntimeApi, WasmExecutor<HostFunctions>>;
/// The on-disk backend.
pub type FullBackend = sc_service::TFullBackend<Block>;
/// The transaction pool.
pub type TransactionPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;

/// What every mode of the node shares.
pub type Partial = PartialComponents<
	FullClient,
	FullBackend,
	sc_consensus::LongestChain<FullBackend, Block>,
	sc_consensus::DefaultImportQueue<Block>,
	TransactionPool,
	Option<Telemetry>,
>;

/// What every mode of the node shares, before an import queue: a collator verifies Aura seals
/// with its own queue.
pub type Parts = PartialComponents<
	FullClient,
	FullBackend,
	sc_consensus::LongestChain<FullBackend, Block>,
	(),
	TransactionPool,
	Option<Telemetry>,
>;

/// Builds the client, database, transaction pool and (manual seal) import queue.
pub fn new_partial(config: &Configuration) -> Result<Partial, ServiceError> {
	let parts = new_parts(config)?;
	let import_queue = sc_consensus_manual_seal::import_queue(
		Box::new(parts.client.clone()),
		&parts.task_manager.spawn_essential_handle(),
		config.prometheus_registry(),
	);
	Ok(PartialComponents {
		client: parts.client,
		backend: parts.backend,
		task_manager: parts.task_manager,
		import_queue,
		keystore_container: parts.keystore_container,
		select_chain: parts.select_chain,
		transaction_pool: parts.transaction_pool,
		other: parts.other,
	})
}

/// Builds the client, database and transaction pool, and no import queue: an import queue's
/// worker is an essential task, so one built and not used would stop the node.
pub fn new_parts(config: &Configuration) -> Result<Parts, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|endpoints| !endpoints.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	// Blocks are imported with a proof recorder, as they are built: the runtime's storage
	// weight reclaim reads the proof size, so a block another collator built with a signed
	// transaction in it would otherwise compute another storage root here and not import.
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts_record_import::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			true,
			Vec::new(),
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	Ok(PartialComponents {
		client,
		backend,
		task_manager,
		import_queue: (),
		keystore_container,
		select_chain,
		transaction_pool,
		other: telemetry,
	})
}

/// The storage key of `Timestamp::Now`.
fn timestamp_now_key() -> sp_core::storage::StorageKey {
	sp_core::storage::StorageKey(
		[sp_io::hashing::twox_128(b"Timestamp"), sp_io::hashing::twox_128(b"Now")].concat(),
	)
}

/// The slot of the block after `parent`: one past the parent's, or the wall clock's if that is
/// later. See the module docs.
fn next_slot(client: &FullClient, parent: Hash, slot_duration: SlotDuration) -> Slot {
	let parent_now: u64 = client
		.storage(parent, &timestamp_now_key())
		.ok()
		.flatten()
		.and_then(|data| u64::decode(&mut &data.0[..]).ok())
		.unwrap_or(0);
	let parent_slot = parent_now / slot_duration.as_millis();
	let wall_clock_slot = Slot::from_timestamp(sp_timestamp::Timestamp::current(), slot_duration);
	Slot::from(parent_slot.saturating_add(1).max(*wall_clock_slot))
}

/// Runs the standalone dev chain: manual seal every `block_time` ms, each block finalized.
pub fn start_dev(
	mut config: Configuration,
	para_id: ParaId,
	block_time: Duration,
) -> Result<TaskManager, ServiceError> {
	let PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: mut telemetry,
	} = new_partial(&config)?;

	// A dev chain talks to nobody.
	config.network.default_peers_set.in_peers = 0;
	config.network.default_peers_set.out_peers = 0;
	type Network = sc_network::NetworkWorker<Block, Hash>;
	let net_config = sc_network::config::FullNetworkConfiguration::<Block, Hash, Network>::new(
		&config.network,
		config.prometheus_registry().cloned(),
	);
	let metrics =
		<Network as sc_network::NetworkBackend<Block, Hash>>::register_notification_metrics(
			config.prometheus_registry(),
		);

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: None,
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	let proposer = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool.clone(),
		config.prometheus_registry(),
		telemetry.as_ref().map(|telemetry| telemetry.handle()),
	);

	// The seal clock: one `SealNewBlock { finalize: true }` per interval. Instant seal would not
	// finalize, and clients following finalized blocks would wait forever.
	let (seal_sink, seal_stream) = futures::channel::mpsc::channel(16);
	task_manager.spawn_essential_handle().spawn("offload-dev-seal-clock", None, {
		let mut seal_sink = seal_sink.clone();
		async move {
			loop {
				tokio::time::sleep(block_time).await;
				// A full channel means the previous block is still being built: skip a tick.
				if let Err(error) = seal_sink.try_send(EngineCommand::SealNewBlock {
					create_empty: true,
					finalize: true,
					parent_hash: None,
					sender: None,
				}) {
					if error.is_disconnected() {
						break;
					}
				}
			}
		}
	});

	let slot_duration = SlotDuration::from_millis(SLOT_DURATION);
	let client_for_inherents = client.clone();
	let params = ManualSealParams {
		block_import: client.clone(),
		env: proposer,
		client: client.clone(),
		pool: transaction_pool.clone(),
		select_chain,
		commands_stream: Box::pin(seal_stream),
		consensus_data_provider: Some(Box::new(
			AuraConsensusDataProvider::<Block>::new_with_slot_duration(slot_duration),
		)),
		create_inherent_data_providers: move |parent: Hash, ()| {
			let client = client_for_inherents.clone();
			async move {
				let parent_header = client
					.header(parent)?
					.ok_or_else(|| format!("parent block {parent:?} is not in the database"))?;
				let parent_number: u32 = *parent_header.number();
				let slot = next_slot(&client, parent, slot_duration);
				// The relay chain's slot must equal ours: relay block = relay slot here.
				let relay_block = u32::try_from(*slot).map_err(|_| "slot overflows u32")?;
				let mocked_relay = MockValidationDataInherentDataProvider::<()> {
					current_para_block: parent_number,
					para_id,
					current_para_block_head: Some(parent_header.encode().into()),
					relay_offset: relay_block.saturating_sub(parent_number),
					relay_blocks_per_para_block: 1,
					para_blocks_per_relay_epoch: 10,
					xcm_config: MockXcmConfig::new(&*client, parent, Default::default()),
					// The relay block's BABE randomness, which disputes draw re-executors
					// from. A dev chain has no relay chain: it stands in with the hash of the
					// parent block and the relay block's number (predictable by whoever runs
					// the node, as nothing on a one-node chain is secret).
					additional_key_values: Some(vec![(
						well_known_keys::CURRENT_BLOCK_RANDOMNESS.to_vec(),
						Some(BlakeTwo256::hash_of(&(parent, relay_block)).0).encode(),
					)]),
					..Default::default()
				};
				let timestamp = sp_timestamp::InherentDataProvider::new(
					(*slot * slot_duration.as_millis()).into(),
				);
				Ok((timestamp, mocked_relay))
			}
		},
	};
	task_manager.spawn_essential_handle().spawn_blocking(
		"manual-seal",
		None,
		sc_consensus_manual_seal::run_manual_seal(params),
	);

	let rpc_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		Box::new(move |_| {
			rpc::create_full(rpc::FullDeps { client: client.clone(), pool: pool.clone() })
				.map_err(Into::into)
		})
	};

	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network,
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool,
		rpc_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service,
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	Ok(task_manager)
}
