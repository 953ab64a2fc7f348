//! Typed MASM libraries: a hand-written Miden library whose procedures a WIT description types.
//!
//! Such a library becomes a [`LinkedPackage`] like any other provider, so named imports resolve
//! to its procedures by full WIT name, with the same type check as any named import. Its
//! exports are marked `exec`: the import adapter then runs the procedure on the caller's stack
//! and in the caller's memory context, passing the flat values with the first on top and
//! nothing under them (`docs/contracts.md`). The Miden protocol library is the first such
//! library (see [`protocol_library`]).

use std::sync::Arc;

use miden_assembly::Library;
use miden_mast_package::{Package, PackageId, TargetType, Version};
use midenc_abi::WitSignature;

use crate::{
    manifest::{self, ManifestExport},
    LinkError, LinkedPackage, TrapTable,
};

/// One procedure of a typed library.
#[derive(Clone, Debug)]
pub struct TypedProcedure {
    /// Its full WIT name, `ns:pkg/iface@version#func`: what named imports use.
    pub name: String,
    /// Its path in the library, `a::b::proc`.
    pub path: String,
    /// Its WIT signature.
    pub wit: WitSignature,
}

/// The name of the protocol library's package, as manifests record the dependency.
pub const PROTOCOL_PACKAGE: &str = "miden:protocol";

/// The version of the protocol crate whose library is bundled.
pub const PROTOCOL_VERSION: &str = "0.15.3";

/// The Miden protocol library (`miden::protocol::*`) of `miden-protocol` 0.15.3: the
/// procedures account components, note scripts and transaction scripts call to reach the
/// transaction kernel.
pub fn protocol_library() -> Arc<Library> {
    let library: Library = miden_protocol::ProtocolLib::default().into();
    Arc::new(library)
}

/// Makes `library` a provider package whose exports are `procedures`, each invoked with
/// `exec`.
///
/// # Errors
/// [`LinkError::BadPackage`] naming a procedure the library does not export, or a signature
/// that cannot be passed on the stack (strings, lists, more than 16 felts each way).
pub fn typed_library(
    name: &str,
    version: &str,
    library: Arc<Library>,
    procedures: &[TypedProcedure],
) -> Result<LinkedPackage, LinkError> {
    let bad = |reason: String| LinkError::BadPackage {
        reason: format!("typed library `{name}`: {reason}"),
    };
    let mut exports = Vec::with_capacity(procedures.len());
    for p in procedures {
        let root = library
            .get_procedure_root_by_path(p.path.as_str())
            .ok_or_else(|| bad(format!("`{}` has no procedure `{}`", p.name, p.path)))?;
        let sig = &p.wit;
        if !sig.fits_on_stack() {
            return Err(bad(format!(
                "`{}` {}: an `exec`ed procedure takes and returns at most 16 felts on the \
                 stack, and no strings or lists",
                p.name,
                sig.wit_text()
            )));
        }
        exports.push(ManifestExport {
            name: p.name.clone(),
            procedure: p.path.clone(),
            signature: sig.wit_text(),
            params: Vec::new(),
            results: Vec::new(),
            mast_root: root.to_hex(),
            invocation: "exec".into(),
            stack_felts_in: sig.stack_felts_in(),
            stack_felts_out: sig.stack_felts_out(),
            spills: false,
            entry_mast_root: String::new(),
            writes_state: false,
            wit: Some(sig.clone()),
        });
    }
    let parsed_version = Version::parse(version).map_err(|e| bad(e.to_string()))?;
    let manifest =
        crate::exports_only_manifest(name, version, &library, exports, &manifest::library_kind());
    let package = Package::from_library(
        PackageId::from(name),
        parsed_version,
        TargetType::Library,
        library,
        Vec::new(),
    );
    Ok(LinkedPackage {
        package: Arc::from(package),
        manifest,
        traps: TrapTable::default(),
        plain: false,
        serialized: None,
    })
}

/// The protocol library as a typed provider: every function of the bundled `miden:protocol`
/// WIT bound to the library procedure of the same name.
///
/// # Errors
/// [`LinkError::BadPackage`] if the bundled WIT and the library disagree (a build defect the
/// linker's tests rule out).
pub fn protocol_package() -> Result<LinkedPackage, LinkError> {
    let bad = |reason: String| LinkError::BadPackage {
        reason: format!("the bundled `{PROTOCOL_PACKAGE}` description: {reason}"),
    };
    let (resolve, world) = midenc_wit::protocol_world().map_err(|e| bad(e.to_string()))?;
    let mut procedures = Vec::new();
    for (name, sig) in midenc_frontend_wasm::component::world_imports(&resolve, world) {
        let wit = sig.map_err(|why| bad(format!("`{name}`: {why}")))?;
        let path = midenc_wit::procedure_path(&name)
            .ok_or_else(|| bad(format!("`{name}` is outside the package")))?;
        procedures.push(TypedProcedure { name, path, wit });
    }
    typed_library(
        PROTOCOL_PACKAGE,
        PROTOCOL_VERSION,
        protocol_library(),
        &procedures,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_protocol_function_is_a_library_procedure() {
        let package = protocol_package().unwrap();
        let names: Vec<&str> = package
            .manifest
            .exports
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert!(
            names.contains(&"miden:protocol/native-account@0.15.0#set-item"),
            "{names:?}"
        );
        assert!(package
            .manifest
            .exports
            .iter()
            .all(|e| e.invocation == "exec"));
        let get_item = package
            .manifest
            .exports
            .iter()
            .find(|e| e.name.ends_with("active-account@0.15.0#get-item"))
            .unwrap();
        // slot-id in (2 felts), a word out.
        assert_eq!((get_item.stack_felts_in, get_item.stack_felts_out), (2, 4));
    }
}
