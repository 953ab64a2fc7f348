//! Component to component: a caller component whose world imports an interface that a callee
//! component exports runs on the Miden VM with the callee linked (`-L`), and agrees with
//! wasmtime serving the same import from the same callee. Strings, lists (nested), records and
//! results beyond 16 felts cross in both directions, more than 16 flat parameters go through
//! memory on both sides; a three-component chain A → B → C does the same.

use midenc_tests::components::{build_component, differential_linked, Provider};

const SVC_WAT: &str = include_str!("../fixtures/components/svc.wat");
const FORWARD_WAT: &str = include_str!("../fixtures/components/forward.wat");
const WIT: &str = include_str!("../fixtures/components/svc.wit");
const API: &str = "test:svc/api@1.0.0";
const APP: &str = "test:svc/app@1.0.0";
const FUNCS: &[&str] = &["shout", "lengths", "tag", "dup", "nest", "fan", "sum17"];

/// The forwarding component importing `import`, with export names prefixed by `export`.
fn forwarder(import: &str, export: &str, world: &str) -> Vec<u8> {
    let wat = FORWARD_WAT
        .replace("\"IMPORT\"", &format!("\"{import}\""))
        .replace("\"EXPORT", &format!("\"{export}"));
    build_component(&wat, WIT, world)
}

fn text_of(n: usize) -> String {
    (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect()
}

/// At least five argument sets for every export.
fn calls() -> Vec<(String, String)> {
    let mut calls = Vec::new();
    let mut add = |f: &str, args: &[String]| {
        for a in args {
            calls.push((f.to_string(), a.clone()));
        }
    };
    let s = |x: &str| x.to_string();
    add(
        "shout",
        &[
            s("\"\""),
            s("\"a\""),
            s("\"hello, world\""),
            s("\"héllo wörld ✓\""),
            format!("\"{}\"", text_of(17)),
            format!("\"{}\"", text_of(4096)),
        ],
    );
    add(
        "lengths",
        &[
            s("[]"),
            s("[\"\"]"),
            s("[\"a\", \"bc\", \"\", \"déf\"]"),
            s("[\"one\", \"two\", \"three\", \"four\", \"five\", \"six\", \"seven\"]"),
            format!("[\"{}\", \"{}\"]", text_of(16), text_of(1000)),
        ],
    );
    add(
        "tag",
        &[
            s("{name: \"\", age: 0, tags: []}"),
            s("{name: \"ada\", age: 36, tags: [\"math\", \"engines\"]}"),
            s("{name: \"bob\", age: 4294967294, tags: [\"\"]}"),
            s("{name: \"日本\", age: 7, tags: [\"x\", \"yy\", \"zzz\", \"\"]}"),
            format!(
                "{{name: \"{}\", age: 1, tags: [\"{}\"]}}",
                text_of(33),
                text_of(65)
            ),
        ],
    );
    add(
        "dup",
        &[
            s("\"\", 0"),
            s("\"x\", 1"),
            s("\"ab\", 3"),
            s("\"\", 5"),
            s("\"héllo\", 17"),
        ],
    );
    add(
        "nest",
        &[
            s("[]"),
            s("[[]]"),
            s("[[1, 2, 3]]"),
            s("[[255], [], [0, 9], [7, 7, 7, 7, 7]]"),
            s("[[1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11], [12], [13], [14], [15], [16], [17]]"),
        ],
    );
    add(
        "fan",
        &[
            s("0"),
            s("1"),
            s("4294967295"),
            s("18446744073709551615"),
            s("123456789012345"),
        ],
    );
    add(
        "sum17",
        &[
            s("1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17"),
            s("0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0"),
            s("4294967295, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5"),
            s("100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700"),
            s("7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7"),
        ],
    );
    calls
}

fn check(component: &[u8], providers: &[Provider<'_>]) {
    let calls = calls();
    let refs: Vec<(&str, &str)> = calls
        .iter()
        .map(|(f, a)| (f.as_str(), a.as_str()))
        .collect();
    let (mismatches, n) = differential_linked(component, providers, &refs);
    assert!(n >= 35);
    assert!(
        mismatches.is_empty(),
        "{} of {n} calls disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn caller_component_calls_callee_component() {
    let callee = build_component(SVC_WAT, WIT, "callee");
    let caller = forwarder(API, "", "caller");
    check(
        &caller,
        &[Provider {
            interface: API,
            name: "svc",
            component: &callee,
            functions: FUNCS,
        }],
    );
}

#[test]
fn three_component_chain() {
    let c = build_component(SVC_WAT, WIT, "callee");
    let b = forwarder(API, &format!("{APP}#"), "middle");
    let a = forwarder(APP, "", "top");
    check(
        &a,
        &[
            Provider {
                interface: API,
                name: "svc",
                component: &c,
                functions: FUNCS,
            },
            Provider {
                interface: APP,
                name: "mid",
                component: &b,
                functions: FUNCS,
            },
        ],
    );
}
