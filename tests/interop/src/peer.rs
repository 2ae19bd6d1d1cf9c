//! A running peer server: its process, its addresses, its clients, revocation.

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Deserialize;

use crate::encoding::{basic_authorization, form_body};
use crate::error::PeerError;
use crate::install::{self, tail};

/// The token endpoint's path on both peers.
pub const TOKEN_PATH: &str = "/connect/token";
/// The RFC 7009 revocation endpoint's path on both peers.
pub const REVOCATION_PATH: &str = "/connect/revocation";
/// The protected resource's path on both peers (`GET` only).
pub const RESOURCE_PATH: &str = "/lucca-api/leaves";
/// The scope the protected resource needs.
pub const RESOURCE_SCOPE: &str = "leaves.readonly";
/// Every scope both peers know, in registration order.
pub const SCOPES: [&str; 4] = [
    "leaves.readonly",
    "leaves.readwrite",
    "leave-requests.readonly",
    "employees.readonly",
];

/// Which independent authorization server to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerKind {
    /// Node's `oidc-provider` (npm), configured in `peers/oidc-provider/server.mjs`.
    OidcProvider,
    /// Python's Authlib on Flask, configured in `peers/authlib/server.py`.
    Authlib,
}

impl PeerKind {
    /// Both peers.
    pub const ALL: [PeerKind; 2] = [PeerKind::OidcProvider, PeerKind::Authlib];

    /// The peer's folder name under `peers/`, also its name in `peers/clients.json`.
    pub fn name(self) -> &'static str {
        match self {
            Self::OidcProvider => "oidc-provider",
            Self::Authlib => "authlib",
        }
    }
}

impl fmt::Display for PeerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to run a peer. Build it with `PeerConfig { token_lifetime, ..PeerConfig::default() }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConfig {
    /// Lifetime of the access tokens it issues. Sent in whole seconds, rounded up; must not
    /// be zero. Default: one hour.
    pub token_lifetime: Duration,
    /// How long past its expiry the peer still accepts a token at the resource: sets
    /// oidc-provider's `clockTolerance` (whose own default is 15 s), whole seconds rounded up.
    /// Authlib has no such setting and ignores it. Default: zero.
    pub clock_tolerance: Duration,
    /// How long to wait for the server's ready line after spawning it (installing is not
    /// counted). Default: 60 seconds.
    pub ready_timeout: Duration,
}

impl Default for PeerConfig {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(3600),
            clock_tolerance: Duration::ZERO,
            ready_timeout: Duration::from_secs(60),
        }
    }
}

/// What a registered client is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientRole {
    /// `interop-main`: a plain secret, all four scopes. Present on both peers.
    Main,
    /// `interop-special`: a printable-ASCII secret full of special characters
    /// (`: + space / % & =` and more). Present on both peers.
    Special,
    /// `interop-special-utf8`: the secret `p:a+s s/%&=é€`. Authlib only: oidc-provider
    /// refuses secrets outside RFC 6749's VSCHAR (printable ASCII).
    SpecialUtf8,
    /// `interop-narrow`: only `employees.readonly`, so it may not have `leaves.readonly`.
    Narrow,
}

/// A client authentication method at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum AuthMethod {
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    #[serde(rename = "client_secret_post")]
    RequestBody,
    /// `client_secret_basic`: HTTP Basic with the form-encoded id and secret.
    #[serde(rename = "client_secret_basic")]
    HttpBasic,
}

/// Which client authentication methods a client can use at a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuthMethods {
    /// `client_secret_post` works.
    pub request_body: bool,
    /// `client_secret_basic` works.
    pub http_basic: bool,
}

/// A client registered at a peer.
#[derive(Clone, PartialEq, Eq)]
pub struct PeerClient {
    /// What the client is for.
    pub role: ClientRole,
    /// Its `client_id`.
    pub id: String,
    /// Its `client_secret` (a test value; still left out of `Debug`).
    pub secret: String,
    /// The scopes it may request, in registration order.
    pub scopes: Vec<String>,
    /// The `token_endpoint_auth_method` it is registered with.
    pub registered_auth_method: AuthMethod,
    /// The methods that actually work for it at this peer. Both work for every client on
    /// both peers: oidc-provider accepts `client_secret_post` and `client_secret_basic`
    /// whichever of the two a client is registered with, and the Authlib peer's client
    /// model allows both.
    pub auth_methods: AuthMethods,
}

impl fmt::Debug for PeerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerClient")
            .field("role", &self.role)
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("registered_auth_method", &self.registered_auth_method)
            .field("auth_methods", &self.auth_methods)
            .finish()
    }
}

#[derive(Deserialize)]
struct Registry {
    #[cfg_attr(not(test), allow(dead_code))]
    scopes: Vec<String>,
    clients: Vec<RegisteredClient>,
}

fn registry() -> Result<Registry, PeerError> {
    serde_json::from_str(include_str!("../peers/clients.json"))
        .map_err(|e| PeerError::Clients(e.to_string()))
}

#[derive(Deserialize)]
struct RegisteredClient {
    role: ClientRole,
    client_id: String,
    client_secret: String,
    registered_auth_method: AuthMethod,
    scope: String,
    peers: Vec<String>,
}

/// The clients `peers/clients.json` registers at `kind`.
fn clients_of(kind: PeerKind) -> Result<Vec<PeerClient>, PeerError> {
    Ok(registry()?
        .clients
        .into_iter()
        .filter(|c| c.peers.iter().any(|p| p == kind.name()))
        .map(|c| PeerClient {
            role: c.role,
            id: c.client_id,
            secret: c.client_secret,
            scopes: c.scope.split(' ').map(str::to_owned).collect(),
            registered_auth_method: c.registered_auth_method,
            auth_methods: AuthMethods {
                request_body: true,
                http_basic: true,
            },
        })
        .collect())
}

type Log = Arc<Mutex<String>>;

const LOG_CAP: usize = 64 * 1024;

fn append(log: &Log, line: &str) {
    let mut text = log.lock().unwrap_or_else(PoisonError::into_inner);
    text.push_str(line);
    text.push('\n');
    if text.len() > 2 * LOG_CAP {
        let kept = tail(&text, LOG_CAP).to_owned();
        *text = kept;
    }
}

/// A running peer server on a loopback port. Dropping it stops the server.
pub struct Peer {
    kind: PeerKind,
    port: u16,
    clients: Vec<PeerClient>,
    main: PeerClient,
    child: Child,
    stdin: Option<ChildStdin>,
    readers: Vec<JoinHandle<()>>,
    log: Log,
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("kind", &self.kind)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// Installs `kind` on first use (into `target/interop/`), spawns it on a loopback port
    /// the OS picks and waits for its ready line.
    ///
    /// # Errors
    /// A missing tool, a failed install, a server that exits or stays silent past
    /// `config.ready_timeout`, or a zero `config.token_lifetime`.
    pub fn start(kind: PeerKind, config: PeerConfig) -> Result<Peer, PeerError> {
        let lifetime = lifetime_secs(config.token_lifetime)?;
        let tolerance = whole_secs_rounded_up(config.clock_tolerance);
        let missing = crate::tools::missing_tools_for(kind);
        if !missing.is_empty() {
            return Err(PeerError::ToolMissing { tools: missing });
        }
        let clients = clients_of(kind)?;
        let main = clients
            .iter()
            .find(|c| c.role == ClientRole::Main)
            .cloned()
            .ok_or(PeerError::Clients(format!("no main client for {kind}")))?;
        let launch = install::ensure(kind)?;
        let clients_file = install::peers_dir().join("clients.json");
        let mut child = Command::new(&launch.program)
            .arg(&launch.script)
            .current_dir(&launch.dir)
            .env("PEER_PORT", "0")
            .env("PEER_TOKEN_LIFETIME_SECS", lifetime.to_string())
            .env("PEER_CLOCK_TOLERANCE_SECS", tolerance.to_string())
            .env("PEER_CLIENTS", &clients_file)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| PeerError::io(format!("spawning the {kind} peer"), e))?;

        let log: Log = Arc::default();
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let log = Arc::clone(&log);
            readers.push(std::thread::spawn(move || {
                let mut ready = Some(ready_tx);
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    append(&log, &line);
                    if let Some(url) = line.strip_prefix("READY ")
                        && let Some(tx) = ready.take()
                    {
                        let _ = tx.send(url.trim().to_owned());
                    }
                }
            }));
        }
        if let Some(stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    append(&log, &line);
                }
            }));
        }
        let stdin = child.stdin.take();
        let mut peer = Peer {
            kind,
            port: 0,
            clients,
            main,
            child,
            stdin,
            readers,
            log,
        };

        match ready_rx.recv_timeout(config.ready_timeout) {
            Ok(url) => match parse_ready_url(&url) {
                Some(port) => {
                    peer.port = port;
                    Ok(peer)
                }
                None => Err(PeerError::NotReady {
                    reason: format!("malformed ready line `READY {url}`"),
                    log: peer.log(),
                }),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => Err(PeerError::NotReady {
                reason: format!("no ready line within {:?}", config.ready_timeout),
                log: peer.log(),
            }),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = match peer.child.wait() {
                    Ok(status) => status.to_string(),
                    Err(e) => format!("unknown: {e}"),
                };
                peer.stdin = None;
                for reader in peer.readers.drain(..) {
                    let _ = reader.join();
                }
                Err(PeerError::Exited {
                    status,
                    log: peer.log(),
                })
            }
        }
    }

    /// Which server this is.
    pub fn kind(&self) -> PeerKind {
        self.kind
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its socket address, `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Its origin, `http://127.0.0.1:<port>` (oidc-provider's issuer and realm).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The token endpoint, `<base>/connect/token`.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.base_url())
    }

    /// The RFC 7009 revocation endpoint, `<base>/connect/revocation`.
    pub fn revocation_url(&self) -> String {
        format!("{}{REVOCATION_PATH}", self.base_url())
    }

    /// The protected resource, `<base>/lucca-api/leaves`, which needs [`RESOURCE_SCOPE`].
    pub fn resource_url(&self) -> String {
        format!("{}{RESOURCE_PATH}", self.base_url())
    }

    /// Every client registered at this peer.
    pub fn clients(&self) -> &[PeerClient] {
        &self.clients
    }

    /// The client with `role`, when this peer registers one (only
    /// [`ClientRole::SpecialUtf8`] is missing, on oidc-provider).
    pub fn client(&self, role: ClientRole) -> Option<&PeerClient> {
        self.clients.iter().find(|c| c.role == role)
    }

    /// The [`ClientRole::Main`] client, which every peer registers.
    pub fn main_client(&self) -> &PeerClient {
        &self.main
    }

    /// Revokes `token` at the peer's RFC 7009 endpoint, authenticated as the main client
    /// with HTTP Basic (both peers let any of their clients revoke any token). Both answer
    /// 200 even for unknown tokens, as RFC 7009 says.
    ///
    /// # Errors
    /// An I/O failure, or a status other than 200.
    pub fn revoke(&self, token: &str) -> Result<(), PeerError> {
        let body = form_body(&[("token", token), ("token_type_hint", "access_token")]);
        let request = format!(
            "POST {REVOCATION_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            self.port,
            basic_authorization(&self.main.id, &self.main.secret),
            body.len(),
        );
        let status = exchange_once(self.addr(), request.as_bytes())
            .map_err(|e| PeerError::io(format!("revoking at the {} peer", self.kind), e))?;
        if status == 200 {
            Ok(())
        } else {
            Err(PeerError::Revocation { status })
        }
    }

    /// The tail of the server's stdout and stderr so far, for diagnostics.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Closing stdin alone makes the server exit; kill it anyway to not wait for that.
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

fn lifetime_secs(lifetime: Duration) -> Result<u64, PeerError> {
    if lifetime.is_zero() {
        return Err(PeerError::Config("token_lifetime must not be zero"));
    }
    Ok(whole_secs_rounded_up(lifetime))
}

fn whole_secs_rounded_up(duration: Duration) -> u64 {
    let whole = duration.as_secs();
    if duration.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    }
}

fn parse_ready_url(url: &str) -> Option<u16> {
    url.strip_prefix("http://127.0.0.1:")?
        .parse()
        .ok()
        .filter(|port| *port != 0)
}

/// Sends one `Connection: close` request and returns the response's status code.
fn exchange_once(addr: SocketAddr, request: &[u8]) -> std::io::Result<u16> {
    let timeout = Some(Duration::from_secs(10));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    stream.set_read_timeout(timeout)?;
    stream.set_write_timeout(timeout)?;
    stream.write_all(request)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "no HTTP/1.1 status line")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_secs_table() {
        let cases: &[(Duration, Option<u64>)] = &[
            (Duration::ZERO, None),
            (Duration::from_millis(1), Some(1)),
            (Duration::from_secs(2), Some(2)),
            (Duration::from_millis(2500), Some(3)),
            (Duration::from_secs(3600), Some(3600)),
        ];
        for (lifetime, expected) in cases {
            assert_eq!(
                lifetime_secs(*lifetime).ok(),
                *expected,
                "lifetime {lifetime:?}"
            );
        }
    }

    #[test]
    fn parse_ready_url_table() {
        let cases: &[(&str, Option<u16>)] = &[
            ("http://127.0.0.1:4321", Some(4321)),
            ("http://127.0.0.1:0", None),
            ("http://127.0.0.1:", None),
            ("http://localhost:4321", None),
            ("http://127.0.0.1:70000", None),
        ];
        for (url, expected) in cases {
            assert_eq!(parse_ready_url(url), *expected, "url {url:?}");
        }
    }

    #[test]
    fn clients_per_peer() {
        let roles = |kind| {
            clients_of(kind)
                .map(|cs| cs.iter().map(|c| c.role).collect::<Vec<_>>())
                .ok()
        };
        assert_eq!(
            roles(PeerKind::OidcProvider),
            Some(vec![
                ClientRole::Main,
                ClientRole::Special,
                ClientRole::Narrow
            ])
        );
        assert_eq!(
            roles(PeerKind::Authlib),
            Some(vec![
                ClientRole::Main,
                ClientRole::Special,
                ClientRole::SpecialUtf8,
                ClientRole::Narrow
            ])
        );
    }

    #[test]
    fn registered_scopes_are_the_exported_ones() {
        assert_eq!(
            registry().map(|r| r.scopes).ok(),
            Some(SCOPES.map(str::to_owned).to_vec())
        );
    }

    #[test]
    fn client_debug_redacts_the_secret() {
        for kind in PeerKind::ALL {
            for client in clients_of(kind).unwrap_or_default() {
                let debug = format!("{client:?}");
                assert!(!debug.contains(&client.secret), "{debug}");
                assert!(debug.contains("[redacted]"), "{debug}");
            }
        }
    }
}
