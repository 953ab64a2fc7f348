//! Rewrites that bring loops into the shapes the translator handles best, done on the
//! operators before translation and only when exact.
//!
//! - **Odd induction locals are never zero.** rustc keeps `rem_u`'s division-by-zero check in
//!   `while d * d <= n { if n % d == 0 … d += 2 }` because `d` may wrap. A local set to an
//!   odd constant just before a loop and written in it only by adding or subtracting even
//!   constants to itself stays odd (2^32 is even), so `local.get d  i32.eqz  br_if` in that
//!   loop never branches and is removed.
//! - **Exit block outside the loop.** `loop  block … end  end`, where the block is the loop's
//!   whole body, means the same as `block  loop … end  end` with depths 0 and 1 exchanged
//!   inside: leaving the block falls out of the loop either way, and branching to the loop
//!   repeats it. The second form is the search loop [`crate::analysis::speculated_loop`] runs
//!   without an `if` per exit.

use wasmparser::{BlockType, Operator};

use crate::analysis::counted_loop::body_len;

/// Applies both rewrites to every loop of `ops` (a whole function body); `offsets` (one per
/// operator) stays in step.
pub(crate) fn normalize_loops(ops: &mut Vec<Operator<'_>>, offsets: &mut Vec<u64>) {
    remove_zero_tests_of_odd_locals(ops, offsets);
    move_exit_blocks_out(ops);
}

/// The local and the constant an `i32.const c  local.set x  block*  loop` sequence ending at
/// `ops[loop_at]` sets just before the loop.
pub(crate) fn constant_set_on_entry(ops: &[Operator<'_>], loop_at: usize) -> Option<(u32, i32)> {
    let mut at = loop_at;
    while at > 0 && matches!(ops[at - 1], Operator::Block { .. }) {
        at -= 1;
    }
    match ops.get(at.checked_sub(2)?..at)? {
        [Operator::I32Const { value }, Operator::LocalSet { local_index }] => {
            Some((*local_index, *value))
        }
        _ => None,
    }
}

/// The local set to an odd constant just before the loop at `ops[loop_at]`.
fn odd_on_entry(ops: &[Operator<'_>], loop_at: usize) -> Option<u32> {
    constant_set_on_entry(ops, loop_at)
        .filter(|(_, value)| value & 1 == 1)
        .map(|(local, _)| local)
}

/// Whether every write to `local` in `body` adds an even constant to the local itself.
fn steps_keep_parity(body: &[Operator<'_>], local: u32) -> bool {
    body.iter().enumerate().all(|(i, op)| match op {
        Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
            if *local_index == local =>
        {
            i >= 3
                && matches!(
                    &body[i - 3..i],
                    [Operator::LocalGet { local_index: x }, Operator::I32Const { value }, Operator::I32Add | Operator::I32Sub]
                        if *x == local && value & 1 == 0
                )
        }
        _ => true,
    })
}

fn remove_zero_tests_of_odd_locals(ops: &mut Vec<Operator<'_>>, offsets: &mut Vec<u64>) {
    let mut at = 0;
    while at < ops.len() {
        if let (Operator::Loop { .. }, Some(local)) = (&ops[at], odd_on_entry(ops, at)) {
            if let Some(len) = body_len(&ops[at + 1..]) {
                let body = at + 1..at + 1 + len;
                if steps_keep_parity(&ops[body.clone()], local) {
                    let mut i = body.start;
                    let mut end = body.end;
                    while i + 3 <= end {
                        let test = matches!(
                            &ops[i..i + 3],
                            [Operator::LocalGet { local_index }, Operator::I32Eqz, Operator::BrIf { .. }]
                                if *local_index == local
                        );
                        if test {
                            ops.drain(i..i + 3);
                            offsets.drain(i..i + 3);
                            end -= 3;
                        } else {
                            i += 1;
                        }
                    }
                }
            }
        }
        at += 1;
    }
}

fn move_exit_blocks_out(ops: &mut [Operator<'_>]) {
    for at in 0..ops.len() {
        let (
            Operator::Loop {
                blockty: BlockType::Empty,
            },
            Some(Operator::Block {
                blockty: BlockType::Empty,
            }),
        ) = (&ops[at], ops.get(at + 1))
        else {
            continue;
        };
        let Some(block_len) = body_len(&ops[at + 2..]) else {
            continue;
        };
        let block_end = at + 2 + block_len;
        if !matches!(ops.get(block_end + 1), Some(Operator::End)) {
            continue;
        }
        let inner = at + 2..block_end;
        if ops[inner.clone()]
            .iter()
            .any(|op| matches!(op, Operator::BrTable { .. }))
        {
            continue;
        }
        ops.swap(at, at + 1);
        let mut nesting = 0u32;
        for op in &mut ops[inner] {
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    nesting += 1
                }
                Operator::End => nesting -= 1,
                Operator::Br { relative_depth } | Operator::BrIf { relative_depth } => {
                    if *relative_depth == nesting {
                        *relative_depth = nesting + 1;
                    } else if *relative_depth == nesting + 1 {
                        *relative_depth = nesting;
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operators of a function with one parameter and two declared `i32` locals.
    fn ops(body: &str) -> Vec<Operator<'static>> {
        let wat = format!("(module (func (param i32) (local i32 i32) {body}))");
        crate::analysis::test_support::first_body_ops(&wat)
    }

    fn normalized(body: &str) -> Vec<Operator<'static>> {
        let mut all = ops(body);
        let mut offsets = (0..all.len() as u64).collect();
        normalize_loops(&mut all, &mut offsets);
        assert_eq!(offsets.len(), all.len());
        all
    }

    const SEARCH: &str = "i32.const 3 local.set 1 block loop \
        local.get 1 i32.eqz br_if 1 \
        local.get 0 local.get 1 i32.rem_u i32.eqz br_if 0 \
        local.get 1 i32.const 2 i32.add local.set 1 br 0 end end";

    #[test]
    fn removes_the_zero_test_of_an_odd_local() {
        assert_eq!(
            normalized(SEARCH),
            ops("i32.const 3 local.set 1 block loop \
                 local.get 0 local.get 1 i32.rem_u i32.eqz br_if 0 \
                 local.get 1 i32.const 2 i32.add local.set 1 br 0 end end")
        );
    }

    #[test]
    fn keeps_the_zero_test_when_the_local_may_become_even() {
        for body in [
            // Even start, odd step, a write of another value, a test before the loop.
            SEARCH.replace("i32.const 3", "i32.const 4"),
            SEARCH.replace("i32.const 2 i32.add", "i32.const 1 i32.add"),
            SEARCH.replace(
                "local.set 1 br 0",
                "local.set 1 local.get 0 local.set 1 br 0",
            ),
            SEARCH.replace("local.set 1 block", "local.set 1 nop block"),
        ] {
            assert_eq!(normalized(&body), ops(&body), "{body}");
        }
    }

    #[test]
    fn moves_a_whole_body_block_out_of_its_loop() {
        // Depths 0 and 1 are exchanged at the block's top level, 1 and 2 one level deeper;
        // depth 2 at the top stays.
        let before = "block loop block \
            local.get 0 br_if 0 local.get 1 br_if 2 \
            block local.get 2 br_if 1 local.get 2 br_if 2 end br 1 end end end";
        let after = "block block loop \
            local.get 0 br_if 1 local.get 1 br_if 2 \
            block local.get 2 br_if 2 local.get 2 br_if 1 end br 0 end end end";
        assert_eq!(normalized(before), ops(after));
    }

    #[test]
    fn leaves_a_loop_whose_block_is_not_its_whole_body() {
        for body in [
            "loop block local.get 0 br_if 0 br 1 end local.get 0 br_if 0 end",
            "loop local.get 0 drop block local.get 0 br_if 0 br 1 end end",
            "loop block local.get 0 br_table 0 1 end end",
        ] {
            assert_eq!(normalized(body), ops(body), "{body}");
        }
    }
}
