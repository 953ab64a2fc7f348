//! Where a Wasm instance's state lives in Miden memory (element addresses).
//!
//! Miden memory is addressed by field element; Wasm linear memory is bytes. The 4 GiB of linear
//! memory occupy elements `0 .. 2^30` (four bytes per element); everything else an instance
//! needs sits above it and below Miden's procedure locals (`2^31` and up):
//!
//! | elements | contents |
//! |---|---|
//! | `2^30 ..` | globals (one felt per `i32`, two per `i64`, low limb first) |
//! | [`MEMORY_PAGES_ADDR`] | current linear-memory size in pages |
//! | [`FUNC_ROOTS_BASE`] `..` | MAST roots of recursive functions (one word each) |
//! | [`POW_TABLE_ADDR`] `..+8` | powers of two for unaligned loads and stores |
//! | [`MEMORY_BYTES_ADDR`] = [`ACCESS_LIMITS_ADDR`] `..+4` | linear-memory size in bytes, then per access size 2, 4, 8: the first address it cannot start at |
//! | [`DATA_LENGTHS_BASE`] `..` | current length of each data segment (0 once dropped) |
//! | [`ELEM_LENGTHS_BASE`] `..` | current length of each element segment |
//! | [`SEGMENT_AREA_BASE`] `..` | contents of passive segments (a byte per felt; a table entry per 8 felts) |
//! | [`TABLES_BASE`] `..` | tables: [`TABLE_STRIDE`] felts each, a table entry per 8 felts |
//!
//! A table entry is two words: the callee's MAST root, then its type tag (canonical type index
//! plus one; 0 means null) followed by three zeros. Element segments use the same shape, so
//! `table.init` and `table.copy` copy words.

/// First element of the globals, just above linear memory.
pub const GLOBALS_BASE: u32 = 1 << 30;

/// Element holding the current linear-memory size in pages.
pub const MEMORY_PAGES_ADDR: u32 = (1 << 30) + (1 << 29) - 4;

/// Element holding the current linear-memory size in bytes (pages × 65536), kept beside the
/// page count so that bounds checks need no multiplication.
pub const MEMORY_BYTES_ADDR: u32 = POW_TABLE_ADDR + 8;

/// One word, for accesses of 1, 2, 4 and 8 bytes: `M − size + 1` for a memory of `M` bytes
/// (0 when `M` is 0), so an access at `ea` with no constant offset is in bounds exactly when
/// `ea < limit`, one `u32lt` (7 cycles for the whole check instead of 13). The 1-byte limit is
/// `M` itself, the cell at [`MEMORY_BYTES_ADDR`], so an instance writes all four with one word
/// store. Linear memory stays below 65,536 pages so that every limit is a u32.
pub const ACCESS_LIMITS_ADDR: u32 = MEMORY_BYTES_ADDR;

/// The access sizes of [`ACCESS_LIMITS_ADDR`], in cell order.
pub const ACCESS_SIZES: [u32; 4] = [1, 2, 4, 8];

/// Most pages linear memory may have: `memory.grow` fails beyond (the Wasm specification lets
/// an implementation refuse to grow at any size), which keeps the access limits u32s.
pub const MAX_MEMORY_PAGES: u32 = 65_535;

/// Two words of powers of two for unaligned access (see `intrinsics.masm`): elements
/// `+0..+4` hold 2^(32-8r) (loads), `+4..+8` hold 2^(8r) (stores), for byte offset r = 0..3.
/// Written at instantiation when the module has a memory.
pub const POW_TABLE_ADDR: u32 = 0x67E0_0000;

/// First element of the table of MAST roots of recursive functions (one word each).
pub const FUNC_ROOTS_BASE: u32 = (1 << 30) + (1 << 29);

/// First element of the data-segment lengths (one felt per segment).
pub const DATA_LENGTHS_BASE: u32 = 0x67F0_0000;

/// First element of the element-segment lengths (one felt per segment).
pub const ELEM_LENGTHS_BASE: u32 = 0x67F8_0000;

/// Most data or element segments a module may have.
pub const MAX_SEGMENTS: u32 = 1 << 19;

/// First element of the passive segments' contents.
pub const SEGMENT_AREA_BASE: u32 = 0x6800_0000;

/// Felts available for passive segment contents.
pub const SEGMENT_AREA_FELTS: u32 = 1 << 27;

/// First element of table 0.
pub const TABLES_BASE: u32 = 0x7000_0000;

/// Felts reserved per table: room for 2^20 entries.
pub const TABLE_STRIDE: u32 = 1 << 23;

/// Most tables a module may define.
pub const MAX_TABLES: u32 = 32;

/// Most entries a table may have.
pub const MAX_TABLE_ENTRIES: u32 = 1 << 20;

/// Felts per table (or element-segment) entry: the root word and the type-tag word.
pub const ENTRY_FELTS: u32 = 8;

/// Offset of the type tag inside an entry.
pub const ENTRY_TAG_OFFSET: u32 = 4;

/// Element address of a word-aligned scratch area above every other region: felts that a
/// hashing operation reads as whole words are copied here when they are not word aligned.
pub const FELT_SCRATCH_ADDR: u32 = 0x8000_0000;
