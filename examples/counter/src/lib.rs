//! counter: a Miden account component written in Rust.
//!
//! `wit/world.wit` declares the procedures the component exports and the protocol functions
//! it uses; `component.toml` declares its storage. `midenc build` generates `src/bindings.rs`
//! and compiles the crate into an account-component package, which `midenc tx` runs in
//! transactions on a local mock chain.
#![cfg_attr(not(test), no_std)]

extern crate miden_example_runtime;

mod bindings;

use bindings::{
    miden::protocol::{active_account, native_account, types::SlotId},
    Felt, Guest, Word,
};

/// The storage slot `counter::count`: its identifier, the first two felts of the hash
/// of its name (`midenc inspect --json` shows it as `storage[].id`).
fn count_slot() -> SlotId {
    SlotId {
        suffix: Felt::from_u64(0x21180b40f6b47dd0),
        prefix: Felt::from_u64(0x0ead129ee3df4a0a),
    }
}

/// The component's procedures.
struct Counter;

impl Guest for Counter {
    fn increment() -> Felt {
        let word = active_account::get_item(count_slot());
        let count = word.a + Felt::ONE;
        native_account::set_item(count_slot(), Word { a: count, ..word });
        count
    }

    fn get_count() -> Felt {
        active_account::get_item(count_slot()).a
    }
}

bindings::export!(Counter with_types_in bindings);
