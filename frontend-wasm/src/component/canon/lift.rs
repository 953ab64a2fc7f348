//! Lifting: an image of flat felts (and the blobs of its strings and lists, piped from the
//! advice provider and hash-checked) into canonical-ABI values in linear memory, validating
//! everything the canonical ABI requires.

use super::*;

impl CanonGen<'_> {
    /// [DIGEST, n] -> []: starts receiving a spilled image of `n` words whose flat part has
    /// `felts` felts: pipes the flat part into ARGS, leaving the blobs on the advice stack for
    /// [`Self::receive_list`] to pipe where they belong. Nothing is trusted before
    /// [`Self::end_receive`] has checked the digest.
    pub(in crate::component) fn begin_receive(&mut self, felts: u32, too_large: &str) {
        let max_words = (UTF8_CLASSES - ARGS) / 4;
        self.op(format!("adv.push_mapval mem_storew_le.{KEY} dropw"));
        self.op(format!(
            "dup push.{max_words} u32lte assert.err=\"{too_large}\""
        ));
        self.op(format!("mul.4 add.{ARGS} mem_store.{END}"));
        let chunks = felts.div_ceil(CHUNK);
        self.op(format!(
            "padw mem_storew_le.{SPONGE} mem_storew_le.{} mem_storew_le.{} dropw",
            SPONGE + 4,
            SPONGE + 8
        ));
        self.op(format!("push.{ARGS} push.{chunks} exec.abi_pipe_raw"));
        self.op(format!("push.{} mem_store.{CURSOR}", ARGS + CHUNK * chunks));
    }

    /// Checks the image received since [`Self::begin_receive`] against its digest and word
    /// count.
    pub(in crate::component) fn end_receive(&mut self) {
        self.op(format!("padw mem_loadw_le.{KEY} exec.abi_pipe_check"));
    }

    /// Validates and normalizes, in place, the felts of a value of type `ty` held in `slots`
    /// (its own flat values, which may be wider join slots); receives the contents of its
    /// strings and lists from the argument image.
    pub(in crate::component) fn lift_flat(
        &mut self,
        ty: &WitType,
        slots: &[Slot],
        depth: u32,
    ) -> GenResult<()> {
        match (ty.shape(), ty) {
            (Shape::Fields(fields), _) => {
                let mut at = 0;
                for f in fields {
                    let n = f.flat().len();
                    self.lift_flat(f, &slots[at..at + n], depth)?;
                    at += n;
                }
            }
            (Shape::Cases(cases), _) => {
                let disc = slots[0];
                self.op(format!(
                    "mem_load.{} u32assert.err=\"argument is not a u32\"",
                    disc.addr
                ));
                self.op(format!(
                    "dup push.{} u32lt assert.err=\"invalid variant discriminant\"",
                    cases.len()
                ));
                let payload = &slots[1..];
                if !payload.is_empty() {
                    for (c, case) in cases.iter().enumerate() {
                        self.op(format!("dup eq.{c}"));
                        self.op("if.true");
                        let used = case.map_or(0, |t| t.flat().len());
                        if let Some(t) = case {
                            self.lift_flat(t, &payload[..used], depth)?;
                        }
                        for s in &payload[used..] {
                            self.zero_slot(*s);
                        }
                        self.op("end");
                    }
                }
                self.op("drop");
            }
            (Shape::Blob(_), _) => {
                let (ptr, len) = (slots[0], slots[1]);
                self.op(format!(
                    "mem_load.{} u32assert.err=\"argument is not a u32\"",
                    len.addr
                ));
                if len.ty == FlatType::I64 {
                    self.op(format!("push.0 mem_store.{}", len.addr + 1));
                }
                // [len] -> allocate, fill and validate; the pointer goes to the ptr slot.
                self.receive_list(ty, depth)?;
                self.op(format!("mem_store.{}", ptr.addr));
                if ptr.ty == FlatType::I64 {
                    self.op(format!("push.0 mem_store.{}", ptr.addr + 1));
                }
            }
            (_, WitType::Felt) => {
                if slots[0].ty != FlatType::F32 {
                    return Err("a `felt` joined with integer payloads in a variant".into());
                }
            }
            (_, WitType::S64 | WitType::U64 | WitType::F64) => {
                let s = slots[0];
                self.op(format!(
                    "mem_load.{} mem_load.{} u32assert2.err=\"argument is not a u32\" drop drop",
                    s.addr,
                    s.addr + 1
                ));
            }
            (_, scalar) => {
                let s = slots[0];
                self.op(format!(
                    "mem_load.{} u32assert.err=\"argument is not a u32\"",
                    s.addr
                ));
                self.normalize_i32(scalar);
                self.op(format!("mem_store.{}", s.addr));
                if s.ty == FlatType::I64 {
                    self.op(format!("push.0 mem_store.{}", s.addr + 1));
                }
            }
        }
        Ok(())
    }

    /// [v] -> [v'] for an i32-class scalar: see [`normalize_i32`].
    pub(in crate::component) fn normalize_i32(&mut self, ty: &WitType) {
        if let Some(op) = normalize_i32(ty) {
            self.op(op);
        }
    }

    /// [len] -> [ptr]: allocates the list's memory with `cabi_realloc`, copies the next blob of
    /// the argument image into it and validates (and recursively receives) its elements.
    pub(in crate::component) fn receive_list(&mut self, ty: &WitType, depth: u32) -> GenResult<()> {
        let (elem_size, align) = list_elem(ty);
        self.op(format!("mul.{elem_size}"));
        self.op(format!(
            "dup push.{MAX_BYTES} u32lte assert.err=\"list too long\""
        ));
        self.allocate(align)?;
        // [ptr, bytes] -> pipe the next blob to ptr (checking that every felt is a u32, and
        // that a string is UTF-8).
        let felt_slots = match ty {
            WitType::List(elem) => elem
                .felt_slots()
                .ok_or("a variant holding a felt in one case and bytes in another, in a list")?,
            _ => Vec::new(),
        };
        if *ty == WitType::String {
            self.op("dup.1 dup.1 exec.abi_receive_string");
        } else if felt_slots.is_empty() {
            self.op("dup.1 dup.1 exec.abi_receive_list");
        } else {
            self.op("dup.1 dup.1 exec.abi_receive_felt_list");
        }
        if let WitType::List(elem) = ty {
            let byte_slots: Vec<u32> = (0..elem.size())
                .step_by(4)
                .filter(|at| !felt_slots.contains(at))
                .collect();
            let check_bytes = !felt_slots.is_empty() && !byte_slots.is_empty();
            if needs_receive(elem) || check_bytes {
                self.loop_elements(elem, depth, |g, at, d| {
                    if check_bytes {
                        g.check_byte_slots(&byte_slots, at);
                    }
                    g.receive_in_memory(elem, at, d)
                })?;
            }
        }
        self.op("swap drop");
        Ok(())
    }

    /// [bytes] -> [ptr, bytes]: `cabi_realloc(0, 0, align, bytes)` with the canonical ABI's
    /// alignment and bounds checks on the result.
    pub(in crate::component) fn allocate(&mut self, align: u32) -> GenResult<()> {
        let realloc = self.targets.realloc.ok_or("no cabi_realloc")?.to_string();
        // No import may be called from inside `cabi_realloc` (the canonical ABI's `may_leave`).
        self.op(format!(
            "dup push.0 push.0 push.{align} movup.3 push.1 mem_store.{NO_LEAVE} {realloc} \
             push.0 mem_store.{NO_LEAVE}"
        ));
        if align > 1 {
            self.op(format!(
                "dup u32and.{} eq.0 assert.err=\"realloc return: result not aligned\"",
                align - 1
            ));
        }
        self.op(format!(
            "dup dup.2 add mem_load.{MEMORY_PAGES_ADDR} mul.65536 lte \
             assert.err=\"realloc return: beyond end of memory\""
        ));
        Ok(())
    }

    /// [ptr] -> [ptr]: runs `body` on each of the `len` elements of a list at ptr whose length
    /// is `len` (read from the element count cell), with the element's address in a depth cell.
    pub(in crate::component) fn loop_elements(
        &mut self,
        elem: &WitType,
        depth: u32,
        body: impl Fn(&mut Self, MemAt, u32) -> GenResult<()>,
    ) -> GenResult<()> {
        if depth >= MAX_DEPTH {
            return Err(format!("lists nested more than {MAX_DEPTH} deep"));
        }
        let base = DEPTH_CELLS + 2 * depth;
        let count = base + 1;
        // The stack holds [ptr, bytes, ptr] or [ptr]; element count = bytes / size.
        let size = elem.size();
        self.op(format!("dup mem_store.{base}"));
        self.op(format!("dup.1 u32div.{size} mem_store.{count}"));
        self.op(format!("mem_load.{count} neq.0"));
        self.op("while.true");
        body(
            self,
            MemAt {
                cell: base,
                offset: 0,
            },
            depth + 1,
        )?;
        self.op(format!("mem_load.{base} add.{size} mem_store.{base}"));
        self.op(format!(
            "mem_load.{count} sub.1 dup mem_store.{count} neq.0"
        ));
        self.op("end");
        Ok(())
    }

    /// Traps unless the four-byte slots at these offsets from `at` hold u32s: the byte slots of
    /// a list element holding felts, which was piped without the u32 check.
    pub(in crate::component) fn check_byte_slots(&mut self, offsets: &[u32], at: MemAt) {
        for off in offsets {
            self.op(format!(
                "mem_load.{} add.{} div.4 mem_load u32assert.err=\"advice data is not u32\" drop",
                at.cell,
                at.offset + off
            ));
        }
    }

    /// Validates a value already copied into linear memory and receives its nested lists.
    /// Bools and flags are rewritten to what their canonical lift reads (any non-zero byte is
    /// true, bits beyond the last label are dropped), as for flat arguments, so the core code
    /// never sees a representation the canonical ABI cannot produce.
    pub(in crate::component) fn receive_in_memory(
        &mut self,
        ty: &WitType,
        at: MemAt,
        depth: u32,
    ) -> GenResult<()> {
        match (ty.shape(), ty) {
            (_, WitType::Char) => {
                self.load(at, 4);
                self.op("exec.abi_check_char drop");
            }
            (_, WitType::Bool | WitType::Flags(_)) => {
                let size = ty.size();
                self.load(at, size);
                self.normalize_i32(ty);
                self.store_top(at, size);
            }
            (Shape::Fields(fields), _) => {
                for (f, off) in fields.into_iter().zip(ty.field_offsets()) {
                    if needs_receive(f) {
                        self.receive_in_memory(f, at.at(off), depth)?;
                    }
                }
            }
            (Shape::Blob(_), _) => {
                // [] -> read len at +4, allocate, copy, store ptr at +0.
                self.load(at.at(4), 4);
                self.receive_list(ty, depth)?;
                // [ptr, bytes, ptr] or [ptr]
                self.store_top(at, 4);
            }
            (Shape::Cases(_), _) => {
                self.walk_cases(ty, at, depth, needs_receive, Self::receive_in_memory)?;
            }
            (Shape::Scalar, _) => {}
        }
        Ok(())
    }

    /// Checks the discriminant of the variant-like value at `at` and runs `visit` on the payload
    /// of whichever case is active, for the cases whose payload `wanted` accepts.
    pub(in crate::component) fn walk_cases(
        &mut self,
        ty: &WitType,
        at: MemAt,
        depth: u32,
        wanted: fn(&WitType) -> bool,
        visit: fn(&mut Self, &WitType, MemAt, u32) -> GenResult<()>,
    ) -> GenResult<()> {
        let cases = ty.cases().unwrap_or_default();
        self.load(at, WitType::discriminant_size(cases.len()));
        self.op(format!(
            "dup push.{} u32lt assert.err=\"invalid variant discriminant\"",
            cases.len()
        ));
        let off = ty.payload_offset();
        for (c, case) in cases.iter().enumerate() {
            if let Some(t) = case.filter(|t| wanted(t)) {
                self.op(format!("dup eq.{c}"));
                self.op("if.true");
                visit(self, t, at.at(off), depth)?;
                self.op("end");
            }
        }
        self.op("drop");
        Ok(())
    }
}
