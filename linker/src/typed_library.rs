//! Typed MASM libraries: a hand-written Miden library whose procedures a WIT description types.
//!
//! Such a library becomes a [`LinkedPackage`] like any other provider, so named imports resolve
//! to its procedures by full WIT name, with the same type check as any named import. Its
//! exports are marked `exec` or `call`:
//! - `exec` (the protocol library, [`protocol_package`]): the import adapter runs the
//!   procedure on the caller's stack and in the caller's memory context, passing the flat
//!   values with the first on top and nothing under them (`docs/contracts.md`);
//! - `call` (the standard account components, [`standards_package`]): the procedure follows
//!   the 16-felt convention of every midenc export, in its own context.

use std::sync::Arc;

use miden_assembly::Library;
use miden_mast_package::{Package, PackageId, TargetType, Version};
use midenc_abi::WitSignature;

use midenc_frontend_wasm::Invocation;

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

/// The name of the standards library's package, as manifests record the dependency.
pub const STANDARDS_PACKAGE: &str = "miden:standards";

/// The version of the standards crate whose library is bundled.
pub const STANDARDS_VERSION: &str = "0.15.3";

/// The Miden protocol library (`miden::protocol::*`) of `miden-protocol` 0.15.3: the
/// procedures account components, note scripts and transaction scripts call to reach the
/// transaction kernel.
pub fn protocol_library() -> Arc<Library> {
    let library: Library = miden_protocol::ProtocolLib::default().into();
    Arc::new(library)
}

/// Makes `library` a provider package whose exports are `procedures`, each invoked as
/// `invocation` says.
///
/// # Errors
/// [`LinkError::BadPackage`] naming a procedure the library does not export, or a signature
/// that cannot be passed on the stack (strings, lists, more than 16 felts each way).
pub fn typed_library(
    name: &str,
    version: &str,
    library: Arc<Library>,
    procedures: &[TypedProcedure],
    invocation: Invocation,
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
        if invocation == Invocation::Call && !sig.fits_on_stack() {
            return Err(bad(format!(
                "`{}` {}: a typed procedure that is `call`ed takes and returns at most 16 \
                 felts on the stack, and no strings or lists",
                p.name,
                sig.wit_text()
            )));
        }
        if !sig.exec_compatible() {
            return Err(bad(format!(
                "`{}` {}: an `exec`ed procedure takes and returns at most 16 felts on the \
                 stack, and no strings or lists (except a result list of felt records, which \
                 it writes to memory)",
                p.name,
                sig.wit_text()
            )));
        }
        // A list result is written to memory: the destination goes in, the count comes out.
        let (felts_in, felts_out) = match sig.exec_list_result() {
            Some(_) if invocation == Invocation::Exec => (sig.arg_felts() + 1, 1),
            _ => (sig.stack_felts_in(), sig.stack_felts_out()),
        };
        exports.push(ManifestExport {
            name: p.name.clone(),
            procedure: p.path.clone(),
            signature: sig.wit_text(),
            params: Vec::new(),
            results: Vec::new(),
            mast_root: root.to_hex(),
            invocation: invocation.as_str().into(),
            stack_felts_in: felts_in,
            stack_felts_out: felts_out,
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
/// WIT bound to the library procedure of the same name, invoked with `exec`.
///
/// # Errors
/// [`LinkError::BadPackage`] if the bundled WIT and the library disagree (a build defect the
/// linker's tests rule out).
pub fn protocol_package() -> Result<LinkedPackage, LinkError> {
    bundled_package(
        PROTOCOL_PACKAGE,
        PROTOCOL_VERSION,
        midenc_wit::protocol_world(),
        protocol_library(),
        Invocation::Exec,
    )
}

/// The standards library (`miden::standards::*` of `miden-standards` 0.15.3) as a typed
/// provider: the account procedures of the standard components that the bundled
/// `miden:standards` WIT describes (the basic wallet), invoked with `call`. A note compiled
/// against it moves assets into accounts built from the hand-written components.
///
/// # Errors
/// [`LinkError::BadPackage`] if the bundled WIT and the library disagree.
pub fn standards_package() -> Result<LinkedPackage, LinkError> {
    let library: Library = miden_standards::StandardsLib::default().into();
    bundled_package(
        STANDARDS_PACKAGE,
        STANDARDS_VERSION,
        midenc_wit::standards_world(),
        Arc::new(library),
        Invocation::Call,
    )
}

/// A user's hand-written MASM module typed by the exports of a WIT world: each function the
/// world exports (`f`, or `ns:pkg/iface@ver#f`) is the module's procedure `f`, with `-` spelled
/// `_`, invoked as `invocation` says. Other packages then import it by WIT name with type
/// checks, as they import any compiled package's exports.
///
/// # Errors
/// [`LinkError::Assembly`] when the module does not assemble; [`LinkError::BadPackage`] for an
/// export the module lacks, a signature midenc cannot carry, or one that `invocation` cannot
/// pass.
pub fn typed_masm(
    name: &str,
    source: &str,
    resolve: &midenc_wit::Resolve,
    world: midenc_wit::WorldId,
    invocation: Invocation,
) -> Result<LinkedPackage, LinkError> {
    let module = crate::assemble::module_path(name)?;
    let library = crate::assemble::assemble_modules(&[(module.clone(), source.to_string())])
        .map_err(|e| match e {
            LinkError::Assembly { report } => LinkError::MasmSource {
                name: name.into(),
                report,
            },
            other => other,
        })?;
    let typed_error = |reason: String| LinkError::TypedLibrary {
        name: name.into(),
        reason,
    };
    let exports = midenc_frontend_wasm::component::world_exports(resolve, world)
        .map_err(|e| typed_error(e.to_string()))?;
    let procedures: Vec<TypedProcedure> = exports
        .into_iter()
        .map(|export| {
            let func = export.name.rsplit('#').next().unwrap_or(&export.name);
            TypedProcedure {
                path: format!("{module}::{}", func.replace('-', "_")),
                name: export.name,
                wit: export.signature,
            }
        })
        .collect();
    let mut linked =
        typed_library(name, "0.1.0", library, &procedures, invocation).map_err(|e| match e {
            // typed_library's reasons are prefixed for the bundled libraries.
            LinkError::BadPackage { reason } => typed_error(
                reason
                    .strip_prefix(&format!("typed library `{name}`: "))
                    .unwrap_or(&reason)
                    .to_string(),
            ),
            other => other,
        })?;
    linked.manifest.module = module;
    // Written to a file: the manifest and checksum sections go into the package.
    linked.reembed(|_| {});
    Ok(linked)
}

fn bundled_package(
    name: &str,
    version: &str,
    world: Result<(midenc_wit::Resolve, midenc_wit::WorldId), midenc_wit::WitError>,
    library: Arc<Library>,
    invocation: Invocation,
) -> Result<LinkedPackage, LinkError> {
    let bad = |reason: String| LinkError::BadPackage {
        reason: format!("the bundled `{name}` description: {reason}"),
    };
    let (resolve, world) = world.map_err(|e| bad(e.to_string()))?;
    let mut procedures = Vec::new();
    for (name, sig) in midenc_frontend_wasm::component::world_imports(&resolve, world) {
        let wit = sig.map_err(|why| bad(format!("`{name}`: {why}")))?;
        let path = midenc_wit::procedure_path(&name)
            .ok_or_else(|| bad(format!("`{name}` is outside the package")))?;
        procedures.push(TypedProcedure { name, path, wit });
    }
    typed_library(name, version, library, &procedures, invocation)
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
        // A list result is written to memory: the destination in, the count out.
        let get_assets = package
            .manifest
            .exports
            .iter()
            .find(|e| e.name.ends_with("active-note@0.15.0#get-assets"))
            .unwrap();
        assert_eq!(
            (get_assets.stack_felts_in, get_assets.stack_felts_out),
            (1, 1)
        );
    }

    #[test]
    fn the_standard_wallet_is_called() {
        let package = standards_package().unwrap();
        let receive = package
            .manifest
            .exports
            .iter()
            .find(|e| e.name == "miden:standards/basic-wallet@0.15.0#receive-asset")
            .unwrap();
        assert_eq!(receive.invocation, "call");
        assert_eq!(receive.stack_felts_in, 8);
        // The same procedure the standard wallet component has.
        let wallet = miden_standards::account::wallets::BasicWallet::receive_asset_root();
        assert_eq!(receive.mast_root, wallet.mast_root().to_hex());
    }
}
