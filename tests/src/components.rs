//! Differential testing of component exports: midenc on the Miden VM against wasmtime (the
//! PyPI `wasmtime` package driven by `tests/wasmtime_component.py`), one fresh instance per call.

use std::{
    borrow::Cow,
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use midenc_abi::{host::wave_type, WitType};

use crate::trap_kind::TrapKind;
use serde_json::{json, Value as Json};
use wasm_wave::{value::Value, wasm::WasmValue};

/// Builds a component from a core module (WAT) and the WIT world it implements, the way
/// `wasm-tools component new` does (wit-component, metadata embedded first).
pub fn build_component(core_wat: &str, wit: &str, world: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let pkg = resolve
        .push_str("fixture.wit", wit)
        .expect("fixture WIT parses");
    let world = resolve
        .select_world(&[pkg], Some(world))
        .expect("fixture world exists");
    let mut module = wat::parse_str(core_wat).expect("fixture WAT parses");
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .expect("metadata embeds");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("module accepted")
        .validate(true)
        .encode()
        .expect("component encodes")
}

/// The Python interpreter of the project's virtual environment.
pub fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python")
}

/// A WIT value as the JSON the reference runner speaks.
pub fn to_json(ty: &WitType, v: &Value) -> Json {
    match ty {
        WitType::Bool => json!(v.unwrap_bool()),
        WitType::S8 => json!(v.unwrap_s8()),
        WitType::U8 => json!(v.unwrap_u8()),
        WitType::S16 => json!(v.unwrap_s16()),
        WitType::U16 => json!(v.unwrap_u16()),
        WitType::S32 => json!(v.unwrap_s32()),
        WitType::U32 => json!(v.unwrap_u32()),
        WitType::S64 => json!(v.unwrap_s64()),
        WitType::U64 => json!(v.unwrap_u64()),
        // wasmtime sees the `miden:base` felt as `record felt { inner: f32 }`: the felt is the
        // bit pattern of the float (test felts are below 2^32 and not NaN bit patterns).
        WitType::Felt => json!({"inner": {"bits": v.unwrap_u64()}}),
        // Floats travel as their bits (JSON numbers have no NaN or infinity).
        WitType::F32 => json!({"bits": v.unwrap_f32().to_bits()}),
        WitType::F64 => json!({"bits": v.unwrap_f64().to_bits()}),
        WitType::Char => json!(v.unwrap_char().to_string()),
        WitType::String => json!(v.unwrap_string()),
        WitType::List(t) => Json::Array(v.unwrap_list().map(|x| to_json(t, &x)).collect()),
        WitType::Tuple(ts) => Json::Array(
            ts.iter()
                .zip(v.unwrap_tuple())
                .map(|(t, x)| to_json(t, &x))
                .collect(),
        ),
        WitType::Record(fields) => Json::Object(
            fields
                .iter()
                .zip(v.unwrap_record())
                .map(|((n, t), (_, x))| (n.clone(), to_json(t, &x)))
                .collect(),
        ),
        WitType::Flags(_) => Json::Array(v.unwrap_flags().map(|f| json!(f)).collect()),
        _ => {
            let (name, payload, ty_of): (Cow<str>, Option<Cow<Value>>, Option<&WitType>) = match ty
            {
                WitType::Variant(cases) => {
                    let (n, p) = v.unwrap_variant();
                    let t = cases
                        .iter()
                        .find(|(c, _)| *c == n)
                        .and_then(|(_, t)| t.as_ref());
                    (n, p, t)
                }
                WitType::Enum(_) => (v.unwrap_enum(), None, None),
                WitType::Option(t) => match v.unwrap_option() {
                    None => ("none".into(), None, None),
                    Some(p) => ("some".into(), Some(p), Some(t)),
                },
                WitType::Result { ok, err } => match v.unwrap_result() {
                    Ok(p) => ("ok".into(), p, ok.as_deref()),
                    Err(p) => ("err".into(), p, err.as_deref()),
                },
                _ => unreachable!(),
            };
            let value = match (ty_of, payload) {
                (Some(t), Some(p)) => to_json(t, &p),
                _ => Json::Null,
            };
            json!({"case": name, "value": value})
        }
    }
}

/// Rebuilds a WIT value from the reference runner's JSON.
pub fn from_json(ty: &WitType, j: &Json) -> Value {
    let wt = wave_type(ty);
    let int = || {
        j.as_i64()
            .unwrap_or_else(|| j.as_u64().map(|u| u as i64).expect("integer"))
    };
    match ty {
        WitType::Bool => Value::make_bool(j.as_bool().expect("bool")),
        WitType::S8 => Value::make_s8(int() as i8),
        WitType::U8 => Value::make_u8(int() as u8),
        WitType::S16 => Value::make_s16(int() as i16),
        WitType::U16 => Value::make_u16(int() as u16),
        WitType::S32 => Value::make_s32(int() as i32),
        WitType::U32 => Value::make_u32(int() as u32),
        WitType::S64 => Value::make_s64(int()),
        WitType::U64 => Value::make_u64(j.as_u64().expect("u64")),
        WitType::Felt => Value::make_u64(j["inner"]["bits"].as_u64().expect("felt carrier")),
        WitType::F32 => {
            Value::make_f32(f32::from_bits(j["bits"].as_u64().expect("f32 bits") as u32))
        }
        WitType::F64 => Value::make_f64(f64::from_bits(j["bits"].as_u64().expect("f64 bits"))),
        WitType::Char => Value::make_char(j.as_str().and_then(|s| s.chars().next()).expect("char")),
        WitType::String => Value::make_string(Cow::Owned(j.as_str().expect("string").into())),
        WitType::List(t) => Value::make_list(
            &wt,
            j.as_array().expect("list").iter().map(|x| from_json(t, x)),
        )
        .expect("list"),
        WitType::Tuple(ts) => Value::make_tuple(
            &wt,
            ts.iter()
                .zip(j.as_array().expect("tuple"))
                .map(|(t, x)| from_json(t, x)),
        )
        .expect("tuple"),
        WitType::Record(fields) => Value::make_record(
            &wt,
            fields
                .iter()
                .map(|(n, t)| (n.as_str(), from_json(t, &j[n.as_str()]))),
        )
        .expect("record"),
        WitType::Flags(_) => Value::make_flags(
            &wt,
            j.as_array()
                .expect("flags")
                .iter()
                .map(|f| f.as_str().expect("flag name")),
        )
        .expect("flags"),
        _ => {
            let case = j["case"].as_str().expect("case name");
            let payload = |t: Option<&WitType>| t.map(|t| from_json(t, &j["value"]));
            match ty {
                WitType::Variant(cases) => {
                    let t = cases
                        .iter()
                        .find(|(c, _)| c == case)
                        .and_then(|(_, t)| t.as_ref());
                    Value::make_variant(&wt, case, payload(t)).expect("variant")
                }
                WitType::Enum(_) => Value::make_enum(&wt, case).expect("enum"),
                WitType::Option(t) => {
                    Value::make_option(&wt, (case == "some").then(|| from_json(t, &j["value"])))
                        .expect("option")
                }
                WitType::Result { ok, err } => {
                    let r = if case == "ok" {
                        Ok(payload(ok.as_deref()))
                    } else {
                        Err(payload(err.as_deref()))
                    };
                    Value::make_result(&wt, r).expect("result")
                }
                _ => unreachable!(),
            }
        }
    }
}

/// One outcome: the result as WAVE text (empty for none), a classified trap, or a failure that
/// is not a Wasm-defined result (a VM error, a trap no reference could name, a reference
/// error that is not a trap) and therefore never agrees with anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Returned this WAVE text.
    Ok(String),
    /// Trapped: the kind both runtimes can name, and the runtime's own message.
    Trap(TrapKind, String),
    /// Failed in a way that is not a trap of a known kind.
    Failure(String),
}

impl Outcome {
    /// midenc's outcome of a call that failed with `error`.
    pub fn of_midenc_error(error: &midenc::error::DriverError) -> Outcome {
        match error {
            midenc::error::DriverError::Trap { message, .. } => {
                match TrapKind::from_midenc(message) {
                    Some(kind) => Outcome::Trap(kind, message.clone()),
                    None => Outcome::Failure(format!("unclassified midenc trap: {message}")),
                }
            }
            other => Outcome::Failure(format!("VM error: {other}")),
        }
    }

    /// wasmtime's outcome of a call that failed with `message` (its whole error text).
    pub fn of_wasmtime_error(message: &str) -> Outcome {
        let first = message
            .split_once("Caused by:")
            .map_or(message, |(_, cause)| cause)
            .trim()
            .to_string();
        match TrapKind::from_wasmtime(message) {
            Some(kind) => Outcome::Trap(kind, first),
            None => Outcome::Failure(format!("unclassified wasmtime error: {message}")),
        }
    }
}

/// A component that serves the imports of another: the interface it exports (full name), its
/// binary, and the functions of that interface.
pub struct Provider<'a> {
    /// The exported interface, e.g. `test:svc/api@1.0.0`.
    pub interface: &'a str,
    /// Package name midenc gives it.
    pub name: &'a str,
    /// The component binary.
    pub component: &'a [u8],
    /// The interface's function names.
    pub functions: &'a [&'a str],
}

/// Compares midenc and wasmtime on `calls` (`(export, WAVE args)`) of a component binary;
/// returns every disagreement (empty when all agree) and the number of calls.
pub fn differential(component: &[u8], calls: &[(&str, &str)]) -> (Vec<String>, usize) {
    differential_linked(component, &[], calls)
}

/// As [`differential`], for a component whose imports `providers` serve (see
/// [`outcomes_linked`]).
pub fn differential_linked(
    component: &[u8],
    providers: &[Provider<'_>],
    calls: &[(&str, &str)],
) -> (Vec<String>, usize) {
    let outcomes = outcomes_linked(component, providers, calls);
    let mismatches = calls
        .iter()
        .zip(&outcomes)
        .filter(|(_, (mine, theirs))| !agree(mine, theirs))
        .map(|((func, args), (mine, theirs))| {
            format!("{func}({args}): midenc {mine:?}, wasmtime {theirs:?}")
        })
        .collect();
    (mismatches, calls.len())
}

/// Whether two outcomes agree: equal WAVE results, or traps of the same [`TrapKind`] (their
/// messages differ by runtime). A [`Outcome::Failure`] agrees with nothing, itself included.
pub fn agree(mine: &Outcome, theirs: &Outcome) -> bool {
    match (mine, theirs) {
        (Outcome::Ok(a), Outcome::Ok(b)) => a == b,
        (Outcome::Trap(a, _), Outcome::Trap(b, _)) => a == b,
        _ => false,
    }
}

/// Runs `calls` on midenc (the Miden VM) and on wasmtime: `(midenc, wasmtime)` per call.
pub fn outcomes(component: &[u8], calls: &[(&str, &str)]) -> Vec<(Outcome, Outcome)> {
    outcomes_linked(component, &[], calls)
}

/// As [`outcomes`], for a component whose imports `providers` serve. Each provider may import
/// the interfaces of the providers before it (a chain). midenc compiles each provider into a
/// package linked against the earlier ones and runs the component with all of them (`-L`);
/// wasmtime instantiates a fresh provider instance for each import call, as each Miden `call`
/// of a provider's export starts a fresh instance.
pub fn outcomes_linked(
    component: &[u8],
    providers: &[Provider<'_>],
    calls: &[(&str, &str)],
) -> Vec<(Outcome, Outcome)> {
    let dir = tempfile_dir();
    let mut links = midenc_linker::LinkSet::default();
    let mut provider_json = Vec::new();
    for p in providers {
        let path = dir.join(format!("{}.wasm", p.name));
        std::fs::write(&path, p.component).expect("writing a provider");
        let (_, package) = midenc::compile(&midenc::CompileRequest::new(
            &path,
            p.component,
            p.name,
            &links,
        ))
        .unwrap_or_else(|e| panic!("midenc compiles provider {}: {e:?}", p.name));
        links.add(p.name, package).expect("distinct providers");
        provider_json.push(json!({
            "iface": p.interface,
            "path": path.display().to_string(),
            "funcs": p.functions,
        }));
    }
    let path = dir.join("component.wasm");
    std::fs::write(&path, component).expect("writing the component");
    let (_, package) = midenc::compile(&midenc::CompileRequest::new(
        &path, component, "fixture", &links,
    ))
    .unwrap_or_else(|e| panic!("midenc compiles: {e:?}"));
    links
        .check_dependencies("fixture", &package)
        .expect("dependencies are linked");

    let mut requests = Vec::new();
    let mut ours = Vec::new();
    for (func, args) in calls {
        let text = format!("{func}({args})");
        let call = midenc::invoke::parse(&text, &package.manifest)
            .unwrap_or_else(|e| panic!("bad test call {text}: {e}"));
        let sig = call.export.wit.clone().expect("a component export");
        let root = midenc_linker::parse_word(&call.export.mast_root).expect("root");
        let json_args: Vec<Json> = sig
            .params
            .iter()
            .zip(&call.wit_args)
            .map(|((_, t), v)| to_json(t, v))
            .collect();
        requests.push(json!({"func": call.export.name, "args": json_args}));
        ours.push(
            match midenc::vm::call_component_export_linked(
                &package,
                &links,
                root,
                &sig,
                &call.wit_args,
            ) {
                Ok(out) => Outcome::Ok(
                    out.result
                        .map(|v| wasm_wave::to_string(&v).expect("renders"))
                        .unwrap_or_default(),
                ),
                Err(error) => Outcome::of_midenc_error(&error),
            },
        );
    }

    let mut child = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("wasmtime_component.py"))
        .arg(&path)
        .arg(Json::Array(provider_json).to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("running the wasmtime reference (run scripts/setup.sh for .venv)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Json::Array(requests).to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().expect("reference runs");
    assert!(output.status.success(), "the wasmtime reference failed");
    let theirs: Vec<Json> = serde_json::from_slice(&output.stdout).expect("reference JSON");
    assert_eq!(theirs.len(), calls.len());

    let mut out = Vec::new();
    for (((func, args), mine), reference) in calls.iter().zip(ours).zip(&theirs) {
        let export = package
            .manifest
            .exports
            .iter()
            .find(|e| e.name == *func || e.name.ends_with(&format!("#{func}")));
        let sig = export.and_then(|e| e.wit.clone()).expect("signature");
        let expected = if let Some(msg) = reference.get("trap") {
            Outcome::of_wasmtime_error(msg.as_str().unwrap_or_default())
        } else {
            Outcome::Ok(match &sig.result {
                Some(t) => wasm_wave::to_string(&from_json(t, &reference["ok"])).expect("renders"),
                None => String::new(),
            })
        };
        if std::env::var_os("MIDENC_SHOW_OUTCOMES").is_some() {
            eprintln!("{func}({args}): midenc {mine:?}, wasmtime {expected:?}");
        }
        out.push((mine, expected));
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn tempfile_dir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "midenc-components-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The directory of the component fixtures (`tests/fixtures/components/`).
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/components")
}

/// A hand-written test component: `<name>.wat` (the core module) and `<name>.wit` (world
/// `<name>`) in `tests/fixtures/components/`, made into a component.
pub fn wat_component(name: &str) -> Vec<u8> {
    let read = |ext: &str| {
        let path = fixtures_dir().join(format!("{name}.{ext}"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    };
    build_component(&read("wat"), &read("wit"), name)
}

/// A Rust test component: the core module `scripts/build-fixtures.sh` built from
/// `tests/fixtures/components/rust/<name>/` (wit-bindgen embeds its world in a custom section)
/// made into a component by wit-component, as `wasm-tools component new` does.
pub fn rust_component(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(format!("rust/out/{name}.wasm"));
    let module = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "reading {}: {e} (run scripts/build-fixtures.sh)",
            path.display()
        )
    });
    wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("module accepted")
        .validate(true)
        .encode()
        .expect("component encodes")
}

/// Runs [`differential`] on `calls` (`(export, [WAVE argument lists])`), reports the count on
/// standard error (past the test harness's capture, so CI logs show it) and fails on any
/// disagreement. Returns the number of calls.
pub fn assert_agrees(label: &str, component: &[u8], calls: &[(&str, Vec<String>)]) -> usize {
    use std::io::Write as _;
    let flat: Vec<(&str, &str)> = calls
        .iter()
        .flat_map(|(f, sets)| sets.iter().map(move |a| (*f, a.as_str())))
        .collect();
    let (mismatches, n) = differential(component, &flat);
    let _ = writeln!(
        std::io::stderr(),
        "component {label}: {} of {n} calls agree with wasmtime",
        n - mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{label}: {} of {n} calls disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    n
}

/// A text of `n` bytes for transfer tests: ASCII, or (`ascii` false) with a two-byte character
/// wherever it fits every seventh byte, so that felts and chunks hold both kinds.
pub fn sample_text(n: usize, ascii: bool) -> String {
    let mut s = String::new();
    while s.len() < n {
        if !ascii && s.len() + 2 <= n && s.len() % 7 == 3 {
            s.push('é');
        } else {
            s.push((b'a' + (s.len() % 26) as u8) as char);
        }
    }
    s
}
