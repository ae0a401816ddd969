//! Starting a gateway: open its parts, create the topic, bind, serve the reporting service
//! with gRPC health and reflection, and stop gracefully.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baocao_proto::v1::reporting_service_server::ReportingServiceServer;
use baocao_registry::{AdminLevel, Registry};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;

use crate::guard::{FRAMING_BYTES, Guarded, WireLimits};
use crate::service::ReportingGateway;
use crate::{Error, Result};
use baocao_access::{TlsConfig, TokenStore};
use baocao_kafka::{KafkaConfig, ReportProducer, ensure_reports_topic};
use baocao_rules::validate::ReportLimits;
use baocao_submission::index::IndexFollower;
use baocao_submission::reviews::ReviewDesk;
use baocao_submission::{Clock, CoreParts, Scope, SubmissionCore, SystemClock, follow_scope};

/// A gateway's own settings (`[gateway]` in the config file).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// Address to listen on, e.g. `127.0.0.1:50051`; port 0 picks a free port.
    pub listen: String,
    /// Tier of units served: province, district or commune.
    pub tier: String,
    /// Administrative code whose units (of `tier`) this gateway serves, e.g. `38`.
    pub jurisdiction: String,
    /// Identity written into envelopes; empty derives `<tier>-<jurisdiction>`.
    pub gateway_id: String,
    /// The token file (hashes only), shared with `baocao token issue`.
    pub tokens_file: PathBuf,
    /// Most camera systems in one report.
    pub max_systems_per_report: usize,
    /// Largest accepted report in bytes (larger gets INVALID_ARGUMENT naming `report`).
    pub max_report_bytes: usize,
    /// Longest free-text field in characters.
    pub max_text_chars: usize,
    /// Reports a unit may send per minute (bursts up to this many); more get
    /// RESOURCE_EXHAUSTED with a retry delay. 0: unlimited.
    pub max_reports_per_unit_per_minute: u32,
    /// TLS on the listener (and mutual TLS with a client CA); empty: plaintext.
    pub tls: TlsConfig,
    /// The certificate and key that sign receipts; empty: receipts are not signed.
    pub receipts: baocao_signing::SigningFiles,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        let limits = ReportLimits::default();
        GatewayConfig {
            listen: "127.0.0.1:50051".to_string(),
            tier: "province".to_string(),
            jurisdiction: String::new(),
            gateway_id: String::new(),
            tokens_file: PathBuf::from("state/tokens.json"),
            max_systems_per_report: limits.max_systems,
            max_report_bytes: limits.max_report_bytes,
            max_text_chars: limits.max_text_chars,
            max_reports_per_unit_per_minute: 30,
            tls: TlsConfig::default(),
            receipts: baocao_signing::SigningFiles::default(),
        }
    }
}

/// A running gateway: its address and how to stop it.
pub struct RunningGateway {
    /// The bound address (useful with port 0).
    pub local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<()>>,
    producer: Arc<ReportProducer>,
    /// Keeps the submission index following the topic while the gateway runs.
    _index: IndexFollower,
}

impl RunningGateway {
    /// Stops accepting, finishes in-flight calls, flushes the producer.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = self.task.await?;
        self.producer.flush(Duration::from_secs(5));
        result
    }

    /// Waits until the server ends (after a shutdown signal or an error).
    pub async fn wait(mut self) -> Result<()> {
        let result = (&mut self.task).await?;
        self.producer.flush(Duration::from_secs(5));
        result
    }

    /// A handle that stops the gateway when sent to or dropped.
    pub fn take_shutdown(&mut self) -> Option<oneshot::Sender<()>> {
        self.shutdown.take()
    }
}

/// Checks the config against the registry, creates the reports topic if asked, binds and
/// starts serving in the background.
pub async fn start_gateway(
    config: &GatewayConfig,
    kafka: &KafkaConfig,
    registry: Arc<Registry>,
) -> Result<RunningGateway> {
    start_gateway_with_clock(config, kafka, registry, Arc::new(SystemClock)).await
}

/// [`start_gateway`] with another time source (the demo's simulated campaign clock).
pub async fn start_gateway_with_clock(
    config: &GatewayConfig,
    kafka: &KafkaConfig,
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
) -> Result<RunningGateway> {
    let tier = checked_tier(config, &registry)?;
    kafka.check_room_for(config.max_report_bytes, "gateway.max_report_bytes")?;
    let gateway_id = if config.gateway_id.is_empty() {
        format!("{tier}-{}", config.jurisdiction)
    } else {
        config.gateway_id.clone()
    };
    let limits = ReportLimits {
        max_systems: config.max_systems_per_report,
        max_report_bytes: config.max_report_bytes,
        max_text_chars: config.max_text_chars,
    };
    let tls = config.tls.server_config("gateway.tls")?;
    if kafka.create_topic {
        ensure_reports_topic(kafka).await?;
    }
    let producer = Arc::new(ReportProducer::new(kafka)?);
    let tokens = Arc::new(TokenStore::open(&config.tokens_file)?);
    let scope = Scope {
        tier: Some(tier),
        jurisdiction: config.jurisdiction.clone(),
    };
    let (index, index_follower) = follow_scope(kafka, &registry, &scope, false).await?;
    let core = Arc::new(SubmissionCore::new(CoreParts {
        registry,
        producer: producer.clone(),
        scope,
        front_door_id: gateway_id.clone(),
        limits,
        index,
        rate_limit: config.max_reports_per_unit_per_minute,
        clock,
    }));
    let reviews = Arc::new(ReviewDesk::open(kafka, core.clone(), &config.jurisdiction).await?);
    let signer = config.receipts.signer().map_err(|source| Error::Receipts {
        setting: "gateway.receipts",
        source,
    })?;
    if let Some(signer) = &signer {
        tracing::info!(subject = %signer.subject(), "receipts are signed");
    }
    let gateway = ReportingGateway::new(core, reviews)
        .with_receipts(signer.map(Arc::new), kafka.reports_topic.clone());
    // The guard authenticates before the body is read, reads at most the report limit
    // and counts systems on the wire; the decoder's limit is the same.
    let transport_limit = limits.max_report_bytes.saturating_add(FRAMING_BYTES);
    let service = Guarded::new(
        ReportingServiceServer::new(gateway).max_decoding_message_size(transport_limit),
        tokens,
        WireLimits {
            max_report_bytes: limits.max_report_bytes,
            max_systems: limits.max_systems,
        },
    );
    let listener = TcpListener::bind(&config.listen).await?;
    let local_addr = listener.local_addr()?;
    let mutual_tls = !config.tls.client_ca_file.as_os_str().is_empty();
    tracing::info!(%local_addr, %tier, jurisdiction = %config.jurisdiction, %gateway_id, topic = %kafka.reports_topic, tls = tls.is_some(), mutual_tls, "gateway serving");
    let (shutdown, task) = serve(service, tls, listener).await?;
    Ok(RunningGateway {
        local_addr,
        shutdown: Some(shutdown),
        task,
        producer,
        _index: index_follower,
    })
}

/// The configured tier, checked against the jurisdiction (a district has no province
/// units).
fn checked_tier(config: &GatewayConfig, registry: &Registry) -> Result<AdminLevel> {
    let tier = AdminLevel::parse(&config.tier).ok_or_else(|| {
        Error::Config(format!(
            "gateway.tier `{}` must be province, district or commune",
            config.tier
        ))
    })?;
    let Some(area) = registry.admin_unit(&config.jurisdiction) else {
        return Err(Error::Config(format!(
            "gateway.jurisdiction `{}` is not an administrative code in the register",
            config.jurisdiction
        )));
    };
    if area.level > tier {
        return Err(Error::Config(format!(
            "gateway.jurisdiction `{}` is a {}; it has no units of the {tier} tier",
            area.code, area.level
        )));
    }
    if !registry.tiers().contains(&tier) {
        let register = registry
            .register()
            .map(|r| format!("the register \"{}\"", r.name))
            .unwrap_or_else(|| "the register".to_string());
        return Err(Error::Config(format!(
            "gateway.tier `{tier}`: {register} has no {tier} tier (the district tier was abolished on 1/7/2025); serve {} instead, or set `register` to an older one",
            registry
                .tiers()
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    Ok(tier)
}

/// Serves the reporting service with gRPC health and reflection (both versions: grpcurl
/// and older tools still ask v1alpha) until the returned sender fires.
async fn serve(
    service: Guarded,
    tls: Option<tonic::transport::ServerTlsConfig>,
    listener: TcpListener,
) -> Result<(oneshot::Sender<()>, JoinHandle<Result<()>>)> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<ReportingServiceServer<ReportingGateway>>()
        .await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(baocao_proto::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls)?;
    }
    let task = tokio::spawn(async move {
        builder
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(service)
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                let _ = shutdown_rx.await;
            })
            .await
            .map_err(Error::from)
    });
    Ok((shutdown_tx, task))
}
