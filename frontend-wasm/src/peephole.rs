//! Local rewrites of straight-line MASM that the one-operator-at-a-time translation leaves
//! behind: each rule replaces a short instruction window by a cheaper equivalent with the same
//! stack effect (cycle costs from `docs/codegen.md`). Control flow is never crossed: the rules
//! see one run of plain instructions at a time.
//!
//! No rewrite may let the stack dip below the depth the original window started at: the VM
//! never goes below 16 elements (a `drop` at that floor shifts a zero in), so `push.x swap drop`
//! and `drop push.x` differ for a function whose frame sits right on the floor, and export
//! wrappers rely on exact depths.

mod local_moves;
#[cfg(test)]
mod oracle_tests;

/// The Goldilocks prime: felt arithmetic in the rewrites is modulo it.
const P: u64 = 0xFFFF_FFFF_0000_0001;

/// Rewrites `ops` until no rule applies.
pub fn optimize(ops: Vec<String>) -> Vec<String> {
    // One spelling per instruction, so that the rules below match either.
    let mut ops: Vec<String> = ops
        .into_iter()
        .map(|op| match op.as_str() {
            "dup.0" => "dup".to_string(),
            "swap.1" => "swap".to_string(),
            _ => op,
        })
        .collect();
    loop {
        let (next, changed) = pass(&ops);
        ops = next;
        if !changed {
            return lower_increments(ops);
        }
    }
}

/// `push.1 u32wrapping_add` (4 cycles: `push.1` is `pad incr`) → `add.1 u32split swap drop`
/// (3): a u32 plus 1 is at most 2^32 as a felt, and its low limb is the wrapped sum. Done after
/// the other rules, which recognize the `push.1` form.
fn lower_increments(ops: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(ops.len());
    let mut i = 0;
    while i < ops.len() {
        if ops[i] == "push.1" && ops.get(i + 1).is_some_and(|op| op == "u32wrapping_add") {
            out.extend(["add.1", "u32split", "swap", "drop"].map(String::from));
            i += 2;
        } else {
            out.push(ops[i].clone());
            i += 1;
        }
    }
    out
}

/// The immediate of `push.N` for a plain decimal felt N.
pub fn push_value(op: &str) -> Option<u64> {
    let n: u64 = op.strip_prefix("push.")?.parse().ok()?;
    (n < P).then_some(n)
}

/// Instructions that pop two felts and push one, with no other effect.
fn is_binary_op(op: &str) -> bool {
    matches!(
        op,
        "add"
            | "mul"
            | "eq"
            | "neq"
            | "u32wrapping_add"
            | "u32wrapping_sub"
            | "u32wrapping_mul"
            | "u32and"
            | "u32or"
            | "u32xor"
            | "u32lt"
            | "u32lte"
            | "u32gt"
            | "u32gte"
    )
}

/// A rule that rewrites the window starting at `ops[i]`: the new instructions and how many
/// old ones they replace.
type WindowRule = fn(&[String], usize) -> Option<(Vec<String>, usize)>;

/// The cycles of a run of instructions, by the measured costs.
fn cycles(ops: &[String]) -> u64 {
    ops.iter()
        .map(|op| crate::cost_model::instruction_cycles(op))
        .sum()
}

/// `p` with its reads of the stack it started on moved: `p` may only copy (`dup`), push
/// constants and combine its own values with binary instructions, ending with one value; a
/// copy of start position `f` becomes a copy of `remap(f)` (`None`: `p` cannot move).
fn remap_reads(p: &[String], remap: impl Fn(usize) -> Option<usize>) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(p.len());
    let mut height = 0usize;
    for op in p {
        if let Some(n) = dup_index(op) {
            // Copies of P's own values stay; deeper ones are at n - height where P started.
            let n = if n < height {
                n
            } else {
                remap(n - height)? + height
            };
            if n > 15 {
                return None;
            }
            out.push(if n == 0 {
                "dup".into()
            } else {
                format!("dup.{n}")
            });
            height += 1;
        } else if push_value(op).is_some() {
            out.push(op.clone());
            height += 1;
        } else if is_binary_op(op) && height >= 2 {
            out.push(op.clone());
            height -= 1;
        } else {
            return None;
        }
    }
    (height == 1).then_some(out)
}

/// `dup movdn.(k+1) dup.(k+1)` (a value stored to a slot, then copied back) is
/// `movdn.k dup.k dup.(k+1)`: the same stack, but both copies are made after the store, so a
/// computation from them followed by a comparison can take [`compare_with_copy_first`]
/// (`local.tee d  local.get d  i32.mul  local.get n  i32.gt_u`). Applied only when that rule
/// then applies and the copies cost no more.
fn store_then_compare(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let at = |j: usize| ops.get(j).map(String::as_str);
    let k = at(i + 1)?.strip_prefix("movdn.")?.parse::<usize>().ok()?;
    if at(i)? != "dup" || k < 3 || dup_index(at(i + 2)?)? != k {
        return None;
    }
    let copies = [format!("dup.{}", k - 1), format!("dup.{k}")];
    if cycles(&copies) > cycles(&ops[i..i + 1]) + cycles(&ops[i + 2..i + 3]) {
        return None;
    }
    let tail = &ops[i + 3..ops.len().min(i + 3 + 6)];
    let window: Vec<String> = copies.into_iter().chain(tail.iter().cloned()).collect();
    let (compared, consumed) = compare_with_copy_first(&window, 0)?;
    let out = [vec![format!("movdn.{}", k - 1)], compared].concat();
    Some((out, consumed + 1))
}

/// `E P swap`, E a copy with instructions that replace only the top (an address) and P a
/// short computation from copies and constants that does not read E's value (the value to
/// store), is `P' E'`: P first with its reads one shallower, then E with its copy one
/// deeper, and no `swap` (a store's operands computed in the order it takes them). Applied
/// when cheaper.
fn operands_in_order(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let a = dup_index(ops.get(i)?)?;
    let unary = local_moves::unary_run(ops, i + 1);
    let p_start = i + 1 + unary;
    for len in 2..=6 {
        if ops.get(p_start + len).map(String::as_str) != Some("swap") || a + 1 > 15 {
            continue;
        }
        // Without E's value (start position 0, which P must not read) P reads one shallower.
        let Some(mut moved) = remap_reads(&ops[p_start..p_start + len], |f| f.checked_sub(1))
        else {
            continue;
        };
        moved.push(format!("dup.{}", a + 1));
        moved.extend_from_slice(&ops[i + 1..p_start]);
        if cycles(&moved) < cycles(&ops[i..p_start + len + 1]) {
            return Some((moved, p_start + len + 1 - i));
        }
    }
    None
}

/// `dup dup.(k+1) U swap` (the top copied, then a deeper value copied and transformed by U,
/// which only replaces the top, then the two swapped) is `dup.k U dup.1`: the deeper value
/// first, the top copied over it — a copy loop's `dup dup.5 add.4 div.4 mem_load swap` per
/// word. Applied when the copies cost no more (`dup.8` costs 3, `dup.9` 1).
fn copy_pair_in_order(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    if ops.get(i)? != "dup" {
        return None;
    }
    let j = dup_index(ops.get(i + 1)?).filter(|j| *j >= 1)?;
    let unary = local_moves::unary_run(ops, i + 2);
    if unary == 0 || ops.get(i + 2 + unary).map(String::as_str) != Some("swap") {
        return None;
    }
    let first = if j == 1 {
        "dup".to_string()
    } else {
        format!("dup.{}", j - 1)
    };
    let cycles = crate::cost_model::instruction_cycles;
    if cycles(&first) > cycles(&ops[i + 1]) {
        return None;
    }
    let out = [
        vec![first],
        ops[i + 2..i + 2 + unary].to_vec(),
        vec!["dup.1".to_string()],
    ]
    .concat();
    Some((out, unary + 3))
}

/// A value computed from copies, then compared with another copy by `u32gt` (3 cycles) or
/// `u32lte` (4): `P dup.k u32gt` → `dup.(k-1) P' u32lt` (2) — the copy made first, `P`'s reads
/// below its own values one deeper, and the mirrored comparison (`u32lte` → `u32gte`, 3).
/// `P` (2 to 6 instructions) may only copy (`dup`), push constants and combine its own values
/// with binary instructions, ending with one value. Applied only when it is cheaper by the
/// measured costs (a `dup.7` becoming `dup.8` costs 2 more).
fn compare_with_copy_first(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    for len in 2..=6 {
        let (Some(copy), Some(cmp)) = (ops.get(i + len), ops.get(i + len + 1)) else {
            return None;
        };
        let mirrored = match cmp.as_str() {
            "u32gt" => "u32lt",
            "u32lte" => "u32gte",
            _ => continue,
        };
        let Some(k) = dup_index(copy).filter(|k| *k >= 1) else {
            continue;
        };
        // Below the copy made first, P's reads sit one deeper.
        let Some(p) = remap_reads(&ops[i..i + len], |f| Some(f + 1)) else {
            continue;
        };
        let rewritten = [
            vec![format!("dup.{}", k - 1)],
            p,
            vec![mirrored.to_string()],
        ]
        .concat();
        if cycles(&rewritten) < cycles(&ops[i..i + len + 2]) {
            return Some((rewritten, len + 2));
        }
    }
    None
}

/// `dup.n` / `dup` → n.
fn dup_index(op: &str) -> Option<usize> {
    match op {
        "dup" => Some(0),
        _ => op.strip_prefix("dup.")?.parse().ok(),
    }
}

/// The window rules of a pass, in the order they are tried at each instruction, by the names
/// the semantic oracle (`peephole/oracle_tests.rs`) checks them under.
const RULES: &[(&str, WindowRule)] = &[
    ("dropped_value", dropped_value),
    ("overwritten_constant", overwritten_constant),
    ("copy_pair_in_order", copy_pair_in_order),
    ("pair_update", local_moves::pair_update),
    ("unary_update", local_moves::unary_update),
    ("unary_tee", local_moves::unary_tee),
    ("binary_update", local_moves::binary_update),
    ("operands_in_order", operands_in_order),
    ("zero_extended_limb_op", zero_extended_limb_op),
    ("i64_store_moves", i64_store_moves),
    ("commutative_swap", commutative_swap),
    ("undone_moves", undone_moves),
    ("negative_increment", negative_increment),
    ("shift_by_constant", shift_by_constant),
    ("high_limb_dropped", high_limb_dropped),
    ("compare_with_zero_or_one", compare_with_zero_or_one),
    ("compare_with_copy_first", compare_with_copy_first),
    ("store_then_compare", store_then_compare),
    ("mirrored_copies", mirrored_copies),
    ("result_of_last_two", result_of_last_two),
];

/// The instruction at `ops[j]`, if any.
fn at(ops: &[String], j: usize) -> Option<&str> {
    ops.get(j).map(String::as_str)
}

/// `ops` as owned instructions.
fn owned(ops: &[&str]) -> Vec<String> {
    ops.iter().map(|op| op.to_string()).collect()
}

/// A value pushed or copied and then dropped: nothing.
fn dropped_value(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let a = at(ops, i)?;
    (at(ops, i + 1) == Some("drop") && (push_value(a).is_some() || dup_index(a).is_some()))
        .then(|| (Vec::new(), 2))
}

/// A constant stored to a stack slot that the next instructions overwrite with another
/// constant (`push.a swap.k drop push.b swap.k drop`): only the second store.
fn overwritten_constant(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let b = at(ops, i + 1)?;
    (push_value(at(ops, i)?).is_some()
        && (b == "swap" || b.starts_with("swap."))
        && at(ops, i + 2) == Some("drop")
        && push_value(at(ops, i + 3)?).is_some()
        && at(ops, i + 4) == Some(b)
        && at(ops, i + 5) == Some("drop"))
    .then(|| (Vec::new(), 3))
}

/// An i64 xor/or with a zero-extended i32 (`push.0 swap` makes [v, 0] from v) leaves the high
/// limb as it is: the u32 instruction on the low limbs alone.
fn zero_extended_limb_op(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    if at(ops, i)? != "push.0" || at(ops, i + 1)? != "swap" {
        return None;
    }
    let limb_op = match at(ops, i + 2)? {
        "exec.::miden::core::math::u64::xor" => "u32xor",
        "exec.::miden::core::math::u64::or" => "u32or",
        _ => return None,
    };
    Some((owned(&[limb_op]), 3))
}

/// An i64 stored into the two-felt local right below it: `swap.2 drop` twice costs 6,
/// `movup.2 drop` twice 4 (both leave [lo, hi] in the local's place).
fn i64_store_moves(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    (ops.get(i..i + 4)? == ["swap.2", "drop", "swap.2", "drop"])
        .then(|| (owned(&["movup.2", "drop", "movup.2", "drop"]), 4))
}

/// The operands of a commutative instruction need no swap.
fn commutative_swap(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    (at(ops, i)? == "swap" && local_moves::is_commutative(at(ops, i + 1)?)).then(|| (Vec::new(), 1))
}

/// Moves that undo each other: `swap swap`, `movup.n movdn.n`, `movdn.n movup.n`.
fn undone_moves(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let (a, b) = (at(ops, i)?, at(ops, i + 1)?);
    let undone = (a == "swap" && b == "swap")
        || matches!(
            (a.strip_prefix("movup."), b.strip_prefix("movdn.")),
            (Some(x), Some(y)) if x == y
        )
        || matches!(
            (a.strip_prefix("movdn."), b.strip_prefix("movup.")),
            (Some(x), Some(y)) if x == y
        );
    undone.then(|| (Vec::new(), 2))
}

/// `push.K u32wrapping_add` with K = 2^32 - k (adding a negative i32 constant):
/// `u32wrapping_sub.k`, 3 cycles instead of 4.
fn negative_increment(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let k = push_value(at(ops, i)?)?;
    (at(ops, i + 1)? == "u32wrapping_add" && (1 << 31..1 << 32).contains(&k))
        .then(|| (vec![format!("u32wrapping_sub.{}", (1u64 << 32) - k)], 2))
}

/// A shift or rotate by a constant: the immediate form (3-4 cycles instead of ~20, which
/// compute 2^k with `pow2` at run time); see [`constant_shift`].
fn shift_by_constant(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let k = push_value(at(ops, i)?)?;
    Some((constant_shift(k, at(ops, i + 1)?, at(ops, i + 2)?)?, 3))
}

/// `push.a push.b swap drop` is `push.b` (an i64 constant whose high limb an i64 shift count
/// or `i32.wrap_i64` discards).
fn high_limb_dropped(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let b = at(ops, i + 1)?;
    (push_value(at(ops, i)?).is_some()
        && push_value(b).is_some()
        && at(ops, i + 2) == Some("swap")
        && at(ops, i + 3) == Some("drop"))
    .then(|| (owned(&[b]), 4))
}

/// Comparisons with 0 and 1 that have a cheaper test of zero.
fn compare_with_zero_or_one(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let test = match (push_value(at(ops, i)?)?, at(ops, i + 1)?) {
        (0, "eq") | (1, "u32lt") => "eq.0",
        (0, "neq") | (0, "u32gt") | (1, "u32gte") => "neq.0",
        _ => return None,
    };
    Some((owned(&[test]), 2))
}

/// Two copies compared by `u32gt` (4 cycles) or `u32lte` (5): copied in the other order, the
/// mirrored `u32lt` (3) or `u32gte` (4). `dup.x dup.y` reads S[x] then S[y - 1];
/// `dup.(y-1) dup.(x+1)` reads the same two the other way round.
fn mirrored_copies(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let x = dup_index(at(ops, i)?)?;
    let y = dup_index(at(ops, i + 1)?)?;
    let mirrored = match at(ops, i + 2)? {
        "u32gt" => "u32lt",
        "u32lte" => "u32gte",
        _ => return None,
    };
    (y >= 1 && x < 15).then(|| {
        let out = vec![
            format!("dup.{}", y - 1),
            format!("dup.{}", x + 1),
            mirrored.into(),
        ];
        (out, 3)
    })
}

/// `dup.1 dup.1 <op> movdn.2 drop drop` computes op on the top two values and then drops them
/// (a function returning an expression of its last two locals): `<op>`.
fn result_of_last_two(ops: &[String], i: usize) -> Option<(Vec<String>, usize)> {
    let op = at(ops, i + 2)?;
    (at(ops, i)? == "dup.1"
        && at(ops, i + 1) == Some("dup.1")
        && is_binary_op(op)
        && ops.get(i + 3..i + 6)? == ["movdn.2", "drop", "drop"])
    .then(|| (owned(&[op]), 6))
}

/// One pass of [`RULES`] over `ops`, and whether any applied.
fn pass(ops: &[String]) -> (Vec<String>, bool) {
    let mut out: Vec<String> = Vec::with_capacity(ops.len());
    let mut changed = false;
    let mut i = 0;
    while i < ops.len() {
        if let Some((rewritten, consumed)) = RULES.iter().find_map(|(_, rule)| rule(ops, i)) {
            out.extend(rewritten);
            i += consumed;
            changed = true;
            continue;
        }
        // `dup.0` reads better as `dup`; `swap.1` is `swap`.
        out.push(match ops[i].as_str() {
            "dup.0" => "dup".into(),
            "swap.1" => "swap".into(),
            op => op.to_string(),
        });
        i += 1;
    }
    (out, changed)
}

/// `push.k <mask> <shift>` as Wasm lowers a shift by a constant (`u32and.31` for i32,
/// `u32and.63` for the i64 shift count): the equivalent with the amount folded in.
fn constant_shift(k: u64, mask: &str, op: &str) -> Option<Vec<String>> {
    const U64: &str = "exec.::miden::core::math::u64::";
    let k32 = (k & 31) as u32;
    let k64 = (k & 63) as u32;
    let ops: Vec<String> = match (mask, op) {
        ("u32and.31", "u32shl" | "u32shr" | "u32rotl" | "u32rotr") if k32 == 0 => Vec::new(),
        ("u32and.31", "u32shl" | "u32shr" | "u32rotl" | "u32rotr") => vec![format!("{op}.{k32}")],
        ("u32and.63", _) if op.strip_prefix(U64).is_some() => {
            let op = op.strip_prefix(U64)?;
            match (op, k64) {
                ("shl" | "shr", 0) => Vec::new(),
                // [lo, hi]: lo * 2^k = [l, c]; hi' = hi * 2^k + c (mod 2^32), lo' = l.
                ("shl", 1..=31) => vec![
                    format!("push.{}", 1u64 << k64),
                    "u32widening_mul".into(),
                    "movdn.2".into(),
                    "swap".into(),
                    format!("push.{}", 1u64 << k64),
                    "u32wrapping_madd".into(),
                    "swap".into(),
                ],
                ("shl", 32) => vec!["push.0".into(), "movup.2".into(), "drop".into()],
                ("shl", _) => vec![
                    format!("u32shl.{}", k64 - 32),
                    "push.0".into(),
                    "movup.2".into(),
                    "drop".into(),
                ],
                // [lo, hi]: hi = q * 2^k + r; hi' = q, lo' = (lo >> k) + r * 2^(32-k).
                ("shr", 1..=31) => vec![
                    "swap".into(),
                    format!("u32divmod.{}", 1u64 << k64),
                    format!("mul.{}", 1u64 << (32 - k64)),
                    "movup.2".into(),
                    format!("u32div.{}", 1u64 << k64),
                    "add".into(),
                ],
                // rotl k: lo * 2^k = [a, c], hi * 2^k = [b, d]; lo' = a + d, hi' = b + c
                // (disjoint bits). rotr k is rotl (64 - k); a rotation by 32 or more swaps the
                // limbs first.
                ("rotl" | "rotr", _) => {
                    let left = if op == "rotl" { k64 } else { (64 - k64) % 64 };
                    let mut ops = Vec::new();
                    if left >= 32 {
                        ops.push("swap".to_string());
                    }
                    let k = left % 32;
                    if k > 0 {
                        ops.extend([
                            format!("push.{}", 1u64 << k),
                            "u32widening_mul".into(),
                            "movup.2".into(),
                            format!("push.{}", 1u64 << k),
                            "u32widening_mul".into(),
                            "movup.3".into(),
                            "add".into(),
                            "movdn.2".into(),
                            "add".into(),
                        ]);
                    }
                    ops
                }
                ("shr", 32) => vec!["push.0".into(), "movdn.2".into(), "drop".into()],
                ("shr", _) => vec![
                    "push.0".into(),
                    "movdn.2".into(),
                    "drop".into(),
                    format!("u32shr.{}", k64 - 32),
                ],
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(ops)
}

/// The instructions that turn a boolean condition on top into `then_value` (condition 1) or
/// `else_value` (condition 0) without a branch: `b + c * (a - b)` in the field, which is
/// exact for c in {0, 1}.
pub fn select_constants(then_value: u64, else_value: u64) -> Vec<String> {
    let (a, b) = (then_value, else_value);
    if a == b {
        return vec!["drop".into(), format!("push.{a}")];
    }
    match (a, b) {
        (1, 0) => Vec::new(),
        (0, 1) => vec!["eq.0".into()],
        (_, 0) => vec![format!("mul.{a}")],
        _ => {
            let d = if a >= b { a - b } else { P - (b - a) };
            let mut ops = Vec::new();
            if d != 1 {
                ops.push(format!("mul.{d}"));
            }
            ops.push(format!("add.{b}"));
            ops
        }
    }
}

/// Which windows the rules rewrite, and to what; that the rewrites keep the program's meaning
/// is checked by the oracle (`peephole/oracle_tests.rs`).
#[cfg(test)]
mod tests {
    use super::*;

    fn opt(ops: &[&str]) -> Vec<String> {
        optimize(ops.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn a_stored_value_is_copied_after_the_store_to_compare_its_square() {
        // [d, f, k, _, n]: d stored to S[3], squared, compared with n.
        assert_eq!(
            opt(&[
                "dup",
                "movdn.3",
                "dup.3",
                "u32wrapping_mul",
                "dup.4",
                "u32gt"
            ]),
            [
                "movdn.2",
                "dup.3",
                "dup.3",
                "dup.4",
                "u32wrapping_mul",
                "u32lt"
            ]
        );
        // Without a comparison after it, the store stays as it was.
        assert_eq!(
            opt(&["dup", "movdn.3", "dup.3", "u32wrapping_mul", "dup.4", "add"]),
            ["dup", "movdn.3", "dup.3", "u32wrapping_mul", "dup.4", "add"]
        );
    }

    #[test]
    fn a_deeper_copy_is_made_first_when_the_top_is_copied_over_it() {
        // [d, _, _, _, s]: load the word at s + 4, keep d above it for the store.
        assert_eq!(
            opt(&["dup", "dup.5", "add.4", "div.4", "mem_load", "swap"]),
            ["dup.4", "add.4", "div.4", "mem_load", "dup.1"]
        );
        // dup.9 would become dup.8 (3 cycles instead of 1): unchanged.
        assert_eq!(
            opt(&["dup", "dup.9", "add.4", "swap"]),
            ["dup", "dup.9", "add.4", "swap"]
        );
    }

    #[test]
    fn a_store_computes_its_value_before_its_address() {
        // [x, i, _, _, _, seed]: address from i, value x ^ seed.
        assert_eq!(
            opt(&[
                "dup.1",
                "sub.7",
                "dup.1",
                "dup.6",
                "u32xor",
                "swap",
                "div.4",
                "mem_store"
            ]),
            [
                "dup",
                "dup.5",
                "u32xor",
                "dup.2",
                "sub.7",
                "div.4",
                "mem_store"
            ]
        );
        // A value computed from the address itself keeps its order.
        let window = [
            "dup.1",
            "sub.7",
            "dup",
            "dup.6",
            "u32xor",
            "swap",
            "div.4",
            "mem_store",
        ];
        assert_eq!(opt(&window), window);
    }

    #[test]
    fn rules_match_either_spelling_of_a_copy_of_the_top() {
        // `local.tee` of an updated local, its copy spelt `dup.0`.
        assert_eq!(
            opt(&[
                "dup.1",
                "push.2",
                "u32wrapping_add",
                "dup.0",
                "swap.3",
                "drop"
            ]),
            ["swap", "push.2", "u32wrapping_add", "dup", "movdn.2"]
        );
    }

    #[test]
    fn comparisons_of_two_copies_take_the_cheaper_mirror() {
        // S[1] > S[3] is S[3] < S[1]; S[0] <= S[0] stays (no other order to copy in).
        assert_eq!(
            opt(&["dup.1", "dup.4", "u32gt"]),
            ["dup.3", "dup.2", "u32lt"]
        );
        assert_eq!(
            opt(&["dup.2", "dup.1", "u32lte"]),
            ["dup", "dup.3", "u32gte"]
        );
        assert_eq!(opt(&["dup", "dup", "u32gt"]), ["dup", "dup", "u32gt"]);
        // A computed value: the copy is made first. `dup.5 dup.6 mul` squares S[5]; S[2] is
        // `dup.3` after it and `dup.2` before; the squaring's reads move one deeper.
        assert_eq!(
            opt(&["dup.5", "dup.6", "u32wrapping_mul", "dup.3", "u32gt"]),
            ["dup.2", "dup.6", "dup.7", "u32wrapping_mul", "u32lt"]
        );
        // `dup` of P's own value stays; a read that would become `dup.8` (3 cycles) does not
        // pay off.
        assert_eq!(
            opt(&["dup.4", "dup", "u32wrapping_mul", "dup.2", "u32lte"]),
            ["dup.1", "dup.5", "dup", "u32wrapping_mul", "u32gte"]
        );
        assert_eq!(
            opt(&["dup.7", "dup.7", "add", "dup.1", "u32gt"]),
            ["dup.7", "dup.7", "add", "dup.1", "u32gt"]
        );
    }

    #[test]
    fn rules_rewrite_their_windows() {
        assert_eq!(opt(&["push.0", "push.7", "swap", "drop"]), ["push.7"]);
        assert_eq!(opt(&["dup", "push.1", "u32lt"]), ["dup", "eq.0"]);
        assert_eq!(
            opt(&[
                "dup.1",
                "dup.1",
                "u32wrapping_add",
                "movdn.2",
                "drop",
                "drop"
            ]),
            ["u32wrapping_add"]
        );
        // Never `drop push.x`: the stack must not dip below its starting depth.
        assert_eq!(
            opt(&["dup.1", "push.0", "swap", "drop"]),
            ["dup.1", "push.0", "swap", "drop"]
        );
        assert_eq!(
            opt(&["dup.1", "push.4294967295", "u32wrapping_add"]),
            ["dup.1", "u32wrapping_sub.1"]
        );
        assert_eq!(opt(&["dup.3", "drop", "swap", "swap", "add"]), ["add"]);
        assert_eq!(
            opt(&["push.0", "swap", "exec.::miden::core::math::u64::xor"]),
            ["u32xor"]
        );
        assert_eq!(
            opt(&["swap.2", "drop", "swap.2", "drop"]),
            ["movup.2", "drop", "movup.2", "drop"]
        );
        assert_eq!(opt(&["movup.3", "movdn.3", "dup.0"]), ["dup"]);
        // A constant store overwritten at once; not when the second store is to another slot.
        assert_eq!(
            opt(&["push.5", "swap.5", "drop", "push.3", "swap.5", "drop"]),
            ["push.3", "swap.5", "drop"]
        );
        assert_eq!(
            opt(&["push.5", "swap.5", "drop", "push.3", "swap.4", "drop"]),
            ["push.5", "swap.5", "drop", "push.3", "swap.4", "drop"]
        );
        // An increment: the felt `add.1`, then the low limb.
        assert_eq!(
            opt(&["dup.2", "push.1", "u32wrapping_add"]),
            ["dup.2", "add.1", "u32split", "swap", "drop"]
        );
        // Not a negative constant: unchanged.
        assert_eq!(
            opt(&["push.7", "u32wrapping_add"]),
            ["push.7", "u32wrapping_add"]
        );
    }
}
