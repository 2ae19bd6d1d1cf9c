//! The [`Sandbox`] handle: starts the two listeners on a runtime of their own, exposes the
//! controls and counters, and shuts everything down on drop.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener as StdTcpListener};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::error::Listener;
use crate::fault::ActiveFault;
use crate::listener::RunningListener;
use crate::state::{Counters, Shared, lock};
use crate::token_endpoint::TOKEN_PATH;
use crate::{RateLimit, SandboxConfig, SandboxError, TokenFault, api, token_endpoint};

/// What the handle asks of the server thread.
enum Command {
    /// Close the token listener and its connections; answer once closed.
    StopTokenListener(std_mpsc::SyncSender<()>),
    /// Listen on the token port again (no-op when listening); answer once bound.
    StartTokenListener(std_mpsc::SyncSender<io::Result<()>>),
}

/// A running Lucca stand-in: a token endpoint and an API on two loopback listeners.
///
/// The server runs on a multi-threaded tokio runtime owned by a background thread, so the
/// handle works the same from synchronous tests and from inside any async runtime. Every
/// method takes `&self` and the handle is `Send + Sync`: share it between test threads with
/// a reference or an `Arc`. Dropping it closes both listeners and every connection, and
/// joins the thread.
///
/// Control and counter methods return at once, except
/// [`set_token_fault`](Self::set_token_fault) and
/// [`clear_token_fault`](Self::clear_token_fault) when they close or reopen the token port:
/// those block the calling thread for the moment that takes.
pub struct Sandbox {
    shared: Arc<Shared>,
    token_addr: SocketAddr,
    api_addr: SocketAddr,
    token_url: String,
    api_base: String,
    /// The current fault; its lock also serialises fault changes.
    fault: Mutex<TokenFault>,
    commands: Option<mpsc::UnboundedSender<Command>>,
    thread: Option<thread::JoinHandle<()>>,
}

fn bind(listener: Listener, port: Option<u16>) -> Result<StdTcpListener, SandboxError> {
    let port = port.unwrap_or(0);
    let bind_error = |source| SandboxError::Bind {
        listener,
        port,
        source,
    };
    let socket =
        StdTcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).map_err(bind_error)?;
    socket.set_nonblocking(true).map_err(bind_error)?;
    Ok(socket)
}

impl Sandbox {
    /// Binds both loopback listeners and starts serving; returns once both are bound.
    ///
    /// # Errors
    /// [`SandboxError::InvalidConfig`] for an unusable configuration,
    /// [`SandboxError::Bind`] when a port cannot be bound, [`SandboxError::Runtime`] when
    /// the server thread or runtime cannot be created.
    pub fn start(config: SandboxConfig) -> Result<Self, SandboxError> {
        if let Some(problem) = config.problem() {
            return Err(SandboxError::InvalidConfig(problem));
        }
        let token_socket = bind(Listener::Token, config.token_port)?;
        let api_socket = bind(Listener::Api, config.api_port)?;
        let address = |socket: &StdTcpListener, listener, port: Option<u16>| {
            socket.local_addr().map_err(|source| SandboxError::Bind {
                listener,
                port: port.unwrap_or(0),
                source,
            })
        };
        let token_addr = address(&token_socket, Listener::Token, config.token_port)?;
        let api_addr = address(&api_socket, Listener::Api, config.api_port)?;
        let api_base = format!("http://{api_addr}");
        let shared = Arc::new(Shared::new(&config, api_base.clone()));

        let (commands, command_receiver) = mpsc::unbounded_channel();
        let (ready, started) = std_mpsc::sync_channel(1);
        let server_shared = Arc::clone(&shared);
        let workers = thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
        let thread = thread::Builder::new()
            .name("lucca-sandbox".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .thread_name("lucca-sandbox-worker")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready.send(Err(SandboxError::Runtime(error)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listeners = TcpListener::from_std(token_socket)
                        .map_err(|source| (Listener::Token, source))
                        .and_then(|token| {
                            TcpListener::from_std(api_socket)
                                .map(|api| (token, api))
                                .map_err(|source| (Listener::Api, source))
                        });
                    match listeners {
                        Ok((token, api)) => {
                            let _ = ready.send(Ok(()));
                            serve(server_shared, token, api, token_addr, command_receiver).await;
                        }
                        Err((listener, source)) => {
                            let port = match listener {
                                Listener::Token => token_addr.port(),
                                Listener::Api => api_addr.port(),
                            };
                            let _ = ready.send(Err(SandboxError::Bind {
                                listener,
                                port,
                                source,
                            }));
                        }
                    }
                });
            })
            .map_err(SandboxError::Runtime)?;
        let sandbox = Self {
            shared,
            token_addr,
            api_addr,
            token_url: format!("http://{token_addr}{TOKEN_PATH}"),
            api_base,
            fault: Mutex::new(TokenFault::None),
            commands: Some(commands),
            thread: Some(thread),
        };
        // On error, dropping the handle joins the thread that reported it.
        started.recv().map_err(|_| SandboxError::Stopped)??;
        Ok(sandbox)
    }

    /// The token endpoint: `http://127.0.0.1:PORT/connect/token`.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// The tenant origin, `http://127.0.0.1:PORT` (no trailing slash); the API is under
    /// `/lucca-api/` there, and `next` links use this origin.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The token listener's address (stays the same across
    /// [`TokenFault::RefuseConnections`]).
    pub fn token_addr(&self) -> SocketAddr {
        self.token_addr
    }

    /// The API listener's address.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Revokes an access token: the API answers 401 `invalid_token` to it from now on.
    /// Returns whether the token was issued by this sandbox and not revoked yet.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.shared.revoke_token(token)
    }

    /// Revokes every token issued so far; returns how many were not revoked yet.
    pub fn revoke_all_tokens(&self) -> usize {
        self.shared.revoke_all_tokens()
    }

    /// The lifetime of the tokens issued from now on.
    pub fn token_lifetime(&self) -> Duration {
        self.shared.token_lifetime()
    }

    /// Changes the lifetime of the tokens issued from now on (issued tokens keep theirs).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.set_token_lifetime(lifetime);
    }

    /// Changes the API's rate limit; requests admitted in the last window still count.
    pub fn set_rate_limit(&self, limit: RateLimit) {
        self.shared.set_rate_limit(limit);
    }

    /// The fault currently injected into the token endpoint.
    pub fn token_fault(&self) -> TokenFault {
        lock(&self.fault).clone()
    }

    /// Makes the token endpoint misbehave (see [`TokenFault`]) while the API keeps serving.
    ///
    /// Returns once the fault is in force: after [`TokenFault::RefuseConnections`] the port
    /// is closed, after any other setting it is listening again.
    ///
    /// # Errors
    /// [`SandboxError::InvalidFault`] for an unusable [`TokenFault::Status`] (nothing
    /// changes); [`SandboxError::Bind`] when the token port cannot be bound again (then the
    /// fault stays [`TokenFault::RefuseConnections`]); [`SandboxError::Stopped`] when the
    /// server thread is gone.
    pub fn set_token_fault(&self, fault: TokenFault) -> Result<(), SandboxError> {
        let active = ActiveFault::from_fault(&fault)?;
        let mut current = lock(&self.fault);
        let closing = matches!(active, ActiveFault::Closed);
        self.shared.fault.send_replace(active);
        if closing {
            self.command(Command::StopTokenListener)?;
        } else {
            let bound = self.command(Command::StartTokenListener);
            if let Err(error) = bound.and_then(|result| {
                result.map_err(|source| SandboxError::Bind {
                    listener: Listener::Token,
                    port: self.token_addr.port(),
                    source,
                })
            }) {
                self.shared.fault.send_replace(ActiveFault::Closed);
                *current = TokenFault::RefuseConnections;
                return Err(error);
            }
        }
        *current = fault;
        Ok(())
    }

    /// Back to a working token endpoint (same as `set_token_fault(TokenFault::None)`).
    ///
    /// # Errors
    /// As [`set_token_fault`](Self::set_token_fault).
    pub fn clear_token_fault(&self) -> Result<(), SandboxError> {
        self.set_token_fault(TokenFault::None)
    }

    /// Tokens issued (200 answers of the token endpoint).
    pub fn token_requests_served(&self) -> u64 {
        Counters::read(&self.shared.counters.tokens_issued)
    }

    /// Requests that reached `/connect/token`, whatever the answer (faults included;
    /// refused connections never reach it).
    pub fn token_requests_received(&self) -> u64 {
        Counters::read(&self.shared.counters.token_requests)
    }

    /// 401 answers of the API (missing, malformed, unknown, expired or revoked tokens).
    pub fn api_unauthorized_served(&self) -> u64 {
        Counters::read(&self.shared.counters.api_unauthorized)
    }

    /// 429 answers of the API.
    pub fn api_rate_limited_served(&self) -> u64 {
        Counters::read(&self.shared.counters.api_rate_limited)
    }

    /// Requests received by the API listener for `path` (the request path without query,
    /// like `/lucca-api/leaves`), whatever the answer.
    pub fn api_requests(&self, path: &str) -> u64 {
        lock(&self.shared.counters.api_by_path)
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Requests received by the API listener, per path.
    pub fn api_requests_by_path(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.counters.api_by_path).clone()
    }

    /// Requests received by the API listener, all paths together.
    pub fn api_requests_received(&self) -> u64 {
        lock(&self.shared.counters.api_by_path).values().sum()
    }

    /// Sets every counter back to zero (issued tokens, the rate limit's window and the
    /// fault are left as they are).
    pub fn reset_counters(&self) {
        self.shared.counters.reset();
    }

    /// Sends a command to the server thread and waits for its answer.
    fn command<T>(
        &self,
        make: impl FnOnce(std_mpsc::SyncSender<T>) -> Command,
    ) -> Result<T, SandboxError> {
        let (done, answer) = std_mpsc::sync_channel(1);
        self.commands
            .as_ref()
            .ok_or(SandboxError::Stopped)?
            .send(make(done))
            .map_err(|_| SandboxError::Stopped)?;
        answer.recv().map_err(|_| SandboxError::Stopped)
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("token_url", &self.token_url)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Closing the command channel ends the server loop, which closes both listeners and
        // their connections; then the thread drops its runtime and ends.
        drop(self.commands.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The server thread's main loop: serve both listeners and obey commands until the handle
/// is dropped.
async fn serve(
    shared: Arc<Shared>,
    token: TcpListener,
    api: TcpListener,
    token_addr: SocketAddr,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let api = RunningListener::spawn(api, api::router(Arc::clone(&shared)));
    let token_router = token_endpoint::router(shared);
    let mut token = Some(RunningListener::spawn(token, token_router.clone()));
    while let Some(command) = commands.recv().await {
        match command {
            Command::StopTokenListener(done) => {
                if let Some(listener) = token.take() {
                    listener.stop().await;
                }
                let _ = done.send(());
            }
            Command::StartTokenListener(done) => {
                let result = match token {
                    Some(_) => Ok(()),
                    None => TcpListener::bind(token_addr).await.map(|listener| {
                        token = Some(RunningListener::spawn(listener, token_router.clone()));
                    }),
                };
                let _ = done.send(result);
            }
        }
    }
    if let Some(listener) = token.take() {
        listener.stop().await;
    }
    api.stop().await;
}
