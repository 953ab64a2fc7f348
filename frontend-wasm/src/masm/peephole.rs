//! Local rewrites of straight-line MASM that the one-operator-at-a-time translation leaves
//! behind: each rule replaces a short instruction window by a cheaper equivalent with the same
//! stack effect (costs from [`Inst::cycles`]). Control flow is never crossed: the rules see one
//! run of plain instructions at a time.
//!
//! No rewrite may let the stack dip below the depth the original window started at: the VM
//! never goes below 16 elements (a `drop` at that floor shifts a zero in), so `push.x swap drop`
//! and `drop push.x` differ for a function whose frame sits right on the floor, and export
//! wrappers rely on exact depths.

mod constant_shifts;
mod local_moves;
#[cfg(test)]
mod oracle_tests;
mod three_way_add;

use crate::masm::{
    inst::P,
    Inst::{self, Dup, Exec, Imm, MovDn, MovUp, Push, Swap},
    Op,
};

/// Rewrites `ops` until no rule applies.
pub fn optimize(mut ops: Vec<Inst>) -> Vec<Inst> {
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
fn lower_increments(ops: Vec<Inst>) -> Vec<Inst> {
    let mut out = Vec::with_capacity(ops.len());
    let mut i = 0;
    while i < ops.len() {
        if ops[i] == Push(1) && ops.get(i + 1) == Some(&Inst::Op(Op::U32WrappingAdd)) {
            out.extend([
                Imm(Op::Add, 1),
                Inst::Op(Op::U32Split),
                Inst::SWAP,
                Inst::DROP,
            ]);
            i += 2;
        } else {
            out.push(ops[i].clone());
            i += 1;
        }
    }
    out
}

/// A rule that rewrites the window starting at `ops[i]`: the new instructions and how many
/// old ones they replace.
type WindowRule = fn(&[Inst], usize) -> Option<(Vec<Inst>, usize)>;

/// The cycles of a run of instructions, by the measured costs.
fn cycles(ops: &[Inst]) -> u64 {
    ops.iter().map(Inst::cycles).sum()
}

/// `p` with its reads of the stack it started on moved: `p` may only copy (`dup`), push
/// constants and combine its own values with binary instructions, ending with one value; a
/// copy of start position `f` becomes a copy of `remap(f)` (`None`: `p` cannot move).
fn remap_reads(p: &[Inst], remap: impl Fn(usize) -> Option<usize>) -> Option<Vec<Inst>> {
    remap_reads_of(p, false, remap)
}

/// [`remap_reads`], also letting `p` transform its own top value (`unary`: `add.4`, `div.4`,
/// `mem_load`, `u32rotl.7`) and load from a constant address.
fn remap_reads_of(
    p: &[Inst],
    unary: bool,
    remap: impl Fn(usize) -> Option<usize>,
) -> Option<Vec<Inst>> {
    let mut out = Vec::with_capacity(p.len());
    let mut height = 0usize;
    for op in p {
        if let Some(n) = op.dup_index() {
            // Copies of P's own values stay; deeper ones are at n - height where P started.
            let n = if n < height {
                n
            } else {
                remap(n - height)? + height
            };
            if n > 15 {
                return None;
            }
            out.push(Inst::dup(n));
            height += 1;
        } else if op.push_value().is_some() {
            out.push(op.clone());
            height += 1;
        } else if op.is_binary() && height >= 2 {
            out.push(op.clone());
            height -= 1;
        } else if unary && op.is_unary() && height >= 1 {
            out.push(op.clone());
        } else if unary && matches!(op, Inst::Imm(Op::MemLoad, _)) {
            out.push(op.clone());
            height += 1;
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
fn store_then_compare(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let MovDn(k) = *ops.get(i + 1)? else {
        return None;
    };
    let k = k as usize;
    if ops[i] != Inst::DUP || k < 3 || ops.get(i + 2)?.dup_index()? != k {
        return None;
    }
    let copies = [Inst::dup(k - 1), Inst::dup(k)];
    if cycles(&copies) > cycles(&ops[i..i + 1]) + cycles(&ops[i + 2..i + 3]) {
        return None;
    }
    let tail = &ops[i + 3..ops.len().min(i + 3 + 6)];
    let window: Vec<Inst> = copies.into_iter().chain(tail.iter().cloned()).collect();
    let (compared, consumed) = compare_with_copy_first(&window, 0)?;
    let out = [Inst::movdn(k - 1), compared].concat();
    Some((out, consumed + 1))
}

/// `E P swap`, E a copy with instructions that replace only the top (an address) and P a
/// short computation from copies and constants that does not read E's value (the value to
/// store), is `P' E'`: P first with its reads one shallower, then E with its copy one
/// deeper, and no `swap` (a store's operands computed in the order it takes them). Applied
/// when cheaper.
fn operands_in_order(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let a = ops.get(i)?.dup_index()?;
    let unary = local_moves::unary_run(ops, i + 1);
    let p_start = i + 1 + unary;
    for len in 2..=6 {
        if ops.get(p_start + len) != Some(&Inst::SWAP) || a + 1 > 15 {
            continue;
        }
        // Without E's value (start position 0, which P must not read) P reads one shallower.
        let Some(mut moved) = remap_reads(&ops[p_start..p_start + len], |f| f.checked_sub(1))
        else {
            continue;
        };
        moved.push(Inst::dup(a + 1));
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
fn copy_pair_in_order(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    if *ops.get(i)? != Inst::DUP {
        return None;
    }
    let j = ops.get(i + 1)?.dup_index().filter(|j| *j >= 1)?;
    let unary = local_moves::unary_run(ops, i + 2);
    if unary == 0 || ops.get(i + 2 + unary) != Some(&Inst::SWAP) {
        return None;
    }
    let first = Inst::dup(j - 1);
    if first.cycles() > ops[i + 1].cycles() {
        return None;
    }
    let out = [
        vec![first],
        ops[i + 2..i + 2 + unary].to_vec(),
        vec![Dup(1)],
    ]
    .concat();
    Some((out, unary + 3))
}

/// The mirrored comparison: `a > b` is `b < a`, `a <= b` is `b >= a`.
fn mirrored(cmp: &Inst) -> Option<Inst> {
    match cmp {
        Inst::Op(Op::U32Gt) => Some(Inst::Op(Op::U32Lt)),
        Inst::Op(Op::U32Lte) => Some(Inst::Op(Op::U32Gte)),
        _ => None,
    }
}

/// A value computed from copies, then compared with another copy by `u32gt` (3 cycles) or
/// `u32lte` (4): `P dup.k u32gt` → `dup.(k-1) P' u32lt` (2) — the copy made first, `P`'s reads
/// below its own values one deeper, and the mirrored comparison (`u32lte` → `u32gte`, 3).
/// `P` (2 to 6 instructions) may only copy (`dup`), push constants and combine its own values
/// with binary instructions, ending with one value. Applied only when it is cheaper by the
/// measured costs (a `dup.7` becoming `dup.8` costs 2 more).
fn compare_with_copy_first(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    for len in 2..=6 {
        let (Some(copy), Some(cmp)) = (ops.get(i + len), ops.get(i + len + 1)) else {
            return None;
        };
        let Some(mirrored) = mirrored(cmp) else {
            continue;
        };
        let Some(k) = copy.dup_index().filter(|k| *k >= 1) else {
            continue;
        };
        // Below the copy made first, P's reads sit one deeper.
        let Some(p) = remap_reads(&ops[i..i + len], |f| Some(f + 1)) else {
            continue;
        };
        let rewritten = [vec![Inst::dup(k - 1)], p, vec![mirrored]].concat();
        if cycles(&rewritten) < cycles(&ops[i..i + len + 2]) {
            return Some((rewritten, len + 2));
        }
    }
    None
}

/// The window rules of a pass, in the order they are tried at each instruction, by the names
/// the semantic oracle (`peephole/oracle_tests.rs`) checks them under.
const RULES: &[(&str, WindowRule)] = &[
    ("dropped_value", dropped_value),
    ("folded_adds", folded_adds),
    ("overwritten_constant", overwritten_constant),
    ("copy_pair_in_order", copy_pair_in_order),
    ("pair_update", local_moves::pair_update),
    ("unary_update", local_moves::unary_update),
    ("unary_tee", local_moves::unary_tee),
    ("binary_update", local_moves::binary_update),
    ("update_around_body", local_moves::update_around_body),
    ("operands_in_order", operands_in_order),
    ("zero_extended_limb_op", zero_extended_limb_op),
    ("zero_extended_mul", zero_extended_mul),
    ("i64_store_moves", i64_store_moves),
    ("commutative_swap", commutative_swap),
    ("undone_moves", undone_moves),
    ("swapped_copies", swapped_copies),
    ("negative_increment", negative_increment),
    ("shift_by_constant", constant_shifts::shift_by_constant),
    (
        "signed_division_by_power_of_two",
        constant_shifts::signed_division_by_power_of_two,
    ),
    ("high_limb_dropped", high_limb_dropped),
    ("compare_with_zero_or_one", compare_with_zero_or_one),
    ("signed_compare_with_constant", signed_compare_with_constant),
    ("compare_with_copy_first", compare_with_copy_first),
    ("store_then_compare", store_then_compare),
    ("mirrored_copies", mirrored_copies),
    ("result_of_last_two", result_of_last_two),
    ("three_way_add", three_way_add::three_way_add),
];

/// Whether the instructions from `ops[i]` on are `window`.
fn starts_with(ops: &[Inst], i: usize, window: &[Inst]) -> bool {
    ops.get(i..i + window.len()) == Some(window)
}

/// Two constant additions in a row (`add.4 add.1056`, an unrolled pass's offset and a table's
/// base) are one: field addition is associative, so `add.(a + b mod p)`, or nothing for a sum
/// of zero.
fn folded_adds(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let (Imm(Op::Add, a), Imm(Op::Add, b)) = (ops.get(i)?, ops.get(i + 1)?) else {
        return None;
    };
    let sum = ((u128::from(*a) + u128::from(*b)) % u128::from(P)) as u64;
    Some((
        if sum == 0 {
            Vec::new()
        } else {
            vec![Imm(Op::Add, sum)]
        },
        2,
    ))
}

/// A value pushed or copied and then dropped: nothing.
fn dropped_value(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let a = ops.get(i)?;
    (ops.get(i + 1) == Some(&Inst::DROP) && (a.push_value().is_some() || a.dup_index().is_some()))
        .then(|| (Vec::new(), 2))
}

/// A constant stored to a stack slot that the next instructions overwrite with another
/// constant (`push.a swap.k drop push.b swap.k drop`): only the second store.
fn overwritten_constant(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let [a, b, drop, c, b2, drop2] = ops.get(i..i + 6)? else {
        return None;
    };
    (a.push_value().is_some()
        && matches!(b, Swap(_))
        && *drop == Inst::DROP
        && c.push_value().is_some()
        && b2 == b
        && *drop2 == Inst::DROP)
        .then(|| (Vec::new(), 3))
}

/// The `miden::core` 64-bit arithmetic procedures, by the name after this prefix.
pub(crate) const U64: &str = "::miden::core::math::u64::";

/// The `miden::core::math::u64` procedure `exec` runs, if it is one.
fn u64_proc(inst: &Inst) -> Option<&str> {
    match inst {
        Exec(target) => target.strip_prefix(U64),
        _ => None,
    }
}

/// An i64 xor/or with a zero-extended i32 (`push.0 swap` makes [v, 0] from v) leaves the high
/// limb as it is: the u32 instruction on the low limbs alone.
fn zero_extended_limb_op(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    if !starts_with(ops, i, &[Push(0), Inst::SWAP]) {
        return None;
    }
    let limb_op = match u64_proc(ops.get(i + 2)?)? {
        "xor" => Op::U32Xor,
        "or" => Op::U32Or,
        _ => return None,
    };
    Some((vec![Inst::Op(limb_op)], 3))
}

/// An i64 product with a zero-extended i32 `v` (`push.0 swap` makes [v, 0] from v): with `a`
/// below, `a · v mod 2^64` is the low limbs' widening product with `a_hi · v` added to its high
/// half: 7 cycles where `u64::wrapping_mul` costs 15 after the `push.0 swap`.
fn zero_extended_mul(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    if !starts_with(ops, i, &[Push(0), Inst::SWAP]) || u64_proc(ops.get(i + 2)?)? != "wrapping_mul"
    {
        return None;
    }
    // [v, a_lo, a_hi] -> [l, c, v, a_hi] (a_lo · v = c·2^32 + l) -> [a_hi · v + c, l] -> [l, h]
    let rewritten = vec![
        Inst::Dup(0),
        MovUp(2),
        Inst::Op(Op::U32WideningMul),
        MovDn(3),
        MovDn(2),
        Inst::Op(Op::U32WrappingMadd),
        Inst::SWAP,
    ];
    Some((rewritten, 3))
}

/// An i64 stored into the two-felt local right below it: `swap.2 drop` twice costs 6,
/// `movup.2 drop` twice 4 (both leave [lo, hi] in the local's place).
fn i64_store_moves(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    starts_with(ops, i, &[Swap(2), Inst::DROP, Swap(2), Inst::DROP])
        .then(|| (vec![MovUp(2), Inst::DROP, MovUp(2), Inst::DROP], 4))
}

/// The operands of a commutative instruction need no swap.
fn commutative_swap(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    (*ops.get(i)? == Inst::SWAP && ops.get(i + 1)?.is_commutative()).then(|| (Vec::new(), 1))
}

/// Moves that undo each other: `swap swap`, `movup.n movdn.n`, `movdn.n movup.n`.
fn undone_moves(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let undone = match (ops.get(i)?, ops.get(i + 1)?) {
        (Swap(1), Swap(1)) => true,
        (MovUp(x), MovDn(y)) | (MovDn(x), MovUp(y)) => x == y,
        _ => false,
    };
    undone.then(|| (Vec::new(), 2))
}

/// Two copies of one element swapped, `dup.k dup.(k+1) swap` (a byte stored at its own
/// index copies the index twice): the two are equal, so the swap does nothing.
fn swapped_copies(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let k = ops.get(i)?.dup_index()?;
    let j = ops.get(i + 1)?.dup_index()?;
    (j == k + 1 && *ops.get(i + 2)? == Inst::SWAP).then(|| (ops[i..i + 2].to_vec(), 3))
}

/// `push.K u32wrapping_add` with K = 2^32 - k (adding a negative i32 constant):
/// `u32wrapping_sub.k`, 3 cycles instead of 4.
fn negative_increment(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let k = ops.get(i)?.push_value()?;
    (*ops.get(i + 1)? == Inst::Op(Op::U32WrappingAdd) && (1 << 31..1 << 32).contains(&k))
        .then(|| (vec![Imm(Op::U32WrappingSub, (1u64 << 32) - k)], 2))
}

/// `push.a push.b swap drop` is `push.b` (an i64 constant whose high limb an i64 shift count
/// or `i32.wrap_i64` discards).
fn high_limb_dropped(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let [a, b, swap, drop] = ops.get(i..i + 4)? else {
        return None;
    };
    (a.push_value().is_some()
        && b.push_value().is_some()
        && *swap == Inst::SWAP
        && *drop == Inst::DROP)
        .then(|| (vec![b.clone()], 4))
}

/// The runtime procedure that flips the sign bits of the top two i32s (signed comparisons
/// become unsigned ones).
const FLIP_SIGNS: &str = "wasm_i32_flip_signs";

/// A signed comparison with a constant, `push.c exec.wasm_i32_flip_signs` (7 cycles), flips
/// the constant when compiling: `u32xor.2^31 push.(c ^ 2^31)` (3). Against 0 it is a test of
/// the sign bit: `x <s 0` is `u32shr.31` (3 cycles instead of 6 more), `x >s -1` is
/// `u32lt.2^31` (4).
fn signed_compare_with_constant(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    const SIGN: u64 = 1 << 31;
    let c = ops.get(i)?.push_value().filter(|c| *c < 1 << 32)?;
    if !matches!(ops.get(i + 1)?, Exec(t) if t == FLIP_SIGNS) {
        return None;
    }
    let sign_test = match (c ^ SIGN, ops.get(i + 2)) {
        (SIGN, Some(Inst::Op(Op::U32Lt))) => Some(Imm(Op::U32Shr, 31)),
        (0x7FFF_FFFF, Some(Inst::Op(Op::U32Gt))) => Some(Imm(Op::U32Lt, SIGN)),
        _ => None,
    };
    Some(match sign_test {
        Some(test) => (vec![test], 3),
        None => (vec![Imm(Op::U32Xor, SIGN), Push(c ^ SIGN)], 2),
    })
}

/// Comparisons with 0 and 1 that have a cheaper test of zero.
fn compare_with_zero_or_one(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let Inst::Op(cmp) = ops.get(i + 1)? else {
        return None;
    };
    let test = match (ops.get(i)?.push_value()?, cmp) {
        (0, Op::Eq) | (1, Op::U32Lt) => Op::Eq,
        (0, Op::Neq) | (0, Op::U32Gt) | (1, Op::U32Gte) => Op::Neq,
        _ => return None,
    };
    Some((vec![Imm(test, 0)], 2))
}

/// Two copies compared by `u32gt` (4 cycles) or `u32lte` (5): copied in the other order, the
/// mirrored `u32lt` (3) or `u32gte` (4). `dup.x dup.y` reads S[x] then S[y - 1];
/// `dup.(y-1) dup.(x+1)` reads the same two the other way round.
fn mirrored_copies(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let x = ops.get(i)?.dup_index()?;
    let y = ops.get(i + 1)?.dup_index()?;
    let mirrored = mirrored(ops.get(i + 2)?)?;
    (y >= 1 && x < 15).then(|| (vec![Inst::dup(y - 1), Inst::dup(x + 1), mirrored], 3))
}

/// `dup.1 dup.1 <op> movdn.2 drop drop` computes op on the top two values and then drops them
/// (a function returning an expression of its last two locals): `<op>`.
fn result_of_last_two(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let op = ops.get(i + 2)?;
    (starts_with(ops, i, &[Dup(1), Dup(1)])
        && op.is_binary()
        && starts_with(ops, i + 3, &[MovDn(2), Inst::DROP, Inst::DROP]))
    .then(|| (vec![op.clone()], 6))
}

/// One pass of [`RULES`] over `ops`, and whether any applied.
fn pass(ops: &[Inst]) -> (Vec<Inst>, bool) {
    let mut out: Vec<Inst> = Vec::with_capacity(ops.len());
    let mut changed = false;
    let mut i = 0;
    while i < ops.len() {
        if let Some((rewritten, consumed)) = RULES.iter().find_map(|(_, rule)| rule(ops, i)) {
            out.extend(rewritten);
            i += consumed;
            changed = true;
            continue;
        }
        out.push(ops[i].clone());
        i += 1;
    }
    (out, changed)
}

/// The instructions that turn a boolean condition on top into `then_value` (condition 1) or
/// `else_value` (condition 0) without a branch: `b + c * (a - b)` in the field, which is
/// exact for c in {0, 1}.
pub fn select_constants(then_value: u64, else_value: u64) -> Vec<Inst> {
    let (a, b) = (then_value, else_value);
    if a == b {
        return vec![Inst::DROP, Push(a)];
    }
    match (a, b) {
        (1, 0) => Vec::new(),
        (0, 1) => vec![Imm(Op::Eq, 0)],
        (_, 0) => vec![Imm(Op::Mul, a)],
        _ => {
            let d = if a >= b { a - b } else { P - (b - a) };
            let mut ops = Vec::new();
            if d != 1 {
                ops.push(Imm(Op::Mul, d));
            }
            ops.push(Imm(Op::Add, b));
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
        optimize(ops.iter().map(|s| Inst::from(*s)).collect())
            .iter()
            .map(Inst::to_string)
            .collect()
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
