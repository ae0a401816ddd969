//! The review page's view model: one card per queue item (its figures, its systems, who
//! reported it, the figures changed since the last approved version), the filters'
//! choices, and the pending backlog of each area.

use askama::Template;
use baocao_registry::Registry;
use baocao_rules::ReviewState;
use baocao_submission::reviews::QueueItem;

use crate::admin::Pager;
use crate::pages::{self, UserBar};

/// One unit's latest version on the review page.
pub struct ReviewRow {
    pub code: String,
    pub name: String,
    pub place: String,
    pub submission_id: String,
    pub received: String,
    /// How the unit stands for the current milestone.
    pub timing: &'static str,
    /// Systems, cameras and proposed levels of the version.
    pub figures: String,
    /// Each system of the version, as a line to read.
    pub systems: Vec<String>,
    /// Who reported it and how to reach them.
    pub reporter: String,
    /// Pending, approved or returned.
    pub state: ReviewState,
    pub reviewer: String,
    pub reason: String,
    /// A version was approved before this one.
    pub after_approval: bool,
    /// Each figure that moved since the approved version, `what: before → after`.
    pub changes: Vec<String>,
}

impl ReviewRow {
    /// Whether nobody has decided on the version yet.
    pub fn pending(&self) -> bool {
        self.state == ReviewState::Pending
    }

    /// The state in Vietnamese.
    pub fn state_label(&self) -> &'static str {
        self.state.label_vi()
    }

    /// The value of the row's bulk-approval checkbox.
    pub fn pick(&self) -> String {
        format!("{}|{}", self.code, self.submission_id)
    }
}

/// An area's pending versions, with the link that filters the page to it.
pub struct BacklogRow {
    pub name: String,
    pub pending: usize,
    pub href: String,
}

/// The choices of the filters, and what is chosen.
pub struct ReviewFilters {
    /// (id, name) of the campaigns under review.
    pub campaigns: Vec<(String, String)>,
    pub campaign: String,
    /// (code, name) of the areas to narrow to: the whole reach, then one tier down.
    pub areas: Vec<(String, String)>,
    pub area: String,
    /// (code, name) of the unit kinds.
    pub kinds: Vec<(String, String)>,
    pub kind: String,
    pub state: String,
    pub timing: String,
    pub changed: bool,
    pub q: String,
    pub sort: String,
    /// The page's query, to come back to it after a bulk decision.
    pub here: String,
}

impl ReviewFilters {
    /// Whether a filter beyond campaign, state and search is set (they are shown open).
    pub fn advanced(&self) -> bool {
        !self.area.is_empty()
            || !self.kind.is_empty()
            || !self.timing.is_empty()
            || self.changed
            || !matches!(self.sort.as_str(), "" | "oldest")
    }
}

/// The choices of the state filter.
pub const STATES: [(&str, &str); 4] = [
    ("pending", "Chờ duyệt"),
    ("returned", "Đã trả lại"),
    ("approved", "Đã phê duyệt"),
    ("all", "Tất cả đã gửi"),
];

/// The choices of the timing filter.
pub const TIMINGS: [(&str, &str); 4] = [
    ("", "Mọi thời hạn"),
    ("on_time", "Đúng hạn"),
    ("late", "Muộn"),
    ("not_updated", "Chưa cập nhật"),
];

/// The choices of the order.
pub const SORTS: [(&str, &str); 3] = [
    ("oldest", "Chờ lâu nhất trước"),
    ("newest", "Mới nhất trước"),
    ("place", "Theo địa bàn"),
];

#[derive(Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub user: UserBar,
    pub filters: ReviewFilters,
    pub states: Vec<(&'static str, &'static str)>,
    pub timings: Vec<(&'static str, &'static str)>,
    pub sorts: Vec<(&'static str, &'static str)>,
    pub rows: Vec<ReviewRow>,
    /// Some row of the page waits for a decision (the bulk form is offered).
    pub any_pending: bool,
    pub pending: usize,
    pub approved: usize,
    pub returned: usize,
    pub not_reported: usize,
    /// Rows matching every filter (on every page).
    pub matching: usize,
    pub backlog: Vec<BacklogRow>,
    /// The milestone timing is judged against, as a sentence.
    pub milestone: String,
    pub pager: Pager,
    pub notice: String,
    pub problem: String,
}

/// The figures a reviewer checks before approving: systems, cameras and proposed levels.
fn figures_of(item: &QueueItem) -> String {
    let systems = &item.latest.report.systems;
    let cameras: i64 = systems.iter().map(|s| s.camera_count).sum();
    let mut levels = [0usize; 5];
    for s in systems {
        if let Some(count) = usize::try_from(s.proposed_level - 1)
            .ok()
            .and_then(|i| levels.get_mut(i))
        {
            *count += 1;
        }
    }
    let levels = levels
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| format!("cấp {}: {n}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} hệ thống, {} camera{}",
        systems.len(),
        cameras,
        if levels.is_empty() {
            String::new()
        } else {
            format!(" ({levels})")
        }
    )
}

/// The Vietnamese label of `value` among `options` (the form's own words).
fn label(options: baocao_rules::typed::Options, value: &str) -> String {
    options
        .iter()
        .find(|(v, _)| *v == value)
        .map_or_else(|| "—".to_string(), |(_, l)| (*l).to_string())
}

/// Each system of the version as a reviewer reads it: name and code, where, cameras,
/// proposed level, dossier, plan.
fn system_lines(item: &QueueItem) -> Vec<String> {
    use baocao_proto::v1::{DossierStatus, PlanStatus};
    use baocao_rules::typed::{DOSSIER_OPTIONS, PLAN_OPTIONS};
    item.latest
        .report
        .systems
        .iter()
        .map(|s| {
            let dossier = DossierStatus::try_from(s.dossier_status).map_or("", |d| d.as_str_name());
            let plan = PlanStatus::try_from(s.plan_status).map_or("", |p| p.as_str_name());
            format!(
                "{} ({}) · {} · {} camera · đề xuất cấp độ {} · {} · phương án: {}",
                s.name,
                s.system_code,
                s.location,
                s.camera_count,
                s.proposed_level,
                label(DOSSIER_OPTIONS, dossier),
                label(PLAN_OPTIONS, plan).to_lowercase()
            )
        })
        .collect()
}

/// Who reported the version and how to reach them.
fn reporter_of(item: &QueueItem) -> String {
    let Some(reporter) = item.latest.report.reporter.as_ref() else {
        return String::new();
    };
    [
        &reporter.full_name,
        &reporter.position,
        &reporter.phone,
        &reporter.email,
    ]
    .into_iter()
    .filter(|part| !part.trim().is_empty())
    .map(String::as_str)
    .collect::<Vec<_>>()
    .join(" · ")
}

/// The card of one queue item.
pub fn row_of(registry: &Registry, item: &QueueItem) -> ReviewRow {
    let received = chrono::DateTime::from_timestamp(item.latest.received_at.seconds, 0)
        .map(pages::vn_time)
        .unwrap_or_default();
    let decision = item.decision.as_ref();
    ReviewRow {
        code: item.unit.code.clone(),
        name: item.unit.name.clone(),
        place: registry
            .admin_unit(&item.unit.area_code)
            .map_or_else(String::new, |a| a.name_with_type.clone()),
        submission_id: item.submission_id.clone(),
        received,
        timing: item.timing.label_vi(),
        figures: figures_of(item),
        systems: system_lines(item),
        reporter: reporter_of(item),
        state: item.state,
        reviewer: decision.map_or_else(String::new, |d| {
            registry
                .unit(&d.reviewer_unit)
                .map_or_else(|| d.reviewer_unit.clone(), |u| u.name.clone())
        }),
        reason: decision.map_or_else(String::new, |d| d.reason.clone()),
        after_approval: item.approved.is_some(),
        changes: item.changes().iter().map(ToString::to_string).collect(),
    }
}
