//! Loops that reverse a byte range in place (`<[u8]>::reverse`, a C swap loop): all but their
//! last iterations become one call of the runtime's element-wise reversal.
//!
//! A byte swap costs two byte loads and two byte stores that each read, mask and rewrite an
//! element: about 35 cycles even with its bounds checks hoisted. Swapping an element from each
//! end with its bytes reversed moves four byte pairs for about the cost of one.
//!
//! The loop body is evaluated symbolically over the values its locals have on entry to an
//! iteration ([`Affine`]). It qualifies when it is straight-line code ending in `br_if 0` whose
//! only memory accesses are `u` swaps (`u` = 1, 2 or 4): two byte loads, then the stores of each
//! byte at the other's address. Every local it reads before writing must step by a constant
//! (an induction local) or not be written at all; other locals are written before they are
//! read. Swap `j`'s front address must advance by `u` each iteration and its back address go
//! back by `u`. `x ^ -2` is `-x - 2` for an even `x`, as LLVM writes `len - 2 - i`.
//!
//! Before the loop a test decides, on the entry values, whether its first `T` iterations swap
//! bytes `F + k` and `B - k` for `k < h + 4m`, `h = -F mod 4` a multiple of `u`, with every
//! address in bounds and at least one byte pair left over: swap `j` is at `F + j` and `B - j`,
//! the assumed parities hold, and the loop's test continues through iteration `T - 1`. Then the
//! runtime swaps `h` single bytes, which aligns the front, and `m` front elements, their bytes
//! reversed, with the `4m` bytes before the back (whole elements when the back end is aligned,
//! else each assembled from two), and the induction locals advance by `T` steps;
//! the loop as written runs the rest (at least one iteration) and every iteration when the
//! test fails. The call is written as a `memory.fill` of [`REVERSAL_MEMORY`], an index no
//! module has, so that later passes see an opaque write to memory.

use std::collections::{BTreeMap, HashMap, HashSet};

use wasmparser::{BlockType, MemArg, Operator};

use crate::analysis::counted_loop::body_len;
use crate::prepare::rebased_induction::is_control;

/// The memory index of the `memory.fill` that stands for the runtime's reversal
/// `wasm_reverse_bytes` (`[m, B, F]` pushed in that order, byte addresses `F` and `B`: bytes
/// `F + k` and `B - k` trade places for `k < h + 4m`, `h = -F mod 4`). Validation admits no
/// such memory, so no module's own operator is read as one.
pub(crate) const REVERSAL_MEMORY: u32 = u32::MAX;

/// Loop bodies longer than this are not evaluated.
const MAX_BODY: usize = 200;

/// Induction steps and test slopes beyond this are not taken (their products with the trip
/// count are kept far from 2^32).
const MAX_STEP: u32 = 64;

/// Rewrites every qualifying loop of `ops` (a whole function body); `offsets` stays in step.
/// `is_i32(local)` tells which locals are `i32`. Modules with felts are left alone: an element
/// of their memory may hold a felt, which has no bytes to reverse.
pub(crate) fn reverse_in_elements(
    ops: &mut Vec<Operator<'_>>,
    offsets: &mut Vec<u64>,
    is_i32: &dyn Fn(u32) -> bool,
    felts: bool,
) {
    if felts {
        return;
    }
    let mut plans = Vec::new();
    for (at, op) in ops.iter().enumerate() {
        if let Operator::Loop {
            blockty: BlockType::Empty,
        } = op
        {
            if let Some(plan) = plan(ops, at, is_i32) {
                plans.push(plan);
            }
        }
    }
    // Last first, so that each insertion leaves the earlier loops where they were.
    for plan in plans.into_iter().rev() {
        let fast = fast_path(&plan);
        let offset = offsets[plan.loop_at];
        let len = fast.len();
        ops.splice(plan.loop_at..plan.loop_at, fast);
        offsets.splice(plan.loop_at..plan.loop_at, std::iter::repeat_n(offset, len));
    }
}

/// An `i32` as a sum of locals' values on entry to an iteration times constants, plus a
/// constant, all modulo 2^32.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Affine {
    terms: BTreeMap<u32, u32>,
    konst: u32,
}

impl Affine {
    fn konst(konst: u32) -> Self {
        Affine {
            terms: BTreeMap::new(),
            konst,
        }
    }

    fn local(local: u32) -> Self {
        Affine {
            terms: BTreeMap::from([(local, 1)]),
            konst: 0,
        }
    }

    fn add(&self, other: &Affine) -> Affine {
        let mut sum = self.clone();
        sum.konst = sum.konst.wrapping_add(other.konst);
        for (&local, &c) in &other.terms {
            let e = sum.terms.entry(local).or_insert(0);
            *e = e.wrapping_add(c);
            if *e == 0 {
                sum.terms.remove(&local);
            }
        }
        sum
    }

    fn scale(&self, k: u32) -> Affine {
        let mut out = Affine::konst(self.konst.wrapping_mul(k));
        for (&local, &c) in &self.terms {
            let c = c.wrapping_mul(k);
            if c != 0 {
                out.terms.insert(local, c);
            }
        }
        out
    }

    fn sub(&self, other: &Affine) -> Affine {
        self.add(&other.scale(u32::MAX))
    }

    fn as_const(&self) -> Option<u32> {
        self.terms.is_empty().then_some(self.konst)
    }

    /// How much it changes from one iteration to the next, as a signed step.
    fn slope(&self, steps: &HashMap<u32, u32>) -> i64 {
        let s = self.terms.iter().fold(0u32, |acc, (local, c)| {
            acc.wrapping_add(c.wrapping_mul(steps.get(local).copied().unwrap_or(0)))
        });
        i64::from(s as i32)
    }

    /// The operators that compute it from the locals.
    fn ops<'b>(&self) -> Vec<Operator<'b>> {
        let mut out = Vec::new();
        for (i, (&local_index, &c)) in self.terms.iter().enumerate() {
            out.push(Operator::LocalGet { local_index });
            if c != 1 {
                out.extend([konst(c), Operator::I32Mul]);
            }
            if i > 0 {
                out.push(Operator::I32Add);
            }
        }
        if out.is_empty() {
            out.push(konst(self.konst));
        } else if self.konst != 0 {
            out.extend([konst(self.konst), Operator::I32Add]);
        }
        out
    }
}

fn konst<'b>(value: u32) -> Operator<'b> {
    Operator::I32Const {
        value: value as i32,
    }
}

/// A value of the evaluated body.
#[derive(Clone, Debug)]
enum Value {
    Int(Affine),
    /// The byte read by the load with this index among the body's accesses.
    Byte(usize),
    Test(Test),
}

/// When the loop goes round again, on values of the iteration that tests.
#[derive(Clone, Debug)]
enum Test {
    Ne(Affine, Affine),
    /// `a < b` (`strict`) or `a <= b`, unsigned.
    Below {
        a: Affine,
        b: Affine,
        strict: bool,
    },
}

#[derive(Clone, Debug)]
enum Access {
    Load { at: Affine },
    Store { at: Affine, byte: usize },
}

/// What one iteration does, on the values its locals have on entry.
struct Evaluated {
    accesses: Vec<Access>,
    /// The value each written local holds at the end.
    written: HashMap<u32, Value>,
    /// The locals read before the body writes them.
    entry_reads: HashSet<u32>,
    /// Values the rewrite of `x ^ -2` assumed even.
    even: Vec<Affine>,
    test: Test,
}

/// Evaluates a loop body (without its final `br_if 0`), or `None` if it does anything but
/// arithmetic on `i32` locals, byte accesses at offset 0 and the tests [`Test`] describes.
fn evaluate(
    body: &[Operator<'_>],
    test: &Operator<'_>,
    is_i32: &dyn Fn(u32) -> bool,
) -> Option<Evaluated> {
    use Operator::*;
    if !matches!(test, BrIf { relative_depth: 0 }) {
        return None;
    }
    let mut stack: Vec<Value> = Vec::new();
    let mut written: HashMap<u32, Value> = HashMap::new();
    let mut entry_reads = HashSet::new();
    let mut accesses = Vec::new();
    let mut even = Vec::new();
    let plain = |m: &MemArg| m.offset == 0;
    for op in body {
        if is_control(op) {
            return None;
        }
        match op {
            LocalGet { local_index } => {
                let local = *local_index;
                if !is_i32(local) {
                    return None;
                }
                stack.push(match written.get(&local) {
                    Some(v) => v.clone(),
                    None => {
                        entry_reads.insert(local);
                        Value::Int(Affine::local(local))
                    }
                });
            }
            LocalSet { local_index } | LocalTee { local_index } => {
                let v = stack.pop()?;
                if !is_i32(*local_index) {
                    return None;
                }
                if matches!(op, LocalTee { .. }) {
                    stack.push(v.clone());
                }
                written.insert(*local_index, v);
            }
            I32Const { value } => stack.push(Value::Int(Affine::konst(*value as u32))),
            I32Add | I32Sub | I32Mul | I32Shl | I32Xor | I32Ne | I32LtU | I32GtU | I32LeU
            | I32GeU => {
                let (Value::Int(b), Value::Int(a)) = (stack.pop()?, stack.pop()?) else {
                    return None;
                };
                let v = match op {
                    I32Add => Value::Int(a.add(&b)),
                    I32Sub => Value::Int(a.sub(&b)),
                    I32Mul => match (a.as_const(), b.as_const()) {
                        (_, Some(k)) => Value::Int(a.scale(k)),
                        (Some(k), _) => Value::Int(b.scale(k)),
                        _ => return None,
                    },
                    I32Shl => Value::Int(a.scale(1u32.checked_shl(b.as_const()?)?)),
                    // x ^ -1 = -x - 1; x ^ -2 = -x - 2 for an even x.
                    I32Xor => match b.as_const()? {
                        u32::MAX => Value::Int(Affine::konst(u32::MAX).sub(&a)),
                        0xFFFF_FFFE => {
                            even.push(a.clone());
                            Value::Int(Affine::konst(0xFFFF_FFFE).sub(&a))
                        }
                        _ => return None,
                    },
                    I32Ne => Value::Test(Test::Ne(a, b)),
                    I32LtU => Value::Test(Test::Below { a, b, strict: true }),
                    I32GtU => Value::Test(Test::Below {
                        a: b,
                        b: a,
                        strict: true,
                    }),
                    I32LeU => Value::Test(Test::Below {
                        a,
                        b,
                        strict: false,
                    }),
                    _ => Value::Test(Test::Below {
                        a: b,
                        b: a,
                        strict: false,
                    }),
                };
                stack.push(v);
            }
            I32Load8U { memarg } | I32Load8S { memarg } if plain(memarg) => {
                let Value::Int(at) = stack.pop()? else {
                    return None;
                };
                stack.push(Value::Byte(accesses.len()));
                accesses.push(Access::Load { at });
            }
            I32Store8 { memarg } if plain(memarg) => {
                let (Value::Byte(byte), Value::Int(at)) = (stack.pop()?, stack.pop()?) else {
                    return None;
                };
                accesses.push(Access::Store { at, byte });
            }
            Drop => {
                stack.pop()?;
            }
            Nop => {}
            _ => return None,
        }
    }
    let test = match stack.pop()? {
        Value::Test(t) => t,
        Value::Int(v) => Test::Ne(v, Affine::konst(0)),
        Value::Byte(_) => return None,
    };
    stack.is_empty().then_some(Evaluated {
        accesses,
        written,
        entry_reads,
        even,
        test,
    })
}

/// One loop's rewrite, all on the locals' values on entry to the loop.
#[derive(Debug)]
struct Plan {
    loop_at: usize,
    /// Swaps per iteration.
    units: u32,
    /// The first front and back addresses.
    front: Affine,
    back: Affine,
    /// Pairs that must be equal on entry (swap `j`'s addresses against `F + j`, `B - j`).
    equal: Vec<(Affine, Affine)>,
    /// Values that must be even on entry.
    even: Vec<Affine>,
    /// Induction locals and their steps, in local order.
    steps: Vec<(u32, u32)>,
    test: Test,
    /// Per local, its step (0 for those the loop does not write).
    slopes: HashMap<u32, u32>,
}

/// The rewrite of the loop at `at`, if it qualifies.
fn plan(ops: &[Operator<'_>], at: usize, is_i32: &dyn Fn(u32) -> bool) -> Option<Plan> {
    let len = body_len(&ops[at + 1..])?;
    if !(1..=MAX_BODY).contains(&len) {
        return None;
    }
    let body = &ops[at + 1..at + len];
    let ev = evaluate(body, &ops[at + len], is_i32)?;
    // Induction locals: read on entry and stepped by a constant.
    let mut slopes = HashMap::new();
    for &local in &ev.entry_reads {
        let Some(v) = ev.written.get(&local) else {
            continue;
        };
        let Value::Int(v) = v else { return None };
        let step = v.sub(&Affine::local(local)).as_const()?;
        if step == 0 || (step as i32).unsigned_abs() > MAX_STEP {
            return None;
        }
        slopes.insert(local, step);
    }
    let units = u32::try_from(ev.accesses.len() / 4).ok()?;
    if ev.accesses.len() % 4 != 0 || !matches!(units, 1 | 2 | 4) {
        return None;
    }
    let u = i64::from(units);
    let mut pairs = Vec::new();
    for (k, unit) in ev.accesses.chunks(4).enumerate() {
        let [Access::Load { at: p }, Access::Load { at: q }, s1, s2] = unit else {
            return None;
        };
        // The bytes the two loads read.
        let (first, second) = (4 * k, 4 * k + 1);
        let stores_ok = |s: &Access, at: &Affine, byte: usize| matches!(s, Access::Store { at: a, byte: b } if a == at && *b == byte);
        let swapped = (stores_ok(s1, p, second) && stores_ok(s2, q, first))
            || (stores_ok(s1, q, first) && stores_ok(s2, p, second));
        if !swapped {
            return None;
        }
        let (dp, dq) = (p.slope(&slopes), q.slope(&slopes));
        let pair = if dp == u && dq == -u {
            (p.clone(), q.clone())
        } else if dp == -u && dq == u {
            (q.clone(), p.clone())
        } else {
            return None;
        };
        pairs.push(pair);
    }
    let (front, back) = pairs[0].clone();
    let mut equal = Vec::new();
    for (j, (f, b)) in pairs.iter().enumerate().skip(1) {
        let j = j as u32;
        for (actual, expected) in [
            (f, front.add(&Affine::konst(j))),
            (b, back.sub(&Affine::konst(j))),
        ] {
            match actual.sub(&expected).as_const() {
                Some(0) => {}
                Some(_) => return None,
                None => equal.push((actual.clone(), expected)),
            }
        }
    }
    for e in &ev.even {
        if e.slope(&slopes) % 2 != 0 {
            return None;
        }
    }
    let test_ok = match &ev.test {
        Test::Ne(a, b) => {
            let d = a.sub(b).slope(&slopes);
            d != 0 && d.unsigned_abs() <= u64::from(MAX_STEP)
        }
        Test::Below { a, b, .. } => {
            let (da, db) = (a.slope(&slopes), b.slope(&slopes));
            (0..=i64::from(MAX_STEP)).contains(&da) && (-i64::from(MAX_STEP)..=0).contains(&db)
        }
    };
    if !test_ok {
        return None;
    }
    let mut steps: Vec<(u32, u32)> = slopes.iter().map(|(&l, &s)| (l, s)).collect();
    steps.sort_unstable();
    Some(Plan {
        loop_at: at,
        units,
        front,
        back,
        equal,
        even: ev.even,
        steps,
        test: ev.test,
        slopes,
    })
}

/// The operators placed before the loop: the test, and when it holds the reversal and the
/// induction locals advanced.
fn fast_path<'b>(plan: &Plan) -> Vec<Operator<'b>> {
    use Operator::*;
    let f = || plan.front.ops();
    let b = || plan.back.ops();
    // h = -F mod 4 single swaps align the front; then m = (B - F - 2h - 7) / 8 elements a
    // side: 8m <= B - F - 2h + 1 - 8 leaves a byte pair per swap of an iteration (u <= 4) to
    // the loop as written.
    let h = || [vec![konst(0)], f(), vec![I32Sub, konst(3), I32And]].concat();
    let m = || {
        let mut out = b();
        out.extend(f());
        out.push(I32Sub);
        out.extend(h());
        out.extend([
            konst(1),
            I32Shl,
            I32Sub,
            konst(7),
            I32Sub,
            konst(3),
            I32ShrU,
        ]);
        out
    };
    // T = (h + 4m) / u iterations (u divides h: tested below).
    let shift = plan.units.trailing_zeros();
    let t = || {
        let mut out = h();
        out.extend(m());
        out.extend([konst(2), I32Shl, I32Add]);
        if shift > 0 {
            out.extend([konst(shift), I32ShrU]);
        }
        out
    };
    let last = || {
        let mut out = t();
        out.extend([konst(1), I32Sub]);
        out
    };
    let mut out = Vec::new();
    let mut and = |ops: Vec<Operator<'b>>| {
        let first = out.is_empty();
        out.extend(ops);
        if !first {
            out.push(I32And);
        }
    };
    // F <= B, B - F >= 2h + 15 (m >= 1), u divides h, B in bounds.
    and([f(), b(), vec![I32LeU]].concat());
    and([
        b(),
        f(),
        vec![I32Sub],
        h(),
        vec![konst(1), I32Shl, konst(15), I32Add, I32GeU],
    ]
    .concat());
    if plan.units > 1 {
        and([h(), vec![konst(plan.units - 1), I32And, I32Eqz]].concat());
    }
    and([b(), vec![MemorySize { mem: 0 }, konst(16), I32Shl, I32LtU]].concat());
    for (x, y) in &plan.equal {
        and([x.ops(), y.ops(), vec![I32Eq]].concat());
    }
    for e in &plan.even {
        and([e.ops(), vec![konst(1), I32And, I32Eqz]].concat());
    }
    // The value of `a` in iteration T - 1.
    let at_last = |a: &Affine| {
        let mut out = a.ops();
        let slope = a.slope(&plan.slopes);
        if slope != 0 {
            out.extend(last());
            out.extend([konst(slope as i32 as u32), I32Mul, I32Add]);
        }
        out
    };
    let divided = |k: u64| {
        let k = k as u32;
        if k.is_power_of_two() {
            vec![konst(k.trailing_zeros()), I32ShrU]
        } else {
            vec![konst(k), I32DivU]
        }
    };
    match &plan.test {
        Test::Ne(a, b) => {
            // D = a - b moves towards 0 by |d| an iteration: it is not 0 through iteration
            // T - 1 when D >= |d| T on entry (then no value wraps either).
            let (mut x, mut y) = (a, b);
            if x.sub(y).slope(&plan.slopes) > 0 {
                (x, y) = (y, x);
            }
            let d = x.sub(y);
            let mut ops = d.ops();
            ops.extend(divided(d.slope(&plan.slopes).unsigned_abs()));
            ops.extend(t());
            ops.push(I32GeU);
            and(ops);
        }
        Test::Below { a, b, strict } => {
            // a rises and b falls, neither wrapping before iteration T - 1, where a < b.
            let (da, db) = (a.slope(&plan.slopes), b.slope(&plan.slopes));
            if da > 0 {
                let mut ops = vec![konst(u32::MAX)];
                ops.extend(a.ops());
                ops.push(I32Sub);
                ops.extend(divided(da.unsigned_abs()));
                ops.extend(last());
                ops.push(I32GeU);
                and(ops);
            }
            if db < 0 {
                let mut ops = b.ops();
                ops.extend(divided(db.unsigned_abs()));
                ops.extend(last());
                ops.push(I32GeU);
                and(ops);
            }
            let cmp = if *strict { I32LtU } else { I32LeU };
            and([at_last(a), at_last(b), vec![cmp]].concat());
        }
    }
    out.push(If {
        blockty: BlockType::Empty,
    });
    out.extend(m());
    out.extend(b());
    out.extend(f());
    out.extend([MemoryFill {
        mem: REVERSAL_MEMORY,
    }]);
    // Every induction local advanced by T steps, all computed before any is written.
    for &(local_index, step) in &plan.steps {
        out.push(LocalGet { local_index });
        out.extend(t());
        out.extend([konst(step), I32Mul, I32Add]);
    }
    for &(local_index, _) in plan.steps.iter().rev() {
        out.push(LocalSet { local_index });
    }
    out.push(End);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C swap loop over locals i (0) and j (1), temporary t (2), with `extra` before the
    /// step of j.
    fn swap_loop(back_step: i32, extra: &str) -> String {
        format!(
            "(module (memory 1) (func (param i32 i32) (local i32) \
             loop local.get 0 i32.load8_u local.set 2 \
             local.get 0 local.get 1 i32.load8_u i32.store8 \
             local.get 1 local.get 2 i32.store8 {extra} \
             local.get 1 i32.const {back_step} i32.sub local.set 1 \
             local.get 0 i32.const 1 i32.add local.set 0 \
             local.get 0 local.get 1 i32.lt_u br_if 0 end))"
        )
    }

    fn rewritten(wat: &str, felts: bool) -> Vec<Operator<'static>> {
        let mut ops = crate::analysis::test_support::first_body_ops(wat);
        let mut offsets = vec![0; ops.len()];
        reverse_in_elements(&mut ops, &mut offsets, &|_| true, felts);
        assert_eq!(ops.len(), offsets.len());
        ops
    }

    fn reversals(ops: &[Operator<'_>]) -> usize {
        ops.iter()
            .filter(|o| matches!(o, Operator::MemoryFill { mem } if *mem == REVERSAL_MEMORY))
            .count()
    }

    #[test]
    fn a_two_ended_swap_loop_gets_a_reversal_before_it() {
        let wat = swap_loop(1, "");
        let before = crate::analysis::test_support::first_body_ops(&wat);
        let ops = rewritten(&wat, false);
        assert_eq!(reversals(&ops), 1);
        // The test's `if` and the reversal come first; the loop follows unchanged.
        let at = ops
            .iter()
            .position(|o| matches!(o, Operator::Loop { .. }))
            .unwrap();
        assert!(matches!(ops[0], Operator::LocalGet { .. }));
        assert_eq!(&ops[at..], &before[..]);
        assert!(matches!(ops[at - 1], Operator::End));
    }

    #[test]
    fn lookalikes_and_felt_modules_are_left_alone() {
        for (wat, felts) in [
            // The back index steps by 2: every other byte, not a reversal.
            (swap_loop(2, ""), false),
            // A third access.
            (swap_loop(1, "local.get 0 i32.load8_u drop"), false),
            // A local read on entry and written other than by a step.
            (swap_loop(1, "local.get 2 local.set 0"), false),
            (swap_loop(1, ""), true),
        ] {
            let before = crate::analysis::test_support::first_body_ops(&wat);
            assert_eq!(rewritten(&wat, felts), before, "{wat}");
        }
    }

    #[test]
    fn xor_with_minus_two_assumes_an_even_value() {
        let mut ev = evaluate(
            &crate::analysis::test_support::first_body_ops(
                "(module (func (param i32) local.get 0 i32.const -2 i32.xor local.set 0 \
                 local.get 0 br_if 0))",
            )[..5],
            &Operator::BrIf { relative_depth: 0 },
            &|_| true,
        )
        .unwrap();
        assert_eq!(ev.even, vec![Affine::local(0)]);
        let Some(Value::Int(v)) = ev.written.remove(&0) else {
            panic!("not an integer");
        };
        assert_eq!(v, Affine::konst(0xFFFF_FFFE).sub(&Affine::local(0)));
    }
}
