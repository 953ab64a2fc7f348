//! Test support for midenc: the differential harness, the spec-suite runner and benchmark
//! helpers.
//!
//! [`Differential`] compiles a module once with midenc and instantiates it once in wasmi (the
//! reference), then runs each invocation on both and compares results and traps. A mismatch is
//! collected, not panicked on, so one failing case reports every other case too.
#![allow(clippy::result_large_err)] // midenc's diagnostics, passed through as they are

pub mod bench;
pub mod components;
pub mod contracts;
pub mod float_runtime;
pub mod fuzz;
pub mod runs;
pub mod spec;
pub mod spectest_host;
pub mod trap_kind;

use std::path::Path;

use midenc::{error::DriverError, vm};
use midenc_abi::{CoreType, CoreValue};
use midenc_linker::LinkedPackage;
pub use trap_kind::{LiftFailure, TrapKind};

/// What one invocation produced. Compare midenc's with a reference's by
/// [`Outcome::matches_reference`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Normal return with these results.
    Values(Vec<CoreValue>),
    /// A trap of a kind both sides can name.
    Trap(TrapKind),
    /// A failure that is not a Wasm-defined result: a trap the runtime could not name, or an
    /// error that is not a trap. Never agrees with anything.
    Failure(String),
    /// A resource limit of the run was hit (wasmi fuel, the VM cycle cap): not a Wasm-defined
    /// result, so it cannot be compared with the other side. Call-stack exhaustion is a Wasm
    /// trap ([`TrapKind::StackExhausted`]), not this.
    Exhausted(String),
}

/// A value's bits as one number: an `i32`/`f32` as its unsigned 32 bits, an `i64`/`f64` as its
/// 64 (what felt tests compare).
pub fn value_bits(v: CoreValue) -> u64 {
    match v {
        CoreValue::I32(x) => u64::from(x as u32),
        CoreValue::F32(x) => u64::from(x),
        CoreValue::I64(x) => x as u64,
        CoreValue::F64(x) => x,
    }
}

/// What kind of NaN a float value is, by the Wasm specification's classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NanKind {
    /// Quiet, no payload, either sign (`nan:canonical`).
    Canonical,
    /// Quiet with a payload (with the canonical NaN, `nan:arithmetic`).
    Arithmetic,
    /// The quiet bit clear.
    Signalling,
}

/// The NaN kind of `v`: `None` for a value that is not a NaN (integers included).
pub fn nan_kind(v: CoreValue) -> Option<NanKind> {
    // Magnitude bits, the infinity's bits and the quiet bit, widened to 64.
    let (magnitude, infinity, quiet) = match v {
        CoreValue::F32(b) => (u64::from(b & 0x7fff_ffff), 0x7f80_0000, 0x0040_0000),
        CoreValue::F64(b) => (b & !(1 << 63), 0x7ff0_0000_0000_0000, 0x0008_0000_0000_0000),
        _ => return None,
    };
    (magnitude > infinity).then_some(if magnitude == infinity | quiet {
        NanKind::Canonical
    } else if magnitude & quiet != 0 {
        NanKind::Arithmetic
    } else {
        NanKind::Signalling
    })
}

/// midenc's result `ours` against a reference's, as [`Outcome::matches_reference`] compares them.
fn same_value(ours: CoreValue, reference: CoreValue) -> bool {
    ours == reference
        || (ours.ty() == reference.ty()
            && nan_kind(ours) == Some(NanKind::Canonical)
            && matches!(
                nan_kind(reference),
                Some(NanKind::Canonical | NanKind::Arithmetic)
            ))
}

impl Outcome {
    /// Whether this outcome (midenc's) matches a reference engine's: equal results, or traps
    /// of the same kind. A [`Outcome::Failure`] or [`Outcome::Exhausted`] matches nothing,
    /// itself included. A float result matches bit for bit, or is the canonical NaN (either
    /// sign) where the reference has a quiet NaN: Wasm lets an operator that may return a NaN
    /// return the canonical one, and midenc's arithmetic always does. A signalling NaN comes
    /// only from operators that keep bits (moves, `select`, loads, `neg`, `abs`, `copysign`),
    /// so it must match exactly. The converse does not match either: midenc returning another
    /// NaN where the reference has the canonical one.
    pub fn matches_reference(&self, reference: &Outcome) -> bool {
        match (self, reference) {
            (Outcome::Values(a), Outcome::Values(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(*x, *y))
            }
            (Outcome::Trap(a), Outcome::Trap(b)) => a == b,
            _ => false,
        }
    }

    /// midenc's outcome of a trap with this message.
    pub fn of_midenc_trap(message: &str) -> Outcome {
        if message.starts_with(vm::CYCLE_LIMIT_TRAP) {
            return Outcome::Exhausted(message.to_string());
        }
        match TrapKind::from_midenc(message) {
            Some(kind) => Outcome::Trap(kind),
            None => Outcome::Failure(format!("unclassified midenc trap: {message}")),
        }
    }
}

/// Resource bounds for both sides; `None` means the runtime's own default.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// wasmi fuel per invocation (instantiation and start function included).
    pub wasmi_fuel: Option<u64>,
    /// Miden VM cycles per invocation.
    pub max_cycles: Option<u32>,
}

/// Why a module could not be set up for a differential run.
// Made at most once per module and matched on by variant: its size does not matter, and
// boxing the diagnostic would only complicate the matches.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum SetupError {
    /// midenc rejected the module (the diagnostic it would print).
    Midenc(DriverError),
    /// The reference rejected the module.
    Reference(String),
}

/// One module, compiled by midenc and instantiated in wasmi.
pub struct Differential {
    package: LinkedPackage,
    engine: wasmi::Engine,
    module: wasmi::Module,
    limits: Limits,
    /// Cycles of every midenc run so far, by function name.
    pub cycles: Vec<(String, u32)>,
}

impl Differential {
    /// Compiles `wat` (text) on both sides.
    ///
    /// # Panics
    /// When either side rejects the module.
    pub fn from_wat(wat: &str) -> Self {
        let wasm = wat::parse_str(wat).expect("test WAT parses");
        Self::from_wasm(&wasm)
    }

    /// Compiles a Wasm binary on both sides.
    ///
    /// # Panics
    /// When either side rejects the module.
    pub fn from_wasm(wasm: &[u8]) -> Self {
        match Self::try_new(wasm, Limits::default()) {
            Ok(diff) => diff,
            Err(SetupError::Midenc(e)) => {
                panic!("midenc rejected the module: {:?}", miette::Report::new(e))
            }
            Err(SetupError::Reference(e)) => panic!("wasmi rejected the module: {e}"),
        }
    }

    /// Compiles a Wasm binary on both sides, running every invocation within `limits`.
    ///
    /// # Errors
    /// When either side rejects the module.
    pub fn try_new(wasm: &[u8], limits: Limits) -> Result<Self, SetupError> {
        let package = midenc::compile_wasm(Path::new("test.wasm"), wasm, "test")
            .map_err(SetupError::Midenc)?;
        let mut config = wasmi::Config::default();
        config.consume_fuel(limits.wasmi_fuel.is_some());
        let engine = wasmi::Engine::new(&config);
        let module =
            wasmi::Module::new(&engine, wasm).map_err(|e| SetupError::Reference(e.to_string()))?;
        Ok(Differential {
            package,
            engine,
            module,
            limits,
            cycles: Vec::new(),
        })
    }

    /// Runs `func(args)` on a fresh wasmi instance (each Miden `call` also starts afresh).
    ///
    /// wasmi's interpreter dispatches by (not always eliminated) tail calls, so long loops need
    /// a deep host stack.
    pub fn reference(&mut self, func: &str, args: &[CoreValue]) -> Outcome {
        midenc::with_deep_stack(|| self.reference_here(func, args))
    }

    fn reference_here(&self, func: &str, args: &[CoreValue]) -> Outcome {
        let mut store = wasmi::Store::new(&self.engine, ());
        if let Some(fuel) = self.limits.wasmi_fuel {
            store.set_fuel(fuel).expect("fuel metering is enabled");
        }
        let instance = match wasmi::Linker::<()>::new(&self.engine)
            .instantiate_and_start(&mut store, &self.module)
        {
            Ok(instance) => instance,
            Err(e) => {
                return match e.as_trap_code() {
                    Some(code) => trap_outcome(code, &e),
                    None => instantiation_failure(&e.to_string()),
                }
            }
        };
        let f = instance
            .get_func(&store, func)
            .unwrap_or_else(|| panic!("wasmi: no export `{func}`"));
        let ty = f.ty(&store);
        let params: Vec<wasmi::Val> = args
            .iter()
            .map(|a| match a {
                CoreValue::I32(v) => wasmi::Val::I32(*v),
                CoreValue::I64(v) => wasmi::Val::I64(*v),
                CoreValue::F32(bits) => wasmi::Val::F32(wasmi::F32::from_bits(*bits)),
                CoreValue::F64(bits) => wasmi::Val::F64(wasmi::F64::from_bits(*bits)),
            })
            .collect();
        let mut results: Vec<wasmi::Val> = ty
            .results()
            .iter()
            .map(|t| wasmi::Val::default_for_ty(*t))
            .collect();
        match f.call(&mut store, &params, &mut results) {
            Ok(()) => Outcome::Values(
                results
                    .iter()
                    .map(|v| match v {
                        wasmi::Val::I32(x) => CoreValue::I32(*x),
                        wasmi::Val::I64(x) => CoreValue::I64(*x),
                        wasmi::Val::F32(x) => CoreValue::F32(x.to_bits()),
                        wasmi::Val::F64(x) => CoreValue::F64(x.to_bits()),
                        other => panic!("unexpected result type {other:?}"),
                    })
                    .collect(),
            ),
            Err(e) => match e.as_trap_code() {
                Some(code) => trap_outcome(code, &e),
                None => Outcome::Failure(format!("wasmi: {e}")),
            },
        }
    }

    /// Runs `func(args)` on the Miden VM.
    ///
    /// # Panics
    /// When the run fails in a way that is not a Wasm trap (see [`Differential::try_midenc`]).
    pub fn midenc(&mut self, func: &str, args: &[CoreValue]) -> Outcome {
        self.try_midenc(func, args)
            .unwrap_or_else(|e| panic!("midenc run of {func} failed: {:?}", miette::Report::new(e)))
    }

    /// Runs `func(args)` on the Miden VM; a trap or the cycle cap is an [`Outcome`].
    ///
    /// # Errors
    /// Any other VM failure (for compiled Wasm, a code-generation bug).
    pub fn try_midenc(&mut self, func: &str, args: &[CoreValue]) -> Result<Outcome, DriverError> {
        let (export, root) = self
            .package
            .export(func)
            .unwrap_or_else(|| panic!("midenc: no export `{func}`"));
        let results: Vec<CoreType> = export.results.clone();
        match vm::call_export_limited(&self.package, root, args, &results, self.limits.max_cycles) {
            Ok(out) => {
                self.cycles.push((func.to_string(), out.cycles));
                Ok(Outcome::Values(out.results))
            }
            Err(DriverError::Trap { message, .. }) => Ok(Outcome::of_midenc_trap(&message)),
            Err(other) => Err(other),
        }
    }

    /// Runs every `(func, args)` on both sides and returns a description of each mismatch.
    pub fn compare<S: AsRef<str>>(&mut self, cases: &[(S, Vec<CoreValue>)]) -> Vec<String> {
        let mut mismatches = Vec::new();
        for (func, args) in cases {
            let func = func.as_ref();
            let want = self.reference(func, args);
            let got = self.midenc(func, args);
            if !got.matches_reference(&want) {
                mismatches.push(format!("{func}{args:?}: wasmi {want:?}, midenc {got:?}"));
            }
        }
        mismatches
    }

    /// Like [`Differential::compare`], panicking with every mismatch; returns the case count.
    pub fn check<S: AsRef<str>>(&mut self, cases: &[(S, Vec<CoreValue>)]) -> usize {
        let mismatches = self.compare(cases);
        assert!(
            mismatches.is_empty(),
            "{} of {} cases disagree with wasmi:\n{}",
            mismatches.len(),
            cases.len(),
            mismatches.join("\n")
        );
        cases.len()
    }

    /// The MASM midenc generated (for debugging failing cases).
    pub fn package(&self) -> &LinkedPackage {
        &self.package
    }
}

/// The kind of a wasmi trap; running out of fuel becomes [`Outcome::Exhausted`].
fn trap_outcome(code: wasmi::TrapCode, e: &wasmi::Error) -> Outcome {
    use wasmi::TrapCode as T;
    match code {
        T::OutOfFuel => Outcome::Exhausted(e.to_string()),
        code => TrapKind::from_wasmi(code)
            .map_or_else(|| Outcome::Failure(format!("wasmi: {e}")), Outcome::Trap),
    }
}

/// A failed instantiation: an active segment out of bounds is the trap of its kind, anything
/// else a failure.
fn instantiation_failure(message: &str) -> Outcome {
    if message.contains("out of bounds table access") {
        Outcome::Trap(TrapKind::TableOutOfBounds)
    } else if message.contains("out of bounds memory access") {
        Outcome::Trap(TrapKind::MemoryOutOfBounds)
    } else {
        Outcome::Failure(format!("wasmi instantiation: {message}"))
    }
}

/// The bytes of a built fixture program, `relative` to `tests/fixtures/` (for example
/// `rust/out/sort.release.wasm`).
///
/// # Panics
/// When the file is missing, saying how to build it.
pub fn fixture_wasm(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the fixtures with `bash scripts/build-fixtures.sh`",
            path.display()
        )
    })
}

/// Prints the Miden cycles of every run of `diff` to stderr (shown by `cargo test -- --nocapture`),
/// the largest first, so the cost of each test case stays visible.
pub fn report_cycles(label: &str, diff: &Differential) {
    let mut runs = diff.cycles.clone();
    runs.sort_by_key(|r| std::cmp::Reverse(r.1));
    let total: u64 = runs.iter().map(|r| u64::from(r.1)).sum();
    let top: Vec<String> = runs
        .iter()
        .take(3)
        .map(|(f, c)| format!("{f} {c}"))
        .collect();
    eprintln!(
        "{label}: {} runs, {total} cycles; largest: {}",
        runs.len(),
        top.join(", ")
    );
}

/// The MASM listing midenc makes of a WAT module (module name `test`), for tests that check
/// what code a rewrite left.
///
/// # Panics
/// When the WAT does not parse or midenc rejects the module.
pub fn masm_listing(wat: &str) -> String {
    let wasm = wat::parse_str(wat).expect("the WAT parses");
    midenc_frontend_wasm::compile_module(&midenc_frontend_wasm::Request::new(&wasm))
        .expect("midenc compiles the module")
        .masm_listing("test")
}

/// How many instruction lines of procedure `proc` (as `pub proc wasm_fn3`) in a listing
/// satisfy `pred`.
pub fn count_in(masm: &str, proc: &str, pred: impl Fn(&str) -> bool) -> usize {
    masm.lines()
        .map(str::trim)
        .skip_while(|l| *l != proc)
        .skip(1)
        .take_while(|l| !l.starts_with("pub proc"))
        .filter(|l| pred(l))
        .count()
}

/// Shorthand for an `i32` argument.
pub fn i32v(v: i32) -> CoreValue {
    CoreValue::I32(v)
}

/// Shorthand for an `i64` argument.
pub fn i64v(v: i64) -> CoreValue {
    CoreValue::I64(v)
}
