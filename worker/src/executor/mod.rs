//! Running a job's workload and turning whatever happens into a [`RunOutcome`]: the output on
//! success, a failure with its reason otherwise, and the metered usage either way. Nothing a
//! guest does makes the daemon fail.

pub mod container;
pub mod wasi;
pub mod wasm;

/// Why a run failed. Each is a deterministic property of the job (the same module, input and
/// limits fail the same way on every honest provider), so replicas agree on failures too.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
	/// The module is not valid WebAssembly, or imports what the sandbox does not provide as a
	/// function.
	#[error("invalid module: {0}")]
	InvalidModule(String),
	/// The module has no exported function of the job's entry-point name, or it takes
	/// parameters or returns results.
	#[error("no entry point `{0}` of type () -> ()")]
	MissingEntry(String),
	/// The run burnt all the job's fuel.
	#[error("out of fuel")]
	OutOfFuel,
	/// The module asked for more linear memory than the job allows.
	#[error("out of memory: more than {limit} bytes of linear memory")]
	OutOfMemory {
		/// The job's limit, in bytes.
		limit: u64,
	},
	/// The module wrote more than the largest output the worker keeps.
	#[error("output too large: more than {limit} bytes")]
	OutputTooLarge {
		/// The largest output, in bytes.
		limit: usize,
	},
	/// The guest exited with a non-zero status.
	#[error("exited with status {0}")]
	Exit(u32),
	/// The job's input could not be had: unreachable, too large, or not matching its hash;
	/// or its program is gone from the chain.
	#[error("bad input: {0}")]
	Input(String),
	/// The job's input is sealed to other providers' keys, not to this worker's.
	#[error("the input is sealed to other providers")]
	SealedToOthers,
	/// The job needs what this worker does not do.
	#[error("not supported by this worker: {0}")]
	Unsupported(String),
	/// The container ran past the job's time limit.
	#[error("timed out after {seconds} s")]
	Timeout {
		/// The job's limit, in seconds.
		seconds: u32,
	},
	/// The guest trapped.
	#[error("trap: {0}")]
	Trap(String),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
	/// The output (the guest's stdout), or why the run failed.
	pub result: Result<Vec<u8>, Failure>,
	/// Fuel burnt, what the provider bills a WASM run for.
	pub fuel_used: u64,
	/// Wall-clock seconds, what the provider bills a container run for; 0 for WASM.
	pub seconds: u32,
}

impl RunOutcome {
	/// A run that failed before it started.
	pub fn failed(failure: Failure) -> Self {
		Self { result: Err(failure), fuel_used: 0, seconds: 0 }
	}

	/// The bytes whose hash is the job's result: the output, or the failure's reason.
	pub fn result_bytes(&self) -> Vec<u8> {
		match &self.result {
			Ok(output) => output.clone(),
			Err(failure) => failure.to_string().into_bytes(),
		}
	}

	/// blake2-256 of [`RunOutcome::result_bytes`]: what goes on chain.
	pub fn result_hash(&self) -> [u8; 32] {
		sp_crypto_hashing::blake2_256(&self.result_bytes())
	}
}
