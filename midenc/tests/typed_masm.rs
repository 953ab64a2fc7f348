//! Hand-written Miden assembly as a typed library: `midenc compile LIB.masm --wit WIT` makes a
//! package whose procedures the world's exports type, which compiled packages import by WIT
//! name with the usual type check (`docs/linking.md`, "Typed MASM libraries").

mod common;

use common::{midenc_output as midenc, stderr, stdout};

const MASM: &str = "#! Triples its argument.\npub proc triple\n    mul.3\nend\n";

const WIT: &str = "package acme:math@0.1.0;

interface ops {
    triple: func(x: u32) -> u32;
}

world math {
    export ops;
}

world app {
    import ops;
    export add3: func(x: u32) -> u32;
}
";

const APP: &str = r#"(module
  (import "acme:math/ops@0.1.0" "triple" (func $triple (param i32) (result i32)))
  (func (export "add3") (param i32) (result i32) (call $triple (local.get 0))))"#;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("math.masm"), MASM).unwrap();
    std::fs::write(dir.path().join("math.wit"), WIT).unwrap();
    std::fs::write(dir.path().join("app.wat"), APP).unwrap();
    dir
}

fn ok(o: std::process::Output) -> std::process::Output {
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

#[test]
fn a_compiled_module_calls_a_typed_masm_procedure_either_way() {
    let dir = setup();
    let d = dir.path();
    for (extra, invocation) in [(None, "call"), (Some("--exec"), "exec")] {
        let mut args = vec![
            "compile",
            "math.masm",
            "--wit",
            "math.wit",
            "--world",
            "math",
            "-o",
            "lib.masp",
        ];
        args.extend(extra);
        ok(midenc(&args, d));
        let manifest: serde_json::Value =
            serde_json::from_str(&stdout(&ok(midenc(&["inspect", "lib.masp", "--json"], d))))
                .unwrap();
        let export = &manifest["exports"][0];
        assert_eq!(export["name"], "acme:math/ops@0.1.0#triple");
        assert_eq!(export["invocation"], invocation);
        assert_eq!(manifest["module"], "math");
        ok(midenc(
            &[
                "compile", "app.wat", "--wit", "math.wit", "--world", "app", "-L", "lib.masp",
            ],
            d,
        ));
        let out = ok(midenc(
            &["run", "app.masp", "-L", "lib.masp", "--invoke", "add3(5)"],
            d,
        ));
        assert_eq!(stdout(&out).trim(), "15", "{invocation}");
    }
}

/// Runs `midenc` with `args` in `d`, expects it to fail, and returns its stderr after checking
/// that it contains `needle`.
fn fails(args: &[&str], d: &std::path::Path, needle: &str) -> String {
    let o = midenc(args, d);
    assert!(!o.status.success(), "{args:?} succeeded");
    let err = stderr(&o);
    assert!(err.contains(needle), "{err}");
    err
}

/// `compile MASM --wit WIT --world math`.
fn compile_masm<'a>(masm: &'a str, wit: &'a str) -> [&'a str; 6] {
    ["compile", masm, "--wit", wit, "--world", "math"]
}

#[test]
fn the_wit_and_the_masm_must_agree() {
    let dir = setup();
    let d = dir.path();
    // A procedure the module does not have.
    std::fs::write(
        d.join("bad.wit"),
        WIT.replace("triple: func", "quadruple: func"),
    )
    .unwrap();
    fails(
        &compile_masm("math.masm", "bad.wit"),
        d,
        "typed library `math`: `acme:math/ops@0.1.0#quadruple` has no procedure \
         `math::quadruple`",
    );
    assert!(!d.join("math.masp").exists());
    // An importer whose types differ from the WIT's.
    ok(midenc(&compile_masm("math.masm", "math.wit"), d));
    std::fs::write(
        d.join("wrong.wat"),
        APP.replace("(param i32) (result i32)))", "(param i64) (result i32)))"),
    )
    .unwrap();
    fails(
        &["compile", "wrong.wat", "-L", "math.masp"],
        d,
        "signature mismatch",
    );
}

#[test]
fn bad_masm_input_is_a_clear_error() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("broken.masm"), "pub proc triple mul.3\n").unwrap();
    let err = fails(
        &compile_masm("broken.masm", "math.wit"),
        d,
        "`broken` does not assemble",
    );
    assert!(
        err.contains("midenc::masm::assembly") && !err.contains("internal error"),
        "{err}"
    );
    fails(
        &["compile", "math.masm"],
        d,
        "`--wit` must describe its procedures",
    );
    let mut script = compile_masm("math.masm", "math.wit").to_vec();
    script.extend(["--tx-script", "run"]);
    fails(
        &script,
        d,
        "unsupported: `--tx-script` with a hand-written `.masm` module",
    );
    fails(
        &["compile", "app.wat", "--exec"],
        d,
        "`--exec` applies to a hand-written `.masm` module",
    );
}
