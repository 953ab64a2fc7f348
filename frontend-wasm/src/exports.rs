//! Export wrappers: the public procedures that implement the cross-context calling convention.
//!
//! A wrapper is `call`ed with its arguments on the stack, first argument on top, and must
//! return with its results (first on top) and a stack depth of exactly 16. Each `call` starts
//! with empty memory, so the wrapper first runs the instantiation procedure (globals, memory,
//! data, tables, start function), then the export's *entry*: internally a Wasm function takes
//! its arguments in push order (last on top), so the entry reverses the arguments, `exec`s the
//! function and reverses the results. Finally the wrapper trims the stack. The entry is public
//! too, so a program can instantiate once and run several calls in one instance.

use crate::{
    error::{WasmError, WasmResult},
    layout::{self, MEMORY_PAGES_ADDR},
    masm::MasmWriter,
    module_env::{core_type, DataMode, ElemMode, ModuleInfo},
    stack_ops, CompileOptions, ExportedFunction, FunctionProcs, UnsupportedCode,
};
use midenc_abi::{felt_count, CoreType, MAX_STACK_FELTS};

/// Name of the instantiation procedure; export names are kept clear of it.
pub(crate) const INSTANTIATE_PROC: &str = "midenc_instantiate";

/// What [`emit_export_wrappers`] produced.
pub struct ExportWrappers {
    /// The compiled exports.
    pub exports: Vec<ExportedFunction>,
    /// The `pub proc` that initializes a fresh instance.
    pub instantiate_proc: String,
    /// Exports omitted under [`UnsupportedCode::Trap`], with the reason.
    pub omitted: Vec<(String, String)>,
}

/// The code that creates a fresh instance: globals, root table, element and data segments,
/// start function (stack-neutral).
pub(crate) fn instance_initializers(module: &ModuleInfo<'_>, procs: &FunctionProcs) -> Vec<String> {
    let mut init = global_initializers(module);
    init.extend(procs.root_table_initializers());
    init.extend(element_initializers(module, procs));
    init.extend(memory_initializers(module));
    if let Some(start) = module.start {
        init.push(procs.invoke(None, start));
    }
    init
}

/// Writes the public instantiation procedure ([`crate::CompiledModule::instantiate_proc`]).
pub(crate) fn emit_instantiate_proc(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    out: &mut MasmWriter,
) {
    out.line("# a fresh instance: globals, memory, data, tables, start function");
    out.open(&format!("pub proc {INSTANTIATE_PROC}"));
    let mut init = instance_initializers(module, procs);
    if init.is_empty() {
        init.push("nop".into());
    }
    for op in &init {
        out.line(op);
    }
    out.close();
    out.blank();
}

/// For each exported function, writes an entry procedure (the function against the current
/// instance) and the `call`able wrapper (fresh instance, then the entry), and describes them.
pub fn emit_export_wrappers(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    options: &CompileOptions,
    out: &mut MasmWriter,
) -> WasmResult<ExportWrappers> {
    let mut exports = Vec::new();
    let mut omitted = Vec::new();
    let mut used_names = std::collections::HashSet::from([INSTANTIATE_PROC.to_string()]);
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
        let signature = sig
            .params()
            .iter()
            .chain(sig.results())
            .map(|t| core_type(*t))
            .collect::<Result<Vec<_>, _>>();
        let types = match signature {
            Ok(types) => types,
            Err(what) if options.unsupported == UnsupportedCode::Trap => {
                omitted.push((export.name.clone(), format!("unsupported: {what}")));
                continue;
            }
            Err(what) => return Err(unsupported(what)),
        };
        let (params, results) = types.split_at(sig.params().len());
        let (params, results) = (params.to_vec(), results.to_vec());
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
        let entry_proc = unique_proc_name(&format!("{proc_name}__entry"), &mut used_names);
        let widths = |tys: &[CoreType]| tys.iter().map(|t| t.felts()).collect::<Vec<_>>();
        let reshape_err = || limit(format!("export `{}`: signature too wide", export.name));
        let mut entry = stack_ops::reverse_values(&widths(&params)).ok_or_else(reshape_err)?;
        entry.push(procs.invoke(None, export.func));
        let mut result_widths = widths(&results);
        result_widths.reverse();
        entry.extend(stack_ops::reverse_values(&result_widths).ok_or_else(reshape_err)?);
        if entry.is_empty() {
            entry.push("nop".into());
        }

        let mut wrapper = vec![
            format!("exec.{INSTANTIATE_PROC}"),
            format!("exec.\"{entry_proc}\""),
        ];
        // The VM keeps at least 16 elements on the stack (dropping below 16 shifts zeros in),
        // so only results beyond the arguments need trimming to return with depth 16.
        if r > p {
            wrapper.extend(stack_ops::drop_below(r, r - p).ok_or_else(reshape_err)?);
        }

        out.comment(&format!("export `{}` in the current instance", export.name));
        out.open(&format!("pub proc \"{entry_proc}\""));
        for op in &entry {
            out.line(op);
        }
        out.close();
        out.blank();
        out.comment(&format!("export `{}`", export.name));
        out.open(&format!("pub proc \"{proc_name}\""));
        for op in &wrapper {
            out.line(op);
        }
        out.close();
        out.blank();
        exports.push(ExportedFunction {
            name: export.name.clone(),
            proc_name,
            params,
            results,
            entry_proc,
            writes_state: procs.writes_state(export.func),
            wit: None,
        });
    }
    Ok(ExportWrappers {
        exports,
        instantiate_proc: INSTANTIATE_PROC.to_string(),
        omitted,
    })
}

/// A MASM identifier for an export: the name itself when it is a plain lowercase identifier
/// outside the `wasm_`/`midenc_` namespaces of internal procedures, otherwise a sanitized form
/// with an `x_` prefix, made unique. (Names are printed quoted, so assembler keywords such as
/// `if` are fine.)
pub(crate) fn unique_proc_name(
    export: &str,
    used: &mut std::collections::HashSet<String>,
) -> String {
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
    if !base.starts_with(|c: char| c.is_ascii_lowercase())
        || base.starts_with("wasm_")
        || base.starts_with("midenc_")
    {
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

/// Sets the memory size, writes the active data segments (applied in order, as instantiation
/// does; one outside the initial memory traps, as instantiation would) and stores the passive
/// ones and their lengths for `memory.init`.
fn memory_initializers(module: &ModuleInfo<'_>) -> Vec<String> {
    let mut ops = Vec::new();
    let pages = module.memory.map_or(0, |m| m.initial);
    if pages > 0 {
        ops.push(format!("push.{pages}"));
        ops.push(format!("mem_store.{MEMORY_PAGES_ADDR}"));
        ops.push(format!("push.{}", u64::from(pages) * 65536));
        ops.push(format!("mem_store.{}", layout::MEMORY_BYTES_ADDR));
    }
    if module.memory.is_some() {
        // The power tables of `wasm_load32` / `wasm_store_masked` (little-endian word stores:
        // the top of the stack goes to the lowest address).
        let table = layout::POW_TABLE_ADDR;
        ops.push("push.256.65536.16777216.4294967296".into());
        ops.push(format!("mem_storew_le.{table}"));
        ops.push("dropw".into());
        ops.push("push.16777216.65536.256.1".into());
        ops.push(format!("mem_storew_le.{}", table + 4));
        ops.push("dropw".into());
    }
    let limit = u64::from(pages) * 65536;
    let mut image: std::collections::BTreeMap<u32, u32> = std::collections::BTreeMap::new();
    for (index, segment) in module.data.iter().enumerate() {
        match segment.mode {
            DataMode::Active { offset } => {
                if u64::from(offset) + segment.bytes.len() as u64 > limit {
                    return trap("out of bounds memory access");
                }
                for (i, byte) in segment.bytes.iter().enumerate() {
                    let addr = offset + i as u32;
                    let shift = 8 * (addr % 4);
                    let word = image.entry(addr / 4).or_default();
                    *word = (*word & !(0xFF << shift)) | (u32::from(*byte) << shift);
                }
            }
            DataMode::Passive { addr } => {
                for (i, byte) in segment.bytes.iter().enumerate() {
                    if *byte != 0 {
                        ops.push(format!("push.{byte}"));
                        ops.push(format!("mem_store.{}", addr + i as u32));
                    }
                }
                if !segment.bytes.is_empty() {
                    ops.push(format!("push.{}", segment.bytes.len()));
                    ops.push(format!(
                        "mem_store.{}",
                        layout::DATA_LENGTHS_BASE + index as u32
                    ));
                }
            }
        }
    }
    // Element-aligned groups of four with three or more non-zero elements are written as one
    // word (`push.a.b.c.d mem_storew_le dropw`, ~10 cycles), the rest element by element
    // (`push mem_store`, ~4 cycles each).
    let mut groups: std::collections::BTreeMap<u32, [u32; 4]> = std::collections::BTreeMap::new();
    for (element, value) in image {
        if value != 0 {
            groups.entry(element & !3).or_default()[(element & 3) as usize] = value;
        }
    }
    for (base, word) in groups {
        if word.iter().filter(|v| **v != 0).count() >= 3 {
            // The last element pushed is on top and lands at the lowest address.
            ops.push(format!(
                "push.{}.{}.{}.{}",
                word[3], word[2], word[1], word[0]
            ));
            ops.push(format!("mem_storew_le.{base}"));
            ops.push("dropw".into());
        } else {
            for (i, value) in word.iter().enumerate() {
                if *value != 0 {
                    ops.push(format!("push.{value}"));
                    ops.push(format!("mem_store.{}", base + i as u32));
                }
            }
        }
    }
    ops
}

/// Code that makes instantiation fail with `message`.
fn trap(message: &str) -> Vec<String> {
    vec!["push.0".into(), format!("assert.err=\"{message}\"")]
}

/// Writes the active element segments into their tables (an entry per function: its MAST root
/// and type tag; a segment out of range traps, as instantiation would) and stores the passive
/// segments and their lengths for `table.init`.
fn element_initializers(module: &ModuleInfo<'_>, procs: &FunctionProcs) -> Vec<String> {
    let mut ops = Vec::new();
    let mut tables: Vec<std::collections::BTreeMap<u32, Option<u32>>> =
        vec![Default::default(); module.tables.len()];
    let store_entry = |ops: &mut Vec<String>, addr: u32, func: Option<u32>| {
        if let Some(func) = func {
            let tag = module.canonical_type(module.func_types[func as usize]) + 1;
            ops.push(format!("procref.{}", procs.name(func)));
            ops.push(format!("mem_storew_le.{addr}"));
            ops.push("dropw".into());
            ops.push(format!("push.{tag}"));
            ops.push(format!("mem_store.{}", addr + layout::ENTRY_TAG_OFFSET));
        }
    };
    for (index, segment) in module.elems.iter().enumerate() {
        match segment.mode {
            ElemMode::Active { table, offset } => {
                let size = module.tables[table as usize].size;
                if u64::from(offset) + segment.items.len() as u64 > u64::from(size) {
                    return trap("out of bounds table access");
                }
                for (i, item) in segment.items.iter().enumerate() {
                    tables[table as usize].insert(offset + i as u32, *item);
                }
            }
            ElemMode::Passive { addr } => {
                for (i, item) in segment.items.iter().enumerate() {
                    store_entry(&mut ops, addr + i as u32 * layout::ENTRY_FELTS, *item);
                }
                if !segment.items.is_empty() {
                    ops.push(format!("push.{}", segment.items.len()));
                    ops.push(format!(
                        "mem_store.{}",
                        layout::ELEM_LENGTHS_BASE + index as u32
                    ));
                }
            }
            ElemMode::Declared => {}
        }
    }
    for (table, entries) in module.tables.iter().zip(tables) {
        for (i, func) in entries {
            store_entry(&mut ops, table.base + i * layout::ENTRY_FELTS, func);
        }
    }
    ops
}
