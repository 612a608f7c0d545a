//! Hostile guests against the real WASM executor in its sandbox processes (`offload sandbox`,
//! as the daemon runs it): each tries to take the provider's memory, time, stack or compiler,
//! and each ends as the right result or abstention, within a stated bound, with this process
//! (the daemon's stand-in) untouched.

#[path = "support/bomb.rs"]
mod bomb;

use bomb::compile_bomb;
use offload_worker::executor::{
	sandbox::{Bounds, Sandbox, GRACE},
	wasm::{Limits, MAX_TABLE_ELEMENTS},
	Failure, RunOutcome,
};
use std::{
	path::PathBuf,
	sync::OnceLock,
	time::{Duration, Instant},
};

const LIMITS: Limits = Limits {
	fuel: 100_000_000,
	memory_bytes: 16 << 20,
	max_output: 1 << 16,
	wall: Duration::from_secs(60),
};

/// A fresh directory for one sandbox's compiled modules.
fn scratch(name: &str) -> PathBuf {
	let dir = scratch_path(name);
	let _ = std::fs::remove_dir_all(&dir);
	dir
}

fn sandbox_with(name: &str, bounds: Bounds) -> Sandbox {
	Sandbox::new(env!("CARGO_BIN_EXE_offload").into(), &scratch(name), bounds).expect("sandbox")
}

/// The sandbox the tests share, as the daemon has one.
fn sandbox() -> &'static Sandbox {
	static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
	SANDBOX.get_or_init(|| sandbox_with("shared", Bounds::default()))
}

fn run(wat: &str, limits: Limits) -> RunOutcome {
	let code = wat::parse_str(wat).expect("the test module parses");
	let hash = sp_crypto_hashing::blake2_256(&code);
	sandbox().run(hash, &code, "_start", Vec::new(), limits)
}

/// This process's resident memory, in bytes.
fn resident() -> u64 {
	let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
	let kib: u64 = status
		.lines()
		.find_map(|line| line.strip_prefix("VmRSS:"))
		.and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
		.expect("VmRSS");
	kib * 1024
}

#[test]
fn many_memories_or_a_64_bit_memory_are_refused_as_invalid() {
	// A hundred memories, each at the job's limit, would be a hundred times the limit.
	let memories: String = (0..100).map(|i| format!("(memory $m{i} 256)")).collect();
	let outcome = run(&format!("(module {memories} (func (export \"_start\")))"), LIMITS);
	assert!(matches!(outcome.result, Err(Failure::InvalidModule(_))), "{:?}", outcome.result);
	let outcome = run(r#"(module (memory i64 1) (func (export "_start")))"#, LIMITS);
	assert!(matches!(outcome.result, Err(Failure::InvalidModule(_))), "{:?}", outcome.result);
	// Both are results, the same on every provider, named by a code.
	assert_eq!(outcome.result_bytes(), b"offload/failure/v1 invalid-module");
}

#[test]
fn tables_are_bounded_in_all() {
	// One table beyond the bound is refused at instantiation.
	let outcome = run(
		&format!(r#"(module (table {} funcref) (func (export "_start")))"#, MAX_TABLE_ELEMENTS + 1),
		LIMITS,
	);
	assert_eq!(outcome.result, Err(Failure::OutOfMemory { limit: LIMITS.memory_bytes }));
	// Several tables within the bound each, beyond it together, are refused too.
	let half = MAX_TABLE_ELEMENTS / 2 + 1;
	let outcome = run(
		&format!(
			r#"(module (table {half} funcref) (table {half} funcref) (func (export "_start")))"#
		),
		LIMITS,
	);
	assert_eq!(outcome.result, Err(Failure::OutOfMemory { limit: LIMITS.memory_bytes }));
	// Growing a table past the bound fails inside the guest, which then traps.
	let outcome = run(
		r#"(module (table 1 funcref)
		     (func (export "_start")
		       (if (i32.eq (table.grow (ref.null func) (i32.const 10000000)) (i32.const -1))
		         (then unreachable))))"#,
		LIMITS,
	);
	assert_eq!(outcome.result, Err(Failure::OutOfMemory { limit: LIMITS.memory_bytes }));
}

#[test]
fn host_calls_asking_for_huge_buffers_allocate_nothing() {
	let before = resident();
	let started = Instant::now();
	// random_get of 4 GiB - 1, then fd_write with a billion iovecs, then an iovec of 4 GiB:
	// each is refused before the host allocates or copies.
	let outcome = run(
		r#"(module
		     (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
		     (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
		     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
		     (memory (export "memory") 1)
		     (func (export "_start")
		       (if (i32.ne (call $random (i32.const 0) (i32.const -1)) (i32.const 21))
		         (then (call $exit (i32.const 1))))
		       (if (i32.ne (call $write (i32.const 1) (i32.const 0) (i32.const 1000000000) (i32.const 8)) (i32.const 21))
		         (then (call $exit (i32.const 2))))
		       (i32.store (i32.const 0) (i32.const 0))
		       (i32.store (i32.const 4) (i32.const -1))
		       (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
		       (call $exit (i32.const 3))))"#,
		LIMITS,
	);
	// The last write is over the output limit: the job's failure, checked before copying.
	assert_eq!(outcome.result, Err(Failure::OutputTooLarge { limit: LIMITS.max_output as u64 }));
	assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
	let grown = resident().saturating_sub(before);
	assert!(grown < 256 << 20, "resident memory grew by {grown} bytes");
}

#[test]
fn bulk_memory_loops_that_burn_time_and_no_fuel_end_at_the_wall_clock_bound() {
	// Each iteration fills 16 MiB for a few units of fuel: hours of work on a small fuel bill.
	let limits = Limits { wall: Duration::from_secs(1), fuel: u64::MAX / 2, ..LIMITS };
	let started = Instant::now();
	let outcome = run(
		r#"(module (memory 256)
		     (func (export "_start")
		       (loop $l
		         (memory.fill (i32.const 0) (i32.const 7) (i32.const 16777216))
		         (br $l))))"#,
		limits,
	);
	let took = started.elapsed();
	assert_eq!(outcome.result, Err(Failure::Timeout { seconds: 1 }));
	// A timeout depends on the machine: it is an abstention, never a result.
	assert!(outcome.abstention().is_some());
	assert!(took < Duration::from_secs(5), "the run took {took:?}");
}

#[test]
fn a_deep_recursion_is_a_limit_of_the_host_not_a_result() {
	let outcome = run(
		r#"(module (func $f (export "_start") (call $f)))"#,
		Limits { fuel: u64::MAX / 2, ..LIMITS },
	);
	assert!(matches!(outcome.result, Err(Failure::HostLimit(_))), "{:?}", outcome.result);
	assert!(outcome.abstention().is_some());
}

#[test]
fn what_is_hashed_for_a_failure_is_its_code_alone() {
	// The same failure with another engine's wording: the same result.
	let ours = RunOutcome::failed(Failure::Trap(
		"wasm trap: wasm `unreachable` instruction executed".into(),
	));
	let theirs = RunOutcome::failed(Failure::Trap("unreachable executed at 0x1f3".into()));
	assert_eq!(ours.result_hash(), theirs.result_hash());
	assert_eq!(ours.result_bytes(), b"offload/failure/v1 trap");
	let invalid = RunOutcome::failed(Failure::InvalidModule("magic header not detected".into()));
	let other = RunOutcome::failed(Failure::InvalidModule("unexpected end of file".into()));
	assert_eq!(invalid.result_hash(), other.result_hash());
	// Different failures differ; exit statuses are part of the code.
	assert_ne!(ours.result_hash(), invalid.result_hash());
	assert_ne!(
		RunOutcome::failed(Failure::Exit(1)).result_hash(),
		RunOutcome::failed(Failure::Exit(2)).result_hash()
	);
	// A real trap from the engine hashes to the same code.
	let trapped = run(r#"(module (func (export "_start") unreachable))"#, LIMITS);
	assert_eq!(trapped.result_hash(), ours.result_hash());
	// Abstentions have no result at all.
	for abstention in [
		Failure::Input("connection refused".into()),
		Failure::Timeout { seconds: 1 },
		Failure::SealedToOthers,
		Failure::Unsupported("container jobs".into()),
		Failure::HostLimit("the guest's stack".into()),
	] {
		assert!(abstention.is_abstention(), "{abstention}");
	}
}

#[test]
fn a_module_slow_to_compile_is_refused_within_the_compile_bound_and_not_compiled_again() {
	let bounds = Bounds { compile_time: Duration::from_secs(2), ..Bounds::default() };
	let sandbox = sandbox_with("bomb", bounds);
	let code = wat::parse_str(compile_bomb(500 << 10)).expect("the bomb parses");
	assert!(code.len() <= offload_primitives::MAX_PROGRAM_BYTES as usize, "{}", code.len());
	let hash = sp_crypto_hashing::blake2_256(&code);
	let started = Instant::now();
	let outcome = sandbox.run(hash, &code, "_start", Vec::new(), LIMITS);
	let took = started.elapsed();
	eprintln!("a {} byte bomb: {:?} in {took:?}", code.len(), outcome.result);
	// Over the bound: an abstention (a faster machine might have compiled it), on time.
	assert!(matches!(outcome.result, Err(Failure::HostLimit(_))), "{:?}", outcome.result);
	assert!(took < bounds.compile_time + GRACE, "took {took:?}");
	// Remembered: the next job of the same program is refused at once.
	let started = Instant::now();
	let again = sandbox.run(hash, &code, "_start", Vec::new(), LIMITS);
	assert_eq!(again.result, outcome.result);
	assert!(started.elapsed() < Duration::from_millis(100), "took {:?}", started.elapsed());
	assert!(!sandbox.is_prepared(&hash));
}

#[test]
fn a_compilation_cut_short_by_the_jobs_window_is_a_timeout_and_not_remembered() {
	let bounds = Bounds { compile_time: Duration::from_secs(3), ..Bounds::default() };
	let sandbox = sandbox_with("window", bounds);
	let code = wat::parse_str(compile_bomb(500 << 10)).expect("the bomb parses");
	let hash = sp_crypto_hashing::blake2_256(&code);
	let short = Limits { wall: Duration::from_secs(1), ..LIMITS };
	let started = Instant::now();
	let outcome = sandbox.run(hash, &code, "_start", Vec::new(), short);
	assert_eq!(outcome.result, Err(Failure::Timeout { seconds: 1 }));
	assert!(started.elapsed() < short.wall + GRACE, "took {:?}", started.elapsed());
	// A job with more time compiles it again, up to the compile bound.
	let started = Instant::now();
	let outcome = sandbox.run(hash, &code, "_start", Vec::new(), LIMITS);
	assert!(matches!(outcome.result, Err(Failure::HostLimit(_))), "{:?}", outcome.result);
	assert!(started.elapsed() >= bounds.compile_time, "took {:?}", started.elapsed());
}

#[test]
fn a_compilation_over_its_memory_bound_ends_its_process_not_the_daemon() {
	let bounds = Bounds { compile_memory: 16 << 20, ..Bounds::default() };
	let sandbox = sandbox_with("compile-memory", bounds);
	let code = wat::parse_str(compile_bomb(200 << 10)).expect("the bomb parses");
	let hash = sp_crypto_hashing::blake2_256(&code);
	let outcome = sandbox.run(hash, &code, "_start", Vec::new(), LIMITS);
	assert!(matches!(outcome.result, Err(Failure::HostLimit(_))), "{:?}", outcome.result);
	// The sandbox goes on: a small module still compiles and runs.
	let outcome = {
		let code = wat::parse_str(r#"(module (func (export "_start")))"#).unwrap();
		sandbox.run(sp_crypto_hashing::blake2_256(&code), &code, "_start", Vec::new(), LIMITS)
	};
	assert_eq!(outcome.result, Ok(Vec::new()));
}

#[test]
fn a_module_over_the_chains_size_limit_is_invalid_without_compiling() {
	let code = vec![0u8; offload_primitives::MAX_PROGRAM_BYTES as usize + 1];
	let hash = sp_crypto_hashing::blake2_256(&code);
	let outcome = sandbox().run(hash, &code, "_start", Vec::new(), LIMITS);
	assert!(matches!(outcome.result, Err(Failure::InvalidModule(_))), "{:?}", outcome.result);
}

#[test]
fn a_sandbox_process_killed_mid_run_is_an_abstention_and_the_next_run_goes_on() {
	let sandbox = std::sync::Arc::new(sandbox_with("killed", Bounds::default()));
	let code = wat::parse_str(r#"(module (func (export "_start") (loop $l (br $l))))"#).unwrap();
	let hash = sp_crypto_hashing::blake2_256(&code);
	let limits = Limits { fuel: u64::MAX / 2, wall: Duration::from_secs(60), ..LIMITS };
	let running = std::thread::spawn({
		let (sandbox, code) = (sandbox.clone(), code.clone());
		move || sandbox.run(hash, &code, "_start", Vec::new(), limits)
	});
	std::thread::sleep(Duration::from_millis(500));
	let started = Instant::now();
	// What the OS's out-of-memory killer, or a shutdown, does to the process.
	sandbox.stop();
	let outcome = running.join().expect("the run returns");
	assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
	assert!(matches!(outcome.result, Err(Failure::HostLimit(_))), "{:?}", outcome.result);
	assert!(outcome.abstention().is_some());
	// The module stays compiled; the next run gets a new process.
	assert!(sandbox.is_prepared(&hash));
	let quick = Limits { wall: Duration::from_millis(300), ..limits };
	let outcome = sandbox.run(hash, &code, "_start", Vec::new(), quick);
	assert_eq!(outcome.result, Err(Failure::Timeout { seconds: 1 }));
}

#[test]
fn compiled_modules_stay_within_their_bytes_on_disk() {
	let bounds = Bounds { cache_bytes: 1, ..Bounds::default() };
	let sandbox = sandbox_with("cache", bounds);
	let mut hashes = Vec::new();
	for i in 0..3 {
		let code =
			wat::parse_str(format!(r#"(module (func (export "_start") (drop (i32.const {i}))))"#))
				.unwrap();
		let hash = sp_crypto_hashing::blake2_256(&code);
		assert_eq!(sandbox.run(hash, &code, "_start", Vec::new(), LIMITS).result, Ok(Vec::new()));
		hashes.push(hash);
	}
	// Only the most recent stays, alone over the budget.
	assert!(!sandbox.is_prepared(&hashes[0]) && !sandbox.is_prepared(&hashes[1]));
	assert!(sandbox.is_prepared(&hashes[2]));
	let files = std::fs::read_dir(scratch_path("cache"))
		.unwrap()
		.flat_map(|dir| std::fs::read_dir(dir.unwrap().path()).unwrap())
		.count();
	assert_eq!(files, 1);
}

fn scratch_path(name: &str) -> PathBuf {
	std::env::temp_dir().join(format!("offload-hostile-{}-{name}", std::process::id()))
}
