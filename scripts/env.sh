# Sourced by the project's scripts: one shared target directory outside the clone, rustup first.
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/midenc-target}"
