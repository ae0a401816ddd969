//! Sending a read form's units through a front door, whichever it is (the CLI over gRPC,
//! the portal in process): a unit with any problem is only checked, never written, so
//! every problem of the file is listed at once; the others are written. Then the problems
//! in reading order and the summary a person reads.

use std::collections::HashSet;
use std::future::Future;

use baocao_proto::v1::StatusReport;
use futures::StreamExt;

use crate::{Parsed, Problem, UnitEntry};

/// A front door's answer to one unit's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Accepted (or, checked only, acceptable); `repeat` when this content was accepted
    /// before.
    Accepted {
        /// Nothing new: the same content was accepted before.
        repeat: bool,
    },
    /// Refused field by field: (validator path, message in Vietnamese).
    Fields(Vec<(String, String)>),
    /// Refused as a whole (not permitted, too many at once…), in Vietnamese.
    Unit(String),
}

/// What happened to one unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Written (or, in a dry run, would be): `repeat` when this content was accepted before.
    Accepted {
        /// Nothing new: the same content was accepted before.
        repeat: bool,
    },
    /// Not written: every problem, at its cell.
    Refused(Vec<Problem>),
}

/// The result of importing a file.
#[derive(Debug, Default)]
pub struct ImportResult {
    /// (unit code, outcome), in the file's order.
    pub units: Vec<(String, Outcome)>,
    /// Problems of the file that belong to no unit (a system row of an unknown unit).
    pub file_problems: Vec<Problem>,
    /// What was ignored.
    pub notes: Vec<String>,
    /// Whether nothing was written (a dry run).
    pub dry_run: bool,
}

/// Sends every unit of `parsed` with `send(report, check_only)`, `concurrency` at once.
/// `send` fails only when the whole import cannot go on (a refused credential).
pub async fn send_units<F, Fut, E>(
    parsed: Parsed,
    dry_run: bool,
    concurrency: usize,
    send: F,
) -> Result<ImportResult, E>
where
    F: Fn(StatusReport, bool) -> Fut,
    Fut: Future<Output = Result<Answer, E>>,
{
    let Parsed {
        units,
        problems,
        notes,
    } = parsed;
    let file_problems = problems
        .iter()
        .filter(|p| p.unit.is_none())
        .cloned()
        .collect();
    let send = &send;
    let problems = &problems;
    let outcomes = futures::stream::iter(units.into_iter().map(|entry| async move {
        let own: Vec<Problem> = problems
            .iter()
            .filter(|p| p.unit.as_deref() == Some(entry.unit_code.as_str()))
            .cloned()
            .collect();
        let outcome = one_unit(&entry, own, dry_run, send).await?;
        Ok((entry.unit_code, outcome))
    }))
    .buffered(concurrency.max(1))
    .collect::<Vec<Result<_, E>>>()
    .await;
    Ok(ImportResult {
        units: outcomes.into_iter().collect::<Result<_, E>>()?,
        file_problems,
        notes,
        dry_run,
    })
}

/// One unit: its cell problems, then the front door's check or write. A unit with cell
/// problems is only checked (so every problem is listed at once), never written.
async fn one_unit<F, Fut, E>(
    entry: &UnitEntry,
    mut problems: Vec<Problem>,
    dry_run: bool,
    send: &F,
) -> Result<Outcome, E>
where
    F: Fn(StatusReport, bool) -> Fut,
    Fut: Future<Output = Result<Answer, E>>,
{
    let report = match entry.report() {
        Ok(report) => report,
        Err(unreadable) => {
            problems.extend(unreadable);
            return Ok(Outcome::Refused(problems));
        }
    };
    let check_only = dry_run || !problems.is_empty();
    let refusals = match send(report, check_only).await? {
        Answer::Accepted { repeat } if problems.is_empty() => {
            return Ok(Outcome::Accepted { repeat });
        }
        Answer::Accepted { .. } => Vec::new(),
        Answer::Fields(fields) => fields
            .into_iter()
            .map(|(path, message)| entry.problem_at(&path, message))
            .collect(),
        Answer::Unit(message) => vec![entry.problem_at("", message)],
    };
    // A row with an unreadable value has its other rules checked once it is fixed: the
    // value reached the front door empty, and what follows from that is noise.
    let unreadable_rows: HashSet<(String, u32)> =
        problems.iter().filter_map(|p| row_of(&p.at)).collect();
    problems.extend(
        refusals
            .into_iter()
            .filter(|p| row_of(&p.at).is_none_or(|row| !unreadable_rows.contains(&row))),
    );
    Ok(Outcome::Refused(problems))
}

/// (sheet, column letters, row) of a place `Sheet!E12`; none for a place without a cell.
fn cell_of(at: &str) -> Option<(String, String, u32)> {
    let (sheet, cell) = at.rsplit_once('!')?;
    let letters: String = cell.chars().take_while(char::is_ascii_alphabetic).collect();
    let row = cell[letters.len()..].parse().ok()?;
    Some((sheet.to_string(), letters, row))
}

/// (sheet, row) of a place `Sheet!E12`.
fn row_of(at: &str) -> Option<(String, u32)> {
    cell_of(at).map(|(sheet, _, row)| (sheet, row))
}

impl ImportResult {
    /// Every problem, of the file and of the units, in reading order: by sheet, row, column.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems: Vec<Problem> = self.file_problems.clone();
        for (_, outcome) in &self.units {
            if let Outcome::Refused(unit_problems) = outcome {
                problems.extend(unit_problems.iter().cloned());
            }
        }
        problems.sort_by_key(|p| match cell_of(&p.at) {
            Some((sheet, letters, row)) => (sheet, row, letters.len(), letters),
            None => (p.at.clone(), 0, 0, String::new()),
        });
        problems
    }

    /// Units accepted (`repeat` false: new versions; true: repeats of earlier imports).
    pub fn accepted(&self, repeat: bool) -> usize {
        self.units
            .iter()
            .filter(|(_, o)| *o == Outcome::Accepted { repeat })
            .count()
    }

    /// Codes of the units not written.
    pub fn refused(&self) -> Vec<&str> {
        self.units
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Refused(_)))
            .map(|(code, _)| code.as_str())
            .collect()
    }

    /// Whether every unit went in and the file had no problem.
    pub fn complete(&self) -> bool {
        self.refused().is_empty() && self.file_problems.is_empty()
    }

    /// The summary sentence, in Vietnamese.
    pub fn summary(&self) -> String {
        let (new, repeats) = (self.accepted(false), self.accepted(true));
        let refused = self.refused();
        let listed = if refused.is_empty() {
            String::new()
        } else {
            format!(": {}", refused.join(", "))
        };
        if self.dry_run {
            format!(
                "Kiểm tra (chưa gửi): {new} đơn vị hợp lệ sẽ được ghi nhận, {repeats} đơn vị \
                 trùng lần nhập trước, {} đơn vị có lỗi{listed}",
                refused.len()
            )
        } else {
            format!(
                "Đã ghi nhận {} đơn vị ({new} mới, {repeats} trùng lần nhập trước, không tính \
                 hai lần); {} đơn vị có lỗi, chưa ghi nhận{listed}",
                new + repeats,
                refused.len()
            )
        }
    }
}
