//! Printing: [`Block`]s to MASM text, through an indenting writer that also records which
//! lines belong to which Wasm function or operator ([`TrapPlace`]).

use std::fmt::Write;

use std::collections::BTreeSet;

use super::{Block, Inst, Op};
use crate::trap_sites::TrapPlace;

/// Writes `blocks` at the writer's current indentation, one line per instruction.
pub fn print_blocks(blocks: &[Block], out: &mut MasmWriter) {
    for block in blocks {
        match block {
            Block::Inst(inst, site) => {
                if let Some(offset) = site {
                    out.place_operator(*offset);
                }
                out.inst(inst);
            }
            Block::If { then, otherwise } => {
                if otherwise.is_empty() {
                    out.open("if.true");
                    print_blocks(then, out);
                } else if then.is_empty() {
                    out.open("if.false");
                    print_blocks(otherwise, out);
                } else {
                    out.open("if.true");
                    print_blocks(then, out);
                    out.dedent();
                    out.open("else");
                    print_blocks(otherwise, out);
                }
                out.close();
            }
            Block::While(body) => {
                out.open("while.true");
                print_blocks(body, out);
                out.close();
            }
        }
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
    /// Line ranges and what they belong to.
    places: Vec<(usize, usize, TrapPlace)>,
    /// What the instructions written so far refer to.
    needs: Needs,
}

/// What written code refers to outside itself, collected from its instructions as they are
/// written: which runtime procedures and tables a program must include.
#[derive(Clone, Default, Debug)]
pub struct Needs {
    /// Every procedure an `exec`, `call` or `procref` names, as written.
    pub targets: BTreeSet<String>,
    /// Every element address a `mem_load` reads as its immediate.
    pub loaded_cells: BTreeSet<u64>,
}

impl Needs {
    fn record(&mut self, inst: &Inst) {
        match inst {
            Inst::Imm(Op::MemLoad, addr) => {
                self.loaded_cells.insert(*addr);
            }
            Inst::Group(insts) => insts.iter().for_each(|i| self.record(i)),
            _ => {}
        }
        for target in inst.targets() {
            self.targets.insert(target.to_string());
        }
    }

    /// Adds what `other` refers to.
    pub fn extend(&mut self, other: &Needs) {
        self.targets.extend(other.targets.iter().cloned());
        self.loaded_cells.extend(other.loaded_cells.iter().copied());
    }
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

    /// Writes one instruction, recording what it refers to ([`Needs`]).
    /// Runtime procedures are written with their module ([`crate::runtime::qualified`]).
    pub fn inst(&mut self, inst: &Inst) {
        self.indented_inst("", inst);
    }

    /// Writes `inst` after `indent` (a generator's own indentation), recording its needs.
    fn indented_inst(&mut self, indent: &str, inst: &Inst) {
        self.needs.record(inst);
        self.line(&format!("{indent}{}", crate::runtime::qualified(inst)));
    }

    /// Writes a line of a generator's code: a structured-control keyword (`if.true`, `else`,
    /// `end`, `while.true`, `repeat.n`) as it is, anything else as an instruction ([`Self::inst`]).
    /// A generator may indent a line inside its own blocks; the indentation is kept.
    pub fn code(&mut self, line: &str) {
        let text = line.trim_start();
        let control = matches!(text, "if.true" | "if.false" | "else" | "end" | "while.true")
            || text
                .strip_prefix("repeat.")
                .is_some_and(|n| n.parse::<u32>().is_ok());
        if control {
            self.line(line);
        } else {
            self.indented_inst(&line[..line.len() - text.len()], &Inst::from(text));
        }
    }

    /// What the instructions written so far refer to.
    pub fn needs(&self) -> &Needs {
        &self.needs
    }

    /// The number of lines written so far (the index of the next line).
    pub fn line_count(&self) -> usize {
        self.lines
    }

    /// Starts the body of Wasm function `func`: lines from here to [`Self::end_function`]
    /// belong to it.
    pub fn begin_function(&mut self, func: u32) {
        self.function = Some((func, self.lines));
    }

    /// Ends the body begun by [`Self::begin_function`].
    pub fn end_function(&mut self) {
        if let Some((func, first)) = self.function.take() {
            if self.lines > first {
                self.places
                    .push((first, self.lines - 1, TrapPlace::Function { func }));
            }
        }
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
