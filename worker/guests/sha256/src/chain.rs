//! The hash-chain guest: reads a seed from stdin and writes the hex digest of a
//! 65,536-round SHA-256 chain over it. Compute-bound: the executor benchmark's guest.

use std::io::{Read, Write};

fn main() {
	let mut input = Vec::new();
	if let Err(error) = std::io::stdin().read_to_end(&mut input) {
		eprintln!("cannot read the input: {error}");
		std::process::exit(2);
	}
	let output = offload_guest_sha256::sha256chain(&input);
	if std::io::stdout().write_all(output.as_bytes()).is_err() {
		std::process::exit(3);
	}
}
