//! Four byte stores that fill the bytes `a..a + 4` merged into one 4-byte store.
//!
//! Compilers write a buffer four bytes per iteration as four `i32.store8`s at `p`, `p + 3`,
//! `p + 2`, `p + 1` (in any order). On Miden each byte store is a read-modify-write of its
//! element; one `i32.store` of `b0 ^ (b1 << 8) ^ (b2 << 16) ^ (b3 << 24)` (each `bk` masked to
//! its byte, so the parts share no bit and `xor` is their bitwise or) writes the same four bytes, little-endian as Wasm
//! stores them, and in a versioned loop whose test checks `p` aligned it is a single element
//! store. The rewrite is done on the operators before translation, and only where it is exact:
//!
//! - the stores are adjacent: each one's address and value are computed right after the
//!   previous store, by plain arithmetic on locals and constants (no loads, calls or traps), so
//!   evaluating all four values before one store reads nothing a store writes;
//! - the first address is any such expression `x` (it may `local.tee` a local); the others are
//!   `x` again, read through that local or recomputed from locals nothing writes in between,
//!   with an `i32.const c  i32.add` after it or not;
//! - the bytes are `x + o .. x + o + 3`: either every address is `x` and the static offsets
//!   are `o..o + 3`, or the offsets are all `o` and the added constants are 0, 1, 2 and 3.
//!   Then no address wraps unless `x + o` is beyond every memory this backend allows (below
//!   65,536 pages), where the original's store at `x + o` traps as the merged store does; any
//!   other trap discards the execution, whichever byte it would have stopped at.

use wasmparser::{MemArg, Operator};

use crate::prepare::versioned_loops::expression_start;

/// Merges every run of four byte stores in `ops` (a whole function body) that qualifies;
/// `offsets` (one per operator) stays in step.
pub(crate) fn merge_byte_stores(ops: &mut Vec<Operator<'_>>, offsets: &mut Vec<u64>) {
    let mut at = 0;
    while at < ops.len() {
        if let Some(run) = byte_run(ops, at) {
            let (merged, merged_offsets) = run.emit(ops, offsets);
            let len = merged.len();
            ops.splice(run.start..=run.stores[3], merged);
            offsets.splice(run.start..=run.stores[3], merged_offsets);
            at = run.start + len;
        } else {
            at += 1;
        }
    }
}

/// One byte store of a run: where its parts are and what it adds to the shared address.
#[derive(Clone, Debug)]
struct ByteStore {
    /// The operators computing its value.
    value: std::ops::Range<usize>,
    /// The constant its address adds to `x` (`i32.const c  i32.add`), 0 when none.
    added: u32,
    memarg: MemArg,
}

/// Four adjacent byte stores filling one 4-byte range.
#[derive(Clone, Debug)]
struct Run {
    /// Index of the first operator of the first store's address.
    start: usize,
    /// The operators computing `x` in the first store's address.
    base: std::ops::Range<usize>,
    /// Index of each `i32.store8`.
    stores: [usize; 4],
    parts: [ByteStore; 4],
    /// The static offset of the merged store (`o`).
    offset: u64,
}

/// The run of four byte stores ending at or after `ops[at]` whose first store's address
/// starts at `at`, if it qualifies.
fn byte_run(ops: &[Operator<'_>], at: usize) -> Option<Run> {
    let mut parts = Vec::with_capacity(4);
    let mut stores = [0; 4];
    let mut next = at;
    let mut base = 0..0;
    for (k, slot) in stores.iter_mut().enumerate() {
        let (store, value, address) = byte_store_after(ops, next)?;
        let (x, added) = split_added(ops, address.clone());
        if k == 0 {
            if !pure(&ops[x.clone()], true) {
                return None;
            }
            base = x;
        } else if !same_base(ops, base.clone(), x) {
            return None;
        }
        let Operator::I32Store8 { memarg } = ops[store] else {
            return None;
        };
        if !pure(&ops[value.clone()], true) {
            return None;
        }
        parts.push(ByteStore {
            value,
            added,
            memarg,
        });
        *slot = store;
        next = store + 1;
    }
    let parts: [ByteStore; 4] = parts.try_into().ok()?;
    if parts
        .iter()
        .any(|p| p.memarg.target != parts[0].memarg.target)
    {
        return None;
    }
    let bytes: Vec<u64> = parts
        .iter()
        .map(|p| p.memarg.offset + u64::from(p.added))
        .collect();
    let offset = *bytes.iter().min()?;
    let covers = (0..4).all(|r| bytes.contains(&(offset + r)));
    let all_unadded = parts.iter().all(|p| p.added == 0);
    let same_offset = parts
        .iter()
        .all(|p| p.memarg.offset == parts[0].memarg.offset);
    let from_zero = parts.iter().any(|p| p.added == 0);
    if !covers || !(all_unadded || (same_offset && from_zero)) {
        return None;
    }
    Some(Run {
        start: at,
        base,
        stores,
        parts,
        offset,
    })
}

/// The `i32.store8` whose address expression starts at `ops[at]`: its index, its value's
/// operators and its address's operators.
fn byte_store_after(
    ops: &[Operator<'_>],
    at: usize,
) -> Option<(usize, std::ops::Range<usize>, std::ops::Range<usize>)> {
    // The first store after `at` (within a few operators); its value is one expression and
    // its address the one before, which must start at `at`.
    let store =
        (at..(at + 64).min(ops.len())).find(|&j| matches!(ops[j], Operator::I32Store8 { .. }))?;
    let value = expression_start(ops, store.checked_sub(1)?)?;
    if value <= at || expression_start(ops, value - 1)? != at {
        return None;
    }
    Some((store, value..store, at..value))
}

/// `(x, c)` for an address `x  i32.const c  i32.add` (c small and positive), `(address, 0)`
/// otherwise.
fn split_added(
    ops: &[Operator<'_>],
    address: std::ops::Range<usize>,
) -> (std::ops::Range<usize>, u32) {
    let end = address.end;
    match ops.get(end.saturating_sub(2)..end) {
        Some([Operator::I32Const { value }, Operator::I32Add])
            if (1..4).contains(value) && end - 2 > address.start =>
        {
            (address.start..end - 2, *value as u32)
        }
        _ => (address, 0),
    }
}

/// Whether operators compute a value from locals and constants only: no loads, calls or
/// operators that can trap, and (unless `tees`) no writes to locals.
fn pure(ops: &[Operator<'_>], tees: bool) -> bool {
    use Operator::*;
    ops.iter().all(|op| match op {
        LocalTee { .. } => tees,
        LocalGet { .. } | I32Const { .. } | I64Const { .. } => true,
        I32Add | I32Sub | I32Mul | I32And | I32Or | I32Xor | I32Shl | I32ShrS | I32ShrU
        | I32Rotl | I32Rotr | I64Add | I64Sub | I64Mul | I64And | I64Or | I64Xor | I64Shl
        | I64ShrS | I64ShrU | I64Rotl | I64Rotr | I32WrapI64 | I64ExtendI32U | I64ExtendI32S
        | I32Eqz | I32Eq | I32Ne | I32LtU | I32GtU | I32LeU | I32GeU | I32LtS | I32GtS | I32LeS
        | I32GeS => true,
        _ => false,
    })
}

/// Whether the address part `ops[x]` of a later store has the value the first store's
/// `ops[base]` had: `local.get t` after a `base` that ends with
/// `local.tee t`, or the same operators as `base` when those only read locals; either way no
/// local they read is written from the end of `base` up to `x`.
fn same_base(
    ops: &[Operator<'_>],
    base: std::ops::Range<usize>,
    x: std::ops::Range<usize>,
) -> bool {
    let reads: Vec<u32> = match (&ops[x.clone()], ops.get(base.end - 1)) {
        ([Operator::LocalGet { local_index: t }], Some(Operator::LocalTee { local_index: u }))
            if t == u =>
        {
            vec![*t]
        }
        (later, _) if later == &ops[base.clone()] && pure(later, false) => later
            .iter()
            .filter_map(|op| match op {
                Operator::LocalGet { local_index } => Some(*local_index),
                _ => None,
            })
            .collect(),
        _ => return false,
    };
    !ops[base.end..x.end].iter().any(|op| match op {
        Operator::LocalTee { local_index } | Operator::LocalSet { local_index } => {
            reads.contains(local_index)
        }
        _ => false,
    })
}

impl Run {
    /// The merged store: `x`, each value masked and shifted to its byte and joined, then one
    /// `i32.store` at offset `o`.
    fn emit<'b>(&self, ops: &[Operator<'b>], offsets: &[u64]) -> (Vec<Operator<'b>>, Vec<u64>) {
        let mut out: Vec<Operator<'b>> = ops[self.base.clone()].to_vec();
        let mut offs: Vec<u64> = offsets[self.base.clone()].to_vec();
        for (k, part) in self.parts.iter().enumerate() {
            let byte = part.memarg.offset + u64::from(part.added) - self.offset;
            let before = out.len();
            out.extend_from_slice(&ops[part.value.clone()]);
            if byte < 3 {
                out.extend([Operator::I32Const { value: 0xFF }, Operator::I32And]);
            }
            if byte > 0 {
                out.extend([
                    Operator::I32Const {
                        value: 8 * byte as i32,
                    },
                    Operator::I32Shl,
                ]);
            }
            if k > 0 {
                out.push(Operator::I32Xor);
            }
            let at = offsets[self.stores[k]];
            offs.extend(offsets[part.value.clone()].iter().copied());
            offs.extend(std::iter::repeat_n(
                at,
                out.len() - before - part.value.len(),
            ));
        }
        let first = self.parts[0].memarg;
        out.push(Operator::I32Store {
            memarg: MemArg {
                align: 0,
                max_align: 2,
                offset: self.offset,
                ..first
            },
        });
        offs.push(offsets[self.stores[0]]);
        (out, offs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of a function with parameters (p, v) and a local a, merged.
    fn merged(body: &str) -> Vec<Operator<'static>> {
        let wat = format!("(module (memory 1) (func (param i32 i32) (local i32) {body}))");
        let mut ops = crate::analysis::test_support::first_body_ops(&wat);
        let mut offsets = vec![0; ops.len()];
        merge_byte_stores(&mut ops, &mut offsets);
        assert_eq!(ops.len(), offsets.len());
        ops
    }

    fn count(ops: &[Operator<'_>], pred: fn(&Operator<'_>) -> bool) -> usize {
        ops.iter().filter(|op| pred(op)).count()
    }

    #[test]
    fn bytes_through_a_teed_address_become_one_store() {
        let ops = merged(
            "local.get 0 local.get 1 i32.add local.tee 2 local.get 1 i32.store8 \
             local.get 2 i32.const 3 i32.add local.get 1 i32.const 3 i32.add i32.store8 \
             local.get 2 i32.const 2 i32.add local.get 1 i32.store8 \
             local.get 2 i32.const 1 i32.add local.get 1 i32.store8",
        );
        assert_eq!(
            count(&ops, |op| matches!(op, Operator::I32Store8 { .. })),
            0
        );
        assert_eq!(count(&ops, |op| matches!(op, Operator::I32Store { .. })), 1);
        // The tee stays; the byte at +3 is shifted by 24 without a mask.
        assert_eq!(
            count(&ops, |op| matches!(
                op,
                Operator::LocalTee { local_index: 2 }
            )),
            1
        );
        assert_eq!(
            count(&ops, |op| matches!(op, Operator::I32Const { value: 0xFF })),
            3
        );
        assert!(ops.contains(&Operator::I32Const { value: 24 }));
    }

    #[test]
    fn runs_that_are_not_exact_stay() {
        // A gap: bytes 0, 1, 2 and 4.
        let gap = "local.get 0 local.get 1 i32.store8 local.get 0 local.get 1 i32.store8 offset=1 \
                   local.get 0 local.get 1 i32.store8 offset=2 local.get 0 local.get 1 i32.store8 offset=4";
        // A value that loads.
        let loads = "local.get 0 local.get 1 i32.store8 local.get 0 local.get 0 i32.load8_u \
                     i32.store8 offset=1 local.get 0 local.get 1 i32.store8 offset=2 \
                     local.get 0 local.get 1 i32.store8 offset=3";
        // Added constants with different static offsets.
        let mixed = "local.get 0 local.get 1 i32.store8 \
                     local.get 0 i32.const 1 i32.add local.get 1 i32.store8 \
                     local.get 0 i32.const 1 i32.add local.get 1 i32.store8 offset=1 \
                     local.get 0 i32.const 3 i32.add local.get 1 i32.store8";
        for body in [gap, loads, mixed] {
            let ops = merged(body);
            assert_eq!(
                count(&ops, |op| matches!(op, Operator::I32Store8 { .. })),
                4,
                "{body}"
            );
        }
    }
}
