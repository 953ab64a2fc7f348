//! Command-line interface: clap definitions and the top-level error rendering.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::commands;

/// Compile WebAssembly modules and components to Miden VM packages.
#[derive(Parser, Debug)]
#[command(name = "midenc", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The `midenc` verbs.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile a `.wasm`/`.wat` module to a Miden package (`.masp`) and its manifest.
    Compile(commands::compile::Opts),
    /// Run an export of a module or package on the Miden VM.
    Run(commands::run::Opts),
    /// Generate Rust guest bindings for a WIT world, or for calling a compiled package.
    Bindings(commands::bindings::Opts),
    /// Build the Rust crate in the current directory (or --manifest-path) into a Miden package.
    Build(commands::build::Opts),
    /// Create a Rust crate that builds into a Miden package.
    New(commands::new::Opts),
    /// Show what a package exports, imports and needs (tables, or `--json`).
    Inspect(commands::inspect::Opts),
    /// Run transactions on a local mock chain against an account made of compiled
    /// account components, and show what each changed.
    Tx(commands::tx::Opts),
    /// Run an export like `run` and prove the execution: writes a proof file.
    Prove(commands::prove::Opts),
    /// Check a proof file (against a package, or its recorded program root) and print the
    /// result it proves.
    Verify(commands::verify::Opts),
}

/// Parses arguments, runs the command and renders any error; the process exit status.
pub fn main() -> ExitCode {
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .width(120)
                .wrap_lines(false)
                .build(),
        )
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Compile(opts) => commands::compile::run(opts),
        Command::Run(opts) => commands::run::run(opts),
        Command::Bindings(opts) => commands::bindings::run(opts),
        Command::Build(opts) => commands::build::run(opts),
        Command::New(opts) => commands::new::run(opts),
        Command::Inspect(opts) => commands::inspect::run(opts),
        Command::Tx(opts) => commands::tx::run(opts),
        Command::Prove(opts) => commands::prove::run(opts),
        Command::Verify(opts) => commands::verify::run(opts),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::FAILURE
        }
    }
}

/// A path argument, for clap.
pub type PathArg = PathBuf;
