//! The Miden WIT conventions for field elements: package `miden:base`, interface `core-types`.
//!
//! WIT has no field-element type, so the Miden SDK declares `record felt { inner: f32 }` and
//! `record word { a: felt, b: felt, c: felt, d: felt }`: the `f32` is only a carrier that
//! midenc treats as one felt (`docs/calling-convention.md`). The generated records alone would make users build
//! felts from floats; this module adds the constructors, conversions and (bitwise) equality
//! that make them usable as values.

use std::fmt::Write;

use wit_bindgen_core::wit_parser::{Resolve, Type, TypeDefKind, TypeId, WorldId, WorldItem};

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

/// Rust source adding the value API to every generated copy of `felt`/`word` in `world`.
pub(crate) fn extensions(resolve: &Resolve, world: WorldId) -> String {
    let w = &resolve.worlds[world];
    let mut out = String::new();
    let sides = [(w.imports.values(), ""), (w.exports.values(), "exports::")];
    for (items, prefix) in sides {
        for item in items {
            let WorldItem::Interface { id, .. } = item else {
                continue;
            };
            let iface = &resolve.interfaces[*id];
            if !iface
                .types
                .get("felt")
                .is_some_and(|t| is_felt(resolve, *t))
            {
                continue;
            }
            let module = format!("{prefix}miden::base::core_types");
            let word = iface
                .types
                .get("word")
                .and_then(|t| word_shape(resolve, *t));
            emit(&mut out, &module, word);
        }
    }
    out
}

fn emit(out: &mut String, module: &str, word: Option<WordShape>) {
    let _ = write!(
        out,
        r#"
/// Field elements as Rust values (Miden conventions for `{module}`).
const _: () = {{
    use {module}::Felt;

    impl Felt {{
        /// The field element with the value `value` (every `u32` is one).
        pub const fn from_u32(value: u32) -> Self {{
            Self {{ inner: f32::from_bits(value) }}
        }}
    }}

    impl From<u32> for Felt {{
        fn from(value: u32) -> Self {{
            Self::from_u32(value)
        }}
    }}

    impl From<bool> for Felt {{
        fn from(value: bool) -> Self {{
            Self::from_u32(value as u32)
        }}
    }}

    /// Felts are equal when their elements are: compared bit for bit, never as floats.
    impl PartialEq for Felt {{
        fn eq(&self, other: &Self) -> bool {{
            self.inner.to_bits() == other.inner.to_bits()
        }}
    }}

    impl Eq for Felt {{}}
}};
"#
    );
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
    let _ = write!(
        out,
        r#"
/// Words (four field elements) as Rust values (Miden conventions for `{module}`).
const _: () = {{
    use {module}::{{Felt, Word}};

    impl Word {{
        /// The word of these four elements, first to last.
        pub const fn new(felts: [Felt; 4]) -> Self {{
            {build}
        }}

        /// The four elements, first to last.
        pub const fn to_array(self) -> [Felt; 4] {{
            {split}
        }}
    }}

    impl From<[Felt; 4]> for Word {{
        fn from(felts: [Felt; 4]) -> Self {{
            Self::new(felts)
        }}
    }}

    impl From<[u32; 4]> for Word {{
        fn from(values: [u32; 4]) -> Self {{
            Self::new(values.map(Felt::from_u32))
        }}
    }}

    impl From<Word> for [Felt; 4] {{
        fn from(word: Word) -> Self {{
            word.to_array()
        }}
    }}
}};
"#
    );
}
