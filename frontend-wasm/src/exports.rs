//! Export wrappers: the public procedures that implement the cross-context calling convention.
//!
//! A wrapper is `call`ed with its arguments on the stack, first argument on top, and must
//! return with its results (first on top) and a stack depth of exactly 16. Each `call` starts
//! with empty memory, so the wrapper first runs the instantiation procedure (globals, memory,
//! data, tables, start function), then the export's *entry*: internally a Wasm function takes
//! its arguments in push order (last on top), so the entry reverses the arguments, `exec`s the
//! function and reverses the results. Finally the wrapper trims the stack. The entry is public
//! too, so a program can instantiate once and run several calls in one instance.

use std::collections::BTreeMap;

use crate::{
    error::{WasmError, WasmResult},
    layout::{self, MEMORY_PAGES_ADDR},
    masm::{stack_ops, MasmWriter},
    module_env::{DataMode, ElemMode, ModuleInfo},
    CompileOptions, ExportedFunction, FunctionProcs, UnsupportedCode,
};
use midenc_abi::{felt_count, CoreType, MAX_STACK_FELTS};

/// Name of the instantiation procedure; export names are kept clear of it.
pub(crate) const INSTANTIATE_PROC: &str = "midenc_instantiate";

/// The instantiation without the data segments, for exports that cannot read linear memory:
/// memory starts zeroed, and nothing they run could tell the difference.
pub(crate) const INSTANTIATE_WITHOUT_DATA_PROC: &str = "midenc_instantiate_without_data";

/// The instantiation procedure an export running `funcs` (and whatever its wrapper does with
/// memory, `wrapper_reads`) needs: the one without data segments when neither they, the start
/// function nor the wrapper can read linear memory and the module has data to skip.
pub(crate) fn instantiation_for(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    funcs: &[u32],
    wrapper_reads: bool,
) -> &'static str {
    let has_data = module.data.iter().any(|d| !d.bytes.is_empty());
    let reads = wrapper_reads
        || funcs
            .iter()
            .chain(&module.start)
            .any(|f| procs.reads_memory(*f));
    if has_data && !reads {
        INSTANTIATE_WITHOUT_DATA_PROC
    } else {
        INSTANTIATE_PROC
    }
}

/// What [`emit_export_wrappers`] produced.
pub struct ExportWrappers {
    /// The compiled exports.
    pub exports: Vec<ExportedFunction>,
    /// The `pub proc` that initializes a fresh instance.
    pub instantiate_proc: String,
    /// Exports omitted under [`UnsupportedCode::Trap`], with the reason.
    pub omitted: Vec<(String, String)>,
    /// Whether some wrapper runs [`INSTANTIATE_WITHOUT_DATA_PROC`] (which is then written).
    pub skips_data: bool,
}

/// Which of the runtime's memory tables the module's code reads: an instance writes only those
/// (each costs cycles on every call of an export).
#[derive(Clone, Copy, Debug)]
pub struct InstanceUses {
    /// The power tables of the unaligned-access intrinsics.
    pub pow_tables: bool,
    /// The access-limit cells of the bounds checks.
    pub access_limits: bool,
}

/// The code that creates a fresh instance: globals, root table, element and data segments,
/// start function (stack-neutral).
fn instance_initializers(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    uses: InstanceUses,
    data: bool,
) -> Vec<String> {
    let mut init = global_initializers(module);
    init.extend(procs.root_table_initializers());
    init.extend(element_initializers(module, procs));
    init.extend(memory_initializers(module, uses, data));
    if let Some(start) = module.start {
        init.push(procs.invoke(None, start));
    }
    init
}

/// Writes the public instantiation procedure ([`crate::CompiledModule::instantiate_proc`]),
/// and, when `without_data`, the one that leaves the data segments out
/// ([`INSTANTIATE_WITHOUT_DATA_PROC`]).
pub(crate) fn emit_instantiate_proc(
    module: &ModuleInfo<'_>,
    procs: &FunctionProcs,
    uses: InstanceUses,
    without_data: bool,
    out: &mut MasmWriter,
) {
    let mut emit = |comment: &str, header: String, data: bool| {
        out.line(comment);
        out.open(&header);
        let mut init = instance_initializers(module, procs, uses, data);
        if init.is_empty() {
            init.push("nop".into());
        }
        for op in &init {
            out.code(op);
        }
        out.close();
        out.blank();
    };
    emit(
        "# a fresh instance: globals, memory, data, tables, start function",
        format!("pub proc {INSTANTIATE_PROC}"),
        true,
    );
    if without_data {
        emit(
            "# a fresh instance for exports that never read memory: no data segments",
            format!("proc {INSTANTIATE_WITHOUT_DATA_PROC}"),
            false,
        );
    }
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
    let mut skips_data = false;
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
            .map(|t| module.interface_type(*t))
            .collect::<Result<Vec<_>, _>>();
        // A type midenc cannot carry, or more felts than a `call` passes on the stack.
        let shape = signature.and_then(|types| {
            let (params, results) = types.split_at(sig.params().len());
            let (p, r) = (felt_count(params), felt_count(results));
            if p > MAX_STACK_FELTS || r > MAX_STACK_FELTS {
                return Err(format!(
                    "export `{}` passes {p} parameter felts and {r} result felts; core-module \
                     exports are limited to {MAX_STACK_FELTS} each (the advice-map spill is part \
                     of the component ABI)",
                    export.name
                ));
            }
            Ok((params.to_vec(), results.to_vec()))
        });
        let (params, results) = match shape {
            Ok(shape) => shape,
            Err(what) if options.unsupported == UnsupportedCode::Trap => {
                omitted.push((export.name.clone(), format!("unsupported: {what}")));
                continue;
            }
            Err(what) => return Err(unsupported(what)),
        };
        let (p, r) = (felt_count(&params), felt_count(&results));

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

        let instantiation = instantiation_for(module, procs, &[export.func], false);
        skips_data |= instantiation == INSTANTIATE_WITHOUT_DATA_PROC;
        let mut wrapper = vec![
            format!("exec.{instantiation}"),
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
            out.code(op);
        }
        out.close();
        out.blank();
        out.comment(&format!("export `{}`", export.name));
        out.open(&format!("pub proc \"{proc_name}\""));
        for op in &wrapper {
            out.code(op);
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
        skips_data,
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
fn memory_initializers(module: &ModuleInfo<'_>, uses: InstanceUses, data: bool) -> Vec<String> {
    let mut ops = Vec::new();
    let pages = module.memory.map_or(0, |m| m.initial);
    if pages > 0 {
        ops.push(format!("push.{pages}"));
        ops.push(format!("mem_store.{MEMORY_PAGES_ADDR}"));
        let bytes = u64::from(pages) * 65536;
        if uses.access_limits {
            // One word: the byte size (the 1-byte limit) and the 2-, 4- and 8-byte limits, the
            // top of the stack going to the lowest address.
            let limits: Vec<String> = layout::ACCESS_SIZES
                .iter()
                .rev()
                .map(|size| (bytes - u64::from(*size) + 1).to_string())
                .collect();
            ops.push(format!("push.{}", limits.join(".")));
            ops.push(format!("mem_storew_le.{}", layout::ACCESS_LIMITS_ADDR));
            ops.push("dropw".into());
        } else {
            ops.push(format!("push.{bytes}"));
            ops.push(format!("mem_store.{}", layout::MEMORY_BYTES_ADDR));
        }
    }
    if module.memory.is_some() && uses.pow_tables {
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
    // A segment outside memory fails instantiation whether or not the data is written.
    let Some(image) = initial_image(module) else {
        return trap("out of bounds memory access");
    };
    if !data {
        return ops;
    }
    for (index, segment) in module.data.iter().enumerate() {
        if let DataMode::Passive { addr } = segment.mode {
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
    let runs = DataRuns::of(&image);
    for (run, name) in runs.piped.iter().zip(&runs.names) {
        ops.extend(pipe_run(run, name));
    }
    for (word, felts) in &runs.stored {
        let nonzero = felts.iter().filter(|f| **f != 0).count();
        if nonzero > 1 {
            // `mem_storew_le` writes the top of the stack to the lowest address.
            let [a, b, c, d] = felts;
            ops.push(format!("push.{d}.{c}.{b}.{a}"));
            ops.push(format!("mem_storew_le.{}", 4 * word));
            ops.push("dropw".into());
        } else {
            for (k, felt) in felts.iter().enumerate().filter(|(_, f)| **f != 0) {
                ops.push(format!("push.{felt}"));
                ops.push(format!("mem_store.{}", 4 * word + k as u32));
            }
        }
    }
    ops
}

/// The linear-memory contents the active data segments create, element (4 bytes) by element,
/// zero elements omitted; `None` when a segment lies outside the initial memory.
fn initial_image(module: &ModuleInfo<'_>) -> Option<BTreeMap<u32, u32>> {
    let limit = u64::from(module.memory.map_or(0, |m| m.initial)) * 65536;
    let mut image: BTreeMap<u32, u32> = BTreeMap::new();
    for segment in &module.data {
        if let DataMode::Active { offset } = segment.mode {
            if u64::from(offset) + segment.bytes.len() as u64 > limit {
                return None;
            }
            for (i, byte) in segment.bytes.iter().enumerate() {
                let addr = offset + i as u32;
                let shift = 8 * (addr % 4);
                let element = image.entry(addr / 4).or_default();
                *element = (*element & !(0xFF << shift)) | (u32::from(*byte) << shift);
            }
        }
    }
    image.retain(|_, v| *v != 0);
    Some(image)
}

/// Runs of at least this many words are piped from the advice map; shorter ones are stored
/// with immediates (7 cycles a word against half a cycle, but no fixed cost of about 40).
const PIPED_RUN_MIN_WORDS: usize = 24;
/// Zero words a piped run may bridge rather than end (each costs half a cycle to pipe).
const RUN_GAP_WORDS: u32 = 8;

/// A word-aligned stretch of the initial memory image.
struct DataRun {
    /// Index of its first word (element address / 4).
    first_word: u32,
    /// Its words, an even number (zero-padded), each as four elements.
    words: Vec<[u32; 4]>,
}

/// How the initial memory image is written: long runs piped from advice-map entries that the
/// module declares (`names[i]` for `piped[i]`, identical runs sharing one entry), the rest
/// stored word by word.
struct DataRuns {
    piped: Vec<DataRun>,
    names: Vec<String>,
    /// The advice-map declarations, one per distinct run.
    declarations: Vec<String>,
    stored: Vec<(u32, [u32; 4])>,
}

impl DataRuns {
    fn of(image: &BTreeMap<u32, u32>) -> DataRuns {
        let mut words: BTreeMap<u32, [u32; 4]> = BTreeMap::new();
        for (element, value) in image {
            words.entry(element / 4).or_default()[(element % 4) as usize] = *value;
        }
        let mut runs: Vec<Vec<(u32, [u32; 4])>> = Vec::new();
        for (word, felts) in words {
            match runs.last_mut() {
                Some(run) if word - run.last().map_or(0, |(w, _)| *w) <= RUN_GAP_WORDS + 1 => {
                    run.push((word, felts))
                }
                _ => runs.push(vec![(word, felts)]),
            }
        }
        let mut out = DataRuns {
            piped: Vec::new(),
            names: Vec::new(),
            declarations: Vec::new(),
            stored: Vec::new(),
        };
        let mut seen: BTreeMap<Vec<[u32; 4]>, String> = BTreeMap::new();
        for run in runs {
            let first_word = run[0].0;
            let span = (run[run.len() - 1].0 - first_word + 1) as usize;
            if span < PIPED_RUN_MIN_WORDS {
                out.stored.extend(run);
                continue;
            }
            let mut dense = vec![[0u32; 4]; span + span % 2];
            for (word, felts) in &run {
                dense[(word - first_word) as usize] = *felts;
            }
            let name = match seen.get(&dense) {
                Some(name) => name.clone(),
                None => {
                    let name = format!("MIDENC_DATA_{}", seen.len());
                    let felts: Vec<String> =
                        dense.iter().flatten().map(|f| f.to_string()).collect();
                    out.declarations
                        .push(format!("adv_map {name} = [{}]", felts.join(",")));
                    seen.insert(dense.clone(), name.clone());
                    name
                }
            };
            out.names.push(name);
            out.piped.push(DataRun {
                first_word,
                words: dense,
            });
        }
        out
    }
}

/// The module-level advice-map entries holding the long runs of the initial memory image
/// (empty when there are none). The assembler keys each by the Poseidon2 hash of its felts.
pub(crate) fn data_advice_map(module: &ModuleInfo<'_>) -> String {
    let Some(image) = initial_image(module) else {
        return String::new();
    };
    let mut text = String::new();
    for line in DataRuns::of(&image).declarations {
        text.push_str(&line);
        text.push_str("\n\n");
    }
    text
}

/// Pipes one run from its advice-map entry into memory, hashing as it goes, and asserts that
/// the hash is the entry's key: the advice provider is untrusted, the key is part of the code.
fn pipe_run(run: &DataRun, name: &str) -> Vec<String> {
    vec![
        format!("push.{name}"),
        "adv.push_mapval".into(),
        // Hasher state [rate, rate, capacity] (capacity 0: an even number of words) and the
        // destination address beneath it, where `adv_pipe` expects it.
        "padw padw padw".into(),
        format!("push.{} movdn.12", 4 * run.first_word),
        format!("repeat.{}", run.words.len() / 2),
        "    adv_pipe hperm".into(),
        "end".into(),
        // The digest is the first rate word.
        "swapw.2 dropw dropw movup.4 drop".into(),
        "assert_eqw.err=\"data segment contents do not match their commitment\"".into(),
    ]
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
            ops.push(format!("procref.{}", procs.path_from(None, func)));
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
