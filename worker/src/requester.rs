//! The requester's side: upload a program, submit a job, follow it, fetch its result. Each
//! function is one `offload` subcommand; they print for people and return errors that say
//! what to fix.

use crate::{
	api::{
		self, bounded, Dispute, EscrowEvent, Event, Hash32, Input, Job, JobSpec, MarketEvent,
		Phase, Pricing, ProviderFilter, ProviderSummary, Quote, ReplicaState, Resources, Status,
		Workload,
	},
	chain::{self, AccountId, Balance, Chain, Hash, Included},
	config::format_ofl,
	envelope, http,
};
use anyhow::{anyhow, bail, Context, Result};
use sp_core::{sr25519, Pair};
use std::{path::Path, time::Duration};

/// Signs `call` as `pair`, waits for finality, and returns what it did.
pub async fn execute(
	chain: &Chain,
	pair: &sr25519::Pair,
	call: impl subxt::tx::Payload,
) -> Result<Included> {
	chain.execute(pair, &call).await
}

/// WASM bytes from a `.wasm` or `.wat` file.
pub fn read_program(path: &Path) -> Result<Vec<u8>> {
	let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
	if bytes.starts_with(b"\0asm") {
		return Ok(bytes);
	}
	wat::parse_bytes(&bytes)
		.map(|wasm| wasm.into_owned())
		.with_context(|| format!("{} is neither WASM nor valid WAT", path.display()))
}

/// Uploads `code` unless the chain has it; returns its hash.
pub async fn upload(chain: &Chain, pair: &sr25519::Pair, code: Vec<u8>) -> Result<Hash32> {
	let hash = sp_crypto_hashing::blake2_256(&code);
	if chain.storage(api::storage().market().code(), (hash,), None).await?.is_some() {
		println!("program 0x{} is already on chain", hex::encode(hash));
		return Ok(hash);
	}
	let included = execute(chain, pair, api::tx().market().upload_program(bounded(code))).await?;
	for event in &included.events {
		if let Event::Market(MarketEvent::ProgramUploaded { deposit, .. }) = event {
			println!("uploaded program 0x{} (deposit {})", hex::encode(hash), format_ofl(*deposit));
		}
	}
	Ok(hash)
}

/// What a job runs, as `offload submit` and `offload quote` take it.
pub enum WorkloadArgs {
	/// An uploaded WASM program.
	Wasm {
		/// The program's hash.
		program: Hash32,
		/// The entry point.
		entry: String,
		/// Fuel limit.
		fuel: u64,
		/// Memory limit in MiB.
		memory_mib: u32,
	},
	/// A container image.
	Container {
		/// The image ID.
		image: Hash32,
		/// The command line; empty for the image's default.
		argv: Vec<String>,
		/// Wall-clock limit in seconds.
		max_seconds: u32,
	},
}

/// What `offload submit` and `offload quote` describe.
pub struct JobArgs {
	/// What runs.
	pub workload: WorkloadArgs,
	/// The input.
	pub input: Input,
	/// Whether the input is sealed (see [`crate::envelope`]).
	pub encrypted: bool,
	/// Resources of a replica.
	pub resources: Resources,
	/// Pricing.
	pub pricing: Pricing<Balance>,
	/// Replicas and quorum.
	pub replicas: u8,
	/// Agreeing replicas needed.
	pub quorum: u8,
	/// Least reputation, in percent.
	pub min_reputation: u8,
	/// Verified providers only.
	pub verified_only: bool,
	/// Blocks to run.
	pub run_blocks: u32,
	/// Blocks to wait for providers.
	pub queue_blocks: u32,
	/// Datasets the input names, after its own (inline) bytes.
	pub datasets: Vec<u64>,
	/// The most to pay in the datasets' royalties.
	pub max_royalties: Balance,
}

impl JobArgs {
	/// The spec the chain takes.
	pub fn spec(&self) -> Result<JobSpec> {
		let input = match (&self.input, self.datasets.is_empty()) {
			(input, true) => input.clone(),
			(Input::Inline(params), false) => Input::Datasets {
				params: params.clone(),
				ids: bounded(self.datasets.clone()),
				max_royalties: self.max_royalties,
			},
			(_, false) => bail!("a job over datasets takes its own input inline, not from a URL"),
		};
		let workload = match &self.workload {
			WorkloadArgs::Wasm { program, entry, fuel, memory_mib } => Workload::Wasm {
				program: *program,
				entry: bounded(entry.clone().into_bytes()),
				input,
				fuel_limit: *fuel,
				memory_limit_mib: *memory_mib,
			},
			WorkloadArgs::Container { image, argv, max_seconds } => Workload::Container {
				image_digest: *image,
				command: bounded(offload_primitives::command_line(argv)),
				input,
				max_seconds: *max_seconds,
			},
		};
		Ok(JobSpec {
			workload,
			resources: self.resources,
			pricing: self.pricing,
			replicas: self.replicas,
			quorum: self.quorum,
			min_reputation: api::percent(self.min_reputation),
			verified_only: self.verified_only,
			encrypted_input: self.encrypted,
			run_blocks: self.run_blocks,
			queue_blocks: self.queue_blocks,
		})
	}
}

/// An input: inline bytes, or a URL whose bytes are fetched now to learn their hash (unless
/// `hash` is given).
pub async fn input(
	inline: Option<Vec<u8>>,
	url: Option<String>,
	hash: Option<Hash32>,
) -> Result<Input> {
	match (inline, url) {
		(Some(bytes), None) => Ok(Input::Inline(bounded(bytes))),
		(None, Some(url)) => {
			let hash = match hash {
				Some(hash) => hash,
				None => sp_crypto_hashing::blake2_256(
					&http::fetch(&url, 1 << 30, http::Reach::Any).await?,
				),
			};
			Ok(Input::Url { url: bounded(url.into_bytes()), hash })
		},
		(None, None) => Ok(Input::Inline(bounded(Vec::new()))),
		(Some(_), Some(_)) => bail!("give either an inline input or --input-url, not both"),
	}
}

/// The quote for `spec`, or why the chain would refuse it.
async fn quote_of(chain: &Chain, spec: JobSpec) -> Result<Quote<AccountId, Balance>> {
	let head = chain.finalized().await?;
	let quote = api::runtime_apis().compute_api().quote(spec);
	match chain.runtime_call(quote, Some(head.hash)).await? {
		Ok(quote) => Ok(quote),
		Err(error) => {
			bail!("the chain would refuse it: {}", chain.describe(&error, head.hash).await)
		},
	}
}

/// Providers beyond the job's replicas that a sealed input is also sealed to: if a matched
/// provider does not show up, the chain hands its replica to the next in rank, and that
/// provider must be able to open the input too.
pub const SEALED_SPARES: u8 = 2;

/// How many providers the input of a sealed job of `replicas` is sealed to: the replicas and
/// [`SEALED_SPARES`]; for a single replica, which may be disputed, enough that the dispute's
/// re-executors (ranked after the provider that ran it) can open it too, and one spare. The
/// limits are the chain's constants.
pub async fn sealed_recipients(chain: &Chain, replicas: u8) -> Result<u8> {
	let constants = api::constants().market();
	let most = chain.constant(constants.max_replicas()).await?;
	let checkers = chain.constant(constants.dispute_replicas()).await?;
	Ok(recipients_within(replicas, most, checkers))
}

/// [`sealed_recipients`] for a chain of at most `most` replicas and `checkers` re-executors
/// per dispute.
fn recipients_within(replicas: u8, most: u32, checkers: u32) -> u8 {
	let most = u8::try_from(most).unwrap_or(u8::MAX);
	let wanted = if replicas == 1 {
		u8::try_from(checkers).unwrap_or(u8::MAX).saturating_add(2)
	} else {
		replicas.saturating_add(SEALED_SPARES)
	};
	wanted.min(most).max(replicas)
}

/// Seals `plaintext` as the input of `args` for the providers matching would pick now and
/// those ranked after them (see [`sealed_recipients`] and [`crate::envelope`]), and the
/// requester `pair`'s reply key.
pub async fn seal_input(
	chain: &Chain,
	pair: &sr25519::Pair,
	args: &mut JobArgs,
	plaintext: &[u8],
	to: Option<AccountId>,
) -> Result<()> {
	args.encrypted = true;
	args.input = Input::Inline(bounded(Vec::new()));
	// A job on a subscription goes to the subscription's provider; any other to whom
	// matching gives it.
	let candidates = match to {
		Some(provider) => vec![provider],
		None => {
			// The same job with room for the spares: matching ranks candidates the same way
			// whatever the replica count, so this quote lists the job's own providers first,
			// then the spares.
			let mut wider = args.spec()?;
			wider.replicas = sealed_recipients(chain, args.replicas).await?;
			wider.quorum = wider.replicas;
			let quote = quote_of(chain, wider).await?;
			if quote.providers.len() < usize::from(args.replicas) {
				bail!(
					"too few providers fit now to seal the input to; try again, or lower the \
					 job's needs"
				);
			}
			quote.providers.into_iter().map(|candidate| candidate.who).collect()
		},
	};
	let mut recipients = Vec::new();
	for who in &candidates {
		let provider = chain
			.storage(api::storage().registry().providers(), (who.clone(),), None)
			.await?
			.ok_or_else(|| anyhow!("provider {who} left"))?;
		if provider.offer.encryption_key == [0; 32] {
			bail!("provider {who} takes no sealed inputs");
		}
		// Wrapped for a low-order key, the input could be opened by anyone: such a provider
		// gets nothing it can open, and gives its replica back to a spare if it is matched.
		if !envelope::is_usable_key(&provider.offer.encryption_key) {
			println!("provider {who} publishes a key of low order: not sealing to it");
			continue;
		}
		recipients.push(provider.offer.encryption_key);
	}
	// Bound to this chain, this requester and this workload: copied into another job, it
	// does not open.
	let requester = chain::account_of(pair);
	let binding =
		envelope::binding_of(&chain.genesis(), requester.as_ref(), &args.spec()?.workload);
	let sealed =
		envelope::seal_input(plaintext, &recipients, &envelope::public_of(pair), &binding)?;
	let size = sealed.len();
	let most = chain.constant(api::constants().market().max_inline_input()).await?;
	if size > most as usize {
		bail!("the sealed input is {size} bytes, more than an inline input may be ({most})");
	}
	args.input = Input::Inline(bounded(sealed));
	println!("input sealed to {} provider(s)", recipients.len());
	Ok(())
}

/// Prints the quote for `spec`.
pub async fn quote(chain: &Chain, spec: JobSpec) -> Result<()> {
	let quote = quote_of(chain, spec).await?;
	println!("estimate:    {}", format_ofl(quote.estimate));
	println!("max payment: {}", format_ofl(quote.max_payment));
	if quote.royalties > 0 {
		println!(
			"royalties:   {} (to the datasets' owners, if the job ends with a result)",
			format_ofl(quote.royalties)
		);
	}
	println!(
		"held:        {} (max payment + fee + job deposit + royalties)",
		format_ofl(quote.hold)
	);
	if !quote.matched_now {
		println!("too few providers fit now: the job would wait in the queue");
	}
	for provider in quote.providers {
		println!(
			"  {}  {}  reputation {:.1}%{}",
			provider.who,
			format_ofl(provider.quote),
			f64::from(provider.reputation.0) / 10_000.0,
			if provider.verified { "  verified" } else { "" }
		);
	}
	Ok(())
}

/// Prints the providers matching `filter`, following the chain's pages until `max` are shown.
pub async fn providers(chain: &Chain, filter: ProviderFilter<Balance>, max: usize) -> Result<()> {
	let mut after: Option<AccountId> = None;
	let mut shown = 0;
	loop {
		let call = api::runtime_apis().compute_api().providers(
			filter.clone(),
			after.clone(),
			PROVIDERS_PAGE,
		);
		let (page, next): (Vec<ProviderSummary>, Option<AccountId>) =
			chain.runtime_call(call, None).await?;
		for summary in page.into_iter().take(max - shown) {
			print_provider(&summary);
			shown += 1;
		}
		match next {
			Some(next) if shown < max => after = Some(next),
			Some(_) => {
				println!("(more: raise --limit to see them)");
				break;
			},
			None => break,
		}
	}
	if shown == 0 {
		println!("no provider matches");
	}
	Ok(())
}

/// Provider records read per runtime call; the chain caps a call at 100.
const PROVIDERS_PAGE: u32 = 100;

fn print_provider(summary: &ProviderSummary) {
	let ProviderSummary { who, provider, verified, available, score } = summary;
	let offer = &provider.offer;
	let mut runtimes = Vec::new();
	if offer.wasm {
		runtimes.push("wasm");
	}
	if offer.container {
		runtimes.push("container");
	}
	let status = match provider.status {
		Status::Active if *available => "available".to_string(),
		Status::Active => "busy or silent".to_string(),
		Status::Paused => "paused".to_string(),
		Status::Leaving { since } => format!("leaving since block {since}"),
	};
	println!("{}{}", who, if *verified { "  verified" } else { "" });
	println!(
		"  {status}; runs {}; region {}; reputation {:.1}% over {} job{}",
		runtimes.join(", "),
		String::from_utf8_lossy(&offer.region),
		f64::from(score.0) / 10_000.0,
		provider.reputation.jobs,
		if provider.reputation.jobs == 1 { "" } else { "s" },
	);
	println!(
		"  free {} of {} millicores, {} of {} MiB, {} of {} GiB; {} of {} jobs running",
		provider.free.cpu_millicores,
		offer.resources.cpu_millicores,
		provider.free.memory_mib,
		offer.resources.memory_mib,
		provider.free.storage_gib,
		offer.resources.storage_gib,
		provider.running,
		offer.max_concurrent,
	);
	println!(
		"  prices: {} per job, {} per million fuel, {} per second",
		format_ofl(offer.prices.base_per_job),
		format_ofl(offer.prices.per_million_fuel),
		format_ofl(offer.prices.per_second),
	);
	println!("  results at {}", String::from_utf8_lossy(&offer.endpoint));
}

/// Submits a job; returns its id.
pub async fn submit(chain: &Chain, pair: &sr25519::Pair, spec: JobSpec) -> Result<u64> {
	submitted(chain, pair, api::tx().market().submit_job(spec)).await
}

/// Submits a job that runs on subscription `subscription`'s reserved capacity; returns its id.
pub async fn submit_on_subscription(
	chain: &Chain,
	pair: &sr25519::Pair,
	subscription: u64,
	spec: JobSpec,
) -> Result<u64> {
	let call = api::tx().market().submit_subscription_job(subscription, spec);
	submitted(chain, pair, call).await
}

/// Sends a call that submits a job, prints where the job went; returns its id.
async fn submitted(
	chain: &Chain,
	pair: &sr25519::Pair,
	call: impl subxt::tx::Payload,
) -> Result<u64> {
	let included = execute(chain, pair, call).await?;
	let mut id = None;
	for event in &included.events {
		match event {
			Event::Market(MarketEvent::JobSubmitted { job, .. }) => {
				println!("submitted job {job}");
				id = Some(*job);
			},
			Event::Market(MarketEvent::JobAssigned { job, provider, .. }) => {
				println!("job {job} assigned to {}", provider);
			},
			Event::Market(MarketEvent::JobQueued { job, until }) => {
				println!("job {job} waits for providers until block {until}");
			},
			Event::Market(MarketEvent::JobOnSubscription { job, subscription }) => {
				println!("job {job} runs on subscription {subscription}, paid by its periods");
			},
			_ => {},
		}
	}
	id.ok_or_else(|| anyhow!("the chain did not report a submitted job"))
}

/// What came back to the requester in `events`: the escrow's refunds and transfers to `who`.
fn returned_to(events: &[Event], who: &AccountId) -> Balance {
	events
		.iter()
		.map(|event| match event {
			Event::Escrow(EscrowEvent::Refunded { requester, amount, .. }) if requester == who => {
				*amount
			},
			Event::Escrow(EscrowEvent::TransferredFromJob { to, amount, .. }) if to == who => {
				*amount
			},
			_ => 0,
		})
		.sum()
}

/// Sends `call` on job `id` as the requester `pair`, then prints that the job was `done` and
/// what came back.
async fn give_back(
	chain: &Chain,
	pair: &sr25519::Pair,
	id: u64,
	call: impl subxt::tx::Payload,
	done: &str,
) -> Result<()> {
	let included = execute(chain, pair, call).await?;
	let back = returned_to(&included.events, &chain::account_of(pair));
	println!("job {id} {done}; {} came back", format_ofl(back));
	Ok(())
}

/// Cancels job `id`, which no provider has acknowledged; everything held comes back.
pub async fn cancel(chain: &Chain, pair: &sr25519::Pair, id: u64) -> Result<()> {
	give_back(chain, pair, id, api::tx().market().cancel(id), "cancelled").await
}

/// Removes settled job `id`'s record from the chain, which returns its deposit.
pub async fn clear(chain: &Chain, pair: &sr25519::Pair, id: u64) -> Result<()> {
	give_back(chain, pair, id, api::tx().market().clear_job(id), "cleared").await
}

/// Disputes settled single-replica job `id`: other providers re-execute it. Returns the
/// re-execution's job id.
pub async fn dispute(chain: &Chain, pair: &sr25519::Pair, id: u64) -> Result<u64> {
	let call = api::tx().market().dispute(id);
	let included = execute(chain, pair, call).await?;
	let check = included
		.events
		.iter()
		.find_map(|event| match event {
			Event::Market(MarketEvent::DisputeOpened { check, .. }) => Some(*check),
			_ => None,
		})
		.ok_or_else(|| anyhow!("the chain did not report the dispute"))?;
	println!("job {id} disputed: re-executed as job {check}");
	for event in &included.events {
		match event {
			Event::Market(MarketEvent::JobAssigned { job, provider, .. }) if *job == check => {
				println!("job {job} assigned to {}", provider);
			},
			Event::Market(MarketEvent::JobQueued { job, until }) if *job == check => {
				println!("job {job} waits for providers until block {until}");
			},
			_ => {},
		}
	}
	let disputed =
		job(chain, id, None).await?.ok_or_else(|| anyhow!("no job {id} (unknown or cleared)"))?;
	if disputed.spec.encrypted_input {
		grant(chain, pair, &disputed, check).await?;
	}
	Ok(check)
}

/// Grants the sealed input of `disputed` to the re-executors drawn for its dispute's `check`
/// (a block or two after the dispute), who were not among the envelope's recipients.
async fn grant(chain: &Chain, pair: &sr25519::Pair, disputed: &Job, check: u64) -> Result<()> {
	let envelope = match &disputed.spec.workload {
		Workload::Wasm { input: Input::Inline(bytes), .. }
		| Workload::Container { input: Input::Inline(bytes), .. } => bytes.to_vec(),
		_ => bail!("the sealed input is not inline: grant it to the re-executors yourself"),
	};
	let deadline = std::time::Instant::now() + Duration::from_secs(120);
	let drawn = loop {
		let record = job(chain, check, None)
			.await?
			.ok_or_else(|| anyhow!("the re-execution {check} is gone"))?;
		if record.assignments.len() >= usize::from(record.spec.replicas) {
			break record.assignments;
		}
		if std::time::Instant::now() > deadline {
			bail!("no re-executors were drawn for job {check} within two minutes");
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	};
	let mut recipients = Vec::new();
	for assignment in &drawn {
		let providers = api::storage().registry().providers();
		let provider = chain.storage(providers, (assignment.provider.clone(),), None).await?;
		match provider.map(|provider| provider.offer.encryption_key) {
			Some(key) if envelope::is_usable_key(&key) => recipients.push(key),
			_ => println!(
				"re-executor {} publishes no usable key: it cannot be granted the input",
				assignment.provider
			),
		}
	}
	let grant = envelope::grant_input(&envelope, &envelope::secret_of(pair), &recipients)?;
	let call = api::tx().market().grant_input(check, bounded(grant));
	execute(chain, pair, call).await?;
	println!("the sealed input granted to job {check}'s {} re-executor(s)", recipients.len());
	Ok(())
}

/// Prints how the dispute of job `id` ended, or that it is still open.
pub async fn verdict(chain: &Chain, id: u64) -> Result<()> {
	let record =
		job(chain, id, None).await?.ok_or_else(|| anyhow!("no job {id} (unknown or cleared)"))?;
	match record.dispute {
		None => println!("job {id} is not disputed"),
		Some(Dispute::Open(check)) => println!("the dispute of job {id} is open (job {check})"),
		Some(Dispute::Upheld(check)) => println!(
			"dispute upheld: job {check} disagreed with job {id}'s result; its provider was \
			 slashed, and you were paid back first"
		),
		Some(Dispute::Rejected(check)) => println!(
			"dispute rejected: job {check} agreed with job {id}'s result, or reached no result; \
			 its provider keeps its bond"
		),
	}
	Ok(())
}

/// The job's record from the chain at `at` (the best block if `None`); `None` once cleared.
pub async fn job(chain: &Chain, id: u64, at: Option<Hash>) -> Result<Option<Job>> {
	chain.runtime_call(api::runtime_apis().compute_api().job(id), at).await
}

/// Prints the job's state.
pub async fn status(chain: &Chain, id: u64) -> Result<()> {
	let job =
		job(chain, id, None).await?.ok_or_else(|| anyhow!("no job {id} (unknown or cleared)"))?;
	println!("job {id} by {}", job.requester);
	if let Some(on) = &job.subscription {
		println!(
			"  on subscription {}, in its period ending at block {} (paid by the period)",
			on.id, on.period_end
		);
	}
	if let Input::Datasets { ids, max_royalties, .. } = job.spec.workload.input() {
		let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
		println!(
			"  over dataset(s) {}, royalties at most {} (paid to the owners if it ends with a result)",
			ids.join(", "),
			format_ofl(*max_royalties)
		);
	}
	match job.phase {
		Phase::Queued { until } => println!("  waiting for providers until block {until}"),
		Phase::Active => println!("  running"),
		Phase::Revealing { reveal_by } => println!("  revealing results until block {reveal_by}"),
		Phase::Settled { result, ok, paid, at } => match result {
			Some(result) => println!(
				"  settled at block {at}: result 0x{} ({}), paid {}",
				hex::encode(result),
				if ok { "ok" } else { "failed run" },
				format_ofl(paid)
			),
			None => println!("  settled at block {at} without a result (refunded)"),
		},
	}
	for assignment in &job.assignments {
		let state = match assignment.state {
			ReplicaState::Assigned { ack_by } => format!("assigned, ack by block {ack_by}"),
			ReplicaState::Running { due } => format!("running, due by block {due}"),
			ReplicaState::Committed { .. } => "committed".into(),
			ReplicaState::Revealed { report } => format!(
				"reported 0x{} ({}, {})",
				hex::encode(report.result),
				if report.ok { "ok" } else { "failed" },
				match job.spec.workload {
					Workload::Wasm { .. } => format!("{} fuel", report.usage.fuel),
					Workload::Container { .. } => format!("{} s", report.usage.seconds),
				}
			),
		};
		println!("  {}: {state}", assignment.provider);
	}
	Ok(())
}

/// How a watched job ended.
pub struct Ending {
	/// The result hash, if the job settled with one.
	pub result: Option<Hash32>,
	/// Whether the run succeeded.
	pub ok: bool,
	/// Paid to providers.
	pub paid: Balance,
}

/// Prints the job's events, from the block it was submitted in, until it settles or expires.
///
/// With a `keeper` key it also keeps the job moving: once a deadline has passed (a provider
/// did not acknowledge or deliver, the reveals closed, the wait in the queue ended) it calls
/// `market.expire`, which hands a missing replica to the next provider or ends the job and
/// refunds it. Anyone may call `expire`; the requester is the one who wants it called.
pub async fn watch(
	chain: &Chain,
	id: u64,
	timeout: Duration,
	keeper: Option<&sr25519::Pair>,
) -> Result<Ending> {
	let deadline = tokio::time::Instant::now() + timeout;
	let head = chain.finalized().await?;
	let submitted = match job(chain, id, Some(head.hash)).await? {
		None => bail!("no job {id} (unknown, or ended and cleared)"),
		Some(Job { phase: Phase::Settled { result, ok, paid, at }, .. }) => {
			println!("job {id} settled at block {at}");
			return Ok(Ending { result, ok, paid });
		},
		Some(job) => job.submitted_at,
	};
	// From the block the job was submitted in: what happened before this watch started (a
	// missed deadline, a replica handed on) is part of the job's story too.
	let mut next = submitted.max(1);
	// Finalized block after which to look at the deadlines again.
	let mut check_after = 0;
	loop {
		let finalized = chain.finalized().await?;
		let mut redrawn = false;
		while next <= finalized.number {
			let hash = chain.block_hash(next).await?;
			for (_, event) in chain.events(hash).await? {
				redrawn |= matches!(
					&event,
					Event::Market(MarketEvent::JobAssigned { job, .. }) if *job == id
				);
				if let Some(ending) = report_event(id, next, &event) {
					return Ok(ending);
				}
			}
			next += 1;
		}
		// A re-executor of a sealed dispute drawn anew (the last one let its acknowledgement
		// lapse) needs the input granted too.
		if let Some(pair) = keeper.filter(|_| redrawn) {
			let check = job(chain, id, Some(finalized.hash)).await?;
			if let Some(disputed) =
				check.filter(|check| check.spec.encrypted_input).and_then(|check| check.checks)
			{
				if let Some(disputed) = job(chain, disputed, Some(finalized.hash)).await? {
					if let Err(error) = grant(chain, pair, &disputed, id).await {
						println!("granting the input again: {error:#}");
					}
				}
			}
		}
		if let Some(pair) = keeper.filter(|_| finalized.number > check_after) {
			check_after = finalized.number;
			// The call lands in a later block, by when the deadline is still past.
			let expirable = api::runtime_apis().compute_api().expirable(id);
			if chain.runtime_call(expirable, Some(finalized.hash)).await? {
				println!("block {}: a deadline passed; calling expire", finalized.number);
				let call = api::tx().market().expire(id);
				if let Err(error) = execute(chain, pair, call).await {
					// Someone else may have been first; look again in a few blocks.
					println!("expire: {error:#}");
					check_after = finalized.number + 5;
				}
			}
		}
		if tokio::time::Instant::now() > deadline {
			bail!("job {id} did not settle within {timeout:?}; `offload status {id}` shows where it is");
		}
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
}

/// Prints `event` if it concerns job `id`; returns how the job ended if it did.
fn report_event(id: u64, block: u32, event: &Event) -> Option<Ending> {
	let say = |what: String| println!("block {block}: {what}");
	match event {
		Event::Market(event) => match event {
			MarketEvent::JobAssigned { job, provider, .. } if *job == id => {
				say(format!("assigned to {}", provider))
			},
			MarketEvent::JobAcknowledged { job, provider, .. } if *job == id => {
				say(format!("{} acknowledged", provider))
			},
			MarketEvent::JobDeclined { job, provider } if *job == id => {
				say(format!("{} cannot run it and gave it back", provider))
			},
			MarketEvent::ResultCommitted { job, provider } if *job == id => {
				say(format!("{} committed", provider))
			},
			MarketEvent::ResultRevealed { job, provider, .. } if *job == id => {
				say(format!("{} reported its result", provider))
			},
			MarketEvent::DeadlineMissed { job, provider, slashed } if *job == id => {
				say(format!("{} missed a deadline (slashed {})", provider, format_ofl(*slashed)))
			},
			MarketEvent::JobSettled { job, result, ok, paid, refunded } if *job == id => {
				say(format!(
					"settled: paid {}, refunded {}",
					format_ofl(*paid),
					format_ofl(*refunded)
				));
				return Some(Ending { result: *result, ok: *ok, paid: *paid });
			},
			MarketEvent::JobExpired { job, refunded, .. } if *job == id => {
				say(format!("expired: refunded {}", format_ofl(*refunded)));
				return Some(Ending { result: None, ok: false, paid: 0 });
			},
			_ => {},
		},
		Event::Escrow(EscrowEvent::ProviderPaid { job, provider, amount, fee }) if *job == id => {
			say(format!(
				"{} paid {} (protocol fee {})",
				provider,
				format_ofl(*amount),
				format_ofl(*fee)
			))
		},
		_ => {},
	}
	None
}

/// Fetches a settled job's output from a provider that reported the agreed result, checks it
/// against the hash on chain, and returns it with whether the run succeeded. Providers serve
/// an output only once they have seen the job settle on a finalized block, which may be a
/// block or two after the requester has: a refusal as too early is tried again for a while.
pub async fn result(chain: &Chain, pair: &sr25519::Pair, id: u64) -> Result<(Vec<u8>, bool)> {
	const ATTEMPTS: u32 = 20;
	let mut attempt = 1;
	loop {
		match fetch_result(chain, pair, id).await {
			Err(error) if attempt < ATTEMPTS && format!("{error:#}").contains("425") => {
				attempt += 1;
				tokio::time::sleep(Duration::from_secs(2)).await;
			},
			outcome => return outcome,
		}
	}
}

async fn fetch_result(chain: &Chain, pair: &sr25519::Pair, id: u64) -> Result<(Vec<u8>, bool)> {
	let job =
		job(chain, id, None).await?.ok_or_else(|| anyhow!("no job {id} (unknown or cleared)"))?;
	let Phase::Settled { result: Some(agreed), ok, .. } = job.phase else {
		bail!("job {id} has no result yet: `offload status {id}` shows where it is");
	};
	let expires = http::unix_now() + 120;
	let mut problems = Vec::new();
	for assignment in &job.assignments {
		if !matches!(assignment.state, ReplicaState::Revealed { report } if report.result == agreed)
		{
			continue;
		}
		let providers = api::storage().registry().providers();
		let Some(provider) = chain.storage(providers, (assignment.provider.clone(),), None).await?
		else {
			continue;
		};
		let endpoint = String::from_utf8_lossy(&provider.offer.endpoint).into_owned();
		let url = format!("{}/results/{id}", endpoint.trim_end_matches('/'));
		// For this provider, on this chain, for two minutes: replayed elsewhere, it is useless.
		let request =
			http::result_request(&chain.genesis(), assignment.provider.as_ref(), id, expires);
		let headers = [
			(http::SIGNATURE_HEADER, format!("0x{}", hex::encode(pair.sign(&request).0))),
			(http::EXPIRES_HEADER, expires.to_string()),
		];
		let fetched =
			http::fetch_with(&url, &headers, 64 << 20, http::Reach::Any).await.and_then(|bytes| {
				if !job.spec.encrypted_input {
					return Ok(bytes);
				}
				envelope::open_result(&bytes, &envelope::secret_of(pair))
					.map_err(|error| anyhow!("its sealed result: {error}"))
			});
		match fetched {
			Ok(bytes) if sp_crypto_hashing::blake2_256(&bytes) == agreed => return Ok((bytes, ok)),
			Ok(_) => {
				problems.push(format!("{endpoint} sent bytes that do not match the result hash"))
			},
			Err(error) => problems.push(format!("{endpoint}: {error:#}")),
		}
	}
	bail!("no provider served job {id}'s result: {}", problems.join("; "))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_sealed_input_is_sealed_to_the_replicas_spares_and_a_disputes_re_executors() {
		// One replica: itself, the three re-executors of a dispute, and a spare.
		// (The runtime's limits: seven replicas, three re-executors per dispute.)
		assert_eq!(recipients_within(1, 7, 3), 5);
		assert_eq!(recipients_within(2, 7, 3), 4);
		assert_eq!(recipients_within(3, 7, 3), 5);
		// At most the replica limit, seven.
		assert_eq!(recipients_within(6, 7, 3), 7);
		assert_eq!(recipients_within(7, 7, 3), 7);
	}
}
