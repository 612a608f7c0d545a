//! The container executor on real podman containers: a job's output, its time limit, its
//! output limit, and that it has no network.

#[path = "support/busybox.rs"]
mod busybox;

use offload_worker::executor::{
	container::{ContainerExecutor, Limits},
	Failure,
};

const LIMITS: Limits =
	Limits { max_seconds: 30, memory_mib: 64, cpu_millicores: 1000, max_output: 1 << 16 };

fn run(
	executor: &ContainerExecutor,
	name: &str,
	argv: &[&str],
	input: &[u8],
	limits: Limits,
) -> offload_worker::executor::RunOutcome {
	let image = busybox::image(executor);
	let argv: Vec<String> = argv.iter().map(ToString::to_string).collect();
	executor.run(
		&format!("offload-test-{name}-{}", std::process::id()),
		&image,
		&argv,
		input.to_vec(),
		limits,
	)
}

#[test]
fn a_container_reads_stdin_and_its_stdout_is_the_result() {
	let executor = busybox::executor();
	let outcome = run(&executor, "ok", &["tr", "a-z", "A-Z"], b"hello, offload", LIMITS);
	assert_eq!(outcome.result, Ok(b"HELLO, OFFLOAD".to_vec()));
	assert_eq!(outcome.fuel_used, 0);
	assert!((1..=LIMITS.max_seconds).contains(&outcome.seconds), "billed {} s", outcome.seconds);
	// The same job again gives the same bytes.
	let again = run(&executor, "ok", &["tr", "a-z", "A-Z"], b"hello, offload", LIMITS);
	assert_eq!(again.result_hash(), outcome.result_hash());
}

#[test]
fn a_container_past_its_time_limit_is_stopped() {
	let executor = busybox::executor();
	let limits = Limits { max_seconds: 2, ..LIMITS };
	let started = std::time::Instant::now();
	let outcome = run(&executor, "slow", &["sleep", "60"], b"", limits);
	assert_eq!(outcome.result, Err(Failure::Timeout { seconds: 2 }));
	// How long a run takes depends on the machine: a timeout is given back, never a result.
	assert!(outcome.abstention().is_some());
	assert_eq!(outcome.seconds, 2);
	assert!(started.elapsed().as_secs() < 30, "the run was not stopped");
	let listed = std::process::Command::new("podman")
		.args(["ps", "--all", "--quiet", "--filter"])
		.arg(format!("name=offload-test-slow-{}", std::process::id()))
		.output()
		.expect("podman ps");
	assert!(listed.stdout.is_empty(), "the container is still there");
}

#[test]
fn a_container_has_no_network_but_loopback() {
	let executor = busybox::executor();
	// A listener on every host address: a container with a network could reach it.
	let listener = std::net::TcpListener::bind("0.0.0.0:0").expect("listen");
	let port = listener.local_addr().expect("address").port();
	// podman's default bridge gateway, where a container with a network reaches the host,
	// and the host's own outward address.
	let outward = std::net::UdpSocket::bind("0.0.0.0:0")
		.and_then(|socket| socket.connect("192.0.2.1:9").and_then(|()| socket.local_addr()))
		.map(|address| address.ip().to_string())
		.unwrap_or_else(|_| "127.0.0.1".into());
	let script = format!(
		"ls /sys/class/net; for host in 10.88.0.1 {outward}; do \
		 echo x | nc -w 2 $host {port} && echo reached $host; done; echo done"
	);
	let outcome = run(&executor, "net", &["sh", "-c", &script], b"", LIMITS);
	assert_eq!(outcome.result, Ok(b"lo\ndone\n".to_vec()));
}

#[test]
fn a_container_that_writes_too_much_fails_and_is_stopped() {
	let executor = busybox::executor();
	let limits = Limits { max_output: 1024, ..LIMITS };
	let outcome = run(&executor, "flood", &["yes"], b"", limits);
	assert_eq!(outcome.result, Err(Failure::OutputTooLarge { limit: 1024 }));
	// Stopped means gone, not left writing until podman's own timeout.
	let name = format!("offload-test-flood-{}", std::process::id());
	let exists = std::process::Command::new("podman")
		.args(["container", "exists", &name])
		.status()
		.expect("podman");
	assert!(!exists.success(), "the flooding container is still there");
}

#[test]
fn a_failing_command_is_a_failed_result() {
	let executor = busybox::executor();
	let outcome = run(&executor, "exit", &["sh", "-c", "echo partial; exit 3"], b"", LIMITS);
	assert_eq!(outcome.result, Err(Failure::Exit(3)));
	let missing = run(&executor, "missing", &["no-such-command"], b"", LIMITS);
	// Not found (127) or not executable (126) in the image: the job's failure, a result.
	assert!(matches!(missing.result, Err(Failure::Exit(126 | 127))), "{:?}", missing.result);
	assert!(missing.abstention().is_none());
}

#[test]
fn an_image_the_worker_does_not_hold_is_an_abstention() {
	let executor = busybox::executor();
	let outcome = executor.run("offload-test-absent", &[7; 32], &[], Vec::new(), LIMITS);
	assert!(
		matches!(&outcome.result, Err(Failure::Input(reason)) if reason.contains("not on this worker")),
		"{:?}",
		outcome.result
	);
	// Another provider may hold it: the replica is given back, not judged.
	assert!(outcome.abstention().is_some());
}

#[test]
fn a_container_that_closes_stdin_early_is_an_ordinary_result() {
	let executor = busybox::executor();
	// Reads one byte of 8 MiB and exits: the rest of the write meets a closed pipe, which
	// must end neither the run's writer nor (with SIGPIPE ignored, as the daemon keeps it) the
	// process.
	let input = vec![b'x'; 8 << 20];
	let outcome = run(&executor, "head", &["head", "-c", "1"], &input, LIMITS);
	assert_eq!(outcome.result, Ok(b"x".to_vec()));
}

#[test]
fn a_container_runs_as_nobody() {
	let executor = busybox::executor();
	let outcome = run(&executor, "user", &["id", "-u"], b"", LIMITS);
	assert_eq!(outcome.result, Ok(b"65534\n".to_vec()));
	// In a user namespace of its own: neither its root nor its `nobody` is a host user the
	// worker's host knows (a worker running as root gives each container a fresh range).
	let outcome = run(&executor, "userns", &["cat", "/proc/self/uid_map"], b"", LIMITS);
	let map = String::from_utf8(outcome.result.expect("the map")).expect("text");
	let first: Vec<u64> =
		map.split_whitespace().take(3).map(|field| field.parse().expect("a number")).collect();
	assert_eq!(first[0], 0, "{map}");
	assert!(first[1] != 0, "the container's root is the host's: {map}");
	// SAFETY: geteuid has no preconditions.
	if unsafe { libc::geteuid() } == 0 {
		assert!(first[1] >= 100_000, "not a range of its own: {map}");
	}
}

#[test]
fn containers_a_killed_worker_left_behind_are_removed_at_start_and_no_others() {
	let executor = busybox::executor();
	let image = offload_worker::executor::container::image_ref(&busybox::image(&executor));
	// A per-test owner, so parallel tests and other workers on this host are not touched.
	let owner = format!("{:016x}", u64::from(std::process::id()) << 20 | 0xdead);
	let ours = format!("offload-job-7-{owner}");
	let theirs = format!("offload-job-7-{owner}0");
	let start = |name: &str| {
		let status = std::process::Command::new("podman")
			.args(["run", "--detach", "--runtime", "runc", "--ulimit", "nofile=1024:1024"])
			.args(["--ulimit", "nproc=1024:1024"])
			.args(["--name", name, &image, "sleep", "600"])
			.stdout(std::process::Stdio::null())
			.status()
			.expect("podman run");
		assert!(status.success(), "podman run {name}");
	};
	let exists = |name: &str| {
		std::process::Command::new("podman")
			.args(["container", "exists", name])
			.status()
			.expect("podman")
			.success()
	};
	start(&ours);
	start(&theirs);
	assert_eq!(executor.remove_leftovers(&owner), 1);
	assert!(!exists(&ours), "the left-over container is gone");
	assert!(exists(&theirs), "another owner's container stays");
	let _ = std::process::Command::new("podman")
		.args(["rm", "--force", "--time", "0", &theirs])
		.stdout(std::process::Stdio::null())
		.status();
}
