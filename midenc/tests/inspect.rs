//! `midenc inspect`: the JSON output checked against the schema documented in
//! `docs/manifest.md`, a round trip (compile → `inspect --json` → every field matches what was
//! compiled, read back independently with wasmparser and miden-mast-package), and the tables.

mod common;

use common::midenc_output as midenc;

use std::{collections::BTreeSet, path::PathBuf, process::Output};

use miden_assembly::serde::Deserializable;
use miden_mast_package::{Package, PackageExport};
use serde::Deserialize;
use sha2::{Digest, Sha256};

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "midenc failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

/// Compiles the link fixtures c and b (b against c, and b again with its imports unresolved).
fn compiled() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let c = std::fs::read_to_string(repo_file("tests/fixtures/link/c.wat")).unwrap();
    std::fs::write(d.join("c.wat"), c).unwrap();
    ok(midenc(&["compile", "c.wat", "--emit", "masm"], d));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c.manifest.json")).unwrap()).unwrap();
    let root = |name: &str| {
        m["exports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["mast_root"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let b = std::fs::read_to_string(repo_file("tests/fixtures/link/b.wat"))
        .unwrap()
        .replace("{{c:triple}}", &root("triple"))
        .replace("{{c:mix}}", &root("mix"));
    std::fs::write(d.join("b.wat"), b).unwrap();
    ok(midenc(
        &["compile", "b.wat", "-L", "c.masp", "--emit", "masm"],
        d,
    ));
    ok(midenc(
        &["compile", "b.wat", "-o", "ext.masp", "--allow-unresolved"],
        d,
    ));
    let metadata = repo_file("tests/fixtures/contracts/counter/component.toml");
    ok(midenc(
        &[
            "compile",
            "c.wat",
            "-o",
            "acct.masp",
            "--account-component",
            metadata.to_str().unwrap(),
        ],
        d,
    ));
    std::fs::write(d.join("script.wat"), "(module (func (export \"run\")))").unwrap();
    ok(midenc(
        &[
            "compile",
            "script.wat",
            "--tx-script",
            "run",
            "-o",
            "script.masp",
        ],
        d,
    ));
    dir
}

// The schema of docs/manifest.md, written out independently of the types midenc serializes:
// unknown fields are rejected, and `checked` verifies formats and consistency.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    schema: u32,
    name: String,
    version: String,
    world: Option<String>,
    wasm_sha256: String,
    module: String,
    mast_digest: String,
    exports: Vec<Export>,
    imports: Vec<Import>,
    dependencies: Vec<Dependency>,
    memory: Option<Memory>,
    data_segments: Vec<Segment>,
    sizes: Sizes,
    instantiate_mast_root: String,
    kind: String,
    #[serde(default)]
    storage: Vec<StorageSlot>,
    /// Scripts only.
    entry: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageSlot {
    name: String,
    kind: String,
    #[serde(default)]
    description: String,
    /// The slot identifier, `[suffix, prefix]`.
    #[serde(default)]
    id: [u64; 2],
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum Ty {
    I32,
    I64,
    F32,
    F64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Export {
    name: String,
    procedure: String,
    signature: String,
    params: Vec<Ty>,
    results: Vec<Ty>,
    mast_root: String,
    invocation: String,
    stack_felts_in: usize,
    stack_felts_out: usize,
    spills: bool,
    entry_mast_root: String,
    writes_state: bool,
    #[serde(default)]
    wit: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Import {
    module: String,
    name: String,
    kind: String,
    signature: String,
    params: Vec<Ty>,
    results: Vec<Ty>,
    stack_felts_in: usize,
    stack_felts_out: usize,
    spills: bool,
    mast_root: String,
    resolved: Option<Binding>,
    /// Present for component imports; only its presence is checked (the schema).
    #[serde(default)]
    #[allow(dead_code)]
    wit: Option<serde_json::Value>,
    invocation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Binding {
    package: String,
    version: String,
    digest: String,
    export: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Dependency {
    name: String,
    version: String,
    digest: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Memory {
    initial_pages: u32,
    maximum_pages: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Segment {
    offset: u32,
    bytes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sizes {
    masm_bytes: usize,
    mast_nodes: usize,
    procedures: usize,
}

fn is_root(s: &str) -> bool {
    s.len() == 66
        && s.starts_with("0x")
        && s[2..]
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn felts(tys: &[Ty]) -> usize {
    tys.iter()
        .map(|t| if matches!(t, Ty::I32 | Ty::F32) { 1 } else { 2 })
        .sum()
}

fn signature(params: &[Ty], results: &[Ty]) -> String {
    let list = |t: &[Ty]| {
        t.iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match results.len() {
        0 => format!("({})", list(params)),
        1 => format!("({}) -> {}", list(params), list(results)),
        _ => format!("({}) -> ({})", list(params), list(results)),
    }
}

/// Parses `json` with the schema types and checks every format rule of the documentation.
fn checked(json: &str) -> Manifest {
    let m: Manifest = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}\n{json}"));
    assert_eq!(m.schema, 3);
    match m.kind.as_str() {
        "library" => assert!(m.storage.is_empty() && m.entry.is_none()),
        "account-component" => assert!(!m.storage.is_empty() && m.entry.is_none()),
        "note-script" | "transaction-script" => {
            let entry = m.entry.as_deref().expect("a script names its entry");
            assert!(m.exports.iter().any(|e| e.name == entry), "{entry}");
        }
        other => panic!("kind {other}"),
    }
    for slot in &m.storage {
        assert!(slot.name.contains("::"), "{}", slot.name);
        assert!(
            matches!(slot.kind.as_str(), "value" | "map"),
            "{}",
            slot.kind
        );
        assert!(slot.description.is_ascii());
        assert_ne!(slot.id, [0, 0], "{}: a hashed name", slot.name);
    }
    assert!(!m.name.is_empty() && m.version.split('.').count() == 3);
    assert!(m.world.is_none(), "core modules have no world");
    assert!(m.wasm_sha256.len() == 64 && m.wasm_sha256.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!m.module.is_empty());
    assert!(is_root(&m.mast_digest));
    assert!(is_root(&m.instantiate_mast_root));
    for e in &m.exports {
        assert!(!e.name.is_empty() && !e.procedure.is_empty());
        assert!(is_root(&e.mast_root), "{}", e.mast_root);
        assert!(
            e.entry_mast_root.is_empty() == e.wit.is_some(),
            "core exports have an entry, component exports do not"
        );
        assert!(e.entry_mast_root.is_empty() || is_root(&e.entry_mast_root));
        assert!(!e.writes_state || !e.entry_mast_root.is_empty());
        assert_eq!(e.invocation, "call");
        assert_eq!(e.signature, signature(&e.params, &e.results));
        assert_eq!(e.stack_felts_in, felts(&e.params));
        assert_eq!(e.stack_felts_out, felts(&e.results));
        assert!(e.stack_felts_in <= 16 && e.stack_felts_out <= 16 && !e.spills);
    }
    for i in &m.imports {
        assert!(matches!(i.kind.as_str(), "mast" | "named"), "{}", i.kind);
        assert!(
            matches!(i.invocation.as_str(), "call" | "exec"),
            "{}",
            i.invocation
        );
        if i.kind == "mast" {
            assert_eq!(i.module, format!("mast:{}", i.mast_root));
        }
        assert!(!i.name.is_empty() && is_root(&i.mast_root));
        assert_eq!(i.signature, signature(&i.params, &i.results));
        assert_eq!(i.stack_felts_in, felts(&i.params));
        assert_eq!(i.stack_felts_out, felts(&i.results));
        assert!(!i.spills);
        if let Some(b) = &i.resolved {
            assert!(!b.package.is_empty() && !b.export.is_empty() && is_root(&b.digest));
            assert!(m
                .dependencies
                .iter()
                .any(|d| d.name == b.package && d.version == b.version && d.digest == b.digest));
        }
    }
    for d in &m.dependencies {
        assert!(!d.name.is_empty() && d.version.split('.').count() == 3 && is_root(&d.digest));
    }
    if let Some(mem) = &m.memory {
        assert!(mem.initial_pages <= mem.maximum_pages && mem.maximum_pages <= 65536);
    }
    for s in &m.data_segments {
        assert!(u64::from(s.offset) + u64::from(s.bytes) <= 1 << 32);
    }
    assert!(m.sizes.masm_bytes > 0 && m.sizes.mast_nodes > 0 && m.sizes.procedures > 0);
    m
}

/// Every key of every object in `v`.
fn keys(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

/// The field names in the first column of the manifest's tables in docs/manifest.md (the
/// trap table at its end is another package section, which `inspect` does not print).
fn documented_fields() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(repo_file("docs/manifest.md")).unwrap();
    let manifest = doc.split("\n## Trap table").next().unwrap();
    let mut fields = BTreeSet::new();
    for line in manifest.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split('|').nth(1).unwrap();
        for part in cell.split('`').skip(1).step_by(2) {
            fields.insert(part.to_string());
        }
    }
    fields
}

#[test]
fn inspect_json_follows_the_documented_schema() {
    let dir = compiled();
    let d = dir.path();
    let mut seen = BTreeSet::new();
    let mut nulls = BTreeSet::new();
    for pkg in [
        "c.masp",
        "b.masp",
        "ext.masp",
        "c.manifest.json",
        "acct.masp",
        "script.masp",
    ] {
        let json = ok(midenc(&["inspect", pkg, "--json"], d));
        checked(&json);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        keys(&value, &mut seen);
        let text = value.to_string();
        for field in ["\"resolved\":null", "\"memory\":null", "\"world\":null"] {
            if text.contains(field) {
                nulls.insert(field);
            }
        }
    }
    // The fixtures exercise every field (and each nullable one as null), and the documentation
    // lists exactly the fields that occur.
    assert_eq!(nulls.len(), 3, "{nulls:?}");
    // `wit` appears only on component exports and imports, which these core fixtures do not
    // have.
    seen.insert("wit".to_string());
    let documented = documented_fields();
    assert_eq!(
        seen, documented,
        "docs/manifest.md and the real output disagree"
    );
}

#[test]
fn round_trip_every_field_matches_what_was_compiled() {
    let dir = compiled();
    let d = dir.path();
    let via_package = ok(midenc(&["inspect", "b.masp", "--json"], d));
    let via_file = ok(midenc(&["inspect", "b.manifest.json", "--json"], d));
    assert_eq!(via_package, via_file);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&via_package).unwrap(),
        serde_json::from_str::<serde_json::Value>(
            &std::fs::read_to_string(d.join("b.manifest.json")).unwrap()
        )
        .unwrap()
    );

    let c_package = Package::read_from_bytes(&std::fs::read(d.join("c.masp")).unwrap()).unwrap();
    for name in ["c", "b"] {
        let m = checked(&ok(midenc(
            &["inspect", &format!("{name}.masp"), "--json"],
            d,
        )));
        let wasm = wat::parse_file(d.join(format!("{name}.wat"))).unwrap();
        let package =
            Package::read_from_bytes(&std::fs::read(d.join(format!("{name}.masp"))).unwrap())
                .unwrap();
        let masm = std::fs::read_to_string(d.join(format!("{name}.masm"))).unwrap();

        assert_eq!(m.name, name);
        assert_eq!(m.name, package.name.to_string());
        assert_eq!(m.version, "0.1.0");
        assert_eq!(m.version, package.version.to_string());
        assert_eq!(m.module, name);
        assert_eq!(m.wasm_sha256, format!("{:x}", Sha256::digest(&wasm)));
        assert_eq!(m.mast_digest, package.digest().to_hex());
        let forest = package.mast.mast_forest();
        assert_eq!(m.sizes.masm_bytes, masm.len());
        assert_eq!(m.sizes.mast_nodes, forest.num_nodes() as usize);
        assert_eq!(m.sizes.procedures, forest.num_procedures() as usize);

        // Exports, imports, memory and data as wasmparser reads them from the input.
        let mut types = Vec::new();
        let mut func_types = Vec::new();
        let mut wasm_exports = Vec::new();
        let mut wasm_imports = Vec::new();
        let mut memory = None;
        let mut segments = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
            match payload.unwrap() {
                wasmparser::Payload::TypeSection(r) => {
                    types.extend(r.into_iter_err_on_gc_types().map(Result::unwrap))
                }
                wasmparser::Payload::ImportSection(r) => {
                    for i in r.into_imports() {
                        let i = i.unwrap();
                        let wasmparser::TypeRef::Func(t) = i.ty else {
                            panic!()
                        };
                        func_types.push(t);
                        wasm_imports.push((i.module.to_string(), i.name.to_string(), t));
                    }
                }
                wasmparser::Payload::FunctionSection(r) => {
                    func_types.extend(r.into_iter().map(Result::unwrap))
                }
                wasmparser::Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.unwrap();
                        wasm_exports.push((e.name.to_string(), e.index));
                    }
                }
                wasmparser::Payload::MemorySection(r) => {
                    let mem = r.into_iter().next().unwrap().unwrap();
                    memory = Some((mem.initial as u32, mem.maximum.map_or(65536, |m| m as u32)));
                }
                wasmparser::Payload::DataSection(r) => {
                    for s in r {
                        let s = s.unwrap();
                        let wasmparser::DataKind::Active { offset_expr, .. } = s.kind else {
                            panic!()
                        };
                        let mut ops = offset_expr.get_operators_reader();
                        let wasmparser::Operator::I32Const { value } = ops.read().unwrap() else {
                            panic!()
                        };
                        segments.push((value as u32, s.data.len() as u32));
                    }
                }
                _ => {}
            }
        }
        let tys = |t: &[wasmparser::ValType]| -> Vec<Ty> {
            t.iter()
                .map(|v| match v {
                    wasmparser::ValType::I32 => Ty::I32,
                    wasmparser::ValType::F32 => Ty::F32,
                    wasmparser::ValType::F64 => Ty::F64,
                    _ => Ty::I64,
                })
                .collect()
        };
        let package_roots: Vec<(String, String)> = package
            .manifest
            .exports()
            .filter_map(|e| match e {
                PackageExport::Procedure(p) => Some((p.path.to_string(), p.digest.to_hex())),
                _ => None,
            })
            .collect();
        assert_eq!(m.exports.len(), wasm_exports.len());
        for (e, (wasm_name, func)) in m.exports.iter().zip(&wasm_exports) {
            let ty = &types[func_types[*func as usize] as usize];
            assert_eq!(&e.name, wasm_name);
            assert_eq!(e.params, tys(ty.params()));
            assert_eq!(e.results, tys(ty.results()));
            // The root is the one the Miden package itself gives for that procedure.
            let path_root = package_roots
                .iter()
                .find(|(path, _)| path.ends_with(&format!("::{}", e.procedure)))
                .unwrap_or_else(|| panic!("{} not in {package_roots:?}", e.procedure));
            assert_eq!(e.mast_root, path_root.1);
        }
        assert_eq!(
            m.memory
                .as_ref()
                .map(|m| (m.initial_pages, m.maximum_pages)),
            memory
        );
        let seg: Vec<(u32, u32)> = m
            .data_segments
            .iter()
            .map(|s| (s.offset, s.bytes))
            .collect();
        assert_eq!(seg, segments);

        assert_eq!(m.imports.len(), wasm_imports.len());
        for (i, (module, field, t)) in m.imports.iter().zip(&wasm_imports) {
            assert_eq!((&i.module, &i.name), (module, field));
            assert_eq!(i.kind, "mast");
            let ty = &types[*t as usize];
            assert_eq!(i.params, tys(ty.params()));
            assert_eq!(i.results, tys(ty.results()));
            assert!(c_package.manifest.exports().any(|e| matches!(e,
                PackageExport::Procedure(p) if p.digest.to_hex() == i.mast_root)));
            let b = i.resolved.as_ref().unwrap();
            assert_eq!((b.package.as_str(), b.version.as_str()), ("c", "0.1.0"));
            assert_eq!(b.digest, c_package.digest().to_hex());
        }
        let deps: Vec<(String, String, String)> = package
            .manifest
            .dependencies()
            .map(|d| (d.name.to_string(), d.version.to_string(), d.digest.to_hex()))
            .collect();
        let listed: Vec<(String, String, String)> = m
            .dependencies
            .iter()
            .map(|d| (d.name.clone(), d.version.clone(), d.digest.clone()))
            .collect();
        assert_eq!(deps, listed);
        assert_eq!(listed.len(), usize::from(name == "b"));
    }
}

#[test]
fn inspect_prints_tables() {
    let dir = compiled();
    let d = dir.path();
    let json: serde_json::Value =
        serde_json::from_str(&ok(midenc(&["inspect", "b.masp", "--json"], d))).unwrap();
    let text = ok(midenc(&["inspect", "b.masp"], d));
    assert!(
        text.starts_with("package   b 0.1.0 (manifest schema 3)\nkind      library\n"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("acme:chain/b@1.0.0#mixplus"))
        .unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let root = json["exports"][1]["mast_root"].as_str().unwrap();
    assert_eq!(
        cells,
        [
            "acme:chain/b@1.0.0#mixplus",
            "(i32, i64, i32) -> i64",
            "4 / 2",
            "no",
            "call",
            root
        ]
    );
    assert!(
        text.contains("imports (2)") && text.contains("`mix` in c 0.1.0"),
        "{text}"
    );
    assert!(text.contains("dependencies (1)"), "{text}");
    let c_text = ok(midenc(&["inspect", "c.masp"], d));
    assert!(
        c_text.contains("memory    1 pages initial, 65536 pages maximum"),
        "{c_text}"
    );
    assert!(
        c_text.contains("data segments (1)") && c_text.contains("0x10    4"),
        "{c_text}"
    );
    let size = std::fs::metadata(d.join("c.masp")).unwrap().len();
    assert!(
        c_text.contains(&format!("package {size} bytes")),
        "{c_text}"
    );
}

#[test]
fn inspect_rejects_what_is_not_a_manifest() {
    let dir = compiled();
    let d = dir.path();
    std::fs::write(d.join("x.json"), "{\"schema\": 2}").unwrap();
    let o = midenc(&["inspect", "x.json"], d);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("`x.json` is not a component manifest: missing field"),
        "{err}"
    );
    let o = midenc(&["inspect", "c.wat"], d);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("expected a package (`.masp`) or a manifest")
    );
    assert_ne!(o.status.code(), Some(101));
}
