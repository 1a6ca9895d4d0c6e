#[anyrt::test(tokio)]
async fn only_tokio() {}

#[anyrt::test(smol, async_std)]
async fn two_of_them() {}

#[anyrt::test(async_std, worker_threads = 2)]
async fn sized() {}

#[anyrt::test(worker_threads = 1)]
async fn every_backend_one_thread() {}

// The body keeps its meaning: `smol` and `tokio` here are this module's functions, not the
// generated tests.
fn smol() -> u8 {
    1
}
fn tokio() -> u8 {
    2
}

#[anyrt::test]
async fn sees_the_parent_module() {
    assert_eq!(smol() + tokio(), 3);
}

fn main() {
    assert_eq!(smol() + tokio(), 3);
}
