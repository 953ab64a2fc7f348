//! Real clang output: the freestanding C programs in `tests/fixtures/c/` (built by
//! `scripts/build-fixtures.sh` with clang-19 and wasm-ld at -O2 and -O0), run on wasmi and on
//! the Miden VM with the same inputs. -O0 builds run the light inputs, -O2 builds add heavier ones.

use midenc_abi::CoreValue;
use midenc_tests::{fixture_wasm, i32v, i64v, report_cycles, Differential, Outcome};

type Case = (&'static str, Vec<CoreValue>);

fn u(v: u32) -> CoreValue {
    i32v(v as i32)
}

/// Runs `cases` on both sides, then checks answers known independently of any compiler.
fn check(program: &str, opt: &str, cases: Vec<Case>, known: &[(Case, CoreValue)]) {
    let mut diff = Differential::from_wasm(&fixture_wasm(&format!("c/out/{program}.{opt}.wasm")));
    assert!(diff.check(&cases) > 0);
    report_cycles(&format!("{program}.{opt}"), &diff);
    for ((func, args), want) in known {
        assert_eq!(
            diff.midenc(func, args),
            Outcome::Values(vec![*want]),
            "{program}.{opt}: {func}{args:?}"
        );
    }
}

/// The inputs for `program`; `heavy` adds the larger ones (-O2 builds).
fn cases(program: &str, heavy: bool) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    match program {
        "fib" => {
            for n in [0, 1, 2, 12] {
                cases.push(("fib", vec![u(n)]));
            }
            if heavy {
                cases.push(("fib", vec![u(20)]));
            }
            for (m, n) in [(0, 4), (1, 3), (2, 3), (3, 3)] {
                cases.push(("ackermann", vec![u(m), u(n)]));
            }
            for n in [0, 1, 7, 200] {
                cases.push(("parity", vec![u(n)]));
            }
        }
        "primes" => {
            let mut ns = vec![0, 1, 2, 3, 10, 97];
            if heavy {
                ns.push(2000);
            }
            for n in ns {
                cases.push(("count_primes", vec![u(n)]));
                cases.push(("sieve_count", vec![u(n)]));
            }
        }
        "sha256" => {
            let mut lens = vec![0, 3, 56, 119];
            if heavy {
                lens.extend([55, 64, 300]);
            }
            for len in lens {
                cases.push(("sha256_prefix", vec![u(len), u(len + 11)]));
            }
            let words = if heavy { 0..8 } else { 0..2 };
            for which in words {
                cases.push(("sha256_word", vec![u(64), u(9), u(which * 7)]));
            }
        }
        "sort" => {
            let mut sizes = vec![(0, 1), (1, 5), (2, 9), (33, 4)];
            if heavy {
                sizes.push((150, 77));
            }
            for (n, seed) in sizes {
                cases.push(("quicksort_checksum", vec![u(n), u(seed)]));
                cases.push(("insertion_checksum", vec![u(n), u(seed)]));
                cases.push(("generic_sort_checksum", vec![u(n), u(seed), u(0)]));
                cases.push(("generic_sort_checksum", vec![u(n), u(seed), u(1)]));
            }
        }
        "bigmath" => {
            for (iters, seed) in [(0, 3), (10, -1), (300, 0x1234_5678_9abc_def0)] {
                cases.push(("mulmod_loop", vec![u(iters), i64v(seed)]));
            }
            for (a, b) in [(1071, 462), (0, 0), (-1, 1 << 40), (i64::MAX, 6)] {
                cases.push(("gcd", vec![i64v(a), i64v(b)]));
            }
            for (a, b) in [
                (7, 2),
                (-7, 2),
                (i64::MIN, -1),
                (i64::MIN, 3),
                (5, 0),
                (-1, -1),
            ] {
                cases.push(("divmix", vec![i64v(a), i64v(b)]));
            }
            for (limbs, seed) in [(0, 1), (1, 2), (9, 3), (30, 4)] {
                cases.push(("bigmul", vec![u(limbs), u(seed)]));
            }
        }
        "memcpy" => {
            cases.push(("memcpy_16k", vec![u(0xdead_beef)]));
            for n in [0, 1, 7, 1000, 20_000] {
                cases.push(("sum_u32", vec![u(n)]));
            }
            if heavy {
                cases.push(("memcpy_16k", vec![u(0)]));
            }
            for (len, s, d) in [(0, 0, 0), (1, 1, 0), (13, 3, 1), (100, 4, 8), (257, 7, 2)] {
                cases.push(("copy_unaligned", vec![u(len), u(s), u(d)]));
            }
            for (len, shift) in [(0, 5), (1, 0), (64, 9), (300, 101)] {
                cases.push(("move_overlap", vec![u(len), u(shift)]));
            }
        }
        "bytes" => {
            if heavy {
                cases.push(("reverse_16k", vec![u(0x1234_5678)]));
                cases.push(("utf8_count_16k", vec![u(3)]));
                cases.push(("utf8_count_16k", vec![u(0x8000_1234)]));
            }
            cases.push(("utf8_count_16k", vec![u(0x8000_0000)]));
        }
        "floats" => {
            for (n, sweeps) in [(3, 1), (5, 3)] {
                cases.push(("relax", vec![u(n), u(sweeps)]));
            }
            for (n, seed) in [(0, 1), (1, 5), (17, 3)] {
                cases.push(("stats", vec![u(n), u(seed)]));
            }
            for (x, iters) in [(0, 3), (2, 6), (12345, 8)] {
                cases.push(("newton_sqrt", vec![u(x), u(iters)]));
            }
            // The last two truncate a double beyond i64 (UB in C; in Wasm a trap both sides
            // must name alike).
            for (a, scale) in [
                (0, 1),
                (-123_456_789, 7),
                (99, 2),
                (i64::MAX, 0),
                (i64::MIN, 0),
            ] {
                cases.push(("convert", vec![i64v(a), u(scale)]));
            }
            if heavy {
                cases.push(("relax", vec![u(8), u(6)]));
                cases.push(("stats", vec![u(100), u(9)]));
                cases.push(("newton_sqrt", vec![u(u32::MAX), u(12)]));
            }
        }
        other => panic!("no cases for {other}"),
    }
    cases
}

fn known(program: &str) -> Vec<(Case, CoreValue)> {
    match program {
        "fib" => vec![
            (("fib", vec![u(18)]), u(2584)),
            (("ackermann", vec![u(3), u(3)]), u(61)),
            (("parity", vec![u(7)]), i32v(0)),
        ],
        "primes" => vec![
            (("count_primes", vec![u(300)]), u(62)),
            (("sieve_count", vec![u(300)]), u(62)),
        ],
        "bigmath" => vec![(("gcd", vec![i64v(1071), i64v(462)]), i64v(21))],
        _ => Vec::new(),
    }
}

macro_rules! program_tests {
    ($($program:ident),* $(,)?) => {
        mod o2 {
            $(
                #[test]
                fn $program() {
                    let name = stringify!($program);
                    super::check(name, "O2", super::cases(name, true), &super::known(name));
                }
            )*
        }
        mod o0 {
            $(
                #[test]
                fn $program() {
                    let name = stringify!($program);
                    super::check(name, "O0", super::cases(name, false), &super::known(name));
                }
            )*
        }
    };
}

program_tests!(fib, primes, sha256, sort, bigmath, memcpy, bytes, floats);
