//! `midenc run`: invoke one export on the Miden VM and print the result as WAVE.

use std::path::PathBuf;

use crate::{error::DriverResult, invoke, vm};

/// Options of `midenc run`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The module (`.wasm`, `.wat`) or package (`.masp`) to run.
    pub input: PathBuf,
    /// The call, in WAVE syntax: `name(arg, ...)`.
    #[arg(long)]
    pub invoke: String,
    /// Print the VM cycle count (`cycles: N`) on stderr.
    #[arg(long)]
    pub cycles: bool,
    /// A package whose exports serve imports (repeatable); its MAST is available to the VM.
    #[arg(short = 'L', value_name = "PKG.masp")]
    pub link: Vec<PathBuf>,
}

/// Runs `midenc run`.
pub fn run(opts: Opts) -> DriverResult<()> {
    let links = crate::load_link_set(&opts.link)?;
    let package = crate::compile_file(&opts.input, &links)?;
    links.check_dependencies(&opts.input.display().to_string(), &package)?;
    let call = invoke::parse(&opts.invoke, &package.manifest)?;
    let root = midenc_linker::parse_word(&call.export.mast_root).ok_or_else(|| {
        midenc_linker::LinkError::BadPackage {
            reason: format!("export `{}` has a malformed MAST root", call.export.name),
        }
    })?;
    let cycles = if let Some(sig) = &call.export.wit {
        let outcome =
            vm::call_component_export_linked(&package, &links, root, sig, &call.wit_args)?;
        if let Some(value) = &outcome.result {
            let text = wasm_wave::to_string(value).map_err(|e| crate::error::DriverError::Vm {
                message: format!("cannot render the result: {e}"),
            })?;
            println!("{text}");
        }
        outcome.cycles
    } else {
        let outcome =
            vm::call_export_linked(&package, &links, root, &call.args, &call.export.results)?;
        if let Some(text) = invoke::render_results(&outcome.results) {
            println!("{text}");
        }
        outcome.cycles
    };
    if opts.cycles {
        eprintln!("cycles: {cycles}");
    }
    Ok(())
}
