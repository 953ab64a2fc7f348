//! `midenc prove` and `midenc verify` as a user runs them: a core export and a call across
//! three linked packages proven and verified, and every kind of tampering rejected with a
//! message naming what did not match (never a panic, never a proof file from a failed run).

mod common;

use std::path::Path;

use common::link_chain::{chain, expected_run};
use common::{assert_clean_failure, files_in, midenc_output as midenc, ok, stderr, stdout};
use midenc::proof::file::ProofFile;

const ADD: &str = r#"(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "boom") (param i32) (result i32) local.get 0 i32.const 0 i32.div_u))"#;

/// Writes `wat` as `NAME.wat` in `dir` and compiles it to `NAME.masp`.
fn compile(dir: &Path, name: &str, wat: &str) {
    std::fs::write(dir.join(format!("{name}.wat")), wat).unwrap();
    ok(midenc(&["compile", &format!("{name}.wat")], dir));
}

/// A temp dir holding `add.wat` compiled to `add.masp`.
fn add_package() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    compile(dir.path(), "add", ADD);
    dir
}

fn read(dir: &Path, name: &str) -> ProofFile {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

/// Writes `file` as `name`, with its checksums recomputed when `reseal` (an edit that only the
/// STARK verifier can catch).
fn write(dir: &Path, name: &str, mut file: ProofFile, reseal: bool) {
    if reseal {
        file.checksums = file.compute_checksums();
    }
    std::fs::write(dir.join(name), serde_json::to_vec(&file).unwrap()).unwrap();
}

/// Runs `midenc verify` on `name` and expects a clean failure mentioning `needle`.
fn rejected(dir: &Path, name: &str, package: Option<&str>, needle: &str) {
    let mut args = vec!["verify", name];
    if let Some(p) = package {
        args.extend(["--package", p]);
    }
    let before = files_in(dir);
    let o = midenc(&args, dir);
    assert_clean_failure(&o, dir, &before, needle);
    assert!(stdout(&o).is_empty(), "a rejected proof printed a result");
}

#[test]
fn a_core_export_is_proven_and_verified() {
    let dir = add_package();
    let d = dir.path();
    let o = ok(midenc(
        &[
            "prove",
            "add.masp",
            "--invoke",
            "add(2, -44)",
            "-o",
            "add.proof",
        ],
        d,
    ));
    assert_eq!(stdout(&o).trim(), "-42");
    let err = stderr(&o);
    for line in [
        "cycles: ",
        "padded trace length: ",
        "proving time: ",
        "proof size: ",
    ] {
        assert!(err.contains(line), "prove's stderr lacks {line:?}:\n{err}");
    }
    let file = read(d, "add.proof");
    assert_eq!((file.format.as_str(), file.version), ("midenc-proof", 1));
    assert_eq!(file.stack_inputs, vec![2, (-44i32) as u32 as u64]);
    for package in [None, Some("add.masp")] {
        let mut args = vec!["verify", "add.proof"];
        args.extend(package.iter().flat_map(|p| ["--package", *p]));
        let o = ok(midenc(&args, d));
        assert_eq!(stdout(&o).trim(), "-42");
        assert!(stderr(&o).contains("verified: `add`"), "{}", stderr(&o));
    }
    // Another hash function: the file records it, the verifier follows it.
    ok(midenc(
        &[
            "prove",
            "add.wat",
            "--invoke",
            "add(1, 1)",
            "-o",
            "p2.proof",
            "--hash",
            "poseidon2",
        ],
        d,
    ));
    assert_eq!(read(d, "p2.proof").hash_function, "poseidon2");
    assert_eq!(stdout(&ok(midenc(&["verify", "p2.proof"], d))).trim(), "2");
}

#[test]
fn tampered_proofs_are_rejected_naming_what_changed() {
    let dir = add_package();
    let d = dir.path();
    ok(midenc(
        &[
            "prove",
            "add.masp",
            "--invoke",
            "add(20, 22)",
            "-o",
            "add.proof",
        ],
        d,
    ));
    let good = read(d, "add.proof");

    // A flipped byte in the middle of the proof, a changed output and a changed input.
    let mut flipped = good.clone();
    let mut bytes = midenc::proof::file::unhex(&flipped.proof).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    flipped.proof = midenc::proof::file::hex(&bytes);
    let mut output = good.clone();
    output.stack_outputs[0] = 43;
    let mut input = good.clone();
    input.stack_inputs[1] = 23;
    for (name, file, section) in [
        ("flip", flipped, "the proof bytes"),
        ("out", output, "the outputs"),
        ("in", input, "the inputs"),
    ] {
        // With the checksums as they were, the edit is named; with checksums recomputed, the
        // STARK verifier rejects it.
        let (stale, resealed) = (format!("{name}.proof"), format!("{name}2.proof"));
        write(d, &stale, file.clone(), false);
        rejected(d, &stale, None, &format!("{section} differ"));
        write(d, &resealed, file, true);
        rejected(d, &resealed, None, "the proof does not verify");
    }

    // Checked against a different package whose `add` is other code.
    let other = r#"(module (func (export "add") (param i32 i32) (result i32)
        local.get 0 local.get 1 i32.sub))"#;
    compile(d, "other", other);
    rejected(d, "add.proof", Some("other.masp"), "the proof is of");
    // And against a package without the export.
    compile(d, "none", "(module)");
    rejected(d, "add.proof", Some("none.masp"), "has no export `add`");

    // Not a proof file at all, a truncated one, and a missing one.
    std::fs::write(d.join("junk.proof"), "{\"format\": 1").unwrap();
    rejected(d, "junk.proof", None, "is not a proof file");
    let text = std::fs::read_to_string(d.join("add.proof")).unwrap();
    std::fs::write(d.join("cut.proof"), &text[..text.len() / 2]).unwrap();
    rejected(d, "cut.proof", None, "is not a proof file");
    rejected(d, "nowhere.proof", None, "cannot read");
}

#[test]
fn a_trap_or_bad_arguments_write_no_proof() {
    let dir = add_package();
    let d = dir.path();
    let before = files_in(d);
    let o = midenc(
        &["prove", "add.masp", "--invoke", "boom(1)", "-o", "b.proof"],
        d,
    );
    assert_clean_failure(&o, d, &before, "integer divide by zero");
    let o = midenc(
        &["prove", "add.masp", "--invoke", "add(1)", "-o", "b.proof"],
        d,
    );
    assert_clean_failure(&o, d, &before, "missing required param");
    let o = midenc(
        &[
            "prove",
            "add.masp",
            "--invoke",
            "add(1, 2)",
            "-o",
            "b.proof",
            "--hash",
            "md5",
        ],
        d,
    );
    assert_clean_failure(&o, d, &before, "md5");
}

#[test]
fn a_call_across_linked_packages_is_proven() {
    let dir = chain();
    let d = dir.path();
    let args: Vec<&str> = "prove a.masp -L b.masp -L c.masp --invoke run(5) -o chain.proof"
        .split(' ')
        .collect();
    let o = ok(midenc(&args, d));
    let expected = expected_run(5).to_string();
    assert_eq!(stdout(&o).trim(), expected);
    // The linked packages are not needed to verify: the program root commits to their code.
    let o = ok(midenc(&["verify", "chain.proof", "--package", "a.masp"], d));
    assert_eq!(stdout(&o).trim(), expected);
    // The proof is of `a`'s `run`, not of `b`'s export.
    rejected(d, "chain.proof", Some("b.masp"), "has no export `run`");
}
