//! Wasm → Miden Assembly: parsing, validation and code generation for core Wasm modules.
//!
//! [`compile_module`] is the entry point. It validates the whole module first (so invalid input
//! is always reported as invalid, never as unsupported), then translates every defined function
//! into a private MASM procedure and every exported function into a public wrapper that follows
//! the cross-context calling convention (`docs/calling-convention.md`). The result is MASM
//! source text plus the facts the linker needs to describe the exports; this crate never
//! assembles or runs anything.

mod alignment;
mod call_graph;
mod code_translator;
pub mod component;
mod cost_model;
mod counted_loop;
pub mod error;
mod exports;
mod func_translator;
pub mod imports;
pub mod layout;
mod liveness;
mod masm;
mod module_env;
mod peephole;
mod speculated_loop;
mod stack_carried;
mod stack_ops;

pub use error::{WasmError, WasmResult};
pub use imports::{module_imports, ImportTarget, ImportedFunction};
use masm::MasmWriter;
use midenc_abi::{CoreType, CoreValue};

/// The MASM runtime support procedures (signed division, sign flips, ...).
const INTRINSICS: &str = include_str!("intrinsics.masm");

/// What to do with a function that uses a feature midenc does not compile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnsupportedCode {
    /// Reject the module with an `unsupported:` error: nothing is ever silently dropped.
    #[default]
    Reject,
    /// Compile each such function to a trap with the message `unsupported: <feature>`, and omit
    /// exports whose signatures cannot be represented. Test harnesses use this to run the
    /// supported part of a module that also contains, say, float code.
    Trap,
}

/// Options of [`compile_module_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct CompileOptions {
    /// Treatment of functions that use unsupported features.
    pub unsupported: UnsupportedCode,
    /// Treat `f32` as the carrier of one field element (the Miden SDK's `felt`, DESIGN §4):
    /// set for the core module of a component, whose WIT `felt` lowers to `f32`.
    pub f32_is_felt: bool,
    /// Bracket every function body with `trace` decorators ([`profile_trace_ids`]) so a
    /// debug handler can attribute cycles to Wasm functions (`midenc run --profile`).
    /// Decorators take no cycles.
    pub profile: bool,
}

/// First `trace` id of the profiling decorators: function `f` enters with
/// `PROFILE_TRACE_BASE + 2f` and leaves with `PROFILE_TRACE_BASE + 2f + 1`.
pub const PROFILE_TRACE_BASE: u32 = 0x4000_0000;

/// The (enter, leave) `trace` ids of function `func` under [`CompileOptions::profile`].
pub fn profile_trace_ids(func: u32) -> (u32, u32) {
    (
        PROFILE_TRACE_BASE + 2 * func,
        PROFILE_TRACE_BASE + 2 * func + 1,
    )
}

/// The function a profiling `trace` id belongs to, and whether it marks the entry.
pub fn profile_trace_function(id: u32) -> Option<(u32, bool)> {
    let offset = id.checked_sub(PROFILE_TRACE_BASE)?;
    Some((offset / 2, offset % 2 == 0))
}

/// A core module compiled to one MASM library module.
#[derive(Clone, Debug)]
pub struct CompiledModule {
    /// The MASM source text of the module.
    pub masm: String,
    /// Exported functions, in export order.
    pub exports: Vec<ExportedFunction>,
    /// The `pub proc` that creates a fresh instance (globals, memory, data and element
    /// segments, start function). Every export wrapper runs it first, because each Miden
    /// `call` starts with empty memory; running it once and then several exports' entry
    /// procedures with `exec` runs several calls in one instance.
    pub instantiate_proc: String,
    /// Exports left out under [`UnsupportedCode::Trap`], with the reason.
    pub omitted_exports: Vec<(String, String)>,
    /// Imported functions, in import order, each with the MAST root its adapter calls.
    pub imports: Vec<(ImportedFunction, String)>,
    /// The linear memory the module needs, if it has one.
    pub memory: Option<MemoryNeeds>,
    /// Active data segments: byte offset and length, in order.
    pub data_segments: Vec<(u32, u32)>,
    /// The name of every function (imported ones first), as diagnostics show it: what a
    /// profile's `trace` ids ([`profile_trace_ids`]) refer to.
    pub function_names: Vec<String>,
}

/// Linear memory sizes in 64 KiB pages, for the package manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryNeeds {
    /// Pages at the start of every call.
    pub initial_pages: u32,
    /// The most pages `memory.grow` can reach.
    pub maximum_pages: u32,
}

/// A function export of a compiled module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedFunction {
    /// The Wasm export name.
    pub name: String,
    /// The MASM procedure that implements it (a `pub proc` of the module).
    pub proc_name: String,
    /// Parameter types, first parameter first.
    pub params: Vec<CoreType>,
    /// Result types, first result first.
    pub results: Vec<CoreType>,
    /// A `pub proc` with the same stack interface that runs the function against the current
    /// instance state instead of a fresh instance (see [`CompiledModule::instantiate_proc`]);
    /// empty for component exports, which always run in a fresh instance.
    pub entry_proc: String,
    /// Whether a call may change instance state (memory, globals, tables, segments).
    pub writes_state: bool,
    /// For a component export: its WIT signature (the wrapper then follows the WIT calling
    /// convention, and `params`/`results` are empty).
    pub wit: Option<midenc_abi::WitSignature>,
}

/// How code refers to each Wasm function's procedure.
pub struct FunctionProcs {
    names: Vec<String>,
    graph: call_graph::CallGraph,
}

impl FunctionProcs {
    fn new(count: usize, graph: call_graph::CallGraph) -> Self {
        FunctionProcs {
            names: (0..count).map(|i| format!("wasm_fn{i}")).collect(),
            graph,
        }
    }

    /// The MASM procedure name of function `func`.
    pub fn name(&self, func: u32) -> &str {
        &self.names[func as usize]
    }

    /// The instruction that invokes `callee` from `caller` (`None` for an export wrapper):
    /// `exec`, or `dynexec` through the root table when the call closes a cycle.
    pub fn invoke(&self, caller: Option<u32>, callee: u32) -> String {
        match caller {
            Some(caller) if self.graph.is_recursive_call(caller, callee) => {
                format!("push.{} dynexec", Self::root_slot(callee))
            }
            _ => format!("exec.{}", self.names[callee as usize]),
        }
    }

    /// Whether calling `func` may change instance state.
    pub fn writes_state(&self, func: u32) -> bool {
        self.graph.writes_state[func as usize]
    }

    /// Where the MAST root of recursive function `func` is stored.
    fn root_slot(func: u32) -> u32 {
        layout::FUNC_ROOTS_BASE + 4 * func
    }

    /// Instructions that store the MAST root of every recursive function in its slot; export
    /// wrappers run them first, since each `call` starts with fresh memory.
    pub fn root_table_initializers(&self) -> Vec<String> {
        (0..self.names.len() as u32)
            .filter(|f| self.graph.is_recursive(*f))
            .flat_map(|f| {
                [
                    format!("procref.{}", self.names[f as usize]),
                    format!("mem_storew_le.{}", Self::root_slot(f)),
                    "dropw".to_string(),
                ]
            })
            .collect()
    }
}

/// Compiles a core Wasm module (binary) to MASM.
///
/// # Errors
/// [`WasmError::Invalid`] when the module does not validate, [`WasmError::Unsupported`] when it
/// uses a feature midenc does not compile (naming the function and byte offset), and
/// [`WasmError::ImplLimit`] when it exceeds a limit of the Miden target.
pub fn compile_module(wasm: &[u8]) -> WasmResult<CompiledModule> {
    compile_module_with(wasm, &CompileOptions::default())
}

/// Compiles a core Wasm module (binary) to MASM with explicit [`CompileOptions`].
///
/// # Errors
/// As [`compile_module`]; under [`UnsupportedCode::Trap`], unsupported code inside function
/// bodies and signatures is no longer an error.
pub fn compile_module_with(wasm: &[u8], options: &CompileOptions) -> WasmResult<CompiledModule> {
    compile_with_wrappers(wasm, options, &|_| None, &[], |module, procs, out| {
        exports::emit_export_wrappers(module, procs, options, out)
    })
}

/// Compiles a core Wasm module whose named imports are bound by `bind`, which returns the
/// MAST root (`0x` + 64 hex digits) of the linked export a named import resolves to.
/// `mast:0x…` imports carry their root and do not consult it.
///
/// # Errors
/// As [`compile_module`], and [`WasmError::Unsupported`] for a named import `bind` leaves open.
pub fn compile_module_linked(
    wasm: &[u8],
    bind: &dyn Fn(&ImportedFunction) -> Option<String>,
) -> WasmResult<CompiledModule> {
    compile_module_linked_with(wasm, bind, &CompileOptions::default())
}

/// [`compile_module_linked`] with explicit [`CompileOptions`].
///
/// # Errors
/// As [`compile_module_linked`].
pub fn compile_module_linked_with(
    wasm: &[u8],
    bind: &dyn Fn(&ImportedFunction) -> Option<String>,
    options: &CompileOptions,
) -> WasmResult<CompiledModule> {
    compile_with_wrappers(wasm, options, bind, &[], |module, procs, out| {
        exports::emit_export_wrappers(module, procs, options, out)
    })
}

/// Compiles the functions of a core module and the instantiation procedure, and lets
/// `wrappers` write the public procedures (core exports, or component exports for a
/// component's main module). `wit_imports` gives the WIT signature of each import of a
/// component's world by its full name (`ns:pkg/iface@ver#func`).
pub(crate) fn compile_with_wrappers(
    wasm: &[u8],
    options: &CompileOptions,
    bind: &dyn Fn(&ImportedFunction) -> Option<String>,
    wit_imports: &[component::WorldImport],
    wrappers: impl FnOnce(
        &module_env::ModuleInfo<'_>,
        &FunctionProcs,
        &mut MasmWriter,
    ) -> WasmResult<exports::ExportWrappers>,
) -> WasmResult<CompiledModule> {
    let mut module = module_env::parse_module(wasm, options)?;
    for import in &mut module.imports {
        component::attach_wit(import, wit_imports)?;
    }
    let graph = call_graph::build(&module)?;
    let procs = FunctionProcs::new(module.func_types.len(), graph);

    let mut body_text = MasmWriter::default();
    let mut imports = Vec::new();
    for import in &module.imports {
        let root = match &import.target {
            ImportTarget::MastRoot(root) => root.clone(),
            ImportTarget::Named(full) => bind(import).ok_or_else(|| WasmError::Unsupported {
                feature: format!(
                    "named import `{full}` has no provider (link the package exporting it with -L)"
                ),
                function: "module".into(),
                offset: 0,
            })?,
        };
        // wit-component lowers imports with `cabi_import_realloc` when the module has one.
        let realloc = ["cabi_import_realloc", "cabi_realloc"]
            .iter()
            .find_map(|name| module.exports.iter().find(|e| e.name == *name))
            .map(|e| procs.invoke(None, e.func));
        component::emit_import(
            import,
            procs.name(import.func),
            &root,
            realloc.as_deref(),
            &mut body_text,
        )?;
        imports.push((import.clone(), root));
    }
    for (i, translated) in translate_bodies(&module, &procs).into_iter().enumerate() {
        let func = module.num_imported_funcs + i as u32;
        body_text.comment(&module.display_name(func));
        match translated {
            Ok(translated) => {
                if translated.proc_locals > 0 {
                    body_text.linef(format_args!("@locals({})", translated.proc_locals));
                }
                body_text.open(&format!("proc {}", procs.name(func)));
                if options.profile {
                    let (enter, leave) = profile_trace_ids(func);
                    body_text.linef(format_args!("trace.{enter}"));
                    translated.tree.print(translated.root, &mut body_text);
                    body_text.linef(format_args!("trace.{leave}"));
                } else {
                    translated.tree.print(translated.root, &mut body_text);
                }
            }
            Err(WasmError::Unsupported { feature, .. })
                if options.unsupported == UnsupportedCode::Trap =>
            {
                body_text.open(&format!("proc {}", procs.name(func)));
                body_text.line("push.0");
                body_text.linef(format_args!(
                    "assert.err=\"unsupported: {}\"",
                    masm::error_text(&feature)
                ));
            }
            Err(e) => return Err(e),
        }
        body_text.close();
        body_text.blank();
    }
    let mut wrapper_text = MasmWriter::default();
    let wrappers = wrappers(&module, &procs, &mut wrapper_text)?;
    let code = format!("{}{}", body_text.finish(), wrapper_text.finish());
    // The canonical-ABI runtime serves component wrappers and spilling import adapters.
    let runtime = used_procs(&component::runtime_masm(), &code);
    let intrinsics = used_intrinsics(&format!("{runtime}{code}"));
    // A fresh instance writes only the tables its code reads.
    let uses = exports::InstanceUses {
        pow_tables: intrinsics.contains(&format!("add.{}", layout::POW_TABLE_ADDR))
            || intrinsics.contains(&format!("add.{}", layout::POW_TABLE_ADDR + 4)),
        access_limits: (0..layout::ACCESS_SIZES.len() as u32)
            .any(|cell| code.contains(&format!("mem_load.{}", layout::ACCESS_LIMITS_ADDR + cell))),
    };
    let mut instantiate_text = MasmWriter::default();
    exports::emit_instantiate_proc(&module, &procs, uses, &mut instantiate_text);

    let mut masm = String::from("# Generated by midenc. DO NOT EDIT.\n\n");
    masm.push_str(&exports::data_advice_map(&module));
    masm.push_str(&intrinsics);
    masm.push_str(&runtime);
    masm.push_str(&instantiate_text.finish());
    masm.push_str(&code);
    let function_names = (0..module.func_types.len() as u32)
        .map(|f| module.display_name(f))
        .collect();
    Ok(CompiledModule {
        function_names,
        masm,
        exports: wrappers.exports,
        instantiate_proc: wrappers.instantiate_proc,
        omitted_exports: wrappers.omitted,
        imports,
        memory: module.memory.map(|m| MemoryNeeds {
            initial_pages: m.initial,
            maximum_pages: m.maximum,
        }),
        data_segments: module
            .data
            .iter()
            .filter_map(|d| match d.mode {
                module_env::DataMode::Active { offset } => Some((offset, d.bytes.len() as u32)),
                module_env::DataMode::Passive { .. } => None,
            })
            .collect(),
    })
}

/// Translates every function body, assuming of each `i32` global whose initial value is a
/// multiple of 4 that it always holds one (a stack pointer does, so frame accesses read whole
/// elements). When some body sets such a global to a value not known to be a multiple of 4,
/// everything is translated again without that assumption, until no body breaks one (each
/// round drops at least one global). Globals are never imported or written from outside.
fn translate_bodies(
    module: &module_env::ModuleInfo<'_>,
    procs: &FunctionProcs,
) -> Vec<WasmResult<func_translator::TranslatedFunction>> {
    let mut aligned: Vec<bool> = module
        .globals
        .iter()
        .map(|g| g.unsupported.is_none() && matches!(g.init, CoreValue::I32(v) if v % 4 == 0))
        .collect();
    loop {
        let translated: Vec<_> = module
            .bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let func = module.num_imported_funcs + i as u32;
                func_translator::translate_function(module, procs, func, body, &aligned)
            })
            .collect();
        let broken: Vec<u32> = translated
            .iter()
            .flatten()
            .flat_map(|t| t.broken_globals.iter().copied())
            .collect();
        if broken.is_empty() {
            return translated;
        }
        for global in broken {
            aligned[global as usize] = false;
        }
    }
}

/// The intrinsic procedures that `code` (transitively) refers to, in definition order.
fn used_intrinsics(code: &str) -> String {
    used_procs(INTRINSICS, code)
        .replace("POW_TABLE_4", &(layout::POW_TABLE_ADDR + 4).to_string())
        .replace("POW_TABLE", &layout::POW_TABLE_ADDR.to_string())
}

/// The procedures of `library` (MASM source whose procedures end with `end` in column 0) that
/// `code` (transitively) refers to, in definition order.
fn used_procs(library: &str, code: &str) -> String {
    let procs: Vec<(&str, &str)> = library
        .split("\nproc ")
        .skip(1)
        .map(|chunk| {
            let name = chunk.split_whitespace().next().unwrap_or_default();
            let end = chunk.find("\nend").map_or(chunk.len(), |i| i + 4);
            (name, &chunk[..end])
        })
        .collect();
    let refers = |text: &str, name: &str| {
        let needle = format!("exec.{name}");
        text.match_indices(&needle).any(|(i, _)| {
            !text[i + needle.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    let mut used = vec![false; procs.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for (i, (name, _)) in procs.iter().enumerate() {
            if !used[i]
                && (refers(code, name)
                    || procs
                        .iter()
                        .zip(&used)
                        .any(|((_, body), u)| *u && refers(body, name)))
            {
                used[i] = true;
                changed = true;
            }
        }
    }
    let mut out = String::new();
    for ((_, body), u) in procs.iter().zip(used) {
        if u {
            out.push_str("proc ");
            out.push_str(body);
            out.push_str("\n\n");
        }
    }
    out
}
