//! Ways of running compiled and hand-written code that the benchmarks and harnesses need
//! beyond what `midenc run` does: stand-alone MASM kernels, other compilers' packages, a
//! component export with no links, and several exports in one instance. They build entry
//! programs and run them with the driver's [`vm::run_program`] and [`vm::run_standalone`].

use miden_mast_package::Word;
use miden_processor::advice::AdviceInputs;
use midenc::{
    error::{DriverError, DriverResult},
    vm::{self, ComponentOutcome, Execution, RunOutcome},
};
use midenc_abi::{felt_count, lift_values, lower_values, CoreValue, WitSignature, MAX_STACK_FELTS};
use midenc_linker::{LinkSet, LinkedPackage, ManifestExport};

/// Runs a stand-alone MASM program (`begin … end`, core library available) with `stack` (top
/// first) as inputs, returning the output stack and the exact cycle count. The benchmark uses
/// it for hand-written reference kernels.
///
/// # Errors
/// As [`vm::call_export`]; [`DriverError::Vm`] when the program does not assemble.
pub fn run_masm_program(source: &str, stack: &[u64]) -> DriverResult<Execution> {
    run_masm_program_with_advice(source, stack, AdviceInputs::default())
}

/// As [`run_masm_program`], with `advice` as the advice inputs: for hand-written kernels that
/// take a list through the advice map, as a compiled component export does when it spills.
///
/// # Errors
/// As [`run_masm_program`].
pub fn run_masm_program_with_advice(
    source: &str,
    stack: &[u64],
    advice: AdviceInputs,
) -> DriverResult<Execution> {
    let vm_error = |message: String| DriverError::Vm { message };
    // Read the clock just before the program's final `end`.
    let end = source
        .rfind("end")
        .ok_or_else(|| vm_error("the program has no `end`".into()))?;
    let source = format!(
        "{}trace.{}\n{}",
        &source[..end],
        vm::CLOCK_TRACE_ID,
        &source[end..]
    );
    vm::run_standalone(source, stack, advice, None)
}

/// Runs the exported procedure `export` (the last component of its path) of any Miden package
/// in `bytes`, e.g. one written by another compiler, with `stack` (top first) as inputs and the
/// core library's event handlers loaded. The benchmark uses it to measure the peer compiler's
/// output on the same VM.
///
/// Such packages follow the `exec` convention: their procedures run in the caller's memory
/// context, after the package's `init` procedure (heap set-up and data segments) if it exports
/// one. Both are reached through `dynexec` from the entry program, so they share one context;
/// the cycle count covers `init` and the function, as ours covers instantiation and the call.
///
/// # Errors
/// [`DriverError::Vm`] when the bytes are not a package or name no such export; as
/// [`vm::call_export`] for the run.
pub fn run_package_export(bytes: &[u8], export: &str, stack: &[u64]) -> DriverResult<Execution> {
    use miden_assembly::serde::Deserializable;
    use miden_mast_package::{Package, PackageExport};
    let vm_error = |message: String| DriverError::Vm { message };
    let package =
        Package::read_from_bytes(bytes).map_err(|e| vm_error(format!("not a package: {e}")))?;
    let procedures: Vec<(String, Word)> = package
        .manifest
        .exports()
        .filter_map(|e| match e {
            PackageExport::Procedure(p) => Some((p.path.to_string(), p.digest)),
            _ => None,
        })
        .collect();
    let find = |name: &str| {
        procedures.iter().find_map(|(path, digest)| {
            (path.ends_with(&format!("::{name}")) || path.ends_with(&format!("::\"{name}\"")))
                .then_some(*digest)
        })
    };
    let root = find(export).ok_or_else(|| {
        let names: Vec<&str> = procedures.iter().map(|(p, _)| p.as_str()).collect();
        vm_error(format!(
            "no export `{export}`; exports: {}",
            names.join(", ")
        ))
    })?;
    // The digest of each procedure goes to a scratch word far above any compiled program's
    // data, and `dynexec` runs it there.
    const SCRATCH: u32 = 0xFFFF_0000;
    let mut source = String::from("begin\n");
    for digest in find("init").into_iter().chain([root]) {
        let felts: Vec<String> = digest
            .iter()
            .map(|f| f.as_canonical_u64().to_string())
            .collect();
        source.push_str(&format!(
            "    push.{} mem_storew_le.{SCRATCH} dropw push.{SCRATCH} dynexec\n",
            felts.iter().rev().cloned().collect::<Vec<_>>().join(".")
        ));
    }
    // The clock is read before the stack is trimmed to the 16 elements a program may end with.
    source.push_str(&format!(
        "    trace.{}\n    exec.::miden::core::sys::truncate_stack\nend\n",
        vm::CLOCK_TRACE_ID
    ));
    vm::run_standalone(
        source,
        stack,
        AdviceInputs::default(),
        Some(package.mast.mast_forest()),
    )
}

/// Runs the WAVE call `text` (`name(args…)`) of a component export of `package` with no links,
/// as `midenc run --invoke` does: parsed against the manifest, then [`call_component_export`].
///
/// # Errors
/// As `midenc::invoke::parse` for the text; [`DriverError::Vm`] when it names a core export;
/// as [`call_component_export`] for the run.
pub fn call_component_text(package: &LinkedPackage, text: &str) -> DriverResult<ComponentOutcome> {
    let call = midenc::invoke::parse(text, &package.manifest)?;
    let vm_error = |message: String| DriverError::Vm { message };
    let sig = call
        .export
        .wit
        .clone()
        .ok_or_else(|| vm_error(format!("`{}` is not a component export", call.export.name)))?;
    let root = midenc_linker::parse_word(&call.export.mast_root)
        .ok_or_else(|| vm_error(format!("bad MAST root `{}`", call.export.mast_root)))?;
    call_component_export(package, root, &sig, &call.wit_args)
}

/// Calls a component export: encodes `args` by the WIT calling convention (stack, or the
/// advice map when it spills), runs it, and decodes the result image.
///
/// # Errors
/// As [`vm::call_export`]; [`DriverError::Vm`] when the result image is malformed.
pub fn call_component_export(
    package: &LinkedPackage,
    root: Word,
    sig: &WitSignature,
    args: &[wasm_wave::value::Value],
) -> DriverResult<ComponentOutcome> {
    vm::call_component_export_linked(package, &LinkSet::default(), root, sig, args)
}

/// One call of [`run_in_one_instance`]: an export and its arguments.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    /// The export, as the manifest describes it.
    pub export: &'a ManifestExport,
    /// Its arguments, first first.
    pub args: &'a [CoreValue],
}

/// Runs `calls` one after another in a single instance of `package`, the way a Wasm host
/// calls exports of one instance: memory, globals and tables persist from call to call.
/// Returns the results of the last call (the others' are dropped); with no calls it only
/// instantiates (which traps where Wasm instantiation traps).
///
/// Every export `call` creates a fresh instance, so the program `exec`s the package's
/// instantiation procedure once and then each export's entry procedure.
///
/// # Errors
/// As [`vm::call_export`]; a trap in any call ends the run.
pub fn run_in_one_instance(
    package: &LinkedPackage,
    calls: &[Call<'_>],
) -> DriverResult<RunOutcome> {
    let keep_from = calls.len().saturating_sub(1);
    let (mut results, cycles) =
        midenc::with_deep_stack(|| run_in_one_instance_here(package, calls, keep_from))?;
    Ok(RunOutcome {
        results: results.pop().unwrap_or_default(),
        cycles,
    })
}

/// Like [`run_in_one_instance`], returning the results of every call from `keep_from` on (in
/// call order), so that several calls after the same state changes need one run. Their result
/// felts must fit on the stack together (at most 15).
///
/// # Errors
/// As [`run_in_one_instance`].
pub fn run_batch_in_one_instance(
    package: &LinkedPackage,
    calls: &[Call<'_>],
    keep_from: usize,
) -> DriverResult<Vec<Vec<CoreValue>>> {
    midenc::with_deep_stack(|| run_in_one_instance_here(package, calls, keep_from)).map(|r| r.0)
}

fn run_in_one_instance_here(
    package: &LinkedPackage,
    calls: &[Call<'_>],
    keep_from: usize,
) -> DriverResult<(Vec<Vec<CoreValue>>, u32)> {
    let vm_error = |message: String| DriverError::Vm { message };
    let manifest = &package.manifest;
    if manifest.instantiate_mast_root.is_empty() {
        return Err(vm_error(
            "the package predates instance entry points; recompile it".into(),
        ));
    }
    let mut source = format!("begin\n    exec.{}\n", manifest.instantiate_mast_root);
    let mut kept = 0;
    for (i, call) in calls.iter().enumerate() {
        if call.export.entry_mast_root.is_empty() {
            return Err(vm_error(format!(
                "export `{}` has no entry procedure (component exports run in a fresh instance)",
                call.export.name
            )));
        }
        for felt in lower_values(call.args).iter().rev() {
            source.push_str(&format!("    push.{felt}\n"));
        }
        source.push_str(&format!("    exec.{}\n", call.export.entry_mast_root));
        let out = felt_count(&call.export.results);
        if i < keep_from {
            for _ in 0..out {
                source.push_str("    drop\n");
            }
        } else {
            kept += out;
        }
    }
    if kept > MAX_STACK_FELTS - 1 {
        return Err(vm_error(format!(
            "{kept} result felts do not fit on the stack"
        )));
    }
    // Drop the 16 zeros below the results so the program ends at depth 16.
    let lift = if kept == 1 {
        "swap".to_string()
    } else {
        format!("movup.{kept}")
    };
    for _ in 0..kept {
        source.push_str(&format!("    {lift} drop\n"));
    }
    source.push_str(&format!("    trace.{}\nend\n", vm::CLOCK_TRACE_ID));
    let run = vm::run_program(
        package,
        &LinkSet::default(),
        &source,
        &[],
        AdviceInputs::default(),
        None,
    )?;
    // The last call's results are on top.
    let mut results = Vec::new();
    let mut at = 0;
    for call in calls[keep_from.min(calls.len())..].iter().rev() {
        let out = felt_count(&call.export.results);
        let values = lift_values(&call.export.results, &run.stack[at..])
            .map_err(|e| vm_error(format!("the export broke the calling convention: {e}")))?;
        results.push(values);
        at += out;
    }
    results.reverse();
    Ok((results, run.cycles))
}
