//! The component test corpus (`docs/component-tests.md`): eleven Rust components built with
//! wit-bindgen and two hand-written WAT components, every export invoked with at least five
//! argument sets on the Miden VM and on wasmtime, which must agree on every result and trap.
//! The WAT components return invalid values and pointers (`lifttraps`) and misbehave in
//! `cabi_realloc` (`badrealloc`); there midenc must trap where wasmtime traps, for the reason
//! the canonical ABI gives.

use midenc_tests::components::{
    agree, assert_agrees, outcomes, rust_component, wat_component, Outcome,
};

/// Argument sets as owned WAVE strings.
fn sets<S: AsRef<str>>(xs: &[S]) -> Vec<String> {
    xs.iter().map(|s| s.as_ref().to_string()).collect()
}

/// `n` bytes cycling through `a`…`z`.
fn text(n: usize) -> String {
    (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect()
}

/// A WAVE string literal of `text(n)`.
fn lit(n: usize) -> String {
    format!("\"{}\"", text(n))
}

/// A WAVE list of `items`.
fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// Runs the corpus for one component; checks that each export has at least five argument
/// sets and that every export of the component is exercised.
fn check(label: &str, component: &[u8], calls: &[(&str, Vec<String>)]) {
    for (f, s) in calls {
        assert!(
            s.len() >= 5,
            "{label}: `{f}` has only {} argument sets",
            s.len()
        );
    }
    let exports = exported_functions(component);
    for e in &exports {
        assert!(
            calls
                .iter()
                .any(|(f, _)| e.ends_with(&format!("#{f}")) || e == f),
            "{label}: export `{e}` is not exercised"
        );
    }
    assert_agrees(label, component, calls);
}

fn exported_functions(component: &[u8]) -> Vec<String> {
    let Ok(wit_component::DecodedWasm::Component(resolve, world)) =
        wit_component::decode(component)
    else {
        panic!("not a component");
    };
    let mut names = Vec::new();
    for (key, item) in &resolve.worlds[world].exports {
        match item {
            wit_parser::WorldItem::Function(f) => names.push(f.name.clone()),
            wit_parser::WorldItem::Interface { id, .. } => {
                for f in resolve.interfaces[*id].functions.keys() {
                    names.push(format!("{}#{f}", resolve.name_world_key(key)));
                }
            }
            wit_parser::WorldItem::Type { .. } => {}
        }
    }
    names
}

#[test]
fn scalars() {
    let describe = [
        "false, 0, 0, 0, 0, 0, 0, 0, 0, '\\u{0}'",
        "true, -128, 255, -32768, 65535, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615, '\\u{10ffff}'",
        "true, 127, 128, 32767, 32768, 2147483647, 2147483648, 9223372036854775807, 9223372036854775808, 'é'",
        "false, -1, 1, -1, 1, -1, 1, -1, 1, '😀'",
        "true, 5, 6, 7, 8, 9, 10, 11, 12, 'z'",
    ];
    check(
        "scalars",
        &rust_component("scalars"),
        &[
            ("answer", sets(&["", "", "", "", ""])),
            ("unit", sets(&["", "", "", "", ""])),
            ("nothing", sets(&["0", "1", "4294967295", "7", "123"])),
            ("flip", sets(&["true", "false", "true", "false", "true"])),
            (
                "sat-add-u8",
                sets(&["0, 0", "255, 1", "100, 100", "200, 100", "1, 254"]),
            ),
            ("neg-s8", sets(&["0", "127", "-128", "-1", "5"])),
            (
                "mul-u16",
                sets(&["0, 0", "65535, 65535", "256, 256", "300, 7", "1, 65535"]),
            ),
            ("abs-s16", sets(&["-32768", "32767", "-1", "0", "-300"])),
            (
                "mix32",
                sets(&[
                    "0, 0",
                    "-2147483648, 4294967295",
                    "2147483647, 1",
                    "-5, 12345",
                    "715827883, 0",
                ]),
            ),
            (
                "add64",
                sets(&[
                    "0, 0",
                    "-9223372036854775808, 18446744073709551615",
                    "9223372036854775807, 1",
                    "-1, 1",
                    "123456789012, 987654321098",
                ]),
            ),
            (
                "div64",
                sets(&[
                    "10, 3",
                    "18446744073709551615, 1",
                    "7, 0",
                    "0, 5",
                    "18446744073709551615, 4294967296",
                ]),
            ),
            (
                "shift-char",
                sets(&[
                    "'a', 1",
                    "'\\u{d7ff}', 1",
                    "'\\u{10ffff}', 1",
                    "'\\u{e000}', -1",
                    "'z', -25",
                    "'😀', 0",
                    "'\\u{0}', 0",
                ]),
            ),
            ("describe", sets(&describe)),
            ("widen", sets(&["-128", "127", "0", "-1", "1"])),
        ],
    );
}

#[test]
fn strings() {
    let sizes = [0usize, 1, 15, 16, 17, 4096, 65536];
    let mut all: Vec<String> = sizes.iter().map(|n| lit(*n)).collect();
    let unicode = sets(&[
        "\"héllo wörld\"",
        "\"日本語 ✓\"",
        "\"😀x\"",
        "\"\\u{0}\"",
        "\"tab\\tquote\\\"backslash\\\\\"",
    ]);
    all.extend(unicode.iter().cloned());
    let small: Vec<String> = unicode
        .iter()
        .cloned()
        .chain([0, 1, 17].iter().map(|n| lit(*n)))
        .collect();
    check(
        "strings",
        &rust_component("strings"),
        &[
            ("echo", all.clone()),
            ("byte-len", all.clone()),
            ("char-count", small.clone()),
            ("upper", small.iter().cloned().chain([lit(4096)]).collect()),
            ("reverse", small.clone()),
            (
                "concat",
                vec![
                    "\"\", \"\"".into(),
                    "\"a\", \"\"".into(),
                    "\"\", \"b\"".into(),
                    format!("{}, {}", lit(16), lit(1)),
                    "\"héllo\", \" wörld\"".into(),
                    format!("{}, {}", lit(4096), lit(15)),
                ],
            ),
            (
                "repeat",
                sets(&[
                    "\"ab\", 0",
                    "\"ab\", 1",
                    "\"x\", 4096",
                    "\"abcd\", 16384",
                    "\"é\", 3",
                    "\"\", 100",
                ]),
            ),
            ("make", sizes.iter().map(|n| n.to_string()).collect()),
            (
                "split",
                sets(&[
                    "\"a,b,,c\", ','",
                    "\"\", ','",
                    "\"no separators\", ','",
                    "\"é😀é😀\", '😀'",
                    "\"x x x\", ' '",
                ]),
            ),
            (
                "join",
                vec![
                    "[], \"-\"".into(),
                    "[\"a\"], \", \"".into(),
                    "[\"a\", \"b\", \"c\"], \"\"".into(),
                    "[\"\", \"\"], \"😀\"".into(),
                    format!("[{}, {}, {}], \"--\"", lit(17), lit(16), lit(15)),
                ],
            ),
            (
                "find",
                sets(&[
                    "\"hello\", \"l\"",
                    "\"hello\", \"z\"",
                    "\"\", \"\"",
                    "\"héllo\", \"llo\"",
                    "\"abc\", \"\"",
                ]),
            ),
        ],
    );
}

#[test]
fn lists() {
    let bytes = |n: usize| list((0..n).map(|i| i * 37 % 256));
    let byte_lists = vec![
        "[]".to_string(),
        "[[]]".into(),
        "[[1], [2, 3]]".into(),
        "[[], [], [255]]".into(),
        format!("[{}, [0], {}]", bytes(17), bytes(100)),
    ];
    let bool_lists = vec![
        "[]".to_string(),
        "[true]".into(),
        "[false]".into(),
        "[true, false, true, true]".into(),
        list((0..33).map(|i| i % 3 == 0)),
    ];
    check(
        "lists",
        &rust_component("lists"),
        &[
            (
                "sum-u8",
                vec![
                    "[]".into(),
                    "[255]".into(),
                    bytes(17),
                    bytes(1000),
                    bytes(4096),
                ],
            ),
            (
                "rev-u16",
                vec![
                    "[]".into(),
                    "[65535]".into(),
                    "[1, 2, 3]".into(),
                    "[0, 65535, 1, 65534, 2]".into(),
                    list((0..17).map(|i| i * 3000)),
                ],
            ),
            (
                "sort-s32",
                vec![
                    "[]".into(),
                    "[-1]".into(),
                    "[3, -2147483648, 2147483647, 0, -1]".into(),
                    list((0..20i64).map(|i| (i * 7919 % 101 - 50) * 1_000_003)),
                    "[5, 5, 5]".into(),
                ],
            ),
            (
                "prefix-sums",
                vec![
                    "[]".into(),
                    "[18446744073709551615, 1]".into(),
                    "[1, 2, 3, 4]".into(),
                    list((0..17u64).map(|i| i << 32 | i)),
                    "[0]".into(),
                ],
            ),
            (
                "widen-s8",
                vec![
                    "[]".into(),
                    "[-128, 127]".into(),
                    "[0, 1, -1]".into(),
                    list((0..16i64).map(|i| i * 16 - 128)),
                    "[5]".into(),
                ],
            ),
            ("count-true", bool_lists.clone()),
            ("negate", bool_lists.clone()),
            ("bool-bytes", bool_lists),
            (
                "chars-of",
                sets(&[
                    "\"\"",
                    "\"a\"",
                    "\"héllo\"",
                    "\"😀\\u{10ffff}\\u{0}\"",
                    "\"日本語\"",
                ]),
            ),
            (
                "from-chars",
                sets(&[
                    "[]",
                    "['a']",
                    "['😀', '\\u{10ffff}', '\\u{0}']",
                    "['é', 'x']",
                    "['\\u{d7ff}', '\\u{e000}']",
                ]),
            ),
            ("range", sets(&["0", "1", "16", "17", "1000"])),
            (
                "chunks",
                vec![
                    "[1, 2, 3, 4, 5], 2".into(),
                    "[], 3".into(),
                    "[1], 1".into(),
                    "[1, 2, 3], 0".into(),
                    format!("{}, 7", bytes(100)),
                ],
            ),
            ("flatten", byte_lists.clone()),
            ("lengths", byte_lists),
        ],
    );
}

const MIXED: [&str; 5] = [
    "{a: 255, b: 18446744073709551615, c: 65535, d: '\\u{10ffff}', e: true, f: -128, g: 4294967295}",
    "{a: 0, b: 0, c: 0, d: '\\u{0}', e: false, f: 0, g: 0}",
    "{a: 1, b: 4294967296, c: 2, d: 'é', e: true, f: 127, g: 3}",
    "{a: 7, b: 1, c: 300, d: '😀', e: false, f: -1, g: 65536}",
    "{a: 128, b: 9223372036854775808, c: 32768, d: 'z', e: true, f: 5, g: 2147483648}",
];

#[test]
fn records() {
    let people = [
        "{name: \"\", age: 0, emails: []}".to_string(),
        "{name: \"ann\", age: 255, emails: [\"a@x\"]}".into(),
        "{name: \"bob\", age: 30, emails: [\"b@x\", \"bob@y\", \"\"]}".into(),
        format!("{{name: \"élodie\", age: 17, emails: [{}]}}", lit(17)),
        format!(
            "{{name: {}, age: 99, emails: [{}, {}]}}",
            lit(100),
            lit(16),
            lit(15)
        ),
    ];
    check(
        "records",
        &rust_component("records"),
        &[
            (
                "translate",
                sets(&[
                    "{x: 0, y: 0}, 1, -1",
                    "{x: 2147483647, y: -2147483648}, 1, -1",
                    "{x: -5, y: 5}, 0, 0",
                    "{x: 100, y: 200}, -300, -400",
                    "{x: 1, y: 2}, 2147483647, 2147483647",
                ]),
            ),
            ("mixed-echo", sets(&MIXED)),
            ("mixed-sum", sets(&MIXED)),
            ("greet", people.to_vec()),
            (
                "older",
                people
                    .iter()
                    .zip([0, 1, 255, 17, 100])
                    .map(|(p, y)| format!("{p}, {y}"))
                    .collect(),
            ),
            (
                "line-length2",
                sets(&[
                    "{start: {x: 0, y: 0}, end: {x: 3, y: 4}, label: \"\"}",
                    "{start: {x: -2147483648, y: -2147483648}, end: {x: 2147483647, y: 2147483647}, label: \"far\"}",
                    "{start: {x: 5, y: 5}, end: {x: 5, y: 5}, label: \"point\"}",
                    "{start: {x: 1, y: -1}, end: {x: -1, y: 1}, label: \"diagonal ✓\"}",
                    "{start: {x: 10, y: 0}, end: {x: 0, y: 0}, label: \"x\"}",
                ]),
            ),
            (
                "centroid",
                vec![
                    "[]".into(),
                    "[{x: 1, y: 1}]".into(),
                    "[{x: 0, y: 0}, {x: 3, y: 6}, {x: 6, y: 0}]".into(),
                    "[{x: -2147483648, y: 2147483647}, {x: -2147483648, y: 2147483647}]".into(),
                    list((0..17).map(|i| format!("{{x: {}, y: {}}}", i * 1000, -i))),
                ],
            ),
            (
                "people-over",
                vec![
                    "[], 0".into(),
                    format!("[{}], 0", people[0]),
                    format!("[{}], 20", people[1..].join(", ")),
                    format!("[{}], 255", people.join(", ")),
                    format!("[{}, {}], 16", people[3], people[4]),
                ],
            ),
            (
                "swap",
                vec![
                    "(0, \"\", false)".into(),
                    "(4294967295, \"x\", true)".into(),
                    "(7, \"héllo\", true)".into(),
                    format!("(1, {}, false)", lit(17)),
                    format!("(2, {}, true)", lit(4096)),
                ],
            ),
            (
                "pair-list",
                vec![
                    "[]".into(),
                    "[(0, 0)]".into(),
                    "[(255, 18446744073709551615)]".into(),
                    list((0..17u64).map(|i| format!("({}, {})", i * 15, i << 33))),
                    "[(1, 2), (3, 4)]".into(),
                ],
            ),
            (
                "mixed-list",
                vec![
                    "[]".into(),
                    format!("[{}]", MIXED[0]),
                    format!("[{}]", MIXED.join(", ")),
                    format!("[{}, {}]", MIXED[1], MIXED[2]),
                    list(MIXED.iter().chain(MIXED.iter())),
                ],
            ),
        ],
    );
}

#[test]
fn variants() {
    let colors = sets(&[
        "red", "green", "blue", "cyan", "magenta", "yellow", "black", "white",
    ]);
    check(
        "variants",
        &rust_component("variants"),
        &[
            ("next-color", colors.clone()),
            ("is-primary", colors),
            (
                "area",
                sets(&[
                    "circle(3)",
                    "rect((4, 5))",
                    "tri((1, 2, 3))",
                    "dot",
                    "named(\"hello\")",
                    "big(18446744073709551615)",
                    "circle(4294967295)",
                ]),
            ),
            (
                "scale",
                sets(&[
                    "circle(2), 3",
                    "rect((1, 2)), 4294967295",
                    "tri((1, 2, 3)), 0",
                    "dot, 0",
                    "dot, 5",
                    "named(\"ab\"), 3",
                    "big(12345678901234), 7",
                ]),
            ),
            (
                "classify",
                sets(&[
                    "0",
                    "1",
                    "255",
                    "256",
                    "-1",
                    "2147483647",
                    "-2147483649",
                    "4294967296",
                    "4294967297",
                    "-9223372036854775808",
                    "9223372036854775807",
                ]),
            ),
            (
                "num-value",
                sets(&[
                    "small(0)",
                    "small(255)",
                    "mid(-2147483648)",
                    "large(-9223372036854775808)",
                    "text(\"\")",
                    "text(\"héllo\")",
                    "nothing",
                ]),
            ),
            ("half", sets(&["0", "1", "2", "4294967295", "4294967294"])),
            (
                "maybe-name",
                vec![
                    "none".into(),
                    "some(\"\")".into(),
                    "some(\"x\")".into(),
                    "some(\"日本\")".into(),
                    format!("some({})", lit(17)),
                ],
            ),
            (
                "parse-u32",
                sets(&[
                    "\"0\"",
                    "\"4294967295\"",
                    "\"4294967296\"",
                    "\"\"",
                    "\"-1\"",
                    "\"12a\"",
                ]),
            ),
            (
                "checked-div",
                sets(&["7, 2", "7, 0", "-2147483648, -1", "-7, 2", "0, 5"]),
            ),
            (
                "unit-result",
                sets(&["true", "false", "true", "false", "true"]),
            ),
            ("err-only", sets(&["0", "1", "2", "3", "4294967295"])),
            (
                "ok-only",
                sets(&["0", "1", "4294967", "4294968", "4294967295"]),
            ),
            (
                "nested-option",
                sets(&[
                    "none",
                    "some(none)",
                    "some(some(0))",
                    "some(some(255))",
                    "some(some(7))",
                ]),
            ),
            (
                "areas",
                sets(&[
                    "[]",
                    "[dot]",
                    "[circle(1), rect((2, 3)), tri((1, 1, 1)), dot, named(\"abc\"), big(5)]",
                    "[named(\"\")]",
                    "[big(1), big(18446744073709551615)]",
                ]),
            ),
            ("colors", sets(&["0", "1", "255", "170", "85"])),
            ("many-next", sets(&["k0", "k1", "k255", "k256", "k299"])),
            ("many-list", sets(&["0", "1", "17", "300", "1000"])),
            (
                "many-sum",
                vec![
                    "[]".into(),
                    "[k0]".into(),
                    "[k299, k256, k255]".into(),
                    list((0..17).map(|i| format!("k{}", i * 17))),
                    list((0..300).map(|i| format!("k{i}"))),
                ],
            ),
        ],
    );
}

/// Every subset of `labels` as WAVE flags.
fn all_subsets(labels: &[&str]) -> Vec<String> {
    (0..1u32 << labels.len())
        .map(|m| {
            let on: Vec<&str> = labels
                .iter()
                .enumerate()
                .filter(|(i, _)| m & (1 << i) != 0)
                .map(|(_, l)| *l)
                .collect();
            format!("{{{}}}", on.join(", "))
        })
        .collect()
}

/// Flags with the labels `prefix0`… for which `pick(i)` holds, out of `n`.
fn labels(prefix: &str, n: usize, pick: impl Fn(usize) -> bool) -> String {
    let on: Vec<String> = (0..n)
        .filter(|i| pick(*i))
        .map(|i| format!("{prefix}{i}"))
        .collect();
    format!("{{{}}}", on.join(", "))
}

#[test]
fn flagsets() {
    let perms = all_subsets(&["read", "write", "exec"]);
    let some = |p: &str, n: usize| {
        vec![
            labels(p, n, |_| false),
            labels(p, n, |_| true),
            labels(p, n, |i| i == 0),
            labels(p, n, |i| i == n - 1),
            labels(p, n, |i| i % 2 == 1),
            labels(p, n, |i| i == n / 2 || i + 1 == n / 2),
        ]
    };
    let bags = vec![
        "{a: {}, b: 0, c: {}, d: {}}".to_string(),
        format!(
            "{{a: {}, b: 255, c: {}, d: {{read, write, exec}}}}",
            labels("n", 9, |_| true),
            labels("t", 17, |_| true)
        ),
        format!(
            "{{a: {}, b: 7, c: {}, d: {{write}}}}",
            labels("n", 9, |i| i == 8),
            labels("t", 17, |i| i == 16)
        ),
        format!(
            "{{a: {}, b: 128, c: {}, d: {{read, exec}}}}",
            labels("n", 9, |i| i % 2 == 0),
            labels("t", 17, |i| i % 3 == 0)
        ),
        format!(
            "{{a: {}, b: 1, c: {}, d: {{}}}}",
            labels("n", 9, |i| i == 0),
            labels("t", 17, |i| i == 0)
        ),
    ];
    check(
        "flagsets",
        &rust_component("flagsets"),
        &[
            (
                "toggle-one",
                sets(&["{}", "{only}", "{}", "{only}", "{only}"]),
            ),
            ("invert-perms", perms.clone()),
            ("count-perms", perms.clone()),
            ("rotate-byte", some("b", 8)),
            ("nine-from", sets(&["0", "1", "256", "511", "4294967295"])),
            ("nine-bits", some("n", 9)),
            ("invert-sixteen", some("h", 16)),
            ("shift-seventeen", some("t", 17)),
            ("invert-full", some("f", 32)),
            (
                "invert-all",
                vec![
                    "[]".into(),
                    "[{}]".into(),
                    "[{read}, {write, exec}]".into(),
                    "[{read, write, exec}, {}]".into(),
                    list(perms.iter().chain(perms.iter()).chain(perms.iter().take(1))),
                ],
            ),
            (
                "perms-bits",
                vec![
                    "[]".into(),
                    list(perms.iter()),
                    "[{}]".into(),
                    "[{exec}, {read}]".into(),
                    list(perms.iter().rev()),
                ],
            ),
            ("bag-echo", bags.clone()),
            ("bag-flip", bags),
        ],
    );
}

/// Argument lists of `n` values: zeros, 1..=n, the maximum, a spread and alternating extremes.
fn wide_args(n: usize, max: &str, big: impl Fn(usize) -> String) -> Vec<String> {
    let join = |f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>().join(", ");
    vec![
        join(&|_| "0".into()),
        join(&|i| (i + 1).to_string()),
        join(&|_| max.to_string()),
        join(&big),
        join(&|i| {
            if i % 2 == 0 {
                max.to_string()
            } else {
                "0".into()
            }
        }),
    ]
}

#[test]
fn wide() {
    let u32s = |n| {
        wide_args(n, "4294967295", |i| {
            ((i as u64 * 2_654_435_761) % (1 << 32)).to_string()
        })
    };
    let s64s = |n| {
        wide_args(n, "-9223372036854775808", |i| {
            ((i as i64 - 5) * 1_000_000_007_000).to_string()
        })
    };
    let u64s = |n| {
        wide_args(n, "18446744073709551615", |i| {
            ((i as u64) << 40 | i as u64).to_string()
        })
    };
    let p17w: Vec<String> = u64s(8)
        .into_iter()
        .zip(["0", "1", "4294967295", "77", "4294967295"])
        .map(|(a, b)| format!("{a}, {b}"))
        .collect();
    let xs64 = sets(&[
        "0",
        "1",
        "18446744073709551615",
        "4294967296",
        "1234567890123",
    ]);
    check(
        "wide",
        &rust_component("wide"),
        &[
            ("p15", u32s(15)),
            ("p16", u32s(16)),
            ("p16w", s64s(8)),
            ("p17", u32s(17)),
            ("p17w", p17w),
            ("p40", u32s(40)),
            ("p40w", s64s(20)),
            ("r1", sets(&["0", "1", "4294967295", "2147483648", "12345"])),
            ("r16", xs64.clone()),
            ("r17", sets(&["0", "1", "4294967295", "65536", "99"])),
            ("r100", xs64),
        ],
    );
}

#[test]
fn nested() {
    let cells = [
        "[]".to_string(),
        "[{tag: \"\", values: []}]".into(),
        "[{tag: \"ab\", values: [1, 2]}]".into(),
        "[{tag: \"x\", values: [65535]}, {tag: \"yy\", values: []}]".into(),
        format!(
            "[{{tag: {}, values: {}}}]",
            lit(17),
            list((0..17).map(|i| i * 4000))
        ),
    ];
    check(
        "nested",
        &rust_component("nested"),
        &[
            (
                "deep",
                sets(&[
                    "[]",
                    "[[]]",
                    "[[[]]]",
                    "[[[1, 2], [3]], [[4]]]",
                    "[[[255]], [], [[0, 1, 2], [], [3]]]",
                ]),
            ),
            (
                "somes",
                vec![
                    "[]".into(),
                    "[none]".into(),
                    "[some(\"a\"), none, some(\"\")]".into(),
                    format!("[some(\"héllo\"), some({})]", lit(17)),
                    "[none, none, some(\"x\")]".into(),
                ],
            ),
            (
                "tally",
                sets(&[
                    "[]",
                    "[ok(1)]",
                    "[err(\"x\")]",
                    "[ok(4294967295), ok(1), err(\"\"), err(\"bad\")]",
                    "[err(\"a\"), ok(2), err(\"日本\")]",
                ]),
            ),
            (
                "cells",
                vec![
                    "[]".into(),
                    "[(\"\", [])]".into(),
                    "[(\"a\", [1, 2, 3])]".into(),
                    "[(\"x\", [65535]), (\"yy\", [])]".into(),
                    format!("[(\"long\", {})]", list(0..17)),
                ],
            ),
            ("cells-total", cells.to_vec()),
            (
                "maybe-list",
                vec![
                    "none".into(),
                    "some([])".into(),
                    "some([\"\"])".into(),
                    "some([\"a\", \"bc\"])".into(),
                    format!("some([{}, {}])", lit(17), lit(16)),
                ],
            ),
            (
                "group",
                sets(&[
                    "[]",
                    "[\"a\"]",
                    "[\"apple\", \"avocado\", \"banana\", \"blueberry\", \"cherry\"]",
                    "[\"\", \"\", \"x\"]",
                    "[\"é1\", \"é2\", \"e3\"]",
                ]),
            ),
            ("grid", sets(&["0", "1", "2", "5", "10"])),
            (
                "transpose",
                sets(&[
                    "[]",
                    "[[]]",
                    "[[1, 2], [3, 4]]",
                    "[[1, 2, 3], [4]]",
                    "[[-9223372036854775808], [9223372036854775807]]",
                ]),
            ),
        ],
    );
}

#[test]
fn inventory() {
    let hammer = "{name: \"hammer\", qty: 3, price: 1500, category: tool, tags: [\"steel\", \"heavy\"], note: none}";
    let apple =
        "{name: \"apple\", qty: 100, price: 30, category: food, tags: [], note: some(\"fresh\")}";
    let yoyo = "{name: \"yo-yo\", qty: 0, price: 250, category: toy, tags: [\"wood\", \"kids\"], note: some(\"\")}";
    let max = "{name: \"bulk\", qty: 4294967295, price: 18446744073709551615, category: food, tags: [\"a\", \"b\", \"c\"], note: some(\"max\")}";
    let i1 = format!("[{hammer}]");
    let i3 = format!("[{hammer}, {apple}, {yoyo}]");
    let i4 = format!("[{yoyo}, {max}, {apple}, {hammer}]");
    let lists = vec![
        "[]".to_string(),
        i1.clone(),
        i3.clone(),
        i4.clone(),
        format!("[{apple}, {apple}]"),
    ];
    check(
        "inventory",
        &rust_component("inventory"),
        &[
            (
                "find",
                vec![
                    "[], all".into(),
                    format!("{i3}, by-name(\"apple\")"),
                    format!("{i3}, by-category(toy)"),
                    format!("{i4}, cheaper-than(300)"),
                    format!("{i3}, tagged(\"wood\")"),
                    format!("{i4}, all"),
                    format!("{i1}, by-name(\"nope\")"),
                ],
            ),
            ("summarize", lists.clone()),
            (
                "restock",
                vec![
                    format!("{i3}, \"apple\", 5"),
                    format!("{i3}, \"pear\", 1"),
                    format!("{i4}, \"bulk\", 1"),
                    "[], \"\", 0".into(),
                    format!("{i3}, \"yo-yo\", 10"),
                ],
            ),
            ("cheapest", lists),
        ],
    );
}

#[test]
fn text_interface() {
    check(
        "text",
        &rust_component("text"),
        &[
            (
                "classify",
                sets(&[
                    "'a'",
                    "'5'",
                    "' '",
                    "'~'",
                    "'é'",
                    "'😀'",
                    "'\\u{10ffff}'",
                    "'\\u{0}'",
                ]),
            ),
            (
                "text-stats",
                vec![
                    "\"\"".into(),
                    "\"abc 123\"".into(),
                    "\"héllo wörld!\"".into(),
                    "\"😀😀 \"".into(),
                    lit(4096),
                ],
            ),
            (
                "caesar",
                sets(&[
                    "\"abc\", 1",
                    "\"XYZ xyz\", 3",
                    "\"héllo\", 13",
                    "\"\", 5",
                    "\"Hello, World\", 255",
                ]),
            ),
            (
                "utf8-len",
                sets(&[
                    "'a'",
                    "'é'",
                    "'✓'",
                    "'😀'",
                    "'\\u{7f}'",
                    "'\\u{80}'",
                    "'\\u{7ff}'",
                    "'\\u{800}'",
                    "'\\u{ffff}'",
                    "'\\u{10000}'",
                ]),
            ),
            (
                "code-points",
                sets(&[
                    "\"\"",
                    "\"a\"",
                    "\"héllo\"",
                    "\"😀\"",
                    "\"\\u{10ffff}\\u{0}\"",
                ]),
            ),
            (
                "from-code-points",
                sets(&[
                    "[]",
                    "[97]",
                    "[104, 233, 128512]",
                    "[55296]",
                    "[1114112]",
                    "[97, 1114111, 0]",
                ]),
            ),
        ],
    );
}

/// Runs `(export, args, expected)` calls: both runtimes must agree, and where `expected` is
/// `Some(reason)` midenc must trap with a message containing `reason` (`None`: must return).
fn check_traps(label: &str, component: &[u8], cases: &[(&str, &str, Option<&str>)]) {
    use std::io::Write as _;
    let calls: Vec<(&str, &str)> = cases.iter().map(|(f, a, _)| (*f, *a)).collect();
    let results = outcomes(component, &calls);
    let mut failures = Vec::new();
    for ((f, a, expected), (mine, theirs)) in cases.iter().zip(&results) {
        let ok = agree(mine, theirs)
            && match (expected, mine) {
                (Some(reason), Outcome::Trap(_, m)) => m.contains(reason),
                (None, Outcome::Ok(_)) => true,
                _ => false,
            };
        if !ok {
            failures.push(format!(
                "{f}({a}): expected {expected:?}; midenc {mine:?}, wasmtime {theirs:?}"
            ));
        }
    }
    let traps = cases.iter().filter(|c| c.2.is_some()).count();
    let _ = writeln!(
        std::io::stderr(),
        "component {label}: {} of {} calls agree with wasmtime ({traps} trap cases)",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{label}:\n{}", failures.join("\n"));
    let mut per_export = std::collections::BTreeMap::<&str, usize>::new();
    for (f, _, _) in cases {
        *per_export.entry(f).or_default() += 1;
    }
    for (f, n) in per_export {
        assert!(n >= 5, "{label}: `{f}` has only {n} argument sets");
    }
}

const CHAR: Option<&str> = Some("invalid char");
const DISC: Option<&str> = Some("invalid variant discriminant");
const UTF8: Option<&str> = Some("invalid utf-8");
const BOUNDS: Option<&str> = Some("out of bounds");
const ALIGN: Option<&str> = Some("not aligned");
const OK: Option<&str> = None;

#[test]
fn lifting_results_traps_like_wasmtime() {
    check_traps(
        "lifttraps",
        &wat_component("lifttraps"),
        &[
            ("to-char", "97", OK),
            ("to-char", "55295", OK),
            ("to-char", "55296", CHAR),
            ("to-char", "57343", CHAR),
            ("to-char", "57344", OK),
            ("to-char", "1114111", OK),
            ("to-char", "1114112", CHAR),
            ("to-char", "4294967295", CHAR),
            ("to-bool", "0", OK),
            ("to-bool", "1", OK),
            ("to-bool", "2", OK),
            ("to-bool", "255", OK),
            ("to-bool", "4294967295", OK),
            ("to-u8", "0", OK),
            ("to-u8", "255", OK),
            ("to-u8", "256", OK),
            ("to-u8", "300", OK),
            ("to-u8", "4294967295", OK),
            ("to-s16", "0", OK),
            ("to-s16", "32767", OK),
            ("to-s16", "32768", OK),
            ("to-s16", "65535", OK),
            ("to-s16", "4294967295", OK),
            ("to-color", "0", OK),
            ("to-color", "1", OK),
            ("to-color", "2", OK),
            ("to-color", "3", DISC),
            ("to-color", "255", DISC),
            ("to-color", "4294967295", DISC),
            ("to-perms", "0", OK),
            ("to-perms", "7", OK),
            ("to-perms", "8", OK),
            ("to-perms", "255", OK),
            ("to-perms", "4294967295", OK),
            ("to-shape", "0, 5, 0", OK),
            ("to-shape", "1, 2, 3", OK),
            ("to-shape", "2, 9, 9", OK),
            ("to-shape", "3, 0, 0", DISC),
            ("to-shape", "255, 1, 1", DISC),
            ("to-shape", "256, 1, 1", OK),
            ("to-option", "0, 5", OK),
            ("to-option", "1, 5", OK),
            ("to-option", "2, 5", DISC),
            ("to-option", "255, 0", DISC),
            ("to-option", "1, 4294967295", OK),
            ("str-at", "100, 5", OK),
            ("str-at", "110, 2", UTF8),
            ("str-at", "120, 2", UTF8),
            ("str-at", "130, 2", UTF8),
            ("str-at", "140, 6", OK),
            ("str-at", "150, 3", UTF8),
            ("str-at", "100, 0", OK),
            ("str-at", "320, 3", UTF8),
            ("str-at", "330, 3", OK),
            ("str-at", "340, 4", UTF8),
            ("str-at", "350, 4", OK),
            ("str-at", "360, 4", OK),
            ("str-at", "360, 3", UTF8),
            ("str-at", "370, 2", UTF8),
            ("str-at", "380, 4", UTF8),
            ("str-at", "390, 3", OK),
            ("str-at", "400, 16", OK),
            ("str-at", "400, 15", UTF8),
            ("str-at", "400, 10", OK),
            ("str-at", "400, 9", UTF8),
            ("str-at", "420, 1", UTF8),
            ("str-at", "65530, 6", OK),
            ("str-at", "65530, 7", BOUNDS),
            ("str-at", "4294967295, 1", BOUNDS),
            ("str-at", "65536, 0", OK),
            ("list-at", "160, 4", OK),
            ("list-at", "161, 1", ALIGN),
            ("list-at", "162, 0", ALIGN),
            ("list-at", "160, 0", OK),
            ("list-at", "65532, 1", OK),
            ("list-at", "65532, 2", BOUNDS),
            ("list-at", "0, 268435456", Some("list too long")),
            ("chars-at", "200, 2", OK),
            ("chars-at", "200, 3", CHAR),
            ("chars-at", "200, 4", CHAR),
            ("chars-at", "204, 1", OK),
            ("chars-at", "208, 1", CHAR),
            ("chars-at", "212, 1", CHAR),
            ("strings-at", "240, 2", OK),
            ("strings-at", "240, 3", UTF8),
            ("strings-at", "248, 1", OK),
            ("strings-at", "240, 0", OK),
            ("strings-at", "242, 1", ALIGN),
            ("bools-at", "280, 2", OK),
            ("bools-at", "280, 4", OK),
            ("bools-at", "282, 1", OK),
            ("bools-at", "283, 1", OK),
            ("bools-at", "280, 0", OK),
            ("colors-at", "290, 3", OK),
            ("colors-at", "290, 4", DISC),
            ("colors-at", "294, 1", DISC),
            ("colors-at", "290, 0", OK),
            ("colors-at", "291, 2", OK),
            ("pair-at", "160", OK),
            ("pair-at", "161", ALIGN),
            ("pair-at", "162", ALIGN),
            ("pair-at", "65528", OK),
            ("pair-at", "65532", BOUNDS),
            ("pair-at", "4294967292", BOUNDS),
        ],
    );
}

#[test]
fn misbehaving_realloc_traps_like_wasmtime() {
    let weights = |n: usize, f: &dyn Fn(usize) -> u64| {
        (0..n)
            .map(|i| f(i).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let s17: Vec<String> = [0u64, 1, 7, 4294967295, 12345]
        .iter()
        .map(|k| weights(17, &|i| (i as u64 * k) % (1 << 32)))
        .collect();
    let s18: Vec<String> = [0u64, 1, 7, 4294967295, 12345]
        .iter()
        .map(|k| weights(18, &|i| (i as u64 * k) % (1 << 32)))
        .collect();
    let realloc_align = Some("realloc return: result not aligned");
    let realloc_end = Some("realloc return: beyond end of memory");
    let mut cases: Vec<(&str, String, Option<&str>)> = vec![
        ("sum", "[]".into(), OK),
        ("sum", "[1]".into(), OK),
        ("sum", "[1, 2]".into(), OK),
        ("sum", "[1, 2, 3]".into(), realloc_align),
        ("sum", "[1, 2, 3, 4]".into(), OK),
        ("sum", list(1..=5), realloc_end),
        ("sum", list(1..=6), realloc_end),
        ("sum", list(1..=11), Some("unreachable")),
        ("sum", list([7; 7]), OK),
        ("len", "\"\"".into(), OK),
        ("len", "\"a\"".into(), OK),
        ("len", lit(7), realloc_end),
        ("len", lit(12), OK),
        ("len", lit(20), realloc_end),
        ("len", lit(24), realloc_end),
    ];
    for s in &s17 {
        cases.push(("sum17", s.clone(), realloc_align));
    }
    for s in &s18 {
        cases.push(("sum18", s.clone(), OK));
    }
    let borrowed: Vec<(&str, &str, Option<&str>)> =
        cases.iter().map(|(f, a, e)| (*f, a.as_str(), *e)).collect();
    check_traps("badrealloc", &wat_component("badrealloc"), &borrowed);
}

/// Felt values that wasmtime carries as `f32` bit patterns: below 2^32, not NaN or infinite
/// (`0x7f800000`…`0x7fffffff` and `0xff800000`… are left out).
const FELTS: [u32; 8] = [
    0,
    1,
    42,
    0x3f80_0000,
    0x7f7f_ffff,
    0x8000_0000,
    0xff7f_ffff,
    0x0080_0001,
];

/// A list of `n` words.
fn words_list(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| word(i + 1)).collect();
    format!("[{}]", items.join(", "))
}

/// A list of `n` entries of the `felts` fixture.
fn entries(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{key: {}, value: {}, tag: {}}}",
                word(i),
                FELTS[(i + 5) % 8],
                i * 40
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn word(i: usize) -> String {
    let f = |k: usize| FELTS[(i + k) % FELTS.len()];
    format!("{{a: {}, b: {}, c: {}, d: {}}}", f(0), f(1), f(2), f(3))
}

#[test]
fn felts() {
    let felts: Vec<String> = FELTS.iter().map(u32::to_string).collect();
    let words: Vec<String> = (0..5).map(word).collect();
    check(
        "felts",
        &rust_component("felts"),
        &[
            ("felt-id", felts.clone()),
            ("felt-of", felts.clone()),
            ("felt-bits", felts.clone()),
            (
                "swap",
                (0..6)
                    .map(|i| format!("{}, {}", FELTS[i], FELTS[i + 2]))
                    .collect(),
            ),
            ("word-rev", words.clone()),
            (
                "make-word",
                (0..5)
                    .map(|i| {
                        let f = |k: usize| FELTS[(i + k) % FELTS.len()];
                        format!("{}, {}, {}, {}", f(0), f(3), f(5), f(7))
                    })
                    .collect(),
            ),
            ("word-xor", words.clone()),
            (
                "entry-echo",
                (0..5)
                    .map(|i| format!("{{key: {}, value: {}, tag: {}}}", word(i), FELTS[i], i * 60))
                    .collect(),
            ),
            (
                "pick",
                (0..6).map(|i| format!("{}, {}", word(i), i)).collect(),
            ),
            (
                "grow",
                (0..5)
                    .map(|i| {
                        let xs: Vec<String> =
                            (0..i).map(|k| FELTS[(i + k) % 8].to_string()).collect();
                        format!("[{}], {}", xs.join(", "), 6 - i)
                    })
                    .collect(),
            ),
            (
                "entries-rotate",
                (0..5)
                    .map(|i| format!("{}, {}", entries(i + 1), i * 3))
                    .collect(),
            ),
            (
                "words-insert",
                (0..5)
                    .map(|i| format!("{}, {}", words_list(i), word(i + 2)))
                    .collect(),
            ),
            ("entries-shifted", (0..5).map(entries).collect()),
            ("entries-skewed", (0..5).map(entries).collect()),
            (
                "array-rev",
                (0..5)
                    .map(|i| {
                        let f = |k: usize| FELTS[(i + 2 * k) % 8];
                        format!("{}, {}, {}, {}", f(0), f(1), f(2), f(3))
                    })
                    .collect(),
            ),
            (
                "last-of17",
                (0..5)
                    .map(|i| {
                        let args: Vec<String> = (0..17)
                            .map(|k| FELTS[(i + k) % FELTS.len()].to_string())
                            .collect();
                        args.join(", ")
                    })
                    .collect(),
            ),
        ],
    );
}

/// Runs one call on midenc alone: the result as WAVE text, or the trap message.
fn midenc_only(component: &[u8], call: &str) -> Result<String, String> {
    let package =
        midenc::compile_wasm(std::path::Path::new("c.wasm"), component, "c").expect("compiles");
    let inv = midenc::invoke::parse(call, &package.manifest).expect("a valid call");
    let sig = inv.export.wit.clone().expect("a component export");
    let root = midenc_linker::parse_word(&inv.export.mast_root).expect("root");
    match midenc_tests::runs::call_component_export(&package, root, &sig, &inv.wit_args) {
        Ok(out) => Ok(out
            .result
            .map(|v| wasm_wave::to_string(&v).expect("renders"))
            .unwrap_or_default()),
        Err(midenc::error::DriverError::Trap { message, .. }) => Err(message),
        Err(other) => panic!("{call}: {other}"),
    }
}

/// Felts of 2^32 and above (which an `f32` cannot carry, so wasmtime cannot run them): they
/// cross calls, linear memory (tuple results, more than 16 parameters) and core-code moves
/// whole; only the integer view of one (`to_bits`) cannot hold it.
#[test]
fn felts_beyond_32_bits() {
    let c = rust_component("felts");
    let max = "18446744069414584320"; // p - 1
    assert_eq!(
        midenc_only(&c, &format!("felt-id({max})")),
        Ok(max.to_string())
    );
    assert_eq!(
        midenc_only(&c, "felt-id(4294967296)"),
        Ok("4294967296".to_string())
    );
    // `to_bits` of a felt of 2^32 or more is a "u32" that is not one: the caller's check of
    // the result image refuses it.
    let package = midenc::compile_wasm(std::path::Path::new("c.wasm"), &c, "c").unwrap();
    let inv = midenc::invoke::parse("felt-bits(4294967296)", &package.manifest).unwrap();
    let sig = inv.export.wit.clone().unwrap();
    let root = midenc_linker::parse_word(&inv.export.mast_root).unwrap();
    match midenc_tests::runs::call_component_export(&package, root, &sig, &inv.wit_args) {
        Err(e) => assert!(e.to_string().contains("4294967296 is not a u32"), "{e}"),
        Ok(out) => panic!("felt-bits(2^32) returned {:?}", out.result),
    }
    // A tuple result goes through linear memory.
    assert_eq!(
        midenc_only(&c, &format!("swap(1, {max})")),
        Ok(format!("({max}, 1)"))
    );
    assert_eq!(
        midenc_only(
            &c,
            &format!("word-rev({{a: {max}, b: 4294967296, c: 1, d: 0}})")
        ),
        Ok(format!("{{a: 0, b: 1, c: 4294967296, d: {max}}}"))
    );
    // 17 felts are passed in linear memory.
    let args: Vec<String> = (0..17)
        .map(|i| {
            if i == 3 {
                max.to_string()
            } else {
                i.to_string()
            }
        })
        .collect();
    assert_eq!(
        midenc_only(&c, &format!("last-of17({})", args.join(", "))),
        Ok("31".to_string())
    );
    // Felt-holding data moved the way compiled Rust moves bytes: `Vec` growth, `clone`,
    // `rotate_left` and `insert` (overlapping copies), a copy with unaligned ends, an array
    // by value.
    let big = [max, "4294967296", "9223372036854775808", "4294967295"];
    let ent = |i: usize| {
        format!(
            "{{key: {{a: {}, b: {}, c: {}, d: {}}}, value: {}, tag: {}}}",
            big[i % 4],
            big[(i + 1) % 4],
            big[(i + 2) % 4],
            big[(i + 3) % 4],
            big[(i + 2) % 4],
            i
        )
    };
    let list = |items: &[String]| format!("[{}]", items.join(", "));
    let es: Vec<String> = (0..4).map(ent).collect();
    assert_eq!(
        midenc_only(&c, &format!("grow([{}, {}], 7)", big[0], big[1])),
        Ok(list(
            &(0..14).map(|i| big[i % 2].to_string()).collect::<Vec<_>>()
        ))
    );
    let rotated: Vec<String> = (0..4).map(|i| ent((i + 1) % 4)).collect();
    assert_eq!(
        midenc_only(&c, &format!("entries-rotate({}, 1)", list(&es))),
        Ok(list(&rotated))
    );
    let w = |i: usize| {
        format!(
            "{{a: {}, b: {}, c: {}, d: {}}}",
            big[i % 4],
            big[(i + 1) % 4],
            big[(i + 2) % 4],
            big[(i + 3) % 4]
        )
    };
    assert_eq!(
        midenc_only(&c, &format!("words-insert([{}, {}], {})", w(0), w(1), w(2))),
        Ok(format!("[{}, {}, {}]", w(2), w(0), w(1)))
    );
    assert_eq!(
        midenc_only(&c, &format!("entries-shifted({})", list(&es))),
        Ok(list(&es))
    );
    assert_eq!(
        midenc_only(&c, &format!("entries-skewed({})", list(&es))),
        Err("felt copied to an unaligned address".to_string())
    );
    assert_eq!(
        midenc_only(
            &c,
            &format!("array-rev({}, {}, {}, {})", big[0], big[1], big[2], big[3])
        ),
        Ok(format!(
            "{{a: {}, b: {}, c: {}, d: {}}}",
            big[3], big[2], big[1], big[0]
        ))
    );
    // The host refuses values that are not field elements.
    let package = midenc::compile_wasm(std::path::Path::new("c.wasm"), &c, "c").unwrap();
    let inv = midenc::invoke::parse("felt-id(18446744069414584321)", &package.manifest).unwrap();
    let sig = inv.export.wit.clone().unwrap();
    assert!(midenc_abi::host::encode(&sig.param_types(), &inv.wit_args).is_err());
}

/// In a world that passes felts, the core module's `f32` carries felts: moves compile, `f32`
/// arithmetic does not (it would compute on a felt as if it were a float); `f64` stays a float.
#[test]
fn float_arithmetic_on_felts_is_unsupported() {
    let wit = "package test:fadd@0.1.0;
        package miden:base@1.0.0 {
          interface core-types { record felt { inner: f32 } }
        }
        world fadd {
          use miden:base/core-types@1.0.0.{felt};
          export twice: func(x: felt) -> felt;
        }";
    let compile = |body: &str| {
        let wat = format!(
            "(module (memory (export \"memory\") 1)
               (func (export \"twice\") (param f32) (result f32) {body}))"
        );
        let component = midenc_tests::components::build_component(&wat, wit, "fadd");
        midenc::compile_wasm(std::path::Path::new("fadd.wasm"), &component, "fadd")
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    assert_eq!(compile("(local.get 0)"), Ok(()));
    let err = compile("(f32.add (local.get 0) (local.get 0))").unwrap_err();
    assert!(err.contains("f32.add"), "{err}");
    assert!(err.contains("carries felts"), "{err}");
    let f64_sum = "(f32.reinterpret_i32 (i32.wrap_i64 (i64.reinterpret_f64
        (f64.add (f64.const 1) (f64.convert_i32_u (i32.reinterpret_f32 (local.get 0)))))))";
    assert_eq!(compile(f64_sum), Ok(()));
}

/// WIT `f32`/`f64` as real floats (a world without felts): scalars on the stack, a record of
/// mixed widths and a tuple through return areas, a list of `f64` through the advice map, an
/// `option<f32>`; zeros of both signs, infinities, NaN, subnormals and rounding cases.
#[test]
fn floats() {
    check(
        "floaty",
        &wat_component("floaty"),
        &[
            (
                "hypot",
                sets(&[
                    "3.0, 4.0",
                    "-0.0, 0.0",
                    "inf, nan",
                    "1e300, 1e300",
                    "5e-324, 1.5",
                ]),
            ),
            (
                "scale",
                sets(&[
                    "{x: 1.5, y: -2.0, w: 0.25}, 2.0",
                    "{x: -0.0, y: 0.0, w: -0.0}, -1.0",
                    "{x: 1e308, y: 3.0, w: 3.4e38}, 0.0",
                    "{x: nan, y: inf, w: 1e-45}, 3.0",
                    "{x: 0.1, y: 0.2, w: 0.3}, 1e-30",
                ]),
            ),
            (
                "halves",
                sets(&[
                    "[]",
                    "[1.0]",
                    "[3.0, -5.0, 1e-320]",
                    "[inf, nan, -0.0, 2.5]",
                    "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]",
                ]),
            ),
            (
                "pick",
                sets(&[
                    "some(1.5), 2.0",
                    "none, 2.0",
                    "some(-0.0), nan",
                    "none, -inf",
                    "some(3.4e38), 0.0",
                ]),
            ),
            (
                "mix",
                sets(&[
                    "1.5, 2, 0.25, -3",
                    "-0.0, 0, -0.0, 0",
                    "3.4e38, 4294967295, 1e308, 9223372036854775807",
                    "nan, 7, inf, -9223372036854775808",
                    "1e-40, 16777217, 0.1, 9007199254740993",
                ]),
            ),
        ],
    );
}
