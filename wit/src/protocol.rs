//! The Miden protocol library in WIT (`miden:protocol`), bundled with midenc.
//!
//! `protocol/protocol.wit` types the procedures of the protocol library that contracts call
//! (account storage and vault, the active note, output notes, transaction and block data).
//! The linker turns it into a typed library whose procedures are invoked with `exec`
//! (`docs/contracts.md`); `midenc new --account` writes it into the crate's
//! `wit/deps/`.

use std::path::Path;

use wit_parser::{Resolve, WorldId};

use crate::WitError;

/// The `miden:base` core types (`felt`, `word`, `account-id`), as crates get them in
/// `wit/deps/miden-base/core-types.wit`.
pub const CORE_TYPES_WIT: &str = include_str!("protocol/core-types.wit");

/// The `miden:protocol` package, as crates get it in `wit/deps/miden-protocol/protocol.wit`.
pub const PROTOCOL_WIT: &str = include_str!("protocol/protocol.wit");

/// The `miden:standards` package (the standard account components' interfaces), as crates get
/// it in `wit/deps/miden-standards/standards.wit`.
pub const STANDARDS_WIT: &str = include_str!("protocol/standards.wit");

/// The prefix of every `miden:protocol` interface name, as core import modules spell it.
pub const PROTOCOL_PREFIX: &str = "miden:protocol/";

/// The prefix of every `miden:standards` interface name.
pub const STANDARDS_PREFIX: &str = "miden:standards/";

/// The Miden library module behind each `miden:standards` interface.
const STANDARDS_MODULES: &[(&str, &str)] = &[("basic-wallet", "miden::standards::wallets::basic")];

/// The bundled protocol WIT, with a world that imports each of its interfaces (so every
/// function appears among the world's imports under its full name).
///
/// # Errors
/// Only if the bundled text were malformed, which the crate's tests rule out.
pub fn protocol_world() -> Result<(Resolve, WorldId), WitError> {
    bundled_world("miden:protocol")
}

/// The bundled standards WIT, with a world that imports each of its interfaces.
///
/// # Errors
/// Only if the bundled text were malformed, which the crate's tests rule out.
pub fn standards_world() -> Result<(Resolve, WorldId), WitError> {
    bundled_world("miden:standards")
}

/// The bundled packages, and a world importing every interface of `package`.
fn bundled_world(package: &str) -> Result<(Resolve, WorldId), WitError> {
    let mut resolve = Resolve::default();
    let parse = |resolve: &mut Resolve, name: &str, text: &str| {
        resolve
            .push_str(Path::new(name), text)
            .map_err(|e| WitError::Invalid {
                path: name.into(),
                message: format!("{e:#}"),
            })
    };
    parse(&mut resolve, "core-types.wit", CORE_TYPES_WIT)?;
    let protocol = parse(&mut resolve, "protocol.wit", PROTOCOL_WIT)?;
    let standards = parse(&mut resolve, "standards.wit", STANDARDS_WIT)?;
    let chosen = if package == "miden:standards" {
        standards
    } else {
        protocol
    };
    let interfaces: Vec<String> = resolve.packages[chosen]
        .interfaces
        .keys()
        .map(|name| format!("  import {package}/{name}@0.15.0;"))
        .collect();
    let world_text = format!(
        "package midenc:bundled-all;\nworld all {{\n{}\n}}\n",
        interfaces.join("\n")
    );
    let all = parse(&mut resolve, "all.wit", &world_text)?;
    let world = resolve
        .select_world(&[all], Some("all"))
        .map_err(|e| WitError::Invalid {
            path: "all.wit".into(),
            message: format!("{e:#}"),
        })?;
    Ok((resolve, world))
}

/// The library procedure behind a full WIT name of a bundled package:
/// `miden:protocol/active-account@…#get-item` is `miden::protocol::active_account::get_item`,
/// `miden:standards/basic-wallet@…#receive-asset` is
/// `miden::standards::wallets::basic::receive_asset`. `None` outside those packages.
pub fn procedure_path(full_name: &str) -> Option<String> {
    let (module, rest) = if let Some(rest) = full_name.strip_prefix(PROTOCOL_PREFIX) {
        (None, rest)
    } else {
        let rest = full_name.strip_prefix(STANDARDS_PREFIX)?;
        let iface = rest.split(['@', '#']).next()?;
        let (_, module) = STANDARDS_MODULES.iter().find(|(i, _)| *i == iface)?;
        (Some(*module), rest)
    };
    let (iface, func) = rest.split_once('#')?;
    let iface = iface.split_once('@').map_or(iface, |(name, _)| name);
    let module = module.map_or_else(
        || format!("miden::protocol::{}", iface.replace('-', "_")),
        str::to_string,
    );
    Some(format!("{module}::{}", func.replace('-', "_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_wit_parses_and_names_every_function() {
        let (resolve, world) = protocol_world().unwrap();
        let imports = &resolve.worlds[world].imports;
        assert!(imports.len() >= 5, "{}", imports.len());
        assert_eq!(
            procedure_path("miden:protocol/active-account@0.15.0#get-map-item").as_deref(),
            Some("miden::protocol::active_account::get_map_item")
        );
        assert_eq!(procedure_path("acme:bank/api@1.0.0#deposit"), None);
        assert_eq!(
            procedure_path("miden:standards/basic-wallet@0.15.0#move-asset-to-note").as_deref(),
            Some("miden::standards::wallets::basic::move_asset_to_note")
        );
        let (resolve, world) = standards_world().unwrap();
        // The wallet interface, plus the protocol type interfaces it uses.
        let names: Vec<String> = resolve.worlds[world]
            .imports
            .keys()
            .map(|key| resolve.name_world_key(key))
            .collect();
        assert!(
            names
                .iter()
                .any(|name| name == "miden:standards/basic-wallet@0.15.0"),
            "{names:?}"
        );
    }
}
