//! Report validation: pure rules over a `StatusReport`, the registry and today's date.
//! Collects *every* problem at once as (field path, reason) pairs, so a unit fixes its
//! report in one round trip. No I/O here: the gateway maps the result to
//! `INVALID_ARGUMENT` with `google.rpc.BadRequest`.

use std::collections::HashSet;

use baocao_proto::v1::{
    Approval, CameraSystem, Date, DossierStatus, InternalRegulation, PlanStatus, Reporter,
    StatusReport,
};
use baocao_registry::{Registry, ReportingUnit};
use chrono::{Datelike, NaiveDate};

/// One problem with one field; `field` is a path such as `report.systems[2].proposed_level`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Path of the offending field, in `.proto` field names.
    pub field: String,
    /// Why it is refused, in words the reporting officer can act on (English, for API
    /// clients and logs).
    pub reason: String,
    /// The same in Vietnamese, for the people who fill forms and spreadsheets.
    pub reason_vi: String,
}

/// Largest count any one field of a report may carry (cameras of a system, incidents,
/// checks by a telecom operator…): ten million, beyond any real unit, and small enough
/// that the sums over a whole country can never overflow 64 bits.
pub const MAX_COUNT: i64 = 10_000_000;

/// Largest budget one unit may report, in VND (one million billion: far beyond any
/// unit's camera-security budget, and safe to sum).
pub const MAX_BUDGET_VND: i64 = 1_000_000_000_000_000;

/// No date in a report may be earlier than this year (the camera and security-level
/// rules date from 2016; a year 0 or 1900 is a typo or an attack, not history).
pub const EARLIEST_YEAR: i32 = 2000;

/// Limits that bound a report's size, from configuration.
#[derive(Clone, Copy, Debug)]
pub struct ReportLimits {
    /// Most camera systems one report may list.
    pub max_systems: usize,
    /// Largest encoded report, in bytes.
    pub max_report_bytes: usize,
    /// Longest free-text field, in characters.
    pub max_text_chars: usize,
}

impl Default for ReportLimits {
    fn default() -> Self {
        ReportLimits {
            max_systems: 500,
            max_report_bytes: 1024 * 1024,
            max_text_chars: 500,
        }
    }
}

/// What validation needs besides the report.
pub struct ValidationContext<'a> {
    /// The registry: campaigns, units, kinds.
    pub registry: &'a Registry,
    /// Today in Vietnam (UTC+7): later dates are "in the future".
    pub today: NaiveDate,
    /// Size limits.
    pub limits: ReportLimits,
    /// Encoded size of the report in bytes.
    pub encoded_len: usize,
}

struct Collector {
    violations: Vec<Violation>,
}

impl Collector {
    fn add(
        &mut self,
        field: impl Into<String>,
        reason: impl Into<String>,
        reason_vi: impl Into<String>,
    ) {
        self.violations.push(Violation {
            field: field.into(),
            reason: reason.into(),
            reason_vi: reason_vi.into(),
        });
    }

    /// A count or an amount: not negative, and not beyond `max` (a figure no unit can
    /// have, which would also overflow the province's sums).
    fn quantity(&mut self, field: &str, value: i64, max: i64) {
        if value < 0 {
            self.add(
                field,
                format!("must not be negative (got {value})"),
                format!("Không được là số âm (đã nhập {value})."),
            );
        } else if value > max {
            self.add(
                field,
                format!("{value} is implausible; at most {max}"),
                format!("{value} là con số không hợp lý; tối đa {max}."),
            );
        }
    }

    fn text(&mut self, field: &str, value: &str, required: bool, max_chars: usize) {
        if required && value.trim().is_empty() {
            self.add(field, "is required", "Bắt buộc nhập.");
        }
        let chars = value.chars().count();
        if chars > max_chars {
            self.add(
                field,
                format!("is {chars} characters long; at most {max_chars} allowed"),
                format!("Dài {chars} ký tự; tối đa {max_chars} ký tự."),
            );
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            self.add(
                field,
                "contains control characters",
                "Chứa ký tự điều khiển không hợp lệ.",
            );
        }
    }

    /// Checks a date that must be a real calendar day and not after today.
    fn date(
        &mut self,
        field: &str,
        date: Option<&Date>,
        required: bool,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        let Some(date) = date else {
            if required {
                self.add(field, "is required", "Bắt buộc nhập ngày.");
            }
            return None;
        };
        match calendar_date(date) {
            None => {
                self.add(
                    field,
                    format!(
                        "{}/{}/{} is not a calendar date",
                        date.day, date.month, date.year
                    ),
                    format!(
                        "{}/{}/{} không phải là ngày có thật.",
                        date.day, date.month, date.year
                    ),
                );
                None
            }
            Some(day) if day > today => {
                self.add(
                    field,
                    format!("{day} is in the future (today is {today})"),
                    format!("Ngày {} chưa đến (hôm nay là {}).", vn(day), vn(today)),
                );
                None
            }
            Some(day) if day.year() < EARLIEST_YEAR => {
                self.add(
                    field,
                    format!("{day} is before {EARLIEST_YEAR}: not a plausible date for a report"),
                    format!("Ngày {} trước năm {EARLIEST_YEAR}: không hợp lý.", vn(day)),
                );
                None
            }
            Some(day) => Some(day),
        }
    }
}

/// A day as Vietnamese write it: 15/03/2026.
fn vn(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// The calendar day a proto `Date` names, if it is one (2023-02-30 is not).
pub fn calendar_date(date: &Date) -> Option<NaiveDate> {
    let month = u32::try_from(date.month).ok()?;
    let day = u32::try_from(date.day).ok()?;
    NaiveDate::from_ymd_opt(date.year, month, day)
}

/// Validates `report` submitted for `unit`. Returns every violation found; empty means valid.
pub fn validate_report(
    report: &StatusReport,
    unit: &ReportingUnit,
    ctx: &ValidationContext<'_>,
) -> Vec<Violation> {
    let mut c = Collector {
        violations: Vec::new(),
    };
    let max_text = ctx.limits.max_text_chars;
    check_envelope_fields(&mut c, report, ctx);
    check_campaign(&mut c, report, unit, ctx);
    check_as_of(&mut c, report, ctx);
    check_reporter(&mut c, report.reporter.as_ref(), max_text);
    check_systems(&mut c, report, ctx);
    c.quantity(
        "report.budget_allocated_vnd",
        report.budget_allocated_vnd,
        MAX_BUDGET_VND,
    );
    c.quantity("report.incidents", report.incidents, MAX_COUNT);
    if let Some(reg) = &report.internal_regulation {
        check_regulation(&mut c, reg, ctx.today);
    }
    check_indicators(&mut c, report, unit, ctx.registry);
    c.text("report.notes", &report.notes, false, max_text * 8);
    c.violations
}

/// The report's size and its submission id.
fn check_envelope_fields(c: &mut Collector, report: &StatusReport, ctx: &ValidationContext<'_>) {
    if ctx.encoded_len > ctx.limits.max_report_bytes {
        c.add(
            "report",
            format!(
                "is {} bytes; at most {} bytes allowed",
                ctx.encoded_len, ctx.limits.max_report_bytes
            ),
            format!(
                "Báo cáo quá lớn ({} byte; tối đa {} byte).",
                ctx.encoded_len, ctx.limits.max_report_bytes
            ),
        );
    }
    if report.submission_id.trim().is_empty() {
        c.add(
            "report.submission_id",
            "is required (a client-generated UUID)",
            "Thiếu mã lần gửi: hãy tải lại biểu mẫu.",
        );
    } else if uuid::Uuid::parse_str(&report.submission_id).is_err() {
        c.add(
            "report.submission_id",
            "must be a UUID, e.g. 0192f0c1-7a4e-7cc2-9f0e-5b1d2c3e4f50",
            "Mã lần gửi không hợp lệ: hãy tải lại biểu mẫu.",
        );
    }
}

/// `as_of`: a real date, not in the future, not before the campaign opened.
fn check_as_of(c: &mut Collector, report: &StatusReport, ctx: &ValidationContext<'_>) {
    let as_of = c.date("report.as_of", report.as_of.as_ref(), true, ctx.today);
    if let (Some(as_of), Some(campaign)) = (as_of, ctx.registry.campaign(&report.campaign_id))
        && as_of < campaign.opens_on
    {
        c.add(
            "report.as_of",
            format!(
                "{as_of} is before campaign `{}` opened ({})",
                campaign.id, campaign.opens_on
            ),
            format!(
                "Ngày {} trước khi đợt báo cáo bắt đầu ({}).",
                vn(as_of),
                vn(campaign.opens_on)
            ),
        );
    }
}

/// Who is responsible for the report, and how to reach them.
fn check_reporter(c: &mut Collector, reporter: Option<&Reporter>, max_text: usize) {
    let Some(r) = reporter else {
        c.add(
            "report.reporter",
            "is required (who is responsible for this report)",
            "Cần thông tin người chịu trách nhiệm báo cáo.",
        );
        return;
    };
    c.text("report.reporter.full_name", &r.full_name, true, max_text);
    c.text("report.reporter.position", &r.position, false, max_text);
    c.text("report.reporter.phone", &r.phone, false, 32);
    c.text("report.reporter.email", &r.email, false, 254);
    if r.phone.trim().is_empty() && r.email.trim().is_empty() {
        c.add(
            "report.reporter",
            "give a phone number or an email address",
            "Cần ít nhất số điện thoại hoặc thư điện tử của người báo cáo.",
        );
    }
    if !r.email.is_empty() && !r.email.contains('@') {
        c.add(
            "report.reporter.email",
            "is not an email address",
            "Không phải địa chỉ thư điện tử.",
        );
    }
}

/// The camera systems: present unless the unit has none, within the limit, each valid,
/// each code once.
fn check_systems(c: &mut Collector, report: &StatusReport, ctx: &ValidationContext<'_>) {
    if report.systems.is_empty() && !report.no_camera_systems {
        c.add(
            "report.systems",
            "the report is empty: list the unit's camera systems, or set no_camera_systems if it has none",
            "Báo cáo chưa có hệ thống nào: thêm các hệ thống camera của đơn vị, hoặc đánh dấu “không có hệ thống camera”.",
        );
    }
    if !report.systems.is_empty() && report.no_camera_systems {
        c.add(
            "report.no_camera_systems",
            "is set but the report lists camera systems",
            "Đã đánh dấu “không có hệ thống camera” nhưng báo cáo vẫn liệt kê hệ thống.",
        );
    }
    if report.systems.len() > ctx.limits.max_systems {
        c.add(
            "report.systems",
            format!(
                "lists {} systems; at most {} per report",
                report.systems.len(),
                ctx.limits.max_systems
            ),
            format!(
                "Có {} hệ thống; tối đa {} hệ thống mỗi báo cáo.",
                report.systems.len(),
                ctx.limits.max_systems
            ),
        );
    }
    let mut codes = HashSet::new();
    for (i, system) in report
        .systems
        .iter()
        .enumerate()
        .take(ctx.limits.max_systems)
    {
        let path = format!("report.systems[{i}]");
        check_system(c, &path, system, ctx.today, ctx.limits.max_text_chars);
        if !system.system_code.is_empty() && !codes.insert(system.system_code.as_str()) {
            c.add(
                format!("{path}.system_code"),
                format!(
                    "`{}` appears more than once in this report",
                    shown(&system.system_code)
                ),
                format!(
                    "Mã “{}” bị trùng với một hệ thống khác trong báo cáo.",
                    shown(&system.system_code)
                ),
            );
        }
    }
}

fn check_campaign(
    c: &mut Collector,
    report: &StatusReport,
    unit: &ReportingUnit,
    ctx: &ValidationContext<'_>,
) {
    if report.campaign_id.trim().is_empty() {
        c.add("report.campaign_id", "is required", "Chọn đợt báo cáo.");
        return;
    }
    let Some(campaign) = ctx.registry.campaign(&report.campaign_id) else {
        let id = shown(&report.campaign_id);
        match ctx.registry.campaign_elsewhere(&report.campaign_id) {
            Some(register) => c.add(
                "report.campaign_id",
                format!(
                    "campaign `{id}` runs on register {register}, not on this server's register {}",
                    ctx.registry.register_id().unwrap_or_default()
                ),
                format!(
                    "Đợt báo cáo “{id}” dùng danh mục đơn vị hành chính {register}, máy chủ này dùng danh mục {}.",
                    ctx.registry.register_id().unwrap_or_default()
                ),
            ),
            None => c.add(
                "report.campaign_id",
                format!("unknown campaign `{id}`"),
                format!("Không có đợt báo cáo “{id}”."),
            ),
        }
        return;
    };
    if !campaign.is_open_on(ctx.today) {
        let (window, window_vi) = match campaign.closes_on {
            Some(close) => (
                format!("{} to {close}", campaign.opens_on),
                format!("từ {} đến {}", vn(campaign.opens_on), vn(close)),
            ),
            None => (
                format!("from {}", campaign.opens_on),
                format!("từ {}", vn(campaign.opens_on)),
            ),
        };
        c.add(
            "report.campaign_id",
            format!(
                "campaign `{}` is closed: it accepts reports {window}",
                campaign.id
            ),
            format!("Đợt báo cáo đã đóng: chỉ nhận báo cáo {window_vi}."),
        );
    }
    if !ctx.registry.is_within(unit, &campaign.province) {
        c.add(
            "report.campaign_id",
            format!(
                "unit `{}` is not in province {} of campaign `{}`",
                unit.code, campaign.province, campaign.id
            ),
            "Đơn vị không thuộc địa bàn của đợt báo cáo này.",
        );
    }
}

fn check_system(
    c: &mut Collector,
    path: &str,
    s: &CameraSystem,
    today: NaiveDate,
    max_text: usize,
) {
    check_system_identity_and_counts(c, path, s, max_text);
    check_dossier(c, path, s, today, max_text);
    check_plan(c, path, s, today);
}

/// A system's code, name, location, camera counts and proposed level.
fn check_system_identity_and_counts(
    c: &mut Collector,
    path: &str,
    s: &CameraSystem,
    max_text: usize,
) {
    let code_ok = |ch: char| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.');
    if s.system_code.is_empty() {
        c.add(
            format!("{path}.system_code"),
            "is required (a stable code for this system within the unit)",
            "Bắt buộc nhập mã hệ thống (do đơn vị đặt, giữ nguyên giữa các lần báo cáo).",
        );
    } else if s.system_code.len() > 64 || !s.system_code.chars().all(code_ok) {
        c.add(
            format!("{path}.system_code"),
            "must be 1-64 characters of A-Z, a-z, 0-9, '-', '_' or '.'",
            "Mã hệ thống gồm 1–64 ký tự: chữ không dấu, chữ số, '-', '_' hoặc '.'.",
        );
    }
    c.text(&format!("{path}.name"), &s.name, true, max_text);
    c.text(&format!("{path}.location"), &s.location, false, max_text);
    for (field, value) in [
        ("camera_count", s.camera_count),
        ("cameras_certified", s.cameras_certified),
        ("cameras_on_warning_list", s.cameras_on_warning_list),
        ("cameras_replaced_or_removed", s.cameras_replaced_or_removed),
    ] {
        c.quantity(&format!("{path}.{field}"), value, MAX_COUNT);
    }
    if s.camera_count >= 0
        && s.cameras_certified >= 0
        && s.cameras_on_warning_list >= 0
        && s.cameras_certified
            .saturating_add(s.cameras_on_warning_list)
            > s.camera_count
    {
        c.add(
            format!("{path}.cameras_certified"),
            format!(
                "certified ({}) + on a warning list ({}) exceeds camera_count ({})",
                s.cameras_certified, s.cameras_on_warning_list, s.camera_count
            ),
            format!(
                "Số camera có CO/CQ ({}) cộng số camera thuộc danh sách cảnh báo ({}) vượt quá số lượng camera ({}).",
                s.cameras_certified, s.cameras_on_warning_list, s.camera_count
            ),
        );
    }
    if !(1..=5).contains(&s.proposed_level) {
        c.add(
            format!("{path}.proposed_level"),
            format!("must be a security level 1-5 (got {})", s.proposed_level),
            match s.proposed_level {
                0 => "Chọn cấp độ từ 1 đến 5.".to_string(),
                other => format!("Cấp độ phải từ 1 đến 5 (đang là {other})."),
            },
        );
    }
}

/// A system's security-level dossier, and the approval when it is approved.
fn check_dossier(
    c: &mut Collector,
    path: &str,
    s: &CameraSystem,
    today: NaiveDate,
    max_text: usize,
) {
    let dossier = DossierStatus::try_from(s.dossier_status).ok();
    match dossier {
        None => c.add(
            format!("{path}.dossier_status"),
            format!("unknown value {}", s.dossier_status),
            "Giá trị không có trong danh sách.",
        ),
        Some(DossierStatus::Unspecified) => c.add(
            format!("{path}.dossier_status"),
            "is required",
            "Chọn tình trạng hồ sơ đề xuất cấp độ.",
        ),
        Some(_) => {}
    }
    match (dossier == Some(DossierStatus::Approved), &s.approval) {
        (true, None) => c.add(
            format!("{path}.approval"),
            "is required when dossier_status is APPROVED (decision number, date, authority, level)",
            "Hồ sơ đã được phê duyệt: nhập số, ngày quyết định, cấp phê duyệt và cấp độ được phê duyệt.",
        ),
        (false, Some(_)) => c.add(
            format!("{path}.approval"),
            "approval details are only allowed when dossier_status is APPROVED",
            "Chỉ nhập quyết định phê duyệt khi hồ sơ đã được phê duyệt.",
        ),
        (true, Some(a)) => check_approval(c, &format!("{path}.approval"), a, today, max_text),
        (false, None) => {}
    }
}

/// A system's protection plan and its dates.
fn check_plan(c: &mut Collector, path: &str, s: &CameraSystem, today: NaiveDate) {
    let plan = PlanStatus::try_from(s.plan_status).ok();
    match plan {
        None => c.add(
            format!("{path}.plan_status"),
            format!("unknown value {}", s.plan_status),
            "Giá trị không có trong danh sách.",
        ),
        Some(PlanStatus::Unspecified) => c.add(
            format!("{path}.plan_status"),
            "is required",
            "Chọn tình trạng triển khai phương án.",
        ),
        Some(_) => {}
    }
    let implemented = plan == Some(PlanStatus::Implemented);
    if !implemented && s.plan_implemented_on.is_some() {
        c.add(
            format!("{path}.plan_implemented_on"),
            "is only allowed when plan_status is IMPLEMENTED",
            "Chỉ nhập ngày hoàn thành khi phương án đã triển khai xong.",
        );
    } else {
        c.date(
            &format!("{path}.plan_implemented_on"),
            s.plan_implemented_on.as_ref(),
            implemented,
            today,
        );
    }
    c.date(
        &format!("{path}.last_periodic_assessment_on"),
        s.last_periodic_assessment_on.as_ref(),
        false,
        today,
    );
}

fn check_approval(c: &mut Collector, path: &str, a: &Approval, today: NaiveDate, max_text: usize) {
    c.text(
        &format!("{path}.decision_number"),
        &a.decision_number,
        true,
        64,
    );
    c.text(
        &format!("{path}.approving_authority"),
        &a.approving_authority,
        true,
        max_text,
    );
    c.date(
        &format!("{path}.decision_date"),
        a.decision_date.as_ref(),
        true,
        today,
    );
    if !(1..=5).contains(&a.approved_level) {
        c.add(
            format!("{path}.approved_level"),
            format!("must be a security level 1-5 (got {})", a.approved_level),
            "Chọn cấp độ được phê duyệt từ 1 đến 5.",
        );
    }
}

fn check_regulation(c: &mut Collector, reg: &InternalRegulation, today: NaiveDate) {
    let path = "report.internal_regulation";
    if reg.updated {
        c.text(
            &format!("{path}.document_number"),
            &reg.document_number,
            true,
            64,
        );
        c.date(
            &format!("{path}.document_date"),
            reg.document_date.as_ref(),
            true,
            today,
        );
    } else if !reg.document_number.is_empty() || reg.document_date.is_some() {
        c.add(
            path,
            "document details are only allowed when updated is true",
            "Chỉ nhập số, ngày văn bản khi quy chế đã được cập nhật.",
        );
    }
}

fn check_block(
    c: &mut Collector,
    unit: &ReportingUnit,
    allowed: &[String],
    name: &str,
    counts: &[(&str, i64)],
) {
    if !allowed.iter().any(|b| b == name) {
        c.add(
            format!("report.{name}"),
            format!(
                "units of kind `{}` do not report {name} indicators",
                unit.kind
            ),
            "Loại đơn vị này không báo cáo nhóm chỉ tiêu này.",
        );
    }
    for (field, value) in counts {
        c.quantity(&format!("report.{name}.{field}"), *value, MAX_COUNT);
    }
}

fn check_indicators(
    c: &mut Collector,
    report: &StatusReport,
    unit: &ReportingUnit,
    registry: &Registry,
) {
    let allowed = registry.indicator_blocks(unit);
    if let Some(t) = &report.telecom {
        check_block(
            c,
            unit,
            allowed,
            "telecom",
            &[
                ("cameras_checked", t.cameras_checked),
                ("non_compliant_found", t.non_compliant_found),
                ("users_notified", t.users_notified),
                ("non_compliant_handled", t.non_compliant_handled),
            ],
        );
        if t.non_compliant_found > t.cameras_checked {
            c.add(
                "report.telecom.non_compliant_found",
                "exceeds cameras_checked",
                "Lớn hơn số camera đã kiểm tra.",
            );
        }
        if t.non_compliant_handled > t.non_compliant_found {
            c.add(
                "report.telecom.non_compliant_handled",
                "exceeds non_compliant_found",
                "Lớn hơn số camera không đáp ứng đã phát hiện.",
            );
        }
    }
    if let Some(p) = &report.police {
        let counts = [
            ("assessments_done", p.assessments_done),
            ("cases_handled", p.cases_handled),
        ];
        check_block(c, unit, allowed, "police", &counts);
    }
    if let Some(m) = &report.market {
        let counts = [("inspections", m.inspections), ("violations", m.violations)];
        check_block(c, unit, allowed, "market", &counts);
    }
    if let Some(m) = &report.media {
        check_block(
            c,
            unit,
            allowed,
            "media",
            &[("items_broadcast", m.items_broadcast)],
        );
    }
}

/// A value from the request as echoed in an error: at most 64 characters, so a
/// malicious megabyte-long code cannot blow up the status message.
pub fn shown(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        None => value.to_string(),
        Some((end, _)) => format!("{}…", &value[..end]),
    }
}

#[cfg(test)]
mod tests {
    use baocao_proto::v1::{Date, DossierStatus, PlanStatus, StatusReport};
    use baocao_registry::Registry;
    use chrono::NaiveDate;

    use super::*;

    fn registry() -> Registry {
        Registry::load_register(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data"),
            &baocao_registry::RegisterChoice::Named("2023".to_string()),
        )
        .expect("shipped data")
    }

    /// The fixtures' complete report as of 15/3/2023, its level approved on 10/3 and its
    /// plan implemented on 12/3, 9 of its 10 cameras certified.
    fn report() -> StatusReport {
        let id = "0192f0c1-7a4e-7cc2-9f0e-5b1d2c3e4f50";
        let mut report =
            baocao_fixtures::complete_report("thanh-hoa-2023", "38.STTTT", id, day(2023, 3, 15));
        let system = &mut report.systems[0];
        if let Some(approval) = system.approval.as_mut() {
            approval.decision_date = Some(baocao_fixtures::date(2023, 3, 10));
        }
        system.plan_status = PlanStatus::Implemented as i32;
        system.plan_implemented_on = Some(baocao_fixtures::date(2023, 3, 12));
        system.cameras_certified = 9;
        report
    }

    fn check(report: &StatusReport, today: NaiveDate) -> Vec<String> {
        let registry = registry();
        let unit = registry.unit(&report.unit_code).expect("unit").clone();
        let context = ValidationContext {
            registry: &registry,
            today,
            limits: ReportLimits::default(),
            encoded_len: 100,
        };
        validate_report(report, &unit, &context)
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn a_complete_report_in_the_campaign_window_is_valid() {
        assert_eq!(check(&report(), day(2023, 3, 20)), Vec::<String>::new());
    }

    #[test]
    fn the_campaign_window_and_today_bound_every_date() {
        // After the campaign closed: refused, naming the campaign.
        assert_eq!(check(&report(), day(2024, 1, 1)), ["report.campaign_id"]);
        // "Today" before the decision and implementation dates: both are in the future.
        assert_eq!(
            check(&report(), day(2023, 3, 11)),
            ["report.as_of", "report.systems[0].plan_implemented_on"]
        );
    }

    #[test]
    fn a_campaign_of_another_register_is_named_with_its_register() {
        let mut r = report();
        r.campaign_id = "thanh-hoa-2026".to_string();
        let registry = registry();
        let unit = registry.unit(&r.unit_code).expect("unit").clone();
        let context = ValidationContext {
            registry: &registry,
            today: day(2026, 3, 1),
            limits: ReportLimits::default(),
            encoded_len: 100,
        };
        let violations = validate_report(&r, &unit, &context);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert!(
            violations[0].reason.contains("runs on register 2025")
                && violations[0].reason.contains("register 2023"),
            "{violations:?}"
        );
    }

    #[test]
    fn status_dependent_fields_are_required_and_only_allowed_together() {
        let mut r = report();
        r.systems[0].plan_status = PlanStatus::InProgress as i32;
        assert_eq!(
            check(&r, day(2023, 3, 20)),
            ["report.systems[0].plan_implemented_on"]
        );
        r.systems[0].plan_implemented_on = None;
        r.systems[0].dossier_status = DossierStatus::Appraised as i32;
        assert_eq!(check(&r, day(2023, 3, 20)), ["report.systems[0].approval"]);
        r.systems[0].approval = None;
        assert_eq!(check(&r, day(2023, 3, 20)), Vec::<String>::new());
    }

    #[test]
    fn calendar_dates_reject_impossible_days() {
        assert_eq!(
            calendar_date(&Date {
                year: 2023,
                month: 2,
                day: 30
            }),
            None
        );
        assert_eq!(
            calendar_date(&Date {
                year: 2024,
                month: 2,
                day: 29
            }),
            Some(day(2024, 2, 29))
        );
        assert_eq!(
            calendar_date(&Date {
                year: 2023,
                month: -1,
                day: 1
            }),
            None
        );
    }

    #[test]
    fn dates_before_the_campaign_or_before_2000_are_refused() {
        let today = day(2023, 3, 15);
        // The Thanh Hóa campaign opens in 2023: a status "as of" 2022 is not for it.
        let mut early = report();
        early.as_of = Some(Date {
            year: 2022,
            month: 12,
            day: 31,
        });
        assert_eq!(check(&early, today), ["report.as_of"]);
        // Year 0 is a calendar date to chrono, not to a reporting officer.
        let mut ancient = report();
        if let Some(approval) = ancient.systems[0].approval.as_mut() {
            approval.decision_date = Some(Date {
                year: 0,
                month: 1,
                day: 1,
            });
        }
        assert_eq!(
            check(&ancient, today),
            ["report.systems[0].approval.decision_date"]
        );
    }

    #[test]
    fn counts_beyond_any_unit_are_refused_and_cannot_overflow_sums() {
        let today = day(2023, 3, 15);
        let mut huge = report();
        huge.systems[0].camera_count = MAX_COUNT + 1;
        huge.budget_allocated_vnd = i64::MAX;
        assert_eq!(
            check(&huge, today),
            [
                "report.systems[0].camera_count",
                "report.budget_allocated_vnd"
            ]
        );
        // The largest accepted figures, summed over a country's worth of reports, fit.
        assert!((MAX_COUNT as i128) * 10_000_000 < i64::MAX as i128);
        assert!((MAX_BUDGET_VND as i128) * 1_000 < i64::MAX as i128);
    }
}
