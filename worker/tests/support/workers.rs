//! Test support: provider workers (`offload run`) and the requester's command line
//! (`offload`) as separate processes, and what their jobs left on chain.

#![allow(dead_code)]

use crate::common::free_port;
use offload_worker::{
	api::{EscrowEvent, Event, MarketEvent},
	chain::{AccountId, Balance, Chain},
};
use sp_keyring::Sr25519Keyring;
use std::{
	path::{Path, PathBuf},
	process::{Child, Command, Output, Stdio},
	time::{Duration, Instant},
};

/// A provider worker process (`offload run`), killed when dropped.
pub struct Worker {
	child: Option<Child>,
	config: PathBuf,
	log: PathBuf,
	node: String,
}

impl Worker {
	/// Starts `who`'s worker against `node`, its data under `dir`.
	pub fn start(who: Sr25519Keyring, node: &str, dir: &Path) -> Self {
		Self::start_priced(who, node, dir, "0.01")
	}

	/// [`Worker::start`], with the offer's base price per job (OFL) set to `base_per_job`.
	pub fn start_priced(who: Sr25519Keyring, node: &str, dir: &Path, base_per_job: &str) -> Self {
		Self::start_with(who, node, dir, base_per_job, "")
	}

	/// [`Worker::start_priced`], with `settings` (TOML lines) added to the config's top level.
	pub fn start_with(
		who: Sr25519Keyring,
		node: &str,
		dir: &Path,
		base_per_job: &str,
		settings: &str,
	) -> Self {
		let data_dir = dir.join(format!("{who:?}"));
		std::fs::create_dir_all(&data_dir).expect("worker dir");
		let config = data_dir.join("worker.toml");
		std::fs::write(
			&config,
			format!(
				r#"secret = "//{who:?}"
data_dir = "{data}"
listen = "127.0.0.1:{port}"
bond = "100"
{settings}
[offer]
cpu_millicores = 4000
memory_mib = 8192
storage_gib = 20
max_concurrent = 2
region = "DE"
per_million_fuel = "0.001"
per_second = "0.001"
base_per_job = "{base_per_job}"
"#,
				data = data_dir.join("data").display(),
				port = free_port(),
			),
		)
		.expect("worker config");
		let mut worker =
			Self { child: None, config, log: data_dir.join("worker.log"), node: node.into() };
		worker.spawn();
		worker
	}

	/// The daemon's resident memory, in bytes.
	pub fn resident(&self) -> u64 {
		let pid = self.child.as_ref().expect("running").id();
		let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("procfs");
		status
			.lines()
			.find_map(|line| line.strip_prefix("VmRSS:"))
			.and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
			.expect("VmRSS")
			<< 10
	}

	pub fn spawn(&mut self) {
		self.spawn_failing(None);
	}

	/// Starts the worker again, set to crash at `failpoint` (see the daemon's `failpoint`).
	pub fn spawn_failing(&mut self, failpoint: Option<&str>) {
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(&self.log)
			.expect("worker log");
		let mut command = Command::new(env!("CARGO_BIN_EXE_offload"));
		command
			.args(["--node", &self.node, "run", "--config"])
			.arg(&self.config)
			.env("RUST_LOG", "info")
			.stdout(Stdio::from(log.try_clone().expect("log handle")))
			.stderr(Stdio::from(log));
		if let Some(point) = failpoint {
			command.env("OFFLOAD_FAILPOINT", point);
		}
		self.child = Some(command.spawn().expect("offload run starts"));
	}

	/// Waits for the worker to end by itself; whether it did within `timeout`.
	pub fn ended_within(&mut self, timeout: Duration) -> bool {
		let deadline = Instant::now() + timeout;
		while Instant::now() < deadline {
			if let Some(child) = self.child.as_mut() {
				if child.try_wait().expect("wait").is_some() {
					self.child = None;
					return true;
				}
			}
			std::thread::sleep(Duration::from_millis(100));
		}
		false
	}

	pub fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	/// Waits until the worker has put its offer on chain.
	pub fn wait_for_offer(&self) {
		self.wait_for_log(&["the offer is on chain"], Duration::from_secs(60))
	}

	/// Waits until the log has a line with all of `words`.
	pub fn wait_for_log(&self, words: &[&str], timeout: Duration) {
		self.wait_for_lines(words, 1, timeout)
	}

	/// Waits until the log has `times` lines with all of `words`.
	pub fn wait_for_lines(&self, words: &[&str], times: usize, timeout: Duration) {
		let deadline = Instant::now() + timeout;
		let count = |log: String| {
			log.lines().filter(|line| words.iter().all(|word| line.contains(word))).count()
		};
		while count(self.log()) < times {
			assert!(
				Instant::now() < deadline,
				"the worker never logged {words:?}:\n{}",
				self.log()
			);
			std::thread::sleep(Duration::from_millis(20));
		}
	}

	/// SIGKILL: no clean-up, as in a crash.
	pub fn kill(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

impl Drop for Worker {
	fn drop(&mut self) {
		self.kill();
	}
}

/// How many results were revealed (or submitted) for job `id` in `events`.
pub fn reveals(events: &[Event], id: u64) -> usize {
	events
		.iter()
		.filter(
			|event| matches!(event, Event::Market(MarketEvent::ResultRevealed { job, .. }) if *job == id),
		)
		.count()
}

/// Runs the `offload` command line as `who`; returns its output (it must succeed).
pub fn offload(node: &str, who: Sr25519Keyring, args: &[&str]) -> String {
	let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_offload"))
		.args(["--node", node, "--suri", &format!("//{who:?}")])
		.args(args)
		.output()
		.expect("offload runs");
	let stdout = String::from_utf8_lossy(&stdout).into_owned();
	assert!(
		status.success(),
		"offload {args:?} failed:\n{stdout}\n{}",
		String::from_utf8_lossy(&stderr)
	);
	stdout
}

/// The id `offload submit` printed.
pub fn job_id(stdout: &str) -> u64 {
	stdout
		.lines()
		.find_map(|line| line.strip_prefix("submitted job "))
		.and_then(|id| id.trim().parse().ok())
		.unwrap_or_else(|| panic!("no job id in:\n{stdout}"))
}

/// Every event of finalized blocks 1..=now.
pub async fn all_events(chain: &Chain) -> Vec<Event> {
	events_from(chain, 1).await
}

/// Every event of finalized blocks `from..=now`.
pub async fn events_from(chain: &Chain, from: u32) -> Vec<Event> {
	let head = chain.finalized().await.expect("finalized head").number;
	let mut events = Vec::new();
	for number in from..=head {
		let hash = chain.block_hash(number).await.expect("block hash");
		events.extend(chain.events(hash).await.expect("events").into_iter().map(|(_, e)| e));
	}
	events
}

/// Payments to providers for job `id` in `events`: (provider, amount, fee).
pub fn payments(events: &[Event], id: u64) -> Vec<(AccountId, Balance, Balance)> {
	events
		.iter()
		.filter_map(|event| match event {
			Event::Escrow(EscrowEvent::ProviderPaid { job, provider, amount, fee })
				if *job == id =>
			{
				Some((provider.clone(), *amount, *fee))
			},
			_ => None,
		})
		.collect()
}
