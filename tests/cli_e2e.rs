//! End-to-end through the binary as a user runs it: `baocao broker`, `baocao serve`,
//! `baocao token issue`, `baocao report template`, `baocao submit`, each a real process.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    BIN, BrokerProcess, KillOnDrop, baocao_command, data_dir, free_port, repo_root, wait_for_port,
};

/// One plain HTTP/1.0 request (`request`: its first line and headers); the status code
/// and the body.
fn http(addr: &str, request: &str) -> anyhow::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("not an HTTP response: {response}"))?;
    let status = head
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no status in {head}"))?;
    Ok((status, body.to_string()))
}

/// `GET /metrics`; the body.
fn scrape(addr: &str) -> anyhow::Result<String> {
    let (status, body) = http(addr, "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    anyhow::ensure!(status == 200, "{status}: {body}");
    Ok(body)
}

/// `baocao serve-web` as a process: its health endpoint answers, and its Prometheus
/// endpoint counts requests by route and status, and logins by outcome.
#[test]
fn the_portal_process_answers_health_and_counts_requests() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let broker = BrokerProcess::start(root.path())?;
    let data = data_dir(root.path())?;
    let topic = format!("web-{}", uuid::Uuid::new_v4().simple());
    let (listen, metrics) = (
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    );
    let _portal = KillOnDrop(
        baocao_command(root.path(), &data, &broker.addr, &topic)
            .args(["serve-web", "--listen", &listen, "--accounts-db"])
            .arg(root.path().join("accounts.db"))
            .env("BAOCAO_METRICS__LISTEN", &metrics)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    wait_for_port(&listen, Duration::from_secs(30))?;
    let get = |path: &str| http(&listen, &format!("GET {path} HTTP/1.0\r\n\r\n"));
    assert_eq!(get("/healthz")?, (200, "ok".to_string()));
    assert_eq!(get("/login")?.0, 200);
    // A login form posted without the login page's cookie: refused, counted.
    let body = "username=ai&password=sai";
    let posted = http(
        &listen,
        &format!(
            "POST /login HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )?;
    assert_eq!(posted.0, 403);
    let scraped = scrape(&metrics)?;
    for line in [
        "baocao_portal_requests_total{route=\"/healthz\",status=\"200\"} 1",
        "baocao_portal_requests_total{route=\"/login\",status=\"200\"} 1",
        "baocao_portal_requests_total{route=\"/login\",status=\"403\"} 1",
        "baocao_portal_logins_total{outcome=\"stale_form\"} 1",
        "baocao_portal_request_seconds_count{route=\"/login\"} 2",
    ] {
        assert!(scraped.lines().any(|l| l == line), "`{line}` in\n{scraped}");
    }
    Ok(())
}

/// The shipped template for the open test campaign (dated today by `report template`),
/// made into a report of the provincial police (38.CA), without a submission id (the
/// client makes one).
fn police_report_from_template(template: &str) -> String {
    template.replace("38.STTTT", "38.CA").replace(
        "[media]\nitems_broadcast = 12",
        "[police]\nassessments_done = 3\ncases_handled = 1",
    )
}

#[test]
fn submit_a_template_report_through_the_cli() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let broker = BrokerProcess::start(root.path())?;
    let data = data_dir(root.path())?;
    let tokens = root.path().join("tokens.json");
    let gateway_addr = format!("127.0.0.1:{}", free_port());
    let topic = format!("cli-{}", uuid::Uuid::new_v4().simple());
    let baocao = || baocao_command(root.path(), &data, &broker.addr, &topic);

    let issued = baocao()
        .args(["token", "issue", "--unit", "38.CA", "--tokens-file"])
        .arg(&tokens)
        .output()?;
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let token = String::from_utf8(issued.stdout)?.trim().to_string();
    assert!(token.starts_with("bcv1_"));

    let gateway_metrics = format!("127.0.0.1:{}", free_port());
    let _gateway = KillOnDrop(
        baocao()
            .args([
                "serve",
                "--tier",
                "province",
                "--jurisdiction",
                "38",
                "--listen",
                &gateway_addr,
                "--tokens-file",
            ])
            .arg(&tokens)
            .env("BAOCAO_METRICS__LISTEN", &gateway_metrics)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    wait_for_port(&gateway_addr, Duration::from_secs(20))?;

    // The template, adapted to this unit and the open test campaign.
    let template = baocao()
        .args(["report", "template", "--campaign", "th-open"])
        .output()?;
    assert!(template.status.success());
    let report = police_report_from_template(&String::from_utf8(template.stdout)?);
    let file = root.path().join("report.toml");
    std::fs::write(&file, report)?;

    let gateway_url = format!("http://{gateway_addr}");
    let submitted = baocao()
        .args(["submit", "--file"])
        .arg(&file)
        .args(["--token", &token, "--gateway", &gateway_url])
        .output()?;
    let stdout = String::from_utf8_lossy(&submitted.stdout);
    assert!(
        submitted.status.success(),
        "{}\n{}",
        stdout,
        String::from_utf8_lossy(&submitted.stderr)
    );
    assert!(stdout.contains("\"submissionId\""), "{stdout}");

    // A bad file: refused with exit code 2 and the field named on stderr.
    let bad = root.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&file)?.replace("proposed_level = 2", "proposed_level = 0"),
    )?;
    let refused = baocao()
        .args(["submit", "--file"])
        .arg(&bad)
        .args(["--token", &token, "--gateway", &gateway_url])
        .output()?;
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("report.systems[0].proposed_level"),
        "{stderr}"
    );

    let records = common::read_envelopes(&broker.addr, &topic, 6, 1)?;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].0, "38.CA");

    // The gateway's Prometheus endpoint counts both outcomes and the produce latency.
    let metrics = scrape(&gateway_metrics)?;
    for line in [
        "baocao_gateway_submissions_total{gateway=\"province-38\",outcome=\"accepted\"} 1",
        "baocao_gateway_submissions_total{gateway=\"province-38\",outcome=\"invalid_argument\"} 1",
        "baocao_gateway_produce_seconds_count{gateway=\"province-38\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "`{line}` in\n{metrics}");
    }

    // A continuous landing process exports rows landed and its consumer lag.
    let landing_metrics = format!("127.0.0.1:{}", free_port());
    let continuous = KillOnDrop(
        baocao()
            .args(["land", "--landing-dir"])
            .arg(root.path().join("landing-continuous"))
            .env("BAOCAO_LANDING__GROUP_ID", "continuous")
            .env("BAOCAO_LANDING__COMPACT_EVERY_SECONDS", "1")
            .env("BAOCAO_METRICS__LISTEN", &landing_metrics)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    wait_for_port(&landing_metrics, Duration::from_secs(20))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let metrics = scrape(&landing_metrics)?;
        let landed = metrics
            .lines()
            .any(|l| l == "baocao_landing_rows_total{table=\"submissions\"} 1");
        let caught_up = metrics
            .lines()
            .any(|l| l == "baocao_landing_consumer_lag_records 0");
        // The compaction pass ran (one file per table: nothing to merge).
        let compacted = metrics
            .lines()
            .any(|l| l == "baocao_landing_compacted_files_total 0");
        if landed && caught_up && compacted {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "landing metrics never showed the row and a compaction pass:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A following rollup (`rollup --follow`) over the continuous landing writes the
    // summaries once the row is landed, and does not run again while nothing changes.
    let follow_metrics = format!("127.0.0.1:{}", free_port());
    let followed = root.path().join("summaries-followed");
    let today = common::today().format("%Y-%m-%d").to_string();
    let _follow = KillOnDrop(
        baocao()
            .args([
                "rollup",
                "--campaign",
                "th-open",
                "--milestone",
                "levels-approved",
                "--as-of",
                &today,
                "--follow",
                "--follow-poll-ms",
                "100",
                "--landing-dir",
            ])
            .arg(root.path().join("landing-continuous"))
            .arg("--out")
            .arg(&followed)
            .env("BAOCAO_METRICS__LISTEN", &follow_metrics)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    wait_for_port(&follow_metrics, Duration::from_secs(20))?;
    let runs_line =
        "baocao_rollup_duration_seconds_count{campaign=\"th-open\",milestone=\"levels-approved\"}";
    let rollup_runs = |metrics: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(runs_line))
            .and_then(|n| n.trim().parse::<u64>().ok())
    };
    let lineage = followed.join("th-open/levels-approved/lineage.json");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !lineage.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the following rollup never wrote {}",
            lineage.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&lineage)?)?;
    assert_eq!(written["submissions"], 1, "{written}");
    let runs = rollup_runs(&scrape(&follow_metrics)?);
    std::thread::sleep(Duration::from_millis(1_000));
    assert_eq!(
        rollup_runs(&scrape(&follow_metrics)?),
        runs,
        "the following rollup ran again with no new landed file"
    );
    assert_eq!(runs, Some(1));
    drop(continuous);

    // The DIC's path: land what is there, roll up, ask a question in SQL.
    let landing = root.path().join("landing");
    let landed = baocao()
        .args(["land", "--until-caught-up", "--landing-dir"])
        .arg(&landing)
        .output()?;
    assert!(
        landed.status.success(),
        "{}",
        String::from_utf8_lossy(&landed.stderr)
    );
    assert!(String::from_utf8_lossy(&landed.stdout).contains("\"submissions\": 1"));
    let summaries = root.path().join("summaries");
    let today = common::today().format("%Y-%m-%d").to_string();
    let rolled = baocao()
        .args([
            "rollup",
            "--campaign",
            "th-open",
            "--milestone",
            "levels-approved",
            "--as-of",
            &today,
            "--landing-dir",
        ])
        .arg(&landing)
        .arg("--out")
        .arg(&summaries)
        .output()?;
    assert!(
        rolled.status.success(),
        "{}",
        String::from_utf8_lossy(&rolled.stderr)
    );
    for file in [
        "summary.parquet",
        "late_and_missing.parquet",
        "lineage.json",
        "bao-cao.xlsx",
        "bao-cao.md",
        "bao-cao.html",
        "bao-cao.docx",
        "bao-cao.pdf",
    ] {
        assert!(
            summaries
                .join("th-open/levels-approved")
                .join(file)
                .exists(),
            "{file}"
        );
    }
    // Read by a program: CSV without the byte-order mark meant for Excel.
    let queried = baocao()
        .args(["query", "--format", "csv", "--no-bom", "--landing-dir"])
        .arg(&landing)
        .arg("--summaries-dir")
        .arg(&summaries)
        .arg("SELECT s.units_reported, s.units_on_time, u.unit_code FROM summaries s, unit_state u WHERE s.tier = 'province' AND s.campaign_id = 'th-open'")
        .output()?;
    assert!(
        queried.status.success(),
        "{}",
        String::from_utf8_lossy(&queried.stderr)
    );
    assert_eq!(
        String::from_utf8(queried.stdout)?,
        "units_reported,units_on_time,unit_code\n1,1,38.CA\n"
    );

    // Revoking the token: the running gateway refuses it on the next call.
    let listed = baocao()
        .args(["token", "list", "--tokens-file"])
        .arg(&tokens)
        .output()?;
    let listing = String::from_utf8(listed.stdout)?;
    let id = listing
        .lines()
        .find(|l| l.contains("38.CA"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("38.CA not in {listing}"))
        .to_string();
    let revoked = baocao()
        .args(["token", "revoke", "--id", &id, "--tokens-file"])
        .arg(&tokens)
        .output()?;
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let after = baocao()
        .args(["submit", "--file"])
        .arg(&file)
        .args(["--token", &token, "--gateway", &gateway_url])
        .output()?;
    assert_eq!(after.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&after.stderr).contains("Unauthenticated"));
    // A clerk whose terminal speaks Vietnamese is told in Vietnamese what to do.
    let in_vietnamese = baocao()
        .env("LANG", "vi_VN.UTF-8")
        .args(["submit", "--file"])
        .arg(&file)
        .args(["--token", &token, "--gateway", &gateway_url])
        .output()?;
    let said = String::from_utf8_lossy(&in_vietnamese.stderr);
    assert!(
        said.contains("không được chấp nhận: Mã truy cập (token)")
            && said.contains("Đề nghị Sở cấp mã mới"),
        "{said}"
    );
    Ok(())
}

/// TLS and mutual TLS with certificates made the documented way (`baocao tls dev-certs`),
/// configured through the environment (`BAOCAO_GATEWAY__TLS__…`): only a client holding a
/// certificate of the province's CA gets through; plaintext, a client without a
/// certificate and a client with a certificate of another CA are all refused.
#[test]
fn mutual_tls_lets_in_only_enrolled_clients() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let broker = BrokerProcess::start(root.path())?;
    let data = data_dir(root.path())?;
    let tokens = root.path().join("tokens.json");
    let gateway_addr = format!("127.0.0.1:{}", free_port());
    let topic = format!("tls-{}", uuid::Uuid::new_v4().simple());
    let baocao = || baocao_command(root.path(), &data, &broker.addr, &topic);
    let run = |command: &mut Command| -> anyhow::Result<std::process::Output> {
        let output = command.output()?;
        Ok(output)
    };
    for (dir, client) in [("certs", "huyen-dong-son"), ("rogue", "intruder")] {
        let made = run(baocao().args(["tls", "dev-certs", "--out", dir, "--client-name", client]))?;
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    let certs = root.path().join("certs");
    let issued = run(baocao()
        .args(["token", "issue", "--unit", "38.CA", "--tokens-file"])
        .arg(&tokens))?;
    let token = String::from_utf8(issued.stdout)?.trim().to_string();

    let _gateway = KillOnDrop(
        baocao()
            .args(["serve", "--tier", "province", "--jurisdiction", "38"])
            .args(["--listen", &gateway_addr, "--tokens-file"])
            .arg(&tokens)
            .env("BAOCAO_GATEWAY__TLS__CERT_FILE", certs.join("server.pem"))
            .env("BAOCAO_GATEWAY__TLS__KEY_FILE", certs.join("server.key"))
            .env("BAOCAO_GATEWAY__TLS__CLIENT_CA_FILE", certs.join("ca.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    wait_for_port(&gateway_addr, Duration::from_secs(20))?;

    let template = run(baocao().args(["report", "template", "--campaign", "th-open"]))?;
    let file = root.path().join("report.toml");
    std::fs::write(
        &file,
        police_report_from_template(&String::from_utf8(template.stdout)?),
    )?;
    let submit = |url: &str, extra: &[&str]| -> anyhow::Result<std::process::Output> {
        run(baocao()
            .args(["submit", "--retries", "0", "--file"])
            .arg(&file)
            .args(["--token", &token, "--gateway", url])
            .args(extra))
    };
    let https = format!(
        "https://localhost:{}",
        gateway_addr.rsplit(':').next().unwrap_or_default()
    );
    let ca = certs.join("ca.pem").display().to_string();
    let client_cert = certs.join("client.pem").display().to_string();
    let client_key = certs.join("client.key").display().to_string();
    let rogue = root.path().join("rogue");
    let rogue_cert = rogue.join("client.pem").display().to_string();
    let rogue_key = rogue.join("client.key").display().to_string();

    let refusals = [
        ("plaintext", submit(&format!("http://{gateway_addr}"), &[])?),
        (
            "no client certificate",
            submit(&https, &["--ca-cert", &ca])?,
        ),
        (
            "a certificate of another CA",
            submit(
                &https,
                &[
                    "--ca-cert",
                    &ca,
                    "--client-cert",
                    &rogue_cert,
                    "--client-key",
                    &rogue_key,
                ],
            )?,
        ),
        (
            "a server certificate not trusted",
            submit(
                &https,
                &[
                    "--ca-cert",
                    &rogue.join("ca.pem").display().to_string(),
                    "--client-cert",
                    &client_cert,
                    "--client-key",
                    &client_key,
                ],
            )?,
        ),
    ];
    for (case, output) in &refusals {
        assert_eq!(
            output.status.code(),
            Some(2),
            "{case}: must not be accepted"
        );
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("submissionId"),
            "{case}: no receipt"
        );
    }

    let accepted = submit(
        &https,
        &[
            "--ca-cert",
            &ca,
            "--client-cert",
            &client_cert,
            "--client-key",
            &client_key,
        ],
    )?;
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    let records = common::read_envelopes(&broker.addr, &topic, 6, 1)?;
    assert_eq!(
        records.len(),
        1,
        "only the enrolled client's report is in Kafka"
    );
    Ok(())
}

/// The national workload generator and the rollup benchmark run end to end on one
/// province (the DuckDB half needs PyPI duckdb and is skipped here).
#[test]
fn gen_and_bench_rollup_run_on_one_province() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let out = root.path().join("national");
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    // Not on a terminal, in JSON logs: progress lines with counts, not bar redraws.
    let generated = Command::new(BIN)
        .arg("--data-dir")
        .arg(&shipped)
        .args(["--log-format", "json"])
        .args(["gen", "--provinces", "44", "--out"])
        .arg(&out)
        .env("RUST_LOG", "info")
        .env("BAOCAO_LOG__PROGRESS_INTERVAL_MS", "100")
        .output()?;
    let stdout = String::from_utf8_lossy(&generated.stdout);
    let stderr = String::from_utf8_lossy(&generated.stderr);
    assert!(generated.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("submission rows"), "{stdout}");
    let progress: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| {
            event["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("gen: "))
        })
        .collect();
    assert!(!progress.is_empty(), "no progress line in:\n{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains("\u{1b}["),
        "bar redraws or colours in a pipe:\n{stderr}"
    );
    assert!(out.join("data/campaigns/national-2023.toml").exists());
    assert!(
        out.join("landing/submissions/campaign=national-2023")
            .is_dir()
    );

    #[cfg(feature = "bench")]
    bench_rollup_and_landing_on(&out)?;
    Ok(())
}

/// `bench rollup`, `bench landing` and `bench portal` on a workload made by `gen`.
#[cfg(feature = "bench")]
fn bench_rollup_and_landing_on(out: &std::path::Path) -> anyhow::Result<()> {
    let stdout = common::succeeded(
        Command::new(BIN)
            .args(["bench", "rollup", "--runs", "1", "--no-duckdb", "--dir"])
            .arg(out)
            .env("RUST_LOG", "warn"),
    )?;
    assert!(
        stdout.contains("median") && stdout.contains("machine: "),
        "{stdout}"
    );

    // The same workload through the embedded broker and `baocao land` (a child process):
    // every record lands, as many rows as without the broker.
    let stdout = common::succeeded(
        Command::new(BIN)
            .args(["bench", "landing", "--limit", "300", "--dir"])
            .arg(out),
    )?;
    let rows_of = |path: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(path))
            .map(|l| {
                l.split_whitespace()
                    .filter(|w| w.parse::<u64>().is_ok())
                    .take(2)
                    .collect::<Vec<_>>()
            })
    };
    let through_broker = rows_of("topic → baocao land");
    assert_eq!(
        through_broker.as_ref().and_then(|n| n.first()).copied(),
        Some("300"),
        "{stdout}"
    );
    assert_eq!(
        through_broker,
        rows_of("decode → Arrow → Parquet"),
        "{stdout}"
    );
    bench_portal_on(out)
}

/// `bench portal` on a workload made by `gen`: viewers signed in through the pages see
/// their dashboards, and every form and gRPC submit gets its receipt.
#[cfg(feature = "bench")]
fn bench_portal_on(out: &std::path::Path) -> anyhow::Result<()> {
    bench_portal_with(out, &[])
}

/// `bench portal` with the dashboards on the 2025 map: the 2026 campaign's planned
/// activity (its province's department and communes' offices as viewers), and `gen`'s
/// national workload on the 2025 register (one province, communes right under it).
#[cfg(feature = "bench")]
#[test]
fn bench_portal_runs_on_the_2025_map() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    bench_portal_with(root.path(), &["--dashboard-campaign", "thanh-hoa-2026"])?;
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let national = root.path().join("national-2025");
    common::succeeded(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(&shipped)
            .args(["gen", "--register", "2025", "--provinces", "38", "--out"])
            .arg(&national),
    )?;
    let admin = std::fs::read_to_string(national.join("data/admin_units.csv"))?;
    assert!(
        !admin.contains(",district,"),
        "the 2025 map has no district"
    );
    bench_portal_with(&national, &[])
}

/// `bench portal` with `extra` flags on tiny loads; every page and submit answered.
#[cfg(feature = "bench")]
fn bench_portal_with(out: &std::path::Path, extra: &[&str]) -> anyhow::Result<()> {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let stdout = common::succeeded(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(&shipped)
            .args(["bench", "portal", "--viewers", "3", "--view-seconds", "1"])
            .args(extra)
            .args([
                "--clerks",
                "2",
                "--rate",
                "20",
                "--paced-seconds",
                "1",
                "--dir",
            ])
            .arg(out),
    )?;
    assert!(
        stdout.contains(
            "3 viewers: 1 with a province's scope (its department), 2 with an area's under it"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("the department's dashboard page: "),
        "{stdout}"
    );
    let pages = stdout
        .lines()
        .find(|l| l.contains("pages/s over"))
        .unwrap_or_default();
    assert!(pages.ends_with("; 0 failed"), "{stdout}");
    let first_loads = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("first load after a summary"))
        .and_then(|l| l.split_whitespace().find_map(|w| w.parse::<u64>().ok()));
    assert!(first_loads.is_some_and(|n| n >= 3), "{stdout}");
    for path in ["gRPC → gateway → Kafka", "form POST → portal → Kafka"] {
        let row = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(path))
            .unwrap_or_default();
        assert_eq!(row.split_whitespace().last(), Some("0"), "{stdout}");
    }
    assert!(stdout.contains("form p99 / gRPC p99"), "{stdout}");
    Ok(())
}

/// The ingest and freshness benchmarks on tiny loads: they run end to end (embedded
/// broker, gateway, clients; landing and a following rollup as child processes) and
/// every report is answered OK and, for freshness, seen in the summary.
#[cfg(feature = "bench")]
#[test]
fn bench_ingest_and_freshness_run_on_small_loads() -> anyhow::Result<()> {
    bench_ingest_and_freshness_on(&[], "embedded Tansu broker at")
}

/// The same on a three-node Apache Kafka cluster each benchmark starts itself
/// (`--kafka apache`); runs with `TEST_KAFKA=apache` (Java and Maven), as
/// `scripts/test.sh` does.
#[cfg(feature = "bench")]
#[test]
fn bench_ingest_and_freshness_run_on_apache_kafka() -> anyhow::Result<()> {
    if common::apache_kafka().is_none() {
        eprintln!("runs with TEST_KAFKA=apache");
        return Ok(());
    }
    bench_ingest_and_freshness_on(
        &["--kafka", "apache"],
        "Apache Kafka, 3 nodes, replication 3 at 127.0.0.1:",
    )
}

/// `bench ingest` and `bench freshness` with `kafka_flags`, each printing `broker` as what
/// it ran on.
#[cfg(feature = "bench")]
fn bench_ingest_and_freshness_on(kafka_flags: &[&str], broker: &str) -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let stdout = common::succeeded(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(&shipped)
            .args([
                "bench",
                "ingest",
                "--clients",
                "4",
                "--reports",
                "40",
                "--rate",
                "40",
                "--paced-seconds",
                "1",
                "--dir",
            ])
            .arg(root.path().join("ingest"))
            .args(kafka_flags),
    )?;
    assert!(stdout.contains(broker), "{stdout}");
    // Two runs per path, each with 0 failures in its last column.
    for path in ["raw rdkafka producer", "gRPC → gateway → Kafka"] {
        let runs: Vec<&str> = stdout
            .lines()
            .filter(|l| l.trim_start().starts_with(path))
            .collect();
        assert_eq!(runs.len(), 2, "{stdout}");
        assert!(
            runs.iter()
                .all(|l| l.split_whitespace().last() == Some("0")),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("gateway / raw producer throughput"),
        "{stdout}"
    );

    let stdout = common::succeeded(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(&shipped)
            .args([
                "bench",
                "freshness",
                "--rate",
                "10",
                "--seconds",
                "2",
                "--dir",
            ])
            .arg(root.path().join("freshness"))
            .args(kafka_flags),
    )?;
    assert!(stdout.contains(broker), "{stdout}");
    assert!(
        stdout.contains("0 failed submits; 0 answered reports never seen"),
        "{stdout}"
    );
    let visible = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("OK → visible in the summary"))
        .and_then(|l| l.split_whitespace().find_map(|w| w.parse::<u64>().ok()));
    assert_eq!(visible, Some(20), "{stdout}");
    Ok(())
}

#[test]
fn a_rollup_of_an_empty_landing_is_refused_unless_allow_empty() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let landing = root.path().join("landing");
    std::fs::create_dir_all(&landing)?;
    let out = root.path().join("out");
    let rollup = |extra: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .args([
                "rollup",
                "--campaign",
                "thanh-hoa-2023",
                "--milestone",
                "levels-approved",
            ])
            .arg("--landing-dir")
            .arg(&landing)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .env("RUST_LOG", "warn")
            .current_dir(env!("CARGO_MANIFEST_DIR").to_owned() + "/..");
        command.output()
    };
    let refused = rollup(&[])?;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("no landed submission of campaign `thanh-hoa-2023`")
            && stderr.contains(&landing.display().to_string())
            && stderr.contains("--allow-empty"),
        "{stderr}"
    );
    assert!(
        !out.join("thanh-hoa-2023/levels-approved/bao-cao.md")
            .exists()
    );
    let written = rollup(&["--allow-empty"])?;
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    assert!(
        out.join("thanh-hoa-2023/levels-approved/bao-cao.md")
            .exists()
    );
    Ok(())
}

#[test]
fn query_csv_starts_with_a_bom_and_round_trips_with_diacritics() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let query = |extra: &[&str]| {
        Command::new(BIN)
            .args(["query", "--format", "csv"])
            .args(extra)
            .arg("--landing-dir")
            .arg(root.path().join("landing"))
            .arg("--summaries-dir")
            .arg(root.path().join("summaries"))
            .arg("SELECT unit_code, unit_name FROM units WHERE unit_code = '38.SKHCN'")
            .env("RUST_LOG", "warn")
            .current_dir(env!("CARGO_MANIFEST_DIR").to_owned() + "/..")
            .output()
    };
    let out = query(&[])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBF"), "a BOM first");
    let file = root.path().join("units.csv");
    std::fs::write(&file, &out.stdout)?;
    // What Python's csv module (and Excel) read back.
    let read = Command::new("python3")
        .args([
            "-c",
            "import csv,sys; rows=list(csv.reader(open(sys.argv[1], encoding='utf-8-sig'))); print(rows[0][0], '|', rows[1][1])",
        ])
        .arg(&file)
        .output()?;
    assert_eq!(
        String::from_utf8(read.stdout)?.trim(),
        "unit_code | Sở Khoa học và Công nghệ Thanh Hóa"
    );
    let plain = query(&["--no-bom"])?;
    assert!(plain.stdout.starts_with(b"unit_code"));
    Ok(())
}

/// The lines of the README's "session by hand" block, as a reader copies them.
fn readme_walkthrough() -> anyhow::Result<Vec<String>> {
    let readme = std::fs::read_to_string(repo_root().join("README.md"))?;
    let (_, after) = readme
        .split_once("A session by hand")
        .ok_or_else(|| anyhow::anyhow!("README has no \"A session by hand\""))?;
    let (_, block) = after
        .split_once("```sh\n")
        .ok_or_else(|| anyhow::anyhow!("no ```sh block after \"A session by hand\""))?;
    let (block, _) = block
        .split_once("\n```")
        .ok_or_else(|| anyhow::anyhow!("unterminated ```sh block"))?;
    Ok(block.lines().map(str::to_string).collect())
}

/// What each walkthrough command must print (a line containing the command's text →
/// substrings of its output); every command must also exit 0.
const WALKTHROUGH_EXPECTS: &[(&str, &[&str])] = &[
    ("scripts/grpc_services.py", &["baocao.v1.ReportingService"]),
    ("report template", &[]),
    (
        "submit --file report.toml",
        &["\"submissionId\"", "\"gatewayId\": \"province-38\""],
    ),
    ("land --until-caught-up", &["\"submissions\": 1"]),
    (
        "rollup --campaign thanh-hoa-2026",
        &["1.957 expected, 1 reported"],
    ),
    ("query ", &["Tỉnh Thanh Hóa", "| 1957 ", "| 1 ", "| 1956 "]),
];

/// The README's walkthrough, run as written (one bash, line after line, in a scratch
/// directory holding the repository's `data/` and `scripts/`), the build line replaced by
/// the binary under test: each command exits 0 and prints what a reader is told to expect.
#[test]
fn the_readme_walkthrough_runs_as_written() -> anyhow::Result<()> {
    for port in ["127.0.0.1:9092", "127.0.0.1:50051"] {
        anyhow::ensure!(
            std::net::TcpStream::connect(port).is_err(),
            "the README walkthrough uses {port}, which something else listens on"
        );
    }
    let lines = readme_walkthrough()?;
    let build = lines.first().map(String::as_str).unwrap_or_default();
    anyhow::ensure!(
        build == "cargo build -p baocao && B=target/debug/baocao",
        "the walkthrough's first line changed: {build}"
    );
    let root = tempfile::tempdir()?;
    for dir in ["data", "scripts"] {
        std::os::unix::fs::symlink(repo_root().join(dir).canonicalize()?, root.path().join(dir))?;
    }
    let mut script = String::from("exec 2>&1\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n");
    script.push_str(&format!("B='{BIN}'\n"));
    for (step, line) in lines.iter().enumerate().skip(1) {
        script.push_str(&format!(
            "echo '@@ step {step}'\n{line}\necho \"@@ rc {step} $?\"\n"
        ));
    }
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(root.path())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()?;
    let transcript = String::from_utf8_lossy(&output.stdout).into_owned();

    let mut expected_seen = vec![false; WALKTHROUGH_EXPECTS.len()];
    for (step, line) in lines.iter().enumerate().skip(1) {
        let begin = format!("@@ step {step}\n");
        let end = format!("@@ rc {step} ");
        let start = transcript
            .find(&begin)
            .ok_or_else(|| anyhow::anyhow!("step {step} `{line}` never ran:\n{transcript}"))?;
        let section = &transcript[start..];
        let stop = section
            .find(&end)
            .ok_or_else(|| anyhow::anyhow!("step {step} `{line}` did not finish:\n{transcript}"))?;
        let rc = section[stop + end.len()..]
            .lines()
            .next()
            .unwrap_or_default();
        anyhow::ensure!(rc == "0", "step {step} `{line}` exited {rc}:\n{transcript}");
        for (i, (command, wanted)) in WALKTHROUGH_EXPECTS.iter().enumerate() {
            if !line.contains(command) {
                continue;
            }
            expected_seen[i] = true;
            for text in *wanted {
                anyhow::ensure!(
                    section[..stop].contains(text),
                    "step {step} `{line}` did not print `{text}`:\n{}",
                    &section[..stop]
                );
            }
        }
    }
    for (seen, (command, _)) in expected_seen.iter().zip(WALKTHROUGH_EXPECTS) {
        anyhow::ensure!(*seen, "the walkthrough no longer runs `{command}`");
    }
    Ok(())
}

/// A province's staff list issues portal accounts and gRPC tokens in one command each:
/// `baocao account import` writes the one-time-password workbook (read back here), `baocao
/// token import` the tokens (a file only its owner can read) whose hashes authenticate;
/// a list with a bad row creates nothing and names the row and column.
#[test]
fn a_staff_list_issues_accounts_and_tokens_in_bulk() -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir()?;
    let data = repo_root().join("data");
    // The staff of Thành phố Thanh Hóa's district offices: units of the 2023 register.
    let units: Vec<String> = std::fs::read_to_string(data.join("registers/2023/units/38.csv"))?
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .filter(|code| code.starts_with("380."))
        .collect();
    let mut staff = String::from("Mã đơn vị,Họ và tên,Vai trò,Phạm vi\n");
    for code in &units {
        staff.push_str(&format!("{code},Cán bộ {code},,\n"));
    }
    staff.push_str("38.STTTT,Nhà phân tích,analyst,380\n");
    std::fs::write(root.path().join("staff.csv"), &staff)?;
    let baocao = |args: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env("RUST_LOG", "warn")
            .env("BAOCAO_REGISTER", "2023")
            .current_dir(root.path());
        command.output()
    };
    let accounts = baocao(&[
        "account",
        "import",
        "--file",
        "staff.csv",
        "--passwords-out",
        "otp.xlsx",
    ])?;
    assert!(
        accounts.status.success(),
        "{}",
        String::from_utf8_lossy(&accounts.stderr)
    );
    assert!(root.path().join("otp.xlsx").metadata()?.len() > 0);
    let listed = baocao(&["account", "list"])?;
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(listed.lines().count(), units.len() + 1, "{listed}");
    assert!(
        listed.contains("380.pvhtt\tdistrict_office\t380.PVHTT\t380"),
        "{listed}"
    );

    let tokens = baocao(&[
        "token",
        "import",
        "--file",
        "staff.csv",
        "--out",
        "tokens.csv",
    ])?;
    assert!(
        tokens.status.success(),
        "{}",
        String::from_utf8_lossy(&tokens.stderr)
    );
    let out = root.path().join("tokens.csv");
    assert_eq!(out.metadata()?.permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&out)?;
    assert_eq!(
        text.lines().count(),
        units.len() + 2,
        "a header, a unit token per unit and one analyst token"
    );
    let store = baocao_access::TokenStore::open(root.path().join("state/tokens.json"))?;
    for line in text.lines().skip(1) {
        let token = line.rsplit(',').next().unwrap_or_default();
        assert!(store.authenticate(token).is_some(), "{line}");
    }
    assert!(text.contains(",analyst,380,"), "{text}");

    // One bad row: nothing is created, the row and column are named.
    std::fs::write(
        root.path().join("bad.csv"),
        "unit_code,full_name\n380.CA,A\n38.NOPE,B\n",
    )?;
    let refused = baocao(&["account", "import", "--file", "bad.csv"])?;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("row 3, column unit_code"), "{stderr}");
    let after = baocao(&["account", "list"])?;
    assert_eq!(
        String::from_utf8_lossy(&after.stdout).lines().count(),
        units.len() + 1
    );
    Ok(())
}

/// Failing commands say each cause once: no step or cause of an error's chain is printed
/// twice, whoever wrapped it (an I/O error, DataFusion, rustls, a missing database), and
/// a mistyped accounts database is refused without creating anything.
#[test]
fn failing_commands_say_each_cause_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = data_dir(dir.path())?;
    let empty = dir.path().join("EMPTY");
    let not_pem = dir.path().join("not-a-certificate.pem");
    std::fs::write(&not_pem, "not a certificate")?;
    let runs: Vec<Vec<std::ffi::OsString>> = vec![
        vec![
            "--data-dir".into(),
            empty.clone().into(),
            "registry".into(),
            "check".into(),
        ],
        vec![
            "--data-dir".into(),
            data.clone().into(),
            "query".into(),
            "SELECT nope FROM units".into(),
        ],
        vec![
            "--data-dir".into(),
            data.clone().into(),
            "query".into(),
            "SELEKT 1".into(),
        ],
        vec![
            "account".into(),
            "list".into(),
            "--accounts-db".into(),
            dir.path().join("MISTYPED/x.db").into(),
        ],
        vec![
            "--data-dir".into(),
            data.clone().into(),
            "rollup".into(),
            "--campaign".into(),
            "th-open".into(),
            "--landing-dir".into(),
            dir.path().join("no-landing").into(),
            "--out".into(),
            dir.path().join("out").into(),
        ],
        vec![
            "--data-dir".into(),
            data.into(),
            "serve-web".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
        ],
    ];
    for args in runs {
        // serve-web with TLS files that are not PEM (the others ignore these settings).
        let output = Command::new(BIN)
            .args(&args)
            .env("BAOCAO_PORTAL__TLS__CERT_FILE", &not_pem)
            .env("BAOCAO_PORTAL__TLS__KEY_FILE", &not_pem)
            .env("BAOCAO_PORTAL__ACCOUNTS_DB", dir.path().join("portal.db"))
            .current_dir(dir.path())
            .env("RUST_LOG", "off")
            .stdin(Stdio::null())
            .output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded: {stderr}");
        let error = stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .ok_or_else(|| anyhow::anyhow!("{args:?}: no error line in {stderr}"))?;
        let parts: Vec<&str> = error
            .trim_start_matches("error: ")
            .split(": ")
            .map(str::trim)
            .filter(|p| p.len() > 3)
            .collect();
        for (i, part) in parts.iter().enumerate() {
            assert!(
                !parts[i + 1..].iter().any(|later| later.contains(part)),
                "{args:?} says `{part}` twice: {stderr}"
            );
        }
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let unique: std::collections::HashSet<&&str> = lines.iter().collect();
        assert_eq!(
            unique.len(),
            lines.len(),
            "{args:?} repeats a line: {stderr}"
        );
    }
    assert!(
        !dir.path().join("MISTYPED").exists(),
        "`account list` created the mistyped database's folder"
    );
    Ok(())
}

/// What `pdfsig` and pyHanko's validator (trusting only `ca`) say about `pdf`, and
/// whether pyHanko judged it valid.
fn pdf_checkers(pdf: &std::path::Path, ca: &std::path::Path) -> anyhow::Result<(String, bool)> {
    let pdfsig = Command::new("pdfsig").arg(pdf).output()?;
    let pyhanko = Command::new("python3")
        .args(["-m", "pyhanko", "sign", "validate", "--pretty-print"])
        .args(["--no-revocation-check", "--trust-replace", "--trust"])
        .arg(ca)
        .arg(pdf)
        .output()?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&pdfsig.stdout),
        String::from_utf8_lossy(&pyhanko.stdout)
    );
    Ok((said, pyhanko.status.success()))
}

/// The department's certificate (`[document.signing]`, made by `tls dev-certs`) signs the
/// Chairman's report and the urging letters as the rollup writes them: `baocao verify
/// --pdf`, poppler's `pdfsig` and pyHanko's validator all find them valid and covering
/// the whole document, and one changed byte fails all three. A person's token signs in
/// two steps: `sign prepare` gives the digest, a signing service (pyHanko's signer) signs
/// it, `sign finish` embeds it — and a signature of another digest is refused.
#[test]
fn reports_and_letters_are_signed_and_verify_with_pdfsig_and_pyhanko() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let (landing, certs) = (root.path().join("landing"), root.path().join("certs"));
    std::fs::create_dir_all(&landing)?;
    let baocao = |args: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env("RUST_LOG", "warn")
            .current_dir(repo_root());
        command
    };
    let made = baocao(&["tls", "dev-certs", "--out"])
        .arg(&certs)
        .output()?;
    assert!(made.status.success());
    let rollup = |out: &str, signed: bool| {
        let mut command = baocao(&["rollup", "--campaign", "thanh-hoa-2023", "--allow-empty"]);
        command.args([
            "--milestone",
            "levels-approved",
            "--letters",
            "--landing-dir",
        ]);
        command
            .arg(&landing)
            .arg("--out")
            .arg(root.path().join(out));
        if signed {
            command
                .env(
                    "BAOCAO_DOCUMENT__SIGNING__CERT_FILE",
                    certs.join("document.pem"),
                )
                .env(
                    "BAOCAO_DOCUMENT__SIGNING__KEY_FILE",
                    certs.join("document.key"),
                );
        }
        command.output()
    };
    let rolled = rollup("signed", true)?;
    let said = String::from_utf8_lossy(&rolled.stdout);
    assert!(
        rolled.status.success(),
        "{}",
        String::from_utf8_lossy(&rolled.stderr)
    );
    assert!(
        said.contains("PDFs signed (PAdES-B-B) by CN=Sở Khoa học"),
        "{said}"
    );
    let dir = root.path().join("signed/thanh-hoa-2023/levels-approved");
    let ca = certs.join("ca.pem");
    for pdf in [
        dir.join("bao-cao.pdf"),
        dir.join("cong-van-don-doc/tinh.pdf"),
    ] {
        let verified = baocao(&["verify", "--ca"])
            .arg(&ca)
            .arg("--pdf")
            .arg(&pdf)
            .output()?;
        let said = String::from_utf8_lossy(&verified.stdout);
        assert!(said.contains("valid: signed by CN=Sở Khoa học"), "{said}");
        assert!(said.contains("covers the whole document"), "{said}");
        let (checked, pyhanko_valid) = pdf_checkers(&pdf, &ca)?;
        assert!(checked.contains("Signature is Valid"), "{checked}");
        assert!(checked.contains("Total document signed"), "{checked}");
        assert!(
            pyhanko_valid && checked.contains("judged VALID"),
            "{checked}"
        );
    }
    let mut changed = std::fs::read(dir.join("bao-cao.pdf"))?;
    changed[2000] ^= 0x01;
    let tampered = root.path().join("tampered.pdf");
    std::fs::write(&tampered, &changed)?;
    let refused = baocao(&["verify", "--pdf"]).arg(&tampered).output()?;
    assert_eq!(refused.status.code(), Some(2));
    let (checked, pyhanko_valid) = pdf_checkers(&tampered, &ca)?;
    assert!(
        !checked.contains("Signature is Valid") && !pyhanko_valid,
        "{checked}"
    );

    assert!(rollup("unsigned", false)?.status.success());
    let unsigned = root
        .path()
        .join("unsigned/thanh-hoa-2023/levels-approved/bao-cao.pdf");
    let prepared = root.path().join("prepared.pdf");
    let prepare = baocao(&["sign", "prepare", "--name", "Nguyễn Văn A", "--pdf"])
        .arg(&unsigned)
        .arg("--out")
        .arg(&prepared)
        .output()?;
    assert!(String::from_utf8_lossy(&prepare.stdout).contains("SHA-256 to sign (hex)"));
    let signature = root.path().join("signature.p7s");
    let service = Command::new("python3")
        .arg(repo_root().join("tests/signing/sign_digest.py"))
        .args([certs.join("document.key"), certs.join("document.pem")])
        .arg(root.path().join("prepared.pdf.sha256"))
        .arg(&signature)
        .output()?;
    assert!(
        service.status.success(),
        "{}",
        String::from_utf8_lossy(&service.stderr)
    );
    let finished = root.path().join("finished.pdf");
    let finish = |signature: &std::path::Path| {
        baocao(&["sign", "finish", "--prepared"])
            .arg(&prepared)
            .arg("--signature")
            .arg(signature)
            .arg("--out")
            .arg(&finished)
            .output()
    };
    assert!(finish(&signature)?.status.success());
    let (checked, pyhanko_valid) = pdf_checkers(&finished, &ca)?;
    assert!(
        checked.contains("Signature is Valid") && pyhanko_valid,
        "{checked}"
    );
    // A signature of another document (the report signed above) is refused.
    std::fs::write(
        root.path().join("other.sha256"),
        format!("{}\n", "ab".repeat(32)),
    )?;
    let other = root.path().join("other.p7s");
    Command::new("python3")
        .arg(repo_root().join("tests/signing/sign_digest.py"))
        .args([certs.join("document.key"), certs.join("document.pem")])
        .arg(root.path().join("other.sha256"))
        .arg(&other)
        .output()?;
    let wrong = finish(&other)?;
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("digest differs"));
    Ok(())
}
