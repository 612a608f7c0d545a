//! The metadata the client is generated from (`worker/metadata/offload.scale`, read by subxt
//! when `offload` is compiled) must be this runtime's: the test fails when a change to a call,
//! event, storage item, constant or runtime API is not carried into it.
//!
//! After such a change, refresh it with
//! `OFFLOAD_WRITE_METADATA=1 SKIP_WASM_BUILD=1 cargo test -p offload-runtime --test metadata`.

use offload_runtime::Runtime;
use std::path::PathBuf;

/// The metadata version the client is generated from (subxt reads V14 to V16).
const VERSION: u32 = 16;

fn committed() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../worker/metadata/offload.scale")
}

#[test]
fn the_clients_metadata_is_this_runtimes() {
	// Some constants are read through storage-backed parameters: build it in empty storage.
	let fresh = sp_io::TestExternalities::default()
		.execute_with(|| Runtime::metadata_at_version(VERSION))
		.expect("the runtime serves metadata V16");
	let fresh: &[u8] = &fresh;
	if std::env::var_os("OFFLOAD_WRITE_METADATA").is_some() {
		std::fs::write(committed(), fresh).expect("worker/metadata/ is writable");
	}
	let on_disk = std::fs::read(committed()).expect("worker/metadata/offload.scale exists");
	assert!(
		on_disk == fresh,
		"worker/metadata/offload.scale is stale ({} bytes; the runtime's is {} bytes): refresh it \
		 with `OFFLOAD_WRITE_METADATA=1 SKIP_WASM_BUILD=1 cargo test -p offload-runtime --test \
		 metadata` and rebuild `offload`",
		on_disk.len(),
		fresh.len()
	);
}
