//! Loops versioned on their bounds: one test before the loop decides whether every address the
//! loop can form lies inside linear memory, and if so a copy of the loop without bounds checks
//! runs instead of the original.
//!
//! The recognised loops count an induction local `i` towards a bound fixed on entry:
//!
//! ```text
//! loop
//!   <body: no nested loop, no branch out, no write of i, n or a base local>
//!   local.get i  i32.const s  i32.add  local.tee i
//!   (local.get n | i32.const N)  (i32.lt_u | i32.ne)      ;; or `n  (… local.tee i)  i32.ne`
//!   br_if 0
//! end
//! ```
//!
//! or with `i` stepped once earlier at the top level and `local.get i [n test] br_if 0` at the
//! end. An access whose address is `B + (i << k) + C` (B an optional local the loop never
//! writes, C a small constant), or `p + C` for a pointer `p` stepped beside the counter (see
//! [`Derived`]), is then in bounds in every iteration when a few facts hold on entry:
//!
//! - counting up (`s > 0`), every value `i` takes is below `n`: with `i < n` (for `lt_u`) or
//!   also `(n - i) % s == 0` (for `ne`, so that `i` meets `n` instead of stepping over it);
//!   the highest address is then below `B + (n << k) + C`, and a pointer's below
//!   `p + t·T + C` for `T` iterations;
//! - counting down to `n` with `ne`: `n < i`, `(i - n) % |s| == 0`; the highest address is the
//!   first one.
//!
//! The test compares those highest addresses with the memory size in i32 arithmetic that
//! cannot wrap (memory stays below 65,536 pages). A `br 0` that skips the step, calls and traps
//! elsewhere in the body change nothing: each keeps `i` among the values the test covered, and
//! memory only grows. When the test fails the original loop runs, checking every access as
//! before, so a program that traps still traps at the same access. Loops that can leave early
//! are left alone: they are mostly searches of a few iterations, fewer than the test costs.
//!
//! Only innermost loops of a bounded size are copied, so a body at most doubles.

use std::collections::{BTreeMap, HashMap, HashSet};

use wasmparser::{BlockType, Operator};

use crate::analysis::counted_loop::body_len;
use crate::prepare::shared_bounds::access;

/// Loop bodies longer than this many operators are left alone (the copy doubles them).
const MAX_BODY: usize = 600;

/// The largest constant part `C + offset + size - 1` of a covered address.
const MAX_REACH: u64 = 1 << 16;

/// The largest scale `k` of `i << k` in a covered address.
const MAX_SHIFT: u32 = 4;

/// How a recognised loop's induction local moves and when it repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counter {
    /// The induction local.
    local: u32,
    /// The step added once per iteration (wrapping).
    step: i32,
    /// The bound, fixed on entry.
    bound: Bound,
    /// `true` for `i32.lt_u`, `false` for `i32.ne`.
    below: bool,
    /// The index of the step's `local.tee`/`local.set` in the body: accesses after it see
    /// `i + s`. The test at the end reads the stepped value.
    update: usize,
    /// Whether the step is the back edge itself (`… local.tee i  bound  test  br_if 0`), so
    /// that no `local.get i` sees the stepped value.
    step_in_back_edge: bool,
}

/// The bound a counter is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bound {
    Local(u32),
    Const(i32),
}

/// A local stepped once per iteration beside the counter, `p += t` (`t > 0`) at the body's top
/// level and written nowhere else: compilers keep a pointer beside an index (`*p` for `a[i]`).
/// In the iteration that tests `i` for the `k`-th time (from 0), `p` holds `p0 + k·t` before its
/// step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Derived {
    step: u32,
    /// The index of its step's `local.set`/`local.tee` in the body.
    update: usize,
}

/// An address in a loop body as the symbolic sum `base + (i << shift) + constant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sym {
    Const(u32),
    Sum {
        base: Option<u32>,
        /// The shift of the induction local, when the address depends on it.
        shift: Option<u32>,
        /// A derived induction local it depends on (see [`Derived`]).
        derived: Option<u32>,
        constant: u64,
    },
    Unknown,
}

/// The largest value an induction local takes in an unchecked copy: every value lies below
/// the bound, which the test proved at most the memory size (below 65,536 pages).
const HIGHEST_VALUE: u64 = (1 << 32) - (1 << 16) - 1;

/// What versioning a body's loops gives the later passes.
#[derive(Default)]
pub(crate) struct Versioned {
    /// The accesses of the unchecked copies, whose bounds checks the test made.
    pub(crate) unchecked: HashSet<usize>,
    /// Per unchecked copy (the index of its `loop`): the induction local and a range holding
    /// every value it takes at the top of an iteration.
    pub(crate) ranges: HashMap<usize, (u32, (u64, u64))>,
    /// The felt, word and double-word accesses of the unchecked copies whose addresses the
    /// test proved multiples of 4.
    pub(crate) aligned: HashSet<usize>,
    /// The `i32.add`s that compute the covered addresses of the unchecked copies: every
    /// partial sum lies below the memory size, so a felt `add` computes them.
    pub(crate) nowrap_adds: HashSet<usize>,
}

/// Versions every qualifying loop of `ops` (a whole function body); `offsets` stays in step.
pub(crate) fn version_loops(ops: &mut Vec<Operator<'_>>, offsets: &mut Vec<u64>) -> Versioned {
    let mut out = Versioned::default();
    let mut at = 0;
    while at < ops.len() {
        if !matches!(
            ops[at],
            Operator::Loop {
                blockty: BlockType::Empty
            }
        ) {
            at += 1;
            continue;
        }
        match plan(ops, at) {
            Some(plan) => at = apply(ops, offsets, at, &plan, &mut out),
            None => at += 1,
        }
    }
    out
}

/// What versioning one loop needs: its counter, the groups of covered accesses by (base,
/// shift) with their largest constant part, and the covered accesses (body-relative).
struct Plan {
    counter: Counter,
    body_len: usize,
    reach: BTreeMap<(Option<u32>, u32), u64>,
    /// Per derived local with covered accesses: its step and largest constant part.
    derived: Vec<(u32, u32, u64)>,
    /// Whether the counter is read after its step other than by the back edge.
    stepped_reads: bool,
    /// The `i32.add`s of covered addresses (body-relative): their sums lie below the memory
    /// size, so they never wrap.
    nowrap_adds: Vec<usize>,
    covered: Vec<usize>,
    /// Covered felt accesses made aligned by the test, and what it must test for that: the
    /// counter (when the shift does not align it) and the bases.
    aligned: Vec<usize>,
    align_counter: bool,
    align_bases: Vec<u32>,
}

fn plan(ops: &[Operator<'_>], loop_at: usize) -> Option<Plan> {
    let len = body_len(&ops[loop_at + 1..])?;
    let body = &ops[loop_at + 1..loop_at + 1 + len];
    // A `br_table`'s targets cannot be rewritten (they are read from the module's bytes).
    let blocks = |op: &Operator<'_>| matches!(op, Operator::Loop { .. } | Operator::BrTable { .. });
    if len > MAX_BODY || body.iter().any(blocks) || leaves_early(body) {
        return None;
    }
    let counter = counter(body)?;
    let constant_range =
        matches!(counter.bound, Bound::Const(_)) && starts_constant(ops, loop_at, counter.local);
    if counter.step == 0 || constant_range {
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
        .filter_map(|(j, op)| match op {
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
                if j != counter.update =>
            {
                Some(*local_index)
            }
            _ => None,
        })
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
    let mut reach = BTreeMap::new();
    let mut nowrap_adds = Vec::new();
    let mut derived_reach: BTreeMap<u32, u64> = BTreeMap::new();
    let mut covered = Vec::new();
    let (mut aligned, mut align_counter, mut align_bases) = (Vec::new(), false, Vec::new());
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
        let mut ors_counter = false;
        let sym = evaluate(
            &body[start..=address_end],
            (counter.local, counter.step.unsigned_abs()),
            &written,
            &derived,
            &mut ors_counter,
        );
        // An address that moves with a derived local (and nothing else that moves).
        if let Sym::Sum {
            base: None,
            shift: None,
            derived: Some(p),
            mut constant,
        } = sym
        {
            if j > derived[&p].update {
                constant += u64::from(derived[&p].step);
            }
            let k = constant + memarg.offset + u64::from(size) - 1;
            if k < MAX_REACH {
                let entry = derived_reach.entry(p).or_insert(0);
                *entry = (*entry).max(k);
                covered.push(j);
                nowrap_adds.extend(adds_in(body, start..=address_end));
                let steps_aligned = derived[&p].step.is_multiple_of(4);
                if whole_elements(op, size)
                    && steps_aligned
                    && (constant + memarg.offset).is_multiple_of(4)
                {
                    aligned.push(j);
                    align_bases.push(p);
                }
            }
            continue;
        }
        let Sym::Sum {
            base,
            shift: Some(shift),
            derived: None,
            mut constant,
        } = sym
        else {
            continue;
        };
        // After the step, counting up, i is up to s more than the values the test covers.
        if j > counter.update && counter.step > 0 {
            constant += u64::from(counter.step as u32) << shift;
        }
        let k = constant + memarg.offset + u64::from(size) - 1;
        if k >= MAX_REACH {
            continue;
        }
        let entry = reach.entry((base, shift)).or_insert(0);
        *entry = (*entry).max(k);
        covered.push(j);
        nowrap_adds.extend(adds_in(body, start..=address_end));
        // `i | c` is `i + c` only while i is a multiple of 4: the test checks the start.
        align_counter |= ors_counter;
        // A felt, word or double-word access is aligned when B, i << k and the constant all
        // are: i by the shift, or by a step that keeps it a multiple of 4 from a start the
        // test checks.
        let stride = counter.step.unsigned_abs();
        let counter_aligned = shift >= 2 || stride.is_multiple_of(4);
        if whole_elements(op, size)
            && counter_aligned
            && (constant + memarg.offset).is_multiple_of(4)
        {
            aligned.push(j);
            align_counter |= shift < 2;
            align_bases.extend(base);
        }
    }
    align_bases.sort_unstable();
    align_bases.dedup();
    // The back edge's `local.get i` (form B) is its last read; any other after the step counts.
    let back_edge_read = body.iter().rposition(
        |op| matches!(op, Operator::LocalGet { local_index } if *local_index == counter.local),
    );
    let stepped_reads = body.iter().enumerate().any(|(j, op)| {
        j > counter.update
            && Some(j) != back_edge_read
            && matches!(op, Operator::LocalGet { local_index } if *local_index == counter.local)
    });
    (!covered.is_empty()).then_some(Plan {
        counter,
        body_len: len,
        stepped_reads,
        nowrap_adds,
        reach,
        derived: derived_reach
            .into_iter()
            .map(|(p, k)| (p, derived[&p].step, k))
            .collect(),
        covered,
        aligned,
        align_counter,
        align_bases,
    })
}

/// The counter of a loop body: a back edge `… local.tee i  bound  test  br_if 0` that steps
/// `i` itself, or `local.get i  [bound  test]  br_if 0` with `i` stepped once earlier at the
/// body's top level (`local.get i  i32.const s  i32.add  local.tee/set i`; a bare `br_if` is
/// `i != 0`).
fn counter(body: &[Operator<'_>]) -> Option<Counter> {
    use Operator::*;
    let len = body.len();
    let bound_of = |op: &Operator<'_>| match op {
        LocalGet { local_index } => Some(Bound::Local(*local_index)),
        I32Const { value } => Some(Bound::Const(*value)),
        _ => None,
    };
    if let [.., LocalGet { local_index: a }, I32Const { value: s }, I32Add, LocalTee { local_index: b }, bound, test @ (I32LtU | I32Ne), BrIf { relative_depth: 0 }] =
        body
    {
        return (a == b).then_some(Counter {
            local: *a,
            step: *s,
            bound: bound_of(bound)?,
            below: matches!(test, I32LtU),
            update: len - 4,
            step_in_back_edge: true,
        });
    }
    // `n  (i + s → i)  i32.ne`: the bound read first (clang's unrolled loops).
    if let [.., bound, LocalGet { local_index: a }, I32Const { value: s }, I32Add, LocalTee { local_index: b }, I32Ne, BrIf { relative_depth: 0 }] =
        body
    {
        let bound = bound_of(bound)?;
        return (a == b && bound != Bound::Local(*a)).then_some(Counter {
            local: *a,
            step: *s,
            bound,
            below: false,
            update: len - 3,
            step_in_back_edge: true,
        });
    }
    let (local, bound, below, tail) = match body {
        [.., LocalGet { local_index }, bound, test @ (I32LtU | I32Ne), BrIf { relative_depth: 0 }] => {
            (*local_index, bound_of(bound)?, matches!(test, I32LtU), 4)
        }
        [.., LocalGet { local_index }, BrIf { relative_depth: 0 }] => {
            (*local_index, Bound::Const(0), false, 2)
        }
        _ => return None,
    };
    // The one write of i: a step at the top level, before the back edge.
    let mut depth = 0u32;
    let mut update = None;
    for (j, op) in body[..len - tail].iter().enumerate() {
        match op {
            Block { .. } | If { .. } | Loop { .. } => depth += 1,
            End => depth = depth.saturating_sub(1),
            LocalSet { local_index } | LocalTee { local_index } if *local_index == local => {
                let stepped = depth == 0
                    && j >= 3
                    && matches!(&body[j - 3..j], [LocalGet { local_index: x }, I32Const { .. }, I32Add] if *x == local);
                if !stepped || update.is_some() {
                    return None;
                }
                update = Some(j);
            }
            _ => {}
        }
    }
    let update = update?;
    let I32Const { value: step } = body[update - 2] else {
        return None;
    };
    Some(Counter {
        local,
        step,
        bound,
        below,
        update,
        step_in_back_edge: false,
    })
}

/// The derived induction locals of a loop body over counter `counter` (see [`Derived`]):
/// stepped up by a constant once, at the top level, and written nowhere else.
fn derived_locals(body: &[Operator<'_>], counter: u32) -> HashMap<u32, Derived> {
    use Operator::*;
    let mut writes: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut depth = 0u32;
    let mut top_level = Vec::new();
    for (j, op) in body.iter().enumerate() {
        match op {
            Block { .. } | If { .. } | Loop { .. } => depth += 1,
            End => depth = depth.saturating_sub(1),
            LocalSet { local_index } | LocalTee { local_index } => {
                writes.entry(*local_index).or_default().push(j);
                if depth == 0 {
                    top_level.push(j);
                }
            }
            _ => {}
        }
    }
    writes
        .into_iter()
        .filter_map(|(p, at)| {
            let [j] = at[..] else {
                return None;
            };
            let step = match body.get(j.checked_sub(3)?..j)? {
                [LocalGet { local_index }, I32Const { value }, I32Add] if *local_index == p => {
                    *value
                }
                _ => return None,
            };
            let ok = p != counter && top_level.contains(&j) && step > 0 && step <= 1 << 16;
            ok.then_some((
                p,
                Derived {
                    step: step as u32,
                    update: j,
                },
            ))
        })
        .collect()
}

/// Whether any branch of `body` (a loop's body) targets a label that `targets` accepts, given
/// the branch's relative depth and the depth of the constructs it sits in within the body.
fn any_branch(body: &[Operator<'_>], targets: impl Fn(u32, u32) -> bool) -> bool {
    let mut depth = 0u32;
    body.iter().any(|op| match op {
        Operator::Block { .. } | Operator::If { .. } | Operator::Loop { .. } => {
            depth += 1;
            false
        }
        Operator::End => {
            depth = depth.saturating_sub(1);
            false
        }
        Operator::Br { relative_depth } | Operator::BrIf { relative_depth } => {
            targets(*relative_depth, depth)
        }
        _ => false,
    })
}

/// Whether the body can leave the loop before its back edge (a branch out, a `return`): such
/// loops (searches) often run a few iterations, fewer than the test before them costs.
fn leaves_early(body: &[Operator<'_>]) -> bool {
    body.iter().any(|op| matches!(op, Operator::Return))
        || any_branch(body, |relative, depth| relative > depth)
}

/// Whether a branch other than the back edge (the last operator) repeats the loop: with the
/// step not in the back edge, such a branch could skip the test.
fn repeats_elsewhere(body: &[Operator<'_>]) -> bool {
    any_branch(&body[..body.len() - 1], |relative, depth| relative == depth)
}

/// Whether `i32.const  local.set local` (through any `block`s) sets the counter just before
/// the loop: a counted loop over a constant range, whose one check the translator hoists.
fn starts_constant(ops: &[Operator<'_>], loop_at: usize, local: u32) -> bool {
    let mut at = loop_at;
    while at > 0 && matches!(ops[at - 1], Operator::Block { .. }) {
        at -= 1;
    }
    matches!(
        ops.get(at.saturating_sub(2)..at),
        Some([Operator::I32Const { .. }, Operator::LocalSet { local_index }]) if *local_index == local
    )
}

/// The index where the expression that leaves one value and ends at `body[end]` starts, for
/// expressions of plain operators with one result.
fn expression_start(body: &[Operator<'_>], end: usize) -> Option<usize> {
    let mut need = 1usize;
    let mut at = end + 1;
    while need > 0 {
        at = at.checked_sub(1)?;
        let pops = pops_one_result(&body[at])?;
        need = need - 1 + pops;
    }
    Some(at)
}

/// How many operands an operator that pushes exactly one value pops, for the operators an
/// address or stored value is usually computed with.
fn pops_one_result(op: &Operator<'_>) -> Option<usize> {
    use Operator::*;
    Some(match op {
        LocalGet { .. } | GlobalGet { .. } | I32Const { .. } | I64Const { .. } => 0,
        LocalTee { .. }
        | I32Eqz
        | I64Eqz
        | I32Clz
        | I32Ctz
        | I32Popcnt
        | I64Clz
        | I64Ctz
        | I64Popcnt
        | I32WrapI64
        | I64ExtendI32S
        | I64ExtendI32U
        | I32Extend8S
        | I32Extend16S
        | I64Extend8S
        | I64Extend16S
        | I64Extend32S => 1,
        I32Add | I32Sub | I32Mul | I32And | I32Or | I32Xor | I32Shl | I32ShrS | I32ShrU
        | I32Rotl | I32Rotr | I64Add | I64Sub | I64Mul | I64And | I64Or | I64Xor | I64Shl
        | I64ShrS | I64ShrU | I64Rotl | I64Rotr | I32Eq | I32Ne | I32LtS | I32LtU | I32GtS
        | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS
        | I64GtU | I64LeS | I64LeU | I64GeS | I64GeU => 2,
        Select | TypedSelect { .. } => 3,
        op if access(op).is_some() && !is_store(op) => 1,
        _ => return None,
    })
}

/// The `i32.add`s among `body[range]`, an address expression.
fn adds_in(body: &[Operator<'_>], range: std::ops::RangeInclusive<usize>) -> Vec<usize> {
    range
        .filter(|j| matches!(body[*j], Operator::I32Add))
        .collect()
}

/// Whether an aligned address makes the access whole elements: felts, and 4- or 8-byte
/// integers. The test then also asks for aligned bases: a program whose words are not
/// aligned runs the checked loop, as it did before.
fn whole_elements(op: &Operator<'_>, size: u32) -> bool {
    matches!(op, Operator::F32Load { .. } | Operator::F32Store { .. }) || size == 4 || size == 8
}

/// Whether an access is a store (its value is computed before it, after the address).
fn is_store(op: &Operator<'_>) -> bool {
    crate::analysis::counted_loop::is_store(op) || matches!(op, Operator::F32Store { .. })
}

/// The symbolic value of an address expression in a loop whose body writes the locals
/// `written`. `(induction, stride)` is the counter and the size of its step. `i | c` (rustc's
/// `i + c` for an `i` it knows is a multiple of 4) counts as `i + c` when the stride keeps `i`
/// a multiple of 4; `ors_counter` is then set, and the test must check the counter's start.
fn evaluate(
    expr: &[Operator<'_>],
    (induction, stride): (u32, u32),
    written: &HashSet<u32>,
    derived: &HashMap<u32, Derived>,
    ors_counter: &mut bool,
) -> Sym {
    use Operator::*;
    let counter = |shift: u32, constant: u64| Sym::Sum {
        base: None,
        shift: Some(shift),
        derived: None,
        constant,
    };
    let mut stack: Vec<Sym> = Vec::new();
    for op in expr {
        let value = match op {
            // The step's `local.tee` leaves the stepped counter (the access comes after it).
            LocalTee { local_index } if *local_index == induction => {
                stack.pop();
                counter(0, 0)
            }
            LocalGet { local_index } if *local_index == induction => counter(0, 0),
            LocalGet { local_index } if derived.contains_key(local_index) => Sym::Sum {
                base: None,
                shift: None,
                derived: Some(*local_index),
                constant: 0,
            },
            LocalGet { local_index } if !written.contains(local_index) => Sym::Sum {
                base: Some(*local_index),
                shift: None,
                derived: None,
                constant: 0,
            },
            // A `local.tee` of another local passes its operand on.
            LocalTee { .. } => stack.pop().unwrap_or(Sym::Unknown),
            I32Or => {
                let (b, a) = (stack.pop(), stack.pop());
                match (a, b) {
                    (Some(a), Some(Sym::Const(c)))
                        if a == counter(0, 0) && c < 4 && stride.is_multiple_of(4) =>
                    {
                        *ors_counter = true;
                        add(a, Sym::Const(c))
                    }
                    _ => Sym::Unknown,
                }
            }
            I32Const { value } => Sym::Const(*value as u32),
            I32Add => {
                let (b, a) = (stack.pop(), stack.pop());
                add(a.unwrap_or(Sym::Unknown), b.unwrap_or(Sym::Unknown))
            }
            I32Shl => {
                let (b, a) = (stack.pop(), stack.pop());
                match (a, b) {
                    (
                        Some(Sym::Sum {
                            base: None,
                            shift: Some(0),
                            derived: None,
                            constant,
                        }),
                        Some(Sym::Const(k)),
                    ) if k <= MAX_SHIFT => counter(k, constant << k),
                    _ => Sym::Unknown,
                }
            }
            _ => {
                // Any other operator: its result is unknown.
                let pops = pops_one_result(op).unwrap_or(0);
                stack.truncate(stack.len().saturating_sub(pops));
                Sym::Unknown
            }
        };
        stack.push(value);
    }
    match stack.as_slice() {
        [value] => *value,
        _ => Sym::Unknown,
    }
}

/// The symbolic sum of two values: at most one base, one counter term and one derived local.
fn add(a: Sym, b: Sym) -> Sym {
    match (a, b) {
        (
            Sym::Sum {
                base,
                shift,
                derived,
                constant,
            },
            Sym::Const(c),
        )
        | (
            Sym::Const(c),
            Sym::Sum {
                base,
                shift,
                derived,
                constant,
            },
        ) => Sym::Sum {
            base,
            shift,
            derived,
            constant: constant + u64::from(c),
        },
        (
            Sym::Sum {
                base: b1,
                shift: s1,
                derived: d1,
                constant: c1,
            },
            Sym::Sum {
                base: b2,
                shift: s2,
                derived: d2,
                constant: c2,
            },
        ) if (b1.is_none() || b2.is_none())
            && (s1.is_none() || s2.is_none())
            && (d1.is_none() || d2.is_none()) =>
        {
            Sym::Sum {
                base: b1.or(b2),
                shift: s1.or(s2),
                derived: d1.or(d2),
                constant: c1 + c2,
            }
        }
        _ => Sym::Unknown,
    }
}

/// Rewrites the loop at `loop_at` into `test  if  loop (unchecked) end  else  loop end  end`.
/// Returns the index just after the rewritten construct.
fn apply(
    ops: &mut Vec<Operator<'_>>,
    offsets: &mut Vec<u64>,
    loop_at: usize,
    plan: &Plan,
    out: &mut Versioned,
) -> usize {
    let end = loop_at + 1 + plan.body_len;
    let at = offsets[loop_at];
    // No branch leaves the body (`leaves_early`), so moving it into an `if` changes no depth.
    let body: Vec<Operator<'_>> = ops[loop_at + 1..end].to_vec();
    let body_offsets = offsets[loop_at + 1..end].to_vec();

    let mut new_ops = guard(plan);
    let guard_len = new_ops.len();
    new_ops.push(Operator::If {
        blockty: BlockType::Empty,
    });
    new_ops.push(ops[loop_at].clone());
    let fast_start = loop_at + new_ops.len();
    new_ops.extend(body.iter().cloned());
    new_ops.push(Operator::End);
    new_ops.push(Operator::Else);
    new_ops.push(ops[loop_at].clone());
    new_ops.extend(body);
    new_ops.push(Operator::End);
    new_ops.push(Operator::End);

    let mut new_offsets = vec![at; guard_len + 2];
    new_offsets.extend(&body_offsets);
    new_offsets.extend([offsets[end], at, at]);
    new_offsets.extend(&body_offsets);
    new_offsets.extend([offsets[end], offsets[end]]);
    debug_assert_eq!(new_ops.len(), new_offsets.len());

    let added = new_ops.len();
    // Replace `loop … end` (body_len + 2 operators).
    ops.splice(loop_at..=end, new_ops);
    offsets.splice(loop_at..=end, new_offsets);
    out.unchecked
        .extend(plan.covered.iter().map(|j| fast_start + j));
    out.aligned
        .extend(plan.aligned.iter().map(|j| fast_start + j));
    out.nowrap_adds
        .extend(plan.nowrap_adds.iter().map(|j| fast_start + j));
    // Counting down to n by |s|, every value is at least n + |s|. A counter stepped before
    // the back edge may be read stepped (down to n) before the test: then no range, unless
    // only the back edge reads it after the step (a comparison, which uses no range).
    let lowest = if plan.counter.step < 0 {
        u64::from(plan.counter.step.unsigned_abs())
    } else {
        0
    };
    let reads_stepped = plan.stepped_reads;
    if plan.counter.step_in_back_edge || !reads_stepped {
        out.ranges.insert(
            fast_start - 1,
            (plan.counter.local, (lowest, HIGHEST_VALUE)),
        );
    }
    loop_at + added
}

/// The test that every covered address of the loop is in bounds, as Wasm operators leaving
/// one i32 (1 when it holds).
fn guard<'b>(plan: &Plan) -> Vec<Operator<'b>> {
    use Operator::*;
    let (counter, reach) = (&plan.counter, &plan.reach);
    let i = || LocalGet {
        local_index: counter.local,
    };
    let n = || match counter.bound {
        Bound::Local(local_index) => LocalGet { local_index },
        Bound::Const(value) => I32Const { value },
    };
    let konst = |value: u64| I32Const {
        value: value as u32 as i32,
    };
    let up = counter.step > 0;
    let stride = counter.step.unsigned_abs();
    let mut out = Vec::new();
    // The values i takes are below n (up) or in (n, i] (down).
    if up {
        out.extend([i(), n(), I32LtU]);
    } else {
        out.extend([n(), i(), I32LtU]);
    }
    if !counter.below && stride > 1 {
        // The distance is a whole number of steps.
        if up {
            out.extend([n(), i(), I32Sub]);
        } else {
            out.extend([i(), n(), I32Sub]);
        }
        if stride.is_power_of_two() {
            out.extend([konst(u64::from(stride - 1)), I32And]);
        } else {
            out.extend([konst(u64::from(stride)), I32RemU]);
        }
        out.extend([I32Eqz, I32And]);
    }
    // Felt accesses' alignment: the counter's start and the bases are multiples of 4.
    let aligned_locals = plan
        .align_counter
        .then_some(counter.local)
        .into_iter()
        .chain(plan.align_bases.iter().copied());
    for local_index in aligned_locals {
        out.extend([
            LocalGet { local_index },
            I32Const { value: 3 },
            I32And,
            I32Eqz,
            I32And,
        ]);
    }
    let memory_bytes = || [MemorySize { mem: 0 }, I32Const { value: 16 }, I32Shl];
    // Unsigned division by a constant: a shift for a power of two.
    let divided_by = |d: u32| {
        if d.is_power_of_two() {
            [konst(u64::from(d.trailing_zeros())), I32ShrU]
        } else {
            [konst(u64::from(d)), I32DivU]
        }
    };
    for (&(base, shift), &k) in reach {
        // K <= L
        out.push(konst(k));
        out.extend(memory_bytes());
        out.extend([I32LeU, I32And]);
        // M = L - K - B, with B <= L - K
        if let Some(local_index) = base {
            out.push(LocalGet { local_index });
            out.extend(memory_bytes());
            out.extend([konst(k), I32Sub, I32LeU, I32And]);
        }
        // c = ceil(M / 2^shift); up: n <= c, down: i < c.
        if up {
            out.push(n());
        } else {
            out.push(i());
        }
        out.extend(memory_bytes());
        out.extend([konst(k), I32Sub]);
        if let Some(local_index) = base {
            out.extend([LocalGet { local_index }, I32Sub]);
        }
        if shift > 0 {
            out.extend([
                konst((1 << shift) - 1),
                I32Add,
                konst(u64::from(shift)),
                I32ShrU,
            ]);
        }
        out.extend([if up { I32LeU } else { I32LtU }, I32And]);
    }
    // Derived locals (counting up only): with T iterations, p's accesses reach
    // p + t(T - 1) + K at most, which must lie below L: T <= ceil((L - K - p) / t).
    for &(p, t, k) in &plan.derived {
        let p = || LocalGet { local_index: p };
        out.push(konst(k));
        out.extend(memory_bytes());
        out.extend([I32LeU, I32And, p()]);
        out.extend(memory_bytes());
        out.extend([konst(k), I32Sub, I32LeU, I32And]);
        // T = (n - i) / s, rounded up for `lt_u` (i < n is tested above).
        out.extend([n(), i(), I32Sub]);
        if counter.below {
            out.extend([konst(u64::from(stride - 1)), I32Add]);
        }
        out.extend(divided_by(stride));
        out.extend(memory_bytes());
        out.extend([konst(k), I32Sub, p(), I32Sub]);
        out.extend([konst(u64::from(t - 1)), I32Add]);
        out.extend(divided_by(t));
        out.extend([I32LeU, I32And]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of a function with parameters (n, base) and locals (i, acc).
    fn ops(body: &str) -> Vec<Operator<'static>> {
        let wat = format!(
            "(module (memory 1) (func (param i32 i32) (local i32 i32) (local i64) {body}))"
        );
        crate::analysis::test_support::first_body_ops(&wat)
    }

    fn versioned(body: &str) -> (Vec<Operator<'static>>, Vec<usize>) {
        let mut ops = ops(body);
        let mut offsets = vec![0; ops.len()];
        let mut unchecked: Vec<usize> = version_loops(&mut ops, &mut offsets)
            .unchecked
            .into_iter()
            .collect();
        assert_eq!(ops.len(), offsets.len());
        unchecked.sort_unstable();
        (ops, unchecked)
    }

    const BACK_EDGE: &str =
        "local.get 2 i32.const 1 i32.add local.tee 2 local.get 0 i32.lt_u br_if 0";

    #[test]
    fn a_loop_below_a_local_bound_gets_an_unchecked_copy() {
        let body = format!(
            "loop local.get 1 local.get 2 i32.add i32.load8_u offset=3 local.get 3 i32.add \
             local.set 3 local.get 2 local.get 2 i32.store8 {BACK_EDGE} end"
        );
        let (ops, unchecked) = versioned(&body);
        let at = |pred: fn(&Operator<'_>) -> bool| ops.iter().position(pred).unwrap();
        let (fast, els) = (
            at(|o| matches!(o, Operator::Loop { .. })),
            at(|o| matches!(o, Operator::Else)),
        );
        // Both accesses of the first copy, none of the second.
        assert_eq!(unchecked.len(), 2);
        assert!(unchecked.iter().all(|j| *j > fast && *j < els));
        assert!(matches!(ops[fast - 1], Operator::If { .. }));
        assert_eq!(
            ops.iter()
                .filter(|o| matches!(o, Operator::Loop { .. }))
                .count(),
            2
        );
    }

    #[test]
    fn a_counter_stepped_before_its_accesses_is_recognised() {
        // Rust's reverse iteration: `k -= 4` feeds the address, `k != 0` repeats.
        let body = "loop local.get 3 local.get 2 i32.const -4 i32.add local.tee 2 local.get 1 \
            i32.add i32.load i32.add local.set 3 local.get 2 br_if 0 end";
        let (_, unchecked) = versioned(body);
        assert_eq!(unchecked.len(), 1);
        // A second way back to the loop head could skip the test: left alone.
        let body = "loop local.get 2 i32.const 1 i32.add local.set 2 local.get 2 i32.load8_u \
            br_if 0 local.get 2 local.get 0 i32.lt_u br_if 0 end";
        assert!(versioned(body).1.is_empty());
    }

    #[test]
    fn a_pointer_stepped_beside_the_counter_is_covered() {
        // clang's unrolled loop: `*p = …; p += 16` with the counter's test `n (i + 4) ne`.
        let body = "loop local.get 1 local.get 2 i32.store local.get 1 i32.const 12 i32.add \
            local.get 2 i32.store local.get 1 i32.const 16 i32.add local.set 1 \
            local.get 0 local.get 2 i32.const 4 i32.add local.tee 2 i32.ne br_if 0 end";
        assert_eq!(versioned(body).1.len(), 2);
        // A pointer also written elsewhere in the body is not derived.
        let body = "loop local.get 1 local.get 2 i32.store local.get 1 i32.const 16 i32.add \
            local.set 1 local.get 3 local.set 1 \
            local.get 0 local.get 2 i32.const 4 i32.add local.tee 2 i32.ne br_if 0 end";
        assert!(versioned(body).1.is_empty());
    }

    #[test]
    fn loops_that_move_their_bounds_or_cannot_be_copied_stay() {
        for body in [
            // The bound is written in the body.
            format!("loop local.get 2 i32.load drop local.get 2 local.set 0 {BACK_EDGE} end"),
            // The counter is written in the body.
            format!("loop local.get 2 i32.load local.set 2 {BACK_EDGE} end"),
            // A branch out of the loop (a search: often a few iterations).
            format!("block loop local.get 2 i32.load8_u br_if 1 {BACK_EDGE} end end"),
            // A nested loop, a `br_table`.
            format!("loop local.get 2 i32.load drop loop end {BACK_EDGE} end"),
            format!("loop block local.get 2 i32.load br_table 0 1 end {BACK_EDGE} end"),
            // No access depends on the counter.
            format!("loop local.get 1 i32.load drop {BACK_EDGE} end"),
            // A negative constant in the address.
            format!("loop local.get 2 i32.const -1 i32.add i32.load drop {BACK_EDGE} end"),
            // A constant range (the translator's counted loops).
            "i32.const 0 local.set 2 loop local.get 2 i32.load drop local.get 2 i32.const 4 \
             i32.add local.tee 2 i32.const 400 i32.lt_u br_if 0 end"
                .to_string(),
            // Counting down with `lt_u`.
            "loop local.get 2 i32.load drop local.get 2 i32.const -4 i32.add local.tee 2 \
             local.get 0 i32.lt_u br_if 0 end"
                .to_string(),
        ] {
            let (ops, unchecked) = versioned(&body);
            assert!(unchecked.is_empty(), "{body}");
            assert!(!ops.iter().any(|o| matches!(o, Operator::Else)), "{body}");
        }
    }
}
