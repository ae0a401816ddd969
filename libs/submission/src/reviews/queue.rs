//! A reviewer's queue at province scale: every unit it reviews in a campaign, with its
//! latest version, that version's state, how the unit stands for the current milestone
//! (on time, late, not updated), and the last version approved before it — filtered by
//! area at any tier, unit kind, state, timing, "changed since approval" and a search,
//! ordered by age or place, with the pending backlog of each area one tier down. Every
//! front door (the portal's review page, `ListReviews` for `baocao review --list`) reads
//! the same queue, and decides through [`ReviewDesk::review`], one event per version.

use std::collections::BTreeMap;
use std::sync::Arc;

use baocao_proto::canonical::canonical_submission_id;
use baocao_proto::v1::ReviewEvent;
use baocao_registry::{Campaign, Milestone, Registry, ReportingUnit, search_key, vietnam_date};
use baocao_rules::changes::{FigureChange, figure_changes};
use baocao_rules::{Decision, ReviewState};
use chrono::NaiveDate;

use super::ReviewDesk;
use crate::Refusal;
use crate::index::{LatestVersion, SubmissionKey};

/// How a unit stands for the campaign's current milestone, from its first version in the
/// milestone's window (the rollup's rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timing {
    /// Its first version in the window came by the unit deadline.
    OnTime,
    /// Its first version in the window came after the deadline.
    Late,
    /// It has sent nothing since the window opened (only earlier versions).
    NotUpdated,
}

impl Timing {
    /// The word of the API and the filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Timing::OnTime => "on_time",
            Timing::Late => "late",
            Timing::NotUpdated => "not_updated",
        }
    }

    /// The timing of a word.
    pub fn parse(word: &str) -> Option<Self> {
        [Timing::OnTime, Timing::Late, Timing::NotUpdated]
            .into_iter()
            .find(|t| t.as_str() == word.trim())
    }

    /// As pages say it.
    pub fn label_vi(self) -> &'static str {
        match self {
            Timing::OnTime => "Đúng hạn",
            Timing::Late => "Muộn",
            Timing::NotUpdated => "Chưa cập nhật",
        }
    }
}

/// The order of the queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueOrder {
    /// The longest waiting first (by the latest version's arrival).
    #[default]
    Oldest,
    /// The newest first.
    Newest,
    /// By area, then unit code.
    Place,
}

impl QueueOrder {
    /// The order of a word (`oldest`, `newest`, `place`).
    pub fn parse(word: &str) -> Option<Self> {
        match word.trim() {
            "oldest" => Some(QueueOrder::Oldest),
            "newest" => Some(QueueOrder::Newest),
            "place" => Some(QueueOrder::Place),
            _ => None,
        }
    }

    /// The word.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueOrder::Oldest => "oldest",
            QueueOrder::Newest => "newest",
            QueueOrder::Place => "place",
        }
    }
}

/// Which units of a campaign a reviewer wants to see. Empty texts and `None`s do not
/// filter.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// The campaign.
    pub campaign: String,
    /// An administrative code at any tier: only units within it.
    pub area: String,
    /// A unit kind's code.
    pub kind: String,
    /// Only versions in this state.
    pub state: Option<ReviewState>,
    /// Only units standing so for the current milestone.
    pub timing: Option<Timing>,
    /// Only versions sent after an approved one (a correction to re-check).
    pub changed_since_approval: bool,
    /// Part of a unit's name or code, with or without diacritics.
    pub text: String,
    /// The order.
    pub order: QueueOrder,
}

/// One unit's latest version in the queue.
#[derive(Clone, Debug)]
pub struct QueueItem {
    /// The unit.
    pub unit: ReportingUnit,
    /// The latest version's submission id (canonical).
    pub submission_id: String,
    /// The latest version.
    pub latest: Arc<LatestVersion>,
    /// Its state.
    pub state: ReviewState,
    /// The decision on it, if any.
    pub decision: Option<ReviewEvent>,
    /// The last version approved before it, when it is not approved itself.
    pub approved: Option<Arc<LatestVersion>>,
    /// How the unit stands for the current milestone.
    pub timing: Timing,
}

impl QueueItem {
    /// The figures that moved since the last approved version (none without one).
    pub fn changes(&self) -> Vec<FigureChange> {
        self.approved
            .as_ref()
            .map(|approved| figure_changes(&approved.report, &self.latest.report))
            .unwrap_or_default()
    }
}

/// Units by state, within the filters other than the state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Waiting for a decision.
    pub pending: usize,
    /// Approved.
    pub approved: usize,
    /// Returned.
    pub returned: usize,
    /// Expected and not reported at all.
    pub not_reported: usize,
}

impl StateCounts {
    /// Counts one unit's latest version in `state`.
    fn add(&mut self, state: ReviewState) {
        match state {
            ReviewState::Pending => self.pending += 1,
            ReviewState::Approved => self.approved += 1,
            ReviewState::Returned => self.returned += 1,
            ReviewState::None => self.not_reported += 1,
        }
    }
}

/// The pending versions of one area one tier below the queue's area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AreaBacklog {
    /// The area's code (the queue's own area for its units directly in it).
    pub code: String,
    /// Its name.
    pub name: String,
    /// Versions waiting.
    pub pending: usize,
}

/// A reviewer's queue: the items matching every filter, in order, and the counts.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    /// Matching items, in the filter's order.
    pub items: Vec<QueueItem>,
    /// Units by state (every filter but the state).
    pub counts: StateCounts,
    /// Every area one tier below the filter's area that has units to review, with its
    /// pending versions, most first (an area with none waiting has 0).
    pub backlog: Vec<AreaBacklog>,
    /// The milestone timing is judged against, and its unit deadline.
    pub milestone: Option<(String, NaiveDate)>,
}

/// The milestone a day falls in: the one whose window holds it, else the last begun (or
/// the first, before any began).
pub fn current_milestone(campaign: &Campaign, today: NaiveDate) -> Option<&Milestone> {
    let milestones = &campaign.milestones;
    milestones
        .iter()
        .find(|m| m.opens_on <= today && today <= m.unit_deadline)
        .or_else(|| milestones.iter().rev().find(|m| m.opens_on <= today))
        .or_else(|| milestones.first())
}

/// How a unit with `versions` (oldest first) stands for `milestone`.
fn timing_of(versions: &[Arc<LatestVersion>], milestone: Option<&Milestone>) -> Timing {
    let Some(milestone) = milestone else {
        return Timing::OnTime;
    };
    let day = |v: &LatestVersion| {
        chrono::DateTime::from_timestamp(v.received_at.seconds, 0).map(vietnam_date)
    };
    match versions
        .iter()
        .filter_map(|v| day(v))
        .find(|d| *d >= milestone.opens_on)
    {
        None => Timing::NotUpdated,
        Some(d) if d <= milestone.unit_deadline => Timing::OnTime,
        Some(_) => Timing::Late,
    }
}

/// The area one tier below `base` that holds `unit` (`base` itself for a unit directly in
/// it).
fn child_area(registry: &Registry, unit: &ReportingUnit, base: &str) -> Option<(String, String)> {
    let chain = registry.area_chain(&unit.area_code);
    let at = chain.iter().position(|a| a.code == base)?;
    let area = if at == 0 { chain[0] } else { chain[at - 1] };
    Some((area.code.clone(), area.name_with_type.clone()))
}

impl ReviewDesk {
    /// `reviewer`'s queue for `filter`: the units it reviews in the campaign (in this
    /// desk's jurisdiction), each with its latest version, filtered and ordered.
    pub fn queue(&self, reviewer: &str, filter: &QueueFilter) -> Result<Queue, Refusal> {
        let registry = self.core.registry();
        let Some(reviewer_unit) = registry.unit(reviewer) else {
            return Err(Refusal::NotPermitted(format!(
                "unit `{reviewer}` is not in the register"
            )));
        };
        let Some(campaign) = registry.campaign(filter.campaign.trim()) else {
            return Err(super::violation(
                "campaign_id",
                format!(
                    "unknown campaign `{}`",
                    baocao_rules::validate::shown(&filter.campaign)
                ),
                format!(
                    "Không có đợt báo cáo “{}”.",
                    baocao_rules::validate::shown(&filter.campaign)
                ),
            ));
        };
        let today = vietnam_date(self.core.now());
        let milestone = current_milestone(campaign, today);
        let text = search_key(&filter.text);
        let base = if filter.area.trim().is_empty() {
            reviewer_unit.area_code.clone()
        } else {
            filter.area.trim().to_string()
        };
        let mut queue = Queue {
            milestone: milestone.map(|m| (m.name.clone(), m.unit_deadline)),
            ..Queue::default()
        };
        let mut backlog: BTreeMap<(String, String), usize> = BTreeMap::new();
        let wanted = |u: &&ReportingUnit| {
            registry.is_within(u, &self.jurisdiction)
                && registry.is_within(u, filter.area.trim())
                && (filter.kind.is_empty() || u.kind == filter.kind)
                && registry.may_review(reviewer_unit, u, campaign)
                && registry.expects(campaign, u)
                && (text.is_empty()
                    || search_key(&u.name).contains(&text)
                    || search_key(&u.code).contains(&text))
        };
        for unit in registry.units().filter(wanted) {
            // Every area with a unit to review is listed, with 0 when nothing waits.
            let area = child_area(&registry, unit, &base);
            let waiting = area.map(|area| backlog.entry(area).or_default());
            let Some(item) = self.item_of(unit, campaign, milestone) else {
                queue.counts.add(ReviewState::None);
                continue;
            };
            if filter.timing.is_some_and(|t| t != item.timing)
                || (filter.changed_since_approval && item.approved.is_none())
            {
                continue;
            }
            if item.state == ReviewState::Pending
                && let Some(waiting) = waiting
            {
                *waiting += 1;
            }
            queue.counts.add(item.state);
            if filter.state.is_none_or(|s| s == item.state) {
                queue.items.push(item);
            }
        }
        order(&registry, &mut queue.items, filter.order);
        queue.backlog = backlog
            .into_iter()
            .map(|((code, name), pending)| AreaBacklog {
                code,
                name,
                pending,
            })
            .collect();
        queue
            .backlog
            .sort_by(|a, b| b.pending.cmp(&a.pending).then(a.name.cmp(&b.name)));
        Ok(queue)
    }

    /// A unit's item, or `None` when it has sent nothing in the campaign.
    fn item_of(
        &self,
        unit: &ReportingUnit,
        campaign: &Campaign,
        milestone: Option<&Milestone>,
    ) -> Option<QueueItem> {
        let versions = self.submissions.versions(&unit.code, &campaign.id);
        let latest = versions.last()?.clone();
        let key = |v: &LatestVersion| SubmissionKey {
            unit: unit.code.clone(),
            id: canonical_submission_id(&v.report.submission_id)
                .unwrap_or_else(|| v.report.submission_id.clone()),
        };
        let latest_key = key(&latest);
        let decision = self.reviews.decision(&latest_key);
        let state = ReviewState::of(true, decision.as_ref().map(|d| d.decision.as_str()));
        let approved = (state != ReviewState::Approved)
            .then(|| {
                versions.iter().rev().skip(1).find(|v| {
                    self.reviews
                        .decision(&key(v))
                        .is_some_and(|d| Decision::parse(&d.decision) == Some(Decision::Approve))
                })
            })
            .flatten()
            .cloned();
        Some(QueueItem {
            unit: unit.clone(),
            submission_id: latest_key.id,
            timing: timing_of(&versions, milestone),
            latest,
            state,
            decision,
            approved,
        })
    }
}

/// Sorts `items` by `order`.
fn order(registry: &Registry, items: &mut [QueueItem], order: QueueOrder) {
    let at = |i: &QueueItem| (i.latest.received_at.seconds, i.latest.received_at.nanos);
    match order {
        QueueOrder::Oldest => {
            items.sort_by(|a, b| at(a).cmp(&at(b)).then(a.unit.code.cmp(&b.unit.code)))
        }
        QueueOrder::Newest => {
            items.sort_by(|a, b| at(b).cmp(&at(a)).then(a.unit.code.cmp(&b.unit.code)))
        }
        QueueOrder::Place => {
            let place = |i: &QueueItem| {
                registry
                    .admin_unit(&i.unit.area_code)
                    .map_or_else(String::new, |a| a.name_with_type.clone())
            };
            items.sort_by_cached_key(|i| (place(i), i.unit.code.clone()));
        }
    }
}
