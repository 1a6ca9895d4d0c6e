#[anyrt::test(foo)]
async fn unknown_flag() {}

#[anyrt::test(tokio, flavor = "multi_thread")]
async fn unknown_name_value() {}

#[anyrt::main(workers = 2)]
async fn main() {}
