//! The canonical ABI on Miden: the generator of lifting and lowering code ([`CanonGen`]) and
//! the scratch cells it works in.
//!
//! Values cross a Miden `call` as an *image*: the canonical ABI's flat lowering of the values,
//! each flat value as felts (list pointers zero), on the stack when it fits in 16 felts and
//! otherwise through the advice map under its Poseidon2 digest, together with the contents of
//! every string and list (`docs/calling-convention.md`). [`lift`] turns a received image into
//! values in linear memory, validating as the canonical ABI requires and checking every digest
//! (the advice provider is untrusted); [`lower`] turns values in linear memory into an image.
//! [`export`] runs them in order for an export wrapper (callee side); the import adapters
//! (`super::import_adapter`) use the same steps the other way round (caller side).
//!
//! All intermediate state lives in a scratch region of Miden memory above linear memory, at
//! constant addresses, so every step is straight-line code addressing fixed cells.

mod export;
mod lift;
mod lower;
mod memory;
mod stack_only;
mod utf8;

use midenc_abi::{FlatType, Shape, WitSignature, WitType, MAX_FLAT_PARAMS, MAX_STACK_FELTS};

use crate::layout::MEMORY_PAGES_ADDR;

/// First element of the wrapper's scratch region (above the Wasm globals).
pub const ABI_BASE: u32 = 0x5000_0000;
pub(in crate::component) const CURSOR: u32 = ABI_BASE;
pub(in crate::component) const END: u32 = ABI_BASE + 1;
const RETPTR: u32 = ABI_BASE + 2;
const PARAMS_PTR: u32 = ABI_BASE + 3;
const CORE_RES: u32 = ABI_BASE + 4;
/// Whether the wrapper of an export with signature `sig` allocates argument memory with
/// `cabi_realloc` (strings, lists, or more flat parameters than the core function takes).
pub fn needs_realloc(sig: &WitSignature) -> bool {
    sig.params.iter().any(|(_, t)| t.has_lists()) || sig.flat_params().len() > MAX_FLAT_PARAMS
}

/// Non-zero while `cabi_realloc` or `cabi_post_*` runs: import adapters then trap.
pub(in crate::component) const NO_LEAVE: u32 = ABI_BASE + 11;
/// Sum of the high bits of a string's bytes while it is piped (zero: all ASCII).
const ASCII: u32 = ABI_BASE + 5;
/// Non-zero once the UTF-8 automaton's tables are written (`utf8.rs`).
const UTF8_READY: u32 = ABI_BASE + 8;
/// The byte address of a blob sent in place (`abi_send_in_place`), or 0 while none is.
const IN_PLACE: u32 = ABI_BASE + 6;
/// The byte length of the blob sent in place.
const IN_PLACE_BYTES: u32 = ABI_BASE + 7;
/// The smallest blob sent in place: below it the fixed cost of borrowing and restoring two
/// chunks (about 60 cycles) is more than copying costs.
const IN_PLACE_MIN: u32 = 128;
/// Four words where `abi_send_in_place` keeps the memory it borrows (word-aligned).
const SAVED: u32 = ABI_BASE + 80;
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
pub(in crate::component) const STAGE: u32 = ABI_BASE + (1 << 25);
// The cells, the nested-list loops' cells, the sponge and the borrowed words do not overlap.
const _: () =
    assert!(DEPTH_CELLS + 2 * MAX_DEPTH <= SPONGE && SPONGE + 12 <= SAVED && SAVED + 16 <= ARGS);

/// The UTF-8 automaton's byte classes (256 felts, from the end of the argument region) and its
/// transition table (`utf8.rs`).
const UTF8_CLASSES: u32 = STAGE - 512;
const UTF8_TABLE: u32 = STAGE - 256;
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
        .replace("ABI_UTF8_READY", &UTF8_READY.to_string())
        .replace("ABI_UTF8_CLASS", &UTF8_CLASSES.to_string())
        .replace("ABI_UTF8_ACCEPT", &utf8::accepting(UTF8_TABLE).to_string())
        .replace(
            "ABI_UTF8_INIT\n",
            &utf8::init_masm(UTF8_CLASSES, UTF8_TABLE),
        )
        .replace("ABI_SV0", &SAVED.to_string())
        .replace("ABI_SV1", &(SAVED + 4).to_string())
        .replace("ABI_SV2", &(SAVED + 8).to_string())
        .replace("ABI_SV3", &(SAVED + 12).to_string())
        .replace("ABI_RES0", &RES.to_string())
        .replace("ABI_RES1", &(RES + 4).to_string())
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
pub(in crate::component) struct Slot {
    pub(in crate::component) addr: u32,
    pub(in crate::component) ty: FlatType,
}

pub(in crate::component) fn slots(base: u32, flat: &[FlatType]) -> Vec<Slot> {
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
pub(in crate::component) struct MemAt {
    pub(in crate::component) cell: u32,
    pub(in crate::component) offset: u32,
}

impl MemAt {
    fn at(self, extra: u32) -> MemAt {
        MemAt {
            cell: self.cell,
            offset: self.offset + extra,
        }
    }
}

/// Generates canonical-ABI lifting and lowering code: an export wrapper's body
/// ([`Self::generate`]) or the steps of an import adapter.
pub struct CanonGen<'a> {
    ops: Vec<String>,
    targets: Targets<'a>,
    export: &'a str,
    /// While an image is built whose only blob may be sent in place: whether it is a string.
    in_place: Option<bool>,
}

type GenResult<T> = Result<T, String>;

impl<'a> CanonGen<'a> {
    /// A generator for export `export`.
    pub fn new(export: &'a str, targets: Targets<'a>) -> Self {
        CanonGen {
            ops: Vec::new(),
            targets,
            export,
            in_place: None,
        }
    }

    pub(in crate::component) fn op(&mut self, op: impl Into<String>) {
        self.ops.push(op.into());
    }

    /// The instructions generated so far (for the import adapters, which drive the same
    /// lifting and lowering steps in the other direction).
    pub(in crate::component) fn finish(self) -> Vec<String> {
        self.ops
    }
}

/// [v] -> [v'] for an i32-class scalar: the canonical lift from a flat i32 (bool is any
/// non-zero, small integers keep their low bits, chars are checked, flags are masked); `None`
/// when the value is taken as it is.
pub(in crate::component) fn normalize_i32(ty: &WitType) -> Option<String> {
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
pub(in crate::component) fn list_elem(ty: &WitType) -> (u32, u32) {
    match ty {
        WitType::List(e) => (e.size(), e.align()),
        _ => (1, 1),
    }
}

/// Whether an image holding the values `values` is sent in place (`abi_send_in_place`) when its
/// blob is large and aligned: one string (`Some(true)`), or one list whose elements need no
/// pass (`Some(false)`). Its flat part is then a single chunk (a pointer and a length).
pub(in crate::component) fn in_place_kind(values: &[&WitType]) -> Option<bool> {
    match values {
        [WitType::String] => Some(true),
        [WitType::List(elem)] if !needs_walk(elem) => Some(false),
        _ => None,
    }
}

/// Whether a received argument in linear memory needs a pass: [`needs_walk`], or a bool or
/// flags value whose bytes can hold bits its canonical lift ignores.
fn needs_receive(ty: &WitType) -> bool {
    match (ty.shape(), ty) {
        (_, WitType::Bool) => true,
        (_, WitType::Flags(labels)) => labels.len() < 8 * ty.size() as usize,
        (Shape::Fields(fields), _) => fields.iter().any(|f| needs_receive(f)),
        _ => needs_walk(ty),
    }
}

/// Whether a value in linear memory needs validation or carries nested lists.
fn needs_walk(ty: &WitType) -> bool {
    match ty.shape() {
        Shape::Blob(_) | Shape::Cases(_) => true,
        Shape::Fields(fields) => fields.iter().any(|f| needs_walk(f)),
        Shape::Scalar => *ty == WitType::Char,
    }
}
