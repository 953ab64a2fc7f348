//! Differential tests: core modules on wasmi vs compiled by midenc on the Miden VM.

use midenc_abi::CoreValue;
use midenc_tests::{i32v, i64v, Differential};

const I32_SAMPLES: &[i32] = &[
    0,
    1,
    -1,
    2,
    7,
    -7,
    31,
    32,
    33,
    100,
    i32::MAX,
    i32::MIN,
    0x1234_5678,
];
const I64_SAMPLES: &[i64] = &[
    0,
    1,
    -1,
    63,
    64,
    65,
    -7,
    0xFFFF_FFFF,
    0x1_0000_0000,
    0x1234_5678_9ABC_DEF0,
    i64::MAX,
    i64::MIN,
    -0x1_0000_0001,
];

const I32_BINARY: &[&str] = &[
    "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s",
    "shr_u", "rotl", "rotr", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s",
    "ge_u",
];
const I32_UNARY: &[&str] = &["eqz", "clz", "ctz", "popcnt", "extend8_s", "extend16_s"];
const I64_BINARY: &[&str] = &[
    "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s",
    "shr_u", "rotl", "rotr",
];
const I64_COMPARE: &[&str] = &[
    "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
];
const I64_UNARY: &[&str] = &[
    "clz",
    "ctz",
    "popcnt",
    "extend8_s",
    "extend16_s",
    "extend32_s",
];

/// One exported function per operator, named like the operator.
fn operator_module() -> String {
    let mut wat = String::from("(module\n");
    let mut func = |name: String, params: &str, result: &str, body: &str| {
        wat.push_str(&format!(
            "  (func (export \"{name}\") (param {params}) (result {result}) {body})\n"
        ));
    };
    for op in I32_BINARY {
        func(
            format!("i32.{op}"),
            "i32 i32",
            "i32",
            &format!("local.get 0 local.get 1 i32.{op}"),
        );
    }
    for op in I32_UNARY {
        func(
            format!("i32.{op}"),
            "i32",
            "i32",
            &format!("local.get 0 i32.{op}"),
        );
    }
    for op in I64_BINARY {
        func(
            format!("i64.{op}"),
            "i64 i64",
            "i64",
            &format!("local.get 0 local.get 1 i64.{op}"),
        );
    }
    for op in I64_COMPARE {
        func(
            format!("i64.{op}"),
            "i64 i64",
            "i32",
            &format!("local.get 0 local.get 1 i64.{op}"),
        );
    }
    for op in I64_UNARY {
        func(
            format!("i64.{op}"),
            "i64",
            "i64",
            &format!("local.get 0 i64.{op}"),
        );
    }
    func("i64.eqz".into(), "i64", "i32", "local.get 0 i64.eqz");
    func(
        "i32.wrap_i64".into(),
        "i64",
        "i32",
        "local.get 0 i32.wrap_i64",
    );
    func(
        "i64.extend_i32_s".into(),
        "i32",
        "i64",
        "local.get 0 i64.extend_i32_s",
    );
    func(
        "i64.extend_i32_u".into(),
        "i32",
        "i64",
        "local.get 0 i64.extend_i32_u",
    );
    wat.push_str(")\n");
    wat
}

fn pairs<T: Copy>(samples: &[T]) -> Vec<(T, T)> {
    samples
        .iter()
        .flat_map(|a| samples.iter().map(move |b| (*a, *b)))
        .collect()
}

#[test]
fn i32_operators_agree_with_wasmi() {
    let mut diff = Differential::from_wat(&operator_module());
    let mut cases = Vec::new();
    for op in I32_BINARY {
        for (a, b) in pairs(I32_SAMPLES) {
            cases.push((format!("i32.{op}"), vec![i32v(a), i32v(b)]));
        }
    }
    for op in I32_UNARY {
        for a in I32_SAMPLES
            .iter()
            .chain(&[0x80, 0xFF, 0x7FFF, 0x8000, 0xFF00])
        {
            cases.push((format!("i32.{op}"), vec![i32v(*a)]));
        }
    }
    let n = diff.check(&cases);
    assert!(n > 4000, "ran {n} cases");
}

#[test]
fn i64_operators_agree_with_wasmi() {
    let mut diff = Differential::from_wat(&operator_module());
    let mut cases = Vec::new();
    for op in I64_BINARY.iter().chain(I64_COMPARE) {
        for (a, b) in pairs(I64_SAMPLES) {
            cases.push((format!("i64.{op}"), vec![i64v(a), i64v(b)]));
        }
    }
    for op in I64_UNARY.iter().chain(&["eqz"]) {
        for a in I64_SAMPLES
            .iter()
            .chain(&[0x80, 0xFF, 0x8000, 0x8000_0000, 0xFFFF_FFFF_0000])
        {
            cases.push((format!("i64.{op}"), vec![i64v(*a)]));
        }
    }
    for a in I64_SAMPLES {
        cases.push(("i32.wrap_i64".into(), vec![i64v(*a)]));
    }
    for a in I32_SAMPLES {
        cases.push(("i64.extend_i32_s".into(), vec![i32v(*a)]));
        cases.push(("i64.extend_i32_u".into(), vec![i32v(*a)]));
    }
    let n = diff.check(&cases);
    assert!(n > 4000, "ran {n} cases");
}

#[test]
fn specific_edge_cases_agree_with_wasmi() {
    use midenc_tests::{Outcome, TrapKind};
    let mut diff = Differential::from_wat(&operator_module());
    // The cases the foundation issue names explicitly, checked against fixed expectations too.
    let expect = [
        (
            "i32.add",
            vec![i32v(i32::MAX), i32v(1)],
            Outcome::Values(vec![i32v(i32::MIN)]),
        ),
        (
            "i32.div_s",
            vec![i32v(i32::MIN), i32v(-1)],
            Outcome::Trap(TrapKind::IntegerOverflow),
        ),
        (
            "i32.div_s",
            vec![i32v(5), i32v(0)],
            Outcome::Trap(TrapKind::DivideByZero),
        ),
        (
            "i32.rem_u",
            vec![i32v(5), i32v(0)],
            Outcome::Trap(TrapKind::DivideByZero),
        ),
        (
            "i32.rem_s",
            vec![i32v(i32::MIN), i32v(-1)],
            Outcome::Values(vec![i32v(0)]),
        ),
        (
            "i32.shl",
            vec![i32v(1), i32v(33)],
            Outcome::Values(vec![i32v(2)]),
        ),
        (
            "i32.shr_s",
            vec![i32v(-8), i32v(34)],
            Outcome::Values(vec![i32v(-2)]),
        ),
        (
            "i32.lt_s",
            vec![i32v(-1), i32v(1)],
            Outcome::Values(vec![i32v(1)]),
        ),
        (
            "i32.lt_u",
            vec![i32v(-1), i32v(1)],
            Outcome::Values(vec![i32v(0)]),
        ),
        (
            "i64.mul",
            vec![i64v(0x1_0000_0001), i64v(-3)],
            Outcome::Values(vec![i64v(-0x3_0000_0003)]),
        ),
        (
            "i64.div_s",
            vec![i64v(i64::MIN), i64v(-1)],
            Outcome::Trap(TrapKind::IntegerOverflow),
        ),
        (
            "i64.div_u",
            vec![i64v(1), i64v(0)],
            Outcome::Trap(TrapKind::DivideByZero),
        ),
        (
            "i64.shr_s",
            vec![i64v(-0x1_0000_0000), i64v(68)],
            Outcome::Values(vec![i64v(-0x1000_0000)]),
        ),
    ];
    for (func, args, want) in expect {
        assert_eq!(diff.reference(func, &args), want, "wasmi {func}{args:?}");
        assert_eq!(diff.midenc(func, &args), want, "midenc {func}{args:?}");
    }
}

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
    cases.push(("started", vec![]));
    for a in [65_536, 131_068, 131_069, 131_072] {
        cases.push(("grow_then_touch", vec![i32v(a)]));
    }
    let n = diff.check(&cases);
    assert!(n >= 400, "ran {n} cases");
}

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
    // accesses reach (`fill_up` has two loops ending at the same byte).
    let wasm = wat::parse_str(include_str!("../fixtures/core/counted_loops.wat")).unwrap();
    let masm = midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm))
        .unwrap()
        .masm_listing("test");
    let lines: Vec<&str> = masm.lines().map(str::trim).collect();
    let limit = format!(
        "mem_load.{}",
        midenc_frontend_wasm::layout::ACCESS_LIMITS_ADDR
    );
    for (last_byte, loops) in [
        (98_303, 2),
        (65_540, 1),
        (65_546, 1),
        (65_535, 1),
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
    let wasm = wat::parse_str(wat).unwrap();
    let masm = midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm))
        .unwrap()
        .masm_listing("test");
    let lines: Vec<&str> = masm.lines().map(str::trim).collect();
    let combined = |a: &str, b: &str| {
        lines
            .windows(3)
            .filter(|w| w[0] == "dup.1" && w[1] == a && w[2] == b)
            .count()
    };
    // odd_prime and outer_ok (exit tail), count_nonzero (repeat tail).
    assert_eq!(combined("or", "not"), 2, "{masm}");
    assert_eq!(combined("not", "and"), 1, "{masm}");
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
    diff.check(&cases);
    // Carried locals need no slot: a function's frame is its parameters plus what its prologue
    // pushes (`push.N`, `padw`) for the locals that keep one.
    let wasm = wat::parse_str(wat).unwrap();
    let masm = midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm))
        .unwrap()
        .masm_listing("test");
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
    // tee_once, in_order, reversed, across_i64 carry every local; read_twice and pops_below keep
    // their slot. first_divisor keeps d but not the square: `push.3` (d's slot with its first
    // value), then its speculated loop's `push.0 push.1`. next_iteration keeps both (`push.1`
    // opens its loop); same_const keeps its slot and carries the first 7 (`push.0 push.7
    // push.7 swap.2 drop`); crowded keeps 12 slots of 13.
    let expected = [0, 3, 0, 0, 0, 1, 3, 1, 3, 12];
    let found: Vec<usize> = (0..expected.len())
        .map(|f| slots(&format!("wasm_fn{f}")))
        .collect();
    assert_eq!(found, expected, "{masm}");
}

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
        }
        for f in ["parity", "nested_not"] {
            cases.push((f, vec![i32v(a)]));
        }
    }
    for n in [0, 1, 2, 9, 100] {
        cases.push(("even_count", vec![i32v(n)]));
    }
    diff.check(&cases);
    // The comparisons' `or`/`and` are felt instructions; `not_bool` keeps `u32and` twice.
    let wasm = wat::parse_str(wat).unwrap();
    let masm = midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm))
        .unwrap()
        .masm_listing("test");
    let count = |op: &str| masm.lines().filter(|l| l.trim() == op).count();
    assert_eq!(count("or"), 2, "{masm}");
    assert_eq!(count("and"), 1, "{masm}");
    assert_eq!(count("u32or"), 0, "{masm}");
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
    let wasm = wat::parse_str(wat).unwrap();
    let masm = midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm))
        .unwrap()
        .masm_listing("test");
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
    diff.check(&cases);
}
