//! Helpers shared by the conformance suite.
