//! What changed in a unit's report since the version its reviewer approved: each figure a
//! reviewer checks (systems, cameras, proposed levels, dossiers, plans, budget,
//! incidents, the kind's indicators), said in Vietnamese as `what: before → after`, so
//! that re-approving a corrected report means reading only what moved.

use baocao_proto::v1::{CameraSystem, DossierStatus, PlanStatus, StatusReport};

use crate::typed::{DOSSIER_OPTIONS, Options, PLAN_OPTIONS};

/// One figure that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FigureChange {
    /// What it is, e.g. `Tổng số camera` or `Hệ thống HT-01: cấp độ đề xuất`.
    pub figure: String,
    /// Its value in the approved version (`—` when it was not there).
    pub before: String,
    /// Its value now.
    pub after: String,
}

impl std::fmt::Display for FigureChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} → {}", self.figure, self.before, self.after)
    }
}

fn label(options: Options, code: &str) -> String {
    options
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| "—".to_string(), |(_, l)| (*l).to_string())
}

fn dossier(system: &CameraSystem) -> String {
    let code = DossierStatus::try_from(system.dossier_status).map_or("", |d| d.as_str_name());
    label(DOSSIER_OPTIONS, code)
}

fn plan(system: &CameraSystem) -> String {
    let code = PlanStatus::try_from(system.plan_status).map_or("", |p| p.as_str_name());
    label(PLAN_OPTIONS, code)
}

/// The figures of one system a reviewer checks: (what, value).
fn system_figures(system: &CameraSystem) -> [(&'static str, String); 7] {
    [
        ("số camera", system.camera_count.to_string()),
        ("cấp độ đề xuất", system.proposed_level.to_string()),
        ("hồ sơ", dossier(system)),
        ("phương án", plan(system)),
        (
            "camera được chứng nhận",
            system.cameras_certified.to_string(),
        ),
        (
            "camera trong danh sách cảnh báo",
            system.cameras_on_warning_list.to_string(),
        ),
        (
            "camera đã thay thế hoặc gỡ bỏ",
            system.cameras_replaced_or_removed.to_string(),
        ),
    ]
}

/// The report-wide figures: (what, value).
fn report_figures(report: &StatusReport) -> Vec<(&'static str, String)> {
    let cameras: i64 = report.systems.iter().map(|s| s.camera_count).sum();
    vec![
        ("Số hệ thống", report.systems.len().to_string()),
        ("Tổng số camera", cameras.to_string()),
        (
            "Kinh phí bố trí (đồng)",
            report.budget_allocated_vnd.to_string(),
        ),
        ("Số sự cố", report.incidents.to_string()),
        (
            "Chỉ tiêu của doanh nghiệp viễn thông",
            format!("{:?}", report.telecom),
        ),
        ("Chỉ tiêu của công an", format!("{:?}", report.police)),
        (
            "Chỉ tiêu quản lý thị trường",
            format!("{:?}", report.market),
        ),
        (
            "Chỉ tiêu báo chí, truyền thông",
            format!("{:?}", report.media),
        ),
    ]
}

/// A system as a change names it.
fn system_name(system: &CameraSystem) -> String {
    format!("Hệ thống {} ({})", system.name, system.system_code)
}

/// Every figure that differs between the `approved` version and the `latest`: the
/// report's totals first, then each system by its code (added, removed, or the figures
/// of it that moved). Indicator blocks are named as a whole when any of their figures
/// moved.
pub fn figure_changes(approved: &StatusReport, latest: &StatusReport) -> Vec<FigureChange> {
    let mut out = Vec::new();
    for ((figure, before), (_, after)) in report_figures(approved)
        .into_iter()
        .zip(report_figures(latest))
    {
        if before != after {
            let block = figure.starts_with("Chỉ tiêu");
            out.push(FigureChange {
                figure: figure.to_string(),
                before: if block { "…".into() } else { before },
                after: if block { "đã sửa".into() } else { after },
            });
        }
    }
    for system in &latest.systems {
        match approved
            .systems
            .iter()
            .find(|s| s.system_code == system.system_code)
        {
            None => out.push(FigureChange {
                figure: system_name(system),
                before: "—".into(),
                after: format!("thêm mới, {} camera", system.camera_count),
            }),
            Some(before) => {
                for ((what, was), (_, now)) in system_figures(before)
                    .into_iter()
                    .zip(system_figures(system))
                {
                    if was != now {
                        out.push(FigureChange {
                            figure: format!("{}: {what}", system_name(system)),
                            before: was,
                            after: now,
                        });
                    }
                }
            }
        }
    }
    for gone in approved.systems.iter().filter(|s| {
        !latest
            .systems
            .iter()
            .any(|l| l.system_code == s.system_code)
    }) {
        out.push(FigureChange {
            figure: system_name(gone),
            before: format!("{} camera", gone.camera_count),
            after: "đã bỏ".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system(code: &str, cameras: i64, level: i32) -> CameraSystem {
        CameraSystem {
            system_code: code.into(),
            name: format!("Camera {code}"),
            camera_count: cameras,
            proposed_level: level,
            ..CameraSystem::default()
        }
    }

    #[test]
    fn only_what_moved_is_named() {
        let approved = StatusReport {
            systems: vec![system("HT-01", 12, 2), system("HT-02", 4, 1)],
            incidents: 1,
            ..StatusReport::default()
        };
        assert!(figure_changes(&approved, &approved).is_empty());
        let latest = StatusReport {
            systems: vec![system("HT-01", 15, 3), system("HT-03", 2, 1)],
            incidents: 1,
            ..StatusReport::default()
        };
        let said: Vec<String> = figure_changes(&approved, &latest)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            said,
            [
                "Tổng số camera: 16 → 17",
                "Hệ thống Camera HT-01 (HT-01): số camera: 12 → 15",
                "Hệ thống Camera HT-01 (HT-01): cấp độ đề xuất: 2 → 3",
                "Hệ thống Camera HT-03 (HT-03): — → thêm mới, 2 camera",
                "Hệ thống Camera HT-02 (HT-02): 4 camera → đã bỏ",
            ]
        );
    }
}
