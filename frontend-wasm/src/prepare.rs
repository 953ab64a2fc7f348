//! Pass 1 of a function's pipeline: rewrites and plans over a body's Wasm operators, made once
//! before translation (the same for every layout the search tries).
//!
//! - [`loop_shapes`]: drops zero tests that can never branch and moves a loop's whole-body
//!   block outside it (the shape speculated loops need);
//! - [`rebased_induction`]: keeps a rotated loop's induction local at the offset it is read at;
//! - [`shared_bounds`]: one bounds check for the accesses of a straight-line run at one base.

pub(crate) mod loop_shapes;
pub(crate) mod rebased_induction;
pub(crate) mod shared_bounds;
