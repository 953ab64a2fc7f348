//! Making a component: a core module plus its WIT world, and the world as text for manifests.

use std::path::Path;

use wit_component::{ComponentEncoder, StringEncoding, WitPrinter};
use wit_parser::{PackageId, Resolve, WorldId};

use crate::WitError;

/// Wraps the core module `wasm` into a component of `world`, embedding the world's type
/// information the way `wasm-tools component embed` + `component new` do.
///
/// # Errors
/// [`WitError::Component`] when the module's imports and exports do not match the world.
pub fn componentize(
    path: &Path,
    wasm: &[u8],
    resolve: &Resolve,
    world: WorldId,
) -> Result<Vec<u8>, WitError> {
    let fail = |e: &dyn std::fmt::Display| WitError::Component {
        path: path.to_path_buf(),
        message: format!("{e:#}"),
    };
    let mut bytes = wasm.to_vec();
    wit_component::embed_component_metadata(
        &mut bytes,
        resolve,
        world,
        StringEncoding::UTF8,
        false,
    )
    .map_err(|e| fail(&e))?;
    ComponentEncoder::default()
        .module(&bytes)
        .and_then(|enc| enc.validate(true).encode())
        .map_err(|e| fail(&e))
}

/// The WIT text of `package` with every package it depends on nested in it: one
/// self-contained document that [`crate::rust_bindings`] can read back from a manifest.
pub fn world_text(resolve: &Resolve, package: PackageId) -> String {
    let nested: Vec<PackageId> = resolve
        .topological_packages()
        .into_iter()
        .filter(|p| *p != package)
        .collect();
    let mut printer = WitPrinter::default();
    match printer.print(resolve, package, &nested) {
        Ok(()) => printer.output.to_string(),
        // Printing only fails on WIT that wit-parser itself accepted but cannot express
        // (e.g. unstable features); the manifest then carries no world.
        Err(_) => String::new(),
    }
}
