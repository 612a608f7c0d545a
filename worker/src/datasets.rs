//! Datasets: `offload data seal/register/list/retire/remove/serve` for their owners, and the
//! provider side: the datasets a job's input names, with the owners' key grants.
//!
//! A sealed dataset is served encrypted ([`envelope::seal_dataset`]); its owner's service
//! (`offload data serve`) follows the chain's finalized blocks, and for every assignment of a
//! job over one of the owner's sealed datasets grants the content key to the job's providers
//! (wrapped to the keys their offers publish) on chain. Providers not assigned get nothing
//! they can open.

use crate::{
	api::{self, Event, MarketEvent},
	chain::{self, AccountId, Balance, Chain, Hash},
	config::format_ofl,
	envelope, http,
	inputs::DatasetSource,
};
use anyhow::{anyhow, bail, Context, Result};
use sp_core::sr25519;
use std::collections::{BTreeSet, HashMap};
use tracing::{info, warn};

/// The largest dataset the owner's service fetches to learn its key (the header is at the
/// start, but the hash covers the whole file).
const MAX_DATASET_BYTES: usize = 1 << 32;

/// The datasets `ids` of job `job` as its provider reads them at block `at`: where each is
/// served and, for a sealed one, the owner's grant of its key for this job if there is one.
pub async fn sources(chain: &Chain, at: Hash, job: u64, ids: &[u64]) -> Result<Vec<DatasetSource>> {
	let mut sources = Vec::with_capacity(ids.len());
	for &id in ids {
		let record = chain
			.storage(api::storage().datasets().records(), (id,), Some(at))
			.await?
			.ok_or_else(|| anyhow!("dataset {id} of job {job} is not on chain"))?;
		let sealed = if record.sealed {
			let grants = api::storage().datasets().key_grants();
			Some(chain.storage(grants, (job, id), Some(at)).await?.map(|grant| grant.0))
		} else {
			None
		};
		sources.push(DatasetSource {
			id,
			url: String::from_utf8_lossy(&record.location).into_owned(),
			hash: record.hash,
			sealed,
		});
	}
	Ok(sources)
}

/// Seals `data` for the owner `pair` (see [`envelope::seal_dataset`]).
pub fn seal(data: &[u8], pair: &sr25519::Pair) -> Result<Vec<u8>> {
	Ok(envelope::seal_dataset(data, &envelope::secret_of(pair))?)
}

/// Registers the dataset whose served bytes are `bytes` (sealed if they are a sealed
/// dataset), served at `url`; returns its id.
pub async fn register(
	chain: &Chain,
	pair: &sr25519::Pair,
	bytes: &[u8],
	url: &str,
	royalty: Balance,
	programs: Vec<[u8; 32]>,
) -> Result<u64> {
	let sealed = envelope::is_sealed_dataset(bytes);
	if sealed {
		// Only the owner who sealed it can grant its key.
		envelope::dataset_content_key(bytes, &envelope::secret_of(pair))
			.context("the file is a sealed dataset of another account")?;
	}
	let call = api::tx().datasets().register(
		sp_crypto_hashing::blake2_256(bytes),
		bytes.len() as u64,
		api::bounded(url.as_bytes().to_vec()),
		royalty,
		api::bounded(programs),
		sealed,
	);
	let included = chain.execute(pair, &call).await?;
	let id = included
		.events
		.iter()
		.find_map(|event| match event {
			Event::Datasets(api::DatasetsEvent::Registered { dataset, .. }) => Some(*dataset),
			_ => None,
		})
		.context("the chain did not report the dataset")?;
	println!(
		"dataset {id}: {} bytes at {url}, royalty {} per job{}",
		bytes.len(),
		format_ofl(royalty),
		if sealed {
			", sealed (run `offload data serve` to grant its key to assigned providers)"
		} else {
			""
		}
	);
	Ok(id)
}

/// Prints the datasets (only `owner`'s, if given); returns how many.
pub async fn list(chain: &Chain, owner: Option<AccountId>) -> Result<usize> {
	let mut from = 0;
	let mut shown = 0;
	loop {
		let call = api::runtime_apis().datasets_api().datasets(owner, from, 100);
		let page = chain.runtime_call(call, None).await?;
		let Some(last) = page.last().map(|view| view.id) else { break };
		for view in &page {
			let programs = if view.programs.is_empty() {
				"any program".to_string()
			} else {
				view.programs
					.iter()
					.map(|program| format!("0x{}", hex::encode(program)))
					.collect::<Vec<_>>()
					.join(", ")
			};
			println!(
				"dataset {}: owner {}, {} bytes at {}, hash 0x{}, royalty {}{}{}; {} open job(s); allows {programs}",
				view.id,
				view.owner,
				view.size,
				String::from_utf8_lossy(&view.location),
				hex::encode(view.hash),
				format_ofl(view.royalty),
				if view.sealed { ", sealed" } else { "" },
				if view.retired { ", retired" } else { "" },
				view.users,
			);
		}
		shown += page.len();
		from = last + 1;
	}
	if shown == 0 {
		println!("no datasets");
	}
	Ok(shown)
}

/// The royalties a job running `code` over `ids` would pay now, or why the chain refuses.
pub async fn royalties(chain: &Chain, ids: &[u64], code: [u8; 32]) -> Result<Balance> {
	let head = chain.finalized().await?;
	let call = api::runtime_apis().datasets_api().royalties(ids.to_vec(), code);
	match chain.runtime_call(call, Some(head.hash)).await? {
		Ok(royalties) => Ok(royalties),
		Err(error) => {
			bail!("the datasets refuse the job: {}", chain.describe(&error, head.hash).await)
		},
	}
}

/// Retires (no new jobs) or removes the signer's dataset `id`.
pub async fn retire_or_remove(
	chain: &Chain,
	pair: &sr25519::Pair,
	id: u64,
	remove: bool,
) -> Result<()> {
	if remove {
		chain.execute(pair, &api::tx().datasets().remove(id)).await?;
		println!("dataset {id} removed; its deposit is back");
	} else {
		chain.execute(pair, &api::tx().datasets().retire(id)).await?;
		println!("dataset {id} retired: open jobs finish, no new ones");
	}
	Ok(())
}

/// The owner's service: grants the keys of the signer's sealed datasets to the providers of
/// every job over them, as they are assigned, until `shutdown`. Runs from the chain's
/// finalized head on; an assignment it missed while down is served when the job is
/// assigned again (a provider without the key gives its replica back before its deadline).
pub async fn serve(
	chain: &Chain,
	pair: &sr25519::Pair,
	reach: http::Reach,
	shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
	let me = chain::account_of(pair);
	let secret = envelope::secret_of(pair);
	let mut keys: HashMap<u64, [u8; 32]> = HashMap::new();
	let mut heads = chain.subscribe_finalized().await?;
	let mut next: Option<u32> = None;
	println!("granting the keys of {me}'s sealed datasets to assigned providers (Ctrl-C stops)");
	tokio::pin!(shutdown);
	loop {
		let head = tokio::select! {
			_ = &mut shutdown => return Ok(()),
			head = heads.next() => head,
		};
		let Some(head) = head else { bail!("the node closed the subscription") };
		let number = chain::header_number(&head?)?;
		for at in next.unwrap_or(number)..=number {
			let hash = chain.block_hash(at).await?;
			let jobs: BTreeSet<u64> = chain
				.events(hash)
				.await?
				.into_iter()
				.filter_map(|(_, event)| match event {
					Event::Market(MarketEvent::JobAssigned { job, .. }) => Some(job),
					_ => None,
				})
				.collect();
			for job in jobs {
				if let Err(error) =
					grant(chain, pair, &me, &secret, &mut keys, reach, hash, job).await
				{
					warn!(job, "granting dataset keys: {error:#}");
				}
			}
		}
		next = Some(number + 1);
	}
}

/// Grants the key of each of `me`'s sealed datasets job `job` uses to its providers at `at`.
#[allow(clippy::too_many_arguments)]
async fn grant(
	chain: &Chain,
	pair: &sr25519::Pair,
	me: &AccountId,
	secret: &x25519_dalek::StaticSecret,
	keys: &mut HashMap<u64, [u8; 32]>,
	reach: http::Reach,
	at: Hash,
	job: u64,
) -> Result<()> {
	let Some(uses) = chain.storage(api::storage().datasets().uses(), (job,), Some(at)).await?
	else {
		return Ok(());
	};
	let ours: Vec<u64> =
		uses.0.iter().filter(|used| used.owner == *me).map(|used| used.dataset).collect();
	if ours.is_empty() {
		return Ok(());
	}
	let Some(record) = chain.storage(api::storage().market().jobs(), (job,), Some(at)).await?
	else {
		return Ok(());
	};
	let mut recipients = Vec::new();
	for assignment in record.assignments.iter() {
		let provider = chain
			.storage(api::storage().registry().providers(), (assignment.provider,), Some(at))
			.await?;
		match provider.map(|provider| provider.offer.encryption_key) {
			Some(key) if envelope::is_usable_key(&key) => recipients.push(key),
			_ => {
				warn!(job, provider = %assignment.provider, "publishes no usable key: not granted")
			},
		}
	}
	for dataset in ours {
		let record = chain
			.storage(api::storage().datasets().records(), (dataset,), Some(at))
			.await?
			.ok_or_else(|| anyhow!("dataset {dataset} is gone"))?;
		if !record.sealed {
			continue;
		}
		let key = match keys.get(&dataset) {
			Some(key) => *key,
			None => {
				let url = String::from_utf8_lossy(&record.location).into_owned();
				let served = http::fetch(&url, MAX_DATASET_BYTES, reach)
					.await
					.with_context(|| format!("fetching dataset {dataset} from {url}"))?;
				if sp_crypto_hashing::blake2_256(&served) != record.hash {
					bail!("dataset {dataset}: {url} serves other bytes than registered");
				}
				let key = envelope::dataset_content_key(&served, secret)
					.with_context(|| format!("dataset {dataset} was sealed by another account"))?;
				*keys.entry(dataset).or_insert(key)
			},
		};
		let grant = envelope::grant_dataset_key(&key, &recipients)?;
		chain
			.execute(pair, &api::tx().datasets().grant_key(job, dataset, api::bounded(grant)))
			.await?;
		info!(job, dataset, providers = recipients.len(), "key granted");
		println!("job {job}: dataset {dataset}'s key granted to {} provider(s)", recipients.len());
	}
	Ok(())
}
