//! A compile bomb for the hostile-guest tests.

/// The WAT of a valid module of about `bytes` (as WASM) whose one function is hard to compile:
/// deeply nested loops, each branching back to an enclosing one, over a thousand locals. At
/// 400 KB, compiling it takes more than 1 GiB of memory (15 s before the default bound ends
/// it, on the machine this was written on).
pub fn compile_bomb(bytes: usize) -> String {
	let mut body = String::new();
	let mut depth = 0usize;
	while body.len() < bytes * 3 {
		body.push_str(&format!(
			"(loop $b{depth} (local.set {} (i32.add (local.get {}) (local.get {}))) (br_if $b{} (local.get {}))",
			depth % 1000,
			(depth * 7) % 1000,
			(depth * 13) % 1000,
			depth / 2,
			depth % 1000
		));
		depth += 1;
	}
	for _ in 0..depth {
		body.push(')');
	}
	format!("(module (func (export \"_start\") (local {}) {body}))", "i32 ".repeat(1000))
}
