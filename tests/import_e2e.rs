//! Spreadsheets in, end to end with real processes: a district office's form of its 40
//! communes and schools (`baocao form`), filled as a person would (openpyxl) with five
//! mistakes, imported through a real gateway and broker (`baocao import`): exactly those
//! five cells are named, the 35 other units are counted in the rollup, importing the same
//! file again writes nothing new, and the form re-saved by LibreOffice Calc imports
//! unchanged.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::Context;
use common::{Stack, baocao_command, succeeded};
use serde_json::{Value, json};

/// `baocao` run in the stack's directory, on its data, broker and topic.
fn baocao_in(stack: &Stack) -> Command {
    let root = stack.root.path();
    baocao_command(
        root,
        &root.join("data"),
        &stack.kafka.brokers,
        &stack.kafka.reports_topic,
    )
}

/// The units of a form, in its order, with their row cells.
fn form_units(form: &Path) -> anyhow::Result<Vec<baocao_sheets::UnitEntry>> {
    let bytes = std::fs::read(form)?;
    let sheets = baocao_sheets::read_file("form.xlsx", &bytes)?;
    Ok(baocao_sheets::parse("form.xlsx", &sheets, None)?.units)
}

/// One approved level-2 system per unit on the systems sheet, a row each.
fn system_cells(units: &[baocao_sheets::UnitEntry]) -> BTreeMap<String, Value> {
    let today = common::today();
    let decided = (today - chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let mut systems: BTreeMap<String, Value> = BTreeMap::new();
    for (i, unit) in units.iter().enumerate() {
        let row = 3 + i;
        let mut put = |col: &str, value: Value| {
            systems.insert(format!("{col}{row}"), value);
        };
        put("A", json!(unit.unit_code));
        put("B", json!("CAM-01"));
        put("C", json!("Camera trụ sở"));
        put("D", json!("Trụ sở"));
        put("E", json!(10));
        put("F", json!(2));
        put("G", json!("Đã phê duyệt cấp độ"));
        put("H", json!(format!("{}/QĐ-UBND", i + 1)));
        put("I", json!({ "date": decided }));
        put("J", json!("Chủ tịch UBND huyện"));
        put("K", json!(2));
        put("L", json!("Đang triển khai"));
        put("N", json!("Có"));
        put("P", json!(8));
        put("Q", json!(1));
    }
    systems
}

/// Cells to fill: one approved level-2 system per unit on the systems sheet, and five
/// mistakes, each in another unit. Returns the cells and the five mistaken places.
fn filled_cells(units: &[baocao_sheets::UnitEntry]) -> (Value, Vec<String>) {
    let mut systems = system_cells(units);
    // The mistakes: a level of 6, a count in words, an impossible date, a status not in
    // the list (units 2, 9, 17, 30's systems), and a reporter's name erased (unit 24).
    let mistakes = [
        ("F", 2, json!(6)),
        ("E", 9, json!("mười")),
        ("I", 17, json!("30/02/2023")),
        ("G", 30, json!("Xong rồi")),
    ];
    let mut places = Vec::new();
    for (col, unit, value) in mistakes {
        let cell = format!("{col}{}", 3 + unit);
        systems.insert(cell.clone(), value);
        places.push(format!("Hệ thống camera!{cell}"));
    }
    let erased = units[24].locate("report.reporter.full_name");
    let mut unit_cells = BTreeMap::new();
    unit_cells.insert(erased.trim_start_matches("Đơn vị!").to_string(), json!(""));
    places.push(erased);
    places.sort();
    (
        json!({ "Hệ thống camera": systems, "Đơn vị": unit_cells }),
        places,
    )
}

/// Fills `root/form.xlsx` with `cells` as a person would in a spreadsheet program's
/// library (openpyxl), into `root/filled.xlsx`.
fn fill_form(root: &Path, cells: &Value) -> anyhow::Result<()> {
    std::fs::write(root.join("cells.json"), serde_json::to_vec(cells)?)?;
    let fill = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sheets/fill_form.py"))
        .args(["form.xlsx", "filled.xlsx", "cells.json"])
        .current_dir(root)
        .output()
        .context("python3 with openpyxl (scripts/install-deps.sh installs it)")?;
    anyhow::ensure!(
        fill.status.success(),
        "{}",
        String::from_utf8_lossy(&fill.stderr)
    );
    Ok(())
}

/// The places named in an import's output (`Sheet!E12: …` lines), sorted.
fn named_places(output: &str) -> Vec<String> {
    let mut places: Vec<String> = output
        .lines()
        .filter_map(|line| line.split_once(": ").map(|(at, _)| at))
        .filter(|at| at.contains('!'))
        .map(str::to_string)
        .collect();
    places.sort();
    places
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_form_with_five_mistakes_names_them_and_counts_the_rest_once()
-> anyhow::Result<()> {
    let stack = Stack::start("commune", "388").await?;
    let root = stack.root.path();
    let cli = || baocao_in(&stack);
    let office_token = stack.token("388.PVHTT");

    // The office's form: every commune-tier unit of Huyện Lang Chánh expected in the campaign.
    let made = succeeded(cli().args([
        "form",
        "--campaign",
        "th-open",
        "--area",
        "388",
        "--tier",
        "commune",
        "--out",
        "form.xlsx",
    ]))?;
    assert!(made.contains("form of 40 unit(s)"), "{made}");
    let units = form_units(&root.join("form.xlsx"))?;
    assert_eq!(units.len(), 40);

    // Filled as a person would, in a spreadsheet program's library.
    let (cells, mistakes) = filled_cells(&units);
    fill_form(root, &cells)?;

    let import = |file: &str, extra: &[&str]| {
        let output = cli()
            .args(["import", "--file", file, "--gateway", &stack.endpoint()])
            .args(extra)
            .env("BAOCAO_TOKEN", &office_token)
            .output()?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        anyhow::Ok((output.status.code(), text))
    };

    // A dry run names the five cells and sends nothing.
    let (code, dry) = import("filled.xlsx", &["--dry-run"])?;
    assert_eq!(code, Some(2), "{dry}");
    assert_eq!(named_places(&dry), mistakes, "{dry}");
    assert!(dry.contains("35 đơn vị hợp lệ sẽ được ghi nhận"), "{dry}");
    assert!(dry.contains("Cấp độ phải từ 1 đến 5 (đang là 6)"), "{dry}");
    assert!(dry.contains("“mười” không phải là một số nguyên"), "{dry}");
    assert!(
        dry.contains("“30/02/2023” không phải là ngày hợp lệ"),
        "{dry}"
    );
    assert!(dry.contains("“Xong rồi” không có trong danh sách"), "{dry}");

    // The import: the same five cells, the 35 others written once.
    let (code, first) = import("filled.xlsx", &[])?;
    assert_eq!(code, Some(2), "{first}");
    assert_eq!(named_places(&first), mistakes, "{first}");
    assert!(
        first.contains("Đã ghi nhận 35 đơn vị (35 mới, 0 trùng"),
        "{first}"
    );
    for refused in [2, 9, 17, 24, 30] {
        assert!(first.contains(&units[refused].unit_code), "{first}");
    }
    // Again: a repeat of each, nothing new on the topic.
    let (_, second) = import("filled.xlsx", &[])?;
    assert!(
        second.contains("Đã ghi nhận 35 đơn vị (0 mới, 35 trùng"),
        "{second}"
    );
    let records = stack.read_topic(35)?;
    assert_eq!(
        records.len(),
        35,
        "one record per unit, however often imported"
    );
    assert!(
        records
            .iter()
            .all(|(_, e)| e.authenticated_unit == "388.PVHTT")
    );

    // Re-saved by LibreOffice Calc, the file imports unchanged: same cells, all repeats.
    let profile = root.join("soffice-profile");
    let converted = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            "calc",
        ])
        .arg("filled.xlsx")
        .current_dir(root)
        .output()
        .context("soffice (scripts/install-deps.sh installs LibreOffice Calc)")?;
    anyhow::ensure!(
        root.join("calc/filled.xlsx").exists(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let (_, resaved) = import("calc/filled.xlsx", &[])?;
    assert_eq!(named_places(&resaved), mistakes, "{resaved}");
    assert!(resaved.contains("(0 mới, 35 trùng"), "{resaved}");

    // Counted in the rollup: 35 of the district's commune-tier units reported.
    let landing = root.join("landing");
    succeeded(
        cli()
            .args(["land", "--until-caught-up", "--landing-dir"])
            .arg(&landing),
    )?;
    let summaries = root.join("summaries");
    let today = common::today().format("%Y-%m-%d").to_string();
    succeeded(
        cli()
            .args([
                "rollup",
                "--campaign",
                "th-open",
                "--milestone",
                "levels-approved",
            ])
            .args(["--as-of", &today, "--landing-dir"])
            .arg(&landing)
            .arg("--out")
            .arg(&summaries),
    )?;
    let counted = succeeded(
        cli()
            .args(["query", "--format", "csv", "--no-bom", "--landing-dir"])
            .arg(&landing)
            .arg("--summaries-dir")
            .arg(&summaries)
            .arg(
                "SELECT count(*) AS n FROM summaries WHERE campaign_id = 'th-open' AND tier = 'unit' \
                 AND district_code = '388' AND unit_tier = 'commune' \
                 AND report_status IN ('on_time', 'late')",
            ),
    )?;
    assert_eq!(counted.trim(), "n\n35", "{counted}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_outside_the_offices_district_is_refused_and_others_go_in() -> anyhow::Result<()> {
    let stack = Stack::start("commune", "388").await?;
    let root = stack.root.path();
    let cli = || baocao_in(&stack);
    // A CSV of units (UTF-8 with a byte-order mark, `;` as Excel writes it in Vietnam) and
    // one of systems: a commune of Lang Chánh, and one of another district.
    let ours = &form_units_of(&stack, "388")?[0];
    let theirs = &form_units_of(&stack, "381")?[0];
    let header = "Mã đơn vị;Mã đợt báo cáo;Số liệu tính đến ngày;Người chịu trách nhiệm báo cáo;\
                  Điện thoại;Không có hệ thống camera\n";
    let today = common::today().format("%d/%m/%Y").to_string();
    let units_csv = format!(
        "\u{feff}{header}{ours};th-open;{today};Lê Văn Tám;0912 000 111;Có\n\
         {theirs};th-open;{today};Lê Văn Bảy;0912 000 222;Có\n"
    );
    std::fs::write(root.join("units.csv"), units_csv)?;
    let output = cli()
        .args([
            "import",
            "--file",
            "units.csv",
            "--gateway",
            &stack.endpoint(),
        ])
        .env("BAOCAO_TOKEN", stack.token("388.PVHTT"))
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("Đã ghi nhận 1 đơn vị"), "{stdout}");
    assert!(
        stdout.contains("units.csv!A3: tài khoản nhập không được gửi báo cáo cho đơn vị này")
            && stdout.contains(&format!("có lỗi, chưa ghi nhận: {theirs}")),
        "{stdout}"
    );
    assert_eq!(stack.read_topic(1)?.len(), 1);
    Ok(())
}

/// The code of the first commune-tier unit the registry has in `district`.
fn form_units_of(stack: &Stack, district: &str) -> anyhow::Result<Vec<String>> {
    let mut codes: Vec<String> = stack
        .registry
        .units()
        .filter(|u| u.tier == baocao_registry::AdminLevel::Commune)
        .filter(|u| stack.registry.is_within(u, district))
        .filter(|u| u.kind == "school")
        .map(|u| u.code.clone())
        .collect();
    codes.sort();
    anyhow::ensure!(!codes.is_empty(), "no unit in {district}");
    Ok(codes)
}

/// `bench import`: every hostile file refused by name within the memory bound, then a
/// district office's file imported through the gateway with every unit written.
#[cfg(feature = "bench")]
#[test]
fn the_import_benchmark_refuses_hostile_files_and_writes_every_unit() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let stdout = succeeded(
        Command::new(common::BIN)
            .arg("--data-dir")
            .arg(&shipped)
            .args(["bench", "import", "--rounds", "1", "--dir"])
            .arg(dir.path().join("bench"))
            .env("RUST_LOG", "warn"),
    )?;
    for (file, refusal) in [
        ("50mb.csv", "quá lớn"),
        ("zip-bomb.xlsx", "quá lớn"),
        ("million-rows.xlsx", "hơn 50.000 dòng"),
        (
            "16384-columns.xlsx",
            "CW2: có dữ liệu ngoài phạm vi biểu mẫu",
        ),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(file))
            .unwrap_or_default();
        assert!(
            line.contains("exit Some(1)") && line.contains(refusal),
            "{stdout}"
        );
    }
    let peak: f64 = stdout
        .lines()
        .find_map(|l| l.split("peak resident memory of those imports: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(f64::MAX);
    assert!(peak <= 256.0, "{stdout}");
    let round = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("round 1:"))
        .unwrap_or_default();
    assert!(
        round.contains("reports/s") && !round.contains("refused"),
        "{stdout}"
    );
    Ok(())
}

/// On the 2025 map (no district tier) a commune's People's Committee enters the reports
/// of its commune's schools, as `[kind.submits_for]` lets it: its Excel form lists the
/// commune's own report and its schools', filled in a spreadsheet library, imported
/// through a gateway with the commune's token; every report is recorded once as sent by
/// the commune, and a school of another commune is not in its form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commune_enters_its_schools_reports_on_the_2025_map() -> anyhow::Result<()> {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let register = baocao_registry::Registry::load_register(
        &shipped,
        &baocao_registry::RegisterChoice::Named("2025".to_string()),
    )?;
    let mut schools: BTreeMap<&str, usize> = BTreeMap::new();
    for unit in register.units().filter(|u| u.kind == "school") {
        *schools.entry(unit.area_code.as_str()).or_default() += 1;
    }
    let (commune, count) = schools
        .iter()
        .find(|(area, n)| **n >= 2 && area.starts_with('1'))
        .map(|(area, n)| (area.to_string(), *n))
        .context("a commune of Thanh Hóa with two schools")?;
    let stack = common::Stack::start_on("2025", "commune", &commune, |_| {}).await?;
    let root = stack.root.path();
    let office = stack
        .registry
        .unit(&commune)
        .context("the commune's People's Committee is a unit of the register")?;
    assert_eq!(office.kind, "people_committee");
    let token = stack.token(&office.code);

    let made = succeeded(baocao_in(&stack).args([
        "form",
        "--campaign",
        "th-open",
        "--area",
        &commune,
        "--tier",
        "commune",
        "--out",
        "form.xlsx",
    ]))?;
    let units = form_units(&root.join("form.xlsx"))?;
    let codes: Vec<&str> = units.iter().map(|u| u.unit_code.as_str()).collect();
    assert_eq!(units.len(), count + 1, "{made}: {codes:?}");
    assert!(codes.contains(&office.code.as_str()), "{codes:?}");

    let cells = json!({ "Hệ thống camera": system_cells(&units) });
    fill_form(root, &cells)?;
    let output = baocao_in(&stack)
        .args([
            "import",
            "--file",
            "filled.xlsx",
            "--gateway",
            &stack.endpoint(),
        ])
        .env("BAOCAO_TOKEN", &token)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records = stack.read_topic(units.len())?;
    assert_eq!(records.len(), units.len(), "{text}");
    assert!(
        records
            .iter()
            .all(|(_, e)| e.authenticated_unit == office.code)
    );
    let sent: std::collections::BTreeSet<String> = records
        .iter()
        .filter_map(|(_, e)| e.report.as_ref().map(|r| r.unit_code.clone()))
        .collect();
    assert_eq!(sent.len(), units.len());
    assert!(
        register
            .units()
            .filter(|u| u.kind == "school" && u.area_code != commune)
            .all(|u| !codes.contains(&u.code.as_str())),
        "the form has another commune's school"
    );
    Ok(())
}
