//! Export wrappers for component functions: the callee side of the WIT calling convention
//! (`docs/calling-convention.md`).
//!
//! A wrapper receives the *argument image* (the canonical ABI flat lowering of the parameters,
//! each flat value as felts, list pointers zero) either on the stack or, when it spills, through
//! the advice map under its Poseidon2 digest together with the contents of every string and
//! list. It lifts that image into the core function's parameters (validating as the canonical
//! ABI requires, allocating list memory with `cabi_realloc`), calls the core function, lowers
//! the result into a *result image* the same way, runs `cabi_post_*`, and returns the image on
//! the stack or as a digest of an advice-map entry it inserts.
//!
//! All intermediate state lives in a scratch region of Miden memory above linear memory, at
//! constant addresses, so every step is straight-line code addressing fixed cells.

use midenc_abi::{FlatType, WitSignature, WitType, MAX_FLAT_PARAMS, MAX_STACK_FELTS};

use crate::layout::MEMORY_PAGES_ADDR;

/// First element of the wrapper's scratch region (above the Wasm globals).
pub const ABI_BASE: u32 = 0x5000_0000;
pub(super) const CURSOR: u32 = ABI_BASE;
pub(super) const END: u32 = ABI_BASE + 1;
const RETPTR: u32 = ABI_BASE + 2;
const PARAMS_PTR: u32 = ABI_BASE + 3;
const CORE_RES: u32 = ABI_BASE + 4;
/// Whether the wrapper of an export with signature `sig` allocates argument memory with
/// `cabi_realloc` (strings, lists, or more flat parameters than the core function takes).
pub fn needs_realloc(sig: &WitSignature) -> bool {
    sig.params.iter().any(|(_, t)| t.has_lists()) || sig.flat_params().len() > MAX_FLAT_PARAMS
}

/// Non-zero while `cabi_realloc` or `cabi_post_*` runs: import adapters then trap.
pub(super) const NO_LEAVE: u32 = ABI_BASE + 11;
/// Sum of the high bits of a string's bytes while it is piped (zero: all ASCII).
const ASCII: u32 = ABI_BASE + 5;
const U_NEED: u32 = ABI_BASE + 6;
const U_LO: u32 = ABI_BASE + 7;
const U_HI: u32 = ABI_BASE + 8;
/// The digest of the image being received.
const KEY: u32 = ABI_BASE + 12;
const OUT: u32 = ABI_BASE + 16;
const DEPTH_CELLS: u32 = ABI_BASE + 24;
const MAX_DEPTH: u32 = 20;
/// The sponge state (three words) of the image being received, between pipes.
const SPONGE: u32 = ABI_BASE + 64;
/// Where the flat part of the argument image is received (word-aligned).
pub const ARGS: u32 = ABI_BASE + 128;
/// Where blobs that cannot be piped straight into linear memory are received (a partial last
/// chunk, or a whole blob whose destination is not 16-byte aligned).
const STAGE: u32 = ABI_BASE + (1 << 25);
/// Felts in a chunk: images are piped, hashed and padded in chunks of two words.
const CHUNK: u32 = 8;
/// Where the result image is built (word-aligned).
pub const RES: u32 = ABI_BASE + (1 << 27);
/// Upper end (exclusive) of the result image.
const RES_LIMIT: u32 = MEMORY_PAGES_ADDR & !3;
/// Largest byte length of a string or list (the canonical ABI's bound).
const MAX_BYTES: u32 = (1 << 28) - 1;

/// The runtime procedures, with their scratch cells filled in.
pub fn runtime_masm() -> String {
    include_str!("runtime.masm")
        .replace("ABI_SR0", &SPONGE.to_string())
        .replace("ABI_SR1", &(SPONGE + 4).to_string())
        .replace("ABI_SC", &(SPONGE + 8).to_string())
        .replace("ABI_STAGE", &STAGE.to_string())
        .replace("ABI_ASCII", &ASCII.to_string())
        .replace("ABI_CURSOR", &CURSOR.to_string())
        .replace("ABI_END", &END.to_string())
        .replace("ABI_U_NEED", &U_NEED.to_string())
        .replace("ABI_U_LO", &U_LO.to_string())
        .replace("ABI_U_HI", &U_HI.to_string())
}

/// What the wrapper of one export calls.
pub struct Targets<'a> {
    /// Invocation of the core function (`exec.…`).
    pub core: &'a str,
    /// Invocation of `cabi_realloc`, if the module exports it.
    pub realloc: Option<&'a str>,
    /// Invocation of `cabi_post_<name>`, if the module exports it.
    pub post_return: Option<&'a str>,
}

/// A flat value's home in the scratch region: its first felt's address and its slot type.
#[derive(Clone, Copy, Debug)]
pub(super) struct Slot {
    pub(super) addr: u32,
    pub(super) ty: FlatType,
}

pub(super) fn slots(base: u32, flat: &[FlatType]) -> Vec<Slot> {
    let mut at = base;
    flat.iter()
        .map(|ty| {
            let s = Slot { addr: at, ty: *ty };
            at += ty.felts() as u32;
            s
        })
        .collect()
}

/// Where a value in linear memory is: a cell holding a byte address, plus a constant offset.
#[derive(Clone, Copy)]
pub(super) struct MemAt {
    pub(super) cell: u32,
    pub(super) offset: u32,
}

impl MemAt {
    fn at(self, extra: u32) -> MemAt {
        MemAt {
            cell: self.cell,
            offset: self.offset + extra,
        }
    }
}

/// Generates the body of one export wrapper.
pub struct WrapperGen<'a> {
    ops: Vec<String>,
    targets: Targets<'a>,
    export: &'a str,
}

type GenResult<T> = Result<T, String>;

impl<'a> WrapperGen<'a> {
    /// A generator for export `export`.
    pub fn new(export: &'a str, targets: Targets<'a>) -> Self {
        WrapperGen {
            ops: Vec::new(),
            targets,
            export,
        }
    }

    /// Traps unless the pointer on top (which stays) is aligned for `ty`, with `message`, and
    /// `ty` fits in linear memory there.
    pub(super) fn check_pointer(&mut self, ty: &WitType, message: &str) {
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

    pub(super) fn op(&mut self, op: impl Into<String>) {
        self.ops.push(op.into());
    }

    /// The instructions generated so far (for the import adapters, which drive the same
    /// lifting and lowering steps in the other direction).
    pub(super) fn finish(self) -> Vec<String> {
        self.ops
    }

    /// The whole wrapper body; `init` are the instance initializers.
    ///
    /// # Errors
    /// An `unsupported: …` description when the signature needs something not implemented.
    pub fn generate(mut self, sig: &WitSignature, init: &[String]) -> GenResult<Vec<String>> {
        for (_, t) in &sig.params {
            t.check_supported()?;
        }
        if let Some(r) = &sig.result {
            r.check_supported()?;
        }
        if needs_realloc(sig) && self.targets.realloc.is_none() {
            return Err(format!(
                "export `{}` receives strings, lists or more than {MAX_FLAT_PARAMS} flat values \
                 but the module exports no `cabi_realloc`",
                self.export
            ));
        }
        for op in init {
            self.op(op.clone());
        }
        if let Some(ops) = super::stack_only::wrapper_body(sig, &self.targets) {
            self.ops.extend(ops);
            return Ok(self.ops);
        }
        self.receive_args(sig)?;
        self.call_core(sig)?;
        self.lower_result(sig)?;
        self.post_return(sig);
        self.send_results(sig);
        Ok(self.ops)
    }

    // ---- arguments -------------------------------------------------------------------------

    fn receive_args(&mut self, sig: &WitSignature) -> GenResult<()> {
        let flat = sig.flat_params();
        let felts = sig.arg_felts() as u32;
        if sig.params_spill() {
            self.begin_receive(felts, "argument image too large");
        } else {
            for w in 0..felts.div_ceil(4) {
                self.op(format!("mem_storew_le.{} dropw", ARGS + 4 * w));
            }
        }
        let all = slots(ARGS, &flat);
        let mut at = 0;
        for (_, t) in &sig.params {
            let n = t.flat().len();
            self.lift_flat(t, &all[at..at + n], 0)?;
            at += n;
        }
        if sig.params_spill() {
            self.end_receive();
        }
        Ok(())
    }

    /// [DIGEST, n] -> []: starts receiving a spilled image of `n` words whose flat part has
    /// `felts` felts: pipes the flat part into ARGS, leaving the blobs on the advice stack for
    /// [`Self::receive_list`] to pipe where they belong. Nothing is trusted before
    /// [`Self::end_receive`] has checked the digest.
    pub(super) fn begin_receive(&mut self, felts: u32, too_large: &str) {
        let max_words = (STAGE - ARGS) / 4;
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
    pub(super) fn end_receive(&mut self) {
        self.op(format!("padw mem_loadw_le.{KEY} exec.abi_pipe_check"));
    }

    /// Validates and normalizes, in place, the felts of a value of type `ty` held in `slots`
    /// (its own flat values, which may be wider join slots); receives the contents of its
    /// strings and lists from the argument image.
    pub(super) fn lift_flat(&mut self, ty: &WitType, slots: &[Slot], depth: u32) -> GenResult<()> {
        match ty {
            WitType::Record(_) | WitType::Tuple(_) => {
                let mut at = 0;
                for f in ty.fields().unwrap() {
                    let n = f.flat().len();
                    self.lift_flat(f, &slots[at..at + n], depth)?;
                    at += n;
                }
            }
            WitType::Variant(_)
            | WitType::Enum(_)
            | WitType::Option(_)
            | WitType::Result { .. } => {
                let cases = ty.cases().unwrap();
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
            WitType::String | WitType::List(_) => {
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
            WitType::Felt => {
                if slots[0].ty != FlatType::F32 {
                    return Err("a `felt` joined with integer payloads in a variant".into());
                }
            }
            WitType::S64 | WitType::U64 => {
                let s = slots[0];
                self.op(format!(
                    "mem_load.{} mem_load.{} u32assert2.err=\"argument is not a u32\" drop drop",
                    s.addr,
                    s.addr + 1
                ));
            }
            scalar => {
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
    fn normalize_i32(&mut self, ty: &WitType) {
        if let Some(op) = normalize_i32(ty) {
            self.op(op);
        }
    }

    pub(super) fn zero_slot(&mut self, s: Slot) {
        for k in 0..s.ty.felts() as u32 {
            self.op(format!("push.0 mem_store.{}", s.addr + k));
        }
    }

    /// [len] -> [ptr]: allocates the list's memory with `cabi_realloc`, copies the next blob of
    /// the argument image into it and validates (and recursively receives) its elements.
    fn receive_list(&mut self, ty: &WitType, depth: u32) -> GenResult<()> {
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
    fn allocate(&mut self, align: u32) -> GenResult<()> {
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
    fn loop_elements(
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
    fn check_byte_slots(&mut self, offsets: &[u32], at: MemAt) {
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
    fn receive_in_memory(&mut self, ty: &WitType, at: MemAt, depth: u32) -> GenResult<()> {
        match ty {
            WitType::Char => {
                self.load(at, 4);
                self.op("exec.abi_check_char drop");
            }
            WitType::Bool | WitType::Flags(_) => {
                let size = ty.size();
                self.load(at, size);
                self.normalize_i32(ty);
                self.store_top(at, size);
            }
            WitType::Record(_) | WitType::Tuple(_) => {
                for (f, off) in ty.fields().unwrap().into_iter().zip(ty.field_offsets()) {
                    if needs_receive(f) {
                        self.receive_in_memory(f, at.at(off), depth)?;
                    }
                }
            }
            WitType::String | WitType::List(_) => {
                // [] -> read len at +4, allocate, copy, store ptr at +0.
                self.load(at.at(4), 4);
                self.receive_list(ty, depth)?;
                // [ptr, bytes, ptr] or [ptr]
                self.store_top(at, 4);
            }
            _ if ty.cases().is_some() => {
                self.walk_cases(ty, at, depth, needs_receive, Self::receive_in_memory)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks the discriminant of the variant-like value at `at` and runs `visit` on the payload
    /// of whichever case is active, for the cases whose payload `wanted` accepts.
    fn walk_cases(
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

    /// [] -> [v]: loads `size` bytes (1, 2 or 4) at `at`.
    fn load(&mut self, at: MemAt, size: u32) {
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
    fn store_top(&mut self, at: MemAt, size: u32) {
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

    // ---- the call --------------------------------------------------------------------------

    fn call_core(&mut self, sig: &WitSignature) -> GenResult<()> {
        let flat = sig.flat_params();
        let all = slots(ARGS, &flat);
        if flat.len() > MAX_FLAT_PARAMS {
            // The core function takes a pointer to the parameters stored as a tuple.
            let tuple = WitType::Tuple(sig.param_types());
            self.op(format!("push.{}", tuple.size()));
            self.allocate(tuple.align())?;
            self.op(format!("swap drop mem_store.{PARAMS_PTR}"));
            let base = MemAt {
                cell: PARAMS_PTR,
                offset: 0,
            };
            let mut at = 0;
            for (t, off) in sig.param_types().iter().zip(tuple.field_offsets()) {
                let n = t.flat().len();
                self.store_flat(t, &all[at..at + n], base.at(off))?;
                at += n;
            }
            self.op(format!("mem_load.{PARAMS_PTR}"));
        } else {
            for s in &all {
                match s.ty {
                    FlatType::I64 | FlatType::F64 => {
                        self.op(format!("mem_load.{} mem_load.{}", s.addr + 1, s.addr))
                    }
                    _ => self.op(format!("mem_load.{}", s.addr)),
                }
            }
        }
        let core = self.targets.core.to_string();
        self.op(core);
        Ok(())
    }

    /// Stores a value held in flat slots into linear memory at `at` (canonical `store`).
    pub(super) fn store_flat(&mut self, ty: &WitType, slots: &[Slot], at: MemAt) -> GenResult<()> {
        match ty {
            WitType::Record(_) | WitType::Tuple(_) => {
                let mut k = 0;
                for (f, off) in ty.fields().unwrap().into_iter().zip(ty.field_offsets()) {
                    let n = f.flat().len();
                    self.store_flat(f, &slots[k..k + n], at.at(off))?;
                    k += n;
                }
            }
            WitType::String | WitType::List(_) => {
                self.op(format!("mem_load.{}", slots[0].addr));
                self.store_top(at, 4);
                self.op(format!("mem_load.{}", slots[1].addr));
                self.store_top(at.at(4), 4);
            }
            WitType::S64 | WitType::U64 => {
                self.op(format!("mem_load.{}", slots[0].addr));
                self.store_top(at, 4);
                self.op(format!("mem_load.{}", slots[0].addr + 1));
                self.store_top(at.at(4), 4);
            }
            WitType::Felt => {
                // A felt fills its (aligned) four-byte slot: one element.
                self.op(format!(
                    "mem_load.{} mem_load.{} add.{} div.4 mem_store",
                    slots[0].addr, at.cell, at.offset
                ));
            }
            _ if ty.cases().is_some() => {
                let cases = ty.cases().unwrap();
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
            scalar => {
                self.op(format!("mem_load.{}", slots[0].addr));
                self.store_top(at, scalar.size());
            }
        }
        Ok(())
    }

    // ---- the result ------------------------------------------------------------------------

    fn lower_result(&mut self, sig: &WitSignature) -> GenResult<()> {
        let Some(result) = &sig.result else {
            return Ok(());
        };
        let flat = result.flat();
        let res_slots = slots(RES, &flat);
        self.begin_send(sig.result_felts() as u32);
        if flat.len() > 1 {
            // The core function returned a pointer to the result in linear memory.
            self.op(format!("dup mem_store.{CORE_RES}"));
            self.check_pointer(result, "result pointer not aligned");
            self.op(format!("mem_store.{RETPTR}"));
            self.lower_from_memory(
                result,
                &res_slots,
                MemAt {
                    cell: RETPTR,
                    offset: 0,
                },
                0,
            )?;
        } else {
            let s = res_slots[0];
            match s.ty {
                FlatType::I64 | FlatType::F64 => {
                    self.op(format!(
                        "dup.1 dup.1 mem_store.{CORE_RES} mem_store.{}",
                        CORE_RES + 1
                    ));
                    self.op(format!("mem_store.{} mem_store.{}", s.addr, s.addr + 1));
                }
                _ => self.op(format!("dup mem_store.{CORE_RES} mem_store.{}", s.addr)),
            }
            // One flat value: a scalar, or a variant without payloads.
            self.lift_flat(result, &res_slots, 0)?;
        }
        Ok(())
    }

    /// Loads a value of type `ty` from linear memory at `at` into flat result slots, validating
    /// it; string and list contents are appended to the result image.
    pub(super) fn lower_from_memory(
        &mut self,
        ty: &WitType,
        slots: &[Slot],
        at: MemAt,
        depth: u32,
    ) -> GenResult<()> {
        match ty {
            WitType::Record(_) | WitType::Tuple(_) => {
                let mut k = 0;
                for (f, off) in ty.fields().unwrap().into_iter().zip(ty.field_offsets()) {
                    let n = f.flat().len();
                    self.lower_from_memory(f, &slots[k..k + n], at.at(off), depth)?;
                    k += n;
                }
            }
            WitType::String | WitType::List(_) => {
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
            WitType::S64 | WitType::U64 => {
                let s = slots[0];
                self.load(at, 4);
                self.op(format!("mem_store.{}", s.addr));
                self.load(at.at(4), 4);
                self.op(format!("mem_store.{}", s.addr + 1));
            }
            WitType::Felt => {
                self.load(at, 4);
                self.store_slot(slots[0]);
            }
            _ if ty.cases().is_some() => {
                let cases = ty.cases().unwrap();
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
            scalar => {
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
    fn store_slot(&mut self, s: Slot) {
        self.op(format!("mem_store.{}", s.addr));
        if s.ty == FlatType::I64 {
            self.op(format!("push.0 mem_store.{}", s.addr + 1));
        }
    }

    /// [ptr, len] -> []: checks a result list's bounds, appends its bytes to the result image
    /// and validates its elements (sending nested lists in turn).
    pub(super) fn send_list(&mut self, ty: &WitType, depth: u32) -> GenResult<()> {
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
    fn send_in_memory(&mut self, ty: &WitType, at: MemAt, depth: u32) -> GenResult<()> {
        match ty {
            WitType::String | WitType::List(_) => {
                self.load(at.at(4), 4);
                self.load(at, 4);
                self.send_list(ty, depth)
            }
            WitType::Record(_) | WitType::Tuple(_) => {
                for (f, off) in ty.fields().unwrap().into_iter().zip(ty.field_offsets()) {
                    if needs_walk(f) {
                        self.send_in_memory(f, at.at(off), depth)?;
                    }
                }
                Ok(())
            }
            WitType::Char => {
                self.load(at, 4);
                self.op("exec.abi_check_char drop");
                Ok(())
            }
            _ if ty.cases().is_some() => {
                self.walk_cases(ty, at, depth, needs_walk, Self::send_in_memory)
            }
            _ => Ok(()),
        }
    }

    fn post_return(&mut self, sig: &WitSignature) {
        let Some(post) = self.targets.post_return.map(str::to_string) else {
            return;
        };
        let flat = sig.flat_results();
        if flat.len() > 1 {
            self.op(format!("mem_load.{CORE_RES}"));
        } else if let Some(t) = flat.first() {
            match t {
                FlatType::I64 | FlatType::F64 => {
                    self.op(format!("mem_load.{} mem_load.{CORE_RES}", CORE_RES + 1))
                }
                _ => self.op(format!("mem_load.{CORE_RES}")),
            }
        }
        // Nor from inside `cabi_post_*`.
        self.op(format!(
            "push.1 mem_store.{NO_LEAVE} {post} push.0 mem_store.{NO_LEAVE}"
        ));
    }

    /// Starts building an image in RES whose flat part has `felts` felts: the blobs follow the
    /// flat part zero-padded to a whole chunk (the region may hold an older image).
    pub(super) fn begin_send(&mut self, felts: u32) {
        let padded = felts.div_ceil(CHUNK) * CHUNK;
        for i in felts..padded {
            self.op(format!("push.0 mem_store.{}", RES + i));
        }
        self.op(format!("push.{} mem_store.{CURSOR}", RES + padded));
    }

    /// [] -> [DIGEST, RES, end]: hashes the image built in RES and inserts it into the advice
    /// map under its digest.
    pub(super) fn hash_and_insert(&mut self) {
        self.op(format!(
            "mem_load.{CURSOR} push.{RES} dup.1 dup.1 exec.abi_hash_image adv.insert_mem"
        ));
    }

    /// Leaves the result image on the stack (depth 16), or inserts it into the advice map and
    /// leaves `[DIGEST, n]`.
    fn send_results(&mut self, sig: &WitSignature) {
        if sig.result.is_none() {
            return;
        }
        if sig.results_spill() {
            self.hash_and_insert();
            self.op(format!("mem_storew_le.{OUT} dropw"));
            self.op(format!("sub div.4 mem_store.{}", OUT + 4));
            self.op(format!("mem_loadw_le.{} swapw mem_loadw_le.{OUT}", OUT + 4));
        } else {
            let felts = sig.result_felts();
            debug_assert!(felts <= MAX_STACK_FELTS);
            let words = (felts as u32).div_ceil(4);
            // Overwrite the top words of the (junk) stack, deepest word first.
            for w in (0..words).rev() {
                self.op(format!("mem_loadw_le.{}", RES + 4 * w));
                match w {
                    0 => {}
                    1 => self.op("swapw"),
                    _ => self.op(format!("swapw.{w}")),
                }
            }
        }
    }
}

/// [v] -> [v'] for an i32-class scalar: the canonical lift from a flat i32 (bool is any
/// non-zero, small integers keep their low bits, chars are checked, flags are masked); `None`
/// when the value is taken as it is.
pub(super) fn normalize_i32(ty: &WitType) -> Option<String> {
    Some(match ty {
        WitType::Bool => "neq.0".into(),
        WitType::U8 => "u32and.255".into(),
        WitType::S8 => "exec.wasm_i32_extend8_s".into(),
        WitType::U16 => "u32and.65535".into(),
        WitType::S16 => "exec.wasm_i32_extend16_s".into(),
        WitType::Char => "exec.abi_check_char".into(),
        WitType::Flags(labels) if labels.len() < 32 => {
            format!("u32and.{}", (1u64 << labels.len()) - 1)
        }
        _ => return None,
    })
}

/// Element size and alignment of a string (bytes) or list.
fn list_elem(ty: &WitType) -> (u32, u32) {
    match ty {
        WitType::List(e) => (e.size(), e.align()),
        _ => (1, 1),
    }
}

/// Whether a received argument in linear memory needs a pass: [`needs_walk`], or a bool or
/// flags value whose bytes can hold bits its canonical lift ignores.
fn needs_receive(ty: &WitType) -> bool {
    match ty {
        WitType::Bool => true,
        WitType::Flags(labels) => labels.len() < 8 * ty.size() as usize,
        WitType::Record(_) | WitType::Tuple(_) => {
            ty.fields().unwrap().iter().any(|f| needs_receive(f))
        }
        _ => needs_walk(ty),
    }
}

/// Whether a value in linear memory needs validation or carries nested lists.
fn needs_walk(ty: &WitType) -> bool {
    match ty {
        WitType::Char | WitType::String | WitType::List(_) => true,
        WitType::Variant(_) | WitType::Enum(_) | WitType::Option(_) | WitType::Result { .. } => {
            true
        }
        WitType::Record(_) | WitType::Tuple(_) => {
            ty.fields().unwrap().iter().any(|f| needs_walk(f))
        }
        _ => false,
    }
}
