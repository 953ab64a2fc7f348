//! Instance state across calls, and compiling the supported part of a module with float code.

use std::path::Path;

use midenc::{error::DriverError, vm};
use midenc_abi::CoreValue;
use midenc_frontend_wasm::{compile_module, CompileOptions, Request, UnsupportedCode, WasmError};

const COUNTER: &str = r#"
(module
  (memory 1)
  (global $n (mut i32) (i32.const 10))
  (func (export "bump") (param i32)
    (global.set $n (i32.add (global.get $n) (local.get 0)))
    (i32.store (i32.const 100) (i32.add (i32.load (i32.const 100)) (i32.const 1))))
  (func (export "total") (result i32) (global.get $n))
  (func (export "bumps") (result i32) (i32.load (i32.const 100))))
"#;

#[test]
fn calls_in_one_instance_share_state_and_separate_calls_do_not() {
    let wasm = wat::parse_str(COUNTER).unwrap();
    let package = midenc::compile_wasm(Path::new("counter.wasm"), &wasm, "counter").unwrap();
    let (bump, bump_root) = package.export("bump").unwrap();
    let (total, total_root) = package.export("total").unwrap();
    let (bumps, _) = package.export("bumps").unwrap();
    assert!(bump.writes_state);
    assert!(!total.writes_state && !bumps.writes_state);

    let five = [CoreValue::I32(5)];
    let seven = [CoreValue::I32(7)];
    let calls = [
        midenc_tests::runs::Call {
            export: bump,
            args: &five,
        },
        midenc_tests::runs::Call {
            export: bump,
            args: &seven,
        },
        midenc_tests::runs::Call {
            export: total,
            args: &[],
        },
    ];
    let out = midenc_tests::runs::run_in_one_instance(&package, &calls).unwrap();
    assert_eq!(out.results, vec![CoreValue::I32(22)]);
    let calls = [
        midenc_tests::runs::Call {
            export: bump,
            args: &five,
        },
        midenc_tests::runs::Call {
            export: bump,
            args: &five,
        },
        midenc_tests::runs::Call {
            export: bumps,
            args: &[],
        },
    ];
    let out = midenc_tests::runs::run_in_one_instance(&package, &calls).unwrap();
    assert_eq!(out.results, vec![CoreValue::I32(2)]);

    // Each `call` of an export is a fresh instance.
    vm::call_export(&package, bump_root, &five, &[]).unwrap();
    let out = vm::call_export(&package, total_root, &[], &total.results.clone()).unwrap();
    assert_eq!(out.results, vec![CoreValue::I32(10)]);
}

#[test]
fn instantiation_alone_traps_on_an_out_of_range_segment() {
    let wasm = wat::parse_str(r#"(module (memory 1) (data (i32.const 65535) "ab"))"#).unwrap();
    let package = midenc::compile_wasm(Path::new("seg.wasm"), &wasm, "seg").unwrap();
    match midenc_tests::runs::run_in_one_instance(&package, &[]) {
        Err(DriverError::Trap { message, .. }) => assert!(message.contains("out of bounds")),
        other => panic!("expected a trap, got {:?}", other.map(|o| o.results)),
    }
}

const MIXED: &str = r#"
(module
  (global $v (mut v128) (v128.const i32x4 1 2 3 4))
  (func (export "int") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func (export "uses_vector") (result i32) (i32x4.extract_lane 0 (global.get $v)))
  (func (export "vector_sig") (param v128) (result v128) (local.get 0)))
"#;

#[test]
fn unsupported_code_is_rejected_by_default_and_trapped_on_request() {
    let wasm = wat::parse_str(MIXED).unwrap();
    let err = compile_module(&Request::new(&wasm)).unwrap_err();
    assert!(
        matches!(&err, WasmError::Unsupported { feature, .. } if feature.contains("v128")),
        "{err}"
    );

    let options = CompileOptions {
        unsupported: UnsupportedCode::Trap,
        ..CompileOptions::default()
    };
    let compiled = compile_module(&Request::new(&wasm).with_options(options)).unwrap();
    assert_eq!(
        compiled.omitted_exports,
        vec![(
            "vector_sig".to_string(),
            "unsupported: SIMD (v128 values)".to_string()
        )]
    );
    let package = midenc_linker::link(&midenc_linker::PackageSpec {
        name: "mixed",
        version: "0.1.0",
        module: &compiled,
        wasm: &wasm,
        world: None,
        resolutions: &[],
    })
    .unwrap();
    let (int, root) = package.export("int").unwrap();
    let out = vm::call_export(&package, root, &[CoreValue::I32(14)], &int.results.clone());
    assert_eq!(out.unwrap().results, vec![CoreValue::I32(42)]);
    let (_, root) = package.export("uses_vector").unwrap();
    match vm::call_export(&package, root, &[], &[midenc_abi::CoreType::I32]) {
        Err(DriverError::Trap { message, .. }) => {
            assert!(message.starts_with("unsupported: "), "{message}")
        }
        other => panic!(
            "expected an unsupported trap, got {:?}",
            other.map(|o| o.results)
        ),
    }
}

/// A component whose exports differ in what they change: nothing, a global, and linear memory
/// (its string argument is copied in through `cabi_realloc`).
const STATEFUL_COMPONENT: &str = r#"
(component
  (core module $m
    (memory (export "memory") 1)
    (global $n (mut i32) (i32.const 0))
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 16)
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "bump") (global.set $n (i32.add (global.get $n) (i32.const 1))))
    (func (export "len") (param i32 i32) (result i32) local.get 1))
  (core instance $i (instantiate $m))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add")))
  (func (export "bump") (canon lift (core func $i "bump")))
  (func (export "len") (param "s" string) (result u32)
    (canon lift (core func $i "len") (memory (core memory $i "memory"))
      (realloc (core func $i "cabi_realloc"))))
)
"#;

#[test]
fn component_exports_say_whether_they_write_instance_state() {
    let wasm = wat::parse_str(STATEFUL_COMPONENT).unwrap();
    let package = midenc::compile_wasm(Path::new("stateful.wasm"), &wasm, "stateful").unwrap();
    let writes = |name: &str| package.export(name).unwrap().0.writes_state;
    assert!(!writes("add"), "a pure scalar export");
    assert!(writes("bump"), "the core function sets a global");
    assert!(
        writes("len"),
        "the string argument is allocated in linear memory"
    );
}
