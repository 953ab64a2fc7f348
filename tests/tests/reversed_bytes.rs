//! Loops that reverse bytes in place (`frontend-wasm/src/prepare/reversed_bytes.rs`) against
//! wasmi: the element-wise reversal runs only when the test before the loop allows it, and the
//! loop as written finishes the job or does all of it. Ranges of every length up to 34 bytes
//! from every front alignment (single swaps align the front; the back words then span two
//! elements unless the back end is aligned too), the last bytes of memory and one past them,
//! loops stopped early or run past the middle, a counter of the wrong parity, and a lookalike
//! that is not a reversal.

use midenc_abi::CoreValue;
use midenc_tests::{i32v, Differential};

const WAT: &str = include_str!("../fixtures/core/reversed_bytes.wat");
const PAGE: i32 = 65_536;

fn args(v: &[i32]) -> Vec<CoreValue> {
    v.iter().map(|x| i32v(*x)).collect()
}

#[test]
fn two_ended_swaps_agree_with_wasmi() {
    let mut diff = Differential::from_wat(WAT);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for lo in [0, 1, 2, 3, 4, 1000] {
            for len in (0..=34).chain([1023, 1024, 1025]) {
                cases.push(("two_ends", args(&[pages, lo, lo + len - 1])));
            }
        }
        for (lo, hi) in [
            (end - 1024, end - 1),
            (end - 1024, end - 2),
            (end - 1024, end - 3),
            (end - 1024, end - 4),
            (end - 1024, end + 1),
            (end - 1024, end),
            (end - 1023, end),
            (end - 16, end - 1),
            (end - 16, end + 3),
            (100, 50),
            (0, end - 1),
        ] {
            cases.push(("two_ends", args(&[pages, lo, hi])));
        }
        for (lo, hi, stop) in [
            (0, 1023, 100),
            (0, 1023, 510),
            (0, 1023, 511),
            (0, 1023, 512),
            (0, 1023, 513),
            (0, 1023, 600),
            (0, 1023, 1024),
            (0, 1023, 0),
            (4, 67, 20),
            (4, 67, 36),
            (4, 67, 37),
            (end - 64, end - 1, end - 32),
            (end - 64, end - 1, end - 16),
        ] {
            cases.push(("until", args(&[pages, lo, hi, stop])));
        }
        for (lo, hi) in [(0, 100), (4, 1003), (8, 23)] {
            cases.push(("every_other", args(&[pages, lo, hi])));
        }
    }
    diff.check(&cases);
}

#[test]
fn unrolled_and_counted_reversals_agree_with_wasmi() {
    let mut diff = Differential::from_wat(WAT);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for base in [0, 2, 4, 1000] {
            for len in (0..=34).chain([100, 1000, 1001, 1002, 1003]) {
                cases.push(("two_a_turn", args(&[pages, base, len, base + len, 0])));
            }
        }
        for (base, len, tail, i0) in [
            // The second back address not beside the first: the test fails on entry.
            (0, 1000, 4, 0),
            (0, 1000, -4, 0),
            (0, 1000, 1, 0),
            // Other even starts reverse the inside of the range.
            (0, 1000, 0, 2),
            (0, 1000, 0, 4),
            (4, 66, 0, 2),
            // An odd start: i never meets the pair count, and the back index leaves memory.
            (0, 100, 0, 1),
            // The last byte of memory, and one past it.
            (end - 1000, 1000, 0, 0),
            (end - 999, 1000, 0, 0),
            (end - 1002, 1000, 0, 0),
        ] {
            cases.push((
                "two_a_turn",
                args(&[pages, base, len, base + len + tail, i0]),
            ));
        }
        for (base, n, half) in [
            (0, 100, 50),
            (0, 100, 49),
            (0, 100, 30),
            (0, 100, 70),
            (4, 1000, 500),
            (4, 1001, 500),
            (3, 1001, 500),
            (4, 2, 1),
            (4, 40, 20),
            (end - 1000, 1000, 500),
            (end - 999, 1000, 500),
            (end - 1000, 1000, 600),
        ] {
            cases.push(("counted", args(&[pages, base, n, half])));
        }
    }
    diff.check(&cases);
}
