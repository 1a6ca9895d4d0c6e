//! Nothing here: the test is tests/get.rs.
