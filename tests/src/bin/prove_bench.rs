//! Benchmark (a table, not a test): proving time, proof size and verification time of
//! `midenc prove` / `midenc verify` against the padded trace length, 2^12 to 2^20 rows.
//! Run: `cargo run -p midenc-tests --bin prove_bench` (add `-- 16` to stop at 2^16); the
//! prover, a dependency, is optimized in every profile.
//!
//! The proven program is a counted loop whose iteration count is chosen so that its trace
//! lands in the middle of each power of two; the table prints the length the prover used.

use std::time::Instant;

const WAT: &str = r#"(module
  (func (export "spin") (param $n i32) (result i32) (local $acc i32)
    block
      loop
        local.get $n
        i32.eqz
        br_if 1
        local.get $acc
        local.get $n
        i32.xor
        i32.const 3
        i32.mul
        local.set $acc
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br 0
      end
    end
    local.get $acc))"#;

fn main() {
    let last: u32 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("the last log2 length is a number"))
        .unwrap_or(20);
    let wasm = wat::parse_str(WAT).expect("the program parses");
    let package =
        midenc::compile_wasm(std::path::Path::new("spin.wasm"), &wasm, "spin").expect("compiles");
    let links = midenc_linker::LinkSet::default();
    let cycles_of = |n: u64| -> u64 {
        let call = midenc::invoke::parse(&format!("spin({n})"), &package.manifest).expect("parses");
        let root = midenc_linker::parse_word(&call.export.mast_root).expect("root");
        u64::from(
            midenc::vm::call_export(&package, root, &call.args, &call.export.results)
                .expect("runs")
                .cycles,
        )
    };
    let (c0, c1) = (cycles_of(0), cycles_of(1000));
    let per_iteration = (c1 - c0) as f64 / 1000.0;
    println!("| padded trace length | cycles | proving time (s) | proof size (KiB) | verification time (ms) |");
    println!("|--:|--:|--:|--:|--:|");
    for log in 12..=last {
        // Three quarters of the power of two, in core rows.
        let target = (3u64 << log) / 4;
        let n = ((target.saturating_sub(c0)) as f64 / per_iteration) as u64;
        let call = midenc::invoke::parse(&format!("spin({n})"), &package.manifest).expect("parses");
        let proven = midenc::proof::prove_call(
            &package,
            &links,
            &call,
            midenc::proof::HashFunction::Blake3_256,
        )
        .expect("proves");
        let started = Instant::now();
        let verified = midenc::proof::verify_file(&proven.file, None).expect("verifies");
        let verify_ms = started.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(verified.result, proven.result);
        println!(
            "| 2^{} | {} | {:.2} | {:.1} | {:.1} |",
            proven.file.padded_trace_len.trailing_zeros(),
            proven.file.cycles,
            proven.proving_time.as_secs_f64(),
            proven.proof_size as f64 / 1024.0,
            verify_ms
        );
    }
}
