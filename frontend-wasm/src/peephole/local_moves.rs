//! Updates of a stack-resident local from its own value. The translator lowers
//! `local.get x; …; local.set x` to `dup.k … swap.(k+1) drop`: copy the local up, compute,
//! swap the result into the old slot and drop the old value. Moving the local up and back down
//! (`movup.k … movdn.k`) computes the same in 2 fewer cycles: `swap.n` costs 2 cycles,
//! `movup.n`/`movdn.n` 1 (for n ≤ 8), and the `drop` goes away.

use super::{at, dup_index, is_binary_op, push_value};

/// Deepest index a 1-cycle `movup`/`movdn` reaches.
const MAX_MOVE: usize = 8;

/// `dup.k U swap.(k+1) drop`, U touching only the top: `movup.k U movdn.k`.
pub(super) fn unary_update(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let (k, body) = copy_and_unary(ops, i)?;
    let j = i + 1 + body.len();
    (swap_index(at(ops, j)) == Some(k + 1) && at(ops, j + 1) == Some("drop"))
        .then(|| ([movup(k), body.to_vec(), movdn(k)].concat(), body.len() + 3))
}

/// `dup.k U dup swap.(k+2) drop` (the same with `local.tee`): `movup.k U dup movdn.(k+1)`,
/// or `U dup` for the top itself.
pub(super) fn unary_tee(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let (k, body) = copy_and_unary(ops, i)?;
    let j = i + 1 + body.len();
    if at(ops, j) != Some("dup") || swap_index(at(ops, j + 1)) != Some(k + 2) {
        return None;
    }
    (at(ops, j + 2) == Some("drop")).then(|| {
        let out = if k == 0 {
            [body.to_vec(), vec!["dup".into()]].concat()
        } else {
            [movup(k), body.to_vec(), vec!["dup".into()], movdn(k + 1)].concat()
        };
        (out, body.len() + 4)
    })
}

/// `dup.k` (k reachable by a 1-cycle move) and the non-empty run of top-only instructions
/// after it.
fn copy_and_unary(ops: &[String], i: usize) -> Option<(usize, &[String])> {
    let k = dup_index(ops.get(i)?)?;
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
pub(super) fn binary_update(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let k = dup_index(ops.get(i)?)?;
    let op = at(ops, i + 1)?;
    if k == 0 || k > MAX_MOVE || !is_binary_op(op) {
        return None;
    }
    (swap_index(at(ops, i + 2)) == Some(k) && at(ops, i + 3) == Some("drop"))
        .then(|| ([movup(k), vec![op.to_string()], movdn(k - 1)].concat(), 4))
}

/// Instructions a two-felt update may run between its copies and its stores.
const MAX_PAIR_BODY: usize = 40;

/// A two-felt (`i64`) local updated from itself: `dup.k dup.k U swap.(k+1) drop swap.(k+1)
/// drop` → `movup.k movup.k U movdn.k movdn.k` (8 cycles of copies and stores → 4), when U
/// (see [`pair_body_fits`]) replaces the two copies by two values and reads nothing below the
/// local's slots.
pub(super) fn pair_update(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let k = dup_index(ops.get(i)?)?;
    if !(1..=7).contains(&k) || dup_index(ops.get(i + 1)?) != Some(k) {
        return None;
    }
    let swap = format!("swap.{}", k + 1);
    let store = [swap.clone(), "drop".into(), swap, "drop".into()];
    let body_start = i + 2;
    let body_len = (1..=MAX_PAIR_BODY)
        .find(|len| ops.get(body_start + len..body_start + len + 4) == Some(&store[..]))?;
    let body = &ops[body_start..body_start + body_len];
    if !pair_body_fits(body, k) {
        return None;
    }
    let out = [movup(k), movup(k), body.to_vec(), movdn(k), movdn(k)].concat();
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
fn pair_body_fits(body: &[String], k: usize) -> bool {
    // Height above the body's start; depth `d` at height `h` is start position `d - h`.
    let mut height: isize = 0;
    for op in body {
        let Some((touched, pops, pushes)) = stack_effect(op) else {
            return false;
        };
        let reaches = touched as isize - height;
        let moves = !op.starts_with("dup");
        if reaches > k as isize || (moves && reaches > 1) {
            return false;
        }
        height += pushes as isize - pops as isize;
        if height < 0 {
            return false;
        }
    }
    height == 0
}

/// The deepest position an instruction reads or moves, and how many elements it pops and
/// pushes; `None` for instructions the rewrites do not model.
fn stack_effect(op: &str) -> Option<(usize, usize, usize)> {
    let (name, imm) = match op.split_once('.') {
        Some((name, imm)) => (name, Some(imm)),
        None => (op, None),
    };
    let n = || imm.map_or(Some(1), |imm| imm.parse::<usize>().ok());
    Some(match name {
        "dup" => (imm.map_or(Some(0), |imm| imm.parse().ok())?, 0, 1),
        "swap" | "movup" | "movdn" => (n()?, 0, 0),
        "drop" => (0, 1, 0),
        "push" => (0, 0, 1),
        "mem_load" if imm.is_some() => (0, 0, 1),
        "mem_load" | "u32split" if imm.is_none() => (0, 1, if name == "u32split" { 2 } else { 1 }),
        "u32widening_mul" if imm.is_none() => (1, 2, 2),
        _ if is_unary(op) => (0, 1, 1),
        _ if imm.is_none() && is_binary_op(name) => (1, 2, 1),
        _ => return None,
    })
}

/// Binary instructions whose operands may be given in either order.
pub(super) fn is_commutative(op: &str) -> bool {
    matches!(
        op,
        "add"
            | "mul"
            | "eq"
            | "neq"
            | "u32wrapping_add"
            | "u32wrapping_mul"
            | "u32and"
            | "u32or"
            | "u32xor"
    )
}

/// How many instructions from `ops[i]` on only replace the top element (each one alone, or a
/// `push.c` with the binary instruction after it).
pub(super) fn unary_run(ops: &[String], mut i: usize) -> usize {
    let start = i;
    while let Some(op) = ops.get(i) {
        if is_unary(op) {
            i += 1;
        } else if push_value(op).is_some() && ops.get(i + 1).is_some_and(|b| is_binary_op(b)) {
            i += 2;
        } else {
            break;
        }
    }
    i - start
}

/// Instructions that pop one felt and push one, with no other effect on the stack.
fn is_unary(op: &str) -> bool {
    if matches!(op, "not" | "neg" | "inv" | "incr" | "mem_load") {
        return true;
    }
    let Some((name, imm)) = op.split_once('.') else {
        return false;
    };
    // The immediate form of a binary instruction (`add.3`: the constant is the top operand).
    !imm.is_empty()
        && imm.bytes().all(|b| b.is_ascii_digit())
        && (is_binary_op(name)
            || matches!(
                name,
                "sub" | "div" | "u32div" | "u32mod" | "u32shl" | "u32shr" | "u32rotl" | "u32rotr"
            ))
}

/// `swap` → 1, `swap.n` → n.
fn swap_index(op: Option<&str>) -> Option<usize> {
    match op? {
        "swap" => Some(1),
        op => op.strip_prefix("swap.")?.parse().ok(),
    }
}

fn movup(k: usize) -> Vec<String> {
    match k {
        0 => Vec::new(),
        1 => vec!["swap".into()],
        _ => vec![format!("movup.{k}")],
    }
}

fn movdn(k: usize) -> Vec<String> {
    match k {
        0 => Vec::new(),
        1 => vec!["swap".into()],
        _ => vec![format!("movdn.{k}")],
    }
}

/// Which windows the rules rewrite, and to what; that the rewrites keep the program's meaning
/// is checked by the oracle (`peephole/oracle_tests.rs`).
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
    fn agrees_at_the_floor(original: &[String], rewritten: &[String]) -> bool {
        use crate::masm_oracle::{run, straight, State};
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

    fn strings(ops: &[&str]) -> Vec<String> {
        ops.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_fib_loop_update_loses_its_moves() {
        let out = super::super::optimize(strings(&["dup.1", "u32wrapping_add", "swap", "drop"]));
        assert_eq!(out, ["u32wrapping_add"]);
        let out = super::super::optimize(strings(&[
            "dup.1",
            "u32wrapping_sub.2",
            "dup",
            "swap.3",
            "drop",
        ]));
        assert_eq!(out, ["swap", "u32wrapping_sub.2", "dup", "movdn.2"]);
        // A deeper local than one `movup` reaches is left alone.
        let window = strings(&["dup.9", "add.1", "swap.10", "drop"]);
        assert_eq!(super::super::optimize(window.clone()), window);
    }
}
