//! Updates of a stack-resident local from its own value. The translator lowers
//! `local.get x; …; local.set x` to `dup.k … swap.(k+1) drop`: copy the local up, compute,
//! swap the result into the old slot and drop the old value. Moving the local up and back down
//! (`movup.k … movdn.k`) computes the same in 2 fewer cycles: `swap.n` costs 2 cycles,
//! `movup.n`/`movdn.n` 1 (for n ≤ 8), and the `drop` goes away.

use super::{dup_index, is_binary_op, push_value};

/// Deepest index a 1-cycle `movup`/`movdn` reaches.
const MAX_MOVE: usize = 8;

/// The rewrite of the window starting at `ops[i]`, with the number of instructions it
/// replaces, when one of the local-update shapes starts there.
pub(super) fn rewrite(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    if let Some(rewritten) = pair_update(ops, i) {
        return Some(rewritten);
    }
    let k = dup_index(ops.get(i)?)?;
    let at = |j: usize| ops.get(j).map(String::as_str);
    // `dup.k U swap.(k+1) drop` / `dup.k U dup swap.(k+2) drop`, U touching only the top.
    let unary = unary_run(ops, i + 1);
    if unary > 0 && k < MAX_MOVE {
        let body = &ops[i + 1..i + 1 + unary];
        let j = i + 1 + unary;
        if swap_index(at(j)) == Some(k + 1) && at(j + 1) == Some("drop") {
            let out = [movup(k), body.to_vec(), movdn(k)].concat();
            return Some((out, unary + 3));
        }
        if at(j) == Some("dup") && swap_index(at(j + 1)) == Some(k + 2) && at(j + 2) == Some("drop")
        {
            let out = if k == 0 {
                [body.to_vec(), vec!["dup".into()]].concat()
            } else {
                [movup(k), body.to_vec(), vec!["dup".into()], movdn(k + 1)].concat()
            };
            return Some((out, unary + 4));
        }
    }
    // `dup.k OP swap.k drop` / `dup.k OP dup swap.(k+1) drop`: the local combined with the
    // value on top by a binary OP.
    let op = at(i + 1)?;
    if k == 0 || k > MAX_MOVE || !is_binary_op(op) {
        return None;
    }
    if swap_index(at(i + 2)) == Some(k) && at(i + 3) == Some("drop") {
        let out = [movup(k), vec![op.to_string()], movdn(k - 1)].concat();
        return Some((out, 4));
    }
    if at(i + 2) == Some("dup") && swap_index(at(i + 3)) == Some(k + 1) && at(i + 4) == Some("drop")
    {
        let out = [movup(k), vec![op.to_string(), "dup".into()], movdn(k)].concat();
        return Some((out, 5));
    }
    None
}

/// Instructions a two-felt update may run between its copies and its stores.
const MAX_PAIR_BODY: usize = 40;

/// A two-felt (`i64`) local updated from itself: `dup.k dup.k U swap.(k+1) drop swap.(k+1)
/// drop` → `movup.k movup.k U movdn.k movdn.k` (8 cycles of copies and stores → 4), when U
/// (see [`pair_body_fits`]) replaces the two copies by two values and reads nothing below the
/// local's slots.
fn pair_update(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the stack instructions the rewrites use on `stack` (top first), in u64 arithmetic.
    fn run(ops: &[String], mut stack: Vec<u64>) -> Vec<u64> {
        for op in ops {
            let (name, k) = op.split_once('.').unwrap_or((op, ""));
            let imm: Option<u64> = k.parse().ok();
            let n = imm.unwrap_or(1) as usize;
            match name {
                "push" => stack.insert(0, imm.unwrap()),
                "dup" => stack.insert(0, stack[imm.unwrap_or(0) as usize]),
                "drop" => {
                    stack.remove(0);
                }
                "swap" => stack.swap(0, n),
                "movup" => {
                    let v = stack.remove(n);
                    stack.insert(0, v);
                }
                "movdn" => {
                    let v = stack.remove(0);
                    stack.insert(n, v);
                }
                _ => {
                    let b = match imm {
                        Some(b) => b,
                        None => stack.remove(0),
                    };
                    let a = stack.remove(0);
                    stack.insert(
                        0,
                        match name {
                            "u32wrapping_add" => a.wrapping_add(b) & 0xFFFF_FFFF,
                            "u32wrapping_sub" => a.wrapping_sub(b) & 0xFFFF_FFFF,
                            "u32lt" => u64::from(a < b),
                            other => panic!("no model for {other}"),
                        },
                    );
                }
            }
        }
        stack
    }

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
        let stack = vec![10, 20, 300, 4000, 7];
        assert_eq!(run(&out, stack.clone()), run(&window, stack));
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

    fn strings(ops: &[&str]) -> Vec<String> {
        ops.iter().map(|s| s.to_string()).collect()
    }

    /// Every window the rule rewrites computes the same stack, for each depth it handles.
    #[test]
    fn rewrites_keep_the_stack() {
        let stack: Vec<u64> = (0..20).map(|i| 1000 + 37 * i).collect();
        let mut checked = 0;
        for k in 0..=8usize {
            let dup = if k == 0 {
                "dup".to_string()
            } else {
                format!("dup.{k}")
            };
            let swap = |n: usize| {
                if n == 1 {
                    "swap".into()
                } else {
                    format!("swap.{n}")
                }
            };
            let windows = [
                vec![
                    dup.clone(),
                    "u32wrapping_sub.3".into(),
                    swap(k + 1),
                    "drop".into(),
                ],
                vec![
                    dup.clone(),
                    "push.9".into(),
                    "u32wrapping_add".into(),
                    "dup".into(),
                    swap(k + 2),
                    "drop".into(),
                ],
                vec![
                    dup.clone(),
                    "u32wrapping_sub".into(),
                    swap(k.max(1)),
                    "drop".into(),
                ],
                vec![
                    dup.clone(),
                    "u32lt".into(),
                    "dup".into(),
                    swap(k + 1),
                    "drop".into(),
                ],
            ];
            for window in windows {
                let Some((out, consumed)) = rewrite(&window, 0) else {
                    continue;
                };
                assert_eq!(consumed, window.len(), "{window:?}");
                assert_eq!(
                    run(&out, stack.clone()),
                    run(&window, stack.clone()),
                    "{window:?} → {out:?}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 30, "only {checked} windows rewritten");
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
