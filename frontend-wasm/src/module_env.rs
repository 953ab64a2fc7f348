//! Phase 1: parse and validate a core Wasm module, collecting module-level facts.
//!
//! Input: the module's bytes. Output: [`ModuleInfo`], which borrows function bodies from the
//! input and is what the function translator consults for types, names and exports.
//! Everything wasmparser's validator rejects becomes [`WasmError::Invalid`] with its offset.

use wasmparser::{
    Encoding, ExternalKind, FuncType, FunctionBody, Name, Parser, Payload, ValType, ValidPayload,
    Validator, WasmFeatures,
};

use crate::error::{WasmError, WasmResult};
use midenc_abi::{CoreType, CoreValue};

/// A function exported by the module.
#[derive(Clone, Debug)]
pub struct Export {
    /// The export name.
    pub name: String,
    /// The exported function's index in the function index space.
    pub func: u32,
}

/// Module-level facts needed to translate function bodies.
pub struct ModuleInfo<'a> {
    /// All function types of the type section.
    pub types: Vec<FuncType>,
    /// Type index of every function, imported ones first.
    pub func_types: Vec<u32>,
    /// Number of imported functions (they come first in the index space).
    pub num_imported_funcs: u32,
    /// The imported functions, in index order.
    pub imports: Vec<crate::imports::ImportedFunction>,
    /// Function bodies of the defined functions, in index order.
    pub bodies: Vec<FunctionBody<'a>>,
    /// Exported functions, in export-section order.
    pub exports: Vec<Export>,
    /// Names from the `name` section, by function index.
    pub func_names: Vec<Option<String>>,
    /// Defined globals, in index order.
    pub globals: Vec<Global>,
    /// The linear memory, if the module defines one.
    pub memory: Option<Memory>,
    /// Active data segments, in order.
    pub data: Vec<DataSegment<'a>>,
    /// The start function, run when an instance is created (here: at the start of each call).
    pub start: Option<u32>,
    /// The function table after active element segments: `None` entries are null.
    pub table: Vec<Option<u32>>,
    /// Whether an element segment fell outside the table (instantiation traps).
    pub table_init_traps: bool,
}

/// First element address of the function table's MAST roots (one word per entry).
pub const TABLE_ROOTS_BASE: u32 = 0x7000_0000;

/// First element address of the function table's type tags (one felt per entry: the canonical
/// type index plus one, 0 for a null entry).
pub const TABLE_TYPES_BASE: u32 = 0x7800_0000;

/// A defined linear memory (sizes in 64 KiB pages).
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// Initial size.
    pub initial: u32,
    /// Maximum size (65536 when the module gives none).
    pub maximum: u32,
}

/// An active data segment with a constant offset.
#[derive(Clone, Debug)]
pub struct DataSegment<'a> {
    /// Byte offset in linear memory.
    pub offset: u32,
    /// The bytes.
    pub bytes: &'a [u8],
}

/// A defined global and where it lives in Miden memory.
#[derive(Clone, Copy, Debug)]
pub struct Global {
    /// Its type.
    pub ty: CoreType,
    /// Its initial value.
    pub init: CoreValue,
    /// Element address of its first felt (the low limb for `i64`).
    pub addr: u32,
}

/// First Miden memory element address used for globals: just above the 4 GiB of Wasm linear
/// memory (which maps to element addresses below 2^30) and below Miden's procedure locals (2^31).
pub const GLOBALS_BASE: u32 = 1 << 30;

/// Element address holding the current linear-memory size in pages.
pub const MEMORY_PAGES_ADDR: u32 = (1 << 30) + (1 << 29) - 4;

impl ModuleInfo<'_> {
    /// The signature of function `func`.
    pub fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.func_types[func as usize] as usize]
    }

    /// A readable name for function `func`: its `name`-section name, else an export name,
    /// else `func[N]`.
    pub fn display_name(&self, func: u32) -> String {
        if let Some(Some(name)) = self.func_names.get(func as usize) {
            return name.clone();
        }
        if let Some(e) = self.exports.iter().find(|e| e.func == func) {
            return e.name.clone();
        }
        format!("func[{func}]")
    }
}

impl ModuleInfo<'_> {
    /// The first type index structurally equal to type `ty` (call_indirect compares these).
    pub fn canonical_type(&self, ty: u32) -> u32 {
        let t = &self.types[ty as usize];
        self.types
            .iter()
            .position(|u| u == t)
            .unwrap_or(ty as usize) as u32
    }
}

/// Maps a Wasm value type to a supported core type, or names the unsupported one.
pub fn core_type(ty: ValType) -> Result<CoreType, String> {
    match ty {
        ValType::I32 => Ok(CoreType::I32),
        ValType::I64 => Ok(CoreType::I64),
        ValType::F32 => Err("f32 values".into()),
        ValType::F64 => Err("f64 values".into()),
        ValType::V128 => Err("SIMD (v128 values)".into()),
        ValType::Ref(_) => Err("reference types".into()),
    }
}

fn unsupported(feature: impl Into<String>, offset: u64) -> WasmError {
    WasmError::Unsupported {
        feature: feature.into(),
        function: "module".into(),
        offset,
    }
}

/// Parses and fully validates `wasm`, returning the facts the translator needs.
///
/// # Errors
/// [`WasmError::Invalid`] for anything the validator rejects; [`WasmError::Unsupported`] for
/// components and for module features midenc does not compile yet.
pub fn parse_module(wasm: &[u8]) -> WasmResult<ModuleInfo<'_>> {
    let mut validator = Validator::new_with_features(WasmFeatures::default());
    let mut info = ModuleInfo {
        types: Vec::new(),
        func_types: Vec::new(),
        num_imported_funcs: 0,
        imports: Vec::new(),
        bodies: Vec::new(),
        exports: Vec::new(),
        func_names: Vec::new(),
        globals: Vec::new(),
        memory: None,
        data: Vec::new(),
        start: None,
        table: Vec::new(),
        table_init_traps: false,
    };
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if let ValidPayload::Func(func, body) = validator.payload(&payload)? {
            let mut func_validator = func.into_validator(Default::default());
            func_validator.validate(&body)?;
        }
        match payload {
            Payload::Version {
                encoding: Encoding::Component,
                range,
                ..
            } => {
                return Err(unsupported(
                    "Wasm components are not compiled yet; pass a core module",
                    range.start,
                ));
            }
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    info.types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import?;
                    let (ty, imported) = crate::imports::declare(
                        &info.types,
                        info.num_imported_funcs,
                        &import,
                        offset as u64,
                    )?;
                    info.func_types.push(ty);
                    info.num_imported_funcs += 1;
                    info.imports.push(imported);
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    info.func_types.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader.into_iter_with_offsets() {
                    let (offset, table) = table?;
                    let supported = table.ty.element_type == wasmparser::RefType::FUNCREF
                        && !table.ty.table64
                        && info.table.is_empty()
                        && matches!(table.init, wasmparser::TableInit::RefNull);
                    if !supported || table.ty.initial > 1 << 20 {
                        return Err(unsupported(
                            "tables other than one funcref table of up to 2^20 entries",
                            offset as u64,
                        ));
                    }
                    info.table = vec![None; table.ty.initial as usize];
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader.into_iter_with_offsets() {
                    let (offset, memory) = memory?;
                    if memory.memory64 || memory.shared || info.memory.is_some() {
                        return Err(unsupported(
                            "memory64, shared or multiple memories",
                            offset as u64,
                        ));
                    }
                    info.memory = Some(Memory {
                        initial: memory.initial as u32,
                        maximum: memory.maximum.map_or(65536, |m| m as u32),
                    });
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader.into_iter_with_offsets() {
                    let (offset, global) = global?;
                    let ty = core_type(global.ty.content_type)
                        .map_err(|what| unsupported(format!("global of {what}"), offset as u64))?;
                    let init = const_value(&global.init_expr).ok_or_else(|| {
                        unsupported("non-constant global initializer", offset as u64)
                    })?;
                    let addr = info
                        .globals
                        .last()
                        .map_or(GLOBALS_BASE, |g: &Global| g.addr + g.ty.felts() as u32);
                    info.globals.push(Global { ty, init, addr });
                }
            }
            Payload::TagSection(reader) => {
                return Err(unsupported(
                    "exception handling (tags)",
                    reader.range().start,
                ));
            }
            Payload::ExportSection(reader) => {
                let range = reader.range();
                for export in reader {
                    let export = export?;
                    if export.kind == ExternalKind::Func {
                        info.exports.push(Export {
                            name: export.name.to_string(),
                            func: export.index,
                        });
                    } else if matches!(
                        export.kind,
                        ExternalKind::Memory | ExternalKind::Table | ExternalKind::Global
                    ) {
                        // Every call gets its own instance state, so exporting memory, a table
                        // or a global shares nothing with the caller: nothing to compile.
                    } else {
                        return Err(unsupported(
                            format!("export `{}` of kind {:?}", export.name, export.kind),
                            range.start,
                        ));
                    }
                }
            }
            Payload::StartSection { func, .. } => info.start = Some(func),
            Payload::ElementSection(reader) => {
                for element in reader.into_iter_with_offsets() {
                    let (offset, element) = element?;
                    let at = offset as u64;
                    let start = match element.kind {
                        wasmparser::ElementKind::Declared => continue,
                        wasmparser::ElementKind::Passive => {
                            return Err(unsupported("passive element segments", at))
                        }
                        wasmparser::ElementKind::Active { offset_expr, .. } => {
                            match const_value(&offset_expr) {
                                Some(CoreValue::I32(v)) => v as u32 as usize,
                                _ => return Err(unsupported("non-constant element offset", at)),
                            }
                        }
                    };
                    let funcs: Vec<u32> = match element.items {
                        wasmparser::ElementItems::Functions(funcs) => {
                            funcs.into_iter().collect::<Result<_, _>>()?
                        }
                        wasmparser::ElementItems::Expressions(..) => {
                            return Err(unsupported("element expressions", at))
                        }
                    };
                    if start + funcs.len() > info.table.len() {
                        info.table_init_traps = true;
                        continue;
                    }
                    for (i, f) in funcs.into_iter().enumerate() {
                        info.table[start + i] = Some(f);
                    }
                }
            }
            Payload::DataSection(reader) => {
                for segment in reader.into_iter_with_offsets() {
                    let (offset, segment) = segment?;
                    let wasmparser::DataKind::Active { offset_expr, .. } = segment.kind else {
                        return Err(unsupported("passive data segments", offset as u64));
                    };
                    let Some(CoreValue::I32(start)) = const_value(&offset_expr) else {
                        return Err(unsupported(
                            "non-constant data segment offset",
                            offset as u64,
                        ));
                    };
                    info.data.push(DataSegment {
                        offset: start as u32,
                        bytes: segment.data,
                    });
                }
            }
            Payload::CodeSectionEntry(body) => info.bodies.push(body),
            Payload::CustomSection(section) => {
                if let wasmparser::KnownCustom::Name(names) = section.as_known() {
                    // A malformed name section is not worth failing a compile over.
                    let _ = read_names(names, &mut info.func_names);
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

/// The value of a constant expression that is a single `i32.const` or `i64.const`.
fn const_value(expr: &wasmparser::ConstExpr<'_>) -> Option<CoreValue> {
    let mut ops = expr.get_operators_reader();
    let value = match ops.read().ok()? {
        wasmparser::Operator::I32Const { value } => CoreValue::I32(value),
        wasmparser::Operator::I64Const { value } => CoreValue::I64(value),
        _ => return None,
    };
    matches!(ops.read().ok()?, wasmparser::Operator::End).then_some(value)
}

fn read_names(
    names: wasmparser::NameSectionReader<'_>,
    out: &mut Vec<Option<String>>,
) -> WasmResult<()> {
    for name in names {
        if let Name::Function(map) = name? {
            for naming in map {
                let naming = naming?;
                let idx = naming.index as usize;
                if out.len() <= idx {
                    out.resize(idx + 1, None);
                }
                out[idx] = Some(naming.name.to_string());
            }
        }
    }
    Ok(())
}
