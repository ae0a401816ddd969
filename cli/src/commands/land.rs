//! `baocao land`: Kafka → raw Parquet, continuously or until caught up.

use std::process::ExitCode;

use baocao_landing::{Lander, RunMode};

use crate::config::Config;
use crate::progress::ProgressDisplay;

/// Flags of `baocao land`.
#[derive(clap::Args)]
pub struct LandArgs {
    /// Land what the topic holds now, then exit (for scheduled runs and before a rollup).
    #[arg(long)]
    until_caught_up: bool,
    /// Landing directory or `s3://bucket/prefix` (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<String>,
    #[command(flatten)]
    kafka: crate::commands::KafkaArgs,
}

impl LandArgs {
    pub fn overrides(&self) -> crate::config::Overrides {
        self.kafka.overrides()
    }
}

pub async fn run(config: &Config, args: LandArgs) -> anyhow::Result<ExitCode> {
    let mut landing = config.landing.clone();
    if let Some(dir) = args.landing_dir {
        landing.dir = dir;
    }
    let mode = if args.until_caught_up {
        RunMode::UntilCaughtUp
    } else {
        RunMode::Continuous
    };
    let mut lander = Lander::new(&config.kafka, &landing, &config.s3).await?;
    eprintln!(
        "landing {} from {} into {} ({})",
        config.kafka.reports_topic,
        config.kafka.brokers,
        landing.dir,
        if args.until_caught_up {
            "until caught up"
        } else {
            "continuous; Ctrl-C or SIGTERM to stop"
        }
    );
    // A run that ends shows how far it is; a continuous lander is a service and logs
    // each batch instead.
    let display = args
        .until_caught_up
        .then(|| ProgressDisplay::show("land", "records", lander.progress(), &config.log));
    let store = config.landing_store(Some(&landing.dir))?;
    let (landed, reviews) = tokio::join!(
        lander.run(mode, crate::commands::shutdown_signal()),
        baocao_landing::land_reviews(
            &config.kafka,
            &landing,
            &store,
            mode,
            crate::commands::shutdown_signal()
        )
    );
    if let Some(display) = display {
        display.finish().await;
    }
    let stats = landed?;
    println!("{}", serde_json::to_string_pretty(&stats)?);
    let reviews = reviews?;
    if reviews.rows > 0 || reviews.skipped > 0 {
        eprintln!(
            "reviews: {} decisions landed in {} files ({} records skipped) from {}",
            reviews.rows, reviews.files, reviews.skipped, config.kafka.reviews_topic
        );
    }
    Ok(ExitCode::SUCCESS)
}
