//! Faults injected into the token endpoint while the API keeps serving.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{api_get, demo_token, encode, post_token_form};
use lucca_auth_sandbox::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox, SandboxConfig, SandboxError, TokenFault,
};

fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).expect("the sandbox starts")
}

fn token_request_bytes(sandbox: &Sandbox) -> Vec<u8> {
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        encode(DEMO_CLIENT_ID),
        encode(DEMO_CLIENT_SECRET)
    );
    format!(
        "POST /connect/token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        sandbox.token_addr(),
        body.len()
    )
    .into_bytes()
}

/// Reads until the peer closes; `Ok(bytes)` on a clean close or a reset after nothing.
fn read_until_closed(stream: &mut TcpStream, timeout: Duration) -> std::io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(timeout))?;
    let mut received = Vec::new();
    match stream.read_to_end(&mut received) {
        Ok(_) => Ok(received),
        Err(error) if error.kind() == ErrorKind::ConnectionReset => Ok(received),
        Err(error) => Err(error),
    }
}

#[test]
fn refused_connections_then_recovery_on_the_same_port() {
    let sandbox = start();
    let token = demo_token(&sandbox, None);
    let token_url = sandbox.token_url().to_owned();
    let address = sandbox.token_addr();
    // A kept-alive connection opened before the fault is closed by it too.
    let mut open = TcpStream::connect(address).expect("listening");

    sandbox
        .set_token_fault(TokenFault::RefuseConnections)
        .expect("the port closes");
    assert_eq!(sandbox.token_fault(), TokenFault::RefuseConnections);
    let refused = TcpStream::connect(address).expect_err("the port is closed");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    let received = read_until_closed(&mut open, Duration::from_secs(5)).expect("closed");
    assert_eq!(received, b"", "closed without an answer");
    let failure = common::agent()
        .post(&token_url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send("grant_type=client_credentials")
        .expect_err("no connection");
    assert!(
        matches!(&failure, ureq::Error::Io(error) if error.kind() == ErrorKind::ConnectionRefused),
        "{failure:?}"
    );

    // The API keeps serving the token issued before.
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &token).status, 200);
    assert_eq!(sandbox.token_requests_received(), 1);

    // Setting it twice is fine.
    sandbox
        .set_token_fault(TokenFault::RefuseConnections)
        .expect("still closed");
    sandbox.clear_token_fault().expect("the port reopens");
    assert_eq!(sandbox.token_fault(), TokenFault::None);
    assert_eq!(sandbox.token_url(), token_url);
    assert_eq!(sandbox.token_addr(), address);
    let fresh = demo_token(&sandbox, None);
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &fresh).status, 200);
    assert_eq!(sandbox.token_requests_served(), 2);

    // And again: closing and reopening a port that served connections.
    sandbox
        .set_token_fault(TokenFault::RefuseConnections)
        .expect("closes");
    assert_eq!(
        TcpStream::connect(address).expect_err("closed").kind(),
        ErrorKind::ConnectionRefused
    );
    sandbox.clear_token_fault().expect("reopens");
    demo_token(&sandbox, None);
    assert_eq!(sandbox.token_requests_served(), 3);
}

#[test]
fn a_status_with_a_body() {
    let sandbox = start();
    let token = demo_token(&sandbox, None);
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 503,
            content_type: Some("text/html; charset=utf-8".into()),
            body: "<html><body>Service Unavailable</body></html>".into(),
            retry_after: Some(120),
        })
        .expect("a valid fault");
    let answer = post_token_form(&sandbox, &[], "grant_type=client_credentials");
    assert_eq!(answer.status, 503);
    assert_eq!(
        answer.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(answer.header("retry-after"), Some("120"));
    assert_eq!(answer.header("cache-control"), None);
    assert_eq!(answer.body, "<html><body>Service Unavailable</body></html>");
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &token).status, 200);

    // An OAuth error as JSON, no Retry-After.
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 500,
            content_type: Some("application/json".into()),
            body: r#"{"error":"server_error"}"#.into(),
            retry_after: None,
        })
        .expect("a valid fault");
    let answer = post_token_form(&sandbox, &[], "grant_type=client_credentials");
    assert_eq!(answer.status, 500);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("retry-after"), None);
    assert_eq!(answer.body, r#"{"error":"server_error"}"#);

    // No content type at all.
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 429,
            content_type: None,
            body: String::new(),
            retry_after: Some(7),
        })
        .expect("a valid fault");
    let answer = post_token_form(&sandbox, &[], "grant_type=client_credentials");
    assert_eq!((answer.status, answer.header("content-type")), (429, None));
    assert_eq!(answer.header("retry-after"), Some("7"));
    assert_eq!(answer.body, "");

    assert_eq!(sandbox.token_requests_received(), 4);
    assert_eq!(sandbox.token_requests_served(), 1);
    sandbox.clear_token_fault().expect("cleared");
    demo_token(&sandbox, None);
    assert_eq!(sandbox.token_requests_served(), 2);
}

#[test]
fn invalid_faults_change_nothing() {
    let sandbox = start();
    let status = |status: u16, content_type: &str| TokenFault::Status {
        status,
        content_type: Some(content_type.into()),
        body: String::new(),
        retry_after: None,
    };
    let cases = [
        (status(99, "text/plain"), "the status must be in 200..=999"),
        (status(101, "text/plain"), "the status must be in 200..=999"),
        (
            status(500, "text/plain\nX: y"),
            "the content type must be a valid header value",
        ),
    ];
    for (fault, why) in cases {
        match sandbox.set_token_fault(fault) {
            Err(SandboxError::InvalidFault(reason)) => assert_eq!(reason, why),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sandbox.token_fault(), TokenFault::None);
    demo_token(&sandbox, None);
}

#[test]
fn a_hang_holds_requests_until_cleared() {
    let sandbox = start();
    let token = demo_token(&sandbox, None);
    sandbox.set_token_fault(TokenFault::Hang).expect("hangs");

    // A client with a timeout gives up.
    let impatient = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(500)))
        .build()
        .new_agent();
    let started = Instant::now();
    let failure = impatient
        .post(sandbox.token_url())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send("grant_type=client_credentials")
        .expect_err("no answer");
    assert!(matches!(failure, ureq::Error::Timeout(_)), "{failure:?}");
    assert!(started.elapsed() >= Duration::from_millis(500));

    // A held request gets no answer; clearing the fault closes its connection unanswered.
    let mut held = TcpStream::connect(sandbox.token_addr()).expect("listening");
    held.write_all(&token_request_bytes(&sandbox))
        .expect("sent");
    held.set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut byte = [0_u8; 1];
    let waiting = held.read(&mut byte).expect_err("no answer while hanging");
    assert!(
        matches!(waiting.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{waiting:?}"
    );
    // Meanwhile the API serves.
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &token).status, 200);

    sandbox.clear_token_fault().expect("cleared");
    let received = read_until_closed(&mut held, Duration::from_secs(5)).expect("closed");
    assert_eq!(received, b"", "closed without an answer");

    assert_eq!(sandbox.token_requests_received(), 3);
    assert_eq!(
        sandbox.token_requests_served(),
        1,
        "held requests never got a token"
    );
    demo_token(&sandbox, None);
    assert_eq!(sandbox.token_requests_served(), 2);
}

#[test]
fn dropping_the_sandbox_ends_a_hang() {
    let sandbox = start();
    sandbox.set_token_fault(TokenFault::Hang).expect("hangs");
    let mut held = TcpStream::connect(sandbox.token_addr()).expect("listening");
    held.write_all(&token_request_bytes(&sandbox))
        .expect("sent");
    // Wait until the request is held.
    let deadline = Instant::now() + Duration::from_secs(5);
    while sandbox.token_requests_received() == 0 {
        assert!(Instant::now() < deadline, "the request never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    let started = Instant::now();
    drop(sandbox);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let received = read_until_closed(&mut held, Duration::from_secs(5)).expect("closed");
    assert_eq!(received, b"");
}

#[test]
fn from_hang_to_refused_to_working() {
    let sandbox = start();
    sandbox.set_token_fault(TokenFault::Hang).expect("hangs");
    let mut held = TcpStream::connect(sandbox.token_addr()).expect("listening");
    held.write_all(&token_request_bytes(&sandbox))
        .expect("sent");
    let deadline = Instant::now() + Duration::from_secs(5);
    while sandbox.token_requests_received() == 0 {
        assert!(Instant::now() < deadline, "the request never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    sandbox
        .set_token_fault(TokenFault::RefuseConnections)
        .expect("closes");
    assert_eq!(
        read_until_closed(&mut held, Duration::from_secs(5)).expect("closed"),
        b""
    );
    assert_eq!(
        TcpStream::connect(sandbox.token_addr())
            .expect_err("closed")
            .kind(),
        ErrorKind::ConnectionRefused
    );
    // From refused straight to a status fault: the port reopens with the fault in force.
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 502,
            content_type: None,
            body: "bad gateway".into(),
            retry_after: None,
        })
        .expect("reopens");
    let answer = post_token_form(&sandbox, &[], "grant_type=client_credentials");
    assert_eq!((answer.status, answer.body.as_str()), (502, "bad gateway"));
    sandbox.clear_token_fault().expect("cleared");
    demo_token(&sandbox, None);
}
