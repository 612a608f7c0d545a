//! The provider daemon: registers the provider, keeps it alive, and carries each of its
//! assignments through the market's steps.
//!
//! The daemon is driven by the chain's finalized state, not by events: at every finalized
//! block it asks which jobs it has a replica of (`ComputeApi_assignments`), reads each job,
//! and does the one thing the replica's state calls for (ack, run, submit or commit, reveal).
//! Nothing depends on having seen an event, so a restart or a reconnect loses nothing, and a
//! reveal is only ever sent once its commit is final. Every transaction is recorded in the
//! [`Store`] before it is sent and sent again only if the chain has not acted on it after
//! [`RESEND_AFTER`] blocks.

use crate::{
	api::{self, bounded, Job, Offer, Phase, Prices, ReplicaState, Report, Resources},
	chain::{self, AccountId, Block, BlockNumber, Chain, Nonce},
	config::{parse_ofl, Config},
	envelope,
	executor::{
		container::{self, ContainerExecutor},
		sandbox::{self, Sandbox},
		wasm, Failure, RunOutcome,
	},
	http,
	inputs::{DatasetSource, Inputs},
	metrics::Metrics,
	store::{LocalJob, Step, Store},
};
use anyhow::{anyhow, bail, Context, Result};
use codec::Encode;
use sp_core::{sr25519, Pair};
use std::{
	collections::{BTreeSet, HashMap, HashSet},
	future::Future,
	sync::Arc,
	time::Duration,
};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

/// Blocks before its acknowledgement deadline at which a dispute's re-executor stops waiting
/// for the requester's grant of a sealed input, and gives the replica back.
pub const GRANT_MARGIN: BlockNumber = 3;

/// Blocks after which a transaction the chain has not acted on is sent again.
pub const RESEND_AFTER: BlockNumber = 10;

/// Longest wait between reconnection attempts: well under a job's acknowledgement window.
const MAX_BACKOFF: Duration = Duration::from_secs(4);

/// A run that finished, on its way back to the daemon loop.
struct Finished {
	job: u64,
	outcome: RunOutcome,
}

/// The provider daemon.
pub struct Daemon {
	config: Config,
	pair: sr25519::Pair,
	me: AccountId,
	store: Arc<Store>,
	executor: Arc<Sandbox>,
	/// Whose results the endpoint serves, on which chain.
	realm: Arc<http::Realm>,
	/// Stops the endpoint.
	http_stop: tokio_util::sync::CancellationToken,
	containers: Option<Arc<ContainerExecutor>>,
	metrics: Arc<Metrics>,
	running: HashSet<u64>,
	/// Runs prepared before acknowledging them (their input fetched and opened), until they
	/// start.
	prepared: HashMap<u64, Result<PreparedRun, Failure>>,
	/// Those being prepared, off the main loop.
	preparing: HashMap<u64, tokio::task::JoinHandle<Result<PreparedRun, Failure>>>,
	/// Gets inputs, off the main loop.
	inputs: Arc<Inputs>,
	finished_tx: mpsc::UnboundedSender<Finished>,
	finished_rx: mpsc::UnboundedReceiver<Finished>,
	nonce: Option<Nonce>,
	/// The steps this daemon sent since it started (others' records are from before a
	/// restart).
	sent_here: HashSet<(u64, Step)>,
	/// When job records past keeping were last looked for.
	jobs_pruned_at: Option<std::time::Instant>,
	/// How long a block takes, as seen here: a run's wall-clock bound is the blocks left to
	/// its deadline in this time.
	block_time: BlockClock,
	/// Whether the offer is on chain as configured, since the last connection.
	registered: bool,
	/// After the chain refused to register or update the offer: when to try again, and the
	/// wait after that (doubling up to [`MAX_REGISTER_BACKOFF`]), so a refusal that will not
	/// go away by itself (too little balance for the bond, a bad offer) costs no fees in a loop.
	register_retry: Option<(std::time::Instant, Duration)>,
	/// Jobs run here whose output is not yet served: they have not settled (see
	/// [`Daemon::mark_settled`]).
	unsettled: BTreeSet<u64>,
}

/// The first wait after a refused registration.
const REGISTER_BACKOFF: Duration = Duration::from_secs(30);
/// The longest wait between registration attempts.
const MAX_REGISTER_BACKOFF: Duration = Duration::from_secs(3600);

/// Estimates the time between finalized blocks from the heads this daemon sees.
#[derive(Debug)]
struct BlockClock {
	last: Option<(BlockNumber, std::time::Instant)>,
	estimate: Option<Duration>,
}

impl BlockClock {
	/// Until two heads have been seen: a parachain's six seconds.
	const DEFAULT: Duration = Duration::from_secs(6);

	fn new() -> Self {
		Self { last: None, estimate: None }
	}

	/// Notes head `number` seen `now`: the first interval, then a moving average.
	fn observe(&mut self, number: BlockNumber, now: std::time::Instant) {
		if let Some((before, at)) = self.last {
			if number > before {
				let sample = now.duration_since(at) / (number - before);
				self.estimate = Some(self.estimate.map_or(sample, |old| (old + sample) / 2));
			}
		}
		if self.last.is_none_or(|(before, _)| number > before) {
			self.last = Some((number, now));
		}
	}

	/// The wall-clock time a run may take to end `blocks` blocks from now: four fifths of
	/// their time, less two blocks to send its result.
	fn run_window(&self, blocks: BlockNumber) -> Duration {
		self.estimate.unwrap_or(Self::DEFAULT) * blocks.saturating_sub(2).max(1) * 4 / 5
	}
}

impl Daemon {
	/// A daemon for `config`; opens its store.
	pub fn new(config: Config) -> Result<Self> {
		let pair = chain::keypair(&config.secret_uri()?)?;
		let me = chain::account_of(&pair);
		std::fs::create_dir_all(&config.data_dir)
			.with_context(|| format!("cannot create {}", config.data_dir.display()))?;
		let store = Arc::new(Store::open(&config.data_dir)?);
		let reach =
			if config.allow_private_inputs { http::Reach::Any } else { http::Reach::Public };
		let inputs = Arc::new(Inputs::new(
			store.clone(),
			envelope::secret_of(&pair),
			config.max_input_bytes,
			reach,
		));
		// Guests are compiled and run in child processes of this same binary.
		let program = std::env::current_exe().context("cannot find the offload binary")?;
		let bounds = sandbox::Bounds {
			cache_bytes: config.module_cache_mib << 20,
			..sandbox::Bounds::default()
		};
		let executor = Arc::new(
			Sandbox::new(program, &config.data_dir.join("modules"), bounds)
				.context("cannot start the sandbox")?,
		);
		let containers = if config.container.enabled {
			ContainerExecutor::detect(&config.container.podman, &config.container.runtime)
				.map(Arc::new)
				.map_err(|why| info!("container runtime not offered: {why}"))
				.ok()
		} else {
			info!("container runtime not offered: disabled in the config");
			None
		};
		if let Some(containers) = &containers {
			let removed = containers.remove_leftovers(&container_owner(&me));
			if removed > 0 {
				info!(removed, "removed containers a stopped worker left behind");
			}
		}
		let (finished_tx, finished_rx) = mpsc::unbounded_channel();
		// Runs whose output waits for settlement, from before a restart.
		let mut unsettled = BTreeSet::new();
		for id in store.job_ids()? {
			let local = store.job(id)?;
			if local.report.is_some() && !local.settled {
				unsettled.insert(id);
			}
		}
		let realm = Arc::new(http::Realm::new(*me.as_ref()));
		Ok(Self {
			config,
			pair,
			me,
			store,
			executor,
			realm,
			http_stop: tokio_util::sync::CancellationToken::new(),
			containers,
			metrics: Arc::new(Metrics::new()?),
			running: HashSet::new(),
			prepared: HashMap::new(),
			preparing: HashMap::new(),
			inputs,
			finished_tx,
			finished_rx,
			nonce: None,
			sent_here: HashSet::new(),
			jobs_pruned_at: None,
			block_time: BlockClock::new(),
			registered: false,
			register_retry: None,
			unsettled,
		})
	}

	/// Runs until `shutdown` resolves: serves HTTP, and follows the chain, reconnecting with
	/// backoff whenever the node goes away.
	pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
		let listener = tokio::net::TcpListener::bind(self.config.listen)
			.await
			.with_context(|| format!("cannot listen on {}", self.config.listen))?;
		info!(
			account = %self.me,
			listen = %self.config.listen,
			"offload worker starting"
		);
		info!(
			container = self.containers.is_some(),
			"runtimes offered: wasm{}",
			if self.containers.is_some() { ", container (podman)" } else { "" }
		);
		tokio::spawn(http::serve(
			listener,
			self.store.clone(),
			self.metrics.clone(),
			self.realm.clone(),
			self.http_stop.clone(),
		));
		if let Some(keep) = self.config.keep_results() {
			tokio::spawn(prune_results(self.store.clone(), keep, self.metrics.clone()));
		}
		tokio::pin!(shutdown);
		let mut backoff = Duration::from_millis(500);
		loop {
			let connected = tokio::select! {
				_ = &mut shutdown => return self.stop(),
				connected = Chain::connect(&self.config.node) => connected,
			};
			match connected {
				Ok(chain) => {
					info!(node = %self.config.node, "connected");
					if self.realm.genesis.get_or_init(|| chain.genesis()) != &chain.genesis() {
						bail!(
							"{} serves another chain than this worker's results are from; \
							 give the worker a data_dir of its own for each chain",
							self.config.node
						);
					}
					backoff = Duration::from_millis(500);
					self.nonce = None;
					match self.follow(&chain, &mut shutdown).await {
						Ok(()) => return self.stop(),
						Err(error) => warn!("lost the node: {error:#}; reconnecting"),
					}
				},
				Err(error) => warn!("cannot reach the node: {error:#}; retrying in {backoff:?}"),
			}
			tokio::select! {
				_ = &mut shutdown => return self.stop(),
				_ = tokio::time::sleep(backoff) => {},
			}
			backoff = (backoff * 2).min(MAX_BACKOFF);
		}
	}

	fn stop(&self) -> Result<()> {
		info!(running = self.running.len(), "shutting down; runs in progress resume on restart");
		// Runs end now, so their tasks do too: sandbox processes are killed, containers
		// removed. The chain still assigns their jobs, which run again on restart. The
		// endpoint stops taking connections and lets those in flight finish.
		self.http_stop.cancel();
		self.executor.stop();
		if let Some(containers) = &self.containers {
			containers.remove_leftovers(&container_owner(&self.me));
		}
		Ok(())
	}

	/// Follows finalized blocks until shutdown (`Ok`) or the connection fails (`Err`).
	async fn follow(
		&mut self,
		chain: &Chain,
		shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
	) -> Result<()> {
		let mut heads = chain.subscribe_finalized().await?;
		self.registered = false;
		self.tick(chain).await?;
		loop {
			tokio::select! {
				_ = &mut *shutdown => return Ok(()),
				head = heads.next() => match head {
					Some(Ok(_)) => self.tick(chain).await?,
					Some(Err(error)) => bail!("finalized heads: {error}"),
					None => bail!("the node closed the finalized heads subscription"),
				},
				Some(finished) = self.finished_rx.recv() => {
					self.record_run(finished)?;
					self.tick(chain).await?;
				},
			}
		}
	}

	/// The offer the config describes.
	fn offer(&self) -> Result<Offer> {
		let offer = &self.config.offer;
		let region: [u8; 2] = offer
			.region
			.as_bytes()
			.try_into()
			.map_err(|_| anyhow!("offer.region must be two letters"))?;
		let endpoint = self.config.endpoint();
		Ok(Offer {
			resources: Resources {
				cpu_millicores: offer.cpu_millicores,
				memory_mib: offer.memory_mib,
				storage_gib: offer.storage_gib,
				gpus: offer.gpus,
			},
			wasm: true,
			container: self.containers.is_some(),
			prices: Prices {
				per_million_fuel: parse_ofl(&offer.per_million_fuel)?,
				per_second: parse_ofl(&offer.per_second)?,
				base_per_job: parse_ofl(&offer.base_per_job)?,
			},
			max_concurrent: offer.max_concurrent,
			region,
			encryption_key: envelope::public_of(&self.pair),
			endpoint: bounded(endpoint.into_bytes()),
		})
	}

	/// Registers, or publishes the changed offer, unless that was done since the last
	/// connection or was refused too recently; a refusal is logged and tried again later.
	async fn register_if_due(&mut self, chain: &Chain) -> Result<()> {
		if self.registered
			|| self.register_retry.is_some_and(|(at, _)| std::time::Instant::now() < at)
		{
			return Ok(());
		}
		match self.ensure_registered(chain).await {
			Ok(()) => {
				self.registered = true;
				self.register_retry = None;
				Ok(())
			},
			// Not the chain's answer: the connection is gone; reconnect.
			Err(error) if !chain.is_connected() => Err(error),
			Err(error) => {
				let wait = self.register_retry.map_or(REGISTER_BACKOFF, |(_, wait)| wait);
				error!("the chain refused the offer: {error:#}; trying again in {wait:?}");
				self.register_retry =
					Some((std::time::Instant::now() + wait, (wait * 2).min(MAX_REGISTER_BACKOFF)));
				Ok(())
			},
		}
	}

	/// Registers with the configured offer if the provider is not on chain; publishes the
	/// offer again if it changed.
	async fn ensure_registered(&mut self, chain: &Chain) -> Result<()> {
		let offer = self.offer()?;
		let providers = api::storage().registry().providers();
		let current = chain.storage(providers, (self.me.clone(),), None).await?;
		let registry = api::tx().registry();
		let nonce = self.next_nonce(chain).await?;
		let extrinsic = match current {
			None => {
				let bond = parse_ofl(&self.config.bond)?;
				info!(bond = %crate::config::format_ofl(bond), "registering as a provider");
				chain.sign(&self.pair, &registry.register(offer, bond), nonce).await?
			},
			Some(provider) if provider.offer != offer => {
				info!("publishing the changed offer");
				chain.sign(&self.pair, &registry.update_offer(offer), nonce).await?
			},
			Some(_) => return Ok(()),
		};
		self.nonce = Some(nonce.saturating_add(1));
		chain.submit_and_watch(&extrinsic).await.context("registering the provider")?;
		info!("the offer is on chain");
		Ok(())
	}

	async fn next_nonce(&mut self, chain: &Chain) -> Result<Nonce> {
		let pool = chain.next_nonce(&self.me).await?;
		Ok(self.nonce.map_or(pool, |local| local.max(pool)))
	}

	/// Signs `call` with the next nonce and hands it to the node's pool; returns the nonce.
	/// After a refusal the next nonce is read afresh from the node.
	async fn transmit(&mut self, chain: &Chain, call: impl subxt::tx::Payload) -> Result<Nonce> {
		let nonce = self.next_nonce(chain).await?;
		self.transmit_with(chain, call, nonce).await
	}

	/// [`Daemon::transmit`] with `nonce`.
	async fn transmit_with(
		&mut self,
		chain: &Chain,
		call: impl subxt::tx::Payload,
		nonce: Nonce,
	) -> Result<Nonce> {
		let sent = match chain.sign(&self.pair, &call, nonce).await {
			Ok(extrinsic) => chain.submit(&extrinsic).await,
			Err(error) => Err(error),
		};
		match sent {
			Ok(_) => {
				self.nonce = Some(nonce.saturating_add(1));
				Ok(nonce)
			},
			Err(error) => {
				self.nonce = None;
				Err(error)
			},
		}
	}

	/// Sends `call` for `step` of job `id`, unless it was sent less than [`RESEND_AFTER`]
	/// blocks ago. The step and its nonce are recorded (on disk) before the transaction
	/// leaves; a record from before a restart whose nonce the account has not reached is of a
	/// transaction that never left, and it is sent now rather than after [`RESEND_AFTER`].
	async fn send(
		&mut self,
		chain: &Chain,
		head: Block,
		id: u64,
		local: &mut LocalJob,
		step: Step,
		call: impl subxt::tx::Payload,
	) -> Result<()> {
		if local.sent.get(&step).is_some_and(|at| head.number < at.saturating_add(RESEND_AFTER)) {
			let left = match local.nonces.get(&step) {
				Some(nonce) if !self.sent_here.contains(&(id, step)) => {
					chain.next_nonce(&self.me).await? > *nonce
				},
				_ => true,
			};
			if left {
				return Ok(());
			}
			warn!(job = id, ?step, "recorded before a crash but never sent: sending it now");
		}
		let nonce = self.next_nonce(chain).await?;
		local.sent.insert(step, head.number);
		local.nonces.insert(step, nonce);
		self.store.set_job(id, local)?;
		self.sent_here.insert((id, step));
		failpoint(&format!("before-send:{step:?}"));
		match self.transmit_with(chain, call, nonce).await {
			Ok(nonce) => {
				failpoint(&format!("after-send:{step:?}"));
				info!(job = id, ?step, nonce, "sent")
			},
			Err(error) => {
				// Sent again at the next block.
				local.sent.remove(&step);
				self.store.set_job(id, local)?;
				warn!(job = id, ?step, "the node refused the transaction: {error:#}");
			},
		}
		Ok(())
	}

	/// Does what the finalized state asks of this provider.
	async fn tick(&mut self, chain: &Chain) -> Result<()> {
		let head = chain.finalized().await?;
		self.block_time.observe(head.number, std::time::Instant::now());
		// The local nonce serves back-to-back transactions within one block's work; across
		// blocks the node's next index (which counts its pool) is the truth, so a transaction
		// dropped from the pool leaves no gap that every later one would wait behind.
		self.nonce = None;
		self.register_if_due(chain).await?;
		self.metrics.finalized.set(head.number.into());
		if let Ok(best) = chain.best_number().await {
			self.metrics.chain_lag.set(best.saturating_sub(head.number).into());
		}
		self.heartbeat(chain, head).await?;
		let assignments = api::runtime_apis().compute_api().assignments(self.me.clone());
		let ids: Vec<u64> = chain.runtime_call(assignments, Some(head.hash)).await?;
		self.metrics.open_assignments.set(ids.len() as i64);
		self.mark_settled(chain, head, &ids).await?;
		self.prune_jobs(&ids);
		self.prepared.retain(|id, _| ids.contains(id));
		self.preparing.retain(|id, task| {
			let keep = ids.contains(id);
			if !keep {
				task.abort();
			}
			keep
		});
		for id in ids {
			let jobs = api::storage().market().jobs();
			let Some(job) = chain.storage(jobs, (id,), Some(head.hash)).await? else {
				continue;
			};
			if let Err(error) = self.advance(chain, head, id, &job).await {
				warn!(job = id, "{error:#}");
			}
		}
		Ok(())
	}

	/// Looks at the jobs run here that are no longer assigned (`open`): one that settled with
	/// this worker's result is marked settled, and its output is served to the requester from
	/// then on; one that ended otherwise (expired, another result agreed, cleared) never is.
	async fn mark_settled(&mut self, chain: &Chain, head: Block, open: &[u64]) -> Result<()> {
		let closed: Vec<u64> =
			self.unsettled.iter().copied().filter(|id| !open.contains(id)).collect();
		for id in closed {
			let jobs = api::storage().market().jobs();
			let job = chain.storage(jobs, (id,), Some(head.hash)).await?;
			let mut local = self.store.job(id)?;
			let agreed = match job.map(|job| job.phase) {
				Some(Phase::Settled { result, .. }) => result,
				// Still open: assigned again elsewhere, or waiting; look again later.
				Some(_) => continue,
				None => None,
			};
			if agreed.is_some() && agreed == local.report.map(|report| report.result) {
				local.settled = true;
				self.store.set_job(id, &local)?;
				info!(job = id, "settled with this result: its output is served");
			}
			self.unsettled.remove(&id);
		}
		Ok(())
	}

	/// Once an hour, removes the records of jobs past keeping that are no longer assigned
	/// (`open`), as results are removed after `keep_results_days`.
	fn prune_jobs(&mut self, open: &[u64]) {
		let keep_days = self.config.keep_results_days;
		if keep_days == 0
			|| self.jobs_pruned_at.is_some_and(|at| at.elapsed() < Duration::from_secs(3600))
		{
			return;
		}
		self.jobs_pruned_at = Some(std::time::Instant::now());
		match self.store.prune_jobs(keep_days.into(), open) {
			Ok(0) => {},
			Ok(removed) => {
				self.metrics.jobs_pruned.inc_by(removed);
				info!(records = removed, "removed job records past keeping");
			},
			Err(error) => warn!("cannot prune job records: {error:#}"),
		}
	}

	/// Sends a heartbeat when half the liveness window has passed since the last one.
	async fn heartbeat(&mut self, chain: &Chain, head: Block) -> Result<()> {
		let providers = api::storage().registry().providers();
		let Some(provider) = chain.storage(providers, (self.me.clone(),), Some(head.hash)).await?
		else {
			return Ok(());
		};
		let timeout = chain.constant(api::constants().registry().heartbeat_timeout()).await?;
		let due = provider.last_heartbeat.saturating_add(timeout / 2);
		let sent: Option<BlockNumber> = self.store.meta("heartbeat")?;
		if head.number < due || sent.is_some_and(|at| head.number < at.saturating_add(RESEND_AFTER))
		{
			return Ok(());
		}
		self.store.set_meta("heartbeat", &head.number)?;
		let call = api::tx().registry().heartbeat();
		match self.transmit(chain, call).await {
			Ok(_) => debug!(block = head.number, "heartbeat sent"),
			Err(error) => warn!("heartbeat refused: {error:#}"),
		}
		Ok(())
	}

	/// The next step of this provider's replica of job `id`.
	async fn advance(&mut self, chain: &Chain, head: Block, id: u64, job: &Job) -> Result<()> {
		let Some(replica) = job.assignments.iter().find(|a| a.provider == self.me) else {
			return Ok(());
		};
		let mut local = self.store.job(id)?;
		match (&replica.state, &local.report) {
			// Past a deadline the chain refuses the step. Until someone calls `expire` the
			// replica holds a slot of this provider's capacity, so the worker calls it itself:
			// the chain records the miss as it would for anyone's call, and frees the slot.
			(ReplicaState::Assigned { ack_by: deadline }, _)
			| (ReplicaState::Running { due: deadline }, _)
				if head.number > *deadline =>
			{
				if self.running.remove(&id) {
					warn!(job = id, "missed the deadline (block {deadline})");
				}
				let call = api::tx().market().expire(id);
				self.send(chain, head, id, &mut local, Step::Expire, call).await
			},
			(ReplicaState::Assigned { .. }, _) => match self.readiness(chain, head, id, job).await?
			{
				Readiness::Wait => Ok(()),
				Readiness::Decline(reason) => {
					if !local.sent.contains_key(&Step::Decline) {
						warn!(job = id, "declining: {reason}");
					}
					let call = api::tx().market().decline(id);
					self.send(chain, head, id, &mut local, Step::Decline, call).await
				},
				Readiness::Ack => {
					let call = api::tx().market().ack(id);
					self.send(chain, head, id, &mut local, Step::Ack, call).await
				},
			},
			// The run could not be done here: give the replica back, unpaid and unslashed, to
			// the next provider in rank.
			(ReplicaState::Running { .. }, None) if local.abstained.is_some() => {
				let call = api::tx().market().decline(id);
				self.send(chain, head, id, &mut local, Step::Decline, call).await
			},
			(ReplicaState::Running { due }, None) => {
				let window = self.block_time.run_window(due.saturating_sub(head.number));
				self.start_run(chain, head, id, job, &mut local, window).await
			},
			(ReplicaState::Running { .. }, Some(report)) if job.spec.replicas == 1 => {
				let call = api::tx().market().submit_result(id, *report);
				self.send(chain, head, id, &mut local, Step::Submit, call).await
			},
			(ReplicaState::Running { .. }, Some(report)) => {
				let commitment = offload_primitives::commitment(report, &local.salt, &self.me);
				let call = api::tx().market().commit_result(id, commitment);
				self.send(chain, head, id, &mut local, Step::Commit, call).await
			},
			(ReplicaState::Committed { .. }, Some(report))
				if matches!(job.phase, Phase::Revealing { .. }) =>
			{
				let call = api::tx().market().reveal_result(id, *report, local.salt);
				self.send(chain, head, id, &mut local, Step::Reveal, call).await
			},
			(ReplicaState::Committed { .. }, None) => {
				bail!("committed on chain, but the report is not in the store")
			},
			_ => Ok(()),
		}
	}

	/// Whether to acknowledge job `id`, give it back, or wait: a job whose input is sealed, or
	/// a dispute's check, is prepared first (its input fetched and opened, off the main loop),
	/// and given back if that cannot be done here: sealed to other providers, who can run it,
	/// or an input this provider cannot get, which says nothing against the provider that ran
	/// the disputed job. Any other job is acknowledged at once, so fetching a large input never
	/// costs an acknowledgement deadline; the prepared run is kept for [`Self::start_run`].
	async fn readiness(
		&mut self,
		chain: &Chain,
		head: Block,
		id: u64,
		job: &Job,
	) -> Result<Readiness> {
		// The chain takes acknowledgements once every replica has a provider.
		if matches!(job.phase, Phase::Queued { .. }) {
			return Ok(Readiness::Wait);
		}
		let names_datasets = !job.spec.workload.input().datasets().is_empty();
		if !job.spec.encrypted_input && job.checks.is_none() && !names_datasets {
			return Ok(Readiness::Ack);
		}
		if let Some(task) = self.preparing.get(&id) {
			if !task.is_finished() {
				return Ok(Readiness::Wait);
			}
			if let Some(task) = self.preparing.remove(&id) {
				let prepared = task.await.unwrap_or_else(|error| {
					Err(Failure::HostLimit(format!("preparing the run: {error}")))
				});
				self.prepared.insert(id, prepared);
			}
		}
		if !self.prepared.contains_key(&id) {
			match self.plan(chain, head, id, job).await? {
				Err(failure) => {
					self.prepared.insert(id, Err(failure));
				},
				Ok(plan) => {
					let inputs = self.inputs.clone();
					self.preparing
						.insert(id, tokio::spawn(async move { plan.ready(id, &inputs).await }));
					return Ok(Readiness::Wait);
				},
			}
		}
		// A dispute's re-executor of a sealed input waits for the requester's grant, and a
		// provider of a job over a sealed dataset for its owner's, while its acknowledgement
		// deadline allows, reading the grants again each block.
		if (job.checks.is_some() || names_datasets)
			&& matches!(self.prepared.get(&id), Some(Err(Failure::SealedToOthers)))
		{
			let ack_by = job.assignments.iter().find(|assignment| assignment.provider == self.me);
			if let Some(ReplicaState::Assigned { ack_by }) =
				ack_by.map(|assignment| assignment.state.clone())
			{
				if head.number.saturating_add(GRANT_MARGIN) < ack_by {
					self.prepared.remove(&id);
					return Ok(Readiness::Wait);
				}
			}
		}
		Ok(match self.prepared.get(&id) {
			Some(Err(failure)) if failure.is_abstention() => Readiness::Decline(failure.clone()),
			_ => Readiness::Ack,
		})
	}

	/// Starts running job `id` in the background, unless it already runs.
	async fn start_run(
		&mut self,
		chain: &Chain,
		head: Block,
		id: u64,
		job: &Job,
		local: &mut LocalJob,
		window: Duration,
	) -> Result<()> {
		if !self.running.insert(id) {
			return Ok(());
		}
		local.requester = Some(job.requester.clone());
		self.store.set_job(id, local)?;
		// The program is read from the chain here; the input is fetched in the run's task.
		let prepared = match self.prepared.remove(&id) {
			Some(prepared) => Ok(Ok(Preparation::Ready(prepared))),
			None => {
				self.plan(chain, head, id, job).await.map(|plan| plan.map(Preparation::Planned))
			},
		};
		let prepared = match prepared {
			Ok(Ok(preparation)) => preparation,
			Ok(Err(failure)) => Preparation::Ready(Err(failure)),
			Err(error) => {
				// A node problem, not the job's: tried again at the next block.
				self.running.remove(&id);
				return Err(error);
			},
		};
		let inputs = self.inputs.clone();
		let executor = self.executor.clone();
		let containers = self.containers.clone();
		let finished = self.finished_tx.clone();
		// Every provider runs to the protocol's output limit, so an output over it is a result
		// they agree on; one over this provider's own smaller limit is an abstention.
		let max_output = offload_primitives::MAX_OUTPUT_BYTES;
		let kept_output = self.config.max_output_bytes;
		// Named per provider too, so workers sharing a host never replace each other's.
		let container_name = format!("offload-job-{id}-{}", container_owner(&self.me));
		info!(job = id, "running");
		tokio::spawn(async move {
			let prepared = match prepared {
				Preparation::Ready(prepared) => prepared,
				Preparation::Planned(plan) => plan.ready(id, &inputs).await,
			};
			let run = tokio::task::spawn_blocking(move || {
				let outcome = match prepared {
					Ok(PreparedRun::Wasm { hash, code, entry, input, fuel, memory_bytes }) => {
						executor.run(
							hash,
							&code,
							&entry,
							input,
							wasm::Limits { fuel, memory_bytes, max_output, wall: window },
						)
					},
					Ok(PreparedRun::Container { image, argv, input, mut limits }) => {
						limits.max_output = max_output;
						// The job's own limit, unless its deadline comes sooner.
						let window = u32::try_from(window.as_secs().max(1)).unwrap_or(u32::MAX);
						limits.max_seconds = limits.max_seconds.min(window);
						match containers {
							Some(containers) => {
								containers.run(&container_name, &image, &argv, input, limits)
							},
							None => {
								RunOutcome::failed(Failure::Unsupported("container jobs".into()))
							},
						}
					},
					Err(failure) => RunOutcome::failed(failure),
				};
				let outcome = match &outcome.result {
					Ok(output) if output.len() > kept_output => RunOutcome {
						result: Err(Failure::HostLimit(format!(
							"an output of {} bytes, over this provider's {kept_output}",
							output.len()
						))),
						..outcome
					},
					_ => outcome,
				};
				let _ = finished.send(Finished { job: id, outcome });
			});
			if let Err(error) = run.await {
				warn!(job = id, "the run's task ended: {error}");
			}
		});
		Ok(())
	}

	/// What a run needs from the chain (the program), and where its input comes from; a
	/// program gone from the chain, or a command line that is not UTF-8, is the run's failure.
	async fn plan(
		&self,
		chain: &Chain,
		head: Block,
		id: u64,
		job: &Job,
	) -> Result<Result<Plan, Failure>> {
		let (run, input) = match &job.spec.workload {
			api::Workload::Wasm { program, entry, input, fuel_limit, memory_limit_mib } => {
				let code = api::storage().market().code();
				let Some(code) = chain.storage(code, (*program,), Some(head.hash)).await? else {
					return Ok(Err(Failure::Input("the program is not on chain".into())));
				};
				let run = PreparedRun::Wasm {
					hash: *program,
					code: code.0,
					entry: String::from_utf8_lossy(entry).into_owned(),
					input: Vec::new(),
					fuel: *fuel_limit,
					memory_bytes: u64::from(*memory_limit_mib) << 20,
				};
				(run, input.clone())
			},
			api::Workload::Container { image_digest, command, input, max_seconds } => {
				let argv = match container::argv_of(command) {
					Ok(argv) => argv,
					Err(failure) => return Ok(Err(failure)),
				};
				let run = PreparedRun::Container {
					image: *image_digest,
					argv,
					input: Vec::new(),
					limits: container::Limits {
						max_seconds: *max_seconds,
						memory_mib: job.spec.resources.memory_mib,
						cpu_millicores: job.spec.resources.cpu_millicores,
						max_output: 0,
					},
				};
				(run, input.clone())
			},
		};
		let sealed = if job.spec.encrypted_input {
			let binding =
				envelope::binding_of(&chain.genesis(), job.requester.as_ref(), &job.spec.workload);
			// A dispute's re-executor opens the input with the requester's grant.
			let grant = if job.checks.is_some() {
				let grants = api::storage().market().grants();
				chain.storage(grants, (id,), Some(head.hash)).await?.map(|grant| grant.0)
			} else {
				None
			};
			Some((binding, grant))
		} else {
			None
		};
		let datasets = crate::datasets::sources(chain, head.hash, id, input.datasets()).await?;
		Ok(Ok(Plan { run, input, sealed, datasets }))
	}

	/// Keeps a finished run's output and report.
	fn record_run(&mut self, finished: Finished) -> Result<()> {
		let Finished { job: id, outcome } = finished;
		self.running.remove(&id);
		if let Some(reason) = outcome.abstention() {
			let mut local = self.store.job(id)?;
			local.abstained = Some(reason.to_string());
			self.store.set_job(id, &local)?;
			self.metrics.jobs_abstained.inc();
			warn!(job = id, %reason, "cannot run it here: giving it back");
			return Ok(());
		}
		let bytes = outcome.result_bytes();
		let result = self.store.put_result(&bytes)?;
		let mut local = self.store.job(id)?;
		local.report = Some(Report {
			result,
			ok: outcome.result.is_ok(),
			usage: api::Usage { fuel: outcome.fuel_used, seconds: outcome.seconds },
		});
		local.failure = outcome.result.as_ref().err().map(ToString::to_string);
		local.salt = self.salt(id);
		self.store.set_job(id, &local)?;
		failpoint("after-run");
		self.unsettled.insert(id);
		self.metrics.jobs_run.inc();
		self.metrics.fuel.inc_by(outcome.fuel_used);
		match &local.failure {
			Some(reason) => {
				self.metrics.jobs_failed.inc();
				info!(job = id, fuel = outcome.fuel_used, seconds = outcome.seconds, %reason, "run failed");
			},
			None => {
				let result = hex::encode(result);
				info!(
					job = id,
					fuel = outcome.fuel_used,
					seconds = outcome.seconds,
					result,
					"run done"
				)
			},
		}
		Ok(())
	}

	/// The commitment salt of job `id`: secret (derived from the provider's key), and the same
	/// after a restart.
	fn salt(&self, id: u64) -> [u8; 32] {
		let mut material = b"offload/salt".to_vec();
		material.extend(self.pair.to_raw_vec());
		material.extend(id.encode());
		sp_crypto_hashing::blake2_256(&material)
	}
}

/// Whether to acknowledge an assigned replica.
enum Readiness {
	/// Acknowledge it.
	Ack,
	/// Give it back: it cannot be run here.
	Decline(Failure),
	/// Not yet known: its input is being prepared.
	Wait,
}

/// A run planned on the main loop, its input still to be had.
struct Plan {
	run: PreparedRun,
	input: api::Input,
	/// The job's binding and the requester's grant, if its input is sealed.
	sealed: Option<([u8; 32], Option<Vec<u8>>)>,
	/// The datasets its input names.
	datasets: Vec<DatasetSource>,
}

impl Plan {
	/// The run with its input, or why the input cannot be had here.
	async fn ready(self, id: u64, inputs: &Inputs) -> Result<PreparedRun, Failure> {
		let bytes = inputs.get(id, &self.input, self.sealed, &self.datasets).await?;
		let mut run = self.run;
		match &mut run {
			PreparedRun::Wasm { input, .. } | PreparedRun::Container { input, .. } => {
				*input = bytes
			},
		}
		Ok(run)
	}
}

/// A run as [`Daemon::start_run`] finds it: prepared before acknowledging, or planned.
enum Preparation {
	Ready(Result<PreparedRun, Failure>),
	Planned(Plan),
}

/// Crash injection for tests: with `OFFLOAD_FAILPOINT=<point>` set, the daemon aborts at that
/// point, as a kill or a power cut would: `after-run` (its report stored, nothing sent),
/// `before-send:<Step>` (the step recorded, its transaction not sent), `after-send:<Step>`
/// (sent, nothing else recorded). Unset, it does nothing.
fn failpoint(point: &str) {
	if std::env::var_os("OFFLOAD_FAILPOINT").is_some_and(|wanted| wanted == point) {
		eprintln!("failpoint {point}: aborting");
		std::process::abort();
	}
}

/// What names this provider's containers: the first 8 bytes of its account, in hex.
fn container_owner(me: &AccountId) -> String {
	let me: &[u8] = me.as_ref();
	hex::encode(&me[..8])
}

/// A run's inputs, ready for its executor.
enum PreparedRun {
	Wasm {
		hash: [u8; 32],
		code: Vec<u8>,
		entry: String,
		input: Vec<u8>,
		fuel: u64,
		memory_bytes: u64,
	},
	Container {
		image: [u8; 32],
		argv: Vec<String>,
		input: Vec<u8>,
		limits: container::Limits,
	},
}

/// Removes results older than `keep`, at start and then once an hour.
async fn prune_results(store: Arc<Store>, keep: Duration, metrics: Arc<Metrics>) {
	let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
	loop {
		every_hour.tick().await;
		let store = store.clone();
		match tokio::task::spawn_blocking(move || store.prune_results(keep)).await {
			Ok(Ok(pruned)) if pruned.files > 0 => {
				metrics.results_pruned.inc_by(pruned.files);
				info!(files = pruned.files, bytes = pruned.bytes, "removed results past keeping");
			},
			Ok(Ok(_)) => {},
			Ok(Err(error)) => warn!("cannot prune results: {error:#}"),
			Err(error) => warn!("result pruning stopped: {error}"),
		}
	}
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
	let terminate = async {
		match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
			Ok(mut signal) => {
				signal.recv().await;
			},
			Err(_) => std::future::pending::<()>().await,
		}
	};
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {},
		_ = terminate => {},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_runs_window_follows_the_blocks_seen_and_keeps_a_margin() {
		let mut clock = BlockClock::new();
		// Before two heads: a parachain's six seconds a block.
		assert_eq!(clock.run_window(12), Duration::from_secs(48));
		let start = std::time::Instant::now();
		clock.observe(10, start);
		clock.observe(11, start + Duration::from_millis(500));
		assert_eq!(clock.run_window(12), Duration::from_secs(4));
		// Several blocks at once count as their average; a head seen again changes nothing.
		clock.observe(13, start + Duration::from_millis(1_500));
		clock.observe(13, start + Duration::from_secs(9));
		assert_eq!(clock.run_window(12), Duration::from_secs(4));
		// Never less than a block's worth, however close the deadline.
		assert_eq!(clock.run_window(1), Duration::from_millis(400));
	}
}
