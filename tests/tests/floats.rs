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

/// Binary operators of both widths: `(name, result type)` with `T` for the float type.
const BINARY: [(&str, &str); 13] = [
    ("add", "T"),
    ("sub", "T"),
    ("mul", "T"),
    ("div", "T"),
    ("min", "T"),
    ("max", "T"),
    ("copysign", "T"),
    ("eq", "i32"),
    ("ne", "i32"),
    ("lt", "i32"),
    ("gt", "i32"),
    ("le", "i32"),
    ("ge", "i32"),
];

/// Unary operators of both widths.
const UNARY: [&str; 7] = ["sqrt", "ceil", "floor", "trunc", "nearest", "abs", "neg"];

/// Conversions and moves: `(operator, parameter type, result type)`.
const CONVERSIONS: [(&str, &str, &str); 28] = [
    ("f32.demote_f64", "f64", "f32"),
    ("f64.promote_f32", "f32", "f64"),
    ("i32.trunc_f32_s", "f32", "i32"),
    ("i32.trunc_f32_u", "f32", "i32"),
    ("i64.trunc_f32_s", "f32", "i64"),
    ("i64.trunc_f32_u", "f32", "i64"),
    ("i32.trunc_f64_s", "f64", "i32"),
    ("i32.trunc_f64_u", "f64", "i32"),
    ("i64.trunc_f64_s", "f64", "i64"),
    ("i64.trunc_f64_u", "f64", "i64"),
    ("i32.trunc_sat_f32_s", "f32", "i32"),
    ("i32.trunc_sat_f32_u", "f32", "i32"),
    ("i64.trunc_sat_f32_s", "f32", "i64"),
    ("i64.trunc_sat_f32_u", "f32", "i64"),
    ("i32.trunc_sat_f64_s", "f64", "i32"),
    ("i32.trunc_sat_f64_u", "f64", "i32"),
    ("i64.trunc_sat_f64_s", "f64", "i64"),
    ("i64.trunc_sat_f64_u", "f64", "i64"),
    ("f32.convert_i32_s", "i32", "f32"),
    ("f32.convert_i32_u", "i32", "f32"),
    ("f32.convert_i64_s", "i64", "f32"),
    ("f32.convert_i64_u", "i64", "f32"),
    ("f64.convert_i32_s", "i32", "f64"),
    ("f64.convert_i32_u", "i32", "f64"),
    ("f64.convert_i64_s", "i64", "f64"),
    ("f64.convert_i64_u", "i64", "f64"),
    ("i32.reinterpret_f32", "f32", "i32"),
    ("f64.reinterpret_i64", "i64", "f64"),
];

/// A module with one export per operator, named after it, plus stores and loads, a global, a
/// select and a block result.
fn operators() -> String {
    let mut text = String::from("(module (memory 1)\n");
    for t in ["f32", "f64"] {
        for (op, result) in BINARY {
            let result = result.replace('T', t);
            text.push_str(&format!(
                "(func (export \"{t}.{op}\") (param {t} {t}) (result {result})
                   ({t}.{op} (local.get 0) (local.get 1)))\n"
            ));
        }
        for op in UNARY {
            text.push_str(&format!(
                "(func (export \"{t}.{op}\") (param {t}) (result {t}) ({t}.{op} (local.get 0)))\n"
            ));
        }
    }
    for (op, param, result) in CONVERSIONS {
        text.push_str(&format!(
            "(func (export \"{op}\") (param {param}) (result {result}) ({op} (local.get 0)))\n"
        ));
    }
    text.push_str(
        r#"
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
"#,
    );
    text
}

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
    let mut diff = Differential::from_wat(&operators());
    let mut rng = SplitMix64::new(21);
    let (f64s, f32s) = (f64_args(&mut rng), f32_args(&mut rng));
    let mut cases: Vec<(String, Vec<CoreValue>)> = Vec::new();
    for (op, _) in BINARY {
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
    for op in UNARY {
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
    // Operators that move bits (sign operations, memory, reinterpretation) must give exactly
    // wasmi's outcome, NaN payloads included; the others as `Outcome::matches_reference` allows.
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
    let (exact, rounded): (Vec<_>, Vec<_>) = cases
        .into_iter()
        .partition(|(f, _)| moves.contains(&f.as_str()));
    let checked = diff.check(&rounded);
    assert!(checked > 8000, "only {checked} cases");
    for (func, args) in &exact {
        let (ours, reference) = (diff.midenc(func, args), diff.reference(func, args));
        assert_eq!(ours, reference, "{func}{args:?}");
    }
    assert!(exact.len() > 1000, "only {} bit-moving cases", exact.len());
    eprintln!(
        "{checked} float operator cases agree with wasmi, {} bit-moving ones exactly",
        exact.len()
    );
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
