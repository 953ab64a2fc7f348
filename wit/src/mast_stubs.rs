//! A stand-in module for wit-component: `mast:0x…` and `miden:intrinsics/…` imports replaced
//! by trapping functions.
//!
//! A core module may call another package's procedure by MAST root (an import from module
//! `mast:0x<root>`, which midenc compiles to `call.0x<root>`). A component can only import
//! what its WIT world declares, so wit-component rejects such a module. To still check the
//! rest of the module against its world, [`stub_mast_imports`] makes a copy in which each of
//! those imports is a local function whose body is `unreachable`. The copy is only ever
//! checked, never compiled or run.
//!
//! Function indices: imports come first in the index space. The copy keeps the other imports
//! in order, then the stubs (one per removed import, in order), then the module's own
//! functions, whose indices therefore do not change; every reference to an import is
//! renumbered.

use std::convert::Infallible;

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{CodeSection, Function, FunctionSection, Instruction, Module, SectionId};
use wasmparser::{Parser, Payload, TypeRef};

/// The import module prefix of a call by MAST root (as the frontend reads it).
pub const MAST_MODULE_PREFIX: &str = "mast:";

/// The import module prefix of midenc's intrinsics (felt operations), which the frontend
/// compiles inline: like calls by MAST root, nothing a WIT world declares.
pub const INTRINSICS_MODULE_PREFIX: &str = "miden:intrinsics/";

/// Whether an import from `module` is midenc's to resolve rather than the world's.
fn is_stubbed(module: &str) -> bool {
    module.starts_with(MAST_MODULE_PREFIX) || module.starts_with(INTRINSICS_MODULE_PREFIX)
}

/// The module with every function import from a `mast:` module replaced by a local function
/// that traps, or `None` when it has no such import.
///
/// # Errors
/// wasmparser's or wasm-encoder's message for a module that does not parse.
pub fn stub_mast_imports(wasm: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let Some(mut stubber) = Stubber::plan(wasm)? else {
        return Ok(None);
    };
    let mut module = Module::new();
    stubber
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| e.to_string())?;
    Ok(Some(module.finish()))
}

/// The renumbering and the stubs to add.
struct Stubber {
    /// New index of each imported function, by old index.
    imports: Vec<u32>,
    /// Type index of each stub, in order.
    stub_types: Vec<u32>,
    /// Whether the stubs' function entries / bodies were written.
    functions_written: bool,
    code_written: bool,
}

impl Stubber {
    fn plan(wasm: &[u8]) -> Result<Option<Self>, String> {
        let mut kept = Vec::new();
        let mut stubbed = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| e.to_string())? {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.map_err(|e| e.to_string())?;
                        if let TypeRef::Func(ty) | TypeRef::FuncExact(ty) = import.ty {
                            let index = (kept.len() + stubbed.len()) as u32;
                            if is_stubbed(import.module) {
                                stubbed.push((index, ty));
                            } else {
                                kept.push(index);
                            }
                        }
                    }
                }
                Payload::CodeSectionStart { .. } => break,
                _ => {}
            }
        }
        if stubbed.is_empty() {
            return Ok(None);
        }
        let mut imports = vec![0; kept.len() + stubbed.len()];
        for (new, old) in kept.iter().enumerate() {
            imports[*old as usize] = new as u32;
        }
        for (at, (old, _)) in stubbed.iter().enumerate() {
            imports[*old as usize] = (kept.len() + at) as u32;
        }
        Ok(Some(Stubber {
            imports,
            stub_types: stubbed.iter().map(|(_, ty)| *ty).collect(),
            functions_written: false,
            code_written: false,
        }))
    }

    fn write_stub_functions(&mut self, functions: &mut FunctionSection) {
        for ty in &self.stub_types {
            functions.function(*ty);
        }
        self.functions_written = true;
    }

    fn write_stub_bodies(&mut self, code: &mut CodeSection) {
        for _ in &self.stub_types {
            let mut body = Function::new([]);
            body.instruction(&Instruction::Unreachable);
            body.instruction(&Instruction::End);
            code.function(&body);
        }
        self.code_written = true;
    }
}

/// Position of a section in a module (the binary format's order, not its id).
fn position(id: SectionId) -> u8 {
    match id {
        SectionId::Custom => 0,
        SectionId::Type => 1,
        SectionId::Import => 2,
        SectionId::Function => 3,
        SectionId::Table => 4,
        SectionId::Memory => 5,
        SectionId::Tag => 6,
        SectionId::Global => 7,
        SectionId::Export => 8,
        SectionId::Start => 9,
        SectionId::Element => 10,
        SectionId::DataCount => 11,
        SectionId::Code => 12,
        SectionId::Data => 13,
    }
}

impl Reencode for Stubber {
    type Error = Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, reencode::Error<Infallible>> {
        Ok(self.imports.get(func as usize).copied().unwrap_or(func))
    }

    /// Drops the name section: renumbered imports would leave its function names out of
    /// index order, which wit-component rejects, and the copy is only checked.
    fn parse_custom_section(
        &mut self,
        module: &mut Module,
        section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), reencode::Error<Infallible>> {
        if section.name() == "name" {
            return Ok(());
        }
        reencode::utils::parse_custom_section(self, module, section)
    }

    fn parse_import_section(
        &mut self,
        imports: &mut wasm_encoder::ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), reencode::Error<Infallible>> {
        for import in section.into_imports() {
            let import = import?;
            let is_func = matches!(import.ty, TypeRef::Func(_) | TypeRef::FuncExact(_));
            if !(is_func && is_stubbed(import.module)) {
                self.parse_import(imports, import)?;
            }
        }
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), reencode::Error<Infallible>> {
        self.write_stub_functions(functions);
        reencode::utils::parse_function_section(self, functions, section)
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), reencode::Error<Infallible>> {
        self.write_stub_bodies(code);
        reencode::utils::parse_code_section(self, code, section)
    }

    /// A module without functions of its own has no function or code section to add the stubs
    /// to: they get sections of their own, where the binary format puts them.
    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), reencode::Error<Infallible>> {
        let next = before.map_or(u8::MAX, position);
        if !self.functions_written && next > position(SectionId::Function) {
            let mut functions = FunctionSection::new();
            self.write_stub_functions(&mut functions);
            module.section(&functions);
        }
        if !self.code_written && next > position(SectionId::Code) {
            let mut code = CodeSection::new();
            self.write_stub_bodies(&mut code);
            module.section(&code);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "0x0100000000000000020000000000000003000000000000000400000000000000";

    fn wat(text: &str) -> Vec<u8> {
        wat::parse_str(text).unwrap()
    }

    /// What a check of the stubbed module looks at: import modules, exports by function
    /// index, the callees of each body, the element segment's functions, and whether bodies
    /// trap at once.
    #[derive(Default, Debug)]
    struct Seen {
        imports: Vec<String>,
        exports: Vec<(String, u32)>,
        calls: Vec<Vec<u32>>,
        elements: Vec<u32>,
        trapping_bodies: usize,
    }

    fn read(wasm: &[u8]) -> Seen {
        wasmparser::Validator::new().validate_all(wasm).unwrap();
        let mut seen = Seen::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.unwrap() {
                Payload::ImportSection(r) => {
                    for i in r.into_imports() {
                        seen.imports.push(i.unwrap().module.to_string());
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.unwrap();
                        seen.exports.push((e.name.to_string(), e.index));
                    }
                }
                Payload::ElementSection(r) => {
                    for e in r {
                        if let wasmparser::ElementItems::Functions(f) = e.unwrap().items {
                            seen.elements.extend(f.into_iter().map(Result::unwrap));
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let ops: Vec<_> = body
                        .get_operators_reader()
                        .unwrap()
                        .into_iter()
                        .map(Result::unwrap)
                        .collect();
                    if matches!(ops.as_slice(), [wasmparser::Operator::Unreachable, _]) {
                        seen.trapping_bodies += 1;
                    }
                    seen.calls.push(
                        ops.iter()
                            .filter_map(|op| match op {
                                wasmparser::Operator::Call { function_index } => {
                                    Some(*function_index)
                                }
                                _ => None,
                            })
                            .collect(),
                    );
                }
                _ => {}
            }
        }
        seen
    }

    #[test]
    fn mast_imports_become_trapping_functions_and_references_are_renumbered() {
        let module = wat(&format!(
            r#"(module
                 (import "mast:{ROOT}" "triple" (func $triple (param i32) (result i32)))
                 (import "acme:x/api" "keep" (func $keep (param i32) (result i32)))
                 (table 1 funcref)
                 (elem (i32.const 0) func $triple)
                 (func (export "run") (param i32) (result i32)
                   (call $keep (call $triple (local.get 0))))
                 (export "tripled" (func $triple)))"#
        ));
        let stubbed = stub_mast_imports(&module)
            .unwrap()
            .expect("one mast import");
        let seen = read(&stubbed);
        assert_eq!(seen.imports, ["acme:x/api"]);
        // `keep` is now function 0, the stub of `triple` function 1, `run` stays function 2.
        assert_eq!(seen.calls, [vec![], vec![1, 0]]);
        assert_eq!(
            seen.exports,
            [("run".to_string(), 2), ("tripled".to_string(), 1)]
        );
        assert_eq!(seen.elements, [1]);
        assert_eq!(seen.trapping_bodies, 1);
    }

    #[test]
    fn the_copy_has_no_name_section_to_fall_out_of_order() {
        // The stub of `$a` moves after `$b`: names by old index would be out of order.
        let module = wat(&format!(
            r#"(module
                 (import "mast:{ROOT}" "a" (func $a))
                 (import "acme:x/api" "b" (func $b))
                 (func $run (call $a) (call $b)))"#
        ));
        let stubbed = stub_mast_imports(&module)
            .unwrap()
            .expect("one mast import");
        let names = Parser::new(0)
            .parse_all(&stubbed)
            .filter(|p| matches!(p, Ok(Payload::CustomSection(c)) if c.name() == "name"));
        assert_eq!(names.count(), 0);
    }

    #[test]
    fn modules_without_mast_imports_are_left_alone() {
        let module = wat(r#"(module (import "acme:x/api" "f" (func)) (func (export "g")))"#);
        assert_eq!(stub_mast_imports(&module).unwrap(), None);
    }

    #[test]
    fn a_module_of_imports_only_gets_function_and_code_sections() {
        let module = wat(&format!(
            r#"(module (import "mast:{ROOT}" "f" (func $f)) (memory 1) (export "f" (func $f))
                 (data (i32.const 0) "x"))"#
        ));
        let seen = read(&stub_mast_imports(&module).unwrap().unwrap());
        assert!(seen.imports.is_empty());
        assert_eq!(seen.exports, [("f".to_string(), 0)]);
        assert_eq!(seen.trapping_bodies, 1);
    }

    #[test]
    fn malformed_modules_are_errors() {
        assert!(stub_mast_imports(b"\0asm\x01\0\0\0\x02\x05").is_err());
    }
}
