//! The runtime APIs: what the node, `polkadot-omni-node`, polkadot.js (`api.call.*`) and other
//! clients call into. Every API declared here shows in the metadata (V15+).

use super::InherentDataExt;
use crate::{
	genesis_config_presets, AccountId, Balance, Block, BlockNumber, ConsensusHook, Datasets,
	Executive, Market, Nonce, ParachainInfo, ParachainSystem, Registry, Rewards, Runtime,
	RuntimeCall, RuntimeGenesisConfig, SessionKeys, Subscriptions, System, TransactionPayment,
	SLOT_DURATION, VERSION,
};
use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_aura::Authorities;
use pallet_offload_market::{
	runtime_api::{MarketStats, Quote},
	JobId, JobOf, JobSpec,
};
use pallet_offload_registry::{ProviderFilter, ProviderSummary};
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::Block as BlockT,
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

impl_runtime_apis! {
	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(SLOT_DURATION)
		}

		fn authorities() -> Vec<AuraId> {
			Authorities::<Runtime>::get().into_inner()
		}
	}

	impl cumulus_primitives_aura::AuraUnincludedSegmentApi<Block> for Runtime {
		fn can_build_upon(
			included_hash: <Block as BlockT>::Hash,
			slot: cumulus_primitives_aura::Slot,
		) -> bool {
			ConsensusHook::can_build_upon(included_hash, slot)
		}
	}

	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block)
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl cumulus_primitives_core::CollectCollationInfo<Block> for Runtime {
		fn collect_collation_info(header: &<Block as BlockT>::Header) -> cumulus_primitives_core::CollationInfo {
			ParachainSystem::collect_collation_info(header)
		}
	}

	impl cumulus_primitives_core::GetParachainInfo<Block> for Runtime {
		fn parachain_id() -> cumulus_primitives_core::ParaId {
			ParachainInfo::parachain_id()
		}
	}

	impl cumulus_primitives_core::RelayParentOffsetApi<Block> for Runtime {
		fn relay_parent_offset() -> u32 {
			0
		}

		fn max_claim_queue_offset() -> u8 {
			0
		}
	}

	impl cumulus_primitives_core::KeyToIncludeInRelayProof<Block> for Runtime {
		fn keys_to_prove() -> cumulus_primitives_core::RelayProofRequest {
			// Offload reads nothing from the relay chain's state beyond what cumulus proves.
			Default::default()
		}
	}

	impl pallet_offload_market::runtime_api::ComputeApi<
		Block,
		AccountId,
		Balance,
		JobSpec<Runtime>,
		JobOf<Runtime>,
		ProviderFilter<Balance>,
		ProviderSummary<Runtime>,
	> for Runtime {
		fn quote(spec: JobSpec<Runtime>) -> Result<Quote<AccountId, Balance>, sp_runtime::DispatchError> {
			Market::quote(&spec)
		}

		fn providers(
			filter: ProviderFilter<Balance>,
			after: Option<AccountId>,
			limit: u32,
		) -> (Vec<ProviderSummary<Runtime>>, Option<AccountId>) {
			Registry::search(&filter, after, limit.min(100))
		}

		fn job(id: JobId) -> Option<JobOf<Runtime>> {
			pallet_offload_market::Jobs::<Runtime>::get(id)
		}

		fn assignments(provider: AccountId) -> Vec<JobId> {
			Market::assignments_of(&provider)
		}

		fn expirable(id: JobId) -> bool {
			let now = frame_system::Pallet::<Runtime>::block_number();
			pallet_offload_market::Jobs::<Runtime>::get(id).is_some_and(|job| job.expirable_at(now))
		}

		fn stats() -> MarketStats<Balance> {
			Market::stats(pallet_offload_registry::ProviderCount::<Runtime>::get())
		}
	}

	impl pallet_offload_rewards::runtime_api::RewardsApi<Block, AccountId, Balance, BlockNumber>
		for Runtime
	{
		fn era() -> pallet_offload_rewards::runtime_api::EraStatus<Balance, BlockNumber> {
			Rewards::era_status()
		}

		fn earnings(
			who: AccountId,
		) -> Vec<pallet_offload_rewards::runtime_api::EraEarning<Balance, BlockNumber>> {
			Rewards::earnings_of(&who)
		}
	}

	impl pallet_offload_subscriptions::runtime_api::SubscriptionsApi<Block, AccountId, Balance, BlockNumber>
		for Runtime
	{
		fn subscription(
			id: pallet_offload_subscriptions::SubscriptionId,
		) -> Option<pallet_offload_subscriptions::runtime_api::SubscriptionView<AccountId, Balance, BlockNumber>> {
			Subscriptions::view(id)
		}

		fn subscriptions_of(
			who: AccountId,
		) -> Vec<pallet_offload_subscriptions::runtime_api::SubscriptionView<AccountId, Balance, BlockNumber>> {
			Subscriptions::views_of(&who)
		}

		fn quote(
			who: AccountId,
			kind: offload_primitives::RuntimeKind,
			resources: offload_primitives::Resources,
			min_reputation: sp_runtime::Permill,
			period: BlockNumber,
		) -> Option<pallet_offload_subscriptions::runtime_api::PeriodQuote<AccountId, Balance>> {
			Subscriptions::quote_for(&who, kind, resources, min_reputation, period)
		}
	}

	impl pallet_offload_datasets::runtime_api::DatasetsApi<Block, AccountId, Balance> for Runtime {
		fn dataset(
			id: pallet_offload_datasets::DatasetId,
		) -> Option<pallet_offload_datasets::runtime_api::DatasetView<AccountId, Balance>> {
			Datasets::view(id)
		}

		fn datasets(
			owner: Option<AccountId>,
			from: pallet_offload_datasets::DatasetId,
			limit: u32,
		) -> Vec<pallet_offload_datasets::runtime_api::DatasetView<AccountId, Balance>> {
			Datasets::views(owner, from, limit)
		}

		fn royalties(
			datasets: Vec<pallet_offload_datasets::DatasetId>,
			code: [u8; 32],
		) -> Result<Balance, sp_runtime::DispatchError> {
			Datasets::royalties(datasets, code)
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use crate::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);
			(list, AllPalletsWithSystem::storage_info())
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::BenchmarkBatch;
			use frame_support::traits::WhitelistedStorageKeys;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use crate::*;

			let whitelist = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			genesis_config_presets::preset_names()
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			// This API runs only in the off-chain try-runtime tool, never in a block: a failed
			// check has no other way out than aborting the tool, which prints this reason.
			let weight = Executive::try_runtime_upgrade(checks)
				.expect("try-runtime: the runtime upgrade's checks failed");
			(weight, crate::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			// As above: off-chain only; aborting is how the tool reports a failed block.
			Executive::try_execute_block(block, state_root_check, signature_check, select)
				.expect("try-runtime: executing the block failed its checks")
		}
	}
}
