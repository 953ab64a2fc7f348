//! Totals over a run, and failing cases saved to the corpus.

use super::*;
/// Totals over a run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Modules generated.
    pub generated: usize,
    /// Of them, generated with bulk memory on.
    pub bulk: usize,
    /// Of them, generated with trapping code avoided.
    pub no_traps: usize,
    /// Modules wasm-smith failed to produce.
    pub generator_errors: usize,
    /// Modules compiled by midenc.
    pub compiled: usize,
    /// Clean rejections by reason.
    pub rejected: BTreeMap<String, usize>,
    /// Invocations attempted.
    pub invoked: usize,
    /// Invocations that agreed.
    pub matched: usize,
    /// Of them, invocations where both sides trapped (with the same trap).
    pub matched_traps: usize,
    /// Invocations whose results or traps differed.
    pub mismatches: usize,
    /// Modules where a panic was caught.
    pub panics: usize,
    /// Other failures (unclean rejections, VM errors).
    pub other_failures: usize,
    /// Invocations where wasmi was wrong (wasmtime sided with midenc).
    pub reference_bugs: usize,
    /// Invocations skipped: wasmi out of fuel or stack.
    pub reference_exhausted: usize,
    /// Invocations skipped: VM cycle cap.
    pub cycle_limit: usize,
    /// Invocations skipped: VM operand stack depth.
    pub vm_stack_exhausted: usize,
    /// Modules with any failure.
    pub failing_modules: usize,
}

impl Summary {
    /// Adds one module's report.
    pub fn add(&mut self, report: &ModuleReport) {
        self.compiled += usize::from(report.compiled);
        if let Some(reason) = &report.rejected {
            *self.rejected.entry(reason.clone()).or_default() += 1;
        }
        self.invoked += report.invoked;
        self.matched += report.matched;
        self.matched_traps += report.matched_traps;
        self.reference_exhausted += report.reference_exhausted;
        self.reference_bugs += report.reference_bugs.len();
        self.cycle_limit += report.cycle_limit;
        self.vm_stack_exhausted += report.vm_stack_exhausted;
        self.panics += usize::from(report.panicked);
        for failure in &report.failures {
            if failure.starts_with("mismatch:") {
                self.mismatches += 1;
            } else if !failure.starts_with("panic:") {
                self.other_failures += 1;
            }
        }
        self.failing_modules += usize::from(!report.failures.is_empty());
    }

    /// Whether nothing failed.
    pub fn clean(&self) -> bool {
        self.failing_modules == 0 && self.generator_errors == 0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rejected: usize = self.rejected.values().sum();
        writeln!(
            f,
            "modules generated:        {} ({} with bulk memory, {} avoiding traps)",
            self.generated, self.bulk, self.no_traps
        )?;
        writeln!(f, "generator errors:         {}", self.generator_errors)?;
        writeln!(f, "modules compiled:         {}", self.compiled)?;
        writeln!(f, "modules rejected cleanly: {rejected}")?;
        for (reason, count) in &self.rejected {
            writeln!(f, "    {count:>6}  {reason}")?;
        }
        writeln!(f, "exports invoked:          {}", self.invoked)?;
        writeln!(
            f,
            "  matches:                {} ({} returned, {} trapped alike)",
            self.matched,
            self.matched - self.matched_traps,
            self.matched_traps
        )?;
        writeln!(f, "  mismatches:             {}", self.mismatches)?;
        writeln!(
            f,
            "  wasmi wrong, wasmtime agrees with midenc: {}",
            self.reference_bugs
        )?;
        writeln!(
            f,
            "  skipped, wasmi fuel/stack exhausted: {}",
            self.reference_exhausted
        )?;
        writeln!(f, "  skipped, VM cycle limit: {}", self.cycle_limit)?;
        writeln!(
            f,
            "  skipped, VM operand stack depth (deep recursion): {}",
            self.vm_stack_exhausted
        )?;
        writeln!(f, "panics:                   {}", self.panics)?;
        writeln!(f, "other failures:           {}", self.other_failures)?;
        write!(f, "failing modules:          {}", self.failing_modules)
    }
}

/// Writes a failing case into `dir` as `NAME.wasm` plus `NAME.txt` (what failed), each
/// atomically, so an interrupted run never leaves half a case.
///
/// # Errors
/// I/O errors.
pub fn save_case(dir: &Path, name: &str, wasm: &[u8], description: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (ext, bytes) in [("wasm", wasm), ("txt", description.as_bytes())] {
        let path = dir.join(format!("{name}.{ext}"));
        let tmp = dir.join(format!(".{name}.{ext}.tmp"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(())
}

/// The regression corpus: `tests/fixtures/fuzz-corpus`.
pub fn corpus_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-corpus")
}

/// The argument seed of a corpus case: the number after `seed-` in its name when present
/// (cases saved by the fuzz driver), else a hash of the module (hand-minimized cases).
pub fn corpus_seed(name: &str, wasm: &[u8]) -> u64 {
    name.strip_prefix("seed-")
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| {
            wasm.iter().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01B3)
            })
        })
}
