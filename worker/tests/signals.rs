//! No signal a job can cause ends the daemon: a container that closes its stdin early makes
//! the daemon's write to it raise SIGPIPE, which the daemon keeps ignored (the requester's
//! commands, which print, end quietly on it instead).

use std::{
	process::{Command, Stdio},
	time::{Duration, Instant},
};

#[test]
fn sigpipe_does_not_end_the_daemon_and_sigterm_does() {
	let dir = std::env::temp_dir().join(format!("offload-signals-{}", std::process::id()));
	std::fs::create_dir_all(&dir).expect("dir");
	let config = dir.join("worker.toml");
	std::fs::write(
		&config,
		format!(
			"secret = \"//Bob\"\ndata_dir = \"{}\"\nlisten = \"127.0.0.1:0\"\n\n[offer]\ncpu_millicores = 1000\nmemory_mib = 1024\nstorage_gib = 1\nregion = \"DE\"\nper_million_fuel = \"0.001\"\nper_second = \"0.001\"\nbase_per_job = \"0.01\"\n",
			dir.join("data").display()
		),
	)
	.expect("config");
	// No node answers there: the daemon keeps trying to connect, and keeps running.
	let mut daemon = Command::new(env!("CARGO_BIN_EXE_offload"))
		.args(["--node", "ws://127.0.0.1:9", "run", "--config"])
		.arg(&config)
		.stdout(Stdio::null())
		.stderr(Stdio::from(std::fs::File::create(dir.join("log")).expect("log")))
		.spawn()
		.expect("offload run starts");
	std::thread::sleep(Duration::from_secs(1));
	let pid = daemon.id() as libc::pid_t;
	// SAFETY: signalling a child process this test started and still owns.
	unsafe { libc::kill(pid, libc::SIGPIPE) };
	std::thread::sleep(Duration::from_millis(500));
	let log = || std::fs::read_to_string(dir.join("log")).unwrap_or_default();
	assert!(daemon.try_wait().expect("status").is_none(), "SIGPIPE ended the daemon:\n{}", log());
	// SAFETY: as above.
	unsafe { libc::kill(pid, libc::SIGTERM) };
	let started = Instant::now();
	while daemon.try_wait().expect("status").is_none() {
		assert!(started.elapsed() < Duration::from_secs(10), "SIGTERM did not stop the daemon");
		std::thread::sleep(Duration::from_millis(50));
	}
	let _ = std::fs::remove_dir_all(&dir);
}
