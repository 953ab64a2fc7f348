#!/usr/bin/env bash
# The main job, setup included: build midenc, compile a sample Wasm module to a Miden package,
# and run it on the Miden VM, printing the result and the cycle count.
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
echo "gcd(1071, 462) =" "$("$midenc" run "$out/arith.masp" --invoke 'gcd(1071, 462)' --cycles)"
echo "add(2147483647, 1) =" "$("$midenc" run examples/core/arith.wat --invoke 'add(2147483647, 1)' --cycles)"
