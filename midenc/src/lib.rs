//! The `midenc` driver: command-line parsing, the compile pipeline and diagnostics rendering.
//!
//! Library crates return located errors; this crate is the only place that prints them. The
//! pipeline functions ([`compile_file`], [`compile_wasm`], [`vm::call_export`]) are public so
//! that the integration tests drive exactly what the CLI runs.
// Diagnostics carry their source text and spans for miette; they are built once, on the way
// out of a failing command, so their size costs nothing that boxing would save.
#![allow(clippy::result_large_err)]

pub mod cli;
mod commands;
pub mod error;
pub mod input;
pub mod invoke;
pub mod status;
pub mod toolchain;
mod trap_host;
pub mod vm;

use std::path::{Path, PathBuf};

use error::{DriverError, DriverResult};
use midenc_frontend_wasm::{component, CompiledModule, ImportedFunction};
use midenc_linker::{LinkSet, LinkedPackage, PackageSpec};

/// Compiles a Wasm binary to a linked package named `name`.
pub fn compile_wasm(path: &Path, wasm: &[u8], name: &str) -> DriverResult<LinkedPackage> {
    Ok(compile_wasm_with(path, wasm, name, None, &LinkSet::default(), false)?.1)
}

/// Compiles a core module to a package named `name`, resolving its imports against `links`
/// (`allow_unresolved` records unprovided `mast:` imports as external dependencies).
/// Returns the frontend's output too (for `--emit masm`).
pub fn compile_linked(
    path: &Path,
    wasm: &[u8],
    name: &str,
    links: &LinkSet,
    allow_unresolved: bool,
) -> DriverResult<(CompiledModule, LinkedPackage)> {
    compile_wasm_with(path, wasm, name, None, links, allow_unresolved)
}

/// A WIT world given on the command line for a core module (`--wit PATH [--world NAME]`).
pub struct WitWorld<'a> {
    /// The WIT file or directory.
    pub path: &'a Path,
    /// The world, when the package has several.
    pub world: Option<&'a str>,
}

/// Compiles a core module, a core module with a WIT world, or a component, and links it,
/// resolving a core module's imports against `links`; returns the MASM module too (for
/// `--emit masm`).
pub fn compile_wasm_with(
    path: &Path,
    wasm: &[u8],
    name: &str,
    wit: Option<&WitWorld<'_>>,
    links: &LinkSet,
    allow_unresolved: bool,
) -> DriverResult<(CompiledModule, LinkedPackage)> {
    compile_wasm_options(path, wasm, name, wit, links, allow_unresolved, false)
}

/// Loads a core module (`.wasm`/`.wat`) and compiles it with profiling decorators around
/// every function (`midenc run --profile`), resolving imports against `links`.
///
/// # Errors
/// As [`compile_file`]; [`DriverError::Vm`] for a package or a component, which carry no
/// per-function decorators.
pub fn compile_file_profiled(
    path: &Path,
    links: &LinkSet,
) -> DriverResult<(CompiledModule, LinkedPackage)> {
    match input::load(path, true)? {
        input::Input::Wasm { path, bytes } if !wasmparser_is_component(&bytes) => {
            compile_wasm_options(
                &path,
                &bytes,
                &package_name(&path),
                None,
                links,
                false,
                true,
            )
        }
        _ => Err(DriverError::Vm {
            message: "`--profile` needs a core Wasm module (`.wasm` or `.wat`): a package or \
                      component has no per-function profiling decorators"
                .into(),
        }),
    }
}

/// [`compile_wasm_with`], optionally with profiling decorators (core modules only).
fn compile_wasm_options(
    path: &Path,
    wasm: &[u8],
    name: &str,
    wit: Option<&WitWorld<'_>>,
    links: &LinkSet,
    allow_unresolved: bool,
    profile: bool,
) -> DriverResult<(CompiledModule, LinkedPackage)> {
    let loaded = match wit {
        Some(w) => {
            if wasmparser_is_component(wasm) {
                return Err(DriverError::Vm {
                    message: "`--wit` applies to core modules; a component carries its own WIT"
                        .into(),
                });
            }
            let loaded = midenc_wit::load(w.path)?;
            let world = loaded.world(w.path, w.world)?;
            Some((loaded, world))
        }
        None => None,
    };
    let world = loaded.as_ref().map(|(l, w)| (&l.resolve, *w));
    compile_pipeline(path, wasm, name, world, links, allow_unresolved, profile)
}

/// Compiles a core module that implements `world` of `resolve` (already loaded and checked,
/// as `midenc build` does) and links it, resolving its imports against `links`
/// (`allow_unresolved` as for [`compile_linked`]).
pub fn compile_core_in_world(
    path: &Path,
    wasm: &[u8],
    name: &str,
    resolve: &midenc_wit::Resolve,
    world: midenc_wit::WorldId,
    links: &LinkSet,
    allow_unresolved: bool,
) -> DriverResult<(CompiledModule, LinkedPackage)> {
    let world = Some((resolve, world));
    compile_pipeline(path, wasm, name, world, links, allow_unresolved, false)
}

/// imports → resolution against `links` → frontend → link, for a component, a core module
/// with a WIT world, or a plain core module.
fn compile_pipeline(
    path: &Path,
    wasm: &[u8],
    name: &str,
    world: Option<(&midenc_wit::Resolve, midenc_wit::WorldId)>,
    links: &LinkSet,
    allow_unresolved: bool,
    profile: bool,
) -> DriverResult<(CompiledModule, LinkedPackage)> {
    let wasm_error = |error| DriverError::Wasm {
        path: path.into(),
        error,
    };
    let is_component = wasmparser_is_component(wasm);
    let imports = if is_component {
        component::component_imports(wasm).map_err(wasm_error)?
    } else if let Some((resolve, world)) = world {
        component::core_imports_with_world(wasm, resolve, world).map_err(wasm_error)?
    } else {
        midenc_frontend_wasm::module_imports(wasm).map_err(wasm_error)?
    };
    let resolutions = links.resolve(&imports, allow_unresolved)?;
    let root_of = |import: &ImportedFunction| {
        imports
            .iter()
            .position(|i| i.func == import.func)
            .map(|at| resolutions[at].root.clone())
    };
    with_deep_stack(|| {
        let (module, world) = if is_component {
            let c = component::compile_component(wasm, &root_of).map_err(wasm_error)?;
            (c.module, Some(c.world_text))
        } else if let Some((resolve, world)) = world {
            let c = component::compile_core_with_world(wasm, resolve, world, &root_of)
                .map_err(wasm_error)?;
            (c.module, Some(c.world_text))
        } else {
            let options = midenc_frontend_wasm::CompileOptions {
                profile,
                ..Default::default()
            };
            let module = midenc_frontend_wasm::compile_module_linked_with(wasm, &root_of, &options)
                .map_err(wasm_error)?;
            (module, None)
        };
        let linked = midenc_linker::link(&PackageSpec {
            name,
            version: "0.1.0",
            module: &module,
            wasm,
            world,
            resolutions: &resolutions,
        })?;
        Ok((module, linked))
    })
}

/// Loads the packages given with `-L`.
///
/// # Errors
/// [`DriverError::MissingPackage`] for a file that does not exist, [`DriverError::Package`]
/// for one that is not a valid midenc package, and duplicate package names.
pub fn load_link_set(paths: &[PathBuf]) -> DriverResult<LinkSet> {
    let mut links = LinkSet::default();
    for path in paths {
        let package = input::load_package(path)?;
        links.add(path.display().to_string(), package)?;
    }
    Ok(links)
}

/// Whether a Wasm binary is a component (layer 1 in its header) rather than a core module.
fn wasmparser_is_component(wasm: &[u8]) -> bool {
    wasm.len() >= 8 && wasm[..4] == *b"\0asm" && wasm[6..8] == [1, 0]
}

/// Runs `f` on a thread with a large stack.
///
/// The Miden assembler and processor recurse over the MAST tree, whose depth follows the
/// nesting of the generated control flow; a default 2 MiB thread stack is not always enough.
pub fn with_deep_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(512 << 20)
            .spawn_scoped(scope, f)
            .expect("spawning a compiler thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Loads `path` (`.wat`, `.wasm`, or `.masp`) and returns its package, compiling if needed
/// with its imports resolved against `links`.
pub fn compile_file(path: &Path, links: &LinkSet) -> DriverResult<LinkedPackage> {
    match input::load(path, true)? {
        input::Input::Wasm { path, bytes } => {
            Ok(compile_linked(&path, &bytes, &package_name(&path), links, false)?.1)
        }
        input::Input::Package { package, .. } if package.plain => Err(DriverError::Usage {
            message: format!(
                "`{}` is a plain Miden library, not built by midenc: it records no signatures \
                 and no instance to run",
                path.display()
            ),
            help: "link it with -L so that `mast:0x…` imports call its procedures".into(),
        }),
        input::Input::Package { package, .. } => Ok(*package),
    }
}

/// The default package name for an input file: its stem.
pub fn package_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "module".into())
}
