//! Every threading rewrite checked by the semantic oracle (`masm/oracle.rs`): random code
//! trees holding an instance of the rule's pattern (arms ending in constants through nested
//! `if`s, branches short enough to copy or not, now and then a near miss the rule must leave
//! alone, now and then inside a loop body), run on random stacks before the rewrite, after
//! the rule alone, after all of [`CodeTree::thread_jumps`], and as printed (which also runs
//! the peephole rules and turns constant arms into arithmetic).
//!
//! Every `if` condition is a 0/1 value, as the translator's conditions are (comparisons and
//! `neq.0`): the rewrites that turn an `if` into arithmetic rely on it.

use super::*;
use crate::masm::oracle::pieces::{condition, filler, swap};
use crate::masm::oracle::{from_tree, parse, Oracle, Rng, Values};
use crate::masm::MasmWriter;

/// A random tree under construction.
struct Gen<'a> {
    tree: CodeTree,
    rng: &'a mut Rng,
}

impl Gen<'_> {
    /// A sequence of `ops`.
    fn seq(&mut self, ops: &[&str]) -> SeqId {
        let seq = self.tree.new_seq();
        for op in ops {
            self.tree.op(seq, *op);
        }
        seq
    }

    /// Appends `lo..=hi` random instructions to `seq`.
    fn code(&mut self, seq: SeqId, lo: usize, hi: usize) {
        for _ in 0..self.rng.range(lo, hi) {
            let op = filler(self.rng, Values::Felts);
            self.tree.op(seq, op);
        }
    }

    /// Appends `if.true then else … end` on a fresh 0/1 condition to `seq`.
    fn branch_on_condition(&mut self, seq: SeqId, then_seq: SeqId, else_seq: SeqId) {
        for op in condition(self.rng) {
            self.tree.op(seq, op);
        }
        self.tree.push(seq, Node::If { then_seq, else_seq });
    }

    /// An arm that ends by pushing one of `flags`, directly or in each arm of a final `if`
    /// (up to `depth` deep); one in twenty ends with `push.1 drop` after that (the flag still
    /// on top, but no constant last).
    fn flag_arm(&mut self, flags: &[u64], depth: usize) -> SeqId {
        let seq = self.tree.new_seq();
        self.code(seq, 0, 2);
        if depth > 0 && self.rng.chance(30) {
            let (a, b) = (
                self.flag_arm(flags, depth - 1),
                self.flag_arm(flags, depth - 1),
            );
            self.branch_on_condition(seq, a, b);
        } else {
            let flag = *self.rng.pick(flags);
            self.tree.op(seq, format!("push.{flag}"));
        }
        if self.rng.chance(5) {
            self.tree.op(seq, "push.1");
            self.tree.op(seq, "drop");
        }
        seq
    }

    /// Code a test selects: a few instructions (sometimes more than may be copied), starting
    /// with `first` half of the time, now and then with an `if` of its own.
    fn branch(&mut self, first: &str) -> SeqId {
        let seq = self.tree.new_seq();
        if self.rng.chance(50) {
            self.tree.op(seq, first);
        }
        let long = self.rng.chance(20);
        self.code(seq, 0, if long { 9 } else { 4 });
        if self.rng.chance(15) {
            let (a, b) = (self.branch("drop"), self.branch("drop"));
            self.branch_on_condition(seq, a, b);
        }
        seq
    }
}

/// A rule applied at one place of the tree: whether it changed anything.
type Rewrite = fn(&mut CodeTree, SeqId, usize) -> bool;

/// Checks `rewrite` on trees from `build`, which fills the given sequence and returns the
/// index where the rule's pattern starts.
fn check_rewrite(name: &str, rewrite: Rewrite, build: fn(&mut Gen, SeqId) -> usize) {
    let mut oracle = Oracle::new(name);
    while oracle.running() {
        let mut tree = CodeTree::default();
        let seq = tree.new_seq();
        let mut gen = Gen {
            tree,
            rng: &mut oracle.rng,
        };
        gen.code(seq, 0, 2);
        let at = build(&mut gen, seq);
        gen.code(seq, 0, 2);
        // Now and then the pattern is a loop body that runs once.
        let root = if gen.rng.chance(20) {
            gen.tree.op(seq, "push.0");
            let root = gen.seq(&["push.1"]);
            gen.tree.push(root, Node::While { body: seq });
            root
        } else {
            seq
        };
        let tree = gen.tree;
        let mut alone = tree.clone();
        let fired = rewrite(&mut alone, seq, at);
        let mut threaded = tree.clone();
        threaded.thread_jumps(root);
        let mut printed = MasmWriter::default();
        threaded.print(root, &mut printed);
        let rewrites = [
            from_tree(&alone, root),
            from_tree(&threaded, root),
            parse(&printed.finish()),
        ];
        let rewrites: Vec<_> = rewrites.iter().map(Vec::as_slice).collect();
        let start = oracle.state(Values::Felts);
        oracle.check(fired, &from_tree(&tree, root), &rewrites, &start);
    }
    oracle.finish();
}

#[test]
fn thread_at_with_a_boolean_test() {
    check_rewrite("thread_at (if.true)", CodeTree::thread_at, |gen, seq| {
        let (a, b) = (gen.flag_arm(&[0, 1], 2), gen.flag_arm(&[0, 1], 2));
        gen.branch_on_condition(seq, a, b);
        let at = gen.tree.nodes(seq).len() - 1;
        let (then_seq, else_seq) = (gen.branch("drop"), gen.branch("drop"));
        gen.tree.push(seq, Node::If { then_seq, else_seq });
        at
    });
}

#[test]
fn thread_at_with_a_zero_test() {
    check_rewrite(
        "thread_at (dup eq.0 if.true)",
        CodeTree::thread_at,
        |gen, seq| {
            let (a, b) = (
                gen.flag_arm(&[0, 1, 2, 3], 2),
                gen.flag_arm(&[0, 1, 2, 3], 2),
            );
            gen.branch_on_condition(seq, a, b);
            let at = gen.tree.nodes(seq).len() - 1;
            let (zero, nonzero) = (gen.branch("drop"), gen.branch("sub.1"));
            gen.tree.op(seq, "dup");
            gen.tree.op(seq, "eq.0");
            gen.tree.push(
                seq,
                Node::If {
                    then_seq: zero,
                    else_seq: nonzero,
                },
            );
            at
        },
    );
}

#[test]
fn decrement_at() {
    check_rewrite("decrement_at", CodeTree::decrement_at, |gen, seq| {
        let at = gen.tree.nodes(seq).len();
        let flag = if gen.rng.chance(90) {
            "push.0"
        } else {
            "push.1"
        };
        let (then_seq, else_seq) = (gen.seq(&["drop", flag]), gen.seq(&["sub.1"]));
        gen.tree.op(seq, "dup");
        gen.tree.op(seq, "eq.0");
        gen.tree.push(seq, Node::If { then_seq, else_seq });
        at
    });
}

#[test]
fn zero_select_at() {
    check_rewrite("zero_select_at", CodeTree::zero_select_at, |gen, seq| {
        let value = if gen.rng.chance(90) {
            "push.0"
        } else {
            "push.1"
        };
        let slot = swap(gen.rng.range(1, 15));
        let zeroed = gen.seq(&[value, &slot, "drop"]);
        let empty = gen.seq(&[]);
        if gen.rng.chance(50) {
            gen.branch_on_condition(seq, zeroed, empty);
        } else {
            gen.branch_on_condition(seq, empty, zeroed);
        }
        gen.tree.nodes(seq).len() - 1
    });
}

#[test]
fn negated_if_at() {
    check_rewrite("negated_if_at", CodeTree::negated_if_at, |gen, seq| {
        let (then_seq, else_seq) = (gen.branch("drop"), gen.branch("drop"));
        for op in condition(gen.rng) {
            gen.tree.op(seq, op);
        }
        let at = gen.tree.nodes(seq).len();
        let negation = if gen.rng.chance(90) { "not" } else { "eq.0" };
        gen.tree.op(seq, negation);
        gen.tree.push(seq, Node::If { then_seq, else_seq });
        at
    });
}

#[test]
fn flatten_inline() {
    /// Flattens the whole tree (the rule has no position); fired when it held an inline.
    fn flatten(tree: &mut CodeTree, seq: SeqId, _: usize) -> bool {
        let had_inline = tree.nodes(seq).iter().any(|n| matches!(n, Node::Inline(_)));
        tree.flatten_inline(seq);
        had_inline
    }
    check_rewrite("flatten_inline", flatten, |gen, seq| {
        for _ in 0..gen.rng.range(1, 3) {
            let inner = gen.tree.new_seq();
            gen.code(inner, 0, 3);
            let nested = gen.tree.new_seq();
            gen.code(nested, 0, 2);
            gen.tree.push(inner, Node::Inline(nested));
            // Half the time the block ends in an `if` whose flag a test after it reads.
            let flag = gen.rng.chance(50);
            if flag {
                let (a, b) = (gen.flag_arm(&[0, 1], 1), gen.flag_arm(&[0, 1], 1));
                gen.branch_on_condition(inner, a, b);
            }
            gen.tree.push(seq, Node::Inline(inner));
            if flag {
                let (then_seq, else_seq) = (gen.branch("drop"), gen.branch("drop"));
                gen.tree.push(seq, Node::If { then_seq, else_seq });
            }
        }
        0
    });
}
