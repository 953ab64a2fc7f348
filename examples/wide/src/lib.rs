//! Example package with signatures beyond 16 felts each way.
#![no_std]
extern crate alloc;
extern crate miden_example_runtime;

mod bindings;

use alloc::vec::Vec;
use bindings::{Guest, Stats};

type Vec8 = (u64, u64, u64, u64, u64, u64, u64, u64);

struct Wide;

impl Guest for Wide {
    #[allow(clippy::too_many_arguments)]
    fn summarize(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64, g: i64, h: i64, i: i64, j: i64) -> Stats {
        let samples = [a, b, c, d, e, f, g, h, i, j];
        let (mut rises, mut falls) = (0i64, 0i64);
        for pair in samples.windows(2) {
            let step = pair[1].wrapping_sub(pair[0]);
            if step > 0 {
                rises = rises.wrapping_add(step);
            } else {
                falls = falls.wrapping_sub(step);
            }
        }
        let min = *samples.iter().min().unwrap_or(&0);
        let max = *samples.iter().max().unwrap_or(&0);
        Stats {
            count: samples.len() as u32,
            sum: samples.iter().fold(0i64, |s, x| s.wrapping_add(*x)),
            min,
            max,
            first: a,
            last: j,
            rises,
            falls,
            range: max.abs_diff(min),
        }
    }

    fn dot(x: Vec8, y: Vec8) -> u64 {
        let x = [x.0, x.1, x.2, x.3, x.4, x.5, x.6, x.7];
        let y = [y.0, y.1, y.2, y.3, y.4, y.5, y.6, y.7];
        x.iter().zip(y).fold(0u64, |acc, (a, b)| acc.wrapping_add(a.wrapping_mul(b)))
    }

    fn pascal(n: u8) -> Vec<u32> {
        let mut out = Vec::new();
        let mut row: Vec<u32> = Vec::new();
        for _ in 0..n {
            let mut next = Vec::with_capacity(row.len() + 1);
            next.push(1);
            for pair in row.windows(2) {
                next.push(pair[0].wrapping_add(pair[1]));
            }
            if !row.is_empty() {
                next.push(1);
            }
            out.extend_from_slice(&next);
            row = next;
        }
        out
    }
}

bindings::export!(Wide with_types_in bindings);
