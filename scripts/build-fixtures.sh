#!/usr/bin/env bash
# Builds the test programs from source into git-ignored `out/` directories. Idempotent and quiet
# when nothing changed (cargo tracks the Rust inputs; a stamp of sources, flags and compiler
# version guards each C build).
#   Rust: the cargo workspace tests/fixtures/rust/ (one no_std cdylib per program) for wasm32
#         with Debian's rustc-web and build-std, release and debug profiles
#         -> tests/fixtures/rust/out/<program>.<release|debug>.wasm
#   Components: the cargo workspace tests/fixtures/components/rust/ (one no_std cdylib per test
#         component, bindings by the `wit-bindgen` guest crate, which embeds each world in a
#         custom section) for wasm32 in one build-std pass, release profile only
#         -> tests/fixtures/components/rust/out/<component>.wasm (core modules; the tests make
#         them components with wit-component)
#   C:    each tests/fixtures/c/<program>.c linked with rt.c by clang-19 and wasm-ld (lld-19),
#         freestanding, at -O2 and -O0 -> tests/fixtures/c/out/<program>.<O2|O0>.wasm
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# --- Rust ---------------------------------------------------------------------------------------
rust="$root/tests/fixtures/rust"
mkdir -p "$rust/out"
target="${MIDENC_FIXTURE_TARGET:-$HOME/.cache/midenc-fixtures}"
for profile in release dev; do
  dir=$([ "$profile" = dev ] && echo debug || echo release)
  RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target" \
    /usr/bin/cargo build -q --workspace --profile "$profile" --manifest-path "$rust/Cargo.toml" \
    -Z build-std=core,alloc --target wasm32-unknown-unknown \
    --config 'target.wasm32-unknown-unknown.linker="wasm-ld-22"'
  for manifest in "$rust"/*/Cargo.toml; do
    grep -q 'cdylib' "$manifest" || continue
    name=$(basename "$(dirname "$manifest")")
    built="$target/wasm32-unknown-unknown/$dir/midenc_fixture_$name.wasm"
    dest="$rust/out/$name.$dir.wasm"
    cmp -s "$built" "$dest" || cp "$built" "$dest"
  done
done

# --- Rust test components ------------------------------------------------------------------------
components="$root/tests/fixtures/components/rust"
mkdir -p "$components/out"
RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target" \
  /usr/bin/cargo build -q --locked --workspace --release --manifest-path "$components/Cargo.toml" \
  -Z build-std=core,alloc --target wasm32-unknown-unknown \
  --config 'target.wasm32-unknown-unknown.linker="wasm-ld-22"'
for manifest in "$components"/*/Cargo.toml; do
  name=$(basename "$(dirname "$manifest")")
  built="$target/wasm32-unknown-unknown/release/midenc_component_$name.wasm"
  dest="$components/out/$name.wasm"
  cmp -s "$built" "$dest" || cp "$built" "$dest"
done

# --- The soft-float runtime ---------------------------------------------------------------------
bash "$root/scripts/build-float-rt.sh"

# --- C ------------------------------------------------------------------------------------------
c="$root/tests/fixtures/c"
mkdir -p "$c/out"
cflags=(--target=wasm32-unknown-unknown -nostdlib -fuse-ld=lld -Wall -Wextra -Werror
  -Wl,--no-entry)
compiler=$(clang-19 --version | head -n 1)
for src in "$c"/*.c; do
  name=$(basename "$src" .c)
  [ "$name" = rt ] && continue
  for opt in O2 O0; do
    dest="$c/out/$name.$opt.wasm"
    stamp=$(cat "$src" "$c/rt.c" "$c/rt.h" | sha256sum | cut -d' ' -f1)
    stamp="$stamp -$opt ${cflags[*]} $compiler"
    if [ -f "$dest" ] && [ "$(cat "$dest.stamp" 2>/dev/null)" = "$stamp" ]; then
      continue
    fi
    clang-19 "${cflags[@]}" "-$opt" -o "$dest.tmp" "$src" "$c/rt.c"
    mv "$dest.tmp" "$dest"
    printf '%s' "$stamp" >"$dest.stamp"
  done
done
