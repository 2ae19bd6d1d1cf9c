//! The blocking driver against two independent authorization servers over real TCP
//! (`std::net::TcpStream` through `FromStd`): Node's oidc-provider, which keeps connections
//! alive, and Python's Authlib on Werkzeug, which closes every connection after its answer —
//! so every reconnect path runs. Client authentication in the body and with HTTP Basic,
//! special-character secrets, a wrong secret, a missing scope (403), a revoked token (401 →
//! new token → retry). Skipped loudly when node or python3 are missing, except under
//! `CI=true`, where that fails.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use embedded_io_adapters::std::FromStd;
use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::config::{ClientAuthMethod, ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth::time::Instant;
use lucca_auth::token_response::{OAuthErrorCode, TokenError};
use lucca_auth_embedded::{ApiRequest, Buffers, Client, Connections, Error, Failure};
use lucca_auth_interop::{ClientRole, Peer, PeerConfig, PeerKind, peers_or_skip};

const METHODS: [ClientAuthMethod; 2] = [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic];

fn config(
    peer: &Peer,
    id: &str,
    secret: &str,
    method: ClientAuthMethod,
    scopes: &str,
) -> LuccaConfig {
    LuccaConfig::new(
        ClientCredentials::new(ClientId::new(id), ClientSecret::new(secret)).with_method(method),
        TenantHost::parse(&peer.base_url()).expect("peer origin"),
    )
    .with_token_endpoint(TokenEndpoint::parse(&peer.token_url()).expect("peer endpoint"))
    .with_scopes(Scopes::parse_space_separated(scopes).expect("scopes"))
}

/// The caller's two connections (both to the peer here), reopened when a result says so.
struct Link {
    addr: SocketAddr,
    token: FromStd<TcpStream>,
    api: FromStd<TcpStream>,
    reconnects: usize,
    started: StdInstant,
}

fn open(addr: SocketAddr) -> FromStd<TcpStream> {
    let stream = TcpStream::connect(addr).expect("peer listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    FromStd::new(stream)
}

impl Link {
    fn new(addr: SocketAddr) -> Self {
        Link {
            addr,
            token: open(addr),
            api: open(addr),
            reconnects: 0,
            started: StdInstant::now(),
        }
    }

    fn now(&self) -> Instant {
        Instant::from_millis(u64::try_from(self.started.elapsed().as_millis()).expect("fits"))
    }

    fn follow(&mut self, connections: Connections) {
        if connections.must_reconnect_token() {
            self.token = open(self.addr);
            self.reconnects += 1;
        }
        if connections.must_reconnect_api() {
            self.api = open(self.addr);
            self.reconnects += 1;
        }
    }

    fn token(&mut self, client: &mut Client) -> Result<String, Error> {
        let (mut request_buf, mut response_buf) = ([0u8; 2048], [0u8; 8192]);
        let result = client
            .token(
                self.now(),
                &mut self.token,
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .map(|ready| {
                (
                    ready.token().access_token().secret().to_owned(),
                    ready.connection(),
                )
            });
        match result {
            Ok((token, connection)) => {
                self.follow(Connections::new(connection, None));
                Ok(token)
            }
            Err(error) => {
                self.follow(error.connections());
                Err(error)
            }
        }
    }

    /// `GET path`, resent after reconnecting when a 401's retry needs it.
    fn get(&mut self, client: &mut Client, path: &str) -> (u16, ApiResponseClass, ApiAttempt, u64) {
        let (mut request_buf, mut response_buf) = ([0u8; 2048], [0u8; 8192]);
        let mut request = ApiRequest::get(path);
        for _ in 0..3 {
            let now = self.now();
            let result = client
                .send_api(
                    now,
                    &mut self.token,
                    &mut self.api,
                    &mut request,
                    Buffers::new(&mut request_buf, &mut response_buf),
                )
                .map(|r| {
                    let seen = (
                        r.status(),
                        r.class().clone(),
                        r.attempt(),
                        r.token_generation().get(),
                    );
                    (seen, r.connections())
                });
            match result {
                Ok((seen, connections)) => {
                    self.follow(connections);
                    return seen;
                }
                Err(error) if error.failure() == &Failure::ReconnectAndResend => {
                    self.follow(error.connections());
                }
                Err(error) => panic!("{path}: {error}"),
            }
        }
        panic!("{path}: no answer after three sends")
    }
}

fn run(kind: PeerKind) {
    let peer = Peer::start(kind, PeerConfig::default()).expect("peer starts");
    let name = kind.name();

    // Every client that the peer has, both ways of authenticating; then a protected call.
    let mut roles = vec![ClientRole::Main, ClientRole::Special];
    if kind == PeerKind::Authlib {
        roles.push(ClientRole::SpecialUtf8);
    }
    for role in roles {
        let registered = peer.client(role).expect("registered");
        for method in METHODS {
            let mut client = Client::new(&config(
                &peer,
                &registered.id,
                &registered.secret,
                method,
                "leaves.readonly",
            ));
            let mut link = Link::new(peer.addr());
            let token = link
                .token(&mut client)
                .unwrap_or_else(|e| panic!("{name} {role:?} {method:?}: {e}\n{}", peer.log()));
            assert!(!token.is_empty());
            let (status, class, attempt, generation) = link.get(&mut client, "/lucca-api/leaves");
            assert_eq!(
                (status, class, attempt, generation),
                (200, ApiResponseClass::Success, ApiAttempt::First, 1),
                "{name} {role:?} {method:?}"
            );
            // Authlib closes every connection: the token's, then the API's.
            let expected_reconnects = if kind == PeerKind::Authlib { 2 } else { 0 };
            assert_eq!(
                link.reconnects, expected_reconnects,
                "{name} {role:?} {method:?}"
            );
        }
    }

    // A wrong secret: invalid_client, 401, whichever way it is sent.
    let main = peer.main_client();
    for method in METHODS {
        let mut client = Client::new(&config(
            &peer,
            &main.id,
            "wrong-secret",
            method,
            "leaves.readonly",
        ));
        let mut link = Link::new(peer.addr());
        let error = link.token(&mut client).expect_err("refused");
        assert!(
            matches!(
                error.failure(),
                Failure::Token(TokenError::OAuth(e))
                    if e.code == OAuthErrorCode::InvalidClient && e.status == 401
            ),
            "{name} {method:?}: {error:?}"
        );
        assert!(client.machine().is_halted(), "{name} {method:?}");
    }

    // A token without leaves.readonly: 403 naming the scope, no refresh.
    let narrow = peer.client(ClientRole::Narrow).expect("registered");
    let mut client = Client::new(&config(
        &peer,
        &narrow.id,
        &narrow.secret,
        ClientAuthMethod::RequestBody,
        "employees.readonly",
    ));
    let mut link = Link::new(peer.addr());
    let (status, class, attempt, generation) = link.get(&mut client, "/lucca-api/leaves");
    assert_eq!(status, 403, "{name}");
    assert!(
        matches!(&class, ApiResponseClass::MissingScope { required, .. } if required == &["leaves.readonly"]),
        "{name}: {class:?}"
    );
    assert_eq!((attempt, generation), (ApiAttempt::First, 1), "{name}");

    // A revoked token: 401, one new token, one retry.
    let mut client = Client::new(&config(
        &peer,
        &main.id,
        &main.secret,
        ClientAuthMethod::HttpBasic,
        "leaves.readonly",
    ));
    let mut link = Link::new(peer.addr());
    let token = link.token(&mut client).expect("token");
    peer.revoke(&token).expect("revoked");
    let (status, class, attempt, generation) = link.get(&mut client, "/lucca-api/leaves");
    assert_eq!(
        (status, class, attempt, generation),
        (
            200,
            ApiResponseClass::Success,
            ApiAttempt::RetryAfterRefresh,
            2
        ),
        "{name}"
    );
}

#[test]
fn oidc_provider() {
    if !peers_or_skip("lucca-auth-embedded interop oidc_provider") {
        return;
    }
    run(PeerKind::OidcProvider);
}

#[test]
fn authlib() {
    if !peers_or_skip("lucca-auth-embedded interop authlib") {
        return;
    }
    run(PeerKind::Authlib);
}
