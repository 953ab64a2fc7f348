//! MASM instructions as data: the one place that knows each instruction's spelling, stack
//! effect, cycle cost and algebraic facts.
//!
//! The translator builds [`Inst`] values, the MASM-level rewrites match on them, and only the
//! printer turns them into text. Costs are the ones measured on Miden 0.23.5
//! (`docs/codegen.md`, "Instruction costs").

use std::fmt;

/// The Goldilocks prime: a `push` immediate is a felt below it.
pub(crate) const P: u64 = 0xFFFF_FFFF_0000_0001;

macro_rules! mnemonics {
    ($($variant:ident => $text:literal,)*) => {
        /// The name of an instruction that is not a stack move, `push`, call or group: the
        /// part before the immediate (`add` in `add.3`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Op {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )*
        }

        impl Op {
            /// The spelling in MASM source.
            pub fn name(self) -> &'static str {
                match self {
                    $(Op::$variant => $text,)*
                }
            }

            /// The mnemonic spelt `name`, if it is one this backend emits.
            pub fn from_name(name: &str) -> Option<Op> {
                match name {
                    $($text => Some(Op::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

mnemonics! {
    Drop => "drop",
    DropW => "dropw",
    PadW => "padw",
    DupW => "dupw",
    SwapW => "swapw",
    SwapDW => "swapdw",
    MovUpW => "movupw",
    MovDnW => "movdnw",
    ReverseW => "reversew",
    CDrop => "cdrop",
    CSwap => "cswap",
    CDropW => "cdropw",
    CSwapW => "cswapw",
    Add => "add",
    Sub => "sub",
    Mul => "mul",
    Div => "div",
    Neg => "neg",
    Inv => "inv",
    Pow2 => "pow2",
    Exp => "exp",
    Incr => "incr",
    Eq => "eq",
    Neq => "neq",
    Lt => "lt",
    Lte => "lte",
    Gt => "gt",
    Gte => "gte",
    Not => "not",
    And => "and",
    Or => "or",
    Xor => "xor",
    IsOdd => "is_odd",
    EqW => "eqw",
    U32WrappingAdd => "u32wrapping_add",
    U32WrappingAdd3 => "u32wrapping_add3",
    U32WrappingSub => "u32wrapping_sub",
    U32WrappingMul => "u32wrapping_mul",
    U32WrappingMadd => "u32wrapping_madd",
    U32WideningAdd => "u32widening_add",
    U32WideningMul => "u32widening_mul",
    U32WideningMadd => "u32widening_madd",
    U32OverflowingAdd => "u32overflowing_add",
    U32OverflowingSub => "u32overflowing_sub",
    U32Div => "u32div",
    U32Mod => "u32mod",
    U32DivMod => "u32divmod",
    U32And => "u32and",
    U32Or => "u32or",
    U32Xor => "u32xor",
    U32Not => "u32not",
    U32Shl => "u32shl",
    U32Shr => "u32shr",
    U32Rotl => "u32rotl",
    U32Rotr => "u32rotr",
    U32Popcnt => "u32popcnt",
    U32Clz => "u32clz",
    U32Ctz => "u32ctz",
    U32Clo => "u32clo",
    U32Cto => "u32cto",
    U32Lt => "u32lt",
    U32Lte => "u32lte",
    U32Gt => "u32gt",
    U32Gte => "u32gte",
    U32Min => "u32min",
    U32Max => "u32max",
    U32Split => "u32split",
    U32Cast => "u32cast",
    U32Test => "u32test",
    U32Assert => "u32assert",
    U32Assert2 => "u32assert2",
    U32AssertW => "u32assertw",
    Assert => "assert",
    Assertz => "assertz",
    AssertEq => "assert_eq",
    AssertEqW => "assert_eqw",
    MemLoad => "mem_load",
    MemStore => "mem_store",
    MemLoadWLe => "mem_loadw_le",
    MemStoreWLe => "mem_storew_le",
    MemLoadWBe => "mem_loadw_be",
    MemStoreWBe => "mem_storew_be",
    MemStream => "mem_stream",
    LocLoad => "loc_load",
    LocStore => "loc_store",
    LocAddr => "locaddr",
    AdvPush => "adv_push",
    AdvLoadW => "adv_loadw",
    AdvPipe => "adv_pipe",
    AdvPushMapval => "adv.push_mapval",
    AdvInsertMem => "adv.insert_mem",
    HMerge => "hmerge",
    HPerm => "hperm",
    DynExec => "dynexec",
    DynCall => "dyncall",
    Nop => "nop",
    Trace => "trace",
    SDepth => "sdepth",
}

/// One MASM instruction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Inst {
    /// `dup.n` (printed `dup` for n = 0).
    Dup(u8),
    /// `swap.n` (printed `swap` for n = 1).
    Swap(u8),
    /// `movup.n`.
    MovUp(u8),
    /// `movdn.n`.
    MovDn(u8),
    /// `push.v`: one felt.
    Push(u64),
    /// `push.a.b…`: several felts, `a` pushed first.
    PushMany(Vec<u64>),
    /// `push.NAME`: a named constant of the module (an `adv_map` key, a word).
    PushNamed(String),
    /// A mnemonic without an immediate (`add`, `mem_load`).
    Op(Op),
    /// A mnemonic with an integer immediate (`add.3`, `mem_load.1024`, `swapw.2`).
    Imm(Op, u64),
    /// A checking instruction with the error text it fails with (`assert.err="…"`).
    Check(Op, String),
    /// `exec.target`: a procedure run in the caller's context.
    Exec(String),
    /// `call.target`: a procedure run in a new context.
    Call(String),
    /// `procref.target`: the MAST root of a procedure, as a word.
    ProcRef(String),
    /// Several instructions printed on one line that every rewrite treats as one opaque
    /// instruction (a division's zero check, kept at the operator it belongs to).
    Group(Vec<Inst>),
}

/// How an instruction uses the top of the stack: the deepest position it reads or moves, and
/// how many elements it pops and then pushes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackEffect {
    /// The deepest position read or moved (0 is the top).
    pub reach: usize,
    /// Elements popped.
    pub pops: usize,
    /// Elements pushed after popping.
    pub pushes: usize,
}

impl StackEffect {
    const fn new(reach: usize, pops: usize, pushes: usize) -> Self {
        StackEffect {
            reach,
            pops,
            pushes,
        }
    }
}

impl Inst {
    /// `dup` of the top (`dup.0`).
    pub const DUP: Inst = Inst::Dup(0);
    /// `swap` of the top two (`swap.1`).
    pub const SWAP: Inst = Inst::Swap(1);
    /// `drop`.
    pub const DROP: Inst = Inst::Op(Op::Drop);

    /// Parses one line of MASM as this backend writes it: one instruction, or several
    /// separated by spaces (a [`Inst::Group`]).
    pub fn parse(text: &str) -> Result<Inst, String> {
        let words = split_words(text.trim());
        match words.as_slice() {
            [] => Err("an empty instruction".into()),
            [one] => parse_one(one),
            many => many
                .iter()
                .map(|w| parse_one(w))
                .collect::<Result<_, _>>()
                .map(Inst::Group),
        }
    }

    /// `dup.n` for a copy of position `n`.
    pub fn dup(n: usize) -> Inst {
        Inst::Dup(n as u8)
    }

    /// `movup.n` (1: `swap`; 0: nothing).
    pub fn movup(n: usize) -> Vec<Inst> {
        match n {
            0 => Vec::new(),
            1 => vec![Inst::SWAP],
            _ => vec![Inst::MovUp(n as u8)],
        }
    }

    /// `movdn.n` (1: `swap`; 0: nothing).
    pub fn movdn(n: usize) -> Vec<Inst> {
        match n {
            0 => Vec::new(),
            1 => vec![Inst::SWAP],
            _ => vec![Inst::MovDn(n as u8)],
        }
    }

    /// The felt a `push.v` pushes.
    pub fn push_value(&self) -> Option<u64> {
        match self {
            Inst::Push(v) if *v < P => Some(*v),
            _ => None,
        }
    }

    /// n for `dup.n`.
    pub fn dup_index(&self) -> Option<usize> {
        match self {
            Inst::Dup(n) => Some(*n as usize),
            _ => None,
        }
    }

    /// n for `swap.n`.
    pub fn swap_index(&self) -> Option<usize> {
        match self {
            Inst::Swap(n) => Some(*n as usize),
            _ => None,
        }
    }

    /// Whether it pops two felts and pushes one, with no other effect (and no immediate).
    pub fn is_binary(&self) -> bool {
        matches!(self, Inst::Op(op) if op.is_binary())
    }

    /// Whether it pops one felt and pushes one, with no other effect: a unary instruction,
    /// a load from a computed address, or a binary one with its top operand as immediate.
    pub fn is_unary(&self) -> bool {
        match self {
            Inst::Op(op) => matches!(op, Op::Not | Op::Neg | Op::Inv | Op::Incr | Op::MemLoad),
            Inst::Imm(op, _) => {
                op.is_binary()
                    || matches!(
                        op,
                        Op::Sub
                            | Op::Div
                            | Op::U32Div
                            | Op::U32Mod
                            | Op::U32Shl
                            | Op::U32Shr
                            | Op::U32Rotl
                            | Op::U32Rotr
                    )
            }
            _ => false,
        }
    }

    /// Whether it is a binary instruction whose operands may come in either order.
    pub fn is_commutative(&self) -> bool {
        matches!(
            self,
            Inst::Op(
                Op::Add
                    | Op::Mul
                    | Op::Eq
                    | Op::Neq
                    | Op::U32WrappingAdd
                    | Op::U32WrappingMul
                    | Op::U32And
                    | Op::U32Or
                    | Op::U32Xor
            )
        )
    }

    /// What it does to the stack, for the instructions the rewrites reason about (`None` for
    /// the others: calls, words, advice, checks).
    pub fn stack_effect(&self) -> Option<StackEffect> {
        Some(match self {
            Inst::Dup(n) => StackEffect::new(*n as usize, 0, 1),
            Inst::Swap(n) | Inst::MovUp(n) | Inst::MovDn(n) => StackEffect::new(*n as usize, 0, 0),
            Inst::Push(_) => StackEffect::new(0, 0, 1),
            Inst::Op(Op::Drop) => StackEffect::new(0, 1, 0),
            Inst::Imm(Op::MemLoad, _) => StackEffect::new(0, 0, 1),
            Inst::Op(Op::U32Split) => StackEffect::new(0, 1, 2),
            Inst::Op(Op::U32WideningMul) => StackEffect::new(1, 2, 2),
            inst if inst.is_unary() => StackEffect::new(0, 1, 1),
            inst if inst.is_binary() => StackEffect::new(1, 2, 1),
            _ => return None,
        })
    }

    /// The cycles it costs. Exact for the stack instructions, whose cost depends on the
    /// depth (`dup.8` costs 3 but `dup.9` 1), for the u32 comparisons and arithmetic the
    /// rewrites trade, and for procedure-local accesses (which split frames trade against
    /// stack slots); every other instruction, and a group, counts 1.
    pub fn cycles(&self) -> u64 {
        match self {
            Inst::Dup(8 | 10 | 12 | 14) => 3,
            Inst::Swap(2..=8) => 2,
            Inst::Swap(9) => 5,
            Inst::Swap(10..=15) => 6,
            Inst::MovUp(9..=15) | Inst::MovDn(9..=15) => 4,
            Inst::Push(1) => 2,
            Inst::Op(op) | Inst::Check(op, _) => op.cycles(),
            // The immediate is pushed first (`u32lt.3` is `push.3 u32lt`), but `add.1` is `incr`.
            Inst::Imm(Op::Add, 1) => 1,
            Inst::Imm(op, _) if op.is_binary() => op.cycles() + 1,
            Inst::Imm(op, _) => op.cycles(),
            _ => 1,
        }
    }

    /// Whether it can fail at run time, so that the VM may report its location: assertions,
    /// division, memory accesses at a computed address and dynamic calls. Instructions with
    /// an immediate address or divisor cannot.
    pub fn may_trap(&self) -> bool {
        match self {
            Inst::Check(..) => true,
            Inst::Op(op) => matches!(
                op,
                Op::Assert
                    | Op::Assertz
                    | Op::AssertEq
                    | Op::AssertEqW
                    | Op::U32Assert
                    | Op::U32Assert2
                    | Op::U32AssertW
                    | Op::U32Div
                    | Op::U32Mod
                    | Op::U32DivMod
                    | Op::Div
                    | Op::Inv
                    | Op::DynExec
                    | Op::DynCall
                    | Op::MemLoad
                    | Op::MemStore
                    | Op::MemLoadWLe
                    | Op::MemStoreWLe
                    | Op::MemLoadWBe
                    | Op::MemStoreWBe
                    | Op::MemStream
            ),
            Inst::Group(insts) => insts.iter().any(Inst::may_trap),
            _ => false,
        }
    }

    /// The procedure an `exec`, `call` or `procref` names, if any (including inside a group).
    pub fn targets(&self) -> Vec<&str> {
        match self {
            Inst::Exec(t) | Inst::Call(t) | Inst::ProcRef(t) => vec![t.as_str()],
            Inst::Group(insts) => insts.iter().flat_map(Inst::targets).collect(),
            _ => Vec::new(),
        }
    }
}

impl Op {
    /// The cycles of the plain mnemonic, measured on Miden 0.23.5 (twenty in a row against as
    /// many `drop`s): the u32 arithmetic and comparisons are short sequences of VM operations.
    fn cycles(self) -> u64 {
        match self {
            Op::DropW | Op::PadW | Op::DupW => 4,
            Op::U32Or => 6,
            Op::U32Lte => 5,
            Op::U32Gt | Op::U32Gte => 4,
            Op::U32Lt
            | Op::U32WrappingAdd
            | Op::U32WrappingAdd3
            | Op::U32WrappingMul
            | Op::U32Mod => 3,
            Op::U32WrappingSub => 2,
            // The frame pointer read and the address sum come with the access.
            Op::LocLoad => 5,
            Op::LocStore => 6,
            _ => 1,
        }
    }

    /// Whether the plain mnemonic pops two felts and pushes one, with no other effect.
    pub fn is_binary(self) -> bool {
        matches!(
            self,
            Op::Add
                | Op::Mul
                | Op::Eq
                | Op::Neq
                | Op::U32WrappingAdd
                | Op::U32WrappingSub
                | Op::U32WrappingMul
                | Op::U32And
                | Op::U32Or
                | Op::U32Xor
                | Op::U32Lt
                | Op::U32Lte
                | Op::U32Gt
                | Op::U32Gte
        )
    }
}

impl fmt::Display for Inst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inst::Dup(0) => f.write_str("dup"),
            Inst::Dup(n) => write!(f, "dup.{n}"),
            Inst::Swap(1) => f.write_str("swap"),
            Inst::Swap(n) => write!(f, "swap.{n}"),
            Inst::MovUp(n) => write!(f, "movup.{n}"),
            Inst::MovDn(n) => write!(f, "movdn.{n}"),
            Inst::Push(v) => write!(f, "push.{v}"),
            Inst::PushNamed(name) => write!(f, "push.{name}"),
            Inst::PushMany(vs) => {
                f.write_str("push")?;
                vs.iter().try_for_each(|v| write!(f, ".{v}"))
            }
            Inst::Op(op) => f.write_str(op.name()),
            Inst::Imm(op, n) => write!(f, "{}.{n}", op.name()),
            Inst::Check(op, err) => write!(f, "{}.err=\"{err}\"", op.name()),
            Inst::Exec(t) => write!(f, "exec.{t}"),
            Inst::Call(t) => write!(f, "call.{t}"),
            Inst::ProcRef(t) => write!(f, "procref.{t}"),
            Inst::Group(insts) => {
                for (i, inst) in insts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{inst}")?;
                }
                Ok(())
            }
        }
    }
}

/// Instructions are written as text where that reads best (`"dup.3"`, `format!("push.{v}")`):
/// the translator's fixed sequences. A spelling this backend does not know is a bug in the
/// backend, not in the input.
impl From<&str> for Inst {
    fn from(text: &str) -> Inst {
        Inst::parse(text).unwrap_or_else(|e| panic!("backend emitted bad MASM `{text}`: {e}"))
    }
}

impl From<String> for Inst {
    fn from(text: String) -> Inst {
        Inst::from(text.as_str())
    }
}

impl From<&String> for Inst {
    fn from(text: &String) -> Inst {
        Inst::from(text.as_str())
    }
}

/// `text` split at spaces outside double quotes (a quoted error message is one word): the
/// instructions of a line that holds several.
pub(crate) fn split_words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if let Some(s) = start.take() {
                    words.push(&text[s..i]);
                }
                continue;
            }
            _ => {}
        }
        start.get_or_insert(i);
    }
    if let Some(s) = start {
        words.push(&text[s..]);
    }
    words
}

fn parse_one(word: &str) -> Result<Inst, String> {
    for (prefix, make) in [
        ("exec.", Inst::Exec as fn(String) -> Inst),
        ("call.", Inst::Call),
        ("procref.", Inst::ProcRef),
    ] {
        if let Some(target) = word.strip_prefix(prefix) {
            return Ok(make(target.to_string()));
        }
    }
    match word {
        "dup" => return Ok(Inst::DUP),
        "swap" => return Ok(Inst::SWAP),
        _ => {}
    }
    if let Some(op) = Op::from_name(word) {
        return Ok(Inst::Op(op));
    }
    let bad = || format!("unknown instruction `{word}`");
    let (name, imm) = word.split_once('.').ok_or_else(bad)?;
    if let Some(err) = imm.strip_prefix("err=") {
        let text = err
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
            .ok_or_else(|| format!("unquoted error text in `{word}`"))?;
        return Ok(Inst::Check(
            Op::from_name(name).ok_or_else(bad)?,
            text.into(),
        ));
    }
    let number = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("bad immediate in `{word}`"))
    };
    let index = |s: &str| -> Result<u8, String> {
        number(s)?
            .try_into()
            .map_err(|_| format!("bad index in `{word}`"))
    };
    Ok(match name {
        "dup" => Inst::Dup(index(imm)?),
        "swap" => Inst::Swap(index(imm)?),
        "movup" => Inst::MovUp(index(imm)?),
        "movdn" => Inst::MovDn(index(imm)?),
        "push" if imm.contains('.') => {
            Inst::PushMany(imm.split('.').map(number).collect::<Result<_, _>>()?)
        }
        "push" if imm.starts_with(|c: char| c.is_ascii_uppercase()) => {
            Inst::PushNamed(imm.to_string())
        }
        "push" => Inst::Push(number(imm)?),
        _ => Inst::Imm(Op::from_name(name).ok_or_else(bad)?, number(imm)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_prints_back_as_written() {
        for text in [
            "dup",
            "dup.7",
            "swap",
            "swap.3",
            "movup.2",
            "movdn.15",
            "push.18446744069414584320",
            "push.1.2.3.4",
            "push.MIDENC_DATA_0",
            "add",
            "u32wrapping_sub.7",
            "mem_load.1024",
            "adv.push_mapval",
            "assertz.err=\"integer divide by zero\"",
            "exec.::miden::core::math::u64::xor",
            "call.0x1234",
            "procref.midenc_part0::f3",
            "dup eq.0 assertz.err=\"integer divide by zero\"",
            "trace.240",
        ] {
            assert_eq!(Inst::from(text).to_string(), text);
        }
        // The two spellings of the top copy and swap are one instruction each.
        assert_eq!(Inst::from("dup.0"), Inst::DUP);
        assert_eq!(Inst::from("swap.1"), Inst::SWAP);
    }

    #[test]
    fn unknown_or_malformed_spellings_are_rejected() {
        for text in [
            "",
            "frobnicate",
            "dup.x",
            "dup.300",
            "add.err=oops",
            "wat.3",
        ] {
            assert!(Inst::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn facts_follow_the_measured_costs_and_effects() {
        assert_eq!(Inst::from("dup.8").cycles(), 3);
        assert_eq!(Inst::from("dup.9").cycles(), 1);
        assert_eq!(Inst::from("swap.10").cycles(), 6);
        assert_eq!(Inst::from("u32lte").cycles(), 5);
        assert_eq!(Inst::from("u32wrapping_add.3").cycles(), 4);
        assert_eq!(Inst::from("u32wrapping_add3").cycles(), 3);
        assert_eq!(Inst::from("u32and.3").cycles(), 2);
        assert_eq!(Inst::from("push.1").cycles(), 2);
        assert!(Inst::from("add.3").is_unary());
        assert!(Inst::from("mem_load").is_unary());
        assert!(!Inst::from("mem_load.4").is_unary());
        assert!(Inst::from("u32xor").is_commutative());
        assert!(!Inst::from("u32wrapping_sub").is_commutative());
        assert_eq!(
            Inst::from("u32widening_mul").stack_effect(),
            Some(StackEffect::new(1, 2, 2))
        );
        assert_eq!(Inst::from("exec.f").stack_effect(), None);
        assert!(Inst::from("u32div").may_trap());
        assert!(!Inst::from("u32div.4").may_trap());
        assert!(Inst::from("push.3 dynexec").may_trap());
    }
}
