#[anyrt::main]
async fn main() {
    #![allow(unused_variables)]
    let unused = std::future::ready(1).await;
}
