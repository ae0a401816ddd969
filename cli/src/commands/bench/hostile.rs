//! `baocao bench hostile`: what hostile request bodies cost a gateway. A real gateway
//! (`baocao serve`, a child process, so its memory is measured alone from /proc) gets
//! rounds of N concurrent bodies: a valid report followed by a flood of empty camera
//! systems (2 bytes each), of a given size, sent with no token and with a valid token,
//! and one just under the size limit with a valid token. Prints the gateway's resident
//! memory before, its peak growth in each phase, and the answers; it never fails on a
//! threshold (docs/security.md states the limit that this measures).

use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use baocao_proto::codec::submit_raw_bytes;
use baocao_proto::v1::{CameraSystem, StatusReport, SubmitReportRequest};
use prost::Message;
use tonic::transport::Channel;

use baocao_broker::{free_local_addr, wait_for_listener};

use crate::commands::embedded::{prepare_scratch_dir, start_broker};
use crate::config::Config;
use crate::sysinfo::{machine, proc_kib};

/// Flags of `baocao bench hostile`.
#[derive(clap::Args)]
pub struct HostileBenchArgs {
    /// Scratch directory (broker, tokens, logs); replaced on each run.
    #[arg(long, default_value = "state/bench-hostile")]
    dir: PathBuf,
    /// Bodies in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Size of each hostile body, in MiB.
    #[arg(long, default_value_t = 2)]
    body_mib: usize,
    /// Rounds of `concurrency` bodies per phase.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

/// A `SubmitReportRequest` of about `bytes` bytes: a valid-looking report, then as many
/// empty camera systems as fit (a second occurrence of the report field, merged by
/// protobuf).
fn hostile_body(bytes: usize) -> Vec<u8> {
    let mut body = SubmitReportRequest {
        report: Some(StatusReport {
            unit_code: "38.STTTT".into(),
            campaign_id: "thanh-hoa-2023".into(),
            ..Default::default()
        }),
        validate_only: false,
    }
    .encode_to_vec();
    // Each empty system: tag + zero length; the report's own length prefix takes ≤ 5.
    let systems = bytes.saturating_sub(body.len() + 8) / 2;
    body.extend(
        SubmitReportRequest {
            report: Some(StatusReport {
                systems: vec![CameraSystem::default(); systems],
                ..Default::default()
            }),
            validate_only: false,
        }
        .encode_to_vec(),
    );
    body
}

/// The child's `key` line of /proc/<pid>/status, in MiB.
fn child_mib(pid: u32, key: &str) -> f64 {
    proc_kib(&format!("/proc/{pid}/status"), key) / 1024.0
}

/// Sends `rounds` × `concurrency` copies of `body`; the answers' codes, counted.
async fn phase(
    channel: &Channel,
    body: &[u8],
    token: &str,
    concurrency: usize,
    rounds: usize,
) -> std::collections::BTreeMap<String, usize> {
    let mut answers = std::collections::BTreeMap::new();
    for _ in 0..rounds {
        let sends = (0..concurrency).map(|_| submit_raw_bytes(channel, body.to_vec(), token));
        for result in futures::future::join_all(sends).await {
            let code = match result {
                Ok(_) => "OK".to_string(),
                Err(status) => format!("{:?}", status.code()),
            };
            *answers.entry(code).or_default() += 1;
        }
    }
    answers
}

pub async fn run(config: &Config, args: HostileBenchArgs) -> anyhow::Result<ExitCode> {
    prepare_scratch_dir(&args.dir, "bench-hostile")?;
    let (_broker, brokers) = start_broker(&args.dir)?;
    let tokens = args.dir.join("tokens.json");
    let token = baocao_access::tokens::issue_token(&tokens, "38.STTTT")?.0;
    let listen = free_local_addr()?;
    let log = std::fs::File::create(args.dir.join("gateway.log"))?;
    let mut gateway = std::process::Command::new(std::env::current_exe()?)
        .arg("--data-dir")
        .arg(&config.data_dir)
        .args(["serve", "--tier", "province", "--jurisdiction", "38"])
        .args(["--listen", &listen])
        .args([
            "--kafka-brokers",
            &brokers,
            "--reports-topic",
            "bench-hostile",
        ])
        .arg("--tokens-file")
        .arg(&tokens)
        .env("BAOCAO_METRICS__LISTEN", "")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("starting the gateway")?;
    let result = measure(&args, &listen, gateway.id(), &token).await;
    let _ = gateway.kill();
    let _ = gateway.wait();
    result
}

async fn measure(
    args: &HostileBenchArgs,
    listen: &str,
    pid: u32,
    token: &str,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        wait_for_listener(listen, Duration::from_secs(60)),
        "the gateway did not start; see gateway.log in the scratch directory"
    );
    let channel = Channel::from_shared(format!("http://{listen}"))?
        .connect()
        .await?;
    let limit = baocao_gateway::GatewayConfig::default().max_report_bytes;
    let big = hostile_body(args.body_mib << 20);
    let under_limit = hostile_body(limit - 64);
    // One small refused request first, so the baseline includes a connection in use.
    let _ = submit_raw_bytes(&channel, Vec::new(), token).await;
    let before = child_mib(pid, "VmRSS:");
    println!(
        "baocao bench hostile: {} concurrent bodies × {} rounds against one gateway (`baocao serve`)\n  {}",
        args.concurrency,
        args.rounds,
        machine()
    );
    println!("  gateway resident memory before: {before:.1} MiB");
    let phases: [(&str, &[u8], &str); 3] = [
        ("no token, hostile body", &big, ""),
        ("valid token, hostile body", &big, token),
        (
            "valid token, empty systems just under the size limit",
            &under_limit,
            token,
        ),
    ];
    for (name, body, token) in phases {
        let started = Instant::now();
        let answers = phase(&channel, body, token, args.concurrency, args.rounds).await;
        let peak = child_mib(pid, "VmHWM:");
        println!(
            "  {name} ({:.2} MiB each): answers {answers:?} in {:.2} s; gateway peak {peak:.1} MiB (+{:.1} MiB over the start)",
            body.len() as f64 / (1 << 20) as f64,
            started.elapsed().as_secs_f64(),
            peak - before,
        );
    }
    println!(
        "  gateway resident memory after: {:.1} MiB",
        child_mib(pid, "VmRSS:")
    );
    Ok(ExitCode::SUCCESS)
}
