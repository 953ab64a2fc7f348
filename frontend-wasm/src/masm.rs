//! A small tree of MASM code that the translator builds and later prints.
//!
//! The translator often learns only at the end of a Wasm block whether an earlier branch needs
//! an extra instruction (a break flag), so code is kept as a tree of sequences addressed by
//! [`SeqId`] that can still be appended to after they are closed. Printing happens once, at
//! the end, through [`MasmWriter`].

use std::fmt::Write;

use crate::peephole;

mod threading;

/// Index of a code sequence inside a [`CodeTree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqId(usize);

/// One element of a code sequence.
#[derive(Clone, Debug)]
pub enum Node {
    /// One MASM instruction, exactly as it is printed (e.g. `u32wrapping_add`, `dup.3`).
    Op(String),
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
}

/// An arena of code sequences.
#[derive(Clone, Default, Debug)]
pub struct CodeTree {
    seqs: Vec<Vec<Node>>,
}

impl CodeTree {
    /// Creates an empty sequence.
    pub fn new_seq(&mut self) -> SeqId {
        self.seqs.push(Vec::new());
        SeqId(self.seqs.len() - 1)
    }

    /// Appends an instruction to `seq`.
    pub fn op(&mut self, seq: SeqId, op: impl Into<String>) {
        self.seqs[seq.0].push(Node::Op(op.into()));
    }

    /// Removes the last node of `seq` when it is the instruction `op` (undoing an emission the
    /// translator finds redundant afterwards); reports whether it did.
    pub fn pop_op(&mut self, seq: SeqId, op: &str) -> bool {
        let nodes = &mut self.seqs[seq.0];
        if matches!(nodes.last(), Some(Node::Op(last)) if last == op) {
            nodes.pop();
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
        self.seqs[seq.0]
            .iter()
            .all(|n| matches!(n, Node::Inline(s) if self.is_empty(*s)))
    }

    /// Prints `seq` and everything below it at the writer's current indentation.
    pub fn print(&self, seq: SeqId, out: &mut MasmWriter) {
        let before = out.text.len();
        self.print_nodes(seq, out);
        if out.text.len() == before {
            // MASM blocks may not be empty (and rewrites may have emptied this one).
            out.line("nop");
        }
    }

    /// The plain instructions of `seq` (looking through inlined sequences), or `None` when it
    /// contains control flow.
    fn straight_line(&self, seq: SeqId) -> Option<Vec<String>> {
        let mut ops = Vec::new();
        for node in &self.seqs[seq.0] {
            match node {
                Node::Op(op) => ops.push(op.clone()),
                Node::Inline(inner) => ops.extend(self.straight_line(*inner)?),
                _ => return None,
            }
        }
        Some(ops)
    }

    /// The nodes of `seq` with inlined sequences expanded.
    fn flat_nodes(&self, seq: SeqId) -> Vec<&Node> {
        let mut nodes = Vec::new();
        for node in &self.seqs[seq.0] {
            match node {
                Node::Inline(inner) => nodes.extend(self.flat_nodes(*inner)),
                node => nodes.push(node),
            }
        }
        nodes
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
            [Node::Op(op), Node::While { body }] if op == "push.1" => Some((negate, *body)),
            _ => None,
        }
    }

    /// If both arms push one constant each, the branchless select that replaces the `if`.
    fn constant_select(&self, then_seq: SeqId, else_seq: SeqId) -> Option<Vec<String>> {
        let arm = |seq| {
            let ops = peephole::optimize(self.straight_line(seq)?);
            match ops.as_slice() {
                [op] => peephole::push_value(op),
                _ => None,
            }
        };
        Some(peephole::select_constants(arm(then_seq)?, arm(else_seq)?))
    }

    fn print_nodes(&self, seq: SeqId, out: &mut MasmWriter) {
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, out: &mut MasmWriter| {
            for op in peephole::optimize(std::mem::take(run)) {
                out.line(&op);
            }
        };
        for node in &self.seqs[seq.0] {
            if let Node::Op(op) = node {
                run.push(op.clone());
                continue;
            }
            if let Node::Inline(inner) = node {
                if let Some(ops) = self.straight_line(*inner) {
                    run.extend(ops);
                    continue;
                }
            }
            if let Node::If { then_seq, else_seq } = node {
                // An `if` costs ~10 cycles: arms that only push constants become arithmetic.
                if let Some(ops) = self.constant_select(*then_seq, *else_seq) {
                    run.extend(ops);
                    continue;
                }
                // `if c { do body while … }` is a `while` entered on c itself.
                if let Some((negate, body)) = self.guarded_loop(*then_seq, *else_seq) {
                    if negate {
                        run.push("not".into());
                    }
                    flush(&mut run, out);
                    out.open("while.true");
                    self.print(body, out);
                    out.close();
                    continue;
                }
            }
            flush(&mut run, out);
            match node {
                Node::Op(_) => unreachable!("handled above"),
                Node::Inline(inner) => self.print_nodes(*inner, out),
                Node::If { then_seq, else_seq } => {
                    if self.is_empty(*then_seq) && self.is_empty(*else_seq) {
                        // Nothing depends on the condition: just consume it.
                        out.line("drop");
                        continue;
                    }
                    if self.is_empty(*else_seq) {
                        out.open("if.true");
                        self.print(*then_seq, out);
                    } else if self.is_empty(*then_seq) {
                        out.open("if.false");
                        self.print(*else_seq, out);
                    } else {
                        out.open("if.true");
                        self.print(*then_seq, out);
                        out.dedent();
                        out.open("else");
                        self.print(*else_seq, out);
                    }
                    out.close();
                }
                Node::While { body } => {
                    out.open("while.true");
                    self.print(*body, out);
                    out.close();
                }
            }
        }
        flush(&mut run, out);
    }
}

/// An indenting text buffer for MASM source.
#[derive(Default, Debug)]
pub struct MasmWriter {
    text: String,
    indent: usize,
}

impl MasmWriter {
    /// Writes one line at the current indentation.
    pub fn line(&mut self, line: &str) {
        for _ in 0..self.indent {
            self.text.push_str("    ");
        }
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// Writes a `# text` comment line; control characters (such as newlines in a Wasm name)
    /// are escaped so the comment stays one line.
    pub fn comment(&mut self, text: &str) {
        let mut line = String::from("# ");
        for c in text.chars() {
            if c.is_control() {
                line.extend(c.escape_default());
            } else {
                line.push(c);
            }
        }
        self.line(&line);
    }

    /// Writes a formatted line.
    pub fn linef(&mut self, args: std::fmt::Arguments<'_>) {
        let mut s = String::new();
        let _ = s.write_fmt(args);
        self.line(&s);
    }

    /// Writes `header` and indents what follows.
    pub fn open(&mut self, header: &str) {
        self.line(header);
        self.indent += 1;
    }

    /// Ends an indented region with `end`.
    pub fn close(&mut self) {
        self.dedent();
        self.line("end");
    }

    /// Removes one level of indentation without writing anything.
    pub fn dedent(&mut self) {
        self.indent = self.indent.saturating_sub(1);
    }

    /// Writes a blank line.
    pub fn blank(&mut self) {
        self.text.push('\n');
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.text
    }
}

/// `text` made safe for a MASM error string (`assert.err="…"`): printable ASCII without quotes.
pub fn error_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '"' || c == '\\' {
                '\''
            } else if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}
