//! Async synchronisation primitives (issue 3 fills this in).
