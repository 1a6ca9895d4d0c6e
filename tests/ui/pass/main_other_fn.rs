// `#[anyrt::main]` on a function other than `main`: it becomes sync, and may take
// parameters (captured by the body).
#[anyrt::main(tokio)]
async fn add_one(n: u32) -> u32 {
    std::future::ready(n + 1).await
}

#[anyrt::main]
async fn first<T: Clone>(items: &[T]) -> Option<T> {
    items.first().cloned()
}

fn main() {
    assert_eq!(add_one(1), 2);
    assert_eq!(first(&["a", "b"]), Some("a"));
}
