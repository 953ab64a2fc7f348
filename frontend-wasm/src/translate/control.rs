//! Structured control flow: blocks, loops and `if`s as MASM `if.true`/`while.true`, and branches
//! as landing arms or break flags (see the module doc of [`super`]).

use super::*;

impl<'m, 'a> FuncTranslator<'m, 'a> {
    pub(super) fn block_types(&self, ty: BlockType) -> TResult<(Vec<CoreType>, Vec<CoreType>)> {
        let convert = |tys: &[ValType]| -> TResult<Vec<CoreType>> {
            tys.iter()
                .map(|t| self.module.core_type(*t).map_err(|w| self.unsupported(w)))
                .collect()
        };
        match ty {
            BlockType::Empty => Ok((Vec::new(), Vec::new())),
            BlockType::Type(t) => Ok((Vec::new(), convert(&[t])?)),
            BlockType::FuncType(idx) => {
                let ft = &self.module.types[idx as usize];
                Ok((convert(ft.params())?, convert(ft.results())?))
            }
        }
    }

    pub(super) fn push_frame(
        &mut self,
        kind: FrameKind,
        ty: BlockType,
        body: SeqId,
    ) -> TResult<()> {
        let outer = self.cur;
        let (params, results) = self.block_types(ty)?;
        let base = self.operands.len() - params.len();
        self.frames.push(Frame {
            kind,
            params,
            results,
            base,
            body,
            else_seq: None,
            outer,
            landings: Vec::new(),
            max_flag: 0,
            in_else: false,
            opener: Some(self.at),
            label_consts: None,
        });
        Ok(())
    }

    pub(super) fn begin_block(&mut self, kind: FrameKind, ty: BlockType) -> TResult<()> {
        let body = self.tree.new_seq();
        if kind == FrameKind::Block {
            self.tree.push(self.cur, Node::Inline(body));
        }
        // A loop's node is appended at its end, once we know whether it ever repeats.
        self.push_frame(kind, ty, body)?;
        if kind == FrameKind::Loop {
            // A branch back to the loop brings other values as its parameters: what is known of
            // the entry values (a comparison's 0 or 1, a range) need not hold for them.
            let base = self.frames.last().expect("just pushed").base;
            for param in &mut self.operands[base..] {
                param.is_bool = false;
                param.range = None;
            }
        }
        self.cur = body;
        Ok(())
    }

    pub(super) fn begin_if(&mut self, ty: BlockType) -> TResult<()> {
        self.condition_to_bool();
        let (then_seq, else_seq) = self.push_if();
        self.push_frame(FrameKind::If, ty, then_seq)?;
        self.frames.last_mut().unwrap().else_seq = Some(else_seq);
        self.cur = then_seq;
        Ok(())
    }

    /// Pops an i32 condition and makes sure a 0/1 value is on top for `if.true`.
    pub(super) fn condition_to_bool(&mut self) {
        let cond = self.pop();
        if !cond.is_bool {
            self.emit("neq.0");
        }
    }

    /// Branch to relative label `depth` from the current point (the shape is then dead here).
    pub(super) fn branch(&mut self, depth: u32) -> TResult<()> {
        let depth = depth as usize;
        let target = self.frames.len() - 1 - depth;
        let mut consts = self.frames[target].label_consts.take();
        meet_constants(&mut consts, &self.known_consts);
        self.frames[target].label_consts = consts;
        let target = &self.frames[self.frames.len() - 1 - depth];
        let keep = Self::felts_of(target.label_types());
        let keep_count = target.label_types().len();
        let base = target.base;
        let drop: usize = self.operands[base..self.operands.len() - keep_count]
            .iter()
            .map(|o| o.ty.felts())
            .sum();
        self.drop_below(keep, drop)?;
        let innermost = self.frames.last_mut().unwrap();
        let flag = depth + innermost.flag_offset();
        if flag == 0 {
            innermost.landings.push(self.cur);
        } else {
            innermost.max_flag = innermost.max_flag.max(flag);
            self.tree.op(self.cur, Inst::Push(flag as u64));
        }
        Ok(())
    }

    /// Appends `if.true <then> else <else> end` to the current sequence; returns both arms.
    pub(super) fn push_if(&mut self) -> (SeqId, SeqId) {
        let then_seq = self.tree.new_seq();
        let else_seq = self.tree.new_seq();
        self.tree.push(self.cur, Node::If { then_seq, else_seq });
        (then_seq, else_seq)
    }

    pub(super) fn br_if(&mut self, depth: u32) -> TResult<()> {
        self.condition_to_bool();
        let (taken, not_taken) = self.push_if();
        self.cur = taken;
        self.branch(depth)?;
        self.cur = not_taken;
        Ok(())
    }

    /// `br_table`: a chain of tests of the index, one arm per distinct target.
    pub(super) fn br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> TResult<()> {
        self.pop();
        let default = targets.default();
        let mut by_target: Vec<(u32, Vec<u32>)> = Vec::new();
        for (i, target) in targets.targets().enumerate() {
            let target = target.map_err(WasmError::from)?;
            if target == default {
                continue;
            }
            match by_target.iter_mut().find(|(t, _)| *t == target) {
                Some((_, indices)) => indices.push(i as u32),
                None => by_target.push((target, vec![i as u32])),
            }
        }
        // The index stays on top while testing; each arm drops it before branching.
        for (target, indices) in by_target {
            for (k, i) in indices.iter().enumerate() {
                self.emit(if k == 0 { "dup" } else { "dup.1" });
                self.emit(Inst::Imm(Op::Eq, u64::from(*i)));
                if k > 0 {
                    self.emit("or");
                }
            }
            let (taken, rest) = self.push_if();
            self.cur = taken;
            self.emit("drop");
            self.branch(target)?;
            self.cur = rest;
        }
        self.emit("drop");
        self.branch(default)
    }

    pub(super) fn mark_dead(&mut self) {
        self.dead = true;
        self.dead_depth = 0;
    }

    /// After a nested construct ended with a flag (at most `max_flag`, relative to the current
    /// frame), guard the rest of the current frame's code.
    pub(super) fn guard_after_flagged(&mut self, max_flag: usize) {
        let frame = self.frames.last_mut().unwrap();
        let rest = self.tree.new_seq();
        let skip = self.tree.new_seq();
        if max_flag == 1 {
            // Flag 1 targets the current frame: a block lands, a loop continues.
            if frame.kind == FrameKind::Loop {
                self.tree.op(skip, "push.1");
                frame.max_flag = frame.max_flag.max(1);
            } else {
                frame.landings.push(skip);
            }
            self.tree.push(
                self.cur,
                Node::If {
                    then_seq: skip,
                    else_seq: rest,
                },
            );
        } else {
            self.tree.op(self.cur, "dup");
            self.tree.op(self.cur, "eq.0");
            self.tree.push(
                self.cur,
                Node::If {
                    then_seq: rest,
                    else_seq: skip,
                },
            );
            self.tree.op(rest, "drop");
            if frame.kind == FrameKind::Loop {
                frame.max_flag = frame.max_flag.max(max_flag);
            } else {
                self.tree.op(skip, "sub.1");
                frame.max_flag = frame.max_flag.max(max_flag - 1);
            }
        }
        self.cur = rest;
    }

    pub(super) fn end_frame(&mut self) -> TResult<()> {
        let reachable = !self.dead;
        self.dead = false;
        let mut frame = self
            .frames
            .pop()
            .expect("validated Wasm has balanced frames");
        if reachable {
            frame.landings.push(self.cur);
        }
        if frame.kind == FrameKind::If && !frame.in_else {
            // The implicit else passes the params through as results.
            frame.landings.push(frame.else_seq.unwrap());
        }
        if frame.max_flag > 0 && frame.kind != FrameKind::Loop {
            for seq in &frame.landings {
                self.tree.op(*seq, "push.0");
            }
        }
        self.operands.truncate(frame.base);
        for ty in &frame.results {
            self.push(*ty, false);
        }
        self.cur = frame.outer;
        let exit_flag = match frame.kind {
            FrameKind::Function => {
                debug_assert_eq!(frame.max_flag, 0, "no branch leaves a function");
                return self.epilogue();
            }
            FrameKind::Block | FrameKind::If => frame.max_flag,
            FrameKind::Loop => {
                if self
                    .counted
                    .is_some_and(|c| c.depth == self.frames.len() + 1)
                {
                    self.emit_check_before_loop(frame.outer);
                }
                self.end_loop(&frame)
            }
        };
        if exit_flag > 0 {
            self.guard_after_flagged(exit_flag);
        }
        Ok(())
    }

    /// Closes a loop: a body that never continues runs once, inline; otherwise it becomes a
    /// `while.true` whose condition is "flag 1 reached the end". Returns the exit flag bound.
    pub(super) fn end_loop(&mut self, frame: &Frame) -> usize {
        let outer = frame.outer;
        if frame.max_flag == 0 {
            self.tree.push(outer, Node::Inline(frame.body));
            return 0;
        }
        for seq in &frame.landings {
            self.tree.op(*seq, "push.0");
        }
        if frame.max_flag >= 2 {
            // The flag f stays on the stack across iterations: `dup eq.1` is the condition
            // (1: continue), each iteration drops the previous flag first, and on exit f - 1
            // (or 0 for a fall-through) is the flag outside the loop. Per iteration this costs
            // 4 cycles instead of an `if` (~13).
            let body = self.tree.new_seq();
            self.tree.op(body, "drop");
            self.tree.push(body, Node::Inline(frame.body));
            self.tree.op(body, "dup");
            self.tree.op(body, "eq.1");
            self.tree.op(outer, "push.0");
            self.tree.op(outer, "push.1");
            self.tree.push(outer, Node::While { body });
            for op in ["dup", "neq.0", "sub"] {
                self.tree.op(outer, op);
            }
            return frame.max_flag - 1;
        }
        self.tree.op(outer, "push.1");
        self.tree.push(outer, Node::While { body: frame.body });
        0
    }

    pub(super) fn begin_else(&mut self) {
        let reachable = !self.dead;
        self.dead = false;
        let frame = self.frames.last_mut().unwrap();
        if reachable {
            frame.landings.push(self.cur);
        }
        frame.in_else = true;
        self.cur = frame.else_seq.unwrap();
        self.operands.truncate(frame.base);
        let params = frame.params.clone();
        for ty in params {
            self.push(ty, false);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Operators
    // ---------------------------------------------------------------------------------------
}
