//! The meaning of each instruction the oracle knows, as Miden 0.23.5 defines it: Goldilocks
//! arithmetic for the field instructions, and for the u32 instructions the exact result on u32
//! operands and [`Stop::Undefined`] on any other (the VM documents those results as
//! undefined). Anything else — an unknown instruction, an immediate the assembler would
//! reject — panics, so that a rule emitting it cannot pass unnoticed.

use super::{Stop, Trap, P};
use crate::masm::oracle::State;

impl State {
    /// The signed i32 intrinsics of `intrinsics.masm` the rewrites replace, on their defined
    /// inputs (u32s; a nonzero divisor and no `i32::MIN / -1`, which the caller checks first;
    /// a shift amount already masked to 0..31). None for any other instruction.
    fn i32_intrinsic(&mut self, op: &str) -> Option<Result<(), Stop>> {
        let f: fn(i32, i32) -> Option<i32> = match op {
            "exec.wasm_i32_div_s" => |a, b| a.checked_div(b),
            "exec.wasm_i32_rem_s" => |a, b| (b != 0).then(|| a.wrapping_rem(b)),
            "exec.wasm_i32_shr_s" => |a, b| (0..32).contains(&b).then(|| a >> b),
            _ => return None,
        };
        let (b, a) = (self.pop(), self.pop());
        if a >= U32 || b >= U32 {
            return Some(Err(Stop::Undefined(op.to_string())));
        }
        Some(match f(a as u32 as i32, b as u32 as i32) {
            Some(r) => {
                self.push(u64::from(r as u32));
                Ok(())
            }
            None => Err(Stop::Undefined(op.to_string())),
        })
    }
}

/// The first value that is not a u32.
const U32: u64 = 1 << 32;

/// The core library's 64-bit procedures the rewrites read or replace.
const U64_PROCS: &str = "exec.::miden::core::math::u64::";

impl State {
    /// Runs one instruction.
    pub(super) fn step(&mut self, op: &str) -> Result<(), Stop> {
        if let Some(name) = op.strip_prefix(U64_PROCS) {
            return self.u64_proc(name, op);
        }
        // A group (a division's checks with its intrinsic) runs word by word; a check's error
        // text does not change what it does.
        if op.contains(' ') {
            if let Ok(crate::masm::Inst::Group(parts)) = crate::masm::Inst::parse(op) {
                return parts
                    .iter()
                    .try_for_each(|part| self.step(&part.to_string()));
            }
        }
        let op = op.split_once(".err=").map_or(op, |(check, _)| check);
        if let Some(result) = self.i32_intrinsic(op) {
            return result;
        }
        if op == "exec.wasm_i32_flip_signs" {
            // The sign bits of the top two i32s flipped (`intrinsics.masm`).
            let (b, a) = (self.pop(), self.pop());
            if a >= U32 || b >= U32 {
                return Err(Stop::Undefined(op.to_string()));
            }
            self.push(a ^ 1 << 31);
            self.push(b ^ 1 << 31);
            return Ok(());
        }
        let (name, imm) = match op.split_once('.') {
            Some((name, imm)) => {
                let imm = imm.parse::<u64>();
                (name, Some(imm.unwrap_or_else(|_| invalid(op))))
            }
            None => (op, None),
        };
        let undefined = || Stop::Undefined(op.to_string());
        match name {
            "nop" => {}
            "push" => self.push(felt_imm(op, imm.unwrap_or_else(|| invalid(op)))),
            "dup" => self.push(self.at(depth(op, imm.unwrap_or(0), 0))),
            "swap" => {
                let k = depth(op, imm.unwrap_or(1), 1);
                let (top, other) = (self.len() - 1, self.len() - 1 - k);
                self.stack.swap(top, other);
            }
            "movup" => {
                let k = depth(op, imm.unwrap_or_else(|| invalid(op)), 2);
                let v = self.stack.remove(self.len() - 1 - k);
                self.push(v);
            }
            "movdn" => {
                let k = depth(op, imm.unwrap_or_else(|| invalid(op)), 2);
                let v = self.pop();
                let at = self.len() - k;
                self.stack.insert(at, v);
            }
            "drop" if imm.is_none() => {
                self.pop();
            }
            "neg" | "inv" | "incr" | "not" if imm.is_none() => {
                let a = self.pop();
                self.push(match name {
                    "neg" => (P - a) % P,
                    "inv" if a == 0 => return Err(Stop::Trap(Trap::DivideByZero)),
                    "inv" => pow(a, P - 2),
                    "incr" => add(a, 1),
                    _ => 1 - binary(a)?,
                });
            }
            "assert" | "assertz" if imm.is_none() => {
                if self.pop() != u64::from(name == "assert") {
                    return Err(Stop::Trap(Trap::Assertion));
                }
            }
            "u32assert" | "u32assert2" if imm.is_none() => {
                let n = if name == "u32assert" { 1 } else { 2 };
                if (0..n).any(|k| self.at(k) >= U32) {
                    return Err(Stop::Trap(Trap::NotU32));
                }
            }
            "u32split" if imm.is_none() => {
                let a = self.pop();
                self.push(a >> 32);
                self.push(a & (U32 - 1));
            }
            "u32wrapping_add3" if imm.is_none() => {
                let (c, b, a) = (self.pop(), self.pop(), self.pop());
                if [a, b, c].iter().any(|v| *v >= U32) {
                    return Err(undefined());
                }
                self.push((a + b + c) & (U32 - 1));
            }
            "u32widening_mul" | "u32wrapping_madd" if imm.is_none() => {
                let (b, a) = (self.pop(), self.pop());
                let c = if name == "u32wrapping_madd" {
                    self.pop()
                } else {
                    0
                };
                if [a, b, c].iter().any(|v| *v >= U32) {
                    return Err(undefined());
                }
                let r = a * b + c;
                if name == "u32widening_mul" {
                    self.push(r >> 32);
                }
                self.push(r & (U32 - 1));
            }
            "u32divmod" => {
                let b = match imm {
                    Some(b) => nonzero_u32_imm(op, b),
                    None => self.pop(),
                };
                let a = self.pop();
                if a >= U32 || b >= U32 {
                    return Err(undefined());
                }
                if b == 0 {
                    return Err(Stop::Trap(Trap::DivideByZero));
                }
                self.push(a / b);
                self.push(a % b);
            }
            "mem_load" => {
                let addr = match imm {
                    Some(addr) => u32_imm(op, addr),
                    None => address(self.pop())?,
                };
                self.push(self.memory.read(addr));
            }
            "mem_store" => {
                let addr = match imm {
                    Some(addr) => u32_imm(op, addr),
                    None => address(self.pop())?,
                };
                let v = self.pop();
                self.memory.write(addr, v);
            }
            _ => {
                let b = match imm {
                    Some(b) => binary_imm(name, op, b),
                    None => self.pop(),
                };
                let a = self.pop();
                let r = binary_op(name, a, b).unwrap_or_else(|| invalid(op))?;
                self.push(r);
            }
        }
        Ok(())
    }

    /// `exec.::miden::core::math::u64::<name>`: the stack effects the library documents, on
    /// 64-bit values as `[lo, hi]` with `lo` on top; limbs that are not u32 are undefined.
    fn u64_proc(&mut self, name: &str, op: &str) -> Result<(), Stop> {
        let limbs = |state: &mut State| -> Result<u64, Stop> {
            let (lo, hi) = (state.pop(), state.pop());
            if lo >= U32 || hi >= U32 {
                return Err(Stop::Undefined(op.to_string()));
            }
            Ok(hi << 32 | lo)
        };
        let r = match name {
            "and" | "or" | "xor" => {
                let (b, a) = (limbs(self)?, limbs(self)?);
                match name {
                    "and" => a & b,
                    "or" => a | b,
                    _ => a ^ b,
                }
            }
            "wrapping_mul" => {
                let (b, a) = (limbs(self)?, limbs(self)?);
                a.wrapping_mul(b)
            }
            "shl" | "shr" | "rotl" | "rotr" => {
                let n = self.pop();
                let a = limbs(self)?;
                if n >= 64 {
                    return Err(Stop::Trap(Trap::ShiftRange));
                }
                match name {
                    "shl" => a << n,
                    "shr" => a >> n,
                    "rotl" => a.rotate_left(n as u32),
                    _ => a.rotate_right(n as u32),
                }
            }
            _ => invalid(op),
        };
        self.push(r >> 32);
        self.push(r & (U32 - 1));
        Ok(())
    }
}

/// `a op b` for the instructions that pop `b` (the top, or the immediate) and `a` and push
/// one result; `None` for instructions the oracle does not know.
fn binary_op(name: &str, a: u64, b: u64) -> Option<Result<u64, Stop>> {
    let u32s = |f: fn(u64, u64) -> u64| {
        if a >= U32 || b >= U32 {
            Err(Stop::Undefined(name.to_string()))
        } else {
            Ok(f(a, b))
        }
    };
    Some(match name {
        "add" => Ok(add(a, b)),
        "sub" => Ok(add(a, P - b)),
        "mul" => Ok(mul(a, b)),
        "div" if b == 0 => Err(Stop::Trap(Trap::DivideByZero)),
        "div" => Ok(mul(a, pow(b, P - 2))),
        "eq" => Ok(u64::from(a == b)),
        "neq" => Ok(u64::from(a != b)),
        "and" => binary(a).and_then(|a| Ok(a & binary(b)?)),
        "or" => binary(a).and_then(|a| Ok(a | binary(b)?)),
        "xor" => binary(a).and_then(|a| Ok(a ^ binary(b)?)),
        "u32wrapping_add" => u32s(|a, b| (a + b) % U32),
        "u32wrapping_sub" => u32s(|a, b| a.wrapping_sub(b) % U32),
        "u32wrapping_mul" => u32s(|a, b| a * b % U32),
        "u32and" => u32s(|a, b| a & b),
        "u32or" => u32s(|a, b| a | b),
        "u32xor" => u32s(|a, b| a ^ b),
        "u32lt" => u32s(|a, b| u64::from(a < b)),
        "u32lte" => u32s(|a, b| u64::from(a <= b)),
        "u32gt" => u32s(|a, b| u64::from(a > b)),
        "u32gte" => u32s(|a, b| u64::from(a >= b)),
        "u32div" | "u32mod" if a < U32 && b == 0 => Err(Stop::Trap(Trap::DivideByZero)),
        "u32div" => u32s(|a, b| a / b),
        "u32mod" => u32s(|a, b| a % b),
        // A shift or rotation by more than 31 is undefined like a non-u32 operand.
        "u32shl" | "u32shr" | "u32rotl" | "u32rotr" if b >= 32 => {
            Err(Stop::Undefined(name.to_string()))
        }
        "u32shl" => u32s(|a, b| (a << b) % U32),
        "u32shr" => u32s(|a, b| a >> b),
        "u32rotl" => u32s(|a, b| u64::from((a as u32).rotate_left(b as u32))),
        "u32rotr" => u32s(|a, b| u64::from((a as u32).rotate_right(b as u32))),
        _ => return None,
    })
}

/// The immediate of `op` (`name.imm`, a binary instruction with its top operand given),
/// checked against what the assembler accepts for that instruction.
fn binary_imm(name: &str, op: &str, imm: u64) -> u64 {
    match name {
        "add" | "sub" | "mul" | "eq" | "neq" => felt_imm(op, imm),
        "div" if imm != 0 => felt_imm(op, imm),
        "u32div" | "u32mod" => nonzero_u32_imm(op, imm),
        "u32shl" | "u32shr" | "u32rotl" | "u32rotr" if imm < 32 => imm,
        "u32wrapping_add" | "u32wrapping_sub" | "u32wrapping_mul" | "u32and" | "u32or"
        | "u32xor" | "u32lt" | "u32lte" | "u32gt" | "u32gte" => u32_imm(op, imm),
        _ => invalid(op),
    }
}

/// A value that must be 0 or 1 (felt booleans, `if` conditions).
pub(super) fn binary(v: u64) -> Result<u64, Stop> {
    if v <= 1 {
        Ok(v)
    } else {
        Err(Stop::Trap(Trap::NotBinary))
    }
}

/// A memory address popped from the stack.
fn address(v: u64) -> Result<u64, Stop> {
    if v < U32 {
        Ok(v)
    } else {
        Err(Stop::Trap(Trap::BadAddress))
    }
}

/// The index of a `dup`/`swap`/`movup`/`movdn`, which the assembler accepts from `min` to 15.
fn depth(op: &str, k: u64, min: u64) -> usize {
    if !(min..=15).contains(&k) {
        invalid(op);
    }
    k as usize
}

fn felt_imm(op: &str, v: u64) -> u64 {
    if v >= P {
        invalid(op);
    }
    v
}

fn u32_imm(op: &str, v: u64) -> u64 {
    if v >= U32 {
        invalid(op);
    }
    v
}

fn nonzero_u32_imm(op: &str, v: u64) -> u64 {
    if v == 0 {
        invalid(op);
    }
    u32_imm(op, v)
}

/// Fails the test: `op` is not an instruction the oracle models, or not valid MASM.
fn invalid(op: &str) -> ! {
    panic!("oracle: no model for `{op}` (unknown instruction or invalid immediate)")
}

fn add(a: u64, b: u64) -> u64 {
    ((u128::from(a) + u128::from(b)) % u128::from(P)) as u64
}

fn mul(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(P)) as u64
}

fn pow(mut base: u64, mut e: u64) -> u64 {
    let mut r = 1;
    while e > 0 {
        if e & 1 == 1 {
            r = mul(r, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    r
}
