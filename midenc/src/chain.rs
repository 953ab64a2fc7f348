//! Transactions on a local mock chain: the protocol's own executor and `MockChain`
//! (`miden-testing` 0.15.3), with accounts made of compiled account components.
//!
//! A [`LocalChain`] holds one account built from packages (plus an authentication component
//! that increments the nonce), runs transactions whose script `call`s the account's exported
//! procedures, commits each into a new block, and reports what changed
//! (`docs/contracts.md`, "Running a transaction").

use std::{future::Future, pin::pin, task::Context};

use miden_protocol::{
    account::{
        component::InitStorageData, Account, AccountComponent, AccountId, StorageSlotContent,
    },
    transaction::{ExecutedTransaction, TransactionScript},
    Word,
};
use miden_testing::{Auth, MockChain};
use midenc_linker::LinkedPackage;

use crate::{
    error::{DriverError, DriverResult},
    vm::word_to_stack,
};

/// A mock chain with one account made of compiled components.
pub struct LocalChain {
    chain: MockChain,
    account: AccountId,
    /// The components, for finding exports by name.
    packages: Vec<LinkedPackage>,
}

/// One procedure a transaction script calls: an export of one of the account's components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The export's name (its WIT name).
    pub export: String,
}

/// What one transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxReport {
    /// The account's nonce before and after.
    pub nonce: (u64, u64),
    /// Each storage slot that changed: its name and new content (a value slot's word, or a
    /// map slot's changed entries).
    pub storage: Vec<(String, SlotChange)>,
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

/// A transaction's cycles, as the kernel measures its phases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxCycles {
    /// Every phase together: prologue, notes, script and epilogue.
    pub total: usize,
    /// The kernel's prologue.
    pub prologue: usize,
    /// Consuming the input notes (their scripts and the account procedures they call).
    pub notes: usize,
    /// The transaction script.
    pub tx_script: usize,
    /// The kernel's epilogue, the authentication procedure included.
    pub epilogue: usize,
    /// The account's authentication procedure.
    pub auth: usize,
}

/// Runs a future that never waits on I/O (the executor's are such) to completion.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut context) {
            return out;
        }
    }
}

fn chain_error(what: &str, error: impl std::fmt::Display) -> DriverError {
    DriverError::Transaction {
        message: format!("{what}: {}", plain_text(&format!("{error:#}"))),
    }
}

/// `text` without terminal colour sequences (some protocol errors arrive rendered) and
/// without trailing blank lines.
fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // `ESC [ … letter`
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out.trim_end().to_string()
}

impl LocalChain {
    /// A chain whose genesis block holds one account: an authentication component that
    /// increments the nonce, then `components` (account-component packages) in order, each
    /// slot with its declared default value.
    ///
    /// # Errors
    /// [`DriverError::Transaction`] naming the package the protocol refuses (for example one
    /// that is not an account component).
    pub fn with_account(components: Vec<LinkedPackage>) -> DriverResult<Self> {
        let mut built = Vec::new();
        for package in &components {
            let component =
                AccountComponent::from_package(&package.package, &InitStorageData::default())
                    .map_err(|e| {
                        chain_error(
                            &format!(
                                "package `{}` (kind {}) is not an account component the \
                                 protocol accepts",
                                package.manifest.name, package.manifest.kind
                            ),
                            e,
                        )
                    })?;
            built.push(component);
        }
        let mut builder = MockChain::builder();
        let account = builder
            .add_existing_account_from_components(Auth::IncrNonce, built)
            .map_err(|e| chain_error("the account cannot be built", e))?;
        let chain = builder
            .build()
            .map_err(|e| chain_error("the mock chain cannot be built", e))?;
        Ok(LocalChain {
            chain,
            account: account.id(),
            packages: components,
        })
    }

    /// The account as the chain last committed it.
    pub fn account(&self) -> DriverResult<&Account> {
        self.chain
            .committed_account(self.account)
            .map_err(|e| chain_error("the account", e))
    }

    /// The word in value slot `name` of the committed account.
    pub fn value_slot(&self, name: &str) -> DriverResult<[u64; 4]> {
        let account = self.account()?;
        let slot = account
            .storage()
            .slots()
            .iter()
            .find(|s| s.name().as_str() == name)
            .ok_or_else(|| DriverError::Transaction {
                message: format!("the account has no storage slot `{name}`"),
            })?;
        match slot.content() {
            StorageSlotContent::Value(word) => Ok(word_to_stack(*word)),
            StorageSlotContent::Map(_) => Err(DriverError::Transaction {
                message: format!("storage slot `{name}` is a map, not a value"),
            }),
        }
    }

    /// The transaction script that `call`s each export in `calls`, by MAST root.
    fn script(&self, calls: &[Call]) -> DriverResult<TransactionScript> {
        let mut source = String::from("begin\n");
        for call in calls {
            let root = self
                .packages
                .iter()
                .find_map(|p| p.export(&call.export).map(|(_, root)| root))
                .ok_or_else(|| DriverError::Transaction {
                    message: format!("no component of the account exports `{}`", call.export),
                })?;
            // Each export takes its arguments from, and leaves its results in, the 16 felts
            // it is given: the script's depth never changes.
            source.push_str(&format!("    call.{}\n", root.to_hex()));
        }
        source.push_str("end\n");
        let program = miden_protocol::transaction::TransactionKernel::assembler()
            .assemble_program(source)
            .map_err(|e| chain_error("the transaction script does not assemble", e))?;
        Ok(TransactionScript::new(program))
    }

    /// Executes a transaction whose script calls `calls` in order, commits it in a new block
    /// and reports what it changed.
    ///
    /// # Errors
    /// [`DriverError::Transaction`] with the executor's error when the transaction fails
    /// (nothing is committed then).
    pub fn transact(&mut self, calls: &[Call]) -> DriverResult<TxReport> {
        let script = self.script(calls)?;
        let before = self.account()?.nonce().as_canonical_u64();
        let context = self
            .chain
            .build_tx_context(self.account, &[], &[])
            .map_err(|e| chain_error("the transaction context", e))?
            .tx_script(script)
            .build()
            .map_err(|e| chain_error("the transaction context", e))?;
        let executed =
            block_on(context.execute()).map_err(|e| chain_error("the transaction failed", e))?;
        let report = self.report(&executed, before);
        self.chain
            .add_pending_executed_transaction(&executed)
            .map_err(|e| chain_error("the transaction cannot be committed", e))?;
        self.chain
            .prove_next_block()
            .map_err(|e| chain_error("the block cannot be made", e))?;
        Ok(report)
    }

    fn report(&self, executed: &ExecutedTransaction, before: u64) -> TxReport {
        let m = executed.measurements();
        let cycles = TxCycles {
            total: m.total_cycles(),
            prologue: m.prologue,
            notes: m.notes_processing,
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
        TxReport {
            nonce: (before, executed.final_account().nonce().as_canonical_u64()),
            storage,
            cycles,
        }
    }
}
