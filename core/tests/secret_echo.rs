//! Hostile token endpoints that echo the client secret back in forms a literal search misses
//! (found by a hostile test run; these were leaks before `lucca_auth::redaction`).
//!
//! `TokenError::redact` removes the secret "literally, percent-encoded (`%20` and `+` forms,
//! either hex case), JSON-escaped (including `\uXXXX` and `\/`), with its whitespace runs
//! collapsed", and replaces a whole text that still holds it after normalization; the README
//! says "every error the core reports has the secret removed even when a server echoes it
//! back". Each test below feeds one realistic echo through the token machine (which calls
//! `redact` on every failure) and looks for the secret in the reported error.
#![allow(clippy::unwrap_used)]

use lucca_auth::config::{ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::{TokenAction, TokenOutcome};
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth::time::Instant;

/// Feeds one token endpoint answer to a fresh machine and returns every text of the error it
/// reports (`Display`, `Debug`, `{:#?}`).
fn reported(secret: &str, status: u16, content_type: &str, body: &str) -> Vec<String> {
    let config = LuccaConfig::new(
        ClientCredentials::new(ClientId::new("hostile-client"), ClientSecret::new(secret)),
        TenantHost::parse("https://example.ilucca.net").unwrap(),
    );
    let mut machine = config.token_machine(Scopes::new());
    let TokenAction::Send(id) = machine.poll(Instant::ZERO) else {
        panic!("expected a token request");
    };
    let headers = [Header {
        name: "Content-Type",
        value: content_type.as_bytes(),
    }];
    let response = HttpResponse::new(status, &headers, body.as_bytes());
    let TokenOutcome::Failed(error) =
        machine.handle_token_response(Instant::from_millis(10), id, &response)
    else {
        panic!("expected a failure");
    };
    vec![
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ]
}

fn assert_no(needle: &str, texts: &[String]) {
    for text in texts {
        assert!(
            !text.contains(needle),
            "secret fragment {needle:?} leaked in: {text}"
        );
    }
}

/// A JSON error body that is not an OAuth error (no `error` member) is reported as an
/// `UnexpectedStatus` with a raw excerpt of the body. JSON serializers escape characters the
/// core's own JSON form does not: Python's `json.dumps` (ensure_ascii) writes `é` as
/// `\u00e9`; .NET's System.Text.Json (Lucca's stack) writes `+`, `&`, `<`, `>`, `'` and
/// every non-ASCII character as `\uXXXX`; PHP writes `/` as `\/`. The excerpt keeps the
/// escaped text; its JSON-unescaped view holds the secret.
#[test]
fn json_unicode_escaped_echo_is_redacted() {
    let secret = "Sëntinel+S3cr3t&x";
    // What System.Text.Json / json.dumps put on the wire for that secret.
    let escaped = r"S\u00EBntinel\u002BS3cr3t\u0026x";
    let body = format!(r#"{{"title":"Bad Request","detail":"bad value {escaped}"}}"#);
    let texts = reported(secret, 400, "application/problem+json", &body);
    assert_no("ntinel", &texts);
    assert_no("S3cr3t", &texts);
}

/// PHP's `json_encode` escapes `/` as `\/` by default.
#[test]
fn json_slash_escaped_echo_is_redacted() {
    let secret = "abc/def/S3cr3t/ghi";
    let body = r#"{"message":"client abc\/def\/S3cr3t\/ghi unknown"}"#;
    let texts = reported(secret, 400, "application/json", body);
    assert_no("S3cr3t", &texts);
}

/// "percent-encoded ... either hex case": a server that re-encodes with lowercase hex digits
/// keeps the secret's own letters as they are (`Se%2fcret`), which is neither the upper- nor
/// the lower-cased exact form; its percent-decoded view holds the secret.
#[test]
fn lowercase_hex_percent_echo_of_a_mixed_case_secret_is_redacted() {
    let secret = "Pa55/W0rd+Secret";
    // Lowercase hex escapes (as e.g. a server re-encoding the form does), letters untouched.
    let echoed = "Pa55%2fW0rd%2bSecret";
    let body = format!(
        r#"{{"error":"invalid_request","error_description":"received client_id=hostile-client&secret={echoed}"}}"#
    );
    let texts = reported(secret, 400, "application/json", &body);
    assert_no("W0rd", &texts);
}

/// `sanitize` collapses whitespace runs and turns control characters into one space before
/// `redact` runs, so a secret holding two spaces, a tab or a line break (a multi-line secret
/// read from a file) no longer matches its own literal echo; it is compared whitespace-folded.
#[test]
fn secret_with_a_whitespace_run_is_redacted_after_sanitizing() {
    for secret in [
        "first-half  S3cr3t-second",
        "first-half\tS3cr3t-second",
        "line1\nS3cr3t-line2",
    ] {
        let description = serde_json::to_string(&format!("bad secret {secret}")).unwrap();
        let body = format!(r#"{{"error":"invalid_client","error_description":{description}}}"#);
        let texts = reported(secret, 401, "application/json", &body);
        assert_no("S3cr3t", &texts);
    }
}

/// An unknown `error` code is kept (sanitized, up to 64 characters) in
/// `OAuthErrorCode::Other` and printed by `Display` (and by the CLI as its `error` value): a
/// server whose `error` member echoes the request must not put the secret there.
#[test]
fn secret_echoed_in_the_oauth_error_code_is_redacted() {
    let secret = "S3cr3t-in-code";
    let body = format!(r#"{{"error":"bad_secret_{secret}"}}"#);
    let texts = reported(secret, 400, "application/json", &body);
    assert_no("S3cr3t", &texts);
}

/// A secret shorter than `MIN_SECRET_LEN` is not searched for: redacting `s` would mangle
/// unrelated words (`connection refu[redacted]ed`) and show where the secret is.
#[test]
fn a_very_short_secret_leaves_unrelated_words_alone() {
    let texts = reported(
        "s",
        400,
        "application/json",
        r#"{"error":"invalid_request","error_description":"missing parameters"}"#,
    );
    assert!(
        texts[0].ends_with("invalid_request (HTTP 400): missing parameters"),
        "{}",
        texts[0]
    );
    assert_no("[redacted]", &texts);
}

/// A server that dumps the raw request bytes writes the secret as a byte list (`Debug` of a
/// byte slice); one that encodes what it echoes writes it in base64, alone. Both are removed.
#[test]
fn byte_list_and_base64_echoes_of_the_secret_are_redacted() {
    let secret = "S3cr3tValue-0123";
    let spaced = format!("{:?}", secret.as_bytes());
    let tight = spaced.replace(", ", ",");
    let base64 = "UzNjcjN0VmFsdWUtMDEyMw==";
    for echo in [
        format!("got {spaced}"),
        format!("got body={tight}"),
        format!("credential {base64} refused"),
        format!("credential {} refused", base64.trim_end_matches('=')),
    ] {
        let body =
            serde_json::json!({"error": "invalid_client", "error_description": echo}).to_string();
        let texts = reported(secret, 401, "application/json", &body);
        assert_no(spaced.trim_matches(['[', ']']), &texts);
        assert_no(tight.trim_matches(['[', ']']), &texts);
        assert_no(base64.trim_end_matches('='), &texts);
        assert_no(secret, &texts);
    }
}

/// A form body put into a URL is percent-encoded twice (`%2F` becomes `%252F`): an error page
/// that quotes such a URL is redacted too.
#[test]
fn twice_percent_encoded_echo_is_redacted() {
    let secret = "Pa55/W0rd+Secret";
    let body = serde_json::json!({
        "error": "invalid_client",
        "error_description": "rejected https://idp.example/login?q=Pa55%252FW0rd%252BSecret",
    })
    .to_string();
    let texts = reported(secret, 401, "application/json", &body);
    assert_no("Pa55%252FW0rd%252BSecret", &texts);
    assert_no("W0rd", &texts);
}
