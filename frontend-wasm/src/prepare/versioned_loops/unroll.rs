//! Unrolling the unchecked copy of a versioned loop: F iterations per back edge while at least
//! that many remain, then the rest one at a time (F = 8 or 32 for short bodies, 4 for the others;
//! [`factor`]).
//!
//! ```text
//! C(i)  if  loop  body′ … body′  body″  end  T(i)  else  i32.const 1  end
//! if  loop  body  end  end
//! ```
//!
//! `body′` is the body without its test (the step stays), `body″` the last copy, whose back
//! edge tests `C` on the stepped counter. `C(i)` holds when the next F iterations all
//! run, given that the next one does: for a counter `i` tested after its step `s`, the tests of
//! `i + s`, …, `i + (F − 1)·s` all pass, which for the monotone tests is the last of them.
//! `T(i)` is the loop's own test of the current counter: whether another iteration runs after
//! the unrolled ones. On entry the first iteration runs anyway (a `loop` is a do-while).
//!
//! A counter read at most once (besides its own step) is folded: copy k reads `i + k·s`, or
//! `i + (k + 1)·s` after a step in the body (which then writes nothing), and the pass steps
//! `i` once by `F·s`.
//!
//! Only bodies without branches (but for the back edge) are unrolled: a branch to the loop
//! head would skip copies and their test.

use wasmparser::Operator;

use super::element_pointers::{convert, ElementPointers};
use super::shape::{any_branch, Bound, Counter};
use super::Anchor;

/// Iterations per pass of an unrolled copy of a body of `len` operators: eight for a short
/// body, whose test and back edge are a large part of an iteration (thirty-two when it reads
/// words ahead, which leaves a few cycles per iteration besides the test), and for a body of
/// word merges held in element addresses (a few dozen cycles besides the hashing); four
/// otherwise.
pub(super) fn factor(len: usize, reads_words: bool, elements: bool) -> i64 {
    match (len <= SHORT_BODY, reads_words) {
        (true, true) => 32,
        (true, false) => 8,
        (false, _) if elements => 16,
        (false, _) => 4,
    }
}

/// Bodies of at most this many operators are unrolled eight times.
const SHORT_BODY: usize = 16;

/// Bodies longer than this many operators are not unrolled.
const MAX_UNROLLED_BODY: usize = 64;

/// The largest `(F − 1)·|s|` unrolled: `i + (F − 1)·s` stays below 2^32 for every counter
/// value an unchecked copy takes (below the memory size, at most 2^32 − 2^16).
const MAX_REACH: u32 = 1 << 16;

/// The unrolled section and where the body's operators landed (for the per-operator facts).
pub(super) struct Unrolled<'b> {
    /// `C(i)  if  loop … end  T(i)  else  i32.const 1  end`, leaving whether the rest runs.
    pub(super) ops: Vec<Operator<'b>>,
    /// Per copy, the index in `ops` of each operator of the body before its back edge.
    pub(super) copies: Vec<Vec<usize>>,
    /// The index in `ops` of the unrolled `loop`.
    pub(super) loop_at: usize,
    /// The `i32.add`s that form `i + k·s` in copy `k`: a value the counter takes in a later
    /// iteration of the pass, below the memory size, so they never wrap.
    pub(super) counter_adds: Vec<usize>,
    /// Where the body's operators landed in the loop that runs single iterations until the
    /// anchors are aligned, when there are anchors to align. `ops` then opens a `block` that
    /// the caller closes after the rest: the peeling leaves it when no iteration remains.
    pub(super) peel: Option<Vec<usize>>,
    /// Whether the passes read words ahead: the counter is folded (no copy writes it, so it
    /// keeps its value through a pass) and single iterations align the load anchors.
    pub(super) reads_words: bool,
    /// Whether the passes hold the pointers of word merges and copies and of aligned 4-byte
    /// accesses as element addresses (see `element_pointers.rs`).
    pub(super) elements: bool,
    /// The reads of element pointers (their index in `ops`) that add the steps the pass has
    /// not made yet, in elements.
    pub(super) read_offsets: Vec<(usize, u32)>,
}

/// The unrolled section for `body` (a versioned loop's body, counter `counter`), or `None` when
/// the body has branches, is long, or steps by much.
pub(super) fn unroll<'b>(
    counter: &Counter,
    body: &[Operator<'b>],
    loop_op: &Operator<'b>,
    anchors: &[Anchor],
    word_anchors: &[Anchor],
    load_anchors: &[Anchor],
    elements: Option<&ElementPointers>,
) -> Option<Unrolled<'b>> {
    let len = body.len();
    let branches = body[..len - 1]
        .iter()
        .any(|op| matches!(op, Operator::BrTable { .. } | Operator::Return))
        || any_branch(&body[..len - 1], |_, _| true);
    if branches || len > MAX_UNROLLED_BODY {
        return None;
    }
    let (kept, step) = untested(counter, body)?;
    // Copy k can read the counter as `i + k·s` (before the step) or `i + (k + 1)·s` (after
    // it), and the pass step it once, by F·s, at its end: an `add` per read against a step per
    // copy, worth it for a body that reads the counter once besides its step.
    let is_read = |op: &Operator<'_>| matches!(op, Operator::LocalGet { local_index } if *local_index == counter.local);
    let reads = kept.iter().filter(|op| is_read(op)).count();
    let fold = if counter.step_in_back_edge {
        // Reads in the address of a load read a word at a time cost nothing in most copies.
        reads <= 1 || (!load_anchors.is_empty() && reads <= 1 + super::word_loads::MAX_WORD_LOADS)
    } else {
        // The step `local.get i  i32.const s  i32.add  local.tee/set i` is in the body, and
        // reads after it see up to the bound itself: not when that bound is 0 reached from
        // above 2^31 (the `add`s must not wrap).
        let may_wrap = counter.step > 0 && !counter.below && counter.bound == Bound::Const(0);
        reads <= 2 && !may_wrap
    };
    // Words are read ahead with the counter folded and no byte anchors (see below).
    let reads_words = fold && anchors.is_empty() && !load_anchors.is_empty();
    let f = factor(len, reads_words, elements.is_some_and(|e| e.merges));
    let reach = u64::from(counter.step.unsigned_abs()) * (f as u64 - 1);
    if reach >= u64::from(MAX_REACH) {
        return None;
    }
    // The passes run only from aligned anchors, which stay aligned (see [`Anchor`]): single
    // iterations run first until they are. Byte anchors are aligned to 4; without them, the
    // anchors of loads read a word at a time (which need the counter folded) to 16.
    let aligned = if !reads_words {
        all_aligned(counter, anchors, 3)
    } else {
        all_aligned(counter, load_anchors, 15)
    };
    let mut ops = Vec::new();
    let mut peel = None;
    if !aligned.is_empty() {
        use Operator::{Block, BrIf, End, I32Eqz};
        let empty = wasmparser::BlockType::Empty;
        ops.extend([Block { blockty: empty }, Block { blockty: empty }]);
        ops.extend(aligned.iter().cloned());
        ops.extend([BrIf { relative_depth: 0 }, loop_op.clone()]);
        let mut at = Vec::with_capacity(kept.len());
        for op in &kept {
            at.push(ops.len());
            ops.push(op.clone());
        }
        peel = Some(at);
        ops.extend(step.iter().cloned());
        // No iteration left: the whole loop is done.
        ops.extend(test(counter));
        ops.extend([I32Eqz, BrIf { relative_depth: 2 }]);
        ops.extend(aligned.iter().cloned());
        ops.extend([I32Eqz, BrIf { relative_depth: 0 }, End, End]);
    }
    ops.extend(continues_unrolled(counter, f));
    // Word anchors move by multiples of 16: single iterations cannot align them, so the passes
    // just do not run from unaligned ones (the rest runs one at a time).
    for test in [aligned, all_aligned(counter, word_anchors, 15)] {
        if !test.is_empty() {
            ops.extend(test);
            ops.push(Operator::I32And);
        }
    }
    // The `if` around the unrolled loop yields the i32 that decides the rest.
    ops.push(Operator::If {
        blockty: wasmparser::BlockType::Type(wasmparser::ValType::I32),
    });
    // The word anchors are multiples of 16 here, the aligned bases and pointers multiples of
    // 4: the element pointers become element addresses.
    if let Some(e) = elements {
        ops.extend(convert(&e.locals, true));
    }
    let loop_at = ops.len();
    ops.push(loop_op.clone());
    let mut copies = Vec::new();
    let mut counter_adds = Vec::new();
    let mut read_offsets = Vec::new();
    let step_at = (!counter.step_in_back_edge).then_some(counter.update);
    let s = i64::from(counter.step);
    // Locals the body only steps by a constant (rustc's length counters): a pass steps them
    // once, by F times as much, after its copies.
    let step_only = step_only_locals(&kept, counter.local);
    for k in 0..f {
        let mut at = Vec::with_capacity(kept.len());
        for (j, op) in kept.iter().enumerate() {
            at.push(ops.len());
            if step_only
                .iter()
                .any(|(start, ..)| (*start..start + 4).contains(&j))
            {
                ops.push(Operator::Nop);
                continue;
            }
            if let Some(e) = elements {
                if e.in_step(j) {
                    ops.push(Operator::Nop);
                    continue;
                }
                if let Some(op) = e.shifted_term(&kept, j) {
                    ops.push(op);
                    continue;
                }
                if let (Some(read), Operator::I32Const { value }) =
                    (e.reads.iter().find(|r| r.constant == Some(j)), op)
                {
                    let value = i64::from(value / 4) + e.offset(read, k);
                    ops.push(Operator::I32Const {
                        value: value as i32,
                    });
                    continue;
                }
                let bare = e.reads.iter().find(|r| r.at == j && r.constant.is_none());
                if let Some(offset) = bare.map(|read| e.offset(read, k)).filter(|o| *o != 0) {
                    read_offsets.push((ops.len(), offset as u32));
                }
            }
            if !fold {
                ops.push(op.clone());
                continue;
            }
            // The step of copy k leaves `i + (k + 1)·s` without writing i.
            match step_at.map(|u| j as isize - u as isize) {
                Some(-2) => ops.push(Operator::I32Const {
                    value: (s * (k + 1)) as i32,
                }),
                Some(-1) => {
                    counter_adds.push(ops.len());
                    ops.push(Operator::I32Add);
                }
                // A tee leaves the value as the add did: its facts go with the add.
                Some(0) => match op {
                    Operator::LocalTee { .. } => *at.last_mut().expect("pushed") -= 1,
                    _ => ops.push(Operator::Drop),
                },
                Some(-3) => ops.push(op.clone()),
                _ => {
                    ops.push(op.clone());
                    let after_step = step_at.is_some_and(|u| j > u);
                    let by = if after_step { k + 1 } else { k };
                    if is_read(op) && by > 0 {
                        ops.push(Operator::I32Const {
                            value: (s * by) as i32,
                        });
                        counter_adds.push(ops.len());
                        ops.push(Operator::I32Add);
                    }
                }
            }
        }
        copies.push(at);
        if !fold {
            ops.extend(step.iter().cloned());
        }
    }
    for step in elements.iter().flat_map(|e| &e.steps) {
        ops.extend([
            Operator::LocalGet {
                local_index: step.local,
            },
            Operator::I32Const {
                value: step.elements * f as i32,
            },
        ]);
        counter_adds.push(ops.len());
        ops.extend([
            Operator::I32Add,
            Operator::LocalSet {
                local_index: step.local,
            },
        ]);
    }
    for (_, local, by) in &step_only {
        ops.extend([
            Operator::LocalGet {
                local_index: *local,
            },
            Operator::I32Const {
                value: by.wrapping_mul(f as i32),
            },
            Operator::I32Add,
            Operator::LocalSet {
                local_index: *local,
            },
        ]);
    }
    if fold {
        ops.extend(stepped(counter, i64::from(counter.step) * f));
    }
    ops.extend(continues_unrolled(counter, f));
    ops.extend([Operator::BrIf { relative_depth: 0 }, Operator::End]);
    if let Some(e) = elements {
        ops.extend(convert(&e.locals, false));
    }
    ops.extend(test(counter));
    ops.extend([
        Operator::Else,
        Operator::I32Const { value: 1 },
        Operator::End,
    ]);
    Some(Unrolled {
        ops,
        copies,
        loop_at,
        counter_adds,
        peel,
        reads_words,
        elements: elements.is_some(),
        read_offsets,
    })
}

/// The locals other than the counter that `body` reads and writes only in one step
/// `local.get x  i32.const c  i32.add  local.set x`: (where the step starts, x, c).
fn step_only_locals(body: &[Operator<'_>], counter: u32) -> Vec<(usize, u32, i32)> {
    let touches = |local: u32| {
        body.iter()
            .filter(|op| matches!(op, Operator::LocalGet { local_index } | Operator::LocalSet { local_index } | Operator::LocalTee { local_index } if *local_index == local))
            .count()
    };
    body.windows(4)
        .enumerate()
        .filter_map(|(at, ops)| match ops {
            [Operator::LocalGet { local_index: x }, Operator::I32Const { value }, Operator::I32Add, Operator::LocalSet { local_index: y }]
                if x == y && *x != counter && touches(*x) == 2 =>
            {
                Some((at, *x, *value))
            }
            _ => None,
        })
        .collect()
}

/// The body without its back edge's test: the operators before the back edge, and the step
/// when the back edge makes it (`local.get i  i32.const s  i32.add  local.set i`).
fn untested<'b>(
    counter: &Counter,
    body: &[Operator<'b>],
) -> Option<(Vec<Operator<'b>>, Vec<Operator<'b>>)> {
    let len = body.len();
    if !counter.step_in_back_edge {
        // `local.get i  [bound  test]  br_if 0` after a step earlier in the body.
        let tail = match body {
            [.., Operator::LocalGet { .. }, Operator::BrIf { .. }] => 2,
            _ => 4,
        };
        return Some((body[..len - tail].to_vec(), Vec::new()));
    }
    // The step's `local.get` starts the back edge, or follows the bound read first.
    let tee = counter.update;
    let start = tee.checked_sub(3)?;
    let start = match body.get(start.checked_sub(1)?) {
        Some(op) if tee + 3 == len && Bound::of(op) == Some(counter.bound) => start - 1,
        _ => start,
    };
    Some((
        body[..start].to_vec(),
        stepped(counter, i64::from(counter.step)),
    ))
}

/// `local.get i  i32.const by  i32.add  local.set i`.
fn stepped<'b>(counter: &Counter, by: i64) -> Vec<Operator<'b>> {
    vec![
        counter.get(),
        Operator::I32Const { value: by as i32 },
        Operator::I32Add,
        Operator::LocalSet {
            local_index: counter.local,
        },
    ]
}

/// `C(i)`: the next `f` iterations all run, given that the next one does.
fn continues_unrolled<'b>(counter: &Counter, f: i64) -> Vec<Operator<'b>> {
    use Operator::*;
    let s = i64::from(counter.step);
    let reach = |k: i64| I32Const {
        value: (k * s.abs()) as i32,
    };
    if counter.below {
        // i + (F − 1)·s < n (no wrap: see MAX_STEP).
        vec![
            counter.get(),
            reach(f - 1),
            I32Add,
            counter.bound.get(),
            I32LtU,
        ]
    } else if s > 0 {
        // i meets n exactly: n − i > (F − 1)·s.
        vec![
            counter.bound.get(),
            counter.get(),
            I32Sub,
            reach(f - 1),
            I32GtU,
        ]
    } else {
        vec![
            counter.get(),
            counter.bound.get(),
            I32Sub,
            reach(f - 1),
            I32GtU,
        ]
    }
}

/// Whether every one of `anchors` has no bits of `mask` set, leaving an i32 (nothing when each
/// always has).
fn all_aligned<'b>(counter: &Counter, anchors: &[Anchor], mask: u32) -> Vec<Operator<'b>> {
    let mut ops = Vec::new();
    for anchor in anchors {
        let test = anchor_aligned(counter, *anchor, mask);
        if !test.is_empty() {
            let and = !ops.is_empty();
            ops.extend(test);
            if and {
                ops.push(Operator::I32And);
            }
        }
    }
    ops
}

/// Whether `anchor` has no bits of `mask` (3: a multiple of 4; 15: of 16) set, leaving an i32
/// (nothing when it always is).
fn anchor_aligned<'b>(counter: &Counter, anchor: Anchor, mask: u32) -> Vec<Operator<'b>> {
    use Operator::*;
    // The counter's term `i << shift` matters while 2^shift does not clear the mask.
    let counter_term = |shift: u32| (1u64 << shift) <= u64::from(mask);
    let mut ops = match anchor {
        Anchor::Counter { base, shift } => {
            let mut ops = Vec::new();
            if counter_term(shift) {
                ops.push(counter.get());
                if shift > 0 {
                    ops.extend([
                        I32Const {
                            value: shift as i32,
                        },
                        I32Shl,
                    ]);
                }
            }
            if let Some(local_index) = base {
                ops.push(LocalGet { local_index });
                if counter_term(shift) {
                    ops.push(I32Add);
                }
            }
            ops
        }
        Anchor::Pointer(local_index) | Anchor::Invariant(local_index) => {
            vec![LocalGet { local_index }]
        }
    };
    if !ops.is_empty() {
        ops.extend([I32Const { value: mask as i32 }, I32And, I32Eqz]);
    }
    ops
}

/// `T(i)`: the loop's own test of the counter.
fn test<'b>(counter: &Counter) -> Vec<Operator<'b>> {
    let compare = if counter.below {
        Operator::I32LtU
    } else {
        Operator::I32Ne
    };
    vec![counter.get(), counter.bound.get(), compare]
}
