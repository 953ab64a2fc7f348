//! The wallet + pay-to-ID scenario that `tests/contract_notes.rs` checks against the
//! hand-written contracts of `miden-standards` and `bin/contract_bench.rs` measures: the
//! compiled fixtures of `tests/fixtures/contracts/`, and one chain history for every pair.

use std::path::{Path, PathBuf};

use miden_protocol::{asset::Asset, note::Note};
use midenc::chain::{Call, LocalChain, NewNote, Transaction, TxReport};
use midenc_linker::{LinkSet, LinkedPackage};

/// The standard wallet's procedure a pay-to-ID note calls, by its WIT name.
pub const RECEIVE: &str = "miden:standards/basic-wallet@0.15.0#receive-asset";
/// The standard wallet's procedure that moves an asset into an output note.
pub const MOVE: &str = "miden:standards/basic-wallet@0.15.0#move-asset-to-note";

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Compiles the contract fixture `name` (core Wasm and its WIT world) against `links`.
pub fn compile_fixture(name: &str, links: &LinkSet) -> LinkedPackage {
    let dir = repo().join("tests/fixtures/contracts").join(name);
    let path = dir.join(format!("{name}.wat"));
    let wasm = wat::parse_file(&path).expect("fixture parses");
    let wit = dir.join("wit");
    let request = midenc::CompileRequest {
        world: Some(midenc::World::File {
            path: &wit,
            world: None,
        }),
        ..midenc::CompileRequest::new(&path, &wasm, name, links)
    };
    midenc::compile(&request).expect("fixture compiles").1
}

/// The compiled wallet component and the compiled pay-to-ID note, linked against that wallet
/// or, with `standard`, against the bundled description of the standard wallet.
pub fn wat_pair(standard: bool) -> (LinkedPackage, LinkedPackage) {
    let mut wallet = compile_fixture("wallet", &LinkSet::default());
    let metadata = repo().join("tests/fixtures/contracts/wallet/component.toml");
    midenc::make_account_component(&mut wallet, &metadata).expect("metadata");
    let mut links = LinkSet::default();
    if !standard {
        let copy = LinkedPackage::from_bytes(&wallet.to_bytes()).expect("reloads");
        links.add("wallet.masp", copy).expect("links");
    }
    let mut note = compile_fixture("p2id", &links);
    note.make_note_script("run").expect("entry");
    (wallet, note)
}

/// The felts of `asset` followed by `note_index`: what `move-asset-to-note` takes.
pub fn move_args(asset: &Asset, note_index: u64) -> Vec<u64> {
    let mut args: Vec<u64> = asset
        .as_elements()
        .iter()
        .map(|f| f.as_canonical_u64())
        .collect();
    args.push(note_index);
    args
}

/// The scenario: the account consumes the note `receive` makes paying 100, then a second
/// transaction moves 30 into a new private note (recipient `[11, 22, 33, 44]`, tag 7) through
/// `move-asset-to-note`. Returns both reports and the final balances.
pub fn scenario(
    chain: &mut LocalChain,
    receive: impl FnOnce(&mut LocalChain, &[Asset]) -> Note,
) -> (TxReport, TxReport, Vec<(String, u64)>) {
    let paid = [chain.fungible_asset(100).unwrap()];
    let note = receive(chain, &paid);
    let received = chain
        .execute(&Transaction {
            notes: vec![note],
            ..Transaction::default()
        })
        .expect("the note is consumed");
    let sent = chain
        .execute(&Transaction {
            new_notes: vec![NewNote {
                recipient: [11, 22, 33, 44],
                tag: 7,
            }],
            calls: vec![Call {
                export: MOVE.into(),
                args: move_args(&chain.fungible_asset(30).unwrap(), 0),
            }],
            ..Transaction::default()
        })
        .expect("the asset is sent");
    (received, sent, chain.balances().unwrap())
}

/// [`scenario`] with the compiled note script `note` paying the chain's account.
pub fn with_compiled_note(
    chain: &mut LocalChain,
    note: &LinkedPackage,
) -> (TxReport, TxReport, Vec<(String, u64)>) {
    let script = LocalChain::note_script(note).expect("a note script");
    scenario(chain, |chain, assets| {
        let target = chain.account_id();
        chain.note(script, &target, assets).unwrap()
    })
}

/// [`scenario`] with the standard wallet and the standard P2ID note: the yardstick.
pub fn standard_scenario() -> (TxReport, TxReport, Vec<(String, u64)>) {
    let mut chain = LocalChain::with_standard_wallet().unwrap();
    scenario(&mut chain, |chain, assets| {
        chain.standard_p2id_note(assets).unwrap()
    })
}
