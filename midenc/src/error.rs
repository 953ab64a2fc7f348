//! The driver's error type: every failure a user can cause, rendered once by miette.

use std::path::PathBuf;

use miette::{NamedSource, SourceSpan};

/// A failed `midenc` command.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DriverError {
    /// An input file could not be read.
    // The causes of this and the other wrapping variants are part of their message, so they
    // are not also their `source` (miette would print the same text again as the cause).
    #[error("cannot read `{}`: {error}", path.display())]
    #[diagnostic(code(midenc::io::read))]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// An output file could not be written.
    #[error("cannot write `{}`: {error}", path.display())]
    #[diagnostic(code(midenc::io::write))]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A proof file that cannot be read, or whose proof does not check out.
    #[error("{message}")]
    #[diagnostic(code(midenc::proof), help("{help}"))]
    Proof {
        /// What did not match.
        message: String,
        /// What to do about it.
        help: String,
    },
    /// The input's kind could not be told from its name.
    #[error("cannot tell the kind of input `{}`", path.display())]
    #[diagnostic(code(midenc::input), help("inputs are `.wasm` or `.wat` files{}", if *allow_masp { ", or `.masp` packages" } else { "" }))]
    UnknownInput {
        /// The file.
        path: PathBuf,
        /// Whether packages are acceptable here.
        allow_masp: bool,
    },
    /// WAT text that does not parse.
    #[error("invalid WAT: {message}")]
    #[diagnostic(code(midenc::wat))]
    Wat {
        /// The parser's message.
        message: String,
        /// The text.
        #[source_code]
        src: NamedSource<String>,
        /// Where.
        #[label("here")]
        span: Option<SourceSpan>,
    },
    /// The Wasm frontend rejected the module.
    #[error("{}: {error}", path.display())]
    #[diagnostic(forward(error))]
    Wasm {
        /// The input file.
        path: PathBuf,
        /// What went wrong, with its byte offset (its code is the diagnostic's).
        error: midenc_frontend_wasm::WasmError,
    },
    /// A package file (`-L` or input) does not exist.
    #[error("package `{}` not found", path.display())]
    #[diagnostic(code(midenc::package::missing), help("check the path given with -L"))]
    MissingPackage {
        /// The file.
        path: PathBuf,
    },
    /// A package file could not be read as a midenc package.
    #[error("`{}`: {error}", path.display())]
    #[diagnostic(forward(error))]
    Package {
        /// The file.
        path: PathBuf,
        /// Why (its code and help are the diagnostic's).
        error: midenc_linker::LinkError,
    },
    /// A manifest file that cannot be read as a component manifest.
    #[error("`{}` is not a component manifest: {message}", path.display())]
    #[diagnostic(code(midenc::manifest), help("see docs/manifest.md for the schema"))]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Assembling, resolving or reading a package failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Link(#[from] midenc_linker::LinkError),
    /// A command-line request that cannot be carried out as given.
    #[error("{message}")]
    #[diagnostic(code(midenc::usage), help("{help}"))]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do instead.
        help: String,
    },
    /// `midenc build` found no Rust toolchain that can build for wasm32.
    #[error("no Rust toolchain that can build for wasm32 was found{detail}")]
    #[diagnostic(code(midenc::build::toolchain), help("{hint}"))]
    NoToolchain {
        /// What was looked at, or why the requested toolchain is unusable.
        detail: String,
        /// How to install one.
        hint: String,
    },
    /// cargo failed (its diagnostics have been shown above).
    #[error("could not build `{package}` for wasm32: {reason}")]
    #[diagnostic(code(midenc::build::cargo))]
    Cargo {
        /// The package.
        package: String,
        /// What went wrong.
        reason: String,
    },
    /// WIT that could not be loaded or bound.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Wit(#[from] midenc_wit::WitError),
    /// `--invoke` text that is not a valid WAVE call for the export.
    #[error("invalid --invoke: {message}")]
    #[diagnostic(code(midenc::invoke))]
    Invoke {
        /// What is wrong.
        message: String,
        /// The `--invoke` text.
        #[source_code]
        src: NamedSource<String>,
        /// Where in it.
        #[label("{label}")]
        span: SourceSpan,
        /// Label text.
        label: String,
        /// Extra help (e.g. the available exports).
        #[help]
        help: Option<String>,
    },
    /// The program trapped on the Miden VM.
    #[error("trap: {message}{}", location_suffix(location))]
    #[diagnostic(code(midenc::trap))]
    Trap {
        /// The trap reason, e.g. `integer divide by zero`.
        message: String,
        /// Where in the Wasm input it happened, when the package's trap table says.
        location: Option<midenc_linker::TrapLocation>,
    },
    /// The VM failed for a reason that is not a Wasm trap (a midenc or VM bug).
    #[error("Miden VM error: {message}")]
    #[diagnostic(code(midenc::vm))]
    Vm {
        /// The VM's message.
        message: String,
    },
    /// A transaction on the local mock chain could not be built or failed; the message
    /// carries the protocol's or the kernel's error.
    #[error("transaction: {message}")]
    #[diagnostic(code(midenc::transaction))]
    Transaction {
        /// What failed, and the protocol's error.
        message: String,
    },
}

/// ` (in f, at offset 0x2a)` for a known location, nothing otherwise.
fn location_suffix(location: &Option<midenc_linker::TrapLocation>) -> String {
    location
        .as_ref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default()
}

/// Result type of driver operations.
pub type DriverResult<T> = Result<T, DriverError>;
