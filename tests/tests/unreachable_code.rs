//! Code that cannot run does not decide whether a module compiles: a body the backend cannot
//! compile (SIMD, reference values) rejects the module only when an export, the start function
//! or a table can reach it. Unreachable ones become traps and the rest runs as wasmi runs it.

use midenc_frontend_wasm::{compile_module, Request};
use midenc_tests::{i32v, Differential};

/// `add` and `twice` reach no reference value; `$is_null` and `$mean` (which calls it) cannot
/// run. (References rather than SIMD here: wasmi, the reference, refuses SIMD modules.)
const UNUSED_REFERENCES: &str = r#"
(module
  (func $is_null (param i32) (result i32) ref.null func ref.is_null local.get 0 i32.add)
  (func $mean (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add i32.const 1 i32.shr_u call $is_null)
  (func $double (param i32) (result i32) local.get 0 i32.const 1 i32.shl)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "twice") (param i32) (result i32) local.get 0 call $double))
"#;

#[test]
fn unreachable_unsupported_functions_do_not_stop_the_rest() {
    let mut diff = Differential::from_wat(UNUSED_REFERENCES);
    let cases = vec![
        ("add", vec![i32v(1), i32v(2)]),
        ("add", vec![i32v(-1), i32v(1)]),
        ("twice", vec![i32v(21)]),
    ];
    diff.check(&cases);
}

fn compile_error(wat: &str) -> Option<String> {
    let wasm = wat::parse_str(wat).expect("the test module parses");
    compile_module(&Request::new(&wasm))
        .err()
        .map(|e| e.to_string())
}

#[test]
fn simd_code_that_can_run_is_still_unsupported() {
    // Called by an export, run by the start function, or callable through a table.
    let called = r#"(module (func $f (param i32) (result i32) local.get 0 i32x4.splat
          i32x4.extract_lane 0)
        (func (export "g") (result i32) i32.const 4 call $f))"#;
    let started = r#"(module (global $g (mut i32) (i32.const 0))
        (func $f (global.set $g (i32x4.extract_lane 0 (i32x4.splat (i32.const 4))))) (start $f)
        (func (export "g") (result i32) global.get $g))"#;
    let in_table = r#"(module (type $t (func (result i32))) (table 1 funcref) (elem (i32.const 0) $f)
        (func $f (result i32) i32.const 4 i32x4.splat i32x4.extract_lane 0)
        (func (export "g") (result i32) i32.const 0 call_indirect (type $t)))"#;
    for wat in [called, started, in_table] {
        let err = compile_error(wat).expect("rejected");
        assert!(err.contains("unsupported: i32x4.splat"), "{err}");
    }
    // In a table that nothing calls through: it cannot run.
    let idle_table = r#"(module (table 1 funcref) (elem (i32.const 0) $f)
        (func $f (result i32) i32.const 4 i32x4.splat i32x4.extract_lane 0)
        (func (export "g") (result i32) i32.const 7))"#;
    assert_eq!(compile_error(idle_table), None);
}

/// The issue's example: an unused `f64.sqrt` helper beside an `i32` export used to reject the
/// module; floats now compile, and the helper, called, agrees with wasmi.
#[test]
fn a_module_with_a_float_helper_compiles_and_runs() {
    let wat = r#"(module
      (func $sqrt (param f64) (result f64) local.get 0 f64.sqrt)
      (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
      (func (export "root") (param i32) (result i32)
        local.get 0 f64.convert_i32_u call $sqrt i32.trunc_f64_u))"#;
    let mut diff = Differential::from_wat(wat);
    let cases = vec![
        ("add", vec![i32v(1), i32v(2)]),
        ("root", vec![i32v(81)]),
        ("root", vec![i32v(-1)]),
        ("root", vec![i32v(2)]),
    ];
    diff.check(&cases);
}
