//! The WASM executor on real modules: what a guest can do, and every way it can fail without
//! harming the worker.

#[path = "support/guest.rs"]
mod guest;

use offload_worker::executor::{
	wasm::{Limits, WasmExecutor},
	Failure,
};

const LIMITS: Limits = Limits {
	fuel: 10_000_000,
	memory_bytes: 16 << 20,
	max_output: 1 << 16,
	wall: std::time::Duration::from_secs(60),
};

fn module(wat: &str) -> (Vec<u8>, [u8; 32]) {
	let code = wat::parse_str(wat).expect("the test module parses");
	let hash = sp_crypto_hashing::blake2_256(&code);
	(code, hash)
}

/// A WASI command that reads stdin into memory and writes it back upper-cased.
const UPPERCASE: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $n i32) (local $i i32) (local $c i32)
    ;; iovec at 0: buffer at 64, 4096 bytes
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 4096))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (local.set $n (i32.load (i32.const 8)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (i32.load8_u (i32.add (i32.const 64) (local.get $i))))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (then (i32.store8 (i32.add (i32.const 64) (local.get $i)) (i32.sub (local.get $c) (i32.const 32)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 4) (local.get $n))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))))
"#;

#[test]
fn a_guest_reads_its_input_and_its_output_is_the_result() {
	let executor = WasmExecutor::new(8).expect("engine");
	let (code, hash) = module(UPPERCASE);
	let outcome = executor.run(hash, &code, "_start", b"hello, offload".to_vec(), LIMITS);
	assert_eq!(outcome.result, Ok(b"HELLO, OFFLOAD".to_vec()));
	assert!(outcome.fuel_used > 0 && outcome.fuel_used < LIMITS.fuel);
	assert_eq!(outcome.result_hash(), sp_crypto_hashing::blake2_256(b"HELLO, OFFLOAD"));
	assert!(executor.is_cached(&hash));
}

#[test]
fn two_runs_agree_on_output_and_fuel() {
	let executor = WasmExecutor::new(8).expect("engine");
	let other = WasmExecutor::new(8).expect("engine");
	let (code, hash) = module(UPPERCASE);
	let first = executor.run(hash, &code, "_start", b"same input".to_vec(), LIMITS);
	let cached = executor.run(hash, &code, "_start", b"same input".to_vec(), LIMITS);
	let fresh = other.run(hash, &code, "_start", b"same input".to_vec(), LIMITS);
	assert_eq!(first, cached);
	assert_eq!(first, fresh);
}

#[test]
fn a_trap_is_a_failed_result() {
	let executor = WasmExecutor::new(8).expect("engine");
	let (code, hash) = module(r#"(module (func (export "_start") unreachable))"#);
	let outcome = executor.run(hash, &code, "_start", vec![], LIMITS);
	assert!(
		matches!(&outcome.result, Err(Failure::Trap(reason)) if reason.contains("unreachable"))
	);
	assert_eq!(
		outcome.result_hash(),
		sp_crypto_hashing::blake2_256(outcome.result_bytes().as_slice())
	);
}

#[test]
fn an_infinite_loop_runs_out_of_fuel_and_burns_exactly_the_limit() {
	let executor = WasmExecutor::new(8).expect("engine");
	let (code, hash) = module(r#"(module (func (export "_start") (loop $l (br $l))))"#);
	let limits = Limits { fuel: 50_000, ..LIMITS };
	let outcome = executor.run(hash, &code, "_start", vec![], limits);
	assert_eq!(outcome.result, Err(Failure::OutOfFuel));
	assert_eq!(outcome.fuel_used, 50_000);
}

#[test]
fn a_memory_bomb_stops_at_the_memory_limit() {
	let executor = WasmExecutor::new(8).expect("engine");
	// Grows by 1 MiB (16 pages) until growth fails, then traps.
	let (code, hash) = module(
		r#"(module (memory 1)
		     (func (export "_start")
		       (loop $more
		         (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
		       unreachable))"#,
	);
	let outcome = executor.run(hash, &code, "_start", vec![], LIMITS);
	assert_eq!(outcome.result, Err(Failure::OutOfMemory { limit: LIMITS.memory_bytes }));
	// A module whose initial memory is above the limit is refused the same way.
	let (code, hash) = module(r#"(module (memory 1024) (func (export "_start")))"#);
	let outcome = executor.run(hash, &code, "_start", vec![], LIMITS);
	assert_eq!(outcome.result, Err(Failure::OutOfMemory { limit: LIMITS.memory_bytes }));
}

#[test]
fn an_invalid_module_or_a_missing_entry_point_is_a_failed_result() {
	let executor = WasmExecutor::new(8).expect("engine");
	let garbage = b"\0asm\x01\0\0\0 this is not wasm".to_vec();
	let outcome =
		executor.run(sp_crypto_hashing::blake2_256(&garbage), &garbage, "_start", vec![], LIMITS);
	assert!(matches!(outcome.result, Err(Failure::InvalidModule(_))));
	assert_eq!(outcome.fuel_used, 0);
	let (code, hash) = module(r#"(module (func (export "main") (param i32)))"#);
	let outcome = executor.run(hash, &code, "_start", vec![], LIMITS);
	assert_eq!(outcome.result, Err(Failure::MissingEntry("_start".into())));
	let outcome = executor.run(hash, &code, "main", vec![], LIMITS);
	assert_eq!(outcome.result, Err(Failure::MissingEntry("main".into())));
}

#[test]
fn output_beyond_the_limit_fails_the_run() {
	let executor = WasmExecutor::new(8).expect("engine");
	// Writes the same 1 KiB forever.
	let (code, hash) = module(
		r#"(module
		     (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
		     (memory (export "memory") 1)
		     (func (export "_start")
		       (i32.store (i32.const 0) (i32.const 64))
		       (i32.store (i32.const 4) (i32.const 1024))
		       (loop $l
		         (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
		         (br $l))))"#,
	);
	let limits = Limits { max_output: 10_000, ..LIMITS };
	let outcome = executor.run(hash, &code, "_start", vec![], limits);
	assert_eq!(outcome.result, Err(Failure::OutputTooLarge { limit: 10_000 }));
}

#[test]
fn exit_statuses_and_unknown_imports() {
	let executor = WasmExecutor::new(8).expect("engine");
	let exit = |status: u32| {
		format!(
			r#"(module
			     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
			     (import "env" "socket" (func $socket (result i32)))
			     (func (export "_start") (call $exit (i32.const {status}))))"#
		)
	};
	let (code, hash) = module(&exit(0));
	assert_eq!(executor.run(hash, &code, "_start", vec![], LIMITS).result, Ok(vec![]));
	let (code, hash) = module(&exit(3));
	assert_eq!(executor.run(hash, &code, "_start", vec![], LIMITS).result, Err(Failure::Exit(3)));
	// Calling an import outside the ABI traps; the worker does not offer the network.
	let (code, hash) = module(
		r#"(module (import "env" "socket" (func $socket (result i32)))
		     (func (export "_start") (drop (call $socket))))"#,
	);
	assert!(matches!(
		executor.run(hash, &code, "_start", vec![], LIMITS).result,
		Err(Failure::Trap(_))
	));
}

#[test]
fn the_clock_and_randomness_are_fixed() {
	let executor = WasmExecutor::new(8).expect("engine");
	// Writes 8 bytes of clock then 16 random bytes to stdout.
	let (code, hash) = module(
		r#"(module
		     (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
		     (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
		     (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
		     (memory (export "memory") 1)
		     (func (export "_start")
		       (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 64)))
		       (drop (call $random (i32.const 72) (i32.const 16)))
		       (i32.store (i32.const 0) (i32.const 64))
		       (i32.store (i32.const 4) (i32.const 24))
		       (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
	);
	let first = executor.run(hash, &code, "_start", vec![], LIMITS);
	let second = WasmExecutor::new(1).expect("engine").run(hash, &code, "_start", vec![], LIMITS);
	let output = first.result.clone().expect("runs");
	assert_eq!(output.len(), 24);
	assert_eq!(
		u64::from_le_bytes(output[..8].try_into().expect("8 bytes")),
		offload_worker::executor::wasi::FIXED_TIME_NS
	);
	assert_eq!(first, second);
}

#[test]
fn a_rust_guest_built_for_wasip1_runs_and_agrees_with_the_same_code_native() {
	let executor = WasmExecutor::new(8).expect("engine");
	let code = guest::sha256_wasm();
	let hash = sp_crypto_hashing::blake2_256(&code);
	let input = b"abc".to_vec();
	let limits = Limits { fuel: 5_000_000_000, memory_bytes: 32 << 20, max_output: 1024, ..LIMITS };
	let outcome = executor.run(hash, &code, "_start", input.clone(), limits);
	let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -\n";
	assert_eq!(outcome.result, Ok(expected.as_bytes().to_vec()));
	assert_eq!(offload_guest_sha256::sha256sum(&input), expected);
	// A megabyte costs fuel in proportion, the same on every run.
	let big = vec![7u8; 1 << 20];
	let first = executor.run(hash, &code, "_start", big.clone(), limits);
	let second = executor.run(hash, &code, "_start", big.clone(), limits);
	assert_eq!(first.result, Ok(offload_guest_sha256::sha256sum(&big).into_bytes()));
	assert_eq!((first.result_hash(), first.fuel_used), (second.result_hash(), second.fuel_used));
	assert!(
		first.fuel_used > 100 * outcome.fuel_used,
		"{} vs {}",
		first.fuel_used,
		outcome.fuel_used
	);
}
