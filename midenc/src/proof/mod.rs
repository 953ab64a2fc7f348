//! Proofs of export calls: `midenc prove` runs a call as `midenc run` does and proves it with
//! `miden-prover`; `midenc verify` checks the proof file with `miden-verifier`.
//!
//! The proven program is the entry program of a run ([`vm::entry_source`]): `call` of the
//! export's MAST root. Its root commits to the export's code and, by their roots, to every
//! procedure it calls in linked packages, so a proof names one program without naming files.

pub mod file;

use std::time::{Duration, Instant};

use miden_mast_package::Word;
use miden_processor::advice::AdviceInputs;
use miden_processor::{ExecutionOptions, FastProcessor, Felt, ProgramInfo, StackInputs};
/// The hash functions a proof can commit with (`--hash`).
pub use miden_prover::HashFunction;
use miden_prover::{ExecutionProof, ProvingOptions, StackOutputs, TraceProvingInputs};
use midenc_linker::{LinkSet, LinkedPackage, ManifestExport};

use crate::error::{DriverError, DriverResult};
use crate::{invoke, vm};
use file::{AdviceCommitment, ProofFile};

/// The hash functions the prover offers, by the names the proof file and `--hash` use.
pub const HASH_FUNCTIONS: [&str; 5] = ["blake3-256", "poseidon2", "rpo", "rpx", "keccak"];

/// What proving one call produced.
pub struct Proven {
    /// The proof file, ready to be written.
    pub file: ProofFile,
    /// The call's result in WAVE (`None` for no result).
    pub result: Option<String>,
    /// Wall-clock time of trace building and proving (execution excluded).
    pub proving_time: Duration,
    /// Size of the serialized STARK proof, in bytes.
    pub proof_size: usize,
}

/// What a successful verification established.
pub struct Verified {
    /// The proven result in WAVE (`None` for no result).
    pub result: Option<String>,
    /// The verifier's security level, in bits.
    pub security_bits: u32,
    /// The program root the proof was checked against.
    pub program_root: String,
}

fn proof_error(message: String, help: &str) -> DriverError {
    DriverError::Proof {
        message,
        help: help.to_string(),
    }
}

fn vm_error(message: String) -> DriverError {
    DriverError::Vm { message }
}

fn felts(values: &[u64]) -> DriverResult<Vec<Felt>> {
    values.iter().map(|v| vm::felt(*v)).collect()
}

/// The stack and advice inputs of a parsed call: the lowered core values, or the WIT image
/// (spilled to the advice map when it does not fit).
fn call_inputs(call: &invoke::Invocation<'_>) -> DriverResult<(Vec<u64>, AdviceInputs)> {
    match &call.export.wit {
        Some(sig) => {
            let image = midenc_abi::host::encode(&sig.param_types(), &call.wit_args)
                .map_err(|e| vm_error(format!("cannot encode the arguments: {e}")))?;
            vm::spill_inputs(sig.params_spill(), &image)
        }
        None => {
            let stack = midenc_abi::lower_values(&call.args);
            if stack.len() > midenc_abi::MAX_STACK_FELTS {
                return Err(vm_error(format!(
                    "{} argument felts do not fit on the stack",
                    stack.len()
                )));
            }
            Ok((stack, AdviceInputs::default()))
        }
    }
}

/// The call's result in WAVE from its output stack, a spilled result read by `entry`.
fn render_result(
    export: &ManifestExport,
    stack: &[u64],
    entry: impl Fn(Word) -> Option<Vec<u64>>,
) -> DriverResult<Option<String>> {
    match &export.wit {
        Some(sig) => vm::component_result(sig, stack, entry)?
            .map(|value| {
                wasm_wave::to_string(&value)
                    .map_err(|e| vm_error(format!("cannot render the result: {e}")))
            })
            .transpose(),
        None => {
            let values = midenc_abi::lift_values(&export.results, stack)
                .map_err(|e| vm_error(format!("the export broke the calling convention: {e}")))?;
            Ok(invoke::render_results(&values))
        }
    }
}

/// The export's MAST root.
fn export_root(export: &ManifestExport) -> DriverResult<Word> {
    midenc_linker::parse_word(&export.mast_root).ok_or_else(|| {
        proof_error(
            format!("export `{}` has a malformed MAST root", export.name),
            "the package or proof file is damaged",
        )
    })
}

/// The MAST root of the entry program that calls `root`.
pub fn program_root(root: Word) -> DriverResult<Word> {
    let program = miden_assembly::Assembler::new(std::sync::Arc::new(
        miden_assembly::DefaultSourceManager::default(),
    ))
    .assemble_program(vm::entry_source(root))
    .map_err(|e| vm_error(format!("cannot assemble the entry program: {e}")))?;
    Ok(program.hash())
}

/// Runs the call `call` of `package` (imports served by `links`), then proves it with `hash`.
///
/// # Errors
/// The call traps or fails as in `midenc run`, or the prover fails.
pub fn prove_call(
    package: &LinkedPackage,
    links: &LinkSet,
    call: &invoke::Invocation<'_>,
    hash: HashFunction,
) -> DriverResult<Proven> {
    let root = export_root(call.export)?;
    let (stack, advice) = call_inputs(call)?;
    crate::with_deep_stack(|| {
        // A plain run first: traps are reported (and located) as `run` reports them.
        let run = vm::execute_limited(package, links, root, &stack, advice.clone(), None)?;
        let advice_entry = |key: Word| {
            run.advice_map.get(&key).map(|entry| {
                entry
                    .iter()
                    .map(|f| f.as_canonical_u64())
                    .collect::<Vec<_>>()
            })
        };
        let result = render_result(call.export, &run.stack, advice_entry)?;
        let result_entry = match &call.export.wit {
            Some(sig) if sig.results_spill() && sig.result.is_some() => {
                let key = Word::new(felts(&run.stack[..4])?.try_into().expect("four felts"));
                advice_entry(key)
            }
            _ => None,
        };

        let (program, stack_inputs, mut host) =
            vm::prepare(package, links, &vm::entry_source(root), &stack)?;
        let started = Instant::now();
        let trace_inputs = FastProcessor::new_with_options(
            stack_inputs,
            advice.clone(),
            ExecutionOptions::default(),
        )
        .map_err(|e| vm_error(e.to_string()))?
        .execute_trace_inputs_sync(&program, &mut host)
        .map_err(|e| vm_error(format!("execution for the proof failed: {e}")))?;
        let (outputs, proof) = miden_prover::prove_from_trace_sync(TraceProvingInputs::new(
            trace_inputs,
            ProvingOptions::new(hash),
        ))
        .map_err(|e| vm_error(format!("the prover failed: {e}")))?;
        let proving_time = started.elapsed();
        let padded_trace_len = padded_trace_len(package, links, root, &stack, advice.clone())?;

        let outputs = outputs.as_int_vec();
        if outputs[..] != run.stack[..outputs.len()] {
            return Err(vm_error(
                "the proven execution ended with a different stack than the run".into(),
            ));
        }
        let proof_bytes = proof.to_bytes();
        let mut program_advice: Vec<String> = std::iter::once(package)
            .chain(links.inputs().iter().map(|input| &input.package))
            .flat_map(|p| {
                p.library()
                    .mast_forest()
                    .advice_map()
                    .iter()
                    .map(|(key, _)| key.to_hex())
                    .collect::<Vec<_>>()
            })
            .collect();
        program_advice.sort();
        program_advice.dedup();
        let mut file = ProofFile {
            format: file::FORMAT.into(),
            version: file::VERSION,
            export: call.export.clone(),
            program_root: program.hash().to_hex(),
            stack_inputs: stack.clone(),
            stack_outputs: outputs,
            advice_inputs: advice
                .map
                .iter()
                .map(|(key, values)| AdviceCommitment {
                    key: key.to_hex(),
                    felts: values.len(),
                })
                .collect(),
            program_advice,
            result_entry,
            hash_function: hash_name(hash).into(),
            security_bits: proof.security_level(),
            cycles: u64::from(run.cycles),
            padded_trace_len,
            checksums: file::Checksums::default(),
            proof: file::hex(&proof_bytes),
        };
        file.checksums = file.compute_checksums();
        Ok(Proven {
            file,
            result,
            proving_time,
            proof_size: proof_bytes.len(),
        })
    })
}

/// The padded length of the call's trace: what the prover paid for.
fn padded_trace_len(
    package: &LinkedPackage,
    links: &LinkSet,
    root: Word,
    stack: &[u64],
    advice: AdviceInputs,
) -> DriverResult<u64> {
    let (program, stack_inputs, mut host) =
        vm::prepare(package, links, &vm::entry_source(root), stack)?;
    let inputs = FastProcessor::new_with_options(stack_inputs, advice, ExecutionOptions::default())
        .map_err(|e| vm_error(e.to_string()))?
        .execute_trace_inputs_sync(&program, &mut host)
        .map_err(|e| vm_error(e.to_string()))?;
    let trace = miden_processor::trace::build_trace(inputs).map_err(|e| vm_error(e.to_string()))?;
    Ok(trace.trace_len_summary().padded_trace_len() as u64)
}

/// The `--hash` / file name of a hash function.
pub fn hash_name(hash: HashFunction) -> &'static str {
    match hash {
        HashFunction::Blake3_256 => "blake3-256",
        HashFunction::Poseidon2 => "poseidon2",
        HashFunction::Rpo256 => "rpo",
        HashFunction::Rpx256 => "rpx",
        HashFunction::Keccak => "keccak",
    }
}

/// Checks `file`: its layout, its checksums, the program (against `package`'s export of the
/// same name when given, else the recorded root), then the STARK proof over the recorded
/// inputs and outputs. Returns the proven result.
///
/// # Errors
/// [`DriverError::Proof`] naming what did not match.
pub fn verify_file(
    file: &ProofFile,
    package: Option<(&LinkedPackage, &str)>,
) -> DriverResult<Verified> {
    if file.format != file::FORMAT || file.version != file::VERSION {
        return Err(proof_error(
            format!(
                "not a version-{} midenc proof (format `{}`, version {})",
                file::VERSION,
                file.format,
                file.version
            ),
            "proof files are written by `midenc prove`",
        ));
    }
    let edited = file.edited_sections();
    if !edited.is_empty() {
        return Err(proof_error(
            format!(
                "the proof file was changed after proving: {} differ{} from the checksum \
                 recorded with the proof",
                edited.join(", "),
                if edited.len() == 1 && edited[0] == "the program (root or export)" {
                    "s"
                } else {
                    ""
                }
            ),
            "prove the call again with `midenc prove`",
        ));
    }
    let bytes = file::unhex(&file.proof).map_err(|at| {
        proof_error(
            format!("the proof is not hex (at character {at})"),
            "the file is damaged",
        )
    })?;
    let proof = ExecutionProof::from_bytes(&bytes).map_err(|e| {
        proof_error(
            format!("the proof bytes do not parse: {e}"),
            "the file is damaged",
        )
    })?;
    if hash_name(proof.hash_fn()) != file.hash_function {
        return Err(proof_error(
            format!(
                "the proof uses {}, the file says {}",
                hash_name(proof.hash_fn()),
                file.hash_function
            ),
            "the file is damaged",
        ));
    }
    let recorded_root = midenc_linker::parse_word(&file.program_root).ok_or_else(|| {
        proof_error(
            format!("`{}` is not a MAST root", file.program_root),
            "the file is damaged",
        )
    })?;
    if let Some((package, path)) = package {
        check_program(file, package, path, recorded_root)?;
    }
    let inputs = StackInputs::new(&felts(&file.stack_inputs)?)
        .map_err(|e| proof_error(format!("bad stack inputs: {e}"), "the file is damaged"))?;
    let outputs = StackOutputs::new(&felts(&file.stack_outputs)?)
        .map_err(|e| proof_error(format!("bad stack outputs: {e}"), "the file is damaged"))?;
    let info = ProgramInfo::new(recorded_root, Default::default());
    let security_bits = miden_verifier::verify(info, inputs, outputs, proof).map_err(|e| {
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            reason.push_str(": ");
            reason.push_str(&cause.to_string());
            source = cause.source();
        }
        proof_error(
            format!(
                "the proof does not verify: it does not show that program {} turns these stack \
                 inputs into these stack outputs ({reason})",
                file.program_root
            ),
            "the proof, its inputs or its outputs were changed",
        )
    })?;
    let result = render_result(&file.export, &file.stack_outputs, |_| {
        file.result_entry.clone()
    })
    .map_err(|e| {
        proof_error(
            format!("the recorded result does not match the proven outputs: {e}"),
            "the file's result entry was changed",
        )
    })?;
    Ok(Verified {
        result,
        security_bits,
        program_root: file.program_root.clone(),
    })
}

/// Checks that `package`'s export of the proven name is the proven one and gives the proven
/// program root.
fn check_program(
    file: &ProofFile,
    package: &LinkedPackage,
    path: &str,
    recorded_root: Word,
) -> DriverResult<()> {
    let name = &file.export.name;
    let help = "verify against the package the proof was made from";
    let Some((export, _)) = package.export(name) else {
        return Err(proof_error(
            format!("package `{path}` has no export `{name}`, the proven call's export"),
            help,
        ));
    };
    if export.mast_root != file.export.mast_root {
        return Err(proof_error(
            format!(
                "package `{path}`'s export `{name}` has MAST root {}, the proof is of {}",
                export.mast_root, file.export.mast_root
            ),
            help,
        ));
    }
    let expected = program_root(export_root(export)?)?;
    if expected != recorded_root {
        return Err(proof_error(
            format!(
                "package `{path}` gives program root {}, the proof is of {}",
                expected.to_hex(),
                file.program_root
            ),
            help,
        ));
    }
    if export.wit != file.export.wit || export.results != file.export.results {
        return Err(proof_error(
            format!(
                "package `{path}`'s export `{name}` has another signature than the proof records"
            ),
            help,
        ));
    }
    Ok(())
}
