//! Example package: the `example:text/words` interface, called by `text-app`.
#![no_std]
extern crate alloc;
extern crate miden_example_runtime;

mod bindings;

use alloc::{string::String, vec::Vec};
use bindings::exports::example::text::words::{Guest, TextStats};

struct Words;

impl Guest for Words {
    fn split(s: String) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn capitalize(words: Vec<String>) -> Vec<String> {
        words
            .into_iter()
            .map(|w| {
                let mut chars = w.chars();
                match chars.next() {
                    Some(first) => first.to_uppercase().chain(chars).collect(),
                    None => String::new(),
                }
            })
            .collect()
    }

    fn stats(words: Vec<String>) -> TextStats {
        let mut longest = String::new();
        for w in &words {
            if w.chars().count() > longest.chars().count() {
                longest = w.clone();
            }
        }
        TextStats {
            words: words.len() as u32,
            letters: words
                .iter()
                .map(|w| w.chars().filter(|c| c.is_alphabetic()).count() as u32)
                .sum(),
            longest,
        }
    }
}

bindings::export!(Words with_types_in bindings);
