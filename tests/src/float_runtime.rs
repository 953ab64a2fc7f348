//! The soft-float runtime's MASM (`frontend-wasm/src/float.masm`) from its Wasm build
//! (`float-rt/out/float_rt.wasm`, by `scripts/build-float-rt.sh`): what the `float_runtime`
//! binary writes and the test suite checks the committed file against.
//!
//! The runtime's functions become procedures `float_fn<N>` (function N of the runtime module),
//! and each export (`f64_add`, …) a procedure that runs its function: what the translator
//! executes for the operator, with the operands as a Wasm call passes them (bit patterns: an
//! `f32` as one u32, an `f64` as an `i64`).

use midenc_frontend_wasm::{compile_module, Request};

/// The runtime's Wasm build, relative to the repository root.
pub const WASM: &str = "float-rt/out/float_rt.wasm";
/// The generated runtime, relative to the repository root.
pub const MASM: &str = "frontend-wasm/src/float.masm";

/// The runtime library text: every function as `float_fn<N>`, then one procedure per export.
pub fn runtime_text(wasm: &[u8]) -> Result<String, String> {
    let compiled = compile_module(&Request::new(wasm)).map_err(|e| e.to_string())?;
    let mut out = String::from(
        "# The soft-float runtime: float-rt/ compiled by midenc (tests/src/bin/float_runtime.rs).\n\
         # Generated; do not edit.\n",
    );
    for module in compiled
        .modules
        .iter()
        .filter(|m| m.name.starts_with("midenc_part"))
    {
        for line in module.body.lines() {
            if line.starts_with("use ") || line.starts_with('#') {
                continue;
            }
            let line = line.replace("pub proc ", "proc ");
            let line = strip_module_paths(&line).replace("wasm_fn", "float_fn");
            out.push_str(&line);
            out.push('\n');
        }
    }
    for (name, func) in exports(wasm)? {
        out.push_str(&format!("\nproc {name}\n    exec.float_fn{func}\nend\n"));
    }
    if out.contains("mem_") {
        return Err("the runtime must not use linear memory (it shares the program's)".into());
    }
    Ok(out)
}

/// `line` with `midenc_part<K>::` and `midenc_rt::` removed: every procedure the runtime runs
/// lives in the one runtime module.
fn strip_module_paths(line: &str) -> String {
    let mut out = line.replace("midenc_rt::", "");
    while let Some(at) = out.find("midenc_part") {
        let rest = &out[at..];
        let end = rest.find("::").map_or(rest.len(), |i| i + 2);
        out.replace_range(at..at + end, "");
    }
    out
}

/// The runtime's function exports: name and function index.
fn exports(wasm: &[u8]) -> Result<Vec<(String, u32)>, String> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ExportSection(reader) = payload.map_err(|e| e.to_string())? {
            for export in reader {
                let export = export.map_err(|e| e.to_string())?;
                if export.kind == wasmparser::ExternalKind::Func {
                    out.push((export.name.to_string(), export.index));
                }
            }
        }
    }
    Ok(out)
}
