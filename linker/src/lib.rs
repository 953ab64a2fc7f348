//! Assembly and packaging: MASM from the frontend becomes a `miden-mast-package` package.
//!
//! [`link`] assembles a compiled module with the real Miden assembler (the core library linked
//! statically, so the package has no runtime dependency on it), builds the package with its
//! exports, and embeds the [`ComponentManifest`]. [`LinkedPackage::from_bytes`] reads a package
//! back. This crate never parses Wasm and never executes code.

mod assemble;
mod error;
pub mod manifest;
mod output;

use std::sync::Arc;

use miden_assembly::Library;
use miden_mast_package::{Package, PackageId, Section, SectionId, TargetType, Version, Word};
use sha2::{Digest, Sha256};

pub use error::LinkError;
pub use manifest::{ComponentManifest, ManifestExport, MANIFEST_SCHEMA, MANIFEST_SECTION};
use midenc_abi::felt_count;
use midenc_frontend_wasm::CompiledModule;
pub use output::write_atomic;

/// What to package: a compiled module and the names to give it.
pub struct PackageSpec<'a> {
    /// Package name (also the MASM namespace of its module).
    pub name: &'a str,
    /// Semantic version.
    pub version: &'a str,
    /// The frontend's output.
    pub module: &'a CompiledModule,
    /// The input Wasm, for the manifest's digest.
    pub wasm: &'a [u8],
    /// The WIT world (text) of a component.
    pub world: Option<String>,
}

/// A package together with its decoded manifest.
pub struct LinkedPackage {
    /// The Miden package (library + exports + sections).
    pub package: Arc<Package>,
    /// The component manifest embedded in it.
    pub manifest: ComponentManifest,
}

/// Assembles `spec.module` and builds its package and manifest.
///
/// # Errors
/// [`LinkError::Assembly`] if the generated MASM does not assemble (a compiler bug, reported
/// with the assembler's diagnostic), [`LinkError::InvalidName`] for a bad package name or version.
pub fn link(spec: &PackageSpec<'_>) -> Result<LinkedPackage, LinkError> {
    let version = Version::parse(spec.version).map_err(|e| LinkError::InvalidName {
        what: "version",
        value: spec.version.to_string(),
        reason: e.to_string(),
    })?;
    let module_path = assemble::module_path(spec.name)?;
    let library = assemble::assemble_module(&module_path, &spec.module.masm)?;

    let mut exports = Vec::new();
    for export in &spec.module.exports {
        let root = assemble::export_root(&library, &module_path, &export.proc_name)?;
        let entry_root = match export.entry_proc.as_str() {
            "" => String::new(),
            entry => assemble::export_root(&library, &module_path, entry)?.to_hex(),
        };
        let (signature, felts_in, felts_out, spills) = match &export.wit {
            Some(sig) => (
                sig.wit_text(),
                sig.stack_felts_in(),
                sig.stack_felts_out(),
                sig.params_spill() || sig.results_spill(),
            ),
            None => (
                manifest::signature_text(&export.params, &export.results),
                felt_count(&export.params),
                felt_count(&export.results),
                false,
            ),
        };
        exports.push(ManifestExport {
            name: export.name.clone(),
            procedure: export.proc_name.clone(),
            signature,
            params: export.params.clone(),
            results: export.results.clone(),
            mast_root: root.to_hex(),
            invocation: "call".into(),
            stack_felts_in: felts_in,
            stack_felts_out: felts_out,
            spills,
            wit: export.wit.clone(),
            entry_mast_root: entry_root,
            writes_state: export.writes_state,
        });
    }
    let instantiate_root =
        assemble::export_root(&library, &module_path, &spec.module.instantiate_proc)?;
    let manifest = ComponentManifest {
        schema: MANIFEST_SCHEMA,
        name: spec.name.to_string(),
        version: version.to_string(),
        world: spec.world.clone(),
        wasm_sha256: hex(&Sha256::digest(spec.wasm)),
        module: module_path,
        exports,
        imports: Vec::new(),
        instantiate_mast_root: instantiate_root.to_hex(),
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    let mut package = Package::from_library(
        PackageId::from(spec.name),
        version,
        TargetType::Library,
        library,
        [],
    );
    package
        .sections
        .push(Section::new(manifest_section_id(), json));
    Ok(LinkedPackage {
        package: Arc::from(package),
        manifest,
    })
}

impl LinkedPackage {
    /// Serializes the package to the `.masp` format.
    pub fn to_bytes(&self) -> Vec<u8> {
        use miden_assembly::serde::Serializable;
        self.package.to_bytes()
    }

    /// Reads a `.masp` package and its embedded manifest.
    ///
    /// # Errors
    /// [`LinkError::BadPackage`] when the bytes are not a valid package or carry no manifest.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LinkError> {
        use miden_assembly::serde::Deserializable;
        let package = Package::read_from_bytes(bytes).map_err(|e| LinkError::BadPackage {
            reason: e.to_string(),
        })?;
        let section = package
            .sections
            .iter()
            .find(|s| s.id.as_str() == MANIFEST_SECTION)
            .ok_or_else(|| LinkError::BadPackage {
                reason: format!("no `{MANIFEST_SECTION}` section (not built by midenc)"),
            })?;
        let manifest: ComponentManifest =
            serde_json::from_slice(&section.data).map_err(|e| LinkError::BadPackage {
                reason: format!("manifest: {e}"),
            })?;
        Ok(LinkedPackage {
            package: Arc::new(package),
            manifest,
        })
    }

    /// Records the component's WIT world (text) in the manifest, embedded and JSON alike.
    ///
    /// `midenc build` knows the world only after the Wasm is compiled; readers such as
    /// `midenc bindings PKG.masp` take it from here.
    pub fn set_world(&mut self, world: Option<String>) {
        self.manifest.world = world;
        let json = serde_json::to_vec_pretty(&self.manifest).expect("manifest serializes");
        let mut package = (*self.package).clone();
        package
            .sections
            .retain(|s| s.id.as_str() != MANIFEST_SECTION);
        package
            .sections
            .push(Section::new(manifest_section_id(), json));
        self.package = Arc::new(package);
    }

    /// The library inside the package.
    pub fn library(&self) -> &Arc<Library> {
        &self.package.mast
    }

    /// The manifest entry and MAST root of export `name`.
    pub fn export(&self, name: &str) -> Option<(&ManifestExport, Word)> {
        let export = self.manifest.exports.iter().find(|e| e.name == name)?;
        let root = parse_word(&export.mast_root)?;
        Some((export, root))
    }

    /// The manifest as pretty JSON (what is written beside the package).
    pub fn manifest_json(&self) -> String {
        serde_json::to_string_pretty(&self.manifest).expect("manifest serializes")
    }
}

fn manifest_section_id() -> SectionId {
    SectionId::custom(MANIFEST_SECTION).expect("the manifest section id is valid")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses `0x` + 64 hex digits into a word.
pub fn parse_word(hex: &str) -> Option<Word> {
    Word::try_from(hex).ok()
}
