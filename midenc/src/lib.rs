//! The `midenc` driver: command-line parsing, the compile pipeline and diagnostics rendering.
//!
//! Library crates return located errors; this crate is the only place that prints them. The
//! pipeline functions ([`compile_file`], [`compile_wasm`], [`vm::call_export`]) are public so
//! that the integration tests drive exactly what the CLI runs.

pub mod cli;
mod commands;
pub mod error;
pub mod input;
pub mod invoke;
pub mod vm;

use std::path::{Path, PathBuf};

use error::{DriverError, DriverResult};
use midenc_frontend_wasm::{CompiledModule, ImportedFunction};
use midenc_linker::{LinkSet, LinkedPackage, PackageSpec};

/// Compiles a Wasm binary with no linked packages to a package named `name`.
pub fn compile_wasm(path: &Path, wasm: &[u8], name: &str) -> DriverResult<LinkedPackage> {
    Ok(compile_linked(path, wasm, name, &LinkSet::default(), false)?.1)
}

/// Compiles a Wasm binary to a package named `name`, resolving its imports against `links`
/// (`allow_unresolved` records unprovided `mast:` imports as external dependencies).
/// Returns the frontend's output too (for `--emit masm`).
pub fn compile_linked(
    path: &Path,
    wasm: &[u8],
    name: &str,
    links: &LinkSet,
    allow_unresolved: bool,
) -> DriverResult<(CompiledModule, LinkedPackage)> {
    let wasm_error = |source| DriverError::Wasm {
        path: path.into(),
        source,
    };
    let imports = midenc_frontend_wasm::module_imports(wasm).map_err(wasm_error)?;
    let resolutions = links.resolve(&imports, allow_unresolved)?;
    let root_of = |import: &ImportedFunction| {
        imports
            .iter()
            .position(|i| i.func == import.func)
            .map(|at| resolutions[at].root.clone())
    };
    with_deep_stack(|| {
        let module =
            midenc_frontend_wasm::compile_module_with(wasm, &root_of).map_err(wasm_error)?;
        let linked = midenc_linker::link(&PackageSpec {
            name,
            version: "0.1.0",
            module: &module,
            wasm,
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
        input::Input::Package { package, .. } => Ok(*package),
    }
}

/// The default package name for an input file: its stem.
pub fn package_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "module".into())
}
