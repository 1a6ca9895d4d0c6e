#[anyrt::test]
fn sync_test() {}

#[anyrt::main(smol)]
fn main() {}
