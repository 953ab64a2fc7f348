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
use miden_processor::advice::{AdviceInputs, AdviceMap};
use miden_processor::crypto::hash::Poseidon2;
use miden_processor::{
    operation::OperationError, DebugHandler, DefaultHost, ExecutionError, ExecutionOptions,
    FastProcessor, Felt, HostLibrary, ProcessorState, Program, StackInputs, TraceError,
};
use midenc_abi::{
    host::Image, lift_values, lower_values, CoreType, CoreValue, WitSignature, MAX_STACK_FELTS,
};
use midenc_linker::{LinkSet, LinkedPackage};

use crate::error::{DriverError, DriverResult};
use crate::trap_host::TrapHost;

/// `trace` id whose handler records the clock: an entry program given to [`run_program`] or
/// [`run_standalone`] reads the cycle count there.
pub const CLOCK_TRACE_ID: u32 = 0xC10C;

/// The outcome of a successful run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    /// The results, first first.
    pub results: Vec<CoreValue>,
    /// VM clock cycles of the whole program.
    pub cycles: u32,
}

#[derive(Default)]
pub(crate) struct ClockProbe {
    clock: u32,
    /// Behind a lock because the host hands out only a shared reference after the run.
    profiler: std::sync::Mutex<Profiler>,
}

impl DebugHandler for ClockProbe {
    fn on_trace(&mut self, process: &ProcessorState, trace_id: u32) -> Result<(), TraceError> {
        if trace_id == CLOCK_TRACE_ID {
            self.clock = u32::from(process.clock());
        } else if let Some((func, enter)) = midenc_frontend_wasm::profile_trace_function(trace_id) {
            if let Ok(profiler) = self.profiler.get_mut() {
                profiler.record(func, enter, u64::from(u32::from(process.clock())));
            }
        }
        Ok(())
    }
}

/// Cycles one Wasm function took in a profiled run (see `CompileOptions::profile`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionProfile {
    /// The function index.
    pub func: u32,
    /// How often it was entered.
    pub calls: u64,
    /// Cycles spent in its own body, callees excluded.
    pub self_cycles: u64,
    /// Cycles from entry to exit, callees included (recursive activations counted once).
    pub total_cycles: u64,
}

/// Attributes the clock between profiling `trace` decorators to functions.
#[derive(Default)]
struct Profiler {
    /// Active calls: function, clock at entry, cycles spent in callees so far.
    stack: Vec<(u32, u64, u64)>,
    functions: std::collections::BTreeMap<u32, FunctionProfile>,
    /// Activations of each function currently on `stack`.
    active: std::collections::HashMap<u32, u32>,
}

impl Profiler {
    fn record(&mut self, func: u32, enter: bool, clock: u64) {
        if enter {
            self.stack.push((func, clock, 0));
            *self.active.entry(func).or_default() += 1;
            let f = self.functions.entry(func).or_default();
            f.func = func;
            f.calls += 1;
            return;
        }
        // A trap unwinds nothing, so exits always match the innermost entry.
        let Some((entered, start, callees)) = self.stack.pop() else {
            return;
        };
        let elapsed = clock.saturating_sub(start);
        let active = self.active.entry(entered).or_default();
        *active = active.saturating_sub(1);
        let outermost = *active == 0;
        let f = self.functions.entry(entered).or_default();
        f.self_cycles += elapsed.saturating_sub(callees);
        if outermost {
            f.total_cycles += elapsed;
        }
        if let Some(parent) = self.stack.last_mut() {
            parent.2 += elapsed;
        }
    }

    fn finish(self) -> Vec<FunctionProfile> {
        self.functions.into_values().collect()
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
///
/// # Errors
/// As [`call_export`].
pub fn call_export_linked(
    package: &LinkedPackage,
    links: &LinkSet,
    root: Word,
    args: &[CoreValue],
    results: &[CoreType],
) -> DriverResult<RunOutcome> {
    crate::with_deep_stack(|| call_export_here(package, links, root, args, results, None))
}

/// Like [`call_export`], stopping after `max_cycles` VM cycles (the VM's own maximum when
/// `None`); running out is reported as a [`DriverError::Trap`] whose message starts with
/// [`CYCLE_LIMIT_TRAP`]. Fuzzing uses it to bound generated programs.
///
/// # Errors
/// As [`call_export`]; [`DriverError::Vm`] also when `max_cycles` is out of the VM's range.
pub fn call_export_limited(
    package: &LinkedPackage,
    root: Word,
    args: &[CoreValue],
    results: &[CoreType],
    max_cycles: Option<u32>,
) -> DriverResult<RunOutcome> {
    let links = LinkSet::default();
    crate::with_deep_stack(|| call_export_here(package, &links, root, args, results, max_cycles))
}

/// How the trap message of a run that exceeded its cycle limit begins.
pub const CYCLE_LIMIT_TRAP: &str = "cycle limit of";

/// The trap message of a run that outgrew the VM's operand stack or procedure nesting (deep
/// recursion); Wasm calls this exhaustion a trap too.
pub const STACK_EXHAUSTED_TRAP: &str = "call stack exhausted";

fn call_export_here(
    package: &LinkedPackage,
    links: &LinkSet,
    root: Word,
    args: &[CoreValue],
    results: &[CoreType],
    max_cycles: Option<u32>,
) -> DriverResult<RunOutcome> {
    let felts = lower_values(args);
    if felts.len() > MAX_STACK_FELTS {
        return Err(DriverError::Vm {
            message: format!("{} argument felts do not fit on the stack", felts.len()),
        });
    }
    let run = execute_limited(
        package,
        links,
        root,
        &felts,
        AdviceInputs::default(),
        max_cycles,
    )?;
    let results = lift_values(results, &run.stack).map_err(|e| DriverError::Vm {
        message: format!("the export broke the calling convention: {e}"),
    })?;
    Ok(RunOutcome {
        results,
        cycles: run.cycles,
    })
}

/// What an execution left behind.
pub struct Execution {
    /// The output stack, top first.
    pub stack: Vec<u64>,
    /// The advice map after the run.
    pub advice_map: AdviceMap,
    /// VM clock cycles.
    pub cycles: u32,
    /// Cycles per Wasm function, when the package was compiled with profiling decorators
    /// (empty otherwise).
    pub profile: Vec<FunctionProfile>,
}

/// `x` as a field element, or a diagnostic when it is not below the modulus.
pub(crate) fn felt(x: u64) -> DriverResult<Felt> {
    Felt::new(x).map_err(|_| DriverError::Vm {
        message: format!("{x} is not a field element"),
    })
}

/// Runs `call.<root>` with `stack` (top first) and `advice` as inputs.
///
/// # Errors
/// As [`call_export`].
pub fn execute(
    package: &LinkedPackage,
    root: Word,
    stack: &[u64],
    advice: AdviceInputs,
) -> DriverResult<Execution> {
    let source = entry_source(root);
    run_program(package, &LinkSet::default(), &source, stack, advice, None)
}

/// The entry program that invokes an export: `call` of its MAST root, then the clock probe.
/// Its MAST root is what a proof of the call names.
pub fn entry_source(root: Word) -> String {
    format!(
        "begin\n    call.{}\n    trace.{CLOCK_TRACE_ID}\nend\n",
        root.to_hex()
    )
}

/// [`execute`] with an optional cycle limit.
pub(crate) fn execute_limited(
    package: &LinkedPackage,
    links: &LinkSet,
    root: Word,
    stack: &[u64],
    advice: AdviceInputs,
    max_cycles: Option<u32>,
) -> DriverResult<Execution> {
    let source = entry_source(root);
    run_program(package, links, &source, stack, advice, max_cycles)
}

/// Assembles the entry program `source` against `package` (its procedures reached by MAST
/// root, the linked packages' too) and runs it with `stack` (top first) and `advice` as inputs,
/// stopping after `max_cycles` if given. The cycle count is the clock at the program's
/// `trace.CLOCK_TRACE_ID`; a trap is located by the packages' trap tables.
///
/// # Errors
/// As [`call_export`]; [`DriverError::Vm`] when `source` does not assemble.
pub fn run_program(
    package: &LinkedPackage,
    links: &LinkSet,
    source: &str,
    stack: &[u64],
    advice: AdviceInputs,
    max_cycles: Option<u32>,
) -> DriverResult<Execution> {
    let vm_error = |message: String| DriverError::Vm { message };
    let (program, stack, mut host) = prepare(package, links, source, stack)?;
    let options = ExecutionOptions::new(
        max_cycles,
        ExecutionOptions::default().expected_cycles(),
        ExecutionOptions::DEFAULT_CORE_TRACE_FRAGMENT_SIZE,
        true,
        false,
    )
    .map_err(|e| vm_error(e.to_string()))?;
    let output = FastProcessor::new(stack)
        .with_options(options)
        .map_err(|e| vm_error(e.to_string()))?
        .with_advice(advice)
        .map_err(|e| vm_error(e.to_string()))?
        .with_tracing(true)
        .execute_sync(&program, &mut host)
        .map_err(|e| located_trap(e, &host, package, links))?;
    let top: Vec<u64> = output.stack.iter().map(|f| f.as_canonical_u64()).collect();
    let (_, advice_map, _, _) = output.advice.into_parts();
    let cycles = host.inner.debug_handler().clock;
    let profile = host
        .inner
        .debug_handler()
        .profiler
        .lock()
        .map(|mut p| std::mem::take(&mut *p).finish())
        .unwrap_or_default();
    Ok(Execution {
        stack: top,
        advice_map,
        cycles,
        profile,
    })
}

/// Like [`call_export_linked`], also returning the cycles per Wasm function recorded by the
/// profiling decorators of a package compiled with `CompileOptions::profile`.
///
/// # Errors
/// As [`call_export`].
pub fn call_export_profiled(
    package: &LinkedPackage,
    links: &LinkSet,
    root: Word,
    args: &[CoreValue],
    results: &[CoreType],
) -> DriverResult<(RunOutcome, Vec<FunctionProfile>)> {
    crate::with_deep_stack(|| {
        let felts = lower_values(args);
        let run = execute_limited(package, links, root, &felts, AdviceInputs::default(), None)?;
        let results = lift_values(results, &run.stack).map_err(|e| DriverError::Vm {
            message: format!("the export broke the calling convention: {e}"),
        })?;
        Ok((
            RunOutcome {
                results,
                cycles: run.cycles,
            },
            run.profile,
        ))
    })
}

/// Assembles the program `source` against `package`, with `stack` (top first) as inputs and a
/// host that has the package and the core library's event handlers loaded.
pub(crate) fn prepare(
    package: &LinkedPackage,
    links: &LinkSet,
    source: &str,
    stack: &[u64],
) -> DriverResult<(Program, StackInputs, TrapHost<ClockProbe>)> {
    let vm_error = |message: String| DriverError::Vm { message };
    let inputs: Vec<Felt> = stack
        .iter()
        .map(|f| felt(*f))
        .collect::<DriverResult<_>>()?;
    let stack = StackInputs::new(&inputs).map_err(|e| vm_error(e.to_string()))?;
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
    Ok((program, stack, TrapHost::new(host)))
}

/// Assembles the stand-alone program `source` (core library linked statically) and runs it
/// with `stack` (top first) and `advice` as inputs, the core library's event handlers and, if
/// given, the MAST forest of a `library` the program reaches by root (its advice map loaded
/// too); the cycle count is the clock at the program's `trace.CLOCK_TRACE_ID`. Hand-written
/// kernels and other compilers' packages run this way.
///
/// # Errors
/// As [`call_export`]; [`DriverError::Vm`] when `source` does not assemble.
pub fn run_standalone(
    source: String,
    stack: &[u64],
    mut advice: AdviceInputs,
    library: Option<&Arc<miden_assembly::mast::MastForest>>,
) -> DriverResult<Execution> {
    let vm_error = |message: String| DriverError::Vm { message };
    crate::with_deep_stack(|| {
        let inputs: Vec<Felt> = stack
            .iter()
            .map(|f| felt(*f))
            .collect::<DriverResult<_>>()?;
        let stack = StackInputs::new(&inputs).map_err(|e| vm_error(e.to_string()))?;
        let core = CoreLibrary::default();
        let program = Assembler::new(Arc::new(DefaultSourceManager::default()))
            .with_static_library(&core)
            .map_err(|e| vm_error(e.to_string()))?
            .assemble_program(source)
            .map_err(|e| vm_error(format!("cannot assemble the program: {e}")))?;
        let mut host = DefaultHost::default().with_debug_handler(ClockProbe::default());
        host.load_library(HostLibrary {
            mast_forest: core.mast_forest().clone(),
            handlers: core.handlers(),
        })
        .map_err(|e| vm_error(e.to_string()))?;
        if let Some(forest) = library {
            host.load_library(forest.clone())
                .map_err(|e| vm_error(e.to_string()))?;
            advice.map.extend(forest.advice_map().clone());
        }
        let output = FastProcessor::new(stack)
            .with_advice(advice)
            .map_err(|e| vm_error(e.to_string()))?
            .with_tracing(true)
            .execute_sync(&program, &mut host)
            .map_err(|e| trap_or_vm_error(e, None))?;
        let top: Vec<u64> = output.stack.iter().map(|f| f.as_canonical_u64()).collect();
        let (_, advice_map, _, _) = output.advice.into_parts();
        Ok(Execution {
            stack: top,
            advice_map,
            cycles: host.debug_handler().clock,
            profile: Vec::new(),
        })
    })
}

/// The lengths of the execution trace of one run: what a prover pays for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceLengths {
    /// Rows of the core (decoder + stack + system) trace: the clock plus one.
    pub core: usize,
    /// Rows of the range-checker trace.
    pub range: usize,
    /// Rows of all chiplets (hasher, bitwise, memory, ACE, kernel ROM) together.
    pub chiplets: usize,
    /// The longest of the three rounded up to a power of two: the trace the prover builds.
    pub padded: usize,
}

/// Runs the export again while recording the execution trace, and reports its lengths.
///
/// Building a trace holds every row in memory (hundreds of bytes per cycle), so runs whose
/// core trace would exceed `max_core_rows` are not built: they give `Ok(None)`.
///
/// # Errors
/// As [`call_export`].
pub fn trace_lengths(
    package: &LinkedPackage,
    root: Word,
    args: &[CoreValue],
    max_core_rows: usize,
) -> DriverResult<Option<TraceLengths>> {
    crate::with_deep_stack(|| {
        let source = entry_source(root);
        let (program, stack, mut host) =
            prepare(package, &LinkSet::default(), &source, &lower_values(args))?;
        let package_links = LinkSet::default();
        let inputs = FastProcessor::new(stack)
            .execute_trace_inputs_sync(&program, &mut host)
            .map_err(|e| located_trap(e, &host, package, &package_links))?;
        match miden_processor::trace::build_trace_with_max_len(inputs, max_core_rows) {
            Ok(trace) => {
                let s = trace.trace_len_summary();
                Ok(Some(TraceLengths {
                    core: s.main_trace_len(),
                    range: s.range_trace_len(),
                    chiplets: s.chiplets_trace_len().trace_len(),
                    padded: s.padded_trace_len(),
                }))
            }
            Err(ExecutionError::TraceLenExceeded(_)) => Ok(None),
            Err(e) => Err(DriverError::Vm {
                message: e.to_string(),
            }),
        }
    })
}

/// The outcome of a component export call.
pub struct ComponentOutcome {
    /// The result, if the function has one.
    pub result: Option<wasm_wave::value::Value>,
    /// VM clock cycles.
    pub cycles: u32,
}

/// The map key of a spilled image: the Poseidon2 digest of its felts in the receiver's
/// absorption order ([`midenc_abi::host::digest_order`]).
pub fn image_digest(entry: &[u64]) -> DriverResult<Word> {
    let felts: Vec<Felt> = midenc_abi::host::digest_order(entry)
        .iter()
        .map(|f| felt(*f))
        .collect::<DriverResult<_>>()?;
    Ok(Poseidon2::hash_elements(&felts))
}

/// The stack felts of a digest word (element 0 on top).
pub fn word_to_stack(w: Word) -> [u64; 4] {
    w.into_elements().map(|f| f.as_canonical_u64())
}

/// Calls a component export: encodes `args` by the WIT calling convention (stack, or the advice
/// map when it spills), runs it with the MAST forests of the linked packages `links`
/// available to the VM (for a component whose imports they serve).
///
/// # Errors
/// As [`call_component_export`].
pub fn call_component_export_linked(
    package: &LinkedPackage,
    links: &LinkSet,
    root: Word,
    sig: &WitSignature,
    args: &[wasm_wave::value::Value],
) -> DriverResult<ComponentOutcome> {
    let bad = |message: String| DriverError::Vm { message };
    let image = midenc_abi::host::encode(&sig.param_types(), args)
        .map_err(|e| bad(format!("cannot encode the arguments: {e}")))?;
    let (stack, advice) = spill_inputs(sig.params_spill(), &image)?;
    let run =
        crate::with_deep_stack(|| execute_limited(package, links, root, &stack, advice, None))?;
    let result = component_result(sig, &run.stack, |key| {
        run.advice_map
            .get(&key)
            .map(|entry| entry.iter().map(|f| f.as_canonical_u64()).collect())
    })?;
    Ok(ComponentOutcome {
        result,
        cycles: run.cycles,
    })
}

/// The result of a component export from its output `stack` (top first): the flat felts, or
/// the advice-map entry that `entry` finds under the digest on the stack, checked against
/// that digest and the word count beside it.
///
/// # Errors
/// [`DriverError::Vm`] when the entry is missing or does not match, or the felts do not
/// decode as the result type.
pub fn component_result(
    sig: &WitSignature,
    stack: &[u64],
    entry: impl Fn(Word) -> Option<Vec<u64>>,
) -> DriverResult<Option<wasm_wave::value::Value>> {
    let bad = |message: String| DriverError::Vm { message };
    let Some(result_ty) = &sig.result else {
        return Ok(None);
    };
    let needed = if sig.results_spill() {
        5
    } else {
        sig.result_felts()
    };
    if stack.len() < needed {
        return Err(bad("the output stack is too short for the result".into()));
    }
    let image = if sig.results_spill() {
        let key = Word::new([
            felt(stack[0])?,
            felt(stack[1])?,
            felt(stack[2])?,
            felt(stack[3])?,
        ]);
        let entry =
            entry(key).ok_or_else(|| bad("the result digest names no advice-map entry".into()))?;
        if image_digest(&entry)? != key || entry.len() as u64 != 4 * stack[4] {
            return Err(bad(
                "the result advice entry does not match its digest and length".into(),
            ));
        }
        Image::from_advice_entry(&entry, sig.result_felts())
    } else {
        Ok(Image {
            flat: stack[..sig.result_felts()].to_vec(),
            blobs: Vec::new(),
        })
    }
    .map_err(|e| bad(e.to_string()))?;
    midenc_abi::host::decode(result_ty, &image)
        .map(Some)
        .map_err(|e| bad(format!("the export broke the calling convention: {e}")))
}

/// Stack and advice inputs for an argument image: the flat felts on the stack, or the digest
/// and word count on the stack with the entry in the advice map.
pub fn spill_inputs(spill: bool, image: &Image) -> DriverResult<(Vec<u64>, AdviceInputs)> {
    if !spill {
        return Ok((image.flat.clone(), AdviceInputs::default()));
    }
    let entry = image.advice_entry();
    let key = image_digest(&entry)?;
    let mut stack = word_to_stack(key).to_vec();
    stack.push(entry.len() as u64 / 4);
    let felts: Vec<Felt> = entry
        .iter()
        .map(|f| felt(*f))
        .collect::<DriverResult<_>>()?;
    let mut advice = AdviceInputs::default();
    advice.map.insert(key, felts);
    Ok((stack, advice))
}

/// [`trap_or_vm_error`] with the location of the failing instruction, by the trap table of
/// `package` or of one of the linked packages.
fn located_trap(
    e: ExecutionError,
    host: &TrapHost<ClockProbe>,
    package: &LinkedPackage,
    links: &LinkSet,
) -> DriverError {
    let mut tables = vec![&package.traps];
    tables.extend(links.inputs().iter().map(|input| &input.package.traps));
    trap_or_vm_error(e, host.trap_location(&tables))
}

/// Classifies a VM failure: the ones a Wasm trap compiles to become [`DriverError::Trap`], at
/// `location` when it is known.
fn trap_or_vm_error(
    e: ExecutionError,
    location: Option<midenc_linker::TrapLocation>,
) -> DriverError {
    let trap = |message: String| DriverError::Trap {
        message,
        location: location.clone(),
    };
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
        // Compiled code checks every address itself, so a memory error the VM raises is a
        // code-generation fault, not a Wasm trap: it falls through to `DriverError::Vm`.
        // The VM bounds the operand stack and the nesting of executing procedures; running
        // into either is Wasm's call-stack exhaustion.
        ExecutionError::StackDepthLimitExceeded { .. } => trap(STACK_EXHAUSTED_TRAP.into()),
        ExecutionError::Internal(reason) if reason.contains("continuation stack") => {
            trap(STACK_EXHAUSTED_TRAP.into())
        }
        ExecutionError::CycleLimitExceeded(limit) => {
            trap(format!("{CYCLE_LIMIT_TRAP} {limit} exceeded"))
        }
        _ => DriverError::Vm {
            message: e.to_string(),
        },
    }
}
