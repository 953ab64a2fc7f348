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
//! A bound that is a constant, with a counter that starts from one, is a counted loop
//! (`analysis::counted_loop`) whose addresses of the counter alone are checked once before it
//! without a copy; such a loop is versioned only for the accesses at a base or a pointer.
//!
//! Only innermost loops of a bounded size are copied, so a body at most doubles.

use std::collections::{HashMap, HashSet};

use wasmparser::{BlockType, Operator};

use crate::prepare::shared_bounds::access;

mod address;
mod anchors;
mod element_pointers;
mod guard;
mod plan;
mod shape;
mod unroll;
mod word_loads;

pub(crate) use address::expression_start;
use address::is_store;
use anchors::Anchor;
use guard::guard;
use plan::{plan, Plan};
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
    /// The `i32.add`s and `i32.shl`s that compute the covered addresses of the unchecked
    /// copies (and the unrolled counter's sums): every partial sum lies below the memory size,
    /// so a felt `add` or `mul` computes them.
    pub(crate) nowrap_ops: HashSet<usize>,
    /// The byte and half-word accesses of the unrolled copies whose address (the operand,
    /// before the static offset) is known modulo 4: the section runs only from aligned
    /// anchors ([`Anchor`]), so copy k's address is the anchor plus a known constant.
    pub(crate) residues: HashMap<usize, u32>,
    /// The `merge_words` calls of the unrolled copies whose three addresses are multiples of
    /// 16: the section runs only from anchors that keep them so.
    pub(crate) word_merges: HashSet<usize>,
    /// The word merges and copies (their calls and first operators) and the 4-byte accesses
    /// of unrolled passes that hold their pointers as element addresses (see
    /// `versioned_loops/element_pointers.rs`): their address operands are element addresses,
    /// not byte addresses.
    pub(crate) element_addressed: HashSet<usize>,
    /// The `local.get`s of element pointers that read the local plus this many elements (the
    /// steps of the pass's earlier copies, which the pass makes once at its end).
    pub(crate) read_offsets: HashMap<usize, u32>,
    /// The locals of those element addresses (see `versioned_loops/element_pointers.rs`).
    pub(crate) element_pointers: Vec<u32>,
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

impl Versioned {
    /// Records `locals` among the element pointers, each once.
    fn add_element_pointers(&mut self, locals: &[u32]) {
        for local in locals {
            if !self.element_pointers.contains(local) {
                self.element_pointers.push(*local);
            }
        }
    }
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

/// Whether a loop body has the counter this versioning recognises (see [`shape::counter`]):
/// other rewrites leave such loops to it.
pub(crate) fn has_counter(body: &[Operator<'_>]) -> bool {
    shape::counter(body).is_some()
}

/// Whether a loop body can leave the loop other than by falling out of its end (see
/// [`shape::leaves_early`]).
pub(crate) fn leaves_early(body: &[Operator<'_>]) -> bool {
    shape::leaves_early(body)
}

/// Whether a branch of a loop body goes further out than `levels` constructs around the loop.
pub(crate) fn leaves_beyond(body: &[Operator<'_>], levels: u32) -> bool {
    shape::any_branch(body, |relative, depth| relative > depth + levels)
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
        plan.elements.as_ref(),
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
            if unrolled.elements {
                debug_assert!(plan.word_copies.iter().all(|j| copy[j + 7] == copy[*j] + 7));
                out.element_addressed
                    .extend(plan.word_merges.iter().map(|j| base + copy[*j]));
                out.element_addressed
                    .extend(plan.word_copies.iter().map(|j| base + copy[*j]));
                let accesses = plan.elements.iter().flat_map(|e| &e.accesses);
                out.element_addressed
                    .extend(accesses.map(|j| base + copy[*j]));
            }
            // A copy's eight operators stay together (no counter read among them).
            out.word_copies.extend(
                plan.word_copies
                    .iter()
                    .filter(|j| copy[**j + 7] == copy[**j] + 7)
                    .map(|j| base + copy[*j]),
            );
        }
        out.nowrap_ops
            .extend(unrolled.counter_adds.iter().map(|j| base + j));
        out.read_offsets
            .extend(unrolled.read_offsets.iter().map(|(j, by)| (base + j, *by)));
        if let Some(elements) = plan.elements.as_ref().filter(|_| unrolled.elements) {
            out.add_element_pointers(&elements.locals);
        }
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
    // A loop run without unrolling may hold its addresses' locals as element addresses.
    let plain = plan.plain_elements.as_ref().filter(|_| unrolled.is_none());
    for op in plain.map_or_else(Vec::new, |p| element_pointers::convert(&p.locals, true)) {
        push(&mut new_ops, op, at);
    }
    let plain_loop = loop_at + new_ops.len();
    loops.push(plain_loop);
    push(&mut new_ops, loop_op.clone(), at);
    copies.push(
        (0..plan.body_len)
            .map(|j| loop_at + new_ops.len() + j)
            .collect(),
    );
    for (j, (op, offset)) in body.iter().zip(&body_offsets).enumerate() {
        let constant = plain.and_then(|p| p.constants.iter().find(|(c, _)| *c == j));
        let op = match constant {
            Some(&(_, value)) => Operator::I32Const { value },
            None => op.clone(),
        };
        push(&mut new_ops, op, *offset);
    }
    push(&mut new_ops, Operator::End, offsets[end]);
    if let Some(plain) = plain {
        for op in element_pointers::convert(&plain.locals, false) {
            push(&mut new_ops, op, offsets[end]);
        }
        let copy = copies.last().expect("pushed");
        out.element_addressed
            .extend(plain.accesses.iter().map(|j| copy[*j]));
        out.add_element_pointers(&plain.locals);
    }
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
        out.nowrap_ops
            .extend(plan.nowrap_ops.iter().map(|j| copy[*j]));
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
            // A counter held in elements takes a quarter of each value.
            let quarter = loop_index == plain_loop && plain.is_some_and(|p| p.counter);
            let range = if quarter {
                (lowest / 4, HIGHEST_VALUE / 4)
            } else {
                (lowest, HIGHEST_VALUE)
            };
            out.ranges.insert(loop_index, (plan.counter.local, range));
        }
    }
    loop_at + added
}

#[cfg(test)]
mod tests;
