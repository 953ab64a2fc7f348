//! Compiled notes and wallets against the hand-written ones of `miden-standards`, in real
//! transactions on a local mock chain: a compiled wallet receiving a compiled pay-to-ID note
//! must end where the standard wallet receiving the standard P2ID note ends, and each side's
//! note must work with the other side's account.

mod common;

use common::{midenc, ok, root, run};
use miden_protocol::asset::Asset;
use midenc::chain::{Call, LocalChain, NewNote, Transaction, TxReport};
use midenc_linker::LinkedPackage;

const RECEIVE: &str = "miden:standards/basic-wallet@0.15.0#receive-asset";
const MOVE: &str = "miden:standards/basic-wallet@0.15.0#move-asset-to-note";

/// Compiles the contract fixture `name` with extra `args`, in `dir`.
fn compile(dir: &std::path::Path, name: &str, args: &[&str]) -> LinkedPackage {
    let fixture = root().join("tests/fixtures/contracts").join(name);
    let wat = fixture.join(format!("{name}.wat")).display().to_string();
    let wit = fixture.join("wit").display().to_string();
    let out = format!("{name}.masp");
    let mut all = vec!["compile", &wat, "--wit", &wit, "-o", &out];
    all.extend(args);
    ok(run(&mut midenc(&all, dir)));
    LinkedPackage::from_bytes(&std::fs::read(dir.join(&out)).unwrap()).unwrap()
}

/// The compiled wallet (an account component) and the compiled pay-to-ID note linked against
/// it; with `standard`, the note is linked against the bundled standard wallet instead.
fn compiled_pair(dir: &std::path::Path, standard: bool) -> (LinkedPackage, LinkedPackage) {
    let metadata = root()
        .join("tests/fixtures/contracts/wallet/component.toml")
        .display()
        .to_string();
    let wallet = compile(dir, "wallet", &["--account-component", &metadata]);
    let note = if standard {
        compile(dir, "p2id", &["--note-script", "run"])
    } else {
        compile(dir, "p2id", &["--note-script", "run", "-L", "wallet.masp"])
    };
    (wallet, note)
}

/// The felts of `asset` followed by `note_index`: what `move-asset-to-note` takes.
fn move_args(asset: &Asset, note_index: u64) -> Vec<u64> {
    let mut args: Vec<u64> = asset
        .as_elements()
        .iter()
        .map(|f| f.as_canonical_u64())
        .collect();
    args.push(note_index);
    args
}

/// Receives a note paying 100 (from `receive`), then sends 30 to a new note with a fixed
/// recipient. Returns both reports and the final balances.
fn scenario(
    chain: &mut LocalChain,
    receive: impl FnOnce(&mut LocalChain, &[Asset]) -> miden_protocol::note::Note,
) -> (TxReport, TxReport, Vec<(String, u64)>) {
    let paid = [chain.fungible_asset(100).unwrap()];
    let note = receive(chain, &paid);
    let received = chain
        .execute(&Transaction {
            notes: vec![note],
            ..Transaction::default()
        })
        .unwrap();
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
        .unwrap();
    (received, sent, chain.balances().unwrap())
}

#[test]
fn a_compiled_wallet_and_note_end_where_the_standard_pair_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, p2id) = compiled_pair(dir.path(), false);
    let mut compiled = LocalChain::with_account(vec![wallet]).unwrap();
    let script = LocalChain::note_script(&p2id).unwrap();
    let (c_received, c_sent, c_final) = scenario(&mut compiled, |chain, assets| {
        let target = chain.account_id();
        chain.note(script, &target, assets).unwrap()
    });

    let mut standard = LocalChain::with_standard_wallet().unwrap();
    let (s_received, s_sent, s_final) = scenario(&mut standard, |chain, assets| {
        chain.standard_p2id_note(assets).unwrap()
    });

    let faucet = c_final[0].0.clone();
    assert_eq!(c_final, vec![(faucet.clone(), 70)]);
    assert_eq!(c_final, s_final);
    for (c, s) in [(&c_received, &s_received), (&c_sent, &s_sent)] {
        assert_eq!(c.nonce, s.nonce);
        assert_eq!(c.vault, s.vault);
        // Note ids commit to the sender too (each account's own id), so the notes are
        // compared by what they carry: recipient and assets.
        let carried = |r: &TxReport| -> Vec<_> {
            r.output_notes
                .iter()
                .map(|n| (n.recipient, n.assets.clone()))
                .collect()
        };
        assert_eq!(carried(c), carried(s));
        assert!(c.storage.is_empty() && s.storage.is_empty());
    }
    assert_eq!(c_received.vault, vec![(faucet.clone(), 100)]);
    assert_eq!(c_sent.vault, vec![(faucet.clone(), -30)]);
    assert_eq!(c_sent.output_notes.len(), 1);
    assert_eq!(c_sent.output_notes[0].assets, vec![(faucet, 30)]);
    assert_eq!(c_sent.output_notes[0].recipient, [11, 22, 33, 44]);
    // The figures docs/benchmarks.md reports.
    eprintln!(
        "receive: compiled note execution {} (total {}), hand-written {} (total {})",
        c_received.cycles.note_execution,
        c_received.cycles.total,
        s_received.cycles.note_execution,
        s_received.cycles.total
    );
    assert!(c_received.cycles.note_execution > 0 && s_received.cycles.note_execution > 0);
}

#[test]
fn a_compiled_note_pays_an_account_of_hand_written_components() {
    let dir = tempfile::tempdir().unwrap();
    let (_, p2id) = compiled_pair(dir.path(), true);
    let mut chain = LocalChain::with_standard_wallet().unwrap();
    let assets = [chain.fungible_asset(55).unwrap()];
    let target = chain.account_id();
    let note = chain
        .note(LocalChain::note_script(&p2id).unwrap(), &target, &assets)
        .unwrap();
    let report = chain
        .execute(&Transaction {
            notes: vec![note],
            ..Transaction::default()
        })
        .unwrap();
    assert_eq!(report.vault.len(), 1);
    assert_eq!(report.vault[0].1, 55);
    assert_eq!(chain.balances().unwrap()[0].1, 55);
}

#[test]
fn a_hand_written_note_pays_an_account_of_compiled_components() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _) = compiled_pair(dir.path(), false);
    let receive = wallet.export(RECEIVE).unwrap().1.to_hex();
    // A hand-written note script: the note's one asset, passed to the compiled wallet's
    // `receive-asset` by its MAST root.
    let source = format!(
        "use miden::protocol::active_note
        @note_script
        pub proc main
            push.0 exec.active_note::get_assets assert
            padw padw padw push.4 mem_loadw_le padw push.0 mem_loadw_le
            call.{receive}
            dropw dropw dropw dropw
        end"
    );
    let script = miden_standards::code_builder::CodeBuilder::default()
        .compile_note_script(source)
        .unwrap();
    let mut chain = LocalChain::with_account(vec![wallet]).unwrap();
    let assets = [chain.fungible_asset(9).unwrap()];
    let note = chain.note(script, &[], &assets).unwrap();
    let report = chain
        .execute(&Transaction {
            notes: vec![note],
            ..Transaction::default()
        })
        .unwrap();
    assert_eq!(report.vault[0].1, 9);
}

#[test]
fn a_compiled_note_refuses_an_account_it_does_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, p2id) = compiled_pair(dir.path(), false);
    let mut chain = LocalChain::with_account(vec![wallet]).unwrap();
    let assets = [chain.fungible_asset(5).unwrap()];
    let [suffix, prefix] = chain.account_id();
    let note = chain
        .note(
            LocalChain::note_script(&p2id).unwrap(),
            &[suffix, prefix + 1],
            &assets,
        )
        .unwrap();
    let err = chain
        .execute(&Transaction {
            notes: vec![note],
            ..Transaction::default()
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("the transaction failed"), "{err}");
    // The Wasm trap's message and the code that raised it. (The chain keeps public notes
    // with their scripts' debug information stripped, so the executor cannot say where.)
    assert!(
        err.contains("(\"unreachable\", raised by the note script 0x"),
        "{err}"
    );
    // Nothing was committed.
    assert!(chain.balances().unwrap().is_empty());
}

#[test]
fn packages_of_the_wrong_kind_are_refused_naming_both_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, p2id) = compiled_pair(dir.path(), false);
    let err = LocalChain::note_script(&wallet).unwrap_err().to_string();
    assert!(
        err.contains("(kind account-component) is not a note script"),
        "{err}"
    );
    let err = LocalChain::with_account(vec![p2id])
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("(kind note-script) is not an account component"),
        "{err}"
    );
}
