//! Code shared by the anyrt examples.
//!
//! [`pipeline`] is the library of the tour: what a library author writes against anyrt
//! alone, with no runtime named anywhere. [`counter`] is the library of its simulation step:
//! a hit counter with a lost-update bug. [`wal`] is the library of its crash step: a
//! write-ahead log whose group commit acknowledges records before they are durable.

pub mod counter;
pub mod echo;
pub mod pipeline;
pub mod races;
pub mod wal;
