//! Pass 3 of a function's pipeline: translate one Wasm function body into a MASM procedure body.
//!
//! Input: a prepared body ([`PreparedBody`]) and the facts known about it ([`FunctionFacts`]).
//! Output: a [`CodeTree`] rooted at the procedure body plus the number of procedure locals it
//! needs.
//!
//! The translator is one state machine ([`FuncTranslator`]) whose methods live by concern:
//! `search` (which layout of the locals, priced), `driver` (setup and the operator loop),
//! `operators` (dispatch), `numeric` (the fixed lowering of numeric operators), `frame`
//! (operand stack, locals, prologue), `control` (blocks, loops, branches), `memory` (loads,
//! stores, bounds checks), `calls` (calls and tables) and `loops` (carried locals and
//! speculated loops).
//!
//! # The frame
//! Wasm operands live on the Miden operand stack (an `i32` is one felt, an `i64` two, low limb on
//! top). Locals live either on the stack *below* the operands ("stack frame": `dup.n` to read,
//! `swap.n drop` to write) or, when the function needs more than the 16 reachable stack slots,
//! in Miden procedure locals (`loc_load`/`loc_store`). The translator tracks the exact stack
//! shape at compile time, so every access is a constant depth.
//!
//! # Structured control flow without `br`
//! MASM has `if.true`/`while.true` but no branch to a label. A Wasm branch first reshapes the
//! stack into its target's layout. A branch to the innermost block simply *lands*: the rest of
//! the block is placed in the other arm of an `if`. A branch further out pushes a *break flag*
//! `p` (how many labels remain to unwind) and every enclosing construct guards its remaining code
//! with a test of `p`, decrementing it as the flag passes each block end. Loops are
//! `while.true` bodies whose condition is "a branch targeted this loop". Constructs from which
//! no branch escapes pay nothing for this. `docs/codegen.md` walks through an example.

use std::collections::HashMap;

use wasmparser::{BlockType, MemArg, Operator, ValType};

use crate::{
    analysis::{
        alignment,
        speculated_loop::{self, Tail},
        stack_carried, FunctionFacts,
    },
    error::{WasmError, WasmResult},
    layout::{self, MEMORY_PAGES_ADDR},
    masm::{
        cost_model,
        stack_ops::{self, MAX_REACH},
        Block, CodeTree, Inst, Node, Op, SeqId,
    },
    module_env::{DataMode, ElemMode, ModuleInfo, Table},
    prepare::{shared_bounds::SharedCheck, PreparedBody},
    trap_sites, FunctionProcs,
};
use midenc_abi::CoreType;
use numeric::OpLowering;

mod calls;
mod control;
mod driver;
mod float_ops;
mod frame;
mod loops;
mod memory;
pub(crate) mod numeric;
mod operators;
mod preload;
mod search;
mod spare_word;

pub use search::translate_function;
use search::{Attempt, Homes, Layout, LocalOrder};

const EXT8: [&str; 1] = ["exec.wasm_i32_extend8_s"];
const EXT16: [&str; 1] = ["exec.wasm_i32_extend16_s"];
const EXT8_64: [&str; 2] = ["exec.wasm_i32_extend8_s", "exec.wasm_i64_extend_i32_s"];
const EXT16_64: [&str; 2] = ["exec.wasm_i32_extend16_s", "exec.wasm_i64_extend_i32_s"];

/// The translated body of one function.
pub struct TranslatedFunction {
    /// The code tree of the procedure body, as translated.
    tree: CodeTree,
    /// Root sequence of the body.
    root: SeqId,
    /// The body after the MASM-level passes ([`TranslatedFunction::masm_passes`]): what is
    /// priced and printed.
    pub code: Vec<Block>,
    /// Number of Miden procedure locals (felts) the body uses; 0 means no `@locals` attribute.
    pub proc_locals: usize,
    /// Per local: declared (not a parameter) and its slot never read or written, because every
    /// value it held was carried on the stack (see [`crate::analysis::stack_carried`]) or it is unused.
    unused_slots: Vec<bool>,
    /// Whether [`TranslatedFunction::masm_passes`] has run.
    finished: bool,
}

/// Where a Wasm local lives.
#[derive(Clone, Copy, Debug)]
enum LocalHome {
    /// On the operand stack, `pos` felts above the bottom of the frame (its highest felt).
    Stack { pos: usize },
    /// In Miden procedure locals starting at index `index` (low limb first).
    Memory { index: usize },
    /// Nowhere: every value of the local is carried on the operand stack (a translation that
    /// finds it needs the slot after all is abandoned).
    Carried,
}

#[derive(Clone, Copy, Debug)]
struct Local {
    ty: CoreType,
    home: LocalHome,
}

/// One value of the Wasm operand stack as the translator sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operand {
    pub ty: CoreType,
    /// Known to be 0 or 1 (a comparison result), so it can feed `if.true` directly.
    pub is_bool: bool,
    /// The smallest and largest value an `i32` can have, when known: an address computed from
    /// the induction local of a counted loop (see [`crate::analysis::counted_loop`]), or a
    /// local the dataflow analysis bounded ([`crate::analysis::alignment`]).
    pub range: Option<ValueRange>,
    /// A local's value carried on the stack instead of stored (see [`crate::analysis::stack_carried`]):
    /// the index of the `local.get` that takes it; not a Wasm operand until then.
    pub carried_to: Option<usize>,
    /// An element of a word read ahead (see [`crate::analysis::FunctionFacts::preloads`]): the
    /// index of the load it serves; not a Wasm operand until then.
    pub preloaded_for: Option<usize>,
    /// The element address of a word read ahead, kept for the pass's later words under this
    /// tag; not a Wasm operand.
    pub word_address: Option<usize>,
    /// An element of a stored word that the next merge loads into (see `spare_word.rs`); not a
    /// Wasm operand.
    pub spare: bool,
}

/// The values an `i32` operand can take (see [`Operand::range`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ValueRange {
    /// The smallest.
    pub lo: u64,
    /// The largest.
    pub hi: u64,
    /// Whether the operand takes every value of the range as the counted loop being translated
    /// runs (its counter plus constants): only then may a check for `hi` move before the loop,
    /// as it traps only when some iteration would. A bound the dataflow analysis found may
    /// never be reached.
    pub exact: bool,
}

/// The counted loop whose body is being translated (see [`crate::analysis::counted_loop`]).
#[derive(Clone, Copy, Debug)]
struct CountedLoop {
    /// Frame count inside the loop: code at this depth runs in every iteration.
    depth: usize,
    /// The induction local and its values at the top of an iteration.
    local: u32,
    range: (u64, u64),
    /// Whether accesses may move their checks before the loop (see
    /// [`crate::analysis::CountedFact::exact`]).
    hoists: bool,
    /// The last byte the accesses whose check moved before the loop reach (inclusive), and
    /// the byte offset of the access that reaches it (which owns the check).
    last_byte: Option<(u64, u64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameKind {
    Function,
    Block,
    Loop,
    If,
}

/// A Wasm control frame during translation.
struct Frame {
    kind: FrameKind,
    params: Vec<CoreType>,
    results: Vec<CoreType>,
    /// Operand count below the frame's params.
    base: usize,
    /// The sequence holding the frame's body (for `if`, the then-arm).
    body: SeqId,
    /// The else-arm of an `if` frame.
    else_seq: Option<SeqId>,
    /// The sequence the frame's construct sits in; code after the frame continues there.
    outer: SeqId,
    /// Sequences whose end reaches this frame's end without a flag on top.
    landings: Vec<SeqId>,
    /// Largest break flag that reaches the end of this frame (0: none).
    max_flag: usize,
    /// Whether the else arm has started (for `if` frames).
    in_else: bool,
    /// Index of the operator that opened the frame (`None` for the function body).
    opener: Option<usize>,
    /// The constants known in `i32` locals on every branch to this frame's label so far
    /// (`None`: no branch yet).
    label_consts: Option<Vec<Option<u64>>>,
}

impl Frame {
    /// What a branch to this frame's label carries.
    fn label_types(&self) -> &[CoreType] {
        if self.kind == FrameKind::Loop {
            &self.params
        } else {
            &self.results
        }
    }

    /// A loop's flag counts the loop itself (flag 1 = continue); a block's does not.
    fn flag_offset(&self) -> usize {
        usize::from(self.kind == FrameKind::Loop)
    }
}

/// Why a translation attempt stopped; `NeedsMemoryLocals` triggers a retry.
enum Abort {
    NeedsMemoryLocals,
    /// A speculated loop's tests were not alone on the operand stack: translate again without
    /// speculation.
    CannotSpeculate,
    /// A local translated without a slot needed one: keep the translation that had it.
    NeedsSlot,
    Error(WasmError),
}

impl From<WasmError> for Abort {
    fn from(e: WasmError) -> Self {
        Abort::Error(e)
    }
}

type TResult<T> = Result<T, Abort>;

/// Joins the constants known on one more path into `joined` (`None`: no path yet): a local
/// stays known only where both agree.
fn meet_constants(joined: &mut Option<Vec<Option<u64>>>, path: &[Option<u64>]) {
    match joined {
        None => *joined = Some(path.to_vec()),
        Some(known) => known
            .iter_mut()
            .zip(path)
            .filter(|(a, b)| a != b)
            .for_each(|(a, _)| *a = None),
    }
}

struct FuncTranslator<'m, 'a> {
    module: &'m ModuleInfo<'a>,
    procs: &'m FunctionProcs,
    /// What the analyses proved about the body (alignment, liveness).
    facts: &'m FunctionFacts,
    func_name: String,
    func: u32,
    tree: CodeTree,
    root: SeqId,
    /// The sequence currently appended to.
    cur: SeqId,
    locals: Vec<Local>,
    /// Felts of stack-resident locals.
    stack_local_felts: usize,
    /// Felts of memory-resident locals.
    memory_local_felts: usize,
    params_felts: usize,
    /// Whether the prologue pops the parameters into procedure locals (more than 16 felts).
    pops_params: bool,
    params_count: usize,
    operands: Vec<Operand>,
    frames: Vec<Frame>,
    /// Whether the current point is unreachable; `dead_depth` counts blocks opened since.
    dead: bool,
    dead_depth: usize,
    /// Offset of the operator being translated (for diagnostics).
    offset: u64,
    /// The constant each `i32` local is known to hold at the current point (straight-line
    /// knowledge only: forgotten at every loop header, `else` and block end).
    known_consts: Vec<Option<u64>>,
    /// The value of an `i32.const` translated as the previous operator (its `push` is the last
    /// instruction emitted).
    just_pushed: Option<u64>,
    /// The counted loop being translated, if the current point is inside one.
    counted: Option<CountedLoop>,
    /// Index of the operator being translated.
    at: usize,
    /// Bounds checks shared by the accesses of a straight-line run, by operator index.
    shared_checks: HashMap<usize, SharedCheck>,
    /// Whether loops may run code speculatively (see [`crate::analysis::speculated_loop`]).
    speculate: bool,
    /// Per local: whether code reads or writes its slot (parameters always count).
    slot_used: Vec<bool>,
}
