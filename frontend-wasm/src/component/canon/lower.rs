//! Lowering: canonical-ABI values in linear memory into an image of flat felts, with the
//! contents of strings and lists as blobs of an advice-map entry under the image's digest.

use super::*;

impl CanonGen<'_> {
    /// Stores a value held in flat slots into linear memory at `at` (canonical `store`).
    pub(in crate::component) fn store_flat(
        &mut self,
        ty: &WitType,
        slots: &[Slot],
        at: MemAt,
    ) -> GenResult<()> {
        match (ty.shape(), ty) {
            (Shape::Fields(fields), _) => {
                let mut k = 0;
                for (f, off) in fields.into_iter().zip(ty.field_offsets()) {
                    let n = f.flat().len();
                    self.store_flat(f, &slots[k..k + n], at.at(off))?;
                    k += n;
                }
            }
            (Shape::Blob(_), _) => {
                self.op(format!("mem_load.{}", slots[0].addr));
                self.store_top(at, 4);
                self.op(format!("mem_load.{}", slots[1].addr));
                self.store_top(at.at(4), 4);
            }
            (_, WitType::S64 | WitType::U64 | WitType::F64) => {
                self.op(format!("mem_load.{}", slots[0].addr));
                self.store_top(at, 4);
                self.op(format!("mem_load.{}", slots[0].addr + 1));
                self.store_top(at.at(4), 4);
            }
            (_, WitType::Felt) => {
                // A felt fills its (aligned) four-byte slot: one element.
                self.op(format!(
                    "mem_load.{} mem_load.{} add.{} div.4 mem_store",
                    slots[0].addr, at.cell, at.offset
                ));
            }
            (Shape::Cases(cases), _) => {
                let disc = WitType::discriminant_size(cases.len());
                self.op(format!("mem_load.{}", slots[0].addr));
                self.store_top(at, disc);
                let off = ty.payload_offset();
                for (c, case) in cases.iter().enumerate() {
                    if let Some(t) = case {
                        self.op(format!("mem_load.{} eq.{c}", slots[0].addr));
                        self.op("if.true");
                        let n = t.flat().len();
                        self.store_flat(t, &slots[1..1 + n], at.at(off))?;
                        self.op("end");
                    }
                }
            }
            (_, scalar) => {
                self.op(format!("mem_load.{}", slots[0].addr));
                self.store_top(at, scalar.size());
            }
        }
        Ok(())
    }

    /// Loads a value of type `ty` from linear memory at `at` into flat result slots, validating
    /// it; string and list contents are appended to the result image.
    pub(in crate::component) fn lower_from_memory(
        &mut self,
        ty: &WitType,
        slots: &[Slot],
        at: MemAt,
        depth: u32,
    ) -> GenResult<()> {
        match (ty.shape(), ty) {
            (Shape::Fields(fields), _) => {
                let mut k = 0;
                for (f, off) in fields.into_iter().zip(ty.field_offsets()) {
                    let n = f.flat().len();
                    self.lower_from_memory(f, &slots[k..k + n], at.at(off), depth)?;
                    k += n;
                }
            }
            (Shape::Blob(_), _) => {
                self.op("push.0");
                self.store_slot(slots[0]);
                self.load(at.at(4), 4);
                self.op("dup");
                self.store_slot(slots[1]);
                // [len]
                self.load(at, 4);
                // [ptr, len]
                self.send_list(ty, depth)?;
            }
            (_, WitType::S64 | WitType::U64 | WitType::F64) => {
                let s = slots[0];
                self.load(at, 4);
                self.op(format!("mem_store.{}", s.addr));
                self.load(at.at(4), 4);
                self.op(format!("mem_store.{}", s.addr + 1));
            }
            (_, WitType::Felt) => {
                self.load(at, 4);
                self.store_slot(slots[0]);
            }
            (Shape::Cases(cases), _) => {
                let disc = WitType::discriminant_size(cases.len());
                self.load(at, disc);
                self.op(format!(
                    "dup push.{} u32lt assert.err=\"invalid variant discriminant\"",
                    cases.len()
                ));
                self.op("dup");
                self.store_slot(slots[0]);
                let payload = &slots[1..];
                let off = ty.payload_offset();
                if !payload.is_empty() {
                    for (c, case) in cases.iter().enumerate() {
                        self.op(format!("dup eq.{c}"));
                        self.op("if.true");
                        let used = case.map_or(0, |t| t.flat().len());
                        if let Some(t) = case {
                            self.lower_from_memory(t, &payload[..used], at.at(off), depth)?;
                        }
                        for s in &payload[used..] {
                            self.zero_slot(*s);
                        }
                        self.op("end");
                    }
                }
                self.op("drop");
            }
            (_, scalar) => {
                self.load(at, scalar.size());
                if matches!(scalar, WitType::Bool) {
                    self.op("neq.0");
                } else if !matches!(scalar, WitType::U8 | WitType::U16) {
                    self.normalize_i32(scalar);
                }
                self.store_slot(slots[0]);
            }
        }
        Ok(())
    }

    /// [v] -> []: stores an i32-class value into a slot (zero-extending into an i64 slot).
    pub(in crate::component) fn store_slot(&mut self, s: Slot) {
        self.op(format!("mem_store.{}", s.addr));
        if s.ty == FlatType::I64 {
            self.op(format!("push.0 mem_store.{}", s.addr + 1));
        }
    }

    /// [ptr, len] -> []: checks a result list's bounds, appends its bytes to the result image
    /// and validates its elements (sending nested lists in turn).
    pub(in crate::component) fn send_list(&mut self, ty: &WitType, depth: u32) -> GenResult<()> {
        let (elem_size, align) = list_elem(ty);
        self.op(format!("swap mul.{elem_size}"));
        self.op(format!(
            "dup push.{MAX_BYTES} u32lte assert.err=\"list too long\""
        ));
        // [bytes, ptr]
        self.op("swap");
        if align > 1 {
            self.op(format!(
                "dup u32and.{} eq.0 assert.err=\"list pointer not aligned\"",
                align - 1
            ));
        }
        self.op(format!(
            "dup dup.2 add mem_load.{MEMORY_PAGES_ADDR} mul.65536 lte \
             assert.err=\"out of bounds memory access\""
        ));
        let in_place = depth == 0 && self.in_place.is_some();
        if in_place {
            // [ptr, bytes]: a large aligned blob after room for the flat chunk stays where it
            // is until the image is inserted (`hash_and_insert`).
            self.op(format!(
                "dup u32and.15 eq.0 dup.1 push.32 u32gte and dup.2 push.{IN_PLACE_MIN} u32gte and"
            ));
            self.op("if.true");
            self.op(format!(
                "dup mem_store.{IN_PLACE} dup.1 mem_store.{IN_PLACE_BYTES}"
            ));
            self.op("else");
        }
        // [ptr, bytes] -> copy out to CURSOR, keeping the destination for validation.
        self.op(format!(
            "mem_load.{CURSOR} dup.2 dup.2 dup.2 movdn.2 exec.abi_copy_out"
        ));
        self.op(format!(
            "dup push.{RES_LIMIT} u32lte assert.err=\"result image too large\" mem_store.{CURSOR}"
        ));
        // [dst, ptr, bytes]
        if *ty == WitType::String {
            self.op("dup.2 swap exec.abi_validate_utf8");
        } else {
            self.op("drop");
        }
        if in_place {
            self.op("end");
        }
        // [ptr, bytes]
        match ty {
            WitType::List(elem) if needs_walk(elem) => {
                self.loop_elements(elem, depth, |g, at, d| g.send_in_memory(elem, at, d))?;
                self.op("drop drop");
            }
            _ => self.op("drop drop"),
        }
        Ok(())
    }

    /// Validates a result value inside a list in linear memory and sends its nested lists.
    pub(in crate::component) fn send_in_memory(
        &mut self,
        ty: &WitType,
        at: MemAt,
        depth: u32,
    ) -> GenResult<()> {
        match (ty.shape(), ty) {
            (Shape::Blob(_), _) => {
                self.load(at.at(4), 4);
                self.load(at, 4);
                self.send_list(ty, depth)
            }
            (Shape::Fields(fields), _) => {
                for (f, off) in fields.into_iter().zip(ty.field_offsets()) {
                    if needs_walk(f) {
                        self.send_in_memory(f, at.at(off), depth)?;
                    }
                }
                Ok(())
            }
            (_, WitType::Char) => {
                self.load(at, 4);
                self.op("exec.abi_check_char drop");
                Ok(())
            }
            (Shape::Cases(_), _) => {
                self.walk_cases(ty, at, depth, needs_walk, Self::send_in_memory)
            }
            _ => Ok(()),
        }
    }

    /// Starts building an image in RES whose flat part has `felts` felts: the blobs follow the
    /// flat part zero-padded to a whole chunk (the region may hold an older image). `in_place`
    /// is [`in_place_kind`] of the values sent.
    pub(in crate::component) fn begin_send(&mut self, felts: u32, in_place: Option<bool>) {
        self.in_place = in_place;
        if in_place.is_some() {
            self.op(format!("push.0 mem_store.{IN_PLACE}"));
        }
        let padded = felts.div_ceil(CHUNK) * CHUNK;
        for i in felts..padded {
            self.op(format!("push.0 mem_store.{}", RES + i));
        }
        self.op(format!("push.{} mem_store.{CURSOR}", RES + padded));
    }

    /// [] -> [DIGEST, start, end]: hashes the image and inserts it into the advice map under its
    /// digest: the image built in RES (start = RES), or the one sent in place.
    pub(in crate::component) fn hash_and_insert(&mut self) {
        let copied =
            format!("mem_load.{CURSOR} push.{RES} dup.1 dup.1 exec.abi_hash_image adv.insert_mem");
        match self.in_place.take() {
            Some(string) => {
                self.op(format!("mem_load.{IN_PLACE} dup neq.0"));
                self.op("if.true");
                self.op(format!(
                    "mem_load.{IN_PLACE_BYTES} swap push.{} movdn.2 exec.abi_send_in_place",
                    u32::from(string)
                ));
                self.op("else");
                self.op(format!("drop {copied}"));
                self.op("end");
            }
            None => self.op(copied),
        }
    }
}
