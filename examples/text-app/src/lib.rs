//! Example package: calls `text-core` (linked with `midenc build -L`) for the text work.
#![no_std]
extern crate alloc;
extern crate miden_example_runtime;

mod bindings;

use alloc::{format, string::String};
use bindings::{example::text::words, Guest};

struct App;

impl Guest for App {
    fn headline(s: String) -> String {
        words::capitalize(&words::split(&s)).join(" ")
    }

    fn summary(s: String) -> String {
        let stats = words::stats(&words::split(&s));
        format!(
            "{} words, {} letters, longest: {}",
            stats.words, stats.letters, stats.longest
        )
    }
}

bindings::export!(App with_types_in bindings);
