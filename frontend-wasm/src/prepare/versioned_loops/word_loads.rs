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
//!
//! Bodies that rustc or clang unrolled already read a word in every iteration, as four loads
//! at `p`, `p + 4`, `p + 8` and `p + 12` ([`WordGroup`]): each copy then reads that word where
//! it starts, under the same conditions, when `p` (a pointer or counter term moving by a
//! multiple of 16, tested where a pass starts) is a multiple of 16.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

use wasmparser::Operator;

use super::address::{is_store, Sym};
use super::anchors::anchored;
use super::shape::{Counter, Derived};
use super::{Anchor, Callee, Versioned};
use crate::prepare::rebased_induction::is_control;

/// One word read ahead for four copies of an unrolled pass: where its address comes from, and
/// the load each element serves (element `e` at the word's address + 4e).
#[derive(Clone, Debug)]
pub(crate) struct WordPreload {
    pub(crate) address: WordAddress,
    pub(crate) loads: [usize; 4],
}

/// The element address of a word read ahead. A pass's first group computes it from an address
/// expression; the later groups of the same load step it by a constant.
#[derive(Clone, Copy, Debug)]
pub(crate) enum WordAddress {
    /// The address expression of the copy with the lowest address (the operators
    /// `expr.0..=expr.1`, pure and valid where the first copy starts) plus the loads' static
    /// offset. With `keep`, a copy of the element address stays on the stack for the later
    /// groups, tagged `keep`.
    Expr {
        expr: (usize, usize),
        offset: u64,
        keep: Option<usize>,
    },
    /// The element address kept under tag `tag`, plus `delta` elements; the last group takes
    /// the kept address instead of copying it.
    Kept { tag: usize, delta: i64, last: bool },
}

/// A load of the body read a word at a time in the unrolled passes: its four copies of a group
/// read the word's four elements.
#[derive(Clone, Debug)]
pub(super) struct WordLoad {
    /// The load's index in the body, and its address expression's.
    at: usize,
    expr: RangeInclusive<usize>,
    offset: u64,
    /// Whether the address moves down: copy k of a group of four then reads element 3 − k.
    descending: bool,
}

/// Four loads of one body that read the four elements of a word (an unrolled loop of rustc or
/// clang: `p + 12`, `p + 8`, `p + 4`, `p` with `p += 16`): each copy reads the word once.
#[derive(Clone, Debug)]
pub(super) struct WordGroup {
    /// The loads' indices in the body, by element (`loads[e]` reads the word's element e).
    loads: [usize; 4],
    /// The address expression of each load, by element.
    exprs: [RangeInclusive<usize>; 4],
    /// The static offset of element 0's load.
    offset: u64,
}

/// An aligned 4-byte load of the body (in a body that writes no memory) with its address
/// expression, static offset and symbolic address: [`word_load`] may read it a word at a
/// time, or [`word_groups`] put it in a group.
pub(super) struct ElementLoad {
    pub(super) at: usize,
    pub(super) expr: RangeInclusive<usize>,
    pub(super) offset: u64,
    pub(super) sym: Sym,
}

impl WordLoad {
    /// The load's index in the body.
    pub(super) fn at(&self) -> usize {
        self.at
    }
}

/// At most this many loads or groups of one body are read a word at a time: each keeps up to
/// four elements on the stack through a group of copies.
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
        op if is_control(op) => false,
        Operator::CallIndirect { .. }
        | Operator::MemoryCopy { .. }
        | Operator::MemoryFill { .. }
        | Operator::MemoryInit { .. }
        | Operator::MemoryGrow { .. } => false,
        op => !is_store(op),
    })
}

/// Whether the address expression `body[expr]` is pure and reads only the counter, `also` and
/// locals the body never writes (the counter's own step may be its `local.tee`).
fn pure_address(
    body: &[Operator<'_>],
    expr: &RangeInclusive<usize>,
    counter: &Counter,
    written: &HashSet<u32>,
    also: Option<u32>,
) -> bool {
    expr.clone().all(|j| match body[j] {
        Operator::LocalGet { local_index } => {
            local_index == counter.local
                || Some(local_index) == also
                || !written.contains(&local_index)
        }
        Operator::LocalTee { local_index } => local_index == counter.local && j == counter.update,
        Operator::I32Const { .. }
        | Operator::I32Add
        | Operator::I32Sub
        | Operator::I32Shl
        | Operator::I32Mul => true,
        _ => false,
    })
}

/// Groups of four loads of the body that read one word in every iteration, with the anchor each
/// needs aligned to 16 (tested where a pass starts: it moves by a multiple of 16, so single
/// iterations cannot align it). The loads' addresses are `p + c` for a pointer stepped by a
/// multiple of 16, or a counter term moving by one, read before the step, with `c` the word's
/// four elements; `taken` lists loads already read ahead otherwise.
pub(super) fn word_groups(
    body: &[Operator<'_>],
    candidates: &[ElementLoad],
    counter: &Counter,
    derived: &HashMap<u32, Derived>,
    written: &HashSet<u32>,
    taken: &[usize],
) -> Vec<(Anchor, WordGroup)> {
    // (anchor, the pointer the expression may read, byte position of the element) per load.
    let placed: Vec<(Anchor, Option<u32>, u64, &ElementLoad)> = candidates
        .iter()
        .filter(|c| !taken.contains(&c.at))
        .filter(|c| {
            matches!(
                body[c.at],
                Operator::I32Load { .. } | Operator::F32Load { .. }
            )
        })
        .filter_map(|c| {
            let (anchor, pointer, constant) = match c.sym {
                Sym::Sum {
                    base: None,
                    shift: None,
                    derived: Some(p),
                    constant,
                } if derived[&p].step.is_multiple_of(16) && c.at < derived[&p].update => {
                    (Anchor::Pointer(p), Some(p), constant)
                }
                Sym::Sum {
                    base,
                    shift: Some(shift),
                    derived: None,
                    constant,
                } if (i64::from(counter.step) << shift) % 16 == 0
                    && (counter.step_in_back_edge || c.at < counter.update) =>
                {
                    (Anchor::Counter { base, shift }, None, constant)
                }
                _ => return None,
            };
            pure_address(body, &c.expr, counter, written, pointer).then_some((
                anchor,
                pointer,
                u64::try_from(constant).ok()?.checked_add(c.offset)?,
                c,
            ))
        })
        .collect();
    let mut groups = Vec::new();
    let mut used: Vec<usize> = Vec::new();
    for (anchor, _, first, lowest) in &placed {
        if first % 16 != 0 || used.contains(&lowest.at) {
            continue;
        }
        let element = |e: u64| {
            let mut found = placed
                .iter()
                .filter(|(a, _, c, _)| a == anchor && *c == first + 4 * e);
            match (found.next(), found.next()) {
                (Some((.., load)), None) if !used.contains(&load.at) => Some(*load),
                _ => None,
            }
        };
        let Some(loads) = (0..4).map(element).collect::<Option<Vec<&ElementLoad>>>() else {
            continue;
        };
        used.extend(loads.iter().map(|l| l.at));
        groups.push((
            *anchor,
            WordGroup {
                loads: std::array::from_fn(|e| loads[e].at),
                exprs: std::array::from_fn(|e| loads[e].expr.clone()),
                offset: loads[0].offset,
            },
        ));
    }
    groups
}

/// The word load of `load` (an `i32.load` or `f32.load`), and the anchor its passes need
/// aligned to 16; `None` when it does not qualify (see the module documentation).
pub(super) fn word_load(
    body: &[Operator<'_>],
    load: &ElementLoad,
    counter: &Counter,
    derived: &HashMap<u32, Derived>,
    written: &HashSet<u32>,
) -> Option<(Anchor, WordLoad)> {
    let ElementLoad {
        at,
        ref expr,
        offset,
        sym,
    } = *load;
    if !matches!(
        body[at],
        Operator::I32Load { .. } | Operator::F32Load { .. }
    ) {
        return None;
    }
    // Only a counter's anchor: a pointer is written in every copy, so no copy's address can
    // be computed where an earlier copy starts.
    let (anchor @ Anchor::Counter { .. }, first, step) =
        anchored(body, expr, sym, counter, derived)?
    else {
        return None;
    };
    if step.abs() != 4 {
        return None;
    }
    let pure = pure_address(body, expr, counter, written, None);
    // The address in copy 0 of a pass is the anchor plus `first` and the static offset.
    let first = first + i64::try_from(offset).ok()?;
    // The lowest address of the first group of four copies must start a word.
    let lowest = if step < 0 { first + 3 * step } else { first };
    (pure && lowest.rem_euclid(16) == 0).then_some((
        anchor,
        WordLoad {
            at,
            expr: expr.clone(),
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

/// Records the in-body word groups of an unrolled section (as [`place`]): each copy reads
/// each group's word where it starts.
pub(super) fn place_groups(
    groups: &[WordGroup],
    copies: &[Vec<usize>],
    base: usize,
    out: &mut Versioned,
) {
    for copy in copies {
        let start = base + copy[0];
        for group in groups {
            let loads: [usize; 4] = std::array::from_fn(|e| base + copy[group.loads[e]]);
            for (e, served) in loads.iter().enumerate() {
                out.takes
                    .insert(base + copy[*group.exprs[e].start()], *served);
            }
            let lowest = group.loads[0];
            let address = WordAddress::Expr {
                expr: (
                    base + copy[*group.exprs[0].start()],
                    base + copy[lowest] - 1,
                ),
                offset: group.offset,
                keep: None,
            };
            out.preloads
                .entry(start)
                .or_default()
                .push(WordPreload { address, loads });
        }
    }
}
