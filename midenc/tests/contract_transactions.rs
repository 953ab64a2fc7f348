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
    Call::new("increment")
}

#[test]
fn a_compiled_counter_counts_across_transactions() {
    let mut chain = LocalChain::with_account(vec![compile_counter()]).unwrap();
    assert_eq!(chain.value_slot("demo::counter::count").unwrap(), [0; 4]);
    for n in 1..=3u64 {
        let report = chain.transact(&[increment()]).unwrap();
        assert_eq!(
            report.nonce,
            (n, n + 1),
            "the auth component increments the nonce"
        );
        assert_eq!(
            report.storage,
            vec![(
                "demo::counter::count".to_string(),
                SlotChange::Value([n, 0, 0, 0])
            )]
        );
        assert!(report.cycles.tx_script > 0 && report.cycles.total > report.cycles.tx_script);
        assert_eq!(
            chain.value_slot("demo::counter::count").unwrap(),
            [n, 0, 0, 0]
        );
    }
    // Several calls in one transaction.
    let report = chain.transact(&[increment(), increment()]).unwrap();
    assert_eq!(
        report.storage,
        vec![(
            "demo::counter::count".to_string(),
            SlotChange::Value([5, 0, 0, 0])
        )]
    );
}

/// Compiles `wat` (in a fresh directory, as `name.wat`) with the counter's world and metadata.
fn compile_variant(dir: &std::path::Path, name: &str, wat: &str, component: bool) -> String {
    let fixture = root().join("tests/fixtures/contracts/counter");
    std::fs::write(dir.join(format!("{name}.wat")), wat).unwrap();
    let wit = fixture.join("wit").display().to_string();
    let metadata = fixture.join("component.toml").display().to_string();
    let input = format!("{name}.wat");
    let output = format!("{name}.masp");
    let mut args = vec!["compile", &input, "--wit", &wit, "-o", &output];
    if component {
        args.extend(["--account-component", &metadata]);
    }
    ok(run(&mut midenc(&args, dir)));
    output
}

#[test]
fn midenc_tx_reports_each_transaction_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let wat = std::fs::read_to_string(root().join("tests/fixtures/contracts/counter/counter.wat"))
        .unwrap();
    let package = compile_variant(dir.path(), "counter", &wat, true);
    // The protocol imports are `exec`ed, and inspect says so.
    let manifest: serde_json::Value = serde_json::from_str(&common::stdout(&ok(run(&mut midenc(
        &["inspect", &package, "--json"],
        dir.path(),
    )))))
    .unwrap();
    let imports = manifest["imports"].as_array().unwrap();
    assert_eq!(imports.len(), 2);
    assert!(
        imports.iter().all(|i| i["invocation"] == "exec"),
        "{imports:?}"
    );
    assert_eq!(imports[0]["resolved"]["package"], "miden:protocol");
    let table = common::stdout(&ok(run(&mut midenc(&["inspect", &package], dir.path()))));
    assert!(table.contains("invocation"), "{table}");
    let text = common::stdout(&ok(run(&mut midenc(
        &[
            "tx",
            "--account",
            &package,
            "--call",
            "increment",
            "--repeat",
            "2",
        ],
        dir.path(),
    ))));
    assert!(text.contains("transaction 2"), "{text}");
    assert!(text.contains("nonce     2 -> 3"), "{text}");
    assert!(
        text.contains("demo::counter::count = [2, 0, 0, 0]"),
        "{text}"
    );
    let json = common::stdout(&ok(run(&mut midenc(
        &[
            "tx",
            "--account",
            &package,
            "--call",
            "increment",
            "--call",
            "increment",
            "--json",
        ],
        dir.path(),
    ))));
    let reports: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        reports[0]["storage"][0]["value"],
        serde_json::json!([2, 0, 0, 0])
    );
    assert_eq!(reports[0]["nonce"]["after"], 2);
    assert!(reports[0]["cycles"]["tx_script"].as_u64().unwrap() > 0);
}

#[test]
fn an_undeclared_storage_slot_fails_the_transaction_with_the_kernels_error() {
    let dir = tempfile::tempdir().unwrap();
    let wat = std::fs::read_to_string(root().join("tests/fixtures/contracts/counter/counter.wat"))
        .unwrap()
        .replace("0xd3883f454f29869e", "0xd3883f454f29869f");
    let package = compile_variant(dir.path(), "badslot", &wat, true);
    let out = run(&mut midenc(
        &["tx", "--account", &package, "--call", "increment"],
        dir.path(),
    ));
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(err.contains("the transaction failed"), "{err}");
    assert!(
        err.contains("storage slot with the provided name does not exist"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "plain text: {err:?}");
}

#[test]
fn a_package_of_another_kind_is_refused_naming_both_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let wat = std::fs::read_to_string(root().join("tests/fixtures/contracts/counter/counter.wat"))
        .unwrap();
    let package = compile_variant(dir.path(), "library", &wat, false);
    let out = run(&mut midenc(
        &["tx", "--account", &package, "--call", "increment"],
        dir.path(),
    ));
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(
        err.contains("(kind library) is not an account component"),
        "{err}"
    );
}

#[test]
fn a_protocol_function_that_does_not_exist_is_a_link_error_listing_the_interface() {
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module
      (import "miden:protocol/active-account@0.15.0" "get-items" (func (param f32 f32 i32)))
      (func (export "increment") (result f32) (f32.const 0))
      (func (export "get-count") (result f32) (f32.const 0)))"#;
    std::fs::write(dir.path().join("m.wat"), wat).unwrap();
    let out = run(&mut midenc(&["compile", "m.wat"], dir.path()));
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(err.contains("has no such function"), "{err}");
    assert!(err.contains("#get-item"), "{err}");
}
