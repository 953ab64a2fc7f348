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
use midenc_linker::{LinkedPackage, PackageSpec};

/// Compiles a Wasm binary to a linked package named `name`.
pub fn compile_wasm(path: &Path, wasm: &[u8], name: &str) -> DriverResult<LinkedPackage> {
    with_deep_stack(|| {
        let module =
            midenc_frontend_wasm::compile_module(wasm).map_err(|source| DriverError::Wasm {
                path: path.into(),
                source,
            })?;
        Ok(midenc_linker::link(&PackageSpec {
            name,
            version: "0.1.0",
            module: &module,
            wasm,
        })?)
    })
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
