//! Counted loops: a `loop` whose induction local runs through a range of values that is known
//! when the loop is entered. Inside such a loop, an address `i + C` has a known range, so the
//! accesses made in every iteration are bounds-checked once, before the loop, against the
//! highest address they reach, and `i + C` is a felt `add` when the range shows that it wraps
//! in every iteration or in none.
//!
//! The recognised shape is what rustc and clang emit for a loop over a constant range:
//!
//! ```text
//! loop
//!   <body: straight-line code, `block`/`if` without branches; no calls, no nested loops,
//!    nothing that can trap other than a memory access, and no write to i>
//!   local.get i  i32.const s  i32.add  local.tee i
//!   [i32.const N  (i32.ne | i32.lt_u)]
//!   br_if 0
//! end
//! ```
//!
//! with `i` holding a known constant when the loop is entered. The body then runs a number of
//! times fixed by `i`'s start, the step `s` and the exit test, and every top-level instruction
//! of the body runs in each of them. A Wasm trap in any iteration would be an out-of-bounds
//! access (nothing else in the body can trap), so trapping with the same error before the first
//! iteration is indistinguishable: a trap discards the whole execution.

use wasmparser::Operator;

/// The shape of a counted loop, read from its operators before its start value is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopShape {
    /// The induction local.
    pub local: u32,
    /// What `i` is increased by at the end of each iteration (wrapping).
    pub step: u32,
    /// When the loop repeats, in terms of the updated `i`.
    pub repeat: RepeatWhile,
}

/// The back-edge condition of a counted loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepeatWhile {
    /// `i != N` (`local.tee i  br_if 0` is the case N = 0).
    NotEqual(u32),
    /// `i < N`, unsigned.
    Below(u32),
}

/// Recognises a counted loop from the operators following its `loop` (the body, its `end`
/// and anything after it).
pub fn shape(after_loop: &[Operator<'_>]) -> Option<LoopShape> {
    let body = &after_loop[..body_len(after_loop)?];
    let (local, step, repeat, tail) = match body {
        [.., Operator::LocalGet { local_index: a }, Operator::I32Const { value: s }, Operator::I32Add, Operator::LocalTee { local_index: b }, Operator::BrIf { relative_depth: 0 }]
            if a == b =>
        {
            (*a, *s as u32, RepeatWhile::NotEqual(0), 5)
        }
        [.., Operator::LocalGet { local_index: a }, Operator::I32Const { value: s }, Operator::I32Add, Operator::LocalTee { local_index: b }, Operator::I32Const { value: n }, test @ (Operator::I32Ne | Operator::I32LtU), Operator::BrIf { relative_depth: 0 }]
            if a == b =>
        {
            let n = *n as u32;
            let repeat = match test {
                Operator::I32Ne => RepeatWhile::NotEqual(n),
                _ => RepeatWhile::Below(n),
            };
            (*a, *s as u32, repeat, 7)
        }
        _ => return None,
    };
    let straight = &body[..body.len() - tail];
    let writes_local = |op: &Operator<'_>| {
        matches!(op, Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
            if *local_index == local)
    };
    if step == 0 || !straight.iter().all(is_plain) || straight.iter().any(writes_local) {
        return None;
    }
    Some(LoopShape {
        local,
        step,
        repeat,
    })
}

/// The smallest and largest value the induction local holds at the top of an iteration when
/// the loop is entered with `start`, if they form a range that does not wrap around 2^32.
pub fn range(shape: LoopShape, start: u32) -> Option<(u64, u64)> {
    let start = u64::from(start);
    let up = shape.step < 1 << 31;
    let stride = stride(shape.step);
    match (shape.repeat, up) {
        // Counting up to 2^32 (0 after wrapping) or to N.
        (RepeatWhile::NotEqual(n), true) => {
            let end = if n == 0 { 1 << 32 } else { u64::from(n) };
            (end > start && (end - start) % stride == 0).then(|| (start, end - stride))
        }
        // Counting down to N.
        (RepeatWhile::NotEqual(n), false) => {
            let end = u64::from(n);
            (start > end && (start - end) % stride == 0).then(|| (end + stride, start))
        }
        (RepeatWhile::Below(n), true) => {
            let end = u64::from(n);
            // The last value plus the step must not wrap, or `i < N` would hold again.
            let last = start + end.saturating_sub(start).div_ceil(stride) * stride - stride;
            (start < end && last + stride < 1 << 32).then_some((start, last))
        }
        (RepeatWhile::Below(_), false) => None,
    }
}

/// How many iterations a loop of `shape` entered with `start` runs, when [`range`] knows.
pub fn trips(shape: LoopShape, start: u32) -> Option<u64> {
    let (lo, hi) = range(shape, start)?;
    Some((hi - lo) / stride(shape.step) + 1)
}

/// How far `i` moves per iteration, up or down (a step of 2^31 or more counts down).
fn stride(step: u32) -> u64 {
    u64::from(if step < 1 << 31 {
        step
    } else {
        step.wrapping_neg()
    })
}

/// The number of operators up to the `end` that closes the loop (exclusive).
pub(crate) fn body_len(after_loop: &[Operator<'_>]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, op) in after_loop.iter().enumerate() {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => depth += 1,
            Operator::End if depth == 0 => return Some(i),
            Operator::End => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Loads, stores and bulk memory operators: the ones that trap only when out of bounds.
pub(crate) fn is_memory_access(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        I32Load { .. }
            | I64Load { .. }
            | I32Load8S { .. }
            | I32Load8U { .. }
            | I32Load16S { .. }
            | I32Load16U { .. }
            | I64Load8S { .. }
            | I64Load8U { .. }
            | I64Load16S { .. }
            | I64Load16U { .. }
            | I64Load32S { .. }
            | I64Load32U { .. }
            | MemoryCopy { .. }
            | MemoryFill { .. }
    ) || is_store(op)
}

/// The local an operator writes (`local.set`, `local.tee`).
pub(crate) fn written_local(op: &Operator<'_>) -> Option<u32> {
    match op {
        Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
            Some(*local_index)
        }
        _ => None,
    }
}

/// The stores of one value (not the bulk operators).
pub(crate) fn is_store(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        I32Store { .. }
            | I64Store { .. }
            | I32Store8 { .. }
            | I32Store16 { .. }
            | I64Store8 { .. }
            | I64Store16 { .. }
            | I64Store32 { .. }
    )
}

/// Operators that neither branch, call, loop nor trap other than by a memory access.
pub(crate) fn is_plain(op: &Operator<'_>) -> bool {
    use Operator::*;
    is_memory_access(op)
        || matches!(
            op,
            Nop | Block { .. }
                | If { .. }
                | Else
                | End
                | Drop
                | Select
                | TypedSelect { .. }
                | LocalGet { .. }
                | LocalSet { .. }
                | LocalTee { .. }
                | GlobalGet { .. }
                | GlobalSet { .. }
                | I32Const { .. }
                | I64Const { .. }
                | MemorySize { .. }
                | I32Eqz
                | I32Eq
                | I32Ne
                | I32LtS
                | I32LtU
                | I32GtS
                | I32GtU
                | I32LeS
                | I32LeU
                | I32GeS
                | I32GeU
                | I64Eqz
                | I64Eq
                | I64Ne
                | I64LtS
                | I64LtU
                | I64GtS
                | I64GtU
                | I64LeS
                | I64LeU
                | I64GeS
                | I64GeU
                | I32Clz
                | I32Ctz
                | I32Popcnt
                | I32Add
                | I32Sub
                | I32Mul
                | I32And
                | I32Or
                | I32Xor
                | I32Shl
                | I32ShrS
                | I32ShrU
                | I32Rotl
                | I32Rotr
                | I64Clz
                | I64Ctz
                | I64Popcnt
                | I64Add
                | I64Sub
                | I64Mul
                | I64And
                | I64Or
                | I64Xor
                | I64Shl
                | I64ShrS
                | I64ShrU
                | I64Rotl
                | I64Rotr
                | I32WrapI64
                | I64ExtendI32S
                | I64ExtendI32U
                | I32Extend8S
                | I32Extend16S
                | I64Extend8S
                | I64Extend16S
                | I64Extend32S
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(wat_body: &str) -> Vec<Operator<'static>> {
        let wat = format!("(module (memory 1) (func (local i32 i32) loop {wat_body} end))");
        let bytes: &'static [u8] = Box::leak(wat::parse_str(wat).unwrap().into_boxed_slice());
        let parser = wasmparser::Parser::new(0);
        for payload in parser.parse_all(bytes) {
            if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
                let reader = body.get_operators_reader().unwrap();
                let all: Vec<_> = reader.into_iter().map(Result::unwrap).collect();
                // Skip everything up to and including the `loop`.
                let at = all
                    .iter()
                    .position(|o| matches!(o, Operator::Loop { .. }))
                    .unwrap();
                return all[at + 1..].to_vec();
            }
        }
        unreachable!("the module has a body")
    }

    const COUNT_UP: &str = "local.get 0 i32.const 4 i32.add i32.load drop \
        local.get 0 i32.const 8 i32.add local.tee 0 br_if 0";

    #[test]
    fn recognises_the_count_to_zero_shape() {
        let shape = shape(&ops(COUNT_UP)).unwrap();
        assert_eq!(shape.local, 0);
        assert_eq!(shape.step, 8);
        assert_eq!(shape.repeat, RepeatWhile::NotEqual(0));
        // From -64: -64, -56, …, -8.
        assert_eq!(
            range(shape, (-64i32) as u32),
            Some((0xFFFF_FFC0, 0xFFFF_FFF8))
        );
        // Not a multiple of the step: the loop would wrap around.
        assert_eq!(range(shape, (-60i32) as u32), None);
        // From 0: every multiple of 8 (the loop ends when i wraps around to 0).
        assert_eq!(range(shape, 0), Some((0, 0xFFFF_FFF8)));
    }

    #[test]
    fn recognises_bounds_and_downward_steps() {
        let up = shape(&ops(
            "local.get 0 i32.const 1 i32.add local.tee 0 i32.const 10 i32.lt_u br_if 0",
        ))
        .unwrap();
        assert_eq!(up.repeat, RepeatWhile::Below(10));
        assert_eq!(range(up, 3), Some((3, 9)));
        let by3 = LoopShape { step: 3, ..up };
        assert_eq!(range(by3, 0), Some((0, 9)));
        assert_eq!(range(by3, 10), None);
        let down = shape(&ops(
            "local.get 0 i32.const -2 i32.add local.tee 0 i32.const 4 i32.ne br_if 0",
        ))
        .unwrap();
        assert_eq!(range(down, 20), Some((6, 20)));
        assert_eq!(range(down, 21), None);
    }

    #[test]
    fn rejects_bodies_that_branch_call_trap_or_write_the_counter() {
        for body in [
            "local.get 1 br_if 1 local.get 0 i32.const 1 i32.add local.tee 0 br_if 0",
            "i32.const 1 i32.const 0 i32.div_u drop local.get 0 i32.const 1 i32.add local.tee 0 br_if 0",
            "i32.const 5 local.set 0 local.get 0 i32.const 1 i32.add local.tee 0 br_if 0",
            "loop end local.get 0 i32.const 1 i32.add local.tee 0 br_if 0",
            "local.get 0 i32.const 1 i32.add local.tee 1 br_if 0",
            "local.get 0 i32.const 0 i32.add local.tee 0 br_if 0",
        ] {
            assert_eq!(shape(&ops(body)), None, "{body}");
        }
    }
}
