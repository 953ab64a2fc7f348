//! Benchmark (a table, not a test): a wallet account receives a pay-to-ID note of 100 units,
//! then sends 30 in a new note, on a local mock chain; the cycles of each transaction, for the
//! hand-written pair of `miden-standards` and for compiled ones.
//!
//! Run: `cargo run -p midenc-tests --bin contract_bench --locked`. The Rust rows appear when
//! `examples/` was built first (`docs/benchmarks.md`, "Contracts").

use std::path::{Path, PathBuf};

use miden_protocol::{asset::Asset, note::Note};
use midenc::chain::{Call, LocalChain, NewNote, Transaction, TxReport};
use midenc_linker::{LinkSet, LinkedPackage};

const MOVE: &str = "miden:standards/basic-wallet@0.15.0#move-asset-to-note";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Compiles the contract fixture `name` (core Wasm + WIT) against `links`.
fn compile_fixture(name: &str, links: &LinkSet) -> LinkedPackage {
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

/// The compiled wallet component and the pay-to-ID note linked against it.
fn wat_pair() -> (LinkedPackage, LinkedPackage) {
    let mut wallet = compile_fixture("wallet", &LinkSet::default());
    let metadata = repo().join("tests/fixtures/contracts/wallet/component.toml");
    midenc::make_account_component(&mut wallet, &metadata).expect("metadata");
    let mut links = LinkSet::default();
    links
        .add(
            "wallet",
            LinkedPackage::from_bytes(&wallet.to_bytes()).unwrap(),
        )
        .expect("links");
    let mut note = compile_fixture("p2id", &links);
    note.make_note_script("run").expect("entry");
    (wallet, note)
}

/// `examples/target/miden/<profile>/{wallet,p2id}.masp`, when built.
fn rust_pair(profile: &str) -> Option<(LinkedPackage, LinkedPackage)> {
    let dir = repo().join("examples/target/miden").join(profile);
    let load = |name: &str| {
        let bytes = std::fs::read(dir.join(format!("{name}.masp"))).ok()?;
        LinkedPackage::from_bytes(&bytes).ok()
    };
    Some((load("wallet")?, load("p2id")?))
}

/// The felts of `asset` and then `note_index`: what `move-asset-to-note` takes.
fn move_args(asset: &Asset, note_index: u64) -> Vec<u64> {
    let mut args: Vec<u64> = asset
        .as_elements()
        .iter()
        .map(|f| f.as_canonical_u64())
        .collect();
    args.push(note_index);
    args
}

/// Receive 100 through the note `receive` makes, then send 30.
fn scenario(
    mut chain: LocalChain,
    receive: impl FnOnce(&mut LocalChain, &[Asset]) -> Note,
) -> (TxReport, TxReport) {
    let paid = [chain.fungible_asset(100).unwrap()];
    let note = receive(&mut chain, &paid);
    let received = chain
        .execute(&Transaction {
            notes: vec![note],
            ..Transaction::default()
        })
        .expect("receives");
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
        .expect("sends");
    assert_eq!(chain.balances().unwrap()[0].1, 70, "the scenario's balance");
    (received, sent)
}

/// The scenario with a compiled note paying `account`.
fn with_note(account: LocalChain, note: &LinkedPackage) -> (TxReport, TxReport) {
    let script = LocalChain::note_script(note).expect("a note script");
    scenario(account, |chain, assets| {
        let target = chain.account_id();
        chain.note(script, &target, assets).unwrap()
    })
}

fn main() {
    let mut rows: Vec<(String, (TxReport, TxReport))> = Vec::new();
    rows.push((
        "hand-written wallet + P2ID (miden-standards)".into(),
        scenario(
            LocalChain::with_standard_wallet().unwrap(),
            |chain, assets| chain.standard_p2id_note(assets).unwrap(),
        ),
    ));
    let (wallet, note) = wat_pair();
    rows.push((
        "compiled wallet + P2ID (core Wasm fixtures)".into(),
        with_note(LocalChain::with_account(vec![wallet]).unwrap(), &note),
    ));
    for profile in ["release", "debug"] {
        match rust_pair(profile) {
            Some((wallet, note)) => rows.push((
                format!("compiled wallet + P2ID (Rust examples, {profile})"),
                with_note(LocalChain::with_account(vec![wallet]).unwrap(), &note),
            )),
            None => eprintln!(
                "(no Rust row for {profile}: build examples/wallet and examples/p2id first)"
            ),
        }
    }
    let hand = rows[0].1.clone();
    println!("| pair | note script | receive tx | send: tx script | send tx | note script ÷ hand | receive tx ÷ hand |");
    println!("|---|---|---|---|---|---|---|");
    for (name, (received, sent)) in &rows {
        println!(
            "| {name} | {} | {} | {} | {} | {:.2}× | {:.2}× |",
            received.cycles.note_execution,
            received.cycles.total,
            sent.cycles.tx_script,
            sent.cycles.total,
            received.cycles.note_execution as f64 / hand.0.cycles.note_execution as f64,
            received.cycles.total as f64 / hand.0.cycles.total as f64,
        );
    }
}
