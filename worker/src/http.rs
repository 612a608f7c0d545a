//! HTTP: the worker's endpoint (results for their requesters, Prometheus metrics) and the
//! small client that fetches job inputs from `http://` and `https://` URLs.
//!
//! `GET /results/<job>` returns the output of job `<job>` to its requester, who signs the
//! request: `x-offload-signature: 0x<sr25519 signature>` over [`result_request`] (the chain's
//! genesis hash, this provider, the job, and `x-offload-expires`, a Unix time at most
//! [`MAX_VALIDITY`] ahead). Sent in headers, not the query string, the signature stays out of
//! access logs; it cannot be replayed at another replica, on another chain, or once expired.
//! The response carries the result's hash in `x-offload-result` and whether the run succeeded in
//! `x-offload-ok`; the caller checks the bytes against the hash on chain. The output of a job
//! whose input was sealed is itself sealed to the requester's key (see [`crate::envelope`]),
//! and `x-offload-sealed: true` says so.

use crate::{envelope, metrics::Metrics, store::Store};
use anyhow::{anyhow, bail, Context, Result};
use axum::{
	extract::{Path, State},
	http::{HeaderMap, HeaderValue},
	response::{IntoResponse, Response},
	routing, Router,
};
use codec::Encode;
use http_body_util::{BodyExt, Limited};
use hyper::{body::Bytes, Request, StatusCode};
use hyper_util::rt::TokioIo;
use sp_core::{sr25519, Pair};
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// How long fetching an input may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// What a requester signs to fetch the result of `job` from `provider` on the chain of
/// `genesis`, valid until `expires` (Unix seconds).
pub fn result_request(genesis: &[u8; 32], provider: &[u8; 32], job: u64, expires: u64) -> Vec<u8> {
	(b"offload/result/v2", genesis, provider, job, expires).encode()
}

/// The header carrying a result request's signature.
pub const SIGNATURE_HEADER: &str = "x-offload-signature";

/// The header carrying when a result request's signature expires, in Unix seconds.
pub const EXPIRES_HEADER: &str = "x-offload-expires";

/// Longest a result request's signature may be valid for: one overheard cannot be used later.
pub const MAX_VALIDITY: Duration = Duration::from_secs(300);

/// Who this endpoint serves results for: the provider, and the chain once it is known.
#[derive(Debug)]
pub struct Realm {
	/// The provider's account.
	pub provider: [u8; 32],
	/// The chain's genesis hash, set when the daemon first connects.
	pub genesis: std::sync::OnceLock<[u8; 32]>,
}

impl Realm {
	/// The realm of `provider`, its chain not yet known.
	pub fn new(provider: [u8; 32]) -> Self {
		Self { provider, genesis: std::sync::OnceLock::new() }
	}
}

/// Now, in Unix seconds.
pub fn unix_now() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|since| since.as_secs())
		.unwrap_or(0)
}

/// Most connections the endpoint holds open at once; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 256;

/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one connection may last, request and response together.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a request may take to be answered, once its headers are in.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest request body the endpoint reads: its routes are GETs, which carry none.
pub const MAX_REQUEST_BODY: usize = 1024;

/// How long in-flight exchanges get to finish once the endpoint is told to stop.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// What the endpoint's handlers read.
#[derive(Clone)]
struct Endpoint {
	store: Arc<Store>,
	metrics: Arc<Metrics>,
	realm: Arc<Realm>,
}

/// The endpoint's routes (axum), each request bounded in time and body (tower-http).
fn router(endpoint: Endpoint) -> Router {
	Router::new()
		.route("/metrics", routing::get(metrics_page))
		.route("/results/:job", routing::get(result_page))
		.with_state(endpoint)
		.layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_REQUEST_BODY))
		.layer(tower_http::timeout::TimeoutLayer::new(REQUEST_TIMEOUT))
}

/// Serves the endpoint on `listener` until `stop` is cancelled, then lets the exchanges in
/// flight finish for at most [`DRAIN_TIMEOUT`].
///
/// The endpoint faces anyone, so what a client can hold is bounded. axum routes and
/// tower-http bounds each request; what holds a connection is bounded below it, where hyper's
/// connection builder is (axum's own `serve` sets none of it): at most [`MAX_CONNECTIONS`]
/// connections at once, headers within [`HEADER_TIMEOUT`] (hyper applies it only with a
/// timer, which is given here), one request per connection, and the whole exchange within
/// [`CONNECTION_TIMEOUT`]. A client that trickles its headers (slowloris) or never reads its
/// answer is cut off, and the daemon's file descriptors stay bounded.
pub async fn serve(
	listener: tokio::net::TcpListener,
	store: Arc<Store>,
	metrics: Arc<Metrics>,
	realm: Arc<Realm>,
	stop: CancellationToken,
) {
	let app = router(Endpoint { store, metrics, realm });
	let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
	let mut connections = tokio::task::JoinSet::new();
	loop {
		let slot = tokio::select! {
			_ = stop.cancelled() => break,
			slot = slots.clone().acquire_owned() => match slot {
				Ok(slot) => slot,
				Err(_) => break,
			},
		};
		let accepted = tokio::select! {
			_ = stop.cancelled() => break,
			accepted = listener.accept() => accepted,
		};
		let stream = match accepted {
			Ok((stream, _)) => stream,
			Err(error) => {
				warn!("accepting an HTTP connection: {error}");
				tokio::time::sleep(Duration::from_millis(100)).await;
				continue;
			},
		};
		let service = hyper_util::service::TowerToHyperService::new(app.clone());
		connections.spawn(async move {
			let connection = hyper::server::conn::http1::Builder::new()
				.timer(hyper_util::rt::TokioTimer::new())
				.header_read_timeout(HEADER_TIMEOUT)
				.keep_alive(false)
				.serve_connection(TokioIo::new(stream), service);
			let _ = tokio::time::timeout(CONNECTION_TIMEOUT, connection).await;
			drop(slot);
		});
		// Finished connections are reaped as new ones come.
		while connections.try_join_next().is_some() {}
	}
	let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
		while connections.join_next().await.is_some() {}
	});
	if drained.await.is_err() {
		connections.abort_all();
	}
}

async fn metrics_page(State(endpoint): State<Endpoint>) -> String {
	endpoint.metrics.render()
}

async fn result_page(
	State(endpoint): State<Endpoint>,
	Path(job): Path<String>,
	headers: HeaderMap,
) -> Response {
	let header = |name: &str| {
		headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_string()
	};
	let signed = Signed { signature: header(SIGNATURE_HEADER), expires: header(EXPIRES_HEADER) };
	match result_for(&job, &signed, &endpoint.store, &endpoint.realm) {
		Ok((bytes, hash, ok, sealed)) => {
			let mut headers = HeaderMap::new();
			if sealed {
				headers.insert("x-offload-sealed", HeaderValue::from_static("true"));
			}
			if let Ok(value) = format!("0x{}", hex::encode(hash)).parse() {
				headers.insert("x-offload-result", value);
			}
			headers.insert(
				"x-offload-ok",
				HeaderValue::from_static(if ok { "true" } else { "false" }),
			);
			(StatusCode::OK, headers, bytes).into_response()
		},
		Err((status, message)) => (status, format!("{message}\n")).into_response(),
	}
}

type Refusal = (StatusCode, &'static str);

/// A result request's signature headers, as sent.
struct Signed {
	signature: String,
	expires: String,
}

fn result_for(
	job: &str,
	signed: &Signed,
	store: &Store,
	realm: &Realm,
) -> Result<(Vec<u8>, [u8; 32], bool, bool), Refusal> {
	let job: u64 =
		job.parse().map_err(|_| (StatusCode::BAD_REQUEST, "the job id is not a number"))?;
	let signature = sp_core::bytes::from_hex(&signed.signature)
		.ok()
		.and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
		.map(sr25519::Signature::from_raw)
		.ok_or((
			StatusCode::UNAUTHORIZED,
			"an x-offload-signature header (0x + 64 bytes) is required",
		))?;
	let expires: u64 = signed.expires.parse().map_err(|_| {
		(StatusCode::UNAUTHORIZED, "an x-offload-expires header (Unix seconds) is required")
	})?;
	// Checked before anything about the job, so it says nothing about the job either.
	let now = unix_now();
	if expires < now || expires > now.saturating_add(MAX_VALIDITY.as_secs()) {
		return Err((StatusCode::UNAUTHORIZED, "the signature has expired or is valid too long"));
	}
	let genesis = realm
		.genesis
		.get()
		.ok_or((StatusCode::SERVICE_UNAVAILABLE, "not yet connected to the chain"))?;
	let local = store.job(job).map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "store error"))?;
	// One answer whether this worker has no result for the job or the signature is not its
	// requester's: nobody but the requester learns which results exist here.
	const REFUSED: Refusal = (StatusCode::NOT_FOUND, "no result here for this job and signature");
	let (Some(requester), Some(report)) = (local.requester, local.report) else {
		return Err(REFUSED);
	};
	let public = sr25519::Public::from_raw(*requester.as_ref());
	let request = result_request(genesis, &realm.provider, job, expires);
	if !sr25519::Pair::verify(&signature, request, &public) {
		return Err(REFUSED);
	}
	// Served once the job has settled with this result, so paid for: a requester that could
	// take the output earlier could let the job expire unpaid.
	if !local.settled {
		return Err((StatusCode::TOO_EARLY, "the job has not settled with this result yet"));
	}
	let bytes = store
		.result(&report.result)
		.map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "store error"))?
		.ok_or((StatusCode::NOT_FOUND, "the result is no longer kept"))?;
	let sealed_to =
		store.reply_key(job).map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "store error"))?;
	Ok(match sealed_to {
		Some(key) => {
			let sealed = envelope::seal_result(&bytes, &key).map_err(|_| {
				(StatusCode::UNPROCESSABLE_ENTITY, "the job's reply key is of low order")
			})?;
			(sealed, report.result, report.ok, true)
		},
		None => (bytes, report.result, report.ok, false),
	})
}

/// A response: status, headers, body.
pub struct Fetched {
	/// The HTTP status.
	pub status: StatusCode,
	/// The headers.
	pub headers: hyper::HeaderMap,
	/// The body.
	pub body: Vec<u8>,
}

/// Which addresses a fetch may connect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
	/// Public addresses only: not loopback, private, link-local (cloud metadata), shared,
	/// multicast or unspecified ones. What a provider fetches for strangers.
	Public,
	/// Any address: what a requester fetches for itself, or a provider on a test network.
	Any,
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: std::net::IpAddr) -> bool {
	use std::net::IpAddr;
	match ip {
		IpAddr::V4(v4) => {
			let [a, b, ..] = v4.octets();
			!(v4.is_loopback() ||
				v4.is_private() ||
				v4.is_link_local() ||
				v4.is_unspecified() ||
				v4.is_broadcast() ||
				v4.is_multicast() ||
				v4.is_documentation() ||
				a == 0 || // "this network"
				(a == 100 && (64..128).contains(&b)) || // shared address space (CGNAT)
				(a == 198 && (b == 18 || b == 19)) || // benchmarking
				a >= 240) // reserved
		},
		IpAddr::V6(v6) => {
			if let Some(v4) = v6.to_ipv4_mapped() {
				return is_public(IpAddr::V4(v4));
			}
			let first = v6.segments()[0];
			!(v6.is_loopback() ||
				v6.is_unspecified() ||
				v6.is_multicast() ||
				(first & 0xfe00) == 0xfc00 || // unique local
				(first & 0xffc0) == 0xfe80) // link-local
		},
	}
}

/// `GET url` (`http://` or `https://`) from an address `reach` allows, at most `max_bytes`
/// of body, within [`FETCH_TIMEOUT`]. Redirects are not followed.
pub async fn get(url: &str, max_bytes: usize, reach: Reach) -> Result<Fetched> {
	get_with(url, &[], max_bytes, reach).await
}

/// [`get`] with extra request `headers`.
pub async fn get_with(
	url: &str,
	headers: &[(&str, String)],
	max_bytes: usize,
	reach: Reach,
) -> Result<Fetched> {
	tokio::time::timeout(FETCH_TIMEOUT, get_inner(url, headers, max_bytes, reach))
		.await
		.map_err(|_| anyhow!("no answer within {FETCH_TIMEOUT:?}"))?
}

/// A connection to `host:port`, at an address `reach` allows. The name is resolved once and
/// the connection made to an address that was checked, so a name that resolves differently
/// the second time cannot lead elsewhere.
async fn connect(host: &str, port: u16, reach: Reach) -> Result<tokio::net::TcpStream> {
	let addresses: Vec<_> = tokio::net::lookup_host((host, port))
		.await
		.with_context(|| format!("cannot resolve {host}"))?
		.collect();
	let allowed: Vec<_> = addresses
		.iter()
		.filter(|address| reach == Reach::Any || is_public(address.ip()))
		.copied()
		.collect();
	if allowed.is_empty() {
		bail!("{host} is not a public address ({addresses:?}); this provider fetches only from public ones");
	}
	let mut last = None;
	for address in allowed {
		match tokio::net::TcpStream::connect(address).await {
			Ok(stream) => return Ok(stream),
			Err(error) => last = Some(error),
		}
	}
	Err(anyhow!("cannot connect to {host}:{port}: {last:?}"))
}

async fn get_inner(
	url: &str,
	headers: &[(&str, String)],
	max_bytes: usize,
	reach: Reach,
) -> Result<Fetched> {
	let uri: hyper::Uri = url.parse().with_context(|| format!("`{url}` is not a URL"))?;
	let tls = match uri.scheme_str() {
		Some("http") => false,
		Some("https") => true,
		_ => bail!("only http:// and https:// URLs are fetched"),
	};
	let host = uri.host().ok_or_else(|| anyhow!("`{url}` has no host"))?.to_string();
	let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
	let stream = connect(&host, port, reach).await?;
	let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
	let mut request = Request::get(path).header(hyper::header::HOST, format!("{host}:{port}"));
	for (name, value) in headers {
		request = request.header(*name, value);
	}
	let request = request.body(http_body_util::Empty::<Bytes>::new())?;
	if !tls {
		return exchange(stream, request, max_bytes).await;
	}
	let name = rustls::pki_types::ServerName::try_from(host.clone())
		.with_context(|| format!("`{host}` is not a TLS server name"))?;
	let stream = tls_connector()?
		.connect(name, stream)
		.await
		.with_context(|| format!("TLS with {host}:{port}"))?;
	exchange(stream, request, max_bytes).await
}

/// A TLS client trusting the system's certificate authorities (those `SSL_CERT_FILE` or
/// `SSL_CERT_DIR` name, if set).
fn tls_connector() -> Result<tokio_rustls::TlsConnector> {
	let mut roots = rustls::RootCertStore::empty();
	let found = rustls_native_certs::load_native_certs();
	let (added, _) = roots.add_parsable_certificates(found.certs);
	if added == 0 {
		bail!("no trusted TLS certificate authorities on this host (install ca-certificates)");
	}
	let config = rustls::ClientConfig::builder_with_provider(Arc::new(
		rustls::crypto::ring::default_provider(),
	))
	.with_safe_default_protocol_versions()?
	.with_root_certificates(roots)
	.with_no_client_auth();
	Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Sends `request` over `stream` and reads the answer, at most `max_bytes` of body.
async fn exchange<S>(
	stream: S,
	request: Request<http_body_util::Empty<Bytes>>,
	max_bytes: usize,
) -> Result<Fetched>
where
	S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
	let (mut sender, connection) =
		hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
	tokio::spawn(connection);
	let response = sender.send_request(request).await?;
	let (parts, body) = response.into_parts();
	let body = Limited::new(body, max_bytes)
		.collect()
		.await
		.map_err(|error| anyhow!("reading the body (at most {max_bytes} bytes): {error}"))?
		.to_bytes()
		.to_vec();
	Ok(Fetched { status: parts.status, headers: parts.headers, body })
}

/// The body of `GET url`, which must answer 200, from an address `reach` allows.
pub async fn fetch(url: &str, max_bytes: usize, reach: Reach) -> Result<Vec<u8>> {
	fetch_with(url, &[], max_bytes, reach).await
}

/// [`fetch`] with extra request `headers`.
pub async fn fetch_with(
	url: &str,
	headers: &[(&str, String)],
	max_bytes: usize,
	reach: Reach,
) -> Result<Vec<u8>> {
	let fetched = get_with(url, headers, max_bytes, reach).await?;
	if fetched.status != StatusCode::OK {
		bail!("{url} answered {}", fetched.status);
	}
	Ok(fetched.body)
}
