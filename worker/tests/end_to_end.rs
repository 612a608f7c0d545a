//! The real thing, end to end: the `offload-node` dev chain, provider workers (`offload run`)
//! and the requester's command line (`offload submit`), as separate processes talking over
//! JSON-RPC and HTTP.

#[path = "support/bomb.rs"]
mod bomb;
#[path = "support/busybox.rs"]
mod busybox;
#[path = "../../node/tests/common/mod.rs"]
mod common;
#[path = "support/workers.rs"]
mod workers;

use common::{wait_for_finalized, DevNode, TempDir};
use jsonrpsee::ws_client::WsClient;
use offload_runtime::{
	configs::compute::{JobDeposit, MinBond, MinFee},
	UNIT,
};
use offload_worker::{
	api::{self, EscrowEvent, Event, Input, MarketEvent, Phase, ReplicaState, Workload},
	chain::{fees_paid, AccountId, Balance, Chain},
};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave, Eve};
use std::{
	process::{Command, Output},
	time::{Duration, Instant},
};
use workers::{all_events, job_id, offload, payments, reveals, Worker};

/// A dev account as the client names it.
fn account(who: Sr25519Keyring) -> AccountId {
	offload_worker::chain::account_of(&who.pair())
}

const WORDCOUNT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/guests/wordcount.wat");

/// A guest that burns about two billion fuel (a second or more of work) and then prints
/// "done": long enough to kill its worker mid-run.
const SLOW: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "done\n")
  (func (export "_start") (local $i i32)
    (loop $spin
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spin (i32.lt_u (local.get $i) (i32.const 400000000))))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

async fn start_chain(node: &mut DevNode) -> (WsClient, Chain) {
	let client = node.connect().await;
	wait_for_finalized(&client, 1, Duration::from_secs(60)).await;
	let chain = Chain::connect(&node.ws_url).await.expect("the worker's client connects");
	(client, chain)
}

#[tokio::test(flavor = "multi_thread")]
async fn wasm_jobs_settle_with_one_and_three_workers_and_every_balance_adds_up() {
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let (_client, chain) = start_chain(&mut node).await;
	let dir = TempDir::new("offload-e2e");
	let (alice, bob) = (account(Alice), account(Bob));
	let alice_start = chain.free_balance(&alice, None).await.unwrap();
	let bob_start = chain.free_balance(&bob, None).await.unwrap();

	// A result from an earlier life of Bob's worker, older than the 7 days results are kept.
	let stale = dir.0.join("Bob/data/results").join("ab".repeat(32));
	std::fs::create_dir_all(stale.parent().expect("a results dir")).expect("results dir");
	std::fs::write(&stale, b"an old result").expect("written");
	let eight_days = Duration::from_secs(8 * 24 * 3600);
	std::fs::File::options()
		.write(true)
		.open(&stale)
		.and_then(|file| file.set_modified(std::time::SystemTime::now() - eight_days))
		.expect("aged");
	let bob_worker = Worker::start(Bob, &node.ws_url, &dir.0);
	bob_worker.wait_for_offer();
	bob_worker.wait_for_log(&["removed results past keeping", "files=1"], Duration::from_secs(10));
	assert!(!stale.exists(), "the worker removes results past keeping when it starts");
	// Bob's offer as a requester finds it: both runtimes (podman is installed), his prices.
	let listed =
		offload(&node.ws_url, Alice, &["providers", "--runtime", "container", "--available"]);
	assert!(listed.starts_with(&account(Bob).to_string()), "{listed}");
	assert!(
		listed.contains("runs wasm, container; region DE; reputation 50.0% over 0 jobs"),
		"{listed}"
	);
	assert!(
		listed.contains("0.01 OFL per job, 0.001 OFL per million fuel, 0.001 OFL per second"),
		"{listed}"
	);
	let none = offload(&node.ws_url, Alice, &["providers", "--cpu", "999999"]);
	assert_eq!(none.trim(), "no provider matches");
	let input = "Offload sells idle compute.\nThis line was counted by a provider worker.\n";
	let out = offload(
		&node.ws_url,
		Alice,
		&["submit", "--program", WORDCOUNT, "--input", input, "--budget", "1", "--watch"],
	);
	let id = job_id(&out);
	assert!(out.trim_end().ends_with("2 12 72"), "the output is wc's:\n{out}");

	// Money: Bob was paid once, 2% of it went to the treasury, Alice paid it and the fee,
	// and her job deposit stays held until she clears the record. Events and balances are
	// read at one block: the workers' heartbeats keep paying fees after it.
	let head = chain.finalized().await.expect("head");
	let events: Vec<Event> =
		numbered_events(&chain, 1, head.number).await.into_iter().map(|(_, e)| e).collect();
	let paid = payments(&events, id);
	assert_eq!(paid.len(), 1, "one payment: {paid:?}");
	let (provider, amount, fee) = paid[0].clone();
	assert_eq!(provider, bob);
	assert_eq!(
		fee,
		(amount * 2).div_ceil(100).max(MinFee::get()),
		"2%, rounded up, at least the floor"
	);
	let deposit = events
		.iter()
		.find_map(|event| match event {
			Event::Market(MarketEvent::ProgramUploaded { deposit, .. }) => Some(*deposit),
			_ => None,
		})
		.expect("the program was uploaded");
	assert_eq!(
		chain.free_balance(&alice, Some(head.hash)).await.unwrap(),
		alice_start - deposit - amount - fee - JobDeposit::get() - fees_paid(&events, &alice)
	);
	assert_eq!(
		chain.free_balance(&bob, Some(head.hash)).await.unwrap(),
		bob_start - MinBond::get() + amount - fees_paid(&events, &bob)
	);
	let bond = chain.storage(api::storage().escrow().bonds(), (bob.clone(),), None).await.unwrap();
	assert_eq!(bond, Some(MinBond::get()), "Bob's bond is intact");

	// A container job on the same worker, billed by the second.
	let image = busybox::image(&busybox::executor());
	let out = offload(
		&node.ws_url,
		Alice,
		&[
			"submit",
			"--image",
			&format!("sha256:{}", hex::encode(image)),
			"--max-seconds",
			"30",
			"--memory",
			"64",
			"--input",
			"hello from a container",
			"--watch",
			"--",
			"tr",
			"a-z",
			"A-Z",
		],
	);
	let id = job_id(&out);
	assert!(out.trim_end().ends_with("HELLO FROM A CONTAINER"), "the output is tr's:\n{out}");
	let events = all_events(&chain).await;
	let seconds = events
		.iter()
		.find_map(|event| match event {
			Event::Market(MarketEvent::ResultRevealed { job, report, .. }) if *job == id => {
				Some(report.usage.seconds)
			},
			_ => None,
		})
		.expect("Bob reported");
	assert!((1..=30).contains(&seconds), "billed {seconds} s");
	let paid = payments(&events, id);
	assert_eq!(paid.len(), 1, "one payment: {paid:?}");
	assert_eq!(paid[0].0, bob);
	assert_eq!(paid[0].1, UNIT / 100 + UNIT / 1000 * Balance::from(seconds), "base + seconds");

	// Three replicas on three workers agree.
	let charlie = Worker::start(Charlie, &node.ws_url, &dir.0);
	let dave = Worker::start(Dave, &node.ws_url, &dir.0);
	dave.wait_for_offer();
	charlie.wait_for_offer();
	let out = offload(
		&node.ws_url,
		Alice,
		&[
			"submit",
			"--program",
			WORDCOUNT,
			"--input",
			"one two three",
			"--replicas",
			"3",
			"--budget",
			"1",
			"--watch",
		],
	);
	let id = job_id(&out);
	assert!(out.trim_end().ends_with("0 3 13"), "the output is wc's:\n{out}");
	let events = all_events(&chain).await;
	let mut paid: Vec<_> = payments(&events, id).into_iter().map(|(who, ..)| who).collect();
	paid.sort();
	let mut expected = vec![bob.clone(), account(Charlie), account(Dave)];
	expected.sort();
	assert_eq!(paid, expected, "all three replicas agreed and were paid");
	assert!(!events.iter().any(|event| matches!(
		event,
		Event::Market(MarketEvent::ResultRejected { job, .. }) if *job == id
	)));

	// A sealed input: the chain holds only ciphertext, each of the three workers opens it,
	// they agree, and the output comes back sealed to Alice, who opens and checks it.
	let secret = "sealed words here";
	let out = offload(
		&node.ws_url,
		Alice,
		&["submit", "--program", WORDCOUNT, "--input", secret, "--encrypt", "--replicas", "3"]
			.into_iter()
			.chain(["--budget", "1", "--watch"])
			.collect::<Vec<_>>(),
	);
	assert!(out.contains("input sealed to 3 provider(s)"), "{out}");
	assert!(out.trim_end().ends_with("0 3 17"), "the output is wc's:\n{out}");
	let id = job_id(&out);
	let job = offload_worker::requester::job(&chain, id, None).await.unwrap().expect("the job");
	assert!(job.spec.encrypted_input);
	let Workload::Wasm { input: Input::Inline(sealed), .. } = job.spec.workload else {
		panic!("an inline WASM job")
	};
	assert!(!sealed.windows(6).any(|window| window == b"sealed"), "no plaintext on chain");
	assert_eq!(payments(&all_events(&chain).await, id).len(), 3, "all three were paid");

	// A sealed input that only the provider ranked last can open: each provider ranked before
	// it gives the replica back with `decline` (reporting a failure it would be paid for, or in
	// a replicated job slashed for), and the replica walks down the ranking to the one that
	// can run it. Nothing is slashed or missed on the way.
	let eve = Worker::start(Eve, &node.ws_url, &dir.0);
	eve.wait_for_offer();
	let alice_pair = Alice.pair();
	let template = offload_worker::requester::job(&chain, id, None).await.unwrap().expect("job");
	let mut spec = template.spec;
	spec.replicas = 4;
	spec.quorum = 4;
	let quote = chain
		.runtime_call(api::runtime_apis().compute_api().quote(spec.clone()), None)
		.await
		.unwrap();
	let ranked: Vec<AccountId> =
		quote.expect("a quote").providers.into_iter().map(|provider| provider.who).collect();
	assert_eq!(ranked.len(), 4, "all four providers fit: {ranked:?}");
	let last = ranked[3].clone();
	let provider = chain
		.storage(api::storage().registry().providers(), (last.clone(),), None)
		.await
		.unwrap()
		.expect("registered");
	let binding = offload_worker::envelope::binding_of(
		&chain.genesis(),
		offload_worker::chain::account_of(&alice_pair).as_ref(),
		&spec.workload,
	);
	let envelope = offload_worker::envelope::seal_input(
		b"for one provider only",
		&[provider.offer.encryption_key],
		&offload_worker::envelope::public_of(&alice_pair),
		&binding,
	)
	.expect("sealed");
	spec.replicas = 1;
	spec.quorum = 1;
	let Workload::Wasm { input, .. } = &mut spec.workload else { panic!("a WASM job") };
	*input = Input::Inline(api::bounded(envelope));
	let id = offload_worker::requester::submit(&chain, &alice_pair, spec).await.unwrap();
	let deadline = Instant::now() + Duration::from_secs(90);
	let job = loop {
		let job = offload_worker::requester::job(&chain, id, None).await.unwrap().expect("job");
		if matches!(job.phase, Phase::Settled { .. }) {
			break job;
		}
		assert!(Instant::now() < deadline, "job {id} did not settle: {job:?}");
		tokio::time::sleep(Duration::from_millis(500)).await;
	};
	assert!(matches!(job.phase, Phase::Settled { ok: true, .. }));
	assert_eq!(job.assignments[0].provider, last, "the one that can open it ran it");
	let events = all_events(&chain).await;
	let mut declined: Vec<AccountId> = events
		.iter()
		.filter_map(|event| match event {
			Event::Market(MarketEvent::JobDeclined { job, provider }) if *job == id => {
				Some(provider.clone())
			},
			_ => None,
		})
		.collect();
	declined.sort();
	let mut others = ranked[..3].to_vec();
	others.sort();
	assert_eq!(declined, others, "each provider ranked before it declined");
	assert_eq!(job.excluded.len(), 3);
	assert_eq!(
		payments(&events, id).into_iter().map(|(who, ..)| who).collect::<Vec<_>>(),
		vec![last.clone()]
	);

	// Alice disputes it. The three re-executors are drawn (here, the three other providers);
	// none was a recipient of the envelope, so `offload dispute` grants them its key, checked
	// against the envelope's commitment. They run the same input, agree with the provider,
	// and the dispute is rejected with a verdict: nobody declines, nobody is slashed.
	let out = offload(&node.ws_url, Alice, &["dispute", &id.to_string(), "--watch"]);
	let check = id + 1;
	assert!(out.contains(&format!("job {id} disputed: re-executed as job {check}")), "{out}");
	assert!(
		out.contains(&format!("the sealed input granted to job {check}'s 3 re-executor(s)")),
		"{out}"
	);
	assert!(!out.contains("cannot run it and gave it back"), "{out}");
	assert!(out.contains("dispute rejected"), "{out}");
	let events = all_events(&chain).await;
	let revealed = reveals(&events, check);
	assert_eq!(revealed, 3, "each re-executor ran the granted input");
	assert!(!events.iter().any(|event| matches!(
		event,
		Event::Market(MarketEvent::ResultRejected { .. } | MarketEvent::DeadlineMissed { .. })
			| Event::Escrow(EscrowEvent::BondSlashed { .. })
	)));
	// The requester takes the deposit back.
	let out = offload(&node.ws_url, Alice, &["clear", &id.to_string()]);
	assert!(out.contains(&format!("job {id} cleared; 0.1 OFL came back")), "{out}");
	// A job nobody can take waits; cancelled, all it held comes back: the budget, the 2% fee
	// and the deposit.
	let out = offload(
		&node.ws_url,
		Alice,
		&["submit", "--program", WORDCOUNT, "--cpu", "999999", "--budget", "1"],
	);
	let waiting = job_id(&out);
	assert!(out.contains(&format!("job {waiting} waits for providers")), "{out}");
	let out = offload(&node.ws_url, Alice, &["cancel", &waiting.to_string()]);
	assert!(out.contains(&format!("job {waiting} cancelled; 1.12 OFL came back")), "{out}");
	for who in [Bob, Charlie, Dave, Eve] {
		let bond =
			chain.storage(api::storage().escrow().bonds(), (account(who),), None).await.unwrap();
		assert_eq!(bond, Some(MinBond::get()), "{who:?}'s bond is intact");
	}
	drop(eve);
	drop(bob_worker);
	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}

/// A worker that crashes at each point between storing a run's report, sending a transaction
/// and recording that it went (an abort: nothing is flushed or cleaned up) and is started
/// again sends each step of the job once more at most, and the chain takes its result once:
/// one report, one payment, the output served.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_crashing_between_store_send_and_record_submits_each_result_once() {
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let (_client, chain) = start_chain(&mut node).await;
	let dir = TempDir::new("offload-e2e-failpoints");
	let mut worker = Worker::start(Bob, &node.ws_url, &dir.0);
	worker.wait_for_offer();
	for point in [
		"before-send:Ack",
		"after-send:Ack",
		"after-run",
		"before-send:Submit",
		"after-send:Submit",
	] {
		worker.kill();
		worker.spawn_failing(Some(point));
		let out = offload(
			&node.ws_url,
			Alice,
			&["submit", "--program", WORDCOUNT, "--input", point, "--budget", "1"],
		);
		let id = job_id(&out);
		assert!(worker.ended_within(Duration::from_secs(60)), "{point} was not reached");
		assert!(worker.log().contains(&format!("failpoint {point}: aborting")), "{point}");
		worker.spawn();
		let node_url = node.ws_url.clone();
		let watched = tokio::task::spawn_blocking(move || {
			offload(&node_url, Alice, &["watch", &id.to_string()])
		});
		let watched = watched.await.unwrap();
		assert!(watched.contains("settled: paid"), "{point}: {watched}");
		let events = all_events(&chain).await;
		let reports = reveals(&events, id);
		assert_eq!(reports, 1, "{point}: the result was taken once");
		assert_eq!(payments(&events, id).len(), 1, "{point}: and paid once");
		let out = offload(&node.ws_url, Alice, &["result", &id.to_string()]);
		assert!(out.trim_end().ends_with(&format!("0 1 {}", point.len())), "{point}: {out}");
	}
	drop(worker);
	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_job_finishes_it_once_and_survives_a_node_restart() {
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let (_client, chain) = start_chain(&mut node).await;
	let dir = TempDir::new("offload-e2e-restart");
	let slow = dir.0.join("slow.wat");
	std::fs::write(&slow, SLOW).unwrap();
	let slow = slow.display().to_string();
	let mut worker = Worker::start(Bob, &node.ws_url, &dir.0);
	worker.wait_for_offer();

	// Killed while it runs the job, then started again on the same data.
	let out = offload(
		&node.ws_url,
		Alice,
		&["submit", "--program", &slow, "--fuel", "5000000000", "--budget", "10"],
	);
	let id = job_id(&out);
	worker.wait_for_log(&["running", &format!("job={id}")], Duration::from_secs(60));
	worker.kill();
	assert!(!worker.log().contains("run done"), "the kill came mid-run:\n{}", worker.log());
	worker.spawn();
	let node_url = node.ws_url.clone();
	let watched =
		tokio::task::spawn_blocking(move || offload(&node_url, Alice, &["watch", &id.to_string()]));
	watched.await.unwrap();
	let events = all_events(&chain).await;
	let reports = reveals(&events, id);
	assert_eq!(reports, 1, "the result was submitted once");
	assert_eq!(payments(&events, id).len(), 1, "and paid once");
	let out = offload(&node.ws_url, Alice, &["result", &id.to_string()]);
	assert_eq!(out, "done\n");

	// The node restarts under the worker, which reconnects and takes the next job.
	node.restart();
	let client = node.connect().await;
	let before = common::finalized_number(&client).await;
	wait_for_finalized(&client, before + 2, Duration::from_secs(60)).await;
	worker.wait_for_log(&["lost the node", "reconnecting"], Duration::from_secs(10));
	worker.wait_for_lines(&["connected"], 2, Duration::from_secs(30));
	let out = offload(
		&node.ws_url,
		Alice,
		&["submit", "--program", WORDCOUNT, "--input", "after the restart", "--watch"],
	);
	assert!(out.trim_end().ends_with("0 3 17"), "the output is wc's:\n{out}");
	drop(worker);
	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_no_show_is_replaced_a_sealed_input_reaches_the_spare_and_a_late_worker_frees_its_slot() {
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let (_client, chain) = start_chain(&mut node).await;
	let dir = TempDir::new("offload-e2e-no-show");
	// Eve offers the lowest price, then her worker goes away; her offer stays on chain (her
	// heartbeat is still fresh), so matching picks her first.
	let mut eve = Worker::start_priced(Eve, &node.ws_url, &dir.0, "0.005");
	eve.wait_for_offer();
	eve.kill();
	let bob = Worker::start(Bob, &node.ws_url, &dir.0);
	bob.wait_for_offer();

	// The input is sealed to Eve and to Bob, the spare ranked after her. Eve never acknowledges;
	// the requester's watch calls `expire` past her deadline, the replica goes to Bob, and Bob
	// opens the input and runs it.
	let out = offload(
		&node.ws_url,
		Alice,
		&[
			"submit",
			"--program",
			WORDCOUNT,
			"--input",
			"only two can read this",
			"--encrypt",
			"--budget",
			"1",
			"--watch",
		],
	);
	let (eve_id, bob_id) = (account(Eve).to_string(), account(Bob).to_string());
	assert!(out.contains("input sealed to 2 provider(s)"), "{out}");
	assert!(out.contains(&format!("assigned to {eve_id}")), "{out}");
	assert!(out.contains("a deadline passed; calling expire"), "{out}");
	assert!(out.contains(&format!("{eve_id} missed a deadline")), "{out}");
	assert!(out.contains(&format!("assigned to {bob_id}")), "{out}");
	assert!(out.trim_end().ends_with("0 5 22"), "the output is wc's:\n{out}");
	let id = job_id(&out);
	let paid: Vec<_> =
		payments(&all_events(&chain).await, id).into_iter().map(|(who, ..)| who).collect();
	assert_eq!(paid, vec![account(Bob)], "only Bob ran it and was paid");
	// Reputation: Bob's 0.01 OFL success weighs 4 units, (4 + 8) / (4 + 16); Eve's no-show of a
	// job capped at 1 OFL weighs 2 × 10 units against her, 8 / (20 + 16).
	let listed = offload(&node.ws_url, Alice, &["providers"]);
	assert!(listed.contains("reputation 60.0% over 1 job\n"), "{listed}");
	assert!(listed.contains("reputation 22.2% over 1 job\n"), "{listed}");

	// Nobody watches the next job. Eve, still the cheapest, misses it too; her worker, back
	// after the deadline, calls `expire` on its own replica, which frees her slot and hands the
	// job to Bob.
	let out = offload(
		&node.ws_url,
		Alice,
		&["submit", "--program", WORDCOUNT, "--input", "nobody watches", "--budget", "1"],
	);
	let id = job_id(&out);
	let job = offload_worker::requester::job(&chain, id, None).await.unwrap().expect("the job");
	assert_eq!(job.assignments[0].provider, account(Eve), "the cheapest again");
	let ReplicaState::Assigned { ack_by } = job.assignments[0].state else {
		panic!("assigned, not acknowledged: {:?}", job.assignments[0].state)
	};
	while chain.finalized().await.unwrap().number <= ack_by {
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
	eve.spawn();
	eve.wait_for_log(&["sent", "step=Expire", &format!("job={id}")], Duration::from_secs(60));
	// Followed without a key: this watch only reads.
	let Output { stdout, .. } = Command::new(env!("CARGO_BIN_EXE_offload"))
		.args(["--node", &node.ws_url, "watch", &id.to_string()])
		.env_remove("OFFLOAD_SURI")
		.output()
		.expect("offload watch runs");
	let watched = String::from_utf8_lossy(&stdout);
	assert!(watched.contains(&format!("{eve_id} missed a deadline")), "{watched}");
	assert!(watched.contains(&format!("assigned to {bob_id}")), "{watched}");
	assert!(watched.contains("settled"), "{watched}");
	assert!(!watched.contains("calling expire"), "{watched}");
	let eve_now = chain
		.storage(api::storage().registry().providers(), (account(Eve),), None)
		.await
		.unwrap()
		.expect("Eve is registered");
	assert_eq!(eve_now.free, eve_now.offer.resources, "Eve's slot is free again");
	drop(eve);
	drop(bob);
	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}

/// A guest that fills its 16 MiB memory over and over: a few units of fuel a fill, so its fuel
/// bill stays small while it would run for hours.
const BULK_FILLS: &str = r#"(module (memory (export "memory") 256)
  (func (export "_start")
    (loop $l
      (memory.fill (i32.const 0) (i32.const 7) (i32.const 16777216))
      (br $l))))"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_job_that_cannot_run_here_is_given_back_and_a_hostile_one_stops_no_daemon() {
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let (_client, chain) = start_chain(&mut node).await;
	let dir = TempDir::new("offload-e2e-abstain");
	// Eve is the cheapest, but keeps outputs of at most 4 bytes: wc's is longer.
	let eve = Worker::start_with(Eve, &node.ws_url, &dir.0, "0.005", "max_output_bytes = 4");
	eve.wait_for_offer();
	let bob = Worker::start(Bob, &node.ws_url, &dir.0);
	bob.wait_for_offer();
	let (eve_id, bob_id) = (account(Eve).to_string(), account(Bob).to_string());

	// Eve acknowledges and runs it, then gives it back rather than report what depends on her
	// machine; Bob runs it and is paid; nothing is held against Eve.
	let out = offload(
		&node.ws_url,
		Alice,
		&["submit", "--program", WORDCOUNT, "--input", "given back", "--budget", "1", "--watch"],
	);
	assert!(out.contains(&format!("{eve_id} acknowledged")), "{out}");
	assert!(out.contains(&format!("{eve_id} cannot run it and gave it back")), "{out}");
	assert!(out.contains(&format!("assigned to {bob_id}")), "{out}");
	assert!(out.trim_end().ends_with("0 2 10"), "the output is wc's:\n{out}");
	eve.wait_for_log(&["cannot run it here", "host limit"], Duration::from_secs(10));
	let id = job_id(&out);
	let events = all_events(&chain).await;
	let paid: Vec<_> = payments(&events, id).into_iter().map(|(who, ..)| who).collect();
	assert_eq!(paid, vec![account(Bob)]);
	assert!(!events.iter().any(|event| matches!(
		event,
		Event::Escrow(EscrowEvent::BondSlashed { provider, .. }) if *provider == account(Eve)
	)));

	// A guest that would run for hours on a small fuel bill: both workers stop it at the
	// wall-clock bound their deadline leaves (8 blocks of half a second here) and give it
	// back; the job ends refunded, nobody is slashed, and both daemons take the next job.
	let started = Instant::now();
	let hostile = dir.0.join("bulk.wat");
	std::fs::write(&hostile, BULK_FILLS).expect("guest file");
	// It ends without a result, so the command fails after printing the job's events.
	let Output { status, stdout, .. } = Command::new(env!("CARGO_BIN_EXE_offload"))
		.args(["--node", &node.ws_url, "--suri", "//Alice"])
		.args([
			"submit",
			"--program",
			hostile.to_str().expect("utf-8 path"),
			"--fuel",
			"1000000000",
			"--memory-mib",
			"32",
			"--run-blocks",
			"10",
			"--queue-blocks",
			"0",
			"--budget",
			"2",
			"--watch",
		])
		.output()
		.expect("offload runs");
	let out = String::from_utf8_lossy(&stdout);
	assert!(!status.success(), "{out}");
	assert!(out.contains("expired: refunded"), "{out}");
	assert!(out.contains(&format!("{eve_id} cannot run it and gave it back")), "{out}");
	assert!(out.contains(&format!("{bob_id} cannot run it and gave it back")), "{out}");
	assert!(!out.contains("settled: paid"), "{out}");
	assert!(started.elapsed() < Duration::from_secs(90), "took {:?}", started.elapsed());
	for worker in [&eve, &bob] {
		worker.wait_for_log(&["cannot run it here", "timed out"], Duration::from_secs(10));
	}
	assert!(!all_events(&chain)
		.await
		.iter()
		.any(|event| matches!(event, Event::Escrow(EscrowEvent::BondSlashed { .. }))));

	// A compile bomb: 400 KB of nested loops that needs more than a gigabyte to compile. Each
	// worker compiles it in a sandbox process, cut off at the wall-clock bound the replica's
	// deadline leaves, gives the replica back, and stays as small as before.
	let bomb = dir.0.join("bomb.wat");
	std::fs::write(&bomb, bomb::compile_bomb(400 << 10)).expect("guest file");
	let Output { status, stdout, .. } = Command::new(env!("CARGO_BIN_EXE_offload"))
		.args(["--node", &node.ws_url, "--suri", "//Alice"])
		.args(["submit", "--program", bomb.to_str().expect("utf-8 path")])
		.args(["--run-blocks", "10", "--queue-blocks", "0", "--budget", "2", "--watch"])
		.output()
		.expect("offload runs");
	let out = String::from_utf8_lossy(&stdout);
	assert!(!status.success(), "{out}");
	assert!(out.contains("expired: refunded"), "{out}");
	assert!(out.contains(&format!("{eve_id} cannot run it and gave it back")), "{out}");
	assert!(out.contains(&format!("{bob_id} cannot run it and gave it back")), "{out}");
	for worker in [&eve, &bob] {
		let resident = worker.resident();
		eprintln!("a daemon's resident memory after the hostile jobs: {} MiB", resident >> 20);
		assert!(resident < 128 << 20, "a daemon holds {} MiB", resident >> 20);
	}
	assert!(!all_events(&chain)
		.await
		.iter()
		.any(|event| matches!(event, Event::Escrow(EscrowEvent::BondSlashed { .. }))));

	let out = offload(
		&node.ws_url,
		Alice,
		&["submit", "--program", WORDCOUNT, "--input", "still here", "--budget", "1", "--watch"],
	);
	assert!(out.trim_end().ends_with("0 2 10"), "the daemons still run jobs:\n{out}");
	drop(eve);
	drop(bob);
	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}

/// A requester's input server that accepts connections and never answers holds back nothing
/// but that job: the daemon fetches inputs off its main loop, so another job submitted after
/// it is acknowledged, run and settled while the fetch still hangs; when the fetch gives up,
/// the tarpit job is given back, not reported as a failure of the job.
#[tokio::test(flavor = "multi_thread")]
async fn a_tarpit_input_url_does_not_hold_back_other_jobs() {
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let (_client, _chain) = start_chain(&mut node).await;
	let dir = TempDir::new("offload-e2e-tarpit");
	// The inputs here are served from this machine, as on a test network.
	let bob = Worker::start_with(Bob, &node.ws_url, &dir.0, "0.01", "allow_private_inputs = true");
	bob.wait_for_offer();
	let tarpit = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
	let url = format!("http://{}/input", tarpit.local_addr().expect("address"));
	let held = std::thread::spawn(move || {
		// Accepts, reads nothing, answers nothing, keeps the connections open.
		let mut open = Vec::new();
		for stream in tarpit.incoming().take(4).flatten() {
			open.push(stream);
		}
		std::thread::sleep(Duration::from_secs(120));
	});
	let out = offload(
		&node.ws_url,
		Alice,
		&[
			"submit",
			"--program",
			WORDCOUNT,
			"--input-url",
			&url,
			"--input-hash",
			&format!("0x{}", hex::encode([7u8; 32])),
			"--budget",
			"1",
			"--run-blocks",
			"400",
		],
	);
	let tarpitted = job_id(&out);
	bob.wait_for_log(&["sent", "step=Ack", &format!("job={tarpitted}")], Duration::from_secs(30));
	let started = Instant::now();
	let out = offload(
		&node.ws_url,
		Alice,
		&["submit", "--program", WORDCOUNT, "--input", "not held back", "--budget", "1", "--watch"],
	);
	assert!(out.trim_end().ends_with("0 3 13"), "the output is wc's:\n{out}");
	assert!(
		started.elapsed() < Duration::from_secs(45),
		"the second job took {:?}, behind the tarpit",
		started.elapsed()
	);
	// The fetch gives up after a minute; the job is given back, not failed.
	bob.wait_for_log(
		&["cannot run it here", "bad input", "no answer within"],
		Duration::from_secs(90),
	);
	bob.wait_for_log(
		&["sent", "step=Decline", &format!("job={tarpitted}")],
		Duration::from_secs(30),
	);
	drop(bob);
	drop(held);
	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}

/// Every event of finalized blocks `from..=to`, with its block's number and hash.
async fn numbered_events(chain: &Chain, from: u32, to: u32) -> Vec<(u32, Event)> {
	let mut events = Vec::new();
	for number in from..=to {
		let hash = chain.block_hash(number).await.expect("block hash");
		events.extend(
			chain.events(hash).await.expect("events").into_iter().map(|(_, e)| (number, e)),
		);
	}
	events
}

/// The documented reward formula (docs/providers.md), computed here on its own from what the
/// era's events say, not by the pallet's code.
fn expected_reward(
	pot: Balance,
	total_work: Balance,
	length: u32,
	work: Balance,
	fees: Balance,
	live: u32,
) -> Balance {
	const BILLION: u128 = 1_000_000_000;
	let share = pot * work / total_work;
	let uptime = BILLION * u128::from(live.min(length)) / u128::from(length);
	(share * uptime / BILLION).min(fees * 500_000_000 / BILLION)
}

#[tokio::test(flavor = "multi_thread")]
async fn rewards_accrue_over_an_era_each_claim_pays_the_formula_and_the_treasury_pays_a_spend() {
	use api::runtime::runtime_types::{
		pallet_offload_rewards::pallet::Call as RewardsCall,
		pallet_treasury::pallet::Call as TreasuryCall,
	};
	use offload_worker::api::{RewardsEvent, SystemEvent};
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let (_client, chain) = start_chain(&mut node).await;
	let dir = TempDir::new("offload-rewards");
	let (bob, charlie, dave) = (account(Bob), account(Charlie), account(Dave));

	// Governance turns emission off, so the pot is the fees' share alone and each reward is
	// the provider's share of the work times its uptime (with emission on, half the fees its
	// work carried caps it; the pallet's tests cover that).
	let off = api::runtime::Call::Rewards(RewardsCall::set_emission { per_block: 0 });
	chain
		.execute(&Alice.pair(), &api::tx().sudo().sudo(off))
		.await
		.expect("sudo sets the emission");

	let bob_worker = Worker::start_priced(Bob, &node.ws_url, &dir.0, "5");
	let charlie_worker = Worker::start_priced(Charlie, &node.ws_url, &dir.0, "1");
	bob_worker.wait_for_offer();
	charlie_worker.wait_for_offer();
	// One job on both, at a fixed price above both quotes: each replica is paid its own
	// provider's quote, so their work differs.
	let out = offload(
		&node.ws_url,
		Alice,
		&[
			"submit",
			"--program",
			WORDCOUNT,
			"--input",
			"one two",
			"--replicas",
			"2",
			"--price",
			"10",
			"--watch",
		],
	);
	assert!(out.trim_end().ends_with("0 2 7"), "the output is wc's:\n{out}");
	// The era the work counted in, from the events of the jobs' payments.
	let head = chain.finalized().await.expect("head").number;
	let events = numbered_events(&chain, 1, head).await;
	let era = events
		.iter()
		.find_map(|(_, event)| match event {
			Event::Rewards(RewardsEvent::WorkRecorded { era, .. }) => Some(*era),
			_ => None,
		})
		.expect("the payments were recorded as work");

	// Wait for that era to end (200 blocks on the dev chain), while the workers heartbeat.
	let deadline = Instant::now() + Duration::from_secs(300);
	let ended_at = loop {
		let status = chain
			.runtime_call(api::runtime_apis().rewards_api().era(), None)
			.await
			.expect("the era");
		if status.index > era {
			break status.start;
		}
		assert!(Instant::now() < deadline, "era {era} did not end");
		tokio::time::sleep(Duration::from_secs(2)).await;
	};
	let events = numbered_events(&chain, 1, ended_at).await;
	let started_at = events
		.iter()
		.find_map(|(number, event)| match event {
			Event::Rewards(RewardsEvent::EraEnded { era: ended, .. }) if *ended + 1 == era => {
				Some(*number)
			},
			_ => None,
		})
		.unwrap_or(0);
	let length = ended_at - started_at;
	let (pot, total_work, emission) = events
		.iter()
		.find_map(|(_, event)| match event {
			Event::Rewards(RewardsEvent::EraEnded { era: ended, pot, work, emission })
				if *ended == era =>
			{
				Some((*pot, *work, *emission))
			},
			_ => None,
		})
		.expect("the era ended");
	assert_eq!(emission, 0, "emission is off");
	let fed: Balance = events
		.iter()
		.filter_map(|(_, event)| match event {
			Event::Rewards(RewardsEvent::PoolFed { era: fed, amount }) if *fed == era => {
				Some(*amount)
			},
			_ => None,
		})
		.sum();
	assert_eq!(pot, fed, "the pot is the fee shares that fed it");
	let mut expected = Vec::new();
	for who in [&bob, &charlie] {
		let (mut work, mut fees, mut live) = (0, 0, 0);
		for (_, event) in &events {
			match event {
				Event::Rewards(RewardsEvent::WorkRecorded { provider, era: at, work: w, fee })
					if provider == who && *at == era =>
				{
					work += w;
					fees += fee;
				},
				Event::Rewards(RewardsEvent::UptimeRecorded { provider, era: at, blocks })
					if provider == who && *at == era =>
				{
					live += blocks
				},
				_ => {},
			}
		}
		// Half of each fee (2% of the payment, rounded up) fed the pool.
		assert!(work > 0, "{who} worked in era {era}");
		assert!(live > 0 && live <= length, "{who} was live {live} of {length} blocks");
		expected.push((who.clone(), expected_reward(pot, total_work, length, work, fees, live)));
	}
	println!("era {era} ({length} blocks): pot {pot}, work {total_work}; rewards {expected:?}");
	assert!(expected.iter().all(|(_, reward)| *reward > 0), "{expected:?}");
	assert!(expected.iter().map(|(_, reward)| reward).sum::<Balance>() <= pot);

	// What the command line shows, then the claims.
	for (who, keyring) in [(&bob, Bob), (&charlie, Charlie)] {
		let reward = expected.iter().find(|(account, _)| account == who).expect("expected").1;
		let before_at = chain.finalized().await.expect("head");
		let before = chain.free_balance(who, Some(before_at.hash)).await.unwrap();
		let shown = offload(&node.ws_url, keyring, &["rewards"]);
		assert!(
			shown.contains(&format!(
				"claimable now: {}",
				offload_worker::config::format_ofl(reward)
			)),
			"{shown}"
		);
		let out = offload(&node.ws_url, keyring, &["rewards", "--claim"]);
		assert!(out.contains(&format!("era {era}: paid")), "{out}");
		let after_at = chain.finalized().await.expect("head");
		let window = numbered_events(&chain, before_at.number + 1, after_at.number).await;
		let window: Vec<Event> = window.into_iter().map(|(_, event)| event).collect();
		let paid: Vec<_> = window
			.iter()
			.filter_map(|event| match event {
				Event::Rewards(RewardsEvent::Rewarded { provider, era: at, amount })
					if provider == who =>
				{
					Some((*at, *amount))
				},
				_ => None,
			})
			.collect();
		assert_eq!(paid, [(era, reward)], "{who} is paid exactly the formula's reward");
		assert_eq!(
			chain.free_balance(who, Some(after_at.hash)).await.unwrap(),
			before + reward - fees_paid(&window, who),
		);
		// A second claim finds nothing.
		let again = Command::new(env!("CARGO_BIN_EXE_offload"))
			.args([
				"--node",
				&node.ws_url,
				"--suri",
				&format!("//{keyring:?}"),
				"rewards",
				"--claim",
			])
			.output()
			.expect("offload runs");
		assert!(!again.status.success());
		assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to claim"));
	}

	// The treasury, fed by fees, pays a spend that governance (sudo here) approved, to Dave,
	// once anyone (Eve) calls payout.
	let treasury =
		chain.constant(api::constants().treasury().pot_account()).await.expect("its account");
	let amount = MinFee::get();
	let spend = api::runtime::Call::Treasury(TreasuryCall::spend {
		asset_kind: Box::new(()),
		amount,
		beneficiary: Box::new(dave.clone()),
		valid_from: None,
	});
	let approved =
		chain.execute(&Alice.pair(), &api::tx().sudo().sudo(spend)).await.expect("sudo spends");
	let index = approved
		.events
		.iter()
		.find_map(|event| match event {
			Event::Treasury(
				api::runtime::runtime_types::pallet_treasury::pallet::Event::AssetSpendApproved {
					index,
					..
				},
			) => Some(*index),
			_ => None,
		})
		.expect("the spend was approved");
	let dave_before = chain.free_balance(&dave, None).await.unwrap();
	let paid =
		chain.execute(&Eve.pair(), &api::tx().treasury().payout(index)).await.expect("payout");
	assert!(paid
		.events
		.iter()
		.any(|event| matches!(event, Event::System(SystemEvent::ExtrinsicSuccess { .. }))));
	assert_eq!(chain.free_balance(&dave, None).await.unwrap(), dave_before + amount);
	// In the payout's block the treasury paid the spend and received every transaction fee
	// paid there: Eve's, and the workers' heartbeats that may share the block (and, were an
	// era to end in it, paid the pool the era's fee share).
	let head = chain.finalized().await.expect("head").number;
	let mut number = head;
	while chain.block_hash(number).await.expect("block hash") != paid.block {
		assert!(number > 0, "the payout's block is on the finalized chain");
		number -= 1;
	}
	let parent = chain.block_hash(number - 1).await.expect("parent");
	let (mut block_fees, mut to_pool) = (0, 0);
	for (_, event) in chain.events(paid.block).await.expect("events") {
		match event {
			Event::TransactionPayment(
				api::runtime::runtime_types::pallet_transaction_payment::pallet::Event::TransactionFeePaid {
					actual_fee,
					tip,
					..
				},
			) => block_fees += actual_fee + tip,
			Event::Rewards(RewardsEvent::PoolFed { amount, .. }) => to_pool += amount,
			_ => {},
		}
	}
	assert!(block_fees >= fees_paid(&paid.events, &account(Eve)));
	assert_eq!(
		chain.free_balance(&treasury, Some(paid.block)).await.unwrap(),
		chain.free_balance(&treasury, Some(parent)).await.unwrap() - amount + block_fees - to_pool
	);
}

/// A settled period: (block, paid?, amount, fee, jobs missed).
type Settlement = (u32, bool, Balance, Balance, u32);

/// Subscription `id`'s settlements in finalized blocks `from..`, and its end if it ended.
async fn settlements(
	chain: &Chain,
	id: u64,
	from: u32,
) -> (Vec<Settlement>, Option<(u32, api::EndReason, Balance)>) {
	use offload_worker::api::SubscriptionsEvent;
	let head = chain.finalized().await.expect("head").number;
	let mut periods = Vec::new();
	let mut ended = None;
	for (number, event) in numbered_events(chain, from, head).await {
		match event {
			Event::Subscriptions(SubscriptionsEvent::PeriodPaid {
				subscription,
				amount,
				fee,
				..
			}) if subscription == id => periods.push((number, true, amount, fee, 0)),
			Event::Subscriptions(SubscriptionsEvent::PeriodRefunded {
				subscription,
				amount,
				missed_jobs,
				..
			}) if subscription == id => periods.push((number, false, amount, 0, missed_jobs)),
			Event::Subscriptions(SubscriptionsEvent::Ended { subscription, reason, refunded })
				if subscription == id =>
			{
				ended = Some((number, reason, refunded))
			},
			_ => {},
		}
	}
	(periods, ended)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscription_runs_the_requesters_jobs_pays_the_periods_served_and_refunds_the_one_missed(
) {
	use offload_worker::api::SubscriptionsEvent;
	// Three periods outlast the default 256 blocks of state kept; the money check reads them
	// all.
	let mut node = DevNode::start(&["--dev-block-time", "500", "--state-pruning", "archive"]);
	let (_client, chain) = start_chain(&mut node).await;
	let dir = TempDir::new("offload-subscription");
	let (alice, bob) = (account(Alice), account(Bob));
	let mut bob_worker = Worker::start(Bob, &node.ws_url, &dir.0);
	bob_worker.wait_for_offer();
	let period = offload_runtime::configs::compute::MinPeriod::get();
	// The program her jobs run, uploaded first: its deposit is not the subscription's money.
	let uploaded = offload(&node.ws_url, Alice, &["upload", WORDCOUNT]);
	let program = uploaded.trim().lines().last().expect("the program's hash").to_string();

	// Alice asks, then rents a core of Bob's for three of the shortest periods.
	let quote = offload(
		&node.ws_url,
		Alice,
		&["subscribe", "--quote", "--runtime", "wasm", "--period", &period.to_string()],
	);
	assert!(quote.contains(&format!("provider {bob}")), "{quote}");
	let before = chain.finalized().await.expect("head");
	let alice_start = chain.free_balance(&alice, Some(before.hash)).await.unwrap();
	let bob_start = chain.free_balance(&bob, Some(before.hash)).await.unwrap();
	let out = offload(
		&node.ws_url,
		Alice,
		&[
			"subscribe",
			"--runtime",
			"wasm",
			"--period",
			&period.to_string(),
			"--periods",
			"3",
			"--max-price",
			"10",
		],
	);
	let id: u64 = out
		.split_whitespace()
		.nth(1)
		.and_then(|word| word.trim_end_matches(':').parse().ok())
		.unwrap_or_else(|| panic!("a subscription id in {out:?}"));
	let events =
		numbered_events(&chain, before.number + 1, chain.finalized().await.unwrap().number).await;
	let price = events
		.iter()
		.find_map(|(_, event)| match event {
			Event::Subscriptions(SubscriptionsEvent::Subscribed {
				subscription, price, ..
			}) if *subscription == id => Some(*price),
			_ => None,
		})
		.expect("subscribed");
	let listed = offload(&node.ws_url, Alice, &["subscriptions"]);
	assert!(listed.contains(&format!("subscription {id}: rented from {bob}")), "{listed}");
	let served = offload(&node.ws_url, Bob, &["subscriptions"]);
	assert!(served.contains(&format!("subscription {id}: rented by {alice}")), "{served}");
	// Alice's jobs on the subscription: on Bob's worker, no matching, no price of their own;
	// a short run, so that each fits in what is left of its period.
	let on_subscription = |input: &str, watch: bool| {
		let subscription = id.to_string();
		let mut args = vec![
			"submit",
			"--subscription",
			&subscription,
			"--program",
			&program,
			"--input",
			input,
			"--run-blocks",
			"20",
		];
		if watch {
			args.push("--watch");
		}
		let out = offload(&node.ws_url, Alice, &args);
		assert!(out.contains(&format!("runs on subscription {id}")), "{out}");
		assert!(out.contains(&format!("assigned to {bob}")), "{out}");
		(job_id(&out), out)
	};
	let (first_job, out) = on_subscription("rented time\n", true);
	assert!(out.contains("providers paid 0 OFL"), "the periods pay, not the job: {out}");
	assert!(out.trim_end().ends_with("1 2 12"), "the output is wc's:\n{out}");
	let status = offload(&node.ws_url, Alice, &["status", &first_job.to_string()]);
	assert!(status.contains(&format!("on subscription {id}")), "{status}");

	// Waits until `count` periods settled; returns them and the end.
	let wait = |count: usize| {
		let chain = &chain;
		async move {
			let deadline = Instant::now() + Duration::from_secs(u64::from(period) * 2);
			loop {
				let found = settlements(chain, id, before.number + 1).await;
				if found.0.len() >= count {
					return found;
				}
				assert!(
					Instant::now() < deadline,
					"period {count} of subscription {id} did not settle"
				);
				tokio::time::sleep(Duration::from_secs(2)).await;
			}
		}
	};
	// Period 1: Bob's worker heartbeats all along and ran the job: paid.
	let (periods, _) = wait(1).await;
	assert!(periods[0].1, "period 1 was served and paid: {periods:?}");
	// Period 2: Bob's worker is down all period, and Alice's job of it is never run: refunded
	// whole, the job counted as missed.
	bob_worker.kill();
	let (missed_job, _) = on_subscription("nobody runs this\n", false);
	let (periods, _) = wait(2).await;
	assert!(!periods[1].1, "period 2 was not served: {periods:?}");
	assert_eq!(periods[1].4, 1, "its job was missed: {periods:?}");
	// Period 3: back up: the worker ends the missed job itself (its deadline passed), runs
	// Alice's new job, and is paid; then the subscription ends, its prepayment spent.
	bob_worker.spawn();
	bob_worker.wait_for_lines(&["connected", "node="], 2, Duration::from_secs(60));
	let (third_job, out) = on_subscription("served again\n", true);
	assert!(out.trim_end().ends_with("1 2 13"), "the output is wc's:\n{out}");
	let (periods, ended) = wait(3).await;
	assert!(periods[2].1, "period 3 was served again: {periods:?}");
	let deadline = Instant::now() + Duration::from_secs(30);
	let (end_block, reason, refunded) = loop {
		if let (_, Some(ended)) = settlements(&chain, id, before.number + 1).await {
			break ended;
		}
		assert!(Instant::now() < deadline, "subscription {id} did not end: {ended:?}");
		tokio::time::sleep(Duration::from_secs(1)).await;
	};
	assert!(matches!(reason, api::EndReason::Expired), "{reason:?}");
	assert_eq!(refunded, 0, "every prepaid period was settled");

	// Money: each paid period moved its price to Bob and its fee to the treasury; the refunded
	// one came back to Alice whole, with the deposit. Balances read at the end's block.
	let fee = periods[0].3;
	assert_eq!(
		fee,
		(price * 2).div_ceil(100).max(MinFee::get()),
		"2%, rounded up, at least the floor"
	);
	assert_eq!(
		periods.iter().filter(|period| period.1).map(|period| period.2).sum::<Balance>(),
		2 * price
	);
	assert_eq!(periods[1].2, price + fee, "the refund is the period and its fee");
	let end = chain.block_hash(end_block).await.expect("the end's block");
	let window: Vec<Event> = numbered_events(&chain, before.number + 1, end_block)
		.await
		.into_iter()
		.map(|(_, event)| event)
		.collect();
	// The jobs themselves paid nobody: the two run hold their deposits until cleared; the
	// missed one's went to whoever expired it (Bob's worker, on its return).
	assert!(payments(&window, first_job).is_empty() && payments(&window, third_job).is_empty());
	let expired_by = window
		.iter()
		.find_map(|event| match event {
			Event::Market(MarketEvent::JobExpired { job, caller, .. }) if *job == missed_job => {
				Some(caller.clone())
			},
			_ => None,
		})
		.expect("the missed job was expired");
	assert_eq!(expired_by, bob);
	assert_eq!(
		chain.free_balance(&alice, Some(end)).await.unwrap(),
		alice_start - 2 * (price + fee) - 3 * JobDeposit::get() - fees_paid(&window, &alice)
	);
	assert_eq!(
		chain.free_balance(&bob, Some(end)).await.unwrap(),
		bob_start + 2 * price + JobDeposit::get() - fees_paid(&window, &bob)
	);
	let listed = offload(&node.ws_url, Alice, &["subscriptions"]);
	assert!(listed.contains("no subscriptions"), "{listed}");
}

/// Serves `body` to every HTTP request on a local port until the test ends; returns its URL.
fn serve_file(body: Vec<u8>) -> String {
	use std::io::{Read, Write};
	let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
	let url = format!("http://{}/dataset", listener.local_addr().expect("address"));
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

#[tokio::test(flavor = "multi_thread")]
async fn a_job_over_a_sealed_dataset_settles_pays_the_owner_and_only_its_provider_opens_the_data() {
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let (_client, chain) = start_chain(&mut node).await;
	let dir = TempDir::new("offload-e2e-datasets");
	// The dataset is served from this machine, as on a test network.
	let bob = Worker::start_with(Bob, &node.ws_url, &dir.0, "0.01", "allow_private_inputs = true");
	bob.wait_for_offer();

	// Dave owns the data: he seals it, serves the sealed file, registers it for the word-count
	// program only, and runs his key service.
	let plain = dir.0.join("records.txt");
	let secret_text = "alpha beta gamma delta\nepsilon\n";
	std::fs::write(&plain, secret_text).expect("write the data");
	let sealed_path = dir.0.join("records.sealed");
	offload(
		&node.ws_url,
		Dave,
		&["data", "seal", plain.to_str().unwrap(), "--out", sealed_path.to_str().unwrap()],
	);
	let sealed = std::fs::read(&sealed_path).expect("the sealed file");
	assert!(!sealed.windows(5).any(|window| window == b"alpha"), "the served bytes are sealed");
	let url = serve_file(sealed.clone());
	let uploaded = offload(&node.ws_url, Alice, &["upload", WORDCOUNT]);
	let program = uploaded.lines().last().expect("the program's hash").trim().to_string();
	let dave_before = chain.finalized().await.unwrap();
	let out = offload(
		&node.ws_url,
		Dave,
		&[
			"data",
			"register",
			sealed_path.to_str().unwrap(),
			"--url",
			&url,
			"--royalty",
			"0.5",
			"--program",
			&program,
		],
	);
	assert!(out.starts_with("dataset 0:") && out.contains("sealed"), "{out}");
	let listed = offload(&node.ws_url, Alice, &["data", "list"]);
	assert!(listed.contains("royalty 0.5 OFL, sealed; 0 open job(s)"), "{listed}");
	let mut serve = Command::new(env!("CARGO_BIN_EXE_offload"))
		.args(["--node", &node.ws_url, "--suri", "//Dave", "data", "serve", "--allow-private"])
		.stdout(std::process::Stdio::piped())
		.spawn()
		.expect("offload data serve starts");

	// Another program may not use it: refused at submission, nothing held.
	let other = dir.0.join("slow.wat");
	std::fs::write(&other, SLOW).expect("write the program");
	let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_offload"))
		.args(["--node", &node.ws_url, "--suri", "//Alice", "submit", "--program"])
		.args([other.to_str().unwrap(), "--dataset", "0", "--budget", "1"])
		.output()
		.expect("offload runs");
	let refused =
		format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr));
	assert!(!status.success() && refused.contains("ProgramNotAllowed"), "{refused}");

	// Alice's job counts the words of her parameters followed by the dataset. Bob is
	// assigned; Dave's service grants him the key; Bob opens the data and runs it.
	let out = offload(
		&node.ws_url,
		Alice,
		&[
			"submit",
			"--program",
			WORDCOUNT,
			"--input",
			"two words ",
			"--dataset",
			"0",
			"--budget",
			"1",
			"--watch",
		],
	);
	assert!(out.contains("the datasets charge 0.5 OFL in royalties"), "{out}");
	assert!(out.contains("over dataset(s) 0, royalties at most 0.5 OFL"), "{out}");
	// wc of "two words alpha beta gamma delta\nepsilon\n": 2 lines, 7 words, 41 bytes.
	assert!(out.trim_end().ends_with("2 7 41"), "the output is wc's over the data:\n{out}");
	let id = job_id(&out);
	bob.wait_for_log(&["sent", "step=Submit", &format!("job={id}")], Duration::from_secs(5));

	// The royalty went to Dave, once, at settlement: his balance is what he started with,
	// less the record's deposit and his fees, plus the royalty.
	let royalty = UNIT / 2;
	let head = chain.finalized().await.unwrap();
	let mut events = Vec::new();
	let mut granted_at = None;
	for number in dave_before.number + 1..=head.number {
		let hash = chain.block_hash(number).await.unwrap();
		for (_, event) in chain.events(hash).await.unwrap() {
			if matches!(&event, Event::Datasets(api::DatasetsEvent::KeyGranted { job, .. }) if *job == id)
			{
				granted_at = Some(hash);
			}
			events.push(event);
		}
	}
	let paid: Vec<_> = events
		.iter()
		.filter_map(|event| match event {
			Event::Datasets(api::DatasetsEvent::RoyaltyPaid { job, dataset, owner, amount }) => {
				Some((*job, *dataset, owner.clone(), *amount))
			},
			_ => None,
		})
		.collect();
	assert_eq!(paid, vec![(id, 0, account(Dave), royalty)]);
	let deposit = offload_runtime::configs::compute::DatasetDepositBase::get()
		+ offload_runtime::configs::compute::DatasetDepositPerByte::get()
			* (url.len() as u128 + 32);
	let dave_start = chain.free_balance(&account(Dave), Some(dave_before.hash)).await.unwrap();
	let dave_end = chain.free_balance(&account(Dave), Some(head.hash)).await.unwrap();
	assert_eq!(dave_end, dave_start - deposit - fees_paid(&events, &account(Dave)) + royalty);
	let job = offload_worker::requester::job(&chain, id, None).await.unwrap().expect("the job");
	assert!(matches!(job.phase, Phase::Settled { result: Some(_), .. }), "{:?}", job.phase);

	// The key was granted to Bob alone: with it, Bob's key opens the data; Charlie, a
	// provider that was not assigned, cannot, and neither can anyone without a grant.
	let granted_at = granted_at.expect("Dave's service granted the key");
	let grant = chain
		.storage(api::storage().datasets().key_grants(), (id, 0), Some(granted_at))
		.await
		.unwrap()
		.expect("the grant, while the job ran")
		.0;
	let secret = |who: Sr25519Keyring| offload_worker::envelope::secret_of(&who.pair());
	assert_eq!(
		offload_worker::envelope::open_dataset(&sealed, &grant, &secret(Bob)).unwrap(),
		secret_text.as_bytes()
	);
	assert_eq!(
		offload_worker::envelope::open_dataset(&sealed, &grant, &secret(Charlie)),
		Err(offload_worker::envelope::EnvelopeError::NotARecipient)
	);
	// Settled: the grant is gone from the chain, and the dataset is free to remove.
	let gone = chain.storage(api::storage().datasets().key_grants(), (id, 0), None).await.unwrap();
	assert!(gone.is_none());
	let _ = serve.kill();
	let _ = serve.wait();
	drop(bob);
	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}
