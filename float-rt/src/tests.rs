//! Every entry point against the host's IEEE 754 arithmetic, on special values, their
//! neighbours and pseudo-random bit patterns. A NaN result must be the canonical NaN; any other
//! result must match the host's bit for bit.

use crate::*;

/// A small xorshift generator: the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Special f64 values, their neighbours, and values near each other (cancellation).
fn f64_cases() -> Vec<u64> {
    let specials: Vec<f64> = vec![
        0.0,
        1.0,
        0.5,
        1.5,
        2.5,
        3.0,
        0.1,
        1e308,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        2.225_073_858_507_201e-308,
        f64::INFINITY,
        f64::NAN,
        4503599627370496.0,
        4503599627370497.0,
        9007199254740993.0,
        2147483647.0,
        2147483648.0,
        2147483648.5,
        4294967295.0,
        4294967296.0,
        9223372036854775807.0,
        18446744073709551615.0,
        -2147483649.0,
        1e-10,
    ];
    let mut out = Vec::new();
    for v in specials {
        for s in [0, 1u64 << 63] {
            let b = v.to_bits() | s;
            out.extend([b, b.wrapping_add(1), b.wrapping_sub(1)]);
        }
    }
    out.push(0x7ff0_0000_0000_0001); // a signalling NaN
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let r = rng.next();
        out.push(r);
        // A value close to a previous one, and one of a nearby exponent.
        let near = out[(rng.next() % out.len() as u64) as usize];
        out.push(near ^ (rng.next() & 0xff));
        out.push(near.wrapping_add((rng.next() % 64) << 52));
    }
    out
}

fn f32_cases() -> Vec<u32> {
    let mut out: Vec<u32> = f64_cases()
        .iter()
        .map(|b| (f64::from_bits(*b) as f32).to_bits())
        .collect();
    let mut rng = Rng(77);
    for _ in 0..3000 {
        out.push(rng.next() as u32);
    }
    out.extend([
        1,
        0x7f7f_ffff,
        0x0080_0000,
        0x007f_ffff,
        0x7f80_0001,
        0x4b00_0001,
    ]);
    // The f32 neighbours of the integer limits, both signs.
    for limit in [0x4f00_0000u32, 0x4f80_0000, 0x5f00_0000, 0x5f80_0000] {
        for bits in [limit - 1, limit, limit + 1] {
            out.extend([bits, bits | 0x8000_0000]);
        }
    }
    out
}

fn same64(ours: u64, host: f64, what: &str) {
    if host.is_nan() {
        assert_eq!(
            ours, 0x7ff8_0000_0000_0000,
            "{what}: expected the canonical NaN"
        );
    } else {
        assert_eq!(
            ours,
            host.to_bits(),
            "{what}: {} vs {host}",
            f64::from_bits(ours)
        );
    }
}

fn same32(ours: u32, host: f32, what: &str) {
    if host.is_nan() {
        assert_eq!(ours, 0x7fc0_0000, "{what}: expected the canonical NaN");
    } else {
        assert_eq!(
            ours,
            host.to_bits(),
            "{what}: {} vs {host}",
            f32::from_bits(ours)
        );
    }
}

/// Wasm's min/max on host floats.
fn wasm_min_max(a: f64, b: f64, max: bool) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        f64::from_bits(if max {
            a.to_bits() & b.to_bits()
        } else {
            a.to_bits() | b.to_bits()
        })
    } else if (a < b) != max {
        a
    } else {
        b
    }
}

#[test]
fn f64_binary_operators_match_the_host() {
    let cases = f64_cases();
    let mut rng = Rng(5);
    for i in 0..cases.len() * 8 {
        let a = cases[i % cases.len()];
        let b = cases[(rng.next() % cases.len() as u64) as usize];
        let (x, y) = (f64::from_bits(a), f64::from_bits(b));
        let what = |op: &str| format!("{x:e} {op} {y:e} ({a:#x}, {b:#x})");
        same64(f64_add(a, b), x + y, &what("+"));
        same64(f64_sub(a, b), x - y, &what("-"));
        same64(f64_mul(a, b), x * y, &what("*"));
        same64(f64_div(a, b), x / y, &what("/"));
        same64(f64_min(a, b), wasm_min_max(x, y, false), &what("min"));
        same64(f64_max(a, b), wasm_min_max(x, y, true), &what("max"));
        assert_eq!(f64_eq(a, b) == 1, x == y, "{}", what("=="));
        assert_eq!(f64_ne(a, b) == 1, x != y, "{}", what("!="));
        assert_eq!(f64_lt(a, b) == 1, x < y, "{}", what("<"));
        assert_eq!(f64_gt(a, b) == 1, x > y, "{}", what(">"));
        assert_eq!(f64_le(a, b) == 1, x <= y, "{}", what("<="));
        assert_eq!(f64_ge(a, b) == 1, x >= y, "{}", what(">="));
    }
}

#[test]
fn f32_binary_operators_match_the_host() {
    let cases = f32_cases();
    let mut rng = Rng(6);
    for i in 0..cases.len() * 8 {
        let a = cases[i % cases.len()];
        let b = cases[(rng.next() % cases.len() as u64) as usize];
        let (x, y) = (f32::from_bits(a), f32::from_bits(b));
        let what = |op: &str| format!("{x:e} {op} {y:e} ({a:#x}, {b:#x})");
        same32(f32_add(a, b), x + y, &what("+"));
        same32(f32_sub(a, b), x - y, &what("-"));
        same32(f32_mul(a, b), x * y, &what("*"));
        same32(f32_div(a, b), x / y, &what("/"));
        let (min, max) = (
            wasm_min_max(x.into(), y.into(), false) as f32,
            wasm_min_max(x.into(), y.into(), true) as f32,
        );
        same32(f32_min(a, b), min, &what("min"));
        same32(f32_max(a, b), max, &what("max"));
        assert_eq!(f32_eq(a, b) == 1, x == y, "{}", what("=="));
        assert_eq!(f32_ne(a, b) == 1, x != y, "{}", what("!="));
        assert_eq!(f32_lt(a, b) == 1, x < y, "{}", what("<"));
        assert_eq!(f32_gt(a, b) == 1, x > y, "{}", what(">"));
        assert_eq!(f32_le(a, b) == 1, x <= y, "{}", what("<="));
        assert_eq!(f32_ge(a, b) == 1, x >= y, "{}", what(">="));
    }
}

#[test]
fn unary_operators_match_the_host() {
    for a in f64_cases() {
        let x = f64::from_bits(a);
        let what = |op: &str| format!("{op}({x:e}) ({a:#x})");
        same64(f64_sqrt(a), x.sqrt(), &what("sqrt"));
        same64(f64_ceil(a), x.ceil(), &what("ceil"));
        same64(f64_floor(a), x.floor(), &what("floor"));
        same64(f64_trunc(a), x.trunc(), &what("trunc"));
        same64(f64_nearest(a), x.round_ties_even(), &what("nearest"));
        same32(f32_demote_f64(a), x as f32, &what("demote"));
        same64(f64_from_i64_s(a), a as i64 as f64, &what("from_i64_s"));
        same64(f64_from_i64_u(a), a as f64, &what("from_i64_u"));
        same64(
            f64_from_i32_s(a as u32),
            a as u32 as i32 as f64,
            &what("from_i32_s"),
        );
        same64(
            f64_from_i32_u(a as u32),
            (a as u32).into(),
            &what("from_i32_u"),
        );
        same32(f32_from_i64_s(a), a as i64 as f32, &what("f32_from_i64_s"));
        same32(f32_from_i64_u(a), a as f32, &what("f32_from_i64_u"));
        same32(
            f32_from_i32_s(a as u32),
            a as u32 as i32 as f32,
            &what("f32_from_i32_s"),
        );
        same32(
            f32_from_i32_u(a as u32),
            a as u32 as f32,
            &what("f32_from_i32_u"),
        );
        assert_eq!(f64_to_i32_s(a), x as i32 as u32, "{}", what("to_i32_s"));
        assert_eq!(f64_to_i32_u(a), x as u32, "{}", what("to_i32_u"));
        assert_eq!(f64_to_i64_s(a), x as i64 as u64, "{}", what("to_i64_s"));
        assert_eq!(f64_to_i64_u(a), x as u64, "{}", what("to_i64_u"));
        let t = x.trunc();
        let status = |fits: bool| {
            if x.is_nan() {
                1
            } else if fits {
                0
            } else {
                2
            }
        };
        let fits_i32 = (-2147483648.0..=2147483647.0).contains(&t);
        let fits_u32 = (0.0..=4294967295.0).contains(&t);
        let fits_i64 = (-9223372036854775808.0..9223372036854775808.0).contains(&t);
        let fits_u64 = (0.0..18446744073709551616.0).contains(&t);
        assert_eq!(
            f64_to_i32_s_check(a),
            status(fits_i32),
            "{}",
            what("check i32_s")
        );
        assert_eq!(
            f64_to_i32_u_check(a),
            status(fits_u32),
            "{}",
            what("check i32_u")
        );
        assert_eq!(
            f64_to_i64_s_check(a),
            status(fits_i64),
            "{}",
            what("check i64_s")
        );
        assert_eq!(
            f64_to_i64_u_check(a),
            status(fits_u64),
            "{}",
            what("check i64_u")
        );
    }
    for a in f32_cases() {
        let x = f32::from_bits(a);
        let what = |op: &str| format!("{op}({x:e}) ({a:#x})");
        same32(f32_sqrt(a), x.sqrt(), &what("sqrt"));
        same32(f32_ceil(a), x.ceil(), &what("ceil"));
        same32(f32_floor(a), x.floor(), &what("floor"));
        same32(f32_trunc(a), x.trunc(), &what("trunc"));
        same32(f32_nearest(a), x.round_ties_even(), &what("nearest"));
        same64(f64_promote_f32(a), x.into(), &what("promote"));
        assert_eq!(f32_to_i32_s(a), x as i32 as u32, "{}", what("to_i32_s"));
        assert_eq!(f32_to_i32_u(a), x as u32, "{}", what("to_i32_u"));
        assert_eq!(f32_to_i64_s(a), x as i64 as u64, "{}", what("to_i64_s"));
        assert_eq!(f32_to_i64_u(a), x as u64, "{}", what("to_i64_u"));
        let t = x.trunc();
        let status = |fits: bool| {
            if x.is_nan() {
                1
            } else if fits {
                0
            } else {
                2
            }
        };
        assert_eq!(
            f32_to_i32_s_check(a),
            status((-2147483648.0..2147483648.0).contains(&t)),
            "{}",
            what("check i32_s")
        );
        assert_eq!(
            f32_to_i64_u_check(a),
            status((0.0..18446744073709551616.0).contains(&t)),
            "{}",
            what("check i64_u")
        );
        assert_eq!(
            f32_to_i32_u_check(a),
            status((0.0..4294967296.0).contains(&t)),
            "{}",
            what("check i32_u")
        );
        assert_eq!(
            f32_to_i64_s_check(a),
            status((-9223372036854775808.0..9223372036854775808.0).contains(&t)),
            "{}",
            what("check i64_s")
        );
    }
}

#[test]
fn all_f32_square_roots_in_a_binade_match_the_host() {
    // Every seventh significand of [1, 4): both exponent parities.
    for bits in (0x3f80_0000u32..0x4080_0000).step_by(7) {
        same32(f32_sqrt(bits), f32::from_bits(bits).sqrt(), "sqrt");
    }
}
