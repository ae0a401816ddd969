//! `baocao`: the one binary. Subcommands run the demo, the embedded broker, a tier
//! gateway, landing, rollups, token administration, the submit client and report
//! templates; see `baocao --help`.

mod commands;
mod config;
#[cfg(test)]
mod deploy_check;
mod lang;
mod logging;
mod metrics;
mod progress;
mod sysinfo;

use std::path::PathBuf;
use std::process::ExitCode;

use baocao_errors::Chain;
use clap::{Parser, Subcommand};

use crate::config::Overrides;

/// baocao: Directive 23/CT-TTg status reports from every tier, durable in Kafka.
#[derive(Parser)]
#[command(name = "baocao", version, about, long_about = None)]
struct Cli {
    /// Config file (TOML); default `baocao.toml` in the working directory if present.
    #[arg(long, global = true, env = "BAOCAO_CONFIG")]
    config: Option<PathBuf>,
    /// Registry data directory (overrides `data_dir`).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Log format: text or json (overrides `log.format`).
    #[arg(long, global = true, value_parser = ["text", "json"])]
    log_format: Option<String>,
    /// Language of refusals printed for people: `vi` or `en` (default: from `LANG`).
    #[arg(long, global = true, env = "BAOCAO_LANG", value_parser = ["vi", "en"])]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole job on embedded defaults: broker, gateways, simulated units, landing,
    /// rollups and the Chairman's reports.
    Demo(commands::demo::DemoArgs),
    /// A national synthetic workload (registry + landed Parquet), and the landing path's
    /// throughput without a broker.
    Gen(commands::r#gen::GenArgs),
    /// Benchmarks (print figures and the machine; never fail on a threshold). Built only
    /// with `--features bench`: the product binary carries no benchmark code.
    #[cfg(feature = "bench")]
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Land reports from Kafka into raw Parquet tables.
    Land(commands::land::LandArgs),
    /// Merge the landing's small files into sorted segments (faster rollups).
    Compact(commands::compact::CompactArgs),
    /// Copy the landed Parquet and the summaries to S3-compatible object storage (or a
    /// mounted directory); safe while landing, compaction and rollups run.
    Backup(commands::backup::BackupArgs),
    /// Copy a backup back into the landing and summaries directories (adds only the
    /// files missing locally).
    Restore(commands::backup::RestoreArgs),
    /// A unit's audit trail: every accepted version, who sent it, what changed.
    History(commands::history::HistoryArgs),
    /// SQL over the registry, the raw history and every summary (analysts).
    Query(commands::query::QueryArgs),
    /// Serve Arrow Flight SQL over the same tables (DBeaver, Python ADBC), analyst tokens only.
    ServeSql(commands::serve_sql::ServeSqlArgs),
    /// Roll up one milestone: Parquet summaries and the Chairman's report.
    Rollup(commands::rollup::RollupArgs),
    /// Urge units that have not reported, on the days of each milestone's schedule
    /// (e-mail, webhook), each reminder once.
    Remind(commands::remind::RemindArgs),
    /// Run the embedded Kafka-protocol broker (Tansu on sqlite) until Ctrl-C.
    Broker(commands::broker::BrokerArgs),
    /// Serve the gRPC reporting service for one tier and jurisdiction.
    Serve(commands::serve::ServeArgs),
    /// Serve the web portal: report forms for people, in Vietnamese.
    ServeWeb(commands::serve_web::ServeWebArgs),
    /// The portal's person accounts: issue in bulk from a staff list, list.
    #[command(subcommand)]
    Account(commands::account::AccountCommand),
    /// Issue unit tokens.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Submit a report file (TOML or JSON) to a gateway.
    Submit(commands::submit::SubmitArgs),
    /// Check a signed receipt (the gateway's CMS signature, and with --ca who issued
    /// its certificate), or a signed report or letter (--pdf).
    Verify(commands::verify::VerifyArgs),
    /// Sign a PDF the department issues (PAdES-B-B): now with [document.signing]'s key,
    /// or prepare/finish for a key on a person's token.
    #[command(subcommand)]
    Sign(commands::sign::SignCommand),
    /// Approve or return a version of a unit's report (a reviewer's token), or see a
    /// unit's latest version and its review.
    Review(Box<commands::review::ReviewArgs>),
    /// The offline Excel form of a unit or of every unit of an area, pre-filled.
    Form(commands::form::FormArgs),
    /// Import a filled form (XLSX or CSV) through a gateway: every cell checked, one
    /// report per unit, a unit with problems not sent.
    Import(commands::import::ImportArgs),
    /// TLS: make development certificates (a CA, a server and a client certificate).
    #[command(subcommand)]
    Tls(commands::tls::TlsCommand),
    /// Report files: print a commented template.
    #[command(subcommand)]
    Report(commands::report::ReportCommand),
    /// Registry data: check it loads.
    #[command(subcommand)]
    Registry(commands::registry::RegistryCommand),
}

impl Cli {
    fn overrides(&self) -> Overrides {
        let mut out: Overrides = Vec::new();
        if let Some(dir) = &self.data_dir {
            out.push(("data_dir", dir.display().to_string().into()));
        }
        if let Some(format) = &self.log_format {
            out.push(("log.format", format.clone().into()));
        }
        out
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    lang::choose(cli.lang.as_deref());
    let mut overrides = cli.overrides();
    match &cli.command {
        Command::Serve(args) => overrides.extend(args.overrides()),
        Command::Land(args) => overrides.extend(args.overrides()),
        Command::Broker(args) => overrides.extend(args.overrides()),
        Command::Token(command) => overrides.extend(command.overrides()),
        Command::ServeWeb(args) => overrides.extend(args.overrides()),
        Command::Account(command) => overrides.extend(command.overrides()),
        // The demo prints its own progress; library logs only when something is wrong
        // (RUST_LOG still wins).
        Command::Demo(_) => overrides.push(("log.filter", "warn".into())),
        // Benchmarks print a table; the gateway's line per accepted report would bury it
        // (RUST_LOG=info measures with it: docs/benchmarks.md).
        #[cfg(feature = "bench")]
        Command::Bench(_) => overrides.push(("log.filter", "warn".into())),
        _ => {}
    }
    let config = match config::load(cli.config.as_deref(), overrides) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {}", Chain(err.as_ref()));
            return ExitCode::from(2);
        }
    };
    logging::init(&config.log);
    let long_running = match &cli.command {
        Command::Serve(_)
        | Command::ServeWeb(_)
        | Command::Land(_)
        | Command::ServeSql(_)
        | Command::Broker(_) => true,
        Command::Rollup(args) => args.is_scheduled(),
        _ => false,
    };
    if long_running && let Err(err) = metrics::install(&config.metrics) {
        eprintln!("error: {}", Chain(err.as_ref()));
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Broker(_) => commands::broker::run(&config).await,
        Command::Demo(args) => commands::demo::run(&config, args).await,
        Command::Land(args) => commands::land::run(&config, args).await,
        Command::Compact(args) => commands::compact::run(&config, args).await,
        Command::Backup(args) => commands::backup::run_backup(&config, args).await,
        Command::Restore(args) => commands::backup::run_restore(&config, args).await,
        Command::Gen(args) => commands::r#gen::run(&config, args).await,
        #[cfg(feature = "bench")]
        Command::Bench(command) => commands::bench::run(&config, command).await,
        Command::Rollup(args) => commands::rollup::run(&config, args).await,
        Command::Query(args) => commands::query::run(&config, args).await,
        Command::History(args) => commands::history::run(&config, args).await,
        Command::ServeSql(args) => commands::serve_sql::run(&config, args).await,
        Command::Serve(_) => commands::serve::run(&config).await,
        Command::ServeWeb(_) => commands::serve_web::run(&config).await,
        Command::Account(command) => commands::account::run(&config, command).await,
        Command::Token(command) => commands::token::run(&config, command),
        Command::Submit(args) => commands::submit::run(args).await,
        Command::Form(args) => commands::form::run(&config, args).await,
        Command::Import(args) => commands::import::run(args).await,
        Command::Remind(args) => commands::remind::run(&config, args).await,
        Command::Verify(args) => commands::verify::run(args),
        Command::Sign(command) => commands::sign::run(&config, command),
        Command::Review(args) => commands::review::run(*args).await,
        Command::Report(command) => commands::report::run(&config, command),
        Command::Tls(command) => commands::tls::run(command),
        Command::Registry(command) => commands::registry::run(&config, command),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", Chain(err.as_ref()));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Each subcommand's `--help` lists the flags it uses: the Kafka location only where
    /// Kafka is spoken (a clerk's `submit --help` should not offer `--kafka-brokers`).
    #[test]
    fn only_the_kafka_speakers_list_the_kafka_flags() {
        let mut cli = Cli::command();
        cli.build();
        for sub in cli.get_subcommands() {
            let names: Vec<&str> = sub.get_arguments().filter_map(|a| a.get_long()).collect();
            let talks_to_kafka = matches!(sub.get_name(), "serve" | "serve-web" | "land");
            for flag in ["kafka-brokers", "reports-topic"] {
                assert_eq!(
                    names.contains(&flag),
                    talks_to_kafka,
                    "`baocao {} --help` and --{flag}",
                    sub.get_name()
                );
            }
        }
    }
}
