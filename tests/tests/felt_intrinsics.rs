//! Felt operations imported from `miden:intrinsics/felt`, compiled by midenc and run on the
//! Miden VM, against miden-core's own `Felt` arithmetic on edge values and random ones.
//!
//! Every export takes and returns `i64`s (canonical felt values), converting with the checked
//! `from_u64` and `as_u64` intrinsics, so values of 2^32 and more cross the call.

use std::path::Path;

use miden_processor::{field::Field, Felt};
use midenc::{error::DriverError, vm};
use midenc_abi::CoreValue;
use midenc_linker::LinkedPackage;

const P: u64 = 0xFFFF_FFFF_0000_0001;

const MODULE: &str = r#"
(module
  (import "miden:intrinsics/felt" "from_u64" (func $in (param i64) (result f32)))
  (import "miden:intrinsics/felt" "from_u64_unchecked" (func $reduce (param i64) (result f32)))
  (import "miden:intrinsics/felt" "from_u32" (func $in32 (param i32) (result f32)))
  (import "miden:intrinsics/felt" "as_u64" (func $out (param f32) (result i64)))
  (import "miden:intrinsics/felt" "add" (func $add (param f32 f32) (result f32)))
  (import "miden:intrinsics/felt" "sub" (func $sub (param f32 f32) (result f32)))
  (import "miden:intrinsics/felt" "mul" (func $mul (param f32 f32) (result f32)))
  (import "miden:intrinsics/felt" "div" (func $div (param f32 f32) (result f32)))
  (import "miden:intrinsics/felt" "neg" (func $neg (param f32) (result f32)))
  (import "miden:intrinsics/felt" "inv" (func $inv (param f32) (result f32)))
  (import "miden:intrinsics/felt" "pow2" (func $pow2 (param f32) (result f32)))
  (import "miden:intrinsics/felt" "exp" (func $exp (param f32 f32) (result f32)))
  (import "miden:intrinsics/felt" "eq" (func $eq (param f32 f32) (result i32)))
  (import "miden:intrinsics/felt" "lt" (func $lt (param f32 f32) (result i32)))
  (import "miden:intrinsics/felt" "lte" (func $lte (param f32 f32) (result i32)))
  (import "miden:intrinsics/felt" "gt" (func $gt (param f32 f32) (result i32)))
  (import "miden:intrinsics/felt" "gte" (func $gte (param f32 f32) (result i32)))
  (import "miden:intrinsics/felt" "is_odd" (func $odd (param f32) (result i32)))
  (import "miden:intrinsics/felt" "assert" (func $assert (param f32)))
  (import "miden:intrinsics/felt" "assert_eq" (func $assert_eq (param f32 f32)))
  (func (export "add") (param i64 i64) (result i64)
    (call $out (call $add (call $in (local.get 0)) (call $in (local.get 1)))))
  (func (export "sub") (param i64 i64) (result i64)
    (call $out (call $sub (call $in (local.get 0)) (call $in (local.get 1)))))
  (func (export "mul") (param i64 i64) (result i64)
    (call $out (call $mul (call $in (local.get 0)) (call $in (local.get 1)))))
  (func (export "div") (param i64 i64) (result i64)
    (call $out (call $div (call $in (local.get 0)) (call $in (local.get 1)))))
  (func (export "exp") (param i64 i64) (result i64)
    (call $out (call $exp (call $in (local.get 0)) (call $in (local.get 1)))))
  (func (export "neg") (param i64) (result i64) (call $out (call $neg (call $in (local.get 0)))))
  (func (export "inv") (param i64) (result i64) (call $out (call $inv (call $in (local.get 0)))))
  (func (export "pow2") (param i64) (result i64) (call $out (call $pow2 (call $in (local.get 0)))))
  (func (export "reduce") (param i64) (result i64) (call $out (call $reduce (local.get 0))))
  (func (export "from_u32") (param i32) (result i64) (call $out (call $in32 (local.get 0))))
  (func (export "eq") (param i64 i64) (result i32) (call $eq (call $in (local.get 0)) (call $in (local.get 1))))
  (func (export "lt") (param i64 i64) (result i32) (call $lt (call $in (local.get 0)) (call $in (local.get 1))))
  (func (export "lte") (param i64 i64) (result i32) (call $lte (call $in (local.get 0)) (call $in (local.get 1))))
  (func (export "gt") (param i64 i64) (result i32) (call $gt (call $in (local.get 0)) (call $in (local.get 1))))
  (func (export "gte") (param i64 i64) (result i32) (call $gte (call $in (local.get 0)) (call $in (local.get 1))))
  (func (export "is_odd") (param i64) (result i32) (call $odd (call $in (local.get 0))))
  (func (export "assert") (param i64) (call $assert (call $in (local.get 0))))
  (func (export "assert_eq") (param i64 i64) (call $assert_eq (call $in (local.get 0)) (call $in (local.get 1))))
  ;; Through a table: the intrinsic's own procedure, not its inline form.
  (type $binary (func (param f32 f32) (result f32)))
  (table 1 funcref)
  (elem (i32.const 0) func $mul)
  (func (export "mul_indirect") (param i64 i64) (result i64)
    (call $out (call_indirect (type $binary)
      (call $in (local.get 0)) (call $in (local.get 1)) (i32.const 0)))))
"#;

/// What a run gave: a value, or the message of a trap.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Value(u64),
    Trap(String),
}

fn compiled() -> LinkedPackage {
    let wasm = wat::parse_str(MODULE).expect("the test module parses");
    midenc::compile_wasm(Path::new("felts.wat"), &wasm, "felts").expect("compiles")
}

fn run(package: &LinkedPackage, export: &str, args: &[u64]) -> Got {
    let (e, root) = package.export(export).expect("exported");
    let args: Vec<CoreValue> = args
        .iter()
        .zip(&e.params)
        .map(|(v, ty)| match ty.carrier() {
            midenc_abi::CoreType::I32 => CoreValue::I32(*v as u32 as i32),
            _ => CoreValue::I64(*v as i64),
        })
        .collect();
    match vm::call_export(package, root, &args, &e.results.clone()) {
        Ok(out) => Got::Value(match out.results.first() {
            Some(v) => midenc_tests::value_bits(*v),
            None => 0,
        }),
        Err(DriverError::Trap { message, .. }) => Got::Trap(message),
        Err(other) => panic!("{export}{args:?}: not a trap: {other}"),
    }
}

/// 0, 1, p − 1, 2^32 − 1, 2^32, 2^63 and their neighbours, then pseudo-random felts.
fn values() -> Vec<u64> {
    let mut v = vec![
        0,
        1,
        2,
        P - 1,
        P - 2,
        (1 << 32) - 1,
        1 << 32,
        (1 << 32) + 1,
        1 << 63,
        (1 << 63) - 1,
        P / 2,
    ];
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..13 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push(x % P);
    }
    v
}

fn felt(v: u64) -> Felt {
    Felt::new(v).expect("test values are canonical")
}

fn value(f: Felt) -> Got {
    Got::Value(f.as_canonical_u64())
}

fn trap_starting(got: &Got, prefix: &str) -> bool {
    matches!(got, Got::Trap(m) if m.starts_with(prefix))
}

#[test]
fn felt_arithmetic_agrees_with_miden_core() {
    let package = compiled();
    let vals = values();
    let mut cases = 0;
    let mut wrong = Vec::new();
    let mut check = |what: String, got: Got, want: Got| {
        cases += 1;
        if got != want {
            wrong.push(format!("{what}: midenc {got:?}, miden-core {want:?}"));
        }
    };
    for &a in &vals {
        for &b in &vals {
            let (fa, fb) = (felt(a), felt(b));
            let binary: [(&str, Got); 9] = [
                ("add", value(fa + fb)),
                ("sub", value(fa - fb)),
                ("mul", value(fa * fb)),
                ("mul_indirect", value(fa * fb)),
                ("exp", value(fa.exp_u64(b))),
                ("eq", Got::Value(u64::from(a == b))),
                ("lt", Got::Value(u64::from(a < b))),
                ("lte", Got::Value(u64::from(a <= b))),
                ("gt", Got::Value(u64::from(a > b))),
            ];
            for (op, want) in binary {
                check(format!("{op}({a}, {b})"), run(&package, op, &[a, b]), want);
            }
            check(
                format!("gte({a}, {b})"),
                run(&package, "gte", &[a, b]),
                Got::Value(u64::from(a >= b)),
            );
            let div = run(&package, "div", &[a, b]);
            match fb.try_inverse() {
                Some(inv) => check(format!("div({a}, {b})"), div, value(fa * inv)),
                None => assert!(trap_starting(&div, "felt division by zero"), "{div:?}"),
            }
        }
        let fa = felt(a);
        check(format!("neg({a})"), run(&package, "neg", &[a]), value(-fa));
        check(
            format!("is_odd({a})"),
            run(&package, "is_odd", &[a]),
            Got::Value(a % 2),
        );
        let inv = run(&package, "inv", &[a]);
        match fa.try_inverse() {
            Some(i) => check(format!("inv({a})"), inv, value(i)),
            None => assert!(trap_starting(&inv, "felt inverse of zero"), "{inv:?}"),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cases} cases disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("felt arithmetic: {cases} cases agree with miden-core");
}

#[test]
fn conversions_check_or_reduce_at_the_modulus() {
    let package = compiled();
    // Checked: the value itself below p, a trap at p and above.
    for v in [0, 1, (1 << 32) - 1, 1 << 32, P - 1] {
        assert_eq!(run(&package, "neg", &[v]), value(-felt(v)), "{v}");
    }
    for v in [P, P + 1, u64::MAX, u64::MAX - 1] {
        let got = run(&package, "neg", &[v]);
        assert!(
            trap_starting(&got, "u64 value is not below the field modulus"),
            "{v}: {got:?}"
        );
    }
    // Unchecked: reduced modulo p.
    for v in [0, P - 1, P, P + 1, u64::MAX, 1 << 63, 0xFFFF_FFFF_0000_0000] {
        assert_eq!(run(&package, "reduce", &[v]), Got::Value(v % P), "{v}");
    }
    for v in [0u64, 1, 0xFFFF_FFFF] {
        assert_eq!(run(&package, "from_u32", &[v]), Got::Value(v), "{v}");
    }
}

#[test]
fn pow2_assert_and_assert_eq() {
    let package = compiled();
    for n in 0..64u64 {
        assert_eq!(
            run(&package, "pow2", &[n]),
            value(felt(2).exp_u64(n)),
            "2^{n}"
        );
    }
    for n in [64, 65, P - 1] {
        let got = run(&package, "pow2", &[n]);
        assert!(
            trap_starting(&got, "felt pow2 exponent of 64 or more"),
            "{n}: {got:?}"
        );
    }
    assert_eq!(run(&package, "assert", &[1]), Got::Value(0));
    for v in [0, 2, P - 1] {
        let got = run(&package, "assert", &[v]);
        assert!(trap_starting(&got, "felt assertion failed"), "{v}: {got:?}");
    }
    assert_eq!(
        run(&package, "assert_eq", &[1 << 40, 1 << 40]),
        Got::Value(0)
    );
    let got = run(&package, "assert_eq", &[1 << 40, (1 << 40) + 1]);
    assert!(trap_starting(&got, "felts are not equal"), "{got:?}");
}

fn compile_error(wasm: &[u8]) -> String {
    match midenc::compile_wasm(Path::new("m.wat"), wasm, "m") {
        Ok(_) => panic!("compiled"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_felt_operations_are_named() {
    let wasm = wat::parse_str(
        r#"(module (import "miden:intrinsics/felt" "sqrt" (func (param f32) (result f32))))"#,
    )
    .unwrap();
    let err = compile_error(&wasm);
    assert!(err.contains("`sqrt` is not a felt operation"), "{err}");
    let wasm = wat::parse_str(
        r#"(module (import "miden:intrinsics/felt" "add" (func (param i32 i32) (result i32))))"#,
    )
    .unwrap();
    let err = compile_error(&wasm);
    assert!(err.contains("must have type (f32, f32) -> f32"), "{err}");
}

/// Byte offset of the first `call` of function `callee` in the module's code.
fn first_call_offset(wasm: &[u8], callee: u32) -> u64 {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                let (op, offset) = ops.read_with_offset().unwrap();
                if matches!(op, wasmparser::Operator::Call { function_index } if function_index == callee)
                {
                    return offset;
                }
            }
        }
    }
    panic!("no call of {callee}")
}

#[test]
fn an_inline_operation_traps_at_its_call() {
    let wasm = wat::parse_str(MODULE).unwrap();
    let package = compiled();
    // `div` is the eighth import (function 7); the export `div` calls it first.
    let offset = first_call_offset(&wasm, 7);
    let (e, root) = package.export("div").unwrap();
    let args = [CoreValue::I64(1), CoreValue::I64(0)];
    let err = match vm::call_export(&package, root, &args, &e.results.clone()) {
        Err(err @ DriverError::Trap { .. }) => err.to_string(),
        other => panic!("not a trap: {:?}", other.map(|o| o.results)),
    };
    assert_eq!(
        err,
        format!("trap: felt division by zero (in div, at offset {offset:#x})")
    );
}

const MERGE_MODULE: &str = r#"
(module
  (import "miden:intrinsics/felt" "from_u64" (func $in (param i64) (result f32)))
  (import "miden:intrinsics/felt" "as_u64" (func $out (param f32) (result i64)))
  (import "miden:intrinsics/felt" "merge"
    (func $merge (param f32 f32 f32 f32 f32 f32 f32 f32) (result f32 f32 f32 f32)))
  (func (export "merge") (param i64 i64 i64 i64 i64 i64 i64 i64) (result i64 i64 i64 i64)
    (local $h0 f32) (local $h1 f32) (local $h2 f32) (local $h3 f32)
    (call $merge
      (call $in (local.get 0)) (call $in (local.get 1)) (call $in (local.get 2)) (call $in (local.get 3))
      (call $in (local.get 4)) (call $in (local.get 5)) (call $in (local.get 6)) (call $in (local.get 7)))
    (local.set $h3) (local.set $h2) (local.set $h1) (local.set $h0)
    (call $out (local.get $h0)) (call $out (local.get $h1))
    (call $out (local.get $h2)) (call $out (local.get $h3))))
"#;

#[test]
fn merge_is_poseidon2_merge() {
    use miden_processor::{crypto::hash::Poseidon2, Word};
    let wasm = wat::parse_str(MERGE_MODULE).unwrap();
    let package = midenc::compile_wasm(Path::new("merge.wat"), &wasm, "merge").expect("compiles");
    let (e, root) = package.export("merge").unwrap();
    let vals = values();
    let mut cases = 0;
    for start in 0..vals.len() {
        let pick = |k: usize| vals[(start + 3 * k) % vals.len()];
        let input: Vec<u64> = (0..8).map(pick).collect();
        let word = |at: usize| Word::new([0, 1, 2, 3].map(|i| felt(input[at + i])));
        let want = Poseidon2::merge(&[word(0), word(4)]);
        let want: Vec<CoreValue> = want
            .iter()
            .map(|f| CoreValue::I64(f.as_canonical_u64() as i64))
            .collect();
        let args: Vec<CoreValue> = input.iter().map(|v| CoreValue::I64(*v as i64)).collect();
        let got = vm::call_export(&package, root, &args, &e.results.clone())
            .unwrap_or_else(|err| panic!("{input:?}: {err}"));
        assert_eq!(got.results, want, "merge of {input:?}");
        cases += 1;
    }
    eprintln!("merge: {cases} cases agree with miden-core's Poseidon2");
}

/// Hashing felts in memory, merging words in memory and reading the advice stack and map.
const MEMORY_MODULE: &str = r#"
(module
  (import "miden:intrinsics/felt" "from_u64" (func $in (param i64) (result f32)))
  (import "miden:intrinsics/felt" "as_u64" (func $out (param f32) (result i64)))
  (import "miden:intrinsics/felt" "advice_push" (func $adv (result f32)))
  (import "miden:intrinsics/felt" "hash_elements" (func $hash (param i32 i32 i32)))
  (import "miden:intrinsics/felt" "merge_words" (func $merge (param i32 i32 i32)))
  (import "miden:intrinsics/felt" "advice_push_mapval" (func $mapval (param f32 f32 f32 f32)))
  (import "miden:intrinsics/felt" "add" (func $add (param f32 f32) (result f32)))
  (import "miden:intrinsics/felt" "mul" (func $mul (param f32 f32) (result f32)))
  (memory 1)
  ;; len felts from the advice stack to base
  (func $read (param $base i32) (param $len i32) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.eq (local.get $i) (local.get $len)))
      (f32.store (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))) (call $adv))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
  (func $digest (result i64 i64 i64 i64)
    (call $out (f32.load (i32.const 1024))) (call $out (f32.load (i32.const 1028)))
    (call $out (f32.load (i32.const 1032))) (call $out (f32.load (i32.const 1036))))
  (func (export "hash") (param $base i32) (param $len i32) (result i64 i64 i64 i64)
    (call $read (local.get $base) (local.get $len))
    (call $hash (local.get $base) (local.get $len) (i32.const 1024))
    (call $digest))
  (func (export "merge_words") (param $base i32) (param $out i32) (result i64 i64 i64 i64)
    (call $read (local.get $base) (i32.const 8))
    (call $merge (local.get $base) (i32.add (local.get $base) (i32.const 16)) (local.get $out))
    ;; the digest to 1024, first element first (out is 1024 or above)
    (f32.store offset=1024 (i32.const 0) (f32.load (local.get $out)))
    (f32.store offset=1028 (i32.const 0) (f32.load offset=4 (local.get $out)))
    (f32.store offset=1032 (i32.const 0) (f32.load offset=8 (local.get $out)))
    (f32.store offset=1036 (i32.const 0) (f32.load offset=12 (local.get $out)))
    (call $digest))
  ;; The shape of a Merkle level: n merges of the words at p and p + 16 (p stepped by 32) into
  ;; a stack temporary t, each copied to out + 16k with two i64 moves. Returns the merge of the
  ;; level's hash with t (which must hold the last digest).
  (func (export "merge_level") (param $base i32) (param $n i32) (param $t i32) (param $out i32)
    (result i64 i64 i64 i64)
    (local $p i32) (local $q i32) (local $i i32)
    (call $read (local.get $base) (i32.shl (local.get $n) (i32.const 3)))
    (local.set $p (local.get $base))
    (local.set $q (local.get $out))
    (local.set $i (i32.sub (i32.const 0) (local.get $n)))
    (loop $l
      (call $merge (local.get $p) (i32.add (local.get $p) (i32.const 16)) (local.get $t))
      (i64.store offset=8 (local.get $q) (i64.load offset=8 (local.get $t)))
      (i64.store (local.get $q) (i64.load (local.get $t)))
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const 1)))))
    ;; the whole level and the temporary: merge(hash of the level's 4n felts, t)
    (call $hash (local.get $out) (i32.shl (local.get $n) (i32.const 2)) (i32.const 1024))
    (call $merge (i32.const 1024) (local.get $t) (i32.const 1024))
    (call $digest))
  ;; The same level with p stepped before its merge (the merge reads p after the step).
  (func (export "merge_level_late") (param $base i32) (param $n i32) (param $t i32) (param $out i32)
    (result i64 i64 i64 i64)
    (local $p i32) (local $q i32) (local $i i32)
    (call $read (local.get $base) (i32.shl (local.get $n) (i32.const 3)))
    (local.set $p (i32.sub (local.get $base) (i32.const 32)))
    (local.set $q (local.get $out))
    (local.set $i (i32.sub (i32.const 0) (local.get $n)))
    (loop $l
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (call $merge (local.get $p) (i32.add (local.get $p) (i32.const 16)) (local.get $t))
      (i64.store offset=8 (local.get $q) (i64.load offset=8 (local.get $t)))
      (i64.store (local.get $q) (i64.load (local.get $t)))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const 1)))))
    (call $hash (local.get $out) (i32.shl (local.get $n) (i32.const 2)) (i32.const 1024))
    (call $merge (i32.const 1024) (local.get $t) (i32.const 1024))
    (call $digest))
  ;; Horner's rule over the n >= 1 felts at base, from the top down, as rustc compiles
  ;; `coeffs.iter().rev().fold(0, |acc, c| acc * x + c)`: unrolled passes read a word ahead.
  (func (export "horner") (param $base i32) (param $n i32) (param $x i64) (result i64)
    (local $k i32) (local $acc f32) (local $xf f32)
    (call $read (local.get $base) (local.get $n))
    (local.set $xf (call $in (local.get $x)))
    (local.set $acc (call $in (i64.const 0)))
    (local.set $k (i32.shl (local.get $n) (i32.const 2)))
    loop
      local.get $acc
      local.get $xf
      call $mul
      local.get $k
      i32.const -4
      i32.add
      local.tee $k
      local.get $base
      i32.add
      f32.load
      call $add
      local.set $acc
      local.get $k
      br_if 0
    end
    (call $out (local.get $acc)))
  (func (export "mapval") (param i64 i64 i64 i64) (param $len i32) (result i64 i64 i64 i64)
    (call $mapval (call $in (local.get 0)) (call $in (local.get 1))
      (call $in (local.get 2)) (call $in (local.get 3)))
    (call $read (i32.const 0) (local.get $len))
    (call $hash (i32.const 0) (local.get $len) (i32.const 1024))
    (call $digest)))
"#;

/// Runs `export` with `args` and the advice inputs; the four digest felts.
#[allow(clippy::result_large_err)]
fn run_with_advice(
    package: &LinkedPackage,
    export: &str,
    args: &[CoreValue],
    advice: miden_processor::advice::AdviceInputs,
) -> Result<Vec<u64>, DriverError> {
    let (e, root) = package.export(export).expect("exported");
    let run = vm::execute(package, root, &midenc_abi::lower_values(args), advice)?;
    let out = midenc_abi::lift_values(&e.results, &run.stack).expect("four i64 results");
    Ok(out.iter().map(|v| midenc_tests::value_bits(*v)).collect())
}

fn advice_stack(felts: &[u64]) -> miden_processor::advice::AdviceInputs {
    miden_processor::advice::AdviceInputs::default().with_stack(felts.iter().map(|v| felt(*v)))
}

#[test]
fn memory_hashing_and_advice_agree_with_miden_core() {
    use miden_processor::{crypto::hash::Poseidon2, Word};
    let wasm = wat::parse_str(MEMORY_MODULE).unwrap();
    let package = midenc::compile_wasm(Path::new("mem.wat"), &wasm, "mem").expect("compiles");
    let vals = values();
    let pick = |n: usize, start: usize| -> Vec<u64> {
        (0..n).map(|k| vals[(start + 5 * k) % vals.len()]).collect()
    };
    let digest = |w: Word| -> Vec<u64> { w.iter().map(|f| f.as_canonical_u64()).collect() };
    let mut cases = 0;
    for len in (0..=20).chain([33, 100]) {
        for base in [0u32, 4, 8, 12, 16, 2048] {
            let input = pick(len, base as usize + len);
            let felts: Vec<Felt> = input.iter().map(|v| felt(*v)).collect();
            let want = digest(Poseidon2::hash_elements(&felts));
            let args = [CoreValue::I32(base as i32), CoreValue::I32(len as i32)];
            let got = run_with_advice(&package, "hash", &args, advice_stack(&input))
                .unwrap_or_else(|e| panic!("hash of {len} felts at {base}: {e}"));
            assert_eq!(got, want, "hash of {len} felts at {base}");
            cases += 1;
        }
    }
    for start in 0..vals.len() {
        let input = pick(8, start);
        let word = |at: usize| Word::new([0, 1, 2, 3].map(|i| felt(input[at + i])));
        let want = digest(Poseidon2::merge(&[word(0), word(4)]));
        // Word accesses when every address is a multiple of 16, element ones otherwise.
        for (base, out) in [
            (0, 1024),
            (32, 1040),
            (4, 1024),
            (20, 1024),
            (16, 1028),
            (0, 1060),
        ] {
            let args = [CoreValue::I32(base), CoreValue::I32(out)];
            let got = run_with_advice(&package, "merge_words", &args, advice_stack(&input))
                .unwrap_or_else(|e| panic!("merge_words at {base} to {out}: {e}"));
            assert_eq!(got, want, "merge_words of {input:?} at {base} to {out}");
            cases += 1;
        }
    }
    for (base, out) in [(2, 1024), (0, 1026)] {
        let args = [CoreValue::I32(base), CoreValue::I32(out)];
        let err = run_with_advice(&package, "merge_words", &args, advice_stack(&vals[..8]))
            .expect_err("an unaligned word traps");
        assert!(err.to_string().contains("unaligned felt access"), "{err}");
    }
    // A Merkle level's loop: whole-word merges when p, out and t are multiples of 16 (the
    // unrolled passes of 16 merges, which hold p, out and t as element addresses), the
    // run-time test otherwise; counts below, at and around one and two passes, so the last
    // merge falls in a pass or in the rest.
    let counts = (1..=9).chain([15, 16, 17, 31, 32, 33]);
    for (base, t, out) in [
        (2048, 1536, 8192),
        (2052, 1536, 8192),
        (2048, 1540, 8192),
        (2048, 1536, 8196),
        // The last pair ends at the last byte of memory.
        (65536 - 32 * 33, 1536, 8192),
    ] {
        for n in counts.clone() {
            let input = pick(8 * n, n + base as usize);
            let word = |from: usize| Word::new([0, 1, 2, 3].map(|i| felt(input[from + i])));
            let level: Vec<Word> = (0..n)
                .map(|k| Poseidon2::merge(&[word(8 * k), word(8 * k + 4)]))
                .collect();
            let felts: Vec<Felt> = level.iter().flat_map(|w| w.iter().copied()).collect();
            let last = level[n - 1];
            let want = digest(Poseidon2::merge(&[Poseidon2::hash_elements(&felts), last]));
            let args = [base, n as i32, t, out].map(CoreValue::I32);
            for export in ["merge_level", "merge_level_late"] {
                let got = run_with_advice(&package, export, &args, advice_stack(&input))
                    .unwrap_or_else(|e| panic!("{export}({base}, {n}, {t}, {out}): {e}"));
                assert_eq!(got, want, "{export}({base}, {n}, {t}, {out})");
                cases += 1;
            }
        }
    }
    // Horner's rule over felts read a word ahead: every base modulo 16 (single iterations
    // align the passes' anchor), every length from 1 to 20 and around passes of 32, and the
    // last felt of memory.
    let horner_cases = (1..=20usize)
        .chain([31, 32, 33, 64, 67, 1001])
        .flat_map(|n| [0, 4, 8, 12, 2052].map(|base| (base, n)))
        .chain([1, 4, 9].map(|n| (65536 - 4 * n as i32, n)));
    for (base, n) in horner_cases {
        let input = pick(n, n + base as usize);
        let x = vals[(n * 7 + base as usize) % vals.len()];
        let want = input
            .iter()
            .rev()
            .fold(Felt::ZERO, |acc, c| acc * felt(x) + felt(*c))
            .as_canonical_u64();
        let args = [
            CoreValue::I32(base),
            CoreValue::I32(n as i32),
            CoreValue::I64(x as i64),
        ];
        let got = run_with_advice(&package, "horner", &args, advice_stack(&input))
            .unwrap_or_else(|e| panic!("horner of {n} felts at {base}: {e}"));
        assert_eq!(got, [want], "horner of {n} felts at {base}");
        cases += 1;
    }
    // The advice map: the values under a key become the advice stack's next elements.
    let key = pick(4, 3);
    let key_word = Word::new([0, 1, 2, 3].map(|i| felt(key[i])));
    let input = pick(9, 11);
    let mut advice = miden_processor::advice::AdviceInputs::default();
    advice.map.insert(
        key_word,
        input.iter().map(|v| felt(*v)).collect::<Vec<Felt>>(),
    );
    let mut args: Vec<CoreValue> = key.iter().map(|v| CoreValue::I64(*v as i64)).collect();
    args.push(CoreValue::I32(9));
    let felts: Vec<Felt> = input.iter().map(|v| felt(*v)).collect();
    let got = run_with_advice(&package, "mapval", &args, advice).expect("mapval runs");
    assert_eq!(
        got,
        digest(Poseidon2::hash_elements(&felts)),
        "advice map read"
    );
    cases += 1;
    let got = run_with_advice(
        &package,
        "hash",
        &[CoreValue::I32(2), CoreValue::I32(1)],
        advice_stack(&[5]),
    );
    assert!(
        matches!(&got, Err(DriverError::Trap { message, .. }) if message == "unaligned felt access"),
        "{got:?}"
    );
    eprintln!("memory hashing and advice: {cases} cases agree with miden-core's Poseidon2");
}

/// A felt crosses a call to another package's procedure (an import by MAST root) whole.
#[test]
fn felts_cross_imported_functions_whole() {
    let callee = wat::parse_str(
        r#"(module
          (import "miden:intrinsics/felt" "mul" (func $mul (param f32 f32) (result f32)))
          (import "miden:intrinsics/felt" "from_u32" (func $c (param i32) (result f32)))
          (func (export "triple") (param f32) (result f32)
            (call $mul (local.get 0) (call $c (i32.const 3)))))"#,
    )
    .unwrap();
    let callee =
        midenc::compile_wasm(Path::new("callee.wat"), &callee, "callee").expect("compiles");
    let (export, _) = callee.export("triple").expect("exported");
    let root = export.mast_root.clone();
    let caller = wat::parse_str(format!(
        r#"(module
          (import "miden:intrinsics/felt" "from_u64" (func $in (param i64) (result f32)))
          (import "miden:intrinsics/felt" "as_u64" (func $out (param f32) (result i64)))
          (import "mast:{root}" "triple" (func $triple (param f32) (result f32)))
          (func (export "run") (param i64) (result i64)
            (call $out (call $triple (call $in (local.get 0))))))"#
    ))
    .unwrap();
    let mut links = midenc_linker::LinkSet::default();
    links.add("callee.masp", callee).unwrap();
    let (_, caller) = midenc::compile(&midenc::CompileRequest::new(
        Path::new("caller.wat"),
        &caller,
        "caller",
        &links,
    ))
    .expect("compiles against the callee");
    let (e, run_root) = caller.export("run").unwrap();
    let mut cases = 0;
    for v in values() {
        let got = vm::call_export_linked(
            &caller,
            &links,
            run_root,
            &[CoreValue::I64(v as i64)],
            &e.results.clone(),
        )
        .unwrap_or_else(|err| panic!("triple({v}): {err}"));
        let want = (felt(v) * felt(3)).as_canonical_u64();
        assert_eq!(
            got.results,
            vec![CoreValue::I64(want as i64)],
            "triple({v})"
        );
        cases += 1;
    }
    assert!(cases >= 20);
}
