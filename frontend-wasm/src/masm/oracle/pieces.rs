//! Random instructions the rule generators build their instances from.

use super::{Rng, Values};

/// `dup.k`, spelt `dup` for the top (the spelling the rules match).
pub(crate) fn dup(k: usize) -> String {
    if k == 0 {
        "dup".into()
    } else {
        format!("dup.{k}")
    }
}

/// `swap.k`, spelt `swap` for 1.
pub(crate) fn swap(k: usize) -> String {
    if k == 1 {
        "swap".into()
    } else {
        format!("swap.{k}")
    }
}

/// A random felt constant.
pub(crate) fn push(rng: &mut Rng) -> String {
    format!("push.{}", rng.felt())
}

/// The instructions that pop two values and push one (the peephole's `is_binary_op`).
pub(crate) const BINARY: [&str; 14] = [
    "add",
    "mul",
    "eq",
    "neq",
    "u32wrapping_add",
    "u32wrapping_sub",
    "u32wrapping_mul",
    "u32and",
    "u32or",
    "u32xor",
    "u32lt",
    "u32lte",
    "u32gt",
    "u32gte",
];

/// A random binary instruction.
pub(crate) fn binary(rng: &mut Rng) -> String {
    rng.pick(&BINARY).to_string()
}

/// A random instruction that replaces only the top of the stack (a felt or u32 instruction
/// with its immediate, `not`, `inv`, `mem_load`, …), or a constant and a binary instruction.
pub(crate) fn unary(rng: &mut Rng) -> Vec<String> {
    let u32_imm = |rng: &mut Rng, name: &str| format!("{name}.{}", rng.u32());
    let op = match rng.range(0, 11) {
        0 => rng
            .pick(&["not", "neg", "inv", "incr", "mem_load"])
            .to_string(),
        1 | 2 => {
            let name = rng.pick(&["add", "sub", "mul", "eq", "neq"]);
            format!("{name}.{}", rng.felt())
        }
        3 => format!("div.{}", rng.felt().max(1)),
        4..=6 => {
            let name = rng.pick(&BINARY[4..]);
            u32_imm(rng, name)
        }
        7 => {
            let name = rng.pick(&["u32div", "u32mod"]);
            format!("{name}.{}", rng.u32().max(1))
        }
        8 | 9 => {
            let name = rng.pick(&["u32shl", "u32shr", "u32rotl", "u32rotr"]);
            format!("{name}.{}", rng.range(0, 31))
        }
        _ => return vec![format!("push.{}", rng.u32()), binary(rng)],
    };
    vec![op]
}

/// `lo..=hi` instructions from [`unary`].
pub(crate) fn unary_run(rng: &mut Rng, lo: usize, hi: usize) -> Vec<String> {
    (0..rng.range(lo, hi)).flat_map(|_| unary(rng)).collect()
}

/// A random instruction of the kind found around the rules' windows: stack moves, constants
/// and arithmetic, none of it undefined on `values` or leaving anything else behind.
pub(crate) fn filler(rng: &mut Rng, values: Values) -> String {
    match (rng.range(0, 8), values) {
        (0, _) => dup(rng.range(0, 15)),
        (1, _) => swap(rng.range(1, 15)),
        (2, _) => format!("movup.{}", rng.range(2, 15)),
        (3, _) => format!("movdn.{}", rng.range(2, 15)),
        (4, _) => "drop".into(),
        (5, Values::Felts) => push(rng),
        (5, Values::U32s) => format!("push.{}", rng.u32()),
        (6, Values::Felts) => {
            let name = rng.pick(&["add", "sub", "mul", "eq", "neq", "incr", "neg"]);
            name.to_string()
        }
        (6, Values::U32s) => rng.pick(&BINARY[2..]).to_string(),
        (_, Values::Felts) => {
            let name = rng.pick(&["add", "mul", "eq", "neq"]);
            format!("{name}.{}", rng.felt())
        }
        (_, Values::U32s) => format!("{}.{}", rng.pick(&BINARY[4..]), rng.u32()),
    }
}

/// A copy of a random stack element turned into a 0/1 condition.
pub(crate) fn condition(rng: &mut Rng) -> [String; 2] {
    let test = *rng.pick(&["eq", "neq"]);
    [dup(rng.range(0, 15)), format!("{test}.{}", rng.range(0, 3))]
}
