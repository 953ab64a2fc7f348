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
    /// A hand-written MASM module (`midenc compile LIB.masm`) the assembler rejects.
    #[error("`{name}` does not assemble: {report}")]
    #[diagnostic(code(midenc::masm::assembly))]
    MasmSource {
        /// The module's package name.
        name: String,
        /// The assembler's rendered diagnostic, with the source location.
        report: String,
    },
    /// A typed library whose WIT and MASM disagree, or whose signatures midenc cannot pass.
    #[error("typed library `{name}`: {reason}")]
    #[diagnostic(
        code(midenc::link::typed_library),
        help("each function the world exports names the module's `pub proc` of the same name, with `-` spelled `_`")
    )]
    TypedLibrary {
        /// The library's package name.
        name: String,
        /// What is wrong.
        reason: String,
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
    /// Account-component metadata the protocol's parser rejects.
    #[error("invalid account-component metadata in `{origin}`: {reason}")]
    #[diagnostic(
        code(midenc::contract::metadata),
        help("the metadata is the Miden protocol's account-component TOML: `name`, `description`, `version`, and `[[storage.slots]]` entries with `name` and `type`")
    )]
    ComponentMetadata {
        /// Where the metadata came from.
        origin: String,
        /// What the parser said.
        reason: String,
    },
    /// A note or transaction script's entry that the package lacks or whose signature the
    /// protocol cannot run.
    #[error("{kind} entry `{entry}`: {reason}")]
    #[diagnostic(
        code(midenc::contract::script_entry),
        help("a script's entry is an export taking nothing or one `word` (the note's or transaction's arguments) and returning nothing")
    )]
    ScriptEntry {
        /// `note script` or `transaction script`.
        kind: &'static str,
        /// The export named as the entry.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A script importing a protocol function that only the account's own procedures may
    /// invoke.
    #[error("a {kind} cannot call `{function}`: the kernel lets only the account's own procedures read or change its storage and vault")]
    #[diagnostic(
        code(midenc::contract::account_only),
        help("call a procedure of the account that does it (for example the basic wallet's `receive-asset`), or move this code into an account component")
    )]
    AccountOnly {
        /// `note script` or `transaction script`.
        kind: &'static str,
        /// The imported function's full WIT name.
        function: String,
    },
    /// An import that no linked package provides.
    #[error("unresolved import `{import}` {signature}: {why}")]
    #[diagnostic(code(midenc::link::unresolved), help("{help}"))]
    Unresolved {
        /// The import (`module::name` or full WIT name).
        import: String,
        /// Its signature.
        signature: String,
        /// What was searched.
        why: String,
        /// What to do about it.
        help: String,
    },
    /// An import and the export it resolved to disagree on the signature.
    #[error(
        "signature mismatch: import `{import}` is {import_signature} ({import_felts}), but \
         `{export}` in package `{package}` ({origin}) is {export_signature} ({export_felts})"
    )]
    #[diagnostic(code(midenc::link::signature), help("{help}"))]
    SignatureMismatch {
        /// The import.
        import: String,
        /// The import's signature.
        import_signature: String,
        /// The import's felts in/out, as text.
        import_felts: String,
        /// The providing package.
        package: String,
        /// Where it was loaded from.
        origin: String,
        /// The export.
        export: String,
        /// The export's signature.
        export_signature: String,
        /// The export's felts in/out, as text.
        export_felts: String,
        /// What has to agree, and how to get it right.
        help: String,
    },
    /// Two linked packages provide the same import.
    #[error(
        "import `{import}` is provided twice: by `{first_export}` in package `{first_package}` \
         ({first_origin}) and by `{second_export}` in package `{second_package}` ({second_origin})"
    )]
    #[diagnostic(
        code(midenc::link::duplicate_export),
        help("link only one of the two packages")
    )]
    DuplicateExport {
        /// The import being resolved.
        import: String,
        /// First provider's package.
        first_package: String,
        /// Where it was loaded from.
        first_origin: String,
        /// Its export.
        first_export: String,
        /// Second provider's package.
        second_package: String,
        /// Where it was loaded from.
        second_origin: String,
        /// Its export.
        second_export: String,
    },
    /// Two different packages with the same name were linked.
    #[error(
        "package `{name}` is linked twice with different contents: {first_origin} (digest \
         {first_digest}) and {second_origin} (digest {second_digest})"
    )]
    #[diagnostic(code(midenc::link::duplicate_package))]
    DuplicatePackage {
        /// The package name.
        name: String,
        /// First file.
        first_origin: String,
        /// Its digest.
        first_digest: String,
        /// Second file.
        second_origin: String,
        /// Its digest.
        second_digest: String,
    },
    /// A package needs a dependency that was not linked.
    #[error(
        "package `{dependent}` ({dependent_origin}) depends on `{name}` {version} (digest \
         {digest}), which no -L package provides"
    )]
    #[diagnostic(
        code(midenc::link::missing_dependency),
        help("pass the package `{name}` with -L")
    )]
    MissingDependency {
        /// The package that needs it.
        dependent: String,
        /// Where that package came from.
        dependent_origin: String,
        /// The dependency's name.
        name: String,
        /// Its recorded version.
        version: String,
        /// Its recorded digest.
        digest: String,
    },
    /// A linked package is not the one a dependent was built against.
    #[error(
        "digest mismatch for `{name}`: package `{dependent}` ({dependent_origin}) was linked \
         against `{name}` {expected_version} with digest {expected}, but {origin} holds `{name}` \
         {found_version} with digest {found}"
    )]
    #[diagnostic(
        code(midenc::link::digest_mismatch),
        help("rebuild `{dependent}` against this `{name}`, or link the package it was built with")
    )]
    DigestMismatch {
        /// The package that needs it.
        dependent: String,
        /// Where that package came from.
        dependent_origin: String,
        /// The dependency's name.
        name: String,
        /// Version recorded by the dependent.
        expected_version: String,
        /// Digest recorded by the dependent.
        expected: String,
        /// The linked file.
        origin: String,
        /// Its version.
        found_version: String,
        /// Its digest.
        found: String,
    },
}
