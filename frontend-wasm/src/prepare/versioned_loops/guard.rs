//! The test before a versioned loop, as Wasm operators: every covered address in bounds (and
//! aligned where the copy assumes it) for every value the counter and its pointers take.

use wasmparser::Operator;

use super::shape::Bound;
use super::Plan;

/// The test that every covered address of the loop is in bounds, as Wasm operators leaving
/// one i32 (1 when it holds).
pub(super) fn guard<'b>(plan: &Plan) -> Vec<Operator<'b>> {
    use Operator::*;
    let (counter, reach) = (&plan.counter, &plan.reach);
    let i = || LocalGet {
        local_index: counter.local,
    };
    let n = || match counter.bound {
        Bound::Local(local_index) => LocalGet { local_index },
        Bound::Const(value) => I32Const { value },
    };
    let konst = |value: u64| I32Const {
        value: value as u32 as i32,
    };
    let up = counter.step > 0;
    let stride = counter.step.unsigned_abs();
    let mut out = Vec::new();
    // The values i takes are below n (up) or in (n, i] (down).
    if up {
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
    for (&(base, shift), &k) in reach {
        // K <= L
        out.push(konst(k));
        out.extend(memory_bytes());
        out.extend([I32LeU, I32And]);
        // M = L - K - B, with B <= L - K
        if let Some(local_index) = base {
            out.push(LocalGet { local_index });
            out.extend(memory_bytes());
            out.extend([konst(k), I32Sub, I32LeU, I32And]);
        }
        // c = ceil(M / 2^shift); up: n <= c, down: i < c.
        if up {
            out.push(n());
        } else {
            out.push(i());
        }
        out.extend(memory_bytes());
        out.extend([konst(k), I32Sub]);
        if let Some(local_index) = base {
            out.extend([LocalGet { local_index }, I32Sub]);
        }
        if shift > 0 {
            out.extend([
                konst((1 << shift) - 1),
                I32Add,
                konst(u64::from(shift)),
                I32ShrU,
            ]);
        }
        out.extend([if up { I32LeU } else { I32LtU }, I32And]);
    }
    // Derived locals (counting up only): with T iterations, p's accesses reach
    // p + t(T - 1) + K at most, which must lie below L: T <= ceil((L - K - p) / t).
    for &(p, t, k) in &plan.derived {
        let p = || LocalGet { local_index: p };
        out.push(konst(k));
        out.extend(memory_bytes());
        out.extend([I32LeU, I32And, p()]);
        out.extend(memory_bytes());
        out.extend([konst(k), I32Sub, I32LeU, I32And]);
        // T = (n - i) / s, rounded up for `lt_u` (i < n is tested above).
        out.extend([n(), i(), I32Sub]);
        if counter.below {
            out.extend([konst(u64::from(stride - 1)), I32Add]);
        }
        out.extend(divided_by(stride));
        out.extend(memory_bytes());
        out.extend([konst(k), I32Sub, p(), I32Sub]);
        out.extend([konst(u64::from(t - 1)), I32Add]);
        out.extend(divided_by(t));
        out.extend([I32LeU, I32And]);
    }
    out
}
