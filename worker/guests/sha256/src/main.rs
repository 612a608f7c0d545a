//! The `sha256sum` guest: reads its input from stdin and writes `<sha256 hex>  -` to stdout.
//! Built with `cargo build -p offload-guest-sha256 --target wasm32-wasip1 --release`, it is a
//! WASI command Offload's worker runs (`_start`).

fn main() {
	offload_guest_sha256::serve(offload_guest_sha256::sha256sum);
}
