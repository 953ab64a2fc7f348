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
pub use imports::{module_imports, Binding, ImportTarget, ImportedFunction, Invocation};
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

/// Options of a [`Request`].
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

/// How named imports are bound: the MAST root (`0x` + 64 hex digits) of the linked export each
/// one resolves to, and whether it is `call`ed or `exec`ed. `mast:0x…` imports carry their
/// root, are always `call`ed and do not consult it.
pub type Bind<'a> = &'a dyn Fn(&ImportedFunction) -> Option<Binding>;

/// Binds no named import (a module without any, or one compiled only to be inspected).
fn no_bindings(_: &ImportedFunction) -> Option<Binding> {
    None
}

/// One compilation of a core module: the only argument of [`compile_module`].
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The module binary.
    pub wasm: &'a [u8],
    /// How to compile it.
    pub options: CompileOptions,
    /// The roots of its named imports (by default none: a named import is then an error).
    pub bind: Bind<'a>,
}

impl<'a> Request<'a> {
    /// A request for `wasm` with default options and no named imports bound.
    pub fn new(wasm: &'a [u8]) -> Self {
        Request {
            wasm,
            options: CompileOptions::default(),
            bind: &no_bindings,
        }
    }

    /// The same request with `options`.
    pub fn with_options(self, options: CompileOptions) -> Self {
        Request { options, ..self }
    }

    /// The same request with named imports bound by `bind`.
    pub fn with_bind(self, bind: Bind<'a>) -> Self {
        Request { bind, ..self }
    }
}

/// Compiles a core Wasm module (binary) to MASM.
///
/// # Errors
/// [`WasmError::Invalid`] when the module does not validate, [`WasmError::Unsupported`] when it
/// uses a feature midenc does not compile (naming the function and byte offset) or a named
/// import the request does not bind, and [`WasmError::ImplLimit`] when it exceeds a limit of
/// the Miden target. Under [`UnsupportedCode::Trap`], unsupported code inside function bodies
/// and signatures is no longer an error.
pub fn compile_module(request: &Request<'_>) -> WasmResult<CompiledModule> {
    let options = &request.options;
    pipeline::compile_with_wrappers(
        request.wasm,
        options,
        request.bind,
        &[],
        |module, procs, out| exports::emit_export_wrappers(module, procs, options, out),
    )
}
