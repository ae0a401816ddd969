//! The rollup SQL (pure text, no I/O): how a unit's state at the cut-off is chosen and how
//! units roll up into communes, districts and the province. Tables it reads:
//! `submissions`, `systems`, `reviews` (raw landing tables of one campaign), `units`
//! (registry) and `rollup_params` (one row: campaign_id, window_start, cut_off,
//! unit_deadline_end as UTC instants).

use baocao_catalog::views::{DECISION_ORDER, FIRST_COPY_ORDER, LATEST_VERSION_ORDER};
use baocao_registry::CountBasis;

/// Per-system measures summed per submission: (output column, SQL expression over `y`).
const SYSTEM_MEASURES: &[(&str, &str)] = &[
    ("systems", "1"),
    ("cameras", "y.camera_count"),
    (
        "proposed_level_1",
        "CASE WHEN y.proposed_level = 1 THEN 1 ELSE 0 END",
    ),
    (
        "proposed_level_2",
        "CASE WHEN y.proposed_level = 2 THEN 1 ELSE 0 END",
    ),
    (
        "proposed_level_3",
        "CASE WHEN y.proposed_level = 3 THEN 1 ELSE 0 END",
    ),
    (
        "proposed_level_4",
        "CASE WHEN y.proposed_level = 4 THEN 1 ELSE 0 END",
    ),
    (
        "proposed_level_5",
        "CASE WHEN y.proposed_level = 5 THEN 1 ELSE 0 END",
    ),
    (
        "approved_level_1",
        "CASE WHEN y.dossier_status = 'approved' AND y.approved_level = 1 THEN 1 ELSE 0 END",
    ),
    (
        "approved_level_2",
        "CASE WHEN y.dossier_status = 'approved' AND y.approved_level = 2 THEN 1 ELSE 0 END",
    ),
    (
        "approved_level_3",
        "CASE WHEN y.dossier_status = 'approved' AND y.approved_level = 3 THEN 1 ELSE 0 END",
    ),
    (
        "approved_level_4",
        "CASE WHEN y.dossier_status = 'approved' AND y.approved_level = 4 THEN 1 ELSE 0 END",
    ),
    (
        "approved_level_5",
        "CASE WHEN y.dossier_status = 'approved' AND y.approved_level = 5 THEN 1 ELSE 0 END",
    ),
    (
        "dossiers_submitted",
        "CASE WHEN y.dossier_status IN ('submitted', 'appraised', 'approved', 'rejected') THEN 1 ELSE 0 END",
    ),
    (
        "dossiers_approved",
        "CASE WHEN y.dossier_status = 'approved' THEN 1 ELSE 0 END",
    ),
    (
        "plans_implemented",
        "CASE WHEN y.plan_status = 'implemented' THEN 1 ELSE 0 END",
    ),
    (
        "assessed_at_procurement",
        "CASE WHEN y.assessed_at_procurement THEN 1 ELSE 0 END",
    ),
    (
        "periodic_assessments",
        "CASE WHEN y.last_periodic_assessment_on IS NOT NULL THEN 1 ELSE 0 END",
    ),
    (
        "cameras_without_coq",
        "y.camera_count - y.cameras_certified",
    ),
    ("cameras_on_warning_list", "y.cameras_on_warning_list"),
    (
        "cameras_replaced_or_removed",
        "y.cameras_replaced_or_removed",
    ),
];

/// Unit-level measures from the unit's latest submission: (output column, SQL over `l`).
const UNIT_MEASURES: &[(&str, &str)] = &[
    ("budget_vnd", "l.budget_allocated_vnd"),
    (
        "regulations_updated",
        "CASE WHEN l.regulation_updated THEN 1 ELSE 0 END",
    ),
    (
        "national_regulation_applied",
        "CASE WHEN l.national_regulation_applied THEN 1 ELSE 0 END",
    ),
    ("incidents", "l.incidents"),
    ("telecom_cameras_checked", "l.telecom_cameras_checked"),
    (
        "telecom_non_compliant_found",
        "l.telecom_non_compliant_found",
    ),
    ("telecom_users_notified", "l.telecom_users_notified"),
    (
        "telecom_non_compliant_handled",
        "l.telecom_non_compliant_handled",
    ),
    ("police_assessments_done", "l.police_assessments_done"),
    ("police_cases_handled", "l.police_cases_handled"),
    ("market_inspections", "l.market_inspections"),
    ("market_violations", "l.market_violations"),
    ("media_items_broadcast", "l.media_items_broadcast"),
];

/// Completeness counters per unit (0/1), summed by the rollup. `l.first_received_at`
/// is the unit's first report inside the milestone's window (null if none).
const STATUS_MEASURES: &[(&str, &str)] = &[
    ("units_expected", "CASE WHEN u.expected THEN 1 ELSE 0 END"),
    (
        "units_reported",
        "CASE WHEN u.expected AND l.first_received_at IS NOT NULL THEN 1 ELSE 0 END",
    ),
    (
        "units_on_time",
        "CASE WHEN u.expected AND l.first_received_at < p.unit_deadline_end THEN 1 ELSE 0 END",
    ),
    (
        "units_late",
        "CASE WHEN u.expected AND l.first_received_at >= p.unit_deadline_end THEN 1 ELSE 0 END",
    ),
    (
        "units_missing",
        "CASE WHEN u.expected AND l.unit_code IS NULL THEN 1 ELSE 0 END",
    ),
];

/// Counters added after the first release of the summary: they come after the
/// percentages, at the end of the schema, so no column moves.
const APPENDED_STATUS_MEASURES: &[(&str, &str)] = &[(
    "units_not_updated",
    "CASE WHEN u.expected AND l.unit_code IS NOT NULL AND l.first_received_at IS NULL THEN 1 ELSE 0 END",
)];

/// Per-system counters added after the first release of the summary, at its end after
/// [`APPENDED_STATUS_MEASURES`]: systems proposed at level 3 or above whose level is not
/// approved (the report's "tồn tại, hạn chế").
const APPENDED_SYSTEM_MEASURES: &[(&str, &str)] = &[(
    "high_levels_not_approved",
    "CASE WHEN y.proposed_level >= 3 AND y.dossier_status IS DISTINCT FROM 'approved' THEN 1 ELSE 0 END",
)];

/// Review counters per unit (0/1), added with review, at the summary's end after
/// [`APPENDED_SYSTEM_MEASURES`]: whether the unit's figures are counted in this summary
/// (in the approved summary, only units with an approved version), and the review state
/// of its latest version (`l.review_state`: `approve`, `return` or `pending`; a reviewer's
/// backlog is its `pending` units).
const REVIEW_MEASURES: &[(&str, &str)] = &[
    (
        "units_counted",
        "CASE WHEN u.expected AND l.submission_id IS NOT NULL THEN 1 ELSE 0 END",
    ),
    (
        "units_review_approved",
        "CASE WHEN u.expected AND l.review_state = 'approve' THEN 1 ELSE 0 END",
    ),
    (
        "units_review_returned",
        "CASE WHEN u.expected AND l.review_state = 'return' THEN 1 ELSE 0 END",
    ),
    (
        "units_review_pending",
        "CASE WHEN u.expected AND l.review_state = 'pending' THEN 1 ELSE 0 END",
    ),
];

/// The measure columns after the percentages, in output order.
fn appended_measure_columns() -> impl Iterator<Item = &'static str> {
    APPENDED_STATUS_MEASURES
        .iter()
        .chain(APPENDED_SYSTEM_MEASURES)
        .chain(REVIEW_MEASURES)
        .map(|(name, _)| *name)
}

/// The measure columns before the percentages, in output order.
fn leading_measure_columns() -> impl Iterator<Item = &'static str> {
    STATUS_MEASURES
        .iter()
        .chain(SYSTEM_MEASURES)
        .chain(UNIT_MEASURES)
        .map(|(name, _)| *name)
}

/// Every summed measure column of the summary, in output order.
pub fn measure_columns() -> impl Iterator<Item = &'static str> {
    leading_measure_columns().chain(appended_measure_columns())
}

/// Raw `submissions` columns the unit-level measures read from a unit's latest version
/// (what [`crate::latest`] keeps of it).
pub const LATEST_UNIT_COLUMNS: &[&str] = &[
    "budget_allocated_vnd",
    "regulation_updated",
    "national_regulation_applied",
    "incidents",
    "telecom_cameras_checked",
    "telecom_non_compliant_found",
    "telecom_users_notified",
    "telecom_non_compliant_handled",
    "police_assessments_done",
    "police_cases_handled",
    "market_inspections",
    "market_violations",
    "media_items_broadcast",
];

/// Raw `systems` columns the system measures read (what [`crate::latest`] keeps).
pub const SYSTEM_COLUMNS: &[&str] = &[
    "camera_count",
    "proposed_level",
    "dossier_status",
    "approved_level",
    "plan_status",
    "assessed_at_procurement",
    "last_periodic_assessment_on",
    "cameras_certified",
    "cameras_on_warning_list",
    "cameras_replaced_or_removed",
];

/// The shared CTEs: the selection ([`selection_ctes`]) for `basis` and the per-unit rows
/// ([`per_unit_over_latest`]).
fn per_unit_ctes(basis: CountBasis) -> String {
    format!(
        "WITH\n{},\n{}",
        selection_ctes(basis),
        per_unit_over_latest()
    )
}

/// Which version of a unit a summary counts, as a join condition on `c` (a row of
/// `versions`): the latest, or the latest one its reviewer approved.
fn counted_version(basis: CountBasis) -> &'static str {
    match basis {
        CountBasis::Received => "c.version_rank = 1",
        CountBasis::Approved => "c.approved_rank = 1 AND c.decision = 'approve'",
    }
}

/// The selection, in SQL: one accepted copy per submission id received before the
/// cut-off (`accepted`), the decision that counts for each version (`decisions`), each
/// unit's counted version (`latest`: the latest, or for `basis` approved the latest
/// approved; with `first_received_at`, `version_count` and the `review_state` of the
/// latest version), and one copy of each of the counted version's systems
/// (`latest_systems`). This text is the specification; the production rollup computes the
/// same two tables with hash maps ([`crate::latest`]), the fixture tests check both agree
/// for both bases, and `baocao bench rollup` checks that DuckDB running this text gets the
/// same summary.
fn selection_ctes(basis: CountBasis) -> String {
    let counted = counted_version(basis);
    let unit_columns = LATEST_UNIT_COLUMNS
        .iter()
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"accepted AS (
  -- A (unit, submission id) is counted once, however many times it was delivered or
  -- landed: the first acceptance (earliest received_at, then Kafka position) wins. Two
  -- units may use the same id; each is its own submission.
  SELECT * FROM (
    SELECT s.*, ROW_NUMBER() OVER (
      PARTITION BY s.unit_code, s.submission_id
      ORDER BY {FIRST_COPY_ORDER}) AS copy_rank
    FROM submissions s CROSS JOIN rollup_params p
    WHERE s.campaign_id = p.campaign_id AND s.received_at < p.cut_off
  ) WHERE copy_rank = 1
),
decisions AS (
  -- A reviewer's decision on a version: the first recorded before the cut-off counts.
  SELECT * FROM (
    SELECT r.unit_code, r.submission_id, r.decision, ROW_NUMBER() OVER (
      PARTITION BY r.unit_code, r.submission_id ORDER BY {DECISION_ORDER}) AS decision_rank
    FROM reviews r CROSS JOIN rollup_params p
    WHERE r.campaign_id = p.campaign_id AND r.reviewed_at < p.cut_off
  ) WHERE decision_rank = 1
),
versions AS (
  -- A correction supersedes earlier reports: the latest accepted version counts (ties
  -- in received_at broken by Kafka order, a unit's real order: its records share a key
  -- and so a partition). The first version inside the milestone's window decides
  -- timeliness. Counting approved reports, the latest approved version counts instead.
  SELECT a.*, d.decision,
    ROW_NUMBER() OVER (PARTITION BY a.unit_code
      ORDER BY {LATEST_VERSION_ORDER}) AS version_rank,
    ROW_NUMBER() OVER (PARTITION BY a.unit_code
      ORDER BY CASE WHEN d.decision = 'approve' THEN 0 ELSE 1 END, {LATEST_VERSION_ORDER}) AS approved_rank,
    MIN(CASE WHEN a.received_at >= p.window_start THEN a.received_at END)
      OVER (PARTITION BY a.unit_code) AS first_received_at,
    COUNT(*) OVER (PARTITION BY a.unit_code) AS version_count
  FROM accepted a CROSS JOIN rollup_params p
  LEFT JOIN decisions d ON d.unit_code = a.unit_code AND d.submission_id = a.submission_id
),
latest AS (
  -- Every unit with a version; the counted version's columns (none when nothing of the
  -- unit is counted), the review state of its latest version.
  SELECT n.unit_code, c.submission_id, c.received_at, c.kafka_partition, c.kafka_offset,
    {unit_columns}, n.first_received_at, n.version_count,
    COALESCE(n.decision, 'pending') AS review_state
  FROM versions n LEFT JOIN versions c ON c.unit_code = n.unit_code AND {counted}
  WHERE n.version_rank = 1
),
latest_systems AS (
  -- The systems of the counted copy of each counted version (the record at its Kafka
  -- position), one of each system code should that record have landed twice.
  SELECT * FROM (
    SELECT y.*, ROW_NUMBER() OVER (
      PARTITION BY y.unit_code, y.system_code ORDER BY y.received_at) AS copy_rank
    FROM systems y JOIN latest l
      ON y.unit_code = l.unit_code AND y.submission_id = l.submission_id
     AND y.kafka_partition = l.kafka_partition AND y.kafka_offset = l.kafka_offset
  ) WHERE copy_rank = 1
)"#
    )
}

/// The per-unit rows (`per_unit`) from tables or CTEs `latest` and `latest_systems`,
/// `units` and `rollup_params`: every unit of the registry, its status and its measures.
fn per_unit_over_latest() -> String {
    let system_sums = SYSTEM_MEASURES
        .iter()
        .chain(APPENDED_SYSTEM_MEASURES)
        .map(|(name, expr)| format!("SUM({expr}) AS {name}"))
        .collect::<Vec<_>>()
        .join(",\n    ");
    let per_unit_measures = STATUS_MEASURES
        .iter()
        .map(|(name, expr)| format!("{expr} AS {name}"))
        .chain(
            SYSTEM_MEASURES
                .iter()
                .map(|(name, _)| format!("COALESCE(s.{name}, 0) AS {name}")),
        )
        .chain(
            UNIT_MEASURES
                .iter()
                .map(|(name, expr)| format!("COALESCE({expr}, 0) AS {name}")),
        )
        .collect::<Vec<_>>()
        .join(",\n    ");
    let appended = APPENDED_STATUS_MEASURES
        .iter()
        .map(|(name, expr)| format!("{expr} AS {name}"))
        .chain(
            APPENDED_SYSTEM_MEASURES
                .iter()
                .map(|(name, _)| format!("COALESCE(s.{name}, 0) AS {name}")),
        )
        .chain(
            REVIEW_MEASURES
                .iter()
                .map(|(name, expr)| format!("{expr} AS {name}")),
        )
        .collect::<Vec<_>>()
        .join(",\n    ");
    format!(
        r#"system_sums AS (
  SELECT y.unit_code,
    {system_sums}
  FROM latest_systems y
  GROUP BY y.unit_code
),
per_unit AS (
  SELECT u.unit_code, u.unit_name, u.unit_kind, u.unit_tier, u.expected,
    u.province_code, u.province_name, u.district_code, u.district_name, u.commune_code, u.commune_name,
    l.submission_id, l.first_received_at, l.received_at AS latest_received_at,
    COALESCE(l.version_count, 0) AS versions,
    CASE
      WHEN NOT u.expected THEN 'not_required'
      WHEN l.unit_code IS NULL THEN 'missing'
      WHEN l.first_received_at IS NULL THEN 'not_updated'
      WHEN l.first_received_at < p.unit_deadline_end THEN 'on_time'
      ELSE 'late'
    END AS report_status,
    {per_unit_measures},
    {appended},
    l.review_state
  FROM units u
  CROSS JOIN rollup_params p
  LEFT JOIN latest l ON u.unit_code = l.unit_code
  LEFT JOIN system_sums s ON s.unit_code = l.unit_code
)"#
    )
}

/// The per-unit rows alone (the shared CTEs) counting `basis`, for computing them once
/// per rollup.
pub fn per_unit_sql(basis: CountBasis) -> String {
    format!("{}\nSELECT * FROM per_unit", per_unit_ctes(basis))
}

/// The per-unit rows over tables `latest` and `latest_systems` computed beforehand
/// ([`crate::latest`]).
pub fn per_unit_over_latest_sql() -> String {
    format!("WITH\n{}\nSELECT * FROM per_unit", per_unit_over_latest())
}

/// The summary counting `basis`: one row per tier member (province, district, commune,
/// unit), measures summed over the units beneath it. One scan with GROUPING SETS.
/// Self-contained (the benchmark runs this text in DuckDB).
pub fn summary_sql(basis: CountBasis) -> String {
    format!("{},\n{}", per_unit_ctes(basis), summary_over_per_unit())
}

/// [`summary_sql`] over a `per_unit` table computed beforehand ([`per_unit_sql`]).
pub fn summary_over_per_unit_sql() -> String {
    format!("WITH {}", summary_over_per_unit())
}

fn summary_over_per_unit() -> String {
    let sums = measure_columns()
        .map(|name| format!("SUM({name}) AS {name}"))
        .collect::<Vec<_>>()
        .join(",\n    ");
    let measures = leading_measure_columns().collect::<Vec<_>>().join(", ");
    let appended = appended_measure_columns().collect::<Vec<_>>().join(", ");
    let percentages = r#"CASE WHEN units_expected > 0 THEN 100.0 * units_reported / units_expected END AS completeness_pct,
  CASE WHEN units_expected > 0 THEN 100.0 * units_on_time / units_expected END AS timeliness_pct,
  CASE WHEN systems > 0 THEN 100.0 * dossiers_approved / systems END AS approved_pct,
  CASE WHEN systems > 0 THEN 100.0 * plans_implemented / systems END AS implemented_pct"#;
    // Unit rows are the per-unit rows themselves; only communes, districts and provinces
    // are aggregated (aggregating the unit level too, with MAX() over its text columns,
    // was most of this query's time).
    format!(
        r#"areas AS (
  SELECT province_code, district_code, commune_code,
    grouping(district_code) AS by_province, grouping(commune_code) AS by_district,
    MAX(province_name) AS province_name, MAX(district_name) AS district_name,
    MAX(commune_name) AS commune_name, MIN(first_received_at) AS first_received_at,
    SUM(versions) AS versions,
    {sums}
  FROM per_unit
  GROUP BY GROUPING SETS (
    (province_code),
    (province_code, district_code),
    (province_code, district_code, commune_code))
),
tiered AS (
  SELECT *,
    CASE WHEN by_province = 1 THEN 'province' WHEN by_district = 1 THEN 'district'
         ELSE 'commune' END AS tier
  FROM areas
),
rows AS (
  SELECT
    tier,
    CASE tier WHEN 'province' THEN province_code WHEN 'district' THEN district_code
              ELSE commune_code END AS code,
    CASE tier WHEN 'province' THEN province_name WHEN 'district' THEN district_name
              ELSE commune_name END AS name,
    province_code,
    CASE WHEN tier = 'province' THEN NULL ELSE district_code END AS district_code,
    CASE WHEN tier = 'commune' THEN commune_code END AS commune_code,
    -- Typed NULLs (the unit rows' columns have these types).
    CASE WHEN FALSE THEN province_name END AS unit_kind,
    CASE WHEN FALSE THEN province_name END AS unit_tier,
    CASE WHEN FALSE THEN province_name END AS report_status,
    CASE WHEN FALSE THEN province_name END AS submission_id,
    CASE WHEN FALSE THEN first_received_at END AS first_received_at,
    CASE WHEN FALSE THEN first_received_at END AS latest_received_at,
    versions,
    {measures},
    {percentages},
    {appended},
    CASE WHEN FALSE THEN province_name END AS review_state
  FROM tiered
  -- A district group of units with no district (provincial units) or a commune group of
  -- units with no commune (district units) is not a real district or commune.
  WHERE NOT (tier = 'district' AND district_code IS NULL)
    AND NOT (tier = 'commune' AND commune_code IS NULL)
  UNION ALL
  SELECT 'unit' AS tier, unit_code AS code, unit_name AS name, province_code, district_code,
    commune_code, unit_kind, unit_tier, report_status, submission_id, first_received_at,
    latest_received_at, versions,
    {measures},
    {percentages},
    {appended},
    review_state
  FROM per_unit
)
SELECT * FROM rows
ORDER BY province_code, district_code NULLS FIRST, commune_code NULLS FIRST,
  CASE tier WHEN 'province' THEN 0 WHEN 'district' THEN 1 WHEN 'commune' THEN 2 ELSE 3 END, code"#
    )
}

/// Expected units that reported late, not at all, or not since the milestone's window
/// opened, by district and commune.
pub fn late_and_missing_sql() -> String {
    format!(
        "{}\n{}",
        per_unit_ctes(CountBasis::Received),
        late_and_missing_over_per_unit_sql()
    )
}

/// [`late_and_missing_sql`] over a `per_unit` table computed beforehand.
pub fn late_and_missing_over_per_unit_sql() -> String {
    r#"SELECT unit_code, unit_name, unit_kind, unit_tier, report_status,
  district_code, district_name, commune_code, commune_name, first_received_at,
  latest_received_at
FROM per_unit
WHERE expected AND report_status IN ('late', 'missing', 'not_updated')
ORDER BY district_code NULLS FIRST, commune_code NULLS FIRST, report_status, unit_code"#
        .to_string()
}
