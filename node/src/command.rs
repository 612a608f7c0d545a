//! Parses the command line and runs the node or a subcommand.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;
use std::time::Duration;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Offload Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		"Offload: a market for compute on Polkadot.\n\n\
		 `offload-node --dev` runs a standalone dev chain on this machine."
			.into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://example.invalid/offload/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		chain_spec::load(id)
	}
}

/// Builds the parts chain-operation subcommands need.
macro_rules! with_partial {
	($cli:ident, $cmd:ident, |$components:ident, $config:ident| $body:expr) => {{
		let runner = $cli.create_runner($cmd)?;
		runner.async_run(|$config| {
			let $components = service::new_partial(&$config)?;
			$body
		})
	}};
}

/// Runs `offload-node` with the process's arguments.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args();

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let spec = cli.load_spec(&cmd.chain)?;
			cmd.run(spec)
		},
		Some(Subcommand::CheckBlock(cmd)) => with_partial!(cli, cmd, |components, config| {
			let PartialComponents { client, task_manager, import_queue, .. } = components;
			Ok((cmd.run(client, import_queue), task_manager))
		}),
		Some(Subcommand::ExportBlocks(cmd)) => with_partial!(cli, cmd, |components, config| {
			let PartialComponents { client, task_manager, .. } = components;
			Ok((cmd.run(client, config.database), task_manager))
		}),
		Some(Subcommand::ExportState(cmd)) => with_partial!(cli, cmd, |components, config| {
			let PartialComponents { client, task_manager, .. } = components;
			Ok((cmd.run(client, config.chain_spec), task_manager))
		}),
		Some(Subcommand::ImportBlocks(cmd)) => with_partial!(cli, cmd, |components, config| {
			let PartialComponents { client, task_manager, import_queue, .. } = components;
			Ok((cmd.run(client, import_queue), task_manager))
		}),
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::Revert(cmd)) => with_partial!(cli, cmd, |components, config| {
			let PartialComponents { client, task_manager, backend, .. } = components;
			Ok((cmd.run(client, backend, None), task_manager))
		}),
		#[cfg(feature = "collator")]
		Some(Subcommand::ExportGenesisHead(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				let partial = service::new_partial(&config)?;
				cmd.run(partial.client)
			})
		},
		#[cfg(feature = "collator")]
		Some(Subcommand::ExportGenesisWasm(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(&*config.chain_spec))
		},
		None => run_node(cli),
	}
}

/// Runs the node: the standalone dev chain for a development chain spec, else a collator.
fn run_node(cli: Cli) -> sc_cli::Result<()> {
	let block_time = Duration::from_millis(cli.dev_block_time);
	#[cfg(feature = "collator")]
	let run_cmd = cli.collator.normalize();
	#[cfg(not(feature = "collator"))]
	let run_cmd = cli.run.clone();
	let runner = cli.create_runner(&run_cmd)?;

	if runner.config().chain_spec.chain_type() == sc_service::ChainType::Development {
		return runner.run_node_until_exit(|config| async move {
			let para_id = chain_spec::Extensions::try_get(&*config.chain_spec)
				.map(|extensions| extensions.para_id)
				.unwrap_or(offload_runtime::genesis_config_presets::PARACHAIN_ID);
			log::info!(
				"Offload dev chain: a block every {} ms, each finalized at once",
				block_time.as_millis()
			);
			service::start_dev(config, para_id.into(), block_time).map_err(sc_cli::Error::Service)
		});
	}

	#[cfg(feature = "collator")]
	{
		crate::collator::run(runner, cli.collator.collator_options(), cli.relay_chain_args)
	}
	#[cfg(not(feature = "collator"))]
	{
		drop(runner);
		Err(sc_cli::Error::Input(
			"this build runs development chain specs only (use --dev); build with \
			 `--features collator` to collate for a relay chain"
				.into(),
		))
	}
}
