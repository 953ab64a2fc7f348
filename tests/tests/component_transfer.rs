//! Strings and lists cross the component boundary intact whatever their length and wherever
//! `cabi_realloc` puts them: blobs shorter than, equal to and longer than a 32-byte chunk,
//! 16-byte aligned destinations (piped in place) and unaligned ones (piped to a staging area and
//! copied), ASCII and non-ASCII text. A non-u32 felt at any position of a piped chunk traps.
#![allow(clippy::result_large_err)] // midenc's diagnostics, passed through as they are

use miden_processor::{advice::AdviceInputs, Felt};
use midenc::vm::{execute, image_digest, word_to_stack};
use midenc_abi::host::{encode, CHUNK};
use midenc_abi::WitType;
use midenc_tests::components::{build_component, sample_text as text};
use wasm_wave::{value::Value, wasm::WasmValue};

const WAT: &str = include_str!("../fixtures/components/kitchen.wat");
const WIT: &str = include_str!("../fixtures/components/kitchen.wit");

const LENGTHS: [usize; 20] = [
    0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 161, 1001, 1002, 4099,
];

fn package() -> midenc_linker::LinkedPackage {
    let component = build_component(WAT, WIT, "kitchen");
    midenc::compile_wasm(std::path::Path::new("kitchen.wasm"), &component, "kitchen")
        .expect("compiles")
}

/// Runs a WAVE call of a kitchen export and renders its result.
fn call(package: &midenc_linker::LinkedPackage, text: &str) -> String {
    let out = midenc_tests::runs::call_component_text(package, text)
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    wasm_wave::to_string(&out.result.expect("a result")).expect("renders")
}

#[test]
fn blobs_of_every_length_round_trip() {
    let p = package();
    for n in LENGTHS {
        for ascii in [true, false] {
            let s = text(n, ascii);
            let quoted = wasm_wave::to_string(&Value::make_string(s.clone().into())).unwrap();
            assert_eq!(call(&p, &format!("byte-len({quoted})")), n.to_string());
            assert_eq!(call(&p, &format!("echo({quoted})")), quoted, "{n} bytes");
        }
        let bytes: Vec<u32> = (0..n as u32).map(|i| (i * 37 + 11) % 256).collect();
        let list = bytes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sum: u32 = bytes.iter().sum();
        assert_eq!(call(&p, &format!("sum-bytes([{list}])")), sum.to_string());
        assert_eq!(
            call(&p, &format!("echo-list([{list}])")),
            format!("[{}]", list.replace(',', ", ")),
            "{n} bytes"
        );
    }
}

#[test]
fn unaligned_destinations_round_trip() {
    // `words` receives and returns a list<string>; kitchen's bump allocator packs the strings
    // back to back, so all but the first land at unaligned addresses.
    let p = package();
    let items: Vec<String> = LENGTHS
        .iter()
        .enumerate()
        .map(|(i, n)| text(*n, i % 2 == 0))
        .collect();
    let list = Value::make_list(
        &wasm_wave::value::Type::list(wasm_wave::value::Type::STRING),
        items.iter().map(|s| Value::make_string(s.clone().into())),
    )
    .unwrap();
    let rendered = wasm_wave::to_string(&list).unwrap();
    assert_eq!(call(&p, &format!("words({rendered})")), rendered);
}

/// Runs `export` with an advice entry (hashed as it is) and the matching stack.
fn run_entry(p: &midenc_linker::LinkedPackage, export: &str, entry: &[u64]) -> Result<(), String> {
    let (_, root) = p.export(export).expect("export");
    let key = image_digest(entry).unwrap();
    let mut stack = word_to_stack(key).to_vec();
    stack.push(entry.len() as u64 / 4);
    let mut advice = AdviceInputs::default();
    advice.map.insert(
        key,
        entry
            .iter()
            .map(|f| Felt::new(*f).unwrap())
            .collect::<Vec<_>>(),
    );
    midenc::with_deep_stack(|| execute(p, root, &stack, advice))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn a_non_u32_felt_anywhere_in_a_chunk_traps() {
    let p = package();
    // 80 bytes: two whole chunks piped in place, and a partial one through the staging area.
    let bytes: Vec<u8> = (0..80u8).collect();
    let list = encode(
        &[WitType::List(Box::new(WitType::U8))],
        &[Value::make_list(
            &wasm_wave::value::Type::list(wasm_wave::value::Type::U8),
            bytes.iter().map(|b| Value::make_u8(*b)),
        )
        .unwrap()],
    )
    .unwrap()
    .advice_entry();
    let string = encode(
        &[WitType::String],
        &[Value::make_string(text(80, true).into())],
    )
    .unwrap()
    .advice_entry();
    // A list's chunks are range-checked (`u32assert2`, a named trap); a string's ASCII test
    // (`u32and` on every felt) is its range check, which the VM itself refuses for a felt that
    // is not a u32 (an error of the VM's, not a trap).
    for (export, entry, reason) in [
        ("sum-bytes", &list, "advice data is not u32"),
        ("byte-len", &string, "operation expected u32 values"),
    ] {
        run_entry(&p, export, entry).expect("the honest entry runs");
        for i in CHUNK..entry.len() {
            let mut bad = entry.clone();
            // The low 32 bits are unchanged: only the range check can tell.
            bad[i] += 1 << 32;
            let err = run_entry(&p, export, &bad)
                .expect_err(&format!("{export}: felt {i} of 2^32 or more accepted"));
            assert!(err.contains(reason), "{export}: felt {i}: {err}");
        }
    }
}
