//! The daemon's Prometheus metrics, served on `/metrics`.

use prometheus::{Encoder, IntCounter, IntGauge, Registry, TextEncoder};

/// What the daemon counts.
pub struct Metrics {
	registry: Registry,
	/// Runs finished, failed ones included.
	pub jobs_run: IntCounter,
	/// Runs that failed (trap, fuel, memory, exit status, ...): results.
	pub jobs_failed: IntCounter,
	/// Runs given back because they could not be done here (timeout, input, local limit).
	pub jobs_abstained: IntCounter,
	/// Fuel burnt by all runs.
	pub fuel: IntCounter,
	/// Result files removed after the keeping period.
	pub results_pruned: IntCounter,
	/// Job records removed after the keeping period.
	pub jobs_pruned: IntCounter,
	/// Open assignments on chain: the daemon's queue.
	pub open_assignments: IntGauge,
	/// The last finalized block the daemon acted on.
	pub finalized: IntGauge,
	/// Best block minus that finalized block.
	pub chain_lag: IntGauge,
}

impl Metrics {
	/// Fresh metrics in their own registry.
	pub fn new() -> prometheus::Result<Self> {
		let registry = Registry::new();
		let counter = |name: &str, help: &str| -> prometheus::Result<IntCounter> {
			let counter = IntCounter::new(name, help)?;
			registry.register(Box::new(counter.clone()))?;
			Ok(counter)
		};
		let jobs_run = counter("offload_jobs_run_total", "Runs finished, failed ones included")?;
		let jobs_failed = counter("offload_jobs_failed_total", "Runs that failed")?;
		let jobs_abstained = counter(
			"offload_jobs_abstained_total",
			"Runs given back: timeouts, inputs that could not be had, local limits",
		)?;
		let fuel = counter("offload_fuel_used_total", "Fuel burnt by all runs")?;
		let results_pruned = counter(
			"offload_results_pruned_total",
			"Result files removed after keep_results_days",
		)?;
		let jobs_pruned = counter(
			"offload_job_records_pruned_total",
			"Job records removed after keep_results_days",
		)?;
		let gauge = |name: &str, help: &str| -> prometheus::Result<IntGauge> {
			let gauge = IntGauge::new(name, help)?;
			registry.register(Box::new(gauge.clone()))?;
			Ok(gauge)
		};
		Ok(Self {
			jobs_run,
			jobs_failed,
			jobs_abstained,
			fuel,
			results_pruned,
			jobs_pruned,
			open_assignments: gauge("offload_open_assignments", "Open assignments on chain")?,
			finalized: gauge("offload_finalized_block", "Last finalized block acted on")?,
			chain_lag: gauge(
				"offload_chain_lag_blocks",
				"Best block minus last finalized acted on",
			)?,
			registry,
		})
	}

	/// The text exposition format.
	pub fn render(&self) -> String {
		let mut buffer = Vec::new();
		let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
		String::from_utf8(buffer).unwrap_or_default()
	}
}
