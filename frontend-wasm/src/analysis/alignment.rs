//! Which `i32` values are known multiples of 4, so that a 4- or 8-byte memory access at such an
//! address can read or write whole elements (`div.4 mem_load`, 3 cycles) instead of the
//! general unaligned sequence (about 20 cycles, with an `if` on stores).
//!
//! Wasm's alignment hint is only a hint, so the knowledge is proven: constants, sums and
//! differences of multiples of 4, products and masks with one, shifts left by 2 or more, and
//! locals. Compilers reuse a local for unrelated values, so a local's alignment is tracked
//! along the control flow ([`LocalAlignment`]): a write sets it, a block end keeps what every
//! path reaching it agrees on, and a loop header keeps what is assumed there. The assumption
//! (initially: whatever holds on entry) is checked at every branch back to the loop; the
//! function translator translates again without the assumptions a branch broke, until none is
//! (see `translate::translate_aligned`). Even a wrong answer could not corrupt memory:
//! `div.4` of an unaligned address is a field element ≥ 2^32, which memory instructions reject.

use std::collections::HashMap;

use wasmparser::Operator;

/// Whether the `i32` result of `op` is a multiple of 4, given which of its operands are
/// (`lhs`, `rhs` in Wasm order) and the value of its right operand if that is a constant.
pub fn result_is_multiple_of_4(
    op: &Operator<'_>,
    lhs: bool,
    rhs: bool,
    rhs_const: Option<u64>,
) -> bool {
    match op {
        Operator::I32Add | Operator::I32Sub => lhs && rhs,
        Operator::I32Mul | Operator::I32And => lhs || rhs,
        Operator::I32Shl => lhs || rhs_const.is_some_and(|k| k & 31 >= 2),
        _ => false,
    }
}

/// Whether an access of `size` bytes at an address known aligned (or not) plus the constant
/// `offset` reads whole elements: 4- and 8-byte accesses only.
pub fn whole_elements(address_aligned: bool, offset: u64, size: u32) -> bool {
    address_aligned && offset.is_multiple_of(4) && (size == 4 || size == 8)
}

/// Which edge of a `br_if` a test of the low address bits proves aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlignedEdge {
    /// The branch is taken when the low bits are zero (`… i32.and i32.eqz br_if`).
    Taken,
    /// Execution falls through when they are zero (`… i32.and br_if`).
    FallThrough,
}

/// The locals a `br_if` condition proves multiples of 4, and on which edge, from the operators
/// right before the `br_if`: `local.get x  i32.const m  i32.and` or `local.get x  local.get y
/// i32.or  i32.const m  i32.and` with m's low two bits set (`memcpy`'s "both pointers
/// aligned" test), optionally followed by `i32.eqz`.
pub fn aligned_by_test(before: &[Operator<'_>]) -> Option<(Vec<u32>, AlignedEdge)> {
    use Operator::{I32And, I32Const, I32Eqz, I32Or, LocalGet};
    let (before, edge) = match before.split_last() {
        Some((I32Eqz, rest)) => (rest, AlignedEdge::Taken),
        _ => (before, AlignedEdge::FallThrough),
    };
    let low_bits = |m: &i32| m & 3 == 3;
    let locals = match before {
        [.., LocalGet { local_index: x }, LocalGet { local_index: y }, I32Or, I32Const { value }, I32And]
            if low_bits(value) =>
        {
            vec![*x, *y]
        }
        [.., LocalGet { local_index: x }, I32Const { value }, I32And] if low_bits(value) => {
            vec![*x]
        }
        _ => return None,
    };
    Some((locals, edge))
}

/// What a control frame needs to join the alignment of locals at its end or header.
#[derive(Debug)]
enum Frame {
    /// A `block`, or the function body: the paths that reach its end so far.
    Block { incoming: Option<Vec<bool>> },
    /// An `if`: as a block, plus the state on entry (the else arm, or the missing one).
    If {
        incoming: Option<Vec<bool>>,
        entry: Vec<bool>,
        has_else: bool,
    },
    /// A `loop`, keyed by its operator offset, with the locals assumed aligned at its header.
    Loop { key: u64, header: Vec<bool> },
}

/// Flow-sensitive alignment of a function's locals during its one-pass translation.
#[derive(Debug)]
pub struct LocalAlignment {
    state: Vec<bool>,
    frames: Vec<Frame>,
    /// Per loop: the locals assumed aligned at its header (absent: all that are on entry).
    assumptions: HashMap<u64, Vec<bool>>,
    /// Assume nothing at loop headers (the fallback that needs no check).
    assume_none: bool,
    /// `(loop, local)` assumptions a branch back to the loop broke.
    broken: Vec<(u64, usize)>,
}

/// Pointwise "both aligned".
fn meet(into: &mut Option<Vec<bool>>, state: &[bool]) {
    match into {
        Some(acc) => acc.iter_mut().zip(state).for_each(|(a, s)| *a &= *s),
        None => *into = Some(state.to_vec()),
    }
}

impl LocalAlignment {
    /// Starts a function whose locals are aligned as in `entry` (declared locals are zero).
    pub fn new(entry: Vec<bool>, assumptions: HashMap<u64, Vec<bool>>, assume_none: bool) -> Self {
        LocalAlignment {
            state: entry,
            frames: vec![Frame::Block { incoming: None }],
            assumptions,
            assume_none,
            broken: Vec::new(),
        }
    }

    /// Whether local `idx` holds a multiple of 4 here.
    pub fn get(&self, idx: usize) -> bool {
        self.state[idx]
    }

    /// A write to local `idx`.
    pub fn set(&mut self, idx: usize, aligned: bool) {
        self.state[idx] = aligned;
    }

    /// Entering a `block` (`is_if`: an `if`).
    pub fn open_block(&mut self, is_if: bool) {
        self.frames.push(if is_if {
            Frame::If {
                incoming: None,
                entry: self.state.clone(),
                has_else: false,
            }
        } else {
            Frame::Block { incoming: None }
        });
    }

    /// Entering the `loop` at operator offset `key`.
    pub fn open_loop(&mut self, key: u64) {
        let header: Vec<bool> = match (self.assume_none, self.assumptions.get(&key)) {
            (true, _) => vec![false; self.state.len()],
            (false, Some(assumed)) => self
                .state
                .iter()
                .zip(assumed)
                .map(|(s, a)| *s && *a)
                .collect(),
            (false, None) => self.state.clone(),
        };
        self.state = header.clone();
        self.frames.push(Frame::Loop { key, header });
    }

    /// A branch to the label `depth` frames out, taken with the current state.
    pub fn branch(&mut self, depth: usize) {
        let index = self.frames.len() - 1 - depth;
        let state = &self.state;
        match &mut self.frames[index] {
            Frame::Block { incoming } | Frame::If { incoming, .. } => meet(incoming, state),
            Frame::Loop { key, header } => {
                for (local, (assumed, now)) in header.iter().zip(state).enumerate() {
                    if *assumed && !*now {
                        self.broken.push((*key, local));
                    }
                }
            }
        }
    }

    /// A branch like [`branch`](Self::branch), taken knowing that `locals` hold multiples of 4.
    pub fn branch_knowing(&mut self, depth: usize, locals: &[u32]) {
        let saved = self.state.clone();
        for local in locals {
            self.state[*local as usize] = true;
        }
        self.branch(depth);
        self.state = saved;
    }

    /// The `else` of the innermost `if`; `live`: whether the then arm falls through.
    pub fn else_arm(&mut self, live: bool) {
        let state = self.state.clone();
        if let Some(Frame::If {
            incoming,
            entry,
            has_else,
        }) = self.frames.last_mut()
        {
            if live {
                meet(incoming, &state);
            }
            *has_else = true;
            self.state = entry.clone();
        }
    }

    /// The `end` of the innermost frame; `live`: whether its body falls through.
    pub fn close(&mut self, live: bool) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let (mut joined, entry) = match frame {
            // Branches to a loop go to its header: only the fall-through leaves it.
            Frame::Loop { .. } => return,
            Frame::Block { incoming } => (incoming, None),
            Frame::If {
                incoming,
                entry,
                has_else,
            } => (incoming, (!has_else).then_some(entry)),
        };
        if live {
            meet(&mut joined, &self.state);
        }
        if let Some(entry) = entry {
            meet(&mut joined, &entry);
        }
        // No path reaches the end: the code after it is dead, any state will do.
        self.state = joined.unwrap_or_else(|| vec![false; self.state.len()]);
    }

    /// The loop-header assumptions branches broke; empty when every assumption held.
    pub fn into_broken(self) -> Vec<(u64, usize)> {
        self.broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_bit_tests_prove_alignment_on_one_edge() {
        use Operator::*;
        let both = [
            LocalGet { local_index: 1 },
            LocalGet { local_index: 0 },
            I32Or,
            I32Const { value: 3 },
            I32And,
        ];
        assert_eq!(
            aligned_by_test(&both),
            Some((vec![1, 0], AlignedEdge::FallThrough))
        );
        let one = [
            LocalGet { local_index: 2 },
            I32Const { value: 7 },
            I32And,
            I32Eqz,
        ];
        assert_eq!(aligned_by_test(&one), Some((vec![2], AlignedEdge::Taken)));
        // A mask without both low bits, a test negated twice, an operand that is not a local.
        for before in [
            &[LocalGet { local_index: 2 }, I32Const { value: 1 }, I32And][..],
            &[
                LocalGet { local_index: 2 },
                I32Const { value: 3 },
                I32And,
                I32Eqz,
                I32Eqz,
            ],
            &[I32Const { value: 8 }, I32Const { value: 3 }, I32And],
        ] {
            assert_eq!(aligned_by_test(before), None, "{before:?}");
        }
    }

    #[test]
    fn arithmetic_keeps_what_it_proves() {
        assert!(result_is_multiple_of_4(&Operator::I32Add, true, true, None));
        assert!(!result_is_multiple_of_4(
            &Operator::I32Add,
            true,
            false,
            None
        ));
        assert!(result_is_multiple_of_4(
            &Operator::I32Mul,
            false,
            true,
            Some(4)
        ));
        assert!(result_is_multiple_of_4(
            &Operator::I32And,
            false,
            true,
            Some(0xFFFF_FFFC)
        ));
        assert!(result_is_multiple_of_4(
            &Operator::I32Shl,
            false,
            false,
            Some(2)
        ));
        assert!(!result_is_multiple_of_4(
            &Operator::I32Shl,
            false,
            false,
            Some(1)
        ));
        // A shift by 33 is a shift by 1.
        assert!(!result_is_multiple_of_4(
            &Operator::I32Shl,
            false,
            false,
            Some(33)
        ));
        assert!(!result_is_multiple_of_4(&Operator::I32Or, true, true, None));
    }

    #[test]
    fn joins_keep_what_every_path_agrees_on() {
        let mut a = LocalAlignment::new(vec![true, true], HashMap::new(), false);
        a.open_block(true);
        a.set(0, false);
        a.else_arm(true);
        assert!(a.get(0), "the else arm starts from the entry state");
        a.set(1, false);
        a.close(true);
        assert!(!a.get(0) && !a.get(1));
        // A branch out of a block joins at its end; the dead fall-through does not.
        a.set(0, true);
        a.open_block(false);
        a.branch(0);
        a.set(0, false);
        a.close(false);
        assert!(a.get(0));
    }

    #[test]
    fn a_back_edge_checks_the_header_assumption() {
        let mut a = LocalAlignment::new(vec![true], HashMap::new(), false);
        a.open_loop(7);
        a.set(0, false);
        a.branch(0);
        a.close(false);
        assert_eq!(a.into_broken(), vec![(7, 0)]);
        // Without the assumption the same loop is consistent.
        let mut a = LocalAlignment::new(vec![true], HashMap::from([(7, vec![false])]), false);
        a.open_loop(7);
        assert!(!a.get(0));
        a.set(0, false);
        a.branch(0);
        assert!(a.into_broken().is_empty());
    }

    #[test]
    fn only_word_sized_accesses_use_whole_elements() {
        assert!(whole_elements(true, 8, 4));
        assert!(whole_elements(true, 0, 8));
        assert!(!whole_elements(true, 2, 4));
        assert!(!whole_elements(true, 0, 2));
        assert!(!whole_elements(false, 0, 4));
    }
}
