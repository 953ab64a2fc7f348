//! Helpers shared by the CLI integration tests: run the `midenc` binary as a user would and
//! read what it printed. Each test crate uses a subset.
#![allow(dead_code)]

pub mod link_chain;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A `midenc` command in `dir`, without colours or a toolchain override from the environment.
pub fn midenc(args: &[&str], dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_midenc"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("MIDENC_TOOLCHAIN");
    cmd
}

/// Runs a command to completion.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("midenc runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success, showing everything the command printed otherwise.
pub fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "midenc failed:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

/// The cargo target directory for wasm32 guest crates, shared by the tests that build Rust
/// packages and by `scripts/check-bindings.sh`, so `core` and `alloc` are compiled once.
pub fn guest_target_dir() -> PathBuf {
    std::env::var_os("MIDENC_GUEST_TARGET")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map(PathBuf::from);
            home.unwrap_or_else(std::env::temp_dir)
                .join(".cache/midenc-guest-target")
        })
}

/// Runs `midenc args` in `dir` to completion (no colours).
pub fn midenc_output(args: &[&str], dir: &Path) -> Output {
    run(&mut midenc(args, dir))
}

/// The file names directly in `dir`, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A failure with `needle` in the diagnostic, no panic, and no file left behind in `dir`
/// (whose files were `before`).
pub fn assert_clean_failure(o: &Output, dir: &Path, before: &[String], needle: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure; stderr:\n{err}");
    assert_ne!(o.status.code(), Some(101), "midenc panicked:\n{err}");
    assert!(!err.contains("panicked"), "midenc panicked:\n{err}");
    assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    assert_eq!(files_in(dir), before, "a failed command left files behind");
}
