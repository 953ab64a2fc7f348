#!/usr/bin/env bash
# Builds the soft-float runtime (float-rt/, a member of the midenc workspace for its host tests)
# for wasm32 with Debian's rustc-web and build-std, through a throw-away manifest outside the
# clone that points at the same sources (a crate belongs to one workspace only).
#   -> float-rt/out/float_rt.wasm (git-ignored); `cargo run -p midenc-tests --bin float_runtime`
#      compiles it on to frontend-wasm/src/float.masm, the checked-in runtime.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target="${MIDENC_FIXTURE_TARGET:-$HOME/.cache/midenc-fixtures}"
manifest_dir="$target/float-rt-manifest"
mkdir -p "$manifest_dir" "$root/float-rt/out"
cat >"$manifest_dir/Cargo.toml" <<TOML
[workspace]

[package]
name = "float_rt"
version = "0.1.0"
edition = "2021"

[lib]
path = "$root/float-rt/src/lib.rs"
crate-type = ["cdylib"]

[profile.release]
panic = "abort"
opt-level = 3
TOML
RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target" \
  /usr/bin/cargo build -q --release --manifest-path "$manifest_dir/Cargo.toml" \
  -Z build-std=core --target wasm32-unknown-unknown \
  --config 'target.wasm32-unknown-unknown.linker="wasm-ld-22"'
built="$target/wasm32-unknown-unknown/release/float_rt.wasm"
dest="$root/float-rt/out/float_rt.wasm"
cmp -s "$built" "$dest" || cp "$built" "$dest"
