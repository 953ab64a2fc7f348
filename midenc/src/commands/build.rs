//! `midenc build`: a Rust crate to a Miden package, the way `cargo build` makes a binary.
//!
//! Steps: find the crate and a wasm32 toolchain → regenerate `src/bindings.rs` when `wit/`
//! changed → `cargo build` for wasm32 (cargo's own output passes through) → check the core
//! module against the WIT world with wit-component → compile and link → write
//! `<target-dir>/miden/<profile>/<name>.masp` and its manifest. Each step is skipped when its
//! inputs are unchanged, so a rebuild without changes takes little more than cargo's own
//! no-op check.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::Stdio,
    time::Instant,
};

use midenc_linker::LinkSet;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    error::{DriverError, DriverResult},
    status,
    toolchain::{self, Kind, Toolchain},
};

/// Options of `midenc build`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The crate's `Cargo.toml` (default: the nearest one at or above the current directory).
    #[arg(long)]
    pub manifest_path: Option<PathBuf>,
    /// Build with the release profile.
    #[arg(long)]
    pub release: bool,
    /// A package whose procedures the crate imports (repeatable).
    #[arg(short = 'L', value_name = "PKG.masp")]
    pub libs: Vec<PathBuf>,
    /// Record `mast:0x…` imports that no `-L` package exports as external dependencies
    /// instead of failing (as `midenc compile --allow-unresolved`).
    #[arg(long)]
    pub allow_unresolved: bool,
    /// Which toolchain to build with (default: `MIDENC_TOOLCHAIN`, else the first usable one).
    #[arg(long, value_enum)]
    pub toolchain: Option<Kind>,
}

/// Runs `midenc build`.
pub fn run(opts: Opts) -> DriverResult<()> {
    let started = Instant::now();
    let manifest_path = find_manifest(opts.manifest_path.as_deref())?;
    let toolchain = toolchain::find(opts.toolchain)?;
    let krate = metadata(&toolchain, &manifest_path)?;
    let profile = if opts.release { "release" } else { "debug" };

    let world = refresh_bindings(&krate)?;
    let wasm_path = cargo_build(&toolchain, &krate, opts.release)?;
    let wasm = std::fs::read(&wasm_path).map_err(|source| DriverError::Read {
        path: wasm_path.clone(),
        error: source,
    })?;
    // Generated bindings prefix their export symbols (`midenc_wit::EXPORT_PREFIX`).
    let wasm = match midenc_wit::strip_export_prefix(&wasm) {
        Ok(stripped) => stripped.unwrap_or(wasm),
        Err(message) => {
            return Err(DriverError::Usage {
                message: format!("`{}`: {message}", wasm_path.display()),
                help: "rebuild the crate; its Wasm output is not a valid module".into(),
            })
        }
    };
    let (deps, links) = load_dependencies(&opts.libs)?;

    let out_dir = krate.target_dir.join("miden").join(profile);
    let masp = out_dir.join(format!("{}.masp", krate.name));
    let manifest_json = out_dir.join(format!("{}.manifest.json", krate.name));
    let component_metadata = match &krate.kind {
        PackageKind::AccountComponent(path) => crate::read_text(path)?,
        _ => String::new(),
    };
    let kind_input = match &krate.kind {
        PackageKind::Library => String::new(),
        PackageKind::AccountComponent(_) => component_metadata.clone(),
        PackageKind::NoteScript(entry) => format!("note-script={entry}"),
        PackageKind::TxScript(entry) => format!("tx-script={entry}"),
    };
    let fingerprint = fingerprint(
        &wasm,
        world.as_ref(),
        &deps,
        opts.allow_unresolved,
        &kind_input,
    );
    let stamp = out_dir.join(format!(".{}.fingerprint", krate.name));
    let fresh = masp.is_file()
        && manifest_json.is_file()
        && std::fs::read_to_string(&stamp).is_ok_and(|s| s == fingerprint);
    if !fresh {
        status::print(
            "Compiling",
            &format!("{} v{} (wasm → Miden package)", krate.name, krate.version),
        );
        let mut linked = compile(
            &wasm_path,
            &wasm,
            &krate.name,
            world.as_ref(),
            &links,
            opts.allow_unresolved,
        )?;
        if let Some(w) = &world {
            linked.set_world(Some(w.text.clone()));
        }
        match &krate.kind {
            PackageKind::Library => {}
            PackageKind::AccountComponent(path) => {
                linked.make_account_component(&component_metadata, &path.display().to_string())?
            }
            PackageKind::NoteScript(entry) => linked.make_note_script(entry)?,
            PackageKind::TxScript(entry) => linked.make_tx_script(entry)?,
        }
        std::fs::create_dir_all(&out_dir).map_err(|source| DriverError::Write {
            path: out_dir.clone(),
            error: source,
        })?;
        write(&masp, &linked.to_bytes())?;
        write(&manifest_json, linked.manifest_json().as_bytes())?;
        write(&stamp, fingerprint.as_bytes())?;
    }
    status::print(
        "Finished",
        &format!(
            "`{profile}` Miden package {} in {:.2}s",
            relative(&masp).display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

/// What `cargo metadata` says about the crate.
struct Crate {
    name: String,
    version: String,
    dir: PathBuf,
    target_dir: PathBuf,
    /// The crate's library target name (`my_counter` for package `my-counter`).
    lib_name: String,
    /// What the package is, from `[package.metadata.miden]`.
    kind: PackageKind,
}

/// The package kind a crate declares in `[package.metadata.miden]`: at most one of
/// `account-component = "FILE"`, `note-script = "EXPORT"` and `tx-script = "EXPORT"`.
enum PackageKind {
    /// None of them: a library package.
    Library,
    /// An account component described by this metadata file.
    AccountComponent(PathBuf),
    /// A note script entered at this export.
    NoteScript(String),
    /// A transaction script entered at this export.
    TxScript(String),
}

/// The crate's WIT world, as the component step and the manifest need it.
struct World {
    resolve: midenc_wit::Resolve,
    id: midenc_wit::WorldId,
    text: String,
}

fn find_manifest(given: Option<&Path>) -> DriverResult<PathBuf> {
    if let Some(path) = given {
        if path.is_file() {
            return Ok(path.to_path_buf());
        }
        return Err(DriverError::Read {
            path: path.into(),
            error: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let cwd = std::env::current_dir().map_err(|source| DriverError::Read {
        path: ".".into(),
        error: source,
    })?;
    cwd.ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|p| p.is_file())
        .ok_or_else(|| DriverError::Usage {
            message: format!(
                "could not find `Cargo.toml` in `{}` or any parent directory",
                cwd.display()
            ),
            help: "run `midenc build` inside a crate, pass --manifest-path, or create one with \
                   `midenc new <PATH>`"
                .into(),
        })
}

fn metadata(toolchain: &Toolchain, manifest: &Path) -> DriverResult<Crate> {
    let out = toolchain
        .cargo("metadata")
        .args(["--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(manifest)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| cargo_error(manifest, format!("cannot run cargo: {e}")))?;
    if !out.status.success() {
        return Err(cargo_error(manifest, "`cargo metadata` failed".into()));
    }
    let meta: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| cargo_error(manifest, format!("unreadable `cargo metadata`: {e}")))?;
    let manifest = manifest.canonicalize().unwrap_or_else(|_| manifest.into());
    let package = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest.as_path()))
        .ok_or_else(|| DriverError::Usage {
            message: format!("`{}` is a workspace, not a package", manifest.display()),
            help: "pass the package's own Cargo.toml with --manifest-path".into(),
        })?;
    let name = package["name"].as_str().unwrap_or_default().to_string();
    let lib = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["crate_types"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
        })
        .ok_or_else(|| DriverError::Usage {
            message: format!("package `{name}` has no `cdylib` library target"),
            help: "add `[lib] crate-type = [\"cdylib\"]` to its Cargo.toml".into(),
        })?;
    let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let kind = declared_kind(&package["metadata"]["miden"], &manifest, &dir)?;
    Ok(Crate {
        version: package["version"].as_str().unwrap_or("0.1.0").to_string(),
        dir,
        kind,
        target_dir: PathBuf::from(meta["target_directory"].as_str().unwrap_or("target")),
        lib_name: lib["name"].as_str().unwrap_or(&name).replace('-', "_"),
        name,
    })
}

/// The kind `[package.metadata.miden]` (`miden`) of the crate at `manifest` declares; files
/// it names are relative to `dir`.
fn declared_kind(miden: &Value, manifest: &Path, dir: &Path) -> DriverResult<PackageKind> {
    let keys = ["account-component", "note-script", "tx-script"];
    let declared: Vec<(&str, &Value)> = keys
        .iter()
        .filter_map(|key| Some((*key, miden.get(*key)?)))
        .collect();
    let (key, value) = match declared.as_slice() {
        [] => return Ok(PackageKind::Library),
        [one] => *one,
        [..] => {
            let names: Vec<String> = declared.iter().map(|(k, _)| format!("`{k}`")).collect();
            return Err(DriverError::Usage {
                message: format!(
                    "`{}` declares {} in `package.metadata.miden`",
                    manifest.display(),
                    names.join(" and ")
                ),
                help: "a package is one kind: an account component, a note script or a \
                       transaction script"
                    .into(),
            });
        }
    };
    let Value::String(text) = value else {
        let (what, example) = if key == "account-component" {
            ("a file name", "account-component = \"component.toml\"")
        } else {
            ("an export name", "note-script = \"run\"")
        };
        return Err(DriverError::Usage {
            message: format!(
                "`package.metadata.miden.{key}` in `{}` is {value}, not {what}",
                manifest.display()
            ),
            help: format!("set it as in `{example}`"),
        });
    };
    Ok(match key {
        "account-component" => PackageKind::AccountComponent(dir.join(text)),
        "note-script" => PackageKind::NoteScript(text.clone()),
        _ => PackageKind::TxScript(text.clone()),
    })
}

/// Loads `wit/` and rewrites `src/bindings.rs` when it changed (only files midenc generated).
fn refresh_bindings(krate: &Crate) -> DriverResult<Option<World>> {
    let wit_dir = krate.dir.join("wit");
    if !wit_dir.is_dir() {
        return Ok(None);
    }
    let loaded = midenc_wit::load(&wit_dir)?;
    let id = loaded.world(&wit_dir, None)?;
    let text = midenc_wit::world_text(&loaded.resolve, loaded.package);
    let bindings_rs = krate.dir.join("src/bindings.rs");
    let current = std::fs::read_to_string(&bindings_rs).ok();
    let ours = current
        .as_deref()
        .is_none_or(|s| s.starts_with(midenc_wit::BINDINGS_HEADER));
    if ours {
        let generated = super::bindings::generate(&wit_dir, None)?;
        if current.as_deref() != Some(generated.as_str()) {
            status::print(
                "Generating",
                &format!("{}", relative(&bindings_rs).display()),
            );
            write(&bindings_rs, generated.as_bytes())?;
        }
    }
    Ok(Some(World {
        resolve: loaded.resolve,
        id,
        text,
    }))
}

/// Runs `cargo build` for wasm32, letting cargo print its progress and diagnostics, and
/// returns the built `.wasm`.
fn cargo_build(toolchain: &Toolchain, krate: &Crate, release: bool) -> DriverResult<PathBuf> {
    let mut cmd = toolchain.cargo("build");
    cmd.args(toolchain.build_args())
        .args([
            "--lib",
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(krate.dir.join("Cargo.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if release {
        cmd.arg("--release");
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| cargo_error(&krate.dir, format!("cannot run cargo: {e}")))?;
    let mut wasm = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if msg["reason"] == "compiler-artifact" && msg["target"]["name"] == krate.lib_name {
                let files = msg["filenames"].as_array().into_iter().flatten();
                if let Some(f) = files
                    .filter_map(Value::as_str)
                    .find(|f| f.ends_with(".wasm"))
                {
                    wasm = Some(PathBuf::from(f));
                }
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| cargo_error(&krate.dir, e.to_string()))?;
    if !status.success() {
        return Err(DriverError::Cargo {
            package: krate.name.clone(),
            reason: "cargo reported errors (shown above)".into(),
        });
    }
    wasm.ok_or_else(|| DriverError::Cargo {
        package: krate.name.clone(),
        reason: "cargo produced no `.wasm` library".into(),
    })
}

/// Compiles the crate's core module. With a world, wit-component first checks the module
/// against it (a crate whose exports do not match its world fails here with wit-component's
/// message) and gives the world as the component would have it; the core module is then
/// compiled with that world, so exports take and return WIT values. Calls by MAST root
/// (`mast:0x…` imports, from `midenc bindings PKG.masp`) cannot be part of a component: the
/// check sees them as trapping stand-ins, and the compiled module calls the roots. A crate
/// without `wit/` is compiled as a plain core module.
fn compile(
    path: &Path,
    core: &[u8],
    name: &str,
    world: Option<&World>,
    links: &LinkSet,
    allow_unresolved: bool,
) -> DriverResult<midenc_linker::LinkedPackage> {
    let request = crate::CompileRequest {
        allow_unresolved,
        ..crate::CompileRequest::new(path, core, name, links)
    };
    let compiled = match world {
        Some(world) => {
            let (resolve, id) = midenc_wit::checked_world(path, core, &world.resolve, world.id)?;
            crate::compile(&crate::CompileRequest {
                world: Some(crate::World::Loaded(&resolve, id)),
                ..request
            })?
        }
        None => crate::compile(&request)?,
    };
    Ok(compiled.1)
}

/// Loads the `-L` packages: their bytes (for the fingerprint) and the link set that resolves
/// the package's imports, as `midenc compile -L` does.
fn load_dependencies(paths: &[PathBuf]) -> DriverResult<(Vec<Vec<u8>>, LinkSet)> {
    let mut bytes = Vec::new();
    let mut links = LinkSet::default();
    for path in paths {
        let (read, package) = crate::input::read_package(path)?;
        links.add(path.display().to_string(), package)?;
        bytes.push(read);
    }
    Ok((bytes, links))
}

/// A digest of everything the compile step reads: the Wasm, the world, the `-L` packages,
/// whether unresolved imports are allowed, the package kind (account-component metadata or
/// note-script entry), and midenc itself.
fn fingerprint(
    wasm: &[u8],
    world: Option<&World>,
    deps: &[Vec<u8>],
    allow_unresolved: bool,
    kind: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    h.update([u8::from(allow_unresolved)]);
    if let Ok(exe) = std::env::current_exe().and_then(std::fs::metadata) {
        h.update(format!("{:?}{}", exe.modified().ok(), exe.len()));
    }
    h.update(Sha256::digest(wasm));
    h.update(world.map(|w| w.text.as_str()).unwrap_or_default());
    for bytes in deps {
        h.update(Sha256::digest(bytes));
    }
    h.update(kind);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn write(path: &Path, bytes: &[u8]) -> DriverResult<()> {
    midenc_linker::write_atomic(path, bytes).map_err(|source| DriverError::Write {
        path: path.into(),
        error: source,
    })
}

fn cargo_error(at: &Path, reason: String) -> DriverError {
    DriverError::Cargo {
        package: at.display().to_string(),
        reason,
    }
}

/// `path` relative to the current directory when it is below it.
fn relative(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}
