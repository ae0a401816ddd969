//! The embedded Kafka-protocol broker: Tansu (Apache-2.0) on its sqlite storage engine,
//! run by `baocao broker` as its own process. It is the local default and what tests use;
//! every other part of baocao talks to it only through rdkafka, so a real Kafka cluster is
//! a configuration change (`kafka.brokers`). Its limits are in `docs/broker.md`.

mod process;

use std::path::{Path, PathBuf};
use tokio::time::Instant;

use tansu_broker::NODE_ID;
use tansu_broker::broker::Broker;
use tansu_broker::coordinator::group::administrator::Controller;
use tansu_storage::StorageContainer;
use url::Url;

/// Errors from the embedded broker.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data directory could not be prepared.
    #[error("broker data directory {path}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A listen address is not usable.
    #[error("broker listen address `{address}`")]
    Listen {
        /// The address as configured.
        address: String,
        /// Why it is not a URL's host and port.
        source: url::ParseError,
    },
    /// The storage URL handed to Tansu is not a URL.
    #[error("broker storage url")]
    StorageUrl(#[source] url::ParseError),
    /// Tansu failed to start or stopped with an error.
    #[error("broker")]
    Tansu(#[from] tansu_broker::Error),
    /// A broker child process could not be started.
    #[error("broker process: {what}")]
    Spawn {
        /// What was being done.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A started broker child did not stay up listening.
    #[error("broker process: {0}")]
    NotListening(String),
}

pub use process::{BrokerProcess, free_local_addr, wait_for_listener};

/// Result with the broker's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where the embedded broker listens and keeps its data.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// `host:port` to listen on and advertise (keep it on 127.0.0.1 unless you mean it).
    pub listen: String,
    /// Directory holding `tansu.db` (sqlite: records and committed offsets).
    pub data_dir: PathBuf,
    /// Kafka cluster id reported to clients.
    pub cluster_id: String,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listen: "127.0.0.1:9092".to_string(),
            data_dir: PathBuf::from("state/broker"),
            cluster_id: "baocao".to_string(),
        }
    }
}

fn prepare_data_dir(dir: &Path) -> Result<PathBuf> {
    let io = |source| Error::DataDir {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    dir.canonicalize().map_err(io)
}

/// Runs the broker until SIGINT/SIGTERM.
///
/// Tansu opens `sqlite://tansu.db` relative to the *process's* working directory (an
/// absolute sqlite URL is not honoured), so this changes the working directory to
/// `data_dir`: call it only in a process of its own (`baocao broker`).
pub async fn run_broker(config: &BrokerConfig) -> Result<()> {
    let data_dir = prepare_data_dir(&config.data_dir)?;
    std::env::set_current_dir(&data_dir).map_err(|source| Error::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let listener =
        Url::parse(&format!("tcp://{}", config.listen)).map_err(|source| Error::Listen {
            address: config.listen.clone(),
            source,
        })?;
    let storage = Url::parse("sqlite://tansu.db").map_err(Error::StorageUrl)?;
    tracing::info!(listen = %config.listen, data_dir = %data_dir.display(), "embedded broker starting");
    let broker = Broker::<Controller<StorageContainer>, StorageContainer>::builder()
        .node_id(NODE_ID)
        .cluster_id(config.cluster_id.clone())
        .incarnation_id(uuid::Uuid::now_v7())
        .advertised_listener(listener.clone())
        .otlp_endpoint_url(None)
        .schema_registry(None)
        .storage(storage)
        .listener(listener)
        .authentication(false)
        .tls_server_config(None)
        .silent(true)
        .build()
        .await?;
    let code = broker.main(Instant::now()).await?;
    tracing::info!(?code, "embedded broker stopped");
    Ok(())
}
