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
//! "OFLX" 0x02 | reply key (32) | key commitment (32) | ephemeral key (32)
//!             | n (1) | n × (recipient (32) | wrapped key (48)) | ciphertext (input length + 16)
//! ```
//!
//! The recipients are the providers the requester chose and the requester itself (its reply
//! key). A *grant* gives the content key to providers that were not recipients, a dispute's
//! drawn re-executors: `"OFLG" 0x01 | key commitment (32) | ephemeral key (32) | n (1) | n ×
//! (recipient | wrapped key)`, made by the requester, who unwraps the key with its own
//! secret ([`grant_input`]).
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
//! else's sealed input and read it from the run's fuel or exit status. The header commits to
//! the content key (blake2-256), and an opener checks the key it unwrapped against it: as
//! ChaCha20-Poly1305 does not commit to its key, a requester could otherwise make one
//! ciphertext open to two inputs, one for the provider and one for the re-executors it grants.
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
	workload: &crate::api::Workload,
) -> [u8; 32] {
	use crate::api::Workload;
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

/// The commitment to a content key that an envelope's header carries: ChaCha20-Poly1305 does
/// not commit to its key, so without it a requester could craft a ciphertext that opens to one
/// input under the key it gives the provider and to another under a key it grants a dispute's
/// re-executors, and have an honest provider judged on an input it never saw.
fn commitment_of(content_key: &[u8; 32]) -> [u8; 32] {
	let mut material = b"offload/content-key/v2".to_vec();
	material.extend(content_key);
	sp_crypto_hashing::blake2_256(&material)
}

/// `content_key` wrapped for each of `recipients` under a fresh ephemeral key, in `context`:
/// `ephemeral key (32) | n (1) | n × (recipient (32) | wrapped key (48))`.
fn wrap_key(
	content_key: &[u8; 32],
	recipients: &[[u8; 32]],
	context: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
	if recipients.len() > MAX_RECIPIENTS {
		return Err(EnvelopeError::TooManyRecipients);
	}
	let ephemeral = fresh_secret();
	let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
	let mut wraps = ephemeral_public.to_vec();
	wraps.push(recipients.len() as u8);
	for recipient in recipients {
		let shared = agree(&ephemeral, recipient)?;
		let wrapped = message_key(&shared, &ephemeral_public, recipient, context)
			.encrypt(Nonce::from_slice(&ZERO_NONCE), content_key.as_slice())
			.map_err(|_| EnvelopeError::Tampered)?;
		wraps.extend(recipient);
		wraps.extend(wrapped);
	}
	Ok(wraps)
}

/// A content key found for us (or why not), and the bytes after the wrapped keys.
type Unwrapped<'a> = (Result<[u8; 32], EnvelopeError>, &'a [u8]);

/// The content key wrapped in `wraps` (as [`wrap_key`] writes them) for our `secret`, and what
/// follows them; [`EnvelopeError::NotARecipient`] if none is for us.
fn unwrap_key<'a>(
	wraps: &'a [u8],
	secret: &StaticSecret,
	context: &[u8],
) -> Result<Unwrapped<'a>, EnvelopeError> {
	let ours = PublicKey::from(secret).to_bytes();
	let (ephemeral, rest) = split_key(wraps)?;
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
	let key = wrapped_for_us.ok_or(EnvelopeError::NotARecipient).and_then(|wrapped| {
		let shared = agree(secret, &ephemeral)?;
		let key = message_key(&shared, &ephemeral, &ours, context)
			.decrypt(Nonce::from_slice(&ZERO_NONCE), wrapped)
			.map_err(|_| EnvelopeError::Tampered)?;
		<[u8; 32]>::try_from(key).map_err(|_| EnvelopeError::Tampered)
	});
	Ok((key, rest))
}

const INPUT_KEY: &[u8] = b"offload/input-key/v2";
const GRANT_KEY: &[u8] = b"offload/grant-key/v1";
const GRANT_MAGIC: &[u8; 5] = b"OFLG\x01";

/// Seals `input` of the job of `binding` ([`binding_of`]) for `recipients` (their offers'
/// keys) and for the requester's `reply` key, which the output is sealed to and with which the
/// requester can later grant the input to a dispute's re-executors ([`grant_input`]).
pub fn seal_input(
	input: &[u8],
	recipients: &[[u8; 32]],
	reply: &[u8; 32],
	binding: &[u8; 32],
) -> Result<Vec<u8>, EnvelopeError> {
	if !is_usable_key(reply) {
		return Err(EnvelopeError::WeakKey);
	}
	let mut everyone = recipients.to_vec();
	if !everyone.contains(reply) {
		everyone.push(*reply);
	}
	let mut content_key = [0u8; 32];
	OsRng.fill_bytes(&mut content_key);
	let mut envelope = INPUT_MAGIC.to_vec();
	envelope.extend(reply);
	envelope.extend(commitment_of(&content_key));
	envelope.extend(wrap_key(&content_key, &everyone, INPUT_KEY)?);
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

/// An input envelope's parts.
struct Envelope<'a> {
	reply: [u8; 32],
	commitment: [u8; 32],
	/// The wrapped keys and the ciphertext.
	wraps: &'a [u8],
}

fn parse(envelope: &[u8]) -> Result<Envelope<'_>, EnvelopeError> {
	let rest = envelope.strip_prefix(INPUT_MAGIC.as_slice()).ok_or(EnvelopeError::Malformed)?;
	let (reply, rest) = split_key(rest)?;
	let (commitment, wraps) = split_key(rest)?;
	Ok(Envelope { reply, commitment, wraps })
}

/// Opens, with our `secret`, an input envelope of the job of `binding` ([`binding_of`]):
/// with a key wrapped for us in the envelope itself or, for a dispute's re-executor, in the
/// requester's `grant` ([`grant_input`]). Either way the key must be the one the envelope's
/// header commits to, so every opener reads the same input.
pub fn open_input(
	envelope: &[u8],
	secret: &StaticSecret,
	binding: &[u8; 32],
	grant: Option<&[u8]>,
) -> Result<OpenedInput, EnvelopeError> {
	let Envelope { reply, commitment, wraps } = parse(envelope)?;
	let (key, sealed) = unwrap_key(wraps, secret, INPUT_KEY)?;
	let header = &envelope[..envelope.len() - sealed.len()];
	let content_key = match (key, grant) {
		(Err(EnvelopeError::NotARecipient), Some(grant)) => {
			let rest =
				grant.strip_prefix(GRANT_MAGIC.as_slice()).ok_or(EnvelopeError::Malformed)?;
			let (granted_for, wraps) = split_key(rest)?;
			if granted_for != commitment {
				return Err(EnvelopeError::NotARecipient);
			}
			unwrap_key(wraps, secret, GRANT_KEY)?.0?
		},
		(key, _) => key?,
	};
	if commitment_of(&content_key) != commitment {
		return Err(EnvelopeError::Tampered);
	}
	// A result sealed to a low-order reply key could be opened by anyone.
	if !is_usable_key(&reply) {
		return Err(EnvelopeError::WeakKey);
	}
	let input = ChaCha20Poly1305::new(Key::from_slice(&content_key))
		.decrypt(
			Nonce::from_slice(&ZERO_NONCE),
			Payload { msg: sealed, aad: &aad(header, binding) },
		)
		.map_err(|_| EnvelopeError::Tampered)?;
	Ok(OpenedInput { input, reply })
}

/// The requester's grant of its sealed input `envelope` to a dispute's re-executors
/// (`recipients`, their offers' keys): the envelope's content key, taken with the requester's
/// `secret` and wrapped for them. It names the envelope's commitment, and opens nothing else.
pub fn grant_input(
	envelope: &[u8],
	secret: &StaticSecret,
	recipients: &[[u8; 32]],
) -> Result<Vec<u8>, EnvelopeError> {
	let Envelope { commitment, wraps, .. } = parse(envelope)?;
	let content_key = unwrap_key(wraps, secret, INPUT_KEY)?.0?;
	if commitment_of(&content_key) != commitment {
		return Err(EnvelopeError::Tampered);
	}
	let mut grant = GRANT_MAGIC.to_vec();
	grant.extend(commitment);
	grant.extend(wrap_key(&content_key, recipients, GRANT_KEY)?);
	Ok(grant)
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

const DATASET_MAGIC: &[u8; 5] = b"OFLD\x01";
const DATASET_GRANT_MAGIC: &[u8; 5] = b"OFLK\x01";
const DATASET_KEY: &[u8] = b"offload/dataset-key/v1";
const DATASET_GRANT_KEY: &[u8] = b"offload/dataset-grant/v1";
/// The header of a sealed dataset: magic, salt, key commitment.
const DATASET_HEADER: usize = 5 + 32 + 32;
/// What sealing adds to a dataset: its header and the cipher's tag.
pub const DATASET_OVERHEAD: usize = DATASET_HEADER + TAG;

/// The content key of the owner's sealed dataset with `salt`: derived from the owner's
/// secret, so the owner keeps nothing but its account's key.
fn dataset_key(owner: &StaticSecret, salt: &[u8; 32]) -> [u8; 32] {
	let mut key = [0u8; 32];
	// 32 bytes is always a valid HKDF-SHA256 output length.
	let _ = Hkdf::<Sha256>::new(Some(salt), owner.as_bytes()).expand(DATASET_KEY, &mut key);
	key
}

/// Seals `data` as a dataset of the owner of `secret`: `"OFLD" 0x01 | salt (32) | key
/// commitment (32) | ciphertext`. The key is derived from the owner's secret and the salt;
/// the ciphertext authenticates the header, and the commitment lets every provider check the
/// key it is granted is the one, so that all open the same bytes.
pub fn seal_dataset(data: &[u8], owner: &StaticSecret) -> Result<Vec<u8>, EnvelopeError> {
	let mut salt = [0u8; 32];
	OsRng.fill_bytes(&mut salt);
	let key = dataset_key(owner, &salt);
	let mut sealed = DATASET_MAGIC.to_vec();
	sealed.extend(salt);
	sealed.extend(commitment_of(&key));
	let ciphertext = ChaCha20Poly1305::new(Key::from_slice(&key))
		.encrypt(Nonce::from_slice(&ZERO_NONCE), Payload { msg: data, aad: &sealed })
		.map_err(|_| EnvelopeError::Tampered)?;
	sealed.extend(ciphertext);
	Ok(sealed)
}

/// A sealed dataset's header: its salt and key commitment.
fn dataset_header(sealed: &[u8]) -> Result<([u8; 32], [u8; 32]), EnvelopeError> {
	let rest = sealed.strip_prefix(DATASET_MAGIC.as_slice()).ok_or(EnvelopeError::Malformed)?;
	let (salt, rest) = split_key(rest)?;
	let (commitment, _) = split_key(rest)?;
	Ok((salt, commitment))
}

/// Whether `bytes` start as a sealed dataset does.
pub fn is_sealed_dataset(bytes: &[u8]) -> bool {
	dataset_header(bytes).is_ok()
}

/// The content key of a sealed dataset of the owner of `owner`, checked against its header:
/// for the owner's service, which grants it.
pub fn dataset_content_key(sealed: &[u8], owner: &StaticSecret) -> Result<[u8; 32], EnvelopeError> {
	let (salt, commitment) = dataset_header(sealed)?;
	let key = dataset_key(owner, &salt);
	if commitment_of(&key) != commitment {
		return Err(EnvelopeError::NotARecipient);
	}
	Ok(key)
}

/// The owner's grant of a dataset's content `key` to `recipients` (the providers assigned to
/// a job, their offers' keys): `"OFLK" 0x01 | key commitment (32) | wrapped keys`.
pub fn grant_dataset_key(
	key: &[u8; 32],
	recipients: &[[u8; 32]],
) -> Result<Vec<u8>, EnvelopeError> {
	let mut grant = DATASET_GRANT_MAGIC.to_vec();
	grant.extend(commitment_of(key));
	grant.extend(wrap_key(key, recipients, DATASET_GRANT_KEY)?);
	Ok(grant)
}

/// Opens a sealed dataset with the owner's `grant`, as one of its recipients (`secret`):
/// [`EnvelopeError::NotARecipient`] if the grant names no key of ours, or is of another key.
pub fn open_dataset(
	sealed: &[u8],
	grant: &[u8],
	secret: &StaticSecret,
) -> Result<Vec<u8>, EnvelopeError> {
	let (_, commitment) = dataset_header(sealed)?;
	let rest =
		grant.strip_prefix(DATASET_GRANT_MAGIC.as_slice()).ok_or(EnvelopeError::Malformed)?;
	let (granted_for, wraps) = split_key(rest)?;
	if granted_for != commitment {
		return Err(EnvelopeError::NotARecipient);
	}
	let key = unwrap_key(wraps, secret, DATASET_GRANT_KEY)?.0?;
	if commitment_of(&key) != commitment {
		return Err(EnvelopeError::Tampered);
	}
	let (header, ciphertext) = sealed.split_at(DATASET_HEADER);
	ChaCha20Poly1305::new(Key::from_slice(&key))
		.decrypt(Nonce::from_slice(&ZERO_NONCE), Payload { msg: ciphertext, aad: header })
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
			let opened = open_input(&envelope, &secret_of(provider), &JOB, None).unwrap();
			assert_eq!(
				opened,
				OpenedInput { input: b"secret input".to_vec(), reply: public_of(&alice) }
			);
		}
		assert_eq!(
			open_input(&envelope, &secret_of(&eve), &JOB, None),
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
		// be redirected), the key commitment, the ephemeral key, the wrapped key, the
		// ciphertext.
		for at in [6, 40, 75, 5 + 32 + 32 + 32 + 1 + 32 + 3, envelope.len() - 1] {
			let mut altered = envelope.clone();
			altered[at] ^= 1;
			assert_eq!(
				open_input(&altered, &secret_of(&bob), &JOB, None),
				Err(EnvelopeError::Tampered),
				"byte {at}"
			);
		}
		assert_eq!(
			open_input(b"OFLX\x02short", &secret_of(&bob), &JOB, None),
			Err(EnvelopeError::Malformed)
		);
		assert_eq!(
			open_input(b"plain input", &secret_of(&bob), &JOB, None),
			Err(EnvelopeError::Malformed)
		);
		// Version 1 envelopes were bound to nothing: they are no longer opened.
		let mut version_1 = envelope.clone();
		version_1[4] = 1;
		assert_eq!(
			open_input(&version_1, &secret_of(&bob), &JOB, None),
			Err(EnvelopeError::Malformed)
		);
	}

	/// Mallory copies Alice's sealed input into a job of her own, to run her own program on
	/// it and read the plaintext from its fuel or exit status: the recipient does not open it,
	/// nor a copy on another chain, nor one for another program of Alice's.
	#[test]
	fn a_sealed_input_copied_into_another_job_does_not_open() {
		use crate::api::{Input, Workload};
		let (alice, bob, mallory) = (pair(1), pair(2), pair(6));
		let wasm = |program: u8| Workload::Wasm {
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
		assert!(open_input(&envelope, &secret_of(&bob), &binding, None).is_ok());
		for elsewhere in [
			binding_of(&genesis, &mallory_id, &wasm(1)),
			binding_of(&genesis, &alice_id, &wasm(2)),
			binding_of(&[8u8; 32], &alice_id, &wasm(1)),
		] {
			assert_eq!(
				open_input(&envelope, &secret_of(&bob), &elsewhere, None),
				Err(EnvelopeError::Tampered)
			);
		}
	}

	/// A dispute's re-executors were not among the recipients: the requester grants them the
	/// envelope's key. The grant opens that envelope for them and nobody else, and a requester
	/// who grants another key (to have them judge the provider on another input) is caught by
	/// the envelope's commitment.
	#[test]
	fn a_grant_opens_the_same_input_for_re_executors_and_no_other() {
		let (alice, bob, carol, dave) = (pair(1), pair(2), pair(3), pair(4));
		let envelope =
			seal_input(b"secret input", &[public_of(&bob)], &public_of(&alice), &JOB).unwrap();
		// Carol cannot open it alone; the requester can (its reply key is a recipient).
		assert_eq!(
			open_input(&envelope, &secret_of(&carol), &JOB, None),
			Err(EnvelopeError::NotARecipient)
		);
		assert_eq!(
			open_input(&envelope, &secret_of(&alice), &JOB, None).unwrap().input,
			b"secret input"
		);
		// Only the requester can grant: a provider's secret does not find the key for it.
		let grant = grant_input(&envelope, &secret_of(&alice), &[public_of(&carol)]).unwrap();
		let opened = open_input(&envelope, &secret_of(&carol), &JOB, Some(&grant)).unwrap();
		assert_eq!(opened.input, b"secret input");
		assert_eq!(opened.reply, public_of(&alice));
		assert_eq!(
			open_input(&envelope, &secret_of(&dave), &JOB, Some(&grant)),
			Err(EnvelopeError::NotARecipient)
		);
		// The grant names its envelope: it opens no other of the requester's envelopes.
		let other =
			seal_input(b"other input", &[public_of(&bob)], &public_of(&alice), &JOB).unwrap();
		assert_eq!(
			open_input(&other, &secret_of(&carol), &JOB, Some(&grant)),
			Err(EnvelopeError::NotARecipient)
		);
		// A forged grant of another key, under the envelope's commitment: refused.
		let mut forged = GRANT_MAGIC.to_vec();
		forged.extend(parse(&envelope).unwrap().commitment);
		forged.extend(wrap_key(&[42u8; 32], &[public_of(&carol)], GRANT_KEY).unwrap());
		assert_eq!(
			open_input(&envelope, &secret_of(&carol), &JOB, Some(&forged)),
			Err(EnvelopeError::Tampered)
		);
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
		assert_eq!(open_input(&forged, &secret_of(&bob), &JOB, None), Err(EnvelopeError::WeakKey));
		// And one whose ephemeral key is of low order.
		let mut forged = honest;
		let at = INPUT_MAGIC.len() + 64;
		forged[at..at + 32].copy_from_slice(&low_order_points()[2]);
		assert_eq!(open_input(&forged, &secret_of(&bob), &JOB, None), Err(EnvelopeError::WeakKey));
	}
	#[test]
	fn a_sealed_dataset_opens_only_for_the_providers_its_owner_granted_it_to() {
		let (owner, bob, eve) = (pair(1), pair(2), pair(5));
		let sealed = seal_dataset(b"the owner's data", &secret_of(&owner)).unwrap();
		assert!(is_sealed_dataset(&sealed));
		assert!(!sealed.windows(5).any(|window| window == b"owner"), "no plaintext");
		let key = dataset_content_key(&sealed, &secret_of(&owner)).unwrap();
		// Someone else cannot derive the key from the file.
		assert_eq!(
			dataset_content_key(&sealed, &secret_of(&eve)),
			Err(EnvelopeError::NotARecipient)
		);
		let grant = grant_dataset_key(&key, &[public_of(&bob)]).unwrap();
		assert_eq!(open_dataset(&sealed, &grant, &secret_of(&bob)).unwrap(), b"the owner's data");
		// Eve was not granted it, and a grant of another dataset's key does not open it.
		assert_eq!(
			open_dataset(&sealed, &grant, &secret_of(&eve)),
			Err(EnvelopeError::NotARecipient)
		);
		let other = seal_dataset(b"other", &secret_of(&owner)).unwrap();
		let other_key = dataset_content_key(&other, &secret_of(&owner)).unwrap();
		let wrong = grant_dataset_key(&other_key, &[public_of(&bob)]).unwrap();
		assert_eq!(
			open_dataset(&sealed, &wrong, &secret_of(&bob)),
			Err(EnvelopeError::NotARecipient)
		);
		// An altered byte of the file does not open.
		let mut altered = sealed.clone();
		let last = altered.len() - 1;
		altered[last] ^= 1;
		assert_eq!(open_dataset(&altered, &grant, &secret_of(&bob)), Err(EnvelopeError::Tampered));
	}
}
