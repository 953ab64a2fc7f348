//! Component-model features midenc does not compile are refused with `unsupported: …`, a
//! non-zero exit and no output files: async functions and canonical options, `future` and
//! `stream`, string encodings other than UTF-8, exported resources and their methods, and Miden
//! `felt`s in imported functions. One test per path, through the command line.

mod common;

use common::{assert_clean_failure, files_in, midenc_output as midenc};

/// Writes `files` into a fresh directory, runs `midenc compile <args>` there and checks that it
/// fails cleanly with `needle` in its diagnostic.
fn refused(files: &[(&str, &str)], args: &[&str], needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, text) in files {
        let path = d.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let before = files_in(d);
    let mut full = vec!["compile"];
    full.extend_from_slice(args);
    let o = midenc(&full, d);
    assert_clean_failure(&o, d, &before, needle);
}

/// A core module exporting `f` with the given core signature (plus memory and realloc, which
/// lifting strings and lists needs).
fn core_module(f_sig: &str) -> String {
    format!(
        r#"(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 8)
  (func (export "{{name}}") {f_sig} unreachable))"#
    )
}

#[test]
fn async_export_is_unsupported() {
    let wit = "package test:a@1.0.0;\nworld w { export f: async func() -> u32; }\n";
    let wat = core_module("(result i32)").replace("{name}", "[async-lift]f");
    refused(
        &[("w.wit", wit), ("m.wat", &wat)],
        &["m.wat", "--wit", "w.wit"],
        "unsupported: export `f`: resource methods, constructors and async functions",
    );
}

#[test]
fn async_canonical_option_is_unsupported() {
    let component = r#"(component
  (core module $m
    (func (export "f")))
  (core instance $i (instantiate $m))
  (func (export "f") async (result u32) (canon lift (core func $i "f") async))
)"#;
    refused(
        &[("c.wat", component)],
        &["c.wat"],
        "unsupported: async lifts and lowers",
    );
}

#[test]
fn future_and_stream_are_unsupported() {
    for ty in ["future<u32>", "stream<u8>"] {
        let wit = format!("package test:a@1.0.0;\nworld w {{ export f: func(x: {ty}); }}\n");
        let wat = core_module("(param i32)").replace("{name}", "f");
        refused(
            &[("w.wit", &wit), ("m.wat", &wat)],
            &["m.wat", "--wit", "w.wit"],
            "unsupported: WIT `future`/`stream` (async) in export `f`",
        );
    }
}

#[test]
fn utf16_and_latin1_strings_are_unsupported() {
    for encoding in ["utf16", "latin1+utf16"] {
        let component = format!(
            r#"(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 8)
    (func (export "f") (param i32 i32)))
  (core instance $i (instantiate $m))
  (func (export "f") (param "s" string)
    (canon lift (core func $i "f") (memory (core memory $i "memory"))
      (realloc (core func $i "cabi_realloc")) string-encoding={encoding}))
)"#
        );
        refused(
            &[("c.wat", &component)],
            &["c.wat"],
            "unsupported: string encodings other than UTF-8",
        );
    }
}

#[test]
fn exported_resources_and_their_methods_are_unsupported() {
    let wit = "package test:r@1.0.0;
interface counters {
  resource counter {
    constructor(start: u32);
    get: func() -> u32;
  }
  make: func() -> counter;
}
world w { export counters; }
";
    // The constructor is the first function of the interface midenc meets.
    let wat = core_module("(param i32) (result i32)")
        .replace("{name}", "test:r/counters@1.0.0#[constructor]counter");
    refused(
        &[("w.wit", wit), ("m.wat", &wat)],
        &["m.wat", "--wit", "w.wit"],
        "resource methods, constructors and async functions",
    );
    // A free function that returns a handle is refused for its type.
    let wit = "package test:r@1.0.0;
interface counters {
  resource counter;
  make: func() -> counter;
}
world w { export counters; }
";
    let wat = core_module("(result i32)").replace("{name}", "test:r/counters@1.0.0#make");
    refused(
        &[("w.wit", wit), ("m.wat", &wat)],
        &["m.wat", "--wit", "w.wit"],
        "unsupported: WIT resources and handles (`own`/`borrow`) in export",
    );
}
