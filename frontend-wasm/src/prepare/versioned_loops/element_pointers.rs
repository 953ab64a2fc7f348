//! Pointers held as element addresses through the unrolled passes of a versioned loop: the
//! locals that address its word merges and copies (rustc's Merkle level: `merge_words(p, p +
//! 16, t)` and a 16-byte copy from `t` to `q`, with `p += 32` and `q += 16`) and its aligned
//! 4-byte accesses (`B + (i << 2)`, `p + 8`).
//!
//! A word or element access at a byte address costs a `div.4` (2 cycles) on top of the access.
//! The passes run only while those locals are multiples of 16 (word anchors) or 4 (the bases
//! and pointers of aligned accesses, which the bounds test checks), so each holds a whole
//! number of elements there. The unrolled section therefore divides them by 4 once before its
//! loop and multiplies them back once after it, and inside the loop every constant added to
//! them (address offsets, all multiples of 4) is divided by 4 as well, and a counter term
//! `x << k` added to them becomes `x << (k − 2)`. The accesses of the passes then take
//! element addresses as they are.
//!
//! That is exact only when every read of such a local in the body feeds one of those accesses,
//! or its own step: nothing else may see the element value.
//!
//! The pointers' steps move to the end of each pass, one step of F times as much: copy k reads
//! `p + k·s`, folded into the constant the read adds when it has one and added to the read
//! otherwise (`Versioned::read_offsets`).

use std::collections::HashMap;

use wasmparser::Operator;

use super::address::expression_start;
use super::anchors::word_copy_at;
use super::shape::{Bound, Counter, Derived};
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
    /// The `i32.const k` of each `x << k` added to one of those locals: `k − 2` in the passes.
    pub(super) shifts: Vec<usize>,
    /// The 4-byte accesses whose addresses become element addresses (the merges and copies are
    /// the caller's).
    pub(super) accesses: Vec<usize>,
    /// Whether the body merges words (its passes are then longer, see `unroll::factor`).
    pub(super) merges: bool,
}

/// The word merges and copies of a body, and the word anchors that keep them whole words.
pub(super) struct WordAccesses<'a> {
    /// The `merge_words` calls.
    pub(super) merges: &'a [usize],
    /// Where each 16-byte copy starts.
    pub(super) copies: &'a [usize],
    pub(super) anchors: &'a [Anchor],
}

/// An aligned 4-byte access of the body and its address expression.
#[derive(Clone, Debug)]
pub(super) struct ElementAccess {
    pub(super) at: usize,
    pub(super) expr: std::ops::RangeInclusive<usize>,
}

/// A read of an element pointer: a merge's address, a copy's `q` or `t`, or the base of a
/// 4-byte access.
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

    /// What the passes put at body operator `j` of a shifted counter term `x << k` added to an
    /// element pointer: `x << (k − 2)`, nothing at all for k = 2. `None` for other operators.
    pub(super) fn shifted_term<'b>(&self, body: &[Operator<'b>], j: usize) -> Option<Operator<'b>> {
        if let Some(&at) = self.shifts.iter().find(|&&at| at == j || at + 1 == j) {
            let Operator::I32Const { value: k } = body[at] else {
                return None;
            };
            return Some(match (k, j == at) {
                (2, _) => Operator::Nop,
                (_, true) => Operator::I32Const { value: k - 2 },
                (_, false) => body[j].clone(),
            });
        }
        None
    }

    /// Whether body operator `j` belongs to an element pointer's step, which the passes make
    /// once instead.
    pub(super) fn in_step(&self, j: usize) -> bool {
        self.steps
            .iter()
            .any(|s| (s.update - 3..=s.update).contains(&j))
    }
}

/// The element pointers of a body: the locals addressing its word merges and copies (`words`,
/// each anchored to 16) and its aligned 4-byte accesses (`accesses`, each at a local of
/// `aligned` — which the bounds test checks are multiples of 4 — plus a constant or a shifted
/// counter term). `None` when a merge or copy is addressed otherwise, when no access can take
/// an element address, or when one of those locals is read anywhere else (an access whose
/// address has another shape reads it so).
pub(super) fn element_pointers(
    body: &[Operator<'_>],
    words: &WordAccesses<'_>,
    accesses: &[ElementAccess],
    aligned: &[u32],
    derived: &HashMap<u32, Derived>,
) -> Option<ElementPointers> {
    let anchored = |local: u32| {
        words
            .anchors
            .iter()
            .any(|a| matches!(a, Anchor::Pointer(p) | Anchor::Invariant(p) if *p == local))
    };
    let mut reads = Vec::new();
    for &call in words.merges {
        let mut end = call;
        for _ in 0..3 {
            let start = expression_start(body, end.checked_sub(1)?)?;
            let (local, constant) = based(&body[start..end])?;
            if !anchored(local) {
                return None;
            }
            reads.push(Read {
                at: start,
                local,
                constant: constant.map(|c| start + c),
            });
            end = start;
        }
    }
    for &copy in words.copies {
        let (q, t) = word_copy_at(body, copy)?;
        for (local, at) in [(q, copy), (t, copy + 1), (q, copy + 4), (t, copy + 5)] {
            if !anchored(local) {
                return None;
            }
            reads.push(Read {
                at,
                local,
                constant: None,
            });
        }
    }
    let (mut shifts, mut converted) = (Vec::new(), Vec::new());
    for access in accesses {
        let (start, end) = (*access.expr.start(), *access.expr.end());
        let expr = &body[start..=end];
        let (local, at, constant, shift) = if let Some((local, constant)) = based(expr) {
            (local, start, constant.map(|c| start + c), None)
        } else if let Some((local, at, shift)) = shifted(expr) {
            (local, start + at, None, Some(start + shift))
        } else {
            continue;
        };
        if !aligned.contains(&local) {
            continue;
        }
        reads.push(Read {
            at,
            local,
            constant,
        });
        shifts.extend(shift);
        converted.push(access.at);
    }
    if words.merges.is_empty() && converted.is_empty() {
        return None;
    }
    let mut locals: Vec<u32> = reads.iter().map(|r| r.local).collect();
    locals.sort_unstable();
    locals.dedup();
    // A pointer's step moves it by a multiple of 4 bytes (its alignment requires it; 16 for
    // an anchor).
    let mut steps = Vec::new();
    for local in &locals {
        if let Some(step) = derived.get(local) {
            if !matches!(body[step.update], Operator::LocalSet { .. }) || step.step % 4 != 0 {
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
        shifts,
        accesses: converted,
        merges: !words.merges.is_empty(),
    };
    let known = |j: usize| pointers.in_step(j) || pointers.reads.iter().any(|r| r.at == j);
    (!read_elsewhere(body, &pointers.locals, known)).then_some(pointers)
}

/// Whether `body` reads (or tees) one of `locals` at an index `known` does not accept: such a
/// read would see the element value.
fn read_elsewhere(body: &[Operator<'_>], locals: &[u32], known: impl Fn(usize) -> bool) -> bool {
    body.iter().enumerate().any(|(j, op)| {
        matches!(op, Operator::LocalGet { local_index } | Operator::LocalTee { local_index }
            if locals.contains(local_index) && !known(j))
    })
}

/// `local.get p` or `local.get p  i32.const c  i32.add` (c a multiple of 4): the local and,
/// for the second, the constant's index in `expr`.
fn based(expr: &[Operator<'_>]) -> Option<(u32, Option<usize>)> {
    match expr {
        [Operator::LocalGet { local_index }] => Some((*local_index, None)),
        [Operator::LocalGet { local_index }, Operator::I32Const { value }, Operator::I32Add]
            if *value >= 0 && value % 4 == 0 =>
        {
            Some((*local_index, Some(1)))
        }
        _ => None,
    }
}

/// `local.get b  X  i32.const k  i32.shl  i32.add` or `X  i32.const k  i32.shl  local.get b
/// i32.add`, with k ≥ 2 and X not reading b: b, where it is read, and where k is (indices in
/// `expr`).
pub(super) fn shifted(expr: &[Operator<'_>]) -> Option<(u32, usize, usize)> {
    let [.., Operator::I32Const { value: k }, Operator::I32Shl, Operator::I32Add] = expr else {
        let [rest @ .., Operator::I32Const { value: k }, Operator::I32Shl, Operator::LocalGet { local_index }, Operator::I32Add] =
            expr
        else {
            return None;
        };
        let reads = |op: &Operator<'_>| matches!(op, Operator::LocalGet { local_index: l } | Operator::LocalTee { local_index: l } if l == local_index);
        // X must be one expression, all of `rest`.
        let whole = rest
            .len()
            .checked_sub(1)
            .and_then(|end| expression_start(rest, end))
            == Some(0);
        return ((2..32).contains(k) && whole && !rest.iter().any(reads)).then_some((
            *local_index,
            expr.len() - 2,
            expr.len() - 4,
        ));
    };
    let Operator::LocalGet { local_index } = expr[0] else {
        return None;
    };
    let x = &expr[1..expr.len() - 3];
    let reads = |op: &Operator<'_>| matches!(op, Operator::LocalGet { local_index: l } | Operator::LocalTee { local_index: l } if *l == local_index);
    // X must be one expression, the shift's operand (not one that also takes b).
    let whole = x
        .len()
        .checked_sub(1)
        .and_then(|end| expression_start(x, end))
        == Some(0);
    ((2..32).contains(k) && whole && !x.iter().any(reads)).then_some((
        local_index,
        0,
        expr.len() - 3,
    ))
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

/// Element addresses in the unchecked copy of a loop that is not unrolled: the locals its
/// aligned 4-byte accesses add up (bases, pointers, and the counter itself when it counts in
/// bytes, as clang's `B + i` with `i += 4`) are divided by 4 before the loop and multiplied
/// back after it, and inside the loop every constant they are added to, stepped by or compared
/// with is divided by 4 too.
///
/// Exact for the same reason as the passes' element pointers: the test checked that each of
/// those locals is a multiple of 4 on entry (the counter's start among them), every step and
/// constant is one, so every value the loop gives them is, and every read of them in the body
/// is an address, a step, or the counter's test. An address is a sum of such locals and
/// constants, so its element address is the same sum of their quarters; a counter compared
/// with a constant multiple of 4 (`lt_u` or `ne`) compares the same way in quarters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct PlainElements {
    /// Divided by 4 before the loop and multiplied back after it.
    pub(super) locals: Vec<u32>,
    /// The body's `i32.const`s that change, with their values in the element form.
    pub(super) constants: Vec<(usize, i32)>,
    /// The 4-byte accesses whose address operands become element addresses.
    pub(super) accesses: Vec<usize>,
    /// Whether the counter is among `locals` (its range is then in elements too).
    pub(super) counter: bool,
}

/// The [`PlainElements`] of a body with counter `counter` (`align_counter`: the test checks
/// its start is a multiple of 4), its aligned 4-byte accesses and the locals the test checks
/// are multiples of 4 (`aligned`). `None` when no access is a sum of such locals and
/// constants, or when one of them is read anywhere else.
pub(super) fn plain_element_pointers(
    body: &[Operator<'_>],
    accesses: &[ElementAccess],
    aligned: &[u32],
    derived: &HashMap<u32, Derived>,
    counter: &Counter,
    align_counter: bool,
) -> Option<PlainElements> {
    let bound_at = counter.bound_at;
    let counter_ok = align_counter
        && counter.step % 4 == 0
        && match counter.bound {
            Bound::Const(0) => true,
            Bound::Const(n) => (n as u32).is_multiple_of(4) && bound_at.is_some(),
            Bound::Local(_) => false,
        };
    let element_local = |local: u32| {
        (aligned.contains(&local) && local != counter.local)
            || (local == counter.local && counter_ok)
    };
    let (mut reads, mut constants, mut converted) = (Vec::new(), Vec::new(), Vec::new());
    for access in accesses {
        let start = *access.expr.start();
        let Some(terms) = sum_terms(&body[access.expr.clone()]) else {
            continue;
        };
        let locals_ok = terms.iter().all(|(_, term)| match term {
            Term::Local(local) => element_local(*local),
            Term::Constant(_) => true,
        });
        if !locals_ok || !terms.iter().any(|(_, t)| matches!(t, Term::Local(_))) {
            continue;
        }
        for (at, term) in terms {
            match term {
                Term::Local(local) => reads.push((start + at, local)),
                Term::Constant(value) => constants.push((start + at, value / 4)),
            }
        }
        converted.push(access.at);
    }
    let mut locals: Vec<u32> = reads.iter().map(|(_, local)| *local).collect();
    locals.sort_unstable();
    locals.dedup();
    if converted.is_empty() {
        return None;
    }
    // The steps: the counter's and the pointers', each `local.get p  i32.const s  i32.add
    // local.set/tee p` (`s` a multiple of 4; the invariant bases have none).
    let mut own = Vec::new();
    for &local in &locals {
        let update = if local == counter.local {
            if let Some(at) = bound_at.filter(|_| counter.bound != Bound::Const(0)) {
                let Bound::Const(n) = counter.bound else {
                    return None;
                };
                constants.push((at, ((n as u32) / 4) as i32));
            }
            counter.update
        } else if let Some(step) = derived.get(&local) {
            step.update
        } else {
            continue;
        };
        // A `local.tee` would hand the element value to something else, but for the
        // counter's test right after a step in the back edge.
        let tee_ok = local == counter.local && counter.step_in_back_edge;
        if matches!(body[update], Operator::LocalTee { .. }) && !tee_ok {
            return None;
        }
        let Operator::I32Const { value } = body[update.checked_sub(2)?] else {
            return None;
        };
        if value % 4 != 0 {
            return None;
        }
        constants.push((update - 2, value / 4));
        own.extend(update - 3..=update);
    }
    // The counter's test reads it after a step made earlier in the body.
    if locals.contains(&counter.local) && !counter.step_in_back_edge {
        let test_read = body.iter().rposition(
            |op| matches!(op, Operator::LocalGet { local_index } if *local_index == counter.local),
        )?;
        own.push(test_read);
    }
    let known = |j: usize| own.contains(&j) || reads.iter().any(|(at, _)| *at == j);
    if read_elsewhere(body, &locals, known) {
        return None;
    }
    let counter = locals.contains(&counter.local);
    Some(PlainElements {
        locals,
        constants,
        accesses: converted,
        counter,
    })
}

/// A term of an address sum.
#[derive(Clone, Copy)]
enum Term {
    Local(u32),
    /// A non-negative multiple of 4.
    Constant(i32),
}

/// The terms of `expr` when it is a sum of `local.get`s and constants that are non-negative
/// multiples of 4 (`i32.add`s only), each with its index in `expr`.
fn sum_terms(expr: &[Operator<'_>]) -> Option<Vec<(usize, Term)>> {
    let (mut terms, mut depth) = (Vec::new(), 0usize);
    for (at, op) in expr.iter().enumerate() {
        match op {
            Operator::LocalGet { local_index } => {
                terms.push((at, Term::Local(*local_index)));
                depth += 1;
            }
            Operator::I32Const { value } if *value >= 0 && value % 4 == 0 => {
                terms.push((at, Term::Constant(*value)));
                depth += 1;
            }
            Operator::I32Add if depth >= 2 => depth -= 1,
            _ => return None,
        }
    }
    (depth == 1).then_some(terms)
}
