//! `baocao remind` against a real SMTP server (aiosmtpd) and a webhook receiver started by
//! the test (`tests/remind/servers.py`), a real broker and gateway: exactly one e-mail and
//! one webhook call per late unit, none for units that reported, a run stopped midway
//! and run again sends the rest and no duplicate, and two runs at once share the work.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use baocao_proto::v1::SubmitReportRequest;
use common::{KillOnDrop, Stack, baocao_command, free_port, today, valid_report};

/// The mail and webhook servers, and where they write what they receive.
struct Receivers {
    _process: KillOnDrop,
    smtp_port: u16,
    http_port: u16,
    out: PathBuf,
}

impl Receivers {
    fn start(root: &Path) -> anyhow::Result<Self> {
        let (smtp_port, http_port) = (free_port(), free_port());
        let out = root.join("received");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/remind/servers.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--smtp-port", &smtp_port.to_string()])
            .args(["--http-port", &http_port.to_string()])
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::piped())
            .spawn()
            .context("python3 tests/remind/servers.py (aiosmtpd: scripts/install-deps.sh)")?;
        let stdout = child.stdout.take().context("its stdout")?;
        let process = KillOnDrop(child);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        anyhow::ensure!(line.trim() == "ready", "servers.py said {line:?}");
        Ok(Receivers {
            _process: process,
            smtp_port,
            http_port,
            out,
        })
    }

    fn lines(&self, file: &str) -> anyhow::Result<Vec<serde_json::Value>> {
        let Ok(text) = std::fs::read_to_string(self.out.join(file)) else {
            return Ok(Vec::new());
        };
        text.lines().map(|l| Ok(serde_json::from_str(l)?)).collect()
    }
}

/// The text of a DOCX's body.
fn docx_text(path: &Path) -> anyhow::Result<String> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path)?)?;
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("word/document.xml")?, &mut xml)?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in xml.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    Ok(text)
}

/// A campaign whose unit deadline was yesterday (the schedule's step T+1 is due today),
/// expecting Thanh Hóa's telecom operators and police: 32 units.
fn remind_campaign(id: &str) -> String {
    let today = today();
    let day = chrono::Duration::days(1);
    format!(
        "id = \"{id}\"\nname = \"Thử nghiệm đôn đốc\"\nprovince = \"38\"\nconsolidating_unit = \"38.STTTT\"\n\
         opens_on = \"{}\"\nrequired_unit_kinds = [\"telecom\", \"police\"]\n\
         [[milestones]]\nid = \"levels\"\nname = \"Phê duyệt cấp độ\"\nmeasure = \"levels_approved\"\n\
         unit_deadline = \"{}\"\nreport_deadline = \"{}\"\n",
        today - day * 60,
        today - day,
        today + day * 10
    )
}

/// A stack with the campaign `th-remind`, and reports of 38.CA and 38.VNPT in it.
async fn stack_with_two_reports() -> anyhow::Result<Stack> {
    let stack = Stack::start("province", "38").await?;
    let data = stack.root.path().join("data");
    std::fs::write(
        data.join("campaigns/th-remind.toml"),
        remind_campaign("th-remind"),
    )?;
    let mut client = stack.client().await;
    for unit in ["38.CA", "38.VNPT"] {
        let mut report = valid_report(unit);
        report.campaign_id = "th-remind".to_string();
        let token = stack.token(unit);
        // The gateway picks the new campaign file up within seconds.
        let started = Instant::now();
        loop {
            let request = common::authed(
                SubmitReportRequest {
                    report: Some(report.clone()),
                    validate_only: false,
                },
                &token,
            );
            match client.submit_report(request).await {
                Ok(_) => break,
                Err(_) if started.elapsed() < Duration::from_secs(15) => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Err(status) => anyhow::bail!("{unit}: {status}"),
            }
        }
    }
    Ok(stack)
}

/// `baocao remind` for `th-remind` with this stack's broker and the receivers.
fn remind(stack: &Stack, receivers: &Receivers, topic: &str) -> Command {
    let data = stack.root.path().join("data");
    let mut command = baocao_command(
        stack.root.path(),
        &data,
        &stack.kafka.brokers,
        &stack.kafka.reports_topic,
    );
    command
        .args(["remind", "--campaign", "th-remind", "--out"])
        .arg(stack.root.path().join("summaries"))
        .env("BAOCAO_REMIND__TOPIC", topic)
        .env("BAOCAO_REMIND__SMTP_HOST", "127.0.0.1")
        .env("BAOCAO_REMIND__SMTP_PORT", receivers.smtp_port.to_string())
        .env("BAOCAO_REMIND__SMTP_SECURITY", "none")
        .env(
            "BAOCAO_REMIND__FROM",
            "Sở Thông tin và Truyền thông Thanh Hóa <baocao@stttt.thanhhoa.example>",
        )
        .env(
            "BAOCAO_REMIND__WEBHOOK_URL",
            format!("http://127.0.0.1:{}/sms", receivers.http_port),
        )
        .env("BAOCAO_REMIND__PACE_MS", "100");
    command
}

/// The e-mail addresses of the late units: every telecom operator and police unit of
/// Thanh Hóa but the two that reported.
fn late_addresses(stack: &Stack) -> HashMap<String, String> {
    stack
        .registry
        .units()
        .filter(|u| {
            (u.kind == "telecom" || u.kind == "police")
                && stack.registry.is_within(u, "38")
                && u.code != "38.CA"
                && u.code != "38.VNPT"
        })
        .map(|u| (u.contact.email.clone(), u.code.clone()))
        .collect()
}

/// Each late unit got exactly one e-mail and one webhook call, nobody else any.
fn exactly_once(receivers: &Receivers, late: &HashMap<String, String>) -> anyhow::Result<()> {
    let mails = receivers.lines("mail.jsonl")?;
    let mut recipients: Vec<String> = mails
        .iter()
        .flat_map(|m| m["to"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    recipients.sort();
    let distinct: HashSet<&String> = recipients.iter().collect();
    assert_eq!(
        recipients.len(),
        distinct.len(),
        "a duplicate e-mail: {recipients:?}"
    );
    let expected: HashSet<&String> = late.keys().collect();
    assert_eq!(distinct, expected, "e-mails to exactly the late units");
    let ids: HashSet<&str> = mails
        .iter()
        .filter_map(|m| m["message_id"].as_str())
        .collect();
    assert_eq!(ids.len(), mails.len(), "one Message-ID per e-mail");

    let calls = receivers.lines("webhook.jsonl")?;
    let mut units: Vec<String> = calls
        .iter()
        .filter_map(|c| c["body"]["unit_code"].as_str().map(str::to_string))
        .collect();
    units.sort();
    let expected_units: Vec<String> = {
        let mut codes: Vec<String> = late.values().cloned().collect();
        codes.sort();
        codes
    };
    assert_eq!(units, expected_units, "one webhook call per late unit");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn remind_sends_once_to_each_late_unit_and_a_stopped_run_resumes() -> anyhow::Result<()> {
    let stack = stack_with_two_reports().await?;
    let receivers = Receivers::start(stack.root.path())?;
    let late = late_addresses(&stack);
    assert_eq!(late.len(), 30);
    let topic = format!("reminders-{}", uuid::Uuid::new_v4().simple());

    // A dry run says who would be reminded and sends nothing.
    let dry = common::succeeded(remind(&stack, &receivers, &topic).arg("--dry-run"))?;
    assert!(
        dry.contains("step T+1") && dry.contains("30 units have not reported"),
        "{dry}"
    );
    assert!(dry.contains("60 reminders would be sent"), "{dry}");
    assert!(
        dry.contains("e-mail: 30 would be sent") && dry.contains("webhook: 30 would be posted"),
        "{dry}"
    );
    assert!(
        !dry.contains("38.CA ") && !dry.contains("38.VNPT "),
        "{dry}"
    );
    // Without a channel, a dry run names the settings that are missing and what they
    // would send, instead of "0 would be sent".
    let unconfigured = common::succeeded(
        remind(&stack, &receivers, &topic)
            .arg("--dry-run")
            .env("BAOCAO_REMIND__SMTP_HOST", "")
            .env("BAOCAO_REMIND__WEBHOOK_URL", ""),
    )?;
    assert!(
        unconfigured.contains("e-mail: not configured (set remind.smtp_host")
            && unconfigured.contains("30 of the 30 units have an address")
            && unconfigured.contains("webhook: not configured (set remind.webhook_url"),
        "{unconfigured}"
    );
    assert!(
        unconfigured.contains("reminder steps T-7"),
        "{unconfigured}"
    );
    assert!(receivers.lines("mail.jsonl")?.is_empty());

    // A run stopped (SIGTERM) after a few e-mails ...
    let child = remind(&stack, &receivers, &topic)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let started = Instant::now();
    while receivers.lines("mail.jsonl")?.len() < 5 {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "no e-mail within a minute"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    let stopped = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&stopped.stdout);
    assert!(
        stopped.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    assert!(stdout.contains("stopped when asked"), "{stdout}");
    let after_stop = receivers.lines("mail.jsonl")?.len();
    assert!(after_stop < 30, "it stopped midway ({after_stop} e-mails)");

    // ... run again sends the rest, and no duplicate.
    let rest = common::succeeded(&mut remind(&stack, &receivers, &topic))?;
    assert!(rest.contains("already sent before"), "{rest}");
    exactly_once(&receivers, &late)?;

    // A later run on the same day sends nothing.
    let again = common::succeeded(&mut remind(&stack, &receivers, &topic))?;
    assert!(
        again.contains("sent: 0 e-mails, 0 webhook calls; already sent before: 60"),
        "{again}"
    );
    exactly_once(&receivers, &late)?;

    // The message says what is due, by when, and who urges.
    let mail = &receivers.lines("mail.jsonl")?[0];
    let subject = mail["subject"].as_str().unwrap_or_default();
    assert!(
        subject.starts_with("[Đôn đốc]") && subject.contains("Phê duyệt cấp độ"),
        "{subject}"
    );
    let body = mail["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("quá hạn 1 ngày") && body.contains("Mã đơn vị"),
        "{body}"
    );

    // The Chairman's report lists the reminders beside each unit to urge.
    let root = stack.root.path();
    let data = root.join("data");
    let baocao = || {
        baocao_command(
            root,
            &data,
            &stack.kafka.brokers,
            &stack.kafka.reports_topic,
        )
    };
    common::succeeded(
        baocao()
            .args(["land", "--until-caught-up"])
            .env("BAOCAO_LANDING__DIR", root.join("landing")),
    )?;
    common::succeeded(
        baocao()
            .args([
                "rollup",
                "--campaign",
                "th-remind",
                "--letters",
                "--landing-dir",
            ])
            .arg(root.join("landing"))
            .arg("--out")
            .arg(root.join("summaries")),
    )?;
    let report = std::fs::read_to_string(root.join("summaries/th-remind/levels/bao-cao.md"))?;
    let reminded = report
        .lines()
        .filter(|l| l.contains("đã đôn đốc 1 lần, gần nhất"))
        .count();
    assert_eq!(reminded, 30, "{report}");

    // The urging letters: one to the provincial units, one per district's People's
    // Committee, each listing its units that have not reported.
    let letters = root.join("summaries/th-remind/levels/cong-van-don-doc");
    let count = std::fs::read_dir(&letters)?.count();
    assert_eq!(
        count,
        2 * 28,
        "a DOCX and a PDF for the province and 27 districts"
    );
    let city = docx_text(&letters.join("380.docx"))?;
    for expected in [
        "V/v đôn đốc báo cáo phê duyệt cấp độ",
        "Kính gửi: Ủy ban nhân dân thành phố Thanh Hóa",
        "380.CA",
        "DANH SÁCH",
        "Nơi nhận",
    ] {
        assert!(city.contains(expected), "{expected} not in {city}");
    }
    let provincial = docx_text(&letters.join("tinh.docx"))?;
    assert!(
        provincial.contains("Các cơ quan, đơn vị cấp tỉnh") && provincial.contains("38.VIETTEL")
    );
    assert!(!provincial.contains("38.VNPT"), "38.VNPT reported");
    let pdf = Command::new("pdftotext")
        .arg(letters.join("380.pdf"))
        .arg("-")
        .output()?;
    assert!(String::from_utf8_lossy(&pdf.stdout).contains("V/v đôn đốc báo cáo"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_runs_at_once_send_each_reminder_once() -> anyhow::Result<()> {
    let stack = stack_with_two_reports().await?;
    let receivers = Receivers::start(stack.root.path())?;
    let late = late_addresses(&stack);
    let topic = format!("reminders-{}", uuid::Uuid::new_v4().simple());
    let spawn = || {
        remind(&stack, &receivers, &topic)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
    };
    let (first, second) = (spawn()?, spawn()?);
    for run in [first, second] {
        let output = run.wait_with_output()?;
        assert!(
            output.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    exactly_once(&receivers, &late)
}

/// The department re-issues a clerk's one-time password by e-mail through the reminders'
/// SMTP settings (`account reset --email`): the mail reaches a real SMTP server, names
/// the account and the password, and that password signs in (and must be changed); an
/// account without an address is refused before its password changes.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_one_time_password_goes_by_mail() -> anyhow::Result<()> {
    use baocao_accounts::{AccountStore, LoginOutcome, LoginPolicy};
    let root = tempfile::tempdir()?;
    let receivers = Receivers::start(root.path())?;
    let data = common::data_dir_on(root.path(), "2023")?;
    let staff = root.path().join("staff.csv");
    std::fs::write(
        &staff,
        "unit_code,full_name,email\n14755,Lê Thị Hoa,hoa@hamrong.example\n14761,Phạm Lan,\n",
    )?;
    let db = root.path().join("accounts.db");
    let baocao = |args: &[&str]| {
        let mut command = baocao_command(root.path(), &data, "127.0.0.1:1", "unused");
        command
            .args(args)
            .arg("--accounts-db")
            .arg(&db)
            .env("BAOCAO_REMIND__SMTP_HOST", "127.0.0.1")
            .env("BAOCAO_REMIND__SMTP_PORT", receivers.smtp_port.to_string())
            .env("BAOCAO_REMIND__SMTP_SECURITY", "none")
            .env(
                "BAOCAO_REMIND__FROM",
                "Sở KH&CN Thanh Hóa <baocao@skhcn.thanhhoa.example>",
            );
        command
    };
    common::succeeded(&mut baocao(&[
        "account",
        "import",
        "--file",
        &staff.display().to_string(),
    ]))?;
    common::succeeded(&mut baocao(&[
        "account", "reset", "14755", "--by", "38.stttt", "--email",
    ]))?;
    let mail = receivers.lines("mail.jsonl")?;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0]["to"], serde_json::json!(["hoa@hamrong.example"]));
    let body = mail[0]["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("Kính gửi Lê Thị Hoa") && body.contains("Tên đăng nhập: 14755"),
        "{body}"
    );
    let password = body
        .lines()
        .find_map(|l| l.strip_prefix("Mật khẩu dùng một lần: "))
        .unwrap_or_default()
        .trim()
        .to_string();
    let store = AccountStore::open_existing(&db, LoginPolicy::default()).await?;
    let LoginOutcome::SignedIn { session, .. } =
        store.login("14755", &password, chrono::Utc::now()).await?
    else {
        anyhow::bail!("the mailed password signs in");
    };
    assert!(session.account.must_change_password);
    // No address: refused, and the account's password is what it was.
    let refused = baocao(&["account", "reset", "14761", "--by", "38.stttt", "--email"]).output()?;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("has no e-mail"));
    let events: Vec<String> = store
        .audit_events("14761")
        .await?
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert!(
        !events.contains(&"password_reset".to_string()),
        "{events:?}"
    );
    Ok(())
}
