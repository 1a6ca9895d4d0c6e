use std::num::ParseIntError;

fn parse(s: &str) -> Result<u32, ParseIntError> {
    s.parse()
}

#[anyrt::test]
async fn returns_result() -> Result<(), ParseIntError> {
    let n = parse("7")?;
    assert_eq!(n, 7);
    Ok(())
}

#[anyrt::test]
async fn returns_io_result() -> std::io::Result<()> {
    Ok(())
}

fn main() {}
