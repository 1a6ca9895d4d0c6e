#[anyrt::test(tokio, smol, tokio)]
async fn twice() {}

#[anyrt::test(worker_threads = 1, async_std, worker_threads = 2)]
async fn two_sizes() {}

fn main() {}
