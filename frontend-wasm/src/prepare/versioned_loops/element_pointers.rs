//! Pointers held as element addresses through the unrolled passes of a loop that merges and
//! copies words (rustc's Merkle level: `merge_words(p, p + 16, t)` and a 16-byte copy from `t`
//! to `q`, with `p += 32` and `q += 16`).
//!
//! A word access at a byte address costs a `div.4` (2 cycles) on top of the access; a merge
//! and its copy form four such addresses per iteration. The passes run only while every word
//! anchor is a multiple of 16, so each of these locals holds a whole number of elements there.
//! The unrolled section therefore divides them by 4 once before its loop and multiplies them
//! back once after it, and inside the loop every constant added to them (address offsets, all
//! multiples of 4) is divided by 4 as well. The merges and copies of the passes then take
//! element addresses as they are.
//!
//! The pointers' steps move to the end of each pass, one step of F times as much: copy k reads
//! `p + k·s` (the steps of the copies before it), folded into the constant the read adds when
//! it has one and added to the read otherwise (`Versioned::read_offsets`).
//!
//! That is exact only when every read of such a local in the body feeds one of those merges or
//! copies, or its own step: nothing else may see the element value.

use std::collections::HashMap;

use wasmparser::Operator;

use super::address::expression_start;
use super::anchors::word_copy_at;
use super::shape::Derived;
use super::Anchor;

/// The locals a loop's passes hold as element addresses, where the body reads them, and how
/// the pointers among them step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ElementPointers {
    /// Divided by 4 before the passes and multiplied back after them.
    pub(super) locals: Vec<u32>,
    /// Every read of those locals in the body but their own steps'.
    pub(super) reads: Vec<Read>,
    /// The steps of the pointers among them (the invariant locals have none).
    pub(super) steps: Vec<Step>,
}

/// A read of an element pointer: a merge's address or a copy's `q` or `t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Read {
    /// The `local.get`.
    pub(super) at: usize,
    pub(super) local: u32,
    /// The `i32.const` of `local.get p  i32.const c  i32.add`, when the read adds one.
    pub(super) constant: Option<usize>,
}

/// The step `local.get p  i32.const s  i32.add  local.set p` of an element pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Step {
    pub(super) local: u32,
    /// The index of its `local.set`.
    pub(super) update: usize,
    /// `s / 4`: the step in elements.
    pub(super) elements: i32,
}

impl ElementPointers {
    /// What read `read` of copy `k` of a pass adds to its local, which the pass steps only
    /// once, after its copies: the steps of the earlier copies, and of this one when the read
    /// comes after it.
    pub(super) fn offset(&self, read: &Read, k: i64) -> i64 {
        self.steps
            .iter()
            .find(|s| s.local == read.local)
            .map_or(0, |s| {
                i64::from(s.elements) * (k + i64::from(read.at > s.update))
            })
    }

    /// Whether body operator `j` belongs to an element pointer's step, which the passes make
    /// once instead.
    pub(super) fn in_step(&self, j: usize) -> bool {
        self.steps
            .iter()
            .any(|s| (s.update - 3..=s.update).contains(&j))
    }
}

/// The element pointers of a body whose word merges (`merges`, the calls) and word copies
/// (`copies`, where each starts) are all addressed by word anchors that are pointers or
/// invariant locals; `None` when some merge or copy is addressed otherwise, or when one of
/// those locals is read anywhere else.
pub(super) fn element_pointers(
    body: &[Operator<'_>],
    merges: &[usize],
    copies: &[usize],
    anchors: &[Anchor],
    derived: &HashMap<u32, Derived>,
) -> Option<ElementPointers> {
    if merges.is_empty() {
        return None;
    }
    let anchored = |local: u32| {
        anchors
            .iter()
            .any(|a| matches!(a, Anchor::Pointer(p) | Anchor::Invariant(p) if *p == local))
    };
    let mut reads = Vec::new();
    for &call in merges {
        let mut end = call;
        for _ in 0..3 {
            let start = expression_start(body, end.checked_sub(1)?)?;
            let (local, constant) = match &body[start..end] {
                [Operator::LocalGet { local_index }] => (*local_index, None),
                [Operator::LocalGet { local_index }, Operator::I32Const { value }, Operator::I32Add]
                    if *value >= 0 && value % 4 == 0 =>
                {
                    (*local_index, Some(start + 1))
                }
                _ => return None,
            };
            reads.push(Read {
                at: start,
                local,
                constant,
            });
            end = start;
        }
    }
    for &copy in copies {
        let (q, t) = word_copy_at(body, copy)?;
        for (local, at) in [(q, copy), (t, copy + 1), (q, copy + 4), (t, copy + 5)] {
            reads.push(Read {
                at,
                local,
                constant: None,
            });
        }
    }
    let mut locals: Vec<u32> = reads.iter().map(|r| r.local).collect();
    locals.sort_unstable();
    locals.dedup();
    if !locals.iter().all(|l| anchored(*l)) {
        return None;
    }
    // A pointer's step moves it by a multiple of 16 bytes, as its anchor requires.
    let mut steps = Vec::new();
    for local in &locals {
        if let Some(step) = derived.get(local) {
            if !matches!(body[step.update], Operator::LocalSet { .. }) {
                return None;
            }
            steps.push(Step {
                local: *local,
                update: step.update,
                elements: (step.step / 4) as i32,
            });
        }
    }
    let pointers = ElementPointers {
        locals,
        reads,
        steps,
    };
    let other_read = body.iter().enumerate().any(|(j, op)| {
        matches!(op, Operator::LocalGet { local_index } | Operator::LocalTee { local_index }
            if pointers.locals.contains(local_index)
                && !pointers.in_step(j)
                && !pointers.reads.iter().any(|r| r.at == j))
    });
    (!other_read).then_some(pointers)
}

/// `local.get p  i32.const 2  (i32.shr_u | i32.shl)  local.set p` for each local: into element
/// addresses (`to_elements`) or back into byte addresses.
pub(super) fn convert<'b>(locals: &[u32], to_elements: bool) -> Vec<Operator<'b>> {
    let shift = if to_elements {
        Operator::I32ShrU
    } else {
        Operator::I32Shl
    };
    locals
        .iter()
        .flat_map(|&local_index| {
            [
                Operator::LocalGet { local_index },
                Operator::I32Const { value: 2 },
                shift.clone(),
                Operator::LocalSet { local_index },
            ]
        })
        .collect()
}
