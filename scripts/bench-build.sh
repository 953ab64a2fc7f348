#!/usr/bin/env bash
# Times `midenc build` on a fresh `midenc new` crate and prints a table:
#   first build (the crate and its dependencies; core/alloc taken from the shared build-std
#   cache), a rebuild without changes, and a rebuild after editing src/lib.rs.
# Pass --cold to start from an empty cargo target directory (core and alloc compiled too).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/env.sh
cargo build -q --locked -p midenc
midenc="$CARGO_TARGET_DIR/debug/midenc"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "${1:-}" = --cold ]; then
  guest_target="$work/target"
else
  guest_target="${MIDENC_GUEST_TARGET:-$HOME/.cache/midenc-guest-target}"
fi
cd "$work"
"$midenc" new bench-crate 2>/dev/null
cd bench-crate
time_build() { # prints seconds
  local start end
  start=$(date +%s.%N)
  CARGO_TARGET_DIR="$guest_target" "$midenc" build "$@" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
printf '| step | debug (s) | release (s) |\n|---|---|---|\n'
first_d=$(time_build); first_r=$(time_build --release)
warm_d=$(time_build); warm_r=$(time_build --release)
sed -i 's/a.wrapping_add(b)$/b.wrapping_add(a)/' src/lib.rs
edit_d=$(time_build); edit_r=$(time_build --release)
printf '| first build%s | %.2f | %.2f |\n' "$([ "${1:-}" = --cold ] && echo ' (cold: core/alloc too)')" "$first_d" "$first_r"
printf '| rebuild, no change | %.2f | %.2f |\n' "$warm_d" "$warm_r"
printf '| rebuild after editing src/lib.rs | %.2f | %.2f |\n' "$edit_d" "$edit_r"
