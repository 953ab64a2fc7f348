//! Felts in linear memory: each fills one four-byte slot (one Miden element) and keeps its full
//! value through stores, loads, `i32`/`i64` moves at computed addresses and `memory.copy` in
//! every direction and alignment that keeps slots whole, as compiled Rust moves data.
//! An unaligned felt access traps.

use std::path::Path;

use miden_processor::Felt;
use midenc::{error::DriverError, vm};
use midenc_abi::{CoreType, CoreValue};
use midenc_linker::LinkedPackage;

const P: u64 = 0xFFFF_FFFF_0000_0001;

/// Slots 64..96 hold the felts v, v + 1, …, v + 7; slots 56, 60, 96 and 100 hold `u32`s, so
/// copies whose ends are not slot-aligned have plain bytes to split.
const MODULE: &str = r#"
(module
  (import "miden:intrinsics/felt" "from_u64" (func $in (param i64) (result f32)))
  (import "miden:intrinsics/felt" "from_u32" (func $in32 (param i32) (result f32)))
  (import "miden:intrinsics/felt" "add" (func $add (param f32 f32) (result f32)))
  (import "miden:intrinsics/felt" "as_u64" (func $out (param f32) (result i64)))
  (memory 1)
  (func $fill (param $v i64) (local $i i32)
    (i32.store (i32.const 56) (i32.const 0x11223344))
    (i32.store (i32.const 60) (i32.const 0x55667788))
    (i32.store (i32.const 96) (i32.const 0x99aabbcc))
    (i32.store (i32.const 100) (i32.const 0xddeeff00))
    (loop $l
      (f32.store offset=64 (i32.shl (local.get $i) (i32.const 2))
        (call $add (call $in (local.get $v)) (call $in32 (local.get $i))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 8)))))
  (func (export "store_load") (param $a i32) (param $v i64) (param $b i32) (result i64)
    (f32.store (local.get $a) (call $in (local.get $v)))
    (call $out (f32.load (local.get $b))))
  (func (export "copy_read") (param $v i64) (param $d i32) (param $s i32) (param $n i32) (param $r i32) (result i64)
    (call $fill (local.get $v))
    (memory.copy (local.get $d) (local.get $s) (local.get $n))
    (call $out (f32.load (local.get $r))))
  (func (export "copy_word") (param $v i64) (param $d i32) (param $s i32) (result i64)
    (call $fill (local.get $v))
    (i32.store (local.get $d) (i32.load (local.get $s)))
    (call $out (f32.load (local.get $d))))
  (func (export "copy_pair") (param $v i64) (param $d i32) (param $s i32) (result i64)
    (call $fill (local.get $v))
    (i64.store (local.get $d) (i64.load (local.get $s)))
    (call $out (call $add (f32.load (local.get $d)) (f32.load offset=4 (local.get $d)))))
  ;; The felts at base + k for k = bytes - 4, …, 0 summed in a loop of Rust's reverse shape:
  ;; versioned, with the test proving base and k multiples of 4 (or running the checked copy).
  (func (export "sum_back") (param $v i64) (param $base i32) (param $k i32) (result i64)
    (local $acc f32)
    (call $fill (local.get $v))
    (local.set $acc (call $in32 (i32.const 0)))
    (loop $l
      (local.set $acc (call $add (local.get $acc)
        (f32.load (i32.add (local.tee $k (i32.add (local.get $k) (i32.const -4))) (local.get $base)))))
      (br_if $l (local.get $k)))
    (call $out (local.get $acc)))
  ;; Bytes stored one at a time from base (a versioned, unrolled loop whose byte accesses know
  ;; where in their element they fall), each read back, then the first four as an i32.
  (func (export "store_bytes") (param $v i64) (param $base i32) (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (call $fill (local.get $v))
    (loop $l
      (i32.store8 (i32.add (local.get $base) (local.get $i)) (i32.add (local.get $i) (i32.const 0x41)))
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.add (local.get $base) (local.get $i)))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i32.add (local.get $sum) (i32.load (local.get $base))))
  (func (export "bytes_after_copy") (param $v i64) (param $d i32) (param $s i32) (param $n i32) (param $r i32) (result i32)
    (call $fill (local.get $v))
    (memory.copy (local.get $d) (local.get $s) (local.get $n))
    (i32.load (local.get $r))))
"#;

#[derive(Debug, PartialEq, Eq)]
enum Got {
    Value(u64),
    Trap(String),
}

fn compiled() -> LinkedPackage {
    let wasm = wat::parse_str(MODULE).expect("the test module parses");
    midenc::compile_wasm(Path::new("felt_memory.wat"), &wasm, "felt_memory").expect("compiles")
}

fn run(package: &LinkedPackage, export: &str, args: &[u64]) -> Got {
    let (e, root) = package.export(export).expect("exported");
    let args: Vec<CoreValue> = args
        .iter()
        .zip(&e.params)
        .map(|(v, ty)| match ty.carrier() {
            CoreType::I32 => CoreValue::I32(*v as u32 as i32),
            _ => CoreValue::I64(*v as i64),
        })
        .collect();
    match vm::call_export(package, root, &args, &e.results.clone()) {
        Ok(out) => Got::Value(match out.results.first() {
            Some(v) => midenc_tests::value_bits(*v),
            None => 0,
        }),
        Err(DriverError::Trap { message, .. }) => Got::Trap(message),
        Err(other) => panic!("{export}{args:?}: not a trap: {other}"),
    }
}

/// Felts of every size class: below 2^32, at it, above it, near the modulus.
const VALUES: [u64; 6] = [
    7,
    (1 << 32) - 1,
    1 << 32,
    1 << 63,
    P - 1,
    0x1234_5678_9ABC_DEF0,
];

fn plus(v: u64, k: u64) -> u64 {
    (Felt::new(v).unwrap() + Felt::new(k).unwrap()).as_canonical_u64()
}

#[test]
fn felts_keep_their_value_in_memory() {
    let package = compiled();
    for v in VALUES {
        for a in [0u32, 4, 128, 65532] {
            assert_eq!(
                run(&package, "store_load", &[u64::from(a), v, u64::from(a)]),
                Got::Value(v),
                "felt {v} at {a}"
            );
        }
    }
}

#[test]
fn unaligned_felt_access_traps() {
    let package = compiled();
    for (a, b) in [(2u32, 0u32), (0, 1), (0, 3), (5, 8)] {
        let got = run(
            &package,
            "store_load",
            &[u64::from(a), 1 << 40, u64::from(b)],
        );
        assert_eq!(
            got,
            Got::Trap("unaligned felt access".into()),
            "store at {a}, load at {b}"
        );
    }
}

#[test]
fn felt_loops_check_alignment_before_running_unchecked() {
    let package = compiled();
    for v in VALUES {
        // v + 0 + v + 1 + … + v + 7 from slots 64..96, and the first four.
        let sum = |n: u64| (0..n).fold(0, |acc, k| plus(acc, plus(v, k)));
        assert_eq!(run(&package, "sum_back", &[v, 64, 32]), Got::Value(sum(8)));
        assert_eq!(run(&package, "sum_back", &[v, 64, 16]), Got::Value(sum(4)));
    }
    // An unaligned base or a count that is not whole slots reaches an unaligned felt.
    for (base, k) in [(66u64, 32u64), (64, 30)] {
        assert_eq!(
            run(&package, "sum_back", &[1 << 40, base, k]),
            Got::Trap("unaligned felt access".into()),
            "base {base}, {k} bytes"
        );
    }
}

/// `memory.copy(d, s, n)` then the felt at `r`, which came from slot `from` (64 + 4k holds
/// v + k).
#[test]
fn memory_copy_moves_felts_whole() {
    let package = compiled();
    // (d, s, n, r, from): aligned forward; aligned, overlapping backward (a `Vec::insert`
    // shift); equally unaligned ends, forward and backward; a copy not covering the slot.
    let cases: [(u32, u32, u32, u32, u32); 9] = [
        (128, 64, 32, 140, 76),
        (200, 64, 12, 208, 72),
        (68, 64, 32, 92, 88),
        (68, 64, 32, 68, 64),
        (126, 62, 38, 152, 88),
        (70, 62, 40, 72, 64),
        (70, 62, 40, 96, 88),
        (58, 62, 38, 84, 88),
        (300, 60, 3, 64, 64),
    ];
    for v in VALUES {
        for (d, s, n, r, from) in cases {
            let want = plus(v, u64::from((from - 64) / 4));
            let got = run(
                &package,
                "copy_read",
                &[v, d.into(), s.into(), n.into(), r.into()],
            );
            assert_eq!(
                got,
                Got::Value(want),
                "v = {v}: copy({d}, {s}, {n}), felt at {r}"
            );
        }
    }
}

#[test]
fn byte_neighbours_of_felts_copy_exactly() {
    let package = compiled();
    // [58, 98) to [122, 162): the slot at 120 gets the high half of the u32 at 56 in its high
    // half; the slot at 160 the low half of the u32 at 96 in its low half.
    let got = run(&package, "bytes_after_copy", &[1 << 40, 122, 58, 40, 120]);
    assert_eq!(got, Got::Value(0x1122_0000));
    let got = run(&package, "bytes_after_copy", &[1 << 40, 122, 58, 40, 160]);
    assert_eq!(got, Got::Value(0xBBCC));
    // Backward, overlapping: [62, 102) to [70, 110). The head bytes land in the felt slot at
    // 68 (which becomes bytes: the felt's low half, then 0x5566); the tail in the slot at 108.
    let got = run(&package, "bytes_after_copy", &[1 << 40, 70, 62, 40, 108]);
    assert_eq!(got, Got::Value(0xFF00));
    let got = run(&package, "bytes_after_copy", &[1 << 40, 70, 62, 40, 68]);
    assert_eq!(
        got,
        Got::Value(0x5566_0001),
        "felt 2^40 + 1 keeps its low bytes"
    );
}

#[test]
fn byte_loops_write_over_felt_slots() {
    let package = compiled();
    // Over plain memory (200…) and over the u32 at 60 and the felt slots from 64: a byte store
    // leaves a slot's other bytes as the low 32 bits it held.
    for v in VALUES {
        for base in [200u64, 201, 202, 203, 62, 63] {
            for n in (4..=12).chain([40]) {
                let byte = |i: u64| (i + 0x41) & 0xFF;
                let sum: u64 = (0..n).map(byte).sum();
                let first = (0..4).fold(0, |w, i| w | byte(i) << (8 * i));
                let got = run(&package, "store_bytes", &[v, base, n]);
                assert_eq!(
                    got,
                    Got::Value((sum + first) & 0xFFFF_FFFF),
                    "v = {v}: {n} bytes from {base}"
                );
            }
        }
    }
}

#[test]
fn word_moves_at_computed_addresses_keep_felts() {
    let package = compiled();
    for v in VALUES {
        assert_eq!(
            run(&package, "copy_word", &[v, 400, 72]),
            Got::Value(plus(v, 2))
        );
        assert_eq!(
            run(&package, "copy_pair", &[v, 408, 80]),
            Got::Value(plus(plus(v, 4), plus(v, 5)))
        );
    }
}
