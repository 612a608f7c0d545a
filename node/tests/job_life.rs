//! A whole single-replica job on the real dev node, with signed extrinsics only: the test plays
//! both the provider and the requester, then checks where every unit of money went.

mod common;

use common::{execute, free_balance, storage, wait_for_finalized, DevNode};
use frame_support::BoundedVec;
use offload_primitives::{Prices, Resources};
use offload_runtime::{
	configs::compute::{JobDeposit, MinBond, TreasuryAccount},
	Runtime, RuntimeCall, RuntimeEvent, MILLI_UNIT, UNIT,
};
use pallet_offload_market::{Input, Phase, Pricing, Report, Usage, Workload};
use sp_keyring::Sr25519Keyring::{Alice, Bob};
use sp_runtime::Permill;
use std::time::Duration;

fn key_hex(key: Vec<u8>) -> String {
	sp_core::bytes::to_hex(&key, false)
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

	// Where the money went: Bob got the payment, the treasury the protocol fee (and the
	// transaction fees), Alice paid the payment, the fee, the deposits and her transaction fees.
	let held_bond: u128 = storage(
		&client,
		key_hex(pallet_offload_escrow::Bonds::<Runtime>::hashed_key_for(&bob)),
		None,
	)
	.await
	.expect("Bob's bond is recorded");
	assert_eq!(held_bond, bond, "the bond is intact");
	assert_eq!(free_balance(&client, &bob, None).await, bob_start - bond + paid - bob_fees);
	assert_eq!(
		free_balance(&client, &treasury, None).await,
		treasury_start + protocol_fee + tx_fees
	);
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
