//! `baocao report template`: a commented example report that `baocao submit` accepts.

use std::process::ExitCode;

/// Report subcommands.
#[derive(clap::Subcommand)]
pub enum ReportCommand {
    /// Print a commented report template (TOML) or the same report as JSON.
    Template {
        /// toml (commented) or json.
        #[arg(long, default_value = "toml", value_parser = ["toml", "json"])]
        format: String,
    },
}

/// The commented template. Field names are those of `proto/baocao/v1/report.proto`.
pub const REPORT_TEMPLATE: &str = include_str!("report_template.toml");

pub fn run(command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::Template { format } => {
            if format == "json" {
                let report: baocao_proto::v1::StatusReport = toml::from_str(REPORT_TEMPLATE)?;
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{REPORT_TEMPLATE}");
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
}
