//! The frontend's one error type: every failure carries the byte offset in the input Wasm.

/// Why a Wasm input could not be compiled.
///
/// `Invalid` is for inputs that are not valid WebAssembly; `Unsupported` for valid inputs that
/// use something midenc does not compile (never silently miscompiled); `ImplLimit` for valid,
/// supported inputs that exceed a limit of the Miden target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum WasmError {
    /// The input is not valid WebAssembly (malformed binary or failed validation).
    #[error("invalid WebAssembly: {message} (at offset {offset:#x})")]
    #[diagnostic(code(midenc::wasm::invalid))]
    Invalid {
        /// What the parser or validator reported.
        message: String,
        /// Byte offset in the input.
        offset: u64,
    },
    /// Valid WebAssembly that uses a feature midenc does not compile.
    #[error("unsupported: {feature} (in {function}, at offset {offset:#x})")]
    #[diagnostic(code(midenc::wasm::unsupported))]
    Unsupported {
        /// The feature, e.g. `f32.add` or `memory64`.
        feature: String,
        /// The function it appears in, by name where the module has one, or `module`.
        function: String,
        /// Byte offset in the input.
        offset: u64,
    },
    /// A limit of the Miden target was exceeded.
    #[error("implementation limit: {message} (in {function}, at offset {offset:#x})")]
    #[diagnostic(code(midenc::wasm::limit))]
    ImplLimit {
        /// What limit, and by how much.
        message: String,
        /// The function concerned, or `module`.
        function: String,
        /// Byte offset in the input.
        offset: u64,
    },
}

impl WasmError {
    /// The byte offset in the input Wasm that the error points at.
    pub fn offset(&self) -> u64 {
        match self {
            WasmError::Invalid { offset, .. }
            | WasmError::Unsupported { offset, .. }
            | WasmError::ImplLimit { offset, .. } => *offset,
        }
    }
}

impl From<wasmparser::BinaryReaderError> for WasmError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        WasmError::Invalid {
            message: e.message().to_string(),
            offset: e.offset(),
        }
    }
}

/// Result type of the frontend.
pub type WasmResult<T> = Result<T, WasmError>;
