//! `midenc compile`: Wasm to a `.masp` package plus its manifest (and optionally MASM).

use std::path::{Path, PathBuf};

use crate::{
    error::{DriverError, DriverResult},
    input::{self, Input},
};

/// Options of `midenc compile`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The input module (`.wasm` or `.wat`), or a hand-written Miden assembly module
    /// (`.masm`, with `--wit`): a typed library whose procedures the world's exports type.
    pub input: PathBuf,
    /// Output package path (default: the input's name with `.masp`, in the current directory).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Also write the generated MASM (`masm`) beside the package: every module of the program in
    /// one listing, each after a `# module ::<path>` line.
    #[arg(long, value_parser = ["masm"])]
    pub emit: Vec<String>,
    /// A WIT file or directory describing the core module's exports (canonical ABI names).
    #[arg(long)]
    pub wit: Option<PathBuf>,
    /// The world in `--wit` (default: the package's only world).
    #[arg(long, requires = "wit")]
    pub world: Option<String>,
    /// A package whose exports resolve this module's imports (repeatable).
    #[arg(short = 'L', value_name = "PKG.masp")]
    pub link: Vec<PathBuf>,
    /// Record `mast:0x…` imports that no `-L` package exports as external dependencies
    /// instead of failing.
    #[arg(long)]
    pub allow_unresolved: bool,
    /// Make the package an account component described by this file: the Miden protocol's
    /// account-component TOML (`name`, `description`, `version`, `[[storage.slots]]`).
    #[arg(long, value_name = "METADATA.toml", group = "kind")]
    pub account_component: Option<PathBuf>,
    /// Make the package a note script whose entry is this export (`func()` or
    /// `func(args: word)`): what the transaction kernel runs when the note is consumed.
    #[arg(long, value_name = "EXPORT", group = "kind")]
    pub note_script: Option<String>,
    /// Make the package a transaction script whose entry is this export (`func()` or
    /// `func(args: word)`): what the transaction kernel runs after the notes.
    #[arg(long, value_name = "EXPORT", group = "kind")]
    pub tx_script: Option<String>,
    /// For a `.masm` input: invoke its procedures with `exec`, on the caller's stack and in its
    /// memory context, instead of `call`ing them with 16 felts each way.
    #[arg(long)]
    pub exec: bool,
}

/// Runs `midenc compile`.
pub fn run(opts: Opts) -> DriverResult<()> {
    if opts.input.extension().is_some_and(|e| e == "masm") {
        return typed_masm(&opts);
    }
    if opts.exec {
        return Err(DriverError::Usage {
            message: "`--exec` applies to a hand-written `.masm` module".into(),
            help: "compiled Wasm exports are always `call`ed".into(),
        });
    }
    let Input::Wasm { path, bytes } = input::load(&opts.input, false)? else {
        unreachable!("packages are not accepted by compile")
    };
    let name = crate::package_name(&path);
    let links = crate::load_link_set(&opts.link)?;
    let (module, mut linked) = crate::compile(&crate::CompileRequest {
        world: opts.wit.as_deref().map(|path| crate::World::File {
            path,
            world: opts.world.as_deref(),
        }),
        allow_unresolved: opts.allow_unresolved,
        ..crate::CompileRequest::new(&path, &bytes, &name, &links)
    })?;
    if let Some(metadata) = &opts.account_component {
        crate::make_account_component(&mut linked, metadata)?;
    }
    if let Some(entry) = &opts.note_script {
        linked.make_note_script(entry)?;
    }
    if let Some(entry) = &opts.tx_script {
        linked.make_tx_script(entry)?;
    }
    let out = opts
        .output
        .unwrap_or_else(|| PathBuf::from(format!("{name}.masp")));
    let manifest_path = sibling(&out, "manifest.json");
    write(&out, &linked.to_bytes())?;
    write(&manifest_path, linked.manifest_json().as_bytes()).inspect_err(|_| {
        let _ = std::fs::remove_file(&out);
    })?;
    if opts.emit.iter().any(|e| e == "masm") {
        let listing = module.masm_listing(&linked.manifest.module);
        write(&sibling(&out, "masm"), listing.as_bytes()).inspect_err(|_| {
            let _ = std::fs::remove_file(&out);
            let _ = std::fs::remove_file(&manifest_path);
        })?;
    }
    Ok(())
}

/// `midenc compile LIB.masm --wit WIT`: a typed library (`docs/linking.md`, "Typed MASM
/// libraries").
fn typed_masm(opts: &Opts) -> DriverResult<()> {
    let Some(wit) = &opts.wit else {
        return Err(DriverError::Usage {
            message: format!(
                "`{}` is Miden assembly: `--wit` must describe its procedures",
                opts.input.display()
            ),
            help: "give a WIT world whose exports name the module's procedures, such as \
                   `midenc compile lib.masm --wit lib.wit`"
                .into(),
        });
    };
    let not_here = [
        (opts.account_component.is_some(), "--account-component"),
        (opts.note_script.is_some(), "--note-script"),
        (opts.tx_script.is_some(), "--tx-script"),
        (!opts.link.is_empty(), "-L"),
        (opts.allow_unresolved, "--allow-unresolved"),
        (!opts.emit.is_empty(), "--emit"),
    ];
    if let Some((_, flag)) = not_here.iter().find(|(given, _)| *given) {
        return Err(DriverError::Usage {
            message: format!("unsupported: `{flag}` with a hand-written `.masm` module"),
            help: "a `.masm` input becomes a typed library as it is; these options apply to \
                   compiled Wasm"
                .into(),
        });
    }
    let source = crate::read_text(&opts.input)?;
    let name = crate::package_name(&opts.input);
    let loaded = midenc_wit::load(wit)?;
    let world = loaded.world(wit, opts.world.as_deref())?;
    let invocation = if opts.exec {
        midenc_frontend_wasm::Invocation::Exec
    } else {
        midenc_frontend_wasm::Invocation::Call
    };
    let linked = midenc_linker::typed_masm(&name, &source, &loaded.resolve, world, invocation)?;
    let out = opts
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{name}.masp")));
    let manifest_path = sibling(&out, "manifest.json");
    write(&out, &linked.to_bytes())?;
    write(&manifest_path, linked.manifest_json().as_bytes()).inspect_err(|_| {
        let _ = std::fs::remove_file(&out);
    })
}

/// `dir/NAME.masp` → `dir/NAME.<ext>`.
fn sibling(package: &Path, ext: &str) -> PathBuf {
    let stem = package
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    package.with_file_name(format!("{stem}.{ext}"))
}

fn write(path: &Path, bytes: &[u8]) -> DriverResult<()> {
    midenc_linker::write_atomic(path, bytes).map_err(|source| DriverError::Write {
        path: path.into(),
        error: source,
    })
}
