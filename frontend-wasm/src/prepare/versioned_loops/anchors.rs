//! Anchors of unrolled passes: what a pass tests is a multiple of 4 (byte accesses then know
//! where in an element they fall) or of 16 (`merge_words` calls and 16-byte copies then move
//! whole words), and where each such access falls against its anchor.

use std::collections::HashMap;

use wasmparser::Operator;

use super::address::Sym;
use super::shape::{Counter, Derived};

/// What an unrolled section tests is a multiple of 4 or 16 before it runs. For byte accesses
/// (4): `B + i` of a counter access, or a pointer, moving by an odd step (single iterations
/// align it within three); each pass moves it by `F·s` or `F·t`, multiples of 4 (F is 4 or 8).
/// For word moves (16): a pointer or counter term moving by multiples of 16, or a local the
/// loop never writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Anchor {
    Counter {
        base: Option<u32>,
        shift: u32,
    },
    Pointer(u32),
    /// A local the loop never writes (a `merge_words` result's stack temporary).
    Invariant(u32),
}

/// A byte or half-word access of the body whose address is an anchor plus `first` in copy 0
/// of an unrolled pass, and `per_copy` more in each later copy.
#[derive(Clone, Copy, Debug)]
pub(super) struct Residue {
    /// The access's index in the body.
    pub(super) at: usize,
    first: i64,
    per_copy: i64,
}

impl Residue {
    /// The access's address modulo 4 in copy `k` of a pass that starts from aligned anchors.
    pub(super) fn in_copy(&self, k: usize) -> u32 {
        (self.first + k as i64 * self.per_copy).rem_euclid(4) as u32
    }
}

/// Where an address `body[expr]` of value `sym` lies against its anchor in copy 0 of a pass,
/// and how far it moves per iteration: the anchor's value at the top of an iteration plus
/// `first`, which grows by the step (shifted) or the pointer's step from one copy to the next.
/// `(anchor, first, step)`; `None` when the address has no moving anchor.
pub(super) fn anchored(
    body: &[Operator<'_>],
    expr: &std::ops::RangeInclusive<usize>,
    sym: Sym,
    counter: &Counter,
    derived: &HashMap<u32, Derived>,
) -> Option<(Anchor, i64, i64)> {
    // The read of the moving local whose value the address holds. The counter's step
    // `local.tee` leaves the stepped counter; a pointer's passes its sum on, which `constant`
    // already holds, so only a pointer's `local.get` counts.
    let read_of = |local: u32, tee: bool| {
        expr.clone().rev().find(|j| match body[*j] {
            Operator::LocalGet { local_index } => local_index == local,
            Operator::LocalTee { local_index } => tee && local_index == local,
            _ => false,
        })
    };
    let (anchor, constant, step, read, update) = match sym {
        Sym::Sum {
            base,
            shift: Some(shift),
            derived: None,
            constant,
        } => {
            let step = i64::from(counter.step) << shift;
            let anchor = Anchor::Counter { base, shift };
            (
                anchor,
                constant,
                step,
                read_of(counter.local, true)?,
                counter.update,
            )
        }
        Sym::Sum {
            base: None,
            shift: None,
            derived: Some(p),
            constant,
        } => {
            let Derived { step, update } = derived[&p];
            (
                Anchor::Pointer(p),
                constant,
                i64::from(step),
                read_of(p, false)?,
                update,
            )
        }
        _ => return None,
    };
    let stepped = if read >= update { step } else { 0 };
    // Addresses below their moving part are not anchored.
    Some((anchor, u64::try_from(constant).ok()? as i64 + stepped, step))
}

/// Where the byte access `body[at]`, with address `body[expr]` of value `sym`, falls against
/// its anchor (see [`anchored`]).
pub(super) fn residue(
    body: &[Operator<'_>],
    expr: std::ops::RangeInclusive<usize>,
    at: usize,
    sym: Sym,
    counter: &Counter,
    derived: &HashMap<u32, Derived>,
) -> Option<(Anchor, Residue)> {
    let (anchor, first, step) = anchored(body, &expr, sym, counter, derived)?;
    // An odd move per iteration reaches an aligned anchor within three single iterations; an
    // even one may never, and the loop would run one iteration at a time throughout.
    if step % 2 == 0 {
        return None;
    }
    Some((
        anchor,
        Residue {
            at,
            first,
            per_copy: step,
        },
    ))
}

/// `(q, t)` when `body[at..at + 8]` copies 16 bytes from `t` to `q` as two `i64` moves:
/// `local.get q  local.get t  i64.load offset=8  i64.store offset=8` and the same at offset 0,
/// in either order (how rustc copies a returned 16-byte value into place).
pub(super) fn word_copy_at(body: &[Operator<'_>], at: usize) -> Option<(u32, u32)> {
    use Operator::{I64Load, I64Store, LocalGet};
    let [LocalGet { local_index: q1 }, LocalGet { local_index: t1 }, I64Load { memarg: l1 }, I64Store { memarg: s1 }, LocalGet { local_index: q2 }, LocalGet { local_index: t2 }, I64Load { memarg: l2 }, I64Store { memarg: s2 }] =
        body.get(at..at + 8)?
    else {
        return None;
    };
    let halves = [(l1.offset, s1.offset), (l2.offset, s2.offset)];
    let both = halves == [(8, 8), (0, 0)] || halves == [(0, 0), (8, 8)];
    (q1 == q2 && t1 == t2 && q1 != t1 && both).then_some((*q1, *t1))
}

/// What must be a multiple of 16 for an address of value `sym` to be one in every iteration:
/// `Some(None)` for a constant that is, `Some(Some(anchor))` for a moving or invariant part
/// that moves by multiples of 16, `None` when the address can leave them.
pub(super) fn word_anchor(
    sym: Sym,
    counter: &Counter,
    derived: &HashMap<u32, Derived>,
    ors_counter: bool,
) -> Option<Option<Anchor>> {
    match sym {
        Sym::Const(c) if c % 16 == 0 => Some(None),
        Sym::Sum {
            base: None,
            shift: None,
            derived: Some(p),
            constant,
        } if derived[&p].step.is_multiple_of(16) && constant >= 0 && constant % 16 == 0 => {
            Some(Some(Anchor::Pointer(p)))
        }
        Sym::Sum {
            base: Some(b),
            shift: None,
            derived: None,
            constant,
        } if constant >= 0 && constant % 16 == 0 => Some(Some(Anchor::Invariant(b))),
        Sym::Sum {
            base,
            shift: Some(shift),
            derived: None,
            constant,
        } if (i64::from(counter.step) << shift) % 16 == 0
            && constant >= 0
            && constant % 16 == 0
            && !ors_counter =>
        {
            Some(Some(Anchor::Counter { base, shift }))
        }
        _ => None,
    }
}
