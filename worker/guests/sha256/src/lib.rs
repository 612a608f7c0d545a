//! SHA-256 (FIPS 180-4), written out in plain Rust so that the very same code runs natively
//! and inside Offload's WASM sandbox. Two guests use it: `sha256-guest` (`sha256sum` of the
//! input) and `sha256-chain` (a 65,536-round hash chain seeded by the input).

/// The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K: [u32; 64] = [
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The initial hash value: the first 32 bits of the fractional parts of the square roots of
/// the first 8 primes.
const H0: [u32; 8] = [
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
	let mut state = H0;
	let mut blocks = data.chunks_exact(64);
	for block in &mut blocks {
		compress(&mut state, block);
	}
	// The padding: a 1 bit, zeros, and the message length in bits, filling one or two blocks.
	let rest = blocks.remainder();
	let mut tail = [0u8; 128];
	tail[..rest.len()].copy_from_slice(rest);
	tail[rest.len()] = 0x80;
	let tail_len = if rest.len() < 56 { 64 } else { 128 };
	let bits = (data.len() as u64).wrapping_mul(8);
	tail[tail_len - 8..tail_len].copy_from_slice(&bits.to_be_bytes());
	for block in tail[..tail_len].chunks_exact(64) {
		compress(&mut state, block);
	}
	let mut digest = [0u8; 32];
	for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
		bytes.copy_from_slice(&word.to_be_bytes());
	}
	digest
}

/// One round of the compression function over a 64-byte block.
fn compress(state: &mut [u32; 8], block: &[u8]) {
	let mut w = [0u32; 64];
	for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
		*word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
	}
	for i in 16..64 {
		let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
		let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
	}
	let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
	for i in 0..64 {
		let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
		let choice = (e & f) ^ (!e & g);
		let t1 = h.wrapping_add(s1).wrapping_add(choice).wrapping_add(K[i]).wrapping_add(w[i]);
		let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
		let majority = (a & b) ^ (a & c) ^ (b & c);
		let t2 = s0.wrapping_add(majority);
		h = g;
		g = f;
		f = e;
		e = d.wrapping_add(t1);
		d = c;
		c = b;
		b = a;
		a = t1.wrapping_add(t2);
	}
	for (word, add) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
		*word = word.wrapping_add(add);
	}
}

/// What the guest prints for `input`: the digest in hex and `-`, as `sha256sum` prints it for
/// its standard input.
pub fn sha256sum(input: &[u8]) -> String {
	let hex: String = sha256(input).iter().map(|byte| format!("{byte:02x}")).collect();
	format!("{hex}  -\n")
}

/// Rounds of [`chain`] the `sha256-chain` guest runs.
pub const CHAIN_ROUNDS: u32 = 65_536;

/// A hash chain: the digest of `seed`, then the digest of that digest, `rounds` digests in
/// all (the sequential work of key stretching). Pure computation over 32 bytes at a time.
pub fn chain(seed: &[u8], rounds: u32) -> [u8; 32] {
	let mut digest = sha256(seed);
	for _ in 1..rounds {
		digest = sha256(&digest);
	}
	digest
}

/// What the `sha256-chain` guest prints for `input`: the hex of [`chain`] over
/// [`CHAIN_ROUNDS`] rounds.
pub fn sha256chain(input: &[u8]) -> String {
	let hex: String = chain(input, CHAIN_ROUNDS).iter().map(|byte| format!("{byte:02x}")).collect();
	format!("{hex}\n")
}

/// A guest's whole life: `output` of all of stdin, written to stdout. Exits with status 2 if
/// stdin cannot be read and 3 if stdout cannot be written.
pub fn serve(output: fn(&[u8]) -> String) {
	use std::io::{Read, Write};
	let mut input = Vec::new();
	if let Err(error) = std::io::stdin().read_to_end(&mut input) {
		eprintln!("cannot read the input: {error}");
		std::process::exit(2);
	}
	if std::io::stdout().write_all(output(&input).as_bytes()).is_err() {
		std::process::exit(3);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn digests_match_the_standard_test_vectors() {
		assert_eq!(
			sha256sum(b""),
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -\n"
		);
		assert_eq!(
			sha256sum(b"abc"),
			"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -\n"
		);
		// 56 bytes: the padding spills into a second block.
		assert_eq!(
			sha256sum(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1  -\n"
		);
		assert_eq!(
			sha256sum(&vec![b'a'; 1_000_000]),
			"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0  -\n"
		);
	}

	#[test]
	fn a_chain_is_digests_of_digests() {
		assert_eq!(chain(b"abc", 1), sha256(b"abc"));
		assert_eq!(chain(b"abc", 3), sha256(&sha256(&sha256(b"abc"))));
		assert_eq!(sha256chain(b"abc").len(), 65);
	}
}
