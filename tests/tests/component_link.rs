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
const FUNCS: &[&str] = &[
    "shout", "lengths", "tag", "dup", "nest", "fan", "sum17", "greet",
];

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
    add(
        "greet",
        &[
            s("none, 'a'"),
            s("some(\"\"), 'b'"),
            s("some(\"ada\"), 'c'"),
            s("none, '\\u{10ffff}'"),
            s("some(\"日本語 ✓\"), '\\u{d7ff}'"),
            format!("some(\"{}\"), 'z'", text_of(100)),
        ],
    );
    calls
}

/// Runs `calls` on the caller linked to `providers` under both runtimes and fails on any
/// disagreement (listing them all).
fn all_agree(component: &[u8], providers: &[Provider<'_>], calls: &[(&str, &str)]) {
    let (mismatches, n) = differential_linked(component, providers, calls);
    assert!(
        mismatches.is_empty(),
        "{} of {n} calls disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn check(component: &[u8], providers: &[Provider<'_>]) {
    let calls = calls();
    let refs: Vec<(&str, &str)> = calls
        .iter()
        .map(|(f, a)| (f.as_str(), a.as_str()))
        .collect();
    assert!(refs.len() >= 40);
    all_agree(component, providers, &refs);
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

const KITCHEN_WAT: &str = include_str!("../fixtures/components/kitchen.wat");
const KITCHEN_WIT: &str = include_str!("../fixtures/components/kitchen.wit");
const SHAPES: &str = "test:kitchen/shapes@0.1.0";

/// A caller of the kitchen fixture's `shapes` interface: records, enums, flags, variants,
/// options and results (with a string) through imports, none of them spilled except `pick`'s
/// result.
const SHAPES_CALLER_WAT: &str = r#"(module
  (import "test:kitchen/shapes@0.1.0" "point-sum" (func $ps (param i32 i32) (result i64)))
  (import "test:kitchen/shapes@0.1.0" "swap-point" (func $sp (param i32 i32 i32)))
  (import "test:kitchen/shapes@0.1.0" "next-color" (func $nc (param i32) (result i32)))
  (import "test:kitchen/shapes@0.1.0" "toggle" (func $tg (param i32) (result i32)))
  (import "test:kitchen/shapes@0.1.0" "area" (func $ar (param i32 i32 i32) (result i64)))
  (import "test:kitchen/shapes@0.1.0" "pick" (func $pk (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "point-sum") (param i32 i32) (result i64) (call $ps (local.get 0) (local.get 1)))
  (func (export "swap-point") (param i32 i32) (result i32)
    (call $sp (local.get 0) (local.get 1) (i32.const 2048)) (i32.const 2048))
  (func (export "next-color") (param i32) (result i32) (call $nc (local.get 0)))
  (func (export "toggle") (param i32) (result i32) (call $tg (local.get 0)))
  (func (export "area") (param i32 i32 i32) (result i64)
    (call $ar (local.get 0) (local.get 1) (local.get 2)))
  (func (export "pick") (param i32 i32) (result i32)
    (call $pk (local.get 0) (local.get 1) (i32.const 2048)) (i32.const 2048)))"#;

const SHAPES_CALLER_WORLD: &str = "
world shapes-caller {
  import shapes;
  use shapes.{point, color, perms, shape};
  export point-sum: func(p: point) -> s64;
  export swap-point: func(p: point) -> point;
  export next-color: func(c: color) -> color;
  export toggle: func(p: perms) -> perms;
  export area: func(s: shape) -> u64;
  export pick: func(o: option<u8>) -> result<u8, string>;
}
";

#[test]
fn variants_enums_flags_and_results_cross_imports() {
    let callee = build_component(KITCHEN_WAT, KITCHEN_WIT, "kitchen");
    let wit = format!("{KITCHEN_WIT}{SHAPES_CALLER_WORLD}");
    let caller = build_component(SHAPES_CALLER_WAT, &wit, "shapes-caller");
    let calls: &[(&str, &[&str])] = &[
        (
            "point-sum",
            &[
                "{x: 0, y: 0}",
                "{x: -3, y: 10}",
                "{x: 2147483647, y: 2147483647}",
                "{x: -2147483648, y: -1}",
                "{x: 5, y: -5}",
            ],
        ),
        (
            "swap-point",
            &[
                "{x: 0, y: 0}",
                "{x: 1, y: 2}",
                "{x: -1, y: 2147483647}",
                "{x: -2147483648, y: 7}",
                "{x: 42, y: -42}",
            ],
        ),
        ("next-color", &["red", "green", "blue", "red", "blue"]),
        (
            "toggle",
            &[
                "{}",
                "{read}",
                "{write, exec}",
                "{read, write, exec}",
                "{exec}",
            ],
        ),
        (
            "area",
            &[
                "circle(0)",
                "circle(10)",
                "rect({x: 4, y: 5})",
                "rect({x: -3, y: 7})",
                "empty",
                "circle(4294967295)",
            ],
        ),
        ("pick", &["none", "some(0)", "some(7)", "some(255)", "none"]),
    ];
    let flat: Vec<(&str, &str)> = calls
        .iter()
        .flat_map(|(f, args)| args.iter().map(move |a| (*f, *a)))
        .collect();
    all_agree(
        &caller,
        &[Provider {
            interface: SHAPES,
            name: "kitchen",
            component: &callee,
            functions: &[
                "point-sum",
                "swap-point",
                "next-color",
                "toggle",
                "area",
                "pick",
            ],
        }],
        &flat,
    );
}

/// A caller that hands its imports invalid values: the adapter's lifting checks trap where
/// wasmtime's `canon lower` does (bad `char`, bad UTF-8, a string beyond memory).
const BAD_CALLER_WAT: &str = r#"(module
  (import "test:svc/api@1.0.0" "greet" (func $greet (param i32 i32 i32 i32 i32)))
  (import "test:svc/api@1.0.0" "shout" (func $shout (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  ;; greet(none, c) with any u32 as the char
  (func (export "raw-char") (param i32) (result i32)
    (call $greet (i32.const 0) (i32.const 0) (i32.const 0) (local.get 0) (i32.const 2048))
    (i32.const 2048))
  ;; shout of the two bytes "a", b
  (func (export "raw-byte") (param i32) (result i32)
    (i32.store8 (i32.const 4096) (i32.const 97))
    (i32.store8 (i32.const 4097) (local.get 0))
    (call $shout (i32.const 4096) (i32.const 2) (i32.const 2048))
    (i32.const 2048))
  ;; shout of n bytes starting 16 bytes before the end of memory
  (func (export "tail") (param i32) (result i32)
    (call $shout (i32.const 65520) (local.get 0) (i32.const 2048))
    (i32.const 2048)))"#;

const BAD_CALLER_WORLD: &str = "
world bad-caller {
  import api;
  export raw-char: func(c: u32) -> result<string, u32>;
  export raw-byte: func(b: u8) -> string;
  export tail: func(n: u32) -> string;
}
";

#[test]
fn invalid_arguments_to_imports_trap_like_wasmtime() {
    let callee = build_component(SVC_WAT, WIT, "callee");
    let wit = format!("{WIT}{BAD_CALLER_WORLD}");
    let caller = build_component(BAD_CALLER_WAT, &wit, "bad-caller");
    let calls: Vec<(&str, &str)> = [
        (
            "raw-char",
            &[
                "97",
                "55296",
                "57343",
                "57344",
                "1114111",
                "1114112",
                "4294967295",
            ][..],
        ),
        ("raw-byte", &["98", "127", "128", "192", "255"][..]),
        ("tail", &["0", "1", "16", "17", "100000"][..]),
    ]
    .iter()
    .flat_map(|(f, args)| args.iter().map(move |a| (*f, *a)))
    .collect();
    all_agree(
        &caller,
        &[Provider {
            interface: API,
            name: "svc",
            component: &callee,
            functions: FUNCS,
        }],
        &calls,
    );
}

/// A component that calls an import from `cabi_realloc` and from `cabi_post_id`: the canonical
/// ABI forbids leaving the instance there (`may_leave`), and both runtimes trap.
const LEAVER_WAT: &str = r#"(module
  (import "test:svc/api@1.0.0" "fan" (func $fan (param i64 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (call $fan (i64.const 1) (i32.const 3000))
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "str-len") (param i32 i32) (result i32) (local.get 1))
  (func (export "id") (param i32) (result i32) (local.get 0))
  (func (export "cabi_post_id") (param i32) (call $fan (i64.const 1) (i32.const 3000))))"#;

const LEAVER_WORLD: &str = "
world leaver {
  import api;
  export str-len: func(s: string) -> u32;
  export id: func(x: u32) -> u32;
}
";

#[test]
fn imports_called_from_realloc_or_post_return_trap() {
    let callee = build_component(SVC_WAT, WIT, "callee");
    let wit = format!("{WIT}{LEAVER_WORLD}");
    let caller = build_component(LEAVER_WAT, &wit, "leaver");
    let calls = [
        ("str-len", "\"abc\""),
        ("str-len", "\"x\""),
        ("str-len", "\"hello, world\""),
        ("id", "0"),
        ("id", "5"),
        ("id", "4294967295"),
    ];
    all_agree(
        &caller,
        &[Provider {
            interface: API,
            name: "svc",
            component: &callee,
            functions: FUNCS,
        }],
        &calls,
    );
}
