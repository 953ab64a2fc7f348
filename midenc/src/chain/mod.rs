//! Transactions on a local mock chain: the protocol's own executor and `MockChain`
//! (`miden-testing` 0.15.3), with accounts made of compiled account components.
//!
//! A [`LocalChain`] holds one account built from packages, or the standard basic wallet (plus
//! an authentication component that increments the nonce). It runs transactions that consume
//! notes (compiled note scripts, or the standard P2ID) and whose script creates notes and
//! `call`s the account's exported procedures; it commits each into a new block and reports
//! what changed (`docs/contracts.md`, "Running a transaction").

mod report;

use std::{future::Future, pin::pin, sync::Arc, task::Context};

use miden_assembly::{
    debuginfo::{DefaultSourceManager, SourceLanguage, SourceManager, SourceManagerSync, Uri},
    mast::MastForest,
};
use miden_processor::ExecutionError;

use miden_protocol::{
    account::{
        component::InitStorageData, Account, AccountComponent, AccountId, StorageSlotContent,
    },
    asset::{Asset, FungibleAsset},
    crypto::rand::RandomCoin,
    note::{
        Note, NoteAssets, NoteAttachments, NoteRecipient, NoteScript, NoteStorage, NoteTag,
        NoteType, PartialNoteMetadata,
    },
    testing::account_id::ACCOUNT_ID_FEE_FAUCET,
    transaction::{RawOutputNote, TransactionScript},
    Felt, Word,
};
use miden_standards::{account::wallets::BasicWallet, note::P2idNote};
use miden_testing::{Auth, MockChain, MockChainBuilder};
use miden_tx::TransactionExecutorError;
use midenc_linker::{LinkedPackage, TrapLocation, TrapTable};

pub use report::{OutputNoteReport, SlotChange, TxCycles, TxReport};

use crate::{
    error::{DriverError, DriverResult},
    vm::word_to_stack,
};

/// A mock chain with one account made of compiled components or the standard wallet.
pub struct LocalChain {
    /// The chain's builder until the first transaction (notes made until then go into the
    /// genesis block), then the chain.
    state: State,
    account: AccountId,
    /// The fungible faucet whose asset notes carry (the chain's fee faucet).
    faucet: AccountId,
    /// The account's components (for the standard wallet: the bundled typed library that
    /// describes it), for finding exports by name.
    packages: Vec<LinkedPackage>,
    /// Serial numbers of the notes made so far (each note gets a fresh one).
    rng: RandomCoin,
    /// The code of the notes consumed so far, to name the messages of their error codes.
    forests: Vec<(String, Arc<MastForest>)>,
    /// The trap tables of the compiled code the chain runs, to name the Wasm function a
    /// failing instruction comes from.
    traps: Vec<TrapTable>,
}

enum State {
    Genesis(Box<MockChainBuilder>),
    Running(Box<MockChain>),
    /// Only while the builder is being turned into the chain.
    Building,
}

/// One procedure a transaction script calls: an export of one of the account's components,
/// with its arguments (felts, first first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The export's name (its WIT name).
    pub export: String,
    /// The felts of its arguments, first first: what the export takes on the stack.
    pub args: Vec<u64>,
}

impl Call {
    /// A call of `export` without arguments.
    pub fn new(export: impl Into<String>) -> Self {
        Call {
            export: export.into(),
            args: Vec::new(),
        }
    }
}

/// A private note that the transaction script creates (with no assets; calls can move assets
/// into it by its index, the order of creation). Private: the chain records only its
/// recipient digest, so its script and storage need not be known here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNote {
    /// The recipient digest: who can consume the note, with what script and storage.
    pub recipient: [u64; 4],
    /// The note's tag.
    pub tag: u32,
}

/// One transaction: the notes it consumes, then its script: a compiled transaction script,
/// or one midenc writes that creates `new_notes` and makes `calls` in order.
#[derive(Clone, Debug, Default)]
pub struct Transaction {
    /// Notes to consume: made by [`LocalChain::note`] or [`LocalChain::standard_p2id_note`],
    /// so they are on the chain.
    pub notes: Vec<Note>,
    /// Notes the script creates first.
    pub new_notes: Vec<NewNote>,
    /// Exports the script calls.
    pub calls: Vec<Call>,
    /// A compiled transaction script ([`LocalChain::tx_script`]) and its arguments, instead
    /// of `new_notes` and `calls`.
    pub script: Option<(TransactionScript, [u64; 4])>,
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

/// The word of four felts, first first, or why one is not a felt.
fn felts_to_word(felts: [u64; 4]) -> DriverResult<Word> {
    let mut elements = [Felt::ZERO; 4];
    for (slot, value) in elements.iter_mut().zip(felts) {
        *slot = Felt::new(value).map_err(|e| chain_error("a script argument", e))?;
    }
    Ok(Word::new(elements))
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
        Self::new(components, false)
    }

    /// A chain whose genesis block holds one account made of the hand-written basic wallet of
    /// `miden-standards` and an authentication component that increments the nonce, as
    /// `MockChainBuilder::add_existing_wallet` makes it. Its exports are named as the bundled
    /// `miden:standards` WIT names them.
    ///
    /// # Errors
    /// [`DriverError::Transaction`] if the protocol refuses to build it.
    pub fn with_standard_wallet() -> DriverResult<Self> {
        let wallet = midenc_linker::standards_package()?;
        Self::build(vec![wallet], |builder| {
            builder.add_existing_wallet(Auth::IncrNonce)
        })
    }

    /// A chain whose genesis block holds one account: an authentication component that
    /// increments the nonce, the standard basic wallet if `standard_wallet`, then
    /// `components` (account-component packages) in order, each slot with its declared
    /// default value.
    ///
    /// # Errors
    /// [`DriverError::Transaction`] naming the package the protocol refuses (for example one
    /// that is not an account component).
    pub fn new(mut components: Vec<LinkedPackage>, standard_wallet: bool) -> DriverResult<Self> {
        let mut built: Vec<AccountComponent> = Vec::new();
        if standard_wallet {
            built.push(BasicWallet.into());
        }
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
        if standard_wallet {
            components.push(midenc_linker::standards_package()?);
        }
        Self::build(components, |builder| {
            builder.add_existing_account_from_components(Auth::IncrNonce, built)
        })
    }

    fn build(
        packages: Vec<LinkedPackage>,
        add: impl FnOnce(&mut MockChainBuilder) -> anyhow::Result<Account>,
    ) -> DriverResult<Self> {
        let faucet = AccountId::try_from(ACCOUNT_ID_FEE_FAUCET)
            .map_err(|e| chain_error("the fee faucet", e))?;
        let mut builder = MockChain::builder().fee_faucet_id(faucet);
        let account =
            add(&mut builder).map_err(|e| chain_error("the account cannot be built", e))?;
        let traps = packages.iter().map(|p| p.traps.clone()).collect();
        Ok(LocalChain {
            state: State::Genesis(Box::new(builder)),
            account: account.id(),
            faucet,
            packages,
            rng: RandomCoin::new(Word::from([Felt::from(0x6d69_6465_u32); 4])),
            forests: Vec::new(),
            traps,
        })
    }

    /// The packages whose exports the account has: its components, and the bundled
    /// description of the standard wallet when it has that.
    pub fn components(&self) -> &[LinkedPackage] {
        &self.packages
    }

    /// Lets a failure in the code of `package` (a note or transaction script the chain will
    /// run; the account's components are known already) name the Wasm function it comes from.
    pub fn locate_failures_in(&mut self, package: &LinkedPackage) {
        self.traps.push(package.traps.clone());
    }

    /// A source manager that knows the module sources of the compiled code by URI and length
    /// (not content), so the executor can report where a failing instruction is.
    fn placeholder_sources(&self) -> Arc<dyn SourceManagerSync> {
        let sources = DefaultSourceManager::default();
        for table in &self.traps {
            for (index, module) in table.modules.iter().enumerate() {
                let len = table
                    .ranges
                    .iter()
                    .filter(|(m, ..)| *m as usize == index)
                    .map(|(_, _, end, _)| *end as usize)
                    .max()
                    .unwrap_or(0);
                // The assembler names a module's source by its path, with or without `::`. The
                // ranges end at the last instruction a Wasm operator made; runtime code may
                // follow, hence the margin.
                for uri in [module.clone(), format!("::{module}")] {
                    sources.load(
                        SourceLanguage::Masm,
                        Uri::from(uri.as_str()),
                        " ".repeat(len + 4096),
                    );
                }
            }
        }
        Arc::new(sources)
    }

    /// The Wasm function (and operator) the failing instruction of `error` was compiled from,
    /// when it is compiled code this chain knows.
    fn failure_location(&self, error: &TransactionExecutorError) -> Option<TrapLocation> {
        let TransactionExecutorError::TransactionProgramExecutionFailed(
            ExecutionError::OperationError {
                label,
                source_file: Some(file),
                ..
            },
        ) = error
        else {
            return None;
        };
        let at = label.start().to_u32() as usize;
        self.traps
            .iter()
            .find_map(|table| table.locate(file.uri().as_str(), at))
    }

    /// The account's identifier as two felts, `[suffix, prefix]` (how note storage and the
    /// protocol procedures carry it).
    pub fn account_id(&self) -> [u64; 2] {
        [
            self.account.suffix().as_canonical_u64(),
            self.account.prefix().as_felt().as_canonical_u64(),
        ]
    }

    /// `amount` of the chain's fungible test asset (issued by its fee faucet).
    ///
    /// # Errors
    /// [`DriverError::Transaction`] when the amount is too large for an asset.
    pub fn fungible_asset(&self, amount: u64) -> DriverResult<Asset> {
        FungibleAsset::new(self.faucet, amount)
            .map(Asset::from)
            .map_err(|e| chain_error("the asset", e))
    }

    /// The note script of a note-script package, as the protocol loads it
    /// (`NoteScript::from_package`).
    ///
    /// # Errors
    /// [`DriverError::Transaction`] naming the package's kind when it is not a note script.
    pub fn note_script(package: &LinkedPackage) -> DriverResult<NoteScript> {
        NoteScript::from_package(&package.package).map_err(|e| {
            chain_error(
                &format!(
                    "package `{}` (kind {}) is not a note script",
                    package.manifest.name, package.manifest.kind
                ),
                e,
            )
        })
    }

    /// The transaction script of a transaction-script package, as the protocol loads it
    /// (`TransactionScript::from_package`).
    ///
    /// # Errors
    /// [`DriverError::Transaction`] naming the package's kind when it is not a transaction
    /// script.
    pub fn tx_script(package: &LinkedPackage) -> DriverResult<TransactionScript> {
        let kind = &package.manifest.kind;
        let refuse = |reason: &dyn std::fmt::Display| {
            chain_error(
                &format!(
                    "package `{}` (kind {kind}) is not a transaction script",
                    package.manifest.name
                ),
                reason,
            )
        };
        // An executable package of another kind would load, so the manifest decides.
        if kind != "transaction-script" {
            return Err(refuse(&"its manifest names another kind"));
        }
        TransactionScript::from_package(&package.package).map_err(|e| refuse(&e))
    }

    /// A public note for this chain's account running `script`, with `storage` (felts) and
    /// `assets`, and a fresh serial number. It goes into the genesis block, so notes are made
    /// before the first transaction (or query of the chain).
    ///
    /// # Errors
    /// [`DriverError::Transaction`] when the storage or assets are more than a note holds, or
    /// the chain has already started.
    pub fn note(
        &mut self,
        script: NoteScript,
        storage: &[u64],
        assets: &[Asset],
    ) -> DriverResult<Note> {
        let storage = storage
            .iter()
            .map(|v| Felt::new(*v).map_err(|e| chain_error("a note storage felt", e)))
            .collect::<DriverResult<Vec<Felt>>>()?;
        let storage = NoteStorage::new(storage).map_err(|e| chain_error("the note storage", e))?;
        let serial = miden_protocol::crypto::rand::FeltRng::draw_word(&mut self.rng);
        let recipient = NoteRecipient::new(serial, script, storage);
        let metadata = PartialNoteMetadata::new(self.faucet, NoteType::Public)
            .with_tag(NoteTag::with_account_target(self.account));
        let assets =
            NoteAssets::new(assets.to_vec()).map_err(|e| chain_error("the note assets", e))?;
        let note = Note::with_attachments(assets, metadata, recipient, NoteAttachments::default());
        self.genesis()?
            .add_output_note(RawOutputNote::Full(note.clone()));
        Ok(note)
    }

    /// `message` with each `error code: N` that the code of the account's components or of
    /// a consumed note registered followed by its message and where it comes from (the
    /// executor reports assertion failures of code it did not assemble by number only).
    fn explain_error_codes(&self, message: &str) -> String {
        let marker = "error code: ";
        let mut out = String::new();
        let mut rest = message;
        while let Some(at) = rest.find(marker) {
            let (before, after) = rest.split_at(at + marker.len());
            out.push_str(before);
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            out.push_str(&digits);
            rest = &after[digits.len()..];
            let Some(code) = digits.parse::<u64>().ok().and_then(|v| Felt::new(v).ok()) else {
                continue;
            };
            let account = self.packages.iter().map(|p| {
                (
                    format!("component `{}`", p.manifest.name),
                    p.library().mast_forest().clone(),
                )
            });
            let known = account
                .chain(self.forests.iter().cloned())
                .find_map(|(name, forest)| Some((name, forest.resolve_error_message(code)?)));
            if let Some((name, text)) = known {
                out.push_str(&format!(" (\"{text}\", raised by the {name})"));
            }
        }
        out.push_str(rest);
        out
    }

    /// The builder, while the chain has not started.
    fn genesis(&mut self) -> DriverResult<&mut MockChainBuilder> {
        match &mut self.state {
            State::Genesis(builder) => Ok(builder),
            _ => Err(DriverError::Transaction {
                message: "notes go into the genesis block: make them before the first \
                          transaction"
                    .into(),
            }),
        }
    }

    /// The chain, built from the genesis state on first use.
    fn running(&mut self) -> DriverResult<&mut MockChain> {
        if let State::Genesis(_) = self.state {
            let State::Genesis(builder) = std::mem::replace(&mut self.state, State::Building)
            else {
                unreachable!("checked");
            };
            let chain = builder
                .build()
                .map_err(|e| chain_error("the mock chain cannot be built", e))?;
            self.state = State::Running(Box::new(chain));
        }
        match &mut self.state {
            State::Running(chain) => Ok(chain),
            _ => Err(DriverError::Transaction {
                message: "the mock chain could not be built".into(),
            }),
        }
    }

    /// The standard P2ID note of `miden-standards` (its hand-written script) paying `assets`
    /// to this chain's account, in the genesis block as [`Self::note`]'s.
    ///
    /// # Errors
    /// [`DriverError::Transaction`] when the protocol refuses the note.
    pub fn standard_p2id_note(&mut self, assets: &[Asset]) -> DriverResult<Note> {
        let note = P2idNote::create(
            self.faucet,
            self.account,
            assets.to_vec(),
            NoteType::Public,
            NoteAttachments::default(),
            &mut self.rng,
        )
        .map_err(|e| chain_error("the P2ID note", e))?;
        self.genesis()?
            .add_output_note(RawOutputNote::Full(note.clone()));
        Ok(note)
    }

    /// The account's fungible balances: faucet id (hex) and amount.
    pub fn balances(&mut self) -> DriverResult<Vec<(String, u64)>> {
        Ok(self
            .account()?
            .vault()
            .assets()
            .filter_map(|asset| match asset {
                Asset::Fungible(f) => Some((f.faucet_id().to_hex(), f.amount().into())),
                Asset::NonFungible(_) => None,
            })
            .collect())
    }

    /// The account as the chain last committed it.
    pub fn account(&mut self) -> DriverResult<&Account> {
        let account = self.account;
        self.running()?
            .committed_account(account)
            .map_err(|e| chain_error("the account", e))
    }

    /// The word in value slot `name` of the committed account.
    pub fn value_slot(&mut self, name: &str) -> DriverResult<[u64; 4]> {
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

    /// The transaction script: it creates `tx.new_notes`, then `call`s each export in
    /// `tx.calls` by MAST root with its arguments.
    fn script(&self, tx: &Transaction) -> DriverResult<TransactionScript> {
        let mut source = String::from("begin\n");
        for note in &tx.new_notes {
            // [tag, note_type, RECIPIENT] -> [note_idx]; the index is the creation order.
            let push: Vec<String> = note
                .recipient
                .iter()
                .rev()
                .map(|f| format!("push.{f}"))
                .collect();
            source.push_str(&format!(
                "    {} push.{} push.{}\n    exec.::miden::protocol::output_note::create drop\n",
                push.join(" "),
                NoteType::Private as u8,
                note.tag
            ));
        }
        for call in &tx.calls {
            let root = self
                .packages
                .iter()
                .find_map(|p| p.export(&call.export).map(|(_, root)| root))
                .ok_or_else(|| DriverError::Transaction {
                    message: format!("no component of the account exports `{}`", call.export),
                })?;
            if call.args.len() > 16 {
                return Err(DriverError::Transaction {
                    message: format!("`{}`: more than 16 argument felts", call.export),
                });
            }
            // The export takes its arguments from, and leaves its results in, the top 16
            // felts; dropping as many as were pushed restores the script's depth.
            let push: Vec<String> = call
                .args
                .iter()
                .rev()
                .map(|f| format!("push.{f}"))
                .collect();
            let drop = vec!["drop"; call.args.len()];
            source.push_str(&format!(
                "    {} call.{} {}\n",
                push.join(" "),
                root.to_hex(),
                drop.join(" ")
            ));
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
        self.execute(&Transaction {
            calls: calls.to_vec(),
            ..Transaction::default()
        })
    }

    /// Executes `tx`, commits it in a new block and reports what it changed.
    ///
    /// # Errors
    /// [`DriverError::Transaction`] with the executor's error when the transaction fails
    /// (nothing is committed then).
    pub fn execute(&mut self, tx: &Transaction) -> DriverResult<TxReport> {
        let before = self.account()?.nonce().as_canonical_u64();
        let written = !tx.calls.is_empty() || !tx.new_notes.is_empty();
        let script = match &tx.script {
            Some(_) if written => {
                return Err(DriverError::Transaction {
                    message: "a transaction has one script: a compiled one, or calls and new \
                              notes"
                        .into(),
                })
            }
            Some((script, _)) => {
                self.forests.push((
                    format!("transaction script {}", script.root().as_word().to_hex()),
                    script.mast(),
                ));
                Some(script.clone())
            }
            None if written => Some(self.script(tx)?),
            None => None,
        };
        for note in &tx.notes {
            let root = note.recipient().script().root();
            self.forests.push((
                format!("note script {}", root.as_word().to_hex()),
                note.recipient().script().mast(),
            ));
        }
        let account = self.account;
        let ids: Vec<_> = tx.notes.iter().map(Note::id).collect();
        let sources = self.placeholder_sources();
        let chain = self.running()?;
        let mut context = chain
            .build_tx_context(account, &ids, &[])
            .map_err(|e| chain_error("the transaction context", e))?
            .with_source_manager(sources);
        if let Some(script) = script {
            context = context.tx_script(script);
        }
        if let Some((_, args)) = &tx.script {
            context = context.tx_script_args(felts_to_word(*args)?);
        }
        let context = context
            .build()
            .map_err(|e| chain_error("the transaction context", e))?;
        let executed = match block_on(context.execute()) {
            Ok(executed) => executed,
            Err(e) => {
                let location = self.failure_location(&e);
                // With a location the rendered report would quote the placeholder source;
                // the failed operation and the Wasm location say more.
                let text = match (&location, &e) {
                    (
                        Some(_),
                        TransactionExecutorError::TransactionProgramExecutionFailed(
                            ExecutionError::OperationError { err, .. },
                        ),
                    ) => format!("failed to execute transaction kernel program: {err}"),
                    _ => format!("{e:#}"),
                };
                let mut error = chain_error("the transaction failed", text);
                if let DriverError::Transaction { message } = &mut error {
                    *message = self.explain_error_codes(message);
                    if let Some(location) = location {
                        message.push_str(&format!("\n  compiled from Wasm: {location}"));
                    }
                }
                return Err(error);
            }
        };
        let report = report::report(&executed, before);
        chain
            .add_pending_executed_transaction(&executed)
            .map_err(|e| chain_error("the transaction cannot be committed", e))?;
        chain
            .prove_next_block()
            .map_err(|e| chain_error("the block cannot be made", e))?;
        Ok(report)
    }
}
