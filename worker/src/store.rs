//! The worker's state on disk: what it knows of each job it runs (in ParityDB, an embedded
//! database) and the results it serves (content-addressed files).
//!
//! A job's report is written before anything about it is sent to the chain, and each
//! transaction is recorded before it is sent; a worker killed at any point and restarted reads
//! this back, compares it with the chain's finalized state, and sends only what the chain has
//! not seen.

use crate::{
	api::{Hash32, Report},
	chain::{AccountId, BlockNumber, Nonce},
};
use anyhow::{Context, Result};
use codec::{Decode, Encode};
use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
	sync::Mutex,
	time::{Duration, SystemTime},
};

/// A transaction the worker sends for a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub enum Step {
	/// `ack`.
	Ack,
	/// `submit_result` (one replica).
	Submit,
	/// `commit_result`.
	Commit,
	/// `reveal_result`.
	Reveal,
	/// `expire`, on this provider's own replica past its deadline, to free its capacity.
	Expire,
	/// `decline`, on a replica this provider cannot run.
	Decline,
}

/// What the worker keeps about one job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
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
	/// Why the run says nothing about the job (an abstention: a timeout, a fetch that failed,
	/// a local limit), if it does; the replica is then given back with `decline`.
	pub abstained: Option<String>,
	/// The job settled on chain with this worker's result: only then is the output served to
	/// the requester, who has paid for it by then.
	pub settled: bool,
	/// The nonce each step was last sent with, so that after a crash the worker can tell a
	/// transaction that left (the account's next nonce is past it) from one that did not.
	pub nonces: BTreeMap<Step, Nonce>,
}

impl Decode for LocalJob {
	fn decode<I: codec::Input>(input: &mut I) -> Result<Self, codec::Error> {
		Ok(Self {
			requester: Decode::decode(input)?,
			report: Decode::decode(input)?,
			failure: Decode::decode(input)?,
			salt: Decode::decode(input)?,
			sent: Decode::decode(input)?,
			// Added after the first release: records written before end here.
			abstained: match input.remaining_len()? {
				Some(0) => None,
				_ => Decode::decode(input)?,
			},
			settled: match input.remaining_len()? {
				Some(0) => false,
				_ => Decode::decode(input)?,
			},
			nonces: match input.remaining_len()? {
				Some(0) => BTreeMap::new(),
				_ => Decode::decode(input)?,
			},
		})
	}
}

const JOBS: u8 = 0;
const META: u8 = 1;
const COLUMNS: u8 = 2;

/// One write (or removal, with `None`) of a database batch.
type Change = (u8, Vec<u8>, Option<Vec<u8>>);

/// The job log: a queue in `META` of `(job id, day first recorded)` at `log/<n>`, oldest at
/// `LOG_HEAD`, next free place at `LOG_NEXT`. ParityDB cannot list a hash column, so this is
/// how old job records are found.
const LOG_HEAD: &str = "log/head";
const LOG_NEXT: &str = "log/next";

fn log_key(at: u64) -> Vec<u8> {
	format!("log/{at}").into_bytes()
}

/// Files job `id` under `day` at place `at` of the job log.
fn log_entry(at: u64, id: u64, day: u64) -> Change {
	(META, log_key(at), Some((id, day).encode()))
}

fn reply_key_name(id: u64) -> String {
	format!("reply/{id}")
}

/// Days since the Unix epoch.
fn today() -> u64 {
	SystemTime::now()
		.duration_since(SystemTime::UNIX_EPOCH)
		.map_or(0, |since| since.as_secs() / (24 * 3600))
}

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
	/// Held while the job log changes.
	log_lock: Mutex<()>,
	/// Held while a commit is written through.
	commit_lock: Mutex<()>,
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
		// No background threads: each commit is written through by `commit` itself.
		options.with_background_thread = false;
		let db = parity_db::Db::open_or_create(&options)
			.map_err(|error| anyhow::anyhow!("cannot open the worker database: {error}"))?;
		Ok(Self {
			db,
			results,
			results_lock: Mutex::new(()),
			log_lock: Mutex::new(()),
			commit_lock: Mutex::new(()),
		})
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
		self.commit(vec![(column, key.to_vec(), Some(value))])
	}

	/// Commits `changes` and returns once they are on disk: ParityDB's `commit` only queues
	/// them, so the queue is written to the write-ahead log here and the log synced, then
	/// applied to the tables (also synced) and cleared. A crash after this returns loses none
	/// of it, which is what "recorded before sent" needs.
	fn commit(&self, changes: Vec<Change>) -> Result<()> {
		let failed = |error: parity_db::Error| anyhow::anyhow!("database write failed: {error}");
		let _one_at_a_time =
			self.commit_lock.lock().map_err(|_| anyhow::anyhow!("a writer panicked"))?;
		self.db.commit(changes).map_err(failed)?;
		self.db.process_commits().map_err(failed)?;
		self.db.flush_logs().map_err(failed)?;
		self.db.enact_logs().map_err(failed)?;
		self.db.clean_logs().map_err(failed)
	}

	/// What the worker knows of job `id`.
	pub fn job(&self, id: u64) -> Result<LocalJob> {
		Ok(self.get(JOBS, &id.to_le_bytes())?.unwrap_or_default())
	}

	/// Records what the worker knows of job `id`. The first record of a job is also filed in
	/// the job log under today, so [`Store::prune_jobs`] finds it when it is old.
	pub fn set_job(&self, id: u64, job: &LocalJob) -> Result<()> {
		self.set_job_on(id, job, today())
	}

	fn set_job_on(&self, id: u64, job: &LocalJob, day: u64) -> Result<()> {
		let _lock = self.log_lock.lock().map_err(|_| anyhow::anyhow!("a writer panicked"))?;
		let key = id.to_le_bytes();
		let mut batch = vec![(JOBS, key.to_vec(), Some(job.encode()))];
		let known = self
			.db
			.get(JOBS, &key)
			.map_err(|error| anyhow::anyhow!("database read failed: {error}"))?
			.is_some();
		if !known {
			let at: u64 = self.meta(LOG_NEXT)?.unwrap_or(0);
			batch.push(log_entry(at, id, day));
			batch.push((META, LOG_NEXT.as_bytes().to_vec(), Some((at + 1).encode())));
		}
		self.commit(batch)
	}

	/// Removes the records (and reply keys) of jobs first recorded more than `keep_days` whole
	/// days ago, with a day to spare, except those in `open` (still assigned on chain), which
	/// are filed again under today. Returns how many records went. Results are kept as long
	/// ([`Store::prune_results`]), so a record outlives the result it lets the requester fetch.
	pub fn prune_jobs(&self, keep_days: u64, open: &[u64]) -> Result<u64> {
		self.prune_jobs_on(keep_days, open, today())
	}

	fn prune_jobs_on(&self, keep_days: u64, open: &[u64], today: u64) -> Result<u64> {
		let _lock = self.log_lock.lock().map_err(|_| anyhow::anyhow!("a writer panicked"))?;
		let end: u64 = self.meta(LOG_NEXT)?.unwrap_or(0);
		let mut head: u64 = self.meta(LOG_HEAD)?.unwrap_or(0);
		let mut next = end;
		let mut batch = Vec::new();
		let mut removed = 0;
		while head < end {
			let Some((id, day)) = self.get::<(u64, u64)>(META, &log_key(head))? else {
				head += 1;
				continue;
			};
			if day.saturating_add(keep_days).saturating_add(1) >= today {
				break;
			}
			if open.contains(&id) {
				batch.push(log_entry(next, id, today));
				next += 1;
			} else {
				batch.push((JOBS, id.to_le_bytes().to_vec(), None));
				batch.push((META, reply_key_name(id).into_bytes(), None));
				removed += 1;
			}
			batch.push((META, log_key(head), None));
			head += 1;
		}
		batch.push((META, LOG_HEAD.as_bytes().to_vec(), Some(head.encode())));
		if next != end {
			batch.push((META, LOG_NEXT.as_bytes().to_vec(), Some(next.encode())));
		}
		self.commit(batch)?;
		Ok(removed)
	}

	/// The ids of the jobs on record (from the job log), oldest first.
	pub fn job_ids(&self) -> Result<Vec<u64>> {
		let end: u64 = self.meta(LOG_NEXT)?.unwrap_or(0);
		let head: u64 = self.meta(LOG_HEAD)?.unwrap_or(0);
		let mut ids = Vec::new();
		let mut seen = std::collections::BTreeSet::new();
		for at in head..end {
			if let Some((id, _day)) = self.get::<(u64, u64)>(META, &log_key(at))? {
				if seen.insert(id) {
					ids.push(id);
				}
			}
		}
		Ok(ids)
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
		self.meta(&reply_key_name(id))
	}

	/// Keeps the key job `id`'s output is sealed to.
	pub fn set_reply_key(&self, id: u64, key: &[u8; 32]) -> Result<()> {
		self.set_meta(&reply_key_name(id), key)
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
			// The directory is synced after the rename, or a crash could lose the name.
			std::fs::write(&partial, bytes)
				.and_then(|()| std::fs::File::open(&partial)?.sync_all())
				.and_then(|()| std::fs::rename(&partial, &path))
				.and_then(|()| std::fs::File::open(&self.results)?.sync_all())
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
	fn a_record_written_before_abstentions_existed_still_reads() {
		let job = LocalJob { salt: [3; 32], failure: Some("trap".into()), ..Default::default() };
		// The old layout is the new one without its last field.
		let mut old = job.encode();
		old.pop();
		assert_eq!(LocalJob::decode(&mut &old[..]), Ok(job.clone()));
		let abstained = LocalJob { abstained: Some("timed out".into()), ..job };
		assert_eq!(LocalJob::decode(&mut &abstained.encode()[..]), Ok(abstained));
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

	#[test]
	fn job_records_past_keeping_are_pruned_unless_still_assigned() {
		let dir = std::env::temp_dir().join(format!("offload-store-jobs-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		let store = Store::open(&dir).expect("opens");
		let ran = |tag: u8| LocalJob { salt: [tag; 32], ..Default::default() };
		store.set_job_on(1, &ran(1), 100).expect("kept");
		store.set_reply_key(1, &[7; 32]).expect("kept");
		store.set_job_on(2, &ran(2), 100).expect("kept");
		// A second write of a record does not file it twice.
		store.set_job_on(2, &ran(2), 101).expect("kept");
		store.set_job_on(3, &ran(3), 105).expect("kept");
		assert_eq!(store.meta::<u64>(LOG_NEXT).expect("reads"), Some(3));

		// Day 108 is within 7 days and one to spare of day 100: nothing goes.
		assert_eq!(store.prune_jobs_on(7, &[], 108).expect("pruned"), 0);
		// Day 109: 1 goes with its reply key; 2 is still assigned, so it stays, filed anew.
		assert_eq!(store.prune_jobs_on(7, &[2], 109).expect("pruned"), 1);
		assert_eq!(store.job(1).expect("reads"), LocalJob::default());
		assert_eq!(store.reply_key(1).expect("reads"), None);
		assert_eq!(store.job(2).expect("reads"), ran(2));
		assert_eq!(store.job(3).expect("reads"), ran(3));
		assert_eq!(store.meta::<u64>(LOG_NEXT).expect("reads"), Some(4));

		// The log survives a restart; later 3 and then 2 go.
		drop(store);
		let store = Store::open(&dir).expect("opens again");
		assert_eq!(store.prune_jobs_on(7, &[], 114).expect("pruned"), 1);
		assert_eq!(store.job(3).expect("reads"), LocalJob::default());
		assert_eq!(store.job(2).expect("reads"), ran(2));
		assert_eq!(store.prune_jobs_on(7, &[], 118).expect("pruned"), 1);
		assert_eq!(store.job(2).expect("reads"), LocalJob::default());
		assert_eq!(store.prune_jobs_on(7, &[], 200).expect("pruned"), 0);
		drop(store);
		let _ = std::fs::remove_dir_all(&dir);
	}
}
