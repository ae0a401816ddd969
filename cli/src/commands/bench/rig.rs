//! The test rig of the ingest and freshness benchmarks: a broker (embedded child, or a
//! cluster given by address), one gateway of a campaign's busiest tier with tokens for its
//! units, pooled gRPC connections, report templates that validate at the rig's clock, and
//! the sender of templates through the gateway.

use std::collections::HashMap;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context;
use baocao_gateway::{GatewayConfig, RunningGateway, start_gateway_with_clock};
use baocao_kafka::KafkaConfig;
use baocao_proto::v1::StatusReport;
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_registry::{AdminLevel, Campaign, Registry};
use baocao_workload::{SubmissionKind, plan_campaign};
use chrono::{DateTime, Utc};
use tonic::transport::{Channel, Endpoint};

use super::kafka::{BenchKafka, KafkaChoice};
use crate::commands::embedded::CampaignClock;
use crate::commands::submit::submit_on;
use crate::config::Config;

/// One report a unit may send, with the token it sends it with.
#[derive(Clone)]
pub struct Template {
    /// The unit's bearer token.
    pub token: String,
    /// The report (its submission id is replaced before each use).
    pub report: StatusReport,
}

/// A running broker + gateway pair and what clients need to use it.
pub struct Rig {
    /// The embedded broker, if the rig started one (stopped on drop).
    _broker: BenchKafka,
    /// Where the gateway produces (the rig's own topic).
    pub kafka: KafkaConfig,
    /// The gateway under test.
    pub gateway: RunningGateway,
    /// Its tier.
    pub tier: AdminLevel,
    /// Reports of that tier's units, valid at the rig's clock.
    pub templates: Vec<Template>,
    /// What the broker is, for printing.
    broker_label: &'static str,
}

/// What to start.
pub struct RigSpec<'a> {
    /// Working directory (broker data, tokens).
    pub dir: &'a Path,
    /// The broker to start (or a running cluster's bootstrap servers).
    pub kafka: &'a KafkaChoice,
    /// Campaign whose planned reports are replayed.
    pub campaign: &'a Campaign,
    /// Topic to produce to (made unique per run by the caller).
    pub topic: String,
    /// The gateway's clock.
    pub clock: Arc<CampaignClock>,
    /// Only planned reports sent at or before this instant (so none is dated after the
    /// gateway's "today").
    pub reports_until: DateTime<Utc>,
}

impl Rig {
    /// Starts the broker (unless given) and the gateway; issues tokens.
    pub async fn start(
        config: &Config,
        registry: Arc<Registry>,
        spec: RigSpec<'_>,
    ) -> anyhow::Result<Rig> {
        let campaign = spec.campaign;
        anyhow::ensure!(
            !campaign.province.is_empty(),
            "campaign `{}` is national; the benchmark needs a provincial campaign (e.g. thanh-hoa-2023)",
            campaign.id
        );
        let mut plan = plan_campaign(&registry, campaign, 2023);
        plan.retain(|p| {
            !matches!(p.kind, SubmissionKind::Invalid(_)) && p.at <= spec.reports_until
        });
        // The busiest tier: one gateway, one producer, against one raw producer.
        let mut per_tier: HashMap<AdminLevel, usize> = HashMap::new();
        for p in &plan {
            if let Some(unit) = registry.unit(&p.unit_code) {
                *per_tier.entry(unit.tier).or_default() += 1;
            }
        }
        let tier = per_tier
            .iter()
            .max_by_key(|(tier, n)| (**n, **tier))
            .map(|(tier, _)| *tier)
            .context("the campaign plans no valid report before the rig's clock")?;
        plan.retain(|p| registry.unit(&p.unit_code).is_some_and(|u| u.tier == tier));

        let broker = spec.kafka.start(spec.dir)?;
        let kafka = KafkaConfig {
            brokers: broker.brokers.clone(),
            topic_replication: broker.replication,
            reports_topic: spec.topic,
            create_topic: true,
            ..config.kafka.clone()
        };
        let tokens_file = spec.dir.join("tokens.json");
        let mut units: Vec<&str> = plan.iter().map(|p| p.unit_code.as_str()).collect();
        units.sort_unstable();
        units.dedup();
        let tokens: HashMap<String, String> =
            baocao_access::tokens::issue_tokens(&tokens_file, &units)?
                .into_iter()
                .map(|(token, record)| (record.unit, token))
                .collect();
        let gateway_config = GatewayConfig {
            listen: "127.0.0.1:0".to_string(),
            tier: tier.as_str().to_string(),
            jurisdiction: campaign.province.clone(),
            tokens_file,
            // A benchmark sends far more per unit than an honest unit would.
            max_reports_per_unit_per_minute: 0,
            ..config.gateway.clone()
        };
        let gateway =
            start_gateway_with_clock(&gateway_config, &kafka, registry.clone(), spec.clock).await?;
        let templates = plan
            .into_iter()
            .map(|p| Template {
                token: tokens.get(&p.unit_code).cloned().unwrap_or_default(),
                report: p.report,
            })
            .collect();
        Ok(Rig {
            broker_label: broker.label,
            _broker: broker,
            kafka,
            gateway,
            tier,
            templates,
        })
    }

    /// `count` separate gRPC connections to the gateway (one per simulated client).
    pub async fn connections(
        &self,
        count: usize,
    ) -> anyhow::Result<Vec<ReportingServiceClient<Channel>>> {
        let endpoint = Endpoint::from_shared(format!("http://{}", self.gateway.local_addr))?;
        let mut clients = Vec::with_capacity(count);
        for _ in 0..count.max(1) {
            clients.push(ReportingServiceClient::new(endpoint.connect().await?));
        }
        Ok(clients)
    }

    /// `count` reports cycling through the templates, each with a fresh submission id
    /// (each is a new write, never a repeat).
    pub fn fresh_reports(&self, count: usize) -> Vec<Template> {
        (0..count)
            .filter_map(|i| self.templates.get(i % self.templates.len().max(1)))
            .map(|template| {
                let mut fresh = template.clone();
                fresh.report.submission_id = uuid::Uuid::new_v4().to_string();
                fresh
            })
            .collect()
    }

    /// Where the rig produces, for printing.
    pub fn describe(&self) -> String {
        format!(
            "{} at {}, topic {} ({} partitions), one {} gateway",
            self.broker_label,
            self.kafka.brokers,
            self.kafka.reports_topic,
            self.kafka.topic_partitions,
            self.tier
        )
    }
}

/// A gRPC connection to the gateway.
pub type GatewayClient = ReportingServiceClient<Channel>;

/// Sends item `i` (second argument) on connection `c` (first): one path under test.
pub trait SendFn:
    Fn(usize, usize) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
    + Clone
    + Send
    + 'static
{
}

impl<F> SendFn for F where
    F: Fn(usize, usize) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
        + Clone
        + Send
        + 'static
{
}

/// Sends through the gateway: items[i] on connection `client`.
pub fn via_gateway(clients: Vec<GatewayClient>, items: Vec<Template>) -> impl SendFn {
    let clients = Arc::new(clients);
    let items = Arc::new(items);
    move |client, item| {
        let mut connection = clients[client % clients.len()].clone();
        let items = items.clone();
        Box::pin(async move {
            let template = &items[item];
            submit_on(&mut connection, &template.token, template.report.clone())
                .await
                .map(|_| ())
                .map_err(|status| format!("{:?}: {}", status.code(), status.message()))
        })
    }
}
