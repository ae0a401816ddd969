//! The Parquet state kept in an S3-compatible bucket instead of a local directory
//! (`landing.dir` and `rollup.out_dir` set to `s3://…`): reports go through a real gateway
//! into a real broker, `baocao land`, `compact`, `rollup` (also `--follow`) and `query`
//! run as a user runs them against a real S3-protocol server (s3s-fs on 127.0.0.1, signed requests), and
//! every figure is compared with the same topic landed and rolled up on local disk.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use arrow::array::RecordBatch;
use baocao_proto::v1::SubmitReportRequest;
use baocao_registry::AdminLevel;
use common::s3::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};
use common::{BIN, KillOnDrop, Stack, authed, succeeded, today, valid_report};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// `baocao` against this test's registry, broker and topic, with the S3 settings of
/// `server` (credentials `secret`), run in `root`.
fn baocao(stack: &Stack, server: &S3Server, secret: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(stack.root.path().join("data"))
        .env("BAOCAO_KAFKA__BROKERS", &stack.kafka.brokers)
        .env("BAOCAO_KAFKA__REPORTS_TOPIC", &stack.kafka.reports_topic)
        .env("RUST_LOG", "warn")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("BAOCAO_S3__ENDPOINT", &server.endpoint)
        .env("BAOCAO_S3__ALLOW_HTTP", "true")
        .env("BAOCAO_S3__REGION", "us-east-1")
        .current_dir(stack.root.path());
    command
}

/// Submits one report per unit, the i-th with i+1 cameras (a report lost or counted
/// twice changes the sum).
fn submit(
    runtime: &tokio::runtime::Runtime,
    stack: &Stack,
    units: &[String],
) -> anyhow::Result<()> {
    runtime.block_on(async {
        let mut client = stack.client().await;
        for (i, unit) in units.iter().enumerate() {
            let mut report = valid_report(unit);
            report.systems[0].camera_count = i as i64 + 1;
            report.systems[0].cameras_certified = 0;
            report.systems[0].cameras_on_warning_list = 0;
            client
                .submit_report(authed(
                    SubmitReportRequest {
                        report: Some(report),
                        validate_only: false,
                    },
                    &stack.token(unit),
                ))
                .await
                .with_context(|| format!("submitting for {unit}"))?;
        }
        Ok(())
    })
}

fn read_parquet(path: &Path) -> anyhow::Result<Vec<RecordBatch>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(path).with_context(|| path.display().to_string())?,
    )?
    .build()?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

/// Waits up to 30 s for `done`.
fn wait_until(done: impl Fn() -> bool, what: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Lands the topic (consumer group `group`) into `landing` and rolls `th-open` up to
/// today into `out`; returns the land command's statistics.
fn land_and_roll_up(
    stack: &Stack,
    server: &S3Server,
    group: &str,
    landing: &str,
    out: &str,
) -> anyhow::Result<serde_json::Value> {
    let landed = succeeded(
        baocao(stack, server, SECRET_KEY)
            .args(["land", "--until-caught-up", "--landing-dir", landing])
            .env("BAOCAO_LANDING__GROUP_ID", group),
    )?;
    succeeded(baocao(stack, server, SECRET_KEY).args([
        "rollup",
        "--campaign",
        "th-open",
        "--as-of",
        &today().format("%Y-%m-%d").to_string(),
        "--landing-dir",
        landing,
        "--out",
        out,
    ]))?;
    Ok(serde_json::from_str(&landed)?)
}

/// The landing, compaction, rollups, reports and SQL on a bucket give exactly what they
/// give on local disk; nothing is written locally; wrong credentials stop the landing
/// before it consumes anything; a backup of state already in a bucket is refused.
#[test]
fn landing_and_summaries_in_an_s3_bucket_match_local_disk() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let server = S3Server::start()?;
    let stack = runtime.block_on(Stack::start("commune", "38"))?;
    let mut units: Vec<String> = stack
        .registry
        .units()
        .filter(|u| u.tier == AdminLevel::Commune && stack.registry.is_within(u, "38"))
        .map(|u| u.code.clone())
        .collect();
    units.sort();
    units.truncate(30);
    submit(&runtime, &stack, &units[..20])?;

    let s3_landing = format!("s3://{BUCKET}/thanh-hoa/landing");
    let s3_out = format!("s3://{BUCKET}/thanh-hoa/summaries");
    let local_landing = stack.root.path().join("landing").display().to_string();
    let local_out = stack.root.path().join("summaries").display().to_string();
    let summary = |object: &str| {
        server.object_file(&format!(
            "thanh-hoa/summaries/th-open/levels-approved/{object}"
        ))
    };
    let local_summary = |file: &str| {
        Path::new(&local_out)
            .join("th-open/levels-approved")
            .join(file)
    };
    let same_figures = || -> anyhow::Result<()> {
        for file in ["summary.parquet", "late_and_missing.parquet"] {
            assert_eq!(
                read_parquet(&summary(file))?,
                read_parquet(&local_summary(file))?,
                "{file} differs between the bucket and local disk"
            );
        }
        Ok(())
    };

    // Landed and rolled up in the bucket, and on local disk from the same topic.
    let stats = land_and_roll_up(&stack, &server, "landing-s3", &s3_landing, &s3_out)?;
    assert_eq!(stats["submissions"], 20, "{stats}");
    land_and_roll_up(&stack, &server, "landing-local", &local_landing, &local_out)?;
    let landed = server.keys("thanh-hoa/landing")?;
    assert!(
        landed
            .iter()
            .any(|k| k.starts_with("submissions/campaign=th-open/received_date="))
            && landed
                .iter()
                .any(|k| k.starts_with("systems/campaign=th-open/"))
            && landed.iter().all(|k| k.ends_with(".parquet")),
        "{landed:?}"
    );
    for file in [
        "summary.parquet",
        "late_and_missing.parquet",
        "lineage.json",
        "bao-cao.md",
        "bao-cao.html",
        "bao-cao.xlsx",
        "bao-cao.docx",
        "bao-cao.pdf",
    ] {
        assert!(summary(file).is_file(), "{file} not in the bucket");
    }
    same_figures()?;
    let lineage: serde_json::Value =
        serde_json::from_slice(&std::fs::read(summary("lineage.json"))?)?;
    assert_eq!(lineage["submissions"], 20, "{lineage}");
    assert_eq!(lineage["landing_dir"], s3_landing.as_str(), "{lineage}");
    assert!(
        !stack.root.path().join("state").exists(),
        "nothing is written to the default local directories"
    );

    // A following rollup on the bucket: it sees new landed objects by listing.
    let followed = format!("s3://{BUCKET}/thanh-hoa/followed");
    let follower = KillOnDrop(
        baocao(&stack, &server, SECRET_KEY)
            .args([
                "rollup",
                "--campaign",
                "th-open",
                "--follow",
                "--follow-poll-ms",
                "100",
                "--landing-dir",
                &s3_landing,
                "--out",
                &followed,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let followed_submissions = || -> Option<serde_json::Value> {
        let lineage = server.object_file("thanh-hoa/followed/th-open/levels-approved/lineage.json");
        let text = std::fs::read(lineage).ok()?;
        serde_json::from_slice::<serde_json::Value>(&text)
            .ok()
            .map(|l| l["submissions"].clone())
    };
    wait_until(
        || followed_submissions() == Some(20.into()),
        "the follower's first rollup",
    )?;

    // More reports (ten new units, and corrections from five that reported), landed
    // incrementally, then compaction in the bucket: small files become segments, and
    // the figures still match local disk.
    let mut second_round = units[20..30].to_vec();
    second_round.extend_from_slice(&units[..5]);
    submit(&runtime, &stack, &second_round)?;
    let stats = land_and_roll_up(&stack, &server, "landing-s3", &s3_landing, &s3_out)?;
    assert_eq!(
        stats["submissions"], 15,
        "only the new records are landed: {stats}"
    );
    wait_until(
        || followed_submissions() == Some(35.into()),
        "the follower's rollup of the new landed objects",
    )?;
    drop(follower);
    let before_compaction = server.keys("thanh-hoa/landing")?;
    let compacted = succeeded(baocao(&stack, &server, SECRET_KEY).args([
        "compact",
        "--landing-dir",
        &s3_landing,
    ]))?;
    assert!(
        compacted.starts_with(&format!("compacted {} files", before_compaction.len())),
        "{compacted}"
    );
    let after_compaction = server.keys("thanh-hoa/landing")?;
    assert!(
        !after_compaction.is_empty()
            && after_compaction
                .iter()
                .all(|k| k.contains("/segment=compacted/")),
        "{after_compaction:?}"
    );
    land_and_roll_up(&stack, &server, "landing-s3", &s3_landing, &s3_out)?;
    land_and_roll_up(&stack, &server, "landing-local", &local_landing, &local_out)?;
    same_figures()?;
    let lineage: serde_json::Value =
        serde_json::from_slice(&std::fs::read(summary("lineage.json"))?)?;
    assert_eq!(lineage["submissions"], 35, "{lineage}");
    assert_eq!(lineage["units"], 30, "{lineage}");

    // Analysts' SQL over the bucket answers as over local disk.
    let question = "SELECT s.units_reported, s.cameras, (SELECT COUNT(*) FROM submissions) AS submissions \
                    FROM summaries s WHERE s.tier = 'province' AND s.campaign_id = 'th-open'";
    let ask = |landing: &str, summaries: &str| {
        succeeded(baocao(&stack, &server, SECRET_KEY).args([
            "query",
            "--format",
            "csv",
            "--no-bom",
            "--landing-dir",
            landing,
            "--summaries-dir",
            summaries,
            question,
        ]))
    };
    let answer = ask(&s3_landing, &s3_out)?;
    assert_eq!(answer, ask(&local_landing, &local_out)?);
    // Units 5..20 keep their first report (6..=20 cameras), units 20..30 have 1..=10, and
    // the corrected units 0..5 count their second report only (11..=15).
    let cameras: i64 = (6..=20).sum::<i64>() + (1..=10).sum::<i64>() + (11..=15).sum::<i64>();
    assert_eq!(
        answer,
        format!("units_reported,cameras,submissions\n30,{cameras},35\n")
    );

    // Wrong credentials: the landing stops before consuming, naming the bucket.
    let refused = baocao(&stack, &server, "not-the-secret")
        .args(["land", "--until-caught-up", "--landing-dir", &s3_landing])
        .env("BAOCAO_LANDING__GROUP_ID", "landing-wrong-key")
        .output()?;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains(&format!("object storage: list {s3_landing}")),
        "{stderr}"
    );
    let relanded = succeeded(
        baocao(&stack, &server, SECRET_KEY)
            .args(["land", "--until-caught-up", "--landing-dir", &s3_landing])
            .env("BAOCAO_LANDING__GROUP_ID", "landing-wrong-key"),
    )?;
    assert!(
        relanded.contains("\"records\": 35"),
        "the refused run committed nothing: {relanded}"
    );

    // A backup copies local directories; state already in a bucket is refused, named.
    let backup = baocao(&stack, &server, SECRET_KEY)
        .args([
            "backup",
            "--to",
            &format!("s3://{BUCKET}/backup"),
            "--landing-dir",
            &s3_landing,
        ])
        .output()?;
    let stderr = String::from_utf8_lossy(&backup.stderr);
    assert!(
        !backup.status.success() && stderr.contains(&format!("landing.dir is {s3_landing}")),
        "{stderr}"
    );
    Ok(())
}
