//! Inputs over https: a real TLS server (`openssl s_server`) with a certificate from a test
//! authority, trusted only when the host's trust store names it.

use offload_worker::http::{self, Reach};
use std::{
	path::Path,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

fn openssl(dir: &Path, args: &[&str]) {
	let output =
		Command::new("openssl").current_dir(dir).args(args).output().expect("openssl runs");
	assert!(
		output.status.success(),
		"openssl {args:?}: {}",
		String::from_utf8_lossy(&output.stderr)
	);
}

/// A certificate authority and a `localhost` server certificate it signed, under `dir`.
fn certificates(dir: &Path) {
	let quiet = ["-newkey", "rsa:2048", "-nodes", "-days", "2"];
	openssl(
		dir,
		&[
			&["req", "-x509", "-keyout", "ca.key", "-out", "ca.pem"][..],
			&quiet,
			&["-subj", "/CN=offload-test-ca"],
		]
		.concat(),
	);
	openssl(
		dir,
		&[
			&["req", "-keyout", "server.key", "-out", "server.csr"][..],
			&quiet[..3],
			&["-subj", "/CN=localhost"],
		]
		.concat(),
	);
	std::fs::write(
		dir.join("server.ext"),
		"subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
	)
	.unwrap();
	openssl(
		dir,
		&[
			"x509",
			"-req",
			"-in",
			"server.csr",
			"-CA",
			"ca.pem",
			"-CAkey",
			"ca.key",
			"-CAcreateserial",
			"-out",
			"server.pem",
			"-days",
			"2",
			"-extfile",
			"server.ext",
		],
	);
}

struct Server(Child);

impl Drop for Server {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

/// `openssl s_server -WWW` serving the files of `dir` on `port`.
fn serve(dir: &Path, port: u16) -> Server {
	let child = Command::new("openssl")
		.current_dir(dir)
		.args(["s_server", "-quiet", "-WWW", "-cert", "server.pem", "-key", "server.key"])
		.args(["-accept", &port.to_string()])
		.stdin(Stdio::null())
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.expect("openssl s_server starts");
	let started = Instant::now();
	while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
		assert!(started.elapsed() < Duration::from_secs(20), "s_server did not listen");
		std::thread::sleep(Duration::from_millis(50));
	}
	Server(child)
}

#[tokio::test]
async fn an_input_is_fetched_over_https_from_a_trusted_server_only() {
	let dir = std::env::temp_dir().join(format!("offload-https-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	certificates(&dir);
	std::fs::write(dir.join("input.txt"), "an input over TLS\n").unwrap();
	let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	let _server = serve(&dir, port);
	let url = format!("https://localhost:{port}/input.txt");

	// A provider fetching for strangers does not reach this machine's own addresses.
	let private = http::fetch(&url, 1 << 20, Reach::Public).await.expect_err("loopback");
	assert!(format!("{private:#}").contains("not a public address"), "{private:#}");

	// The host's own authorities do not know the test one: refused.
	let refused = http::fetch(&url, 1 << 20, Reach::Any).await.expect_err("an unknown authority");
	assert!(format!("{refused:#}").contains("TLS"), "{refused:#}");

	// Trusting it (as a host whose store holds it), the bytes arrive.
	std::env::set_var("SSL_CERT_FILE", dir.join("ca.pem"));
	let bytes = http::fetch(&url, 1 << 20, Reach::Any).await.expect("fetched over https");
	assert_eq!(bytes, b"an input over TLS\n");
	let too_small = http::fetch(&url, 4, Reach::Any).await.expect_err("over the size limit");
	assert!(format!("{too_small:#}").contains("at most 4 bytes"), "{too_small:#}");
	let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_public_addresses_count_as_public() {
	let public = |address: &str| http::is_public(address.parse().expect("an address"));
	for private in [
		"127.0.0.1",
		"10.1.2.3",
		"172.16.0.1",
		"192.168.1.1",
		"169.254.169.254",
		"100.64.0.1",
		"0.0.0.0",
		"255.255.255.255",
		"224.0.0.1",
		"::1",
		"::",
		"fd00::1",
		"fe80::1",
		"::ffff:127.0.0.1",
		"::ffff:169.254.169.254",
	] {
		assert!(!public(private), "{private} is not public");
	}
	for address in ["1.1.1.1", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"] {
		assert!(public(address), "{address} is public");
	}
}
