//! Calls, direct and through tables, and the table operators.

use super::*;

impl<'m, 'a> FuncTranslator<'m, 'a> {
    /// `call_indirect`: checks the index, null entry and type tag, then `dynexec`s the root.
    pub(super) fn call_indirect(&mut self, type_index: u32, table_index: u32) -> TResult<()> {
        let table = self.table(table_index)?;
        let ft = &self.module.types[type_index as usize];
        let mut results = Vec::new();
        for r in ft.results() {
            results.push(self.module.core_type(*r).map_err(|w| self.unsupported(w))?);
        }
        let params = ft.params().len();
        self.pop();
        let tag = self.module.canonical_type(type_index) + 1;
        let ops = [
            Inst::Dup(0),
            Inst::Push(u64::from(table.size)),
            "u32lt".into(),
            "assert.err=\"undefined element\"".into(),
            Inst::Imm(Op::Mul, u64::from(layout::ENTRY_FELTS)),
            Inst::Imm(Op::Add, u64::from(table.base)),
            "dup".into(),
            Inst::Imm(Op::Add, u64::from(layout::ENTRY_TAG_OFFSET)),
            "mem_load".into(),
            "dup".into(),
            "neq.0".into(),
            "assert.err=\"uninitialized element\"".into(),
            Inst::Imm(Op::Eq, u64::from(tag)),
            "assert.err=\"indirect call type mismatch\"".into(),
            "dynexec".into(),
        ];
        for op in ops {
            self.emit(op);
        }
        for _ in 0..params {
            self.pop();
        }
        for ty in results {
            self.push(ty, false);
        }
        Ok(())
    }

    /// Table `index`, if it is supported.
    pub(super) fn table(&self, index: u32) -> TResult<Table> {
        let table = self.module.tables[index as usize].clone();
        match &table.unsupported {
            Some(why) => Err(self.unsupported(why.clone())),
            None => Ok(table),
        }
    }

    /// Element segment `index`, if it is supported.
    pub(super) fn elem_segment(&self, index: u32) -> TResult<ElemMode> {
        let segment = &self.module.elems[index as usize];
        match &segment.unsupported {
            Some(why) => Err(self.unsupported(why.clone())),
            None => Ok(segment.mode),
        }
    }

    /// With `[n, s, d]` on top, traps unless `d + n <= size` (or `s + n` with `dup.1`).
    pub(super) fn check_table_range(&mut self, pick: &str, size: u32) {
        self.emit_all(&[pick, "dup.1", "add"]);
        self.emit(Inst::Push(u64::from(size)));
        self.emit("lte");
        self.emit("assert.err=\"out of bounds table access\"");
    }

    /// `table.init`: `[n, s, d]` copies entries `s..s+n` of an element segment to entry `d`.
    pub(super) fn table_init(&mut self, elem: u32, table: u32) -> TResult<()> {
        let table = self.table(table)?;
        let addr = match self.elem_segment(elem)? {
            ElemMode::Passive { addr } => addr,
            // Active and declared segments are dropped once the instance exists.
            ElemMode::Active { .. } | ElemMode::Declared => layout::SEGMENT_AREA_BASE,
        };
        self.check_segment_range(
            layout::ELEM_LENGTHS_BASE + elem,
            "out of bounds table access",
        );
        self.check_table_range("dup.2", table.size);
        self.copy_entries(table.base, addr);
        Ok(())
    }

    /// `table.copy`: `[n, s, d]` copies entries `s..s+n` of one table to entry `d` of another
    /// (or the same: overlapping ranges are handled).
    pub(super) fn table_copy(&mut self, dst: u32, src: u32) -> TResult<()> {
        let (dst, src) = (self.table(dst)?, self.table(src)?);
        self.check_table_range("dup.1", src.size);
        self.check_table_range("dup.2", dst.size);
        self.copy_entries(dst.base, src.base);
        Ok(())
    }

    /// `[n, s, d]` → copies `n` entries from entry `s` at `src_base` to entry `d` at `dst_base`.
    pub(super) fn copy_entries(&mut self, dst_base: u32, src_base: u32) {
        let felts = layout::ENTRY_FELTS;
        for op in [
            Inst::Swap(1),
            Inst::Imm(Op::Mul, u64::from(felts)),
            Inst::Imm(Op::Add, u64::from(src_base)),
            "swap".into(),
            "movdn.2".into(),
            "swap".into(),
            Inst::Imm(Op::Mul, u64::from(felts)),
            Inst::Imm(Op::Add, u64::from(dst_base)),
            "exec.wasm_copy_entries".into(),
        ] {
            self.emit(op);
        }
        self.operands.truncate(self.operands.len() - 3);
    }

    pub(super) fn call(&mut self, func: u32) -> TResult<()> {
        if let Some(intrinsic) = self.module.felt_intrinsic(func) {
            // A felt operation: its instructions in place of the call.
            for _ in intrinsic.params() {
                self.pop();
            }
            if intrinsic.name == "merge_words" && self.facts.word_merge(self.at) {
                // Versioning proved all three addresses multiples of 16.
                if self.facts.element_addressed(self.at) {
                    self.emit_element_merge();
                    self.emit("dropw");
                } else {
                    for op in
                        crate::masm::inst::split_words(crate::felt_intrinsics::MERGE_WORDS_ALIGNED)
                    {
                        self.emit(op);
                    }
                }
            } else {
                for op in intrinsic.instructions() {
                    self.emit(op);
                }
            }
            for (ty, is_bool) in intrinsic.results() {
                self.push(ty, is_bool);
            }
            return Ok(());
        }
        let callee = self.module.func_type(func);
        let mut params = Vec::new();
        let mut results = Vec::new();
        for p in callee.params() {
            params.push(self.module.core_type(*p).map_err(|w| self.unsupported(w))?);
        }
        for r in callee.results() {
            results.push(self.module.core_type(*r).map_err(|w| self.unsupported(w))?);
        }
        for _ in &params {
            self.pop();
        }
        let invoke = self.procs.invoke(Some(self.func), func);
        self.emit(invoke);
        for ty in results {
            self.push(ty, false);
        }
        Ok(())
    }
}
