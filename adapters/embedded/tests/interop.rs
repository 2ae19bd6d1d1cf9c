//! The blocking driver against two independent authorization servers over real TCP
//! (`std::net::TcpStream` through `FromStd`): Node's oidc-provider, which keeps connections
//! alive, and Python's Authlib on Werkzeug, which closes every connection after its answer —
//! so every reconnect path runs. The scenarios of `tests/interop/tests/ureq.rs`, with the
//! same exact answers from each peer (its `common` module, the rows of
//! `tests/interop/README.md`'s table, is shared rather than copied): tokens with body and
//! Basic client authentication, special-character secrets, every refusal of the token
//! endpoint with its exact status and description, scopes the peer narrows or refuses, no
//! scope at all, expiry and refresh with 3-second tokens, a revoked token (401 → new token →
//! retry) and a missing scope (403 naming it). ureq's 16 threads sharing one client has no
//! counterpart: the embedded client is used through `&mut`.
//!
//! One peer of each kind serves every test of this binary; the expiry test runs its own
//! short-lifetime peer. Tests skip loudly when node or python3 are missing, and fail instead
//! under `CI=true`.

#[path = "../../../tests/interop/tests/common/mod.rs"]
mod peers;

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use embedded_io_adapters::std::FromStd;
use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::config::{ClientAuthMethod, LuccaConfig};
use lucca_auth::machine::CachedToken;
use lucca_auth::scope::Scopes;
use lucca_auth::time::Instant;
use lucca_auth::token_response::{OAuthErrorCode, TokenError};
use lucca_auth_embedded::{ApiRequest, Buffers, Client, Connections, Error, Failure};
use lucca_auth_interop::{ClientRole, Peer, PeerKind, RESOURCE_PATH, RESOURCE_SCOPE};
use peers::{
    METHODS, UTF8_SECRET, WRONG_SECRET, client, client_config, config, oauth, oauth_parts,
    shared_peer, start_with_lifetime,
};

/// A client of the embedded adapter with the caller's two connections (both to the peer
/// here), reopened when a result says so, and a monotonic clock from the client's creation.
struct Device {
    client: Client,
    requested: Scopes,
    addr: SocketAddr,
    token_conn: FromStd<TcpStream>,
    api_conn: FromStd<TcpStream>,
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

/// What a token call gave: the token's parts the tests compare.
#[derive(Debug)]
struct TokenSeen {
    access_token: String,
    generation: u64,
    lifetime: Duration,
    granted: String,
    scope_missing: bool,
    token_type_missing: bool,
}

impl TokenSeen {
    fn new(token: &CachedToken) -> Self {
        TokenSeen {
            access_token: token.access_token().secret().to_owned(),
            generation: token.generation().get(),
            lifetime: token.lifetime(),
            granted: token.granted().to_space_separated(),
            scope_missing: token.scope_missing(),
            token_type_missing: token.token_type_missing(),
        }
    }
}

/// What an API call gave.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    class: ApiResponseClass,
    attempt: ApiAttempt,
    generation: u64,
    body: Vec<u8>,
}

impl Device {
    fn new(peer: &Peer, config: &LuccaConfig) -> Self {
        Device {
            client: Client::new(config),
            requested: config.scopes.clone(),
            addr: peer.addr(),
            token_conn: open(peer.addr()),
            api_conn: open(peer.addr()),
            reconnects: 0,
            started: StdInstant::now(),
        }
    }

    fn now(&self) -> Instant {
        Instant::from_millis(u64::try_from(self.started.elapsed().as_millis()).expect("fits"))
    }

    fn follow(&mut self, connections: Connections) {
        if connections.must_reconnect_token() {
            self.token_conn = open(self.addr);
            self.reconnects += 1;
        }
        if connections.must_reconnect_api() {
            self.api_conn = open(self.addr);
            self.reconnects += 1;
        }
    }

    fn try_token(&mut self) -> Result<TokenSeen, Error> {
        let (mut request_buf, mut response_buf) = ([0u8; 2048], [0u8; 8192]);
        let now = self.now();
        let result = self
            .client
            .token(
                now,
                &mut self.token_conn,
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .map(|ready| (TokenSeen::new(ready.token()), ready.connection()));
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

    fn token(&mut self) -> TokenSeen {
        self.try_token()
            .unwrap_or_else(|e| panic!("no token: {e} ({e:?})"))
    }

    /// The token endpoint's refusal.
    fn token_error(&mut self) -> TokenError {
        match self.try_token() {
            Err(error) => match error.failure() {
                Failure::Token(error) => error.clone(),
                other => panic!("not a token error: {other:?}"),
            },
            Ok(token) => panic!("a token was issued: {token:?}"),
        }
    }

    /// `GET path`, resent after reconnecting when a 401's retry needs it.
    fn try_get(&mut self, path: &str) -> Result<Answer, Error> {
        let (mut request_buf, mut response_buf) = ([0u8; 2048], [0u8; 8192]);
        let mut request = ApiRequest::get(path);
        for _ in 0..3 {
            let now = self.now();
            let result = self
                .client
                .send_api(
                    now,
                    &mut self.token_conn,
                    &mut self.api_conn,
                    &mut request,
                    Buffers::new(&mut request_buf, &mut response_buf),
                )
                .map(|r| {
                    let answer = Answer {
                        status: r.status(),
                        class: r.class().clone(),
                        attempt: r.attempt(),
                        generation: r.token_generation().get(),
                        body: r.body().to_vec(),
                    };
                    (answer, r.connections())
                });
            match result {
                Ok((answer, connections)) => {
                    self.follow(connections);
                    return Ok(answer);
                }
                Err(error) if error.failure() == &Failure::ReconnectAndResend => {
                    self.follow(error.connections());
                }
                Err(error) => {
                    self.follow(error.connections());
                    return Err(error);
                }
            }
        }
        panic!("{path}: no answer after three sends")
    }

    fn leaves(&mut self) -> Answer {
        self.try_get(RESOURCE_PATH)
            .unwrap_or_else(|e| panic!("resource: {e} ({e:?})"))
    }

    /// The resource answers 200 with the client's id, on the first try or after one
    /// refresh.
    fn assert_resource_ok(&mut self, client_id: &str, attempt: ApiAttempt) -> u64 {
        let answer = self.leaves();
        assert_eq!(
            (answer.status, &answer.class, answer.attempt),
            (200, &ApiResponseClass::Success, attempt)
        );
        let body: serde_json::Value =
            serde_json::from_slice(&answer.body).expect("the resource answers JSON");
        assert_eq!(
            body.get("clientId"),
            Some(&serde_json::Value::from(client_id))
        );
        answer.generation
    }

    /// The requested scopes the token does not carry.
    fn not_granted(&self) -> String {
        let granted = self
            .client
            .machine()
            .current()
            .map(|token| token.granted().clone())
            .unwrap_or_default();
        self.requested.difference(&granted).to_space_separated()
    }
}

fn missing_scope(description: &str) -> ApiResponseClass {
    ApiResponseClass::MissingScope {
        required: vec![RESOURCE_SCOPE.to_owned()],
        description: Some(description.to_owned()),
    }
}

/// A refused client stays refused: halted, and an API call gets the same error without
/// using either connection.
fn assert_halted_with(device: &mut Device, error: &TokenError) {
    assert!(
        !error.is_retryable() && error.is_fatal_for_client(),
        "{error:?}"
    );
    assert!(device.client.machine().is_halted());
    let later = device.try_get(RESOURCE_PATH).expect_err("still refused");
    assert_eq!(
        (later.failure(), later.connections()),
        (&Failure::Halted(error.clone()), Connections::default())
    );
}

/// Body and Basic authentication of the main client: a one-hour token with every scope
/// asked for, which the resource accepts; Authlib closes every connection (the token's,
/// then the API's).
fn token_via_body_and_basic(kind: PeerKind) {
    let peer = shared_peer(kind);
    let main = peer.main_client();
    for method in METHODS {
        let config = client_config(peer, main, method, "leaves.readonly employees.readonly");
        let mut device = Device::new(peer, &config);
        let info = device.token();
        assert_eq!(info.generation, 1, "{method:?}");
        assert_eq!(info.lifetime, Duration::from_secs(3600), "{method:?}");
        assert_eq!(
            info.granted, "leaves.readonly employees.readonly",
            "{method:?}"
        );
        assert!(
            !info.scope_missing && !info.token_type_missing,
            "{method:?}"
        );
        assert_eq!(device.not_granted(), "", "{method:?}");
        // The API call uses the cached token.
        assert_eq!(device.assert_resource_ok(&main.id, ApiAttempt::First), 1);
        let expected_reconnects = if kind == PeerKind::Authlib { 2 } else { 0 };
        assert_eq!(device.reconnects, expected_reconnects, "{method:?}");
    }
}

/// `interop-special` (printable ASCII with `: + space / % & =` …) on both peers and
/// `interop-special-utf8` (`é€`) on Authlib, each with both methods.
fn special_character_secrets(kind: PeerKind) {
    let peer = shared_peer(kind);
    let mut roles = vec![ClientRole::Special];
    if kind == PeerKind::Authlib {
        roles.push(ClientRole::SpecialUtf8);
    }
    for role in roles {
        let special = client(peer, role);
        for method in METHODS {
            let mut device =
                Device::new(peer, &client_config(peer, &special, method, RESOURCE_SCOPE));
            let info = device.token();
            assert_eq!(info.generation, 1, "{role:?} {method:?}");
            assert_eq!(info.granted, RESOURCE_SCOPE, "{role:?} {method:?}");
            assert_eq!(device.assert_resource_ok(&special.id, ApiAttempt::First), 1);
        }
    }
}

/// oidc-provider cannot register a non-ASCII secret (RFC 6749 VSCHAR) and refuses one in
/// Basic before looking at the client; in the body it is a wrong secret. (Authlib accepts
/// it: `special_character_secrets`.)
#[test]
fn oidc_provider_non_ascii_secret() {
    let kind = PeerKind::OidcProvider;
    if !lucca_auth_interop::peer_or_skip(kind, "oidc_provider_non_ascii_secret") {
        return;
    }
    let peer = shared_peer(kind);
    assert!(peer.client(ClientRole::SpecialUtf8).is_none());
    let expected = [
        (
            ClientAuthMethod::RequestBody,
            oauth(
                OAuthErrorCode::InvalidClient,
                401,
                peers::OIDC_CLIENT_AUTH_FAILED,
            ),
        ),
        (
            ClientAuthMethod::HttpBasic,
            oauth(
                OAuthErrorCode::InvalidRequest,
                400,
                peers::OIDC_BASIC_NOT_ENCODED,
            ),
        ),
    ];
    for (method, error) in expected {
        let config = config(
            peer,
            &peer.main_client().id,
            UTF8_SECRET,
            method,
            RESOURCE_SCOPE,
        );
        let mut device = Device::new(peer, &config);
        assert_eq!(
            oauth_parts(&device.token_error()),
            Some(error),
            "{method:?}"
        );
    }
}

/// A wrong secret: `invalid_client` with 401 from both peers, with both methods; not
/// retryable, and nothing more is sent (the same error again).
fn wrong_secret(kind: PeerKind) {
    let peer = shared_peer(kind);
    for method in METHODS {
        let config = config(
            peer,
            &peer.main_client().id,
            WRONG_SECRET,
            method,
            RESOURCE_SCOPE,
        );
        let mut device = Device::new(peer, &config);
        let error = device.token_error();
        assert_eq!(
            oauth_parts(&error),
            Some(peers::wrong_secret_error(kind)),
            "{method:?}"
        );
        assert_halted_with(&mut device, &error);
    }
}

/// An unknown client: 401 from oidc-provider; 400 (body) or 401 (Basic) from Authlib.
fn unknown_client(kind: PeerKind) {
    let peer = shared_peer(kind);
    for method in METHODS {
        let config = config(peer, "nobody", WRONG_SECRET, method, RESOURCE_SCOPE);
        let mut device = Device::new(peer, &config);
        let error = device.token_error();
        assert_eq!(
            oauth_parts(&error),
            Some(peers::unknown_client_error(kind, method)),
            "{method:?}"
        );
        assert_halted_with(&mut device, &error);
    }
}

/// `interop-narrow` may only have `employees.readonly`. oidc-provider refuses
/// `leaves.readonly` with 400 `invalid_scope`; Authlib drops it silently: asked together
/// with an allowed scope, the token's `scope` leaves it out; asked alone, the answer has no
/// `scope` member at all, which RFC 6749 §5.1 reads as "as requested", and only the
/// resource's 403 tells.
fn scope_the_client_may_not_have(kind: PeerKind) {
    let peer = shared_peer(kind);
    let narrow = client(peer, ClientRole::Narrow);
    for method in METHODS {
        let mixed = client_config(peer, &narrow, method, "leaves.readonly employees.readonly");
        let only = client_config(peer, &narrow, method, "leaves.readonly");
        let (mut mixed, mut only) = (Device::new(peer, &mixed), Device::new(peer, &only));
        match kind {
            PeerKind::OidcProvider => {
                let expected = oauth(
                    OAuthErrorCode::InvalidScope,
                    400,
                    peers::OIDC_SCOPE_NOT_ALLOWED,
                );
                for device in [&mut mixed, &mut only] {
                    let error = device.token_error();
                    assert_eq!(oauth_parts(&error), Some(expected.clone()), "{method:?}");
                    assert_halted_with(device, &error);
                }
            }
            PeerKind::Authlib => {
                let info = mixed.token();
                assert_eq!(
                    (info.granted.as_str(), info.scope_missing),
                    ("employees.readonly", false)
                );
                assert_eq!(mixed.not_granted(), "leaves.readonly");
                let info = only.token();
                assert_eq!(
                    (info.granted.as_str(), info.scope_missing),
                    ("leaves.readonly", true)
                );
                assert_eq!(only.not_granted(), "");
                for device in [&mut mixed, &mut only] {
                    let answer = device.leaves();
                    assert_eq!(
                        (
                            answer.status,
                            answer.class,
                            answer.attempt,
                            answer.generation
                        ),
                        (
                            403,
                            missing_scope(peers::AUTHLIB_INSUFFICIENT_SCOPE),
                            ApiAttempt::First,
                            1
                        ),
                        "{method:?}"
                    );
                }
            }
        }
    }
}

/// A scope the server has never heard of: oidc-provider drops it silently (the token
/// leaves it out), Authlib refuses with 400 `invalid_scope`.
fn unknown_scope(kind: PeerKind) {
    let peer = shared_peer(kind);
    let main = peer.main_client();
    let config = client_config(
        peer,
        main,
        ClientAuthMethod::RequestBody,
        "leaves.readonly bogus.scope",
    );
    let mut device = Device::new(peer, &config);
    match kind {
        PeerKind::OidcProvider => {
            let info = device.token();
            assert_eq!(
                (info.granted.as_str(), info.scope_missing),
                ("leaves.readonly", false)
            );
            assert_eq!(device.not_granted(), "bogus.scope");
            assert_eq!(device.assert_resource_ok(&main.id, ApiAttempt::First), 1);
        }
        PeerKind::Authlib => {
            let error = device.token_error();
            assert_eq!(
                oauth_parts(&error),
                Some(oauth(
                    OAuthErrorCode::InvalidScope,
                    400,
                    peers::AUTHLIB_INVALID_SCOPE
                ))
            );
            assert_halted_with(&mut device, &error);
        }
    }
}

/// No scope at all: no `scope` parameter, a token without a `scope` member, and a 403
/// naming the resource's scope, which is no reason to refresh.
fn no_scope(kind: PeerKind) {
    let peer = shared_peer(kind);
    let main = peer.main_client();
    for method in METHODS {
        let config = client_config(peer, main, method, "");
        assert!(config.scopes.is_empty());
        let mut device = Device::new(peer, &config);
        let info = device.token();
        assert_eq!(
            (info.granted.as_str(), info.scope_missing, info.lifetime),
            ("", true, Duration::from_secs(3600)),
            "{method:?}"
        );
        assert_eq!(device.not_granted(), "", "{method:?}");
        let answer = device.leaves();
        assert_eq!(
            (
                answer.status,
                answer.class,
                answer.attempt,
                answer.generation
            ),
            (
                403,
                missing_scope(peers::insufficient_scope_description(kind)),
                ApiAttempt::First,
                1
            ),
            "{method:?}"
        );
        assert_eq!(
            device.token().generation,
            1,
            "a 403 is no reason to refresh"
        );
    }
}

/// 3-second tokens (margin 0.3 s: refresh due from 2.4 s, never handed out from 2.7 s),
/// API calls every 100 ms for 6 s: every call succeeds on its first try, exactly three
/// tokens are used (issued at about 0, 2.4 and 4.8 s), each with a lifetime of 3 s; the
/// first one is refused by the peer once expired.
fn expiry_and_refresh(kind: PeerKind) {
    let lifetime = Duration::from_secs(3);
    let peer = start_with_lifetime(kind, lifetime);
    let main = peer.main_client().clone();
    let config = client_config(&peer, &main, ClientAuthMethod::RequestBody, RESOURCE_SCOPE);
    let mut device = Device::new(&peer, &config);
    let first = device.token();
    assert_eq!((first.generation, first.lifetime), (1, lifetime));
    let mut generations = BTreeSet::new();
    while device.started.elapsed() < Duration::from_secs(6) {
        let generation = device.assert_resource_ok(&main.id, ApiAttempt::First);
        let info = device.token();
        assert_eq!((info.generation, info.lifetime), (generation, lifetime));
        let current = device.client.machine().current().expect("a token");
        assert!(current.is_usable(device.now()));
        generations.insert(generation);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(generations, BTreeSet::from([1, 2, 3]));
    // The first token is expired at the peer too (3 s, plus oidc-provider's 1 s tolerance).
    assert_eq!(status_with(peer.addr(), &first.access_token), 401);
}

/// The resource's status for `token`, sent by hand (not through lucca-auth).
fn status_with(addr: SocketAddr, token: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).expect("peer listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        stream,
        "GET {RESOURCE_PATH} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("answer read");
    let status = answer
        .strip_prefix(b"HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse().ok());
    status.unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&answer)))
}

/// A token revoked at the peer: the resource answers 401 `invalid_token`, the adapter drops
/// it, gets a second token and resends once, which succeeds — through Authlib's closed
/// connections too.
fn revoked_token_is_replaced_once(kind: PeerKind) {
    let peer = shared_peer(kind);
    let main = peer.main_client();
    for method in METHODS {
        let mut device = Device::new(peer, &client_config(peer, main, method, RESOURCE_SCOPE));
        assert_eq!(device.assert_resource_ok(&main.id, ApiAttempt::First), 1);
        let first = device.token();
        assert_eq!(first.generation, 1);
        peer.revoke(&first.access_token)
            .unwrap_or_else(|e| panic!("revoke: {e}"));
        assert_eq!(status_with(peer.addr(), &first.access_token), 401);
        assert_eq!(
            device.assert_resource_ok(&main.id, ApiAttempt::RetryAfterRefresh),
            2,
            "{method:?}"
        );
        let second = device.token();
        assert_eq!(second.generation, 2, "{method:?}");
        assert_ne!(second.access_token, first.access_token);
    }
}

/// A token without the resource's scope: 403, `MissingScope` naming `leaves.readonly` with
/// the peer's description, and no token refresh.
fn missing_scope_is_named(kind: PeerKind) {
    let peer = shared_peer(kind);
    let narrow = client(peer, ClientRole::Narrow);
    for method in METHODS {
        let config = client_config(peer, &narrow, method, "employees.readonly");
        let mut device = Device::new(peer, &config);
        let answer = device.leaves();
        assert_eq!(
            (
                answer.status,
                answer.class,
                answer.attempt,
                answer.generation
            ),
            (
                403,
                missing_scope(peers::insufficient_scope_description(kind)),
                ApiAttempt::First,
                1
            ),
            "{method:?}"
        );
        let info = device.token();
        assert_eq!(info.generation, 1, "no refresh after a 403");
        assert_eq!(info.granted, "employees.readonly");
    }
}

peer_tests!(
    token_via_body_and_basic,
    special_character_secrets,
    wrong_secret,
    unknown_client,
    scope_the_client_may_not_have,
    unknown_scope,
    no_scope,
    expiry_and_refresh,
    revoked_token_is_replaced_once,
    missing_scope_is_named,
);
