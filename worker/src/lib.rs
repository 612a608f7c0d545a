//! # Offload worker
//!
//! The off-chain half of Offload: the daemon a provider runs to execute its assigned jobs, and
//! the requester's command line. Read top-down: [`executor`] runs workloads (WASM in wasmtime,
//! with a deterministic WASI subset as the guest ABI).

pub mod executor;
