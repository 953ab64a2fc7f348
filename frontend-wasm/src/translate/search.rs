//! The search over translations of one function: each candidate layout of its locals
//! (stack slots or procedure locals; index, heat or heat-with-a-local-on-top order) is
//! translated once, priced on the finished code by [`crate::masm::cost_model`], and the
//! cheapest is kept.

use super::*;

/// Translates function `func` (an index into the function index space) from its prepared
/// body ([`crate::prepare`]) and the facts known about it ([`crate::analysis`]).
///
/// Per candidate layout of the locals:
/// 1. **translate** ([`translate_slots`]) into a code tree; when some declared locals turn
///    out never to use their slot (every value they held was carried on the stack), translate
///    again without those slots: the frame is smaller (fewer zeros pushed and dropped,
///    shallower accesses), and a function that needed procedure locals may fit on the stack;
/// 2. **MASM passes** ([`TranslatedFunction::masm_passes`]): jump threading, then the final
///    passes (constant selects, guarded loops, peephole);
/// 3. **price** ([`crate::masm::cost_model`]) the finished code; the cheapest layout is kept.
pub fn translate_function(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    func: u32,
    body: &PreparedBody<'_>,
    facts: &FunctionFacts,
) -> WasmResult<TranslatedFunction> {
    let heat = &body.heat;
    let layout = |order: LocalOrder| -> TResult<TranslatedFunction> {
        let translate = |slotless: &[bool], split: bool| {
            let layout = Layout {
                slotless,
                heat,
                order,
            };
            let attempt = Attempt {
                body,
                facts,
                layout: &layout,
            };
            if split {
                split_frames(module, procs, func, &attempt)
            } else {
                translate_slots(module, procs, func, &attempt)
            }
        };
        let first = translate(&[], false)?;
        let (chosen, slotless) = if first.unused_slots.contains(&true) {
            let slotless = first.unused_slots.clone();
            match translate(&slotless, false) {
                Ok(second) => (second, slotless),
                Err(_) => (first, Vec::new()),
            }
        } else {
            (first, Vec::new())
        };
        let chosen = chosen.masm_passes();
        // A frame in procedure locals: the split frames that fit compete with it.
        if chosen.proc_locals == 0 {
            return Ok(chosen);
        }
        match translate(&slotless, true) {
            Ok(split) if split.estimated_cycles() < chosen.estimated_cycles() => Ok(split),
            _ => Ok(chosen),
        }
    };
    let mut best = match layout(LocalOrder::Heat) {
        Ok(t) => t,
        Err(Abort::Error(e)) => return Err(e),
        Err(_) => {
            return Err(WasmError::ImplLimit {
                message: "the function needs more than 16 operand-stack slots at once".into(),
                function: module.display_name(func),
                offset: body.start,
            })
        }
    };
    // Hottest on top is usually best, but a slot's exact depth decides what each access costs
    // (`dup.8` 3 cycles, `dup.9` 1; `movup.k` 1 but `swap.k` 2): keep the cheapest estimate
    // among index order and, in a small function with loops, heat order with each other
    // declared local moved to the top.
    let params = body.params;
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
    // The pointers of passes held as element addresses (merges of words) are most of such a
    // function's accesses: each is tried on top too, whatever the number of locals.
    for local in facts.element_pointers() {
        let order = LocalOrder::HeatWithTop(local as usize);
        if local as usize >= params
            && !candidates
                .iter()
                .any(|c| matches!(c, LocalOrder::HeatWithTop(l) if *l == local as usize))
        {
            candidates.push(order);
        }
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
    /// By heat ([`PreparedBody::heat`]), the hottest on top.
    Heat,
    /// By heat, but with this local on top.
    HeatWithTop(usize),
}

/// How a translation places the locals.
pub(super) struct Layout<'l> {
    /// Locals given no slot (see [`LocalHome::Carried`]).
    pub(super) slotless: &'l [bool],
    /// Per local, how much it is used ([`PreparedBody::heat`]).
    pub(super) heat: &'l [u64],
    /// The order of the declared locals.
    pub(super) order: LocalOrder,
}

impl TranslatedFunction {
    /// Runs the MASM-level passes on the translated tree: jump threading
    /// ([`CodeTree::thread_jumps`]), then the final passes ([`CodeTree::finish`]).
    /// Runs once: a split frame's translation is finished early to be priced.
    fn masm_passes(mut self) -> Self {
        if !self.finished {
            self.tree.thread_jumps(self.root);
            self.code = self.tree.finish(self.root);
            self.finished = true;
        }
        self
    }

    /// A static estimate of the finished body's cycles (see [`crate::masm::cost_model`]).
    fn estimated_cycles(&self) -> u64 {
        cost_model::estimated_cycles(&self.code)
    }
}

/// Translates with the locals placed as `layout` says, keeping them on the stack when they fit
/// and in procedure locals otherwise.
fn translate_slots(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    func: u32,
    attempt: &Attempt<'_, '_>,
) -> TResult<TranslatedFunction> {
    let translate = |homes| translate_once(module, procs, func, attempt, homes);
    match translate(Homes::Stack) {
        Err(Abort::NeedsMemoryLocals | Abort::CannotSpeculate) => translate(Homes::Memory),
        other => other,
    }
}

/// The cheapest split frame ([`Homes::Split`]) of a function whose locals do not all fit on
/// the stack: the hottest declared locals keep stack slots, as many as still fit, and the rest
/// go to procedure locals, so a loop's few hot locals cost a `dup` instead of a `loc_load`.
/// The first few splits that fit, from the most slots down, are finished and priced.
fn split_frames(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    func: u32,
    attempt: &Attempt<'_, '_>,
) -> TResult<TranslatedFunction> {
    let mut best: Option<TranslatedFunction> = None;
    let mut priced = 0;
    for stack_felts in (1..=MAX_SPLIT_SLOTS).rev() {
        if priced == MAX_SPLITS_PRICED {
            break;
        }
        match translate_once(module, procs, func, attempt, Homes::Split { stack_felts }) {
            Ok(t) => {
                priced += 1;
                let t = t.masm_passes();
                if best
                    .as_ref()
                    .is_none_or(|b| t.estimated_cycles() < b.estimated_cycles())
                {
                    best = Some(t);
                }
            }
            Err(Abort::Error(e)) => return Err(Abort::Error(e)),
            Err(_) => {}
        }
    }
    best.ok_or(Abort::NeedsMemoryLocals)
}

/// The most declared-local felts a split frame keeps on the stack.
const MAX_SPLIT_SLOTS: usize = 14;

/// Split frames priced per layout: the first few that fit, from the most stack slots down.
const MAX_SPLITS_PRICED: usize = 3;

/// Where a translation keeps the locals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Homes {
    /// Every local in a stack slot.
    Stack,
    /// The hottest declared locals (up to this many felts) in stack slots, the rest in
    /// procedure locals.
    Split { stack_felts: usize },
    /// Every local in procedure locals.
    Memory,
}

/// What every translation attempt of one function shares.
pub(super) struct Attempt<'t, 'b> {
    pub(super) body: &'t PreparedBody<'b>,
    pub(super) facts: &'t FunctionFacts,
    pub(super) layout: &'t Layout<'t>,
}

/// Translates the body once; when a speculated loop turns out not to keep its tests alone on
/// the operand stack ([`Abort::CannotSpeculate`]), once more without speculated loops.
fn translate_once(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    func: u32,
    attempt: &Attempt<'_, '_>,
    homes: Homes,
) -> TResult<TranslatedFunction> {
    let run = |speculate: bool| {
        let mut translator = FuncTranslator::new(module, procs, func, attempt, homes);
        translator.speculate = speculate;
        translator.run(attempt.body)
    };
    match run(true) {
        // Without speculation no loop is translated that way.
        Err(Abort::CannotSpeculate) => run(false),
        other => other,
    }
}
