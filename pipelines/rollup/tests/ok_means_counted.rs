//! Rollups over hand-built landings for what "OK means counted" promises: two units may
//! use one submission id and both count with their own systems; one id in two spellings
//! is one submission; two versions in one millisecond are ordered by Kafka; a unit of a
//! kind the campaign does not require is `not_required` even when it reported; reports of
//! units the register lacks are listed apart; an id landed with two contents is counted
//! once and listed as a conflict; timeliness is decided per milestone window; and a
//! national campaign's headline is the country's.

mod common;

use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use baocao_proto::v1::ReportEnvelope;
use baocao_registry::Registry;
use baocao_rollup::{RollupOutput, RollupRequest, run_rollup};
use baocao_store::Store;
use baocao_store::files::write_parquet_atomic;
use baocao_tables::layout::partition_dir;
use baocao_tables::rows::PartitionRows;
use chrono::NaiveDate;
use common::{Summary, land};

const SHARED_ID: &str = "0192f0c1-7a4e-7cc2-9f0e-5b1d2c3e4f50";

fn registry_dir() -> tempfile::TempDir {
    baocao_fixtures::DataDir::new()
        .admin(&[
            "38,province,Thanh Hóa,Tỉnh Thanh Hóa,tinh,",
            "44,province,Quảng Bình,Tỉnh Quảng Bình,tinh,",
            "380,district,Thanh Hóa,Thành phố Thanh Hóa,thanh-pho,38",
            "14755,commune,Hàm Rồng,Phường Hàm Rồng,phuong,380",
        ])
        .units(
            "38",
            &[
                "38.STTTT,dic,Sở TT&TT,38",
                "38.PC,soe,Công ty Điện lực Thanh Hóa,38",
                "38.BAO,media,Báo Thanh Hóa,38",
                "14755.TH,school,Trường TH Hàm Rồng,14755",
            ],
        )
        .units("44", &["44.STTTT,dic,Sở TT&TT Quảng Bình,44"])
        .campaign(
            "c",
            "id = \"c\"\nname = \"C\"\nprovince = \"38\"\nconsolidating_unit = \"38.STTTT\"\nopens_on = \"2023-01-01\"\n\
         required_unit_kinds = [\"people_committee\", \"dic\", \"school\", \"soe\"]\n\
         [[milestones]]\nid = \"levels\"\nname = \"Phê duyệt cấp độ\"\nmeasure = \"levels_approved\"\n\
         unit_deadline = \"2023-03-20\"\nreport_deadline = \"2023-03-22\"\n\
         [[milestones]]\nid = \"plans\"\nname = \"Triển khai phương án\"\nmeasure = \"plans_implemented\"\n\
         unit_deadline = \"2023-09-10\"\nreport_deadline = \"2023-09-20\"\n",
        )
        .campaign(
            "n",
            "id = \"n\"\nname = \"Toàn quốc\"\nprovince = \"\"\nconsolidating_unit = \"38.STTTT\"\nopens_on = \"2023-01-01\"\n\
         required_unit_kinds = [\"dic\"]\n\
         [[milestones]]\nid = \"levels\"\nname = \"Phê duyệt cấp độ\"\nmeasure = \"levels_approved\"\n\
         unit_deadline = \"2023-03-20\"\nreport_deadline = \"2023-03-22\"\n",
        )
        .write()
        .expect("a data directory")
}

/// A report of `unit` for `campaign` under `id`, received at `(y, m, d, hh:mm)` Vietnam
/// time plus `ms` milliseconds, with systems of these camera counts.
fn envelope(
    campaign: &str,
    unit: &str,
    id: &str,
    at: (i32, u32, u32, u32, u32),
    ms: i64,
    cameras: &[i64],
) -> ReportEnvelope {
    common::envelope_at(
        campaign,
        unit,
        id,
        at,
        ms,
        baocao_fixtures::systems(cameras),
    )
}

fn id(n: u32) -> String {
    format!("00000000-0000-7000-8000-{n:012}")
}

/// The landing of campaign `c` (and two reports of the national campaign `n`).
fn fixture() -> Vec<ReportEnvelope> {
    let mut conflicting = envelope("c", "38.STTTT", &id(9), (2023, 3, 2, 9, 0), 0, &[4]);
    if let Some(r) = conflicting.report.as_mut() {
        r.notes = "another content under the same id".into();
        r.systems = baocao_fixtures::systems(&[400, 400]);
    }
    vec![
        // Two units, one id, two gateways: each is its own submission.
        envelope("c", "380", SHARED_ID, (2023, 3, 10, 8, 0), 0, &[2, 30]),
        envelope("c", "38.PC", SHARED_ID, (2023, 3, 11, 8, 0), 0, &[777]),
        // 380's retry with the id upper-cased: the same submission.
        envelope(
            "c",
            "380",
            &SHARED_ID.to_uppercase(),
            (2023, 3, 10, 8, 0),
            0,
            &[2, 30],
        ),
        // Two versions in one millisecond: Kafka order decides (the second is newer).
        envelope(
            "c",
            "14755.TH",
            "ffffffff-ffff-7fff-bfff-ffffffffffff",
            (2023, 3, 12, 8, 0),
            0,
            &[5],
        ),
        envelope("c", "14755.TH", &id(1), (2023, 3, 12, 8, 0), 0, &[9]),
        // A unit of a kind the campaign does not require reports: summed, not_required.
        envelope("c", "38.BAO", &id(2), (2023, 3, 5, 8, 0), 0, &[11]),
        // A unit the register no longer has.
        envelope("c", "38.GONE", &id(3), (2023, 3, 5, 8, 0), 0, &[1000]),
        // One id, two contents (two replicas at the same moment): the first counts.
        envelope("c", "38.STTTT", &id(9), (2023, 3, 1, 9, 0), 0, &[4]),
        conflicting,
        // September: 38.PC on time, 14755.TH late; 380 and 38.STTTT send nothing new.
        envelope("c", "38.PC", &id(4), (2023, 9, 5, 8, 0), 0, &[778]),
        envelope("c", "14755.TH", &id(5), (2023, 9, 15, 8, 0), 0, &[10]),
        // The national campaign: one DIC per province.
        envelope("n", "38.STTTT", &id(6), (2023, 3, 3, 8, 0), 0, &[3]),
        envelope("n", "44.STTTT", &id(7), (2023, 3, 4, 8, 0), 0, &[6, 1]),
    ]
}

impl Summary<'_> {
    fn status(&self, unit: &str) -> String {
        self.text("unit", unit, "report_status")
    }
}

struct Landed {
    registry_dir: tempfile::TempDir,
    root: tempfile::TempDir,
}

impl Landed {
    fn new() -> Self {
        Self::with(registry_dir())
    }

    /// The fixture landed with the registry of `registry_dir`.
    fn with(registry_dir: tempfile::TempDir) -> Self {
        let landed = Landed {
            registry_dir,
            root: tempfile::tempdir().expect("tempdir"),
        };
        land(&landed.root.path().join("landing"), &fixture());
        landed
    }

    /// The analysts' catalog over this landing and its summaries.
    async fn catalog(&self) -> datafusion::prelude::SessionContext {
        use baocao_catalog::{CatalogSources, catalog_session};
        let registry = Registry::load(self.registry_dir.path()).expect("registry");
        catalog_session(&CatalogSources {
            registry: &registry,
            landing: &Store::local(self.root.path().join("landing")),
            summaries: &Store::local(self.root.path().join("out")),
            as_of: None,
            scope: None,
        })
        .await
        .expect("catalog")
    }

    async fn rollup(&self, campaign: &str, milestone: &str, cut_off: NaiveDate) -> RollupOutput {
        let of = common::RollupOf {
            registry_dir: self.registry_dir.path(),
            landing: &self.root.path().join("landing"),
            out: &self.root.path().join("out"),
            campaign,
            milestone,
            allow_empty: false,
        };
        common::rollup_of(&of, cut_off).await
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test]
async fn two_units_with_one_id_each_count_with_their_own_systems() {
    let landed = Landed::new();
    let output = landed.rollup("c", "levels", day(2023, 3, 22)).await;
    let s = Summary(&output.summary);
    assert_eq!(s.int("unit", "380", "systems"), 2);
    assert_eq!(s.int("unit", "380", "cameras"), 32);
    assert_eq!(s.int("unit", "38.PC", "cameras"), 777);
    assert_eq!(s.status("380"), "on_time");
    assert_eq!(s.status("38.PC"), "on_time");
    // The upper-cased retry is the same submission: one version.
    assert_eq!(s.int("unit", "380", "versions"), 1);
}

#[tokio::test]
async fn versions_in_one_millisecond_are_ordered_by_kafka() {
    let landed = Landed::new();
    let output = landed.rollup("c", "levels", day(2023, 3, 22)).await;
    let s = Summary(&output.summary);
    // The larger id came first in Kafka order; the later record is the unit's state.
    assert_eq!(s.int("unit", "14755.TH", "cameras"), 9);
    assert_eq!(s.int("unit", "14755.TH", "versions"), 2);
}

#[tokio::test]
async fn a_unit_not_required_is_not_required_even_when_it_reported() {
    let landed = Landed::new();
    let output = landed.rollup("c", "levels", day(2023, 3, 22)).await;
    let s = Summary(&output.summary);
    assert_eq!(s.status("38.BAO"), "not_required");
    assert_eq!(s.int("unit", "38.BAO", "units_expected"), 0);
    assert_eq!(s.int("unit", "38.BAO", "units_on_time"), 0);
    // Its figures are summed in the indicators all the same.
    assert_eq!(s.int("unit", "38.BAO", "cameras"), 11);
    assert_eq!(s.int("province", "38", "cameras"), 32 + 777 + 9 + 11 + 4);
}

#[tokio::test]
async fn stray_units_and_conflicts_are_listed_apart_in_the_lineage() {
    let landed = Landed::new();
    let output = landed.rollup("c", "levels", day(2023, 3, 22)).await;
    let lineage = &output.lineage;
    assert_eq!(lineage.stray_units.len(), 1);
    assert_eq!(lineage.stray_units[0].unit_code, "38.GONE");
    // Counted: 380, 38.PC, 14755.TH ×2, 38.BAO, 38.STTTT; not the stray report.
    assert_eq!(lineage.submissions, 6);
    assert_eq!(lineage.units, 5);
    assert_eq!(lineage.conflicts.len(), 1);
    let conflict = &lineage.conflicts[0];
    assert_eq!(
        (conflict.unit_code.as_str(), conflict.copies),
        ("38.STTTT", 2)
    );
    // The first acceptance (1 March, 4 cameras) is counted, never the 800 cameras.
    let s = Summary(&output.summary);
    assert_eq!(s.int("unit", "38.STTTT", "cameras"), 4);
    let json =
        std::fs::read_to_string(output.dir.join("lineage.json").to_string()).expect("lineage.json");
    assert!(
        json.contains("38.GONE") && json.contains("\"conflicts\""),
        "{json}"
    );

    let ctx = landed.catalog().await;
    let history = baocao_catalog::history::unit_history(&ctx, "38.STTTT", Some("c"))
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].contents, 2, "the conflict shows in the history");
    let shared = baocao_catalog::history::unit_history(&ctx, "38.PC", Some("c"))
        .await
        .expect("history");
    assert_eq!(shared.len(), 2);
    assert_eq!(
        shared[0].contents, 1,
        "another unit's use of the id is no conflict"
    );
}

#[tokio::test]
async fn timeliness_is_decided_inside_each_milestones_window() {
    let landed = Landed::new();
    let march = landed.rollup("c", "levels", day(2023, 3, 22)).await;
    let s = Summary(&march.summary);
    // expected, reported, on time, late, missing, not updated
    let figures = |s: &Summary<'_>| {
        [
            "units_expected",
            "units_reported",
            "units_on_time",
            "units_late",
            "units_missing",
            "units_not_updated",
        ]
        .map(|c| s.int("province", "38", c))
    };
    // 14755 never reports; 38 (UBND tỉnh, to whose Chairman the report goes) is not
    // expected.
    assert_eq!(figures(&s), [5, 4, 4, 0, 1, 0]);

    let september = landed.rollup("c", "plans", day(2023, 9, 20)).await;
    assert_eq!(september.lineage.window_opens_on, day(2023, 3, 21));
    let s = Summary(&september.summary);
    assert_eq!(s.status("38.PC"), "on_time");
    assert_eq!(s.status("14755.TH"), "late");
    assert_eq!(s.status("380"), "not_updated");
    assert_eq!(s.status("38.STTTT"), "not_updated");
    assert_eq!(s.status("38"), "not_required");
    assert_eq!(figures(&s), [5, 2, 1, 1, 1, 2]);
    // A unit not updated still feeds the substantive measures with its last state.
    assert_eq!(s.int("unit", "380", "cameras"), 32);
    assert_eq!(s.int("unit", "38.PC", "cameras"), 778);
    // The DIC's list to chase includes the units not updated.
    let statuses: Vec<String> = {
        let column = arrow::compute::cast(
            september
                .late_and_missing
                .column_by_name("report_status")
                .expect("status"),
            &DataType::Utf8,
        )
        .expect("cast");
        column
            .as_string::<i32>()
            .iter()
            .flatten()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(statuses.iter().filter(|s| *s == "not_updated").count(), 2);
    let registry = Registry::load(landed.registry_dir.path()).expect("registry");
    let campaign = registry.campaign("c").expect("campaign");
    let data = baocao_report::ReportData::from_rollup(
        &registry,
        campaign,
        campaign.milestone("plans").expect("milestone"),
        &september,
        &Default::default(),
    )
    .expect("report data");
    let markdown = baocao_report::render_markdown(&data);
    assert!(
        markdown.contains("Chưa cập nhật từ ngày 21/03/2023"),
        "{markdown}"
    );
    assert!(
        markdown.contains("## 3. Đơn vị trễ hạn, chưa báo cáo, chưa cập nhật (4)"),
        "{markdown}"
    );
}

#[tokio::test]
async fn a_national_campaigns_headline_is_the_countrys() {
    let landed = Landed::new();
    let output = landed.rollup("n", "levels", day(2023, 3, 22)).await;
    let registry = Registry::load(landed.registry_dir.path()).expect("registry");
    let campaign = registry.campaign("n").expect("campaign");
    let data = baocao_report::ReportData::from_rollup(
        &registry,
        campaign,
        campaign.milestone("levels").expect("milestone"),
        &output,
        &Default::default(),
    )
    .expect("report data");
    assert_eq!(
        data.province.units_expected, 2,
        "the DICs of both provinces"
    );
    assert_eq!(data.province.units_reported, 2);
    assert_eq!(data.province.systems, 3);
    assert_eq!(data.province.cameras, 10);
    let markdown = baocao_report::render_markdown(&data);
    assert!(markdown.contains("Kết quả chung toàn quốc"), "{markdown}");
    assert!(markdown.contains("| Toàn quốc | 2 | 2 |"), "{markdown}");
}

#[tokio::test]
async fn the_production_selection_matches_the_sql_specification_on_these_cases() {
    let landed = Landed::new();
    let registry = Registry::load(landed.registry_dir.path()).expect("registry");
    let campaign = registry.campaign("c").expect("campaign");
    let landing = Store::local(landed.root.path().join("landing"));
    for (milestone, cut_off) in [("levels", day(2023, 3, 22)), ("plans", day(2023, 9, 20))] {
        let milestone = campaign.milestone(milestone).expect("milestone");
        common::assert_selection_matches_spec(&registry, campaign, milestone, cut_off, &landing)
            .await;
    }
}

#[tokio::test]
async fn files_landed_before_content_digests_still_roll_up_and_compact() {
    let registry_dir = registry_dir();
    let root = tempfile::tempdir().expect("tempdir");
    let landing = root.path().join("landing");
    // The landing as an earlier version wrote it: no content_sha256 column.
    let mut rows = PartitionRows::default();
    rows.push(
        &envelope("c", "380", SHARED_ID, (2023, 3, 10, 8, 0), 0, &[2, 30]),
        0,
        0,
    );
    let (submissions, systems) = rows.finish().expect("batches");
    let old = submissions
        .project(&(0..submissions.num_columns() - 1).collect::<Vec<_>>())
        .expect("project");
    assert!(old.column_by_name("content_sha256").is_none());
    let on = day(2023, 3, 10);
    write_parquet_atomic(
        &partition_dir(&landing, "submissions", "c", on).join("part-old.parquet"),
        &old,
    )
    .expect("write");
    write_parquet_atomic(
        &partition_dir(&landing, "systems", "c", on).join("part-old.parquet"),
        &systems,
    )
    .expect("write");
    // And a file of this version beside it.
    land(
        &landing,
        &[envelope(
            "c",
            "38.PC",
            SHARED_ID,
            (2023, 3, 11, 8, 0),
            0,
            &[777],
        )],
    );
    let landed = Landed { registry_dir, root };
    let before = landed.rollup("c", "levels", day(2023, 3, 22)).await;
    let s = Summary(&before.summary);
    assert_eq!(s.int("unit", "380", "cameras"), 32);
    assert_eq!(s.int("unit", "38.PC", "cameras"), 777);
    // Compaction widens the old file to the current schema and merges both.
    use baocao_landing::compact::{CompactionConfig, compact_landing};
    let stats = compact_landing(&Store::local(&landing), CompactionConfig::default())
        .await
        .expect("compaction of an old file");
    assert!(stats.files_merged >= 2, "{stats:?}");
    let after = landed.rollup("c", "levels", day(2023, 3, 22)).await;
    assert_eq!(after.summary, before.summary);
}

#[tokio::test]
async fn a_rollup_with_nothing_landed_is_refused_unless_asked_for() {
    let registry = Registry::load(registry_dir().path()).expect("registry");
    let campaign = registry.campaign("c").expect("campaign");
    let milestone = campaign.milestone("levels").expect("milestone");
    let root = tempfile::tempdir().expect("tempdir");
    let out = Store::local(root.path().join("out"));
    let request = |landing: Store, allow_empty| {
        let (registry, out) = (&registry, &out);
        async move {
            run_rollup(&RollupRequest {
                registry,
                campaign,
                milestone,
                cut_off: day(2023, 3, 22),
                landing: &landing,
                out,
                allow_empty,
                progress: None,
            })
            .await
        }
    };
    // A landing location that does not exist (a typo, an unmounted volume).
    let typo = Store::local(root.path().join("landnig"));
    let err = request(typo, false).await.err().expect("refused");
    let message = err.to_string();
    assert!(
        message.contains("campaign `c`")
            && message.contains("landnig")
            && message.contains("does not exist"),
        "{message}"
    );
    // An existing landing with nothing of this campaign.
    std::fs::create_dir_all(root.path().join("landing")).expect("mkdir");
    let empty = Store::local(root.path().join("landing"));
    let err = request(empty.clone(), false).await.err().expect("refused");
    assert!(
        matches!(err, baocao_rollup::Error::NothingLanded { .. }),
        "{err}"
    );
    assert!(
        !root.path().join("out/c/levels/summary.parquet").exists(),
        "nothing written"
    );
    // Asked for: every unit missing, written.
    let output = request(empty, true).await.expect("written");
    assert_eq!(output.lineage.submissions, 0);
    assert!(root.path().join("out/c/levels/summary.parquet").exists());
}

/// The analysts' guide's statements, with its campaign and milestone ids replaced by
/// the fixtures' (`c`, `levels`, `plans`).
fn guide_statements() -> Vec<String> {
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/analytics.md"),
    )
    .expect("docs/analytics.md");
    guide
        .split("```sql\n")
        .skip(1)
        .flat_map(|block| {
            block
                .split("```")
                .next()
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with("--"))
                .map(|l| {
                    l.replace("'thanh-hoa-2023'", "'c'")
                        .replace("'levels-approved'", "'levels'")
                        .replace("'plans-implemented'", "'plans'")
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The fixtures' units on a two-tier register (the 2025 map: communes right under the
/// province, no district).
fn registry_dir_two_tiers() -> tempfile::TempDir {
    let three_tiers = registry_dir();
    let admin = three_tiers.path().join("admin_units.csv");
    let text = std::fs::read_to_string(&admin).expect("admin units");
    let two_tiers: String = text
        .lines()
        .filter(|l| !l.starts_with("380,"))
        .map(|l| l.replace(",phuong,380", ",phuong,38") + "\n")
        .collect();
    std::fs::write(&admin, two_tiers).expect("two tiers");
    three_tiers
}

/// Every query of docs/analytics.md runs on a three-tier register (2023) and on a
/// two-tier one (2025): a result's `area` is never empty (a province's own bodies are
/// named as such), and the areas of question 4 are listed on both maps.
#[tokio::test]
async fn every_query_in_the_analysts_guide_runs_on_both_registers() {
    use baocao_catalog::run_query;
    for (map, landed) in [
        ("2023", Landed::new()),
        ("2025", Landed::with(registry_dir_two_tiers())),
    ] {
        landed.rollup("c", "levels", day(2023, 3, 22)).await;
        landed.rollup("c", "plans", day(2023, 9, 20)).await;
        let ctx = landed.catalog().await;
        let statements = guide_statements();
        assert!(statements.len() >= 15, "{} queries found", statements.len());
        for statement in statements {
            let batches = run_query(&ctx, &statement)
                .await
                .unwrap_or_else(|err| panic!("{map}: {statement}\n{err}"));
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            if statement.contains("completeness_pct") {
                assert!(rows > 0, "{map}: no area listed by {statement}");
            }
            for batch in &batches {
                let Some(area) = batch.column_by_name("area") else {
                    continue;
                };
                let area =
                    arrow::compute::cast(area, &arrow::datatypes::DataType::Utf8).expect("text");
                let area = area.as_string::<i32>();
                assert!(
                    (0..area.len()).all(|i| area.is_valid(i) && !area.value(i).is_empty()),
                    "{map}: an empty area from {statement}"
                );
            }
        }
    }
}
