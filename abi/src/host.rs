//! Host-side value encoding: WIT values (as WAVE values) to the argument image of a call, and
//! result images back to values (`docs/calling-convention.md`).
//!
//! An *image* is the flat felts of the values (canonical-ABI flat lowering, each flat value as
//! felts, list pointers 0) plus the *blobs*: the contents of every string and list in pre-order,
//! each in canonical memory layout, packed four bytes per felt little-endian and zero-padded to
//! whole chunks of [`CHUNK`] felts. When an image spills, the advice map holds
//! `flat (padded to a chunk) ++ blobs` under its digest ([`digest_order`]).

use std::borrow::Cow;

use wasm_wave::{
    value::{Type, Value},
    wasm::{WasmValue, WasmValueError},
};

use crate::{FlatType, WitType, FIELD_MODULUS};

/// Why a value could not be encoded or an image decoded.
#[derive(Debug, thiserror::Error, miette::Diagnostic, PartialEq, Eq)]
pub enum CodecError {
    /// A value does not match its WIT type.
    #[error("value does not match WIT type `{ty}`")]
    Mismatch {
        /// The expected type.
        ty: String,
    },
    /// The result image is malformed (the callee broke the convention).
    #[error("malformed result image: {0}")]
    Malformed(String),
}

fn malformed(what: impl Into<String>) -> CodecError {
    CodecError::Malformed(what.into())
}

/// The WAVE type of a WIT type (a Miden `felt` reads and prints as a `u64` below the modulus).
pub fn wave_type(ty: &WitType) -> Type {
    match ty {
        WitType::Bool => Type::BOOL,
        WitType::S8 => Type::S8,
        WitType::U8 => Type::U8,
        WitType::S16 => Type::S16,
        WitType::U16 => Type::U16,
        WitType::S32 => Type::S32,
        WitType::U32 => Type::U32,
        WitType::S64 => Type::S64,
        WitType::U64 | WitType::Felt => Type::U64,
        WitType::F32 => Type::F32,
        WitType::F64 => Type::F64,
        WitType::Char => Type::CHAR,
        WitType::String => Type::STRING,
        WitType::List(t) => Type::list(wave_type(t)),
        WitType::Record(fields) => {
            Type::record(fields.iter().map(|(n, t)| (n.as_str(), wave_type(t))))
                .expect("records are non-empty")
        }
        WitType::Tuple(items) => Type::tuple(items.iter().map(wave_type).collect::<Vec<_>>())
            .expect("tuples are non-empty"),
        WitType::Variant(cases) => Type::variant(
            cases
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_ref().map(wave_type))),
        )
        .expect("variants are non-empty"),
        WitType::Enum(names) => {
            Type::enum_ty(names.iter().map(String::as_str)).expect("enums are non-empty")
        }
        WitType::Option(t) => Type::option(wave_type(t)),
        WitType::Result { ok, err } => {
            Type::result(ok.as_deref().map(wave_type), err.as_deref().map(wave_type))
        }
        WitType::Flags(names) => {
            Type::flags(names.iter().map(String::as_str)).expect("flags are non-empty")
        }
    }
}

/// A flat value: its slot type and its felts.
#[derive(Clone, Debug)]
struct Flat(FlatType, Vec<u64>);

/// Felts in a chunk (two words): images are padded, piped and hashed a chunk at a time.
pub const CHUNK: usize = 8;

/// The felts of an advice entry (a whole number of chunks) in the order the receiver absorbs
/// them: the Poseidon2 digest of the result (`hash_elements`) is the entry's map key. Each chunk
/// `[s0, …, s7]` is absorbed as `[s6, s7, s4, s5, s2, s3, s0, s1]` (its pairs in reverse order:
/// the order in which the receiver range-checks them, two at a time, on the operand stack).
pub fn digest_order(entry: &[u64]) -> Vec<u64> {
    entry
        .chunks(CHUNK)
        .flat_map(|c| c.chunks(2).rev().flatten().copied().collect::<Vec<_>>())
        .collect()
}

/// An image being built or read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    /// The flat felts (the stack part).
    pub flat: Vec<u64>,
    /// The blobs, each padded to whole chunks.
    pub blobs: Vec<u64>,
}

impl Image {
    /// The advice-map entry of a spilled image: flat felts padded to a chunk, then the blobs.
    pub fn advice_entry(&self) -> Vec<u64> {
        let mut v = self.flat.clone();
        v.resize(self.flat.len().div_ceil(CHUNK) * CHUNK, 0);
        v.extend(&self.blobs);
        v
    }

    /// Splits an advice-map entry into flat felts (`flat_felts` of them) and blobs.
    pub fn from_advice_entry(entry: &[u64], flat_felts: usize) -> Result<Image, CodecError> {
        let head = flat_felts.div_ceil(CHUNK) * CHUNK;
        if entry.len() < head || !entry.len().is_multiple_of(CHUNK) {
            return Err(malformed(format!("advice entry of {} felts", entry.len())));
        }
        Ok(Image {
            flat: entry[..flat_felts].to_vec(),
            blobs: entry[head..].to_vec(),
        })
    }
}

/// Encodes argument values (in order) of types `types` into an image.
///
/// # Errors
/// [`CodecError::Mismatch`] when a value does not have its type.
pub fn encode(types: &[WitType], values: &[Value]) -> Result<Image, CodecError> {
    let mut image = Image::default();
    for (t, v) in types.iter().zip(values) {
        for f in lower_flat(t, v, &mut image.blobs)? {
            image.flat.extend(f.1);
        }
    }
    Ok(image)
}

fn mismatch(ty: &WitType) -> CodecError {
    CodecError::Mismatch { ty: ty.wit_text() }
}

fn i32_flat(v: u32) -> Flat {
    Flat(FlatType::I32, vec![u64::from(v)])
}

/// Canonical flat lowering of one value; list contents go to `blobs`.
fn lower_flat(ty: &WitType, v: &Value, blobs: &mut Vec<u64>) -> Result<Vec<Flat>, CodecError> {
    Ok(match ty {
        WitType::Bool => vec![i32_flat(v.unwrap_bool() as u32)],
        WitType::S8 => vec![i32_flat(v.unwrap_s8() as i32 as u32)],
        WitType::U8 => vec![i32_flat(u32::from(v.unwrap_u8()))],
        WitType::S16 => vec![i32_flat(v.unwrap_s16() as i32 as u32)],
        WitType::U16 => vec![i32_flat(u32::from(v.unwrap_u16()))],
        WitType::S32 => vec![i32_flat(v.unwrap_s32() as u32)],
        WitType::U32 => vec![i32_flat(v.unwrap_u32())],
        WitType::Char => vec![i32_flat(v.unwrap_char() as u32)],
        WitType::S64 | WitType::U64 => {
            let x = if *ty == WitType::S64 {
                v.unwrap_s64() as u64
            } else {
                v.unwrap_u64()
            };
            vec![Flat(FlatType::I64, vec![x & 0xFFFF_FFFF, x >> 32])]
        }
        WitType::Felt => {
            let x = v.unwrap_u64();
            if x >= FIELD_MODULUS {
                return Err(mismatch(ty));
            }
            vec![Flat(FlatType::F32, vec![x])]
        }
        // A float is its bit pattern (an `f32` one u32, an `f64` two limbs).
        WitType::F32 => vec![Flat(
            FlatType::F32,
            vec![u64::from(v.unwrap_f32().to_bits())],
        )],
        WitType::F64 => {
            let x = v.unwrap_f64().to_bits();
            vec![Flat(FlatType::F64, vec![x & 0xFFFF_FFFF, x >> 32])]
        }
        WitType::Flags(names) => {
            let mut bits = 0u32;
            for f in v.unwrap_flags() {
                let i = names
                    .iter()
                    .position(|n| *n == f)
                    .ok_or_else(|| mismatch(ty))?;
                bits |= 1 << i;
            }
            vec![i32_flat(bits)]
        }
        WitType::String | WitType::List(_) => {
            // The pointer slot is 0: the receiver allocates.
            let count = encode_list(ty, v, blobs)?;
            vec![i32_flat(0), i32_flat(count)]
        }
        WitType::Record(_) | WitType::Tuple(_) => {
            let fields = ty.fields().unwrap();
            let values: Vec<Cow<Value>> = match ty {
                WitType::Record(_) => v.unwrap_record().map(|(_, x)| x).collect(),
                _ => v.unwrap_tuple().collect(),
            };
            if values.len() != fields.len() {
                return Err(mismatch(ty));
            }
            let mut out = Vec::new();
            for (f, x) in fields.iter().zip(&values) {
                out.extend(lower_flat(f, x, blobs)?);
            }
            out
        }
        _ => {
            let (case, payload) = case_of(ty, v)?;
            let cases = ty.cases().unwrap();
            let joined = ty.joined_payload();
            let mut out = vec![i32_flat(case as u32)];
            let mut lowered = Vec::new();
            if let (Some(t), Some(p)) = (cases[case], payload) {
                lowered = lower_flat(t, &p, blobs)?;
            }
            for (i, slot) in joined.iter().enumerate() {
                let felts = match lowered.get(i) {
                    Some(Flat(from, felts)) => coerce(*from, *slot, felts),
                    None => vec![0; slot.felts()],
                };
                out.push(Flat(*slot, felts));
            }
            out
        }
    })
}

/// Widens a flat value to its join slot (`i32` → `i64` zero-extends; felts stay as they are).
fn coerce(from: FlatType, to: FlatType, felts: &[u64]) -> Vec<u64> {
    let mut v = felts.to_vec();
    v.resize(to.felts().max(from.felts()), 0);
    v.truncate(to.felts());
    v
}

/// The case index and payload of a variant-like value.
fn case_of<'v>(ty: &WitType, v: &'v Value) -> Result<(usize, Option<Cow<'v, Value>>), CodecError> {
    Ok(match ty {
        WitType::Variant(cases) => {
            let (name, payload) = v.unwrap_variant();
            let i = cases
                .iter()
                .position(|(n, _)| *n == name)
                .ok_or_else(|| mismatch(ty))?;
            (i, payload)
        }
        WitType::Enum(names) => {
            let name = v.unwrap_enum();
            (
                names
                    .iter()
                    .position(|n| *n == name)
                    .ok_or_else(|| mismatch(ty))?,
                None,
            )
        }
        WitType::Option(_) => match v.unwrap_option() {
            None => (0, None),
            Some(p) => (1, Some(p)),
        },
        WitType::Result { .. } => match v.unwrap_result() {
            Ok(p) => (0, p),
            Err(p) => (1, p),
        },
        _ => return Err(mismatch(ty)),
    })
}

/// Appends the blob of a string or list, then (pre-order) the blobs of the lists nested in its
/// elements; returns the element count (bytes for a string).
fn encode_list(ty: &WitType, v: &Value, blobs: &mut Vec<u64>) -> Result<u32, CodecError> {
    match ty {
        WitType::String => {
            let s = v.unwrap_string();
            blobs.extend(pack_bytes(s.as_bytes()));
            Ok(s.len() as u32)
        }
        WitType::List(elem) => {
            let items: Vec<Cow<Value>> = v.unwrap_list().collect();
            let size = elem.size() as usize;
            let mut bytes = vec![0u8; size * items.len()];
            let mut felts = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let at = i * size;
                store(
                    elem,
                    item,
                    &mut bytes[at..at + size],
                    &mut Felts {
                        at,
                        felts: &mut felts,
                    },
                )?;
            }
            let mut packed = pack_bytes(&bytes);
            for (at, felt) in felts {
                packed[at / 4] = felt;
            }
            blobs.extend(packed);
            for item in &items {
                nested_blobs(elem, item, blobs)?;
            }
            Ok(items.len() as u32)
        }
        _ => Err(mismatch(ty)),
    }
}

/// Appends the blobs of the lists inside a value stored in a list, in pre-order.
fn nested_blobs(ty: &WitType, v: &Value, blobs: &mut Vec<u64>) -> Result<(), CodecError> {
    match ty {
        WitType::String | WitType::List(_) => encode_list(ty, v, blobs).map(|_| ()),
        WitType::Record(_) | WitType::Tuple(_) => {
            for (f, x) in ty.fields().unwrap().iter().zip(field_values(ty, v)) {
                nested_blobs(f, &x, blobs)?;
            }
            Ok(())
        }
        _ if ty.cases().is_some() => {
            let (case, payload) = case_of(ty, v)?;
            match (ty.cases().unwrap()[case], payload) {
                (Some(t), Some(p)) => nested_blobs(t, &p, blobs),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

fn field_values<'v>(ty: &WitType, v: &'v Value) -> Vec<Cow<'v, Value>> {
    match ty {
        WitType::Record(_) => v.unwrap_record().map(|(_, x)| x).collect(),
        _ => v.unwrap_tuple().collect(),
    }
}

/// Packs bytes four per felt (little-endian), zero-padded to whole chunks (32 bytes).
pub fn pack_bytes(bytes: &[u8]) -> Vec<u64> {
    let mut felts: Vec<u64> = bytes
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u64::from(u32::from_le_bytes(w))
        })
        .collect();
    felts.resize(bytes.len().div_ceil(4 * CHUNK) * CHUNK, 0);
    felts
}

/// The felts of a memory image, which fill whole slots rather than bytes: (byte offset in the
/// image, value) pairs, and the image offset of the value being stored.
struct Felts<'a> {
    at: usize,
    felts: &'a mut Vec<(usize, u64)>,
}

impl Felts<'_> {
    /// The same list, for a part of the value `off` bytes further on.
    fn at(&mut self, off: u32) -> Felts<'_> {
        Felts {
            at: self.at + off as usize,
            felts: self.felts,
        }
    }
}

/// Stores a value in canonical memory layout into `out` (exactly `ty.size()` bytes); nested
/// strings and lists are stored as pointer 0 and their length, felts go to `felts`.
fn store(ty: &WitType, v: &Value, out: &mut [u8], felts: &mut Felts) -> Result<(), CodecError> {
    let put = |out: &mut [u8], x: u64, n: usize| out[..n].copy_from_slice(&x.to_le_bytes()[..n]);
    match ty {
        WitType::String => put(&mut out[4..], v.unwrap_string().len() as u64, 4),
        WitType::List(_) => put(&mut out[4..], v.unwrap_list().count() as u64, 4),
        WitType::Record(_) | WitType::Tuple(_) => {
            let fields = ty.fields().unwrap();
            let values = field_values(ty, v);
            if values.len() != fields.len() {
                return Err(mismatch(ty));
            }
            for ((f, x), off) in fields.iter().zip(&values).zip(ty.field_offsets()) {
                store(f, x, &mut out[off as usize..], &mut felts.at(off))?;
            }
        }
        WitType::Felt => {
            let x = v.unwrap_u64();
            if x >= FIELD_MODULUS {
                return Err(mismatch(ty));
            }
            felts.felts.push((felts.at, x));
        }
        _ if ty.cases().is_some() => {
            let (case, payload) = case_of(ty, v)?;
            let cases = ty.cases().unwrap();
            put(
                out,
                case as u64,
                WitType::discriminant_size(cases.len()) as usize,
            );
            if let (Some(t), Some(p)) = (cases[case], payload) {
                let off = ty.payload_offset();
                store(t, &p, &mut out[off as usize..], &mut felts.at(off))?;
            }
        }
        scalar => {
            let flat = lower_flat(scalar, v, &mut Vec::new())?;
            let felts = &flat[0].1;
            let x = felts[0] | felts.get(1).map_or(0, |h| h << 32);
            put(out, x, scalar.size() as usize);
        }
    }
    Ok(())
}

/// Unpacks `n` bytes from packed felts; slot `i` may hold a whole felt when `felt_slot(i)`
/// (its bytes then read as zero, the felt itself is in `felts[i]`).
fn unpack_bytes(
    felts: &[u64],
    n: usize,
    felt_slot: impl Fn(usize) -> bool,
) -> Result<Vec<u8>, CodecError> {
    let mut bytes = Vec::with_capacity(felts.len() * 4);
    for (i, f) in felts.iter().enumerate() {
        let w = if felt_slot(i) {
            0
        } else {
            u32::try_from(*f).map_err(|_| malformed("a blob felt is not a u32"))?
        };
        bytes.extend(w.to_le_bytes());
    }
    if bytes.len() < n {
        return Err(malformed("blob shorter than its length"));
    }
    bytes.truncate(n);
    Ok(bytes)
}

/// Reads blobs in order.
struct Blobs<'a> {
    felts: &'a [u64],
    at: usize,
}

impl Blobs<'_> {
    /// The next blob of `bytes` bytes: its bytes and its slots (for the felts among them).
    fn take(
        &mut self,
        bytes: usize,
        felt_slot: impl Fn(usize) -> bool,
    ) -> Result<(Vec<u8>, &[u64]), CodecError> {
        let n = bytes.div_ceil(4 * CHUNK) * CHUNK;
        let chunk = self
            .felts
            .get(self.at..self.at + n)
            .ok_or_else(|| malformed("result image ends inside a blob"))?;
        self.at += n;
        Ok((unpack_bytes(chunk, bytes, felt_slot)?, chunk))
    }
}

fn bad(e: WasmValueError) -> CodecError {
    malformed(e.to_string())
}

/// Decodes a value of type `ty` from a result image.
///
/// # Errors
/// [`CodecError::Malformed`] for invalid chars, discriminants, UTF-8, non-u32 felts or a blob
/// stream that does not match the lengths.
pub fn decode(ty: &WitType, image: &Image) -> Result<Value, CodecError> {
    let flat = ty.flat();
    let mut slots = Vec::new();
    let mut at = 0;
    for t in &flat {
        let felts = image
            .flat
            .get(at..at + t.felts())
            .ok_or_else(|| malformed("too few result felts"))?;
        slots.push((*t, felts));
        at += t.felts();
    }
    let mut blobs = Blobs {
        felts: &image.blobs,
        at: 0,
    };
    let v = lift_flat(ty, &slots, &mut blobs)?;
    if blobs.at != image.blobs.len() {
        return Err(malformed("unused data after the last blob"));
    }
    Ok(v)
}

fn limb(x: u64) -> Result<u64, CodecError> {
    if x > u64::from(u32::MAX) {
        Err(malformed(format!("felt {x} is not a u32")))
    } else {
        Ok(x)
    }
}

fn lift_flat(
    ty: &WitType,
    slots: &[(FlatType, &[u64])],
    blobs: &mut Blobs,
) -> Result<Value, CodecError> {
    let wt = wave_type(ty);
    let lo = |i: usize| limb(slots[i].1[0]);
    Ok(match ty {
        WitType::String | WitType::List(_) => decode_list(ty, lo(1)? as usize, blobs)?,
        WitType::S64 | WitType::U64 => {
            let x = lo(0)? | (limb(slots[0].1[1])? << 32);
            if *ty == WitType::S64 {
                Value::make_s64(x as i64)
            } else {
                Value::make_u64(x)
            }
        }
        WitType::Felt => Value::make_u64(slots[0].1[0]),
        WitType::F32 => Value::make_f32(f32::from_bits(lo(0)? as u32)),
        WitType::F64 => Value::make_f64(f64::from_bits(lo(0)? | (limb(slots[0].1[1])? << 32))),
        WitType::Record(_) | WitType::Tuple(_) => {
            let mut k = 0;
            let mut vals = Vec::new();
            for f in ty.fields().unwrap() {
                let n = f.flat().len();
                vals.push(lift_flat(f, &slots[k..k + n], blobs)?);
                k += n;
            }
            make_fields(ty, &wt, vals)?
        }
        _ if ty.cases().is_some() => {
            let cases = ty.cases().unwrap();
            let case = lo(0)? as usize;
            let payload_ty = *cases
                .get(case)
                .ok_or_else(|| malformed("invalid variant discriminant"))?;
            let payload = match payload_ty {
                Some(t) => {
                    let own = t.flat();
                    let narrowed: Vec<(FlatType, &[u64])> = own
                        .iter()
                        .zip(&slots[1..])
                        .map(|(t, (_, felts))| (*t, &felts[..t.felts().min(felts.len())]))
                        .collect();
                    Some(lift_flat(t, &narrowed, blobs)?)
                }
                None => None,
            };
            make_case(ty, &wt, case, payload)?
        }
        scalar => scalar_from_u32(scalar, &wt, lo(0)? as u32)?,
    })
}

fn scalar_from_u32(ty: &WitType, wt: &Type, x: u32) -> Result<Value, CodecError> {
    Ok(match ty {
        WitType::Bool => Value::make_bool(x != 0),
        WitType::S8 => Value::make_s8(x as i8),
        WitType::U8 => Value::make_u8(x as u8),
        WitType::S16 => Value::make_s16(x as i16),
        WitType::U16 => Value::make_u16(x as u16),
        WitType::S32 => Value::make_s32(x as i32),
        WitType::U32 => Value::make_u32(x),
        WitType::Char => Value::make_char(
            char::from_u32(x).ok_or_else(|| malformed("invalid char bit pattern"))?,
        ),
        WitType::Flags(names) => Value::make_flags(
            wt,
            names
                .iter()
                .enumerate()
                .filter(|(i, _)| x >> i & 1 == 1)
                .map(|(_, n)| n.as_str()),
        )
        .map_err(bad)?,
        other => return Err(mismatch(other)),
    })
}

fn make_fields(ty: &WitType, wt: &Type, vals: Vec<Value>) -> Result<Value, CodecError> {
    match ty {
        WitType::Record(fields) => {
            Value::make_record(wt, fields.iter().map(|(n, _)| n.as_str()).zip(vals)).map_err(bad)
        }
        _ => Value::make_tuple(wt, vals).map_err(bad),
    }
}

fn make_case(
    ty: &WitType,
    wt: &Type,
    case: usize,
    payload: Option<Value>,
) -> Result<Value, CodecError> {
    match ty {
        WitType::Variant(cases) => Value::make_variant(wt, &cases[case].0, payload).map_err(bad),
        WitType::Enum(names) => Value::make_enum(wt, &names[case]).map_err(bad),
        WitType::Option(_) => {
            Value::make_option(wt, if case == 0 { None } else { payload }).map_err(bad)
        }
        WitType::Result { .. } => {
            Value::make_result(wt, if case == 0 { Ok(payload) } else { Err(payload) }).map_err(bad)
        }
        _ => Err(mismatch(ty)),
    }
}

fn decode_list(ty: &WitType, count: usize, blobs: &mut Blobs) -> Result<Value, CodecError> {
    match ty {
        WitType::String => {
            let (bytes, _) = blobs.take(count, |_| false)?;
            let s = String::from_utf8(bytes).map_err(|_| malformed("invalid utf-8"))?;
            Ok(Value::make_string(Cow::Owned(s)))
        }
        WitType::List(elem) => {
            let size = elem.size() as usize;
            let felt_slots = elem.felt_slots().ok_or_else(|| mismatch(ty))?;
            let is_felt = |i: usize| felt_slots.contains(&((i * 4 % size) as u32));
            let (bytes, slots) = blobs.take(count * size, is_felt)?;
            let slots = slots.to_vec();
            let mut items = Vec::with_capacity(count);
            for i in 0..count {
                let mem = Mem {
                    bytes: &bytes[i * size..(i + 1) * size],
                    slots: &slots[i * size / 4..],
                };
                items.push(load(elem, mem, blobs)?);
            }
            Value::make_list(&wave_type(ty), items).map_err(bad)
        }
        _ => Err(mismatch(ty)),
    }
}

/// A value's bytes in a memory image, with the image's slots from the value's first byte (a
/// felt is read from its slot).
#[derive(Clone, Copy)]
struct Mem<'a> {
    bytes: &'a [u8],
    slots: &'a [u64],
}

impl Mem<'_> {
    /// The part `off` bytes further on.
    fn at(self, off: u32) -> Self {
        Mem {
            bytes: &self.bytes[off as usize..],
            slots: self.slots.get(off as usize / 4..).unwrap_or_default(),
        }
    }
}

/// Reads a value in canonical memory layout (nested lists come from the next blobs).
fn load(ty: &WitType, mem: Mem, blobs: &mut Blobs) -> Result<Value, CodecError> {
    let get = |off: usize, n: usize| {
        let mut w = [0u8; 8];
        w[..n].copy_from_slice(&mem.bytes[off..off + n]);
        u64::from_le_bytes(w)
    };
    let wt = wave_type(ty);
    Ok(match ty {
        WitType::String | WitType::List(_) => decode_list(ty, get(4, 4) as usize, blobs)?,
        WitType::S64 => Value::make_s64(get(0, 8) as i64),
        WitType::U64 => Value::make_u64(get(0, 8)),
        WitType::Record(_) | WitType::Tuple(_) => {
            let mut vals = Vec::new();
            for (f, off) in ty.fields().unwrap().into_iter().zip(ty.field_offsets()) {
                vals.push(load(f, mem.at(off), blobs)?);
            }
            make_fields(ty, &wt, vals)?
        }
        WitType::Felt => Value::make_u64(mem.slots[0]),
        WitType::F32 => Value::make_f32(f32::from_bits(get(0, 4) as u32)),
        WitType::F64 => Value::make_f64(f64::from_bits(get(0, 8))),
        _ if ty.cases().is_some() => {
            let cases = ty.cases().unwrap();
            let case = get(0, WitType::discriminant_size(cases.len()) as usize) as usize;
            let payload_ty = *cases
                .get(case)
                .ok_or_else(|| malformed("invalid variant discriminant"))?;
            let payload = match payload_ty {
                Some(t) => Some(load(t, mem.at(ty.payload_offset()), blobs)?),
                None => None,
            };
            make_case(ty, &wt, case, payload)?
        }
        WitType::Bool => Value::make_bool(mem.bytes[0] != 0),
        scalar => scalar_from_u32(scalar, &wt, get(0, scalar.size() as usize) as u32)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_padded_and_absorbed_pairs_reversed() {
        assert_eq!(pack_bytes(b"hi"), vec![0x6968, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(pack_bytes(&[1; 33]).len(), 16);
        assert!(pack_bytes(&[]).is_empty());
        let entry: Vec<u64> = (0..16).collect();
        assert_eq!(
            digest_order(&entry),
            vec![6, 7, 4, 5, 2, 3, 0, 1, 14, 15, 12, 13, 10, 11, 8, 9]
        );
    }
}
