//! Which `i32` values are known multiples of 4, so that a 4- or 8-byte memory access at such an
//! address can read or write whole elements (`div.4 mem_load`, 3 cycles) instead of the
//! general unaligned sequence (about 20 cycles, with an `if` on stores).
//!
//! Wasm's alignment hint is only a hint, so the knowledge is proven: constants, sums and
//! differences of multiples of 4, products and masks with one, shifts left by 2 or more,
//! low-bit tests, and locals. Compilers reuse a local for unrelated values, so a local's
//! alignment is followed along the control flow: a write sets it, a block end keeps what every
//! path reaching it agrees on, and a loop header keeps what its entry and every branch back to
//! it agree on. [`analyze`] finds that as a fixpoint, before translation: each pass
//! ([`flow`]) starts the loop headers from the previous pass's joins, beginning with the state
//! on entry, until no header changes. The translator only reads the result
//! ([`AlignmentFacts`]). Even a wrong answer could not corrupt memory: `div.4` of an unaligned
//! address is a field element ≥ 2^32, which memory instructions reject.

mod flow;
mod ranges;

use std::collections::HashMap;

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
    address_aligned && offset.is_multiple_of(4) && (size == 4 || size == 8)
}

/// Which edge of a `br_if` a test of the low address bits proves aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlignedEdge {
    /// The branch is taken when the low bits are zero (`… i32.and i32.eqz br_if`).
    Taken,
    /// Execution falls through when they are zero (`… i32.and br_if`).
    FallThrough,
}

/// The locals a `br_if` condition proves multiples of 4, and on which edge, from the operators
/// right before the `br_if`: `local.get x  i32.const m  i32.and` or `local.get x  local.get y
/// i32.or  i32.const m  i32.and` with m's low two bits set (`memcpy`'s "both pointers
/// aligned" test), optionally followed by `i32.eqz`.
pub fn aligned_by_test(before: &[Operator<'_>]) -> Option<(Vec<u32>, AlignedEdge)> {
    use Operator::{I32And, I32Const, I32Eqz, I32Or, LocalGet};
    let (before, edge) = match before.split_last() {
        Some((I32Eqz, rest)) => (rest, AlignedEdge::Taken),
        _ => (before, AlignedEdge::FallThrough),
    };
    let low_bits = |m: &i32| m & 3 == 3;
    let locals = match before {
        [.., LocalGet { local_index: x }, LocalGet { local_index: y }, I32Or, I32Const { value }, I32And]
            if low_bits(value) =>
        {
            vec![*x, *y]
        }
        [.., LocalGet { local_index: x }, I32Const { value }, I32And] if low_bits(value) => {
            vec![*x]
        }
        _ => return None,
    };
    Some((locals, edge))
}

/// What the analysis proved about one body.
#[derive(Debug, Default)]
pub struct AlignmentFacts {
    /// Per operator: which of its top 8 operands are multiples of 4 (bit 0: the top).
    operands: Vec<u8>,
    /// Per `local.get` (by operator index): the unsigned range of the value it reads, where
    /// narrower than any u32.
    local_ranges: HashMap<usize, (u32, u32)>,
    /// Per memory access: the unsigned range of its address, where narrower than any u32.
    address_ranges: HashMap<usize, (u32, u32)>,
    /// Globals assumed aligned that the body may set to a value not known to be a multiple of
    /// 4 (the module then drops the assumption and analyzes again).
    pub broken_globals: Vec<u32>,
    /// Per reachable `loop` (by operator index): the constant each local holds on every entry
    /// to it, where one is known (what a counted loop starts from).
    pub loop_entry_consts: HashMap<usize, Vec<Option<u32>>>,
}

impl AlignmentFacts {
    /// Whether operand `depth` (0: the top) of operator `at` is a proven multiple of 4.
    pub fn operand_aligned(&self, at: usize, depth: usize) -> bool {
        depth < 8 && self.operands.get(at).is_some_and(|m| m >> depth & 1 == 1)
    }

    /// The unsigned range of the value `local.get` `at` reads, when the analysis bounded it
    /// (a loop counter tested against a constant).
    pub fn local_range(&self, at: usize) -> Option<(u32, u32)> {
        self.local_ranges.get(&at).copied()
    }

    /// The unsigned range of memory access `at`'s address, when the analysis bounded it.
    pub fn address_range(&self, at: usize) -> Option<(u32, u32)> {
        self.address_ranges.get(&at).copied()
    }

    /// Records that operand `depth` of operator `at` (an address) is a multiple of 4, proven
    /// by other means (a versioned loop's test, [`crate::prepare::versioned_loops`]).
    pub fn assume_operand_aligned(&mut self, at: usize, depth: usize) {
        if self.operands.len() <= at {
            self.operands.resize(at + 1, 0);
        }
        self.operands[at] |= 1 << depth;
    }
}

/// What [`analyze`] needs to know of the module and the body's locals.
pub struct BodyEnv<'a> {
    /// The type section.
    pub types: &'a [wasmparser::FuncType],
    /// The type index of each function.
    pub func_types: &'a [u32],
    /// The `i32` globals assumed to hold only multiples of 4.
    pub aligned_globals: &'a [bool],
    /// Per local (parameters first): whether it is held as an `i32`.
    pub is_i32: &'a [bool],
    /// How many locals are parameters (unknown on entry; declared locals start at zero).
    pub params: usize,
    /// `local.get`s whose value the translator changes (an unrolled pass's element pointers
    /// and the steps it reads ahead, see [`crate::prepare::versioned_loops`]): unknown here.
    pub opaque_reads: &'a std::collections::HashSet<usize>,
}

/// Passes after which loop headers stop assuming anything (a fixpoint is normally reached in
/// two or three: each pass only weakens some header).
const MAX_PASSES: usize = 24;

/// Passes in which a moving range widens to the next bound a test sets; later ones widen it to
/// its extremes, so that many tests cannot keep a fixpoint from being reached.
const THRESHOLD_PASSES: usize = 6;

/// Proves which memory-access operands of the body `ops` are multiples of 4: a forward
/// dataflow fixpoint over the locals' alignment at every loop header.
pub fn analyze(ops: &[Operator<'_>], env: &BodyEnv<'_>) -> AlignmentFacts {
    let entry = (0..env.is_i32.len())
        .map(|l| match (l < env.params, env.is_i32[l]) {
            (false, true) => flow::Val::constant(0),
            _ => flow::Val::UNKNOWN,
        })
        .collect();
    let flow_env = flow::Env {
        types: env.types,
        func_types: env.func_types,
        aligned_globals: env.aligned_globals,
        entry,
        is_i32: env.is_i32,
        opaque_reads: env.opaque_reads,
    };
    let thresholds = ranges::thresholds(ops);
    let mut headers: HashMap<usize, Vec<flow::Val>> = HashMap::new();
    for pass in 0..=MAX_PASSES {
        if pass == MAX_PASSES {
            // Headers that know nothing need no back edge to agree.
            for header in headers.values_mut() {
                header.fill(flow::Val::UNKNOWN);
            }
        }
        let Some(done) =
            flow::Pass::new(&flow_env, &headers, pass == MAX_PASSES, ops.len()).run(ops)
        else {
            break;
        };
        let stable = done.reached.iter().all(|(at, reached)| {
            done.used
                .get(at)
                .is_some_and(|used| ranges::covers(used, reached))
        });
        if pass == MAX_PASSES || stable {
            return AlignmentFacts {
                operands: done.operands,
                local_ranges: done.local_ranges,
                address_ranges: done.address_ranges,
                broken_globals: done.broken_globals,
                loop_entry_consts: done.entry_consts,
            };
        }
        headers = done
            .reached
            .iter()
            .map(|(at, reached)| {
                // Thresholds first; a range still moving after that goes to its extremes.
                let thresholds = match pass < THRESHOLD_PASSES {
                    true => &thresholds[..],
                    false => &[],
                };
                let header = match done.used.get(at) {
                    Some(used) => ranges::widened(used, reached, thresholds),
                    None => reached.clone(),
                };
                (*at, header)
            })
            .collect();
    }
    // An operator whose stack effect is not known: nothing is proven, and every assumed
    // global the body sets counts as broken.
    let mut broken_globals: Vec<u32> = ops
        .iter()
        .filter_map(|op| match op {
            Operator::GlobalSet { global_index }
                if env.aligned_globals.get(*global_index as usize) == Some(&true) =>
            {
                Some(*global_index)
            }
            _ => None,
        })
        .collect();
    broken_globals.sort_unstable();
    broken_globals.dedup();
    AlignmentFacts {
        operands: Vec::new(),
        local_ranges: HashMap::new(),
        address_ranges: HashMap::new(),
        broken_globals,
        loop_entry_consts: HashMap::new(),
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_bit_tests_prove_alignment_on_one_edge() {
        use Operator::*;
        let both = [
            LocalGet { local_index: 1 },
            LocalGet { local_index: 0 },
            I32Or,
            I32Const { value: 3 },
            I32And,
        ];
        assert_eq!(
            aligned_by_test(&both),
            Some((vec![1, 0], AlignedEdge::FallThrough))
        );
        let one = [
            LocalGet { local_index: 2 },
            I32Const { value: 7 },
            I32And,
            I32Eqz,
        ];
        assert_eq!(aligned_by_test(&one), Some((vec![2], AlignedEdge::Taken)));
        // A mask without both low bits, a test negated twice, an operand that is not a local.
        for before in [
            &[LocalGet { local_index: 2 }, I32Const { value: 1 }, I32And][..],
            &[
                LocalGet { local_index: 2 },
                I32Const { value: 3 },
                I32And,
                I32Eqz,
                I32Eqz,
            ],
            &[I32Const { value: 8 }, I32Const { value: 3 }, I32And],
        ] {
            assert_eq!(aligned_by_test(before), None, "{before:?}");
        }
    }

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

    /// The alignment facts of the first body of `wat`, with `aligned_globals`.
    fn facts_of(wat: &str, aligned_globals: &[bool]) -> (Vec<Operator<'static>>, AlignmentFacts) {
        let ops = crate::analysis::test_support::first_body_ops(wat);
        let types = [wasmparser::FuncType::new([wasmparser::ValType::I32], [])];
        let facts = analyze(
            &ops,
            &BodyEnv {
                types: &types,
                func_types: &[0],
                aligned_globals,
                is_i32: &[true, true, true],
                params: 1,
                opaque_reads: &Default::default(),
            },
        );
        (ops, facts)
    }

    /// Per load in the body, whether its address is proven aligned.
    fn loads(wat: &str) -> Vec<bool> {
        let (ops, facts) = facts_of(wat, &[]);
        ops.iter()
            .enumerate()
            .filter(|(_, op)| matches!(op, Operator::I32Load { .. }))
            .map(|(at, _)| facts.operand_aligned(at, 0))
            .collect()
    }

    #[test]
    fn a_loop_header_keeps_what_entry_and_back_edges_agree_on() {
        // $p starts at 0 and steps by 4: aligned in the loop; $q steps by 1: only the first
        // iteration would be, so the header does not know it.
        let body = |step_q: i32| {
            format!(
                "(module (memory 1) (func (param i32) (local $p i32) (local $q i32)
                   (loop $l
                     (drop (i32.load (local.get $p)))
                     (drop (i32.load (local.get $q)))
                     (local.set $p (i32.add (local.get $p) (i32.const 4)))
                     (local.set $q (i32.add (local.get $q) (i32.const {step_q})))
                     (br_if $l (local.get 0)))))"
            )
        };
        assert_eq!(loads(&body(1)), [true, false]);
        assert_eq!(loads(&body(8)), [true, true]);
    }

    #[test]
    fn joins_keep_what_every_path_agrees_on() {
        // The parameter is unknown; declared locals start at zero.
        let wat = "(module (memory 1) (func (param i32) (local $a i32) (local $b i32)
            (if (local.get 0)
              (then (local.set $a (i32.const 3)) (local.set $b (i32.const 8)))
              (else (local.set $b (i32.const 12))))
            (drop (i32.load (local.get $a)))
            (drop (i32.load (local.get $b)))
            (drop (i32.load (local.get 0)))
            (block $out
              (local.set $b (i32.const 1))
              (br_if $out (local.get 0))
              (local.set $b (i32.const 4)))
            (drop (i32.load (local.get $b)))))";
        assert_eq!(loads(wat), [false, true, false, false]);
    }

    #[test]
    fn a_low_bit_test_proves_its_edge() {
        // Falling through `br_if` on `p & 3` proves p aligned; the branch edge does not.
        let wat = "(module (memory 1) (func (param i32)
            (block $unaligned
              (br_if $unaligned (i32.and (local.get 0) (i32.const 3)))
              (drop (i32.load (local.get 0))))
            (drop (i32.load (local.get 0)))))";
        assert_eq!(loads(wat), [true, false]);
    }

    #[test]
    fn a_low_bit_test_proves_one_arm_of_an_if() {
        // `(p & 3) == 0` proves p aligned in the first arm; `p & 3` in the `else` and, without
        // one, after the `if`.
        let wat = "(module (memory 1) (func (param i32)
            (if (i32.eqz (i32.and (local.get 0) (i32.const 3)))
              (then (drop (i32.load (local.get 0))))
              (else (drop (i32.load (local.get 0)))))
            (if (i32.and (local.get 0) (i32.const 3))
              (then (drop (i32.load (local.get 0))))
              (else (drop (i32.load (local.get 0)))))
            (if (i32.and (local.get 0) (i32.const 3))
              (then (return)))
            (drop (i32.load (local.get 0)))))";
        assert_eq!(loads(wat), [true, false, false, true, true]);
    }

    #[test]
    fn a_global_set_to_an_unknown_value_breaks_its_assumption() {
        let wat = "(module (memory 1) (global $sp (mut i32) (i32.const 1024))
            (func (param i32)
              (drop (i32.load (global.get $sp)))
              (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
              (global.set $sp (local.get 0))))";
        let (ops, facts) = facts_of(wat, &[true]);
        let load = ops
            .iter()
            .position(|op| matches!(op, Operator::I32Load { .. }))
            .unwrap();
        assert!(facts.operand_aligned(load, 0));
        assert_eq!(facts.broken_globals, [0]);
        let (_, facts) = facts_of(wat, &[false]);
        assert!(!facts.operand_aligned(load, 0));
        assert!(facts.broken_globals.is_empty());
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

#[cfg(test)]
mod range_tests {
    use super::*;

    /// The facts of the body `ops` (one i32 parameter, i32 locals), reads in `opaque` unknown.
    fn facts_of(ops: &[Operator<'_>], opaque: &std::collections::HashSet<usize>) -> AlignmentFacts {
        let types = [wasmparser::FuncType::new([wasmparser::ValType::I32], [])];
        analyze(
            ops,
            &BodyEnv {
                types: &types,
                func_types: &[0],
                aligned_globals: &[],
                is_i32: &[true; 4],
                params: 1,
                opaque_reads: opaque,
            },
        )
    }

    /// Per byte load of the first body of `wat`: the range the analysis gives its address.
    fn address_ranges(wat: &str) -> Vec<Option<(u32, u32)>> {
        let ops = crate::analysis::test_support::first_body_ops(wat);
        let facts = facts_of(&ops, &Default::default());
        ops.iter()
            .enumerate()
            .filter(|(_, op)| matches!(op, Operator::I32Load8U { .. }))
            .map(|(at, _)| facts.address_range(at))
            .collect()
    }

    #[test]
    fn a_back_edge_test_bounds_the_counter_at_the_header() {
        // i starts at 100 and moves by a data-dependent step; only `i < 200` brings it back.
        let wat = "(module (memory 1) (func (param i32) (local $i i32) (local $b i32)
            (local.set $i (i32.const 100))
            (block $out
              (loop $l
                (local.set $b (i32.load8_u (local.get $i)))
                (br_if $out (local.get $b))
                (drop (i32.load8_u (i32.add (local.get $i) (i32.const 7))))
                (local.set $i (i32.add (local.get $i) (i32.add (local.get $b) (i32.const 1))))
                (br_if $l (i32.lt_u (local.get $i) (i32.const 200)))))
            (drop (i32.load8_u (local.get $i)))))";
        // After the loop: 100..=199 from the early exit, up to 199 + 256 from the loop's end
        // (a `br_if`'s fall-through is not narrowed).
        assert_eq!(
            address_ranges(wat),
            [Some((100, 199)), Some((107, 206)), Some((100, 455))]
        );
        // `i != 200` bounds nothing: the counter could step over it.
        let ne = wat.replace("i32.lt_u (local.get $i)", "i32.ne (local.get $i)");
        assert_eq!(address_ranges(&ne), [None, None, None]);
    }

    #[test]
    fn a_counter_moving_down_keeps_its_entry_as_upper_bound() {
        // i from 500 down by 1..=4 while i >= 300: the access at i - 2 wraps in every case.
        let wat = "(module (memory 1) (func (param i32) (local $i i32) (local $b i32)
            (local.set $i (i32.const 500))
            (loop $l
              (local.set $b (i32.load8_u (i32.add (local.get $i) (i32.const -2))))
              (local.set $i (i32.sub (local.get $i)
                (i32.add (i32.const 1) (i32.and (local.get $b) (i32.const 3)))))
              (br_if $l (i32.ge_u (local.get $i) (i32.const 300))))))";
        assert_eq!(address_ranges(wat), [Some((298, 498))]);
    }

    #[test]
    fn a_read_the_passes_change_keeps_its_alignment_but_not_its_range() {
        // $p is 0 or 16 at the header (a multiple of 4 in 0..=16); the load reads it.
        let wat = "(module (memory 1) (func (param i32) (local $p i32)
            (loop $l
              (drop (i32.load (local.get $p)))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (br_if $l (i32.lt_u (local.get $p) (i32.const 17))))))";
        let ops = crate::analysis::test_support::first_body_ops(wat);
        let read = ops
            .iter()
            .position(|op| matches!(op, Operator::LocalGet { local_index: 1 }))
            .unwrap();
        let load = read + 1;
        let facts = |opaque: &std::collections::HashSet<usize>| facts_of(&ops, opaque);
        let plain = facts(&Default::default());
        assert_eq!(plain.local_range(read), Some((0, 16)));
        assert_eq!(plain.address_range(load), Some((0, 16)));
        let opaque = facts(&[read].into_iter().collect());
        assert_eq!(opaque.local_range(read), None);
        assert_eq!(opaque.address_range(load), None);
        assert!(opaque.operand_aligned(load, 0));
    }

    #[test]
    fn tests_bound_their_edges_and_arms() {
        // j < 64 in the first arm; j >= 64 in the `else`; the `eqz` form bounds the fall-through.
        let wat = "(module (memory 1) (func (param i32)
            (if (i32.lt_u (local.get 0) (i32.const 64))
              (then (drop (i32.load8_u (local.get 0))))
              (else (drop (i32.load8_u (local.get 0)))))
            (block $big
              (br_if $big (i32.eqz (i32.gt_u (i32.const 10) (local.get 0))))
              (drop (i32.load8_u (local.get 0))))
            (if (i32.eq (local.get 0) (i32.const 7))
              (then (drop (i32.load8_u (local.get 0)))))
            (drop (i32.load8_u (local.get 0)))))";
        assert_eq!(
            address_ranges(wat),
            [
                Some((0, 63)),
                Some((64, u32::MAX)),
                // A `br_if`'s fall-through is not narrowed (speculated loops run past it).
                None,
                Some((7, 7)),
                None
            ]
        );
    }
}
