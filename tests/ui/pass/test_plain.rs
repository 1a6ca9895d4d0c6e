// The generated `#[test]` functions exist only under `--test`; here the expansion must
// compile as a plain binary too (the body, the module, the attributes).

/// A documented test.
#[anyrt::test]
async fn plain() {
    let n = std::future::ready(41).await + 1;
    assert_eq!(n, 42);
}

#[anyrt::test]
#[should_panic = "boom"]
#[allow(unreachable_code)]
async fn panics() {
    panic!("boom");
}

#[cfg(test)]
mod tests {
    #[anyrt::test]
    async fn in_a_test_module() {}
}

fn main() {}
