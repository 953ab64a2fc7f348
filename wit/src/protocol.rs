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

/// The prefix of every `miden:protocol` interface name, as core import modules spell it.
pub const PROTOCOL_PREFIX: &str = "miden:protocol/";

/// The bundled protocol WIT, with a world that imports each of its interfaces (so every
/// function appears among the world's imports under its full name).
///
/// # Errors
/// Only if the bundled text were malformed, which the crate's tests rule out.
pub fn protocol_world() -> Result<(Resolve, WorldId), WitError> {
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
    let interfaces: Vec<String> = resolve.packages[protocol]
        .interfaces
        .keys()
        .map(|name| format!("  import miden:protocol/{name}@0.15.0;"))
        .collect();
    let world_text = format!(
        "package midenc:protocol-all;\nworld all {{\n{}\n}}\n",
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

/// The protocol library procedure behind a full WIT name: `miden:protocol/active-account@…
/// #get-item` is `miden::protocol::active_account::get_item`. `None` outside the package.
pub fn procedure_path(full_name: &str) -> Option<String> {
    let rest = full_name.strip_prefix(PROTOCOL_PREFIX)?;
    let (iface, func) = rest.split_once('#')?;
    let iface = iface.split_once('@').map_or(iface, |(name, _)| name);
    Some(format!(
        "miden::protocol::{}::{}",
        iface.replace('-', "_"),
        func.replace('-', "_")
    ))
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
    }
}
