//! Assembly and packaging: MASM from the frontend becomes a `miden-mast-package` package.
//!
//! [`LinkSet::resolve`] binds a module's imports to the exports of the packages given with `-L`
//! (`resolve.rs`). [`link`] assembles a compiled module with the real Miden assembler (the core
//! library linked statically, so the package has no runtime dependency on it), builds the package
//! with its exports and dependencies, and embeds the [`ComponentManifest`].
//! [`LinkedPackage::from_bytes`] reads a package back and checks it against its manifest. This
//! crate never parses Wasm and never executes code.
// Diagnostics carry their source text and spans for miette; they are built once, on the way
// out of a failing command, so their size costs nothing that boxing would save.
#![allow(clippy::result_large_err)]

mod assemble;
mod contract;
mod error;
pub mod manifest;
mod output;
mod resolve;
pub mod traps;
mod typed_library;

use std::sync::Arc;

use miden_assembly::Library;
use miden_mast_package::{
    Dependency, Package, PackageId, Section, SectionId, TargetType, Version, Word,
};
use sha2::{Digest, Sha256};

pub use contract::storage_slot_id;
pub use error::LinkError;
pub use manifest::{
    ComponentManifest, ImportBinding, ImportKind, ManifestDataSegment, ManifestDependency,
    ManifestExport, ManifestImport, ManifestMemory, ManifestSizes, ManifestStorageSlot,
    MANIFEST_SCHEMA, MANIFEST_SECTION,
};
use midenc_abi::felt_count;
use midenc_frontend_wasm::CompiledModule;
pub use output::write_atomic;
pub use resolve::{LinkInput, LinkSet, Resolution};
pub use traps::{TrapLocation, TrapTable, TRAPS_SECTION};
pub use typed_library::{
    protocol_library, protocol_package, standards_package, typed_library, typed_masm,
    TypedProcedure, PROTOCOL_PACKAGE, PROTOCOL_VERSION, STANDARDS_PACKAGE, STANDARDS_VERSION,
};

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
    /// How each of `module.imports` was resolved, in the same order (from [`LinkSet::resolve`]).
    pub resolutions: &'a [Resolution],
}

/// A package together with its decoded manifest.
pub struct LinkedPackage {
    /// The Miden package (library + exports + sections).
    pub package: Arc<Package>,
    /// The component manifest embedded in it.
    pub manifest: ComponentManifest,
    /// Where the package's code comes from in its Wasm input, for trap messages (empty for
    /// packages without the table).
    pub traps: TrapTable,
    /// Whether the package was built without midenc (a plain Miden library): its manifest is
    /// derived from the package's own exports and has their MAST roots but no signatures, so
    /// it can serve `mast:0x…` imports but not be run or bound by name.
    pub plain: bool,
    /// The `.masp` bytes of the package they were made from, when linking produced them
    /// (serializing a large package costs about a tenth of its compile time, and the checksum
    /// section needs a serialization anyway); [`LinkedPackage::to_bytes`] uses them while
    /// `package` is still that package.
    serialized: Option<(Arc<Package>, Vec<u8>)>,
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
    let sources = spec.module.masm_sources(&module_path);
    let library = assemble::assemble_modules(&sources)?;
    let masm_bytes = spec.module.masm_listing(&module_path).len();
    let traps = TrapTable::of(spec.module, &sources, &module_path, library.mast_forest());

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
    if spec.resolutions.len() != spec.module.imports.len() {
        return Err(LinkError::BadPackage {
            reason: format!(
                "internal error: {} resolutions for {} imports",
                spec.resolutions.len(),
                spec.module.imports.len()
            ),
        });
    }
    let mut imports = Vec::new();
    let mut dependencies: Vec<ManifestDependency> = Vec::new();
    for ((import, root), resolution) in spec.module.imports.iter().zip(spec.resolutions) {
        let (felts_in, felts_out) = import.stack_felts();
        if let Some(binding) = &resolution.provider {
            if !dependencies.iter().any(|d| d.name == binding.package) {
                dependencies.push(ManifestDependency {
                    name: binding.package.clone(),
                    version: binding.version.clone(),
                    digest: binding.digest.clone(),
                });
            }
        }
        imports.push(ManifestImport {
            module: import.module.clone(),
            name: import.name.clone(),
            kind: resolve::import_kind(&import.target),
            signature: resolve::import_signature_text(import),
            params: import.params.clone(),
            results: import.results.clone(),
            stack_felts_in: felts_in,
            stack_felts_out: felts_out,
            spills: import.spills(),
            mast_root: root.clone(),
            resolved: resolution.provider.clone(),
            wit: import.wit.clone(),
            invocation: resolution.invocation.as_str().into(),
        });
    }
    let package_deps = dependencies
        .iter()
        .map(|d| {
            let bad = |reason: String| LinkError::BadPackage {
                reason: format!("dependency `{}`: {reason}", d.name),
            };
            Ok(Dependency {
                name: PackageId::from(d.name.as_str()),
                kind: TargetType::Library,
                version: Version::parse(&d.version).map_err(|e| bad(e.to_string()))?,
                digest: parse_word(&d.digest).ok_or_else(|| bad("malformed digest".into()))?,
            })
        })
        .collect::<Result<Vec<_>, LinkError>>()?;
    let forest = library.mast_forest();
    let manifest = ComponentManifest {
        schema: MANIFEST_SCHEMA,
        name: spec.name.to_string(),
        version: version.to_string(),
        world: spec.world.clone(),
        wasm_sha256: hex(&Sha256::digest(spec.wasm)),
        module: module_path,
        mast_digest: library.digest().to_hex(),
        exports,
        imports,
        instantiate_mast_root: instantiate_root.to_hex(),
        dependencies,
        memory: spec.module.memory.map(|m| ManifestMemory {
            initial_pages: m.initial_pages,
            maximum_pages: m.maximum_pages,
        }),
        data_segments: spec
            .module
            .data_segments
            .iter()
            .map(|(offset, bytes)| ManifestDataSegment {
                offset: *offset,
                bytes: *bytes,
            })
            .collect(),
        sizes: ManifestSizes {
            masm_bytes,
            mast_nodes: forest.num_nodes() as usize,
            procedures: forest.num_procedures() as usize,
        },
        kind: manifest::library_kind(),
        storage: Vec::new(),
        entry: String::new(),
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    let mut package = Package::from_library(
        PackageId::from(spec.name),
        version,
        TargetType::Library,
        library,
        package_deps,
    );
    package
        .sections
        .push(Section::new(section_id(TRAPS_SECTION), traps.to_section()));
    let bytes = embed_manifest(&mut package, json);
    let package: Arc<Package> = Arc::from(package);
    Ok(LinkedPackage {
        serialized: Some((package.clone(), bytes)),
        package,
        manifest,
        traps,
        plain: false,
    })
}

impl LinkedPackage {
    /// Serializes the package to the `.masp` format.
    pub fn to_bytes(&self) -> Vec<u8> {
        use miden_assembly::serde::Serializable;
        match &self.serialized {
            Some((package, bytes)) if Arc::ptr_eq(package, &self.package) => bytes.clone(),
            _ => self.package.to_bytes(),
        }
    }

    /// Reads a `.masp` package and its embedded manifest.
    ///
    /// # Errors
    /// [`LinkError::BadPackage`] when the bytes are not a valid package or carry no manifest.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LinkError> {
        use miden_assembly::serde::Deserializable;
        let mut package = Package::read_from_bytes(bytes).map_err(|e| LinkError::BadPackage {
            reason: e.to_string(),
        })?;
        let ours = |id: &str| package.sections.iter().any(|s| s.id.as_str() == id);
        if !ours(CHECKSUM_SECTION) && !ours(MANIFEST_SECTION) {
            return Ok(LinkedPackage {
                manifest: plain_manifest(&package),
                package: Arc::new(package),
                traps: TrapTable::default(),
                plain: true,
                serialized: None,
            });
        }
        verify_checksum(&mut package)?;
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
        let traps = package
            .sections
            .iter()
            .find(|s| s.id.as_str() == TRAPS_SECTION)
            .map(|s| TrapTable::from_section(&s.data))
            .unwrap_or_default();
        // The checksum section was taken off to verify it; `to_bytes` gives back these bytes.
        let package = Arc::new(package);
        let linked = LinkedPackage {
            package: package.clone(),
            manifest,
            traps,
            plain: false,
            serialized: Some((package, bytes.to_vec())),
        };
        linked.check_integrity()?;
        Ok(linked)
    }

    /// Checks that the package is the one its manifest describes: same name, version and MAST
    /// digest, every export root present, and the same dependencies. A corrupted package that
    /// still deserializes fails here instead of running the wrong code.
    fn check_integrity(&self) -> Result<(), LinkError> {
        let m = &self.manifest;
        let bad = |reason: String| Err(LinkError::BadPackage { reason });
        // Schema 3 added the package kind and storage slots; a schema 2 manifest describes a
        // library (the defaults).
        if !(2..=MANIFEST_SCHEMA).contains(&m.schema) {
            return bad(format!(
                "manifest schema {} (this midenc reads schemas 2 to {MANIFEST_SCHEMA})",
                m.schema
            ));
        }
        if m.name != self.package.name.to_string() {
            return bad(format!(
                "the manifest names `{}` but the package is `{}`",
                m.name, self.package.name
            ));
        }
        if m.version != self.package.version.to_string() {
            return bad(format!(
                "the manifest says version {} but the package is {}",
                m.version, self.package.version
            ));
        }
        if contract::stored_kind(&m.kind) != contract::kind_name(self.package.kind) {
            return bad(format!(
                "the manifest says kind `{}` but the package is `{}`",
                m.kind,
                contract::kind_name(self.package.kind)
            ));
        }
        if m.mast_digest != self.digest() {
            return bad(format!(
                "MAST digest {} differs from the manifest's {}",
                self.digest(),
                m.mast_digest
            ));
        }
        let forest = self.library().mast_forest();
        for export in &m.exports {
            let present = parse_word(&export.mast_root)
                .is_some_and(|root| forest.find_procedure_root(root).is_some());
            if !present {
                return bad(format!(
                    "export `{}` (MAST root {}) is not in the package's MAST",
                    export.name, export.mast_root
                ));
            }
        }
        let recorded: Vec<(String, String, String)> = self
            .package
            .manifest
            .dependencies()
            .map(|d| (d.name.to_string(), d.version.to_string(), d.digest.to_hex()))
            .collect();
        let described: Vec<(String, String, String)> = m
            .dependencies
            .iter()
            .map(|d| (d.name.clone(), d.version.clone(), d.digest.clone()))
            .collect();
        if recorded != described {
            return bad("the package's dependencies differ from the manifest's".into());
        }
        Ok(())
    }

    /// The package's MAST digest (`0x` + 64 hex digits): what dependents record.
    pub fn digest(&self) -> String {
        self.package.digest().to_hex()
    }

    /// Records the component's WIT world (text) in the manifest, embedded and JSON alike.
    ///
    /// `midenc build` knows the world only after the Wasm is compiled; readers such as
    /// `midenc bindings PKG.masp` take it from here.
    pub fn set_world(&mut self, world: Option<String>) {
        self.manifest.world = world;
        self.reembed(|_| {});
    }

    /// Rebuilds the package after a change to [`Self::manifest`]: `edit` changes the rest of
    /// the package, then the manifest and checksum sections are written again.
    fn reembed(&mut self, edit: impl FnOnce(&mut Package)) {
        let mut package = (*self.package).clone();
        package
            .sections
            .retain(|s| s.id.as_str() != MANIFEST_SECTION && s.id.as_str() != CHECKSUM_SECTION);
        edit(&mut package);
        // The edit may change the MAST (a transaction script's program) and so its digest.
        self.manifest.mast_digest = package.digest().to_hex();
        let json = serde_json::to_vec_pretty(&self.manifest).expect("manifest serializes");
        let bytes = embed_manifest(&mut package, json);
        let package = Arc::new(package);
        self.serialized = Some((package.clone(), bytes));
        self.package = package;
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
    section_id(MANIFEST_SECTION)
}

fn section_id(name: &str) -> SectionId {
    SectionId::custom(name).expect("midenc's section ids are valid")
}

/// Adds the manifest section, then the checksum section, which covers everything before it
/// (the manifest included); returns the package's `.masp` bytes.
fn embed_manifest(package: &mut Package, manifest_json: Vec<u8>) -> Vec<u8> {
    use miden_assembly::serde::Serializable;
    package
        .sections
        .push(Section::new(manifest_section_id(), manifest_json));
    let unsigned = package.to_bytes();
    let checksum = checksum_of(&unsigned);
    let sections = package.sections.to_bytes();
    package
        .sections
        .push(Section::new(section_id(CHECKSUM_SECTION), checksum));
    // The sections are the last field of a serialized package: the package's bytes are the
    // checksummed bytes with the section list replaced, not a second serialization.
    match unsigned.strip_suffix(sections.as_slice()) {
        Some(head) => [head, &package.sections.to_bytes()].concat(),
        None => package.to_bytes(),
    }
}

/// The manifest of a package midenc did not compile from Wasm (a plain Miden library, or a typed
/// MASM library): its exports, sizes and kind, and nothing about Wasm.
pub(crate) fn exports_only_manifest(
    name: &str,
    version: &str,
    library: &Library,
    exports: Vec<ManifestExport>,
    kind: &str,
) -> ComponentManifest {
    let forest = library.mast_forest();
    ComponentManifest {
        schema: MANIFEST_SCHEMA,
        name: name.to_string(),
        version: version.to_string(),
        world: None,
        wasm_sha256: String::new(),
        module: String::new(),
        mast_digest: library.digest().to_hex(),
        exports,
        imports: Vec::new(),
        instantiate_mast_root: String::new(),
        dependencies: Vec::new(),
        memory: None,
        data_segments: Vec::new(),
        sizes: ManifestSizes {
            masm_bytes: 0,
            mast_nodes: forest.num_nodes() as usize,
            procedures: forest.num_procedures() as usize,
        },
        kind: kind.into(),
        storage: Vec::new(),
        entry: String::new(),
    }
}

/// The manifest of a package built without midenc: its exported procedures by path and MAST
/// root (`signature` says that none is recorded), no imports, instance or memory.
fn plain_manifest(package: &Package) -> ComponentManifest {
    let exports = package
        .manifest
        .exports()
        .filter_map(|export| match export {
            miden_mast_package::PackageExport::Procedure(p) => Some(p),
            _ => None,
        })
        .map(|p| {
            let path = p.path.to_string();
            ManifestExport {
                procedure: path.rsplit("::").next().unwrap_or(&path).to_string(),
                name: path,
                signature: "(not recorded: a plain Miden library)".into(),
                params: Vec::new(),
                results: Vec::new(),
                mast_root: p.digest.to_hex(),
                invocation: "call".into(),
                stack_felts_in: 0,
                stack_felts_out: 0,
                spills: false,
                entry_mast_root: String::new(),
                writes_state: false,
                wit: None,
            }
        })
        .collect();
    exports_only_manifest(
        package.name.as_ref(),
        &package.version.to_string(),
        package.mast.as_ref(),
        exports,
        contract::kind_name(package.kind),
    )
}

/// Name of the package section holding [`package_checksum`] of the rest of the package.
pub const CHECKSUM_SECTION: &str = "midenc_checksum";

/// Hex SHA-256 of the package's serialization (without a checksum section). The MAST digest
/// covers only the code: this also covers the advice map, names, dependencies and manifest, so
/// any corruption of a `.masp` file is detected.
fn package_checksum(package: &Package) -> Vec<u8> {
    use miden_assembly::serde::Serializable;
    checksum_of(&package.to_bytes())
}

/// The checksum section's contents for a package serialized (without it) as `bytes`.
fn checksum_of(bytes: &[u8]) -> Vec<u8> {
    hex(&Sha256::digest(bytes)).into_bytes()
}

/// Removes the checksum section of a freshly read package and checks it against the rest.
fn verify_checksum(package: &mut Package) -> Result<(), LinkError> {
    let at = package
        .sections
        .iter()
        .rposition(|s| s.id.as_str() == CHECKSUM_SECTION)
        .ok_or_else(|| LinkError::BadPackage {
            reason: format!("no `{CHECKSUM_SECTION}` section (not built by midenc)"),
        })?;
    let recorded = package.sections.remove(at).data;
    let computed = package_checksum(package);
    if *recorded != *computed {
        return Err(LinkError::BadPackage {
            reason: format!(
                "checksum mismatch: the file is corrupted (recorded {}, computed {})",
                String::from_utf8_lossy(&recorded),
                String::from_utf8_lossy(&computed)
            ),
        });
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses `0x` + 64 hex digits into a word.
pub fn parse_word(hex: &str) -> Option<Word> {
    Word::try_from(hex).ok()
}

#[cfg(test)]
mod tests {
    use midenc_frontend_wasm::{CompiledModule, ExportedFunction, MasmModule};

    use super::*;

    /// The bytes kept from linking are exactly the package's serialization.
    #[test]
    fn kept_bytes_are_the_package_serialization() {
        use miden_assembly::serde::Serializable;
        let module = CompiledModule {
            modules: vec![MasmModule {
                name: String::new(),
                uses: Vec::new(),
                body: "pub proc midenc_instantiate\n    nop\nend\n\npub proc f\n    push.1 drop\nend\n"
                    .into(),
            }],
            exports: vec![ExportedFunction {
                name: "f".into(),
                proc_name: "f".into(),
                params: Vec::new(),
                results: Vec::new(),
                entry_proc: String::new(),
                writes_state: false,
                wit: None,
            }],
            instantiate_proc: "midenc_instantiate".into(),
            omitted_exports: Vec::new(),
            imports: Vec::new(),
            memory: None,
            data_segments: Vec::new(),
            function_names: Vec::new(),
            trap_places: Vec::new(),
            offsets_in_core_module: false,
        };
        let linked = link(&PackageSpec {
            name: "kept",
            version: "0.1.0",
            module: &module,
            wasm: &[],
            world: None,
            resolutions: &[],
        })
        .map_err(|e| e.to_string())
        .unwrap();
        assert!(linked.serialized.is_some());
        let bytes = linked.to_bytes();
        assert!(bytes == linked.package.to_bytes(), "kept bytes differ");
        // The checksum section checks out.
        let read = LinkedPackage::from_bytes(&bytes)
            .map_err(|e| e.to_string())
            .unwrap();
        assert_eq!(read.manifest.name, "kept");
    }
}
