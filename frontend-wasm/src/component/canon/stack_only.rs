//! The fast path of an export wrapper: when every parameter and the result are single scalars
//! carried on the stack, they are checked and normalized where they lie and passed straight to
//! the core function, with no trip through the scratch region.
//!
//! What the caller sees is exactly the general wrapper's convention (`docs/calling-convention.md`):
//! the same argument felts, the same traps, the result first on top with depth 16.

use midenc_abi::{WitSignature, WitType};

use super::{normalize_i32, Targets};
use crate::masm::stack_ops;

/// The felt width of a scalar that crosses the boundary as one flat value (integers, floats,
/// `bool`, `char`, `felt`, enums, flags of up to 32 labels), or `None` for anything else.
fn scalar_width(ty: &WitType) -> Option<usize> {
    let scalar = match ty {
        WitType::Enum(cases) => !cases.is_empty(),
        _ => ty.cases().is_none() && ty.fields().is_none() && !ty.has_lists(),
    };
    match ty.flat().as_slice() {
        [one] if scalar => Some(one.felts()),
        _ => None,
    }
}

/// Instructions that validate the scalar on top of the stack (the checks and normalization of
/// the general wrapper's lifting).
fn lift_on_top(ty: &WitType) -> Vec<String> {
    let mut ops = Vec::new();
    match ty {
        WitType::Felt => {}
        WitType::S64 | WitType::U64 | WitType::F64 => {
            ops.push("u32assert2.err=\"argument is not a u32\"".into())
        }
        WitType::Enum(cases) => {
            ops.push("u32assert.err=\"argument is not a u32\"".into());
            ops.push(format!(
                "dup push.{} u32lt assert.err=\"invalid variant discriminant\"",
                cases.len()
            ));
        }
        other => {
            ops.push("u32assert.err=\"argument is not a u32\"".into());
            ops.extend(normalize_i32(other));
        }
    }
    ops
}

/// The wrapper body after instantiation, or `None` when the signature needs the general path
/// (anything but scalars, a spill, or a `cabi_post_*` function to run).
pub(super) fn wrapper_body(sig: &WitSignature, targets: &Targets<'_>) -> Option<Vec<String>> {
    if sig.params_spill() || sig.results_spill() || targets.post_return.is_some() {
        return None;
    }
    let widths = sig
        .params
        .iter()
        .map(|(_, t)| scalar_width(t))
        .collect::<Option<Vec<_>>>()?;
    let result_width = match &sig.result {
        Some(t) => scalar_width(t)?,
        None => 0,
    };
    let total: usize = widths.iter().sum();
    let mut ops = Vec::new();
    // Lift each parameter on top, then sink it beneath the parameters still to come, above
    // those already done: the core function gets them reversed, last parameter on top.
    let mut done = 0;
    for ((_, ty), width) in sig.params.iter().zip(&widths) {
        ops.extend(lift_on_top(ty));
        if total - done > *width {
            let sink = match total - done - 1 {
                1 => "swap".to_string(),
                n => format!("movdn.{n}"),
            };
            ops.extend(std::iter::repeat_n(sink, *width));
        }
        done += width;
    }
    ops.push(targets.core.to_string());
    if let Some(ty) = &sig.result {
        ops.extend(normalize_i32(ty));
        if let WitType::Enum(cases) = ty {
            ops.push(format!(
                "dup push.{} u32lt assert.err=\"invalid variant discriminant\"",
                cases.len()
            ));
        }
    }
    // The arguments' felts are gone; the VM keeps the depth at 16 or more, so only results
    // wider than the arguments leave felts to remove.
    if result_width > total {
        ops.extend(stack_ops::drop_below(result_width, result_width - total)?);
    }
    if ops.is_empty() {
        ops.push("nop".into());
    }
    Some(ops)
}
