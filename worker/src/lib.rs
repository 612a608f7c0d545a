//! # Offload worker
//!
//! The off-chain half of Offload: the daemon a provider runs to execute its assigned jobs, and
//! the requester's command line, both in the `offload` binary. Read top-down:
//!
//! - [`daemon`] follows the chain's finalized state and carries each assignment through the
//!   market's steps (ack, run, submit or commit and reveal);
//! - [`executor`] runs workloads (WASM in wasmtime, with a deterministic WASI subset as the
//!   guest ABI);
//! - [`store`] keeps the daemon's state on disk, so a restart resumes where it stopped;
//! - [`inputs`] gets jobs' inputs off the main loop (fetched, checked, opened);
//! - [`http`] serves results to their requesters and `/metrics`, and fetches over HTTP(S);
//! - [`chain`] is the typed JSON-RPC client; [`requester`] the command line's commands, and
//!   [`rewards`] a provider's rewards;
//! - [`config`] reads the daemon's TOML file.

pub mod api;
pub mod chain;
pub mod config;
pub mod daemon;
pub mod datasets;
pub mod envelope;
pub mod executor;
pub mod http;
pub mod inputs;
pub mod metrics;
pub mod requester;
pub mod rewards;
pub mod store;
pub mod subscriptions;
