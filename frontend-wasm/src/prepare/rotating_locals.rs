//! Counted loops that pass values along a chain of locals, unrolled and renamed so that the
//! copies disappear.
//!
//! A hash round ends with `h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2`:
//! six of the eight writes copy a value from one local to another, and each copy costs a read
//! and a write of a stack slot. Unrolled k times, the values need not move: the rewrite follows
//! which value every local holds, reads it from wherever it already lives, and gives each newly
//! computed value a local whose previous value is dead. At the end of the k copies every local
//! must hold what the original code would leave in it; when a value sits elsewhere, a copy puts
//! it back (a few per k iterations instead of six per iteration).
//!
//! The rewrite is done on the operators before translation, and only where it is exact:
//!
//! - the loop is counted ([`counted_loop::shape`]), with a constant start written just before
//!   it, and its trip count is a multiple of k: the unrolled loop steps the counter by k steps
//!   and tests it as before, and copy j reads the counter as `i + j·step`;
//! - its body is straight-line code (no blocks, branches or calls), so nothing sees the locals
//!   between the copies, and the loop is left only at the end of the last copy, where every
//!   local is back in place;
//! - a copy is a `local.get x` directly followed by `local.set y` or `local.tee y`; a value only
//!   ever moves to a local of its own type.

use std::collections::{BTreeSet, HashMap};

use midenc_abi::CoreType;
use wasmparser::{BlockType, Operator};

use crate::analysis::counted_loop::{self, body_len, RepeatWhile};

/// The unroll factors tried, from the largest: each must divide the trip count.
const FACTORS: [usize; 3] = [8, 4, 2];
/// Most operators an unrolled body may have.
const MAX_UNROLLED_OPS: usize = 1_000;
/// Fewest copies an iteration must make for the rewrite to be worth its code.
const MIN_COPIES: usize = 3;

/// Unrolls and renames every loop of `ops` (a whole function body) that qualifies; `offsets`
/// (one per operator) stays in step, and `types` gives the type of every local.
pub(crate) fn unroll_rotations(
    ops: &mut Vec<Operator<'_>>,
    offsets: &mut Vec<u64>,
    types: &[CoreType],
) {
    let mut at = 0;
    while at < ops.len() {
        if matches!(
            ops[at],
            Operator::Loop {
                blockty: BlockType::Empty
            }
        ) {
            if let Some((len, body, body_offsets)) = rewrite(ops, offsets, at, types) {
                let new_len = body.len();
                ops.splice(at + 1..at + 1 + len, body);
                offsets.splice(at + 1..at + 1 + len, body_offsets);
                at += new_len;
            }
        }
        at += 1;
    }
}

/// What one operator of the straight-line body does with locals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// `local.get x  local.set y`: y takes x's value, nothing is emitted.
    SetCopy { from: u32, to: u32 },
    /// `local.get x  local.tee y`: y takes x's value, which is also pushed.
    TeeCopy { from: u32, to: u32 },
    /// The second operator of a copy.
    CopyEnd,
    /// A read of the counter, which copy j reads as `i + j·step`.
    CounterRead,
    /// A read of a local's current value.
    Read(u32),
    /// A newly computed value written to a local (`tee`: also kept on the stack).
    Def { local: u32, tee: bool },
    /// Anything else, emitted as it is.
    Other,
}

/// One value a local holds during the unrolled body.
#[derive(Clone, Debug)]
struct Value {
    ty: CoreType,
    /// Position of its definition (0 for the values held on entry).
    def: usize,
    /// Position of its last read (0 when never read).
    last_read: usize,
    /// Whether some local must hold it when the copies end.
    live_out: bool,
    /// The local it is kept in.
    home: Option<u32>,
}

impl Value {
    /// The last position its local is taken: its last read, or the end for a value some local
    /// must hold when the copies end.
    fn busy_until(&self) -> usize {
        if self.live_out {
            usize::MAX
        } else {
            self.last_read
        }
    }
}

/// What emitting the unrolled body needs, from one walk over its copies.
enum Event {
    /// The straight-line operator at this index, unchanged.
    Op(usize),
    /// A read of value `v` (at the operator's index).
    Read(usize, usize),
    /// A definition of value `v` (at the operator's index).
    Def(usize, usize, bool),
    /// A read of the counter in copy `j` (at the operator's index).
    Counter(usize, usize),
}

/// The unrolled body replacing the loop at `ops[at]`: the length of the body it replaces and
/// the new operators with their offsets, or `None` when the loop does not qualify.
fn rewrite<'b>(
    ops: &[Operator<'b>],
    offsets: &[u64],
    at: usize,
    types: &[CoreType],
) -> Option<(usize, Vec<Operator<'b>>, Vec<u64>)> {
    let after = &ops[at + 1..];
    let len = body_len(after)?;
    let shape = counted_loop::shape(after)?;
    let body = &after[..len];
    let tail = if matches!(shape.repeat, RepeatWhile::NotEqual(0))
        && matches!(body[len - 2], Operator::LocalTee { .. })
    {
        5
    } else {
        7
    };
    let straight = &body[..len - tail];
    if straight.iter().any(|op| {
        matches!(
            op,
            Operator::Block { .. } | Operator::If { .. } | Operator::Else | Operator::End
        )
    }) {
        return None;
    }
    let start = entry_const(ops, at, shape.local)?;
    let trips = counted_loop::trips(shape, start)?;
    let roles = roles(straight, shape.local)?;
    let copies = roles
        .iter()
        .filter(|r| matches!(r, Role::SetCopy { .. } | Role::TeeCopy { .. }))
        .count();
    if copies < MIN_COPIES {
        return None;
    }
    // The factor needing the fewest copies at the end per iteration (the smaller on a tie).
    let mut best: Option<(usize, Unrolled)> = None;
    for k in FACTORS {
        if trips % k as u64 != 0 || k * straight.len() + tail > MAX_UNROLLED_OPS {
            continue;
        }
        let Some(unrolled) = Unrolled::plan(&roles, k, types) else {
            continue;
        };
        let better = match &best {
            None => true,
            Some((bk, b)) => unrolled.copies() * bk <= b.copies() * k,
        };
        if better {
            best = Some((k, unrolled));
        }
    }
    let (k, unrolled) = best?;
    if unrolled.copies() >= copies * k {
        return None;
    }
    let (new_ops, new_offsets) = unrolled.emit(
        straight,
        &offsets[at + 1..at + 1 + len - tail],
        &body[len - tail..],
        &offsets[at + 1 + len - tail..at + 1 + len],
        k,
        shape.step,
    );
    Some((len, new_ops, new_offsets))
}

/// The constant the counter holds on entry: written by `i32.const c  local.set i` (or `tee`)
/// in the straight-line code just before the loop.
fn entry_const(ops: &[Operator<'_>], at: usize, counter: u32) -> Option<u32> {
    let mut i = at;
    while i > 0 {
        i -= 1;
        match &ops[i] {
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
                if *local_index == counter =>
            {
                return match ops.get(i.checked_sub(1)?) {
                    Some(Operator::I32Const { value }) => Some(*value as u32),
                    _ => None,
                };
            }
            op if crate::prepare::rebased_induction::is_control(op)
                || matches!(op, Operator::Call { .. } | Operator::CallIndirect { .. }) =>
            {
                return None
            }
            _ => {}
        }
    }
    None
}

/// The role of each operator of the straight-line body; `None` when it writes the counter.
fn roles(straight: &[Operator<'_>], counter: u32) -> Option<Vec<Role>> {
    let mut roles = Vec::with_capacity(straight.len());
    let mut i = 0;
    while i < straight.len() {
        match (&straight[i], straight.get(i + 1)) {
            (Operator::LocalGet { local_index }, _) if *local_index == counter => {
                roles.push(Role::CounterRead)
            }
            (
                Operator::LocalGet { local_index: from },
                Some(Operator::LocalSet { local_index: to }),
            ) => {
                roles.extend([
                    Role::SetCopy {
                        from: *from,
                        to: *to,
                    },
                    Role::CopyEnd,
                ]);
                i += 1;
            }
            (
                Operator::LocalGet { local_index: from },
                Some(Operator::LocalTee { local_index: to }),
            ) => {
                roles.extend([
                    Role::TeeCopy {
                        from: *from,
                        to: *to,
                    },
                    Role::CopyEnd,
                ]);
                i += 1;
            }
            (Operator::LocalGet { local_index }, _) => roles.push(Role::Read(*local_index)),
            (Operator::LocalSet { local_index }, _) => roles.push(Role::Def {
                local: *local_index,
                tee: false,
            }),
            (Operator::LocalTee { local_index }, _) => roles.push(Role::Def {
                local: *local_index,
                tee: true,
            }),
            _ => roles.push(Role::Other),
        }
        i += 1;
    }
    let writes_counter = roles.iter().any(|r| match r {
        Role::SetCopy { to, .. } | Role::TeeCopy { to, .. } => *to == counter,
        Role::Def { local, .. } => *local == counter,
        _ => false,
    });
    (!writes_counter).then_some(roles)
}

/// The unrolled body's values, where they live, and the copies its end needs.
struct Unrolled {
    values: Vec<Value>,
    events: Vec<Event>,
    /// `(to, from)`: the copies that put every written local's final value back in place,
    /// in groups made in order; a group reads all its sources before it writes (a cycle).
    moves: Vec<Vec<(u32, u32)>>,
}

impl Unrolled {
    /// Follows the values through k copies of the body and gives each a local; `None` when
    /// the copies at the end would form a cycle.
    fn plan(roles: &[Role], k: usize, types: &[CoreType]) -> Option<Unrolled> {
        // The locals the body writes: the ones whose slots the values may move between.
        let written: BTreeSet<u32> = roles
            .iter()
            .filter_map(|r| match r {
                Role::SetCopy { to, .. } | Role::TeeCopy { to, .. } => Some(*to),
                Role::Def { local, .. } => Some(*local),
                _ => None,
            })
            .collect();
        let ty = |local: u32| types.get(local as usize).copied();
        let mut values: Vec<Value> = Vec::new();
        let mut current: HashMap<u32, usize> = HashMap::new();
        for &local in &written {
            holder(&mut current, &mut values, types, local)?;
        }
        let mut events = Vec::with_capacity(roles.len() * k);
        for j in 0..k {
            for (i, role) in roles.iter().enumerate() {
                let pos = j * roles.len() + i + 1;
                match *role {
                    Role::SetCopy { from, to } => {
                        let v = holder(&mut current, &mut values, types, from)?;
                        current.insert(to, v);
                    }
                    Role::TeeCopy { from, to } => {
                        let v = holder(&mut current, &mut values, types, from)?;
                        values[v].last_read = pos;
                        events.push(Event::Read(i, v));
                        current.insert(to, v);
                    }
                    Role::CopyEnd => {}
                    Role::CounterRead => events.push(Event::Counter(i, j)),
                    Role::Read(local) => {
                        let v = holder(&mut current, &mut values, types, local)?;
                        values[v].last_read = pos;
                        events.push(Event::Read(i, v));
                    }
                    Role::Def { local, tee } => {
                        values.push(Value {
                            ty: ty(local)?,
                            def: pos,
                            last_read: 0,
                            live_out: false,
                            home: None,
                        });
                        let v = values.len() - 1;
                        current.insert(local, v);
                        events.push(Event::Def(i, v, tee));
                    }
                    Role::Other => events.push(Event::Op(i)),
                }
            }
        }
        // Where each written local's final value must end up.
        let mut wanted: HashMap<usize, Vec<u32>> = HashMap::new();
        for &local in &written {
            let v = current[&local];
            values[v].live_out = true;
            wanted.entry(v).or_default().push(local);
        }
        // Homes in order of definition: a local is free once its value's last read is past.
        // The first values are the written locals' entries, in the same order.
        let mut busy_until: HashMap<u32, usize> = written
            .iter()
            .zip(&values)
            .map(|(&l, entry)| (l, entry.busy_until()))
            .collect();
        let preferred: BTreeSet<u32> = wanted.values().flatten().copied().collect();
        for (v, value) in values.iter_mut().enumerate() {
            if value.home.is_some() {
                continue;
            }
            let (def, ty) = (value.def, value.ty);
            let free = |l: &u32| busy_until[l] < def && types.get(*l as usize) == Some(&ty);
            let own = wanted
                .get(&v)
                .and_then(|ls| ls.iter().find(|l| free(l)).copied());
            let home = own
                .or_else(|| {
                    written
                        .iter()
                        .find(|l| free(l) && !preferred.contains(l))
                        .copied()
                })
                .or_else(|| written.iter().find(|l| free(l)).copied())?;
            value.home = Some(home);
            busy_until.insert(home, value.busy_until());
        }
        let mut pending: Vec<(u32, u32)> = written
            .iter()
            .filter_map(|&l| {
                let from = values[current[&l]].home?;
                (from != l).then_some((l, from))
            })
            .collect();
        // Sequential copies while one writes a local no other copy still reads; a cycle goes
        // through the operand stack (every source read, then every destination written).
        let mut moves = Vec::with_capacity(pending.len());
        while let Some(&(first, _)) = pending.first() {
            match pending
                .iter()
                .position(|&(to, _)| pending.iter().all(|&(_, from)| from != to))
            {
                Some(ready) => moves.push(vec![pending.remove(ready)]),
                None => {
                    let mut cycle = Vec::new();
                    let mut to = first;
                    loop {
                        let at = pending.iter().position(|&(t, _)| t == to)?;
                        let (t, from) = pending.remove(at);
                        cycle.push((t, from));
                        if from == first {
                            break;
                        }
                        to = from;
                    }
                    moves.push(cycle);
                }
            }
        }
        Some(Unrolled {
            values,
            events,
            moves,
        })
    }

    /// How many locals the end copies into.
    fn copies(&self) -> usize {
        self.moves.iter().map(Vec::len).sum()
    }

    /// The operators of the unrolled body: the k copies, the copies back into place, and the
    /// counter's step (k steps) and test.
    fn emit<'b>(
        &self,
        straight: &[Operator<'b>],
        offsets: &[u64],
        tail: &[Operator<'b>],
        tail_offsets: &[u64],
        k: usize,
        step: u32,
    ) -> (Vec<Operator<'b>>, Vec<u64>) {
        let mut ops = Vec::new();
        let mut offs = Vec::new();
        let home = |v: usize| self.values[v].home.expect("every value has a home");
        let counter = match tail[0] {
            Operator::LocalGet { local_index } => local_index,
            _ => unreachable!("a counted loop's tail starts by reading its counter"),
        };
        for event in &self.events {
            let (i, new): (usize, Vec<Operator<'b>>) = match *event {
                Event::Op(i) => (i, vec![straight[i].clone()]),
                Event::Read(i, v) => (
                    i,
                    vec![Operator::LocalGet {
                        local_index: home(v),
                    }],
                ),
                Event::Def(i, v, false) => (
                    i,
                    vec![Operator::LocalSet {
                        local_index: home(v),
                    }],
                ),
                Event::Def(i, v, true) => (
                    i,
                    vec![Operator::LocalTee {
                        local_index: home(v),
                    }],
                ),
                Event::Counter(i, 0) => (
                    i,
                    vec![Operator::LocalGet {
                        local_index: counter,
                    }],
                ),
                Event::Counter(i, j) => (
                    i,
                    vec![
                        Operator::LocalGet {
                            local_index: counter,
                        },
                        Operator::I32Const {
                            value: step.wrapping_mul(j as u32) as i32,
                        },
                        Operator::I32Add,
                    ],
                ),
            };
            offs.extend(std::iter::repeat_n(offsets[i], new.len()));
            ops.extend(new);
        }
        for group in &self.moves {
            for &(_, from) in group {
                ops.push(Operator::LocalGet { local_index: from });
            }
            for &(to, _) in group.iter().rev() {
                ops.push(Operator::LocalSet { local_index: to });
            }
            offs.extend(std::iter::repeat_n(tail_offsets[0], 2 * group.len()));
        }
        for (op, off) in tail.iter().zip(tail_offsets) {
            ops.push(match op {
                Operator::I32Const { value }
                    if ops.last()
                        == Some(&Operator::LocalGet {
                            local_index: counter,
                        }) =>
                {
                    Operator::I32Const {
                        value: (*value as u32).wrapping_mul(k as u32) as i32,
                    }
                }
                op => op.clone(),
            });
            offs.push(*off);
        }
        (ops, offs)
    }
}

/// The value `local` holds now: the one it held on entry when the body has not written it yet
/// (`None` for a local with no type).
fn holder(
    current: &mut HashMap<u32, usize>,
    values: &mut Vec<Value>,
    types: &[CoreType],
    local: u32,
) -> Option<usize> {
    if let Some(&v) = current.get(&local) {
        return Some(v);
    }
    values.push(Value {
        ty: *types.get(local as usize)?,
        def: 0,
        last_read: 0,
        live_out: false,
        home: Some(local),
    });
    current.insert(local, values.len() - 1);
    Some(values.len() - 1)
}
