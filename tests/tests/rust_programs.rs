//! Real rustc output: the programs in `tests/fixtures/rust/` (built for wasm32 by
//! `scripts/build-fixtures.sh`, which `scripts/test.sh` runs first), in release and debug
//! profiles, on wasmi and on the Miden VM.

use std::path::PathBuf;

use midenc_abi::CoreValue;
use midenc_tests::{i32v, i64v, Differential};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rust/out")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the fixtures with `bash scripts/build-fixtures.sh`",
            path.display()
        )
    })
}

fn cases(heavy: bool) -> Vec<(&'static str, Vec<CoreValue>)> {
    let mut cases = vec![
        ("sort_sum", vec![i32v(0)]),
        ("sort_sum", vec![i32v(17)]),
        ("fmt_len", vec![i64v(0)]),
        ("fmt_len", vec![i64v(-12345)]),
        ("fmt_len", vec![i64v(i64::MIN)]),
        ("map_count", vec![i32v(5)]),
    ];
    if heavy {
        cases.push(("sort_sum", vec![i32v(100)]));
        cases.push(("fmt_len", vec![i64v(i64::MAX)]));
        cases.push(("map_count", vec![i32v(100)]));
    }
    cases
}

#[test]
fn release_programs_agree_with_wasmi() {
    let mut diff = Differential::from_wasm(&fixture("programs.release.wasm"));
    diff.check(&cases(true));
}

#[test]
fn debug_programs_agree_with_wasmi() {
    let mut diff = Differential::from_wasm(&fixture("programs.debug.wasm"));
    diff.check(&cases(false));
}
