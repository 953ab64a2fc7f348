//! The frame: the operand stack model, locals (on the stack or in procedure locals), what is
//! known about them (constants), and the prologue and epilogue.

use super::*;

impl<'m, 'a> FuncTranslator<'m, 'a> {
    pub(super) fn operand_felts(&self) -> usize {
        self.operands.iter().map(|o| o.ty.felts()).sum()
    }

    /// Whether the two operands on top are both known to be 0 or 1.
    pub(super) fn top_two_are_bool(&self) -> bool {
        let n = self.operands.len();
        n >= 2 && self.operands[n - 2..].iter().all(|o| o.is_bool)
    }

    pub(super) fn felts_of_operands(operands: &[Operand]) -> usize {
        operands.iter().map(|o| o.ty.felts()).sum()
    }

    pub(super) fn felts_of(types: &[CoreType]) -> usize {
        types.iter().map(|t| t.felts()).sum()
    }

    /// Checks that stack position `n` is addressable.
    pub(super) fn reach(&self, n: usize) -> TResult<usize> {
        if n > MAX_REACH {
            Err(Abort::NeedsMemoryLocals)
        } else {
            Ok(n)
        }
    }

    pub(super) fn pop(&mut self) -> Operand {
        self.operands
            .pop()
            .expect("validated Wasm never pops an empty operand stack")
    }

    pub(super) fn push(&mut self, ty: CoreType, is_bool: bool) {
        self.operands.push(Operand {
            ty,
            is_bool,
            range: None,
            carried_to: None,
            preloaded_for: None,
            word_address: None,
            spare: false,
        });
    }

    /// Drops `count` felts lying directly beneath the top `keep` felts.
    pub(super) fn drop_below(&mut self, keep: usize, count: usize) -> TResult<()> {
        let ops = stack_ops::drop_below(keep, count).ok_or(Abort::NeedsMemoryLocals)?;
        for op in ops {
            self.emit(op);
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Prologue, epilogue and locals
    // ---------------------------------------------------------------------------------------

    pub(super) fn prologue(&mut self, ops: &[Operator<'_>]) -> TResult<()> {
        if self.pops_params {
            // The last parameter is on top, its low limb first.
            for local in self.locals[..self.params_count].to_vec().iter().rev() {
                self.store_memory_local(*local);
            }
            self.zero_declared_locals(ops);
        } else if self.memory_local_felts > 0 {
            // Copy params into procedure locals. The originals stay on the stack until the
            // epilogue, so the stack never shrinks below the caller's view of it (a `call`ed
            // export must return with depth exactly 16, and the VM never goes below 16).
            let mut depth = 0;
            for local in self.locals[..self.params_count].to_vec().iter().rev() {
                if let LocalHome::Memory { index } = local.home {
                    for limb in 0..local.ty.felts() {
                        let n = self.reach(depth + limb)?;
                        self.emit(Inst::Dup(n as u8));
                        self.emit(Inst::Imm(Op::LocStore, (index + limb) as u64));
                    }
                }
                depth += local.ty.felts();
            }
            self.zero_declared_locals(ops);
        }
        self.fill_slots()
    }

    /// Pushes the stack slots above the parameters' originals, lowest first: zeros for declared
    /// locals, and for a split frame's parameters a copy of the original.
    fn fill_slots(&mut self) -> TResult<()> {
        let bottom = self.stack_params_felts();
        let mut slots: Vec<(usize, usize)> = (0..self.locals.len())
            .filter_map(|i| match self.locals[i].home {
                LocalHome::Stack { pos } if pos >= bottom => Some((pos, i)),
                _ => None,
            })
            .collect();
        slots.sort_unstable();
        // The felts pushed so far above the originals, and the zeros not yet pushed.
        let (mut height, mut zeros) = (bottom, 0);
        for (_, i) in slots {
            let felts = self.locals[i].ty.felts();
            if i >= self.params_count {
                zeros += felts;
                continue;
            }
            height += zeros;
            self.push_zeros(std::mem::take(&mut zeros));
            // The original's felts, lowest first, from the bottom of the frame.
            let original: usize = self.locals[..i].iter().map(|l| l.ty.felts()).sum();
            for felt in 0..felts {
                let n = self.reach(height - 1 - (original + felt))?;
                self.emit(Inst::Dup(n as u8));
                height += 1;
            }
        }
        self.push_zeros(zeros);
        Ok(())
    }

    /// The felts of the frame's bottom that hold parameters: all of them, unless they were
    /// popped into procedure locals.
    fn stack_params_felts(&self) -> usize {
        if self.pops_params {
            0
        } else {
            self.params_felts
        }
    }

    /// Pushes `count` zeros, a word at a time where it can.
    fn push_zeros(&mut self, count: usize) {
        for _ in 0..count / 4 {
            self.emit("padw");
        }
        for _ in 0..count % 4 {
            self.emit("push.0");
        }
    }

    /// Zeroes the declared (non-parameter) locals that some path reads before writing:
    /// procedure locals are not cleared between calls.
    pub(super) fn zero_declared_locals(&mut self, ops: &[Operator<'_>]) {
        let live = self
            .facts
            .liveness(ops, self.locals.len())
            .at_entry()
            .to_vec();
        for (i, local) in self
            .locals
            .clone()
            .iter()
            .enumerate()
            .skip(self.params_count)
        {
            if !live.get(i).copied().unwrap_or(true) {
                continue;
            }
            if let LocalHome::Memory { index } = local.home {
                for limb in 0..local.ty.felts() {
                    self.emit("push.0");
                    self.emit(Inst::Imm(Op::LocStore, (index + limb) as u64));
                }
            }
        }
    }

    pub(super) fn store_memory_local(&mut self, local: Local) {
        if let LocalHome::Memory { index } = local.home {
            for limb in 0..local.ty.felts() {
                self.emit(Inst::Imm(Op::LocStore, (index + limb) as u64));
            }
        }
    }

    pub(super) fn local_get(&mut self, idx: u32) -> TResult<()> {
        let local = self.locals[idx as usize];
        self.slot_used[idx as usize] = true;
        match local.home {
            LocalHome::Stack { pos } => {
                // Depth of the local's highest felt (its high limb for i64) from the top.
                let depth = self.operand_felts() + self.stack_local_felts - 1 - pos;
                let n = self.reach(depth + local.ty.felts() - 1)?;
                for _ in 0..local.ty.felts() {
                    self.emit(Inst::Dup(n as u8));
                }
            }
            LocalHome::Memory { index } => {
                for limb in (0..local.ty.felts()).rev() {
                    self.emit(Inst::Imm(Op::LocLoad, (index + limb) as u64));
                }
            }
            LocalHome::Carried => return Err(Abort::NeedsSlot),
        }
        self.push(local.ty, false);
        let range = match self.counted.filter(|c| c.local == idx) {
            Some(counted) => Some(ValueRange {
                lo: counted.range.0,
                hi: counted.range.1,
                exact: true,
            }),
            None => self
                .facts
                .alignment
                .local_range(self.at)
                .map(|(lo, hi)| ValueRange {
                    lo: u64::from(lo),
                    hi: u64::from(hi),
                    exact: false,
                }),
        };
        self.operands.last_mut().unwrap().range = range;
        Ok(())
    }

    /// Before `op`: a loop header, `else` or block end may be reached with other values in the
    /// locals, so every known constant is forgotten.
    ///
    /// Except at the end of a `block`: there the constants every branch to it and the fall
    /// through (when reachable) agree on are still known.
    pub(super) fn forget_constants_at_joins(&mut self, op: &Operator<'_>) {
        let closes_block = matches!(op, Operator::End)
            && !(self.dead && self.dead_depth > 0)
            && self
                .frames
                .last()
                .is_some_and(|f| f.kind == FrameKind::Block);
        if closes_block {
            let frame = self.frames.last().expect("checked above");
            let mut joined = frame.label_consts.clone();
            if !self.dead {
                meet_constants(&mut joined, &self.known_consts);
            }
            let locals = self.known_consts.len();
            self.known_consts = joined.unwrap_or_else(|| vec![None; locals]);
        } else if matches!(op, Operator::Loop { .. } | Operator::Else | Operator::End) {
            self.known_consts.iter_mut().for_each(|k| *k = None);
        }
    }

    /// After `op`: a write to an `i32` local records the constant written, or forgets it.
    pub(super) fn record_written_constant(&mut self, op: &Operator<'_>) {
        if let Operator::LocalSet { local_index } | Operator::LocalTee { local_index } = op {
            let idx = *local_index as usize;
            if self.locals[idx].ty == CoreType::I32 {
                self.known_consts[idx] = self.just_pushed;
            }
        }
    }

    pub(super) fn local_set(&mut self, idx: u32) -> TResult<()> {
        let local = self.locals[idx as usize];
        self.slot_used[idx as usize] = true;
        // Writing the constant the local already holds: drop the `push` instead.
        if let (Some(c), LocalHome::Stack { .. }) = (self.just_pushed, local.home) {
            if self.known_consts[idx as usize] == Some(c)
                && self.tree.pop_op(self.cur, Inst::Push(c))
            {
                self.pop();
                return Ok(());
            }
        }
        match local.home {
            LocalHome::Stack { pos } => {
                // The value is still on top: depth of the local's low felt counts it.
                let depth = self.operand_felts() + self.stack_local_felts - 1 - pos;
                let n = self.reach(depth)?;
                for _ in 0..local.ty.felts() {
                    if n == 1 {
                        self.emit("swap");
                    } else {
                        self.emit(Inst::Swap(n as u8));
                    }
                    self.emit("drop");
                }
            }
            LocalHome::Memory { .. } => self.store_memory_local(local),
            LocalHome::Carried => return Err(Abort::NeedsSlot),
        }
        self.pop();
        Ok(())
    }

    pub(super) fn local_tee(&mut self, idx: u32) -> TResult<()> {
        let ty = self.locals[idx as usize].ty;
        let n = self.reach(ty.felts() - 1)?;
        for _ in 0..ty.felts() {
            self.emit(Inst::Dup(n as u8));
        }
        self.push(ty, false);
        self.local_set(idx)?;
        Ok(())
    }

    /// Leaves only the results on the stack at the end of the function.
    pub(super) fn epilogue(&mut self) -> TResult<()> {
        let keep = self.operand_felts();
        self.drop_below(keep, self.stack_local_felts)
    }

    // ---------------------------------------------------------------------------------------
    // Control flow
    // ---------------------------------------------------------------------------------------
}
