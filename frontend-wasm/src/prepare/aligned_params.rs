//! Functions versioned on the alignment of the pointers they receive: a test of the low bits
//! of one or two pointer parameters chooses between a copy of the body whose 4- and 8-byte
//! accesses through them read and write whole elements and the body as written.
//!
//! The alignment analysis (`analysis::alignment`) knows nothing of a parameter, so every word
//! access through a pointer a function receives (a slice, a struct behind a reference) takes
//! the general unaligned sequence, about 20 cycles instead of 3, although compilers nearly
//! always pass aligned pointers. When a parameter's test would prove enough such accesses
//! aligned ([`MIN_ACCESSES`], weighted by loop depth: a hash's state loaded and stored back, a
//! struct's fields, a sorting network over a slice, a quicksort's swaps; through the parameter
//! or a pointer derived from it), the body becomes
//! `local.get p [local.get q i32.or] i32.const 3 i32.and i32.eqz if (body) else (body) end`.
//! What a test would prove is the analysis's own answer: the body is analyzed once as it would
//! be rewritten for each parameter, and the accesses found aligned in the first arm are
//! counted. Accesses of loops that are versioned on their own (`versioned_loops`,
//! `aligned_loops`) do not count: those loops test their pointers where they start, and
//! counting them made functions pay for the test without gaining. The `if` has the function's
//! results and ends the body, so a branch to the function's own label, which now lands at the
//! end of the `if`, still returns. A body whose results are more than one value (a block type
//! would need a type index) is left alone, and so are large bodies, whose copy costs more to
//! assemble than it can save.

use wasmparser::{BlockType, FuncType, Operator, ValType};

use super::aligned_loops::{low_bits_test, pointers, word_access};
use crate::analysis::alignment::AlignmentFacts;
use crate::analysis::counted_loop::body_len;
use crate::prepare::versioned_loops::{has_counter, leaves_early};

/// The least weight of accesses a parameter's test must prove aligned (each counts 1 at the
/// body's top level, 4 in a loop, 16 deeper: see [`loop_weights`]) to pay for the test (about 6
/// cycles) and the copy (more code to assemble, which is what bounds it: doubling every
/// function with three such accesses made the largest fixture compile 65% slower).
const MIN_ACCESSES: usize = 16;

/// The most body operators copied per unit of weight gained: a body of 1,200 operators needs a
/// gain of at least 25, one of 768 or fewer the floor of [`MIN_ACCESSES`] (C's SHA-256
/// `compress`, 721 operators, gains 16).
const OPS_PER_ACCESS: usize = 48;

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
    let (Some((Operator::End, body)), Some((&end, body_offsets))) =
        (ops.split_last(), offsets.split_last())
    else {
        return;
    };
    if body.len() > MAX_BODY {
        return;
    }
    let facts = analyze(ops);
    let looped = versioned_with_their_loops(body);
    let weights = loop_weights(body);
    // The word accesses no proof covers (body index, operand depth of the address, weight),
    // leaving out those of loops that `aligned_loops` versions on their own pointers.
    let unproven: Vec<(usize, usize, usize)> = body
        .iter()
        .enumerate()
        .filter_map(|(j, op)| {
            let (memarg, stores) = word_access(op)?;
            let depth = usize::from(stores);
            (memarg.offset % 4 == 0 && !facts.operand_aligned(j, depth) && !looped[j])
                .then_some((j, depth, weights[j]))
        })
        .collect();
    if unproven.iter().map(|(_, _, w)| w).sum::<usize>() < MIN_ACCESSES {
        return;
    }
    // What each parameter's test would prove: the accesses the analysis finds aligned in the
    // arm where it holds, whether they read the parameter itself or a pointer derived from it.
    let mut gains: Vec<(u32, usize)> = (0..sig.params().len() as u32)
        .filter(|p| sig.params()[*p as usize] == ValType::I32)
        .map(|p| {
            let trial = analyze(&versioned(body, &[Operator::Unreachable], &[p], blockty));
            let shift = low_bits_test(&[p], blockty).len();
            let gained = unproven
                .iter()
                .filter(|(j, depth, _)| trial.operand_aligned(shift + j, *depth))
                .map(|(_, _, w)| w)
                .sum();
            (p, gained)
        })
        .collect();
    gains.retain(|(_, n)| *n >= MIN_ACCESSES);
    gains.sort_by_key(|(p, n)| (std::cmp::Reverse(*n), *p));
    gains.truncate(2);
    let tested: Vec<u32> = gains.iter().map(|(p, _)| *p).collect();
    // A long body must gain in proportion: its copy is what costs (translated and assembled
    // twice), and a few accesses in one loop of a long unoptimized function do not pay for it.
    let gained: usize = gains.iter().map(|(_, n)| n).sum();
    if tested.is_empty() || gained < body.len() / OPS_PER_ACCESS {
        return;
    }
    let at = body_offsets.first().copied().unwrap_or(end);
    let new_ops = versioned(body, body, &tested, blockty);
    let test_len = new_ops.len() - 2 * body.len() - 3;
    let mut new_offsets = vec![at; test_len];
    new_offsets.extend_from_slice(body_offsets);
    new_offsets.push(at);
    new_offsets.extend_from_slice(body_offsets);
    new_offsets.extend([end, end]);
    *ops = new_ops;
    *offsets = new_offsets;
}

/// The function body `body` (without its final `end`) as `test if body else otherwise end
/// end`, testing the alignment of the parameters `tested`: `otherwise` is the body itself for
/// the rewrite, or `unreachable` for a trial, which only asks the analysis what the test proves
/// in the first arm (at half the cost of analyzing both copies).
fn versioned<'b>(
    body: &[Operator<'b>],
    otherwise: &[Operator<'b>],
    tested: &[u32],
    blockty: BlockType,
) -> Vec<Operator<'b>> {
    let mut ops = low_bits_test(tested, blockty);
    ops.extend(body.iter().cloned());
    ops.push(Operator::Else);
    ops.extend(otherwise.iter().cloned());
    ops.extend([Operator::End, Operator::End]);
    ops
}

/// Per operator of `body`: whether it is an access of a loop versioned on its own: every
/// access of a loop the bounds versioning takes (a counter tested against a bound,
/// `versioned_loops`), and those through the pointers `aligned_loops` tests. Those loops test
/// their pointers' alignment where they start, so the function's test would pay without
/// gaining there.
fn versioned_with_their_loops(body: &[Operator<'_>]) -> Vec<bool> {
    let mut found = vec![false; body.len()];
    for (at, op) in body.iter().enumerate() {
        if !matches!(op, Operator::Loop { .. }) {
            continue;
        }
        let Some(len) = body_len(&body[at + 1..]) else {
            break;
        };
        let inner = &body[at + 1..at + 1 + len];
        if has_counter(inner) && !leaves_early(inner) {
            found[at + 1..at + 1 + len].fill(true);
            continue;
        }
        for pointer in pointers(inner) {
            for (j, _) in &pointer.accesses {
                found[at + 1 + j] = true;
            }
        }
    }
    found
}

/// Per operator of `body`: how often it runs relative to the body's top level, as counted for
/// the test's gain: 1 outside loops, 4 in a loop, 16 in a loop within a loop or deeper.
fn loop_weights(body: &[Operator<'_>]) -> Vec<usize> {
    let mut kinds: Vec<bool> = Vec::new();
    body.iter()
        .map(|op| {
            let depth = kinds.iter().filter(|l| **l).count().min(2);
            match op {
                Operator::Block { .. } | Operator::If { .. } => kinds.push(false),
                Operator::Loop { .. } => kinds.push(true),
                Operator::End => {
                    kinds.pop();
                }
                _ => {}
            }
            1 << (2 * depth)
        })
        .collect()
}
