//! Values carried on the operand stack instead of through a local.
//!
//! rustc and clang often write a value to a local and read it back once, a few operators later:
//! `i32.mul  local.set 5  …  local.get 5` with the local dead after the read. Stored in its
//! stack slot, that costs `swap.k drop` and a `dup.k` (3 cycles, often more once the VM packs
//! them into groups). When nothing between the write and the read can branch, call, or pop the
//! operands below the value, the value can simply stay where it is on the operand stack and be
//! moved to the top at the read (`movup.k`, or nothing when it is already there). The slot then
//! holds a stale value, which is harmless because no path reads the local before writing it.

use wasmparser::Operator;

/// Most operators between the write and the read: keeps the stack reach of everything in
/// between small and the scan cheap.
const MAX_DISTANCE: usize = 24;

/// A write of `local` at `ops[0]` whose value can stay on the operand stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Carry {
    /// Offset from the write of the only read (a `local.get`).
    pub read: usize,
    /// The most values the code in between has on the stack above the carried value.
    pub max_above: usize,
    /// How many of the operands under the written value the code in between consumes: the
    /// carried value goes beneath them (`movdn`), out of their way.
    pub sink: usize,
}

/// The most operands a carried value may go beneath (a `movdn` of at most 8 costs 1 cycle).
const MAX_SINK: isize = 4;

/// Whether the value written by `ops[0]` (`local.set`, or `local.tee`, which also leaves it as
/// an operand) can be carried on the stack to the next read of the local, which
/// `is_last_read(offset)` confirms is the last read of that value.
///
/// The code in between may consume operands that were under the value (an address's base,
/// added to the index just written: `local.get b  local.get i  i32.const 1  i32.or  local.tee t
/// i32.const 2  i32.shl  i32.add`); the value is then carried beneath them ([`Carry::sink`]).
pub(crate) fn carry(ops: &[Operator<'_>], is_last_read: impl Fn(usize) -> bool) -> Option<Carry> {
    let (local, start) = match ops.first()? {
        Operator::LocalSet { local_index } => (*local_index, 0isize),
        Operator::LocalTee { local_index } => (*local_index, 1),
        _ => return None,
    };
    // Heights relative to where the value is written: negative below it.
    let (mut height, mut lowest, mut highest) = (start, 0isize, start);
    for (offset, op) in ops.iter().enumerate().skip(1).take(MAX_DISTANCE) {
        match op {
            Operator::LocalGet { local_index } if *local_index == local => {
                return is_last_read(offset).then_some(Carry {
                    read: offset,
                    max_above: (highest - lowest) as usize,
                    sink: (-lowest) as usize,
                });
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
                if *local_index == local =>
            {
                return None;
            }
            _ => {}
        }
        let (pops, pushes) = straight_line_effect(op)?;
        height -= pops as isize;
        lowest = lowest.min(height);
        if lowest < -MAX_SINK {
            return None;
        }
        height += pushes as isize;
        highest = highest.max(height);
    }
    None
}

/// Values popped and pushed by an operator that neither branches nor calls, nor touches the
/// stack below its operands; `None` for every other operator.
fn straight_line_effect(op: &Operator<'_>) -> Option<(usize, usize)> {
    use Operator::*;
    Some(match op {
        Nop => (0, 0),
        LocalGet { .. } | GlobalGet { .. } | I32Const { .. } | I64Const { .. } => (0, 1),
        LocalSet { .. } | GlobalSet { .. } | Drop => (1, 0),
        LocalTee { .. } => (1, 1),
        I32Load { .. }
        | I32Load8S { .. }
        | I32Load8U { .. }
        | I32Load16S { .. }
        | I32Load16U { .. }
        | I64Load { .. }
        | I64Load8S { .. }
        | I64Load8U { .. }
        | I64Load16S { .. }
        | I64Load16U { .. }
        | I64Load32S { .. }
        | I64Load32U { .. } => (1, 1),
        I32Store { .. }
        | I32Store8 { .. }
        | I32Store16 { .. }
        | I64Store { .. }
        | I64Store8 { .. }
        | I64Store16 { .. }
        | I64Store32 { .. } => (2, 0),
        I32Eqz | I64Eqz | I32Clz | I32Ctz | I32Popcnt | I64Clz | I64Ctz | I64Popcnt
        | I32WrapI64 | I64ExtendI32S | I64ExtendI32U | I32Extend8S | I32Extend16S | I64Extend8S
        | I64Extend16S | I64Extend32S => (1, 1),
        I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU
        | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS | I64GeU
        | I32Add | I32Sub | I32Mul | I32DivS | I32DivU | I32RemS | I32RemU | I32And | I32Or
        | I32Xor | I32Shl | I32ShrS | I32ShrU | I32Rotl | I32Rotr | I64Add | I64Sub | I64Mul
        | I64DivS | I64DivU | I64RemS | I64RemU | I64And | I64Or | I64Xor | I64Shl | I64ShrS
        | I64ShrU | I64Rotl | I64Rotr => (2, 1),
        Select | TypedSelect { .. } => (3, 1),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operators of `(module (memory 1) (func (param i32) (local i32 i32) BODY))`.
    fn ops(body: &str) -> Vec<Operator<'static>> {
        crate::analysis::test_support::first_body_ops(&format!(
            "(module (memory 1) (func (param i32) (local i32 i32) {body}))"
        ))
    }

    fn carry_of(body: &str) -> Option<Carry> {
        let ops = ops(body);
        let at = ops
            .iter()
            .position(|op| {
                matches!(
                    op,
                    Operator::LocalSet { local_index: 1 } | Operator::LocalTee { local_index: 1 }
                )
            })
            .unwrap();
        carry(&ops[at..], |_| true)
    }

    #[test]
    fn a_value_read_once_after_straight_line_code_is_carried() {
        let body = "local.get 0 local.set 1 local.get 0 i32.const 2 i32.add local.set 0 \
                    local.get 1 drop";
        assert_eq!(
            carry_of(body),
            Some(Carry {
                read: 5,
                max_above: 2,
                sink: 0
            })
        );
        // A tee leaves its value above the carried copy.
        let body = "local.get 0 local.tee 1 i32.const 3 i32.add drop local.get 1 drop";
        assert_eq!(
            carry_of(body),
            Some(Carry {
                read: 4,
                max_above: 2,
                sink: 0
            })
        );
    }

    #[test]
    fn code_that_pops_below_the_value_sinks_it() {
        // `i32.add` consumes the operand under the carried value, which goes beneath it.
        let body = "local.get 0 local.get 0 local.set 1 i32.const 1 i32.add drop local.get 1 drop";
        assert_eq!(
            carry_of(body),
            Some(Carry {
                read: 4,
                max_above: 2,
                sink: 1
            })
        );
        // rustc's index `i | 1` written to a temporary, shifted and added to the base, then read
        // for the stored value.
        let body = "local.get 0 local.get 0 i32.const 1 i32.or local.tee 1 i32.const 2 i32.shl \
                    i32.add local.get 1 i32.store";
        assert_eq!(
            carry_of(body),
            Some(Carry {
                read: 4,
                max_above: 3,
                sink: 1
            })
        );
        // Five operands under it is too deep.
        let body = "local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 \
                    local.set 1 i32.add i32.add i32.add i32.add i32.add drop local.get 1 drop";
        assert_eq!(carry_of(body), None);
    }

    #[test]
    fn code_that_branches_calls_or_writes_again_stops_it() {
        let body = "local.get 0 local.set 1 local.get 0 br_if 0 local.get 1 drop";
        assert_eq!(carry_of(body), None);
        let body = "local.get 0 local.set 1 call 0 local.get 1 drop";
        assert_eq!(carry_of(body), None);
        // Written again before the read.
        let body = "local.get 0 local.set 1 local.get 0 local.set 1 local.get 1 drop";
        assert_eq!(carry_of(body), None);
    }

    #[test]
    fn a_read_that_is_not_the_last_stops_it() {
        let ops = ops("local.get 0 local.set 1 local.get 1 drop");
        assert_eq!(carry(&ops[1..], |_| false), None);
        assert_eq!(
            carry(&ops[1..], |offset| offset == 1),
            Some(Carry {
                read: 1,
                max_above: 0,
                sink: 0
            })
        );
    }
}
