//! A job's input, had off the daemon's main loop: inline, or fetched from its URL and checked
//! against its hash, then opened if it is sealed. Fetches run a few at a time in tasks of
//! their own, so a slow or silent server (a tarpit) holds back no acknowledgement, commit or
//! heartbeat; and they reach public addresses only, unless the config allows private ones, so
//! a requester cannot make providers fetch from their own networks or cloud metadata.
//!
//! Whatever goes wrong here depends on this provider's host or network, not on the job: it is
//! an abstention ([`Failure::Input`], [`Failure::SealedToOthers`]), never a result.

use crate::api::Input;
use crate::{envelope, executor::Failure, http, store::Store};
use std::sync::Arc;
use tokio::sync::Semaphore;
use x25519_dalek::StaticSecret;

/// A dataset a job's input names, as the chain registers it.
#[derive(Clone, Debug)]
pub struct DatasetSource {
	/// Its id.
	pub id: u64,
	/// Where it is served.
	pub url: String,
	/// blake2-256 of the served bytes.
	pub hash: [u8; 32],
	/// Sealed: opened with its owner's grant of the key, if there is one for this job.
	pub sealed: Option<Option<Vec<u8>>>,
}

/// How many inputs are fetched at once.
pub const FETCHES_AT_ONCE: usize = 4;

/// Gets jobs' inputs.
pub struct Inputs {
	store: Arc<Store>,
	secret: StaticSecret,
	max_bytes: usize,
	reach: http::Reach,
	permits: Semaphore,
}

impl Inputs {
	/// Inputs of at most `max_bytes`, fetched from addresses `reach` allows, opened with
	/// `secret`; reply keys of sealed inputs are kept in `store`.
	pub fn new(
		store: Arc<Store>,
		secret: StaticSecret,
		max_bytes: usize,
		reach: http::Reach,
	) -> Self {
		Self { store, secret, max_bytes, reach, permits: Semaphore::new(FETCHES_AT_ONCE) }
	}

	/// Job `id`'s input, opened if it is sealed (`sealed` is then the job's binding, see
	/// [`envelope::binding_of`], and the requester's grant if it is a dispute's re-execution),
	/// followed by the `datasets` it names, each fetched, checked and, if sealed, opened with
	/// its owner's grant; the requester's reply key is kept so the result is served sealed to
	/// it. All of it together is at most the configured input size.
	pub async fn get(
		&self,
		id: u64,
		input: &Input,
		sealed: Option<([u8; 32], Option<Vec<u8>>)>,
		datasets: &[DatasetSource],
	) -> Result<Vec<u8>, Failure> {
		let bytes = self.bytes(input).await?;
		let mut bytes = match sealed {
			None => bytes,
			Some((binding, grant)) => {
				match envelope::open_input(&bytes, &self.secret, &binding, grant.as_deref()) {
					Ok(opened) => {
						self.store
							.set_reply_key(id, &opened.reply)
							.map_err(|error| Failure::HostLimit(format!("the store: {error:#}")))?;
						opened.input
					},
					Err(envelope::EnvelopeError::NotARecipient) => {
						return Err(Failure::SealedToOthers)
					},
					Err(error) => return Err(Failure::Input(error.to_string())),
				}
			},
		};
		for dataset in datasets {
			// Never more than what is left of the bound (and what sealing adds), so a job
			// naming several large datasets holds at most the bound in memory.
			let left = self.max_bytes.saturating_sub(bytes.len());
			let served = self
				.fetch(&dataset.url, &dataset.hash, left.saturating_add(envelope::DATASET_OVERHEAD))
				.await?;
			let data = match &dataset.sealed {
				None => served,
				// Not granted to this provider (yet): others may be, or the owner's service
				// is late; either way nothing this provider did.
				Some(None) => return Err(Failure::SealedToOthers),
				Some(Some(grant)) => match envelope::open_dataset(&served, grant, &self.secret) {
					Ok(data) => data,
					Err(envelope::EnvelopeError::NotARecipient) => {
						return Err(Failure::SealedToOthers)
					},
					Err(error) => {
						return Err(Failure::Input(format!("dataset {}: {error}", dataset.id)))
					},
				},
			};
			if bytes.len().saturating_add(data.len()) > self.max_bytes {
				return Err(Failure::HostLimit(format!(
					"the input with its datasets is over this provider's {} bytes",
					self.max_bytes
				)));
			}
			bytes.extend(data);
		}
		Ok(bytes)
	}

	/// The input's own bytes: inline (a dataset job's parameters), or fetched and checked
	/// against its hash.
	async fn bytes(&self, input: &Input) -> Result<Vec<u8>, Failure> {
		match input {
			Input::Inline(bytes) | Input::Datasets { params: bytes, .. } => Ok(bytes.to_vec()),
			Input::Url { url, hash } => {
				self.fetch(&String::from_utf8_lossy(url), hash, self.max_bytes).await
			},
		}
	}

	/// The bytes at `url`, at most `limit` of them, checked against `hash`.
	async fn fetch(&self, url: &str, hash: &[u8; 32], limit: usize) -> Result<Vec<u8>, Failure> {
		let _permit = self
			.permits
			.acquire()
			.await
			.map_err(|_| Failure::HostLimit("the daemon is stopping".into()))?;
		let bytes = http::fetch(url, limit, self.reach)
			.await
			.map_err(|error| Failure::Input(format!("fetching {url}: {error:#}")))?;
		if sp_crypto_hashing::blake2_256(&bytes) != *hash {
			return Err(Failure::Input(format!("the input at {url} does not match its hash")));
		}
		Ok(bytes)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::api;

	/// Serves `body` to every request on a local port; returns its URL.
	fn serve(body: Vec<u8>) -> String {
		use std::io::{Read, Write};
		let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
		let url = format!("http://{}/data", listener.local_addr().expect("address"));
		std::thread::spawn(move || {
			for mut stream in listener.incoming().flatten() {
				let mut request = Vec::new();
				let mut buffer = [0u8; 1024];
				while !request.windows(4).any(|window| window == b"\r\n\r\n") {
					match stream.read(&mut buffer) {
						Ok(0) | Err(_) => break,
						Ok(read) => request.extend_from_slice(&buffer[..read]),
					}
				}
				let head = format!(
					"HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
					body.len()
				);
				let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
			}
		});
		url
	}

	fn plain(id: u64, url: &str, data: &[u8]) -> DatasetSource {
		DatasetSource {
			id,
			url: url.to_string(),
			hash: sp_crypto_hashing::blake2_256(data),
			sealed: None,
		}
	}

	#[tokio::test]
	async fn a_jobs_datasets_follow_its_own_bytes_and_together_stay_within_the_bound() {
		let dir = std::env::temp_dir().join(format!("offload-inputs-{}", std::process::id()));
		let store = Arc::new(Store::open(&dir).expect("the store opens"));
		let inputs = Inputs::new(store, StaticSecret::from([3; 32]), 100, http::Reach::Any);
		let data = vec![7u8; 60];
		let url = serve(data.clone());
		let input = Input::Datasets {
			params: api::bounded(b"abc".to_vec()),
			ids: api::bounded(vec![0, 1]),
			max_royalties: 0,
		};
		let one = inputs.get(1, &input, None, &[plain(0, &url, &data)]).await.expect("fits");
		assert_eq!(one, [b"abc".as_slice(), &data].concat());
		// A requester naming datasets that add up to more than this provider takes: given
		// back (an abstention, never a failed run), whatever their count.
		let two = [plain(0, &url, &data), plain(1, &url, &data)];
		let over = inputs.get(2, &input, None, &two).await.expect_err("over the bound");
		assert!(over.is_abstention(), "{over:?}");
		// Bytes that are not the registered ones: given back too.
		let wrong = DatasetSource { hash: [0; 32], ..plain(0, &url, &data) };
		let differ = inputs.get(3, &input, None, &[wrong]).await.expect_err("hash differs");
		assert!(differ.is_abstention(), "{differ:?}");
		// A sealed dataset without its owner's grant for this provider: given back.
		let sealed = DatasetSource { sealed: Some(None), ..plain(0, &url, &data) };
		let ungranted = inputs.get(4, &input, None, &[sealed]).await.expect_err("no grant");
		assert_eq!(ungranted, Failure::SealedToOthers);
		let _ = std::fs::remove_dir_all(dir);
	}
}
