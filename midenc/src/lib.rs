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
pub mod status;
pub mod toolchain;
pub mod vm;

use std::path::Path;

use error::{DriverError, DriverResult};
use midenc_frontend_wasm::{component, CompiledModule};
use midenc_linker::{LinkedPackage, PackageSpec};

/// Compiles a Wasm binary to a linked package named `name`.
pub fn compile_wasm(path: &Path, wasm: &[u8], name: &str) -> DriverResult<LinkedPackage> {
    Ok(compile_wasm_with(path, wasm, name, None)?.1)
}

/// A WIT world given on the command line for a core module (`--wit PATH [--world NAME]`).
pub struct WitWorld<'a> {
    /// The WIT file or directory.
    pub path: &'a Path,
    /// The world, when the package has several.
    pub world: Option<&'a str>,
}

/// Compiles a core module, a core module with a WIT world, or a component, and links it;
/// returns the MASM module too (for `--emit masm`).
pub fn compile_wasm_with(
    path: &Path,
    wasm: &[u8],
    name: &str,
    wit: Option<&WitWorld<'_>>,
) -> DriverResult<(CompiledModule, LinkedPackage)> {
    let wasm_error = |source| DriverError::Wasm { path: path.into(), source };
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
    with_deep_stack(|| {
        let (module, world) = if wasmparser_is_component(wasm) {
            let c = component::compile_component(wasm).map_err(wasm_error)?;
            (c.module, Some(c.world_text))
        } else if let Some((loaded, world)) = &loaded {
            let c = component::compile_core_with_world(wasm, &loaded.resolve, *world)
                .map_err(wasm_error)?;
            (c.module, Some(c.world_text))
        } else {
            (midenc_frontend_wasm::compile_module(wasm).map_err(wasm_error)?, None)
        };
        let linked = midenc_linker::link(&PackageSpec {
            name,
            version: "0.1.0",
            module: &module,
            wasm,
            world,
        })?;
        Ok((module, linked))
    })
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

/// Loads `path` (`.wat`, `.wasm`, or `.masp`) and returns its package, compiling if needed.
pub fn compile_file(path: &Path) -> DriverResult<LinkedPackage> {
    match input::load(path, true)? {
        input::Input::Wasm { path, bytes } => compile_wasm(&path, &bytes, &package_name(&path)),
        input::Input::Package { package, .. } => Ok(*package),
    }
}

/// The default package name for an input file: its stem.
pub fn package_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "module".into())
}
