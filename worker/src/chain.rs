//! The chain client: the node's WebSocket JSON-RPC, with subxt encoding and decoding.
//!
//! This client does not link the runtime. Calls, storage values, runtime API answers and
//! events are encoded and decoded by subxt against the metadata of the runtime the node runs
//! at the block in question (read from the node and cached per spec version), through the
//! interface generated from the committed metadata ([`crate::api`]). So a runtime upgrade is
//! followed: signing uses the spec and transaction versions of the best block, a field added
//! to a stored type or an unknown event variant is skipped, and a call or storage entry whose
//! shape changed is refused with an error before anything is sent. Constants are read from the
//! chain. Everything here is a plain request: callers decide what to retry.

use crate::api::{self, Event, SystemEvent};
use anyhow::{anyhow, bail, Context, Result};
use jsonrpsee::{
	core::client::{ClientT, Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value;
use sp_core::{sr25519, Pair};
use std::{
	sync::Arc,
	time::{Duration, Instant},
};
use subxt::{
	backend::LegacyBackend,
	client::{ClientAtBlock, OnlineClientAtBlockImpl},
	config::DefaultExtrinsicParamsBuilder,
	events::Phase,
	ext::scale_decode::DecodeAsType,
	runtime_apis::{Payload as RuntimeApiPayload, StaticPayload},
	storage::{Address, StaticAddress},
	utils::MultiSignature,
	OnlineClient, SubstrateConfig,
};

pub use subxt::utils::{AccountId32 as AccountId, H256 as Hash};

/// Balances, in the chain's smallest unit.
pub type Balance = u128;
/// Block numbers.
pub type BlockNumber = u32;
/// Account nonces.
pub type Nonce = u32;

/// The chain's configuration as subxt sees it: Substrate's defaults (32-byte accounts,
/// multi-signatures and addresses, BLAKE2 hashes) fit Offload's runtime.
pub type ChainConfig = SubstrateConfig;

/// The client working at one block, with that block's runtime metadata.
pub type AtBlock = ClientAtBlock<ChainConfig, OnlineClientAtBlockImpl<ChainConfig>>;

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
	/// The events the extrinsic emitted (in order), its fee event included; events this build
	/// does not know are left out.
	pub events: Vec<Event>,
}

/// Transaction fees (fee plus tip) `who` paid in `events`.
pub fn fees_paid(events: &[Event], who: &AccountId) -> Balance {
	use api::runtime::runtime_types::pallet_transaction_payment::pallet::Event as Payment;
	events
		.iter()
		.filter_map(|event| match event {
			Event::TransactionPayment(Payment::TransactionFeePaid {
				who: payer,
				actual_fee,
				tip,
			}) if payer == who => Some(actual_fee.saturating_add(*tip)),
			_ => None,
		})
		.fold(0, Balance::saturating_add)
}

/// An sr25519 key pair signing for subxt.
struct Signer<'a>(&'a sr25519::Pair);

impl subxt::tx::Signer<ChainConfig> for Signer<'_> {
	fn account_id(&self) -> AccountId {
		account_of(self.0)
	}

	fn sign(&self, payload: &[u8]) -> MultiSignature {
		MultiSignature::Sr25519(self.0.sign(payload).0)
	}
}

/// A connection to one node.
pub struct Chain {
	rpc: Arc<WsClient>,
	client: OnlineClient<ChainConfig>,
	url: String,
	/// The client at the block last read: the daemon reads one block several times a tick.
	last: std::sync::Mutex<Option<(Hash, AtBlock)>>,
}

impl Chain {
	/// The chain's genesis hash.
	pub fn genesis(&self) -> [u8; 32] {
		self.client.genesis_hash().0
	}

	/// Connects to `url` (`ws://host:port`) and reads the genesis hash and the finalized
	/// block's runtime metadata.
	pub async fn connect(url: &str) -> Result<Self> {
		let rpc = Arc::new(
			WsClientBuilder::default()
				.request_timeout(Duration::from_secs(60))
				.max_response_size(64 * 1024 * 1024)
				.build(url)
				.await
				.with_context(|| format!("cannot connect to the node at {url}"))?,
		);
		// The legacy backend reads any block by hash with plain `state_*` calls, as the
		// worker needs for the finalized heads it follows; chainHead would pin blocks.
		let backend =
			LegacyBackend::<ChainConfig>::builder().build(subxt::rpcs::RpcClient::new(rpc.clone()));
		let client = OnlineClient::from_backend(Arc::new(backend))
			.await
			.with_context(|| format!("cannot read the chain at {url}"))?;
		let chain = Self { rpc, client, url: url.into(), last: Default::default() };
		chain.at(None).await?;
		Ok(chain)
	}

	/// The client at block `at`, or at the latest finalized block if `None`: its runtime's
	/// metadata (read once per spec version) decodes what is read there.
	pub async fn at(&self, at: Option<Hash>) -> Result<AtBlock> {
		let hash = match at {
			Some(hash) => hash,
			None => self.finalized().await?.hash,
		};
		let cached = self.last.lock().ok().and_then(|last| {
			last.as_ref().filter(|(last, _)| *last == hash).map(|(_, client)| client.clone())
		});
		if let Some(client) = cached {
			return Ok(client);
		}
		let client = self
			.client
			.at_block(hash)
			.await
			.with_context(|| format!("cannot read the chain's state at {}", self.url))?;
		if let Ok(mut last) = self.last.lock() {
			*last = Some((hash, client.clone()));
		}
		Ok(client)
	}

	/// Whether the connection is still up.
	pub fn is_connected(&self) -> bool {
		self.rpc.is_connected()
	}

	/// The latest finalized block.
	pub async fn finalized(&self) -> Result<Block> {
		let hash: String = self.rpc.request("chain_getFinalizedHead", rpc_params![]).await?;
		let hash = parse_hash(&hash)?;
		let header: Value = self.rpc.request("chain_getHeader", rpc_params![hash]).await?;
		Ok(Block { hash, number: header_number(&header)? })
	}

	/// The best (not necessarily finalized) block.
	pub async fn best(&self) -> Result<Block> {
		let hash: String = self.rpc.request("chain_getBlockHash", rpc_params![]).await?;
		let hash = parse_hash(&hash)?;
		let header: Value = self.rpc.request("chain_getHeader", rpc_params![hash]).await?;
		Ok(Block { hash, number: header_number(&header)? })
	}

	/// The number of the best (not necessarily finalized) block.
	pub async fn best_number(&self) -> Result<BlockNumber> {
		let header: Value = self.rpc.request("chain_getHeader", rpc_params![]).await?;
		header_number(&header)
	}

	/// Finalized heads as the node finalizes them.
	pub async fn subscribe_finalized(&self) -> Result<Subscription<Value>> {
		Ok(self
			.rpc
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
			self.rpc.request("chain_getBlockHash", rpc_params![number]).await?;
		parse_hash(&hash.ok_or_else(|| anyhow!("no block {number}"))?)
	}

	/// The value of storage entry `address` at `keys`, at `at` (the latest finalized block if
	/// `None`), decoded against that block's metadata; `None` if there is none.
	///
	/// The entry's shape is not checked against the one this build knows: its value decodes
	/// field by field, by name, so a field a later runtime adds to a stored type is skipped,
	/// and a change this build cannot read (a field gone or of another type) is an error.
	pub async fn storage<Keys, Value, IsPlain>(
		&self,
		address: StaticAddress<Keys, Value, IsPlain>,
		keys: Keys,
		at: Option<Hash>,
	) -> Result<Option<Value>>
	where
		StaticAddress<Keys, Value, IsPlain>: Address<KeyParts = Keys, Value = Value>,
		Value: DecodeAsType,
	{
		let at = self.at(at).await?;
		let value = at.storage().try_fetch(address.unvalidated(), keys).await?;
		value
			.map(|value| value.decode_as::<Value>())
			.transpose()
			.context("a storage value does not decode")
	}

	/// Calls a runtime API at `at` (the latest finalized block if `None`). Like
	/// [`Chain::storage`], its answer decodes by name, whatever fields a later runtime adds.
	pub async fn runtime_call<Args, Answer>(
		&self,
		payload: StaticPayload<Args, Answer>,
		at: Option<Hash>,
	) -> Result<Answer>
	where
		StaticPayload<Args, Answer>: RuntimeApiPayload<ReturnType = Answer>,
	{
		let at = self.at(at).await?;
		let payload = payload.unvalidated();
		let name = at.runtime_apis().encode_name(&payload);
		at.runtime_apis()
			.call(payload)
			.await
			.with_context(|| format!("calling the runtime API {name}"))
	}

	/// A constant of the runtime at the latest finalized block.
	pub async fn constant<Addr: subxt::constants::Address>(
		&self,
		address: Addr,
	) -> Result<Addr::Target> {
		Ok(self.at(None).await?.constants().entry(address)?)
	}

	/// Free balance of `who` at `at`.
	pub async fn free_balance(&self, who: &AccountId, at: Option<Hash>) -> Result<Balance> {
		let account = api::storage().system().account();
		Ok(self
			.storage(account, (who.clone(),), at)
			.await?
			.map(|info| info.data.free)
			.unwrap_or_default())
	}

	/// The events of block `at`, with the index of the extrinsic that emitted each (`None`
	/// for the block's own initialization and finalization). An event this build does not
	/// know (a variant a later runtime added) is left out; the others decode whatever it is.
	pub async fn events(&self, at: Hash) -> Result<Vec<(Option<u32>, Event)>> {
		let at = self.at(Some(at)).await?;
		let events = at.events().fetch().await?;
		let mut decoded = Vec::new();
		for event in events.iter() {
			let event = event?;
			let index = match event.phase() {
				Phase::ApplyExtrinsic(index) => Some(index),
				_ => None,
			};
			match event.decode_as::<Event>() {
				Ok(known) => decoded.push((index, known)),
				Err(error) => tracing::debug!(
					"skipping event {}.{}: {error}",
					event.pallet_name(),
					event.event_name()
				),
			}
		}
		Ok(decoded)
	}

	/// The nonce `who`'s next transaction must carry, counting the ones in the pool.
	pub async fn next_nonce(&self, who: &AccountId) -> Result<Nonce> {
		Ok(self.rpc.request("system_accountNextIndex", rpc_params![who.to_string()]).await?)
	}

	/// `call` signed by `signer` with `nonce` for the runtime of the best block (so that
	/// signing follows a runtime upgrade as soon as the node runs it): immortal, no tip.
	pub async fn sign<Call: subxt::tx::Payload>(
		&self,
		signer: &sr25519::Pair,
		call: &Call,
		nonce: Nonce,
	) -> Result<Vec<u8>> {
		let best = self.best().await?;
		let at = self.at(Some(best.hash)).await?;
		let params =
			DefaultExtrinsicParamsBuilder::<ChainConfig>::new().immortal().nonce(nonce.into());
		let mut signable = at
			.tx()
			.create_signable_offline(call, params.build())
			.context("this runtime does not take the call as this build encodes it")?;
		Ok(signable.sign(&Signer(signer))?.into_encoded())
	}

	/// Hands `extrinsic` to the node's pool; returns its hash. It may still be dropped.
	pub async fn submit(&self, extrinsic: &[u8]) -> Result<Hash> {
		let hex = to_hex(extrinsic);
		let hash: String = self.rpc.request("author_submitExtrinsic", rpc_params![hex]).await?;
		parse_hash(&hash)
	}

	/// Signs `call` as `signer` with the account's next nonce, submits it, and waits for it
	/// to be finalized (see [`Chain::submit_and_watch`]).
	pub async fn execute<Call: subxt::tx::Payload>(
		&self,
		signer: &sr25519::Pair,
		call: &Call,
	) -> Result<Included> {
		let nonce = self.next_nonce(&account_of(signer)).await?;
		self.submit_and_watch(&self.sign(signer, call, nonce).await?).await
	}

	/// Submits `extrinsic`, waits until a block including it is finalized, and returns its
	/// events; an extrinsic that failed is an error naming the pallet's error.
	pub async fn submit_and_watch(&self, extrinsic: &[u8]) -> Result<Included> {
		let hex = to_hex(extrinsic);
		let mut updates: Subscription<Value> = self
			.rpc
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
		let body: Value = self.rpc.request("chain_getBlock", rpc_params![block]).await?;
		let ours = hex.to_lowercase();
		let index = body["block"]["extrinsics"]
			.as_array()
			.and_then(|all| {
				all.iter().position(|xt| xt.as_str().map(str::to_lowercase).as_ref() == Some(&ours))
			})
			.ok_or_else(|| {
				anyhow!("the finalized block {block:?} does not hold the transaction")
			})?;
		let events: Vec<Event> = self
			.events(block)
			.await?
			.into_iter()
			.filter(|(at, _)| *at == Some(index as u32))
			.map(|(_, event)| event)
			.collect();
		for event in &events {
			if let Event::System(SystemEvent::ExtrinsicFailed { dispatch_error, .. }) = event {
				bail!("the transaction failed: {}", self.describe(dispatch_error, block).await);
			}
		}
		Ok(Included { block, events })
	}

	/// A dispatch error in words: the pallet and error name for a module error, looked up in
	/// the metadata of block `at`.
	pub async fn describe(&self, error: &DispatchError, at: Hash) -> String {
		let DispatchError::Module(module) = error else {
			return format!("{error:?}");
		};
		let named = self.at(Some(at)).await.ok().and_then(|at| {
			let metadata = at.metadata();
			let pallet = metadata.pallet_by_error_index(module.index)?;
			let variant = pallet.error_variant_by_index(module.error[0])?;
			Some(format!("{}::{}", pallet.name(), variant.name))
		});
		named.unwrap_or_else(|| format!("{error:?}"))
	}
}

/// The chain's dispatch errors.
pub type DispatchError = api::runtime::runtime_types::sp_runtime::DispatchError;

/// `bytes` as `0x…` hex.
fn to_hex(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// Parses a `0x…` 32-byte hash.
pub fn parse_hash(text: &str) -> Result<Hash> {
	let bytes = hex::decode(text.trim_start_matches("0x"))
		.with_context(|| format!("`{text}` is not hex"))?;
	let bytes: [u8; 32] =
		bytes.try_into().map_err(|_| anyhow!("`{text}` is not a 32-byte hash"))?;
	Ok(Hash::from(bytes))
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
	AccountId(pair.public().0)
}
