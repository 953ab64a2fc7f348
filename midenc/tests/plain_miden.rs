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
