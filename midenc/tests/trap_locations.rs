//! Diagnostics print their message once, and a trap names the Wasm function and the byte offset
//! of the operator that trapped: for core modules, packages read back from disk and modules
//! compiled with a WIT world (whose export wrappers say when lifting failed).

mod common;

use common::{midenc_output as midenc, stderr};

use wasmparser::{Operator, Parser, Payload};

/// Byte offset of the first operator in the body of function `func` (imports first) that
/// `is_it` accepts, as wasmparser (and wasmtime's backtraces) report offsets.
fn operator_offset(wasm: &[u8], func: u32, is_it: impl Fn(&Operator<'_>) -> bool) -> u64 {
    let mut imported = 0;
    let mut body = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(import.unwrap().ty, wasmparser::TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(b) => {
                if imported + body == func {
                    let mut ops = b.get_operators_reader().unwrap();
                    while !ops.eof() {
                        let (op, offset) = ops.read_with_offset().unwrap();
                        if is_it(&op) {
                            return offset;
                        }
                    }
                }
                body += 1;
            }
            _ => {}
        }
    }
    panic!("function {func} has no such operator")
}

/// `needle` occurs exactly once in `text`.
fn assert_once(text: &str, needle: &str) {
    assert_eq!(
        text.matches(needle).count(),
        1,
        "expected `{needle}` exactly once in:\n{text}"
    );
}

const TRAPS_WAT: &str = r#"(module
  (memory 1)
  (func $divide (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.div_u)
  (func $peek (param i32) (result i32)
    local.get 0
    i32.load offset=8)
  (func $boom
    nop
    unreachable)
  (func (export "div") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    call $divide)
  (func (export "peek") (param i32) (result i32)
    local.get 0
    call $peek)
  (func (export "boom")
    call $boom))
"#;

/// The expected diagnostic of each export of `TRAPS_WAT`.
fn expected_traps() -> Vec<(&'static str, String)> {
    let wasm = wat::parse_str(TRAPS_WAT).unwrap();
    let div = operator_offset(&wasm, 0, |op| matches!(op, Operator::I32DivU));
    let load = operator_offset(&wasm, 1, |op| matches!(op, Operator::I32Load { .. }));
    let boom = operator_offset(&wasm, 2, |op| matches!(op, Operator::Unreachable));
    vec![
        (
            "div(7, 0)",
            format!("trap: integer divide by zero (in divide, at offset {div:#x})"),
        ),
        (
            "peek(65530)",
            format!("trap: out of bounds memory access (in peek, at offset {load:#x})"),
        ),
        (
            "boom()",
            format!("trap: unreachable (in boom, at offset {boom:#x})"),
        ),
    ]
}

#[test]
fn core_traps_name_the_function_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("traps.wat"), TRAPS_WAT).unwrap();
    for (call, message) in expected_traps() {
        let o = midenc(&["run", "traps.wat", "--invoke", call], dir.path());
        assert!(!o.status.success(), "{call} did not trap");
        assert_once(&stderr(&o), &message);
    }
}

#[test]
fn a_package_from_disk_reports_the_same_locations() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("traps.wat"), TRAPS_WAT).unwrap();
    let o = midenc(&["compile", "traps.wat", "-o", "traps.masp"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for (call, message) in expected_traps() {
        let o = midenc(&["run", "traps.masp", "--invoke", call], dir.path());
        assert!(!o.status.success(), "{call} did not trap");
        assert_once(&stderr(&o), &message);
    }
}

/// A trapping float truncation names its own operator, not an earlier access of the function.
#[test]
fn float_truncation_traps_at_its_operator() {
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module (memory 1)
      (func $conv (param f64) (result i32)
        i32.const 0 i32.load drop
        local.get 0 i32.trunc_f64_s)
      (func (export "conv") (param f64) (result i32) local.get 0 call $conv))"#;
    std::fs::write(dir.path().join("conv.wat"), wat).unwrap();
    let wasm = wat::parse_str(wat).unwrap();
    let at = operator_offset(&wasm, 0, |op| matches!(op, Operator::I32TruncF64S));
    for (call, message) in [
        (
            "conv(3e10)",
            format!("trap: integer overflow (in conv, at offset {at:#x})"),
        ),
        (
            "conv(nan)",
            format!("trap: invalid conversion to integer (in conv, at offset {at:#x})"),
        ),
    ] {
        let o = midenc(&["run", "conv.wat", "--invoke", call], dir.path());
        assert_once(&stderr(&o), &message);
    }
}

#[test]
fn signed_division_traps_at_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module
      (func $sdiv (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
      (func $srem (param i64 i64) (result i64) local.get 0 local.get 1 i64.rem_s)
      (func (export "sdiv") (param i32 i32) (result i32) local.get 0 local.get 1 call $sdiv)
      (func (export "srem") (param i64 i64) (result i64) local.get 0 local.get 1 call $srem))"#;
    std::fs::write(dir.path().join("sdiv.wat"), wat).unwrap();
    let wasm = wat::parse_str(wat).unwrap();
    let div = operator_offset(&wasm, 0, |op| matches!(op, Operator::I32DivS));
    let rem = operator_offset(&wasm, 1, |op| matches!(op, Operator::I64RemS));
    for (call, message) in [
        (
            "sdiv(1, 0)",
            format!("trap: integer divide by zero (in sdiv, at offset {div:#x})"),
        ),
        (
            "sdiv(-2147483648, -1)",
            format!("trap: integer overflow (in sdiv, at offset {div:#x})"),
        ),
        (
            "srem(1, 0)",
            format!("trap: integer divide by zero (in srem, at offset {rem:#x})"),
        ),
    ] {
        let o = midenc(&["run", "sdiv.wat", "--invoke", call], dir.path());
        assert_once(&stderr(&o), &message);
    }
}

#[test]
fn a_world_export_names_core_code_and_its_lift() {
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module
      (memory (export "memory") 1)
      (func $divide (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_u)
      (func (export "rem") (param i32 i32) (result i32) local.get 0 local.get 1 call $divide)
      (func (export "to-color") (param i32) (result i32) local.get 0))"#;
    let wit = "package test:traps@0.1.0;\n\nworld traps {\n  \
               enum color { red, green, blue }\n  \
               export rem: func(a: u32, b: u32) -> u32;\n  \
               export to-color: func(x: u32) -> color;\n}\n";
    std::fs::write(dir.path().join("w.wat"), wat).unwrap();
    std::fs::write(dir.path().join("w.wit"), wit).unwrap();
    let o = midenc(
        &["compile", "w.wat", "--wit", "w.wit", "-o", "w.masp"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rem = operator_offset(&wat::parse_str(wat).unwrap(), 0, |op| {
        matches!(op, Operator::I32RemU)
    });
    let o = midenc(&["run", "w.masp", "--invoke", "rem(1, 0)"], dir.path());
    assert_once(
        &stderr(&o),
        &format!("trap: integer divide by zero (in divide, at offset {rem:#x})"),
    );
    // 7 is no color: lifting the core function's result fails in the export's wrapper.
    let o = midenc(&["run", "w.masp", "--invoke", "to-color(7)"], dir.path());
    assert_once(
        &stderr(&o),
        "trap: invalid variant discriminant (in the result lift of export `to-color`)",
    );
    // A caller that passes a felt beyond u32 (the host never does) fails the argument lift.
    let package = midenc::input::load_package(&dir.path().join("w.masp")).unwrap();
    let (_, root) = package.export("to-color").unwrap();
    let err = midenc::vm::execute(&package, root, &[1 << 40], Default::default())
        .err()
        .expect("a felt beyond u32 traps");
    assert_eq!(
        err.to_string(),
        "trap: argument is not a u32 (in the argument lift of export `to-color`)"
    );
}

#[test]
fn code_shared_by_identical_functions_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // The assembler keeps one copy of the two identical bodies, with the first one's locations.
    let wat = r#"(module
      (func $first (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_u)
      (func $second (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_u)
      (func $third (param i32 i32) (result i32) local.get 1 local.get 0 i32.div_u)
      (func (export "a") (param i32 i32) (result i32) local.get 0 local.get 1 call $first)
      (func (export "b") (param i32 i32) (result i32) local.get 0 local.get 1 call $second)
      (func (export "c") (param i32 i32) (result i32) local.get 0 local.get 1 call $third))"#;
    std::fs::write(dir.path().join("twins.wat"), wat).unwrap();
    let wasm = wat::parse_str(wat).unwrap();
    let first = operator_offset(&wasm, 0, |op| matches!(op, Operator::I32DivU));
    let third = operator_offset(&wasm, 2, |op| matches!(op, Operator::I32DivU));
    let shared = format!(
        "trap: integer divide by zero (in first, at offset {first:#x}, or identical code in \
         another function)"
    );
    for call in ["a(1, 0)", "b(1, 0)"] {
        let o = midenc(&["run", "twins.wat", "--invoke", call], dir.path());
        assert_once(&stderr(&o), &shared);
    }
    // Code of its own is not marked.
    let o = midenc(&["run", "twins.wat", "--invoke", "c(0, 1)"], dir.path());
    assert_once(
        &stderr(&o),
        &format!("trap: integer divide by zero (in third, at offset {third:#x})\n"),
    );
}

#[test]
fn an_unsupported_feature_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("simd.wat"),
        r#"(module (func $lane (export "lane") (param i32) (result i32)
              local.get 0 i32x4.splat i32x4.extract_lane 2))"#,
    )
    .unwrap();
    let o = midenc(&["compile", "simd.wat"], dir.path());
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_once(&err, "unsupported: i32x4.splat");
    // The frontend's own diagnostic code is the one shown.
    assert_once(&err, "midenc::wasm::unsupported");
}

#[test]
fn a_read_error_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let o = midenc(&["compile", "missing.wat"], dir.path());
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_once(&err, "cannot read `missing.wat`");
    assert_once(&err, "No such file or directory");
}

#[test]
fn a_bad_package_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.masp"), b"not a package").unwrap();
    let o = midenc(&["run", "bad.masp", "--invoke", "f()"], dir.path());
    assert!(!o.status.success());
    assert_once(&stderr(&o), "not a valid midenc package");
}
