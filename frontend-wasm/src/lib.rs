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
mod pipeline;
mod prepare;
mod procs;
mod program;
mod runtime;
mod translate;
pub mod trap_sites;

pub use error::{WasmError, WasmResult};
pub use imports::{module_imports, ImportTarget, ImportedFunction};
pub use procs::FunctionProcs;
pub use program::{CompiledModule, ExportedFunction, MasmModule, MemoryNeeds, MODULE_SEPARATOR};
pub use runtime::RUNTIME_MODULE;

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
    pipeline::compile_with_wrappers(wasm, options, &|_| None, &[], |module, procs, out| {
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
    pipeline::compile_with_wrappers(wasm, options, bind, &[], |module, procs, out| {
        exports::emit_export_wrappers(module, procs, options, out)
    })
}
