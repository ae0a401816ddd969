//! `baocao report template`: a commented example report that `baocao submit` accepts.

use std::process::ExitCode;

use chrono::{Datelike, NaiveDate};

/// Report subcommands.
#[derive(clap::Subcommand)]
pub enum ReportCommand {
    /// Print a commented report template (TOML) or the same report as JSON, for a campaign
    /// and dated today (Vietnam time) unless told otherwise.
    Template {
        /// toml (commented) or json.
        #[arg(long, default_value = "toml", value_parser = ["toml", "json"])]
        format: String,
        /// Campaign the report is for (`baocao registry check` lists them).
        #[arg(long, default_value = "thanh-hoa-2026")]
        campaign: String,
        /// Date the figures are as of, YYYY-MM-DD (default: today in Vietnam).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
    },
}

/// The commented template. Field names are those of `proto/baocao/v1/report.proto`.
pub const REPORT_TEMPLATE: &str = include_str!("report_template.toml");

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date YYYY-MM-DD"))
}

/// The template with its campaign and `as_of` lines set, comments kept.
fn render_template(campaign: &str, as_of: NaiveDate) -> String {
    let campaign = toml::Value::String(campaign.to_string()).to_string();
    let as_of = format!(
        "{{ year = {}, month = {}, day = {} }}",
        as_of.year(),
        as_of.month(),
        as_of.day()
    );
    let mut out = String::with_capacity(REPORT_TEMPLATE.len());
    for line in REPORT_TEMPLATE.lines() {
        let line = match line.split_once(" = ") {
            Some(("campaign_id", rest)) => with_value(line, rest, &campaign),
            Some(("as_of", rest)) => with_value(line, rest, &as_of),
            _ => line.to_string(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `line` (`key = old   # comment`) with `value` in place of the old value, the
/// template's comment kept.
fn with_value(line: &str, rest: &str, value: &str) -> String {
    let key = &line[..line.len() - rest.len()];
    match rest.find(" #") {
        // The padding before the comment stays as the template has it.
        Some(hash) => format!("{key}{value}{}", &rest[rest[..hash].trim_end().len()..]),
        None => format!("{key}{value}"),
    }
}

pub fn run(command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::Template {
            format,
            campaign,
            as_of,
        } => {
            let as_of = as_of.unwrap_or_else(|| baocao_registry::vietnam_date(chrono::Utc::now()));
            let text = render_template(&campaign, as_of);
            if format == "json" {
                let report: baocao_proto::v1::StatusReport = toml::from_str(&text)?;
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{text}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_as_a_status_report() {
        let report: baocao_proto::v1::StatusReport =
            toml::from_str(REPORT_TEMPLATE).expect("template parses");
        assert_eq!(report.unit_code, "38.STTTT");
        assert_eq!(report.systems.len(), 2);
        assert_eq!(
            report.systems[0].dossier_status,
            baocao_proto::v1::DossierStatus::Approved as i32
        );
        assert_eq!(
            report.systems[0]
                .approval
                .as_ref()
                .map(|a| a.approved_level),
            Some(2)
        );
        assert_eq!(report.budget_allocated_vnd, 150_000_000);
        // No fixed id: every copy of the template gets its own from `submit`.
        assert!(report.submission_id.is_empty());
        // JSON round trip keeps everything.
        let json = serde_json::to_string(&report).expect("json");
        let back: baocao_proto::v1::StatusReport =
            serde_json::from_str(&json).expect("json parses");
        assert_eq!(back, report);
    }

    #[test]
    fn rendered_template_names_the_campaign_and_date_and_keeps_the_rest() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let text = render_template("quang-tri-2026", date);
        let report: baocao_proto::v1::StatusReport = toml::from_str(&text).expect("parses");
        assert_eq!(report.campaign_id, "quang-tri-2026");
        let as_of = report.as_of.expect("as_of");
        assert_eq!((as_of.year, as_of.month, as_of.day), (2026, 12, 1));
        assert_eq!(text.lines().count(), REPORT_TEMPLATE.lines().count());
        let base: baocao_proto::v1::StatusReport =
            toml::from_str(REPORT_TEMPLATE).expect("template parses");
        assert_eq!(report.systems, base.systems);
    }
}
