//! The analysts' SQL endpoint: Arrow Flight SQL (for DBeaver's Flight SQL JDBC driver,
//! Python ADBC and any Flight SQL client) over the catalog of `baocao query`. Every call
//! needs an analyst token (`baocao token issue --analyst --scope CODE`); each session sees
//! only the units inside its token's scope, enforced by building the session from the
//! scoped catalog (nothing unfiltered is registered in it).

mod catalog_default;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use baocao_access::{TlsConfig, TokenRole, TokenStore, bearer_token};
use baocao_catalog::{CatalogSources, catalog_session};
use baocao_errors::Chain;
use baocao_registry::{LiveRegistry, Registry};
use baocao_store::Store;
use datafusion::execution::context::SessionState;
use datafusion_flight_sql_server::service::FlightSqlService;
use datafusion_flight_sql_server::session::SessionStateProvider;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Status};

/// Errors of the SQL endpoint.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Binding the listener failed.
    #[error("listener")]
    Io(#[from] std::io::Error),
    /// The token file could not be opened, or the TLS settings are wrong.
    #[error(transparent)]
    Access(#[from] baocao_access::Error),
    /// The server failed.
    #[error("flight sql server")]
    Serve(#[from] tonic::transport::Error),
    /// The server task ended without a result (it panicked or was cancelled).
    #[error("flight sql server task")]
    Task(#[source] tokio::task::JoinError),
}

/// Result with the SQL endpoint's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Call header that cuts the history at the end of a day (`YYYY-MM-DD`, Vietnam time):
/// every query of the call sees submissions, systems and unit state as they stood then.
pub const AS_OF_HEADER: &str = "baocao-as-of";

/// The scope of an authenticated analyst, put into the request by the interceptor.
#[derive(Clone, Debug)]
struct AnalystScope(Option<String>);

/// Where the catalog's files are.
#[derive(Clone, Debug)]
pub struct SqlSources {
    /// Root of the raw landing tables (a directory or a bucket prefix).
    pub landing: Store,
    /// Root of the summaries.
    pub summaries: Store,
}

struct ScopedCatalog {
    /// Reloaded when campaign files change (the `campaigns` and `milestones` tables).
    registry: LiveRegistry,
    sources: SqlSources,
}

#[async_trait::async_trait]
impl SessionStateProvider for ScopedCatalog {
    async fn new_context(&self, request: &Request<()>) -> Result<SessionState, Status> {
        let Some(AnalystScope(scope)) = request.extensions().get::<AnalystScope>() else {
            return Err(Status::unauthenticated(
                "no analyst identity on the request",
            ));
        };
        let as_of = match request.metadata().get(AS_OF_HEADER) {
            None => None,
            Some(value) => {
                let text = value.to_str().unwrap_or_default();
                let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    Status::invalid_argument(format!(
                        "{AS_OF_HEADER}: `{text}` is not a date (YYYY-MM-DD)"
                    ))
                })?;
                Some(day)
            }
        };
        let registry = self.registry.current();
        let ctx = catalog_session(&CatalogSources {
            registry: &registry,
            landing: &self.sources.landing,
            summaries: &self.sources.summaries,
            as_of,
            scope: scope.as_deref(),
        })
        .await
        .map_err(|err| Status::internal(format!("catalog: {}", Chain(&err))))?;
        Ok(ctx.state())
    }
}

/// Checks `authorization: Bearer <token>`: only analyst tokens are let in.
fn authenticate(tokens: &TokenStore, mut request: Request<()>) -> Result<Request<()>, Status> {
    let values = request
        .metadata()
        .get_all("authorization")
        .iter()
        .map(|v| v.as_encoded_bytes());
    let token = bearer_token(values)
        .map_err(|err| Status::unauthenticated(format!("{err} (an analyst token)")))?;
    let record = tokens
        .authenticate(token)
        .ok_or_else(|| Status::unauthenticated("unknown or revoked token"))?;
    if record.role != TokenRole::Analyst {
        return Err(Status::permission_denied(
            "a unit token cannot read analytics; ask for an analyst token",
        ));
    }
    let scope = (!record.scope.is_empty()).then_some(record.scope);
    request.extensions_mut().insert(AnalystScope(scope));
    Ok(request)
}

/// A running SQL endpoint.
pub struct RunningSqlServer {
    /// The bound address.
    pub local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<()>>,
}

impl RunningSqlServer {
    /// Stops the server and waits for it.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait().await
    }

    /// Waits until the server ends.
    pub async fn wait(self) -> Result<()> {
        match self.task.await {
            Ok(result) => result,
            Err(err) => Err(Error::Task(err)),
        }
    }

    /// A handle that stops the server when sent to.
    pub fn take_shutdown(&mut self) -> Option<oneshot::Sender<()>> {
        self.shutdown.take()
    }
}

/// The SQL endpoint's own settings (`[sql]` in the config file).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SqlConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: String,
    /// TLS on the listener (and mutual TLS with a client CA); empty: plaintext.
    pub tls: TlsConfig,
}

impl Default for SqlConfig {
    fn default() -> Self {
        SqlConfig {
            listen: "127.0.0.1:50061".to_string(),
            tls: TlsConfig::default(),
        }
    }
}

/// Binds `config.listen` and serves Flight SQL over the catalog in the background.
pub async fn start_sql_server(
    config: &SqlConfig,
    tokens_file: PathBuf,
    registry: Arc<Registry>,
    sources: SqlSources,
) -> Result<RunningSqlServer> {
    let tokens = Arc::new(TokenStore::open(tokens_file)?);
    let service = FlightSqlService::new_with_provider(Box::new(ScopedCatalog {
        registry: LiveRegistry::new(registry),
        sources,
    }));
    let server = FlightServiceServer::with_interceptor(
        catalog_default::WithDefaultCatalog(service),
        move |request| authenticate(&tokens, request),
    );
    let tls = config.tls.server_config("sql.tls")?;
    let listener = TcpListener::bind(&config.listen).await?;
    let local_addr = listener.local_addr()?;
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    tracing::info!(%local_addr, tls = tls.is_some(), "flight sql serving");
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls)?;
    }
    let task = tokio::spawn(async move {
        builder
            .add_service(server)
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                let _ = shutdown_rx.await;
            })
            .await
            .map_err(Error::from)
    });
    Ok(RunningSqlServer {
        local_addr,
        shutdown: Some(shutdown_tx),
        task,
    })
}
