//! Making a component: a core module plus its WIT world, checking a module against its world,
//! and the world as text for manifests.

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

/// Checks that the core module `wasm` implements `world` by making a component of it, and
/// returns the world that component has: `world` merged with the worlds that generated
/// bindings embed in the module (their `component-type` custom sections), which is what
/// decoding the component would give.
///
/// Imports from `mast:0x…` modules call another package's procedure by MAST root; WIT has no
/// way to declare them, so for this check each is replaced by a local function that traps
/// (`mast_stubs.rs`). The caller then compiles `wasm` itself with the returned world,
/// and midenc turns those imports into `call.0x<root>`.
///
/// # Errors
/// [`WitError::Component`] with wit-component's message when the module's exports or other
/// imports do not match the world.
pub fn checked_world(
    path: &Path,
    wasm: &[u8],
    resolve: &Resolve,
    world: WorldId,
) -> Result<(Resolve, WorldId), WitError> {
    let fail = |e: &dyn std::fmt::Display| WitError::Component {
        path: path.to_path_buf(),
        message: format!("{e:#}"),
    };
    let stubbed = crate::mast_stubs::stub_mast_imports(wasm).map_err(|e| fail(&e))?;
    let component = componentize(path, stubbed.as_deref().unwrap_or(wasm), resolve, world)?;
    match wit_component::decode(&component).map_err(|e| fail(&e))? {
        wit_component::DecodedWasm::Component(resolve, world) => Ok((resolve, world)),
        wit_component::DecodedWasm::WitPackage(..) => {
            Err(fail(&"wit-component made a WIT package, not a component"))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const WORLD: &str = "package acme:app;\nworld app { export f: func(x: s32) -> s32; }\n";
    const ROOT: &str = "0x0100000000000000020000000000000003000000000000000400000000000000";

    fn world() -> (Resolve, WorldId) {
        let mut resolve = Resolve::default();
        let pkg = resolve.push_str("app.wit", WORLD).unwrap();
        let world = resolve.select_world(&[pkg], None).unwrap();
        (resolve, world)
    }

    #[test]
    fn calls_by_mast_root_pass_the_check_and_the_rest_is_still_checked() {
        let (resolve, world) = world();
        let calls_root = wat::parse_str(format!(
            r#"(module (import "mast:{ROOT}" "triple" (func $t (param i32) (result i32)))
                 (func (export "f") (param i32) (result i32) (call $t (local.get 0))))"#
        ))
        .unwrap();
        // wit-component alone rejects the import…
        let err = componentize(Path::new("m.wasm"), &calls_root, &resolve, world)
            .expect_err("a component cannot import by MAST root")
            .to_string();
        assert!(err.contains("mast:"), "{err}");
        // …the check accepts it, and gives the world with its export.
        let (checked, id) = checked_world(Path::new("m.wasm"), &calls_root, &resolve, world)
            .unwrap_or_else(|e| panic!("{e}"));
        let exports: Vec<String> = checked.worlds[id]
            .exports
            .keys()
            .map(|k| checked.name_world_key(k))
            .collect();
        assert_eq!(exports, ["f"]);

        // A module whose export does not match its world still fails, naming the module.
        let wrong = wat::parse_str(format!(
            r#"(module (import "mast:{ROOT}" "triple" (func $t (param i32) (result i32)))
                 (func (export "g") (param i32) (result i32) (call $t (local.get 0))))"#
        ))
        .unwrap();
        let err = checked_world(Path::new("m.wasm"), &wrong, &resolve, world)
            .expect_err("`f` is missing")
            .to_string();
        assert!(
            err.contains("m.wasm") && err.contains("failed to find export of function `f`"),
            "{err}"
        );
    }
}
