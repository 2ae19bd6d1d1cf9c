//! The shared real-world cases that concern the adapter, replayed byte for byte by a raw
//! loopback server (`common::ScriptedServer`, a std `TcpListener`), with a sibling of each
//! kind of fault (`tests/data/SNN-*.http`): token answers through the whole adapter (B01,
//! B03, B07, B21 chunked, B24, and siblings), no retry after `invalid_client` (B14), one
//! `Retry-After` shared by concurrent callers (B15), a 401 → new token → one retry, then
//! `Unauthorized` (B18, and B03's refresh on 401), a 403 naming its scopes (B19), and a
//! token that keeps serving while its refresh is in flight (B24).
//! (B05, B08 and B17 are in `api.rs`.)
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use common::{Recorded, ScriptedServer, json, scripted_config, token_answer};
use lucca_auth::token_response::{OAuthErrorCode, TokenError};
use lucca_auth_ureq::{Error, LuccaClient};

const B01: &[u8] = include_bytes!("data/B01.http");
const B03: &[u8] = include_bytes!("data/B03.http");
const B07: &[u8] = include_bytes!("data/B07.http");
const B14: &[u8] = include_bytes!("data/B14.http");
const B15: &[u8] = include_bytes!("data/B15.http");
const B18: &[u8] = include_bytes!("data/B18.http");
const B19: &[u8] = include_bytes!("data/B19.http");
const B21: &[u8] = include_bytes!("data/B21.http");
const B24: &[u8] = include_bytes!("data/B24.http");
const S01: &[u8] = include_bytes!("data/S01-expires-in-float.http");
const S02: &[u8] = include_bytes!("data/S02-token-type-missing.http");
const S03: &[u8] = include_bytes!("data/S03-chunked-extensions-trailer.http");
const S04: &[u8] = include_bytes!("data/S04-token-401-basic-challenge-empty-body.http");
const S05: &[u8] = include_bytes!("data/S05-retry-after-http-date.http");
const S06: &[u8] = include_bytes!("data/S06-403-lowercase-bearer-two-scopes.http");
const S07: &[u8] = include_bytes!("data/S07-401-no-challenge.http");
const S11: &[u8] = include_bytes!("data/S11-retry-after-date-without-date-header.http");

const TOKEN_PATH: &str = "/connect/token";
const API_PATH: &str = "/lucca-api/leaves";

/// A server whose token endpoint answers `token` and whose API answers `api` (both given
/// the number of earlier requests to the same path).
fn server(
    token: impl Fn(usize) -> Vec<u8> + Send + Sync + 'static,
    api: impl Fn(usize) -> Vec<u8> + Send + Sync + 'static,
) -> ScriptedServer {
    ScriptedServer::start(move |request: &Recorded, earlier| {
        if request.path() == TOKEN_PATH {
            token(earlier)
        } else {
            api(earlier)
        }
    })
}

fn ok_list(_: usize) -> Vec<u8> {
    json(r#"{"items":[]}"#)
}

fn authorizations(server: &ScriptedServer) -> Vec<String> {
    server
        .requests_to(API_PATH)
        .iter()
        .flat_map(|request| {
            request
                .header_values("authorization")
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A token answer case and what the adapter must make of it.
struct TokenCase {
    name: &'static str,
    bytes: &'static [u8],
    requested: &'static str,
    access_token: &'static str,
    /// `TokenInfo::expires_in` in seconds (`None`: the server sent none).
    expires_in: Option<u64>,
    granted: &'static str,
    token_type_missing: bool,
    scope_missing: bool,
}

/// Every token answer case through the adapter: the token, its lifetime (the stated one or
/// the 1800 s default), usable until 1740 s after the request was sent (margin
/// min(60 s, lifetime/10) subtracted, never added: B24), and the API request's exact
/// `Authorization: Bearer <token>` header.
#[test]
fn token_answers_through_the_adapter() {
    #[rustfmt::skip]
    let cases = [
        // B01: expires_in as a string; S01: as a decimal number (rounded down).
        TokenCase { name: "B01", bytes: B01, requested: "leaves.readonly", access_token: "AT-demo-0001", expires_in: Some(1800), granted: "leaves.readonly", token_type_missing: false, scope_missing: true },
        TokenCase { name: "S01", bytes: S01, requested: "leaves.readonly", access_token: "AT-sibling-01", expires_in: Some(1800), granted: "leaves.readonly", token_type_missing: false, scope_missing: true },
        // B03: no expires_in: lifetime unknown, the default (1800 s) applies.
        TokenCase { name: "B03", bytes: B03, requested: "leaves.readonly", access_token: "AT-demo-0003", expires_in: None, granted: "leaves.readonly", token_type_missing: false, scope_missing: true },
        // S02: no token_type at all: used as Bearer, flagged.
        TokenCase { name: "S02", bytes: S02, requested: "leaves.readonly", access_token: "AT-sibling-02", expires_in: Some(1800), granted: "leaves.readonly", token_type_missing: true, scope_missing: true },
        // B07: unknown members of every JSON type ignored.
        TokenCase { name: "B07", bytes: B07, requested: "leaves.readonly", access_token: "AT-demo-0007", expires_in: Some(1800), granted: "leaves.readonly", token_type_missing: false, scope_missing: true },
        // B21: chunked; S03: chunk extension, upper-case hex, a one-byte chunk, a trailer.
        TokenCase { name: "B21", bytes: B21, requested: "leaves.readonly", access_token: "AT-demo-0021", expires_in: Some(1800), granted: "leaves.readonly", token_type_missing: false, scope_missing: true },
        TokenCase { name: "S03", bytes: S03, requested: "leaves.readonly", access_token: "AT-sibling-03", expires_in: Some(1800), granted: "leaves.readonly", token_type_missing: false, scope_missing: true },
        // B24: the expiry base is the time the request was sent.
        TokenCase { name: "B24", bytes: B24, requested: "leaves.readonly leave-requests.readonly", access_token: "AT-demo-0024", expires_in: Some(1800), granted: "leaves.readonly leave-requests.readonly", token_type_missing: false, scope_missing: true },
    ];
    for case in cases {
        let name = case.name;
        let bytes = case.bytes;
        let server = server(move |_| bytes.to_vec(), ok_list);
        let client = LuccaClient::new(scripted_config(&server, case.requested));
        let before = Instant::now();
        let info = client
            .token()
            .unwrap_or_else(|e| panic!("{name}: {e} ({e:?})"));
        let after = Instant::now();
        assert_eq!(info.access_token().secret(), case.access_token, "{name}");
        assert_eq!(info.generation().get(), 1, "{name}");
        assert_eq!(
            info.expires_in(),
            case.expires_in.map(Duration::from_secs),
            "{name}"
        );
        assert_eq!(info.granted().to_space_separated(), case.granted, "{name}");
        assert!(info.not_granted().is_empty(), "{name}");
        assert_eq!(info.token_type_missing(), case.token_type_missing, "{name}");
        assert_eq!(info.scope_missing(), case.scope_missing, "{name}");
        let usable = Duration::from_secs(1740);
        let slack = Duration::from_millis(1);
        assert!(
            info.usable_until() + slack >= before + usable
                && info.usable_until() <= after + usable + slack,
            "{name}: usable until {:?} after the request",
            info.usable_until().saturating_duration_since(before)
        );

        let response = client.get(API_PATH).send().unwrap();
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(
            authorizations(&server),
            [format!("Bearer {}", case.access_token)],
            "{name}"
        );
        assert_eq!(server.requests_to(TOKEN_PATH).len(), 1, "{name}");
    }
}

/// B14: a token endpoint 401 `invalid_client` is a credential problem: one request, not
/// retryable, no retry even with `wait_max`, and every later call gets the same error
/// without a new request. S04: the same refusal as a bare 401 with a `Basic` challenge and
/// no body.
#[test]
fn b14_invalid_client_is_one_request_and_never_retried() {
    let b14_check: fn(&TokenError) = |error| match error {
        TokenError::OAuth(oauth) => {
            assert_eq!(
                (
                    &oauth.code,
                    oauth.status,
                    &oauth.description,
                    &oauth.uri,
                    oauth.retry_after
                ),
                (&OAuthErrorCode::InvalidClient, 401, &None, &None, None)
            );
        }
        other => panic!("B14: {other:?}"),
    };
    let s04_check: fn(&TokenError) = |error| {
        assert_eq!(
            *error,
            TokenError::UnexpectedStatus {
                status: 401,
                excerpt: String::new(),
                retry_after: None
            }
        );
    };
    type Case = (&'static str, &'static [u8], fn(&TokenError));
    let cases: [Case; 2] = [("B14", B14, b14_check), ("S04", S04, s04_check)];
    for (name, bytes, check) in cases {
        let server = server(move |_| bytes.to_vec(), ok_list);
        let client = LuccaClient::builder(scripted_config(&server, "leaves.readonly"))
            .wait_max(Duration::from_secs(5))
            .build();
        let started = Instant::now();
        let first = match client.token() {
            Err(Error::Token(error)) => error,
            other => panic!("{name}: {other:?}"),
        };
        check(&first);
        assert_eq!(first.status(), Some(401), "{name}");
        assert!(!first.is_retryable(), "{name}");
        assert!(first.is_fatal_for_client(), "{name}");
        for _ in 0..2 {
            assert_eq!(
                client.token().map(|t| t.generation()),
                Err(Error::Token(first.clone())),
                "{name}"
            );
            assert_eq!(
                client.get(API_PATH).send().map(|r| r.status()),
                Err(Error::Token(first.clone())),
                "{name}"
            );
        }
        assert!(started.elapsed() < Duration::from_secs(2), "{name}: waited");
        assert_eq!(server.requests_to(TOKEN_PATH).len(), 1, "{name}");
        assert_eq!(server.requests_to(API_PATH).len(), 0, "{name}");
    }
}

/// B15: a 429 with `Retry-After: 30`: reported with its delay to every one of 8 concurrent
/// callers (and to later ones), from one single token request; nobody asks again within
/// the wait, and a wait longer than `wait_max` is not waited at all. S05: the HTTP-date
/// form on a 503 (`Retry-After` 2 minutes after the response's `Date`); S11: a date with
/// no `Date` header, counted from the adapter's wall clock (far ahead: capped at a day).
#[test]
fn b15_retry_after_is_shared_by_concurrent_callers() {
    let cases: [(&str, &'static [u8], TokenError); 3] = [
        (
            "B15",
            B15,
            TokenError::UnexpectedStatus {
                status: 429,
                excerpt: String::new(),
                retry_after: Some(Duration::from_secs(30)),
            },
        ),
        (
            "S05",
            S05,
            TokenError::UnexpectedStatus {
                status: 503,
                excerpt: "<html><body>Maintenance</body></html>".to_owned(),
                retry_after: Some(Duration::from_secs(120)),
            },
        ),
        (
            "S11",
            S11,
            TokenError::UnexpectedStatus {
                status: 429,
                excerpt: String::new(),
                retry_after: Some(Duration::from_secs(86_400)),
            },
        ),
    ];
    for (name, bytes, expected) in cases {
        let server = server(move |_| bytes.to_vec(), ok_list);
        let client = LuccaClient::builder(scripted_config(&server, "leaves.readonly"))
            .wait_max(Duration::from_secs(2))
            .build();
        let started = Instant::now();
        let barrier = Barrier::new(8);
        thread::scope(|scope| {
            for _ in 0..8 {
                let (client, barrier, expected) = (client.clone(), &barrier, &expected);
                scope.spawn(move || {
                    barrier.wait();
                    let error = client.token().map(|t| t.generation()).unwrap_err();
                    assert_eq!(error, Error::Token(expected.clone()), "{name}");
                    assert!(error.is_retryable(), "{name}");
                    assert_eq!(error.retry_after(), expected.retry_after(), "{name}");
                });
            }
        });
        // Later callers, and API calls, get the same wait without a request.
        thread::sleep(Duration::from_millis(200));
        assert_eq!(
            client.get(API_PATH).send().map(|r| r.status()),
            Err(Error::Token(expected.clone())),
            "{name}"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{name}: waited");
        assert_eq!(server.requests_to(TOKEN_PATH).len(), 1, "{name}");
        assert_eq!(server.requests_to(API_PATH).len(), 0, "{name}");
    }
}

/// B18: an API 401 `invalid_token` drops the cached token, fetches a new one and resends
/// once, which succeeds; if the retry gets 401 too, `Error::Unauthorized` and no further
/// refresh. S07: the same with a 401 that has no challenge at all.
#[test]
fn b18_invalid_token_refreshes_once_then_is_unauthorized() {
    for (name, bytes) in [("B18", B18), ("S07", S07)] {
        let issue = |earlier: usize| token_answer(&format!("AT-{earlier}"), 1800);

        // The retry with the new token succeeds.
        let server_once = server(issue, move |earlier| {
            if earlier == 0 {
                bytes.to_vec()
            } else {
                ok_list(earlier)
            }
        });
        let client = LuccaClient::new(scripted_config(&server_once, "leaves.readonly"));
        assert_eq!(client.get(API_PATH).send().unwrap().status(), 200, "{name}");
        assert_eq!(
            authorizations(&server_once),
            ["Bearer AT-0", "Bearer AT-1"],
            "{name}"
        );
        assert_eq!(server_once.requests_to(TOKEN_PATH).len(), 2, "{name}");
        assert_eq!(client.token().unwrap().generation().get(), 2, "{name}");

        // The retry is refused too: fatal, exactly one refresh.
        let server_always = server(issue, move |_| bytes.to_vec());
        let client = LuccaClient::new(scripted_config(&server_always, "leaves.readonly"));
        assert_eq!(
            client.get(API_PATH).send().map(|r| r.status()),
            Err(Error::Unauthorized),
            "{name}"
        );
        assert_eq!(
            authorizations(&server_always),
            ["Bearer AT-0", "Bearer AT-1"],
            "{name}"
        );
        assert_eq!(server_always.requests_to(TOKEN_PATH).len(), 2, "{name}");
    }
}

/// B03 with an API 401: a token of unknown lifetime is cached until the first 401, then
/// replaced and the request resent once.
#[test]
fn b03_unknown_lifetime_is_refreshed_on_the_first_401() {
    let server = server(
        |_| B03.to_vec(),
        |earlier| {
            if earlier == 1 {
                B18.to_vec()
            } else {
                ok_list(earlier)
            }
        },
    );
    let client = LuccaClient::new(scripted_config(&server, "leaves.readonly"));
    for _ in 0..3 {
        assert_eq!(client.get(API_PATH).send().unwrap().status(), 200);
    }
    // Calls 1 and 2 (refused), the resend of 2 with the new token, call 3.
    assert_eq!(server.requests_to(API_PATH).len(), 4);
    assert_eq!(server.requests_to(TOKEN_PATH).len(), 2);
    let info = client.token().unwrap();
    assert_eq!(info.generation().get(), 2);
    assert_eq!(info.expires_in(), None);
}

/// B19: a 403 whose `Bearer` challenge follows a `Basic` one in the same header, with an
/// escaped quote in its description, names both scopes; S06: a lower-case `bearer`
/// challenge. Never a token refresh; the cached token is kept.
#[test]
fn b19_missing_scope_names_every_scope_without_refresh() {
    let cases: [(&str, &'static [u8], &str); 2] = [
        ("B19", B19, r#"requires "leaves.readonly", granted: none"#),
        ("S06", S06, "needs both, sorry"),
    ];
    for (name, bytes, description) in cases {
        let server = server(|_| token_answer("AT-19", 1800), move |_| bytes.to_vec());
        let client = LuccaClient::new(scripted_config(&server, "leaves.readonly"));
        for _ in 0..2 {
            let error = client.get(API_PATH).send().map(|r| r.status()).unwrap_err();
            assert_eq!(
                error,
                Error::MissingScope {
                    required: vec![
                        "leaves.readonly".to_owned(),
                        "leave-requests.readonly".to_owned()
                    ],
                    description: Some(description.to_owned()),
                },
                "{name}"
            );
            assert_eq!(error.status(), Some(403), "{name}");
            assert!(!error.is_retryable(), "{name}");
        }
        assert_eq!(server.requests_to(TOKEN_PATH).len(), 1, "{name}");
        assert_eq!(server.requests_to(API_PATH).len(), 2, "{name}");
        assert_eq!(client.token().unwrap().generation().get(), 1, "{name}");
    }
}

/// B24: once a refresh is due the token keeps serving while that refresh runs. 3-second
/// tokens (margin 0.3 s: refresh due from 2.4 s, handed out until 2.7 s); the second token
/// request takes 300 ms. The thread that sends it waits for it; a caller arriving meanwhile
/// gets the current token at once; after it, the new one.
#[test]
fn b24_the_token_keeps_serving_while_its_refresh_runs() {
    let server = server(
        |earlier| {
            if earlier == 1 {
                thread::sleep(Duration::from_millis(300));
            }
            token_answer(&format!("AT-{earlier}"), 3)
        },
        ok_list,
    );
    let client = LuccaClient::new(scripted_config(&server, "leaves.readonly"));
    let first = client.token().unwrap();
    assert_eq!(first.expires_in(), Some(Duration::from_secs(3)));
    let refresh_due = first.usable_until() - Duration::from_millis(300);
    thread::sleep(
        refresh_due.saturating_duration_since(Instant::now()) + Duration::from_millis(20),
    );
    thread::scope(|scope| {
        let refreshing = scope.spawn(|| client.token().unwrap());
        thread::sleep(Duration::from_millis(100));
        let asked = Instant::now();
        let meanwhile = client.token().unwrap();
        assert!(
            asked.elapsed() < Duration::from_millis(100),
            "waited for the refresh"
        );
        assert!(asked < first.usable_until(), "the test ran too slowly");
        assert_eq!(meanwhile.generation().get(), 1);
        assert_eq!(meanwhile.access_token().secret(), "AT-0");
        let refreshed = refreshing.join().unwrap();
        assert_eq!(refreshed.generation().get(), 2);
        assert_eq!(refreshed.access_token().secret(), "AT-1");
    });
    assert_eq!(client.token().unwrap().generation().get(), 2);
    assert_eq!(server.requests_to(TOKEN_PATH).len(), 2);
}
