//! Wasm's float operators on bit patterns: an `f32` is held as the u32 of its bits (an `i32`),
//! an `f64` as the u64 of its bits (an `i64`, low limb on top). Sign operations are bit
//! operations in place; everything that rounds or compares runs a procedure of the soft-float
//! runtime (`float.masm`, generated from `float-rt/`), which the program then includes.
//!
//! A trapping truncation first asks the runtime whether the value has an integer result and
//! traps here, in the calling function, with Wasm's message; then it takes the saturating
//! conversion's value, which is the truncation whenever it fits.

use wasmparser::Operator;

use midenc_abi::CoreType::{I32, I64};

use super::numeric::{bin32, bin64, cmp32, cmp64, simple, un32, un64, OpLowering, I32_1, I64_1};

/// A conversion from `pops` to a `result` of another type.
fn convert(
    pops: &'static [midenc_abi::CoreType],
    result: midenc_abi::CoreType,
    code: &'static [&'static str],
) -> OpLowering {
    simple(pops, Some((result, false)), code)
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
        F32Abs => un32(&["u32and.2147483647"]),
        F32Neg => un32(&["u32xor.2147483648"]),
        // [b, a]: b's sign with a's magnitude.
        F32Copysign => bin32(&["u32and.2147483648", "swap", "u32and.2147483647", "u32or"]),
        F64Abs => un64(&["swap", "u32and.2147483647", "swap"]),
        F64Neg => un64(&["swap", "u32xor.2147483648", "swap"]),
        // [b_lo, b_hi, a_lo, a_hi] -> [a_lo, a_hi with b_hi's sign].
        F64Copysign => bin64(&[
            "drop",
            "u32and.2147483648",
            "movup.2",
            "u32and.2147483647",
            "u32or",
            "swap",
        ]),

        // ---- arithmetic -------------------------------------------------------------------
        F32Add => bin32(&["exec.f32_add"]),
        F32Sub => bin32(&["exec.f32_sub"]),
        F32Mul => bin32(&["exec.f32_mul"]),
        F32Div => bin32(&["exec.f32_div"]),
        F32Min => bin32(&["exec.f32_min"]),
        F32Max => bin32(&["exec.f32_max"]),
        F32Sqrt => un32(&["exec.f32_sqrt"]),
        F32Ceil => un32(&["exec.f32_ceil"]),
        F32Floor => un32(&["exec.f32_floor"]),
        F32Trunc => un32(&["exec.f32_trunc"]),
        F32Nearest => un32(&["exec.f32_nearest"]),
        F64Add => bin64(&["exec.f64_add"]),
        F64Sub => bin64(&["exec.f64_sub"]),
        F64Mul => bin64(&["exec.f64_mul"]),
        F64Div => bin64(&["exec.f64_div"]),
        F64Min => bin64(&["exec.f64_min"]),
        F64Max => bin64(&["exec.f64_max"]),
        F64Sqrt => un64(&["exec.f64_sqrt"]),
        F64Ceil => un64(&["exec.f64_ceil"]),
        F64Floor => un64(&["exec.f64_floor"]),
        F64Trunc => un64(&["exec.f64_trunc"]),
        F64Nearest => un64(&["exec.f64_nearest"]),

        // ---- comparisons ------------------------------------------------------------------
        F32Eq => cmp32(&["exec.f32_eq"]),
        F32Ne => cmp32(&["exec.f32_ne"]),
        F32Lt => cmp32(&["exec.f32_lt"]),
        F32Gt => cmp32(&["exec.f32_gt"]),
        F32Le => cmp32(&["exec.f32_le"]),
        F32Ge => cmp32(&["exec.f32_ge"]),
        F64Eq => cmp64(&["exec.f64_eq"]),
        F64Ne => cmp64(&["exec.f64_ne"]),
        F64Lt => cmp64(&["exec.f64_lt"]),
        F64Gt => cmp64(&["exec.f64_gt"]),
        F64Le => cmp64(&["exec.f64_le"]),
        F64Ge => cmp64(&["exec.f64_ge"]),

        // ---- conversions ------------------------------------------------------------------
        F32DemoteF64 => convert(I64_1, I32, &["exec.f32_demote_f64"]),
        F64PromoteF32 => convert(I32_1, I64, &["exec.f64_promote_f32"]),
        F32ConvertI32S => un32(&["exec.f32_from_i32_s"]),
        F32ConvertI32U => un32(&["exec.f32_from_i32_u"]),
        F32ConvertI64S => convert(I64_1, I32, &["exec.f32_from_i64_s"]),
        F32ConvertI64U => convert(I64_1, I32, &["exec.f32_from_i64_u"]),
        F64ConvertI32S => convert(I32_1, I64, &["exec.f64_from_i32_s"]),
        F64ConvertI32U => convert(I32_1, I64, &["exec.f64_from_i32_u"]),
        F64ConvertI64S => un64(&["exec.f64_from_i64_s"]),
        F64ConvertI64U => un64(&["exec.f64_from_i64_u"]),
        I32TruncSatF32S => un32(&["exec.f32_to_i32_s"]),
        I32TruncSatF32U => un32(&["exec.f32_to_i32_u"]),
        I32TruncSatF64S => convert(I64_1, I32, &["exec.f64_to_i32_s"]),
        I32TruncSatF64U => convert(I64_1, I32, &["exec.f64_to_i32_u"]),
        I64TruncSatF32S => convert(I32_1, I64, &["exec.f32_to_i64_s"]),
        I64TruncSatF32U => convert(I32_1, I64, &["exec.f32_to_i64_u"]),
        I64TruncSatF64S => un64(&["exec.f64_to_i64_s"]),
        I64TruncSatF64U => un64(&["exec.f64_to_i64_u"]),
        I32TruncF32S => un32(trapping!("dup", "f32_to_i32_s_check", "f32_to_i32_s")),
        I32TruncF32U => un32(trapping!("dup", "f32_to_i32_u_check", "f32_to_i32_u")),
        I32TruncF64S => convert(
            I64_1,
            I32,
            trapping!("dup.1 dup.1", "f64_to_i32_s_check", "f64_to_i32_s"),
        ),
        I32TruncF64U => convert(
            I64_1,
            I32,
            trapping!("dup.1 dup.1", "f64_to_i32_u_check", "f64_to_i32_u"),
        ),
        I64TruncF32S => convert(
            I32_1,
            I64,
            trapping!("dup", "f32_to_i64_s_check", "f32_to_i64_s"),
        ),
        I64TruncF32U => convert(
            I32_1,
            I64,
            trapping!("dup", "f32_to_i64_u_check", "f32_to_i64_u"),
        ),
        I64TruncF64S => un64(trapping!(
            "dup.1 dup.1",
            "f64_to_i64_s_check",
            "f64_to_i64_s"
        )),
        I64TruncF64U => un64(trapping!(
            "dup.1 dup.1",
            "f64_to_i64_u_check",
            "f64_to_i64_u"
        )),
        // The bits stay as they are.
        I32ReinterpretF32 | F32ReinterpretI32 => un32(&[]),
        I64ReinterpretF64 | F64ReinterpretI64 => un64(&[]),
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
