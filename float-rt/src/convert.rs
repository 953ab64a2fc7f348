//! Conversions between the two formats and to and from integers.

use crate::format::{
    infinity, is_nan, is_zero, normalized, parts, round_pack, shift_right_sticky, Format, F32, F64,
};

/// `f64.promote_f32`: exact.
#[no_mangle]
pub extern "C" fn f64_promote_f32(a: u32) -> u64 {
    let a = u64::from(a);
    let (sign, exp, frac) = parts::<F32>(a);
    if is_nan::<F32>(a) {
        return F64::NAN;
    }
    if exp == F32::EMAX {
        return infinity::<F64>(sign);
    }
    if is_zero::<F32>(a) {
        return sign << 63;
    }
    let (exp, m) = normalized::<F32>(exp, frac);
    let exp = (exp - F32::BIAS + F64::BIAS) as u64;
    sign << 63 | exp << 52 | (m & ((1 << 23) - 1)) << 29
}

/// `f32.demote_f64`: rounded to nearest, ties to even.
#[no_mangle]
pub extern "C" fn f32_demote_f64(a: u64) -> u32 {
    let (sign, exp, frac) = parts::<F64>(a);
    if is_nan::<F64>(a) {
        return F32::NAN as u32;
    }
    if exp == F64::EMAX {
        return infinity::<F32>(sign) as u32;
    }
    if is_zero::<F64>(a) {
        return (sign << 31) as u32;
    }
    let (exp, m) = normalized::<F64>(exp, frac);
    // The leading one moves from bit 52 to bit 26 (23 fraction bits and three below).
    let sig = shift_right_sticky(m, 26);
    round_pack::<F32>(sign, exp - F64::BIAS + F32::BIAS - 1, sig) as u32
}

/// The integer `magnitude` (negated when `negative`) rounded to format `F`.
fn from_integer<F: Format>(negative: bool, magnitude: u64) -> u64 {
    if magnitude == 0 {
        return 0;
    }
    let lz = magnitude.leading_zeros();
    // Leading one to bit 63, then to bit M + 3 with the rest sticky.
    let sig = shift_right_sticky(magnitude << lz, 60 - F::M);
    let exp = F::BIAS + 63 - lz as i32;
    round_pack::<F>(u64::from(negative), exp - 1, sig)
}

/// Why a float has no integer of the target type.
const INVALID: u32 = 1;
const OVERFLOW: u32 = 2;

/// Float `a` truncated toward zero into the integer type of `bits` bits (`signed` or not):
/// `(status, saturated)`, status 0 when it fits, [`INVALID`] for a NaN and [`OVERFLOW`] when
/// out of range; `saturated` is Wasm's `trunc_sat` result (NaN to 0, out of range clamped), as
/// a u64 holding the target's bits.
fn truncate<F: Format>(a: u64, signed: bool, bits: u32) -> (u32, u64) {
    let (sign, exp, frac) = parts::<F>(a);
    if is_nan::<F>(a) {
        return (INVALID, 0);
    }
    let negative = sign == 1;
    let max_magnitude = if signed {
        (1u64 << (bits - 1)) - u64::from(!negative)
    } else if negative {
        0
    } else {
        u64::MAX >> (64 - bits)
    };
    let clamp = || {
        let value = match (signed, negative) {
            (true, true) => (1u64 << (bits - 1)).wrapping_neg(),
            (true, false) | (false, false) => max_magnitude,
            (false, true) => 0,
        };
        (OVERFLOW, value & (u64::MAX >> (64 - bits)))
    };
    let e = exp - F::BIAS;
    if e < 0 || is_zero::<F>(a) {
        return (0, 0);
    }
    if exp == F::EMAX || e >= 64 {
        return clamp();
    }
    let m = frac | 1 << F::M;
    let magnitude = if e >= F::M as i32 {
        m << (e - F::M as i32)
    } else {
        m >> (F::M as i32 - e)
    };
    if magnitude > max_magnitude {
        return clamp();
    }
    let value = if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    (0, value & (u64::MAX >> (64 - bits)))
}

/// Declares the integer-to-float conversions into one format.
macro_rules! from_integers {
    ($f:ty, $t:ty, $i32s:ident, $i32u:ident, $i64s:ident, $i64u:ident) => {
        /// `convert_i32_s`.
        #[no_mangle]
        pub extern "C" fn $i32s(a: u32) -> $t {
            let a = a as i32;
            from_integer::<$f>(a < 0, u64::from(a.unsigned_abs())) as $t
        }
        /// `convert_i32_u`.
        #[no_mangle]
        pub extern "C" fn $i32u(a: u32) -> $t {
            from_integer::<$f>(false, u64::from(a)) as $t
        }
        /// `convert_i64_s`.
        #[no_mangle]
        pub extern "C" fn $i64s(a: u64) -> $t {
            let a = a as i64;
            from_integer::<$f>(a < 0, a.unsigned_abs()) as $t
        }
        /// `convert_i64_u`.
        #[no_mangle]
        pub extern "C" fn $i64u(a: u64) -> $t {
            from_integer::<$f>(false, a) as $t
        }
    };
}

from_integers!(
    F32,
    u32,
    f32_from_i32_s,
    f32_from_i32_u,
    f32_from_i64_s,
    f32_from_i64_u
);
from_integers!(
    F64,
    u64,
    f64_from_i32_s,
    f64_from_i32_u,
    f64_from_i64_s,
    f64_from_i64_u
);

/// Declares the float-to-integer conversions from one format: for each target, the status
/// (what a trapping `trunc` checks first) and the saturated value.
macro_rules! to_integers {
    ($f:ty, $t:ty, $($check:ident, $sat:ident, $out:ty, $signed:expr, $bits:expr;)*) => {
        $(
            /// 0 when `trunc` has a result, 1 for a NaN, 2 out of range.
            #[no_mangle]
            pub extern "C" fn $check(a: $t) -> u32 {
                truncate::<$f>(a.into(), $signed, $bits).0
            }
            /// `trunc_sat`: NaN to 0, out of range to the nearest bound.
            #[no_mangle]
            pub extern "C" fn $sat(a: $t) -> $out {
                truncate::<$f>(a.into(), $signed, $bits).1 as $out
            }
        )*
    };
}

to_integers!(F32, u32,
    f32_to_i32_s_check, f32_to_i32_s, u32, true, 32;
    f32_to_i32_u_check, f32_to_i32_u, u32, false, 32;
    f32_to_i64_s_check, f32_to_i64_s, u64, true, 64;
    f32_to_i64_u_check, f32_to_i64_u, u64, false, 64;
);
to_integers!(F64, u64,
    f64_to_i32_s_check, f64_to_i32_s, u32, true, 32;
    f64_to_i32_u_check, f64_to_i32_u, u32, false, 32;
    f64_to_i64_s_check, f64_to_i64_s, u64, true, 64;
    f64_to_i64_u_check, f64_to_i64_u, u64, false, 64;
);
