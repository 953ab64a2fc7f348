//! The prefix generated bindings put on core export symbols, and its removal.
//!
//! A WIT export becomes a core function exported under the WIT name. Some WIT names are also
//! C library symbols that the Rust standard library's `compiler_builtins` defines (`pow`,
//! `sqrt`, `memcpy`, …); the linker then keeps the library's symbol and drops the export.
//! Bindings therefore export every function as [`EXPORT_PREFIX`] + name, and `midenc build`
//! strips the prefix from the module's export section before it checks the module against
//! its world.

use wasm_encoder::{ExportKind, ExportSection, Module, RawSection};
use wasmparser::{ExternalKind, Parser, Payload};

/// The prefix of every core export symbol in generated bindings.
pub const EXPORT_PREFIX: &str = "midenc-export:";

/// The module with [`EXPORT_PREFIX`] removed from its export names, or `None` when no export
/// has it.
///
/// # Errors
/// wasmparser's message for a module that does not parse, or a clash of a stripped name with
/// another export.
pub fn strip_export_prefix(wasm: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let mut module = Module::new();
    let mut stripped = false;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| e.to_string())?;
        if let Payload::ExportSection(reader) = &payload {
            let mut names = std::collections::HashSet::new();
            let mut section = ExportSection::new();
            for export in reader.clone() {
                let export = export.map_err(|e| e.to_string())?;
                let name = match export.name.strip_prefix(EXPORT_PREFIX) {
                    Some(name) => {
                        stripped = true;
                        name
                    }
                    None => export.name,
                };
                if !names.insert(name) {
                    return Err(format!("two exports are named `{name}`"));
                }
                let kind = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => ExportKind::Func,
                    ExternalKind::Table => ExportKind::Table,
                    ExternalKind::Memory => ExportKind::Memory,
                    ExternalKind::Global => ExportKind::Global,
                    ExternalKind::Tag => ExportKind::Tag,
                };
                section.export(name, kind, export.index);
            }
            module.section(&section);
        } else if let Some((id, range)) = payload.as_section() {
            module.section(&RawSection {
                id,
                data: &wasm[range.start as usize..range.end as usize],
            });
        }
    }
    Ok(stripped.then(|| module.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_exports_lose_the_prefix_and_the_rest_is_kept() {
        let wasm = wat::parse_str(
            r#"(module (memory (export "memory") 1)
                 (func (export "midenc-export:pow") (result i32) i32.const 7)
                 (data (i32.const 0) "hi"))"#,
        )
        .unwrap();
        let out = strip_export_prefix(&wasm).unwrap().expect("stripped");
        let names: Vec<String> = Parser::new(0)
            .parse_all(&out)
            .filter_map(|p| match p.unwrap() {
                Payload::ExportSection(r) => Some(
                    r.into_iter()
                        .map(|e| e.unwrap().name.to_string())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(names, ["memory", "pow"]);
        wasmparser::validate(&out).expect("still valid");
        assert!(strip_export_prefix(&wat::parse_str("(module)").unwrap())
            .unwrap()
            .is_none());
    }
}
