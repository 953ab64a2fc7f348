//! Wasm → Miden Assembly: parsing, validation and code generation for core Wasm modules.
//!
//! [`compile_module`] is the entry point. It validates the whole module first (so invalid input
//! is always reported as invalid, never as unsupported), then translates every defined function
//! into a private MASM procedure and every exported function into a public wrapper that follows
//! the cross-context calling convention (`docs/calling-convention.md`). The result is MASM
//! source text plus the facts the linker needs to describe the exports; this crate never
//! assembles or runs anything.

mod analysis;
pub mod component;
pub mod error;
mod exports;
pub mod felt_intrinsics;
pub mod imports;
pub mod layout;
mod masm;
mod module_env;
mod prepare;
mod translate;
pub mod trap_sites;

pub use error::{WasmError, WasmResult};
pub use imports::{module_imports, ImportTarget, ImportedFunction};
use masm::MasmWriter;
use midenc_abi::{CoreType, CoreValue};
use trap_sites::{PlacedLines, TrapPlace};

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
    /// Treat `f32` as the carrier of one field element (the Miden SDK's `felt`, `docs/calling-convention.md`):
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

/// Functions per part module ([`CompiledModule::modules`]). The Miden assembler (0.23) resolves
/// every procedure reference by building a table of all symbols of the module it names, so one
/// module with hundreds of procedures makes assembly quadratic in the program size (2 s of 3 for
/// a 537-procedure program); small parts keep each resolution cheap. 16 to 32 measured best.
const FUNCTIONS_PER_PART: u32 = 32;

/// Name of the part module that holds the runtime support procedures (intrinsics and the
/// canonical-ABI runtime) used anywhere in the program, so each is defined once.
pub const RUNTIME_MODULE: &str = "midenc_rt";

/// The name of part module `part`, which holds the procedures of functions
/// `FUNCTIONS_PER_PART * part ..`. The `midenc_` prefix keeps it apart from export wrappers,
/// whose names never start with it.
fn part_module_name(part: u32) -> String {
    format!("midenc_part{part}")
}

/// One MASM module of a compiled program, before the linker gives it its path.
///
/// The code of a program is split over several modules (see [`CompiledModule::modules`]) so
/// that the assembler resolves each reference in a small module; the main module's path is the
/// linker's choice (it derives from the package name), so modules name each other relative to
/// it and [`CompiledModule::masm_sources`] adds the `use` lines once the path is known.
#[derive(Clone, Debug)]
pub struct MasmModule {
    /// The module's name below the main module (`midenc_part3` is `<main>::midenc_part3`);
    /// empty for the main module itself.
    pub name: String,
    /// The sibling modules (by name) its code refers to as `<name>::<procedure>`.
    pub uses: Vec<String>,
    /// The module's items: advice-map entries and procedures.
    pub body: String,
}

/// A core module compiled to MASM: a main library module and the part modules its code lives in.
#[derive(Clone, Debug)]
pub struct CompiledModule {
    /// The MASM modules, the main module first. The main module holds only what the library
    /// exports (the export wrappers and entries, the instantiation procedure) and the
    /// advice-map entries; each function's procedure is a `pub proc` of part module
    /// `midenc_part<function / 32>`, and the runtime support procedures are `pub proc`s of
    /// [`RUNTIME_MODULE`]. Parts are linked statically, so the library exports exactly the
    /// main module's public procedures, as when everything was one module; MAST roots do not
    /// depend on where a procedure is defined.
    pub modules: Vec<MasmModule>,
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
    /// profile's `trace` ids ([`profile_trace_ids`]) and trap locations refer to.
    pub function_names: Vec<String>,
    /// Which lines of which module belong to which function, operator or export wrapper
    /// ([`CompiledModule::trap_ranges`] makes byte ranges of them).
    pub trap_places: Vec<trap_sites::PlacedLines>,
    /// Whether the byte offsets of [`Self::trap_places`] are within a component's core module
    /// (the input was a component) rather than within the input itself.
    pub offsets_in_core_module: bool,
}

/// The first line of every generated module.
const GENERATED_HEADER: &str = "# Generated by midenc. DO NOT EDIT.\n";

/// What precedes `module`'s body in its source: the header line and the `use` lines.
fn module_header(module: &MasmModule, root: &str) -> String {
    let mut text = String::from(GENERATED_HEADER);
    text.push('\n');
    for used in &module.uses {
        text.push_str(&format!("use ::{root}::{used}\n"));
    }
    if !module.uses.is_empty() {
        text.push('\n');
    }
    text
}

impl CompiledModule {
    /// The MASM source of every module with its absolute path, the main module (at `root`)
    /// first; the parts are at `root::<name>`.
    pub fn masm_sources(&self, root: &str) -> Vec<(String, String)> {
        self.modules
            .iter()
            .map(|module| {
                let path = if module.name.is_empty() {
                    root.to_string()
                } else {
                    format!("{root}::{}", module.name)
                };
                let mut text = module_header(module, root);
                text.push_str(&module.body);
                (path, text)
            })
            .collect()
    }

    /// The byte ranges of the modules' sources (as [`Self::masm_sources`] gives them) that
    /// belong to a Wasm function, operator or export wrapper: the trap table of the package.
    /// Each range covers whole lines (an instruction's location lies inside its line).
    /// `sources` are [`Self::masm_sources`]`(root)`.
    pub fn trap_ranges(
        &self,
        sources: &[(String, String)],
        root: &str,
    ) -> Vec<trap_sites::PlacedRange> {
        let starts: Vec<Vec<usize>> = sources
            .iter()
            .map(|(_, text)| trap_sites::line_starts(text))
            .collect();
        let header_lines: Vec<usize> = self
            .modules
            .iter()
            .map(|m| module_header(m, root).matches('\n').count())
            .collect();
        self.trap_places
            .iter()
            .filter_map(|p| {
                let (path, text) = sources.get(p.module)?;
                let starts = &starts[p.module];
                let first = header_lines[p.module] + p.first;
                let last = header_lines[p.module] + p.last;
                let start = *starts.get(first)?;
                let end = starts.get(last + 1).map_or(text.len(), |e| e - 1);
                Some(trap_sites::PlacedRange {
                    module: path.clone(),
                    start,
                    end,
                    place: p.place.clone(),
                })
            })
            .collect()
    }

    /// All modules as one listing (what `midenc compile --emit masm` writes): each module's
    /// source after a `# module ::<path>` line, main module first. Split at those lines, each
    /// piece assembles as the module it names.
    pub fn masm_listing(&self, root: &str) -> String {
        let mut out = String::new();
        for (path, text) in self.masm_sources(root) {
            out.push_str(MODULE_SEPARATOR);
            out.push_str(&path);
            out.push('\n');
            out.push_str(&text);
            if !text.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }
}

/// The line prefix that starts each module of [`CompiledModule::masm_listing`], followed by the
/// module's absolute path without the leading `::`.
pub const MODULE_SEPARATOR: &str = "# module ::";

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
    graph: analysis::call_graph::CallGraph,
}

impl FunctionProcs {
    fn new(count: usize, graph: analysis::call_graph::CallGraph) -> Self {
        FunctionProcs {
            names: (0..count).map(|i| format!("wasm_fn{i}")).collect(),
            graph,
        }
    }

    /// The MASM procedure name of function `func`.
    pub fn name(&self, func: u32) -> &str {
        &self.names[func as usize]
    }

    /// The part module that defines function `func`'s procedure.
    fn part(func: u32) -> u32 {
        func / FUNCTIONS_PER_PART
    }

    /// How code in the module of function `from` (`None`: the main module) names `callee`'s
    /// procedure: its plain name in the same part, `<part>::<name>` from elsewhere.
    pub fn path_from(&self, from: Option<u32>, callee: u32) -> String {
        let part = Self::part(callee);
        if from.map(Self::part) == Some(part) {
            self.names[callee as usize].clone()
        } else {
            format!(
                "{}::{}",
                part_module_name(part),
                self.names[callee as usize]
            )
        }
    }

    /// The instruction that invokes `callee` from `caller` (`None` for code of the main
    /// module: export wrappers, the instantiation procedure): `exec`, or `dynexec` through
    /// the root table when the call closes a cycle.
    pub fn invoke(&self, caller: Option<u32>, callee: u32) -> String {
        match caller {
            Some(caller) if self.graph.is_recursive_call(caller, callee) => {
                format!("push.{} dynexec", Self::root_slot(callee))
            }
            _ => format!("exec.{}", self.path_from(caller, callee)),
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

    /// Instructions (for the main module) that store the MAST root of every recursive function
    /// in its slot; export wrappers run them first, since each `call` starts with fresh memory.
    pub fn root_table_initializers(&self) -> Vec<String> {
        (0..self.names.len() as u32)
            .filter(|f| self.graph.is_recursive(*f))
            .flat_map(|f| {
                [
                    format!("procref.{}", self.path_from(None, f)),
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
    let graph = analysis::call_graph::build(&module)?;
    let procs = FunctionProcs::new(module.func_types.len(), graph);

    // Each function's procedure goes to its part module (imports' adapters included).
    let num_parts = (module.func_types.len() as u32).div_ceil(FUNCTIONS_PER_PART);
    let mut part_text: Vec<MasmWriter> = (0..num_parts).map(|_| MasmWriter::default()).collect();
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
            .map(|e| format!("exec.{}", procs.path_from(Some(import.func), e.func)));
        component::emit_import(
            import,
            procs.name(import.func),
            &root,
            realloc.as_deref(),
            &mut part_text[FunctionProcs::part(import.func) as usize],
        )?;
        imports.push((import.clone(), root));
    }
    // A felt intrinsic's procedure, for calls that do not inline it (tables, re-exports).
    for (func, intrinsic) in &module.felt_intrinsics {
        let out = &mut part_text[FunctionProcs::part(*func) as usize];
        out.linef(format_args!("# felt intrinsic `{}`", intrinsic.name));
        out.open(&format!("pub proc {}", procs.name(*func)));
        for op in intrinsic.ops {
            out.line(op);
        }
        if intrinsic.ops.is_empty() {
            out.line("nop");
        }
        out.close();
        out.blank();
    }
    for (i, translated) in translate_bodies(&module, &procs).into_iter().enumerate() {
        let func = module.num_imported_funcs + i as u32;
        let body_text = &mut part_text[FunctionProcs::part(func) as usize];
        body_text.comment(&module.display_name(func));
        body_text.begin_function(func);
        match translated {
            Ok(translated) => {
                if translated.proc_locals > 0 {
                    body_text.linef(format_args!("@locals({})", translated.proc_locals));
                }
                body_text.open(&format!("pub proc {}", procs.name(func)));
                if options.profile {
                    let (enter, leave) = profile_trace_ids(func);
                    body_text.linef(format_args!("trace.{enter}"));
                    translated.tree.print(translated.root, body_text);
                    body_text.linef(format_args!("trace.{leave}"));
                } else {
                    translated.tree.print(translated.root, body_text);
                }
            }
            Err(WasmError::Unsupported { feature, .. })
                if options.unsupported == UnsupportedCode::Trap =>
            {
                body_text.open(&format!("pub proc {}", procs.name(func)));
                body_text.line("push.0");
                body_text.linef(format_args!(
                    "assert.err=\"unsupported: {}\"",
                    masm::error_text(&feature)
                ));
            }
            Err(e) => return Err(e),
        }
        body_text.close();
        body_text.end_function();
        body_text.blank();
    }
    let mut trap_places = Vec::new();
    let mut place = |module: usize, shift: usize, lines: Vec<(usize, usize, TrapPlace)>| {
        trap_places.extend(lines.into_iter().map(|(first, last, place)| PlacedLines {
            module,
            first: first + shift,
            last: last + shift,
            place,
        }))
    };
    let parts: Vec<String> = part_text
        .into_iter()
        .enumerate()
        .map(|(part, writer)| {
            let (text, lines) = writer.finish_placed();
            // Part `k` is module `k + 1`, after the main module.
            place(part + 1, 0, lines);
            text
        })
        .collect();
    let mut wrapper_text = MasmWriter::default();
    let wrappers = wrappers(&module, &procs, &mut wrapper_text)?;
    let (wrapper_text, wrapper_lines) = wrapper_text.finish_placed();
    let code = format!("{}{wrapper_text}", parts.concat());
    // The canonical-ABI runtime serves component wrappers and spilling import adapters.
    let runtime = used_procs(&component::runtime_masm(), &code);
    let intrinsics = used_intrinsics(&format!("{runtime}{code}"), module.f32_is_felt);
    // A fresh instance writes only the tables its code reads.
    let uses = exports::InstanceUses {
        pow_tables: intrinsics.contains(&format!("add.{}", layout::POW_TABLE_ADDR))
            || intrinsics.contains(&format!("add.{}", layout::POW_TABLE_ADDR + 4)),
        access_limits: (0..layout::ACCESS_SIZES.len() as u32)
            .any(|cell| code.contains(&format!("mem_load.{}", layout::ACCESS_LIMITS_ADDR + cell))),
    };
    let mut instantiate_text = MasmWriter::default();
    exports::emit_instantiate_proc(&module, &procs, uses, &mut instantiate_text);

    let runtime_text = format!("{intrinsics}{runtime}");
    let runtime_names = proc_names(&runtime_text);
    let mut main = exports::data_advice_map(&module);
    main.push_str(&instantiate_text.finish());
    place(0, main.matches('\n').count(), wrapper_lines);
    main.push_str(&wrapper_text);
    let mut modules = vec![module_of(String::new(), main, &runtime_names)];
    for (part, body) in parts.into_iter().enumerate() {
        modules.push(module_of(
            part_module_name(part as u32),
            body,
            &runtime_names,
        ));
    }
    if !runtime_text.is_empty() {
        place(modules.len(), 0, runtime_places(&runtime_text));
        modules.push(MasmModule {
            name: RUNTIME_MODULE.to_string(),
            uses: Vec::new(),
            body: runtime_text,
        });
    }
    let function_names = (0..module.func_types.len() as u32)
        .map(|f| module.display_name(f))
        .collect();
    Ok(CompiledModule {
        function_names,
        trap_places,
        offsets_in_core_module: false,
        modules,
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
) -> Vec<WasmResult<translate::TranslatedFunction>> {
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
                translate::translate_function(module, procs, func, body, &aligned)
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

/// A module named `name` with items `body`, whose references to the runtime procedures
/// `runtime_names` become references into [`RUNTIME_MODULE`], and the sibling modules it uses.
fn module_of(name: String, body: String, runtime_names: &[&str]) -> MasmModule {
    let body = qualify_runtime_calls(&body, runtime_names);
    let mut uses: Vec<String> = Vec::new();
    // Only instructions count: a comment may quote any Wasm name.
    for line in body.lines().filter(|l| !l.trim_start().starts_with('#')) {
        for op in ["exec.", "procref."] {
            for (i, _) in line.match_indices(op) {
                let target = &line[i + op.len()..];
                let Some((module, _)) = target.split_once("::") else {
                    continue;
                };
                let sibling = module == RUNTIME_MODULE
                    || module
                        .strip_prefix("midenc_part")
                        .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()));
                if sibling && module != name && !uses.iter().any(|u| u == module) {
                    uses.push(module.to_string());
                }
            }
        }
    }
    uses.sort_by_key(|u| (u.len(), u.clone()));
    MasmModule { name, uses, body }
}

/// The lines of each procedure of the runtime module's `text`, from its `pub proc` line to its
/// `end` in column 0.
fn runtime_places(text: &str) -> Vec<(usize, usize, TrapPlace)> {
    let mut places = Vec::new();
    let mut open: Option<(usize, &str)> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("pub proc ") {
            open = Some((i, name.split_whitespace().next().unwrap_or_default()));
        } else if line == "end" {
            if let Some((first, name)) = open.take() {
                places.push((
                    first,
                    i,
                    TrapPlace::Runtime {
                        procedure: name.to_string(),
                    },
                ));
            }
        }
    }
    places
}

/// The names of the procedures defined in `text` (`proc`/`pub proc` at the start of a line).
fn proc_names(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("pub proc ")
                .or_else(|| l.strip_prefix("proc "))
        })
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// The unqualified procedure names that `text` executes (`exec.<name>`).
fn exec_targets(text: &str) -> std::collections::HashSet<&str> {
    text.match_indices("exec.")
        .map(|(i, m)| {
            let after = &text[i + m.len()..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            &after[..len]
        })
        .collect()
}

/// `text` with every `exec.<name>` of a runtime procedure `names` written
/// `exec.midenc_rt::<name>`.
fn qualify_runtime_calls(text: &str, names: &[&str]) -> String {
    const EXEC: &str = "exec.";
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut rest = text;
    while let Some(i) = rest.find(EXEC) {
        let after = &rest[i + EXEC.len()..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        out.push_str(&rest[..i + EXEC.len()]);
        if !after[len..].starts_with("::") && names.contains(&&after[..len]) {
            out.push_str(RUNTIME_MODULE);
            out.push_str("::");
        }
        out.push_str(&after[..len]);
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// The intrinsic procedures that `code` (transitively) refers to, in definition order.
///
/// A module without felts (`f32_is_felt` false) gets the cheaper forms that may assume every
/// element of linear memory is a u32: the branchless `wasm_load32` and `wasm_store_masked`,
/// and `memory.copy` without the felt check of byte-shifting copies.
fn used_intrinsics(code: &str, felts: bool) -> String {
    let library = if felts {
        std::borrow::Cow::Borrowed(INTRINSICS)
    } else {
        std::borrow::Cow::Owned(
            INTRINSICS
                .replace("proc wasm_load32\n", "proc wasm_load32_felt_safe\n")
                .replace("proc wasm_load32_plain\n", "proc wasm_load32\n")
                .replace(
                    "proc wasm_store_masked\n",
                    "proc wasm_store_masked_felt_safe\n",
                )
                .replace("proc wasm_store_masked_plain\n", "proc wasm_store_masked\n")
                .replace("            exec.wasm_assert_byte_slots\n", ""),
        )
    };
    used_procs(&library, code)
        .replace("POW_TABLE_4", &(layout::POW_TABLE_ADDR + 4).to_string())
        .replace("POW_TABLE", &layout::POW_TABLE_ADDR.to_string())
        .replace("FELT_SCRATCH", &layout::FELT_SCRATCH_ADDR.to_string())
}

/// The procedures of `library` (MASM source whose procedures end with `end` in column 0) that
/// `code` (transitively) refers to, in definition order, as `pub proc`s of [`RUNTIME_MODULE`].
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
    // Each text is scanned once for the procedures it executes; the closure is then taken over
    // those small sets (scanning the whole program once per procedure and round was 8% of the
    // compile time of a large program).
    let code_refs = exec_targets(code);
    let body_refs: Vec<std::collections::HashSet<&str>> =
        procs.iter().map(|(_, body)| exec_targets(body)).collect();
    let mut used: Vec<bool> = procs
        .iter()
        .map(|(name, _)| code_refs.contains(name))
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..procs.len() {
            if !used[i]
                && body_refs
                    .iter()
                    .zip(&used)
                    .any(|(refs, u)| *u && refs.contains(procs[i].0))
            {
                used[i] = true;
                changed = true;
            }
        }
    }
    let mut out = String::new();
    for ((_, body), u) in procs.iter().zip(used) {
        if u {
            out.push_str("pub proc ");
            out.push_str(body);
            out.push_str("\n\n");
        }
    }
    out
}
