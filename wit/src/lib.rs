//! WIT for midenc: loading WIT, the Miden WIT conventions and the Rust bindings generator.
//!
//! This crate sits beside the compile pipeline: the driver uses it for `--wit`, for
//! `midenc bindings` ([`rust_bindings`]) and for the component step of `midenc build`
//! ([`checked_world`]). It wraps wit-parser so that callers get one error type with the
//! failing path and wit-parser's located message.
#![deny(missing_docs)]

mod bindings;
mod component;
mod core_world;
mod export_prefix;
mod mast_stubs;
mod miden_types;

use std::path::{Path, PathBuf};

mod protocol;
pub use bindings::{rust_bindings, Bindings, BindingsSource, PackageWit, BINDINGS_HEADER};
pub use component::{checked_world, componentize, world_text};
pub use core_world::{core_world, CoreFunc, CoreScalar};
pub use export_prefix::{strip_export_prefix, EXPORT_PREFIX};
pub use protocol::{
    procedure_path, protocol_world, standards_world, CORE_TYPES_WIT, PROTOCOL_PREFIX, PROTOCOL_WIT,
    STANDARDS_PREFIX, STANDARDS_WIT,
};
pub use wit_parser::{PackageId, Resolve, WorldId};

/// Why WIT could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WitError {
    /// The WIT did not parse or resolve; the message carries file, line and column.
    #[error("invalid WIT in `{}`:\n{message}", path.display())]
    #[diagnostic(code(midenc::wit::invalid))]
    Invalid {
        /// The file or directory given.
        path: PathBuf,
        /// wit-parser's rendered message.
        message: String,
    },
    /// The requested world does not exist.
    #[error("no world `{world}` in `{}`", path.display())]
    #[diagnostic(code(midenc::wit::world))]
    UnknownWorld {
        /// The file or directory given.
        path: PathBuf,
        /// The world asked for.
        world: String,
    },
    /// The WIT is valid but cannot be used the way it was asked for.
    #[error("unsupported: {what} (in `{}`)", path.display())]
    #[diagnostic(code(midenc::wit::unsupported))]
    Unsupported {
        /// The file given.
        path: PathBuf,
        /// What cannot be done.
        what: String,
    },
    /// The bindings generator rejected the world.
    #[error("cannot generate bindings for `{}`: {message}", path.display())]
    #[diagnostic(code(midenc::wit::bindings))]
    Bindings {
        /// The file given.
        path: PathBuf,
        /// The generator's message.
        message: String,
    },
    /// The core module and the WIT world do not make a component.
    #[error("cannot make a component of `{}`: {message}", path.display())]
    #[diagnostic(code(midenc::wit::component))]
    Component {
        /// The core module.
        path: PathBuf,
        /// wit-component's message.
        message: String,
    },
}

/// WIT loaded from a path: the resolved packages and the main package.
pub struct LoadedWit {
    /// All packages, the main one and its dependencies.
    pub resolve: Resolve,
    /// The package the path named.
    pub package: PackageId,
}

impl LoadedWit {
    /// Selects a world of the main package: `name`, or the only/default world when `None`.
    ///
    /// # Errors
    /// [`WitError::UnknownWorld`] when no such world exists (or none can be chosen).
    pub fn world(&self, path: &Path, name: Option<&str>) -> Result<WorldId, WitError> {
        self.resolve
            .select_world(&[self.package], name)
            .map_err(|_| WitError::UnknownWorld {
                path: path.to_path_buf(),
                world: name.unwrap_or("<default>").to_string(),
            })
    }
}

/// Loads a `.wit` file or a directory of WIT (with an optional `deps/` folder).
///
/// # Errors
/// [`WitError::Invalid`] with wit-parser's located message for missing files, syntax errors and
/// resolution errors.
pub fn load(path: &Path) -> Result<LoadedWit, WitError> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_path(path).map_err(|e| WitError::Invalid {
        path: path.to_path_buf(),
        message: format!("{e:#}"),
    })?;
    Ok(LoadedWit { resolve, package })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_a_world_and_reports_errors() {
        let dir = std::env::temp_dir().join(format!("midenc-wit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.wit");
        std::fs::write(
            &good,
            "package acme:bank@1.0.0;\nworld bank { export deposit: func(x: u64); }\n",
        )
        .unwrap();
        let loaded = load(&good).unwrap();
        let world = loaded.world(&good, None).unwrap();
        assert_eq!(loaded.resolve.worlds[world].name, "bank");
        assert!(matches!(
            loaded.world(&good, Some("nope")),
            Err(WitError::UnknownWorld { .. })
        ));

        let bad = dir.join("bad.wit");
        std::fs::write(
            &bad,
            "package acme:bank;\nworld w { export f: func(x: u65); }\n",
        )
        .unwrap();
        let err = load(&bad).err().expect("u65 is not a type").to_string();
        assert!(
            err.contains("bad.wit") && err.contains("u65"),
            "unhelpful error: {err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
