//! Differential tests of whole programs: control flow, memory, locals kept on the operand
//! stack, calls across part modules and boolean operators, on wasmi and compiled by midenc.

use midenc_abi::CoreValue;
use midenc_tests::{count_in, i32v, i64v, masm_listing as listing, Differential};

#[test]
fn control_flow_agrees_with_wasmi() {
    let mut diff = Differential::from_wat(include_str!("../fixtures/core/control.wat"));
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for (a, b) in [(1, 2), (5, -3), (-4, -9), (i32::MIN, i32::MAX), (7, 7)] {
        cases.push(("max_s", vec![i32v(a), i32v(b)]));
        cases.push(("divmod", vec![i32v(a), i32v(b)]));
    }
    cases.push(("divmod", vec![i32v(9), i32v(0)]));
    for x in [0, 3, 10, 11, -1, 1000] {
        cases.push(("clamp10", vec![i32v(x)]));
        cases.push(("classify", vec![i32v(x)]));
        cases.push(("checked_half", vec![i32v(x)]));
    }
    for n in [0, 1, 2, 10, 100, 65_536] {
        cases.push(("sum_to", vec![i32v(n)]));
    }
    for x in [0, 1, 2, 255, 256, -1, i32::MAX] {
        cases.push(("bit_length", vec![i32v(x)]));
    }
    for n in [2, 3, 4, 9, 15, 49, 97, 1001, 7919] {
        cases.push(("find_div", vec![i32v(n)]));
    }
    for n in [0, 1, 2, 5, 12] {
        cases.push(("pairs", vec![i32v(n)]));
        cases.push(("skip_multiples", vec![i32v(n)]));
    }
    for (a, b, c) in [(0, 0, 5), (0, 4, 5), (3, 4, 5), (0, 0, 0)] {
        cases.push(("first_nonzero", vec![i32v(a), i32v(b), i32v(c)]));
        cases.push(("select32", vec![i32v(a), i32v(b), i32v(c)]));
    }
    for (a, b, c) in [(1i64, -2i64, 0), (1, -2, 1), (i64::MAX, i64::MIN, 7)] {
        cases.push(("select64", vec![i64v(a), i64v(b), i32v(c)]));
        cases.push(("swap64", vec![i64v(a), i32v(c)]));
    }
    for x in [1i64, 6, 27, 97, 0x1_0000_0001] {
        cases.push(("collatz_steps", vec![i64v(x)]));
    }
    for x in [-5, 0, 1, 2, 3, 4, 5, 100, i32::MIN] {
        cases.push(("bump", vec![i32v(x)]));
        cases.push(("switch", vec![i32v(x)]));
        cases.push(("switch_val", vec![i32v(x), i32v(x.wrapping_mul(3))]));
        cases.push(("state_machine", vec![i32v(x & 0x3f)]));
    }
    for f in [0, 1, 2, 3, 4, 5, 6, -1] {
        cases.push(("dispatch", vec![i32v(f), i32v(7), i32v(-3)]));
        cases.push(("dispatch_unary", vec![i32v(f), i32v(9)]));
    }
    for n in [0, 1, 2, 10, 15] {
        cases.push(("fib", vec![i32v(n)]));
        cases.push(("is_even", vec![i32v(n)]));
    }
    for (a, b) in [(3i64, 4i64), (-5, 0x1_0000_0000), (i64::MAX, 2)] {
        cases.push(("sum_sq", vec![i64v(a), i64v(b)]));
    }
    for x in [0i64, 1, -1, 0x1_0000_0000, i64::MAX] {
        cases.push(("bump64", vec![i64v(x)]));
    }
    cases.push((
        "many_locals",
        (1..=8).map(|i| i64v(i * 0x1_0000_0003)).collect(),
    ));
    cases.push(("many_locals", (1..=8).map(|i| i64v(-i)).collect()));
    let n = diff.check(&cases);
    assert!(n >= 100, "ran {n} cases");
}

#[test]
fn memory_agrees_with_wasmi() {
    let mut diff = Differential::from_wat(include_str!("../fixtures/core/memory.wat"));
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let addrs = [
        0, 1, 2, 3, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 65_528, 65_531, 65_532, 65_535,
        65_536, -1,
    ];
    for a in addrs {
        for f in [
            "load32",
            "load32_off",
            "load8_s",
            "load8_u",
            "load16_s",
            "load16_u",
            "load64",
            "load64_8s",
            "load64_16u",
            "load64_32s",
            "load64_32u",
        ] {
            cases.push((f, vec![i32v(a)]));
        }
    }
    for a in [4, 5, 6, 7, 17, 18, 19, 22, 65_524, 65_530, 65_533, 65_536] {
        for v in [0, -1, 0x1234_5678, 0x80] {
            cases.push(("store32", vec![i32v(a), i32v(v)]));
            cases.push(("store8", vec![i32v(a), i32v(v)]));
            cases.push(("store16", vec![i32v(a), i32v(v)]));
            cases.push(("store64", vec![i32v(a), i64v(i64::from(v) * 0x1_0000_0003)]));
            cases.push((
                "store64_32",
                vec![i32v(a), i64v(i64::from(v) - 0x7_0000_0000)],
            ));
        }
    }
    for d in [0, 1, 2, 3, -1] {
        cases.push(("grow", vec![i32v(d)]));
    }
    for (d, v, n) in [
        (16, 0xAB, 5),
        (18, -1, 0),
        (17, 0x1FF, 9),
        (65_530, 7, 6),
        (65_530, 7, 7),
        (65_537, 0, 0),
    ] {
        cases.push(("fill", vec![i32v(d), i32v(v), i32v(n)]));
    }
    for (d, s, n) in [
        (16, 20, 8),
        (20, 16, 8),
        (17, 19, 9),
        (19, 17, 9),
        (30, 16, 0),
        (0, 65_530, 7),
        (65_530, 0, 6),
    ] {
        cases.push(("copy", vec![i32v(d), i32v(s), i32v(n)]));
    }
    // Same phase modulo 16 (whole words after a head of elements), other phases (elements),
    // unaligned (bytes), overlapping both ways, a word and just under one.
    for (d, s, n) in [
        (32, 64, 100),
        (36, 68, 77),
        (4, 20, 300),
        (8, 40, 200),
        (40, 8, 200),
        (0, 512, 512),
        (16, 32, 16),
        (16, 32, 15),
        (100, 612, 400),
        (1, 17, 100),
        (64, 68, 200),
    ] {
        cases.push(("copy_region", vec![i32v(d), i32v(s), i32v(n)]));
    }
    for (d, n) in [
        (0, 0),
        (1, 0),
        (2, 2),
        (1, 3),
        (3, 4),
        (4, 4),
        (64, 192),
        (66, 190),
        (67, 600),
        (4, 40),
        (5, 50),
        (8, 8),
        (12, 20),
        (16, 16),
        (16, 15),
        (16, 31),
        (30, 130),
        (0, 1024),
    ] {
        for v in [0, 0xAB, -1, 0x1FF] {
            cases.push(("fill_region", vec![i32v(d), i32v(v), i32v(n)]));
        }
    }
    cases.push(("started", vec![]));
    for a in [65_536, 131_068, 131_069, 131_072] {
        cases.push(("grow_then_touch", vec![i32v(a)]));
    }
    let n = diff.check(&cases);
    assert!(n >= 400, "ran {n} cases");
}

#[test]
fn stack_carried_locals_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/stack_carried.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let ints = [
        0,
        1,
        2,
        7,
        9,
        25,
        97,
        121,
        1009,
        65_521,
        -1,
        i32::MIN,
        i32::MAX,
    ];
    for n in ints {
        for f in [
            "tee_once",
            "first_divisor",
            "read_twice",
            "next_iteration",
            "same_const",
            "crowded",
        ] {
            cases.push((f, vec![i32v(n)]));
        }
        for m in [0, 5, -3, i32::MAX] {
            for f in ["in_order", "reversed", "pops_below"] {
                cases.push((f, vec![i32v(n), i32v(m)]));
            }
        }
        cases.push(("across_i64", vec![i32v(n), i64v(i64::from(n) << 17 | 0x55)]));
    }
    for count in [0, 1, 3, 4, 5, 8, 100] {
        cases.push(("fill_indices", vec![i32v(0), i32v(count)]));
    }
    diff.check(&cases);
    // Carried locals need no slot: a function's frame is its parameters plus what its prologue
    // pushes (`push.N`, `padw`) for the locals that keep one.
    let masm = listing(wat);
    let slots = |name: &str| -> usize {
        let start = masm
            .find(&format!("proc {name}\n"))
            .expect("procedure present");
        let lines: Vec<&str> = masm[start..].lines().skip(1).map(str::trim).collect();
        let pushed: Vec<usize> = lines
            .iter()
            .map_while(|l| match *l {
                "padw" => Some(4),
                _ if l.starts_with("push.") => Some(1),
                _ => None,
            })
            .collect();
        // A constant the first instruction computes with (`push.3 u32wrapping_mul`) is an
        // operand, not a slot.
        let next = lines.get(pushed.len()).copied().unwrap_or("");
        let op = next.split('.').next().unwrap_or("");
        let computes = op.starts_with("u32") || ["add", "mul", "sub", "eq", "neq"].contains(&op);
        let operand = usize::from(computes && pushed.last() == Some(&1));
        pushed.iter().sum::<usize>() - operand
    };
    // tee_once, in_order, reversed, across_i64 carry every local; read_twice keeps its slot;
    // pops_below carries its value beneath the operand the `add` consumes (a sink). first_divisor
    // keeps d but not the square: `push.3` (d's slot with its first value), then its speculated
    // loop's `push.0 push.1`. next_iteration keeps both (`push.1` opens its loop); same_const
    // carries both 7s, the second beneath the first one's read (`push.7 push.7 swap`);
    // crowded keeps 12 slots of 13.
    let expected = [0, 3, 0, 0, 0, 1, 3, 0, 2, 12];
    let found: Vec<usize> = (0..expected.len())
        .map(|f| slots(&format!("wasm_fn{f}")))
        .collect();
    assert_eq!(found, expected, "{masm}");
}

/// A module of 80 functions (three part modules of 32): a call chain that alternates between
/// the first and the last part, mutual recursion between parts (through `dynexec`), a table
/// whose entries live in different parts, and signed division (a `midenc_rt` procedure) in
/// every part. The package exports only the main module's procedures.
/// A module of 80 functions (three part modules of 32): a call chain that alternates between
/// the first and the last part, mutual recursion between parts (through `dynexec`), a table
/// whose entries live in different parts, and signed division (a `midenc_rt` procedure) in
/// every part. The package exports only the main module's procedures.
#[test]
fn calls_across_part_modules_agree_with_wasmi() {
    const N: usize = 80;
    // f(order[k]) calls f(order[k + 1]): 0 -> 79 -> 1 -> 78 -> ...
    let order: Vec<usize> = (0..N / 2).flat_map(|i| [i, N - 1 - i]).collect();
    let mut next = [None; N];
    for pair in order.windows(2) {
        next[pair[0]] = Some(pair[1]);
    }
    let mut wat = String::from("(module\n  (table 3 funcref)\n");
    wat.push_str(
        "  (elem (i32.const 0) $f2 $f40 $f77)\n  (type $t (func (param i32) (result i32)))\n",
    );
    for (i, next) in next.iter().enumerate() {
        let body = match (i, next) {
            // even/odd across parts 0 and 2
            (3, _) => "(if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1)) \
                       (else (call $f70 (i32.sub (local.get 0) (i32.const 1)))))"
                .to_string(),
            (70, _) => "(if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0)) \
                        (else (call $f3 (i32.sub (local.get 0) (i32.const 1)))))"
                .to_string(),
            (_, Some(n)) => format!(
                "(call $f{n} (i32.add (i32.div_s (local.get 0) (i32.const -3)) (i32.const {i})))"
            ),
            (_, None) => "(i32.mul (local.get 0) (i32.const 7))".to_string(),
        };
        wat.push_str(&format!("  (func $f{i} (param i32) (result i32) {body})\n"));
    }
    wat.push_str(
        "  (func (export \"chain\") (param i32) (result i32) (call $f0 (local.get 0)))\n\
         (func (export \"even\") (param i32) (result i32) (call $f3 (local.get 0)))\n\
         (func (export \"indirect\") (param i32 i32) (result i32)\n\
           (call_indirect (type $t) (local.get 0) (local.get 1))))\n",
    );
    let mut diff = Differential::from_wat(&wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for x in [0, 1, 5, -100, 123_456, i32::MIN] {
        cases.push(("chain", vec![i32v(x)]));
        for slot in 0..3 {
            cases.push(("indirect", vec![i32v(x), i32v(slot)]));
        }
    }
    for n in [0, 1, 2, 7, 10] {
        cases.push(("even", vec![i32v(n)]));
    }
    diff.check(&cases);

    let wasm = wat::parse_str(&wat).unwrap();
    let module =
        midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm)).unwrap();
    let names: Vec<&str> = module.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "",
            "midenc_part0",
            "midenc_part1",
            "midenc_part2",
            "midenc_rt"
        ]
    );
    let linked = midenc::with_deep_stack(|| {
        midenc_linker::link(&midenc_linker::PackageSpec {
            name: "parts",
            version: "0.1.0",
            module: &module,
            wasm: &wasm,
            world: None,
            resolutions: &[],
        })
        .map_err(|e| e.to_string())
    })
    .unwrap();
    let mut exported: Vec<String> = linked
        .package
        .manifest
        .exports()
        .map(|e| e.path().to_string())
        .collect();
    exported.sort();
    assert_eq!(
        exported,
        [
            "::parts::chain",
            "::parts::chain__entry",
            "::parts::even",
            "::parts::even__entry",
            "::parts::indirect",
            "::parts::indirect__entry",
            "::parts::midenc_instantiate",
        ]
    );
}

#[test]
fn bool_ops_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/bool_ops.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let values = [0, 1, 2, 3, 4, 5, 7, 8, 100, -1, i32::MIN];
    for a in values {
        for b in values {
            for f in [
                "either",
                "both",
                "odd_or_big",
                "not_bool",
                "square_gt",
                "square_le",
                "product_gt",
            ] {
                cases.push((f, vec![i32v(a), i32v(b)]));
            }
            cases.push(("sum_le", vec![i32v(a), i32v(7), i32v(b)]));
            cases.push(("or_low_bits", vec![i32v(a), i32v(b)]));
            cases.push(("or_not_disjoint", vec![i32v(a), i32v(b)]));
        }
        for f in ["parity", "nested_not"] {
            cases.push((f, vec![i32v(a)]));
        }
    }
    for n in [0, 1, 2, 9, 100] {
        cases.push(("even_count", vec![i32v(n)]));
        cases.push(("or_indices", vec![i32v(n)]));
    }
    diff.check(&cases);
    // The comparisons' `or`/`and` are felt instructions; `not_bool` keeps `u32and` twice.
    let masm = listing(wat);
    let count = |op: &str| masm.lines().filter(|l| l.trim() == op).count();
    assert_eq!(count("or"), 2, "{masm}");
    assert_eq!(count("and"), 1, "{masm}");
    // `or_low_bits` and `or_indices` add; `or_not_disjoint` keeps both of its `u32or`s.
    assert_eq!(count("u32or"), 2, "{masm}");
}

#[test]
fn alignment_versioned_loops_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/aligned_loops.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    // Aligned and unaligned starts; near the end of memory the scans run off it and trap.
    let starts = [
        0, 1, 2, 3, 4, 100, 101, 498, 500, 65_400, 65_401, 65_520, 65_523, 65_532,
    ];
    for &p in &starts {
        for pivot in [0, 1 << 20, 1 << 31, -1] {
            cases.push(("scan_up", vec![i32v(p), i32v(pivot)]));
            cases.push(("scan_down", vec![i32v(p + 400), i32v(pivot)]));
        }
        for d in [2048, 2049, 2052, 65_000] {
            cases.push(("copy_through_zero", vec![i32v(p), i32v(d)]));
            for n in [1, 3, 200] {
                cases.push(("copy_until_zero", vec![i32v(p), i32v(d), i32v(n)]));
            }
        }
        cases.push(("step_two", vec![i32v(p), i32v(9)]));
        for x in [0, 7, -1] {
            cases.push(("search_then_drain", vec![i32v(p), i32v(p + 4), i32v(x)]));
        }
        for n in [0, 1, 2, 5, 200] {
            cases.push(("all_sorted", vec![i32v(p), i32v(n)]));
            for limit in [0, 1 << 31, -1] {
                cases.push(("first_above", vec![i32v(p), i32v(n), i32v(limit)]));
            }
        }
    }
    diff.check(&cases);
    // The scans, the copy through zero, the searches left to their own blocks (with what follows
    // them there) have an aligned copy (whole-element accesses) beside the original; the
    // pointer stepped by 2 has none.
    let masm = listing(wat);
    let whole = |proc: &str| count_in(&masm, proc, |l| l == "div.4");
    for proc in [
        "pub proc wasm_fn1",
        "pub proc wasm_fn2",
        "pub proc wasm_fn3",
        "pub proc wasm_fn4",
        "pub proc wasm_fn5",
        "pub proc wasm_fn8",
        "pub proc wasm_fn9",
    ] {
        assert!(whole(proc) >= 1, "{proc}: {masm}");
    }
    assert_eq!(whole("pub proc wasm_fn6"), 0, "{masm}");
}

#[test]
fn parameter_versioned_functions_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/aligned_params.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    // Aligned and unaligned pointers, and the last words of memory: the state ends exactly at
    // the end of memory, or one byte past it (a trap at the last load).
    for p in [
        64, 65, 66, 67, 68, 1024, 65_472, 65_473, 65_504, 65_505, 65_508,
    ] {
        for k in [0, 1, 2, 7] {
            for f in [
                "update",
                "update_or_return",
                "update_or_table",
                "rows",
                "swaps",
            ] {
                cases.push((f, vec![i32v(p), i32v(k)]));
            }
        }
    }
    diff.check(&cases);
    // Each has an aligned copy (whole-element accesses) beside the original; `rows` (fn3)
    // through its derived pointer, in a loop no loop rewrite takes.
    let masm = listing(wat);
    for proc in [
        "pub proc wasm_fn0",
        "pub proc wasm_fn1",
        "pub proc wasm_fn2",
        "pub proc wasm_fn3",
    ] {
        assert!(
            count_in(&masm, proc, |l| l == "div.4") >= 16,
            "{proc}: {masm}"
        );
    }
    // `swaps` (fn4): its five accesses, four of them in a loop, all read whole elements.
    assert!(
        count_in(&masm, "pub proc wasm_fn4", |l| l == "div.4") >= 5,
        "{masm}"
    );
}

#[test]
fn merged_stores_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/merged_stores.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let top = 65_536;
    for (p, n) in [
        (0, 0),
        (0, 4),
        (0, 64),
        (1, 64),
        (2, 12),
        (3, 8),
        (100, 400),
    ] {
        for v in [0, 7, -1] {
            cases.push(("fill4", vec![i32v(p), i32v(n), i32v(v)]));
        }
    }
    // the last four bytes filled exactly, one byte past them, and the first round past the end
    for p in [top - 16, top - 15, top - 12] {
        cases.push(("fill4", vec![i32v(p), i32v(16), i32v(5)]));
    }
    for p in [0, 1, 2, 3, 17, top - 8, top - 7, top - 4, -4] {
        for v in [0, 0x1234_5678, -1] {
            cases.push(("offsets", vec![i32v(p), i32v(v)]));
            cases.push(("reads_back", vec![i32v(p), i32v(v)]));
            cases.push(("moves_base", vec![i32v(p), i32v(v)]));
            cases.push(("overlap", vec![i32v(p), i32v(v)]));
        }
    }
    for (p, q) in [
        (0, 0),
        (5, 9),
        (-1, 1),
        (-2, 0),
        (-4, 0),
        (top - 4, 0),
        (top - 3, 0),
    ] {
        cases.push(("recomputed", vec![i32v(p), i32v(q), i32v(0x55)]));
    }
    diff.check(&cases);
    // Merged where exact: those functions keep no byte store; the others keep all four.
    let masm = listing(wat);
    let byte_stores = |proc: &str| {
        count_in(&masm, proc, |l| {
            l.contains("wasm_store8") || l.contains("wasm_store_masked")
        })
    };
    for merged in ["pub proc wasm_fn2", "pub proc wasm_fn3"] {
        assert_eq!(byte_stores(merged), 0, "{merged} merges its byte stores");
    }
    for kept in [
        "pub proc wasm_fn4",
        "pub proc wasm_fn5",
        "pub proc wasm_fn6",
    ] {
        assert_eq!(byte_stores(kept), 4, "{kept} keeps its byte stores");
    }
}

#[test]
fn rotating_locals_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/rotating_locals.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for seed in [0, 1, -1, 0x1234_5678, 0x6a09_e667] {
        for f in ["sha_like_64", "sha_like_12", "sha_like_7"] {
            cases.push((f, vec![i32v(seed)]));
        }
        cases.push(("tee_chain", vec![i32v(seed), i32v(seed ^ 0x55)]));
        cases.push(("swap_pair", vec![i32v(seed), i32v(seed.wrapping_mul(3))]));
        cases.push(("mixed_types", vec![i64v(i64::from(seed) << 20 | 0xABCD)]));
    }
    // the chains fed from memory: in bounds, the last in-bounds base, and bases that trap in
    // the first, a middle and the last round
    for base in [
        0,
        1000,
        65_536 - 64,
        65_536 - 63,
        65_536 - 40,
        65_536 - 4,
        65_536,
    ] {
        cases.push(("mem_rounds", vec![i32v(base)]));
    }
    diff.check(&cases);
    // The rewrite happened: the rounds are unrolled by the largest factor of the trip count
    // among 8, 4 and 2, and a loop of 7 rounds stays as it is.
    let masm = listing(wat);
    let rotations = |proc: &str| count_in(&masm, proc, |l| l == "u32rotl.26");
    assert_eq!(rotations("pub proc wasm_fn0"), 8, "64 rounds unroll by 8");
    assert_eq!(rotations("pub proc wasm_fn1"), 4, "12 rounds unroll by 4");
    assert_eq!(rotations("pub proc wasm_fn2"), 1, "7 rounds stay");
}

#[test]
fn split_frames_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/split_frames.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for seed in [0, 1, -1, 0x1234_5678] {
        for n in [0, 1, 2, 64, 200] {
            cases.push(("rounds", vec![i32v(seed), i32v(n)]));
        }
    }
    for (n, s) in [(0, 0i64), (1, -1), (5, 0x1_0000_0003), (40, i64::MIN)] {
        cases.push(("call_in_loop", vec![i32v(n), i64v(s)]));
    }
    for (d, v) in [(0, 0i64), (1, 5), (3, -7), (6, 0x7FFF_FFFF_FFFF)] {
        cases.push(("walk", vec![i32v(d), i64v(v)]));
    }
    for x in [0, 1, 5, -1] {
        cases.push(("twice", vec![i32v(x)]));
    }
    diff.check(&cases);
    // The split really happened: `rounds` keeps some locals in procedure locals, but its loop
    // (the only `while`) reads and writes none of them.
    let masm = listing(wat);
    let rounds: Vec<&str> = masm
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "pub proc wasm_fn0")
        .take_while(|l| *l != "end")
        .collect();
    let locals = masm
        .lines()
        .map(str::trim)
        .take_while(|l| *l != "pub proc wasm_fn0")
        .last()
        .and_then(|l| {
            l.strip_prefix("@locals(")?
                .strip_suffix(')')?
                .parse::<usize>()
                .ok()
        })
        .expect("rounds has procedure locals");
    assert!(locals > 0 && locals < 21, "@locals({locals})");
    let in_loop = rounds.iter().skip_while(|l| **l != "while.true");
    assert_eq!(in_loop.filter(|l| l.starts_with("loc_")).count(), 0);
}
