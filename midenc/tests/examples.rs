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

/// `examples/felt-math` against miden-core's field arithmetic and Poseidon2, on values that
/// include 0, 1, p − 1, 2^32 − 1, 2^32 and 2^63.
mod felt_math {
    use super::*;
    use miden_processor::{crypto::hash::Poseidon2, field::Field, Felt, Word};

    const P: u64 = 0xFFFF_FFFF_0000_0001;

    fn values(n: usize, seed: u64) -> Vec<u64> {
        let mut v = vec![0, 1, P - 1, (1 << 32) - 1, 1 << 32, 1 << 63];
        let mut x = seed;
        while v.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.push(x % P);
        }
        v.truncate(n);
        v
    }

    fn felt(v: u64) -> Felt {
        Felt::new(v).unwrap()
    }

    fn list(values: &[u64]) -> String {
        let items: Vec<String> = values.iter().map(u64::to_string).collect();
        format!("[{}]", items.join(", "))
    }

    fn word_text(w: Word) -> String {
        let e: Vec<u64> = w.iter().map(|f| f.as_canonical_u64()).collect();
        format!("{{a: {}, b: {}, c: {}, d: {}}}", e[0], e[1], e[2], e[3])
    }

    /// Runs `call`, expecting it to fail with a trap that says `message`.
    fn traps(masp: &Path, call: &str, message: &str) {
        let o = run(&mut midenc(
            &["run", masp.to_str().unwrap(), "--invoke", call],
            &root(),
        ));
        assert!(!o.status.success(), "{call} succeeded");
        let err = stderr(&o);
        assert!(err.contains(message), "{call}: {err}");
    }

    #[test]
    fn every_export_agrees_with_miden_core() {
        let masp = build("felt-math");
        let mut cases = 0;
        for (n, seed) in [(0, 1), (1, 2), (3, 3), (8, 4), (13, 5), (40, 6)] {
            let xs = values(n, seed);
            let felts: Vec<Felt> = xs.iter().map(|v| felt(*v)).collect();
            for x in values(3, seed + 100) {
                let want = felts
                    .iter()
                    .rev()
                    .fold(Felt::ZERO, |acc, c| acc * felt(x) + *c);
                let got = invoke(&masp, &format!("horner({}, {x})", list(&xs)));
                assert_eq!(
                    got,
                    want.as_canonical_u64().to_string(),
                    "horner {n} at {x}"
                );
                cases += 1;
            }
            let want = Poseidon2::hash_elements(&felts);
            assert_eq!(
                invoke(&masp, &format!("hash({})", list(&xs))),
                word_text(want)
            );
            let got = invoke(&masp, &format!("from-u64s({})", list(&xs)));
            assert_eq!(got, list(&xs));
            let nonzero: Vec<u64> = xs.iter().filter(|v| **v != 0).copied().collect();
            let inv: Vec<u64> = nonzero
                .iter()
                .map(|v| felt(*v).inverse().as_canonical_u64())
                .collect();
            assert_eq!(
                invoke(&masp, &format!("batch-inverse({})", list(&nonzero))),
                list(&inv)
            );
            cases += 3;
        }
        for (x, e) in [
            (3, 5),
            (P - 1, P),
            (1 << 32, u64::MAX),
            (0, 0),
            (7, P - 1),
            (1 << 63, 1 << 40),
        ] {
            let want = felt(x).exp_u64(e).as_canonical_u64().to_string();
            assert_eq!(
                invoke(&masp, &format!("pow({x}, {e})")),
                want,
                "pow({x}, {e})"
            );
            cases += 1;
        }
        // From 32 leaves on, levels of 16 merges and more run in unrolled passes.
        for leaves in [1usize, 2, 4, 16, 32, 128] {
            let elems = values(4 * leaves, leaves as u64 + 9);
            let mut level: Vec<Word> = elems
                .chunks(4)
                .map(|c| Word::new([felt(c[0]), felt(c[1]), felt(c[2]), felt(c[3])]))
                .collect();
            let text: Vec<String> = level.iter().map(|w| word_text(*w)).collect();
            while level.len() > 1 {
                level = level
                    .chunks(2)
                    .map(|p| Poseidon2::merge(&[p[0], p[1]]))
                    .collect();
            }
            let got = invoke(&masp, &format!("merkle-root([{}])", text.join(", ")));
            assert_eq!(got, word_text(level[0]), "merkle root of {leaves}");
            cases += 1;
        }
        eprintln!("felt-math: {cases} calls agree with miden-core");
    }

    #[test]
    fn traps_are_clear() {
        let masp = build("felt-math");
        traps(
            &masp,
            "batch-inverse([5, 0, 7])",
            "trap: felt inverse of zero",
        );
        traps(
            &masp,
            &format!("from-u64s([1, {P}])"),
            "trap: u64 value is not below the field modulus",
        );
        traps(&masp, "merkle-root([{a: 1, b: 2, c: 3, d: 4}, {a: 1, b: 2, c: 3, d: 4}, {a: 1, b: 2, c: 3, d: 4}])", "trap: unreachable");
    }
}

/// The felt logic of `examples/felt-math` also runs natively: its unit tests, built for the
/// host with the bindings' native felt arithmetic and Poseidon2, pass under plain `cargo test`.
#[test]
fn felt_math_runs_natively_on_the_host() {
    let manifest = root().join("examples/felt-math/Cargo.toml");
    let target = guest_target_dir().join("host");
    let o = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "test",
            "--quiet",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert!(o.status.success(), "{out}");
    assert!(out.contains("4 passed"), "{out}");
}

/// Runs `midenc tx` with `args` from the repository root and returns its text report.
fn tx(args: &[&str]) -> String {
    let mut all = vec!["tx"];
    all.extend(args);
    stdout(&ok(run(&mut midenc(&all, &root()))))
}

/// The contract examples as `examples/README.md` runs them: the counter counts, and the Rust
/// pay-to-ID note pays the Rust wallet it was linked against.
#[test]
fn contract_examples_run_in_transactions() {
    let counter = build("counter");
    let report = tx(&[
        "--account",
        counter.to_str().unwrap(),
        "--call",
        "increment",
        "--repeat",
        "2",
    ]);
    assert!(report.contains("transaction 2"), "{report}");
    assert!(report.contains("count = [2, 0, 0, 0]"), "{report}");

    let wallet = build("wallet");
    let p2id = build_linked("p2id", &[&wallet]);
    let report = tx(&[
        "--account",
        wallet.to_str().unwrap(),
        "--note",
        p2id.to_str().unwrap(),
        "--note-storage",
        "account",
        "--note-asset",
        "100",
    ]);
    assert!(report.contains(" +100\n"), "{report}");
    // The note names another account: it refuses to pay, and nothing is committed.
    let o = run(&mut midenc(
        &[
            "tx",
            "--account",
            wallet.to_str().unwrap(),
            "--note",
            p2id.to_str().unwrap(),
            "--note-storage",
            "5,6",
            "--note-asset",
            "100",
        ],
        &root(),
    ));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("the transaction failed"),
        "{}",
        stderr(&o)
    );
}
