#[anyrt::test]
async fn takes_an_argument(n: u32) {
    let _ = n;
}

#[anyrt::test]
async fn generic<T: Default>() {
    let _ = T::default();
}

#[anyrt::main]
async fn main(args: Vec<String>) {
    let _ = args;
}
