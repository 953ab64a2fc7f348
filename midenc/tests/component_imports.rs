//! Component imports from the command line: a callee and a caller compiled from core modules
//! plus their WIT worlds (`--wit/--world`), the caller's imports resolved against the callee
//! package (`-L`) and run on the Miden VM; signature mismatches and missing providers; core
//! imports of more than 16 felts through the advice map.

mod common;

use common::{assert_clean_failure, files_in, midenc_output as midenc, stderr};

use std::{path::PathBuf, process::Output};

fn ok(o: Output) -> String {
    assert!(o.status.success(), "midenc failed:\n{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/components")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The forwarding core module importing `import`, exports prefixed by `export`.
fn forwarder(import: &str, export: &str) -> String {
    fixture("forward.wat")
        .replace("\"IMPORT\"", &format!("\"{import}\""))
        .replace("\"EXPORT", &format!("\"{export}"))
}

/// A temp dir with `svc.wit`, the callee (C), the middle (B) and the top (A) compiled.
fn packages() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("svc.wit"), fixture("svc.wit")).unwrap();
    std::fs::write(d.join("callee.wat"), fixture("svc.wat")).unwrap();
    std::fs::write(d.join("caller.wat"), forwarder("test:svc/api@1.0.0", "")).unwrap();
    std::fs::write(
        d.join("middle.wat"),
        forwarder("test:svc/api@1.0.0", "test:svc/app@1.0.0#"),
    )
    .unwrap();
    std::fs::write(d.join("top.wat"), forwarder("test:svc/app@1.0.0", "")).unwrap();
    let wit = ["--wit", "svc.wit", "--world"];
    let compile = |file: &str, world: &str, links: &[&str]| {
        let mut args = vec!["compile", file];
        args.extend(wit);
        args.push(world);
        for l in links {
            args.extend(["-L", l]);
        }
        ok(midenc(&args, d));
    };
    compile("callee.wat", "callee", &[]);
    compile("caller.wat", "caller", &["callee.masp"]);
    compile("middle.wat", "middle", &["callee.masp"]);
    compile("top.wat", "top", &["middle.masp"]);
    dir
}

const CASES: &[(&str, &str)] = &[
    ("shout(\"hello, miden\")", "\"HELLO, MIDEN\""),
    ("lengths([\"a\", \"bc\", \"\", \"déf\"])", "[1, 2, 0, 4]"),
    (
        "tag({name: \"ada\", age: 36, tags: [\"math\", \"engines\"]})",
        "{name: \"ada\", age: 37, tags: [\"math\", \"engines\"]}",
    ),
    ("dup(\"ab\", 3)", "[\"ab\", \"ab\", \"ab\"]"),
    ("nest([[255], [], [0, 9]])", "[[1, 9], [], [0]]"),
    ("fan(7)", "(7, 8, 9, 10, 11, 12, 13, 14, 7)"),
    (
        "sum17(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)",
        "17153",
    ),
    ("greet(some(\"ada\"), 'x')", "ok(\"ada\")"),
    ("greet(none, 'x')", "err(120)"),
];

#[test]
fn caller_runs_with_the_callee_linked() {
    let dir = packages();
    let d = dir.path();
    for (call, want) in CASES {
        let out = ok(midenc(
            &["run", "caller.masp", "-L", "callee.masp", "--invoke", call],
            d,
        ));
        assert_eq!(out, *want, "{call}");
    }
    // The caller's manifest records each import with its WIT signature and provider.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("caller.manifest.json")).unwrap())
            .unwrap();
    let imports = m["imports"].as_array().unwrap();
    assert_eq!(imports.len(), 8);
    let shout = imports
        .iter()
        .find(|i| i["name"] == "shout")
        .expect("shout import");
    assert_eq!(shout["kind"], "named");
    assert_eq!(shout["spills"], true);
    assert_eq!(shout["signature"], "func(s: string) -> string");
    assert_eq!(shout["wit"]["result"], "string");
    assert_eq!(shout["resolved"]["package"], "callee");
    assert_eq!(shout["resolved"]["export"], "test:svc/api@1.0.0#shout");
    // `inspect` lists each import with its WIT signature, felts, spill and provider.
    let table = ok(midenc(&["inspect", "caller.masp"], d));
    let row = table
        .lines()
        .find(|l| l.contains("test:svc/api@1.0.0#sum17"))
        .expect("an import row for sum17");
    assert!(row.contains(" named "), "{row}");
    assert!(row.contains("5 / 1"), "{row}");
    assert!(row.contains(" yes "), "{row}");
    assert!(row.contains("in callee 0.1.0"), "{row}");
    // Running without the callee is a missing dependency, not a VM failure.
    let before = files_in(d);
    let o = midenc(&["run", "caller.masp", "--invoke", "fan(7)"], d);
    assert_clean_failure(&o, d, &before, "depends on `callee`");
}

#[test]
fn three_component_chain_runs() {
    let dir = packages();
    let d = dir.path();
    for (call, want) in CASES {
        let out = ok(midenc(
            &[
                "run",
                "top.masp",
                "-L",
                "middle.masp",
                "-L",
                "callee.masp",
                "--invoke",
                call,
            ],
            d,
        ));
        assert_eq!(out, *want, "{call}");
    }
    // The middle package needs its own dependency at run time too.
    let before = files_in(d);
    let o = midenc(
        &["run", "top.masp", "-L", "middle.masp", "--invoke", "fan(1)"],
        d,
    );
    assert_clean_failure(&o, d, &before, "depends on `callee`");
}

#[test]
fn mismatched_wit_signatures_name_both_sides() {
    let dir = packages();
    let d = dir.path();
    // A callee whose `shout` returns a u32 instead of a string (its core type is the same).
    let wit = fixture("svc.wit").replacen(
        "shout: func(s: string) -> string;",
        "shout: func(s: string) -> u32;",
        1,
    );
    std::fs::create_dir(d.join("other")).unwrap();
    std::fs::write(d.join("other/svc.wit"), wit).unwrap();
    std::fs::write(d.join("other/callee.wat"), fixture("svc.wat")).unwrap();
    ok(midenc(
        &[
            "compile",
            "other/callee.wat",
            "--wit",
            "other/svc.wit",
            "--world",
            "callee",
            "-o",
            "other/callee.masp",
        ],
        d,
    ));
    let before = files_in(d);
    let o = compile_caller_to_bad(d, &["-L", "other/callee.masp"]);
    assert_clean_failure(&o, d, &before, "signature mismatch");
    let err = stderr(&o);
    assert!(err.contains("`test:svc/api@1.0.0#shout`"), "{err}");
    assert!(err.contains("func(s: string) -> string"), "{err}");
    assert!(err.contains("func(s: string) -> u32"), "{err}");
    assert!(err.contains("other/callee.masp"), "{err}");

    // A provider without WIT (a core module export of that name) does not satisfy it.
    std::fs::write(
        d.join("core.wat"),
        r#"(module (func (export "test:svc/api@1.0.0#shout") (param i32 i32) (result i32) (local.get 0)))"#,
    )
    .unwrap();
    ok(midenc(&["compile", "core.wat"], d));
    let before = files_in(d);
    let o = compile_caller_to_bad(d, &["-L", "core.masp"]);
    assert_clean_failure(&o, d, &before, "signature mismatch");
}

/// Compiles the caller component of [`packages`] with `extra` arguments into `bad.masp` (the
/// compilations here are expected to fail).
fn compile_caller_to_bad(d: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "compile",
        "caller.wat",
        "--wit",
        "svc.wit",
        "--world",
        "caller",
        "-o",
        "bad.masp",
    ];
    args.extend(extra);
    midenc(&args, d)
}

#[test]
fn unresolved_component_imports_are_errors() {
    let dir = packages();
    let d = dir.path();
    for extra in [&[][..], &["--allow-unresolved"][..]] {
        let before = files_in(d);
        let o = compile_caller_to_bad(d, extra);
        assert_clean_failure(&o, d, &before, "test:svc/api@1.0.0#shout");
    }
}

/// Core imports by MAST root whose signatures exceed 16 felts use the advice-map spill: the
/// callee's `sum17` (17 argument felts) and `fan` (17 result felts), called from a core module.
#[test]
fn core_imports_beyond_sixteen_felts_spill() {
    let dir = packages();
    let d = dir.path();
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("callee.manifest.json")).unwrap())
            .unwrap();
    let root = |name: &str| {
        m["exports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == format!("test:svc/api@1.0.0#{name}"))
            .unwrap()["mast_root"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let i32s = |n: usize| vec!["i32"; n].join(" ");
    let wat = format!(
        r#"(module
  (import "mast:{sum17}" "sum17" (func $sum17 (param {p17}) (result i32)))
  (import "mast:{fan}" "fan" (func $fan (param i64) (result i64 i64 i64 i64 i64 i64 i64 i64 i32)))
  ;; sum17(x, x+1, ..., x+16)
  (func (export "ramp") (param $x i32) (result i32)
    {ramp}
    (call $sum17))
  ;; fan(x): the sum of the eight u64 results, and the u32 result
  (func (export "fold") (param $x i64) (result i64 i32)
    (local $u i32)
    (call $fan (local.get $x))
    (local.set $u)
    i64.add i64.add i64.add i64.add i64.add i64.add i64.add
    (local.get $u)))"#,
        sum17 = root("sum17"),
        fan = root("fan"),
        p17 = i32s(17),
        ramp = (0..17)
            .map(|i| format!("(i32.add (local.get $x) (i32.const {i}))"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    std::fs::write(d.join("core.wat"), wat).unwrap();
    ok(midenc(&["compile", "core.wat", "-L", "callee.masp"], d));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("core.manifest.json")).unwrap())
            .unwrap();
    let imports = m["imports"].as_array().unwrap();
    assert_eq!(imports[0]["stack_felts_in"], 5);
    assert_eq!(imports[0]["spills"], true);
    assert_eq!(imports[1]["stack_felts_out"], 5);
    for x in [0u32, 1, 1000, 4_000_000_000] {
        let want = (0..17u32)
            .map(|i| x.wrapping_add(i))
            .fold(0u32, u32::wrapping_add)
            .wrapping_add(x.wrapping_add(16).wrapping_mul(1000));
        let out = ok(midenc(
            &[
                "run",
                "core.masp",
                "-L",
                "callee.masp",
                "--invoke",
                &format!("ramp({})", x as i32),
            ],
            d,
        ));
        assert_eq!(out, (want as i32).to_string(), "ramp({x})");
    }
    for x in [0u64, 5, u64::MAX, 1 << 40] {
        let sum = (0..8u64).fold(0u64, |s, i| s.wrapping_add(x.wrapping_add(i)));
        let out = ok(midenc(
            &[
                "run",
                "core.masp",
                "-L",
                "callee.masp",
                "--invoke",
                &format!("fold({})", x as i64),
            ],
            d,
        ));
        assert_eq!(
            out,
            format!("({}, {})", sum as i64, x as u32 as i32),
            "fold({x})"
        );
    }
}

/// World imports are checked only when the core module uses them: unused ones may have types
/// midenc cannot carry; used world-level functions and resources are clear `unsupported` errors.
#[test]
fn only_used_world_imports_must_be_supported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("w.wit"),
        "package test:w@1.0.0;
interface res { resource thing; make: func() -> thing; }
world w {
  import res;
  import g: func();
  export h: func() -> u32;
}
",
    )
    .unwrap();
    let cases = [
        (
            r#"(module (func (export "h") (result i32) (i32.const 7)))"#,
            None,
        ),
        (
            r#"(module (import "$root" "g" (func)) (func (export "h") (result i32) (call 0) (i32.const 7)))"#,
            Some("unsupported: import of world-level function `g`"),
        ),
        (
            r#"(module (import "test:w/res@1.0.0" "make" (func (result i32))) (func (export "h") (result i32) (call 0)))"#,
            Some("unsupported: WIT resources and handles"),
        ),
    ];
    for (i, (wat, err)) in cases.iter().enumerate() {
        let file = format!("m{i}.wat");
        std::fs::write(d.join(&file), wat).unwrap();
        let before = files_in(d);
        let o = midenc(&["compile", &file, "--wit", "w.wit"], d);
        match err {
            None => {
                ok(o);
                let out = ok(midenc(&["run", "m0.masp", "--invoke", "h()"], d));
                assert_eq!(out, "7");
            }
            Some(needle) => assert_clean_failure(&o, d, &before, needle),
        }
    }
}

/// A felt crosses a component import whole: the caller's `run` calls the callee's `triple`
/// twice on p − 1 (the callee computes with the felt intrinsics).
#[test]
fn felts_cross_component_imports_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = [
        (
            "wit/deps/miden-base/core-types.wit",
            "package miden:base@1.0.0;\ninterface core-types { record felt { inner: f32 } }\n",
        ),
        (
            "wit/f.wit",
            "package test:f@1.0.0;
interface api {
  use miden:base/core-types@1.0.0.{felt};
  triple: func(x: felt) -> felt;
}
world callee { export api; }
world caller {
  use miden:base/core-types@1.0.0.{felt};
  import api;
  export run: func(x: felt) -> felt;
}
",
        ),
        (
            "callee.wat",
            r#"(module
  (import "miden:intrinsics/felt" "mul" (func $mul (param f32 f32) (result f32)))
  (import "miden:intrinsics/felt" "from_u32" (func $c (param i32) (result f32)))
  (func (export "test:f/api@1.0.0#triple") (param f32) (result f32)
    (call $mul (local.get 0) (call $c (i32.const 3)))))"#,
        ),
        (
            "caller.wat",
            r#"(module
  (import "test:f/api@1.0.0" "triple" (func $t (param f32) (result f32)))
  (func (export "run") (param f32) (result f32) (call $t (call $t (local.get 0)))))"#,
        ),
    ];
    for (name, text) in files {
        let path = d.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    ok(midenc(
        &["compile", "callee.wat", "--wit", "wit", "--world", "callee"],
        d,
    ));
    ok(midenc(
        &[
            "compile",
            "caller.wat",
            "--wit",
            "wit",
            "--world",
            "caller",
            "-L",
            "callee.masp",
        ],
        d,
    ));
    let run = |x: &str| {
        ok(midenc(
            &[
                "run",
                "caller.masp",
                "-L",
                "callee.masp",
                "--invoke",
                &format!("run({x})"),
            ],
            d,
        ))
    };
    // 9 · (p − 1) = p − 9; 9 · 2^40.
    assert_eq!(run("18446744069414584320"), "18446744069414584312");
    assert_eq!(run("1099511627776"), "9895604649984");
}
