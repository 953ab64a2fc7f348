//! A WIT world for a package compiled from a core module, which records no WIT of its own.
//!
//! Core exports with `i32`/`i64` parameters and at most one result have an exact WIT
//! counterpart (`s32`/`s64`): the canonical ABI flattens those back to the same core
//! signature, so bindings generated from this world call the package's procedures with
//! exactly the values its exports expect.

use std::path::Path;

use crate::WitError;

/// A core value type of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreScalar {
    /// Wasm `i32`.
    I32,
    /// Wasm `i64`.
    I64,
    /// Wasm `f32`.
    F32,
    /// Wasm `f64`.
    F64,
}

/// One exported core function, as a package manifest records it.
#[derive(Clone, Debug)]
pub struct CoreFunc {
    /// Export name in the module (and manifest).
    pub name: String,
    /// Parameter types, first first.
    pub params: Vec<CoreScalar>,
    /// Result types.
    pub results: Vec<CoreScalar>,
}

/// The WIT world of a core-module package named `package`, and for each function its WIT
/// name paired with its export name.
///
/// # Errors
/// [`WitError::Unsupported`] for exports with more than one result or names that cannot be
/// written as WIT identifiers.
pub fn core_world(
    path: &Path,
    package: &str,
    funcs: &[CoreFunc],
) -> Result<(String, Vec<(String, String)>), WitError> {
    let unsupported = |what: String| WitError::Unsupported {
        path: path.to_path_buf(),
        what,
    };
    let pkg = wit_identifier(package).unwrap_or_else(|| "package".into());
    let mut text = format!("package midenc:{pkg};\n\nworld {pkg} {{\n");
    let mut names = Vec::new();
    for func in funcs {
        let wit = wit_identifier(&func.name).ok_or_else(|| {
            unsupported(format!(
                "export `{}` has no WIT name (WIT identifiers are lower-case words joined by `-`)",
                func.name
            ))
        })?;
        if names.iter().any(|(w, _)| *w == wit) {
            return Err(unsupported(format!(
                "exports `{}` and another map to the same WIT name `{wit}`",
                func.name
            )));
        }
        let params = func
            .params
            .iter()
            .enumerate()
            .map(|(i, t)| format!("p{i}: {}", scalar(*t)))
            .collect::<Vec<_>>()
            .join(", ");
        let result = match func.results.as_slice() {
            [] => String::new(),
            [t] => format!(" -> {}", scalar(*t)),
            _ => {
                return Err(unsupported(format!(
                    "export `{}` returns {} values; WIT functions return one",
                    func.name,
                    func.results.len()
                )))
            }
        };
        text.push_str(&format!("  export {wit}: func({params}){result};\n"));
        names.push((wit, func.name.clone()));
    }
    text.push_str("}\n");
    Ok((text, names))
}

fn scalar(t: CoreScalar) -> &'static str {
    match t {
        CoreScalar::I32 => "s32",
        CoreScalar::I64 => "s64",
        CoreScalar::F32 => "f32",
        CoreScalar::F64 => "f64",
    }
}

/// `sort_sum` → `sort-sum`; `None` when the name cannot be a WIT identifier.
fn wit_identifier(name: &str) -> Option<String> {
    let kebab = name.replace('_', "-");
    let ok = !kebab.is_empty()
        && kebab.split('-').all(|w| {
            !w.is_empty()
                && w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    ok.then_some(kebab)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_exports_become_wit_functions() {
        let f = |name: &str, params, results| CoreFunc {
            name: name.into(),
            params,
            results,
        };
        let (text, names) = core_world(
            Path::new("x.masp"),
            "arith",
            &[
                f(
                    "gcd",
                    vec![CoreScalar::I32, CoreScalar::I32],
                    vec![CoreScalar::I32],
                ),
                f("fact_big", vec![CoreScalar::I64], vec![CoreScalar::I64]),
            ],
        )
        .unwrap();
        assert!(
            text.contains("export gcd: func(p0: s32, p1: s32) -> s32;"),
            "{text}"
        );
        assert!(
            text.contains("export fact-big: func(p0: s64) -> s64;"),
            "{text}"
        );
        assert_eq!(names[1], ("fact-big".to_string(), "fact_big".to_string()));
        let bad = core_world(Path::new("x.masp"), "a", &[f("Add", vec![], vec![])]);
        assert!(matches!(bad, Err(WitError::Unsupported { .. })));
        let two = core_world(
            Path::new("x.masp"),
            "a",
            &[f("pair", vec![], vec![CoreScalar::I32, CoreScalar::I32])],
        );
        assert!(two.unwrap_err().to_string().contains("returns 2 values"));
    }
}
