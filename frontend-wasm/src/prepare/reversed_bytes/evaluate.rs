//! The symbolic evaluation of one loop iteration for `reversed_bytes`: every `i32` as a sum of
//! the locals' values on entry to the iteration times constants ([`Affine`]), the byte accesses
//! in order, and the test that sends the loop round again.

use std::collections::{BTreeMap, HashMap, HashSet};

use wasmparser::{MemArg, Operator};

use crate::prepare::rebased_induction::is_control;

/// An `i32` as a sum of locals' values on entry to an iteration times constants, plus a
/// constant, all modulo 2^32.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Affine {
    terms: BTreeMap<u32, u32>,
    konst: u32,
}

impl Affine {
    pub(super) fn konst(konst: u32) -> Self {
        Affine {
            terms: BTreeMap::new(),
            konst,
        }
    }

    pub(super) fn local(local: u32) -> Self {
        Affine {
            terms: BTreeMap::from([(local, 1)]),
            konst: 0,
        }
    }

    pub(super) fn add(&self, other: &Affine) -> Affine {
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

    pub(super) fn scale(&self, k: u32) -> Affine {
        let mut out = Affine::konst(self.konst.wrapping_mul(k));
        for (&local, &c) in &self.terms {
            let c = c.wrapping_mul(k);
            if c != 0 {
                out.terms.insert(local, c);
            }
        }
        out
    }

    pub(super) fn sub(&self, other: &Affine) -> Affine {
        self.add(&other.scale(u32::MAX))
    }

    pub(super) fn as_const(&self) -> Option<u32> {
        self.terms.is_empty().then_some(self.konst)
    }

    /// How much it changes from one iteration to the next, as a signed step.
    pub(super) fn slope(&self, steps: &BTreeMap<u32, u32>) -> i64 {
        let s = self.terms.iter().fold(0u32, |acc, (local, c)| {
            acc.wrapping_add(c.wrapping_mul(steps.get(local).copied().unwrap_or(0)))
        });
        i64::from(s as i32)
    }

    /// The operators that compute it from the locals.
    pub(super) fn ops<'b>(&self) -> Vec<Operator<'b>> {
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

pub(super) fn konst<'b>(value: u32) -> Operator<'b> {
    Operator::I32Const {
        value: value as i32,
    }
}

/// A value of the evaluated body.
#[derive(Clone, Debug)]
pub(super) enum Value {
    Int(Affine),
    /// The byte read by the load with this index among the body's accesses.
    Byte(usize),
    Test(Test),
}

/// When the loop goes round again, on values of the iteration that tests.
#[derive(Clone, Debug)]
pub(super) enum Test {
    Ne(Affine, Affine),
    /// `a < b` (`strict`) or `a <= b`, unsigned.
    Below {
        a: Affine,
        b: Affine,
        strict: bool,
    },
}

/// A byte access of the body, in order: a load, or a store of the byte a load read.
#[derive(Clone, Debug)]
pub(super) enum Access {
    Load { at: Affine },
    Store { at: Affine, byte: usize },
}

/// What one iteration does, on the values its locals have on entry.
pub(super) struct Evaluated {
    pub(super) accesses: Vec<Access>,
    /// The value each written local holds at the end.
    pub(super) written: HashMap<u32, Value>,
    /// The locals read before the body writes them.
    pub(super) entry_reads: HashSet<u32>,
    /// Values the rewrite of `x ^ -2` assumed even.
    pub(super) even: Vec<Affine>,
    pub(super) test: Test,
}

/// Evaluates a loop body (without its final `br_if 0`), or `None` if it does anything but
/// arithmetic on `i32` locals, byte accesses at offset 0 and the tests [`Test`] describes.
pub(super) fn evaluate(
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
