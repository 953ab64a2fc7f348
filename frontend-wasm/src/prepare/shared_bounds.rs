//! One bounds check for the memory accesses of a straight-line run that share a base address.
//!
//! An unrolled copy loop or a struct copy reads and writes `base + 0`, `base + 4`, … one after
//! the other, and each access checks its bytes against the memory size (5–15 cycles). When no
//! instruction between them branches, calls, traps other than by a memory access, or writes
//! the base local, the first access can check the furthest byte any of them reaches and the
//! others check nothing:
//!
//! - memory only grows, so bytes in bounds at the first access stay in bounds;
//! - if a later access would trap, the first one now traps instead, with the same message,
//!   and a trap ends the whole program, so the accesses in between are never observed.
//!
//! Only addresses that are the base local itself are recognised: the operator right before a
//! load, or before a store's value expression, is `local.get b`, or `local.tee b` for the
//! first access of a group (a later one's tee writes the base, which ends the group).

use std::collections::{HashMap, HashSet};

use wasmparser::{MemArg, Operator};

use super::aligned_loops::address_end;
use crate::analysis::counted_loop::{is_plain, is_store};

/// What an access's bounds check becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedCheck {
    /// The first access of a group: check `reach` bytes from its own effective address (its
    /// own size, and up to the furthest byte of the group).
    Leader { reach: u64 },
    /// Checked by an earlier access of its group.
    Covered,
}

/// The static offset and size of a load or store (not the bulk operators; `f32` ones are felt
/// accesses, of one four-byte slot).
pub fn access(op: &Operator<'_>) -> Option<(MemArg, u32)> {
    use Operator::*;
    let (memarg, size) = match op {
        I32Load8S { memarg }
        | I32Load8U { memarg }
        | I64Load8S { memarg }
        | I64Load8U { memarg }
        | I32Store8 { memarg }
        | I64Store8 { memarg } => (memarg, 1),
        I32Load16S { memarg }
        | I32Load16U { memarg }
        | I64Load16S { memarg }
        | I64Load16U { memarg }
        | I32Store16 { memarg }
        | I64Store16 { memarg } => (memarg, 2),
        I32Load { memarg }
        | I64Load32S { memarg }
        | I64Load32U { memarg }
        | I32Store { memarg }
        | I64Store32 { memarg }
        | F32Load { memarg }
        | F32Store { memarg } => (memarg, 4),
        I64Load { memarg } | I64Store { memarg } => (memarg, 8),
        _ => return None,
    };
    Some((*memarg, size))
}

/// The local whose value is the address of the access at `ops[at]`, when the operators
/// before it show that: the address (before a store's value) is `local.get b`, or `local.tee b`
/// (which leaves b's new value).
fn base_local(ops: &[Operator<'_>], at: usize) -> Option<u32> {
    use Operator::{LocalGet, LocalTee};
    let end = address_end(ops, at, is_store(&ops[at]))?;
    let base = match &ops[end] {
        LocalGet { local_index } | LocalTee { local_index } => *local_index,
        _ => return None,
    };
    // A store's value that writes the base moves it away from the address already read: the
    // group's scan from its leader on would see the write too late (the value may even hold
    // the leader), so such a store joins no group.
    (!ops[end + 1..at].iter().any(|op| writes(op, base))).then_some(base)
}

/// Whether `op` writes `local`.
fn writes(op: &Operator<'_>, local: u32) -> bool {
    matches!(op, Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
        if *local_index == local)
}

/// Operators a group may span: straight-line, no calls, no traps but memory accesses.
fn keeps_group(op: &Operator<'_>) -> bool {
    use Operator::*;
    is_plain(op)
        && !matches!(
            op,
            Block { .. } | If { .. } | Else | End | MemoryCopy { .. } | MemoryFill { .. }
        )
}

/// Plans the shared checks of a function body (its operators after the loop rewrites); the
/// accesses in `unchecked` need no check (a test before their loop made it) and join no
/// group.
pub fn plan(ops: &[Operator<'_>], unchecked: &HashSet<usize>) -> HashMap<usize, SharedCheck> {
    let mut plan: HashMap<usize, SharedCheck> = unchecked
        .iter()
        .map(|at| (*at, SharedCheck::Covered))
        .collect();
    for at in 0..ops.len() {
        if plan.contains_key(&at) {
            continue;
        }
        let (Some((memarg, size)), Some(base)) = (access(&ops[at]), base_local(ops, at)) else {
            continue;
        };
        let start = memarg.offset;
        let mut covered = Vec::new();
        for (j, op) in ops.iter().enumerate().skip(at + 1) {
            if !keeps_group(op) {
                break;
            }
            if writes(op, base) {
                break;
            }
            if unchecked.contains(&j) {
                continue;
            }
            if let (Some((m, s)), Some(b)) = (access(op), base_local(ops, j)) {
                // Accesses below the leader's offset stay as they are: the check reaches from
                // the leader's effective address on.
                if b == base && m.offset >= start {
                    covered.push((j, m.offset + u64::from(s)));
                }
            }
        }
        let end = covered
            .iter()
            .map(|(_, end)| *end)
            .fold(start + u64::from(size), u64::max);
        if covered.is_empty() || end - start > u64::from(u32::MAX) {
            continue;
        }
        plan.insert(at, SharedCheck::Leader { reach: end - start });
        for (j, _) in covered {
            plan.insert(j, SharedCheck::Covered);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(body: &str) -> Vec<Operator<'static>> {
        let wat = format!("(module (memory 1) (func (param i32 i32 i32) {body}))");
        crate::analysis::test_support::first_body_ops(&wat)
    }

    fn planned(body: &str) -> Vec<(usize, SharedCheck)> {
        let mut plan: Vec<_> = plan(&ops(body), &HashSet::new()).into_iter().collect();
        plan.sort_unstable_by_key(|(at, _)| *at);
        plan
    }

    #[test]
    fn a_copy_of_two_words_checks_once_per_base() {
        let copy = "local.get 0 local.get 1 i32.load i32.store \
            local.get 0 local.get 1 i32.load offset=4 i32.store offset=4";
        // Loads at 2 and 6 (base 1), stores at 3 and 7 (base 0): 8 bytes from each base.
        assert_eq!(
            planned(copy),
            [
                (2, SharedCheck::Leader { reach: 8 }),
                (3, SharedCheck::Leader { reach: 8 }),
                (6, SharedCheck::Covered),
                (7, SharedCheck::Covered),
            ]
        );
    }

    #[test]
    fn groups_end_where_the_base_changes_or_control_flows() {
        for body in [
            "local.get 0 i32.load drop local.get 2 local.set 0 local.get 0 i32.load offset=4 drop",
            "local.get 0 i32.load drop local.get 2 br_if 0 local.get 0 i32.load offset=4 drop",
            "local.get 0 i32.load drop local.get 0 local.get 1 local.get 2 call 0 \
             local.get 0 i32.load offset=4 drop",
            "local.get 0 i32.load local.get 2 i32.div_u drop local.get 0 i32.load offset=4 drop",
            // An address computed from the base is not the base.
            "local.get 0 i32.load drop local.get 0 i32.const 4 i32.add i32.load drop",
            // A later access below the leader's offset.
            "local.get 0 i32.load offset=8 drop local.get 0 i32.load drop",
        ] {
            assert_eq!(planned(body), [], "{body}");
        }
    }

    #[test]
    fn a_teed_address_leads_and_a_stored_expression_follows() {
        // The load at 4 reads the teed base 2; the store at 10 writes through it, its value
        // a load of another base teed elsewhere.
        let body = "local.get 1 i32.const 8 i32.add local.tee 2 i32.load drop \
            local.get 2 local.get 0 i32.load local.tee 1 i32.store";
        assert_eq!(
            planned(body),
            [
                (4, SharedCheck::Leader { reach: 4 }),
                (10, SharedCheck::Covered),
            ]
        );
        // A later tee of the base writes it: the group ends there.
        let body = "local.get 2 i32.load drop local.get 0 local.tee 2 i32.load offset=4 drop";
        assert_eq!(planned(body), []);
        // A store whose value tees its own base, after its address was read: as a covered
        // access (the value holds the leader) and as a leader.
        for body in [
            "local.get 0 local.get 1 local.tee 0 i32.load i32.store offset=4",
            "local.get 0 local.get 1 local.tee 0 local.get 0 i32.load i32.add i32.store offset=4",
            "local.get 0 local.get 1 local.tee 0 i32.store local.get 0 i32.load offset=4 drop",
        ] {
            assert_eq!(planned(body), [], "{body}");
        }
    }

    #[test]
    fn the_check_reaches_the_furthest_byte() {
        let body = "local.get 0 i32.load8_u offset=2 drop local.get 0 i64.load offset=8 drop \
            local.get 0 i32.const 7 i32.store16 offset=4";
        assert_eq!(
            planned(body),
            [
                (1, SharedCheck::Leader { reach: 14 }),
                (4, SharedCheck::Covered),
                (8, SharedCheck::Covered),
            ]
        );
    }
}
