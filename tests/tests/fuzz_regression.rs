//! Differential fuzzing in CI: every case in the regression corpus
//! (`tests/fixtures/fuzz-corpus`, each module that ever failed) plus a batch of fresh seeds must
//! agree with wasmi, with no panic and no rejection other than a clean diagnostic.
//!
//! Larger runs use the driver: `cargo run -p midenc-tests --bin fuzz -- --count N --seed S`.

use midenc_tests::fuzz::{self, FuzzOptions, Summary};

/// Seeds run on every test run, away from the small seeds long runs start at.
const FRESH_SEEDS: std::ops::Range<u64> = 1_000_000..1_000_040;

/// Corpus cases midenc rejects on purpose (with a clean `unsupported:` diagnostic); every other
/// case must compile. None at present: even `no-function-exports` compiles (to a package with
/// nothing to call).
const REJECTED_CASES: &[&str] = &[];

/// Corpus cases kept because wasmi is wrong on them: wasmtime must still side with midenc on at
/// least one call each (the arbiter works), and no other case may have a wasmi disagreement.
const REFERENCE_BUG_CASES: &[&str] = &["seed-5003", "seed-5048", "wasmi-select-eqz"];

/// Corpus cases with calls wasmi completes but the VM cannot (its cycle cap, its operand-stack
/// depth): `(case, cycle-limit calls, VM-stack calls)`, exactly. A skip is counted, not
/// compared, so a miscompiled loop that never ends would show only as a changed count here.
const EXHAUSTED_CASES: &[(&str, usize, usize)] = &[];

#[test]
fn regression_corpus_agrees_with_wasmi() {
    let options = FuzzOptions::default();
    let mut entries: Vec<_> = std::fs::read_dir(fuzz::corpus_dir())
        .expect("the corpus directory exists")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "the regression corpus is empty");
    let mut failures = Vec::new();
    let mut compiled = 0;
    let mut reference_bugs = 0;
    for path in &entries {
        let wasm = std::fs::read(path).expect("corpus module reads");
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let report = fuzz::run_module(&wasm, fuzz::corpus_seed(&name, &wasm), &options);
        compiled += usize::from(report.compiled);
        if report.compiled == REJECTED_CASES.contains(&name.as_str()) {
            failures.push(format!(
                "{name}: compiled: {} (rejection {:?}), expected the opposite",
                report.compiled, report.rejected
            ));
        }
        let expects_bug = REFERENCE_BUG_CASES.contains(&name.as_str());
        if expects_bug && report.reference_bugs.is_empty() {
            failures.push(format!(
                "{name}: wasmi no longer disagrees (or the arbiter no longer overrules it)"
            ));
        }
        if !expects_bug && !report.reference_bugs.is_empty() {
            failures.push(format!(
                "{name}: unexpected wasmi disagreement: {}",
                report.reference_bugs.join("; ")
            ));
        }
        reference_bugs += report.reference_bugs.len();
        let exhausted = (report.cycle_limit, report.vm_stack_exhausted);
        let expected = EXHAUSTED_CASES
            .iter()
            .find(|(case, ..)| *case == name)
            .map_or((0, 0), |&(_, cycles, stack)| (cycles, stack));
        if exhausted != expected {
            failures.push(format!(
                "{name}: (cycle-limit, VM-stack) skips {exhausted:?}, expected {expected:?}"
            ));
        }
        failures.extend(report.failures.iter().map(|f| format!("{name}: {f}")));
    }
    assert!(
        failures.is_empty(),
        "{} corpus failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Everything but the deliberate rejections compiled (checked per case above).
    assert_eq!(compiled, entries.len() - REJECTED_CASES.len());
    eprintln!(
        "{} corpus cases, {compiled} compiled, all agree ({reference_bugs} calls where wasmi is \
         wrong and wasmtime sides with midenc)",
        entries.len()
    );
}

#[test]
fn fresh_seeds_agree_with_wasmi() {
    let options = FuzzOptions::default();
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    for seed in FRESH_SEEDS {
        summary.generated += 1;
        let generated = fuzz::generate(seed, &options).expect("wasm-smith generates a module");
        let report = fuzz::run_module(&generated.wasm, seed, &options);
        summary.add(&report);
        failures.extend(report.failures.iter().map(|f| format!("seed {seed}: {f}")));
    }
    // Failures include any disagreement with wasmi that wasmtime settles in midenc's favour
    // in a module without a known wasmi bug pattern (`fuzz::known_wasmi_bug`).
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The generator must keep producing modules midenc compiles and exports that run.
    assert!(summary.compiled * 10 >= summary.generated * 9, "{summary}");
    assert!(summary.matched * 2 >= summary.invoked, "{summary}");
    // Calls the VM could not finish are skipped, not compared: few of them.
    assert!(
        (summary.cycle_limit + summary.vm_stack_exhausted) * 20 <= summary.invoked,
        "{summary}"
    );
    eprintln!("{summary}");
}
