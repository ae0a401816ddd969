//! Synthetic campaign activity, deterministic by seed: for every unit a campaign expects,
//! a profile (its camera systems, when their levels get approved and plans implemented)
//! and the submissions it makes — first reports on time or late, corrections, a few
//! invalid reports and client retries, and units that never report. Realistic shape
//! (DOMAIN.md): levels mostly 1–2, approval and implementation rising towards deadlines.

pub mod national;

use baocao_proto::v1::{
    Approval, CameraSystem, Date, DossierStatus, InternalRegulation, MarketIndicators,
    MediaIndicators, PlanStatus, PoliceIndicators, Reporter, StatusReport, TelecomIndicators,
};
use baocao_registry::{Campaign, Registry, ReportingUnit};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Why a submission is in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmissionKind {
    /// The unit's first report.
    First,
    /// A later report superseding the earlier one.
    Correction,
    /// The same submission sent again (a client retry): must count once.
    Retry,
    /// A report with a mistake the gateway must refuse; the text says which.
    Invalid(&'static str),
}

/// One planned submission.
#[derive(Clone, Debug)]
pub struct PlannedSubmission {
    /// When the unit sends it.
    pub at: DateTime<Utc>,
    /// The unit.
    pub unit_code: String,
    /// Why.
    pub kind: SubmissionKind,
    /// The report.
    pub report: StatusReport,
}

struct SystemProfile {
    code: String,
    name: String,
    cameras: i64,
    level: i32,
    certified: i64,
    warned: i64,
    submitted_on: Option<NaiveDate>,
    approved_on: Option<NaiveDate>,
    implemented_on: Option<NaiveDate>,
}

fn proto_date(day: NaiveDate) -> Date {
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

fn day_between(rng: &mut SmallRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + Duration::days(rng.random_range(0..=span))
}

/// An office-hours instant (08:00–17:00 Vietnam time) on `day`.
fn office_time(rng: &mut SmallRng, day: NaiveDate) -> DateTime<Utc> {
    let seconds = rng.random_range(8 * 3600..17 * 3600)
        - i64::from(baocao_registry::VIETNAM_UTC_OFFSET_SECONDS);
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + Duration::seconds(seconds)
}

fn level(rng: &mut SmallRng) -> i32 {
    match rng.random_range(0..100) {
        0..55 => 1,
        55..90 => 2,
        90..98 => 3,
        _ => 4,
    }
}

fn systems_for(
    rng: &mut SmallRng,
    unit: &ReportingUnit,
    timeline: &Timeline,
) -> Vec<SystemProfile> {
    let (count, cameras) = match unit.kind.as_str() {
        "school" => (rng.random_range(0..=1), 4..=16),
        "people_committee" => (rng.random_range(1..=3), 4..=40),
        "police" => (rng.random_range(2..=5), 10..=120),
        "department" | "dic" | "public_service_unit" => (rng.random_range(1..=3), 6..=60),
        "soe" | "telecom" => (rng.random_range(2..=4), 20..=200),
        _ => (rng.random_range(0..=2), 2..=20),
    };
    let names = [
        "Camera trụ sở",
        "Camera cổng và hàng rào",
        "Camera phòng họp",
        "Camera kho",
        "Camera giám sát giao thông",
    ];
    (0..count)
        .map(|i| {
            let cameras = rng.random_range(cameras.clone());
            let warned = if rng.random_bool(0.15) {
                rng.random_range(1..=cameras.min(5))
            } else {
                0
            };
            let most = cameras - warned;
            let certified = rng.random_range(most / 2..=most);
            let submitted_on = rng.random_bool(0.9).then(|| {
                day_between(
                    rng,
                    timeline.start - Duration::days(20),
                    timeline.levels_deadline - Duration::days(5),
                )
            });
            let approved_on = submitted_on.filter(|_| rng.random_bool(0.85)).map(|s| {
                let delay = if rng.random_bool(0.75) {
                    rng.random_range(2..15)
                } else {
                    rng.random_range(30..150)
                };
                s + Duration::days(delay)
            });
            let implemented_on = approved_on
                .filter(|_| rng.random_bool(0.78))
                .map(|a| a + Duration::days(rng.random_range(20..170)));
            SystemProfile {
                code: format!("CAM-{:02}", i + 1),
                name: names[i % names.len()].to_string(),
                cameras,
                level: level(rng),
                certified,
                warned,
                submitted_on,
                approved_on,
                implemented_on,
            }
        })
        .collect()
}

struct Timeline {
    start: NaiveDate,
    levels_deadline: NaiveDate,
    plans_deadline: NaiveDate,
}

struct UnitProfile<'a> {
    unit: &'a ReportingUnit,
    systems: Vec<SystemProfile>,
    blocks: Vec<String>,
    budget: i64,
    regulation_on: Option<NaiveDate>,
    seed: u64,
}

impl UnitProfile<'_> {
    /// The unit's report as of `day`.
    fn report(&self, campaign: &Campaign, day: NaiveDate, submission: u64) -> StatusReport {
        // Per report: the submission id, incidents. Per unit (same in every version):
        // decision and document numbers, the reporter's phone.
        let mut rng = SmallRng::seed_from_u64(self.seed ^ submission);
        let mut stable = SmallRng::seed_from_u64(self.seed);
        let decision_numbers: Vec<u32> = self
            .systems
            .iter()
            .map(|_| stable.random_range(10..900))
            .collect();
        let document_number = stable.random_range(1..200);
        let phone = stable.random_range(0..100_000_000);
        let systems = self
            .systems
            .iter()
            .zip(&decision_numbers)
            .map(|(s, decision_number)| self.camera_system(s, *decision_number, day, campaign))
            .collect::<Vec<_>>();
        let regulation = self
            .regulation_on
            .filter(|d| *d <= day)
            .map(|d| InternalRegulation {
                updated: true,
                document_number: format!("{document_number}/QĐ-ATTT"),
                document_date: Some(proto_date(d)),
            });
        let has = |block: &str| self.blocks.iter().any(|b| b == block);
        let progress = (day - campaign.opens_on).num_days().max(1);
        StatusReport {
            unit_code: self.unit.code.clone(),
            campaign_id: campaign.id.clone(),
            as_of: Some(proto_date(day)),
            submission_id: uuid::Builder::from_random_bytes(rng.random())
                .into_uuid()
                .to_string(),
            reporter: Some(Reporter {
                full_name: "Cán bộ phụ trách công nghệ thông tin".to_string(),
                position: "Chuyên viên".to_string(),
                phone: format!("09{phone:08}"),
                email: String::new(),
            }),
            no_camera_systems: systems.is_empty(),
            systems,
            budget_allocated_vnd: self.budget,
            internal_regulation: regulation,
            national_regulation_applied: Some(false),
            incidents: i64::from(rng.random_bool(0.02)),
            telecom: has("telecom").then(|| {
                let checked = progress * rng.random_range(20..60);
                let found = checked * rng.random_range(5..30) / 100;
                TelecomIndicators {
                    cameras_checked: checked,
                    non_compliant_found: found,
                    users_notified: found * 9 / 10,
                    non_compliant_handled: found * 7 / 10,
                }
            }),
            police: has("police").then_some(PoliceIndicators {
                assessments_done: progress / 20,
                cases_handled: progress / 90,
            }),
            market: has("market").then_some(MarketIndicators {
                inspections: progress / 15,
                violations: progress / 60,
            }),
            media: has("media").then_some(MediaIndicators {
                items_broadcast: progress / 7,
            }),
            notes: String::new(),
        }
    }

    /// One system's row in a report of `day`: its dossier and plan as they stood then.
    fn camera_system(
        &self,
        s: &SystemProfile,
        decision_number: u32,
        day: NaiveDate,
        campaign: &Campaign,
    ) -> CameraSystem {
        let approved = s.approved_on.filter(|d| *d <= day);
        let implemented = s.implemented_on.filter(|d| *d <= day);
        let dossier = if approved.is_some() {
            DossierStatus::Approved
        } else if s.submitted_on.is_some_and(|d| d <= day) {
            DossierStatus::Submitted
        } else if day > campaign.opens_on + Duration::days(20) {
            DossierStatus::Preparing
        } else {
            DossierStatus::NotStarted
        };
        let plan = if implemented.is_some() {
            PlanStatus::Implemented
        } else if approved.is_some() {
            PlanStatus::InProgress
        } else {
            PlanStatus::NotStarted
        };
        CameraSystem {
            system_code: s.code.clone(),
            name: s.name.clone(),
            location: format!("Trụ sở {}", self.unit.name),
            camera_count: s.cameras,
            proposed_level: s.level,
            dossier_status: dossier as i32,
            approval: approved.map(|d| Approval {
                decision_number: format!("{decision_number}/QĐ-{}", d.year()),
                decision_date: Some(proto_date(d)),
                approving_authority: "Thủ trưởng cơ quan chủ quản".to_string(),
                approved_level: s.level,
            }),
            plan_status: plan as i32,
            plan_implemented_on: implemented.map(proto_date),
            assessed_at_procurement: Some(s.certified * 10 >= s.cameras * 8),
            last_periodic_assessment_on: implemented.map(proto_date),
            cameras_certified: s.certified,
            cameras_on_warning_list: s.warned,
            cameras_replaced_or_removed: if implemented.is_some() { s.warned } else { 0 },
        }
    }
}

fn broken_copy(report: &StatusReport, rng: &mut SmallRng) -> (StatusReport, &'static str) {
    let mut bad = report.clone();
    bad.submission_id = uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string();
    match rng.random_range(0..3) {
        0 if !bad.systems.is_empty() => {
            bad.systems[0].proposed_level = 6;
            (bad, "security level 6 (levels are 1-5)")
        }
        1 => {
            bad.as_of = Some(Date {
                year: 2023,
                month: 2,
                day: 30,
            });
            (bad, "as-of date 30/02/2023 does not exist")
        }
        _ => {
            bad.budget_allocated_vnd = -5_000_000;
            (bad, "negative budget")
        }
    }
}

/// Plans every submission of `campaign` by its expected units, sorted by time. Fractions
/// are realistic defaults: ~6% of units never report, ~16% report late for the first
/// milestone, ~60% send a correction, ~1% first send an invalid report, ~2% retry.
pub fn plan_campaign(
    registry: &Registry,
    campaign: &Campaign,
    seed: u64,
) -> Vec<PlannedSubmission> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let timeline = Timeline::of(campaign);
    let mut units: Vec<&ReportingUnit> = registry.expected_units(campaign).collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let mut plan = Vec::new();
    for (index, unit) in units.into_iter().enumerate() {
        let roll = rng.random_range(0..100);
        if roll < 6 {
            continue; // never reports
        }
        let blocks = registry.indicator_blocks(unit).to_vec();
        let profile = UnitProfile {
            unit,
            systems: systems_for(&mut rng, unit, &timeline),
            blocks,
            budget: rng.random_range(0..50) * 1_000_000,
            regulation_on: rng
                .random_bool(0.7)
                .then(|| day_between(&mut rng, timeline.start, timeline.plans_deadline)),
            seed: seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        };
        let first_day = first_report_day(&mut rng, roll, &timeline);
        plan_unit(
            &mut rng, &mut plan, &profile, campaign, &timeline, first_day,
        );
    }
    plan.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.unit_code.cmp(&b.unit_code)));
    plan
}

impl Timeline {
    /// The replay's calendar: reports from a month after opening, the first and last
    /// milestones' unit deadlines.
    fn of(campaign: &Campaign) -> Self {
        let first = campaign
            .milestones
            .first()
            .map(|m| m.unit_deadline)
            .unwrap_or(campaign.opens_on);
        let last = campaign
            .milestones
            .last()
            .map(|m| m.unit_deadline)
            .unwrap_or(first);
        Timeline {
            start: campaign.opens_on + Duration::days(30),
            levels_deadline: first,
            plans_deadline: last,
        }
    }
}

/// The day a unit first reports, by its roll: most in the last weeks before the first
/// deadline, some late, a few only near the last deadline.
fn first_report_day(rng: &mut SmallRng, roll: i32, timeline: &Timeline) -> NaiveDate {
    if roll < 84 {
        // Most units report in the last weeks before the deadline.
        let a = day_between(rng, timeline.start, timeline.levels_deadline);
        let b = day_between(rng, timeline.start, timeline.levels_deadline);
        a.max(b)
    } else if roll < 98 {
        day_between(
            rng,
            timeline.levels_deadline + Duration::days(1),
            timeline.levels_deadline + Duration::days(40),
        )
    } else {
        day_between(
            rng,
            timeline.plans_deadline + Duration::days(1),
            timeline.plans_deadline + Duration::days(8),
        )
    }
}

/// One unit's submissions from `first_day` on: sometimes a broken copy first, sometimes
/// a retry, the first report, and often a correction later.
fn plan_unit(
    rng: &mut SmallRng,
    plan: &mut Vec<PlannedSubmission>,
    profile: &UnitProfile<'_>,
    campaign: &Campaign,
    timeline: &Timeline,
    first_day: NaiveDate,
) {
    let unit_code = &profile.unit.code;
    let at = office_time(rng, first_day);
    let report = profile.report(campaign, first_day, 1);
    if rng.random_bool(0.01) {
        let (bad, why) = broken_copy(&report, rng);
        plan.push(PlannedSubmission {
            at: at - Duration::minutes(30),
            unit_code: unit_code.clone(),
            kind: SubmissionKind::Invalid(why),
            report: bad,
        });
    }
    if rng.random_bool(0.02) {
        plan.push(PlannedSubmission {
            at: at + Duration::minutes(2),
            unit_code: unit_code.clone(),
            kind: SubmissionKind::Retry,
            report: report.clone(),
        });
    }
    plan.push(PlannedSubmission {
        at,
        unit_code: unit_code.clone(),
        kind: SubmissionKind::First,
        report,
    });
    if first_day < timeline.plans_deadline && rng.random_bool(0.6) {
        let from =
            (first_day + Duration::days(30)).max(timeline.levels_deadline + Duration::days(30));
        let day = day_between(rng, from, timeline.plans_deadline + Duration::days(8));
        if day > first_day {
            plan.push(PlannedSubmission {
                at: office_time(rng, day),
                unit_code: unit_code.clone(),
                kind: SubmissionKind::Correction,
                report: profile.report(campaign, day, 2),
            });
        }
    }
}
