//! Jump threading on the code tree: an `if` whose arms each end by pushing a constant, followed
//! by code that branches on that constant, gets the chosen branch moved into each arm.
//!
//! This is what break flags turn into. A Wasm branch out of two blocks pushes flag 2, a branch
//! to the next block flag 1, a fall-through flag 0, and after the `if` each block end tests
//! the flag again (`dup eq.0 if.true drop … else sub.1 end`, or `if.true … end` for 0/1). When
//! every arm ends with its flag as a constant, the test is decided per arm: the code it
//! selects is placed at the end of that arm and the test disappears, ~12 cycles per block end
//! passed. A branch selected by more than one arm is copied only when it is a few instructions.
//! Two smaller rewrites of flag code live here too: a flag passing an empty block end, and a
//! local zeroed on one path (both arithmetic on the condition instead of an `if`).

use super::{
    inst::{Inst, Op},
    CodeTree, Node, SeqId,
};

/// A consumer of the value an `if` leaves on top, right after it.
#[derive(Clone, Copy)]
enum Test {
    /// `if.true then else … end` on the value (0 or 1).
    Bool { then_seq: SeqId, else_seq: SeqId },
    /// `dup eq.0 if.true zero else nonzero end`: keeps the value, branches on it being 0.
    Zero { zero: SeqId, nonzero: SeqId },
}

/// Instructions a branch may have to be copied into several arms.
const MAX_COPIED_OPS: usize = 6;

impl CodeTree {
    /// Applies jump threading to every sequence reachable from `root`, until nothing changes:
    /// threading inside an arm can make it end with a constant, which an enclosing `if` can
    /// then thread (each rewrite removes a test or an instruction, so this ends).
    pub fn thread_jumps(&mut self, root: SeqId) {
        self.flatten_inline(root);
        while self.thread_pass(root) {}
    }

    /// One top-down pass of the rewrites; reports whether any applied.
    fn thread_pass(&mut self, root: SeqId) -> bool {
        let mut changed = false;
        let mut work = vec![root];
        while let Some(seq) = work.pop() {
            let mut i = 0;
            while i < self.seqs[seq.0].len() {
                if self.thread_at(seq, i)
                    || self.decrement_at(seq, i)
                    || self.zero_select_at(seq, i)
                    || self.negated_if_at(seq, i)
                {
                    changed = true;
                } else {
                    i += 1;
                }
            }
            for node in &self.seqs[seq.0] {
                match node {
                    Node::If { then_seq, else_seq } => work.extend([*then_seq, *else_seq]),
                    Node::While { body } => work.push(*body),
                    Node::Inline(inner) => work.push(*inner),
                    Node::Op(_) | Node::Site(_) => {}
                }
            }
        }
        changed
    }

    /// `not if.true A else B end` → `if.true B else A end` (the condition is 0 or 1, so
    /// negating it only swaps the arms).
    fn negated_if_at(&mut self, seq: SeqId, i: usize) -> bool {
        let nodes = &mut self.seqs[seq.0];
        let (Some(Node::Op(Inst::Op(Op::Not))), Some(Node::If { .. })) =
            (nodes.get(i), nodes.get(i + 1))
        else {
            return false;
        };
        nodes.remove(i);
        if let Node::If { then_seq, else_seq } = &mut nodes[i] {
            std::mem::swap(then_seq, else_seq);
        }
        true
    }

    /// Splices every inlined sequence into its parent, so that an `if` at the end of a block
    /// is seen next to the test after the block.
    fn flatten_inline(&mut self, seq: SeqId) {
        let nodes = std::mem::take(&mut self.seqs[seq.0]);
        let mut flat = Vec::with_capacity(nodes.len());
        for node in nodes {
            match node {
                Node::Inline(inner) => {
                    self.flatten_inline(inner);
                    flat.append(&mut self.seqs[inner.0]);
                }
                Node::If { then_seq, else_seq } => {
                    self.flatten_inline(then_seq);
                    self.flatten_inline(else_seq);
                    flat.push(node);
                }
                Node::While { body } => {
                    self.flatten_inline(body);
                    flat.push(node);
                }
                Node::Op(_) | Node::Site(_) => flat.push(node),
            }
        }
        self.seqs[seq.0] = flat;
    }

    /// Threads the test following the `if` at `seq[i]`, if there is one it can decide; reports
    /// whether it changed anything.
    fn thread_at(&mut self, seq: SeqId, i: usize) -> bool {
        let nodes = &self.seqs[seq.0];
        let Some(Node::If { then_seq, else_seq }) = nodes.get(i) else {
            return false;
        };
        let (arms, (test, len)) = (
            [*then_seq, *else_seq],
            match nodes.get(i + 1..) {
                Some([Node::If { then_seq, else_seq }, ..]) => (
                    Test::Bool {
                        then_seq: *then_seq,
                        else_seq: *else_seq,
                    },
                    1,
                ),
                Some(
                    [Node::Op(Inst::DUP), Node::Op(Inst::Imm(Op::Eq, 0)), Node::If { then_seq, else_seq }, ..],
                ) => (
                    Test::Zero {
                        zero: *then_seq,
                        nonzero: *else_seq,
                    },
                    3,
                ),
                _ => return false,
            },
        );
        let mut leaves = Vec::new();
        if !arms
            .iter()
            .all(|arm| self.constant_leaves(*arm, &mut leaves))
        {
            return false;
        }
        let chosen: Vec<Option<SeqId>> = leaves.iter().map(|(_, k)| test.choose(*k)).collect();
        if chosen.contains(&None) {
            return false;
        }
        let uses = |target| chosen.iter().filter(|c| **c == Some(target)).count();
        if test
            .branches()
            .iter()
            .any(|t| uses(*t) > 1 && !self.small(*t))
        {
            return false;
        }
        let shared: Vec<SeqId> = test
            .branches()
            .into_iter()
            .filter(|t| uses(*t) > 1)
            .collect();
        self.seqs[seq.0].drain(i + 1..i + 1 + len);
        for ((leaf, k), target) in leaves.into_iter().zip(chosen.into_iter().flatten()) {
            self.seqs[leaf.0].pop();
            // A branch taken from one arm moves there; a shared one is plain code, copied.
            let mut code = if shared.contains(&target) {
                self.seqs[target.0].clone()
            } else {
                std::mem::take(&mut self.seqs[target.0])
            };
            // Keep the value for `Zero` tests, folding what the branch does with it first.
            if let Test::Zero { .. } = test {
                match code.first() {
                    Some(Node::Op(Inst::DROP)) => {
                        code.remove(0);
                    }
                    Some(Node::Op(Inst::Imm(Op::Sub, 1))) if k > 0 => {
                        code[0] = Node::Op(Inst::Push(k - 1));
                    }
                    _ => code.insert(0, Node::Op(Inst::Push(k))),
                }
            }
            self.seqs[leaf.0].append(&mut code);
        }
        true
    }

    /// `dup eq.0 if.true drop push.0 else sub.1 end` at `seq[i]` (a flag passing a block end
    /// that has nothing left to run) is `dup neq.0 sub`: 4 cycles instead of ~13.
    fn decrement_at(&mut self, seq: SeqId, i: usize) -> bool {
        let nodes = &self.seqs[seq.0];
        let Some(
            [Node::Op(Inst::DUP), Node::Op(Inst::Imm(Op::Eq, 0)), Node::If { then_seq, else_seq }],
        ) = nodes.get(i..i + 3)
        else {
            return false;
        };
        let is_ops = |s: SeqId, ops: &[Inst]| {
            let nodes = &self.seqs[s.0];
            nodes.len() == ops.len()
                && nodes
                    .iter()
                    .zip(ops)
                    .all(|(n, op)| matches!(n, Node::Op(o) if o == op))
        };
        if !is_ops(*then_seq, &[Inst::DROP, Inst::Push(0)])
            || !is_ops(*else_seq, &[Inst::Imm(Op::Sub, 1)])
        {
            return false;
        }
        let ops = [Inst::DUP, Inst::Imm(Op::Neq, 0), Inst::Op(Op::Sub)].map(Node::Op);
        self.seqs[seq.0].splice(i..i + 3, ops);
        true
    }

    /// `if.true push.0 swap.k drop end` at `seq[i]` (a local set to 0 on one path) is
    /// arithmetic on the 0/1 condition: the local times `not c` (times `c` for `if.false`),
    /// `not movup.k mul movdn.(k-1)`, 3–4 cycles instead of ~13.
    fn zero_select_at(&mut self, seq: SeqId, i: usize) -> bool {
        let Some(Node::If { then_seq, else_seq }) = self.seqs[seq.0].get(i) else {
            return false;
        };
        let zeroed = |s: SeqId| -> Option<usize> {
            match self.seqs[s.0].as_slice() {
                [Node::Op(Inst::Push(0)), Node::Op(swap), Node::Op(Inst::DROP)] => {
                    swap.swap_index()
                }
                _ => None,
            }
        };
        let (k, negate) = match (zeroed(*then_seq), self.seqs[else_seq.0].is_empty()) {
            (Some(k), true) => (k, true),
            _ => match (self.seqs[then_seq.0].is_empty(), zeroed(*else_seq)) {
                (true, Some(k)) => (k, false),
                _ => return false,
            },
        };
        if !(1..=15).contains(&k) {
            return false;
        }
        let mut ops: Vec<Inst> = Vec::new();
        if negate {
            ops.push(Inst::Op(Op::Not));
        }
        // The local's slot times the condition (for k = 1 the product needs no move: `mul`
        // commutes).
        if k > 1 {
            ops.extend(Inst::movup(k));
        }
        ops.push(Inst::Op(Op::Mul));
        ops.extend(Inst::movdn(k - 1));
        self.seqs[seq.0].splice(i..=i, ops.into_iter().map(Node::Op));
        true
    }

    /// Collects the sequences in which `arm` ends (looking into a final `if`), with the
    /// constant each pushes last; false if some path does not end with a constant.
    fn constant_leaves(&self, arm: SeqId, leaves: &mut Vec<(SeqId, u64)>) -> bool {
        match self.seqs[arm.0].last() {
            Some(Node::Op(Inst::Push(k))) => {
                leaves.push((arm, *k));
                true
            }
            Some(Node::Op(_)) => false,
            Some(Node::If { then_seq, else_seq }) => {
                self.constant_leaves(*then_seq, leaves) && self.constant_leaves(*else_seq, leaves)
            }
            _ => false,
        }
    }

    /// Whether `seq` is a few plain instructions (cheap to copy; site markers are free).
    fn small(&self, seq: SeqId) -> bool {
        let nodes = &self.seqs[seq.0];
        nodes.iter().filter(|n| matches!(n, Node::Op(_))).count() <= MAX_COPIED_OPS
            && nodes
                .iter()
                .all(|n| matches!(n, Node::Op(_) | Node::Site(_)))
    }
}

impl Test {
    /// The branch the test takes on constant `k` (`None`: `k` is not a valid condition).
    fn choose(self, k: u64) -> Option<SeqId> {
        match self {
            Test::Bool { then_seq, else_seq } => match k {
                1 => Some(then_seq),
                0 => Some(else_seq),
                _ => None,
            },
            Test::Zero { zero, nonzero } => Some(if k == 0 { zero } else { nonzero }),
        }
    }

    fn branches(self) -> [SeqId; 2] {
        match self {
            Test::Bool { then_seq, else_seq } => [then_seq, else_seq],
            Test::Zero { zero, nonzero } => [zero, nonzero],
        }
    }
}

#[cfg(test)]
mod oracle_tests;

/// Which trees the rewrites change, and to what; that they keep the program's meaning is
/// checked by the oracle (`masm/threading/oracle_tests.rs`).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::masm::MasmWriter;

    fn seq(tree: &mut CodeTree, ops: &[&str]) -> SeqId {
        let s = tree.new_seq();
        for op in ops {
            tree.op(s, *op);
        }
        s
    }

    fn printed(tree: &CodeTree, root: SeqId) -> Vec<String> {
        let mut out = MasmWriter::default();
        tree.print(root, &mut out);
        out.finish().lines().map(|l| l.trim().to_string()).collect()
    }

    #[test]
    fn a_flag_test_after_an_if_moves_into_its_arms() {
        // if c { A; flag 0 } else { if d { flag 2 } else { B; flag 1 } }; then the guard of a
        // block end: 0 runs T, others decrement; then a 0/1 test runs U on 0.
        let mut tree = CodeTree::default();
        let root = seq(&mut tree, &["dup.1"]);
        let a = seq(&mut tree, &["add.7", "push.0"]);
        let two = seq(&mut tree, &["push.2"]);
        let b = seq(&mut tree, &["mul.3", "push.1"]);
        let inner = seq(&mut tree, &["dup.2"]);
        tree.push(
            inner,
            Node::If {
                then_seq: two,
                else_seq: b,
            },
        );
        tree.push(
            root,
            Node::If {
                then_seq: a,
                else_seq: inner,
            },
        );
        let t = seq(&mut tree, &["drop", "u32xor", "push.1"]);
        let dec = seq(&mut tree, &["sub.1"]);
        for op in ["dup", "eq.0"] {
            tree.op(root, op);
        }
        tree.push(
            root,
            Node::If {
                then_seq: t,
                else_seq: dec,
            },
        );
        let skip = seq(&mut tree, &[]);
        let u = seq(&mut tree, &["u32and"]);
        tree.push(
            root,
            Node::If {
                then_seq: skip,
                else_seq: u,
            },
        );
        tree.op(root, "swap");
        tree.thread_jumps(root);
        // flag 0 → T then flag 1 → skip; flag 2 → 1 → skip; flag 1 → 0 → U.
        assert_eq!(
            printed(&tree, root),
            [
                "dup.1", "if.true", "add.7", "u32xor", "else", "dup.2", "if.false", "mul.3",
                "u32and", "end", "end", "swap"
            ]
        );
    }

    #[test]
    fn a_flag_passing_an_empty_block_end_is_decremented_without_an_if() {
        let mut tree = CodeTree::default();
        let root = seq(&mut tree, &["dup.3", "dup", "eq.0"]);
        let (zero, nonzero) = (
            seq(&mut tree, &["drop", "push.0"]),
            seq(&mut tree, &["sub.1"]),
        );
        tree.push(
            root,
            Node::If {
                then_seq: zero,
                else_seq: nonzero,
            },
        );
        tree.thread_jumps(root);
        assert_eq!(printed(&tree, root), ["dup.3", "dup", "neq.0", "sub"]);
    }

    #[test]
    fn a_negated_condition_swaps_the_arms() {
        let mut tree = CodeTree::default();
        let root = seq(&mut tree, &["dup.4", "not"]);
        let (then_seq, else_seq) = (seq(&mut tree, &["add.1"]), seq(&mut tree, &["mul.2"]));
        tree.push(root, Node::If { then_seq, else_seq });
        tree.thread_jumps(root);
        assert_eq!(
            printed(&tree, root),
            ["dup.4", "if.true", "mul.2", "else", "add.1", "end"]
        );
    }

    #[test]
    fn a_local_zeroed_on_one_path_is_a_product() {
        let build = |then_ops: &[&str], else_ops: &[&str]| {
            let mut tree = CodeTree::default();
            let root = seq(&mut tree, &["dup.4"]);
            let (then_seq, else_seq) = (seq(&mut tree, then_ops), seq(&mut tree, else_ops));
            tree.push(root, Node::If { then_seq, else_seq });
            tree.thread_jumps(root);
            printed(&tree, root)
        };
        let zero = ["push.0", "swap.3", "drop"];
        assert_eq!(
            build(&zero, &[]),
            ["dup.4", "not", "movup.3", "mul", "movdn.2"]
        );
        assert_eq!(build(&[], &zero), ["dup.4", "movup.3", "mul", "movdn.2"]);
        assert_eq!(
            build(&["push.0", "swap", "drop"], &[]),
            ["dup.4", "not", "mul"]
        );
        let two = ["push.0", "swap.2", "drop"];
        assert_eq!(build(&[], &two), ["dup.4", "movup.2", "mul", "swap"]);
        // Anything else stays an `if`.
        assert!(build(&["push.1", "swap.3", "drop"], &[]).contains(&"if.true".to_string()));
    }

    #[test]
    fn branches_used_twice_are_copied_only_when_small() {
        let build = |big: bool| {
            let mut tree = CodeTree::default();
            let root = tree.new_seq();
            let a = seq(&mut tree, &["push.1"]);
            let b = seq(&mut tree, &["push.1"]);
            tree.push(
                root,
                Node::If {
                    then_seq: a,
                    else_seq: b,
                },
            );
            let body: Vec<&str> = if big {
                vec!["add.1"; 7]
            } else {
                vec!["add.1"; 2]
            };
            let then_seq = seq(&mut tree, &body);
            let else_seq = seq(&mut tree, &["mul.2"]);
            tree.push(root, Node::If { then_seq, else_seq });
            tree.thread_jumps(root);
            printed(&tree, root)
        };
        // Both arms pick the first branch: copied into each, the second if is gone.
        let small = build(false);
        assert_eq!(small.iter().filter(|l| l.starts_with("if.")).count(), 1);
        assert!(!small.contains(&"mul.2".to_string()));
        // Too long to copy: the second `if` stays (the first, two constants, is arithmetic).
        let big = build(true);
        assert!(big.contains(&"mul.2".to_string()), "{big:?}");
    }
}
