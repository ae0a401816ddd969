//! Rollups counting with review over hand-built landings: the summaries of every received
//! version and of approved versions side by side; with `count = "approved"` a unit counts
//! with its latest approved version, a correction after an approval is not counted until
//! it is approved in turn, a returned or unreviewed report is not counted, only the first
//! decision on a version counts and only decisions made by the cut-off; the reviewers'
//! backlog per district; and the report saying which count it used.

mod common;

use baocao_proto::v1::{ReportEnvelope, ReviewEvent};
use baocao_registry::CountBasis;
use baocao_registry::Registry;
use baocao_report::{ReportData, render_markdown};
use baocao_rollup::RollupOutput;
use baocao_store::Store;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::Path;

use baocao_store::files::write_parquet_atomic;
use common::{Summary, land};

fn registry_dir(count: &str) -> tempfile::TempDir {
    baocao_fixtures::DataDir::new()
        .admin(&[
            "38,province,Thanh Hóa,Tỉnh Thanh Hóa,tinh,",
            "380,district,Thanh Hóa,Thành phố Thanh Hóa,thanh-pho,38",
            "381,district,Sầm Sơn,Thành phố Sầm Sơn,thanh-pho,38",
            "14755,commune,Hàm Rồng,Phường Hàm Rồng,phuong,380",
            "14800,commune,Trung Sơn,Phường Trung Sơn,phuong,381",
        ])
        .units(
            "38",
            &[
                "38.STTTT,dic,Sở TT&TT,38",
                "38.PC,soe,Công ty Điện lực Thanh Hóa,38",
                "380.VH,district_office,Phòng VH-TT Thành phố Thanh Hóa,380",
                "381.VH,district_office,Phòng VH-TT Thành phố Sầm Sơn,381",
                "14755,people_committee,UBND phường Hàm Rồng,14755",
                "14755.TH,school,Trường TH Hàm Rồng,14755",
                "14755.MN,school,Trường MN Hàm Rồng,14755",
                "14800.TH,school,Trường TH Trung Sơn,14800",
            ],
        )
        .campaign(
            "c",
            &format!(
                "id = \"c\"\nname = \"C\"\nprovince = \"38\"\nconsolidating_unit = \"38.STTTT\"\nopens_on = \"2023-01-01\"\n\
                 count = \"{count}\"\n\
                 required_unit_kinds = [\"people_committee\", \"dic\", \"school\", \"soe\"]\n\
                 [[milestones]]\nid = \"levels\"\nname = \"Phê duyệt cấp độ\"\nmeasure = \"levels_approved\"\n\
                 unit_deadline = \"2023-03-20\"\nreport_deadline = \"2023-03-22\"\n"
            ),
        )
        .write()
        .expect("a data directory")
}

fn id(n: u32) -> String {
    format!("00000000-0000-7000-8000-{n:012}")
}

fn envelope(unit: &str, n: u32, day: u32, cameras: &[i64]) -> ReportEnvelope {
    common::envelope_at(
        "c",
        unit,
        &id(n),
        (2023, 3, day, 8, 0),
        0,
        baocao_fixtures::systems(cameras),
    )
}

/// Reports: five units report (not 14800.TH, nor the areas' People's Committees); 14755.TH corrects after approval.
fn reports() -> Vec<ReportEnvelope> {
    vec![
        envelope("38.STTTT", 1, 2, &[2]),
        envelope("38.PC", 2, 3, &[3]),
        envelope("14755", 3, 4, &[4]),
        envelope("14755.TH", 4, 5, &[5]),
        envelope("14755.MN", 5, 6, &[7]),
        // 14755.TH's correction, after its first version was approved.
        envelope("14755.TH", 6, 12, &[9]),
    ]
}

/// Decisions: the DIC approves the SOE; the district office approves the commune PC
/// (then a second, ignored decision returns it), approves 14755.TH's first version,
/// returns 14755.MN; 14755.TH's correction is approved only after the first cut-off; a
/// decision on a version that never landed is ignored.
fn reviews() -> Vec<ReviewEvent> {
    vec![
        review(
            "c",
            "38.PC",
            &id(2),
            "approve",
            "38.STTTT",
            (2023, 3, 4, 9, 0),
        ),
        review(
            "c",
            "14755",
            &id(3),
            "approve",
            "380.VH",
            (2023, 3, 5, 9, 0),
        ),
        review("c", "14755", &id(3), "return", "380.VH", (2023, 3, 6, 9, 0)),
        review(
            "c",
            "14755.TH",
            &id(4),
            "approve",
            "380.VH",
            (2023, 3, 6, 9, 0),
        ),
        review(
            "c",
            "14755.MN",
            &id(5),
            "return",
            "380.VH",
            (2023, 3, 7, 9, 0),
        ),
        review(
            "c",
            "14755.TH",
            &id(6),
            "approve",
            "380.VH",
            (2023, 3, 25, 9, 0),
        ),
        review(
            "c",
            "14800.TH",
            &id(99),
            "approve",
            "381.VH",
            (2023, 3, 7, 9, 0),
        ),
    ]
}

struct Landed {
    registry_dir: tempfile::TempDir,
    root: tempfile::TempDir,
}

impl Landed {
    fn new(count: &str) -> Self {
        let landed = Landed {
            registry_dir: registry_dir(count),
            root: tempfile::tempdir().expect("tempdir"),
        };
        let landing = landed.root.path().join("landing");
        land(&landing, &reports());
        land_reviews(&landing, &reviews());
        landed
    }

    fn registry(&self) -> Registry {
        Registry::load(self.registry_dir.path()).expect("registry")
    }

    async fn rollup(&self, cut_off: NaiveDate) -> RollupOutput {
        let of = common::RollupOf {
            registry_dir: self.registry_dir.path(),
            landing: &self.root.path().join("landing"),
            out: &self.root.path().join("out"),
            campaign: "c",
            milestone: "levels",
            allow_empty: false,
        };
        common::rollup_of(&of, cut_off).await
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test]
async fn counting_approved_takes_each_units_latest_approved_version() {
    let landed = Landed::new("approved");
    let output = landed.rollup(day(2023, 3, 22)).await;
    assert_eq!(output.lineage.count, CountBasis::Approved);
    assert!(
        std::ptr::eq(output.counted_summary(), &output.summary_approved),
        "the report counts the approved summary"
    );
    let approved = Summary(&output.summary_approved);
    // Counted: 38.PC (3), 14755 (4, its second decision ignored), 14755.TH's approved
    // first version (5, not its pending correction's 9). Not: 38.STTTT (never reviewed),
    // 14755.MN (returned), 14800.TH (no report; a decision on a version that never
    // landed counts nothing).
    assert_eq!(approved.int("province", "38", "cameras"), 3 + 4 + 5);
    assert_eq!(approved.int("province", "38", "units_counted"), 3);
    assert_eq!(approved.int("unit", "14755.TH", "cameras"), 5);
    assert_eq!(approved.text("unit", "14755.TH", "submission_id"), id(4));
    assert_eq!(approved.int("unit", "14755.MN", "units_counted"), 0);
    assert_eq!(approved.int("unit", "14755.MN", "cameras"), 0);
    assert_eq!(approved.int("unit", "38.STTTT", "systems"), 0);
    // Reporting does not depend on review: five units reported in both summaries (the
    // data directory adds a People's Committee per area: 9 expected, the provincial
    // one, to whose Chairman the report goes, not).
    let received = Summary(&output.summary);
    for s in [&approved, &received] {
        assert_eq!(s.int("province", "38", "units_reported"), 5);
        assert_eq!(s.int("province", "38", "units_missing"), 4);
        assert_eq!(s.text("unit", "14755.TH", "report_status"), "on_time");
    }
    // The received summary beside it counts every latest version.
    assert_eq!(received.int("province", "38", "cameras"), 2 + 3 + 4 + 9 + 7);
    assert_eq!(received.int("province", "38", "units_counted"), 5);
    assert_eq!(received.text("unit", "14755.TH", "submission_id"), id(6));
}

#[tokio::test]
async fn a_correction_after_approval_counts_once_it_is_approved() {
    let landed = Landed::new("approved");
    let before = landed.rollup(day(2023, 3, 22)).await;
    assert_eq!(
        Summary(&before.summary_approved).int("unit", "14755.TH", "cameras"),
        5
    );
    assert_eq!(
        Summary(&before.summary_approved).text("unit", "14755.TH", "review_state"),
        "pending"
    );
    let after = landed.rollup(day(2023, 3, 26)).await;
    let s = Summary(&after.summary_approved);
    assert_eq!(s.int("unit", "14755.TH", "cameras"), 9);
    assert_eq!(s.text("unit", "14755.TH", "submission_id"), id(6));
    assert_eq!(s.text("unit", "14755.TH", "review_state"), "approve");
    assert_eq!(s.int("province", "38", "cameras"), 3 + 4 + 9);
}

#[tokio::test]
async fn the_backlog_per_district_is_in_both_summaries() {
    let landed = Landed::new("received");
    let output = landed.rollup(day(2023, 3, 22)).await;
    assert_eq!(output.lineage.count, CountBasis::Received);
    assert!(std::ptr::eq(output.counted_summary(), &output.summary));
    for s in [Summary(&output.summary), Summary(&output.summary_approved)] {
        // District 380: 14755 approved, 14755.TH's correction pending, 14755.MN returned.
        assert_eq!(s.int("district", "380", "units_review_approved"), 1);
        assert_eq!(s.int("district", "380", "units_review_pending"), 1);
        assert_eq!(s.int("district", "380", "units_review_returned"), 1);
        // District 381: nothing received, nothing to review.
        assert_eq!(s.int("district", "381", "units_review_pending"), 0);
        // The province: the DIC's own report is pending, the SOE's approved.
        assert_eq!(s.int("province", "38", "units_review_pending"), 2);
        assert_eq!(s.int("province", "38", "units_review_approved"), 2);
        assert_eq!(s.text("unit", "14755.MN", "review_state"), "return");
    }
    let out = landed.root.path().join("out/c/levels");
    for file in [
        "summary.parquet",
        "summary_approved.parquet",
        "lineage.json",
    ] {
        assert!(out.join(file).is_file(), "{file} written");
    }
    let lineage = std::fs::read_to_string(out.join("lineage.json")).expect("lineage");
    assert!(lineage.contains("\"count\": \"received\""), "{lineage}");
}

#[tokio::test]
async fn the_report_says_which_reports_it_counts() {
    for (count, says, cameras) in [
        (
            "approved",
            "Số liệu chỉ tính báo cáo đã được cấp trên phê duyệt: tính số liệu của 3 đơn vị",
            "tổng số camera: 12",
        ),
        (
            "received",
            "Số liệu tính theo báo cáo mới nhất các đơn vị đã gửi, kể cả báo cáo chưa được cấp trên phê duyệt",
            "tổng số camera: 25",
        ),
    ] {
        let landed = Landed::new(count);
        let output = landed.rollup(day(2023, 3, 22)).await;
        let registry = landed.registry();
        let campaign = registry.campaign("c").expect("campaign");
        let milestone = campaign.milestone("levels").expect("milestone");
        let data =
            ReportData::from_rollup(&registry, campaign, milestone, &output, &Default::default())
                .expect("report data");
        let markdown = render_markdown(&data);
        assert!(markdown.contains(says), "count = {count}: {markdown}");
        assert!(
            markdown.contains("2 đơn vị có báo cáo mới nhất đã được cấp trên phê duyệt, 2 đơn vị đang chờ duyệt, 1 đơn vị bị trả lại"),
            "count = {count}: {markdown}"
        );
        assert!(markdown.contains(cameras), "count = {count}: {markdown}");
    }
}

#[tokio::test]
async fn the_production_selection_matches_the_sql_specification_with_reviews() {
    let landed = Landed::new("approved");
    let registry = landed.registry();
    let campaign = registry.campaign("c").expect("campaign");
    let milestone = campaign.milestone("levels").expect("milestone");
    let landing = Store::local(landed.root.path().join("landing"));
    for cut_off in [day(2023, 3, 5), day(2023, 3, 22), day(2023, 3, 26)] {
        common::assert_selection_matches_spec(&registry, campaign, milestone, cut_off, &landing)
            .await;
    }
}

#[tokio::test]
async fn the_catalog_has_both_summaries_and_reads_summaries_written_before_review() {
    let landed = Landed::new("approved");
    let output = landed.rollup(day(2023, 3, 22)).await;
    // A summary written by a release before review: the same columns up to
    // `high_levels_not_approved`, none of the review columns.
    let before_review = output
        .summary
        .schema()
        .index_of("units_counted")
        .expect("units_counted");
    let old = output
        .summary
        .project(&(0..before_review).collect::<Vec<_>>())
        .expect("project");
    let out = landed.root.path().join("out");
    baocao_store::files::write_parquet_atomic(&out.join("c/earlier/summary.parquet"), &old)
        .expect("write");
    let registry = landed.registry();
    let catalog = baocao_catalog::catalog_session(&baocao_catalog::CatalogSources {
        registry: &registry,
        landing: &Store::local(landed.root.path().join("landing")),
        summaries: &Store::local(&out),
        as_of: None,
        scope: None,
    })
    .await
    .expect("catalog");
    let rows = |sql: &str| {
        let catalog = catalog.clone();
        let sql = sql.to_string();
        async move {
            let batches = catalog
                .sql(&sql)
                .await
                .expect("plan")
                .collect()
                .await
                .expect("run");
            arrow::util::pretty::pretty_format_batches(&batches)
                .expect("format")
                .to_string()
        }
    };
    let both = rows(
        "SELECT s.milestone_id, s.cameras, a.cameras AS approved_cameras, s.units_review_pending
         FROM summaries s LEFT JOIN summaries_approved a
           ON a.campaign_id = s.campaign_id AND a.milestone_id = s.milestone_id
          AND a.tier = s.tier AND a.code = s.code
         WHERE s.tier = 'province'",
    )
    .await;
    assert!(
        both.contains("| earlier      | 25      |                  |")
            && both.contains("| levels       | 25      | 12               | 2 "),
        "{both}"
    );
}

/// A review decision on `(unit, id)` of `campaign` by `reviewer`, at `(y, m, d, hh, mm)`
/// Vietnam time.
pub fn review(
    campaign: &str,
    unit: &str,
    id: &str,
    decision: &str,
    reviewer: &str,
    at: (i32, u32, u32, u32, u32),
) -> baocao_proto::v1::ReviewEvent {
    baocao_proto::v1::ReviewEvent {
        schema_version: 1,
        unit_code: unit.to_string(),
        campaign_id: campaign.to_string(),
        submission_id: id.to_string(),
        decision: decision.to_string(),
        reason: format!("{decision} by {reviewer}"),
        reviewer_unit: reviewer.to_string(),
        reviewed_at: Some(baocao_fixtures::vietnam_time(at, 0)),
        gateway_id: "test".to_string(),
    }
}

/// Lands review decisions as `baocao land` does: one file per campaign under
/// `reviews/campaign=<id>/`.
pub fn land_reviews(root: &Path, events: &[baocao_proto::v1::ReviewEvent]) {
    let mut by_campaign: BTreeMap<&str, Vec<baocao_tables::LoggedReview>> = BTreeMap::new();
    for event in events {
        by_campaign
            .entry(&event.campaign_id)
            .or_default()
            .push((event.clone(), (0, common::next_offset())));
    }
    for (campaign, events) in by_campaign {
        let batch = baocao_tables::review_rows(&events).expect("review rows");
        write_parquet_atomic(
            &root
                .join(baocao_tables::layout::campaign_key("reviews", campaign))
                .join("part-0.parquet"),
            &batch,
        )
        .expect("write");
    }
}

/// Lands decisions as a landing did before it wrote their Kafka positions (the file has
/// no `kafka_partition` and `kafka_offset` columns).
fn land_reviews_without_positions(root: &Path, events: &[ReviewEvent]) {
    let logged: Vec<baocao_tables::LoggedReview> =
        events.iter().map(|e| (e.clone(), (0, 0))).collect();
    let batch = baocao_tables::review_rows(&logged).expect("review rows");
    let keep: Vec<usize> = (0..batch.num_columns() - 2).collect();
    let old = batch.project(&keep).expect("project");
    write_parquet_atomic(
        &root
            .join(baocao_tables::layout::campaign_key("reviews", "c"))
            .join("old-0.parquet"),
        &old,
    )
    .expect("write");
}

/// `id` as files landed before ids were canonical may hold it: braces, capitals, or the
/// 32 digits without hyphens.
fn old_style(id: &str, style: usize) -> String {
    match style {
        0 => format!("{{{}}}", id.to_uppercase()),
        _ => id.replace('-', "").to_uppercase(),
    }
}

/// Lands `envelopes` as an old landing did: the same rows, the ids as sent.
fn land_old_style(root: &Path, envelopes: &[ReportEnvelope], style: usize) {
    use arrow::array::{Array, AsArray, StringArray};
    let mut rows = baocao_tables::rows::PartitionRows::default();
    for e in envelopes {
        rows.push(e, 0, common::next_offset());
    }
    let (submissions, systems) = rows.finish().expect("batches");
    let rewrite = |batch: &arrow::array::RecordBatch| {
        let columns = batch
            .schema()
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, column)| {
                if field.name() != "submission_id" {
                    return column.clone();
                }
                let old: StringArray = column
                    .as_string::<i32>()
                    .iter()
                    .map(|id| id.map(|id| old_style(id, style)))
                    .collect();
                std::sync::Arc::new(old) as std::sync::Arc<dyn Array>
            })
            .collect();
        arrow::array::RecordBatch::try_new(batch.schema(), columns).expect("batch")
    };
    let day = baocao_registry::vietnam_date(baocao_tables::rows::received_at(&envelopes[0]));
    for (table, batch) in [("submissions", &submissions), ("systems", &systems)] {
        let dir = baocao_tables::layout::partition_dir(root, table, "c", day);
        write_parquet_atomic(&dir.join(format!("old-{style}.parquet")), &rewrite(batch))
            .expect("write");
    }
}

#[tokio::test]
async fn ids_landed_before_they_were_canonical_name_the_same_submission() {
    let landed = Landed {
        registry_dir: registry_dir("approved"),
        root: tempfile::tempdir().expect("tempdir"),
    };
    let landing = landed.root.path().join("landing");
    let others: Vec<ReportEnvelope> = reports()
        .into_iter()
        .filter(|e| e.report.as_ref().is_some_and(|r| r.unit_code != "14755.MN"))
        .collect();
    land(&landing, &others);
    // 14755.MN's first version landed with braces and capitals; its correction later;
    // then a redelivered copy of the first version, with the canonical id.
    land_old_style(&landing, &[envelope("14755.MN", 5, 6, &[7])], 0);
    land(&landing, &[envelope("14755.MN", 7, 8, &[11])]);
    land(&landing, &[envelope("14755.MN", 5, 9, &[7])]);
    // The correction approved by a decision that names it in 32 capital digits.
    let approve = review(
        "c",
        "14755.MN",
        &old_style(&id(7), 1),
        "approve",
        "380.VH",
        (2023, 3, 10, 9, 0),
    );
    land_reviews_without_positions(&landing, &[approve]);
    let output = landed.rollup(day(2023, 3, 22)).await;
    let received = Summary(&output.summary);
    // The redelivered copy is the first version again, not a newer one.
    assert_eq!(received.int("unit", "14755.MN", "cameras"), 11);
    assert_eq!(received.text("unit", "14755.MN", "submission_id"), id(7));
    assert_eq!(received.int("unit", "14755.MN", "versions"), 2);
    let approved = Summary(&output.summary_approved);
    assert_eq!(approved.int("unit", "14755.MN", "cameras"), 11);
    assert_eq!(approved.text("unit", "14755.MN", "review_state"), "approve");
}
