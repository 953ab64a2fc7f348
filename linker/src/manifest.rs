//! The component manifest: what a package exports, imports and needs, as JSON.
//!
//! The manifest is embedded in the package (custom section [`MANIFEST_SECTION`]) and written
//! beside it as `NAME.manifest.json`. Its shape is documented in `docs/manifest.md`; bump
//! [`MANIFEST_SCHEMA`] on any incompatible change.

use midenc_abi::CoreType;
use serde::{Deserialize, Serialize};

/// Version of the manifest's JSON shape.
pub const MANIFEST_SCHEMA: u32 = 3;

/// Name of the package section that carries the manifest.
pub const MANIFEST_SECTION: &str = "midenc_component_manifest";

/// Everything a user or another tool needs to know about a compiled package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentManifest {
    /// Shape version of this JSON ([`MANIFEST_SCHEMA`]).
    pub schema: u32,
    /// Package name.
    pub name: String,
    /// Package version (semver).
    pub version: String,
    /// The WIT world of the component, as text, when it has one.
    pub world: Option<String>,
    /// Hex SHA-256 of the input Wasm, so a package can be traced to its source.
    pub wasm_sha256: String,
    /// The MASM module path under which the exports live.
    pub module: String,
    /// Digest of the package's MAST (what dependents record, `Package::digest`).
    pub mast_digest: String,
    /// Exported procedures.
    pub exports: Vec<ManifestExport>,
    /// Imported procedures and what they resolved to.
    pub imports: Vec<ManifestImport>,
    /// MAST root of the procedure that initializes a fresh instance (what every export's
    /// `call` does first). A program that `exec`s it once and then several exports'
    /// [`ManifestExport::entry_mast_root`]s runs several calls in one instance.
    #[serde(default)]
    pub instantiate_mast_root: String,
    /// Packages that must be available when this one runs (also in the package's own
    /// dependency list).
    pub dependencies: Vec<ManifestDependency>,
    /// The linear memory the code needs, if any.
    pub memory: Option<ManifestMemory>,
    /// Active data segments, written into memory at the start of every call.
    pub data_segments: Vec<ManifestDataSegment>,
    /// Sizes of the generated code.
    pub sizes: ManifestSizes,
    /// What the package is for, as `miden-mast-package` names its target types: `library`
    /// (callable exports), `account-component` (an account's code, with storage slots) or
    /// `note-script` (the code a note runs when it is consumed).
    #[serde(default = "library_kind")]
    pub kind: String,
    /// The storage slots an account component declares, in the order the protocol keeps them
    /// (empty for other kinds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storage: Vec<ManifestStorageSlot>,
    /// For a note script: the export the protocol runs when the note is consumed (the
    /// procedure marked `@note_script`); empty for other kinds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entry: String,
}

/// The kind of a package that declares none (and of every package before kinds existed).
pub fn library_kind() -> String {
    "library".into()
}

/// One storage slot of an account component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestStorageSlot {
    /// The slot's name (`namespace::name`), by which code and tools address it.
    pub name: String,
    /// `value` (one word) or `map` (words keyed by words).
    pub kind: String,
    /// The slot's description, if it has one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The slot's identifier as the protocol procedures take it, `[suffix, prefix]`: the first
    /// two felts of the hash of its name.
    #[serde(default)]
    pub id: [u64; 2],
}

/// One exported procedure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestExport {
    /// The export's name in the source (Wasm export name or WIT name).
    pub name: String,
    /// The MASM procedure name inside [`ComponentManifest::module`].
    pub procedure: String,
    /// Signature in Wasm text form, e.g. `(i32, i64) -> i32`.
    pub signature: String,
    /// Parameter types, first first.
    pub params: Vec<CoreType>,
    /// Result types, first first.
    pub results: Vec<CoreType>,
    /// MAST root of the procedure, `0x` + 64 hex digits.
    pub mast_root: String,
    /// How callers invoke it: `call` (a fresh memory context).
    pub invocation: String,
    /// Felts the caller passes on the stack.
    pub stack_felts_in: usize,
    /// Felts returned on the stack.
    pub stack_felts_out: usize,
    /// Whether arguments or results travel through the advice map.
    pub spills: bool,
    /// MAST root of the export's entry procedure: the same stack interface, run against the
    /// current instance instead of a fresh one (invoked with `exec`); empty for component
    /// exports.
    #[serde(default)]
    pub entry_mast_root: String,
    /// Whether a call may change instance state (memory, globals, tables, segments).
    #[serde(default)]
    pub writes_state: bool,
    /// For a component export: its WIT signature (types in full), which `params`/`results`
    /// (core types) then leave empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wit: Option<midenc_abi::WitSignature>,
}

/// One imported procedure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestImport {
    /// The Wasm import's module name (`mast:0x…` or a WIT interface name).
    pub module: String,
    /// The Wasm import's field name.
    pub name: String,
    /// How it is bound: `mast` (by MAST root) or `named` (by full WIT name).
    pub kind: ImportKind,
    /// Signature in Wasm text form, e.g. `(i32, i64) -> i32`.
    pub signature: String,
    /// Parameter types, first first.
    pub params: Vec<CoreType>,
    /// Result types, first first.
    pub results: Vec<CoreType>,
    /// Felts passed on the stack.
    pub stack_felts_in: usize,
    /// Felts returned on the stack.
    pub stack_felts_out: usize,
    /// Whether arguments or results travel through the advice map.
    pub spills: bool,
    /// The MAST root that is called, `0x` + 64 hex digits.
    pub mast_root: String,
    /// The linked export that provides it, or `null` for an external dependency (a
    /// `mast:` import left unresolved with `--allow-unresolved`).
    pub resolved: Option<ImportBinding>,
    /// For an import of a component's WIT world: its WIT signature (the provider's export
    /// must have the same types); `params`/`results` are then the core function's lowered
    /// types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wit: Option<midenc_abi::WitSignature>,
    /// How the adapter invokes the bound procedure: `call` (a fresh memory context, 16 felts
    /// each way) or `exec` (the caller's stack and memory: the Miden protocol library and other
    /// typed MASM libraries).
    #[serde(default = "call_invocation")]
    pub invocation: String,
}

fn call_invocation() -> String {
    "call".into()
}

impl ManifestImport {
    /// The name diagnostics use: `module::name` for `mast:` imports, the full WIT name
    /// (`ns:pkg/iface@ver#func`) for named ones.
    pub fn display_name(&self) -> String {
        match self.kind {
            ImportKind::Mast => format!("{}::{}", self.module, self.name),
            ImportKind::Named => format!("{}#{}", self.module, self.name),
        }
    }
}

/// How an import is bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    /// By MAST root (`mast:0x…` module name).
    Mast,
    /// By full WIT name against the exports of linked packages.
    Named,
}

/// The linked export an import resolved to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportBinding {
    /// Name of the package that provides it.
    pub package: String,
    /// That package's version.
    pub version: String,
    /// That package's MAST digest.
    pub digest: String,
    /// The export's name in that package.
    pub export: String,
}

/// A package this one depends on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestDependency {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
    /// Its MAST digest, `0x` + 64 hex digits.
    pub digest: String,
}

/// Linear memory needs, in 64 KiB pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestMemory {
    /// Pages at the start of every call.
    pub initial_pages: u32,
    /// The most pages `memory.grow` can reach.
    pub maximum_pages: u32,
}

/// An active data segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestDataSegment {
    /// Byte offset in linear memory.
    pub offset: u32,
    /// Length in bytes.
    pub bytes: u32,
}

/// Sizes of the generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSizes {
    /// Bytes of generated MASM text.
    pub masm_bytes: usize,
    /// Nodes in the package's MAST forest.
    pub mast_nodes: usize,
    /// Procedures (roots) in the MAST forest.
    pub procedures: usize,
}

/// Renders a core signature as `(i32, i64) -> i32`.
pub fn signature_text(params: &[CoreType], results: &[CoreType]) -> String {
    let list = |tys: &[CoreType]| {
        tys.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match results.len() {
        0 => format!("({})", list(params)),
        1 => format!("({}) -> {}", list(params), results[0]),
        _ => format!("({}) -> ({})", list(params), list(results)),
    }
}
