//! Benchmark (a table, not a test): a wallet account receives a pay-to-ID note of 100 units,
//! then sends 30 in a new note, on a local mock chain; the cycles of each transaction, for the
//! hand-written pair of `miden-standards` and for compiled ones
//! (`midenc_tests::contracts::scenario`).
//!
//! Run: `cargo run -p midenc-tests --bin contract_bench --locked`. The Rust rows appear when
//! `examples/` was built first (`docs/benchmarks.md`, "Contracts").

use midenc::chain::{LocalChain, TxReport};
use midenc_linker::LinkedPackage;
use midenc_tests::contracts::{repo, standard_scenario, wat_pair, with_compiled_note};

/// `examples/target/miden/<profile>/{wallet,p2id}.masp`, when built.
fn rust_pair(profile: &str) -> Option<(LinkedPackage, LinkedPackage)> {
    let dir = repo().join("examples/target/miden").join(profile);
    let load = |name: &str| {
        let bytes = std::fs::read(dir.join(format!("{name}.masp"))).ok()?;
        LinkedPackage::from_bytes(&bytes).ok()
    };
    Some((load("wallet")?, load("p2id")?))
}

/// The scenario with `wallet` as the account and `note` paying it.
fn compiled(wallet: LinkedPackage, note: &LinkedPackage) -> (TxReport, TxReport) {
    let mut chain = LocalChain::with_account(vec![wallet]).expect("an account component");
    let (received, sent, balances) = with_compiled_note(&mut chain, note);
    assert_eq!(balances[0].1, 70, "the scenario's balance");
    (received, sent)
}

fn main() {
    let (received, sent, _) = standard_scenario();
    let mut rows = vec![(
        "hand-written wallet + P2ID (miden-standards)".to_string(),
        (received, sent),
    )];
    let (wallet, note) = wat_pair(false);
    rows.push((
        "compiled wallet + P2ID (core Wasm fixtures)".into(),
        compiled(wallet, &note),
    ));
    for profile in ["release", "debug"] {
        match rust_pair(profile) {
            Some((wallet, note)) => rows.push((
                format!("compiled wallet + P2ID (Rust examples, {profile})"),
                compiled(wallet, &note),
            )),
            None => eprintln!(
                "(no Rust row for {profile}: build examples/wallet and examples/p2id first)"
            ),
        }
    }
    let hand = rows[0].1.clone();
    println!(
        "| pair | note script | receive tx | send: tx script | send tx | note script ÷ hand | \
         receive tx ÷ hand |"
    );
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
