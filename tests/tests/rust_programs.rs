//! Real rustc output: the Rust programs in `tests/fixtures/rust/` (built for wasm32 by
//! `scripts/build-fixtures.sh`, which `scripts/test.sh` runs first), in release and debug
//! profiles, run on wasmi and on the Miden VM with the same inputs.
//!
//! Debug builds run the light inputs (each program's debug test stays within a few seconds of
//! VM time: opt-level 0 code takes 10-40x the cycles); release builds add heavier ones. The
//! full-size benchmark inputs live in the `bench` binary.

use midenc_abi::CoreValue;
use midenc_tests::{fixture_wasm, i32v, i64v, report_cycles, Differential, Outcome};

type Case = (&'static str, Vec<CoreValue>);

/// Runs `cases` on both sides for `program` in `profile`, then checks the known answers
/// (mathematical facts such as the 168 primes below 1000) on the Miden side.
fn check(program: &str, profile: &str, cases: Vec<Case>, known: &[(Case, CoreValue)]) {
    let mut diff =
        Differential::from_wasm(&fixture_wasm(&format!("rust/out/{program}.{profile}.wasm")));
    let n = diff.check(&cases);
    assert!(n > 0);
    report_cycles(&format!("{program}.{profile}"), &diff);
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

fn sort_cases(heavy: bool) -> Vec<Case> {
    let mut sizes = vec![(0, 1), (1, 7), (2, 3), (17, 42)];
    if heavy {
        sizes.push((100, 9));
    }
    let mut cases = Vec::new();
    for (n, seed) in sizes {
        for f in [
            "sort_unstable_checksum",
            "sort_stable_checksum",
            "insertion_sort_checksum",
        ] {
            cases.push((f, vec![u(n), u(seed)]));
        }
        cases.push(("median", vec![u(n), u(seed)]));
    }
    cases
}

fn sha256_cases(heavy: bool) -> Vec<Case> {
    let mut cases = vec![
        ("sha256_prefix", vec![u(0), u(1)]),
        ("sha256_prefix", vec![u(56), u(3)]),
        ("sha256_word", vec![u(3), u(5), u(7)]),
    ];
    if heavy {
        cases.push(("sha256_chain", vec![u(3)]));
        for len in [1, 55, 63, 64, 65, 200] {
            cases.push(("sha256_prefix", vec![u(len), u(len * 3 + 1)]));
        }
        for which in 0..8 {
            cases.push(("sha256_word", vec![u(119), u(5), u(which)]));
        }
    }
    cases
}

fn bignum_cases(heavy: bool) -> Vec<Case> {
    let mut cases = vec![
        ("mulmod_loop", vec![u(0), i64v(5)]),
        ("mulmod_loop", vec![u(50), i64v(0x1234_5678_9abc_def0)]),
        ("mulmod_loop", vec![u(200), i64v(-1)]),
        ("powmod", vec![i64v(-3), i64v(-5), i64v(-59)]),
        ("powmod", vec![i64v(7), i64v(0), i64v(1)]),
        ("powmod", vec![i64v(7), i64v(3), i64v(0)]),
        ("gcd", vec![i64v(0), i64v(0)]),
        ("gcd", vec![i64v(-1), i64v(1 << 40)]),
        ("bigmul", vec![u(1), u(3)]),
        ("bigmul", vec![u(8), u(11)]),
        ("bigfib", vec![u(0)]),
        ("bigfib", vec![u(90)]),
        ("factorial_digit_sum", vec![u(25)]),
        ("u64_mix", vec![i64v(i64::MIN), i64v(-1)]),
        ("u64_mix", vec![i64v(12345), i64v(0)]),
        ("u64_mix", vec![i64v(0x7fff_ffff_ffff), i64v(97)]),
    ];
    if heavy {
        cases.push(("bigmul", vec![u(24), u(12345)]));
        cases.push(("bigfib", vec![u(200)]));
        cases.push(("factorial_digit_sum", vec![u(60)]));
    }
    cases
}

fn primes_cases(heavy: bool) -> Vec<Case> {
    let mut ns = vec![0, 1, 2, 3, 10, 97];
    if heavy {
        ns.push(1000);
    }
    let mut cases = Vec::new();
    for n in ns {
        cases.push(("count_primes", vec![u(n)]));
        cases.push(("sieve_count", vec![u(n)]));
    }
    for k in [0, 1, 2, 10] {
        cases.push(("nth_prime", vec![u(k)]));
    }
    cases
}

fn fmt_cases(heavy: bool) -> Vec<Case> {
    let mut cases = Vec::new();
    for x in [0, -1, 255, i64::MAX, i64::MIN] {
        cases.push(("fmt_int", vec![i64v(x)]));
    }
    for kind in [0, 1, 2, 4] {
        cases.push(("fmt_debug", vec![i32v(-3), i32v(70000), u(kind)]));
    }
    for n in [0, 3, 40] {
        cases.push(("fmt_lines", vec![u(n)]));
    }
    cases.push(("fmt_join", vec![u(0)]));
    cases.push(("fmt_join", vec![u(8)]));
    if heavy {
        cases.push(("fmt_int", vec![i64v(-12345)]));
        cases.push(("fmt_debug", vec![i32v(9), i32v(-2), u(3)]));
        cases.push(("fmt_debug", vec![i32v(9), i32v(-2), u(5)]));
        cases.push(("fmt_lines", vec![u(12)]));
        cases.push(("fmt_join", vec![u(25)]));
    }
    cases
}

fn recursion_cases(heavy: bool) -> Vec<Case> {
    let mut cases = Vec::new();
    for n in [0, 1, 2, 10] {
        cases.push(("fib", vec![u(n)]));
    }
    for (m, n) in [(0, 0), (1, 5), (3, 1)] {
        cases.push(("ackermann", vec![u(m), u(n)]));
    }
    for n in [0, 1, 6] {
        cases.push(("hanoi", vec![u(n)]));
    }
    for n in [0, 1] {
        cases.push(("deep_sum", vec![u(n)]));
    }
    for d in [0, 1, 6] {
        cases.push(("tree_walk", vec![u(d)]));
    }
    if heavy {
        cases.push(("fib", vec![u(20)]));
        cases.push(("hanoi", vec![u(10)]));
        cases.push(("tree_walk", vec![u(9)]));
    }
    cases
}

fn collections_cases(heavy: bool) -> Vec<Case> {
    let mut cases = vec![
        ("btree_histogram", vec![u(0), u(4), u(1)]),
        ("btree_histogram", vec![u(60), u(13), u(7)]),
        ("btree_histogram", vec![u(40), u(0), u(7)]),
        ("btree_range", vec![u(30), u(1000), u(6000)]),
        ("btree_range", vec![u(30), u(5000), u(10)]),
        ("vec_pipeline", vec![u(0), u(3)]),
        ("vec_pipeline", vec![u(25), u(3)]),
        ("deque_josephus", vec![u(0), u(3)]),
        ("deque_josephus", vec![u(41), u(2)]),
        ("deque_josephus", vec![u(30), u(7)]),
    ];
    if heavy {
        cases.push(("btree_histogram", vec![u(300), u(50), u(9)]));
        cases.push(("vec_pipeline", vec![u(200), u(3)]));
    }
    cases
}

fn dyn_dispatch_cases(heavy: bool) -> Vec<Case> {
    let mut cases = vec![
        ("shapes_total", vec![u(0), u(1)]),
        ("shapes_total", vec![u(30), u(77)]),
        ("op_program", vec![u(0), u(5)]),
        ("op_program", vec![u(100), u(5)]),
        ("closure_fold", vec![u(0)]),
        ("closure_fold", vec![u(50)]),
        // An out-of-range table index panics: `unreachable` on both sides.
        ("apply_op", vec![u(7), u(1), u(2)]),
        ("apply_op", vec![u(3), u(10), u(0)]),
    ];
    for op in 0..7 {
        cases.push(("apply_op", vec![u(op), u(0xdead_beef), u(13)]));
    }
    if heavy {
        cases.push(("shapes_total", vec![u(300), u(2)]));
    }
    cases
}

fn memcpy_cases(heavy: bool) -> Vec<Case> {
    let mut cases = vec![
        ("copy_rounds", vec![u(0), u(2), u(1)]),
        ("copy_rounds", vec![u(1), u(3), u(1)]),
        ("copy_rounds", vec![u(300), u(2), u(5)]),
        ("memcpy_words", vec![u(0), u(1)]),
        ("memcpy_words", vec![u(257), u(0xa5a5_5a5a)]),
        ("copy_within_overlap", vec![u(0), u(3)]),
        ("copy_within_overlap", vec![u(333), u(7)]),
        ("fill_reverse", vec![u(0), u(1)]),
        ("fill_reverse", vec![u(301), u(0xab)]),
        ("record_shuffle", vec![u(0)]),
        ("record_shuffle", vec![u(1)]),
        ("record_shuffle", vec![u(9)]),
        ("sum_u32", vec![u(0)]),
        ("sum_u32", vec![u(1)]),
        ("sum_u32", vec![u(7)]),
        ("sum_u32", vec![u(1000)]),
    ];
    if heavy {
        cases.push(("memcpy_16k", vec![u(0)]));
        cases.push(("copy_rounds", vec![u(4096), u(3), u(9)]));
        cases.push(("copy_within_overlap", vec![u(1024), u(511)]));
        cases.push(("record_shuffle", vec![u(40)]));
    }
    cases
}

fn bytes_cases(heavy: bool) -> Vec<Case> {
    let mut cases = vec![("utf8_count_16k", vec![u(0x8000_0000)])];
    if heavy {
        cases.push(("reverse_16k", vec![u(0x1234_5678)]));
        cases.push(("utf8_count_16k", vec![u(3)]));
        cases.push(("utf8_count_16k", vec![u(0x8000_1234)]));
    }
    cases
}

fn programs_cases(heavy: bool) -> Vec<Case> {
    let mut cases = vec![
        ("sort_sum", vec![u(0)]),
        ("sort_sum", vec![u(17)]),
        ("fmt_len", vec![i64v(0)]),
        ("fmt_len", vec![i64v(-12345)]),
        ("fmt_len", vec![i64v(i64::MIN)]),
        ("fmt_len", vec![i64v(i64::MAX)]),
        ("map_count", vec![u(5)]),
        ("map_count", vec![u(30)]),
    ];
    if heavy {
        cases.push(("sort_sum", vec![u(100)]));
        cases.push(("map_count", vec![u(100)]));
    }
    cases
}

fn numerics_cases(heavy: bool) -> Vec<Case> {
    let bits = |x: f64| i64v(x.to_bits() as i64);
    let mut cases = vec![
        ("fmt_f64", vec![bits(0.1), u(3)]),
        ("fmt_f64", vec![bits(-0.0), u(0)]),
        ("fmt_f64", vec![bits(f64::NAN), u(2)]),
        ("parse_f64", vec![i64v(314_159), i32v(-5)]),
        ("mean_variance", vec![u(0), i64v(1)]),
        ("mean_variance", vec![u(10), i64v(3)]),
        ("nbody_energy", vec![u(0)]),
        ("nbody_energy", vec![u(1)]),
    ];
    if heavy {
        for (x, p) in [
            (1e300, 17),
            (5e-324, 4),
            (f64::INFINITY, 1),
            (123.456, 2),
            (-2.5e-7, 9),
            (6.02214076e23, 5),
        ] {
            cases.push(("fmt_f64", vec![bits(x), u(p)]));
        }
        for (m, e) in [(1, 308), (17_976_931_348_623_157, 292), (-5, -324), (7, -3)] {
            cases.push(("parse_f64", vec![i64v(m), i32v(e)]));
        }
        cases.push(("mean_variance", vec![u(200), i64v(9)]));
        cases.push(("nbody_energy", vec![u(20)]));
    }
    cases
}

/// Answers known independently of any compiler.
fn known(program: &str) -> Vec<(Case, CoreValue)> {
    match program {
        "sha256" => vec![(("sha256_selftest", vec![]), u(1))],
        "primes" => vec![
            (("count_primes", vec![u(300)]), u(62)),
            (("sieve_count", vec![u(300)]), u(62)),
            (("nth_prime", vec![u(25)]), u(97)),
        ],
        "recursion" => vec![
            (("fib", vec![u(15)]), u(610)),
            (("ackermann", vec![u(2), u(3)]), u(9)),
            (("ackermann", vec![u(3), u(2)]), u(29)),
            (("deep_sum", vec![u(300)]), i64v(45150)),
        ],
        "bignum" => vec![
            (("gcd", vec![i64v(1071), i64v(462)]), i64v(21)),
            (
                ("powmod", vec![i64v(2), i64v(100), i64v(1_000_000_007)]),
                i64v(976_371_285),
            ),
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
                    super::check(name, "release", super::cases(name, true), &super::known(name));
                }
            )*
        }
        mod debug {
            $(
                #[test]
                fn $program() {
                    let name = stringify!($program);
                    super::check(name, "debug", super::cases(name, false), &super::known(name));
                }
            )*
        }
    };
}

/// The inputs for `program`; `heavy` adds the larger ones (release builds).
fn cases(program: &str, heavy: bool) -> Vec<Case> {
    match program {
        "sort" => sort_cases(heavy),
        "sha256" => sha256_cases(heavy),
        "bignum" => bignum_cases(heavy),
        "primes" => primes_cases(heavy),
        "fmt" => fmt_cases(heavy),
        "recursion" => recursion_cases(heavy),
        "collections" => collections_cases(heavy),
        "dyn_dispatch" => dyn_dispatch_cases(heavy),
        "memcpy" => memcpy_cases(heavy),
        "bytes" => bytes_cases(heavy),
        "programs" => programs_cases(heavy),
        "numerics" => numerics_cases(heavy),
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
    bytes,
    programs,
    numerics,
);

/// Functions with more parameter felts than the operand stack addresses (rustc emits them:
/// `Formatter::debug_struct_field4_finish` has 19) pop their parameters into procedure locals:
/// direct, indirect and recursive calls with 17 to 20 felts of arguments agree with wasmi.
#[test]
fn more_than_sixteen_parameter_felts_agree_with_wasmi() {
    let mut diff = Differential::from_wat(include_str!("../fixtures/core/many_params.wat"));
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    for x in [0, 1, -1, 7, 0x7fff_ffff, i32::MIN] {
        cases.push(("call17", vec![i32v(x)]));
        cases.push(("call17_twice", vec![i32v(x), i32v(x.wrapping_mul(3))]));
        cases.push(("indirect17", vec![i32v(0), i32v(x)]));
        cases.push(("indirect17", vec![i32v(1), i32v(x)]));
        cases.push((
            "mixed",
            vec![i64v(i64::from(x).wrapping_mul(0x1_0000_0007)), i32v(x)],
        ));
    }
    cases.push(("indirect17", vec![i32v(2), i32v(5)]));
    for n in [0, 1, 2, 5, 17] {
        cases.push(("rec", vec![i32v(n), i64v(-3)]));
        cases.push(("rec", vec![i32v(n), i64v(i64::MAX)]));
    }
    let n = diff.check(&cases);
    assert!(n >= 40, "ran {n} cases");
}
