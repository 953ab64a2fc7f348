//! Unit tests of loop versioning: shapes, coverage, unrolling and anchors.

use super::anchors::word_copy_at;
use super::*;

/// The body of a function with parameters (n, base) and locals (i, acc).
fn ops(body: &str) -> Vec<Operator<'static>> {
    let wat =
        format!("(module (memory 1) (func (param i32 i32) (local i32 i32) (local i64) {body}))");
    crate::analysis::test_support::first_body_ops(&wat)
}

fn versioned(body: &str) -> (Vec<Operator<'static>>, Vec<usize>) {
    let mut ops = ops(body);
    let mut offsets = vec![0; ops.len()];
    let mut unchecked: Vec<usize> = version_loops(&mut ops, &mut offsets, &|_| Callee::Other)
        .unchecked
        .into_iter()
        .collect();
    assert_eq!(ops.len(), offsets.len());
    unchecked.sort_unstable();
    (ops, unchecked)
}

const BACK_EDGE: &str = "local.get 2 i32.const 1 i32.add local.tee 2 local.get 0 i32.lt_u br_if 0";

#[test]
fn a_loop_below_a_local_bound_gets_an_unchecked_copy() {
    let body = format!(
        "loop local.get 1 local.get 2 i32.add i32.load8_u offset=3 local.get 3 i32.add \
         local.set 3 local.get 2 local.get 2 i32.store8 {BACK_EDGE} end"
    );
    let (ops, unchecked) = versioned(&body);
    let at = |pred: fn(&Operator<'_>) -> bool| ops.iter().position(pred).unwrap();
    // The checked loop follows the last `else` (the unrolled section has one of its own).
    let (fast, els) = (
        at(|o| matches!(o, Operator::Loop { .. })),
        ops.iter()
            .rposition(|o| matches!(o, Operator::Else))
            .unwrap(),
    );
    // Both accesses of every unchecked copy (four unrolled, as the body is longer than
    // 16 operators; single iterations until base + i is a multiple of 4, for the bytes;
    // and one at a time), none of the checked loop's.
    assert_eq!(unchecked.len(), 2 * 6);
    assert!(unchecked.iter().all(|j| *j > fast && *j < els));
    assert!(matches!(
        ops[fast - 1],
        Operator::BrIf { relative_depth: 0 }
    ));
    assert_eq!(
        ops.iter()
            .filter(|o| matches!(o, Operator::Loop { .. }))
            .count(),
        4
    );
    // The byte accesses of the unrolled copies know where in their element they fall.
    let mut offsets = vec![0; ops.len()];
    let mut again = self::ops(&body);
    offsets.resize(again.len(), 0);
    let residues = version_loops(&mut again, &mut offsets, &|_| Callee::Other).residues;
    assert_eq!(residues.len(), 2 * 4);
    let mut stores: Vec<(usize, u32)> = residues
        .iter()
        .filter(|(j, _)| matches!(again[**j], Operator::I32Store8 { .. }))
        .map(|(j, r)| (*j, *r))
        .collect();
    stores.sort_unstable();
    assert_eq!(
        stores.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
}

#[test]
fn a_counter_stepped_before_its_accesses_is_recognised() {
    // Rust's reverse iteration: `k -= 4` feeds the address, `k != 0` repeats.
    let body = "loop local.get 3 local.get 2 i32.const -4 i32.add local.tee 2 local.get 1 \
        i32.add i32.load i32.add local.set 3 local.get 2 br_if 0 end";
    let (_, unchecked) = versioned(body);
    // Thirty-two unrolled copies (a short body reading words ahead), the single iterations
    // that align those words, and the loop of the rest.
    assert_eq!(unchecked.len(), 34);
    // A second way back to the loop head could skip the test: left alone.
    let body = "loop local.get 2 i32.const 1 i32.add local.set 2 local.get 2 i32.load8_u \
        br_if 0 local.get 2 local.get 0 i32.lt_u br_if 0 end";
    assert!(versioned(body).1.is_empty());
}

#[test]
fn a_pointer_stepped_beside_the_counter_is_covered() {
    // clang's unrolled loop: `*p = …; p += 16` with the counter's test `n (i + 4) ne`.
    let body = "loop local.get 1 local.get 2 i32.store local.get 1 i32.const 12 i32.add \
        local.get 2 i32.store local.get 1 i32.const 16 i32.add local.set 1 \
        local.get 0 local.get 2 i32.const 4 i32.add local.tee 2 i32.ne br_if 0 end";
    assert_eq!(versioned(body).1.len(), 2 * 5);
    // A pointer also written elsewhere in the body is not derived.
    let body = "loop local.get 1 local.get 2 i32.store local.get 1 i32.const 16 i32.add \
        local.set 1 local.get 3 local.set 1 \
        local.get 0 local.get 2 i32.const 4 i32.add local.tee 2 i32.ne br_if 0 end";
    assert!(versioned(body).1.is_empty());
}

#[test]
fn a_step_tested_by_itself_and_invariant_addresses_are_covered() {
    // LLVM counts -T up to 0 and tests the step's result (`i != 0`); local 3 is the same
    // address in every iteration (a stack temporary), local 1 a pointer.
    let body = "loop local.get 3 local.get 1 i64.load i64.store local.get 1 i32.const 16 \
        i32.add local.set 1 local.get 2 i32.const 2 i32.add local.tee 2 br_if 0 end";
    let (ops, unchecked) = versioned(body);
    // Eight unrolled copies and one at a time, two accesses each.
    assert_eq!(unchecked.len(), 2 * 9);
    // The counter may start above 2^31: the test asks i != 0, not i < 0.
    let test_end = ops
        .iter()
        .position(|o| matches!(o, Operator::If { .. }))
        .unwrap();
    assert!(matches!(
        ops[1..3],
        [Operator::I32Const { value: 0 }, Operator::I32Ne]
    ));
    assert!(!ops[..test_end]
        .iter()
        .any(|o| matches!(o, Operator::I32LtU)));
    // Invariant addresses alone are left to the checked loop.
    let body = "loop local.get 3 i64.load drop local.get 2 i32.const 2 i32.add local.tee 2 \
        br_if 0 end";
    assert!(versioned(body).1.is_empty());
}

#[test]
fn merges_of_words_at_multiples_of_16_are_found() {
    // merge_words(p, p + 16, t) with p stepped by 32 and t unwritten (function 0 stands
    // for the intrinsic), beside a covered byte load (which keeps p a byte address).
    let body = "loop local.get 1 local.get 1 i32.const 16 i32.add local.get 3 call 0 \
        local.get 1 i32.load8_u drop local.get 1 i32.const 32 i32.add local.set 1 \
        local.get 2 i32.const 2 i32.add local.tee 2 br_if 0 end";
    let mut ops = ops(body);
    let mut offsets = vec![0; ops.len()];
    let versioned = version_loops(&mut ops, &mut offsets, &merge_words_at_0);
    // Every unrolled copy's call (four: the body is longer than 16 operators); the
    // one-at-a-time copy keeps the run-time test.
    assert_eq!(versioned.word_merges.len(), 4);
    assert!(versioned.element_addressed.is_empty());
    assert!(versioned
        .word_merges
        .iter()
        .all(|j| matches!(ops[*j], Operator::Call { function_index: 0 })));
    // The passes need p and t multiples of 16.
    let fifteen = ops
        .windows(2)
        .filter(|w| matches!(w, [Operator::I32Const { value: 15 }, Operator::I32And]))
        .count();
    assert_eq!(fifteen, 2);
    // A pointer stepped by 8 cannot stay aligned: no word merges.
    let body = body.replace("i32.const 32", "i32.const 8");
    let mut ops = self::ops(&body);
    let mut offsets = vec![0; ops.len()];
    assert!(version_loops(&mut ops, &mut offsets, &merge_words_at_0)
        .word_merges
        .is_empty());
}

#[test]
fn a_merge_levels_pointers_are_held_as_element_addresses() {
    // merge_words(p, p + 16, t), then t copied to q, with p += 32 and q += 16: nothing else
    // reads p, q or t.
    let body = "loop local.get 1 local.get 1 i32.const 16 i32.add local.get 3 call 0 \
        local.get 0 local.get 3 i64.load offset=8 i64.store offset=8 \
        local.get 0 local.get 3 i64.load i64.store \
        local.get 1 i32.const 32 i32.add local.set 1 local.get 0 i32.const 16 i32.add \
        local.set 0 local.get 2 i32.const 2 i32.add local.tee 2 br_if 0 end";
    let mut ops = ops(body);
    let mut offsets = vec![0; ops.len()];
    let versioned = version_loops(&mut ops, &mut offsets, &merge_words_at_0);
    // Sixteen copies per pass, each merge and copy taking element addresses.
    assert_eq!(versioned.word_merges.len(), 16);
    assert_eq!(versioned.element_addressed.len(), 32);
    let shifts = |shift: Operator<'static>| {
        ops.windows(4)
            .filter(|w| {
                matches!(w, [Operator::LocalGet { local_index: a }, Operator::I32Const { value: 2 }, s, Operator::LocalSet { local_index: b }] if a == b && *s == shift)
            })
            .count()
    };
    // p, q and t are divided by 4 before the passes and multiplied back after them.
    assert_eq!(
        (shifts(Operator::I32ShrU), shifts(Operator::I32Shl)),
        (3, 3)
    );
    // Copy k reads p + 8k and q + 4k elements (p + 16 bytes is p + 4 + 8k): the steps are
    // one per pass, of 16 · 8 and 16 · 4 elements.
    let mut added: Vec<u32> = versioned.read_offsets.values().copied().collect();
    added.sort_unstable();
    let mut want: Vec<u32> = (1..16).flat_map(|k| [8 * k, 4 * k, 4 * k]).collect();
    want.sort_unstable();
    assert_eq!(added, want);
    let consts = |value: i32| {
        ops.iter()
            .filter(|o| **o == Operator::I32Const { value })
            .count()
    };
    assert_eq!((consts(4 + 8 * 15), consts(128), consts(64)), (1, 1, 1));
    // An aligned 4-byte load at p takes an element address too (each copy's merge, copy and
    // load); a byte load at p keeps p a byte address.
    let with_load = |load: &str| {
        let body = body.replace("call 0", &format!("call 0 local.get 1 {load} drop"));
        let mut ops = self::ops(&body);
        let mut offsets = vec![0; ops.len()];
        version_loops(&mut ops, &mut offsets, &merge_words_at_0)
    };
    assert_eq!(with_load("i32.load offset=4").element_addressed.len(), 48);
    let versioned = with_load("i32.load8_u");
    assert!(!versioned.word_merges.is_empty());
    assert!(versioned.element_addressed.is_empty() && versioned.read_offsets.is_empty());
}

#[test]
fn sixteen_byte_copies_are_recognised_in_either_order() {
    let copy = |first: u64, second: u64, q: u32, t: u32| {
        ops(&format!(
            "local.get {q} local.get {t} i64.load offset={first} i64.store offset={first} \
             local.get {q} local.get {t} i64.load offset={second} i64.store offset={second}"
        ))
    };
    assert_eq!(word_copy_at(&copy(8, 0, 3, 1), 0), Some((3, 1)));
    assert_eq!(word_copy_at(&copy(0, 8, 3, 1), 0), Some((3, 1)));
    // The same half twice, a copy onto itself, a gap between the halves.
    assert_eq!(word_copy_at(&copy(8, 8, 3, 1), 0), None);
    assert_eq!(word_copy_at(&copy(8, 0, 1, 1), 0), None);
    assert_eq!(word_copy_at(&copy(16, 0, 3, 1), 0), None);
}

#[test]
fn loops_that_move_their_bounds_or_cannot_be_copied_stay() {
    for body in [
        // The bound is written in the body.
        format!("loop local.get 2 i32.load drop local.get 2 local.set 0 {BACK_EDGE} end"),
        // The counter is written in the body.
        format!("loop local.get 2 i32.load local.set 2 {BACK_EDGE} end"),
        // A branch out of the loop (a search: often a few iterations).
        format!("block loop local.get 2 i32.load8_u br_if 1 {BACK_EDGE} end end"),
        // A nested loop, a `br_table`.
        format!("loop local.get 2 i32.load drop loop end {BACK_EDGE} end"),
        format!("loop block local.get 2 i32.load br_table 0 1 end {BACK_EDGE} end"),
        // No access depends on the counter.
        format!("loop local.get 1 i32.load drop {BACK_EDGE} end"),
        // A negative constant in the address of a loop counting down.
        "loop local.get 1 local.get 2 i32.add i32.const -4 i32.add i32.load drop local.get 2 \
         i32.const -1 i32.add local.tee 2 local.get 0 i32.ne br_if 0 end"
            .to_string(),
        // A constant range (the translator's counted loops).
        "i32.const 0 local.set 2 loop local.get 2 i32.load drop local.get 2 i32.const 4 \
         i32.add local.tee 2 i32.const 400 i32.lt_u br_if 0 end"
            .to_string(),
        // Counting down with `lt_u`.
        "loop local.get 2 i32.load drop local.get 2 i32.const -4 i32.add local.tee 2 \
         local.get 0 i32.lt_u br_if 0 end"
            .to_string(),
    ] {
        let (ops, unchecked) = versioned(&body);
        assert!(unchecked.is_empty(), "{body}");
        assert!(!ops.iter().any(|o| matches!(o, Operator::Else)), "{body}");
    }
}

#[test]
fn an_address_below_its_moving_part_is_bounded_from_below() {
    // `a[i - 1]` (byte i, `i - 1`): covered, and the test asks for i >= 1 on entry.
    let body = format!("loop local.get 2 i32.const -1 i32.add i32.load8_u drop {BACK_EDGE} end");
    let (ops, unchecked) = versioned(&body);
    assert!(!unchecked.is_empty(), "{ops:?}");
    let floor = [
        Operator::LocalGet { local_index: 2 },
        Operator::I32Const { value: 1 },
        Operator::I32GeU,
    ];
    assert!(ops.windows(3).any(|w| w == floor), "{ops:?}");
}

/// Function 0 is `merge_words`; the rest are ordinary calls.
fn merge_words_at_0(f: u32) -> Callee {
    if f == 0 {
        Callee::MergeWords
    } else {
        Callee::Other
    }
}

#[test]
fn words_are_read_ahead_only_in_bodies_that_write_no_memory() {
    // An order-sensitive fold of two loads from base (local 1), counter 2, bound 0, acc 3.
    let fold = "loop local.get 3 i32.const 31 i32.mul local.get 1 local.get 2 i32.const 2 \
        i32.shl i32.add i32.load i32.add local.get 1 local.get 2 i32.const 2 i32.shl i32.add \
        i32.load offset=16 i32.xor local.set 3 local.get 2 i32.const 1 i32.add local.tee 2 \
        local.get 0 i32.lt_u br_if 0 end";
    let mut body = ops(fold);
    let mut offsets = vec![0; body.len()];
    let versioned = version_loops(&mut body, &mut offsets, &|_| Callee::Other);
    // Four copies per pass: one group, two words read at its start, eight loads served.
    assert_eq!(versioned.preloads.values().map(Vec::len).sum::<usize>(), 2);
    assert_eq!(versioned.takes.len(), 8);
    for (start, load) in &versioned.takes {
        assert!(
            matches!(body[*load], Operator::I32Load { .. }),
            "{start} -> {load}"
        );
    }
    // A store anywhere in the body: the copies' loads stay where they are.
    let storing = fold.replace(
        "local.set 3",
        "local.tee 3 local.get 1 local.get 3 i32.store",
    );
    let mut body = ops(&storing);
    let mut offsets = vec![0; body.len()];
    let versioned = version_loops(&mut body, &mut offsets, &|_| Callee::Other);
    assert!(versioned.preloads.is_empty() && versioned.takes.is_empty());
    // A load inside an `if` (taken on one path only): left alone too.
    let branching = fold.replace(
        "i32.load offset=16 i32.xor",
        "i32.const 1 i32.and if (result i32) local.get 1 i32.load else i32.const 0 end \
            i32.xor",
    );
    let mut body = ops(&branching);
    let mut offsets = vec![0; body.len()];
    let versioned = version_loops(&mut body, &mut offsets, &|_| Callee::Other);
    assert!(versioned.preloads.is_empty() && versioned.takes.is_empty());
}
