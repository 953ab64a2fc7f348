//! Which `i32` values are known multiples of 4, so that a 4- or 8-byte memory access at such an
//! address can read or write whole elements (`div.4 mem_load`, 3 cycles) instead of the
//! general unaligned sequence (about 20 cycles, with an `if` on stores).
//!
//! Wasm's alignment hint is only a hint, so the knowledge is proven: constants, sums and
//! differences of multiples of 4, products and masks with one, shifts left by 2 or more, and
//! locals. A local counts as aligned when every write to it in the function stores an aligned
//! value, assuming the same of the other aligned locals; the function translator finds the
//! largest such set by translating again without the locals whose writes broke the assumption
//! (see [`crate::func_translator`]). Even a wrong answer could not corrupt memory: `div.4` of
//! an unaligned address is a field element ≥ 2^32, which every memory instruction rejects.

use wasmparser::Operator;

/// Whether the `i32` result of `op` is a multiple of 4, given which of its operands are
/// (`lhs`, `rhs` in Wasm order) and the value of its right operand if that is a constant.
pub fn result_is_multiple_of_4(
    op: &Operator<'_>,
    lhs: bool,
    rhs: bool,
    rhs_const: Option<u64>,
) -> bool {
    match op {
        Operator::I32Add | Operator::I32Sub => lhs && rhs,
        Operator::I32Mul | Operator::I32And => lhs || rhs,
        Operator::I32Shl => lhs || rhs_const.is_some_and(|k| k & 31 >= 2),
        _ => false,
    }
}

/// Whether an access of `size` bytes at an address known aligned (or not) plus the constant
/// `offset` reads whole elements: 4- and 8-byte accesses only.
pub fn whole_elements(address_aligned: bool, offset: u64, size: u32) -> bool {
    address_aligned && offset % 4 == 0 && (size == 4 || size == 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_keeps_what_it_proves() {
        assert!(result_is_multiple_of_4(&Operator::I32Add, true, true, None));
        assert!(!result_is_multiple_of_4(
            &Operator::I32Add,
            true,
            false,
            None
        ));
        assert!(result_is_multiple_of_4(
            &Operator::I32Mul,
            false,
            true,
            Some(4)
        ));
        assert!(result_is_multiple_of_4(
            &Operator::I32And,
            false,
            true,
            Some(0xFFFF_FFFC)
        ));
        assert!(result_is_multiple_of_4(
            &Operator::I32Shl,
            false,
            false,
            Some(2)
        ));
        assert!(!result_is_multiple_of_4(
            &Operator::I32Shl,
            false,
            false,
            Some(1)
        ));
        // A shift by 33 is a shift by 1.
        assert!(!result_is_multiple_of_4(
            &Operator::I32Shl,
            false,
            false,
            Some(33)
        ));
        assert!(!result_is_multiple_of_4(&Operator::I32Or, true, true, None));
    }

    #[test]
    fn only_word_sized_accesses_use_whole_elements() {
        assert!(whole_elements(true, 8, 4));
        assert!(whole_elements(true, 0, 8));
        assert!(!whole_elements(true, 2, 4));
        assert!(!whole_elements(true, 0, 2));
        assert!(!whole_elements(false, 0, 4));
    }
}
