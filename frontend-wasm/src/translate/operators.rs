//! Operator dispatch: each Wasm operator to the translator method or numeric lowering
//! ([`super::numeric`]) that handles it.

use super::*;

impl<'m, 'a> FuncTranslator<'m, 'a> {
    pub(super) fn translate_operator(&mut self, op: &Operator<'_>) -> TResult<()> {
        if self.dead {
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    self.dead_depth += 1
                }
                Operator::Else if self.dead_depth == 0 => self.begin_else(),
                Operator::End if self.dead_depth == 0 => self.end_frame()?,
                Operator::End => self.dead_depth -= 1,
                _ => {}
            }
            return Ok(());
        }
        match op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.emit("push.0");
                self.emit("assert.err=\"unreachable\"");
                self.mark_dead();
            }
            Operator::Block { blockty } => self.begin_block(FrameKind::Block, *blockty)?,
            Operator::Loop { blockty } => self.begin_block(FrameKind::Loop, *blockty)?,
            Operator::If { blockty } => self.begin_if(*blockty)?,
            Operator::Else => self.begin_else(),
            Operator::End => self.end_frame()?,
            Operator::Br { relative_depth } => {
                self.branch(*relative_depth)?;
                self.mark_dead();
            }
            Operator::BrIf { relative_depth } => self.br_if(*relative_depth)?,
            Operator::Return => {
                self.branch(self.frames.len() as u32 - 1)?;
                self.mark_dead();
            }
            Operator::LocalGet { local_index } => self.local_get(*local_index)?,
            Operator::LocalSet { local_index } => self.local_set(*local_index)?,
            Operator::LocalTee { local_index } => self.local_tee(*local_index)?,
            Operator::Drop => {
                let v = self.pop();
                for _ in 0..v.ty.felts() {
                    self.emit("drop");
                }
            }
            Operator::Select | Operator::TypedSelect { .. } => self.select()?,
            Operator::Call { function_index } => self.call(*function_index)?,
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(*type_index, *table_index)?,
            Operator::TableSize { table } => {
                let size = self.table(*table)?.size;
                self.emit(Inst::Push(u64::from(size)));
                self.push(CoreType::I32, false);
            }
            Operator::MemoryInit { data_index, .. } => self.memory_init(*data_index)?,
            Operator::DataDrop { data_index } => {
                self.emit("push.0");
                self.emit(Inst::Imm(
                    Op::MemStore,
                    u64::from(layout::DATA_LENGTHS_BASE + data_index),
                ));
            }
            Operator::TableInit { elem_index, table } => self.table_init(*elem_index, *table)?,
            Operator::TableCopy {
                dst_table,
                src_table,
            } => self.table_copy(*dst_table, *src_table)?,
            Operator::ElemDrop { elem_index } => {
                self.elem_segment(*elem_index)?;
                self.emit("push.0");
                self.emit(Inst::Imm(
                    Op::MemStore,
                    u64::from(layout::ELEM_LENGTHS_BASE + elem_index),
                ));
            }
            Operator::GlobalGet { global_index } => {
                let g = self.global(*global_index)?;
                for limb in (0..g.ty.felts()).rev() {
                    self.emit(Inst::Imm(Op::MemLoad, u64::from(g.addr + limb as u32)));
                }
                self.push(g.ty, false);
            }
            Operator::GlobalSet { global_index } => {
                let g = self.global(*global_index)?;
                for limb in 0..g.ty.felts() {
                    self.emit(Inst::Imm(Op::MemStore, u64::from(g.addr + limb as u32)));
                }
                self.pop();
            }
            Operator::MemorySize { .. } => {
                self.emit(Inst::Imm(Op::MemLoad, u64::from(MEMORY_PAGES_ADDR)));
                self.push(CoreType::I32, false);
            }
            Operator::MemoryGrow { .. } => {
                let max = self
                    .module
                    .memory
                    .map_or(0, |m| m.maximum.min(layout::MAX_MEMORY_PAGES));
                for op in [
                    Inst::Imm(Op::MemLoad, u64::from(MEMORY_PAGES_ADDR)),
                    "dup".into(),
                    "movup.2".into(),
                    "add".into(),
                    "dup".into(),
                    Inst::Push(u64::from(max)),
                    "lte".into(),
                ] {
                    self.emit(op);
                }
                let (ok, fail) = self.push_if();
                self.tree.op(ok, "dup");
                self.tree.op(ok, "mul.65536");
                // [M, pages]: the access limits M - size + 1, or 0 while M is 0.
                self.tree.op(ok, "dup");
                self.tree.op(ok, "neq.0");
                for (cell, size) in layout::ACCESS_SIZES.iter().enumerate() {
                    self.tree.op(ok, "dup.1");
                    if *size > 1 {
                        self.tree.op(ok, Inst::Imm(Op::Sub, u64::from(size - 1)));
                    }
                    self.tree.op(ok, "dup.1");
                    self.tree.op(ok, "mul");
                    let limit = layout::ACCESS_LIMITS_ADDR + cell as u32;
                    self.tree.op(ok, Inst::Imm(Op::MemStore, u64::from(limit)));
                }
                self.tree.op(ok, "drop");
                self.tree.op(
                    ok,
                    Inst::Imm(Op::MemStore, u64::from(layout::MEMORY_BYTES_ADDR)),
                );
                self.tree
                    .op(ok, Inst::Imm(Op::MemStore, u64::from(MEMORY_PAGES_ADDR)));
                for op in ["drop", "drop", "push.4294967295"] {
                    self.tree.op(fail, op);
                }
                self.pop();
                self.push(CoreType::I32, false);
            }
            Operator::I32Load { memarg } => self.load(memarg, 4, CoreType::I32, &[])?,
            // Felts carried in `f32`: a felt fills one four-byte slot of linear memory, which
            // is one Miden element, so it keeps its full value (`docs/felts.md`).
            Operator::F32Load { memarg } if self.module.f32_is_felt => self.felt_load(memarg)?,
            Operator::F32Store { memarg } if self.module.f32_is_felt => self.felt_store(memarg)?,
            Operator::F32Const { value } if self.module.f32_is_felt => {
                self.emit(Inst::Push(u64::from(value.bits())));
                self.push(CoreType::I32, false);
            }
            Operator::F32ReinterpretI32 if self.module.f32_is_felt => {}
            // Compilers move `f32`s through `i32`s (selects, copies); the felt goes along
            // whole. Integer operations on it are meaningful only below 2^32.
            Operator::I32ReinterpretF32 if self.module.f32_is_felt => {}
            Operator::I32Load8U { memarg } => {
                self.load(memarg, 1, CoreType::I32, &["u32and.255"])?
            }
            Operator::I32Load8S { memarg } => self.load(memarg, 1, CoreType::I32, &EXT8)?,
            Operator::I32Load16U { memarg } => {
                self.load(memarg, 2, CoreType::I32, &["u32and.65535"])?
            }
            Operator::I32Load16S { memarg } => self.load(memarg, 2, CoreType::I32, &EXT16)?,
            Operator::I64Load { memarg } => self.load(memarg, 8, CoreType::I64, &[])?,
            Operator::I64Load8U { memarg } => {
                self.load(memarg, 1, CoreType::I64, &["u32and.255", "push.0", "swap"])?
            }
            Operator::I64Load8S { memarg } => self.load(memarg, 1, CoreType::I64, &EXT8_64)?,
            Operator::I64Load16U { memarg } => self.load(
                memarg,
                2,
                CoreType::I64,
                &["u32and.65535", "push.0", "swap"],
            )?,
            Operator::I64Load16S { memarg } => self.load(memarg, 2, CoreType::I64, &EXT16_64)?,
            Operator::I64Load32U { memarg } => {
                self.load(memarg, 4, CoreType::I64, &["push.0", "swap"])?
            }
            Operator::I64Load32S { memarg } => {
                self.load(memarg, 4, CoreType::I64, &["exec.wasm_i64_extend_i32_s"])?
            }
            Operator::I32Store { memarg } | Operator::I64Store32 { memarg } => {
                self.store(memarg, 4)?
            }
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
                self.store(memarg, 1)?
            }
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
                self.store(memarg, 2)?
            }
            Operator::I64Store { memarg } => self.store(memarg, 8)?,
            Operator::MemoryFill { mem }
                if *mem == crate::prepare::reversed_bytes::REVERSAL_MEMORY =>
            {
                // [F, B, m]: the reversal `prepare::reversed_bytes` placed, its bounds
                // tested before it.
                self.emit("exec.wasm_reverse_bytes");
                self.operands.truncate(self.operands.len() - 3);
            }
            Operator::MemoryFill { .. } => {
                // [n, val, d]: check d + n, then [d, val & 255, n].
                self.emit_all(&["dup.2", "dup.1", "add"]);
                self.emit_limit_check();
                self.emit_all(&["movdn.2", "u32and.255", "swap", "exec.wasm_memory_fill"]);
                self.operands.truncate(self.operands.len() - 3);
            }
            Operator::MemoryCopy { .. } => {
                // [n, s, d]: check s + n and d + n, then [d, s, n].
                self.emit_all(&["dup.1", "dup.1", "add"]);
                self.emit_limit_check();
                self.emit_all(&["dup.2", "dup.1", "add"]);
                self.emit_limit_check();
                self.emit_all(&["movdn.2", "swap", "exec.wasm_memory_copy"]);
                self.operands.truncate(self.operands.len() - 3);
            }
            Operator::BrTable { targets } => {
                self.br_table(targets)?;
                self.mark_dead();
            }
            other if self.ranged_sum(other) => {}
            Operator::I32Add if self.facts.never_wraps(self.at) => self.nowrap_add(),
            Operator::I32Shl if self.facts.never_wraps(self.at) && self.just_pushed.is_some() => {
                self.nowrap_shl();
            }
            Operator::I32And | Operator::I32Or if self.top_two_are_bool() => {
                // Two comparison results: the felt `and`/`or` (1 cycle, no bitwise-chiplet rows;
                // `u32or` costs 6).
                self.pop();
                self.pop();
                self.emit(if matches!(op, Operator::I32And) {
                    "and"
                } else {
                    "or"
                });
                self.push(CoreType::I32, true);
            }
            Operator::I32Or
                if self.just_pushed.is_some_and(|c| c < 4)
                    && self.facts.alignment.operand_aligned(self.at, 1) =>
            {
                // `x | c` with x a multiple of 4 and c below 4 sets bits x does not have: it is
                // the felt sum, below 2^32 (1 cycle; `u32or` costs 6). rustc and clang write
                // `i | 1`, `i | 2`, `i | 3` for the indices of a loop they unrolled by four.
                self.pop();
                self.pop();
                self.emit("add");
                self.push(CoreType::I32, false);
            }
            Operator::I32Eqz if self.operands.last().is_some_and(|o| o.is_bool) => {
                // Negating a 0/1 value; an `if` right after swaps its arms instead.
                self.pop();
                self.emit("not");
                self.push(CoreType::I32, true);
            }
            Operator::I32And if self.just_pushed == Some(1) => {
                // `x & 1` is 0 or 1: a condition that needs no `neq.0`.
                self.pop();
                self.pop();
                self.emit("u32and");
                self.push(CoreType::I32, true);
            }
            other if self.module.f32_is_felt && float_ops::is_f32_arithmetic(other) => {
                let what = numeric::operator_name(other);
                return Err(self.unsupported(format!(
                    "{what} in a module that carries felts in `f32` (its `f32`s are not floats)"
                )));
            }
            other => match numeric::lower(other) {
                OpLowering::Simple { pops, push, code } => {
                    for _ in 0..pops.len() {
                        self.pop();
                    }
                    for line in code {
                        self.emit(*line);
                    }
                    if let Some((ty, is_bool)) = push {
                        self.push(ty, is_bool);
                    }
                }
                OpLowering::Const(value) => {
                    for felt in value.to_felts().iter().rev() {
                        self.emit(Inst::Push(*felt));
                    }
                    self.push(value.ty(), false);
                }
                OpLowering::Unsupported(what) => return Err(self.unsupported(what)),
            },
        }
        Ok(())
    }

    /// A covered address's `i << k` (k the constant just pushed): below the memory size, so
    /// the felt product (2 cycles; `u32shl.k` costs 4).
    fn nowrap_shl(&mut self) {
        let k = self.just_pushed.unwrap_or(0);
        let folded = self.tree.pop_op(self.cur, Inst::Push(k));
        self.pop();
        self.pop();
        if folded {
            self.emit(Inst::Imm(Op::Mul, 1 << (k & 31)));
        } else {
            self.emit_all(&["u32and.31", "u32shl"]);
        }
        self.push(CoreType::I32, false);
    }

    /// An `i32.add` whose true sum lies in [0, 2^32) (an address of a versioned loop, a
    /// counter value of an unrolled copy): a felt `add` (1 cycle, not 2), or a `sub` when the
    /// constant just pushed is negative as an i32 (`i + (-8)` is `i - 8`, not `i + 2^32 - 8`).
    fn nowrap_add(&mut self) {
        const WRAP: u64 = 1 << 32;
        let negative = self.just_pushed.filter(|c| *c >= WRAP / 2 && *c < WRAP);
        let folded = negative.is_some_and(|c| self.tree.pop_op(self.cur, Inst::Push(c)));
        self.pop();
        self.pop();
        match negative {
            Some(c) if folded => self.emit(Inst::Imm(Op::Sub, WRAP - c)),
            Some(_) => {
                self.emit("add");
                self.emit(Inst::Imm(Op::Sub, WRAP));
            }
            None => self.emit("add"),
        }
        self.push(CoreType::I32, false);
    }

    /// `i32.add`/`i32.sub` of a constant (just pushed) to a value of known range, when the
    /// range shows that the sum wraps around 2^32 in every case or in none: then it is a felt
    /// `add`/`sub` of the right constant (2 cycles instead of 3–4), and the result's range is
    /// known too. Returns whether it translated `op`.
    pub(super) fn ranged_sum(&mut self, op: &Operator<'_>) -> bool {
        const WRAP: u64 = 1 << 32;
        let n = self.operands.len();
        let (Some(c), true) = (self.just_pushed, n >= 2) else {
            return false;
        };
        let Some(ValueRange { lo, hi, exact }) = self.operands[n - 2].range else {
            return false;
        };
        // (instruction, amount, range of the result)
        let (instr, amount, range) = match op {
            Operator::I32Add if hi + c < WRAP => (Op::Add, c, (lo + c, hi + c)),
            Operator::I32Add if lo + c >= WRAP => {
                (Op::Sub, WRAP - c, (lo + c - WRAP, hi + c - WRAP))
            }
            Operator::I32Sub if lo >= c => (Op::Sub, c, (lo - c, hi - c)),
            Operator::I32Sub if hi < c => (Op::Add, WRAP - c, (lo + WRAP - c, hi + WRAP - c)),
            _ => return false,
        };
        if !self.tree.pop_op(self.cur, Inst::Push(c)) {
            return false;
        }
        if amount > 0 {
            self.emit(Inst::Imm(instr, amount));
        }
        self.operands.truncate(n - 2);
        self.push(CoreType::I32, false);
        self.operands.last_mut().unwrap().range = Some(ValueRange {
            lo: range.0,
            hi: range.1,
            exact,
        });
        true
    }

    /// Global `index`, if its type is supported.
    pub(super) fn global(&self, index: u32) -> TResult<crate::module_env::Global> {
        let g = self.module.globals[index as usize].clone();
        match &g.unsupported {
            Some(why) => Err(self.unsupported(why.clone())),
            None => Ok(g),
        }
    }

    pub(super) fn select(&mut self) -> TResult<()> {
        self.pop();
        let b = self.pop();
        self.pop();
        // Stack: [c, b, a]; the result is c != 0 ? a : b, i.e. (c == 0) ? b : a.
        let code: &[&str] = match b.ty {
            CoreType::I32 | CoreType::F32 => &["eq.0", "cdrop"],
            // [c', b_lo, b_hi, a_lo, a_hi] → pick each limb with the same c'.
            CoreType::I64 | CoreType::F64 => &[
                "eq.0", "movup.3", "movup.2", "dup.2", "cdrop", "movdn.3", "cdrop", "swap",
            ],
        };
        for op in code {
            self.emit(*op);
        }
        self.push(b.ty, false);
        Ok(())
    }
}
