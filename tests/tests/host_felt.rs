//! The host-side felt arithmetic and Poseidon2 that the bindings generator pastes into host
//! bindings (`wit/src/host_felt.rs.in`) compute what miden-core computes: checked against
//! miden-core's `Felt` and `Poseidon2` on deterministic pseudo-random inputs with edge values.

use miden_processor::{crypto::hash::Poseidon2, field::Field, Felt, Word};

// Included at the crate root (not in a module) because its items are private here: the
// generator makes them `pub(crate)` by rewriting the text, which an `include!` cannot do.
include!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wit/src/host_felt.rs.in"
));

const P: u64 = 0xFFFF_FFFF_0000_0001;

/// Edge values: the field's ends, around 2^32 and 2^63, and the halves of p.
const EDGES: [u64; 12] = [
    0,
    1,
    2,
    P - 1,
    P - 2,
    (1 << 32) - 1,
    1 << 32,
    (1 << 32) + 1,
    1 << 63,
    (1 << 63) - 1,
    P / 2,
    P / 2 + 1,
];

/// A deterministic splitmix64 stream of canonical felt values, one in four an edge value.
struct Values(u64);

impl Values {
    fn raw(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn felt(&mut self) -> u64 {
        let r = self.raw();
        if r.is_multiple_of(4) {
            EDGES[(r >> 8) as usize % EDGES.len()]
        } else {
            r % P
        }
    }

    fn felts<const N: usize>(&mut self) -> [u64; N] {
        core::array::from_fn(|_| self.felt())
    }
}

fn felt(v: u64) -> Felt {
    Felt::new(v).expect("test values are canonical")
}

fn value(f: Felt) -> u64 {
    f.as_canonical_u64()
}

fn word(v: [u64; 4]) -> Word {
    Word::new(v.map(felt))
}

fn word_values(w: Word) -> [u64; 4] {
    w.as_elements()
        .iter()
        .map(|f| value(*f))
        .collect::<Vec<_>>()
        .try_into()
        .expect("a word has four elements")
}

/// The operand pairs for the field operations: every pair of edge values, then pseudo-random
/// pairs (one operand in four an edge value). Returns how many.
fn operand_pairs() -> Vec<(u64, u64)> {
    let mut pairs: Vec<(u64, u64)> = EDGES
        .iter()
        .flat_map(|&a| EDGES.iter().map(move |&b| (a, b)))
        .collect();
    let mut values = Values(1);
    pairs.extend((0..5000).map(|_| (values.felt(), values.felt())));
    pairs
}

#[test]
fn field_operations_match_miden_core() {
    let pairs = operand_pairs();
    assert_eq!(pairs.len(), 144 + 5000);
    for &(a, b) in &pairs {
        let (fa, fb) = (felt(a), felt(b));
        assert_eq!(felt_add(a, b), value(fa + fb), "{a} + {b}");
        assert_eq!(felt_sub(a, b), value(fa - fb), "{a} - {b}");
        assert_eq!(felt_mul(a, b), value(fa * fb), "{a} * {b}");
        assert_eq!(felt_neg(a), value(-fa), "-{a}");
        assert_eq!(felt_exp(a, b), value(fa.exp_u64(b)), "{a} ^ {b}");
        match fa.try_inverse() {
            Some(inverse) => assert_eq!(felt_inv(a), value(inverse), "1 / {a}"),
            None => assert_eq!(a, 0, "only 0 has no inverse"),
        }
    }
}

#[test]
fn exp_matches_miden_core_for_any_u64_exponent() {
    // Exponents are not reduced: the whole u64 range, small ones, and p - 1 and more.
    let mut values = Values(2);
    let mut exponents: Vec<u64> = vec![0, 1, 2, 3, 7, P - 2, P - 1, P, u64::MAX];
    exponents.extend((0..500).map(|_| values.raw()));
    exponents.extend((0..500).map(|_| values.raw() % 64));
    for &e in &exponents {
        for base in [0, 1, 2, P - 1, values.felt()] {
            assert_eq!(
                felt_exp(base, e),
                value(felt(base).exp_u64(e)),
                "{base} ^ {e}"
            );
        }
    }
}

#[test]
fn reduction_of_extreme_products() {
    // The products with the largest 64-bit halves, against u128 remainder.
    for &(a, b) in &operand_pairs() {
        let want = (a as u128 * b as u128 % P as u128) as u64;
        assert_eq!(felt_mul(a, b), want, "{a} * {b}");
    }
    assert_eq!(felt_reduce_u128(u128::MAX), (u128::MAX % P as u128) as u64);
    assert_eq!(felt_reduce_u128((P as u128) << 64), 0);
}

/// Plonky3's own test vector for its width-12 Goldilocks Poseidon2, which miden-crypto uses.
#[test]
fn permutation_matches_the_plonky3_test_vector() {
    let mut state: [u64; 12] = core::array::from_fn(|i| i as u64);
    poseidon2_permute(&mut state);
    assert_eq!(
        state,
        [
            0xf292ab67c0f14b03,
            0x0a32f1b37656544c,
            0x053c61ab895498de,
            0x02ff92e55b196ffb,
            0x58176e8f6f58cab2,
            0xb0aa1206e7aec0f8,
            0xe90c13f3dce83ca4,
            0xf4da15333edf39c2,
            0x23b701c053c2ca6c,
            0xd233d593dcdfbf58,
            0x4effa5f9516fb52e,
            0x0aaf4489f1f40166,
        ]
    );
}

#[test]
fn permutation_matches_miden_core() {
    let mut values = Values(3);
    let mut states: Vec<[u64; 12]> = vec![[0; 12], [P - 1; 12], [1 << 32; 12]];
    states.extend((0..97).map(|_| values.felts::<12>()));
    assert_eq!(states.len(), 100);
    for input in states {
        let mut ours = input;
        poseidon2_permute(&mut ours);
        let mut theirs = input.map(felt);
        Poseidon2::apply_permutation(&mut theirs);
        assert_eq!(ours, theirs.map(value), "permutation of {input:?}");
    }
}

#[test]
fn hash_elements_matches_miden_core() {
    let mut values = Values(4);
    let mut cases = 0;
    for len in (0..=20).chain([100]) {
        // Per length: pseudo-random elements, and the all-zero input (which only the length,
        // through the capacity, tells apart).
        for elements in [
            (0..len).map(|_| values.felt()).collect::<Vec<_>>(),
            vec![0; len],
        ] {
            let want =
                Poseidon2::hash_elements(&elements.iter().map(|v| felt(*v)).collect::<Vec<_>>());
            assert_eq!(
                poseidon2_hash_elements(&elements),
                word_values(want),
                "hash of {elements:?}"
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 44);
    assert_eq!(poseidon2_hash_elements(&[]), [0; 4], "the empty input");
}

#[test]
fn merge_matches_miden_core() {
    let mut values = Values(5);
    for _ in 0..100 {
        let (a, b) = (values.felts::<4>(), values.felts::<4>());
        let want = Poseidon2::merge(&[word(a), word(b)]);
        assert_eq!(
            poseidon2_merge(a, b),
            word_values(want),
            "merge {a:?} {b:?}"
        );
        // merge is the hash of the 8 elements in order (8 % 8 = 0 in the capacity).
        let concatenated: Vec<u64> = a.iter().chain(&b).copied().collect();
        assert_eq!(
            poseidon2_merge(a, b),
            poseidon2_hash_elements(&concatenated)
        );
    }
}
