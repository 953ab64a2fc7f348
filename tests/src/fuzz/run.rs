//! Running one module on wasmi and, compiled by midenc, on the Miden VM, and judging the
//! outcome of each call.

use super::*;
/// What happened to one module.
#[derive(Clone, Debug, Default)]
pub struct ModuleReport {
    /// midenc compiled it (and wasmi accepted it).
    pub compiled: bool,
    /// midenc rejected it cleanly: the reason, without function names and offsets.
    pub rejected: Option<String>,
    /// Invocations compared.
    pub invoked: usize,
    /// Invocations whose results or traps agreed.
    pub matched: usize,
    /// Of the agreeing invocations, those where both sides trapped.
    pub matched_traps: usize,
    /// Invocations where wasmi disagreed with midenc and wasmtime sided with midenc: bugs
    /// of the first reference, not failures.
    pub reference_bugs: Vec<String>,
    /// Invocations skipped because wasmi ran out of fuel or call stack.
    pub reference_exhausted: usize,
    /// Invocations skipped because the VM hit the cycle cap.
    pub cycle_limit: usize,
    /// Invocations skipped because the VM's operand stack outgrew its maximum depth (deep
    /// recursion; the Wasm call-stack limit is implementation-defined).
    pub vm_stack_exhausted: usize,
    /// Whether a panic (anywhere: compile, link, either run) was caught.
    pub panicked: bool,
    /// Every failure, described: mismatches, panics, unclean rejections, VM errors.
    pub failures: Vec<String>,
}

/// Compiles `wasm` and compares every export under every argument set derived from `seed`.
/// Panics are caught and reported as failures.
pub fn run_module(wasm: &[u8], seed: u64, options: &FuzzOptions) -> ModuleReport {
    install_panic_recorder();
    let mut report = ModuleReport::default();
    CAPTURING.store(true, Ordering::SeqCst);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        run_module_inner(wasm, seed, options, &mut report)
    }));
    CAPTURING.store(false, Ordering::SeqCst);
    if let Err(payload) = outcome {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "(non-string panic payload)".into());
        let location = LAST_PANIC.lock().map(|l| l.clone()).unwrap_or_default();
        report.panicked = true;
        report.failures.push(format!(
            "panic: {message} ({})",
            location.unwrap_or_default()
        ));
    }
    report
}

fn run_module_inner(wasm: &[u8], seed: u64, options: &FuzzOptions, report: &mut ModuleReport) {
    let mut diff = match Differential::try_new(wasm, options.limits) {
        Ok(diff) => diff,
        Err(SetupError::Midenc(DriverError::Wasm { error: source, .. })) => {
            match source {
                WasmError::Unsupported { feature, .. } => {
                    report.rejected = Some(format!("unsupported: {}", reason_key(&feature)));
                }
                WasmError::ImplLimit { message, .. } => {
                    report.rejected =
                        Some(format!("implementation limit: {}", reason_key(&message)));
                }
                invalid @ WasmError::Invalid { .. } => report
                    .failures
                    .push(format!("midenc calls a valid module invalid: {invalid}")),
            }
            return;
        }
        Err(SetupError::Midenc(other)) => {
            report.failures.push(format!(
                "midenc failed to compile: {:?}",
                miette::Report::new(other)
            ));
            return;
        }
        Err(SetupError::Reference(e)) => {
            report
                .failures
                .push(format!("wasmi rejected the module: {e}"));
            return;
        }
    };
    report.compiled = true;
    let mut arbiter = Arbiter::default();
    let exports: Vec<(String, Vec<CoreType>)> = diff
        .package()
        .manifest
        .exports
        .iter()
        .map(|e| (e.name.clone(), e.params.clone()))
        .collect();
    // The calls come from midenc's manifest: an export it left out would go unnoticed, so
    // every function export of the module must be there.
    match function_exports(wasm) {
        Ok(names) => report.failures.extend(
            names
                .into_iter()
                .filter(|n| !exports.iter().any(|(e, _)| e == n))
                .map(|n| format!("export {n:?} is missing from the manifest")),
        ),
        Err(e) => report.failures.push(e),
    }
    for (index, (name, params)) in exports.iter().enumerate() {
        for args in argument_sets(seed, index, params, options.arg_sets) {
            report.invoked += 1;
            let want = diff.reference(name, &args);
            // How deep a call stack may grow differs between engines, so exhaustion on either
            // side is counted, not compared.
            if matches!(
                want,
                Outcome::Exhausted(_) | Outcome::Trap(TrapKind::StackExhausted)
            ) {
                report.reference_exhausted += 1;
                continue;
            }
            match diff.try_midenc(name, &args) {
                Ok(Outcome::Exhausted(_)) => report.cycle_limit += 1,
                Ok(Outcome::Trap(TrapKind::StackExhausted)) => report.vm_stack_exhausted += 1,
                Ok(got) if got.matches_reference(&want) => {
                    report.matched += 1;
                    report.matched_traps += usize::from(matches!(got, Outcome::Trap(_)));
                }
                Ok(got) => {
                    let what = format!("{name:?}{args:?}: wasmi {want:?}, midenc {got:?}");
                    match arbiter.judge(wasm, name, &args) {
                        Some(Ok(third)) if got.matches_reference(&third) => {
                            match known_wasmi_bug(wasm) {
                                Some(bug) => report
                                    .reference_bugs
                                    .push(format!("{what}, wasmtime agrees with midenc ({bug})")),
                                None => report.failures.push(format!(
                                    "unexplained reference disagreement: {what}, wasmtime agrees \
                                 with midenc, but the module has no known wasmi bug pattern"
                                )),
                            }
                        }
                        Some(Ok(third)) => report
                            .failures
                            .push(format!("mismatch: {what}, wasmtime {third:?}")),
                        Some(Err(e)) => report
                            .failures
                            .push(format!("mismatch: {what} (wasmtime arbiter failed: {e})")),
                        None => report.failures.push(format!(
                            "mismatch: {what} (no wasmtime arbiter: run scripts/setup.sh)"
                        )),
                    }
                }
                Err(e) => report.failures.push(format!(
                    "VM failure: {name:?}{args:?}: wasmi {want:?}, midenc {:?}",
                    miette::Report::new(e)
                )),
            }
        }
    }
}

/// The second reference: wasmtime (the PyPI package in the git-ignored `.venv` that
/// `scripts/setup.sh` creates), asked only when wasmi and midenc disagree. wasmi is fast and
/// embeddable but not infallible (2.0.0 miscomputes `select` of a constant and `x` on
/// `i32.eqz x`, a pattern wasm-smith's trap guards produce); a mismatch counts as a midenc
/// failure unless wasmtime sides with midenc.
#[derive(Default)]
struct Arbiter {
    module_file: Option<tempfile::NamedTempFile>,
}

impl Arbiter {
    /// Runs `func(args)` on wasmtime; `None` when the `.venv` is missing.
    fn judge(
        &mut self,
        wasm: &[u8],
        func: &str,
        args: &[CoreValue],
    ) -> Option<Result<Outcome, String>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = root.join("../.venv/bin/python");
        if !python.exists() {
            return None;
        }
        Some(self.run(&python, &root.join("wasmtime_arbiter.py"), wasm, func, args))
    }

    fn run(
        &mut self,
        python: &Path,
        script: &Path,
        wasm: &[u8],
        func: &str,
        args: &[CoreValue],
    ) -> Result<Outcome, String> {
        if self.module_file.is_none() {
            let mut file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut file, wasm).map_err(|e| e.to_string())?;
            self.module_file = Some(file);
        }
        let path = self.module_file.as_ref().expect("just written").path();
        let name_hex: String = func.bytes().map(|b| format!("{b:02x}")).collect();
        let output = std::process::Command::new(python)
            .arg(script)
            .arg(path)
            .arg(name_hex)
            .args(args.iter().map(|a| match a {
                CoreValue::I32(v) => format!("i32:{v}"),
                CoreValue::I64(v) => format!("i64:{v}"),
                CoreValue::F32(bits) => format!("f32:{bits}"),
                CoreValue::F64(bits) => format!("f64:{bits}"),
            }))
            .output()
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.trim();
        let (verdict, rest) = line.split_once(' ').unwrap_or((line, ""));
        match verdict {
            "values" => rest
                .split_whitespace()
                .map(|v| match v.split_once(':') {
                    Some(("i32", n)) => n.parse().map(CoreValue::I32).map_err(|e| e.to_string()),
                    Some(("i64", n)) => n.parse().map(CoreValue::I64).map_err(|e| e.to_string()),
                    Some(("f32", n)) => n.parse().map(CoreValue::F32).map_err(|e| e.to_string()),
                    Some(("f64", n)) => n.parse().map(CoreValue::F64).map_err(|e| e.to_string()),
                    _ => Err(format!("unexpected value `{v}`")),
                })
                .collect::<Result<_, _>>()
                .map(Outcome::Values),
            "trap" => Ok(TrapKind::from_wasmtime(rest).map_or_else(
                || Outcome::Failure(format!("unclassified wasmtime trap: {rest}")),
                Outcome::Trap,
            )),
            "exhausted" => Ok(Outcome::Exhausted(rest.to_string())),
            _ => Err(format!(
                "unexpected output `{line}` {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )),
        }
    }
}

/// The known wasmi 2.0.0 bug a module can trigger, if it has its pattern: `select` whose
/// condition is an `i32.eqz` right before it (wasm-smith's division guards are
/// `select (i32.const 1) x (i32.eqz x)`, which wasmi miscomputes for most non-zero `x`). A
/// disagreement where wasmtime sides with midenc counts as a wasmi bug only in such a module;
/// anywhere else it is a failure until it is explained.
pub fn known_wasmi_bug(wasm: &[u8]) -> Option<&'static str> {
    use wasmparser::{Operator, Parser, Payload};
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(Payload::CodeSectionEntry(body)) = payload else {
            continue;
        };
        let Ok(mut reader) = body.get_operators_reader() else {
            continue;
        };
        let mut after_eqz = false;
        while let Ok(op) = reader.read() {
            if after_eqz && matches!(op, Operator::Select | Operator::TypedSelect { .. }) {
                return Some("wasmi 2.0 miscomputes `select` on an `i32.eqz` condition");
            }
            after_eqz = matches!(op, Operator::I32Eqz);
        }
    }
    None
}

/// A rejection reason without the parts that vary per module (names, offsets), for grouping.
fn reason_key(text: &str) -> String {
    let cut = text.find(['`', '(']).unwrap_or(text.len());
    let key = text[..cut].trim();
    if key.is_empty() {
        text.to_string()
    } else {
        key.to_string()
    }
}

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
static CAPTURING: AtomicBool = AtomicBool::new(false);

/// Wraps the panic hook (once per process): while a module runs, panics (on any thread) are
/// recorded with their location instead of printed, since [`run_module`] reports them itself;
/// at any other time the previous hook runs as usual.
fn install_panic_recorder() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CAPTURING.load(Ordering::SeqCst) {
                return previous(info);
            }
            let location = info
                .location()
                .map(|l| format!("at {}:{}:{}", l.file(), l.line(), l.column()));
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = location;
            }
        }));
    });
}
