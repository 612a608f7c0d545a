//! The executor's costs, measured:
//! - `trivial/cached`: a whole run of a job that does nothing, its module already compiled,
//!   in this process; `trivial/isolated`: the same as the daemon runs it, in a reused execute
//!   process of the sandbox: what isolation adds to every job (goal: at most 1 ms);
//! - `sha256-chain/wasm` against `sha256-chain/native`: a compute-bound guest (a 65,536-round
//!   SHA-256 hash chain) against the very same Rust code run natively (goal: at most 1.5×);
//!   `sha256-chain/isolated`: the guest in the sandbox;
//! - `sha256-1MiB/wasm` against `sha256-1MiB/native`: `sha256sum` of a megabyte, where the
//!   guest also reads its input through WASI into a growing buffer.
//!
//! `cargo bench -p offload-worker --bench executor --profile dev` (that profile builds
//! wasmtime, cranelift and the native baseline with `opt-level = 3`).

#![allow(missing_docs)] // criterion_group! generates an undocumented function.

#[path = "../tests/support/guest.rs"]
mod guest;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use offload_worker::executor::{
	sandbox::{Bounds, Sandbox},
	wasm::{Limits, WasmExecutor},
};
use std::{hint::black_box, time::Duration};

/// A WASI command that reads nothing and writes nothing.
const TRIVIAL: &str = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;

const LIMITS: Limits = Limits {
	fuel: 10_000_000_000,
	memory_bytes: 64 << 20,
	max_output: 4096,
	wall: std::time::Duration::from_secs(600),
};

fn trivial(c: &mut Criterion) {
	let executor = WasmExecutor::new(8).expect("engine");
	let code = wat::parse_str(TRIVIAL).expect("the module parses");
	let hash = sp_crypto_hashing::blake2_256(&code);
	let warm = executor.run(hash, &code, "_start", Vec::new(), LIMITS);
	assert_eq!(warm.result, Ok(Vec::new()));
	assert!(executor.is_cached(&hash));
	c.bench_function("trivial/cached", |b| {
		b.iter(|| executor.run(hash, black_box(&code), "_start", Vec::new(), LIMITS))
	});
	let sandbox = sandbox();
	let warm = sandbox.run(hash, &code, "_start", Vec::new(), LIMITS);
	assert_eq!(warm.result, Ok(Vec::new()));
	c.bench_function("trivial/isolated", |b| {
		b.iter(|| sandbox.run(hash, black_box(&code), "_start", Vec::new(), LIMITS))
	});
}

/// A sandbox as the daemon has one, its compiled modules in a fresh directory.
fn sandbox() -> Sandbox {
	let dir = std::env::temp_dir().join(format!("offload-bench-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	Sandbox::new(env!("CARGO_BIN_EXE_offload").into(), &dir, Bounds::default()).expect("sandbox")
}

fn compute_bound(c: &mut Criterion) {
	let executor = WasmExecutor::new(8).expect("engine");
	let code = guest::sha256_wasm();
	let hash = sp_crypto_hashing::blake2_256(&code);
	let input: Vec<u8> =
		(0..1u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
	let expected = offload_guest_sha256::sha256sum(&input).into_bytes();
	let checked = executor.run(hash, &code, "_start", input.clone(), LIMITS);
	assert_eq!(checked.result, Ok(expected), "the guest and the native code agree");
	println!("sha256-1MiB/wasm burns {} fuel", checked.fuel_used);

	let mut group = c.benchmark_group("sha256-1MiB");
	group.throughput(Throughput::Bytes(input.len() as u64));
	group.bench_function("native", |b| {
		b.iter(|| offload_guest_sha256::sha256sum(black_box(&input)))
	});
	group.bench_function("wasm", |b| {
		b.iter(|| executor.run(hash, &code, "_start", black_box(input.clone()), LIMITS))
	});
	group.finish();

	let code = guest::chain_wasm();
	let hash = sp_crypto_hashing::blake2_256(&code);
	let seed = b"offload".to_vec();
	let expected = offload_guest_sha256::sha256chain(&seed).into_bytes();
	let checked = executor.run(hash, &code, "_start", seed.clone(), LIMITS);
	assert_eq!(checked.result, Ok(expected), "the guest and the native code agree");
	println!("sha256-chain/wasm burns {} fuel", checked.fuel_used);
	let mut group = c.benchmark_group("sha256-chain");
	group.bench_function("native", |b| {
		b.iter(|| offload_guest_sha256::sha256chain(black_box(&seed)))
	});
	group.bench_function("wasm", |b| {
		b.iter(|| executor.run(hash, &code, "_start", black_box(seed.clone()), LIMITS))
	});
	let sandbox = sandbox();
	group.bench_function("isolated", |b| {
		b.iter(|| sandbox.run(hash, &code, "_start", black_box(seed.clone()), LIMITS))
	});
	group.finish();
}

criterion_group! {
	name = benches;
	config = Criterion::default().measurement_time(Duration::from_secs(5));
	targets = trivial, compute_bound
}
criterion_main!(benches);
