use std::error::Error;

#[anyrt::main(smol, worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error>> {
    let n: u32 = "42".parse()?;
    assert_eq!(helper(n).await, 43);
    Ok(())
}

async fn helper(n: u32) -> u32 {
    n + 1
}
