//! Facts the translator reads about a module or a function body: none of these changes code.
//!
//! - [`call_graph`] (per module): direct calls, recursive cycles, state-changing functions;
//! - [`liveness`]: live locals at every branch target;
//! - [`alignment`]: which `i32` values and locals are multiples of 4 along the control flow;
//! - [`counted_loop`]: loops over a constant range and the accesses one check covers;
//! - [`speculated_loop`]: loops whose tail may run speculatively;
//! - [`stack_carried`]: locals written and read back once, carried on the operand stack.

pub(crate) mod alignment;
pub(crate) mod call_graph;
pub(crate) mod counted_loop;
pub(crate) mod liveness;
pub(crate) mod speculated_loop;
pub(crate) mod stack_carried;
#[cfg(test)]
pub(crate) mod test_support;
