//! The WASM executor: wasmtime configured so that replicas agree bit for bit, with fuel, memory
//! and wall-clock limits per run and compiled modules cached by code hash.
//!
//! One [`WasmExecutor`] holds the engine (shared by every run) and the cache. Each run gets a
//! fresh [`Store`] holding its I/O ([`wasi::Io`]), its limits and its fuel, and calls the
//! job's entry point (`_start` for a WASI command). The daemon does not call it in its own
//! process: [`super::sandbox`] runs it in child processes, compiling with
//! [`WasmExecutor::precompile`] in one and running the artifact with
//! [`WasmExecutor::run_artifact`] in another.
//!
//! What a guest can take is bounded before it is given: one instance, one linear memory (no
//! multi-memory, no 64-bit memories) of at most the job's limit, at most [`MAX_TABLES`] tables
//! of [`MAX_TABLE_ELEMENTS`] entries in all, and no proposal that brings its own allocations
//! (GC, exceptions, stack switching). Fuel bounds the instructions, but not time: a bulk
//! `memory.fill` costs one unit, so an epoch deadline (a ticker thread advancing the engine's
//! epoch every [`TICK`]) ends a run at its wall-clock bound. A timeout depends on the machine,
//! so it is an abstention, never a result.

use super::{wasi, Failure, RunOutcome};
use std::{
	collections::{HashMap, VecDeque},
	path::Path,
	sync::{Arc, Mutex},
	time::Duration,
};
use wasmtime::{
	Config, Engine, InstancePre, Linker, Module, OptLevel, ResourceLimiter, Store, Trap,
};

/// How often the engine's epoch advances: the granularity of wall-clock bounds.
pub const TICK: Duration = Duration::from_millis(10);

/// Most tables a module may have.
pub const MAX_TABLES: usize = 4;

/// Most table entries a module may have, all tables together.
pub const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Limits of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
	/// Fuel the run may burn.
	pub fuel: u64,
	/// Bytes of linear memory the module may have.
	pub memory_bytes: u64,
	/// Bytes the run may write to stdout and stderr together.
	pub max_output: usize,
	/// Wall-clock time the run may take.
	pub wall: Duration,
}

/// What the store of a run holds.
struct RunState {
	io: wasi::Io,
	memory_limit: u64,
	memory_exceeded: bool,
	/// The host could not give memory the limiter allowed (the sandbox process's own bound):
	/// whatever the guest did next depends on this machine.
	host_refused: bool,
	table_elements: usize,
}

impl wasi::HasIo for RunState {
	fn io(&mut self) -> &mut wasi::Io {
		&mut self.io
	}
}

impl ResourceLimiter for RunState {
	fn memory_growing(
		&mut self,
		_current: usize,
		desired: usize,
		_maximum: Option<usize>,
	) -> anyhow::Result<bool> {
		let allowed = desired as u64 <= self.memory_limit;
		self.memory_exceeded |= !allowed;
		Ok(allowed)
	}

	fn table_growing(
		&mut self,
		current: usize,
		desired: usize,
		_maximum: Option<usize>,
	) -> anyhow::Result<bool> {
		// Counted over all tables, as each may be grown to the bound on its own.
		let total = self.table_elements.saturating_add(desired.saturating_sub(current));
		let allowed = total <= MAX_TABLE_ELEMENTS;
		if allowed {
			self.table_elements = total;
		}
		self.memory_exceeded |= !allowed;
		Ok(allowed)
	}

	fn memory_grow_failed(&mut self, _error: anyhow::Error) -> anyhow::Result<()> {
		self.host_refused = true;
		Ok(())
	}

	fn table_grow_failed(&mut self, _error: anyhow::Error) -> anyhow::Result<()> {
		self.host_refused = true;
		Ok(())
	}

	fn instances(&self) -> usize {
		1
	}

	fn memories(&self) -> usize {
		1
	}

	fn tables(&self) -> usize {
		MAX_TABLES
	}
}

/// A compiled module, linked and ready to instantiate.
type Prepared = Arc<InstancePre<RunState>>;

/// Runs WASM jobs.
pub struct WasmExecutor {
	engine: Engine,
	linker: Linker<RunState>,
	cache: Mutex<Cache>,
}

/// Compiled modules by code hash, the least recently used dropped first once their compiled
/// code passes `capacity` bytes.
struct Cache {
	modules: HashMap<[u8; 32], (Prepared, usize)>,
	order: VecDeque<[u8; 32]>,
	bytes: usize,
	capacity: usize,
}

impl Cache {
	fn get(&mut self, hash: &[u8; 32]) -> Option<Prepared> {
		let prepared = self.modules.get(hash)?.0.clone();
		self.order.retain(|kept| kept != hash);
		self.order.push_back(*hash);
		Some(prepared)
	}

	fn insert(&mut self, hash: [u8; 32], prepared: Prepared, bytes: usize) {
		if let Some((_, old)) = self.modules.insert(hash, (prepared, bytes)) {
			self.bytes = self.bytes.saturating_sub(old);
			self.order.retain(|kept| *kept != hash);
		}
		self.order.push_back(hash);
		self.bytes = self.bytes.saturating_add(bytes);
		// The newest stays even alone over the capacity: it is about to run.
		while self.bytes > self.capacity && self.order.len() > 1 {
			let Some(oldest) = self.order.pop_front() else { break };
			if let Some((_, freed)) = self.modules.remove(&oldest) {
				self.bytes = self.bytes.saturating_sub(freed);
			}
		}
	}
}

/// The engine's configuration: the same in every process that compiles or runs a module, so
/// an artifact compiled in one loads in another.
fn config() -> Config {
	let mut config = Config::new();
	config
		.consume_fuel(true)
		// Deterministic floating point: every NaN a float operation produces is the
		// canonical one.
		.cranelift_nan_canonicalization(true)
		.cranelift_opt_level(OptLevel::Speed)
		// No threads or shared memory; relaxed SIMD, whose results may differ between
		// CPUs, is off.
		.wasm_threads(false)
		.wasm_relaxed_simd(false)
		// One 32-bit memory per module: a module with many memories, or a 64-bit one,
		// is refused as invalid rather than given more than the job's limit.
		.wasm_multi_memory(false)
		.wasm_memory64(false)
		// Proposals whose objects the host allocates outside linear memory (GC and typed
		// function references are not even compiled into this build).
		.wasm_exceptions(false)
		.wasm_stack_switching(false)
		.epoch_interruption(true);
	config
}

impl WasmExecutor {
	/// An executor that keeps compiled modules of up to `cache_bytes` of code in all.
	pub fn new(cache_bytes: usize) -> anyhow::Result<Self> {
		let engine = Engine::new(&config())?;
		// Advances the epoch every tick while the engine lives; ends with it.
		let weak = engine.weak();
		std::thread::Builder::new().name("wasm-epoch".into()).spawn(move || {
			while let Some(engine) = weak.upgrade() {
				engine.increment_epoch();
				drop(engine);
				std::thread::sleep(TICK);
			}
		})?;
		let mut linker = Linker::new(&engine);
		wasi::add_to_linker(&mut linker)?;
		Ok(Self {
			engine,
			linker,
			cache: Mutex::new(Cache {
				modules: HashMap::new(),
				order: VecDeque::new(),
				bytes: 0,
				capacity: cache_bytes,
			}),
		})
	}

	/// Identifies the engine's build and configuration: an artifact loads only in an engine
	/// with the same.
	pub fn compatibility() -> anyhow::Result<u64> {
		use std::hash::{Hash, Hasher};
		let engine = Engine::new(&config())?;
		let mut hasher = std::hash::DefaultHasher::new();
		engine.precompile_compatibility_hash().hash(&mut hasher);
		Ok(hasher.finish())
	}

	/// Whether the module of `hash` is compiled and cached.
	pub fn is_cached(&self, hash: &[u8; 32]) -> bool {
		self.cache.lock().map(|cache| cache.modules.contains_key(hash)).unwrap_or(false)
	}

	/// Bytes of compiled code the cache holds.
	pub fn cached_bytes(&self) -> usize {
		self.cache.lock().map(|cache| cache.bytes).unwrap_or(0)
	}

	/// Compiles `code` to an artifact [`WasmExecutor::run_artifact`] loads (in this process
	/// or another one with the same build); an invalid module is the job's failure.
	pub fn precompile(&self, code: &[u8]) -> Result<Vec<u8>, Failure> {
		self.engine
			.precompile_module(code)
			.map_err(|error| Failure::InvalidModule(format!("{error:#}")))
	}

	/// Links `module` and caches it under `hash`.
	fn link(&self, hash: [u8; 32], module: Module) -> Result<Prepared, Failure> {
		let mut linker = self.linker.clone();
		// Imports outside the ABI trap when called rather than refusing the module.
		linker
			.define_unknown_imports_as_traps(&module)
			.map_err(|error| Failure::InvalidModule(format!("{error:#}")))?;
		let image = module.image_range();
		let bytes = (image.end as usize).saturating_sub(image.start as usize);
		let prepared = Arc::new(
			linker
				.instantiate_pre(&module)
				.map_err(|error| Failure::InvalidModule(format!("{error:#}")))?,
		);
		if let Ok(mut cache) = self.cache.lock() {
			cache.insert(hash, prepared.clone(), bytes);
		}
		Ok(prepared)
	}

	fn cached(&self, hash: &[u8; 32]) -> Option<Prepared> {
		self.cache.lock().ok().and_then(|mut cache| cache.get(hash))
	}

	/// The compiled module of `code` (whose hash is `hash`), from the cache or compiled now.
	fn prepare(&self, hash: [u8; 32], code: &[u8]) -> Result<Prepared, Failure> {
		if let Some(prepared) = self.cached(&hash) {
			return Ok(prepared);
		}
		let module = Module::new(&self.engine, code)
			.map_err(|error| Failure::InvalidModule(format!("{error:#}")))?;
		self.link(hash, module)
	}

	/// Runs `entry` of the module `code` (blake2-256 `hash`) on `input` within `limits`, in
	/// this process. Whatever the guest does, the outcome says what happened; this never
	/// fails.
	pub fn run(
		&self,
		hash: [u8; 32],
		code: &[u8],
		entry: &str,
		input: Vec<u8>,
		limits: Limits,
	) -> RunOutcome {
		match self.prepare(hash, code) {
			Ok(prepared) => self.execute(&prepared, entry, input, limits),
			Err(failure) => RunOutcome::failed(failure),
		}
	}

	/// As [`WasmExecutor::run`], for the module of `hash` compiled by
	/// [`WasmExecutor::precompile`] into the file `artifact`.
	///
	/// # Safety
	///
	/// `artifact` must hold what [`WasmExecutor::precompile`] returned, unchanged: wasmtime
	/// checks that it was made by this engine's version and configuration, but runs its
	/// machine code as it is.
	pub unsafe fn run_artifact(
		&self,
		hash: [u8; 32],
		artifact: &Path,
		entry: &str,
		input: Vec<u8>,
		limits: Limits,
	) -> RunOutcome {
		let prepared = match self.cached(&hash) {
			Some(prepared) => Ok(prepared),
			// SAFETY: the caller vouches for the file (this function's contract).
			None => unsafe { Module::deserialize_file(&self.engine, artifact) }
				.map_err(|error| Failure::HostLimit(format!("the compiled module: {error:#}")))
				.and_then(|module| self.link(hash, module)),
		};
		match prepared {
			Ok(prepared) => self.execute(&prepared, entry, input, limits),
			Err(failure) => RunOutcome::failed(failure),
		}
	}

	fn execute(
		&self,
		prepared: &Prepared,
		entry: &str,
		input: Vec<u8>,
		limits: Limits,
	) -> RunOutcome {
		let state = RunState {
			io: wasi::Io::new(input, limits.max_output),
			memory_limit: limits.memory_bytes,
			memory_exceeded: false,
			host_refused: false,
			table_elements: 0,
		};
		let mut store = Store::new(&self.engine, state);
		store.limiter(|state| state);
		let ticks = limits.wall.as_millis().div_ceil(TICK.as_millis()).max(1);
		store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
		store.epoch_deadline_trap();
		if store.set_fuel(limits.fuel).is_err() {
			return RunOutcome::failed(Failure::OutOfFuel);
		}
		let called = prepared.instantiate(&mut store).and_then(|instance| {
			let function = instance
				.get_typed_func::<(), ()>(&mut store, entry)
				.map_err(|_| anyhow::Error::new(MissingEntry))?;
			function.call(&mut store, ())
		});
		let fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
		let state = store.into_data();
		let result = if state.host_refused {
			Err(Failure::HostLimit("memory the job may have, this host would not give".into()))
		} else {
			match called {
				Ok(()) => Ok(state.io.output),
				Err(error) => match classify(&error, &state, entry, &limits) {
					None => Ok(state.io.output),
					Some(failure) => Err(failure),
				},
			}
		};
		RunOutcome { result, fuel_used, seconds: 0 }
	}
}

/// Marks an entry point that is missing or of the wrong type.
#[derive(Debug, thiserror::Error)]
#[error("missing entry point")]
struct MissingEntry;

/// What an error out of a run means; `None` for a clean `proc_exit(0)`.
fn classify(
	error: &anyhow::Error,
	state: &RunState,
	entry: &str,
	limits: &Limits,
) -> Option<Failure> {
	if let Some(stop) = error.downcast_ref::<wasi::Stop>() {
		return match stop {
			wasi::Stop::Exit(0) => None,
			wasi::Stop::Exit(status) => Some(Failure::Exit(*status)),
			wasi::Stop::OutputLimit => {
				Some(Failure::OutputTooLarge { limit: limits.max_output as u64 })
			},
		};
	}
	if error.downcast_ref::<MissingEntry>().is_some() {
		return Some(Failure::MissingEntry(entry.to_string()));
	}
	// First, as whatever else happened before it, a slower machine would not have seen.
	if let Some(Trap::Interrupt) = error.downcast_ref::<Trap>() {
		let seconds = limits.wall.as_millis().div_ceil(1_000);
		return Some(Failure::Timeout { seconds: u32::try_from(seconds).unwrap_or(u32::MAX) });
	}
	if state.memory_exceeded {
		return Some(Failure::OutOfMemory { limit: limits.memory_bytes });
	}
	match error.downcast_ref::<Trap>() {
		Some(Trap::OutOfFuel) => Some(Failure::OutOfFuel),
		// How deep a guest may recurse depends on the engine's native frames, not the job.
		Some(Trap::StackOverflow) => Some(Failure::HostLimit("the guest's stack".into())),
		Some(trap) => Some(Failure::Trap(trap.to_string())),
		None => Some(Failure::Trap(format!("{error:#}"))),
	}
}
