//! The component manifest: what a package exports, imports and needs, as JSON.
//!
//! The manifest is embedded in the package (custom section [`MANIFEST_SECTION`]) and written
//! beside it as `NAME.manifest.json`. Its shape is documented in `docs/manifest.md`; bump
//! [`MANIFEST_SCHEMA`] on any incompatible change.

use midenc_abi::CoreType;
use serde::{Deserialize, Serialize};

/// Version of the manifest's JSON shape.
pub const MANIFEST_SCHEMA: u32 = 1;

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
    /// Exported procedures.
    pub exports: Vec<ManifestExport>,
    /// Imported procedures and what they resolved to.
    pub imports: Vec<ManifestImport>,
    /// MAST root of the procedure that initializes a fresh instance (what every export's
    /// `call` does first). A program that `exec`s it once and then several exports'
    /// [`ManifestExport::entry_mast_root`]s runs several calls in one instance.
    #[serde(default)]
    pub instantiate_mast_root: String,
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
    /// The import's name (`module::name` for core imports).
    pub name: String,
    /// MAST root it resolved to.
    pub mast_root: String,
    /// The package that provides it, if one was linked.
    pub package: Option<String>,
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
