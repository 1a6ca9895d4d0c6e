#[anyrt::test(glommio)]
async fn not_a_backend() {}

#[anyrt::test(Tokio)]
async fn capitalized() {}

#[anyrt::test(async-std)]
async fn feature_spelling() {}

#[anyrt::test("smol")]
async fn string_literal() {}

fn main() {}
