//! Linking packages: `mast:0x…` and named imports resolved with `-L`, a three-package chain
//! run on the Miden VM, and the link errors (each naming both sides, never a panic, no output
//! left behind).

mod common;

use common::link_chain::{chain, expected_run, fixture, manifest, root_of};
use common::{files_in, midenc_output as midenc, stderr, stdout};

use std::{
    path::{Path, PathBuf},
    process::Output,
};

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "midenc failed:\n{}", stderr(&o));
    o
}

#[test]
fn three_package_chain_runs_on_the_vm() {
    let dir = chain();
    let d = dir.path();
    for x in [0, 1, 7, -1, -1000, 123_456, i32::MAX, i32::MIN] {
        let o = ok(midenc(
            &[
                "run",
                "a.masp",
                "-L",
                "b.masp",
                "-L",
                "c.masp",
                "--invoke",
                &format!("run({x})"),
            ],
            d,
        ));
        assert_eq!(stdout(&o).trim(), expected_run(x).to_string(), "run({x})");
    }
    // Compiling and running in one step resolves the same way.
    let o = ok(midenc(
        &[
            "run", "a.wat", "-L", "b.masp", "-L", "c.masp", "--invoke", "run(5)",
        ],
        d,
    ));
    assert_eq!(stdout(&o).trim(), expected_run(5).to_string());
    // The middle package runs on its own with its dependency.
    let o = ok(midenc(
        &[
            "run",
            "b.masp",
            "-L",
            "c.masp",
            "--invoke",
            "acme:chain/b@1.0.0#nine(-3)",
        ],
        d,
    ));
    assert_eq!(stdout(&o).trim(), "-27");
}

#[test]
fn manifests_record_bindings_and_dependencies() {
    let dir = chain();
    let d = dir.path();
    let (a, b, c) = (manifest(d, "a"), manifest(d, "b"), manifest(d, "c"));
    // b's mast imports are bound to c's exports with those roots.
    let b_imports = b["imports"].as_array().unwrap();
    assert_eq!(b_imports.len(), 2);
    for (import, export) in b_imports.iter().zip(["triple", "mix"]) {
        assert_eq!(import["kind"], "mast");
        assert_eq!(import["mast_root"], root_of(d, "c", export).as_str());
        assert_eq!(
            import["module"],
            format!("mast:{}", root_of(d, "c", export)).as_str()
        );
        let bound = &import["resolved"];
        assert_eq!(bound["package"], "c");
        assert_eq!(bound["version"], "0.1.0");
        assert_eq!(bound["export"], export);
        assert_eq!(bound["digest"], c["mast_digest"]);
    }
    assert_eq!(b_imports[1]["stack_felts_in"], 4);
    assert_eq!(b_imports[1]["stack_felts_out"], 3);
    // a's named imports are bound to b's exports by full name.
    let a_imports = a["imports"].as_array().unwrap();
    assert_eq!(a_imports[0]["kind"], "named");
    assert_eq!(
        a_imports[0]["resolved"]["export"],
        "acme:chain/b@1.0.0#nine"
    );
    assert_eq!(
        a_imports[0]["mast_root"],
        root_of(d, "b", "acme:chain/b@1.0.0#nine").as_str()
    );
    assert_eq!(
        a_imports[1]["resolved"]["export"],
        "acme:chain/b@1.0.0#mixplus"
    );
    // Dependencies: direct ones only, with the provider's digest.
    assert_eq!(
        b["dependencies"],
        serde_json::json!([{"name": "c", "version": "0.1.0", "digest": c["mast_digest"]}])
    );
    assert_eq!(
        a["dependencies"],
        serde_json::json!([{"name": "b", "version": "0.1.0", "digest": b["mast_digest"]}])
    );
    assert_eq!(c["dependencies"], serde_json::json!([]));
}

#[test]
fn the_package_records_dependencies_in_miden_structures() {
    use miden_assembly::serde::Deserializable;
    let dir = chain();
    let bytes = std::fs::read(dir.path().join("b.masp")).unwrap();
    let package = miden_mast_package::Package::read_from_bytes(&bytes).unwrap();
    let deps: Vec<_> = package.manifest.dependencies().collect();
    assert_eq!(deps.len(), 1);
    assert_eq!(deps[0].name.to_string(), "c");
    assert_eq!(deps[0].version.to_string(), "0.1.0");
    let c_bytes = std::fs::read(dir.path().join("c.masp")).unwrap();
    let c = miden_mast_package::Package::read_from_bytes(&c_bytes).unwrap();
    assert_eq!(deps[0].digest, c.digest());
}

#[test]
fn unresolved_mast_import_is_an_error_unless_allowed() {
    let dir = chain();
    let d = dir.path();
    let before = files_in(d);
    let o = midenc(&["compile", "b.wat"], d);
    assert_clean_failure(&o, d, &before, "unresolved import `mast:0x");
    assert!(stderr(&o).contains("--allow-unresolved"), "{}", stderr(&o));

    // Allowed: recorded as an external dependency, with no package dependency.
    ok(midenc(
        &["compile", "b.wat", "-o", "ext.masp", "--allow-unresolved"],
        d,
    ));
    let ext = manifest(d, "ext");
    assert!(ext["imports"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["resolved"].is_null()));
    assert_eq!(ext["dependencies"], serde_json::json!([]));
    let o = ok(midenc(&["inspect", "ext.masp"], d));
    assert!(
        stdout(&o).contains("external (unresolved)"),
        "{}",
        stdout(&o)
    );
    // Running it needs a provider of the roots...
    let o = midenc(
        &["run", "ext.masp", "--invoke", "acme:chain/b@1.0.0#nine(2)"],
        d,
    );
    assert_failure(&o, "unresolved import `mast:0x");
    assert!(stderr(&o).contains("ext.masp"), "{}", stderr(&o));
    // ...and with it, it runs.
    let o = ok(midenc(
        &[
            "run",
            "ext.masp",
            "-L",
            "c.masp",
            "--invoke",
            "acme:chain/b@1.0.0#nine(2)",
        ],
        d,
    ));
    assert_eq!(stdout(&o).trim(), "18");
}

#[test]
fn unresolved_named_import_names_the_import_and_near_misses() {
    let dir = chain();
    let d = dir.path();
    std::fs::write(
        d.join("v2.wat"),
        fixture("a.wat").replace("acme:chain/b@1.0.0", "acme:chain/b@2.0.0"),
    )
    .unwrap();
    let before = files_in(d);
    let o = midenc(&["compile", "v2.wat", "-L", "b.masp"], d);
    assert_clean_failure(
        &o,
        d,
        &before,
        "unresolved import `acme:chain/b@2.0.0#nine`",
    );
    let err = stderr(&o);
    assert!(err.contains("`acme:chain/b@1.0.0#nine` in b.masp"), "{err}");
}

#[test]
fn missing_package_is_named() {
    let dir = chain();
    let d = dir.path();
    let before = files_in(d);
    let o = midenc(&["compile", "a.wat", "-L", "nowhere.masp"], d);
    assert_clean_failure(&o, d, &before, "package `nowhere.masp` not found");
    // A run whose dependency is missing names both the dependent and the dependency.
    let o = midenc(&["run", "a.masp", "-L", "b.masp", "--invoke", "run(1)"], d);
    assert_failure(&o, "package `b` (b.masp) depends on `c` 0.1.0");
}

#[test]
fn digest_mismatch_names_both_sides() {
    let dir = chain();
    let d = dir.path();
    // A different `c` (one more export): same roots for triple and mix, different package.
    let other = tempfile::tempdir().unwrap();
    let changed = fixture("c.wat").replace(
        "  ;; mix(a, b, c)",
        "  (func (export \"extra\") (result i32) i32.const 1)\n  ;; mix(a, b, c)",
    );
    std::fs::write(other.path().join("c.wat"), changed).unwrap();
    ok(midenc(&["compile", "c.wat"], other.path()));
    let new_c = other.path().join("c.masp");
    let new_c = new_c.to_str().unwrap();
    let o = midenc(
        &[
            "run",
            "b.masp",
            "-L",
            new_c,
            "--invoke",
            "acme:chain/b@1.0.0#nine(1)",
        ],
        d,
    );
    assert_failure(&o, "digest mismatch for `c`");
    let err = stderr(&o);
    let recorded = manifest(d, "c")["mast_digest"]
        .as_str()
        .unwrap()
        .to_string();
    let found = manifest(other.path(), "c")["mast_digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(recorded, found);
    assert!(err.contains(&recorded) && err.contains(&found), "{err}");
    assert!(err.contains("b.masp") && err.contains(new_c), "{err}");
}

#[test]
fn signature_mismatch_names_both_sides() {
    let dir = chain();
    let d = dir.path();
    // mast import: (i32, i32) -> i32 is 2 felts in, but c's triple takes 1.
    let wat = format!(
        r#"(module (import "mast:{}" "triple" (func (param i32 i32) (result i32))))"#,
        root_of(d, "c", "triple")
    );
    std::fs::write(d.join("bad.wat"), wat).unwrap();
    let before = files_in(d);
    let o = midenc(&["compile", "bad.wat", "-L", "c.masp"], d);
    assert_clean_failure(&o, d, &before, "signature mismatch");
    let err = stderr(&o);
    assert!(
        err.contains("(i32, i32) -> i32 (2 felts in, 1 out)"),
        "{err}"
    );
    assert!(
        err.contains("`triple` in package `c` (c.masp) is (i32) -> i32 (1 felts in, 1 out)"),
        "{err}"
    );

    // named import: types must match exactly, even when felt counts agree.
    let wat = r#"(module (import "acme:chain/b@1.0.0" "nine" (func (param i32) (result i32)))
        (import "acme:chain/b@1.0.0" "mixplus" (func (param i32 i32 i32 i32) (result i64))))"#;
    std::fs::write(d.join("bad2.wat"), wat).unwrap();
    let before = files_in(d);
    let o = midenc(&["compile", "bad2.wat", "-L", "b.masp"], d);
    assert_clean_failure(&o, d, &before, "signature mismatch");
    assert!(
        stderr(&o).contains("`acme:chain/b@1.0.0#mixplus` in package `b`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn duplicate_exports_across_packages_name_both() {
    let dir = chain();
    let d = dir.path();
    // b2 is b under another name: both export acme:chain/b@1.0.0#nine.
    std::fs::copy(d.join("b.wat"), d.join("b2.wat")).unwrap();
    ok(midenc(&["compile", "b2.wat", "-L", "c.masp"], d));
    let before = files_in(d);
    let o = midenc(
        &[
            "compile", "a.wat", "-o", "a2.masp", "-L", "b.masp", "-L", "b2.masp",
        ],
        d,
    );
    assert_clean_failure(
        &o,
        d,
        &before,
        "import `acme:chain/b@1.0.0#nine` is provided twice",
    );
    let err = stderr(&o);
    assert!(
        err.contains("package `b` (b.masp)") && err.contains("package `b2` (b2.masp)"),
        "{err}"
    );

    // Two different packages with one name are rejected too; the same file twice is fine.
    let o = midenc(
        &[
            "compile", "c.wat", "-o", "x.masp", "-L", "b2.masp", "-L", "b2.masp",
        ],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::create_dir(d.join("sub")).unwrap();
    let other_c = fixture("c.wat").replace("\\03", "\\04");
    std::fs::write(d.join("sub/c.wat"), other_c).unwrap();
    ok(midenc(&["compile", "c.wat"], &d.join("sub")));
    let o = midenc(
        &[
            "compile",
            "a.wat",
            "-o",
            "a3.masp",
            "-L",
            "c.masp",
            "-L",
            "sub/c.masp",
        ],
        d,
    );
    assert_failure(&o, "package `c` is linked twice with different contents");
}

#[test]
fn corrupted_packages_are_rejected_with_the_file_name() {
    let dir = chain();
    let d = dir.path();
    let bytes = std::fs::read(d.join("b.masp")).unwrap();
    std::fs::write(d.join("trunc.masp"), &bytes[..bytes.len() / 2]).unwrap();
    let before = files_in(d);
    let o = midenc(&["compile", "a.wat", "-o", "t.masp", "-L", "trunc.masp"], d);
    assert_clean_failure(&o, d, &before, "`trunc.masp`: not a valid midenc package");
    // Flip one bit in ~40 places: never a panic; nearly every flip is detected (by the
    // package reader or the manifest's integrity checks), naming the file.
    let mut rejected = 0;
    for at in (0..bytes.len()).step_by(bytes.len() / 40 + 1) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        std::fs::write(d.join("flip.masp"), &flipped).unwrap();
        let o = midenc(&["inspect", "flip.masp", "--json"], d);
        assert_ne!(
            o.status.code(),
            Some(101),
            "panic at byte {at}:\n{}",
            stderr(&o)
        );
        if !o.status.success() {
            assert!(stderr(&o).contains("flip.masp"), "{}", stderr(&o));
            rejected += 1;
        }
    }
    let tried = (0..bytes.len()).step_by(bytes.len() / 40 + 1).count();
    assert_eq!(rejected, tried, "a flipped package was accepted");
}

fn assert_failure(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure; stderr:\n{err}");
    assert_ne!(o.status.code(), Some(101), "midenc panicked:\n{err}");
    assert!(!err.contains("panicked"), "midenc panicked:\n{err}");
    assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
}

/// A failure that also left no file behind.
fn assert_clean_failure(o: &Output, dir: &Path, before: &[String], needle: &str) {
    assert_failure(o, needle);
    assert_eq!(files_in(dir), before, "a failed command left files behind");
}

#[test]
fn other_imports_stay_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = [
        (
            r#"(module (import "env" "f" (func (param i32))))"#,
            "unsupported: import `env::f` (function imports must come from `mast:0x<root>` or a WIT interface",
        ),
        (
            r#"(module (import "mast:0x1234" "f" (func)))"#,
            "unsupported: import `mast:0x1234::f`: a MAST root is `0x` followed by 64 hex digits",
        ),
        (
            r#"(module (import "env" "m" (memory 1)))"#,
            "unsupported: import `env::m`",
        ),
    ];
    for (i, (wat, needle)) in cases.iter().enumerate() {
        let file = format!("m{i}.wat");
        std::fs::write(d.join(&file), wat).unwrap();
        let before = files_in(d);
        let o = midenc(&["compile", &file, "--allow-unresolved"], d);
        assert_clean_failure(&o, d, &before, needle);
    }
}

/// A `mast:` import must have the provider's exact types, not only its felt counts:
/// `(i64) -> i32` and `(i32, i32) -> i32` are both two felts in and one out, read differently.
/// For a component export the import must be its WIT signature's canonical lowering.
#[test]
fn mast_imports_need_the_exports_exact_types() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("pair.wat"),
        r#"(module (func (export "add2") (param i32 i32) (result i32)
             local.get 0 local.get 1 i32.add))"#,
    )
    .unwrap();
    ok(midenc(&["compile", "pair.wat"], d));
    let components = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/components");
    let (wat, wit) = (
        components.join("kitchen.wat"),
        components.join("kitchen.wit"),
    );
    ok(midenc(
        &[
            "compile",
            wat.to_str().unwrap(),
            "--wit",
            wit.to_str().unwrap(),
            "-o",
            "kitchen.masp",
        ],
        d,
    ));
    // A caller of `root` typed `params -> i32`, forwarding its own arguments.
    let caller = |file: &str, root: &str, params: &str| {
        let gets: String = (0..params.split(' ').count())
            .map(|i| format!("local.get {i} "))
            .collect();
        let wat = format!(
            r#"(module (import "mast:{root}" "f" (func $f (param {params}) (result i32)))
                 (func (export "g") (param {params}) (result i32) {gets} call $f))"#
        );
        std::fs::write(d.join(file), wat).unwrap();
    };

    // Compiles `<name>.wat` against `<provider>.masp`; `g(40, 2)` must give 42.
    let links_and_adds = |name: &str, provider: &str| {
        let (wat, masp, lib) = (
            format!("{name}.wat"),
            format!("{name}.masp"),
            format!("{provider}.masp"),
        );
        ok(midenc(&["compile", &wat, "-L", &lib], d));
        let o = ok(midenc(
            &["run", &masp, "-L", &lib, "--invoke", "g(40, 2)"],
            d,
        ));
        assert_eq!(stdout(&o).trim(), "42");
    };

    let add2 = root_of(d, "pair", "add2");
    caller("wide.wat", &add2, "i64");
    let before = files_in(d);
    let o = midenc(&["compile", "wide.wat", "-L", "pair.masp"], d);
    assert_clean_failure(&o, d, &before, "signature mismatch");
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "import `mast:{add2}::f` is (i64) -> i32 (2 felts in, 1 out)"
        )),
        "{err}"
    );
    assert!(
        err.contains(
            "`add2` in package `pair` (pair.masp) is (i32, i32) -> i32 (2 felts in, 1 out)"
        ),
        "{err}"
    );
    assert!(err.contains("exact core types"), "no help:\n{err}");

    // The same felts with the export's own types link and run.
    caller("pair_caller.wat", &add2, "i32 i32");
    links_and_adds("pair_caller", "pair");

    // A component export: `add: func(a: u32, b: u32) -> u32` lowers to (i32, i32) -> i32.
    let add = root_of(d, "kitchen", "add");
    caller("wide_kitchen.wat", &add, "i64");
    let before = files_in(d);
    let o = midenc(&["compile", "wide_kitchen.wat", "-L", "kitchen.masp"], d);
    assert_clean_failure(&o, d, &before, "signature mismatch");
    let err = stderr(&o);
    assert!(
        err.contains("is (i64) -> i32") && err.contains("func(a: u32, b: u32) -> u32"),
        "{err}"
    );
    caller("kitchen_caller.wat", &add, "i32 i32");
    links_and_adds("kitchen_caller", "kitchen");
}
