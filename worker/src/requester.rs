//! The requester's side: upload a program, submit a job, follow it, fetch its result. Each
//! function is one `offload` subcommand; they print for people and return errors that say
//! what to fix.

use crate::{
	chain::{self, Chain, Included},
	config::format_ofl,
	http,
};
use anyhow::{anyhow, bail, Context, Result};
use frame_support::BoundedVec;
use offload_primitives::Resources;
use offload_runtime::{AccountId, Balance, Hash, Runtime, RuntimeCall, RuntimeEvent};
use pallet_offload_market::{
	runtime_api::Quote, Event as MarketEvent, Hash32, Input, JobOf, JobSpec, Phase, Pricing,
	ReplicaState, Workload,
};
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use sp_runtime::Permill;
use std::{path::Path, time::Duration};

/// Signs `call` as `pair`, waits for finality, and returns what it did.
pub async fn execute(chain: &Chain, pair: &sr25519::Pair, call: RuntimeCall) -> Result<Included> {
	let who = chain::account_of(pair);
	let nonce = chain.next_nonce(&who).await?;
	chain.submit_and_watch(&chain.sign(pair, call, nonce)).await
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
	let key = pallet_offload_market::Code::<Runtime>::hashed_key_for(hash);
	if chain.storage::<Vec<u8>>(&key, None).await?.is_some() {
		println!("program 0x{} is already on chain", hex::encode(hash));
		return Ok(hash);
	}
	let code = BoundedVec::try_from(code).map_err(|_| anyhow!("the program is too large"))?;
	let included = execute(
		chain,
		pair,
		RuntimeCall::Market(pallet_offload_market::Call::upload_program { code }),
	)
	.await?;
	for event in &included.events {
		if let RuntimeEvent::Market(MarketEvent::ProgramUploaded { deposit, .. }) = event {
			println!("uploaded program 0x{} (deposit {})", hex::encode(hash), format_ofl(*deposit));
		}
	}
	Ok(hash)
}

/// What `offload submit` and `offload quote` describe.
pub struct JobArgs {
	/// The program's hash.
	pub program: Hash32,
	/// The entry point.
	pub entry: String,
	/// The input.
	pub input: Input<Runtime>,
	/// Fuel limit.
	pub fuel: u64,
	/// Memory limit in MiB.
	pub memory_mib: u32,
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
}

impl JobArgs {
	/// The spec the chain takes.
	pub fn spec(&self) -> Result<JobSpec<Runtime>> {
		Ok(JobSpec {
			workload: Workload::Wasm {
				program: self.program,
				entry: BoundedVec::try_from(self.entry.clone().into_bytes())
					.map_err(|_| anyhow!("the entry point name is too long"))?,
				input: self.input.clone(),
				fuel_limit: self.fuel,
				memory_limit_mib: self.memory_mib,
			},
			resources: self.resources,
			pricing: self.pricing,
			replicas: self.replicas,
			quorum: self.quorum,
			min_reputation: Permill::from_percent(self.min_reputation.min(100).into()),
			verified_only: self.verified_only,
			encrypted_input: false,
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
) -> Result<Input<Runtime>> {
	match (inline, url) {
		(Some(bytes), None) => {
			Ok(Input::Inline(BoundedVec::try_from(bytes).map_err(|_| {
				anyhow!("the input is larger than an inline input may be: serve it and pass --input-url")
			})?))
		},
		(None, Some(url)) => {
			let hash = match hash {
				Some(hash) => hash,
				None => sp_crypto_hashing::blake2_256(&http::fetch(&url, 1 << 30).await?),
			};
			Ok(Input::Url {
				url: BoundedVec::try_from(url.into_bytes())
					.map_err(|_| anyhow!("the input URL is too long"))?,
				hash,
			})
		},
		(None, None) => Ok(Input::Inline(BoundedVec::new())),
		(Some(_), Some(_)) => bail!("give either an inline input or --input-url, not both"),
	}
}

/// Prints the quote for `spec`.
pub async fn quote(chain: &Chain, spec: JobSpec<Runtime>) -> Result<()> {
	let quote: Result<Quote<AccountId, Balance>, sp_runtime::DispatchError> =
		chain.runtime_call("ComputeApi_quote", spec, None).await?;
	let quote =
		quote.map_err(|error| anyhow!("the chain would refuse it: {}", chain::describe(&error)))?;
	println!("estimate:    {}", format_ofl(quote.estimate));
	println!("max payment: {}", format_ofl(quote.max_payment));
	println!("held:        {} (max payment + fee + job deposit)", format_ofl(quote.hold));
	if !quote.matched_now {
		println!("too few providers fit now: the job would wait in the queue");
	}
	for provider in quote.providers {
		println!(
			"  {}  {}  reputation {:?}{}",
			provider.who.to_ss58check(),
			format_ofl(provider.quote),
			provider.reputation,
			if provider.verified { "  verified" } else { "" }
		);
	}
	Ok(())
}

/// Submits a job; returns its id.
pub async fn submit(chain: &Chain, pair: &sr25519::Pair, spec: JobSpec<Runtime>) -> Result<u64> {
	let call = RuntimeCall::Market(pallet_offload_market::Call::submit_job { spec });
	let included = execute(chain, pair, call).await?;
	let mut id = None;
	for event in &included.events {
		match event {
			RuntimeEvent::Market(MarketEvent::JobSubmitted { job, .. }) => {
				println!("submitted job {job}");
				id = Some(*job);
			},
			RuntimeEvent::Market(MarketEvent::JobAssigned { job, provider, .. }) => {
				println!("job {job} assigned to {}", provider.to_ss58check());
			},
			RuntimeEvent::Market(MarketEvent::JobQueued { job, until }) => {
				println!("job {job} waits for providers until block {until}");
			},
			_ => {},
		}
	}
	id.ok_or_else(|| anyhow!("the chain did not report a submitted job"))
}

/// The job's record from the chain at `at` (the best block if `None`); `None` once cleared.
pub async fn job(chain: &Chain, id: u64, at: Option<Hash>) -> Result<Option<JobOf<Runtime>>> {
	chain.runtime_call("ComputeApi_job", id, at).await
}

/// Prints the job's state.
pub async fn status(chain: &Chain, id: u64) -> Result<()> {
	let job =
		job(chain, id, None).await?.ok_or_else(|| anyhow!("no job {id} (unknown or cleared)"))?;
	println!("job {id} by {}", job.requester.to_ss58check());
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
				"reported 0x{} ({}, {} fuel)",
				hex::encode(report.result),
				if report.ok { "ok" } else { "failed" },
				report.usage.fuel
			),
		};
		println!("  {}: {state}", assignment.provider.to_ss58check());
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

/// Prints the job's events from finalized blocks until it settles or expires.
pub async fn watch(chain: &Chain, id: u64, timeout: Duration) -> Result<Ending> {
	let deadline = tokio::time::Instant::now() + timeout;
	let head = chain.finalized().await?;
	match job(chain, id, Some(head.hash)).await? {
		None => bail!("no job {id} (unknown, or ended and cleared)"),
		Some(JobOf::<Runtime> { phase: Phase::Settled { result, ok, paid, at }, .. }) => {
			println!("job {id} settled at block {at}");
			return Ok(Ending { result, ok, paid });
		},
		Some(_) => {},
	}
	let mut next = head.number + 1;
	loop {
		let finalized = chain.finalized().await?.number;
		while next <= finalized {
			let hash = chain.block_hash(next).await?;
			for (_, event) in chain.events(hash).await? {
				if let Some(ending) = report_event(id, next, &event) {
					return Ok(ending);
				}
			}
			next += 1;
		}
		if tokio::time::Instant::now() > deadline {
			bail!("job {id} did not settle within {timeout:?}; `offload status {id}` shows where it is");
		}
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
}

/// Prints `event` if it concerns job `id`; returns how the job ended if it did.
fn report_event(id: u64, block: u32, event: &RuntimeEvent) -> Option<Ending> {
	let say = |what: String| println!("block {block}: {what}");
	match event {
		RuntimeEvent::Market(event) => match event {
			MarketEvent::JobAssigned { job, provider, .. } if *job == id => {
				say(format!("assigned to {}", provider.to_ss58check()))
			},
			MarketEvent::JobAcknowledged { job, provider, .. } if *job == id => {
				say(format!("{} acknowledged", provider.to_ss58check()))
			},
			MarketEvent::ResultCommitted { job, provider } if *job == id => {
				say(format!("{} committed", provider.to_ss58check()))
			},
			MarketEvent::ResultRevealed { job, provider, .. } if *job == id => {
				say(format!("{} reported its result", provider.to_ss58check()))
			},
			MarketEvent::DeadlineMissed { job, provider, slashed } if *job == id => say(format!(
				"{} missed a deadline (slashed {})",
				provider.to_ss58check(),
				format_ofl(*slashed)
			)),
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
		RuntimeEvent::Escrow(pallet_offload_escrow::Event::ProviderPaid {
			job,
			provider,
			amount,
			fee,
		}) if *job == id => say(format!(
			"{} paid {} (protocol fee {})",
			provider.to_ss58check(),
			format_ofl(*amount),
			format_ofl(*fee)
		)),
		_ => {},
	}
	None
}

/// Fetches a settled job's output from a provider that reported the agreed result, checks it
/// against the hash on chain, and returns it with whether the run succeeded.
pub async fn result(chain: &Chain, pair: &sr25519::Pair, id: u64) -> Result<(Vec<u8>, bool)> {
	let job =
		job(chain, id, None).await?.ok_or_else(|| anyhow!("no job {id} (unknown or cleared)"))?;
	let Phase::Settled { result: Some(agreed), ok, .. } = job.phase else {
		bail!("job {id} has no result yet: `offload status {id}` shows where it is");
	};
	let signature = pair.sign(&http::result_request(id));
	let mut problems = Vec::new();
	for assignment in &job.assignments {
		if !matches!(assignment.state, ReplicaState::Revealed { report } if report.result == agreed)
		{
			continue;
		}
		let key =
			pallet_offload_registry::Providers::<Runtime>::hashed_key_for(&assignment.provider);
		let Some(provider) =
			chain.storage::<pallet_offload_registry::ProviderOf<Runtime>>(&key, None).await?
		else {
			continue;
		};
		let endpoint = String::from_utf8_lossy(&provider.offer.endpoint).into_owned();
		let url = format!(
			"{}/results/{id}?signature=0x{}",
			endpoint.trim_end_matches('/'),
			hex::encode(signature.0)
		);
		match http::fetch(&url, 64 << 20).await {
			Ok(bytes) if sp_crypto_hashing::blake2_256(&bytes) == agreed => return Ok((bytes, ok)),
			Ok(_) => {
				problems.push(format!("{endpoint} sent bytes that do not match the result hash"))
			},
			Err(error) => problems.push(format!("{endpoint}: {error:#}")),
		}
	}
	bail!("no provider served job {id}'s result: {}", problems.join("; "))
}
