//! Reading inputs: `.wat` text, `.wasm` binaries and `.masp` packages.

use std::path::{Path, PathBuf};

use midenc_linker::LinkedPackage;
use miette::{NamedSource, SourceSpan};

use crate::error::{DriverError, DriverResult};

/// A loaded input.
pub enum Input {
    /// A Wasm binary (read directly or translated from WAT).
    Wasm {
        /// Where it came from.
        path: PathBuf,
        /// The binary.
        bytes: Vec<u8>,
    },
    /// An already compiled package.
    Package {
        /// Where it came from.
        path: PathBuf,
        /// The package.
        package: Box<LinkedPackage>,
    },
}

/// Reads `path`, deciding its kind by extension (`.wat`, `.wasm`, and `.masp` when allowed).
pub fn load(path: &Path, allow_masp: bool) -> DriverResult<Input> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let read = || {
        std::fs::read(path).map_err(|source| DriverError::Read {
            path: path.into(),
            error: source,
        })
    };
    match ext {
        "wasm" => Ok(Input::Wasm {
            path: path.into(),
            bytes: read()?,
        }),
        "wat" | "wast" => {
            let bytes = read()?;
            let text = String::from_utf8(bytes).map_err(|e| DriverError::Wat {
                message: format!("the file is not UTF-8 text: {e}"),
                src: NamedSource::new(path.display().to_string(), String::new()),
                span: None,
            })?;
            Ok(Input::Wasm {
                path: path.into(),
                bytes: wat_to_wasm(path, &text)?,
            })
        }
        "masp" if allow_masp => Ok(Input::Package {
            path: path.into(),
            package: Box::new(load_package(path)?),
        }),
        _ => Err(DriverError::UnknownInput {
            path: path.into(),
            allow_masp,
        }),
    }
}

/// Reads a `.masp` package, naming the file in any error.
pub fn load_package(path: &Path) -> DriverResult<LinkedPackage> {
    Ok(read_package(path)?.1)
}

/// Reads a `.masp` package and keeps its bytes too (`midenc build` fingerprints them).
pub fn read_package(path: &Path) -> DriverResult<(Vec<u8>, LinkedPackage)> {
    let bytes = std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DriverError::MissingPackage { path: path.into() }
        } else {
            DriverError::Read {
                path: path.into(),
                error: source,
            }
        }
    })?;
    let package = LinkedPackage::from_bytes(&bytes).map_err(|source| DriverError::Package {
        path: path.into(),
        error: source,
    })?;
    Ok((bytes, package))
}

/// Translates WAT text to a Wasm binary, reporting errors at their place in the text.
pub fn wat_to_wasm(path: &Path, text: &str) -> DriverResult<Vec<u8>> {
    let located = |e: wast::Error| DriverError::Wat {
        message: e.message(),
        src: NamedSource::new(path.display().to_string(), text.to_string()),
        span: Some(SourceSpan::from((e.span().offset(), 0))),
    };
    let buf = wast::parser::ParseBuffer::new(text).map_err(located)?;
    let mut wat: wast::Wat<'_> = wast::parser::parse(&buf).map_err(located)?;
    wat.encode().map_err(located)
}
