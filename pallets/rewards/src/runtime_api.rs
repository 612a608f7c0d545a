//! `RewardsApi`: the pool's queries, as a runtime API (polkadot.js decorates them as
//! `api.call.rewardsApi.*` from metadata alone), wrapped by the node's `offload_rewards` and
//! `offload_rewardEra` JSON-RPC methods.

use crate::{pallet::*, EraIndex};
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::Saturating;

/// The era in progress.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct EraStatus<Balance, BlockNumber> {
	/// Its index.
	pub index: EraIndex,
	/// The block it started at.
	pub start: BlockNumber,
	/// Its planned length in blocks.
	pub length: BlockNumber,
	/// Its pot so far (fee shares and any carried-over pot; emission is added when it ends).
	pub pot: Balance,
	/// The work settled in it so far.
	pub work: Balance,
	/// Tokens minted per block of an era with work.
	pub emission_per_block: Balance,
	/// How many eras after its end an era can be claimed.
	pub claim_eras: u32,
}

/// One of a provider's unclaimed eras and its reward.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct EraEarning<Balance, BlockNumber> {
	/// The era.
	pub era: EraIndex,
	/// The provider's fee-paying work in it.
	pub work: Balance,
	/// The fees that work carried.
	pub fees: Balance,
	/// The blocks it was live.
	pub live: BlockNumber,
	/// The era's length (planned, while it is in progress).
	pub length: BlockNumber,
	/// The era's pot (without emission, while it is in progress).
	pub pot: Balance,
	/// All providers' work in the era.
	pub total_work: Balance,
	/// The reward: final for an ended era; for the era in progress, what it would be if the
	/// era ended now with its pot so far.
	pub reward: Balance,
	/// Whether the era ended and `claim` pays it now.
	pub claimable: bool,
}

sp_api::decl_runtime_apis! {
	/// Queries of Offload's reward pool.
	pub trait RewardsApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The era in progress.
		fn era() -> EraStatus<Balance, BlockNumber>;

		/// `who`'s unclaimed eras, oldest first, with their rewards. Expired eras are left out.
		fn earnings(who: AccountId) -> Vec<EraEarning<Balance, BlockNumber>>;
	}
}

impl<T: Config> Pallet<T> {
	/// The era in progress as if it ended now, without emission: its pot so far (what was
	/// carried into it and its fee share) and its planned length.
	fn running_totals(era: &ActiveEraOf<T>) -> EraTotalsOf<T> {
		EraTotals {
			pot: era.carried.saturating_add(era.fee_share),
			work: era.work,
			claimed: Default::default(),
			length: era.length,
		}
	}

	/// See [`RewardsApi::era`].
	pub fn era_status() -> EraStatus<BalanceOf<T>, BlockNumberFor<T>> {
		let era = CurrentEra::<T>::get();
		EraStatus {
			index: era.index,
			start: era.start,
			length: era.length,
			pot: Self::running_totals(&era).pot,
			work: era.work,
			emission_per_block: Emission::<T>::get(),
			claim_eras: T::ClaimEras::get(),
		}
	}

	/// See [`RewardsApi::earnings`].
	pub fn earnings_of(who: &T::AccountId) -> Vec<EraEarning<BalanceOf<T>, BlockNumberFor<T>>> {
		let era = CurrentEra::<T>::get();
		let current = era.index;
		Earnings::<T>::get(who)
			.into_iter()
			.filter(|earning| !Self::expired(earning.era, current))
			.filter_map(|earning| {
				let totals = if earning.era == current {
					Self::running_totals(&era)
				} else {
					Eras::<T>::get(earning.era)?
				};
				Some(EraEarning {
					era: earning.era,
					work: earning.work,
					fees: earning.fees,
					live: earning.live,
					length: totals.length,
					pot: totals.pot,
					total_work: totals.work,
					reward: Self::reward_of(&earning, &totals),
					claimable: earning.era < current,
				})
			})
			.collect()
	}
}
