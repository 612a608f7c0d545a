//! The guest: reads its input from stdin and writes `<sha256 hex>  -` to stdout. Built with
//! `cargo build -p offload-guest-sha256 --target wasm32-wasip1 --release`, it is a WASI
//! command Offload's worker runs (`_start`).

use std::io::{Read, Write};

fn main() {
	let mut input = Vec::new();
	if let Err(error) = std::io::stdin().read_to_end(&mut input) {
		eprintln!("cannot read the input: {error}");
		std::process::exit(2);
	}
	let output = offload_guest_sha256::sha256sum(&input);
	if std::io::stdout().write_all(output.as_bytes()).is_err() {
		std::process::exit(3);
	}
}
