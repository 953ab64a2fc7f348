//! The `midenc` command-line tool.

use std::process::ExitCode;

fn main() -> ExitCode {
    midenc::cli::main()
}
