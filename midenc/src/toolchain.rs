//! Finding a Rust toolchain that builds for `wasm32-unknown-unknown`.
//!
//! Two kinds work: one with a prebuilt wasm32 standard library (rustup's after
//! `rustup target add wasm32-unknown-unknown`), and one that builds `core`/`alloc` from source
//! with `-Z build-std` (Debian's `rustc-web`, whose `rust-web-src` ships the sources, linked
//! with `wasm-ld` from `lld-22`). Toolchains are looked up on `PATH` only, so hiding them from
//! `PATH` hides them from midenc. `--toolchain` or `MIDENC_TOOLCHAIN` picks a kind.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use crate::error::{DriverError, DriverResult};

/// The wasm target midenc builds for.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// The environment variable that picks a toolchain kind (`rustup` or `rustc-web`).
pub const ENV: &str = "MIDENC_TOOLCHAIN";

/// How to install a toolchain, shown when none is found.
pub const INSTALL_HINT: &str = "install one of:\n  \
    - rustup:  rustup target add wasm32-unknown-unknown\n  \
    - Debian:  apt-get install --no-install-recommends rustc-web cargo-web rust-web-src lld-22\n\
    and make sure its `cargo` and `rustc` are on PATH; pick one with --toolchain rustup|rustc-web \
    (or MIDENC_TOOLCHAIN)";

/// Which kind of toolchain to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A toolchain with a prebuilt wasm32 standard library (rustup's).
    Rustup,
    /// A toolchain that builds `core`/`alloc` from source (Debian's rustc-web).
    RustcWeb,
}

/// A toolchain ready to build for [`TARGET`].
#[derive(Clone, Debug)]
pub struct Toolchain {
    /// Its kind.
    pub kind: Kind,
    /// Its `cargo`.
    pub cargo: PathBuf,
    /// Its `rustc`.
    pub rustc: PathBuf,
    /// The wasm linker (`build-std` toolchains only).
    pub linker: Option<PathBuf>,
    /// `rustc --version`, for messages and fingerprints.
    pub version: String,
}

impl Toolchain {
    /// A `cargo` command set up for this toolchain, with `args` after the subcommand.
    pub fn cargo(&self, subcommand: &str) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.arg(subcommand);
        cmd.env("RUSTC", &self.rustc);
        // Variables a surrounding cargo or rustup may have set must not leak in.
        for var in [
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "RUSTFLAGS",
            "CARGO_BUILD_TARGET",
        ] {
            cmd.env_remove(var);
        }
        if self.kind == Kind::RustcWeb {
            cmd.env("RUSTC_BOOTSTRAP", "1");
            cmd.env_remove("RUSTUP_TOOLCHAIN");
        }
        cmd
    }

    /// The extra `cargo build` arguments that target wasm32 with this toolchain.
    pub fn build_args(&self) -> Vec<String> {
        let mut args = vec!["--target".to_string(), TARGET.to_string()];
        if let (Kind::RustcWeb, Some(linker)) = (self.kind, &self.linker) {
            args.push("-Zbuild-std=core,alloc".into());
            args.push("--config".into());
            // By name when it is on PATH (it is found there), so the setting is the same one
            // scripts and other crates use and their build-std caches stay valid.
            let name = linker.file_name().map(Path::new).unwrap_or(linker);
            args.push(format!("target.{TARGET}.linker=\"{}\"", name.display()));
        }
        args
    }
}

/// Finds a toolchain of the requested kind (flag, then [`ENV`], then any).
///
/// # Errors
/// [`DriverError::NoToolchain`] with [`INSTALL_HINT`] when none is usable.
pub fn find(requested: Option<Kind>) -> DriverResult<Toolchain> {
    let requested = match requested {
        Some(k) => Some(k),
        None => match std::env::var(ENV) {
            Ok(v) if v.is_empty() => None,
            Ok(v) => Some(parse_kind(&v)?),
            Err(_) => None,
        },
    };
    let mut looked = Vec::new();
    for dir in path_dirs() {
        let (cargo, rustc) = (dir.join("cargo"), dir.join("rustc"));
        if !cargo.is_file() || !rustc.is_file() {
            continue;
        }
        let Some(found) = probe(&dir, &cargo, &rustc, &mut looked) else {
            continue;
        };
        if requested.is_none_or(|k| k == found.kind) {
            return Ok(found);
        }
        looked.push(format!(
            "{}: {}, a {} toolchain",
            found.rustc.display(),
            found.version,
            kind_name(found.kind)
        ));
    }
    let detail = match (requested, looked.is_empty()) {
        (Some(k), _) => format!(" (asked for {})", kind_name(k)),
        (None, true) => " (no `cargo`/`rustc` on PATH)".to_string(),
        (None, false) => String::new(),
    };
    let detail = if looked.is_empty() {
        detail
    } else {
        format!("{detail}:\n  {}", looked.join("\n  "))
    };
    Err(DriverError::NoToolchain {
        detail,
        hint: INSTALL_HINT.into(),
    })
}

fn parse_kind(value: &str) -> DriverResult<Kind> {
    match value {
        "rustup" => Ok(Kind::Rustup),
        "rustc-web" => Ok(Kind::RustcWeb),
        _ => Err(DriverError::Usage {
            message: format!("{ENV}=`{value}` is not a toolchain kind"),
            help: "use `rustup` or `rustc-web`".into(),
        }),
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Rustup => "rustup",
        Kind::RustcWeb => "rustc-web",
    }
}

/// The directories of `PATH`, each once, in order.
fn path_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let canonical = dir.canonicalize().unwrap_or(dir);
        if !dirs.contains(&canonical) {
            dirs.push(canonical);
        }
    }
    dirs
}

/// Checks one `cargo`+`rustc` pair; notes why it is unusable in `looked`.
fn probe(dir: &Path, cargo: &Path, rustc: &Path, looked: &mut Vec<String>) -> Option<Toolchain> {
    let output = |args: &[&str]| -> Option<String> {
        let out = Command::new(rustc).args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let version = output(&["--version"])?;
    let sysroot = PathBuf::from(output(&["--print", "sysroot"])?);
    let rustlib = sysroot.join("lib/rustlib");
    let managed_by_rustup = dir.join("rustup").is_file();
    if rustlib.join(TARGET).join("lib").is_dir() {
        return Some(Toolchain {
            kind: Kind::Rustup,
            cargo: cargo.into(),
            rustc: rustc.into(),
            linker: None,
            version,
        });
    }
    if managed_by_rustup {
        looked.push(format!(
            "{}: {version}, without the {TARGET} target",
            rustc.display()
        ));
        return None;
    }
    if !rustlib.join("src/rust/library").is_dir() {
        looked.push(format!(
            "{}: {version}, neither a {TARGET} standard library nor its sources",
            rustc.display()
        ));
        return None;
    }
    let Some(linker) = ["wasm-ld-22", "wasm-ld", "rust-lld"]
        .iter()
        .flat_map(|name| path_dirs().into_iter().map(move |d| d.join(name)))
        .find(|p| p.is_file())
    else {
        looked.push(format!(
            "{}: {version}, but no wasm linker (wasm-ld) on PATH",
            rustc.display()
        ));
        return None;
    };
    Some(Toolchain {
        kind: Kind::RustcWeb,
        cargo: cargo.into(),
        rustc: rustc.into(),
        linker: Some(linker),
        version,
    })
}
