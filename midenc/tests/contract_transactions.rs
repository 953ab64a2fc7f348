//! Compiled contracts in real transactions: packages built by midenc are loaded by the
//! protocol (`AccountComponent::from_package`) into an account on a local mock chain, and
//! transactions run by the protocol's own executor call them.

mod common;

use common::{midenc, ok, root, run};
use midenc::chain::{Call, LocalChain, SlotChange, Transaction};
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

/// A transaction script in core Wasm: it calls the account's `increment` (bound by MAST root
/// to the counter package given with `-L`) twice and creates a private note whose recipient is
/// the script's argument word.
fn tx_script_wat(increment_root: &str) -> String {
    format!(
        r#"(module
      (import "mast:{increment_root}" "increment" (func $increment (result f32)))
      (import "miden:protocol/output-note@0.15.0" "create"
        (func $create (param f32 f32 f32 f32 f32 f32) (result f32)))
      (import "miden:intrinsics/felt" "from_u32" (func $felt (param i32) (result f32)))
      (func (export "run") (param f32 f32 f32 f32)
        (drop (call $increment))
        (drop (call $increment))
        (drop (call $create (call $felt (i32.const 7)) (call $felt (i32.const 0))
          (local.get 0) (local.get 1) (local.get 2) (local.get 3)))))"#
    )
}

#[test]
fn a_compiled_transaction_script_calls_the_account_and_creates_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let wat = std::fs::read_to_string(root().join("tests/fixtures/contracts/counter/counter.wat"))
        .unwrap();
    let counter = compile_variant(dir.path(), "counter", &wat, true);
    let counter =
        LinkedPackage::from_bytes(&std::fs::read(dir.path().join(counter)).unwrap()).unwrap();
    let (_, root_word) = counter.export("increment").unwrap();
    std::fs::write(
        dir.path().join("bump.wat"),
        tx_script_wat(&root_word.to_hex()),
    )
    .unwrap();
    let wit = root().join("tests/fixtures/contracts/bump/wit");
    ok(run(&mut midenc(
        &[
            "compile",
            "bump.wat",
            "--wit",
            wit.to_str().unwrap(),
            "-L",
            "counter.masp",
            "--tx-script",
            "run",
            "-o",
            "bump.masp",
        ],
        dir.path(),
    )));
    let bump =
        LinkedPackage::from_bytes(&std::fs::read(dir.path().join("bump.masp")).unwrap()).unwrap();
    assert_eq!(bump.manifest.kind, "transaction-script");
    assert_eq!(bump.manifest.entry, "run");
    let script = LocalChain::tx_script(&bump).unwrap();

    let reloaded = LinkedPackage::from_bytes(&counter.to_bytes()).unwrap();
    let mut chain = LocalChain::with_account(vec![reloaded]).unwrap();
    let report = chain
        .execute(&Transaction {
            script: Some((script, [11, 12, 13, 14])),
            ..Transaction::default()
        })
        .unwrap();
    assert_eq!(
        report.storage,
        vec![(
            "demo::counter::count".to_string(),
            SlotChange::Value([2, 0, 0, 0])
        )]
    );
    assert_eq!(report.output_notes.len(), 1);
    assert_eq!(report.output_notes[0].recipient, [11, 12, 13, 14]);
    assert!(report.cycles.tx_script > 0);

    // The CLI runs it the same way.
    let text = common::stdout(&ok(run(&mut midenc(
        &[
            "tx",
            "--account",
            "counter.masp",
            "--script",
            "bump.masp",
            "--script-args",
            "11,12,13,14",
        ],
        dir.path(),
    ))));
    assert!(
        text.contains("demo::counter::count = [2, 0, 0, 0]"),
        "{text}"
    );
    assert!(text.contains("recipient [11, 12, 13, 14]"), "{text}");

    // Kinds are checked both ways: an account component is no script, a script no component.
    let err = LocalChain::tx_script(&counter).unwrap_err().to_string();
    assert!(
        err.contains("(kind account-component) is not a transaction script"),
        "{err}"
    );
    let out = run(&mut midenc(
        &["tx", "--account", "bump.masp", "--call", "increment"],
        dir.path(),
    ));
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("(kind transaction-script) is not an account component"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn a_script_entry_that_cannot_start_a_script_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module
      (func (export "run") (param i32) (result i32) (local.get 0)))"#;
    std::fs::write(dir.path().join("s.wat"), wat).unwrap();
    for (flag, entry, needle) in [
        (
            "--tx-script",
            "run",
            "transaction script entry `run`: its signature is",
        ),
        (
            "--tx-script",
            "main",
            "the package has no such export (it exports run)",
        ),
        (
            "--note-script",
            "run",
            "note script entry `run`: its signature is",
        ),
    ] {
        let out = run(&mut midenc(&["compile", "s.wat", flag, entry], dir.path()));
        assert!(!out.status.success());
        let err = common::stderr(&out);
        assert!(err.contains(needle), "{err}");
        assert!(err.contains("midenc::contract::script_entry"), "{err}");
        assert!(
            !dir.path().join("s.masp").exists(),
            "no half-written package"
        );
    }
}

#[test]
fn a_failing_script_names_the_wasm_function_it_was_compiled_from() {
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module
      (func $check (param i32) (if (local.get 0) (then unreachable)))
      (func (export "run") (call $check (i32.const 1))))"#;
    std::fs::write(dir.path().join("boom.wat"), wat).unwrap();
    ok(run(&mut midenc(
        &[
            "compile",
            "boom.wat",
            "--tx-script",
            "run",
            "-o",
            "boom.masp",
        ],
        dir.path(),
    )));
    let out = run(&mut midenc(
        &["tx", "--standard-wallet", "--script", "boom.masp"],
        dir.path(),
    ));
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(err.contains("the transaction failed"), "{err}");
    assert!(
        err.contains("assertion failed with error message: unreachable"),
        "{err}"
    );
    assert!(
        err.contains("compiled from Wasm: in check, at offset 0x"),
        "{err}"
    );
}

#[test]
fn a_script_writing_account_storage_is_refused_at_compile_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let deps = root().join("tests/fixtures/contracts/counter/wit/deps");
    for dep in ["miden-base/core-types.wit", "miden-protocol/protocol.wit"] {
        let to = d.join("wit/deps").join(dep);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(deps.join(dep), to).unwrap();
    }
    std::fs::write(
        d.join("wit/world.wit"),
        "package demo:bad@0.1.0;\n\
         world bad {\n\
             use miden:base/core-types@1.0.0.{felt, word};\n\
             import miden:protocol/native-account@0.15.0;\n\
             export run: func();\n\
         }\n",
    )
    .unwrap();
    let wat = r#"(module
      (import "miden:protocol/native-account@0.15.0" "set-item"
        (func $set (param f32 f32 f32 f32 f32 f32 i32)))
      (memory (export "memory") 1)
      (func (export "run")
        (call $set (f32.const 0) (f32.const 0) (f32.const 0) (f32.const 0) (f32.const 0)
          (f32.const 0) (i32.const 16))))"#;
    std::fs::write(d.join("bad.wat"), wat).unwrap();
    // As a library (an account component's code could do this), it compiles.
    ok(run(&mut midenc(&["compile", "bad.wat", "--wit", "wit"], d)));
    for (flag, kind) in [
        ("--note-script", "note script"),
        ("--tx-script", "transaction script"),
    ] {
        let out = run(&mut midenc(
            &[
                "compile", "bad.wat", "--wit", "wit", flag, "run", "-o", "s.masp",
            ],
            d,
        ));
        assert!(!out.status.success());
        let err = common::stderr(&out);
        assert!(
            err.contains(&format!(
                "a {kind} cannot call `miden:protocol/native-account@0.15.0#set-item`"
            )),
            "{err}"
        );
        assert!(err.contains("midenc::contract::account_only"), "{err}");
        assert!(!d.join("s.masp").exists());
    }
}

#[test]
fn midenc_tx_calls_exports_with_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = root().join("tests/fixtures/contracts/counter");
    // The counter with one more export, `add-by(n)`: the count plus `n`.
    let world = std::fs::read_to_string(fixture.join("wit/world.wit"))
        .unwrap()
        .replace(
            "    export get-count: func() -> felt;",
            "    export get-count: func() -> felt;\n    export add-by: func(n: felt) -> felt;",
        );
    for dep in ["miden-base/core-types.wit", "miden-protocol/protocol.wit"] {
        let to = d.join("wit/deps").join(dep);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture.join("wit/deps").join(dep), to).unwrap();
    }
    std::fs::write(d.join("wit/world.wit"), world).unwrap();
    let wat = std::fs::read_to_string(fixture.join("counter.wat")).unwrap();
    let end = wat.trim_end().strip_suffix(')').unwrap();
    let wat = format!(
        "{end}
  (func (export \"add-by\") (param f32) (result f32)
    (local $n f32)
    (local.set $n (call $add (call $read) (local.get 0)))
    (call $set_item (call $suffix) (call $prefix)
      (local.get $n) (f32.load (i32.const 20)) (f32.load (i32.const 24)) (f32.load (i32.const 28))
      (i32.const 32))
    (local.get $n)))"
    );
    std::fs::write(d.join("counter.wat"), wat).unwrap();
    let metadata = fixture.join("component.toml");
    ok(run(&mut midenc(
        &[
            "compile",
            "counter.wat",
            "--wit",
            "wit",
            "--account-component",
            metadata.to_str().unwrap(),
        ],
        d,
    )));
    let text = common::stdout(&ok(run(&mut midenc(
        &[
            "tx",
            "--account",
            "counter.masp",
            "--call",
            "add-by(18446744069414584320)",
            "--call",
            "increment",
            "--call",
            "add-by(41)",
        ],
        d,
    ))));
    // p − 1, then + 1 wraps to 0, then + 41.
    assert!(
        text.contains("demo::counter::count = [41, 0, 0, 0]"),
        "{text}"
    );
    for (call, needle) in [
        ("add-by(\"x\")", "add-by"),
        ("add-by()", "add-by"),
        ("nope(1)", "no export named `nope`"),
    ] {
        let out = run(&mut midenc(
            &["tx", "--account", "counter.masp", "--call", call],
            d,
        ));
        assert!(!out.status.success(), "{call}");
        let err = common::stderr(&out);
        assert!(err.contains(needle), "{call}: {err}");
    }
}
