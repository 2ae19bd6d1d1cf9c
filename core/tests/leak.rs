//! The secret and the token never leak: a sentinel secret and token full of special
//! characters, and every public type and error formatted in every state, searched for every
//! encoding of both (literal, percent-encoded with `%20` and with `+`, the Basic header's
//! base64, and a byte list).

use core::time::Duration;

use base64::Engine as _;
use lucca_auth::api::{ApiAttempt, ApiResponseClass, BearerAuthorization};
use lucca_auth::config::{ClientAuthMethod, ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::machine::{TokenAction, TokenOutcome};
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth::time::{Instant, UnixTime};
use lucca_auth::token_response::{
    TokenResponseOptions, TransportError, TransportErrorKind, parse_token_response,
};

const CLIENT_ID: &str = "leak-test-client";
const SECRET: &str = "S3nt!nel s3cret:+/%&=é€\"\\<>";
const TOKEN: &str = "AT.s3ntinel~token-_+/=!*'()";

/// Every form in which a sentinel could show up in text.
fn encodings(value: &str) -> Vec<String> {
    let percent20: String = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let plus: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let basic_pair = format!("{}:{}", CLIENT_ID, percent20);
    let basic_plain = format!("{CLIENT_ID}:{value}");
    vec![
        value.to_string(),
        percent20.clone(),
        percent20.to_lowercase(),
        plus,
        base64::engine::general_purpose::STANDARD.encode(basic_pair),
        base64::engine::general_purpose::STANDARD.encode(basic_plain),
        base64::engine::general_purpose::STANDARD.encode(value),
        // The byte list without its brackets, so that a sentinel inside a longer byte list
        // (a whole body formatted as bytes) is caught too.
        byte_list(value.as_bytes()),
        format!("{:?}", value),
    ]
}

/// `bytes` as `Debug` prints a byte slice, without the surrounding brackets: `83, 51, 110`.
fn byte_list(bytes: &[u8]) -> String {
    let list = format!("{bytes:?}");
    list.trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned()
}

fn assert_clean(what: &str, text: &str) {
    for sentinel in [SECRET, TOKEN] {
        for form in encodings(sentinel) {
            assert!(
                !text.contains(&form),
                "{what} leaks a sentinel as {form:?}: {text}"
            );
        }
    }
}

fn check<T: core::fmt::Debug>(what: &str, value: &T) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn check_display<T: core::fmt::Debug + core::fmt::Display>(what: &str, value: &T) {
    check(what, value);
    assert_clean(what, &format!("{value}"));
}

fn config(method: ClientAuthMethod) -> LuccaConfig {
    LuccaConfig::new(
        ClientCredentials::new(ClientId::new(CLIENT_ID), ClientSecret::new(SECRET))
            .with_method(method),
        TenantHost::parse("https://example.ilucca.net").expect("tenant"),
    )
    .with_token_endpoint(TokenEndpoint::default())
    .with_scopes(Scopes::parse_space_separated("leaves.readonly").expect("scopes"))
}

const JSON: [Header<'static>; 1] = [Header {
    name: "Content-Type",
    value: b"application/json",
}];

fn token_body() -> String {
    format!(
        r#"{{"token_type":"Bearer","access_token":"{}","expires_in":1800}}"#,
        TOKEN
    )
}

#[test]
fn sentinels_are_caught_by_the_checker() {
    // The checker itself must fail on a leak, or every other test here proves nothing.
    for form in encodings(SECRET).into_iter().chain(encodings(TOKEN)) {
        let leaked = std::panic::catch_unwind(|| assert_clean("probe", &form));
        assert!(leaked.is_err(), "checker missed {form:?}");
    }
}

#[test]
fn credentials_config_and_requests_never_show_the_secret() {
    for method in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic] {
        let config = config(method);
        check("ClientSecret", &config.credentials.secret());
        check("ClientCredentials", &config.credentials);
        check("LuccaConfig", &config);
        let machine = config.token_machine(config.scopes.clone());
        check("TokenMachine (new)", &machine);
        let request = machine.token_request();
        check("TokenRequest", &request);
        check("TokenRequest body", &request.body());
        if let Some(basic) = request.basic_authorization() {
            check("Basic authorization", &basic);
        }
    }
}

#[test]
fn machine_in_every_state_never_shows_secret_or_token() {
    let config = config(ClientAuthMethod::RequestBody);
    let mut machine = config.token_machine(config.scopes.clone());
    let t0 = Instant::from_millis(1_000);

    let id = match machine.poll(t0) {
        TokenAction::Send(id) => id,
        other => panic!("expected Send, got {other:?}"),
    };
    check("TokenAction::Send", &id);
    check("TokenMachine (fetching)", &machine);
    check("TokenAction::AwaitInFlight", &machine.poll(t0));

    let body = token_body();
    let outcome =
        machine.handle_token_response(t0, id, &HttpResponse::new(200, &JSON, body.as_bytes()));
    assert!(matches!(outcome, TokenOutcome::Issued(_)));
    check("TokenOutcome::Issued", &outcome);
    check("TokenMachine (token)", &machine);
    let action = machine.poll(t0);
    assert!(matches!(action, TokenAction::Use(_)));
    check("TokenAction::Use", &action);
    let cached = machine.current().expect("token").clone();
    check("CachedToken", &cached);
    let snapshot = machine
        .export(t0, UnixTime::from_secs(1_772_532_000))
        .expect("usable");
    check("TokenSnapshot", &snapshot);
    check("AccessToken", &snapshot.access_token);
    let bearer = BearerAuthorization::new(cached.access_token()).expect("header-safe token");
    check("BearerAuthorization", &bearer);

    // A refresh that fails with the token still valid, then a halt.
    let later = t0 + Duration::from_secs(1700);
    let refresh = match machine.poll(later) {
        TokenAction::Send(id) => id,
        other => panic!("expected a refresh, got {other:?}"),
    };
    let failed = machine.handle_transport_error(
        later,
        refresh,
        TransportError::new(TransportErrorKind::Timeout),
    );
    check("TokenOutcome::Failed", &failed);
    check("TokenMachine (backoff)", &machine);
    let much_later = t0 + Duration::from_secs(4000);
    let id = match machine.poll(much_later) {
        TokenAction::Send(id) => id,
        other => panic!("expected Send, got {other:?}"),
    };
    // A proxy that echoes the request in a non-JSON error page: retryable, redacted.
    let page = format!(
        "<html>bad gateway for client_secret {SECRET} / {}",
        encodings(SECRET)[3]
    );
    let echoed = machine.handle_token_response(
        much_later,
        id,
        &HttpResponse::new(502, &[], page.as_bytes()),
    );
    check("TokenOutcome (echo page)", &echoed);
    if let TokenOutcome::Failed(error) = &echoed {
        check_display("TokenError::UnexpectedStatus", error);
    }
    let much_later = much_later + Duration::from_secs(10);
    let id = match machine.poll(much_later) {
        TokenAction::Send(id) => id,
        other => panic!("expected Send, got {other:?}"),
    };
    // A server that echoes the secret in its OAuth error description.
    let echo = serde_json::json!({"error": "invalid_client", "error_description": format!("bad secret {SECRET}")}).to_string();
    let halted = machine.handle_token_response(
        much_later,
        id,
        &HttpResponse::new(401, &JSON, echo.as_bytes()),
    );
    check("TokenOutcome (halted)", &halted);
    if let TokenOutcome::Failed(error) = &halted {
        check_display("TokenError::OAuth", error);
    }
    check("TokenAction::Halted", &machine.poll(much_later));
    check("TokenMachine (halted)", &machine);
}

#[test]
fn token_errors_never_quote_a_token_or_an_echoed_secret() {
    let options = TokenResponseOptions::default();
    let html_echo = format!("<html>proxy error for client_secret={SECRET} token {TOKEN}</html>");
    let form_echo = format!(
        "grant_type=client_credentials&client_secret={}",
        encodings(SECRET)[1]
    );
    let token = token_body();
    let bad_type = format!(r#"{{"token_type":"mac","access_token":"{TOKEN}"}}"#);
    let negative = format!(r#"{{"access_token":"{TOKEN}","expires_in":-1}}"#);
    let oversized = format!("{}{}", token_body(), " ".repeat(70_000));
    let cases: Vec<(u16, &[Header<'_>], &[u8])> = vec![
        (502, &[], html_echo.as_bytes()),
        (400, &[], form_echo.as_bytes()),
        (302, &[], token.as_bytes()),
        (200, &JSON, bad_type.as_bytes()),
        (200, &JSON, negative.as_bytes()),
        (200, &JSON, oversized.as_bytes()),
        (
            200,
            &[Header {
                name: "Content-Type",
                value: b"text/html",
            }],
            token.as_bytes(),
        ),
        (
            200,
            &[Header {
                name: "Content-Encoding",
                value: b"gzip",
            }],
            token.as_bytes(),
        ),
        (200, &JSON, &token.as_bytes()[..token.len() - 3]),
    ];
    for (status, headers, body) in cases {
        let error = parse_token_response(&HttpResponse::new(status, headers, body), &options)
            .expect_err("each case is an error");
        check_display(&format!("TokenError for status {status}"), &error);
    }
    let ok = parse_token_response(&HttpResponse::new(200, &JSON, token.as_bytes()), &options)
        .expect("token");
    check("TokenResponse", &ok);
}

#[test]
fn api_classification_never_shows_the_token() {
    let challenge =
        format!(r#"Bearer error="invalid_token", error_description="token {TOKEN} revoked""#);
    let headers = [Header {
        name: "WWW-Authenticate",
        value: challenge.as_bytes(),
    }];
    for attempt in [ApiAttempt::First, ApiAttempt::RetryAfterRefresh] {
        let class = ApiResponseClass::classify(&HttpResponse::new(401, &headers, b""), attempt);
        check("ApiResponseClass (401)", &class);
    }

    // A 403 whose challenge and a 4xx whose problem+json echo the token: once redacted with
    // the token that was sent, no text holds it.
    let config = config(ClientAuthMethod::RequestBody);
    let mut machine = config.token_machine(config.scopes.clone());
    let t0 = Instant::from_millis(1_000);
    let TokenAction::Send(id) = machine.poll(t0) else {
        panic!("a token request first");
    };
    let body = token_body();
    let _ = machine.handle_token_response(t0, id, &HttpResponse::new(200, &JSON, body.as_bytes()));
    let token = machine.current().expect("token").access_token().clone();
    let forbidden = format!(
        r#"Bearer error="insufficient_scope", scope="employees.readonly {TOKEN}", error_description="{TOKEN} lacks it""#
    );
    let forbidden_headers = [Header {
        name: "WWW-Authenticate",
        value: forbidden.as_bytes(),
    }];
    let problem = serde_json::json!({
        "type": "about:blank", "title": format!("bad {TOKEN}"), "status": 422,
        "detail": format!("token {TOKEN}"), "errors": {"token": [TOKEN]}, "traceId": TOKEN,
    })
    .to_string();
    let problem_headers = [Header {
        name: "Content-Type",
        value: b"application/problem+json",
    }];
    for (status, headers, body) in [
        (403, &forbidden_headers[..], &b""[..]),
        (422, &problem_headers[..], problem.as_bytes()),
    ] {
        let mut class = ApiResponseClass::classify(
            &HttpResponse::new(status, headers, body),
            ApiAttempt::First,
        );
        class.redact(&token);
        check(&format!("ApiResponseClass ({status}, redacted)"), &class);
    }
}

#[test]
fn http_views_never_show_a_body_or_a_credential_field() {
    let body = token_body();
    let bearer = format!("Bearer {TOKEN}");
    let headers = [
        Header {
            name: "Content-Type",
            value: b"application/json",
        },
        Header {
            name: "Set-Cookie",
            value: bearer.as_bytes(),
        },
    ];
    check(
        "HttpResponse (token answer)",
        &HttpResponse::new(200, &headers, body.as_bytes()),
    );
    let authorization = [Header {
        name: "Authorization",
        value: bearer.as_bytes(),
    }];
    let head =
        lucca_auth::codec::RequestHead::new("GET", "/lucca-api/leaves", "example.ilucca.net")
            .with_headers(&authorization);
    check("RequestHead", &head);
}
