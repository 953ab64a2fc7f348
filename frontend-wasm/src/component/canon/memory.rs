//! Access to linear memory and the scratch cells: pointer checks, and loads and stores of
//! 1 to 8 bytes at a cell's address plus an offset.

use super::*;

impl CanonGen<'_> {
    /// Traps unless the pointer on top (which stays) is aligned for `ty`, with `message`, and
    /// `ty` fits in linear memory there.
    pub(in crate::component) fn check_pointer(&mut self, ty: &WitType, message: &str) {
        let (size, align) = (ty.size(), ty.align());
        if align > 1 {
            self.op(format!(
                "dup u32and.{} eq.0 assert.err=\"{message}\"",
                align - 1
            ));
        }
        self.op(format!(
            "dup add.{size} mem_load.{MEMORY_PAGES_ADDR} mul.65536 lte \
             assert.err=\"out of bounds memory access\""
        ));
    }

    pub(in crate::component) fn zero_slot(&mut self, s: Slot) {
        for k in 0..s.ty.felts() as u32 {
            self.op(format!("push.0 mem_store.{}", s.addr + k));
        }
    }

    /// [] -> [e]: the element holding the four bytes at `at`. Canonical-ABI values are
    /// aligned, so four bytes are one whole element (checked: a misaligned address would
    /// otherwise straddle two).
    fn element_of(&mut self, at: MemAt) {
        self.op(format!(
            "mem_load.{} add.{} u32divmod.4 assertz.err=\"unaligned memory access\"",
            at.cell, at.offset
        ));
    }

    /// [] -> [v]: loads `size` bytes (1, 2 or 4) at `at`.
    pub(in crate::component) fn load(&mut self, at: MemAt, size: u32) {
        if size == 4 {
            self.element_of(at);
            self.op("mem_load");
            return;
        }
        self.op(format!(
            "mem_load.{} add.{} exec.wasm_load32",
            at.cell, at.offset
        ));
        match size {
            1 => self.op("u32and.255"),
            2 => self.op("u32and.65535"),
            _ => {}
        }
    }

    /// [v] -> []: stores the low `size` bytes of v at `at`.
    pub(in crate::component) fn store_top(&mut self, at: MemAt, size: u32) {
        if size == 4 {
            self.element_of(at);
            self.op("mem_store");
            return;
        }
        let mask: u64 = if size >= 4 {
            0xFFFF_FFFF
        } else {
            (1 << (8 * size)) - 1
        };
        if size < 4 {
            self.op(format!("u32and.{mask}"));
        }
        self.op(format!(
            "push.{mask} swap mem_load.{} add.{} exec.wasm_store_masked",
            at.cell, at.offset
        ));
    }
}
