//! Real rustc output: the Rust programs in `tests/fixtures/rust/` (built for wasm32 by
//! `scripts/build-fixtures.sh`, which `scripts/test.sh` runs first), in release and debug
//! profiles, run on wasmi and on the Miden VM with the same inputs.
//!
//! Inputs are sized so each debug-build case stays within a few seconds of VM time; the
//! full-size benchmark inputs live in the `bench` binary.

use midenc_abi::CoreValue;
use midenc_tests::{fixture_wasm, i32v, i64v, Differential, Outcome};

type Case = (&'static str, Vec<CoreValue>);

/// Runs `cases` on both sides for `program` in `profile`, then checks the known answers
/// (mathematical facts such as the 168 primes below 1000) on the Miden side.
fn check(program: &str, profile: &str, cases: Vec<Case>, known: &[(Case, CoreValue)]) {
    let mut diff = Differential::from_wasm(&fixture_wasm(&format!("rust/out/{program}.{profile}.wasm")));
    let n = diff.check(&cases);
    assert!(n > 0);
    for ((func, args), want) in known {
        assert_eq!(
            diff.midenc(func, args),
            Outcome::Values(vec![*want]),
            "{program}.{profile}: {func}{args:?}"
        );
    }
}

fn u(v: u32) -> CoreValue {
    i32v(v as i32)
}

fn sort_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (n, seed) in [(0, 1), (1, 7), (2, 3), (17, 42), (100, 9)] {
        for f in ["sort_unstable_checksum", "sort_stable_checksum", "insertion_sort_checksum"] {
            cases.push((f, vec![u(n), u(seed)]));
        }
        cases.push(("median", vec![u(n), u(seed)]));
    }
    cases
}

fn sha256_cases() -> Vec<Case> {
    let mut cases = vec![("sha256_selftest", vec![]), ("sha256_chain", vec![u(3)])];
    for len in [0, 1, 55, 56, 63, 64, 65, 200] {
        cases.push(("sha256_prefix", vec![u(len), u(len * 3 + 1)]));
    }
    for which in 0..8 {
        cases.push(("sha256_word", vec![u(119), u(5), u(which)]));
    }
    cases
}

fn bignum_cases() -> Vec<Case> {
    vec![
        ("mulmod_loop", vec![u(0), i64v(5)]),
        ("mulmod_loop", vec![u(50), i64v(0x1234_5678_9abc_def0)]),
        ("mulmod_loop", vec![u(200), i64v(-1)]),
        ("powmod", vec![i64v(2), i64v(100), i64v(1_000_000_007)]),
        ("powmod", vec![i64v(-3), i64v(-5), i64v(-59)]),
        ("powmod", vec![i64v(7), i64v(0), i64v(1)]),
        ("powmod", vec![i64v(7), i64v(3), i64v(0)]),
        ("gcd", vec![i64v(1071), i64v(462)]),
        ("gcd", vec![i64v(0), i64v(0)]),
        ("gcd", vec![i64v(-1), i64v(1 << 40)]),
        ("bigmul", vec![u(1), u(3)]),
        ("bigmul", vec![u(8), u(11)]),
        ("bigmul", vec![u(24), u(12345)]),
        ("bigfib", vec![u(0)]),
        ("bigfib", vec![u(90)]),
        ("bigfib", vec![u(200)]),
        ("factorial_digit_sum", vec![u(10)]),
        ("factorial_digit_sum", vec![u(40)]),
        ("u64_mix", vec![i64v(i64::MIN), i64v(-1)]),
        ("u64_mix", vec![i64v(12345), i64v(0)]),
        ("u64_mix", vec![i64v(0x7fff_ffff_ffff), i64v(97)]),
    ]
}

fn primes_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for n in [0, 1, 2, 3, 10, 97, 1000] {
        cases.push(("count_primes", vec![u(n)]));
        cases.push(("sieve_count", vec![u(n)]));
    }
    for k in [0, 1, 2, 25, 100] {
        cases.push(("nth_prime", vec![u(k)]));
    }
    cases
}

fn fmt_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for x in [0, 1, -1, 255, -12345, i64::MAX, i64::MIN] {
        cases.push(("fmt_int", vec![i64v(x)]));
    }
    for kind in 0..6 {
        cases.push(("fmt_debug", vec![i32v(-3), i32v(70000), u(kind)]));
    }
    for n in [0, 3, 12, 40] {
        cases.push(("fmt_lines", vec![u(n)]));
    }
    cases.push(("fmt_join", vec![u(0)]));
    cases.push(("fmt_join", vec![u(25)]));
    cases
}

fn recursion_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for n in [0, 1, 2, 10, 15] {
        cases.push(("fib", vec![u(n)]));
    }
    for (m, n) in [(0, 0), (1, 5), (2, 3), (3, 2)] {
        cases.push(("ackermann", vec![u(m), u(n)]));
    }
    for n in [0, 1, 6] {
        cases.push(("hanoi", vec![u(n)]));
    }
    for n in [0, 1, 300] {
        cases.push(("deep_sum", vec![u(n)]));
    }
    for d in [0, 1, 6] {
        cases.push(("tree_walk", vec![u(d)]));
    }
    cases
}

fn collections_cases() -> Vec<Case> {
    vec![
        ("btree_histogram", vec![u(0), u(4), u(1)]),
        ("btree_histogram", vec![u(60), u(13), u(7)]),
        ("btree_histogram", vec![u(40), u(0), u(7)]),
        ("btree_range", vec![u(30), u(1000), u(6000)]),
        ("btree_range", vec![u(30), u(5000), u(10)]),
        ("vec_pipeline", vec![u(0), u(3)]),
        ("vec_pipeline", vec![u(80), u(3)]),
        ("deque_josephus", vec![u(0), u(3)]),
        ("deque_josephus", vec![u(41), u(2)]),
        ("deque_josephus", vec![u(30), u(7)]),
    ]
}

fn dyn_dispatch_cases() -> Vec<Case> {
    let mut cases = vec![
        ("shapes_total", vec![u(0), u(1)]),
        ("shapes_total", vec![u(30), u(77)]),
        ("op_program", vec![u(0), u(5)]),
        ("op_program", vec![u(100), u(5)]),
        ("closure_fold", vec![u(0)]),
        ("closure_fold", vec![u(50)]),
        // An out-of-range table index panics: `unreachable` on both sides.
        ("apply_op", vec![u(7), u(1), u(2)]),
    ];
    for op in 0..7 {
        cases.push(("apply_op", vec![u(op), u(0xdead_beef), u(13)]));
    }
    cases.push(("apply_op", vec![u(3), u(10), u(0)]));
    cases
}

fn memcpy_cases() -> Vec<Case> {
    vec![
        ("copy_rounds", vec![u(0), u(2), u(1)]),
        ("copy_rounds", vec![u(1), u(3), u(1)]),
        ("copy_rounds", vec![u(1000), u(3), u(5)]),
        ("copy_rounds", vec![u(4096), u(1), u(9)]),
        ("memcpy_16k", vec![u(0)]),
        ("memcpy_16k", vec![u(0xa5a5_5a5a)]),
        ("copy_within_overlap", vec![u(0), u(3)]),
        ("copy_within_overlap", vec![u(333), u(7)]),
        ("copy_within_overlap", vec![u(1024), u(511)]),
        ("fill_reverse", vec![u(0), u(1)]),
        ("fill_reverse", vec![u(301), u(0xab)]),
        ("record_shuffle", vec![u(0)]),
        ("record_shuffle", vec![u(1)]),
        ("record_shuffle", vec![u(20)]),
    ]
}

fn programs_cases() -> Vec<Case> {
    vec![
        ("sort_sum", vec![u(0)]),
        ("sort_sum", vec![u(17)]),
        ("sort_sum", vec![u(100)]),
        ("fmt_len", vec![i64v(0)]),
        ("fmt_len", vec![i64v(-12345)]),
        ("fmt_len", vec![i64v(i64::MIN)]),
        ("fmt_len", vec![i64v(i64::MAX)]),
        ("map_count", vec![u(5)]),
        ("map_count", vec![u(100)]),
    ]
}

/// Answers known independently of any compiler.
fn known(program: &str) -> Vec<(Case, CoreValue)> {
    match program {
        "sha256" => vec![(("sha256_selftest", vec![]), u(1))],
        "primes" => vec![
            (("count_primes", vec![u(1000)]), u(168)),
            (("sieve_count", vec![u(1000)]), u(168)),
            (("nth_prime", vec![u(100)]), u(541)),
        ],
        "recursion" => vec![
            (("fib", vec![u(15)]), u(610)),
            (("ackermann", vec![u(2), u(3)]), u(9)),
            (("ackermann", vec![u(3), u(2)]), u(29)),
            (("deep_sum", vec![u(300)]), i64v(45150)),
        ],
        "bignum" => vec![
            (("gcd", vec![i64v(1071), i64v(462)]), i64v(21)),
            (("powmod", vec![i64v(2), i64v(100), i64v(1_000_000_007)]), i64v(976_371_285)),
            (("factorial_digit_sum", vec![u(10)]), u(27)),
        ],
        "dyn_dispatch" => vec![(("apply_op", vec![u(0), u(40), u(2)]), u(42))],
        _ => Vec::new(),
    }
}

macro_rules! program_tests {
    ($($program:ident),* $(,)?) => {
        mod release {
            $(
                #[test]
                fn $program() {
                    let name = stringify!($program);
                    super::check(name, "release", super::cases(name), &super::known(name));
                }
            )*
        }
        mod debug {
            $(
                #[test]
                fn $program() {
                    let name = stringify!($program);
                    super::check(name, "debug", super::cases(name), &super::known(name));
                }
            )*
        }
    };
}

fn cases(program: &str) -> Vec<Case> {
    match program {
        "sort" => sort_cases(),
        "sha256" => sha256_cases(),
        "bignum" => bignum_cases(),
        "primes" => primes_cases(),
        "fmt" => fmt_cases(),
        "recursion" => recursion_cases(),
        "collections" => collections_cases(),
        "dyn_dispatch" => dyn_dispatch_cases(),
        "memcpy" => memcpy_cases(),
        "programs" => programs_cases(),
        other => panic!("no cases for {other}"),
    }
}

program_tests!(
    sort,
    sha256,
    bignum,
    primes,
    fmt,
    recursion,
    collections,
    dyn_dispatch,
    memcpy,
    programs,
);

/// Functions with more parameter felts than the operand stack addresses (rustc emits them:
/// `Formatter::debug_struct_field4_finish` has 19) are rejected with a clean limit diagnostic
/// naming the function, not miscompiled. When midenc learns to spill them, this becomes a
/// differential case.
#[test]
fn more_than_sixteen_parameters_is_a_clean_limit() {
    let wasm = fixture_wasm("core/many_params.wat");
    let wasm = wat::parse_bytes(&wasm).expect("fixture parses").into_owned();
    let err = midenc::compile_wasm(std::path::Path::new("many_params.wat"), &wasm, "many_params")
        .err()
        .expect("17 parameters are beyond the current limit");
    let text = format!("{:?}", miette::Report::new(err));
    assert!(text.contains("implementation limit"), "{text}");
    assert!(text.contains("sum17"), "{text}");
}
