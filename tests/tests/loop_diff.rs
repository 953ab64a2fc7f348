//! Differential tests of the loop transformations: counted, speculated, rebased and reshaped
//! loops, alignment guards and shared bounds checks, on wasmi and compiled by midenc (the
//! versioned loops have their own file, `versioned_loops.rs`).

use midenc_abi::CoreValue;
use midenc_tests::{count_in, i32v, masm_listing, Differential, Outcome};

#[test]
fn counted_loops_agree_with_wasmi() {
    let mut diff = Differential::from_wat(include_str!("../fixtures/core/counted_loops.wat"));
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    // 0 pages more: every loop's range crosses the end of memory (a trap); -1: growing fails.
    for pages in [0, 1, 2, 3, -1] {
        for v in [0, 7, -1] {
            cases.push(("fill_up", vec![i32v(pages), i32v(v)]));
            cases.push(("below", vec![i32v(pages), i32v(v)]));
            cases.push(("fill_shifted", vec![i32v(pages), i32v(v)]));
        }
        for c in [0, 1] {
            cases.push(("down", vec![i32v(pages), i32v(c)]));
            cases.push(("edge", vec![i32v(pages), i32v(c)]));
        }
    }
    diff.check(&cases);
    // The checks really moved before the loops: one per loop, at the last byte its unconditional
    // accesses reach (`fill_up` has two loops ending at the same byte). The loop whose last
    // byte is the initial page's last (65,535) checks nothing at all: memory never shrinks.
    let masm = masm_listing(include_str!("../fixtures/core/counted_loops.wat"));
    let lines: Vec<&str> = masm.lines().map(str::trim).collect();
    let limit = format!(
        "mem_load.{}",
        midenc_frontend_wasm::layout::ACCESS_LIMITS_ADDR
    );
    for (last_byte, loops) in [
        (98_303, 2),
        (65_540, 1),
        (65_546, 1),
        (65_535, 0),
        (65_536, 1),
    ] {
        let check = [format!("push.{last_byte}"), limit.clone()];
        let found = lines
            .windows(2)
            .filter(|w| w[0] == check[0] && w[1] == check[1]);
        assert_eq!(found.count(), loops, "{check:?}");
    }
}

#[test]
fn speculated_loops_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/speculated_loops.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for n in [
        0, 1, 9, 11, 15, 25, 49, 97, 121, 169, 1009, 7919, 10_001, 65_521,
    ] {
        cases.push(("odd_prime", vec![i32v(n)]));
        cases.push(("first_divisor", vec![i32v(n)]));
    }
    for (i, end) in [
        (0, 20),
        (16, 40),
        (0, 8),
        (4, 4),
        (65_532, 65_600),
        (65_536, 70_000),
    ] {
        cases.push(("find_zero", vec![i32v(i), i32v(end)]));
        cases.push(("count_nonzero", vec![i32v(i), i32v(end)]));
    }
    for n in [0, 1, 3, 7, 100, 995, 2000, -9] {
        cases.push(("outer_live", vec![i32v(n)]));
        cases.push(("outer_ok", vec![i32v(n)]));
    }
    for n in [0, 10, 49, 50, 51, 100] {
        cases.push(("extra_operand", vec![i32v(n)]));
    }
    diff.check(&cases);
    // Speculated where invisible, not where the rest writes a live local or a value stays
    // under the test: one `while` per loop, with `dup.1 or not` / `dup.1 not and` as the
    // speculated loops' combined test.
    let masm = masm_listing(wat);
    let lines: Vec<&str> = masm.lines().map(str::trim).collect();
    let combined = |a: &str, b: &str| {
        lines
            .windows(3)
            .filter(|w| w[0] == "dup.1" && w[1] == a && w[2] == b)
            .count()
    };
    // odd_prime and outer_ok (exit tail), count_nonzero (repeat tail; its search through `i`
    // is also versioned on alignment, and both copies are speculated).
    assert_eq!(combined("or", "not"), 2, "{masm}");
    assert_eq!(combined("not", "and"), 2, "{masm}");
}

#[test]
fn rebased_loops_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/rebased_loops.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for n in [0, 1, 2, 3, 8, 9, 10, 25, 100, 1000, -1] {
        cases.push(("count_primes", vec![i32v(n)]));
    }
    for (n, d) in [
        (35, 5),
        (49, 5),
        (97, 5),
        (91, 3),
        (1, 3),
        (0, 3),
        (15, 4),
        (77, 1),
        (-1, 5),
        (1_000_003, 7),
    ] {
        cases.push(("square_at_divisor", vec![i32v(n), i32v(d)]));
        cases.push(("divisor", vec![i32v(n), i32v(d)]));
    }
    for n in [0, 1, 5, 50, 99, 100, 101, 250, -1, -2, i32::MIN] {
        cases.push(("down_by_three", vec![i32v(n)]));
        cases.push(("join_differs", vec![i32v(n)]));
        cases.push(("join_agrees", vec![i32v(n)]));
    }
    for n in [0, 1, 5, 6, 7, 8, 100, 1001] {
        cases.push(("fallthrough_live", vec![i32v(n)]));
        cases.push(("fallthrough_dead", vec![i32v(n)]));
    }
    diff.check(&cases);
    // count_primes' inner loop divides by d itself: no `u32wrapping_sub.2` in the loop, and d
    // enters as 3 (the 5 written before the loop, adjusted).
    let masm = masm_listing(wat);
    let count_primes = &masm[masm.find("proc wasm_fn0").unwrap()..];
    let count_primes = &count_primes[..count_primes.find("\nend\n").unwrap()];
    assert!(
        !count_primes.contains("u32wrapping_sub.2"),
        "{count_primes}"
    );
    assert!(count_primes.contains("push.3"), "{count_primes}");
}

#[test]
fn loop_shapes_agree_with_wasmi() {
    let mut diff = Differential::from_wat(include_str!("../fixtures/core/loop_shapes.wat"));
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for n in [
        9, 10, 11, 15, 25, 49, 97, 121, 169, 7919, 10_007, 999_983, 1_000_000,
    ] {
        cases.push(("is_prime_odd", vec![i32v(n)]));
    }
    for f in [
        "odd_start_odd_step",
        "even_start_even_step",
        "odd_start_crosses_zero",
    ] {
        cases.push((f, vec![]));
    }
    for n in [0, 1, 2, 3, 7, 10, 11, 12, 100, -1] {
        cases.push(("odd_start_other_write", vec![i32v(n)]));
        cases.push(("skip_threes", vec![i32v(n)]));
    }
    diff.check(&cases);
}

#[test]
fn aligned_guards_agree_with_wasmi() {
    let mut diff = Differential::from_wat(include_str!("../fixtures/core/aligned_guards.wat"));
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for p in [0, 1, 2, 3, 4, 6, 8, 13, 16, 65_533] {
        cases.push(("taken", vec![i32v(p)]));
        cases.push(("mask_one", vec![i32v(p)]));
        for q in [0, 2, 4, 9] {
            cases.push(("fall_through", vec![i32v(p), i32v(q)]));
        }
    }
    for (d, s, n) in [
        (12, 0, 8),
        (13, 0, 8),
        (12, 2, 7),
        (16, 4, 3),
        (8, 0, 0),
        (20, 1, 4),
    ] {
        cases.push(("copy_sum", vec![i32v(d), i32v(s), i32v(n)]));
    }
    diff.check(&cases);
}

#[test]
fn shared_bounds_agree_with_wasmi() {
    let mut diff = Differential::from_wat(include_str!("../fixtures/core/shared_bounds.wat"));
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for (d, s) in [
        (0, 65520),
        (65528, 65520),
        (65529, 65520),
        (65532, 0),
        (65520, 65530),
    ] {
        cases.push(("copy2", vec![i32v(d), i32v(s)]));
    }
    for p in [0, 65520, 65521, 65534, 65535, 65536, -1] {
        cases.push(("spread", vec![i32v(p)]));
        for flag in [0, 1] {
            cases.push(("guarded", vec![i32v(p), i32v(flag)]));
            cases.push(("divides", vec![i32v(p), i32v(flag)]));
        }
        cases.push(("rebased", vec![i32v(p), i32v(0)]));
        cases.push(("rebased", vec![i32v(0), i32v(p)]));
    }
    // Stores whose value moves their base: one address in bounds, the other not.
    for (b, x) in [
        (70_000, 0),
        (65_534, 0),
        (0, 70_000),
        (0, 65_532),
        (8, 16),
        (-4, 8),
    ] {
        for f in [
            "store_moves_base",
            "store_moves_base_sum",
            "store_then_new_base",
        ] {
            cases.push((f, vec![i32v(b), i32v(x)]));
        }
    }
    // The teed base is the first parameter plus 4 (wrapping for -4 and -1).
    for p in [0, 65_516, 65_520, 65_521, 65_532, -4, -1] {
        for q in [0, 65_532, 65_533] {
            cases.push(("teed", vec![i32v(p), i32v(q)]));
        }
    }
    diff.check(&cases);
    // `teed` checks twice: its leader (for the store and the last load too) and the other base.
    let masm = masm_listing(include_str!("../fixtures/core/shared_bounds.wat"));
    let checks = count_in(&masm, "pub proc wasm_fn5", |l| {
        l.contains("out of bounds memory access")
    });
    assert_eq!(checks, 2, "{masm}");
}

#[test]
fn range_pitfalls_agree_with_wasmi() {
    let mut diff = Differential::from_wat(include_str!("../fixtures/core/range_pitfalls.wat"));
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for i in [0, 1, 9, 17, -7] {
        cases.push(("speculated", vec![i32v(i)]));
    }
    // One page: the inner loop's second load (65,536) traps; four pages: it does not.
    for grow in [0, 3] {
        for n in [0, 1] {
            cases.push(("late_loop", vec![i32v(grow), i32v(n)]));
        }
    }
    for p in [0, 4, 5, 9, -1] {
        for y in [0, 65_532, 65_533, 70_000] {
            cases.push(("tee", vec![i32v(p), i32v(y)]));
        }
    }
    diff.check(&cases);
    let traps = cases
        .iter()
        .filter(|(f, args)| matches!(diff.reference(f, args), Outcome::Trap(_)))
        .count();
    assert!((5..20).contains(&traps), "{traps} traps");
}

#[test]
fn ranged_loops_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/ranged_loops.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    // Bytes at 65472 + k are 7k + 1 (mod 256): stop values met early, late, or never (0).
    let stops = [1, 8, 64, 71, 120, 134, 148, 190, 0, -1];
    // -1 and 100 pages: growing fails; 1: the accesses just past the page stay in memory.
    for grow in [0, 1, -1, 100] {
        for stop in stops {
            for func in [
                "to_end",
                "one_past",
                "halves",
                "words_past",
                "down",
                "entered_high",
            ] {
                cases.push((func, vec![i32v(grow), i32v(stop)]));
            }
        }
        for stop in [0, 1] {
            cases.push(("not_equal", vec![i32v(grow), i32v(stop)]));
        }
        for j in [0, 9, 63, 64, 65_535, 65_536, 131_071, 131_072, -1] {
            cases.push(("arms", vec![i32v(grow), i32v(j)]));
            cases.push(("negated", vec![i32v(grow), i32v(j)]));
        }
    }
    diff.check(&cases);
    // Both sides trap on the same cases: the set covers traps and results alike.
    let traps = cases
        .iter()
        .filter(|(f, args)| matches!(diff.reference(f, args), Outcome::Trap(_)))
        .count();
    assert!((40..cases.len() - 40).contains(&traps), "{traps} traps");
    // The accesses whose whole range lies in the first page check nothing; the others keep
    // their one check each (functions in module order, `setup` first).
    let masm = masm_listing(wat);
    let checks: Vec<usize> = (0..10)
        .map(|f| {
            count_in(&masm, &format!("pub proc wasm_fn{f}"), |l| {
                l.contains("out of bounds memory access")
            })
        })
        .collect();
    assert_eq!(checks, [0, 0, 1, 0, 1, 1, 1, 0, 1, 1]);
}
