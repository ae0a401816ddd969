//! The portal's listener: HTTP/1.1 and HTTP/2 over plain TCP or TLS (rustls), with a
//! graceful stop (no new connections; requests in flight finish), a deadline for a
//! request's headers and for a silent connection (so half-open and half-sent requests
//! are closed), and the peer's address in every request ([`PeerAddr`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use baocao_errors::Chain;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Result;
use crate::client::PeerAddr;
use crate::serve_io::{Activity, Tracked};

/// How long a connection may take to send its headers and stay silent.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// From the first byte of a request to the end of its headers (HTTP/1).
    pub header_read: Duration,
    /// No byte read or written for this long closes the connection (both protocols,
    /// before the first request too; also bounds the TLS handshake).
    pub idle: Duration,
}

/// A serving listener.
pub struct Server {
    pub local_addr: SocketAddr,
    pub tls: bool,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Stops accepting and waits (at most 10 s) for requests in flight.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait().await
    }

    /// Waits until the server ends.
    pub async fn wait(self) -> Result<()> {
        Ok(self.task.await?)
    }
}

/// Binds `listen` and serves `router` in the background.
pub async fn start(
    listen: &str,
    router: axum::Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ConnectionLimits,
) -> Result<Server> {
    let listener = TcpListener::bind(listen).await?;
    let local_addr = listener.local_addr()?;
    let (shutdown, stop) = oneshot::channel();
    let acceptor = tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let task = tokio::spawn(accept_loop(listener, router, acceptor, stop, limits));
    Ok(Server {
        local_addr,
        tls: tls.is_some(),
        shutdown: Some(shutdown),
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    router: axum::Router,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    mut stop: oneshot::Receiver<()>,
    limits: ConnectionLimits,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    builder.http2().timer(TokioTimer::new());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %Chain(&err), "portal: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let service = TowerToHyperService::new(
            tower::ServiceBuilder::new()
                .layer(axum::Extension(PeerAddr(peer)))
                .service(router.clone()),
        );
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let activity = Activity::new();
            let stream = Tracked::new(stream, activity.clone());
            let serve = async {
                match acceptor {
                    None => {
                        let connection =
                            builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                        watcher.watch(connection.into_owned()).await
                    }
                    Some(acceptor) => match handshake(&acceptor, stream).await {
                        Some(stream) => {
                            let connection = builder
                                .serve_connection_with_upgrades(TokioIo::new(stream), service);
                            watcher.watch(connection.into_owned()).await
                        }
                        None => Ok(()),
                    },
                }
            };
            tokio::select! {
                served = serve => if let Err(err) = served {
                    tracing::debug!(%peer, error = %Chain(err.as_ref()), "portal: connection ended with an error");
                },
                () = activity.silent_for(limits.idle) => {
                    tracing::debug!(%peer, "portal: closing a silent connection");
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("portal: requests still in flight after 10 s; stopping anyway");
    }
}

async fn handshake(
    acceptor: &tokio_rustls::TlsAcceptor,
    stream: Tracked<TcpStream>,
) -> Option<tokio_rustls::server::TlsStream<Tracked<TcpStream>>> {
    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(err)) => {
            tracing::debug!(error = %Chain(&err), "portal: TLS handshake failed");
            None
        }
        Err(_) => None,
    }
}
