#!/usr/bin/env bash
# The main job, setup included: build midenc; compile a core Wasm module to a Miden package, run
# it on the Miden VM, prove one call and verify the proof; build the Rust example package
# examples/bank with `midenc build` and run it; build the contract examples wallet and p2id and
# run a transaction consuming the note.
# Prints each call, its result and its cycle count, and the transaction report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
. scripts/env.sh
cargo build --locked -p midenc
midenc="$CARGO_TARGET_DIR/debug/midenc"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$midenc" compile examples/core/arith.wat -o "$out/arith.masp"
run() { # prints `CALL = RESULT (cycles: N)`
  local result
  result=$("$midenc" run "$1" --invoke "$2" --cycles 2>"$out/stderr") || { cat "$out/stderr" >&2; exit 1; }
  echo "$2 = $result  ($(cat "$out/stderr"))"
}
run "$out/arith.masp" 'gcd(1071, 462)'
run "$out/arith.masp" 'fact(20)'
run examples/core/arith.wat 'add(2147483647, 1)'
# Prove one call with the Miden prover and verify the proof against the package (docs/proofs.md).
"$midenc" prove "$out/arith.masp" --invoke 'gcd(1071, 462)' -o "$out/gcd.proof"
echo "verified gcd(1071, 462) = $("$midenc" verify "$out/gcd.proof" --package "$out/arith.masp")"

# A Rust package: records, enums, variants and results across the call (examples/README.md).
(cd examples/bank && "$midenc" build)
# `midenc build` writes under cargo's target directory (env.sh sets CARGO_TARGET_DIR).
bank="${CARGO_TARGET_DIR:-examples/target}/miden/debug/bank.masp"
accounts='[{id: 1, owner: "ann", currency: eur, balance: 100}, {id: 2, owner: "bob", currency: eur, balance: 5}]'
run "$bank" "apply($accounts, [transfer({from: 1, to: 2, amount: 30}), withdraw((2, 50))])"
run "$bank" "apply($accounts, [transfer({from: 1, to: 2, amount: 30}), withdraw((2, 35))])"
run "$bank" 'compound(1000000, 500, 10)'

# Contracts in Rust (docs/contracts.md): a basic wallet component and a pay-to-ID note built
# against it, then a transaction on a local mock chain in which the wallet consumes the note.
(cd examples/wallet && "$midenc" build)
target="${CARGO_TARGET_DIR:-examples/target}/miden/debug"
(cd examples/p2id && "$midenc" build -L "$target/wallet.masp")
"$midenc" tx --account "$target/wallet.masp" --note "$target/p2id.masp" \
  --note-storage account --note-asset 100
