//! The loopback HTTP/1.1 server in front of each emulator.
//!
//! It serves connections with hyper directly rather than `axum::serve` so that a fault can end a
//! connection without writing a response (hyper closes the connection when the service returns
//! an error), which is what a client sees when a real load balancer drops it. The front also adds
//! the injected latency, answers injected 429/5xx in the service's shape, applies an optional
//! gate (Ironclad's per-bucket rate limit) and records every request.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use http::{Method, Request};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use super::faults::{Fault, FaultSettings, Faults, Service};
use super::observe::{RequestLog, RequestRecord, route_label};
use super::timestamps;

/// Answers an injected 429 or 5xx in the service's own error shape.
pub(crate) type FaultResponder = fn(Fault, &FaultSettings) -> Response;

/// Decides whether a request is refused before routing (rate limits); `None` lets it through.
pub(crate) type Gate = Arc<dyn Fn(&Method, &str) -> Option<Response> + Send + Sync>;

/// Everything the server needs to answer one service's requests.
pub(crate) struct Front {
    pub(crate) service: Service,
    pub(crate) router: Router,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) fault_responder: FaultResponder,
    pub(crate) gate: Option<Gate>,
}

/// Returned to hyper to make it close the connection without a response.
#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedConnection {}

impl Front {
    async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response, DroppedConnection> {
        let received_at = timestamps::now();
        let started = tokio::time::Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let query = request.uri().query().map(str::to_owned);
        let mut fault = None;

        let response = if self.service.is_api_path(&path) {
            let (latency, decided) = self.faults.decide(&method, &path);
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            fault = decided;
            match decided {
                Some(Fault::DropConnection) => None,
                Some(other) => Some((self.fault_responder)(other, &self.faults.settings())),
                None => match self.gate.as_ref().and_then(|gate| gate(&method, &path)) {
                    Some(refused) => Some(refused),
                    None => Some(self.route(request).await),
                },
            }
        } else {
            Some(self.route(request).await)
        };

        if path.starts_with(crate::control_http::PREFIX) {
            // The control surface is the test's own voice, not traffic to observe.
            return response.ok_or(DroppedConnection);
        }
        self.log.push(RequestRecord {
            service: self.service,
            method: method.to_string(),
            route: route_label(method.as_str(), &path),
            path,
            query,
            status: response.as_ref().map(|r| r.status().as_u16()),
            fault,
            received_at,
            duration: started.elapsed(),
        });
        response.ok_or(DroppedConnection)
    }

    async fn route(&self, request: Request<Incoming>) -> Response {
        let result: Result<Response, Infallible> =
            self.router.clone().oneshot(request.map(Body::new)).await;
        match result {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// A running server; stop it with [`ServerHandle::shutdown`].
pub(crate) struct ServerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ServerHandle {
    /// Stop accepting, let open connections finish their current request, then close them.
    pub(crate) async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(grace, self.task).await.is_err() {
            abort.abort();
        }
    }
}

/// Serve `front` on `listener` until shut down.
pub(crate) fn serve(listener: TcpListener, front: Front) -> std::io::Result<ServerHandle> {
    let (stop, mut stopped) = watch::channel(false);
    let front = Arc::new(front);
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            tokio::select! {
                _ = stopped.changed() => break,
                accepted = listener.accept() => {
                    let Ok((stream, _peer)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, front.clone(), stopped.clone()));
                }
            }
        }
        drop(listener);
        while connections.join_next().await.is_some() {}
    });
    Ok(ServerHandle { stop, task })
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    front: Arc<Front>,
    mut stopped: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |request| front.clone().handle(request));
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.as_mut().await;
        }
    }
}
