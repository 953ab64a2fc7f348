//! A semantic oracle for the MASM rewrites (test-only): a small interpreter for the
//! instructions the peephole, local-move and threading rules read or emit, so that each rule
//! can be checked for equivalence on random stacks instead of by the instruction lists it
//! produces.
//!
//! A program runs on a [`State`]: the operand stack and memory (seeded with pseudo-random
//! contents, so that loads and stores moved past each other show). The stack is never
//! shallower than the VM's 16 elements: an instruction that ends below that floor gets zeros
//! shifted in at the bottom, as in the VM, so a program that dips to the floor and grows again
//! ends one element deeper than its instructions say — which the rewrites must never cause
//! (calls return at an exact depth), though they may remove such a dip.
//!
//! A run ends in an [`Outcome`]: the final state, a trap of some kind, or undefined behaviour
//! (a u32 instruction given a value that is not a u32). A rewrite agrees with the original
//! when both end in equal states (see [`Outcome::agrees`] for the floor) or in traps of the
//! same kind; undefined behaviour of the original makes a case void (no rewrite is wrong
//! there), of the rewrite a mismatch.

mod harness;
mod instructions;
pub(crate) mod pieces;

use std::collections::BTreeMap;

use crate::masm::{CodeTree, Node, SeqId};

pub(crate) use harness::{Oracle, Rng, Values};

/// The Goldilocks prime.
pub(crate) const P: u64 = 0xFFFF_FFFF_0000_0001;

/// The VM's minimum stack depth.
const MIN_DEPTH: usize = 16;

/// Instructions a program may run before the oracle assumes it loops forever.
const FUEL: usize = 100_000;

/// Why a program stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trap {
    /// `assert`/`assertz` on a value that is not 1/0.
    Assertion,
    /// `u32assert`/`u32assert2` on a value that is not a u32.
    NotU32,
    /// `not`, `and`, `or`, `if.true` or `while.true` on a value that is not 0 or 1.
    NotBinary,
    /// `div`, `inv` of 0, or a u32 division by 0.
    DivideByZero,
    /// A memory address of 2^32 or more.
    BadAddress,
    /// A 64-bit shift or rotation by 64 or more.
    ShiftRange,
}

/// How a step ended a run.
#[derive(Debug)]
enum Stop {
    Trap(Trap),
    /// The instruction whose result the VM leaves undefined for these operands.
    Undefined(String),
}

/// How a program ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Ran to the end.
    Done(State),
    /// Trapped.
    Trapped(Trap),
    /// Reached undefined behaviour at this instruction.
    Undefined(String),
}

impl Outcome {
    /// Whether `rewritten` may replace the program that ended in `self`: the same kind of
    /// trap, or the same memory and the same stack, except that the rewritten stack may be
    /// shallower by zeros at the bottom (floor zeros the original let in and the rewrite did
    /// not) but never deeper.
    pub(crate) fn agrees(&self, rewritten: &Outcome) -> bool {
        match (self, rewritten) {
            (Outcome::Done(a), Outcome::Done(b)) => {
                let element = |s: &State, k: usize| s.stack.iter().rev().nth(k).copied();
                a.memory == b.memory
                    && b.len() <= a.len()
                    && (0..a.len()).all(|k| element(a, k) == element(b, k).or(Some(0)))
            }
            (Outcome::Trapped(a), Outcome::Trapped(b)) => a == b,
            _ => false,
        }
    }
}

/// Memory: pseudo-random contents (a function of the address and a seed) under the writes.
#[derive(Clone, Debug)]
pub(crate) struct Memory {
    seed: u64,
    written: BTreeMap<u64, u64>,
}

impl Memory {
    fn read(&self, addr: u64) -> u64 {
        match self.written.get(&addr) {
            Some(v) => *v,
            None => harness::mix(self.seed ^ addr) % P,
        }
    }

    fn write(&mut self, addr: u64, v: u64) {
        self.written.insert(addr, v);
    }
}

impl PartialEq for Memory {
    /// Equal contents at every address either run wrote.
    fn eq(&self, other: &Memory) -> bool {
        self.seed == other.seed
            && self
                .written
                .keys()
                .chain(other.written.keys())
                .all(|a| self.read(*a) == other.read(*a))
    }
}

/// The machine state a program runs on.
#[derive(Clone, PartialEq)]
pub(crate) struct State {
    /// The operand stack, top last.
    stack: Vec<u64>,
    memory: Memory,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let top_first: Vec<u64> = self.stack.iter().rev().copied().collect();
        write!(
            f,
            "stack (top first) {top_first:?}, writes {:?}",
            self.memory.written
        )
    }
}

impl State {
    /// A state with `top_first` on the stack (at least 16 elements) and memory from `seed`.
    pub(crate) fn new(top_first: &[u64], seed: u64) -> State {
        assert!(
            top_first.len() >= MIN_DEPTH,
            "the VM stack holds at least 16"
        );
        State {
            stack: top_first.iter().rev().copied().collect(),
            memory: Memory {
                seed,
                written: BTreeMap::new(),
            },
        }
    }

    /// Replaces the element `k` from the top (to place a condition a rule relies on).
    pub(crate) fn set(&mut self, k: usize, v: u64) {
        let n = self.stack.len();
        self.stack[n - 1 - k] = v;
    }

    fn len(&self) -> usize {
        self.stack.len()
    }

    fn at(&self, k: usize) -> u64 {
        self.stack[self.stack.len() - 1 - k]
    }

    fn push(&mut self, v: u64) {
        self.stack.push(v);
    }

    /// Pops the top (see [`State::refill`]).
    fn pop(&mut self) -> u64 {
        self.stack.pop().expect("the stack never empties")
    }

    /// Ends an instruction: below the 16-element floor, zeros come in at the bottom (an
    /// instruction reads at most its top few elements, so none of them is one of these).
    fn refill(&mut self) {
        while self.stack.len() < MIN_DEPTH {
            self.stack.insert(0, 0);
        }
    }
}

/// A program: instructions and the structured control flow around them.
#[derive(Clone, Debug)]
pub(crate) enum Block {
    Op(String),
    /// `if.true <then> else <else> end`.
    If(Vec<Block>, Vec<Block>),
    /// `while.true <body> end`.
    While(Vec<Block>),
}

/// A straight-line program.
pub(crate) fn straight(ops: &[impl ToString]) -> Vec<Block> {
    ops.iter().map(|op| Block::Op(op.to_string())).collect()
}

/// A program from MASM text (instructions separated by whitespace, `#` comments ignored).
pub(crate) fn parse(text: &str) -> Vec<Block> {
    let mut tokens = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace);
    let (program, last) = parse_until(&mut tokens);
    assert_eq!(last, None, "unbalanced `{last:?}` in\n{text}");
    program
}

/// Blocks up to the `else` or `end` that closes them (returned with them).
fn parse_until<'a>(tokens: &mut impl Iterator<Item = &'a str>) -> (Vec<Block>, Option<&'a str>) {
    let mut out = Vec::new();
    while let Some(token) = tokens.next() {
        match token {
            "else" | "end" => return (out, Some(token)),
            "if.true" | "if.false" => {
                let (first, closer) = parse_until(tokens);
                let second = match closer {
                    Some("else") => {
                        let (second, end) = parse_until(tokens);
                        assert_eq!(end, Some("end"), "`if` without `end`");
                        second
                    }
                    Some("end") => Vec::new(),
                    _ => panic!("`if` without `end`"),
                };
                out.push(if token == "if.true" {
                    Block::If(first, second)
                } else {
                    Block::If(second, first)
                });
            }
            "while.true" => {
                let (body, end) = parse_until(tokens);
                assert_eq!(end, Some("end"), "`while` without `end`");
                out.push(Block::While(body));
            }
            op => out.push(Block::Op(op.to_string())),
        }
    }
    (out, None)
}

/// The program a code tree holds at `seq` (inlined sequences in place).
pub(crate) fn from_tree(tree: &CodeTree, seq: SeqId) -> Vec<Block> {
    let mut out = Vec::new();
    for node in tree.nodes(seq) {
        match node {
            Node::Op(op) => out.push(Block::Op(op.to_string())),
            Node::Inline(inner) => out.extend(from_tree(tree, *inner)),
            Node::If { then_seq, else_seq } => out.push(Block::If(
                from_tree(tree, *then_seq),
                from_tree(tree, *else_seq),
            )),
            Node::While { body } => out.push(Block::While(from_tree(tree, *body))),
            // A trap-site marker is zero-width: it executes nothing.
            Node::Site(_) => {}
        }
    }
    out
}

/// `program` as one line of MASM, for failure messages.
pub(crate) fn show(program: &[Block]) -> String {
    let mut parts = Vec::new();
    for block in program {
        parts.push(match block {
            Block::Op(op) => op.clone(),
            Block::If(a, b) => format!("if.true {} else {} end", show(a), show(b)),
            Block::While(body) => format!("while.true {} end", show(body)),
        });
    }
    parts.join(" ")
}

/// Runs `program` from `start`.
pub(crate) fn run(program: &[Block], start: &State) -> Outcome {
    let mut state = start.clone();
    let mut fuel = FUEL;
    match exec(program, &mut state, &mut fuel) {
        Ok(()) => Outcome::Done(state),
        Err(Stop::Trap(trap)) => Outcome::Trapped(trap),
        Err(Stop::Undefined(op)) => Outcome::Undefined(op),
    }
}

fn exec(program: &[Block], state: &mut State, fuel: &mut usize) -> Result<(), Stop> {
    for block in program {
        *fuel = fuel
            .checked_sub(1)
            .expect("oracle: the program does not end");
        match block {
            Block::Op(op) => {
                state.step(op)?;
                state.refill();
            }
            Block::If(then_arm, else_arm) => {
                let condition = state.pop();
                state.refill();
                if instructions::binary(condition)? == 1 {
                    exec(then_arm, state, fuel)?;
                } else {
                    exec(else_arm, state, fuel)?;
                }
            }
            Block::While(body) => {
                while instructions::binary(state.pop())? == 1 {
                    state.refill();
                    exec(body, state, fuel)?;
                    *fuel = fuel
                        .checked_sub(1)
                        .expect("oracle: the program does not end");
                }
                state.refill();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(top: &[u64]) -> State {
        let mut values = top.to_vec();
        values.resize(MIN_DEPTH, 0);
        State::new(&values, 7)
    }

    fn top(outcome: Outcome, n: usize) -> Vec<u64> {
        match outcome {
            Outcome::Done(s) => (0..n).map(|k| s.at(k)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn instructions_follow_the_vm() {
        let run_text = |text: &str, stack: &[u64]| run(&parse(text), &state(stack));
        // [b, a]: a - b, a < b; the field wraps at p.
        assert_eq!(top(run_text("sub", &[3, 1]), 1), [P - 2]);
        assert_eq!(top(run_text("u32lt", &[3, 1]), 1), [1]);
        assert_eq!(top(run_text("u32wrapping_sub.3", &[1]), 1), [(1 << 32) - 2]);
        // u32split and u32widening_mul leave the low limb on top.
        assert_eq!(top(run_text("u32split", &[(5 << 32) | 9]), 2), [9, 5]);
        assert_eq!(top(run_text("u32divmod.4", &[11]), 2), [3, 2]);
        assert_eq!(top(run_text("div.4 mul.4", &[11]), 1), [11]);
        assert_eq!(top(run_text("movdn.2", &[1, 2, 3]), 3), [2, 3, 1]);
        assert_eq!(top(run_text("movup.2 swap.2", &[1, 2, 3]), 3), [2, 1, 3]);
        // A pop at the floor shifts in a zero: drop-then-push ends one deeper, which a
        // rewrite may remove but not add.
        let (above, dipping) = ("push.5 swap drop", "drop push.5");
        assert!(!run_text(above, &[1]).agrees(&run_text(dipping, &[1])));
        assert!(run_text(dipping, &[1]).agrees(&run_text(above, &[1])));
        assert!(!run_text(dipping, &[1]).agrees(&run_text("push.5", &[1])));
        assert!(matches!(
            run_text("u32and", &[1 << 32, 1]),
            Outcome::Undefined(_)
        ));
        assert!(matches!(
            run_text("if.true nop end", &[2]),
            Outcome::Trapped(Trap::NotBinary)
        ));
        assert!(matches!(
            run_text("mem_load", &[P - 1]),
            Outcome::Trapped(Trap::BadAddress)
        ));
        let loop_text = "push.1 while.true sub.1 dup neq.0 end";
        assert_eq!(top(run_text(loop_text, &[3]), 1), [0]);
    }

    #[test]
    #[should_panic(expected = "no model for `u32popcnt`")]
    fn unknown_instructions_fail_the_test() {
        run(&parse("u32popcnt"), &state(&[1]));
    }

    #[test]
    #[should_panic(expected = "no model for `movup.1`")]
    fn invalid_immediates_fail_the_test() {
        run(&parse("movup.1"), &state(&[1]));
    }
}
