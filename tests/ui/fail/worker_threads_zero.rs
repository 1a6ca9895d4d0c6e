#[anyrt::test(worker_threads = 0)]
async fn no_workers() {}

#[anyrt::test(smol, worker_threads = "2")]
async fn not_an_integer() {}

#[anyrt::main(worker_threads)]
async fn main() {}
