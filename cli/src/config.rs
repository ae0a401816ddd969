//! Layered configuration: defaults in code, then the TOML file (`--config`, default
//! `baocao.toml` if present), then `BAOCAO_…` environment variables (`__` separates
//! sections: `BAOCAO_KAFKA__BROKERS`), then command-line flags. Every key is documented
//! in `config/baocao.example.toml`; an unknown key is an error, not a silent no-op.

use std::path::{Path, PathBuf};

use anyhow::Context;
use baocao_gateway::GatewayConfig;
use baocao_kafka::KafkaConfig;
use baocao_store::{S3Config, Store};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The embedded broker's settings (`[broker]`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BrokerSection {
    /// Address the embedded broker listens on.
    pub listen: String,
    /// Directory of its sqlite database.
    pub data_dir: PathBuf,
}

impl Default for BrokerSection {
    fn default() -> Self {
        let defaults = baocao_broker::BrokerConfig::default();
        BrokerSection {
            listen: defaults.listen,
            data_dir: defaults.data_dir,
        }
    }
}

/// Rollup outputs (`[rollup]`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RollupSection {
    /// Root of the summaries, `<out_dir>/<campaign>/<milestone>/`: a local directory, or
    /// `s3://bucket/prefix` (an S3-compatible bucket, `[s3]`).
    pub out_dir: String,
}

impl Default for RollupSection {
    fn default() -> Self {
        RollupSection {
            out_dir: "state/summaries".to_string(),
        }
    }
}

/// The documents the department issues (`[document]`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentSection {
    /// The certificate and key that sign the Chairman's report and the urging letters
    /// (PAdES-B-B); unset: they are written unsigned.
    pub signing: baocao_signing::DocumentSigning,
}

/// The Prometheus endpoint (`[metrics]`) of long-running subcommands (serve, land,
/// serve-sql, a scheduled rollup, broker).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSection {
    /// Address of the `/metrics` HTTP endpoint, e.g. `0.0.0.0:9464`; empty: no endpoint.
    pub listen: String,
}

/// Logging (`[log]`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// `text` for people, `json` for log collectors.
    pub format: String,
    /// Default filter when `RUST_LOG` is unset, e.g. `info` or `baocao_gateway=debug,info`.
    pub filter: String,
    /// How often a long command (land, rollup, gen, compact, backup) logs a progress line
    /// when stderr is not a terminal or the format is json, in milliseconds (0: never).
    pub progress_interval_ms: u64,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            format: "text".to_string(),
            filter: "info,tansu_storage=warn,tansu_broker=warn".to_string(),
            progress_interval_ms: 10_000,
        }
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The registry data directory (unit_kinds.toml, campaigns/, and registers/<id>/ —
    /// or a single register's admin_units.csv and units/).
    pub data_dir: PathBuf,
    /// The register servers (gateway, portal, Flight SQL) and unit commands (tokens,
    /// accounts, history) load: its directory under `registers/`; empty: the one in force
    /// today. Commands about a campaign use the campaign's register. A number is read as
    /// its digits (`BAOCAO_REGISTER=2023`, `register = 2023`).
    #[serde(deserialize_with = "text_or_number")]
    pub register: String,
    /// Kafka connection and topic.
    pub kafka: KafkaConfig,
    /// Tier gateway.
    pub gateway: GatewayConfig,
    /// Embedded broker.
    pub broker: BrokerSection,
    /// The analysts' Flight SQL endpoint (`baocao serve-sql`).
    pub sql: baocao_sql::SqlConfig,
    /// The web portal (`baocao serve-web`) and its accounts.
    pub portal: baocao_portal::PortalConfig,
    /// Landing (Kafka → raw Parquet).
    pub landing: baocao_landing::LandingConfig,
    /// Rollups.
    pub rollup: RollupSection,
    /// The documents the department issues: their signing (`[document.signing]`).
    pub document: DocumentSection,
    /// Backups to object storage (`baocao backup`, `baocao restore`).
    pub backup: baocao_backup::BackupConfig,
    /// Reminders to late units (`baocao remind`): SMTP, webhook, the record topic.
    pub remind: baocao_remind::RemindConfig,
    /// How to reach the S3-compatible store of every `s3://` location.
    pub s3: S3Config,
    /// Prometheus metrics.
    pub metrics: MetricsSection,
    /// Logging.
    pub log: LogSection,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            register: String::new(),
            kafka: KafkaConfig::default(),
            gateway: GatewayConfig::default(),
            broker: BrokerSection::default(),
            sql: baocao_sql::SqlConfig::default(),
            portal: baocao_portal::PortalConfig::default(),
            landing: baocao_landing::LandingConfig::default(),
            rollup: RollupSection::default(),
            document: DocumentSection::default(),
            backup: baocao_backup::BackupConfig::default(),
            remind: baocao_remind::RemindConfig::default(),
            s3: S3Config::default(),
            metrics: MetricsSection::default(),
            log: LogSection::default(),
        }
    }
}

/// A string, or a whole number read as its digits (an environment variable's `2023` is
/// parsed as a number before it reaches a string field).
fn text_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(u64),
    }
    Ok(match TextOrNumber::deserialize(deserializer)? {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(number) => number.to_string(),
    })
}

impl Config {
    /// The registry servers and unit commands use: `register`, or the register in force
    /// today (docs/data.md, "Registers and their dates").
    pub fn registry(&self) -> anyhow::Result<baocao_registry::Registry> {
        let choice = if self.register.is_empty() {
            baocao_registry::RegisterChoice::InForceOn(baocao_registry::vietnam_date(
                chrono::Utc::now(),
            ))
        } else {
            baocao_registry::RegisterChoice::Named(self.register.clone())
        };
        baocao_registry::Registry::load_register(&self.data_dir, &choice)
            .with_context(|| format!("loading registry from {}", self.data_dir.display()))
    }

    /// The registry of the register `campaign` runs on.
    pub fn campaign_registry(&self, campaign: &str) -> anyhow::Result<baocao_registry::Registry> {
        let choice = baocao_registry::RegisterChoice::OfCampaign(campaign.to_string());
        baocao_registry::Registry::load_register(&self.data_dir, &choice)
            .with_context(|| format!("loading registry from {}", self.data_dir.display()))
    }

    /// The landing's store: `flag` (a command's `--landing-dir`) or `landing.dir`.
    pub fn landing_store(&self, flag: Option<&str>) -> anyhow::Result<Store> {
        Ok(Store::open(
            flag.unwrap_or(&self.landing.dir),
            &self.s3,
            "landing.dir",
        )?)
    }

    /// The summaries' store: `flag` (a command's `--out-dir`/`--summaries-dir`) or
    /// `rollup.out_dir`.
    pub fn summaries_store(&self, flag: Option<&str>) -> anyhow::Result<Store> {
        Ok(Store::open(
            flag.unwrap_or(&self.rollup.out_dir),
            &self.s3,
            "rollup.out_dir",
        )?)
    }
}

/// Flag values that override the file and the environment, as (dotted key, value).
pub type Overrides = Vec<(&'static str, figment::value::Value)>;

/// Loads the layered configuration. `explicit` is `--config`; without it `baocao.toml` in
/// the working directory is used when it exists.
pub fn load(explicit: Option<&Path>, overrides: Overrides) -> anyhow::Result<Config> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    match explicit {
        Some(path) => {
            anyhow::ensure!(
                path.exists(),
                "config file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file_exact(path));
        }
        None if Path::new("baocao.toml").exists() => {
            figment = figment.merge(Toml::file_exact("baocao.toml"))
        }
        None => {}
    }
    // BAOCAO_TOKEN is the credential of `submit` and `import`, not a setting.
    figment = figment.merge(
        Env::prefixed("BAOCAO_")
            .split("__")
            .ignore(&["config", "token"]),
    );
    for (key, value) in overrides {
        figment = figment.merge(Serialized::default(key, value));
    }
    figment.extract().context("invalid configuration")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_lists_every_key_with_its_default() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/baocao.example.toml");
        let text = std::fs::read_to_string(&example).expect("example config");
        let parsed: Config = toml::from_str(&text).expect("example parses with no unknown key");
        assert_eq!(
            parsed,
            Config::default(),
            "the example documents the defaults"
        );
        // Every key of the defaults appears in the example (no undocumented knob).
        let defaults = toml::to_string(&Config::default()).expect("serialize");
        for line in defaults.lines().filter(|l| l.contains(" = ")) {
            let key = line.split(" = ").next().unwrap_or_default();
            assert!(
                text.contains(&format!("{key} =")),
                "key `{key}` is not documented in the example"
            );
        }
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's signature
    fn layers_apply_in_order_file_env_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "b.toml",
                "[kafka]\nbrokers = \"file:9092\"\nreports_topic = \"from-file\"\n",
            )?;
            jail.set_env("BAOCAO_KAFKA__REPORTS_TOPIC", "from-env");
            jail.set_env("BAOCAO_GATEWAY__TIER", "district");
            let config = load(
                Some(Path::new("b.toml")),
                vec![("gateway.tier", figment::value::Value::from("commune"))],
            )
            .map_err(|e| e.to_string())?;
            assert_eq!(config.kafka.brokers, "file:9092");
            assert_eq!(config.kafka.reports_topic, "from-env");
            assert_eq!(config.gateway.tier, "commune");
            jail.set_env("BAOCAO_REGISTER", "2023");
            let config = load(Some(Path::new("b.toml")), Vec::new()).map_err(|e| e.to_string())?;
            assert_eq!(config.register, "2023", "a register id read as a number");
            jail.set_env("BAOCAO_KAFKA__NO_SUCH_KEY", "x");
            let err = load(Some(Path::new("b.toml")), Vec::new()).expect_err("unknown key refused");
            assert!(format!("{err:#}").contains("no_such_key"), "{err:#}");
            Ok(())
        });
    }
}
