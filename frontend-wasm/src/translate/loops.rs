//! Operator patterns translated as a whole: locals carried on the operand stack
//! ([`crate::analysis::stack_carried`]) and loops run speculatively ([`crate::analysis::speculated_loop`]).

use super::*;

impl<'m, 'a> FuncTranslator<'m, 'a> {
    /// Translates `ops[at]` when it writes a value carried on the stack to its only read, or
    /// is that read (see [`crate::analysis::stack_carried`]); false when it is neither.
    pub(super) fn translate_carried(&mut self, ops: &[Operator<'_>], at: usize) -> TResult<bool> {
        if self.dead {
            return Ok(false);
        }
        match ops[at] {
            Operator::LocalGet { .. } => {
                let Some(index) = self.operands.iter().rposition(|o| o.carried_to == Some(at))
                else {
                    return Ok(false);
                };
                let above = Self::felts_of_operands(&self.operands[index + 1..]);
                match above {
                    0 => {}
                    1 => self.emit("swap"),
                    n => {
                        let n = self.reach(n)?;
                        self.emit(Inst::MovUp(n as u8));
                    }
                }
                let mut value = self.operands.remove(index);
                value.carried_to = None;
                self.operands.push(value);
                Ok(true)
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                let idx = local_index as usize;
                let counted = self.counted.is_some_and(|c| c.local == local_index);
                if self.locals[idx].ty != CoreType::I32 || counted {
                    return Ok(false);
                }
                let liveness = self.facts.liveness(ops, self.locals.len());
                let Some(carry) =
                    stack_carried::carry(&ops[at..], |offset| liveness.is_last_read(at + offset))
                else {
                    return Ok(false);
                };
                // What the code in between reaches must stay addressable (i64 values count two
                // felts), and so must the carried value: for a value that sinks, the slots that
                // code uses; otherwise every slot (carrying a value makes the frame one deeper,
                // which a function with many locals pays for in its other accesses).
                let slot_depth = if carry.sink > 0 {
                    self.deepest_slot(&ops[at + 1..at + carry.read])
                } else {
                    self.stack_local_felts
                };
                let deepest = slot_depth + self.operand_felts() + 2 * carry.max_above;
                if deepest > MAX_REACH {
                    return Ok(false);
                }
                // The operands the code in between consumes from under the value: plain Wasm
                // operands, which the carried value goes beneath.
                let n = self.operands.len();
                let under = n.checked_sub(1 + carry.sink).filter(|start| {
                    self.operands[*start..n - 1].iter().all(|o| {
                        o.carried_to.is_none()
                            && o.preloaded_for.is_none()
                            && o.word_address.is_none()
                            && !o.spare
                    })
                });
                let Some(under) = under else {
                    return Ok(false);
                };
                let beneath = Self::felts_of_operands(&self.operands[under..n - 1]);
                if beneath + 1 > 8 {
                    return Ok(false);
                }
                let tee = matches!(ops[at], Operator::LocalTee { .. });
                let mut value = *self.operands.last().expect("validated Wasm");
                if tee {
                    // One copy is the tee's result, on top; the other is carried.
                    self.emit("dup");
                } else {
                    self.operands.pop();
                }
                let moved = if beneath > 0 {
                    beneath + usize::from(tee)
                } else {
                    0
                };
                for op in Inst::movdn(moved) {
                    self.emit(op);
                }
                value.carried_to = Some(at + carry.read);
                self.operands.insert(under, value);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// How deep below the operands the deepest stack slot that `ops` reads or writes reaches
    /// (its high limb for an i64; 0 when they use none).
    fn deepest_slot(&self, ops: &[Operator<'_>]) -> usize {
        ops.iter()
            .filter_map(|op| match op {
                Operator::LocalGet { local_index }
                | Operator::LocalSet { local_index }
                | Operator::LocalTee { local_index } => {
                    match self.locals[*local_index as usize].home {
                        LocalHome::Stack { pos } => Some(self.stack_local_felts - pos + 1),
                        _ => None,
                    }
                }
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The speculated-loop shape of the `loop` at `ops[at]`, when running its second part
    /// speculatively is invisible: that part writes only locals dead where the first exit
    /// lands, and no branch carries values.
    pub(super) fn speculable_loop(
        &mut self,
        ops: &[Operator<'_>],
        at: usize,
    ) -> Option<speculated_loop::LoopShape> {
        let Operator::Loop {
            blockty: BlockType::Empty,
        } = ops[at]
        else {
            return None;
        };
        if self.dead || self.counted.is_some() || !self.speculate {
            return None;
        }
        let shape = speculated_loop::shape(&ops[at + 1..])?;
        // Depths from inside the loop; the loop itself is not a frame yet.
        let target = |depth: u32| self.frames.len().checked_sub(depth as usize);
        let first = &self.frames[target(shape.first_exit)?];
        let mut targets = vec![first];
        if let Tail::Exit(d) = shape.tail {
            targets.push(&self.frames[target(d)?]);
        }
        if targets.iter().any(|f| !f.label_types().is_empty()) {
            return None;
        }
        let opener = first.opener;
        let liveness = self.facts.liveness(ops, self.locals.len());
        let live = liveness.at_label(opener)?;
        let dead = |l: &u32| !live.get(*l as usize).copied().unwrap_or(false);
        shape.b_writes.iter().all(dead).then_some(shape)
    }

    /// Translates a speculated loop (see [`crate::analysis::speculated_loop`]): `push.0 push.1 while.true
    /// drop A B <combine> end`, with A's exit test kept under B's operands and left on the stack
    /// after the loop, where it selects the exit.
    pub(super) fn translate_speculated_loop(
        &mut self,
        ops: &[Operator<'_>],
        at: usize,
        offsets: &[u64],
        shape: &speculated_loop::LoopShape,
    ) -> TResult<()> {
        // The previous iteration's exit test, dropped first by each iteration.
        self.emit("push.0");
        self.push(CoreType::I32, true);
        self.emit("push.1");
        let outer = self.cur;
        let body = self.tree.new_seq();
        self.tree.push(outer, Node::While { body });
        self.cur = body;
        self.emit("drop");
        self.pop();
        let base = self.operands.len();
        let a = at + 1..at + 1 + shape.a_len;
        let b = a.end + 1..a.end + 1 + shape.b_len;
        for (tests, range) in [a, b].into_iter().enumerate() {
            for i in range {
                self.offset = offsets[i];
                self.at = i;
                self.step(ops, i)?;
            }
            // Each part must leave exactly its test above the tests before it.
            if self.operands.len() != base + tests + 1 || self.dead {
                return Err(Abort::CannotSpeculate);
            }
            let test = self.operands.last_mut().expect("checked above");
            if !test.is_bool {
                self.tree.op(body, "neq.0");
                test.is_bool = true;
            }
        }
        // [c2, c1] -> [continue, c1]
        let combine: &[&str] = match shape.tail {
            Tail::Exit(_) => &["dup.1", "or", "not"],
            Tail::Repeat => &["dup.1", "not", "and"],
        };
        self.emit_all(combine);
        self.pop();
        self.cur = outer;
        // After the loop, [c1]: c1 takes the first exit; otherwise the second exit, or the code
        // after the loop. Depths count from outside the loop now.
        // The values of the last iteration are not those of straight-line code before it (nor
        // what the exits below carry to their targets).
        self.known_consts.iter_mut().for_each(|k| *k = None);
        let first = shape.first_exit - 1;
        self.br_if(first)?;
        if let Tail::Exit(d) = shape.tail {
            self.branch(d - 1)?;
            self.mark_dead();
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Helpers for emitting and for stack arithmetic
    // ---------------------------------------------------------------------------------------
}
