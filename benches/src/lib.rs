//! The workloads measured by `benches/core.rs` and counted by `tests/allocations.rs`: the
//! lucca-auth core's token request and response handling, the same exchange done by the
//! `oauth2` crate, a zero-copy floor, and the obvious serde way — all with the same inputs
//! (a realistic 1,200-character access token).
//!
//! Every operation is a `fn(&mut Workload) -> usize` in [`OPERATIONS`], so the benchmark and
//! the allocation count run exactly the same code. State that a real caller keeps between
//! requests (a reused body buffer, a token machine holding a valid token, a configured
//! `oauth2` client) lives in the [`Workload`] and is built once.

use core::cell::Cell;
use core::convert::Infallible;
use core::time::Duration;
use std::alloc::{GlobalAlloc, Layout, System};

use lucca_auth::api::write_bearer_authorization;
use lucca_auth::codec::{EMPTY_HEADER, Limits, ParseStatus, RequestHead, ResponseParser};
use lucca_auth::config::{ClientCredentials, UserAgent};
use lucca_auth::endpoint::TokenEndpoint;
use lucca_auth::machine::{TokenAction, TokenClient, TokenMachine, TokenOutcome};
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth::time::Instant;
use lucca_auth::token_request::TokenRequest;
use lucca_auth::token_response::{TokenError, TokenResponseOptions, parse_token_response};
use lucca_auth::www_authenticate::bearer_challenge;
use oauth2::basic::BasicClient;
use oauth2::{AuthType, EndpointNotSet, EndpointSet, TokenResponse as _};
use serde::{Deserialize, Serialize};

/// The client id, secret (the shared case B09's, with every character the form encoder
/// must escape) and scopes used everywhere.
pub const CLIENT_ID: &str = "demo-integration";
/// See [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "Ab+1/c=d&e%f";
/// See [`CLIENT_ID`].
pub const SCOPES: [&str; 2] = ["leaves.readwrite", "leave-requests.readonly"];

/// A realistic access token: a 1,200-character JWT (base64url header, payload, RS256
/// signature), deterministic.
#[must_use]
pub fn access_token() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let header = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjhDRjNBNkQ3IiwidHlwIjoiYXQrand0In0";
    let mut state: u32 = 0x2545_F491;
    let mut chars = |n: usize| -> String {
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                char::from(ALPHABET[(state >> 26) as usize])
            })
            .collect()
    };
    let signature = chars(342);
    let payload_len = 1200 - header.len() - signature.len() - 2;
    format!("{header}.{}.{signature}", chars(payload_len))
}

/// The token endpoint's answer body: the token, `Bearer`, 1800 s, and the requested scopes.
#[must_use]
pub fn token_body(token: &str, with_scope: bool) -> String {
    let scope = if with_scope {
        format!(",\"scope\":\"{}\"", SCOPES.join(" "))
    } else {
        String::new()
    };
    format!("{{\"access_token\":\"{token}\",\"token_type\":\"Bearer\",\"expires_in\":1800{scope}}}")
}

/// An OAuth error answer body (invalid_client, as in the shared case B14, with a description).
pub const ERROR_BODY: &str =
    r#"{"error":"invalid_client","error_description":"The client credentials are invalid."}"#;

/// A `WWW-Authenticate` value with two challenges, quoted strings and escapes (shared case B19).
pub const WWW_AUTHENTICATE: &[u8] = br#"Basic realm="legacy", Bearer realm="api", error="insufficient_scope", error_description="requires \"leaves.readonly\", granted: none", scope="leaves.readonly leave-requests.readonly""#;

const JSON: [Header<'static>; 1] = [Header {
    name: "Content-Type",
    value: b"application/json; charset=utf-8",
}];

/// The floor's view of a token answer: every member borrowed from the body.
#[derive(Deserialize)]
pub struct BorrowedToken<'a> {
    /// `access_token`.
    pub access_token: &'a str,
    /// `token_type`.
    pub token_type: &'a str,
    /// `expires_in`.
    pub expires_in: Option<u64>,
    /// `scope`.
    pub scope: Option<&'a str>,
}

/// The floor's view of an error answer.
#[derive(Deserialize)]
pub struct BorrowedError<'a> {
    /// `error`.
    pub error: &'a str,
    /// `error_description`.
    pub error_description: Option<&'a str>,
}

/// The obvious way's view of a token answer: owned strings.
#[derive(Deserialize)]
pub struct OwnedToken {
    /// `access_token`.
    pub access_token: String,
    /// `token_type`.
    pub token_type: String,
    /// `expires_in`.
    pub expires_in: Option<u64>,
    /// `scope`.
    pub scope: Option<String>,
}

/// The obvious way's request form.
#[derive(Serialize)]
struct OwnedForm<'a> {
    grant_type: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    scope: String,
}

type OAuth2Client =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Everything the operations need, built once.
pub struct Workload {
    endpoint: TokenEndpoint,
    credentials: ClientCredentials,
    scopes: Scopes,
    user_agent: UserAgent,
    options: TokenResponseOptions,
    token: lucca_auth::secret::AccessToken,
    /// The token answer body (with `scope`).
    pub body: Vec<u8>,
    /// The token answer body without `scope`.
    pub body_no_scope: Vec<u8>,
    /// The whole HTTP/1.1 token answer (Content-Length framing, with `scope`).
    pub raw_response: Vec<u8>,
    raw_response_no_scope: Vec<u8>,
    body_buf: Vec<u8>,
    raw_buf: Vec<u8>,
    form_buf: String,
    machine: TokenMachine,
    now: Instant,
    oauth2: OAuth2Client,
}

impl Default for Workload {
    fn default() -> Self {
        Self::new()
    }
}

fn raw_response(body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "HTTP/1.1 200 OK\r\nDate: Tue, 03 Mar 2026 10:00:00 GMT\r\n\
         Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n\
         Pragma: no-cache\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

impl Workload {
    /// Builds the inputs, a machine holding a valid token, and the `oauth2` client.
    ///
    /// # Panics
    ///
    /// If the fixed inputs are invalid (a bug in this crate).
    #[must_use]
    pub fn new() -> Self {
        let token = access_token();
        let body = token_body(&token, true).into_bytes();
        let body_no_scope = token_body(&token, false).into_bytes();
        let endpoint = TokenEndpoint::default();
        let credentials =
            ClientCredentials::new(ClientId::new(CLIENT_ID), ClientSecret::new(CLIENT_SECRET));
        let scopes = Scopes::try_from_iter(SCOPES).expect("valid scopes");
        let user_agent = UserAgent::default();
        let mut machine = TokenMachine::new(TokenClient {
            endpoint: endpoint.clone(),
            credentials: credentials.clone(),
            scopes: scopes.clone(),
            user_agent: user_agent.clone(),
        });
        let sent = Instant::from_millis(1_000_000);
        let TokenAction::Send(id) = machine.poll(sent) else {
            panic!("a new machine sends a request");
        };
        let outcome =
            machine.handle_token_response(sent, id, &HttpResponse::new(200, &JSON, &body));
        assert!(matches!(outcome, TokenOutcome::Issued(_)), "{outcome:?}");
        let oauth2 = BasicClient::new(oauth2::ClientId::new(CLIENT_ID.into()))
            .set_client_secret(oauth2::ClientSecret::new(CLIENT_SECRET.into()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(oauth2::TokenUrl::new(endpoint.as_str().into()).expect("valid URL"));
        let body_buf = Vec::with_capacity(4096);
        Workload {
            raw_response: raw_response(&body),
            raw_response_no_scope: raw_response(&body_no_scope),
            token: lucca_auth::secret::AccessToken::new(token),
            body,
            body_no_scope,
            endpoint,
            credentials,
            scopes,
            user_agent,
            options: TokenResponseOptions::default(),
            body_buf,
            raw_buf: vec![0; 4096],
            form_buf: String::with_capacity(4096),
            machine,
            now: sent + Duration::from_secs(60),
            oauth2,
        }
    }

    fn request(&self) -> TokenRequest<'_> {
        TokenRequest::new(
            &self.endpoint,
            &self.credentials,
            &self.scopes,
            &self.user_agent,
        )
    }
}

/// Core: the token request body into a reused `Vec` (what an adapter hands its HTTP client).
pub fn core_request_body(w: &mut Workload) -> usize {
    let mut buf = core::mem::take(&mut w.body_buf);
    buf.clear();
    w.request().write_body(&mut buf);
    let len = buf.len();
    w.body_buf = buf;
    len
}

/// Core: the whole HTTP/1.1 token request (head and body) into a reused raw buffer through
/// the codec.
pub fn core_request_raw(w: &mut Workload) -> usize {
    let mut buf = core::mem::take(&mut w.raw_buf);
    let request = w.request();
    let fields = request.header_fields();
    let written = RequestHead::new(
        request.method(),
        w.endpoint.path(),
        w.endpoint.host_header(),
    )
    .with_headers(&fields)
    .write_with_body(&request, &mut buf)
    .expect("the buffer is large enough");
    w.raw_buf = buf;
    written
}

fn parse_body(w: &Workload, body: &[u8]) -> usize {
    let response = HttpResponse::new(200, &JSON, body);
    let token = parse_token_response(&response, &w.options).expect("a token");
    token.access_token().secret().len()
}

/// Core: the token answer (with `scope`) from status, header fields and body (the adapter path).
pub fn core_parse_token(w: &mut Workload) -> usize {
    parse_body(w, &w.body)
}

/// Core: the token answer without `scope`.
pub fn core_parse_token_no_scope(w: &mut Workload) -> usize {
    parse_body(w, &w.body_no_scope)
}

fn parse_raw(w: &mut Workload, no_scope: bool) -> usize {
    let mut raw = core::mem::take(if no_scope {
        &mut w.raw_response_no_scope
    } else {
        &mut w.raw_response
    });
    // Content-Length framing leaves the buffer as it is, so the same bytes parse again.
    let mut parser = ResponseParser::new(Limits::new());
    let Ok(ParseStatus::Complete(parsed)) = parser.handle_bytes(&mut raw) else {
        panic!("a complete response");
    };
    let mut headers = [EMPTY_HEADER; 16];
    let response = parsed.response(&raw, &mut headers).expect("parsed");
    let len = parse_token_response(&response, &w.options)
        .expect("a token")
        .access_token()
        .secret()
        .len();
    if no_scope {
        w.raw_response_no_scope = raw;
    } else {
        w.raw_response = raw;
    }
    len
}

/// Core: the raw HTTP/1.1 token answer (with `scope`) through the codec's push parser, then
/// the token parser.
pub fn core_parse_token_raw(w: &mut Workload) -> usize {
    parse_raw(w, false)
}

/// Core: the raw answer without `scope`.
pub fn core_parse_token_raw_no_scope(w: &mut Workload) -> usize {
    parse_raw(w, true)
}

/// Core: request body into a reused buffer, then the answer (adapter path).
pub fn core_exchange(w: &mut Workload) -> usize {
    core_request_body(w) + core_parse_token(w)
}

/// Core: raw request through the codec, then the raw answer through the codec.
pub fn core_exchange_raw(w: &mut Workload) -> usize {
    core_request_raw(w) + core_parse_token_raw(w)
}

/// Core: raw request and raw answer without `scope`.
pub fn core_exchange_raw_no_scope(w: &mut Workload) -> usize {
    core_request_raw(w) + core_parse_token_raw_no_scope(w)
}

/// Core: an OAuth error answer (401 invalid_client).
pub fn core_parse_error(w: &mut Workload) -> usize {
    let response = HttpResponse::new(401, &JSON, ERROR_BODY.as_bytes());
    match parse_token_response(&response, &w.options) {
        Err(TokenError::OAuth(error)) => error.description.map_or(0, |d| d.len()),
        other => panic!("an OAuth error, not {other:?}"),
    }
}

/// Core: the Bearer challenge of a 403's `WWW-Authenticate` field.
pub fn core_www_authenticate(_: &mut Workload) -> usize {
    let headers = [Header {
        name: "WWW-Authenticate",
        value: WWW_AUTHENTICATE,
    }];
    let response = HttpResponse::new(403, &headers, b"");
    bearer_challenge(&response).map_or(0, |bearer| bearer.scope.len())
}

/// Core: the `Authorization` value for the cached token into a stack buffer.
pub fn core_authorization(w: &mut Workload) -> usize {
    let mut buf = [0u8; 1536];
    let len = write_bearer_authorization(&w.token, &mut buf).expect("fits");
    usize::from(std::hint::black_box(&buf)[len - 1])
}

/// Core: `TokenMachine::poll` while it holds a valid token.
pub fn core_poll(w: &mut Workload) -> usize {
    match w.machine.poll(w.now) {
        TokenAction::Use(token) => token.access_token().secret().len(),
        other => panic!("a valid token, not {other:?}"),
    }
}

/// Core: keeping a copy of the token the way the core keeps it — allocated, copied, and
/// zeroized when dropped. Part of every core token parse; the floor and the obvious way skip
/// it (they neither copy into a zeroizing buffer nor wipe).
pub fn core_keep_token(w: &mut Workload) -> usize {
    let kept = lucca_auth::secret::AccessToken::new(w.token.secret());
    kept.secret().len()
}

/// `oauth2` v5: the client-credentials exchange through a synchronous HTTP client that keeps
/// the request's body length and returns the canned answer.
pub fn oauth2_exchange(w: &mut Workload) -> usize {
    let captured = Cell::new(0);
    let body = &w.body;
    let http_client = |request: oauth2::HttpRequest| -> Result<oauth2::HttpResponse, Infallible> {
        captured.set(request.body().len());
        Ok(http::Response::builder()
            .status(200)
            .header(
                http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body.clone())
            .expect("a valid response"))
    };
    let token = w
        .oauth2
        .exchange_client_credentials()
        .add_scopes(SCOPES.map(|s| oauth2::Scope::new(s.into())))
        .request(&http_client)
        .expect("a token");
    captured.get() + token.access_token().secret().len()
}

/// Floor: the form with `form_urlencoded` into a reused `String`.
pub fn floor_request(w: &mut Workload) -> usize {
    let mut buf = core::mem::take(&mut w.form_buf);
    buf.clear();
    let scope_len = SCOPES.iter().map(|s| s.len() + 1).sum::<usize>() - 1;
    let mut form = form_urlencoded::Serializer::new(buf);
    form.append_pair("grant_type", "client_credentials")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("client_secret", CLIENT_SECRET);
    // The scope list joined without an intermediate String.
    let mut scope = [0u8; 64];
    let mut at = 0;
    for (i, s) in SCOPES.iter().enumerate() {
        if i > 0 {
            scope[at] = b' ';
            at += 1;
        }
        scope[at..at + s.len()].copy_from_slice(s.as_bytes());
        at += s.len();
    }
    debug_assert_eq!(at, scope_len);
    form.append_pair("scope", core::str::from_utf8(&scope[..at]).expect("ASCII"));
    let buf = form.finish();
    let len = buf.len();
    w.form_buf = buf;
    len
}

/// Floor: the answer with `serde_json::from_slice` into borrowed `&str` fields.
pub fn floor_parse(w: &mut Workload) -> usize {
    let token: BorrowedToken<'_> = serde_json::from_slice(&w.body).expect("a token");
    token.access_token.len() + token.token_type.len() + token.scope.map_or(0, str::len)
}

/// Floor: request and answer.
pub fn floor_exchange(w: &mut Workload) -> usize {
    floor_request(w) + floor_parse(w)
}

/// Floor: the error answer into borrowed fields.
pub fn floor_parse_error(_: &mut Workload) -> usize {
    let error: BorrowedError<'_> = serde_json::from_slice(ERROR_BODY.as_bytes()).expect("JSON");
    error.error.len() + error.error_description.map_or(0, str::len)
}

/// The obvious way's view of an error answer: owned strings.
#[derive(Deserialize)]
pub struct OwnedError {
    /// `error`.
    pub error: String,
    /// `error_description`.
    pub error_description: Option<String>,
}

/// Obvious: the error answer into owned `String` fields.
pub fn obvious_parse_error(_: &mut Workload) -> usize {
    let error: OwnedError = serde_json::from_slice(ERROR_BODY.as_bytes()).expect("JSON");
    error.error.len() + error.error_description.map_or(0, |d| d.len())
}

/// `oauth2` v5: the client-credentials exchange answered with the error (401
/// `invalid_client`), down to the typed server error it reports.
pub fn oauth2_parse_error(w: &mut Workload) -> usize {
    let http_client = |_: oauth2::HttpRequest| -> Result<oauth2::HttpResponse, Infallible> {
        Ok(http::Response::builder()
            .status(401)
            .header(
                http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(ERROR_BODY.as_bytes().to_vec())
            .expect("a valid response"))
    };
    match w
        .oauth2
        .exchange_client_credentials()
        .add_scopes(SCOPES.map(|s| oauth2::Scope::new(s.into())))
        .request(&http_client)
    {
        Err(oauth2::RequestTokenError::ServerResponse(error)) => {
            error.error_description().map_or(0, String::len)
        }
        other => panic!("a server error, not {:?}", other.map(|_| ())),
    }
}

/// Obvious: `serde_urlencoded::to_string` of an owned form.
pub fn obvious_request(_: &mut Workload) -> usize {
    serde_urlencoded::to_string(OwnedForm {
        grant_type: "client_credentials",
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        scope: SCOPES.join(" "),
    })
    .expect("a form")
    .len()
}

/// Obvious: the answer into owned `String` fields.
pub fn obvious_parse(w: &mut Workload) -> usize {
    let token: OwnedToken = serde_json::from_slice(&w.body).expect("a token");
    token.access_token.len() + token.token_type.len() + token.scope.map_or(0, |s| s.len())
}

/// Obvious: request and answer.
pub fn obvious_exchange(w: &mut Workload) -> usize {
    obvious_request(w) + obvious_parse(w)
}

/// Obvious: the `Authorization` value with `format!`.
pub fn obvious_authorization(w: &mut Workload) -> usize {
    format!("Bearer {}", w.token.secret()).len()
}

/// An operation on a [`Workload`], returning a number derived from its result.
pub type Operation = fn(&mut Workload) -> usize;

/// Every measured operation: (group, name, the floor row it is compared with, operation).
/// Groups: `exchange` (request build + answer parse), `request`, `parse`, `error`, `api`.
pub const OPERATIONS: &[(&str, &str, Option<&str>, Operation)] = &[
    ("exchange", "floor", None, floor_exchange),
    ("exchange", "core", Some("floor"), core_exchange),
    ("exchange", "core_raw", Some("floor"), core_exchange_raw),
    (
        "exchange",
        "core_raw_no_scope",
        Some("floor"),
        core_exchange_raw_no_scope,
    ),
    ("exchange", "obvious", Some("floor"), obvious_exchange),
    ("exchange", "oauth2", Some("floor"), oauth2_exchange),
    ("request", "floor", None, floor_request),
    ("request", "core_body", Some("floor"), core_request_body),
    ("request", "core_raw", Some("floor"), core_request_raw),
    ("request", "obvious", Some("floor"), obvious_request),
    ("parse", "floor", None, floor_parse),
    ("parse", "core", Some("floor"), core_parse_token),
    (
        "parse",
        "core_no_scope",
        Some("floor"),
        core_parse_token_no_scope,
    ),
    ("parse", "core_raw", Some("floor"), core_parse_token_raw),
    (
        "parse",
        "core_raw_no_scope",
        Some("floor"),
        core_parse_token_raw_no_scope,
    ),
    ("parse", "obvious", Some("floor"), obvious_parse),
    ("error", "floor", None, floor_parse_error),
    ("error", "core", Some("floor"), core_parse_error),
    ("error", "obvious", Some("floor"), obvious_parse_error),
    ("error", "oauth2", Some("floor"), oauth2_parse_error),
    ("api", "www_authenticate", None, core_www_authenticate),
    ("api", "authorization_format", None, obvious_authorization),
    (
        "api",
        "authorization",
        Some("authorization_format"),
        core_authorization,
    ),
    ("api", "poll_valid_token", None, core_poll),
    ("api", "keep_token_zeroized", None, core_keep_token),
];

/// A global allocator that counts allocations made on the current thread, in front of the
/// system allocator. Install it in a binary with `#[global_allocator]`.
pub struct CountingAllocator;

std::thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` with the same arguments; counting touches only a
// const-initialised thread-local `Cell`, which never allocates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above; `ptr` was allocated by `System` through this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn count() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// Allocations (including reallocations) made on this thread so far. Meaningful only in a
/// binary whose global allocator is [`CountingAllocator`].
#[must_use]
pub fn allocations() -> u64 {
    ALLOCATIONS.try_with(Cell::get).unwrap_or(0)
}

/// Average allocations per call of `operation`, after one warm-up call (which may fill
/// reused buffers).
pub fn allocations_per_op(workload: &mut Workload, operation: Operation, calls: u64) -> f64 {
    std::hint::black_box(operation(workload));
    let before = allocations();
    for _ in 0..calls {
        std::hint::black_box(operation(workload));
    }
    #[allow(clippy::cast_precision_loss)]
    let per_op = (allocations() - before) as f64 / calls as f64;
    per_op
}
