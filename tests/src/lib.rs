//! Test support for midenc: the differential harness, the spec-suite runner and benchmark
//! helpers.
//!
//! [`Differential`] compiles a module once with midenc and instantiates it once in wasmi (the
//! reference), then runs each invocation on both and compares results and traps. A mismatch is
//! collected, not panicked on, so one failing case reports every other case too.

pub mod bench;
pub mod components;
pub mod spec;

use std::path::Path;

use midenc::{error::DriverError, vm};
use midenc_abi::{CoreType, CoreValue};
use midenc_linker::LinkedPackage;

/// What one invocation produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Normal return with these results.
    Values(Vec<CoreValue>),
    /// A trap; the string is the trap kind in midenc's wording (e.g. `integer divide by zero`),
    /// or the raw message when the kind is not one both sides name.
    Trap(String),
}

/// One module, compiled by midenc and instantiated in wasmi.
pub struct Differential {
    package: LinkedPackage,
    engine: wasmi::Engine,
    module: wasmi::Module,
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
        let package = midenc::compile_wasm(Path::new("test.wasm"), wasm, "test")
            .unwrap_or_else(|e| panic!("midenc rejected the module: {:?}", miette::Report::new(e)));
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, wasm).expect("wasmi accepts the module");
        Differential {
            package,
            engine,
            module,
            cycles: Vec::new(),
        }
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
        let instance = match wasmi::Linker::<()>::new(&self.engine)
            .instantiate_and_start(&mut store, &self.module)
        {
            Ok(instance) => instance,
            Err(e) => return Outcome::Trap(format!("instantiation: {e}")),
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
                        other => panic!("unexpected result type {other:?}"),
                    })
                    .collect(),
            ),
            Err(e) => Outcome::Trap(match e.as_trap_code() {
                Some(wasmi::TrapCode::IntegerDivisionByZero) => "integer divide by zero".into(),
                Some(wasmi::TrapCode::IntegerOverflow) => "integer overflow".into(),
                Some(wasmi::TrapCode::UnreachableCodeReached) => "unreachable".into(),
                Some(wasmi::TrapCode::MemoryOutOfBounds) => "out of bounds memory access".into(),
                Some(wasmi::TrapCode::TableOutOfBounds) => "undefined element".into(),
                Some(wasmi::TrapCode::IndirectCallToNull) => "uninitialized element".into(),
                Some(wasmi::TrapCode::BadSignature) => "indirect call type mismatch".into(),
                _ => e.to_string(),
            }),
        }
    }

    /// Runs `func(args)` on the Miden VM.
    pub fn midenc(&mut self, func: &str, args: &[CoreValue]) -> Outcome {
        let (export, root) = self
            .package
            .export(func)
            .unwrap_or_else(|| panic!("midenc: no export `{func}`"));
        let results: Vec<CoreType> = export.results.clone();
        match vm::call_export(&self.package, root, args, &results) {
            Ok(out) => {
                self.cycles.push((func.to_string(), out.cycles));
                Outcome::Values(out.results)
            }
            Err(DriverError::Trap { message }) => Outcome::Trap(normalize_trap(&message)),
            Err(other) => panic!(
                "midenc run of {func} failed: {:?}",
                miette::Report::new(other)
            ),
        }
    }

    /// Runs every `(func, args)` on both sides and returns a description of each mismatch.
    pub fn compare<S: AsRef<str>>(&mut self, cases: &[(S, Vec<CoreValue>)]) -> Vec<String> {
        let mut mismatches = Vec::new();
        for (func, args) in cases {
            let func = func.as_ref();
            let want = self.reference(func, args);
            let got = self.midenc(func, args);
            if want != got {
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

/// Maps midenc trap messages onto the reference's trap kinds.
fn normalize_trap(message: &str) -> String {
    if message.starts_with("out of bounds memory access") {
        "out of bounds memory access".into()
    } else {
        message.to_string()
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
    runs.sort_by(|a, b| b.1.cmp(&a.1));
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

/// Shorthand for an `i32` argument.
pub fn i32v(v: i32) -> CoreValue {
    CoreValue::I32(v)
}

/// Shorthand for an `i64` argument.
pub fn i64v(v: i64) -> CoreValue {
    CoreValue::I64(v)
}
