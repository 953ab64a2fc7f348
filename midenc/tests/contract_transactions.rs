//! Compiled contracts in real transactions: packages built by midenc are loaded by the
//! protocol (`AccountComponent::from_package`) into an account on a local mock chain, and
//! transactions run by the protocol's own executor call them.

mod common;

use common::{midenc, ok, root, run};
use midenc::chain::{Call, LocalChain, SlotChange};
use midenc_linker::LinkedPackage;

/// Compiles `tests/fixtures/contracts/counter/counter.wat` (core Wasm importing the protocol
/// library) as an account component.
fn compile_counter() -> LinkedPackage {
    let fixture = root().join("tests/fixtures/contracts/counter");
    let dir = tempfile::tempdir().unwrap();
    let out = run(&mut midenc(
        &[
            "compile",
            &fixture.join("counter.wat").display().to_string(),
            "--wit",
            &fixture.join("wit").display().to_string(),
            "--account-component",
            &fixture.join("component.toml").display().to_string(),
            "-o",
            "counter.masp",
        ],
        dir.path(),
    ));
    ok(out);
    LinkedPackage::from_bytes(&std::fs::read(dir.path().join("counter.masp")).unwrap()).unwrap()
}

fn increment() -> Call {
    Call {
        export: "increment".into(),
    }
}

#[test]
fn a_compiled_counter_counts_across_transactions() {
    let mut chain = LocalChain::with_account(vec![compile_counter()]).unwrap();
    assert_eq!(chain.value_slot("demo::counter::count").unwrap(), [0; 4]);
    for n in 1..=3u64 {
        let report = chain.transact(&[increment()]).unwrap();
        assert_eq!(report.nonce, (n, n + 1), "the auth component increments the nonce");
        assert_eq!(
            report.storage,
            vec![(
                "demo::counter::count".to_string(),
                SlotChange::Value([n, 0, 0, 0])
            )]
        );
        assert!(report.cycles.tx_script > 0 && report.cycles.total > report.cycles.tx_script);
        assert_eq!(chain.value_slot("demo::counter::count").unwrap(), [n, 0, 0, 0]);
    }
    // Several calls in one transaction.
    let report = chain.transact(&[increment(), increment()]).unwrap();
    assert_eq!(
        report.storage,
        vec![("demo::counter::count".to_string(), SlotChange::Value([5, 0, 0, 0]))]
    );
}
