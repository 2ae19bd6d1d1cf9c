//! The token endpoint fails while the API keeps serving: a still-valid token keeps API calls
//! succeeding, an expired one gives a typed error; `wait_max` waits out a backoff only when
//! it ends in time.
#![allow(clippy::unwrap_used)]

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::demo_config;
use lucca_auth::token_response::{TokenError, TransportErrorKind};
use lucca_auth_sandbox::{Sandbox, SandboxConfig, TokenFault};
use lucca_auth_ureq::{Error, LuccaClient};

/// Token lifetime in these tests: the margin is 0.5 s, the refresh is due 1 s before expiry,
/// the token is handed out until 0.5 s before it.
const LIFETIME: Duration = Duration::from_secs(5);
const MARGIN: Duration = Duration::from_millis(500);
const TIMEOUT: Duration = Duration::from_millis(250);

fn sleep_until(deadline: Instant) {
    let now = Instant::now();
    if deadline > now {
        thread::sleep(deadline - now);
    }
}

/// Breaks the token endpoint with `fault` once a token is cached, and checks that API calls
/// keep succeeding until the token's limit, then fail with `expected`.
fn token_endpoint_fault(fault: TokenFault, reaches_server: bool, expected: impl Fn(&TokenError)) {
    let sandbox = Sandbox::start(SandboxConfig::default().with_token_lifetime(LIFETIME)).unwrap();
    let client = LuccaClient::builder(demo_config(&sandbox, "leaves.readonly"))
        .timeouts(Duration::from_secs(1), TIMEOUT)
        .build();
    let first = client.token().unwrap();
    assert_eq!(first.expires_in(), Some(LIFETIME));
    client.get("/lucca-api/leaves?limit=1").send().unwrap();
    sandbox.set_token_fault(fault).unwrap();
    let received = sandbox.token_requests_received();

    // The refresh is due (at usable_until − margin): this call tries it, fails, and still
    // uses the valid token.
    sleep_until(first.usable_until() - MARGIN + Duration::from_millis(20));
    client.get("/lucca-api/leaves?limit=1").send().unwrap();
    assert!(
        Instant::now() < first.usable_until(),
        "the test ran too slowly"
    );
    let attempts = u64::from(reaches_server);
    assert_eq!(sandbox.token_requests_received(), received + attempts);
    // Within the backoff, the same token keeps serving without a new attempt.
    assert_eq!(client.token().unwrap().generation(), first.generation());
    client.get("/lucca-api/leaves?limit=1").send().unwrap();
    assert_eq!(sandbox.token_requests_received(), received + attempts);

    // Past the token's limit and the backoff (1 s): a typed token error.
    sleep_until(first.usable_until() + Duration::from_millis(1200));
    let error = client.get("/lucca-api/leaves?limit=1").send().unwrap_err();
    let Error::Token(token_error) = &error else {
        panic!("{error:?}");
    };
    expected(token_error);
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(sandbox.token_requests_received(), received + 2 * attempts);
    assert_eq!(sandbox.api_unauthorized_served(), 0);
    assert_eq!(sandbox.token_requests_served(), 1);
}

fn refused_connections() {
    token_endpoint_fault(TokenFault::RefuseConnections, false, |error| {
        let TokenError::Transport(transport) = error else {
            panic!("{error:?}");
        };
        assert_eq!(transport.kind(), TransportErrorKind::Connect);
    });
}

fn server_error_page() {
    token_endpoint_fault(
        TokenFault::Status {
            status: 500,
            content_type: Some("text/html".into()),
            body: "<html><body>Internal Server Error</body></html>".into(),
            retry_after: None,
        },
        true,
        |error| {
            assert_eq!(
                *error,
                TokenError::UnexpectedStatus {
                    status: 500,
                    excerpt: "<html><body>Internal Server Error</body></html>".into(),
                    retry_after: None,
                }
            );
        },
    );
}

fn hanging_token_endpoint_times_out() {
    token_endpoint_fault(TokenFault::Hang, true, |error| {
        let TokenError::Transport(transport) = error else {
            panic!("{error:?}");
        };
        assert_eq!(transport.kind(), TransportErrorKind::Timeout);
        assert_eq!(transport.detail(), Some("global timeout"));
    });
}

/// The three faults at once, each against its own sandbox (they wait on real time).
#[test]
fn token_endpoint_refused_500_and_hang() {
    thread::scope(|scope| {
        scope.spawn(refused_connections);
        scope.spawn(server_error_page);
        scope.spawn(hanging_token_endpoint_times_out);
    });
}

#[test]
fn wait_max_waits_out_a_retry_after_that_ends_in_time() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 503,
            content_type: Some("text/plain".into()),
            body: "maintenance".into(),
            retry_after: Some(1),
        })
        .unwrap();
    let client = LuccaClient::builder(demo_config(&sandbox, "leaves.readonly"))
        .wait_max(Duration::from_secs(3))
        .build();
    let started = Instant::now();
    thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(300));
            sandbox.clear_token_fault().unwrap();
        });
        let token = client.token().unwrap();
        assert_eq!(token.generation().get(), 1);
    });
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(sandbox.token_requests_received(), 2);
    assert_eq!(sandbox.token_requests_served(), 1);
}

/// Shared case B15's rule with the sandbox: a 429 with `Retry-After: 30` is reported with
/// its delay; no new token request before it ends, whoever asks; a wait longer than
/// `wait_max` is not waited at all.
#[test]
fn retry_after_longer_than_wait_max_is_returned_at_once_and_shared() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 429,
            content_type: Some("application/json".into()),
            body: r#"{"error":"temporarily_unavailable"}"#.into(),
            retry_after: Some(30),
        })
        .unwrap();
    let client = LuccaClient::builder(demo_config(&sandbox, "leaves.readonly"))
        .wait_max(Duration::from_secs(2))
        .build();
    let started = Instant::now();
    for _ in 0..3 {
        let error = client.get("/lucca-api/leaves").send().unwrap_err();
        let Error::Token(token_error) = &error else {
            panic!("{error:?}");
        };
        assert!(token_error.is_rate_limited());
        assert_eq!(error.status(), Some(429));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
        assert!(error.is_retryable());
    }
    thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                assert_eq!(
                    client.clone().token().unwrap_err().retry_after(),
                    Some(Duration::from_secs(30))
                );
            });
        }
    });
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(sandbox.token_requests_received(), 1);
    assert_eq!(sandbox.api_requests_received(), 0);
}

/// A server that answers the first request of each connection without closing it, and then
/// closes the connection on the next request without answering: what a kept-alive
/// connection gives when the server closes it just as the client reuses it. Returns its
/// origin and the number of connections it accepted.
fn closing_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::clone(&connections);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            accepted.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                for request in 0.. {
                    let (mut line, mut path, mut length) = (String::new(), String::new(), 0);
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let text = line.trim_end();
                        if text.is_empty() {
                            break;
                        }
                        if path.is_empty() {
                            path = text.split(' ').nth(1).unwrap_or_default().to_owned();
                        }
                        if let Some((name, value)) = text.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    if request > 0 {
                        // Closed as the request arrives, without an answer.
                        return;
                    }
                    let body = if path == "/connect/token" {
                        r#"{"access_token":"AT-keepalive","token_type":"Bearer","expires_in":1800}"#
                    } else {
                        r#"{"items":[]}"#
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    writer.write_all(answer.as_bytes()).unwrap();
                }
            });
        }
    });
    (origin, connections)
}

/// A kept-alive connection closed by the server just as it is reused: the token request and
/// idempotent API requests are sent once more on a new connection and succeed; a POST is
/// not resent (the server may have acted on it) and fails with a typed transport error.
#[test]
fn a_kept_alive_connection_closed_by_the_server_is_replaced() {
    use std::sync::atomic::Ordering;
    let (origin, connections) = closing_server();
    let config = lucca_auth::config::LuccaConfig::new(
        lucca_auth::config::ClientCredentials::new(
            lucca_auth::secret::ClientId::new("keepalive"),
            lucca_auth::secret::ClientSecret::new("keepalive-secret"),
        ),
        lucca_auth::endpoint::TenantHost::parse(&origin).unwrap(),
    )
    .with_token_endpoint(
        lucca_auth::endpoint::TokenEndpoint::parse(&format!("{origin}/connect/token")).unwrap(),
    );
    let client = LuccaClient::new(config);
    // The token on connection 1; the GET finds it closed, and is resent on connection 2.
    assert_eq!(
        client.get("/lucca-api/leaves").send().unwrap().status(),
        200
    );
    assert_eq!(connections.load(Ordering::SeqCst), 2);
    // Connection 2 is kept alive and closed by the server on this POST: not resent.
    let error = client.post("/lucca-api/leaves").send().unwrap_err();
    assert!(
        matches!(&error, Error::Transport(transport) if transport.kind() == TransportErrorKind::Io),
        "{error:?}"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}
