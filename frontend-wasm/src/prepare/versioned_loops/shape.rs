//! The shapes a versioned loop may have: its counter (how the induction local steps and is
//! tested), pointers stepped beside it, and the branches that rule a loop out.

use std::collections::{HashMap, HashSet};

use wasmparser::Operator;

use crate::analysis::counted_loop::written_local;
use crate::prepare::loop_shapes::constant_set_on_entry;

/// How a recognised loop's induction local moves and when it repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Counter {
    /// The induction local.
    pub(super) local: u32,
    /// The step added once per iteration (wrapping).
    pub(super) step: i32,
    /// The bound, fixed on entry.
    pub(super) bound: Bound,
    /// The index in the body of the operator that reads the bound (none for the implicit 0 of
    /// `i != 0`).
    pub(super) bound_at: Option<usize>,
    /// `true` for `i32.lt_u`, `false` for `i32.ne`.
    pub(super) below: bool,
    /// The index of the step's `local.tee`/`local.set` in the body: accesses after it see
    /// `i + s`. The test at the end reads the stepped value.
    pub(super) update: usize,
    /// Whether the step is the back edge itself (`… local.tee i  bound  test  br_if 0`), so
    /// that no `local.get i` sees the stepped value.
    pub(super) step_in_back_edge: bool,
}

/// The bound a counter is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bound {
    Local(u32),
    Const(i32),
}

impl Bound {
    /// The bound an operator reads (`local.get n`, `i32.const N`).
    pub(super) fn of(op: &Operator<'_>) -> Option<Bound> {
        match op {
            Operator::LocalGet { local_index } => Some(Bound::Local(*local_index)),
            Operator::I32Const { value } => Some(Bound::Const(*value)),
            _ => None,
        }
    }

    /// The operator that reads it.
    pub(super) fn get<'b>(self) -> Operator<'b> {
        match self {
            Bound::Local(local_index) => Operator::LocalGet { local_index },
            Bound::Const(value) => Operator::I32Const { value },
        }
    }
}

impl Counter {
    /// `local.get i`.
    pub(super) fn get<'b>(&self) -> Operator<'b> {
        Operator::LocalGet {
            local_index: self.local,
        }
    }
}

/// A local stepped once per iteration beside the counter, `p += t` (`t > 0`) at the body's top
/// level and written nowhere else: compilers keep a pointer beside an index (`*p` for `a[i]`).
/// In the iteration that tests `i` for the `k`-th time (from 0), `p` holds `p0 + k·t` before its
/// step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Derived {
    pub(super) step: u32,
    /// The index of its step's `local.set`/`local.tee` in the body.
    pub(super) update: usize,
}

/// The counter of a loop body: a back edge `… local.tee i  [bound  test]  br_if 0` that steps
/// `i` itself, or `local.get i  [bound  test]  br_if 0` with `i` stepped once earlier at the
/// body's top level (`local.get i  i32.const s  i32.add  local.tee/set i`; a bare `br_if` is
/// `i != 0`).
pub(super) fn counter(body: &[Operator<'_>]) -> Option<Counter> {
    use Operator::*;
    let len = body.len();
    if let [.., LocalGet { local_index: a }, I32Const { value: s }, I32Add, LocalTee { local_index: b }, bound, test @ (I32LtU | I32Ne), BrIf { relative_depth: 0 }] =
        body
    {
        return (a == b).then_some(Counter {
            local: *a,
            step: *s,
            bound: Bound::of(bound)?,
            bound_at: Some(len - 3),
            below: matches!(test, I32LtU),
            update: len - 4,
            step_in_back_edge: true,
        });
    }
    // `n  (i + s → i)  i32.ne`: the bound read first (clang's unrolled loops).
    if let [.., bound, LocalGet { local_index: a }, I32Const { value: s }, I32Add, LocalTee { local_index: b }, I32Ne, BrIf { relative_depth: 0 }] =
        body
    {
        let bound = Bound::of(bound)?;
        return (a == b && bound != Bound::Local(*a)).then_some(Counter {
            local: *a,
            step: *s,
            bound,
            bound_at: Some(len - 7),
            below: false,
            update: len - 3,
            step_in_back_edge: true,
        });
    }
    // `(i + s → i)  br_if 0`: the stepped value itself tested, `i != 0` (LLVM counts a trip
    // count up or down to zero this way).
    if let [.., LocalGet { local_index: a }, I32Const { value: s }, I32Add, LocalTee { local_index: b }, BrIf { relative_depth: 0 }] =
        body
    {
        return (a == b).then_some(Counter {
            local: *a,
            step: *s,
            bound: Bound::Const(0),
            bound_at: None,
            below: false,
            update: len - 2,
            step_in_back_edge: true,
        });
    }
    let (local, bound, below, tail) = match body {
        [.., LocalGet { local_index }, bound, test @ (I32LtU | I32Ne), BrIf { relative_depth: 0 }] => {
            (*local_index, Bound::of(bound)?, matches!(test, I32LtU), 4)
        }
        [.., LocalGet { local_index }, BrIf { relative_depth: 0 }] => {
            (*local_index, Bound::Const(0), false, 2)
        }
        _ => return None,
    };
    // The one write of i: a step at the top level, before the back edge.
    let (step, update) = single_step(&body[..len - tail], local)?;
    Some(Counter {
        local,
        step,
        bound,
        bound_at: (tail == 4).then_some(len - 3),
        below,
        update,
        step_in_back_edge: false,
    })
}

/// The derived induction locals of a loop body over counter `counter` (see [`Derived`]):
/// stepped up by a constant once, at the top level, and written nowhere else.
pub(super) fn derived_locals(body: &[Operator<'_>], counter: u32) -> HashMap<u32, Derived> {
    let written: HashSet<u32> = body.iter().filter_map(written_local).collect();
    written
        .into_iter()
        .filter(|p| *p != counter)
        .filter_map(|p| {
            let (step, update) = single_step(body, p)?;
            (step > 0 && step <= 1 << 16).then_some((
                p,
                Derived {
                    step: step as u32,
                    update,
                },
            ))
        })
        .collect()
}

/// The step and its index when `local`'s one write in `body` is a step at the top level:
/// `local.get x  i32.const s  i32.add  (local.set | local.tee) x`.
fn single_step(body: &[Operator<'_>], local: u32) -> Option<(i32, usize)> {
    use Operator::*;
    let mut writes = with_depth(body).filter(|(_, _, op)| written_local(op) == Some(local));
    let (j, depth, _) = writes.next()?;
    if writes.next().is_some() || depth != 0 {
        return None;
    }
    match body.get(j.checked_sub(3)?..j)? {
        [LocalGet { local_index }, I32Const { value }, I32Add] if *local_index == local => {
            Some((*value, j))
        }
        _ => None,
    }
}

/// Each operator of `body` (a loop's body) with its index and the number of constructs open
/// around it inside the body.
pub(super) fn with_depth<'a, 'b>(
    body: &'a [Operator<'b>],
) -> impl Iterator<Item = (usize, u32, &'a Operator<'b>)> {
    body.iter().enumerate().scan(0u32, |depth, (j, op)| {
        let here = *depth;
        match op {
            Operator::Block { .. } | Operator::If { .. } | Operator::Loop { .. } => *depth += 1,
            Operator::End => *depth = depth.saturating_sub(1),
            _ => {}
        }
        Some((j, here, op))
    })
}

/// Whether any branch of `body` (a loop's body) targets a label that `targets` accepts, given
/// the branch's relative depth and the depth of the constructs it sits in within the body.
pub(super) fn any_branch(body: &[Operator<'_>], targets: impl Fn(u32, u32) -> bool) -> bool {
    with_depth(body).any(|(_, depth, op)| match op {
        Operator::Br { relative_depth } | Operator::BrIf { relative_depth } => {
            targets(*relative_depth, depth)
        }
        _ => false,
    })
}

/// Whether the body can leave the loop before its back edge (a branch out, a `return`): such
/// loops (searches) often run a few iterations, fewer than the test before them costs.
pub(super) fn leaves_early(body: &[Operator<'_>]) -> bool {
    body.iter().any(|op| matches!(op, Operator::Return))
        || any_branch(body, |relative, depth| relative > depth)
}

/// Whether a branch other than the back edge (the last operator) repeats the loop: with the
/// step not in the back edge, such a branch could skip the test.
pub(super) fn repeats_elsewhere(body: &[Operator<'_>]) -> bool {
    any_branch(&body[..body.len() - 1], |relative, depth| relative == depth)
}

/// The constant `i32.const  local.set local` (through any `block`s) sets the counter to just
/// before the loop: with a constant bound, a counted loop over a constant range, whose one
/// check the translator hoists.
pub(super) fn constant_start(ops: &[Operator<'_>], loop_at: usize, local: u32) -> Option<i32> {
    constant_set_on_entry(ops, loop_at)
        .filter(|(set, _)| *set == local)
        .map(|(_, start)| start)
}
