//! Component exports on the Miden VM agree with wasmtime: every WIT value shape of the
//! `kitchen` fixture (a core module wrapped into a component by wit-component), five or more
//! argument sets per export, strings from 0 to 65,536 bytes, nested lists, spilled arguments
//! and results, and the traps the canonical ABI requires.

use midenc_tests::components::{build_component, differential};

const WAT: &str = include_str!("../fixtures/components/kitchen.wat");
const WIT: &str = include_str!("../fixtures/components/kitchen.wit");

fn text_of(n: usize) -> String {
    (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect()
}

#[test]
fn kitchen_component_agrees_with_wasmtime() {
    let component = build_component(WAT, WIT, "kitchen");
    let mut calls: Vec<(String, String)> = Vec::new();
    let mut add = |f: &str, args: &[&str]| {
        for a in args {
            calls.push((f.to_string(), a.to_string()));
        }
    };
    add(
        "add",
        &[
            "0, 0",
            "2, 40",
            "4294967295, 1",
            "123456, 654321",
            "2147483648, 2147483648",
        ],
    );
    add(
        "wide",
        &[
            "0, 0",
            "1, -1",
            "18446744073709551615, -5",
            "4294967296, 4294967296",
            "9, -9223372036854775808",
        ],
    );
    add("neg8", &["0", "5", "-128", "127", "-1"]);
    add("is-zero", &["0", "1", "65535", "256", "32768"]);
    add(
        "next-char",
        &[
            "'a'",
            "'\\u{d7ff}'",
            "'\\u{10ffff}'",
            "'\\u{e000}'",
            "'z'",
            "'é'",
        ],
    );
    let sizes = [0usize, 1, 15, 16, 17, 4096, 65536];
    let strings: Vec<String> = sizes
        .iter()
        .map(|n| format!("\"{}\"", text_of(*n)))
        .collect();
    let mut unicode = vec![
        "\"héllo wörld\"".to_string(),
        "\"日本語 ✓\"".to_string(),
        "\"😀x\"".to_string(),
    ];
    unicode.extend(strings.iter().cloned());
    let refs: Vec<&str> = unicode.iter().map(String::as_str).collect();
    add("byte-len", &refs);
    add("echo", &refs);
    let lists: Vec<String> = [0usize, 1, 3, 17, 1000]
        .iter()
        .map(|n| {
            format!(
                "[{}]",
                (0..*n)
                    .map(|i| (i * 7 % 256).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    let refs: Vec<&str> = lists.iter().map(String::as_str).collect();
    add("sum-bytes", &refs);
    add("list-len", &refs);
    add("sum17", &[
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17",
        "0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0",
        "4294967295, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5",
        "100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700",
        "7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7",
    ]);
    add(
        "rev-list",
        &[
            "[]",
            "[1]",
            "[1, 2, 3, 4, 5]",
            "[4294967295, 0, 7]",
            "[10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180]",
        ],
    );
    add(
        "words",
        &[
            "[]",
            "[\"\"]",
            "[\"a\", \"bc\", \"\", \"déf\"]",
            "[\"one\", \"two\", \"three\", \"four\", \"five\", \"six\"]",
            "[\"abcdefghijklmnopq\", \"ü\"]",
        ],
    );
    add(
        "point-sum",
        &[
            "{x: 0, y: 0}",
            "{x: -3, y: 10}",
            "{x: 2147483647, y: 2147483647}",
            "{x: -2147483648, y: -1}",
            "{x: 5, y: -5}",
        ],
    );
    add(
        "swap-point",
        &[
            "{x: 1, y: 2}",
            "{x: -1, y: 0}",
            "{x: 0, y: 0}",
            "{x: 2147483647, y: -2147483648}",
            "{x: 42, y: 43}",
        ],
    );
    add("next-color", &["red", "green", "blue", "red", "green"]);
    add(
        "toggle",
        &[
            "{}",
            "{read}",
            "{read, exec}",
            "{read, write, exec}",
            "{write}",
        ],
    );
    add(
        "area",
        &[
            "circle(3)",
            "rect({x: 4, y: -5})",
            "empty",
            "circle(4294967295)",
            "rect({x: 0, y: 9})",
        ],
    );
    let twenty = |f: &dyn Fn(u64) -> String| (0..20u64).map(f).collect::<Vec<_>>().join(", ");
    let sum20: Vec<String> = vec![
        twenty(&|i| i.to_string()),
        twenty(&|_| "0".into()),
        twenty(&|_| "18446744073709551615".into()),
        twenty(&|i| (i << 40).to_string()),
        twenty(&|i| (i * 1_000_000_007).to_string()),
    ];
    let refs: Vec<&str> = sum20.iter().map(String::as_str).collect();
    add("sum20", &refs);
    add(
        "fan",
        &[
            "0",
            "1",
            "18446744073709551615",
            "4294967296",
            "1234567890123",
        ],
    );
    add("pick", &["some(7)", "none", "some(0)", "some(255)", "none"]);

    let borrowed: Vec<(&str, &str)> = calls
        .iter()
        .map(|(f, a)| (f.as_str(), a.as_str()))
        .collect();
    let (mismatches, n) = differential(&component, &borrowed);
    assert!(
        mismatches.is_empty(),
        "{} of {n} calls disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(n >= 100, "only {n} calls");
}
