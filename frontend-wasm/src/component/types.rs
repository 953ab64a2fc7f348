//! WIT types from wit-parser's resolved form to midenc's [`WitType`].
//!
//! Aliases are followed; the Miden `felt` record (`record felt { inner: f32 }` of package
//! `miden:base`) becomes [`WitType::Felt`]; resources, futures, streams, error contexts, maps
//! and fixed-length lists are reported as unsupported.

use midenc_abi::WitType;
use wit_parser::{Resolve, Type, TypeDefKind, TypeOwner};

/// Converts a resolved WIT type, or says which part is unsupported.
pub fn convert(resolve: &Resolve, ty: &Type) -> Result<WitType, String> {
    Ok(match ty {
        Type::Bool => WitType::Bool,
        Type::U8 => WitType::U8,
        Type::S8 => WitType::S8,
        Type::U16 => WitType::U16,
        Type::S16 => WitType::S16,
        Type::U32 => WitType::U32,
        Type::S32 => WitType::S32,
        Type::U64 => WitType::U64,
        Type::S64 => WitType::S64,
        Type::F32 => WitType::F32,
        Type::F64 => WitType::F64,
        Type::Char => WitType::Char,
        Type::String => WitType::String,
        Type::ErrorContext => return Err("WIT `error-context`".into()),
        Type::Id(id) => {
            let def = &resolve.types[*id];
            let sub = |t: &Type| convert(resolve, t);
            match &def.kind {
                TypeDefKind::Type(t) => sub(t)?,
                TypeDefKind::Record(r) => {
                    if is_miden_felt(resolve, def, r) {
                        return Ok(WitType::Felt);
                    }
                    WitType::Record(
                        r.fields
                            .iter()
                            .map(|f| Ok((f.name.clone(), sub(&f.ty)?)))
                            .collect::<Result<_, String>>()?,
                    )
                }
                TypeDefKind::Tuple(t) => {
                    WitType::Tuple(t.types.iter().map(sub).collect::<Result<_, _>>()?)
                }
                TypeDefKind::Variant(v) => WitType::Variant(
                    v.cases
                        .iter()
                        .map(|c| Ok((c.name.clone(), c.ty.as_ref().map(sub).transpose()?)))
                        .collect::<Result<_, String>>()?,
                ),
                TypeDefKind::Enum(e) => {
                    WitType::Enum(e.cases.iter().map(|c| c.name.clone()).collect())
                }
                TypeDefKind::Option(t) => WitType::Option(Box::new(sub(t)?)),
                TypeDefKind::Result(r) => WitType::Result {
                    ok: r.ok.as_ref().map(sub).transpose()?.map(Box::new),
                    err: r.err.as_ref().map(sub).transpose()?.map(Box::new),
                },
                TypeDefKind::Flags(f) => {
                    WitType::Flags(f.flags.iter().map(|f| f.name.clone()).collect())
                }
                TypeDefKind::List(t) => WitType::List(Box::new(sub(t)?)),
                TypeDefKind::Resource | TypeDefKind::Handle(_) => {
                    return Err("WIT resources and handles (`own`/`borrow`)".into())
                }
                TypeDefKind::Future(_) | TypeDefKind::Stream(_) => {
                    return Err("WIT `future`/`stream` (async)".into())
                }
                TypeDefKind::Map(..) => return Err("WIT `map`".into()),
                TypeDefKind::FixedLengthList(..) => return Err("WIT fixed-length lists".into()),
                TypeDefKind::Unknown => return Err("an unresolved WIT type".into()),
            }
        }
    })
}

/// `record felt { inner: f32 }` defined in package `miden:base`.
fn is_miden_felt(resolve: &Resolve, def: &wit_parser::TypeDef, r: &wit_parser::Record) -> bool {
    let in_miden_base = match def.owner {
        TypeOwner::Interface(i) => resolve.interfaces[i].package,
        TypeOwner::World(w) => resolve.worlds[w].package,
        TypeOwner::None => None,
    }
    .is_some_and(|p| {
        let name = &resolve.packages[p].name;
        name.namespace == "miden" && name.name == "base"
    });
    in_miden_base
        && def.name.as_deref() == Some("felt")
        && r.fields.len() == 1
        && r.fields[0].name == "inner"
        && r.fields[0].ty == Type::F32
}
