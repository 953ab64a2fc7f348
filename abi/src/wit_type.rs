//! WIT value types and their canonical-ABI layout: memory size/alignment and flattening to
//! core types, then core types to felts.
//!
//! This is the single source of truth for how a WIT value is laid out; the frontend's lift/lower
//! code generator and the host-side encoder both walk these same definitions, so the two sides
//! of a `call` cannot disagree.

use serde::{Deserialize, Serialize};

/// A WIT value type, after resolving type aliases (`type x = y`) and named definitions.
///
/// Tuples, enums, options and results are kept as their own variants (rather than despecialized)
/// so that diagnostics and WAVE rendering can name them; their layout is the despecialized one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WitType {
    /// `bool`
    Bool,
    /// `s8`
    S8,
    /// `u8`
    U8,
    /// `s16`
    S16,
    /// `u16`
    U16,
    /// `s32`
    S32,
    /// `u32`
    U32,
    /// `s64`
    S64,
    /// `u64`
    U64,
    /// `f32` (only meaningful as the Miden felt record's field; rejected elsewhere)
    F32,
    /// `f64` (always rejected for code generation)
    F64,
    /// `char`: a Unicode scalar value
    Char,
    /// `string` (UTF-8)
    String,
    /// The Miden field element (`record felt { inner: f32 }` of `miden:base`): one felt.
    Felt,
    /// `list<T>`
    List(Box<WitType>),
    /// `record { … }`: named fields in order.
    Record(Vec<(String, WitType)>),
    /// `tuple<…>`
    Tuple(Vec<WitType>),
    /// `variant { … }`: cases with optional payloads.
    Variant(Vec<(String, Option<WitType>)>),
    /// `enum { … }`
    Enum(Vec<String>),
    /// `option<T>`
    Option(Box<WitType>),
    /// `result<T, E>` with either side optional.
    Result {
        /// The `ok` payload.
        ok: Option<Box<WitType>>,
        /// The `error` payload.
        err: Option<Box<WitType>>,
    },
    /// `flags { … }` (1 to 32 labels).
    Flags(Vec<String>),
}

/// A core Wasm value type in a flattened signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlatType {
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32` (a Miden felt by the `miden:base` convention)
    F32,
    /// `f64`
    F64,
}

impl FlatType {
    /// Felts a value of this flat type occupies at a `call` boundary (`docs/calling-convention.md`):
    /// a 64-bit value (an `f64` as its bits) takes two u32 limbs.
    pub fn felts(self) -> usize {
        match self {
            FlatType::I32 | FlatType::F32 => 1,
            FlatType::I64 | FlatType::F64 => 2,
        }
    }

    /// The core type that holds a value of this flat type ([`crate::CoreType::carrier`]): an
    /// `f32` (a float's bits or a felt) like an `i32`, an `f64` like an `i64`.
    pub fn carrier(self) -> crate::CoreType {
        match self {
            FlatType::I32 | FlatType::F32 => crate::CoreType::I32,
            FlatType::I64 | FlatType::F64 => crate::CoreType::I64,
        }
    }

    /// The canonical ABI's `join` of two slot types (CABI §Flattening).
    pub fn join(a: FlatType, b: FlatType) -> FlatType {
        use FlatType::*;
        match (a, b) {
            (x, y) if x == y => x,
            (I32, F32) | (F32, I32) => I32,
            _ => I64,
        }
    }
}

/// The canonical ABI's limit of flat parameters before they are passed through memory.
pub const MAX_FLAT_PARAMS: usize = 16;
/// The canonical ABI's limit of flat results before they are returned through memory.
pub const MAX_FLAT_RESULTS: usize = 1;

/// Rounds `n` up to a multiple of `align` (a power of two).
pub fn align_to(n: u32, align: u32) -> u32 {
    n.div_ceil(align) * align
}

/// What lifting and lowering code walks in a type: every [`WitType`] has exactly one shape, so
/// generators match on it instead of unwrapping [`WitType::fields`] or [`WitType::cases`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape<'a> {
    /// A record or tuple: its fields, in order.
    Fields(Vec<&'a WitType>),
    /// A variant-like type (variant, enum, option, result): its despecialized cases, each with
    /// its payload type if it has one.
    Cases(Vec<Option<&'a WitType>>),
    /// A string (`None`) or a list of the element type: a pointer and a length.
    Blob(Option<&'a WitType>),
    /// Anything else (numbers, `char`, `bool`, flags, felt): flat values only.
    Scalar,
}

impl WitType {
    /// How lifting and lowering code walks this type ([`Shape`]).
    pub fn shape(&self) -> Shape<'_> {
        if let Some(fields) = self.fields() {
            return Shape::Fields(fields);
        }
        if let Some(cases) = self.cases() {
            return Shape::Cases(cases);
        }
        match self {
            WitType::String => Shape::Blob(None),
            WitType::List(elem) => Shape::Blob(Some(elem)),
            _ => Shape::Scalar,
        }
    }

    /// The despecialized case list of a variant-like type (variant, enum, option, result).
    pub fn cases(&self) -> Option<Vec<Option<&WitType>>> {
        Some(match self {
            WitType::Variant(cases) => cases.iter().map(|(_, t)| t.as_ref()).collect(),
            WitType::Enum(names) => names.iter().map(|_| None).collect(),
            WitType::Option(t) => vec![None, Some(t)],
            WitType::Result { ok, err } => vec![ok.as_deref(), err.as_deref()],
            _ => return None,
        })
    }

    /// The fields of a record-like type (record, tuple), in order.
    pub fn fields(&self) -> Option<Vec<&WitType>> {
        Some(match self {
            WitType::Record(fields) => fields.iter().map(|(_, t)| t).collect(),
            WitType::Tuple(items) => items.iter().collect(),
            _ => return None,
        })
    }

    /// Size in bytes of the discriminant of a variant with `cases` cases.
    pub fn discriminant_size(cases: usize) -> u32 {
        if cases <= 1 << 8 {
            1
        } else if cases <= 1 << 16 {
            2
        } else {
            4
        }
    }

    /// Alignment in linear memory (wasm32).
    pub fn align(&self) -> u32 {
        match self {
            WitType::Bool | WitType::S8 | WitType::U8 => 1,
            WitType::S16 | WitType::U16 => 2,
            WitType::S32 | WitType::U32 | WitType::F32 | WitType::Char | WitType::Felt => 4,
            WitType::S64 | WitType::U64 | WitType::F64 => 8,
            WitType::String | WitType::List(_) => 4,
            WitType::Flags(labels) => flags_size(labels.len()),
            WitType::Record(_) | WitType::Tuple(_) => self
                .fields()
                .unwrap()
                .iter()
                .map(|f| f.align())
                .max()
                .unwrap_or(1),
            _ => {
                let cases = self.cases().unwrap();
                let payload = max_case_align(&cases);
                Self::discriminant_size(cases.len()).max(payload)
            }
        }
    }

    /// Size in bytes in linear memory (wasm32), a multiple of [`WitType::align`].
    pub fn size(&self) -> u32 {
        match self {
            WitType::Bool | WitType::S8 | WitType::U8 => 1,
            WitType::S16 | WitType::U16 => 2,
            WitType::S32 | WitType::U32 | WitType::F32 | WitType::Char | WitType::Felt => 4,
            WitType::S64 | WitType::U64 | WitType::F64 => 8,
            WitType::String | WitType::List(_) => 8,
            WitType::Flags(labels) => flags_size(labels.len()),
            WitType::Record(_) | WitType::Tuple(_) => {
                let mut s = 0;
                for f in self.fields().unwrap() {
                    s = align_to(s, f.align()) + f.size();
                }
                align_to(s, self.align())
            }
            _ => {
                let cases = self.cases().unwrap();
                let payload = self.payload_offset()
                    + cases.iter().flatten().map(|t| t.size()).max().unwrap_or(0);
                align_to(payload, self.align())
            }
        }
    }

    /// Byte offsets of the fields of a record or tuple.
    pub fn field_offsets(&self) -> Vec<u32> {
        let mut offsets = Vec::new();
        let mut s = 0;
        for f in self.fields().unwrap_or_default() {
            s = align_to(s, f.align());
            offsets.push(s);
            s += f.size();
        }
        offsets
    }

    /// Byte offset of the payload of a variant-like type.
    pub fn payload_offset(&self) -> u32 {
        let cases = self.cases().unwrap_or_default();
        align_to(Self::discriminant_size(cases.len()), max_case_align(&cases))
    }

    /// Appends the flat core types of this type (CABI `flatten_type`).
    pub fn push_flat(&self, out: &mut Vec<FlatType>) {
        match self {
            WitType::Bool
            | WitType::S8
            | WitType::U8
            | WitType::S16
            | WitType::U16
            | WitType::S32
            | WitType::U32
            | WitType::Char
            | WitType::Flags(_) => out.push(FlatType::I32),
            WitType::S64 | WitType::U64 => out.push(FlatType::I64),
            WitType::F32 | WitType::Felt => out.push(FlatType::F32),
            WitType::F64 => out.push(FlatType::F64),
            WitType::String | WitType::List(_) => {
                out.push(FlatType::I32);
                out.push(FlatType::I32);
            }
            WitType::Record(_) | WitType::Tuple(_) => {
                for f in self.fields().unwrap() {
                    f.push_flat(out);
                }
            }
            _ => {
                out.push(FlatType::I32);
                out.extend(self.joined_payload());
            }
        }
    }

    /// The flat core types of this type.
    pub fn flat(&self) -> Vec<FlatType> {
        let mut v = Vec::new();
        self.push_flat(&mut v);
        v
    }

    /// The joined payload slots of a variant-like type (without the discriminant).
    pub fn joined_payload(&self) -> Vec<FlatType> {
        let mut joined: Vec<FlatType> = Vec::new();
        for case in self.cases().unwrap_or_default().into_iter().flatten() {
            for (i, t) in case.flat().into_iter().enumerate() {
                match joined.get_mut(i) {
                    Some(slot) => *slot = FlatType::join(*slot, t),
                    None => joined.push(t),
                }
            }
        }
        joined
    }

    /// Whether a value of this type contains a string or list (needs the advice map to cross a
    /// context boundary, and `cabi_realloc` to be received).
    pub fn has_lists(&self) -> bool {
        self.contains(&|t| matches!(t, WitType::String | WitType::List(_)))
    }

    /// Whether a value of this type contains a Miden felt (the `miden:base` record): a world
    /// that passes felts carries them in the core module's `f32`s.
    pub fn has_felts(&self) -> bool {
        self.contains(&|t| *t == WitType::Felt)
    }

    /// Whether this type, or a type nested in it (fields, cases, list elements), satisfies
    /// `part`.
    fn contains(&self, part: &dyn Fn(&WitType) -> bool) -> bool {
        if part(self) {
            return true;
        }
        match self {
            WitType::List(t) => t.contains(part),
            _ => {
                let fields = self.fields().unwrap_or_default();
                let cases = self.cases().unwrap_or_default();
                fields.iter().any(|f| f.contains(part))
                    || cases.iter().flatten().any(|t| t.contains(part))
            }
        }
    }
}

fn flags_size(labels: usize) -> u32 {
    if labels <= 8 {
        1
    } else if labels <= 16 {
        2
    } else {
        4
    }
}

fn max_case_align(cases: &[Option<&WitType>]) -> u32 {
    cases.iter().flatten().map(|t| t.align()).max().unwrap_or(1)
}

/// The flat core signature of a function, as the canonical ABI's `canon lift` sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatSignature {
    /// Core parameter types (a single `i32` pointer when [`FlatSignature::indirect_params`]).
    pub params: Vec<FlatType>,
    /// Core result types (a single `i32` pointer when [`FlatSignature::indirect_results`]).
    pub results: Vec<FlatType>,
    /// Parameters are passed in memory as a tuple (more than 16 flat values).
    pub indirect_params: bool,
    /// The result is returned through a pointer (more than 1 flat value).
    pub indirect_results: bool,
}

/// Flattens a function type for `canon lift` (the callee side of an export).
pub fn flatten_lift(params: &[WitType], result: Option<&WitType>) -> FlatSignature {
    let mut flat_params = Vec::new();
    for p in params {
        p.push_flat(&mut flat_params);
    }
    let indirect_params = flat_params.len() > MAX_FLAT_PARAMS;
    if indirect_params {
        flat_params = vec![FlatType::I32];
    }
    let mut flat_results = result.map(|r| r.flat()).unwrap_or_default();
    let indirect_results = flat_results.len() > MAX_FLAT_RESULTS;
    if indirect_results {
        flat_results = vec![FlatType::I32];
    }
    FlatSignature {
        params: flat_params,
        results: flat_results,
        indirect_params,
        indirect_results,
    }
}

/// Flattens a function type for `canon lower` (the caller side of an import): as
/// [`flatten_lift`] for the parameters, but a result of more than one flat value is written
/// through a return pointer that the core caller passes as an extra last parameter.
pub fn flatten_lower(params: &[WitType], result: Option<&WitType>) -> FlatSignature {
    let mut sig = flatten_lift(params, result);
    if sig.indirect_results {
        sig.params.push(FlatType::I32);
        sig.results.clear();
    }
    sig
}

/// Felts of a sequence of flat values at a `call` boundary.
pub fn flat_felts(flat: &[FlatType]) -> usize {
    flat.iter().map(|t| t.felts()).sum()
}
