//! What the fuzz targets share: reading fuzzer input as an HTTP response, and the invariants
//! every token endpoint answer must keep whatever its bytes.

use lucca_auth::api::{bearer_authorization_len, write_bearer_authorization};
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::retry_after::retry_after_delay;
use lucca_auth::secret::AccessToken;
use lucca_auth::time::UnixTime;
use lucca_auth::token_response::{
    EXCERPT_MAX_CHARS, TokenError, TokenResponseOptions, parse_token_response,
};

/// Header slots for a response read from fuzzer input.
pub const MAX_HEADERS: usize = 32;

/// The wall clock a response is stamped with when a target wants one:
/// 2026-03-03T10:00:00Z, the `Date` of the shared cases.
pub const WALL_CLOCK: UnixTime = UnixTime::from_secs(1_772_532_000);

/// Reads `input` as a raw HTTP/1.x response head followed by the body as is (so every
/// `.http` case is a valid input) and calls `f` with it. Input that holds no complete head is
/// read as a two-byte big-endian status code followed by the body, without header fields.
pub fn with_response<R>(
    input: &[u8],
    status_override: impl FnOnce(u16) -> u16,
    f: impl FnOnce(&HttpResponse<'_>) -> R,
) -> R {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    if let Ok(httparse::Status::Complete(head_len)) = parsed.parse(input) {
        let status = status_override(parsed.code.unwrap_or_default());
        let body = input.get(head_len..).unwrap_or_default();
        let headers: &[Header<'_>] = parsed.headers;
        return f(&HttpResponse::new(status, headers, body));
    }
    let (status, body) = match input {
        [high, low, body @ ..] => (u16::from_be_bytes([*high, *low]), body),
        _ => (0, input),
    };
    f(&HttpResponse::new(status_override(status), &[], body))
}

/// Parses `response` as a token endpoint answer, with and without a wall clock, and checks
/// every invariant of the result.
pub fn check_token_endpoint_answer(response: &HttpResponse<'_>) {
    check_once(response);
    check_once(&response.with_wall_clock(WALL_CLOCK));
}

fn check_once(response: &HttpResponse<'_>) {
    let options = TokenResponseOptions::default();
    match parse_token_response(response, &options) {
        Ok(token) => {
            assert!((200..300).contains(&response.status()));
            let secret = token.access_token().secret();
            assert!(!secret.is_empty());
            assert!(secret.bytes().all(|b| (0x21..=0x7e).contains(&b)));
            assert!(token.lifetime() <= options.max_lifetime);
            assert_eq!(
                token.expires_in().unwrap_or(options.default_lifetime),
                token.lifetime()
            );
            // The token's Debug does not depend on the token.
            assert_eq!(
                format!("{:?}", token.access_token()),
                format!("{:?}", AccessToken::new("x"))
            );
            // A parsed token always makes a valid Authorization header.
            let mut out = vec![0u8; bearer_authorization_len(token.access_token())];
            assert_eq!(
                write_bearer_authorization(token.access_token(), &mut out),
                Ok(out.len())
            );
            if let Some(granted) = token.granted_scopes() {
                assert!(!granted.is_empty());
            }
        }
        Err(error) => check_error(&error, response),
    }
}

/// The invariants of a [`TokenError`] read from `response`.
pub fn check_error(error: &TokenError, response: &HttpResponse<'_>) {
    let shown = format!("{error} {error:?}");
    assert!(!(error.is_retryable() && error.is_fatal_for_client()));
    let status = response.status();
    if let Some(reported) = error.status() {
        assert_eq!(reported, status);
    }
    match error {
        TokenError::OAuth(oauth) => {
            assert_eq!(oauth.retry_after, retry_after_delay(response));
            for text in [&oauth.description, &oauth.uri].into_iter().flatten() {
                assert_sanitized(text, 200);
            }
        }
        TokenError::UnexpectedStatus {
            excerpt,
            retry_after,
            ..
        } => {
            assert!(!(200..400).contains(&status));
            assert_eq!(*retry_after, retry_after_delay(response));
            assert_sanitized(excerpt, EXCERPT_MAX_CHARS + "[redacted]".len());
            let lower = excerpt.to_ascii_lowercase();
            for marker in [
                "client_secret",
                "access_token",
                "refresh_token",
                "authorization",
                "password",
            ] {
                assert!(!lower.contains(marker), "excerpt shows {marker}");
            }
        }
        TokenError::Redirect { .. } => assert!((300..400).contains(&status)),
        TokenError::UnsupportedTokenType { token_type: text }
        | TokenError::UnsupportedContentEncoding { encoding: text } => {
            assert_sanitized(text, 33);
        }
        _ => {}
    }
    // A 2xx answer's token never reaches an error (when the token appears only once in a body
    // without escapes, no other member can have echoed it).
    if (200..300).contains(&status)
        && let Some(token) = access_token_member(response.body())
        && token.len() >= 8
        && !response.body().contains(&b'\\')
        && count(response.body(), token.as_bytes()) == 1
    {
        assert!(!shown.contains(token.as_str()), "error shows the token");
    }
}

/// No control characters, at most `max_chars` characters plus a cut marker.
fn assert_sanitized(text: &str, max_chars: usize) {
    assert!(!text.chars().any(char::is_control), "control character");
    assert!(text.chars().count() <= max_chars + 1, "text too long");
}

/// The `access_token` string member of a JSON object body, if any.
fn access_token_member(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("access_token")?.as_str().map(String::from)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}
