//! Test support: start the real `offload-node --dev` binary and talk to it over WebSocket
//! JSON-RPC, the way any client does.

#![allow(dead_code)]

use codec::{Decode, Encode};
use jsonrpsee::{
	core::client::{ClientT, Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use offload_runtime::{
	AccountId, Balance, Hash, Nonce, RuntimeCall, RuntimeEvent, SignedPayload, UncheckedExtrinsic,
};
use serde_json::Value;
use sp_core::crypto::Ss58Codec;
use sp_core::Pair;
use sp_keyring::Sr25519Keyring;
use std::{
	net::TcpListener,
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// How long a debug-built node may take to start (it compiles the runtime at start-up).
pub const START_TIMEOUT: Duration = Duration::from_secs(240);

/// The `offload-node` binary: Cargo's for the node's own tests; for another package's tests
/// (which include this module by path), the one `cargo test --workspace` built beside them.
pub fn node_binary() -> PathBuf {
	if let Some(path) = option_env!("CARGO_BIN_EXE_offload-node") {
		return path.into();
	}
	let exe = std::env::current_exe().expect("the test knows its own path");
	let path = exe
		.parent()
		.and_then(std::path::Path::parent)
		.map(|dir| dir.join("offload-node"))
		.expect("the test runs from a cargo target dir");
	assert!(path.exists(), "{} is missing: build the workspace first", path.display());
	path
}

/// A running `offload-node --dev`, stopped with SIGINT (then SIGKILL) when dropped, so the node
/// stops also when a test fails.
pub struct DevNode {
	child: Child,
	args: Vec<String>,
	/// WebSocket RPC address.
	pub ws_url: String,
	/// Where the node's output goes.
	pub log_path: PathBuf,
	_dir: TempDir,
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
	/// A fresh directory under the system's temp dir.
	pub fn new(prefix: &str) -> Self {
		let nanos = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map(|d| d.as_nanos())
			.unwrap_or_default();
		let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
		std::fs::create_dir_all(&path).expect("temp dir can be created");
		Self(path)
	}
}

impl Drop for TempDir {
	fn drop(&mut self) {
		// A failing test's files (workers' logs and stores) are what explains it: kept.
		if std::thread::panicking() {
			eprintln!("kept {} for inspection", self.0.display());
			return;
		}
		let _ = std::fs::remove_dir_all(&self.0);
	}
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|listener| listener.local_addr())
		.map(|addr| addr.port())
		.expect("an ephemeral port is available")
}

impl DevNode {
	/// Starts the node binary with `--dev` on free ports, its data under a temp dir.
	pub fn start(extra_args: &[&str]) -> Self {
		let dir = TempDir::new("offload-node-test");
		let rpc_port = free_port();
		let p2p_port = free_port();
		let log_path = dir.0.join("node.log");
		let mut args: Vec<String> = ["--dev", "--no-prometheus", "--no-telemetry", "--no-mdns"]
			.into_iter()
			.map(String::from)
			.collect();
		args.extend([
			"--rpc-port".into(),
			rpc_port.to_string(),
			"--port".into(),
			p2p_port.to_string(),
		]);
		args.extend(["--base-path".into(), dir.0.join("chain").display().to_string()]);
		args.extend(extra_args.iter().map(|arg| arg.to_string()));
		let child = Self::spawn(&args, &log_path);
		Self { child, args, ws_url: format!("ws://127.0.0.1:{rpc_port}"), log_path, _dir: dir }
	}

	fn spawn(args: &[String], log_path: &std::path::Path) -> Child {
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(log_path)
			.expect("log file can be opened");
		Command::new(node_binary())
			.args(args)
			.stdout(Stdio::from(log.try_clone().expect("log handle clones")))
			.stderr(Stdio::from(log))
			.spawn()
			.expect("offload-node starts")
	}

	/// Stops the node and starts it again on the same ports and database.
	pub fn restart(&mut self) {
		assert!(self.stop(), "offload-node did not exit on SIGINT:\n{}", self.log());
		self.child = Self::spawn(&self.args, &self.log_path);
	}

	/// The node's output so far (for failure messages).
	pub fn log(&self) -> String {
		std::fs::read_to_string(&self.log_path).unwrap_or_default()
	}

	/// Connects over WebSocket, retrying until the node answers or [`START_TIMEOUT`] passes.
	pub async fn connect(&mut self) -> WsClient {
		let deadline = Instant::now() + START_TIMEOUT;
		loop {
			if let Ok(Some(status)) = self.child.try_wait() {
				panic!("offload-node exited early with {status}:\n{}", self.log());
			}
			if let Ok(client) = WsClientBuilder::default()
				.request_timeout(Duration::from_secs(60))
				.build(&self.ws_url)
				.await
			{
				if client.request::<Value, _>("system_chain", rpc_params![]).await.is_ok() {
					return client;
				}
			}
			assert!(Instant::now() < deadline, "offload-node did not answer RPC:\n{}", self.log());
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}

	/// Sends SIGINT and waits for a clean exit; returns whether the node exited by itself.
	pub fn stop(&mut self) -> bool {
		if matches!(self.child.try_wait(), Ok(Some(_))) {
			return true;
		}
		// SAFETY: `kill` with a child's pid and a signal number has no memory effects.
		unsafe {
			libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
		}
		let deadline = Instant::now() + Duration::from_secs(30);
		while Instant::now() < deadline {
			if let Ok(Some(_)) = self.child.try_wait() {
				return true;
			}
			std::thread::sleep(Duration::from_millis(100));
		}
		let _ = self.child.kill();
		let _ = self.child.wait();
		false
	}
}

impl Drop for DevNode {
	fn drop(&mut self) {
		self.stop();
	}
}

/// Number of a header as JSON-RPC returns it (`"0x1a"`).
pub fn header_number(header: &Value) -> u32 {
	let hex = header["number"].as_str().expect("header has a number");
	u32::from_str_radix(hex.trim_start_matches("0x"), 16).expect("number is hex")
}

/// The latest finalized block number.
pub async fn finalized_number(client: &WsClient) -> u32 {
	let hash: String =
		client.request("chain_getFinalizedHead", rpc_params![]).await.expect("finalized head");
	let header: Value = client.request("chain_getHeader", rpc_params![hash]).await.expect("header");
	header_number(&header)
}

/// Waits until the finalized block number reaches `number`.
pub async fn wait_for_finalized(client: &WsClient, number: u32, timeout: Duration) -> u32 {
	let deadline = Instant::now() + timeout;
	loop {
		let finalized = finalized_number(client).await;
		if finalized >= number {
			return finalized;
		}
		assert!(Instant::now() < deadline, "finalized block stuck at {finalized}, wanted {number}");
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}

/// Storage key of `System::Account(who)`.
fn account_key(who: &AccountId) -> String {
	let mut key = sp_io::hashing::twox_128(b"System").to_vec();
	key.extend(sp_io::hashing::twox_128(b"Account"));
	key.extend(sp_io::hashing::blake2_128(who.as_ref()));
	key.extend(who.encode());
	sp_core::bytes::to_hex(&key, false)
}

/// Reads a storage value at `at` (or the best block) and decodes it.
pub async fn storage<T: Decode>(client: &WsClient, key: String, at: Option<&str>) -> Option<T> {
	let value: Option<String> =
		client.request("state_getStorage", rpc_params![key, at]).await.expect("state_getStorage");
	value.map(|hex| {
		let bytes = sp_core::bytes::from_hex(&hex).expect("storage is hex");
		T::decode(&mut &bytes[..]).expect("storage decodes")
	})
}

/// Free balance of `who` at `at`.
pub async fn free_balance(client: &WsClient, who: &AccountId, at: Option<&str>) -> Balance {
	storage::<frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>>>(
		client,
		account_key(who),
		at,
	)
	.await
	.map(|info| info.data.free)
	.unwrap_or_default()
}

/// The events of block `at`.
pub async fn events(client: &WsClient, at: &str) -> Vec<RuntimeEvent> {
	let mut key = sp_io::hashing::twox_128(b"System").to_vec();
	key.extend(sp_io::hashing::twox_128(b"Events"));
	storage::<Vec<frame_system::EventRecord<RuntimeEvent, Hash>>>(
		client,
		sp_core::bytes::to_hex(&key, false),
		Some(at),
	)
	.await
	.unwrap_or_default()
	.into_iter()
	.map(|record| record.event)
	.collect()
}

/// Signs `call` as `signer` with the chain's genesis hash and runtime version read over RPC.
pub async fn sign(
	client: &WsClient,
	signer: Sr25519Keyring,
	call: RuntimeCall,
) -> UncheckedExtrinsic {
	let account = signer.to_account_id();
	let nonce: Nonce = client
		.request("system_accountNextIndex", rpc_params![account.to_ss58check()])
		.await
		.expect("system_accountNextIndex");
	let genesis: String =
		client.request("chain_getBlockHash", rpc_params![0]).await.expect("genesis hash");
	let genesis = Hash::from_slice(&sp_core::bytes::from_hex(&genesis).expect("hash is hex"));
	let version: Value =
		client.request("state_getRuntimeVersion", rpc_params![]).await.expect("runtime version");
	let spec_version = version["specVersion"].as_u64().expect("specVersion") as u32;
	let tx_version = version["transactionVersion"].as_u64().expect("transactionVersion") as u32;

	// Signed with the runtime's own types, independently of the worker's client: immortal, no
	// tip, no metadata hash.
	let extension = offload_runtime::tx_extension(nonce);
	let implicit = ((), (), spec_version, tx_version, genesis, genesis, (), (), (), None);
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(|bytes| signer.pair().sign(bytes));
	UncheckedExtrinsic::new_signed(call, account.into(), signature.into(), extension)
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

/// Submits `extrinsic` and waits until a block that includes it is finalized; returns that
/// block's hash.
pub async fn submit_and_wait_finalized(client: &WsClient, extrinsic: UncheckedExtrinsic) -> String {
	let hex = sp_core::bytes::to_hex(&extrinsic.encode(), false);
	let mut updates: Subscription<Value> = client
		.subscribe("author_submitAndWatchExtrinsic", rpc_params![hex], "author_unwatchExtrinsic")
		.await
		.expect("the extrinsic is accepted by the pool");
	// A parachain's blocks are final a minute or more after they are built on a relay chain.
	let deadline = Instant::now() + Duration::from_secs(300);
	loop {
		let remaining = deadline.saturating_duration_since(Instant::now());
		let update = tokio::time::timeout(remaining, updates.next())
			.await
			.expect("the extrinsic was finalized in time")
			.expect("the subscription stays open")
			.expect("status updates decode");
		if let Some(hash) = update.get("finalized").and_then(Value::as_str) {
			return hash.to_string();
		}
		for bad in ["invalid", "dropped", "usurped", "finalityTimeout"] {
			assert!(
				update.get(bad).is_none() && update != Value::String(bad.into()),
				"extrinsic {bad}: {update}"
			);
		}
	}
}

/// Signs `call` as `signer`, submits it, and waits for finality. Returns the block's events and
/// the fee `signer` paid. Panics if the extrinsic failed.
pub async fn execute(
	client: &WsClient,
	signer: Sr25519Keyring,
	call: RuntimeCall,
) -> (Vec<RuntimeEvent>, Balance) {
	let who = signer.to_account_id();
	let extrinsic = sign(client, signer, call).await;
	let block = submit_and_wait_finalized(client, extrinsic).await;
	let events = events(client, &block).await;
	let failed = events.iter().find(|event| {
		matches!(event, RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { .. }))
	});
	assert!(failed.is_none(), "the extrinsic failed: {failed:?}");
	let fee = fees_paid(&events, &who);
	assert!(fee > 0, "the signer paid a fee");
	(events, fee)
}
