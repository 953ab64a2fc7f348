//! Float operators against wasmi: every MVP operator on edge values (zeros, infinities, NaNs
//! with payloads, subnormals, integer limits, rounding ties) and pseudo-random bit patterns,
//! through one module. Trapping truncations must trap with the same kind; arithmetic NaN results
//! match as `Outcome::matches_reference` allows (bit for bit, or midenc's canonical NaN against
//! any NaN), and the operators that only move bits must match bit for bit, NaN payloads
//! included.
//! The spec suite's float files (`spec_suite.rs`) cover the operators assertion by assertion.

use midenc_abi::CoreValue;
use midenc_tests::fuzz::SplitMix64;
use midenc_tests::Differential;

/// One export per operator, named after it.
const OPERATORS: &str = r#"
(module
  (memory 1)
  (func (export "f32.add") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1)))
  (func (export "f32.sub") (param f32 f32) (result f32) (f32.sub (local.get 0) (local.get 1)))
  (func (export "f32.mul") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "f32.div") (param f32 f32) (result f32) (f32.div (local.get 0) (local.get 1)))
  (func (export "f32.min") (param f32 f32) (result f32) (f32.min (local.get 0) (local.get 1)))
  (func (export "f32.max") (param f32 f32) (result f32) (f32.max (local.get 0) (local.get 1)))
  (func (export "f32.copysign") (param f32 f32) (result f32)
    (f32.copysign (local.get 0) (local.get 1)))
  (func (export "f32.eq") (param f32 f32) (result i32) (f32.eq (local.get 0) (local.get 1)))
  (func (export "f32.ne") (param f32 f32) (result i32) (f32.ne (local.get 0) (local.get 1)))
  (func (export "f32.lt") (param f32 f32) (result i32) (f32.lt (local.get 0) (local.get 1)))
  (func (export "f32.gt") (param f32 f32) (result i32) (f32.gt (local.get 0) (local.get 1)))
  (func (export "f32.le") (param f32 f32) (result i32) (f32.le (local.get 0) (local.get 1)))
  (func (export "f32.ge") (param f32 f32) (result i32) (f32.ge (local.get 0) (local.get 1)))
  (func (export "f32.sqrt") (param f32) (result f32) (f32.sqrt (local.get 0)))
  (func (export "f32.ceil") (param f32) (result f32) (f32.ceil (local.get 0)))
  (func (export "f32.floor") (param f32) (result f32) (f32.floor (local.get 0)))
  (func (export "f32.trunc") (param f32) (result f32) (f32.trunc (local.get 0)))
  (func (export "f32.nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
  (func (export "f32.abs") (param f32) (result f32) (f32.abs (local.get 0)))
  (func (export "f32.neg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "f64.add") (param f64 f64) (result f64) (f64.add (local.get 0) (local.get 1)))
  (func (export "f64.sub") (param f64 f64) (result f64) (f64.sub (local.get 0) (local.get 1)))
  (func (export "f64.mul") (param f64 f64) (result f64) (f64.mul (local.get 0) (local.get 1)))
  (func (export "f64.div") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "f64.min") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
  (func (export "f64.max") (param f64 f64) (result f64) (f64.max (local.get 0) (local.get 1)))
  (func (export "f64.copysign") (param f64 f64) (result f64)
    (f64.copysign (local.get 0) (local.get 1)))
  (func (export "f64.eq") (param f64 f64) (result i32) (f64.eq (local.get 0) (local.get 1)))
  (func (export "f64.ne") (param f64 f64) (result i32) (f64.ne (local.get 0) (local.get 1)))
  (func (export "f64.lt") (param f64 f64) (result i32) (f64.lt (local.get 0) (local.get 1)))
  (func (export "f64.gt") (param f64 f64) (result i32) (f64.gt (local.get 0) (local.get 1)))
  (func (export "f64.le") (param f64 f64) (result i32) (f64.le (local.get 0) (local.get 1)))
  (func (export "f64.ge") (param f64 f64) (result i32) (f64.ge (local.get 0) (local.get 1)))
  (func (export "f64.sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "f64.ceil") (param f64) (result f64) (f64.ceil (local.get 0)))
  (func (export "f64.floor") (param f64) (result f64) (f64.floor (local.get 0)))
  (func (export "f64.trunc") (param f64) (result f64) (f64.trunc (local.get 0)))
  (func (export "f64.nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
  (func (export "f64.abs") (param f64) (result f64) (f64.abs (local.get 0)))
  (func (export "f64.neg") (param f64) (result f64) (f64.neg (local.get 0)))
  (func (export "f32.demote_f64") (param f64) (result f32) (f32.demote_f64 (local.get 0)))
  (func (export "f64.promote_f32") (param f32) (result f64) (f64.promote_f32 (local.get 0)))
  (func (export "i32.trunc_f32_s") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "i32.trunc_f32_u") (param f32) (result i32) (i32.trunc_f32_u (local.get 0)))
  (func (export "i64.trunc_f32_s") (param f32) (result i64) (i64.trunc_f32_s (local.get 0)))
  (func (export "i64.trunc_f32_u") (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
  (func (export "i32.trunc_f64_s") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "i32.trunc_f64_u") (param f64) (result i32) (i32.trunc_f64_u (local.get 0)))
  (func (export "i64.trunc_f64_s") (param f64) (result i64) (i64.trunc_f64_s (local.get 0)))
  (func (export "i64.trunc_f64_u") (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))
  (func (export "i32.trunc_sat_f32_s") (param f32) (result i32)
    (i32.trunc_sat_f32_s (local.get 0)))
  (func (export "i32.trunc_sat_f32_u") (param f32) (result i32)
    (i32.trunc_sat_f32_u (local.get 0)))
  (func (export "i64.trunc_sat_f32_s") (param f32) (result i64)
    (i64.trunc_sat_f32_s (local.get 0)))
  (func (export "i64.trunc_sat_f32_u") (param f32) (result i64)
    (i64.trunc_sat_f32_u (local.get 0)))
  (func (export "i32.trunc_sat_f64_s") (param f64) (result i32)
    (i32.trunc_sat_f64_s (local.get 0)))
  (func (export "i32.trunc_sat_f64_u") (param f64) (result i32)
    (i32.trunc_sat_f64_u (local.get 0)))
  (func (export "i64.trunc_sat_f64_s") (param f64) (result i64)
    (i64.trunc_sat_f64_s (local.get 0)))
  (func (export "i64.trunc_sat_f64_u") (param f64) (result i64)
    (i64.trunc_sat_f64_u (local.get 0)))
  (func (export "f32.convert_i32_s") (param i32) (result f32) (f32.convert_i32_s (local.get 0)))
  (func (export "f32.convert_i32_u") (param i32) (result f32) (f32.convert_i32_u (local.get 0)))
  (func (export "f32.convert_i64_s") (param i64) (result f32) (f32.convert_i64_s (local.get 0)))
  (func (export "f32.convert_i64_u") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))
  (func (export "f64.convert_i32_s") (param i32) (result f64) (f64.convert_i32_s (local.get 0)))
  (func (export "f64.convert_i32_u") (param i32) (result f64) (f64.convert_i32_u (local.get 0)))
  (func (export "f64.convert_i64_s") (param i64) (result f64) (f64.convert_i64_s (local.get 0)))
  (func (export "f64.convert_i64_u") (param i64) (result f64) (f64.convert_i64_u (local.get 0)))
  (func (export "i32.reinterpret_f32") (param f32) (result i32)
    (i32.reinterpret_f32 (local.get 0)))
  (func (export "f64.reinterpret_i64") (param i64) (result f64)
    (f64.reinterpret_i64 (local.get 0)))
  ;; Through memory: stored at an unaligned address and loaded back, both widths.
  (func (export "f64.store_load") (param f64) (result f64)
    (f64.store offset=3 (i32.const 0) (local.get 0)) (f64.load offset=3 (i32.const 0)))
  (func (export "f32.store_load") (param f32) (result f32)
    (f32.store offset=1 (i32.const 8) (local.get 0)) (f32.load offset=1 (i32.const 8)))
  ;; A float global, a select and a block result of f64.
  (global $g (mut f64) (f64.const -0.5))
  (func (export "f64.global_select") (param f64 i32) (result f64)
    (global.set $g (f64.mul (global.get $g) (local.get 0)))
    (block (result f64)
      (select (global.get $g) (local.get 0) (local.get 1)))))
"#;

/// Float edge values as f64 bits: signed zeros and ones, halves (rounding ties), infinities,
/// NaNs (quiet, signalling, with payload, negative), subnormals, the extremes, powers of two
/// at the integer limits and just beside them.
const EDGES: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MIN_POSITIVE,
    5e-324,
    f64::MAX,
    2147483647.0,
    2147483648.0,
    -2147483648.0,
    -2147483649.0,
    4294967295.0,
    4294967296.0,
    9223372036854775807.0,
    -9223372036854775808.0,
    18446744073709551615.0,
    1e-40,
    3.4028234663852886e38,
    0.1,
];

fn nan_bits64() -> [u64; 4] {
    [
        0x7ff8_0000_0000_0000,
        0x7ff4_0000_0000_0001,
        0xfff8_0000_0000_0000,
        0x7ff0_0000_0000_0001,
    ]
}

/// The f64 arguments: edges, NaNs and random patterns.
fn f64_args(rng: &mut SplitMix64) -> Vec<u64> {
    let mut out: Vec<u64> = EDGES.iter().map(|v| v.to_bits()).collect();
    out.extend(nan_bits64());
    out.extend((0..24).map(|_| rng.next_u64()));
    // Random values of moderate exponent (the common case, with cancellation in sums).
    out.extend((0..24).map(|_| (rng.next_u64() & 0x800f_ffff_ffff_ffff) | 0x3fe0_0000_0000_0000));
    out
}

/// The f32 arguments: the edges rounded to f32, NaNs and random patterns.
fn f32_args(rng: &mut SplitMix64) -> Vec<u32> {
    let mut out: Vec<u32> = EDGES.iter().map(|v| (*v as f32).to_bits()).collect();
    out.extend([
        0x7fc0_0000,
        0x7fa0_0001,
        0xffc0_0000,
        0x7f80_0001,
        1,
        0x0080_0000,
    ]);
    out.extend((0..24).map(|_| rng.next_u64() as u32));
    out.extend((0..24).map(|_| (rng.next_u64() as u32 & 0x807f_ffff) | 0x3f00_0000));
    out
}

#[test]
fn every_float_operator_agrees_with_wasmi() {
    let mut diff = Differential::from_wat(OPERATORS);
    let mut rng = SplitMix64::new(21);
    let (f64s, f32s) = (f64_args(&mut rng), f32_args(&mut rng));
    let mut cases: Vec<(String, Vec<CoreValue>)> = Vec::new();
    let binary = [
        "add", "sub", "mul", "div", "min", "max", "copysign", "eq", "ne", "lt", "gt",
    ];
    let binary = binary.iter().chain(&["le", "ge"]);
    for op in binary {
        for (i, a) in f64s.iter().enumerate() {
            // Each first operand against a few others (and itself).
            for k in [0, 1, 7, 19] {
                let b = f64s[(i + k) % f64s.len()];
                cases.push((
                    format!("f64.{op}"),
                    vec![CoreValue::F64(*a), CoreValue::F64(b)],
                ));
            }
        }
        for (i, a) in f32s.iter().enumerate() {
            for k in [0, 1, 7, 19] {
                let b = f32s[(i + k) % f32s.len()];
                cases.push((
                    format!("f32.{op}"),
                    vec![CoreValue::F32(*a), CoreValue::F32(b)],
                ));
            }
        }
    }
    let unary = ["sqrt", "ceil", "floor", "trunc", "nearest", "abs", "neg"];
    for op in unary {
        cases.extend(
            f64s.iter()
                .map(|a| (format!("f64.{op}"), vec![CoreValue::F64(*a)])),
        );
        cases.extend(
            f32s.iter()
                .map(|a| (format!("f32.{op}"), vec![CoreValue::F32(*a)])),
        );
    }
    for width in ["i32", "i64"] {
        for sat in ["", "sat_"] {
            for sign in ["s", "u"] {
                let f64_op = format!("{width}.trunc_{sat}f64_{sign}");
                let f32_op = format!("{width}.trunc_{sat}f32_{sign}");
                cases.extend(
                    f64s.iter()
                        .map(|a| (f64_op.clone(), vec![CoreValue::F64(*a)])),
                );
                cases.extend(
                    f32s.iter()
                        .map(|a| (f32_op.clone(), vec![CoreValue::F32(*a)])),
                );
            }
        }
    }
    let ints: Vec<u64> = f64s
        .iter()
        .map(|b| b.rotate_left(17))
        .chain([0, 1, u64::MAX])
        .collect();
    for to in ["f32", "f64"] {
        for sign in ["s", "u"] {
            for a in &ints {
                cases.push((
                    format!("{to}.convert_i32_{sign}"),
                    vec![CoreValue::I32(*a as i32)],
                ));
                cases.push((
                    format!("{to}.convert_i64_{sign}"),
                    vec![CoreValue::I64(*a as i64)],
                ));
            }
        }
    }
    for a in &f64s {
        cases.push(("f32.demote_f64".into(), vec![CoreValue::F64(*a)]));
        cases.push(("f64.store_load".into(), vec![CoreValue::F64(*a)]));
        cases.push((
            "f64.reinterpret_i64".into(),
            vec![CoreValue::I64(*a as i64)],
        ));
        for c in [0, 1] {
            cases.push((
                "f64.global_select".into(),
                vec![CoreValue::F64(*a), CoreValue::I32(c)],
            ));
        }
    }
    for a in &f32s {
        cases.push(("f64.promote_f32".into(), vec![CoreValue::F32(*a)]));
        cases.push(("f32.store_load".into(), vec![CoreValue::F32(*a)]));
        cases.push(("i32.reinterpret_f32".into(), vec![CoreValue::F32(*a)]));
    }
    let checked = diff.check(&cases);
    assert!(checked > 8000, "only {checked} cases");
    eprintln!("{checked} float operator cases agree with wasmi");

    // Operators that move bits (sign operations, memory, reinterpretation): exact outcomes.
    let moves = [
        "f32.abs",
        "f32.neg",
        "f32.copysign",
        "f64.abs",
        "f64.neg",
        "f64.copysign",
        "f32.store_load",
        "f64.store_load",
        "i32.reinterpret_f32",
        "f64.reinterpret_i64",
    ];
    let mut exact = 0;
    for (func, args) in cases.iter().filter(|(f, _)| moves.contains(&f.as_str())) {
        let (ours, reference) = (diff.midenc(func, args), diff.reference(func, args));
        assert_eq!(ours, reference, "{func}{args:?}");
        exact += 1;
    }
    assert!(exact > 1000, "only {exact} bit-moving cases");
}

/// The committed `frontend-wasm/src/float.masm` is what `float-rt/` compiles to today.
#[test]
fn the_float_runtime_is_current() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let wasm_path = format!("{root}/{}", midenc_tests::float_runtime::WASM);
    let wasm = std::fs::read(&wasm_path)
        .unwrap_or_else(|e| panic!("{wasm_path}: {e} (scripts/build-fixtures.sh builds it)"));
    let text = midenc_tests::float_runtime::runtime_text(&wasm).expect("the runtime compiles");
    let committed =
        std::fs::read_to_string(format!("{root}/{}", midenc_tests::float_runtime::MASM))
            .expect("float.masm is committed");
    assert!(
        text == committed,
        "frontend-wasm/src/float.masm is stale: run `cargo run -p midenc-tests --bin float_runtime`"
    );
}
