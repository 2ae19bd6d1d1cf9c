//! The token endpoint down (connection refused, 500, hang until timeout) while the cached
//! token is still valid: the API keeps working; after expiry, a typed transient error; then
//! recovery once the endpoint is back. And a 429 from the token endpoint, honoured once for
//! every caller.

mod common;

use std::time::{Duration, Instant};

use lucca_auth::token_response::{TokenError, TransportErrorKind};
use lucca_auth_reqwest::Error;
use lucca_auth_sandbox::TokenFault;

use common::{builder, sandbox};

/// ⏱ 4 s tokens: margin 400 ms, refresh due 3.2 s after the request, usable until 3.6 s.
const LIFETIME: Duration = Duration::from_secs(4);
/// The whole-exchange timeout of the client, which bounds a hung token request.
const TIMEOUT: Duration = Duration::from_millis(250);

async fn outage(fault: TokenFault, check: impl Fn(&TokenError) -> bool) {
    let sandbox = sandbox(LIFETIME);
    let client = builder(&sandbox, "leaves.readonly")
        .timeouts(Duration::from_secs(1), TIMEOUT)
        .build()
        .expect("client");
    let token = client.token().await.expect("a token");
    sandbox.set_token_fault(fault).expect("fault set");

    // While the token is usable (refresh attempts fail behind the scenes), every call works.
    let mut calls = 0;
    while Instant::now() + TIMEOUT + Duration::from_millis(100) < token.usable_until() {
        let response = client.get("/lucca-api/leaves?limit=1").send().await;
        assert_eq!(response.map(|r| r.status()).ok(), Some(200), "call {calls}");
        calls += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(calls > 20, "{calls}");
    assert!(Instant::now() > token.refresh_at(), "the refresh was due");

    // Expired, and the endpoint still down: a typed, retryable token error, at once.
    tokio::time::sleep_until((token.usable_until() + Duration::from_millis(20)).into()).await;
    let started = Instant::now();
    let error = client
        .get("/lucca-api/leaves?limit=1")
        .send()
        .await
        .expect_err("an error");
    let Error::Token(token_error) = &error else {
        panic!("expected a token error, got {error:?}");
    };
    assert!(check(token_error), "{token_error:?}");
    assert!(error.is_retryable(), "{error:?}");
    assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
    assert_eq!(sandbox.api_unauthorized_served(), 0);

    // Back up: after the backoff, a new token and the API again.
    sandbox.clear_token_fault().expect("fault cleared");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match client.get("/lucca-api/leaves?limit=1").send().await {
            Ok(response) => {
                assert_eq!(response.status(), 200);
                break;
            }
            Err(Error::Token(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("no recovery: {error:?}"),
        }
    }
    let recovered = client.token().await.expect("a token");
    assert_eq!(recovered.generation().get(), token.generation().get() + 1);
    assert_eq!(sandbox.token_requests_served(), 2);
    assert_eq!(sandbox.api_unauthorized_served(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_refusing_connections() {
    outage(TokenFault::RefuseConnections, |error| {
        matches!(error, TokenError::Transport(e) if e.kind() == TransportErrorKind::Connect)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_answering_500() {
    outage(
        TokenFault::Status {
            status: 500,
            content_type: Some("text/html".into()),
            body: "<html><body>Internal error</body></html>".into(),
            retry_after: None,
        },
        |error| matches!(error, TokenError::UnexpectedStatus { status: 500, .. }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_hanging_until_timeout() {
    outage(TokenFault::Hang, |error| {
        matches!(error, TokenError::Transport(e) if e.kind() == TransportErrorKind::Timeout)
    })
    .await;
}

/// A 429 with `Retry-After` from the token endpoint holds for every caller: 50 concurrent
/// callers make one token request between them, and all get the error at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_rate_limit_is_honoured_once_for_everyone() {
    let sandbox = sandbox(LIFETIME);
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 429,
            content_type: Some("application/json".into()),
            body: r#"{"error":"temporarily_unavailable"}"#.into(),
            retry_after: Some(30),
        })
        .expect("fault set");
    let client = builder(&sandbox, "leaves.readonly")
        .build()
        .expect("client");
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get("/lucca-api/leaves").send().await })
        })
        .collect();
    for call in calls {
        let error = call.await.expect("task").expect_err("an error");
        assert_eq!(error.status(), Some(429), "{error:?}");
        assert_eq!(
            error.retry_after(),
            Some(Duration::from_secs(30)),
            "{error:?}"
        );
    }
    for _ in 0..10 {
        let error = client
            .get("/lucca-api/leaves")
            .send()
            .await
            .expect_err("an error");
        assert!(matches!(error, Error::Token(_)), "{error:?}");
    }
    assert_eq!(sandbox.token_requests_received(), 1);
    assert_eq!(sandbox.api_requests_received(), 0);
}

/// With `wait_max`, a caller waits out a short backoff instead of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_max_waits_out_a_short_backoff() {
    let sandbox = sandbox(LIFETIME);
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 503,
            content_type: None,
            body: String::new(),
            retry_after: Some(1),
        })
        .expect("fault set");
    let client = builder(&sandbox, "leaves.readonly")
        .wait_max(Duration::from_secs(3))
        .build()
        .expect("client");
    let started = Instant::now();
    let call = {
        let client = client.clone();
        tokio::spawn(async move { client.get("/lucca-api/leaves").send().await })
    };
    common::eventually(Duration::from_secs(2), "the first token request", || {
        sandbox.token_requests_received() == 1
    })
    .await;
    sandbox.clear_token_fault().expect("fault cleared");
    let response = call.await.expect("task").expect("after the backoff");
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sandbox.token_requests_received(), 2);
    assert_eq!(sandbox.token_requests_served(), 1);
}
