//! Envelope → rows of the two raw tables (pure): `submissions` (one row per accepted
//! submission, unit-level fields, who and when) and `systems` (one row per camera system
//! per submission). The schemas are the landing's contract with the rollup and with
//! analysts; `docs/schema.md` documents every column.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Int32Builder, Int64Builder, RecordBatch,
    StringBuilder, TimestampMillisecondBuilder, UInt32Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use baocao_proto::canonical::{canonical_submission_id, content_digest};
use baocao_proto::v1::{
    CameraSystem, Date, DossierStatus, PlanStatus, ReportEnvelope, ReviewEvent, StatusReport,
};
use chrono::{DateTime, NaiveDate, Utc};

use crate::Result;

fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn fields(list: &[(&str, DataType, bool)]) -> SchemaRef {
    Arc::new(Schema::new(
        list.iter()
            .map(|(name, data_type, nullable)| Field::new(*name, data_type.clone(), *nullable))
            .collect::<Vec<_>>(),
    ))
}

/// Declares a raw table once: each column's name, its Arrow builder, its type and
/// whether it may be null. Generates the table's schema and the builders that fill it,
/// so the two can never disagree on order or type.
macro_rules! raw_table {
    ($(#[$doc:meta])* $schema:ident, $columns:ident {
        $($field:ident : $builder:ty => $dtype:expr, $nullable:literal),* $(,)?
    }) => {
        $(#[$doc])*
        pub static $schema: LazyLock<SchemaRef> = LazyLock::new(|| {
            #[allow(unused_imports)]
            use DataType::{Boolean, Date32, Int32, Int64, UInt32, Utf8};
            fields(&[$((stringify!($field), $dtype, $nullable)),*])
        });

        #[derive(Default)]
        struct $columns { $($field: $builder),* }

        impl $columns {
            fn finish(mut self) -> Vec<ArrayRef> {
                vec![$(Arc::new(self.$field.finish()) as ArrayRef),*]
            }
        }
    };
}

raw_table!(
    /// Schema of the `submissions` table: one row per landed record.
    SUBMISSIONS_SCHEMA, SubmissionColumns {
        submission_id: StringBuilder => Utf8, false,
        unit_code: StringBuilder => Utf8, false,
        campaign_id: StringBuilder => Utf8, false,
        as_of: Date32Builder => Date32, false,
        received_at: TimestampMillisecondBuilder => timestamp_type(), false,
        received_date: Date32Builder => Date32, false,
        gateway_tier: StringBuilder => Utf8, false,
        gateway_id: StringBuilder => Utf8, false,
        authenticated_unit: StringBuilder => Utf8, false,
        schema_version: UInt32Builder => UInt32, false,
        reporter_name: StringBuilder => Utf8, false,
        reporter_position: StringBuilder => Utf8, false,
        reporter_phone: StringBuilder => Utf8, false,
        reporter_email: StringBuilder => Utf8, false,
        no_camera_systems: BooleanBuilder => Boolean, false,
        system_count: Int32Builder => Int32, false,
        budget_allocated_vnd: Int64Builder => Int64, false,
        regulation_updated: BooleanBuilder => Boolean, false,
        regulation_document_number: StringBuilder => Utf8, true,
        regulation_document_date: Date32Builder => Date32, true,
        national_regulation_applied: BooleanBuilder => Boolean, true,
        incidents: Int64Builder => Int64, false,
        telecom_cameras_checked: Int64Builder => Int64, true,
        telecom_non_compliant_found: Int64Builder => Int64, true,
        telecom_users_notified: Int64Builder => Int64, true,
        telecom_non_compliant_handled: Int64Builder => Int64, true,
        police_assessments_done: Int64Builder => Int64, true,
        police_cases_handled: Int64Builder => Int64, true,
        market_inspections: Int64Builder => Int64, true,
        market_violations: Int64Builder => Int64, true,
        media_items_broadcast: Int64Builder => Int64, true,
        notes: StringBuilder => Utf8, false,
        kafka_partition: Int32Builder => Int32, false,
        kafka_offset: Int64Builder => Int64, false,
        // Added after the first release: null in files landed before it.
        content_sha256: StringBuilder => Utf8, true,
    }
);

raw_table!(
    /// Schema of the `systems` table: one row per camera system of a landed record.
    SYSTEMS_SCHEMA, SystemColumns {
        submission_id: StringBuilder => Utf8, false,
        unit_code: StringBuilder => Utf8, false,
        campaign_id: StringBuilder => Utf8, false,
        received_at: TimestampMillisecondBuilder => timestamp_type(), false,
        received_date: Date32Builder => Date32, false,
        system_code: StringBuilder => Utf8, false,
        name: StringBuilder => Utf8, false,
        location: StringBuilder => Utf8, false,
        camera_count: Int64Builder => Int64, false,
        proposed_level: Int32Builder => Int32, false,
        dossier_status: StringBuilder => Utf8, false,
        approval_decision_number: StringBuilder => Utf8, true,
        approval_decision_date: Date32Builder => Date32, true,
        approving_authority: StringBuilder => Utf8, true,
        approved_level: Int32Builder => Int32, true,
        plan_status: StringBuilder => Utf8, false,
        plan_implemented_on: Date32Builder => Date32, true,
        assessed_at_procurement: BooleanBuilder => Boolean, true,
        last_periodic_assessment_on: Date32Builder => Date32, true,
        cameras_certified: Int64Builder => Int64, false,
        cameras_on_warning_list: Int64Builder => Int64, false,
        cameras_replaced_or_removed: Int64Builder => Int64, false,
        kafka_partition: Int32Builder => Int32, false,
        kafka_offset: Int64Builder => Int64, false,
    }
);

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");

/// Days since 1970-01-01 (Arrow Date32) of a calendar day.
pub fn date32(day: NaiveDate) -> i32 {
    (day - EPOCH).num_days() as i32
}

fn proto_date(date: &Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        date.year,
        u32::try_from(date.month).ok()?,
        u32::try_from(date.day).ok()?,
    )
}

/// The dossier status as stored: `not_started`, `preparing`, `submitted`, `appraised`,
/// `approved`, `rejected` (or `unspecified`).
pub fn dossier_status_name(value: i32) -> &'static str {
    match DossierStatus::try_from(value) {
        Ok(DossierStatus::NotStarted) => "not_started",
        Ok(DossierStatus::Preparing) => "preparing",
        Ok(DossierStatus::Submitted) => "submitted",
        Ok(DossierStatus::Appraised) => "appraised",
        Ok(DossierStatus::Approved) => "approved",
        Ok(DossierStatus::Rejected) => "rejected",
        _ => "unspecified",
    }
}

/// The plan status as stored: `not_started`, `in_progress`, `implemented`.
pub fn plan_status_name(value: i32) -> &'static str {
    match PlanStatus::try_from(value) {
        Ok(PlanStatus::NotStarted) => "not_started",
        Ok(PlanStatus::InProgress) => "in_progress",
        Ok(PlanStatus::Implemented) => "implemented",
        _ => "unspecified",
    }
}

/// Why an envelope cannot be landed (it goes to the dead-letter topic with this reason).
pub fn check_envelope(envelope: &ReportEnvelope) -> Result<(), String> {
    if envelope.schema_version == 0
        || envelope.schema_version > baocao_proto::ENVELOPE_SCHEMA_VERSION
    {
        return Err(format!(
            "envelope schema_version {} is not understood (this build knows up to {})",
            envelope.schema_version,
            baocao_proto::ENVELOPE_SCHEMA_VERSION
        ));
    }
    let report = envelope.report.as_ref().ok_or("envelope has no report")?;
    if envelope.received_at.is_none() {
        return Err("envelope has no received_at".into());
    }
    if report.submission_id.is_empty()
        || report.unit_code.is_empty()
        || report.campaign_id.is_empty()
    {
        return Err("report lacks submission_id, unit_code or campaign_id".into());
    }
    let path_safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !report.campaign_id.chars().all(path_safe) || report.campaign_id.starts_with('.') {
        return Err(format!(
            "campaign_id `{}` is not a safe directory name",
            report.campaign_id
        ));
    }
    if report.as_of.as_ref().and_then(proto_date).is_none() {
        return Err("report.as_of is missing or not a calendar date".into());
    }
    Ok(())
}

/// The instant an envelope was received.
pub fn received_at(envelope: &ReportEnvelope) -> DateTime<Utc> {
    envelope
        .received_at
        .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .unwrap_or_default()
}

/// What every row of one landed record shares: its canonical id, content digest, receipt
/// and Kafka position.
struct Landed {
    submission_id: String,
    digest: String,
    received_ms: i64,
    received_day: i32,
    partition: i32,
    offset: i64,
}

/// Rows of one partition directory (one campaign, one received date) being accumulated.
#[derive(Default)]
pub struct PartitionRows {
    submissions: SubmissionColumns,
    systems: SystemColumns,
    submission_rows: usize,
    system_rows: usize,
}

fn date_opt(date: Option<&Date>) -> Option<i32> {
    date.and_then(proto_date).map(date32)
}

impl PartitionRows {
    /// Number of submission rows held.
    pub fn submission_rows(&self) -> usize {
        self.submission_rows
    }

    /// Number of system rows held.
    pub fn system_rows(&self) -> usize {
        self.system_rows
    }

    /// Appends one checked envelope (see [`check_envelope`]) read at `partition`/`offset`.
    pub fn push(&mut self, envelope: &ReportEnvelope, partition: i32, offset: i64) {
        let Some(report) = envelope.report.as_ref() else {
            return;
        };
        let received = received_at(envelope);
        let at = Landed {
            // The id in its one canonical spelling (records from before the gateways
            // wrote it so are landed the same way), and the digest that tells a repeat
            // from a conflicting reuse of an id.
            submission_id: canonical_submission_id(&report.submission_id)
                .unwrap_or_else(|| report.submission_id.clone()),
            digest: hex::encode(content_digest(report)),
            received_ms: received.timestamp_millis(),
            received_day: date32(baocao_registry::vietnam_date(received)),
            partition,
            offset,
        };
        self.push_submission(envelope, report, &at);
        for system in &report.systems {
            self.push_system(report, system, &at);
        }
    }

    /// The `submissions` row of one report.
    fn push_submission(&mut self, envelope: &ReportEnvelope, report: &StatusReport, at: &Landed) {
        let s = &mut self.submissions;
        s.submission_id.append_value(&at.submission_id);
        s.unit_code.append_value(&report.unit_code);
        s.campaign_id.append_value(&report.campaign_id);
        s.as_of
            .append_value(date_opt(report.as_of.as_ref()).unwrap_or_default());
        s.received_at.append_value(at.received_ms);
        s.received_date.append_value(at.received_day);
        s.gateway_tier.append_value(&envelope.gateway_tier);
        s.gateway_id.append_value(&envelope.gateway_id);
        s.authenticated_unit
            .append_value(&envelope.authenticated_unit);
        s.schema_version.append_value(envelope.schema_version);
        let reporter = report.reporter.clone().unwrap_or_default();
        s.reporter_name.append_value(&reporter.full_name);
        s.reporter_position.append_value(&reporter.position);
        s.reporter_phone.append_value(&reporter.phone);
        s.reporter_email.append_value(&reporter.email);
        s.no_camera_systems.append_value(report.no_camera_systems);
        s.system_count.append_value(report.systems.len() as i32);
        s.budget_allocated_vnd
            .append_value(report.budget_allocated_vnd);
        let regulation = report.internal_regulation.as_ref();
        s.regulation_updated
            .append_value(regulation.is_some_and(|r| r.updated));
        s.regulation_document_number.append_option(
            regulation
                .filter(|r| !r.document_number.is_empty())
                .map(|r| r.document_number.as_str()),
        );
        s.regulation_document_date
            .append_option(date_opt(regulation.and_then(|r| r.document_date.as_ref())));
        s.national_regulation_applied
            .append_option(report.national_regulation_applied);
        s.incidents.append_value(report.incidents);
        let telecom = report.telecom.as_ref();
        s.telecom_cameras_checked
            .append_option(telecom.map(|t| t.cameras_checked));
        s.telecom_non_compliant_found
            .append_option(telecom.map(|t| t.non_compliant_found));
        s.telecom_users_notified
            .append_option(telecom.map(|t| t.users_notified));
        s.telecom_non_compliant_handled
            .append_option(telecom.map(|t| t.non_compliant_handled));
        let police = report.police.as_ref();
        s.police_assessments_done
            .append_option(police.map(|p| p.assessments_done));
        s.police_cases_handled
            .append_option(police.map(|p| p.cases_handled));
        let market = report.market.as_ref();
        s.market_inspections
            .append_option(market.map(|m| m.inspections));
        s.market_violations
            .append_option(market.map(|m| m.violations));
        s.media_items_broadcast
            .append_option(report.media.as_ref().map(|m| m.items_broadcast));
        s.notes.append_value(&report.notes);
        s.kafka_partition.append_value(at.partition);
        s.kafka_offset.append_value(at.offset);
        s.content_sha256.append_value(&at.digest);
        self.submission_rows += 1;
    }

    /// The `systems` row of one camera system of a report.
    fn push_system(&mut self, report: &StatusReport, system: &CameraSystem, at: &Landed) {
        let y = &mut self.systems;
        y.submission_id.append_value(&at.submission_id);
        y.unit_code.append_value(&report.unit_code);
        y.campaign_id.append_value(&report.campaign_id);
        y.received_at.append_value(at.received_ms);
        y.received_date.append_value(at.received_day);
        y.system_code.append_value(&system.system_code);
        y.name.append_value(&system.name);
        y.location.append_value(&system.location);
        y.camera_count.append_value(system.camera_count);
        y.proposed_level.append_value(system.proposed_level);
        y.dossier_status
            .append_value(dossier_status_name(system.dossier_status));
        let approval = system.approval.as_ref();
        y.approval_decision_number
            .append_option(approval.map(|a| a.decision_number.as_str()));
        y.approval_decision_date
            .append_option(date_opt(approval.and_then(|a| a.decision_date.as_ref())));
        y.approving_authority
            .append_option(approval.map(|a| a.approving_authority.as_str()));
        y.approved_level
            .append_option(approval.map(|a| a.approved_level));
        y.plan_status
            .append_value(plan_status_name(system.plan_status));
        y.plan_implemented_on
            .append_option(date_opt(system.plan_implemented_on.as_ref()));
        y.assessed_at_procurement
            .append_option(system.assessed_at_procurement);
        y.last_periodic_assessment_on
            .append_option(date_opt(system.last_periodic_assessment_on.as_ref()));
        y.cameras_certified.append_value(system.cameras_certified);
        y.cameras_on_warning_list
            .append_value(system.cameras_on_warning_list);
        y.cameras_replaced_or_removed
            .append_value(system.cameras_replaced_or_removed);
        y.kafka_partition.append_value(at.partition);
        y.kafka_offset.append_value(at.offset);
        self.system_rows += 1;
    }

    /// The accumulated rows as (submissions, systems) record batches.
    pub fn finish(self) -> Result<(RecordBatch, RecordBatch)> {
        let submissions = to_batch(&SUBMISSIONS_SCHEMA, self.submissions.finish())?;
        let systems = to_batch(&SYSTEMS_SCHEMA, self.systems.finish())?;
        Ok((submissions, systems))
    }
}

raw_table!(
    /// Schema of the `reviews` table: one row per landed review decision (the first per
    /// (unit_code, submission_id) in the log is the one that counts). The Kafka position
    /// is null in files landed before it was written.
    REVIEWS_SCHEMA, ReviewColumns {
        unit_code: StringBuilder => Utf8, false,
        campaign_id: StringBuilder => Utf8, false,
        submission_id: StringBuilder => Utf8, false,
        decision: StringBuilder => Utf8, false,
        reason: StringBuilder => Utf8, false,
        reviewer_unit: StringBuilder => Utf8, false,
        reviewed_at: TimestampMillisecondBuilder => timestamp_type(), false,
        gateway_id: StringBuilder => Utf8, false,
        schema_version: UInt32Builder => UInt32, false,
        kafka_partition: Int32Builder => Int32, true,
        kafka_offset: Int64Builder => Int64, true,
    }
);

/// A review decision and its (partition, offset) in the reviews topic.
pub type LoggedReview = (ReviewEvent, (i32, i64));

/// The rows of review decisions and their positions in the reviews topic, as a `reviews`
/// batch.
pub fn review_rows(events: &[LoggedReview]) -> Result<RecordBatch> {
    let mut c = ReviewColumns::default();
    for (e, (partition, offset)) in events {
        c.kafka_partition.append_value(*partition);
        c.kafka_offset.append_value(*offset);
        c.unit_code.append_value(&e.unit_code);
        c.campaign_id.append_value(&e.campaign_id);
        c.submission_id.append_value(&e.submission_id);
        c.decision.append_value(&e.decision);
        c.reason.append_value(&e.reason);
        c.reviewer_unit.append_value(&e.reviewer_unit);
        c.reviewed_at.append_value(e.reviewed_at_ms());
        c.gateway_id.append_value(&e.gateway_id);
        c.schema_version.append_value(e.schema_version);
    }
    to_batch(&REVIEWS_SCHEMA, c.finish())
}

/// Builds a batch, casting columns whose builder type differs only in metadata (the
/// timestamp builders carry no time zone; the schema says UTC).
fn to_batch(schema: &SchemaRef, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(column)
            } else {
                arrow::compute::cast(&column, field.data_type())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}
