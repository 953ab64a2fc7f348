//! The WebAssembly spec suite's integer and memory files on the Miden VM.
//!
//! Floors, not targets: the integer files must pass completely, and the total number of passing
//! assertions may only grow. `cargo run -p midenc-tests --bin conformance` regenerates
//! `docs/conformance.md` with the per-file table and every skip reason.

#[test]
fn spec_suite_integer_files_pass_and_totals_do_not_regress() {
    let results = midenc_tests::spec::run_suite();
    assert_eq!(
        results.len(),
        midenc_tests::spec::TARGET_FILES.len(),
        "a target file is missing"
    );
    for (name, report) in &results {
        if [
            "i32",
            "i64",
            "int_exprs",
            "int_literals",
            "load",
            "store",
            "switch",
            "forward",
        ]
        .contains(&name.as_str())
        {
            assert!(report.failed.is_empty(), "{name}: {:#?}", report.failed);
            assert_eq!(report.skipped_count(), 0, "{name}: {:?}", report.skipped);
        }
    }
    let passed: usize = results.iter().map(|(_, r)| r.passed).sum();
    assert!(passed >= 6865, "only {passed} spec assertions passed");
}
