//! `baocao report template`: a commented example report that `baocao submit` accepts.

use std::process::ExitCode;

use chrono::{Datelike, NaiveDate};

use crate::config::Config;

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
        /// The reporting unit's code (default: the campaign's consolidating unit, from the
        /// campaign's register).
        #[arg(long)]
        unit: Option<String>,
    },
}

/// The commented template. Field names are those of `proto/baocao/v1/report.proto`.
pub const REPORT_TEMPLATE: &str = include_str!("report_template.toml");

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date YYYY-MM-DD"))
}

/// The template with its unit, campaign and `as_of` lines set, comments kept.
fn render_template(unit: &str, campaign: &str, as_of: NaiveDate) -> String {
    let unit = toml::Value::String(unit.to_string()).to_string();
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
            Some(("unit_code", rest)) => with_value(line, rest, &unit),
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

/// The unit a template is from: `unit`, or the campaign's consolidating unit when the
/// data directory knows the campaign, or the template's own example unit.
fn template_unit(config: &Config, campaign: &str, unit: Option<String>) -> String {
    unit.or_else(|| {
        let registry = config.campaign_registry(campaign).ok()?;
        Some(registry.campaign(campaign)?.consolidating_unit.clone())
    })
    .unwrap_or_else(|| "38.STTTT".to_string())
}

pub fn run(config: &Config, command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::Template {
            format,
            campaign,
            as_of,
            unit,
        } => {
            let as_of = as_of.unwrap_or_else(|| baocao_registry::vietnam_date(chrono::Utc::now()));
            let unit = template_unit(config, &campaign, unit);
            let text = render_template(&unit, &campaign, as_of);
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
    fn rendered_template_names_the_unit_campaign_and_date_and_keeps_the_rest() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let text = render_template("44.SKHCN", "quang-tri-2026", date);
        let report: baocao_proto::v1::StatusReport = toml::from_str(&text).expect("parses");
        assert_eq!(report.unit_code, "44.SKHCN");
        assert_eq!(report.campaign_id, "quang-tri-2026");
        let as_of = report.as_of.expect("as_of");
        assert_eq!((as_of.year, as_of.month, as_of.day), (2026, 12, 1));
        assert_eq!(text.lines().count(), REPORT_TEMPLATE.lines().count());
        let base: baocao_proto::v1::StatusReport =
            toml::from_str(REPORT_TEMPLATE).expect("template parses");
        assert_eq!(report.systems, base.systems);
    }

    #[test]
    fn the_template_is_from_the_campaigns_consolidating_unit() {
        let config = Config {
            data_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"),
            ..Config::default()
        };
        assert_eq!(template_unit(&config, "thanh-hoa-2026", None), "38.SKHCN");
        assert_eq!(template_unit(&config, "thanh-hoa-2023", None), "38.STTTT");
        assert_eq!(
            template_unit(&config, "thanh-hoa-2026", Some("38.SNV".into())),
            "38.SNV"
        );
        assert_eq!(template_unit(&config, "no-such-campaign", None), "38.STTTT");
    }
}
