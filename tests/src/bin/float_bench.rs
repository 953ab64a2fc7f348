//! Benchmark (a table, not a test): VM cycles per float operator, as compiled code pays them
//! (the soft-float runtime's procedure plus the moves around it).
//!
//! Each operator runs in a loop of `n` iterations that feeds its result back in; the cost is
//! the difference between `n` = 101 and `n` = 1, over 100, less the same loop around an
//! `i32.add` (3 cycles), so the loop's own test and branch drop out. Operands start at ordinary
//! values (1.1 and 0.7, or 12345), not at special ones.
//! Run: `cargo run -p midenc-tests --bin float_bench --locked`.

use std::path::Path;

use midenc::vm;
use midenc_abi::CoreValue;

/// One operator and the loop body that runs it.
struct Case {
    op: &'static str,
    body: &'static str,
}

/// Loops over `$x` (f64), `$y` (f32), `$i` (i64) and `$k` (i32); each body updates one of them.
const CASES: &[Case] = &[
    Case {
        op: "i32.add (loop baseline)",
        body: "(local.set $k (i32.add (local.get $k) (i32.const 7)))",
    },
    Case {
        op: "f64.add",
        body: "(local.set $x (f64.add (local.get $x) (f64.const 0.7)))",
    },
    Case {
        op: "f64.sub",
        body: "(local.set $x (f64.sub (local.get $x) (f64.const 0.7)))",
    },
    Case {
        op: "f64.mul",
        body: "(local.set $x (f64.mul (local.get $x) (f64.const 0.7)))",
    },
    Case {
        op: "f64.div",
        body: "(local.set $x (f64.div (local.get $x) (f64.const 0.7)))",
    },
    Case {
        op: "f64.sqrt",
        body: "(local.set $x (f64.sqrt (local.get $x)))",
    },
    Case {
        op: "f64.min",
        body: "(local.set $x (f64.min (local.get $x) (f64.const 0.7)))",
    },
    Case {
        op: "f64.nearest",
        body: "(local.set $x (f64.nearest (local.get $x)))",
    },
    Case {
        op: "f64.lt",
        body: "(local.set $k (i32.add (local.get $k) (f64.lt (local.get $x) (f64.const 0.7))))",
    },
    Case {
        op: "f64.abs",
        body: "(local.set $x (f64.abs (local.get $x)))",
    },
    Case {
        op: "f32.add",
        body: "(local.set $y (f32.add (local.get $y) (f32.const 0.7)))",
    },
    Case {
        op: "f32.mul",
        body: "(local.set $y (f32.mul (local.get $y) (f32.const 0.7)))",
    },
    Case {
        op: "f32.div",
        body: "(local.set $y (f32.div (local.get $y) (f32.const 0.7)))",
    },
    Case {
        op: "f32.sqrt",
        body: "(local.set $y (f32.sqrt (local.get $y)))",
    },
    Case {
        op: "f64.convert_i64_s",
        body: "(local.set $x (f64.convert_i64_s (local.get $i)))",
    },
    Case {
        op: "f64.convert_i32_u",
        body: "(local.set $x (f64.convert_i32_u (local.get $k)))",
    },
    Case {
        op: "i64.trunc_f64_s",
        body: "(local.set $i (i64.trunc_f64_s (local.get $x)))",
    },
    Case {
        op: "i32.trunc_f64_u",
        body: "(local.set $k (i32.trunc_f64_u (local.get $x)))",
    },
    Case {
        op: "i32.trunc_sat_f32_s",
        body: "(local.set $k (i32.trunc_sat_f32_s (local.get $y)))",
    },
    Case {
        op: "f64.promote_f32",
        body: "(local.set $x (f64.promote_f32 (local.get $y)))",
    },
    Case {
        op: "f32.demote_f64",
        body: "(local.set $y (f32.demote_f64 (local.get $x)))",
    },
];

/// A module with one export per case: `run(n)` loops `n` times and returns `$k` (so nothing is
/// dead).
fn module() -> String {
    let mut text = String::from("(module\n");
    for (i, case) in CASES.iter().enumerate() {
        text.push_str(&format!(
            "(func (export \"c{i}\") (param $n i32) (result i32)
               (local $x f64) (local $y f32) (local $i i64) (local $k i32)
               (local.set $x (f64.const 1.1)) (local.set $y (f32.const 1.1))
               (local.set $i (i64.const 12345)) (local.set $k (i32.const 12345))
               (loop $l {body}
                 (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
               (i32.add (local.get $k) (i32.wrap_i64 (i64.reinterpret_f64 (local.get $x)))))\n",
            body = case.body
        ));
    }
    text.push(')');
    text
}

fn main() {
    let wasm = wat::parse_str(module()).expect("the benchmark module parses");
    let package = midenc::compile_wasm(Path::new("float_bench.wat"), &wasm, "float_bench")
        .expect("the benchmark module compiles");
    let per_iteration = |i: usize| -> f64 {
        let (export, root) = package.export(&format!("c{i}")).expect("exported");
        let cycles = |n: i32| {
            vm::call_export(
                &package,
                root,
                &[CoreValue::I32(n)],
                &export.results.clone(),
            )
            .expect("runs")
            .cycles
        };
        f64::from(cycles(101) - cycles(1)) / 100.0
    };
    let baseline = per_iteration(0);
    println!("| operator | cycles per operation |");
    println!("|---|--:|");
    for (i, case) in CASES.iter().enumerate().skip(1) {
        println!("| `{}` | {:.0} |", case.op, per_iteration(i) - baseline);
    }
    println!("\nLoop baseline (subtracted): {baseline:.0} cycles per `i32.add` iteration.");
}
