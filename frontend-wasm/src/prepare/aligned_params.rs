//! Functions versioned on the alignment of the pointers they receive: a test of the low bits
//! of one or two pointer parameters chooses between a copy of the body whose 4- and 8-byte
//! accesses through them read and write whole elements and the body as written.
//!
//! The alignment analysis (`analysis::alignment`) knows nothing of a parameter, so every word
//! access through a pointer a function receives (a slice, a struct behind a reference) takes
//! the general unaligned sequence, about 20 cycles instead of 3, although compilers nearly
//! always pass aligned pointers. When a parameter addresses at least [`MIN_ACCESSES`] such
//! accesses outside loops (a hash's state loaded and stored back, a struct's fields), the body
//! becomes `local.get p [local.get q i32.or] i32.const 3 i32.and i32.eqz if (body) else (body)
//! end`. Accesses in loops do not count: the loop rewrites (`versioned_loops`, `aligned_loops`)
//! test their pointers' alignment where the loop starts, and counting them made functions pay
//! for the test without gaining. As for loops versioned on alignment (`aligned_loops.rs`), the
//! proof stays the analysis's: it reads the test and proves the parameters aligned in the first
//! arm, and follows them through the body from there. The `if` has the function's results and
//! ends the body, so a branch to the function's own label, which now lands at the end of the
//! `if`, still returns. A body whose results are more than one value (a block type would need
//! a type index) is left alone, and so are large bodies, whose copy costs more to assemble
//! than it can save.

use wasmparser::{BlockType, FuncType, Operator};

use super::aligned_loops::{address_end, low_bits_test, word_access};
use crate::analysis::alignment::AlignmentFacts;

/// The fewest unproven accesses through a parameter, outside loops, that pay for the test
/// (about 6 cycles) and the copy (more code to assemble, which is what bounds it: doubling
/// every function with three such accesses made the largest fixture compile 65% slower).
const MIN_ACCESSES: usize = 16;

/// Bodies longer than this many operators are left alone (the rewrite doubles them).
const MAX_BODY: usize = 2000;

/// Versions the body `ops` (with its final `end`) of a function of type `sig` on the alignment
/// of the pointer parameters whose word accesses `analyze` cannot prove aligned; `offsets`
/// stays in step.
pub(crate) fn version_on_parameter_alignment(
    ops: &mut Vec<Operator<'_>>,
    offsets: &mut Vec<u64>,
    sig: &FuncType,
    analyze: &dyn Fn(&[Operator<'_>]) -> AlignmentFacts,
) {
    let blockty = match sig.results() {
        [] => BlockType::Empty,
        [ty] => BlockType::Type(*ty),
        _ => return,
    };
    let params = sig.params().len() as u32;
    let (Some((Operator::End, body)), Some((&end, body_offsets))) =
        (ops.split_last(), offsets.split_last())
    else {
        return;
    };
    if body.len() > MAX_BODY {
        return;
    }
    let facts = analyze(ops);
    let mut counts: Vec<(u32, usize)> = Vec::new();
    let mut loops: Vec<bool> = Vec::new();
    for (j, op) in body.iter().enumerate() {
        match op {
            Operator::Block { .. } | Operator::If { .. } => loops.push(false),
            Operator::Loop { .. } => loops.push(true),
            Operator::End => {
                loops.pop();
            }
            _ => {}
        }
        let Some((memarg, stores)) = word_access(op) else {
            continue;
        };
        if memarg.offset % 4 != 0 || facts.operand_aligned(j, usize::from(stores)) {
            continue;
        }
        let Some(Operator::LocalGet { local_index }) =
            address_end(body, j, stores).map(|e| &body[e])
        else {
            continue;
        };
        if *local_index >= params {
            continue;
        }
        if loops.iter().any(|l| *l) {
            continue;
        }
        match counts.iter_mut().find(|(p, _)| p == local_index) {
            Some((_, n)) => *n += 1,
            None => counts.push((*local_index, 1)),
        }
    }
    counts.retain(|(_, n)| *n >= MIN_ACCESSES);
    counts.sort_by_key(|(p, n)| (std::cmp::Reverse(*n), *p));
    let tested: Vec<u32> = counts.iter().take(2).map(|(p, _)| *p).collect();
    if tested.is_empty() {
        return;
    }
    let at = body_offsets.first().copied().unwrap_or(end);
    let mut new_ops = low_bits_test(&tested, blockty);
    let mut new_offsets = vec![at; new_ops.len()];
    for arm in 0..2 {
        if arm == 1 {
            new_ops.push(Operator::Else);
            new_offsets.push(at);
        }
        new_ops.extend(body.iter().cloned());
        new_offsets.extend_from_slice(body_offsets);
    }
    new_ops.extend([Operator::End, Operator::End]);
    new_offsets.extend([end, end]);
    *ops = new_ops;
    *offsets = new_offsets;
}
