//! Induction locals rebased so that the offset they are read at needs no addition.
//!
//! clang rotates `for (d = 3; d * d <= n; d += 2) if (n % d == 0) …` into a loop that steps
//! `d` by 2 but divides by `d - 2`: every iteration computes `d + c` for a `c` that undoes the
//! step (`c = -s`). Keeping `e = d + c` in the local instead makes that read free, and the
//! step, moved up to just before the first plain read of `d`, leaves `e + s = d` there, so the
//! plain reads need no correction either. The rewrite is done on the operators before
//! translation, and only when it is exact:
//!
//! - the local is written in the loop only by its step `local.get d  i32.const s  i32.add
//!   local.set d`, at the loop's top level, and read only at the top level, before the step;
//! - every offset read (`local.get d  i32.const c  i32.add`, `c = -s`) comes before every plain
//!   read, and no control flow lies between the first plain read and the step's old place
//!   (a branch there would see the new value too early);
//! - the local is dead wherever the loop is left (it then holds `e`, not `d`).
//!
//! On entry the local becomes `d + c`: a constant written just before the loop is adjusted in
//! place, anything else gets an addition before the loop.

use std::collections::HashMap;

use wasmparser::Operator;

use crate::analysis::liveness::{self, Liveness};

/// One loop's rewrite.
#[derive(Debug, PartialEq, Eq)]
struct Plan {
    /// Index of the `loop` operator.
    loop_at: usize,
    local: u32,
    step: i32,
    /// Indices of the `local.get` of each offset read.
    offset_reads: Vec<usize>,
    /// Index of the step's `local.get`.
    step_at: usize,
    /// Where the step moves (before this operator); equal to `step_at` when it stays.
    step_to: usize,
    /// Index of an `i32.const` written to the local just before the loop.
    entry_const: Option<usize>,
}

/// Rebases the induction locals of every loop in `ops` (a whole function body) that qualifies;
/// `offsets` (one per operator) stays in step, `is_i32(local)` tells which locals are `i32`,
/// and `locals` is the number of locals.
pub(crate) fn rebase_loops(
    ops: &mut Vec<Operator<'_>>,
    offsets: &mut Vec<u64>,
    is_i32: impl Fn(u32) -> bool,
    locals: usize,
) {
    let mut start = 0;
    while let Some(plan) = find_plan(ops, start, &is_i32, locals) {
        start = plan.loop_at + 1;
        apply(ops, offsets, &plan);
    }
}

/// Whether `op` starts, ends or leaves a block, or traps: straight-line code has none.
pub(crate) fn is_control(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Unreachable
    )
}

/// The first loop at or after `start` with a local to rebase.
fn find_plan(
    ops: &[Operator<'_>],
    start: usize,
    is_i32: &impl Fn(u32) -> bool,
    locals: usize,
) -> Option<Plan> {
    let mut liveness = None;
    // Openers of the constructs around the current operator.
    let mut open: Vec<usize> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Operator::Block { .. } | Operator::If { .. } => open.push(i),
            Operator::Loop { .. } => {
                if i >= start {
                    if let Some(plan) = plan_loop(ops, i, &open, is_i32, &mut liveness, locals) {
                        return Some(plan);
                    }
                }
                open.push(i);
            }
            Operator::End => {
                open.pop();
            }
            _ => {}
        }
    }
    None
}

/// The rewrite of the loop at `ops[at]` (inside the constructs opened at `enclosing`), if one
/// of its locals qualifies.
fn plan_loop(
    ops: &[Operator<'_>],
    at: usize,
    enclosing: &[usize],
    is_i32: &impl Fn(u32) -> bool,
    liveness: &mut Option<Liveness>,
    locals: usize,
) -> Option<Plan> {
    // Accesses at the loop's top level; locals touched deeper are out.
    let mut gets: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut sets: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut nested: Vec<u32> = Vec::new();
    // (index, relative depth of the target from inside the loop body) of every branch.
    let mut branches: Vec<(usize, u32)> = Vec::new();
    let mut depth = 0u32;
    let mut end = None;
    for (i, op) in ops.iter().enumerate().skip(at + 1) {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => depth += 1,
            Operator::End if depth == 0 => {
                end = Some(i);
                break;
            }
            Operator::End => depth -= 1,
            Operator::LocalGet { local_index } if depth == 0 => {
                gets.entry(*local_index).or_default().push(i)
            }
            Operator::LocalSet { local_index } if depth == 0 => {
                sets.entry(*local_index).or_default().push(i)
            }
            Operator::LocalGet { local_index }
            | Operator::LocalSet { local_index }
            | Operator::LocalTee { local_index } => nested.push(*local_index),
            Operator::Br { relative_depth } | Operator::BrIf { relative_depth }
                if *relative_depth > depth =>
            {
                branches.push((i, *relative_depth - depth))
            }
            Operator::BrTable { targets } => {
                for target in targets.targets().flatten().chain([targets.default()]) {
                    if target > depth {
                        branches.push((i, target - depth));
                    }
                }
            }
            _ => {}
        }
    }
    end?;
    let mut candidates: Vec<(&u32, &Vec<usize>)> = sets
        .iter()
        .filter(|(local, writes)| writes.len() == 1 && !nested.contains(local) && is_i32(**local))
        .collect();
    candidates.sort();
    for (&local, writes) in candidates {
        let Some(step_at) = writes[0].checked_sub(3) else {
            continue;
        };
        let (
            Operator::LocalGet { local_index },
            Operator::I32Const { value: step },
            Operator::I32Add,
        ) = (&ops[step_at], &ops[step_at + 1], &ops[step_at + 2])
        else {
            continue;
        };
        if *local_index != local || step_at <= at {
            continue;
        }
        let offset = step.wrapping_neg();
        let reads: Vec<usize> = gets[&local]
            .iter()
            .copied()
            .filter(|r| *r != step_at)
            .collect();
        if reads.iter().any(|r| *r > step_at) {
            continue;
        }
        let is_offset_read = |r: usize| {
            matches!(ops[r + 1], Operator::I32Const { value } if value == offset)
                && matches!(ops[r + 2], Operator::I32Add)
        };
        let (offset_reads, plain): (Vec<usize>, Vec<usize>) =
            reads.into_iter().partition(|r| is_offset_read(*r));
        let (Some(&last_offset), first_plain) = (offset_reads.last(), plain.first()) else {
            continue;
        };
        let step_to = first_plain.copied().unwrap_or(step_at);
        if last_offset > step_to || ops[step_to..step_at].iter().any(is_control) {
            continue;
        }
        // Dead wherever the loop is left.
        let live = liveness.get_or_insert_with(|| liveness::analyze(ops, locals));
        let dead = |set: Option<&[bool]>| set.is_some_and(|s| !s[local as usize]);
        if !dead(live.after_loop(at)) {
            continue;
        }
        let exits_dead = branches.iter().all(|(_, out)| {
            // `out` = 1: the construct around the loop, and so on outwards.
            match enclosing.len().checked_sub(*out as usize) {
                Some(k) => dead(live.at_label(Some(enclosing[k]))),
                None => true,
            }
        });
        if !exits_dead {
            continue;
        }
        // Entering a block changes no local: look past block openers for the write.
        let before = ops[..at]
            .iter()
            .rposition(|op| !matches!(op, Operator::Block { .. }))
            .unwrap_or(0);
        let entry_const = (before >= 1
            && matches!(ops[before], Operator::LocalSet { local_index } if local_index == local)
            && matches!(ops[before - 1], Operator::I32Const { .. }))
        .then(|| before - 1);
        return Some(Plan {
            loop_at: at,
            local,
            step: *step,
            offset_reads,
            step_at,
            step_to,
            entry_const,
        });
    }
    None
}

/// Rewrites `ops` (and `offsets`) as `plan` says.
fn apply<'a>(ops: &mut Vec<Operator<'a>>, offsets: &mut Vec<u64>, plan: &Plan) {
    let local = plan.local;
    let offset = plan.step.wrapping_neg();
    let step = |value| -> [Operator<'a>; 4] {
        [
            Operator::LocalGet { local_index: local },
            Operator::I32Const { value },
            Operator::I32Add,
            Operator::LocalSet { local_index: local },
        ]
    };
    let moved = plan.step_to != plan.step_at;
    let old = std::mem::take(ops);
    let old_offsets = std::mem::take(offsets);
    let mut skip = 0;
    for (i, (op, offset_of)) in old.into_iter().zip(old_offsets).enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let mut push = |op: Operator<'a>| {
            ops.push(op);
            offsets.push(offset_of);
        };
        if i == plan.loop_at && plan.entry_const.is_none() {
            step(offset).into_iter().for_each(&mut push);
        }
        if moved && i == plan.step_to {
            step(plan.step).into_iter().for_each(&mut push);
        }
        if moved && i == plan.step_at {
            skip = 3;
            continue;
        }
        match op {
            Operator::I32Const { value } if Some(i) == plan.entry_const => {
                push(Operator::I32Const {
                    value: value.wrapping_add(offset),
                })
            }
            op if plan.offset_reads.contains(&i) => {
                push(op);
                skip = 2;
            }
            op => push(op),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operators of `(module (func (param i32) (result i32) (local i32 i32) BODY))`.
    fn ops(body: &str) -> Vec<Operator<'static>> {
        crate::analysis::test_support::first_body_ops(&format!(
            "(module (func (param i32) (result i32) (local i32 i32) {body}))"
        ))
    }

    fn rebased(body: &str) -> Vec<Operator<'static>> {
        let mut ops = ops(body);
        let mut offsets = vec![0; ops.len()];
        rebase_loops(&mut ops, &mut offsets, |_| true, 3);
        assert_eq!(offsets.len(), ops.len());
        ops
    }

    /// Trial division as clang rotates it: divide by d - 2, square d, step d by 2.
    const TRIAL: &str = "i32.const 5 local.set 1
        block loop
          local.get 0 local.get 1 i32.const -2 i32.add i32.rem_u i32.eqz br_if 1
          local.get 1 local.get 1 i32.mul local.set 2
          local.get 1 i32.const 2 i32.add local.set 1
          local.get 2 local.get 0 i32.gt_u br_if 1
          br 0
        end end
        i32.const 0";

    #[test]
    fn the_offset_read_becomes_plain_and_the_step_moves_up() {
        let want = ops("i32.const 3 local.set 1
            block loop
              local.get 0 local.get 1 i32.rem_u i32.eqz br_if 1
              local.get 1 i32.const 2 i32.add local.set 1
              local.get 1 local.get 1 i32.mul local.set 2
              local.get 2 local.get 0 i32.gt_u br_if 1
              br 0
            end end
            i32.const 0");
        assert_eq!(rebased(TRIAL), want);
    }

    #[test]
    fn an_unknown_entry_value_is_adjusted_before_the_loop() {
        let body = TRIAL.replace("i32.const 5 local.set 1", "local.get 0 local.set 1");
        let got = rebased(&body);
        assert_eq!(
            got[3..7],
            [
                Operator::LocalGet { local_index: 1 },
                Operator::I32Const { value: -2 },
                Operator::I32Add,
                Operator::LocalSet { local_index: 1 },
            ]
        );
        assert!(matches!(got[7], Operator::Loop { .. }));
    }

    #[test]
    fn a_local_live_after_the_loop_or_read_after_its_step_stays() {
        // d is returned after the loop.
        let live_after = TRIAL.replace("end end\n        i32.const 0", "end end local.get 1");
        assert_eq!(rebased(&live_after), ops(&live_after));
        // d read after its step.
        let late_read = TRIAL.replace(
            "local.get 2 local.get 0 i32.gt_u br_if 1",
            "local.get 2 local.get 1 i32.gt_u br_if 1",
        );
        assert_eq!(rebased(&late_read), ops(&late_read));
        // A branch between the first plain read and the step.
        let branch = TRIAL.replace("local.set 2\n", "local.set 2 local.get 0 br_if 1\n");
        assert_eq!(rebased(&branch), ops(&branch));
        // An offset that does not undo the step.
        let other = TRIAL.replace(
            "i32.const -2 i32.add i32.rem_u",
            "i32.const -4 i32.add i32.rem_u",
        );
        assert_eq!(rebased(&other), ops(&other));
    }
}
