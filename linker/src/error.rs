//! Errors of assembly, packaging and package reading.

/// Why linking or reading a package failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LinkError {
    /// The Miden assembler rejected generated MASM: always a midenc bug.
    #[error("internal error: generated MASM does not assemble: {report}")]
    #[diagnostic(
        code(midenc::link::assembly),
        help("please report this with the input module")
    )]
    Assembly {
        /// The assembler's rendered diagnostic.
        report: String,
    },
    /// A package name or version is not acceptable.
    #[error("invalid package {what} `{value}`: {reason}")]
    #[diagnostic(code(midenc::link::name))]
    InvalidName {
        /// `name` or `version`.
        what: &'static str,
        /// The rejected value.
        value: String,
        /// Why.
        reason: String,
    },
    /// An expected export is missing from the assembled library.
    #[error("internal error: export `{name}` is missing from the assembled library")]
    #[diagnostic(code(midenc::link::missing_export))]
    MissingExport {
        /// Procedure name.
        name: String,
    },
    /// Bytes that should be a midenc package are not.
    #[error("not a valid midenc package: {reason}")]
    #[diagnostic(code(midenc::package::invalid))]
    BadPackage {
        /// What was wrong.
        reason: String,
    },
}
