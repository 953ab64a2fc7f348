//! The operators `reversed_bytes` places before a qualifying loop: the test on entry, and
//! when it holds the runtime's reversal and the induction locals advanced.

use wasmparser::{BlockType, Operator};

use super::evaluate::{konst, Affine, Test};
use super::{Plan, REVERSAL_MEMORY};

use Operator::*;

/// The operators placed before the loop: the test, and when it holds the reversal and the
/// induction locals advanced.
pub(super) fn fast_path<'b>(plan: &Plan) -> Vec<Operator<'b>> {
    let q = Quantities { plan };
    let mut out = entry_test(&q);
    out.push(If {
        blockty: BlockType::Empty,
    });
    out.extend(q.m());
    out.extend(q.back());
    out.extend(q.front());
    out.push(MemoryFill {
        mem: REVERSAL_MEMORY,
    });
    // Every induction local advanced by T steps, all computed before any is written.
    for (&local_index, &step) in &plan.slopes {
        out.push(LocalGet { local_index });
        out.extend(q.t());
        out.extend([konst(step), I32Mul, I32Add]);
    }
    for &local_index in plan.slopes.keys().rev() {
        out.push(LocalSet { local_index });
    }
    out.push(End);
    out
}

/// The quantities of the rewrite, each as the operators that compute it from the locals on
/// entry (recomputed where used: they are a few operators each, and the loop's locals hold
/// their entry values until the reversal is done).
struct Quantities<'p> {
    plan: &'p Plan,
}

impl Quantities<'_> {
    /// `F`, swap 0's front address.
    fn front<'b>(&self) -> Vec<Operator<'b>> {
        self.plan.front.ops()
    }

    /// `B`, swap 0's back address.
    fn back<'b>(&self) -> Vec<Operator<'b>> {
        self.plan.back.ops()
    }

    /// `h = -F mod 4`: the single swaps that align the front.
    fn h<'b>(&self) -> Vec<Operator<'b>> {
        [vec![konst(0)], self.front(), vec![I32Sub, konst(3), I32And]].concat()
    }

    /// `m = (B - F - 2h - 7) / 8` elements a side: `8m <= B - F - 2h - 7` keeps the front and
    /// back runs at least two elements apart. That the loop as written still has an iteration
    /// to run afterwards is its own test's part (`loop_test_holds`).
    fn m<'b>(&self) -> Vec<Operator<'b>> {
        [
            self.back(),
            self.front(),
            vec![I32Sub],
            self.h(),
            vec![
                konst(1),
                I32Shl,
                I32Sub,
                konst(7),
                I32Sub,
                konst(3),
                I32ShrU,
            ],
        ]
        .concat()
    }

    /// `T = (h + 4m) / u` iterations (the entry test checks that `u` divides `h`).
    fn t<'b>(&self) -> Vec<Operator<'b>> {
        let mut out = [self.h(), self.m(), vec![konst(2), I32Shl, I32Add]].concat();
        let shift = self.plan.units.trailing_zeros();
        if shift > 0 {
            out.extend([konst(shift), I32ShrU]);
        }
        out
    }

    /// `T - 1`, the last iteration the runtime does.
    fn last<'b>(&self) -> Vec<Operator<'b>> {
        [self.t(), vec![konst(1), I32Sub]].concat()
    }

    /// The value of `a` in iteration `T - 1`.
    fn at_last<'b>(&self, a: &Affine) -> Vec<Operator<'b>> {
        let mut out = a.ops();
        let slope = a.slope(&self.plan.slopes);
        if slope != 0 {
            out.extend(self.last());
            out.extend([konst(slope as i32 as u32), I32Mul, I32Add]);
        }
        out
    }
}

/// The test on entry, leaving one `i32` (1 when the runtime may do the first `T` iterations):
/// each condition pushes 0 or 1, and they are joined by `i32.and` (no operator here traps).
fn entry_test<'b>(q: &Quantities<'_>) -> Vec<Operator<'b>> {
    let plan = q.plan;
    let mut conditions = vec![
        // F <= B, and B - F >= 2h + 15 (so m >= 1).
        [q.front(), q.back(), vec![I32LeU]].concat(),
        [
            q.back(),
            q.front(),
            vec![I32Sub],
            q.h(),
            vec![konst(1), I32Shl, konst(15), I32Add, I32GeU],
        ]
        .concat(),
        // B in bounds (with 65,536 pages the size wraps to 0 and the test fails: safe).
        [
            q.back(),
            vec![MemorySize { mem: 0 }, konst(16), I32Shl, I32LtU],
        ]
        .concat(),
    ];
    if plan.units > 1 {
        conditions.push([q.h(), vec![konst(plan.units - 1), I32And, I32Eqz]].concat());
    }
    for (x, y) in &plan.equal {
        conditions.push([x.ops(), y.ops(), vec![I32Eq]].concat());
    }
    for e in &plan.even {
        conditions.push([e.ops(), vec![konst(1), I32And, I32Eqz]].concat());
    }
    conditions.extend(loop_test_holds(q));
    let mut out = Vec::new();
    for (i, condition) in conditions.into_iter().enumerate() {
        out.extend(condition);
        if i > 0 {
            out.push(I32And);
        }
    }
    out
}

/// The conditions under which the loop's own test sends it round again after every one of
/// the first `T` iterations.
fn loop_test_holds<'b>(q: &Quantities<'_>) -> Vec<Vec<Operator<'b>>> {
    let slopes = &q.plan.slopes;
    let divided = |k: u64| {
        let k = k as u32;
        if k.is_power_of_two() {
            vec![konst(k.trailing_zeros()), I32ShrU]
        } else {
            vec![konst(k), I32DivU]
        }
    };
    match &q.plan.test {
        Test::Ne(a, b) => {
            // D = a - b moves towards 0 by |d| an iteration: it is not 0 through iteration
            // T - 1 when D >= |d| T on entry (then no value wraps either).
            let (mut x, mut y) = (a, b);
            if x.sub(y).slope(slopes) > 0 {
                (x, y) = (y, x);
            }
            let d = x.sub(y);
            vec![[
                d.ops(),
                divided(d.slope(slopes).unsigned_abs()),
                q.t(),
                vec![I32GeU],
            ]
            .concat()]
        }
        Test::Below { a, b, strict } => {
            // a rises and b falls, neither wrapping before iteration T - 1, where a < b.
            let (da, db) = (a.slope(slopes), b.slope(slopes));
            let mut conditions = Vec::new();
            if da > 0 {
                conditions.push(
                    [
                        vec![konst(u32::MAX)],
                        a.ops(),
                        vec![I32Sub],
                        divided(da.unsigned_abs()),
                        q.last(),
                        vec![I32GeU],
                    ]
                    .concat(),
                );
            }
            if db < 0 {
                conditions
                    .push([b.ops(), divided(db.unsigned_abs()), q.last(), vec![I32GeU]].concat());
            }
            let cmp = if *strict { I32LtU } else { I32LeU };
            conditions.push([q.at_last(a), q.at_last(b), vec![cmp]].concat());
            conditions
        }
    }
}
