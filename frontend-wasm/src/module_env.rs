//! Phase 1: parse and validate a core Wasm module, collecting module-level facts.
//!
//! Input: the module's bytes. Output: [`ModuleInfo`], which borrows function bodies from the
//! input and is what the function translator consults for types, names and exports.
//! Everything wasmparser's validator rejects becomes [`WasmError::Invalid`] with its offset.

use wasmparser::{
    Encoding, ExternalKind, FuncType, FunctionBody, Name, Parser, Payload, ValType, ValidPayload,
    Validator, WasmFeatures,
};

use crate::{
    error::{WasmError, WasmResult},
    layout::{self, GLOBALS_BASE},
    CompileOptions, UnsupportedCode,
};
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
    /// The imported functions, in index order (felt intrinsics are not among them).
    pub imports: Vec<crate::imports::ImportedFunction>,
    /// Imports of felt operations (`crate::felt_intrinsics`), by function index: lowered
    /// inline, never linked.
    pub felt_intrinsics: Vec<(u32, &'static crate::felt_intrinsics::FeltIntrinsic)>,
    /// Function bodies of the defined functions, in index order.
    pub bodies: Vec<FunctionBody<'a>>,
    /// Exported functions, in export-section order.
    pub exports: Vec<Export>,
    /// Whether `f32` values are felts ([`crate::CompileOptions::f32_is_felt`]).
    pub f32_is_felt: bool,
    /// Names from the `name` section, by function index.
    pub func_names: Vec<Option<String>>,
    /// Defined globals, in index order.
    pub globals: Vec<Global>,
    /// The linear memory, if the module defines one.
    pub memory: Option<Memory>,
    /// Data segments, in index order.
    pub data: Vec<DataSegment<'a>>,
    /// The start function, run when an instance is created (here: at the start of each call).
    pub start: Option<u32>,
    /// Tables, in index order.
    pub tables: Vec<Table>,
    /// Element segments, in index order.
    pub elems: Vec<ElemSegment>,
    /// Felts of the passive-segment area handed out so far.
    segment_felts: u32,
}

/// A funcref table. Its size is fixed: growing a table needs reference values, which are not
/// supported.
#[derive(Clone, Debug)]
pub struct Table {
    /// Number of entries.
    pub size: u32,
    /// Element address of entry 0 (see [`crate::layout`]).
    pub base: u32,
    /// Why the table cannot be used (only under [`UnsupportedCode::Trap`]).
    pub unsupported: Option<String>,
}

/// Where a data segment's bytes go.
#[derive(Clone, Copy, Debug)]
pub enum DataMode {
    /// Written into linear memory at this byte offset when the instance is created.
    Active {
        /// Byte offset in linear memory.
        offset: u32,
    },
    /// Kept for `memory.init`, one byte per felt from this element address.
    Passive {
        /// Element address of the first byte.
        addr: u32,
    },
}

/// A data segment.
#[derive(Clone, Debug)]
pub struct DataSegment<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Active or passive.
    pub mode: DataMode,
}

/// Where an element segment's entries go.
#[derive(Clone, Copy, Debug)]
pub enum ElemMode {
    /// Written into a table at this index when the instance is created.
    Active {
        /// The table.
        table: u32,
        /// First entry written.
        offset: u32,
    },
    /// Kept for `table.init`, one entry per [`layout::ENTRY_FELTS`] felts from this address.
    Passive {
        /// Element address of the first entry.
        addr: u32,
    },
    /// Only declares functions for `ref.func`; dropped from the start.
    Declared,
}

/// An element segment of function references.
#[derive(Clone, Debug)]
pub struct ElemSegment {
    /// The functions, `None` for a null reference.
    pub items: Vec<Option<u32>>,
    /// Active, passive or declared.
    pub mode: ElemMode,
    /// Why the segment cannot be used (only under [`UnsupportedCode::Trap`]).
    pub unsupported: Option<String>,
}

/// A defined linear memory (sizes in 64 KiB pages).
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// Initial size.
    pub initial: u32,
    /// Maximum size (65536 when the module gives none).
    pub maximum: u32,
}

/// A defined global and where it lives in Miden memory.
#[derive(Clone, Debug)]
pub struct Global {
    /// Its type.
    pub ty: CoreType,
    /// Its initial value.
    pub init: CoreValue,
    /// Element address of its first felt (the low limb for `i64`).
    pub addr: u32,
    /// Why the global cannot be used, when its type is not supported (only under
    /// [`UnsupportedCode::Trap`]; code that touches it becomes a trap).
    pub unsupported: Option<String>,
}

impl ModuleInfo<'_> {
    /// The signature of function `func`.
    pub fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.func_types[func as usize] as usize]
    }

    /// The felt operation function `func` imports, if it is one.
    pub fn felt_intrinsic(
        &self,
        func: u32,
    ) -> Option<&'static crate::felt_intrinsics::FeltIntrinsic> {
        self.felt_intrinsics
            .iter()
            .find(|(f, _)| *f == func)
            .map(|(_, i)| *i)
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
    /// [`core_type`]: the type code generation holds a value of `ty` as. An `f32` is held like
    /// an `i32` whether it carries a felt (`f32_is_felt`) or a float's bits.
    pub fn core_type(&self, ty: ValType) -> Result<CoreType, String> {
        core_type(ty)
    }

    /// The type an export shows its callers (manifest, `--invoke`): [`ModuleInfo::core_type`],
    /// but a float as itself, unless the module carries felts in `f32`. Both are held alike.
    pub fn interface_type(&self, ty: ValType) -> Result<CoreType, String> {
        interface_type(ty, self.f32_is_felt)
    }

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
        // Floats are held as their bit patterns (`translate/float_ops.rs`).
        ValType::F32 => Ok(CoreType::I32),
        ValType::F64 => Ok(CoreType::I64),
        ValType::V128 => Err("SIMD (v128 values)".into()),
        ValType::Ref(_) => Err("reference types".into()),
    }
}

/// [`ModuleInfo::interface_type`] for a module that carries felts in `f32` or not.
pub fn interface_type(ty: ValType, f32_is_felt: bool) -> Result<CoreType, String> {
    match ty {
        ValType::F32 if f32_is_felt => Ok(CoreType::I32),
        ValType::F32 => Ok(CoreType::F32),
        ValType::F64 => Ok(CoreType::F64),
        other => core_type(other),
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
pub fn parse_module<'a>(wasm: &'a [u8], options: &CompileOptions) -> WasmResult<ModuleInfo<'a>> {
    let mut validator = Validator::new_with_features(WasmFeatures::default());
    let mut info = ModuleInfo {
        types: Vec::new(),
        func_types: Vec::new(),
        num_imported_funcs: 0,
        imports: Vec::new(),
        felt_intrinsics: Vec::new(),
        bodies: Vec::new(),
        exports: Vec::new(),
        f32_is_felt: options.f32_is_felt,
        func_names: Vec::new(),
        globals: Vec::new(),
        memory: None,
        data: Vec::new(),
        start: None,
        tables: Vec::new(),
        elems: Vec::new(),
        segment_felts: 0,
    };
    let trap_mode = options.unsupported == UnsupportedCode::Trap;
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
                info.f32_is_felt |= crate::felt_intrinsics::imports_felts(&reader)?;
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import?;
                    if let Some((ty, intrinsic)) =
                        crate::imports::felt_intrinsic(&info.types, &import, offset)?
                    {
                        // Felts travel in `f32` in a module that computes with them.
                        info.f32_is_felt = true;
                        info.felt_intrinsics
                            .push((info.num_imported_funcs, intrinsic));
                        info.func_types.push(ty);
                        info.num_imported_funcs += 1;
                        continue;
                    }
                    let (ty, imported) = crate::imports::declare(
                        &info.types,
                        info.num_imported_funcs,
                        &import,
                        offset,
                        info.f32_is_felt,
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
                    let at = offset;
                    if info.tables.len() as u32 == layout::MAX_TABLES {
                        return Err(unsupported(
                            format!("more than {} tables", layout::MAX_TABLES),
                            at,
                        ));
                    }
                    let why = if table.ty.element_type != wasmparser::RefType::FUNCREF {
                        Some("tables of non-function references".to_string())
                    } else if table.ty.table64 {
                        Some("64-bit tables".to_string())
                    } else if !matches!(table.init, wasmparser::TableInit::RefNull) {
                        Some("table initializer expressions".to_string())
                    } else if table.ty.initial > u64::from(layout::MAX_TABLE_ENTRIES) {
                        Some(format!(
                            "tables of more than {} entries",
                            layout::MAX_TABLE_ENTRIES
                        ))
                    } else {
                        None
                    };
                    if let (Some(why), false) = (&why, trap_mode) {
                        return Err(unsupported(why.clone(), at));
                    }
                    let base =
                        layout::TABLES_BASE + info.tables.len() as u32 * layout::TABLE_STRIDE;
                    info.tables.push(Table {
                        size: if why.is_some() {
                            0
                        } else {
                            table.ty.initial as u32
                        },
                        base,
                        unsupported: why,
                    });
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader.into_iter_with_offsets() {
                    let (offset, memory) = memory?;
                    if memory.memory64 || memory.shared || info.memory.is_some() {
                        return Err(unsupported("memory64, shared or multiple memories", offset));
                    }
                    if memory.initial > u64::from(crate::layout::MAX_MEMORY_PAGES) {
                        return Err(WasmError::ImplLimit {
                            message: format!(
                                "an initial memory of {} pages (at most {} are supported)",
                                memory.initial,
                                crate::layout::MAX_MEMORY_PAGES
                            ),
                            function: "module".into(),
                            offset,
                        });
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
                    let addr = info
                        .globals
                        .last()
                        .map_or(GLOBALS_BASE, |g: &Global| g.addr + g.ty.felts() as u32);
                    let typed = info
                        .core_type(global.ty.content_type)
                        .map_err(|what| format!("global of {what}"))
                        .and_then(|ty| {
                            const_value(&global.init_expr, &info.globals)
                                .map(|init| (ty, init))
                                .ok_or_else(|| "non-constant global initializer".to_string())
                        });
                    let global = match typed {
                        Ok((ty, init)) => Global {
                            ty,
                            init,
                            addr,
                            unsupported: None,
                        },
                        Err(why) if options.unsupported == UnsupportedCode::Trap => Global {
                            ty: CoreType::I32,
                            init: CoreValue::I32(0),
                            addr,
                            unsupported: Some(why),
                        },
                        Err(why) => return Err(unsupported(why, offset)),
                    };
                    info.globals.push(global);
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
                    let segment =
                        element_segment(&mut info, element).map_err(|why| unsupported(why, offset));
                    let segment = match segment {
                        Ok(segment) => segment,
                        Err(WasmError::Unsupported { feature, .. }) if trap_mode => ElemSegment {
                            items: Vec::new(),
                            mode: ElemMode::Declared,
                            unsupported: Some(feature),
                        },
                        Err(e) => return Err(e),
                    };
                    info.elems.push(segment);
                }
            }
            Payload::DataSection(reader) => {
                for segment in reader.into_iter_with_offsets() {
                    let (offset, segment) = segment?;
                    let at = offset;
                    let mode = match segment.kind {
                        wasmparser::DataKind::Active { offset_expr, .. } => {
                            let Some(CoreValue::I32(start)) =
                                const_value(&offset_expr, &info.globals)
                            else {
                                return Err(unsupported("non-constant data segment offset", at));
                            };
                            DataMode::Active {
                                offset: start as u32,
                            }
                        }
                        wasmparser::DataKind::Passive => {
                            let addr = info
                                .allocate_segment(segment.data.len() as u64)
                                .map_err(|why| unsupported(why, at))?;
                            DataMode::Passive { addr }
                        }
                    };
                    if info.data.len() as u32 == layout::MAX_SEGMENTS {
                        return Err(unsupported("more than 2^19 data segments", at));
                    }
                    info.data.push(DataSegment {
                        bytes: segment.data,
                        mode,
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

impl ModuleInfo<'_> {
    /// Hands out `felts` felts of the passive-segment area.
    fn allocate_segment(&mut self, felts: u64) -> Result<u32, String> {
        let end = u64::from(self.segment_felts) + felts;
        if end > u64::from(layout::SEGMENT_AREA_FELTS) {
            return Err("passive segments larger than 2^27 bytes in all".into());
        }
        let addr = layout::SEGMENT_AREA_BASE + self.segment_felts;
        // Keep every segment word-aligned so entries can be copied as words.
        self.segment_felts = (end as u32).next_multiple_of(4);
        Ok(addr)
    }
}

/// Reads an element segment of function references.
fn element_segment(
    info: &mut ModuleInfo<'_>,
    element: wasmparser::Element<'_>,
) -> Result<ElemSegment, String> {
    let items: Vec<Option<u32>> = match element.items {
        wasmparser::ElementItems::Functions(funcs) => funcs
            .into_iter()
            .map(|f| f.map(Some).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?,
        wasmparser::ElementItems::Expressions(ty, exprs) => {
            if ty != wasmparser::RefType::FUNCREF {
                return Err("element segments of non-function references".into());
            }
            let mut items = Vec::new();
            for expr in exprs {
                let expr = expr.map_err(|e| e.to_string())?;
                let mut ops = expr.get_operators_reader();
                let item = match ops.read().map_err(|e| e.to_string())? {
                    wasmparser::Operator::RefFunc { function_index } => Some(function_index),
                    wasmparser::Operator::RefNull { .. } => None,
                    _ => return Err("element expressions other than ref.func/ref.null".into()),
                };
                items.push(item);
            }
            items
        }
    };
    if info.elems.len() as u32 == layout::MAX_SEGMENTS {
        return Err("more than 2^19 element segments".into());
    }
    let mode = match element.kind {
        wasmparser::ElementKind::Declared => ElemMode::Declared,
        wasmparser::ElementKind::Passive => ElemMode::Passive {
            addr: info.allocate_segment(items.len() as u64 * u64::from(layout::ENTRY_FELTS))?,
        },
        wasmparser::ElementKind::Active {
            table_index,
            offset_expr,
        } => {
            let table = table_index.unwrap_or(0);
            if let Some(why) = &info.tables[table as usize].unsupported {
                return Err(why.clone());
            }
            match const_value(&offset_expr, &info.globals) {
                Some(CoreValue::I32(v)) => ElemMode::Active {
                    table,
                    offset: v as u32,
                },
                _ => return Err("non-constant element offset".into()),
            }
        }
    };
    Ok(ElemSegment {
        items,
        mode,
        unsupported: None,
    })
}

/// The value of a constant expression that is a single `i32.const`, `i64.const`, `f32.const` or
/// `f64.const` (a float as the bits it is held as), or a
/// `global.get` of an earlier global (validation guarantees it is immutable, so its value is
/// its initializer's).
fn const_value(expr: &wasmparser::ConstExpr<'_>, globals: &[Global]) -> Option<CoreValue> {
    let mut ops = expr.get_operators_reader();
    let value = match ops.read().ok()? {
        wasmparser::Operator::I32Const { value } => CoreValue::I32(value),
        wasmparser::Operator::I64Const { value } => CoreValue::I64(value),
        wasmparser::Operator::F32Const { value } => CoreValue::I32(value.bits() as i32),
        wasmparser::Operator::F64Const { value } => CoreValue::I64(value.bits() as i64),
        wasmparser::Operator::GlobalGet { global_index } => {
            let global = globals.get(global_index as usize)?;
            if global.unsupported.is_some() {
                return None;
            }
            global.init
        }
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
