//! `DatasetsApi`: the datasets' queries, as a runtime API (polkadot.js decorates them as
//! `api.call.datasetsApi.*` from metadata alone), wrapped by the node's `offload_datasets`
//! JSON-RPC method.

use crate::{pallet::*, DatasetId, DatasetRoyalties, Hash32};
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;

/// A dataset as the API shows it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct DatasetView<AccountId, Balance> {
	/// Its id.
	pub id: DatasetId,
	/// Its owner.
	pub owner: AccountId,
	/// blake2-256 of the served bytes.
	pub hash: Hash32,
	/// Size of the served bytes.
	pub size: u64,
	/// Where they are served.
	pub location: Vec<u8>,
	/// The royalty per job.
	pub royalty: Balance,
	/// Programs allowed (empty: any).
	pub programs: Vec<Hash32>,
	/// Sealed: only a job's assigned providers get the key.
	pub sealed: bool,
	/// Takes no new jobs.
	pub retired: bool,
	/// Open jobs using it.
	pub users: u32,
	/// The owner's deposit.
	pub deposit: Balance,
}

sp_api::decl_runtime_apis! {
	/// Queries of Offload's datasets.
	pub trait DatasetsApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// A dataset.
		fn dataset(id: DatasetId) -> Option<DatasetView<AccountId, Balance>>;

		/// Datasets with ids from `from` on, at most `limit` (at most 100) of them; with
		/// `owner`, only its datasets.
		fn datasets(owner: Option<AccountId>, from: DatasetId, limit: u32) -> Vec<DatasetView<AccountId, Balance>>;

		/// The royalties a job running `code` over `datasets` would hold now, or why it would
		/// be refused.
		fn royalties(datasets: Vec<DatasetId>, code: Hash32) -> Result<Balance, sp_runtime::DispatchError>;
	}
}

impl<T: Config> Pallet<T> {
	/// The API's view of dataset `id`.
	pub fn view(id: DatasetId) -> Option<DatasetView<T::AccountId, BalanceOf<T>>> {
		Records::<T>::get(id).map(|record| DatasetView {
			id,
			owner: record.owner,
			hash: record.hash,
			size: record.size,
			location: record.location.into_inner(),
			royalty: record.royalty,
			programs: record.programs.into_inner(),
			sealed: record.sealed,
			retired: record.retired,
			users: record.users,
			deposit: record.deposit,
		})
	}

	/// [`DatasetsApi::datasets`]: an owner's from its index, everyone's by id.
	pub fn views(
		owner: Option<T::AccountId>,
		from: DatasetId,
		limit: u32,
	) -> Vec<DatasetView<T::AccountId, BalanceOf<T>>> {
		let limit = limit.min(100) as usize;
		match owner {
			Some(owner) => {
				let mut ids: Vec<DatasetId> =
					OwnedBy::<T>::iter_key_prefix(&owner).filter(|id| *id >= from).collect();
				ids.sort_unstable();
				ids.into_iter().take(limit).filter_map(Self::view).collect()
			},
			None => (from..NextDatasetId::<T>::get()).filter_map(Self::view).take(limit).collect(),
		}
	}

	/// [`DatasetsApi::royalties`].
	pub fn royalties(
		datasets: Vec<DatasetId>,
		code: Hash32,
	) -> Result<BalanceOf<T>, sp_runtime::DispatchError> {
		<Self as DatasetRoyalties<_, _>>::quote(&datasets, &code)
	}
}
