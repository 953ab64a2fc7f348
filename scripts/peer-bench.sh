#!/usr/bin/env bash
# Measures the benchmark inputs compiled by 0xMiden's midenc 0.9.2 and writes
# tests/fixtures/peer/midenc-0.9.2.tsv, which the bench binary reads for its peer column.
#
#   bash scripts/peer-bench.sh            # PEER_MIDENC defaults to ~/.cache/peer-midenc/bin/midenc
#
# The peer is never a dependency: install it into its own root first (docs/benchmarks.md has
# the command). Each fixture is compiled once; a compile failure is recorded, with the peer's
# first error line, for every call on that fixture. Calls run through `peer_run` on
# miden-processor 0.23.5; a run whose result differs from ours is recorded as an error too.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/env.sh"
peer="${PEER_MIDENC:-$HOME/.cache/peer-midenc/bin/midenc}"
[ -x "$peer" ] || { echo "error: no peer compiler at $peer (see docs/benchmarks.md)" >&2; exit 1; }
cargo build -q --locked -p midenc-tests --bin peer_run -p midenc --bin midenc
run="$CARGO_TARGET_DIR/debug/peer_run"
ours="$CARGO_TARGET_DIR/debug/midenc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fixtures="$root/tests/fixtures"
out="$fixtures/peer/midenc-0.9.2.tsv"

# <fixture> <call as the bench prints it> <export> <felts, first on top>; an i64 argument is
# its low limb then its high limb.
calls=(
  "c/out/fib.%s.wasm|fib(25)|fib|25"
  "c/out/primes.%s.wasm|count_primes(10000)|count_primes|10000"
  "c/out/sha256.%s.wasm|sha256_prefix(1024, 0)|sha256_prefix|1024 0"
  "c/out/sort.%s.wasm|quicksort_checksum(1000, 1)|quicksort_checksum|1000 1"
  "c/out/bigmath.%s.wasm|mulmod_loop(1000, 12345)|mulmod_loop|1000 12345 0"
  "c/out/memcpy.%s.wasm|memcpy_16k(1)|memcpy_16k|1"
  "c/out/sort.%s.wasm|generic_sort_checksum(300, 5, 0)|generic_sort_checksum|300 5 0"
  "c/out/bigmath.%s.wasm|bigmul(32, 5)|bigmul|32 5"
)
rust_calls=(
  "recursion|fib(25)" "primes|count_primes(10000)" "sha256|sha256_prefix(1024, 0)"
  "sort|sort_unstable_checksum(1000, 1)" "bignum|mulmod_loop(1000, 12345)" "memcpy|memcpy_16k(1)"
  "programs|sort_sum(100)" "fmt|fmt_int(-1234567890123)" "fmt|fmt_debug(4294967293, 70000, 4)"
  "collections|btree_histogram(200, 13, 7)" "dyn_dispatch|shapes_total(100, 77)"
  "recursion|tree_walk(8)" "bignum|bigmul(32, 5)" "bignum|powmod(3, -2, -59)"
  "memcpy|copy_rounds(4096, 4, 9)"
)

# Compiles one fixture with the peer; prints nothing on success, else `error: <first line>`.
compile() {
  local wasm="$1" masp="$2" log
  if log=$("$peer" "$fixtures/$wasm" -o "$masp" 2>&1); then
    return 0
  fi
  # The message: the line after a panic's location, or the text of a reported error.
  printf 'error: compile fails: %s' "$(printf '%s\n' "$log" | awk '
    found { next }
    panic { sub(/^ +/, ""); print; found = 1; next }
    /panicked at/ { panic = 1; next }
    /^Error:/ { sub(/^Error: *(x )?/, ""); print; found = 1 }' | cut -c1-120)"
}

{
  cat <<'HEADER'
# Cycles of the benchmark inputs compiled by 0xMiden's midenc 0.9.2 and run on miden-processor
# 0.23.5, written by `bash scripts/peer-bench.sh` (the bench binary reads this file). One line
# per run, tab-separated: <fixture under tests/fixtures/> <call as the bench prints it>
# <cycles (the package's `init`, then the function, as `peer_run` runs them), or `error: …`>.
HEADER
  for build in O2 O0; do
    for entry in "${calls[@]}"; do
      IFS='|' read -r wasm call export felts <<<"$entry"
      wasm=$(printf "$wasm" "$build")
      masp="$work/$(basename "$wasm" .wasm).masp"
      why=$(compile "$wasm" "$masp" || true)
      if [ -n "$why" ]; then
        printf '%s\t%s\t%s\n' "$wasm" "$call" "$why"
        continue
      fi
      # shellcheck disable=SC2086
      if ! result=$("$run" "$masp" "$export" $felts 2>&1); then
        printf '%s\t%s\terror: run fails: %s\n' "$wasm" "$call" \
          "$(printf '%s\n' "$result" | grep '×' | head -n 1 | sed -E 's/^ *× *//' | cut -c1-120)"
        continue
      fi
      theirs=$(printf '%s\n' "$result" | sed -n 's/^stack: //p' | cut -d' ' -f1-2)
      mine=$("$ours" run --invoke "$call" "$fixtures/$wasm" 2>/dev/null || true)
      cycles=$(printf '%s\n' "$result" | sed -n 's/^cycles: //p')
      # Our result is printed as a Wasm value; the peer's as felts (an i64 as lo, then hi).
      if python3 - "$mine" $theirs <<'PY'
import sys
want, lo, hi = int(sys.argv[1]) % 2**64, int(sys.argv[2]), int(sys.argv[3])
sys.exit(0 if want in (lo, (hi << 32) + lo) else 1)
PY
      then
        printf '%s\t%s\t%s\n' "$wasm" "$call" "$cycles"
      else
        printf '%s\t%s\terror: wrong result %s (midenc: %s)\n' "$wasm" "$call" "$theirs" "$mine"
      fi
    done
  done
  for build in release debug; do
    for entry in "${rust_calls[@]}"; do
      IFS='|' read -r program call <<<"$entry"
      wasm="rust/out/$program.$build.wasm"
      why=$(compile "$wasm" "$work/rust.masp" || true)
      printf '%s\t%s\t%s\n' "$wasm" "$call" "${why:-error: compiled, but no run is scripted for Rust fixtures}"
    done
  done
} >"$work/peer.tsv"
mv "$work/peer.tsv" "$out"
cat "$out"
