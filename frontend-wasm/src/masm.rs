//! A small tree of MASM code that the translator builds and later prints.
//!
//! The translator often learns only at the end of a Wasm block whether an earlier branch needs
//! an extra instruction (a break flag), so code is kept as a tree of sequences addressed by
//! [`SeqId`] that can still be appended to after they are closed. Printing happens once, at
//! the end, through [`MasmWriter`].

use std::fmt::Write;

use crate::{peephole, trap_sites, trap_sites::TrapPlace};

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
    pub fn op(&mut self, seq: SeqId, op: impl Into<String>) {
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
    pub fn pop_op(&mut self, seq: SeqId, op: &str) -> bool {
        let nodes = &mut self.seqs[seq.0];
        let Some(at) = nodes.iter().rposition(|n| !matches!(n, Node::Site(_))) else {
            return false;
        };
        if matches!(&nodes[at], Node::Op(last) if last == op) {
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
        // The run of straight-line instructions, each with the operator site it belongs to.
        let mut run: Vec<String> = Vec::new();
        let mut sites: Vec<Option<u64>> = Vec::new();
        let flush = |run: &mut Vec<String>, sites: &mut Vec<Option<u64>>, out: &mut MasmWriter| {
            let before = std::mem::take(run);
            // Only a function's final text records sites (not the cost model's trial prints).
            if out.function.is_none() || sites.iter().all(Option::is_none) {
                sites.clear();
                for op in peephole::optimize(before) {
                    out.line(&op);
                }
                return;
            }
            let after = peephole::optimize(before.clone());
            let placed = trap_sites::attribute(&before, sites, &after);
            sites.clear();
            for (op, site) in after.iter().zip(placed) {
                if let Some(offset) = site {
                    out.place_operator(offset);
                }
                out.line(op);
            }
        };
        for node in &self.seqs[seq.0] {
            match node {
                Node::Op(op) => {
                    run.push(op.clone());
                    sites.push(out.site);
                    continue;
                }
                Node::Site(offset) => {
                    out.site = Some(*offset);
                    continue;
                }
                _ => {}
            }
            if let Node::Inline(inner) = node {
                if let Some(nodes) = self.straight_nodes(*inner) {
                    for node in nodes {
                        match node {
                            Node::Op(op) => {
                                run.push(op.clone());
                                sites.push(out.site);
                            }
                            Node::Site(offset) => out.site = Some(*offset),
                            _ => {}
                        }
                    }
                    continue;
                }
            }
            if let Node::If { then_seq, else_seq } = node {
                // An `if` costs ~10 cycles: arms that only push constants become arithmetic.
                if let Some(ops) = self.constant_select(*then_seq, *else_seq) {
                    sites.extend(ops.iter().map(|_| out.site));
                    run.extend(ops);
                    continue;
                }
                // `if c { do body while … }` is a `while` entered on c itself.
                if let Some((negate, body)) = self.guarded_loop(*then_seq, *else_seq) {
                    if negate {
                        run.push("not".into());
                        sites.push(out.site);
                    }
                    flush(&mut run, &mut sites, out);
                    let arm = if negate { *else_seq } else { *then_seq };
                    if let Some(offset) = self.last_site(arm) {
                        out.site = Some(offset);
                    }
                    out.open("while.true");
                    self.print(body, out);
                    out.close();
                    continue;
                }
            }
            flush(&mut run, &mut sites, out);
            match node {
                Node::Op(_) | Node::Site(_) => unreachable!("handled above"),
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
        flush(&mut run, &mut sites, out);
    }
}

/// An indenting text buffer for MASM source.
///
/// It also records which of its lines belong to which Wasm function or operator
/// ([`TrapPlace`]), for naming the place of a trap.
#[derive(Default, Debug)]
pub struct MasmWriter {
    text: String,
    indent: usize,
    /// Lines written so far.
    lines: usize,
    /// The function whose body is being written, if any.
    function: Option<(u32, usize)>,
    /// The operator site that code printed now belongs to (the last marker printed).
    site: Option<u64>,
    /// Line ranges and what they belong to.
    places: Vec<(usize, usize, TrapPlace)>,
}

impl MasmWriter {
    /// Writes one line at the current indentation.
    pub fn line(&mut self, line: &str) {
        for _ in 0..self.indent {
            self.text.push_str("    ");
        }
        self.text.push_str(line);
        self.text.push('\n');
        self.lines += 1 + line.matches('\n').count();
    }

    /// The number of lines written so far (the index of the next line).
    pub fn line_count(&self) -> usize {
        self.lines
    }

    /// Starts the body of Wasm function `func`: lines from here to [`Self::end_function`]
    /// belong to it.
    pub fn begin_function(&mut self, func: u32) {
        self.function = Some((func, self.lines));
        self.site = None;
    }

    /// Ends the body begun by [`Self::begin_function`].
    pub fn end_function(&mut self) {
        if let Some((func, first)) = self.function.take() {
            if self.lines > first {
                self.places
                    .push((first, self.lines - 1, TrapPlace::Function { func }));
            }
        }
        self.site = None;
    }

    /// Records that the next line is the code of the operator at byte `offset` of the current
    /// function (outside a function, nothing is recorded).
    fn place_operator(&mut self, offset: u64) {
        if let Some((func, _)) = self.function {
            let line = self.lines;
            self.places
                .push((line, line, TrapPlace::Operator { func, offset }));
        }
    }

    /// Records that lines `first ..` up to the last one written belong to `place`.
    pub fn place_lines_since(&mut self, first: usize, place: TrapPlace) {
        if self.lines > first {
            self.places.push((first, self.lines - 1, place));
        }
    }

    /// The text and the places of its lines.
    pub fn finish_placed(self) -> (String, Vec<(usize, usize, TrapPlace)>) {
        (self.text, self.places)
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
        self.lines += 1;
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
