//! Pass 1 of a function's pipeline: the body read once, its locals typed, and its Wasm
//! operators rewritten and planned for translation (the same for every layout the search
//! tries).
//!
//! - [`reversed_bytes`]: a loop that reverses bytes in place swaps whole elements, their
//!   bytes reversed, for all but its last iterations;
//! - [`loop_shapes`]: drops zero tests that can never branch and moves a loop's whole-body
//!   block outside it (the shape speculated loops need);
//! - [`rebased_induction`]: keeps a rotated loop's induction local at the offset it is read at;
//! - [`rotating_locals`]: a counted loop that passes values along a chain of locals is
//!   unrolled until the copies can be renamed away;
//! - [`merged_stores`]: four byte stores that fill one 4-byte range become one store;
//! - [`disjoint_ors`]: an `or` of operands that share no bit is an `xor`;
//! - [`aligned_params`]: a function whose word accesses go through pointers it receives runs a
//!   copy of its body that reads whole elements when they are aligned;
//! - [`aligned_loops`]: the same for a loop's stepped pointers;
//! - [`versioned_loops`]: a loop whose bound is fixed on entry tests once whether all its
//!   addresses are in bounds and then runs a copy without bounds checks;
//! - [`shared_bounds`]: one bounds check for the accesses of a straight-line run at one base.

use std::collections::HashMap;

use midenc_abi::CoreType;
use wasmparser::{FunctionBody, Operator};

use crate::{module_env::ModuleInfo, WasmError, WasmResult};

pub(crate) mod aligned_loops;
pub(crate) mod aligned_params;
pub(crate) mod disjoint_ors;
pub(crate) mod float_accesses;
pub(crate) mod loop_shapes;
pub(crate) mod merged_stores;
pub(crate) mod rebased_induction;
pub(crate) mod reversed_bytes;
pub(crate) mod rotating_locals;
pub(crate) mod shared_bounds;
pub(crate) mod versioned_loops;

/// The most locals a function may declare.
const MAX_LOCALS: usize = 50_000;

/// A function body's operators, read once and rewritten for translation (loop shapes,
/// rebased induction locals), with the types of its locals and the bounds checks its accesses
/// share.
pub(crate) struct PreparedBody<'b> {
    pub(crate) ops: Vec<Operator<'b>>,
    /// The byte offset of each operator, for diagnostics.
    pub(crate) offsets: Vec<u64>,
    pub(crate) shared_checks: HashMap<usize, shared_bounds::SharedCheck>,
    /// What versioning the loops proved about their unchecked copies (ranges, aligned
    /// addresses, sums that never wrap); their unchecked accesses are in `shared_checks`.
    pub(crate) versioned: versioned_loops::Versioned,
    /// The type of each local, parameters first.
    pub(crate) local_types: Vec<CoreType>,
    /// The byte offset of the body (its locals), for diagnostics about the whole function.
    pub(crate) start: u64,
    /// How many of the locals are parameters.
    pub(crate) params: usize,
    /// The function's result types.
    pub(crate) results: Vec<CoreType>,
    /// Per local, how much it is used ([`local_heat`]), up to the highest one the body uses.
    pub(crate) heat: Vec<u64>,
}

impl<'b> PreparedBody<'b> {
    /// Reads and prepares the body of function `func`; fails on a type the backend does not
    /// support or on malformed operators.
    pub(crate) fn new(
        module: &ModuleInfo<'_>,
        func: u32,
        body: &FunctionBody<'b>,
    ) -> WasmResult<Self> {
        let offset = body.range().start;
        let unsupported = |feature: String, offset: u64| WasmError::Unsupported {
            feature,
            function: module.display_name(func),
            offset,
        };
        let sig = module.func_type(func);
        let core = |ty, offset| module.core_type(ty).map_err(|w| unsupported(w, offset));
        let mut local_types = Vec::new();
        for p in sig.params() {
            local_types.push(core(*p, offset)?);
        }
        let params = local_types.len();
        let mut reader = body.get_locals_reader()?;
        for _ in 0..reader.get_count() {
            let pos = reader.original_position();
            let (count, ty) = reader.read()?;
            let ty = core(ty, pos)?;
            if local_types.len() + count as usize > MAX_LOCALS {
                return Err(WasmError::ImplLimit {
                    message: format!("more than {MAX_LOCALS} locals"),
                    function: module.display_name(func),
                    offset: pos,
                });
            }
            local_types.extend(std::iter::repeat_n(ty, count as usize));
        }
        let mut results = Vec::new();
        for r in sig.results() {
            results.push(core(*r, offset)?);
        }

        let mut reader = body.get_operators_reader()?;
        let (mut ops, mut offsets) = (Vec::new(), Vec::new());
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset()?;
            ops.push(op);
            offsets.push(offset);
        }
        float_accesses::as_integer_accesses(&mut ops, module.f32_is_felt);
        reversed_bytes::reverse_in_elements(
            &mut ops,
            &mut offsets,
            &|local| local_types.get(local as usize) == Some(&CoreType::I32),
            module.f32_is_felt,
        );
        let heat = local_heat(&ops);
        loop_shapes::normalize_loops(&mut ops, &mut offsets);
        rebased_induction::rebase_loops(
            &mut ops,
            &mut offsets,
            |local| local_types.get(local as usize) == Some(&CoreType::I32),
            local_types.len(),
        );
        rotating_locals::unroll_rotations(&mut ops, &mut offsets, &local_types);
        merged_stores::merge_byte_stores(&mut ops, &mut offsets);
        disjoint_ors::xor_disjoint_ors(&mut ops);
        // Optimistic about the globals (as the module's analysis starts): a loop is versioned
        // only where even that leaves a pointer unproven.
        let aligned_globals = crate::analysis::initially_aligned_globals(module);
        let is_i32: Vec<bool> = local_types.iter().map(|t| *t == CoreType::I32).collect();
        let env = crate::analysis::alignment::BodyEnv {
            types: &module.types,
            func_types: &module.func_types,
            aligned_globals: &aligned_globals,
            is_i32: &is_i32,
            params,
            opaque_reads: &Default::default(),
        };
        let analyze = |ops: &[Operator<'_>]| crate::analysis::alignment::analyze(ops, &env);
        aligned_params::version_on_parameter_alignment(&mut ops, &mut offsets, sig, &analyze);
        aligned_loops::version_on_alignment(&mut ops, &mut offsets, &analyze);
        let callee = |f: u32| match module.felt_intrinsic(f) {
            Some(i) if i.name == "merge_words" => versioned_loops::Callee::MergeWords,
            Some(i) if !i.uses_memory() => versioned_loops::Callee::Arithmetic,
            _ => versioned_loops::Callee::Other,
        };
        let versioned = versioned_loops::version_loops(&mut ops, &mut offsets, &callee);
        let shared_checks = shared_bounds::plan(&ops, &versioned.unchecked);
        Ok(PreparedBody {
            ops,
            offsets,
            shared_checks,
            versioned,
            local_types,
            start: offset,
            params,
            results,
            heat,
        })
    }
}

/// How much each local is used in the body as written: its reads and writes, each weighted
/// by 8 per enclosing loop (up to 5 loops deep), so that a local used in an inner loop
/// outranks one used around it. Indexed by local, up to the highest one the body uses.
fn local_heat(ops: &[Operator<'_>]) -> Vec<u64> {
    let mut heat = Vec::new();
    // Per open construct: whether it is a loop.
    let mut open: Vec<bool> = Vec::new();
    let mut loops = 0u32;
    for op in ops {
        match op {
            Operator::Block { .. } | Operator::If { .. } => open.push(false),
            Operator::Loop { .. } => {
                open.push(true);
                loops += 1;
            }
            Operator::End => loops -= u32::from(open.pop() == Some(true)),
            Operator::LocalGet { local_index }
            | Operator::LocalSet { local_index }
            | Operator::LocalTee { local_index } => {
                let local = *local_index as usize;
                if heat.len() <= local {
                    heat.resize(local + 1, 0);
                }
                heat[local] += 8u64.pow(loops.min(5));
            }
            _ => {}
        }
    }
    heat
}
