//! Channels that work on every runtime or none (issue 3 fills this in).
