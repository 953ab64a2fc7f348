//! Differential fuzzing driver: `cargo run -p midenc-tests --bin fuzz -- --count N --seed S`.
//!
//! Generates `N` modules from seeds `S..S+N`, runs each export on wasmi and on the Miden VM,
//! prints a summary, and saves every failing module into `tests/fixtures/fuzz-corpus/` as
//! `seed-<seed>.wasm` plus `seed-<seed>.txt` describing what failed. Exits non-zero when
//! anything failed.

use std::{process::ExitCode, time::Instant};

use midenc_tests::fuzz::{self, FuzzOptions, Summary};

const USAGE: &str = "usage: fuzz [--count N] [--seed S] [--arg-sets K] [--max-cycles C] \
[--no-save] [--verbose] [--no-passive-segments] [--table-ops] [--floats]
       fuzz --file MODULE.wasm [--seed S]   (one module; arguments from S, else as for a corpus
                                             case; exits 1 on failure: a shrink predicate)";

fn main() -> ExitCode {
    let mut count: u64 = 100;
    let mut first_seed: u64 = 0;
    let mut save = true;
    let mut verbose = false;
    let mut options = FuzzOptions::default();
    let mut file: Option<String> = None;
    let mut seed_given = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{what} needs a number"))
        };
        let parsed = match arg.as_str() {
            "--count" => number("--count").map(|n| count = n),
            "--seed" => number("--seed").map(|n| {
                first_seed = n;
                seed_given = true;
            }),
            "--arg-sets" => number("--arg-sets").map(|n| options.arg_sets = n as usize),
            "--max-cycles" => number("--max-cycles")
                .map(|n| options.limits.max_cycles = Some(n.min(u64::from(u32::MAX)) as u32)),
            "--file" => args
                .next()
                .map(|f| file = Some(f))
                .ok_or_else(|| "--file needs a path".to_string()),
            "--no-save" => {
                save = false;
                Ok(())
            }
            "--verbose" => {
                verbose = true;
                Ok(())
            }
            "--no-passive-segments" => {
                options.features.passive_segments = false;
                Ok(())
            }
            "--table-ops" => {
                options.features.table_ops = true;
                Ok(())
            }
            "--floats" => {
                options.features.floats = true;
                Ok(())
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => Err(format!("unknown argument `{other}`")),
        };
        if let Err(message) = parsed {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    }

    if let Some(path) = file {
        return run_file(&path, seed_given.then_some(first_seed), &options);
    }

    let started = Instant::now();
    let mut summary = Summary::default();
    let corpus = fuzz::corpus_dir();
    for seed in first_seed..first_seed.saturating_add(count) {
        summary.generated += 1;
        let generated = match fuzz::generate(seed, &options) {
            Ok(g) => g,
            Err(e) => {
                summary.generator_errors += 1;
                eprintln!("seed {seed}: {e}");
                continue;
            }
        };
        summary.bulk += usize::from(generated.bulk);
        summary.no_traps += usize::from(generated.no_traps);
        let report = fuzz::run_module(&generated.wasm, seed, &options);
        summary.add(&report);
        if verbose {
            eprintln!(
                "seed {seed}: {} bytes, {}",
                generated.wasm.len(),
                report.rejected.clone().unwrap_or_else(|| format!(
                    "{} invoked, {} matched",
                    report.invoked, report.matched
                ))
            );
        }
        if !report.reference_bugs.is_empty() {
            eprintln!(
                "seed {seed}: {} invocation(s) where wasmi is wrong and wasmtime agrees with midenc",
                report.reference_bugs.len()
            );
        }
        if !report.failures.is_empty() {
            eprintln!("seed {seed}: FAILED\n  {}", report.failures.join("\n  "));
            if save {
                let description = format!(
                    "seed {seed} (bulk memory: {}, avoiding traps: {})\nreproduce: cargo run -p midenc-tests --bin fuzz -- --count 1 --seed {seed}\n\n{}\n",
                    generated.bulk,
                    generated.no_traps,
                    report.failures.join("\n")
                );
                let name = format!("seed-{seed}");
                if let Err(e) = fuzz::save_case(&corpus, &name, &generated.wasm, &description) {
                    eprintln!("error: cannot save {name} into {}: {e}", corpus.display());
                }
            }
        }
        if (seed - first_seed + 1).is_multiple_of(100) {
            eprintln!(
                "... {} modules, {} failing, {:.0} s",
                seed - first_seed + 1,
                summary.failing_modules,
                started.elapsed().as_secs_f64()
            );
        }
    }
    println!("seeds {first_seed}..{}", first_seed.saturating_add(count));
    println!("{summary}");
    println!("time: {:.1} s", started.elapsed().as_secs_f64());
    if summary.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs one module file and prints each failure; exits 1 when there is any.
fn run_file(path: &str, seed: Option<u64>, options: &FuzzOptions) -> ExitCode {
    let wasm = match std::fs::read(path) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let name = std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let seed = seed.unwrap_or_else(|| fuzz::corpus_seed(&name, &wasm));
    let report = fuzz::run_module(&wasm, seed, options);
    if let Some(reason) = &report.rejected {
        println!("rejected: {reason}");
    }
    println!("{} invoked, {} matched", report.invoked, report.matched);
    for bug in &report.reference_bugs {
        println!("reference bug: {bug}");
    }
    for failure in &report.failures {
        println!("{failure}");
    }
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
