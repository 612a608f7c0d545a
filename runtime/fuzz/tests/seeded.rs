//! A short seeded fuzzing run, part of the test suite: about a thousand calls against the real
//! runtime (a debug build runs some 30 a second), every invariant checked after every block.
//! `scripts/fuzz.sh` runs long ones in release.

use offload_runtime_fuzz::{bytes_from_seed, genesis, run};

#[test]
fn seeded_call_sequences_break_no_invariant() {
	let genesis = genesis();
	let (mut calls, mut succeeded) = (0, 0);
	for seed in 0..4 {
		let tally = run(&genesis, &bytes_from_seed(seed, 4_096))
			.unwrap_or_else(|broken| panic!("seed {seed}: {broken}"));
		calls += tally.calls;
		succeeded += tally.succeeded;
	}
	// The inputs reach the pallets: a good share of the calls succeed.
	assert!(calls > 600, "only {calls} calls");
	assert!(succeeded * 10 > calls, "only {succeeded} of {calls} calls succeeded");
}

/// The harness itself catches what it claims to: a hold nobody records.
#[test]
fn a_leaked_hold_is_caught() {
	use frame_support::traits::fungible::MutateHold;
	let genesis = genesis();
	let mut ext = sp_io::TestExternalities::new(genesis);
	ext.execute_with(|| {
		let who = sp_keyring::Sr25519Keyring::Bob.to_account_id();
		<offload_runtime::Balances as MutateHold<_>>::hold(
			&pallet_offload_escrow::HoldReason::JobPayment.into(),
			&who,
			1_000,
		)
		.expect("Bob can hold");
		let broken = offload_runtime_fuzz::check_holds().expect_err("the leak is caught");
		assert!(broken.contains("held for"), "{broken}");
	});
}
