//! Addresses in a loop body as symbolic sums of a base local, the shifted counter, a derived
//! pointer and a constant, read backwards from the access that uses them.

use std::collections::{HashMap, HashSet};

use wasmparser::Operator;

use super::shape::Derived;
use crate::prepare::shared_bounds::access;

/// The largest constant part `C + offset + size - 1` of a covered address.
pub(super) const MAX_REACH: u64 = 1 << 16;

/// The largest scale `k` of `i << k` in a covered address.
pub(super) const MAX_SHIFT: u32 = 4;

/// An address in a loop body as the symbolic sum `base + (i << shift) + constant`. The
/// constant is signed: `p - 4` is `p + 0xFFFF_FFFC` in Wasm's wrapping `i32.add`, which is the
/// same address whenever the sum itself lies in memory (the test checks both ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sym {
    Const(u32),
    Sum {
        base: Option<u32>,
        /// The shift of the induction local, when the address depends on it.
        shift: Option<u32>,
        /// A derived induction local it depends on (see [`Derived`]).
        derived: Option<u32>,
        constant: i64,
    },
    Unknown,
}

/// The index where the expression that leaves one value and ends at `body[end]` starts, for
/// expressions of plain operators with one result.
pub(crate) fn expression_start(body: &[Operator<'_>], end: usize) -> Option<usize> {
    let mut need = 1usize;
    let mut at = end + 1;
    while need > 0 {
        at = at.checked_sub(1)?;
        let pops = pops_one_result(&body[at])?;
        need = need - 1 + pops;
    }
    Some(at)
}

/// How many operands an operator that pushes exactly one value pops, for the operators an
/// address or stored value is usually computed with.
pub(super) fn pops_one_result(op: &Operator<'_>) -> Option<usize> {
    use Operator::*;
    Some(match op {
        LocalGet { .. } | GlobalGet { .. } | I32Const { .. } | I64Const { .. } => 0,
        LocalTee { .. }
        | I32Eqz
        | I64Eqz
        | I32Clz
        | I32Ctz
        | I32Popcnt
        | I64Clz
        | I64Ctz
        | I64Popcnt
        | I32WrapI64
        | I64ExtendI32S
        | I64ExtendI32U
        | I32Extend8S
        | I32Extend16S
        | I64Extend8S
        | I64Extend16S
        | I64Extend32S => 1,
        I32Add | I32Sub | I32Mul | I32And | I32Or | I32Xor | I32Shl | I32ShrS | I32ShrU
        | I32Rotl | I32Rotr | I64Add | I64Sub | I64Mul | I64And | I64Or | I64Xor | I64Shl
        | I64ShrS | I64ShrU | I64Rotl | I64Rotr | I32Eq | I32Ne | I32LtS | I32LtU | I32GtS
        | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS
        | I64GtU | I64LeS | I64LeU | I64GeS | I64GeU => 2,
        Select | TypedSelect { .. } => 3,
        op if access(op).is_some() && !is_store(op) => 1,
        _ => return None,
    })
}

/// The `i32.add`s and `i32.shl`s among `body[range]`, an address expression whose value the
/// test bounds: every term is non-negative and the whole sum below the memory size, so none of
/// them wraps.
pub(super) fn sums_in(body: &[Operator<'_>], range: std::ops::RangeInclusive<usize>) -> Vec<usize> {
    range
        .filter(|j| matches!(body[*j], Operator::I32Add | Operator::I32Shl))
        .collect()
}

/// Whether an aligned address makes the access whole elements: felts, and 4- or 8-byte
/// integers. The test then also asks for aligned bases: a program whose words are not
/// aligned runs the checked loop, as it did before.
pub(super) fn whole_elements(op: &Operator<'_>, size: u32) -> bool {
    matches!(op, Operator::F32Load { .. } | Operator::F32Store { .. }) || size == 4 || size == 8
}

/// Whether an access is a store (its value is computed before it, after the address).
pub(super) fn is_store(op: &Operator<'_>) -> bool {
    crate::analysis::counted_loop::is_store(op) || matches!(op, Operator::F32Store { .. })
}

/// What evaluating an address expression relied on, besides the loop's shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Relied {
    /// `i | c` read as `i + c` (the test must then check the counter's start).
    pub(super) ors_counter: bool,
    /// A local written earlier in the same iteration ([`Def`]): the expression's operators
    /// alone do not give the address, so the passes that re-read them leave it alone.
    pub(super) defs: bool,
}

/// A write of a local at the body's top level: every read after it and before the local's
/// next write, in the same iteration, sees `sym` (no branch can skip a write that no construct
/// of the body encloses). `None` when its value is not an address [`evaluate`] knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Def {
    /// The index of the `local.set`/`local.tee` in the body.
    pub(super) at: usize,
    pub(super) sym: Option<Sym>,
}

/// The symbolic value of an address expression in a loop whose body writes the locals
/// `written`. `(induction, stride)` is the counter and the size of its step. `i | c` (rustc's
/// `i + c` for an `i` it knows is a multiple of 4) counts as `i + c` when the stride keeps `i`
/// a multiple of 4 ([`Relied::ors_counter`]). `def(local, at)` is the value of a written local
/// read at body index `at`, when a [`Def`] gives it; `expr` starts at body index `start`.
pub(super) fn evaluate(
    (expr, start): (&[Operator<'_>], usize),
    (induction, stride): (u32, u32),
    written: &HashSet<u32>,
    derived: &HashMap<u32, Derived>,
    def: &dyn Fn(u32, usize) -> Option<Sym>,
    relied: &mut Relied,
) -> Sym {
    use Operator::*;
    let counter = |shift: u32, constant: i64| Sym::Sum {
        base: None,
        shift: Some(shift),
        derived: None,
        constant,
    };
    let mut stack: Vec<Sym> = Vec::new();
    for (k, op) in expr.iter().enumerate() {
        let value = match op {
            // The step's `local.tee` leaves the stepped counter (the access comes after it).
            LocalTee { local_index } if *local_index == induction => {
                stack.pop();
                counter(0, 0)
            }
            LocalGet { local_index } if *local_index == induction => counter(0, 0),
            LocalGet { local_index } if derived.contains_key(local_index) => Sym::Sum {
                base: None,
                shift: None,
                derived: Some(*local_index),
                constant: 0,
            },
            LocalGet { local_index } if !written.contains(local_index) => Sym::Sum {
                base: Some(*local_index),
                shift: None,
                derived: None,
                constant: 0,
            },
            LocalGet { local_index } => match def(*local_index, start + k) {
                Some(sym) => {
                    relied.defs = true;
                    sym
                }
                None => Sym::Unknown,
            },
            // A `local.tee` of another local passes its operand on.
            LocalTee { .. } => stack.pop().unwrap_or(Sym::Unknown),
            I32Or => {
                let (b, a) = (stack.pop(), stack.pop());
                match (a, b) {
                    (Some(a), Some(Sym::Const(c)))
                        if a == counter(0, 0) && c < 4 && stride.is_multiple_of(4) =>
                    {
                        relied.ors_counter = true;
                        add(a, Sym::Const(c))
                    }
                    _ => Sym::Unknown,
                }
            }
            I32Const { value } => Sym::Const(*value as u32),
            I32Add => {
                let (b, a) = (stack.pop(), stack.pop());
                add(a.unwrap_or(Sym::Unknown), b.unwrap_or(Sym::Unknown))
            }
            I32Shl => {
                let (b, a) = (stack.pop(), stack.pop());
                match (a, b) {
                    (
                        Some(Sym::Sum {
                            base: None,
                            shift: Some(0),
                            derived: None,
                            constant,
                        }),
                        Some(Sym::Const(k)),
                    ) if k <= MAX_SHIFT => counter(k, constant << k),
                    _ => Sym::Unknown,
                }
            }
            _ => {
                // Any other operator: its result is unknown.
                let pops = pops_one_result(op).unwrap_or(0);
                stack.truncate(stack.len().saturating_sub(pops));
                Sym::Unknown
            }
        };
        stack.push(value);
    }
    match stack.as_slice() {
        [value] => *value,
        _ => Sym::Unknown,
    }
}

/// The symbolic sum of two values: at most one base, one counter term and one derived local.
pub(super) fn add(a: Sym, b: Sym) -> Sym {
    match (a, b) {
        (
            Sym::Sum {
                base,
                shift,
                derived,
                constant,
            },
            Sym::Const(c),
        )
        | (
            Sym::Const(c),
            Sym::Sum {
                base,
                shift,
                derived,
                constant,
            },
        ) => Sym::Sum {
            base,
            shift,
            derived,
            // Added to a sum, a constant is what it adds modulo 2^32: read it signed.
            constant: constant + i64::from(c as i32),
        },
        (
            Sym::Sum {
                base: b1,
                shift: s1,
                derived: d1,
                constant: c1,
            },
            Sym::Sum {
                base: b2,
                shift: s2,
                derived: d2,
                constant: c2,
            },
        ) if (b1.is_none() || b2.is_none())
            && (s1.is_none() || s2.is_none())
            && (d1.is_none() || d2.is_none()) =>
        {
            Sym::Sum {
                base: b1.or(b2),
                shift: s1.or(s2),
                derived: d1.or(d2),
                constant: c1 + c2,
            }
        }
        _ => Sym::Unknown,
    }
}
