//! The worker's HTTP endpoint faces anyone: clients that hold connections open are cut off,
//! and nobody but a job's requester learns whether a result exists here.

use offload_worker::{
	api::{Report, Usage},
	chain::account_of,
	http::{self, HEADER_TIMEOUT, MAX_CONNECTIONS},
	metrics::Metrics,
	store::{LocalJob, Store},
};
use sp_core::Pair;
use sp_keyring::Sr25519Keyring::{Alice, Eve};
use std::{
	io::{Read, Write},
	net::{SocketAddr, TcpStream},
	sync::Arc,
	time::{Duration, Instant},
};

/// An endpoint serving a store that holds Alice's result of job 5, which has settled, and of
/// job 7, which has not.
async fn endpoint(dir: &std::path::Path) -> SocketAddr {
	endpoint_and_store(dir).await.0
}

async fn endpoint_and_store(dir: &std::path::Path) -> (SocketAddr, Arc<Store>) {
	let (address, store, _) = stoppable_endpoint(dir).await;
	(address, store)
}

/// [`endpoint_and_store`], with the token that stops it.
async fn stoppable_endpoint(
	dir: &std::path::Path,
) -> (SocketAddr, Arc<Store>, tokio_util::sync::CancellationToken) {
	let store = Arc::new(Store::open(dir).expect("store"));
	let result = store.put_result(b"the output").expect("result kept");
	let job = LocalJob {
		requester: Some(account_of(&Alice.pair())),
		report: Some(Report { result, ok: true, usage: Usage { fuel: 0, seconds: 0 } }),
		..Default::default()
	};
	store.set_job(5, &LocalJob { settled: true, ..job.clone() }).expect("job kept");
	store.set_job(7, &job).expect("job kept");
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listen");
	let address = listener.local_addr().expect("address");
	let served = store.clone();
	let realm = http::Realm::new(PROVIDER);
	realm.genesis.set(GENESIS).expect("unset");
	let stop = tokio_util::sync::CancellationToken::new();
	tokio::spawn(http::serve(
		listener,
		served,
		Arc::new(Metrics::new().expect("metrics")),
		Arc::new(realm),
		stop.clone(),
	));
	(address, store, stop)
}

/// The chain and the provider of the endpoint.
const GENESIS: [u8; 32] = [0x61; 32];
const PROVIDER: [u8; 32] = [0x62; 32];

/// A plain HTTP/1.1 GET of `path` with `headers`; the status line and the body.
fn get_with(address: SocketAddr, path: &str, headers: &str) -> (String, String) {
	let mut stream = TcpStream::connect(address).expect("connect");
	stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
	write!(stream, "GET {path} HTTP/1.1\r\nHost: worker\r\n{headers}Connection: close\r\n\r\n")
		.expect("send");
	let mut answer = String::new();
	let _ = stream.read_to_string(&mut answer);
	let status = answer.lines().next().unwrap_or_default().to_string();
	let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
	(status, body)
}

fn get(address: SocketAddr, path: &str) -> (String, String) {
	get_with(address, path, "")
}

/// The signature headers of `who`'s request for `job`'s result from `provider` on the chain of
/// `genesis`, valid until `expires`.
fn signed(
	who: sp_keyring::Sr25519Keyring,
	genesis: [u8; 32],
	provider: [u8; 32],
	job: u64,
	expires: u64,
) -> String {
	let signature = who.pair().sign(&http::result_request(&genesis, &provider, job, expires));
	format!(
		"x-offload-signature: 0x{}\r\nx-offload-expires: {expires}\r\n",
		hex::encode(signature.0)
	)
}

/// `who`'s request for `job`'s result from this endpoint, valid for a minute.
fn signed_by(who: sp_keyring::Sr25519Keyring, job: u64) -> String {
	signed(who, GENESIS, PROVIDER, job, http::unix_now() + 60)
}

/// `who`'s request for `job`'s result, sent to `address`.
fn fetch(address: SocketAddr, who: sp_keyring::Sr25519Keyring, job: u64) -> (String, String) {
	get_with(address, &format!("/results/{job}"), &signed_by(who, job))
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_that_trickle_their_headers_are_cut_off_and_do_not_lock_out_others() {
	let dir = std::env::temp_dir().join(format!("offload-endpoint-slow-{}", std::process::id()));
	let address = endpoint(&dir).await;
	let started = Instant::now();
	// More connections than the endpoint holds, each sending half a request and then nothing.
	let held: Vec<TcpStream> = (0..MAX_CONNECTIONS + 44)
		.map(|_| {
			let mut stream = TcpStream::connect(address).expect("connect");
			stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: wor").expect("send");
			stream
		})
		.collect();
	// Someone else still gets an answer, once the trickling connections are cut off.
	let (status, body) =
		tokio::task::spawn_blocking(move || get(address, "/metrics")).await.expect("client");
	assert!(status.contains("200"), "{status}");
	assert!(body.contains("offload_jobs_run_total"), "{body}");
	assert!(started.elapsed() < HEADER_TIMEOUT * 3, "answered after {:?}", started.elapsed());
	// The first of them was closed by the server, not left open.
	let mut first = held.into_iter().next().expect("one");
	first.set_read_timeout(Some(HEADER_TIMEOUT * 2)).expect("timeout");
	let mut rest = Vec::new();
	// A closed connection reads to its end; one the server kept would time out here.
	let read = first.read_to_end(&mut rest);
	assert!(read.is_ok(), "the server kept the connection: {read:?}");
	let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_but_the_requester_learns_which_results_exist() {
	let dir = std::env::temp_dir().join(format!("offload-endpoint-oracle-{}", std::process::id()));
	let address = endpoint(&dir).await;
	let answers = tokio::task::spawn_blocking(move || {
		[
			fetch(address, Alice, 5),
			// Job 5's result exists here, but Eve is not its requester...
			fetch(address, Eve, 5),
			// ...and job 6 has none: the two refusals are the same.
			fetch(address, Eve, 6),
		]
	})
	.await
	.expect("client");
	assert!(answers[0].0.contains("200"), "{:?}", answers[0]);
	assert_eq!(answers[0].1, "the output");
	assert!(answers[1].0.contains("404"), "{:?}", answers[1]);
	assert_eq!(answers[1], answers[2]);
	let _ = std::fs::remove_dir_all(&dir);
}

/// A requester that could fetch the output before settling could ask for one replica more than
/// can match, take the output, and let the job expire unpaid. The output is served only once
/// the job has settled with this worker's result.
#[tokio::test(flavor = "multi_thread")]
async fn an_output_is_served_only_once_its_job_has_settled() {
	let dir = std::env::temp_dir().join(format!("offload-endpoint-settled-{}", std::process::id()));
	let (address, store) = endpoint_and_store(&dir).await;
	let early =
		tokio::task::spawn_blocking(move || fetch(address, Alice, 7)).await.expect("client");
	assert!(early.0.contains("425"), "{early:?}");
	assert!(!early.1.contains("the output"), "{early:?}");
	// Eve learns nothing more than before: her refusal is the plain one.
	let eve = tokio::task::spawn_blocking(move || fetch(address, Eve, 7)).await.expect("client");
	assert!(eve.0.contains("404"), "{eve:?}");

	let mut job = store.job(7).expect("job");
	job.settled = true;
	store.set_job(7, &job).expect("job kept");
	let late = tokio::task::spawn_blocking(move || fetch(address, Alice, 7)).await.expect("client");
	assert!(late.0.contains("200"), "{late:?}");
	assert_eq!(late.1, "the output");
	let _ = std::fs::remove_dir_all(&dir);
}

/// Whoever overhears Alice's request (a proxy, another replica she fetched from, a log) cannot
/// use it again: not at another provider, not on another chain, not once it has expired; and
/// a signature valid for long, or sent in the query string as before, is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_result_request_cannot_be_replayed_elsewhere_or_later() {
	let dir = std::env::temp_dir().join(format!("offload-endpoint-replay-{}", std::process::id()));
	let address = endpoint(&dir).await;
	let now = http::unix_now();
	let answers = tokio::task::spawn_blocking(move || {
		let path = "/results/5";
		[
			get_with(address, path, &signed(Alice, GENESIS, PROVIDER, 5, now + 60)),
			// Signed for another replica of the job.
			get_with(address, path, &signed(Alice, GENESIS, [0x63; 32], 5, now + 60)),
			// Signed on another chain.
			get_with(address, path, &signed(Alice, [0x64; 32], PROVIDER, 5, now + 60)),
			// Expired.
			get_with(address, path, &signed(Alice, GENESIS, PROVIDER, 5, now - 1)),
			// Valid for a day.
			get_with(address, path, &signed(Alice, GENESIS, PROVIDER, 5, now + 86_400)),
			// The old form, in the query string.
			get(address, &format!("{path}?signature=0x{}", "00".repeat(64))),
		]
	})
	.await
	.expect("client");
	assert!(answers[0].0.contains("200"), "{:?}", answers[0]);
	// Elsewhere: the plain refusal, as for anyone who is not the requester.
	assert!(answers[1].0.contains("404"), "{:?}", answers[1]);
	assert_eq!(answers[1], answers[2]);
	for refused in &answers[3..] {
		assert!(refused.0.contains("401"), "{refused:?}");
		assert!(!refused.1.contains("the output"), "{refused:?}");
	}
	let _ = std::fs::remove_dir_all(&dir);
}

/// A request announcing a large body is refused before it is read, another method than GET is
/// refused, and once the daemon stops, the endpoint takes no more connections.
#[tokio::test(flavor = "multi_thread")]
async fn large_bodies_and_other_methods_are_refused_and_the_endpoint_stops_on_shutdown() {
	let dir = std::env::temp_dir().join(format!("offload-endpoint-stop-{}", std::process::id()));
	let (address, _store, stop) = stoppable_endpoint(&dir).await;
	let answers = tokio::task::spawn_blocking(move || {
		let large = get_with(address, "/metrics", "Content-Length: 100000000\r\n");
		let mut stream = TcpStream::connect(address).expect("connect");
		stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
		write!(stream, "DELETE /results/5 HTTP/1.1\r\nHost: worker\r\nConnection: close\r\n\r\n")
			.expect("send");
		let mut answer = String::new();
		let _ = stream.read_to_string(&mut answer);
		(large, answer.lines().next().unwrap_or_default().to_string())
	})
	.await
	.expect("client");
	assert!(answers.0 .0.contains("413"), "{:?}", answers.0);
	assert!(answers.1.contains("405"), "{:?}", answers.1);
	stop.cancel();
	tokio::time::sleep(Duration::from_millis(300)).await;
	let refused = TcpStream::connect(address).map(|mut stream| {
		// Accepted by the kernel at most, never answered: the listener is gone.
		stream.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
		let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: worker\r\n\r\n");
		let mut answer = String::new();
		let _ = stream.read_to_string(&mut answer);
		answer
	});
	assert!(refused.is_err() || refused.as_ref().is_ok_and(String::is_empty), "{refused:?}");
	let _ = std::fs::remove_dir_all(&dir);
}
