//! A local S3-compatible server for trying and measuring `s3://` locations without a
//! cloud: the tests' s3s-fs server (signed requests, objects as files in a temporary
//! directory, deleted when it stops). Prints the settings to export; Ctrl-C stops it.
//!
//! ```sh
//! cargo run --release -p baocao --example s3_server
//! ```

#[path = "../../tests/common/s3.rs"]
mod s3;

fn main() -> anyhow::Result<()> {
    let server = s3::S3Server::start()?;
    println!("export BAOCAO_S3__ENDPOINT={}", server.endpoint);
    println!("export BAOCAO_S3__ALLOW_HTTP=true BAOCAO_S3__REGION=us-east-1");
    println!(
        "export AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={}",
        s3::ACCESS_KEY,
        s3::SECRET_KEY
    );
    println!("# bucket: s3://{}", s3::BUCKET);
    loop {
        std::thread::park();
    }
}
