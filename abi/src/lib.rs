//! The value side of midenc's calling convention: how Wasm values become Miden field elements.
//!
//! Every crate that places values on the Miden operand stack (the code generator, the linker's
//! export wrappers, the driver's `run` encoder and decoder) asks this crate instead of
//! recomputing widths or limb orders. It does no I/O and knows nothing of MASM text.
#![deny(missing_docs)]

mod core_value;
mod felt_slots;
pub mod host;
mod signature;
mod wit_type;

pub use core_value::{AbiError, CoreType, CoreValue};
pub use signature::{WitSignature, SPILL_STACK_FELTS};
pub use wit_type::{
    align_to, flat_felts, flatten_lift, flatten_lower, FlatSignature, FlatType, Shape, WitType,
    MAX_FLAT_PARAMS, MAX_FLAT_RESULTS,
};

/// How many field elements a `call`ed Miden procedure can receive or return on the operand stack.
///
/// The VM hands a callee exactly the top 16 elements of the caller's stack and requires the
/// callee to return with depth exactly 16.
pub const MAX_STACK_FELTS: usize = 16;

/// The Goldilocks prime `2^64 - 2^32 + 1`, the modulus of every Miden field element.
pub const FIELD_MODULUS: u64 = 0xFFFF_FFFF_0000_0001;

/// Flattens `values` into the felts of a `call` boundary, index 0 being the top of the stack.
///
/// The first value ends on top; an `i64` contributes its low limb first (on top) and then its
/// high limb, as miden-core-lib's `u64` procedures expect.
pub fn lower_values(values: &[CoreValue]) -> Vec<u64> {
    values.iter().flat_map(|v| v.to_felts()).collect()
}

/// Reads values of `types` from felts in boundary order (index 0 = top of stack).
///
/// # Errors
/// Fails when there are too few felts or a felt is not a valid limb (≥ 2^32), which would mean
/// the callee broke the convention.
pub fn lift_values(types: &[CoreType], felts: &[u64]) -> Result<Vec<CoreValue>, AbiError> {
    let needed: usize = types.iter().map(|t| t.felts()).sum();
    if felts.len() < needed {
        return Err(AbiError::TooFewFelts {
            needed,
            found: felts.len(),
        });
    }
    let mut at = 0;
    types
        .iter()
        .map(|ty| {
            let width = ty.felts();
            let value = CoreValue::from_felts(*ty, &felts[at..at + width]);
            at += width;
            value
        })
        .collect()
}

/// Total number of felts that `types` occupy on the stack.
pub fn felt_count(types: &[CoreType]) -> usize {
    types.iter().map(|t| t.felts()).sum()
}
