#!/usr/bin/env bash
# Installs what building Offload needs and is missing: Rust targets and components via rustup,
# Debian packages via apt-get. Safe to run again: it only installs what is absent.
set -euo pipefail
source "$(dirname "$0")/env.sh"

if ! command -v rustup >/dev/null; then
	echo "setup: rustup is required (https://rustup.rs); install it and re-run" >&2
	exit 1
fi

installed_targets="$(rustup target list --installed)"
# wasm32v1-none and wasm32-unknown-unknown: the runtime; wasm32-wasip1: the Rust example guest.
for target in wasm32v1-none wasm32-unknown-unknown wasm32-wasip1; do
	if ! grep -qx "$target" <<<"$installed_targets"; then
		echo "setup: rustup target add $target"
		rustup target add "$target"
	fi
done
if ! rustup component list --installed | grep -q '^rust-src'; then
	echo "setup: rustup component add rust-src"
	rustup component add rust-src
fi

# clang/libclang: rocksdb's bindings; protobuf-compiler: libp2p's build scripts; curl: scripts;
# podman, runc: the worker's container runtime; busybox-static: the container tests' image;
# openssl: the https input test's server.
packages=(clang libclang-dev protobuf-compiler pkg-config make curl podman runc busybox-static openssl)
# nodejs, npm: the polkadot.js test (unless a Node.js is installed some other way).
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
sudo=""
[[ "$(id -u)" == 0 ]] || sudo="sudo"
missing=()
for package in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
	echo "setup: apt-get install ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A worker running as root runs each container in a user namespace of its own (podman's
# --userns=auto), whose IDs come from the range of the user `containers`.
for file in /etc/subuid /etc/subgid; do
	if ! grep -q '^containers:' "$file" 2>/dev/null; then
		echo "setup: a containers ID range in $file"
		echo "containers:2147483647:2147483648" | $sudo tee -a "$file" >/dev/null
	fi
done

# The @polkadot/api packages of the polkadot.js test, from the committed lockfile.
polkadotjs="$OFFLOAD_ROOT/node/tests/polkadotjs"
if [[ ! -f "$polkadotjs/node_modules/.package-lock.json" \
	|| "$polkadotjs/package-lock.json" -nt "$polkadotjs/node_modules/.package-lock.json" ]]; then
	echo "setup: npm ci (node/tests/polkadotjs)"
	(cd "$polkadotjs" && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "setup: ready (cargo target dir: $CARGO_TARGET_DIR)"
