//! The caller side checks spilled results too: a provider (untrusted, like any callee) that
//! returns a digest whose advice entry was changed, dropped or substituted, or the wrong word
//! count, makes execution fail instead of handing the caller wrong values; a provider that
//! returns a consistent but invalid image (bad UTF-8, lengths beyond the data) traps on the
//! caller's lifting checks. The providers are hand-written MASM packages that insert chosen
//! advice entries, so every case is reached exactly.
#![allow(clippy::result_large_err)] // midenc's diagnostics, passed through as they are

use midenc::vm::{call_component_export_linked, image_digest, word_to_stack};
use midenc_abi::{host::encode, WitSignature, WitType};
use midenc_frontend_wasm::{CompiledModule, ExportedFunction, MasmModule};
use midenc_linker::{LinkSet, LinkedPackage, PackageSpec};
use midenc_tests::components::build_component;
use wasm_wave::{value::Value, wasm::WasmValue};

const WIT: &str = include_str!("../fixtures/components/svc.wit");

/// A component that forwards `shout` to its import.
const CALLER_WAT: &str = r#"(module
  (import "test:svc/api@1.0.0" "shout" (func $shout (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "shout") (param i32 i32) (result i32)
    (call $shout (local.get 0) (local.get 1) (i32.const 2048))
    (i32.const 2048)))"#;

fn shout_sig() -> WitSignature {
    WitSignature {
        params: vec![("s".into(), WitType::String)],
        result: Some(WitType::String),
    }
}

/// What the hand-written provider does.
struct Returns {
    /// Felts it writes to memory and inserts into the advice map (if `insert`).
    entry: Vec<u64>,
    /// The digest it returns (and inserts under).
    key: Vec<u64>,
    /// The word count it returns.
    words: u64,
    /// Whether it inserts the entry at all.
    insert: bool,
}

impl Returns {
    fn honest(entry: Vec<u64>) -> Self {
        Returns {
            words: entry.len() as u64 / 4,
            key: entry.clone(),
            entry,
            insert: true,
        }
    }
}

/// A package exporting `test:svc/api@1.0.0#shout` that ignores its arguments and returns as
/// `r` says.
fn provider(r: &Returns) -> LinkedPackage {
    let key = word_to_stack(image_digest(&r.key).unwrap());
    let push_key = |ops: &mut Vec<String>| {
        for k in key.iter().rev() {
            ops.push(format!("push.{k}"));
        }
    };
    let mut ops = vec!["dropw dropw dropw dropw".to_string()];
    for (i, f) in r.entry.iter().enumerate() {
        ops.push(format!("push.{f} mem_store.{i}"));
    }
    if r.insert {
        ops.push(format!("push.{} push.0", r.entry.len()));
        push_key(&mut ops);
        ops.push("adv.insert_mem dropw drop drop".into());
    }
    ops.push(format!("push.{}", r.words));
    push_key(&mut ops);
    ops.extend(std::iter::repeat_n("movup.5 drop".to_string(), 5));
    let masm = format!(
        "pub proc midenc_instantiate\n    push.0 drop\nend\n\npub proc shout\n    {}\nend\n",
        ops.join("\n    ")
    );
    let module = CompiledModule {
        modules: vec![MasmModule {
            name: String::new(),
            uses: Vec::new(),
            body: masm,
        }],
        exports: vec![ExportedFunction {
            name: "test:svc/api@1.0.0#shout".into(),
            proc_name: "shout".into(),
            params: Vec::new(),
            results: Vec::new(),
            entry_proc: String::new(),
            writes_state: false,
            wit: Some(shout_sig()),
        }],
        instantiate_proc: "midenc_instantiate".into(),
        omitted_exports: Vec::new(),
        imports: Vec::new(),
        memory: None,
        data_segments: Vec::new(),
        function_names: Vec::new(),
        trap_places: Vec::new(),
        offsets_in_core_module: false,
    };
    midenc::with_deep_stack(|| {
        midenc_linker::link(&PackageSpec {
            name: "evil",
            version: "0.1.0",
            module: &module,
            wasm: &[],
            world: None,
            resolutions: &[],
        })
    })
    .expect("the provider assembles")
}

/// Compiles the caller against the provider `r` describes and calls `shout("hi")`.
fn run(r: &Returns) -> Result<String, String> {
    let mut links = LinkSet::default();
    links.add("evil.masp", provider(r)).unwrap();
    let component = build_component(CALLER_WAT, WIT, "shouter");
    let path = std::path::Path::new("shouter.wasm");
    let (_, caller) = midenc::compile(&midenc::CompileRequest::new(
        path, &component, "shouter", &links,
    ))
    .expect("the caller compiles");
    let (export, root) = caller.export("shout").expect("export");
    let sig = export.wit.clone().expect("WIT export");
    let arg = Value::make_string("hi".into());
    call_component_export_linked(&caller, &links, root, &sig, &[arg])
        .map(|out| wasm_wave::to_string(&out.result.expect("a result")).unwrap())
        .map_err(|e| e.to_string())
}

fn image(s: &str) -> Vec<u64> {
    encode(&[WitType::String], &[Value::make_string(s.into())])
        .unwrap()
        .advice_entry()
}

#[test]
fn an_honest_provider_is_believed() {
    assert_eq!(run(&Returns::honest(image("HELLO"))).unwrap(), "\"HELLO\"");
    assert_eq!(run(&Returns::honest(image(""))).unwrap(), "\"\"");
}

#[test]
fn a_changed_felt_fails() {
    let good = image("HELLO, TAMPER");
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] += 1;
        let r = Returns {
            entry: bad,
            ..Returns::honest(good.clone())
        };
        assert!(run(&r).is_err(), "felt {i} changed, yet the call succeeded");
    }
}

#[test]
fn a_dropped_entry_fails() {
    let r = Returns {
        insert: false,
        ..Returns::honest(image("HELLO"))
    };
    assert!(run(&r).is_err());
}

/// Index of the first blob felt in a one-string image: after the flat felts, padded to a chunk.
const BLOB: usize = midenc_abi::host::CHUNK;

#[test]
fn a_substituted_entry_fails() {
    // Another valid image under the honest digest.
    let r = Returns {
        entry: image("WORLD"),
        ..Returns::honest(image("HELLO"))
    };
    assert!(run(&r).is_err());
}

#[test]
fn a_wrong_word_count_fails() {
    let good = image("HELLO, TAMPER");
    for words in [0, good.len() as u64 / 4 - 1, good.len() as u64 / 4 + 1] {
        let r = Returns {
            words,
            ..Returns::honest(good.clone())
        };
        assert!(run(&r).is_err(), "{words} words accepted");
    }
}

#[test]
fn consistent_but_invalid_results_trap_on_lifting() {
    // Invalid UTF-8 under its own correct digest.
    let mut bad = image("HELLO");
    bad[BLOB] = 0xFF;
    let err = run(&Returns::honest(bad)).unwrap_err();
    assert!(err.contains("invalid utf-8"), "{err}");
    // A length beyond the data: 100 bytes claimed, 32 present.
    let mut long = image("HELLO");
    long[1] = 100;
    let err = run(&Returns::honest(long)).unwrap_err();
    assert!(err.contains("advice stack read failed"), "{err}");
    // A blob felt that is not a u32 (the string check meets it first, as a u32 operation
    // on a non-u32 value).
    let mut wide = image("HELLO");
    wide[BLOB] = 1 << 40;
    let err = run(&Returns::honest(wide)).unwrap_err();
    assert!(err.contains("operation expected u32 values"), "{err}");
}
