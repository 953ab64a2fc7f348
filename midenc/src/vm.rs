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
use midenc_abi::{lift_values, lower_values, CoreType, CoreValue, MAX_STACK_FELTS};
use midenc_linker::{LinkSet, LinkedPackage};

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
    call_export_linked(package, &LinkSet::default(), root, args, results)
}

/// As [`call_export`], with the MAST forests of the linked packages `links` available to the
/// VM, which loads them when execution reaches a call by MAST root that `package` does not
/// contain (an external node). Dependencies are not checked here: see
/// [`LinkSet::check_dependencies`].
pub fn call_export_linked(
    package: &LinkedPackage,
    links: &LinkSet,
    root: Word,
    args: &[CoreValue],
    results: &[CoreType],
) -> DriverResult<RunOutcome> {
    crate::with_deep_stack(|| call_export_here(package, links, root, args, results))
}

fn call_export_here(
    package: &LinkedPackage,
    links: &LinkSet,
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
    let vm_error = |message: String| DriverError::Vm { message };
    let inputs: Vec<Felt> = felts
        .iter()
        .map(|f| Felt::new(*f).expect("limbs are canonical"))
        .collect();
    let stack = StackInputs::new(&inputs).map_err(|e| vm_error(e.to_string()))?;

    let source = format!(
        "begin\n    call.{}\n    trace.{CLOCK_TRACE_ID}\nend\n",
        root.to_hex()
    );
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
    for input in links.inputs() {
        host.load_library(input.package.library().mast_forest().clone())
            .map_err(|e| vm_error(e.to_string()))?;
    }

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
        ExecutionError::CycleLimitExceeded(limit) => {
            trap(format!("cycle limit of {limit} exceeded"))
        }
        _ => DriverError::Vm {
            message: e.to_string(),
        },
    }
}
