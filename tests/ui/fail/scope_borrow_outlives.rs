// A child of a scope may borrow only what outlives the scope: not a local of the body.
fn main() {
    anyrt::block_on(async {
        anyrt::task::scope(async |s| {
            let local = vec![1, 2, 3];
            s.spawn(async { local.len() });
        })
        .await;
    });
}
