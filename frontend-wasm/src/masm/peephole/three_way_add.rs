//! Sums of three u32s in one instruction: Wasm's `a + b + c` arrives as two
//! `u32wrapping_add`s (3 cycles each), and `u32wrapping_add3` (3) adds all three when the third
//! operand can be computed before the first sum. SHA-256's rounds are chains of such sums.

use super::{cycles, remap_reads_of};
use crate::masm::{Inst, Op};

/// The longest computation of the third operand moved before the first sum.
const MAX_OPERAND: usize = 10;

/// `u32wrapping_add P u32wrapping_add` → `P' u32wrapping_add3`: P computes one value from
/// copies of the stack below the first sum (never of the sum itself), constants, its own values
/// and loads, and P' is P with those copies one deeper (both addends are still there). With P
/// empty, two adjacent sums become one. Applied when cheaper (`dup.7` becoming `dup.8` costs 2
/// more).
pub(super) fn three_way_add(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    const ADD: Inst = Inst::Op(Op::U32WrappingAdd);
    if ops[i] != ADD {
        return None;
    }
    (0..=MAX_OPERAND).find_map(|len| {
        let end = i + 1 + len;
        if *ops.get(end)? != ADD {
            return None;
        }
        let operand = &ops[i + 1..end];
        let moved = if operand.is_empty() {
            Vec::new()
        } else {
            remap_reads_of(operand, true, |f| f.checked_sub(1).map(|f| f + 2))?
        };
        let out = [moved, vec![Inst::Op(Op::U32WrappingAdd3)]].concat();
        (cycles(&out) < cycles(&ops[i..=end])).then_some((out, len + 2))
    })
}
