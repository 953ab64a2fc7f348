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
