#[anyrt::main(tokio, smol)]
async fn main() {}
