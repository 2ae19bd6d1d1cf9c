//! Every response in the core's test data (`core/tests/data/*.http`, the shared real-world
//! cases) and in ours (`tests/data/*.http`) through both drivers over an in-memory
//! connection: handed out whole, split at every byte boundary, and one byte per read. Each
//! file goes in as the token endpoint's answer to `token` and as the API's answer to
//! `send_api`; every way of reading gives the same outcome, and the outcome is the exact one
//! the table below expects.

mod common;

use std::time::Duration;

use common::*;
use futures::executor::block_on;
use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::codec::{ConnectionMode, ParseError};
use lucca_auth::token_response::{InvalidResponseReason, OAuthErrorCode, TokenError};
use lucca_auth_embedded::{ApiRequest, Buffers, Connections, Failure, Host};

const KEEP: Option<ConnectionMode> = Some(ConnectionMode::KeepAlive);
const CLOSE: Option<ConnectionMode> = Some(ConnectionMode::Close);

fn via_token(bytes: &[u8], mode: ReadMode) -> Seen {
    let mut client = client();
    let mut conn = MockConn::new([bytes.to_vec()]).with_mode(mode);
    let (mut request, mut response) = ([0u8; 1024], [0u8; 2048]);
    seen_token(client.token(T0, &mut conn, Buffers::new(&mut request, &mut response)))
}

fn via_api(bytes: &[u8], mode: ReadMode) -> Seen {
    let mut client = seeded_client();
    let mut token_conn = MockConn::new([token_response("AT-fresh")]).with_mode(mode);
    let mut api_conn = MockConn::new([bytes.to_vec(), bytes.to_vec()]).with_mode(mode);
    let mut request = ApiRequest::get("/lucca-api/leaves");
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 2048]);
    seen_api(client.send_api(
        T0,
        &mut token_conn,
        &mut api_conn,
        &mut request,
        Buffers::new(&mut request_buf, &mut response_buf),
    ))
}

fn via_token_async(bytes: &[u8], mode: ReadMode) -> Seen {
    let mut client = client();
    let mut conn = MockConn::new([bytes.to_vec()]).with_mode(mode);
    let (mut request, mut response) = ([0u8; 1024], [0u8; 2048]);
    seen_token(block_on(client.token_async(
        T0,
        &mut conn,
        Buffers::new(&mut request, &mut response),
    )))
}

fn via_api_async(bytes: &[u8], mode: ReadMode) -> Seen {
    let mut client = seeded_client();
    let mut token_conn = MockConn::new([token_response("AT-fresh")]).with_mode(mode);
    let mut api_conn = MockConn::new([bytes.to_vec(), bytes.to_vec()]).with_mode(mode);
    let mut request = ApiRequest::get("/lucca-api/leaves");
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 2048]);
    seen_api(block_on(client.send_api_async(
        T0,
        &mut token_conn,
        &mut api_conn,
        &mut request,
        Buffers::new(&mut request_buf, &mut response_buf),
    )))
}

fn modes(len: usize) -> impl Iterator<Item = ReadMode> {
    [ReadMode::Whole, ReadMode::Bytewise]
        .into_iter()
        .chain((1..len).map(ReadMode::SplitAt))
}

#[test]
fn every_response_gives_one_outcome_however_it_is_read() {
    let mut checked = 0;
    for path in data_files() {
        let Some(bytes) = response_bytes(&path) else {
            continue;
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let token = via_token(&bytes, ReadMode::Whole);
        let api = via_api(&bytes, ReadMode::Whole);
        for mode in modes(bytes.len()) {
            assert_eq!(via_token(&bytes, mode), token, "{name} as token, {mode:?}");
            assert_eq!(via_api(&bytes, mode), api, "{name} as API, {mode:?}");
            assert_eq!(
                via_token_async(&bytes, mode),
                token,
                "{name} as token, async, {mode:?}"
            );
            assert_eq!(
                via_api_async(&bytes, mode),
                api,
                "{name} as API, async, {mode:?}"
            );
        }
        let (expected_token, expected_api) = expected(name, &bytes);
        assert_eq!(summary(&token), expected_token, "{name} as token");
        assert_eq!(summary(&api), expected_api, "{name} as API");
        checked += 1;
    }
    assert_eq!(checked, 22, "14 shared cases but B09 (a request) and our 8");
}

/// The parts of an outcome the table states.
#[derive(Debug, PartialEq, Eq)]
enum Summary {
    Token(String, Option<ConnectionMode>),
    Api {
        status: u16,
        class: ApiResponseClass,
        body: Vec<u8>,
        attempt: ApiAttempt,
        connections: Connections,
    },
    /// The token endpoint's OAuth error (`OAuthError` has no public constructor).
    OAuthRefused {
        code: OAuthErrorCode,
        description: Option<String>,
        status: u16,
        connections: Connections,
    },
    Failed(Failure, Connections),
}

fn summary(seen: &Seen) -> Summary {
    match seen {
        Seen::Token {
            access_token,
            connection,
            ..
        } => Summary::Token(access_token.clone(), *connection),
        Seen::Api {
            status,
            class,
            body,
            attempt,
            connections,
            ..
        } => Summary::Api {
            status: *status,
            class: class.clone(),
            body: body.clone(),
            attempt: *attempt,
            connections: *connections,
        },
        Seen::Failed(Failure::Token(TokenError::OAuth(error)), connections) => {
            Summary::OAuthRefused {
                code: error.code.clone(),
                description: error.description.clone(),
                status: error.status,
                connections: *connections,
            }
        }
        Seen::Failed(failure, connections) => Summary::Failed(failure.clone(), *connections),
    }
}

fn token(access_token: &str, connection: Option<ConnectionMode>) -> Summary {
    Summary::Token(access_token.to_owned(), connection)
}

/// The token endpoint's answer refused by the core, on a connection left as `connection`.
fn refused(error: TokenError, connection: Option<ConnectionMode>) -> Summary {
    Summary::Failed(Failure::Token(error), Connections::new(connection, None))
}

fn unexpected_status(status: u16, retry_after: Option<Duration>) -> TokenError {
    TokenError::UnexpectedStatus {
        status,
        excerpt: String::new(),
        retry_after,
    }
}

fn oauth(
    code: OAuthErrorCode,
    description: Option<&str>,
    status: u16,
    connection: Option<ConnectionMode>,
) -> Summary {
    Summary::OAuthRefused {
        code,
        description: description.map(str::to_owned),
        status,
        connections: Connections::new(connection, None),
    }
}

/// The API's answer, first try, on a connection left as `api`.
fn answered(
    status: u16,
    class: ApiResponseClass,
    body: &[u8],
    api: Option<ConnectionMode>,
) -> Summary {
    Summary::Api {
        status,
        class,
        body: body.to_vec(),
        attempt: ApiAttempt::First,
        connections: Connections::new(None, api),
    }
}

/// The API's answer to the retry after a 401 and a new token (`AT-fresh`).
fn answered_retry(status: u16, class: ApiResponseClass, body: &[u8]) -> Summary {
    Summary::Api {
        status,
        class,
        body: body.to_vec(),
        attempt: ApiAttempt::RetryAfterRefresh,
        connections: Connections::new(KEEP, KEEP),
    }
}

/// The body of a `Content-Length` or close-delimited response: every byte after the head.
fn after_head(bytes: &[u8]) -> &[u8] {
    let at = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .filter(|&p| !bytes[p..].starts_with(b"HTTP/1.1 200"))
        .or_else(|| bytes.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .expect("a head");
    &bytes[at..]
}

fn missing_scope(required: &[&str], description: Option<&str>) -> ApiResponseClass {
    ApiResponseClass::MissingScope {
        required: required.iter().map(|s| (*s).to_owned()).collect(),
        description: description.map(str::to_owned),
    }
}

/// What each file gives: as the token endpoint's answer, and as the API's.
fn expected(name: &str, bytes: &[u8]) -> (Summary, Summary) {
    use ApiResponseClass::{RateLimited, Success, Transient, Unauthorized};
    let ok = |access_token| {
        (
            token(access_token, KEEP),
            answered(200, Success, after_head(bytes), KEEP),
        )
    };
    match name {
        "B01.http" => ok("AT-demo-0001"),
        "B03.http" => ok("AT-demo-0003"),
        "B05.http" => ok("AT-demo-0005"),
        "B07.http" => ok("AT-demo-0007"),
        "B08.http" => ok("AT-demo-0008"),
        "B24.http" => ok("AT-demo-0024"),
        "B11.http" => (
            oauth(
                OAuthErrorCode::InvalidScope,
                Some("unknown scope requested"),
                400,
                KEEP,
            ),
            answered(
                400,
                ApiResponseClass::Fatal {
                    status: 400,
                    problem: None,
                },
                br#"{"error":"invalid_scope","error_description":"unknown scope requested"}"#,
                KEEP,
            ),
        ),
        "B12.http" => (
            refused(
                TokenError::UnexpectedStatus {
                    status: 502,
                    excerpt: "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>\
                              <body><h1>Bad Gateway</h1><p>The upstream identity servi\u{2026}"
                        .to_owned(),
                    retry_after: None,
                },
                KEEP,
            ),
            answered(
                502,
                Transient {
                    status: 502,
                    retry_after: None,
                },
                after_head(bytes),
                KEEP,
            ),
        ),
        // A 401 from the API is answered with a new token and one retry, which gets the
        // same 401 here.
        "B14.http" => (
            oauth(OAuthErrorCode::InvalidClient, None, 401, KEEP),
            answered_retry(401, Unauthorized, br#"{"error":"invalid_client"}"#),
        ),
        "B15.http" => (
            refused(unexpected_status(429, Some(Duration::from_secs(30))), KEEP),
            answered(
                429,
                RateLimited {
                    retry_after: Some(Duration::from_secs(30)),
                },
                b"",
                KEEP,
            ),
        ),
        "B17.http" => (
            refused(unexpected_status(403, None), KEEP),
            answered(403, missing_scope(&["leaves.readwrite"], None), b"", KEEP),
        ),
        "B18.http" => (
            refused(unexpected_status(401, None), KEEP),
            answered_retry(401, Unauthorized, b""),
        ),
        "B19.http" => (
            refused(unexpected_status(403, None), KEEP),
            answered(
                403,
                missing_scope(
                    &["leaves.readonly", "leave-requests.readonly"],
                    Some(r#"requires "leaves.readonly", granted: none"#),
                ),
                b"",
                KEEP,
            ),
        ),
        "B21.http" => (
            token("AT-demo-0021", KEEP),
            answered(
                200,
                Success,
                br#"{"token_type":"bearer","access_token":"AT-demo-0021","expires_in":1800}"#,
                KEEP,
            ),
        ),
        // A folded challenge and a space before a colon: tolerated, read as meant.
        "E01-folded-challenge-space-before-colon.http" => (
            refused(unexpected_status(403, None), KEEP),
            answered(403, missing_scope(&["leaves.readonly"], None), b"", KEEP),
        ),
        "E02-gzip.http" => (
            refused(
                TokenError::UnsupportedContentEncoding {
                    encoding: "gzip".to_owned(),
                },
                KEEP,
            ),
            Summary::Failed(
                Failure::UnsupportedContentEncoding { status: 200 },
                Connections::new(None, KEEP),
            ),
        ),
        "E03-chunked-extension-trailer.http" => (
            refused(
                TokenError::InvalidResponse(InvalidResponseReason::MissingAccessToken),
                KEEP,
            ),
            answered(200, Success, br#"{"items":[1]}"#, KEEP),
        ),
        "E04-http10-close-delimited.http" => (
            token("AT-e04", CLOSE),
            answered(200, Success, after_head(bytes), CLOSE),
        ),
        "E05-interim-bare-lf-close.http" => (
            token("AT-e05", CLOSE),
            answered(200, Success, after_head(bytes), CLOSE),
        ),
        // The 401 closed the API connection: the new token is fetched, the retry waits for
        // the caller to reconnect.
        "E06-authlib-401-close.http" => (
            oauth(
                OAuthErrorCode::Other("invalid_token".to_owned()),
                None,
                401,
                CLOSE,
            ),
            Summary::Failed(Failure::ReconnectAndResend, Connections::new(KEEP, CLOSE)),
        ),
        "E07-malformed-header.http" => (
            Summary::Failed(
                Failure::Http {
                    host: Host::Token,
                    error: ParseError::InvalidHeader,
                },
                Connections::new(CLOSE, None),
            ),
            Summary::Failed(
                Failure::Http {
                    host: Host::Api,
                    error: ParseError::InvalidHeader,
                },
                Connections::new(None, CLOSE),
            ),
        ),
        "E08-rate-limited-date.http" => (
            refused(unexpected_status(429, Some(Duration::from_secs(30))), KEEP),
            answered(
                429,
                RateLimited {
                    retry_after: Some(Duration::from_secs(30)),
                },
                b"",
                KEEP,
            ),
        ),
        other => panic!("no expectation for {other}: add one"),
    }
}
