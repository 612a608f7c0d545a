//! Running a job's workload and turning whatever happens into a [`RunOutcome`]: the output on
//! success, a failure with its reason otherwise, and the metered usage either way. Nothing a
//! guest does makes the daemon fail.

pub mod container;
pub mod sandbox;
pub mod wasi;
pub mod wasm;

use codec::{Decode, Encode};

/// The version of the failure codes below. A code hashed into a result is
/// `offload/failure/v1 <code>`: a fixed string per failure, never a library's message, so
/// honest replicas on different worker or wasmtime versions agree.
pub const FAILURE_CODES_VERSION: u32 = 1;

/// Why a run did not produce an output.
///
/// Some failures are the job's: the same module, input and limits fail the same way on every
/// honest provider, so they are *results* ([`Failure::code`] is `Some`), compared and voted on
/// like outputs. The others depend on the provider's host (a fetch that failed, a local limit,
/// a timeout): they are *abstentions* ([`Failure::code`] is `None`), never reported as a result,
/// and the worker gives the replica back with `market.decline` so another provider runs it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, thiserror::Error)]
pub enum Failure {
	/// The module is not valid WebAssembly, uses a feature the sandbox does not enable, or
	/// imports what the sandbox does not provide as a function. Result `invalid-module`.
	#[error("invalid module: {0}")]
	InvalidModule(String),
	/// The module has no exported function of the job's entry-point name, or it takes
	/// parameters or returns results. Result `missing-entry`.
	#[error("no entry point `{0}` of type () -> ()")]
	MissingEntry(String),
	/// The run burnt all the job's fuel. Result `out-of-fuel`.
	#[error("out of fuel")]
	OutOfFuel,
	/// The module asked for more linear memory, tables or instances than the job allows.
	/// Result `out-of-memory`.
	#[error("out of memory: more than {limit} bytes of linear memory")]
	OutOfMemory {
		/// The job's limit, in bytes.
		limit: u64,
	},
	/// The guest wrote more than the protocol's largest output
	/// ([`offload_primitives::MAX_OUTPUT_BYTES`]). Result `output-too-large`.
	#[error("output too large: more than {limit} bytes")]
	OutputTooLarge {
		/// The largest output, in bytes.
		limit: u64,
	},
	/// The guest exited with a non-zero status. Result `exit <status>`.
	#[error("exited with status {0}")]
	Exit(u32),
	/// The guest trapped (unreachable, division by zero, out-of-bounds access, ...). Result
	/// `trap`: which trap is not part of the result, as engines name them differently.
	#[error("trap: {0}")]
	Trap(String),
	/// Abstention: the job's input could not be had here (unreachable, too large for this
	/// provider, not matching its hash, not opening), or its program is gone from the chain.
	#[error("bad input: {0}")]
	Input(String),
	/// Abstention: the job's input is sealed to other providers' keys, not to this worker's.
	#[error("the input is sealed to other providers")]
	SealedToOthers,
	/// Abstention: the job needs what this worker does not do (an image it does not hold,
	/// container jobs without podman).
	#[error("not supported by this worker: {0}")]
	Unsupported(String),
	/// Abstention: the run passed its wall-clock bound, which depends on the machine.
	#[error("timed out after {seconds} s")]
	Timeout {
		/// The bound, in seconds (rounded up).
		seconds: u32,
	},
	/// Abstention: a limit of this host, not of the job (the guest's stack, this provider's
	/// output size, the container engine's own error).
	#[error("host limit: {0}")]
	HostLimit(String),
}

impl Failure {
	/// The stable code hashed into a result, or `None` for an abstention. Changing a code
	/// makes honest replicas disagree: bump [`FAILURE_CODES_VERSION`] instead.
	pub fn code(&self) -> Option<String> {
		Some(match self {
			Failure::InvalidModule(_) => "invalid-module".into(),
			Failure::MissingEntry(_) => "missing-entry".into(),
			Failure::OutOfFuel => "out-of-fuel".into(),
			Failure::OutOfMemory { .. } => "out-of-memory".into(),
			Failure::OutputTooLarge { .. } => "output-too-large".into(),
			Failure::Exit(status) => format!("exit {status}"),
			Failure::Trap(_) => "trap".into(),
			Failure::Input(_)
			| Failure::SealedToOthers
			| Failure::Unsupported(_)
			| Failure::Timeout { .. }
			| Failure::HostLimit(_) => return None,
		})
	}

	/// Whether this says nothing about the job, only about this provider's host.
	pub fn is_abstention(&self) -> bool {
		self.code().is_none()
	}
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
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

	/// The abstention, if the run says nothing about the job (see [`Failure::code`]).
	pub fn abstention(&self) -> Option<&Failure> {
		self.result.as_ref().err().filter(|failure| failure.is_abstention())
	}

	/// The bytes whose hash is the job's result: the output, or the failure's code
	/// (`offload/failure/v1 <code>`); never the failure's message. An abstention has none.
	pub fn result_bytes(&self) -> Vec<u8> {
		match &self.result {
			Ok(output) => output.clone(),
			Err(failure) => match failure.code() {
				Some(code) => {
					format!("offload/failure/v{FAILURE_CODES_VERSION} {code}").into_bytes()
				},
				None => Vec::new(),
			},
		}
	}

	/// blake2-256 of [`RunOutcome::result_bytes`]: what goes on chain.
	pub fn result_hash(&self) -> [u8; 32] {
		sp_crypto_hashing::blake2_256(&self.result_bytes())
	}
}
