//! Cargo-style status lines on stderr: a right-aligned verb (`   Compiling foo`), green and
//! bold when stderr is a terminal, so midenc's steps read like cargo's around them.

use std::io::IsTerminal;

/// Prints `verb message` in cargo's layout.
pub fn print(verb: &str, message: &str) {
    if std::io::stderr().is_terminal() {
        eprintln!("\x1b[1;32m{verb:>12}\x1b[0m {message}");
    } else {
        eprintln!("{verb:>12} {message}");
    }
}
