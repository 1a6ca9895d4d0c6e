//! Code shared by the anyrt examples.
//!
//! [`pipeline`] is the library of the tour: what a library author writes against anyrt
//! alone, with no runtime named anywhere.

pub mod echo;
pub mod pipeline;
