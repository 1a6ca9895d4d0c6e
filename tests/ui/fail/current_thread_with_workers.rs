#[anyrt::test(current_thread, worker_threads = 2)]
async fn one_thread_or_two() {}

fn main() {}
