//! `midenc bindings`: Rust guest bindings for a WIT world, or for calling a compiled package.

use std::path::{Path, PathBuf};

use midenc_abi::CoreType;
use midenc_linker::LinkedPackage;
use midenc_wit::{BindingsSource, CoreFunc, CoreScalar, PackageWit};

use crate::error::{DriverError, DriverResult};

/// Options of `midenc bindings`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// A `.wit` file, a WIT directory, or a compiled package (`.masp`) to import.
    pub input: PathBuf,
    /// The world to generate bindings for (default: the package's only world).
    #[arg(long)]
    pub world: Option<String>,
    /// Write the bindings to this file instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Runs `midenc bindings`.
pub fn run(opts: Opts) -> DriverResult<()> {
    let source = generate(&opts.input, opts.world.as_deref())?;
    match &opts.output {
        Some(path) => midenc_linker::write_atomic(path, source.as_bytes()).map_err(|source| {
            DriverError::Write {
                path: path.clone(),
                error: source,
            }
        }),
        None => {
            print!("{source}");
            Ok(())
        }
    }
}

/// The Rust source of the bindings for `input` (WIT path or `.masp`).
pub fn generate(input: &Path, world: Option<&str>) -> DriverResult<String> {
    if input.extension().is_some_and(|e| e == "masp") {
        let bytes = std::fs::read(input).map_err(|source| DriverError::Read {
            path: input.into(),
            error: source,
        })?;
        let package = LinkedPackage::from_bytes(&bytes)?;
        if package.plain {
            return Err(DriverError::Usage {
                message: format!(
                    "`{}` is a plain Miden library, not built by midenc: it records no \
                     signatures to generate bindings from",
                    input.display()
                ),
                help: "declare its procedures as `mast:0x<root>` imports by hand \
                       (`midenc inspect` lists the roots)"
                    .into(),
            });
        }
        return package_bindings(input, &package, world);
    }
    if !input.exists() {
        return Err(DriverError::Read {
            path: input.into(),
            error: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
        });
    }
    Ok(midenc_wit::rust_bindings(&BindingsSource::Path(input), world)?.source)
}

/// Bindings that import the exports of a compiled package by MAST root.
///
/// A package built from a component records its WIT world; one built from a core module
/// does not, and gets the world its scalar exports describe.
fn package_bindings(
    path: &Path,
    package: &LinkedPackage,
    world: Option<&str>,
) -> DriverResult<String> {
    let manifest = &package.manifest;
    let (wit, roots) = match &manifest.world {
        Some(text) if !text.is_empty() => {
            let roots = manifest
                .exports
                .iter()
                .map(|e| (e.name.clone(), e.mast_root.clone()))
                .collect::<Vec<_>>();
            (text.clone(), roots)
        }
        _ => {
            let funcs = manifest
                .exports
                .iter()
                .map(|e| CoreFunc {
                    name: e.name.clone(),
                    params: e.params.iter().map(|t| scalar(*t)).collect(),
                    results: e.results.iter().map(|t| scalar(*t)).collect(),
                })
                .collect::<Vec<_>>();
            let (text, names) = midenc_wit::core_world(path, &manifest.name, &funcs)?;
            let roots = names
                .into_iter()
                .map(|(wit, export)| {
                    let root = manifest
                        .exports
                        .iter()
                        .find(|e| e.name == export)
                        .map(|e| e.mast_root.clone())
                        .unwrap_or_default();
                    (wit, root)
                })
                .collect();
            (text, roots)
        }
    };
    let pkg = PackageWit {
        path,
        wit: &wit,
        roots: &roots,
    };
    let bindings = midenc_wit::rust_bindings(&BindingsSource::Package(&pkg), world)
        .map_err(DriverError::from)?;
    Ok(bindings.source)
}

fn scalar(t: CoreType) -> CoreScalar {
    match t {
        CoreType::I32 => CoreScalar::I32,
        CoreType::I64 => CoreScalar::I64,
        CoreType::F32 => CoreScalar::F32,
        CoreType::F64 => CoreScalar::F64,
    }
}
