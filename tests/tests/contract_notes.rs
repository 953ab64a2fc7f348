//! Compiled notes and wallets against the hand-written ones of `miden-standards`, in real
//! transactions on a local mock chain: a compiled wallet receiving a compiled pay-to-ID note
//! must end where the standard wallet receiving the standard P2ID note ends, and each side's
//! note must work with the other side's account.

use midenc::chain::{LocalChain, Transaction, TxReport};
use midenc_tests::contracts::{standard_scenario, wat_pair, with_compiled_note, RECEIVE};

#[test]
fn a_compiled_wallet_and_note_end_where_the_standard_pair_ends() {
    let (wallet, p2id) = wat_pair(false);
    let mut compiled = LocalChain::with_account(vec![wallet]).unwrap();
    let (c_received, c_sent, c_final) = with_compiled_note(&mut compiled, &p2id);
    let (s_received, s_sent, s_final) = standard_scenario();

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
    // The cycles are compared in docs/benchmarks.md (`contract_bench`).
    assert!(c_received.cycles.note_execution > 0 && s_received.cycles.note_execution > 0);
}

#[test]
fn a_compiled_note_pays_an_account_of_hand_written_components() {
    let (_, p2id) = wat_pair(true);
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
    let (wallet, _) = wat_pair(false);
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
    let (wallet, p2id) = wat_pair(false);
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
    let (wallet, p2id) = wat_pair(false);
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
