//! The MASM-level passes that run last, turning a [`CodeTree`] into [`Block`]s, the code the
//! printer writes one to one:
//!
//! 1. **Constant select**: an `if` whose arms each push one constant becomes arithmetic on the
//!    condition (an `if` costs ~10 cycles).
//! 2. **Guarded loop**: `if c { push.1 while.true … end }` becomes a `while` entered on `c`.
//! 3. **Peephole** ([`crate::masm::peephole`]) on every straight-line run, with each trap-capable
//!    instruction keeping the Wasm operator it came from ([`crate::trap_sites::attribute`]).
//! 4. **Empty forms**: an `if` with no code in either arm drops its condition, an arm with no
//!    code makes `if.true`/`if.false`, and an empty block gets a `nop`.

use super::peephole;
use super::{
    inst::{Inst, Op},
    CodeTree, Node, SeqId,
};
use crate::trap_sites;

/// Code after the MASM-level passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// An instruction, and the byte offset of the Wasm operator a trap in it belongs to.
    Inst(Inst, Option<u64>),
    /// `if.true then else otherwise end`; an empty arm is left out (`if.false otherwise end`
    /// when `then` is empty). Never both empty.
    If {
        /// Runs on 1.
        then: Vec<Block>,
        /// Runs on 0.
        otherwise: Vec<Block>,
    },
    /// `while.true body end`.
    While(Vec<Block>),
}

impl CodeTree {
    /// Runs the final passes on `seq` and everything below it.
    pub fn finish(&self, seq: SeqId) -> Vec<Block> {
        self.finish_block(seq, &mut None)
    }

    /// `seq` as a non-empty block (MASM blocks may not be empty, and rewrites may have emptied
    /// it). `site` is the operator site in effect, carried along in print order.
    fn finish_block(&self, seq: SeqId, site: &mut Option<u64>) -> Vec<Block> {
        let mut out = Vec::new();
        self.finish_nodes(seq, site, &mut out);
        if out.is_empty() {
            out.push(Block::Inst(Inst::Op(Op::Nop), None));
        }
        out
    }

    fn finish_nodes(&self, seq: SeqId, site: &mut Option<u64>, out: &mut Vec<Block>) {
        // The run of straight-line instructions, each with the operator site it belongs to.
        let mut run = Run::default();
        for node in &self.seqs[seq.0] {
            match node {
                Node::Op(op) => {
                    run.push(op.clone(), *site);
                    continue;
                }
                Node::Site(offset) => {
                    *site = Some(*offset);
                    continue;
                }
                Node::Inline(inner) => {
                    if let Some(nodes) = self.straight_nodes(*inner) {
                        for node in nodes {
                            match node {
                                Node::Op(op) => run.push(op.clone(), *site),
                                Node::Site(offset) => *site = Some(*offset),
                                _ => {}
                            }
                        }
                        continue;
                    }
                }
                Node::If { then_seq, else_seq } => {
                    if let Some(ops) = self.constant_select(*then_seq, *else_seq) {
                        for op in ops {
                            run.push(op, *site);
                        }
                        continue;
                    }
                    if let Some((negate, body)) = self.guarded_loop(*then_seq, *else_seq) {
                        if negate {
                            run.push(Inst::Op(Op::Not), *site);
                        }
                        run.flush(out);
                        let arm = if negate { *else_seq } else { *then_seq };
                        if let Some(offset) = self.last_site(arm) {
                            *site = Some(offset);
                        }
                        out.push(Block::While(self.finish_block(body, site)));
                        continue;
                    }
                }
                Node::While { .. } => {}
            }
            run.flush(out);
            match node {
                Node::Op(_) | Node::Site(_) => unreachable!("handled above"),
                Node::Inline(inner) => self.finish_nodes(*inner, site, out),
                Node::If { then_seq, else_seq } => {
                    let (then_empty, else_empty) =
                        (self.is_empty(*then_seq), self.is_empty(*else_seq));
                    if then_empty && else_empty {
                        // Nothing depends on the condition: just consume it.
                        out.push(Block::Inst(Inst::DROP, None));
                        continue;
                    }
                    let then = if then_empty {
                        Vec::new()
                    } else {
                        self.finish_block(*then_seq, site)
                    };
                    let otherwise = if else_empty {
                        Vec::new()
                    } else {
                        self.finish_block(*else_seq, site)
                    };
                    out.push(Block::If { then, otherwise });
                }
                Node::While { body } => out.push(Block::While(self.finish_block(*body, site))),
            }
        }
        run.flush(out);
    }

    /// The plain instructions of `seq` (looking through inlined sequences), or `None` when it
    /// contains control flow.
    fn straight_line(&self, seq: SeqId) -> Option<Vec<Inst>> {
        let nodes = self.straight_nodes(seq)?;
        Some(
            nodes
                .into_iter()
                .filter_map(|n| match n {
                    Node::Op(op) => Some(op.clone()),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The instructions and site markers of `seq` (looking through inlined sequences), or
    /// `None` when it contains control flow.
    fn straight_nodes(&self, seq: SeqId) -> Option<Vec<&Node>> {
        let mut nodes = Vec::new();
        for node in &self.seqs[seq.0] {
            match node {
                Node::Op(_) | Node::Site(_) => nodes.push(node),
                Node::Inline(inner) => nodes.extend(self.straight_nodes(*inner)?),
                _ => return None,
            }
        }
        Some(nodes)
    }

    /// The nodes of `seq` with inlined sequences expanded (site markers left out).
    fn flat_nodes(&self, seq: SeqId) -> Vec<&Node> {
        let mut nodes = Vec::new();
        for node in &self.seqs[seq.0] {
            match node {
                Node::Inline(inner) => nodes.extend(self.flat_nodes(*inner)),
                Node::Site(_) => {}
                node => nodes.push(node),
            }
        }
        nodes
    }

    /// The last site marker of `seq` (looking through inlined sequences), if any.
    fn last_site(&self, seq: SeqId) -> Option<u64> {
        self.seqs[seq.0].iter().rev().find_map(|node| match node {
            Node::Site(offset) => Some(*offset),
            Node::Inline(inner) => self.last_site(*inner),
            _ => None,
        })
    }

    /// An `if` whose one arm is empty and whose other arm is exactly a do-while loop
    /// (`push.1 while.true body end`): the loop's body, and whether the loop runs on a false
    /// condition (the `if.false` form). `while.true` tests its condition before the first
    /// iteration, so the condition itself can enter the loop, saving the `if` (~10 cycles).
    fn guarded_loop(&self, then_seq: SeqId, else_seq: SeqId) -> Option<(bool, SeqId)> {
        let (arm, negate) = if self.is_empty(else_seq) {
            (then_seq, false)
        } else if self.is_empty(then_seq) {
            (else_seq, true)
        } else {
            return None;
        };
        match self.flat_nodes(arm).as_slice() {
            [Node::Op(Inst::Push(1)), Node::While { body }] => Some((negate, *body)),
            _ => None,
        }
    }

    /// If both arms push one constant each, the branchless select that replaces the `if`.
    fn constant_select(&self, then_seq: SeqId, else_seq: SeqId) -> Option<Vec<Inst>> {
        let arm = |seq| {
            let ops = peephole::optimize(self.straight_line(seq)?);
            match ops.as_slice() {
                [op] => op.push_value(),
                _ => None,
            }
        };
        Some(peephole::select_constants(arm(then_seq)?, arm(else_seq)?))
    }
}

/// A straight-line run being collected: instructions and the operator site of each.
#[derive(Default)]
struct Run {
    insts: Vec<Inst>,
    sites: Vec<Option<u64>>,
}

impl Run {
    fn push(&mut self, inst: Inst, site: Option<u64>) {
        self.insts.push(inst);
        self.sites.push(site);
    }

    /// Optimizes the run into `out` and starts a new one.
    fn flush(&mut self, out: &mut Vec<Block>) {
        if self.insts.is_empty() {
            return;
        }
        let before = std::mem::take(&mut self.insts);
        let sites = std::mem::take(&mut self.sites);
        let after = peephole::optimize(before.clone());
        let placed = trap_sites::attribute(&before, &sites, &after);
        out.extend(
            after
                .into_iter()
                .zip(placed)
                .map(|(inst, site)| Block::Inst(inst, site)),
        );
    }
}
