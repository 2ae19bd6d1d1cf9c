//! Serving one loopback listener: axum's router on hyper's HTTP/1.1 connection driver, with
//! a stop that really closes the port and every connection accepted on it.

use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// A response extension asking the connection to be closed without sending the response
/// (a [`TokenFault::Hang`](crate::TokenFault::Hang) being lifted).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CloseConnection;

/// The error that makes hyper drop a connection without answering.
#[derive(Debug)]
struct ConnectionClosed;

impl fmt::Display for ConnectionClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection closed without an answer")
    }
}

impl std::error::Error for ConnectionClosed {}

/// A listener being served; [`RunningListener::stop`] closes it.
#[derive(Debug)]
pub(crate) struct RunningListener {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RunningListener {
    /// Serves `listener` with `router` on the current tokio runtime.
    pub(crate) fn spawn(listener: TcpListener, router: Router) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, router, stopped));
        Self { stop, task }
    }

    /// Closes the listening socket and every connection accepted on it; returns once they
    /// are closed.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                // Out of file descriptors or a connection reset before accept: keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
    drop(listener);
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let service = TowerToHyperService::new(router);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let answer = hyper::service::Service::call(&service, request);
        async move {
            let response = answer.await.map_err(|never: Infallible| match never {})?;
            if response.extensions().get::<CloseConnection>().is_some() {
                return Err(ConnectionClosed);
            }
            Ok(response)
        }
    });
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
