//! A small tree of MASM code that the translator builds and later prints.
//!
//! The translator often learns only at the end of a Wasm block whether an earlier branch needs
//! an extra instruction (a break flag), so code is kept as a tree of sequences addressed by
//! [`SeqId`] that can still be appended to after they are closed. Printing happens once, at
//! the end, through [`MasmWriter`].

pub(crate) mod cost_model;
mod finish;
pub mod inst;
#[cfg(test)]
pub(crate) mod oracle;
pub(crate) mod peephole;
mod print;
pub(crate) mod stack_ops;
mod threading;

pub use finish::Block;
pub use inst::{Inst, Op};
pub use print::{error_text, print_blocks, MasmWriter, Needs};

/// Index of a code sequence inside a [`CodeTree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqId(usize);

/// One element of a code sequence.
#[derive(Clone, Debug)]
pub enum Node {
    /// One MASM instruction.
    Op(Inst),
    /// `if.true <then> else <else> end`; the condition (0 or 1) is on top of the stack.
    If {
        /// Runs when the condition is 1.
        then_seq: SeqId,
        /// Runs when the condition is 0.
        else_seq: SeqId,
    },
    /// The contents of another sequence, printed in place (a Wasm block or a loop that
    /// never repeats).
    Inline(SeqId),
    /// `while.true <body> end`; the body must leave the next condition on top.
    While {
        /// The loop body.
        body: SeqId,
    },
    /// Zero-width: the code that follows (in print order) belongs to the Wasm operator at this
    /// byte offset, until the next marker. Never printed, and invisible to every rewrite
    /// (`crate::trap_sites`).
    Site(u64),
}

/// An arena of code sequences.
#[derive(Clone, Default, Debug)]
pub struct CodeTree {
    seqs: Vec<Vec<Node>>,
    /// A site marker waiting for the next instruction, so that a marker always comes right
    /// before code (an operator that ends up emitting nothing leaves no marker).
    pending_site: Option<u64>,
}

impl CodeTree {
    /// Creates an empty sequence.
    pub fn new_seq(&mut self) -> SeqId {
        self.seqs.push(Vec::new());
        SeqId(self.seqs.len() - 1)
    }

    /// Appends an instruction to `seq`.
    pub fn op(&mut self, seq: SeqId, op: impl Into<Inst>) {
        if let Some(offset) = self.pending_site.take() {
            self.seqs[seq.0].push(Node::Site(offset));
        }
        self.seqs[seq.0].push(Node::Op(op.into()));
    }

    /// Marks the code emitted from now on as that of the Wasm operator at byte `offset` (`None`:
    /// of no operator that can trap); the marker lands before the next instruction.
    pub fn mark(&mut self, offset: Option<u64>) {
        self.pending_site = offset;
    }

    /// Removes the last instruction of `seq` (site markers after it stay) when it is `op`
    /// (undoing an emission the translator finds redundant afterwards); reports whether it did.
    pub fn pop_op(&mut self, seq: SeqId, op: impl Into<Inst>) -> bool {
        let op = op.into();
        let nodes = &mut self.seqs[seq.0];
        let Some(at) = nodes.iter().rposition(|n| !matches!(n, Node::Site(_))) else {
            return false;
        };
        if matches!(&nodes[at], Node::Op(last) if *last == op) {
            nodes.remove(at);
            true
        } else {
            false
        }
    }

    /// The nodes of `seq`, for the semantic oracle's tests to read a tree.
    #[cfg(test)]
    pub(crate) fn nodes(&self, seq: SeqId) -> &[Node] {
        &self.seqs[seq.0]
    }

    /// Appends an arbitrary node to `seq`.
    pub fn push(&mut self, seq: SeqId, node: Node) {
        self.seqs[seq.0].push(node);
    }

    /// Whether `seq` contains no code (looking through inlined sequences).
    pub fn is_empty(&self, seq: SeqId) -> bool {
        self.seqs[seq.0].iter().all(|n| match n {
            Node::Inline(s) => self.is_empty(*s),
            Node::Site(_) => true,
            _ => false,
        })
    }

    /// Prints `seq` and everything below it at the writer's current indentation, after the
    /// final passes ([`CodeTree::finish`]) (the tests' view of a tree as text).
    #[cfg(test)]
    pub fn print(&self, seq: SeqId, out: &mut MasmWriter) {
        print_blocks(&self.finish(seq), out);
    }
}
