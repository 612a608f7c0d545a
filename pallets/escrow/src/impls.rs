//! The escrow's logic: [`JobEscrow`] for the pallet, and its invariants.

use crate::{pallet::*, JobEscrow, JobId, Payout, PeriodEscrow, SubscriptionId};
use frame_support::{
	ensure,
	storage::with_storage_layer,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
		Get,
	},
};
use sp_runtime::{
	traits::{CheckedAdd, CheckedMul, CheckedSub, Zero},
	DispatchError, DispatchResult, Saturating,
};

impl<T: Config> Pallet<T> {
	/// The fee on one replica's payment of `amount`: the protocol's share rounded up, and at
	/// least [`Config::MinFee`]. It never decreases as `amount` grows, which is what makes the
	/// fee held on a replica's cap enough for any payment up to that cap.
	pub fn fee_on(amount: BalanceOf<T>) -> BalanceOf<T> {
		T::ProtocolFee::get().mul_ceil(amount).max(T::MinFee::get())
	}

	/// Moves `amount` held under `reason` from `from` to `to`, as free balance.
	fn transfer_held(
		reason: HoldReason,
		from: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::transfer_on_hold(
			&reason.into(),
			from,
			to,
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Polite,
		)
		.map(|_| ())
	}

	/// Takes `amount` out of `job`'s escrow, failing if it holds less.
	fn debit(job: JobId, amount: BalanceOf<T>) -> Result<EscrowOf<T>, DispatchError> {
		let mut escrow = Escrows::<T>::get(job).ok_or(Error::<T>::NoEscrow)?;
		escrow.held = escrow.held.checked_sub(&amount).ok_or(Error::<T>::InsufficientEscrow)?;
		Escrows::<T>::insert(job, &escrow);
		Ok(escrow)
	}

	/// Checks the pallet's invariants (see the crate docs).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let escrows = [
			(HoldReason::JobPayment, Escrows::<T>::iter_values().collect::<alloc::vec::Vec<_>>()),
			(HoldReason::SubscriptionPayment, Prepaid::<T>::iter_values().collect()),
		];
		for (reason, escrows) in escrows {
			let mut per_requester: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			for escrow in escrows {
				let entry = per_requester.entry(escrow.requester).or_default();
				*entry = entry.checked_add(&escrow.held).ok_or("escrows overflow")?;
			}
			for (requester, held) in per_requester {
				ensure!(
					T::Currency::balance_on_hold(&reason.into(), &requester) == held,
					"a requester's hold differs from its escrows"
				);
			}
		}
		for (provider, bond) in Bonds::<T>::iter() {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ProviderBond.into(), &provider) == bond,
				"a provider's bond hold differs from its recorded bond"
			);
			ensure!(!bond.is_zero(), "a zero bond is stored");
		}
		Ok(())
	}
}

impl<T: Config> JobEscrow<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn with_fee(cap: BalanceOf<T>, replicas: u32) -> Result<BalanceOf<T>, DispatchError> {
		cap.checked_add(&Self::fee_on(cap))
			.and_then(|per_replica| per_replica.checked_mul(&replicas.into()))
			.ok_or_else(|| Error::<T>::Overflow.into())
	}

	fn hold_for_job(
		job: JobId,
		requester: &T::AccountId,
		cap: BalanceOf<T>,
		replicas: u32,
		deposit: BalanceOf<T>,
	) -> DispatchResult {
		with_storage_layer(|| {
			ensure!(!Escrows::<T>::contains_key(job), Error::<T>::EscrowExists);
			let amount =
				Self::with_fee(cap, replicas)?.checked_add(&deposit).ok_or(Error::<T>::Overflow)?;
			T::Currency::hold(&HoldReason::JobPayment.into(), requester, amount)?;
			Escrows::<T>::insert(job, Escrow { requester: requester.clone(), held: amount });
			Self::deposit_event(Event::JobFundsHeld { job, requester: requester.clone(), amount });
			Ok(())
		})
	}

	fn pay(
		job: JobId,
		provider: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<Payout<BalanceOf<T>>, DispatchError> {
		with_storage_layer(|| {
			let fee = Self::fee_on(amount);
			let total = amount.checked_add(&fee).ok_or(Error::<T>::Overflow)?;
			let escrow = Self::debit(job, total)?;
			Self::transfer_held(HoldReason::JobPayment, &escrow.requester, provider, amount)?;
			Self::transfer_held(
				HoldReason::JobPayment,
				&escrow.requester,
				&T::Treasury::get(),
				fee,
			)?;
			Self::deposit_event(Event::ProviderPaid {
				job,
				provider: provider.clone(),
				amount,
				fee,
			});
			Ok(Payout { to_provider: amount, fee })
		})
	}

	fn transfer_from_job(
		job: JobId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		with_storage_layer(|| {
			let escrow = Self::debit(job, amount)?;
			Self::transfer_held(HoldReason::JobPayment, &escrow.requester, to, amount)?;
			Self::deposit_event(Event::TransferredFromJob { job, to: to.clone(), amount });
			Ok(amount)
		})
	}

	fn refund(job: JobId) -> Result<BalanceOf<T>, DispatchError> {
		with_storage_layer(|| {
			let escrow = Escrows::<T>::take(job).ok_or(Error::<T>::NoEscrow)?;
			T::Currency::release(
				&HoldReason::JobPayment.into(),
				&escrow.requester,
				escrow.held,
				Precision::Exact,
			)?;
			Self::deposit_event(Event::Refunded {
				job,
				requester: escrow.requester,
				amount: escrow.held,
			});
			Ok(escrow.held)
		})
	}

	fn refund_keeping(job: JobId, keep: BalanceOf<T>) -> Result<BalanceOf<T>, DispatchError> {
		with_storage_layer(|| {
			let held = Escrows::<T>::get(job).ok_or(Error::<T>::NoEscrow)?.held;
			let amount = held.checked_sub(&keep).ok_or(Error::<T>::InsufficientEscrow)?;
			let escrow = Self::debit(job, amount)?;
			T::Currency::release(
				&HoldReason::JobPayment.into(),
				&escrow.requester,
				amount,
				Precision::Exact,
			)?;
			Self::deposit_event(Event::Refunded { job, requester: escrow.requester, amount });
			Ok(amount)
		})
	}

	fn held_for(job: JobId) -> BalanceOf<T> {
		Escrows::<T>::get(job).map(|escrow| escrow.held).unwrap_or_default()
	}

	fn hold_bond(provider: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		with_storage_layer(|| {
			let bond =
				Bonds::<T>::get(provider).checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			T::Currency::hold(&HoldReason::ProviderBond.into(), provider, amount)?;
			Self::set_bond(provider, bond);
			Self::deposit_event(Event::BondHeld { provider: provider.clone(), amount, bond });
			Ok(())
		})
	}

	fn release_bond(provider: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		with_storage_layer(|| {
			let bond = Bonds::<T>::get(provider)
				.checked_sub(&amount)
				.ok_or(Error::<T>::InsufficientBond)?;
			T::Currency::release(
				&HoldReason::ProviderBond.into(),
				provider,
				amount,
				Precision::Exact,
			)?;
			Self::set_bond(provider, bond);
			Self::deposit_event(Event::BondReleased { provider: provider.clone(), amount, bond });
			Ok(())
		})
	}

	fn slash_bond(
		provider: &T::AccountId,
		amount: BalanceOf<T>,
		harmed: &T::AccountId,
		compensation: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		with_storage_layer(|| {
			let bond = Bonds::<T>::get(provider);
			let amount = amount.min(bond);
			let compensation = compensation.min(amount);
			let to_treasury = amount.saturating_sub(compensation);
			Self::transfer_held(HoldReason::ProviderBond, provider, harmed, compensation)?;
			Self::transfer_held(
				HoldReason::ProviderBond,
				provider,
				&T::Treasury::get(),
				to_treasury,
			)?;
			Self::set_bond(provider, bond.saturating_sub(amount));
			Self::deposit_event(Event::BondSlashed {
				provider: provider.clone(),
				amount,
				harmed: harmed.clone(),
				compensation,
			});
			Ok(amount)
		})
	}

	fn bond_of(provider: &T::AccountId) -> BalanceOf<T> {
		Bonds::<T>::get(provider)
	}
}

impl<T: Config> Pallet<T> {
	/// Stores `bond`, removing the entry when it reaches zero.
	fn set_bond(provider: &T::AccountId, bond: BalanceOf<T>) {
		if bond.is_zero() {
			Bonds::<T>::remove(provider);
		} else {
			Bonds::<T>::insert(provider, bond);
		}
	}
}

impl<T: Config> PeriodEscrow<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn periods_with_fee(price: BalanceOf<T>, periods: u32) -> Result<BalanceOf<T>, DispatchError> {
		// The same arithmetic as a job's replicas: each period carries the fee on its price.
		Self::with_fee(price, periods)
	}

	fn hold_periods(
		subscription: SubscriptionId,
		requester: &T::AccountId,
		price: BalanceOf<T>,
		periods: u32,
	) -> DispatchResult {
		with_storage_layer(|| {
			let amount = Self::periods_with_fee(price, periods)?;
			let mut escrow = Prepaid::<T>::get(subscription)
				.unwrap_or(Escrow { requester: requester.clone(), held: Zero::zero() });
			ensure!(escrow.requester == *requester, Error::<T>::EscrowExists);
			escrow.held = escrow.held.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			T::Currency::hold(&HoldReason::SubscriptionPayment.into(), requester, amount)?;
			Prepaid::<T>::insert(subscription, escrow);
			Self::deposit_event(Event::PeriodsHeld {
				subscription,
				requester: requester.clone(),
				amount,
			});
			Ok(())
		})
	}

	fn pay_period(
		subscription: SubscriptionId,
		provider: &T::AccountId,
		price: BalanceOf<T>,
	) -> Result<Payout<BalanceOf<T>>, DispatchError> {
		with_storage_layer(|| {
			let fee = Self::fee_on(price);
			let escrow = Self::debit_periods(subscription, price.checked_add(&fee))?;
			let reason = HoldReason::SubscriptionPayment;
			Self::transfer_held(reason, &escrow.requester, provider, price)?;
			Self::transfer_held(reason, &escrow.requester, &T::Treasury::get(), fee)?;
			Self::deposit_event(Event::PeriodPaid {
				subscription,
				provider: provider.clone(),
				amount: price,
				fee,
			});
			Ok(Payout { to_provider: price, fee })
		})
	}

	fn refund_period(
		subscription: SubscriptionId,
		price: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		with_storage_layer(|| {
			let amount = Self::periods_with_fee(price, 1)?;
			let escrow = Self::debit_periods(subscription, Some(amount))?;
			T::Currency::release(
				&HoldReason::SubscriptionPayment.into(),
				&escrow.requester,
				amount,
				Precision::Exact,
			)?;
			Self::deposit_event(Event::PeriodsRefunded {
				subscription,
				requester: escrow.requester,
				amount,
			});
			Ok(amount)
		})
	}

	fn close_periods(subscription: SubscriptionId) -> Result<BalanceOf<T>, DispatchError> {
		with_storage_layer(|| {
			let escrow = Prepaid::<T>::take(subscription).ok_or(Error::<T>::NoEscrow)?;
			T::Currency::release(
				&HoldReason::SubscriptionPayment.into(),
				&escrow.requester,
				escrow.held,
				Precision::Exact,
			)?;
			if !escrow.held.is_zero() {
				Self::deposit_event(Event::PeriodsRefunded {
					subscription,
					requester: escrow.requester,
					amount: escrow.held,
				});
			}
			Ok(escrow.held)
		})
	}

	fn held_for_periods(subscription: SubscriptionId) -> BalanceOf<T> {
		Prepaid::<T>::get(subscription).map(|escrow| escrow.held).unwrap_or_default()
	}
}

impl<T: Config> Pallet<T> {
	/// Takes `amount` (`None`: it overflowed) out of `subscription`'s escrow, failing if it
	/// holds less.
	fn debit_periods(
		subscription: SubscriptionId,
		amount: Option<BalanceOf<T>>,
	) -> Result<EscrowOf<T>, DispatchError> {
		let amount = amount.ok_or(Error::<T>::Overflow)?;
		let mut escrow = Prepaid::<T>::get(subscription).ok_or(Error::<T>::NoEscrow)?;
		escrow.held = escrow.held.checked_sub(&amount).ok_or(Error::<T>::InsufficientEscrow)?;
		Prepaid::<T>::insert(subscription, &escrow);
		Ok(escrow)
	}
}
