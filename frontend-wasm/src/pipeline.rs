//! The pipeline of a core module, in order:
//!
//! 1. **Parse and validate** ([`crate::module_env`]), attach WIT signatures to imports;
//! 2. **Call graph** ([`crate::analysis::call_graph`]): recursion and state-changing functions;
//! 3. **Imports**: an adapter procedure per import ([`crate::component::emit_import`]), and
//!    a procedure per felt intrinsic for indirect uses;
//! 4. **Function bodies** ([`translate_bodies`]): each body prepared once
//!    ([`crate::prepare`]); the alignment analysis of all bodies ([`crate::analysis`]),
//!    repeated while one breaks the assumption that a global stays aligned; then each body
//!    through [`crate::translate`]: translation into a code tree → jump threading → final MASM
//!    passes ([`crate::masm::CodeTree::finish`]), per candidate layout of its locals, the
//!    cheapest kept; printing;
//! 5. **Wrappers**: core exports ([`crate::exports`]) or component exports
//!    ([`crate::component`]), and the instantiation procedure;
//! 6. **Runtime** ([`crate::runtime`]): the intrinsics and canonical-ABI procedures the code
//!    uses, in one module;
//! 7. **Modules**: the main module, part modules of 32 functions, the runtime module, each
//!    with the `use` lines it needs.

use crate::{
    analysis::{self, alignment::AlignmentFacts, FunctionFacts},
    component, exports, layout,
    masm::{self, Inst, MasmWriter, Op},
    module_env,
    prepare::PreparedBody,
    procs::{part_module_name, FunctionProcs, FUNCTIONS_PER_PART},
    profile_trace_ids,
    program::{CompiledModule, MasmModule, MemoryNeeds},
    runtime::{self, is_runtime_proc, runtime_places, used_intrinsics, used_procs, RUNTIME_MODULE},
    translate,
    trap_sites::{PlacedLines, TrapPlace},
    Binding, CompileOptions, ImportTarget, Invocation, UnsupportedCode, WasmError, WasmResult,
};

/// Compiles the functions of a core module and the instantiation procedure, and lets
/// `wrappers` write the public procedures (core exports, or component exports for a
/// component's main module). `wit_imports` gives the WIT signature of each import of a
/// component's world by its full name (`ns:pkg/iface@ver#func`).
pub(crate) fn compile_with_wrappers(
    wasm: &[u8],
    options: &CompileOptions,
    bind: crate::Bind<'_>,
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
    let reachable = graph.reachable.clone();
    let procs = FunctionProcs::new(module.func_types.len(), graph);

    // Each function's procedure goes to its part module (imports' adapters included).
    let num_parts = (module.func_types.len() as u32).div_ceil(FUNCTIONS_PER_PART);
    let mut part_text: Vec<MasmWriter> = (0..num_parts).map(|_| MasmWriter::default()).collect();
    let mut imports = Vec::new();
    for import in &module.imports {
        let binding = match &import.target {
            ImportTarget::MastRoot(root) => Binding {
                root: root.clone(),
                invocation: Invocation::Call,
            },
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
            &binding,
            realloc.as_deref(),
            &mut part_text[FunctionProcs::part(import.func) as usize],
        )?;
        imports.push((import.clone(), binding.root));
    }
    // A felt intrinsic's procedure, for calls that do not inline it (tables, re-exports).
    for (func, intrinsic) in &module.felt_intrinsics {
        let out = &mut part_text[FunctionProcs::part(*func) as usize];
        out.linef(format_args!("# felt intrinsic `{}`", intrinsic.name));
        out.open(&format!("pub proc {}", procs.name(*func)));
        for op in intrinsic.ops {
            out.code(op);
        }
        if intrinsic.ops.is_empty() {
            out.inst(&Inst::Op(Op::Nop));
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
                    // A decorator right before or after an `exec` lands on the callee's body
                    // node, which every caller shares: another caller's trace would replace it.
                    // A `nop` (1 cycle) gives the trace a node of this function's own.
                    let calls = |block: Option<&masm::Block>| {
                        matches!(
                            block,
                            Some(masm::Block::Inst(Inst::Exec(_) | Inst::Call(_), _))
                        )
                    };
                    body_text.linef(format_args!("trace.{enter}"));
                    if calls(translated.code.first()) {
                        body_text.inst(&Inst::Op(Op::Nop));
                    }
                    masm::print_blocks(&translated.code, body_text);
                    if calls(translated.code.last()) {
                        body_text.inst(&Inst::Op(Op::Nop));
                    }
                    body_text.linef(format_args!("trace.{leave}"));
                } else {
                    masm::print_blocks(&translated.code, body_text);
                }
            }
            // A body that cannot run (no export, start function or table reaches it) costs
            // nothing: it traps, as under `UnsupportedCode::Trap`, instead of rejecting the module.
            Err(WasmError::Unsupported { feature, .. })
                if options.unsupported == UnsupportedCode::Trap || !reachable[func as usize] =>
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
    // What all code refers to, and each part module's own references.
    let mut needs = masm::Needs::default();
    let parts: Vec<(String, masm::Needs)> = part_text
        .into_iter()
        .enumerate()
        .map(|(part, writer)| {
            needs.extend(writer.needs());
            let part_needs = writer.needs().clone();
            let (text, lines) = writer.finish_placed();
            // Part `k` is module `k + 1`, after the main module.
            place(part + 1, 0, lines);
            (text, part_needs)
        })
        .collect();
    let mut wrapper_text = MasmWriter::default();
    let wrappers = wrappers(&module, &procs, &mut wrapper_text)?;
    needs.extend(wrapper_text.needs());
    let mut main_needs = wrapper_text.needs().clone();
    let (wrapper_text, wrapper_lines) = wrapper_text.finish_placed();
    // The canonical-ABI runtime serves component wrappers and spilling import adapters; the
    // intrinsics serve the code and that runtime.
    let mut refs: runtime::Refs<'_> = needs.targets.iter().map(String::as_str).collect();
    let runtime = used_procs(&component::runtime_masm(), &refs);
    refs.extend(runtime::exec_targets(&runtime));
    let floats = runtime::used_floats(&refs);
    refs.extend(runtime::exec_targets(&floats));
    let intrinsics = used_intrinsics(&refs, module.f32_is_felt);
    // A fresh instance writes only the tables its code reads.
    let uses = exports::InstanceUses {
        pow_tables: intrinsics.contains(&format!("add.{}", layout::POW_TABLE_ADDR))
            || intrinsics.contains(&format!("add.{}", layout::POW_TABLE_ADDR + 4)),
        access_limits: (0..layout::ACCESS_SIZES.len() as u64).any(|cell| {
            needs
                .loaded_cells
                .contains(&(layout::ACCESS_LIMITS_ADDR as u64 + cell))
        }),
    };
    let mut instantiate_text = MasmWriter::default();
    exports::emit_instantiate_proc(
        &module,
        &procs,
        uses,
        wrappers.skips_data,
        &mut instantiate_text,
    );

    let runtime_text = format!("{intrinsics}{runtime}{floats}");
    main_needs.extend(instantiate_text.needs());
    let mut main = exports::data_advice_map(&module);
    main.push_str(&instantiate_text.finish());
    place(0, main.matches('\n').count(), wrapper_lines);
    main.push_str(&wrapper_text);
    let mut modules = vec![module_of(String::new(), main, &main_needs)];
    for (part, (body, part_needs)) in parts.into_iter().enumerate() {
        modules.push(module_of(part_module_name(part as u32), body, &part_needs));
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

/// Translates every function body: prepares each ([`crate::prepare`]), analyzes them
/// ([`crate::analysis`]), then translates each once ([`translate::translate_function`]).
///
/// The alignment analysis assumes of each `i32` global whose initial value is a multiple of 4
/// that it always holds one (a stack pointer does, so frame accesses read whole elements).
/// When some body may set such a global to a value not known to be a multiple of 4, every body
/// is analyzed again without that assumption, until none breaks one (each round drops at least
/// one global). Globals are never imported or written from outside.
fn translate_bodies(
    module: &module_env::ModuleInfo<'_>,
    procs: &FunctionProcs,
) -> Vec<WasmResult<translate::TranslatedFunction>> {
    let func = |i: usize| module.num_imported_funcs + i as u32;
    let prepared: Vec<WasmResult<PreparedBody<'_>>> = module
        .bodies
        .iter()
        .enumerate()
        .map(|(i, body)| PreparedBody::new(module, func(i), body))
        .collect();
    let mut aligned = analysis::initially_aligned_globals(module);
    let alignment = loop {
        let alignment: Vec<Option<AlignmentFacts>> = prepared
            .iter()
            .map(|body| {
                let body = body.as_ref().ok()?;
                Some(analysis::body_alignment(module, body, &aligned))
            })
            .collect();
        let broken: Vec<u32> = alignment
            .iter()
            .flatten()
            .flat_map(|facts| facts.broken_globals.iter().copied())
            .collect();
        if broken.is_empty() {
            break alignment;
        }
        for global in broken {
            aligned[global as usize] = false;
        }
    };
    prepared
        .into_iter()
        .zip(alignment)
        .enumerate()
        .map(|(i, (body, alignment))| {
            let body = body?;
            let facts =
                FunctionFacts::new(&body.ops, alignment.unwrap_or_default(), &body.versioned);
            translate::translate_function(module, procs, func(i), &body, &facts)
        })
        .collect()
}

/// A module named `name` with items `body`, and the sibling modules its instructions refer to
/// (`needs`): the runtime module, and part modules other than itself.
fn module_of(name: String, body: String, needs: &masm::Needs) -> MasmModule {
    let mut uses: Vec<String> = Vec::new();
    for target in &needs.targets {
        let module = if is_runtime_proc(target) {
            RUNTIME_MODULE
        } else {
            match target.split_once("::") {
                Some((module, _))
                    if module.strip_prefix("midenc_part").is_some_and(|k| {
                        !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit())
                    }) =>
                {
                    module
                }
                _ => continue,
            }
        };
        if module != name && !uses.iter().any(|u| u == module) {
            uses.push(module.to_string());
        }
    }
    uses.sort_by_key(|u| (u.len(), u.clone()));
    MasmModule { name, uses, body }
}
