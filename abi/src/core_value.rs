//! Core Wasm value types and their felt encoding.

use std::fmt;

/// A core Wasm value type that midenc can place on the Miden stack.
///
/// Floats are held as their IEEE 754 bit patterns, exactly as the integer of the same width
/// ([`CoreType::carrier`]); vector and reference types have no variant: the frontend rejects
/// them before any value of theirs could need an encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoreType {
    /// A 32-bit integer: one felt holding its unsigned bit pattern (always < 2^32).
    I32,
    /// A 64-bit integer: two u32 limbs, the low limb nearer the top of the stack.
    I64,
    /// A binary32 float: its bits, as an [`CoreType::I32`].
    F32,
    /// A binary64 float: its bits, as an [`CoreType::I64`].
    F64,
}

impl CoreType {
    /// Number of felts a value of this type occupies.
    pub fn felts(self) -> usize {
        self.carrier().felts_of_integer()
    }

    /// The integer type whose encoding this type shares: itself for integers, the integer of
    /// the same width for a float. Code generation only ever sees these.
    pub fn carrier(self) -> CoreType {
        match self {
            CoreType::I32 | CoreType::F32 => CoreType::I32,
            CoreType::I64 | CoreType::F64 => CoreType::I64,
        }
    }

    fn felts_of_integer(self) -> usize {
        if self == CoreType::I32 {
            1
        } else {
            2
        }
    }
}

impl fmt::Display for CoreType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CoreType::I32 => "i32",
            CoreType::I64 => "i64",
            CoreType::F32 => "f32",
            CoreType::F64 => "f64",
        })
    }
}

/// A core Wasm value. Floats keep their exact bits (NaN payloads included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreValue {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as its bits.
    F32(u32),
    /// An `f64`, as its bits.
    F64(u64),
}

impl CoreValue {
    /// The type of this value.
    pub fn ty(self) -> CoreType {
        match self {
            CoreValue::I32(_) => CoreType::I32,
            CoreValue::I64(_) => CoreType::I64,
            CoreValue::F32(_) => CoreType::F32,
            CoreValue::F64(_) => CoreType::F64,
        }
    }

    /// Felts of this value, in stack order (index 0 nearest the top).
    pub fn to_felts(self) -> Vec<u64> {
        let wide = match self {
            CoreValue::I32(v) => return vec![u64::from(v as u32)],
            CoreValue::F32(bits) => return vec![u64::from(bits)],
            CoreValue::I64(v) => v as u64,
            CoreValue::F64(bits) => bits,
        };
        vec![wide & 0xFFFF_FFFF, wide >> 32]
    }

    /// Rebuilds a value of `ty` from exactly `ty.felts()` felts in stack order.
    ///
    /// # Errors
    /// A felt that is not a u32 limb is rejected rather than truncated.
    pub fn from_felts(ty: CoreType, felts: &[u64]) -> Result<CoreValue, AbiError> {
        let limb = |i: usize| -> Result<u64, AbiError> {
            let f = felts[i];
            if f > u64::from(u32::MAX) {
                Err(AbiError::NotALimb { felt: f, ty })
            } else {
                Ok(f)
            }
        };
        Ok(match ty {
            CoreType::I32 => CoreValue::I32(limb(0)? as u32 as i32),
            CoreType::I64 => CoreValue::I64(((limb(1)? << 32) | limb(0)?) as i64),
            CoreType::F32 => CoreValue::F32(limb(0)? as u32),
            CoreType::F64 => CoreValue::F64((limb(1)? << 32) | limb(0)?),
        })
    }
}

impl fmt::Display for CoreValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreValue::I32(v) => write!(f, "{v}"),
            CoreValue::I64(v) => write!(f, "{v}"),
            CoreValue::F32(bits) => write!(f, "{:?}", f32::from_bits(*bits)),
            CoreValue::F64(bits) => write!(f, "{:?}", f64::from_bits(*bits)),
        }
    }
}

/// A broken encoding found while lifting values off the stack.
#[derive(Debug, thiserror::Error, miette::Diagnostic, PartialEq, Eq)]
pub enum AbiError {
    /// The stack held fewer felts than the signature needs.
    #[error("expected {needed} result felts on the stack, found {found}")]
    TooFewFelts {
        /// Felts the signature needs.
        needed: usize,
        /// Felts available.
        found: usize,
    },
    /// A felt that should be a u32 limb of an integer was out of range.
    #[error("felt {felt} is not a valid u32 limb of an {ty}")]
    NotALimb {
        /// The offending felt.
        felt: u64,
        /// The type being lifted.
        ty: CoreType,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{lift_values, lower_values};

    #[test]
    fn i64_low_limb_first() {
        assert_eq!(
            CoreValue::I64(-2).to_felts(),
            vec![0xFFFF_FFFE, 0xFFFF_FFFF]
        );
        assert_eq!(CoreValue::I64(1 << 33).to_felts(), vec![0, 2]);
    }

    #[test]
    fn round_trip() {
        let values = [
            CoreValue::I32(-1),
            CoreValue::I64(i64::MIN),
            CoreValue::I32(7),
        ];
        let felts = lower_values(&values);
        assert_eq!(felts.len(), 4);
        let types: Vec<_> = values.iter().map(|v| v.ty()).collect();
        assert_eq!(lift_values(&types, &felts).unwrap(), values);
    }

    #[test]
    fn rejects_non_limb() {
        assert!(matches!(
            CoreValue::from_felts(CoreType::I32, &[1 << 32]),
            Err(AbiError::NotALimb { .. })
        ));
        assert!(matches!(
            lift_values(&[CoreType::I64], &[1]),
            Err(AbiError::TooFewFelts {
                needed: 2,
                found: 1
            })
        ));
    }
}
