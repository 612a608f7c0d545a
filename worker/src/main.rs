//! `offload`: the provider daemon (`offload run`) and the requester's commands.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use offload_worker::{
	api::{Hash32, Pricing, ProviderFilter, Resources, RuntimeKind},
	chain::{self, Chain},
	config::{format_ofl, parse_ofl, Config},
	daemon::{shutdown_signal, Daemon},
	datasets,
	requester::{self, JobArgs, WorkloadArgs},
	subscriptions,
};
use std::{io::Write, path::PathBuf, time::Duration};

/// Where the requester's commands connect when neither `--node` nor `OFFLOAD_NODE` says.
const DEFAULT_NODE: &str = "ws://127.0.0.1:9944";

/// Offload: sell idle compute, or buy it.
#[derive(Parser)]
#[command(name = "offload", version)]
struct Cli {
	/// The node's WebSocket RPC [default: ws://127.0.0.1:9944, or the daemon config's `node`].
	#[arg(long, global = true, env = "OFFLOAD_NODE")]
	node: Option<String>,
	/// The secret URI that signs (mnemonic, 0x seed or dev path like //Alice).
	#[arg(long, global = true, env = "OFFLOAD_SURI")]
	suri: Option<String>,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Run the provider daemon.
	Run {
		/// The TOML config file.
		#[arg(long, env = "OFFLOAD_CONFIG")]
		config: PathBuf,
		/// Overrides the config's data_dir.
		#[arg(long)]
		data_dir: Option<PathBuf>,
		/// Overrides the config's listen address.
		#[arg(long)]
		listen: Option<std::net::SocketAddr>,
	},
	/// Upload a program (.wasm or .wat); prints its hash.
	Upload {
		/// The program file.
		file: PathBuf,
	},
	/// Submit a job: a WASM program (--program) or a container image (--image).
	Submit {
		#[command(flatten)]
		job: JobOptions,
		/// Run it on this subscription's reserved capacity (`offload subscriptions` lists
		/// them): on its provider, paid by its periods, one replica; its run must end within
		/// the running period.
		#[arg(long, conflicts_with_all = ["replicas", "quorum", "verified_only", "min_reputation"])]
		subscription: Option<u64>,
		/// Follow the job until it settles, then fetch and print its result.
		#[arg(long)]
		watch: bool,
	},
	/// What a job would cost and which providers it would get.
	Quote {
		#[command(flatten)]
		job: JobOptions,
	},
	/// Registered providers, filtered.
	Providers {
		/// Only those running this kind of job.
		#[arg(long, value_enum)]
		runtime: Option<RuntimeArg>,
		/// Only those with at least this much CPU free, in millicores.
		#[arg(long, default_value_t = 0)]
		cpu: u32,
		/// Only those with at least this much memory free, in MiB.
		#[arg(long, default_value_t = 0)]
		memory: u32,
		/// Only those with at least this much storage free, in GiB.
		#[arg(long, default_value_t = 0)]
		storage: u32,
		/// Only those whose unit price (per million fuel, or per second for containers) is at
		/// most this, in OFL.
		#[arg(long)]
		max_price: Option<String>,
		/// Only verified providers.
		#[arg(long)]
		verified_only: bool,
		/// Only those taking jobs now (active, alive, with a free slot).
		#[arg(long)]
		available: bool,
		/// Show at most this many.
		#[arg(long, default_value_t = 50)]
		limit: usize,
	},
	/// A job's state.
	Status {
		/// The job id.
		job: u64,
	},
	/// Follow a job until it settles; with --suri, also call `expire` when a deadline passes.
	Watch {
		/// The job id.
		job: u64,
		/// Give up after this many seconds.
		#[arg(long, default_value_t = 600)]
		timeout: u64,
	},
	/// Cancel a job no provider has acknowledged; everything held comes back.
	Cancel {
		/// The job id.
		job: u64,
	},
	/// Remove a settled job's record from the chain, which returns its 0.1 OFL deposit.
	Clear {
		/// The job id.
		job: u64,
	},
	/// Dispute a settled single-replica job: three other providers re-execute it (you pay
	/// as for a new job); if they disagree, its provider is slashed and you are paid back.
	Dispute {
		/// The job id.
		job: u64,
		/// Follow the re-execution until it ends, then print the verdict.
		#[arg(long)]
		watch: bool,
	},
	/// A provider's rewards: the era in progress, each unclaimed era's work, uptime and
	/// reward, and what a claim pays now. Shows --suri's account unless --who is given.
	Rewards {
		/// The account to show (SS58).
		#[arg(long, conflicts_with = "claim")]
		who: Option<String>,
		/// Claim the ended eras' rewards (signed with --suri).
		#[arg(long)]
		claim: bool,
	},
	/// Rent a provider's capacity by the period: the cheapest provider whose price per period
	/// is at most --max-price, for --periods periods of --period, prepaid. Each period is
	/// paid to the provider if it stayed live, refunded otherwise.
	Subscribe {
		/// The kind of jobs the capacity runs.
		#[arg(long, value_enum, default_value = "container")]
		runtime: RuntimeArg,
		#[command(flatten)]
		capacity: Capacity,
		/// A period: blocks (600), or a duration (90s, 30m, 2h, 1d) at the chain's block time.
		#[arg(long)]
		period: String,
		/// Periods to prepay.
		#[arg(long, default_value_t = 1)]
		periods: u32,
		/// The most to pay per period, in OFL (the fee is on top).
		#[arg(long, required_unless_present = "quote")]
		max_price: Option<String>,
		/// Least provider reputation, in percent.
		#[arg(long, default_value_t = 0)]
		min_reputation: u8,
		/// Only show the provider and price it would get.
		#[arg(long)]
		quote: bool,
	},
	/// The subscriptions of --suri's account (or --who's), as requester and as provider;
	/// --renew or --cancel one of them.
	Subscriptions {
		/// The account to show (SS58).
		#[arg(long, conflicts_with_all = ["renew", "cancel"])]
		who: Option<String>,
		/// Prepay --periods more periods of this subscription.
		#[arg(long, conflicts_with = "cancel")]
		renew: Option<u64>,
		/// Periods to add with --renew.
		#[arg(long, default_value_t = 1, requires = "renew")]
		periods: u32,
		/// End this subscription when its running period settles.
		#[arg(long)]
		cancel: Option<u64>,
	},
	/// Datasets: seal, register, list, retire or remove them, and serve their keys.
	Data {
		#[command(subcommand)]
		command: DataCommand,
	},
	/// A sandbox process of the daemon (started by it, not by hand): `prepare` compiles a
	/// module, `execute` runs jobs.
	#[command(hide = true)]
	Sandbox {
		/// prepare or execute.
		role: String,
	},
	/// Fetch a settled job's output from its provider and check it against the chain.
	Result {
		/// The job id.
		job: u64,
		/// Write the output here instead of stdout.
		#[arg(long)]
		out: Option<PathBuf>,
	},
}

/// What a data owner does.
#[derive(Subcommand)]
enum DataCommand {
	/// Encrypt a file as a sealed dataset of --suri's account: serve the output, register it,
	/// and run `offload data serve` so the providers of jobs over it get its key.
	Seal {
		/// The data.
		file: PathBuf,
		/// Where to write the sealed dataset.
		#[arg(long)]
		out: PathBuf,
	},
	/// Register a dataset: the file as it is served (sealed by `offload data seal`, or plain)
	/// and the URL it is served at; prints its id.
	Register {
		/// The file as served.
		file: PathBuf,
		/// Where providers fetch it (http:// or https://).
		#[arg(long)]
		url: String,
		/// Paid to you by each job over it that ends with a result, in OFL.
		#[arg(long)]
		royalty: String,
		/// A program (0x code hash) or container image (sha256:…) allowed to use it,
		/// repeatable; none: any.
		#[arg(long = "program")]
		programs: Vec<String>,
	},
	/// The registered datasets (only --owner's, if given).
	List {
		/// Only this owner's (SS58).
		#[arg(long)]
		owner: Option<String>,
	},
	/// No new jobs may use the dataset; open ones finish and pay.
	Retire {
		/// The dataset id.
		id: u64,
	},
	/// Remove a dataset no open job uses; its deposit comes back.
	Remove {
		/// The dataset id.
		id: u64,
	},
	/// Grant the keys of --suri's sealed datasets to the providers assigned to jobs over
	/// them, as they are assigned; runs until Ctrl-C.
	Serve {
		/// Also fetch the datasets from private addresses (a server on this machine or
		/// network).
		#[arg(long)]
		allow_private: bool,
	},
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("workload").required(true).args(["program", "image"])))]
struct JobOptions {
	/// The program: its 0x hash, or a .wasm/.wat file (uploaded first if the chain lacks it).
	#[arg(long)]
	program: Option<String>,
	/// The exported function to run.
	#[arg(long, default_value = "_start")]
	entry: String,
	/// A container image instead of a program: its podman image ID (sha256:… or 0x…).
	#[arg(long)]
	image: Option<String>,
	/// Most seconds a container may run.
	#[arg(long, default_value_t = 60, conflicts_with = "program")]
	max_seconds: u32,
	/// The container's command and arguments, after `--` (default: the image's).
	#[arg(last = true, conflicts_with = "program")]
	command: Vec<String>,
	/// The input, inline.
	#[arg(long, conflicts_with_all = ["input_file", "input_url"])]
	input: Option<String>,
	/// The input, inline, from a file.
	#[arg(long, conflicts_with = "input_url")]
	input_file: Option<PathBuf>,
	/// The input, fetched by the provider from this http:// or https:// URL.
	#[arg(long)]
	input_url: Option<String>,
	/// Seal the (inline) input to the providers the job will get, and their output to you.
	#[arg(long, conflicts_with = "input_url")]
	encrypt: bool,
	/// A registered dataset the job runs over (`offload data list`), repeatable: the run's
	/// input is the inline input followed by each dataset's bytes, in order. Each pays its
	/// owner its royalty if the job ends with a result.
	#[arg(long = "dataset", conflicts_with = "input_url")]
	datasets: Vec<u64>,
	/// The most to pay in royalties, in OFL [default: what the datasets charge now].
	#[arg(long, requires = "datasets")]
	max_royalties: Option<String>,
	/// The blake2-256 hash of the URL's bytes (fetched now to compute it if not given).
	#[arg(long, requires = "input_url")]
	input_hash: Option<String>,
	/// Most fuel the program may burn.
	#[arg(long, default_value_t = 100_000_000, conflicts_with = "image")]
	fuel: u64,
	/// Most linear memory of the program, in MiB.
	#[arg(long, default_value_t = 64, conflicts_with = "image")]
	memory_mib: u32,
	/// Pay per use, at most this much OFL per replica.
	#[arg(long, default_value = "1", conflicts_with = "price")]
	budget: String,
	/// Pay this fixed price in OFL per replica instead.
	#[arg(long)]
	price: Option<String>,
	/// Providers that run it.
	#[arg(long, default_value_t = 1)]
	replicas: u8,
	/// Agreeing providers needed (default: a majority).
	#[arg(long)]
	quorum: Option<u8>,
	/// What each replica needs.
	#[command(flatten)]
	capacity: Capacity,
	/// Least provider reputation, in percent.
	#[arg(long, default_value_t = 0)]
	min_reputation: u8,
	/// Only verified providers.
	#[arg(long)]
	verified_only: bool,
	/// Blocks a replica has to deliver once it acknowledged.
	#[arg(long, default_value_t = 50)]
	run_blocks: u32,
	/// Blocks the job may wait for providers.
	#[arg(long, default_value_t = 20)]
	queue_blocks: u32,
}

/// Capacity: what a job's replica needs, or what a subscription rents.
#[derive(Args)]
struct Capacity {
	/// CPU, in millicores.
	#[arg(long, default_value_t = 1000)]
	cpu: u32,
	/// Memory, in MiB.
	#[arg(long, default_value_t = 256)]
	memory: u32,
	/// Storage, in GiB.
	#[arg(long, default_value_t = 1)]
	storage: u32,
}

impl Capacity {
	fn resources(&self) -> Resources {
		Resources {
			cpu_millicores: self.cpu,
			memory_mib: self.memory,
			storage_gib: self.storage,
			gpus: 0,
		}
	}
}

/// A runtime, as `--runtime` takes it.
#[derive(Clone, Copy, clap::ValueEnum)]
enum RuntimeArg {
	Wasm,
	Container,
}

impl From<RuntimeArg> for RuntimeKind {
	fn from(runtime: RuntimeArg) -> Self {
		match runtime {
			RuntimeArg::Wasm => RuntimeKind::Wasm,
			RuntimeArg::Container => RuntimeKind::Container,
		}
	}
}

fn parse_account(text: &str) -> Result<chain::AccountId> {
	text.parse().map_err(|_| anyhow!("`{text}` is not an SS58 account"))
}

fn parse_hash(text: &str) -> Result<Hash32> {
	let bytes = sp_core::bytes::from_hex(text).map_err(|_| anyhow!("`{text}` is not hex"))?;
	bytes.try_into().map_err(|_| anyhow!("`{text}` is not a 32-byte hash"))
}

impl Cli {
	fn signer(&self) -> Result<sp_core::sr25519::Pair> {
		let suri = self
			.suri
			.as_deref()
			.ok_or_else(|| anyhow!("this command signs: pass --suri (or set OFFLOAD_SURI)"))?;
		chain::keypair(suri)
	}
}

/// The job the options describe; uploads the program if a file is given and the chain lacks it.
/// The job `options` describe; a sealed input is sealed to `provider` if given (the provider of
/// the subscription it runs on), else to the providers matching would give it.
async fn job_args(
	cli: &Cli,
	chain: &Chain,
	options: &JobOptions,
	provider: Option<chain::AccountId>,
) -> Result<JobArgs> {
	let workload = match (&options.program, &options.image) {
		(Some(program), _) => WorkloadArgs::Wasm {
			program: if program.starts_with("0x") {
				parse_hash(program)?
			} else {
				let code = requester::read_program(std::path::Path::new(program))?;
				requester::upload(chain, &cli.signer()?, code).await?
			},
			entry: options.entry.clone(),
			fuel: options.fuel,
			memory_mib: options.memory_mib,
		},
		(None, Some(image)) => WorkloadArgs::Container {
			image: parse_hash(&image.replace("sha256:", "0x"))
				.context("--image takes a podman image ID: sha256:<64 hex digits>")?,
			argv: options.command.clone(),
			max_seconds: options.max_seconds,
		},
		(None, None) => bail!("give --program or --image"),
	};
	let inline = match (&options.input, &options.input_file) {
		(Some(text), _) => Some(text.clone().into_bytes()),
		(None, Some(file)) => {
			Some(std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?)
		},
		(None, None) if options.input_url.is_none() => Some(Vec::new()),
		(None, None) => None,
	};
	let hash = options.input_hash.as_deref().map(parse_hash).transpose()?;
	let plaintext = if options.encrypt { inline.clone() } else { None };
	let input = requester::input(inline, options.input_url.clone(), hash).await?;
	let pricing = match &options.price {
		Some(price) => Pricing::Fixed { price: parse_ofl(price).context("--price")? },
		None => Pricing::PayPerUse { budget: parse_ofl(&options.budget).context("--budget")? },
	};
	if options.replicas == 0 {
		bail!("--replicas must be at least 1");
	}
	let code = match &workload {
		WorkloadArgs::Wasm { program, .. } => *program,
		WorkloadArgs::Container { image, .. } => *image,
	};
	let max_royalties = match (&options.max_royalties, options.datasets.is_empty()) {
		(Some(most), _) => parse_ofl(most).context("--max-royalties")?,
		(None, true) => 0,
		(None, false) => {
			let royalties = datasets::royalties(chain, &options.datasets, code).await?;
			println!("the datasets charge {} in royalties", format_ofl(royalties));
			royalties
		},
	};
	let mut args = JobArgs {
		workload,
		input,
		encrypted: false,
		resources: options.capacity.resources(),
		pricing,
		replicas: options.replicas,
		quorum: options.quorum.unwrap_or(options.replicas / 2 + 1),
		min_reputation: options.min_reputation,
		verified_only: options.verified_only,
		run_blocks: options.run_blocks,
		queue_blocks: options.queue_blocks,
		datasets: options.datasets.clone(),
		max_royalties,
	};
	if let Some(plaintext) = plaintext {
		requester::seal_input(chain, &cli.signer()?, &mut args, &plaintext, provider).await?;
	}
	Ok(args)
}

fn print_output(bytes: &[u8], ok: bool, out: Option<&PathBuf>) -> Result<()> {
	match out {
		Some(path) => std::fs::write(path, bytes)
			.with_context(|| format!("cannot write {}", path.display()))?,
		None => {
			let mut stdout = std::io::stdout();
			stdout.write_all(bytes)?;
			if !bytes.ends_with(b"\n") {
				stdout.write_all(b"\n")?;
			}
		},
	}
	if !ok {
		bail!("the run failed (the output above is its reason)");
	}
	Ok(())
}

async fn run(cli: Cli) -> Result<()> {
	if let Command::Run { config, data_dir, listen } = &cli.command {
		let mut config = Config::load(config)?;
		if let Some(dir) = data_dir {
			config.data_dir = dir.clone();
		}
		if let Some(listen) = listen {
			config.listen = *listen;
		}
		if let Some(node) = &cli.node {
			config.node = node.clone();
		}
		return Daemon::new(config)?.run(shutdown_signal()).await;
	}
	let chain = Chain::connect(cli.node.as_deref().unwrap_or(DEFAULT_NODE)).await?;
	match &cli.command {
		Command::Run { .. } | Command::Sandbox { .. } => unreachable!("handled above"),
		Command::Upload { file } => {
			let code = requester::read_program(file)?;
			let hash = requester::upload(&chain, &cli.signer()?, code).await?;
			println!("0x{}", hex::encode(hash));
		},
		Command::Data { command } => match command {
			DataCommand::Seal { file, out } => {
				let data = std::fs::read(file)
					.with_context(|| format!("cannot read {}", file.display()))?;
				let sealed = datasets::seal(&data, &cli.signer()?)?;
				std::fs::write(out, &sealed)
					.with_context(|| format!("cannot write {}", out.display()))?;
				println!(
					"{} sealed: {} bytes, hash 0x{}",
					out.display(),
					sealed.len(),
					hex::encode(sp_crypto_hashing::blake2_256(&sealed))
				);
			},
			DataCommand::Register { file, url, royalty, programs } => {
				let bytes = std::fs::read(file)
					.with_context(|| format!("cannot read {}", file.display()))?;
				let programs = programs
					.iter()
					.map(|program| parse_hash(&program.replace("sha256:", "0x")))
					.collect::<Result<Vec<_>>>()?;
				let royalty = parse_ofl(royalty).context("--royalty")?;
				datasets::register(&chain, &cli.signer()?, &bytes, url, royalty, programs).await?;
			},
			DataCommand::List { owner } => {
				let owner = owner.as_deref().map(parse_account).transpose()?;
				datasets::list(&chain, owner).await?;
			},
			DataCommand::Retire { id } => {
				datasets::retire_or_remove(&chain, &cli.signer()?, *id, false).await?
			},
			DataCommand::Remove { id } => {
				datasets::retire_or_remove(&chain, &cli.signer()?, *id, true).await?
			},
			DataCommand::Serve { allow_private } => {
				let reach = if *allow_private {
					offload_worker::http::Reach::Any
				} else {
					offload_worker::http::Reach::Public
				};
				datasets::serve(&chain, &cli.signer()?, reach, shutdown_signal()).await?;
			},
		},
		Command::Quote { job } => {
			let spec = job_args(&cli, &chain, job, None).await?.spec()?;
			requester::quote(&chain, spec).await?;
		},
		Command::Submit { job, watch, subscription } => {
			let pair = cli.signer()?;
			let id = match subscription {
				Some(subscription) => {
					let provider = subscriptions::provider_of(&chain, *subscription).await?;
					let spec = job_args(&cli, &chain, job, Some(provider)).await?.spec()?;
					requester::submit_on_subscription(&chain, &pair, *subscription, spec).await?
				},
				None => {
					let spec = job_args(&cli, &chain, job, None).await?.spec()?;
					requester::submit(&chain, &pair, spec).await?
				},
			};
			if *watch {
				let ending =
					requester::watch(&chain, id, Duration::from_secs(600), Some(&pair)).await?;
				if ending.result.is_none() {
					bail!("job {id} ended without a result");
				}
				requester::status(&chain, id).await?;
				let (bytes, ok) = requester::result(&chain, &pair, id).await?;
				println!(
					"output of job {id} ({} bytes, matches the result hash on chain; providers paid {}):",
					bytes.len(),
					format_ofl(ending.paid)
				);
				print_output(&bytes, ok, None)?;
			}
		},
		Command::Providers {
			runtime,
			cpu,
			memory,
			storage,
			max_price,
			verified_only,
			available,
			limit,
		} => {
			let filter = ProviderFilter {
				runtime: runtime.map(RuntimeKind::from),
				free: Resources {
					cpu_millicores: *cpu,
					memory_mib: *memory,
					storage_gib: *storage,
					gpus: 0,
				},
				max_unit_price: max_price
					.as_deref()
					.map(parse_ofl)
					.transpose()
					.context("--max-price")?,
				verified_only: *verified_only,
				available_only: *available,
			};
			requester::providers(&chain, filter, *limit).await?
		},
		Command::Status { job } => requester::status(&chain, *job).await?,
		Command::Watch { job, timeout } => {
			// With a key it also calls `expire` when a deadline passes; without, it only follows.
			let keeper = cli.signer().ok();
			let ending =
				requester::watch(&chain, *job, Duration::from_secs(*timeout), keeper.as_ref())
					.await?;
			if ending.result.is_none() {
				bail!("job {job} ended without a result");
			}
		},
		Command::Cancel { job } => requester::cancel(&chain, &cli.signer()?, *job).await?,
		Command::Clear { job } => requester::clear(&chain, &cli.signer()?, *job).await?,
		Command::Dispute { job, watch } => {
			let pair = cli.signer()?;
			let check = requester::dispute(&chain, &pair, *job).await?;
			if *watch {
				requester::watch(&chain, check, Duration::from_secs(600), Some(&pair)).await?;
				requester::verdict(&chain, *job).await?;
			}
		},
		Command::Result { job, out } => {
			let (bytes, ok) = requester::result(&chain, &cli.signer()?, *job).await?;
			print_output(&bytes, ok, out.as_ref())?;
		},
		Command::Subscribe {
			runtime,
			capacity,
			period,
			periods,
			max_price,
			min_reputation,
			quote,
		} => {
			let millis = subscriptions::millis_per_block(&chain).await?;
			let rent = subscriptions::Rent {
				kind: (*runtime).into(),
				resources: capacity.resources(),
				min_reputation: *min_reputation,
				period: subscriptions::parse_period(period, millis).context("--period")?,
			};
			if *quote {
				let who = match cli.signer() {
					Ok(pair) => chain::account_of(&pair),
					Err(_) => chain::AccountId::from([0; 32]),
				};
				subscriptions::quote(&chain, &who, &rent).await?;
			} else {
				let max_price =
					parse_ofl(max_price.as_deref().unwrap_or_default()).context("--max-price")?;
				subscriptions::subscribe(&chain, &cli.signer()?, &rent, max_price, *periods)
					.await?;
			}
		},
		Command::Subscriptions { who, renew, periods, cancel } => {
			if let Some(id) = renew {
				subscriptions::renew(&chain, &cli.signer()?, *id, *periods).await?;
			}
			if let Some(id) = cancel {
				subscriptions::cancel(&chain, &cli.signer()?, *id).await?;
			}
			let account = match who {
				Some(text) => parse_account(text)?,
				None => chain::account_of(&cli.signer()?),
			};
			subscriptions::list(&chain, &account).await?;
		},
		Command::Rewards { who, claim } => {
			let account = match who {
				Some(text) => parse_account(text)?,
				None => chain::account_of(&cli.signer()?),
			};
			let (_, ended) = offload_worker::rewards::show(&chain, &account).await?;
			if *claim {
				if ended == 0 {
					bail!("nothing to claim yet: this account has no unclaimed era that ended");
				}
				offload_worker::rewards::claim(&chain, &cli.signer()?).await?;
			}
		},
	}
	Ok(())
}

fn main() {
	let cli = Cli::parse();
	// A sandbox process logs nothing and starts no async runtime: its stdout is the daemon's.
	if let Command::Sandbox { role } = &cli.command {
		if let Err(error) = offload_worker::executor::sandbox::serve(role) {
			eprintln!("offload sandbox {role}: {error:#}");
			std::process::exit(1);
		}
		return;
	}
	// The requester's commands, like any Unix tool, end quietly when the reader of their
	// output goes away (Rust ignores SIGPIPE, which turns a closed pipe into a panic in
	// `println!`). The daemon keeps ignoring it: a container that closes its stdin early must
	// give the writer an error, not end the daemon.
	if !matches!(cli.command, Command::Run { .. }) {
		// SAFETY: resetting a signal's disposition to its default, before any thread starts.
		unsafe {
			libc::signal(libc::SIGPIPE, libc::SIG_DFL);
		}
	}
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.with_writer(std::io::stderr)
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.init();
	let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(runtime) => runtime,
		Err(error) => {
			eprintln!("error: cannot start the async runtime: {error}");
			std::process::exit(1);
		},
	};
	let result = runtime.block_on(run(cli));
	// Tasks still running (a fetch, a run's last moments) get a bound, not a wait.
	runtime.shutdown_timeout(Duration::from_secs(5));
	if let Err(error) = result {
		eprintln!("error: {error:#}");
		std::process::exit(1);
	}
}
