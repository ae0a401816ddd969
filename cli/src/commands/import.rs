//! `baocao import`: a filled form (XLSX, or CSV) sent unit by unit through a gateway —
//! the same submission core as any report — with every problem of the whole file named
//! by sheet and cell. A unit with any problem is not sent; the others are. Submission ids
//! come from each unit's content, so importing the same file again is a repeat.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use baocao_proto::v1::StatusReport;
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_sheets::{Parsed, Problem, UnitEntry};
use futures::StreamExt;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::commands::submit::{gateway_endpoint, submit_request};

/// Flags of `baocao import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The filled form (.xlsx), or CSV files (a units sheet, and a systems sheet if any):
    /// repeat the flag for each file.
    #[arg(long = "file", required = true)]
    files: Vec<PathBuf>,
    /// A unit's or a district office's bearer token (`baocao token issue`): an office
    /// imports for the units it may submit for.
    #[arg(long, env = "BAOCAO_TOKEN", hide_env_values = true)]
    token: String,
    /// Gateway address; `https://` for a gateway with TLS.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    gateway: String,
    /// CA that signed the gateway's certificate (PEM).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// This machine's client certificate (PEM), for a gateway with mutual TLS.
    #[arg(long, requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, requires = "client_cert")]
    client_key: Option<PathBuf>,
    /// Check every unit with the gateway (who may send it, every rule) and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Campaign of rows that do not name one (a CSV without the campaign column).
    #[arg(long)]
    campaign: Option<String>,
    /// Reports in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
}

/// What happened to one unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Written (or, in a dry run, would be): `repeat` when this content was accepted before.
    Accepted {
        /// Nothing new: the same content was accepted before.
        repeat: bool,
    },
    /// Not sent: every problem, at its cell.
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
}

/// Reads the files into the form's units (every sheet of every file together, so a CSV of
/// units and a CSV of systems make one form).
pub fn read_form(files: &[PathBuf], campaign: Option<&str>) -> anyhow::Result<Parsed> {
    let mut sheets = Vec::new();
    for file in files {
        let size = std::fs::metadata(file)
            .with_context(|| format!("--file {}", file.display()))?
            .len();
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        if size > baocao_sheets::read::MAX_FILE_BYTES {
            anyhow::bail!(baocao_sheets::Error::TooLarge {
                file: name,
                bytes: size,
                max: baocao_sheets::read::MAX_FILE_BYTES
            });
        }
        let bytes = std::fs::read(file).with_context(|| format!("--file {}", file.display()))?;
        sheets.extend(baocao_sheets::read_file(&name, &bytes)?);
    }
    let label = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(baocao_sheets::parse(&label, &sheets, campaign)?)
}

/// Checks, then (unless `dry_run`) sends every unit of `parsed` over `client`.
pub async fn import(
    client: ReportingServiceClient<Channel>,
    token: &str,
    parsed: Parsed,
    dry_run: bool,
    concurrency: usize,
) -> anyhow::Result<ImportResult> {
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
    let outcomes = futures::stream::iter(units.into_iter().map(|entry| {
        let unit_problems: Vec<Problem> = problems
            .iter()
            .filter(|p| p.unit.as_deref() == Some(entry.unit_code.as_str()))
            .cloned()
            .collect();
        let client = client.clone();
        async move {
            let outcome = one_unit(client, token, &entry, unit_problems, dry_run).await?;
            anyhow::Ok((entry.unit_code, outcome))
        }
    }))
    .buffered(concurrency.max(1))
    .collect::<Vec<_>>()
    .await;
    Ok(ImportResult {
        units: outcomes.into_iter().collect::<anyhow::Result<_>>()?,
        file_problems,
        notes,
    })
}

/// One unit: its cell problems, then the gateway's check or submission. A unit with cell
/// problems is only checked (to list every problem at once), never sent.
async fn one_unit(
    client: ReportingServiceClient<Channel>,
    token: &str,
    entry: &UnitEntry,
    mut problems: Vec<Problem>,
    dry_run: bool,
) -> anyhow::Result<Outcome> {
    let report = match entry.report() {
        Ok(report) => report,
        Err(parse_problems) => {
            problems.extend(parse_problems);
            return Ok(Outcome::Refused(problems));
        }
    };
    let check_only = dry_run || !problems.is_empty();
    match send(client, token, report, check_only).await {
        Ok(repeat) if problems.is_empty() => Ok(Outcome::Accepted { repeat }),
        Ok(_) => Ok(Outcome::Refused(problems)),
        Err(status) if status.code() == Code::Unauthenticated => {
            anyhow::bail!("the gateway refused the token: {}", status.message())
        }
        Err(status) => {
            // A row with an unreadable value has its other rules checked once it is fixed:
            // the value reached the gateway empty, and what follows from that is noise.
            let unreadable_rows: std::collections::HashSet<(String, u32)> =
                problems.iter().filter_map(|p| row_of(&p.at)).collect();
            problems.extend(
                problems_of_status(entry, &status)
                    .into_iter()
                    .filter(|p| row_of(&p.at).is_none_or(|row| !unreadable_rows.contains(&row))),
            );
            Ok(Outcome::Refused(problems))
        }
    }
}

/// Sends (or checks) a report, retrying UNAVAILABLE with the same id; whether it repeats
/// an accepted one.
async fn send(
    mut client: ReportingServiceClient<Channel>,
    token: &str,
    report: StatusReport,
    validate_only: bool,
) -> Result<bool, Status> {
    let mut attempt = 0;
    loop {
        match submit_request(&mut client, token, report.clone(), validate_only).await {
            Ok(response) => return Ok(response.repeat),
            Err(status) if status.code() == Code::Unavailable && attempt < 3 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            Err(status) => return Err(status),
        }
    }
}

/// The gateway's refusal as problems at cells: each field violation (in Vietnamese when
/// the gateway gives it) at the cell of its field, anything else at the unit's row.
fn problems_of_status(entry: &UnitEntry, status: &Status) -> Vec<Problem> {
    let violations = status
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    if violations.is_empty() {
        let message = match status.code() {
            Code::PermissionDenied => format!(
                "tài khoản nhập không được gửi báo cáo cho đơn vị {} ({})",
                entry.unit_code,
                status.message()
            ),
            Code::ResourceExhausted => format!(
                "đơn vị {} gửi quá nhiều báo cáo trong một phút: nhập lại sau ({})",
                entry.unit_code,
                status.message()
            ),
            _ => format!("không gửi được ({:?}: {})", status.code(), status.message()),
        };
        return vec![entry.problem_at("", message)];
    }
    violations
        .into_iter()
        .map(|v| {
            let message = v.localized_message.map_or(v.description, |m| m.message);
            entry.problem_at(&v.field, message)
        })
        .collect()
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

/// Problems in reading order: by sheet, then row, then column.
fn in_reading_order(problems: &mut [Problem]) {
    problems.sort_by_key(|p| match cell_of(&p.at) {
        Some((sheet, letters, row)) => (sheet, row, letters.len(), letters),
        None => (p.at.clone(), 0, 0, String::new()),
    });
}

pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let parsed = read_form(&args.files, args.campaign.as_deref())?;
    let identity = args.client_cert.as_deref().zip(args.client_key.as_deref());
    let endpoint = gateway_endpoint(&args.gateway, args.ca_cert.as_deref(), identity)?;
    let channel = endpoint
        .connect()
        .await
        .with_context(|| format!("cannot reach gateway {}", args.gateway))?;
    let client = ReportingServiceClient::new(channel);
    let result = import(client, &args.token, parsed, args.dry_run, args.concurrency).await?;
    Ok(print_result(&result, args.dry_run))
}

/// Prints every problem in reading order, then the summary; the exit code says whether
/// every unit went in (0) or some did not (2).
pub fn print_result(result: &ImportResult, dry_run: bool) -> ExitCode {
    for note in &result.notes {
        println!("lưu ý: {note}");
    }
    let mut problems: Vec<Problem> = result.file_problems.clone();
    for (_, outcome) in &result.units {
        if let Outcome::Refused(unit_problems) = outcome {
            problems.extend(unit_problems.iter().cloned());
        }
    }
    in_reading_order(&mut problems);
    for problem in &problems {
        println!("{problem}");
    }
    let accepted = |repeat: bool| {
        result
            .units
            .iter()
            .filter(|(_, o)| *o == Outcome::Accepted { repeat })
            .count()
    };
    let refused: Vec<&str> = result
        .units
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Refused(_)))
        .map(|(code, _)| code.as_str())
        .collect();
    let (new, repeats) = (accepted(false), accepted(true));
    if dry_run {
        println!(
            "kiểm tra (chưa gửi): {new} đơn vị hợp lệ sẽ được ghi nhận, {repeats} đơn vị trùng \
             lần nhập trước, {} đơn vị có lỗi{}",
            refused.len(),
            listed(&refused)
        );
    } else {
        println!(
            "đã ghi nhận {} đơn vị ({new} mới, {repeats} trùng lần nhập trước, không tính hai \
             lần); {} đơn vị có lỗi, chưa ghi nhận{}",
            new + repeats,
            refused.len(),
            listed(&refused)
        );
    }
    if refused.is_empty() && result.file_problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn listed(codes: &[&str]) -> String {
    if codes.is_empty() {
        String::new()
    } else {
        format!(": {}", codes.join(", "))
    }
}
