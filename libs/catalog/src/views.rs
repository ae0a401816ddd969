//! The selection rule in SQL, spelled once: the orders that pick a landed copy, a unit's
//! latest version and the review decision that counts, and the catalog's views built on
//! them (`submissions`, `systems`, `unit_state`, `weekly_trend`, `review_decisions`,
//! `review_state`). The rollup's specification (`baocao_rollup::sql`) uses the same
//! orders, so an analyst's view and the Chairman's figures cannot disagree on which
//! copy counts.

/// The order that makes a landed copy of a (unit, submission id) the counted one: the
/// first in the log (a key's copies share a partition, so its offsets order them; the
/// receipt only breaks what cannot happen, equal positions). The log, not a gateway's
/// clock, is the arbiter: a gateway answers OK only when its own record is this first
/// copy (`baocao_submission`'s read-back), so OK always means this copy. The one
/// spelling of the rule for every SQL that selects (this specification and the
/// catalog's views); the rollup's selection (`baocao_rollup::latest`) implements the same order with hash maps.
pub const FIRST_COPY_ORDER: &str = "kafka_partition, kafka_offset, received_at";

/// The order that makes a version a unit's latest: the newest receipt, ties broken by
/// Kafka position (a unit's records share a key, so a partition, so that order is real).
pub const LATEST_VERSION_ORDER: &str = "received_at DESC, kafka_partition DESC, kafka_offset DESC";

/// The order that makes a review decision the one that counts for a version: the first
/// in the log (a version's decisions share its unit's partition; the desk that wrote it
/// answered OK only after reading its record back as the first). Decisions landed before
/// positions were written (null) came before any that have one, and among themselves go
/// by instant, then `approve` before `return`.
pub const DECISION_ORDER: &str =
    "kafka_partition IS NOT NULL, kafka_partition, kafka_offset, reviewed_at, decision";

/// The catalog's views over the raw tables: the selection rule of `docs/schema.md` (first
/// copy per (unit, id); latest version per unit) in SQL, and the weekly trend.
pub(crate) fn catalog_views() -> [String; 6] {
    [
        // One row per (unit, submission id): its first acceptance. Two units may use one id.
        // `received_at_vn`: the same instant shown in Vietnam time (UTC+7), beside the
        // UTC one; `received_date` is already the Vietnam day.
        format!(
            r#"CREATE VIEW submissions AS SELECT * EXCLUDE (copy_rank),
           arrow_cast(received_at, 'Timestamp(Millisecond, Some("+07:00"))') AS received_at_vn
         FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign_id, unit_code, submission_id
             ORDER BY {FIRST_COPY_ORDER}) AS copy_rank
           FROM submissions_raw) WHERE copy_rank = 1"#
        ),
        // The systems of that counted copy (the record at its Kafka position), one of each
        // code should the record have landed twice.
        "CREATE VIEW systems AS SELECT * EXCLUDE (copy_rank) FROM (
           SELECT y.*, ROW_NUMBER() OVER (
               PARTITION BY y.campaign_id, y.unit_code, y.submission_id, y.system_code
               ORDER BY y.received_date) AS copy_rank
           FROM systems_raw y JOIN submissions s
             ON y.campaign_id = s.campaign_id AND y.unit_code = s.unit_code
            AND y.submission_id = s.submission_id
            AND y.kafka_partition = s.kafka_partition AND y.kafka_offset = s.kafka_offset)
         WHERE copy_rank = 1"
            .to_string(),
        format!(
            "CREATE VIEW unit_state AS SELECT * EXCLUDE (version_rank) FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign_id, unit_code
             ORDER BY {LATEST_VERSION_ORDER}) AS version_rank
           FROM submissions) WHERE version_rank = 1"
        ),
        // The state at the end of every week in which reports arrived (weeks start on
        // Monday 00:00 UTC): each unit's latest report by then, its systems summed.
        format!(
            "CREATE VIEW weekly_trend AS
         WITH weeks AS (
           SELECT DISTINCT campaign_id, date_trunc('week', received_at) AS week_start FROM submissions),
         state AS (
           SELECT w.campaign_id, w.week_start, s.unit_code, s.submission_id,
             ROW_NUMBER() OVER (PARTITION BY w.campaign_id, w.week_start, s.unit_code
               ORDER BY {LATEST_VERSION_ORDER}) AS version_rank
           FROM weeks w JOIN submissions s
             ON s.campaign_id = w.campaign_id AND s.received_at < w.week_start + INTERVAL '7 days')
         SELECT st.campaign_id, st.week_start,
           count(DISTINCT st.unit_code) AS units_reported,
           count(y.system_code) AS systems,
           sum(CASE WHEN y.dossier_status = 'approved' THEN 1 ELSE 0 END) AS approved,
           sum(CASE WHEN y.plan_status = 'implemented' THEN 1 ELSE 0 END) AS implemented
         FROM state st LEFT JOIN systems y
           ON y.campaign_id = st.campaign_id AND y.unit_code = st.unit_code
          AND y.submission_id = st.submission_id
         WHERE st.version_rank = 1
         GROUP BY st.campaign_id, st.week_start"
        ),
        // The decision that counts for each version: the first one recorded.
        format!("CREATE VIEW review_decisions AS SELECT * EXCLUDE (decision_rank) FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY unit_code, submission_id
             ORDER BY {DECISION_ORDER}) AS decision_rank
           FROM reviews) WHERE decision_rank = 1"
        ),
        // Each unit's latest version with its review state, and the reviewers' backlog:
        // latest versions nobody has approved or returned yet.
        "CREATE VIEW review_state AS
         SELECT s.campaign_id, s.unit_code, s.submission_id, s.received_at,
           COALESCE(d.decision, 'pending') AS review_state, d.reviewer_unit, d.reason, d.reviewed_at
         FROM unit_state s LEFT JOIN review_decisions d
           ON d.unit_code = s.unit_code AND d.submission_id = s.submission_id"
            .to_string(),
    ]
}
