//! The form written by `write_form` reads back into the reports it was pre-filled with,
//! its print setup, lists and protection are in the file, and hostile files are refused
//! by name before they can use memory.

use std::io::Read;

use baocao_proto::v1::StatusReport;
use baocao_registry::{AdminLevel, Contact, ReportingUnit};
use baocao_sheets::{Error, FormSpec, FormUnit, parse, read_file, write_form};
use chrono::NaiveDate;

fn unit(code: &str, kind: &str, contact: Contact) -> ReportingUnit {
    ReportingUnit {
        code: code.into(),
        kind: kind.into(),
        name: format!("Đơn vị {code}"),
        area_code: "38".into(),
        tier: AdminLevel::Province,
        parent_code: "38".into(),
        contact,
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 15).expect("date")
}

fn form(
    units: &[ReportingUnit],
    lasts: &[Option<StatusReport>],
    blocks: &[Vec<String>],
) -> Vec<u8> {
    write_form(&FormSpec {
        campaign_id: "th-2026",
        campaign_name: "Đợt thử",
        for_whom: "Tỉnh Thanh Hóa",
        units: units
            .iter()
            .zip(lasts)
            .zip(blocks)
            .map(|((unit, last), blocks)| FormUnit {
                unit,
                blocks,
                last: last.as_ref(),
            })
            .collect(),
        today: today(),
    })
    .expect("form")
}

#[test]
fn a_form_reads_back_as_the_reports_it_was_filled_with() {
    let mut last = baocao_fixtures::complete_report("th-2026", "38.A", "x", today());
    last.telecom = Some(baocao_proto::v1::TelecomIndicators {
        cameras_checked: 12_345,
        non_compliant_found: 2,
        users_notified: 2,
        non_compliant_handled: 1,
    });
    last.national_regulation_applied = Some(false);
    let contact = Contact {
        person: "Trần Văn Bình".into(),
        position: "Văn thư".into(),
        phone: "0237 3852 111".into(),
        email: "binh@example.vn".into(),
    };
    let units = [
        unit("38.A", "telecom", Contact::default()),
        unit("38.B", "school", contact),
    ];
    let blocks = [vec!["telecom".to_string()], vec![]];
    let bytes = form(&units, &[Some(last.clone()), None], &blocks);
    let sheets = read_file("form.xlsx", &bytes).expect("reads");
    let parsed = parse("form.xlsx", &sheets, None).expect("a form");
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert!(parsed.notes.is_empty(), "{:?}", parsed.notes);
    assert_eq!(parsed.units.len(), 2);
    let mut back = parsed.units[0].report().expect("a report");
    assert_eq!(back.submission_id.len(), 36);
    back.submission_id = last.submission_id.clone();
    assert_eq!(back, last);
    let fresh = parsed.units[1].report().expect("a report");
    let reporter = fresh.reporter.expect("reporter");
    assert_eq!(
        (reporter.full_name.as_str(), reporter.phone.as_str()),
        ("Trần Văn Bình", "0237 3852 111")
    );
    assert_eq!(fresh.as_of, Some(baocao_fixtures::date_of(today())));
    assert!(
        fresh.telecom.is_none(),
        "a school reports no telecom figures"
    );
    // Cells are named where they are: the first system's level is on row 3 of the systems sheet.
    assert_eq!(
        parsed.units[0].locate("report.systems[0].proposed_level"),
        "Hệ thống camera!F3"
    );
    assert_eq!(parsed.units[1].locate("report.as_of"), "Đơn vị!D4");
    assert_eq!(parsed.units[1].locate("report.reporter"), "Đơn vị!E4");
}

/// The XML of one part of the workbook.
fn part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut text = String::new();
    archive
        .by_name(name)
        .expect(name)
        .read_to_string(&mut text)
        .expect("utf-8");
    text
}

#[test]
fn the_form_has_lists_dates_messages_protection_and_a4_printing() {
    let units = [unit("38.A", "school", Contact::default())];
    let bytes = form(&units, &[None], &[vec![]]);
    let workbook = part(&bytes, "xl/workbook.xml");
    for sheet in ["Hướng dẫn", "Đơn vị", "Hệ thống camera"] {
        assert!(workbook.contains(sheet), "{sheet}: {workbook}");
    }
    let systems = part(&bytes, "xl/worksheets/sheet3.xml");
    assert!(systems.contains("<sheetProtection"), "protected");
    assert!(systems.contains(r#"type="list""#), "drop-down lists");
    assert!(
        systems.contains("Đã phê duyệt cấp độ"),
        "dossier labels in the list"
    );
    assert!(systems.contains(r#"type="date""#), "date cells");
    assert!(
        systems.contains("promptTitle=\"Cấp độ đề xuất\""),
        "input messages"
    );
    assert!(systems.contains(r#"paperSize="9""#) && systems.contains(r#"orientation="landscape""#));
    assert!(systems.contains(r#"fitToHeight="0""#), "fit to width");
    assert!(
        workbook.contains("_xlnm.Print_Titles"),
        "repeated header rows"
    );
    let styles = part(&bytes, "xl/styles.xml");
    assert!(styles.contains(r#"locked="0""#), "input cells unlocked");
    assert!(styles.contains("dd/mm/yyyy"));
}

#[test]
fn files_that_are_not_forms_are_refused_by_name() {
    let csv = "Họ tên,Tuổi\nAn,30\n";
    match read_file("khac.csv", csv.as_bytes()).map(|s| parse("khac.csv", &s, None)) {
        Ok(Err(Error::NotAForm { file })) => assert_eq!(file, "khac.csv"),
        other => panic!("{other:?}"),
    }
    match read_file("cu.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0, 0]) {
        Err(Error::Format { reason, .. }) => assert!(reason.contains(".xls"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn hostile_files_are_refused_by_name_within_the_bounds() {
    let bomb = baocao_sheets::hostile::zip_bomb(100).expect("bomb");
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    match read_file("bom.xlsx", &bomb) {
        Err(Error::TooLarge { file, bytes, .. }) => {
            assert!(file.contains("sheet1.xml"), "{file}");
            assert!(bytes > 64 * 1024 * 1024);
        }
        other => panic!("{other:?}"),
    }
    let rows = baocao_sheets::hostile::many_rows(1_000_000).expect("rows");
    match read_file("dong.xlsx", &rows) {
        Err(Error::Bounds {
            sheet,
            cell,
            reason,
        }) => {
            assert_eq!((sheet.as_str(), cell.as_str()), ("Đơn vị", "A50001"));
            assert!(reason.contains("50.000 dòng"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let wide = baocao_sheets::hostile::wide_row(16_384).expect("wide");
    match read_file("cot.xlsx", &wide) {
        Err(Error::Bounds { cell, .. }) => assert_eq!(cell, "CW2"),
        other => panic!("{other:?}"),
    }
    let csv = baocao_sheets::hostile::oversized_csv(50 * 1024 * 1024);
    assert!(matches!(
        read_file("lon.csv", &csv),
        Err(Error::TooLarge { .. })
    ));
}

/// A form as people leave it: sheets renamed, title rows added above the headers, an
/// extra column, empty rows, a formula, a date typed as text, a merged cell.
#[test]
fn renamed_sheets_extra_columns_formulas_and_merged_cells_are_handled_by_name() {
    use rust_xlsxwriter::{Formula, Workbook};
    let mut workbook = Workbook::new();
    let units = workbook.add_worksheet();
    units.set_name("DV").expect("name");
    units.write(0, 0, "Báo cáo của huyện").expect("title");
    let unit_headers = [
        "Mã đơn vị",
        "Mã đợt báo cáo",
        "Số liệu tính đến ngày",
        "Người chịu trách nhiệm báo cáo",
        "Điện thoại",
        "Cột riêng của huyện",
    ];
    for (col, header) in unit_headers.iter().enumerate() {
        units.write(2, col as u16, *header).expect("header");
    }
    for (row, code) in [(3, "38.A"), (5, "38.B")] {
        for (col, value) in [code, "c", "20/3/2026", "An", "0912 000 111", "x"]
            .iter()
            .enumerate()
        {
            units.write(row, col as u16, *value).expect("cell");
        }
    }
    let systems = workbook.add_worksheet();
    systems.set_name("HT").expect("name");
    for (col, header) in ["Mã đơn vị", "Mã hệ thống", "Tên hệ thống", "Số camera"]
        .iter()
        .enumerate()
    {
        systems.write(0, col as u16, *header).expect("header");
    }
    systems.write(1, 0, "38.A").expect("cell");
    systems.write(1, 1, "CAM-01").expect("cell");
    systems.write(1, 2, "Cổng").expect("cell");
    systems
        .write_formula(1, 3, Formula::new("=2+3").set_result("5"))
        .expect("formula");
    systems
        .merge_range(2, 0, 3, 0, "38.B", &rust_xlsxwriter::Format::new())
        .expect("merge");
    systems.write(2, 1, "CAM-02").expect("cell");
    let bytes = workbook.save_to_buffer().expect("save");

    let sheets = read_file("huyen.xlsx", &bytes).expect("reads");
    let parsed = parse("huyen.xlsx", &sheets, None).expect("a form");
    assert_eq!(parsed.units.len(), 2);
    assert_eq!(
        parsed.notes,
        ["DV!F3: cột “Cột riêng của huyện” không thuộc biểu mẫu, bỏ qua"]
    );
    let a = parsed.units[0].report().expect("38.A reads");
    assert_eq!(a.as_of, Some(baocao_fixtures::date(2026, 3, 20)));
    assert_eq!(a.systems.len(), 1);
    assert_eq!(a.systems[0].camera_count, 5, "the formula's result");
    let merged: Vec<String> = parsed
        .problems_of("38.B")
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        merged,
        [
            "HT!A3: ô gộp A3:A4 ở trang “HT” nằm trong vùng số liệu: hãy bỏ gộp ô (mỗi dòng một đơn vị hoặc một hệ thống)"
        ]
    );
    assert!(parsed.problems_of("38.A").next().is_none());
}
