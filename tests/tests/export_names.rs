//! Export names that collide with Miden assembler keywords or with midenc's internal procedure
//! names still compile, and each export runs its own function.

use midenc_tests::{fixture_wasm, i32v, Differential};

#[test]
fn keyword_and_internal_looking_export_names() {
    let wat = String::from_utf8(fixture_wasm("core/export_names.wat")).expect("UTF-8 fixture");
    let mut diff = Differential::from_wat(&wat);
    let cases = vec![
        ("nop", vec![]),
        ("if", vec![i32v(41)]),
        ("true", vec![]),
        ("while", vec![]),
        ("insert_mem", vec![]),
        ("type", vec![]),
        ("wasm_fn0", vec![i32v(21)]),
        ("wasm_load32", vec![]),
        ("x_nop", vec![]),
    ];
    diff.check(&cases);
}
