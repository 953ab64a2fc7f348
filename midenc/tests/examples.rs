//! The Rust examples of `examples/`, built with `midenc build` and run with `midenc run` as the
//! README shows, with their expected outputs.

mod common;

use common::{guest_target_dir, midenc, ok, root, run, stderr, stdout};
use std::path::{Path, PathBuf};

/// Builds `examples/<name>` (with `-L` packages `links`) and returns its package.
fn build_linked(name: &str, links: &[&PathBuf]) -> PathBuf {
    let manifest = root().join("examples").join(name).join("Cargo.toml");
    let target = guest_target_dir();
    let mut args = vec!["build", "--manifest-path", manifest.to_str().unwrap()];
    for link in links {
        args.extend(["-L", link.to_str().unwrap()]);
    }
    let o = ok(run(midenc(&args, &root()).env("CARGO_TARGET_DIR", &target)));
    let err = stderr(&o);
    assert!(err.contains("Finished `debug` Miden package"), "{err}");
    let masp = target.join(format!("miden/debug/{name}.masp"));
    assert!(masp.is_file(), "{} missing", masp.display());
    masp
}

fn build(name: &str) -> PathBuf {
    build_linked(name, &[])
}

/// Runs `call` against `masp` and returns what it printed.
fn invoke(masp: &Path, call: &str) -> String {
    invoke_linked(masp, &[], call)
}

/// Runs `call` against `masp` with `-L` packages `links`.
fn invoke_linked(masp: &Path, links: &[&PathBuf], call: &str) -> String {
    let mut args = vec!["run", masp.to_str().unwrap(), "--invoke", call];
    for link in links {
        args.extend(["-L", link.to_str().unwrap()]);
    }
    let o = ok(run(&mut midenc(&args, &root())));
    stdout(&o).trim().to_string()
}

#[test]
fn bank_applies_transactions_and_reports_errors() {
    let masp = build("bank");
    let ann_bob = |bob_currency: &str| {
        format!(
            "[{{id: 1, owner: \"ann\", currency: eur, balance: 100}}, \
             {{id: 2, owner: \"bob\", currency: {bob_currency}, balance: 5}}]"
        )
    };
    let cases = [
        (
            format!(
                "apply({}, [transfer({{from: 1, to: 2, amount: 30}}), withdraw((2, 50))])",
                ann_bob("eur")
            ),
            "err(insufficient-funds((2, 15)))",
        ),
        (
            format!(
                "apply({}, [transfer({{from: 1, to: 2, amount: 30}}), withdraw((2, 35))])",
                ann_bob("eur")
            ),
            "ok([{id: 1, owner: \"ann\", currency: eur, balance: 70}, \
             {id: 2, owner: \"bob\", currency: eur, balance: 0}])",
        ),
        (
            format!(
                "apply({}, [deposit((2, 50)), withdraw((1, 60))])",
                ann_bob("usd")
            ),
            "ok([{id: 1, owner: \"ann\", currency: eur, balance: 40}, \
             {id: 2, owner: \"bob\", currency: usd, balance: 55}])",
        ),
        (
            format!(
                "apply({}, [transfer({{from: 1, to: 2, amount: 1}})])",
                ann_bob("btc")
            ),
            "err(currency-mismatch((eur, btc)))",
        ),
        (
            "apply([], [deposit((7, 1))])".to_string(),
            "err(unknown-account(7))",
        ),
        (
            format!(
                "apply({}, [deposit((1, 18446744073709551516))])",
                ann_bob("eur")
            ),
            "err(overflow)",
        ),
        (
            format!("apply({}, [])", ann_bob("usd")),
            "ok([{id: 1, owner: \"ann\", currency: eur, balance: 100}, \
             {id: 2, owner: \"bob\", currency: usd, balance: 5}])",
        ),
        (
            "totals([{id: 1, owner: \"ann\", currency: eur, balance: 100}, \
             {id: 2, owner: \"bob\", currency: usd, balance: 5}, \
             {id: 3, owner: \"\", currency: eur, balance: 18446744073709551615}])"
                .to_string(),
            "[(eur, 18446744073709551615), (usd, 5)]",
        ),
        ("totals([])".to_string(), "[]"),
        ("compound(1000000, 500, 10)".to_string(), "ok(1628891)"),
        (
            "compound(18446744073709551615, 1, 1)".to_string(),
            "err(overflow)",
        ),
        ("compound(7, 10000, 0)".to_string(), "ok(7)"),
    ];
    for (call, expected) in cases {
        assert_eq!(invoke(&masp, &call), expected, "{call}");
    }
}

#[test]
fn wide_signatures_pass_more_than_sixteen_felts() {
    let masp = build("wide");
    let cases = [
        (
            "summarize(1, -2, 3, -4, 5, -6, 7, -8, 9, -9223372036854775808)",
            "{count: 10, sum: -9223372036854775803, min: -9223372036854775808, max: 9, first: 1, \
             last: -9223372036854775808, rises: -9223372036854775773, falls: 36, \
             range: 9223372036854775817}",
        ),
        (
            "summarize(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
            "{count: 10, sum: 0, min: 0, max: 0, first: 0, last: 0, rises: 0, falls: 0, range: 0}",
        ),
        (
            "summarize(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)",
            "{count: 10, sum: 55, min: 1, max: 10, first: 1, last: 10, rises: 9, falls: 0, \
             range: 9}",
        ),
        (
            "dot((1, 2, 3, 4, 5, 6, 7, 8), (8, 7, 6, 5, 4, 3, 2, 18446744073709551615))",
            "104",
        ),
        (
            "dot((0, 0, 0, 0, 0, 0, 0, 1), (0, 0, 0, 0, 0, 0, 0, 4294967296))",
            "4294967296",
        ),
        ("pascal(5)", "[1, 1, 1, 1, 2, 1, 1, 3, 3, 1, 1, 4, 6, 4, 1]"),
        ("pascal(0)", "[]"),
    ];
    for (call, expected) in cases {
        assert_eq!(invoke(&masp, call), expected, "{call}");
    }
    // 40 rows: 820 numbers come back through the advice map.
    let row40 = invoke(&masp, "pascal(40)");
    assert_eq!(row40.matches(',').count(), 819, "{row40}");
    assert!(row40.ends_with("39, 1]"), "{row40}");
}

/// `text-app` imports the interface `text-core` exports: built with `midenc build -L`, run
/// with `midenc run -L`, strings and lists crossing both ways through the advice map.
#[test]
fn text_app_calls_text_core() {
    let core = build("text-core");
    let app = build_linked("text-app", &[&core]);
    let cases = [
        ("headline(\"hello  miden world\")", "\"Hello Miden World\""),
        ("headline(\"\")", "\"\""),
        (
            "summary(\"the quick brown fox jumps\")",
            "\"5 words, 21 letters, longest: quick\"",
        ),
        (
            "summary(\"ünïcode wörds ok\")",
            "\"3 words, 14 letters, longest: ünïcode\"",
        ),
    ];
    for (call, expected) in cases {
        assert_eq!(invoke_linked(&app, &[&core], call), expected, "{call}");
    }
    // Without its provider the app cannot run.
    let o = run(&mut midenc(
        &["run", app.to_str().unwrap(), "--invoke", "headline(\"x\")"],
        &root(),
    ));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("text-core"), "{}", stderr(&o));
}
