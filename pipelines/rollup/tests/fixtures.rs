//! Rollups over hand-built landing files whose figures were computed by hand: corrections,
//! late and missing units, the deadline boundary, units at every tier, a report after the
//! cut-off, a duplicate delivery and an empty campaign.

mod common;

use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::{DataType, Int64Type};
use baocao_proto::v1::{
    CameraSystem, DossierStatus, MediaIndicators, PlanStatus, PoliceIndicators, ReportEnvelope,
};
use baocao_registry::Registry;
use baocao_rollup::RollupOutput;
use baocao_store::Store;
use chrono::NaiveDate;
use common::{Summary, date, land};

/// The fixtures' campaign `c`: one milestone, levels approved by 20/3/2023.
const CAMPAIGN_C: &str = "id = \"c\"\nname = \"C\"\nprovince = \"38\"\nconsolidating_unit = \"38.STTTT\"\nopens_on = \"2023-01-01\"\n\
     required_unit_kinds = [\"people_committee\", \"dic\", \"school\", \"police\"]\n\
     [[milestones]]\nid = \"levels\"\nname = \"Phê duyệt cấp độ\"\nmeasure = \"levels_approved\"\n\
     unit_deadline = \"2023-03-20\"\nreport_deadline = \"2023-03-22\"\n";

/// The signer of campaign `c`'s documents.
const DOCUMENT_C: &str =
    "[document]\nsigner_deputy_title = \"PHÓ GIÁM ĐỐC\"\nsigner_name = \"Nguyễn Văn An\"\n";

fn registry_dir() -> tempfile::TempDir {
    registry_dir_with(&format!("{CAMPAIGN_C}{DOCUMENT_C}"))
}

/// The fixtures' registry with campaign `c` defined by `campaign_toml`.
fn registry_dir_with(campaign_toml: &str) -> tempfile::TempDir {
    baocao_fixtures::DataDir::new()
        .admin(&[
            "38,province,Thanh Hóa,Tỉnh Thanh Hóa,tinh,",
            "380,district,Thanh Hóa,Thành phố Thanh Hóa,thanh-pho,38",
            "381,district,Bỉm Sơn,Thị xã Bỉm Sơn,thi-xa,38",
            "14755,commune,Hàm Rồng,Phường Hàm Rồng,phuong,380",
            "14761,commune,Nam Ngạn,Phường Nam Ngạn,phuong,380",
            "14809,commune,Bắc Sơn,Phường Bắc Sơn,phuong,381",
        ])
        .units(
            "38",
            &[
                "38.STTTT,dic,Sở TT&TT,38",
                "14755.TH,school,Trường TH Hàm Rồng,14755",
            ],
        )
        .units_with_contacts(
            "38",
            &[
                "380.CA,police,Công an TP,380,Lê Văn Tâm,Đội trưởng,0912 345 678,tam@ca.example",
                "14761,people_committee,,14761,Phạm Thị Hoa,Văn phòng - Thống kê,0237 3852 222,vp@namngan.example",
            ],
        )
        .campaign("c", campaign_toml)
        .write()
        .expect("a data directory")
}

/// A system decided (approved, implemented) on 1/3/2023.
fn system(
    code: &str,
    cameras: i64,
    level: i32,
    dossier: DossierStatus,
    plan: PlanStatus,
) -> CameraSystem {
    baocao_fixtures::system(code, cameras, level, dossier, plan, date(2023, 3, 1))
}

/// An envelope of campaign `c` received at `hh:mm` Vietnam time on `day`.
fn envelope(
    id: &str,
    unit: &str,
    day: (i32, u32, u32),
    hh: u32,
    mm: u32,
    systems: Vec<CameraSystem>,
) -> ReportEnvelope {
    common::envelope_at("c", unit, id, (day.0, day.1, day.2, hh, mm), 0, systems)
}

fn fixture() -> Vec<ReportEnvelope> {
    use DossierStatus::{Approved, Preparing, Submitted};
    use PlanStatus::{Implemented, InProgress, NotStarted};
    let mut dic = envelope(
        "s6",
        "38.STTTT",
        (2023, 3, 1),
        9,
        0,
        vec![system("A", 20, 2, Approved, InProgress)],
    );
    if let Some(r) = dic.report.as_mut() {
        r.budget_allocated_vnd = 100_000_000;
        r.media = Some(MediaIndicators { items_broadcast: 5 });
    }
    let mut police = envelope(
        "s5",
        "380.CA",
        (2023, 3, 21),
        0,
        30,
        vec![system("B", 50, 3, Submitted, NotStarted)],
    );
    if let Some(r) = police.report.as_mut() {
        r.police = Some(PoliceIndicators {
            assessments_done: 3,
            cases_handled: 0,
        });
    }
    vec![
        dic.clone(),
        envelope(
            "s1",
            "14755",
            (2023, 3, 10),
            10,
            0,
            vec![system("S1", 10, 2, Submitted, NotStarted)],
        ),
        envelope(
            "s2",
            "14755",
            (2023, 3, 15),
            10,
            0,
            vec![
                system("S1", 10, 2, Approved, InProgress),
                system("S2", 5, 1, Preparing, NotStarted),
            ],
        ),
        envelope(
            "s3",
            "14755.TH",
            (2023, 3, 21),
            9,
            0,
            vec![system("T", 4, 1, Approved, Implemented)],
        ),
        envelope("s4", "380", (2023, 3, 20), 23, 30, vec![]),
        police,
        // The DIC's report delivered a second time (a crash before the offset commit).
        dic,
        envelope(
            "s7",
            "38.STTTT",
            (2023, 3, 25),
            9,
            0,
            vec![system("A", 99, 2, Approved, Implemented)],
        ),
        envelope(
            "s8",
            "14809",
            (2023, 3, 25),
            9,
            0,
            vec![system("X", 7, 1, Preparing, NotStarted)],
        ),
    ]
}

async fn rollup(
    registry_dir: &Path,
    landing: &Path,
    out: &Path,
    cut_off: NaiveDate,
) -> RollupOutput {
    let of = common::RollupOf {
        registry_dir,
        landing,
        out,
        campaign: "c",
        milestone: "levels",
        // These fixtures include an empty campaign on purpose.
        allow_empty: true,
    };
    common::rollup_of(&of, cut_off).await
}

impl Summary<'_> {
    /// (expected, reported, on_time, late, missing).
    fn completeness(&self, tier: &str, code: &str) -> [i64; 5] {
        [
            "units_expected",
            "units_reported",
            "units_on_time",
            "units_late",
            "units_missing",
        ]
        .map(|c| self.int(tier, code, c))
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// The fixture landed under a fresh directory, with its registry.
struct Landed {
    registry_dir: tempfile::TempDir,
    root: tempfile::TempDir,
}

impl Landed {
    fn new() -> Self {
        let landed = Landed {
            registry_dir: registry_dir(),
            root: tempfile::tempdir().expect("tempdir"),
        };
        land(&landed.landing(), &fixture());
        landed
    }

    fn landing(&self) -> std::path::PathBuf {
        self.root.path().join("landing")
    }

    fn out(&self) -> std::path::PathBuf {
        self.root.path().join("out")
    }

    fn registry(&self) -> Registry {
        Registry::load(self.registry_dir.path()).expect("registry")
    }

    async fn rollup(&self, cut_off: NaiveDate) -> RollupOutput {
        rollup(
            self.registry_dir.path(),
            &self.landing(),
            &self.out(),
            cut_off,
        )
        .await
    }
}

#[tokio::test]
async fn hand_computed_rollup_at_the_report_deadline() {
    let landed = Landed::new();
    let output = landed.rollup(day(2023, 3, 22)).await;
    let s = Summary(&output.summary);

    // 1 province + 2 districts + 3 communes + 9 units, 8 of them expected (the
    // provincial People's Committee, to whose Chairman the report goes, is not).
    assert_eq!(output.summary.num_rows(), 15);
    assert_eq!(s.completeness("province", "38"), [8, 5, 3, 2, 3]);
    assert_eq!(s.completeness("district", "380"), [5, 4, 2, 2, 1]);
    assert_eq!(s.completeness("district", "381"), [2, 0, 0, 0, 2]);
    assert_eq!(s.completeness("commune", "14755"), [2, 2, 1, 1, 0]);
    assert_eq!(s.completeness("commune", "14761"), [1, 0, 0, 0, 1]);
    assert_eq!(
        s.completeness("commune", "14809"),
        [1, 0, 0, 0, 1],
        "reported after the cut-off"
    );

    // Unit states: the correction supersedes; the deadline ends at 24:00 Vietnam time.
    assert_eq!(s.text("unit", "14755", "report_status"), "on_time");
    assert_eq!(s.int("unit", "14755", "versions"), 2);
    assert_eq!(s.text("unit", "14755", "submission_id"), "s2");
    assert_eq!(
        s.text("unit", "380", "report_status"),
        "on_time",
        "23:30 on the deadline day"
    );
    assert_eq!(
        s.text("unit", "380.CA", "report_status"),
        "late",
        "00:30 the day after"
    );
    assert_eq!(s.text("unit", "14755.TH", "report_status"), "late");
    assert_eq!(s.text("unit", "38.STTTT", "report_status"), "on_time");
    assert_eq!(
        s.text("unit", "38.STTTT", "submission_id"),
        "s6",
        "s7 is after the cut-off"
    );
    assert_eq!(s.text("unit", "14809", "report_status"), "missing");

    // Measures, province: the duplicate delivery of s6 counts once.
    assert_eq!(s.int("province", "38", "systems"), 5);
    assert_eq!(s.int("province", "38", "cameras"), 89);
    assert_eq!(s.int("province", "38", "dossiers_approved"), 3);
    assert_eq!(s.int("province", "38", "approved_level_1"), 1);
    assert_eq!(s.int("province", "38", "approved_level_2"), 2);
    assert_eq!(s.int("province", "38", "proposed_level_3"), 1);
    assert_eq!(s.int("province", "38", "dossiers_submitted"), 4);
    assert_eq!(s.int("province", "38", "plans_implemented"), 1);
    assert_eq!(s.int("province", "38", "budget_vnd"), 100_000_000);
    assert_eq!(s.int("province", "38", "police_assessments_done"), 3);
    assert_eq!(s.int("province", "38", "media_items_broadcast"), 5);
    assert_eq!(s.int("district", "380", "systems"), 4);
    assert_eq!(s.int("district", "380", "cameras"), 69);
    assert_eq!(s.int("commune", "14755", "cameras"), 19);
    assert_eq!(s.int("unit", "38.STTTT", "cameras"), 20);

    // Late and missing list, lineage.
    assert_eq!(output.late_and_missing.num_rows(), 5);
    assert_eq!(output.lineage.submissions, 6);
    assert_eq!(output.lineage.landed_rows, 7);
    assert_eq!(output.lineage.units, 5);
    let dir = output.dir.as_local().expect("a local directory");
    assert!(dir.join("summary.parquet").exists());
    assert!(dir.join("late_and_missing.parquet").exists());
}

#[tokio::test]
async fn a_later_cut_off_takes_the_correction_and_the_late_unit() {
    let landed = Landed::new();
    let output = landed.rollup(day(2023, 3, 31)).await;
    let s = Summary(&output.summary);
    assert_eq!(s.text("unit", "38.STTTT", "submission_id"), "s7");
    assert_eq!(s.int("unit", "38.STTTT", "cameras"), 99);
    assert_eq!(s.int("unit", "38.STTTT", "plans_implemented"), 1);
    assert_eq!(
        s.text("unit", "38.STTTT", "report_status"),
        "on_time",
        "timeliness is the first report"
    );
    assert_eq!(s.text("unit", "14809", "report_status"), "late");
    assert_eq!(s.completeness("province", "38"), [8, 6, 3, 3, 2]);
    assert_eq!(s.int("province", "38", "cameras"), 89 - 20 + 99 + 7);
}

#[tokio::test]
async fn an_empty_campaign_rolls_up_to_every_unit_missing() {
    let registry = registry_dir();
    let root = tempfile::tempdir().expect("tempdir");
    let output = rollup(
        registry.path(),
        &root.path().join("nothing-landed"),
        &root.path().join("out"),
        day(2023, 3, 22),
    )
    .await;
    let s = Summary(&output.summary);
    assert_eq!(output.summary.num_rows(), 15);
    assert_eq!(s.completeness("province", "38"), [8, 0, 0, 0, 8]);
    assert_eq!(s.int("province", "38", "systems"), 0);
    assert_eq!(output.late_and_missing.num_rows(), 8);
    assert_eq!(output.lineage.submissions, 0);
    assert_eq!(output.lineage.last_received_at, None);
}

#[tokio::test]
async fn the_chairmans_report_renders_the_figures_in_vietnamese() {
    let landed = Landed::new();
    let output = landed.rollup(day(2023, 3, 22)).await;
    let data = levels_report_data(&landed.registry(), &output);
    assert_eq!(data.areas.len(), 2);
    assert_eq!(data.area_tier, baocao_report::AreaTier::District);
    assert_eq!(
        data.provincial_units.units_expected, 1,
        "the DIC (not UBND tỉnh, to whose Chairman the report goes)"
    );
    let markdown = baocao_report::render_markdown(&data);
    assert!(markdown.contains("Số đơn vị phải báo cáo: 8"), "{markdown}");
    assert!(
        markdown.contains("Đã báo cáo: 5 (62,5%), trong đó đúng hạn 3, trễ hạn 2"),
        "{markdown}"
    );
    assert!(
        markdown.contains("đã được phê duyệt cấp độ: 3 (60,0%)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| Thành phố Thanh Hóa | 5 | 4 | 2 | 2 | 1 | 0 | 4 | 69 | 2 | 50,0% |"),
        "{markdown}"
    );
    assert!(markdown.contains("Số liệu tính đến hết ngày 22/03/2023"));
    assert!(
        markdown
            .contains("| 380.CA | Công an TP | Thành phố Thanh Hóa | Trễ hạn | 00:30 21/03/2023 |"),
        "{markdown}"
    );
    assert!(
        !markdown.contains("| 38 | UBND tỉnh Thanh Hóa |"),
        "the committee the report is addressed to is not a unit late to it: {markdown}"
    );
    assert!(
        markdown.contains("### 3.2 Đơn vị chưa báo cáo (3)"),
        "{markdown}"
    );
    let html = baocao_report::render_html(&data);
    assert!(html.contains(
        "<td>380.CA</td><td>Công an TP</td><td>Thành phố Thanh Hóa</td><td>Trễ hạn</td>"
    ));
    let files = baocao_rollup::documents::write_reports(&data, &output.dir, None)
        .await
        .expect("reports");
    assert_eq!(files.len(), 5);
    let xlsx = std::fs::read(&files[2]).expect("xlsx");
    assert_eq!(&xlsx[..2], b"PK", "an XLSX is a zip container");
    the_workbook_prints_and_counts(&xlsx);
    the_html_prints_on_a4_by_section(std::path::Path::new(&files[1]));
    let headline = headline_of_summary(&output);
    the_docx_has_every_decree_30_element(&std::fs::read(&files[3]).expect("docx"), &headline);
    libreoffice_opens_the_docx(Path::new(&files[3]));
    the_pdf_is_a4_with_the_font_embedded(Path::new(&files[4]), &headline);
}

/// The headline sentences as the document must print them, from the province's row of
/// `summary.parquet` itself (not from the report's own extraction).
fn headline_of_summary(output: &RollupOutput) -> Vec<String> {
    use baocao_registry::{vn_number, vn_percent};
    let summary = &output.summary;
    let tier = arrow::compute::cast(
        summary.column_by_name("tier").expect("tier"),
        &DataType::Utf8,
    )
    .expect("utf8");
    let row = (0..summary.num_rows())
        .find(|&r| tier.as_string::<i32>().value(r) == "province")
        .expect("a province row");
    let int = |name: &str| {
        let column =
            arrow::compute::cast(summary.column_by_name(name).expect(name), &DataType::Int64)
                .expect("int64");
        column.as_primitive::<Int64Type>().value(row)
    };
    vec![
        format!(
            "Số đơn vị phải báo cáo: {}",
            vn_number(int("units_expected"))
        ),
        format!(
            "Đã báo cáo: {} ({})",
            vn_number(int("units_reported")),
            vn_percent(int("units_reported"), int("units_expected"))
        ),
        format!("Chưa báo cáo: {}", vn_number(int("units_missing"))),
        format!(
            "Số hệ thống thông tin có sử dụng camera giám sát: {} (tổng số camera: {})",
            vn_number(int("systems")),
            vn_number(int("cameras"))
        ),
        format!(
            "đã được phê duyệt cấp độ: {} ({})",
            vn_number(int("dossiers_approved")),
            vn_percent(int("dossiers_approved"), int("systems"))
        ),
    ]
}

/// The elements of an administrative document (Decree 30/2020/NĐ-CP) the DOCX and the
/// PDF must both show, with the figures of the fixture's summary.
const DECREE_30_ELEMENTS: &[&str] = &[
    "UBND TỈNH THANH HÓA",
    "SỞ TT&TT",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "/BC-STTTT",
    "Thanh Hóa, ngày 22 tháng 3 năm 2023",
    "BÁO CÁO",
    "Kết quả phê duyệt cấp độ",
    "Kính gửi: Chủ tịch Ủy ban nhân dân tỉnh Thanh Hóa.",
    "I. KẾT QUẢ THỰC HIỆN",
    "II. TỒN TẠI, HẠN CHẾ",
    "III. ĐỀ XUẤT, KIẾN NGHỊ",
    "Nơi nhận:",
    "- Như trên;",
    "- Lưu: VT, STTTT.",
    "KT. GIÁM ĐỐC",
    "PHÓ GIÁM ĐỐC",
    "Nguyễn Văn An",
    "PHỤ LỤC I",
    "PHỤ LỤC II",
    // Section II drafted from the figures.
    "Thị xã Bỉm Sơn (0,0%)",
    // The late list to chase with.
    "Lê Văn Tâm",
    "0912 345 678",
    "tam@ca.example",
    "Đơn vị báo cáo trễ hạn (2)",
    "Đơn vị chưa báo cáo (3)",
];

/// The text of a DOCX's body: its `w:t` runs, a paragraph per line.
fn docx_text(docx: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("word/document.xml").expect("document.xml"),
        &mut xml,
    )
    .expect("read");
    let mut text = String::new();
    for paragraph in xml.split("</w:p>") {
        for run in paragraph.split("<w:t").skip(1) {
            let body = run.split_once('>').map(|(_, rest)| rest).unwrap_or("");
            let body = body.split("</w:t>").next().unwrap_or("");
            text.push_str(
                &body
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">"),
            );
        }
        text.push('\n');
    }
    text
}

fn the_docx_has_every_decree_30_element(docx: &[u8], headline: &[String]) {
    let text = docx_text(docx);
    for element in DECREE_30_ELEMENTS
        .iter()
        .copied()
        .chain(headline.iter().map(String::as_str))
    {
        assert!(text.contains(element), "DOCX lacks {element:?}:\n{text}");
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("word/document.xml").expect("document.xml"),
        &mut xml,
    )
    .expect("read");
    // A4 portrait for the body, A4 landscape for the appendices, Decree 30's margins
    // (top 20 mm = 1134 twips, left 30 mm = 1701), header rows repeated.
    assert!(
        xml.contains("w:w=\"11906\" w:h=\"16838\""),
        "no A4 portrait section"
    );
    assert!(
        xml.contains("w:w=\"16838\" w:h=\"11906\""),
        "no A4 landscape section"
    );
    assert!(xml.contains("w:top=\"1134\"") && xml.contains("w:left=\"1701\""));
    assert!(
        xml.contains("<w:tblHeader />"),
        "appendix headers do not repeat"
    );
    let images = (0..archive.len())
        .filter_map(|i| archive.by_index(i).ok().map(|f| f.name().to_string()))
        .filter(|name| name.starts_with("word/media/") && name.ends_with(".png"))
        .count();
    assert_eq!(images, 2, "the two charts");
}

/// LibreOffice (Debian's, as a DIC officer might use) opens the DOCX and lays it out on
/// A4 with the letterhead and the appendices.
fn libreoffice_opens_the_docx(docx: &Path) {
    let out_dir = docx.with_file_name("soffice");
    let profile = docx.with_file_name("soffice-profile");
    let converted = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&out_dir)
        .arg(docx)
        .output()
        .expect("soffice (scripts/install-deps.sh installs LibreOffice)");
    let pdf = out_dir.join("bao-cao.pdf");
    assert!(
        pdf.exists(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    for element in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "PHỤ LỤC II",
        "Lê Văn Tâm",
    ] {
        assert!(
            text.contains(element),
            "LibreOffice's rendering lacks {element:?}:\n{text}"
        );
    }
}

fn the_pdf_is_a4_with_the_font_embedded(pdf: &Path, headline: &[String]) {
    let run = |tool: &str, args: &[&str]| {
        let out = std::process::Command::new(tool)
            .args(args)
            .arg(pdf)
            .args(if tool == "pdftotext" {
                &["-"][..]
            } else {
                &[][..]
            })
            .output()
            .unwrap_or_else(|err| panic!("{tool} (poppler-utils): {err}"));
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let info = run("pdfinfo", &[]);
    assert!(info.contains("595.276 x 841.89 pts (A4)"), "{info}");
    // When it was made is the file's metadata, not words an officer signs.
    assert!(info.contains("CreationDate:"), "{info}");
    let fonts = run("pdffonts", &[]);
    let serif: Vec<&str> = fonts
        .lines()
        .filter(|l| l.contains("LiberationSerif"))
        .collect();
    assert!(serif.len() >= 3, "{fonts}");
    assert!(
        serif
            .iter()
            .all(|l| l.split_whitespace().rev().nth(4) == Some("yes")),
        "every font embedded: {fonts}"
    );
    let text = run("pdftotext", &["-layout"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for element in DECREE_30_ELEMENTS
        .iter()
        .copied()
        .chain(headline.iter().map(String::as_str))
    {
        let element = element.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&element), "PDF lacks {element:?}:\n{text}");
    }
    assert!(
        !flat.contains("Tạo lúc"),
        "no generation stamp in the body:\n{text}"
    );
}

/// The HTML report printed by Debian's chromium (as an official would print it): A4, and
/// each of its three parts on a page of its own.
fn the_html_prints_on_a4_by_section(html: &Path) {
    let pdf = html.with_file_name("html-printed.pdf");
    let printed = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium (scripts/install-deps.sh installs it)");
    assert!(pdf.exists(), "{}", String::from_utf8_lossy(&printed.stderr));
    let info = std::process::Command::new("pdfinfo")
        .arg(&pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    assert!(info.contains("(A4)"), "{info}");
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert_eq!(pages, 3, "headline, table by area, units to urge: {info}");
}

/// Every XML part of a workbook, by name.
fn xlsx_parts(xlsx: &[u8]) -> std::collections::BTreeMap<String, String> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("zip");
    let mut parts = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).expect("part");
        let mut text = String::new();
        if part.read_to_string(&mut text).is_ok() {
            parts.insert(part.name().to_string(), text);
        }
    }
    parts
}

/// The Chairman's workbook: A4, fitted to the width, header rows repeated and frozen,
/// Vietnamese number formats, codes as text, an autofilter, two charts; and the same
/// figures as the Markdown, as numbers.
fn the_workbook_prints_and_counts(xlsx: &[u8]) {
    let parts = xlsx_parts(xlsx);
    let part = |name: &str| parts.get(name).cloned().unwrap_or_default();
    let styles = part("xl/styles.xml");
    for format in ["[$-42A]#,##0", "[$-42A]0.0%"] {
        assert!(
            styles.contains(&format!("formatCode=\"{format}\"")),
            "{styles}"
        );
    }
    assert!(
        styles.contains("numFmtId=\"49\"") || styles.contains("formatCode=\"@\""),
        "codes formatted as text: {styles}"
    );
    for (sheet, orientation) in [(1, "portrait"), (2, "landscape"), (3, "landscape")] {
        let xml = part(&format!("xl/worksheets/sheet{sheet}.xml"));
        for needle in [
            "paperSize=\"9\"".to_string(),
            format!("orientation=\"{orientation}\""),
            "fitToHeight=\"0\"".to_string(),
            "fitToPage=\"1\"".to_string(),
        ] {
            assert!(xml.contains(&needle), "sheet {sheet}: no {needle}");
        }
    }
    for sheet in [2, 3] {
        let xml = part(&format!("xl/worksheets/sheet{sheet}.xml"));
        assert!(xml.contains("state=\"frozen\""), "sheet {sheet} not frozen");
    }
    assert!(part("xl/worksheets/sheet3.xml").contains("<autoFilter ref=\"A2:K"));
    let workbook = part("xl/workbook.xml");
    assert!(
        workbook.contains("_xlnm.Print_Titles") && workbook.contains("$1:$1"),
        "{workbook}"
    );
    let charts = parts
        .keys()
        .filter(|k| k.starts_with("xl/charts/chart"))
        .count();
    assert_eq!(charts, 2, "{:?}", parts.keys().collect::<Vec<_>>());

    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).expect("workbook");
    let areas = book.worksheet_range("Theo huyện").expect("sheet");
    let row = areas
        .rows()
        .find(|r| r.first() == Some(&Data::String("Thành phố Thanh Hóa".into())))
        .expect("the district's row");
    let numbers: Vec<f64> = row[1..10]
        .iter()
        .map(|c| match c {
            Data::Float(f) => *f,
            other => panic!("not a number: {other:?}"),
        })
        .collect();
    assert_eq!(numbers, [5.0, 4.0, 2.0, 2.0, 1.0, 0.0, 4.0, 69.0, 2.0]);
    assert_eq!(row[10], Data::Float(0.5));
    assert_eq!(row[11], Data::Float(0.8), "4 of 5 units reported");
    let late = book
        .worksheet_range("Trễ hạn - chưa báo cáo")
        .expect("sheet");
    assert!(
        late.rows()
            .any(|r| r.first() == Some(&Data::String("380.CA".into()))),
        "codes are text"
    );
}

/// A register without districts (the two-tier structure since 1/7/2025): the report
/// lists communes, says "cấp xã", and keeps the communes' units out of the provincial
/// units.
#[tokio::test]
async fn a_register_without_districts_is_reported_by_commune() {
    let registry_dir = baocao_fixtures::DataDir::new()
        .admin(&[
            "38,province,Thanh Hóa,Tỉnh Thanh Hóa,tinh,",
            "14755,commune,Hàm Rồng,Phường Hàm Rồng,phuong,38",
            "14761,commune,Nam Ngạn,Phường Nam Ngạn,phuong,38",
        ])
        .units(
            "38",
            &[
                "38.STTTT,dic,Sở TT&TT,38",
                "14755.TH,school,Trường TH Hàm Rồng,14755",
            ],
        )
        .campaign(
            "c",
            "id = \"c\"\nname = \"C\"\nprovince = \"38\"\nconsolidating_unit = \"38.STTTT\"\n\
             opens_on = \"2023-01-01\"\nrequired_unit_kinds = [\"people_committee\", \"dic\", \"school\"]\n\
             [[milestones]]\nid = \"levels\"\nname = \"Phê duyệt cấp độ\"\nmeasure = \"levels_approved\"\n\
             unit_deadline = \"2023-03-20\"\nreport_deadline = \"2023-03-22\"\n",
        )
        .write()
        .expect("a data directory");
    let root = tempfile::tempdir().expect("tempdir");
    let school = envelope(
        "s1",
        "14755.TH",
        (2023, 3, 10),
        9,
        0,
        vec![system(
            "A",
            8,
            2,
            DossierStatus::Approved,
            PlanStatus::Implemented,
        )],
    );
    land(&root.path().join("landing"), &[school]);
    let output = rollup(
        registry_dir.path(),
        &root.path().join("landing"),
        &root.path().join("out"),
        day(2023, 3, 22),
    )
    .await;
    let registry = Registry::load(registry_dir.path()).expect("registry");
    let data = levels_report_data(&registry, &output);
    assert_eq!(data.area_tier, baocao_report::AreaTier::Commune);
    let names: Vec<&str> = data.areas.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Phường Hàm Rồng", "Phường Nam Ngạn"]);
    assert_eq!(
        data.provincial_units.units_expected, 1,
        "the DIC: not UBND tỉnh (the report goes to its Chairman), not the communes' units"
    );
    assert_eq!(
        data.areas[0].units_expected, 2,
        "UBND phường and the school"
    );
    assert_eq!(data.areas[0].units_reported, 1);
    let markdown = baocao_report::render_markdown(&data);
    assert!(
        markdown.contains("Chi tiết theo đơn vị hành chính cấp xã"),
        "{markdown}"
    );
    assert!(!markdown.contains("cấp huyện"), "{markdown}");
    assert!(
        markdown.contains("| Mã | Đơn vị | Xã, phường |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| 14761 | UBND phường Nam Ngạn | Phường Nam Ngạn | Chưa báo cáo |"),
        "{markdown}"
    );
    let xlsx = baocao_report::xlsx_bytes(&data).expect("workbook");
    let parts = xlsx_parts(&xlsx);
    let workbook = parts.get("xl/workbook.xml").cloned().unwrap_or_default();
    assert!(workbook.contains("name=\"Theo xã\""), "{workbook}");
}

#[tokio::test]
async fn the_analysts_catalog_deduplicates_cuts_history_and_lists_summaries() {
    use baocao_catalog::{CatalogSources, catalog_session, run_query};
    let landed = Landed::new();
    landed.rollup(day(2023, 3, 22)).await;
    let (landing, out, registry) = (landed.landing(), landed.out(), landed.registry());
    let count = |ctx: datafusion::prelude::SessionContext, sql: &'static str| async move {
        let batches = run_query(&ctx, sql).await.expect(sql);
        let column = arrow::compute::cast(batches[0].column(0), &DataType::Int64).expect("cast");
        column.as_primitive::<Int64Type>().value(0)
    };
    let (landing, out) = (Store::local(landing), Store::local(out));
    let sources = |as_of| CatalogSources {
        registry: &registry,
        landing: &landing,
        summaries: &out,
        as_of,
        scope: None,
    };
    // An analyst of Thành phố Thanh Hóa (380) sees its units only.
    let district = catalog_session(&CatalogSources {
        scope: Some("380"),
        ..sources(None)
    })
    .await
    .expect("scoped catalog");
    assert_eq!(
        count(district.clone(), "SELECT count(*) FROM units").await,
        5
    );
    assert_eq!(
        count(district.clone(), "SELECT count(*) FROM summaries").await,
        8,
        "district 380, communes 14755 and 14761, its 5 units"
    );
    assert_eq!(
        count(
            district.clone(),
            "SELECT count(*) FROM summaries WHERE tier = 'province'"
        )
        .await,
        0
    );
    assert_eq!(
        count(district.clone(), "SELECT count(*) FROM submissions WHERE unit_code NOT IN ('380', '380.CA', '14755', '14755.TH', '14761')").await,
        0
    );
    assert_eq!(
        count(district.clone(), "SELECT count(*) FROM submissions").await,
        5,
        "s1 s2 s3 s4 s5"
    );
    assert!(
        run_query(&district, "SELECT count(*) FROM __raw")
            .await
            .is_err(),
        "no unfiltered table is reachable"
    );
    let ctx = catalog_session(&sources(None)).await.expect("catalog");
    assert_eq!(
        count(ctx.clone(), "SELECT count(*) FROM submissions_raw").await,
        9,
        "the duplicate is in the raw history"
    );
    assert_eq!(
        count(ctx.clone(), "SELECT count(*) FROM submissions").await,
        8
    );
    assert_eq!(
        count(ctx.clone(), "SELECT count(*) FROM unit_state").await,
        6
    );
    assert_eq!(
        count(
            ctx.clone(),
            "SELECT cast(sum(camera_count) AS BIGINT) FROM systems WHERE submission_id = 's7'"
        )
        .await,
        99
    );
    assert_eq!(
        count(
            ctx.clone(),
            "SELECT count(*) FROM summaries WHERE campaign_id = 'c' AND milestone_id = 'levels'"
        )
        .await,
        15
    );
    assert_eq!(
        count(
            ctx.clone(),
            "SELECT count(*) FROM units WHERE district_code = '380'"
        )
        .await,
        5
    );
    // Weekly trend: weeks of 27/2, 6/3, 13/3, 20/3 (Monday starts).
    assert_eq!(
        count(ctx.clone(), "SELECT count(*) FROM weekly_trend").await,
        4
    );
    assert_eq!(
        count(ctx.clone(), "SELECT units_reported * 100 + approved * 10 + implemented FROM weekly_trend WHERE week_start = '2023-03-06T00:00:00Z'").await,
        2 * 100 + 10,
        "week of 6/3: 14755 (s1) and the DIC (s6, approved)"
    );
    assert_eq!(
        count(ctx.clone(), "SELECT units_reported * 100 + approved * 10 + implemented FROM weekly_trend WHERE week_start = '2023-03-20T00:00:00Z'").await,
        6 * 100 + 3 * 10 + 2,
        "week of 20/3: six units; s2, s3, s7 approved; s3, s7 implemented"
    );
    // As of 22/3: s7 and s8 (25/3) did not exist yet.
    let then = catalog_session(&sources(Some(day(2023, 3, 22))))
        .await
        .expect("catalog");
    assert_eq!(
        count(then.clone(), "SELECT count(*) FROM submissions").await,
        6
    );
    assert_eq!(
        count(
            then,
            "SELECT count(*) FROM unit_state WHERE unit_code = '38.STTTT' AND submission_id = 's6'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_units_history_lists_versions_and_what_changed() {
    use baocao_catalog::history::{Change, diff, unit_history};
    use baocao_catalog::{CatalogSources, catalog_session};
    let landed = Landed::new();
    let registry = landed.registry();
    let ctx = catalog_session(&CatalogSources {
        registry: &registry,
        landing: &Store::local(landed.landing()),
        summaries: &Store::local(landed.out()),
        as_of: None,
        scope: None,
    })
    .await
    .expect("catalog");
    let versions = unit_history(&ctx, "14755", Some("c"))
        .await
        .expect("history");
    let ids: Vec<_> = versions.iter().map(|v| v.submission_id.as_str()).collect();
    assert_eq!(ids, ["s1", "s2"]);
    assert_eq!(
        versions[0]
            .who
            .get("authenticated_unit")
            .map(String::as_str),
        Some("14755")
    );
    let changes = diff(&versions[0], &versions[1]);
    for expected in [
        Change::Field("system_count".into(), "1".into(), "2".into()),
        Change::SystemField(
            "S1".into(),
            "dossier_status".into(),
            "submitted".into(),
            "approved".into(),
        ),
        Change::SystemField(
            "S1".into(),
            "plan_status".into(),
            "not_started".into(),
            "in_progress".into(),
        ),
        Change::SystemField("S1".into(), "approved_level".into(), "∅".into(), "2".into()),
        Change::SystemAdded("S2".into()),
    ] {
        assert!(changes.contains(&expected), "{expected} not in {changes:?}");
    }
    assert!(
        !changes
            .iter()
            .any(|c| matches!(c, Change::SystemRemoved(_)))
    );
    // The DIC's report landed twice: one version, not two.
    assert_eq!(
        unit_history(&ctx, "38.STTTT", None)
            .await
            .expect("history")
            .len(),
        2,
        "s6 once, then s7"
    );
    assert!(
        unit_history(&ctx, "no-such-unit'; DROP", None)
            .await
            .expect("history")
            .is_empty()
    );
}

/// Every landed `.parquet` file under `dir`, sorted.
fn parquet_files(dir: &Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|x| x == "parquet") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, &mut found);
    found.sort();
    found
}

/// Lands `envelopes` again beside what `root` holds, in files named `<tag>-…`.
fn land_again(root: &Path, envelopes: &[ReportEnvelope], tag: &str) {
    let staging = tempfile::tempdir().expect("tempdir");
    land(staging.path(), envelopes);
    for file in parquet_files(staging.path()) {
        let relative = file.strip_prefix(staging.path()).expect("under staging");
        let name = format!(
            "{tag}-{}",
            relative.file_name().expect("name").to_string_lossy()
        );
        let to = root.join(relative).with_file_name(name);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::rename(&file, &to).expect("move");
    }
}

#[tokio::test]
async fn compaction_merges_files_and_changes_no_figure() {
    use baocao_landing::compact::{CompactionConfig, compact_landing};
    let landed = Landed::new();
    // A re-delivered copy of the whole fixture in files of its own: the rollup counts
    // each submission once before and after compaction.
    land_again(&landed.landing(), &fixture(), "copy");
    let before = landed.rollup(day(2023, 3, 22)).await;
    let files_before = parquet_files(&landed.landing()).len();

    // Segments of 3 rows: several segments, the last one partial.
    let small = CompactionConfig { target_rows: 3 };
    let landing = Store::local(landed.landing());
    let first = compact_landing(&landing, small).await.expect("compact");
    assert_eq!(first.files_merged, files_before);
    let after_first = parquet_files(&landed.landing());
    assert!(
        after_first
            .iter()
            .all(|p| p.to_string_lossy().contains("segment=compacted")),
        "only segments are left: {after_first:?}"
    );
    let once = landed.rollup(day(2023, 3, 22)).await;
    assert_eq!(once.summary, before.summary);
    assert_eq!(once.late_and_missing, before.late_and_missing);
    assert_eq!(once.lineage.submissions, before.lineage.submissions);
    assert_eq!(once.lineage.landed_rows, before.lineage.landed_rows);

    // New files landed after compaction are merged with the partial segments only; full
    // segments are never rewritten.
    let full_segments: Vec<_> = after_first
        .iter()
        .filter(|p| {
            let file = std::fs::File::open(p).expect("open");
            let reader = parquet::file::reader::SerializedFileReader::new(file).expect("parquet");
            parquet::file::reader::FileReader::metadata(&reader)
                .file_metadata()
                .num_rows()
                >= 3
        })
        .cloned()
        .collect();
    assert!(!full_segments.is_empty());
    land_again(&landed.landing(), &fixture()[..2], "late");
    let second = compact_landing(&landing, small)
        .await
        .expect("compact again");
    assert!(second.files_merged > 0);
    for segment in &full_segments {
        assert!(segment.exists(), "{} was rewritten", segment.display());
    }
    // Nothing left to merge: a third run does nothing.
    let third = compact_landing(&landing, CompactionConfig { target_rows: 3 })
        .await
        .expect("compact a third time");
    assert_eq!(third.files_merged, 0, "{third:?}");
    let twice = landed.rollup(day(2023, 3, 22)).await;
    assert_eq!(twice.summary, before.summary);
}

#[tokio::test]
async fn the_production_selection_matches_the_sql_specification() {
    let landed = Landed::new();
    // A re-delivered copy of part of the fixture, so that the de-duplication is exercised.
    land_again(&landed.landing(), &fixture()[..3], "copy");
    let registry = landed.registry();
    let campaign = registry.campaign("c").expect("campaign");
    let milestone = campaign.milestone("levels").expect("milestone");
    let landing = Store::local(landed.landing());
    for cut_off in [day(2023, 3, 1), day(2023, 3, 22), day(2023, 4, 30)] {
        common::assert_selection_matches_spec(&registry, campaign, milestone, cut_off, &landing)
            .await;
    }
}

/// The report's data for milestone `levels` of campaign `c` (the fixtures' campaign).
fn levels_report_data(registry: &Registry, output: &RollupOutput) -> baocao_report::ReportData {
    let campaign = registry.campaign("c").expect("campaign");
    let milestone = campaign.milestone("levels").expect("milestone");
    baocao_report::ReportData::from_rollup(
        registry,
        campaign,
        milestone,
        output,
        &Default::default(),
    )
    .expect("report data")
}

/// The note "also not on time at the earlier milestone" comes from the landed reports as
/// at the earlier unit deadline (20/3): rolling up the second milestone alone, into an
/// empty output directory, still marks the units that had not reported by then (five:
/// two late, three missing), and the report says which milestone and what it means.
#[tokio::test]
async fn units_late_at_the_earlier_milestone_come_from_the_landed_reports() {
    let plans = "[[milestones]]\nid = \"plans\"\nname = \"Triển khai phương án\"\n\
                 measure = \"plans_implemented\"\nunit_deadline = \"2023-09-10\"\n\
                 report_deadline = \"2023-09-20\"\n";
    let registry_dir = registry_dir_with(&format!("{CAMPAIGN_C}{plans}{DOCUMENT_C}"));
    let root = tempfile::tempdir().expect("tempdir");
    let landing = root.path().join("landing");
    land(&landing, &fixture());
    let registry = Registry::load(registry_dir.path()).expect("registry");
    let campaign = registry.campaign("c").expect("campaign");
    let store = Store::local(&landing);
    let at = |milestone: &str| {
        let milestone = campaign.milestone(milestone).expect("milestone");
        baocao_rollup::units_late_at_earlier_milestones(&registry, campaign, milestone, &store)
    };
    assert!(at("levels").await.expect("first").is_empty());
    let late_before = at("plans").await.expect("earlier");
    assert_eq!(
        late_before.iter().map(String::as_str).collect::<Vec<_>>(),
        ["14755.TH", "14761", "14809", "380.CA", "381"]
    );

    let of = common::RollupOf {
        registry_dir: registry_dir.path(),
        landing: &landing,
        out: &root.path().join("empty-out"),
        campaign: "c",
        milestone: "plans",
        allow_empty: true,
    };
    let output = common::rollup_of(&of, day(2023, 9, 20)).await;
    let milestone = campaign.milestone("plans").expect("plans");
    let data = baocao_report::ReportData::from_rollup(
        &registry,
        campaign,
        milestone,
        &output,
        &late_before,
    )
    .expect("report data");
    // Missing or not updated at "plans": 14755 and 380 (reports from before its window),
    // 381 and 14761 (none); of these, 381 and 14761 had not reported by 20/3 either.
    let mut marked: Vec<&str> = data
        .late_and_missing
        .iter()
        .filter(|u| u.late_before)
        .map(|u| u.code.as_str())
        .collect();
    marked.sort_unstable();
    assert_eq!(marked, ["14761", "381"]);
    assert_eq!(data.late_and_missing.len(), 4);
    let files = baocao_rollup::documents::write_reports(&data, &output.dir, None)
        .await
        .expect("reports");
    let text = docx_text(&std::fs::read(&files[3]).expect("docx"));
    assert!(
        text.contains(
            "2 đơn vị cũng không báo cáo đúng hạn ở đợt trước (hạn 20/03/2023): đến hết hạn chưa gửi báo cáo của đợt (gửi muộn, không gửi hoặc không cập nhật)"
        ),
        "{text}"
    );
}

/// The rows (from, to) each chart of a drawing part spans.
fn chart_anchor_rows(drawing: &str) -> Vec<(u32, u32)> {
    let rows_in = |tag: &str| -> Vec<u32> {
        drawing
            .split(&format!("<xdr:{tag}>"))
            .skip(1)
            .filter_map(|part| {
                let row = part.split("<xdr:row>").nth(1)?;
                row.split('<').next()?.parse().ok()
            })
            .collect()
    };
    rows_in("from").into_iter().zip(rows_in("to")).collect()
}

/// On the 2025 map a province reports by 166 communes: the workbook's area sheet draws
/// them in charts of at most 25 bars, each after a page break and ending before the next,
/// so no chart is cut across printed pages.
#[tokio::test]
async fn the_area_charts_of_many_communes_each_fit_one_page() {
    let landed = Landed::new();
    let output = landed.rollup(day(2023, 3, 22)).await;
    let mut data = levels_report_data(&landed.registry(), &output);
    let template = data.areas[0].clone();
    data.areas = (1..=166)
        .map(|i| baocao_report::Figures {
            name: format!("Xã số {i}"),
            ..template.clone()
        })
        .collect();
    let parts = xlsx_parts(&baocao_report::xlsx_bytes(&data).expect("xlsx"));
    let charts = parts
        .keys()
        .filter(|k| k.starts_with("xl/charts/chart"))
        .count();
    assert_eq!(
        charts,
        1 + 7,
        "167 rows in charts of 25, and the levels chart"
    );
    let sheet = &parts["xl/worksheets/sheet2.xml"];
    let breaks: Vec<u32> = sheet
        .split("<brk id=\"")
        .skip(1)
        .filter_map(|b| b.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(breaks.len(), 7, "{sheet}");
    let anchors = parts
        .iter()
        .filter(|(name, _)| name.starts_with("xl/drawings/drawing"))
        .map(|(_, xml)| chart_anchor_rows(xml))
        .find(|anchors| anchors.len() == 7)
        .expect("the area sheet's drawing");
    for (i, (from, to)) in anchors.iter().enumerate() {
        assert_eq!(*from, breaks[i], "chart {i} starts a page");
        let next_break = breaks.get(i + 1).copied().unwrap_or(u32::MAX);
        assert!(
            *to < next_break && to - from < 30,
            "chart {i} (rows {from}-{to}) ends before the next page break {next_break}"
        );
    }
}
