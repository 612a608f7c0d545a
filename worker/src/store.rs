//! The worker's state on disk: what it knows of each job it runs (in ParityDB, an embedded
//! database) and the results it serves (content-addressed files).
//!
//! A job's report is written before anything about it is sent to the chain, and each
//! transaction is recorded before it is sent; a worker killed at any point and restarted reads
//! this back, compares it with the chain's finalized state, and sends only what the chain has
//! not seen.

use anyhow::{Context, Result};
use codec::{Decode, Encode};
use offload_runtime::{AccountId, BlockNumber};
use pallet_offload_market::{Hash32, Report};
use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
	sync::Mutex,
	time::{Duration, SystemTime},
};

/// A transaction the worker sends for a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Encode, Decode)]
pub enum Step {
	/// `ack`.
	Ack,
	/// `submit_result` (one replica).
	Submit,
	/// `commit_result`.
	Commit,
	/// `reveal_result`.
	Reveal,
}

/// What the worker keeps about one job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct LocalJob {
	/// Who submitted the job: the only one its result is served to.
	pub requester: Option<AccountId>,
	/// The run's report, once it ran.
	pub report: Option<Report>,
	/// Why the run failed, if it did.
	pub failure: Option<String>,
	/// The salt of the commitment.
	pub salt: Hash32,
	/// The finalized block at which each step was last sent.
	pub sent: BTreeMap<Step, BlockNumber>,
}

const JOBS: u8 = 0;
const META: u8 = 1;
const COLUMNS: u8 = 2;

/// A result file still being written this long after it was started was left by a crash.
const UNFINISHED_AFTER: Duration = Duration::from_secs(3600);

/// What [`Store::prune_results`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
	/// Files removed.
	pub files: u64,
	/// Their bytes.
	pub bytes: u64,
}

/// The worker's data directory.
pub struct Store {
	db: parity_db::Db,
	results: PathBuf,
	/// Held while a result is written or results are pruned, so a result produced again is
	/// never removed as it is being kept.
	results_lock: Mutex<()>,
}

impl Store {
	/// Opens (or creates) the store under `dir`.
	pub fn open(dir: &Path) -> Result<Self> {
		let results = dir.join("results");
		std::fs::create_dir_all(&results)
			.with_context(|| format!("cannot create {}", results.display()))?;
		let mut options = parity_db::Options::with_columns(&dir.join("db"), COLUMNS);
		options.sync_wal = true;
		options.sync_data = true;
		let db = parity_db::Db::open_or_create(&options)
			.map_err(|error| anyhow::anyhow!("cannot open the worker database: {error}"))?;
		Ok(Self { db, results, results_lock: Mutex::new(()) })
	}

	fn get<T: Decode>(&self, column: u8, key: &[u8]) -> Result<Option<T>> {
		let bytes = self
			.db
			.get(column, key)
			.map_err(|error| anyhow::anyhow!("database read failed: {error}"))?;
		bytes
			.map(|bytes| T::decode(&mut &bytes[..]).context("a database record does not decode"))
			.transpose()
	}

	fn put(&self, column: u8, key: &[u8], value: Vec<u8>) -> Result<()> {
		self.db
			.commit(vec![(column, key.to_vec(), Some(value))])
			.map_err(|error| anyhow::anyhow!("database write failed: {error}"))
	}

	/// What the worker knows of job `id`.
	pub fn job(&self, id: u64) -> Result<LocalJob> {
		Ok(self.get(JOBS, &id.to_le_bytes())?.unwrap_or_default())
	}

	/// Records what the worker knows of job `id`.
	pub fn set_job(&self, id: u64, job: &LocalJob) -> Result<()> {
		self.put(JOBS, &id.to_le_bytes(), job.encode())
	}

	/// A small named value.
	pub fn meta<T: Decode>(&self, name: &str) -> Result<Option<T>> {
		self.get(META, name.as_bytes())
	}

	/// Sets a small named value.
	pub fn set_meta(&self, name: &str, value: &impl Encode) -> Result<()> {
		self.put(META, name.as_bytes(), value.encode())
	}

	/// The requester's x25519 key job `id`'s output is sealed to, for a job with a sealed input.
	pub fn reply_key(&self, id: u64) -> Result<Option<[u8; 32]>> {
		self.meta(&format!("reply/{id}"))
	}

	/// Keeps the key job `id`'s output is sealed to.
	pub fn set_reply_key(&self, id: u64, key: &[u8; 32]) -> Result<()> {
		self.set_meta(&format!("reply/{id}"), key)
	}

	fn result_path(&self, hash: &Hash32) -> PathBuf {
		self.results.join(hex::encode(hash))
	}

	/// Keeps `bytes` under their blake2-256 hash; returns it. A result that is already kept
	/// (another job produced the same bytes) is kept for the full period again from now.
	pub fn put_result(&self, bytes: &[u8]) -> Result<Hash32> {
		let hash = sp_crypto_hashing::blake2_256(bytes);
		let path = self.result_path(&hash);
		let _lock = self.results_lock.lock().map_err(|_| anyhow::anyhow!("a writer panicked"))?;
		if path.exists() {
			std::fs::File::options()
				.write(true)
				.open(&path)
				.and_then(|file| file.set_modified(SystemTime::now()))
				.with_context(|| format!("cannot touch {}", path.display()))?;
		} else {
			// Written whole, then renamed: a reader never sees half a file.
			let partial = path.with_extension("partial");
			std::fs::write(&partial, bytes)
				.and_then(|()| std::fs::File::open(&partial)?.sync_all())
				.and_then(|()| std::fs::rename(&partial, &path))
				.with_context(|| format!("cannot write {}", path.display()))?;
		}
		Ok(hash)
	}

	/// Removes the results produced more than `keep` ago, and writes a crash left unfinished.
	/// Requesters have `keep` to fetch a result; after that the worker answers that it does not
	/// have it, and the hash on chain still says what the result was.
	pub fn prune_results(&self, keep: Duration) -> Result<Pruned> {
		let _lock = self.results_lock.lock().map_err(|_| anyhow::anyhow!("a writer panicked"))?;
		let now = SystemTime::now();
		let mut pruned = Pruned::default();
		let entries = std::fs::read_dir(&self.results)
			.with_context(|| format!("cannot list {}", self.results.display()))?;
		for entry in entries {
			let path = entry?.path();
			let metadata = std::fs::metadata(&path)?;
			if !metadata.is_file() {
				continue;
			}
			let unfinished = path.extension().is_some_and(|extension| extension == "partial");
			let limit = if unfinished { keep.min(UNFINISHED_AFTER) } else { keep };
			let age = now.duration_since(metadata.modified()?).unwrap_or_default();
			if age > limit {
				std::fs::remove_file(&path)
					.with_context(|| format!("cannot remove {}", path.display()))?;
				pruned.files += 1;
				pruned.bytes += metadata.len();
			}
		}
		Ok(pruned)
	}

	/// The bytes of result `hash`, if kept here.
	pub fn result(&self, hash: &Hash32) -> Result<Option<Vec<u8>>> {
		match std::fs::read(self.result_path(hash)) {
			Ok(bytes) => Ok(Some(bytes)),
			Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(error) => Err(error.into()),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const DAY: Duration = Duration::from_secs(24 * 3600);

	fn age(path: &Path, by: Duration) {
		let file = std::fs::File::options().write(true).open(path).expect("exists");
		file.set_modified(SystemTime::now() - by).expect("mtime set");
	}

	#[test]
	fn results_older_than_the_period_and_unfinished_writes_are_pruned() {
		let dir = std::env::temp_dir().join(format!("offload-store-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		let store = Store::open(&dir).expect("opens");
		let old = store.put_result(b"old result").expect("kept");
		let fresh = store.put_result(b"fresh result").expect("kept");
		let again = store.put_result(b"produced twice").expect("kept");
		age(&store.result_path(&old), 8 * DAY);
		age(&store.result_path(&again), 8 * DAY);
		// Another job produced the same bytes: kept from now on.
		assert_eq!(store.put_result(b"produced twice").expect("kept"), again);
		let crashed = store.result_path(&[9; 32]).with_extension("partial");
		std::fs::write(&crashed, b"half").expect("written");
		age(&crashed, 2 * UNFINISHED_AFTER);
		let writing = store.result_path(&[8; 32]).with_extension("partial");
		std::fs::write(&writing, b"being written").expect("written");

		let pruned = store.prune_results(7 * DAY).expect("pruned");

		assert_eq!(pruned, Pruned { files: 2, bytes: (b"old result".len() + 4) as u64 });
		assert_eq!(store.result(&old).expect("reads"), None);
		assert!(!crashed.exists());
		assert_eq!(store.result(&fresh).expect("reads").as_deref(), Some(&b"fresh result"[..]));
		assert_eq!(store.result(&again).expect("reads").as_deref(), Some(&b"produced twice"[..]));
		assert!(writing.exists());
		assert_eq!(store.prune_results(7 * DAY).expect("pruned"), Pruned::default());
		drop(store);
		let _ = std::fs::remove_dir_all(&dir);
	}
}
