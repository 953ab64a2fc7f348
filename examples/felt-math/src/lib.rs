//! Example package computing with Miden field elements. The same code runs on the Miden VM
//! (compiled by `midenc build`) and natively in this crate's host tests (`cargo test`).
#![cfg_attr(not(test), no_std)]
extern crate alloc;
extern crate miden_example_runtime;

mod bindings;

use alloc::vec::Vec;
use bindings::{Felt, Guest, Word};

/// The package's implementation of its world.
pub struct FeltMath;

impl Guest for FeltMath {
    fn horner(coeffs: Vec<Felt>, x: Felt) -> Felt {
        coeffs.iter().rev().fold(Felt::ZERO, |acc, c| acc * x + *c)
    }

    fn batch_inverse(xs: Vec<Felt>) -> Vec<Felt> {
        // Montgomery's trick: one inversion and three multiplications per element.
        let mut prefix = Vec::with_capacity(xs.len());
        let mut acc = Felt::ONE;
        for x in &xs {
            prefix.push(acc);
            acc *= *x;
        }
        let mut inv = acc.inv();
        let mut out = prefix;
        for (i, x) in xs.iter().enumerate().rev() {
            out[i] *= inv;
            inv *= *x;
        }
        out
    }

    fn pow(x: Felt, e: u64) -> Felt {
        x.pow(e)
    }

    fn from_u64s(xs: Vec<u64>) -> Vec<Felt> {
        xs.into_iter().map(Felt::from_u64).collect()
    }

    fn hash(xs: Vec<Felt>) -> Word {
        Word::hash_elements(&xs)
    }

    fn merkle_root(leaves: Vec<Word>) -> Word {
        assert!(leaves.len().is_power_of_two(), "leaf count is not a power of two");
        let mut level = leaves;
        while level.len() > 1 {
            level = level.chunks_exact(2).map(|pair| Word::merge(&pair[0], &pair[1])).collect();
        }
        level[0]
    }
}

bindings::export!(FeltMath with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;

    const P: u64 = Felt::MODULUS;

    fn felts(values: &[u64]) -> Vec<Felt> {
        values.iter().map(|v| Felt::new(*v).unwrap()).collect()
    }

    #[test]
    fn horner_evaluates_the_polynomial() {
        // 1 + 2x + 3x² at x = p − 1 = −1: 1 − 2 + 3 = 2.
        assert_eq!(FeltMath::horner(felts(&[1, 2, 3]), Felt::new(P - 1).unwrap()).as_u64(), 2);
        assert_eq!(FeltMath::horner(Vec::new(), Felt::from(7u32)), Felt::ZERO);
    }

    #[test]
    fn batch_inverse_inverts_every_element() {
        let xs = felts(&[1, 2, P - 1, 1 << 32, 1 << 63]);
        let inv = FeltMath::batch_inverse(xs.clone());
        for (x, y) in xs.iter().zip(&inv) {
            assert_eq!(*x * *y, Felt::ONE);
            assert_eq!(*y, x.inv());
        }
    }

    #[test]
    fn pow_and_conversions() {
        let x = Felt::from(3u32);
        assert_eq!(FeltMath::pow(x, 5).as_u64(), 243);
        // x^(p−1) = 1 (Fermat), also for exponents of p and more.
        assert_eq!(FeltMath::pow(x, P - 1), Felt::ONE);
        assert_eq!(FeltMath::pow(x, u64::MAX), x.pow(u64::MAX % (P - 1)));
        assert!(Felt::try_from(P).is_err());
        assert_eq!(Felt::from_u64_reduced(P + 5).as_u64(), 5);
        assert_eq!(FeltMath::from_u64s(vec![0, P - 1]), felts(&[0, P - 1]));
    }

    #[test]
    fn hashes_and_merkle_roots() {
        let leaves: Vec<Word> = (0..4u32).map(|i| Word::from([i, i + 1, i + 2, i + 3])).collect();
        let left = Word::merge(&leaves[0], &leaves[1]);
        let right = Word::merge(&leaves[2], &leaves[3]);
        assert_eq!(FeltMath::merkle_root(leaves), Word::merge(&left, &right));
        assert_ne!(FeltMath::hash(felts(&[1, 2])), FeltMath::hash(felts(&[2, 1])));
    }
}
