//! The arithmetic, comparisons and rounding to integers, on either format.

use crate::format::{
    infinity, is_nan, is_zero, mul_wide, normalized, parts, round_pack, shift_right_sticky, Format,
};

/// `a + b` (subtraction flips `b`'s sign first).
pub fn add<F: Format>(a: u64, b: u64) -> u64 {
    let (sa, ea, fa) = parts::<F>(a);
    let (sb, eb, fb) = parts::<F>(b);
    if ea == F::EMAX || eb == F::EMAX {
        return if is_nan::<F>(a) || is_nan::<F>(b) || (ea == eb && sa != sb) {
            F::NAN
        } else if ea == F::EMAX {
            a
        } else {
            b
        };
    }
    // Both finite: significands with their hidden bit (none for subnormals, whose exponent
    // is that of the smallest normals) and three bits below, larger magnitude first.
    let mut x = (ea.max(1), (fa | u64::from(ea != 0) << F::M) << 3, sa);
    let mut y = (eb.max(1), (fb | u64::from(eb != 0) << F::M) << 3, sb);
    if (x.0, x.1) < (y.0, y.1) {
        core::mem::swap(&mut x, &mut y);
    }
    let (mut exp, big, sign) = x;
    let small = shift_right_sticky(y.1, (x.0 - y.0) as u32);
    let mut sig;
    if x.2 == y.2 {
        sig = big + small;
        if sig >> (F::M + 4) != 0 {
            sig = shift_right_sticky(sig, 1);
            exp += 1;
        }
    } else {
        sig = big - small;
        if sig == 0 {
            // An exact zero difference is +0 when rounding to nearest.
            return 0;
        }
        let shift = sig.leading_zeros() as i32 - (60 - F::M as i32);
        sig <<= shift;
        exp -= shift;
    }
    round_pack::<F>(sign, exp - 1, sig)
}

/// `a * b`.
pub fn mul<F: Format>(a: u64, b: u64) -> u64 {
    let (sa, ea, fa) = parts::<F>(a);
    let (sb, eb, fb) = parts::<F>(b);
    let sign = sa ^ sb;
    if ea == F::EMAX || eb == F::EMAX {
        let zero_times_infinity = is_zero::<F>(a) || is_zero::<F>(b);
        return if is_nan::<F>(a) || is_nan::<F>(b) || zero_times_infinity {
            F::NAN
        } else {
            infinity::<F>(sign)
        };
    }
    if is_zero::<F>(a) || is_zero::<F>(b) {
        return sign << (F::M + F::E);
    }
    let (ea, ma) = normalized::<F>(ea, fa);
    let (eb, mb) = normalized::<F>(eb, fb);
    let mut exp = ea + eb - F::BIAS;
    // The product lies in [2^2M, 2^(2M+2)): keep its top M + 4 or M + 5 bits and a sticky bit.
    let (high, low) = mul_wide(ma, mb);
    let s = F::M - 3;
    let mut sig = high << (64 - s) | low >> s | u64::from(low << (64 - s) != 0);
    if sig >> (F::M + 4) != 0 {
        sig = shift_right_sticky(sig, 1);
        exp += 1;
    }
    round_pack::<F>(sign, exp - 1, sig)
}

/// `a / b`, by restoring division one quotient bit at a time.
pub fn div<F: Format>(a: u64, b: u64) -> u64 {
    let (sa, ea, fa) = parts::<F>(a);
    let (sb, eb, fb) = parts::<F>(b);
    let sign = sa ^ sb;
    if is_nan::<F>(a) || is_nan::<F>(b) {
        return F::NAN;
    }
    if ea == F::EMAX {
        return if eb == F::EMAX {
            F::NAN
        } else {
            infinity::<F>(sign)
        };
    }
    if eb == F::EMAX {
        return sign << (F::M + F::E);
    }
    if is_zero::<F>(b) {
        return if is_zero::<F>(a) {
            F::NAN
        } else {
            infinity::<F>(sign)
        };
    }
    if is_zero::<F>(a) {
        return sign << (F::M + F::E);
    }
    let (ea, mut ma) = normalized::<F>(ea, fa);
    let (eb, mb) = normalized::<F>(eb, fb);
    let mut exp = ea - eb + F::BIAS;
    if ma < mb {
        ma <<= 1;
        exp -= 1;
    }
    // ma / mb lies in [1, 2): M + 4 quotient bits put its leading one at bit M + 3.
    let mut rem = ma;
    let mut q = 0u64;
    for _ in 0..F::M + 4 {
        q <<= 1;
        if rem >= mb {
            rem -= mb;
            q |= 1;
        }
        rem <<= 1;
    }
    round_pack::<F>(sign, exp - 1, q | u64::from(rem != 0))
}

/// The square root, digit by digit: two radicand bits per root bit.
pub fn sqrt<F: Format>(a: u64) -> u64 {
    let (sign, exp, frac) = parts::<F>(a);
    if is_nan::<F>(a) || (sign == 1 && !is_zero::<F>(a)) {
        return F::NAN;
    }
    if exp == F::EMAX || is_zero::<F>(a) {
        return a;
    }
    let (exp, mut m) = normalized::<F>(exp, frac);
    let mut e = exp - F::BIAS;
    if e & 1 != 0 {
        m <<= 1;
        e -= 1;
    }
    // The radicand m · 2^(M+6) has 2(M+4) bits, so the root has M + 4, leading one at M + 3.
    let shift = F::M + 6;
    let bit = |k: u32| if k >= shift { m >> (k - shift) & 1 } else { 0 };
    let (mut rem, mut root) = (0u64, 0u64);
    let n = F::M + 4;
    for j in 0..n {
        let low = 2 * (n - 1 - j);
        rem = rem << 2 | bit(low + 1) << 1 | bit(low);
        let trial = root << 2 | 1;
        root <<= 1;
        if rem >= trial {
            rem -= trial;
            root |= 1;
        }
    }
    round_pack::<F>(0, e / 2 + F::BIAS - 1, root | u64::from(rem != 0))
}

/// `a == b`, as IEEE 754 compares: never for a NaN, always for two zeros.
pub fn eq<F: Format>(a: u64, b: u64) -> bool {
    !is_nan::<F>(a) && !is_nan::<F>(b) && (a == b || is_zero::<F>(a | b))
}

/// `a < b`: false for a NaN and for two zeros.
pub fn lt<F: Format>(a: u64, b: u64) -> bool {
    if is_nan::<F>(a) || is_nan::<F>(b) || is_zero::<F>(a | b) {
        return false;
    }
    match (a & F::SIGN != 0, b & F::SIGN != 0) {
        (false, false) => a < b,
        (true, true) => a > b,
        (negative, _) => negative,
    }
}

/// `a <= b`.
pub fn le<F: Format>(a: u64, b: u64) -> bool {
    lt::<F>(a, b) || eq::<F>(a, b)
}

/// Wasm's `min` (`max` when `max`): a NaN if either operand is one, and the zeros ordered.
pub fn min_max<F: Format>(a: u64, b: u64, max: bool) -> u64 {
    if is_nan::<F>(a) || is_nan::<F>(b) {
        F::NAN
    } else if lt::<F>(a, b) {
        if max {
            b
        } else {
            a
        }
    } else if lt::<F>(b, a) {
        if max {
            a
        } else {
            b
        }
    } else if max {
        // Equal: the same bits, or two zeros of which max takes +0 and min -0.
        a & b
    } else {
        a | b
    }
}

/// How [`to_integral`] rounds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// `ceil`.
    Up,
    /// `floor`.
    Down,
    /// `trunc`.
    TowardZero,
    /// `nearest`.
    NearestEven,
}

/// `a` rounded to an integer value, keeping its sign (so -0.5 goes to -0).
pub fn to_integral<F: Format>(a: u64, mode: Rounding) -> u64 {
    let (sign, exp, _) = parts::<F>(a);
    if is_nan::<F>(a) {
        return F::NAN;
    }
    let e = exp - F::BIAS;
    if e >= F::M as i32 || is_zero::<F>(a) {
        // Infinities, zeros and values without fraction bits.
        return a;
    }
    let one = (F::BIAS as u64) << F::M;
    let signed_zero = sign << (F::M + F::E);
    if e < 0 {
        // 0 < |a| < 1.
        let away = match mode {
            Rounding::Up => sign == 0,
            Rounding::Down => sign == 1,
            Rounding::TowardZero => false,
            // Above one half only: exactly one half ties to 0.
            Rounding::NearestEven => e == -1 && a & ((1 << F::M) - 1) != 0,
        };
        return signed_zero | if away { one } else { 0 };
    }
    let frac_bits = (F::M as i32 - e) as u32;
    let unit = 1u64 << frac_bits;
    let rest = a & (unit - 1);
    if rest == 0 {
        return a;
    }
    let toward_zero = a - rest;
    let away = match mode {
        Rounding::Up => sign == 0,
        Rounding::Down => sign == 1,
        Rounding::TowardZero => false,
        Rounding::NearestEven => {
            let half = unit >> 1;
            rest > half || (rest == half && toward_zero & unit != 0)
        }
    };
    // One unit more magnitude; a carry out of the fraction moves into the exponent exactly.
    if away {
        toward_zero + unit
    } else {
        toward_zero
    }
}
