//! A report as a person types it — in the portal's form or a spreadsheet's cells: every
//! value kept as typed (so a refused form comes back exactly as the clerk left it), turned
//! into a `StatusReport` with each unparsable value named by its field, and rebuilt from
//! the unit's last accepted report. Pure: no I/O. Shared by the front doors people use.
//!
//! Field names follow the report's own paths (`systems.0.camera_count` for
//! `report.systems[0].camera_count`), so a validator's message lands next to its input.

use std::collections::HashMap;

use baocao_proto::v1::{
    Approval, CameraSystem, Date, DossierStatus, InternalRegulation, MarketIndicators,
    MediaIndicators, PlanStatus, PoliceIndicators, Reporter, StatusReport, TelecomIndicators,
};

/// One camera system's inputs, as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SystemInput {
    /// The system's code within its unit.
    pub system_code: String,
    /// Its name.
    pub name: String,
    /// Where it is installed.
    pub location: String,
    /// Its cameras.
    pub camera_count: String,
    /// The proposed security level (1–5).
    pub proposed_level: String,
    /// Where its level dossier stands (a `DOSSIER_STATUS_…` name).
    pub dossier_status: String,
    /// The approving decision's number.
    pub decision_number: String,
    /// The decision's date.
    pub decision_date: String,
    /// Who approved.
    pub approving_authority: String,
    /// The approved level.
    pub approved_level: String,
    /// Where its protection plan stands (a `PLAN_STATUS_…` name).
    pub plan_status: String,
    /// When the plan was fully implemented.
    pub plan_implemented_on: String,
    /// Whether security was assessed at procurement (yes/no/empty).
    pub assessed_at_procurement: String,
    /// The last periodic assessment's date.
    pub last_periodic_assessment_on: String,
    /// Cameras with CO/CQ certificates.
    pub cameras_certified: String,
    /// Cameras on a warning list.
    pub cameras_on_warning_list: String,
    /// Cameras replaced or removed.
    pub cameras_replaced_or_removed: String,
}

impl SystemInput {
    /// (field name under `systems.N.`, value) of every input of the row: the one list
    /// of the row's names, for reading a form and for writing one.
    fn fields_mut(&mut self) -> [(&'static str, &mut String); 17] {
        [
            ("system_code", &mut self.system_code),
            ("name", &mut self.name),
            ("location", &mut self.location),
            ("camera_count", &mut self.camera_count),
            ("proposed_level", &mut self.proposed_level),
            ("dossier_status", &mut self.dossier_status),
            ("approval.decision_number", &mut self.decision_number),
            ("approval.decision_date", &mut self.decision_date),
            (
                "approval.approving_authority",
                &mut self.approving_authority,
            ),
            ("approval.approved_level", &mut self.approved_level),
            ("plan_status", &mut self.plan_status),
            ("plan_implemented_on", &mut self.plan_implemented_on),
            ("assessed_at_procurement", &mut self.assessed_at_procurement),
            (
                "last_periodic_assessment_on",
                &mut self.last_periodic_assessment_on,
            ),
            ("cameras_certified", &mut self.cameras_certified),
            ("cameras_on_warning_list", &mut self.cameras_on_warning_list),
            (
                "cameras_replaced_or_removed",
                &mut self.cameras_replaced_or_removed,
            ),
        ]
    }
}

/// The whole form's inputs, as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportInput {
    /// The unit reported on.
    pub unit_code: String,
    /// The campaign reported in.
    pub campaign_id: String,
    /// The day the figures stand at (dd/mm/yyyy or yyyy-mm-dd).
    pub as_of: String,
    /// This form's submission id (a re-posted form repeats it: counted once).
    pub submission_id: String,
    /// The reporter's name.
    pub reporter_full_name: String,
    /// The reporter's position.
    pub reporter_position: String,
    /// The reporter's phone.
    pub reporter_phone: String,
    /// The reporter's e-mail.
    pub reporter_email: String,
    /// The camera systems, one row each.
    pub systems: Vec<SystemInput>,
    /// The unit declares it has no camera system.
    pub no_camera_systems: bool,
    /// Budget allocated, in đồng.
    pub budget_allocated_vnd: String,
    /// Incidents in the period.
    pub incidents: String,
    /// The unit's internal regulation was updated.
    pub regulation_updated: bool,
    /// The regulation's document number.
    pub regulation_number: String,
    /// The regulation's date.
    pub regulation_date: String,
    /// Whether the national regulation is applied (yes/no/empty).
    pub national_regulation_applied: String,
    /// Indicator block inputs by field name (`telecom.cameras_checked`, …).
    pub blocks: HashMap<String, String>,
    /// Free text.
    pub notes: String,
    /// The highest system row number the form carried, plus one: rows past [`MAX_ROWS`]
    /// are not kept, and a form that had them is refused naming the limit, never taken
    /// with its rows cut off.
    pub rows_sent: usize,
}

/// What the person asked for with the button they pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormAction {
    /// Send the report.
    Submit,
    /// Add an empty camera system row.
    AddSystem,
    /// Remove the system row at this index.
    RemoveSystem(usize),
}

/// The indicator blocks and their fields, with their Vietnamese labels.
pub const BLOCK_FIELDS: [(&str, &str, &str); 9] = [
    (
        "telecom",
        "telecom.cameras_checked",
        "Số camera đã kiểm tra trên mạng",
    ),
    (
        "telecom",
        "telecom.non_compliant_found",
        "Số camera không đáp ứng yêu cầu phát hiện",
    ),
    (
        "telecom",
        "telecom.users_notified",
        "Số chủ sở hữu đã được thông báo",
    ),
    (
        "telecom",
        "telecom.non_compliant_handled",
        "Số camera không đáp ứng đã xử lý",
    ),
    (
        "police",
        "police.assessments_done",
        "Số lượt kiểm tra, đánh giá an ninh hệ thống camera",
    ),
    ("police", "police.cases_handled", "Số vụ việc đã xử lý"),
    (
        "market",
        "market.inspections",
        "Số cuộc kiểm tra cơ sở kinh doanh camera",
    ),
    ("market", "market.violations", "Số vi phạm phát hiện"),
    (
        "media",
        "media.items_broadcast",
        "Số tin, bài tuyên truyền đã đăng, phát",
    ),
];

/// Options of a choice: (value, Vietnamese label).
pub type Options = &'static [(&'static str, &'static str)];

/// Where a dossier stands, as people choose it.
pub const DOSSIER_OPTIONS: Options = &[
    ("", "— Chọn —"),
    ("DOSSIER_STATUS_NOT_STARTED", "Chưa xây dựng hồ sơ"),
    ("DOSSIER_STATUS_PREPARING", "Đang xây dựng hồ sơ"),
    ("DOSSIER_STATUS_SUBMITTED", "Đã trình thẩm định"),
    ("DOSSIER_STATUS_APPRAISED", "Đã thẩm định"),
    ("DOSSIER_STATUS_APPROVED", "Đã phê duyệt cấp độ"),
    ("DOSSIER_STATUS_REJECTED", "Không được phê duyệt"),
];

/// Where a protection plan stands, as people choose it.
pub const PLAN_OPTIONS: Options = &[
    ("", "— Chọn —"),
    ("PLAN_STATUS_NOT_STARTED", "Chưa triển khai"),
    ("PLAN_STATUS_IN_PROGRESS", "Đang triển khai"),
    ("PLAN_STATUS_IMPLEMENTED", "Đã triển khai xong"),
];

/// Security levels, as people choose them.
pub const LEVEL_OPTIONS: Options = &[
    ("", "—"),
    ("1", "Cấp độ 1"),
    ("2", "Cấp độ 2"),
    ("3", "Cấp độ 3"),
    ("4", "Cấp độ 4"),
    ("5", "Cấp độ 5"),
];

/// Yes, no or not said.
pub const YES_NO_OPTIONS: Options = &[("", "Chưa xác định"), ("yes", "Có"), ("no", "Không")];

/// Most system rows a form may carry (the gateway's own limit is checked again).
pub const MAX_ROWS: usize = 500;

/// The refusal of a form with more than [`MAX_ROWS`] systems, in Vietnamese.
pub fn too_many_systems(rows: usize) -> String {
    format!(
        "Báo cáo có {rows} hệ thống camera, vượt giới hạn {MAX_ROWS} hệ thống của một báo cáo; báo cáo chưa được gửi. Hãy gộp các hệ thống cùng địa điểm thành một dòng hoặc liên hệ Sở để được hướng dẫn."
    )
}

impl ReportInput {
    /// The form from a decoded `application/x-www-form-urlencoded` body.
    pub fn from_pairs(pairs: &[(String, String)]) -> (ReportInput, FormAction) {
        let mut input = ReportInput::default();
        let mut action = FormAction::Submit;
        for (name, value) in pairs {
            if name == "action" {
                action = parse_action(value);
            } else if let Some(rest) = name.strip_prefix("systems.") {
                input.set_system_field(rest, value);
            } else {
                input.set_field(name, value);
            }
        }
        (input, action)
    }

    /// The body a browser sends for these inputs (the inverse of [`Self::from_pairs`]),
    /// without the CSRF token and the button: what a client other than a browser posts.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut copy = self.clone();
        let mut pairs: Vec<(String, String)> = copy
            .text_fields_mut()
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect();
        for (flag, on) in [
            ("no_camera_systems", self.no_camera_systems),
            ("internal_regulation.updated", self.regulation_updated),
        ] {
            if on {
                pairs.push((flag.to_string(), "on".to_string()));
            }
        }
        let mut blocks: Vec<_> = self.blocks.iter().collect();
        blocks.sort();
        pairs.extend(blocks.into_iter().map(|(k, v)| (k.clone(), v.clone())));
        for (i, s) in self.systems.iter().enumerate() {
            let mut row = s.clone();
            pairs.extend(
                row.fields_mut()
                    .into_iter()
                    .map(|(name, value)| (format!("systems.{i}.{name}"), value.clone())),
            );
        }
        pairs
    }

    /// (field name, value) of every text input outside the system rows: the one list of
    /// their names, for reading a form and for writing one.
    fn text_fields_mut(&mut self) -> [(&'static str, &mut String); 14] {
        [
            ("unit_code", &mut self.unit_code),
            ("campaign_id", &mut self.campaign_id),
            ("as_of", &mut self.as_of),
            ("submission_id", &mut self.submission_id),
            ("reporter.full_name", &mut self.reporter_full_name),
            ("reporter.position", &mut self.reporter_position),
            ("reporter.phone", &mut self.reporter_phone),
            ("reporter.email", &mut self.reporter_email),
            ("budget_allocated_vnd", &mut self.budget_allocated_vnd),
            ("incidents", &mut self.incidents),
            (
                "internal_regulation.document_number",
                &mut self.regulation_number,
            ),
            (
                "internal_regulation.document_date",
                &mut self.regulation_date,
            ),
            (
                "national_regulation_applied",
                &mut self.national_regulation_applied,
            ),
            ("notes", &mut self.notes),
        ]
    }

    fn set_field(&mut self, name: &str, value: &str) {
        match name {
            "no_camera_systems" => self.no_camera_systems = value == "on",
            "internal_regulation.updated" => self.regulation_updated = value == "on",
            other if BLOCK_FIELDS.iter().any(|(_, field, _)| *field == other) => {
                self.blocks.insert(other.to_string(), value.to_string());
            }
            other => {
                if let Some((_, slot)) = self
                    .text_fields_mut()
                    .into_iter()
                    .find(|(field, _)| *field == other)
                {
                    *slot = value.to_string();
                }
            }
        }
    }

    fn set_system_field(&mut self, rest: &str, value: &str) {
        let Some((index, field)) = rest.split_once('.') else {
            return;
        };
        let Ok(index) = index.parse::<usize>() else {
            return;
        };
        self.rows_sent = self.rows_sent.max(index.saturating_add(1));
        if index >= MAX_ROWS {
            return;
        }
        if self.systems.len() <= index {
            self.systems.resize(index + 1, SystemInput::default());
        }
        if let Some((_, slot)) = self.systems[index]
            .fields_mut()
            .into_iter()
            .find(|(name, _)| *name == field)
        {
            *slot = value.to_string();
        }
    }

    /// The report these inputs say, or every value that is not a number or a date,
    /// by field name (in Vietnamese).
    pub fn to_report(&self) -> Result<StatusReport, Vec<(String, String)>> {
        let mut p = Parser::default();
        let report = StatusReport {
            unit_code: self.unit_code.trim().to_string(),
            campaign_id: self.campaign_id.trim().to_string(),
            as_of: p.date("as_of", &self.as_of),
            submission_id: self.submission_id.trim().to_string(),
            reporter: Some(Reporter {
                full_name: self.reporter_full_name.trim().to_string(),
                position: self.reporter_position.trim().to_string(),
                phone: self.reporter_phone.trim().to_string(),
                email: self.reporter_email.trim().to_string(),
            }),
            systems: self
                .systems
                .iter()
                .enumerate()
                .map(|(i, s)| system(&mut p, i, s))
                .collect(),
            no_camera_systems: self.no_camera_systems,
            budget_allocated_vnd: p.count("budget_allocated_vnd", &self.budget_allocated_vnd),
            internal_regulation: self.regulation(&mut p),
            national_regulation_applied: p.yes_no(
                "national_regulation_applied",
                &self.national_regulation_applied,
            ),
            incidents: p.count("incidents", &self.incidents),
            telecom: self.has_block("telecom").then(|| TelecomIndicators {
                cameras_checked: p.count(
                    "telecom.cameras_checked",
                    self.block("telecom.cameras_checked"),
                ),
                non_compliant_found: p.count(
                    "telecom.non_compliant_found",
                    self.block("telecom.non_compliant_found"),
                ),
                users_notified: p.count(
                    "telecom.users_notified",
                    self.block("telecom.users_notified"),
                ),
                non_compliant_handled: p.count(
                    "telecom.non_compliant_handled",
                    self.block("telecom.non_compliant_handled"),
                ),
            }),
            police: self.has_block("police").then(|| PoliceIndicators {
                assessments_done: p.count(
                    "police.assessments_done",
                    self.block("police.assessments_done"),
                ),
                cases_handled: p.count("police.cases_handled", self.block("police.cases_handled")),
            }),
            market: self.has_block("market").then(|| MarketIndicators {
                inspections: p.count("market.inspections", self.block("market.inspections")),
                violations: p.count("market.violations", self.block("market.violations")),
            }),
            media: self.has_block("media").then(|| MediaIndicators {
                items_broadcast: p
                    .count("media.items_broadcast", self.block("media.items_broadcast")),
            }),
            notes: self.notes.trim().to_string(),
        };
        let rows = self.rows_sent.max(self.systems.len());
        if rows > MAX_ROWS {
            p.problems
                .push(("systems".to_string(), too_many_systems(rows)));
        }
        if p.problems.is_empty() {
            Ok(report)
        } else {
            Err(p.problems)
        }
    }

    fn regulation(&self, p: &mut Parser) -> Option<InternalRegulation> {
        let given = self.regulation_updated
            || !self.regulation_number.trim().is_empty()
            || !self.regulation_date.trim().is_empty();
        given.then(|| InternalRegulation {
            updated: self.regulation_updated,
            document_number: self.regulation_number.trim().to_string(),
            document_date: p.date("internal_regulation.document_date", &self.regulation_date),
        })
    }

    /// The typed value of an indicator field.
    pub fn block(&self, field: &str) -> &str {
        self.blocks.get(field).map_or("", String::as_str)
    }

    /// Whether any field of `block` was sent (a block the unit's kind does not have is
    /// never shown, so never sent).
    fn has_block(&self, block: &str) -> bool {
        self.blocks
            .keys()
            .any(|field| field.split_once('.').is_some_and(|(b, _)| b == block))
    }

    /// The inputs showing `report` (a correction starts from the last accepted version).
    pub fn from_report(report: &StatusReport, blocks: &[String]) -> ReportInput {
        let reporter = report.reporter.clone().unwrap_or_default();
        let regulation = report.internal_regulation.clone().unwrap_or_default();
        let mut values: HashMap<String, String> = HashMap::new();
        if let Some(t) = &report.telecom {
            values.insert(
                "telecom.cameras_checked".into(),
                t.cameras_checked.to_string(),
            );
            values.insert(
                "telecom.non_compliant_found".into(),
                t.non_compliant_found.to_string(),
            );
            values.insert(
                "telecom.users_notified".into(),
                t.users_notified.to_string(),
            );
            values.insert(
                "telecom.non_compliant_handled".into(),
                t.non_compliant_handled.to_string(),
            );
        }
        if let Some(p) = &report.police {
            values.insert(
                "police.assessments_done".into(),
                p.assessments_done.to_string(),
            );
            values.insert("police.cases_handled".into(), p.cases_handled.to_string());
        }
        if let Some(m) = &report.market {
            values.insert("market.inspections".into(), m.inspections.to_string());
            values.insert("market.violations".into(), m.violations.to_string());
        }
        if let Some(m) = &report.media {
            values.insert(
                "media.items_broadcast".into(),
                m.items_broadcast.to_string(),
            );
        }
        let mut input = ReportInput {
            unit_code: report.unit_code.clone(),
            campaign_id: report.campaign_id.clone(),
            as_of: date_text(report.as_of.as_ref()),
            submission_id: String::new(),
            reporter_full_name: reporter.full_name,
            reporter_position: reporter.position,
            reporter_phone: reporter.phone,
            reporter_email: reporter.email,
            systems: report.systems.iter().map(system_input).collect(),
            rows_sent: 0,
            no_camera_systems: report.no_camera_systems,
            budget_allocated_vnd: report.budget_allocated_vnd.to_string(),
            incidents: report.incidents.to_string(),
            regulation_updated: regulation.updated,
            regulation_number: regulation.document_number,
            regulation_date: date_text(regulation.document_date.as_ref()),
            national_regulation_applied: yes_no_text(report.national_regulation_applied),
            blocks: HashMap::new(),
            notes: report.notes.clone(),
        };
        input.show_blocks(blocks);
        for (field, value) in values {
            input.blocks.insert(field, value);
        }
        input
    }

    /// Makes sure every field of `blocks` (the unit kind's indicator blocks) has an
    /// input, so the form shows them.
    pub fn show_blocks(&mut self, blocks: &[String]) {
        for (block, field, _) in BLOCK_FIELDS {
            if blocks.iter().any(|b| b == block) {
                self.blocks
                    .entry(field.to_string())
                    .or_insert_with(|| "0".into());
            }
        }
    }
}

fn parse_action(value: &str) -> FormAction {
    match value.split_once(':') {
        Some(("remove_system", index)) => index
            .parse()
            .map_or(FormAction::Submit, FormAction::RemoveSystem),
        _ if value == "add_system" => FormAction::AddSystem,
        _ => FormAction::Submit,
    }
}

fn system(p: &mut Parser, i: usize, s: &SystemInput) -> CameraSystem {
    let field = |name: &str| format!("systems.{i}.{name}");
    let approval_given = !s.decision_number.trim().is_empty()
        || !s.decision_date.trim().is_empty()
        || !s.approving_authority.trim().is_empty()
        || !s.approved_level.trim().is_empty();
    CameraSystem {
        system_code: s.system_code.trim().to_string(),
        name: s.name.trim().to_string(),
        location: s.location.trim().to_string(),
        camera_count: p.count(&field("camera_count"), &s.camera_count),
        proposed_level: p.level(&field("proposed_level"), &s.proposed_level),
        dossier_status: p.choice(
            &field("dossier_status"),
            &s.dossier_status,
            DossierStatus::from_str_name,
        ),
        approval: approval_given.then(|| Approval {
            decision_number: s.decision_number.trim().to_string(),
            decision_date: p.date(&field("approval.decision_date"), &s.decision_date),
            approving_authority: s.approving_authority.trim().to_string(),
            approved_level: p.level(&field("approval.approved_level"), &s.approved_level),
        }),
        plan_status: p.choice(
            &field("plan_status"),
            &s.plan_status,
            PlanStatus::from_str_name,
        ),
        plan_implemented_on: p.date(&field("plan_implemented_on"), &s.plan_implemented_on),
        assessed_at_procurement: p.yes_no(
            &field("assessed_at_procurement"),
            &s.assessed_at_procurement,
        ),
        last_periodic_assessment_on: p.date(
            &field("last_periodic_assessment_on"),
            &s.last_periodic_assessment_on,
        ),
        cameras_certified: p.count(&field("cameras_certified"), &s.cameras_certified),
        cameras_on_warning_list: p.count(
            &field("cameras_on_warning_list"),
            &s.cameras_on_warning_list,
        ),
        cameras_replaced_or_removed: p.count(
            &field("cameras_replaced_or_removed"),
            &s.cameras_replaced_or_removed,
        ),
    }
}

fn system_input(s: &CameraSystem) -> SystemInput {
    let approval = s.approval.clone().unwrap_or_default();
    let level = |l: i32| if l == 0 { String::new() } else { l.to_string() };
    let status = |name: Option<&str>| {
        name.filter(|n| !n.ends_with("UNSPECIFIED"))
            .unwrap_or("")
            .to_string()
    };
    SystemInput {
        system_code: s.system_code.clone(),
        name: s.name.clone(),
        location: s.location.clone(),
        camera_count: s.camera_count.to_string(),
        proposed_level: level(s.proposed_level),
        dossier_status: status(
            DossierStatus::try_from(s.dossier_status)
                .ok()
                .map(|d| d.as_str_name()),
        ),
        decision_number: approval.decision_number,
        decision_date: date_text(approval.decision_date.as_ref()),
        approving_authority: approval.approving_authority,
        approved_level: level(approval.approved_level),
        plan_status: status(
            PlanStatus::try_from(s.plan_status)
                .ok()
                .map(|p| p.as_str_name()),
        ),
        plan_implemented_on: date_text(s.plan_implemented_on.as_ref()),
        assessed_at_procurement: yes_no_text(s.assessed_at_procurement),
        last_periodic_assessment_on: date_text(s.last_periodic_assessment_on.as_ref()),
        cameras_certified: s.cameras_certified.to_string(),
        cameras_on_warning_list: s.cameras_on_warning_list.to_string(),
        cameras_replaced_or_removed: s.cameras_replaced_or_removed.to_string(),
    }
}

/// A date as a date input holds it (`yyyy-mm-dd`), empty when none.
pub fn date_text(date: Option<&Date>) -> String {
    date.map_or_else(String::new, |d| {
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    })
}

fn yes_no_text(value: Option<bool>) -> String {
    match value {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

/// Collects values that do not parse, by field.
#[derive(Default)]
struct Parser {
    problems: Vec<(String, String)>,
}

impl Parser {
    fn problem(&mut self, field: &str, reason: impl Into<String>) {
        self.problems.push((field.to_string(), reason.into()));
    }

    /// A count: digits, with `.`, `,` or spaces as thousands separators (as Vietnamese
    /// write them: 150.000.000) between groups of three; empty is 0. "2,5" is a decimal,
    /// not 25: refused.
    fn count(&mut self, field: &str, text: &str) -> i64 {
        let text = text.trim();
        if text.is_empty() {
            return 0;
        }
        match parse_grouped_integer(text) {
            Some(n) => n,
            None => {
                self.problem(field, format!("“{text}” không phải là một số nguyên."));
                0
            }
        }
    }

    fn level(&mut self, field: &str, text: &str) -> i32 {
        match text.trim() {
            "" => 0,
            t => t.parse().unwrap_or_else(|_| {
                self.problem(field, "Chọn cấp độ từ 1 đến 5.");
                0
            }),
        }
    }

    fn choice<T: Into<i32>>(
        &mut self,
        field: &str,
        text: &str,
        parse: fn(&str) -> Option<T>,
    ) -> i32 {
        match text.trim() {
            "" => 0,
            t => parse(t).map(Into::into).unwrap_or_else(|| {
                self.problem(field, "Chọn một giá trị trong danh sách.");
                0
            }),
        }
    }

    fn yes_no(&mut self, field: &str, text: &str) -> Option<bool> {
        match text.trim() {
            "yes" => Some(true),
            "no" => Some(false),
            "" => None,
            other => {
                self.problem(field, format!("“{other}”: chọn Có hoặc Không."));
                None
            }
        }
    }

    /// A date typed `yyyy-mm-dd` (a date picker) or `dd/mm/yyyy` (by hand); empty: none.
    fn date(&mut self, field: &str, text: &str) -> Option<Date> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match baocao_registry::parse_day(text) {
            Some(day) => {
                use chrono::Datelike;
                Some(Date {
                    year: day.year(),
                    month: day.month() as i32,
                    day: day.day() as i32,
                })
            }
            None => {
                self.problem(
                    field,
                    format!("“{text}” không phải là ngày hợp lệ (dd/mm/yyyy)."),
                );
                None
            }
        }
    }
}

/// An integer written with optional thousands separators (`.`, `,`, spaces) between
/// groups of exactly three digits, and an optional leading minus: `1.234`, `1 234 567`,
/// `-3`. None for anything else (`2,5`, `1.23`, `12a`).
pub fn parse_grouped_integer(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let groups: Vec<&str> = body.split(['.', ',', ' ', '\u{a0}']).collect();
    let all_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let well_grouped =
        groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    if !groups.iter().all(|g| all_digits(g)) || !well_grouped {
        return None;
    }
    let value: i64 = groups.concat().parse().ok()?;
    Some(if negative { -value } else { value })
}

/// The form field a validator path names: `report.systems[0].camera_count` →
/// `systems.0.camera_count`.
pub fn field_of_path(path: &str) -> String {
    let field = match path.strip_prefix("report.") {
        Some(rest) => rest,
        None if path == "report" => "",
        None => path,
    };
    field.replace('[', ".").replace(']', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_typed_form_becomes_a_report_and_back() {
        let (input, action) = ReportInput::from_pairs(&pairs(&[
            ("unit_code", "14755.UBND"),
            ("campaign_id", "thanh-hoa-2026"),
            ("as_of", "15/03/2026"),
            ("budget_allocated_vnd", "150.000.000"),
            ("systems.1.camera_count", "6"),
            ("systems.0.camera_count", "24"),
            ("systems.0.dossier_status", "DOSSIER_STATUS_APPROVED"),
            ("systems.0.approval.decision_date", "2026-03-10"),
            ("systems.0.approval.approved_level", "2"),
            ("police.cases_handled", "3"),
            ("action", "submit"),
        ]));
        assert_eq!(action, FormAction::Submit);
        let report = input.to_report().expect("parses");
        assert_eq!(report.budget_allocated_vnd, 150_000_000);
        assert_eq!(
            report.as_of,
            Some(Date {
                year: 2026,
                month: 3,
                day: 15
            })
        );
        assert_eq!(report.systems.len(), 2);
        assert_eq!(report.systems[1].camera_count, 6);
        assert_eq!(
            report.systems[0].dossier_status,
            DossierStatus::Approved as i32
        );
        assert_eq!(
            report.systems[0]
                .approval
                .as_ref()
                .map(|a| a.approved_level),
            Some(2)
        );
        assert_eq!(report.police.map(|p| p.cases_handled), Some(3));
        assert!(report.telecom.is_none());
        let back = ReportInput::from_report(&report, &["police".to_string()]);
        assert_eq!(back.systems[0].decision_date, "2026-03-10");
        assert_eq!(back.to_report().map(|r| r.systems), Ok(report.systems));
    }

    #[test]
    fn a_form_written_out_reads_back_the_same() {
        let (typed, _) = ReportInput::from_pairs(&pairs(&[
            ("unit_code", "14755.UBND"),
            ("as_of", "15/03/2026"),
            ("reporter.full_name", "Lê Thị Hoa"),
            ("internal_regulation.updated", "on"),
            ("systems.1.camera_count", "6"),
            ("systems.0.name", "Camera trụ sở, cổng & sân"),
            ("systems.0.approval.decision_number", "12/QĐ-UBND"),
            ("systems.1.cameras_replaced_or_removed", "1"),
            ("police.cases_handled", "3"),
            ("telecom.users_notified", "40"),
        ]));
        let (read, action) = ReportInput::from_pairs(&typed.to_pairs());
        assert_eq!(read, typed);
        assert_eq!(action, FormAction::Submit);
        assert!(
            !typed
                .to_pairs()
                .iter()
                .any(|(name, _)| name == "no_camera_systems")
        );
    }

    #[test]
    fn every_unparsable_value_is_named_by_its_field() {
        let (input, _) = ReportInput::from_pairs(&pairs(&[
            ("as_of", "31/02/2026"),
            ("incidents", "ba"),
            ("systems.0.camera_count", "-"),
        ]));
        let problems = input.to_report().expect_err("refused");
        let fields: Vec<_> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["as_of", "systems.0.camera_count", "incidents"]);
    }

    #[test]
    fn counts_take_thousands_separators_but_not_decimals() {
        assert_eq!(parse_grouped_integer("150.000.000"), Some(150_000_000));
        assert_eq!(parse_grouped_integer("1,234"), Some(1234));
        assert_eq!(parse_grouped_integer("1 234"), Some(1234));
        assert_eq!(parse_grouped_integer("-3"), Some(-3));
        assert_eq!(parse_grouped_integer("37711"), Some(37711));
        for bad in ["2,5", "1.23", "12a", "", ".", "1..000", "1234.567"] {
            assert_eq!(parse_grouped_integer(bad), None, "{bad}");
        }
    }

    #[test]
    fn buttons_and_paths() {
        assert_eq!(parse_action("add_system"), FormAction::AddSystem);
        assert_eq!(parse_action("remove_system:3"), FormAction::RemoveSystem(3));
        assert_eq!(
            field_of_path("report.systems[2].approval.decision_date"),
            "systems.2.approval.decision_date"
        );
        assert_eq!(field_of_path("report.as_of"), "as_of");
        assert_eq!(field_of_path("report.reporter"), "reporter");
        assert_eq!(field_of_path("report"), "");
    }
}
