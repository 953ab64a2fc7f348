//! p2id: a Miden note script written in Rust.
//!
//! `wit/world.wit` declares the script's entry (`run`) and the protocol functions it uses;
//! `Cargo.toml` makes the package a note script (`[package.metadata.miden] note-script`).
//! `midenc build` generates `src/bindings.rs` and compiles the crate into a note-script
//! package, which `midenc tx` consumes in transactions on a local mock chain.
#![cfg_attr(not(test), no_std)]
extern crate alloc;

extern crate miden_example_runtime;

mod bindings;

use bindings::{
    miden::{
        protocol::{active_account, active_note},
        standards::basic_wallet,
    },
    Guest, Word,
};

/// The note script.
struct P2id;

impl Guest for P2id {
    fn run(_args: Word) {
        // The note's storage is the target account's identifier: suffix, then prefix.
        let storage = active_note::get_storage();
        assert!(storage.len() == 2, "pay-to-ID storage is two felts");
        let account = active_account::get_id();
        assert!(
            account.suffix == storage[0] && account.prefix == storage[1],
            "the note is not for this account"
        );
        for asset in active_note::get_assets() {
            basic_wallet::receive_asset(asset);
        }
    }
}

bindings::export!(P2id with_types_in bindings);
