//! The datasets' calls, their use by jobs, and the invariant check.

use crate::{
	pallet::*, DatasetId, DatasetRoyalties, Hash32, JobEscrow, JobId, MaxKeyGrantLen, WeightInfo,
	MAX_JOB_DATASETS,
};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::{
	traits::{CheckedAdd, Saturating, Zero},
	DispatchError,
};

impl<T: Config> Pallet<T> {
	/// The deposit for a record with `location_len` bytes of location and `programs` programs.
	pub fn deposit_for(location_len: usize, programs: usize) -> BalanceOf<T> {
		let bytes = (location_len as u32).saturating_add((programs as u32).saturating_mul(32));
		T::DepositBase::get().saturating_add(T::DepositPerByte::get().saturating_mul(bytes.into()))
	}

	/// Holds or releases the difference between `was` and `now` of `who`'s deposit.
	fn adjust_deposit(who: &T::AccountId, was: BalanceOf<T>, now: BalanceOf<T>) -> DispatchResult {
		let reason = HoldReason::Deposit.into();
		if now > was {
			T::Currency::hold(&reason, who, now.saturating_sub(was))?;
		} else if was > now {
			T::Currency::release(&reason, who, was.saturating_sub(now), Precision::Exact)?;
		}
		Ok(())
	}

	pub(crate) fn do_register(
		who: T::AccountId,
		hash: Hash32,
		size: u64,
		location: BoundedVec<u8, T::MaxLocationLen>,
		royalty: BalanceOf<T>,
		programs: BoundedVec<Hash32, T::MaxPrograms>,
		sealed: bool,
	) -> DispatchResult {
		ensure!(size > 0 && !location.is_empty(), Error::<T>::Empty);
		let id = NextDatasetId::<T>::get();
		NextDatasetId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
		let deposit = Self::deposit_for(location.len(), programs.len());
		Self::adjust_deposit(&who, Zero::zero(), deposit)?;
		Records::<T>::insert(
			id,
			Dataset {
				owner: who.clone(),
				hash,
				size,
				location,
				royalty,
				programs,
				sealed,
				retired: false,
				users: 0,
				deposit,
			},
		);
		OwnedBy::<T>::insert(&who, id, ());
		Self::deposit_event(Event::Registered { dataset: id, owner: who, hash, royalty, sealed });
		Ok(())
	}

	/// `dataset`, if `who` owns it.
	fn owned(who: &T::AccountId, dataset: DatasetId) -> Result<Dataset<T>, DispatchError> {
		let record = Records::<T>::get(dataset).ok_or(Error::<T>::UnknownDataset)?;
		ensure!(&record.owner == who, Error::<T>::NotOwner);
		Ok(record)
	}

	pub(crate) fn do_update(
		who: T::AccountId,
		dataset: DatasetId,
		location: BoundedVec<u8, T::MaxLocationLen>,
		royalty: BalanceOf<T>,
		programs: BoundedVec<Hash32, T::MaxPrograms>,
	) -> DispatchResult {
		let mut record = Self::owned(&who, dataset)?;
		ensure!(!location.is_empty(), Error::<T>::Empty);
		let deposit = Self::deposit_for(location.len(), programs.len());
		Self::adjust_deposit(&who, record.deposit, deposit)?;
		record.deposit = deposit;
		record.location = location;
		record.royalty = royalty;
		record.programs = programs;
		Records::<T>::insert(dataset, record);
		Self::deposit_event(Event::Updated { dataset, royalty });
		Ok(())
	}

	pub(crate) fn do_retire(who: T::AccountId, dataset: DatasetId) -> DispatchResult {
		let mut record = Self::owned(&who, dataset)?;
		record.retired = true;
		Records::<T>::insert(dataset, record);
		Self::deposit_event(Event::Retired { dataset });
		Ok(())
	}

	pub(crate) fn do_remove(who: T::AccountId, dataset: DatasetId) -> DispatchResult {
		let record = Self::owned(&who, dataset)?;
		ensure!(record.users == 0, Error::<T>::InUse);
		Self::adjust_deposit(&who, record.deposit, Zero::zero())?;
		Records::<T>::remove(dataset);
		OwnedBy::<T>::remove(&who, dataset);
		Self::deposit_event(Event::Removed { dataset, deposit: record.deposit });
		Ok(())
	}

	pub(crate) fn do_grant_key(
		who: T::AccountId,
		job: JobId,
		dataset: DatasetId,
		grant: BoundedVec<u8, MaxKeyGrantLen>,
	) -> DispatchResult {
		let record = Self::owned(&who, dataset)?;
		ensure!(record.sealed, Error::<T>::NotSealed);
		let uses = Uses::<T>::get(job).ok_or(Error::<T>::NotUsed)?;
		ensure!(uses.iter().any(|used| used.dataset == dataset), Error::<T>::NotUsed);
		KeyGrants::<T>::insert(job, dataset, grant);
		Self::deposit_event(Event::KeyGranted { job, dataset });
		Ok(())
	}

	/// The datasets a job over `datasets` running `code` would use, each with its record, in
	/// order; refused as [`DatasetRoyalties::quote`] says. A dispute's re-execution
	/// (`re_execution`) is checked only for datasets that exist: the job it re-executes passed
	/// the rest at its submission, and an owner retiring its dataset or changing its programs
	/// since must not stop a requester disputing that job's result.
	fn check(
		datasets: &[DatasetId],
		code: &Hash32,
		re_execution: bool,
	) -> Result<Vec<(DatasetId, Dataset<T>)>, DispatchError> {
		ensure!(datasets.len() <= MAX_JOB_DATASETS as usize, Error::<T>::TooManyDatasets);
		let mut checked = Vec::with_capacity(datasets.len());
		for (index, &id) in datasets.iter().enumerate() {
			ensure!(!datasets[..index].contains(&id), Error::<T>::Duplicate);
			let record = Records::<T>::get(id).ok_or(Error::<T>::UnknownDataset)?;
			if !re_execution {
				ensure!(!record.retired, Error::<T>::Retired);
				ensure!(
					record.programs.is_empty() || record.programs.contains(code),
					Error::<T>::ProgramNotAllowed
				);
			}
			checked.push((id, record));
		}
		Ok(checked)
	}

	/// Checks the invariants: each dataset's use count is the number of open jobs naming it,
	/// and its deposit is what its record costs; each owner index entry is a dataset of that
	/// owner and each dataset is indexed; every key grant is of a sealed dataset its job uses.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let mut users: BTreeMap<DatasetId, u32> = BTreeMap::new();
		for (_, uses) in Uses::<T>::iter() {
			ensure!(!uses.is_empty(), "an empty use record");
			for used in &uses {
				*users.entry(used.dataset).or_default() += 1;
			}
		}
		for (id, record) in Records::<T>::iter() {
			ensure!(
				users.get(&id).copied().unwrap_or(0) == record.users,
				"a dataset's use count is off"
			);
			ensure!(
				record.deposit == Self::deposit_for(record.location.len(), record.programs.len()),
				"a dataset's deposit is not what its record costs"
			);
			ensure!(OwnedBy::<T>::contains_key(&record.owner, id), "a dataset not indexed");
		}
		for (owner, id, ()) in OwnedBy::<T>::iter() {
			let record = Records::<T>::get(id).ok_or("an index entry of a missing dataset")?;
			ensure!(record.owner == owner, "an index entry of another's dataset");
		}
		for (job, dataset, _) in KeyGrants::<T>::iter() {
			let uses = Uses::<T>::get(job).ok_or("a key grant of a job not using datasets")?;
			ensure!(
				uses.iter().any(|used| used.dataset == dataset),
				"a key grant of a dataset unused"
			);
			let record = Records::<T>::get(dataset).ok_or("a key grant of a missing dataset")?;
			ensure!(record.sealed, "a key grant of an unsealed dataset");
		}
		Ok(())
	}
}

impl<T: Config> DatasetRoyalties<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn quote(datasets: &[DatasetId], code: &Hash32) -> Result<BalanceOf<T>, DispatchError> {
		Self::check(datasets, code, false)?.iter().try_fold(Zero::zero(), |total, (_, record)| {
			BalanceOf::<T>::checked_add(&total, &record.royalty)
				.ok_or_else(|| Error::<T>::Overflow.into())
		})
	}

	fn start(
		job: JobId,
		datasets: &[DatasetId],
		code: &Hash32,
		royalty_free: bool,
	) -> Result<BalanceOf<T>, DispatchError> {
		if datasets.is_empty() {
			return Ok(Zero::zero());
		}
		let mut total = BalanceOf::<T>::zero();
		let mut uses = BoundedVec::new();
		for (id, mut record) in Self::check(datasets, code, royalty_free)? {
			let royalty = if royalty_free { Zero::zero() } else { record.royalty };
			total = total.checked_add(&royalty).ok_or(Error::<T>::Overflow)?;
			record.users = record.users.checked_add(1).ok_or(Error::<T>::Overflow)?;
			uses.try_push(Use { dataset: id, owner: record.owner.clone(), royalty })
				.map_err(|_| Error::<T>::TooManyDatasets)?;
			Records::<T>::insert(id, record);
			Self::deposit_event(Event::Used { job, dataset: id, royalty });
		}
		Uses::<T>::insert(job, uses);
		Ok(total)
	}

	fn end(job: JobId, with_result: bool) -> Result<BalanceOf<T>, DispatchError> {
		// Nothing here fails: see below.
		let Some(uses) = Uses::<T>::take(job) else { return Ok(Zero::zero()) };
		let mut paid = BalanceOf::<T>::zero();
		for used in uses {
			// A royalty that cannot be paid (the owner's account cannot receive it) stays in
			// the escrow and goes back to the requester: it never blocks the settlement that
			// pays the provider.
			if with_result
				&& !used.royalty.is_zero()
				&& T::Escrow::transfer_from_job(job, &used.owner, used.royalty).is_ok()
			{
				paid = paid.checked_add(&used.royalty).ok_or(Error::<T>::Overflow)?;
				Self::deposit_event(Event::RoyaltyPaid {
					job,
					dataset: used.dataset,
					owner: used.owner.clone(),
					amount: used.royalty,
				});
			}
			// A dataset is not removed while a job uses it.
			Records::<T>::mutate(used.dataset, |record| {
				if let Some(record) = record {
					record.users = record.users.saturating_sub(1);
				}
			});
			KeyGrants::<T>::remove(job, used.dataset);
		}
		Ok(paid)
	}

	fn held(job: JobId) -> BalanceOf<T> {
		Uses::<T>::get(job)
			.map(|uses| {
				uses.iter().fold(Zero::zero(), |total: BalanceOf<T>, used| {
					total.saturating_add(used.royalty)
				})
			})
			.unwrap_or_default()
	}

	fn start_weight(n: u32) -> Weight {
		T::WeightInfo::start(n)
	}

	fn end_weight(n: u32) -> Weight {
		T::WeightInfo::end(n)
	}
}
