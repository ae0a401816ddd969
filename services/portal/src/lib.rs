//! `baocao serve-web`: the web portal of the people who report. A clerk signs in, fills
//! the unit's report in Vietnamese and gets the receipt once Kafka has it; a district
//! office enters its communes' reports; the DIC and analysts see who is late. Pages are
//! rendered on the server (askama templates checked at compile time, assets embedded)
//! and work without JavaScript. Reports go through the same submission core as gRPC.

mod admin;
mod auth;
mod cache;
mod charts;
mod client;
mod dashboard;
mod error;
mod form;
mod live;
mod metrics;
mod pages;
mod receipt;
mod report;
mod review;
mod routes;
mod serve;
mod serve_io;
mod sheets;
mod signin;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baocao_access::TlsConfig;
use baocao_accounts::throttle::ThrottlePolicy;
use baocao_accounts::{AccountStore, LoginPolicy};
use baocao_kafka::{KafkaConfig, ReportProducer, ensure_reports_topic};
use baocao_registry::Registry;
use baocao_rules::validate::ReportLimits;
use baocao_submission::index::IndexFollower;
use baocao_submission::reviews::ReviewDesk;
use baocao_submission::{Clock, CoreParts, Scope, SubmissionCore, follow_scope};
use serde::{Deserialize, Serialize};

pub use baocao_rules::typed::{FormAction, ReportInput};
pub use error::{Error, Result};
pub use state::PortalSources;

/// The portal's settings (`[portal]` in the config file).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub listen: String,
    /// The accounts database (SQLite), created if missing.
    pub accounts_db: PathBuf,
    /// Administrative code whose units this portal takes reports for (empty: all).
    pub jurisdiction: String,
    /// Identity written into envelopes and receipts.
    pub portal_id: String,
    /// Hours a session lasts.
    pub session_hours: u64,
    /// Reports a person's unit may send per minute (0: unlimited).
    pub max_reports_per_unit_per_minute: u32,
    /// Seconds a client has to send a request's headers (slow or half-sent requests are
    /// closed after it).
    pub header_read_timeout_seconds: u64,
    /// Seconds a connection may stay silent (no byte either way) before it is closed.
    pub idle_timeout_seconds: u64,
    /// Addresses of reverse proxies in front of the portal (`10.0.0.0/8`, `127.0.0.1`):
    /// only from these is `X-Forwarded-For` believed when the client's address is
    /// needed (sign-in throttling, the audit log).
    pub trusted_proxies: Vec<String>,
    /// Sign-in throttling (docs/security.md): nothing locks an account.
    pub sign_in: ThrottlePolicy,
    /// TLS on the listener; empty: plaintext (loopback and the demo only). Under TLS the
    /// session cookie is `Secure` and answers carry HSTS.
    pub tls: TlsConfig,
    /// The certificate and key that sign receipts (both set: the receipt page offers
    /// the signed receipt for download).
    pub receipts: baocao_signing::SigningFiles,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            listen: "127.0.0.1:8080".into(),
            accounts_db: PathBuf::from("state/accounts.db"),
            jurisdiction: String::new(),
            portal_id: "portal".into(),
            session_hours: 8,
            max_reports_per_unit_per_minute: 30,
            header_read_timeout_seconds: 10,
            idle_timeout_seconds: 60,
            trusted_proxies: Vec::new(),
            sign_in: ThrottlePolicy::default(),
            tls: TlsConfig::default(),
            receipts: baocao_signing::SigningFiles::default(),
        }
    }
}

impl PortalConfig {
    /// The login policy these settings say.
    pub fn login_policy(&self) -> LoginPolicy {
        LoginPolicy {
            session_lifetime: Duration::from_secs(self.session_hours.max(1) * 3600),
        }
    }

    /// How long a connection may take and idle.
    fn connection_limits(&self) -> serve::ConnectionLimits {
        serve::ConnectionLimits {
            header_read: Duration::from_secs(self.header_read_timeout_seconds.max(1)),
            idle: Duration::from_secs(self.idle_timeout_seconds.max(1)),
        }
    }
}

/// A running portal: its address and how to stop it.
pub struct RunningPortal {
    /// The bound address.
    pub local_addr: SocketAddr,
    /// `http://…` or `https://…` of the bound address.
    pub url: String,
    server: serve::Server,
    producer: Arc<ReportProducer>,
    _index: IndexFollower,
}

impl RunningPortal {
    /// Stops accepting, finishes in-flight requests, flushes the producer.
    pub async fn stop(self) -> Result<()> {
        let result = self.server.stop().await;
        self.producer.flush(Duration::from_secs(5));
        result
    }

    /// Waits until the server ends.
    pub async fn wait(self) -> Result<()> {
        let result = self.server.wait().await;
        self.producer.flush(Duration::from_secs(5));
        result
    }
}

/// Opens the accounts database and the submission core, binds and serves in the
/// background.
pub async fn start_portal(
    config: &PortalConfig,
    kafka: &KafkaConfig,
    registry: Arc<Registry>,
    sources: PortalSources,
    clock: Arc<dyn Clock>,
) -> Result<RunningPortal> {
    if !config.jurisdiction.is_empty() && registry.admin_unit(&config.jurisdiction).is_none() {
        return Err(Error::Config(format!(
            "portal.jurisdiction `{}` is not an administrative code in the register",
            config.jurisdiction
        )));
    }
    let tls = config.tls.rustls_config("portal.tls")?;
    kafka.check_room_for(
        ReportLimits::default().max_report_bytes,
        "the portal's report limit",
    )?;
    let proxies = client::TrustedProxies::parse(&config.trusted_proxies)
        .map_err(|bad| Error::Config(format!("portal.trusted_proxies: {bad}")))?;
    let accounts = AccountStore::open(&config.accounts_db, config.login_policy()).await?;
    if kafka.create_topic {
        ensure_reports_topic(kafka).await?;
    }
    let producer = Arc::new(ReportProducer::new(kafka)?);
    let scope = Scope {
        tier: None,
        jurisdiction: config.jurisdiction.clone(),
    };
    let (index, follower) = follow_scope(kafka, &registry, &scope, true).await?;
    let core = SubmissionCore::new(CoreParts {
        registry,
        producer: producer.clone(),
        scope,
        front_door_id: config.portal_id.clone(),
        limits: ReportLimits::default(),
        index,
        rate_limit: config.max_reports_per_unit_per_minute,
        clock,
    });
    let core = Arc::new(core);
    let reviews = Arc::new(ReviewDesk::open(kafka, core.clone(), &config.jurisdiction).await?);
    let state = state::AppState::new(state::StateParts {
        accounts,
        core,
        reviews,
        sources,
        secure: tls.is_some(),
        throttle: config.sign_in.clone(),
        proxies,
        receipts: config
            .receipts
            .signer()?
            .map(|signer| (Arc::new(signer), kafka.reports_topic.clone())),
    });
    let limits = config.connection_limits();
    let server = serve::start(&config.listen, routes::router(state), tls, limits).await?;
    let scheme = if server.tls { "https" } else { "http" };
    let url = format!("{scheme}://{}", server.local_addr);
    tracing::info!(%url, accounts_db = %config.accounts_db.display(), topic = %kafka.reports_topic, "portal serving");
    Ok(RunningPortal {
        local_addr: server.local_addr,
        url,
        server,
        producer,
        _index: follower,
    })
}
