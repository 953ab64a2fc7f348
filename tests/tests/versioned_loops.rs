//! Loops versioned on their bounds (`frontend-wasm/src/prepare/versioned_loops.rs`) against
//! wasmi: the unchecked copy runs exactly when every access is in bounds, and the checked
//! original keeps every trap where it was, including the last byte of memory, loops that step
//! over their bound and pointers stepped beside the counter (a loop that leaves early is not
//! versioned and checks as before).

use midenc_abi::CoreValue;
use midenc_tests::{i32v, Differential};

const WAT: &str = include_str!("../fixtures/core/versioned_loops.wat");
const PAGE: i32 = 65_536;

#[test]
fn versioned_loops_agree_with_wasmi() {
    let mut diff = Differential::from_wat(WAT);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let args = |v: &[i32]| v.iter().map(|x| i32v(*x)).collect::<Vec<_>>();
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for n in [0, 1, 7, 1000, end - 1, end, end + 1] {
            cases.push(("store_then_sum_bytes", args(&[pages, n])));
        }
        for (i, n) in [
            (0, 4000),
            (0, 4001),
            (8, 9),
            (100, 50),
            (end - 4, end),
            (end - 8, end - 3),
            (end - 3, end),
            (end, end + 4),
            (-4, 8),
            // Unaligned words in bounds: the test asks for aligned ones, so these run the
            // checked loop.
            (1, 4001),
            (3, 403),
        ] {
            cases.push(("sum_words", args(&[pages, i, n])));
        }
        for (base, n) in [
            (0, 1),
            (0, 100),
            (1000, 3000),
            (end - 4 * 100, 100),
            (end - 4 * 100 - 1, 100),
            (end / 4 - 1, end / 4 - 3),
            (end / 4 - 1, end / 4 - 2),
            (-8, 2),
            (1001, 50),
            (2, 10),
        ] {
            cases.push(("based", args(&[pages, base, n])));
        }
        for (i, n) in [
            (0, 4000),
            (0, 4002),
            (12, 4),
            (end / 2 - 2000, end / 2 - 8),
            (end / 2 - 2000, end / 2 - 4),
            (end / 2 - 2000, end / 2),
        ] {
            cases.push(("step_to", args(&[pages, i, n])));
        }
        for (i, n) in [
            (1000, 0),
            (1001, 1),
            (1001, 0),
            (end - 2, end - 100),
            (end - 1, end - 101),
            (4, 7),
            (3, -1),
        ] {
            cases.push(("down_to", args(&[pages, i, n])));
        }
        for (n, stop) in [
            (10, 0),
            (10, 8),
            (10, 9),
            (end - 99, 9),
            (end - 100, 9),
            (end - 101, 9),
            (end - 100, 1),
        ] {
            cases.push(("find_byte", args(&[pages, n, stop])));
        }
        for (base, k) in [
            (0, 400),
            (0, 402),
            (100, 4),
            (end - 400, 400),
            (end - 399, 400),
            (end - 400, 404),
            (-4, 8),
        ] {
            cases.push(("reverse_sum", args(&[pages, base, k])));
        }
        for (i, n) in [
            (0, 10),
            (5, 3),
            (end - 10, end - 1),
            (end - 10, end),
            (end - 10, end + 1),
            (-3, 5),
        ] {
            cases.push(("step_first", args(&[pages, i, n])));
        }
    }
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for (p, n) in [
            (0, 4),
            (0, 400),
            (0, 402),
            (end - 1600, 400),
            (end - 1599, 400),
            (end - 1600, 404),
            (end - 16, 4),
            (-16, 8),
            (2, 8),
            (end - 1602, 400),
        ] {
            cases.push(("fill_by_pointer", args(&[pages, p, n])));
        }
        for (p, n) in [
            (0, 1),
            (0, 100),
            (end - 800, 99),
            (end - 800, 100),
            (end - 801, 100),
            (end - 808, 100),
            (-8, 3),
        ] {
            cases.push(("read_after_step", args(&[pages, p, n])));
        }
    }
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for (p, q, t, k) in [
            (0, 4096, 8192, 4),
            (0, 4096, 8192, 1),
            // Counting up from 0 to 0 runs until an access leaves memory.
            (0, 4096, 8192, 0),
            (0, 4096, end - 8, 10),
            (0, 4096, end - 7, 10),
            (2, 4099, 8190, 30),
            (end - 16 * 40, 0, 100, 40),
            (end - 16 * 40 + 1, 0, 100, 40),
            (0, end - 8 * 40 - 8, 100, 40),
            (0, end - 8 * 40 - 7, 100, 40),
            (-16, 0, 100, 3),
        ] {
            cases.push(("through_temporary", args(&[pages, p, q, t, k])));
        }
        for (i, n) in [
            (400, 0),
            (404, 4),
            (end - 8, 0),
            (end - 4, 0),
            (end - 8, end - 8),
            (6, 1),
        ] {
            cases.push(("fill_down", args(&[pages, i, n])));
        }
        // Word copies: t and q multiples of 16 (the passes move whole words) or not, and the
        // last bytes of memory.
        for (p, q, t, n) in [
            (0, 8192, 16384, 40),
            (0, 8200, 16384, 40),
            (0, 8192, 16392, 40),
            (0, 8196, 16388, 40),
            (end - 32 * 40, 0, 64, 40),
            (end - 32 * 40 + 8, 0, 64, 40),
            (0, end - 16 * 40, 64, 40),
            (0, end - 16 * 40 + 16, 64, 40),
            (0, 64, end - 16, 40),
            (0, 64, end - 8, 40),
        ] {
            cases.push(("copy_pairs", args(&[pages, p, q, t, n])));
        }
    }
    diff.check(&cases);
}

/// Byte and half-word accesses in unrolled copies, placed within their element when the
/// anchor is a multiple of 4: every start position modulo 4 (misaligned ones run one iteration
/// at a time), every trip count from 1 to 20, and the last byte of memory.
#[test]
fn bytes_placed_by_versioning_agree_with_wasmi() {
    let mut diff = Differential::from_wat(WAT);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let args = |v: &[i32]| v.iter().map(|x| i32v(*x)).collect::<Vec<_>>();
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for base in [0, 1, 2, 3, 4, 5, 6, 7, 1000] {
            for n in (1..=20).chain([100, 1001]) {
                cases.push(("bytes_by_residue", args(&[pages, base, n])));
                cases.push(("halves_by_residue", args(&[pages, base, n])));
                cases.push(("bytes_down", args(&[pages, base, n])));
                cases.push(("bytes_by_pointer", args(&[pages, base, n])));
            }
        }
        // The last bytes of memory: exactly in bounds, and one byte past.
        for (base, n) in [
            (end - 101, 100),
            (end - 100, 100),
            (end - 104, 100),
            (end - 103, 100),
        ] {
            cases.push(("bytes_by_residue", args(&[pages, base, n])));
            cases.push(("bytes_by_pointer", args(&[pages, base - 2, n])));
            cases.push(("bytes_down", args(&[pages, base - 2, n])));
        }
        for (base, n) in [(end - 102, 100), (end - 101, 100), (end - 103, 100)] {
            cases.push(("halves_by_residue", args(&[pages, base, n])));
        }
    }
    diff.check(&cases);
}

/// Loads read a word ahead for four copies of an unrolled pass: upwards, downwards and two at
/// once, from every word position modulo 16 (single iterations align the anchor first, up to
/// three), with every trip count from 1 to 20 and around passes of 32, and ending at the last
/// word of memory or one word past it.
#[test]
fn words_read_ahead_agree_with_wasmi() {
    let mut diff = Differential::from_wat(WAT);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let args = |v: &[i32]| v.iter().map(|x| i32v(*x)).collect::<Vec<_>>();
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for base in [0, 4, 8, 12, 1000, 1028, 2] {
            for n in (0..=20).chain([31, 32, 33, 63, 64, 65, 100, 1001]) {
                cases.push(("words_up", args(&[pages, base, n])));
                cases.push(("words_down", args(&[pages, base, 4 * n.max(1)])));
                cases.push(("words_two", args(&[pages, base, 4096, n])));
                cases.push(("words_two", args(&[pages, base, 4096 + base, n])));
            }
        }
        for n in [1, 3, 4, 7, 8, 9, 33, 64, 67] {
            for past in [0, 4] {
                let base = end - 4 * n + past;
                cases.push(("words_up", args(&[pages, base, n])));
                cases.push(("words_down", args(&[pages, base, 4 * n])));
                cases.push(("words_two", args(&[pages, 64, base - 16, n])));
            }
        }
    }
    // Four loads of one word per iteration (a body its compiler unrolled): the passes run
    // when the pointer or the counter term is a multiple of 16, single iterations otherwise.
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for base in [0, 4, 8, 12, 16, 1024, 2] {
            for n in (1..=12).chain([33, 250]) {
                cases.push(("words_grouped", args(&[pages, base, n])));
                cases.push(("words_grouped_by_counter", args(&[pages, base, 4 * n])));
            }
        }
        for n in [1, 4, 5, 9] {
            for past in [0, 4, 16] {
                let base = end - 16 * n + past;
                cases.push(("words_grouped", args(&[pages, base, n])));
                cases.push(("words_grouped_by_counter", args(&[pages, base, 4 * n])));
            }
        }
    }
    diff.check(&cases);
}

/// The unchecked copies run four or eight iterations per pass while that many remain, then one
/// at a time: every trip count from 1 to 20 (fewer than a pass, whole passes, and each
/// remainder), for every shape, next to the end of memory too.
#[test]
fn unrolled_passes_and_their_remainders_agree_with_wasmi() {
    let mut diff = Differential::from_wat(WAT);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let args = |v: &[i32]| v.iter().map(|x| i32v(*x)).collect::<Vec<_>>();
    let end = PAGE;
    for t in 1..=20 {
        cases.push(("store_then_sum_bytes", args(&[0, t])));
        cases.push(("sum_words", args(&[0, 8, 8 + 4 * t])));
        cases.push(("sum_words", args(&[0, end - 4 * t, end])));
        cases.push(("sum_words", args(&[0, end - 4 * t, end + 4])));
        cases.push(("based", args(&[0, 64, t])));
        cases.push(("based", args(&[0, end - 4 * t, t])));
        cases.push(("step_to", args(&[0, 16, 16 + 4 * t])));
        cases.push(("down_to", args(&[0, 100 + t, 100])));
        cases.push(("down_to", args(&[0, end - 1, end - 1 - t])));
        cases.push(("reverse_sum", args(&[0, 256, 4 * t])));
        cases.push(("reverse_sum", args(&[0, end - 4 * t, 4 * t])));
        cases.push(("step_first", args(&[0, 0, t])));
        cases.push(("fill_by_pointer", args(&[0, 512, t])));
        cases.push(("fill_by_pointer", args(&[0, end - 16 * t, t])));
        cases.push(("read_after_step", args(&[0, 512, t])));
        cases.push(("through_temporary", args(&[0, 0, 8192, 16384, t])));
        cases.push(("copy_pairs", args(&[0, 0, 8192, 16384, t])));
        cases.push(("copy_pairs", args(&[0, end - 32 * t, 0, 64, t])));
        cases.push(("fill_down", args(&[0, 100 + 4 * t, 100])));
        cases.push(("fill_down", args(&[0, end - 8, end - 8 - 4 * t])));
        cases.push(("through_temporary", args(&[0, end - 16 * t, 0, 100, t])));
        cases.push(("steps_beside", args(&[0, 100, t])));
        cases.push(("steps_beside", args(&[0, 97, t + 50])));
        cases.push(("steps_beside", args(&[0, end - t, t])));
        cases.push(("steps_beside", args(&[0, end - t + 1, t])));
        for base in [64, 66, end - 8 * (t + 3) - 8196 - 4] {
            cases.push(("fill_indexed", args(&[0, base, t])));
        }
        for p in [512, 514, end - 8 * t] {
            cases.push(("pointer_elements", args(&[0, p, t])));
        }
    }
    for t in [1, 2, 5, 9, 20] {
        for idx in [0, 1, 3, 5000] {
            for base in [64, 66, end - 4 * t - 12] {
                cases.push(("indexed_by_data", args(&[0, base, idx, t])));
            }
            cases.push((
                "counter_plus_data",
                args(&[0, 4 * idx.min(1), 4 * idx.min(1) + t]),
            ));
        }
    }
    for t in [0, 1, 2, 5, 9, 20] {
        // The last byte written is base + 4(t − 1) + 67: the first base is the last in bounds,
        // the second traps at the last store.
        for base in [64, 66, end - 4 * t - 64, end - 4 * t - 63] {
            cases.push(("through_written", args(&[0, base, 4 * t])));
        }
        // Aligned bases, or the test would not take the loop: at end − 4t the last access of
        // `written_before_step`, and that of `written_in_branch` when t − 1 is a multiple of
        // 4 (its branch then adds 4), ends past the memory.
        for base in [64, end - 4 * t - 4, end - 4 * t] {
            cases.push(("written_before_step", args(&[0, base, t])));
            cases.push(("written_in_branch", args(&[0, base, t])));
        }
    }
    // Aligned and unaligned bases, the last 64 bytes of memory, and one byte past them at
    // the load and at the store.
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for (b, w) in [
            (0, 1024),
            (1, 1024),
            (4, 1026),
            (end - 64, 0),
            (end - 63, 0),
            (0, end - 64),
            (0, end - 60),
            (-64, 0),
        ] {
            cases.push(("constant_range_based", args(&[pages, b, w])));
        }
    }
    for t in [31, 32, 33, 100] {
        cases.push(("fill_indexed", args(&[0, 64, t])));
        cases.push(("pointer_elements", args(&[0, 512, t])));
        cases.push(("pointer_elements", args(&[0, end - 8 * t, t])));
    }
    diff.check(&cases);
}

#[test]
fn the_unchecked_copy_has_no_bounds_checks() {
    // `sum_words` of the benchmark's loops: four copies of the loop (the single iterations
    // that align the words read ahead, the unrolled passes and the rest one at a time, all
    // unchecked; and the checked one), and the only bounds check left is the checked copy's.
    let wasm = wat::parse_str(include_str!("../fixtures/core/loop_kernels.wat")).unwrap();
    let masm = midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm))
        .unwrap()
        .masm_listing("test");
    let body = masm
        .split("\n# sum_words\n")
        .nth(1)
        .and_then(|rest| rest.split("\nend\n").next())
        .expect("sum_words is in the listing");
    assert_eq!(body.matches("while.true").count(), 4, "{body}");
    assert_eq!(body.matches("out of bounds").count(), 1, "{body}");
    let fast = body.split("else").next().unwrap();
    assert!(!fast.contains("out of bounds"), "{body}");
    // The passes read the words ahead: 32 copies, one `mem_loadw_le` per four.
    assert_eq!(body.matches("mem_loadw_le").count(), 8, "{body}");
}

#[test]
fn loops_held_in_element_addresses_agree_with_wasmi() {
    let mut diff = Differential::from_wat(WAT);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let args = |v: &[i32]| v.iter().map(|x| i32v(*x)).collect::<Vec<_>>();
    // Loops held in element addresses without unrolling (see the next test): aligned and unaligned bases,
    // pointers and counter starts, the last access in bounds exactly and one byte past it (at
    // a load and at a store), a counter started past its bound, and counters that step over
    // 0 or their bound until an address leaves memory.
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for (b, w, i) in [
            (0, 0, 0),
            (100, 96, 0),
            (100, 104, 4),
            (1, 0, 0),
            (0, 2, 0),
            (0, 0, 2),
            (0, 0, 252),
            (0, 0, 256),
            (0, 0, -4),
            (end - 256, 0, 0),
            (end - 252, 0, 0),
            (0, end - 264, 0),
            (0, end - 260, 0),
            (end - 256, end - 264, 0),
        ] {
            cases.push(("byte_offsets", args(&[pages, b, w, i])));
        }
        for (b, w, i) in [
            (0, 0, 400),
            (100, 200, 64),
            (1, 0, 64),
            (0, 0, 6),
            (0, 0, 0),
            (end - 408, 0, 400),
            (end - 407, 0, 400),
            (end - 404, 0, 400),
            (0, end - 404, 400),
            (0, end - 400, 400),
        ] {
            cases.push(("byte_offsets_down", args(&[pages, b, w, i])));
        }
        for (p, i) in [
            (1000, 0),
            (1000, 4),
            (1001, 0),
            (1000, 124),
            (end - 260, 0),
            (end - 256, 0),
            (end - 300, 2),
            (end - 100, 128),
        ] {
            cases.push(("pointer_plus_offset", args(&[pages, p, i])));
        }
    }
    // A histogram through an indexed address kept in a local: aligned and unaligned counts,
    // the last counter in bounds exactly and one byte past it, an index scaled out of memory.
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for (count, n, scale) in [
            (4096, 1000, 1),
            (4098, 1000, 1),
            (4096, 1000, 0),
            (4096, 1, 1),
            (end - 1024, 1000, 1),
            (end - 1020, 1000, 1),
            (end - 1022, 1000, 1),
            (4096, 1000, 300),
        ] {
            cases.push(("histogram", args(&[pages, 2048, count, n, scale])));
        }
    }
    // A partial sum below 0 kept in a local, and a data index added to an unaligned base.
    for (b, i, n) in [
        (1000, 0, 1),
        (1000, 0, 10),
        (1000, 1, 10),
        (64, 0, 1),
        (0, 0, 1),
    ] {
        cases.push(("tee_below", args(&[0, b, i, n])));
    }
    for (b, n) in [(100, 1), (100, 20), (4096, 50), (PAGE - 40, 10)] {
        cases.push(("offset_index", args(&[0, b, n])));
    }
    // Accesses below the moving part: the lowest address exactly 0, one element below it
    // (which wraps and traps), unaligned, and the highest exactly at the end of memory.
    for pages in [0, 1] {
        let end = PAGE * (1 + pages);
        for (base, i, n) in [
            (1000, 0, 400),
            (0, 4, 400),
            (0, 8, 400),
            (0, 0, 400),
            (4, 0, 400),
            (2, 2, 400),
            (1000, 0, 1),
            (end - 400, 0, 400),
            (end - 400, 4, 404),
            (end - 399, 0, 400),
        ] {
            cases.push(("below_counter", args(&[pages, base, i, n])));
        }
        for (p, n) in [
            (1000, 100),
            (8, 100),
            (12, 100),
            (4, 100),
            (0, 1),
            (10, 100),
            (end - 8 * 99, 100),
            (end - 8 * 99 + 4, 100),
            (end - 8 * 99 + 8, 100),
        ] {
            cases.push(("below_pointer", args(&[pages, p, n])));
        }
    }
    diff.check(&cases);
}

#[test]
fn loops_not_unrolled_hold_element_addresses() {
    // Each of these loops has a branch in its body, so it is not unrolled; its unchecked copy
    // divides its bases, pointers and byte-offset counter by 4 once before the loop (and
    // multiplies them back after it) instead of a `div.4` per access. The checked copy keeps
    // its per-access checks.
    let wasm = wat::parse_str(WAT).unwrap();
    let masm = midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm))
        .unwrap()
        .masm_listing("test");
    for (name, locals) in [
        ("byte_offsets", 3),
        ("byte_offsets_down", 3),
        ("pointer_plus_offset", 2),
    ] {
        let body = masm
            .split(&format!("\n# {name}\n"))
            .nth(1)
            .and_then(|rest| rest.split("\nend\n").next())
            .expect("the function is in the listing");
        assert_eq!(body.matches("while.true").count(), 2, "{name}: {body}");
        assert!(!body.contains("div.4"), "{name}: {body}");
        assert!(body.matches("u32shr.2").count() >= locals, "{name}: {body}");
        assert!(body.matches("u32shl.2").count() >= locals, "{name}: {body}");
        // The last `else` at the function's level is the checked copy's.
        let fast = body.rsplit("\n    else\n").nth(1).unwrap();
        assert!(fast.contains("while.true"), "{name}: {body}");
        assert!(!fast.contains("out of bounds"), "{name}: {body}");
    }
}
