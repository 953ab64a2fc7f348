//! Float loads and stores as the integer accesses they are: an `f32`/`f64` is held as its bit
//! pattern (`translate/float_ops.rs`), so `f64.load` is `i64.load`. Rewritten before every other
//! pass, so the analyses and loop rewrites treat float arrays as they treat integer ones.
//! `f32` accesses stay in a module that carries felts in `f32` (a felt fills a whole element).

use wasmparser::Operator;

/// Rewrites the float accesses of `ops` in place.
pub(crate) fn as_integer_accesses(ops: &mut [Operator<'_>], f32_is_felt: bool) {
    for op in ops {
        *op = match *op {
            Operator::F64Load { memarg } => Operator::I64Load { memarg },
            Operator::F64Store { memarg } => Operator::I64Store { memarg },
            Operator::F32Load { memarg } if !f32_is_felt => Operator::I32Load { memarg },
            Operator::F32Store { memarg } if !f32_is_felt => Operator::I32Store { memarg },
            _ => continue,
        };
    }
}
