//! Every peephole rule checked by the semantic oracle (`masm/oracle.rs`): random instances of
//! the rule's pattern (with random instructions before and after it, and some near misses the
//! rule must leave alone) run on random stacks before the rewrite, after the rule alone, and
//! after all of [`optimize`]. Each rule's entry below says what its context guarantees about
//! the stack: `Felts` (anything) for the rules that only move values or whose instructions
//! accept any felt, `U32s` for the rules whose u32 instructions read the stack it starts on
//! (Wasm i32 values and i64 limbs, as the translator keeps them: `push.1 u32lt` is `eq.0` only
//! for a u32, `swap u32wrapping_sub`… commute only on u32s). Instructions around the window
//! keep to the same values.

use super::*;
use crate::masm::oracle::pieces::{binary, dup, filler, push, swap, unary_run, BINARY};
use crate::masm::oracle::{straight, Oracle, Rng, Values};
use crate::masm::Inst;

const U64: &str = "exec.::miden::core::math::u64::";

/// Checks the rule `name` of [`RULES`] on instances from `generate`.
fn check_rule(name: &str, values: Values, generate: fn(&mut Rng) -> Vec<String>) {
    let rule = RULES
        .iter()
        .find(|(rule, _)| *rule == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
        .1;
    let mut oracle = Oracle::new(name);
    while oracle.running() {
        let rng = &mut oracle.rng;
        let before: Vec<String> = (0..rng.range(0, 2)).map(|_| filler(rng, values)).collect();
        let i = before.len();
        let mut text = [before, generate(rng)].concat();
        text.extend((0..rng.range(0, 3)).map(|_| filler(rng, values)));
        let ops: Vec<Inst> = text.iter().map(Inst::from).collect();
        let rewritten = rule(&ops, i).map(|(out, consumed)| {
            assert!(
                consumed > 0 && i + consumed <= ops.len(),
                "{name}: {text:?}"
            );
            [&ops[..i], &out[..], &ops[i + consumed..]].concat()
        });
        let optimized = optimize(ops.clone());
        let start = oracle.state(values);
        let mut rewrites = vec![straight(&optimized)];
        rewrites.extend(rewritten.as_deref().map(straight));
        let rewrites: Vec<_> = rewrites.iter().map(Vec::as_slice).collect();
        oracle.check(rewritten.is_some(), &straight(&ops), &rewrites, &start);
    }
    oracle.finish();
}

/// Declares one test per rule, and a test that every rule of [`RULES`] has one.
macro_rules! oracle_tests {
    ($($rule:ident: $values:ident, $generate:expr;)*) => {
        $(
            #[test]
            fn $rule() {
                check_rule(stringify!($rule), Values::$values, $generate);
            }
        )*

        #[test]
        fn every_rule_is_checked_by_the_oracle() {
            let checked = [$(stringify!($rule)),*];
            for (rule, _) in RULES {
                assert!(checked.contains(rule), "no oracle test for {rule}");
            }
        }
    };
}

oracle_tests! {
    folded_adds: Felts, |rng| {
        // Offsets as the translator writes them, and any felt (sums that wrap, or cancel).
        let imm = |rng: &mut Rng| match rng.range(0, 2) {
            0 => 4 * rng.range(0, 300) as u64,
            1 => rng.felt(),
            _ => crate::masm::oracle::P - 4,
        };
        let (a, b) = (imm(rng), imm(rng));
        let b = if rng.chance(10) { (crate::masm::oracle::P - a) % crate::masm::oracle::P } else { b };
        vec![format!("add.{a}"), format!("add.{b}")]
    };
    dropped_value: Felts, |rng| {
        let value = if rng.chance(50) { push(rng) } else { dup(rng.range(0, 15)) };
        vec![value, "drop".into()]
    };
    overwritten_constant: Felts, |rng| {
        let k = rng.range(1, 15);
        let second = if rng.chance(85) { k } else { rng.range(1, 15) };
        vec![push(rng), swap(k), "drop".into(), push(rng), swap(second), "drop".into()]
    };
    copy_pair_in_order: Felts, |rng| {
        let first = if rng.chance(90) { "dup".into() } else { dup(rng.range(1, 3)) };
        let mut ops = vec![first, dup(rng.range(1, 15))];
        ops.extend(unary_run(rng, 1, 3));
        ops.push("swap".into());
        ops
    };
    pair_update: U32s, |rng| {
        let k = rng.range(1, 7);
        let store = [swap(k + 1), "drop".into()];
        [vec![dup(k), dup(k)], pair_body(rng, k), store.to_vec(), store.to_vec()].concat()
    };
    unary_update: Felts, |rng| {
        let k = rng.range(0, 8);
        [vec![dup(k)], unary_run(rng, 1, 3), vec![swap(k + 1), "drop".into()]].concat()
    };
    unary_tee: Felts, |rng| {
        let k = rng.range(0, 8);
        let store = vec!["dup".into(), swap(k + 2), "drop".into()];
        [vec![dup(k)], unary_run(rng, 1, 3), store].concat()
    };
    binary_update: U32s, |rng| {
        let k = rng.range(1, 9);
        vec![dup(k), binary(rng), swap(k), "drop".into()]
    };
    update_around_body: Felts, |rng| {
        // A body of felt instructions that copies other positions (now and then the slot
        // itself: a near miss), moves values across the slot, computes, consumes values from
        // between the copy and the slot, and ends one value up; then the store, or the tee's
        // store, at the slot's depth (or, now and then, next to it: a near miss).
        let k = rng.range(0, 9);
        let mut out = vec![dup(k)];
        let (mut height, mut consumed): (usize, usize) = (1, 0);
        let deep = |rng: &mut Rng, lo: usize| {
            let hi = if rng.chance(15) { 12 } else { 4 };
            rng.range(lo, hi)
        };
        for _ in 0..rng.range(1, 8) {
            match rng.range(0, 7) {
                0 | 1 => {
                    out.push(dup(deep(rng, 0)));
                    height += 1;
                }
                2 => {
                    out.push(push(rng));
                    height += 1;
                }
                3 => out.push(rng.pick(&["neg", "incr", "add.7", "mul.3"]).to_string()),
                4 => out.push(format!("movup.{}", deep(rng, 2))),
                5 => out.push(format!("movdn.{}", deep(rng, 2))),
                _ if height >= 2 => {
                    out.push(rng.pick(&BINARY[..4]).to_string());
                    height -= 1;
                }
                _ if consumed < k && rng.chance(50) => {
                    out.push(rng.pick(&BINARY[..4]).to_string());
                    consumed += 1;
                }
                _ => out.push(swap(deep(rng, 1))),
            }
        }
        out.extend((1..height).map(|_| rng.pick(&BINARY[..2]).to_string()));
        let slot = k + 1 - consumed;
        let slot = if rng.chance(10) { slot + 1 } else { slot };
        if rng.chance(30) {
            out.extend(["dup".into(), swap(slot + 1), "drop".into()]);
        } else {
            out.extend([swap(slot), "drop".into()]);
        }
        out
    };
    operands_in_order: U32s, |rng| {
        // E (an address from a copy) and P (a value; reading E's value now and then).
        let e = [vec![dup(rng.range(0, 14))], unary_run(rng, 0, 2)].concat();
        let reads = (if rng.chance(15) { 0 } else { 1 }, 14);
        let len = *rng.pick(&[3, 5]);
        // E may trap before P runs, so P (which runs first after the rewrite) must not be
        // undefined: its values stay u32s.
        let p = computation(rng, len, reads, &BINARY[2..]);
        let store = if rng.chance(50) { vec!["mem_store".to_string()] } else { Vec::new() };
        [e, p, vec!["swap".into()], store].concat()
    };
    swapped_copies: Felts, |rng| {
        let k = rng.range(0, 14);
        let j = if rng.chance(80) { k + 1 } else { rng.range(0, 15) };
        vec![dup(k), dup(j), "swap".into()]
    };
    zero_extended_limb_op: U32s, |rng| {
        let op = rng.pick(&["xor", "xor", "or", "or", "and"]);
        vec!["push.0".into(), "swap".into(), format!("{U64}{op}")]
    };
    zero_extended_mul: U32s, |_rng| {
        vec!["push.0".into(), "swap".into(), format!("{U64}wrapping_mul")]
    };
    i64_store_moves: Felts, |rng| {
        let second = if rng.chance(90) { 2 } else { rng.range(1, 4) };
        vec![swap(2), "drop".into(), swap(second), "drop".into()]
    };
    commutative_swap: U32s, |rng| vec!["swap".into(), binary(rng)];
    undone_moves: Felts, |rng| {
        let (n, m) = (rng.range(2, 15), rng.range(2, 15));
        let m = if rng.chance(85) { n } else { m };
        match rng.range(0, 2) {
            0 => vec!["swap".into(), "swap".into()],
            1 => vec![format!("movup.{n}"), format!("movdn.{m}")],
            _ => vec![format!("movdn.{n}"), format!("movup.{m}")],
        }
    };
    negative_increment: U32s, |rng| {
        let k = if rng.chance(85) { (1 << 31) + rng.next() % (1 << 31) } else { rng.u32() };
        vec![format!("push.{k}"), "u32wrapping_add".into()]
    };
    shift_by_constant: U32s, |rng| {
        let k = if rng.chance(50) { rng.range(0, 70) as u64 } else { rng.u32() };
        let (mask, op) = if rng.chance(50) {
            let ops = ["u32shl", "u32shr", "u32rotl", "u32rotr", "exec.wasm_i32_shr_s"];
            ("u32and.31", rng.pick(&ops).to_string())
        } else {
            ("u32and.63", format!("{U64}{}", rng.pick(&["shl", "shr", "rotl", "rotr"])))
        };
        vec![format!("push.{k}"), mask.into(), op]
    };
    signed_division_by_power_of_two: U32s, |rng| {
        let c = match rng.range(0, 4) {
            0 => 1u64 << rng.range(0, 31),
            1 => *rng.pick(&[0, 3, 1 << 31, u64::from(u32::MAX)]),
            _ => 1u64 << rng.range(0, 4),
        };
        let op = *rng.pick(&[crate::translate::numeric::I32_DIV_S, crate::translate::numeric::I32_REM_S]);
        vec![format!("push.{c}"), op.into()]
    };
    high_limb_dropped: Felts, |rng| vec![push(rng), push(rng), "swap".into(), "drop".into()];
    compare_with_zero_or_one: U32s, |rng| {
        const FIRES: [(u64, &str); 5] =
            [(0, "eq"), (1, "u32lt"), (0, "neq"), (0, "u32gt"), (1, "u32gte")];
        let (k, op) = if rng.chance(80) {
            *rng.pick(&FIRES)
        } else {
            (rng.range(0, 2) as u64, *rng.pick(&["eq", "neq", "u32lt", "u32lte", "u32gt"]))
        };
        vec![format!("push.{k}"), op.into()]
    };
    signed_compare_with_constant: U32s, |rng| {
        let c = match rng.range(0, 3) {
            0 => 0,
            1 => u64::from(u32::MAX),
            _ => rng.u32(),
        };
        let cmp = *rng.pick(&["u32lt", "u32gt", "u32lte", "u32gte", "eq"]);
        vec![format!("push.{c}"), "exec.wasm_i32_flip_signs".into(), cmp.into()]
    };
    compare_with_copy_first: U32s, |rng| {
        let reads = (0, if rng.chance(80) { 6 } else { 14 });
        let len = *rng.pick(&[3, 5]);
        let p = computation(rng, len, reads, &BINARY);
        [p, vec![dup(rng.range(1, 15)), comparison(rng)]].concat()
    };
    store_then_compare: U32s, |rng| {
        let k = if rng.chance(90) { rng.range(3, 8) } else { rng.range(2, 15) };
        let copy = if rng.chance(90) { k } else { rng.range(1, 15) };
        let mut ops = vec!["dup".into(), format!("movdn.{k}"), dup(copy)];
        // The two copies and one or three more instructions leave one value.
        let read = |rng: &mut Rng| dup(rng.range(0, 6));
        match rng.range(0, 2) {
            0 => ops.push(binary(rng)),
            1 => ops.extend([read(rng), binary(rng), binary(rng)]),
            _ => ops.extend([binary(rng), read(rng), binary(rng)]),
        }
        ops.extend([dup(rng.range(1, 8)), comparison(rng)]);
        ops
    };
    mirrored_copies: U32s, |rng| {
        vec![dup(rng.range(0, 15)), dup(rng.range(0, 15)), comparison(rng)]
    };
    three_way_add: U32s, |rng| {
        // One in eight reads the first sum itself (the rule must leave it alone).
        let reads = (usize::from(!rng.chance(12)), 8);
        let len = *rng.pick(&[0, 1, 1, 3, 5]);
        let mut operand = computation(rng, len, reads, &BINARY);
        if len > 0 && rng.chance(40) {
            let shift = rng.range(1, 31);
            let step = rng.pick(&["u32rotl", "u32shr", "u32and"]);
            operand.insert(rng.range(1, len), format!("{step}.{shift}"));
        }
        [vec!["u32wrapping_add".into()], operand, vec!["u32wrapping_add".into()]].concat()
    };
    result_of_last_two: U32s, |rng| {
        // One in ten with another copy or a last instruction the rule must not take.
        let mut ops = ["dup.1", "dup.1", "", "movdn.2", "drop", "drop"].map(String::from);
        ops[2] = binary(rng);
        if rng.chance(10) {
            let near = [dup(rng.range(0, 3)), dup(rng.range(0, 3)), "swap".into()];
            let at = rng.range(0, 2);
            ops[[0, 1, 5][at]] = near[at].clone();
        }
        ops.to_vec()
    };
}

/// `u32gt` or `u32lte` (which the comparison rules mirror), now and then `u32lt`.
fn comparison(rng: &mut Rng) -> String {
    rng.pick(&["u32gt", "u32gt", "u32lte", "u32lte", "u32lt"])
        .to_string()
}

/// `len` (odd) copies, constants and binary instructions that leave one value: P of
/// [`remap_reads`]. Its copies read its own values or the start positions `reads.0..=reads.1`;
/// it combines them with `ops`.
fn computation(rng: &mut Rng, len: usize, reads: (usize, usize), ops: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut height = 0usize;
    for step in 0..len {
        let remaining = len - step - 1;
        if height >= 2 && (height > remaining || rng.chance(40)) {
            out.push(rng.pick(ops).to_string());
            height -= 1;
            continue;
        }
        let read = if height > 0 && rng.chance(25) {
            rng.range(0, height - 1)
        } else {
            rng.range(reads.0, reads.1) + height
        };
        out.push(if read <= 15 && rng.chance(75) {
            dup(read)
        } else {
            format!("push.{}", rng.u32())
        });
        height += 1;
    }
    out
}

/// The body of a two-felt local's update, run on `[c0, c1, S0 … S(k-2), local, …]`: it
/// replaces the two copies by two values, reading no deeper than S(k-2). Some bodies consume
/// a copy before replacing it, and one in ten reads the local's old value as well (the rule
/// must leave both alone).
fn pair_body(rng: &mut Rng, k: usize) -> Vec<String> {
    let mut out = Vec::new();
    // Height above the two copies; reads reach start position `index - height`.
    let mut height: isize = 0;
    let lowest = if rng.chance(85) { 0 } else { -2 };
    let deepest = |height: isize| (k as isize + height).min(15);
    for _ in 0..rng.range(1, 10) {
        match rng.range(0, 6) {
            0 | 1 if deepest(height) >= 0 => {
                out.push(dup(rng.range(0, deepest(height) as usize)));
                height += 1;
            }
            2 if height > lowest && height >= 0 => {
                out.push(binary(rng));
                height -= 1;
            }
            3 if height >= -1 => out.extend(unary_run(rng, 1, 1)),
            4 if height >= 0 => out.push(rng.pick(&["swap", "u32widening_mul"]).to_string()),
            5 if height >= -1 => {
                out.push("u32split".into());
                height += 1;
            }
            _ => {
                out.push(format!("push.{}", rng.u32()));
                height += 1;
            }
        }
    }
    if rng.chance(10) && deepest(height) < 15 {
        out.push(dup(deepest(height) as usize + 1));
        height += 1;
    }
    while height < 0 {
        out.push(format!("push.{}", rng.u32()));
        height += 1;
    }
    while height > 0 {
        out.push(binary(rng));
        height -= 1;
    }
    out
}

#[test]
fn lower_increments_is_checked_by_the_oracle() {
    let mut oracle = Oracle::new("lower_increments");
    while oracle.running() {
        let rng = &mut oracle.rng;
        let one = if rng.chance(90) { "push.1" } else { "push.2" };
        let filler = |rng: &mut Rng| filler(rng, Values::U32s);
        let mut text: Vec<String> = (0..rng.range(0, 2)).map(|_| filler(rng)).collect();
        text.extend([one.to_string(), "u32wrapping_add".into()]);
        text.extend((0..rng.range(0, 2)).map(|_| filler(rng)));
        let ops: Vec<Inst> = text.iter().map(Inst::from).collect();
        let lowered = lower_increments(ops.clone());
        let start = oracle.state(Values::U32s);
        let fired = lowered != ops;
        oracle.check(fired, &straight(&ops), &[&straight(&lowered)], &start);
    }
    oracle.finish();
}

#[test]
fn select_constants_is_checked_by_the_oracle() {
    use crate::masm::oracle::Block;
    let mut oracle = Oracle::new("select_constants");
    while oracle.running() {
        let rng = &mut oracle.rng;
        let then_value = rng.felt();
        let else_value = if rng.chance(10) {
            then_value
        } else {
            rng.felt()
        };
        let push = |v: u64| vec![Block::Op(format!("push.{v}"))];
        let branch = [Block::If(push(then_value), push(else_value))];
        let select = straight(&select_constants(then_value, else_value));
        // The condition is a 0/1 value, as every `if` condition the translator emits.
        let condition = oracle.rng.range(0, 1) as u64;
        let mut start = oracle.state(Values::Felts);
        start.set(0, condition);
        oracle.check(true, &branch, &[&select], &start);
    }
    oracle.finish();
}

#[test]
fn the_pieces_are_plain_binary_instructions() {
    // The generators' binary instructions are exactly the ones the rules accept.
    for op in BINARY {
        assert!(Inst::from(op).is_binary(), "{op}");
    }
}
