//! One pass of the alignment analysis over a body's operators: an abstract interpretation
//! of the Wasm operand stack and locals, where each `i32` value is a known constant, a known
//! multiple of 4, or unknown ([`Val`]).
//!
//! Loop headers take the state given in [`Pass::headers`] (met with the state on entry); the
//! pass records what every branch back to a loop carries, so that
//! [`super::analyze`] can repeat passes until the headers are a fixpoint.

use std::collections::HashMap;

use wasmparser::{BlockType, FrameKind, FuncType, ModuleArity, Operator, SubType};

use super::{aligned_by_test, ranges, result_is_multiple_of_4, AlignedEdge};

/// What is known of an `i32` value: whether it is a multiple of 4, and the unsigned range it
/// lies in (`lo == hi`: a known constant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Val {
    /// Smallest possible value.
    pub(super) lo: u32,
    /// Largest possible value.
    pub(super) hi: u32,
    /// A proven multiple of 4.
    mult4: bool,
}

impl Val {
    /// Nothing is known.
    pub(super) const UNKNOWN: Val = Val {
        lo: 0,
        hi: u32::MAX,
        mult4: false,
    };

    /// Some multiple of 4.
    const MULT4: Val = Val {
        lo: 0,
        hi: u32::MAX,
        mult4: true,
    };

    /// Exactly `c`.
    pub(super) fn constant(c: u32) -> Val {
        Val {
            lo: c,
            hi: c,
            mult4: c.is_multiple_of(4),
        }
    }

    /// A value in `lo..=hi`, a multiple of 4 if `mult4` (or if it can only be such a constant).
    pub(super) fn new(lo: u32, hi: u32, mult4: bool) -> Val {
        Val {
            lo,
            hi,
            mult4: mult4 || (lo == hi && lo.is_multiple_of(4)),
        }
    }

    /// The constant the value must be, if it is one.
    pub(super) fn as_const(self) -> Option<u32> {
        (self.lo == self.hi).then_some(self.lo)
    }

    /// Whether the value is a proven multiple of 4.
    pub(super) fn is_mult4(self) -> bool {
        self.mult4
    }

    /// The range, when it says more than "any u32".
    pub(super) fn known_range(self) -> Option<(u32, u32)> {
        (self.lo > 0 || self.hi < u32::MAX).then_some((self.lo, self.hi))
    }

    /// What holds on both of two paths.
    fn meet(self, other: Val) -> Val {
        Val::new(
            self.lo.min(other.lo),
            self.hi.max(other.hi),
            self.mult4 && other.mult4,
        )
    }

    /// Constant folding of the operators whose result alignment is known
    /// ([`result_is_multiple_of_4`]); `None` for others.
    fn fold(op: &Operator<'_>, lhs: u32, rhs: u32) -> Option<u32> {
        Some(match op {
            Operator::I32Add => lhs.wrapping_add(rhs),
            Operator::I32Sub => lhs.wrapping_sub(rhs),
            Operator::I32Mul => lhs.wrapping_mul(rhs),
            Operator::I32And => lhs & rhs,
            Operator::I32Shl => lhs.wrapping_shl(rhs),
            _ => return None,
        })
    }
}

/// Locals on one path (`None`: no path reaches here).
type Locals = Option<Vec<Val>>;

/// Keeps in `acc` what also holds in `path`, local by local.
fn meet_pointwise(acc: &mut [Val], path: &[Val]) {
    acc.iter_mut().zip(path).for_each(|(a, p)| *a = a.meet(*p));
}

/// Joins `path` into `into` pointwise (`None`: the first path to arrive).
fn meet_into(into: &mut Locals, path: &[Val]) {
    match into {
        Some(acc) => meet_pointwise(acc, path),
        None => *into = Some(path.to_vec()),
    }
}

/// The module facts a pass reads.
pub(super) struct Env<'a> {
    /// The type section.
    pub types: &'a [FuncType],
    /// The type index of each function.
    pub func_types: &'a [u32],
    /// The `i32` globals assumed to hold multiples of 4.
    pub aligned_globals: &'a [bool],
    /// The locals' state on entry.
    pub entry: Vec<Val>,
    /// Per local, whether it is an `i32` (others are always [`Val::UNKNOWN`]).
    pub is_i32: &'a [bool],
    /// `local.get`s that read an unknown value (see [`super::BodyEnv::opaque_reads`]).
    pub opaque_reads: &'a std::collections::HashSet<usize>,
}

impl Env<'_> {
    /// (parameters, results) of a block type.
    fn block_arity(&self, ty: BlockType) -> Option<(usize, usize)> {
        match ty {
            BlockType::Empty => Some((0, 0)),
            BlockType::Type(_) => Some((0, 1)),
            BlockType::FuncType(t) => self.type_arity(t),
        }
    }

    fn type_arity(&self, ty: u32) -> Option<(usize, usize)> {
        let t = self.types.get(ty as usize)?;
        Some((t.params().len(), t.results().len()))
    }
}

/// The arity of operators without module references: anything that asks the module is
/// handled by [`Pass::step`] itself, so this answers `None` to every question.
struct NoModule;

impl ModuleArity for NoModule {
    fn sub_type_at(&self, _: u32) -> Option<&SubType> {
        None
    }
    fn tag_type_arity(&self, _: u32) -> Option<(u32, u32)> {
        None
    }
    fn type_index_of_function(&self, _: u32) -> Option<u32> {
        None
    }
    fn func_type_of_cont_type(&self, _: &wasmparser::ContType) -> Option<&FuncType> {
        None
    }
    fn sub_type_of_ref_type(&self, _: &wasmparser::RefType) -> Option<&SubType> {
        None
    }
    fn control_stack_height(&self) -> u32 {
        0
    }
    fn label_block(&self, _: u32) -> Option<(BlockType, FrameKind)> {
        None
    }
}

/// A control construct open at the current point.
struct Frame {
    kind: Kind,
    /// Operand stack height below the construct's parameters.
    base: usize,
    results: usize,
    /// The paths that reach its end so far (blocks and `if`s).
    incoming: Locals,
}

enum Kind {
    /// The function body or a `block`.
    Block,
    /// An `if`: its state and parameters on entry (for the `else` arm, or the missing one).
    If {
        entry: Locals,
        params: Vec<Val>,
        has_else: bool,
    },
    /// A `loop`, by the index of its operator.
    Loop(usize),
}

/// One pass over a body.
pub(super) struct Pass<'e, 'a> {
    env: &'e Env<'a>,
    /// The state assumed at each loop header (absent: the state on entry).
    headers: &'e HashMap<usize, Vec<Val>>,
    /// Every loop header assumes nothing (the last pass, when no fixpoint was reached).
    forget_headers: bool,
    locals: Locals,
    stack: Vec<Val>,
    frames: Vec<Frame>,
    /// Per loop: the state on entry, met with every branch back to it.
    pub(super) reached: HashMap<usize, Vec<Val>>,
    /// Per loop: the state its header used.
    pub(super) used: HashMap<usize, Vec<Val>>,
    /// Per loop: the constant each local holds whenever the loop is entered (not repeated).
    pub(super) entry_consts: HashMap<usize, Vec<Option<u32>>>,
    /// Per operator: which of its top 8 operands are multiples of 4 (bit 0: the top).
    pub(super) operands: Vec<u8>,
    /// Per `local.get`: the range of the value it reads, where narrower than any u32.
    pub(super) local_ranges: HashMap<usize, (u32, u32)>,
    /// Per memory access: the range of its address, where narrower than any u32.
    pub(super) address_ranges: HashMap<usize, (u32, u32)>,
    /// Assumed-aligned globals set to a value not known to be a multiple of 4.
    pub(super) broken_globals: Vec<u32>,
}

impl<'e, 'a> Pass<'e, 'a> {
    pub(super) fn new(
        env: &'e Env<'a>,
        headers: &'e HashMap<usize, Vec<Val>>,
        forget_headers: bool,
        ops: usize,
    ) -> Self {
        Pass {
            env,
            headers,
            forget_headers,
            locals: Some(env.entry.clone()),
            stack: Vec::new(),
            frames: vec![Frame {
                kind: Kind::Block,
                base: 0,
                results: 0,
                incoming: None,
            }],
            reached: HashMap::new(),
            used: HashMap::new(),
            entry_consts: HashMap::new(),
            operands: vec![0; ops],
            local_ranges: HashMap::new(),
            address_ranges: HashMap::new(),
            broken_globals: Vec::new(),
        }
    }

    /// Runs the pass; `None` when an operator's effect on the stack is not known.
    pub(super) fn run(mut self, ops: &[Operator<'_>]) -> Option<Self> {
        for at in 0..ops.len() {
            if self.locals.is_some() {
                self.operands[at] = self
                    .stack
                    .iter()
                    .rev()
                    .take(8)
                    .enumerate()
                    .fold(0, |mask, (k, v)| mask | (u8::from(v.is_mult4()) << k));
                let address = ranges::address_depth(&ops[at])
                    .and_then(|depth| self.stack.len().checked_sub(1 + depth))
                    .and_then(|i| self.stack[i].known_range());
                if let Some(range) = address {
                    self.address_ranges.insert(at, range);
                }
            }
            self.step(ops, at)?;
        }
        Some(self)
    }

    fn pop(&mut self) -> Val {
        self.stack.pop().unwrap_or(Val::UNKNOWN)
    }

    fn pop_n(&mut self, n: usize) {
        let keep = self.stack.len().saturating_sub(n);
        self.stack.truncate(keep);
    }

    fn push_unknown(&mut self, n: usize) {
        self.stack.extend(std::iter::repeat_n(Val::UNKNOWN, n));
    }

    /// A branch to the label `depth` frames out, carrying `locals`.
    fn branch(&mut self, depth: u32, locals: &[Val]) {
        let Some(index) = self.frames.len().checked_sub(1 + depth as usize) else {
            return;
        };
        match self.frames[index].kind {
            Kind::Loop(key) => {
                meet_into_map(&mut self.reached, key, locals);
            }
            _ => meet_into(&mut self.frames[index].incoming, locals),
        }
    }

    fn open(&mut self, kind: Kind, params: usize, results: usize) {
        let base = self.stack.len().saturating_sub(params);
        self.frames.push(Frame {
            kind,
            base,
            results,
            incoming: None,
        });
    }

    fn step(&mut self, ops: &[Operator<'_>], at: usize) -> Option<()> {
        let op = &ops[at];
        // Control structure is followed in unreachable code too.
        match op {
            Operator::Block { blockty } => {
                let (p, r) = self.env.block_arity(*blockty)?;
                self.open(Kind::Block, p, r);
                return Some(());
            }
            Operator::Loop { blockty } => {
                let (p, r) = self.env.block_arity(*blockty)?;
                if let Some(entry) = &self.locals {
                    let consts = entry.iter().map(|v| v.as_const()).collect();
                    self.entry_consts.insert(at, consts);
                    meet_into_map(&mut self.reached, at, entry);
                    let mut header = entry.clone();
                    if let Some(assumed) = self.headers.get(&at) {
                        meet_pointwise(&mut header, assumed);
                    }
                    if self.forget_headers {
                        header.fill(Val::UNKNOWN);
                    }
                    self.used.insert(at, header.clone());
                    self.locals = Some(header);
                    // Loop parameters also arrive from the back edges.
                    self.pop_n(p);
                    self.push_unknown(p);
                }
                self.open(Kind::Loop(at), p, r);
                return Some(());
            }
            Operator::If { blockty } => {
                let (p, r) = self.env.block_arity(*blockty)?;
                self.pop();
                let params = self.stack[self.stack.len().saturating_sub(p)..].to_vec();
                // A test of the low address bits proves the locals aligned in one arm: the
                // first when it is `… i32.and  i32.eqz`, the `else` (or the join of a missing
                // one) when it is `… i32.and`.
                let mut entry = self.locals.clone();
                if let Some((tested, edge)) = aligned_by_test(&ops[at.saturating_sub(6)..at]) {
                    let arm = match edge {
                        AlignedEdge::Taken => &mut self.locals,
                        AlignedEdge::FallThrough => &mut entry,
                    };
                    if let Some(locals) = arm {
                        for l in tested {
                            set_mult4(locals, l);
                        }
                    }
                }
                let (then_arm, else_arm) = match self.locals.take() {
                    Some(then_arm) => match entry {
                        Some(else_arm) => split_by_test(&ops[..at], then_arm, else_arm),
                        None => (Some(then_arm), None),
                    },
                    None => (None, entry),
                };
                self.locals = then_arm;
                let entry = else_arm;
                self.open(
                    Kind::If {
                        entry,
                        params,
                        has_else: false,
                    },
                    p,
                    r,
                );
                return Some(());
            }
            Operator::Else => {
                let frame = self.frames.last_mut()?;
                if let Some(locals) = &self.locals {
                    meet_into(&mut frame.incoming, locals);
                }
                let Kind::If {
                    entry,
                    params,
                    has_else,
                } = &mut frame.kind
                else {
                    return None;
                };
                *has_else = true;
                self.locals = entry.clone();
                self.stack.truncate(frame.base);
                self.stack.extend(params.iter().copied());
                return Some(());
            }
            Operator::End => {
                let frame = self.frames.pop()?;
                let fall_through = self.locals.take();
                let joined = match frame.kind {
                    // Branches to a loop go to its header: only the fall-through leaves it.
                    Kind::Loop(_) => fall_through,
                    Kind::Block | Kind::If { .. } => {
                        let mut joined = frame.incoming;
                        if let Kind::If {
                            entry: Some(entry),
                            has_else: false,
                            ..
                        } = &frame.kind
                        {
                            meet_into(&mut joined, entry);
                        }
                        if let Some(locals) = &fall_through {
                            meet_into(&mut joined, locals);
                        }
                        joined
                    }
                };
                self.locals = joined;
                self.stack.truncate(frame.base);
                self.push_unknown(frame.results);
                return Some(());
            }
            _ => {}
        }
        let Some(locals) = &self.locals else {
            return Some(());
        };
        let mut locals = locals.clone();
        let env = self.env;
        match op {
            Operator::Br { relative_depth } => {
                self.branch(*relative_depth, &locals);
                self.locals = None;
                return Some(());
            }
            Operator::BrIf { relative_depth } => {
                self.pop();
                let mut taken = locals.clone();
                match aligned_by_test(&ops[at.saturating_sub(6)..at]) {
                    Some((tested, AlignedEdge::Taken)) => {
                        tested.into_iter().for_each(|l| set_mult4(&mut taken, l));
                    }
                    Some((tested, AlignedEdge::FallThrough)) => {
                        tested.into_iter().for_each(|l| set_mult4(&mut locals, l));
                    }
                    None => {}
                }
                // Only the taken edge is narrowed: a speculated loop runs the code after a
                // `br_if` that leaves it even when the branch is taken.
                if let Some(taken) = narrowed_by_test(&ops[..at], taken, true) {
                    self.branch(*relative_depth, &taken);
                }
            }
            Operator::BrTable { targets } => {
                self.pop();
                for depth in targets.targets().chain([Ok(targets.default())]) {
                    self.branch(depth.ok()?, &locals);
                }
                self.locals = None;
                return Some(());
            }
            Operator::Return
            | Operator::Unreachable
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. } => {
                self.locals = None;
                return Some(());
            }
            Operator::LocalGet { local_index } => {
                let mut value = *locals.get(*local_index as usize)?;
                if env.opaque_reads.contains(&at) {
                    // Its alignment is what the passes keep; its range is not known.
                    value = Val::new(0, u32::MAX, value.is_mult4());
                }
                if let Some(range) = value.known_range() {
                    self.local_ranges.insert(at, range);
                }
                self.stack.push(value);
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                let l = *local_index as usize;
                let value = if matches!(op, Operator::LocalSet { .. }) {
                    self.pop()
                } else {
                    *self.stack.last()?
                };
                *locals.get_mut(l)? = if env.is_i32[l] { value } else { Val::UNKNOWN };
            }
            Operator::GlobalGet { global_index } => {
                let aligned = env.aligned_globals.get(*global_index as usize) == Some(&true);
                self.stack
                    .push(if aligned { Val::MULT4 } else { Val::UNKNOWN });
            }
            Operator::GlobalSet { global_index } => {
                let value = self.pop();
                let aligned = env.aligned_globals.get(*global_index as usize) == Some(&true);
                if aligned && !value.is_mult4() {
                    self.broken_globals.push(*global_index);
                }
            }
            Operator::I32Const { value } => self.stack.push(Val::constant(*value as u32)),
            Operator::I32Add
            | Operator::I32Sub
            | Operator::I32Mul
            | Operator::I32And
            | Operator::I32Shl
            | Operator::I32Or
            | Operator::I32Xor
            | Operator::I32ShrU
            | Operator::I32DivU
            | Operator::I32RemU => {
                let (rhs, lhs) = (self.pop(), self.pop());
                let folded = lhs
                    .as_const()
                    .zip(rhs.as_const())
                    .and_then(|(a, b)| Val::fold(op, a, b));
                let result = match folded {
                    Some(c) => Val::constant(c),
                    None => {
                        let rhs_const = rhs.as_const().map(u64::from);
                        let mult4 =
                            result_is_multiple_of_4(op, lhs.is_mult4(), rhs.is_mult4(), rhs_const);
                        let (lo, hi) = ranges::binary(op, lhs, rhs);
                        Val::new(lo, hi, mult4)
                    }
                };
                self.stack.push(result);
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                self.pop();
                let (b, a) = (self.pop(), self.pop());
                self.stack.push(a.meet(b));
            }
            Operator::Call { function_index } => {
                let ty = *env.func_types.get(*function_index as usize)?;
                let (p, r) = env.type_arity(ty)?;
                self.pop_n(p);
                self.push_unknown(r);
            }
            Operator::CallIndirect { type_index, .. } => {
                let (p, r) = env.type_arity(*type_index)?;
                self.pop_n(p + 1);
                self.push_unknown(r);
            }
            other => {
                let (p, r) = other.operator_arity(&NoModule)?;
                self.pop_n(p as usize);
                match ranges::of_result(other) {
                    Some((lo, hi)) if r == 1 => self.stack.push(Val::new(lo, hi, false)),
                    _ => self.push_unknown(r as usize),
                }
            }
        }
        self.locals = Some(locals);
        Some(())
    }
}

/// The locals on the two edges of a branch on the condition computed by the end of `before`
/// (`taken` and `fall_through` before the test is applied), narrowed by what the test says of
/// a local ([`ranges::local_test`]); `None` for an edge no value of that local can take.
fn split_by_test(
    before: &[Operator<'_>],
    taken: Vec<Val>,
    fall_through: Vec<Val>,
) -> (Locals, Locals) {
    (
        narrowed_by_test(before, taken, true),
        narrowed_by_test(before, fall_through, false),
    )
}

/// `path` narrowed by what the condition computed by the end of `before` says of a local when
/// it is `outcome` ([`ranges::local_test`]); `None` when no value of that local gives it.
fn narrowed_by_test(before: &[Operator<'_>], path: Vec<Val>, outcome: bool) -> Locals {
    match ranges::local_test(&before[before.len().saturating_sub(4)..]) {
        Some(test) => {
            let range = if outcome {
                test.when_true
            } else {
                test.when_false
            };
            ranges::narrowed(path, test.local, range)
        }
        None => Some(path),
    }
}

/// `local` is known to hold a multiple of 4 (a constant stays: it is one).
fn set_mult4(locals: &mut [Val], local: u32) {
    if let Some(v) = locals.get_mut(local as usize) {
        if v.as_const().is_none() {
            *v = Val::new(v.lo, v.hi, true);
        }
    }
}

/// Joins `path` into the state `map` keeps for `key`, as [`meet_into`].
fn meet_into_map(map: &mut HashMap<usize, Vec<Val>>, key: usize, path: &[Val]) {
    map.entry(key)
        .and_modify(|acc| meet_pointwise(acc, path))
        .or_insert_with(|| path.to_vec());
}
