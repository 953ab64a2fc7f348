//! Which locals are live where a branch lands: the end of a `block` or `if`, the header of a
//! `loop`, or the function's end (nothing is live there). A local is live at a point when some
//! path from there reads it before writing it.
//!
//! Computed backwards over the structured body, as a fixpoint over loop headers (a branch back
//! to a loop sees the header's set from the previous pass; sets only grow, so it ends). Used to
//! prove that code run speculatively writes only locals nobody reads afterwards, and to find
//! the last read of a value a local holds (see [`crate::analysis::stack_carried`]).

use std::collections::HashMap;

use wasmparser::Operator;

/// Live locals at each branch target, keyed by the index of the operator opening the construct.
#[derive(Debug, Default)]
pub struct Liveness {
    labels: HashMap<usize, Vec<bool>>,
    /// Live right after each `loop` (where it falls through), keyed by its opener.
    after_loops: HashMap<usize, Vec<bool>>,
    /// Per operator: a `local.get` after which its local is dead.
    last_reads: Vec<bool>,
    /// Live where the body starts: the locals some path reads before writing.
    entry: Vec<bool>,
}

impl Liveness {
    /// The live locals where a branch to the construct opened at operator `opener` lands (for
    /// the function body itself, `None`: no local is live after the function).
    pub fn at_label(&self, opener: Option<usize>) -> Option<&[bool]> {
        match opener {
            Some(i) => self.labels.get(&i).map(Vec::as_slice),
            None => Some(&[]),
        }
    }

    /// The live locals right after the `loop` opened at operator `opener` ends.
    pub fn after_loop(&self, opener: usize) -> Option<&[bool]> {
        self.after_loops.get(&opener).map(Vec::as_slice)
    }

    /// The live locals where the body starts: a declared local outside this set is written
    /// before any read on every path, so its initial zero is never seen.
    pub fn at_entry(&self) -> &[bool] {
        &self.entry
    }

    /// Whether operator `at` is a `local.get` whose local no path reads again before writing it.
    pub fn is_last_read(&self, at: usize) -> bool {
        self.last_reads.get(at).copied().unwrap_or(false)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Block,
    Loop,
    If,
    Function,
}

/// A construct entered backwards (at its `end`).
struct Frame {
    opener: usize,
    kind: Kind,
    /// Live where a branch to the construct lands.
    label: Vec<bool>,
    /// Live right after the construct.
    after: Vec<bool>,
    /// Live at the start of an `if`'s else arm.
    else_entry: Option<Vec<bool>>,
}

fn union(into: &mut [bool], other: &[bool]) {
    into.iter_mut().zip(other).for_each(|(a, b)| *a |= *b);
}

/// Computes the live locals at every label of a function body with `locals` locals
/// (parameters included); `ops` is the whole body, final `end` included.
pub fn analyze(ops: &[Operator<'_>], locals: usize) -> Liveness {
    // The construct each `else` and `end` belongs to (usize::MAX: the function).
    let mut opener_of = vec![usize::MAX; ops.len()];
    let mut open = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => open.push(i),
            Operator::Else => opener_of[i] = *open.last().unwrap_or(&usize::MAX),
            Operator::End => opener_of[i] = open.pop().unwrap_or(usize::MAX),
            _ => {}
        }
    }
    let none = vec![false; locals];
    let mut headers: HashMap<usize, Vec<bool>> = HashMap::new();
    loop {
        let mut labels = HashMap::new();
        let mut after_loops = HashMap::new();
        let mut last_reads = vec![false; ops.len()];
        let mut changed = false;
        let mut live = none.clone();
        let mut frames: Vec<Frame> = Vec::new();
        let target = |frames: &[Frame], depth: u32| -> Vec<bool> {
            frames[frames.len() - 1 - depth as usize].label.clone()
        };
        for i in (0..ops.len()).rev() {
            match &ops[i] {
                Operator::End => {
                    let opener = opener_of[i];
                    let kind = match ops.get(opener) {
                        Some(Operator::Loop { .. }) => Kind::Loop,
                        Some(Operator::If { .. }) => Kind::If,
                        Some(_) => Kind::Block,
                        None => Kind::Function,
                    };
                    if kind == Kind::Function {
                        live = none.clone();
                    }
                    let label = match kind {
                        Kind::Loop => headers.get(&opener).cloned().unwrap_or(none.clone()),
                        _ => live.clone(),
                    };
                    frames.push(Frame {
                        opener,
                        kind,
                        label,
                        after: live.clone(),
                        else_entry: None,
                    });
                }
                Operator::Else => {
                    let frame = frames.last_mut().expect("else inside an if");
                    frame.else_entry = Some(std::mem::replace(&mut live, frame.after.clone()));
                }
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    let frame = frames.pop().expect("validated Wasm is balanced");
                    match frame.kind {
                        Kind::Loop => {
                            after_loops.insert(frame.opener, frame.after.clone());
                            let header = headers.entry(frame.opener).or_insert(none.clone());
                            let before = header.clone();
                            union(header, &live);
                            changed |= *header != before;
                        }
                        Kind::If => {
                            union(&mut live, frame.else_entry.as_ref().unwrap_or(&frame.after))
                        }
                        _ => {}
                    }
                    labels.insert(frame.opener, frame.label);
                }
                Operator::Br { relative_depth } => live = target(&frames, *relative_depth),
                Operator::BrIf { relative_depth } => {
                    union(&mut live, &target(&frames, *relative_depth))
                }
                Operator::BrTable { targets } => {
                    live = target(&frames, targets.default());
                    for depth in targets.targets().flatten() {
                        union(&mut live, &target(&frames, depth));
                    }
                }
                Operator::Return | Operator::Unreachable => live = none.clone(),
                Operator::LocalGet { local_index } => {
                    last_reads[i] = !live[*local_index as usize];
                    live[*local_index as usize] = true
                }
                Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                    live[*local_index as usize] = false
                }
                _ => {}
            }
        }
        if !changed {
            return Liveness {
                labels,
                after_loops,
                last_reads,
                entry: live,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operators of the only function of `(module (func (param i32) (local i32 i32) BODY))`.
    fn ops(body: &str) -> Vec<Operator<'static>> {
        crate::analysis::test_support::first_body_ops(&format!(
            "(module (func (param i32) (local i32 i32) {body}))"
        ))
    }

    fn live_at(body: &str, nth_opener: usize) -> Vec<bool> {
        let ops = ops(body);
        let opener = ops
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                matches!(
                    o,
                    Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. }
                )
            })
            .nth(nth_opener)
            .unwrap()
            .0;
        analyze(&ops, 3).at_label(Some(opener)).unwrap().to_vec()
    }

    #[test]
    fn a_block_end_sees_reads_before_writes() {
        // After the block: local 1 is read, local 2 written first.
        let body = "block local.get 0 br_if 0 end \
                    i32.const 1 local.set 2 local.get 1 local.get 2 i32.add drop";
        assert_eq!(live_at(body, 0), [false, true, false]);
    }

    #[test]
    fn a_loop_carries_what_its_next_iteration_reads() {
        // Leaving the inner block goes around the loop, which reads local 2 before writing it.
        let body = "loop block local.get 0 br_if 0 local.get 2 drop i32.const 0 local.set 2 \
                    end local.get 1 br_if 0 end";
        assert_eq!(live_at(body, 1), [true, true, true]);
        // The loop header: 0 and 2 are read, 1 is read at the back edge.
        assert_eq!(live_at(body, 0), [true, true, true]);
    }

    #[test]
    fn both_arms_of_an_if_count() {
        let body = "loop local.get 0 if local.get 1 drop else local.get 2 drop end br 0 end";
        assert_eq!(live_at(body, 0), [true, true, true]);
        // Without an else, the condition false skips to the end.
        let body = "loop local.get 0 if local.get 1 drop end i32.const 0 local.set 2 br 0 end";
        assert_eq!(live_at(body, 0), [true, true, false]);
        let ops = ops(body);
        assert_eq!(analyze(&ops, 3).at_label(None), Some(&[][..]));
    }

    #[test]
    fn a_last_read_is_followed_by_a_write_or_nothing() {
        // ops: 0 get0, 1 get0, 2 add, 3 set1, 4 get1, 5 drop, 6 i32.const, 7 set1, 8 end
        let body = "local.get 0 local.get 0 i32.add local.set 1 local.get 1 drop \
                    i32.const 1 local.set 1";
        let live = analyze(&ops(body), 3);
        let last: Vec<usize> = (0..9).filter(|i| live.is_last_read(*i)).collect();
        assert_eq!(last, [1, 4]);
        // Around a loop, a read at the top of the next iteration keeps the value live.
        let body = "loop local.get 1 drop local.get 0 local.set 1 local.get 1 br_if 0 end";
        let live = analyze(&ops(body), 3);
        assert!(
            !live.is_last_read(5),
            "the next iteration reads local 1 first"
        );
    }
}
