//! The daemon's configuration: a TOML file, some of whose fields the command line or the
//! environment may override (see `offload run --help`).
//!
//! ```toml
//! node = "ws://127.0.0.1:9944"
//! secret = "//Bob"                 # or secret_file = "/etc/offload/secret"
//! data_dir = "/var/lib/offload"
//! listen = "127.0.0.1:8787"        # results and /metrics
//! public_url = "http://127.0.0.1:8787"
//! bond = "100"                     # OFL
//! keep_results_days = 7            # 0 keeps results forever
//!
//! [offer]
//! cpu_millicores = 4000
//! memory_mib = 8192
//! storage_gib = 20
//! max_concurrent = 2
//! region = "DE"
//! per_million_fuel = "0.1"         # OFL
//! per_second = "0.01"
//! base_per_job = "0.01"
//!
//! [container]                      # optional; these are the defaults
//! enabled = true                   # offer containers when podman is there
//! podman = "podman"
//! runtime = "runc"
//! ```

use crate::chain::Balance;
use anyhow::{anyhow, bail, Context, Result};
use offload_primitives::UNIT;
use serde::Deserialize;
use std::{net::SocketAddr, path::PathBuf};

/// The daemon's configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
	/// The node's WebSocket RPC.
	#[serde(default = "default_node")]
	pub node: String,
	/// The provider's secret URI (mnemonic, `0x` seed or dev path like `//Bob`).
	pub secret: Option<String>,
	/// A file holding the secret URI, instead of `secret`.
	pub secret_file: Option<PathBuf>,
	/// Where the worker keeps its database and results.
	pub data_dir: PathBuf,
	/// Where the HTTP endpoint (results, `/metrics`) listens.
	#[serde(default = "default_listen")]
	pub listen: SocketAddr,
	/// The endpoint's URL as requesters reach it; published in the offer.
	pub public_url: Option<String>,
	/// The bond to register with, in OFL.
	#[serde(default = "default_bond")]
	pub bond: String,
	/// MiB of compiled WASM modules kept on disk (under `data_dir/modules`), the least
	/// recently used removed first.
	#[serde(default = "default_cache_mib")]
	pub module_cache_mib: u64,
	/// Largest output this provider keeps, in bytes. Every provider runs jobs to the
	/// protocol's limit (1 MiB, `offload_primitives::MAX_OUTPUT_BYTES`), over which the output
	/// is the job's failure; an output between this and that limit is given back (`decline`)
	/// rather than reported.
	#[serde(default = "default_max_output")]
	pub max_output_bytes: usize,
	/// Largest input fetched from a URL, in bytes.
	#[serde(default = "default_max_input")]
	pub max_input_bytes: usize,
	/// Whether job inputs may be fetched from loopback, private and link-local addresses
	/// (this machine, its network, cloud metadata). Off for a provider on the internet, or any
	/// requester could make it fetch from its own network; on for a test network whose
	/// inputs are served locally.
	#[serde(default)]
	pub allow_private_inputs: bool,
	/// Days a result is kept for its requester to fetch, counted from when it was produced;
	/// older results are removed once an hour, and the worker's records of jobs that are no
	/// longer assigned a day later. 0 keeps both forever. The default matches the chain's
	/// retention of a settled job's record.
	#[serde(default = "default_keep_results_days")]
	pub keep_results_days: u32,
	/// What the provider sells.
	pub offer: OfferConfig,
	/// How container jobs run.
	#[serde(default)]
	pub container: ContainerConfig,
}

/// How container jobs run.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerConfig {
	/// Whether to offer the container runtime when podman is installed.
	#[serde(default = "yes")]
	pub enabled: bool,
	/// The podman command.
	#[serde(default = "default_podman")]
	pub podman: String,
	/// The OCI runtime podman runs containers with.
	#[serde(default = "default_oci_runtime")]
	pub runtime: String,
}

impl Default for ContainerConfig {
	fn default() -> Self {
		Self { enabled: true, podman: default_podman(), runtime: default_oci_runtime() }
	}
}

/// The offer published on chain.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferConfig {
	/// CPU in millicores.
	pub cpu_millicores: u32,
	/// Memory in MiB.
	pub memory_mib: u32,
	/// Storage in GiB.
	pub storage_gib: u32,
	/// GPUs.
	#[serde(default)]
	pub gpus: u16,
	/// Jobs at once.
	#[serde(default = "default_concurrent")]
	pub max_concurrent: u16,
	/// Two-letter region code.
	#[serde(default = "default_region")]
	pub region: String,
	/// Price per million fuel, in OFL.
	pub per_million_fuel: String,
	/// Price per second of a container, in OFL.
	#[serde(default = "zero")]
	pub per_second: String,
	/// Price per job, in OFL.
	#[serde(default = "zero")]
	pub base_per_job: String,
}

fn yes() -> bool {
	true
}
fn default_podman() -> String {
	"podman".into()
}
fn default_oci_runtime() -> String {
	"runc".into()
}
fn default_node() -> String {
	"ws://127.0.0.1:9944".into()
}
fn default_listen() -> SocketAddr {
	SocketAddr::from(([127, 0, 0, 1], 8787))
}
fn default_bond() -> String {
	"100".into()
}
fn default_cache_mib() -> u64 {
	1024
}
fn default_max_output() -> usize {
	1024 * 1024
}
fn default_keep_results_days() -> u32 {
	7
}
fn default_max_input() -> usize {
	16 * 1024 * 1024
}
fn default_concurrent() -> u16 {
	2
}
fn default_region() -> String {
	"ZZ".into()
}
fn zero() -> String {
	"0".into()
}

impl Config {
	/// How long results are kept; `None` for ever.
	pub fn keep_results(&self) -> Option<std::time::Duration> {
		(self.keep_results_days > 0)
			.then(|| std::time::Duration::from_secs(u64::from(self.keep_results_days) * 86_400))
	}

	/// Reads and checks the file at `path`.
	pub fn load(path: &std::path::Path) -> Result<Self> {
		let text = std::fs::read_to_string(path)
			.with_context(|| format!("cannot read the config file {}", path.display()))?;
		let config: Config =
			toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
		config.check()?;
		Ok(config)
	}

	/// Checks what TOML cannot.
	pub fn check(&self) -> Result<()> {
		parse_ofl(&self.bond).context("bond")?;
		for (name, value) in [
			("offer.per_million_fuel", &self.offer.per_million_fuel),
			("offer.per_second", &self.offer.per_second),
			("offer.base_per_job", &self.offer.base_per_job),
		] {
			parse_ofl(value).with_context(|| name.to_string())?;
		}
		if self.offer.region.len() != 2 || !self.offer.region.is_ascii() {
			bail!("offer.region must be a two-letter code, not `{}`", self.offer.region);
		}
		if self.secret.is_none() == self.secret_file.is_none() {
			bail!("give exactly one of `secret` and `secret_file`");
		}
		Ok(())
	}

	/// The secret URI, from the config or its file.
	pub fn secret_uri(&self) -> Result<String> {
		match (&self.secret, &self.secret_file) {
			(Some(secret), _) => Ok(secret.clone()),
			(None, Some(file)) => Ok(std::fs::read_to_string(file)
				.with_context(|| format!("cannot read {}", file.display()))?
				.trim()
				.to_string()),
			(None, None) => bail!("no secret configured"),
		}
	}

	/// The endpoint published on chain.
	pub fn endpoint(&self) -> String {
		self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen))
	}
}

/// An amount of OFL (`"1.5"`) in its smallest units (12 decimals).
pub fn parse_ofl(text: &str) -> Result<Balance> {
	let text = text.trim();
	let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
	let decimals = UNIT.ilog10() as usize;
	if whole.is_empty() && fraction.is_empty()
		|| !whole.bytes().all(|b| b.is_ascii_digit())
		|| !fraction.bytes().all(|b| b.is_ascii_digit())
		|| fraction.len() > decimals
	{
		bail!("`{text}` is not an amount of OFL (at most {decimals} decimals)");
	}
	let whole: Balance = if whole.is_empty() { 0 } else { whole.parse()? };
	let fraction: Balance =
		if fraction.is_empty() { 0 } else { format!("{fraction:0<decimals$}").parse()? };
	whole
		.checked_mul(UNIT)
		.and_then(|units| units.checked_add(fraction))
		.ok_or_else(|| anyhow!("`{text}` OFL is too large"))
}

/// An amount in OFL for people: `1.25 OFL`.
pub fn format_ofl(amount: Balance) -> String {
	let decimals = UNIT.ilog10() as usize;
	let fraction = format!("{:0decimals$}", amount % UNIT);
	let fraction = fraction.trim_end_matches('0');
	if fraction.is_empty() {
		format!("{} OFL", amount / UNIT)
	} else {
		format!("{}.{fraction} OFL", amount / UNIT)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_parse_and_print() {
		assert_eq!(parse_ofl("1").unwrap(), UNIT);
		assert_eq!(parse_ofl("0.1").unwrap(), UNIT / 10);
		assert_eq!(parse_ofl(".000000000001").unwrap(), 1);
		assert!(parse_ofl("1.0000000000001").is_err());
		assert!(parse_ofl("-1").is_err());
		assert!(parse_ofl("").is_err());
		assert!(parse_ofl("1e3").is_err());
		assert_eq!(format_ofl(UNIT * 3 / 2), "1.5 OFL");
		assert_eq!(format_ofl(2 * UNIT), "2 OFL");
		assert_eq!(format_ofl(210 * UNIT / 1000), "0.21 OFL");
	}
}
