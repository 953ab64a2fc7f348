//! Runs an export of any Miden package (for the benchmark: one written by 0xMiden's midenc
//! 0.9.2) on miden-processor 0.23.5 and prints the top of the output stack and the exact cycle
//! count, the way `midenc run --cycles` measures our own packages.
//!
//! `cargo run -p midenc-tests --bin peer_run -- PKG.masp EXPORT [FELT...]` (first felt on top).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, export, felts @ ..] = &args[..] else {
        eprintln!("usage: peer_run PKG.masp EXPORT [FELT...]");
        std::process::exit(2);
    };
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        eprintln!("error: {path}: {e}");
        std::process::exit(1);
    });
    let stack: Vec<u64> = felts
        .iter()
        .map(|f| {
            f.parse().unwrap_or_else(|_| {
                eprintln!("error: `{f}` is not a felt");
                std::process::exit(2);
            })
        })
        .collect();
    match midenc_tests::runs::run_package_export(&bytes, export, &stack) {
        Ok(run) => {
            let top: Vec<String> = run.stack.iter().take(4).map(u64::to_string).collect();
            println!("stack: {}", top.join(" "));
            println!("cycles: {}", run.cycles);
        }
        Err(e) => {
            eprintln!("error: {:?}", miette::Report::new(e));
            std::process::exit(1);
        }
    }
}
