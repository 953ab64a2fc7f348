//! Proofs of component calls whose arguments and results travel through the advice map:
//! `midenc::proof` proves the call with the real prover, the verifier accepts the file and
//! reproduces the run's result, and every edit of what the proof binds is rejected.
#![allow(clippy::result_large_err)] // midenc's diagnostics, passed through as they are

use midenc::proof::{self, file::ProofFile, HashFunction};
use midenc_linker::{LinkSet, LinkedPackage};
use midenc_tests::components::build_component;

const WAT: &str = include_str!("../fixtures/components/kitchen.wat");
const WIT: &str = include_str!("../fixtures/components/kitchen.wit");

fn kitchen() -> LinkedPackage {
    let component = build_component(WAT, WIT, "kitchen");
    midenc::compile_wasm(std::path::Path::new("kitchen.wasm"), &component, "kitchen")
        .expect("compiles")
}

/// Proves `call`, checks that the result is the one `midenc run` prints, and returns the file.
fn prove(package: &LinkedPackage, call: &str, expected: &str) -> ProofFile {
    let run = midenc_tests::runs::call_component_text(package, call).expect("runs");
    let run_text = run
        .result
        .map(|v| wasm_wave::to_string(&v).expect("renders"));
    assert_eq!(run_text.as_deref(), Some(expected), "{call}");
    let invocation = midenc::invoke::parse(call, &package.manifest).expect("parses");
    let proven = proof::prove_call(
        package,
        &LinkSet::default(),
        &invocation,
        HashFunction::Blake3_256,
    )
    .expect("proves");
    assert_eq!(proven.result.as_deref(), Some(expected), "{call}");
    assert_eq!(u64::from(run.cycles), proven.file.cycles);
    assert!(proven.file.padded_trace_len.is_power_of_two());
    assert!(proven.file.padded_trace_len > proven.file.cycles);
    proven.file
}

fn verify_error(file: &ProofFile, package: Option<&LinkedPackage>) -> String {
    match proof::verify_file(file, package.map(|p| (p, "kitchen.masp"))) {
        Ok(_) => panic!("a changed proof file verified"),
        Err(e) => e.to_string(),
    }
}

/// `file` with its checksums recomputed: an edit the checksums do not catch, left to the STARK
/// verifier.
fn resealed(mut file: ProofFile) -> ProofFile {
    file.checksums = file.compute_checksums();
    file
}

#[test]
fn spilled_strings_and_lists_are_proven_and_bound() {
    let package = kitchen();
    // list<string> in and out: both spill, the result as an advice entry the file carries.
    let words = prove(
        &package,
        r#"words(["proof", "of", "wörds"])"#,
        r#"["proof", "of", "wörds"]"#,
    );
    assert!(words.result_entry.is_some());
    assert_eq!(
        words.advice_inputs.len(),
        1,
        "the spilled argument's entry is recorded"
    );
    let verified = proof::verify_file(&words, Some((&package, "kitchen.masp"))).expect("verifies");
    assert_eq!(
        verified.result.as_deref(),
        Some(r#"["proof", "of", "wörds"]"#)
    );
    assert_eq!(verified.security_bits, 96);

    // A changed result entry, resealed: its digest no longer matches the proven outputs.
    let mut forged = words.clone();
    let entry = forged.result_entry.as_mut().unwrap();
    let last = entry.len() - 1;
    entry[last] ^= 1;
    let e = verify_error(&resealed(forged), None);
    assert!(
        e.contains("the recorded result does not match the proven outputs"),
        "{e}"
    );

    // The argument's digest on the stack inputs, changed and resealed: the STARK rejects it.
    let mut forged = words.clone();
    forged.stack_inputs[0] ^= 1;
    let e = verify_error(&resealed(forged), None);
    assert!(e.contains("the proof does not verify"), "{e}");

    // A list<u32> result and a string echoed back.
    let rev = prove(
        &package,
        "rev-list([1, 2, 4294967295])",
        "[4294967295, 2, 1]",
    );
    proof::verify_file(&rev, None).expect("verifies");
    let echo = prove(&package, r#"echo("héllo, proofs")"#, r#""héllo, proofs""#);
    proof::verify_file(&echo, Some((&package, "kitchen.masp"))).expect("verifies");
}

#[test]
fn a_proof_of_one_export_is_not_a_proof_of_another() {
    let package = kitchen();
    let add = prove(&package, "add(2, 40)", "42");
    // The same proof presented as another export of the package: the program root differs.
    let mut other = add.clone();
    other.export = package.export("list-len").unwrap().0.clone();
    let e = verify_error(&resealed(other.clone()), Some(&package));
    assert!(e.contains("the proof is of"), "{e}");
    // Also with the recorded root changed to that export's program: the STARK rejects it.
    let root = midenc_linker::parse_word(&other.export.mast_root).unwrap();
    other.program_root = proof::program_root(root).unwrap().to_hex();
    let e = verify_error(&resealed(other), Some(&package));
    assert!(e.contains("the proof does not verify"), "{e}");
}
