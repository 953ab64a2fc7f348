//! Linear-memory access: bounds checks (per access, shared, or once before a counted loop), loads
//! and stores of every width, felt slots, and `memory.init`.

use super::*;

impl<'m, 'a> FuncTranslator<'m, 'a> {
    /// Pops a byte address, adds the static offset and traps unless `size` bytes from there
    /// lie inside linear memory; leaves the effective address (now < 2^32).
    ///
    /// An access whose check another access of its straight-line run makes (see
    /// [`crate::prepare::shared_bounds`]) checks nothing; the first access of such a run checks for
    /// all of them.
    pub(super) fn bounds_checked_address(
        &mut self,
        memarg: &MemArg,
        size: u32,
        range: Option<ValueRange>,
    ) -> TResult<()> {
        if memarg.offset > u64::from(u32::MAX) {
            return Err(self.unsupported("memory offsets beyond 4 GiB (memory64)"));
        }
        let size = match self.shared_checks.get(&self.at) {
            Some(SharedCheck::Covered) => {
                if memarg.offset > 0 {
                    self.emit(Inst::Imm(Op::Add, memarg.offset));
                }
                return Ok(());
            }
            Some(SharedCheck::Leader { reach }) => *reach,
            None => u64::from(size),
        };
        if self.within_initial_memory(memarg.offset, size, range) {
            if memarg.offset > 0 {
                self.emit(Inst::Imm(Op::Add, memarg.offset));
            }
            return Ok(());
        }
        if self.check_before_loop(memarg.offset, size, range) {
            if memarg.offset > 0 {
                self.emit(Inst::Imm(Op::Add, memarg.offset));
            }
            return Ok(());
        }
        let cell = layout::ACCESS_SIZES
            .iter()
            .position(|s| u64::from(*s) == size);
        if let (0, Some(cell)) = (memarg.offset, cell) {
            // ea < M - size + 1, from the limit cell of this access size.
            let cell = cell as u32;
            self.emit("dup");
            self.emit(Inst::Imm(
                Op::MemLoad,
                u64::from(layout::ACCESS_LIMITS_ADDR + cell),
            ));
            self.emit("u32lt");
            self.emit("assert.err=\"out of bounds memory access\"");
            return Ok(());
        }
        if memarg.offset > 0 {
            self.emit(Inst::Imm(Op::Add, memarg.offset));
        }
        // ea + size <= M (the memory size in bytes) as felts, with ea + size < 2^34 and
        // M <= 2^32: M - (ea + size) is then at most 2^32 (high half 0 or 1) when in bounds,
        // and p - d for some 0 < d < 2^34 (high half near 2^32) when not. 15 cycles, against
        // 26 for a felt `lte` (which decomposes both operands).
        for op in [
            Inst::Dup(0),
            Inst::Imm(Op::Add, size),
            Inst::Imm(Op::MemLoad, u64::from(layout::MEMORY_BYTES_ADDR)),
            "swap".into(),
            "sub".into(),
            "u32split".into(),
            "drop".into(),
            "push.2".into(),
            "u32lt".into(),
            "assert.err=\"out of bounds memory access\"".into(),
        ] {
            self.emit(op);
        }
        Ok(())
    }

    /// Whether `size` bytes from every address in `range` plus `offset` lie inside the memory
    /// the module declares: instantiation gives it that size and memory never shrinks, so such
    /// an access needs no check (the address of the operator being translated may also have a
    /// range from the dataflow analysis, [`crate::analysis::alignment`]).
    fn within_initial_memory(&self, offset: u64, size: u64, range: Option<ValueRange>) -> bool {
        let analyzed = self
            .facts
            .alignment
            .address_range(self.at)
            .map(|(_, hi)| u64::from(hi));
        let Some(hi) = range.map(|r| r.hi).into_iter().chain(analyzed).min() else {
            return false;
        };
        let initial = u64::from(self.module.memory.map_or(0, |m| m.initial)) * 65536;
        hi + offset + size <= initial
    }

    /// Whether an access at an address of known `range` runs in every iteration of the counted
    /// loop being translated, so that its bounds check joins the one before the loop.
    pub(super) fn check_before_loop(
        &mut self,
        offset: u64,
        size: u64,
        range: Option<ValueRange>,
    ) -> bool {
        let depth = self.frames.len();
        let (
            Some(counted),
            Some(ValueRange {
                hi, exact: true, ..
            }),
        ) = (self.counted.as_mut(), range)
        else {
            return false;
        };
        let last = hi + offset + size - 1;
        if !counted.hoists || counted.depth != depth || last > u64::from(u32::MAX) {
            return false;
        }
        let owner = self.offset;
        counted.last_byte = Some(match counted.last_byte {
            Some((l, o)) if l >= last => (l, o),
            _ => (last, owner),
        });
        true
    }

    /// Before a counted loop that is ending: the one bounds check of the accesses that moved
    /// theirs out of the body (the last byte they reach must lie below the memory size).
    pub(super) fn emit_check_before_loop(&mut self, outer: SeqId) {
        let Some(counted) = self.counted.take() else {
            return;
        };
        if let Some((last, owner)) = counted.last_byte {
            self.tree.mark(Some(owner));
            self.tree.op(outer, Inst::Push(last));
            self.tree.op(
                outer,
                Inst::Imm(Op::MemLoad, u64::from(layout::ACCESS_LIMITS_ADDR)),
            );
            self.tree.op(outer, "u32lt");
            self.tree
                .op(outer, "assert.err=\"out of bounds memory access\"");
        }
    }

    pub(super) fn emit_all(&mut self, ops: &[&str]) {
        for op in ops {
            self.emit(op.to_string());
        }
    }

    /// Pops an end address (a felt) and traps unless it is within linear memory.
    pub(super) fn emit_limit_check(&mut self) {
        self.emit(Inst::Imm(Op::MemLoad, u64::from(MEMORY_PAGES_ADDR)));
        self.emit_all(&[
            "mul.65536",
            "lte",
            "assert.err=\"out of bounds memory access\"",
        ]);
    }

    /// Whether Wasm operand `depth` (0: the top) of the operator being translated, a memory
    /// address, is a proven multiple of 4 ([`crate::analysis::alignment`]).
    fn address_aligned(&self, depth: usize) -> bool {
        self.facts.alignment.operand_aligned(self.at, depth)
    }

    /// A load of `size` bytes, narrowed/extended by `widen` to a value of type `ty`.
    pub(super) fn load(
        &mut self,
        memarg: &MemArg,
        size: u32,
        ty: CoreType,
        widen: &[&str],
    ) -> TResult<()> {
        if self.facts.element_addressed(self.at) {
            self.load_element(memarg, ty, widen);
            return Ok(());
        }
        let aligned = self.address_aligned(0);
        let address = self.pop();
        self.bounds_checked_address(memarg, size, address.range)?;
        let first_bytes = aligned && memarg.offset.is_multiple_of(4) && size < 4;
        let mut widen = widen;
        // Whether the loaded value is already a single byte (below 256).
        let mut one_byte = false;
        if let Some(byte) = self.byte_in_element(memarg, size).filter(|_| !first_bytes) {
            one_byte = size == 1;
            // [ea]: the element holding the bytes, shifted down to them and masked.
            self.emit_all(&["u32div.4", "mem_load"]);
            if self.module.f32_is_felt {
                self.emit("u32assert");
            }
            if byte > 0 {
                self.emit(Inst::Imm(Op::U32Shr, u64::from(8 * byte)));
            }
            let mask = if size == 1 {
                "u32and.255"
            } else {
                "u32and.65535"
            };
            if byte + size < 4 {
                self.emit(mask);
            }
            widen = widen.strip_prefix(&[mask]).unwrap_or(widen);
        } else if alignment::whole_elements(aligned, memarg.offset, size) || first_bytes {
            // [ea] with ea = 4a: element a (and a + 1 for the high limb); a narrower load
            // reads the low bytes of element a, which `widen` masks.
            self.emit("div.4");
            if size == 8 {
                self.emit_all(&["dup", "add.1", "mem_load", "swap", "mem_load"]);
            } else {
                self.emit("mem_load");
            }
        } else if size == 1 {
            // The byte comes masked: a zero extension adds nothing.
            self.emit("exec.wasm_load8");
            one_byte = true;
            widen = widen.strip_prefix(&["u32and.255"]).unwrap_or(widen);
        } else if size == 8 {
            self.emit("exec.wasm_load64");
        } else {
            self.emit("exec.wasm_load32");
        }
        for op in widen {
            if one_byte && *op == "exec.wasm_i32_extend8_s" {
                // A byte needs no mask first: x + (x >> 7) * 0xFFFF_FF00 (7 cycles, not 9).
                self.emit_all(&["dup", "u32shr.7", "mul.4294967040", "add"]);
            } else {
                self.emit(*op);
            }
        }
        self.push(ty, false);
        Ok(())
    }

    /// Where in its element a byte or half-word access at this operator falls (0 for the low
    /// byte), when versioning placed it ([`FunctionFacts::address_residue`]) and it does not
    /// cross into the next element.
    fn byte_in_element(&self, memarg: &MemArg, size: u32) -> Option<u32> {
        let residue = self.facts.address_residue(self.at)?;
        let byte = ((u64::from(residue) + memarg.offset) % 4) as u32;
        (size <= 2 && byte + size <= 4).then_some(byte)
    }

    /// A felt load: the element of the four-byte slot at the address, which must be a multiple
    /// of 4 (a felt has no byte-level form to assemble from two elements).
    pub(super) fn felt_load(&mut self, memarg: &MemArg) -> TResult<()> {
        if self.facts.element_addressed(self.at) {
            self.load_element(memarg, CoreType::I32, &[]);
            return Ok(());
        }
        let aligned = self.address_aligned(0);
        let address = self.pop();
        self.bounds_checked_address(memarg, 4, address.range)?;
        self.emit_felt_slot(aligned && memarg.offset.is_multiple_of(4));
        self.emit("mem_load");
        self.push(CoreType::I32, false);
        Ok(())
    }

    /// A felt store: the whole element into the four-byte slot at the address (a multiple of 4).
    pub(super) fn felt_store(&mut self, memarg: &MemArg) -> TResult<()> {
        if self.facts.element_addressed(self.at) {
            self.pop();
            self.pop();
            self.store_element(memarg);
            return Ok(());
        }
        let aligned = self.address_aligned(1);
        self.pop();
        let address = self.pop();
        // [v, a] -> [a, v]
        self.emit("swap");
        self.bounds_checked_address(memarg, 4, address.range)?;
        self.emit_felt_slot(aligned && memarg.offset.is_multiple_of(4));
        self.emit("mem_store");
        Ok(())
    }

    /// A 4-byte load whose address operand is already an element address (an unrolled pass's
    /// element pointer, see `prepare/versioned_loops/element_pointers.rs`; versioning covered
    /// its bounds): element `a + offset / 4`, narrowed/extended by `widen` to type `ty`.
    fn load_element(&mut self, memarg: &MemArg, ty: CoreType, widen: &[&str]) {
        self.pop();
        self.element_offset(memarg);
        self.emit("mem_load");
        for op in widen {
            self.emit(*op);
        }
        self.push(ty, false);
    }

    /// [v, a] -> []: the store of a 4-byte value (its operands already popped) at an element
    /// address, as [`Self::load_element`] loads.
    fn store_element(&mut self, memarg: &MemArg) {
        self.emit("swap");
        self.element_offset(memarg);
        self.emit("mem_store");
    }

    /// [a] -> [a + offset / 4]: the element of a 4-byte access at element address `a`.
    fn element_offset(&mut self, memarg: &MemArg) {
        if memarg.offset > 0 {
            self.emit(Inst::Imm(Op::Add, memarg.offset / 4));
        }
    }

    /// [ea] -> [ea / 4], trapping unless ea is a multiple of 4 (unless known to be one).
    pub(super) fn emit_felt_slot(&mut self, aligned: bool) {
        if aligned {
            self.emit("div.4");
        } else {
            self.emit_all(&["u32divmod.4", "assertz.err=\"unaligned felt access\""]);
        }
    }

    /// A store of the low `size` bytes of the value on top to the address below it.
    pub(super) fn store(&mut self, memarg: &MemArg, size: u32) -> TResult<()> {
        let aligned = self.address_aligned(1);
        let value = self.pop();
        let address = self.pop();
        if value.ty == CoreType::I64 && size < 8 {
            // Only the low limb matters.
            self.emit("swap");
            self.emit("drop");
        }
        if self.facts.element_addressed(self.at) {
            self.store_element(memarg);
            return Ok(());
        }
        // [v.., a] -> [a, v..]
        self.emit(if size == 8 { "movup.2" } else { "swap" });
        self.bounds_checked_address(memarg, size, address.range)?;
        let mask = match size {
            1 => 0xFF,
            2 => 0xFFFF,
            _ => 0xFFFF_FFFFu32,
        };
        if let Some(byte) = self.byte_in_element(memarg, size) {
            // [ea, v]: the element with the other bytes kept, w' = (w & !m) + (v & mask) << 8b.
            let mask = if size == 1 { 0xFFu64 } else { 0xFFFF };
            self.emit_all(&["u32div.4", "swap"]);
            self.emit(Inst::Imm(Op::U32And, mask));
            if byte > 0 {
                self.emit(Inst::Imm(Op::Mul, 1u64 << (8 * byte)));
            }
            self.emit_all(&["dup.1", "mem_load"]);
            if self.module.f32_is_felt {
                // A felt's slot keeps its low 32 bits as the bytes not written.
                self.emit_all(&["u32split", "swap", "drop"]);
            }
            self.emit(Inst::Imm(
                Op::U32And,
                u64::from(!((mask as u32) << (8 * byte))),
            ));
            self.emit_all(&["add", "swap", "mem_store"]);
        } else if alignment::whole_elements(aligned, memarg.offset, size) {
            // [ea, v] (or [ea, lo, hi]) with ea = 4a: element a (and a + 1 for hi).
            self.emit("div.4");
            if size == 8 {
                self.emit_all(&["dup", "movdn.2", "mem_store", "add.1", "mem_store"]);
            } else {
                self.emit("mem_store");
            }
        } else if size == 1 {
            self.emit("exec.wasm_store8");
        } else if size == 8 {
            // [ea, lo, hi]: lo at ea, hi at ea + 4.
            self.emit("exec.wasm_store64");
        } else if size == 4 {
            self.emit("exec.wasm_store32");
        } else {
            if size < 4 {
                // [ea, v]: keep only the stored bytes of v.
                self.emit("swap");
                self.emit(Inst::Imm(Op::U32And, u64::from(mask)));
                self.emit("swap");
            }
            self.emit(Inst::Push(u64::from(mask)));
            self.emit_all(&["movdn.2", "exec.wasm_store_masked"]);
        }
        Ok(())
    }

    /// With `[n, s, d]` on top, traps with `message` unless `s + n <= len` where `len` is the
    /// value at element address `len_addr`.
    pub(super) fn check_segment_range(&mut self, len_addr: u32, message: &str) {
        self.emit_all(&["dup.1", "dup.1", "add"]);
        self.emit(Inst::Imm(Op::MemLoad, u64::from(len_addr)));
        self.emit("lte");
        self.emit(Inst::Check(Op::Assert, message.to_string()));
    }

    /// `memory.init`: `[n, s, d]` copies bytes `s..s+n` of a data segment to address `d`.
    pub(super) fn memory_init(&mut self, data: u32) -> TResult<()> {
        let addr = match self.module.data[data as usize].mode {
            DataMode::Passive { addr } => addr,
            // An active segment is dropped once the instance exists: its length reads 0.
            DataMode::Active { .. } => layout::SEGMENT_AREA_BASE,
        };
        self.check_segment_range(
            layout::DATA_LENGTHS_BASE + data,
            "out of bounds memory access",
        );
        self.emit_all(&["dup.2", "dup.1", "add"]);
        self.emit_limit_check();
        // [n, s, d] -> [d, addr + s, n]
        self.emit_all(&["swap"]);
        self.emit(Inst::Imm(Op::Add, u64::from(addr)));
        self.emit_all(&["swap", "movdn.2", "swap", "exec.wasm_memory_init"]);
        self.operands.truncate(self.operands.len() - 3);
        Ok(())
    }
}
