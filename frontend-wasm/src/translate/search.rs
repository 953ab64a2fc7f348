//! The search over translations of one function: each candidate layout of its locals
//! (stack slots or procedure locals; index, heat or heat-with-a-local-on-top order), each
//! translated with the loop-header alignment assumptions that hold, priced on the finished
//! code by [`crate::masm::cost_model`]; the cheapest is kept.

use super::*;

/// Translates function `func` (an index into the function index space), assuming the globals
/// marked in `aligned_globals` hold multiples of 4 (the result lists the ones it breaks).
///
/// A body goes through, in order:
/// 1. **prepare** ([`PreparedBody`], once): loop shapes, rebased induction locals, shared
///    bounds checks;
/// 2. **translate** ([`translate_slots`], per candidate layout of the locals): the analyses
///    run along the translation (alignment, counted loops, speculated loops, carried locals),
///    and the body is translated again while an alignment assumption or a declared slot turns
///    out not to hold or not to be needed;
/// 3. **MASM passes** ([`TranslatedFunction::masm_passes`]): jump threading, then the final
///    passes (constant selects, guarded loops, peephole);
/// 4. **price** ([`crate::masm::cost_model`]) each candidate's finished code and keep the
///    cheapest.
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
        let chosen = if first.unused_slots.contains(&true) {
            translate(&first.unused_slots).unwrap_or(first)
        } else {
            first
        };
        Ok(chosen.masm_passes())
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
pub(super) enum LocalOrder {
    /// By index.
    Index,
    /// By heat ([`local_heat`]), the hottest on top.
    Heat,
    /// By heat, but with this local on top.
    HeatWithTop(usize),
}

/// How a translation places the locals.
pub(super) struct Layout<'l> {
    /// Locals given no slot (see [`LocalHome::Carried`]).
    pub(super) slotless: &'l [bool],
    /// Per local, how much it is used ([`local_heat`]).
    pub(super) heat: &'l [u64],
    /// The order of the declared locals.
    pub(super) order: LocalOrder,
}

impl TranslatedFunction {
    /// Runs the MASM-level passes on the translated tree: jump threading
    /// ([`CodeTree::thread_jumps`]), then the final passes ([`CodeTree::finish`]).
    fn masm_passes(mut self) -> Self {
        self.tree.thread_jumps(self.root);
        self.code = self.tree.finish(self.root);
        self
    }

    /// A static estimate of the finished body's cycles (see [`crate::masm::cost_model`]).
    fn estimated_cycles(&self) -> u64 {
        cost_model::estimated_cycles(&self.code)
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
pub(super) struct Attempt<'t, 'b> {
    pub(super) body: &'t FunctionBody<'b>,
    /// The body's operators prepared for translation, once the first attempt has.
    pub(super) prepared: &'t OnceCell<PreparedBody<'b>>,
    pub(super) aligned_globals: &'t [bool],
    pub(super) layout: &'t Layout<'t>,
}

/// A function body's operators, read once and rewritten for translation (loop shapes,
/// rebased induction locals), with the bounds checks their accesses share: the same for
/// every layout and round of the function.
pub(super) struct PreparedBody<'b> {
    pub(super) ops: Vec<Operator<'b>>,
    /// The byte offset of each operator, for diagnostics.
    pub(super) offsets: Vec<u64>,
    pub(super) shared_checks: HashMap<usize, SharedCheck>,
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
