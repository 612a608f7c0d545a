//! Offload as a parachain of a real relay chain: the zombienet network `scripts/relay.sh`
//! starts (two rococo-local validators, two Offload collators), then a transfer and a WASM job
//! through a collator's RPC, settled on relay-chain finality; then a runtime upgrade through the
//! relay chain, after which the same provider worker, never restarted, runs another job.
//!
//! Ignored by `cargo test`: it needs the running network. `scripts/relay.sh` builds what is
//! missing, starts the network and runs it with `OFFLOAD_COLLATOR_WS` and `OFFLOAD_RELAY_WS`
//! set to a collator's and a relay validator's WebSocket RPC, and `OFFLOAD_UPGRADE_WASM` to the
//! next runtime version's WASM (`offload-runtime --features upgrade-test`).

#[path = "../../node/tests/common/mod.rs"]
mod common;
#[path = "support/workers.rs"]
mod workers;

use codec::Encode;
use common::{finalized_number, storage, TempDir};
use jsonrpsee::{
	core::client::ClientT,
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use offload_primitives::UNIT;
use offload_worker::{
	api::{self, Event, MarketEvent},
	chain::{account_of, Chain},
};
use sp_keyring::Sr25519Keyring::{Alice, Charlie, Dave, Ferdie};
use std::time::{Duration, Instant};
use workers::{events_from, job_id, offload, payments, Worker};

const WORDCOUNT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/guests/wordcount.wat");

/// Offload's parachain id on the test network (the `local` chain spec's).
const PARA_ID: u32 = 2000;

fn endpoint(variable: &str) -> String {
	std::env::var(variable)
		.unwrap_or_else(|_| panic!("{variable} is not set: run this test with scripts/relay.sh"))
}

/// Connects to `url`, waiting for the node to come up (zombienet starts the relay validators,
/// then the collators).
async fn connect(url: &str) -> WsClient {
	let deadline = Instant::now() + Duration::from_secs(600);
	loop {
		match WsClientBuilder::default().request_timeout(Duration::from_secs(60)).build(url).await {
			Ok(client) => return client,
			Err(error) if Instant::now() > deadline => panic!("cannot connect to {url}: {error}"),
			Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
		}
	}
}

/// Seconds since `scripts/relay.sh` started the network.
fn since_network_start() -> u64 {
	let started: u64 = endpoint("OFFLOAD_NETWORK_STARTED").parse().expect("a Unix time");
	let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time");
	now.as_secs().saturating_sub(started)
}

/// The relay chain's storage key of `Paras::<item>(id)` (a `Twox64Concat` map).
fn paras_key(item: &str, id: u32) -> String {
	let key = [
		sp_crypto_hashing::twox_128(b"Paras").to_vec(),
		sp_crypto_hashing::twox_128(item.as_bytes()).to_vec(),
		sp_crypto_hashing::twox_64(&id.encode()).to_vec(),
		id.encode(),
	]
	.concat();
	sp_core::bytes::to_hex(&key, false)
}

/// Dave submits the wordcount guest over `input` with `offload submit --watch` and checks its
/// output is `counts`; returns the job's id.
fn count_words(node: &str, input: &str, counts: &str) -> u64 {
	let args = ["submit", "--program", WORDCOUNT, "--input", input, "--budget", "1", "--watch"];
	let out = offload(node, Dave, &args);
	assert!(out.trim_end().ends_with(counts), "the output is wc's:\n{out}");
	job_id(&out)
}

/// Waits until para block `number` is finalized.
async fn wait_for_finalized_para(chain: &Chain, number: u32) {
	let deadline = Instant::now() + Duration::from_secs(300);
	while chain.finalized().await.expect("head").number < number {
		assert!(Instant::now() < deadline, "para block {number} was not finalized in 5 min");
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
}

/// The collator's best block number.
async fn best_number(client: &WsClient) -> u32 {
	let header: serde_json::Value =
		client.request("chain_getHeader", rpc_params![]).await.expect("best header");
	common::header_number(&header)
}

/// The number of the first finalized block at or after `from` with an event `matches` accepts.
async fn block_of(chain: &Chain, from: u32, matches: impl Fn(&Event) -> bool) -> u32 {
	let head = chain.finalized().await.expect("finalized head").number;
	for number in from..=head {
		let hash = chain.block_hash(number).await.expect("block hash");
		let events = chain.events(hash).await.expect("events");
		if events.iter().any(|(_, event)| matches(event)) {
			return number;
		}
	}
	panic!("no such event in blocks {from}..={head}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the relay-chain network that scripts/relay.sh starts"]
async fn a_job_settles_on_relay_chain_finality_through_a_collator() {
	let (collator_url, relay_url) = (endpoint("OFFLOAD_COLLATOR_WS"), endpoint("OFFLOAD_RELAY_WS"));
	let relay = connect(&relay_url).await;
	let collator = connect(&collator_url).await;
	let deadline = Instant::now() + Duration::from_secs(600);
	while best_number(&collator).await < 1 {
		assert!(Instant::now() < deadline, "no para block in 10 min");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
	println!(
		"relay network: first para block {} s after the network started",
		since_network_start()
	);

	// Registered at relay genesis, with the head of its genesis block.
	let lifecycle: Option<u8> = storage(&relay, paras_key("ParaLifecycles", PARA_ID), None).await;
	assert!(lifecycle.is_some(), "para {PARA_ID} is registered on the relay chain");
	let head: Option<Vec<u8>> = storage(&relay, paras_key("Heads", PARA_ID), None).await;
	assert!(head.is_some_and(|head| !head.is_empty()), "the relay chain has para {PARA_ID}'s head");

	// Ten parachain blocks finalized: a collator finalizes a block only once the relay chain
	// has included it and finalized the relay block that did.
	let deadline = Instant::now() + Duration::from_secs(600);
	let mut lags = Vec::new();
	loop {
		let (finalized, best) = (finalized_number(&collator).await, best_number(&collator).await);
		if finalized >= 1 {
			lags.push(best.saturating_sub(finalized));
		}
		if finalized >= 10 {
			break;
		}
		assert!(Instant::now() < deadline, "only {finalized} para blocks finalized in 10 min");
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	println!(
		"relay network: 10 para blocks finalized {} s after the network started; finality lag \
		 {lags:?} para blocks (best - finalized, sampled every 2 s)",
		since_network_start()
	);

	// A transfer is included and finalized, sent through the worker's client.
	let chain = Chain::connect(&collator_url).await.expect("the worker's client connects");
	let ferdie = account_of(&Ferdie.pair());
	let (ferdie_before, amount) = (chain.free_balance(&ferdie, None).await.unwrap(), 7 * UNIT);
	let transfer = api::tx()
		.balances()
		.transfer_keep_alive(subxt::utils::MultiAddress::Id(ferdie.clone()), amount);
	let included = chain.execute(&Dave.pair(), &transfer).await.expect("the transfer");
	assert_eq!(
		chain.free_balance(&ferdie, Some(included.block)).await.unwrap(),
		ferdie_before + amount
	);

	// A provider worker on the collator's RPC runs a job Dave submits with the CLI.
	let dir = TempDir::new("offload-relay");
	let charlie = Worker::start(Charlie, &collator_url, &dir.0);
	charlie.wait_for_log(&["the offer is on chain"], Duration::from_secs(300));
	let submitted_from = chain.finalized().await.expect("head").number;
	let id = count_words(&collator_url, "one two\nthree\n", "2 3 14");
	let submitted = block_of(
		&chain,
		submitted_from,
		|event| matches!(event, Event::Market(MarketEvent::JobSubmitted { job, .. }) if *job == id),
	)
	.await;
	let settled = block_of(
		&chain,
		submitted,
		|event| matches!(event, Event::Market(MarketEvent::JobSettled { job, .. }) if *job == id),
	)
	.await;
	let paid = payments(&events_from(&chain, submitted).await, id);
	assert_eq!(paid.len(), 1, "one payment: {paid:?}");
	assert_eq!(paid[0].0, account_of(&Charlie.pair()), "the provider that ran it was paid");
	println!(
		"relay network: job {id} submitted in para block {submitted}, settled in {settled} \
		 ({} blocks)",
		settled - submitted
	);

	// A runtime upgrade the way parachains do it: sudo authorizes the code's hash, anyone
	// applies the code, the relay chain's validators check it, and a few relay blocks later
	// the chain runs it. The next version adds a field to the provider record, with its
	// migration, and an event this build of the client does not know.
	let wasm = std::fs::read(endpoint("OFFLOAD_UPGRADE_WASM")).expect("the next runtime's WASM");
	// Compressed, as chains store code: the relay chain takes at most 3 MiB of it.
	let code = sp_maybe_compressed_blob::compress_strongly(
		&wasm,
		sp_maybe_compressed_blob::CODE_BLOB_BOMB_LIMIT,
	)
	.expect("the WASM compresses within the bomb limit");
	let before = chain.at(None).await.expect("the finalized block").spec_version();
	let code_hash = subxt::utils::H256(sp_crypto_hashing::blake2_256(&code));
	let authorize = api::runtime::Call::System(
		api::runtime::runtime_types::frame_system::pallet::Call::authorize_upgrade { code_hash },
	);
	chain
		.execute(&Alice.pair(), &api::tx().sudo().sudo(authorize))
		.await
		.expect("sudo authorizes the upgrade");
	let applied = chain
		.execute(&Dave.pair(), &api::tx().system().apply_authorized_upgrade(code))
		.await
		.expect("the authorized code is applied");
	let applied_at = chain.at(Some(applied.block)).await.expect("its block").block_number();
	let deadline = Instant::now() + Duration::from_secs(600);
	let upgraded = loop {
		let head = chain.finalized().await.expect("head");
		if chain.at(Some(head.hash)).await.expect("the head").spec_version() > before {
			break head.number;
		}
		assert!(Instant::now() < deadline, "the upgrade was not enacted in 10 min");
		tokio::time::sleep(Duration::from_secs(2)).await;
	};
	// The first block whose state holds the new code; the block after it runs that code
	// first, and its migration.
	let spec_at = |number: u32| {
		let chain = &chain;
		async move {
			let hash = chain.block_hash(number).await.expect("a block hash");
			(hash, chain.at(Some(hash)).await.expect("the block").spec_version())
		}
	};
	let mut first = upgraded;
	while spec_at(first - 1).await.1 > before {
		first -= 1;
	}
	println!(
		"relay network: upgrade applied in para block {applied_at}, the new code set in block \
		 {first} ({} s after the network started)",
		since_network_start()
	);
	// The migration's block: its events decode, all but the migration's own, which this build
	// does not know: it is left out rather than failing the block.
	let mut migrated = None;
	for number in first..first + 3 {
		wait_for_finalized_para(&chain, number).await;
		let (hash, _) = spec_at(number).await;
		let decoded = chain.events(hash).await.expect("a block's events decode");
		let stored = chain
			.storage(api::storage().system().event_count(), (), Some(hash))
			.await
			.expect("the event count")
			.unwrap_or_default();
		if decoded.len() + 1 == stored as usize {
			migrated = Some((number, hash));
			break;
		}
		assert_eq!(decoded.len(), stored as usize, "block {number}: every known event decodes");
	}
	let (migrated, migrated_hash) = migrated.expect("a block with the migration's event");
	println!("relay network: the migration ran in para block {migrated}");
	// Charlie's record has the new field, which the client reads past by name.
	let charlie = account_of(&Charlie.pair());
	let after = chain.at(Some(migrated_hash)).await.expect("the migrated block");
	let raw = after
		.storage()
		.try_fetch(api::storage().registry().providers().unvalidated(), (charlie.clone(),))
		.await
		.expect("Charlie's record")
		.expect("Charlie is registered");
	let dynamic = raw.decode_as::<subxt::dynamic::Value>().expect("decodes by the new metadata");
	assert!(format!("{dynamic}").contains("since"), "the new field is stored: {dynamic}");
	let typed = chain
		.storage(api::storage().registry().providers(), (charlie.clone(),), Some(migrated_hash))
		.await
		.expect("the old client reads the new record")
		.expect("Charlie is registered");
	assert!(typed.offer.wasm);

	// The worker started before the upgrade, never restarted, runs the next job.
	let id = count_words(&collator_url, "after the upgrade\n", "1 3 18");
	let paid = payments(&events_from(&chain, migrated).await, id);
	assert_eq!(paid.len(), 1, "one payment: {paid:?}");
	assert_eq!(paid[0].0, charlie, "the worker that ran it was paid");
	println!("relay network: job {id} settled on the upgraded runtime by the same worker");
}
