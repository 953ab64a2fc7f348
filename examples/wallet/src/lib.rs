//! Example Miden account component: a basic wallet, exporting the interface of the standard
//! wallet of `miden-standards` so that notes written against that interface can pay into it.
#![cfg_attr(not(test), no_std)]
extern crate miden_example_runtime;

mod bindings;

use bindings::{
    exports::miden::standards::basic_wallet::{Felt, Guest},
    miden::protocol::{native_account, output_note, types::Asset},
};

/// The component's procedures.
struct Wallet;

impl Guest for Wallet {
    fn receive_asset(asset: Asset) {
        native_account::add_asset(asset);
    }

    fn move_asset_to_note(asset: Asset, note_index: Felt) {
        native_account::remove_asset(asset);
        output_note::add_asset(asset, note_index);
    }
}

bindings::export!(Wallet with_types_in bindings);
