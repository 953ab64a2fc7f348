//! The `midenc` driver: command-line parsing, the compile pipeline and diagnostics rendering.
//!
//! Library crates return located errors; this crate is the only place that prints them. The
//! pipeline functions ([`compile`], [`compile_file`], [`vm::call_export`]) are public so
//! that the integration tests drive exactly what the CLI runs.
// Diagnostics carry their source text and spans for miette; they are built once, on the way
// out of a failing command, so their size costs nothing that boxing would save.
#![allow(clippy::result_large_err)]

pub mod chain;
pub mod cli;
mod commands;
pub mod error;
pub mod input;
pub mod invoke;
pub mod proof;
pub mod status;
pub mod toolchain;
mod trap_host;
pub mod vm;

use std::path::{Path, PathBuf};

use error::{DriverError, DriverResult};
use midenc_frontend_wasm::{component, CompiledModule, ImportedFunction};
use midenc_linker::{LinkSet, LinkedPackage, PackageSpec};

/// Compiles a Wasm binary (core module or component) to a linked package named `name`, with no
/// packages to link against.
pub fn compile_wasm(path: &Path, wasm: &[u8], name: &str) -> DriverResult<LinkedPackage> {
    let links = LinkSet::default();
    Ok(compile(&CompileRequest::new(path, wasm, name, &links))?.1)
}

/// Where the WIT world of a core module comes from.
#[derive(Clone, Copy)]
pub enum World<'a> {
    /// A WIT file or directory given on the command line (`--wit PATH [--world NAME]`).
    File {
        /// The WIT file or directory.
        path: &'a Path,
        /// The world, when the package has several.
        world: Option<&'a str>,
    },
    /// A world already loaded and checked against the module (as `midenc build` does).
    Loaded(&'a midenc_wit::Resolve, midenc_wit::WorldId),
}

/// One compilation: the only argument of [`compile`]. [`CompileRequest::new`] gives the
/// defaults (no world, unresolved imports are errors, no profiling).
#[derive(Clone, Copy)]
pub struct CompileRequest<'a> {
    /// The input's path, for diagnostics.
    pub path: &'a Path,
    /// The Wasm binary: a core module or a component.
    pub wasm: &'a [u8],
    /// The package name.
    pub name: &'a str,
    /// The WIT world a core module implements (a component carries its own).
    pub world: Option<World<'a>>,
    /// The packages its imports resolve against (`-L`).
    pub links: &'a LinkSet,
    /// Whether an unprovided `mast:` import is recorded as an external dependency instead of
    /// an error.
    pub allow_unresolved: bool,
    /// Whether every function is bracketed with profiling decorators (core modules only;
    /// `midenc run --profile`).
    pub profile: bool,
}

impl<'a> CompileRequest<'a> {
    /// A request with the defaults.
    pub fn new(path: &'a Path, wasm: &'a [u8], name: &'a str, links: &'a LinkSet) -> Self {
        CompileRequest {
            path,
            wasm,
            name,
            world: None,
            links,
            allow_unresolved: false,
            profile: false,
        }
    }
}

/// imports → resolution against the links → frontend → link, for a component, a core module
/// with a WIT world, or a plain core module. Returns the frontend's output too (for
/// `--emit masm`).
pub fn compile(request: &CompileRequest<'_>) -> DriverResult<(CompiledModule, LinkedPackage)> {
    match request.world {
        Some(World::File { path, world }) => {
            if wasmparser_is_component(request.wasm) {
                return Err(DriverError::Vm {
                    message: "`--wit` applies to core modules; a component carries its own WIT"
                        .into(),
                });
            }
            let loaded = midenc_wit::load(path)?;
            let id = loaded.world(path, world)?;
            compile_pipeline(request, Some((&loaded.resolve, id)))
        }
        Some(World::Loaded(resolve, id)) => compile_pipeline(request, Some((resolve, id))),
        None => compile_pipeline(request, None),
    }
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
            let name = package_name(&path);
            compile(&CompileRequest {
                profile: true,
                ..CompileRequest::new(&path, &bytes, &name, links)
            })
        }
        _ => Err(DriverError::Vm {
            message: "`--profile` needs a core Wasm module (`.wasm` or `.wat`): a package or \
                      component has no per-function profiling decorators"
                .into(),
        }),
    }
}

/// [`compile`] once the world, if any, is loaded.
fn compile_pipeline(
    request: &CompileRequest<'_>,
    world: Option<(&midenc_wit::Resolve, midenc_wit::WorldId)>,
) -> DriverResult<(CompiledModule, LinkedPackage)> {
    let CompileRequest {
        path,
        wasm,
        name,
        links,
        ..
    } = *request;
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
    let resolutions = links.resolve(&imports, request.allow_unresolved)?;
    let root_of = |import: &ImportedFunction| {
        imports
            .iter()
            .position(|i| i.func == import.func)
            .map(|at| resolutions[at].binding())
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
                profile: request.profile,
                ..Default::default()
            };
            let frontend = midenc_frontend_wasm::Request::new(wasm)
                .with_options(options)
                .with_bind(&root_of);
            let module = midenc_frontend_wasm::compile_module(&frontend).map_err(wasm_error)?;
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
/// Makes `linked` an account component described by the metadata TOML at `path` (see
/// `docs/contracts.md`).
///
/// # Errors
/// The file cannot be read, or the protocol rejects its metadata.
pub fn make_account_component(linked: &mut LinkedPackage, path: &Path) -> DriverResult<()> {
    let text = read_text(path)?;
    linked.make_account_component(&text, &path.display().to_string())?;
    Ok(())
}

/// The text of the file at `path`, or a diagnostic naming it.
pub(crate) fn read_text(path: &Path) -> DriverResult<String> {
    std::fs::read_to_string(path).map_err(|error| DriverError::Read {
        path: path.into(),
        error,
    })
}

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
            let name = package_name(&path);
            Ok(compile(&CompileRequest::new(&path, &bytes, &name, links))?.1)
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
