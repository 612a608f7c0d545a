//! The container executor: a job's image run by podman with no network, a read-only root
//! filesystem, no capabilities, and the job's memory, CPU and wall-clock limits. The input is
//! the container's stdin and the output its stdout; billing is by wall-clock seconds.
//!
//! Images are named by their podman image ID (`sha256:` of the image's config), which is
//! content-addressed: the worker runs only an image it holds, never pulls by name, and so
//! runs exactly the bytes the job names. A provider loads the images it serves with
//! `podman pull`, `podman load` or `podman import` beforehand.

use super::{Failure, RunOutcome};
use std::{
	io::{Read, Write},
	process::{Child, Command, Stdio},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

/// Limits of one container run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
	/// Most wall-clock seconds the run may take.
	pub max_seconds: u32,
	/// Memory, in MiB.
	pub memory_mib: u32,
	/// CPU, in thousandths of a core.
	pub cpu_millicores: u32,
	/// Bytes the run may write to stdout.
	pub max_output: usize,
}

/// Runs container jobs through podman.
pub struct ContainerExecutor {
	podman: String,
	runtime: String,
	/// Whether each container gets a user namespace of its own (`--userns=auto`): when the
	/// worker runs as root. Rootless podman runs every container in the user's namespace
	/// already.
	own_user_namespace: bool,
}

/// The user whose subordinate ID range podman's `--userns=auto` takes namespaces from.
const NAMESPACE_USER: &str = "containers";

impl ContainerExecutor {
	/// An executor calling `podman` with the OCI runtime `runtime` (`runc` on hosts where
	/// crun fails), or why containers cannot run here.
	pub fn detect(podman: &str, runtime: &str) -> Result<Self, String> {
		let version = Command::new(podman)
			.arg("--version")
			.stdin(Stdio::null())
			.output()
			.map_err(|error| format!("cannot run `{podman}`: {error}"))?;
		if !version.status.success() {
			return Err(format!("`{podman} --version` failed"));
		}
		let runtime_found = Command::new(runtime)
			.arg("--version")
			.stdin(Stdio::null())
			.stdout(Stdio::null())
			.status()
			.is_ok_and(|status| status.success());
		if !runtime_found {
			return Err(format!("the OCI runtime `{runtime}` is not installed"));
		}
		// SAFETY: geteuid has no preconditions.
		let root = unsafe { libc::geteuid() } == 0;
		if root {
			// Without a namespace of its own, the container's `nobody` would be the host's.
			for file in ["/etc/subuid", "/etc/subgid"] {
				let ranges = std::fs::read_to_string(file).unwrap_or_default();
				if !ranges.lines().any(|line| line.starts_with(&format!("{NAMESPACE_USER}:"))) {
					return Err(format!(
						"running as root, each container needs a user namespace of its own: \
						 add `{NAMESPACE_USER}:2147483647:2147483648` to /etc/subuid and \
						 /etc/subgid (scripts/setup.sh does)"
					));
				}
			}
		}
		Ok(Self { podman: podman.into(), runtime: runtime.into(), own_user_namespace: root })
	}

	/// Removes the containers named `offload-job-<id>-<owner>` that a killed worker left
	/// behind (its podman child dies with it, the container does not); returns how many.
	pub fn remove_leftovers(&self, owner: &str) -> usize {
		let listed = Command::new(&self.podman)
			.args(["ps", "--all", "--format", "{{.Names}}"])
			.arg(format!("--filter=name=^offload-job-[0-9]+-{owner}$"))
			.stdin(Stdio::null())
			.stderr(Stdio::null())
			.output();
		let Ok(listed) = listed else { return 0 };
		let names: Vec<String> = String::from_utf8_lossy(&listed.stdout)
			.lines()
			.map(str::trim)
			.filter(|name| {
				name.strip_prefix("offload-job-")
					.and_then(|rest| rest.strip_suffix(owner))
					.and_then(|id| id.strip_suffix('-'))
					.is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
			})
			.map(String::from)
			.collect();
		if names.is_empty() {
			return 0;
		}
		let removed = Command::new(&self.podman)
			.args(["rm", "--force", "--time", "0"])
			.args(&names)
			.stdin(Stdio::null())
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.status();
		if removed.is_ok_and(|status| status.success()) {
			names.len()
		} else {
			0
		}
	}

	/// Whether the image of ID `image` is on this host.
	pub fn has_image(&self, image: &[u8; 32]) -> bool {
		Command::new(&self.podman)
			.args(["image", "exists", &image_ref(image)])
			.stdin(Stdio::null())
			.status()
			.is_ok_and(|status| status.success())
	}

	/// Imports the root filesystem in `tarball` as an image tagged `tag`; returns its ID.
	pub fn import(&self, tarball: &std::path::Path, tag: &str) -> Result<[u8; 32], String> {
		let output = Command::new(&self.podman)
			.args(["import", "--quiet"])
			.arg(tarball)
			.arg(tag)
			.stdin(Stdio::null())
			.output()
			.map_err(|error| format!("cannot run podman: {error}"))?;
		if !output.status.success() {
			return Err(format!(
				"podman import failed: {}",
				String::from_utf8_lossy(&output.stderr).trim()
			));
		}
		let id = String::from_utf8_lossy(&output.stdout);
		let id = id.trim().trim_start_matches("sha256:");
		let mut image = [0u8; 32];
		hex::decode_to_slice(id, &mut image)
			.map_err(|_| format!("podman import printed no image ID: {id}"))?;
		Ok(image)
	}

	/// Runs `argv` (the image's default command if empty) in image `image` with `input` on
	/// stdin, as the container `name`. Whatever happens, the outcome says what; this never
	/// fails.
	pub fn run(
		&self,
		name: &str,
		image: &[u8; 32],
		argv: &[String],
		input: Vec<u8>,
		limits: Limits,
	) -> RunOutcome {
		if !self.has_image(image) {
			return RunOutcome::failed(Failure::Input(format!(
				"the image {} is not on this worker",
				image_ref(image)
			)));
		}
		let started = Instant::now();
		let mut command = self.command(name, image, argv, &limits);
		let mut child = match command.spawn() {
			Ok(child) => child,
			Err(error) => {
				return RunOutcome::failed(Failure::Unsupported(format!(
					"cannot start podman: {error}"
				)))
			},
		};
		let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
		// Stdin is written from a thread of its own so a guest that never reads it cannot
		// stall the run; a guest that exits early closes the pipe, which is not an error.
		let writer = std::thread::spawn(move || {
			if let Some(mut stdin) = stdin {
				let _ = stdin.write_all(&input);
			}
		});
		let max_output = limits.max_output;
		let overflow = Arc::new(AtomicBool::new(false));
		let reader = std::thread::spawn({
			let overflow = overflow.clone();
			move || {
				let mut output = Vec::new();
				if let Some(stdout) = stdout {
					let _ = stdout.take(max_output as u64 + 1).read_to_end(&mut output);
				}
				overflow.store(output.len() > max_output, Ordering::Release);
				output
			}
		});
		let deadline = Duration::from_secs(limits.max_seconds.into());
		let ended = self.wait(name, &mut child, started, deadline, &overflow);
		let output = reader.join().unwrap_or_default();
		// podman may end before its container: when the output is cut off, podman fails on
		// the closed pipe and exits, the container still writing. Whatever did not end with
		// the container's own clean exit is removed here.
		if output.len() > max_output || !matches!(ended, Ended::Exited(0)) {
			self.stop(name, &mut child);
		}
		let _ = writer.join();
		let seconds = seconds_of(started.elapsed()).min(limits.max_seconds);
		let result = match ended {
			_ if output.len() > max_output => {
				Err(Failure::OutputTooLarge { limit: max_output as u64 })
			},
			Ended::TimedOut => Err(Failure::Timeout { seconds: limits.max_seconds }),
			Ended::Exited(0) => Ok(output),
			// podman's own error: the container could not be made here.
			Ended::Exited(125) => {
				Err(Failure::HostLimit("podman could not create the container (status 125)".into()))
			},
			Ended::Exited(status) => Err(Failure::Exit(status)),
			Ended::Killed => Err(Failure::Trap("the container was killed".into())),
		};
		RunOutcome { result, fuel_used: 0, seconds }
	}

	/// The podman invocation of a run.
	fn command(&self, name: &str, image: &[u8; 32], argv: &[String], limits: &Limits) -> Command {
		let mut command = Command::new(&self.podman);
		command
			.args(["run", "--rm", "--interactive", "--replace", "--name", name])
			.args(["--runtime", &self.runtime, "--pull", "never"])
			.args(["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"])
			.args(["--network", "none", "--read-only", "--cap-drop", "all"])
			.args(["--security-opt", "no-new-privileges", "--pids-limit", "256"])
			.args(["--log-driver", "none", "--hostname", "offload"])
			// Not root inside: the unprivileged `nobody`, with no capabilities.
			.args(["--user", "65534:65534"]);
		if self.own_user_namespace {
			// Its IDs, root's included, are no one's on the host.
			command.arg("--userns=auto:size=65536");
		}
		command
			.arg(format!("--memory={}m", limits.memory_mib.max(6)))
			// No swap beyond the memory limit: the limit is the job's, not the disk's.
			.arg(format!("--memory-swap={}m", limits.memory_mib.max(6)))
			.arg(format!("--cpus={}", f64::from(limits.cpu_millicores.max(10)) / 1000.0))
			// A backstop should the worker die mid-run: podman ends the container itself.
			.arg(format!("--timeout={}", limits.max_seconds.saturating_add(5)))
			.arg(image_ref(image))
			.args(argv)
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			.stderr(Stdio::null());
		command
	}

	/// Waits for the run to end, killing the container once `deadline` has passed or its
	/// output has overflowed.
	fn wait(
		&self,
		name: &str,
		child: &mut Child,
		started: Instant,
		deadline: Duration,
		overflow: &AtomicBool,
	) -> Ended {
		loop {
			match child.try_wait() {
				Ok(Some(status)) => {
					return match status.code() {
						Some(code) => Ended::Exited(code as u32),
						None => Ended::Killed,
					}
				},
				Ok(None) if overflow.load(Ordering::Acquire) => {
					self.stop(name, child);
					return Ended::Killed;
				},
				Ok(None) if started.elapsed() >= deadline => {
					self.stop(name, child);
					return Ended::TimedOut;
				},
				Ok(None) => std::thread::sleep(Duration::from_millis(20)),
				Err(_) => return Ended::Killed,
			}
		}
	}

	/// Removes the container `name` at once, and reaps its podman process.
	///
	/// `podman rm` can fail while the container is still being set up or attached to, and
	/// killing the podman process alone leaves the container running: so the podman process
	/// goes first, then removal is tried until the container is gone.
	fn stop(&self, name: &str, child: &mut Child) {
		let _ = child.kill();
		let _ = child.wait();
		for _ in 0..20 {
			let _ = self.podman(&["rm", "--force", "--ignore", "--time", "0", name]);
			if !self.podman(&["container", "exists", name]) {
				return;
			}
			std::thread::sleep(Duration::from_millis(250));
		}
	}

	/// Runs `podman args`; whether it succeeded.
	fn podman(&self, args: &[&str]) -> bool {
		Command::new(&self.podman)
			.args(args)
			.stdin(Stdio::null())
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.status()
			.is_ok_and(|status| status.success())
	}
}

/// How the podman process ended.
enum Ended {
	Exited(u32),
	Killed,
	TimedOut,
}

/// podman's reference to the image of ID `image`.
pub fn image_ref(image: &[u8; 32]) -> String {
	format!("sha256:{}", hex::encode(image))
}

/// Whole seconds billed for `elapsed`: rounded up, at least one.
fn seconds_of(elapsed: Duration) -> u32 {
	let whole = elapsed.as_secs() + u64::from(elapsed.subsec_nanos() > 0);
	u32::try_from(whole.max(1)).unwrap_or(u32::MAX)
}

/// A job's command line as the chain holds it ([`offload_primitives::command_line`]), as
/// arguments.
pub fn argv_of(command: &[u8]) -> Result<Vec<String>, Failure> {
	offload_primitives::command_args(command)
		.ok_or_else(|| Failure::Input("the command is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_command_line_round_trips_through_its_chain_form() {
		let argv = vec!["sh".to_string(), "-c".to_string(), "echo a b".to_string()];
		let line = offload_primitives::command_line(&argv);
		assert_eq!(line, b"sh\0-c\0echo a b");
		assert_eq!(argv_of(&line), Ok(argv));
		assert_eq!(argv_of(b""), Ok(vec![]));
		assert!(matches!(argv_of(b"\xff"), Err(Failure::Input(_))));
	}

	#[test]
	fn seconds_are_rounded_up() {
		assert_eq!(seconds_of(Duration::from_millis(1)), 1);
		assert_eq!(seconds_of(Duration::from_secs(2)), 2);
		assert_eq!(seconds_of(Duration::from_millis(2001)), 3);
	}
}
