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

/// The worker's data directory.
pub struct Store {
	db: parity_db::Db,
	results: PathBuf,
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
		Ok(Self { db, results })
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

	/// Keeps `bytes` under their blake2-256 hash; returns it.
	pub fn put_result(&self, bytes: &[u8]) -> Result<Hash32> {
		let hash = sp_crypto_hashing::blake2_256(bytes);
		let path = self.result_path(&hash);
		if !path.exists() {
			// Written whole, then renamed: a reader never sees half a file.
			let partial = path.with_extension("partial");
			std::fs::write(&partial, bytes)
				.and_then(|()| std::fs::File::open(&partial)?.sync_all())
				.and_then(|()| std::fs::rename(&partial, &path))
				.with_context(|| format!("cannot write {}", path.display()))?;
		}
		Ok(hash)
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
