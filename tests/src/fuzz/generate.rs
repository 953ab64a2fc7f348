//! Module generation: wasm-smith configured for what midenc compiles, and the exports a
//! generated module keeps.

use super::*;
/// The wasm-smith configuration for one module.
///
/// Floats (unless `features` has them), SIMD, threads, exceptions, GC, tail calls, memory64, multiple memories or tables and
/// imports are off; multi-value, sign extension and exports are on. `bulk` turns on the bulk
/// memory proposal (`memory.fill`, `memory.copy`); while passive segments and table
/// instructions are not in `features`, a bulk-memory module gets no data or element segments
/// and no table instructions, the only way those would appear. `disallow_traps` makes
/// wasm-smith guard divisions, memory accesses and indirect calls so that code runs deeper
/// instead of trapping early (the termination counter still traps when it runs out).
pub fn smith_config(bulk: bool, disallow_traps: bool, features: Features) -> Config {
    let mut kinds = vec![
        InstructionKind::NumericInt,
        InstructionKind::Parametric,
        InstructionKind::Variable,
        InstructionKind::MemoryInt,
        InstructionKind::Control,
    ];
    if features.table_ops {
        kinds.push(InstructionKind::Table);
        kinds.push(InstructionKind::Reference);
    }
    if features.floats {
        kinds.push(InstructionKind::Numeric);
        kinds.push(InstructionKind::Memory);
    }
    let segments_allowed = !bulk || features.passive_segments;
    Config {
        allow_floats: features.floats,
        allowed_instructions: InstructionKinds::new(&kinds),
        simd_enabled: false,
        relaxed_simd_enabled: false,
        saturating_float_to_int_enabled: features.floats,
        reference_types_enabled: features.table_ops,
        bulk_memory_enabled: bulk,
        multi_value_enabled: true,
        sign_extension_ops_enabled: true,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        tail_call_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        compact_imports_enabled: false,
        max_imports: 0,
        max_memories: 1,
        max_tables: 1,
        max_memory32_bytes: 4 * 65536,
        memory_max_size_required: true,
        max_table_elements: 64,
        table_max_size_required: true,
        min_types: 2,
        max_types: 12,
        min_funcs: 2,
        max_funcs: 8,
        max_globals: 8,
        max_exports: 12,
        export_everything: true,
        max_instructions: 120,
        max_nesting_depth: 6,
        max_data_segments: if segments_allowed { 4 } else { 0 },
        max_element_segments: if segments_allowed { 4 } else { 0 },
        max_elements: 16,
        allow_start_export: true,
        disallow_traps,
        generate_custom_sections: false,
        // Wasm lets an arithmetic NaN carry any payload; canonicalized, a NaN reinterpreted as
        // an integer means the same on every engine.
        canonicalize_nans: features.floats,
        ..Config::default()
    }
}

/// One generated module.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The module binary.
    pub wasm: Vec<u8>,
    /// Whether the bulk memory proposal was on.
    pub bulk: bool,
    /// Whether wasm-smith avoided trapping code.
    pub no_traps: bool,
}

/// Generates the module for `seed`: wasm-smith over seeded random bytes, instrumented so every
/// loop and call chain terminates, with exports midenc cannot pass on the stack removed.
///
/// # Errors
/// When wasm-smith fails (it should not for any byte string).
pub fn generate(seed: u64, options: &FuzzOptions) -> Result<Generated, String> {
    let mut rng = SplitMix64::new(seed);
    let len = 64 + rng.below(6000) as usize;
    let bytes: Vec<u8> = (0..len.div_ceil(8))
        .flat_map(|_| rng.next_u64().to_le_bytes())
        .collect();
    let bulk = rng.below(2) == 0;
    let no_traps = rng.below(2) == 0;
    let config = smith_config(bulk, no_traps, options.features);
    let mut u = Unstructured::new(&bytes);
    let mut module = Module::new(config, &mut u).map_err(|e| format!("wasm-smith: {e}"))?;
    module
        .ensure_termination(options.termination_fuel)
        .map_err(|e| format!("wasm-smith: {e}"))?;
    let wasm = keep_stack_sized_exports(&module.to_bytes())?;
    Ok(Generated {
        wasm,
        bulk,
        no_traps,
    })
}

/// The names of `wasm`'s function exports, in order.
pub(super) fn function_exports(wasm: &[u8]) -> Result<Vec<String>, String> {
    let err = |e: wasmparser::BinaryReaderError| format!("reading the module's exports: {e}");
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ExportSection(reader) = payload.map_err(err)? {
            for export in reader {
                let export = export.map_err(err)?;
                if export.kind == wasmparser::ExternalKind::Func {
                    names.push(export.name.to_string());
                }
            }
        }
    }
    Ok(names)
}

/// Rewrites `wasm` without the function exports whose parameters or results exceed the
/// [`MAX_STACK_FELTS`] a core-module export can pass on the stack (a documented limit, not
/// something to fuzz); every other section is copied unchanged.
fn keep_stack_sized_exports(wasm: &[u8]) -> Result<Vec<u8>, String> {
    use wasmparser::{Parser, Payload};
    let err = |e: wasmparser::BinaryReaderError| format!("re-reading the generated module: {e}");
    let mut func_types: Vec<u32> = Vec::new();
    let mut signatures: Vec<(Vec<CoreType>, Vec<CoreType>)> = Vec::new();
    let mut out = wasm_encoder::Module::new();
    let to_core = |tys: &[wasmparser::ValType]| -> Vec<CoreType> {
        // Non-integer types cannot occur here; count them as wide so the export is dropped.
        tys.iter()
            .map(|t| match t {
                wasmparser::ValType::I32 => CoreType::I32,
                _ => CoreType::I64,
            })
            .collect()
    };
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(err)?;
        match &payload {
            Payload::TypeSection(reader) => {
                for ty in reader.clone().into_iter_err_on_gc_types() {
                    let ty = ty.map_err(err)?;
                    signatures.push((to_core(ty.params()), to_core(ty.results())));
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader.clone() {
                    func_types.push(ty.map_err(err)?);
                }
            }
            _ => {}
        }
        if let Payload::ExportSection(reader) = &payload {
            let mut exports = wasm_encoder::ExportSection::new();
            for export in reader.clone() {
                let export = export.map_err(err)?;
                if export.kind == wasmparser::ExternalKind::Func {
                    let (params, results) = &signatures[func_types[export.index as usize] as usize];
                    if felt_count(params) > MAX_STACK_FELTS || felt_count(results) > MAX_STACK_FELTS
                    {
                        continue;
                    }
                }
                let kind = match export.kind {
                    wasmparser::ExternalKind::Func => wasm_encoder::ExportKind::Func,
                    wasmparser::ExternalKind::Table => wasm_encoder::ExportKind::Table,
                    wasmparser::ExternalKind::Memory => wasm_encoder::ExportKind::Memory,
                    wasmparser::ExternalKind::Global => wasm_encoder::ExportKind::Global,
                    other => return Err(format!("unexpected export kind {other:?}")),
                };
                exports.export(export.name, kind, export.index);
            }
            out.section(&exports);
        } else if let Some((id, range)) = payload.as_section() {
            out.section(&wasm_encoder::RawSection {
                id,
                data: &wasm[range.start as usize..range.end as usize],
            });
        }
    }
    Ok(out.finish())
}
