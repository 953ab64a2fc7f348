//! Account components: `midenc compile --account-component METADATA.toml` makes a package the
//! Miden protocol's own loader (`AccountComponent::from_package`) accepts, with the storage
//! slots the metadata declares and the exports as the component's procedures; `inspect` shows
//! the kind and the slots; bad metadata is a diagnostic that writes nothing.

mod common;

use std::collections::BTreeSet;

use common::{midenc, ok, root, run, stderr, stdout};
use miden_assembly::serde::Deserializable;
use miden_mast_package::{Package, TargetType};
use miden_protocol::account::component::{AccountComponent, InitStorageData};

/// A core module with two exports (the component's procedures).
const COUNTER_WAT: &str = r#"(module
  (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#;

fn metadata_path() -> String {
    root()
        .join("tests/fixtures/contracts/counter/component.toml")
        .display()
        .to_string()
}

/// Compiles the counter module in a fresh directory, with `extra` arguments.
fn compile(extra: &[&str]) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("counter.wat"), COUNTER_WAT).unwrap();
    let mut args = vec!["compile", "counter.wat"];
    args.extend_from_slice(extra);
    let out = run(&mut midenc(&args, dir.path()));
    (dir, out)
}

fn read_package(path: &std::path::Path) -> Package {
    Package::read_from_bytes(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn the_protocol_loads_a_compiled_account_component() {
    let metadata = metadata_path();
    let (dir, out) = compile(&["--account-component", &metadata]);
    ok(out);
    let package = read_package(&dir.path().join("counter.masp"));
    assert_eq!(package.kind, TargetType::AccountComponent);

    let component = AccountComponent::from_package(&package, &InitStorageData::default())
        .expect("the protocol accepts the package");
    let slots: BTreeSet<String> = component
        .storage_slots()
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    assert_eq!(
        slots,
        BTreeSet::from([
            "demo::counter::count".to_string(),
            "demo::counter::tallies".to_string()
        ])
    );
    assert_eq!(component.metadata().name(), "counter");

    // Every export is a procedure of the component, by the MAST root the manifest records.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("counter.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["kind"], "account-component");
    let procedures: BTreeSet<String> = component
        .procedures()
        .map(|(root, _)| miden_protocol::Word::from(root).to_hex())
        .collect();
    let exports = manifest["exports"].as_array().unwrap();
    assert_eq!(exports.len(), 2);
    for export in exports {
        let root = export["mast_root"].as_str().unwrap();
        assert!(procedures.contains(root), "{root} not in {procedures:?}");
    }

    // The package still runs as any midenc package does.
    let out = ok(run(&mut midenc(
        &["run", "counter.masp", "--invoke", "add(40, 2)"],
        dir.path(),
    )));
    assert_eq!(stdout(&out).trim(), "42");
}

#[test]
fn a_library_package_is_not_an_account_component() {
    let (dir, out) = compile(&[]);
    ok(out);
    let package = read_package(&dir.path().join("counter.masp"));
    assert_eq!(package.kind, TargetType::Library);
    let error = AccountComponent::from_package(&package, &InitStorageData::default())
        .expect_err("no metadata section");
    assert!(error.to_string().contains("metadata"), "{error}");
}

#[test]
fn inspect_shows_the_kind_and_the_storage_slots() {
    let metadata = metadata_path();
    let (dir, out) = compile(&["--account-component", &metadata]);
    ok(out);
    let text = stdout(&ok(run(&mut midenc(
        &["inspect", "counter.masp"],
        dir.path(),
    ))));
    assert!(text.contains("kind      account-component"), "{text}");
    assert!(text.contains("storage slots (2)"), "{text}");
    let count = text
        .lines()
        .find(|l| l.contains("demo::counter::count"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        count.contains("value") && count.contains("how many times"),
        "{count}"
    );
    let tallies = text
        .lines()
        .find(|l| l.contains("demo::counter::tallies"))
        .unwrap();
    assert!(tallies.contains("map"), "{tallies}");
}

#[test]
fn bad_metadata_is_a_diagnostic_and_writes_nothing() {
    let cases = [
        // A slot name without a namespace.
        (
            "name = \"c\"\ndescription = \"\"\nversion = \"0.1.0\"\n[[storage.slots]]\nname = \"count\"\ntype = \"word\"\n",
            "invalid account-component metadata in",
        ),
        // Two slots with one name.
        (
            "name = \"c\"\ndescription = \"\"\nversion = \"0.1.0\"\n[[storage.slots]]\nname = \"a::b\"\ntype = \"word\"\n[[storage.slots]]\nname = \"a::b\"\ntype = \"word\"\n",
            "invalid account-component metadata in",
        ),
        // Not TOML at all.
        ("name = ", "invalid account-component metadata in"),
    ];
    for (toml, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("counter.wat"), COUNTER_WAT).unwrap();
        std::fs::write(dir.path().join("bad.toml"), toml).unwrap();
        let out = run(&mut midenc(
            &["compile", "counter.wat", "--account-component", "bad.toml"],
            dir.path(),
        ));
        assert!(!out.status.success(), "{toml}");
        let err = stderr(&out);
        assert!(err.contains(expected) && err.contains("bad.toml"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!dir.path().join("counter.masp").exists(), "{toml}");
        assert!(!dir.path().join("counter.manifest.json").exists(), "{toml}");
    }
    // A metadata file that does not exist.
    let (dir, out) = compile(&["--account-component", "missing.toml"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot read `missing.toml`"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("counter.masp").exists());
}
