//! Shared setup of the integration tests: a sandbox, a client configured for it, a gate in
//! front of the token endpoint and a tiny foreign HTTP server (each test file uses a part).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lucca_auth::config::{ClientAuthMethod, ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth_reqwest::{LuccaClient, LuccaClientBuilder};
use lucca_auth_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RateLimit, Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A sandbox with this token lifetime and no rate limit.
pub fn sandbox(token_lifetime: Duration) -> Sandbox {
    Sandbox::start(
        SandboxConfig::default()
            .with_token_lifetime(token_lifetime)
            .with_rate_limit(RateLimit::unlimited()),
    )
    .expect("the sandbox starts")
}

/// The demo application's configuration against `sandbox`, for `scopes`.
pub fn config(sandbox: &Sandbox, scopes: &str) -> LuccaConfig {
    config_with(
        sandbox.token_url(),
        sandbox.api_base(),
        scopes,
        ClientAuthMethod::RequestBody,
    )
}

/// The demo application's configuration with another token URL, tenant and client
/// authentication.
pub fn config_with(
    token_url: &str,
    tenant: &str,
    scopes: &str,
    method: ClientAuthMethod,
) -> LuccaConfig {
    LuccaConfig::new(
        ClientCredentials::new(
            ClientId::new(DEMO_CLIENT_ID),
            ClientSecret::new(DEMO_CLIENT_SECRET),
        )
        .with_method(method),
        TenantHost::parse(tenant).expect("a loopback tenant"),
    )
    .with_token_endpoint(TokenEndpoint::parse(token_url).expect("a loopback token URL"))
    .with_scopes(Scopes::parse_space_separated(scopes).expect("valid scopes"))
}

/// A builder for the demo application against `sandbox`.
pub fn builder(sandbox: &Sandbox, scopes: &str) -> LuccaClientBuilder {
    LuccaClient::builder(config(sandbox, scopes))
}

/// A client for the demo application against `sandbox`.
pub fn client(sandbox: &Sandbox, scopes: &str) -> LuccaClient {
    builder(sandbox, scopes).build().expect("the client builds")
}

/// Polls `condition` every 5 ms until it holds, for at most `limit`.
pub async fn eventually(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A TCP forwarder in front of an upstream address that can hold new connections: while
/// paused, connections are accepted but not forwarded until resumed.
pub struct Gate {
    pub addr: SocketAddr,
    paused: watch::Sender<bool>,
    held: Arc<AtomicUsize>,
    forwarded: Arc<AtomicUsize>,
}

impl Gate {
    pub async fn start(upstream: SocketAddr) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (paused, _) = watch::channel(false);
        let held = Arc::new(AtomicUsize::new(0));
        let forwarded = Arc::new(AtomicUsize::new(0));
        let gate = Gate {
            addr,
            paused: paused.clone(),
            held: Arc::clone(&held),
            forwarded: Arc::clone(&forwarded),
        };
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut resumed = paused.subscribe();
                let held = Arc::clone(&held);
                let forwarded = Arc::clone(&forwarded);
                tokio::spawn(async move {
                    if *resumed.borrow_and_update() {
                        held.fetch_add(1, Ordering::SeqCst);
                        while *resumed.borrow_and_update() {
                            if resumed.changed().await.is_err() {
                                return;
                            }
                        }
                    }
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    forwarded.fetch_add(1, Ordering::SeqCst);
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        });
        gate
    }

    pub fn pause(&self) {
        self.paused.send_replace(true);
    }

    pub fn resume(&self) {
        self.paused.send_replace(false);
    }

    /// Connections that arrived while paused.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Connections forwarded upstream.
    pub fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

/// A tiny HTTP/1.1 server that answers every request `200` with a fixed JSON body and
/// records each request head as received.
pub struct Recorder {
    pub addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    /// Answers `{}`.
    pub async fn start() -> Recorder {
        Recorder::start_with(String::from("{}")).await
    }

    /// Answers `body`.
    pub async fn start_with(body: String) -> Recorder {
        Recorder::start_raw(format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ))
        .await
    }

    /// Answers every request with `answer`, a whole HTTP/1.1 response.
    pub async fn start_raw(answer: String) -> Recorder {
        Recorder::start_routed(move |_| answer.clone()).await
    }

    /// Answers each request with what `answer` gives for its head: a whole HTTP/1.1 response.
    pub async fn start_routed(
        answer: impl Fn(&str) -> String + Clone + Send + Sync + 'static,
    ) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&heads);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let recorded = Arc::clone(&recorded);
                let answer = answer.clone();
                tokio::spawn(async move {
                    loop {
                        let mut head = Vec::new();
                        let mut byte = [0u8; 1];
                        while !head.ends_with(b"\r\n\r\n") {
                            match stream.read(&mut byte).await {
                                Ok(1) => head.push(byte[0]),
                                _ => return,
                            }
                        }
                        let head = String::from_utf8_lossy(&head).into_owned();
                        let answer = answer(&head);
                        recorded.lock().expect("lock").push(head);
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Recorder { addr, heads }
    }

    /// The request heads received so far.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("lock").clone()
    }
}
