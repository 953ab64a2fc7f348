//! Words read ahead in unrolled passes (see `prepare/versioned_loops/word_loads.rs`): one
//! `mem_loadw_le` where the first of four copies starts, and each copy's load takes its
//! element from the stack.

use super::*;

impl<'m, 'a> FuncTranslator<'m, 'a> {
    /// Reads the words due before operator `at`: each address expression is translated here
    /// (it is pure and reads locals that keep their values through the pass), and the four
    /// elements stay on the stack, tagged with the loads they serve, until those loads.
    pub(super) fn read_ahead(
        &mut self,
        ops: &[Operator<'_>],
        offsets: &[u64],
        at: usize,
    ) -> TResult<()> {
        let preloads = self.facts.preloads(at).to_vec();
        for preload in preloads {
            let (start, end) = preload.expr;
            for (j, offset) in offsets.iter().enumerate().take(end + 1).skip(start) {
                self.offset = *offset;
                self.at = j;
                self.step(ops, j)?;
            }
            self.offset = offsets[at];
            self.at = at;
            self.pop();
            // [ea]: the word's first element, which versioning proved in bounds and aligned.
            if preload.offset > 0 {
                self.emit(Inst::Imm(Op::Add, preload.offset));
            }
            self.emit_all(&["div.4", "padw", "movup.4", "mem_loadw_le"]);
            // Element 0 (the lowest address) is on top.
            for load in preload.loads.iter().rev() {
                self.push(CoreType::I32, false);
                self.operands.last_mut().expect("just pushed").preloaded_for = Some(*load);
            }
            self.just_pushed = None;
        }
        Ok(())
    }

    /// The value of the load at operator `load`, read ahead: moved to the top.
    pub(super) fn take_preloaded(&mut self, load: usize) -> TResult<()> {
        let index = self
            .operands
            .iter()
            .rposition(|o| o.preloaded_for == Some(load))
            .expect("a word read ahead holds every load it serves");
        let above = Self::felts_of_operands(&self.operands[index + 1..]);
        let above = self.reach(above)?;
        for op in Inst::movup(above) {
            self.emit(op);
        }
        let mut value = self.operands.remove(index);
        value.preloaded_for = None;
        self.operands.push(value);
        self.just_pushed = None;
        Ok(())
    }
}
