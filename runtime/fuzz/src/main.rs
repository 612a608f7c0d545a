//! `offload-runtime-fuzz`: runs seeded inputs (or replays one) against the real runtime until a
//! number of calls, printing calls per second; on a panic or a broken invariant it prints the
//! failing input, writes it to a file, and exits with status 1.

use anyhow::Context;
use clap::Parser;
use offload_runtime_fuzz::{bytes_from_seed, genesis, run, Tally};
use std::{
	panic::{catch_unwind, AssertUnwindSafe},
	path::PathBuf,
	time::{Duration, Instant},
};

#[derive(Parser)]
#[command(about = "Fuzzes Offload's runtime with arbitrary call sequences")]
struct Args {
	/// Stop after this many extrinsics in all.
	#[arg(long, default_value_t = 100_000)]
	calls: u64,
	/// The first input's seed; input i uses seed + i, so a run is repeatable.
	#[arg(long, default_value_t = 0)]
	seed: u64,
	/// Bytes per input (about one call per 12 bytes).
	#[arg(long, default_value_t = 4_096)]
	input_len: usize,
	/// Replays this input file instead, and says what it did.
	#[arg(long)]
	replay: Option<PathBuf>,
	/// Where a failing input is written.
	#[arg(long, default_value = "fuzz-failures")]
	failures: PathBuf,
}

fn main() -> anyhow::Result<()> {
	let args = Args::parse();
	let genesis = genesis();
	if let Some(path) = args.replay {
		let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
		let tally = run(&genesis, &data).map_err(|broken| anyhow::anyhow!(broken))?;
		println!("{tally:?}");
		return Ok(());
	}
	// The runtime's panics are reported with the input, not as a bare backtrace.
	std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}")));
	let started = Instant::now();
	let mut last_report = Instant::now();
	let mut total = Tally::default();
	let mut inputs = 0u64;
	while total.calls < args.calls {
		let seed = args.seed.wrapping_add(inputs);
		let data = bytes_from_seed(seed, args.input_len);
		let outcome = catch_unwind(AssertUnwindSafe(|| run(&genesis, &data)));
		let tally = match outcome {
			Ok(Ok(tally)) => tally,
			Ok(Err(broken)) => return fail(&args.failures, seed, &data, &broken),
			Err(_) => return fail(&args.failures, seed, &data, "the runtime panicked"),
		};
		total.calls += tally.calls;
		total.succeeded += tally.succeeded;
		total.blocks += tally.blocks;
		inputs += 1;
		if last_report.elapsed() >= Duration::from_secs(10) {
			report(&total, inputs, started.elapsed());
			last_report = Instant::now();
		}
	}
	report(&total, inputs, started.elapsed());
	println!("no panic and no broken invariant");
	Ok(())
}

fn report(total: &Tally, inputs: u64, elapsed: Duration) {
	let seconds = elapsed.as_secs_f64().max(1e-9);
	println!(
		"{} calls ({} succeeded) in {} blocks of {} inputs, {:.0} s, {:.0} calls/s",
		total.calls,
		total.succeeded,
		total.blocks,
		inputs,
		seconds,
		total.calls as f64 / seconds,
	);
}

fn fail(dir: &PathBuf, seed: u64, data: &[u8], broken: &str) -> anyhow::Result<()> {
	std::fs::create_dir_all(dir)?;
	let path = dir.join(format!("seed-{seed}.bin"));
	std::fs::write(&path, data)?;
	eprintln!("FAILED at seed {seed}: {broken}");
	eprintln!("input written to {} (replay with --replay)", path.display());
	let hex: String = data.iter().map(|byte| format!("{byte:02x}")).collect();
	eprintln!("input: {hex}");
	std::process::exit(1)
}
