//! Words read ahead in unrolled passes (see `prepare/versioned_loops/word_loads.rs`): one
//! `mem_loadw_le` where the first of four copies starts, and each copy's load takes its
//! element from the stack.

use super::*;
use crate::prepare::versioned_loops::WordAddress;

impl<'m, 'a> FuncTranslator<'m, 'a> {
    /// Reads the words due before operator `at`. A pass's first word of a load translates the
    /// address expression here (it is pure and reads locals that keep their values through
    /// the pass) and may keep the element address for the later words, which step it. The
    /// four elements stay on the stack, tagged with the loads they serve, until those loads.
    pub(super) fn read_ahead(
        &mut self,
        ops: &[Operator<'_>],
        offsets: &[u64],
        at: usize,
    ) -> TResult<()> {
        let preloads = self.facts.preloads(at).to_vec();
        for preload in preloads {
            match preload.address {
                WordAddress::Expr { expr, offset, keep } => {
                    let (start, end) = expr;
                    for (j, offset) in offsets.iter().enumerate().take(end + 1).skip(start) {
                        self.offset = *offset;
                        self.at = j;
                        self.step(ops, j)?;
                    }
                    self.offset = offsets[at];
                    self.at = at;
                    self.pop();
                    // [ea]: the word's first byte, which versioning proved in bounds and
                    // aligned; its element address stays below when later words step it.
                    if offset > 0 {
                        self.emit(Inst::Imm(Op::Add, offset));
                    }
                    self.emit("div.4");
                    if let Some(tag) = keep {
                        self.emit("dup");
                        self.push(CoreType::I32, false);
                        self.operands.last_mut().expect("just pushed").word_address = Some(tag);
                    }
                }
                WordAddress::Kept { tag, delta, last } => {
                    // Without the first word's address (never the case for a pass translated
                    // from its start) the loads load for themselves.
                    let Some(index) = self
                        .operands
                        .iter()
                        .rposition(|o| o.word_address == Some(tag))
                    else {
                        continue;
                    };
                    let above = self.reach(Self::felts_of_operands(&self.operands[index + 1..]))?;
                    if last {
                        for op in Inst::movup(above) {
                            self.emit(op);
                        }
                        self.operands.remove(index);
                    } else {
                        self.emit(Inst::dup(above));
                    }
                    // Every word of the pass is in bounds: the sum is an element address.
                    if delta > 0 {
                        self.emit(Inst::Imm(Op::Add, delta.unsigned_abs()));
                    } else if delta < 0 {
                        self.emit(Inst::Imm(Op::Sub, delta.unsigned_abs()));
                    }
                }
            }
            self.emit_all(&["padw", "movup.4", "mem_loadw_le"]);
            // Element 0 (the lowest address) is on top.
            for load in preload.loads.iter().rev() {
                self.push(CoreType::I32, false);
                self.operands.last_mut().expect("just pushed").preloaded_for = Some(*load);
            }
            self.just_pushed = None;
        }
        Ok(())
    }

    /// The value of the load at operator `load`, read ahead: moved to the top. False (and
    /// nothing done) when no word read ahead holds it: the load is then translated as usual.
    pub(super) fn take_preloaded(&mut self, load: usize) -> TResult<bool> {
        let Some(index) = self
            .operands
            .iter()
            .rposition(|o| o.preloaded_for == Some(load))
        else {
            return Ok(false);
        };
        let above = Self::felts_of_operands(&self.operands[index + 1..]);
        let above = self.reach(above)?;
        for op in Inst::movup(above) {
            self.emit(op);
        }
        let mut value = self.operands.remove(index);
        value.preloaded_for = None;
        self.operands.push(value);
        self.just_pushed = None;
        Ok(true)
    }
}
