//! `midenc new`: a Rust crate that `midenc build` turns into a Miden package, ready to run.

use std::path::{Path, PathBuf};

use crate::error::{DriverError, DriverResult};

/// Options of `midenc new`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The directory to create; its name becomes the crate's name.
    pub path: PathBuf,
}

/// Runs `midenc new`.
pub fn run(opts: Opts) -> DriverResult<()> {
    create(&opts.path)?;
    crate::status::print(
        "Created",
        &format!("Miden package `{}`", opts.path.display()),
    );
    Ok(())
}

/// Writes the template crate into the new directory `path`.
///
/// The bindings (`src/bindings.rs`) are generated here too, so the crate also builds with
/// plain cargo; `midenc build` regenerates them whenever `wit/` changes.
pub fn create(path: &Path) -> DriverResult<()> {
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
    let result = write_template(&staging, &names).and_then(|()| {
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

fn write_template(dir: &Path, names: &Names) -> DriverResult<()> {
    let files: [(&str, &str); 7] = [
        ("Cargo.toml", include_str!("template/Cargo.toml.tmpl")),
        ("wit/world.wit", include_str!("template/world.wit.tmpl")),
        (
            "wit/deps/miden-base/core-types.wit",
            midenc_wit::CORE_TYPES_WIT,
        ),
        ("src/lib.rs", include_str!("template/lib.rs.tmpl")),
        ("src/runtime.rs", include_str!("template/runtime.rs.tmpl")),
        ("README.md", include_str!("template/README.md.tmpl")),
        (".gitignore", include_str!("template/gitignore.tmpl")),
    ];
    for (rel, template) in files {
        write_file(&dir.join(rel), names.fill(template).as_bytes())?;
    }
    let bindings = super::bindings::generate(&dir.join("wit"), None)?;
    write_file(&dir.join("src/bindings.rs"), bindings.as_bytes())
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
