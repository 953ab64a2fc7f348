//! Export wrappers: the public procedures that implement the cross-context calling convention.
//!
//! A wrapper is `call`ed with its arguments on the stack, first argument on top, and must
//! return with its results (first on top) and a stack depth of exactly 16. Internally a Wasm
//! function takes its arguments in push order (last on top), so the wrapper reverses the
//! arguments, `exec`s the function, reverses the results and pads or trims the stack.

use crate::{
    error::{WasmError, WasmResult},
    masm::MasmWriter,
    module_env::{core_type, ModuleInfo, MEMORY_PAGES_ADDR, TABLE_ROOTS_BASE, TABLE_TYPES_BASE},
    stack_ops, ExportedFunction, FunctionProcs,
};
use midenc_abi::{felt_count, CoreType, MAX_STACK_FELTS};

/// Writes one `pub proc` per exported function and describes them.
pub fn emit_export_wrappers(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    out: &mut MasmWriter,
) -> WasmResult<Vec<ExportedFunction>> {
    let mut exports = Vec::new();
    let mut used_names = std::collections::HashSet::new();
    for export in &module.exports {
        let sig = module.func_type(export.func);
        let limit = |message: String| WasmError::ImplLimit {
            message,
            function: module.display_name(export.func),
            offset: 0,
        };
        let unsupported = |feature: String| WasmError::Unsupported {
            feature,
            function: module.display_name(export.func),
            offset: 0,
        };
        let params: Vec<CoreType> = sig
            .params()
            .iter()
            .map(|t| core_type(*t).map_err(&unsupported))
            .collect::<Result<_, _>>()?;
        let results: Vec<CoreType> = sig
            .results()
            .iter()
            .map(|t| core_type(*t).map_err(&unsupported))
            .collect::<Result<_, _>>()?;
        let (p, r) = (felt_count(&params), felt_count(&results));
        if p > MAX_STACK_FELTS || r > MAX_STACK_FELTS {
            return Err(unsupported(format!(
                "export `{}` passes {p} parameter felts and {r} result felts; core-module exports \
                 are limited to {MAX_STACK_FELTS} each (the advice-map spill is part of the \
                 component ABI)",
                export.name
            )));
        }

        let proc_name = unique_proc_name(&export.name, &mut used_names);
        let widths = |tys: &[CoreType]| tys.iter().map(|t| t.felts()).collect::<Vec<_>>();
        let reshape_err = || limit(format!("export `{}`: signature too wide", export.name));
        let mut ops = stack_ops::reverse_values(&widths(&params)).ok_or_else(reshape_err)?;
        ops.extend(global_initializers(module));
        ops.extend(memory_initializers(module));
        ops.extend(procs.root_table_initializers());
        ops.extend(table_initializers(module, procs));
        if let Some(start) = module.start {
            ops.push(procs.invoke(None, start));
        }
        ops.push(procs.invoke(None, export.func));
        let mut result_widths = widths(&results);
        result_widths.reverse();
        ops.extend(stack_ops::reverse_values(&result_widths).ok_or_else(reshape_err)?);
        // The VM keeps at least 16 elements on the stack (dropping below 16 shifts zeros in),
        // so only results beyond the arguments need trimming to return with depth 16.
        if r > p {
            ops.extend(stack_ops::drop_below(r, r - p).ok_or_else(reshape_err)?);
        }

        out.comment(&format!("export `{}`", export.name));
        out.open(&format!("pub proc {proc_name}"));
        for op in &ops {
            out.line(op);
        }
        out.close();
        out.blank();
        exports.push(ExportedFunction {
            name: export.name.clone(),
            proc_name,
            params,
            results,
        });
    }
    Ok(exports)
}

/// A MASM identifier for an export: the name itself when it is a plain identifier, otherwise
/// a sanitized form, made unique.
fn unique_proc_name(export: &str, used: &mut std::collections::HashSet<String>) -> String {
    let mut base: String = export
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // MASM reads a name that starts with `_` as a constant (or, alone, not at all).
    if !base.starts_with(|c: char| c.is_ascii_lowercase()) {
        base.insert_str(0, "x_");
    }
    let mut name = base.clone();
    let mut n = 1;
    while !used.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// Stores the initial value of every global (each `call` starts with zeroed memory, so zero
/// initial values cost nothing).
fn global_initializers(module: &ModuleInfo<'_>) -> Vec<String> {
    let mut ops = Vec::new();
    for global in &module.globals {
        for (limb, felt) in global.init.to_felts().into_iter().enumerate() {
            if felt != 0 {
                ops.push(format!("push.{felt}"));
                ops.push(format!("mem_store.{}", global.addr + limb as u32));
            }
        }
    }
    ops
}

/// Sets the memory size and writes the active data segments (applied in order, as
/// instantiation does); a segment outside the initial memory traps, as instantiation would.
fn memory_initializers(module: &ModuleInfo<'_>) -> Vec<String> {
    let Some(memory) = module.memory else {
        return Vec::new();
    };
    let mut ops = Vec::new();
    if memory.initial > 0 {
        ops.push(format!("push.{}", memory.initial));
        ops.push(format!("mem_store.{MEMORY_PAGES_ADDR}"));
    }
    let limit = u64::from(memory.initial) * 65536;
    let mut image: std::collections::BTreeMap<u32, u32> = std::collections::BTreeMap::new();
    for segment in &module.data {
        if u64::from(segment.offset) + segment.bytes.len() as u64 > limit {
            ops.push("push.0".into());
            ops.push("assert.err=\"out of bounds memory access\"".into());
            return ops;
        }
        for (i, byte) in segment.bytes.iter().enumerate() {
            let addr = segment.offset + i as u32;
            let shift = 8 * (addr % 4);
            let word = image.entry(addr / 4).or_default();
            *word = (*word & !(0xFF << shift)) | (u32::from(*byte) << shift);
        }
    }
    for (element, value) in image {
        if value != 0 {
            ops.push(format!("push.{value}"));
            ops.push(format!("mem_store.{element}"));
        }
    }
    ops
}

/// Stores the MAST root and type tag of every function in the table; an element segment out
/// of range traps, as instantiation would.
fn table_initializers(module: &ModuleInfo<'_>, procs: &FunctionProcs) -> Vec<String> {
    if module.table_init_traps {
        return vec![
            "push.0".into(),
            "assert.err=\"out of bounds table access\"".into(),
        ];
    }
    let mut ops = Vec::new();
    for (i, entry) in module.table.iter().enumerate() {
        if let Some(func) = entry {
            let i = i as u32;
            let tag = module.canonical_type(module.func_types[*func as usize]) + 1;
            ops.push(format!("procref.{}", procs.name(*func)));
            ops.push(format!("mem_storew_le.{}", TABLE_ROOTS_BASE + 4 * i));
            ops.push("dropw".into());
            ops.push(format!("push.{tag}"));
            ops.push(format!("mem_store.{}", TABLE_TYPES_BASE + i));
        }
    }
    ops
}
