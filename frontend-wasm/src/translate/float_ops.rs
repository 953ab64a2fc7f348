//! Wasm's float operators on bit patterns: an `f32` is held as the u32 of its bits (an `i32`),
//! an `f64` as the u64 of its bits (an `i64`, low limb on top). Sign operations are bit
//! operations in place; everything that rounds or compares runs a procedure of the soft-float
//! runtime (`float.masm`, generated from `float-rt/`), which the program then includes.
//!
//! A trapping truncation first asks the runtime whether the value has an integer result and
//! traps here, in the calling function, with Wasm's message; then it takes the saturating
//! conversion's value, which is the truncation whenever it fits.

use wasmparser::Operator;

use midenc_abi::CoreType::{self, I32, I64};

use super::numeric::OpLowering;

const F32_1: &[CoreType] = &[I32];
const F32_2: &[CoreType] = &[I32, I32];
const F64_1: &[CoreType] = &[I64];
const F64_2: &[CoreType] = &[I64, I64];

fn op(
    pops: &'static [CoreType],
    result: CoreType,
    is_bool: bool,
    code: &'static [&'static str],
) -> OpLowering {
    OpLowering::Simple {
        pops,
        push: Some((result, is_bool)),
        code,
    }
}

/// A trapping truncation: the runtime's status check (`$check`, on a copy of the operand:
/// `$copy`), then its saturating value (`$sat`).
macro_rules! trapping {
    ($copy:literal, $check:literal, $sat:literal) => {
        &[concat!(
            $copy,
            " exec.",
            $check,
            " dup neq.1 assert.err=\"invalid conversion to integer\"",
            " eq.0 assert.err=\"integer overflow\" exec.",
            $sat
        )]
    };
}

/// The lowering of a float operator, or `None` for any other operator.
pub fn lower(operator: &Operator<'_>) -> Option<OpLowering> {
    use Operator::*;
    Some(match operator {
        F32Const { value } => OpLowering::Const(midenc_abi::CoreValue::I32(value.bits() as i32)),
        F64Const { value } => OpLowering::Const(midenc_abi::CoreValue::I64(value.bits() as i64)),

        // ---- sign bits --------------------------------------------------------------------
        F32Abs => op(F32_1, I32, false, &["u32and.2147483647"]),
        F32Neg => op(F32_1, I32, false, &["u32xor.2147483648"]),
        // [b, a]: b's sign with a's magnitude.
        F32Copysign => op(
            F32_2,
            I32,
            false,
            &["u32and.2147483648", "swap", "u32and.2147483647", "u32or"],
        ),
        F64Abs => op(F64_1, I64, false, &["swap", "u32and.2147483647", "swap"]),
        F64Neg => op(F64_1, I64, false, &["swap", "u32xor.2147483648", "swap"]),
        // [b_lo, b_hi, a_lo, a_hi] -> [a_lo, a_hi with b_hi's sign].
        F64Copysign => op(
            F64_2,
            I64,
            false,
            &[
                "drop",
                "u32and.2147483648",
                "movup.2",
                "u32and.2147483647",
                "u32or",
                "swap",
            ],
        ),

        // ---- arithmetic -------------------------------------------------------------------
        F32Add => op(F32_2, I32, false, &["exec.f32_add"]),
        F32Sub => op(F32_2, I32, false, &["exec.f32_sub"]),
        F32Mul => op(F32_2, I32, false, &["exec.f32_mul"]),
        F32Div => op(F32_2, I32, false, &["exec.f32_div"]),
        F32Min => op(F32_2, I32, false, &["exec.f32_min"]),
        F32Max => op(F32_2, I32, false, &["exec.f32_max"]),
        F32Sqrt => op(F32_1, I32, false, &["exec.f32_sqrt"]),
        F32Ceil => op(F32_1, I32, false, &["exec.f32_ceil"]),
        F32Floor => op(F32_1, I32, false, &["exec.f32_floor"]),
        F32Trunc => op(F32_1, I32, false, &["exec.f32_trunc"]),
        F32Nearest => op(F32_1, I32, false, &["exec.f32_nearest"]),
        F64Add => op(F64_2, I64, false, &["exec.f64_add"]),
        F64Sub => op(F64_2, I64, false, &["exec.f64_sub"]),
        F64Mul => op(F64_2, I64, false, &["exec.f64_mul"]),
        F64Div => op(F64_2, I64, false, &["exec.f64_div"]),
        F64Min => op(F64_2, I64, false, &["exec.f64_min"]),
        F64Max => op(F64_2, I64, false, &["exec.f64_max"]),
        F64Sqrt => op(F64_1, I64, false, &["exec.f64_sqrt"]),
        F64Ceil => op(F64_1, I64, false, &["exec.f64_ceil"]),
        F64Floor => op(F64_1, I64, false, &["exec.f64_floor"]),
        F64Trunc => op(F64_1, I64, false, &["exec.f64_trunc"]),
        F64Nearest => op(F64_1, I64, false, &["exec.f64_nearest"]),

        // ---- comparisons ------------------------------------------------------------------
        F32Eq => op(F32_2, I32, true, &["exec.f32_eq"]),
        F32Ne => op(F32_2, I32, true, &["exec.f32_ne"]),
        F32Lt => op(F32_2, I32, true, &["exec.f32_lt"]),
        F32Gt => op(F32_2, I32, true, &["exec.f32_gt"]),
        F32Le => op(F32_2, I32, true, &["exec.f32_le"]),
        F32Ge => op(F32_2, I32, true, &["exec.f32_ge"]),
        F64Eq => op(F64_2, I32, true, &["exec.f64_eq"]),
        F64Ne => op(F64_2, I32, true, &["exec.f64_ne"]),
        F64Lt => op(F64_2, I32, true, &["exec.f64_lt"]),
        F64Gt => op(F64_2, I32, true, &["exec.f64_gt"]),
        F64Le => op(F64_2, I32, true, &["exec.f64_le"]),
        F64Ge => op(F64_2, I32, true, &["exec.f64_ge"]),

        // ---- conversions ------------------------------------------------------------------
        F32DemoteF64 => op(F64_1, I32, false, &["exec.f32_demote_f64"]),
        F64PromoteF32 => op(F32_1, I64, false, &["exec.f64_promote_f32"]),
        F32ConvertI32S => op(F32_1, I32, false, &["exec.f32_from_i32_s"]),
        F32ConvertI32U => op(F32_1, I32, false, &["exec.f32_from_i32_u"]),
        F32ConvertI64S => op(F64_1, I32, false, &["exec.f32_from_i64_s"]),
        F32ConvertI64U => op(F64_1, I32, false, &["exec.f32_from_i64_u"]),
        F64ConvertI32S => op(F32_1, I64, false, &["exec.f64_from_i32_s"]),
        F64ConvertI32U => op(F32_1, I64, false, &["exec.f64_from_i32_u"]),
        F64ConvertI64S => op(F64_1, I64, false, &["exec.f64_from_i64_s"]),
        F64ConvertI64U => op(F64_1, I64, false, &["exec.f64_from_i64_u"]),
        I32TruncSatF32S => op(F32_1, I32, false, &["exec.f32_to_i32_s"]),
        I32TruncSatF32U => op(F32_1, I32, false, &["exec.f32_to_i32_u"]),
        I32TruncSatF64S => op(F64_1, I32, false, &["exec.f64_to_i32_s"]),
        I32TruncSatF64U => op(F64_1, I32, false, &["exec.f64_to_i32_u"]),
        I64TruncSatF32S => op(F32_1, I64, false, &["exec.f32_to_i64_s"]),
        I64TruncSatF32U => op(F32_1, I64, false, &["exec.f32_to_i64_u"]),
        I64TruncSatF64S => op(F64_1, I64, false, &["exec.f64_to_i64_s"]),
        I64TruncSatF64U => op(F64_1, I64, false, &["exec.f64_to_i64_u"]),
        I32TruncF32S => op(
            F32_1,
            I32,
            false,
            trapping!("dup", "f32_to_i32_s_check", "f32_to_i32_s"),
        ),
        I32TruncF32U => op(
            F32_1,
            I32,
            false,
            trapping!("dup", "f32_to_i32_u_check", "f32_to_i32_u"),
        ),
        I32TruncF64S => op(
            F64_1,
            I32,
            false,
            trapping!("dup.1 dup.1", "f64_to_i32_s_check", "f64_to_i32_s"),
        ),
        I32TruncF64U => op(
            F64_1,
            I32,
            false,
            trapping!("dup.1 dup.1", "f64_to_i32_u_check", "f64_to_i32_u"),
        ),
        I64TruncF32S => op(
            F32_1,
            I64,
            false,
            trapping!("dup", "f32_to_i64_s_check", "f32_to_i64_s"),
        ),
        I64TruncF32U => op(
            F32_1,
            I64,
            false,
            trapping!("dup", "f32_to_i64_u_check", "f32_to_i64_u"),
        ),
        I64TruncF64S => op(
            F64_1,
            I64,
            false,
            trapping!("dup.1 dup.1", "f64_to_i64_s_check", "f64_to_i64_s"),
        ),
        I64TruncF64U => op(
            F64_1,
            I64,
            false,
            trapping!("dup.1 dup.1", "f64_to_i64_u_check", "f64_to_i64_u"),
        ),
        // The bits stay as they are.
        I32ReinterpretF32 | F32ReinterpretI32 => op(F32_1, I32, false, &[]),
        I64ReinterpretF64 | F64ReinterpretI64 => op(F64_1, I64, false, &[]),
        _ => return None,
    })
}

/// Whether `operator` computes on `f32` values as floats: what a module that carries felts in
/// `f32` cannot mean (its `f32`s are field elements).
pub fn is_f32_arithmetic(operator: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        operator,
        F32Abs
            | F32Neg
            | F32Copysign
            | F32Add
            | F32Sub
            | F32Mul
            | F32Div
            | F32Min
            | F32Max
            | F32Sqrt
            | F32Ceil
            | F32Floor
            | F32Trunc
            | F32Nearest
            | F32Eq
            | F32Ne
            | F32Lt
            | F32Gt
            | F32Le
            | F32Ge
            | F32DemoteF64
            | F64PromoteF32
            | F32ConvertI32S
            | F32ConvertI32U
            | F32ConvertI64S
            | F32ConvertI64U
            | I32TruncF32S
            | I32TruncF32U
            | I64TruncF32S
            | I64TruncF32U
            | I32TruncSatF32S
            | I32TruncSatF32U
            | I64TruncSatF32S
            | I64TruncSatF32U
    )
}
