//! Updates of a stack-resident local from its own value. The translator lowers
//! `local.get x; …; local.set x` to `dup.k … swap.(k+1) drop`: copy the local up, compute,
//! swap the result into the old slot and drop the old value. Moving the local up and back down
//! (`movup.k … movdn.k`) computes the same in 2 fewer cycles: `swap.n` costs 2 cycles,
//! `movup.n`/`movdn.n` 1 (for n ≤ 8), and the `drop` goes away.

use super::cycles;
use crate::masm::Inst::{self, Dup, Swap};

/// Deepest index a 1-cycle `movup`/`movdn` reaches.
const MAX_MOVE: usize = 8;

/// `dup.k U swap.(k+1) drop`, U touching only the top: `movup.k U movdn.k`.
pub(super) fn unary_update(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let (k, body) = copy_and_unary(ops, i)?;
    let j = i + 1 + body.len();
    (swap_index(ops.get(j)) == Some(k + 1) && ops.get(j + 1) == Some(&Inst::DROP)).then(|| {
        (
            [Inst::movup(k), body.to_vec(), Inst::movdn(k)].concat(),
            body.len() + 3,
        )
    })
}

/// `dup.k U dup swap.(k+2) drop` (the same with `local.tee`): `movup.k U dup movdn.(k+1)`,
/// or `U dup` for the top itself.
pub(super) fn unary_tee(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let (k, body) = copy_and_unary(ops, i)?;
    let j = i + 1 + body.len();
    if ops.get(j) != Some(&Inst::DUP) || swap_index(ops.get(j + 1)) != Some(k + 2) {
        return None;
    }
    (ops.get(j + 2) == Some(&Inst::DROP)).then(|| {
        let out = if k == 0 {
            [body.to_vec(), vec![Inst::DUP]].concat()
        } else {
            [
                Inst::movup(k),
                body.to_vec(),
                vec![Inst::DUP],
                Inst::movdn(k + 1),
            ]
            .concat()
        };
        (out, body.len() + 4)
    })
}

/// `dup.k` (k reachable by a 1-cycle move) and the non-empty run of top-only instructions
/// after it.
fn copy_and_unary(ops: &[Inst], i: usize) -> Option<(usize, &[Inst])> {
    let k = ops.get(i)?.dup_index()?;
    let unary = unary_run(ops, i + 1);
    (unary > 0 && k < MAX_MOVE).then(|| (k, &ops[i + 1..i + 1 + unary]))
}

/// `dup.k OP swap.k drop`, the local combined with the value on top by a binary OP:
/// `movup.k OP movdn.(k-1)`.
///
/// The `local.tee` form, `dup.k OP dup swap.(k+1) drop`, is left alone: as
/// `movup.k OP dup movdn.k` it would consume the local and the top before copying the result,
/// one below the depth the original never leaves (at the VM's 16-element floor the stack would
/// end one element deeper), and every order that stays above costs as much as the original.
pub(super) fn binary_update(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let k = ops.get(i)?.dup_index()?;
    let op = ops.get(i + 1)?;
    if k == 0 || k > MAX_MOVE || !op.is_binary() {
        return None;
    }
    (swap_index(ops.get(i + 2)) == Some(k) && ops.get(i + 3) == Some(&Inst::DROP)).then(|| {
        (
            [Inst::movup(k), vec![op.clone()], Inst::movdn(k - 1)].concat(),
            4,
        )
    })
}

/// Instructions a two-felt update may run between its copies and its stores.
const MAX_PAIR_BODY: usize = 40;

/// A two-felt (`i64`) local updated from itself: `dup.k dup.k U swap.(k+1) drop swap.(k+1)
/// drop` → `movup.k movup.k U movdn.k movdn.k` (8 cycles of copies and stores → 4), when U
/// (see [`pair_body_fits`]) replaces the two copies by two values and reads nothing below the
/// local's slots.
pub(super) fn pair_update(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let k = ops.get(i)?.dup_index()?;
    if !(1..=7).contains(&k) || ops.get(i + 1)?.dup_index() != Some(k) {
        return None;
    }
    let swap = Swap(k as u8 + 1);
    let store = [swap.clone(), Inst::DROP, swap, Inst::DROP];
    let body_start = i + 2;
    let body_len = (1..=MAX_PAIR_BODY)
        .find(|len| ops.get(body_start + len..body_start + len + 4) == Some(&store[..]))?;
    let body = &ops[body_start..body_start + body_len];
    if !pair_body_fits(body, k) {
        return None;
    }
    let out = [
        Inst::movup(k),
        Inst::movup(k),
        body.to_vec(),
        Inst::movdn(k),
        Inst::movdn(k),
    ]
    .concat();
    Some((out, 2 + body_len + 4))
}

/// Whether `body`, run on `[c0, c1, S0 … S(k-2), local, local, …]`, only consumes the copies
/// c0, c1 and its own values, rearranges nothing below them, reads only down to S(k-2), and
/// ends two values above where it started.
///
/// It must also never hold fewer than two values of its own: moved up in place of the copies,
/// the local's values are what the body consumes, so a body that consumes both copies before
/// replacing them would take the rewritten stack two below where the original stood — at the
/// VM's 16-element floor, zeros come in and the stack ends deeper (see the module doc of
/// `peephole.rs`).
fn pair_body_fits(body: &[Inst], k: usize) -> bool {
    // Height above the body's start; depth `d` at height `h` is start position `d - h`.
    let mut height: isize = 0;
    for op in body {
        let Some(effect) = op.stack_effect() else {
            return false;
        };
        let reaches = effect.reach as isize - height;
        let moves = !matches!(op, Dup(_));
        if reaches > k as isize || (moves && reaches > 1) {
            return false;
        }
        height += effect.pushes as isize - effect.pops as isize;
        if height < 0 {
            return false;
        }
    }
    height == 0
}

/// How many instructions from `ops[i]` on only replace the top element (each one alone, or a
/// `push.c` with the binary instruction after it).
pub(super) fn unary_run(ops: &[Inst], mut i: usize) -> usize {
    let start = i;
    while let Some(op) = ops.get(i) {
        if op.is_unary() {
            i += 1;
        } else if op.push_value().is_some() && ops.get(i + 1).is_some_and(Inst::is_binary) {
            i += 2;
        } else {
            break;
        }
    }
    i - start
}

/// `swap` → 1, `swap.n` → n.
fn swap_index(op: Option<&Inst>) -> Option<usize> {
    op?.swap_index()
}

/// Which windows the rules rewrite, and to what; that the rewrites keep the program's meaning
/// is checked by the oracle (`peephole/oracle_tests.rs`).
/// Instructions [`update_around_body`] looks through for the store of an update.
const MAX_UPDATE_BODY: usize = 24;

/// `dup.k B swap.m drop`, for any body B that never touches the local's slot, which it leaves
/// at depth m: `movup.k B' movdn.(m-1)`, where B' is B with every position below the slot
/// one shallower (the slot is gone while B runs). B may consume values from between the copy
/// and the slot (`m = k + 1` when it consumes none). The `local.tee` form,
/// `dup.k B dup swap.(m+1) drop`, becomes `movup.k B' dup movdn.m`. This is the general
/// case of [`unary_update`] and [`binary_update`]: an accumulator updated from a loaded
/// element (`acc = acc * x + c[i]`), whose body reads other locals and steps a counter.
pub(super) fn update_around_body(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let k = ops.get(i)?.dup_index()?;
    // The slot's depth while the body runs (one below the copy at first), and the body's
    // height above the copy, and the lowest it has been.
    let mut slot = k + 1;
    let (mut height, mut lowest) = (0isize, 0isize);
    let mut body = Vec::new();
    for j in i + 1..ops.len().min(i + 2 + MAX_UPDATE_BODY) {
        if slot >= 1 && !body.is_empty() {
            // Without the copy the body runs one element lower. At the VM's 16-element floor
            // a body that goes below where it started pulls in a zero, so the rewrite may
            // only go as low as the original: for the store, no lower than where the window
            // ends; for the tee's store (which ends higher), never below the start.
            let tee = ops.get(j) == Some(&Inst::DUP)
                && swap_index(ops.get(j + 1)) == Some(slot + 1)
                && lowest >= 0;
            let (store, consumed) = if tee {
                ([vec![Inst::DUP], Inst::movdn(slot)].concat(), j + 3 - i)
            } else if swap_index(ops.get(j)) == Some(slot) && lowest >= height {
                (Inst::movdn(slot - 1), j + 2 - i)
            } else {
                (Vec::new(), 0)
            };
            if consumed > 0 && ops.get(i + consumed - 1) == Some(&Inst::DROP) {
                let out = [Inst::movup(k), body, store].concat();
                return (cycles(&out) < cycles(&ops[i..i + consumed])).then_some((out, consumed));
            }
        }
        body.extend(without_slot(&ops[j], &mut slot)?);
        height += match ops[j] {
            Inst::Dup(_) => 1,
            Inst::MovUp(_) | Inst::MovDn(_) | Inst::Swap(_) => 0,
            ref op => op
                .stack_effect()
                .map_or(0, |e| e.pushes as isize - e.pops as isize),
        };
        lowest = lowest.min(height);
    }
    None
}

/// `op` as it reads once the slot at depth `slot` is gone, updating `slot` to its depth after
/// `op`; `None` when `op` touches the slot or its effect is unknown.
fn without_slot(op: &Inst, slot: &mut usize) -> Option<Vec<Inst>> {
    let d = *slot;
    if d == 0 {
        // The slot reached the top: every instruction would touch it.
        return None;
    }
    let shallower = |n: usize| if n > d { n - 1 } else { n };
    Some(match *op {
        Inst::Dup(n) if n as usize != d => {
            *slot += 1;
            vec![Inst::dup(shallower(n as usize))]
        }
        Inst::MovUp(n) if n as usize != d => {
            *slot += usize::from(n as usize > d);
            Inst::movup(shallower(n as usize))
        }
        Inst::MovDn(n) => {
            *slot -= usize::from(n as usize >= d);
            Inst::movdn(if n as usize >= d {
                n as usize - 1
            } else {
                n as usize
            })
        }
        Inst::Swap(n) if n as usize != d => vec![Inst::Swap(shallower(n as usize) as u8)],
        Inst::Dup(_) | Inst::MovUp(_) | Inst::Swap(_) => return None,
        _ => {
            let effect = op.stack_effect()?;
            if effect.reach >= d || effect.pops > d {
                return None;
            }
            *slot = d - effect.pops + effect.pushes;
            vec![op.clone()]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_i64_local_updated_from_itself_moves_instead_of_copying() {
        // [s0, s1, la, lb, x]: the local (la, lb) plus s0 and s1, stored back.
        let body = [
            "dup.2",
            "u32wrapping_add",
            "swap",
            "dup.3",
            "u32wrapping_add",
            "swap",
        ];
        let window = strings(
            &[
                &["dup.3", "dup.3"],
                &body[..],
                &["swap.4", "drop", "swap.4", "drop"],
            ]
            .concat(),
        );
        let out = super::super::optimize(window.clone());
        assert_eq!(
            out,
            strings(&[&["movup.3", "movup.3"], &body[..], &["movdn.3", "movdn.3"]].concat())
        );
        // A body that reads the local's own slot (dup.4 at the start) is left alone.
        let reads_local = strings(&[
            "dup.3",
            "dup.3",
            "dup.4",
            "u32wrapping_add",
            "swap.4",
            "drop",
            "swap.4",
            "drop",
        ]);
        assert_eq!(pair_update(&reads_local, 0), None);
        // So is one that rearranges what lies below the copies (swap.2 at the start).
        let moves_below = strings(&[
            "dup.3",
            "dup.3",
            "swap.2",
            "u32wrapping_add",
            "dup",
            "swap.4",
            "drop",
            "swap.4",
            "drop",
        ]);
        assert_eq!(pair_update(&moves_below, 0), None);
    }

    /// Whether `rewritten` agrees with `original` on a stack of exactly 16 elements (the VM's
    /// floor, where a dip below the start shows as a zero shifted in).
    fn agrees_at_the_floor(original: &[Inst], rewritten: &[Inst]) -> bool {
        use crate::masm::oracle::{run, straight, State};
        let start = State::new(&(1..=16).collect::<Vec<u64>>(), 0);
        run(&straight(original), &start).agrees(&run(&straight(rewritten), &start))
    }

    #[test]
    fn an_i64_update_whose_body_consumes_both_copies_first_is_left_alone() {
        // The body adds the two copies (consuming both) before pushing its second value:
        // moving the local up instead would dip below the window's depth.
        let window = strings(&[
            "dup.3",
            "dup.3",
            "u32wrapping_add",
            "push.7",
            "swap.4",
            "drop",
            "swap.4",
            "drop",
        ]);
        assert_eq!(pair_update(&window, 0), None);
        assert!(agrees_at_the_floor(
            &window,
            &super::super::optimize(window.clone())
        ));
        // What the rule used to make of it ends one element deeper at the floor.
        let moved = strings(&[
            "movup.3",
            "movup.3",
            "u32wrapping_add",
            "push.7",
            "movdn.3",
            "movdn.3",
        ]);
        assert!(!agrees_at_the_floor(&window, &moved));
    }

    #[test]
    fn a_local_tee_of_the_local_combined_with_the_top_is_left_alone() {
        let window = strings(&["dup.3", "u32wrapping_add", "dup", "swap.4", "drop"]);
        assert_eq!(super::super::optimize(window.clone()), window);
        // The rewrite this shape used to get consumes both operands before copying the result.
        let moved = strings(&["movup.3", "u32wrapping_add", "dup", "movdn.3"]);
        assert!(!agrees_at_the_floor(&window, &moved));
    }

    fn strings(ops: &[&str]) -> Vec<Inst> {
        ops.iter().map(|s| Inst::from(*s)).collect()
    }

    #[test]
    fn the_fib_loop_update_loses_its_moves() {
        let out = super::super::optimize(strings(&["dup.1", "u32wrapping_add", "swap", "drop"]));
        assert_eq!(out, strings(&["u32wrapping_add"]));
        let out = super::super::optimize(strings(&[
            "dup.1",
            "u32wrapping_sub.2",
            "dup",
            "swap.3",
            "drop",
        ]));
        assert_eq!(
            out,
            strings(&["swap", "u32wrapping_sub.2", "dup", "movdn.2"])
        );
        // A deeper local than one `movup` reaches is left alone.
        let window = strings(&["dup.9", "add.1", "swap.10", "drop"]);
        assert_eq!(super::super::optimize(window.clone()), window);
    }
}
