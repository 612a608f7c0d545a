//! `offload_*`: JSON-RPC methods over the market's runtime API (`ComputeApi`), at a given
//! block or the best one. Each answers from one block's state and does bounded work: a
//! providers page reads at most 100 records, and `offload_stats` counts online providers
//! among at most [`ONLINE_SCAN`] records.

use super::json::{
	parse_account, DatasetJson, DatasetsJson, JobJson, JobSpecJson, ProviderFilterJson,
	ProviderJson, ProvidersPageJson, QuoteJson, RewardsJson, StatsJson, SubscriptionJson,
	SubscriptionsJson,
};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::INVALID_PARAMS_CODE, ErrorObjectOwned},
};
use offload_runtime::{
	opaque::Block, AccountId, Balance, BlockNumber, Hash, Runtime, RuntimeError,
};
use pallet_offload_datasets::runtime_api::DatasetsApi;
use pallet_offload_market::{runtime_api::ComputeApi, JobOf, JobSpec};
use pallet_offload_registry::{ProviderFilter, ProviderSummary};
use pallet_offload_rewards::runtime_api::RewardsApi;
use pallet_offload_subscriptions::runtime_api::SubscriptionsApi;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use std::sync::Arc;

/// Most providers one `offload_providers` page holds.
pub const MAX_PAGE: u32 = 100;

/// Most provider records `offload_stats` reads to count those online.
pub const ONLINE_SCAN: u32 = 1_000;

/// Error code: the runtime call failed (unknown block, or the runtime could not answer).
pub const RUNTIME_ERROR: i32 = 1;
/// Error code: the chain would refuse the job; the message names the error.
pub const REFUSED: i32 = 2;

/// The `offload_*` methods.
#[rpc(server, namespace = "offload")]
pub trait OffloadApi {
	/// The price and the providers a job with `spec` would get if submitted now.
	#[method(name = "quote")]
	fn quote(&self, spec: JobSpecJson, at: Option<Hash>) -> RpcResult<QuoteJson>;

	/// Registered providers matching `filter`, a page at a time: at most `limit` (≤ 100)
	/// records read after `after`; pass the answer's `next` as `after` for the next page.
	#[method(name = "providers")]
	fn providers(
		&self,
		filter: Option<ProviderFilterJson>,
		after: Option<String>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<ProvidersPageJson>;

	/// A job: phase, deadlines, replicas and their reports, result and payment; `null` for an
	/// unknown job or one whose record was cleared.
	#[method(name = "job")]
	fn job(&self, id: u64, at: Option<Hash>) -> RpcResult<Option<JobJson>>;

	/// Market totals: providers (and how many take jobs now), open, queued, settled and
	/// refunded jobs, and the total paid to providers.
	#[method(name = "stats")]
	fn stats(&self, at: Option<Hash>) -> RpcResult<StatsJson>;

	/// The reward pool's era in progress, and `who`'s unclaimed eras with their rewards and
	/// what a claim pays now.
	#[method(name = "rewards")]
	fn rewards(&self, who: String, at: Option<Hash>) -> RpcResult<RewardsJson>;

	/// `who`'s subscriptions, as requester and as provider (at most the requester's bound
	/// plus the provider's job slots).
	#[method(name = "subscriptions")]
	fn subscriptions(&self, who: String, at: Option<Hash>) -> RpcResult<SubscriptionsJson>;

	/// Registered datasets from id `from` (0) on, at most `limit` (≤ 100, default 100); with
	/// `owner`, only its datasets. Pass the answer's `next` as `from` for the next page.
	#[method(name = "datasets")]
	fn datasets(
		&self,
		owner: Option<String>,
		from: Option<u64>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<DatasetsJson>;
}

/// The methods' implementation over a client.
pub struct Offload<C> {
	client: Arc<C>,
}

impl<C> Offload<C> {
	/// The methods over `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(INVALID_PARAMS_CODE, message.into(), None::<()>)
}

fn runtime_error(error: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(RUNTIME_ERROR, format!("runtime call failed: {error}"), None::<()>)
}

/// The block to answer at (the best one if `None`), checked to exist.
fn block<C: HeaderBackend<Block>>(client: &C, at: Option<Hash>) -> RpcResult<Hash> {
	let hash = at.unwrap_or_else(|| client.info().best_hash);
	match client.header(hash) {
		Ok(Some(_)) => Ok(hash),
		Ok(None) => Err(invalid(format!("unknown block {hash:?}"))),
		Err(error) => Err(runtime_error(error)),
	}
}

impl<C> OffloadApiServer for Offload<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: ComputeApi<
			Block,
			AccountId,
			Balance,
			JobSpec<Runtime>,
			JobOf<Runtime>,
			ProviderFilter<Balance>,
			ProviderSummary<Runtime>,
		> + RewardsApi<Block, AccountId, Balance, BlockNumber>
		+ SubscriptionsApi<Block, AccountId, Balance, BlockNumber>
		+ DatasetsApi<Block, AccountId, Balance>,
{
	fn quote(&self, spec: JobSpecJson, at: Option<Hash>) -> RpcResult<QuoteJson> {
		let spec = spec.into_spec().map_err(invalid)?;
		let at = block(&*self.client, at)?;
		let api = self.client.runtime_api();
		match ComputeApi::quote(&*api, at, spec).map_err(runtime_error)? {
			Ok(quote) => Ok(quote.into()),
			Err(error) => {
				let name = match RuntimeError::from_dispatch_error(error) {
					Some(named) => format!("{named:?}"),
					None => format!("{error:?}"),
				};
				Err(ErrorObjectOwned::owned(
					REFUSED,
					format!("the chain would refuse this job: {name}"),
					Some(name),
				))
			},
		}
	}

	fn providers(
		&self,
		filter: Option<ProviderFilterJson>,
		after: Option<String>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<ProvidersPageJson> {
		let limit = limit.unwrap_or(MAX_PAGE);
		if limit == 0 || limit > MAX_PAGE {
			return Err(invalid(format!("limit must be 1 to {MAX_PAGE}")));
		}
		let after = after.as_deref().map(parse_account).transpose().map_err(invalid)?;
		let at = block(&*self.client, at)?;
		let (found, next) = self
			.client
			.runtime_api()
			.providers(at, filter.unwrap_or_default().into(), after, limit)
			.map_err(runtime_error)?;
		Ok(ProvidersPageJson {
			providers: found.iter().map(ProviderJson::from).collect(),
			next: next.as_ref().map(super::json::account_text),
		})
	}

	fn job(&self, id: u64, at: Option<Hash>) -> RpcResult<Option<JobJson>> {
		let at = block(&*self.client, at)?;
		let job = self.client.runtime_api().job(at, id).map_err(runtime_error)?;
		Ok(job.map(|job| JobJson::new(id, &job)))
	}

	fn stats(&self, at: Option<Hash>) -> RpcResult<StatsJson> {
		let at = block(&*self.client, at)?;
		let api = self.client.runtime_api();
		let stats = api.stats(at).map_err(runtime_error)?;
		let filter = ProviderFilter {
			runtime: None,
			free: Default::default(),
			max_unit_price: None,
			verified_only: false,
			available_only: true,
		};
		// A page reads at most MAX_PAGE records; stop after ONLINE_SCAN of them.
		let (mut online, mut scanned, mut after) = (0u32, 0u32, None);
		let exact = loop {
			let (found, next) =
				api.providers(at, filter.clone(), after, MAX_PAGE).map_err(runtime_error)?;
			online = online.saturating_add(found.len() as u32);
			scanned = scanned.saturating_add(MAX_PAGE);
			match next {
				Some(next) if scanned < ONLINE_SCAN => after = Some(next),
				next => break next.is_none(),
			}
		};
		let scanned = scanned.min(stats.providers);
		Ok(StatsJson::new(stats, online, scanned, exact))
	}

	fn rewards(&self, who: String, at: Option<Hash>) -> RpcResult<RewardsJson> {
		let who = parse_account(&who).map_err(invalid)?;
		let at = block(&*self.client, at)?;
		let api = self.client.runtime_api();
		let era = api.era(at).map_err(runtime_error)?;
		let earnings = api.earnings(at, who).map_err(runtime_error)?;
		Ok(RewardsJson::new(era, earnings))
	}

	fn subscriptions(&self, who: String, at: Option<Hash>) -> RpcResult<SubscriptionsJson> {
		let who = parse_account(&who).map_err(invalid)?;
		let at = block(&*self.client, at)?;
		let views = self.client.runtime_api().subscriptions_of(at, who).map_err(runtime_error)?;
		Ok(SubscriptionsJson {
			subscriptions: views.into_iter().map(SubscriptionJson::from).collect(),
		})
	}

	fn datasets(
		&self,
		owner: Option<String>,
		from: Option<u64>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<DatasetsJson> {
		let owner = owner.as_deref().map(parse_account).transpose().map_err(invalid)?;
		let at = block(&*self.client, at)?;
		let limit = limit.unwrap_or(MAX_PAGE).min(MAX_PAGE);
		let views = self
			.client
			.runtime_api()
			.datasets(at, owner, from.unwrap_or(0), limit)
			.map_err(runtime_error)?;
		let next = match views.last() {
			Some(last) if views.len() as u32 == limit => Some(last.id.saturating_add(1)),
			_ => None,
		};
		Ok(DatasetsJson { datasets: views.into_iter().map(DatasetJson::from).collect(), next })
	}
}
