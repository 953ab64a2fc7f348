//! Benchmark (a table, not a test): `examples/felt-math`, built with `midenc build [--release]`,
//! against the hand-written `horner` and `merkle_root` kernels on the same inputs
//! (`bench::FELT_KERNELS`). Both receive the list through the advice map under its commitment.
//! Run: `cargo run -p midenc-tests --bin felt_bench --locked`.

use std::path::{Path, PathBuf};
use std::process::Command;

use midenc_tests::bench::{felt_kernel_bench_cycles, FELT_KERNELS};

/// Builds the example with the workspace's own `midenc` (`--release` or not) and returns its
/// package.
fn build_felt_math(root: &Path, release: bool) -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    let guest = home.join(".cache/midenc-guest-target");
    let host =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let manifest = root.join("examples/felt-math/Cargo.toml");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["run", "-q", "--locked", "-p", "midenc", "--target-dir"])
        .arg(&host)
        .args(["--", "build"])
        .args(release.then_some("--release"))
        .arg("--manifest-path")
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &guest)
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "midenc build of examples/felt-math failed"
    );
    guest.join(if release {
        "miden/release/felt-math.masp"
    } else {
        "miden/debug/felt-math.masp"
    })
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let load = |release| {
        midenc::input::load_package(&build_felt_math(&root, release)).expect("the package loads")
    };
    let (release, debug) = (load(true), load(false));
    let run = |package, call: &str| -> u32 {
        midenc_tests::runs::call_component_text(package, call)
            .expect("runs")
            .cycles
    };
    let join = |xs: &[u64]| xs.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    println!("| kernel | input | compiled Rust (release) | compiled Rust (debug) | hand-written | ours (release) ÷ hand-written |");
    println!("|---|---|--:|--:|--:|--:|");
    for kernel in &FELT_KERNELS {
        let input = (kernel.bench_input)();
        let call = match kernel.name {
            "horner" => format!("horner([{}], {})", join(&input.list), input.scalars[0]),
            _ => {
                let words: Vec<String> = input
                    .list
                    .chunks(4)
                    .map(|w| format!("{{a: {}, b: {}, c: {}, d: {}}}", w[0], w[1], w[2], w[3]))
                    .collect();
                format!("merkle-root([{}])", words.join(", "))
            }
        };
        let ours = run(&release, &call);
        let unoptimized = run(&debug, &call);
        let hand = felt_kernel_bench_cycles(kernel).expect("the kernel runs");
        let items = input.list.len() / kernel.item_felts;
        println!(
            "| {} | {items} items | {ours} | {unoptimized} | {hand} | {:.2}× |",
            kernel.name,
            f64::from(ours) / f64::from(hand)
        );
    }
}
