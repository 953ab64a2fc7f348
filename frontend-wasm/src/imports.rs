//! Function imports: which ones midenc can link, and the adapter procedure behind each.
//!
//! Two kinds of import module name are understood:
//! - `mast:0x<64 hex digits>`: a call of the Miden procedure with that MAST root;
//! - a WIT interface name (`ns:pkg/iface` or `ns:pkg/iface@version`): the function
//!   `ns:pkg/iface@version#name`, which the linker binds to the MAST root of a linked package's
//!   export of that name.
//!
//! Every other import is reported as unsupported. Inside the module an imported function is a
//! private procedure like any other (`wasm_fnN`), so direct calls, tables and re-exports need no
//! special case: the adapter converts the internal argument order (last argument on top) to the
//! cross-context convention (first argument on top, `docs/calling-convention.md`), `call`s the
//! root with exactly 16 felts visible, and converts the results back.

use midenc_abi::{felt_count, CoreType, FIELD_MODULUS, MAX_STACK_FELTS};
use wasmparser::{FuncType, TypeRef};

use crate::{
    error::{WasmError, WasmResult},
    masm::{stack_ops, MasmWriter},
    module_env::interface_type,
};

/// Prefix of an import module name that calls a procedure by MAST root.
pub const MAST_IMPORT_PREFIX: &str = "mast:";

/// What an imported function is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportTarget {
    /// A procedure with this MAST root (`0x` + 64 lowercase hex digits).
    MastRoot(String),
    /// The export of some linked package with this full WIT name
    /// (`ns:pkg/iface@version#func`); the linker finds its MAST root.
    Named(String),
}

/// How a caller invokes the procedure an import is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// `call`: the callee runs in a fresh memory context and sees exactly 16 stack felts;
    /// what every midenc export expects.
    Call,
    /// `exec`: the callee runs in the caller's context with the caller's stack, as the Miden
    /// protocol library's procedures (and hand-written MASM libraries) are meant to be run.
    Exec,
}

impl Invocation {
    /// The word the manifest and diagnostics use: `call` or `exec`.
    pub fn as_str(self) -> &'static str {
        match self {
            Invocation::Call => "call",
            Invocation::Exec => "exec",
        }
    }
}

/// What an import is bound to: the MAST root of the procedure and how to invoke it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The procedure's MAST root, `0x` + 64 hex digits.
    pub root: String,
    /// `call` or `exec`.
    pub invocation: Invocation,
}

/// A function import of a compiled module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedFunction {
    /// Its index in the function index space (imports come first).
    pub func: u32,
    /// The Wasm import's module name.
    pub module: String,
    /// The Wasm import's field name.
    pub name: String,
    /// Parameter types, first first.
    pub params: Vec<CoreType>,
    /// Result types, first first.
    pub results: Vec<CoreType>,
    /// What it calls.
    pub target: ImportTarget,
    /// For an import of a component's WIT world: the function's WIT signature. The core
    /// function then has the canonical ABI's lowered type, and the adapter follows the WIT
    /// calling convention (`docs/calling-convention.md`, "Calls out of a package").
    pub wit: Option<midenc_abi::WitSignature>,
}

impl ImportedFunction {
    /// `module::name`, as diagnostics and the manifest show a core import.
    pub fn display_name(&self) -> String {
        format!("{}::{}", self.module, self.name)
    }

    /// The signature as the calling convention sees it: the WIT signature of a component
    /// import, or the core types read as `u32`/`u64` (whose image is the core values' felts).
    pub fn call_signature(&self) -> midenc_abi::WitSignature {
        match &self.wit {
            Some(sig) => sig.clone(),
            None => crate::component::core_signature(&self.params, &self.results),
        }
    }

    /// The felts passed and returned on the stack: the values themselves, or the 5 felts of a
    /// digest and word count where they spill.
    pub fn stack_felts(&self) -> (usize, usize) {
        let sig = self.call_signature();
        (sig.stack_felts_in(), sig.stack_felts_out())
    }

    /// Whether arguments or results travel through the advice map.
    pub fn spills(&self) -> bool {
        let sig = self.call_signature();
        sig.params_spill() || sig.results_spill()
    }
}

/// Parses `0x` + 64 hex digits into the canonical lowercase form, checking that each of the
/// four felts (8 little-endian bytes each) is below the field modulus.
pub fn parse_mast_root(text: &str) -> Result<String, String> {
    let hex = text
        .strip_prefix("0x")
        .ok_or_else(|| "a MAST root is `0x` followed by 64 hex digits".to_string())?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "a MAST root is `0x` followed by 64 hex digits, found {} characters after `0x`",
            hex.len()
        ));
    }
    let hex = hex.to_ascii_lowercase();
    for (i, chunk) in hex.as_bytes().chunks(16).enumerate() {
        let mut bytes = [0u8; 8];
        for (j, pair) in chunk.chunks(2).enumerate() {
            let digits = std::str::from_utf8(pair).expect("ASCII hex");
            bytes[j] = u8::from_str_radix(digits, 16).expect("checked hex");
        }
        if u64::from_le_bytes(bytes) >= FIELD_MODULUS {
            return Err(format!(
                "felt {i} of the MAST root is not below the field modulus"
            ));
        }
    }
    Ok(format!("0x{hex}"))
}

/// Whether `module` is a WIT interface name, `ns:pkg/iface` optionally followed by `@version`.
fn is_wit_interface(module: &str) -> bool {
    let name = module.split_once('@').map_or(module, |(n, _)| n);
    let Some((package, iface)) = name.split_once('/') else {
        return false;
    };
    let Some((ns, pkg)) = package.split_once(':') else {
        return false;
    };
    let ident = |s: &str| {
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    ident(ns) && ident(pkg) && ident(iface)
}

/// What an import with this module and field name binds to, or why it cannot be linked.
pub fn classify(module: &str, name: &str) -> Result<ImportTarget, String> {
    if let Some(root) = module.strip_prefix(MAST_IMPORT_PREFIX) {
        return parse_mast_root(root)
            .map(ImportTarget::MastRoot)
            .map_err(|why| format!("import `{module}::{name}`: {why}"));
    }
    if is_wit_interface(module) {
        return Ok(ImportTarget::Named(format!("{module}#{name}")));
    }
    if module == "$root" {
        return Err(format!(
            "import of world-level function `{name}` (import functions through a WIT \
             interface, whose name says which package provides them)"
        ));
    }
    Err(format!(
        "import `{module}::{name}` (function imports must come from `mast:0x<root>` or a WIT \
         interface such as `ns:pkg/iface@1.0.0`)"
    ))
}

/// The function type an import refers to (the module is not validated yet).
fn import_type(types: &[FuncType], type_index: u32, offset: u64) -> WasmResult<&FuncType> {
    types
        .get(type_index as usize)
        .ok_or_else(|| WasmError::Invalid {
            message: format!("unknown type {type_index}"),
            offset,
        })
}

fn unsupported(feature: String, offset: u64) -> WasmError {
    WasmError::Unsupported {
        feature,
        function: "module".into(),
        offset,
    }
}

/// Reads one import-section entry. Returns the function import (with its type index) when it
/// can be linked; any other import is an `Unsupported` error at `offset`.
pub fn declare(
    types: &[FuncType],
    func: u32,
    import: &wasmparser::Import<'_>,
    offset: u64,
    f32_is_felt: bool,
) -> WasmResult<(u32, ImportedFunction)> {
    let type_index = match import.ty {
        TypeRef::Func(t) | TypeRef::FuncExact(t) => t,
        _ => {
            return Err(unsupported(
                format!("import `{}::{}`", import.module, import.name),
                offset,
            ))
        }
    };
    let target = classify(import.module, import.name).map_err(|why| unsupported(why, offset))?;
    let ty = import_type(types, type_index, offset)?;
    let convert = |tys: &[wasmparser::ValType]| -> WasmResult<Vec<CoreType>> {
        tys.iter()
            .map(|t| {
                let ty = interface_type(*t, f32_is_felt);
                ty.map_err(|what| {
                    unsupported(
                        format!("import `{}::{}` with {what}", import.module, import.name),
                        offset,
                    )
                })
            })
            .collect()
    };
    let imported = ImportedFunction {
        func,
        module: import.module.to_string(),
        name: import.name.to_string(),
        params: convert(ty.params())?,
        results: convert(ty.results())?,
        target,
        wit: None,
    };
    Ok((type_index, imported))
}

/// The felt operation an import names (with its type index), `None` for an import outside
/// the reserved namespace, or an `Unsupported` error naming what is wrong with it.
pub fn felt_intrinsic(
    types: &[FuncType],
    import: &wasmparser::Import<'_>,
    offset: u64,
) -> WasmResult<Option<(u32, &'static crate::felt_intrinsics::FeltIntrinsic)>> {
    if !import
        .module
        .starts_with(crate::felt_intrinsics::INTRINSICS_PREFIX)
    {
        return Ok(None);
    }
    let (TypeRef::Func(type_index) | TypeRef::FuncExact(type_index)) = import.ty else {
        return Err(unsupported(
            format!(
                "import `{}::{}`: not a function",
                import.module, import.name
            ),
            offset,
        ));
    };
    let ty = import_type(types, type_index, offset)?;
    crate::felt_intrinsics::resolve(import.module, import.name, ty)
        .map(|found| found.map(|i| (type_index, i)))
        .map_err(|why| unsupported(why, offset))
}

/// The function imports of `wasm` (parsed, not validated: compilation validates); felt
/// intrinsics are not among them.
///
/// # Errors
/// [`WasmError::Invalid`] for a malformed binary, [`WasmError::Unsupported`] for an import
/// that cannot be linked.
pub fn module_imports(wasm: &[u8]) -> WasmResult<Vec<ImportedFunction>> {
    let mut types = Vec::new();
    let mut imports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload? {
            wasmparser::Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty?);
                }
            }
            wasmparser::Payload::ImportSection(reader) => {
                let felts = crate::felt_intrinsics::imports_felts(&reader)?;
                for (func, import) in (0u32..).zip(reader.into_imports_with_offsets()) {
                    let (offset, import) = import?;
                    if felt_intrinsic(&types, &import, offset)?.is_none() {
                        imports.push(declare(&types, func, &import, offset, felts)?.1);
                    }
                }
            }
            wasmparser::Payload::CodeSectionStart { .. } => break,
            _ => {}
        }
    }
    Ok(imports)
}

/// Writes the adapter procedure `proc_name` for `import`, invoking `binding`'s procedure.
///
/// A `call` sees exactly 16 felts (zeros under the arguments) and leaves 16; an `exec` runs on
/// the caller's stack and must consume its arguments and leave exactly its results, which is
/// the stack effect the procedures of a typed MASM library declare.
pub fn emit_adapter(
    import: &ImportedFunction,
    proc_name: &str,
    binding: &Binding,
    out: &mut MasmWriter,
) -> WasmResult<()> {
    let widths = |tys: &[CoreType]| tys.iter().map(|t| t.felts()).collect::<Vec<_>>();
    let limit = || WasmError::ImplLimit {
        message: format!("import `{}`: signature too wide", import.display_name()),
        function: import.display_name(),
        offset: 0,
    };
    let (p, r) = (felt_count(&import.params), felt_count(&import.results));
    let mut ops = Vec::new();
    // Internal order has the last argument on top; the callee wants the first on top.
    let mut param_widths = widths(&import.params);
    param_widths.reverse();
    ops.extend(stack_ops::reverse_values(&param_widths).ok_or_else(limit)?);
    let root = &binding.root;
    match binding.invocation {
        Invocation::Call => {
            // The callee sees exactly the top 16 felts and overwrites them with its results:
            // put zeros under the arguments so that none of the caller's own values is among
            // them.
            let pad = MAX_STACK_FELTS - p;
            ops.extend(std::iter::repeat_n("padw".to_string(), pad / 4));
            ops.extend(std::iter::repeat_n("push.0".to_string(), pad % 4));
            if pad > 0 {
                ops.extend(std::iter::repeat_n("movup.15".to_string(), p));
            }
            ops.push(format!("call.{root}"));
            // Keep the results, drop the rest of the callee's 16 felts.
            ops.extend(stack_ops::drop_below(r, MAX_STACK_FELTS - r).ok_or_else(limit)?);
        }
        Invocation::Exec => ops.push(format!("exec.{root}")),
    }
    // Results come first-on-top; internally the last result is on top.
    ops.extend(stack_ops::reverse_values(&widths(&import.results)).ok_or_else(limit)?);

    out.linef(format_args!(
        "# import `{}` ({})",
        import.display_name(),
        binding.invocation.as_str()
    ));
    out.open(&format!("pub proc {proc_name}"));
    for op in &ops {
        out.code(op);
    }
    out.close();
    out.blank();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_import_module_names() {
        let root = format!("0x{}", "ab".repeat(4).to_string() + &"00".repeat(28));
        assert_eq!(
            classify(&format!("mast:{root}"), "f"),
            Ok(ImportTarget::MastRoot(root.clone()))
        );
        assert_eq!(
            classify(
                &format!("mast:{}", root.to_uppercase().replace("0X", "0x")),
                "f"
            ),
            Ok(ImportTarget::MastRoot(root))
        );
        assert_eq!(
            classify("acme:bank/api@1.0.0", "deposit"),
            Ok(ImportTarget::Named("acme:bank/api@1.0.0#deposit".into()))
        );
        assert!(classify("env", "f").unwrap_err().contains("`env::f`"));
        assert!(classify("mast:0x12", "f")
            .unwrap_err()
            .contains("64 hex digits"));
        // Each felt must be canonical: 0xffff_ffff_ffff_ffff is not.
        let big = format!("mast:0x{}", "ff".repeat(32));
        assert!(classify(&big, "f").unwrap_err().contains("field modulus"));
    }
}
