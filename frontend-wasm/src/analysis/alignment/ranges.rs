//! Value ranges for the dataflow pass: the unsigned range of an `i32` result from its operands'
//! ranges, and what a test of a local against a constant proves on each edge of a `br_if` or
//! `if`. A loop whose back edge is `local.get i  i32.const N  i32.lt_u  br_if` then knows
//! `i < N` at its header, however the body moves `i`; an access at `i + C` with a range below
//! the initial memory size needs no bounds check at all.

use wasmparser::Operator;

use super::flow::Val;

/// 2^32: sums of two u32 ranges are computed in u64 and compared with it.
const WRAP: u64 = 1 << 32;

/// The range of a binary `i32` operator's result from its operands' (`lhs`, `rhs` in Wasm
/// order); any u32 when the operator is not one whose range is tracked, or when the result
/// may wrap on some inputs and not on others.
pub(super) fn binary(op: &Operator<'_>, lhs: Val, rhs: Val) -> (u32, u32) {
    let (a0, a1) = (u64::from(lhs.lo), u64::from(lhs.hi));
    let (b0, b1) = (u64::from(rhs.lo), u64::from(rhs.hi));
    let any = (0, u32::MAX);
    // lo..=hi as u32s when it does not wrap, shifted down by 2^32 when all of it does.
    let fit = |lo: u64, hi: u64| {
        if hi < WRAP {
            (lo as u32, hi as u32)
        } else if lo >= WRAP && hi < 2 * WRAP {
            ((lo - WRAP) as u32, (hi - WRAP) as u32)
        } else {
            any
        }
    };
    // The smallest all-ones mask covering a value: or, xor and and stay below it.
    let mask = |x: u64| u64::MAX.checked_shr(x.leading_zeros()).unwrap_or(0) as u32;
    let shift = rhs.as_const().map(|k| k & 31);
    match op {
        Operator::I32Add => fit(a0 + b0, a1 + b1),
        Operator::I32Sub if a0 >= b1 => ((a0 - b1) as u32, (a1 - b0) as u32),
        Operator::I32Sub if a1 < b0 => ((a0 + WRAP - b1) as u32, (a1 + WRAP - b0) as u32),
        Operator::I32Mul if a1 * b1 < WRAP => ((a0 * b0) as u32, (a1 * b1) as u32),
        Operator::I32And => (0, a1.min(b1) as u32),
        Operator::I32Or | Operator::I32Xor => (0, mask(a1.max(b1))),
        Operator::I32Shl => match shift {
            Some(k) if a1 << k < WRAP => ((a0 << k) as u32, (a1 << k) as u32),
            _ => any,
        },
        Operator::I32ShrU => match shift {
            Some(k) => ((a0 >> k) as u32, (a1 >> k) as u32),
            None => (0, a1 as u32),
        },
        // A zero divisor traps, so a result exists only for the nonzero ones.
        Operator::I32RemU if b1 > 0 => (0, a1.min(b1 - 1) as u32),
        Operator::I32DivU => ((a0 / b1.max(1)) as u32, (a1 / b0.max(1)) as u32),
        _ => any,
    }
}

/// The range of an operator's `i32` result that follows from the operator alone: 0 or 1 for
/// a comparison, a byte for `i32.load8_u`, a bit count for `i32.clz`.
pub(super) fn of_result(op: &Operator<'_>) -> Option<(u32, u32)> {
    use Operator::*;
    Some(match op {
        I32Eqz | I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS
        | I32GeU | I64Eqz | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU
        | I64GeS | I64GeU => (0, 1),
        I32Load8U { .. } => (0, 255),
        I32Load16U { .. } => (0, 65535),
        I32Clz | I32Ctz | I32Popcnt => (0, 32),
        _ => return None,
    })
}

/// Which Wasm operand (0: the top) of a memory access is its address; `None` for other
/// operators.
pub(super) fn address_depth(op: &Operator<'_>) -> Option<usize> {
    use crate::analysis::counted_loop::{is_memory_access, is_store};
    match op {
        Operator::MemoryCopy { .. } | Operator::MemoryFill { .. } => None,
        Operator::F32Store { .. } | Operator::F64Store { .. } => Some(1),
        Operator::F32Load { .. } | Operator::F64Load { .. } => Some(0),
        _ if is_store(op) => Some(1),
        _ if is_memory_access(op) => Some(0),
        _ => None,
    }
}

/// A condition that bounds one local: the ranges it lies in when the condition is true and
/// when it is false (`None`: that outcome is impossible for every value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct LocalTest {
    /// The local tested.
    pub(super) local: u32,
    /// Its values for which the condition holds.
    pub(super) when_true: Option<(u32, u32)>,
    /// Its values for which it does not.
    pub(super) when_false: Option<(u32, u32)>,
}

/// The test a `br_if` or `if` condition makes, from the operators right before it:
/// `local.get x  i32.const n  <cmp>` (or `i32.const n  local.get x  <cmp>`) with an unsigned
/// comparison, `i32.eq` or `i32.ne`, or the bare `local.get x` (true when x is not 0), each
/// optionally followed by `i32.eqz`. `local.tee x` counts as `local.get x`.
pub(super) fn local_test(before: &[Operator<'_>]) -> Option<LocalTest> {
    use Operator::{I32Const, I32Eq, I32Eqz, I32GeU, I32GtU, I32LeU, I32LtU, I32Ne};
    let local_of = |op: &Operator<'_>| match op {
        Operator::LocalGet { local_index } | Operator::LocalTee { local_index } => {
            Some(*local_index)
        }
        _ => None,
    };
    let (before, negated) = match before.split_last() {
        Some((I32Eqz, rest)) => (rest, true),
        _ => (before, false),
    };
    let max = u32::MAX;
    let (local, when_true, when_false) = match before {
        [.., a, b, cmp @ (I32LtU | I32LeU | I32GtU | I32GeU | I32Eq | I32Ne)] => {
            // Written as `x <op> n`, mirroring `n <op> x`.
            let (local, n, mirrored) = match (local_of(a), b, local_of(b), a) {
                (Some(x), I32Const { value }, _, _) => (x, *value as u32, false),
                // Not `local.tee x` here: it would take the constant, comparing x's old value.
                (_, Operator::LocalGet { local_index }, _, I32Const { value }) => {
                    (*local_index, *value as u32, true)
                }
                _ => return None,
            };
            let lt = (n.checked_sub(1).map(|m| (0, m)), Some((n, max)));
            let le = (Some((0, n)), n.checked_add(1).map(|m| (m, max)));
            let ranges = match (cmp, mirrored) {
                (I32LtU, false) | (I32GtU, true) => lt,
                (I32LeU, false) | (I32GeU, true) => le,
                (I32GtU, false) | (I32LtU, true) => (le.1, le.0),
                (I32GeU, false) | (I32LeU, true) => (lt.1, lt.0),
                (I32Eq, _) => (Some((n, n)), Some((0, max))),
                _ => (Some((0, max)), Some((n, n))),
            };
            (local, ranges.0, ranges.1)
        }
        [.., x] => (local_of(x)?, Some((1, max)), Some((0, 0))),
        [] => return None,
    };
    let (when_true, when_false) = if negated {
        (when_false, when_true)
    } else {
        (when_true, when_false)
    };
    Some(LocalTest {
        local,
        when_true,
        when_false,
    })
}

/// `path` with `local` narrowed to `range` (`None`: no value of the local can take this path).
pub(super) fn narrowed(
    mut path: Vec<Val>,
    local: u32,
    range: Option<(u32, u32)>,
) -> Option<Vec<Val>> {
    let (lo, hi) = range?;
    let Some(v) = path.get_mut(local as usize) else {
        return Some(path);
    };
    let (lo, hi) = (v.lo.max(lo), v.hi.min(hi));
    if lo > hi {
        return None;
    }
    *v = Val::new(lo, hi, v.is_mult4());
    Some(path)
}

/// Whether the header state a pass `used` already holds everything that `reached` the header:
/// then the pass's conclusions are sound (a counter's range may be wider than it could be,
/// never narrower).
pub(super) fn covers(used: &[Val], reached: &[Val]) -> bool {
    used.len() == reached.len()
        && used
            .iter()
            .zip(reached)
            .all(|(u, r)| u.lo <= r.lo && r.hi <= u.hi && (r.is_mult4() || !u.is_mult4()))
}

/// The bounds the tests of `br_if`s and `if`s on a local ([`local_test`]) set, sorted: where a
/// range that keeps moving is first widened to, since a loop's own test is what stops its
/// counter.
pub(super) fn thresholds(ops: &[Operator<'_>]) -> Vec<u32> {
    let mut bounds: Vec<u32> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| matches!(op, Operator::BrIf { .. } | Operator::If { .. }))
        .filter_map(|(at, _)| local_test(&ops[at.saturating_sub(4)..at]))
        .flat_map(|t| [t.when_true, t.when_false])
        .flatten()
        .flat_map(|(lo, hi)| [lo, hi])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    bounds
}

/// The header state for the next pass: what reached the header, except that a bound that moved
/// since the previous pass goes to the next of `thresholds` past it, or with none (or past the
/// last) to its extreme (0 or u32::MAX), so that a counter stepped in the body does not grow
/// its range by one step per pass.
pub(super) fn widened(used: &[Val], reached: &[Val], thresholds: &[u32]) -> Vec<Val> {
    used.iter()
        .zip(reached)
        .map(|(u, r)| {
            let lo = match r.lo < u.lo {
                true => thresholds
                    .iter()
                    .rev()
                    .find(|t| **t <= r.lo)
                    .copied()
                    .unwrap_or(0),
                false => r.lo,
            };
            let hi = match r.hi > u.hi {
                true => thresholds
                    .iter()
                    .find(|t| **t >= r.hi)
                    .copied()
                    .unwrap_or(u32::MAX),
                false => r.hi,
            };
            Val::new(lo, hi, r.is_mult4())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lo: u32, hi: u32) -> Val {
        Val::new(lo, hi, false)
    }

    #[test]
    fn results_wrap_in_every_case_or_in_none() {
        use Operator::*;
        let max = u32::MAX;
        assert_eq!(binary(&I32Add, v(10, 20), v(5, 5)), (15, 25));
        // + (2^32 − 2) wraps for every value from 2 on; from 0 it does for some only.
        assert_eq!(binary(&I32Add, v(10, 20), v(max - 1, max - 1)), (8, 18));
        assert_eq!(binary(&I32Add, v(0, 20), v(max - 1, max - 1)), (0, max));
        assert_eq!(binary(&I32Sub, v(10, 20), v(1, 4)), (6, 19));
        assert_eq!(binary(&I32Sub, v(1, 2), v(5, 6)), (max - 4, max - 2));
        assert_eq!(binary(&I32Sub, v(3, 20), v(1, 4)), (0, max));
        assert_eq!(binary(&I32Mul, v(2, 3), v(4, 5)), (8, 15));
        assert_eq!(
            binary(&I32Mul, v(2, 1 << 20), v(1 << 12, 1 << 12)),
            (0, max)
        );
        // A shift by 33 is a shift by 1.
        assert_eq!(binary(&I32Shl, v(1, 2), v(33, 33)), (2, 4));
        assert_eq!(binary(&I32ShrU, v(256, 1023), v(8, 8)), (1, 3));
        assert_eq!(binary(&I32And, v(0, 1000), v(255, 255)), (0, 255));
        assert_eq!(binary(&I32Or, v(0, 5), v(0, 8)), (0, 15));
        assert_eq!(binary(&I32Xor, v(0, 0), v(0, 0)), (0, 0));
        assert_eq!(binary(&I32RemU, v(0, 1000), v(26, 26)), (0, 25));
        assert_eq!(binary(&I32DivU, v(100, 1000), v(0, 10)), (10, 1000));
        assert_eq!(binary(&I32Rotl, v(0, 5), v(1, 1)), (0, max));
    }

    #[test]
    fn widening_stops_at_the_bounds_tests_set() {
        let thresholds = [99, 100];
        let used = [v(0, 0), v(50, 60)];
        let reached = [v(0, 1), v(40, 60)];
        assert_eq!(widened(&used, &reached, &thresholds), [v(0, 99), v(0, 60)]);
        assert_eq!(widened(&used, &reached, &[]), [v(0, u32::MAX), v(0, 60)]);
        assert!(covers(&[v(0, 99)], &[v(3, 99)]));
        assert!(!covers(&[v(0, 99)], &[v(3, 100)]));
    }
}
