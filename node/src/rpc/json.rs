//! The JSON shapes of the `offload_*` methods, and their conversion from and to the runtime's
//! types. Amounts are strings of plancks (10⁻¹² OFL), since they exceed what a JSON number
//! holds exactly; hashes and byte strings are `0x` hex; accounts are SS58 (prefix 42);
//! reputations are parts per million.

use frame_support::BoundedVec;
use offload_primitives::{Prices, Resources, RuntimeKind};
use offload_runtime::{AccountId, Balance, BlockNumber, Runtime};
use pallet_offload_datasets::runtime_api::DatasetView;
use pallet_offload_market::{
	runtime_api::{MarketStats, Quote},
	Dispute, Hash32, Input, JobOf, JobSpec, Phase, Pricing, ReplicaState, Report, Workload,
};
use pallet_offload_registry::{ProviderFilter, ProviderSummary, Status};
use pallet_offload_rewards::runtime_api::{EraEarning, EraStatus};
use pallet_offload_subscriptions::runtime_api::SubscriptionView;
use serde::{Deserialize, Serialize};
use sp_core::crypto::Ss58Codec;
use sp_runtime::Permill;

/// An amount in plancks: a decimal string, or a JSON number for small amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub Balance);

impl Serialize for Amount {
	fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
		serializer.serialize_str(&self.0.to_string())
	}
}

impl<'de> Deserialize<'de> for Amount {
	fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
		#[derive(Deserialize)]
		#[serde(untagged)]
		enum Either {
			Text(String),
			Number(u64),
		}
		match Either::deserialize(deserializer)? {
			Either::Number(number) => Ok(Amount(number.into())),
			Either::Text(text) => text.parse().map(Amount).map_err(|_| {
				serde::de::Error::custom(format!("`{text}` is not an amount in plancks"))
			}),
		}
	}
}

/// `0x` hex bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HexBytes(pub Vec<u8>);

impl Serialize for HexBytes {
	fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
		serializer.serialize_str(&format!("0x{}", hex_of(&self.0)))
	}
}

impl<'de> Deserialize<'de> for HexBytes {
	fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
		let text = String::deserialize(deserializer)?;
		sp_core::bytes::from_hex(&text)
			.map(HexBytes)
			.map_err(|_| serde::de::Error::custom(format!("`{text}` is not 0x hex")))
	}
}

fn hex_of(bytes: &[u8]) -> String {
	bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn hash_of(bytes: HexBytes, what: &str) -> Result<Hash32, String> {
	bytes.0.try_into().map_err(|_| format!("{what} must be 32 bytes"))
}

/// An account as SS58 text.
pub fn account_text(account: &AccountId) -> String {
	account.to_ss58check_with_version(offload_runtime::SS58_PREFIX.into())
}

/// An account from SS58 text.
pub fn parse_account(text: &str) -> Result<AccountId, String> {
	AccountId::from_ss58check(text).map_err(|_| format!("`{text}` is not an SS58 account"))
}

/// What a replica needs; every field defaults to 0.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ResourcesJson {
	/// CPU, in thousandths of a core.
	pub cpu_millicores: u32,
	/// Memory, in MiB.
	pub memory_mib: u32,
	/// Scratch storage, in GiB.
	pub storage_gib: u32,
	/// GPUs.
	pub gpus: u16,
}

impl From<ResourcesJson> for Resources {
	fn from(json: ResourcesJson) -> Self {
		Resources {
			cpu_millicores: json.cpu_millicores,
			memory_mib: json.memory_mib,
			storage_gib: json.storage_gib,
			gpus: json.gpus,
		}
	}
}

impl From<Resources> for ResourcesJson {
	fn from(resources: Resources) -> Self {
		ResourcesJson {
			cpu_millicores: resources.cpu_millicores,
			memory_mib: resources.memory_mib,
			storage_gib: resources.storage_gib,
			gpus: resources.gpus,
		}
	}
}

/// A job's input.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum InputJson {
	/// Bytes, as hex.
	Inline(HexBytes),
	/// Bytes, as UTF-8 text.
	Text(String),
	/// A URL and the blake2-256 hash of its bytes.
	Url {
		/// Where the provider fetches it.
		url: String,
		/// blake2-256 of the bytes.
		hash: HexBytes,
	},
	/// Registered datasets, after the job's own bytes.
	#[serde(rename_all = "camelCase")]
	Datasets {
		/// The job's own bytes, as hex (none).
		#[serde(default)]
		params: HexBytes,
		/// The datasets' ids.
		datasets: Vec<u64>,
		/// The most the job pays in royalties.
		max_royalties: Amount,
	},
}

impl Default for InputJson {
	fn default() -> Self {
		InputJson::Inline(HexBytes::default())
	}
}

impl InputJson {
	fn into_input(self) -> Result<Input<Runtime>, String> {
		let inline = |bytes: Vec<u8>| {
			BoundedVec::try_from(bytes)
				.map(Input::Inline)
				.map_err(|_| "the inline input is too long: give a URL".to_string())
		};
		match self {
			InputJson::Inline(bytes) => inline(bytes.0),
			InputJson::Text(text) => inline(text.into_bytes()),
			InputJson::Url { url, hash } => Ok(Input::Url {
				url: BoundedVec::try_from(url.into_bytes())
					.map_err(|_| "the input URL is too long".to_string())?,
				hash: hash_of(hash, "input.url.hash")?,
			}),
			InputJson::Datasets { params, datasets, max_royalties } => Ok(Input::Datasets {
				params: BoundedVec::try_from(params.0)
					.map_err(|_| "the parameters are too long".to_string())?,
				ids: BoundedVec::try_from(datasets)
					.map_err(|_| "a job names at most 4 datasets".to_string())?,
				max_royalties: max_royalties.0,
			}),
		}
	}
}

fn default_entry() -> String {
	"_start".into()
}

/// What a job runs.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum WorkloadJson {
	/// An uploaded WASM program.
	#[serde(rename_all = "camelCase")]
	Wasm {
		/// Its code hash.
		program: HexBytes,
		/// The exported function (`_start`).
		#[serde(default = "default_entry")]
		entry: String,
		/// The input (empty).
		#[serde(default)]
		input: InputJson,
		/// Most fuel.
		fuel_limit: u64,
		/// Most linear memory, in MiB.
		memory_limit_mib: u32,
	},
	/// A container image.
	#[serde(rename_all = "camelCase")]
	Container {
		/// The podman image ID (sha256 of its config).
		image_digest: HexBytes,
		/// The command line (empty: the image's).
		#[serde(default)]
		command: Vec<String>,
		/// The input (empty).
		#[serde(default)]
		input: InputJson,
		/// Most wall-clock seconds.
		max_seconds: u32,
	},
}

/// How a job pays each replica.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum PricingJson {
	/// Metered usage at the provider's prices, at most `budget` per replica.
	PayPerUse {
		/// Most a replica is paid.
		budget: Amount,
	},
	/// A fixed price per replica.
	Fixed {
		/// What a replica is paid.
		price: Amount,
	},
}

fn one() -> u8 {
	1
}
fn default_run_blocks() -> BlockNumber {
	50
}
fn default_queue_blocks() -> BlockNumber {
	20
}

/// A job as `offload_quote` takes it: the fields of `market.submitJob`'s spec.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobSpecJson {
	/// What runs.
	pub workload: WorkloadJson,
	/// What a replica needs (none).
	#[serde(default)]
	pub resources: ResourcesJson,
	/// How it pays.
	pub pricing: PricingJson,
	/// Providers that run it (1).
	#[serde(default = "one")]
	pub replicas: u8,
	/// Agreeing replicas needed (a majority).
	pub quorum: Option<u8>,
	/// Least provider reputation, in parts per million (0).
	#[serde(default)]
	pub min_reputation: u32,
	/// Verified providers only (false).
	#[serde(default)]
	pub verified_only: bool,
	/// The input is sealed (false).
	#[serde(default)]
	pub encrypted_input: bool,
	/// Blocks to deliver once acknowledged (50).
	#[serde(default = "default_run_blocks")]
	pub run_blocks: BlockNumber,
	/// Blocks to wait for providers (20).
	#[serde(default = "default_queue_blocks")]
	pub queue_blocks: BlockNumber,
}

impl JobSpecJson {
	/// The runtime's spec, or what is wrong with this one.
	pub fn into_spec(self) -> Result<JobSpec<Runtime>, String> {
		let workload = match self.workload {
			WorkloadJson::Wasm { program, entry, input, fuel_limit, memory_limit_mib } => {
				Workload::Wasm {
					program: hash_of(program, "workload.wasm.program")?,
					entry: BoundedVec::try_from(entry.into_bytes())
						.map_err(|_| "the entry point name is too long".to_string())?,
					input: input.into_input()?,
					fuel_limit,
					memory_limit_mib,
				}
			},
			WorkloadJson::Container { image_digest, command, input, max_seconds } => {
				Workload::Container {
					image_digest: hash_of(image_digest, "workload.container.imageDigest")?,
					command: BoundedVec::try_from(pallet_offload_market::command_line(&command))
						.map_err(|_| "the command line is too long".to_string())?,
					input: input.into_input()?,
					max_seconds,
				}
			},
		};
		if self.min_reputation > 1_000_000 {
			return Err("minReputation is in parts per million: at most 1000000".into());
		}
		Ok(JobSpec {
			workload,
			resources: self.resources.into(),
			pricing: match self.pricing {
				PricingJson::PayPerUse { budget } => Pricing::PayPerUse { budget: budget.0 },
				PricingJson::Fixed { price } => Pricing::Fixed { price: price.0 },
			},
			replicas: self.replicas,
			quorum: self.quorum.unwrap_or(self.replicas / 2 + 1),
			min_reputation: Permill::from_parts(self.min_reputation),
			verified_only: self.verified_only,
			encrypted_input: self.encrypted_input,
			run_blocks: self.run_blocks,
			queue_blocks: self.queue_blocks,
		})
	}
}

/// A provider a job would be matched to.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotedProviderJson {
	/// The provider.
	pub account: String,
	/// What one replica would cost there at the job's limits.
	pub quote: Amount,
	/// Its reputation, in parts per million.
	pub reputation: u32,
	/// Whether it is verified.
	pub verified: bool,
}

/// `offload_quote`'s answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteJson {
	/// The providers matching would pick, best first.
	pub providers: Vec<QuotedProviderJson>,
	/// Whether that many fit now (else the job would wait in the queue).
	pub matched_now: bool,
	/// What the replicas would cost at the job's limits.
	pub estimate: Amount,
	/// The most the job can pay providers.
	pub max_payment: Amount,
	/// What the datasets it names charge in royalties, paid if it ends with a result.
	pub royalties: Amount,
	/// What submitting holds: the maximum payment, the fee on it, the job deposit and the
	/// royalties.
	pub hold: Amount,
}

impl From<Quote<AccountId, Balance>> for QuoteJson {
	fn from(quote: Quote<AccountId, Balance>) -> Self {
		QuoteJson {
			providers: quote
				.providers
				.iter()
				.map(|provider| QuotedProviderJson {
					account: account_text(&provider.who),
					quote: Amount(provider.quote),
					reputation: provider.reputation.deconstruct(),
					verified: provider.verified,
				})
				.collect(),
			matched_now: quote.matched_now,
			estimate: Amount(quote.estimate),
			max_payment: Amount(quote.max_payment),
			royalties: Amount(quote.royalties),
			hold: Amount(quote.hold),
		}
	}
}

/// A runtime kind.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum RuntimeJson {
	/// WASM programs.
	Wasm,
	/// Containers.
	Container,
}

/// `offload_providers`' filter; every field is optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ProviderFilterJson {
	/// Runs this kind of job.
	pub runtime: Option<RuntimeJson>,
	/// Has at least this free.
	pub min_free: ResourcesJson,
	/// Unit price (per million fuel, or per second for containers) at most this.
	pub max_unit_price: Option<Amount>,
	/// Verified only.
	pub verified_only: bool,
	/// Taking jobs now only (active, alive, with a free slot).
	pub available_only: bool,
}

impl From<ProviderFilterJson> for ProviderFilter<Balance> {
	fn from(json: ProviderFilterJson) -> Self {
		ProviderFilter {
			runtime: json.runtime.map(|runtime| match runtime {
				RuntimeJson::Wasm => RuntimeKind::Wasm,
				RuntimeJson::Container => RuntimeKind::Container,
			}),
			free: json.min_free.into(),
			max_unit_price: json.max_unit_price.map(|amount| amount.0),
			verified_only: json.verified_only,
			available_only: json.available_only,
		}
	}
}

/// A provider's prices.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PricesJson {
	/// Per million fuel.
	pub per_million_fuel: Amount,
	/// Per container second.
	pub per_second: Amount,
	/// Per job.
	pub base_per_job: Amount,
}

impl From<Prices<Balance>> for PricesJson {
	fn from(prices: Prices<Balance>) -> Self {
		PricesJson {
			per_million_fuel: Amount(prices.per_million_fuel),
			per_second: Amount(prices.per_second),
			base_per_job: Amount(prices.base_per_job),
		}
	}
}

/// A registered provider.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderJson {
	/// The provider.
	pub account: String,
	/// `active`, `paused` or `leaving`.
	pub status: &'static str,
	/// For `leaving`: the block it deregistered at.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub leaving_since: Option<BlockNumber>,
	/// Takes jobs now (active, alive, with a free slot).
	pub available: bool,
	/// Verified (identity judgement or admin flag).
	pub verified: bool,
	/// Its reputation score now, in parts per million.
	pub reputation: u32,
	/// Jobs its reputation record counts.
	pub jobs: u32,
	/// The runtimes it offers.
	pub runtimes: Vec<RuntimeJson>,
	/// What it offers.
	pub resources: ResourcesJson,
	/// What is free of it.
	pub free: ResourcesJson,
	/// Jobs running.
	pub running: u16,
	/// Jobs it runs at once.
	pub max_concurrent: u16,
	/// Its prices.
	pub prices: PricesJson,
	/// Two-letter region code.
	pub region: String,
	/// Where it serves results.
	pub endpoint: String,
	/// Its x25519 key for sealed inputs.
	pub encryption_key: HexBytes,
	/// Block of its last heartbeat.
	pub last_heartbeat: BlockNumber,
}

impl From<&ProviderSummary<Runtime>> for ProviderJson {
	fn from(summary: &ProviderSummary<Runtime>) -> Self {
		let provider = &summary.provider;
		let offer = &provider.offer;
		let (status, leaving_since) = match provider.status {
			Status::Active => ("active", None),
			Status::Paused => ("paused", None),
			Status::Leaving { since } => ("leaving", Some(since)),
		};
		let mut runtimes = Vec::new();
		if offer.wasm {
			runtimes.push(RuntimeJson::Wasm);
		}
		if offer.container {
			runtimes.push(RuntimeJson::Container);
		}
		ProviderJson {
			account: account_text(&summary.who),
			status,
			leaving_since,
			available: summary.available,
			verified: summary.verified,
			reputation: summary.score.deconstruct(),
			jobs: provider.reputation.jobs,
			runtimes,
			resources: offer.resources.into(),
			free: provider.free.into(),
			running: provider.running,
			max_concurrent: offer.max_concurrent,
			prices: offer.prices.into(),
			region: String::from_utf8_lossy(&offer.region).into_owned(),
			endpoint: String::from_utf8_lossy(&offer.endpoint).into_owned(),
			encryption_key: HexBytes(offer.encryption_key.to_vec()),
			last_heartbeat: provider.last_heartbeat,
		}
	}
}

/// A page of `offload_providers`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvidersPageJson {
	/// The providers of this page that match.
	pub providers: Vec<ProviderJson>,
	/// Pass as `after` for the next page; `null` when there are no more.
	pub next: Option<String>,
}

/// A replica's report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportJson {
	/// blake2-256 of the output (or of the failure's reason).
	pub result: HexBytes,
	/// Whether the run completed.
	pub ok: bool,
	/// Fuel burnt (WASM).
	pub fuel: u64,
	/// Wall-clock seconds (containers).
	pub seconds: u32,
}

impl From<Report> for ReportJson {
	fn from(report: Report) -> Self {
		ReportJson {
			result: HexBytes(report.result.to_vec()),
			ok: report.ok,
			fuel: report.usage.fuel,
			seconds: report.usage.seconds,
		}
	}
}

/// One replica of a job.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentJson {
	/// The provider.
	pub provider: String,
	/// `assigned`, `running`, `committed` or `revealed`.
	pub state: &'static str,
	/// For `assigned`: the last block to acknowledge.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub ack_by: Option<BlockNumber>,
	/// For `running`: the last block to deliver.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub due: Option<BlockNumber>,
	/// For `revealed`: the report.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub report: Option<ReportJson>,
	/// For `revealed`: what its own report costs at its prices, before the job's cap (the
	/// payment uses the least usage among the agreeing replicas).
	#[serde(skip_serializing_if = "Option::is_none")]
	pub metered_cost: Option<Amount>,
	/// The prices it was matched at.
	pub prices: PricesJson,
}

/// `offload_job`'s answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobJson {
	/// The job id.
	pub id: u64,
	/// Who pays.
	pub requester: String,
	/// `queued`, `active`, `revealing` or `settled`.
	pub phase: &'static str,
	/// For `queued`: the last block it may wait.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub queued_until: Option<BlockNumber>,
	/// For `revealing`: the last block to reveal.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub reveal_by: Option<BlockNumber>,
	/// For `settled`: the block.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub settled_at: Option<BlockNumber>,
	/// For `settled`: the agreed result, or `null` when it was refunded without one.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub result: Option<Option<HexBytes>>,
	/// For `settled` with a result: whether the agreed run completed.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub ok: Option<bool>,
	/// For `settled`: paid to providers, fees excluded.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub paid: Option<Amount>,
	/// Block of submission.
	pub submitted_at: BlockNumber,
	/// `wasm` or `container`.
	pub runtime: RuntimeJson,
	/// The program's code hash (WASM) or the image ID (containers).
	pub code: HexBytes,
	/// Providers that run it.
	pub replicas: u8,
	/// Agreeing replicas needed.
	pub quorum: u8,
	/// `payPerUse` or `fixed`.
	pub pricing: &'static str,
	/// The most one replica is paid.
	pub cap_per_replica: Amount,
	/// Whether the input is sealed.
	pub encrypted_input: bool,
	/// The replicas.
	pub assignments: Vec<AssignmentJson>,
	/// Replicas dropped after missing a deadline.
	pub dropped: u8,
	/// A dispute of the result: `{"open"|"upheld"|"rejected": re-execution job id}`.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub dispute: Option<serde_json::Value>,
	/// For a job on a subscription: `{"id": subscription, "periodEnd": block}`, the period it
	/// belongs to (the periods pay for it; it pays nothing of its own).
	#[serde(skip_serializing_if = "Option::is_none")]
	pub subscription: Option<serde_json::Value>,
	/// The datasets its input names (empty: none).
	pub datasets: Vec<u64>,
}

impl JobJson {
	/// Job `id` as JSON.
	pub fn new(id: u64, job: &JobOf<Runtime>) -> Self {
		let mut json = JobJson {
			id,
			requester: account_text(&job.requester),
			phase: "active",
			queued_until: None,
			reveal_by: None,
			settled_at: None,
			result: None,
			ok: None,
			paid: None,
			submitted_at: job.submitted_at,
			runtime: match job.spec.workload.kind() {
				RuntimeKind::Wasm => RuntimeJson::Wasm,
				RuntimeKind::Container => RuntimeJson::Container,
			},
			code: HexBytes(match &job.spec.workload {
				Workload::Wasm { program, .. } => program.to_vec(),
				Workload::Container { image_digest, .. } => image_digest.to_vec(),
			}),
			replicas: job.spec.replicas,
			quorum: job.spec.quorum,
			pricing: match job.spec.pricing {
				Pricing::PayPerUse { .. } => "payPerUse",
				Pricing::Fixed { .. } => "fixed",
			},
			cap_per_replica: Amount(job.spec.pricing.cap()),
			encrypted_input: job.spec.encrypted_input,
			assignments: job.assignments.iter().map(assignment_json).collect(),
			dropped: job.dropped,
			dispute: job.dispute.as_ref().map(|dispute| match dispute {
				Dispute::Open(id) => serde_json::json!({ "open": id }),
				Dispute::Upheld(id) => serde_json::json!({ "upheld": id }),
				Dispute::Rejected(id) => serde_json::json!({ "rejected": id }),
			}),
			subscription: job
				.subscription
				.map(|on| serde_json::json!({ "id": on.id, "periodEnd": on.period_end })),
			datasets: job.spec.workload.input().datasets().to_vec(),
		};
		match job.phase {
			Phase::Queued { until } => {
				json.phase = "queued";
				json.queued_until = Some(until);
			},
			Phase::Active => {},
			Phase::Revealing { reveal_by } => {
				json.phase = "revealing";
				json.reveal_by = Some(reveal_by);
			},
			Phase::Settled { result, ok, paid, at } => {
				json.phase = "settled";
				json.settled_at = Some(at);
				json.result = Some(result.map(|hash| HexBytes(hash.to_vec())));
				json.ok = result.map(|_| ok);
				json.paid = Some(Amount(paid));
			},
		}
		json
	}
}

fn assignment_json(assignment: &pallet_offload_market::Assignment<Runtime>) -> AssignmentJson {
	let mut json = AssignmentJson {
		provider: account_text(&assignment.provider),
		state: "assigned",
		ack_by: None,
		due: None,
		report: None,
		metered_cost: None,
		prices: assignment.prices.into(),
	};
	match assignment.state {
		ReplicaState::Assigned { ack_by } => json.ack_by = Some(ack_by),
		ReplicaState::Running { due } => {
			json.state = "running";
			json.due = Some(due);
		},
		ReplicaState::Committed { .. } => json.state = "committed",
		ReplicaState::Revealed { report } => {
			json.state = "revealed";
			json.report = Some(report.into());
			json.metered_cost = Some(Amount(pallet_offload_market::pricing::cost(
				&assignment.prices,
				&report.usage,
			)));
		},
	}
	json
}

/// `offload_stats`' answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsJson {
	/// Registered providers.
	pub providers: u32,
	/// Providers taking jobs now (active, alive, with a free slot), counted among the first
	/// `providersScanned` records.
	pub providers_online: u32,
	/// Provider records read to count those online.
	pub providers_scanned: u32,
	/// Whether every provider was read, so `providersOnline` is exact.
	pub providers_online_exact: bool,
	/// Jobs submitted and not yet settled or refunded.
	pub open_jobs: u64,
	/// Jobs waiting for providers.
	pub queued_jobs: u32,
	/// Jobs settled with a result, ever.
	pub settled_jobs: u64,
	/// Jobs refunded without a result, ever.
	pub refunded_jobs: u64,
	/// Paid to providers, fees excluded, ever.
	pub total_paid: Amount,
}

impl StatsJson {
	/// The market's totals, and the online count of a scan.
	pub fn new(stats: MarketStats<Balance>, online: u32, scanned: u32, exact: bool) -> Self {
		StatsJson {
			providers: stats.providers,
			providers_online: online,
			providers_scanned: scanned,
			providers_online_exact: exact,
			open_jobs: stats.open_jobs,
			queued_jobs: stats.queued_jobs,
			settled_jobs: stats.settled_jobs,
			refunded_jobs: stats.refunded_jobs,
			total_paid: Amount(stats.total_paid),
		}
	}
}

/// The era in progress, in `offload_rewards`' answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardEraJson {
	/// Its index.
	pub index: u32,
	/// The block it started at.
	pub start: BlockNumber,
	/// Its planned length in blocks.
	pub length: BlockNumber,
	/// Its pot so far (emission is added when it ends).
	pub pot: Amount,
	/// The work settled in it so far.
	pub work: Amount,
	/// Tokens minted per block of an era with work.
	pub emission_per_block: Amount,
	/// How many eras after its end an era can be claimed.
	pub claim_eras: u32,
}

/// One unclaimed era of a provider, in `offload_rewards`' answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EarningJson {
	/// The era.
	pub era: u32,
	/// The provider's fee-paying work in it.
	pub work: Amount,
	/// The fees that work carried.
	pub fees: Amount,
	/// Blocks it was live.
	pub live: BlockNumber,
	/// The era's length (planned, while in progress).
	pub length: BlockNumber,
	/// The era's pot.
	pub pot: Amount,
	/// All providers' work in the era.
	pub total_work: Amount,
	/// The reward (an estimate while the era is in progress).
	pub reward: Amount,
	/// Whether `rewards.claim` pays it now.
	pub claimable: bool,
}

/// `offload_rewards`' answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardsJson {
	/// The era in progress.
	pub era: RewardEraJson,
	/// The account's unclaimed eras, oldest first.
	pub earnings: Vec<EarningJson>,
	/// What `rewards.claim` would pay now.
	pub claimable: Amount,
}

impl RewardsJson {
	/// The answer from the runtime API's.
	pub fn new(
		era: EraStatus<Balance, BlockNumber>,
		earnings: Vec<EraEarning<Balance, BlockNumber>>,
	) -> Self {
		let claimable = earnings
			.iter()
			.filter(|earning| earning.claimable)
			.fold(0, |sum: Balance, earning| sum.saturating_add(earning.reward));
		RewardsJson {
			era: RewardEraJson {
				index: era.index,
				start: era.start,
				length: era.length,
				pot: Amount(era.pot),
				work: Amount(era.work),
				emission_per_block: Amount(era.emission_per_block),
				claim_eras: era.claim_eras,
			},
			earnings: earnings
				.into_iter()
				.map(|earning| EarningJson {
					era: earning.era,
					work: Amount(earning.work),
					fees: Amount(earning.fees),
					live: earning.live,
					length: earning.length,
					pot: Amount(earning.pot),
					total_work: Amount(earning.total_work),
					reward: Amount(earning.reward),
					claimable: earning.claimable,
				})
				.collect(),
			claimable: Amount(claimable),
		}
	}
}

/// A dataset, in `offload_datasets`' answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetJson {
	/// Its id.
	pub id: u64,
	/// Its owner (SS58).
	pub owner: String,
	/// blake2-256 of the served bytes.
	pub hash: HexBytes,
	/// Their size.
	pub size: u64,
	/// Where they are served.
	pub location: String,
	/// Paid to the owner by each job over it that ends with a result.
	pub royalty: Amount,
	/// Programs (code hashes, image digests) allowed; empty: any.
	pub programs: Vec<HexBytes>,
	/// Only a job's assigned providers get its key.
	pub sealed: bool,
	/// Takes no new jobs.
	pub retired: bool,
	/// Open jobs using it.
	pub users: u32,
	/// The owner's deposit.
	pub deposit: Amount,
}

impl From<DatasetView<AccountId, Balance>> for DatasetJson {
	fn from(view: DatasetView<AccountId, Balance>) -> Self {
		DatasetJson {
			id: view.id,
			owner: account_text(&view.owner),
			hash: HexBytes(view.hash.to_vec()),
			size: view.size,
			location: String::from_utf8_lossy(&view.location).into_owned(),
			royalty: Amount(view.royalty),
			programs: view.programs.iter().map(|program| HexBytes(program.to_vec())).collect(),
			sealed: view.sealed,
			retired: view.retired,
			users: view.users,
			deposit: Amount(view.deposit),
		}
	}
}

/// `offload_datasets`' answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetsJson {
	/// The datasets of this page.
	pub datasets: Vec<DatasetJson>,
	/// The `from` of the next page, if there may be one.
	pub next: Option<u64>,
}

/// A subscription, in `offload_subscriptions`' answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionJson {
	/// Its id.
	pub id: u64,
	/// Who rents (SS58).
	pub requester: String,
	/// Who provides (SS58).
	pub provider: String,
	/// The kind of jobs the capacity runs.
	pub runtime: RuntimeJson,
	/// The capacity reserved.
	pub resources: ResourcesJson,
	/// What each period pays the provider.
	pub price: Amount,
	/// Blocks per period.
	pub period: BlockNumber,
	/// The block the running period started at.
	pub period_start: BlockNumber,
	/// The block it settles at.
	pub period_end: BlockNumber,
	/// The provider's live blocks so far in it.
	pub live: BlockNumber,
	/// Prepaid periods not settled yet, the running one included.
	pub periods_left: u32,
	/// What is still held for them, fees included.
	pub prepaid: Amount,
	/// Cancelled: ends when the running period settles.
	pub ending: bool,
	/// The requester's deposit for the record.
	pub deposit: Amount,
	/// The requester's jobs of the running period still open.
	pub jobs: u32,
	/// What they take of `resources`.
	pub in_use: ResourcesJson,
	/// Jobs of the running period whose provider missed a deadline (any fails the period).
	pub missed: u32,
}

/// `offload_subscriptions`' answer: an object, as `@polkadot/api`'s `Json` type decodes one.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionsJson {
	/// The account's subscriptions, as requester and as provider.
	pub subscriptions: Vec<SubscriptionJson>,
}

impl From<SubscriptionView<AccountId, Balance, BlockNumber>> for SubscriptionJson {
	fn from(view: SubscriptionView<AccountId, Balance, BlockNumber>) -> Self {
		let sub = view.subscription;
		SubscriptionJson {
			id: view.id,
			requester: account_text(&sub.requester),
			provider: account_text(&sub.provider),
			runtime: match sub.kind {
				RuntimeKind::Wasm => RuntimeJson::Wasm,
				RuntimeKind::Container => RuntimeJson::Container,
			},
			resources: sub.resources.into(),
			price: Amount(sub.price),
			period: sub.period,
			period_start: sub.period_start,
			period_end: sub.period_end,
			live: view.live,
			periods_left: sub.periods_left,
			prepaid: Amount(view.prepaid),
			ending: sub.ending,
			deposit: Amount(sub.deposit),
			jobs: sub.jobs,
			in_use: sub.in_use.into(),
			missed: sub.missed,
		}
	}
}
