//! Loops versioned on the alignment of the pointers they step: a test of the pointers' low
//! bits before the loop chooses between a copy whose 4- and 8-byte accesses read and write
//! whole elements and the loop as written.
//!
//! An access at an address the alignment analysis (`analysis::alignment`) cannot prove a
//! multiple of 4 takes the general unaligned sequence, about 20 cycles for a load instead of 3.
//! A loop that walks an array through a pointer (`p += 4`, `*p`) whose start comes from a
//! parameter is such a case, and a branch on the address inside the access costs more than it
//! saves. Searches (`while (v[i] < pivot) i++`) are not versioned on their bounds, which their
//! data decide, but their alignment can be: when every write of `p` in the body adds a
//! multiple of 4 to it, `p` stays a multiple of 4 in every iteration if it is one on entry.
//!
//! The rewrite is `local.get p [local.get q i32.or] i32.const 3 i32.and i32.eqz if (loop) else
//! (loop) end`, the same body in both arms. The alignment analysis reads the test
//! (`aligned_by_test`) and proves `p` aligned in the first arm, and at its loop header only
//! because every step keeps it so: the proof is the analysis's, this pass only makes the arm
//! where it holds. A loop whose exits all go to the `block` that starts with it is copied with
//! that block, including a short path after the loop (its branches further out go one level
//! deeper). Left alone are loops the bounds versioning takes (a counter tested against a
//! bound, `versioned_loops`, which takes no loop that can leave early), loops with loops inside
//! them, loops left by a branch further out or a `return` (each such exit would cross one more
//! construct, a few cycles each time), and pointers whose accesses the analysis already proves
//! aligned.

use wasmparser::{BlockType, MemArg, Operator};

use crate::analysis::alignment::AlignmentFacts;
use crate::analysis::counted_loop::body_len;
use crate::prepare::versioned_loops::{expression_start, has_counter, leaves_beyond, leaves_early};

/// Loop bodies longer than this are left alone (the rewrite doubles them).
const MAX_BODY: usize = 160;

/// Versions every qualifying innermost loop of `ops` (a whole function body) whose pointers
/// `analyze` (the alignment analysis of a body) does not already prove aligned; `offsets` stays
/// in step.
pub(crate) fn version_on_alignment(
    ops: &mut Vec<Operator<'_>>,
    offsets: &mut Vec<u64>,
    analyze: &dyn Fn(&[Operator<'_>]) -> AlignmentFacts,
) {
    // (loop, end, pointers with the accesses they address)
    let mut candidates = Vec::new();
    let mut at = 0;
    while at < ops.len() {
        if let Operator::Loop {
            blockty: BlockType::Empty,
        } = ops[at]
        {
            let Some(len) = body_len(&ops[at + 1..]) else {
                return;
            };
            let end = at + 1 + len;
            let body = &ops[at + 1..end];
            // What is copied: the loop, or the block around it that its exits leave to.
            let construct = if !leaves_early(body) {
                Some((at, end))
            } else {
                exit_block(ops, at, end)
            };
            if let Some(construct) = construct {
                let found = pointers(body);
                if !found.is_empty() {
                    candidates.push((at, construct, found));
                }
            }
        }
        at += 1;
    }
    if candidates.is_empty() {
        return;
    }
    let facts = analyze(ops);
    // Innermost loops do not nest: rewriting from the last keeps the earlier indices.
    for (at, (start, end), found) in candidates.into_iter().rev() {
        let tested: Vec<u32> = found
            .iter()
            .filter(|p| {
                p.accesses
                    .iter()
                    .any(|(j, depth)| !facts.operand_aligned(at + 1 + j, *depth))
            })
            .map(|p| p.local)
            .take(2)
            .collect();
        if tested.is_empty() {
            continue;
        }
        let (new_ops, new_offsets) = rewrite(ops, offsets, start, end, &tested);
        ops.splice(start..=end, new_ops);
        offsets.splice(start..=end, new_offsets);
    }
}

/// For a loop at `loop_at..=end` that branches out: the `block` that starts with the loop, when
/// every branch out of the loop goes to it (the exits then stay inside each copy). What
/// follows the loop in the block (a search's "not found" path: rustc's `all`, `position`) is
/// copied with it, when short and without a `br_table` or a loop (see [`rewrite`] for its
/// branches).
fn exit_block(ops: &[Operator<'_>], loop_at: usize, end: usize) -> Option<(usize, usize)> {
    let block = loop_at.checked_sub(1)?;
    if !matches!(
        ops[block],
        Operator::Block {
            blockty: BlockType::Empty
        }
    ) {
        return None;
    }
    let block_end = block + 1 + body_len(&ops[block + 1..])?;
    let tail = &ops[end + 1..block_end];
    let body = &ops[loop_at + 1..end];
    // A loop in the tail would be a candidate of its own, inside this one's copies.
    let copyable = tail.len() <= MAX_TAIL
        && !tail
            .iter()
            .any(|op| matches!(op, Operator::BrTable { .. } | Operator::Loop { .. }));
    (copyable && !body.iter().any(|op| matches!(op, Operator::Return)) && !leaves_beyond(body, 1))
        .then_some((block, block_end))
}

/// The most operators after a loop, in the block it leaves to, that are copied with it.
const MAX_TAIL: usize = 16;

/// The end of the address operand of the load or store `body[j]`: just before the access,
/// or before the stored value (`stores`).
pub(super) fn address_end(body: &[Operator<'_>], j: usize, stores: bool) -> Option<usize> {
    let before = j.checked_sub(1)?;
    if !stores {
        return Some(before);
    }
    expression_start(body, before)?.checked_sub(1)
}

/// `local.get p [local.get q i32.or] i32.const 3 i32.and i32.eqz if (blockty)`: the test that
/// the one or two pointers of `tested` are multiples of 4, opening the arm where they are.
pub(super) fn low_bits_test<'b>(tested: &[u32], blockty: BlockType) -> Vec<Operator<'b>> {
    let mut ops = vec![Operator::LocalGet {
        local_index: tested[0],
    }];
    if let Some(&q) = tested.get(1) {
        ops.extend([Operator::LocalGet { local_index: q }, Operator::I32Or]);
    }
    ops.extend([
        Operator::I32Const { value: 3 },
        Operator::I32And,
        Operator::I32Eqz,
        Operator::If { blockty },
    ]);
    ops
}

/// A construct's operators moved one construct deeper (into an arm of the `if` that tests
/// the alignment): its branches to labels outside it go one level further.
fn within_one_more<'b>(construct: &[Operator<'b>]) -> Vec<Operator<'b>> {
    let mut depth = 0u32;
    construct
        .iter()
        .map(|op| {
            let outside = |relative: u32| relative >= depth;
            let op = match *op {
                Operator::Br { relative_depth } if outside(relative_depth) => Operator::Br {
                    relative_depth: relative_depth + 1,
                },
                Operator::BrIf { relative_depth } if outside(relative_depth) => Operator::BrIf {
                    relative_depth: relative_depth + 1,
                },
                _ => op.clone(),
            };
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => depth += 1,
                Operator::End => depth = depth.saturating_sub(1),
                _ => {}
            }
            op
        })
        .collect()
}

/// A local that addresses 4- or 8-byte accesses of a loop body as it is.
pub(super) struct Pointer {
    local: u32,
    /// The accesses (body indices) with the operand depth of their address (1 for a store).
    pub(super) accesses: Vec<(usize, usize)>,
}

/// The pointers of a loop with body `body` that the test before it could check: locals that
/// address a 4- or 8-byte access of the body directly and that every write in the body steps
/// by a multiple of 4. None when the loop does not qualify.
pub(super) fn pointers(body: &[Operator<'_>]) -> Vec<Pointer> {
    let mut found: Vec<Pointer> = Vec::new();
    if body.len() > MAX_BODY
        || body.iter().any(|op| {
            matches!(
                op,
                Operator::Loop { .. } | Operator::BrTable { .. } | Operator::Try { .. }
            )
        })
        // The bounds versioning takes a counted loop, unless it can leave early.
        || (has_counter(body) && !leaves_early(body))
    {
        return found;
    }
    for (j, op) in body.iter().enumerate() {
        let Some((memarg, stores)) = word_access(op) else {
            continue;
        };
        if memarg.offset % 4 != 0 {
            continue;
        }
        let Some(local) = address_end(body, j, stores).and_then(|end| pointer_read(body, end))
        else {
            continue;
        };
        let access = (j, usize::from(stores));
        match found.iter_mut().find(|p| p.local == local) {
            Some(p) => p.accesses.push(access),
            None if steps_keep_alignment(body, local) => found.push(Pointer {
                local,
                accesses: vec![access],
            }),
            None => {}
        }
    }
    found
}

/// A 4- or 8-byte load or store: its memarg, and whether it pops a value above the address.
pub(super) fn word_access<'a>(op: &'a Operator<'_>) -> Option<(&'a MemArg, bool)> {
    use Operator::*;
    match op {
        I32Load { memarg } | I64Load { memarg } | I64Load32U { memarg } | I64Load32S { memarg } => {
            Some((memarg, false))
        }
        I32Store { memarg } | I64Store { memarg } | I64Store32 { memarg } => Some((memarg, true)),
        _ => None,
    }
}

/// The local an address expression ending at `end` reads as it is: `local.get p`, or a step
/// of `p` teed into `p` (`local.get p  i32.const c  i32.add  local.tee p`).
fn pointer_read(body: &[Operator<'_>], end: usize) -> Option<u32> {
    match &body[end] {
        Operator::LocalGet { local_index } => Some(*local_index),
        Operator::LocalTee { local_index } => {
            let start = expression_start(body, end)?;
            (step_of(&body[start..end]) == Some(*local_index)).then_some(*local_index)
        }
        _ => None,
    }
}

/// The local `x` of `local.get x  i32.const c  i32.add` with c a multiple of 4, followed by any
/// `local.tee`s (which pass the value on).
fn step_of(expr: &[Operator<'_>]) -> Option<u32> {
    let mut expr = expr;
    while let [rest @ .., Operator::LocalTee { .. }] = expr {
        expr = rest;
    }
    match expr {
        [Operator::LocalGet { local_index }, Operator::I32Const { value }, Operator::I32Add]
            if value % 4 == 0 =>
        {
            Some(*local_index)
        }
        _ => None,
    }
}

/// Whether `body` writes `local`, and every write stores `local + c` with c a multiple of 4. (A
/// pointer the loop never writes is left alone: mostly a frame pointer in unoptimized code,
/// which the analysis proves aligned anyway, or one address read again and again.)
fn steps_keep_alignment(body: &[Operator<'_>], local: u32) -> bool {
    let writes = |op: &Operator<'_>| {
        matches!(op, Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
            if *local_index == local)
    };
    body.iter().any(writes)
        && body.iter().enumerate().all(|(j, op)| match op {
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
                if *local_index == local =>
            {
                j.checked_sub(1)
                    .and_then(|end| expression_start(body, end).map(|start| (start, end)))
                    .is_some_and(|(start, end)| step_of(&body[start..=end]) == Some(local))
            }
            _ => true,
        })
}

/// `test  if  (copy) else  (copy) end` for the construct at `loop_at..=end` (the loop, or the
/// block its exits go to, so that no branch depth changes; `tested`: one or two pointers),
/// with the offsets of the operators it came from.
fn rewrite<'b>(
    ops: &[Operator<'b>],
    offsets: &[u64],
    loop_at: usize,
    end: usize,
    tested: &[u32],
) -> (Vec<Operator<'b>>, Vec<u64>) {
    let at = offsets[loop_at];
    let mut new_ops = low_bits_test(tested, BlockType::Empty);
    let mut new_offsets = vec![at; new_ops.len()];
    let copy = within_one_more(&ops[loop_at..=end]);
    for arm in 0..2 {
        if arm == 1 {
            new_ops.push(Operator::Else);
            new_offsets.push(at);
        }
        new_ops.extend(copy.iter().cloned());
        new_offsets.extend_from_slice(&offsets[loop_at..=end]);
    }
    new_ops.push(Operator::End);
    new_offsets.push(offsets[end]);
    (new_ops, new_offsets)
}
