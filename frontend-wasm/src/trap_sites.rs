//! Where a trap happened, in Wasm terms: which stretches of generated MASM belong to which Wasm
//! function, operator or export wrapper.
//!
//! The translator puts a zero-width site marker ([`crate::masm::Node::Site`]) before the code of
//! every operator that can trap. Markers never reach the MASM text, the peephole optimizer or
//! the cost model: when a straight-line run is printed, the instructions that can fail
//! (`Inst::may_trap`) are matched, in order, between the run before and after optimization, and
//! each printed one is recorded with its line and the operator's byte offset. The linker turns
//! those lines into byte ranges of the final module text (the assembler records every
//! instruction's byte range as its location), so a run can name the operator from the location
//! the VM reports for a failing instruction. See `docs/codegen.md`, "Trap locations".

use wasmparser::Operator;

use crate::masm::Inst;

/// Which part of a component export's wrapper a stretch of code is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrapperPhase {
    /// Receiving and lifting the arguments (canonical-ABI checks), before the call.
    Arguments,
    /// Lowering the result image after the call (reading the callee's memory).
    Result,
}

/// What a stretch of generated code belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapPlace {
    /// Somewhere in the body of Wasm function `func` (the operator is not known).
    Function {
        /// The function index (imports first).
        func: u32,
    },
    /// The code of the operator at byte `offset` of the Wasm module in function `func`.
    Operator {
        /// The function index (imports first).
        func: u32,
        /// Byte offset of the operator in the module binary.
        offset: u64,
    },
    /// A runtime support procedure (`intrinsics.masm`, the canonical-ABI runtime), shared by
    /// all callers.
    Runtime {
        /// The procedure's name.
        procedure: String,
    },
    /// The wrapper of a component export.
    Wrapper {
        /// The export's name.
        export: String,
        /// Which part of the wrapper.
        phase: WrapperPhase,
    },
}

/// Lines `first ..= last` of a module's body (the text before the linker adds its header)
/// belong to `place`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedLines {
    /// Index of the module in [`crate::CompiledModule::modules`].
    pub module: usize,
    /// First line (0-based).
    pub first: usize,
    /// Last line, inclusive.
    pub last: usize,
    /// What the lines belong to.
    pub place: TrapPlace,
}

/// A byte range of a module's final source text and what it belongs to: what the trap table
/// of a package is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedRange {
    /// The module's absolute path (the URI the assembler gives its source).
    pub module: String,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// What the bytes belong to.
    pub place: TrapPlace,
}

/// Whether the operator's code may trap, so that its byte offset is worth recording.
pub(crate) fn may_trap_operator(op: &Operator<'_>) -> bool {
    use Operator::*;
    crate::analysis::counted_loop::is_memory_access(op)
        || matches!(
            op,
            Unreachable
                | CallIndirect { .. }
                | I32DivS
                | I32DivU
                | I32RemS
                | I32RemU
                | I64DivS
                | I64DivU
                | I64RemS
                | I64RemU
                | F32Load { .. }
                | F64Load { .. }
                | F32Store { .. }
                | F64Store { .. }
                | MemoryInit { .. }
                | TableInit { .. }
                | TableCopy { .. }
                | TableGet { .. }
                | TableSet { .. }
                | I32ReinterpretF32
                | I32TruncF32S
                | I32TruncF32U
                | I32TruncF64S
                | I32TruncF64U
                | I64TruncF32S
                | I64TruncF32U
                | I64TruncF64S
                | I64TruncF64U
        )
}

/// The operator site of each trap-capable instruction of `after` (a run as optimized), given
/// the run before optimization and the site each of its instructions was emitted under.
///
/// The trap-capable instructions are matched in order when optimization kept them all;
/// otherwise the `k`-th occurrence of a text is matched with the `k`-th occurrence before,
/// for texts whose count did not change. An instruction matched to nothing gets `None` (its
/// trap then names only the function).
pub(crate) fn attribute(
    before: &[Inst],
    sites: &[Option<u64>],
    after: &[Inst],
) -> Vec<Option<u64>> {
    let marked: Vec<(&Inst, Option<u64>)> = before
        .iter()
        .zip(sites)
        .filter(|(op, _)| op.may_trap())
        .map(|(op, site)| (op, *site))
        .collect();
    let kept: Vec<usize> = (0..after.len()).filter(|i| after[*i].may_trap()).collect();
    let mut out = vec![None; after.len()];
    if kept.len() == marked.len() && kept.iter().zip(&marked).all(|(i, m)| after[*i] == *m.0) {
        for (i, (_, site)) in kept.iter().zip(&marked) {
            out[*i] = *site;
        }
        return out;
    }
    for i in &kept {
        let text = &after[*i];
        let k = kept
            .iter()
            .take_while(|j| *j < i)
            .filter(|j| after[**j] == *text)
            .count();
        let before_count = marked.iter().filter(|m| m.0 == text).count();
        let after_count = kept.iter().filter(|j| after[**j] == *text).count();
        if before_count == after_count {
            out[*i] = marked
                .iter()
                .filter(|m| m.0 == text)
                .nth(k)
                .and_then(|m| m.1);
        }
    }
    out
}

/// The byte offset at which each line of `text` starts.
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(text: &str) -> Vec<Inst> {
        text.split(',').map(Inst::from).collect()
    }

    #[test]
    fn trap_capable_instructions() {
        for op in [
            "assert.err=\"unreachable\"",
            "u32div",
            "mem_load",
            "push.3 dynexec",
            "dup eq.0 assertz.err=\"x\" exec.f",
        ] {
            assert!(Inst::from(op).may_trap(), "{op}");
        }
        for op in [
            "u32div.4",
            "mem_load.1024",
            "exec.f",
            "add",
            "div.4",
            "u32divmod.4",
        ] {
            assert!(!Inst::from(op).may_trap(), "{op}");
        }
    }

    #[test]
    fn kept_instructions_keep_their_sites() {
        let before = ops("push.1,swap,drop,u32div,dup,mem_load");
        let sites = [None, None, None, Some(10), Some(20), Some(20)];
        let after = ops("u32div,dup,mem_load");
        assert_eq!(
            attribute(&before, &sites, &after),
            [Some(10), None, Some(20)]
        );
    }

    #[test]
    fn a_removed_instruction_loses_only_its_own_text() {
        let before = ops("u32div,u32div,mem_load");
        let sites = [Some(1), Some(2), Some(3)];
        // One division disappeared: divisions are ambiguous now, the load is not.
        let after = ops("u32div,mem_load");
        assert_eq!(attribute(&before, &sites, &after), [None, Some(3)]);
    }

    #[test]
    fn lines_start_after_newlines() {
        assert_eq!(line_starts("a\nbc\n"), [0, 2, 5]);
    }
}
