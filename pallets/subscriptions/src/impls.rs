//! Subscribing, renewing, cancelling, and each period's settlement.

use crate::{
	pallet::*, PeriodEscrow, ProviderRegistry, RewardWork, SubscriptionId, SCHEDULE_TRIES,
};
use frame_support::{
	ensure,
	traits::{fungible::MutateHold, tokens::Precision, Get},
};
use frame_system::pallet_prelude::BlockNumberFor;
use offload_primitives::{reputation::Outcome, Candidate, ReputationOf, Resources, RuntimeKind};
use sp_runtime::{
	traits::{Bounded, CheckedAdd, CheckedMul, Saturating, UniqueSaturatedInto, Zero},
	DispatchError, DispatchResult, Permill,
};

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// What `candidate` asks for one period of `period` blocks: its per-second price times the
	/// period in seconds, plus its per-job base price. `None` if it does not sell time (no
	/// per-second price) or the price overflows.
	pub fn quote(
		candidate: &Candidate<T::AccountId, BalanceOf<T>>,
		period: BlockNumberFor<T>,
	) -> Option<BalanceOf<T>> {
		let per_second = candidate.prices.per_second;
		if per_second.is_zero() {
			return None;
		}
		let blocks: u64 = period.unique_saturated_into();
		let seconds = blocks.checked_mul(T::MillisPerBlock::get())? / 1_000;
		let seconds: BalanceOf<T> = seconds.unique_saturated_into();
		per_second.checked_mul(&seconds)?.checked_add(&candidate.prices.base_per_job)
	}

	/// The cheapest provider (never `requester`) that takes `kind` jobs, has `resources` free,
	/// a reputation of at least `min_reputation`, and quotes at most `max_price` for a period
	/// of `period` blocks (within what its bond backs), with its quote. Looks at `MaxScan`
	/// candidates at most, as a job's matching does.
	pub(crate) fn pick(
		requester: &T::AccountId,
		kind: RuntimeKind,
		resources: &Resources,
		max_price: BalanceOf<T>,
		min_reputation: Permill,
		period: BlockNumberFor<T>,
	) -> Option<(T::AccountId, BalanceOf<T>)> {
		let candidates = T::Registry::candidates(
			kind,
			BalanceOf::<T>::max_value(),
			T::MaxScan::get(),
			|candidate| {
				candidate.who != *requester
					&& resources.fits_in(&candidate.free)
					&& candidate.score >= min_reputation
					&& Self::quote(candidate, period)
						.is_some_and(|price| price <= max_price && price <= candidate.headroom)
			},
		);
		let mut best: Option<(T::AccountId, BalanceOf<T>)> = None;
		for candidate in candidates {
			if let Some(price) = Self::quote(&candidate, period) {
				if best.as_ref().is_none_or(|(_, cheapest)| price < *cheapest) {
					best = Some((candidate.who, price));
				}
			}
		}
		best
	}

	#[allow(clippy::too_many_arguments)]
	pub(crate) fn do_subscribe(
		requester: T::AccountId,
		kind: RuntimeKind,
		resources: Resources,
		max_price: BalanceOf<T>,
		min_reputation: Permill,
		period: BlockNumberFor<T>,
		periods: u32,
	) -> Result<SubscriptionId, DispatchError> {
		ensure!(
			period >= T::MinPeriod::get() && period <= T::MaxPeriod::get(),
			Error::<T>::BadPeriod
		);
		ensure!(periods >= 1 && periods <= T::MaxPeriods::get(), Error::<T>::BadPeriods);
		ensure!(resources != Resources::default(), Error::<T>::NoResources);
		let count = RequesterCount::<T>::get(&requester);
		ensure!(count < T::MaxPerRequester::get(), Error::<T>::TooManySubscriptions);
		let (provider, price) =
			Self::pick(&requester, kind, &resources, max_price, min_reputation, period)
				.ok_or(Error::<T>::NoProviders)?;
		let id = NextSubscriptionId::<T>::get();
		NextSubscriptionId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
		let now = Self::now();
		let first_end = Self::schedule(id, now.saturating_add(period))?;
		T::Registry::reserve(&provider, &resources, price)?;
		T::Escrow::hold_periods(id, &requester, price, periods)?;
		let deposit = T::Deposit::get();
		T::Currency::hold(&HoldReason::Deposit.into(), &requester, deposit)?;
		let service = Served::<T>::get(&provider).unwrap_or_default();
		Served::<T>::insert(
			&provider,
			Service { subscriptions: service.subscriptions.saturating_add(1), ..service },
		);
		ByRequester::<T>::insert(&requester, id, ());
		RequesterCount::<T>::insert(&requester, count.saturating_add(1));
		ByProvider::<T>::insert(&provider, id, ());
		Records::<T>::insert(
			id,
			Subscription {
				requester: requester.clone(),
				provider: provider.clone(),
				kind,
				resources,
				price,
				period,
				period_start: now,
				period_end: first_end,
				live_at_start: service.live,
				periods_left: periods,
				ending: false,
				deposit,
				jobs: 0,
				in_use: Resources::default(),
				missed: 0,
			},
		);
		Self::deposit_event(Event::Subscribed {
			subscription: id,
			requester,
			provider,
			price,
			period,
			periods,
			first_end,
		});
		Ok(id)
	}

	/// Queues `id` to settle at `at`, or at one of the next [`SCHEDULE_TRIES`] − 1 blocks if
	/// `at`'s queue is full (the period is then longer, at the same price). Returns the block.
	fn schedule(
		id: SubscriptionId,
		at: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let mut block = at;
		for _ in 0..SCHEDULE_TRIES {
			if PeriodEnds::<T>::try_mutate(block, |queue| queue.try_push(id)).is_ok() {
				return Ok(block);
			}
			block = block.saturating_add(1u32.into());
		}
		Err(Error::<T>::QueueFull.into())
	}

	pub(crate) fn do_renew(who: T::AccountId, id: SubscriptionId, periods: u32) -> DispatchResult {
		let mut subscription = Records::<T>::get(id).ok_or(Error::<T>::UnknownSubscription)?;
		ensure!(subscription.requester == who, Error::<T>::NotYours);
		ensure!(!subscription.ending, Error::<T>::Ending);
		let left = subscription.periods_left.checked_add(periods).ok_or(Error::<T>::Overflow)?;
		ensure!(periods >= 1 && left <= T::MaxPeriods::get(), Error::<T>::BadPeriods);
		T::Escrow::hold_periods(id, &who, subscription.price, periods)?;
		subscription.periods_left = left;
		Records::<T>::insert(id, subscription);
		Self::deposit_event(Event::Renewed { subscription: id, periods, periods_left: left });
		Ok(())
	}

	pub(crate) fn do_cancel(who: T::AccountId, id: SubscriptionId) -> DispatchResult {
		let mut subscription = Records::<T>::get(id).ok_or(Error::<T>::UnknownSubscription)?;
		ensure!(
			subscription.requester == who || subscription.provider == who,
			Error::<T>::NotYours
		);
		ensure!(!subscription.ending, Error::<T>::Ending);
		subscription.ending = true;
		Records::<T>::insert(id, subscription);
		Self::deposit_event(Event::Cancelled { subscription: id, by: who });
		Ok(())
	}

	/// Settles `id`'s running period at `now`, then starts its next period or ends it.
	/// Failures of the money's moves cannot happen while the invariants hold; if one did, the
	/// period is refunded rather than lost, and the subscription ends.
	pub(crate) fn settle_period(id: SubscriptionId, now: BlockNumberFor<T>) {
		let Some(mut subscription) = Records::<T>::get(id) else { return };
		let provider = subscription.provider.clone();
		let live_now = Served::<T>::get(&provider).map(|service| service.live).unwrap_or_default();
		let live = live_now.saturating_sub(subscription.live_at_start);
		let length = now.saturating_sub(subscription.period_start);
		// Jobs of the period still open now are past their deadlines (each had to fall
		// before the period's end): missed as much as those expired before.
		let missed_jobs = subscription.missed.saturating_add(subscription.jobs);
		let kept = live.saturating_add(T::UptimeSlack::get()) >= length && missed_jobs == 0;
		let size: u128 = subscription.price.unique_saturated_into();
		let mut broken = false;
		if kept {
			match T::Escrow::pay_period(id, &provider, subscription.price) {
				Ok(payout) => {
					T::Rewards::work_settled(
						&provider,
						&subscription.requester,
						payout.to_provider,
						payout.fee,
					);
					T::Reputation::record(&provider, Outcome::Success, size);
					Self::deposit_event(Event::PeriodPaid {
						subscription: id,
						amount: payout.to_provider,
						fee: payout.fee,
						live,
						length,
					});
				},
				Err(_) => broken = true,
			}
		} else {
			T::Reputation::record(&provider, Outcome::NoShow, size);
			match T::Escrow::refund_period(id, subscription.price) {
				Ok(amount) => Self::deposit_event(Event::PeriodRefunded {
					subscription: id,
					amount,
					live,
					length,
					missed_jobs,
				}),
				Err(_) => broken = true,
			}
		}
		subscription.periods_left = subscription.periods_left.saturating_sub(1);
		let reason = if subscription.ending {
			Some(EndReason::Cancelled)
		} else if !T::Registry::in_service(&provider) {
			Some(EndReason::ProviderOutOfService)
		} else if subscription.periods_left == 0 || broken {
			Some(EndReason::Expired)
		} else {
			None
		};
		if let Some(reason) = reason {
			Self::end(id, subscription, reason);
			return;
		}
		match Self::schedule(id, now.saturating_add(subscription.period)) {
			Ok(ends) => {
				subscription.period_start = now;
				subscription.period_end = ends;
				subscription.live_at_start = live_now;
				// The period's jobs were judged: those still open take nothing of the next.
				subscription.jobs = 0;
				subscription.in_use = Resources::default();
				subscription.missed = 0;
				Records::<T>::insert(id, subscription);
				Self::deposit_event(Event::PeriodStarted { subscription: id, ends });
			},
			Err(_) => Self::end(id, subscription, EndReason::QueueFull),
		}
	}

	/// Ends subscription `id`: gives the provider its capacity back, the requester the
	/// prepayment left and the deposit, and forgets it.
	fn end(id: SubscriptionId, subscription: SubscriptionOf<T>, reason: EndReason) {
		let Subscription { requester, provider, resources, price, deposit, .. } = subscription;
		// Each step undoes what `do_subscribe` did; none fails while the invariants hold, and
		// if one did, the rest still runs so nothing else stays locked.
		let _ = T::Registry::release(&provider, &resources, price);
		let refunded = T::Escrow::close_periods(id).unwrap_or_default();
		let _ = T::Currency::release(
			&HoldReason::Deposit.into(),
			&requester,
			deposit,
			Precision::BestEffort,
		);
		Served::<T>::mutate_exists(&provider, |service| {
			if let Some(record) = service {
				record.subscriptions = record.subscriptions.saturating_sub(1);
				if record.subscriptions == 0 {
					*service = None;
				}
			}
		});
		ByProvider::<T>::remove(&provider, id);
		ByRequester::<T>::remove(&requester, id);
		RequesterCount::<T>::mutate_exists(&requester, |count| {
			*count = count.and_then(|count| count.checked_sub(1)).filter(|count| *count > 0);
		});
		Records::<T>::remove(id);
		Self::deposit_event(Event::Ended { subscription: id, reason, refunded });
	}

	/// Checks the pallet's invariants (see the crate docs).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let now = Self::now();
		let mut per_provider: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		let mut per_requester: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (id, subscription) in Records::<T>::iter() {
			ensure!(subscription.period_end > now, "a period end lies in the past");
			let queued = PeriodEnds::<T>::get(subscription.period_end);
			ensure!(
				queued.iter().filter(|queued| **queued == id).count() == 1,
				"a subscription is not queued once at its period end"
			);
			let owed = T::Escrow::periods_with_fee(subscription.price, subscription.periods_left)
				.map_err(|_| "prepayment overflows")?;
			ensure!(
				T::Escrow::held_for_periods(id) == owed,
				"the escrow holds other than the periods left"
			);
			ensure!(subscription.periods_left >= 1, "a subscription without a period is kept");
			ensure!(
				subscription.in_use.fits_in(&subscription.resources),
				"a subscription's jobs take more than it reserved"
			);
			ensure!(subscription.jobs <= T::MaxOpenJobs::get(), "too many jobs on a subscription");
			ensure!(ByRequester::<T>::contains_key(&subscription.requester, id), "unlisted");
			ensure!(ByProvider::<T>::contains_key(&subscription.provider, id), "unlisted");
			*per_provider.entry(subscription.provider).or_default() += 1;
			*per_requester.entry(subscription.requester).or_default() += 1;
		}
		let mut queued = 0usize;
		for (_, queue) in PeriodEnds::<T>::iter() {
			queued = queued.saturating_add(queue.len());
		}
		ensure!(queued == Records::<T>::iter().count(), "a queue entry without a subscription");
		for (provider, service) in Served::<T>::iter() {
			ensure!(
				per_provider.get(&provider).copied().unwrap_or_default() == service.subscriptions,
				"a provider's subscription count is off"
			);
		}
		ensure!(Served::<T>::iter().count() == per_provider.len(), "a provider is not counted");
		for (requester, count) in RequesterCount::<T>::iter() {
			ensure!(
				per_requester.get(&requester).copied().unwrap_or_default() == count,
				"a requester's subscription count is off"
			);
		}
		ensure!(
			RequesterCount::<T>::iter().count() == per_requester.len(),
			"a requester is not counted"
		);
		Ok(())
	}
}

/// What a provider's subscriptions reserve: a slot, the resources and the price each.
impl<T: Config> offload_primitives::Reservations<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn reserved(who: &T::AccountId) -> (u32, Resources, BalanceOf<T>) {
		let mut total = (0u32, Resources::default(), BalanceOf::<T>::zero());
		for id in ByProvider::<T>::iter_key_prefix(who) {
			if let Some(subscription) = Records::<T>::get(id) {
				total.0 = total.0.saturating_add(1);
				total.1 = total.1.checked_add(&subscription.resources).unwrap_or(total.1);
				total.2 = total.2.saturating_add(subscription.price);
			}
		}
		total
	}
}

/// Heartbeats: the registry reports each active provider's live blocks; only providers that
/// serve subscriptions are counted (one read for the others).
impl<T: Config> RewardWork<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> for Pallet<T> {
	fn work_settled(_: &T::AccountId, _: &T::AccountId, _: BalanceOf<T>, _: BalanceOf<T>) {}

	fn live(provider: &T::AccountId, from: BlockNumberFor<T>, to: BlockNumberFor<T>) {
		// Read first: a provider serving none costs a read, not a write.
		if let Some(mut service) = Served::<T>::get(provider) {
			service.live = service.live.saturating_add(to.saturating_sub(from));
			Served::<T>::insert(provider, service);
		}
	}
}

/// The requester's jobs on a subscription take their resources out of its reservation.
impl<T: Config> offload_primitives::SubscribedCapacity<T::AccountId, BlockNumberFor<T>>
	for Pallet<T>
{
	fn take(
		id: SubscriptionId,
		requester: &T::AccountId,
		kind: RuntimeKind,
		resources: &Resources,
		last: BlockNumberFor<T>,
	) -> Result<(T::AccountId, BlockNumberFor<T>), DispatchError> {
		Records::<T>::try_mutate(id, |record| {
			let subscription = record.as_mut().ok_or(Error::<T>::UnknownSubscription)?;
			ensure!(subscription.requester == *requester, Error::<T>::NotYours);
			ensure!(subscription.kind == kind, Error::<T>::WrongKind);
			// At the period's end every job of it must be past its deadlines, so that what is
			// still open then was missed.
			ensure!(last < subscription.period_end, Error::<T>::PeriodEnding);
			ensure!(subscription.jobs < T::MaxOpenJobs::get(), Error::<T>::TooManyJobs);
			let in_use =
				subscription.in_use.checked_add(resources).ok_or(Error::<T>::NoCapacity)?;
			ensure!(in_use.fits_in(&subscription.resources), Error::<T>::NoCapacity);
			subscription.in_use = in_use;
			subscription.jobs = subscription.jobs.saturating_add(1);
			Ok((subscription.provider.clone(), subscription.period_end))
		})
	}

	fn job_ended(
		id: SubscriptionId,
		period_end: BlockNumberFor<T>,
		resources: &Resources,
		missed: bool,
	) {
		Records::<T>::mutate(id, |record| {
			let Some(subscription) = record.as_mut() else { return };
			if subscription.period_end != period_end {
				return;
			}
			subscription.jobs = subscription.jobs.saturating_sub(1);
			subscription.in_use = subscription.in_use.checked_sub(resources).unwrap_or_default();
			if missed {
				subscription.missed = subscription.missed.saturating_add(1);
			}
		})
	}

	fn in_use(id: SubscriptionId) -> Option<(BlockNumberFor<T>, u32, Resources)> {
		Records::<T>::get(id)
			.map(|subscription| (subscription.period_end, subscription.jobs, subscription.in_use))
	}
}
