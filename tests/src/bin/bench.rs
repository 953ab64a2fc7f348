//! Prints the benchmark table (markdown) for the fixture programs: VM cycles, padded trace
//! length, MASM instruction count and result of each run, every result checked against wasmi.
//!
//! `cargo run -p midenc-tests --bin bench [-- FILTER...]` (rows whose program, build or
//! function contains any FILTER). Progress goes to stderr, the tables to stdout.

use std::collections::BTreeMap;
use std::time::Instant;

use midenc_abi::CoreValue;
use midenc_tests::{
    bench::{
        count_masm_instructions, geometric_mean, peer_figures, run_hand_written, HAND_WRITTEN,
    },
    fixture_wasm, i32v, i64v, Differential, Outcome,
};

/// Runs longer than this many core trace rows get only a lower bound for the padded trace
/// (building a trace keeps every row in memory: about 600 bytes per row).
const MAX_TRACE_ROWS: usize = 1 << 21;

/// One benchmark row.
struct Bench {
    /// Fixture file under tests/fixtures/.
    wasm: String,
    /// Short program label, e.g. `rust/recursion`.
    program: String,
    /// Build, e.g. `release` or `O2`.
    build: &'static str,
    func: &'static str,
    args: Vec<CoreValue>,
    /// The input as shown in the table.
    input: String,
}

fn rust(program: &str, build: &'static str, func: &'static str, args: Vec<CoreValue>) -> Bench {
    bench("rust", program, build, func, args)
}

fn c(program: &str, build: &'static str, func: &'static str, args: Vec<CoreValue>) -> Bench {
    bench("c", program, build, func, args)
}

fn bench(
    lang: &str,
    program: &str,
    build: &'static str,
    func: &'static str,
    args: Vec<CoreValue>,
) -> Bench {
    let shown: Vec<String> = args
        .iter()
        .map(|a| match a {
            CoreValue::I32(v) => (*v as u32).to_string(),
            CoreValue::I64(v) => v.to_string(),
            float => float.to_string(),
        })
        .collect();
    Bench {
        wasm: format!("{lang}/out/{program}.{build}.wasm"),
        program: format!("{lang}/{program}"),
        build,
        func,
        input: format!("{func}({})", shown.join(", ")),
        args,
    }
}

fn u(v: u32) -> CoreValue {
    i32v(v as i32)
}

/// The kernels at full size, in every build, then one representative run of each
/// other fixture program.
fn benches() -> Vec<Bench> {
    let mut out = Vec::new();
    for build in ["release", "debug"] {
        out.push(rust("recursion", build, "fib", vec![u(25)]));
        out.push(rust("primes", build, "count_primes", vec![u(10_000)]));
        out.push(rust("sha256", build, "sha256_prefix", vec![u(1024), u(0)]));
        out.push(rust(
            "sort",
            build,
            "sort_unstable_checksum",
            vec![u(1000), u(1)],
        ));
        out.push(rust(
            "bignum",
            build,
            "mulmod_loop",
            vec![u(1000), i64v(12345)],
        ));
        out.push(rust("memcpy", build, "memcpy_16k", vec![u(1)]));
        out.push(rust("memcpy", build, "sum_u32", vec![u(1000)]));
        out.push(rust("bytes", build, "reverse_16k", vec![u(1)]));
        out.push(rust("bytes", build, "utf8_count_16k", vec![u(1)]));
    }
    for build in ["O2", "O0"] {
        out.push(c("fib", build, "fib", vec![u(25)]));
        out.push(c("primes", build, "count_primes", vec![u(10_000)]));
        out.push(c("sha256", build, "sha256_prefix", vec![u(1024), u(0)]));
        out.push(c("sort", build, "quicksort_checksum", vec![u(1000), u(1)]));
        out.push(c(
            "bigmath",
            build,
            "mulmod_loop",
            vec![u(1000), i64v(12345)],
        ));
        out.push(c("memcpy", build, "memcpy_16k", vec![u(1)]));
        out.push(c("memcpy", build, "sum_u32", vec![u(1000)]));
        out.push(c("bytes", build, "reverse_16k", vec![u(1)]));
        out.push(c("bytes", build, "utf8_count_16k", vec![u(1)]));
    }
    for build in ["release", "debug"] {
        out.push(rust("programs", build, "sort_sum", vec![u(100)]));
        out.push(rust("fmt", build, "fmt_int", vec![i64v(-1234567890123)]));
        out.push(rust(
            "fmt",
            build,
            "fmt_debug",
            vec![i32v(-3), i32v(70000), u(4)],
        ));
        out.push(rust(
            "collections",
            build,
            "btree_histogram",
            vec![u(200), u(13), u(7)],
        ));
        out.push(rust(
            "dyn_dispatch",
            build,
            "shapes_total",
            vec![u(100), u(77)],
        ));
        out.push(rust("recursion", build, "tree_walk", vec![u(8)]));
        out.push(rust("bignum", build, "bigmul", vec![u(32), u(5)]));
        out.push(rust(
            "bignum",
            build,
            "powmod",
            vec![i64v(3), i64v(-2), i64v(-59)],
        ));
        out.push(rust(
            "memcpy",
            build,
            "copy_rounds",
            vec![u(4096), u(4), u(9)],
        ));
        // Floats: soft-float arithmetic, `sqrt`, and `core::fmt` of an `f64`.
        out.push(rust("numerics", build, "nbody_energy", vec![u(20)]));
        out.push(rust(
            "numerics",
            build,
            "mean_variance",
            vec![u(200), i64v(9)],
        ));
        out.push(rust(
            "numerics",
            build,
            "fmt_f64",
            vec![i64v(123.456f64.to_bits() as i64), u(2)],
        ));
    }
    for build in ["O2", "O0"] {
        out.push(c(
            "sort",
            build,
            "generic_sort_checksum",
            vec![u(300), u(5), u(0)],
        ));
        out.push(c("bigmath", build, "bigmul", vec![u(32), u(5)]));
        out.push(c("floats", build, "relax", vec![u(8), u(6)]));
        out.push(c("floats", build, "stats", vec![u(100), u(9)]));
    }
    out
}

/// A compiled module and what it cost to compile.
struct Module {
    diff: Differential,
    masm_instructions: usize,
    compile_seconds: f64,
}

fn main() {
    let filters: Vec<String> = std::env::args().skip(1).collect();
    let benches: Vec<Bench> = benches()
        .into_iter()
        .filter(|b| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    b.program.contains(f.as_str()) || b.build == f || b.func.contains(f.as_str())
                })
        })
        .collect();
    // Every input is built by the project's scripts: say so instead of failing half-way.
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    if let Some(missing) = benches.iter().find(|b| !fixtures.join(&b.wasm).exists()) {
        eprintln!(
            "error: {} is missing; build the fixtures with `bash scripts/build-fixtures.sh`",
            fixtures.join(&missing.wasm).display()
        );
        std::process::exit(1);
    }

    let mut modules: BTreeMap<String, Module> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut failures = 0;
    let peers = peer_figures();
    let mut peer_ratios = Vec::new();
    // Hand-written kernels: run once per input they are compared at.
    let mut hand: BTreeMap<(String, Vec<u32>), (Vec<u64>, u32)> = BTreeMap::new();
    let mut hand_rows = Vec::new();
    for b in &benches {
        let module = modules.entry(b.wasm.clone()).or_insert_with(|| {
            eprintln!("compiling {}", b.wasm);
            let wasm = fixture_wasm(&b.wasm);
            let start = Instant::now();
            let diff = Differential::from_wasm(&wasm);
            let compile_seconds = start.elapsed().as_secs_f64();
            let masm =
                midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm))
                    .expect("compiled once already")
                    .masm_listing("bench");
            Module {
                diff,
                masm_instructions: count_masm_instructions(&masm),
                compile_seconds,
            }
        });
        eprintln!("running {} {} {}", b.program, b.build, b.input);
        let want = module.diff.reference(b.func, &b.args);
        let runs = module.diff.cycles.len();
        let got = module.diff.midenc(b.func, &b.args);
        let cycles = module.diff.cycles.get(runs).map(|(_, c)| *c);
        let result = match (&got, want == got) {
            (Outcome::Values(v), true) => v.iter().map(show).collect::<Vec<_>>().join(", "),
            _ => {
                failures += 1;
                format!("MISMATCH: midenc {got:?}, wasmi {want:?}")
            }
        };
        let (_, root) = module.diff.package().export(b.func).expect("export exists");
        // The core trace alone has cycles + 1 rows: skip building traces known to be too big.
        let trace = match cycles {
            Some(c) if (c as usize) < MAX_TRACE_ROWS => {
                midenc::vm::trace_lengths(module.diff.package(), root, &b.args, MAX_TRACE_ROWS)
                    .unwrap_or_else(|e| panic!("trace of {} {}: {e:?}", b.program, b.input))
            }
            _ => None,
        };
        let padded = match (trace, cycles) {
            (Some(t), _) => group(t.padded as u32),
            (None, Some(c)) => format!("≥ {}", group((c as usize + 1).next_power_of_two() as u32)),
            (None, None) => "-".into(),
        };
        let peer = peers
            .iter()
            .find(|p| p.wasm == b.wasm && p.input == b.input)
            .map_or("not measured".to_string(), |p| match (&p.cycles, cycles) {
                (Ok(peer), Some(ours)) => {
                    let ratio = f64::from(ours) / *peer as f64;
                    peer_ratios.push(ratio);
                    format!("{} ({ratio:.2}×)", group64(*peer))
                }
                (Ok(peer), None) => group64(*peer),
                (Err(why), _) => why.clone(),
            });
        let u32_args: Option<Vec<u32>> = b
            .args
            .iter()
            .map(|a| match a {
                CoreValue::I32(v) => Some(*v as u32),
                _ => None,
            })
            .collect();
        let hand_cell = match (HAND_WRITTEN.iter().find(|h| h.export == b.func), u32_args) {
            (Some(h), Some(args)) => {
                let shown = args
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                let key = (h.name.to_string(), args.clone());
                let entry =
                    hand.entry(key).or_insert_with(|| {
                        eprintln!("running hand-written {}({shown})", h.name);
                        let run = run_hand_written(h.name, &args)
                            .unwrap_or_else(|e| panic!("hand-written {}: {e:?}", h.name));
                        // The kernel's result must be the compiled program's.
                        let expected: Vec<u64> = want_felts(&want);
                        let ok = run.0.get(..expected.len()) == Some(&expected[..]);
                        if !ok {
                            failures += 1;
                        }
                        hand_rows.push(format!(
                            "| `{}.masm` | `{}({shown})` | {} | {} | {} |",
                            h.name,
                            h.name,
                            group(run.1),
                            group(count_masm_instructions(
                                &midenc_tests::bench::hand_written_source(h.name)
                            ) as u32),
                            if ok {
                                "matches".to_string()
                            } else {
                                format!("MISMATCH: {:?}", &run.0[..4])
                            }
                        ));
                        run
                    });
                match cycles {
                    Some(c) => format!(
                        "{} ({:.2}×)",
                        group(entry.1),
                        f64::from(c) / f64::from(entry.1)
                    ),
                    None => group(entry.1),
                }
            }
            _ => "-".to_string(),
        };
        rows.push(format!(
            "| {} | {} | `{}` | {} | {} | {} | {} | {} | {} |",
            b.program,
            b.build,
            b.input,
            cycles.map_or("-".into(), group),
            padded,
            group(module.masm_instructions as u32),
            result,
            peer,
            hand_cell,
        ));
    }

    println!("| program | build | input | VM cycles | padded trace | MASM instructions | result | midenc 0.9.2 cycles (ours ÷ theirs) | hand-written MASM cycles (ours ÷ theirs) |");
    println!("|---|---|---|--:|--:|--:|---|---|---|");
    for row in &rows {
        println!("{row}");
    }
    if !peer_ratios.is_empty() {
        println!();
        println!(
            "Geometric mean of ours ÷ midenc 0.9.2 over the {} rows it ran: {:.2}×",
            peer_ratios.len(),
            geometric_mean(&peer_ratios)
        );
    }
    if !hand_rows.is_empty() {
        println!();
        println!("| hand-written kernel | input | VM cycles | MASM instructions | result |");
        println!("|---|---|--:|--:|---|");
        for row in &hand_rows {
            println!("{row}");
        }
    }
    if filters.is_empty() || filters.iter().any(|f| "loops".contains(f.as_str())) {
        failures += loop_table();
    }
    println!();
    println!("| module | MASM instructions | compile time (s) |");
    println!("|---|--:|--:|");
    for (wasm, m) in &modules {
        println!(
            "| {wasm} | {} | {:.1} |",
            group(m.masm_instructions as u32),
            m.compile_seconds
        );
    }
    if failures > 0 {
        eprintln!("error: {failures} run(s) disagree with wasmi");
        std::process::exit(1);
    }
}

/// The loops of `tests/fixtures/core/loop_kernels.wat`: (export, bound for one iteration,
/// bound for 1,000, target cycles per iteration).
const LOOP_KERNELS: &[(&str, u32, u32, u32)] = &[
    ("store_bytes", 1, 1000, 25),
    ("sum_bytes", 1, 1000, 0),
    ("sum_words", 4, 4000, 12),
];

/// Prints the cycles per iteration of the loop kernels (the difference between 1,000
/// iterations and one, over 999), each result checked against wasmi; returns the mismatches.
fn loop_table() -> usize {
    let wat = include_str!("../../fixtures/core/loop_kernels.wat");
    let mut diff = Differential::from_wat(wat);
    let mut failures = 0;
    println!();
    println!("| loop (`loop_kernels.wat`) | cycles, 1 iteration | cycles, 1,000 | per iteration | target |");
    println!("|---|--:|--:|--:|--:|");
    for (func, one, thousand, target) in LOOP_KERNELS {
        let mut cycles = Vec::new();
        for bound in [*one, *thousand] {
            let args = [u(bound)];
            let want = diff.reference(func, &args);
            let got = diff.midenc(func, &args);
            if want != got {
                eprintln!("MISMATCH {func}({bound}): midenc {got:?}, wasmi {want:?}");
                failures += 1;
            }
            cycles.push(diff.cycles.last().map_or(0, |(_, c)| *c));
        }
        let per = f64::from(cycles[1] - cycles[0]) / 999.0;
        let target = if *target > 0 {
            format!("≤ {target}")
        } else {
            "-".into()
        };
        println!(
            "| `{func}` | {} | {} | {per:.1} | {target} |",
            group(cycles[0]),
            group(cycles[1])
        );
    }
    failures
}

fn show(v: &CoreValue) -> String {
    match v {
        CoreValue::I32(x) => (*x as u32).to_string(),
        CoreValue::I64(x) => (*x as u64).to_string(),
        float => float.to_string(),
    }
}

/// The result felts of an outcome, first value first (an i64 as low limb, high limb).
fn want_felts(outcome: &Outcome) -> Vec<u64> {
    match outcome {
        Outcome::Values(v) => midenc_abi::lower_values(v),
        _ => Vec::new(),
    }
}

/// [`group`] for values that may exceed `u32`.
fn group64(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 1234567 → 1,234,567.
fn group(n: u32) -> String {
    group64(u64::from(n))
}
