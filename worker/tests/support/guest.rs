//! The Rust example guest (`worker/guests/sha256`), built for `wasm32-wasip1` the way a guest
//! author builds it: with cargo, in a target dir of its own so it never waits on the build
//! that runs the tests.

use std::{path::Path, process::Command, sync::OnceLock};

/// The sha256 guest's WASM, built once per test process.
pub fn sha256_wasm() -> Vec<u8> {
	static WASM: OnceLock<Vec<u8>> = OnceLock::new();
	WASM.get_or_init(build).clone()
}

fn build() -> Vec<u8> {
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
	let wasm = target_dir.join("wasm32-wasip1/release/sha256-guest.wasm");
	std::fs::read(&wasm).unwrap_or_else(|error| panic!("{}: {error}", wasm.display()))
}
