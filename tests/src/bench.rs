//! Benchmark support: what the `bench` binary measures besides VM cycles.

use miden_processor::{advice::AdviceInputs, crypto::hash::Poseidon2, Felt};

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
pub const HAND_WRITTEN: [HandWritten; 9] = [
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
    HandWritten {
        name: "sum_u32",
        export: "sum_u32",
    },
    HandWritten {
        name: "sha256",
        export: "sha256_prefix",
    },
    HandWritten {
        name: "reverse",
        export: "reverse_16k",
    },
    HandWritten {
        name: "sort",
        export: "sort_unstable_checksum",
    },
    HandWritten {
        name: "sort",
        export: "quicksort_checksum",
    },
    HandWritten {
        name: "utf8",
        export: "utf8_count_16k",
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

/// Runs hand-written kernel `name` with the export's u32 arguments (the first on top); returns
/// the output stack (top first) and the cycle count.
///
/// # Errors
/// When the program fails to assemble or traps.
pub fn run_hand_written(
    name: &str,
    args: &[u32],
) -> Result<(Vec<u64>, u32), midenc::error::DriverError> {
    let stack: Vec<u64> = args.iter().map(|a| u64::from(*a)).collect();
    let run = crate::runs::run_masm_program(&hand_written_source(name), &stack)?;
    Ok((run.stack, run.cycles))
}

/// Runs hand-written kernel `name` with `stack` (top first) and `advice` as inputs; returns the
/// output stack (top first) and the cycle count.
///
/// # Errors
/// When the program fails to assemble or traps (e.g. on a commitment the advice does not match).
pub fn run_hand_written_with_advice(
    name: &str,
    stack: &[u64],
    advice: AdviceInputs,
) -> Result<(Vec<u64>, u32), midenc::error::DriverError> {
    let run = crate::runs::run_masm_program_with_advice(&hand_written_source(name), stack, advice)?;
    Ok((run.stack, run.cycles))
}

/// A hand-written kernel over field elements that takes a list the way a careful hand-writer
/// takes an untrusted list argument: the list's commitment (Poseidon2 `hash_elements` of its
/// felts, zero-padded) on the stack, the felts in the advice map under it, re-hashed and
/// asserted by the kernel. The yardstick for compiled Rust computing the same through the
/// component ABI; not in [`HAND_WRITTEN`], whose kernels take one u32.
pub struct FeltKernel {
    /// File stem under `tests/fixtures/masm/`.
    pub name: &'static str,
    /// Felts per list item: the kernel's count argument is `list.len() / item_felts`.
    pub item_felts: usize,
    /// The advice entry is the list zero-padded to a multiple of this many felts (what the
    /// kernel's core-library pipe helper reads).
    pub pad_to: usize,
    /// The deterministic benchmark input, to feed the compiled version the same.
    pub bench_input: fn() -> FeltInput,
}

/// The arguments of a [`FeltKernel`]: the list and the scalars that follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeltInput {
    /// The list's felts, item 0 first (element 0 first within a word).
    pub list: Vec<u64>,
    /// The scalar arguments, first first.
    pub scalars: Vec<u64>,
}

/// The felt kernels: `horner` (stack `[KEY, x, n]`, list = n coefficients, coeffs[0] first;
/// result `[p(x)]`) and `merkle_root` (stack `[KEY, n]`, list = n = 2^k leaf words; result
/// `[ROOT]`, element 0 on top). KEY is a word, element 0 on top.
pub const FELT_KERNELS: [FeltKernel; 2] = [
    FeltKernel {
        name: "horner",
        item_felts: 1,
        pad_to: 8,
        bench_input: horner_bench_input,
    },
    FeltKernel {
        name: "merkle_root",
        item_felts: 4,
        pad_to: 4,
        bench_input: merkle_root_bench_input,
    },
];

/// Degree 1000 (1001 pseudo-random coefficients) at a fixed x ≥ 2^32.
fn horner_bench_input() -> FeltInput {
    FeltInput {
        list: xorshift_felts(0x9E37_79B9_7F4A_7C15, 1001),
        scalars: vec![0x0123_4567_89AB_CDEF],
    }
}

/// 1024 pseudo-random leaves.
fn merkle_root_bench_input() -> FeltInput {
    FeltInput {
        list: xorshift_felts(0xD1B5_4A32_D192_ED03, 4 * 1024),
        scalars: Vec::new(),
    }
}

/// `count` deterministic pseudo-random felts: xorshift64 from `seed`, reduced modulo p.
pub fn xorshift_felts(seed: u64, count: usize) -> Vec<u64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % midenc_abi::FIELD_MODULUS
        })
        .collect()
}

/// The stack (top first) and advice inputs of `kernel` on `input`: `[KEY, scalars…, count]`,
/// with the zero-padded list under KEY in the advice map.
///
/// # Panics
/// When a felt of `input` is not below p.
pub fn felt_kernel_inputs(kernel: &FeltKernel, input: &FeltInput) -> (Vec<u64>, AdviceInputs) {
    let felt = |x: u64| Felt::new(x).unwrap_or_else(|_| panic!("{x} is not a felt"));
    let mut entry: Vec<Felt> = input.list.iter().map(|x| felt(*x)).collect();
    entry.resize(entry.len().next_multiple_of(kernel.pad_to), felt(0));
    let key = Poseidon2::hash_elements(&entry);
    let mut stack = midenc::vm::word_to_stack(key).to_vec();
    stack.extend(&input.scalars);
    stack.push((input.list.len() / kernel.item_felts) as u64);
    let mut advice = AdviceInputs::default();
    advice.map.insert(key, entry);
    (stack, advice)
}

/// Runs `kernel` on `input`; returns the output stack (top first) and the cycle count.
///
/// # Errors
/// As [`run_hand_written_with_advice`].
pub fn run_felt_kernel(
    kernel: &FeltKernel,
    input: &FeltInput,
) -> Result<(Vec<u64>, u32), midenc::error::DriverError> {
    let (stack, advice) = felt_kernel_inputs(kernel, input);
    run_hand_written_with_advice(kernel.name, &stack, advice)
}

/// The cycles `kernel` takes on its benchmark input.
///
/// # Errors
/// As [`run_hand_written_with_advice`].
pub fn felt_kernel_bench_cycles(kernel: &FeltKernel) -> Result<u32, midenc::error::DriverError> {
    Ok(run_felt_kernel(kernel, &(kernel.bench_input)())?.1)
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
