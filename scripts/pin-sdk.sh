#!/usr/bin/env bash
# Checks that every polkadot-sdk crate in the workspace is pinned to the exact version the
# polkadot-sdk umbrella release names. Usage: scripts/pin-sdk.sh [RELEASE] (default 2609.2.0).
# Prints mismatches and exits 1 if there are any.
set -euo pipefail
source "$(dirname "$0")/env.sh"
release="${1:-2609.2.0}"

# `cargo info` downloads the umbrella crate into the registry cache.
cargo info "polkadot-sdk@$release" >/dev/null 2>&1 || { echo "pin-sdk: cannot fetch polkadot-sdk@$release" >&2; exit 2; }
manifest="$(ls -d "$HOME"/.cargo/registry/src/*/"polkadot-sdk-$release" | head -1)/Cargo.toml"

# name version, for every [dependencies.NAME] table of the umbrella.
umbrella="$(awk '/^\[dependencies\./ { name = substr($0, 15, length($0) - 15) }
	/^version = / && name != "" { gsub(/"/, "", $3); print name, $3; name = "" }' "$manifest")"

status=0
checked=0
# Workspace pins look like: name = { [package = "real-name", ]version = "=X.Y.Z", ... }
while read -r line; do
	key="${line%% =*}"
	package="$(sed -n 's/.*package = "\([^"]*\)".*/\1/p' <<<"$line")"
	name="${package:-$key}"
	version="$(sed -n 's/.*version = "=\([^"]*\)".*/\1/p' <<<"$line")"
	[[ -n "$version" ]] || continue
	expected="$(awk -v n="$name" '$1 == n { print $2 }' <<<"$umbrella")"
	[[ -n "$expected" ]] || continue
	checked=$((checked + 1))
	if [[ "$expected" != "$version" ]]; then
		echo "pin-sdk: $name is =$version, polkadot-sdk $release names $expected"
		status=1
	fi
done < <(grep -E '^[a-z0-9-]+ = \{.*version = "=' "$OFFLOAD_ROOT/Cargo.toml")

echo "pin-sdk: $checked crates checked against polkadot-sdk $release"
exit "$status"
