//! Loops that reverse a byte range in place (`<[u8]>::reverse`, a C swap loop): all but their
//! last iterations become one call of the runtime's element-wise reversal.
//!
//! A byte swap costs two byte loads and two byte stores that each read, mask and rewrite an
//! element: about 35 cycles even with its bounds checks hoisted. Swapping an element from each
//! end with its bytes reversed moves four byte pairs for about the cost of one.
//!
//! The loop body is evaluated symbolically over the values its locals have on entry to an
//! iteration ([`Affine`]). It qualifies when it is straight-line code ending in `br_if 0` whose
//! only memory accesses are `u` swaps (`u` = 1, 2 or 4): two byte loads, then the stores of each
//! byte at the other's address. Every local it reads before writing must step by a constant
//! (an induction local) or not be written at all; other locals are written before they are
//! read. Swap `j`'s front address must advance by `u` each iteration and its back address go
//! back by `u`. `x ^ -2` is `-x - 2` for an even `x`, as LLVM writes `len - 2 - i`.
//!
//! Before the loop a test decides, on the entry values, whether its first `T` iterations swap
//! bytes `F + k` and `B - k` for `k < h + 4m`, `h = -F mod 4` a multiple of `u`, with every
//! address in bounds and at least one byte pair left over: swap `j` is at `F + j` and `B - j`,
//! the assumed parities hold, and the loop's test continues through iteration `T - 1`. Then the
//! runtime swaps `h` single bytes, which aligns the front, and `m` front elements, their bytes
//! reversed, with the `4m` bytes before the back (whole elements when the back end is aligned,
//! else each assembled from two), and the induction locals advance by `T` steps;
//! the loop as written runs the rest (at least one iteration) and every iteration when the
//! test fails. The call is written as a `memory.fill` of [`REVERSAL_MEMORY`], an index no
//! module has, so that later passes see an opaque write to memory.

mod evaluate;
mod fast_path;

use std::collections::BTreeMap;

use wasmparser::{BlockType, Operator};

use crate::analysis::counted_loop::body_len;
use evaluate::{evaluate, Access, Affine, Test, Value};
use fast_path::fast_path;

/// The memory index of the `memory.fill` that stands for the runtime's reversal
/// `wasm_reverse_bytes` (`[m, B, F]` pushed in that order, byte addresses `F` and `B`: bytes
/// `F + k` and `B - k` trade places for `k < h + 4m`, `h = -F mod 4`). Validation admits no
/// such memory, so no module's own operator is read as one.
pub(crate) const REVERSAL_MEMORY: u32 = u32::MAX;

/// Loop bodies longer than this are not evaluated.
const MAX_BODY: usize = 200;

/// Induction steps and test slopes beyond this are not taken (their products with the trip
/// count are kept far from 2^32).
const MAX_STEP: u32 = 64;

/// Rewrites every qualifying loop of `ops` (a whole function body); `offsets` stays in step.
/// `is_i32(local)` tells which locals are `i32`. Modules with felts are left alone: an element
/// of their memory may hold a felt, which has no bytes to reverse.
pub(crate) fn reverse_in_elements(
    ops: &mut Vec<Operator<'_>>,
    offsets: &mut Vec<u64>,
    is_i32: &dyn Fn(u32) -> bool,
    felts: bool,
) {
    if felts {
        return;
    }
    let mut plans = Vec::new();
    for (at, op) in ops.iter().enumerate() {
        if let Operator::Loop {
            blockty: BlockType::Empty,
        } = op
        {
            if let Some(plan) = plan(ops, at, is_i32) {
                plans.push(plan);
            }
        }
    }
    // Last first, so that each insertion leaves the earlier loops where they were.
    for plan in plans.into_iter().rev() {
        let fast = fast_path(&plan);
        let offset = offsets[plan.loop_at];
        let len = fast.len();
        ops.splice(plan.loop_at..plan.loop_at, fast);
        offsets.splice(plan.loop_at..plan.loop_at, std::iter::repeat_n(offset, len));
    }
}

/// One loop's rewrite, all on the locals' values on entry to the loop.
#[derive(Debug)]
struct Plan {
    loop_at: usize,
    /// Swaps per iteration.
    units: u32,
    /// The first front and back addresses.
    front: Affine,
    back: Affine,
    /// Pairs that must be equal on entry (swap `j`'s addresses against `F + j`, `B - j`).
    equal: Vec<(Affine, Affine)>,
    /// Values that must be even on entry.
    even: Vec<Affine>,
    test: Test,
    /// The induction locals and their steps, in local order (a local not here is not
    /// written by the loop, or written before it is read).
    slopes: BTreeMap<u32, u32>,
}

/// The rewrite of the loop at `at`, if it qualifies.
fn plan(ops: &[Operator<'_>], at: usize, is_i32: &dyn Fn(u32) -> bool) -> Option<Plan> {
    let len = body_len(&ops[at + 1..])?;
    if !(1..=MAX_BODY).contains(&len) {
        return None;
    }
    let body = &ops[at + 1..at + len];
    let ev = evaluate(body, &ops[at + len], is_i32)?;
    // Induction locals: read on entry and stepped by a constant.
    let mut slopes = BTreeMap::new();
    for &local in &ev.entry_reads {
        let Some(v) = ev.written.get(&local) else {
            continue;
        };
        let Value::Int(v) = v else { return None };
        let step = v.sub(&Affine::local(local)).as_const()?;
        if step == 0 || (step as i32).unsigned_abs() > MAX_STEP {
            return None;
        }
        slopes.insert(local, step);
    }
    let units = u32::try_from(ev.accesses.len() / 4).ok()?;
    if ev.accesses.len() % 4 != 0 || !matches!(units, 1 | 2 | 4) {
        return None;
    }
    let u = i64::from(units);
    let mut pairs = Vec::new();
    for (k, unit) in ev.accesses.chunks(4).enumerate() {
        let [Access::Load { at: p }, Access::Load { at: q }, s1, s2] = unit else {
            return None;
        };
        // The bytes the two loads read.
        let (first, second) = (4 * k, 4 * k + 1);
        let stores_ok = |s: &Access, at: &Affine, byte: usize| matches!(s, Access::Store { at: a, byte: b } if a == at && *b == byte);
        let swapped = (stores_ok(s1, p, second) && stores_ok(s2, q, first))
            || (stores_ok(s1, q, first) && stores_ok(s2, p, second));
        if !swapped {
            return None;
        }
        let (dp, dq) = (p.slope(&slopes), q.slope(&slopes));
        let pair = if dp == u && dq == -u {
            (p.clone(), q.clone())
        } else if dp == -u && dq == u {
            (q.clone(), p.clone())
        } else {
            return None;
        };
        pairs.push(pair);
    }
    let (front, back) = pairs[0].clone();
    let mut equal = Vec::new();
    for (j, (f, b)) in pairs.iter().enumerate().skip(1) {
        let j = j as u32;
        for (actual, expected) in [
            (f, front.add(&Affine::konst(j))),
            (b, back.sub(&Affine::konst(j))),
        ] {
            match actual.sub(&expected).as_const() {
                Some(0) => {}
                Some(_) => return None,
                None => equal.push((actual.clone(), expected)),
            }
        }
    }
    for e in &ev.even {
        if e.slope(&slopes) % 2 != 0 {
            return None;
        }
    }
    let test_ok = match &ev.test {
        Test::Ne(a, b) => {
            let d = a.sub(b).slope(&slopes);
            d != 0 && d.unsigned_abs() <= u64::from(MAX_STEP)
        }
        Test::Below { a, b, .. } => {
            let (da, db) = (a.slope(&slopes), b.slope(&slopes));
            (0..=i64::from(MAX_STEP)).contains(&da) && (-i64::from(MAX_STEP)..=0).contains(&db)
        }
    };
    if !test_ok {
        return None;
    }
    Some(Plan {
        loop_at: at,
        units,
        front,
        back,
        equal,
        even: ev.even,
        test: ev.test,
        slopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C swap loop over locals i (0) and j (1), temporary t (2), with `extra` before the
    /// step of j.
    fn swap_loop(back_step: i32, extra: &str) -> String {
        format!(
            "(module (memory 1) (func (param i32 i32) (local i32) \
             loop local.get 0 i32.load8_u local.set 2 \
             local.get 0 local.get 1 i32.load8_u i32.store8 \
             local.get 1 local.get 2 i32.store8 {extra} \
             local.get 1 i32.const {back_step} i32.sub local.set 1 \
             local.get 0 i32.const 1 i32.add local.set 0 \
             local.get 0 local.get 1 i32.lt_u br_if 0 end))"
        )
    }

    fn rewritten(wat: &str, felts: bool) -> Vec<Operator<'static>> {
        let mut ops = crate::analysis::test_support::first_body_ops(wat);
        let mut offsets = vec![0; ops.len()];
        reverse_in_elements(&mut ops, &mut offsets, &|_| true, felts);
        assert_eq!(ops.len(), offsets.len());
        ops
    }

    fn reversals(ops: &[Operator<'_>]) -> usize {
        ops.iter()
            .filter(|o| matches!(o, Operator::MemoryFill { mem } if *mem == REVERSAL_MEMORY))
            .count()
    }

    #[test]
    fn a_two_ended_swap_loop_gets_a_reversal_before_it() {
        let wat = swap_loop(1, "");
        let before = crate::analysis::test_support::first_body_ops(&wat);
        let ops = rewritten(&wat, false);
        assert_eq!(reversals(&ops), 1);
        // The test's `if` and the reversal come first; the loop follows unchanged.
        let at = ops
            .iter()
            .position(|o| matches!(o, Operator::Loop { .. }))
            .unwrap();
        assert!(matches!(ops[0], Operator::LocalGet { .. }));
        assert_eq!(&ops[at..], &before[..]);
        assert!(matches!(ops[at - 1], Operator::End));
    }

    #[test]
    fn lookalikes_and_felt_modules_are_left_alone() {
        for (wat, felts) in [
            // The back index steps by 2: every other byte, not a reversal.
            (swap_loop(2, ""), false),
            // A third access.
            (swap_loop(1, "local.get 0 i32.load8_u drop"), false),
            // A local read on entry and written other than by a step.
            (swap_loop(1, "local.get 2 local.set 0"), false),
            (swap_loop(1, ""), true),
        ] {
            let before = crate::analysis::test_support::first_body_ops(&wat);
            assert_eq!(rewritten(&wat, felts), before, "{wat}");
        }
    }

    #[test]
    fn xor_with_minus_two_assumes_an_even_value() {
        let mut ev = evaluate(
            &crate::analysis::test_support::first_body_ops(
                "(module (func (param i32) local.get 0 i32.const -2 i32.xor local.set 0 \
                 local.get 0 br_if 0))",
            )[..5],
            &Operator::BrIf { relative_depth: 0 },
            &|_| true,
        )
        .unwrap();
        assert_eq!(ev.even, vec![Affine::local(0)]);
        let Some(Value::Int(v)) = ev.written.remove(&0) else {
            panic!("not an integer");
        };
        assert_eq!(v, Affine::konst(0xFFFF_FFFE).sub(&Affine::local(0)));
    }
}
