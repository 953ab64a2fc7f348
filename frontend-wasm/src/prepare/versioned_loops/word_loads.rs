//! Word loads in unrolled passes. A load of whole elements whose address moves by one element
//! per iteration reads, in four consecutive copies of a pass, the four elements of one word. The
//! pass then reads that word once (`mem_loadw_le`) where the first of the four copies starts,
//! and each copy takes its element from the stack instead of computing its address and loading.
//!
//! That is the same as the copies' own loads when:
//! - the body writes no memory, so the word holds what the copies would have read;
//! - the address reads only the counter (folded by the unrolling, so it keeps its value
//!   through a pass) and locals the body never writes, so the address of any copy of the pass
//!   can be computed where the first copy starts;
//! - the passes start from an anchor `B + (i << k)` that is a multiple of 16, so each group of
//!   four elements is one aligned word. Single iterations align it first: it moves by 4 from a
//!   multiple of 4 (the bounds test checked that), so three at most.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use wasmparser::Operator;

use super::address::{is_store, Sym};
use super::shape::Counter;
use super::{Anchor, Callee, Versioned, WordAddress, WordPreload};

/// A load of the body read a word at a time in the unrolled passes.
#[derive(Clone, Debug)]
pub(super) struct WordLoad {
    /// The load's index in the body, and its address expression's.
    at: usize,
    expr: RangeInclusive<usize>,
    offset: u64,
    /// Whether the address moves down: copy k of a group of four then reads element 3 − k.
    descending: bool,
}

/// At most this many loads of one body are read a word at a time: each keeps up to four
/// elements on the stack through a group of copies.
pub(super) const MAX_WORD_LOADS: usize = 2;

/// Whether the body writes no memory and runs straight to its back edge: no store, no bulk
/// memory operator, no call but of felt arithmetic, and no block, branch or `unreachable` (the
/// elements read ahead must be taken on every path, in the frame they were read in).
pub(super) fn writes_no_memory(body: &[Operator<'_>], callee: &dyn Fn(u32) -> Callee) -> bool {
    let Some((_back_edge, rest)) = body.split_last() else {
        return false;
    };
    rest.iter().all(|op| match op {
        Operator::Call { function_index } => callee(*function_index) == Callee::Arithmetic,
        Operator::CallIndirect { .. }
        | Operator::Unreachable
        | Operator::Block { .. }
        | Operator::Loop { .. }
        | Operator::If { .. }
        | Operator::Else
        | Operator::End
        | Operator::Br { .. }
        | Operator::BrIf { .. }
        | Operator::BrTable { .. }
        | Operator::Return
        | Operator::MemoryCopy { .. }
        | Operator::MemoryFill { .. }
        | Operator::MemoryInit { .. }
        | Operator::MemoryGrow { .. } => false,
        op => !is_store(op),
    })
}

/// The word load of the four-byte load `body[at]` (`i32.load` or `f32.load`, static offset
/// `offset`) with address `body[expr]` of value `sym`, and the anchor its passes need
/// aligned to 16; `None` when it does not qualify (see the module documentation).
pub(super) fn word_load(
    body: &[Operator<'_>],
    expr: RangeInclusive<usize>,
    at: usize,
    sym: Sym,
    offset: u64,
    counter: &Counter,
    written: &HashSet<u32>,
) -> Option<(Anchor, WordLoad)> {
    if !matches!(
        body[at],
        Operator::I32Load { .. } | Operator::F32Load { .. }
    ) {
        return None;
    }
    let Sym::Sum {
        base,
        shift: Some(shift),
        derived: None,
        constant,
    } = sym
    else {
        return None;
    };
    let step = i64::from(counter.step) << shift;
    if step.abs() != 4 {
        return None;
    }
    let pure = expr.clone().all(|j| match body[j] {
        Operator::LocalGet { local_index } => {
            local_index == counter.local || !written.contains(&local_index)
        }
        Operator::LocalTee { local_index } => local_index == counter.local && j == counter.update,
        Operator::I32Const { .. }
        | Operator::I32Add
        | Operator::I32Sub
        | Operator::I32Shl
        | Operator::I32Mul => true,
        _ => false,
    });
    // The address in copy 0 of a pass is the anchor plus `first` (the counter's step counts
    // when the expression reads the stepped counter).
    let read = expr.clone().rev().find(|j| {
        matches!(body[*j], Operator::LocalGet { local_index } | Operator::LocalTee { local_index }
            if local_index == counter.local)
    })?;
    let stepped = if read >= counter.update { step } else { 0 };
    let first = i64::try_from(constant.checked_add(offset)?).ok()? + stepped;
    // The lowest address of the first group of four copies must start a word.
    let lowest = if step < 0 { first + 3 * step } else { first };
    (pure && lowest.rem_euclid(16) == 0).then_some((
        Anchor::Counter { base, shift },
        WordLoad {
            at,
            expr,
            offset,
            descending: step < 0,
        },
    ))
}

/// Records the word loads of an unrolled section whose copies (the body's operators' indices
/// in the section, which starts at `base` in the function) are `copies`. A pass's first group
/// of four copies computes each word's element address and keeps it for the later groups,
/// whose words lie 4 elements further on (or back) per group.
pub(super) fn place(loads: &[WordLoad], copies: &[Vec<usize>], base: usize, out: &mut Versioned) {
    let groups = copies.len() / 4;
    for (g, group) in copies.chunks_exact(4).enumerate() {
        let start = base + group[0][0];
        for load in loads {
            // The copy reading element `slot` of the group's word.
            let copy = |slot: usize| &group[if load.descending { 3 - slot } else { slot }];
            let loads: [usize; 4] = std::array::from_fn(|slot| base + copy(slot)[load.at]);
            for (slot, served) in loads.iter().enumerate() {
                out.takes
                    .insert(base + copy(slot)[*load.expr.start()], *served);
            }
            // The tag of the kept address: the load of the first group's copy 0.
            let tag = base + copies[0][load.at];
            let address = if g == 0 {
                let lowest = copy(0);
                WordAddress::Expr {
                    // The expression runs up to the load: a folded counter read gains an `add`.
                    expr: (
                        base + lowest[*load.expr.start()],
                        base + lowest[load.at] - 1,
                    ),
                    offset: load.offset,
                    keep: (groups > 1).then_some(tag),
                }
            } else {
                let step = if load.descending { -4 } else { 4 };
                WordAddress::Kept {
                    tag,
                    delta: step * g as i64,
                    last: g + 1 == groups,
                }
            };
            out.preloads
                .entry(start)
                .or_default()
                .push(WordPreload { address, loads });
        }
    }
}
