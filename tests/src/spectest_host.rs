//! The spec suite's host module `spectest`, provided by rewriting each import from it into a
//! definition with the host's value: `global_i32`/`global_i64` (666), `memory` (1 to 2 pages),
//! `table` (10 to 20 funcref entries) and the `print*` functions (no effect).
//!
//! midenc compiles a module on its own, with function imports only; a module that imports
//! `spectest`'s memory, table or globals is, once instantiated, indistinguishable from one that
//! defines them with those values (nothing else shares them), so the rewrite changes no
//! behaviour the assertions can observe. Imported items come first in their index spaces;
//! rewriting *every* import of a kind keeps every index, so a module is rewritten only when all
//! its imports come from `spectest`.

use wasm_encoder::{
    reencode::{Reencode, RoundtripReencoder},
    ConstExpr, Encode, GlobalType, MemoryType, Module, RawSection, TableType, ValType,
};
use wasmparser::{Parser, Payload, TypeRef};

/// Definitions that replace the imports, in import order per kind.
#[derive(Default)]
struct Provided {
    /// Type indices of the `print*` functions.
    funcs: Vec<u32>,
    tables: Vec<TableType>,
    memories: Vec<MemoryType>,
    globals: Vec<(GlobalType, ConstExpr)>,
}

/// The module with every `spectest` import defined in place, or `None` when it imports
/// nothing from `spectest`, imports from another module too, or imports something `spectest`
/// does not provide in that form (those stay import errors, reported by the compiler).
pub fn provide(wasm: &[u8]) -> Option<Vec<u8>> {
    let provided = provided(wasm)?;
    let mut out = Module::new();
    // Section ids in module order; new sections are inserted before the first later one.
    const ORDER: [u8; 13] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
    let rank = |id: u8| ORDER.iter().position(|x| *x == id).unwrap_or(usize::MAX);
    let mut pending: Vec<(u8, u32, Vec<u8>)> = Vec::new();
    if !provided.funcs.is_empty() {
        let mut entries = Vec::new();
        for ty in &provided.funcs {
            ty.encode(&mut entries);
        }
        pending.push((3, provided.funcs.len() as u32, entries.clone()));
        let mut bodies = Vec::new();
        for _ in &provided.funcs {
            // Body size 2: no locals, `end`.
            bodies.extend_from_slice(&[0x02, 0x00, 0x0b]);
        }
        pending.push((10, provided.funcs.len() as u32, bodies));
    }
    if !provided.tables.is_empty() {
        let mut entries = Vec::new();
        for t in &provided.tables {
            t.encode(&mut entries);
        }
        pending.push((4, provided.tables.len() as u32, entries));
    }
    if !provided.memories.is_empty() {
        let mut entries = Vec::new();
        for m in &provided.memories {
            m.encode(&mut entries);
        }
        pending.push((5, provided.memories.len() as u32, entries));
    }
    if !provided.globals.is_empty() {
        let mut entries = Vec::new();
        for (ty, init) in &provided.globals {
            ty.encode(&mut entries);
            init.encode(&mut entries);
        }
        pending.push((6, provided.globals.len() as u32, entries));
    }

    let emit = |out: &mut Module, id: u8, count: u32, prefix: &[u8], rest: &[u8]| {
        let mut data = Vec::new();
        count.encode(&mut data);
        data.extend_from_slice(prefix);
        data.extend_from_slice(rest);
        out.section(&RawSection { id, data: &data });
    };
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.ok()?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        let content = &wasm[range.start as usize..range.end as usize];
        if id == 0 {
            out.section(&RawSection { id, data: content });
            continue;
        }
        // Sections that come before this one in module order and do not exist yet.
        while let Some(at) = pending
            .iter()
            .position(|(pid, _, _)| rank(*pid) < rank(id) && *pid != id)
        {
            let (pid, count, entries) = pending.remove(at);
            emit(&mut out, pid, count, &entries, &[]);
        }
        match id {
            2 => {} // every import is defined now
            _ => match pending.iter().position(|(pid, _, _)| *pid == id) {
                Some(at) => {
                    let (pid, count, entries) = pending.remove(at);
                    let (old_count, rest) = read_count(content)?;
                    emit(&mut out, pid, count + old_count, &entries, rest);
                }
                None => {
                    out.section(&RawSection { id, data: content });
                }
            },
        }
    }
    for (pid, count, entries) in pending {
        emit(&mut out, pid, count, &entries, &[]);
    }
    Some(out.finish())
}

/// What replaces each import, or `None` when the module cannot be rewritten.
fn provided(wasm: &[u8]) -> Option<Provided> {
    let mut provided = Provided::default();
    let mut any = false;
    for payload in Parser::new(0).parse_all(wasm) {
        let Payload::ImportSection(reader) = payload.ok()? else {
            continue;
        };
        for import in reader.into_imports() {
            let import = import.ok()?;
            if import.module != "spectest" {
                return None;
            }
            any = true;
            match (import.name, import.ty) {
                (name, TypeRef::Func(ty)) if name.starts_with("print") => provided.funcs.push(ty),
                ("table", TypeRef::Table(t)) if t.element_type.is_func_ref() => {
                    let mut table = RoundtripReencoder.table_type(t).ok()?;
                    table.minimum = 10;
                    table.maximum = Some(20);
                    provided.tables.push(table);
                }
                ("memory", TypeRef::Memory(m)) if !m.memory64 && !m.shared => {
                    let mut memory = RoundtripReencoder.memory_type(m).ok()?;
                    memory.minimum = 1;
                    memory.maximum = Some(2);
                    provided.memories.push(memory);
                }
                ("global_i32", TypeRef::Global(g))
                    if !g.mutable && g.content_type == wasmparser::ValType::I32 =>
                {
                    provided
                        .globals
                        .push((global(ValType::I32), ConstExpr::i32_const(666)));
                }
                ("global_i64", TypeRef::Global(g))
                    if !g.mutable && g.content_type == wasmparser::ValType::I64 =>
                {
                    provided
                        .globals
                        .push((global(ValType::I64), ConstExpr::i64_const(666)));
                }
                _ => return None,
            }
        }
    }
    any.then_some(provided)
}

fn global(val_type: ValType) -> GlobalType {
    GlobalType {
        val_type,
        mutable: false,
        shared: false,
    }
}

/// Splits a vector section's content into its element count and the encoded elements.
fn read_count(content: &[u8]) -> Option<(u32, &[u8])> {
    let mut reader = wasmparser::BinaryReader::new(content, 0);
    let count = reader.read_var_u32().ok()?;
    Some((count, &content[reader.original_position() as usize..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_become_definitions_with_the_hosts_values() {
        let wasm = wat::parse_str(
            r#"(module
                (import "spectest" "print_i32" (func $p (param i32)))
                (import "spectest" "global_i32" (global $g i32))
                (import "spectest" "memory" (memory 1))
                (func (export "f") (result i32) (call $p (i32.const 1)) (global.get $g))
                (func (export "size") (result i32) (memory.grow (i32.const 5))))"#,
        )
        .unwrap();
        let rewritten = provide(&wasm).expect("rewritten");
        wasmparser::validate(&rewritten).expect("valid");
        let mut store = wasmi::Store::<()>::default();
        let module = wasmi::Module::new(store.engine(), &rewritten[..]).unwrap();
        let instance = wasmi::Linker::<()>::new(store.engine())
            .instantiate_and_start(&mut store, &module)
            .unwrap();
        let f = instance.get_typed_func::<(), i32>(&store, "f").unwrap();
        assert_eq!(f.call(&mut store, ()).unwrap(), 666);
        // The host's maximum of 2 pages holds: growing by 5 fails.
        let size = instance.get_typed_func::<(), i32>(&store, "size").unwrap();
        assert_eq!(size.call(&mut store, ()).unwrap(), -1);
    }

    #[test]
    fn other_modules_imports_are_left_alone() {
        let wasm = wat::parse_str(
            r#"(module (import "spectest" "global_i32" (global i32))
                       (import "other" "f" (func)))"#,
        )
        .unwrap();
        assert!(provide(&wasm).is_none());
    }
}
