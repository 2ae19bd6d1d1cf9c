//! Siblings of the shared cases for kinds of fault the in-module tables do not cover yet,
//! as whole HTTP/1.1 responses (`tests/data/siblings/SNN-*.http`) read by the codec (whole,
//! split at every byte, and byte by byte, with the same result) and parsed by
//! `parse_token_response`, with their exact expected values. (They sit in a folder of their
//! own: other crates' tests enumerate `tests/data/*.http` as the closed set of shared cases.)
//!
//! - S03 (B21's kind, chunked framing): a chunk extension, upper-case hex, a one-byte chunk
//!   and a trailer field; the body is the concatenated chunk data only.
//! - S09 (B11's kind, an OAuth error in a body not labelled JSON): no `Content-Type` at all.
//! - S10 (B12's kind, a 5xx whose body is not the JSON it claims): truncated JSON; the error
//!   is the status with an excerpt, never a JSON syntax error.

use lucca_auth::codec::{Limits, ParseStatus, ResponseParser};
use lucca_auth::token_response::{
    OAuthErrorCode, TokenError, TokenResponse, TokenResponseOptions, parse_token_response,
};

const S03: &[u8] = include_bytes!("data/siblings/S03-chunked-extensions-trailer.http");
const S09: &[u8] = include_bytes!("data/siblings/S09-oauth-error-without-content-type.http");
const S10: &[u8] = include_bytes!("data/siblings/S10-token-502-truncated-json.http");

/// The codec's reading of `raw` fed in pieces ending at each of `cuts`, then the token
/// response parser's: the status, the decoded body and the parse result.
fn parse_with_cuts(
    raw: &[u8],
    cuts: &[usize],
) -> (u16, Vec<u8>, Result<TokenResponse, TokenError>) {
    let mut buf = raw.to_vec();
    let mut parser = ResponseParser::new(Limits::new());
    let mut complete = None;
    for &cut in cuts.iter().chain(std::iter::once(&raw.len())) {
        let piece = buf.get_mut(..cut).unwrap_or_default();
        match parser.handle_bytes(piece) {
            Ok(ParseStatus::Complete(parsed)) => {
                complete = Some(parsed);
                break;
            }
            Ok(ParseStatus::Partial { .. }) => {}
            Err(e) => panic!("cut at {cut}: {e}"),
        }
    }
    let Some(parsed) = complete else {
        panic!("not one complete response");
    };
    assert_eq!(parsed.consumed(), raw.len());
    let mut headers = vec![lucca_auth::codec::EMPTY_HEADER; parsed.header_count()];
    let response = parsed
        .response(&buf, &mut headers)
        .unwrap_or_else(|e| panic!("{e}"));
    let body = response.body().to_vec();
    let result = parse_token_response(&response, &TokenResponseOptions::default());
    (response.status(), body, result)
}

/// [`parse_with_cuts`] whole; checked to give the same at every split and byte by byte.
fn parse(raw: &[u8]) -> (Vec<u8>, Result<TokenResponse, TokenError>) {
    let (status, body, result) = parse_with_cuts(raw, &[]);
    let same = |(s, b, r): (u16, Vec<u8>, Result<TokenResponse, TokenError>)| {
        s == status
            && b == body
            && match (&r, &result) {
                (Ok(a), Ok(b)) => {
                    a.access_token().secret() == b.access_token().secret()
                        && a.expires_in() == b.expires_in()
                }
                (Err(a), Err(b)) => a == b,
                _ => false,
            }
    };
    for cut in 1..raw.len() {
        assert!(same(parse_with_cuts(raw, &[cut])), "split at {cut}");
    }
    let bytewise: Vec<usize> = (1..raw.len()).collect();
    assert!(same(parse_with_cuts(raw, &bytewise)), "byte by byte");
    (body, result)
}

#[test]
fn s03_chunked_with_extension_and_trailer_is_a_token() {
    let (body, result) = parse(S03);
    assert_eq!(
        body,
        br#"{"token_type":"bearer","access_token":"AT-sibling-03","expires_in":1800}"#
    );
    let token = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(token.access_token().secret(), "AT-sibling-03");
    assert_eq!(
        token.expires_in(),
        Some(core::time::Duration::from_secs(1800))
    );
    assert!(!token.token_type_missing());
    assert_eq!(token.scope(), None);
}

#[test]
fn s09_oauth_error_without_content_type_is_read() {
    let (_, result) = parse(S09);
    let Err(error) = result else {
        panic!("S09 gave a token");
    };
    let TokenError::OAuth(oauth) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        (
            &oauth.code,
            oauth.status,
            oauth.description.as_deref(),
            oauth.uri.as_deref(),
            oauth.retry_after
        ),
        (
            &OAuthErrorCode::InvalidScope,
            400,
            Some("unknown scope requested"),
            None,
            None
        )
    );
    assert!(!error.is_retryable());
    assert!(error.is_fatal_for_client());
}

#[test]
fn s10_truncated_json_on_502_is_a_transient_status_not_a_syntax_error() {
    let (_, result) = parse(S10);
    let Err(error) = result else {
        panic!("S10 gave a token");
    };
    assert_eq!(
        error,
        TokenError::UnexpectedStatus {
            status: 502,
            excerpt: r#"{"error":"server_error","error_descr"#.to_owned(),
            retry_after: None,
        }
    );
    assert!(error.is_retryable());
    assert!(!error.is_fatal_for_client());
    assert_eq!(
        error.to_string(),
        r#"token endpoint answered HTTP 502 without an OAuth error (body starts: "{"error":"server_error","error_descr")"#
    );
}
