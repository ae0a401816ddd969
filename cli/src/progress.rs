//! Progress of long commands (`land`, `rollup`, `gen`, `compact`, `backup`, `restore`) on
//! stderr: a bar with counts and rate on a terminal (a spinner while the total is
//! unknown), and otherwise — a file, a pipe, `log.format = "json"` — a plain log line
//! every `log.progress_interval_ms` (ten seconds by default), so a long run is never
//! silent and a log is never full of redraws.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baocao_store::{Progress, ProgressSnapshot};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::LogSection;

/// How often a bar is redrawn.
const BAR_TICK: Duration = Duration::from_millis(200);

/// Shows one [`Progress`] until [`ProgressDisplay::finish`].
pub struct ProgressDisplay {
    progress: Arc<Progress>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ProgressDisplay {
    /// Starts showing `progress` of the command `label`, counting `unit` (e.g. "records").
    pub fn start(label: &'static str, unit: &'static str, log: &LogSection) -> Self {
        Self::show(label, unit, Arc::default(), log)
    }

    /// Shows a [`Progress`] the work already owns (the lander's).
    pub fn show(
        label: &'static str,
        unit: &'static str,
        progress: Arc<Progress>,
        log: &LogSection,
    ) -> Self {
        let on_terminal = std::io::stderr().is_terminal() && log.format != "json";
        let (stop, stopped) = oneshot::channel();
        let watched = progress.clone();
        let task = if on_terminal {
            tokio::spawn(draw_bar(label, unit, watched, stopped))
        } else {
            let every = Duration::from_millis(log.progress_interval_ms);
            tokio::spawn(log_lines(label, unit, watched, every, stopped))
        };
        ProgressDisplay {
            progress,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The counters the work updates.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Stops showing (the bar is cleared; the command prints its own result).
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ProgressDisplay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What a bar shows: only the stage (nothing counted yet, or the rollup), a spinner with
/// a count while the total is unknown, or a bar.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Stage,
    Count,
    Bar,
}

impl Layout {
    fn of(now: &ProgressSnapshot, unit: &str) -> Self {
        if unit.is_empty() || (now.done == 0 && now.total == 0) {
            Layout::Stage
        } else if now.total == 0 {
            Layout::Count
        } else {
            Layout::Bar
        }
    }

    fn style(self) -> ProgressStyle {
        let template = match self {
            Layout::Stage => "{prefix}: {spinner} {msg} ({elapsed})",
            Layout::Count => "{prefix}: {spinner} {human_pos} {msg}",
            Layout::Bar => "{prefix}: [{bar:24}] {human_pos}/{human_len} {msg}",
        };
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
    }
}

/// The words after the counts in `layout`: unit, rate since the stage began, stage.
fn bar_message(
    now: &ProgressSnapshot,
    unit: &str,
    layout: Layout,
    stage_elapsed: Duration,
) -> String {
    if layout == Layout::Stage {
        return now.stage.clone();
    }
    let rate = now.done as f64 / stage_elapsed.as_secs_f64().max(0.001);
    let stage = if now.stage.is_empty() {
        String::new()
    } else {
        format!(" · {}", now.stage)
    };
    format!("{unit}, {rate:.0}/s{stage}")
}

async fn draw_bar(
    label: &'static str,
    unit: &'static str,
    progress: Arc<Progress>,
    mut stopped: oneshot::Receiver<()>,
) {
    // Styled before it is first drawn (a default bar would flash first).
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_prefix(label);
    let mut layout = None;
    let mut stage = None;
    let mut stage_started = Instant::now();
    loop {
        let now = progress.snapshot();
        if stage.as_ref() != Some(&now.stage) {
            stage = Some(now.stage.clone());
            stage_started = Instant::now();
        }
        let wanted = Layout::of(&now, unit);
        if layout != Some(wanted) {
            bar.set_style(wanted.style());
            layout = Some(wanted);
        }
        bar.set_length(now.total);
        bar.set_position(now.done);
        bar.set_message(bar_message(&now, unit, wanted, stage_started.elapsed()));
        if bar.is_hidden() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        tokio::select! {
            _ = &mut stopped => break,
            _ = tokio::time::sleep(BAR_TICK) => bar.tick(),
        }
    }
    bar.finish_and_clear();
}

async fn log_lines(
    label: &'static str,
    unit: &'static str,
    progress: Arc<Progress>,
    every: Duration,
    mut stopped: oneshot::Receiver<()>,
) {
    if every.is_zero() {
        return;
    }
    let started = Instant::now();
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(every) => {}
        }
        let now = progress.snapshot();
        tracing::info!("{}", progress_line(label, unit, &now, started.elapsed()));
    }
}

/// One plain progress line, e.g. `land: 12400/50000 records (24%), 1240/s`.
pub fn progress_line(label: &str, unit: &str, now: &ProgressSnapshot, elapsed: Duration) -> String {
    let stage = if now.stage.is_empty() {
        String::new()
    } else {
        format!("{} ", now.stage)
    };
    let nothing_counted_yet = now.done == 0 && now.total == 0 && !now.stage.is_empty();
    if unit.is_empty() || nothing_counted_yet {
        return format!(
            "{label}: {}, {:.0} s so far",
            now.stage,
            elapsed.as_secs_f64()
        );
    }
    let count = if now.total > 0 {
        format!(
            "{}/{} {unit} ({}%)",
            now.done,
            now.total,
            now.done.saturating_mul(100) / now.total
        )
    } else {
        format!("{} {unit}", now.done)
    };
    let seconds = elapsed.as_secs_f64().max(0.001);
    let bytes = if now.bytes > 0 {
        format!(", {:.1} MiB", now.bytes as f64 / (1024.0 * 1024.0))
    } else {
        String::new()
    };
    format!(
        "{label}: {stage}{count}{bytes}, {:.0}/s, {:.0} s so far",
        now.done as f64 / seconds,
        elapsed.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_counts_share_and_rate() {
        let now = ProgressSnapshot {
            done: 12_400,
            total: 50_000,
            bytes: 0,
            stage: String::new(),
        };
        assert_eq!(
            progress_line("land", "records", &now, Duration::from_secs(10)),
            "land: 12400/50000 records (24%), 1240/s, 10 s so far"
        );
        let staged = ProgressSnapshot {
            done: 3,
            total: 0,
            bytes: 3 * 1024 * 1024,
            stage: "landing".into(),
        };
        assert_eq!(
            progress_line("backup", "files", &staged, Duration::from_secs(2)),
            "backup: landing 3 files, 3.0 MiB, 2/s, 2 s so far"
        );
        let stage_only = ProgressSnapshot {
            stage: "summaries".into(),
            ..ProgressSnapshot::default()
        };
        assert_eq!(
            progress_line("rollup", "", &stage_only, Duration::from_secs(31)),
            "rollup: summaries, 31 s so far"
        );
    }
}
