//! The hand-written MASM kernels the benchmark compares against compute what the compiled
//! programs compute (checked here against plain Rust over several inputs).

use midenc_tests::bench::run_hand_written;

fn fib(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

fn count_primes(n: u32) -> u64 {
    (1..=n)
        .filter(|&k| k >= 2 && (2..k).take_while(|d| d * d <= k).all(|d| k % d != 0))
        .count() as u64
}

fn memcpy_checksum(seed: u32) -> u64 {
    let src: Vec<u32> = (0..4096u32)
        .map(|i| i.wrapping_mul(0x9E37_79B9) ^ seed)
        .collect();
    let dst = src.clone();
    dst.iter()
        .fold(0u64, |acc, w| acc.rotate_left(5) ^ u64::from(*w))
}

#[test]
fn fib_matches_the_recurrence() {
    for n in [0, 1, 2, 3, 7, 12, 20] {
        let (stack, _) = run_hand_written("fib", n).expect("fib runs");
        assert_eq!(stack[0], fib(n), "fib({n})");
        assert!(
            stack[1..].iter().all(|f| *f == 0),
            "fib({n}) leaves a clean stack"
        );
    }
}

#[test]
fn is_prime_counts_primes() {
    for n in [0, 1, 2, 3, 4, 10, 97, 100, 1000, 2027] {
        let (stack, _) = run_hand_written("is_prime", n).expect("is_prime runs");
        assert_eq!(stack[0], count_primes(n), "count_primes({n})");
        assert!(
            stack[1..].iter().all(|f| *f == 0),
            "count_primes({n}) leaves a clean stack"
        );
    }
}

#[test]
fn is_prime_as_the_wasm_computes_it_counts_primes() {
    for n in [0, 1, 2, 3, 4, 8, 9, 10, 25, 97, 100, 1000, 2027] {
        let (stack, _) = run_hand_written("is_prime_wasm", n).expect("is_prime_wasm runs");
        assert_eq!(stack[0], count_primes(n), "count_primes({n})");
        assert!(
            stack[1..].iter().all(|f| *f == 0),
            "count_primes({n}) leaves a clean stack"
        );
    }
}

#[test]
fn memcpy_checksum_matches() {
    for seed in [0, 1, 0xDEAD_BEEF] {
        let (stack, _) = run_hand_written("memcpy", seed).expect("memcpy runs");
        let want = memcpy_checksum(seed);
        assert_eq!(stack[0] | (stack[1] << 32), want, "memcpy_16k({seed})");
        assert!(stack[0] < 1 << 32 && stack[1] < 1 << 32, "u32 limbs");
    }
}
