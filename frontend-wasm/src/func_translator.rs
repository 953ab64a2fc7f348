//! Phase 2: translate one Wasm function body into a MASM procedure body.
//!
//! Input: a validated [`FunctionBody`] and the module facts. Output: a [`CodeTree`] rooted at
//! the procedure body plus the number of procedure locals it needs.
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

use std::{cell::OnceCell, collections::HashMap};

use wasmparser::{BlockType, FunctionBody, MemArg, Operator, ValType};

use crate::{
    alignment::{self, AlignedEdge, LocalAlignment},
    code_translator::{self, OpLowering},
    cost_model, counted_loop,
    error::{WasmError, WasmResult},
    layout::{self, MEMORY_PAGES_ADDR},
    liveness, loop_shapes,
    masm::{CodeTree, Inst, Node, SeqId},
    module_env::{DataMode, ElemMode, ModuleInfo, Table},
    rebased_induction,
    shared_bounds::{self, SharedCheck},
    speculated_loop::{self, Tail},
    stack_carried,
    stack_ops::{self, MAX_REACH},
    trap_sites, FunctionProcs,
};
use midenc_abi::{CoreType, CoreValue};

const EXT8: [&str; 1] = ["exec.wasm_i32_extend8_s"];
const EXT16: [&str; 1] = ["exec.wasm_i32_extend16_s"];
const EXT8_64: [&str; 2] = ["exec.wasm_i32_extend8_s", "exec.wasm_i64_extend_i32_s"];
const EXT16_64: [&str; 2] = ["exec.wasm_i32_extend16_s", "exec.wasm_i64_extend_i32_s"];

/// The translated body of one function.
pub struct TranslatedFunction {
    /// The code of the procedure body.
    pub tree: CodeTree,
    /// Root sequence of the body.
    pub root: SeqId,
    /// Number of Miden procedure locals (felts) the body uses; 0 means no `@locals` attribute.
    pub proc_locals: usize,
    /// Globals assumed to hold multiples of 4 that this body sets to a value not known to be
    /// one (see [`crate::alignment`]): the module must be translated again without them.
    pub broken_globals: Vec<u32>,
    /// Per local: declared (not a parameter) and its slot never read or written, because every
    /// value it held was carried on the stack (see [`crate::stack_carried`]) or it is unused.
    unused_slots: Vec<bool>,
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
    /// An `i32` known to be a multiple of 4 (see [`crate::alignment`]).
    pub mult4: bool,
    /// The smallest and largest value an `i32` can have, when known (an address computed from
    /// the induction local of a counted loop, see [`crate::counted_loop`]).
    pub range: Option<(u64, u64)>,
    /// A local's value carried on the stack instead of stored (see [`crate::stack_carried`]):
    /// the index of the `local.get` that takes it; not a Wasm operand until then.
    pub carried_to: Option<usize>,
}

/// The counted loop whose body is being translated (see [`crate::counted_loop`]).
#[derive(Clone, Copy, Debug)]
struct CountedLoop {
    /// Frame count inside the loop: code at this depth runs in every iteration.
    depth: usize,
    /// The induction local and its values at the top of an iteration.
    local: u32,
    range: (u64, u64),
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

/// Translates function `func` (an index into the function index space), assuming the globals
/// marked in `aligned_globals` hold multiples of 4 (the result lists the ones it breaks).
///
/// When some declared locals turn out never to use their slot, the function is translated
/// again without those slots: the frame is smaller (fewer zeros pushed and dropped, shallower
/// accesses), and a function that needed procedure locals may fit on the stack.
pub fn translate_function(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    func: u32,
    body: &FunctionBody<'_>,
    aligned_globals: &[bool],
) -> WasmResult<TranslatedFunction> {
    let heat = local_heat(body)?;
    // Read and rewritten once, by the first attempt, for all of them.
    let prepared = OnceCell::new();
    let layout = |order: LocalOrder| -> TResult<TranslatedFunction> {
        let translate = |slotless: &[bool]| {
            let layout = Layout {
                slotless,
                heat: &heat,
                order,
            };
            let attempt = Attempt {
                body,
                prepared: &prepared,
                aligned_globals,
                layout: &layout,
            };
            translate_slots(module, procs, func, &attempt)
        };
        let first = translate(&[])?;
        if !first.unused_slots.contains(&true) {
            return Ok(first);
        }
        Ok(translate(&first.unused_slots).unwrap_or(first))
    };
    let mut best = match layout(LocalOrder::Heat) {
        Ok(t) => t,
        Err(Abort::Error(e)) => return Err(e),
        Err(_) => {
            return Err(WasmError::ImplLimit {
                message: "the function needs more than 16 operand-stack slots at once".into(),
                function: module.display_name(func),
                offset: body.range().start,
            })
        }
    };
    // Hottest on top is usually best, but a slot's exact depth decides what each access costs
    // (`dup.8` 3 cycles, `dup.9` 1; `movup.k` 1 but `swap.k` 2): keep the cheapest estimate
    // among index order and, in a small function with loops, heat order with each other
    // declared local moved to the top.
    let params = module.func_type(func).params().len();
    let declared = heat.len().saturating_sub(params);
    let mut candidates = Vec::new();
    if !heat.get(params..).unwrap_or(&[]).is_sorted() {
        candidates.push(LocalOrder::Index);
    }
    if (2..=MAX_TOP_CANDIDATES).contains(&declared) && heat.iter().any(|h| *h >= 8) {
        let hottest = (params..heat.len()).max_by_key(|i| (heat[*i], *i));
        candidates.extend(
            (params..heat.len())
                .filter(|i| Some(*i) != hottest && heat[*i] >= 8)
                .map(LocalOrder::HeatWithTop),
        );
    }
    let mut best_cycles = best.estimated_cycles();
    for order in candidates {
        if let Ok(t) = layout(order) {
            let cycles = t.estimated_cycles();
            if cycles < best_cycles {
                (best, best_cycles) = (t, cycles);
            }
        }
    }
    Ok(best)
}

/// Declared locals up to which each one is tried on top of the heat order.
const MAX_TOP_CANDIDATES: usize = 4;

/// The order of a function's declared locals in its frame (the last is on top).
#[derive(Clone, Copy, Debug)]
enum LocalOrder {
    /// By index.
    Index,
    /// By heat ([`local_heat`]), the hottest on top.
    Heat,
    /// By heat, but with this local on top.
    HeatWithTop(usize),
}

/// How a translation places the locals.
struct Layout<'l> {
    /// Locals given no slot (see [`LocalHome::Carried`]).
    slotless: &'l [bool],
    /// Per local, how much it is used ([`local_heat`]).
    heat: &'l [u64],
    /// The order of the declared locals.
    order: LocalOrder,
}

impl TranslatedFunction {
    /// A static estimate of the body's cycles (see [`crate::cost_model`]).
    fn estimated_cycles(&self) -> u64 {
        cost_model::estimated_cycles(&self.tree.finish(self.root))
    }
}

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

/// How much each local is used: its reads and writes, each weighted by 8 per enclosing loop
/// (up to 5 loops deep), so that a local used in an inner loop outranks one used around it.
/// Indexed by local, up to the highest one the body uses.
fn local_heat(body: &FunctionBody<'_>) -> WasmResult<Vec<u64>> {
    let mut heat = Vec::new();
    // Per open construct: whether it is a loop.
    let mut open: Vec<bool> = Vec::new();
    let mut loops = 0u32;
    for op in body.get_operators_reader()? {
        match op? {
            Operator::Block { .. } | Operator::If { .. } => open.push(false),
            Operator::Loop { .. } => {
                open.push(true);
                loops += 1;
            }
            Operator::End => loops -= u32::from(open.pop() == Some(true)),
            Operator::LocalGet { local_index }
            | Operator::LocalSet { local_index }
            | Operator::LocalTee { local_index } => {
                let local = local_index as usize;
                if heat.len() <= local {
                    heat.resize(local + 1, 0);
                }
                heat[local] += 8u64.pow(loops.min(5));
            }
            _ => {}
        }
    }
    Ok(heat)
}

/// Translates with the locals placed as `layout` says, keeping them on the stack when they fit
/// and in procedure locals otherwise.
fn translate_slots(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    func: u32,
    attempt: &Attempt<'_, '_>,
) -> TResult<TranslatedFunction> {
    let translate = |memory_locals| translate_aligned(module, procs, func, attempt, memory_locals);
    match translate(false) {
        Err(Abort::NeedsMemoryLocals | Abort::CannotSpeculate) => translate(true),
        other => other,
    }
}

/// What every translation attempt of one function shares.
struct Attempt<'t, 'b> {
    body: &'t FunctionBody<'b>,
    /// The body's operators prepared for translation, once the first attempt has.
    prepared: &'t OnceCell<PreparedBody<'b>>,
    aligned_globals: &'t [bool],
    layout: &'t Layout<'t>,
}

/// A function body's operators, read once and rewritten for translation (loop shapes,
/// rebased induction locals), with the bounds checks their accesses share: the same for
/// every layout and round of the function.
struct PreparedBody<'b> {
    ops: Vec<Operator<'b>>,
    /// The byte offset of each operator, for diagnostics.
    offsets: Vec<u64>,
    shared_checks: HashMap<usize, SharedCheck>,
}

impl<'b> PreparedBody<'b> {
    fn new(body: &FunctionBody<'b>, locals: &[Local]) -> WasmResult<Self> {
        let mut reader = body.get_operators_reader()?;
        let (mut ops, mut offsets) = (Vec::new(), Vec::new());
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset()?;
            ops.push(op);
            offsets.push(offset);
        }
        loop_shapes::normalize_loops(&mut ops, &mut offsets);
        rebased_induction::rebase_loops(
            &mut ops,
            &mut offsets,
            |local| {
                locals
                    .get(local as usize)
                    .is_some_and(|l| l.ty == CoreType::I32)
            },
            locals.len(),
        );
        let shared_checks = shared_bounds::plan(&ops);
        Ok(PreparedBody {
            ops,
            offsets,
            shared_checks,
        })
    }
}

/// Translates with the most loop-header alignment assumptions that hold: start by assuming
/// that each loop's header keeps every local aligned that is aligned on entry, and translate
/// again without the assumptions a branch back to the loop broke, until a round breaks none.
/// Only that round's code is kept, because only there every assumption held throughout. Past a
/// few rounds, no loop header assumes anything, which needs no check.
fn translate_aligned(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    func: u32,
    attempt: &Attempt<'_, '_>,
    memory_locals: bool,
) -> TResult<TranslatedFunction> {
    let Attempt {
        body,
        aligned_globals,
        layout,
        ..
    } = *attempt;
    const ROUNDS: usize = 6;
    let mut assumptions: HashMap<u64, Vec<bool>> = HashMap::new();
    let mut round = 0;
    let mut speculate = true;
    loop {
        let mut translator = FuncTranslator::new(module, procs, func, body, memory_locals, layout)?;
        translator.speculate = speculate;
        let entry = (0..translator.locals.len())
            .map(|i| translator.alignment.get(i))
            .collect();
        // The last round assumes nothing at loop headers, so no branch can break it.
        let last = round == ROUNDS;
        translator.alignment = LocalAlignment::new(entry, assumptions.clone(), last);
        translator.aligned_globals = aligned_globals.to_vec();
        let locals = translator.locals.len();
        let prepared = match attempt.prepared.get() {
            Some(prepared) => prepared,
            None => {
                let prepared = PreparedBody::new(body, &translator.locals)?;
                attempt.prepared.get_or_init(|| prepared)
            }
        };
        let (translated, broken) = match translator.run(prepared) {
            // Without speculation no loop is translated that way, so this ends.
            Err(Abort::CannotSpeculate) => {
                speculate = false;
                continue;
            }
            other => other?,
        };
        if broken.is_empty() || last {
            return Ok(translated);
        }
        for (key, local) in broken {
            assumptions.entry(key).or_insert_with(|| vec![true; locals])[local] = false;
        }
        round += 1;
    }
}

struct FuncTranslator<'m, 'a> {
    module: &'m ModuleInfo<'a>,
    procs: &'m FunctionProcs,
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
    /// Which locals hold multiples of 4 at the current point (see [`crate::alignment`]).
    alignment: LocalAlignment,
    /// The `i32` globals assumed to hold only multiples of 4 (a module-wide assumption).
    aligned_globals: Vec<bool>,
    /// Assumed-aligned globals this body sets to a value not known to be a multiple of 4.
    broken_globals: Vec<u32>,
    /// The counted loop being translated, if the current point is inside one.
    counted: Option<CountedLoop>,
    /// Index of the operator being translated.
    at: usize,
    /// Live locals at branch targets, computed when a speculated loop first needs them.
    liveness: Option<liveness::Liveness>,
    /// Bounds checks shared by the accesses of a straight-line run, by operator index.
    shared_checks: HashMap<usize, SharedCheck>,
    /// Whether loops may run code speculatively (see [`crate::speculated_loop`]).
    speculate: bool,
    /// Per local: whether code reads or writes its slot (parameters always count).
    slot_used: Vec<bool>,
}

impl<'m, 'a> FuncTranslator<'m, 'a> {
    fn new(
        module: &'m ModuleInfo<'a>,
        procs: &'m FunctionProcs,
        func: u32,
        body: &FunctionBody<'_>,
        memory_locals: bool,
        layout: &Layout<'_>,
    ) -> WasmResult<Self> {
        let func_name = module.display_name(func);
        let offset = body.range().start;
        let unsupported_ty = |what: String, offset: u64| WasmError::Unsupported {
            feature: what,
            function: func_name.clone(),
            offset,
        };
        let sig = module.func_type(func);
        let mut local_types = Vec::new();
        for p in sig.params() {
            local_types.push(
                module
                    .core_type(*p)
                    .map_err(|w| unsupported_ty(w, offset))?,
            );
        }
        let params_count = local_types.len();
        let mut reader = body.get_locals_reader()?;
        for _ in 0..reader.get_count() {
            let pos = reader.original_position();
            let (count, ty) = reader.read()?;
            let ty = module.core_type(ty).map_err(|w| unsupported_ty(w, pos))?;
            if local_types.len() + count as usize > 50_000 {
                return Err(WasmError::ImplLimit {
                    message: "more than 50000 locals".into(),
                    function: func_name,
                    offset: pos,
                });
            }
            local_types.extend(std::iter::repeat_n(ty, count as usize));
        }
        let mut results = Vec::new();
        for r in sig.results() {
            results.push(
                module
                    .core_type(*r)
                    .map_err(|w| unsupported_ty(w, offset))?,
            );
        }

        // Parameters keep the caller's order at the bottom of the frame; declared locals start
        // as zeros in any order, so the most used ones go on top, where every access is cheap.
        let mut order: Vec<usize> = (0..local_types.len()).collect();
        let heat = |i: &usize| layout.heat.get(*i).copied().unwrap_or(0);
        match layout.order {
            LocalOrder::Index => {}
            LocalOrder::Heat => order[params_count..].sort_by_key(heat),
            LocalOrder::HeatWithTop(top) => {
                order[params_count..].sort_by_key(|i| (*i == top, heat(i)));
            }
        }
        let slotless = layout.slotless;
        let mut homes = vec![LocalHome::Carried; local_types.len()];
        let (mut stack_felts, mut mem_felts) = (0, 0);
        for i in order {
            let felts = local_types[i].felts();
            homes[i] = if i >= params_count && slotless.get(i).copied().unwrap_or(false) {
                LocalHome::Carried
            } else if memory_locals {
                mem_felts += felts;
                LocalHome::Memory {
                    index: mem_felts - felts,
                }
            } else {
                stack_felts += felts;
                LocalHome::Stack {
                    pos: stack_felts - 1,
                }
            };
        }
        let locals: Vec<Local> = local_types
            .iter()
            .zip(homes)
            .map(|(ty, home)| Local { ty: *ty, home })
            .collect();
        let params_felts = local_types[..params_count].iter().map(|t| t.felts()).sum();
        // Parameters deeper than the 16 addressable slots cannot be copied with `dup`: such a
        // function moves all of them into procedure locals. Its callers are never export
        // wrappers (core exports take at most 16 felts), so the stack below the arguments is
        // at least 16 deep and popping them never shifts padding zeros in.
        let pops_params = params_felts > MAX_REACH + 1;

        let mut tree = CodeTree::default();
        let root = tree.new_seq();
        let frames = vec![Frame {
            kind: FrameKind::Function,
            params: Vec::new(),
            results,
            base: 0,
            body: root,
            else_seq: None,
            outer: root,
            landings: Vec::new(),
            max_flag: 0,
            in_else: false,
            opener: None,
            label_consts: None,
        }];
        Ok(FuncTranslator {
            module,
            procs,
            func_name,
            func,
            tree,
            root,
            cur: root,
            locals,
            stack_local_felts: if memory_locals && !pops_params {
                params_felts
            } else if memory_locals {
                0
            } else {
                stack_felts
            },
            memory_local_felts: mem_felts,
            params_felts,
            pops_params: memory_locals && pops_params,
            params_count,
            operands: Vec::new(),
            frames,
            dead: false,
            dead_depth: 0,
            offset,
            // Declared locals start at zero; parameters are unknown.
            known_consts: (0..local_types.len())
                .map(|i| (i >= params_count && local_types[i] == CoreType::I32).then_some(0))
                .collect(),
            just_pushed: None,
            // Declared `i32` locals start at zero; parameters are unknown.
            alignment: LocalAlignment::new(
                (0..local_types.len())
                    .map(|i| i >= params_count && local_types[i] == CoreType::I32)
                    .collect(),
                HashMap::new(),
                false,
            ),
            aligned_globals: Vec::new(),
            broken_globals: Vec::new(),
            counted: None,
            at: 0,
            liveness: None,
            shared_checks: HashMap::new(),
            speculate: true,
            slot_used: (0..local_types.len()).map(|i| i < params_count).collect(),
        })
    }

    /// Translates the body; also returns the loop-header alignment assumptions branches broke.
    fn run(
        mut self,
        prepared: &PreparedBody<'_>,
    ) -> TResult<(TranslatedFunction, Vec<(u64, usize)>)> {
        self.prologue()?;
        let (ops, offsets) = (&prepared.ops[..], &prepared.offsets[..]);
        self.shared_checks = prepared.shared_checks.clone();
        let mut at = 0;
        while at < ops.len() {
            self.offset = offsets[at];
            self.at = at;
            if let Some(shape) = self.speculable_loop(ops, at) {
                self.forget_constants_at_joins(&ops[at]);
                self.translate_speculated_loop(ops, at, offsets, &shape)?;
                self.just_pushed = None;
                at += 1 + shape.len;
                continue;
            }
            if self.fold_constant_update(ops, offsets, at)? {
                at += 4;
                continue;
            }
            self.step(ops, at)?;
            at += 1;
        }
        self.tree.thread_jumps(self.root);
        let translated = TranslatedFunction {
            tree: self.tree,
            root: self.root,
            proc_locals: self.memory_local_felts,
            broken_globals: self.broken_globals,
            unused_slots: self.slot_used.iter().map(|used| !used).collect(),
        };
        Ok((translated, self.alignment.into_broken()))
    }

    /// `local.get x  i32.const c  i32.add  local.set x` with `x` known to hold a constant (such
    /// as an induction local rebased on entry, see [`crate::rebased_induction`]) writes the sum
    /// as a constant; reports whether it did.
    fn fold_constant_update(
        &mut self,
        ops: &[Operator<'_>],
        offsets: &[u64],
        at: usize,
    ) -> TResult<bool> {
        let Some(
            [Operator::LocalGet { local_index: x }, Operator::I32Const { value: c }, Operator::I32Add, Operator::LocalSet { local_index: y }],
        ) = ops.get(at..at + 4)
        else {
            return Ok(false);
        };
        let known = self.known_consts.get(*x as usize).copied().flatten();
        let (Some(value), false) = (known, self.dead || x != y) else {
            return Ok(false);
        };
        let sum = (value as u32).wrapping_add(*c as u32);
        self.emit(format!("push.{sum}"));
        self.push(CoreType::I32, false);
        self.set_top_mult4(sum.is_multiple_of(4));
        self.just_pushed = Some(u64::from(sum));
        self.offset = offsets[at + 3];
        self.at = at + 3;
        self.step(ops, at + 3)?;
        Ok(true)
    }

    /// Translates operator `ops[at]` with the bookkeeping around it: constants known in
    /// locals, the alignment of locals, counted loops.
    fn step(&mut self, ops: &[Operator<'_>], at: usize) -> TResult<()> {
        let op = &ops[at];
        // A counted loop's start is the constant its local holds on entry.
        let counted = match op {
            Operator::Loop { .. } if !self.dead => {
                counted_loop::shape(&ops[at + 1..]).and_then(|shape| {
                    let start = self.known_consts[shape.local as usize]?;
                    let range = counted_loop::range(shape, start as u32)?;
                    Some((shape.local, range))
                })
            }
            _ => None,
        };
        self.forget_constants_at_joins(op);
        // A call of a felt intrinsic is its instructions, inline: it traps where it is called.
        let inline_trap = matches!(op, Operator::Call { function_index }
            if self.module.felt_intrinsic(*function_index).is_some());
        self.tree
            .mark((inline_trap || trap_sites::may_trap_operator(op)).then_some(self.offset));
        let (was_dead, frames_before) = (self.dead, self.frames.len());
        self.alignment_before(ops, at, was_dead);
        let carried = self.translate_carried(ops, at)?;
        if !carried {
            self.translate_operator(op)?;
        }
        if let Some((local, range)) = counted {
            self.counted = Some(CountedLoop {
                depth: self.frames.len(),
                local,
                range,
                last_byte: None,
            });
        }
        match self.frames.len().cmp(&frames_before) {
            std::cmp::Ordering::Greater => match op {
                Operator::Loop { .. } => self.alignment.open_loop(self.offset),
                _ => self.alignment.open_block(matches!(op, Operator::If { .. })),
            },
            std::cmp::Ordering::Less => self.alignment.close(!was_dead),
            std::cmp::Ordering::Equal => {}
        }
        self.record_written_constant(op);
        if carried {
            // The slot still holds the value before the write: never skip a later write of
            // the same constant.
            if let Operator::LocalSet { local_index } | Operator::LocalTee { local_index } = op {
                self.known_consts[*local_index as usize] = None;
            }
        }
        self.just_pushed = match op {
            Operator::I32Const { value } if !self.dead => Some(u64::from(*value as u32)),
            _ => None,
        };
        Ok(())
    }

    /// Translates `ops[at]` when it writes a value carried on the stack to its only read, or
    /// is that read (see [`crate::stack_carried`]); false when it is neither.
    fn translate_carried(&mut self, ops: &[Operator<'_>], at: usize) -> TResult<bool> {
        if self.dead {
            return Ok(false);
        }
        match ops[at] {
            Operator::LocalGet { .. } => {
                let Some(index) = self.operands.iter().rposition(|o| o.carried_to == Some(at))
                else {
                    return Ok(false);
                };
                let above = Self::felts_of_operands(&self.operands[index + 1..]);
                match above {
                    0 => {}
                    1 => self.emit("swap"),
                    n => {
                        let n = self.reach(n)?;
                        self.emit(format!("movup.{n}"));
                    }
                }
                let mut value = self.operands.remove(index);
                value.carried_to = None;
                self.operands.push(value);
                Ok(true)
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                let idx = local_index as usize;
                let counted = self.counted.is_some_and(|c| c.local == local_index);
                if self.locals[idx].ty != CoreType::I32 || counted {
                    return Ok(false);
                }
                let locals = self.locals.len();
                let liveness = self
                    .liveness
                    .get_or_insert_with(|| liveness::analyze(ops, locals));
                let Some(carry) =
                    stack_carried::carry(&ops[at..], |offset| liveness.is_last_read(at + offset))
                else {
                    return Ok(false);
                };
                // Everything in between must stay addressable (i64 values count two felts).
                let deepest = self.stack_local_felts + self.operand_felts() + 2 * carry.max_above;
                if deepest > MAX_REACH {
                    return Ok(false);
                }
                let mult4 = self.operands.last().is_some_and(|o| o.mult4);
                self.alignment.set(idx, mult4);
                if matches!(ops[at], Operator::LocalTee { .. }) {
                    // The copy below stays; the one on top is the tee's result.
                    self.emit("dup");
                    let top = *self.operands.last().expect("validated Wasm");
                    self.operands.push(top);
                }
                let carried = self.operands.len()
                    - 1
                    - usize::from(matches!(ops[at], Operator::LocalTee { .. }));
                self.operands[carried].carried_to = Some(at + carry.read);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The speculated-loop shape of the `loop` at `ops[at]`, when running its second part
    /// speculatively is invisible: that part writes only locals dead where the first exit
    /// lands, and no branch carries values.
    fn speculable_loop(
        &mut self,
        ops: &[Operator<'_>],
        at: usize,
    ) -> Option<speculated_loop::LoopShape> {
        let Operator::Loop {
            blockty: BlockType::Empty,
        } = ops[at]
        else {
            return None;
        };
        if self.dead || self.counted.is_some() || !self.speculate {
            return None;
        }
        let shape = speculated_loop::shape(&ops[at + 1..])?;
        // Depths from inside the loop; the loop itself is not a frame yet.
        let target = |depth: u32| self.frames.len().checked_sub(depth as usize);
        let first = &self.frames[target(shape.first_exit)?];
        let mut targets = vec![first];
        if let Tail::Exit(d) = shape.tail {
            targets.push(&self.frames[target(d)?]);
        }
        if targets.iter().any(|f| !f.label_types().is_empty()) {
            return None;
        }
        let opener = first.opener;
        let locals = self.locals.len();
        let liveness = self
            .liveness
            .get_or_insert_with(|| liveness::analyze(ops, locals));
        let live = liveness.at_label(opener)?;
        let dead = |l: &u32| !live.get(*l as usize).copied().unwrap_or(false);
        shape.b_writes.iter().all(dead).then_some(shape)
    }

    /// Translates a speculated loop (see [`crate::speculated_loop`]): `push.0 push.1 while.true
    /// drop A B <combine> end`, with A's exit test kept under B's operands and left on the stack
    /// after the loop, where it selects the exit.
    fn translate_speculated_loop(
        &mut self,
        ops: &[Operator<'_>],
        at: usize,
        offsets: &[u64],
        shape: &speculated_loop::LoopShape,
    ) -> TResult<()> {
        // The header joins the entry with the back edge: what the body writes is not known
        // aligned there.
        for local in &shape.writes {
            self.alignment.set(*local as usize, false);
        }
        // The previous iteration's exit test, dropped first by each iteration.
        self.emit("push.0");
        self.push(CoreType::I32, true);
        self.emit("push.1");
        let outer = self.cur;
        let body = self.tree.new_seq();
        self.tree.push(outer, Node::While { body });
        self.cur = body;
        self.emit("drop");
        self.pop();
        let base = self.operands.len();
        let a = at + 1..at + 1 + shape.a_len;
        let b = a.end + 1..a.end + 1 + shape.b_len;
        for (tests, range) in [a, b].into_iter().enumerate() {
            for i in range {
                self.offset = offsets[i];
                self.at = i;
                self.step(ops, i)?;
            }
            // Each part must leave exactly its test above the tests before it.
            if self.operands.len() != base + tests + 1 || self.dead {
                return Err(Abort::CannotSpeculate);
            }
            let test = self.operands.last_mut().expect("checked above");
            if !test.is_bool {
                self.tree.op(body, "neq.0");
                test.is_bool = true;
            }
        }
        // [c2, c1] -> [continue, c1]
        let combine: &[&str] = match shape.tail {
            Tail::Exit(_) => &["dup.1", "or", "not"],
            Tail::Repeat => &["dup.1", "not", "and"],
        };
        self.emit_all(combine);
        self.pop();
        self.cur = outer;
        // After the loop, [c1]: c1 takes the first exit; otherwise the second exit, or the code
        // after the loop. Depths count from outside the loop now.
        // The values of the last iteration are not those of straight-line code before it (nor
        // what the exits below carry to their targets).
        self.known_consts.iter_mut().for_each(|k| *k = None);
        let first = shape.first_exit - 1;
        self.alignment.branch(first as usize);
        self.br_if(first)?;
        if let Tail::Exit(d) = shape.tail {
            self.alignment.branch(d as usize - 1);
            self.branch(d - 1)?;
            self.mark_dead();
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Helpers for emitting and for stack arithmetic
    // ---------------------------------------------------------------------------------------

    fn emit(&mut self, op: impl Into<Inst>) {
        self.tree.op(self.cur, op);
    }

    fn unsupported(&self, feature: impl Into<String>) -> Abort {
        Abort::Error(WasmError::Unsupported {
            feature: feature.into(),
            function: self.func_name.clone(),
            offset: self.offset,
        })
    }

    fn operand_felts(&self) -> usize {
        self.operands.iter().map(|o| o.ty.felts()).sum()
    }

    /// Whether the two operands on top are both known to be 0 or 1.
    fn top_two_are_bool(&self) -> bool {
        let n = self.operands.len();
        n >= 2 && self.operands[n - 2..].iter().all(|o| o.is_bool)
    }

    fn felts_of_operands(operands: &[Operand]) -> usize {
        operands.iter().map(|o| o.ty.felts()).sum()
    }

    fn felts_of(types: &[CoreType]) -> usize {
        types.iter().map(|t| t.felts()).sum()
    }

    /// Checks that stack position `n` is addressable.
    fn reach(&self, n: usize) -> TResult<usize> {
        if n > MAX_REACH {
            Err(Abort::NeedsMemoryLocals)
        } else {
            Ok(n)
        }
    }

    fn pop(&mut self) -> Operand {
        self.operands
            .pop()
            .expect("validated Wasm never pops an empty operand stack")
    }

    fn push(&mut self, ty: CoreType, is_bool: bool) {
        self.operands.push(Operand {
            ty,
            is_bool,
            mult4: false,
            range: None,
            carried_to: None,
        });
    }

    /// Marks the operand on top as a known multiple of 4 (or not).
    fn set_top_mult4(&mut self, mult4: bool) {
        if let Some(top) = self.operands.last_mut() {
            top.mult4 = mult4 && top.ty == CoreType::I32;
        }
    }

    /// Drops `count` felts lying directly beneath the top `keep` felts.
    fn drop_below(&mut self, keep: usize, count: usize) -> TResult<()> {
        let ops = stack_ops::drop_below(keep, count).ok_or(Abort::NeedsMemoryLocals)?;
        for op in ops {
            self.emit(op);
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Prologue, epilogue and locals
    // ---------------------------------------------------------------------------------------

    fn prologue(&mut self) -> TResult<()> {
        if self.pops_params {
            // The last parameter is on top, its low limb first.
            for local in self.locals[..self.params_count].to_vec().iter().rev() {
                self.store_memory_local(*local);
            }
            self.zero_declared_locals();
        } else if self.memory_local_felts > 0 {
            // Copy params into procedure locals. The originals stay on the stack until the
            // epilogue, so the stack never shrinks below the caller's view of it (a `call`ed
            // export must return with depth exactly 16, and the VM never goes below 16).
            let mut depth = 0;
            for local in self.locals[..self.params_count].to_vec().iter().rev() {
                if let LocalHome::Memory { index } = local.home {
                    for limb in 0..local.ty.felts() {
                        let n = self.reach(depth + limb)?;
                        self.emit(format!("dup.{n}"));
                        self.emit(format!("loc_store.{}", index + limb));
                    }
                }
                depth += local.ty.felts();
            }
            self.zero_declared_locals();
        } else {
            let zeros = self.stack_local_felts - self.params_felts;
            for _ in 0..zeros / 4 {
                self.emit("padw");
            }
            for _ in 0..zeros % 4 {
                self.emit("push.0");
            }
        }
        Ok(())
    }

    /// Zeroes the declared (non-parameter) locals: procedure locals are not cleared between
    /// calls.
    fn zero_declared_locals(&mut self) {
        for local in self.locals.clone().iter().skip(self.params_count) {
            if let LocalHome::Memory { index } = local.home {
                for limb in 0..local.ty.felts() {
                    self.emit("push.0");
                    self.emit(format!("loc_store.{}", index + limb));
                }
            }
        }
    }

    fn store_memory_local(&mut self, local: Local) {
        if let LocalHome::Memory { index } = local.home {
            for limb in 0..local.ty.felts() {
                self.emit(format!("loc_store.{}", index + limb));
            }
        }
    }

    fn local_get(&mut self, idx: u32) -> TResult<()> {
        let local = self.locals[idx as usize];
        self.slot_used[idx as usize] = true;
        match local.home {
            LocalHome::Stack { pos } => {
                // Depth of the local's highest felt (its high limb for i64) from the top.
                let depth = self.operand_felts() + self.stack_local_felts - 1 - pos;
                let n = self.reach(depth + local.ty.felts() - 1)?;
                for _ in 0..local.ty.felts() {
                    self.emit(format!("dup.{n}"));
                }
            }
            LocalHome::Memory { index } => {
                for limb in (0..local.ty.felts()).rev() {
                    self.emit(format!("loc_load.{}", index + limb));
                }
            }
            LocalHome::Carried => return Err(Abort::NeedsSlot),
        }
        self.push(local.ty, false);
        self.set_top_mult4(self.alignment.get(idx as usize));
        if let Some(counted) = self.counted.filter(|c| c.local == idx) {
            self.operands.last_mut().unwrap().range = Some(counted.range);
        }
        Ok(())
    }

    /// Before `op`: branches carry the locals' alignment to their targets, and an `else` of a
    /// live `if` switches to the state on entry.
    fn alignment_before(&mut self, ops: &[Operator<'_>], at: usize, dead: bool) {
        let op = &ops[at];
        match op {
            Operator::BrIf { relative_depth } if !dead => {
                let depth = *relative_depth as usize;
                match alignment::aligned_by_test(&ops[at.saturating_sub(6)..at]) {
                    Some((locals, AlignedEdge::Taken)) => {
                        self.alignment.branch_knowing(depth, &locals)
                    }
                    Some((locals, AlignedEdge::FallThrough)) => {
                        self.alignment.branch(depth);
                        for local in locals {
                            self.alignment.set(local as usize, true);
                        }
                    }
                    None => self.alignment.branch(depth),
                }
            }
            Operator::Br { relative_depth } if !dead => {
                self.alignment.branch(*relative_depth as usize)
            }
            Operator::BrTable { targets } if !dead => {
                for depth in targets.targets().flatten().chain([targets.default()]) {
                    self.alignment.branch(depth as usize);
                }
            }
            Operator::Else if !dead || self.dead_depth == 0 => self.alignment.else_arm(!dead),
            _ => {}
        }
    }

    /// Before `op`: a loop header, `else` or block end may be reached with other values in the
    /// locals, so every known constant is forgotten.
    ///
    /// Except at the end of a `block`: there the constants every branch to it and the fall
    /// through (when reachable) agree on are still known.
    fn forget_constants_at_joins(&mut self, op: &Operator<'_>) {
        let closes_block = matches!(op, Operator::End)
            && !(self.dead && self.dead_depth > 0)
            && self
                .frames
                .last()
                .is_some_and(|f| f.kind == FrameKind::Block);
        if closes_block {
            let frame = self.frames.last().expect("checked above");
            let mut joined = frame.label_consts.clone();
            if !self.dead {
                meet_constants(&mut joined, &self.known_consts);
            }
            let locals = self.known_consts.len();
            self.known_consts = joined.unwrap_or_else(|| vec![None; locals]);
        } else if matches!(op, Operator::Loop { .. } | Operator::Else | Operator::End) {
            self.known_consts.iter_mut().for_each(|k| *k = None);
        }
    }

    /// After `op`: a write to an `i32` local records the constant written, or forgets it.
    fn record_written_constant(&mut self, op: &Operator<'_>) {
        if let Operator::LocalSet { local_index } | Operator::LocalTee { local_index } = op {
            let idx = *local_index as usize;
            if self.locals[idx].ty == CoreType::I32 {
                self.known_consts[idx] = self.just_pushed;
            }
        }
    }

    fn local_set(&mut self, idx: u32) -> TResult<()> {
        let local = self.locals[idx as usize];
        self.slot_used[idx as usize] = true;
        let written_mult4 = self.operands.last().is_some_and(|o| o.mult4);
        self.alignment.set(idx as usize, written_mult4);
        // Writing the constant the local already holds: drop the `push` instead.
        if let (Some(c), LocalHome::Stack { .. }) = (self.just_pushed, local.home) {
            if self.known_consts[idx as usize] == Some(c)
                && self.tree.pop_op(self.cur, &format!("push.{c}"))
            {
                self.pop();
                return Ok(());
            }
        }
        match local.home {
            LocalHome::Stack { pos } => {
                // The value is still on top: depth of the local's low felt counts it.
                let depth = self.operand_felts() + self.stack_local_felts - 1 - pos;
                let n = self.reach(depth)?;
                for _ in 0..local.ty.felts() {
                    if n == 1 {
                        self.emit("swap");
                    } else {
                        self.emit(format!("swap.{n}"));
                    }
                    self.emit("drop");
                }
            }
            LocalHome::Memory { .. } => self.store_memory_local(local),
            LocalHome::Carried => return Err(Abort::NeedsSlot),
        }
        self.pop();
        Ok(())
    }

    fn local_tee(&mut self, idx: u32) -> TResult<()> {
        let ty = self.locals[idx as usize].ty;
        let n = self.reach(ty.felts() - 1)?;
        for _ in 0..ty.felts() {
            self.emit(format!("dup.{n}"));
        }
        let mult4 = self.operands.last().is_some_and(|o| o.mult4);
        self.push(ty, false);
        self.set_top_mult4(mult4);
        self.local_set(idx)?;
        self.set_top_mult4(mult4);
        Ok(())
    }

    /// Leaves only the results on the stack at the end of the function.
    fn epilogue(&mut self) -> TResult<()> {
        let keep = self.operand_felts();
        self.drop_below(keep, self.stack_local_felts)
    }

    // ---------------------------------------------------------------------------------------
    // Control flow
    // ---------------------------------------------------------------------------------------

    fn block_types(&self, ty: BlockType) -> TResult<(Vec<CoreType>, Vec<CoreType>)> {
        let convert = |tys: &[ValType]| -> TResult<Vec<CoreType>> {
            tys.iter()
                .map(|t| self.module.core_type(*t).map_err(|w| self.unsupported(w)))
                .collect()
        };
        match ty {
            BlockType::Empty => Ok((Vec::new(), Vec::new())),
            BlockType::Type(t) => Ok((Vec::new(), convert(&[t])?)),
            BlockType::FuncType(idx) => {
                let ft = &self.module.types[idx as usize];
                Ok((convert(ft.params())?, convert(ft.results())?))
            }
        }
    }

    fn push_frame(&mut self, kind: FrameKind, ty: BlockType, body: SeqId) -> TResult<()> {
        let outer = self.cur;
        let (params, results) = self.block_types(ty)?;
        let base = self.operands.len() - params.len();
        self.frames.push(Frame {
            kind,
            params,
            results,
            base,
            body,
            else_seq: None,
            outer,
            landings: Vec::new(),
            max_flag: 0,
            in_else: false,
            opener: Some(self.at),
            label_consts: None,
        });
        Ok(())
    }

    fn begin_block(&mut self, kind: FrameKind, ty: BlockType) -> TResult<()> {
        let body = self.tree.new_seq();
        if kind == FrameKind::Block {
            self.tree.push(self.cur, Node::Inline(body));
        }
        // A loop's node is appended at its end, once we know whether it ever repeats.
        self.push_frame(kind, ty, body)?;
        self.cur = body;
        Ok(())
    }

    fn begin_if(&mut self, ty: BlockType) -> TResult<()> {
        self.condition_to_bool();
        let (then_seq, else_seq) = self.push_if();
        self.push_frame(FrameKind::If, ty, then_seq)?;
        self.frames.last_mut().unwrap().else_seq = Some(else_seq);
        self.cur = then_seq;
        Ok(())
    }

    /// Pops an i32 condition and makes sure a 0/1 value is on top for `if.true`.
    fn condition_to_bool(&mut self) {
        let cond = self.pop();
        if !cond.is_bool {
            self.emit("neq.0");
        }
    }

    /// Branch to relative label `depth` from the current point (the shape is then dead here).
    fn branch(&mut self, depth: u32) -> TResult<()> {
        let depth = depth as usize;
        let target = self.frames.len() - 1 - depth;
        let mut consts = self.frames[target].label_consts.take();
        meet_constants(&mut consts, &self.known_consts);
        self.frames[target].label_consts = consts;
        let target = &self.frames[self.frames.len() - 1 - depth];
        let keep = Self::felts_of(target.label_types());
        let keep_count = target.label_types().len();
        let base = target.base;
        let drop: usize = self.operands[base..self.operands.len() - keep_count]
            .iter()
            .map(|o| o.ty.felts())
            .sum();
        self.drop_below(keep, drop)?;
        let innermost = self.frames.last_mut().unwrap();
        let flag = depth + innermost.flag_offset();
        if flag == 0 {
            innermost.landings.push(self.cur);
        } else {
            innermost.max_flag = innermost.max_flag.max(flag);
            self.tree.op(self.cur, format!("push.{flag}"));
        }
        Ok(())
    }

    /// Appends `if.true <then> else <else> end` to the current sequence; returns both arms.
    fn push_if(&mut self) -> (SeqId, SeqId) {
        let then_seq = self.tree.new_seq();
        let else_seq = self.tree.new_seq();
        self.tree.push(self.cur, Node::If { then_seq, else_seq });
        (then_seq, else_seq)
    }

    fn br_if(&mut self, depth: u32) -> TResult<()> {
        self.condition_to_bool();
        let (taken, not_taken) = self.push_if();
        self.cur = taken;
        self.branch(depth)?;
        self.cur = not_taken;
        Ok(())
    }

    /// `br_table`: a chain of tests of the index, one arm per distinct target.
    fn br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> TResult<()> {
        self.pop();
        let default = targets.default();
        let mut by_target: Vec<(u32, Vec<u32>)> = Vec::new();
        for (i, target) in targets.targets().enumerate() {
            let target = target.map_err(WasmError::from)?;
            if target == default {
                continue;
            }
            match by_target.iter_mut().find(|(t, _)| *t == target) {
                Some((_, indices)) => indices.push(i as u32),
                None => by_target.push((target, vec![i as u32])),
            }
        }
        // The index stays on top while testing; each arm drops it before branching.
        for (target, indices) in by_target {
            for (k, i) in indices.iter().enumerate() {
                self.emit(if k == 0 { "dup" } else { "dup.1" });
                self.emit(format!("eq.{i}"));
                if k > 0 {
                    self.emit("or");
                }
            }
            let (taken, rest) = self.push_if();
            self.cur = taken;
            self.emit("drop");
            self.branch(target)?;
            self.cur = rest;
        }
        self.emit("drop");
        self.branch(default)
    }

    /// Pops a byte address, adds the static offset and traps unless `size` bytes from there
    /// lie inside linear memory; leaves the effective address (now < 2^32).
    ///
    /// An access whose check another access of its straight-line run makes (see
    /// [`crate::shared_bounds`]) checks nothing; the first access of such a run checks for
    /// all of them.
    fn bounds_checked_address(
        &mut self,
        memarg: &MemArg,
        size: u32,
        range: Option<(u64, u64)>,
    ) -> TResult<()> {
        if memarg.offset > u64::from(u32::MAX) {
            return Err(self.unsupported("memory offsets beyond 4 GiB (memory64)"));
        }
        let size = match self.shared_checks.get(&self.at) {
            Some(SharedCheck::Covered) => {
                if memarg.offset > 0 {
                    self.emit(format!("add.{}", memarg.offset));
                }
                return Ok(());
            }
            Some(SharedCheck::Leader { reach }) => *reach,
            None => u64::from(size),
        };
        if self.check_before_loop(memarg.offset, size, range) {
            if memarg.offset > 0 {
                self.emit(format!("add.{}", memarg.offset));
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
            self.emit(format!("mem_load.{}", layout::ACCESS_LIMITS_ADDR + cell));
            self.emit("u32lt");
            self.emit("assert.err=\"out of bounds memory access\"");
            return Ok(());
        }
        if memarg.offset > 0 {
            self.emit(format!("add.{}", memarg.offset));
        }
        // ea + size <= M (the memory size in bytes) as felts, with ea + size < 2^34 and
        // M <= 2^32: M - (ea + size) is then at most 2^32 (high half 0 or 1) when in bounds,
        // and p - d for some 0 < d < 2^34 (high half near 2^32) when not. 15 cycles, against
        // 26 for a felt `lte` (which decomposes both operands).
        for op in [
            "dup".to_string(),
            format!("add.{size}"),
            format!("mem_load.{}", layout::MEMORY_BYTES_ADDR),
            "swap".into(),
            "sub".into(),
            "u32split".into(),
            "drop".into(),
            "push.2".into(),
            "u32lt".into(),
            "assert.err=\"out of bounds memory access\"".to_string(),
        ] {
            self.emit(op);
        }
        Ok(())
    }

    /// Whether an access at an address of known `range` runs in every iteration of the counted
    /// loop being translated, so that its bounds check joins the one before the loop.
    fn check_before_loop(&mut self, offset: u64, size: u64, range: Option<(u64, u64)>) -> bool {
        let depth = self.frames.len();
        let (Some(counted), Some((_, hi))) = (self.counted.as_mut(), range) else {
            return false;
        };
        let last = hi + offset + size - 1;
        if counted.depth != depth || last > u64::from(u32::MAX) {
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
    fn emit_check_before_loop(&mut self, outer: SeqId) {
        let Some(counted) = self.counted.take() else {
            return;
        };
        if let Some((last, owner)) = counted.last_byte {
            self.tree.mark(Some(owner));
            self.tree.op(outer, format!("push.{last}"));
            self.tree
                .op(outer, format!("mem_load.{}", layout::ACCESS_LIMITS_ADDR));
            self.tree.op(outer, "u32lt");
            self.tree
                .op(outer, "assert.err=\"out of bounds memory access\"");
        }
    }

    fn emit_all(&mut self, ops: &[&str]) {
        for op in ops {
            self.emit(op.to_string());
        }
    }

    /// Pops an end address (a felt) and traps unless it is within linear memory.
    fn emit_limit_check(&mut self) {
        self.emit(format!("mem_load.{MEMORY_PAGES_ADDR}"));
        self.emit_all(&[
            "mul.65536",
            "lte",
            "assert.err=\"out of bounds memory access\"",
        ]);
    }

    /// A load of `size` bytes, narrowed/extended by `widen` to a value of type `ty`.
    fn load(&mut self, memarg: &MemArg, size: u32, ty: CoreType, widen: &[&str]) -> TResult<()> {
        let address = self.pop();
        self.bounds_checked_address(memarg, size, address.range)?;
        if alignment::whole_elements(address.mult4, memarg.offset, size) {
            // [ea] with ea = 4a: element a (and a + 1 for the high limb).
            self.emit("div.4");
            if size == 8 {
                self.emit_all(&["dup", "add.1", "mem_load", "swap", "mem_load"]);
            } else {
                self.emit("mem_load");
            }
        } else if size == 8 {
            self.emit("exec.wasm_load64");
        } else {
            self.emit("exec.wasm_load32");
        }
        for op in widen {
            self.emit(*op);
        }
        self.push(ty, false);
        Ok(())
    }

    /// A felt load: the element of the four-byte slot at the address, which must be a multiple
    /// of 4 (a felt has no byte-level form to assemble from two elements).
    fn felt_load(&mut self, memarg: &MemArg) -> TResult<()> {
        let address = self.pop();
        self.bounds_checked_address(memarg, 4, address.range)?;
        self.emit_felt_slot(address.mult4 && memarg.offset.is_multiple_of(4));
        self.emit("mem_load");
        self.push(CoreType::I32, false);
        Ok(())
    }

    /// A felt store: the whole element into the four-byte slot at the address (a multiple of 4).
    fn felt_store(&mut self, memarg: &MemArg) -> TResult<()> {
        self.pop();
        let address = self.pop();
        // [v, a] -> [a, v]
        self.emit("swap");
        self.bounds_checked_address(memarg, 4, address.range)?;
        self.emit_felt_slot(address.mult4 && memarg.offset.is_multiple_of(4));
        self.emit("mem_store");
        Ok(())
    }

    /// [ea] -> [ea / 4], trapping unless ea is a multiple of 4 (unless known to be one).
    fn emit_felt_slot(&mut self, aligned: bool) {
        if aligned {
            self.emit("div.4");
        } else {
            self.emit_all(&["u32divmod.4", "assertz.err=\"unaligned felt access\""]);
        }
    }

    /// A store of the low `size` bytes of the value on top to the address below it.
    fn store(&mut self, memarg: &MemArg, size: u32) -> TResult<()> {
        let value = self.pop();
        let address = self.pop();
        if value.ty == CoreType::I64 && size < 8 {
            // Only the low limb matters.
            self.emit("swap");
            self.emit("drop");
        }
        // [v.., a] -> [a, v..]
        self.emit(if size == 8 { "movup.2" } else { "swap" });
        self.bounds_checked_address(memarg, size, address.range)?;
        let mask = match size {
            1 => 0xFF,
            2 => 0xFFFF,
            _ => 0xFFFF_FFFFu32,
        };
        if alignment::whole_elements(address.mult4, memarg.offset, size) {
            // [ea, v] (or [ea, lo, hi]) with ea = 4a: element a (and a + 1 for hi).
            self.emit("div.4");
            if size == 8 {
                self.emit_all(&["dup", "movdn.2", "mem_store", "add.1", "mem_store"]);
            } else {
                self.emit("mem_store");
            }
        } else if size == 8 {
            // [ea, lo, hi]: lo at ea, hi at ea + 4.
            self.emit("exec.wasm_store64");
        } else if size == 4 {
            self.emit("exec.wasm_store32");
        } else {
            if size < 4 {
                // [ea, v]: keep only the stored bytes of v.
                self.emit("swap");
                self.emit(format!("u32and.{mask}"));
                self.emit("swap");
            }
            for op in [&format!("push.{mask}"), "movdn.2", "exec.wasm_store_masked"] {
                self.emit(op.to_string());
            }
        }
        Ok(())
    }

    fn mark_dead(&mut self) {
        self.dead = true;
        self.dead_depth = 0;
    }

    /// After a nested construct ended with a flag (at most `max_flag`, relative to the current
    /// frame), guard the rest of the current frame's code.
    fn guard_after_flagged(&mut self, max_flag: usize) {
        let frame = self.frames.last_mut().unwrap();
        let rest = self.tree.new_seq();
        let skip = self.tree.new_seq();
        if max_flag == 1 {
            // Flag 1 targets the current frame: a block lands, a loop continues.
            if frame.kind == FrameKind::Loop {
                self.tree.op(skip, "push.1");
                frame.max_flag = frame.max_flag.max(1);
            } else {
                frame.landings.push(skip);
            }
            self.tree.push(
                self.cur,
                Node::If {
                    then_seq: skip,
                    else_seq: rest,
                },
            );
        } else {
            self.tree.op(self.cur, "dup");
            self.tree.op(self.cur, "eq.0");
            self.tree.push(
                self.cur,
                Node::If {
                    then_seq: rest,
                    else_seq: skip,
                },
            );
            self.tree.op(rest, "drop");
            if frame.kind == FrameKind::Loop {
                frame.max_flag = frame.max_flag.max(max_flag);
            } else {
                self.tree.op(skip, "sub.1");
                frame.max_flag = frame.max_flag.max(max_flag - 1);
            }
        }
        self.cur = rest;
    }

    fn end_frame(&mut self) -> TResult<()> {
        let reachable = !self.dead;
        self.dead = false;
        let mut frame = self
            .frames
            .pop()
            .expect("validated Wasm has balanced frames");
        if reachable {
            frame.landings.push(self.cur);
        }
        if frame.kind == FrameKind::If && !frame.in_else {
            // The implicit else passes the params through as results.
            frame.landings.push(frame.else_seq.unwrap());
        }
        if frame.max_flag > 0 && frame.kind != FrameKind::Loop {
            for seq in &frame.landings {
                self.tree.op(*seq, "push.0");
            }
        }
        self.operands.truncate(frame.base);
        for ty in &frame.results {
            self.push(*ty, false);
        }
        self.cur = frame.outer;
        let exit_flag = match frame.kind {
            FrameKind::Function => {
                debug_assert_eq!(frame.max_flag, 0, "no branch leaves a function");
                return self.epilogue();
            }
            FrameKind::Block | FrameKind::If => frame.max_flag,
            FrameKind::Loop => {
                if self
                    .counted
                    .is_some_and(|c| c.depth == self.frames.len() + 1)
                {
                    self.emit_check_before_loop(frame.outer);
                }
                self.end_loop(&frame)
            }
        };
        if exit_flag > 0 {
            self.guard_after_flagged(exit_flag);
        }
        Ok(())
    }

    /// Closes a loop: a body that never continues runs once, inline; otherwise it becomes a
    /// `while.true` whose condition is "flag 1 reached the end". Returns the exit flag bound.
    fn end_loop(&mut self, frame: &Frame) -> usize {
        let outer = frame.outer;
        if frame.max_flag == 0 {
            self.tree.push(outer, Node::Inline(frame.body));
            return 0;
        }
        for seq in &frame.landings {
            self.tree.op(*seq, "push.0");
        }
        if frame.max_flag >= 2 {
            // The flag f stays on the stack across iterations: `dup eq.1` is the condition
            // (1: continue), each iteration drops the previous flag first, and on exit f - 1
            // (or 0 for a fall-through) is the flag outside the loop. Per iteration this costs
            // 4 cycles instead of an `if` (~13).
            let body = self.tree.new_seq();
            self.tree.op(body, "drop");
            self.tree.push(body, Node::Inline(frame.body));
            self.tree.op(body, "dup");
            self.tree.op(body, "eq.1");
            self.tree.op(outer, "push.0");
            self.tree.op(outer, "push.1");
            self.tree.push(outer, Node::While { body });
            for op in ["dup", "neq.0", "sub"] {
                self.tree.op(outer, op);
            }
            return frame.max_flag - 1;
        }
        self.tree.op(outer, "push.1");
        self.tree.push(outer, Node::While { body: frame.body });
        0
    }

    fn begin_else(&mut self) {
        let reachable = !self.dead;
        self.dead = false;
        let frame = self.frames.last_mut().unwrap();
        if reachable {
            frame.landings.push(self.cur);
        }
        frame.in_else = true;
        self.cur = frame.else_seq.unwrap();
        self.operands.truncate(frame.base);
        let params = frame.params.clone();
        for ty in params {
            self.push(ty, false);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Operators
    // ---------------------------------------------------------------------------------------

    fn translate_operator(&mut self, op: &Operator<'_>) -> TResult<()> {
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
                self.emit(format!("push.{size}"));
                self.push(CoreType::I32, false);
            }
            Operator::MemoryInit { data_index, .. } => self.memory_init(*data_index)?,
            Operator::DataDrop { data_index } => {
                self.emit("push.0");
                self.emit(format!(
                    "mem_store.{}",
                    layout::DATA_LENGTHS_BASE + data_index
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
                self.emit(format!(
                    "mem_store.{}",
                    layout::ELEM_LENGTHS_BASE + elem_index
                ));
            }
            Operator::GlobalGet { global_index } => {
                let g = self.global(*global_index)?;
                for limb in (0..g.ty.felts()).rev() {
                    self.emit(format!("mem_load.{}", g.addr + limb as u32));
                }
                self.push(g.ty, false);
                self.set_top_mult4(self.aligned_globals.get(*global_index as usize) == Some(&true));
            }
            Operator::GlobalSet { global_index } => {
                let g = self.global(*global_index)?;
                let assumed = self.aligned_globals.get(*global_index as usize) == Some(&true);
                if assumed && !self.operands.last().is_some_and(|o| o.mult4) {
                    self.broken_globals.push(*global_index);
                }
                for limb in 0..g.ty.felts() {
                    self.emit(format!("mem_store.{}", g.addr + limb as u32));
                }
                self.pop();
            }
            Operator::MemorySize { .. } => {
                self.emit(format!("mem_load.{MEMORY_PAGES_ADDR}"));
                self.push(CoreType::I32, false);
            }
            Operator::MemoryGrow { .. } => {
                let max = self
                    .module
                    .memory
                    .map_or(0, |m| m.maximum.min(layout::MAX_MEMORY_PAGES));
                for op in [
                    format!("mem_load.{MEMORY_PAGES_ADDR}"),
                    "dup".into(),
                    "movup.2".into(),
                    "add".into(),
                    "dup".into(),
                    format!("push.{max}"),
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
                        self.tree.op(ok, format!("sub.{}", size - 1));
                    }
                    self.tree.op(ok, "dup.1");
                    self.tree.op(ok, "mul");
                    let limit = layout::ACCESS_LIMITS_ADDR + cell as u32;
                    self.tree.op(ok, format!("mem_store.{limit}"));
                }
                self.tree.op(ok, "drop");
                self.tree
                    .op(ok, format!("mem_store.{}", layout::MEMORY_BYTES_ADDR));
                self.tree.op(ok, format!("mem_store.{MEMORY_PAGES_ADDR}"));
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
                self.emit(format!("push.{}", value.bits()));
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
            other => match code_translator::lower(other) {
                OpLowering::Simple { pops, push, code } => {
                    let n = self.operands.len();
                    let flag = |i: usize| n >= i && self.operands[n - i].mult4;
                    let (lhs, rhs) = (flag(2), flag(1));
                    let rhs_const = self.just_pushed;
                    for _ in 0..pops.len() {
                        self.pop();
                    }
                    for line in code {
                        self.emit(*line);
                    }
                    if let Some((ty, is_bool)) = push {
                        self.push(ty, is_bool);
                        self.set_top_mult4(alignment::result_is_multiple_of_4(
                            op, lhs, rhs, rhs_const,
                        ));
                    }
                }
                OpLowering::Const(value) => {
                    for felt in value.to_felts().iter().rev() {
                        self.emit(format!("push.{felt}"));
                    }
                    self.push(value.ty(), false);
                    self.set_top_mult4(matches!(value, CoreValue::I32(v) if v % 4 == 0));
                }
                OpLowering::Unsupported(what) => return Err(self.unsupported(what)),
            },
        }
        Ok(())
    }

    /// `i32.add`/`i32.sub` of a constant (just pushed) to a value of known range, when the
    /// range shows that the sum wraps around 2^32 in every case or in none: then it is a felt
    /// `add`/`sub` of the right constant (2 cycles instead of 3–4), and the result's range is
    /// known too. Returns whether it translated `op`.
    fn ranged_sum(&mut self, op: &Operator<'_>) -> bool {
        const WRAP: u64 = 1 << 32;
        let n = self.operands.len();
        let (Some(c), true) = (self.just_pushed, n >= 2) else {
            return false;
        };
        let Some((lo, hi)) = self.operands[n - 2].range else {
            return false;
        };
        // (instruction, amount, range of the result)
        let (instr, amount, range) = match op {
            Operator::I32Add if hi + c < WRAP => ("add", c, (lo + c, hi + c)),
            Operator::I32Add if lo + c >= WRAP => ("sub", WRAP - c, (lo + c - WRAP, hi + c - WRAP)),
            Operator::I32Sub if lo >= c => ("sub", c, (lo - c, hi - c)),
            Operator::I32Sub if hi < c => ("add", WRAP - c, (lo + WRAP - c, hi + WRAP - c)),
            _ => return false,
        };
        if !self.tree.pop_op(self.cur, &format!("push.{c}")) {
            return false;
        }
        if amount > 0 {
            self.emit(format!("{instr}.{amount}"));
        }
        let lhs_mult4 = self.operands[n - 2].mult4;
        self.operands.truncate(n - 2);
        self.push(CoreType::I32, false);
        self.set_top_mult4(alignment::result_is_multiple_of_4(
            op,
            lhs_mult4,
            c % 4 == 0,
            Some(c),
        ));
        self.operands.last_mut().unwrap().range = Some(range);
        true
    }

    /// Global `index`, if its type is supported.
    fn global(&self, index: u32) -> TResult<crate::module_env::Global> {
        let g = self.module.globals[index as usize].clone();
        match &g.unsupported {
            Some(why) => Err(self.unsupported(why.clone())),
            None => Ok(g),
        }
    }

    fn select(&mut self) -> TResult<()> {
        self.pop();
        let b = self.pop();
        self.pop();
        // Stack: [c, b, a]; the result is c != 0 ? a : b, i.e. (c == 0) ? b : a.
        let code: &[&str] = match b.ty {
            CoreType::I32 => &["eq.0", "cdrop"],
            // [c', b_lo, b_hi, a_lo, a_hi] → pick each limb with the same c'.
            CoreType::I64 => &[
                "eq.0", "movup.3", "movup.2", "dup.2", "cdrop", "movdn.3", "cdrop", "swap",
            ],
        };
        for op in code {
            self.emit(*op);
        }
        self.push(b.ty, false);
        Ok(())
    }

    /// `call_indirect`: checks the index, null entry and type tag, then `dynexec`s the root.
    fn call_indirect(&mut self, type_index: u32, table_index: u32) -> TResult<()> {
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
            "dup".to_string(),
            format!("push.{}", table.size),
            "u32lt".into(),
            "assert.err=\"undefined element\"".into(),
            format!("mul.{}", layout::ENTRY_FELTS),
            format!("add.{}", table.base),
            "dup".into(),
            format!("add.{}", layout::ENTRY_TAG_OFFSET),
            "mem_load".into(),
            "dup".into(),
            "neq.0".into(),
            "assert.err=\"uninitialized element\"".into(),
            format!("eq.{tag}"),
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
    fn table(&self, index: u32) -> TResult<Table> {
        let table = self.module.tables[index as usize].clone();
        match &table.unsupported {
            Some(why) => Err(self.unsupported(why.clone())),
            None => Ok(table),
        }
    }

    /// Element segment `index`, if it is supported.
    fn elem_segment(&self, index: u32) -> TResult<ElemMode> {
        let segment = &self.module.elems[index as usize];
        match &segment.unsupported {
            Some(why) => Err(self.unsupported(why.clone())),
            None => Ok(segment.mode),
        }
    }

    /// With `[n, s, d]` on top, traps with `message` unless `s + n <= len` where `len` is the
    /// value at element address `len_addr`.
    fn check_segment_range(&mut self, len_addr: u32, message: &str) {
        self.emit_all(&["dup.1", "dup.1", "add"]);
        self.emit(format!("mem_load.{len_addr}"));
        self.emit("lte");
        self.emit(format!("assert.err=\"{message}\""));
    }

    /// With `[n, s, d]` on top, traps unless `d + n <= size` (or `s + n` with `dup.1`).
    fn check_table_range(&mut self, pick: &str, size: u32) {
        self.emit_all(&[pick, "dup.1", "add"]);
        self.emit(format!("push.{size}"));
        self.emit("lte");
        self.emit("assert.err=\"out of bounds table access\"");
    }

    /// `memory.init`: `[n, s, d]` copies bytes `s..s+n` of a data segment to address `d`.
    fn memory_init(&mut self, data: u32) -> TResult<()> {
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
        self.emit(format!("add.{addr}"));
        self.emit_all(&["swap", "movdn.2", "swap", "exec.wasm_memory_init"]);
        self.operands.truncate(self.operands.len() - 3);
        Ok(())
    }

    /// `table.init`: `[n, s, d]` copies entries `s..s+n` of an element segment to entry `d`.
    fn table_init(&mut self, elem: u32, table: u32) -> TResult<()> {
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
    fn table_copy(&mut self, dst: u32, src: u32) -> TResult<()> {
        let (dst, src) = (self.table(dst)?, self.table(src)?);
        self.check_table_range("dup.1", src.size);
        self.check_table_range("dup.2", dst.size);
        self.copy_entries(dst.base, src.base);
        Ok(())
    }

    /// `[n, s, d]` → copies `n` entries from entry `s` at `src_base` to entry `d` at `dst_base`.
    fn copy_entries(&mut self, dst_base: u32, src_base: u32) {
        let felts = layout::ENTRY_FELTS;
        for op in [
            "swap".to_string(),
            format!("mul.{felts}"),
            format!("add.{src_base}"),
            "swap".into(),
            "movdn.2".into(),
            "swap".into(),
            format!("mul.{felts}"),
            format!("add.{dst_base}"),
            "exec.wasm_copy_entries".into(),
        ] {
            self.emit(op);
        }
        self.operands.truncate(self.operands.len() - 3);
    }

    fn call(&mut self, func: u32) -> TResult<()> {
        if let Some(intrinsic) = self.module.felt_intrinsic(func) {
            // A felt operation: its instructions in place of the call.
            for _ in intrinsic.params() {
                self.pop();
            }
            for op in intrinsic.instructions() {
                self.emit(op);
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
