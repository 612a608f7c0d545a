//! The market's logic: programs, a job's life, settlement, deadlines, and the invariants.

use crate::{
	pallet::*, pricing, types::*, JobEscrow, Outcome, ProviderRegistry, ReputationOf, RewardWork,
	RuntimeKind, WeightInfo,
};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision, Randomness},
};
use frame_system::pallet_prelude::BlockNumberFor;
use offload_primitives::{
	DatasetRoyalties, JobId, Resources, SubscribedCapacity, SubscriptionId, MAX_JOB_DATASETS,
};
use sp_runtime::{
	traits::{CheckedMul, One, Saturating, UniqueSaturatedInto, Zero},
	DispatchError, DispatchResult, Perbill,
};

/// What the randomness that draws dispute re-executors is asked for.
pub(crate) const DRAW_SUBJECT: &[u8] = b"offload/draw";

/// What retrying a queued job came to.
enum Retry<AccountId> {
	/// It has all its providers now; its requester is given.
	Complete(AccountId),
	/// It is still short, or past its wait.
	Waiting,
	/// It is no longer queued.
	Gone,
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	// ---- datasets ----

	/// The weight of starting the datasets `spec`'s input names.
	pub fn datasets_start_weight(spec: &JobSpec<T>) -> Weight {
		match spec.workload.input().datasets().len() as u32 {
			0 => Weight::zero(),
			n => T::Datasets::start_weight(n),
		}
	}

	/// The weight of ending a job over the most datasets a job may name.
	pub fn datasets_end_weight() -> Weight {
		T::Datasets::end_weight(MAX_JOB_DATASETS)
	}

	/// The weight `cancel` is charged before dispatch: the most datasets a job may name are
	/// assumed, and what the job does not name is refunded ([`Self::ending`]).
	pub fn cancel_weight() -> Weight {
		<T as Config>::WeightInfo::cancel()
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
			.saturating_add(Self::datasets_end_weight())
	}

	/// The weight `decline` is charged before dispatch: the most datasets a job may name are
	/// assumed, and what the job does not name is refunded ([`Self::ending`]).
	pub fn decline_weight() -> Weight {
		<T as Config>::WeightInfo::decline()
			.max(<T as Config>::WeightInfo::cancel())
			.saturating_add(T::DbWeight::get().reads_writes(2, 2))
			.saturating_add(Self::datasets_end_weight())
	}

	/// The weight `submit_result` is charged before dispatch: the most datasets a job may name are
	/// assumed, and what the job does not name is refunded ([`Self::ending`]).
	pub fn submit_result_weight() -> Weight {
		<T as Config>::WeightInfo::submit_result().saturating_add(Self::datasets_end_weight())
	}

	/// The weight `reveal_result` is charged before dispatch: the most datasets a job may name are
	/// assumed, and what the job does not name is refunded ([`Self::ending`]).
	pub fn reveal_result_weight() -> Weight {
		<T as Config>::WeightInfo::reveal_result()
			.max(<T as Config>::WeightInfo::reveal_result_resolving_dispute())
			.saturating_add(Self::datasets_end_weight())
	}

	/// The weight `expire` is charged before dispatch: the most datasets a job may name are
	/// assumed, and what the job does not name is refunded ([`Self::ending`]).
	pub fn expire_weight() -> Weight {
		<T as Config>::WeightInfo::expire()
			.max(<T as Config>::WeightInfo::reveal_result())
			.max(<T as Config>::WeightInfo::reveal_result_resolving_dispute())
			.saturating_add(Self::datasets_end_weight())
	}

	/// Runs `call`, which may end job `id`, charged `declared` (which assumes the job names
	/// the most datasets): what ending the datasets it does name would not use is refunded,
	/// so a job over no dataset costs what it did before datasets existed.
	pub(crate) fn ending(
		id: JobId,
		declared: Weight,
		call: impl FnOnce() -> DispatchResult,
	) -> DispatchResultWithPostInfo {
		let named =
			Jobs::<T>::get(id).map_or(0, |job| job.spec.workload.input().datasets().len() as u32);
		call()?;
		let unused = Self::datasets_end_weight().saturating_sub(match named {
			0 => Weight::zero(),
			n => T::Datasets::end_weight(n),
		});
		Ok(Some(declared.saturating_sub(unused)).into())
	}

	/// Starts job `id`'s use of the datasets `spec`'s input names (none paid for a dispute's
	/// re-execution, `checks`); returns the royalties to hold, refused above the input's
	/// bound.
	fn start_datasets(
		id: JobId,
		spec: &JobSpec<T>,
		checks: bool,
	) -> Result<BalanceOf<T>, DispatchError> {
		let Input::Datasets { ids, max_royalties, .. } = spec.workload.input() else {
			return Ok(Zero::zero());
		};
		let royalties = T::Datasets::start(id, ids, &spec.workload.code(), checks)?;
		ensure!(royalties <= *max_royalties, Error::<T>::RoyaltiesAboveBound);
		Ok(royalties)
	}

	/// Ends job `id`'s use of datasets: with a result, their owners are paid out of its
	/// escrow. Nothing for a job over none.
	fn end_datasets(id: JobId, job: &JobOf<T>, with_result: bool) -> DispatchResult {
		if !job.spec.workload.input().datasets().is_empty() {
			T::Datasets::end(id, with_result)?;
		}
		Ok(())
	}

	// ---- programs ----

	/// The deposit for `size` bytes of code.
	pub fn program_deposit(size: u32) -> BalanceOf<T> {
		T::ProgramDepositPerByte::get()
			.saturating_mul(size.into())
			.saturating_add(T::ProgramDepositBase::get())
	}

	pub(crate) fn do_upload_program(
		who: T::AccountId,
		code: BoundedVec<u8, T::MaxCodeLen>,
	) -> DispatchResult {
		ensure!(!code.is_empty(), Error::<T>::EmptyProgram);
		let hash = sp_io::hashing::blake2_256(&code);
		ensure!(!Programs::<T>::contains_key(hash), Error::<T>::ProgramExists);
		let size = code.len() as u32;
		let deposit = Self::program_deposit(size);
		T::Currency::hold(&HoldReason::ProgramDeposit.into(), &who, deposit)?;
		Programs::<T>::insert(
			hash,
			ProgramInfo { owner: who.clone(), deposit, size, users: 0, freed: false },
		);
		Code::<T>::insert(hash, code);
		Self::deposit_event(Event::ProgramUploaded { hash, owner: who, size, deposit });
		Ok(())
	}

	pub(crate) fn do_free_program(who: T::AccountId, hash: Hash32) -> DispatchResult {
		let mut program = Programs::<T>::get(hash).ok_or(Error::<T>::UnknownProgram)?;
		ensure!(program.owner == who, Error::<T>::NotProgramOwner);
		ensure!(!program.freed, Error::<T>::ProgramFreed);
		program.freed = true;
		Programs::<T>::insert(hash, &program);
		Self::deposit_event(Event::ProgramFreed { hash });
		if program.users == 0 {
			Self::do_remove_program(hash)?;
		}
		Ok(())
	}

	pub(crate) fn do_remove_program(hash: Hash32) -> DispatchResult {
		let program = Programs::<T>::get(hash).ok_or(Error::<T>::UnknownProgram)?;
		ensure!(program.freed, Error::<T>::ProgramNotFreed);
		ensure!(program.users == 0, Error::<T>::ProgramInUse);
		T::Currency::release(
			&HoldReason::ProgramDeposit.into(),
			&program.owner,
			program.deposit,
			Precision::Exact,
		)?;
		Programs::<T>::remove(hash);
		Code::<T>::remove(hash);
		Self::deposit_event(Event::ProgramRemoved { hash, deposit: program.deposit });
		Ok(())
	}

	/// Counts one more (`true`) or one fewer open job using the program of `spec`, if any.
	fn use_program(spec: &JobSpec<T>, more: bool) -> DispatchResult {
		let Some(hash) = spec.workload.program() else { return Ok(()) };
		Programs::<T>::try_mutate(hash, |program| {
			let program = program.as_mut().ok_or(Error::<T>::UnknownProgram)?;
			if more {
				ensure!(!program.freed, Error::<T>::ProgramFreed);
				program.users = program.users.checked_add(1).ok_or(Error::<T>::Overflow)?;
			} else {
				program.users = program.users.saturating_sub(1);
			}
			Ok(())
		})
	}

	// ---- submission ----

	/// Checks a spec's shape (not funds or providers); returns the most the job can pay.
	pub fn check_spec(spec: &JobSpec<T>) -> Result<BalanceOf<T>, DispatchError> {
		ensure!(
			spec.replicas >= 1 && spec.replicas as u32 <= T::MaxReplicas::get(),
			Error::<T>::BadReplicas
		);
		ensure!(
			spec.quorum <= spec.replicas && spec.quorum as u32 * 2 > spec.replicas as u32,
			Error::<T>::BadQuorum
		);
		let limits_set = match &spec.workload {
			Workload::Wasm { fuel_limit, memory_limit_mib, .. } => {
				*fuel_limit > 0 && *memory_limit_mib > 0
			},
			Workload::Container { max_seconds, .. } => *max_seconds > 0,
		};
		ensure!(limits_set && !spec.run_blocks.is_zero(), Error::<T>::ZeroLimit);
		ensure!(spec.run_blocks <= T::MaxRunBlocks::get(), Error::<T>::RunTooLong);
		ensure!(spec.queue_blocks <= T::MaxQueueBlocks::get(), Error::<T>::QueueTooLong);
		let cap = spec.pricing.cap();
		ensure!(!cap.is_zero(), Error::<T>::ZeroPrice);
		cap.checked_mul(&spec.replicas.into()).ok_or_else(|| Error::<T>::Overflow.into())
	}

	pub(crate) fn do_submit_job(requester: T::AccountId, spec: JobSpec<T>) -> DispatchResult {
		Self::open_job(requester, spec, BoundedVec::new(), None).map(|_| ())
	}

	/// Opens a job: holds its funds, matches its replicas (never with a provider in
	/// `excluded`) and, if too few fit, queues it, or fails if it may not wait. `checks` names
	/// the job this one re-executes for a dispute: such a check is never matched at once but
	/// waits for its re-executors to be drawn (see [`Self::match_waiting`]). Returns the new
	/// job's id.
	fn open_job(
		requester: T::AccountId,
		spec: JobSpec<T>,
		excluded: BoundedVec<T::AccountId, ConstU32<8>>,
		checks: Option<JobId>,
	) -> Result<JobId, DispatchError> {
		Self::check_spec(&spec)?;
		Self::use_program(&spec, true)?;
		let id = NextJobId::<T>::get();
		NextJobId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
		let royalties = Self::start_datasets(id, &spec, checks.is_some())?;
		T::Escrow::hold_for_job(
			id,
			&requester,
			spec.pricing.cap(),
			spec.replicas.into(),
			T::JobDeposit::get().checked_add(&royalties).ok_or(Error::<T>::Overflow)?,
		)?;
		Self::deposit_event(Event::JobSubmitted {
			job: id,
			requester: requester.clone(),
			replicas: spec.replicas,
		});
		let now = Self::now();
		let until = now.saturating_add(spec.queue_blocks);
		let mut job = Job {
			requester,
			spec,
			phase: Phase::Queued { until },
			submitted_at: now,
			assignments: BoundedVec::new(),
			dropped: 0,
			excluded,
			dispute: None,
			checks,
			subscription: None,
		};
		if checks.is_none() {
			Self::fill(id, &mut job)?;
		}
		if job.assignments.len() == job.target() as usize {
			job.phase = Phase::Active;
		} else {
			ensure!(!job.spec.queue_blocks.is_zero(), Error::<T>::NoProviders);
			Self::wait(id, &job)?;
			Self::hold_acks(&mut job);
			Self::deposit_event(Event::JobQueued { job: id, until });
		}
		Jobs::<T>::insert(id, job);
		Ok(id)
	}

	pub(crate) fn do_submit_subscription_job(
		requester: T::AccountId,
		subscription: SubscriptionId,
		spec: JobSpec<T>,
	) -> DispatchResult {
		Self::check_spec(&spec)?;
		ensure!(spec.replicas == 1 && spec.quorum == 1, Error::<T>::BadReplicas);
		let now = Self::now();
		let ack_by = now.saturating_add(Self::ack_time_of(&spec, false));
		let (provider, period_end) = T::Subscriptions::take(
			subscription,
			&requester,
			spec.workload.kind(),
			&spec.resources,
			ack_by.saturating_add(spec.run_blocks),
		)?;
		Self::use_program(&spec, true)?;
		let id = NextJobId::<T>::get();
		NextJobId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
		// The periods pay for the work: only the record's deposit is held, and the datasets'
		// royalties.
		let royalties = Self::start_datasets(id, &spec, false)?;
		let deposit = T::JobDeposit::get().checked_add(&royalties).ok_or(Error::<T>::Overflow)?;
		T::Escrow::hold_for_job(id, &requester, Zero::zero(), 0, deposit)?;
		Self::deposit_event(Event::JobSubmitted {
			job: id,
			requester: requester.clone(),
			replicas: 1,
		});
		Self::deposit_event(Event::JobOnSubscription { job: id, subscription });
		let assignment = Assignment {
			provider: provider.clone(),
			prices: Default::default(),
			state: ReplicaState::Assigned { ack_by },
		};
		Assignments::<T>::insert(&provider, id, ());
		Self::deposit_event(Event::JobAssigned { job: id, provider, ack_by });
		let job = Job {
			requester,
			spec,
			phase: Phase::Active,
			submitted_at: now,
			assignments: BoundedVec::truncate_from(alloc::vec![assignment]),
			dropped: 0,
			excluded: BoundedVec::new(),
			dispute: None,
			checks: None,
			subscription: Some(OnSubscription { id: subscription, period_end }),
		};
		Jobs::<T>::insert(id, job);
		Ok(())
	}

	/// Puts job `id` in line for providers: a dispute check among the draws, with the point
	/// after which the randomness that draws its re-executors must be known; any other job at
	/// the back of the queue.
	fn wait(id: JobId, job: &JobOf<T>) -> DispatchResult {
		if job.checks.is_none() {
			return Self::enqueue(id, &job.requester);
		}
		let (_, known) = T::Randomness::random(DRAW_SUBJECT);
		Draws::<T>::try_mutate(|draws| draws.try_push((id, known)))
			.map_err(|_| Error::<T>::TooManyDisputes.into())
	}

	/// Takes job `id` out of line (the draws or the queue).
	fn stop_waiting(id: JobId, job: &JobOf<T>) {
		if job.checks.is_some() {
			Draws::<T>::mutate(|draws| draws.retain(|(drawn, _)| *drawn != id));
		} else {
			Self::dequeue(id, &job.requester);
		}
	}

	/// Puts job `id` of `requester` at the back of the queue, within the requester's share.
	fn enqueue(id: JobId, requester: &T::AccountId) -> DispatchResult {
		let waiting = QueuedBy::<T>::get(requester);
		ensure!(waiting < T::MaxQueuedPerAccount::get(), Error::<T>::TooManyQueued);
		Queue::<T>::try_mutate(|queue| queue.try_push(id)).map_err(|_| Error::<T>::QueueFull)?;
		QueuedBy::<T>::insert(requester, waiting.saturating_add(1));
		Ok(())
	}

	/// Counts one job of `requester` fewer in the queue.
	fn left_queue(requester: &T::AccountId) {
		QueuedBy::<T>::mutate_exists(requester, |waiting: &mut Option<u32>| {
			*waiting = waiting.and_then(|count| count.checked_sub(1)).filter(|count| *count > 0)
		});
	}

	/// Takes job `id` of `requester` out of the queue.
	fn dequeue(id: JobId, requester: &T::AccountId) {
		Queue::<T>::mutate(|queue| queue.retain(|queued| *queued != id));
		Self::left_queue(requester);
	}

	/// While `job` waits in the queue its replicas may not be acknowledged, so their
	/// acknowledgement deadline moves past the wait.
	fn hold_acks(job: &mut JobOf<T>) {
		if let Phase::Queued { until } = job.phase {
			Self::set_ack_deadline(job, until.saturating_add(Self::ack_time(job)));
		}
	}

	/// `job` has all its providers: the replicas not yet acknowledged have
	/// [`Self::ack_time`] from now.
	fn start_acks(job: &mut JobOf<T>) {
		Self::set_ack_deadline(job, Self::now().saturating_add(Self::ack_time(job)));
	}

	/// How long a replica of `job` may wait to be acknowledged: [`Config::AckTimeout`], twice
	/// that for the re-executors of a sealed input, who wait for the requester's grant.
	pub(crate) fn ack_time(job: &JobOf<T>) -> BlockNumberFor<T> {
		Self::ack_time_of(&job.spec, job.checks.is_some())
	}

	/// The acknowledgement time of a job of `spec` (`check`: a dispute's re-execution):
	/// doubled when a grant must reach its providers first (a sealed input's re-executors wait
	/// for the requester's, a job over datasets for their owners' keys, and fetches them).
	pub(crate) fn ack_time_of(spec: &JobSpec<T>, check: bool) -> BlockNumberFor<T> {
		let ack = T::AckTimeout::get();
		if (check && spec.encrypted_input) || !spec.workload.input().datasets().is_empty() {
			ack.saturating_add(ack)
		} else {
			ack
		}
	}

	/// Every replica of `job` not yet acknowledged must be by `ack_by`.
	fn set_ack_deadline(job: &mut JobOf<T>, ack_by: BlockNumberFor<T>) {
		for assignment in job.assignments.iter_mut() {
			if let ReplicaState::Assigned { .. } = assignment.state {
				assignment.state = ReplicaState::Assigned { ack_by };
			}
		}
	}

	/// Draws re-executors for dispute checks whose randomness has come, then retries matching
	/// for queued jobs, oldest first, while `remaining` weight lasts; a job still short of
	/// providers goes to the back. Returns the weight used.
	pub(crate) fn match_waiting(remaining: Weight) -> Weight {
		let base = T::DbWeight::get().reads_writes(2, 2);
		let per_job = T::WeightInfo::match_queued_job();
		// A draw's looks at the index, then assigning what it found (at most what matching a
		// queued job assigns).
		let per_draw = T::WeightInfo::match_drawn_check().saturating_add(per_job);
		if remaining.any_lt(base.saturating_add(per_job)) {
			return Weight::zero();
		}
		let mut draws = Draws::<T>::get();
		let mut queue = Queue::<T>::get();
		if draws.is_empty() && queue.is_empty() {
			return T::DbWeight::get().reads(2);
		}
		let mut used = base;
		let now = Self::now();
		if !draws.is_empty() {
			let (_, known) = T::Randomness::random(DRAW_SUBJECT);
			let mut kept = BoundedVec::new();
			for (id, after) in draws.drain(..) {
				let ready = known > after && !remaining.any_lt(used.saturating_add(per_draw));
				if ready {
					used.saturating_accrue(per_draw);
					if !matches!(Self::retry(id, now), Retry::Waiting) {
						continue;
					}
				}
				// There is room, as it was just taken out.
				let _ = kept.try_push((id, after));
			}
			Draws::<T>::put(kept);
		}
		for _ in 0..queue.len() {
			if remaining.any_lt(used.saturating_add(per_job)) {
				break;
			}
			used.saturating_accrue(per_job);
			let id = queue.remove(0);
			match Self::retry(id, now) {
				Retry::Complete(requester) => Self::left_queue(&requester),
				Retry::Gone => {},
				// Still short (or past its wait, left for `expire`): back of the queue. There
				// is room, as it was just taken out.
				Retry::Waiting => {
					let _ = queue.try_push(id);
				},
			}
		}
		Queue::<T>::put(queue);
		used
	}

	/// Tries to match the missing replicas of queued job `id`.
	fn retry(id: JobId, now: BlockNumberFor<T>) -> Retry<T::AccountId> {
		let Some(mut job) = Jobs::<T>::get(id) else { return Retry::Gone };
		let Phase::Queued { until } = job.phase else { return Retry::Gone };
		if now > until {
			return Retry::Waiting;
		}
		// A failed fill changes nothing it has not undone: keep the job as it was.
		let before = job.clone();
		if frame_support::storage::with_storage_layer(|| Self::fill(id, &mut job)).is_err() {
			job = before;
		}
		if job.assignments.len() < job.target() as usize {
			Self::hold_acks(&mut job);
			Jobs::<T>::insert(id, job);
			return Retry::Waiting;
		}
		job.phase = Phase::Active;
		Self::start_acks(&mut job);
		Self::open_reveals_if_committed(id, &mut job);
		let requester = job.requester.clone();
		Jobs::<T>::insert(id, job);
		Retry::Complete(requester)
	}

	pub(crate) fn do_cancel(who: T::AccountId, id: JobId) -> DispatchResult {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.requester == who, Error::<T>::NotRequester);
		ensure!(!job.is_settled(), Error::<T>::AlreadyRunning);
		ensure!(
			job.assignments
				.iter()
				.all(|assignment| matches!(assignment.state, ReplicaState::Assigned { .. })),
			Error::<T>::AlreadyRunning
		);
		Self::close_assignments(id, &job)?;
		Self::use_program(&job.spec, false)?;
		Self::end_datasets(id, &job, false)?;
		if matches!(job.phase, Phase::Queued { .. }) {
			Self::stop_waiting(id, &job);
		}
		let refunded = T::Escrow::refund(id)?;
		Jobs::<T>::remove(id);
		Totals::<T>::mutate(|totals| totals.refunded = totals.refunded.saturating_add(1));
		Self::deposit_event(Event::JobCancelled { job: id, refunded });
		if let Some(disputed) = job.checks {
			Self::resolve_dispute(disputed, id, None, Zero::zero())?;
		}
		Ok(())
	}

	// ---- replicas ----

	/// The job, and the index of `who`'s replica in it.
	fn replica_of(who: &T::AccountId, id: JobId) -> Result<(JobOf<T>, usize), DispatchError> {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let index = job.assignment_of(who).ok_or(Error::<T>::NotAssigned)?;
		Ok((job, index))
	}

	/// Mutable access to replica `index` of `job`.
	fn replica(job: &mut JobOf<T>, index: usize) -> Result<&mut Assignment<T>, DispatchError> {
		job.assignments.get_mut(index).ok_or_else(|| Error::<T>::NotAssigned.into())
	}

	pub(crate) fn do_ack(who: T::AccountId, id: JobId) -> DispatchResult {
		let (mut job, index) = Self::replica_of(&who, id)?;
		// Nobody runs a replica before every replica has a provider: a requester could ask
		// for one more than can match, take the results, and let the job expire unpaid.
		ensure!(!matches!(job.phase, Phase::Queued { .. }), Error::<T>::StillMatching);
		let now = Self::now();
		let due = now.saturating_add(job.spec.run_blocks);
		let replica = Self::replica(&mut job, index)?;
		let ReplicaState::Assigned { ack_by } = replica.state else {
			return Err(Error::<T>::WrongState.into());
		};
		ensure!(now <= ack_by, Error::<T>::DeadlinePassed);
		replica.state = ReplicaState::Running { due };
		Jobs::<T>::insert(id, job);
		Self::deposit_event(Event::JobAcknowledged { job: id, provider: who, due });
		Ok(())
	}

	pub(crate) fn do_decline(who: T::AccountId, id: JobId) -> DispatchResult {
		let (mut job, index) = Self::replica_of(&who, id)?;
		let deadline = match job.assignments.get(index).map(|assignment| assignment.state) {
			Some(ReplicaState::Assigned { ack_by }) => ack_by,
			Some(ReplicaState::Running { due }) => due,
			_ => return Err(Error::<T>::WrongState.into()),
		};
		ensure!(Self::now() <= deadline, Error::<T>::DeadlinePassed);
		let provider = Self::withdraw_replica(id, &mut job, index, false)?;
		Self::deposit_event(Event::JobDeclined { job: id, provider });
		let requester = job.requester.clone();
		Self::refill(id, job, requester)
	}

	/// Checks that replica `index` of `job` is running and within its deadline.
	fn ensure_running(job: &JobOf<T>, index: usize) -> DispatchResult {
		let Some(ReplicaState::Running { due }) =
			job.assignments.get(index).map(|assignment| assignment.state)
		else {
			return Err(Error::<T>::WrongState.into());
		};
		ensure!(Self::now() <= due, Error::<T>::DeadlinePassed);
		Ok(())
	}

	pub(crate) fn do_submit_result(who: T::AccountId, id: JobId, report: Report) -> DispatchResult {
		let (mut job, index) = Self::replica_of(&who, id)?;
		ensure!(job.spec.replicas == 1, Error::<T>::Replicated);
		Self::ensure_running(&job, index)?;
		Self::replica(&mut job, index)?.state = ReplicaState::Revealed { report };
		Self::deposit_event(Event::ResultRevealed { job: id, provider: who, report });
		Self::settle(id, job)
	}

	pub(crate) fn do_commit_result(
		who: T::AccountId,
		id: JobId,
		commitment: Hash32,
	) -> DispatchResult {
		let (mut job, index) = Self::replica_of(&who, id)?;
		ensure!(job.spec.replicas > 1, Error::<T>::SingleReplica);
		Self::ensure_running(&job, index)?;
		Self::replica(&mut job, index)?.state = ReplicaState::Committed { commitment };
		Self::deposit_event(Event::ResultCommitted { job: id, provider: who });
		Self::open_reveals_if_committed(id, &mut job);
		Jobs::<T>::insert(id, job);
		Ok(())
	}

	/// The commitment to `report` with `salt` by `provider`.
	pub fn commitment(report: &Report, salt: &Hash32, provider: &T::AccountId) -> Hash32 {
		offload_primitives::commitment(report, salt, provider)
	}

	/// Opens reveals once every expected replica is assigned and committed.
	fn open_reveals_if_committed(id: JobId, job: &mut JobOf<T>) {
		let all_committed = job.assignments.len() == job.target() as usize
			&& job
				.assignments
				.iter()
				.all(|assignment| matches!(assignment.state, ReplicaState::Committed { .. }));
		if job.phase == Phase::Active && all_committed {
			let reveal_by = Self::now().saturating_add(T::RevealTimeout::get());
			job.phase = Phase::Revealing { reveal_by };
			Self::deposit_event(Event::RevealsOpened { job: id, reveal_by });
		}
	}

	pub(crate) fn do_reveal_result(
		who: T::AccountId,
		id: JobId,
		report: Report,
		salt: Hash32,
	) -> DispatchResult {
		let (mut job, index) = Self::replica_of(&who, id)?;
		let Phase::Revealing { reveal_by } = job.phase else {
			return Err(Error::<T>::NotRevealing.into());
		};
		ensure!(Self::now() <= reveal_by, Error::<T>::DeadlinePassed);
		let replica = Self::replica(&mut job, index)?;
		let ReplicaState::Committed { commitment } = replica.state else {
			return Err(Error::<T>::WrongState.into());
		};
		ensure!(
			Self::commitment(&report, &salt, &who) == commitment,
			Error::<T>::CommitmentMismatch
		);
		replica.state = ReplicaState::Revealed { report };
		Self::deposit_event(Event::ResultRevealed { job: id, provider: who, report });
		if job
			.assignments
			.iter()
			.all(|assignment| matches!(assignment.state, ReplicaState::Revealed { .. }))
		{
			Self::settle(id, job)
		} else {
			Jobs::<T>::insert(id, job);
			Ok(())
		}
	}

	// ---- settlement ----

	/// Slashes `share` of `provider`'s bond, but at least `floor` (at most the whole bond);
	/// [`Config::Compensation`] of it goes to `requester`. A provider left under the minimum
	/// bond stops being matched. Returns what was slashed.
	fn slash(
		provider: &T::AccountId,
		share: Perbill,
		floor: BalanceOf<T>,
		requester: &T::AccountId,
	) -> Result<BalanceOf<T>, DispatchError> {
		let compensation = T::Compensation::get();
		Self::slash_compensating(provider, share, floor, requester, |amount| compensation * amount)
	}

	/// As [`Self::slash`], with `compensation` saying how much of the amount slashed goes to
	/// `requester`.
	fn slash_compensating(
		provider: &T::AccountId,
		share: Perbill,
		floor: BalanceOf<T>,
		requester: &T::AccountId,
		compensation: impl FnOnce(BalanceOf<T>) -> BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let bond = T::Escrow::bond_of(provider);
		let amount = (share * bond).max(floor).min(bond);
		if amount.is_zero() {
			return Ok(amount);
		}
		let slashed = T::Escrow::slash_bond(provider, amount, requester, compensation(amount))?;
		T::Registry::bond_changed(provider)?;
		Ok(slashed)
	}

	/// The least a rejected result of a job with this `cap` costs its provider.
	fn fraud_floor(cap: BalanceOf<T>) -> BalanceOf<T> {
		cap.saturating_mul(T::FraudValueMultiple::get().into())
	}

	/// Gives back every replica's capacity and forgets the open assignments.
	fn close_assignments(id: JobId, job: &JobOf<T>) -> DispatchResult {
		for assignment in &job.assignments {
			Self::give_back(id, job, &assignment.provider, false)?;
		}
		Ok(())
	}

	/// Gives `provider`'s capacity taken by `job` back (to its subscription, for a job that
	/// runs on one; `missed`: the provider missed a deadline of it) and forgets the assignment.
	fn give_back(
		id: JobId,
		job: &JobOf<T>,
		provider: &T::AccountId,
		missed: bool,
	) -> DispatchResult {
		match job.subscription {
			Some(on) => {
				T::Subscriptions::job_ended(on.id, on.period_end, &job.spec.resources, missed)
			},
			None => T::Registry::release(provider, &job.spec.resources, job.spec.pricing.cap())?,
		}
		Assignments::<T>::remove(provider, id);
		Ok(())
	}

	/// Settles `job` from its revealed reports: the largest agreeing group wins if it reaches
	/// the quorum; winners are paid, dissenters and silent replicas slashed, and the rest of
	/// the escrow, but the deposit, refunded.
	pub(crate) fn settle(id: JobId, mut job: JobOf<T>) -> DispatchResult {
		let key = |report: &Report| (report.result, report.ok);
		let reports: alloc::vec::Vec<Report> = job
			.assignments
			.iter()
			.filter_map(|assignment| match assignment.state {
				ReplicaState::Revealed { report } => Some(report),
				_ => None,
			})
			.collect();
		let mut winner: Option<((Hash32, bool), usize)> = None;
		for report in &reports {
			let votes = reports.iter().filter(|other| key(other) == key(report)).count();
			if winner.is_none_or(|(_, best)| votes > best) {
				winner = Some((key(report), votes));
			}
		}
		let winner =
			winner.filter(|(_, votes)| *votes >= job.spec.quorum as usize).map(|(key, _)| key);
		// Who is paid: the winners; or, when the quorum failed only because replicas that
		// committed withheld their reveals (each slashed as a liar), those that did reveal, if
		// they all agree. Honest work is not lost to others' silence.
		let withheld = job
			.assignments
			.iter()
			.any(|assignment| matches!(assignment.state, ReplicaState::Committed { .. }));
		let unanimous = reports
			.first()
			.map(key)
			.filter(|first| reports.iter().all(|report| key(report) == *first));
		// Only for WASM, where withholding costs at least twice the job's value, more than a
		// colluder's reveal could earn; and only when every withholder's bond can pay that, so
		// a withholder whose bond was already slashed away cannot hand its partner the job.
		let deterministic = job.spec.workload.kind() == RuntimeKind::Wasm;
		let cap = job.spec.pricing.cap();
		let fraud_floor = Self::fraud_floor(cap);
		let withholders_pay = job.assignments.iter().all(|assignment| {
			!matches!(assignment.state, ReplicaState::Committed { .. })
				|| T::Escrow::bond_of(&assignment.provider) >= fraud_floor
		});
		let paying = winner.or(unanimous.filter(|_| withheld && deterministic && withholders_pay));
		// Agreeing replicas are paid for the least usage any of them reported.
		let usage = reports.iter().filter(|report| Some(key(report)) == paying).fold(
			None,
			|least: Option<Usage>, report| {
				Some(match least {
					None => report.usage,
					Some(least) => Usage {
						fuel: least.fuel.min(report.usage.fuel),
						seconds: least.seconds.min(report.usage.seconds),
					},
				})
			},
		);
		let size: u128 = cap.unique_saturated_into();
		let mut paid = BalanceOf::<T>::zero();
		for assignment in &job.assignments {
			let provider = &assignment.provider;
			match (assignment.state, winner, usage) {
				// Paid by the subscription's period, which its delivery helps keep.
				(ReplicaState::Revealed { report }, _, Some(_))
					if job.subscription.is_some() && Some(key(&report)) == paying => {},
				(ReplicaState::Revealed { report }, _, Some(usage))
					if Some(key(&report)) == paying =>
				{
					let amount = pricing::replica_payment(
						&job.spec.pricing,
						&assignment.prices,
						&job.spec.workload.max_usage(),
						&usage,
					);
					let payout = T::Escrow::pay(id, provider, amount)?;
					T::Rewards::work_settled(
						provider,
						&job.requester,
						payout.to_provider,
						payout.fee,
					);
					paid = paid.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
					T::Reputation::record(
						provider,
						Outcome::Success,
						amount.unique_saturated_into(),
					);
				},
				// Containers are not deterministic: a dissenting one is not paid, and not
				// slashed either, as an honest run may differ.
				(ReplicaState::Revealed { .. }, Some(_), _) if !deterministic => {
					T::Reputation::record(provider, Outcome::Failure, size)
				},
				(ReplicaState::Revealed { .. }, Some(_), _) => {
					let slashed =
						Self::slash(provider, T::FraudSlash::get(), fraud_floor, &job.requester)?;
					T::Reputation::record(provider, Outcome::Fraud, size);
					Self::deposit_event(Event::ResultRejected {
						job: id,
						provider: provider.clone(),
						slashed,
					});
				},
				(ReplicaState::Revealed { .. }, None, _) => {
					T::Reputation::record(provider, Outcome::Failure, size)
				},
				// Committed and then silent: withholding a losing reveal must not be cheaper
				// than revealing it, so it costs what a rejected result costs.
				(ReplicaState::Committed { .. }, _, _) => {
					let (share, floor) = if deterministic {
						(T::FraudSlash::get(), fraud_floor)
					} else {
						(T::NoShowSlash::get(), Zero::zero())
					};
					let slashed = Self::slash(provider, share, floor, &job.requester)?;
					T::Reputation::record(provider, Outcome::Fraud, size);
					Self::deposit_event(Event::DeadlineMissed {
						job: id,
						provider: provider.clone(),
						slashed,
					});
				},
				_ => {
					let slashed =
						Self::slash(provider, T::NoShowSlash::get(), Zero::zero(), &job.requester)?;
					T::Reputation::record(provider, Outcome::NoShow, size);
					Self::deposit_event(Event::DeadlineMissed {
						job: id,
						provider: provider.clone(),
						slashed,
					});
				},
			}
		}
		Self::close_assignments(id, &job)?;
		Self::use_program(&job.spec, false)?;
		let (result, ok) = match winner {
			Some((result, ok)) => (Some(result), ok),
			None => (None, false),
		};
		Self::end_datasets(id, &job, result.is_some())?;
		// A job on a subscription held only its deposit (and royalties, paid or not).
		let refunded =
			if job.subscription.is_some() && job.spec.workload.input().datasets().is_empty() {
				Zero::zero()
			} else {
				T::Escrow::refund_keeping(id, T::JobDeposit::get())?
			};
		job.phase = Phase::Settled { result, ok, paid, at: Self::now() };
		let checks = job.checks;
		Jobs::<T>::insert(id, job);
		Totals::<T>::try_mutate(|totals| -> DispatchResult {
			if result.is_some() {
				totals.settled = totals.settled.saturating_add(1);
			} else {
				totals.refunded = totals.refunded.saturating_add(1);
			}
			totals.total_paid = totals.total_paid.checked_add(&paid).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})?;
		Self::deposit_event(Event::JobSettled { job: id, result, ok, paid, refunded });
		if let Some(disputed) = checks {
			Self::resolve_dispute(disputed, id, result.map(|result| (result, ok)), paid)?;
		}
		Ok(())
	}

	// ---- deadlines ----

	pub(crate) fn do_expire(caller: T::AccountId, id: JobId) -> DispatchResult {
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let now = Self::now();
		match job.phase {
			Phase::Settled { .. } => return Err(Error::<T>::NotExpired.into()),
			Phase::Revealing { reveal_by } => {
				ensure!(now > reveal_by, Error::<T>::NotExpired);
				return Self::settle(id, job);
			},
			_ => {},
		}
		let mut acted = false;
		let mut index = 0;
		while let Some(assignment) = job.assignments.get(index) {
			let missed_ack =
				matches!(assignment.state, ReplicaState::Assigned { ack_by } if now > ack_by);
			let missed_run = matches!(assignment.state, ReplicaState::Running { due } if now > due);
			if !(missed_ack || missed_run) {
				index += 1;
				continue;
			}
			let provider = Self::withdraw_replica(id, &mut job, index, true)?;
			if job.subscription.is_some() {
				// The period's pay is what its provider loses (see the subscriptions pallet):
				// never its bond, for what may be its machine's fault.
				Self::deposit_event(Event::DeadlineMissed {
					job: id,
					provider,
					slashed: Zero::zero(),
				});
				acted = true;
				continue;
			}
			let slashed = if missed_run {
				job.dropped = job.dropped.saturating_add(1);
				Self::slash(&provider, T::NoShowSlash::get(), Zero::zero(), &job.requester)?
			} else {
				Zero::zero()
			};
			T::Reputation::record(
				&provider,
				Outcome::NoShow,
				job.spec.pricing.cap().unique_saturated_into(),
			);
			Self::deposit_event(Event::DeadlineMissed { job: id, provider, slashed });
			acted = true;
		}
		let waited_out = matches!(job.phase, Phase::Queued { until } if now > until);
		// A job on a subscription has no other provider to go to.
		let lost = acted && job.subscription.is_some();
		if waited_out || lost || job.target() < job.spec.quorum {
			return Self::end_without_result(id, job, caller);
		}
		ensure!(acted, Error::<T>::NotExpired);
		Self::refill(id, job, caller)
	}

	/// Takes replica `index` out of `job`: its provider's capacity comes back, and the
	/// provider is not matched to the job again (the oldest exclusion makes room when the list
	/// is full). `missed`: the provider missed a deadline of it. Returns the provider.
	fn withdraw_replica(
		id: JobId,
		job: &mut JobOf<T>,
		index: usize,
		missed: bool,
	) -> Result<T::AccountId, DispatchError> {
		let provider = job.assignments.remove(index).provider;
		Self::give_back(id, job, &provider, missed)?;
		if job.excluded.is_full() {
			job.excluded.remove(0);
		}
		let _ = job.excluded.try_push(provider.clone());
		Ok(provider)
	}

	/// Matches providers to `job`'s replicas that lost theirs, then stores it. A job left short
	/// waits in the queue; one that may not wait, or finds no room there, ends without a
	/// result (`caller` gets the deposit).
	fn refill(id: JobId, mut job: JobOf<T>, caller: T::AccountId) -> DispatchResult {
		// A job on a subscription runs on its provider or not at all.
		if job.subscription.is_some() {
			return Self::end_without_result(id, job, caller);
		}
		let now = Self::now();
		// A dispute's replacement re-executor is drawn later, from randomness that whoever
		// calls this cannot know.
		if job.checks.is_none() {
			Self::fill(id, &mut job)?;
		}
		if job.assignments.len() < job.target() as usize {
			if job.phase == Phase::Active {
				let until = now.saturating_add(job.spec.queue_blocks);
				if until == now || Self::wait(id, &job).is_err() {
					// It may not wait, or there is no room to wait: it cannot finish.
					return Self::end_without_result(id, job, caller);
				}
				job.phase = Phase::Queued { until };
				Self::deposit_event(Event::JobQueued { job: id, until });
			}
			Self::hold_acks(&mut job);
		} else if matches!(job.phase, Phase::Queued { .. }) {
			job.phase = Phase::Active;
			Self::start_acks(&mut job);
			Self::stop_waiting(id, &job);
		}
		Self::open_reveals_if_committed(id, &mut job);
		Jobs::<T>::insert(id, job);
		Ok(())
	}

	/// Ends a job that cannot finish: replicas are released, the caller gets the deposit, the
	/// requester the rest, and the record goes.
	fn end_without_result(id: JobId, job: JobOf<T>, caller: T::AccountId) -> DispatchResult {
		Self::close_assignments(id, &job)?;
		Self::use_program(&job.spec, false)?;
		Self::end_datasets(id, &job, false)?;
		if matches!(job.phase, Phase::Queued { .. }) {
			Self::stop_waiting(id, &job);
		}
		T::Escrow::transfer_from_job(id, &caller, T::JobDeposit::get())?;
		let refunded = T::Escrow::refund(id)?;
		Jobs::<T>::remove(id);
		Totals::<T>::mutate(|totals| totals.refunded = totals.refunded.saturating_add(1));
		Self::deposit_event(Event::JobExpired { job: id, refunded, caller });
		if let Some(disputed) = job.checks {
			Self::resolve_dispute(disputed, id, None, Zero::zero())?;
		}
		Ok(())
	}

	pub(crate) fn do_clear_job(who: T::AccountId, id: JobId) -> DispatchResult {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let Phase::Settled { at, .. } = job.phase else {
			return Err(Error::<T>::NotSettled.into());
		};
		ensure!(!matches!(job.dispute, Some(Dispute::Open(_))), Error::<T>::DisputeOpen);
		if who != job.requester {
			ensure!(
				Self::now() >= at.saturating_add(T::Retention::get()),
				Error::<T>::StillRetained
			);
			T::Escrow::transfer_from_job(id, &who, T::Escrow::held_for(id))?;
		}
		T::Escrow::refund(id)?;
		Jobs::<T>::remove(id);
		Self::deposit_event(Event::JobCleared { job: id, by: who });
		Ok(())
	}

	// ---- disputes ----

	pub(crate) fn do_grant_input(
		who: T::AccountId,
		id: JobId,
		grant: BoundedVec<u8, MaxGrantLen>,
	) -> DispatchResult {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.requester == who, Error::<T>::NotRequester);
		ensure!(
			job.checks.is_some() && job.spec.encrypted_input && !job.is_settled(),
			Error::<T>::NotASealedCheck
		);
		Grants::<T>::insert(id, grant);
		Self::deposit_event(Event::InputGranted { job: id });
		Ok(())
	}

	pub(crate) fn do_dispute(who: T::AccountId, id: JobId) -> DispatchResult {
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.requester == who, Error::<T>::NotRequester);
		let Phase::Settled { result, at, .. } = job.phase else {
			return Err(Error::<T>::NotSettled.into());
		};
		ensure!(result.is_some(), Error::<T>::NothingToDispute);
		ensure!(job.spec.replicas == 1, Error::<T>::Replicated);
		ensure!(job.spec.workload.kind() == RuntimeKind::Wasm, Error::<T>::NotDeterministic);
		ensure!(job.dispute.is_none(), Error::<T>::AlreadyDisputed);
		ensure!(
			Self::now() <= at.saturating_add(T::ChallengePeriod::get()),
			Error::<T>::ChallengeClosed
		);
		let mut spec = job.spec.clone();
		spec.replicas = T::DisputeReplicas::get().min(u8::MAX as u32) as u8;
		spec.quorum = spec.replicas / 2 + 1;
		// The check waits at least one acknowledgement period for its draw.
		spec.queue_blocks = spec
			.queue_blocks
			.max(T::AckTimeout::get())
			.min(T::MaxQueueBlocks::get())
			.max(One::one());
		// The disputed provider does not judge itself.
		let excluded = BoundedVec::truncate_from(
			job.assignments.iter().map(|assignment| assignment.provider.clone()).collect(),
		);
		let check_id = Self::open_job(who, spec, excluded, Some(id))?;
		job.dispute = Some(Dispute::Open(check_id));
		Jobs::<T>::insert(id, job);
		Self::deposit_event(Event::DisputeOpened { job: id, check: check_id });
		Ok(())
	}

	/// Judges the dispute of `disputed` by the re-execution `check`, which reached `verdict`
	/// (`None`: no result) and cost the requester `cost`. If the verdict differs from the
	/// disputed result, the provider is slashed [`Config::FraudSlash`] of its bond, of which
	/// the requester gets back what it paid for the job and for the check.
	fn resolve_dispute(
		disputed: JobId,
		check: JobId,
		verdict: Option<(Hash32, bool)>,
		cost: BalanceOf<T>,
	) -> DispatchResult {
		// The re-execution is over: its grant of a sealed input is of no more use.
		Grants::<T>::remove(check);
		let Some(mut job) = Jobs::<T>::get(disputed) else { return Ok(()) };
		let Phase::Settled { result: Some(result), ok, paid, .. } = job.phase else {
			return Ok(());
		};
		let upheld = verdict.is_some_and(|verdict| verdict != (result, ok));
		let mut slashed = BalanceOf::<T>::zero();
		if upheld {
			let owed = paid.saturating_add(cost);
			let floor = Self::fraud_floor(job.spec.pricing.cap());
			for assignment in &job.assignments {
				let provider = &assignment.provider;
				slashed = slashed.saturating_add(Self::slash_compensating(
					provider,
					T::FraudSlash::get(),
					floor,
					&job.requester,
					|amount| owed.min(amount),
				)?);
				let size: u128 = paid.unique_saturated_into();
				T::Reputation::record(provider, Outcome::Fraud, size);
			}
		}
		job.dispute = Some(if upheld { Dispute::Upheld(check) } else { Dispute::Rejected(check) });
		Jobs::<T>::insert(disputed, job);
		Self::deposit_event(Event::DisputeResolved { job: disputed, upheld, slashed });
		Ok(())
	}

	// ---- invariants ----

	/// Checks the invariants: an open job's escrow holds its whole maximum payment, fee and
	/// deposit (a job on a subscription just the deposit), a settled one's just the deposit;
	/// the jobs of each subscription's running period are what it counts, and a job of a
	/// period already judged is past its deadlines; every open assignment is indexed and every
	/// index entry points at a live replica of an open job; queued jobs and the queue agree,
	/// and every queue entry is a queued job; each provider's running jobs, reserved resources
	/// and exposure are what its open assignments add up to; program use counts match the open
	/// jobs.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let queue = Queue::<T>::get();
		let draws: alloc::vec::Vec<JobId> = Draws::<T>::get().iter().map(|(id, _)| *id).collect();
		ensure!(
			draws.iter().collect::<alloc::collections::BTreeSet<_>>().len() == draws.len(),
			"a check drawn twice"
		);
		// Every grant hangs on a live re-execution of a sealed input.
		for (id, _) in Grants::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or("a grant of a job that is gone")?;
			ensure!(
				job.checks.is_some() && job.spec.encrypted_input,
				"a grant on a job that is not a sealed check"
			);
		}
		let mut users: BTreeMap<Hash32, u32> = BTreeMap::new();
		let mut on_subscriptions: BTreeMap<SubscriptionId, (u32, Resources)> = BTreeMap::new();
		for (id, job) in Jobs::<T>::iter() {
			let held = T::Escrow::held_for(id);
			if job.is_settled() {
				ensure!(held == T::JobDeposit::get(), "a settled job holds more than its deposit");
				ensure!(!queue.contains(&id) && !draws.contains(&id), "a settled job is queued");
				continue;
			}
			Self::check_spec(&job.spec).map_err(|_| "a stored spec is bad")?;
			let expected = if let Some(on) = job.subscription {
				// Its period's jobs are what the subscription counts; one of a period already
				// judged is past every deadline.
				match T::Subscriptions::in_use(on.id) {
					Some((period_end, _, _)) if period_end == on.period_end => {
						let entry = on_subscriptions.entry(on.id).or_default();
						entry.0 = entry.0.saturating_add(1);
						entry.1 = entry.1.checked_add(&job.spec.resources).ok_or("overflow")?;
					},
					_ => ensure!(
						job.expirable_at(Self::now()),
						"a job of a judged period is not past its deadlines"
					),
				}
				ensure!(job.spec.replicas == 1, "a job on a subscription with replicas");
				T::JobDeposit::get()
			} else {
				T::Escrow::with_fee(job.spec.pricing.cap(), job.spec.replicas.into())
					.map_err(|_| "fee overflow")?
					.saturating_add(T::JobDeposit::get())
			};
			let expected = expected.saturating_add(T::Datasets::held(id));
			ensure!(held == expected, "an open job's escrow is not its full hold");
			ensure!(job.assignments.len() <= job.target() as usize, "too many replicas");
			for assignment in &job.assignments {
				ensure!(
					Assignments::<T>::contains_key(&assignment.provider, id),
					"an assignment is not indexed"
				);
			}
			let (queued, drawing) = (queue.contains(&id), draws.contains(&id));
			ensure!(
				matches!(job.phase, Phase::Queued { .. }) == (queued || drawing),
				"the queue and the queued jobs differ"
			);
			ensure!(
				(!drawing || job.checks.is_some()) && (!queued || job.checks.is_none()),
				"a dispute check waits in the queue, or another job among the draws"
			);
			if let Some(hash) = job.spec.workload.program() {
				*users.entry(hash).or_default() += 1;
			}
		}
		for (subscription, counted) in on_subscriptions {
			let (_, jobs, in_use) =
				T::Subscriptions::in_use(subscription).ok_or("a subscription went")?;
			ensure!(counted == (jobs, in_use), "a subscription's jobs differ from the market's");
		}
		for (id, job) in Jobs::<T>::iter() {
			if let Some(Dispute::Open(check)) = job.dispute {
				let check = Jobs::<T>::get(check).ok_or("an open dispute without its check")?;
				ensure!(check.checks == Some(id), "a check of another job");
				ensure!(!check.is_settled(), "an open dispute whose check settled");
			}
		}
		for id in &draws {
			Jobs::<T>::get(id).ok_or("a draw of a missing job")?;
		}
		let mut waiting: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for id in &queue {
			let job = Jobs::<T>::get(id).ok_or("a queue entry of a missing job")?;
			ensure!(matches!(job.phase, Phase::Queued { .. }), "a queue entry of a job not queued");
			*waiting.entry(job.requester).or_default() += 1;
		}
		ensure!(
			QueuedBy::<T>::iter().collect::<BTreeMap<_, _>>() == waiting,
			"the requesters' queued counts differ from the queue"
		);
		// What each provider has taken on, counted from the open assignments.
		let mut taken: BTreeMap<T::AccountId, (u32, Resources, BalanceOf<T>)> = BTreeMap::new();
		for (provider, id, ()) in Assignments::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or("an assignment of a missing job")?;
			ensure!(!job.is_settled(), "an assignment of a settled job");
			ensure!(job.assignment_of(&provider).is_some(), "an assignment the job lacks");
			// A job on a subscription takes from the subscription's reservation (and may
			// outlive it, past its deadlines, until someone expires it).
			if job.subscription.is_some() {
				continue;
			}
			ensure!(T::Registry::is_registered(&provider), "an assignment of an unknown provider");
			let entry = taken.entry(provider).or_default();
			entry.0 = entry.0.saturating_add(1);
			entry.1 = entry.1.checked_add(&job.spec.resources).ok_or("resources overflow")?;
			entry.2 = entry.2.saturating_add(job.spec.pricing.cap());
		}
		for (provider, counted) in taken {
			// Subscriptions take capacity from the same providers.
			let (slots, resources, value) =
				<T::Reservations as crate::Reservations<_, _>>::reserved(&provider);
			let counted = (
				counted.0.saturating_add(slots),
				counted.1.checked_add(&resources).ok_or("resources overflow")?,
				counted.2.saturating_add(value),
			);
			ensure!(
				T::Registry::in_use(&provider) == Some(counted),
				"a provider's running jobs, reserved resources or exposure differ from its assignments"
			);
		}
		for (hash, program) in Programs::<T>::iter() {
			ensure!(Code::<T>::contains_key(hash), "a program without code");
			ensure!(
				users.get(&hash).copied().unwrap_or(0) == program.users,
				"a program's use count is off"
			);
		}
		Ok(())
	}
}
