//! Field-element operations a core module asks for by importing them from the reserved module
//! [`FELT_MODULE`] (`docs/felts.md`).
//!
//! Felts travel in `f32` values, as in the `miden:base` convention: a module that imports from
//! this namespace is compiled with `f32` as the felt type (`CompileOptions::f32_is_felt`). Each
//! import is lowered inline to native Miden instructions at every direct call; it also gets a
//! procedure of the same instructions, so tables and re-exports of it work like any function.
//! Nothing is linked and nothing appears among the package's imports.

use midenc_abi::CoreType;
use wasmparser::ValType;

use crate::masm::inst::split_words;

/// The import module name reserved for felt operations.
pub const FELT_MODULE: &str = "miden:intrinsics/felt";

/// Whether a module with these imports carries felts in `f32`: it imports felt operations
/// (every signature then treats `f32` as a felt, imports before the first such one included).
pub fn imports_felts(imports: &wasmparser::ImportSectionReader<'_>) -> wasmparser::Result<bool> {
    for import in imports.clone().into_imports() {
        if import?.module == FELT_MODULE {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Prefix of every reserved intrinsics module; a module under it that midenc does not know
/// is an error, not a WIT import.
pub const INTRINSICS_PREFIX: &str = "miden:intrinsics/";

/// Wasm value types of an intrinsic's signature, as written in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    /// A felt, carried in `f32`.
    Felt,
    /// `i32` (a u32, or a 0/1 truth value).
    I32,
    /// `i64` (a u64 as two u32 limbs).
    I64,
}

impl Ty {
    fn val_type(self) -> ValType {
        match self {
            Ty::Felt => ValType::F32,
            Ty::I32 => ValType::I32,
            Ty::I64 => ValType::I64,
        }
    }

    fn core_type(self) -> CoreType {
        match self {
            Ty::I64 => CoreType::I64,
            Ty::Felt | Ty::I32 => CoreType::I32,
        }
    }
}

/// One felt operation: its import name, its Wasm signature and the instructions it becomes.
/// Arguments are on the stack in the translator's order (the last one on top).
#[derive(Debug)]
pub struct FeltIntrinsic {
    /// The import's field name.
    pub name: &'static str,
    params: &'static [Ty],
    results: &'static [Ty],
    /// Whether the result is a 0/1 truth value.
    is_bool: bool,
    /// The inline instructions.
    pub ops: &'static [&'static str],
}

use Ty::{Felt, I32, I64};

/// An operation whose results are values (not truth values).
const fn op(
    name: &'static str,
    params: &'static [Ty],
    results: &'static [Ty],
    ops: &'static [&'static str],
) -> FeltIntrinsic {
    FeltIntrinsic {
        name,
        params,
        results,
        is_bool: false,
        ops,
    }
}

/// An operation whose one result is a 0/1 truth value.
const fn predicate(
    name: &'static str,
    params: &'static [Ty],
    ops: &'static [&'static str],
) -> FeltIntrinsic {
    FeltIntrinsic {
        name,
        params,
        results: &[I32],
        is_bool: true,
        ops,
    }
}

/// Every felt operation. The Miden instruction of a binary operation takes its second operand
/// from the top, which is where the translator keeps the last argument.
static INTRINSICS: &[FeltIntrinsic] = &[
    op("add", &[Felt, Felt], &[Felt], &["add"]),
    op("sub", &[Felt, Felt], &[Felt], &["sub"]),
    op("mul", &[Felt, Felt], &[Felt], &["mul"]),
    op(
        "div",
        &[Felt, Felt],
        &[Felt],
        &[
            "dup",
            "eq.0",
            "assertz.err=\"felt division by zero\"",
            "div",
        ],
    ),
    op("neg", &[Felt], &[Felt], &["neg"]),
    op(
        "inv",
        &[Felt],
        &[Felt],
        &["dup", "eq.0", "assertz.err=\"felt inverse of zero\"", "inv"],
    ),
    // 2^n for n < 64.
    op(
        "pow2",
        &[Felt],
        &[Felt],
        &[
            "dup",
            "push.64",
            "lt",
            "assert.err=\"felt pow2 exponent of 64 or more\"",
            "pow2",
        ],
    ),
    // base^e for an exponent that is itself a felt (below p).
    op("exp", &[Felt, Felt], &[Felt], &["exp"]),
    predicate("eq", &[Felt, Felt], &["eq"]),
    predicate("lt", &[Felt, Felt], &["lt"]),
    predicate("lte", &[Felt, Felt], &["lte"]),
    predicate("gt", &[Felt, Felt], &["gt"]),
    predicate("gte", &[Felt, Felt], &["gte"]),
    predicate("is_odd", &[Felt], &["is_odd"]),
    op(
        "assert",
        &[Felt],
        &[],
        &["eq.1", "assert.err=\"felt assertion failed\""],
    ),
    op(
        "assert_eq",
        &[Felt, Felt],
        &[],
        &["assert_eq.err=\"felts are not equal\""],
    ),
    // A u32 is already a felt.
    op("from_u32", &[I32], &[Felt], &[]),
    // [lo, hi]: traps when hi·2^32 + lo ≥ p, that is hi = 2^32 − 1 and lo ≠ 0.
    op(
        "from_u64",
        &[I64],
        &[Felt],
        &[
            "dup.1",
            "eq.4294967295",
            "dup.1",
            "neq.0",
            "and",
            "assertz.err=\"u64 value is not below the field modulus\"",
            "swap",
            "mul.4294967296",
            "add",
        ],
    ),
    // The same sum, reduced modulo p.
    op(
        "from_u64_unchecked",
        &[I64],
        &[Felt],
        &["swap", "mul.4294967296", "add"],
    ),
    // The canonical value as [lo, hi].
    op("as_u64", &[Felt], &[I64], &["u32split"]),
    // The next element of the advice stack.
    op("advice_push", &[], &[Felt], &["adv_push"]),
    // The Poseidon2 digest of two words (a, b), as miden-core's `Poseidon2::merge(&[a, b])`.
    // The translator has b on top of a, each word's element 3 nearest the top; `hmerge` wants
    // a on top, element 0 first, and leaves the digest element 0 first. (The order is the one
    // `tests/tests/felt_intrinsics.rs` confirms against miden-core.)
    op(
        "merge",
        &[Felt, Felt, Felt, Felt, Felt, Felt, Felt, Felt],
        &[Felt, Felt, Felt, Felt],
        &["reversew", "swapw", "reversew", "hmerge", "reversew"],
    ),
    // The same digest, of the words at byte addresses a and b, stored at byte address out
    // (all multiples of 4; word accesses when all are multiples of 16): [out, b, a].
    op(
        "merge_words",
        &[I32, I32, I32],
        &[],
        &["exec.wasm_felt_merge_words"],
    ),
    // The Poseidon2 digest of the `len` felts at byte address ptr, as miden-core's
    // `Poseidon2::hash_elements`, stored at byte address out: [out, len, ptr].
    op(
        "hash_elements",
        &[I32, I32, I32],
        &[],
        &[
            "movdn.2",
            "swap",
            SLOT,
            "exec.wasm_felt_word_aligned",
            "exec.::miden::core::crypto::hashes::poseidon2::hash_elements",
            "movup.4",
            SLOT,
            STORE_WORD,
        ],
    ),
    // Pushes the values the advice map holds under key (k0, k1, k2, k3) onto the advice stack,
    // for `advice_push` to read.
    op(
        "advice_push_mapval",
        &[Felt, Felt, Felt, Felt],
        &[],
        &["reversew", "adv.push_mapval", "dropw"],
    ),
];

/// `merge_words` ([out, b, a] -> []) when all three byte addresses are multiples of 16: one word
/// access each. The fast path of the runtime procedure, and the whole call where versioning
/// proved the alignment (`Versioned::word_merges`).
pub const MERGE_WORDS_ALIGNED: &str = "div.4 swap div.4 movup.2 div.4 padw movup.5 mem_loadw_le \
                                       movup.4 padw movup.4 mem_loadw_le hmerge movup.4 \
                                       mem_storew_le dropw";

/// [ea] -> [ea / 4]: the element of a four-byte slot, trapping unless ea is a multiple of 4.
const SLOT: &str = "u32divmod.4 assertz.err=\"unaligned felt access\"";

/// [q, w0, w1, w2, w3] -> []: stores the word at element q.
const STORE_WORD: &str = "dup movup.2 swap mem_store add.1 dup movup.2 swap mem_store \
                          add.1 dup movup.2 swap mem_store add.1 mem_store";

impl FeltIntrinsic {
    /// Whether the operation reads or writes linear memory (or calls code that may): the rest
    /// are arithmetic on the stack, which loop transformations may move memory accesses past.
    pub fn uses_memory(&self) -> bool {
        self.ops
            .iter()
            .any(|op| op.contains("mem_") || op.contains("exec."))
    }

    /// The inline instructions one by one (a table entry may hold several, space-separated).
    pub fn instructions(&self) -> impl Iterator<Item = &'static str> {
        self.ops.iter().flat_map(|op| split_words(op))
    }

    /// The intrinsic `name` of [`FELT_MODULE`], if there is one.
    pub fn find(name: &str) -> Option<&'static FeltIntrinsic> {
        INTRINSICS.iter().find(|i| i.name == name)
    }

    /// The parameter types as the translator models them.
    pub fn params(&self) -> Vec<CoreType> {
        self.params.iter().map(|t| t.core_type()).collect()
    }

    /// The result types as the translator models them, each with whether it is a truth value.
    pub fn results(&self) -> Vec<(CoreType, bool)> {
        self.results
            .iter()
            .map(|t| (t.core_type(), self.is_bool))
            .collect()
    }

    /// The Wasm signature the import must have, as text for errors (`(f32, f32) -> f32`).
    pub fn signature_text(&self) -> String {
        let name = |t: &Ty| match t {
            Felt => "f32",
            I32 => "i32",
            I64 => "i64",
        };
        let params: Vec<_> = self.params.iter().map(name).collect();
        let results: Vec<_> = self.results.iter().map(name).collect();
        let results = match results.as_slice() {
            [one] => one.to_string(),
            _ => format!("({})", results.join(", ")),
        };
        format!("({}) -> {results}", params.join(", "))
    }

    /// Whether `ty` is the Wasm type this intrinsic must be imported with.
    pub fn matches(&self, ty: &wasmparser::FuncType) -> bool {
        let params: Vec<ValType> = self.params.iter().map(|t| t.val_type()).collect();
        let results: Vec<ValType> = self.results.iter().map(|t| t.val_type()).collect();
        ty.params() == params.as_slice() && ty.results() == results.as_slice()
    }
}

/// The felt intrinsic an import names, `Ok(None)` for an import outside the reserved
/// namespace, or an error naming what is wrong.
pub fn resolve(
    module: &str,
    name: &str,
    ty: &wasmparser::FuncType,
) -> Result<Option<&'static FeltIntrinsic>, String> {
    if !module.starts_with(INTRINSICS_PREFIX) {
        return Ok(None);
    }
    if module != FELT_MODULE {
        return Err(format!(
            "import `{module}::{name}`: `{module}` is not a midenc intrinsics module (the felt \
             operations are in `{FELT_MODULE}`)"
        ));
    }
    let intrinsic = FeltIntrinsic::find(name).ok_or_else(|| {
        let known: Vec<_> = INTRINSICS.iter().map(|i| i.name).collect();
        format!(
            "import `{module}::{name}`: `{name}` is not a felt operation (known: {})",
            known.join(", ")
        )
    })?;
    if !intrinsic.matches(ty) {
        return Err(format!(
            "import `{module}::{name}` must have type {}",
            intrinsic.signature_text()
        ));
    }
    Ok(Some(intrinsic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (i, a) in INTRINSICS.iter().enumerate() {
            assert!(
                INTRINSICS[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
        }
    }

    #[test]
    fn sequences_split_into_instructions_keeping_messages_whole() {
        assert_eq!(
            split_words("u32divmod.4 assertz.err=\"unaligned felt access\" mem_load"),
            [
                "u32divmod.4",
                "assertz.err=\"unaligned felt access\"",
                "mem_load"
            ]
        );
        let hash = FeltIntrinsic::find("hash_elements").unwrap();
        assert!(hash
            .instructions()
            .all(|i| !i.contains(' ') || i.contains('"')));
    }

    #[test]
    fn unknown_names_and_modules_are_named_in_the_error() {
        let ty = wasmparser::FuncType::new([ValType::F32], [ValType::F32]);
        let err = resolve(FELT_MODULE, "sqrt", &ty).unwrap_err();
        assert!(err.contains("`sqrt` is not a felt operation"), "{err}");
        let err = resolve("miden:intrinsics/word", "add", &ty).unwrap_err();
        assert!(err.contains("not a midenc intrinsics module"), "{err}");
        let err = resolve(FELT_MODULE, "add", &ty).unwrap_err();
        assert!(err.contains("must have type (f32, f32) -> f32"), "{err}");
        assert!(resolve(FELT_MODULE, "neg", &ty).unwrap().is_some());
        assert!(resolve("test:a/b", "neg", &ty).unwrap().is_none());
    }
}
