//! The web portal in a real browser (Debian's chromium over chromedriver): a commune
//! clerk's first login, password change, a report with two systems refused at the wrong
//! field, fixed and received (and on the topic); a district office confined to its
//! district; a form posted without its CSRF token refused; wrong passwords slowed down
//! (never a lock) until the department unlocks; the form usable at 360 px.

mod common;

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use baocao_accounts::{AccountStore, IssuedAccount, LoginPolicy, Person, Role};
use baocao_kafka::KafkaConfig;
use baocao_portal::{PortalConfig, PortalSources, RunningPortal, start_portal};
use baocao_registry::Registry;
use baocao_submission::SystemClock;
use common::{BrokerProcess, KillOnDrop, free_port, wait_for_port};
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where the tests leave their screenshots (for docs/portal.md and for looking at).
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("portal-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Chromedriver with a headless chromium, 360 px wide like a small phone.
async fn browser() -> anyhow::Result<(KillOnDrop, Client)> {
    let port = free_port();
    // The browser's own language decides how date inputs show dates: Vietnamese, as
    // the people who use the portal have it (dd/mm/yyyy).
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .env("LANGUAGE", "vi")
        .env("LANG", "vi_VN.UTF-8")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| {
            anyhow::anyhow!("chromedriver (Debian: apt install chromium-driver): {err}")
        })?;
    let driver = KillOnDrop(driver);
    wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_secs(20))?;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--lang=vi-VN"],
            "mobileEmulation": {"deviceMetrics": {"width": 360, "height": 800, "pixelRatio": 1.0}},
        }),
    );
    baocao_access::install_crypto_provider();
    let client = ClientBuilder::rustls()?
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await?;
    Ok((driver, client))
}

struct Portal {
    root: tempfile::TempDir,
    data: PathBuf,
    _broker: BrokerProcess,
    kafka: KafkaConfig,
    portal: Option<RunningPortal>,
    url: String,
    accounts: AccountStore,
}

impl Portal {
    /// `baocao ARGS` run in the portal's directory, on its data, broker and topic; its
    /// output when it succeeded.
    fn baocao(&self, args: &[&str]) -> anyhow::Result<String> {
        let mut command = common::baocao_command(
            self.root.path(),
            &self.data,
            &self.kafka.brokers,
            &self.kafka.reports_topic,
        );
        command.args(args);
        common::succeeded(&mut command)
    }
}

async fn portal() -> anyhow::Result<Portal> {
    portal_on("2023").await
}

/// A portal on the shipped register `register` (`2023`: three tiers; `2025`: two).
async fn portal_on(register: &str) -> anyhow::Result<Portal> {
    let root = tempfile::tempdir()?;
    let broker = BrokerProcess::start(root.path())?;
    let data = common::data_dir_on(root.path(), register)?;
    let registry = Arc::new(Registry::load(&data)?);
    let kafka = common::test_kafka(&broker);
    // Receipts signed with the certificate `baocao tls dev-certs` makes.
    let certs = root.path().join("certs");
    common::succeeded(
        Command::new(common::BIN)
            .args(["tls", "dev-certs", "--out"])
            .arg(&certs),
    )?;
    let config = PortalConfig {
        listen: "127.0.0.1:0".into(),
        accounts_db: root.path().join("accounts.db"),
        receipts: baocao_signing::SigningFiles {
            cert_file: certs.join("receipt.pem"),
            key_file: certs.join("receipt.key"),
            ..Default::default()
        },
        sign_in: baocao_accounts::throttle::ThrottlePolicy {
            pair_free_failures: 3,
            ..Default::default()
        },
        ..PortalConfig::default()
    };
    // Where `baocao land` and `baocao rollup` write when run in `root` (their defaults).
    let sources = PortalSources {
        landing: baocao_store::Store::local(root.path().join("state/landing")),
        summaries: baocao_store::Store::local(root.path().join("state/summaries")),
    };
    let portal = start_portal(&config, &kafka, registry, sources, Arc::new(SystemClock)).await?;
    let url = portal.url.clone();
    let accounts = AccountStore::open(&config.accounts_db, LoginPolicy::default()).await?;
    Ok(Portal {
        data,
        root,
        _broker: broker,
        kafka,
        portal: Some(portal),
        url,
        accounts,
    })
}

fn person(username: &str, unit: &str, role: Role, scope: &str) -> Person {
    Person {
        username: username.into(),
        full_name: format!("Cán bộ {unit}"),
        unit_code: unit.into(),
        role,
        scope: scope.into(),
        email: String::new(),
        phone: String::new(),
    }
}

async fn fill(client: &Client, name: &str, value: &str) -> anyhow::Result<()> {
    let input = client
        .find(Locator::Css(&format!("[name=\"{name}\"]")))
        .await?;
    input.clear().await?;
    input.send_keys(value).await?;
    Ok(())
}

async fn choose(client: &Client, name: &str, value: &str) -> anyhow::Result<()> {
    let select = client
        .find(Locator::Css(&format!("select[name=\"{name}\"]")))
        .await?;
    select.select_by_value(value).await?;
    Ok(())
}

async fn press(client: &Client, css: &str) -> anyhow::Result<()> {
    client.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// Waits (up to 10 s) until the browser shows a page whose path ends with `path`.
async fn wait_for_path(client: &Client, path: &str) -> anyhow::Result<()> {
    for _ in 0..100 {
        if client.current_url().await?.path().ends_with(path) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!(
        "the browser is at {}, not at …{path}",
        client.current_url().await?
    )
}

/// Waits (up to 10 s) until the page contains `text`.
async fn wait_for_text(client: &Client, text: &str) -> anyhow::Result<()> {
    for _ in 0..100 {
        if client.source().await?.contains(text) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!(
        "the page at {} never showed {text:?}",
        client.current_url().await?
    )
}

/// Runs axe-core (tests/browser/, installed by scripts/install-deps.sh) in the page and
/// returns its serious and critical violations, one line each.
async fn accessibility_violations(client: &Client) -> anyhow::Result<Vec<String>> {
    let axe = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/browser/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&axe)
        .map_err(|err| anyhow::anyhow!("{}: {err} (run scripts/install-deps.sh)", axe.display()))?;
    client
        .execute(&format!("{source}; return true;"), vec![])
        .await?;
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations \
               .filter(v => v.impact === 'serious' || v.impact === 'critical') \
               .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))));",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(found)?)
}

/// Saves a screenshot of the page shown (`target/tmp/portal-screenshots/NAME.png`) and
/// checks it has no serious accessibility violation and does not scroll sideways at the
/// browser's 360 px (long tables scroll inside their own box).
async fn snapshot(client: &Client, name: &str) -> anyhow::Result<()> {
    let png = client.screenshot().await?;
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png)?;
    let width = client
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await?;
    assert!(
        !scrolls_sideways(client).await?,
        "{name} scrolls sideways at 360 px: {width} px wide"
    );
    assert_accessible(client, name).await
}

/// Fails on any serious or critical accessibility violation of the page shown.
async fn assert_accessible(client: &Client, page: &str) -> anyhow::Result<()> {
    let violations = accessibility_violations(client).await?;
    assert!(violations.is_empty(), "{page}: {violations:#?}");
    Ok(())
}

async fn text_of(client: &Client, css: &str) -> anyhow::Result<String> {
    Ok(client.find(Locator::Css(css)).await?.text().await?)
}

/// Signs in with a one-time password and replaces it; ends where the account starts
/// (`landing`: the report page, or the department's dashboard).
async fn first_login(
    client: &Client,
    url: &str,
    issued: &IssuedAccount,
    chosen: &str,
) -> anyhow::Result<()> {
    first_login_to(client, url, issued, chosen, "/report").await
}

async fn first_login_to(
    client: &Client,
    url: &str,
    issued: &IssuedAccount,
    chosen: &str,
    landing: &str,
) -> anyhow::Result<()> {
    client.goto(&format!("{url}/login")).await?;
    snapshot(client, "login-360").await?;
    fill(client, "username", &issued.account.username).await?;
    fill(client, "password", &issued.one_time_password).await?;
    press(client, "button[type=submit]").await?;
    wait_for_path(client, "/password").await?;
    snapshot(client, "password-360").await?;
    fill(client, "current", &issued.one_time_password).await?;
    fill(client, "new", chosen).await?;
    fill(client, "confirm", chosen).await?;
    press(client, "form[action=\"/password\"] button[type=submit]").await?;
    // A clerk or an office lands on its report form; the department on its dashboard.
    wait_for_path(client, landing).await
}

/// A raw HTTP/1.1 POST (the browser always sends the token, so the refusal is tested
/// without it): the status code and the page.
async fn post(url: &str, path: &str, cookie: &str, body: &str) -> anyhow::Result<(u16, String)> {
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    let status = answer.split_whitespace().nth(1).unwrap_or("0").parse()?;
    Ok((status, answer))
}

async fn session_cookie(client: &Client) -> anyhow::Result<String> {
    let cookie = client.get_named_cookie("baocao_session").await?;
    Ok(format!("baocao_session={}", cookie.value()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_use_the_portal_in_a_real_browser() -> anyhow::Result<()> {
    let mut p = portal().await?;
    let issued = p
        .accounts
        .issue(
            vec![
                person("14755", "14755", Role::Clerk, "14755"),
                person("380.pvhtt", "380.PVHTT", Role::DistrictOffice, "380"),
                person("38.stttt", "38.STTTT", Role::Province, "38"),
                person("38.stttt.2", "38.STTTT", Role::Province, "38"),
            ],
            chrono::Utc::now(),
        )
        .await?;
    let (_driver, client) = browser().await?;
    let outcome = scenario(&client, &p, &issued).await;
    let _ = client.close().await;
    if let Some(portal) = p.portal.take() {
        portal.stop().await?;
    }
    outcome
}

async fn scenario(client: &Client, p: &Portal, issued: &[IssuedAccount]) -> anyhow::Result<()> {
    // The checker itself finds what it must: an input nobody labelled.
    client
        .goto("data:text/html,<html lang=vi><title>t</title><main><input></main></html>")
        .await?;
    let found = accessibility_violations(client).await?;
    assert!(found.iter().any(|v| v.starts_with("label")), "{found:?}");
    clerk_reports(client, p, &issued[0]).await?;
    csrf_is_required(client, p).await?;
    district_office_is_confined(client, p, &issued[1]).await?;
    the_dic_sees_the_report_counted(client, p, &issued[2]).await?;
    wrong_passwords_slow_down_until_unlocked(client, p, &issued[3], &issued[2], &issued[0]).await?;
    Ok(())
}

/// What the clerk types into one camera-system row.
struct SystemRow {
    code: &'static str,
    name: &'static str,
    cameras: &'static str,
    level: &'static str,
    dossier: &'static str,
}

/// Fills row `i` of the report form (its plan not started).
async fn fill_system(client: &Client, i: usize, row: &SystemRow) -> anyhow::Result<()> {
    let field = |name: &str| format!("systems.{i}.{name}");
    fill(client, &field("system_code"), row.code).await?;
    fill(client, &field("name"), row.name).await?;
    fill(client, &field("camera_count"), row.cameras).await?;
    choose(client, &field("proposed_level"), row.level).await?;
    choose(client, &field("dossier_status"), row.dossier).await?;
    choose(client, &field("plan_status"), "PLAN_STATUS_NOT_STARTED").await
}

async fn clerk_reports(client: &Client, p: &Portal, clerk: &IssuedAccount) -> anyhow::Result<()> {
    first_login(client, &p.url, clerk, "Hàm Rồng 2026!").await?;
    wait_for_path(client, "/report").await?;
    assert!(
        client.source().await?.contains("Phường Hàm Rồng")
            || client.source().await?.contains("Hàm Rồng")
    );
    fill(client, "reporter.full_name", "Lê Thị Hoa").await?;
    fill(client, "reporter.phone", "0912 345 678").await?;
    let head_office = SystemRow {
        code: "CAM-TRU-SO",
        name: "Camera trụ sở",
        cameras: "10",
        level: "2",
        dossier: "DOSSIER_STATUS_PREPARING",
    };
    fill_system(client, 0, &head_office).await?;
    // One field wrong: more certified cameras than the system has.
    fill(client, "systems.0.cameras_certified", "50").await?;
    press(client, "button[value=add_system]").await?;
    wait_for_text(client, "systems.1.system_code").await?;
    let gate = SystemRow {
        code: "CAM-CONG",
        name: "Camera cổng",
        cameras: "4",
        level: "1",
        dossier: "DOSSIER_STATUS_NOT_STARTED",
    };
    fill_system(client, 1, &gate).await?;
    snapshot(client, "report-form-360").await?;
    let overflow = client
        .execute(
            "const w = document.documentElement.clientWidth; \
             return [...document.querySelectorAll('body *')] \
               .filter(e => e.getBoundingClientRect().right > w + 1) \
               .map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + Math.round(e.getBoundingClientRect().right)) \
               .slice(0, 5);",
            vec![],
        )
        .await?;
    assert_eq!(
        overflow,
        serde_json::json!([]),
        "elements wider than a 360 px screen"
    );
    let viewport = client
        .execute("return document.documentElement.clientWidth;", vec![])
        .await?;
    assert_eq!(viewport.as_i64(), Some(360), "the page is seen 360 px wide");
    press(client, "button[value=submit]").await?;
    wait_for_text(client, "Báo cáo chưa được gửi").await?;
    // Refused: the message is at that field, the typed values are kept.
    let message = text_of(client, "[id=\"e-systems.0.cameras_certified\"]").await?;
    assert!(
        !message.is_empty(),
        "a message at systems[0].cameras_certified"
    );
    assert!(text_of(client, "#error-summary").await?.contains(&message));
    let kept = client
        .find(Locator::Css("[name=\"systems.1.name\"]"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(kept.as_deref(), Some("Camera cổng"));
    snapshot(client, "report-refused-360").await?;
    fill(client, "systems.0.cameras_certified", "8").await?;
    let form = client
        .execute(
            "const d = new FormData(document.querySelector('form.report')); d.append('action', 'submit'); \
             return new URLSearchParams(d).toString();",
            vec![],
        )
        .await?;
    press(client, "button[value=submit]").await?;
    // The receipt itself (the form's help text also says "Đã tiếp nhận").
    wait_for_text(client, "id=\"submission-id\"").await?;
    let id = text_of(client, "#submission-id").await?;
    assert!(client.source().await?.contains("Đã tiếp nhận"));
    assert_eq!(uuid::Uuid::parse_str(&id)?.get_version_num(), 7);
    snapshot(client, "receipt-360").await?;
    signed_receipt_downloads(client, p, &id).await?;
    let records = common::read_envelopes(&p.kafka.brokers, &p.kafka.reports_topic, 3, 1)?;
    assert_eq!(records.len(), 1, "one record on the topic");
    let report = records[0].1.report.clone().unwrap_or_default();
    assert_eq!(
        (report.unit_code.as_str(), report.submission_id.as_str()),
        ("14755", id.as_str())
    );
    assert_eq!(report.systems.len(), 2);
    assert_eq!(report.systems[0].cameras_certified, 8);
    // The same form posted again (a double click, a re-sent page) gets the same receipt.
    let body = form.as_str().unwrap_or_default();
    let (status, page) = post(&p.url, "/report", &session_cookie(client).await?, body).await?;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&id) && page.contains("đã được tiếp nhận trước đó"));
    let records = common::read_envelopes(&p.kafka.brokers, &p.kafka.reports_topic, 3, 1)?;
    assert_eq!(
        records.len(),
        1,
        "a re-posted form is not a second submission"
    );
    // The form opens again from the accepted version.
    client.goto(&format!("{}/report", p.url)).await?;
    let name = client
        .find(Locator::Css("[name=\"systems.1.name\"]"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(name.as_deref(), Some("Camera cổng"));
    Ok(())
}

async fn csrf_is_required(client: &Client, p: &Portal) -> anyhow::Result<()> {
    let cookie = session_cookie(client).await?;
    let body = "unit_code=14755&campaign_id=th-open&action=submit";
    assert_eq!(post(&p.url, "/report", &cookie, body).await?.0, 403);
    assert_eq!(
        post(&p.url, "/report", &cookie, &format!("{body}&csrf=0000"))
            .await?
            .0,
        403
    );
    let records = common::read_envelopes(&p.kafka.brokers, &p.kafka.reports_topic, 3, 1)?;
    assert_eq!(
        records.len(),
        1,
        "nothing written for a form without its token"
    );
    press(client, "form[action=\"/logout\"] button").await?;
    wait_for_path(client, "/login").await?;
    Ok(())
}

async fn district_office_is_confined(
    client: &Client,
    p: &Portal,
    office: &IssuedAccount,
) -> anyhow::Result<()> {
    first_login(client, &p.url, office, "Phòng VH-TT 380").await?;
    wait_for_path(client, "/report").await?;
    snapshot(client, "choose-unit-360").await?;
    // The chooser lists its own unit and its communes' units, none of district 381.
    let page = client.source().await?;
    assert!(
        page.contains("unit=14755"),
        "a commune of district 380 is offered"
    );
    assert!(
        !page.contains("14809"),
        "no unit of district 381 anywhere on the page"
    );
    client.goto(&format!("{}/report?unit=14809", p.url)).await?;
    assert!(client.source().await?.contains("Không có quyền"));
    let status = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch(location.href).then(r => done(r.status));",
            vec![],
        )
        .await?;
    assert_eq!(status.as_i64(), Some(403));
    office_imports_a_spreadsheet(client, p).await?;
    office_reviews(client, p).await?;
    press(client, "form[action=\"/logout\"] button").await?;
    wait_for_path(client, "/login").await?;
    Ok(())
}

/// The units of the campaign's Excel form, downloaded in the signed-in browser.
async fn downloaded_form_units(client: &Client) -> anyhow::Result<Vec<baocao_sheets::UnitEntry>> {
    let form: Vec<u8> = serde_json::from_value(
        client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 fetch('/sheets/form.xlsx?campaign=th-open').then(r => r.arrayBuffer()) \
                   .then(b => done(Array.from(new Uint8Array(b))));",
                vec![],
            )
            .await?,
    )?;
    let sheets = baocao_sheets::read_file("form.xlsx", &form)?;
    Ok(baocao_sheets::parse("form.xlsx", &sheets, None)?.units)
}

/// Writes `reports` into an Excel form (made `for_whom`) as `file_name` and uploads it
/// on the spreadsheet page shown.
async fn upload_filled_form(
    client: &Client,
    p: &Portal,
    (registry, reports): (&Registry, &[baocao_proto::v1::StatusReport]),
    (for_whom, file_name): (&str, &str),
) -> anyhow::Result<()> {
    let filled = baocao_sheets::write_form(&baocao_sheets::FormSpec {
        campaign_id: "th-open",
        campaign_name: "Thử nghiệm",
        for_whom,
        units: reports
            .iter()
            .filter_map(|r| {
                let unit = registry.unit(&r.unit_code)?;
                Some(baocao_sheets::FormUnit {
                    unit,
                    blocks: registry.indicator_blocks(unit),
                    last: Some(r),
                })
            })
            .collect(),
        today: common::today(),
    })?;
    let file = p.root.path().join(file_name);
    std::fs::write(&file, filled)?;
    client
        .find(Locator::Css("input[type=file]"))
        .await?
        .send_keys(&file.display().to_string())
        .await?;
    press(client, "form.upload button[type=submit]").await
}

/// The office downloads its communes' form, uploads a filled one with a level of 6 in one
/// unit's system: that cell is named, the other unit is received (and on the topic).
async fn office_imports_a_spreadsheet(client: &Client, p: &Portal) -> anyhow::Result<()> {
    client.goto(&format!("{}/sheets", p.url)).await?;
    snapshot(client, "sheets-360").await?;
    let units = downloaded_form_units(client).await?;
    let codes: Vec<&str> = units.iter().map(|u| u.unit_code.as_str()).collect();
    assert!(codes.contains(&"14755"), "{codes:?}");
    assert!(!codes.iter().any(|c| c.starts_with("14809")), "{codes:?}");
    // Filled: a valid report for Hàm Rồng, a level of 6 for the next unit.
    let registry = Registry::load(&p.data)?;
    let today = common::today();
    let good = baocao_fixtures::complete_report("th-open", "14755", "", today);
    let other = codes
        .iter()
        .find(|c| **c != "14755")
        .copied()
        .unwrap_or_default();
    let mut bad = baocao_fixtures::complete_report("th-open", other, "", today);
    bad.systems[0].proposed_level = 6;
    let reports = [good, bad];
    upload_filled_form(
        client,
        p,
        (&registry, &reports),
        ("Phòng VH-TT", "da-dien.xlsx"),
    )
    .await?;
    wait_for_text(client, "Đã ghi nhận 1 đơn vị").await?;
    snapshot(client, "sheets-result-360").await?;
    let result = text_of(client, "#import-result").await?;
    assert!(
        result.contains("Hệ thống camera!F4")
            && result.contains("Cấp độ phải từ 1 đến 5 (đang là 6)"),
        "{result}"
    );
    assert!(result.contains(other), "{result}");
    // An upload without the page's CSRF token (from another site) is refused, nothing read.
    let cookie = session_cookie(client).await?;
    let boundary = "baocao-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\
         Content-Type: text/csv\r\n\r\nMã đơn vị,Số liệu tính đến ngày\r\n14755,01/01/2026\r\n--{boundary}--\r\n"
    );
    let addr = p.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "POST /sheets HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("Biểu mẫu không hợp lệ"), "{answer}");
    Ok(())
}

/// The office reviews its communes' reports: a return without a reason is refused and
/// nothing recorded; returned with a reason, the unit's form says why; the correction is
/// pending again and is approved.
async fn office_reviews(client: &Client, p: &Portal) -> anyhow::Result<()> {
    press(client, "a[href=\"/review\"]").await?;
    wait_for_path(client, "/review").await?;
    // The import's version of Hàm Rồng reaches the desk through the topic.
    for _ in 0..50 {
        if client.source().await?.contains("id=\"review-14755\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        client.refresh().await?;
    }
    let card = text_of(client, "#review-14755").await?;
    assert!(
        card.contains("hệ thống") && card.contains("camera"),
        "{card}"
    );
    assert!(card.contains("Người báo cáo:"), "{card}");
    // Each system, one click away (no script: a details element).
    press(client, "#review-14755 details summary").await?;
    let systems = text_of(client, "#review-14755 details").await?;
    assert!(
        systems.contains("đề xuất cấp độ") && systems.contains("phương án:"),
        "{systems}"
    );
    assert!(
        text_of(client, "#review-counts")
            .await?
            .contains("Chờ duyệt: 1")
    );
    snapshot(client, "review-360").await?;
    assert_accessible(client, "review").await?;
    press(client, "#review-14755 button[value=return]").await?;
    wait_for_text(client, "id=\"review-problem\"").await?;
    assert!(
        text_of(client, "#review-problem")
            .await?
            .contains("Ghi lý do trả lại báo cáo"),
        "a return needs a reason"
    );
    assert!(
        text_of(client, "#review-counts")
            .await?
            .contains("Chờ duyệt: 1")
    );
    let reason = "Cấp độ đề xuất chưa phù hợp với quy mô hệ thống; đề nghị rà soát.";
    client
        .find(Locator::Css("#review-14755 textarea[name=reason]"))
        .await?
        .send_keys(reason)
        .await?;
    press(client, "#review-14755 button[value=return]").await?;
    wait_for_text(client, "Đã trả lại báo cáo").await?;
    // The queue shows what waits; the returned version is under its state.
    choose(client, "state", "returned").await?;
    press(client, "#review-filters button").await?;
    wait_for_text(client, "id=\"review-14755\"").await?;
    let decided = text_of(client, "#review-14755").await?;
    assert!(
        decided.contains("Đã trả lại") && decided.contains(reason),
        "{decided}"
    );
    // The unit's form says it was returned and why; its correction is pending again.
    client.goto(&format!("{}/report?unit=14755", p.url)).await?;
    wait_for_text(client, "trả lại").await?;
    assert!(client.source().await?.contains(reason));
    press(client, "button[value=submit]").await?;
    wait_for_text(client, "id=\"submission-id\"").await?;
    let corrected = text_of(client, "#submission-id").await?;
    client.goto(&format!("{}/review", p.url)).await?;
    for _ in 0..50 {
        if client.source().await?.contains(corrected.trim()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        client.refresh().await?;
    }
    assert!(
        text_of(client, "#review-counts")
            .await?
            .contains("Chờ duyệt: 1")
    );
    press(client, "#review-14755 button[value=approve]").await?;
    wait_for_text(client, "Đã phê duyệt báo cáo").await?;
    let counts = text_of(client, "#review-counts").await?;
    assert!(
        counts.contains("Chờ duyệt: 0") && counts.contains("Đã phê duyệt: 1"),
        "{counts}"
    );
    snapshot(client, "review-decided-360").await?;
    client.goto(&format!("{}/report?unit=14755", p.url)).await?;
    wait_for_text(client, "phê duyệt").await?;
    // A correction after the approval waits again, with the figure that moved marked.
    let before = client
        .find(Locator::Css("[name=\"systems.0.camera_count\"]"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    let after = (before.parse::<i64>()? + 5).to_string();
    fill(client, "systems.0.camera_count", &after).await?;
    press(client, "button[value=submit]").await?;
    wait_for_text(client, "id=\"submission-id\"").await?;
    client.goto(&format!("{}/review?changed=1", p.url)).await?;
    for _ in 0..50 {
        if client
            .source()
            .await?
            .contains("Gửi lại sau khi đã được phê duyệt")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        client.refresh().await?;
    }
    let marked = text_of(client, "#review-14755 .changes mark").await?;
    assert!(
        marked.ends_with(&format!("số camera: {before} → {after}")),
        "{marked}"
    );
    snapshot(client, "review-changed-360").await?;
    Ok(())
}

/// After the landing and a rollup, the DIC sees Hàm Rồng's report counted in district
/// 380 and, drilling down, in its commune; the district office sees only its district.
async fn the_dic_sees_the_report_counted(
    client: &Client,
    p: &Portal,
    dic: &IssuedAccount,
) -> anyhow::Result<()> {
    let run = |args: &[&str]| p.baocao(args);
    run(&["land", "--until-caught-up"])?;
    run(&[
        "rollup",
        "--campaign",
        "th-open",
        "--milestone",
        "levels-approved",
    ])?;
    first_login_to(client, &p.url, dic, "Sở KH&CN 2026!", "/dashboard").await?;
    wait_for_text(client, "Tình hình báo cáo").await?;
    let weeks = client
        .find_all(Locator::Css(
            "svg[aria-label=\"Số đơn vị đã báo cáo theo tuần\"] rect",
        ))
        .await?;
    assert!(!weeks.is_empty(), "units reported week by week are charted");
    let row = text_of(client, "a[href*=\"area=380\"]").await?;
    assert!(row.contains("Thanh Hóa"), "district 380 is listed: {row}");
    snapshot(client, "dashboard-360").await?;
    press(client, "a[href*=\"area=380\"]").await?;
    wait_for_text(client, "Phường Hàm Rồng").await?;
    let cells = client
        .execute(
            "const row = [...document.querySelectorAll('tbody tr')] \
               .find(r => r.textContent.includes('Phường Hàm Rồng')); \
             return row ? [...row.querySelectorAll('td')].map(td => td.textContent) : [];",
            vec![],
        )
        .await?;
    // Expected, reported, on time, late, missing, rate: one unit reported.
    assert_eq!(
        cells.get(1).and_then(|c| c.as_str()),
        Some("1"),
        "Hàm Rồng: {cells}"
    );
    // A reminder sent to a missing unit (as `baocao remind` records it beside the
    // summaries) shows in the late list once the summary is written again.
    std::fs::write(
        p.root
            .path()
            .join("state/summaries/th-open/levels-approved/reminders.json"),
        r#"[{"key":"th-open/levels-approved/T+1/14758.MN/email","state":"sent","run":"r","at":"2026-07-01T02:00:00Z","campaign":"th-open","milestone":"levels-approved","step":"T+1","unit":"14758.MN","channel":"email","to":"x@example.org","message_id":"<m@x>","reason":""}]"#,
    )?;
    // A new rollup is announced to the open page (server-sent events), which reloads.
    client
        .execute("window.stillTheSamePage = true; return true;", vec![])
        .await?;
    run(&[
        "rollup",
        "--campaign",
        "th-open",
        "--milestone",
        "levels-approved",
    ])?;
    let mut reloaded = false;
    for _ in 0..200 {
        let same = client
            .execute("return window.stillTheSamePage === true;", vec![])
            .await?;
        if same == serde_json::json!(false) {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        reloaded,
        "the dashboard reloads itself when a summary is written"
    );
    wait_for_text(client, "Phường Hàm Rồng").await?;
    // The Chairman's report of the milestone, as the rollup wrote it (an Excel workbook).
    let magic = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(document.querySelector('a[href^=\"/dashboard/report/bao-cao.xlsx\"]').href) \
               .then(r => r.arrayBuffer()) \
               .then(b => done([...new Uint8Array(b.slice(0, 2))]));",
            vec![],
        )
        .await?;
    assert_eq!(magic, serde_json::json!([0x50, 0x4B]), "a zip (xlsx) file");
    // The late list names units that have not reported, with a CSV download.
    let download = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(document.querySelector('a[href^=\"/dashboard/late.csv\"]').href) \
               .then(r => r.arrayBuffer()) \
               .then(b => done([[...new Uint8Array(b.slice(0, 3))], new TextDecoder().decode(b)]));",
            vec![],
        )
        .await?;
    let bom = serde_json::json!([0xEF, 0xBB, 0xBF]);
    assert_eq!(download[0], bom, "UTF-8 with a byte-order mark");
    let csv = download[1].as_str().unwrap_or_default();
    assert!(
        csv.contains("Chưa báo cáo") && csv.contains("Trường học"),
        "{csv:.300}"
    );
    assert!(
        !csv.contains("\"14755\""),
        "the unit that reported is not late"
    );
    let reminded = csv
        .lines()
        .find(|l| l.contains("14758.MN"))
        .unwrap_or_default();
    assert!(
        reminded.contains("1 lần, gần nhất 01/07/2026"),
        "the reminder is listed: {reminded}"
    );
    press(client, "form[action=\"/logout\"] button").await?;
    wait_for_path(client, "/login").await?;
    Ok(())
}

async fn wrong_passwords_slow_down_until_unlocked(
    client: &Client,
    p: &Portal,
    locked: &IssuedAccount,
    department: &IssuedAccount,
    clerk: &IssuedAccount,
) -> anyhow::Result<()> {
    let dic = locked;
    for attempt in 1..=3 {
        client.goto(&format!("{}/login", p.url)).await?;
        fill(client, "username", &dic.account.username).await?;
        fill(client, "password", &format!("sai-{attempt}")).await?;
        press(client, "button[type=submit]").await?;
        wait_for_text(client, "mật khẩu không đúng").await?;
    }
    // The fourth attempt from this browser waits (a second here), even with the right
    // password; nothing is locked.
    client.goto(&format!("{}/login", p.url)).await?;
    fill(client, "username", &dic.account.username).await?;
    fill(client, "password", &dic.one_time_password).await?;
    press(client, "button[type=submit]").await?;
    wait_for_text(client, "Hãy thử lại sau").await?;
    snapshot(client, "login-wait-360").await?;
    assert!(client.current_url().await?.path().ends_with("/login"));
    // The department unlocks it in the portal, and issues the clerk a new one-time
    // password; the audit page shows both.
    let clerk_otp = the_department_administers(client, p, department, locked, clerk).await?;
    client.goto(&format!("{}/login", p.url)).await?;
    fill(client, "username", &locked.account.username).await?;
    fill(client, "password", &locked.one_time_password).await?;
    press(client, "button[type=submit]").await?;
    wait_for_path(client, "/password").await?;
    let events: Vec<String> = p
        .accounts
        .audit_events(&locked.account.username)
        .await?
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert!(
        events.contains(&"account_unlocked".to_string()),
        "{events:?}"
    );
    assert!(
        !events.contains(&"account_locked".to_string()),
        "{events:?}"
    );
    // The clerk signs in with the new one-time password and must replace it.
    let _ = client.delete_all_cookies().await;
    let reissued = IssuedAccount {
        account: clerk.account.clone(),
        one_time_password: clerk_otp,
    };
    first_login(client, &p.url, &reissued, "Đông Sơn mới 2026!").await
}

/// Signs in with a password already chosen; ends at `landing`.
async fn sign_in(
    client: &Client,
    url: &str,
    username: &str,
    password: &str,
    landing: &str,
) -> anyhow::Result<()> {
    client.goto(&format!("{url}/login")).await?;
    fill(client, "username", username).await?;
    fill(client, "password", password).await?;
    press(client, "button[type=submit]").await?;
    wait_for_path(client, landing).await
}

/// The department, in "Quản lý tài khoản": finds the locked account among the province's
/// and unlocks it, finds the clerk by name typed without diacritics and issues a new
/// one-time password (confirmed first), then reads both in the audit log. Answers the
/// clerk's new password, as the page showed it.
async fn the_department_administers(
    client: &Client,
    p: &Portal,
    department: &IssuedAccount,
    locked: &IssuedAccount,
    clerk: &IssuedAccount,
) -> anyhow::Result<String> {
    sign_in(
        client,
        &p.url,
        &department.account.username,
        "Sở KH&CN 2026!",
        "/dashboard",
    )
    .await?;
    press(client, "a[href=\"/accounts\"]").await?;
    wait_for_text(client, "Quản lý tài khoản").await?;
    snapshot(client, "accounts-360").await?;
    let row = |username: &str| format!("tr[data-username=\"{username}\"]");
    assert!(
        client
            .find(Locator::Css(&row(&department.account.username)))
            .await
            .is_err(),
        "nobody administers their own account here"
    );
    press(
        client,
        &format!("{} button[value=unlock]", row(&locked.account.username)),
    )
    .await?;
    wait_for_text(client, "Đã mở khóa đăng nhập").await?;
    // A forged form (no token) deletes nobody.
    let cookie = session_cookie(client).await?;
    let forged = format!(
        "username={}&action=delete&confirmed=yes",
        clerk.account.username
    );
    assert_eq!(post(&p.url, "/accounts", &cookie, &forged).await?.0, 403);
    assert!(p.accounts.account(&clerk.account.username).await?.is_some());
    // Found by name, typed without diacritics.
    fill(client, "q", "can bo 14755").await?;
    press(client, "form.filters button").await?;
    wait_for_text(client, "hiển thị 1–1").await?;
    press(
        client,
        &format!("{} button[value=reset]", row(&clerk.account.username)),
    )
    .await?;
    wait_for_text(client, "Mật khẩu hiện tại sẽ không dùng được nữa").await?;
    snapshot(client, "account-confirm-360").await?;
    press(client, "#confirm").await?;
    wait_for_text(client, "Mật khẩu dùng một lần mới").await?;
    snapshot(client, "account-password-360").await?;
    let otp = text_of(client, "#otp").await?;
    assert_ne!(otp, clerk.one_time_password);
    client.goto(&format!("{}/audit", p.url)).await?;
    wait_for_text(client, "Nhật ký hoạt động").await?;
    snapshot(client, "audit-360").await?;
    let table = text_of(client, "#audit").await?;
    for done in ["Mở khóa đăng nhập", "Cấp lại mật khẩu"] {
        let line = table
            .lines()
            .find(|l| l.contains(done))
            .unwrap_or_default()
            .to_string();
        assert!(
            line.contains(&department.account.username),
            "{done} by the department in:\n{table}"
        );
    }
    // Filtered to resets: only the clerk's.
    choose(client, "event", "password_reset").await?;
    press(client, "form.filters button").await?;
    wait_for_text(client, "<strong>1</strong> hoạt động").await?;
    press(client, "form[action=\"/logout\"] button").await?;
    wait_for_path(client, "/login").await?;
    Ok(otp)
}

/// Whether the page shown scrolls sideways at the browser's width (360 px).
async fn scrolls_sideways(client: &Client) -> anyhow::Result<bool> {
    let wider = client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await?;
    Ok(wider.as_bool().unwrap_or(true))
}

/// On the 2025 map (no district tier) the department of Thanh Hóa lands on its dashboard,
/// sees a row for each of the province's communes, drills into one and sees its units;
/// no page scrolls sideways at 360 px and axe finds nothing serious.
/// On the 2025 map the commune's office downloads its form from the portal, fills it
/// for two of its schools and uploads it: both are received.
async fn commune_office_imports_two_schools(
    client: &Client,
    p: &Portal,
    registry: &Registry,
) -> anyhow::Result<()> {
    client.goto(&format!("{}/sheets", p.url)).await?;
    wait_for_text(client, "Excel").await?;
    let units = downloaded_form_units(client).await?;
    let schools: Vec<&str> = units
        .iter()
        .map(|u| u.unit_code.as_str())
        .filter(|code| registry.unit(code).is_some_and(|u| u.kind == "school"))
        .take(2)
        .collect();
    assert_eq!(schools.len(), 2, "the form lists the commune's schools");
    let today = common::today();
    let reports: Vec<_> = schools
        .iter()
        .map(|code| baocao_fixtures::complete_report("th-open", code, "", today))
        .collect();
    upload_filled_form(
        client,
        p,
        (registry, &reports),
        ("Văn phòng UBND xã", "truong-hoc.xlsx"),
    )
    .await?;
    wait_for_text(client, "Đã ghi nhận 2 đơn vị").await?;
    snapshot(client, "sheets-2025-commune-360").await?;
    let result = text_of(client, "#import-result").await?;
    assert!(
        result.contains("(2 mới,") && result.contains("0 đơn vị có lỗi"),
        "{result}"
    );
    Ok(())
}

/// The areas linked from the dashboard's areas table on the page shown.
async fn area_links(client: &fantoccini::Client) -> anyhow::Result<Vec<String>> {
    let mut shown = Vec::new();
    for link in client
        .find_all(Locator::Css("#theo-dia-ban table a[href*=\"area=\"]"))
        .await?
    {
        let href = link.attr("href").await?.unwrap_or_default();
        if let Some(area) = href.split("area=").nth(1) {
            shown.push(area.split('&').next().unwrap_or_default().to_string());
        }
    }
    Ok(shown)
}

/// The areas of the dashboard's areas table on every page, following "Trang sau" (each
/// page at most 30 rows under the area's own), sorted.
async fn areas_on_every_page(client: &fantoccini::Client) -> anyhow::Result<Vec<String>> {
    let mut shown = Vec::new();
    for _ in 0..20 {
        let rows = client
            .find_all(Locator::Css("#theo-dia-ban tbody tr:not(.total)"))
            .await?;
        assert!(rows.len() <= 30, "{} rows on a page", rows.len());
        shown.extend(area_links(client).await?);
        let next = client
            .find_all(Locator::Css("#theo-dia-ban a[rel=next]"))
            .await?;
        let Some(next) = next.first() else {
            break;
        };
        let href = next.attr("href").await?.unwrap_or_default();
        let before = client.current_url().await?;
        client.goto(before.join(&href)?.as_str()).await?;
        wait_for_text(client, "Theo địa bàn").await?;
    }
    shown.sort();
    shown.dedup();
    Ok(shown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_department_sees_its_communes_on_the_2025_map() -> anyhow::Result<()> {
    let mut p = portal_on("2025").await?;
    let registry = Registry::load(&p.data)?;
    let communes: Vec<String> = registry
        .units()
        .filter(|u| u.kind == "people_committee" && u.tier == baocao_registry::AdminLevel::Commune)
        .filter(|u| registry.is_within(u, "38"))
        .map(|u| u.code.clone())
        .collect();
    // The office of a commune with two schools or more (it enters their reports).
    let office = communes
        .iter()
        .find(|c| {
            registry
                .units()
                .filter(|u| u.area_code == **c && u.kind == "school")
                .count()
                >= 2
        })
        .context("a commune with two schools")?
        .clone();
    let issued = p
        .accounts
        .issue(
            vec![
                person("38.skhcn", "38.SKHCN", Role::Province, "38"),
                person(
                    &office.to_lowercase(),
                    &office,
                    Role::DistrictOffice,
                    &office,
                ),
            ],
            chrono::Utc::now(),
        )
        .await?;
    let run = |args: &[&str]| p.baocao(args);
    run(&[
        "rollup",
        "--campaign",
        "th-open",
        "--milestone",
        "levels-approved",
        "--allow-empty",
    ])?;
    let (_driver, client) = browser().await?;
    let outcome = async {
        first_login_to(&client, &p.url, &issued[0], "Sở KH&CN 2026!", "/dashboard").await?;
        wait_for_text(&client, "Tình hình báo cáo").await?;
        snapshot(&client, "dashboard-2025-360").await?;
        assert!(
            !scrolls_sideways(&client).await?,
            "the dashboard scrolls sideways"
        );
        let caption = text_of(&client, "figcaption").await?;
        assert!(
            caption.contains(&format!("30 địa bàn thấp nhất trong {}", communes.len())),
            "{caption}"
        );
        client
            .execute(
                "document.querySelector('#theo-dia-ban .pager').scrollIntoView();",
                vec![],
            )
            .await?;
        snapshot(&client, "dashboard-2025-areas-pager-360").await?;
        let shown = areas_on_every_page(&client).await?;
        let mut expected = communes.clone();
        expected.sort();
        assert_eq!(
            shown, expected,
            "a row per commune of the province, 30 to a page"
        );
        // A commune found by its name typed without accents, alone on its page.
        let commune = &communes[0];
        let name = registry
            .admin_unit(commune)
            .map(|a| baocao_registry::search_key(&a.name))
            .unwrap_or_default();
        client
            .goto(&format!("{}/dashboard?q={}", p.url, name.replace(' ', "+")))
            .await?;
        wait_for_text(&client, "Theo địa bàn").await?;
        let found = area_links(&client).await?;
        assert!(found.contains(commune) && found.len() < 5, "{found:?}");
        press(&client, &format!("a[href*=\"area={commune}\"]")).await?;
        wait_for_path(&client, "/dashboard").await?;
        let school = registry
            .units()
            .find(|u| u.area_code == *commune && u.kind == "school")
            .map(|u| u.name.clone());
        if let Some(school) = school {
            wait_for_text(&client, &school).await?;
        }
        assert!(
            !scrolls_sideways(&client).await?,
            "the commune's dashboard scrolls sideways"
        );
        snapshot(&client, "dashboard-2025-commune-360").await?;
        // The department administers the commune's account, on two tiers.
        client.goto(&format!("{}/accounts", p.url)).await?;
        wait_for_text(&client, "Quản lý tài khoản").await?;
        let listed = text_of(&client, "#accounts").await?;
        assert!(listed.contains(&office.to_lowercase()), "{listed}");
        snapshot(&client, "accounts-2025-360").await?;
        // Its review queue offers the province's communes as areas.
        client.goto(&format!("{}/review", p.url)).await?;
        wait_for_text(&client, "id=\"review-counts\"").await?;
        let areas = client.find_all(Locator::Css("#f-area option")).await?;
        assert!(
            areas.len() > communes.len() / 2,
            "{} areas offered",
            areas.len()
        );
        snapshot(&client, "review-2025-360").await?;
        press(&client, "form[action=\"/logout\"] button").await?;
        wait_for_path(&client, "/login").await?;
        first_login_to(
            &client,
            &p.url,
            &issued[1],
            "UBND xã KT&TH 2026!",
            "/report",
        )
        .await?;
        commune_office_imports_two_schools(&client, &p, &registry).await?;
        anyhow::Ok(())
    }
    .await;
    let _ = client.close().await;
    if let Some(portal) = p.portal.take() {
        portal.stop().await?;
    }
    outcome
}

/// The receipt page's signed receipt: both files download, and the signature holds
/// against the CA that issued the portal's certificate, for this submission.
async fn signed_receipt_downloads(client: &Client, p: &Portal, id: &str) -> anyhow::Result<()> {
    let fetch = |part: &str| {
        format!(
            "const done = arguments[arguments.length - 1]; \
             fetch(document.querySelector('#signed-receipt a{part}').href) \
               .then(r => r.arrayBuffer()).then(b => done([...new Uint8Array(b)]));"
        )
    };
    let bytes = |value: serde_json::Value| -> anyhow::Result<Vec<u8>> {
        Ok(serde_json::from_value(value)?)
    };
    let receipt = bytes(
        client
            .execute_async(&fetch(":first-of-type"), vec![])
            .await?,
    )?;
    let signature = bytes(
        client
            .execute_async(&fetch(":last-of-type"), vec![])
            .await?,
    )?;
    let ca = std::fs::read(p.root.path().join("certs/ca.pem"))?;
    let verified = baocao_signing::verify(&receipt, &signature, Some(&ca))?;
    assert_eq!(verified.receipt.unit_code, "14755");
    assert_eq!(verified.receipt.submission_id, id);
    assert_eq!(verified.receipt.topic, p.kafka.reports_topic);
    Ok(())
}

/// A raw HTTP/1.1 GET with the session cookie: the status and the page (decoded as it
/// came; the portal compresses only when asked).
async fn get(url: &str, path: &str, cookie: &str) -> anyhow::Result<(u16, String)> {
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    let status = answer.split_whitespace().nth(1).unwrap_or("0").parse()?;
    Ok((status, answer))
}

/// Sends a fresh valid report of each of `units` through a real commune-tier gateway on
/// the portal's topic, 16 at a time.
async fn submit_through_a_gateway(p: &Portal, units: &[String]) -> anyhow::Result<()> {
    use baocao_access::tokens::{TokenRequest, TokenRole, issue_all};
    use baocao_proto::v1::SubmitReportRequest;
    use futures::StreamExt;
    let tokens_file = p.root.path().join("gateway-tokens.json");
    let requests = units
        .iter()
        .map(|unit| TokenRequest {
            role: TokenRole::Unit,
            unit: unit.clone(),
            scope: String::new(),
            valid_for: None,
        })
        .collect();
    let tokens = issue_all(&tokens_file, requests)?;
    let config = baocao_gateway::GatewayConfig {
        listen: "127.0.0.1:0".into(),
        tier: "commune".into(),
        jurisdiction: "38".into(),
        tokens_file,
        ..Default::default()
    };
    let registry = Arc::new(Registry::load(&p.data)?);
    let gateway = baocao_gateway::start_gateway(&config, &p.kafka, registry).await?;
    let endpoint = format!("http://{}", gateway.local_addr);
    let client =
        baocao_proto::v1::reporting_service_client::ReportingServiceClient::connect(endpoint)
            .await?;
    let sent: Vec<anyhow::Result<()>> = futures::stream::iter(tokens)
        .map(|(token, record)| {
            let mut client = client.clone();
            async move {
                let report = common::valid_report(&record.unit);
                let request = SubmitReportRequest {
                    report: Some(report),
                    validate_only: false,
                };
                client
                    .submit_report(common::authed(request, &token))
                    .await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    sent.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    gateway.stop().await?;
    Ok(())
}

/// The department's review at province scale: 2,000 versions waiting, the review page's
/// latency measured and printed (p50, p95; a benchmark, not a threshold), the queue
/// narrowed to one district through its backlog row, 40 versions approved in two bulk
/// decisions (a whole page, then 15 ticked), `baocao review --list` listing exactly those
/// 40 as approved, and every page of what still waits read through once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_department_reviews_two_thousand_versions() -> anyhow::Result<()> {
    let mut p = portal().await?;
    let registry = Registry::load(&p.data)?;
    let campaign = registry
        .campaign("th-open")
        .ok_or_else(|| anyhow::anyhow!("th-open"))?;
    let mut units: Vec<String> = registry
        .units()
        .filter(|u| u.tier == baocao_registry::AdminLevel::Commune && registry.is_within(u, "38"))
        .filter(|u| registry.expects(campaign, u))
        .map(|u| u.code.clone())
        .collect();
    units.sort();
    units.truncate(2000);
    assert_eq!(
        units.len(),
        2000,
        "the 2023 register has 2,000 commune units to wait"
    );
    let started = std::time::Instant::now();
    submit_through_a_gateway(&p, &units).await?;
    println!(
        "2,000 reports accepted in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let issued = p
        .accounts
        .issue(
            vec![person("38.stttt", "38.STTTT", Role::Province, "38")],
            chrono::Utc::now(),
        )
        .await?;
    let (_driver, client) = browser().await?;
    let outcome = review_at_scale(&client, &p, &issued[0], &units).await;
    let _ = client.close().await;
    if let Some(portal) = p.portal.take() {
        portal.stop().await?;
    }
    outcome
}

async fn review_at_scale(
    client: &Client,
    p: &Portal,
    dic: &IssuedAccount,
    units: &[String],
) -> anyhow::Result<()> {
    first_login_to(client, &p.url, dic, "Sở KH&CN 2026!", "/dashboard").await?;
    client.goto(&format!("{}/review", p.url)).await?;
    for _ in 0..100 {
        if text_of(client, "#review-counts")
            .await?
            .contains("Chờ duyệt: 2000")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        client.refresh().await?;
    }
    assert!(
        text_of(client, "#review-counts")
            .await?
            .contains("Chờ duyệt: 2000")
    );
    snapshot(client, "review-2000-360").await?;
    measure_review_page(p, &session_cookie(client).await?).await?;
    // Narrowed to Thành phố Thanh Hóa through its backlog row.
    press(client, "#backlog a[href*=\"area=380\"]").await?;
    wait_for_text(client, "Trang 1/").await?;
    let in_city = text_of(client, "#review-counts").await?;
    press(client, "#bulk-page").await?;
    wait_for_text(client, "Xác nhận phê duyệt 25 báo cáo").await?;
    snapshot(client, "review-bulk-confirm-360").await?;
    press(client, "#confirm-bulk").await?;
    wait_for_text(client, "Đã phê duyệt 25 báo cáo.").await?;
    for i in 1..=15 {
        press(client, &format!("#pick-{i}")).await?;
    }
    press(client, "#bulk-chosen").await?;
    wait_for_text(client, "Xác nhận phê duyệt 15 báo cáo").await?;
    press(client, "#confirm-bulk").await?;
    wait_for_text(client, "Đã phê duyệt 15 báo cáo.").await?;
    let pending_before: usize = number_after(&in_city, "Chờ duyệt: ")?;
    let counts = text_of(client, "#review-counts").await?;
    assert_eq!(
        number_after(&counts, "Chờ duyệt: ")?,
        pending_before - 40,
        "{counts}"
    );
    assert_eq!(number_after(&counts, "Đã phê duyệt: ")?, 40, "{counts}");
    // The same queue through a gateway and the CLI: exactly those 40, as a CSV for Excel.
    let approved = list_approved(p, dic).await?;
    assert_eq!(approved.len(), 40, "{approved:?}");
    // Every page of what still waits, once each.
    let cookie = session_cookie(client).await?;
    let mut seen = std::collections::HashSet::new();
    for page in 1.. {
        let (status, html) = get(&p.url, &format!("/review?page={page}"), &cookie).await?;
        assert_eq!(status, 200);
        for code in html
            .split("class=\"card review\" id=\"review-")
            .skip(1)
            .filter_map(|s| s.split('"').next())
        {
            assert!(seen.insert(code.to_string()), "{code} on two pages");
        }
        if !html.contains("rel=\"next\"") {
            break;
        }
    }
    assert_eq!(seen.len(), units.len() - 40);
    assert!(approved.iter().all(|code| !seen.contains(code)));
    Ok(())
}

/// The number that follows `label` in `text`.
fn number_after(text: &str, label: &str) -> anyhow::Result<usize> {
    let rest = text
        .split(label)
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("no {label:?} in {text:?}"))?;
    Ok(rest
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()?)
}

/// `baocao review --list --state approved --format csv` through a province gateway with
/// the department's token: the approved units' codes.
async fn list_approved(p: &Portal, dic: &IssuedAccount) -> anyhow::Result<Vec<String>> {
    let tokens_file = p.root.path().join("dic-tokens.json");
    let (token, _) = baocao_access::tokens::issue_token(&tokens_file, &dic.account.unit_code)?;
    let config = baocao_gateway::GatewayConfig {
        listen: "127.0.0.1:0".into(),
        tier: "province".into(),
        jurisdiction: "38".into(),
        tokens_file,
        ..Default::default()
    };
    let gateway =
        baocao_gateway::start_gateway(&config, &p.kafka, Arc::new(Registry::load(&p.data)?))
            .await?;
    let endpoint = format!("http://{}", gateway.local_addr);
    let listed = tokio::task::spawn_blocking({
        let args: Vec<String> = [
            "review",
            "--list",
            "--campaign",
            "th-open",
            "--state",
            "approved",
            "--format",
            "csv",
            "--gateway",
            &endpoint,
            "--token",
            &token,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut command = common::baocao_command(
            p.root.path(),
            &p.data,
            &p.kafka.brokers,
            &p.kafka.reports_topic,
        );
        command.args(&args);
        move || common::succeeded(&mut command)
    })
    .await??;
    gateway.stop().await?;
    assert!(
        listed.starts_with('\u{feff}'),
        "CSV for Excel: {listed:.80}"
    );
    Ok(listed
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .map(|cell| cell.trim_matches('"').to_string())
        .collect())
}

/// Times the review page with 2,000 waiting: the default queue, one district, a deep page
/// and a search, 30 requests each; prints p50 and p95 (never fails on them).
async fn measure_review_page(p: &Portal, cookie: &str) -> anyhow::Result<()> {
    for (what, path) in [
        ("queue", "/review"),
        ("district 380", "/review?area=380"),
        ("page 40", "/review?page=40"),
        ("search", "/review?q=truong"),
    ] {
        let mut times = Vec::new();
        for _ in 0..30 {
            let started = std::time::Instant::now();
            let (status, _) = get(&p.url, path, cookie).await?;
            assert_eq!(status, 200, "{path}");
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "review page with 2,000 waiting, {what}: p50 {:.1} ms, p95 {:.1} ms (debug build, 2 cores shared with the browser)",
            times[times.len() / 2],
            times[times.len() * 95 / 100]
        );
    }
    Ok(())
}
