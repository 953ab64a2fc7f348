//! IEEE 754 binary32 and binary64 arithmetic on integers: the soft-float runtime midenc compiles
//! Wasm's float operators to. The Miden VM has no floats, so every `f32`/`f64` value lives as its
//! bit pattern (an `i32`, or an `i64` in two u32 limbs) and these functions compute on the bits,
//! rounding to nearest, ties to even, with subnormals, signed zeros and infinities as IEEE 754
//! and the Wasm specification define them.
//!
//! Built to Wasm (`scripts/build-float-rt.sh`) and from there to MASM by midenc itself, so the
//! code keeps to what makes good MASM without memory: scalars only (no arrays, no `u128`, whose
//! products go through memory on wasm32), and no panics.
//!
//! NaN results: every operator that yields a NaN yields the canonical one (quiet, positive, no
//! payload). Wasm allows that for all of them: a canonical NaN is also an arithmetic NaN.
//! `abs`, `neg`, `copysign` and the reinterpretations only move bits and are compiled inline.

#![cfg_attr(target_arch = "wasm32", no_std)]

/// Nothing here panics (no indexing, no checked arithmetic in release builds); the handler is
/// what `no_std` requires.
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

mod convert;
mod format;
mod ops;

use format::Format;
pub use format::{F32, F64};

#[cfg(test)]
mod tests;

/// Declares the exported `extern "C"` entry points of one format: `$t` the bits type and `$f`
/// the [`format::Format`].
macro_rules! exports {
    ($f:ty, $t:ty, $add:ident, $sub:ident, $mul:ident, $div:ident, $sqrt:ident, $min:ident,
     $max:ident, $ceil:ident, $floor:ident, $trunc:ident, $nearest:ident, $eq:ident, $ne:ident,
     $lt:ident, $gt:ident, $le:ident, $ge:ident) => {
        /// `a + b`.
        #[no_mangle]
        pub extern "C" fn $add(a: $t, b: $t) -> $t {
            ops::add::<$f>(a.into(), b.into()) as $t
        }
        /// `a - b`: `a + (-b)`.
        #[no_mangle]
        pub extern "C" fn $sub(a: $t, b: $t) -> $t {
            ops::add::<$f>(a.into(), u64::from(b) ^ <$f>::SIGN) as $t
        }
        /// `a * b`.
        #[no_mangle]
        pub extern "C" fn $mul(a: $t, b: $t) -> $t {
            ops::mul::<$f>(a.into(), b.into()) as $t
        }
        /// `a / b`.
        #[no_mangle]
        pub extern "C" fn $div(a: $t, b: $t) -> $t {
            ops::div::<$f>(a.into(), b.into()) as $t
        }
        /// The correctly rounded square root.
        #[no_mangle]
        pub extern "C" fn $sqrt(a: $t) -> $t {
            ops::sqrt::<$f>(a.into()) as $t
        }
        /// Wasm `min`: NaN if either is, and -0 below +0.
        #[no_mangle]
        pub extern "C" fn $min(a: $t, b: $t) -> $t {
            ops::min_max::<$f>(a.into(), b.into(), false) as $t
        }
        /// Wasm `max`: NaN if either is, and +0 above -0.
        #[no_mangle]
        pub extern "C" fn $max(a: $t, b: $t) -> $t {
            ops::min_max::<$f>(a.into(), b.into(), true) as $t
        }
        /// The least integer not below `a`.
        #[no_mangle]
        pub extern "C" fn $ceil(a: $t) -> $t {
            ops::to_integral::<$f>(a.into(), ops::Rounding::Up) as $t
        }
        /// The greatest integer not above `a`.
        #[no_mangle]
        pub extern "C" fn $floor(a: $t) -> $t {
            ops::to_integral::<$f>(a.into(), ops::Rounding::Down) as $t
        }
        /// `a` without its fraction.
        #[no_mangle]
        pub extern "C" fn $trunc(a: $t) -> $t {
            ops::to_integral::<$f>(a.into(), ops::Rounding::TowardZero) as $t
        }
        /// The nearest integer, ties to even.
        #[no_mangle]
        pub extern "C" fn $nearest(a: $t) -> $t {
            ops::to_integral::<$f>(a.into(), ops::Rounding::NearestEven) as $t
        }
        /// `a == b` (false for NaN, true for -0 and +0).
        #[no_mangle]
        pub extern "C" fn $eq(a: $t, b: $t) -> u32 {
            ops::eq::<$f>(a.into(), b.into()).into()
        }
        /// `a != b` (true for NaN).
        #[no_mangle]
        pub extern "C" fn $ne(a: $t, b: $t) -> u32 {
            (!ops::eq::<$f>(a.into(), b.into())).into()
        }
        /// `a < b`.
        #[no_mangle]
        pub extern "C" fn $lt(a: $t, b: $t) -> u32 {
            ops::lt::<$f>(a.into(), b.into()).into()
        }
        /// `a > b`.
        #[no_mangle]
        pub extern "C" fn $gt(a: $t, b: $t) -> u32 {
            ops::lt::<$f>(b.into(), a.into()).into()
        }
        /// `a <= b`.
        #[no_mangle]
        pub extern "C" fn $le(a: $t, b: $t) -> u32 {
            ops::le::<$f>(a.into(), b.into()).into()
        }
        /// `a >= b`.
        #[no_mangle]
        pub extern "C" fn $ge(a: $t, b: $t) -> u32 {
            ops::le::<$f>(b.into(), a.into()).into()
        }
    };
}

exports!(
    F32,
    u32,
    f32_add,
    f32_sub,
    f32_mul,
    f32_div,
    f32_sqrt,
    f32_min,
    f32_max,
    f32_ceil,
    f32_floor,
    f32_trunc,
    f32_nearest,
    f32_eq,
    f32_ne,
    f32_lt,
    f32_gt,
    f32_le,
    f32_ge
);
exports!(
    F64,
    u64,
    f64_add,
    f64_sub,
    f64_mul,
    f64_div,
    f64_sqrt,
    f64_min,
    f64_max,
    f64_ceil,
    f64_floor,
    f64_trunc,
    f64_nearest,
    f64_eq,
    f64_ne,
    f64_lt,
    f64_gt,
    f64_le,
    f64_ge
);

pub use convert::*;
