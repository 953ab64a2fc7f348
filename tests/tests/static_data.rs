//! Instantiation without the data segments: an export whose code (and wrapper) can never read
//! linear memory starts from zeroed memory, which it cannot tell from the initialized one.
//! Exports that read, copy, call through a table or call an import keep the full
//! instantiation, and so does every export of a module whose start function reads memory.

use midenc_abi::CoreValue;
use midenc_tests::{i32v, Differential};

const MODULE: &str = r#"
(module
  (import "mast:0x1111111111111111111111111111111111111111111111111111111111111111" "ext" (func $ext (param i32) (result i32)))
  (memory 1)
  (table 1 funcref)
  (elem (i32.const 0) $pure)
  (data (i32.const 16) "\2a\00\00\00static data")
  (func $pure (export "pure") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "store_only") (param i32) (result i32)
    (i32.store (i32.const 64) (local.get 0))
    (memory.fill (i32.const 100) (i32.const 7) (i32.const 8))
    (i32.mul (local.get 0) (i32.const 3)))
  (func (export "calls_pure") (param i32) (result i32)
    (call $pure (local.get 0) (i32.const 1)))
  (func $reads (export "reads") (result i32)
    (i32.load (i32.const 16)))
  (func (export "reads_via_call") (result i32)
    (call $reads))
  (func (export "indirect") (result i32)
    (call_indirect (param i32 i32) (result i32) (i32.const 1) (i32.const 2) (i32.const 0)))
  (func (export "copies") (result i32)
    (memory.copy (i32.const 200) (i32.const 16) (i32.const 4))
    (i32.const 0))
  (func (export "imports") (result i32)
    (call $ext (i32.const 1))))
"#;

/// The instantiation procedure each export's wrapper runs, from the MASM listing.
fn instantiation_of(masm: &str, export: &str) -> String {
    let header = format!("pub proc \"{export}\"\n");
    let body = masm.split(&header).nth(1).expect("the wrapper is listed");
    body.lines()
        .map(str::trim)
        .find(|l| l.starts_with("exec.midenc_instantiate"))
        .unwrap_or_else(|| panic!("no instantiation in {body}"))
        .to_string()
}

// The listings' imports name procedure roots; they are never run here.
use midenc_tests::masm_listing as listing;

#[test]
fn exports_that_cannot_read_memory_skip_the_data_segments() {
    let masm = listing(MODULE);
    for (export, without) in [
        ("pure", true),
        ("store_only", true),
        ("calls_pure", true),
        ("reads", false),
        ("reads_via_call", false),
        ("indirect", false),
        ("copies", false),
        ("imports", false),
    ] {
        let want = if without {
            "exec.midenc_instantiate_without_data"
        } else {
            "exec.midenc_instantiate"
        };
        assert_eq!(instantiation_of(&masm, export), want, "{export}: {masm}");
    }
    // A start function that reads memory runs in every instantiation.
    let with_start = MODULE.replace(
        "(func (export \"imports\")",
        "(func $start (drop (i32.load (i32.const 16)))) (start $start) (func (export \"imports\")",
    );
    assert_eq!(
        instantiation_of(&listing(&with_start), "pure"),
        "exec.midenc_instantiate"
    );
}

#[test]
fn exports_without_data_agree_with_wasmi() {
    // The same module without the import, run on both sides.
    let wat = MODULE
        .replace(r#"(import "mast:0x1111111111111111111111111111111111111111111111111111111111111111" "ext" (func $ext (param i32) (result i32)))"#, "")
        .replace("(call $ext (i32.const 1))", "(i32.const 5)");
    let mut diff = Differential::from_wat(&wat);
    let cases: Vec<(&str, Vec<CoreValue>)> = vec![
        ("pure", vec![i32v(40), i32v(2)]),
        ("store_only", vec![i32v(-7)]),
        ("calls_pure", vec![i32v(41)]),
        ("reads", vec![]),
        ("reads_via_call", vec![]),
        ("indirect", vec![]),
        ("copies", vec![]),
        ("imports", vec![]),
    ];
    diff.check(&cases);
}
