//! The hand-written MASM kernels the benchmark compares against compute what the compiled
//! programs compute (checked here against plain Rust over several inputs, SHA-256 against the
//! `sha2` crate, and the felt kernels against miden-core's field arithmetic and Poseidon2).

use miden_processor::{advice::AdviceInputs, crypto::hash::Poseidon2, Felt, Word};
use midenc_tests::bench::{
    felt_kernel_bench_cycles, felt_kernel_inputs, run_felt_kernel, run_hand_written,
    run_hand_written_with_advice, xorshift_felts, FeltInput, FeltKernel, FELT_KERNELS,
};

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

fn sum_u32(n: u32) -> u64 {
    let words = (0..n.min(16384)).map(|i| i.wrapping_mul(0x9E37_79B9));
    u64::from(words.fold(0u32, u32::wrapping_add))
}

#[test]
fn sum_u32_sums_the_words_it_fills() {
    for n in [0, 1, 3, 4, 5, 1000, 16383, 16384, 20000] {
        let (stack, _) = run_hand_written("sum_u32", &[n]).expect("sum_u32 runs");
        assert_eq!(stack[0], sum_u32(n), "sum_u32({n})");
        assert!(
            stack[1..].iter().all(|f| *f == 0),
            "sum_u32({n}) leaves a clean stack"
        );
    }
}

/// Asserts that a kernel's output stack is the u64 `want` (low limb on top) and nothing else.
fn assert_u64_result(stack: &[u64], want: u64, what: &str) {
    assert_eq!(
        (stack[0], stack[1]),
        (want & 0xFFFF_FFFF, want >> 32),
        "{what}"
    );
    assert!(
        stack[2..].iter().all(|f| *f == 0),
        "{what} leaves a clean stack"
    );
}

/// The first 64 bits of the SHA-256 digest of the fixtures' message: byte i is `i * 31 + seed`.
fn sha256_prefix(len: u32, seed: u32) -> u64 {
    use sha2::Digest;
    let message: Vec<u8> = (0..len)
        .map(|i| i.wrapping_mul(31).wrapping_add(seed) as u8)
        .collect();
    let digest = sha2::Sha256::digest(&message);
    u64::from_be_bytes(digest[..8].try_into().unwrap())
}

#[test]
fn sha256_hashes_the_message_it_writes() {
    // Every length modulo 16 (the tail the kernel clears), one and two padding blocks, and the
    // benchmark's 1 KiB.
    let lens = (0..=40).chain([55, 56, 63, 64, 65, 119, 120, 1000, 1024]);
    for (len, seed) in lens.zip([0, 1, 255, 0xFFFF_FFFF, 12_345].into_iter().cycle()) {
        let (stack, _) = run_hand_written("sha256", &[len, seed]).expect("sha256 runs");
        assert_u64_result(
            &stack,
            sha256_prefix(len, seed),
            &format!("sha256_prefix({len}, {seed})"),
        );
    }
}

/// `reverse_16k(seed)`: the words of `memcpy_checksum`'s buffer with their bytes reversed as
/// one 16 KiB buffer, folded the same way.
fn reverse_checksum(seed: u32) -> u64 {
    let mut bytes: Vec<u8> = (0..4096u32)
        .flat_map(|i| (i.wrapping_mul(0x9E37_79B9) ^ seed).to_le_bytes())
        .collect();
    bytes.reverse();
    bytes.chunks_exact(4).fold(0u64, |acc, w| {
        acc.rotate_left(5) ^ u64::from(u32::from_le_bytes(w.try_into().unwrap()))
    })
}

#[test]
fn reverse_reverses_the_buffer_it_fills() {
    for seed in [0, 1, 0xDEAD_BEEF, u32::MAX] {
        let (stack, _) = run_hand_written("reverse", &[seed]).expect("reverse runs");
        assert_u64_result(
            &stack,
            reverse_checksum(seed),
            &format!("reverse_16k({seed})"),
        );
    }
}

/// `sort_unstable_checksum(n, seed)`: n xorshift32 values, sorted, folded as
/// sum of (i + 1) * v[i] mod 2^64.
fn sort_checksum(n: u32, seed: u32) -> u64 {
    let mut x = seed;
    let mut v: Vec<u32> = (0..n)
        .map(|_| {
            if x == 0 {
                x = 0x9E37_79B9;
            }
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        })
        .collect();
    v.sort_unstable();
    v.iter().enumerate().fold(0u64, |acc, (i, x)| {
        acc.wrapping_add((i as u64 + 1).wrapping_mul(u64::from(*x)))
    })
}

#[test]
fn sort_sorts_the_values_it_generates() {
    for (n, seed) in [
        (0, 1),
        (1, 0),
        (2, 7),
        (3, 0xFFFF_FFFF),
        (257, 5),
        (1000, 1),
        (4096, 9),
    ] {
        let (stack, _) = run_hand_written("sort", &[n, seed]).expect("sort runs");
        assert_u64_result(
            &stack,
            sort_checksum(n, seed),
            &format!("sort({n}, {seed})"),
        );
    }
}

/// `utf8_count_16k(seed)`: the fixtures' 16 KiB of text, its chars or `u32::MAX`.
fn utf8_count(seed: u32) -> u64 {
    const BLOCK: &str = "Grüße, 世界! €5 😀 naïve café — 𝄞 ok.............";
    let mut text: Vec<u8> = Vec::with_capacity(16384);
    for k in 0..256u32 {
        text.extend_from_slice(BLOCK.as_bytes());
        text[64 * k as usize] = b'A' + (k.wrapping_add(seed) % 26) as u8;
    }
    if seed & 0x8000_0000 != 0 {
        text[(seed % 16384) as usize] = 0xFF;
    }
    std::str::from_utf8(&text).map_or(u64::from(u32::MAX), |s| s.chars().count() as u64)
}

#[test]
fn utf8_counts_the_chars_of_the_text_it_writes() {
    // Valid text, and 0xFF at the first byte, inside a 4-byte char (bytes 22..26 of a block)
    // and at the very end.
    for seed in [0, 1, 25, 0x8000_0000, 0x8000_0000 + 23, 0x8000_0000 + 16383] {
        let (stack, _) = run_hand_written("utf8", &[seed]).expect("utf8 runs");
        assert_eq!(stack[0], utf8_count(seed), "utf8_count_16k({seed})");
        assert!(stack[1..].iter().all(|f| *f == 0), "clean stack");
    }
}

#[test]
fn fib_matches_the_recurrence() {
    for n in [0, 1, 2, 3, 7, 12, 20] {
        let (stack, _) = run_hand_written("fib", &[n]).expect("fib runs");
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
        let (stack, _) = run_hand_written("is_prime", &[n]).expect("is_prime runs");
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
        let (stack, _) = run_hand_written("is_prime_wasm", &[n]).expect("is_prime_wasm runs");
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
        let (stack, _) = run_hand_written("memcpy", &[seed]).expect("memcpy runs");
        let want = memcpy_checksum(seed);
        assert_eq!(stack[0] | (stack[1] << 32), want, "memcpy_16k({seed})");
        assert!(stack[0] < 1 << 32 && stack[1] < 1 << 32, "u32 limbs");
    }
}

const P: u64 = 0xFFFF_FFFF_0000_0001;

/// Felts the field arithmetic is most likely to get wrong.
const EDGE_FELTS: [u64; 5] = [0, 1, P - 1, 1 << 32, 1 << 63];

/// The evaluation points of the Horner test.
const X_VALUES: [u64; 6] = [0, 1, P - 1, 1 << 32, 1 << 63, 0x0123_4567_89AB_CDEF];

fn kernel(name: &str) -> &'static FeltKernel {
    FELT_KERNELS
        .iter()
        .find(|k| k.name == name)
        .expect("a felt kernel")
}

fn felt(x: u64) -> Felt {
    Felt::new(x).expect("a canonical felt")
}

/// `count` pseudo-random felts with the edge felts spread among them.
fn test_felts(seed: u64, count: usize) -> Vec<u64> {
    let mut felts = xorshift_felts(seed, count);
    for (i, edge) in EDGE_FELTS.iter().enumerate() {
        if let Some(f) = felts.get_mut(i * 3) {
            *f = *edge;
        }
    }
    felts
}

fn horner(coeffs: &[u64], x: u64) -> u64 {
    coeffs
        .iter()
        .rev()
        .fold(felt(0), |acc, c| acc * felt(x) + felt(*c))
        .as_canonical_u64()
}

#[test]
fn horner_matches_field_arithmetic() {
    let kernel = kernel("horner");
    for n in [0, 1, 2, 7, 8, 9, 1001] {
        // With the edge felts among the coefficients, and without (for n = 1 the former is [0]).
        let lists = [
            test_felts(n as u64 + 1, n),
            xorshift_felts(n as u64 + 50, n),
        ];
        for (coeffs, x) in lists.iter().flat_map(|c| X_VALUES.map(|x| (c, x))) {
            let input = FeltInput {
                list: coeffs.clone(),
                scalars: vec![x],
            };
            let (stack, _) = run_felt_kernel(kernel, &input).expect("horner runs");
            assert_eq!(stack[0], horner(coeffs, x), "n = {n}, x = {x}");
            assert!(
                stack[1..].iter().all(|f| *f == 0),
                "n = {n}, x = {x}: a clean stack"
            );
        }
    }
}

fn merkle_root(leaves: &[u64]) -> [u64; 4] {
    let mut level: Vec<Word> = leaves
        .chunks(4)
        .map(|w| Word::new([0, 1, 2, 3].map(|i| felt(w[i]))))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| Poseidon2::merge(&[pair[0], pair[1]]))
            .collect();
    }
    level[0].into_elements().map(|f| f.as_canonical_u64())
}

#[test]
fn merkle_root_matches_poseidon2_merge() {
    let kernel = kernel("merkle_root");
    for n in [1, 2, 4, 8, 1024] {
        let input = FeltInput {
            list: test_felts(n as u64 + 100, 4 * n),
            scalars: Vec::new(),
        };
        let (stack, _) = run_felt_kernel(kernel, &input).expect("merkle_root runs");
        assert_eq!(stack[..4], merkle_root(&input.list), "n = {n}");
        assert!(stack[4..].iter().all(|f| *f == 0), "n = {n}: a clean stack");
    }
}

#[test]
fn merkle_root_rejects_a_count_that_is_not_a_power_of_two() {
    let kernel = kernel("merkle_root");
    for n in [0, 3, 6] {
        let input = FeltInput {
            list: test_felts(7, 4 * n),
            scalars: Vec::new(),
        };
        let err = run_felt_kernel(kernel, &input).expect_err(&format!("n = {n} accepted"));
        // n = 0: `n - 1` is not a u32, which the VM itself refuses in the power-of-two test.
        let reason = if n == 0 {
            "operation expected u32 values"
        } else {
            "n must be a power of two"
        };
        assert!(format!("{err:?}").contains(reason), "n = {n}: {err:?}");
    }
}

/// Each kernel's inputs with one advice felt changed: the re-hash no longer matches KEY.
#[test]
fn felt_kernels_reject_tampered_advice() {
    for kernel in &FELT_KERNELS {
        let input = FeltInput {
            list: test_felts(3, 16),
            scalars: if kernel.name == "horner" {
                vec![5]
            } else {
                Vec::new()
            },
        };
        let (stack, advice) = felt_kernel_inputs(kernel, &input);
        run_hand_written_with_advice(kernel.name, &stack, advice.clone())
            .unwrap_or_else(|e| panic!("{}: untampered advice is accepted: {e}", kernel.name));
        for index in [0, 5, 15] {
            let mut tampered = AdviceInputs::default();
            for (key, values) in advice.map.iter() {
                let mut values = values.to_vec();
                values[index] += felt(1);
                tampered.map.insert(*key, values);
            }
            let err = run_hand_written_with_advice(kernel.name, &stack, tampered)
                .expect_err("tampered advice is rejected");
            // Only the advice differs from the accepted run: the failing assertion is the
            // commitment check of the pipe helper.
            assert!(
                err.to_string().contains("assertion failed"),
                "{} fails on the commitment, not elsewhere: {err}",
                kernel.name
            );
        }
    }
}

/// The commitment the kernels check (what `pipe_preimage_to_memory` and `hash_words` compute
/// over whole words) is miden-core's `Poseidon2::hash_elements`, for odd and even word counts.
#[test]
fn hash_words_is_hash_elements() {
    for words in 1..=4usize {
        let felts = test_felts(words as u64, 4 * words);
        let mut source = String::from("begin\n");
        for (i, f) in felts.iter().enumerate() {
            source.push_str(&format!("    push.{f} mem_store.{i}\n"));
        }
        source.push_str(&format!(
            "    push.{} push.0 exec.::miden::core::crypto::hashes::poseidon2::hash_words\n    \
             swapw dropw\nend\n",
            felts.len()
        ));
        let run = midenc_tests::runs::run_masm_program(&source, &[]).expect("hash_words runs");
        let want = Poseidon2::hash_elements(&felts.iter().map(|f| felt(*f)).collect::<Vec<_>>());
        assert_eq!(
            run.stack[..4],
            midenc::vm::word_to_stack(want),
            "{words} words"
        );
    }
}

/// The benchmark inputs run and their cycle counts stay in the expected range.
#[test]
fn felt_kernels_run_on_their_bench_inputs() {
    for kernel in &FELT_KERNELS {
        let input = (kernel.bench_input)();
        let cycles = felt_kernel_bench_cycles(kernel).expect("bench input runs");
        println!("{}: {cycles} cycles", kernel.name);
        let (stack, _) = run_felt_kernel(kernel, &input).expect("bench input runs");
        match kernel.name {
            "horner" => {
                assert_eq!(input.list.len(), 1001);
                assert!(input.scalars[0] >= 1 << 32);
                assert_eq!(stack[0], horner(&input.list, input.scalars[0]));
            }
            _ => {
                assert_eq!(input.list.len(), 4 * 1024);
                assert_eq!(stack[..4], merkle_root(&input.list));
            }
        }
        assert!(
            cycles > 1000 && cycles < 100_000,
            "{}: {cycles}",
            kernel.name
        );
    }
}
