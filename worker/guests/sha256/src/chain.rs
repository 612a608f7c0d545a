//! The hash-chain guest: reads a seed from stdin and writes the hex digest of a
//! 65,536-round SHA-256 chain over it. Compute-bound: the executor benchmark's guest.

fn main() {
	offload_guest_sha256::serve(offload_guest_sha256::sha256chain);
}
