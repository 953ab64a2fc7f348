//! `x | y` computed as `x ^ y` when no bit can be set in both.
//!
//! On Miden `u32or` costs 6 cycles and `u32xor` 1, and the two agree whenever `x & y = 0`.
//! Byte swaps and byte packing or their parts together (`(x << 24) | ((x & 0xff00) << 8) | …`),
//! and the bit select `(e & f) | (!e & g)` joins two halves chosen by complementary masks. The
//! rewrite is done on the operators before translation and only where it is proven:
//!
//! - each operand's possible one bits are bounded from its expression: constants, `and` with a
//!   bound operand, shifts and rotations by constants, zero-extending narrow loads; the bounds
//!   of the two operands share no bit;
//! - or both operands are `and`s, one with `local.get x` and the other with its complement
//!   (`local.get x  i32.const -1  i32.xor`), and `x` is not written between the two reads.

use wasmparser::Operator;

use crate::prepare::versioned_loops::expression_start;

/// How deep the bound of an operand is followed into its expression.
const MAX_DEPTH: usize = 12;

/// Turns every `i32.or` and `i64.or` of `ops` (a whole function body) whose operands share no
/// bit into the matching `xor`; operator indices do not move.
pub(crate) fn xor_disjoint_ors(ops: &mut [Operator<'_>]) {
    for at in 0..ops.len() {
        let wide = match ops[at] {
            Operator::I32Or => false,
            Operator::I64Or => true,
            _ => continue,
        };
        let Some((left, right)) = operands(ops, at) else {
            continue;
        };
        let full = if wide { u64::MAX } else { u64::from(u32::MAX) };
        let disjoint =
            bound(ops, left.1, wide, MAX_DEPTH) & bound(ops, right.1, wide, MAX_DEPTH) & full == 0;
        if disjoint || complementary(ops, left, right, wide) {
            ops[at] = if wide {
                Operator::I64Xor
            } else {
                Operator::I32Xor
            };
        }
    }
}

/// The two operand expressions of the binary operator at `at`, as `(start, end)` (inclusive).
fn operands(ops: &[Operator<'_>], at: usize) -> Option<((usize, usize), (usize, usize))> {
    let right_end = at.checked_sub(1)?;
    let right_start = expression_start(ops, right_end)?;
    let left_end = right_start.checked_sub(1)?;
    let left_start = expression_start(ops, left_end)?;
    Some(((left_start, left_end), (right_start, right_end)))
}

/// The bits the expression ending at `ops[end]` may set (all of them when unknown).
fn bound(ops: &[Operator<'_>], end: usize, wide: bool, depth: usize) -> u64 {
    use Operator::*;
    let full = if wide { u64::MAX } else { u64::from(u32::MAX) };
    if depth == 0 {
        return full;
    }
    let width = if wide { 64 } else { 32 };
    let inner = |end: usize| bound(ops, end, wide, depth - 1);
    let shift = |end: usize| match ops.get(end) {
        Some(I32Const { value }) if !wide => Some(u64::from(*value as u32 % 32)),
        Some(I64Const { value }) if wide => Some(*value as u64 % 64),
        _ => None,
    };
    let binary = || operands(ops, end);
    match (&ops[end], wide) {
        (I32Const { value }, false) => u64::from(*value as u32),
        (I64Const { value }, true) => *value as u64,
        (I32Load8U { .. }, _) | (I64Load8U { .. }, true) => 0xFF,
        (I32Load16U { .. }, _) | (I64Load16U { .. }, true) => 0xFFFF,
        (I64Load32U { .. }, true) => u64::from(u32::MAX),
        (LocalTee { .. }, _) => inner(end.saturating_sub(1)),
        (I32And, false) | (I64And, true) => match binary() {
            Some((l, r)) => inner(l.1) & inner(r.1),
            None => full,
        },
        (I32Or | I32Xor, false) | (I64Or | I64Xor, true) => match binary() {
            Some((l, r)) => inner(l.1) | inner(r.1),
            None => full,
        },
        (I32Shl, false) | (I64Shl, true) => match (binary(), shift(end - 1)) {
            (Some((l, _)), Some(k)) => (inner(l.1) << k) & full,
            _ => full,
        },
        (I32ShrU, false) | (I64ShrU, true) => match (binary(), shift(end - 1)) {
            (Some((l, _)), Some(k)) => inner(l.1) >> k,
            _ => full,
        },
        (I32Rotl, false) | (I64Rotl, true) | (I32Rotr, false) | (I64Rotr, true) => {
            match (binary(), shift(end - 1)) {
                (Some((l, _)), Some(k)) => {
                    let m = inner(l.1);
                    let left = matches!(ops[end], I32Rotl | I64Rotl);
                    let k = if left { k } else { (width - k) % width };
                    if k == 0 {
                        m
                    } else {
                        ((m << k) | (m >> (width - k))) & full
                    }
                }
                _ => full,
            }
        }
        _ => full,
    }
}

/// Whether the operands are `a & x` and `b & !x` (in either order, the `x` on either side of
/// its `and`) for one local `x` that nothing writes between them.
fn complementary(
    ops: &[Operator<'_>],
    left: (usize, usize),
    right: (usize, usize),
    wide: bool,
) -> bool {
    let and = if wide {
        Operator::I64And
    } else {
        Operator::I32And
    };
    let sides = |(_, end): (usize, usize)| -> Option<[(usize, usize); 2]> {
        (ops[end] == and).then_some(())?;
        let (l, r) = operands(ops, end)?;
        Some([l, r])
    };
    let (Some(a), Some(b)) = (sides(left), sides(right)) else {
        return false;
    };
    let local = |(s, e): (usize, usize)| match &ops[s..=e] {
        [Operator::LocalGet { local_index }] => Some(*local_index),
        _ => None,
    };
    let complement = |(s, e): (usize, usize)| match &ops[s..=e] {
        [Operator::LocalGet { local_index }, Operator::I32Const { value: -1 }, Operator::I32Xor]
            if !wide =>
        {
            Some(*local_index)
        }
        [Operator::LocalGet { local_index }, Operator::I64Const { value: -1 }, Operator::I64Xor]
            if wide =>
        {
            Some(*local_index)
        }
        _ => None,
    };
    let unwritten = |x: u32| {
        !ops[left.0..=right.1].iter().any(|op| {
            matches!(op, Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
                if *local_index == x)
        })
    };
    let pairs = a.iter().flat_map(|p| b.iter().map(move |q| (*p, *q)));
    pairs.into_iter().any(|(p, q)| {
        let plain_then_not = local(p).filter(|x| complement(q) == Some(*x));
        let not_then_plain = complement(p).filter(|x| local(q) == Some(*x));
        plain_then_not.or(not_then_plain).is_some_and(unwritten)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of a function with parameters (x, y, z), rewritten.
    fn rewritten(body: &str) -> Vec<Operator<'static>> {
        let wat = format!("(module (memory 1) (func (param i32 i32 i32) (result i32) {body}))");
        let mut ops = crate::analysis::test_support::first_body_ops(&wat);
        xor_disjoint_ors(&mut ops);
        ops
    }

    fn ors(ops: &[Operator<'_>]) -> usize {
        ops.iter()
            .filter(|op| matches!(op, Operator::I32Or))
            .count()
    }

    #[test]
    fn a_byte_swap_has_no_or_left() {
        let ops = rewritten(
            "local.get 0 i32.const 24 i32.shl local.get 0 i32.const 65280 i32.and \
             i32.const 8 i32.shl i32.or local.get 0 i32.const 8 i32.shr_u i32.const 65280 \
             i32.and local.get 0 i32.const 24 i32.shr_u i32.or i32.or",
        );
        assert_eq!(ors(&ops), 0);
    }

    #[test]
    fn a_bit_select_is_a_xor() {
        let ops = rewritten(
            "local.get 1 local.get 0 i32.and local.get 2 local.get 0 i32.const -1 i32.xor \
             i32.and i32.or",
        );
        assert_eq!(ors(&ops), 0);
    }

    #[test]
    fn overlapping_or_unproven_bits_stay() {
        for body in [
            // 0xFF00 and 0x0FF0 overlap.
            "local.get 0 i32.const 65280 i32.and local.get 1 i32.const 4080 i32.and i32.or",
            // Unknown operands.
            "local.get 0 local.get 1 i32.or",
            // The select's local written between its reads.
            "local.get 1 local.get 0 i32.and local.get 2 local.tee 0 local.get 0 i32.const -1 \
             i32.xor i32.and i32.or",
            // A rotation brings the high byte onto the low one.
            "local.get 0 i32.const 255 i32.and local.get 1 i32.const -16777216 i32.and \
             i32.const 8 i32.rotl i32.or",
        ] {
            assert_eq!(ors(&rewritten(body)), 1, "{body}");
        }
    }
}
