//! Package kinds for the Miden protocol: a package midenc builds is a library unless it is
//! declared
//! - an account component, which carries the protocol's account-component metadata (name,
//!   description, version, storage slots) in the section the protocol's own loader,
//!   `AccountComponent::from_package`, reads;
//! - a note script, whose entry export carries the `@note_script` attribute that
//!   `NoteScript::from_package` looks for;
//! - a transaction script, an executable whose `$main` is the entry export, as
//!   `TransactionScript::from_package` expects.
//!
//! The metadata is written in the protocol's TOML format and validated by the protocol's own
//! parser, so a package that links is one the protocol accepts.

use std::{collections::BTreeMap, sync::Arc};

use miden_assembly::{
    ast::{self, Attribute, Ident, Path},
    library::{LibraryExport, ProcedureExport},
    Library,
};
use miden_mast_package::{Section, SectionId, TargetType};
use miden_protocol::{
    account::{
        component::{AccountComponentMetadata, StorageSlotSchema},
        StorageSlotName,
    },
    utils::serde::Serializable,
};
use midenc_abi::WitType;

use crate::{LinkError, LinkedPackage, ManifestStorageSlot, PROTOCOL_PACKAGE};

/// The name the manifest gives a package kind (`miden-mast-package`'s target types, in
/// kebab case).
pub(crate) fn kind_name(kind: TargetType) -> &'static str {
    match kind {
        TargetType::Library => "library",
        TargetType::Executable => "executable",
        TargetType::Kernel => "kernel",
        TargetType::AccountComponent => "account-component",
        TargetType::Note => "note-script",
        TargetType::TransactionScript => "transaction-script",
        // Target types newer than this midenc.
        _ => "unknown",
    }
}

/// The kind name of the Miden package whose manifest says `kind`: the same, except that a
/// transaction script is stored as an executable package, which is what the protocol loads
/// transaction scripts from.
pub(crate) fn stored_kind(kind: &str) -> &str {
    if kind == kind_name(TargetType::TransactionScript) {
        kind_name(TargetType::Executable)
    } else {
        kind
    }
}

impl LinkedPackage {
    /// Makes the package an account component described by `metadata_toml` (the protocol's
    /// account-component TOML: `name`, `description`, `version`, `[[storage.slots]]`), read
    /// from `origin` (named in errors). The manifest records the kind and the storage slots.
    ///
    /// # Errors
    /// [`LinkError::ComponentMetadata`] when the protocol's parser rejects the metadata.
    pub fn make_account_component(
        &mut self,
        metadata_toml: &str,
        origin: &str,
    ) -> Result<(), LinkError> {
        let metadata = AccountComponentMetadata::from_toml(metadata_toml).map_err(|e| {
            LinkError::ComponentMetadata {
                origin: origin.into(),
                reason: error_chain(&e),
            }
        })?;
        self.manifest.kind = kind_name(TargetType::AccountComponent).into();
        self.manifest.storage = metadata
            .storage_schema()
            .iter()
            .map(|(name, slot)| {
                let (kind, description) = match slot {
                    StorageSlotSchema::Value(v) => ("value", v.description()),
                    StorageSlotSchema::Map(m) => ("map", m.description()),
                };
                ManifestStorageSlot {
                    name: name.to_string(),
                    kind: kind.into(),
                    description: description.cloned().unwrap_or_default(),
                    id: slot_id_felts(name),
                }
            })
            .collect();
        self.reembed(|package| {
            package.kind = TargetType::AccountComponent;
            package
                .sections
                .retain(|s| s.id != SectionId::ACCOUNT_COMPONENT_METADATA);
            package.sections.push(Section::new(
                SectionId::ACCOUNT_COMPONENT_METADATA,
                metadata.to_bytes(),
            ));
        });
        Ok(())
    }
}

/// The attribute the protocol's `NoteScript::from_package` looks for on the entry.
const NOTE_SCRIPT_ATTRIBUTE: &str = "note_script";

impl LinkedPackage {
    /// Makes the package a note script whose entry is export `entry`: the transaction kernel
    /// runs that procedure when the note is consumed, with the note's arguments (a word) on
    /// top of 16 felts, which is how every midenc export is `call`ed. The manifest records
    /// the kind and the entry.
    ///
    /// # Errors
    /// [`LinkError::ScriptEntry`] when there is no such export or its signature is not
    /// `func()` or `func(args: word)`.
    pub fn make_note_script(&mut self, entry: &str) -> Result<(), LinkError> {
        let fail = script_entry_error("note script", entry);
        let path = self.script_entry(entry).map_err(&fail)?;
        self.check_script_imports("note script")?;
        let library = self.library();
        let mut exports: BTreeMap<_, _> = library
            .exports()
            .map(|e| (e.path().clone(), e.clone()))
            .collect();
        let marked = exports.values_mut().find_map(|e| match e {
            LibraryExport::Procedure(p) if same_path(p.path.as_ref().as_str(), &path) => Some(p),
            _ => None,
        });
        let Some(marked) = marked else {
            return Err(fail(missing_procedure(library, &path)));
        };
        marked.attributes.insert(Attribute::Marker(
            Ident::new(NOTE_SCRIPT_ATTRIBUTE).expect("valid identifier"),
        ));
        let library = Library::new(library.mast_forest().clone(), exports)
            .map_err(|e| fail(e.to_string()))?;
        self.manifest.kind = kind_name(TargetType::Note).into();
        self.manifest.entry = entry.into();
        self.reembed(|package| {
            package.kind = TargetType::Note;
            package.mast = Arc::new(library);
        });
        Ok(())
    }

    /// Makes the package a transaction script whose entry is export `entry`: the kernel runs
    /// it after the notes, with the transaction's script arguments (a word) on top of 16 felts.
    ///
    /// The protocol loads transaction scripts from *executable* packages
    /// (`TransactionScript::from_package`), so the MAST becomes a program whose `$main` is the
    /// entry procedure itself; the manifest's kind says `transaction-script`.
    ///
    /// # Errors
    /// [`LinkError::ScriptEntry`] when there is no such export or its signature is not
    /// `func()` or `func(args: word)`.
    pub fn make_tx_script(&mut self, entry: &str) -> Result<(), LinkError> {
        let fail = script_entry_error("transaction script", entry);
        let path = self.script_entry(entry).map_err(&fail)?;
        self.check_script_imports("transaction script")?;
        let library = self.library();
        let Some(node) = library.exports().find_map(|e| match e {
            LibraryExport::Procedure(p) if same_path(p.path.as_ref().as_str(), &path) => {
                Some(p.node)
            }
            _ => None,
        }) else {
            return Err(fail(missing_procedure(library, &path)));
        };
        let main: Arc<Path> = Path::exec_path()
            .join(ast::ProcedureName::MAIN_PROC_NAME)
            .into();
        let export = ProcedureExport::new(node, main);
        let program = Library::new(
            library.mast_forest().clone(),
            BTreeMap::from([(export.path.clone(), LibraryExport::Procedure(export))]),
        )
        .map_err(|e| fail(e.to_string()))?;
        self.manifest.kind = kind_name(TargetType::TransactionScript).into();
        self.manifest.entry = entry.into();
        self.reembed(|package| {
            package.kind = TargetType::Executable;
            package.mast = Arc::new(program);
        });
        Ok(())
    }

    /// The library path of export `entry` if a script can start there: it takes nothing or
    /// one word and returns nothing. Otherwise why not.
    fn script_entry(&self, entry: &str) -> Result<String, String> {
        let Some(export) = self.manifest.exports.iter().find(|e| e.name == entry) else {
            let names: Vec<&str> = self
                .manifest
                .exports
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            return Err(format!(
                "the package has no such export (it exports {})",
                names.join(", ")
            ));
        };
        let runnable = match &export.wit {
            Some(sig) => {
                sig.result.is_none()
                    && match sig.params.as_slice() {
                        [] => true,
                        [(_, ty)] => is_word(ty),
                        _ => false,
                    }
            }
            None => export.params.is_empty() && export.results.is_empty(),
        };
        if !runnable {
            return Err(format!("its signature is {}", export.signature));
        }
        Ok(format!("{}::{}", self.manifest.module, export.procedure))
    }

    /// Refuses a script that imports protocol functions only the account's own procedures may
    /// invoke: the kernel would fail every transaction running it.
    fn check_script_imports(&self, kind: &'static str) -> Result<(), LinkError> {
        let forbidden = self.manifest.imports.iter().find_map(|import| {
            let binding = import.resolved.as_ref()?;
            let function = binding.export.strip_prefix(PROTOCOL_PACKAGE)?;
            ACCOUNT_ONLY
                .iter()
                .any(|f| function.starts_with(&format!("/{}@", f.0)) && function.ends_with(f.1))
                .then(|| binding.export.clone())
        });
        match forbidden {
            Some(function) => Err(LinkError::AccountOnly { kind, function }),
            None => Ok(()),
        }
    }
}

/// The protocol functions (interface, `#function`) whose kernel procedures check that an
/// account procedure invoked them (`authenticate_account_origin` in the 0.15 kernel; nonce
/// increments only from the authentication procedure). A note or transaction script reaches
/// the account's storage and vault through the account's procedures instead.
const ACCOUNT_ONLY: &[(&str, &str)] = &[
    ("active-account", "#get-item"),
    ("active-account", "#get-initial-item"),
    ("active-account", "#get-map-item"),
    ("active-account", "#get-code-commitment"),
    ("native-account", "#set-item"),
    ("native-account", "#set-map-item"),
    ("native-account", "#add-asset"),
    ("native-account", "#remove-asset"),
    ("native-account", "#incr-nonce"),
];

/// Builds [`LinkError::ScriptEntry`] for a script of `kind` entered at `entry`.
fn script_entry_error(kind: &'static str, entry: &str) -> impl Fn(String) -> LinkError {
    let entry = entry.to_string();
    move |reason| LinkError::ScriptEntry {
        kind,
        entry: entry.clone(),
        reason,
    }
}

/// Whether library path `library_path` (absolute, `::a::b`) is `path` (`a::b`).
fn same_path(library_path: &str, path: &str) -> bool {
    library_path.trim_start_matches("::") == path
}

/// Why `path` is not found in `library`, listing what it has.
fn missing_procedure(library: &Library, path: &str) -> String {
    let paths: Vec<String> = library.exports().map(|e| e.path().to_string()).collect();
    format!(
        "the library has no procedure `{path}` (it has {})",
        paths.join(", ")
    )
}

/// Whether `ty` is four felts, as a `word` is.
fn is_word(ty: &WitType) -> bool {
    ty.size() == 16 && ty.felt_slots().is_some_and(|slots| slots.len() == 4)
}

/// A slot's identifier as the protocol procedures take it, `[suffix, prefix]`.
fn slot_id_felts(name: &StorageSlotName) -> [u64; 2] {
    let id = name.id();
    [
        id.suffix().as_canonical_u64(),
        id.prefix().as_canonical_u64(),
    ]
}

/// The identifier of the storage slot named `name` (`namespace::name`), `[suffix, prefix]`:
/// the first two felts of the hash of the name, as the protocol computes it. Code that reads
/// or writes the slot passes these.
///
/// # Errors
/// The protocol's reason when `name` cannot name a slot.
pub fn storage_slot_id(name: &str) -> Result<[u64; 2], String> {
    StorageSlotName::new(name)
        .map(|slot| slot_id_felts(&slot))
        .map_err(|e| e.to_string())
}

/// An error and its sources, one sentence each.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
