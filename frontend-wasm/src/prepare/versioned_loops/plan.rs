//! Planning the versioning of one loop: its counter, the groups of addresses the test before it
//! bounds, and what the unrolled passes may assume (aligned accesses, bytes placed in their
//! element, word merges and copies, words read ahead).

use std::collections::{BTreeMap, HashMap, HashSet};

use wasmparser::Operator;

use super::address::{
    evaluate, expression_start, is_store, sums_in, whole_elements, Def, Relied, Sym, MAX_REACH,
};
use super::anchors::{residue, word_anchor, word_copy_at, Anchor, Residue};
use super::element_pointers::{
    element_pointers, plain_element_pointers, shifted, ElementAccess, ElementPointers,
    PlainElements, WordAccesses,
};
use super::shape::{
    constant_start, counter, derived_locals, leaves_early, repeats_elsewhere, with_depth,
};
use super::shape::{Bound, Counter, Derived};
use super::word_loads::{word_groups, word_load, writes_no_memory, ElementLoad, WordGroup};
use super::word_loads::{WordLoad, MAX_WORD_LOADS};
use super::{Callee, MAX_BODY};
use crate::analysis::counted_loop::{body_len, written_local};
use crate::prepare::shared_bounds::access;

/// The fewest iterations a loop over a constant range must run for its test to pay: about the
/// cost of the test in single checks saved.
const MIN_CONSTANT_TRIPS: u64 = 16;

/// Covered accesses whose addresses move the same way, which the test bounds together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Group {
    /// `B + (i << shift) + C`.
    Counter { base: Option<u32>, shift: u32 },
    /// `p + C` for a derived local `p` stepped by `step` (see [`shape::Derived`]).
    Pointer { local: u32, step: u32 },
    /// `B + C` for a local the loop never writes: one address per access, the same in every
    /// iteration (a field of a struct the loop updates, a stack temporary).
    Invariant { local: u32 },
}

/// What versioning one loop needs: its counter, the groups of covered accesses with their
/// largest constant part `C + offset + size - 1`, and the covered accesses (body-relative).
pub(super) struct Plan {
    pub(super) counter: Counter,
    pub(super) body_len: usize,
    pub(super) reach: BTreeMap<Group, u64>,
    /// Per group with an address operand below its moving part, the lowest constant of such
    /// an operand (negative): the test checks the group's lowest value is at least its negation.
    pub(super) floor: BTreeMap<Group, i64>,
    /// Whether the counter is read after its step other than by the back edge.
    pub(super) stepped_reads: bool,
    /// Whether the counter may count up to 0 from a value above 2^31 (`i != 0`, and no
    /// address reads it): LLVM counts `-T` up to 0 this way. Its values then stay below 2^32,
    /// so the unrolled copies' `i + k·s` still never wrap.
    pub(super) wraps: bool,
    /// The `i32.add`s and `i32.shl`s of covered addresses (body-relative): their values lie
    /// below the memory size, so they never wrap.
    pub(super) nowrap_ops: Vec<usize>,
    pub(super) covered: Vec<usize>,
    /// Covered felt accesses made aligned by the test, and what it must test for that: the
    /// counter (when the shift does not align it) and the bases.
    pub(super) aligned: Vec<usize>,
    pub(super) align_counter: bool,
    pub(super) align_bases: Vec<u32>,
    /// Byte and half-word accesses placed within their element by the anchors.
    pub(super) residues: Vec<Residue>,
    pub(super) anchors: Vec<Anchor>,
    /// `merge_words` calls whose addresses are multiples of 16 when the word anchors are.
    pub(super) word_merges: Vec<usize>,
    pub(super) word_anchors: Vec<Anchor>,
    /// 16-byte copies between addresses that are multiples of 16 when the word anchors are.
    pub(super) word_copies: Vec<usize>,
    /// Loads read a word at a time when the load anchors are multiples of 16.
    pub(super) word_loads: Vec<WordLoad>,
    pub(super) load_anchors: Vec<Anchor>,
    /// Groups of four loads reading one word per iteration, when the word anchors are.
    pub(super) word_groups: Vec<WordGroup>,
    /// The locals the passes hold as element addresses (those of the word merges and copies).
    pub(super) elements: Option<ElementPointers>,
    /// The locals the unchecked copy holds as element addresses when it is not unrolled.
    pub(super) plain_elements: Option<PlainElements>,
}

pub(super) fn plan(
    ops: &[Operator<'_>],
    loop_at: usize,
    callee: &dyn Fn(u32) -> Callee,
) -> Option<Plan> {
    let len = body_len(&ops[loop_at + 1..])?;
    let body = &ops[loop_at + 1..loop_at + 1 + len];
    // A `br_table`'s targets cannot be rewritten (they are read from the module's bytes).
    let blocks = |op: &Operator<'_>| matches!(op, Operator::Loop { .. } | Operator::BrTable { .. });
    if len > MAX_BODY || body.iter().any(blocks) || leaves_early(body) {
        return None;
    }
    let counter = counter(body)?;
    if counter.step == 0 {
        return None;
    }
    // Over a constant range the trip count is known: a short loop does not pay for the test.
    let trips = match (counter.bound, constant_start(ops, loop_at, counter.local)) {
        (Bound::Const(n), Some(start)) => {
            let span = if counter.step > 0 {
                (n as u32).wrapping_sub(start as u32)
            } else {
                (start as u32).wrapping_sub(n as u32)
            };
            Some(u64::from(span) / u64::from(counter.step.unsigned_abs()))
        }
        _ => None,
    };
    let constant_range = trips.is_some();
    if trips.is_some_and(|t| t < MIN_CONSTANT_TRIPS) {
        return None;
    }
    // The step must move i towards the bound: up for both tests, down only with `ne`.
    if counter.step < 0 && (counter.below || counter.step == i32::MIN) {
        return None;
    }
    if !counter.step_in_back_edge && repeats_elsewhere(body) {
        return None;
    }
    // Every local written in the body, but for the step.
    let written: HashSet<u32> = body
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != counter.update)
        .filter_map(|(_, op)| written_local(op))
        .collect();
    if written.contains(&counter.local)
        || matches!(counter.bound, Bound::Local(n) if written.contains(&n) || n == counter.local)
    {
        return None;
    }
    let derived = if counter.step > 0 && !repeats_elsewhere(body) {
        derived_locals(body, counter.local)
    } else {
        HashMap::new()
    };
    let mut scope = Scope {
        body,
        counter: &counter,
        written: &written,
        derived: &derived,
        defs: HashMap::new(),
    };
    scope.find_defs();
    let mut reach = BTreeMap::new();
    let mut floor = BTreeMap::new();
    let mut nowrap_ops = Vec::new();
    let mut covered = Vec::new();
    let (mut aligned, mut align_counter, mut align_bases) = (Vec::new(), false, Vec::new());
    let (mut residues, mut anchors) = (Vec::new(), Vec::new());
    let (mut word_loads, mut load_anchors) = (Vec::new(), Vec::new());
    let mut element_loads = Vec::new();
    let mut element_accesses = Vec::new();
    let reads_ahead = writes_no_memory(body, callee);
    for (j, op) in body.iter().enumerate() {
        let Some((memarg, size)) = access(op) else {
            continue;
        };
        let value_len = if is_store(op) {
            expression_start(body, j.checked_sub(1)?).map(|s| j - s)
        } else {
            Some(0)
        };
        let Some(address_end) = value_len.and_then(|v| j.checked_sub(v + 1)) else {
            continue;
        };
        let Some(start) = expression_start(body, address_end) else {
            continue;
        };
        let (sym, relied) = scope.evaluate(start..address_end + 1);
        let ors_counter = relied.ors_counter;
        let Some((group, constant, moves_by_words, align_start, align_local)) =
            grouped(sym, j, &counter, &derived)
        else {
            let whole = whole_elements(op, size) && memarg.offset.is_multiple_of(4);
            let base = indexed_base(&scope, start..=address_end)
                .or_else(|| scope.indexed_local(start..=address_end, j));
            if let Some(base) = base.filter(|_| whole) {
                aligned.push(j);
                align_bases.push(base);
            }
            continue;
        };
        // The access's lowest and highest bytes, relative to the group's moving part.
        let low = constant + memarg.offset as i64;
        let k = low + i64::from(size) - 1;
        if k >= MAX_REACH as i64 || constant <= -(MAX_REACH as i64) {
            continue;
        }
        // An address operand below the moving part (`p - 4`, `a[i - 1]`): the test checks the
        // lowest operand is not below 0 (Wasm adds the static offset only to an operand that
        // did not wrap), which it knows for a loop counting up only.
        let below = constant < 0;
        if below && counter.step < 0 {
            continue;
        }
        let entry = reach.entry(group).or_insert(0);
        *entry = (*entry).max(k.max(0) as u64);
        if below {
            let entry = floor.entry(group).or_insert(0);
            *entry = (*entry).min(constant);
        }
        covered.push(j);
        // Adding a negative constant wraps in u32 arithmetic, and so may the sums after it
        // (a partial sum can also be kept by a `local.tee`): an expression with one keeps
        // u32 additions throughout.
        let negative = |op: &Operator<'_>| matches!(op, Operator::I32Const { value } if *value < 0);
        if !body[start..=address_end].iter().any(negative) {
            nowrap_ops.extend(sums_in(body, start..=address_end));
        }
        // `i | c` is `i + c` only while i is a multiple of 4: the test checks the start.
        align_counter |= ors_counter;
        // A felt, word or double-word access is aligned when the local, the moving part and
        // the constant all are.
        if whole_elements(op, size) && moves_by_words && low.rem_euclid(4) == 0 {
            aligned.push(j);
            align_counter |= align_start;
            align_bases.extend(align_local);
            // The passes that re-read an address's operators leave alone one that relies on
            // a local written in the iteration, and one below its moving part.
            if below {
                continue;
            }
            if size == 4 && memarg.offset.is_multiple_of(4) && !relied.defs {
                element_accesses.push(ElementAccess {
                    at: j,
                    expr: start..=address_end,
                });
            }
            if reads_ahead && !ors_counter && !relied.defs && size == 4 {
                element_loads.push(ElementLoad {
                    at: j,
                    expr: start..=address_end,
                    offset: memarg.offset,
                    sym,
                });
            }
        }
        if size <= 2 && !ors_counter && !relied.defs && !below {
            let expr = start..=address_end;
            if let Some((anchor, residue)) = residue(body, expr, j, sym, &counter, &derived) {
                residues.push(residue);
                add_anchors(&mut anchors, [anchor]);
            }
        }
    }
    align_bases.sort_unstable();
    align_bases.dedup();
    for load in &element_loads {
        if word_loads.len() == MAX_WORD_LOADS {
            break;
        }
        if let Some((anchor, load)) = word_load(body, load, &counter, &derived, &written) {
            word_loads.push(load);
            add_anchors(&mut load_anchors, [anchor]);
        }
    }
    let mut bounds = Bounds {
        reach: &mut reach,
        nowrap_ops: &mut nowrap_ops,
        align_counter: &mut align_counter,
    };
    let (word_merges, mut word_anchors) = word_merges(&scope, callee, &mut bounds);
    // Single iterations align either the byte anchors or the load anchors, not both.
    if !residues.is_empty() {
        word_loads.clear();
        load_anchors.clear();
    }
    // Groups of four loads reading one word, besides the loads read a word at a time.
    let taken: Vec<usize> = word_loads.iter().map(WordLoad::at).collect();
    let found = word_groups(body, &element_loads, &counter, &derived, &written, &taken);
    let mut groups = Vec::new();
    for (anchor, group) in found.into_iter().take(MAX_WORD_LOADS - word_loads.len()) {
        groups.push(group);
        add_anchors(&mut word_anchors, [anchor]);
    }
    let word_copies = word_copies(&scope, &covered, &mut word_anchors);
    let plain_elements = plain_element_pointers(
        body,
        &element_accesses,
        &align_bases,
        &derived,
        &counter,
        align_counter,
    );
    // Loads read a word ahead compute their byte addresses where a pass starts: their loops
    // keep byte addresses.
    if !word_loads.is_empty() || !groups.is_empty() {
        element_accesses.clear();
    }
    let words = WordAccesses {
        merges: &word_merges,
        copies: &word_copies,
        anchors: &word_anchors,
    };
    let elements = element_pointers(body, &words, &element_accesses, &align_bases, &derived);
    // The back edge's `local.get i` (form B) is its last read; any other after the step counts.
    let back_edge_read = body.iter().rposition(
        |op| matches!(op, Operator::LocalGet { local_index } if *local_index == counter.local),
    );
    let stepped_reads = body.iter().enumerate().any(|(j, op)| {
        j > counter.update
            && Some(j) != back_edge_read
            && matches!(op, Operator::LocalGet { local_index } if *local_index == counter.local)
    });
    // A pointer the test covers ends below the memory size plus its step: its step is a felt
    // `add` too.
    nowrap_ops.extend(reach.keys().filter_map(|group| match group {
        Group::Pointer { local, .. } => Some(derived[local].update - 1),
        Group::Counter { .. } | Group::Invariant { .. } => None,
    }));
    // Invariant addresses alone are checked once per iteration as cheaply as the test would;
    // in a loop over a constant range, addresses of the counter alone are checked once
    // before it already (`analysis::counted_loop`): only a base or a pointer calls for a test.
    let moving = |group: &Group| match group {
        Group::Invariant { .. } => false,
        Group::Counter { base: None, .. } => !constant_range,
        Group::Counter { .. } | Group::Pointer { .. } => true,
    };
    let reads_counter = reach
        .keys()
        .any(|group| matches!(group, Group::Counter { .. }));
    let wraps =
        !counter.below && counter.step > 0 && counter.bound == Bound::Const(0) && !reads_counter;
    reach.keys().any(moving).then_some(Plan {
        counter,
        body_len: len,
        stepped_reads,
        wraps,
        nowrap_ops,
        reach,
        floor,
        covered,
        aligned,
        align_counter,
        align_bases,
        residues,
        anchors,
        word_merges,
        word_anchors,
        word_copies,
        word_loads,
        load_anchors,
        word_groups: groups,
        elements,
        plain_elements,
    })
}

/// A loop body and what its address expressions are evaluated against.
struct Scope<'s, 'b> {
    body: &'s [Operator<'b>],
    counter: &'s Counter,
    written: &'s HashSet<u32>,
    derived: &'s HashMap<u32, Derived>,
    /// Per local written only at the body's top level, its writes in order.
    defs: HashMap<u32, Vec<Def>>,
}

impl Scope<'_, '_> {
    /// The symbolic value of the address expression `body[expr]`, and what it relied on.
    fn evaluate(&self, expr: std::ops::Range<usize>) -> (Sym, Relied) {
        let mut relied = Relied::default();
        let stride = self.counter.step.unsigned_abs();
        let sym = evaluate(
            (&self.body[expr.clone()], expr.start),
            (self.counter.local, stride),
            self.written,
            self.derived,
            &|local, at| self.def(local, at),
            &mut relied,
        );
        (sym, relied)
    }

    /// The value of local `local` read at body index `at`, when its last write before `at` in
    /// the same iteration is a [`Def`] and no step of the counter or of a pointer the value
    /// depends on lies in between (the value would then be one step behind).
    fn def(&self, local: u32, at: usize) -> Option<Sym> {
        let def = self.last_write(local, at)?;
        let between = |update: usize| def.at < update && update < at;
        let sym = def.sym?;
        let Sym::Sum { shift, derived, .. } = sym else {
            return Some(sym);
        };
        let stale = (shift.is_some() && between(self.counter.update))
            || derived.is_some_and(|p| between(self.derived[&p].update));
        (!stale).then_some(sym)
    }

    /// The base `B` of the address `B + (x << k)` that `local.get t` (the address `body[expr]`
    /// of the access at `at`) reads, when `t`'s last write before the access in the same
    /// iteration is a [`Def`] of such an address (`local.tee t` of an indexed load, then a
    /// store through `t`: a histogram's `count[b] += 1`, a partition's `v[k] = x`).
    fn indexed_local(&self, expr: std::ops::RangeInclusive<usize>, at: usize) -> Option<u32> {
        let [Operator::LocalGet { local_index }] = &self.body[expr] else {
            return None;
        };
        let value_end = self.last_write(*local_index, at)?.at.checked_sub(1)?;
        indexed_base(self, expression_start(self.body, value_end)?..=value_end)
    }

    /// The last top-level write of `local` before body index `at` (see [`Def`]).
    fn last_write(&self, local: u32, at: usize) -> Option<&Def> {
        self.defs.get(&local)?.iter().rev().find(|w| w.at < at)
    }

    /// The writes of the locals other than the counter and its pointers that the body writes
    /// only at its top level, each with its value when [`evaluate`] knows it.
    fn find_defs(&mut self) {
        let body = self.body;
        let top_level = |op: &Operator<'_>, depth: u32| match written_local(op) {
            Some(local) if depth == 0 => Some((local, true)),
            Some(local) => Some((local, false)),
            None => None,
        };
        let writes: Vec<(usize, u32, bool)> = with_depth(body)
            .filter_map(|(j, depth, op)| top_level(op, depth).map(|(l, top)| (j, l, top)))
            .collect();
        // Locals written in a construct (or stepped) have no values here.
        let excluded: HashSet<u32> = writes
            .iter()
            .filter(|(_, local, top)| {
                !top || *local == self.counter.local || self.derived.contains_key(local)
            })
            .map(|(_, local, _)| *local)
            .collect();
        for (j, local, _) in writes {
            if excluded.contains(&local) {
                continue;
            }
            let start = j.checked_sub(1).and_then(|e| expression_start(body, e));
            let sym = start
                .map(|start| self.evaluate(start..j).0)
                .filter(|sym| *sym != Sym::Unknown);
            self.defs.entry(local).or_default().push(Def { at: j, sym });
        }
    }
}

/// What the test before the loop bounds: each group's reach, the `add`s of covered addresses,
/// and whether it checks the counter's alignment.
struct Bounds<'p> {
    reach: &'p mut BTreeMap<Group, u64>,
    nowrap_ops: &'p mut Vec<usize>,
    align_counter: &'p mut bool,
}

/// The `merge_words` calls of the body whose three addresses stay multiples of 16 when their
/// anchors are, and those anchors. Every call's three addresses (`out`, `b`, `a`, each an
/// expression before it, 16 bytes each) join the test's bounds: their sums and the steps of
/// their pointers then never wrap (the call itself checks no bounds).
fn word_merges(
    scope: &Scope<'_, '_>,
    callee: &dyn Fn(u32) -> Callee,
    bounds: &mut Bounds<'_>,
) -> (Vec<usize>, Vec<Anchor>) {
    let (body, counter, derived) = (scope.body, scope.counter, scope.derived);
    let (mut word_merges, mut word_anchors) = (Vec::new(), Vec::new());
    for (j, op) in body.iter().enumerate() {
        let Operator::Call { function_index } = op else {
            continue;
        };
        if callee(*function_index) != Callee::MergeWords {
            continue;
        }
        let mut end = j;
        let mut word_aligned = Some(Vec::new());
        for _ in 0..3 {
            let Some(start) = end.checked_sub(1).and_then(|e| expression_start(body, e)) else {
                word_aligned = None;
                break;
            };
            let (sym, relied) = scope.evaluate(start..end);
            let ors_counter = relied.ors_counter;
            if let Some((group, constant, ..)) = grouped(sym, j, counter, derived) {
                let k = constant + 15;
                if constant >= 0 && k < MAX_REACH as i64 {
                    let entry = bounds.reach.entry(group).or_insert(0);
                    *entry = (*entry).max(k as u64);
                    bounds.nowrap_ops.extend(sums_in(body, start..=end - 1));
                    *bounds.align_counter |= ors_counter;
                }
            }
            match (
                &mut word_aligned,
                word_anchor(sym, counter, derived, ors_counter).filter(|_| !relied.defs),
            ) {
                (Some(anchors), Some(anchor)) => anchors.extend(anchor),
                _ => word_aligned = None,
            }
            end = start;
        }
        if let Some(anchors) = word_aligned {
            word_merges.push(j);
            add_anchors(&mut word_anchors, anchors);
        }
    }
    (word_merges, word_anchors)
}

/// The 16-byte copies of the body (two `i64` moves, see [`word_copy_at`]) whose four moves are
/// covered and whose two locals stay multiples of 16 when their anchors (added to
/// `word_anchors`) are.
fn word_copies(
    scope: &Scope<'_, '_>,
    covered: &[usize],
    word_anchors: &mut Vec<Anchor>,
) -> Vec<usize> {
    let mut copies = Vec::new();
    for j in 0..scope.body.len() {
        let Some((q, t)) = word_copy_at(scope.body, j) else {
            continue;
        };
        if ![2, 3, 6, 7].iter().all(|k| covered.contains(&(j + k))) {
            continue;
        }
        let anchor_of = |local: u32| {
            let get = [Operator::LocalGet { local_index: local }];
            let mut relied = Relied::default();
            let stride = scope.counter.step.unsigned_abs();
            let sym = evaluate(
                (&get, 0),
                (scope.counter.local, stride),
                scope.written,
                scope.derived,
                &|_, _| None,
                &mut relied,
            );
            word_anchor(sym, scope.counter, scope.derived, relied.ors_counter)
        };
        if let (Some(q), Some(t)) = (anchor_of(q), anchor_of(t)) {
            copies.push(j);
            add_anchors(word_anchors, q.into_iter().chain(t));
        }
    }
    copies
}

/// The base `B` of an address `B + (x << k)` (k ≥ 2, optionally tee'd at its end) that the
/// test cannot bound (x is data), when `B` is a local the loop never writes and not the
/// counter (which moves): the access keeps its bounds check, but it is whole elements once the
/// test finds `B` a multiple of 4.
fn indexed_base(scope: &Scope<'_, '_>, expr: std::ops::RangeInclusive<usize>) -> Option<u32> {
    let expr = match &scope.body[expr] {
        [expr @ .., Operator::LocalTee { .. }] => expr,
        expr => expr,
    };
    let (base, _, _) = shifted(expr)?;
    (base != scope.counter.local && !scope.written.contains(&base)).then_some(base)
}

/// Adds each of `new` to `anchors` unless it is there already.
pub(super) fn add_anchors(anchors: &mut Vec<Anchor>, new: impl IntoIterator<Item = Anchor>) {
    for anchor in new {
        if !anchors.contains(&anchor) {
            anchors.push(anchor);
        }
    }
}

/// The group of an address of value `sym` read by the operator `body[at]`, its constant part
/// (after a step, up to one step more than the values the test covers), whether the moving part
/// stays a multiple of 4, and what the test must check for that: the counter's start (when only
/// its step keeps it aligned) and a local. `None` for an address the test cannot bound.
fn grouped(
    sym: Sym,
    at: usize,
    counter: &Counter,
    derived: &HashMap<u32, Derived>,
) -> Option<(Group, i64, bool, bool, Option<u32>)> {
    let stride = counter.step.unsigned_abs();
    Some(match sym {
        Sym::Sum {
            base: None,
            shift: None,
            derived: Some(p),
            constant,
        } => {
            let Derived { step, update } = derived[&p];
            let stepped = if at > update { i64::from(step) } else { 0 };
            let group = Group::Pointer { local: p, step };
            (
                group,
                constant + stepped,
                step.is_multiple_of(4),
                false,
                Some(p),
            )
        }
        Sym::Sum {
            base,
            shift: Some(shift),
            derived: None,
            constant,
        } => {
            let stepped = if at > counter.update && counter.step > 0 {
                i64::from(counter.step) << shift
            } else {
                0
            };
            let words = shift >= 2 || stride.is_multiple_of(4);
            let group = Group::Counter { base, shift };
            (group, constant + stepped, words, shift < 2, base)
        }
        Sym::Sum {
            base: Some(b),
            shift: None,
            derived: None,
            constant,
        } => (
            Group::Invariant { local: b },
            constant,
            true,
            false,
            Some(b),
        ),
        _ => return None,
    })
}
