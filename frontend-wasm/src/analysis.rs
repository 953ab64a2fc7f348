//! Pass 2 of a function's pipeline: facts about a prepared body, computed before translation
//! and read by it ([`FunctionFacts`]); none of these changes code.
//!
//! - [`call_graph`] (per module): direct calls, recursive cycles, state-changing functions;
//! - [`alignment`]: which memory addresses are multiples of 4, a dataflow fixpoint;
//! - [`liveness`]: live locals at every branch target;
//! - [`counted_loop`]: loops over a constant range and the accesses one check covers;
//! - [`speculated_loop`]: loops whose tail may run speculatively;
//! - [`stack_carried`]: locals written and read back once, carried on the operand stack.

use std::{cell::OnceCell, collections::HashMap};

use midenc_abi::CoreType;
use wasmparser::Operator;

use crate::{
    module_env::ModuleInfo,
    prepare::{
        versioned_loops::{Versioned, WordPreload},
        PreparedBody,
    },
};

pub(crate) mod alignment;
pub(crate) mod call_graph;
pub(crate) mod counted_loop;
pub(crate) mod liveness;
pub(crate) mod speculated_loop;
pub(crate) mod stack_carried;
#[cfg(test)]
pub(crate) mod test_support;

/// What is known about one prepared body before it is translated: computed once and shared
/// by every layout of its locals the search tries.
pub(crate) struct FunctionFacts {
    /// Memory-access operands proven multiples of 4.
    pub(crate) alignment: alignment::AlignmentFacts,
    /// Counted loops by the index of their `loop` operator: the induction local and the range
    /// of values it holds at the top of an iteration.
    counted_loops: HashMap<usize, CountedFact>,
    /// `i32.add`s whose sums are known to stay below 2^32 (addresses of versioned loops).
    nowrap_ops: std::collections::HashSet<usize>,
    /// Byte and half-word accesses whose address operand is known modulo 4 (unrolled
    /// copies of versioned loops).
    residues: HashMap<usize, u32>,
    /// `merge_words` calls whose three addresses are known multiples of 16.
    word_merges: std::collections::HashSet<usize>,
    /// The first operators of 16-byte copies between addresses known multiples of 16.
    word_copies: std::collections::HashSet<usize>,
    /// The word merges and copies, and the 4-byte accesses, whose address operands are element
    /// addresses.
    element_addressed: std::collections::HashSet<usize>,
    /// `local.get`s that read their local plus a number of elements.
    read_offsets: HashMap<usize, u32>,
    /// The locals some unrolled pass holds as element addresses.
    element_pointers: Vec<u32>,
    /// Words read ahead for unrolled copies, by the operator where they are read.
    preloads: HashMap<usize, Vec<WordPreload>>,
    /// Loads served by those words, by the first operator of their address expression.
    takes: HashMap<usize, usize>,
    /// Live locals at branch targets, computed when the translator first asks.
    liveness: OnceCell<liveness::Liveness>,
}

impl FunctionFacts {
    /// The facts of the prepared operators `ops`, whose alignment was analyzed (see
    /// [`body_alignment`]).
    ///
    /// `versioned` adds what versioning proved of the unchecked loop copies
    /// ([`crate::prepare::versioned_loops`]): their counters' ranges, aligned addresses and
    /// sums that never wrap.
    pub(crate) fn new(
        ops: &[Operator<'_>],
        mut alignment: alignment::AlignmentFacts,
        versioned: &Versioned,
    ) -> Self {
        for (&at, &depth) in &versioned.aligned {
            alignment.assume_operand_aligned(at, depth);
        }
        // A loop in counted shape whose induction local holds the same constant on every
        // entry runs over a known range.
        let mut counted_loops: HashMap<usize, CountedFact> = alignment
            .loop_entry_consts
            .iter()
            .filter_map(|(at, consts)| {
                let shape = counted_loop::shape(ops.get(at + 1..)?)?;
                let start = (*consts.get(shape.local as usize)?)?;
                let range = counted_loop::range(shape, start)?;
                Some((
                    *at,
                    CountedFact {
                        local: shape.local,
                        range,
                        exact: true,
                    },
                ))
            })
            .collect();
        for (at, (local, range)) in &versioned.ranges {
            counted_loops.entry(*at).or_insert(CountedFact {
                local: *local,
                range: *range,
                exact: false,
            });
        }
        FunctionFacts {
            alignment,
            counted_loops,
            nowrap_ops: versioned.nowrap_ops.clone(),
            residues: versioned.residues.clone(),
            word_merges: versioned.word_merges.clone(),
            word_copies: versioned.word_copies.clone(),
            element_addressed: versioned.element_addressed.clone(),
            read_offsets: versioned.read_offsets.clone(),
            element_pointers: versioned.element_pointers.clone(),
            preloads: versioned.preloads.clone(),
            takes: versioned.takes.clone(),
            liveness: OnceCell::new(),
        }
    }

    /// Whether the `i32.add` or constant `i32.shl` at operator `at` never wraps, so a felt `add`
    /// or `mul` computes it.
    pub(crate) fn never_wraps(&self, at: usize) -> bool {
        self.nowrap_ops.contains(&at)
    }

    /// The address operand of the byte or half-word access at operator `at` modulo 4, when
    /// it is known: where in its element the access falls, so no table says it at run time.
    pub(crate) fn address_residue(&self, at: usize) -> Option<u32> {
        self.residues.get(&at).copied()
    }

    /// Whether the `merge_words` call at operator `at` has three addresses that are multiples
    /// of 16, so that it moves whole words without testing them.
    pub(crate) fn word_merge(&self, at: usize) -> bool {
        self.word_merges.contains(&at)
    }

    /// Whether the word merge or copy, or the 4-byte access, at operator `at` takes element
    /// addresses (its pointers were divided by 4 for the pass, see
    /// `prepare/versioned_loops/element_pointers.rs`) instead of byte addresses: no `div.4`
    /// before its accesses.
    pub(crate) fn element_addressed(&self, at: usize) -> bool {
        self.element_addressed.contains(&at)
    }

    /// The locals some unrolled pass holds as element addresses: the layout search tries each
    /// on top of the stack, as the passes' merges and copies read them in every copy.
    pub(crate) fn element_pointers(&self) -> impl Iterator<Item = u32> + '_ {
        self.element_pointers.iter().copied()
    }

    /// What the `local.get` at operator `at` adds to its local's value: the steps an unrolled
    /// pass makes once at its end, which the copies before that read (see
    /// `prepare/versioned_loops/element_pointers.rs`).
    pub(crate) fn read_offset(&self, at: usize) -> Option<u32> {
        self.read_offsets.get(&at).copied()
    }

    /// Whether operators `at..at + 8` copy 16 bytes between addresses that are multiples of
    /// 16 (`local.get q  local.get t` and two unchecked `i64` moves): one word load and store.
    pub(crate) fn word_copy(&self, at: usize) -> bool {
        self.word_copies.contains(&at)
    }

    /// The words to read before operator `at`, each for four loads of the copies that follow
    /// ([`crate::prepare::versioned_loops`], word loads).
    pub(crate) fn preloads(&self, at: usize) -> &[WordPreload] {
        self.preloads.get(&at).map_or(&[], Vec::as_slice)
    }

    /// The load whose address expression starts at operator `at`, when a word read ahead
    /// holds its value: the expression and the load are not translated.
    pub(crate) fn take(&self, at: usize) -> Option<usize> {
        self.takes.get(&at).copied()
    }

    /// The induction local and its range at the top of an iteration, when the `loop` at
    /// operator `at` is a counted loop.
    pub(crate) fn counted_loop(&self, at: usize) -> Option<CountedFact> {
        self.counted_loops.get(&at).copied()
    }

    /// Live locals at every branch target of the prepared operators `ops` with `locals`
    /// locals (the same for every call: the body's).
    pub(crate) fn liveness(&self, ops: &[Operator<'_>], locals: usize) -> &liveness::Liveness {
        self.liveness.get_or_init(|| liveness::analyze(ops, locals))
    }
}

/// A loop's induction local and the values it holds at the top of an iteration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CountedFact {
    pub(crate) local: u32,
    pub(crate) range: (u64, u64),
    /// Whether every value of the range is taken, in a loop whose only possible trap is a
    /// memory access ([`counted_loop`]), so that its accesses' checks may move before it. A
    /// versioned loop's range only bounds the values.
    pub(crate) exact: bool,
}

/// The `i32` globals whose initial value is a multiple of 4: the alignment analysis starts by
/// assuming they always hold one (a stack pointer does).
pub(crate) fn initially_aligned_globals(module: &ModuleInfo<'_>) -> Vec<bool> {
    module
        .globals
        .iter()
        .map(|g| {
            g.unsupported.is_none() && matches!(g.init, midenc_abi::CoreValue::I32(v) if v % 4 == 0)
        })
        .collect()
}

/// Runs the alignment analysis on `body`, assuming the globals marked in `aligned_globals`
/// hold multiples of 4.
pub(crate) fn body_alignment(
    module: &ModuleInfo<'_>,
    body: &PreparedBody<'_>,
    aligned_globals: &[bool],
) -> alignment::AlignmentFacts {
    let is_i32: Vec<bool> = body
        .local_types
        .iter()
        .map(|t| *t == CoreType::I32)
        .collect();
    // Reads of what an unrolled pass holds as element addresses, or reads a step ahead.
    let versioned = &body.versioned;
    let opaque_reads = body
        .ops
        .iter()
        .enumerate()
        .filter(|(at, op)| {
            versioned.read_offsets.contains_key(at)
                || matches!(op, Operator::LocalGet { local_index }
                    if versioned.element_pointers.contains(local_index))
        })
        .map(|(at, _)| at)
        .collect();
    alignment::analyze(
        &body.ops,
        &alignment::BodyEnv {
            types: &module.types,
            func_types: &module.func_types,
            aligned_globals,
            is_i32: &is_i32,
            params: body.params,
            opaque_reads: &opaque_reads,
        },
    )
}
