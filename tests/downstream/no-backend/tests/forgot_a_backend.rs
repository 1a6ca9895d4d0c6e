//! The mistake: `anyrt = { features = ["macros"] }` in [dev-dependencies], no backend.

#[anyrt::test]
async fn would_run_on_every_backend() {
    anyrt::task::yield_now().await;
}
