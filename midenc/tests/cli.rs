//! The `midenc` binary as users meet it: outputs, exit codes and diagnostics for bad input.

mod common;

use common::{assert_clean_failure, files_in, midenc_output as midenc, stderr, stdout};

use std::path::PathBuf;

const ADD_WAT: &str = r#"(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "wide") (param i64) (result i64) local.get 0 i64.const 1 i64.add))
"#;

/// A temp dir holding `add.wat`.
fn workdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("add.wat");
    std::fs::write(&wat, ADD_WAT).unwrap();
    (dir, wat)
}

#[test]
fn run_add_wraps_and_reports_cycles() {
    let (dir, _) = workdir();
    let o = midenc(
        &[
            "run",
            "add.wat",
            "--invoke",
            "add(2147483647, 1)",
            "--cycles",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "-2147483648\n");
    let cycles: u64 = stderr(&o)
        .trim()
        .strip_prefix("cycles: ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no cycle count in {:?}", stderr(&o)));
    assert!(
        cycles > 0 && cycles < 200,
        "implausible cycle count {cycles}"
    );
}

#[test]
fn compile_writes_package_and_manifest_then_runs_it() {
    let (dir, _) = workdir();
    let o = midenc(
        &["compile", "add.wat", "-o", "out/add.masp", "--emit", "masm"],
        dir.path(),
    );
    assert!(
        !o.status.success(),
        "the output directory does not exist yet"
    );
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let o = midenc(
        &["compile", "add.wat", "-o", "out/add.masp", "--emit", "masm"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        files_in(&dir.path().join("out")),
        ["add.manifest.json", "add.masm", "add.masp"]
    );
    let manifest = std::fs::read_to_string(dir.path().join("out/add.manifest.json")).unwrap();
    assert!(manifest.contains("\"schema\": 3") && manifest.contains("\"mast_root\": \"0x"));
    let o = midenc(&["run", "out/add.masp", "--invoke", "wide(-1)"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "0\n");
    let o = midenc(
        &["run", "out/add.masp", "--invoke", "wide(4294967295)"],
        dir.path(),
    );
    assert_eq!(stdout(&o), "4294967296\n");
}

#[test]
fn malformed_wasm_is_rejected_with_offset() {
    let (dir, _) = workdir();
    std::fs::write(dir.path().join("bad.wasm"), b"\0asm\x01\0\0\0\x01\xff\xff").unwrap();
    let before = files_in(dir.path());
    let o = midenc(&["compile", "bad.wasm"], dir.path());
    assert_clean_failure(&o, dir.path(), &before, "invalid WebAssembly");
    assert!(stderr(&o).contains("offset 0x"), "{}", stderr(&o));
}

#[test]
fn truncated_wasm_is_rejected() {
    let (dir, _) = workdir();
    let full = wat::parse_str(ADD_WAT).unwrap();
    std::fs::write(dir.path().join("cut.wasm"), &full[..full.len() - 5]).unwrap();
    let before = files_in(dir.path());
    let o = midenc(&["compile", "cut.wasm"], dir.path());
    assert_clean_failure(&o, dir.path(), &before, "invalid WebAssembly");
}

#[test]
fn bad_wat_points_at_the_line() {
    let (dir, _) = workdir();
    std::fs::write(
        dir.path().join("bad.wat"),
        "(module\n  (func (result i32)\n    i32.bogus))\n",
    )
    .unwrap();
    let before = files_in(dir.path());
    let o = midenc(&["compile", "bad.wat"], dir.path());
    assert_clean_failure(&o, dir.path(), &before, "invalid WAT");
    assert!(
        stderr(&o).contains("bad.wat:3:"),
        "no location:\n{}",
        stderr(&o)
    );
}

#[test]
fn unknown_export_lists_the_exports() {
    let (dir, _) = workdir();
    let o = midenc(&["run", "add.wat", "--invoke", "sub(1, 2)"], dir.path());
    assert_clean_failure(
        &o,
        dir.path(),
        &files_in(dir.path()),
        "no export named `sub`",
    );
    assert!(stderr(&o).contains("exports: add, wide"), "{}", stderr(&o));
}

#[test]
fn unparsable_wave_arguments_are_located() {
    let (dir, _) = workdir();
    let o = midenc(&["run", "add.wat", "--invoke", "add(1, 2"], dir.path());
    assert_clean_failure(&o, dir.path(), &files_in(dir.path()), "invalid --invoke");
}

#[test]
fn wrong_argument_count_is_rejected() {
    let (dir, _) = workdir();
    let o = midenc(&["run", "add.wat", "--invoke", "add(1)"], dir.path());
    assert_clean_failure(&o, dir.path(), &files_in(dir.path()), "invalid --invoke");
    assert!(stderr(&o).contains("(i32, i32) -> i32"), "{}", stderr(&o));
}

#[test]
fn wrong_argument_type_is_rejected() {
    let (dir, _) = workdir();
    for bad in ["add(1, \"two\")", "add(1, 4294967296)", "add(1.5, 2)"] {
        let o = midenc(&["run", "add.wat", "--invoke", bad], dir.path());
        assert_clean_failure(&o, dir.path(), &files_in(dir.path()), "invalid --invoke");
    }
}

#[test]
fn missing_input_file_is_reported() {
    let (dir, _) = workdir();
    let o = midenc(&["compile", "nope.wasm"], dir.path());
    assert_clean_failure(
        &o,
        dir.path(),
        &files_in(dir.path()),
        "cannot read `nope.wasm`",
    );
}

#[test]
fn unwritable_output_leaves_nothing() {
    let (dir, _) = workdir();
    std::fs::create_dir(dir.path().join("ro")).unwrap();
    let before = files_in(dir.path());
    // A directory in place of the output file: the rename cannot succeed.
    std::fs::create_dir(dir.path().join("ro/add.masp")).unwrap();
    let o = midenc(&["compile", "add.wat", "-o", "ro/add.masp"], dir.path());
    assert_clean_failure(&o, dir.path(), &before, "cannot write");
    assert_eq!(
        files_in(&dir.path().join("ro")),
        ["add.masp"],
        "temporary files left behind"
    );
}

#[test]
fn unsupported_feature_names_function_and_offset() {
    let (dir, _) = workdir();
    std::fs::write(
        dir.path().join("simd.wat"),
        r#"(module (func $scale (export "scale") (param i32) (result i32)
              local.get 0 i32x4.splat i32x4.extract_lane 1))"#,
    )
    .unwrap();
    let before = files_in(dir.path());
    let o = midenc(&["compile", "simd.wat"], dir.path());
    assert_clean_failure(&o, dir.path(), &before, "unsupported: i32x4.splat");
    assert!(
        stderr(&o).contains("in scale, at offset 0x"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn module_without_function_exports_compiles_to_its_instantiation() {
    let (dir, _) = workdir();
    std::fs::write(
        dir.path().join("noexp.wat"),
        r#"(module (memory (export "m") 1) (func $f (result i32) i32.const 1))"#,
    )
    .unwrap();
    let o = midenc(&["compile", "noexp.wat"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest = std::fs::read_to_string(dir.path().join("noexp.manifest.json")).unwrap();
    assert!(manifest.contains("\"exports\": []"), "{manifest}");
    assert!(
        manifest.contains("\"instantiate_mast_root\": \"0x"),
        "{manifest}"
    );
}

#[test]
fn trap_exits_nonzero_with_trap_message() {
    let (dir, _) = workdir();
    std::fs::write(
        dir.path().join("div.wat"),
        r#"(module (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))"#,
    )
    .unwrap();
    let o = midenc(&["run", "div.wat", "--invoke", "div(1, 0)"], dir.path());
    assert_clean_failure(
        &o,
        dir.path(),
        &files_in(dir.path()),
        "trap: integer divide by zero",
    );
    let o = midenc(
        &["run", "div.wat", "--invoke", "div(-2147483648, -1)"],
        dir.path(),
    );
    assert_clean_failure(
        &o,
        dir.path(),
        &files_in(dir.path()),
        "trap: integer overflow",
    );
}

#[test]
fn file_names_that_are_not_identifiers_still_compile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1st-try.wat"), ADD_WAT).unwrap();
    let o = midenc(
        &["run", "1st-try.wat", "--invoke", "add(40, 2)"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "42\n");
}

#[test]
fn export_names_need_not_be_wit_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.wat"),
        r#"(module (func (export "sum_of_2") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add))"#,
    )
    .unwrap();
    let o = midenc(
        &["run", "m.wat", "--invoke", "sum_of_2(-5, 4294967296)"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "4294967291\n");
}
