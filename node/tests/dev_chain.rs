//! The dev chain over the wire: start the real `offload-node --dev`, watch it produce and
//! finalize blocks, read its chain properties, and move money with a signed transfer.

mod common;

use common::{events, free_balance, sign, submit_and_wait_finalized, wait_for_finalized, DevNode};
use jsonrpsee::{core::client::ClientT, rpc_params};
use offload_runtime::{RuntimeCall, RuntimeEvent, UNIT};
use serde_json::Value;
use sp_keyring::Sr25519Keyring::{Alice, Bob};
use sp_runtime::MultiAddress;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn dev_node_finalizes_blocks_and_a_transfer_moves_exact_amounts() {
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let client = node.connect().await;

	// Blocks are produced and finalized.
	let finalized = wait_for_finalized(&client, 2, Duration::from_secs(60)).await;
	assert!(finalized >= 2);

	// Chain properties that wallets and polkadot.js apps show.
	let properties: Value =
		client.request("system_properties", rpc_params![]).await.expect("system_properties");
	assert_eq!(properties["tokenSymbol"], "OFL");
	assert_eq!(properties["tokenDecimals"], 12);
	assert_eq!(properties["ss58Format"], 42);
	let chain: String = client.request("system_chain", rpc_params![]).await.expect("system_chain");
	assert_eq!(chain, "Offload Development");

	// Alice sends Bob 42 OFL with `transfer_keep_alive`.
	let (alice, bob) = (Alice.to_account_id(), Bob.to_account_id());
	let alice_before = free_balance(&client, &alice, None).await;
	let bob_before = free_balance(&client, &bob, None).await;
	assert!(alice_before > 1_000 * UNIT, "Alice is funded at genesis");
	let amount = 42 * UNIT;
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: MultiAddress::Id(bob.clone()),
		value: amount,
	});
	let extrinsic = sign(&client, Alice, call).await;
	let block = submit_and_wait_finalized(&client, extrinsic).await;

	// The block holds the transfer and the fee Alice paid for it.
	let events = events(&client, &block).await;
	assert!(
		events.iter().any(|event| matches!(
			event,
			RuntimeEvent::Balances(pallet_balances::Event::Transfer { from, to, amount: a })
				if from == &alice && to == &bob && *a == amount
		)),
		"no Transfer event in {events:?}"
	);
	let fee = events
		.iter()
		.find_map(|event| match event {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { who, actual_fee, tip },
			) if who == &alice => Some(actual_fee + tip),
			_ => None,
		})
		.expect("Alice paid a fee");
	assert!(fee > 0);

	// Balances changed by exactly the amount (and Alice's fee).
	let alice_after = free_balance(&client, &alice, Some(&block)).await;
	let bob_after = free_balance(&client, &bob, Some(&block)).await;
	assert_eq!(bob_after, bob_before + amount);
	assert_eq!(alice_after, alice_before - amount - fee);

	// The node stops cleanly on SIGINT.
	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}
