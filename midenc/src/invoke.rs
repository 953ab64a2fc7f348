//! `--invoke '<func>(<args>)'`: WAVE text to typed arguments, and results back to WAVE.

use midenc_abi::{CoreType, CoreValue};
use midenc_linker::{ComponentManifest, ManifestExport};
use miette::{NamedSource, SourceSpan};
use wasm_wave::{
    untyped::UntypedFuncCall,
    value::{Type, Value},
    wasm::WasmValue,
};

use crate::error::{DriverError, DriverResult};

/// A parsed, type-checked invocation.
pub struct Invocation<'m> {
    /// The export being invoked.
    pub export: &'m ManifestExport,
    /// Its arguments, first first (core-module exports).
    pub args: Vec<CoreValue>,
    /// Its arguments as WIT values (component exports).
    pub wit_args: Vec<Value>,
}

fn wave_type(ty: CoreType) -> Type {
    match ty {
        CoreType::I32 => Type::S32,
        CoreType::I64 => Type::S64,
        CoreType::F32 => Type::F32,
        CoreType::F64 => Type::F64,
    }
}

/// Parses `text` and checks it against the exports of `manifest`.
pub fn parse<'m>(text: &str, manifest: &'m ComponentManifest) -> DriverResult<Invocation<'m>> {
    let error =
        |message: String, span: std::ops::Range<usize>, label: &str, help| DriverError::Invoke {
            message,
            src: NamedSource::new("--invoke", text.to_string()),
            span: SourceSpan::from(span),
            label: label.to_string(),
            help,
        };
    // Export names of core modules are rarely WIT identifiers (`sort_sum`, `ns:pkg/i#f`), so the
    // name is everything before the first `(`; only the argument list is parsed as WAVE.
    let Some(open) = text.find('(') else {
        return Err(error(
            "expected `name(arg, ...)`".into(),
            text.len()..text.len(),
            "missing argument list",
            None,
        ));
    };
    let name = text[..open].trim();
    let name_span = text.find(name).map_or(0..open, |at| at..at + name.len());
    let shifted = format!("f{}", &text[open..]);
    let shift = |span: std::ops::Range<usize>| {
        (span.start + open).saturating_sub(1)..(span.end + open).saturating_sub(1)
    };
    let call = UntypedFuncCall::parse(&shifted).map_err(|e| {
        error(
            e.to_string(),
            shift(e.span()),
            "here",
            Some("the form is `name(arg, ...)`".into()),
        )
    })?;
    let export = find_export(manifest, name).map_err(|why| {
        let names: Vec<&str> = manifest.exports.iter().map(|e| e.name.as_str()).collect();
        error(
            why,
            name_span.clone(),
            "this export",
            Some(format!("exports: {}", names.join(", "))),
        )
    })?;
    let types: Vec<Type> = match &export.wit {
        Some(sig) => sig
            .params
            .iter()
            .map(|(_, t)| midenc_abi::host::wave_type(t))
            .collect(),
        None => export.params.iter().map(|t| wave_type(*t)).collect(),
    };
    let values: Vec<Value> = call.to_wasm_params(types.iter()).map_err(|e| {
        let detail = e
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.kind().to_string());
        error(
            format!("{detail} (`{}` takes {})", export.name, export.signature),
            shift(e.span()),
            "here",
            None,
        )
    })?;
    if export.wit.is_some() {
        return Ok(Invocation {
            export,
            args: Vec::new(),
            wit_args: values,
        });
    }
    let args = export
        .params
        .iter()
        .zip(&values)
        .map(|(ty, v)| match ty {
            CoreType::I32 => CoreValue::I32(v.unwrap_s32()),
            CoreType::I64 => CoreValue::I64(v.unwrap_s64()),
            CoreType::F32 => CoreValue::F32(v.unwrap_f32().to_bits()),
            CoreType::F64 => CoreValue::F64(v.unwrap_f64().to_bits()),
        })
        .collect();
    Ok(Invocation {
        export,
        args,
        wit_args: Vec::new(),
    })
}

/// Finds an export by exact name, by `iface#func` without the package prefix and version, or
/// by a function name that identifies exactly one `iface#func` export (as wasmtime does).
fn find_export<'m>(
    manifest: &'m ComponentManifest,
    name: &str,
) -> Result<&'m ManifestExport, String> {
    if let Some(e) = manifest.exports.iter().find(|e| e.name == name) {
        return Ok(e);
    }
    let short = |full: &str| -> Option<String> {
        // `ns:pkg/iface@ver#f` -> `iface#f`
        let (iface, func) = full.rsplit_once('#')?;
        let iface = iface.rsplit_once('/').map_or(iface, |(_, i)| i);
        let iface = iface.split_once('@').map_or(iface, |(i, _)| i);
        Some(format!("{iface}#{func}"))
    };
    let candidates: Vec<_> = manifest
        .exports
        .iter()
        .filter(|e| {
            e.name.rsplit_once('#').is_some_and(|(_, f)| f == name)
                || (name.contains('#') && short(&e.name).as_deref() == Some(name))
        })
        .collect();
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no export named `{name}`")),
        many => Err(format!(
            "`{name}` is ambiguous: {}",
            many.iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Renders results as one WAVE value: nothing for none, the value for one, a tuple for more.
pub fn render_results(values: &[CoreValue]) -> Option<String> {
    let wave = |v: &CoreValue| match v {
        CoreValue::I32(x) => Value::make_s32(*x),
        CoreValue::I64(x) => Value::make_s64(*x),
        CoreValue::F32(bits) => Value::make_f32(f32::from_bits(*bits)),
        CoreValue::F64(bits) => Value::make_f64(f64::from_bits(*bits)),
    };
    match values {
        [] => None,
        [one] => Some(wasm_wave::to_string(&wave(one)).expect("integers render")),
        many => {
            let items: Vec<String> = many
                .iter()
                .map(|v| wasm_wave::to_string(&wave(v)).expect("integers render"))
                .collect();
            Some(format!("({})", items.join(", ")))
        }
    }
}
