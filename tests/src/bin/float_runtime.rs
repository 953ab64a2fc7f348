//! Compiles the soft-float runtime (`float-rt/`, built to Wasm by `scripts/build-float-rt.sh`)
//! to the MASM that midenc links into programs with float operators:
//! `frontend-wasm/src/float.masm` (see `midenc_tests::float_runtime`).
//!
//! `cargo run -p midenc-tests --bin float_runtime` rewrites the file; with `--check` it only
//! compares (exit 1 when the committed file is stale).

use std::process::ExitCode;

use midenc_tests::float_runtime::{runtime_text, MASM, WASM};

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let wasm = match std::fs::read(format!("{root}/{WASM}")) {
        Ok(wasm) => wasm,
        Err(e) => {
            eprintln!("error: cannot read {WASM} ({e}): run scripts/build-float-rt.sh first");
            return ExitCode::FAILURE;
        }
    };
    let text = match runtime_text(&wasm) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let path = format!("{root}/{MASM}");
    if check {
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            return ExitCode::SUCCESS;
        }
        eprintln!("error: {MASM} is stale: run `cargo run -p midenc-tests --bin float_runtime`");
        return ExitCode::FAILURE;
    }
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("error: cannot write {MASM}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
