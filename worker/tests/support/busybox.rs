//! A container image for tests, built here rather than pulled: a root filesystem holding
//! Debian's statically linked busybox (package `busybox-static`), imported into podman.

use offload_worker::executor::container::ContainerExecutor;
use std::{path::Path, process::Command};

/// The busybox applets the tests' commands use.
const APPLETS: &[&str] =
	&["sh", "cat", "wc", "sleep", "echo", "tr", "head", "yes", "ls", "nc", "id"];

/// The podman executor of this host; the tests need podman (scripts/setup.sh installs it).
pub fn executor() -> ContainerExecutor {
	ContainerExecutor::detect("podman", "runc")
		.unwrap_or_else(|why| panic!("{why}; scripts/setup.sh installs podman and runc"))
}

/// The busybox image's ID, imported once per test process.
pub fn image(executor: &ContainerExecutor) -> [u8; 32] {
	static IMAGE: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
	*IMAGE.get_or_init(|| {
		let scratch = std::env::temp_dir().join(format!("offload-busybox-{}", std::process::id()));
		let image = import(executor, &scratch);
		let _ = std::fs::remove_dir_all(&scratch);
		// One run before the tests' parallel ones: the first container of a new image sets up
		// its storage (with a user namespace of its own, an ID-mapped layer), and parallel
		// first runs can trip over each other there, which is podman's error (125), not theirs.
		let warm = executor.run(
			&format!("offload-test-warm-{}", std::process::id()),
			&image,
			&["echo".to_string()],
			Vec::new(),
			offload_worker::executor::container::Limits {
				max_seconds: 60,
				memory_mib: 64,
				cpu_millicores: 1000,
				max_output: 1024,
			},
		);
		assert_eq!(warm.result, Ok(b"\n".to_vec()), "a first container of the test image");
		image
	})
}

fn import(executor: &ContainerExecutor, scratch: &Path) -> [u8; 32] {
	let busybox = Path::new("/bin/busybox");
	assert!(busybox.exists(), "/bin/busybox is missing; scripts/setup.sh installs busybox-static");
	let root = scratch.join("rootfs");
	let bin = root.join("bin");
	std::fs::create_dir_all(&bin).expect("rootfs");
	std::fs::copy(busybox, bin.join("busybox")).expect("copy busybox");
	for applet in APPLETS {
		let link = bin.join(applet);
		if !link.exists() {
			std::os::unix::fs::symlink("busybox", &link).expect("applet link");
		}
	}
	let tarball = scratch.join("rootfs.tar");
	let status = Command::new("tar")
		.arg("--create")
		.arg("--file")
		.arg(&tarball)
		.arg("--directory")
		.arg(&root)
		.args(["--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "--sort=name", "."])
		.status()
		.expect("tar runs");
	assert!(status.success(), "tar failed");
	executor.import(&tarball, "localhost/offload-test:busybox").expect("podman import")
}
