//! `midenc new`: a Rust crate that `midenc build` turns into a Miden package, ready to run:
//! a library package by default, with `--account` an account component (a counter in the
//! account's storage), with `--note` a pay-to-ID note script, or with `--tx-script` a
//! transaction script creating a note; `midenc tx` runs the last three in transactions.

use std::path::{Path, PathBuf};

use crate::error::{DriverError, DriverResult};

/// Options of `midenc new`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The directory to create; its name becomes the crate's name.
    pub path: PathBuf,
    /// An account component: a counter kept in a storage slot, incremented by one procedure
    /// and read by another.
    #[arg(long, conflicts_with_all = ["note", "tx_script"])]
    pub account: bool,
    /// A note script: pay to ID, moving the note's assets into the consuming account through
    /// its basic wallet.
    #[arg(long, conflicts_with = "tx_script")]
    pub note: bool,
    /// A transaction script: it creates a private note for the recipient given as its
    /// arguments.
    #[arg(long)]
    pub tx_script: bool,
}

/// Which crate `midenc new` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// A library package (the default).
    Library,
    /// An account component.
    Account,
    /// A note script.
    Note,
    /// A transaction script.
    TxScript,
}

/// Runs `midenc new`.
pub fn run(opts: Opts) -> DriverResult<()> {
    let template = if opts.account {
        Template::Account
    } else if opts.note {
        Template::Note
    } else if opts.tx_script {
        Template::TxScript
    } else {
        Template::Library
    };
    create(&opts.path, template)?;
    let what = match template {
        Template::Library => "Miden package",
        Template::Account => "Miden account component",
        Template::Note => "Miden note script",
        Template::TxScript => "Miden transaction script",
    };
    crate::status::print("Created", &format!("{what} `{}`", opts.path.display()));
    Ok(())
}

/// Writes the template crate into the new directory `path`.
///
/// The bindings (`src/bindings.rs`) are generated here too, so the crate also builds with
/// plain cargo; `midenc build` regenerates them whenever `wit/` changes.
pub fn create(path: &Path, template: Template) -> DriverResult<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let names = Names::new(&name).ok_or_else(|| DriverError::Usage {
        message: format!("`{name}` cannot name a Miden package"),
        help: "use lower-case letters, digits and `-`, starting with a letter (e.g. `my-counter`)"
            .into(),
    })?;
    if path.exists() {
        return Err(DriverError::Usage {
            message: format!("destination `{}` already exists", path.display()),
            help: "choose a new directory; `midenc new` never overwrites files".into(),
        });
    }
    // Build the crate in a sibling temp directory and rename it into place, so a failure
    // leaves nothing behind.
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let staging = parent.join(format!(".{name}.midenc-new{}", std::process::id()));
    let result = write_template(&staging, &names, template).and_then(|()| {
        std::fs::rename(&staging, path).map_err(|source| DriverError::Write {
            path: path.to_path_buf(),
            error: source,
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// The spellings of the package name each file needs.
struct Names {
    /// Cargo package name, as given: `my-counter`.
    krate: String,
    /// WIT identifier: `my-counter`.
    wit: String,
    /// Rust type name: `MyCounter`.
    ty: String,
}

impl Names {
    fn new(name: &str) -> Option<Self> {
        let valid = name.split('-').all(|w| {
            w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if !valid {
            return None;
        }
        let ty = name
            .split('-')
            .map(|w| {
                let mut cs = w.chars();
                let first = cs.next().map(|c| c.to_ascii_uppercase());
                first.into_iter().chain(cs).collect::<String>()
            })
            .collect();
        Some(Names {
            krate: name.to_string(),
            wit: name.to_string(),
            ty,
        })
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("{{crate}}", &self.krate)
            .replace("{{wit_snake}}", &self.wit.replace('-', "_"))
            .replace("{{wit}}", &self.wit)
            .replace("{{type}}", &self.ty)
    }
}

fn write_template(dir: &Path, names: &Names, template: Template) -> DriverResult<()> {
    let mut files: Vec<(&str, String)> = vec![
        (
            "Cargo.toml",
            include_str!("template/Cargo.toml.tmpl").to_string(),
        ),
        (
            "wit/deps/miden-base/core-types.wit",
            midenc_wit::CORE_TYPES_WIT.to_string(),
        ),
        (
            "src/runtime.rs",
            include_str!("template/runtime.rs.tmpl").into(),
        ),
        (".gitignore", include_str!("template/gitignore.tmpl").into()),
    ];
    match template {
        Template::Library => files.extend([
            (
                "wit/world.wit",
                include_str!("template/world.wit.tmpl").into(),
            ),
            ("src/lib.rs", include_str!("template/lib.rs.tmpl").into()),
            ("README.md", include_str!("template/README.md.tmpl").into()),
        ]),
        Template::Account => {
            let slot = format!("{}::count", names.wit.replace('-', "_"));
            let [suffix, prefix] =
                midenc_linker::storage_slot_id(&slot).map_err(|e| DriverError::Usage {
                    message: format!("`{slot}` cannot name a storage slot: {e}"),
                    help: "choose a crate name made of letters, digits and `-`".into(),
                })?;
            let lib = include_str!("template/account/lib.rs.tmpl")
                .replace("{{count_suffix}}", &format!("{suffix:#018x}"))
                .replace("{{count_prefix}}", &format!("{prefix:#018x}"));
            files.push((
                "component.toml",
                include_str!("template/account/component.toml.tmpl").into(),
            ));
            contract_files(
                &mut files,
                "The account component's metadata (storage slots)",
                "account-component = \"component.toml\"",
                [
                    include_str!("template/account/world.wit.tmpl").into(),
                    lib,
                    include_str!("template/account/README.md.tmpl").into(),
                ],
            );
        }
        Template::Note => {
            files.push((
                "wit/deps/miden-standards/standards.wit",
                midenc_wit::STANDARDS_WIT.into(),
            ));
            contract_files(
                &mut files,
                "A note script whose entry is the export `run`",
                "note-script = \"run\"",
                [
                    include_str!("template/note/world.wit.tmpl").into(),
                    include_str!("template/note/lib.rs.tmpl").into(),
                    include_str!("template/note/README.md.tmpl").into(),
                ],
            );
        }
        Template::TxScript => contract_files(
            &mut files,
            "A transaction script whose entry is the export `run`",
            "tx-script = \"run\"",
            [
                include_str!("template/tx-script/world.wit.tmpl").into(),
                include_str!("template/tx-script/lib.rs.tmpl").into(),
                include_str!("template/tx-script/README.md.tmpl").into(),
            ],
        ),
    }
    for (rel, template) in &files {
        write_file(&dir.join(rel), names.fill(template).as_bytes())?;
    }
    let bindings = super::bindings::generate(&dir.join("wit"), None)?;
    write_file(&dir.join("src/bindings.rs"), bindings.as_bytes())
}

/// Adds what every contract template has to `files` (whose first entry is `Cargo.toml`): the
/// package-kind key `kind` under `[package.metadata.miden]`, explained by `what`; the bundled
/// protocol WIT; and the template's `[world.wit, lib.rs, README.md]`.
fn contract_files(
    files: &mut Vec<(&str, String)>,
    what: &str,
    kind: &str,
    [world, lib, readme]: [String; 3],
) {
    files[0].1.push_str(&format!(
        "\n# {what}, read by `midenc build`.\n[package.metadata.miden]\n{kind}\n"
    ));
    files.extend([
        ("wit/world.wit", world),
        (
            "wit/deps/miden-protocol/protocol.wit",
            midenc_wit::PROTOCOL_WIT.into(),
        ),
        ("src/lib.rs", lib),
        ("README.md", readme),
    ]);
}

fn write_file(path: &Path, bytes: &[u8]) -> DriverResult<()> {
    let io = |source| DriverError::Write {
        path: path.to_path_buf(),
        error: source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, bytes).map_err(io)
}
