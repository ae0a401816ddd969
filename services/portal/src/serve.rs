//! The portal's listener: HTTP/1.1 and HTTP/2 over plain TCP or TLS (rustls), with a
//! graceful stop (no new connections; requests in flight finish).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Result;

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
) -> Result<Server> {
    let listener = TcpListener::bind(listen).await?;
    let local_addr = listener.local_addr()?;
    let (shutdown, stop) = oneshot::channel();
    let acceptor = tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let task = tokio::spawn(accept_loop(listener, router, acceptor, stop));
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
) {
    let graceful = GracefulShutdown::new();
    let builder = Builder::new(TokioExecutor::new());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(%err, "portal: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let served = match acceptor {
                None => {
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(connection.into_owned()).await
                }
                Some(acceptor) => match handshake(&acceptor, stream).await {
                    Some(stream) => {
                        let connection =
                            builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                        watcher.watch(connection.into_owned()).await
                    }
                    None => return,
                },
            };
            if let Err(err) = served {
                tracing::debug!(%peer, %err, "portal: connection ended with an error");
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
    stream: TcpStream,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(err)) => {
            tracing::debug!(%err, "portal: TLS handshake failed");
            None
        }
        Err(_) => None,
    }
}
