#!/usr/bin/env bash
# Proves that `midenc bindings` output compiles for wasm32 in a #![no_std] + alloc crate with
# zero warnings, for real-world WIT and for every WIT fixture of the project:
#   - WASI 0.2: the wit/ folder shipped in the wasmtime-wasi crate,
#   - the Miden `miden:base` core types: the wit/ folder shipped in miden-base-macros,
#   - tests/fixtures/wit/* and every wit/ folder under examples/,
#   - a package compiled from examples/core/arith.wat (imports bound by MAST root).
# The two crates are fetched by cargo into its registry cache (`cargo info` downloads and
# unpacks exactly one crate); nothing fetched is written into the repository.
# Builds with Debian's rustc-web (build-std), like scripts/build-fixtures.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/env.sh
cargo build -q --locked -p midenc
midenc="$CARGO_TARGET_DIR/debug/midenc"

# crate_src NAME VERSION: the crate's unpacked sources in cargo's registry cache.
crate_src() {
  local dir
  dir=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$1-$2" 2>/dev/null | head -1 || true)
  if [ -z "$dir" ]; then
    cargo info -q "$1@$2" >/dev/null
    dir=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$1-$2" | head -1)
  fi
  echo "$dir"
}
wasi=$(crate_src wasmtime-wasi 48.0.8)/src/p2/wit
miden=$(crate_src miden-base-macros 0.12.0)/wit

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Shared with the workflow tests: core and alloc are built once for both.
guest_target="${MIDENC_GUEST_TARGET:-$HOME/.cache/midenc-guest-target}"
crate="$work/crate"

mkdir -p "$crate/src"
cat >"$crate/Cargo.toml" <<'EOF'
[package]
name = "bindings-check"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
wit-bindgen = { version = "0.63", default-features = false, features = ["realloc", "bitflags"] }

# The same profile as `midenc new` crates, so both share one build of core and alloc.
[profile.dev]
panic = "abort"
opt-level = 1

[workspace]
EOF
cat >"$crate/src/lib.rs" <<'EOF'
//! Every generated binding, one module each; compiled with warnings denied.
#![no_std]
#![deny(warnings)]
extern crate alloc;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The bindings allocate (strings, lists); any allocator will do for compiling.
struct NoAlloc;

unsafe impl core::alloc::GlobalAlloc for NoAlloc {
    unsafe fn alloc(&self, _: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _: *mut u8, _: core::alloc::Layout) {}
}

#[global_allocator]
static ALLOCATOR: NoAlloc = NoAlloc;
EOF

n=0
# bind SOURCE [WORLD]: generates one module.
bind() {
  local out="$crate/src/b$n.rs"
  if [ -n "${2:-}" ]; then
    "$midenc" bindings "$1" --world "$2" -o "$out"
  else
    "$midenc" bindings "$1" -o "$out"
  fi
  echo "/// \`$(basename "$1")\` ${2:-}" >>"$crate/src/lib.rs"
  echo "pub mod b$n;" >>"$crate/src/lib.rs"
  echo "bindings: $1 ${2:-}" >&2
  n=$((n + 1))
}

bind "$wasi" bindings
bind "$wasi" test-reactor
bind "$wasi" wasi:cli/command@0.2.12
bind "$miden" base-world
for f in tests/fixtures/wit/*.wit tests/fixtures/wit/*/; do
  [ -e "$f" ] || continue
  bind "$f"
done
while IFS= read -r d; do bind "$d"; done < <(find examples tests/fixtures -path tests/fixtures/wit -prune -o -type d -name wit -print | sort)
"$midenc" compile examples/core/arith.wat -o "$work/arith.masp"
bind "$work/arith.masp"

log="$work/build.log"
if ! RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$guest_target" \
  /usr/bin/cargo build --manifest-path "$crate/Cargo.toml" \
  -Z build-std=core,alloc --target wasm32-unknown-unknown \
  --config 'target.wasm32-unknown-unknown.linker="wasm-ld-22"' >"$log" 2>&1; then
  cat "$log" >&2
  echo "check-bindings: FAILED: generated bindings do not compile" >&2
  exit 1
fi
if grep -q '^warning' "$log"; then
  cat "$log" >&2
  echo "check-bindings: FAILED: generated bindings compile with warnings" >&2
  exit 1
fi
echo "check-bindings: $n bindings compile for wasm32 with no warnings" >&2
