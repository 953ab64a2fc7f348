//! `midenc run --profile`: cycles per Wasm function, self and total, on stderr.

use std::{path::Path, process::Command};

const WAT: &str = r#"(module
  (func $square (param i32) (result i32) local.get 0 local.get 0 i32.mul)
  (func $sum_squares (export "sum_squares") (param i32) (result i32) (local i32)
    block
      loop
        local.get 0 i32.eqz br_if 1
        local.get 1 local.get 0 call $square i32.add local.set 1
        local.get 0 i32.const 1 i32.sub local.set 0
        br 0
      end
    end
    local.get 1)
  (func $fact (export "fact") (param i32) (result i32)
    local.get 0 i32.eqz
    if (result i32)
      i32.const 1
    else
      local.get 0 local.get 0 i32.const 1 i32.sub call $fact i32.mul
    end))
"#;

/// One row of the profile table.
#[derive(Debug)]
struct Row {
    name: String,
    calls: Option<u64>,
    self_cycles: u64,
    total_cycles: u64,
}

fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_midenc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("midenc runs");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Parses the table (header, one row per function, the `(outside functions)` row) and the
/// `cycles: N` line.
fn parse(stderr: &str) -> (Vec<Row>, u64) {
    let mut rows = Vec::new();
    let mut cycles = None;
    let mut lines = stderr.lines();
    assert!(
        lines.next().is_some_and(|h| h.starts_with("function")),
        "no header in {stderr}"
    );
    for line in lines {
        if let Some(n) = line.strip_prefix("cycles: ") {
            cycles = Some(n.parse().unwrap());
            continue;
        }
        let (name, rest) = if let Some(rest) = line.strip_prefix("(outside functions)") {
            ("(outside functions)".to_string(), rest)
        } else {
            let (name, rest) = line.split_once(' ').unwrap();
            (name.to_string(), rest)
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let numbers: Vec<u64> = fields
            .iter()
            .filter(|f| !f.ends_with('%'))
            .map(|f| f.parse().unwrap())
            .collect();
        let (calls, self_cycles, total_cycles) = match numbers[..] {
            [c, s, t] => (Some(c), s, t),
            [s, t] => (None, s, t),
            _ => panic!("bad row {line:?}"),
        };
        rows.push(Row {
            name,
            calls,
            self_cycles,
            total_cycles,
        });
    }
    (rows, cycles.expect("cycles line"))
}

fn row<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no row {name} in {rows:?}"))
}

/// Runs `invoke` of the module `wat` (as `prog.wat`) with `--profile --cycles` in a fresh
/// directory, checks it prints `want`, and returns the directory, the profile rows and the
/// total cycles.
fn profiled(wat: &str, invoke: &str, want: &str) -> (tempfile::TempDir, Vec<Row>, u64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prog.wat"), wat).unwrap();
    let (ok, out, err) = run(
        dir.path(),
        &[
            "run",
            "prog.wat",
            "--invoke",
            invoke,
            "--profile",
            "--cycles",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(out, format!("{want}\n"));
    let (rows, cycles) = parse(&err);
    (dir, rows, cycles)
}

#[test]
fn profile_attributes_cycles_to_functions() {
    let (dir, rows, cycles) = profiled(WAT, "sum_squares(10)", "385");
    let square = row(&rows, "square");
    let outer = row(&rows, "sum_squares");
    let outside = row(&rows, "(outside functions)");
    assert_eq!(square.calls, Some(10));
    assert_eq!(outer.calls, Some(1));
    assert!(square.self_cycles > 0 && square.self_cycles == square.total_cycles);
    // The caller's total holds its callees; every cycle is counted exactly once as self.
    assert_eq!(outer.total_cycles, outer.self_cycles + square.total_cycles);
    assert_eq!(
        outer.self_cycles + square.self_cycles + outside.self_cycles,
        cycles
    );
    assert_eq!(outside.total_cycles, cycles);
    // The run costs what an unprofiled run costs: decorators take no cycles.
    let (ok, _, plain) = run(
        dir.path(),
        &["run", "prog.wat", "--invoke", "sum_squares(10)", "--cycles"],
    );
    assert!(ok);
    assert_eq!(plain.trim(), format!("cycles: {cycles}"));
}

#[test]
fn recursion_counts_every_call_and_the_outermost_total() {
    let (_dir, rows, cycles) = profiled(WAT, "fact(5)", "120");
    let fact = row(&rows, "fact");
    assert_eq!(fact.calls, Some(6));
    let outside = row(&rows, "(outside functions)");
    assert_eq!(fact.self_cycles + outside.self_cycles, cycles);
    // Nested activations are not counted again in the total.
    assert_eq!(fact.total_cycles, fact.self_cycles);
}

/// Two exports that begin by calling the same procedure with control flow: the trace at the
/// start of each must stay with its own function (not land on the callee's shared code).
const SHARED_CALLEE: &str = r#"(module
  (global $g (mut i32) (i32.const 0))
  (func $init global.get $g i32.eqz if (global.set $g (i32.const 7)) end)
  (func $a (export "a") (result i32) call $init global.get $g i32.const 2 i32.add)
  (func $b (export "b") (result i32) call $init global.get $g i32.const 3 i32.add))
"#;

#[test]
fn a_function_that_begins_with_a_call_keeps_its_cycles() {
    let (_dir, rows, cycles) = profiled(SHARED_CALLEE, "a()", "9");
    let a = row(&rows, "a");
    assert_eq!(a.calls, Some(1));
    assert!(a.self_cycles > 0, "{rows:?}");
    assert_eq!(
        a.total_cycles,
        a.self_cycles + row(&rows, "init").total_cycles
    );
    assert!(rows.iter().all(|r| r.name != "b"), "{rows:?}");
    let outside = row(&rows, "(outside functions)");
    assert_eq!(outside.total_cycles, cycles);
}

#[test]
fn profile_needs_a_core_module() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prog.wat"), WAT).unwrap();
    let (ok, _, err) = run(dir.path(), &["compile", "prog.wat"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(
        dir.path(),
        &["run", "prog.masp", "--invoke", "fact(3)", "--profile"],
    );
    assert!(!ok);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("`--profile` needs a core Wasm module"),
        "{err}"
    );
}
