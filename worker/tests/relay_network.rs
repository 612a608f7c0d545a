//! Offload as a parachain of a real relay chain: the zombienet network `scripts/relay.sh`
//! starts (two rococo-local validators, two Offload collators), then a transfer and a WASM job
//! through a collator's RPC, settled on relay-chain finality.
//!
//! Ignored by `cargo test`: it needs the running network. `scripts/relay.sh` builds what is
//! missing, starts the network and runs it with `OFFLOAD_COLLATOR_WS` and `OFFLOAD_RELAY_WS`
//! set to a collator's and a relay validator's WebSocket RPC.

#[path = "../../node/tests/common/mod.rs"]
mod common;
#[path = "support/workers.rs"]
mod workers;

use codec::Encode;
use common::{execute, finalized_number, free_balance, storage, TempDir};
use jsonrpsee::{
	core::client::ClientT,
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use offload_runtime::{RuntimeCall, RuntimeEvent, UNIT};
use offload_worker::chain::Chain;
use pallet_offload_market::Event as MarketEvent;
use sp_keyring::Sr25519Keyring::{Charlie, Dave, Ferdie};
use std::time::{Duration, Instant};
use workers::{job_id, offload, payments, Worker};

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

/// The collator's best block number.
async fn best_number(client: &WsClient) -> u32 {
	let header: serde_json::Value =
		client.request("chain_getHeader", rpc_params![]).await.expect("best header");
	common::header_number(&header)
}

/// The number of the first finalized block at or after `from` with an event `matches` accepts.
async fn block_of(chain: &Chain, from: u32, matches: impl Fn(&RuntimeEvent) -> bool) -> u32 {
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

	// A transfer is included and finalized.
	let (ferdie_before, amount) =
		(free_balance(&collator, &Ferdie.to_account_id(), None).await, 7 * UNIT);
	let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: Ferdie.to_account_id().into(),
		value: amount,
	});
	execute(&collator, Dave, transfer).await;
	assert_eq!(
		free_balance(&collator, &Ferdie.to_account_id(), None).await,
		ferdie_before + amount
	);

	// A provider worker on the collator's RPC runs a job Dave submits with the CLI.
	let dir = TempDir::new("offload-relay");
	let charlie = Worker::start(Charlie, &collator_url, &dir.0);
	charlie.wait_for_log(&["the offer is on chain"], Duration::from_secs(300));
	let chain = Chain::connect(&collator_url).await.expect("the worker's client connects");
	let submitted_from = chain.finalized().await.expect("head").number;
	let out = offload(
		&collator_url,
		Dave,
		&[
			"submit",
			"--program",
			WORDCOUNT,
			"--input",
			"one two\nthree\n",
			"--budget",
			"1",
			"--watch",
		],
	);
	let id = job_id(&out);
	assert!(out.trim_end().ends_with("2 3 14"), "the output is wc's:\n{out}");
	let submitted = block_of(&chain, submitted_from, |event| {
		matches!(event, RuntimeEvent::Market(MarketEvent::JobSubmitted { job, .. }) if *job == id)
	})
	.await;
	let settled = block_of(
		&chain,
		submitted,
		|event| matches!(event, RuntimeEvent::Market(MarketEvent::JobSettled { job, .. }) if *job == id),
	)
	.await;
	let head = chain.finalized().await.expect("head").number;
	let mut events = Vec::new();
	for number in submitted..=head {
		let hash = chain.block_hash(number).await.expect("block hash");
		events.extend(chain.events(hash).await.expect("events").into_iter().map(|(_, e)| e));
	}
	let paid = payments(&events, id);
	assert_eq!(paid.len(), 1, "one payment: {paid:?}");
	assert_eq!(paid[0].0, Charlie.to_account_id(), "the provider that ran it was paid");
	println!(
		"relay network: job {id} submitted in para block {submitted}, settled in {settled} \
		 ({} blocks)",
		settled - submitted
	);
}
