//! Running exports on the Miden VM.
//!
//! An export is invoked the way any Miden program would: a one-line program
//! `begin call.<MAST root> end` with the arguments as stack inputs (first argument on top) and
//! the package's MAST forest loaded into the host. The exact cycle count is read by a `trace`
//! decorator placed after the call, which the host's debug handler answers with the VM clock.

use std::sync::Arc;

use miden_assembly::{Assembler, DefaultSourceManager};
use miden_core_lib::CoreLibrary;
use miden_mast_package::Word;
use miden_processor::{
    operation::OperationError, DebugHandler, DefaultHost, ExecutionError, FastProcessor, Felt,
    HostLibrary, ProcessorState, StackInputs, TraceError,
};
use midenc_abi::{felt_count, lift_values, lower_values, CoreType, CoreValue, MAX_STACK_FELTS};
use midenc_linker::{LinkedPackage, ManifestExport};

use crate::error::{DriverError, DriverResult};

/// `trace` id whose handler records the clock.
const CLOCK_TRACE_ID: u32 = 0xC10C;

/// The outcome of a successful run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    /// The results, first first.
    pub results: Vec<CoreValue>,
    /// VM clock cycles of the whole program.
    pub cycles: u32,
}

#[derive(Default)]
struct ClockProbe {
    clock: u32,
}

impl DebugHandler for ClockProbe {
    fn on_trace(&mut self, process: &ProcessorState, trace_id: u32) -> Result<(), TraceError> {
        if trace_id == CLOCK_TRACE_ID {
            self.clock = u32::from(process.clock());
        }
        Ok(())
    }
}

/// Calls the procedure with MAST root `root` in `package` with `args`, expecting `results`.
///
/// # Errors
/// [`DriverError::Trap`] when execution fails the way a Wasm trap does (assertion, division by
/// zero, out-of-range memory access); [`DriverError::Vm`] for any other VM failure.
pub fn call_export(
    package: &LinkedPackage,
    root: Word,
    args: &[CoreValue],
    results: &[CoreType],
) -> DriverResult<RunOutcome> {
    crate::with_deep_stack(|| call_export_here(package, root, args, results))
}

fn call_export_here(
    package: &LinkedPackage,
    root: Word,
    args: &[CoreValue],
    results: &[CoreType],
) -> DriverResult<RunOutcome> {
    let felts = lower_values(args);
    if felts.len() > MAX_STACK_FELTS {
        return Err(DriverError::Vm {
            message: format!("{} argument felts do not fit on the stack", felts.len()),
        });
    }
    let inputs: Vec<Felt> = felts
        .iter()
        .map(|f| Felt::new(*f).expect("limbs are canonical"))
        .collect();
    let source = format!(
        "begin\n    call.{}\n    trace.{CLOCK_TRACE_ID}\nend\n",
        root.to_hex()
    );
    execute(package, &source, &inputs, results)
}

/// Assembles `source` as a program against `package` and runs it with `inputs` on the stack.
fn execute(
    package: &LinkedPackage,
    source: &str,
    inputs: &[Felt],
    results: &[CoreType],
) -> DriverResult<RunOutcome> {
    let vm_error = |message: String| DriverError::Vm { message };
    let stack = StackInputs::new(inputs).map_err(|e| vm_error(e.to_string()))?;
    let program = Assembler::new(Arc::new(DefaultSourceManager::default()))
        .assemble_program(source)
        .map_err(|e| vm_error(format!("cannot assemble the entry program: {e}")))?;

    let core = CoreLibrary::default();
    let mut host = DefaultHost::default().with_debug_handler(ClockProbe::default());
    host.load_library(HostLibrary {
        mast_forest: package.library().mast_forest().clone(),
        handlers: core.handlers(),
    })
    .map_err(|e| vm_error(e.to_string()))?;

    let output = FastProcessor::new(stack)
        .with_tracing(true)
        .execute_sync(&program, &mut host)
        .map_err(trap_or_vm_error)?;
    let top: Vec<u64> = output.stack.iter().map(|f| f.as_canonical_u64()).collect();
    let results = lift_values(results, &top)
        .map_err(|e| vm_error(format!("the export broke the calling convention: {e}")))?;
    Ok(RunOutcome {
        results,
        cycles: host.debug_handler().clock,
    })
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
/// As [`call_export`]; a trap in any call ends the run.
pub fn run_in_one_instance(
    package: &LinkedPackage,
    calls: &[Call<'_>],
) -> DriverResult<RunOutcome> {
    crate::with_deep_stack(|| run_in_one_instance_here(package, calls))
}

fn run_in_one_instance_here(
    package: &LinkedPackage,
    calls: &[Call<'_>],
) -> DriverResult<RunOutcome> {
    let vm_error = |message: String| DriverError::Vm { message };
    let manifest = &package.manifest;
    if manifest.instantiate_mast_root.is_empty() {
        return Err(vm_error(
            "the package predates instance entry points; recompile it".into(),
        ));
    }
    let mut source = format!("begin\n    exec.{}\n", manifest.instantiate_mast_root);
    let mut last_results: &[CoreType] = &[];
    for (i, call) in calls.iter().enumerate() {
        let felts = lower_values(call.args);
        for felt in felts.iter().rev() {
            source.push_str(&format!("    push.{felt}\n"));
        }
        source.push_str(&format!("    exec.{}\n", call.export.entry_mast_root));
        let out = felt_count(&call.export.results);
        if i + 1 < calls.len() {
            for _ in 0..out {
                source.push_str("    drop\n");
            }
        } else {
            last_results = &call.export.results;
            if out > MAX_STACK_FELTS - 1 {
                return Err(vm_error(format!(
                    "{out} result felts do not fit on the stack"
                )));
            }
            // Drop the 16 zeros below the results so the program ends at depth 16.
            let lift = if out == 1 {
                "swap".to_string()
            } else {
                format!("movup.{out}")
            };
            for _ in 0..out {
                source.push_str(&format!("    {lift} drop\n"));
            }
        }
    }
    source.push_str(&format!("    trace.{CLOCK_TRACE_ID}\nend\n"));
    execute(package, &source, &[], last_results)
}

/// Classifies a VM failure: the ones a Wasm trap compiles to become [`DriverError::Trap`].
fn trap_or_vm_error(e: ExecutionError) -> DriverError {
    let trap = |message: String| DriverError::Trap { message };
    match &e {
        ExecutionError::OperationError { err, .. } => match err {
            OperationError::FailedAssertion {
                err_msg: Some(m), ..
            }
            | OperationError::U32AssertionFailed {
                err_msg: Some(m), ..
            } => trap(m.to_string()),
            OperationError::DivideByZero => trap("integer divide by zero".into()),
            other => DriverError::Vm {
                message: other.to_string(),
            },
        },
        ExecutionError::MemoryError { .. } => trap(format!("out of bounds memory access ({e})")),
        // The VM bounds the operand stack and the nesting of executing procedures; running
        // into either is Wasm's call-stack exhaustion.
        ExecutionError::StackDepthLimitExceeded { .. } => trap("call stack exhausted".into()),
        ExecutionError::Internal(reason) if reason.contains("continuation stack") => {
            trap("call stack exhausted".into())
        }
        ExecutionError::CycleLimitExceeded(limit) => {
            trap(format!("cycle limit of {limit} exceeded"))
        }
        _ => DriverError::Vm {
            message: e.to_string(),
        },
    }
}
