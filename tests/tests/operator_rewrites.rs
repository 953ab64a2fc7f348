//! Differential tests of single-operator rewrites: signed division, remainder and shift by
//! constants (`peephole/constant_shifts.rs`) and `or`s of disjoint operands computed as `xor`
//! (`prepare/disjoint_ors.rs`), on wasmi and compiled by midenc, with checks of what code each
//! rewrite left.

use midenc_abi::CoreValue;
use midenc_tests::{count_in, i32v, masm_listing as listing, Differential};

#[test]
fn constant_divisions_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/constant_divisions.wat");
    let mut diff = Differential::from_wat(wat);
    let names = [
        "div1", "div2", "div8", "div_2p30", "div3", "rem1", "rem2", "rem16", "rem_2p30", "rem_min",
        "shr0", "shr1", "shr24", "shr31", "shr33",
    ];
    let values = [
        0,
        1,
        -1,
        2,
        -2,
        7,
        -7,
        -8,
        -9,
        1 << 30,
        -(1 << 30),
        i32::MAX,
        i32::MIN,
        i32::MIN + 1,
        0x1234_5678,
        -0x1234_5678,
    ];
    let cases: Vec<(&str, Vec<CoreValue>)> = names
        .iter()
        .flat_map(|f| values.iter().map(move |v| (*f, vec![i32v(*v)])))
        .collect();
    diff.check(&cases);
    // The powers of two and the constant shifts no longer run the general intrinsics.
    let masm = listing(wat);
    assert_eq!(masm.matches("::wasm_i32_div_s").count(), 1, "{masm}");
    assert_eq!(masm.matches("::wasm_i32_rem_s").count(), 1, "{masm}");
    assert_eq!(masm.matches("::wasm_i32_shr_s").count(), 0, "{masm}");
}

#[test]
fn disjoint_ors_agree_with_wasmi() {
    let wat = include_str!("../fixtures/core/disjoint_ors.wat");
    let mut diff = Differential::from_wat(wat);
    let mut cases: Vec<(&str, Vec<CoreValue>)> = Vec::new();
    let values = [
        0,
        1,
        -1,
        0x1234_5678,
        0x8000_0001u32 as i32,
        0x00FF_FF00,
        0x7F7F_7F7F,
    ];
    for &x in &values {
        cases.push(("bswap", vec![i32v(x)]));
        cases.push(("bswap_rot", vec![i32v(x)]));
        for &y in &values {
            cases.push(("overlap", vec![i32v(x), i32v(y)]));
            cases.push((
                "select",
                vec![i32v(x), i32v(y), i32v(y.rotate_left(7) ^ 0x55)],
            ));
            cases.push(("pack64", vec![i32v(x), i32v(y), i32v(x ^ y)]));
        }
    }
    diff.check(&cases);
    // The proven ones lost every `u32or`; `overlap` keeps its three.
    let masm = listing(wat);
    let ors = |proc: &str| count_in(&masm, proc, |l| l.starts_with("u32or"));
    let proven = [
        "pub proc wasm_fn0",
        "pub proc wasm_fn1",
        "pub proc wasm_fn2",
        "pub proc wasm_fn3",
    ];
    for proven in proven {
        assert_eq!(ors(proven), 0, "{proven}");
    }
    assert_eq!(ors("pub proc wasm_fn4"), 3);
}
