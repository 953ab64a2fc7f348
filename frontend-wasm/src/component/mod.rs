//! Wasm components and WIT worlds: the exports of a component become Miden procedures that
//! follow the WIT calling convention (`docs/calling-convention.md`), and the functions its world
//! imports from interfaces become adapters that call the providers' procedures by the same
//! convention.
//!
//! Two inputs lead here: a component binary (as made by wit-component or
//! `wasm-tools component new`), whose WIT world is decoded from its type information and whose
//! main core module is compiled; or a core module plus a WIT world given on the command line.
//! Either way the core module must follow the canonical ABI's standard names (exports `f`,
//! `ns:pkg/iface@ver#f`, `cabi_realloc`, `cabi_post_*`; imports `ns:pkg/iface@ver` / `f`).

mod canon;
mod import_adapter;
mod stack_adapter;
mod types;

use midenc_abi::WitSignature;
use wit_parser::{Resolve, WorldId, WorldItem};

use crate::{
    error::{WasmError, WasmResult},
    exports::{self, unique_proc_name, ExportWrappers, INSTANTIATE_PROC},
    trap_sites::{TrapPlace, WrapperPhase},
    CompiledModule, ExportedFunction, ImportedFunction,
};

pub(crate) use canon::runtime_masm;
pub use canon::{ABI_BASE, ARGS, RES};
pub use import_adapter::core_signature;
pub use types::convert as convert_type;

/// One function a WIT world exports (or imports), by its full name.
#[derive(Clone, Debug)]
pub struct WorldExport {
    /// The name: `f` for a world-level function, `ns:pkg/iface@ver#f` otherwise.
    pub name: String,
    /// Its signature.
    pub signature: WitSignature,
}

/// A component (or core module + WIT) compiled to MASM, with its world as WIT text.
pub struct CompiledComponent {
    /// The MASM module; its exports are the world's functions.
    pub module: CompiledModule,
    /// The exported functions of the world, in order.
    pub exports: Vec<WorldExport>,
    /// The WIT package that defines the world, as text.
    pub world_text: String,
}

fn unsupported(feature: impl Into<String>) -> WasmError {
    WasmError::Unsupported {
        feature: feature.into(),
        function: "component".into(),
        offset: 0,
    }
}

fn invalid(message: impl Into<String>, offset: u64) -> WasmError {
    WasmError::Invalid {
        message: message.into(),
        offset,
    }
}

/// The functions `world` exports, with their core export names and WIT signatures.
///
/// # Errors
/// `Unsupported` for exported resources, async functions and types midenc cannot carry.
pub fn world_exports(resolve: &Resolve, world: WorldId) -> WasmResult<Vec<WorldExport>> {
    let mut out = Vec::new();
    for (key, item) in &resolve.worlds[world].exports {
        match item {
            WorldItem::Function(f) => out.push(world_export(resolve, f.name.clone(), f)?),
            WorldItem::Interface { id, .. } => {
                let iface = resolve.name_world_key(key);
                for f in resolve.interfaces[*id].functions.values() {
                    out.push(world_export(resolve, format!("{iface}#{}", f.name), f)?);
                }
            }
            WorldItem::Type { .. } => {}
        }
    }
    Ok(out)
}

/// A function a WIT world imports from an interface, with its WIT signature or the reason
/// midenc cannot carry it (reported only if the core module imports the function).
pub type WorldImport = (String, Result<WitSignature, String>);

/// The functions `world` imports from interfaces, by full name (`ns:pkg/iface@ver#f`, the
/// core import `ns:pkg/iface@ver` / `f`). Functions imported at world level are left out: their
/// core imports (module `$root`) are rejected when declared.
pub fn world_imports(resolve: &Resolve, world: WorldId) -> Vec<WorldImport> {
    let mut out = Vec::new();
    for (key, item) in &resolve.worlds[world].imports {
        if let WorldItem::Interface { id, .. } = item {
            let iface = resolve.name_world_key(key);
            for f in resolve.interfaces[*id].functions.values() {
                let name = format!("{iface}#{}", f.name);
                let sig = world_function(resolve, name.clone(), f, "import")
                    .map(|w| w.signature)
                    .map_err(|e| match e {
                        WasmError::Unsupported { feature, .. } => feature,
                        other => other.to_string(),
                    });
                out.push((name, sig));
            }
        }
    }
    out
}

fn world_export(
    resolve: &Resolve,
    name: String,
    f: &wit_parser::Function,
) -> WasmResult<WorldExport> {
    world_function(resolve, name, f, "export")
}

fn world_function(
    resolve: &Resolve,
    name: String,
    f: &wit_parser::Function,
    what: &str,
) -> WasmResult<WorldExport> {
    if !matches!(f.kind, wit_parser::FunctionKind::Freestanding) {
        return Err(unsupported(format!(
            "{what} `{name}`: resource methods, constructors and async functions"
        )));
    }
    let conv = |t: &wit_parser::Type| {
        types::convert(resolve, t).map_err(|why| unsupported(format!("{why} in {what} `{name}`")))
    };
    let params = f
        .params
        .iter()
        .map(|p| Ok((p.name.clone(), conv(&p.ty)?)))
        .collect::<WasmResult<Vec<_>>>()?;
    let result = f.result.as_ref().map(conv).transpose()?;
    Ok(WorldExport {
        name,
        signature: WitSignature { params, result },
    })
}

/// Compiles a core module that implements `world` (the `--wit` path). `bind` gives the MAST
/// root of each named import (as [`crate::Request::bind`]); imports of the world
/// get the WIT calling convention's adapters.
///
/// # Errors
/// As [`crate::compile_module`], plus `Invalid` when the module lacks an export the world
/// requires, and `Unsupported` for WIT features midenc does not carry.
pub fn compile_core_with_world(
    core: &[u8],
    resolve: &Resolve,
    world: WorldId,
    bind: crate::Bind<'_>,
) -> WasmResult<CompiledComponent> {
    let exports = world_exports(resolve, world)?;
    let wit_imports = world_imports(resolve, world);
    let wanted = exports.clone();
    // The core module's `f32`s are felts when the world passes felts (and when the module
    // imports felt operations, which `module_env` sees); otherwise they are floats.
    let signatures = exports
        .iter()
        .map(|e| &e.signature)
        .chain(wit_imports.iter().filter_map(|(_, sig)| sig.as_ref().ok()));
    let f32_is_felt = signatures.into_iter().any(|sig| {
        sig.params.iter().any(|(_, t)| t.has_felts())
            || sig.result.as_ref().is_some_and(|t| t.has_felts())
    });
    let options = crate::CompileOptions {
        f32_is_felt,
        ..Default::default()
    };
    let module = crate::pipeline::compile_with_wrappers(
        core,
        &options,
        bind,
        &wit_imports,
        move |module, procs, out| {
            let find = |name: &str| {
                module
                    .exports
                    .iter()
                    .find(|e| e.name == name)
                    .map(|e| e.func)
            };
            let mut used = std::collections::HashSet::from([INSTANTIATE_PROC.to_string()]);
            let realloc = find("cabi_realloc").map(|f| procs.invoke(None, f));
            let mut compiled = Vec::new();
            let mut skips_data = false;
            for export in &wanted {
                let func = find(&export.name).ok_or_else(|| {
                    invalid(
                        format!(
                            "the core module does not export `{}`, which the WIT world requires",
                            export.name
                        ),
                        0,
                    )
                })?;
                let core = procs.invoke(None, func);
                let post_func = find(&format!("cabi_post_{}", export.name));
                let post = post_func.map(|f| procs.invoke(None, f));
                // Instance state changes when the core function or `cabi_post_*` write it, when
                // arguments are allocated in linear memory, and when a result image is built
                // there.
                let sig = &export.signature;
                let writes_state = procs.writes_state(func)
                    || post_func.is_some_and(|f| procs.writes_state(f))
                    || canon::needs_realloc(sig)
                    || sig.results_spill()
                    || sig.result.as_ref().is_some_and(|t| t.has_lists());
                // A fresh instance, as for core exports (`exec` of a local procedure is
                // inlined). The wrapper reads memory when it allocates the arguments there or
                // lifts a result from it (more than one flat result comes back through a
                // pointer, in the canonical ABI).
                let wrapper_reads = canon::needs_realloc(sig)
                    || sig.flat_results().len() > 1
                    || sig.result.as_ref().is_some_and(|t| t.has_lists());
                let funcs: Vec<u32> = std::iter::once(func).chain(post_func).collect();
                let instantiation =
                    exports::instantiation_for(module, procs, &funcs, wrapper_reads);
                skips_data |= instantiation == exports::INSTANTIATE_WITHOUT_DATA_PROC;
                let init = [format!("exec.{instantiation}")];
                let targets = canon::Targets {
                    core: &core,
                    realloc: realloc.as_deref(),
                    post_return: post.as_deref(),
                };
                check_core_signature(module, func, &export.signature, &export.name)?;
                let ops = canon::CanonGen::new(&export.name, targets)
                    .generate(&export.signature, &init)
                    .map_err(|feature| WasmError::Unsupported {
                        feature,
                        function: export.name.clone(),
                        offset: 0,
                    })?;
                let proc_name = unique_proc_name(&export.name, &mut used);
                out.comment(&format!(
                    "export `{}`: {}",
                    export.name,
                    export.signature.wit_text()
                ));
                out.open(&format!("pub proc \"{proc_name}\""));
                // What runs before the call to the core function lifts the arguments; the
                // call and what follows lower the result.
                let call = ops
                    .iter()
                    .position(|op| op.split_whitespace().any(|t| t == core))
                    .unwrap_or(ops.len());
                for (phase, ops) in [
                    (WrapperPhase::Arguments, &ops[..call]),
                    (WrapperPhase::Result, &ops[call..]),
                ] {
                    let first = out.line_count();
                    for op in ops {
                        out.code(op);
                    }
                    out.place_lines_since(
                        first,
                        TrapPlace::Wrapper {
                            export: export.name.clone(),
                            phase,
                        },
                    );
                }
                out.close();
                out.blank();
                compiled.push(ExportedFunction {
                    name: export.name.clone(),
                    proc_name,
                    params: Vec::new(),
                    results: Vec::new(),
                    entry_proc: String::new(),
                    writes_state,
                    wit: Some(export.signature.clone()),
                });
            }
            Ok(ExportWrappers {
                exports: compiled,
                instantiate_proc: INSTANTIATE_PROC.to_string(),
                omitted: Vec::new(),
                skips_data,
            })
        },
    )?;
    let world_text = world_text(resolve, world);
    Ok(CompiledComponent {
        module,
        exports,
        world_text,
    })
}

/// The WIT text of the package defining `world` (empty if it cannot be printed).
fn world_text(resolve: &Resolve, world: WorldId) -> String {
    let Some(pkg) = resolve.worlds[world].package else {
        return String::new();
    };
    let mut printer = wit_component::WitPrinter::default();
    match printer.print(resolve, pkg, &[]) {
        Ok(()) => printer.output.to_string(),
        Err(_) => String::new(),
    }
}

/// The core function must have the canonical ABI's flat signature for its WIT type.
fn check_core_signature(
    module: &crate::module_env::ModuleInfo<'_>,
    func: u32,
    sig: &WitSignature,
    name: &str,
) -> WasmResult<()> {
    use midenc_abi::FlatType;
    let flat = midenc_abi::flatten_lift(&sig.param_types(), sig.result.as_ref());
    let ty = module.func_type(func);
    let core = |t: &FlatType| match t {
        FlatType::I32 => wasmparser::ValType::I32,
        FlatType::I64 => wasmparser::ValType::I64,
        FlatType::F32 => wasmparser::ValType::F32,
        FlatType::F64 => wasmparser::ValType::F64,
    };
    let want_p: Vec<_> = flat.params.iter().map(core).collect();
    let want_r: Vec<_> = flat.results.iter().map(core).collect();
    if ty.params() != want_p.as_slice() || ty.results() != want_r.as_slice() {
        return Err(invalid(
            format!(
                "core export `{name}` has type {:?} -> {:?}, but its WIT type {} lowers to \
                 {want_p:?} -> {want_r:?}",
                ty.params(),
                ty.results(),
                sig.wit_text()
            ),
            0,
        ));
    }
    Ok(())
}

/// Compiles a component binary: decodes its WIT world, finds its main core module and
/// compiles that against the world.
///
/// # Errors
/// `Invalid` for a malformed component, `Unsupported` for components that are not a single
/// core module wrapped by wit-component (adapter modules, non-UTF-8 string encodings), and
/// for named imports `bind` leaves open.
pub fn compile_component(bytes: &[u8], bind: crate::Bind<'_>) -> WasmResult<CompiledComponent> {
    let (resolve, world, main) = decode_component(bytes)?;
    let mut compiled = compile_core_with_world(main, &resolve, world, bind)?;
    compiled.module.offsets_in_core_module = true;
    Ok(compiled)
}

/// The function imports of a component's main core module, each with its WIT signature (what
/// the linker resolves before compiling).
///
/// # Errors
/// As [`compile_component`].
pub fn component_imports(bytes: &[u8]) -> WasmResult<Vec<ImportedFunction>> {
    let (resolve, world, main) = decode_component(bytes)?;
    core_imports_with_world(main, &resolve, world)
}

/// The function imports of a core module that implements `world`, each import of the world
/// with its WIT signature.
///
/// # Errors
/// As [`crate::module_imports`], and `Invalid` when a core import's type is not the canonical
/// lowering of its WIT signature.
pub fn core_imports_with_world(
    core: &[u8],
    resolve: &Resolve,
    world: WorldId,
) -> WasmResult<Vec<ImportedFunction>> {
    let wit_imports = world_imports(resolve, world);
    let mut imports = crate::module_imports(core)?;
    for import in &mut imports {
        attach_wit(import, &wit_imports)?;
    }
    Ok(imports)
}

/// Decodes a component's WIT world and finds its main core module.
fn decode_component(bytes: &[u8]) -> WasmResult<(Resolve, WorldId, &[u8])> {
    let decoded = wit_component::decode(bytes)
        .map_err(|e| invalid(format!("cannot decode the component's WIT: {e:#}"), 0))?;
    let (resolve, world) = match decoded {
        wit_component::DecodedWasm::Component(resolve, world) => (resolve, world),
        wit_component::DecodedWasm::WitPackage(..) => {
            return Err(unsupported("a WIT package binary (no code to compile)"))
        }
    };
    let modules = core_modules(bytes)?;
    let exports = world_exports(&resolve, world)?;
    // wit-component adds small shim modules for imports; the main module is the one exporting
    // every world function (and, among several, the one with the most code).
    let main = modules
        .iter()
        .filter(|m| {
            let names = module_export_names(m);
            exports.iter().all(|e| names.contains(&e.name))
        })
        .max_by_key(|m| m.len())
        .copied()
        .ok_or_else(|| {
            unsupported("no core module in the component exports every world function")
        })?;
    Ok((resolve, world, main))
}

/// Gives a named core import the WIT signature of the world import it implements, checking
/// that its core type is that signature's canonical lowering.
pub(crate) fn attach_wit(
    import: &mut ImportedFunction,
    wit_imports: &[WorldImport],
) -> WasmResult<()> {
    let crate::ImportTarget::Named(full) = &import.target else {
        return Ok(());
    };
    let Some((_, sig)) = wit_imports.iter().find(|(n, _)| n == full) else {
        return Ok(());
    };
    let sig = sig.as_ref().map_err(|why| unsupported(why.clone()))?;
    let flat = midenc_abi::flatten_lower(&sig.param_types(), sig.result.as_ref());
    // Types compare as they are held: an `f32` (a felt's or a float) like an `i32`, an `f64`
    // like an `i64`.
    let held =
        |tys: &[midenc_abi::CoreType]| -> Vec<_> { tys.iter().map(|t| t.carrier()).collect() };
    let want_p: Vec<_> = flat.params.iter().map(|t| t.carrier()).collect();
    let want_r: Vec<_> = flat.results.iter().map(|t| t.carrier()).collect();
    if held(&import.params) != want_p || held(&import.results) != want_r {
        return Err(invalid(
            format!(
                "core import `{full}` has type {:?} -> {:?}, but its WIT type {} lowers to \
                 {want_p:?} -> {want_r:?}",
                import.params,
                import.results,
                sig.wit_text()
            ),
            0,
        ));
    }
    import.wit = Some(sig.clone());
    Ok(())
}

/// Writes the procedure behind an import: the plain stack adapter for a core import of at most
/// 16 felts each way, otherwise the generated import adapter (WIT calling convention, advice
/// spill).
pub(crate) fn emit_import(
    import: &ImportedFunction,
    proc_name: &str,
    binding: &crate::Binding,
    realloc: Option<&str>,
    out: &mut crate::masm::MasmWriter,
) -> WasmResult<()> {
    use import_adapter::CoreShape;
    let shape = if import.wit.is_some() {
        CoreShape::Lowered
    } else {
        CoreShape::Direct
    };
    let sig = import.call_signature();
    if !import_adapter::needs_adapter(&sig, shape) {
        return crate::imports::emit_adapter(import, proc_name, binding, out);
    }
    let name = match &import.target {
        crate::ImportTarget::Named(full) => full.clone(),
        crate::ImportTarget::MastRoot(_) => import.display_name(),
    };
    let ops =
        import_adapter::generate(&name, &sig, shape, realloc, binding).map_err(|feature| {
            WasmError::Unsupported {
                feature,
                function: name.clone(),
                offset: 0,
            }
        })?;
    out.linef(format_args!(
        "# import `{name}` ({}): {}",
        binding.invocation.as_str(),
        sig.wit_text()
    ));
    out.open(&format!("pub proc {proc_name}"));
    for op in &ops {
        out.code(op);
    }
    out.close();
    out.blank();
    Ok(())
}

/// The core modules embedded in a component, checking its canonical options on the way.
fn core_modules(bytes: &[u8]) -> WasmResult<Vec<&[u8]>> {
    use wasmparser::{CanonicalFunction, CanonicalOption, Parser, Payload};
    let mut modules = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| invalid(e.message().to_string(), e.offset()))?;
        match payload {
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                modules.push(&bytes[unchecked_range.start as usize..unchecked_range.end as usize]);
            }
            Payload::ComponentCanonicalSection(reader) => {
                for canon in reader {
                    let canon = canon.map_err(|e| invalid(e.message().to_string(), e.offset()))?;
                    if let CanonicalFunction::Lift { options, .. }
                    | CanonicalFunction::Lower { options, .. } = canon
                    {
                        for o in options.iter() {
                            match o {
                                CanonicalOption::UTF16 | CanonicalOption::CompactUTF16 => {
                                    return Err(unsupported(
                                        "string encodings other than UTF-8 (`utf16`, `latin1+utf16`)",
                                    ))
                                }
                                CanonicalOption::Async | CanonicalOption::Callback(_) => {
                                    return Err(unsupported("async lifts and lowers"))
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(modules)
}

fn module_export_names(module: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        if let Ok(wasmparser::Payload::ExportSection(reader)) = payload {
            names.extend(reader.into_iter().flatten().map(|e| e.name.to_string()));
        }
    }
    names
}
