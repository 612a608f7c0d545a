//! Encrypted inputs and results.
//!
//! A job with `encrypted_input` carries its input (inline, or at its URL) as an *input
//! envelope*: the input encrypted once under a random content key, and that key wrapped for
//! each provider the requester chose, to the x25519 key the provider publishes in its offer.
//! The envelope also names the requester's own x25519 key, the *reply key*: the worker
//! encrypts the job's output to it when serving the result, so only the requester reads it.
//! The chain sees only ciphertext; the result hash on chain is of the plaintext output, so
//! replicas still agree and the requester checks what it decrypts.
//!
//! Input envelope, version 2:
//!
//! ```text
//! "OFLX" 0x02 | reply key (32) | ephemeral key (32) | n (1) | n × (recipient (32) | wrapped key (48))
//!             | ciphertext of the input (input length + 16)
//! ```
//!
//! Result envelope, version 1: `"OFLR" 0x01 | ephemeral key (32) | ciphertext (length + 16)`.
//!
//! Each wrapping key is HKDF-SHA256 over the x25519 shared secret of a fresh ephemeral key and
//! the recipient, salted with both public keys; ciphers are ChaCha20-Poly1305. Every key is
//! used for one message only, so the nonce is zero. The input's ciphertext authenticates the
//! envelope's header as associated data, so no recipient list or reply key can be swapped in,
//! and the job's *binding* ([`binding_of`]: the chain's genesis hash, the requester and the
//! workload), so an envelope copied into another job, by another requester, for another
//! program or on another chain, does not open: nobody can run their own program on someone
//! else's sealed input and read it from the run's fuel or exit status.
//!
//! Keys: a provider's and a requester's x25519 secrets are derived from their sr25519 secrets
//! ([`secret_of`]), so nothing more needs keeping.

use chacha20poly1305::{
	aead::{rand_core::RngCore, Aead, KeyInit, OsRng, Payload},
	ChaCha20Poly1305, Key, Nonce,
};
use codec::Encode;
use hkdf::Hkdf;
use sha2::Sha256;
use sp_core::{sr25519, Pair};
use x25519_dalek::{PublicKey, StaticSecret};

const INPUT_MAGIC: &[u8; 5] = b"OFLX\x02";
const RESULT_MAGIC: &[u8; 5] = b"OFLR\x01";
const TAG: usize = 16;
const WRAPPED: usize = 32 + TAG;
/// Most providers one input envelope is wrapped for.
pub const MAX_RECIPIENTS: usize = 255;

/// What can go wrong opening an envelope.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
	/// The bytes are not an envelope of this version.
	#[error("not an Offload envelope (version 2)")]
	Malformed,
	/// The envelope names no key of ours.
	#[error("the input was not encrypted to this worker's key")]
	NotARecipient,
	/// Authentication failed: altered bytes, or the wrong key.
	#[error("the envelope does not decrypt: altered, or not for this key")]
	Tampered,
	/// Too many recipients for one envelope.
	#[error("at most {MAX_RECIPIENTS} recipients")]
	TooManyRecipients,
	/// A key of low order: whatever is sealed with it, anyone can open.
	#[error("a key of low order, with which anyone could open what it seals")]
	WeakKey,
}

/// What a sealed input is bound to: the chain (`genesis`), the `requester` and what runs on it
/// (the program, its entry point and limits, or the image, its command and time). A dispute's
/// re-execution keeps all three, so its re-executors open the same envelope.
pub fn binding_of(
	genesis: &[u8; 32],
	requester: &[u8; 32],
	workload: &pallet_offload_market::Workload<offload_runtime::Runtime>,
) -> [u8; 32] {
	use pallet_offload_market::Workload;
	let what = match workload {
		Workload::Wasm { program, entry, fuel_limit, memory_limit_mib, .. } => {
			(0u8, program, entry.to_vec(), fuel_limit, memory_limit_mib).encode()
		},
		Workload::Container { image_digest, command, max_seconds, .. } => {
			(1u8, image_digest, command.to_vec(), max_seconds).encode()
		},
	};
	sp_crypto_hashing::blake2_256(&(b"offload/input-binding/v2", genesis, requester, what).encode())
}

/// Whether `key` is an x25519 public key a shared secret can be agreed with: not one of the
/// low-order points, with which every secret agrees on the same (all-zero) value.
pub fn is_usable_key(key: &[u8; 32]) -> bool {
	// Any secret will do: a low-order point gives the all-zero output for every one.
	StaticSecret::from([7u8; 32]).diffie_hellman(&PublicKey::from(*key)).was_contributory()
}

/// The secret `ours` agrees with `theirs`, refused if `theirs` is of low order.
fn agree(ours: &StaticSecret, theirs: &[u8; 32]) -> Result<[u8; 32], EnvelopeError> {
	let shared = ours.diffie_hellman(&PublicKey::from(*theirs));
	if !shared.was_contributory() {
		return Err(EnvelopeError::WeakKey);
	}
	Ok(shared.to_bytes())
}

/// The x25519 secret of the holder of `pair`.
pub fn secret_of(pair: &sr25519::Pair) -> StaticSecret {
	let mut material = b"offload/x25519".to_vec();
	material.extend(pair.to_raw_vec());
	StaticSecret::from(sp_crypto_hashing::blake2_256(&material))
}

/// The x25519 public key of the holder of `pair`, as offers publish it.
pub fn public_of(pair: &sr25519::Pair) -> [u8; 32] {
	PublicKey::from(&secret_of(pair)).to_bytes()
}

fn fresh_secret() -> StaticSecret {
	let mut bytes = [0u8; 32];
	OsRng.fill_bytes(&mut bytes);
	StaticSecret::from(bytes)
}

/// The one-message key for `ephemeral` → `recipient` in `context`.
fn message_key(
	shared: &[u8; 32],
	ephemeral: &[u8; 32],
	recipient: &[u8; 32],
	context: &[u8],
) -> ChaCha20Poly1305 {
	let mut salt = [0u8; 64];
	salt[..32].copy_from_slice(ephemeral);
	salt[32..].copy_from_slice(recipient);
	let mut key = [0u8; 32];
	// 32 bytes is always a valid HKDF-SHA256 output length.
	let _ = Hkdf::<Sha256>::new(Some(&salt), shared).expand(context, &mut key);
	ChaCha20Poly1305::new(Key::from_slice(&key))
}

const ZERO_NONCE: [u8; 12] = [0; 12];

/// Seals `input` of the job of `binding` ([`binding_of`]) for `recipients` (their offers'
/// keys), answering to `reply`.
pub fn seal_input(
	input: &[u8],
	recipients: &[[u8; 32]],
	reply: &[u8; 32],
	binding: &[u8; 32],
) -> Result<Vec<u8>, EnvelopeError> {
	if recipients.len() > MAX_RECIPIENTS {
		return Err(EnvelopeError::TooManyRecipients);
	}
	if !is_usable_key(reply) {
		return Err(EnvelopeError::WeakKey);
	}
	let ephemeral = fresh_secret();
	let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
	let mut content_key = [0u8; 32];
	OsRng.fill_bytes(&mut content_key);
	let mut envelope = INPUT_MAGIC.to_vec();
	envelope.extend(reply);
	envelope.extend(ephemeral_public);
	envelope.push(recipients.len() as u8);
	for recipient in recipients {
		let shared = agree(&ephemeral, recipient)?;
		let wrapped = message_key(&shared, &ephemeral_public, recipient, b"offload/input-key/v1")
			.encrypt(Nonce::from_slice(&ZERO_NONCE), content_key.as_slice())
			.map_err(|_| EnvelopeError::Tampered)?;
		envelope.extend(recipient);
		envelope.extend(wrapped);
	}
	let sealed = ChaCha20Poly1305::new(Key::from_slice(&content_key))
		.encrypt(
			Nonce::from_slice(&ZERO_NONCE),
			Payload { msg: input, aad: &aad(&envelope, binding) },
		)
		.map_err(|_| EnvelopeError::Tampered)?;
	envelope.extend(sealed);
	Ok(envelope)
}

/// An opened input envelope.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenedInput {
	/// The input.
	pub input: Vec<u8>,
	/// The requester's key, to encrypt the result to.
	pub reply: [u8; 32],
}

/// The associated data of an input's ciphertext: the envelope's header and the job's binding.
fn aad(header: &[u8], binding: &[u8; 32]) -> Vec<u8> {
	let mut aad = header.to_vec();
	aad.extend(binding);
	aad
}

/// Opens, with our `secret`, an input envelope of the job of `binding` ([`binding_of`]).
pub fn open_input(
	envelope: &[u8],
	secret: &StaticSecret,
	binding: &[u8; 32],
) -> Result<OpenedInput, EnvelopeError> {
	let ours = PublicKey::from(secret).to_bytes();
	let rest = envelope.strip_prefix(INPUT_MAGIC.as_slice()).ok_or(EnvelopeError::Malformed)?;
	let (reply, rest) = split_key(rest)?;
	let (ephemeral, rest) = split_key(rest)?;
	let (&count, mut rest) = rest.split_first().ok_or(EnvelopeError::Malformed)?;
	let mut wrapped_for_us = None;
	for _ in 0..count {
		let (recipient, after) = split_key(rest)?;
		let wrapped = after.get(..WRAPPED).ok_or(EnvelopeError::Malformed)?;
		if recipient == ours {
			wrapped_for_us = Some(wrapped);
		}
		rest = &after[WRAPPED..];
	}
	let header = &envelope[..envelope.len() - rest.len()];
	let wrapped = wrapped_for_us.ok_or(EnvelopeError::NotARecipient)?;
	// A result sealed to a low-order reply key could be opened by anyone.
	if !is_usable_key(&reply) {
		return Err(EnvelopeError::WeakKey);
	}
	let shared = agree(secret, &ephemeral)?;
	let content_key = message_key(&shared, &ephemeral, &ours, b"offload/input-key/v1")
		.decrypt(Nonce::from_slice(&ZERO_NONCE), wrapped)
		.map_err(|_| EnvelopeError::Tampered)?;
	let input = ChaCha20Poly1305::new_from_slice(&content_key)
		.map_err(|_| EnvelopeError::Tampered)?
		.decrypt(Nonce::from_slice(&ZERO_NONCE), Payload { msg: rest, aad: &aad(header, binding) })
		.map_err(|_| EnvelopeError::Tampered)?;
	Ok(OpenedInput { input, reply })
}

/// Seals a job's output for the requester's `reply` key; refused for a key of low order.
pub fn seal_result(output: &[u8], reply: &[u8; 32]) -> Result<Vec<u8>, EnvelopeError> {
	let ephemeral = fresh_secret();
	let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
	let shared = agree(&ephemeral, reply)?;
	let mut envelope = RESULT_MAGIC.to_vec();
	envelope.extend(ephemeral_public);
	envelope.extend(
		message_key(&shared, &ephemeral_public, reply, b"offload/result/v1")
			.encrypt(Nonce::from_slice(&ZERO_NONCE), output)
			.map_err(|_| EnvelopeError::Tampered)?,
	);
	Ok(envelope)
}

/// Opens a result envelope with the requester's `secret`.
pub fn open_result(envelope: &[u8], secret: &StaticSecret) -> Result<Vec<u8>, EnvelopeError> {
	let rest = envelope.strip_prefix(RESULT_MAGIC.as_slice()).ok_or(EnvelopeError::Malformed)?;
	let (ephemeral, sealed) = split_key(rest)?;
	let ours = PublicKey::from(secret).to_bytes();
	let shared = agree(secret, &ephemeral)?;
	message_key(&shared, &ephemeral, &ours, b"offload/result/v1")
		.decrypt(Nonce::from_slice(&ZERO_NONCE), sealed)
		.map_err(|_| EnvelopeError::Tampered)
}

fn split_key(bytes: &[u8]) -> Result<([u8; 32], &[u8]), EnvelopeError> {
	let key = bytes.get(..32).ok_or(EnvelopeError::Malformed)?;
	let mut out = [0u8; 32];
	out.copy_from_slice(key);
	Ok((out, &bytes[32..]))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn pair(seed: u8) -> sr25519::Pair {
		sr25519::Pair::from_seed(&[seed; 32])
	}

	/// The binding of the tests' job.
	const JOB: [u8; 32] = [9; 32];

	#[test]
	fn each_recipient_opens_the_input_and_nobody_else() {
		let (bob, charlie, eve, alice) = (pair(2), pair(3), pair(5), pair(1));
		let recipients = [public_of(&bob), public_of(&charlie)];
		let envelope = seal_input(b"secret input", &recipients, &public_of(&alice), &JOB).unwrap();
		assert!(!envelope.windows(6).any(|window| window == b"secret"), "no plaintext");
		for provider in [&bob, &charlie] {
			let opened = open_input(&envelope, &secret_of(provider), &JOB).unwrap();
			assert_eq!(
				opened,
				OpenedInput { input: b"secret input".to_vec(), reply: public_of(&alice) }
			);
		}
		assert_eq!(
			open_input(&envelope, &secret_of(&eve), &JOB),
			Err(EnvelopeError::NotARecipient)
		);
		// Two sealings of the same input differ: fresh keys each time.
		assert_ne!(
			seal_input(b"secret input", &recipients, &public_of(&alice), &JOB).unwrap(),
			envelope
		);
	}

	#[test]
	fn an_altered_envelope_does_not_open() {
		let (bob, alice) = (pair(2), pair(1));
		let envelope =
			seal_input(b"secret input", &[public_of(&bob)], &public_of(&alice), &JOB).unwrap();
		// Each byte of the header and the body is covered: the reply key (so a result cannot
		// be redirected), the wrapped key, the ciphertext.
		for at in [6, 40, 5 + 32 + 32 + 1 + 32 + 3, envelope.len() - 1] {
			let mut altered = envelope.clone();
			altered[at] ^= 1;
			assert_eq!(
				open_input(&altered, &secret_of(&bob), &JOB),
				Err(EnvelopeError::Tampered),
				"byte {at}"
			);
		}
		assert_eq!(
			open_input(b"OFLX\x02short", &secret_of(&bob), &JOB),
			Err(EnvelopeError::Malformed)
		);
		assert_eq!(
			open_input(b"plain input", &secret_of(&bob), &JOB),
			Err(EnvelopeError::Malformed)
		);
		// Version 1 envelopes were bound to nothing: they are no longer opened.
		let mut version_1 = envelope.clone();
		version_1[4] = 1;
		assert_eq!(open_input(&version_1, &secret_of(&bob), &JOB), Err(EnvelopeError::Malformed));
	}

	/// Mallory copies Alice's sealed input into a job of her own, to run her own program on
	/// it and read the plaintext from its fuel or exit status: the recipient does not open it,
	/// nor a copy on another chain, nor one for another program of Alice's.
	#[test]
	fn a_sealed_input_copied_into_another_job_does_not_open() {
		use pallet_offload_market::{Input, Workload};
		let (alice, bob, mallory) = (pair(1), pair(2), pair(6));
		let wasm = |program: u8| Workload::<offload_runtime::Runtime>::Wasm {
			program: [program; 32],
			entry: b"_start".to_vec().try_into().unwrap(),
			input: Input::Inline(Default::default()),
			fuel_limit: 1_000,
			memory_limit_mib: 16,
		};
		let genesis = [7u8; 32];
		let (alice_id, mallory_id) = (alice.public().0, mallory.public().0);
		let binding = binding_of(&genesis, &alice_id, &wasm(1));
		// The input itself is not part of the binding: it is where the envelope goes.
		let other_input = match wasm(1) {
			Workload::Wasm { program, entry, fuel_limit, memory_limit_mib, .. } => Workload::Wasm {
				program,
				entry,
				input: Input::Inline(b"anything".to_vec().try_into().unwrap()),
				fuel_limit,
				memory_limit_mib,
			},
			other => other,
		};
		assert_eq!(binding_of(&genesis, &alice_id, &other_input), binding);
		let envelope =
			seal_input(b"secret input", &[public_of(&bob)], &public_of(&alice), &binding).unwrap();
		assert!(open_input(&envelope, &secret_of(&bob), &binding).is_ok());
		for elsewhere in [
			binding_of(&genesis, &mallory_id, &wasm(1)),
			binding_of(&genesis, &alice_id, &wasm(2)),
			binding_of(&[8u8; 32], &alice_id, &wasm(1)),
		] {
			assert_eq!(
				open_input(&envelope, &secret_of(&bob), &elsewhere),
				Err(EnvelopeError::Tampered)
			);
		}
	}

	#[test]
	fn only_the_requester_opens_the_result() {
		let (alice, eve) = (pair(1), pair(5));
		let sealed = seal_result(b"the output", &public_of(&alice)).expect("sealed");
		assert_eq!(open_result(&sealed, &secret_of(&alice)), Ok(b"the output".to_vec()));
		assert_eq!(open_result(&sealed, &secret_of(&eve)), Err(EnvelopeError::Tampered));
		assert_eq!(open_result(b"the output", &secret_of(&alice)), Err(EnvelopeError::Malformed));
	}

	/// x25519 points of low order (from the list libsodium refuses): with one of them, every
	/// secret agrees on the same all-zero value, so anyone could open what it seals.
	fn low_order_points() -> Vec<[u8; 32]> {
		let order_8: [u8; 32] = [
			0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
			0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
			0x5f, 0x49, 0xb8, 0x00,
		];
		let mut one = [0u8; 32];
		one[0] = 1;
		vec![[0u8; 32], one, order_8]
	}

	/// The registry's list of low-order keys (which it refuses in offers) is the one x25519
	/// itself agrees on: each listed point, top bit set or not, yields no contributory secret,
	/// and an ordinary key is not listed.
	#[test]
	fn the_registrys_low_order_keys_are_those_x25519_refuses() {
		for point in offload_primitives::LOW_ORDER_X25519 {
			for top in [0u8, 0x80] {
				let mut key = point;
				key[31] |= top;
				assert!(!is_usable_key(&key), "{key:02x?}");
				assert!(offload_primitives::is_low_order_x25519(&key));
			}
		}
		for seed in 1..=20u8 {
			let key = public_of(&pair(seed));
			assert!(is_usable_key(&key));
			assert!(!offload_primitives::is_low_order_x25519(&key));
		}
	}

	/// A provider that publishes a low-order key, or a requester that puts one in its envelope
	/// as the reply key, would make a sealed input or output readable by everyone: sealing to
	/// one is refused, and so is opening an envelope that names one.
	#[test]
	fn keys_of_low_order_are_refused_on_both_sides() {
		let (alice, bob) = (pair(1), pair(2));
		assert!(is_usable_key(&public_of(&alice)));
		for weak in low_order_points() {
			assert!(!is_usable_key(&weak));
			assert_eq!(
				seal_input(b"secret", &[public_of(&bob), weak], &public_of(&alice), &JOB),
				Err(EnvelopeError::WeakKey)
			);
			assert_eq!(
				seal_input(b"secret", &[public_of(&bob)], &weak, &JOB),
				Err(EnvelopeError::WeakKey)
			);
			assert_eq!(seal_result(b"the output", &weak), Err(EnvelopeError::WeakKey));
		}
		// An envelope built by hand with a low-order reply key: the worker does not open it,
		// so it never seals a result to that key.
		let honest =
			seal_input(b"secret", &[public_of(&bob)], &public_of(&alice), &JOB).expect("ok");
		let mut forged = honest.clone();
		forged[INPUT_MAGIC.len()..INPUT_MAGIC.len() + 32].copy_from_slice(&[0u8; 32]);
		assert_eq!(open_input(&forged, &secret_of(&bob), &JOB), Err(EnvelopeError::WeakKey));
		// And one whose ephemeral key is of low order.
		let mut forged = honest;
		let at = INPUT_MAGIC.len() + 32;
		forged[at..at + 32].copy_from_slice(&low_order_points()[2]);
		assert_eq!(open_input(&forged, &secret_of(&bob), &JOB), Err(EnvelopeError::WeakKey));
	}
}
