//! A stored digest kept as the next merge's load target. After a pass's merge has stored its
//! digest (`mem_storew_le` leaves the word on the stack), the word is dead; the next merge of
//! element addresses loads its first word with `mem_loadw_le`, which overwrites four stack
//! elements. Loading into the dead word instead of dropping it (`dropw`) and pushing zeros
//! (`padw`) saves 8 cycles a merge.
//!
//! The word rides on the operand stack as four operands marked `spare`, under the operators
//! that push the next merge's addresses. It is kept only when those operators reach the merge
//! ([`FuncTranslator::spare_reaches_merge`]), and any other operator drops it first
//! ([`FuncTranslator::settle_spare`]).

use super::*;

/// The operands left above the spare word after `op`, given `above` before it, when `op`
/// leaves the spare word in place: pushes, and adds and writes of operands above it.
fn above_after(op: &Operator<'_>, above: usize) -> Option<usize> {
    // (A `local.set` the translator carries leaves its value above the word instead: still in
    // place.)
    match op {
        Operator::Nop => Some(above),
        Operator::LocalGet { .. } | Operator::I32Const { .. } => Some(above + 1),
        Operator::I32Add if above >= 2 => Some(above - 1),
        Operator::LocalSet { .. } if above >= 1 => Some(above - 1),
        _ => None,
    }
}

impl<'m, 'a> FuncTranslator<'m, 'a> {
    /// Whether the operators from `from` on, before any other, push the three addresses of a
    /// merge of element addresses onto a stack that holds nothing above a spare word, so that
    /// the merge can load into it.
    pub(super) fn spare_reaches_merge(&self, ops: &[Operator<'_>], from: usize) -> bool {
        let mut above = 0;
        for (j, op) in ops.iter().enumerate().skip(from) {
            if !self.facts.preloads(j).is_empty() || self.facts.take(j).is_some() {
                return false;
            }
            if matches!(op, Operator::Call { .. }) {
                return above == 3 && self.takes_spare(j);
            }
            // A write may be carried on the stack instead (`translate_carried`), above the
            // spare word, where the merge would not find it right under its addresses.
            if let Operator::LocalSet { .. } = op {
                return false;
            }
            if let Operator::LocalGet { local_index } = op {
                if !self.reachable_above_spare(*local_index, above) {
                    return false;
                }
            }
            match above_after(op, above) {
                Some(next) => above = next,
                None => return false,
            }
        }
        false
    }

    /// Whether local `idx` stays within reach (in a stack slot no deeper than 16) with the
    /// spare word on top of the present operands and `above` operands over it.
    fn reachable_above_spare(&self, idx: u32, above: usize) -> bool {
        let local = self.locals[idx as usize];
        match local.home {
            LocalHome::Stack { pos } => {
                let depth = self.operand_felts() + above + self.stack_local_felts - 1 - pos;
                depth + local.ty.felts() - 1 <= MAX_REACH
            }
            LocalHome::Memory { .. } => true,
            LocalHome::Carried => false,
        }
    }

    /// Whether operator `at` is a merge of element addresses, which loads into a spare word.
    fn takes_spare(&self, at: usize) -> bool {
        self.facts.word_merge(at) && self.facts.element_addressed(at)
    }

    /// Marks the four operands on top (a stored word) spare.
    pub(super) fn keep_spare(&mut self) {
        let n = self.operands.len();
        for operand in &mut self.operands[n - 4..] {
            operand.spare = true;
        }
    }

    /// Drops the spare word before operator `ops[at]` unless that operator leaves it in place
    /// or loads into it.
    pub(super) fn settle_spare(&mut self, ops: &[Operator<'_>], at: usize) -> TResult<()> {
        let Some(last) = self.operands.iter().rposition(|o| o.spare) else {
            return Ok(());
        };
        let above = self.operands.len() - 1 - last;
        let consumed = above == 3 && self.takes_spare(at);
        if consumed || above_after(&ops[at], above).is_some() {
            return Ok(());
        }
        // Every spare word goes (one a merge did not take may lie under a newer one).
        while let Some(last) = self.operands.iter().rposition(|o| o.spare) {
            let keep = Self::felts_of_operands(&self.operands[last + 1..]);
            self.drop_below(keep, 4)?;
            self.operands.drain(last - 3..=last);
        }
        Ok(())
    }

    /// Emits the merge of three element addresses on top ([out, b, a]), leaving its digest on
    /// the stack (the operands already popped): into the spare word beneath them when there
    /// is one (which it then removes), else into zeros.
    pub(super) fn emit_element_merge(&mut self) {
        let n = self.operands.len();
        let spare = n >= 4 && self.operands[n - 4..].iter().all(|o| o.spare);
        if spare {
            self.operands.truncate(n - 4);
            // [out, b, a, S] -> [b, S, a, out]: b's word replaces S.
            self.emit_all(&["movdn.6", "swap", "movdn.5", "mem_loadw_le"]);
            self.emit_all(&["padw", "movup.8", "mem_loadw_le"]);
        } else {
            self.emit_all(&["padw", "movup.5", "mem_loadw_le", "movup.5"]);
            self.emit_all(&["padw", "movup.4", "mem_loadw_le"]);
        }
        self.emit_all(&["hmerge", "movup.4", "mem_storew_le"]);
    }
}
