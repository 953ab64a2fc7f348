#!/usr/bin/env bash
# Builds the Rust test programs in tests/fixtures/rust/ for wasm32 with Debian's rustc-web
# (build-std), in release and debug, into tests/fixtures/rust/out/. Quiet when up to date.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/tests/fixtures/rust/out"
mkdir -p "$out"
target="${MIDENC_FIXTURE_TARGET:-$HOME/.cache/midenc-fixtures}"
for crate in "$root"/tests/fixtures/rust/*/; do
  [ -f "$crate/Cargo.toml" ] || continue
  name=$(basename "$crate")
  for profile in release dev; do
    dir=$([ "$profile" = dev ] && echo debug || echo release)
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target" \
      /usr/bin/cargo build -q --profile "$profile" --manifest-path "$crate/Cargo.toml" \
      -Z build-std=core,alloc --target wasm32-unknown-unknown \
      --config 'target.wasm32-unknown-unknown.linker="wasm-ld-22"'
    lib=$(echo "midenc-fixture-$name" | tr '-' '_')
    cp "$target/wasm32-unknown-unknown/$dir/$lib.wasm" "$out/$name.$dir.wasm"
  done
done
