//! The peers themselves, driven with a plain HTTP client (ureq) and raw sockets, not with
//! lucca-auth: every behaviour `README.md` tabulates is asserted here with its exact value.
//!
//! Each test starts its own peer (a fresh token store, its own lifetime) and stops it on
//! drop. The tests skip loudly when node, npm or python3 are missing, except under CI=true.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use lucca_auth_interop::{
    ClientRole, Peer, PeerClient, PeerConfig, PeerKind, RESOURCE_PATH, TOKEN_PATH,
    basic_authorization, form_body, peer_or_skip,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Driving the peers
// ---------------------------------------------------------------------------------------

fn start(kind: PeerKind) -> Peer {
    start_with(kind, PeerConfig::default())
}

fn start_with(kind: PeerKind, config: PeerConfig) -> Peer {
    Peer::start(kind, config).unwrap_or_else(|e| panic!("starting the {kind} peer: {e}"))
}

/// How a token request authenticates the client.
enum Auth<'a> {
    /// `client_secret_post`.
    Body(&'a str, &'a str),
    /// `client_secret_basic`, form-encoded then base64.
    Basic(&'a str, &'a str),
    /// Both at once, with the same credentials.
    Both(&'a str, &'a str),
    /// An `Authorization` header value sent as given.
    RawHeader(String),
}

struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn challenges(&self) -> Vec<String> {
        self.headers
            .get_all("www-authenticate")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn access_token(&self) -> String {
        assert_eq!(self.status, 200, "token request failed: {}", self.body);
        match self.json().get("access_token") {
            Some(Value::String(token)) if !token.is_empty() => token.clone(),
            other => panic!("no access_token: {other:?}"),
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn read(response: ureq::http::Response<ureq::Body>) -> Reply {
    let (parts, mut body) = response.into_parts();
    let body = body
        .read_to_string()
        .unwrap_or_else(|e| panic!("reading the body: {e}"));
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

fn token_request(peer: &Peer, auth: Auth<'_>, scope: Option<&str>) -> Reply {
    let mut pairs = vec![("grant_type", "client_credentials")];
    let mut header = None;
    match auth {
        Auth::Body(id, secret) => pairs.extend([("client_id", id), ("client_secret", secret)]),
        Auth::Basic(id, secret) => header = Some(basic_authorization(id, secret)),
        Auth::Both(id, secret) => {
            pairs.extend([("client_id", id), ("client_secret", secret)]);
            header = Some(basic_authorization(id, secret));
        }
        Auth::RawHeader(value) => header = Some(value),
    }
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    let mut request = agent()
        .post(peer.token_url())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json");
    if let Some(value) = header {
        request = request.header("Authorization", value);
    }
    read(
        request
            .send(form_body(&pairs))
            .unwrap_or_else(|e| panic!("token request to {}: {e}", peer.kind())),
    )
}

fn token_for(peer: &Peer, client: &PeerClient, scope: Option<&str>) -> String {
    token_request(peer, Auth::Body(&client.id, &client.secret), scope).access_token()
}

fn resource(peer: &Peer, authorization: Option<&str>) -> Reply {
    let mut request = agent().get(peer.resource_url());
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    read(
        request
            .call()
            .unwrap_or_else(|e| panic!("resource request to {}: {e}", peer.kind())),
    )
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn client(peer: &Peer, role: ClientRole) -> PeerClient {
    peer.client(role)
        .cloned()
        .unwrap_or_else(|| panic!("{} registers no {role:?} client", peer.kind()))
}

/// One raw HTTP/1.1 exchange: the exact status line and header lines as the peer wrote
/// them, the body, and whether the peer closed the connection after the response.
struct RawReply {
    status_line: String,
    header_lines: Vec<String>,
    body: String,
    closed_by_peer: bool,
}

fn raw_exchange(peer: &Peer, request: &str) -> RawReply {
    let mut stream = TcpStream::connect(peer.addr()).unwrap_or_else(|e| panic!("connect: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, body_len, head_len) = loop {
        let n = stream
            .read(&mut chunk)
            .unwrap_or_else(|e| panic!("read: {e}"));
        assert!(n > 0, "connection closed before a full response head");
        received.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head =
                String::from_utf8_lossy(received.get(..end).unwrap_or_default()).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("no Content-Length in {head}"));
            break (head, length, end + 4);
        }
    };
    while received.len() < head_len + body_len {
        let n = stream
            .read(&mut chunk)
            .unwrap_or_else(|e| panic!("read: {e}"));
        assert!(n > 0, "connection closed inside the body");
        received.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let body = String::from_utf8_lossy(received.get(head_len..).unwrap_or_default()).into_owned();
    // Does the peer close the connection by itself? Node keeps it for 5 s; wait 1.5 s.
    stream
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap_or_else(|e| panic!("{e}"));
    let closed_by_peer = match stream.read(&mut chunk) {
        Ok(0) => true,
        Ok(n) => panic!("{n} unexpected bytes after the response"),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(e) if e.kind() == ErrorKind::ConnectionReset => true,
        Err(e) => panic!("read after the response: {e}"),
    };
    let mut lines = head.split("\r\n").map(str::to_owned);
    let status_line = lines.next().unwrap_or_default();
    RawReply {
        status_line,
        header_lines: lines.collect(),
        body,
        closed_by_peer,
    }
}

impl RawReply {
    /// The header lines whose name is `name` (compared case-insensitively), exactly as sent.
    fn lines_named(&self, name: &str) -> Vec<&str> {
        self.header_lines
            .iter()
            .filter(|l| {
                l.split(':')
                    .next()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .map(String::as_str)
            .collect()
    }
}

fn raw_token_request(peer: &Peer, body: &str, extra_headers: &str) -> String {
    format!(
        "POST {TOKEN_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{extra_headers}\r\n{body}",
        peer.port(),
        body.len(),
    )
}

const AUTHLIB_CLIENT_AUTH_FAILED: &str =
    "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post']";
const AUTHLIB_INVALID_TOKEN: &str =
    "The access token provided is expired, revoked, malformed, or invalid for other reasons.";

// ---------------------------------------------------------------------------------------
// Token endpoint
// ---------------------------------------------------------------------------------------

/// Body auth works, also for a client registered with `client_secret_basic`.
fn token_via_body(kind: PeerKind) {
    let peer = start(kind);
    let main = peer.main_client().clone();
    let reply = token_request(
        &peer,
        Auth::Body(&main.id, &main.secret),
        Some("leaves.readonly employees.readonly"),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json.get("token_type"), Some(&Value::from("Bearer")));
    assert_eq!(json.get("expires_in"), Some(&Value::from(3600)));
    assert_eq!(
        json.get("scope"),
        Some(&Value::from("leaves.readonly employees.readonly"))
    );
    assert_eq!(json.get("refresh_token"), None);
    let content_type = match kind {
        PeerKind::OidcProvider => "application/json; charset=utf-8",
        PeerKind::Authlib => "application/json",
    };
    assert_eq!(reply.header("content-type"), Some(content_type));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let pragma = match kind {
        PeerKind::OidcProvider => None,
        PeerKind::Authlib => Some("no-cache"),
    };
    assert_eq!(reply.header("pragma"), pragma);

    let token = reply.access_token();
    let ok = resource(&peer, Some(&bearer(&token)));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        ok.json().get("clientId"),
        Some(&Value::from("interop-main"))
    );

    // interop-special is registered with client_secret_basic.
    let special = client(&peer, ClientRole::Special);
    assert_eq!(
        special.registered_auth_method,
        lucca_auth_interop::AuthMethod::HttpBasic
    );
    let reply = token_request(&peer, Auth::Body(&special.id, &special.secret), None);
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// Basic auth works, also for a client registered with `client_secret_post`.
fn token_via_basic(kind: PeerKind) {
    let peer = start(kind);
    let main = peer.main_client().clone();
    assert_eq!(
        main.registered_auth_method,
        lucca_auth_interop::AuthMethod::RequestBody
    );
    let reply = token_request(
        &peer,
        Auth::Basic(&main.id, &main.secret),
        Some("leaves.readonly"),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json().get("scope"),
        Some(&Value::from("leaves.readonly"))
    );
    let token = reply.access_token();
    assert_eq!(resource(&peer, Some(&bearer(&token))).status, 200);
}

/// The printable-ASCII special secret works with both methods on both peers; the
/// non-ASCII one works on Authlib and cannot exist on oidc-provider.
fn special_character_secrets(kind: PeerKind) {
    let peer = start(kind);
    let special = client(&peer, ClientRole::Special);
    for secret_char in [':', '+', ' ', '/', '%', '&', '='] {
        assert!(
            special.secret.contains(secret_char),
            "{secret_char:?} missing from the special secret"
        );
    }
    for auth in [
        Auth::Body(&special.id, &special.secret),
        Auth::Basic(&special.id, &special.secret),
    ] {
        let reply = token_request(&peer, auth, Some("leaves.readonly"));
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            resource(&peer, Some(&bearer(&reply.access_token()))).status,
            200
        );
    }

    let utf8_secret = "p:a+s s/%&=é€";
    match kind {
        PeerKind::Authlib => {
            let utf8 = client(&peer, ClientRole::SpecialUtf8);
            assert_eq!(utf8.secret, utf8_secret);
            for auth in [
                Auth::Body(&utf8.id, &utf8.secret),
                Auth::Basic(&utf8.id, &utf8.secret),
            ] {
                let reply = token_request(&peer, auth, Some("leaves.readonly"));
                assert_eq!(reply.status, 200, "{}", reply.body);
            }
        }
        PeerKind::OidcProvider => {
            assert!(peer.client(ClientRole::SpecialUtf8).is_none());
            // A non-ASCII secret in Basic is refused before any client lookup ...
            let reply = token_request(&peer, Auth::Basic("interop-main", utf8_secret), None);
            assert_eq!(reply.status, 400);
            assert_eq!(
                reply.body,
                r#"{"error":"invalid_request","error_description":"client_id and client_secret in the authorization header are not properly encoded"}"#
            );
            // ... and in the body it is just a wrong secret.
            let reply = token_request(&peer, Auth::Body("interop-main", utf8_secret), None);
            assert_eq!(reply.status, 401);
            assert_eq!(
                reply.body,
                r#"{"error":"invalid_client","error_description":"client authentication failed"}"#
            );
        }
    }
}

/// Basic credentials sent without form-encoding them first.
fn unencoded_basic_credentials(kind: PeerKind) {
    let peer = start(kind);
    let special = client(&peer, ClientRole::Special);
    let raw = format!("{}:{}", special.id, special.secret);
    let header = format!("Basic {}", base64_plain(raw.as_bytes()));
    let reply = token_request(&peer, Auth::RawHeader(header), None);
    match kind {
        PeerKind::OidcProvider => {
            assert_eq!(reply.status, 400);
            assert_eq!(
                reply.body,
                r#"{"error":"invalid_request","error_description":"client_id and client_secret in the authorization header are not properly encoded"}"#
            );
        }
        // Authlib percent-decodes leniently (`%&` stays as is, `+` stays a plus).
        PeerKind::Authlib => assert_eq!(reply.status, 200, "{}", reply.body),
    }
}

fn base64_plain(input: &[u8]) -> String {
    // basic_authorization() encodes first; this one must not.
    let header = basic_authorization("", "");
    assert_eq!(header, "Basic Og==");
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            let index = usize::try_from((n >> shift) & 0x3f).unwrap_or(0);
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[index])
            } else {
                '='
            });
        }
    }
    out
}

fn wrong_secret(kind: PeerKind) {
    let peer = start(kind);
    let body = token_request(&peer, Auth::Body("interop-main", "wrong"), None);
    let basic = token_request(&peer, Auth::Basic("interop-main", "wrong"), None);
    assert_eq!((body.status, basic.status), (401, 401));
    match kind {
        PeerKind::OidcProvider => {
            let expected =
                r#"{"error":"invalid_client","error_description":"client authentication failed"}"#;
            assert_eq!(
                (body.body.as_str(), basic.body.as_str()),
                (expected, expected)
            );
            assert_eq!(body.challenges(), Vec::<String>::new());
            assert_eq!(
                basic.challenges(),
                [format!(
                    r#"Basic realm="{}", error="invalid_client", error_description="client authentication failed""#,
                    peer.base_url()
                )]
            );
        }
        PeerKind::Authlib => {
            let expected = format!(
                r#"{{"error": "invalid_client", "error_description": "{AUTHLIB_CLIENT_AUTH_FAILED}"}}"#
            );
            assert_eq!(
                (body.body.as_str(), basic.body.as_str()),
                (expected.as_str(), expected.as_str())
            );
            let challenge = format!(
                r#"Basic error="invalid_client", error_description="{AUTHLIB_CLIENT_AUTH_FAILED}""#
            );
            assert_eq!(body.challenges(), std::slice::from_ref(&challenge));
            assert_eq!(basic.challenges(), [challenge]);
        }
    }
}

fn unknown_client(kind: PeerKind) {
    let peer = start(kind);
    let body = token_request(&peer, Auth::Body("nobody", "wrong"), None);
    let basic = token_request(&peer, Auth::Basic("nobody", "wrong"), None);
    match kind {
        PeerKind::OidcProvider => {
            let expected =
                r#"{"error":"invalid_client","error_description":"client authentication failed"}"#;
            assert_eq!((body.status, body.body.as_str()), (401, expected));
            assert_eq!((basic.status, basic.body.as_str()), (401, expected));
            assert_eq!(body.challenges(), Vec::<String>::new());
            assert_eq!(basic.challenges().len(), 1);
        }
        PeerKind::Authlib => {
            let expected = r#"{"error": "invalid_client", "error_description": "The client does not exist on this server."}"#;
            assert_eq!((body.status, body.body.as_str()), (400, expected));
            assert_eq!((basic.status, basic.body.as_str()), (401, expected));
            assert_eq!(body.challenges(), Vec::<String>::new());
            assert_eq!(
                basic.challenges(),
                [
                    r#"Basic error="invalid_client", error_description="The client does not exist on this server.""#
                ]
            );
        }
    }
}

/// A scope the server knows but the client may not have.
fn scope_the_client_may_not_have(kind: PeerKind) {
    let peer = start(kind);
    let narrow = client(&peer, ClientRole::Narrow);
    assert_eq!(narrow.scopes, ["employees.readonly"]);
    let only = token_request(
        &peer,
        Auth::Body(&narrow.id, &narrow.secret),
        Some("leaves.readonly"),
    );
    let mixed = token_request(
        &peer,
        Auth::Body(&narrow.id, &narrow.secret),
        Some("leaves.readonly employees.readonly"),
    );
    match kind {
        PeerKind::OidcProvider => {
            let expected = r#"{"error":"invalid_scope","error_description":"requested scope is not allowed","scope":"leaves.readonly"}"#;
            assert_eq!((only.status, only.body.as_str()), (400, expected));
            assert_eq!((mixed.status, mixed.body.as_str()), (400, expected));
        }
        PeerKind::Authlib => {
            // Dropped silently; nothing left means no `scope` member at all.
            assert_eq!(only.status, 200, "{}", only.body);
            assert_eq!(only.json().get("scope"), None);
            assert_eq!(mixed.status, 200, "{}", mixed.body);
            assert_eq!(
                mixed.json().get("scope"),
                Some(&Value::from("employees.readonly"))
            );
        }
    }
}

/// A scope the server has never heard of.
fn unknown_scope(kind: PeerKind) {
    let peer = start(kind);
    let main = peer.main_client().clone();
    let mixed = token_request(
        &peer,
        Auth::Body(&main.id, &main.secret),
        Some("leaves.readonly bogus.scope"),
    );
    let only = token_request(
        &peer,
        Auth::Body(&main.id, &main.secret),
        Some("bogus.scope"),
    );
    match kind {
        PeerKind::OidcProvider => {
            assert_eq!(mixed.status, 200, "{}", mixed.body);
            assert_eq!(
                mixed.json().get("scope"),
                Some(&Value::from("leaves.readonly"))
            );
            assert_eq!(only.status, 200, "{}", only.body);
            assert_eq!(only.json().get("scope"), None);
        }
        PeerKind::Authlib => {
            let expected = r#"{"error": "invalid_scope", "error_description": "The requested scope is invalid, unknown, or malformed."}"#;
            assert_eq!((mixed.status, mixed.body.as_str()), (400, expected));
            assert_eq!((only.status, only.body.as_str()), (400, expected));
        }
    }
}

/// No `scope` parameter: a token without `scope`, useless at the resource.
fn no_scope(kind: PeerKind) {
    let peer = start(kind);
    let main = peer.main_client().clone();
    let reply = token_request(&peer, Auth::Body(&main.id, &main.secret), None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json().get("scope"), None);
    assert_eq!(reply.json().get("expires_in"), Some(&Value::from(3600)));
    let denied = resource(&peer, Some(&bearer(&reply.access_token())));
    assert_eq!(denied.status, 403);
}

fn basic_and_body_together(kind: PeerKind) {
    let peer = start(kind);
    let main = peer.main_client().clone();
    let reply = token_request(&peer, Auth::Both(&main.id, &main.secret), None);
    match kind {
        PeerKind::OidcProvider => {
            assert_eq!(reply.status, 400);
            assert_eq!(
                reply.body,
                r#"{"error":"invalid_request","error_description":"client authentication must only be provided using one mechanism"}"#
            );
        }
        PeerKind::Authlib => assert_eq!(reply.status, 200, "{}", reply.body),
    }
}

// ---------------------------------------------------------------------------------------
// Token lifetime and revocation
// ---------------------------------------------------------------------------------------

fn invalid_token_challenge(peer: &Peer) -> String {
    match peer.kind() {
        PeerKind::OidcProvider => format!(
            r#"Bearer realm="{}", error="invalid_token", error_description="invalid token provided""#,
            peer.base_url()
        ),
        PeerKind::Authlib => {
            format!(r#"Bearer error="invalid_token", error_description="{AUTHLIB_INVALID_TOKEN}""#)
        }
    }
}

fn short_lifetime_expiry(kind: PeerKind) {
    let config = PeerConfig {
        token_lifetime: Duration::from_secs(2),
        ..PeerConfig::default()
    };
    let peer = start_with(kind, config);
    let main = peer.main_client().clone();
    let reply = token_request(
        &peer,
        Auth::Body(&main.id, &main.secret),
        Some("leaves.readonly"),
    );
    assert_eq!(reply.json().get("expires_in"), Some(&Value::from(2)));
    let token = reply.access_token();
    assert_eq!(resource(&peer, Some(&bearer(&token))).status, 200);

    std::thread::sleep(Duration::from_millis(3100));
    let expired = resource(&peer, Some(&bearer(&token)));
    assert_eq!(expired.status, 401);
    assert_eq!(expired.challenges(), [invalid_token_challenge(&peer)]);

    let fresh = token_for(&peer, &main, Some("leaves.readonly"));
    assert_ne!(fresh, token);
    assert_eq!(resource(&peer, Some(&bearer(&fresh))).status, 200);
}

/// oidc-provider accepts a token for `clockTolerance` seconds past `exp`; Authlib does not.
fn clock_tolerance(kind: PeerKind) {
    let config = PeerConfig {
        token_lifetime: Duration::from_secs(1),
        clock_tolerance: Duration::from_secs(4),
        ..PeerConfig::default()
    };
    let peer = start_with(kind, config);
    let main = peer.main_client().clone();
    let issued = std::time::Instant::now();
    let token = token_for(&peer, &main, Some("leaves.readonly"));
    // exp is whole seconds on oidc-provider: past at most 1 s after issue.
    std::thread::sleep(Duration::from_millis(2500).saturating_sub(issued.elapsed()));
    let within = resource(&peer, Some(&bearer(&token)));
    let expected = match kind {
        PeerKind::OidcProvider => 200,
        PeerKind::Authlib => 401,
    };
    assert_eq!(within.status, expected, "{}", within.body);
    std::thread::sleep(Duration::from_millis(6000).saturating_sub(issued.elapsed()));
    let past = resource(&peer, Some(&bearer(&token)));
    assert_eq!(past.status, 401);
    assert_eq!(past.challenges(), [invalid_token_challenge(&peer)]);
}

fn revoked_token(kind: PeerKind) {
    let peer = start(kind);
    let main = peer.main_client().clone();
    let token = token_for(&peer, &main, Some("leaves.readonly"));
    assert_eq!(resource(&peer, Some(&bearer(&token))).status, 200);
    peer.revoke(&token)
        .unwrap_or_else(|e| panic!("revoke: {e}"));
    let revoked = resource(&peer, Some(&bearer(&token)));
    assert_eq!(revoked.status, 401);
    assert_eq!(revoked.challenges(), [invalid_token_challenge(&peer)]);

    let fresh = token_for(&peer, &main, Some("leaves.readonly"));
    assert_eq!(resource(&peer, Some(&bearer(&fresh))).status, 200);
    // RFC 7009: an unknown token is not an error.
    peer.revoke("no-such-token")
        .unwrap_or_else(|e| panic!("revoke: {e}"));
}

/// The revocation endpoint's own answer, and revoking with a token of another client.
fn revocation_response(kind: PeerKind) {
    let peer = start(kind);
    let narrow = client(&peer, ClientRole::Narrow);
    let token = token_for(&peer, &narrow, Some("employees.readonly"));
    let main = peer.main_client().clone();
    let reply = read(
        agent()
            .post(peer.revocation_url())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Authorization", basic_authorization(&main.id, &main.secret))
            .send(form_body(&[("token", &token)]))
            .unwrap_or_else(|e| panic!("revocation request: {e}")),
    );
    assert_eq!(reply.status, 200);
    let (content_type, body) = match kind {
        PeerKind::OidcProvider => ("text/plain; charset=utf-8", ""),
        PeerKind::Authlib => ("application/json", "{}"),
    };
    assert_eq!(
        (reply.header("content-type"), reply.body.as_str()),
        (Some(content_type), body)
    );
    // The narrow client's token was revoked by the main client.
    assert_eq!(resource(&peer, Some(&bearer(&token))).status, 401);
}

// ---------------------------------------------------------------------------------------
// Protected resource
// ---------------------------------------------------------------------------------------

fn missing_scope_is_403_naming_it(kind: PeerKind) {
    let peer = start(kind);
    let narrow = client(&peer, ClientRole::Narrow);
    let token = token_for(&peer, &narrow, Some("employees.readonly"));
    let reply = resource(&peer, Some(&bearer(&token)));
    assert_eq!(reply.status, 403);
    let (challenge, body) = match kind {
        PeerKind::OidcProvider => (
            format!(
                r#"Bearer realm="{}", error="insufficient_scope", error_description="access token missing required scope", scope="leaves.readonly""#,
                peer.base_url()
            ),
            r#"{"error":"insufficient_scope","error_description":"access token missing required scope"}"#,
        ),
        PeerKind::Authlib => (
            r#"Bearer error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token.", scope="leaves.readonly""#.to_owned(),
            r#"{"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token."}"#,
        ),
    };
    assert_eq!(reply.challenges(), [challenge]);
    assert_eq!(reply.body, body);
}

fn no_credentials_at_resource(kind: PeerKind) {
    let peer = start(kind);
    let reply = resource(&peer, None);
    assert_eq!(reply.status, 401);
    let (challenge, body) = match kind {
        PeerKind::OidcProvider => (
            format!(r#"Bearer realm="{}""#, peer.base_url()),
            r#"{"error":"invalid_token","error_description":"invalid token provided"}"#,
        ),
        PeerKind::Authlib => (
            r#"bearer error="missing_authorization", error_description="Missing 'Authorization' in headers.""#.to_owned(),
            r#"{"error": "missing_authorization", "error_description": "Missing 'Authorization' in headers."}"#,
        ),
    };
    assert_eq!(reply.challenges(), [challenge]);
    assert_eq!(reply.body, body);
}

fn unknown_token_at_resource(kind: PeerKind) {
    let peer = start(kind);
    let reply = resource(&peer, Some("Bearer no-such-token"));
    assert_eq!(reply.status, 401);
    assert_eq!(reply.challenges(), [invalid_token_challenge(&peer)]);
}

fn other_scheme_at_resource(kind: PeerKind) {
    let peer = start(kind);
    let reply = resource(&peer, Some("Basic Zm9vOmJhcg=="));
    assert_eq!(reply.status, 401);
    let (challenge, body) = match kind {
        PeerKind::OidcProvider => (format!(r#"Bearer realm="{}""#, peer.base_url()), None),
        PeerKind::Authlib => (
            r#"bearer error="unsupported_token_type", error_description="""#.to_owned(),
            Some(r#"{"error": "unsupported_token_type"}"#),
        ),
    };
    assert_eq!(reply.challenges(), [challenge]);
    if let Some(body) = body {
        assert_eq!(reply.body, body);
    }
}

// ---------------------------------------------------------------------------------------
// HTTP-level behaviour
// ---------------------------------------------------------------------------------------

fn error_body_formats(kind: PeerKind) {
    let peer = start(kind);
    let get_token = read(
        agent()
            .get(peer.token_url())
            .call()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let nowhere = read(
        agent()
            .get(format!("{}/nowhere", peer.base_url()))
            .call()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    match kind {
        PeerKind::OidcProvider => {
            for reply in [&get_token, &nowhere] {
                assert_eq!(reply.status, 404);
                assert_eq!(
                    reply.header("content-type"),
                    Some("text/plain; charset=utf-8")
                );
                assert_eq!(reply.body, "Not Found");
            }
        }
        PeerKind::Authlib => {
            assert_eq!(get_token.status, 405);
            // Werkzeug lists the methods in no fixed order.
            let mut allow: Vec<&str> = get_token
                .header("allow")
                .unwrap_or_default()
                .split(", ")
                .collect();
            allow.sort_unstable();
            assert_eq!(allow, ["OPTIONS", "POST"]);
            assert!(
                get_token
                    .body
                    .contains("<title>405 Method Not Allowed</title>"),
                "{}",
                get_token.body
            );
            assert_eq!(nowhere.status, 404);
            assert!(
                nowhere.body.contains("<title>404 Not Found</title>"),
                "{}",
                nowhere.body
            );
            for reply in [&get_token, &nowhere] {
                assert_eq!(
                    reply.header("content-type"),
                    Some("text/html; charset=utf-8")
                );
            }
        }
    }
    // A JSON body instead of a form.
    let main = peer.main_client().clone();
    let json = read(
        agent()
            .post(peer.token_url())
            .header("Content-Type", "application/json")
            .header("Authorization", basic_authorization(&main.id, &main.secret))
            .send(r#"{"grant_type":"client_credentials"}"#)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let expected = match kind {
        PeerKind::OidcProvider => {
            r#"{"error":"invalid_request","error_description":"only application/x-www-form-urlencoded content-type bodies are supported on POST /connect/token"}"#
        }
        PeerKind::Authlib => r#"{"error": "unsupported_grant_type"}"#,
    };
    assert_eq!((json.status, json.body.as_str()), (400, expected));
}

fn connection_handling(kind: PeerKind) {
    let peer = start(kind);
    let main = peer.main_client().clone();
    let ok_body = form_body(&[
        ("grant_type", "client_credentials"),
        ("client_id", &main.id),
        ("client_secret", &main.secret),
    ]);
    // HTTP/1.1 with an explicit keep-alive wish.
    let ok = raw_exchange(
        &peer,
        &raw_token_request(&peer, &ok_body, "Connection: keep-alive\r\n"),
    );
    let bad = raw_exchange(
        &peer,
        &raw_token_request(&peer, "grant_type=client_credentials&client_id=x", ""),
    );
    match kind {
        PeerKind::OidcProvider => {
            assert_eq!(ok.status_line, "HTTP/1.1 200 OK");
            assert_eq!(bad.status_line, "HTTP/1.1 401 Unauthorized");
            assert_eq!(ok.lines_named("connection"), ["Connection: keep-alive"]);
            assert_eq!(ok.lines_named("keep-alive"), ["Keep-Alive: timeout=5"]);
            assert_eq!(ok.lines_named("cache-control"), ["cache-control: no-store"]);
            assert_eq!(ok.lines_named("pragma"), Vec::<&str>::new());
            assert!(!ok.closed_by_peer && !bad.closed_by_peer);
        }
        PeerKind::Authlib => {
            assert_eq!(ok.status_line, "HTTP/1.1 200 OK");
            assert_eq!(bad.status_line, "HTTP/1.1 401 UNAUTHORIZED");
            assert_eq!(ok.lines_named("connection"), ["Connection: close"]);
            assert_eq!(bad.lines_named("connection"), ["Connection: close"]);
            assert_eq!(ok.lines_named("cache-control"), ["Cache-Control: no-store"]);
            assert_eq!(ok.lines_named("pragma"), ["Pragma: no-cache"]);
            assert!(ok.closed_by_peer && bad.closed_by_peer);
        }
    }
    assert!(ok.body.contains("\"access_token\""), "{}", ok.body);
}

fn resource_path_is_the_lucca_one(kind: PeerKind) {
    let peer = start(kind);
    assert_eq!(
        peer.resource_url(),
        format!("http://127.0.0.1:{}{RESOURCE_PATH}", peer.port())
    );
    assert_eq!(
        peer.token_url(),
        format!("http://127.0.0.1:{}/connect/token", peer.port())
    );
    assert_eq!(peer.kind(), kind);
    // Two peers of one kind run side by side on different ports.
    let other = start(kind);
    assert_ne!(other.port(), peer.port());
    let port = other.port();
    drop(other);
    // Dropping a peer stops its server.
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port {port} still accepts connections"
    );
}

// ---------------------------------------------------------------------------------------

macro_rules! peer_tests {
    ($($name:ident),* $(,)?) => {
        mod oidc_provider {
            $(
                #[test]
                fn $name() {
                    if super::peer_or_skip(super::PeerKind::OidcProvider, concat!("oidc_provider::", stringify!($name))) {
                        super::$name(super::PeerKind::OidcProvider);
                    }
                }
            )*
        }
        mod authlib {
            $(
                #[test]
                fn $name() {
                    if super::peer_or_skip(super::PeerKind::Authlib, concat!("authlib::", stringify!($name))) {
                        super::$name(super::PeerKind::Authlib);
                    }
                }
            )*
        }
    };
}

peer_tests!(
    token_via_body,
    token_via_basic,
    special_character_secrets,
    unencoded_basic_credentials,
    wrong_secret,
    unknown_client,
    scope_the_client_may_not_have,
    unknown_scope,
    no_scope,
    basic_and_body_together,
    short_lifetime_expiry,
    clock_tolerance,
    revoked_token,
    revocation_response,
    missing_scope_is_403_naming_it,
    no_credentials_at_resource,
    unknown_token_at_resource,
    other_scheme_at_resource,
    error_body_formats,
    connection_handling,
    resource_path_is_the_lucca_one,
);
