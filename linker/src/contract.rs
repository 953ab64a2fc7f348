//! Package kinds for the Miden protocol: a package midenc builds is a library unless it is
//! declared an account component, which carries the protocol's account-component metadata
//! (name, description, version, storage slots) in the section the protocol's own loader,
//! `AccountComponent::from_package`, reads.
//!
//! The metadata is written in the protocol's TOML format and validated by the protocol's own
//! parser, so a package that links is one the protocol accepts.

use miden_mast_package::{Section, SectionId, TargetType};
use miden_protocol::{
    account::{
        component::{AccountComponentMetadata, StorageSlotSchema},
        StorageSlotName,
    },
    utils::serde::Serializable,
};

use crate::{LinkError, LinkedPackage, ManifestStorageSlot};

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
