//! Arguments for the exports: edge values of each type and seeded random ones.

use super::*;
/// Float arguments at the edges: zeros, ones, infinities, NaNs (quiet, signalling, negative),
/// the smallest subnormal and normal, the largest finite, and values at integer limits.
const F32_EDGES: &[u32] = &[
    0,
    0x8000_0000,
    0x3f80_0000,
    0xbf80_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0x7fa0_0000,
    0xffc0_0001,
    1,
    0x0080_0000,
    0x7f7f_ffff,
    0x4f00_0000,
    0xcf00_0000,
    0x5f80_0000,
    0x3f00_0000,
];
const F64_EDGES: &[u64] = &[
    0,
    1 << 63,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0x7ff4_0000_0000_0000,
    0xfff8_0000_0000_0001,
    1,
    0x0010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x41e0_0000_0000_0000,
    0xc1e0_0000_0000_0000,
    0x43e0_0000_0000_0000,
    0x3fe0_0000_0000_0000,
];

const I32_EDGES: &[i32] = &[
    0,
    1,
    -1,
    2,
    i32::MIN,
    i32::MAX,
    i32::MIN + 1,
    31,
    32,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x1_0000,
    0x7F,
    0x80,
    0xFF,
];
const I64_EDGES: &[i64] = &[
    0,
    1,
    -1,
    2,
    i64::MIN,
    i64::MAX,
    i64::MIN + 1,
    63,
    64,
    0xFFFF_FFFF,
    0x1_0000_0000,
    i32::MIN as i64,
    i32::MAX as i64,
    -0x1_0000_0000,
    0x8000_0000,
    0x7FFF_FFFF_FFFF_FFFF >> 1,
];

/// Argument sets for the export numbered `export` of the module of `seed`: set 0 takes only
/// edge values (0, ±1, the minimum and maximum, width boundaries), later sets mix edge values,
/// small numbers and full-width random ones.
pub fn argument_sets(
    seed: u64,
    export: usize,
    params: &[CoreType],
    sets: usize,
) -> Vec<Vec<CoreValue>> {
    let mut rng = SplitMix64::new(seed ^ (export as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    (0..sets)
        .map(|set| {
            params
                .iter()
                .map(|ty| {
                    let pick = if set == 0 { 0 } else { rng.below(3) };
                    let r = rng.next_u64();
                    match (ty, pick) {
                        (CoreType::I32, 0) => {
                            CoreValue::I32(I32_EDGES[r as usize % I32_EDGES.len()])
                        }
                        (CoreType::I64, 0) => {
                            CoreValue::I64(I64_EDGES[r as usize % I64_EDGES.len()])
                        }
                        (CoreType::I32, 1) => CoreValue::I32((r % 17) as i32 - 2),
                        (CoreType::I64, 1) => CoreValue::I64((r % 17) as i64 - 2),
                        (CoreType::I32, _) => CoreValue::I32(r as i32),
                        (CoreType::I64, _) => CoreValue::I64(r as i64),
                        (CoreType::F32, 0) => {
                            CoreValue::F32(F32_EDGES[r as usize % F32_EDGES.len()])
                        }
                        (CoreType::F64, 0) => {
                            CoreValue::F64(F64_EDGES[r as usize % F64_EDGES.len()])
                        }
                        // Small integers, halves included (rounding ties).
                        (CoreType::F32, 1) => {
                            CoreValue::F32(((r % 33) as f32 / 2.0 - 8.0).to_bits())
                        }
                        (CoreType::F64, 1) => {
                            CoreValue::F64(((r % 33) as f64 / 2.0 - 8.0).to_bits())
                        }
                        (CoreType::F32, _) => CoreValue::F32(r as u32),
                        (CoreType::F64, _) => CoreValue::F64(r),
                    }
                })
                .collect()
        })
        .collect()
}
