//! The guest ABI: the part of WASI preview 1 (`wasi_snapshot_preview1`) a program that reads
//! stdin and writes stdout needs, implemented deterministically and with nothing of the host
//! exposed.
//!
//! - stdin (fd 0) is the job's input; stdout (fd 1) is its output, up to a size limit; stderr
//!   (fd 2) is counted against the same limit and dropped.
//! - No files: there are no preopened directories, so no path can be opened.
//! - No network, no environment variables; one argument, `job`.
//! - The clock is fixed at [`FIXED_TIME_NS`]; `random_get` returns a fixed-seed stream. Two
//!   runs of the same module on the same input see the same world.
//! - `proc_exit(0)` ends the run successfully, any other status fails it.
//!
//! Any other import a module declares is defined to trap when called, so a module that merely
//! imports more still runs.

use wasmtime::{Caller, Extern, Linker, Memory};

/// The module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// What the guest's clock always says: 2025-01-01T00:00:00Z, in nanoseconds.
pub const FIXED_TIME_NS: u64 = 1_735_689_600_000_000_000;

/// The guest's single argument.
const ARG: &[u8] = b"job\0";

// WASI errno values.
const SUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EFAULT: i32 = 21;
const EINVAL: i32 = 28;
const ENOSYS: i32 = 52;
const ESPIPE: i32 = 70;

/// Why the guest stopped other than by returning.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
	/// `proc_exit` was called.
	#[error("exit {0}")]
	Exit(u32),
	/// The guest wrote more than the output limit.
	#[error("output limit exceeded")]
	OutputLimit,
}

/// A guest's view of the world for one run.
pub struct Io {
	input: Vec<u8>,
	read: usize,
	/// What the guest wrote to stdout.
	pub output: Vec<u8>,
	written: usize,
	max_output: usize,
	rng: u64,
}

impl Io {
	/// A world with `input` on stdin and room for `max_output` bytes of output.
	pub fn new(input: Vec<u8>, max_output: usize) -> Self {
		Self { input, read: 0, output: Vec::new(), written: 0, max_output, rng: 0x0ff1_0ad5_eed0 }
	}

	/// splitmix64: a fixed, portable stream (not for secrets; guests get determinism, not
	/// entropy).
	fn next_random(&mut self) -> u64 {
		self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.rng;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}
}

/// What the store of a run holds for the host functions.
pub trait HasIo {
	/// The guest's I/O.
	fn io(&mut self) -> &mut Io;
}

fn memory<T>(caller: &mut Caller<'_, T>) -> Option<Memory> {
	match caller.get_export("memory") {
		Some(Extern::Memory(memory)) => Some(memory),
		_ => None,
	}
}

/// Reads `len` bytes at `ptr`.
fn read_bytes<T>(caller: &mut Caller<'_, T>, ptr: u32, len: u32) -> Option<Vec<u8>> {
	let memory = memory(caller)?;
	let start = ptr as usize;
	let end = start.checked_add(len as usize)?;
	memory.data(&caller).get(start..end).map(<[u8]>::to_vec)
}

/// Writes `bytes` at `ptr`; false if out of bounds.
fn write_bytes<T>(caller: &mut Caller<'_, T>, ptr: u32, bytes: &[u8]) -> bool {
	let Some(memory) = memory(caller) else { return false };
	let start = ptr as usize;
	let Some(end) = start.checked_add(bytes.len()) else { return false };
	match memory.data_mut(caller).get_mut(start..end) {
		Some(slot) => {
			slot.copy_from_slice(bytes);
			true
		},
		None => false,
	}
}

fn write_u32<T>(caller: &mut Caller<'_, T>, ptr: u32, value: u32) -> bool {
	write_bytes(caller, ptr, &value.to_le_bytes())
}

fn write_u64<T>(caller: &mut Caller<'_, T>, ptr: u32, value: u64) -> bool {
	write_bytes(caller, ptr, &value.to_le_bytes())
}

/// Most entries of one iovec array, as POSIX's `IOV_MAX`: the host copies the array, so its
/// size is bounded before it is read.
const MAX_IOVECS: u32 = 1_024;

/// The (pointer, length) pairs of an iovec array.
fn iovecs<T>(caller: &mut Caller<'_, T>, iovs: u32, count: u32) -> Option<Vec<(u32, u32)>> {
	if count > MAX_IOVECS {
		return None;
	}
	let raw = read_bytes(caller, iovs, count.checked_mul(8)?)?;
	Some(
		raw.chunks_exact(8)
			.map(|pair| {
				let ptr = u32::from_le_bytes([pair[0], pair[1], pair[2], pair[3]]);
				let len = u32::from_le_bytes([pair[4], pair[5], pair[6], pair[7]]);
				(ptr, len)
			})
			.collect(),
	)
}

fn errno(ok: bool) -> i32 {
	if ok {
		SUCCESS
	} else {
		EFAULT
	}
}

/// Defines the WASI functions in `linker`.
pub fn add_to_linker<T: HasIo + 'static>(linker: &mut Linker<T>) -> anyhow::Result<()> {
	linker.func_wrap(MODULE, "args_sizes_get", |mut c: Caller<'_, T>, argc: u32, size: u32| {
		errno(write_u32(&mut c, argc, 1) && write_u32(&mut c, size, ARG.len() as u32))
	})?;
	linker.func_wrap(MODULE, "args_get", |mut c: Caller<'_, T>, argv: u32, buf: u32| {
		errno(write_u32(&mut c, argv, buf) && write_bytes(&mut c, buf, ARG))
	})?;
	linker.func_wrap(
		MODULE,
		"environ_sizes_get",
		|mut c: Caller<'_, T>, count: u32, size: u32| {
			errno(write_u32(&mut c, count, 0) && write_u32(&mut c, size, 0))
		},
	)?;
	linker.func_wrap(MODULE, "environ_get", |_: Caller<'_, T>, _: u32, _: u32| SUCCESS)?;
	linker.func_wrap(MODULE, "clock_res_get", |mut c: Caller<'_, T>, _: u32, res: u32| {
		errno(write_u64(&mut c, res, 1_000))
	})?;
	linker.func_wrap(
		MODULE,
		"clock_time_get",
		|mut c: Caller<'_, T>, _: u32, _: u64, time: u32| {
			errno(write_u64(&mut c, time, FIXED_TIME_NS))
		},
	)?;
	linker.func_wrap(
		MODULE,
		"fd_write",
		|mut c: Caller<'_, T>,
		 fd: u32,
		 iovs: u32,
		 count: u32,
		 written: u32|
		 -> anyhow::Result<i32> {
			if fd != 1 && fd != 2 {
				return Ok(EBADF);
			}
			let Some(iovs) = iovecs(&mut c, iovs, count) else { return Ok(EFAULT) };
			let mut total = 0u32;
			for (ptr, len) in iovs {
				// The limit is checked before anything is copied, so a guest cannot make the
				// host copy more than the output it may write.
				let io = c.data_mut().io();
				io.written = io.written.saturating_add(len as usize);
				if io.written > io.max_output {
					return Err(Stop::OutputLimit.into());
				}
				let Some(bytes) = read_bytes(&mut c, ptr, len) else { return Ok(EFAULT) };
				let io = c.data_mut().io();
				if fd == 1 {
					io.output.extend_from_slice(&bytes);
				}
				total = total.saturating_add(len);
			}
			Ok(errno(write_u32(&mut c, written, total)))
		},
	)?;
	linker.func_wrap(
		MODULE,
		"fd_read",
		|mut c: Caller<'_, T>, fd: u32, iovs: u32, count: u32, read: u32| -> i32 {
			if fd != 0 {
				return EBADF;
			}
			let Some(iovs) = iovecs(&mut c, iovs, count) else { return EFAULT };
			let mut total = 0u32;
			for (ptr, len) in iovs {
				let io = c.data_mut().io();
				let start = io.read;
				let end = start.saturating_add(len as usize).min(io.input.len());
				let chunk = io.input[start..end].to_vec();
				io.read = end;
				if !write_bytes(&mut c, ptr, &chunk) {
					return EFAULT;
				}
				total = total.saturating_add(chunk.len() as u32);
				if chunk.len() < len as usize {
					break;
				}
			}
			errno(write_u32(&mut c, read, total))
		},
	)?;
	linker.func_wrap(
		MODULE,
		"fd_close",
		|_: Caller<'_, T>, fd: u32| {
			if fd <= 2 {
				SUCCESS
			} else {
				EBADF
			}
		},
	)?;
	linker.func_wrap(MODULE, "fd_fdstat_get", |mut c: Caller<'_, T>, fd: u32, stat: u32| {
		if fd > 2 {
			return EBADF;
		}
		// filetype CHARACTER_DEVICE, no flags; rights: read (bit 1) for stdin, write (bit 6)
		// for stdout and stderr.
		let rights: u64 = if fd == 0 { 1 << 1 } else { 1 << 6 };
		let mut bytes = [0u8; 24];
		bytes[0] = 2;
		bytes[8..16].copy_from_slice(&rights.to_le_bytes());
		errno(write_bytes(&mut c, stat, &bytes))
	})?;
	linker.func_wrap(MODULE, "fd_prestat_get", |_: Caller<'_, T>, _: u32, _: u32| EBADF)?;
	linker.func_wrap(
		MODULE,
		"fd_prestat_dir_name",
		|_: Caller<'_, T>, _: u32, _: u32, _: u32| EBADF,
	)?;
	linker.func_wrap(
		MODULE,
		"fd_seek",
		|_: Caller<'_, T>, fd: u32, _: i64, _: u32, _: u32| {
			if fd <= 2 {
				ESPIPE
			} else {
				EBADF
			}
		},
	)?;
	linker.func_wrap(MODULE, "random_get", |mut c: Caller<'_, T>, buf: u32, len: u32| {
		// Filled in place, eight bytes at a time, once the whole range is known to be in the
		// guest's memory: the host allocates nothing, whatever `len` the guest asks for.
		let Some(memory) = memory(&mut c) else { return EFAULT };
		let start = buf as usize;
		let Some(end) = start.checked_add(len as usize) else { return EFAULT };
		if end > memory.data_size(&c) {
			return EFAULT;
		}
		let (data, state) = memory.data_and_store_mut(&mut c);
		for chunk in data[start..end].chunks_mut(8) {
			let word = state.io().next_random().to_le_bytes();
			chunk.copy_from_slice(&word[..chunk.len()]);
		}
		SUCCESS
	})?;
	linker.func_wrap(MODULE, "sched_yield", |_: Caller<'_, T>| SUCCESS)?;
	linker.func_wrap(
		MODULE,
		"poll_oneoff",
		|_: Caller<'_, T>, _: u32, _: u32, _: u32, _: u32| ENOSYS,
	)?;
	linker.func_wrap(
		MODULE,
		"proc_exit",
		|_: Caller<'_, T>, status: u32| -> anyhow::Result<()> { Err(Stop::Exit(status).into()) },
	)?;
	linker.func_wrap(MODULE, "proc_raise", |_: Caller<'_, T>, _: u32| EINVAL)?;
	Ok(())
}
