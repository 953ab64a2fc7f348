//! Loops versioned on their bounds: one test before the loop decides whether every address the
//! loop can form lies inside linear memory, and if so a copy of the loop without bounds checks
//! runs instead of the original.
//!
//! The recognised loops count an induction local `i` towards a bound fixed on entry:
//!
//! ```text
//! loop
//!   <body: no nested loop, no branch out, no write of i, n or a base local>
//!   local.get i  i32.const s  i32.add  local.tee i
//!   (local.get n | i32.const N)  (i32.lt_u | i32.ne)      ;; or `n  (… local.tee i)  i32.ne`
//!   br_if 0
//! end
//! ```
//!
//! or with `i` stepped once earlier at the top level and `local.get i [n test] br_if 0` at the
//! end. An access whose address is `B + (i << k) + C` (B an optional local the loop never
//! writes, C a small constant), or `p + C` for a pointer `p` stepped beside the counter (see
//! [`Derived`]), is then in bounds in every iteration when a few facts hold on entry:
//!
//! - counting up (`s > 0`), every value `i` takes is below `n`: with `i < n` (for `lt_u`) or
//!   also `(n - i) % s == 0` (for `ne`, so that `i` meets `n` instead of stepping over it);
//!   the highest address is then below `B + (n << k) + C`, and a pointer's below
//!   `p + t·T + C` for `T` iterations;
//! - counting down to `n` with `ne`: `n < i`, `(i - n) % |s| == 0`; the highest address is the
//!   first one.
//!
//! The test compares those highest addresses with the memory size in i32 arithmetic that
//! cannot wrap (memory stays below 65,536 pages). A `br 0` that skips the step, calls and traps
//! elsewhere in the body change nothing: each keeps `i` among the values the test covered, and
//! memory only grows. When the test fails the original loop runs, checking every access as
//! before, so a program that traps still traps at the same access. Loops that can leave early
//! are left alone: they are mostly searches of a few iterations, fewer than the test costs.
//!
//! Only innermost loops of a bounded size are copied, so a body at most doubles.

use std::collections::{BTreeMap, HashMap, HashSet};

use wasmparser::{BlockType, Operator};

use crate::analysis::counted_loop::{body_len, written_local};
use crate::prepare::shared_bounds::access;

mod address;
mod anchors;
mod guard;
mod shape;
mod unroll;
mod word_loads;

use address::{adds_in, evaluate, expression_start, is_store, whole_elements, Sym, MAX_REACH};
use anchors::{residue, word_anchor, word_copy_at, Anchor, Residue};
use guard::guard;
use shape::{counter, derived_locals, leaves_early, repeats_elsewhere, starts_constant};
use shape::{Bound, Counter, Derived};
use word_loads::MAX_WORD_LOADS;
use word_loads::{word_groups, word_load, writes_no_memory, GroupCandidate, WordGroup, WordLoad};
pub(crate) use word_loads::{WordAddress, WordPreload};

/// Loop bodies longer than this many operators are left alone (the copy doubles them).
const MAX_BODY: usize = 600;

/// The largest value an induction local takes in an unchecked copy: every value lies below
/// the bound, which the test proved at most the memory size (below 65,536 pages).
const HIGHEST_VALUE: u64 = (1 << 32) - (1 << 16) - 1;

/// What versioning a body's loops gives the later passes.
#[derive(Default)]
pub(crate) struct Versioned {
    /// The accesses of the unchecked copies, whose bounds checks the test made.
    pub(crate) unchecked: HashSet<usize>,
    /// Per unchecked copy (the index of its `loop`): the induction local and a range holding
    /// every value it takes at the top of an iteration.
    pub(crate) ranges: HashMap<usize, (u32, (u64, u64))>,
    /// The felt, word and double-word accesses of the unchecked copies whose addresses the
    /// test proved multiples of 4, with the operand depth of the address (1 for a store).
    pub(crate) aligned: HashMap<usize, usize>,
    /// The `i32.add`s that compute the covered addresses of the unchecked copies: every
    /// partial sum lies below the memory size, so a felt `add` computes them.
    pub(crate) nowrap_adds: HashSet<usize>,
    /// The byte and half-word accesses of the unrolled copies whose address (the operand,
    /// before the static offset) is known modulo 4: the section runs only from aligned
    /// anchors ([`Anchor`]), so copy k's address is the anchor plus a known constant.
    pub(crate) residues: HashMap<usize, u32>,
    /// The `merge_words` calls of the unrolled copies whose three addresses are multiples of
    /// 16: the section runs only from anchors that keep them so.
    pub(crate) word_merges: HashSet<usize>,
    /// The first operators of the 16-byte copies (`local.get q  local.get t` and two `i64`
    /// moves) of the unrolled copies whose two addresses are multiples of 16.
    pub(crate) word_copies: HashSet<usize>,
    /// Words read ahead for four copies of an unrolled pass, by the index of the first
    /// operator of the first of those copies (see `versioned_loops/word_loads.rs`).
    pub(crate) preloads: HashMap<usize, Vec<WordPreload>>,
    /// The loads those words serve, by the index where their address expression starts: the
    /// expression and the load give way to the element already on the stack.
    pub(crate) takes: HashMap<usize, usize>,
}

/// What versioning needs to know of a called function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Callee {
    /// The `merge_words` felt intrinsic (its addresses join the bounds test).
    MergeWords,
    /// A felt intrinsic that neither reads nor writes memory.
    Arithmetic,
    /// Anything else.
    Other,
}

/// Versions every qualifying loop of `ops` (a whole function body); `offsets` stays in step.
pub(crate) fn version_loops(
    ops: &mut Vec<Operator<'_>>,
    offsets: &mut Vec<u64>,
    callee: &dyn Fn(u32) -> Callee,
) -> Versioned {
    let mut out = Versioned::default();
    let mut at = 0;
    while at < ops.len() {
        if !matches!(
            ops[at],
            Operator::Loop {
                blockty: BlockType::Empty
            }
        ) {
            at += 1;
            continue;
        }
        match plan(ops, at, callee) {
            Some(plan) => at = apply(ops, offsets, at, &plan, &mut out),
            None => at += 1,
        }
    }
    out
}

/// Covered accesses whose addresses move the same way, which the test bounds together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    /// `B + (i << shift) + C`.
    Counter { base: Option<u32>, shift: u32 },
    /// `p + C` for a derived local `p` stepped by `step` (see [`shape::Derived`]).
    Pointer { local: u32, step: u32 },
    /// `B + C` for a local the loop never writes: one address per access, the same in every
    /// iteration (a field of a struct the loop updates, a stack temporary).
    Invariant { local: u32 },
}

/// What versioning one loop needs: its counter, the groups of covered accesses with their
/// largest constant part `C + offset + size - 1`, and the covered accesses (body-relative).
struct Plan {
    counter: Counter,
    body_len: usize,
    reach: BTreeMap<Group, u64>,
    /// Whether the counter is read after its step other than by the back edge.
    stepped_reads: bool,
    /// Whether the counter may count up to 0 from a value above 2^31 (`i != 0`, and no
    /// address reads it): LLVM counts `-T` up to 0 this way. Its values then stay below 2^32,
    /// so the unrolled copies' `i + k·s` still never wrap.
    wraps: bool,
    /// The `i32.add`s of covered addresses (body-relative): their sums lie below the memory
    /// size, so they never wrap.
    nowrap_adds: Vec<usize>,
    covered: Vec<usize>,
    /// Covered felt accesses made aligned by the test, and what it must test for that: the
    /// counter (when the shift does not align it) and the bases.
    aligned: Vec<usize>,
    align_counter: bool,
    align_bases: Vec<u32>,
    /// Byte and half-word accesses placed within their element by the anchors.
    residues: Vec<Residue>,
    anchors: Vec<Anchor>,
    /// `merge_words` calls whose addresses are multiples of 16 when the word anchors are.
    word_merges: Vec<usize>,
    word_anchors: Vec<Anchor>,
    /// 16-byte copies between addresses that are multiples of 16 when the word anchors are.
    word_copies: Vec<usize>,
    /// Loads read a word at a time when the load anchors are multiples of 16.
    word_loads: Vec<WordLoad>,
    load_anchors: Vec<Anchor>,
    /// Groups of four loads reading one word per iteration, when the word anchors are.
    word_groups: Vec<WordGroup>,
}

fn plan(ops: &[Operator<'_>], loop_at: usize, callee: &dyn Fn(u32) -> Callee) -> Option<Plan> {
    let len = body_len(&ops[loop_at + 1..])?;
    let body = &ops[loop_at + 1..loop_at + 1 + len];
    // A `br_table`'s targets cannot be rewritten (they are read from the module's bytes).
    let blocks = |op: &Operator<'_>| matches!(op, Operator::Loop { .. } | Operator::BrTable { .. });
    if len > MAX_BODY || body.iter().any(blocks) || leaves_early(body) {
        return None;
    }
    let counter = counter(body)?;
    let constant_range =
        matches!(counter.bound, Bound::Const(_)) && starts_constant(ops, loop_at, counter.local);
    if counter.step == 0 || constant_range {
        return None;
    }
    // The step must move i towards the bound: up for both tests, down only with `ne`.
    if counter.step < 0 && (counter.below || counter.step == i32::MIN) {
        return None;
    }
    if !counter.step_in_back_edge && repeats_elsewhere(body) {
        return None;
    }
    // Every local written in the body, but for the step.
    let written: HashSet<u32> = body
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != counter.update)
        .filter_map(|(_, op)| written_local(op))
        .collect();
    if written.contains(&counter.local)
        || matches!(counter.bound, Bound::Local(n) if written.contains(&n) || n == counter.local)
    {
        return None;
    }
    let derived = if counter.step > 0 && !repeats_elsewhere(body) {
        derived_locals(body, counter.local)
    } else {
        HashMap::new()
    };
    let mut reach = BTreeMap::new();
    let mut nowrap_adds = Vec::new();
    let mut covered = Vec::new();
    let (mut aligned, mut align_counter, mut align_bases) = (Vec::new(), false, Vec::new());
    let (mut residues, mut anchors) = (Vec::new(), Vec::new());
    let (mut word_loads, mut load_anchors) = (Vec::new(), Vec::new());
    let mut group_candidates = Vec::new();
    let reads_ahead = writes_no_memory(body, callee);
    let stride = counter.step.unsigned_abs();
    for (j, op) in body.iter().enumerate() {
        let Some((memarg, size)) = access(op) else {
            continue;
        };
        let value_len = if is_store(op) {
            expression_start(body, j.checked_sub(1)?).map(|s| j - s)
        } else {
            Some(0)
        };
        let Some(address_end) = value_len.and_then(|v| j.checked_sub(v + 1)) else {
            continue;
        };
        let Some(start) = expression_start(body, address_end) else {
            continue;
        };
        let mut ors_counter = false;
        let sym = evaluate(
            &body[start..=address_end],
            (counter.local, stride),
            &written,
            &derived,
            &mut ors_counter,
        );
        let Some((group, constant, moves_by_words, align_start, align_local)) =
            grouped(sym, j, &counter, &derived)
        else {
            continue;
        };
        let k = constant + memarg.offset + u64::from(size) - 1;
        if k >= MAX_REACH {
            continue;
        }
        let entry = reach.entry(group).or_insert(0);
        *entry = (*entry).max(k);
        covered.push(j);
        nowrap_adds.extend(adds_in(body, start..=address_end));
        // `i | c` is `i + c` only while i is a multiple of 4: the test checks the start.
        align_counter |= ors_counter;
        // A felt, word or double-word access is aligned when the local, the moving part and
        // the constant all are.
        if whole_elements(op, size)
            && moves_by_words
            && (constant + memarg.offset).is_multiple_of(4)
        {
            aligned.push(j);
            align_counter |= align_start;
            align_bases.extend(align_local);
            if reads_ahead && !ors_counter && size == 4 {
                group_candidates.push(GroupCandidate {
                    at: j,
                    expr: start..=address_end,
                    offset: memarg.offset,
                    sym,
                });
            }
            if reads_ahead && !ors_counter && word_loads.len() < MAX_WORD_LOADS {
                let expr = start..=address_end;
                let found = word_load(body, expr, j, sym, memarg.offset, &counter, &written);
                if let Some((anchor, load)) = found {
                    word_loads.push(load);
                    add_anchors(&mut load_anchors, [anchor]);
                }
            }
        }
        if size <= 2 && !ors_counter {
            let expr = start..=address_end;
            if let Some((anchor, residue)) = residue(body, expr, j, sym, &counter, &derived) {
                residues.push(residue);
                add_anchors(&mut anchors, [anchor]);
            }
        }
    }
    align_bases.sort_unstable();
    align_bases.dedup();
    let (mut word_merges, mut word_anchors) = (Vec::new(), Vec::new());
    for (j, op) in body.iter().enumerate() {
        let Operator::Call { function_index } = op else {
            continue;
        };
        if callee(*function_index) != Callee::MergeWords {
            continue;
        }
        // Its three addresses (`out`, `b`, `a`, each an expression before it), 16 bytes each,
        // join the test's bounds: their sums and the steps of their pointers then never wrap
        // (the call itself checks no bounds). When all three stay multiples of 16, so does
        // every call of the unrolled passes.
        let mut end = j;
        let mut word_aligned = Some(Vec::new());
        for _ in 0..3 {
            let Some(start) = end.checked_sub(1).and_then(|e| expression_start(body, e)) else {
                word_aligned = None;
                break;
            };
            let mut ors_counter = false;
            let sym = evaluate(
                &body[start..end],
                (counter.local, stride),
                &written,
                &derived,
                &mut ors_counter,
            );
            if let Some((group, constant, ..)) = grouped(sym, j, &counter, &derived) {
                let k = constant + 15;
                if k < MAX_REACH {
                    let entry = reach.entry(group).or_insert(0);
                    *entry = (*entry).max(k);
                    nowrap_adds.extend(adds_in(body, start..=end - 1));
                    align_counter |= ors_counter;
                }
            }
            match (
                &mut word_aligned,
                word_anchor(sym, &counter, &derived, ors_counter),
            ) {
                (Some(anchors), Some(anchor)) => anchors.extend(anchor),
                _ => word_aligned = None,
            }
            end = start;
        }
        if let Some(anchors) = word_aligned {
            word_merges.push(j);
            add_anchors(&mut word_anchors, anchors);
        }
    }
    // Single iterations align either the byte anchors or the load anchors, not both.
    if !residues.is_empty() {
        word_loads.clear();
        load_anchors.clear();
    }
    // Groups of four loads reading one word, besides the loads read a word at a time.
    let taken: Vec<usize> = word_loads.iter().map(WordLoad::at).collect();
    let found = word_groups(
        body,
        &group_candidates,
        &counter,
        &derived,
        &written,
        &taken,
    );
    let mut groups = Vec::new();
    for (anchor, group) in found.into_iter().take(MAX_WORD_LOADS - word_loads.len()) {
        groups.push(group);
        add_anchors(&mut word_anchors, [anchor]);
    }
    let mut word_copies = Vec::new();
    for j in 0..body.len() {
        let Some((q, t)) = word_copy_at(body, j) else {
            continue;
        };
        // The four moves are covered (no bounds checks), and both locals stay word-aligned.
        if ![2, 3, 6, 7].iter().all(|k| covered.contains(&(j + k))) {
            continue;
        }
        let anchor_of = |local: u32| {
            let expr = [Operator::LocalGet { local_index: local }];
            let mut ors = false;
            let sym = evaluate(&expr, (counter.local, stride), &written, &derived, &mut ors);
            word_anchor(sym, &counter, &derived, ors)
        };
        if let (Some(q), Some(t)) = (anchor_of(q), anchor_of(t)) {
            word_copies.push(j);
            add_anchors(&mut word_anchors, q.into_iter().chain(t));
        }
    }
    // The back edge's `local.get i` (form B) is its last read; any other after the step counts.
    let back_edge_read = body.iter().rposition(
        |op| matches!(op, Operator::LocalGet { local_index } if *local_index == counter.local),
    );
    let stepped_reads = body.iter().enumerate().any(|(j, op)| {
        j > counter.update
            && Some(j) != back_edge_read
            && matches!(op, Operator::LocalGet { local_index } if *local_index == counter.local)
    });
    // A pointer the test covers ends below the memory size plus its step: its step is a felt
    // `add` too.
    nowrap_adds.extend(reach.keys().filter_map(|group| match group {
        Group::Pointer { local, .. } => Some(derived[local].update - 1),
        Group::Counter { .. } | Group::Invariant { .. } => None,
    }));
    // Invariant addresses alone are checked once per iteration as cheaply as the test would.
    let moving = |group: &Group| !matches!(group, Group::Invariant { .. });
    let reads_counter = reach
        .keys()
        .any(|group| matches!(group, Group::Counter { .. }));
    let wraps =
        !counter.below && counter.step > 0 && counter.bound == Bound::Const(0) && !reads_counter;
    reach.keys().any(moving).then_some(Plan {
        counter,
        body_len: len,
        stepped_reads,
        wraps,
        nowrap_adds,
        reach,
        covered,
        aligned,
        align_counter,
        align_bases,
        residues,
        anchors,
        word_merges,
        word_anchors,
        word_copies,
        word_loads,
        load_anchors,
        word_groups: groups,
    })
}

/// Adds each of `new` to `anchors` unless it is there already.
fn add_anchors(anchors: &mut Vec<Anchor>, new: impl IntoIterator<Item = Anchor>) {
    for anchor in new {
        if !anchors.contains(&anchor) {
            anchors.push(anchor);
        }
    }
}

/// The group of an address of value `sym` read by the operator `body[at]`, its constant part
/// (after a step, up to one step more than the values the test covers), whether the moving part
/// stays a multiple of 4, and what the test must check for that: the counter's start (when only
/// its step keeps it aligned) and a local. `None` for an address the test cannot bound.
fn grouped(
    sym: Sym,
    at: usize,
    counter: &Counter,
    derived: &HashMap<u32, Derived>,
) -> Option<(Group, u64, bool, bool, Option<u32>)> {
    let stride = counter.step.unsigned_abs();
    Some(match sym {
        Sym::Sum {
            base: None,
            shift: None,
            derived: Some(p),
            constant,
        } => {
            let Derived { step, update } = derived[&p];
            let stepped = if at > update { u64::from(step) } else { 0 };
            let group = Group::Pointer { local: p, step };
            (
                group,
                constant + stepped,
                step.is_multiple_of(4),
                false,
                Some(p),
            )
        }
        Sym::Sum {
            base,
            shift: Some(shift),
            derived: None,
            constant,
        } => {
            let stepped = if at > counter.update && counter.step > 0 {
                u64::from(counter.step as u32) << shift
            } else {
                0
            };
            let words = shift >= 2 || stride.is_multiple_of(4);
            let group = Group::Counter { base, shift };
            (group, constant + stepped, words, shift < 2, base)
        }
        Sym::Sum {
            base: Some(b),
            shift: None,
            derived: None,
            constant,
        } => (
            Group::Invariant { local: b },
            constant,
            true,
            false,
            Some(b),
        ),
        _ => return None,
    })
}

/// Rewrites the loop at `loop_at` into `test  if  (unrolled section)  loop (unchecked) end
/// else  loop end  end` (the unrolled section and the `if` around the unchecked loop only when
/// [`unroll::unroll`] accepts the body). Returns the index just after the rewritten construct.
fn apply<'b>(
    ops: &mut Vec<Operator<'b>>,
    offsets: &mut Vec<u64>,
    loop_at: usize,
    plan: &Plan,
    out: &mut Versioned,
) -> usize {
    let end = loop_at + 1 + plan.body_len;
    let at = offsets[loop_at];
    // No branch leaves the body (`leaves_early`), so moving it into an `if` changes no depth.
    let body: Vec<Operator<'b>> = ops[loop_at + 1..end].to_vec();
    let body_offsets = offsets[loop_at + 1..end].to_vec();
    let loop_op = ops[loop_at].clone();

    let mut new_ops = guard(plan);
    let mut new_offsets = vec![at; new_ops.len()];
    let mut push = |new_ops: &mut Vec<Operator<'b>>, op: Operator<'b>, offset: u64| {
        new_ops.push(op);
        new_offsets.push(offset);
    };
    push(
        &mut new_ops,
        Operator::If {
            blockty: BlockType::Empty,
        },
        at,
    );
    // Unchecked copies of the body: where each operator of each copy landed, and each
    // unchecked loop's index.
    let mut copies: Vec<Vec<usize>> = Vec::new();
    let mut loops = Vec::new();
    let unrolled = unroll::unroll(
        &plan.counter,
        &body,
        &loop_op,
        &plan.anchors,
        &plan.word_anchors,
        &plan.load_anchors,
    );
    if let Some(unrolled) = &unrolled {
        let base = loop_at + new_ops.len();
        // A copy's operators keep their offsets; the rest, those of the loop.
        let mut origin = vec![at; unrolled.ops.len()];
        for copy in unrolled.copies.iter().chain(&unrolled.peel) {
            for (j, landed) in copy.iter().enumerate() {
                origin[*landed] = body_offsets[j];
            }
        }
        for (op, offset) in unrolled.ops.iter().zip(origin) {
            push(&mut new_ops, op.clone(), offset);
        }
        copies.extend(
            unrolled
                .copies
                .iter()
                .chain(&unrolled.peel)
                .map(|copy| copy.iter().map(|j| base + j).collect()),
        );
        for (k, copy) in unrolled.copies.iter().enumerate() {
            for r in &plan.residues {
                out.residues.insert(base + copy[r.at], r.in_copy(k));
            }
            out.word_merges
                .extend(plan.word_merges.iter().map(|j| base + copy[*j]));
            // A copy's eight operators stay together (no counter read among them).
            out.word_copies.extend(
                plan.word_copies
                    .iter()
                    .filter(|j| copy[**j + 7] == copy[**j] + 7)
                    .map(|j| base + copy[*j]),
            );
        }
        out.nowrap_adds
            .extend(unrolled.counter_adds.iter().map(|j| base + j));
        if unrolled.reads_words {
            word_loads::place(&plan.word_loads, &unrolled.copies, base, out);
        }
        word_loads::place_groups(&plan.word_groups, &unrolled.copies, base, out);
        loops.push(base + unrolled.loop_at);
        push(
            &mut new_ops,
            Operator::If {
                blockty: BlockType::Empty,
            },
            at,
        );
    }
    loops.push(loop_at + new_ops.len());
    push(&mut new_ops, loop_op.clone(), at);
    copies.push(
        (0..plan.body_len)
            .map(|j| loop_at + new_ops.len() + j)
            .collect(),
    );
    for (op, offset) in body.iter().zip(&body_offsets) {
        push(&mut new_ops, op.clone(), *offset);
    }
    push(&mut new_ops, Operator::End, offsets[end]);
    if let Some(unrolled) = &unrolled {
        push(&mut new_ops, Operator::End, offsets[end]);
        if unrolled.peel.is_some() {
            push(&mut new_ops, Operator::End, offsets[end]);
        }
    }
    push(&mut new_ops, Operator::Else, at);
    push(&mut new_ops, loop_op, at);
    for (op, offset) in body.into_iter().zip(&body_offsets) {
        push(&mut new_ops, op, *offset);
    }
    push(&mut new_ops, Operator::End, offsets[end]);
    push(&mut new_ops, Operator::End, offsets[end]);
    debug_assert_eq!(new_ops.len(), new_offsets.len());

    let added = new_ops.len();
    // Replace `loop … end` (body_len + 2 operators).
    ops.splice(loop_at..=end, new_ops);
    offsets.splice(loop_at..=end, new_offsets);
    // The facts of each unchecked copy. An unrolled copy lacks its back edge's test, but the
    // facts' operators all come before it.
    for copy in &copies {
        debug_assert!(plan
            .covered
            .iter()
            .all(|j| access(&ops[copy[*j]]).is_some()));
        out.unchecked.extend(plan.covered.iter().map(|j| copy[*j]));
        out.aligned.extend(
            plan.aligned
                .iter()
                .map(|j| (copy[*j], usize::from(is_store(&ops[copy[*j]])))),
        );
        out.nowrap_adds
            .extend(plan.nowrap_adds.iter().map(|j| copy[*j]));
    }
    // Counting down to n by |s|, every value is at least n + |s|. A counter stepped before
    // the back edge may be read stepped (down to n) before the test: then no range, unless
    // only the back edge reads it after the step (a comparison, which uses no range).
    let lowest = if plan.counter.step < 0 {
        u64::from(plan.counter.step.unsigned_abs())
    } else {
        0
    };
    if (plan.counter.step_in_back_edge || !plan.stepped_reads) && !plan.wraps {
        for loop_index in loops {
            out.ranges
                .insert(loop_index, (plan.counter.local, (lowest, HIGHEST_VALUE)));
        }
    }
    loop_at + added
}

#[cfg(test)]
mod tests;
