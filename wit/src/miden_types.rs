//! The Miden WIT conventions for field elements: package `miden:base`, interface `core-types`.
//!
//! WIT has no field-element type, so the Miden SDK declares `record felt { inner: f32 }` and
//! `record word { a: felt, b: felt, c: felt, d: felt }`: the `f32` is only a carrier that
//! midenc treats as one felt (`docs/calling-convention.md`). The generated records alone would make users build
//! felts from floats; this module adds the constructors, conversions and (bitwise) equality
//! that make them usable as values.

use wit_bindgen_core::wit_parser::{
    Interface, Resolve, Type, TypeDefKind, TypeId, WorldId, WorldItem,
};

/// The package that defines the Miden core types.
const PACKAGE: (&str, &str) = ("miden", "base");
/// The interface that defines them.
const INTERFACE: &str = "core-types";

/// Whether `ty` is the `miden:base` felt: `record felt { inner: f32 }` in `core-types`.
pub(crate) fn is_felt(resolve: &Resolve, ty: TypeId) -> bool {
    let def = &resolve.types[ty];
    let TypeDefKind::Record(r) = &def.kind else {
        return false;
    };
    def.name.as_deref() == Some("felt")
        && in_core_types(resolve, ty)
        && r.fields.len() == 1
        && r.fields[0].ty == Type::F32
}

fn in_core_types(resolve: &Resolve, ty: TypeId) -> bool {
    let wit_bindgen_core::wit_parser::TypeOwner::Interface(iface) = resolve.types[ty].owner else {
        return false;
    };
    let iface = &resolve.interfaces[iface];
    let Some(pkg) = iface.package else {
        return false;
    };
    let name = &resolve.packages[pkg].name;
    iface.name.as_deref() == Some(INTERFACE)
        && (name.namespace.as_str(), name.name.as_str()) == PACKAGE
}

/// How `word` is laid out in the WIT at hand.
enum WordShape {
    /// `record word { a: felt, b: felt, c: felt, d: felt }` (field names in order).
    Fields([String; 4]),
    /// `record word { inner: tuple<felt, felt, felt, felt> }`.
    Tuple(String),
}

fn word_shape(resolve: &Resolve, ty: TypeId) -> Option<WordShape> {
    let felt = |t: &Type| matches!(t, Type::Id(id) if is_felt(resolve, *id));
    let TypeDefKind::Record(r) = &resolve.types[ty].kind else {
        return None;
    };
    if r.fields.len() == 4 && r.fields.iter().all(|f| felt(&f.ty)) {
        let names = r
            .fields
            .iter()
            .map(|f| rust_field(&f.name))
            .collect::<Vec<_>>();
        return names.try_into().ok().map(WordShape::Fields);
    }
    if let [field] = r.fields.as_slice() {
        if let Type::Id(t) = field.ty {
            if let TypeDefKind::Tuple(tuple) = &resolve.types[t].kind {
                if tuple.types.len() == 4 && tuple.types.iter().all(felt) {
                    return Some(WordShape::Tuple(rust_field(&field.name)));
                }
            }
        }
    }
    None
}

fn rust_field(wit: &str) -> String {
    wit.replace('-', "_")
}

/// Which target a copy of the bindings is compiled for: the felt carrier differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// wasm32 for the Miden VM: `inner` is the `f32` carrier, operations are intrinsics.
    Miden,
    /// The host (unit tests): `inner` is the canonical `u64`, operations are computed natively.
    Host,
}

/// Whether `world` uses the `miden:base` felt (then its bindings get the felt API).
pub(crate) fn uses_felt(resolve: &Resolve, world: WorldId) -> bool {
    felt_interfaces(resolve, world).next().is_some()
}

/// Gives every `miden:base` felt the host carrier: `record felt { inner: u64 }`.
pub(crate) fn use_host_carrier(resolve: &mut Resolve) {
    let felts: Vec<TypeId> = resolve
        .types
        .iter()
        .filter(|(id, _)| is_felt(resolve, *id))
        .map(|(id, _)| id)
        .collect();
    for id in felts {
        if let TypeDefKind::Record(r) = &mut resolve.types[id].kind {
            r.fields[0].ty = Type::U64;
        }
    }
}

/// The interfaces of `world` that define the felt, with the Rust module path of their types.
fn felt_interfaces(
    resolve: &Resolve,
    world: WorldId,
) -> impl Iterator<Item = (String, &Interface)> {
    let w = &resolve.worlds[world];
    let imports = w.imports.values().map(|i| (i, ""));
    let exports = w.exports.values().map(|i| (i, "exports::"));
    imports.chain(exports).filter_map(move |(item, prefix)| {
        let WorldItem::Interface { id, .. } = item else {
            return None;
        };
        let iface = &resolve.interfaces[*id];
        iface
            .types
            .get("felt")
            .is_some_and(|t| is_felt(resolve, *t))
            .then(|| (format!("{prefix}miden::base::core_types"), iface))
    })
}

/// Rust source adding the value API to every generated copy of `felt`/`word` in `world`
/// (`resolve` has the WIT's own `f32` carrier), for bindings compiled for `target`.
///
/// wit-bindgen leaves out types no function uses, so only the records that `generated` (its
/// output) defines get the API.
pub(crate) fn extensions(
    resolve: &Resolve,
    world: WorldId,
    target: Target,
    generated: &str,
) -> String {
    let mut out = String::new();
    let mut any = false;
    if !generated.contains("pub struct Felt {") {
        return out;
    }
    for (module, iface) in felt_interfaces(resolve, world) {
        any = true;
        let word = iface
            .types
            .get("word")
            .and_then(|t| word_shape(resolve, *t))
            .filter(|_| generated.contains("pub struct Word {"));
        emit(&mut out, &module, word, target);
    }
    if any {
        out.push_str(&match target {
            Target::Miden => include_str!("felt_api/support_wasm.rs.in").to_string(),
            Target::Host => include_str!("felt_api/support_host.rs.in").replace(
                "__HOST_FELT__",
                &include_str!("host_felt.rs.in")
                    .replace("\nfn ", "\npub(crate) fn ")
                    .replace("\nconst ", "\npub(crate) const "),
            ),
        });
    }
    out
}

fn emit(out: &mut String, module: &str, word: Option<WordShape>, target: Target) {
    let fill = |template: &str| template.replace("__MODULE__", module);
    out.push('\n');
    out.push_str(&fill(include_str!("felt_api/felt.rs.in")));
    out.push_str(&fill(match target {
        Target::Miden => include_str!("felt_api/felt_wasm.rs.in"),
        Target::Host => include_str!("felt_api/felt_host.rs.in"),
    }));
    let Some(shape) = word else {
        return;
    };
    let (build, split) = match &shape {
        WordShape::Fields([a, b, c, d]) => (
            format!("Self {{ {a}: felts[0], {b}: felts[1], {c}: felts[2], {d}: felts[3] }}"),
            format!("[self.{a}, self.{b}, self.{c}, self.{d}]"),
        ),
        WordShape::Tuple(f) => (
            format!("Self {{ {f}: (felts[0], felts[1], felts[2], felts[3]) }}"),
            format!("[self.{f}.0, self.{f}.1, self.{f}.2, self.{f}.3]"),
        ),
    };
    out.push_str(
        &fill(include_str!("felt_api/word.rs.in"))
            .replace("__WORD_BUILD__", &build)
            .replace("__WORD_SPLIT__", &split),
    );
    // Hashing reads a word as four felts in a row, which only the record of four fields
    // (`#[repr(C)]`) guarantees.
    if matches!(shape, WordShape::Fields(_)) {
        out.push_str(&fill(include_str!("felt_api/word_hash.rs.in")));
        out.push_str(&fill(match target {
            Target::Miden => include_str!("felt_api/word_hash_wasm.rs.in"),
            Target::Host => include_str!("felt_api/word_hash_host.rs.in"),
        }));
    }
}
