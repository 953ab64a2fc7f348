//! Lowering of individual numeric Wasm operators to fixed MASM sequences.
//!
//! Every entry here is a pure stack transformation on the top operands: it pops the Wasm
//! operands (felt encoded as in `midenc-abi`) and pushes the result. Operators with control
//! flow or frame access are handled by the function translator. The per-instruction cycle costs
//! behind these choices are in `docs/codegen.md`.

use wasmparser::Operator;

use midenc_abi::{CoreType, CoreValue};

/// How a numeric operator is lowered.
pub enum OpLowering {
    /// Pops `pops`, runs `code`, pushes `push` (type, and whether the result is 0/1).
    Simple {
        /// Types popped (top last).
        pops: &'static [CoreType],
        /// Result type and booleanness, if any.
        push: Option<(CoreType, bool)>,
        /// The MASM instructions.
        code: &'static [&'static str],
    },
    /// A constant.
    Const(CoreValue),
    /// An operator midenc does not compile; the string names it.
    Unsupported(String),
}

use CoreType::{I32, I64};

pub(super) const I32_1: &[CoreType] = &[I32];
const I32_2: &[CoreType] = &[I32, I32];
pub(super) const I64_1: &[CoreType] = &[I64];
const I64_2: &[CoreType] = &[I64, I64];

pub(super) fn simple(
    pops: &'static [CoreType],
    push: Option<(CoreType, bool)>,
    code: &'static [&'static str],
) -> OpLowering {
    OpLowering::Simple { pops, push, code }
}

/// i32 result of an i32 binary op.
pub(super) fn bin32(code: &'static [&'static str]) -> OpLowering {
    simple(I32_2, Some((I32, false)), code)
}

/// Boolean result of an i32 comparison.
pub(super) fn cmp32(code: &'static [&'static str]) -> OpLowering {
    simple(I32_2, Some((I32, true)), code)
}

pub(super) fn un32(code: &'static [&'static str]) -> OpLowering {
    simple(I32_1, Some((I32, false)), code)
}

pub(super) fn bin64(code: &'static [&'static str]) -> OpLowering {
    simple(I64_2, Some((I64, false)), code)
}

pub(super) fn cmp64(code: &'static [&'static str]) -> OpLowering {
    simple(I64_2, Some((I32, true)), code)
}

pub(super) fn un64(code: &'static [&'static str]) -> OpLowering {
    simple(I64_1, Some((I64, false)), code)
}

// The division checks run at the call site, not in the runtime procedure, so that the VM
// reports a trap at an instruction of the calling function (`trap_sites.rs`). Each is one
// line: the peephole optimizer and the cost model see it as one opaque instruction, as they
// saw the procedure call, and the assembler merges the straight-line procedures into the
// caller's basic block either way, so the executed operations are the same.

/// [b, a] -> unchanged; traps when the i32 b = 0.
macro_rules! check_i32_divisor {
    () => {
        "dup eq.0 assertz.err=\"integer divide by zero\""
    };
}

/// [b, a] -> unchanged; traps on i32::MIN / -1.
macro_rules! check_i32_overflow {
    () => {
        "dup eq.4294967295 dup.2 eq.2147483648 and assertz.err=\"integer overflow\""
    };
}

/// [b_lo, b_hi, ..] -> unchanged; traps when the i64 b = 0.
macro_rules! check_i64_divisor {
    () => {
        "dup.1 dup.1 add eq.0 assertz.err=\"integer divide by zero\""
    };
}

/// [b_lo, b_hi, a_lo, a_hi] -> unchanged; traps on b = -1 (both limbs 2^32-1) and a = i64::MIN
/// (lo 0, hi 2^31).
macro_rules! check_i64_overflow {
    () => {
        "dup eq.4294967295 dup.2 eq.4294967295 and dup.3 eq.0 and dup.4 eq.2147483648 and \
         assertz.err=\"integer overflow\""
    };
}

/// `i32.div_s`: both checks and the intrinsic, one line.
pub(crate) const I32_DIV_S: &str = concat!(
    check_i32_divisor!(),
    " ",
    check_i32_overflow!(),
    " exec.wasm_i32_div_s"
);

/// `i32.rem_s`: the divisor check and the intrinsic, one line (`i32::MIN % -1` is 0).
pub(crate) const I32_REM_S: &str = concat!(check_i32_divisor!(), " exec.wasm_i32_rem_s");

macro_rules! u64op {
    ($name:literal) => {
        concat!("exec.::miden::core::math::u64::", $name)
    };
}

/// Lowers a numeric operator. Non-numeric operators reach here only when unsupported.
pub fn lower(op: &Operator<'_>) -> OpLowering {
    match op {
        Operator::I32Const { value } => OpLowering::Const(CoreValue::I32(*value)),
        Operator::I64Const { value } => OpLowering::Const(CoreValue::I64(*value)),

        // ---- i32 arithmetic -------------------------------------------------------------
        Operator::I32Add => bin32(&["u32wrapping_add"]),
        Operator::I32Sub => bin32(&["u32wrapping_sub"]),
        Operator::I32Mul => bin32(&["u32wrapping_mul"]),
        // Division by zero traps natively ("integer divide by zero").
        Operator::I32DivU => bin32(&["u32div"]),
        Operator::I32RemU => bin32(&["u32mod"]),
        Operator::I32DivS => bin32(&[I32_DIV_S]),
        Operator::I32RemS => bin32(&[I32_REM_S]),
        Operator::I32And => bin32(&["u32and"]),
        Operator::I32Or => bin32(&["u32or"]),
        Operator::I32Xor => bin32(&["u32xor"]),
        Operator::I32Shl => bin32(&["u32and.31", "u32shl"]),
        Operator::I32ShrU => bin32(&["u32and.31", "u32shr"]),
        Operator::I32ShrS => bin32(&["u32and.31", "exec.wasm_i32_shr_s"]),
        Operator::I32Rotl => bin32(&["u32and.31", "u32rotl"]),
        Operator::I32Rotr => bin32(&["u32and.31", "u32rotr"]),
        Operator::I32Clz => un32(&["u32clz"]),
        Operator::I32Ctz => un32(&["u32ctz"]),
        Operator::I32Popcnt => un32(&["u32popcnt"]),
        Operator::I32Extend8S => un32(&["exec.wasm_i32_extend8_s"]),
        Operator::I32Extend16S => un32(&["exec.wasm_i32_extend16_s"]),

        // ---- i32 comparisons ------------------------------------------------------------
        Operator::I32Eqz => simple(I32_1, Some((I32, true)), &["eq.0"]),
        Operator::I32Eq => cmp32(&["eq"]),
        Operator::I32Ne => cmp32(&["neq"]),
        Operator::I32LtU => cmp32(&["u32lt"]),
        Operator::I32GtU => cmp32(&["u32gt"]),
        Operator::I32LeU => cmp32(&["u32lte"]),
        Operator::I32GeU => cmp32(&["u32gte"]),
        Operator::I32LtS => cmp32(&["exec.wasm_i32_flip_signs", "u32lt"]),
        Operator::I32GtS => cmp32(&["exec.wasm_i32_flip_signs", "u32gt"]),
        Operator::I32LeS => cmp32(&["exec.wasm_i32_flip_signs", "u32lte"]),
        Operator::I32GeS => cmp32(&["exec.wasm_i32_flip_signs", "u32gte"]),

        // ---- i64 arithmetic -------------------------------------------------------------
        Operator::I64Add => bin64(&[u64op!("wrapping_add")]),
        Operator::I64Sub => bin64(&[u64op!("wrapping_sub")]),
        Operator::I64Mul => bin64(&[u64op!("wrapping_mul")]),
        Operator::I64DivU => bin64(&[check_i64_divisor!(), u64op!("div")]),
        Operator::I64RemU => bin64(&[check_i64_divisor!(), u64op!("mod")]),
        Operator::I64DivS => bin64(&[concat!(
            check_i64_divisor!(),
            " ",
            check_i64_overflow!(),
            " exec.wasm_i64_div_s"
        )]),
        Operator::I64RemS => bin64(&[concat!(check_i64_divisor!(), " exec.wasm_i64_rem_s")]),
        Operator::I64And => bin64(&[u64op!("and")]),
        Operator::I64Or => bin64(&[u64op!("or")]),
        Operator::I64Xor => bin64(&[u64op!("xor")]),
        Operator::I64Shl => bin64(&["swap", "drop", "u32and.63", u64op!("shl")]),
        Operator::I64ShrU => bin64(&["swap", "drop", "u32and.63", u64op!("shr")]),
        Operator::I64ShrS => bin64(&["swap", "drop", "u32and.63", "exec.wasm_i64_shr_s"]),
        Operator::I64Rotl => bin64(&["swap", "drop", "u32and.63", u64op!("rotl")]),
        Operator::I64Rotr => bin64(&["swap", "drop", "u32and.63", u64op!("rotr")]),
        Operator::I64Clz => un64(&[u64op!("clz"), "push.0", "swap"]),
        Operator::I64Ctz => un64(&[u64op!("ctz"), "push.0", "swap"]),
        Operator::I64Popcnt => un64(&["u32popcnt", "swap", "u32popcnt", "add", "push.0", "swap"]),
        Operator::I64Extend8S => un64(&[
            "swap",
            "drop",
            "exec.wasm_i32_extend8_s",
            "exec.wasm_i64_extend_i32_s",
        ]),
        Operator::I64Extend16S => un64(&[
            "swap",
            "drop",
            "exec.wasm_i32_extend16_s",
            "exec.wasm_i64_extend_i32_s",
        ]),
        Operator::I64Extend32S => un64(&["swap", "drop", "exec.wasm_i64_extend_i32_s"]),

        // ---- i64 comparisons ------------------------------------------------------------
        Operator::I64Eqz => simple(I64_1, Some((I32, true)), &["eq.0", "swap", "eq.0", "and"]),
        Operator::I64Eq => cmp64(&["movup.2", "eq", "movdn.2", "eq", "and"]),
        Operator::I64Ne => cmp64(&["movup.2", "neq", "movdn.2", "neq", "or"]),
        Operator::I64LtU => cmp64(&[u64op!("lt")]),
        Operator::I64GtU => cmp64(&[u64op!("gt")]),
        Operator::I64LeU => cmp64(&[u64op!("lte")]),
        Operator::I64GeU => cmp64(&[u64op!("gte")]),
        Operator::I64LtS => cmp64(&["exec.wasm_i64_flip_signs", u64op!("lt")]),
        Operator::I64GtS => cmp64(&["exec.wasm_i64_flip_signs", u64op!("gt")]),
        Operator::I64LeS => cmp64(&["exec.wasm_i64_flip_signs", u64op!("lte")]),
        Operator::I64GeS => cmp64(&["exec.wasm_i64_flip_signs", u64op!("gte")]),

        // ---- conversions ----------------------------------------------------------------
        Operator::I32WrapI64 => simple(I64_1, Some((I32, false)), &["swap", "drop"]),
        Operator::I64ExtendI32U => simple(I32_1, Some((I64, false)), &["push.0", "swap"]),
        Operator::I64ExtendI32S => {
            simple(I32_1, Some((I64, false)), &["exec.wasm_i64_extend_i32_s"])
        }

        other => super::float_ops::lower(other)
            .unwrap_or_else(|| OpLowering::Unsupported(operator_name(other))),
    }
}

/// The Wasm text name of an operator (e.g. `f32.add`), for "unsupported" diagnostics.
pub fn operator_name(op: &Operator<'_>) -> String {
    // wasmparser's Debug form is the CamelCase variant name, e.g. `F32Add { .. }`.
    let debug = format!("{op:?}");
    let variant = debug.split([' ', '{', '(']).next().unwrap_or(&debug);
    let mut out = String::new();
    let mut prev_lower = false;
    for (i, ch) in variant.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 && prev_lower {
                out.push(if out.contains('.') { '_' } else { '.' });
            }
            out.push(ch.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(ch);
            prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_read_like_wasm_text() {
        assert_eq!(operator_name(&Operator::F32Add), "f32.add");
        assert_eq!(operator_name(&Operator::I32TruncF64S), "i32.trunc_f64_s");
        assert_eq!(
            operator_name(&Operator::MemoryGrow { mem: 0 }),
            "memory.grow"
        );
    }
}
