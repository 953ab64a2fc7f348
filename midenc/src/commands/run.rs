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
    /// Print the cycles spent in each Wasm function (self and total) as a table on stderr
    /// (core modules given as `.wasm`/`.wat`).
    #[arg(long)]
    pub profile: bool,
    /// A package whose exports serve imports (repeatable); its MAST is available to the VM.
    #[arg(short = 'L', value_name = "PKG.masp")]
    pub link: Vec<PathBuf>,
}

/// Runs `midenc run`.
pub fn run(opts: Opts) -> DriverResult<()> {
    let links = crate::load_link_set(&opts.link)?;
    if opts.profile {
        return run_profiled(&opts, &links);
    }
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

/// `midenc run --profile`: runs a core module compiled with profiling decorators and prints
/// the cycles per Wasm function.
fn run_profiled(opts: &Opts, links: &midenc_linker::LinkSet) -> DriverResult<()> {
    let (module, package) = crate::compile_file_profiled(&opts.input, links)?;
    links.check_dependencies(&opts.input.display().to_string(), &package)?;
    let call = invoke::parse(&opts.invoke, &package.manifest)?;
    let root = midenc_linker::parse_word(&call.export.mast_root).ok_or_else(|| {
        midenc_linker::LinkError::BadPackage {
            reason: format!("export `{}` has a malformed MAST root", call.export.name),
        }
    })?;
    let (outcome, profile) =
        vm::call_export_profiled(&package, links, root, &call.args, &call.export.results)?;
    if let Some(text) = invoke::render_results(&outcome.results) {
        println!("{text}");
    }
    eprint!(
        "{}",
        profile_table(&profile, &module.function_names, outcome.cycles)
    );
    if opts.cycles {
        eprintln!("cycles: {}", outcome.cycles);
    }
    Ok(())
}

/// The profile as a table, hottest function (most self cycles) first, with a last row for
/// the cycles outside every Wasm function (entry program, instantiation, argument order).
pub fn profile_table(profile: &[vm::FunctionProfile], names: &[String], cycles: u32) -> String {
    let mut rows: Vec<&vm::FunctionProfile> = profile.iter().collect();
    rows.sort_by(|a, b| b.self_cycles.cmp(&a.self_cycles).then(a.func.cmp(&b.func)));
    let total = u64::from(cycles).max(1);
    let inside: u64 = profile.iter().map(|p| p.self_cycles).sum();
    let name_width = rows
        .iter()
        .map(|p| function_name(names, p.func).len())
        .chain([8, "(outside functions)".len()])
        .max()
        .unwrap_or(8);
    let mut out = format!(
        "{:<name_width$}  {:>10}  {:>12}  {:>6}  {:>12}  {:>6}\n",
        "function", "calls", "self", "self%", "total", "total%"
    );
    let pct = |c: u64| 100.0 * c as f64 / total as f64;
    for p in rows {
        out.push_str(&format!(
            "{:<name_width$}  {:>10}  {:>12}  {:>5.1}%  {:>12}  {:>5.1}%\n",
            function_name(names, p.func),
            p.calls,
            p.self_cycles,
            pct(p.self_cycles),
            p.total_cycles,
            pct(p.total_cycles)
        ));
    }
    let outside = u64::from(cycles).saturating_sub(inside);
    out.push_str(&format!(
        "{:<name_width$}  {:>10}  {:>12}  {:>5.1}%  {:>12}  {:>5.1}%\n",
        "(outside functions)",
        "",
        outside,
        pct(outside),
        cycles,
        100.0
    ));
    out
}

fn function_name(names: &[String], func: u32) -> String {
    names
        .get(func as usize)
        .cloned()
        .unwrap_or_else(|| format!("function {func}"))
}
