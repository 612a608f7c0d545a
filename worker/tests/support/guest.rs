//! The Rust example guest (`worker/guests/sha256`), built for `wasm32-wasip1` the way a guest
//! author builds it: with cargo, in a target dir of its own so it never waits on the build
//! that runs the tests.

use std::{path::Path, process::Command, sync::OnceLock};

/// The `sha256-guest` WASM (`sha256sum` of the input).
pub fn sha256_wasm() -> Vec<u8> {
	wasm("sha256-guest")
}

/// The `sha256-chain` WASM (a 65,536-round hash chain seeded by the input).
#[allow(dead_code)] // The benchmark's; the tests use the other.
pub fn chain_wasm() -> Vec<u8> {
	wasm("sha256-chain")
}

/// The guest binary `name`, from a build made once per process.
fn wasm(name: &str) -> Vec<u8> {
	static BUILT: OnceLock<std::path::PathBuf> = OnceLock::new();
	let wasm = BUILT.get_or_init(build).join(format!("{name}.wasm"));
	std::fs::read(&wasm).unwrap_or_else(|error| panic!("{}: {error}", wasm.display()))
}

/// Builds the guests; returns the directory holding them.
fn build() -> std::path::PathBuf {
	let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
	let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("guests");
	let status = Command::new(env!("CARGO"))
		.current_dir(&workspace)
		.args(["build", "--locked", "--release", "--quiet", "--target", "wasm32-wasip1"])
		.args(["-p", "offload-guest-sha256", "--target-dir"])
		.arg(&target_dir)
		.status()
		.expect("cargo runs");
	assert!(status.success(), "building the guest failed; scripts/setup.sh adds wasm32-wasip1");
	target_dir.join("wasm32-wasip1/release")
}
