//! Long runs of a module's initial memory image travel in the package's advice map and are
//! piped into memory at instantiation, hashed on the way: a changed entry makes instantiation
//! fail instead of starting the program with wrong data.

use std::{path::Path, process::Command, sync::Arc};

use miden_assembly::{
    ast::ModuleKind, debuginfo::DefaultSourceManager, Assembler, Library, ModuleParser,
};
use miden_core_lib::CoreLibrary;
use miden_processor::{DefaultHost, ExecutionError, FastProcessor, HostLibrary, StackInputs};

/// A module whose data segment (600 bytes) is long enough to be piped; `sum` adds its bytes.
const WAT: &str = r#"(module
  (memory 1)
  (data (i32.const 100) "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn")
  (func (export "sum") (result i32)
    (local $i i32) (local $s i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.const 600)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u offset=100 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $s)))"#;

/// The MASM listing midenc generates for [`WAT`] (all its modules, main module first).
fn generated_masm(dir: &Path) -> String {
    std::fs::write(dir.join("data.wat"), WAT).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_midenc"))
        .args(["compile", "data.wat", "--emit", "masm", "-o", "data.masp"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(dir.join("data.masm")).unwrap()
}

/// Assembles a listing as the linker does: the first module is the library's, the part
/// modules are linked statically.
fn assemble(listing: &str) -> Arc<Library> {
    let sources = Arc::new(DefaultSourceManager::default());
    let mut modules: Vec<_> = listing
        .split(midenc_frontend_wasm::MODULE_SEPARATOR)
        .skip(1)
        .map(|chunk| {
            let (path, text) = chunk.split_once('\n').unwrap();
            ModuleParser::new(ModuleKind::Library)
                .parse_str(miden_assembly::Path::new(path), text, sources.clone())
                .unwrap()
        })
        .collect();
    let main = modules.remove(0);
    let mut assembler = Assembler::new(sources)
        .with_static_library(CoreLibrary::default())
        .unwrap();
    assembler.compile_and_statically_link_all(modules).unwrap();
    assembler.assemble_library([main]).unwrap()
}

/// Calls export `sum` of `library`; the top of the stack, or the execution error.
fn call_sum(library: &Library) -> Result<u64, ExecutionError> {
    let root = library
        .exports()
        .find(|e| e.path().to_string().ends_with("::sum"))
        .and_then(|e| library.get_procedure_root_by_path(e.path()))
        .expect("export sum");
    let program = Assembler::new(Arc::new(DefaultSourceManager::default()))
        .assemble_program(format!("begin call.{} end", root.to_hex()))
        .unwrap();
    let mut host = DefaultHost::default();
    host.load_library(HostLibrary {
        mast_forest: library.mast_forest().clone(),
        handlers: CoreLibrary::default().handlers(),
    })
    .unwrap();
    let out = FastProcessor::new(StackInputs::default()).execute_sync(&program, &mut host)?;
    Ok(out.stack[0].as_canonical_u64())
}

#[test]
fn tampered_data_entry_fails_instantiation() {
    let dir = tempfile::tempdir().unwrap();
    let masm = generated_masm(dir.path());
    let declaration = masm
        .lines()
        .find(|l| l.starts_with("adv_map MIDENC_DATA_0 = ["))
        .expect("the data image is declared as an advice-map entry");
    assert!(masm.contains("adv_pipe"), "the image is piped");

    let honest = assemble(&masm);
    let expected: u64 = WAT.split('"').nth(1).unwrap().bytes().map(u64::from).sum();
    assert_eq!(call_sum(&honest).unwrap(), expected);

    // Same key, one element changed: the program still finds an entry under its key.
    let (key, _) = honest
        .mast_forest()
        .advice_map()
        .iter()
        .next()
        .expect("one advice-map entry");
    let values = declaration
        .trim_start_matches("adv_map MIDENC_DATA_0 = [")
        .trim_end_matches(']');
    let mut felts: Vec<u64> = values.split(',').map(|v| v.parse().unwrap()).collect();
    let i = felts.iter().position(|f| *f != 0).unwrap();
    felts[i] ^= 1;
    let list: Vec<String> = felts.iter().map(u64::to_string).collect();
    let tampered = masm.replace(
        declaration,
        &format!(
            "adv_map MIDENC_DATA_0({}) = [{}]",
            key.to_hex(),
            list.join(",")
        ),
    );
    let err = call_sum(&assemble(&tampered)).expect_err("tampered data must not run");
    let text = format!("{err:?}");
    assert!(
        text.contains("data segment contents do not match their commitment"),
        "{text}"
    );
}
