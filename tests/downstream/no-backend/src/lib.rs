//! Nothing: the tests are what is checked.
