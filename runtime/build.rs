//! Compiles the runtime to WASM with substrate-wasm-builder (skipped with `SKIP_WASM_BUILD=1`).

#[cfg(feature = "std")]
fn main() {
	// The WASM builder finds `Cargo.lock` by walking up from the target dir. Offload's target dir
	// lives outside the clone (scripts/env.sh), so name the workspace, or the runtime's WASM would
	// be built from freshly resolved versions instead of the committed lockfile. Only this build
	// script sees it: dependencies that build WASM of their own keep their defaults.
	const HINT: &str = "WASM_BUILD_WORKSPACE_HINT";
	// Read the manifest dir when the script runs, not when it is compiled: a build script
	// compiled in one clone is reused by others sharing the target dir.
	let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from);
	if std::env::var_os(HINT).is_none() {
		if let Some(workspace) = manifest.as_deref().and_then(std::path::Path::parent) {
			// SAFETY: the build script is single-threaded at this point.
			unsafe { std::env::set_var(HINT, workspace) };
		}
	}
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

#[cfg(not(feature = "std"))]
fn main() {}
