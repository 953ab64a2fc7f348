//! Unrolling the unchecked copy of a versioned loop: [`FACTOR`] iterations per back edge while
//! at least that many remain, then the rest one at a time.
//!
//! ```text
//! C(i)  if  loop  body′ … body′  body″  end  T(i)  else  i32.const 1  end
//! if  loop  body  end  end
//! ```
//!
//! `body′` is the body without its test (the step stays), `body″` the last copy, whose back
//! edge tests `C` on the stepped counter. `C(i)` holds when the next [`FACTOR`] iterations all
//! run, given that the next one does: for a counter `i` tested after its step `s`, the tests of
//! `i + s`, …, `i + (FACTOR − 1)·s` all pass, which for the monotone tests is the last of them.
//! `T(i)` is the loop's own test of the current counter: whether another iteration runs after
//! the unrolled ones. On entry the first iteration runs anyway (a `loop` is a do-while).
//!
//! Only bodies without branches (but for the back edge) are unrolled: a branch to the loop
//! head would skip copies and their test.

use wasmparser::Operator;

use super::shape::{any_branch, Bound, Counter};

/// Iterations per pass of an unrolled copy.
pub(super) const FACTOR: i64 = 4;

/// Bodies longer than this many operators are not unrolled.
const MAX_UNROLLED_BODY: usize = 64;

/// The largest step unrolled: `i + (FACTOR − 1)·s` stays below 2^32 for every counter value
/// an unchecked copy takes (below the memory size, at most 2^32 − 2^16).
const MAX_STEP: u32 = 1 << 14;

/// The unrolled section and where its copies of the body start (for the per-operator facts).
pub(super) struct Unrolled<'b> {
    /// `C(i)  if  loop … end  T(i)  else  i32.const 1  end`, leaving whether the rest runs.
    pub(super) ops: Vec<Operator<'b>>,
    /// The index in `ops` of each copy's first operator.
    pub(super) copies: Vec<usize>,
    /// The index in `ops` of the unrolled `loop`.
    pub(super) loop_at: usize,
}

/// The unrolled section for `body` (a versioned loop's body, counter `counter`), or `None` when
/// the body has branches, is long, or steps by much.
pub(super) fn unroll<'b>(
    counter: &Counter,
    body: &[Operator<'b>],
    loop_op: &Operator<'b>,
) -> Option<Unrolled<'b>> {
    let len = body.len();
    let branches = body[..len - 1]
        .iter()
        .any(|op| matches!(op, Operator::BrTable { .. } | Operator::Return))
        || any_branch(&body[..len - 1], |_, _| true);
    if branches || len > MAX_UNROLLED_BODY || counter.step.unsigned_abs() > MAX_STEP {
        return None;
    }
    let (kept, step) = untested(counter, body)?;
    let mut ops = continues_unrolled(counter);
    // The `if` around the unrolled loop yields the i32 that decides the rest.
    ops.push(Operator::If {
        blockty: wasmparser::BlockType::Type(wasmparser::ValType::I32),
    });
    let loop_at = ops.len();
    ops.push(loop_op.clone());
    let mut copies = Vec::new();
    for _ in 0..FACTOR {
        copies.push(ops.len());
        ops.extend(kept.iter().cloned());
        ops.extend(step.iter().cloned());
    }
    ops.extend(continues_unrolled(counter));
    ops.extend([Operator::BrIf { relative_depth: 0 }, Operator::End]);
    ops.extend(test(counter));
    ops.extend([
        Operator::Else,
        Operator::I32Const { value: 1 },
        Operator::End,
    ]);
    Some(Unrolled {
        ops,
        copies,
        loop_at,
    })
}

/// The body without its back edge's test: the operators before the back edge, and the step
/// when the back edge makes it (`local.get i  i32.const s  i32.add  local.set i`).
fn untested<'b>(
    counter: &Counter,
    body: &[Operator<'b>],
) -> Option<(Vec<Operator<'b>>, Vec<Operator<'b>>)> {
    let len = body.len();
    if !counter.step_in_back_edge {
        // `local.get i  [bound  test]  br_if 0` after a step earlier in the body.
        let tail = match body {
            [.., Operator::LocalGet { .. }, Operator::BrIf { .. }] => 2,
            _ => 4,
        };
        return Some((body[..len - tail].to_vec(), Vec::new()));
    }
    // The step's `local.get` starts the back edge, or follows the bound read first.
    let tee = counter.update;
    let start = tee.checked_sub(3)?;
    let start = match body.get(start.checked_sub(1)?) {
        Some(op) if tee + 3 == len && is_bound(op, counter.bound) => start - 1,
        _ => start,
    };
    let step = [
        Operator::LocalGet {
            local_index: counter.local,
        },
        Operator::I32Const {
            value: counter.step,
        },
        Operator::I32Add,
        Operator::LocalSet {
            local_index: counter.local,
        },
    ];
    Some((body[..start].to_vec(), step.to_vec()))
}

fn is_bound(op: &Operator<'_>, bound: Bound) -> bool {
    match (op, bound) {
        (Operator::LocalGet { local_index }, Bound::Local(n)) => *local_index == n,
        (Operator::I32Const { value }, Bound::Const(c)) => *value == c,
        _ => false,
    }
}

fn counter_get<'b>(counter: &Counter) -> Operator<'b> {
    Operator::LocalGet {
        local_index: counter.local,
    }
}

fn bound_get<'b>(counter: &Counter) -> Operator<'b> {
    match counter.bound {
        Bound::Local(local_index) => Operator::LocalGet { local_index },
        Bound::Const(value) => Operator::I32Const { value },
    }
}

/// `C(i)`: the next [`FACTOR`] iterations all run, given that the next one does.
fn continues_unrolled<'b>(counter: &Counter) -> Vec<Operator<'b>> {
    use Operator::*;
    let s = i64::from(counter.step);
    let reach = |k: i64| I32Const {
        value: (k * s.abs()) as i32,
    };
    if counter.below {
        // i + (F − 1)·s < n (no wrap: see MAX_STEP).
        vec![
            counter_get(counter),
            reach(FACTOR - 1),
            I32Add,
            bound_get(counter),
            I32LtU,
        ]
    } else if s > 0 {
        // i meets n exactly: n − i > (F − 1)·s.
        vec![
            bound_get(counter),
            counter_get(counter),
            I32Sub,
            reach(FACTOR - 1),
            I32GtU,
        ]
    } else {
        vec![
            counter_get(counter),
            bound_get(counter),
            I32Sub,
            reach(FACTOR - 1),
            I32GtU,
        ]
    }
}

/// `T(i)`: the loop's own test of the counter.
fn test<'b>(counter: &Counter) -> Vec<Operator<'b>> {
    let compare = if counter.below {
        Operator::I32LtU
    } else {
        Operator::I32Ne
    };
    vec![counter_get(counter), bound_get(counter), compare]
}
