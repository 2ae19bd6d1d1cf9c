//! Every HTTP response file in the project (`*.http` anywhere outside build output: the
//! shared real-world cases in `core/tests/data/`, their siblings in `core/tests/data/siblings/`
//! and in the ureq and cli adapters' `tests/data/`, and ours in `tests/data/`) through both
//! drivers over an in-memory connection: handed out whole, split at every byte boundary, and
//! one byte per read. Each file goes in as the token endpoint's answer to `token` and as the
//! API's answer to `send_api`. `table()` states each file's exact outcome both ways; a file
//! without a row, or a row without a file, fails the test, so a new case needs its expected
//! outcome written down — wherever it lives.

mod common;

use std::path::{Path, PathBuf};
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
fn every_response_gives_its_expected_outcome_however_it_is_read() {
    let root = workspace_root();
    let table = table();
    let mut listed: Vec<&str> = table
        .iter()
        .flat_map(|(paths, _)| paths.iter().copied())
        .collect();
    listed.sort_unstable();
    let found = http_files(&root);
    let unlisted: Vec<&String> = found
        .iter()
        .filter(|path| listed.binary_search(&path.as_str()).is_err())
        .collect();
    let gone: Vec<&&str> = listed
        .iter()
        .filter(|path| !found.iter().any(|f| f == *path))
        .collect();
    assert_eq!(
        (unlisted, gone),
        (Vec::new(), Vec::new()),
        "(files without an expectation in table(): add one; table entries with no file)"
    );
    let mut responses = 0;
    for (paths, expect) in &table {
        for path in *paths {
            let bytes = std::fs::read(root.join(path)).expect("readable");
            let (expected_token, expected_api) = match expect {
                Expect::Request => {
                    assert!(!bytes.starts_with(b"HTTP/"), "{path} is a response");
                    continue;
                }
                Expect::Token(access_token, connection) => (
                    token(access_token, *connection),
                    answered(
                        200,
                        ApiResponseClass::Success,
                        after_head(&bytes),
                        *connection,
                    ),
                ),
                Expect::Answers(both) => (**both).clone(),
            };
            let token = via_token(&bytes, ReadMode::Whole);
            let api = via_api(&bytes, ReadMode::Whole);
            assert_eq!(summary(&token), expected_token, "{path} as token");
            assert_eq!(summary(&api), expected_api, "{path} as API");
            for mode in modes(bytes.len()) {
                assert_eq!(via_token(&bytes, mode), token, "{path} as token, {mode:?}");
                assert_eq!(via_api(&bytes, mode), api, "{path} as API, {mode:?}");
                assert_eq!(
                    via_token_async(&bytes, mode),
                    token,
                    "{path} as token, async, {mode:?}"
                );
                assert_eq!(
                    via_api_async(&bytes, mode),
                    api,
                    "{path} as API, async, {mode:?}"
                );
            }
            responses += 1;
        }
    }
    assert_eq!(responses, 51, "53 files, of which 2 are B09 (a request)");
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.http` file under `root`, as a `/`-separated path relative to it, sorted; build
/// output (`target`, where the interop peers are installed too) and hidden directories are
/// not the project's.
fn http_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::new()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(root.join(&dir)).expect("readable directory") {
            let entry = entry.expect("directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = dir.join(&name);
            if entry.file_type().expect("file type").is_dir() {
                if name != "target" && !name.starts_with('.') {
                    dirs.push(relative);
                }
            } else if name.ends_with(".http") {
                let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
                files.push(parts.join("/"));
            }
        }
    }
    files.sort();
    files
}

/// What a file is expected to give.
#[derive(Clone, Debug)]
enum Expect {
    /// A request (B09's form), not a response: not fed.
    Request,
    /// A token answer with `Content-Length` or a close-delimited body: this access token
    /// from the token endpoint, a 200 with the body as sent from the API, on a connection
    /// left as stated.
    Token(&'static str, Option<ConnectionMode>),
    /// Both outcomes spelled out: as the token endpoint's answer, and as the API's.
    Answers(Box<(Summary, Summary)>),
}

/// The parts of an outcome the table states.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Both outcomes of a file.
fn answers(token: Summary, api: Summary) -> Expect {
    Expect::Answers(Box::new((token, api)))
}

/// The token endpoint's refusal as the token endpoint's and as the API's answer, for
/// statuses the API classifies as `Fatal` without a problem (not JSON problem details).
fn unexpected_both(status: u16, excerpt: &str, api_class: ApiResponseClass, body: &[u8]) -> Expect {
    answers(
        refused(
            TokenError::UnexpectedStatus {
                status,
                excerpt: excerpt.to_owned(),
                retry_after: None,
            },
            KEEP,
        ),
        answered(status, api_class, body, KEEP),
    )
}

/// Every `.http` file in the project and what it gives, as the token endpoint's answer and
/// as the API's. Identical copies of a file in several adapters' test data share a row.
fn table() -> Vec<(&'static [&'static str], Expect)> {
    use ApiResponseClass::{RateLimited, Success, Transient, Unauthorized};
    let transient = |status, retry_after| Transient {
        status,
        retry_after,
    };
    vec![
        // The shared real-world cases (core/tests/data), and the adapters' copies of them.
        (
            &[
                "core/tests/data/B01.http",
                "adapters/ureq/tests/data/B01.http",
            ],
            Expect::Token("AT-demo-0001", KEEP),
        ),
        (
            &[
                "core/tests/data/B03.http",
                "adapters/ureq/tests/data/B03.http",
            ],
            Expect::Token("AT-demo-0003", KEEP),
        ),
        (
            &[
                "core/tests/data/B05.http",
                "adapters/ureq/tests/data/B05.http",
            ],
            Expect::Token("AT-demo-0005", KEEP),
        ),
        (
            &[
                "core/tests/data/B07.http",
                "adapters/ureq/tests/data/B07.http",
            ],
            Expect::Token("AT-demo-0007", KEEP),
        ),
        (
            &[
                "core/tests/data/B08.http",
                "adapters/ureq/tests/data/B08.http",
            ],
            Expect::Token("AT-demo-0008", KEEP),
        ),
        (
            &[
                "core/tests/data/B09.http",
                "adapters/cli/tests/data/B09.http",
            ],
            Expect::Request,
        ),
        (
            &[
                "core/tests/data/B11.http",
                "adapters/cli/tests/data/B11.http",
            ],
            answers(
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
        ),
        (
            &[
                "core/tests/data/B12.http",
                "adapters/cli/tests/data/B12.http",
            ],
            unexpected_both(
                502,
                "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>\
                 <body><h1>Bad Gateway</h1><p>The upstream identity servi\u{2026}",
                transient(502, None),
                b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>\
                  <body><h1>Bad Gateway</h1><p>The upstream identity service did not \
                  answer.</p></body></html>",
            ),
        ),
        // A 401 from the API is answered with a new token and one retry, which gets the
        // same 401 here.
        (
            &[
                "core/tests/data/B14.http",
                "adapters/ureq/tests/data/B14.http",
                "adapters/cli/tests/data/B14.http",
            ],
            answers(
                oauth(OAuthErrorCode::InvalidClient, None, 401, KEEP),
                answered_retry(401, Unauthorized, br#"{"error":"invalid_client"}"#),
            ),
        ),
        (
            &[
                "core/tests/data/B15.http",
                "adapters/ureq/tests/data/B15.http",
                "adapters/cli/tests/data/B15.http",
            ],
            answers(
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
        ),
        (
            &[
                "core/tests/data/B17.http",
                "adapters/ureq/tests/data/B17.http",
            ],
            answers(
                refused(unexpected_status(403, None), KEEP),
                answered(403, missing_scope(&["leaves.readwrite"], None), b"", KEEP),
            ),
        ),
        (
            &[
                "core/tests/data/B18.http",
                "adapters/ureq/tests/data/B18.http",
            ],
            answers(
                refused(unexpected_status(401, None), KEEP),
                answered_retry(401, Unauthorized, b""),
            ),
        ),
        (
            &[
                "core/tests/data/B19.http",
                "adapters/ureq/tests/data/B19.http",
            ],
            answers(
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
        ),
        (
            &[
                "core/tests/data/B21.http",
                "adapters/ureq/tests/data/B21.http",
            ],
            answers(
                token("AT-demo-0021", KEEP),
                answered(
                    200,
                    Success,
                    br#"{"token_type":"bearer","access_token":"AT-demo-0021","expires_in":1800}"#,
                    KEEP,
                ),
            ),
        ),
        (
            &[
                "core/tests/data/B24.http",
                "adapters/ureq/tests/data/B24.http",
            ],
            Expect::Token("AT-demo-0024", KEEP),
        ),
        // The siblings: one more case of each kind of fault, per layer.
        (
            &["adapters/ureq/tests/data/S01-expires-in-float.http"],
            Expect::Token("AT-sibling-01", KEEP),
        ),
        (
            &["adapters/ureq/tests/data/S02-token-type-missing.http"],
            Expect::Token("AT-sibling-02", KEEP),
        ),
        // Chunk extension, upper-case hex, a one-byte chunk and a trailer.
        (
            &[
                "core/tests/data/siblings/S03-chunked-extensions-trailer.http",
                "adapters/ureq/tests/data/S03-chunked-extensions-trailer.http",
            ],
            answers(
                token("AT-sibling-03", KEEP),
                answered(
                    200,
                    Success,
                    br#"{"token_type":"bearer","access_token":"AT-sibling-03","expires_in":1800}"#,
                    KEEP,
                ),
            ),
        ),
        // A bare 401 with a Basic challenge: a refusal, not OAuth JSON.
        (
            &["adapters/ureq/tests/data/S04-token-401-basic-challenge-empty-body.http"],
            answers(
                refused(unexpected_status(401, None), KEEP),
                answered_retry(401, Unauthorized, b""),
            ),
        ),
        // Retry-After as an HTTP-date, two minutes after the response's Date.
        (
            &[
                "adapters/ureq/tests/data/S05-retry-after-http-date.http",
                "adapters/cli/tests/data/S05-retry-after-http-date.http",
            ],
            answers(
                refused(
                    TokenError::UnexpectedStatus {
                        status: 503,
                        excerpt: "<html><body>Maintenance</body></html>".to_owned(),
                        retry_after: Some(Duration::from_secs(120)),
                    },
                    KEEP,
                ),
                answered(
                    503,
                    transient(503, Some(Duration::from_secs(120))),
                    b"<html><body>Maintenance</body></html>",
                    KEEP,
                ),
            ),
        ),
        // A lower-case `bearer` challenge naming two scopes.
        (
            &["adapters/ureq/tests/data/S06-403-lowercase-bearer-two-scopes.http"],
            answers(
                refused(
                    TokenError::UnexpectedStatus {
                        status: 403,
                        excerpt: r#"{"title":"Forbidden","status":403}"#.to_owned(),
                        retry_after: None,
                    },
                    KEEP,
                ),
                answered(
                    403,
                    missing_scope(
                        &["leaves.readonly", "leave-requests.readonly"],
                        Some("needs both, sorry"),
                    ),
                    br#"{"title":"Forbidden","status":403}"#,
                    KEEP,
                ),
            ),
        ),
        // A 401 without any challenge: still a 401.
        (
            &["adapters/ureq/tests/data/S07-401-no-challenge.http"],
            answers(
                refused(
                    TokenError::UnexpectedStatus {
                        status: 401,
                        excerpt: r#"{"title":"Unauthorized","status":401}"#.to_owned(),
                        retry_after: None,
                    },
                    KEEP,
                ),
                answered_retry(
                    401,
                    Unauthorized,
                    br#"{"title":"Unauthorized","status":401}"#,
                ),
            ),
        ),
        (
            &["adapters/cli/tests/data/S08-token-504-text-plain.http"],
            unexpected_both(
                504,
                "upstream request timeout",
                transient(504, None),
                b"upstream request timeout",
            ),
        ),
        // An OAuth error in a body with no Content-Type at all.
        (
            &["core/tests/data/siblings/S09-oauth-error-without-content-type.http"],
            answers(
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
        ),
        // A 5xx whose JSON is cut short: the status with an excerpt, no JSON syntax error.
        (
            &["core/tests/data/siblings/S10-token-502-truncated-json.http"],
            unexpected_both(
                502,
                r#"{"error":"server_error","error_descr"#,
                transient(502, None),
                br#"{"error":"server_error","error_descr"#,
            ),
        ),
        // A Retry-After date and no Date header: the embedded client has no wall clock.
        (
            &["adapters/ureq/tests/data/S11-retry-after-date-without-date-header.http"],
            answers(
                refused(unexpected_status(429, None), KEEP),
                answered(429, RateLimited { retry_after: None }, b"", KEEP),
            ),
        ),
        // Ours (adapters/embedded/tests/data): what real servers send that the codec
        // tolerates or refuses. A folded challenge and a space before a colon: tolerated,
        // read as meant.
        (
            &["adapters/embedded/tests/data/E01-folded-challenge-space-before-colon.http"],
            answers(
                refused(unexpected_status(403, None), KEEP),
                answered(403, missing_scope(&["leaves.readonly"], None), b"", KEEP),
            ),
        ),
        (
            &["adapters/embedded/tests/data/E02-gzip.http"],
            answers(
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
        ),
        (
            &["adapters/embedded/tests/data/E03-chunked-extension-trailer.http"],
            answers(
                refused(
                    TokenError::InvalidResponse(InvalidResponseReason::MissingAccessToken),
                    KEEP,
                ),
                answered(200, Success, br#"{"items":[1]}"#, KEEP),
            ),
        ),
        (
            &["adapters/embedded/tests/data/E04-http10-close-delimited.http"],
            Expect::Token("AT-e04", CLOSE),
        ),
        (
            &["adapters/embedded/tests/data/E05-interim-bare-lf-close.http"],
            Expect::Token("AT-e05", CLOSE),
        ),
        // The 401 closed the API connection: the new token is fetched, the retry waits for
        // the caller to reconnect.
        (
            &["adapters/embedded/tests/data/E06-authlib-401-close.http"],
            answers(
                oauth(
                    OAuthErrorCode::Other("invalid_token".to_owned()),
                    None,
                    401,
                    CLOSE,
                ),
                Summary::Failed(Failure::ReconnectAndResend, Connections::new(KEEP, CLOSE)),
            ),
        ),
        (
            &["adapters/embedded/tests/data/E07-malformed-header.http"],
            answers(
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
        ),
        (
            &["adapters/embedded/tests/data/E08-rate-limited-date.http"],
            answers(
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
        ),
    ]
}
