//! A package written by `midenc` is an ordinary Miden package: it loads with plain
//! `miden-mast-package` deserialization, and its exports run under `miden-processor` with the
//! roots taken from the package's own (Miden) manifest. Only the `midenc` binary is used, to
//! produce the files; from there on no midenc code is involved.

use std::{path::Path, process::Command, sync::Arc};

use miden_assembly::{serde::Deserializable, Assembler, DefaultSourceManager};
use miden_core_lib::CoreLibrary;
use miden_mast_package::{Package, PackageExport, Word};
use miden_processor::{DefaultHost, FastProcessor, Felt, HostLibrary, StackInputs};

fn compile(dir: &Path, args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_midenc"))
        .arg("compile")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn load(path: &Path) -> Package {
    Package::read_from_bytes(&std::fs::read(path).unwrap()).expect("a plain Miden package")
}

/// The MAST root of the exported procedure whose path ends in `::name`, from the Miden manifest.
fn export_root(package: &Package, name: &str) -> Word {
    package
        .manifest
        .exports()
        .find_map(|e| match e {
            PackageExport::Procedure(p) if p.path.to_string().ends_with(&format!("::{name}")) => {
                Some(p.digest)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no export {name}"))
}

/// Runs `begin call.<root> end` with `inputs` (first on top) and the packages' forests loaded;
/// returns the top `n` output felts.
fn run(packages: &[&Package], root: Word, inputs: &[u64], n: usize) -> Vec<u64> {
    let program = Assembler::new(Arc::new(DefaultSourceManager::default()))
        .assemble_program(format!("begin call.{} end", root.to_hex()))
        .unwrap();
    let mut host = DefaultHost::default();
    host.load_library(HostLibrary {
        mast_forest: packages[0].mast.mast_forest().clone(),
        handlers: CoreLibrary::default().handlers(),
    })
    .unwrap();
    for p in &packages[1..] {
        host.load_library(p.mast.mast_forest().clone()).unwrap();
    }
    let felts: Vec<Felt> = inputs.iter().map(|v| Felt::new(*v).unwrap()).collect();
    let out = FastProcessor::new(StackInputs::new(&felts).unwrap())
        .execute_sync(&program, &mut host)
        .unwrap();
    out.stack
        .iter()
        .take(n)
        .map(|f| f.as_canonical_u64())
        .collect()
}

#[test]
fn midenc_packages_load_and_run_with_miden_crates_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/link");
    std::fs::copy(fixtures.join("c.wat"), d.join("c.wat")).unwrap();
    compile(d, &["c.wat"]);
    let c = load(&d.join("c.masp"));
    assert_eq!(c.name.to_string(), "c");

    // triple(14) = 42 (the factor 3 comes from c's data segment, set up inside the call).
    assert_eq!(run(&[&c], export_root(&c, "triple"), &[14], 1), [42]);
    // mix(5, 2^32 + 1, 2) = (2^32 + 6, -3): i64 as two u32 limbs, low limb on top.
    assert_eq!(
        run(&[&c], export_root(&c, "mix"), &[5, 1, 1, 2], 3),
        [6, 1, u64::from(-3i32 as u32)]
    );

    // A package with a `mast:` import runs once its dependency's forest is in the host too.
    let b = std::fs::read_to_string(fixtures.join("b.wat"))
        .unwrap()
        .replace("{{c:triple}}", &export_root(&c, "triple").to_hex())
        .replace("{{c:mix}}", &export_root(&c, "mix").to_hex());
    std::fs::write(d.join("b.wat"), b).unwrap();
    compile(d, &["b.wat", "-L", "c.masp"]);
    let b = load(&d.join("b.masp"));
    let dep = b.manifest.dependencies().next().unwrap();
    assert_eq!(
        (dep.name.to_string(), dep.digest),
        ("c".to_string(), c.digest())
    );
    let nine = export_root(&b, "acme_chain_b_1_0_0_nine");
    assert_eq!(run(&[&b, &c], nine, &[5], 1), [45]);
}

/// A Miden library written in MASM and packaged with the Miden crates alone (no midenc
/// manifest) serves a Wasm module's `mast:0x…` import through `-L`, at compile time and at run
/// time; on its own it cannot be run or turned into bindings, and says so.
#[test]
fn plain_miden_library_serves_mast_imports() {
    use miden_assembly::{ast::ModuleKind, serde::Serializable, ModuleParser};
    use miden_mast_package::{PackageId, TargetType, Version};

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sources = Arc::new(DefaultSourceManager::default());
    let module = ModuleParser::new(ModuleKind::Library)
        .parse_str(
            miden_assembly::Path::new("mathlib::ops"),
            "pub proc triple_plus\n    mul.3 add\nend\n",
            sources.clone(),
        )
        .unwrap();
    let library = Assembler::new(sources).assemble_library([module]).unwrap();
    let package = Package::from_library(
        PackageId::from("mathlib"),
        Version::new(1, 0, 0),
        TargetType::Library,
        library,
        Vec::new(),
    );
    let root = export_root(&package, "triple_plus").to_hex();
    std::fs::write(d.join("mathlib.masp"), package.to_bytes()).unwrap();
    std::fs::write(
        d.join("app.wat"),
        format!(
            r#"(module
                 (import "mast:{root}" "triple_plus" (func $tp (param i32 i32) (result i32)))
                 (func (export "run") (param i32) (result i32)
                   (call $tp (local.get 0) (i32.const 5))))"#
        ),
    )
    .unwrap();
    compile(d, &["app.wat", "-L", "mathlib.masp", "-o", "app.masp"]);
    let midenc = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_midenc"))
            .args(args)
            .current_dir(d)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let o = midenc(&[
        "run",
        "app.masp",
        "-L",
        "mathlib.masp",
        "--invoke",
        "run(7)",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "26");

    // The manifest records the binding to the plain package.
    let manifest = std::fs::read_to_string(d.join("app.manifest.json")).unwrap();
    assert!(manifest.contains("\"package\": \"mathlib\""), "{manifest}");

    let o = midenc(&["run", "mathlib.masp", "--invoke", "triple_plus(1, 2)"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("plain Miden library"), "{err}");
    let o = midenc(&["bindings", "mathlib.masp"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("plain Miden library"));
    let o = midenc(&["inspect", "mathlib.masp"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains(&root));
}
