//! Loops with an early exit whose remaining body is run speculatively: instead of an `if`
//! (~10 cycles) around the rest of the body, every iteration runs it and the loop condition
//! combines both tests.
//!
//! The recognised shape is a search loop as compilers emit it:
//!
//! ```text
//! loop
//!   A            ;; straight-line code ending with the exit test c1
//!   br_if d1     ;; leave the loop (d1 >= 1)
//!   B            ;; straight-line code that cannot trap or touch memory or globals
//!   br_if d2 br 0        ;; leave on c2, else repeat
//!   | br_if 0            ;; or: repeat on c2, else fall out of the loop
//! end
//! ```
//!
//! Running B when c1 holds is invisible when B writes only locals that are dead where the
//! exit d1 lands (`liveness.rs`); the translator checks that. The loop then becomes
//! `while.true drop A B <combine> end` with c1 kept under B's operands, the exit test for the
//! code after the loop.

use wasmparser::Operator;

use crate::analysis::counted_loop::{body_len, is_memory_access, is_plain, written_local};

/// How the body of a speculated loop ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// `br_if d2 br 0`: the second test leaves the loop to relative depth `d2` (>= 1).
    Exit(u32),
    /// `br_if 0`: the second test repeats the loop; otherwise execution falls out of it.
    Repeat,
}

/// A loop in the speculated shape, by operator counts after its `loop`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopShape {
    /// Operators of A (before the first `br_if`).
    pub a_len: usize,
    /// Relative depth of the first exit, from inside the loop.
    pub first_exit: u32,
    /// Operators of B (after the first `br_if`, before the tail).
    pub b_len: usize,
    /// The tail after B.
    pub tail: Tail,
    /// Locals B writes (to be proven dead where the first exit lands).
    pub b_writes: Vec<u32>,
    /// Operators from after the `loop` through its `end`.
    pub len: usize,
}

/// Recognises the shape in the operators following a `loop` (its body, `end` and beyond).
pub fn shape(after_loop: &[Operator<'_>]) -> Option<LoopShape> {
    let body = &after_loop[..body_len(after_loop)?];
    let a_len = body.iter().position(|op| !is_straight(op))?;
    let Operator::BrIf {
        relative_depth: first_exit,
    } = body[a_len]
    else {
        return None;
    };
    let rest = &body[a_len + 1..];
    let (tail, tail_len) = match rest {
        [.., Operator::BrIf { relative_depth: d }, Operator::Br { relative_depth: 0 }]
            if *d > 0 =>
        {
            (Tail::Exit(*d), 2)
        }
        [.., Operator::BrIf { relative_depth: 0 }] => (Tail::Repeat, 1),
        _ => return None,
    };
    let b = &rest[..rest.len() - tail_len];
    if first_exit == 0 || !b.iter().all(is_speculable) {
        return None;
    }
    let written = |ops: &[Operator<'_>]| -> Vec<u32> {
        let mut locals: Vec<u32> = ops.iter().filter_map(written_local).collect();
        locals.sort_unstable();
        locals.dedup();
        locals
    };
    Some(LoopShape {
        a_len,
        first_exit,
        b_len: b.len(),
        tail,
        b_writes: written(b),
        len: body.len() + 1,
    })
}

/// Straight-line code that runs in every iteration anyway (A): anything but control flow.
fn is_straight(op: &Operator<'_>) -> bool {
    use Operator::*;
    !matches!(
        op,
        Block { .. }
            | Loop { .. }
            | If { .. }
            | Else
            | End
            | Br { .. }
            | BrIf { .. }
            | BrTable { .. }
            | Return
            | Unreachable
            | ReturnCall { .. }
            | ReturnCallIndirect { .. }
    )
}

/// Code that may run when the original would not (B): straight-line, cannot trap, and has no
/// effect but on locals and the operand stack.
fn is_speculable(op: &Operator<'_>) -> bool {
    is_plain(op)
        && is_straight(op)
        && !is_memory_access(op)
        && !matches!(op, Operator::GlobalSet { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(wat_body: &str) -> Vec<Operator<'static>> {
        let wat = format!(
            "(module (memory 1) (func (local i32 i32 i32) block block loop {wat_body} end end end))"
        );
        let bytes: &'static [u8] = Box::leak(wat::parse_str(wat).unwrap().into_boxed_slice());
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
                let all: Vec<_> = body
                    .get_operators_reader()
                    .unwrap()
                    .into_iter()
                    .map(Result::unwrap)
                    .collect();
                let at = all.iter().position(|o| matches!(o, Operator::Loop { .. }));
                return all[at.unwrap() + 1..].to_vec();
            }
        }
        unreachable!("the module has a body")
    }

    #[test]
    fn recognises_a_search_loop_with_two_exits() {
        // if (k % d == 0) break outer; d += 2; t = d*d; if (t > k) break; repeat
        let shape = shape(&ops("local.get 0 local.get 1 i32.rem_u i32.eqz br_if 1 \
             local.get 1 i32.const 2 i32.add local.tee 1 local.get 1 i32.mul local.tee 2 \
             local.get 0 i32.gt_u br_if 2 br 0"))
        .unwrap();
        assert_eq!((shape.a_len, shape.first_exit, shape.b_len), (4, 1, 9));
        assert_eq!(shape.tail, Tail::Exit(2));
        assert_eq!(shape.b_writes, [1, 2]);
        assert_eq!(shape.len, 17);
    }

    #[test]
    fn recognises_a_loop_that_repeats_on_its_second_test() {
        let shape = shape(&ops("local.get 0 i32.load i32.eqz br_if 1 \
             local.get 0 i32.const 4 i32.add local.tee 0 local.get 1 i32.ne br_if 0"))
        .unwrap();
        assert_eq!(shape.tail, Tail::Repeat);
        assert_eq!(shape.b_writes, [0]);
    }

    #[test]
    fn rejects_a_second_part_that_could_trap_or_has_effects() {
        for body in [
            // B loads (could trap), stores, divides, sets a global-like memory cell.
            "local.get 0 br_if 1 local.get 0 i32.load local.set 1 local.get 1 br_if 0",
            "local.get 0 br_if 1 local.get 0 local.get 0 i32.store local.get 1 br_if 0",
            "local.get 0 br_if 1 local.get 0 local.get 1 i32.div_u local.set 1 local.get 1 br_if 0",
            // The first exit repeats the loop; a nested block; no tail.
            "local.get 0 br_if 0 local.get 1 br_if 1 br 0",
            "local.get 0 br_if 1 block end local.get 1 br_if 0",
            "local.get 0 br_if 1 local.get 1 drop",
        ] {
            assert_eq!(shape(&ops(body)), None, "{body}");
        }
    }
}
