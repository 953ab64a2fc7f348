//! What a transaction did, as `midenc tx` and the tests read it: the nonce, storage and vault
//! changes, the notes it created and its cycles by phase.

use miden_protocol::{
    asset::Asset,
    transaction::{ExecutedTransaction, RawOutputNote},
    Word,
};

use crate::vm::word_to_stack;

/// What one transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxReport {
    /// The account's nonce before and after.
    pub nonce: (u64, u64),
    /// Each storage slot that changed: its name and new content (a value slot's word, or a
    /// map slot's changed entries).
    pub storage: Vec<(String, SlotChange)>,
    /// Each fungible asset whose balance changed: the faucet's account id (hex) and the change.
    pub vault: Vec<(String, i64)>,
    /// The notes the transaction created, in order.
    pub output_notes: Vec<OutputNoteReport>,
    /// Cycles, by phase.
    pub cycles: TxCycles,
}

/// A storage slot's change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotChange {
    /// A value slot's new word.
    Value([u64; 4]),
    /// A map slot's changed entries, key and new value.
    Map(Vec<([u64; 4], [u64; 4])>),
}

/// A note the transaction created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputNoteReport {
    /// The note's id (hex): a commitment to its recipient and assets.
    pub id: String,
    /// The note's recipient digest (its script, storage and serial number).
    pub recipient: [u64; 4],
    /// Its fungible assets: faucet id (hex) and amount.
    pub assets: Vec<(String, u64)>,
}

/// A transaction's cycles, as the kernel measures its phases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxCycles {
    /// Every phase together: prologue, notes, script and epilogue.
    pub total: usize,
    /// The kernel's prologue.
    pub prologue: usize,
    /// Consuming the input notes (their scripts and the account procedures they call), with
    /// the kernel's work around them.
    pub notes: usize,
    /// The note scripts alone (and the account procedures they call).
    pub note_execution: usize,
    /// The transaction script.
    pub tx_script: usize,
    /// The kernel's epilogue, the authentication procedure included.
    pub epilogue: usize,
    /// The account's authentication procedure.
    pub auth: usize,
}

/// The report of `executed`, whose account had nonce `before`.
pub(super) fn report(executed: &ExecutedTransaction, before: u64) -> TxReport {
    let m = executed.measurements();
    let cycles = TxCycles {
        total: m.total_cycles(),
        prologue: m.prologue,
        notes: m.notes_processing,
        note_execution: m.note_execution.iter().map(|(_, n)| n).sum(),
        tx_script: m.tx_script_processing,
        epilogue: m.epilogue,
        auth: m.auth_procedure,
    };
    let delta = executed.account_delta();
    let mut storage = Vec::new();
    for (name, word) in delta.storage().values() {
        storage.push((name.to_string(), SlotChange::Value(word_to_stack(*word))));
    }
    for (name, map) in delta.storage().maps() {
        let entries = map
            .entries()
            .iter()
            .map(|(key, value)| (word_to_stack(Word::from(*key)), word_to_stack(*value)))
            .collect();
        storage.push((name.to_string(), SlotChange::Map(entries)));
    }
    let vault = delta
        .vault()
        .fungible()
        .iter()
        .map(|(key, change)| (key.faucet_id().to_hex(), *change))
        .collect();
    let output_notes = executed
        .output_notes()
        .iter()
        .map(|note| OutputNoteReport {
            id: note.id().to_hex(),
            recipient: word_to_stack(note.recipient_digest()),
            assets: fungible(note),
        })
        .collect();
    TxReport {
        nonce: (before, executed.final_account().nonce().as_canonical_u64()),
        storage,
        vault,
        output_notes,
        cycles,
    }
}

fn fungible(note: &RawOutputNote) -> Vec<(String, u64)> {
    note.assets()
        .iter()
        .filter_map(|asset| match asset {
            Asset::Fungible(f) => Some((f.faucet_id().to_hex(), f.amount().into())),
            Asset::NonFungible(_) => None,
        })
        .collect()
}
