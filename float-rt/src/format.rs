//! The two binary interchange formats, and the rounding step every operator ends with.

/// A binary format: `M` fraction bits and `E` exponent bits, its values held in the low bits of
/// a `u64`.
pub trait Format {
    /// Fraction bits (23 or 52).
    const M: u32;
    /// Exponent bits (8 or 11).
    const E: u32;
    /// The exponent bias.
    const BIAS: i32 = (1 << (Self::E - 1)) - 1;
    /// The all-ones exponent field of infinities and NaNs.
    const EMAX: i32 = (1 << Self::E) - 1;
    /// The sign bit.
    const SIGN: u64 = 1 << (Self::M + Self::E);
    /// The canonical NaN: quiet, positive, no payload.
    const NAN: u64 = ((1 << Self::E) - 1) << Self::M | 1 << (Self::M - 1);
}

/// binary32 (`f32`).
pub struct F32;
impl Format for F32 {
    const M: u32 = 23;
    const E: u32 = 8;
}

/// binary64 (`f64`).
pub struct F64;
impl Format for F64 {
    const M: u32 = 52;
    const E: u32 = 11;
}

/// A value's fields: sign (0 or 1), biased exponent field, fraction.
#[inline(always)]
pub fn parts<F: Format>(x: u64) -> (u64, i32, u64) {
    (
        x >> (F::M + F::E) & 1,
        (x >> F::M) as i32 & F::EMAX,
        x & ((1 << F::M) - 1),
    )
}

/// Whether `x` is a NaN.
#[inline(always)]
pub fn is_nan<F: Format>(x: u64) -> bool {
    x & !F::SIGN > (F::EMAX as u64) << F::M
}

/// Whether `x` is +0 or -0.
#[inline(always)]
pub fn is_zero<F: Format>(x: u64) -> bool {
    x & !F::SIGN == 0
}

/// Infinity with sign `sign`.
#[inline(always)]
pub fn infinity<F: Format>(sign: u64) -> u64 {
    sign << (F::M + F::E) | (F::EMAX as u64) << F::M
}

/// The significand of a finite non-zero value with its leading one at bit `M`, and the biased
/// exponent that goes with it (at most 0 for a subnormal, normalized here).
#[inline(always)]
pub fn normalized<F: Format>(exp: i32, frac: u64) -> (i32, u64) {
    if exp == 0 {
        let shift = frac.leading_zeros() - (63 - F::M);
        (1 - shift as i32, frac << shift)
    } else {
        (exp, frac | 1 << F::M)
    }
}

/// `x >> s`, with every bit shifted out OR-ed into bit 0 (the sticky bit): rounding then still
/// sees whether the discarded part was zero.
#[inline(always)]
pub fn shift_right_sticky(x: u64, s: u32) -> u64 {
    if s == 0 {
        x
    } else if s < 64 {
        x >> s | u64::from(x << (64 - s) != 0)
    } else {
        u64::from(x != 0)
    }
}

/// The value `sig · 2^(exp - BIAS - M - 2)` rounded to nearest, ties to even, and packed with
/// `sign`. `sig` keeps three bits below the fraction (guard, round and sticky): a normal
/// significand has its leading one at bit `M + 3`, and `exp` is then one less than the result's
/// exponent field, because the leading one adds itself to that field when packed. A result
/// below the normal range is shifted into a subnormal first, one above it becomes infinity.
#[inline(always)]
pub fn round_pack<F: Format>(sign: u64, mut exp: i32, mut sig: u64) -> u64 {
    let top = F::EMAX - 2;
    if exp < 0 {
        sig = shift_right_sticky(sig, exp.unsigned_abs());
        exp = 0;
    } else if exp > top || (exp == top && sig + 4 >= 1 << (F::M + 4)) {
        return infinity::<F>(sign);
    }
    let low = sig & 7;
    sig = (sig + 4) >> 3;
    if low == 4 {
        sig &= !1;
    }
    (sign << (F::M + F::E)) + ((exp as u64) << F::M) + sig
}

/// The 128-bit product of two values below 2^64, as (high, low) halves, from 32-bit pieces
/// (wasm32 lowers `u128` products to a call that returns through memory).
#[inline(always)]
pub fn mul_wide(a: u64, b: u64) -> (u64, u64) {
    const LOW: u64 = 0xffff_ffff;
    let (a0, a1, b0, b1) = (a & LOW, a >> 32, b & LOW, b >> 32);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 32) + (p01 & LOW) + (p10 & LOW);
    (
        p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32),
        (p00 & LOW) | mid << 32,
    )
}
