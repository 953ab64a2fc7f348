#!/usr/bin/env bash
# The whole test suite, setup included. `.ci/run` calls exactly this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
bash scripts/build-fixtures.sh
bash scripts/check-bindings.sh
. scripts/env.sh
cargo test --workspace --locked
