//! `midenc prove`: run one export like `midenc run`, prove the execution, write a proof file.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{DriverError, DriverResult};
use crate::{invoke, proof};

/// Options of `midenc prove`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The module (`.wasm`, `.wat`) or package (`.masp`) whose export is proven.
    pub input: PathBuf,
    /// The call, in WAVE syntax: `name(arg, ...)`.
    #[arg(long)]
    pub invoke: String,
    /// A package whose exports serve imports (repeatable); its MAST is available to the VM.
    #[arg(short = 'L', value_name = "PKG.masp")]
    pub link: Vec<PathBuf>,
    /// Where to write the proof file.
    #[arg(short = 'o', long = "output", value_name = "FILE.proof")]
    pub output: PathBuf,
    /// The hash function the proof commits with. Every choice gives the prover's one
    /// security level (96 bits conjectured in Miden 0.23); `rpo`, `rpx` and `poseidon2` suit
    /// recursive verification inside the VM.
    #[arg(long, default_value = "blake3-256", value_parser = proof::HASH_FUNCTIONS)]
    pub hash: String,
}

/// Runs `midenc prove`.
pub fn run(opts: Opts) -> DriverResult<()> {
    let hash = miden_prover::HashFunction::try_from(opts.hash.as_str()).map_err(|e| {
        DriverError::Usage {
            message: e.to_string(),
            help: format!("--hash takes one of {}", proof::HASH_FUNCTIONS.join(", ")),
        }
    })?;
    let links = crate::load_link_set(&opts.link)?;
    let package = crate::compile_file(&opts.input, &links)?;
    links.check_dependencies(&opts.input.display().to_string(), &package)?;
    let call = invoke::parse(&opts.invoke, &package.manifest)?;
    let proven = with_progress(|| proof::prove_call(&package, &links, &call, hash))?;
    let json = serde_json::to_vec_pretty(&proven.file).expect("a proof file serializes");
    midenc_linker::write_atomic(&opts.output, &json).map_err(|error| DriverError::Write {
        path: opts.output.clone(),
        error,
    })?;
    if let Some(text) = &proven.result {
        println!("{text}");
    }
    eprintln!("cycles: {}", proven.file.cycles);
    eprintln!("padded trace length: {}", proven.file.padded_trace_len);
    eprintln!("proving time: {:.2} s", proven.proving_time.as_secs_f64());
    eprintln!(
        "proof size: {} bytes ({} hash, {}-bit security)",
        proven.proof_size, proven.file.hash_function, proven.file.security_bits
    );
    eprintln!("wrote {}", opts.output.display());
    Ok(())
}

/// Runs `work`, telling the user on stderr that it is still going once it has taken more than
/// a second: a ticking line on a terminal, one note otherwise.
fn with_progress<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let started = Instant::now();
            let terminal = std::io::stderr().is_terminal();
            let mut noted = false;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let elapsed = started.elapsed();
                if elapsed < Duration::from_secs(1) || done.load(Ordering::Relaxed) {
                    continue;
                }
                if terminal {
                    eprint!("\rproving… {:.0} s", elapsed.as_secs_f64());
                } else if !noted {
                    eprintln!("proving…");
                }
                noted = true;
            }
            if terminal && noted {
                eprint!("\r\x1b[K");
            }
        });
        let out = work();
        done.store(true, Ordering::Relaxed);
        out
    })
}
