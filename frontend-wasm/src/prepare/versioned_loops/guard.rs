//! The test before a versioned loop, as Wasm operators: every covered address in bounds (and
//! aligned where the copy assumes it) for every value the counter and its pointers take.

use wasmparser::Operator;

use super::plan::{Group, Plan};

/// The test that every covered address of the loop is in bounds, as Wasm operators leaving
/// one i32 (1 when it holds).
pub(super) fn guard<'b>(plan: &Plan) -> Vec<Operator<'b>> {
    use Operator::*;
    let (counter, reach) = (&plan.counter, &plan.reach);
    let i = || counter.get();
    let n = || counter.bound.get();
    let konst = |value: u64| I32Const {
        value: value as u32 as i32,
    };
    let up = counter.step > 0;
    let stride = counter.step.unsigned_abs();
    let mut out = Vec::new();
    // The values i takes are below n (up) or in (n, i] (down). A counter no address reads
    // may count up to 0 from above 2^31: then only i != 0, as the distance counts the steps.
    if up && plan.wraps {
        out.extend([i(), n(), I32Ne]);
    } else if up {
        out.extend([i(), n(), I32LtU]);
    } else {
        out.extend([n(), i(), I32LtU]);
    }
    if !counter.below && stride > 1 {
        // The distance is a whole number of steps.
        if up {
            out.extend([n(), i(), I32Sub]);
        } else {
            out.extend([i(), n(), I32Sub]);
        }
        if stride.is_power_of_two() {
            out.extend([konst(u64::from(stride - 1)), I32And]);
        } else {
            out.extend([konst(u64::from(stride)), I32RemU]);
        }
        out.extend([I32Eqz, I32And]);
    }
    // Felt accesses' alignment: the counter's start and the bases are multiples of 4.
    let aligned_locals = plan
        .align_counter
        .then_some(counter.local)
        .into_iter()
        .chain(plan.align_bases.iter().copied());
    for local_index in aligned_locals {
        out.extend([
            LocalGet { local_index },
            I32Const { value: 3 },
            I32And,
            I32Eqz,
            I32And,
        ]);
    }
    let memory_bytes = || [MemorySize { mem: 0 }, I32Const { value: 16 }, I32Shl];
    // Unsigned division by a constant: a shift for a power of two.
    let divided_by = |d: u32| {
        if d.is_power_of_two() {
            [konst(u64::from(d.trailing_zeros())), I32ShrU]
        } else {
            [konst(u64::from(d)), I32DivU]
        }
    };
    let rounded_up = |d: u32| [konst(u64::from(d - 1)), I32Add];
    for (&group, &k) in reach {
        let local = match group {
            Group::Counter { base, .. } => base,
            Group::Pointer { local, .. } | Group::Invariant { local } => Some(local),
        };
        // K <= L, and the group's local at most L - K.
        out.push(konst(k));
        out.extend(memory_bytes());
        out.extend([I32LeU, I32And]);
        if let Some(local_index) = local {
            out.push(LocalGet { local_index });
            out.extend(memory_bytes());
            out.extend([konst(k), I32Sub, I32LeU, I32And]);
        }
        // What is compared with ceil(M / d), M = L - K - local: for the counter, n (up) or the
        // first value (down) with d = 2^shift; for a pointer (counting up only), with T
        // iterations its accesses reach p + t(T - 1) + K at most, so T with d = t.
        let (lhs, d, test) = match group {
            Group::Invariant { .. } => continue,
            Group::Counter { shift, .. } => {
                let lhs = if up { vec![n()] } else { vec![i()] };
                (lhs, 1 << shift, if up { I32LeU } else { I32LtU })
            }
            Group::Pointer { step, .. } => {
                // T = (n - i) / s, rounded up for `lt_u` (i < n is tested above).
                let mut lhs = vec![n(), i(), I32Sub];
                if counter.below {
                    lhs.extend(rounded_up(stride));
                }
                lhs.extend(divided_by(stride));
                (lhs, step, I32LeU)
            }
        };
        out.extend(lhs);
        out.extend(memory_bytes());
        out.extend([konst(k), I32Sub]);
        if let Some(local_index) = local {
            out.extend([LocalGet { local_index }, I32Sub]);
        }
        if d > 1 {
            out.extend(rounded_up(d));
            out.extend(divided_by(d));
        }
        out.extend([test, I32And]);
    }
    // Accesses below their group's moving part (a loop counting up): the group's first
    // address, its lowest, is at least the negated constant, so that none wraps below 0.
    for (&group, &low) in &plan.floor {
        let (local, shift) = match group {
            Group::Counter { base, shift } => (base, Some(shift)),
            Group::Pointer { local, .. } | Group::Invariant { local } => (Some(local), None),
        };
        let mut first = Vec::new();
        if let Some(shift) = shift {
            first.push(i());
            if shift > 0 {
                first.extend([konst(u64::from(shift)), I32Shl]);
            }
        }
        if let Some(local_index) = local {
            first.push(LocalGet { local_index });
            if shift.is_some() {
                first.push(I32Add);
            }
        }
        out.extend(first);
        out.extend([konst(low.unsigned_abs()), I32GeU, I32And]);
    }
    out
}
