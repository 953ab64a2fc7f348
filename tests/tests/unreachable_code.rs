//! Code that cannot run does not decide whether a module compiles: a body the backend cannot
//! compile (floats, for now) rejects the module only when an export, the start function or a
//! table can reach it. Unreachable ones become traps and the rest runs as wasmi runs it.

use midenc_frontend_wasm::{compile_module, Request};
use midenc_tests::{i32v, Differential};

/// `add` and `twice` reach no float; `$sqrt` and `$mean` (which calls it) cannot run.
const UNUSED_FLOATS: &str = r#"
(module
  (func $sqrt (param f64) (result f64) local.get 0 f64.sqrt)
  (func $mean (param i32 i32) (result i32)
    local.get 0 f64.convert_i32_u local.get 1 f64.convert_i32_u f64.add f64.const 2 f64.div
    call $sqrt i32.trunc_f64_u)
  (func $double (param i32) (result i32) local.get 0 i32.const 1 i32.shl)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "twice") (param i32) (result i32) local.get 0 call $double))
"#;

#[test]
fn unreachable_float_functions_do_not_stop_the_rest() {
    let mut diff = Differential::from_wat(UNUSED_FLOATS);
    let cases = vec![
        ("add", vec![i32v(1), i32v(2)]),
        ("add", vec![i32v(-1), i32v(1)]),
        ("twice", vec![i32v(21)]),
    ];
    assert_eq!(diff.check(&cases), cases.len());
}

fn compile_error(wat: &str) -> Option<String> {
    let wasm = wat::parse_str(wat).expect("the test module parses");
    compile_module(&Request::new(&wasm))
        .err()
        .map(|e| e.to_string())
}

#[test]
fn float_code_that_can_run_is_still_unsupported() {
    // Called by an export, run by the start function, or callable through a table.
    let called = r#"(module (func $f (param f64) (result f64) local.get 0 f64.sqrt)
        (func (export "g") (result i32) f64.const 4 call $f i32.trunc_f64_u))"#;
    let started = r#"(module (global $g (mut i32) (i32.const 0))
        (func $f (global.set $g (i32.trunc_f64_u (f64.sqrt (f64.const 4))))) (start $f)
        (func (export "g") (result i32) global.get $g))"#;
    let in_table = r#"(module (type $t (func (result i32))) (table 1 funcref) (elem (i32.const 0) $f)
        (func $f (result i32) f64.const 4 f64.sqrt i32.trunc_f64_u)
        (func (export "g") (result i32) i32.const 0 call_indirect (type $t)))"#;
    for wat in [called, started, in_table] {
        let err = compile_error(wat).expect("rejected");
        assert!(err.contains("unsupported: f64"), "{err}");
    }
    // In a table that nothing calls through: it cannot run.
    let idle_table = r#"(module (table 1 funcref) (elem (i32.const 0) $f)
        (func $f (result i32) f64.const 4 f64.sqrt i32.trunc_f64_u)
        (func (export "g") (result i32) i32.const 7))"#;
    assert_eq!(compile_error(idle_table), None);
}
