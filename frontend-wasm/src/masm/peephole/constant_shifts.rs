//! Shifts and rotations by a constant, of i32s and of i64s' two limbs: the immediate forms and
//! limb arithmetic instead of the run-time `pow2` of the general instructions; and signed
//! division and remainder by a power of two, which are shifts with a rounding bias.

use super::u64_proc;
use crate::masm::{
    Inst::{self, Imm, MovDn, MovUp, Push},
    Op,
};

/// A shift or rotate by a constant: the immediate form (3-4 cycles instead of ~20, which
/// compute 2^k with `pow2` at run time); see [`constant_shift`].
pub(super) fn shift_by_constant(ops: &[Inst], i: usize) -> Option<(Vec<Inst>, usize)> {
    let k = ops.get(i)?.push_value()?;
    Some((constant_shift(k, ops.get(i + 1)?, ops.get(i + 2)?)?, 3))
}

/// `push.k <mask> <shift>` as Wasm lowers a shift by a constant (`u32and.31` for i32,
/// `u32and.63` for the i64 shift count): the equivalent with the amount folded in.
fn constant_shift(k: u64, mask: &Inst, op: &Inst) -> Option<Vec<Inst>> {
    let k32 = k & 31;
    let k64 = k & 63;
    let ops: Vec<Inst> = match (mask, op) {
        (
            Imm(Op::U32And, 31),
            Inst::Op(shift @ (Op::U32Shl | Op::U32Shr | Op::U32Rotl | Op::U32Rotr)),
        ) => {
            if k32 == 0 {
                Vec::new()
            } else {
                vec![Imm(*shift, k32)]
            }
        }
        (Imm(Op::U32And, 31), Inst::Exec(target)) if target == SHR_S => {
            if k32 == 0 {
                Vec::new()
            } else {
                arithmetic_shift(k32)
            }
        }
        (Imm(Op::U32And, 63), _) => {
            let op = u64_proc(op)?;
            let pow = |k: u64| Push(1u64 << k);
            match (op, k64) {
                ("shl" | "shr", 0) => Vec::new(),
                // [lo, hi]: lo * 2^k = [l, c]; hi' = hi * 2^k + c (mod 2^32), lo' = l.
                ("shl", 1..=31) => vec![
                    pow(k64),
                    Inst::Op(Op::U32WideningMul),
                    MovDn(2),
                    Inst::SWAP,
                    pow(k64),
                    Inst::Op(Op::U32WrappingMadd),
                    Inst::SWAP,
                ],
                ("shl", 32) => vec![Push(0), MovUp(2), Inst::DROP],
                ("shl", _) => vec![Imm(Op::U32Shl, k64 - 32), Push(0), MovUp(2), Inst::DROP],
                // [lo, hi]: hi = q * 2^k + r; hi' = q, lo' = (lo >> k) + r * 2^(32-k).
                ("shr", 1..=31) => vec![
                    Inst::SWAP,
                    Imm(Op::U32DivMod, 1u64 << k64),
                    Imm(Op::Mul, 1u64 << (32 - k64)),
                    MovUp(2),
                    Imm(Op::U32Div, 1u64 << k64),
                    Inst::Op(Op::Add),
                ],
                // rotl k: lo * 2^k = [a, c], hi * 2^k = [b, d]; lo' = a + d, hi' = b + c
                // (disjoint bits). rotr k is rotl (64 - k); a rotation by 32 or more swaps the
                // limbs first.
                ("rotl" | "rotr", _) => {
                    let left = if op == "rotl" { k64 } else { (64 - k64) % 64 };
                    let mut ops = Vec::new();
                    if left >= 32 {
                        ops.push(Inst::SWAP);
                    }
                    let k = left % 32;
                    if k > 0 {
                        ops.extend([
                            pow(k),
                            Inst::Op(Op::U32WideningMul),
                            MovUp(2),
                            pow(k),
                            Inst::Op(Op::U32WideningMul),
                            MovUp(3),
                            Inst::Op(Op::Add),
                            MovDn(2),
                            Inst::Op(Op::Add),
                        ]);
                    }
                    ops
                }
                ("shr", 32) => vec![Push(0), MovDn(2), Inst::DROP],
                ("shr", _) => vec![Push(0), MovDn(2), Inst::DROP, Imm(Op::U32Shr, k64 - 32)],
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(ops)
}

/// The intrinsic of `i32.shr_s` by a run-time amount (`pow2` and two xors).
const SHR_S: &str = "wasm_i32_shr_s";

/// [x] -> [x >> k] (arithmetic, 1 <= k <= 31): the logical shift, plus the k high bits when x
/// is negative (`2^32 - 2^(32 - k)`, disjoint from the shifted bits).
fn arithmetic_shift(k: u64) -> Vec<Inst> {
    vec![
        Inst::DUP,
        Imm(Op::U32Shr, 31),
        Imm(Op::Mul, (1u64 << 32) - (1u64 << (32 - k))),
        Inst::SWAP,
        Imm(Op::U32Shr, k),
        Inst::Op(Op::Add),
    ]
}

/// `push.c` and the checked `i32.div_s` or `i32.rem_s` (one [`Inst::Group`]: the divisor
/// checks and the intrinsic) with c = 2^k, k <= 30: neither check can fail, and the quotient
/// is an arithmetic shift of `x + (x < 0 ? c - 1 : 0)` (rounding toward zero, as Wasm does),
/// the remainder `x` less that sum with its low k bits cleared. About 20 cycles instead of 45.
pub(super) fn signed_division_by_power_of_two(
    ops: &[Inst],
    i: usize,
) -> Option<(Vec<Inst>, usize)> {
    let c = ops.get(i)?.push_value()?;
    let Inst::Group(group) = ops.get(i + 1)? else {
        return None;
    };
    let remainder = match group.last()? {
        Inst::Exec(t) if t == "wasm_i32_div_s" => false,
        Inst::Exec(t) if t == "wasm_i32_rem_s" => true,
        _ => return None,
    };
    if !c.is_power_of_two() || c > 1 << 30 {
        return None;
    }
    let k = u64::from(c.trailing_zeros());
    let out = match (remainder, k) {
        (false, 0) => Vec::new(),
        // A 0 in x's place (a `drop` first would change the depth where the stack is at
        // its 16-element floor).
        (true, 0) => vec![Inst::Push(0), Inst::SWAP, Inst::DROP],
        (false, _) => [biased(c), arithmetic_shift(k)].concat(),
        (true, _) => [
            vec![Inst::DUP],
            biased(c),
            vec![
                Imm(Op::U32And, (1u64 << 32) - c),
                Inst::Op(Op::U32WrappingSub),
            ],
        ]
        .concat(),
    };
    Some((out, 2))
}

/// [x] -> [x + (x < 0 ? c - 1 : 0) mod 2^32]: the bias that makes a shift round toward zero.
fn biased(c: u64) -> Vec<Inst> {
    let mut ops = vec![Inst::DUP, Imm(Op::U32Shr, 31)];
    if c > 2 {
        ops.push(Imm(Op::Mul, c - 1));
    }
    ops.push(Inst::Op(Op::U32WrappingAdd));
    ops
}
