//! Tampering with spilled advice data makes execution fail instead of yielding wrong values:
//! a changed felt, a dropped entry, another entry substituted, a wrong word count, and invalid
//! UTF-8 or non-u32 data that hashes correctly (a dishonest caller).
#![allow(clippy::result_large_err)] // midenc's diagnostics, passed through as they are

use miden_processor::{advice::AdviceInputs, Felt};
use midenc::vm::{execute, image_digest, spill_inputs, word_to_stack};
use midenc_abi::host::encode;
use midenc_tests::components::build_component;

const WAT: &str = include_str!("../fixtures/components/kitchen.wat");
const WIT: &str = include_str!("../fixtures/components/kitchen.wit");

struct Fixture {
    package: midenc_linker::LinkedPackage,
}

impl Fixture {
    fn new() -> Self {
        let component = build_component(WAT, WIT, "kitchen");
        let package =
            midenc::compile_wasm(std::path::Path::new("kitchen.wasm"), &component, "kitchen")
                .expect("compiles");
        Fixture { package }
    }

    /// Runs `byte-len` with the given advice entry under `key` and stack `[key, words]`.
    fn run(&self, key_entry: &[u64], entry: &[u64], words: u64) -> Result<Vec<u64>, String> {
        let (_, root) = self.package.export("byte-len").expect("export");
        let key = image_digest(key_entry).unwrap();
        let mut stack = word_to_stack(key).to_vec();
        stack.push(words);
        let mut advice = AdviceInputs::default();
        advice.map.insert(
            key,
            entry
                .iter()
                .map(|f| Felt::new(*f).unwrap())
                .collect::<Vec<_>>(),
        );
        midenc::with_deep_stack(|| execute(&self.package, root, &stack, advice))
            .map(|r| r.stack)
            .map_err(|e| e.to_string())
    }
}

fn honest(s: &str) -> Vec<u64> {
    let v = wasm_wave::value::Value::make_string(s.into());
    encode(&[midenc_abi::WitType::String], &[v])
        .unwrap()
        .advice_entry()
}

use wasm_wave::wasm::WasmValue;

/// Index of the first blob felt in a one-string image: after the flat felts, padded to a chunk.
const BLOB: usize = midenc_abi::host::CHUNK;

#[test]
fn honest_inputs_run() {
    let f = Fixture::new();
    let entry = honest("hello, advice map");
    let out = f.run(&entry, &entry, entry.len() as u64 / 4).expect("runs");
    assert_eq!(out[0], 17);
    // The helper agrees with the driver's own encoding.
    let image = encode(
        &[midenc_abi::WitType::String],
        &[wasm_wave::value::Value::make_string("x".into())],
    )
    .unwrap();
    let (stack, _) = spill_inputs(true, &image).unwrap();
    assert_eq!(stack.len(), 5);
}

#[test]
fn a_changed_felt_fails() {
    let f = Fixture::new();
    let entry = honest("hello, advice map");
    for i in 0..entry.len() {
        let mut bad = entry.clone();
        bad[i] += 1;
        // The key is the honest digest; the data is not.
        assert!(
            f.run(&entry, &bad, entry.len() as u64 / 4).is_err(),
            "felt {i} changed but ran"
        );
    }
}

#[test]
fn a_missing_or_substituted_entry_fails() {
    let f = Fixture::new();
    let entry = honest("hello, advice map");
    let other = honest("a different string");
    let (_, root) = f.package.export("byte-len").unwrap();
    // No entry at all under the digest.
    let mut stack = word_to_stack(image_digest(&entry).unwrap()).to_vec();
    stack.push(entry.len() as u64 / 4);
    let run =
        midenc::with_deep_stack(|| execute(&f.package, root, &stack, AdviceInputs::default()));
    assert!(run.is_err(), "ran without its advice entry");
    // Another (valid) entry stored under this digest.
    assert!(f.run(&entry, &other, other.len() as u64 / 4).is_err());
    assert!(f.run(&entry, &other, entry.len() as u64 / 4).is_err());
}

#[test]
fn a_wrong_word_count_fails() {
    let f = Fixture::new();
    let entry = honest("hello, advice map");
    let n = entry.len() as u64 / 4;
    for words in [0, n - 1, n + 1, 1 << 40] {
        assert!(
            f.run(&entry, &entry, words).is_err(),
            "{words} words accepted"
        );
    }
}

#[test]
fn dishonest_but_hashed_data_traps() {
    let f = Fixture::new();
    // Invalid UTF-8 (a lone continuation byte), correctly hashed.
    let mut entry = honest("abcd");
    entry[BLOB] = u64::from(u32::from_le_bytes([b'a', 0x80, b'c', b'd']));
    let err = f.run(&entry, &entry, entry.len() as u64 / 4).unwrap_err();
    assert!(err.contains("utf-8"), "{err}");
    // A length that disagrees with the blob stream.
    let mut entry = honest("abcd");
    entry[1] = 40;
    let err = f.run(&entry, &entry, entry.len() as u64 / 4).unwrap_err();
    assert!(err.contains("advice stack read failed"), "{err}");
    // A blob felt that is not a u32.
    let mut entry = honest("abcd");
    entry[BLOB] = 1 << 40;
    let err = f.run(&entry, &entry, entry.len() as u64 / 4).unwrap_err();
    assert!(err.contains("operation expected u32 values"), "{err}");
}
