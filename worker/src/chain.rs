//! The chain client: the node's WebSocket JSON-RPC, typed with the runtime's own types.
//!
//! Calls, events and storage values are encoded and decoded with `offload-runtime`'s code, so
//! this client cannot drift from the runtime it was built with; before each signature it reads
//! the node's runtime version (so a runtime upgrade's new spec version is followed), and it
//! refuses to sign for a runtime whose transaction version it does not know.
//! Everything here is a plain request: callers decide what to retry.

use anyhow::{anyhow, bail, Context, Result};
use codec::{Decode, Encode};
use jsonrpsee::{
	core::client::{ClientT, Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use offload_runtime::{
	AccountId, Balance, BlockNumber, Hash, Nonce, Runtime, RuntimeCall, RuntimeError, RuntimeEvent,
	SignedPayload, UncheckedExtrinsic, VERSION,
};
use serde_json::Value;
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use sp_runtime::{DispatchError, MultiAddress};
use std::time::{Duration, Instant};

/// How long a submitted extrinsic may take to be finalized before we stop waiting. On a relay
/// chain a parachain block is final once the relay block that included it is: measured on the
/// local relay network, 3–6 para blocks of 12 s behind the best block.
pub const FINALITY_TIMEOUT: Duration = Duration::from_secs(300);

/// A finalized block: its hash and number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
	/// Its hash.
	pub hash: Hash,
	/// Its number.
	pub number: BlockNumber,
}

/// An extrinsic in a finalized block, and what it did.
#[derive(Debug)]
pub struct Included {
	/// The block.
	pub block: Hash,
	/// The events the extrinsic emitted (in order), its fee event included.
	pub events: Vec<RuntimeEvent>,
}

/// Transaction fees (fee plus tip) `who` paid in `events`.
pub fn fees_paid(events: &[RuntimeEvent], who: &AccountId) -> Balance {
	events
		.iter()
		.filter_map(|event| match event {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid {
					who: payer,
					actual_fee,
					tip,
				},
			) if payer == who => Some(actual_fee.saturating_add(*tip)),
			_ => None,
		})
		.fold(0, Balance::saturating_add)
}

/// The runtime version a transaction is signed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigningContext {
	/// The chain's genesis hash.
	pub genesis: Hash,
	/// The runtime's spec version.
	pub spec_version: u32,
	/// The runtime's transaction version.
	pub tx_version: u32,
}

/// `call` signed by `signer` with `nonce` for `context`: immortal, no tip, no metadata hash.
pub fn signed(
	signer: &sr25519::Pair,
	call: RuntimeCall,
	nonce: Nonce,
	context: SigningContext,
) -> UncheckedExtrinsic {
	let extension = offload_runtime::tx_extension(nonce);
	let SigningContext { genesis, spec_version, tx_version } = context;
	let implicit = ((), (), spec_version, tx_version, genesis, genesis, (), (), (), None);
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	let account: AccountId = signer.public().into();
	UncheckedExtrinsic::new_signed(call, MultiAddress::Id(account), signature.into(), extension)
}

/// A connection to one node.
pub struct Chain {
	client: WsClient,
	genesis: Hash,
	url: String,
}

/// The storage key of a plain value or a map entry, built by the runtime's own storage types.
pub type StorageKey = Vec<u8>;

impl Chain {
	/// The chain's genesis hash.
	pub fn genesis(&self) -> [u8; 32] {
		self.genesis.into()
	}

	/// Connects to `url` (`ws://host:port`), reads the genesis hash and checks that the node's
	/// runtime is one this build can sign for.
	pub async fn connect(url: &str) -> Result<Self> {
		let client = WsClientBuilder::default()
			.request_timeout(Duration::from_secs(60))
			.max_response_size(64 * 1024 * 1024)
			.build(url)
			.await
			.with_context(|| format!("cannot connect to the node at {url}"))?;
		let genesis: String = client.request("chain_getBlockHash", rpc_params![0]).await?;
		let chain = Self { client, genesis: parse_hash(&genesis)?, url: url.into() };
		chain.signing_context().await?;
		Ok(chain)
	}

	/// What a transaction is signed for now: the runtime version of the best block, read
	/// afresh each time, so that signing follows a runtime upgrade. A runtime whose
	/// transactions this build cannot encode (another transaction version) is refused.
	pub async fn signing_context(&self) -> Result<SigningContext> {
		let version: Value = self.client.request("state_getRuntimeVersion", rpc_params![]).await?;
		let number = |field: &str| -> Result<u32> {
			version[field]
				.as_u64()
				.and_then(|n| u32::try_from(n).ok())
				.ok_or_else(|| anyhow!("the node's runtime version has no {field}"))
		};
		let (spec_version, tx_version) = (number("specVersion")?, number("transactionVersion")?);
		if version["specName"].as_str() != Some(&VERSION.spec_name[..])
			|| tx_version != VERSION.transaction_version
		{
			bail!(
				"the node at {} runs {} transaction version {tx_version}; this build speaks {} \
				 transaction version {}: update the worker",
				self.url,
				version["specName"],
				VERSION.spec_name,
				VERSION.transaction_version
			);
		}
		Ok(SigningContext { genesis: self.genesis, spec_version, tx_version })
	}

	/// Whether the connection is still up.
	pub fn is_connected(&self) -> bool {
		self.client.is_connected()
	}

	/// The latest finalized block.
	pub async fn finalized(&self) -> Result<Block> {
		let hash: String = self.client.request("chain_getFinalizedHead", rpc_params![]).await?;
		let hash = parse_hash(&hash)?;
		let header: Value = self.client.request("chain_getHeader", rpc_params![hash]).await?;
		Ok(Block { hash, number: header_number(&header)? })
	}

	/// The number of the best (not necessarily finalized) block.
	pub async fn best_number(&self) -> Result<BlockNumber> {
		let header: Value = self.client.request("chain_getHeader", rpc_params![]).await?;
		header_number(&header)
	}

	/// Finalized heads as the node finalizes them.
	pub async fn subscribe_finalized(&self) -> Result<Subscription<Value>> {
		Ok(self
			.client
			.subscribe(
				"chain_subscribeFinalizedHeads",
				rpc_params![],
				"chain_unsubscribeFinalizedHeads",
			)
			.await?)
	}

	/// The hash of block `number`.
	pub async fn block_hash(&self, number: BlockNumber) -> Result<Hash> {
		let hash: Option<String> =
			self.client.request("chain_getBlockHash", rpc_params![number]).await?;
		parse_hash(&hash.ok_or_else(|| anyhow!("no block {number}"))?)
	}

	/// A storage value at `at` (the best block if `None`), decoded.
	pub async fn storage<T: Decode>(&self, key: &[u8], at: Option<Hash>) -> Result<Option<T>> {
		let value: Option<String> = self
			.client
			.request("state_getStorage", rpc_params![sp_core::bytes::to_hex(key, false), at])
			.await?;
		value
			.map(|hex| {
				let bytes = sp_core::bytes::from_hex(&hex)?;
				T::decode(&mut &bytes[..]).context("a storage value does not decode")
			})
			.transpose()
	}

	/// Calls runtime API `method` (e.g. `ComputeApi_job`) with SCALE-encoded `args` at `at`.
	pub async fn runtime_call<R: Decode>(
		&self,
		method: &str,
		args: impl Encode,
		at: Option<Hash>,
	) -> Result<R> {
		let data = sp_core::bytes::to_hex(&args.encode(), false);
		let hex: String = self.client.request("state_call", rpc_params![method, data, at]).await?;
		let bytes = sp_core::bytes::from_hex(&hex)?;
		R::decode(&mut &bytes[..]).with_context(|| format!("{method}'s answer does not decode"))
	}

	/// Free balance of `who` at `at`.
	pub async fn free_balance(&self, who: &AccountId, at: Option<Hash>) -> Result<Balance> {
		let key = frame_system::Account::<Runtime>::hashed_key_for(who);
		Ok(self
			.storage::<frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>>>(
				&key, at,
			)
			.await?
			.map(|info| info.data.free)
			.unwrap_or_default())
	}

	/// The events of block `at`, with the index of the extrinsic that emitted each (`None`
	/// for the block's own initialization and finalization).
	pub async fn events(&self, at: Hash) -> Result<Vec<(Option<u32>, RuntimeEvent)>> {
		let records = self
			.storage::<Vec<frame_system::EventRecord<RuntimeEvent, Hash>>>(&events_key(), Some(at))
			.await?
			.unwrap_or_default();
		Ok(records
			.into_iter()
			.map(|record| {
				let index = match record.phase {
					frame_system::Phase::ApplyExtrinsic(index) => Some(index),
					_ => None,
				};
				(index, record.event)
			})
			.collect())
	}

	/// The nonce `who`'s next transaction must carry, counting the ones in the pool.
	pub async fn next_nonce(&self, who: &AccountId) -> Result<Nonce> {
		Ok(self.client.request("system_accountNextIndex", rpc_params![who.to_ss58check()]).await?)
	}

	/// Signs `call` as `signer` with `nonce` for the runtime the node runs now.
	pub async fn sign(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
		nonce: Nonce,
	) -> Result<UncheckedExtrinsic> {
		Ok(signed(signer, call, nonce, self.signing_context().await?))
	}

	/// Hands `extrinsic` to the node's pool; returns its hash. It may still be dropped.
	pub async fn submit(&self, extrinsic: &UncheckedExtrinsic) -> Result<Hash> {
		let hex = sp_core::bytes::to_hex(&extrinsic.encode(), false);
		let hash: String = self.client.request("author_submitExtrinsic", rpc_params![hex]).await?;
		parse_hash(&hash)
	}

	/// Submits `extrinsic`, waits until a block including it is finalized, and returns its
	/// events; an extrinsic that failed is an error naming the pallet's error.
	pub async fn submit_and_watch(&self, extrinsic: &UncheckedExtrinsic) -> Result<Included> {
		let encoded = extrinsic.encode();
		let hex = sp_core::bytes::to_hex(&encoded, false);
		let mut updates: Subscription<Value> = self
			.client
			.subscribe(
				"author_submitAndWatchExtrinsic",
				rpc_params![hex.clone()],
				"author_unwatchExtrinsic",
			)
			.await
			.context("the node refused the transaction")?;
		let deadline = Instant::now() + FINALITY_TIMEOUT;
		let block = loop {
			let remaining = deadline.saturating_duration_since(Instant::now());
			let update = tokio::time::timeout(remaining, updates.next())
				.await
				.map_err(|_| {
					anyhow!("the transaction was not finalized within {FINALITY_TIMEOUT:?}")
				})?
				.ok_or_else(|| anyhow!("the node closed the transaction's subscription"))??;
			if let Some(hash) = update.get("finalized").and_then(Value::as_str) {
				break parse_hash(hash)?;
			}
			for bad in ["invalid", "dropped", "usurped", "finalityTimeout"] {
				if update.get(bad).is_some() || update == Value::String(bad.into()) {
					bail!("the transaction was {bad}: {update}");
				}
			}
		};
		let body: Value = self.client.request("chain_getBlock", rpc_params![block]).await?;
		let ours = hex.to_lowercase();
		let index = body["block"]["extrinsics"]
			.as_array()
			.and_then(|all| {
				all.iter().position(|xt| xt.as_str().map(str::to_lowercase).as_ref() == Some(&ours))
			})
			.ok_or_else(|| {
				anyhow!("the finalized block {block:?} does not hold the transaction")
			})?;
		let events: Vec<RuntimeEvent> = self
			.events(block)
			.await?
			.into_iter()
			.filter(|(at, _)| *at == Some(index as u32))
			.map(|(_, event)| event)
			.collect();
		for event in &events {
			if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error,
				..
			}) = event
			{
				bail!("the transaction failed: {}", describe(dispatch_error));
			}
		}
		Ok(Included { block, events })
	}
}

/// The key of `System::Events` (the storage type itself is private to frame-system).
fn events_key() -> Vec<u8> {
	[sp_crypto_hashing::twox_128(b"System"), sp_crypto_hashing::twox_128(b"Events")].concat()
}

/// A dispatch error in words: the pallet and error name for a module error.
pub fn describe(error: &DispatchError) -> String {
	match RuntimeError::from_dispatch_error(*error) {
		Some(named) => format!("{named:?}"),
		None => format!("{error:?}"),
	}
}

/// Parses a `0x…` 32-byte hash.
pub fn parse_hash(hex: &str) -> Result<Hash> {
	let bytes = sp_core::bytes::from_hex(hex).with_context(|| format!("`{hex}` is not hex"))?;
	if bytes.len() != 32 {
		bail!("`{hex}` is not a 32-byte hash");
	}
	Ok(Hash::from_slice(&bytes))
}

/// The number of a header as JSON-RPC returns it (`"0x1a"`).
pub fn header_number(header: &Value) -> Result<BlockNumber> {
	let hex = header["number"].as_str().ok_or_else(|| anyhow!("a header has no number"))?;
	Ok(BlockNumber::from_str_radix(hex.trim_start_matches("0x"), 16)?)
}

/// An sr25519 key pair from a secret URI: a mnemonic, a `0x` seed, or a dev path such as
/// `//Alice`.
pub fn keypair(suri: &str) -> Result<sr25519::Pair> {
	sr25519::Pair::from_string(suri, None)
		.map_err(|error| anyhow!("the secret URI is not a valid sr25519 key: {error:?}"))
}

/// The account of a key pair.
pub fn account_of(pair: &sr25519::Pair) -> AccountId {
	pair.public().into()
}
