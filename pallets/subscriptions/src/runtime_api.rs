//! `SubscriptionsApi`: the subscriptions' queries, as a runtime API (polkadot.js decorates them
//! as `api.call.subscriptionsApi.*` from metadata alone), wrapped by the node's
//! `offload_subscriptions` and `offload_subscriptionQuote` JSON-RPC methods.

use crate::{pallet::*, Resources, RuntimeKind, SubscriptionId};
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{Bounded, Saturating},
	Permill,
};

/// A subscription as the API shows it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct SubscriptionView<AccountId, Balance, BlockNumber> {
	/// Its id.
	pub id: SubscriptionId,
	/// The record.
	pub subscription: Subscription<AccountId, Balance, BlockNumber>,
	/// The provider's live blocks so far in the running period.
	pub live: BlockNumber,
	/// What is still held for it: the periods left with their fees.
	pub prepaid: Balance,
}

/// What subscribing would rent now.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct PeriodQuote<AccountId, Balance> {
	/// The provider it would be.
	pub provider: AccountId,
	/// Its price per period.
	pub price: Balance,
	/// The protocol fee on each period.
	pub fee: Balance,
	/// The deposit held while the subscription exists.
	pub deposit: Balance,
}

sp_api::decl_runtime_apis! {
	/// Queries of Offload's subscriptions.
	pub trait SubscriptionsApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// A subscription that has not ended.
		fn subscription(id: SubscriptionId) -> Option<SubscriptionView<AccountId, Balance, BlockNumber>>;

		/// `who`'s subscriptions, as requester and as provider.
		fn subscriptions_of(who: AccountId) -> Vec<SubscriptionView<AccountId, Balance, BlockNumber>>;

		/// The provider and price `who` would get subscribing now to `resources` of a `kind`
		/// provider with at least `min_reputation`, for periods of `period` blocks.
		fn quote(
			who: AccountId,
			kind: RuntimeKind,
			resources: Resources,
			min_reputation: Permill,
			period: BlockNumber,
		) -> Option<PeriodQuote<AccountId, Balance>>;
	}
}

impl<T: Config> Pallet<T> {
	/// See [`SubscriptionsApi::subscription`].
	pub fn view(
		id: SubscriptionId,
	) -> Option<SubscriptionView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		let subscription = Records::<T>::get(id)?;
		let live = Served::<T>::get(&subscription.provider)
			.map(|service| service.live)
			.unwrap_or_default();
		Some(SubscriptionView {
			id,
			live: live.saturating_sub(subscription.live_at_start),
			prepaid: <T::Escrow as crate::PeriodEscrow<_, _>>::held_for_periods(id),
			subscription,
		})
	}

	/// See [`SubscriptionsApi::subscriptions_of`].
	pub fn views_of(
		who: &T::AccountId,
	) -> Vec<SubscriptionView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		ByRequester::<T>::iter_key_prefix(who)
			.chain(ByProvider::<T>::iter_key_prefix(who))
			.filter_map(Self::view)
			.collect()
	}

	/// See [`SubscriptionsApi::quote`].
	pub fn quote_for(
		who: &T::AccountId,
		kind: RuntimeKind,
		resources: Resources,
		min_reputation: Permill,
		period: BlockNumberFor<T>,
	) -> Option<PeriodQuote<T::AccountId, BalanceOf<T>>> {
		let (provider, price) =
			Self::pick(who, kind, &resources, BalanceOf::<T>::max_value(), min_reputation, period)?;
		let fee = <T::Escrow as crate::PeriodEscrow<_, _>>::periods_with_fee(price, 1)
			.ok()?
			.saturating_sub(price);
		Some(PeriodQuote { provider, price, fee, deposit: T::Deposit::get() })
	}
}
