//! One module per verb: clap options plus a `run` function that calls the library.

pub mod bindings;
pub mod build;
pub mod compile;
pub mod inspect;
pub mod new;
pub mod prove;
pub mod run;
pub mod tx;
pub mod verify;
