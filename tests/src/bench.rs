//! Benchmark support: what the `bench` binary measures besides VM cycles.

/// Counts the instructions in MASM source text (one module, or a listing of several with
/// `# module` separator comments): every instruction and every control-flow
/// opener (`if.true`, `while.true`, `repeat.N`), but not procedure headers, `else`, `end`,
/// `begin`, imports, constants, attributes or comments. Quoted strings (assertion messages)
/// are part of their instruction.
pub fn count_masm_instructions(masm: &str) -> usize {
    masm.lines().map(line_instructions).sum()
}

fn line_instructions(line: &str) -> usize {
    let tokens = tokens(line);
    match tokens.first().map(String::as_str) {
        None => 0,
        Some(t) if t.starts_with('@') => 0,
        Some("proc" | "pub" | "export" | "use" | "const" | "begin") => 0,
        Some(_) => tokens
            .iter()
            .filter(|t| !matches!(t.as_str(), "end" | "else"))
            .count(),
    }
}

/// Whitespace-separated tokens up to a comment; quoted strings stay inside their token.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    for c in line.chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                cur.push(c);
            }
            '#' if !in_quote => break,
            c if c.is_whitespace() && !in_quote => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A hand-written MASM kernel (`tests/fixtures/masm/<name>.masm`): the practical limit the
/// compiled programs are measured against.
pub struct HandWritten {
    /// File stem under `tests/fixtures/masm/`.
    pub name: &'static str,
    /// The compiled export it implements (its bench rows get the ratio).
    pub export: &'static str,
}

/// The hand-written kernels.
pub const HAND_WRITTEN: [HandWritten; 3] = [
    HandWritten {
        name: "fib",
        export: "fib",
    },
    HandWritten {
        name: "is_prime",
        export: "count_primes",
    },
    HandWritten {
        name: "memcpy",
        export: "memcpy_16k",
    },
];

/// The source of hand-written kernel `name`.
///
/// # Panics
/// When the file is missing.
pub fn hand_written_source(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/masm")
        .join(format!("{name}.masm"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs hand-written kernel `name` with one u32 argument; returns the output stack (top first)
/// and the cycle count.
///
/// # Errors
/// When the program fails to assemble or traps.
pub fn run_hand_written(
    name: &str,
    arg: u32,
) -> Result<(Vec<u64>, u32), midenc::error::DriverError> {
    let run = midenc::vm::run_masm_program(&hand_written_source(name), &[u64::from(arg)])?;
    Ok((run.stack, run.cycles))
}

/// One measurement of the peer compiler (0xMiden's midenc 0.9.2), from
/// `tests/fixtures/peer/midenc-0.9.2.tsv`: the Wasm fixture, the call, and its cycles or the
/// reason there are none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerFigure {
    /// Fixture path under `tests/fixtures/`, e.g. `c/out/fib.O2.wasm`.
    pub wasm: String,
    /// The call, e.g. `fib(25)`.
    pub input: String,
    /// VM cycles, or why the peer produced none (compile error, wrong result, ...).
    pub cycles: Result<u64, String>,
}

/// Reads the recorded peer figures (tab-separated: wasm, input, cycles or `error: …`; `#`
/// comments). A missing file means no figures.
pub fn peer_figures() -> Vec<PeerFigure> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/peer/midenc-0.9.2.tsv");
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\t');
            let (wasm, input, value) = (parts.next()?, parts.next()?, parts.next()?);
            let cycles = value
                .trim()
                .parse::<u64>()
                .map_err(|_| value.trim().to_string());
            Some(PeerFigure {
                wasm: wasm.to_string(),
                input: input.to_string(),
                cycles,
            })
        })
        .collect()
}

/// The geometric mean of `ratios` (1.0 when empty).
pub fn geometric_mean(ratios: &[f64]) -> f64 {
    if ratios.is_empty() {
        return 1.0;
    }
    (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp()
}

#[cfg(test)]
mod tests {
    use super::count_masm_instructions;

    #[test]
    fn counts_instructions_not_structure() {
        let masm = "# header\nproc f\n    push.1 push.2 add\n    if.true\n        \
                    assertz.err=\"end of input\"\n    else\n        drop\n    end\nend\n\n\
                    pub proc g\n    exec.f # call it\nend\n";
        // push.1 push.2 add if.true assertz drop exec.f
        assert_eq!(count_masm_instructions(masm), 7);
    }
}
