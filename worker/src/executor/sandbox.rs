//! Isolated execution: the daemon compiles and runs no guest in its own process.
//!
//! As Polkadot's PVF host does with parachain validation code, each module is compiled in a
//! *prepare* process and each run happens in an *execute* process, both `offload sandbox ..`
//! children of the daemon, talking over their stdin and stdout:
//!
//! - **prepare** (one per compilation, one at a time): reads the module, writes the compiled
//!   artifact back. The OS bounds its memory (`RLIMIT_DATA`) and CPU time (`RLIMIT_CPU`), and
//!   the daemon kills it at a wall-clock bound. The daemon keeps artifacts on disk, least
//!   recently used dropped first past a byte budget, and remembers failures by hash, so a
//!   module that failed to compile is not compiled again.
//! - **execute** (pre-spawned, reused from run to run): loads the artifact and runs the job in
//!   a fresh store. Before each run it bounds its own memory to the job's linear memory, its
//!   input and output and a fixed slack, and its CPU time to the run's wall-clock bound; the
//!   daemon kills it past that bound and a grace.
//!
//! Whatever a guest or a host call does, the worst is that the child dies: the run is then an
//! abstention (it depends on this machine) and the daemon keeps going. Children die with the
//! daemon (`PR_SET_PDEATHSIG`), write no files (`RLIMIT_FSIZE` 0), dump no core, and get no
//! environment (the provider's secret may be in the daemon's).

use super::{
	wasm::{Limits, WasmExecutor},
	Failure, RunOutcome,
};
use codec::{Decode, Encode};
use std::{
	collections::{HashMap, VecDeque},
	io::{self, Read, Write},
	os::{
		fd::AsRawFd,
		unix::{ffi::OsStrExt, process::CommandExt},
	},
	path::{Path, PathBuf},
	process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio},
	sync::{mpsc, Mutex},
	time::{Duration, Instant},
};

/// The `offload` subcommand a sandbox process runs: `offload sandbox prepare|execute`.
pub const SUBCOMMAND: &str = "sandbox";

/// How long past its wall-clock bound a run's process is given to answer before it is killed
/// (the epoch deadline normally ends the run on time, inside the process).
pub const GRACE: Duration = Duration::from_secs(2);

/// Bytes of compiled code an execute process keeps loaded.
const EXECUTE_CACHE_BYTES: usize = 128 << 20;

/// Largest request an execute process reads (the job's input and a little more).
const MAX_REQUEST_BYTES: usize = 1 << 30;

/// Largest answer the daemon reads from an execute process (the protocol's largest output
/// and the failure's text).
const MAX_ANSWER_BYTES: usize = offload_primitives::MAX_OUTPUT_BYTES + (64 << 10);

/// Largest artifact the daemon reads from a prepare process.
const MAX_ARTIFACT_BYTES: usize = 256 << 20;

/// Longest failure text passed back from a sandbox process.
const MAX_REASON_BYTES: usize = 1024;

/// Failures remembered by module hash.
const REMEMBERED_FAILURES: usize = 4096;

/// What the sandbox may take, beyond each job's own limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
	/// Wall-clock time (and CPU time) one compilation may take.
	pub compile_time: Duration,
	/// Memory one compilation may take, in bytes.
	pub compile_memory: u64,
	/// Memory a run may take beyond its job's linear memory, input and output, in bytes: the
	/// engine, the loaded modules, the host calls' buffers.
	pub execute_slack: u64,
	/// Bytes of compiled modules kept on disk.
	pub cache_bytes: u64,
	/// Execute processes kept idle for the next runs.
	pub idle: usize,
}

impl Default for Bounds {
	fn default() -> Self {
		Self {
			compile_time: Duration::from_secs(30),
			compile_memory: 1 << 30,
			execute_slack: 256 << 20,
			cache_bytes: 1 << 30,
			idle: 2,
		}
	}
}

/// A run as the daemon asks an execute process for it.
#[derive(Encode, Decode)]
struct Execute {
	hash: [u8; 32],
	artifact: Vec<u8>,
	entry: Vec<u8>,
	input: Vec<u8>,
	fuel: u64,
	memory_bytes: u64,
	max_output: u64,
	wall_ms: u64,
	slack: u64,
}

/// Runs WASM jobs in sandbox processes; see the module's documentation.
pub struct Sandbox {
	program: PathBuf,
	dir: PathBuf,
	bounds: Bounds,
	spawner: Mutex<mpsc::Sender<Spawn>>,
	idle: Mutex<Vec<Process>>,
	/// Processes running a job, by process id, so that [`Sandbox::stop`] can end them.
	busy: Mutex<Vec<u32>>,
	artifacts: Mutex<Artifacts>,
	/// Held while a module compiles: one compilation at a time, and never the same one twice.
	preparing: Mutex<()>,
}

/// A spawn request for the spawner thread, and where its child goes.
type Spawn = (Command, mpsc::Sender<io::Result<Child>>);

impl Sandbox {
	/// A sandbox that starts `program` (the `offload` binary) as its processes and keeps
	/// compiled modules under `dir`; one execute process is started at once.
	pub fn new(program: PathBuf, dir: &Path, bounds: Bounds) -> anyhow::Result<Self> {
		// Artifacts of another engine build or configuration do not load: each has its own
		// directory.
		let name = format!("{:016x}", WasmExecutor::compatibility()?);
		std::fs::create_dir_all(dir.join(&name))?;
		// Those of earlier builds are of no more use.
		for entry in std::fs::read_dir(dir)? {
			let entry = entry?;
			if entry.file_name() != name.as_str() {
				let _ = std::fs::remove_dir_all(entry.path());
			}
		}
		let dir = dir.join(name);
		let artifacts = Artifacts::load(&dir, bounds.cache_bytes)?;
		// Children are told to die with the thread that started them (`PR_SET_PDEATHSIG`
		// follows the thread, not the process): one thread starts them all and lives as
		// long as the sandbox.
		let (spawner, requests) = mpsc::channel::<Spawn>();
		std::thread::Builder::new().name("sandbox-spawner".into()).spawn(move || {
			for (mut command, reply) in requests {
				let _ = reply.send(command.spawn());
			}
		})?;
		let sandbox = Self {
			program,
			dir,
			bounds,
			spawner: Mutex::new(spawner),
			idle: Mutex::new(Vec::new()),
			busy: Mutex::new(Vec::new()),
			artifacts: Mutex::new(artifacts),
			preparing: Mutex::new(()),
		};
		let first = sandbox.spawn("execute", &[])?;
		lock(&sandbox.idle).push(first);
		Ok(sandbox)
	}

	/// Whether the module of `hash` is compiled, on disk.
	pub fn is_prepared(&self, hash: &[u8; 32]) -> bool {
		lock(&self.artifacts).sizes.contains_key(hash)
	}

	/// Bytes of compiled modules on disk.
	pub fn cached_bytes(&self) -> u64 {
		lock(&self.artifacts).bytes
	}

	/// Runs `entry` of the module `code` (blake2-256 `hash`) on `input` within `limits`, in
	/// sandbox processes. Whatever the guest does, the outcome says what happened within
	/// `limits.wall` (compiling included) plus [`GRACE`]; this never fails.
	pub fn run(
		&self,
		hash: [u8; 32],
		code: &[u8],
		entry: &str,
		input: Vec<u8>,
		mut limits: Limits,
	) -> RunOutcome {
		let deadline = Instant::now() + limits.wall;
		let timeout = Failure::Timeout {
			seconds: u32::try_from(limits.wall.as_millis().div_ceil(1000)).unwrap_or(u32::MAX),
		};
		let artifact = match self.artifact(hash, code, limits.wall) {
			Ok(artifact) => artifact,
			Err(failure) => return RunOutcome::failed(failure),
		};
		// What compiling took is the run's no more.
		limits.wall = deadline.saturating_duration_since(Instant::now());
		if limits.wall.is_zero() {
			return RunOutcome::failed(timeout);
		}
		let request = Execute {
			hash,
			artifact: artifact.as_os_str().as_bytes().to_vec(),
			entry: entry.as_bytes().to_vec(),
			input,
			fuel: limits.fuel,
			memory_bytes: limits.memory_bytes,
			max_output: limits.max_output as u64,
			wall_ms: u64::try_from(limits.wall.as_millis()).unwrap_or(u64::MAX),
			slack: self.bounds.execute_slack,
		}
		.encode();
		let idle = lock(&self.idle).pop();
		let mut process = match idle.map(Ok).unwrap_or_else(|| self.spawn("execute", &[])) {
			Ok(process) => process,
			Err(error) => {
				return RunOutcome::failed(Failure::HostLimit(format!(
					"cannot start a sandbox process: {error}"
				)))
			},
		};
		let pid = process.child.id();
		lock(&self.busy).push(pid);
		let answer =
			process.exchange(&request, MAX_ANSWER_BYTES, Instant::now() + limits.wall + GRACE);
		lock(&self.busy).retain(|busy| *busy != pid);
		match answer {
			Ok(frame) => match RunOutcome::decode(&mut &frame[..]) {
				Ok(outcome) => {
					let mut idle = lock(&self.idle);
					if idle.len() < self.bounds.idle {
						idle.push(process);
					}
					outcome
				},
				Err(_) => {
					process.end();
					RunOutcome::failed(Failure::HostLimit("the sandbox answered garbage".into()))
				},
			},
			Err(error) if error.kind() == io::ErrorKind::TimedOut => {
				process.end();
				RunOutcome::failed(timeout)
			},
			Err(_) => match process.end() {
				// Its CPU time ran out: the machine was slower than the bound.
				Some(status) if signal_of(status) == Some(libc::SIGXCPU) => {
					RunOutcome::failed(timeout)
				},
				status => RunOutcome::failed(Failure::HostLimit(format!(
					"the sandbox process ended ({})",
					describe(status)
				))),
			},
		}
	}

	/// Ends every sandbox process at once; runs in progress end as abstentions.
	pub fn stop(&self) {
		for mut process in lock(&self.idle).drain(..) {
			process.end();
		}
		for pid in lock(&self.busy).iter() {
			if let Ok(pid) = i32::try_from(*pid) {
				// SAFETY: sending a signal to our own child, still unreaped (its runner
				// reaps it once its pipe closes).
				unsafe {
					libc::kill(pid, libc::SIGKILL);
				}
			}
		}
	}

	/// The compiled artifact of `code`, from disk or compiled now in a prepare process within
	/// the compile bounds and `window`.
	fn artifact(&self, hash: [u8; 32], code: &[u8], window: Duration) -> Result<PathBuf, Failure> {
		let path = self.dir.join(format!("{}.cwasm", hex::encode(hash)));
		if let Some(known) = lock(&self.artifacts).known(&hash) {
			return known.map(|()| path);
		}
		let _one_at_a_time = lock(&self.preparing);
		if let Some(known) = lock(&self.artifacts).known(&hash) {
			return known.map(|()| path);
		}
		let compiled = if code.len() > offload_primitives::MAX_PROGRAM_BYTES as usize {
			// The chain keeps no larger program; such a module is invalid everywhere.
			Err(Compile::Failed(Failure::InvalidModule(format!(
				"{} bytes, over the {} a program may have",
				code.len(),
				offload_primitives::MAX_PROGRAM_BYTES
			))))
		} else {
			self.compile(code, window)
		};
		let compiled = compiled.and_then(|artifact| {
			write_atomically(&path, &artifact).map(|()| artifact).map_err(Compile::Cut)
		});
		let mut artifacts = lock(&self.artifacts);
		match compiled {
			Ok(artifact) => {
				for evicted in artifacts.insert(hash, artifact.len() as u64) {
					let _ = std::fs::remove_file(
						self.dir.join(format!("{}.cwasm", hex::encode(evicted))),
					);
				}
				Ok(path)
			},
			Err(Compile::Failed(failure)) => {
				artifacts.fail(hash, failure.clone());
				Err(failure)
			},
			Err(Compile::Cut(failure)) => Err(failure),
		}
	}

	/// Compiles `code` in a prepare process within the compile bounds, and `window` if that
	/// is shorter.
	fn compile(&self, code: &[u8], window: Duration) -> Result<Vec<u8>, Compile> {
		let seconds = self.bounds.compile_time.as_secs().max(1);
		let bound = self.bounds.compile_time.min(window);
		let limits =
			[(libc::RLIMIT_DATA, self.bounds.compile_memory), (libc::RLIMIT_CPU, seconds + 1)];
		let mut process = self.spawn("prepare", &limits).map_err(|error| {
			Compile::Cut(Failure::HostLimit(format!("cannot start a sandbox process: {error}")))
		})?;
		let answer = process.exchange(code, MAX_ARTIFACT_BYTES, Instant::now() + bound);
		let over = || {
			Failure::HostLimit(format!(
				"compiling the module took more than {seconds} s or {} MiB here",
				self.bounds.compile_memory >> 20
			))
		};
		let answer = match answer {
			Ok(frame) => frame,
			Err(error) if error.kind() == io::ErrorKind::TimedOut => {
				process.end();
				// Cut short by the job's window only, it may compile for a longer one.
				return Err(if bound < self.bounds.compile_time {
					Compile::Cut(Failure::Timeout {
						seconds: u32::try_from(bound.as_millis().div_ceil(1000))
							.unwrap_or(u32::MAX),
					})
				} else {
					Compile::Failed(over())
				});
			},
			Err(_) => {
				let status = process.end();
				return Err(match status.and_then(signal_of) {
					Some(libc::SIGXCPU | libc::SIGKILL | libc::SIGABRT | libc::SIGSEGV) => {
						Compile::Failed(over())
					},
					_ => Compile::Cut(Failure::HostLimit(format!(
						"the compiling process ended ({})",
						describe(status)
					))),
				});
			},
		};
		process.end();
		match <Result<Vec<u8>, Failure>>::decode(&mut &answer[..]) {
			Ok(Ok(artifact)) => Ok(artifact),
			Ok(Err(invalid)) => Err(Compile::Failed(invalid)),
			Err(_) => Err(Compile::Cut(Failure::HostLimit(
				"the compiling process answered garbage".into(),
			))),
		}
	}

	/// Starts `offload sandbox <role>` with the given resource limits.
	fn spawn(
		&self,
		role: &str,
		limits: &[(libc::__rlimit_resource_t, u64)],
	) -> io::Result<Process> {
		let mut command = Command::new(&self.program);
		command
			.args([SUBCOMMAND, role])
			.env_clear()
			.current_dir("/")
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			.stderr(Stdio::inherit());
		let mut limits = limits.to_vec();
		// No files and no core dumps, whatever else the role's limits say.
		limits.extend([(libc::RLIMIT_FSIZE, 0), (libc::RLIMIT_CORE, 0)]);
		// SAFETY: between fork and exec only async-signal-safe calls (prctl, setrlimit), on
		// memory the closure owns.
		unsafe {
			command.pre_exec(move || {
				if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
					return Err(io::Error::last_os_error());
				}
				for (resource, value) in &limits {
					let limit = libc::rlimit { rlim_cur: *value, rlim_max: *value };
					if libc::setrlimit(*resource, &limit) != 0 {
						return Err(io::Error::last_os_error());
					}
				}
				Ok(())
			});
		}
		let (reply, child) = mpsc::channel();
		lock(&self.spawner)
			.send((command, reply))
			.map_err(|_| io::Error::other("the spawner thread is gone"))?;
		let mut child =
			child.recv().map_err(|_| io::Error::other("the spawner thread is gone"))??;
		let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
			let _ = child.kill();
			let _ = child.wait();
			return Err(io::Error::other("the sandbox process has no pipes"));
		};
		Ok(Process { child, stdin, stdout })
	}
}

impl Drop for Sandbox {
	fn drop(&mut self) {
		self.stop();
	}
}

/// Why a module was not compiled.
enum Compile {
	/// For good: an invalid module, or one over the compile bounds. Remembered.
	Failed(Failure),
	/// This time only (the job's window was shorter than the bound, the machine could not
	/// start or keep the process). Not remembered.
	Cut(Failure),
}

/// A sandbox process and its pipes.
struct Process {
	child: Child,
	stdin: ChildStdin,
	stdout: ChildStdout,
}

impl Process {
	/// Sends `request` and reads the answer, of at most `max` bytes, by `deadline`.
	fn exchange(&mut self, request: &[u8], max: usize, deadline: Instant) -> io::Result<Vec<u8>> {
		write_frame(&mut self.stdin, request)?;
		read_frame(&mut ByDeadline { pipe: &mut self.stdout, deadline }, max)
	}

	/// Kills the process and reaps it; how it ended, if known.
	fn end(&mut self) -> Option<ExitStatus> {
		let _ = self.child.kill();
		self.child.wait().ok()
	}
}

/// Reads from a pipe, failing with `TimedOut` once `deadline` has passed.
struct ByDeadline<'a> {
	pipe: &'a mut ChildStdout,
	deadline: Instant,
}

impl Read for ByDeadline<'_> {
	fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
		loop {
			let left = self.deadline.saturating_duration_since(Instant::now());
			if left.is_zero() {
				return Err(io::ErrorKind::TimedOut.into());
			}
			let mut poll =
				libc::pollfd { fd: self.pipe.as_raw_fd(), events: libc::POLLIN, revents: 0 };
			let millis = i32::try_from(left.as_millis().max(1)).unwrap_or(i32::MAX);
			// SAFETY: one valid pollfd, alive for the call.
			match unsafe { libc::poll(&mut poll, 1, millis) } {
				0 => continue,
				ready if ready > 0 => return self.pipe.read(buf),
				_ => {
					let error = io::Error::last_os_error();
					if error.kind() != io::ErrorKind::Interrupted {
						return Err(error);
					}
				},
			}
		}
	}
}

/// Compiled modules on disk, least recently used first, and the modules that failed.
struct Artifacts {
	sizes: HashMap<[u8; 32], u64>,
	order: VecDeque<[u8; 32]>,
	bytes: u64,
	capacity: u64,
	failures: HashMap<[u8; 32], Failure>,
	failed_order: VecDeque<[u8; 32]>,
}

impl Artifacts {
	/// What `dir` holds, oldest first; unfinished writes a crash left are removed.
	fn load(dir: &Path, capacity: u64) -> io::Result<Self> {
		let mut found = Vec::new();
		for entry in std::fs::read_dir(dir)? {
			let entry = entry?;
			let name = entry.file_name();
			let name = name.to_string_lossy();
			let mut hash = [0u8; 32];
			let known = name
				.strip_suffix(".cwasm")
				.is_some_and(|stem| hex::decode_to_slice(stem, &mut hash).is_ok());
			let metadata = entry.metadata()?;
			if !known {
				let _ = std::fs::remove_file(entry.path());
				continue;
			}
			found.push((metadata.modified().ok(), hash, metadata.len()));
		}
		found.sort();
		let mut artifacts = Self {
			sizes: HashMap::new(),
			order: VecDeque::new(),
			bytes: 0,
			capacity,
			failures: HashMap::new(),
			failed_order: VecDeque::new(),
		};
		for (_, hash, size) in found {
			for evicted in artifacts.insert(hash, size) {
				let _ = std::fs::remove_file(dir.join(format!("{}.cwasm", hex::encode(evicted))));
			}
		}
		Ok(artifacts)
	}

	/// `Some(Ok)` if compiled (now the most recently used), `Some(Err)` if it failed before.
	fn known(&mut self, hash: &[u8; 32]) -> Option<Result<(), Failure>> {
		if let Some(failure) = self.failures.get(hash) {
			return Some(Err(failure.clone()));
		}
		self.sizes.contains_key(hash).then(|| {
			self.order.retain(|kept| kept != hash);
			self.order.push_back(*hash);
			Ok(())
		})
	}

	/// Records an artifact of `size` bytes; returns those dropped to stay within capacity
	/// (never the one just added).
	fn insert(&mut self, hash: [u8; 32], size: u64) -> Vec<[u8; 32]> {
		if let Some(old) = self.sizes.insert(hash, size) {
			self.bytes = self.bytes.saturating_sub(old);
			self.order.retain(|kept| *kept != hash);
		}
		self.order.push_back(hash);
		self.bytes = self.bytes.saturating_add(size);
		let mut evicted = Vec::new();
		while self.bytes > self.capacity && self.order.len() > 1 {
			let Some(oldest) = self.order.pop_front() else { break };
			if let Some(size) = self.sizes.remove(&oldest) {
				self.bytes = self.bytes.saturating_sub(size);
			}
			evicted.push(oldest);
		}
		evicted
	}

	fn fail(&mut self, hash: [u8; 32], failure: Failure) {
		if self.failures.insert(hash, failure).is_none() {
			self.failed_order.push_back(hash);
		}
		while self.failed_order.len() > REMEMBERED_FAILURES {
			if let Some(oldest) = self.failed_order.pop_front() {
				self.failures.remove(&oldest);
			}
		}
	}
}

/// Writes `bytes` to `path` through a temporary file, synced, then renamed into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
	let temporary = path.with_extension("tmp");
	let written = std::fs::File::create(&temporary).and_then(|mut file| {
		file.write_all(bytes)?;
		file.sync_all()
	});
	written
		.and_then(|()| std::fs::rename(&temporary, path))
		.map_err(|error| Failure::HostLimit(format!("cannot keep the compiled module: {error}")))
}

/// The signal that ended a process, if one did.
fn signal_of(status: ExitStatus) -> Option<i32> {
	std::os::unix::process::ExitStatusExt::signal(&status)
}

fn describe(status: Option<ExitStatus>) -> String {
	status.map_or_else(|| "unknown".into(), |status| status.to_string())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	// A panic elsewhere while holding the lock leaves the data as consistent as before it.
	mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_frame(writer: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
	let length = u32::try_from(bytes.len()).map_err(|_| io::Error::other("a frame over 4 GiB"))?;
	writer.write_all(&length.to_le_bytes())?;
	writer.write_all(bytes)?;
	writer.flush()
}

fn read_frame(reader: &mut impl Read, max: usize) -> io::Result<Vec<u8>> {
	let mut length = [0u8; 4];
	reader.read_exact(&mut length)?;
	let length = u32::from_le_bytes(length) as usize;
	if length > max {
		return Err(io::Error::other(format!("a frame of {length} bytes, over {max}")));
	}
	let mut frame = Vec::new();
	reader.take(length as u64).read_to_end(&mut frame)?;
	if frame.len() != length {
		return Err(io::ErrorKind::UnexpectedEof.into());
	}
	Ok(frame)
}

/// The body of `offload sandbox <role>`: serves the daemon on stdin and stdout until it
/// closes stdin.
pub fn serve(role: &str) -> anyhow::Result<()> {
	let mut input = io::stdin().lock();
	let mut output = io::stdout().lock();
	match role {
		"prepare" => {
			let code = read_frame(&mut input, offload_primitives::MAX_PROGRAM_BYTES as usize)?;
			let executor = WasmExecutor::new(0)?;
			let artifact = executor.precompile(&code).map_err(shorten);
			write_frame(&mut output, &artifact.encode())?;
			Ok(())
		},
		"execute" => {
			let executor = WasmExecutor::new(EXECUTE_CACHE_BYTES)?;
			loop {
				let frame = match read_frame(&mut input, MAX_REQUEST_BYTES) {
					Ok(frame) => frame,
					// The daemon closed the pipe: done.
					Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
					Err(error) => return Err(error.into()),
				};
				let request = Execute::decode(&mut &frame[..])?;
				drop(frame);
				let wall = Duration::from_millis(request.wall_ms);
				confine(&request, wall)?;
				let artifact = PathBuf::from(std::ffi::OsStr::from_bytes(&request.artifact));
				let limits = Limits {
					fuel: request.fuel,
					memory_bytes: request.memory_bytes,
					max_output: usize::try_from(request.max_output).unwrap_or(usize::MAX),
					wall,
				};
				let entry = String::from_utf8_lossy(&request.entry).into_owned();
				// SAFETY: the daemon names only artifacts its prepare processes wrote
				// (`Sandbox::artifact`).
				let mut outcome = unsafe {
					executor.run_artifact(request.hash, &artifact, &entry, request.input, limits)
				};
				outcome.result = outcome.result.map_err(shorten);
				write_frame(&mut output, &outcome.encode())?;
			}
		},
		_ => anyhow::bail!("unknown sandbox role `{role}`: prepare or execute"),
	}
}

/// Bounds this process for one run: its memory to what it holds now plus the job's, and its
/// CPU time to what it used so far plus the run's wall-clock bound and a second.
fn confine(request: &Execute, wall: Duration) -> io::Result<()> {
	let held = data_bytes()?;
	let data = held
		.saturating_add(request.memory_bytes)
		.saturating_add((request.input.len() as u64).saturating_mul(2))
		.saturating_add(request.max_output.saturating_mul(2))
		.saturating_add(request.slack);
	set_soft_limit(libc::RLIMIT_DATA, data)?;
	let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
	// SAFETY: getrusage fills the struct it is given.
	let usage = unsafe {
		if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
			return Err(io::Error::last_os_error());
		}
		usage.assume_init()
	};
	let used =
		u64::try_from(usage.ru_utime.tv_sec.saturating_add(usage.ru_stime.tv_sec)).unwrap_or(0);
	set_soft_limit(libc::RLIMIT_CPU, used.saturating_add(wall.as_secs()).saturating_add(2))
}

fn set_soft_limit(resource: libc::__rlimit_resource_t, value: u64) -> io::Result<()> {
	let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
	// SAFETY: getrlimit and setrlimit read and write the one struct they are given.
	unsafe {
		if libc::getrlimit(resource, &mut limit) != 0 {
			return Err(io::Error::last_os_error());
		}
		limit.rlim_cur = value.min(limit.rlim_max);
		if libc::setrlimit(resource, &limit) != 0 {
			return Err(io::Error::last_os_error());
		}
	}
	Ok(())
}

/// This process's private writable memory, what `RLIMIT_DATA` counts (`VmData`).
fn data_bytes() -> io::Result<u64> {
	let status = std::fs::read_to_string("/proc/self/status")?;
	status
		.lines()
		.find_map(|line| line.strip_prefix("VmData:"))
		.and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
		.map(|kib| kib << 10)
		.ok_or_else(|| io::Error::other("no VmData in /proc/self/status"))
}

/// A failure whose text is cut to [`MAX_REASON_BYTES`] (an engine's message can be long).
fn shorten(failure: Failure) -> Failure {
	let cut = |mut text: String| {
		if text.len() > MAX_REASON_BYTES {
			let mut end = MAX_REASON_BYTES;
			while !text.is_char_boundary(end) {
				end -= 1;
			}
			text.truncate(end);
		}
		text
	};
	match failure {
		Failure::InvalidModule(text) => Failure::InvalidModule(cut(text)),
		Failure::MissingEntry(text) => Failure::MissingEntry(cut(text)),
		Failure::Trap(text) => Failure::Trap(cut(text)),
		Failure::Input(text) => Failure::Input(cut(text)),
		Failure::Unsupported(text) => Failure::Unsupported(cut(text)),
		Failure::HostLimit(text) => Failure::HostLimit(cut(text)),
		other => other,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_artifact_cache_drops_the_least_recently_used_past_its_bytes() {
		let mut artifacts = Artifacts {
			sizes: HashMap::new(),
			order: VecDeque::new(),
			bytes: 0,
			capacity: 100,
			failures: HashMap::new(),
			failed_order: VecDeque::new(),
		};
		assert!(artifacts.insert([1; 32], 40).is_empty());
		assert!(artifacts.insert([2; 32], 40).is_empty());
		// Used again, [1] is now the most recent: [2] goes first.
		assert_eq!(artifacts.known(&[1; 32]), Some(Ok(())));
		assert_eq!(artifacts.insert([3; 32], 40), vec![[2; 32]]);
		assert_eq!(artifacts.bytes, 80);
		assert_eq!(artifacts.known(&[2; 32]), None);
		// One alone over the capacity stays, as it is about to run.
		assert_eq!(artifacts.insert([4; 32], 500), vec![[1; 32], [3; 32]]);
		assert_eq!(artifacts.bytes, 500);
		// A failure is remembered, and bounded in number.
		for i in 0..=REMEMBERED_FAILURES {
			let mut hash = [0u8; 32];
			hash[..8].copy_from_slice(&(i as u64).to_le_bytes());
			artifacts.fail(hash, Failure::OutOfFuel);
		}
		assert_eq!(artifacts.failures.len(), REMEMBERED_FAILURES);
		assert_eq!(artifacts.known(&[0; 32]), None, "the oldest failure is forgotten");
	}

	#[test]
	fn a_frame_over_its_bound_is_refused_before_it_is_read() {
		let mut bytes = Vec::new();
		write_frame(&mut bytes, &[7; 100]).unwrap();
		assert_eq!(read_frame(&mut &bytes[..], 100).unwrap(), vec![7; 100]);
		assert!(read_frame(&mut &bytes[..], 99).is_err());
		assert!(read_frame(&mut &bytes[..50], 100).is_err(), "a cut frame");
	}
}
