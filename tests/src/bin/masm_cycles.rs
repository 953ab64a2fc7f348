//! Prints the exact cycle count and output stack of a stand-alone MASM program: a quick way to
//! measure an instruction sequence before teaching the code generator to emit it.
//!
//! `cargo run -p midenc-tests --bin masm_cycles -- FILE.masm [INPUT ...]` (inputs top first).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: masm_cycles FILE.masm [INPUT ...]");
        return ExitCode::FAILURE;
    };
    let inputs: Result<Vec<u64>, _> = args.map(|a| a.parse::<u64>()).collect();
    let Ok(inputs) = inputs else {
        eprintln!("error: inputs must be unsigned integers");
        return ExitCode::FAILURE;
    };
    let source = match std::fs::read_to_string(&path) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match midenc_tests::runs::run_masm_program(&source, &inputs) {
        Ok(run) => {
            println!("cycles: {}", run.cycles);
            println!("stack: {:?}", &run.stack[..run.stack.len().min(8)]);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
