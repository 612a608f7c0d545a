//! A whole single-replica job on the real dev node, with signed extrinsics only: the test plays
//! both the provider and the requester, then checks where every unit of money went.

mod common;

use common::{execute, free_balance, storage, wait_for_finalized, DevNode};
use frame_support::BoundedVec;
use jsonrpsee::{
	core::{client::ClientT, params::ArrayParams},
	rpc_params,
	ws_client::WsClient,
};
use offload_primitives::{Prices, Resources};
use offload_runtime::{
	configs::compute::{JobDeposit, MinBond, TreasuryAccount},
	Runtime, RuntimeCall, RuntimeEvent, EXISTENTIAL_DEPOSIT, MILLI_UNIT, UNIT,
};
use pallet_offload_market::{Input, Phase, Pricing, Report, Usage, Workload};
use serde_json::{json, Value};
use sp_core::crypto::Ss58Codec;
use sp_keyring::Sr25519Keyring::{Alice, Bob};
use sp_runtime::Permill;
use std::time::Duration;

fn key_hex(key: Vec<u8>) -> String {
	sp_core::bytes::to_hex(&key, false)
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Calls `method`, which must answer.
async fn rpc(client: &WsClient, method: &str, params: ArrayParams) -> Value {
	client.request(method, params).await.unwrap_or_else(|error| panic!("{method} failed: {error}"))
}

/// The JSON-RPC error code `method` answers with.
async fn error_code(client: &WsClient, method: &str, params: ArrayParams) -> (i32, String) {
	match client.request::<Value, _>(method, params).await {
		Err(jsonrpsee::core::ClientError::Call(error)) => {
			(error.code(), format!("{} {:?}", error.message(), error.data()))
		},
		other => panic!("{method} should have failed: {other:?}"),
	}
}

/// Every `offload_*` method refuses bad parameters with a JSON-RPC error, and the node stays up.
async fn bad_parameters_get_json_rpc_errors(client: &WsClient, id: u64) {
	let methods: Vec<String> = rpc(client, "rpc_methods", rpc_params![]).await["methods"]
		.as_array()
		.expect("methods")
		.iter()
		.filter_map(|method| method.as_str().map(String::from))
		.collect();
	for method in [
		"offload_quote",
		"offload_providers",
		"offload_job",
		"offload_stats",
		"offload_rewards",
		"offload_subscriptions",
	] {
		assert!(methods.iter().any(|listed| listed == method), "{method} is not in rpc_methods");
	}
	let invalid = -32602;
	let (code, _) = error_code(client, "offload_job", rpc_params!["seven"]).await;
	assert_eq!(code, invalid);
	let (code, message) =
		error_code(client, "offload_providers", rpc_params![Value::Null, Value::Null, 1_000]).await;
	assert_eq!((code, message.contains("limit must be 1 to 100")), (invalid, true), "{message}");
	let (code, _) =
		error_code(client, "offload_providers", rpc_params![json!({ "runtime": "gpu" })]).await;
	assert_eq!(code, invalid);
	let (code, _) =
		error_code(client, "offload_providers", rpc_params![Value::Null, "not an account"]).await;
	assert_eq!(code, invalid);
	let unknown_block = format!("0x{}", "22".repeat(32));
	let (code, message) = error_code(client, "offload_stats", rpc_params![unknown_block]).await;
	assert_eq!((code, message.contains("unknown block")), (invalid, true), "{message}");
	let (code, _) =
		error_code(client, "offload_quote", rpc_params![json!({ "pricing": {} })]).await;
	assert_eq!(code, invalid);
	// A well-formed job the chain would refuse: its error, by name.
	let refused = json!({
		"workload": { "wasm": { "program": format!("0x{}", "33".repeat(32)), "fuelLimit": 1, "memoryLimitMib": 1 } },
		"pricing": { "fixed": { "price": "1000" } },
	});
	let (code, message) = error_code(client, "offload_quote", rpc_params![refused]).await;
	assert_eq!((code, message.contains("Market(UnknownProgram)")), (2, true), "{message}");
	let (code, _) =
		error_code(client, "offload_subscriptions", rpc_params!["not an account"]).await;
	assert_eq!(code, invalid);
	let nobody = offload_runtime::AccountId::from([9; 32]).to_ss58check();
	assert_eq!(
		rpc(client, "offload_subscriptions", rpc_params![nobody]).await,
		json!({ "subscriptions": [] })
	);
	// Unknown jobs are `null`, and the node still answers.
	assert_eq!(rpc(client, "offload_job", rpc_params![id + 1_000]).await, Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_runs_from_submission_to_settlement_and_every_balance_adds_up() {
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let client = node.connect().await;
	wait_for_finalized(&client, 1, Duration::from_secs(60)).await;
	let (alice, bob) = (Alice.to_account_id(), Bob.to_account_id());
	let treasury = TreasuryAccount::get();
	let alice_start = free_balance(&client, &alice, None).await;
	let bob_start = free_balance(&client, &bob, None).await;
	let treasury_start = free_balance(&client, &treasury, None).await;
	let mut tx_fees = 0;

	// Bob registers as a provider with the least bond.
	let offer = pallet_offload_registry::Offer::<Runtime> {
		resources: Resources { cpu_millicores: 4_000, memory_mib: 8_192, storage_gib: 20, gpus: 0 },
		wasm: true,
		container: false,
		prices: Prices {
			per_million_fuel: 100 * MILLI_UNIT,
			per_second: 0,
			base_per_job: 10 * MILLI_UNIT,
		},
		max_concurrent: 2,
		region: *b"DE",
		encryption_key: [1; 32],
		endpoint: BoundedVec::truncate_from(b"http://127.0.0.1:9/results".to_vec()),
	};
	let bond = MinBond::get();
	let register = RuntimeCall::Registry(pallet_offload_registry::Call::register { offer, bond });
	let (_, fee) = execute(&client, Bob, register).await;
	let bob_fees = fee;
	tx_fees += fee;

	// `offload_providers` lists him, as JSON.
	let page = rpc(&client, "offload_providers", rpc_params![json!({ "runtime": "wasm" })]).await;
	let listed = &page["providers"][0];
	assert_eq!(listed["account"], Bob.to_account_id().to_ss58check());
	assert_eq!(listed["status"], "active");
	assert_eq!(listed["available"], true);
	assert_eq!(listed["runtimes"], json!(["wasm"]));
	assert_eq!(listed["prices"]["basePerJob"], (10 * MILLI_UNIT).to_string());
	assert_eq!(listed["free"]["cpuMillicores"], 4_000);
	assert_eq!(listed["reputation"], 500_000, "a newcomer scores 50%");
	assert_eq!(listed["jobs"], 0);
	assert_eq!(page["next"], Value::Null);
	let none =
		rpc(&client, "offload_providers", rpc_params![json!({ "runtime": "container" })]).await;
	assert_eq!(none["providers"], json!([]));

	// Alice uploads a program and submits a job for it.
	let code = b"\0asm\x01\0\0\0 job life test".to_vec();
	let program = sp_io::hashing::blake2_256(&code);
	let upload = RuntimeCall::Market(pallet_offload_market::Call::upload_program {
		code: BoundedVec::truncate_from(code.clone()),
	});
	let (events, fee) = execute(&client, Alice, upload).await;
	tx_fees += fee;
	let mut alice_fees = fee;
	let program_deposit = events
		.iter()
		.find_map(|event| match event {
			RuntimeEvent::Market(pallet_offload_market::Event::ProgramUploaded {
				hash,
				deposit,
				..
			}) if *hash == program => Some(*deposit),
			_ => None,
		})
		.expect("ProgramUploaded");
	let spec = pallet_offload_market::JobSpec::<Runtime> {
		workload: Workload::Wasm {
			program,
			entry: BoundedVec::truncate_from(b"_start".to_vec()),
			input: Input::Inline(BoundedVec::truncate_from(b"hello, offload".to_vec())),
			fuel_limit: 10_000_000,
			memory_limit_mib: 64,
		},
		resources: Resources { cpu_millicores: 1_000, memory_mib: 256, storage_gib: 1, gpus: 0 },
		pricing: Pricing::PayPerUse { budget: 5 * UNIT },
		replicas: 1,
		quorum: 1,
		min_reputation: Permill::zero(),
		verified_only: false,
		encrypted_input: false,
		run_blocks: 50,
		queue_blocks: 10,
	};
	// `offload_quote` of the same job names Bob and his price at the job's limits:
	// 10 mOFL + 100 mOFL per million fuel × 10 million fuel.
	let quote = rpc(
		&client,
		"offload_quote",
		rpc_params![json!({
			"workload": { "wasm": {
				"program": format!("0x{}", hex(&program)),
				"input": { "text": "hello, offload" },
				"fuelLimit": 10_000_000,
				"memoryLimitMib": 64,
			}},
			"resources": { "cpuMillicores": 1_000, "memoryMib": 256, "storageGib": 1 },
			"pricing": { "payPerUse": { "budget": (5 * UNIT).to_string() } },
			"queueBlocks": 10,
		})],
	)
	.await;
	assert_eq!(quote["providers"][0]["account"], Bob.to_account_id().to_ss58check());
	assert_eq!(quote["providers"][0]["quote"], (1_010 * MILLI_UNIT).to_string());
	assert_eq!(quote["matchedNow"], true);
	assert_eq!(quote["maxPayment"], (5 * UNIT).to_string());
	let submit = RuntimeCall::Market(pallet_offload_market::Call::submit_job { spec });
	let (events, fee) = execute(&client, Alice, submit).await;
	tx_fees += fee;
	alice_fees += fee;
	let id = events
		.iter()
		.find_map(|event| match event {
			RuntimeEvent::Market(pallet_offload_market::Event::JobAssigned {
				job,
				provider,
				..
			}) if provider == &bob => Some(*job),
			_ => None,
		})
		.expect("the job was assigned to Bob in the block that submitted it");
	let assigned = rpc(&client, "offload_job", rpc_params![id]).await;
	assert_eq!(assigned["phase"], "active");
	assert_eq!(assigned["requester"], alice.to_ss58check());
	assert_eq!(assigned["assignments"][0]["provider"], bob.to_ss58check());
	assert_eq!(assigned["assignments"][0]["state"], "assigned");
	assert!(assigned["assignments"][0]["ackBy"].as_u64().is_some(), "{assigned}");

	// Bob acknowledges, runs it, and submits the result with the fuel it burnt.
	let (_, fee) =
		execute(&client, Bob, RuntimeCall::Market(pallet_offload_market::Call::ack { job: id }))
			.await;
	tx_fees += fee;
	let mut bob_fees = bob_fees + fee;
	let report = Report {
		result: sp_io::hashing::blake2_256(b"HELLO, OFFLOAD"),
		ok: true,
		usage: Usage { fuel: 2_000_000, seconds: 0 },
	};
	let result =
		RuntimeCall::Market(pallet_offload_market::Call::submit_result { job: id, report });
	let (events, fee) = execute(&client, Bob, result).await;
	tx_fees += fee;
	bob_fees += fee;

	// 10 mOFL per job + 100 mOFL per million fuel × 2 million fuel.
	let paid = 210 * MILLI_UNIT;
	let protocol_fee = events
		.iter()
		.find_map(|event| match event {
			RuntimeEvent::Escrow(pallet_offload_escrow::Event::ProviderPaid {
				job,
				provider,
				amount,
				fee,
			}) if *job == id && provider == &bob && *amount == paid => Some(*fee),
			_ => None,
		})
		.expect("Bob was paid out of the escrow");
	assert_eq!(protocol_fee, paid * 2 / 100, "the protocol fee is 2% of the payment");
	assert!(events.iter().any(|event| matches!(
		event,
		RuntimeEvent::Market(pallet_offload_market::Event::JobSettled { job, result: Some(r), ok: true, .. })
			if *job == id && *r == report.result
	)));
	let record: pallet_offload_market::JobOf<Runtime> =
		storage(&client, key_hex(pallet_offload_market::Jobs::<Runtime>::hashed_key_for(id)), None)
			.await
			.expect("the settled job's record stays until cleared");
	assert!(matches!(record.phase, Phase::Settled { paid: p, .. } if p == paid));
	let settled = rpc(&client, "offload_job", rpc_params![id]).await;
	assert_eq!(settled["phase"], "settled");
	assert_eq!(settled["result"], format!("0x{}", hex(&report.result)));
	assert_eq!(settled["ok"], true);
	assert_eq!(settled["paid"], paid.to_string());
	assert_eq!(settled["assignments"][0]["state"], "revealed");
	assert_eq!(settled["assignments"][0]["report"]["fuel"], 2_000_000);
	assert_eq!(settled["assignments"][0]["meteredCost"], paid.to_string());
	let stats = rpc(&client, "offload_stats", rpc_params![]).await;
	assert_eq!(stats["providers"], 1);
	assert_eq!(stats["providersOnline"], 1);
	assert_eq!(stats["providersOnlineExact"], true);
	assert_eq!(stats["settledJobs"], 1);
	assert_eq!(stats["openJobs"], 0);
	assert_eq!(stats["totalPaid"], paid.to_string());
	// The settled job raised Bob's reputation, which the provider listing shows.
	let page = rpc(&client, "offload_providers", rpc_params![json!({ "runtime": "wasm" })]).await;
	assert_eq!(page["providers"][0]["jobs"], 1);
	let reputation = page["providers"][0]["reputation"].as_u64().expect("a number");
	assert!(reputation > 500_000, "a success raises the score, not {reputation}");
	bad_parameters_get_json_rpc_errors(&client, id).await;

	// Where the money went: Bob got the payment, the treasury the protocol fee and the
	// transaction fees, Alice paid the payment, the fee, the deposits and her transaction fees.
	let held_bond: u128 = storage(
		&client,
		key_hex(pallet_offload_escrow::Bonds::<Runtime>::hashed_key_for(&bob)),
		None,
	)
	.await
	.expect("Bob's bond is recorded");
	assert_eq!(held_bond, bond, "the bond is intact");
	assert_eq!(free_balance(&client, &bob, None).await, bob_start - bond + paid - bob_fees);
	// Half of the protocol fee (rounded down) is the reward pool's: the treasury keeps it
	// until the era ends (200 blocks on the dev chain), and the era's pot counts it.
	let to_pool = protocol_fee / 2;
	assert_eq!(
		free_balance(&client, &treasury, None).await,
		treasury_start + protocol_fee + tx_fees
	);
	let pool = offload_runtime::Rewards::pool();
	assert_eq!(free_balance(&client, &pool, None).await, EXISTENTIAL_DEPOSIT);
	let rewards = rpc(&client, "offload_rewards", rpc_params![bob.to_ss58check()]).await;
	assert_eq!(rewards["era"]["index"], 0, "era 0 is still in progress");
	assert_eq!(rewards["era"]["pot"], to_pool.to_string());
	let job_deposit = JobDeposit::get();
	assert_eq!(
		free_balance(&client, &alice, None).await,
		alice_start - program_deposit - paid - protocol_fee - job_deposit - alice_fees
	);

	// Alice clears the record and gets the job deposit back.
	let clear = RuntimeCall::Market(pallet_offload_market::Call::clear_job { job: id });
	let (_, fee) = execute(&client, Alice, clear).await;
	alice_fees += fee;
	assert_eq!(
		free_balance(&client, &alice, None).await,
		alice_start - program_deposit - paid - protocol_fee - alice_fees
	);

	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}
