//! The drivers over an in-memory connection, one scenario per test: the exact bytes sent, the
//! buffers (exactly at the limit and one byte short, wiped after use), the token lifecycle
//! through the core (401 → new token → one retry, refresh ahead of expiry, backoff, halt),
//! connection reuse and every case where the caller must reconnect, and cancellation.

mod common;

use std::time::Duration;

use common::*;
use futures::FutureExt;
use futures::executor::block_on;
use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::codec::{ConnectionMode, ParseError, WriteError};
use lucca_auth::config::{ClientAuthMethod, UserAgent};
use lucca_auth::endpoint::EndpointError;
use lucca_auth::token_response::{TokenError, TransportErrorKind};
use lucca_auth_embedded::{ApiRequest, Buffers, Client, Connections, Failure, Host};

const KEEP: Option<ConnectionMode> = Some(ConnectionMode::KeepAlive);
const CLOSE: Option<ConnectionMode> = Some(ConnectionMode::Close);

fn token_request_bytes(extra_field: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /connect/token HTTP/1.1\r\n\
         Host: accounts.world.luccasoftware.com\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\n\
         User-Agent: {}\r\n\
         {extra_field}\
         Content-Length: {}\r\n\
         \r\n\
         {body}",
        UserAgent::DEFAULT,
        body.len()
    )
    .into_bytes()
}

fn api_request_bytes(token: &str) -> Vec<u8> {
    format!(
        "GET /lucca-api/leaves HTTP/1.1\r\n\
         Host: acme.ilucca.net\r\n\
         Authorization: Bearer {token}\r\n\
         Api-Version: 2024-11-01\r\n\
         Accept: application/json\r\n\
         User-Agent: {}\r\n\
         \r\n",
        UserAgent::DEFAULT
    )
    .into_bytes()
}

/// B09's body: the shared case's exact client-credentials form.
const B09_BODY: &str = "grant_type=client_credentials&client_id=demo-integration&\
                        client_secret=Ab%2B1%2Fc%3Dd%26e%25f&\
                        scope=leaves.readwrite%20leave-requests.readonly";

#[test]
fn requests_are_written_byte_for_byte() {
    // Client authentication in the body: B09's form.
    let mut client = client();
    let mut token_conn = MockConn::new([B05.to_vec()]);
    let mut api_conn = MockConn::new([ok_json("{}")]);
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!(response.status(), 200);
    assert_eq!(token_conn.requests, [token_request_bytes("", B09_BODY)]);
    assert_eq!(api_conn.requests, [api_request_bytes("AT-demo-0005")]);

    // HTTP Basic: base64("demo-integration:Ab%2B1%2Fc%3Dd%26e%25f"), no credentials in the body.
    let mut client = Client::new(&config(ClientAuthMethod::HttpBasic));
    let mut token_conn = MockConn::new([B05.to_vec()]);
    client
        .token(
            T0,
            &mut token_conn,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("token");
    assert_eq!(
        token_conn.requests,
        [token_request_bytes(
            "Authorization: Basic ZGVtby1pbnRlZ3JhdGlvbjpBYiUyQjElMkZjJTNEZCUyNmUlMjVm\r\n",
            "grant_type=client_credentials&scope=leaves.readwrite%20leave-requests.readonly",
        )]
    );
}

#[test]
fn post_with_body_head_request_and_connection_close() {
    let mut client = seeded_client().with_connection_mode(ConnectionMode::Close);
    let mut token_conn = MockConn::new([]);
    let mut api_conn = MockConn::new([
        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n".to_vec(),
    ]);
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let body = br#"{"a":1}"#;
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::new("POST", "/lucca-api/leaves").with_body("application/json", body),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    // We asked for the connection to close, so it must be reopened whatever the server said.
    assert_eq!(
        (response.status(), response.body(), response.connections()),
        (201, &b"{}"[..], Connections::new(None, CLOSE))
    );
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::new("HEAD", "/lucca-api/leaves"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!((response.status(), response.body()), (200, &b""[..]));
    let user_agent = UserAgent::DEFAULT;
    assert_eq!(
        api_conn.requests,
        [
            format!(
                "POST /lucca-api/leaves HTTP/1.1\r\nHost: acme.ilucca.net\r\n\
                 Authorization: Bearer AT-seeded\r\nApi-Version: 2024-11-01\r\n\
                 Accept: application/json\r\nUser-Agent: {user_agent}\r\n\
                 Content-Type: application/json\r\nContent-Length: 7\r\n\
                 Connection: close\r\n\r\n{{\"a\":1}}"
            )
            .into_bytes(),
            format!(
                "HEAD /lucca-api/leaves HTTP/1.1\r\nHost: acme.ilucca.net\r\n\
                 Authorization: Bearer AT-seeded\r\nApi-Version: 2024-11-01\r\n\
                 Accept: application/json\r\nUser-Agent: {user_agent}\r\n\
                 Connection: close\r\n\r\n"
            )
            .into_bytes(),
        ]
    );
    assert!(token_conn.requests.is_empty());
}

#[test]
fn secrets_are_wiped_from_the_buffers() {
    let mut client = client();
    let mut token_conn = MockConn::new([B05.to_vec()]);
    let mut api_conn = MockConn::new([ok_json(r#"{"items":[]}"#)]);
    let (mut request_buf, mut response_buf) = ([0xAAu8; 1024], [0xAAu8; 1024]);
    client
        .token(
            T0,
            &mut token_conn,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("token");
    // The token request (client secret) and the token response (access token) are gone.
    assert!(request_buf.iter().all(|&b| b == 0 || b == 0xAA));
    assert!(response_buf.iter().all(|&b| b == 0));
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!(response.body(), br#"{"items":[]}"#);
    // The API request (access token) is gone; the response is the caller's.
    assert!(request_buf.iter().all(|&b| b == 0 || b == 0xAA));
    let text = String::from_utf8_lossy(&response_buf);
    assert!(!text.contains("AT-demo-0005"), "{text}");
}

#[test]
fn request_buffer_exactly_at_the_limit_and_one_byte_short() {
    let token_len = token_request_bytes("", B09_BODY).len();
    let api_len = api_request_bytes("AT-demo-0005").len();
    assert_eq!((token_len, api_len), (340, 174));
    let mut response_buf = [0u8; 1024];

    let mut client = client();
    let mut short = vec![0u8; token_len - 1];
    let mut conn = MockConn::new([B05.to_vec()]);
    let error = client
        .token(T0, &mut conn, Buffers::new(&mut short, &mut response_buf))
        .expect_err("too small");
    assert_eq!(
        (error.failure(), error.connections()),
        (
            &Failure::RequestBufferTooSmall {
                needed: token_len,
                available: token_len - 1
            },
            Connections::default()
        )
    );
    assert!(conn.requests.is_empty(), "nothing was sent");
    assert!(!client.machine().is_fetching());
    let mut exact = vec![0u8; token_len];
    client
        .token(T0, &mut conn, Buffers::new(&mut exact, &mut response_buf))
        .expect("fits exactly");

    let mut token_conn = MockConn::new([]);
    let mut api_conn = MockConn::new([ok_json("{}")]);
    let mut short = vec![0u8; api_len - 1];
    let error = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves"),
            Buffers::new(&mut short, &mut response_buf),
        )
        .expect_err("too small");
    assert_eq!(
        error.failure(),
        &Failure::RequestBufferTooSmall {
            needed: api_len,
            available: api_len - 1
        }
    );
    assert!(api_conn.requests.is_empty());
    let mut exact = vec![0u8; api_len];
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves"),
            Buffers::new(&mut exact, &mut response_buf),
        )
        .expect("fits exactly");
    assert_eq!(response.status(), 200);
}

#[test]
fn response_buffer_exactly_at_the_limit_and_one_byte_over() {
    let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n";
    let close_delimited = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"a\":1}";
    type Case = (&'static [u8], Option<usize>, Option<ConnectionMode>);
    let cases: [Case; 3] = [
        (ok_json(r#"{"a":1}"#).leak(), Some(77), KEEP),
        (chunked, Some(chunked.len()), KEEP),
        (close_delimited, None, CLOSE),
    ];
    for (wire, needed, connection) in cases {
        for mode in [ReadMode::Whole, ReadMode::Bytewise] {
            let mut client = seeded_client();
            let mut request_buf = [0u8; 512];
            let mut exact = vec![0u8; wire.len()];
            let mut api_conn = MockConn::new([wire.to_vec()]).with_mode(mode);
            let response = client
                .send_api(
                    T0,
                    &mut MockConn::new([]),
                    &mut api_conn,
                    &mut ApiRequest::get("/lucca-api/leaves"),
                    Buffers::new(&mut request_buf, &mut exact),
                )
                .expect("fits exactly");
            assert_eq!(
                (response.body(), response.connections().api()),
                (&br#"{"a":1}"#[..], connection)
            );
            let mut short = vec![0u8; wire.len() - 1];
            let mut api_conn = MockConn::new([wire.to_vec()]).with_mode(mode);
            let error = client
                .send_api(
                    T0,
                    &mut MockConn::new([]),
                    &mut api_conn,
                    &mut ApiRequest::get("/lucca-api/leaves"),
                    Buffers::new(&mut request_buf, &mut short),
                )
                .expect_err("one byte over");
            assert_eq!(
                (error.failure(), error.connections()),
                (
                    &Failure::ResponseBufferTooSmall {
                        host: Host::Api,
                        needed,
                        available: wire.len() - 1
                    },
                    Connections::new(None, CLOSE)
                ),
                "{mode:?} {}",
                String::from_utf8_lossy(wire)
            );
        }
    }
}

#[test]
fn token_response_one_byte_over_backs_off_and_exactly_fits() {
    let mut client = client();
    let mut request_buf = [0u8; 512];
    let mut short = vec![0u8; B05.len() - 1];
    let error = client
        .token(
            T0,
            &mut MockConn::new([B05.to_vec()]),
            Buffers::new(&mut request_buf, &mut short),
        )
        .expect_err("one byte over");
    assert_eq!(
        (error.failure(), error.connections()),
        (
            &Failure::ResponseBufferTooSmall {
                host: Host::Token,
                needed: Some(B05.len()),
                available: B05.len() - 1
            },
            Connections::new(CLOSE, None)
        )
    );
    // Reported to the machine as a transport failure, so a caller that loops does not hammer
    // the token endpoint; the partial token bytes were wiped.
    assert!(short.iter().all(|&b| b == 0));
    let later = T0 + Duration::from_secs(1);
    let mut exact = vec![0u8; B05.len()];
    let ready = client
        .token(
            later,
            &mut MockConn::new([B05.to_vec()]),
            Buffers::new(&mut request_buf, &mut exact),
        )
        .expect("fits exactly");
    assert_eq!(ready.token().access_token().secret(), "AT-demo-0005");
}

#[test]
fn response_buffer_shorter_than_the_bearer_value() {
    let mut client = seeded_client();
    let mut api_conn = MockConn::new([ok_json("{}")]);
    let (mut request_buf, mut response_buf) = ([0u8; 512], [0u8; 15]);
    let error = client
        .send_api(
            T0,
            &mut MockConn::new([]),
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("`Bearer AT-seeded` is 16 bytes");
    assert_eq!(
        error.failure(),
        &Failure::ResponseBufferTooSmall {
            host: Host::Api,
            needed: Some(16),
            available: 15
        }
    );
    assert!(api_conn.requests.is_empty());
}

/// With HTTP Basic the `Authorization` value is written into the response buffer before the
/// token request (and wiped after): a buffer one byte short of it sends nothing.
#[test]
fn response_buffer_shorter_than_the_basic_value() {
    let basic = "Basic ZGVtby1pbnRlZ3JhdGlvbjpBYiUyQjElMkZjJTNEZCUyNmUlMjVm";
    let mut client = Client::new(&config(ClientAuthMethod::HttpBasic));
    let mut conn = MockConn::new([B05.to_vec()]);
    let mut request_buf = [0u8; 512];
    let mut short = vec![0u8; basic.len() - 1];
    let error = client
        .token(T0, &mut conn, Buffers::new(&mut request_buf, &mut short))
        .expect_err("too small");
    assert_eq!(
        (error.failure(), error.connections()),
        (
            &Failure::ResponseBufferTooSmall {
                host: Host::Token,
                needed: Some(58),
                available: 57
            },
            Connections::default()
        )
    );
    assert!(conn.requests.is_empty(), "nothing was sent");
    assert!(!client.machine().is_fetching());
    assert!(short.iter().all(|&b| b == 0));

    let (mut request_buf, mut response_buf) = ([0xAAu8; 512], [0xAAu8; 1024]);
    client
        .token(
            T0,
            &mut conn,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("token");
    assert_eq!(conn.requests.len(), 1);
    let sent = String::from_utf8_lossy(&conn.requests[0]).into_owned();
    assert!(
        sent.contains(&format!("\r\nAuthorization: {basic}\r\n")),
        "{sent}"
    );
    // The value, the request and the token response are wiped.
    assert!(request_buf[..sent.len()].iter().all(|&b| b == 0));
    assert!(response_buf.iter().all(|&b| b == 0));
}

#[test]
fn a_401_gets_one_new_token_and_one_retry_on_kept_alive_connections() {
    let mut client = client();
    let mut token_conn = MockConn::new([token_response("AT-1"), token_response("AT-2")]);
    let mut api_conn = MockConn::new([B18.to_vec(), ok_json(r#"{"items":[]}"#)]);
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut request = ApiRequest::get("/lucca-api/leaves");
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut request,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!(
        (
            response.status(),
            response.class(),
            response.attempt(),
            response.token_generation().get(),
            response.connections()
        ),
        (
            200,
            &ApiResponseClass::Success,
            ApiAttempt::RetryAfterRefresh,
            2,
            Connections::new(KEEP, KEEP)
        )
    );
    assert_eq!(token_conn.requests.len(), 2);
    assert_eq!(
        api_conn.requests,
        [api_request_bytes("AT-1"), api_request_bytes("AT-2")]
    );
    assert_eq!(
        request.attempt(),
        ApiAttempt::First,
        "reset for its next use"
    );

    // A second 401 on the retry is final: no third token.
    let mut token_conn = MockConn::new([token_response("AT-3"), token_response("AT-4")]);
    let mut api_conn = MockConn::new([B18.to_vec(), B18.to_vec(), B18.to_vec()]);
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut request,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!(
        (response.class(), response.attempt()),
        (
            &ApiResponseClass::Unauthorized,
            ApiAttempt::RetryAfterRefresh
        )
    );
    assert_eq!((token_conn.requests.len(), api_conn.requests.len()), (1, 2));
}

#[test]
fn a_403_is_missing_scope_and_keeps_the_token() {
    let mut client = seeded_client();
    let mut token_conn = MockConn::new([]);
    let mut api_conn = MockConn::new([B17.to_vec()]);
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!(
        response.class(),
        &ApiResponseClass::MissingScope {
            required: vec!["leaves.readwrite".to_owned()],
            description: None
        }
    );
    assert!(token_conn.requests.is_empty());
    assert_eq!(
        client
            .machine()
            .current()
            .map(|t| t.access_token().secret()),
        Some("AT-seeded")
    );
}

#[test]
fn a_401_that_closes_the_api_connection_is_resent_after_reconnecting() {
    let mut client = seeded_client();
    let unauthorized_close = b"HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\
                               WWW-Authenticate: Bearer error=\"invalid_token\"\r\n\
                               Content-Length: 0\r\n\r\n";
    let mut token_conn = MockConn::new([token_response("AT-new")]);
    let mut api_conn = MockConn::new([unauthorized_close.to_vec()]);
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut request = ApiRequest::get("/lucca-api/leaves");
    let error = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut request,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("the retry needs a new API connection");
    assert_eq!(
        (error.failure(), error.connections()),
        (&Failure::ReconnectAndResend, Connections::new(KEEP, CLOSE))
    );
    assert_eq!(request.attempt(), ApiAttempt::RetryAfterRefresh);
    assert_eq!(token_conn.requests.len(), 1, "the new token was fetched");

    // The caller reconnects and resends the same request: no further token, and a 401 now
    // would be final.
    let mut api_conn = MockConn::new([ok_json("{}")]);
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut request,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!(
        (
            response.status(),
            response.attempt(),
            response.connections()
        ),
        (
            200,
            ApiAttempt::RetryAfterRefresh,
            Connections::new(None, KEEP)
        )
    );
    assert_eq!(api_conn.requests, [api_request_bytes("AT-new")]);
    assert_eq!(token_conn.requests.len(), 1);
    assert_eq!(request.attempt(), ApiAttempt::First);
}

#[test]
fn a_401_after_the_token_connection_closed_is_resent_after_reconnecting_it() {
    let mut client = client();
    let token_close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n\
                        Content-Length: 65\r\n\r\n\
                        {\"access_token\":\"AT-one\",\"token_type\":\"Bearer\",\"expires_in\":1800}";
    let mut token_conn = MockConn::new([token_close.to_vec()]);
    let mut api_conn = MockConn::new([B18.to_vec(), ok_json("{}")]);
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut request = ApiRequest::get("/lucca-api/leaves");
    let error = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut request,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("the new token needs a new token connection");
    assert_eq!(
        (error.failure(), error.connections()),
        (&Failure::ReconnectAndResend, Connections::new(CLOSE, KEEP))
    );
    assert!(!client.machine().is_fetching());
    let mut token_conn = MockConn::new([token_response("AT-two")]);
    let response = client
        .send_api(
            T0,
            &mut token_conn,
            &mut api_conn,
            &mut request,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!(
        (
            response.status(),
            response.attempt(),
            response.connections()
        ),
        (
            200,
            ApiAttempt::RetryAfterRefresh,
            Connections::new(KEEP, KEEP)
        )
    );
    assert_eq!(
        api_conn.requests,
        [api_request_bytes("AT-one"), api_request_bytes("AT-two")]
    );
}

#[test]
fn a_failed_refresh_ahead_of_expiry_keeps_the_token_serving() {
    let mut client = client();
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    client
        .token(
            T0,
            &mut MockConn::new([B05.to_vec()]),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("token");
    // expires_in 1800 s, margin 60 s: the refresh is due from T0 + 1680 s, the token serves
    // until T0 + 1740 s.
    let refresh_due = T0 + Duration::from_secs(1680);
    assert!(!client.needs_token_connection(refresh_due - Duration::from_millis(1)));
    assert!(client.needs_token_connection(refresh_due));
    let mut broken = MockConn::new([]);
    broken.write_error = Some(embedded_io::ErrorKind::ConnectionReset);
    let mut api_conn = MockConn::new([ok_json("{}")]);
    let response = client
        .send_api(
            refresh_due,
            &mut broken,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("the old token still serves");
    assert_eq!(
        (
            response.status(),
            response.token_generation().get(),
            response.connections()
        ),
        (200, 1, Connections::new(CLOSE, KEEP))
    );
    assert_eq!(api_conn.requests, [api_request_bytes("AT-demo-0005")]);
    assert!(matches!(
        client.machine().last_error(),
        Some(TokenError::Transport(error)) if error.kind() == TransportErrorKind::Io
    ));
}

#[test]
fn io_errors_back_off_and_stale_connections_do_not() {
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut client = client();
    // A kept-alive connection the server closed while idle: end of stream before any byte.
    let error = client
        .token(
            T0,
            &mut MockConn::new([]),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("stale");
    assert_eq!(
        (error.failure(), error.connections()),
        (
            &Failure::Http {
                host: Host::Token,
                error: ParseError::ClosedBeforeResponse
            },
            Connections::new(CLOSE, None)
        )
    );
    assert_eq!(
        client.machine().last_error(),
        None,
        "not counted as a failure"
    );

    // A reset mid-read is a failure: the machine backs off for its first second.
    let mut reset = MockConn::new([b"HTTP/1.1 200 OK\r\n".to_vec()]);
    reset.read_error = Some(embedded_io::ErrorKind::ConnectionReset);
    let error = client
        .token(
            T0,
            &mut reset,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("reset");
    assert_eq!(
        error.failure(),
        &Failure::Io {
            host: Host::Token,
            kind: embedded_io::ErrorKind::ConnectionReset
        }
    );
    let mut good = MockConn::new([B05.to_vec()]);
    let error = client
        .token(
            T0,
            &mut good,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("backing off");
    assert!(matches!(
        error.failure(),
        Failure::Backoff { until, last_error: Some(TokenError::Transport(_)) }
            if *until == T0 + Duration::from_secs(1)
    ));
    assert_eq!(error.connections(), Connections::default());
    assert!(good.requests.is_empty());
    let ready = client
        .token(
            T0 + Duration::from_secs(1),
            &mut good,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("after the backoff");
    assert_eq!(ready.generation().get(), 1);
}

#[test]
fn a_refused_client_halts_until_reset() {
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut client = client();
    let b14 = include_bytes!("../../../core/tests/data/B14.http");
    let error = client
        .token(
            T0,
            &mut MockConn::new([b14.to_vec()]),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("invalid_client");
    assert!(matches!(error.failure(), Failure::Token(TokenError::OAuth(e)) if e.status == 401));
    let later = T0 + Duration::from_secs(3600);
    let mut conn = MockConn::new([B05.to_vec()]);
    let error = client
        .token(
            later,
            &mut conn,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("halted");
    assert!(matches!(
        error.failure(),
        Failure::Halted(TokenError::OAuth(_))
    ));
    assert!(conn.requests.is_empty());
    assert!(!client.needs_token_connection(later));
    client.machine_mut().reset();
    client
        .token(
            later,
            &mut conn,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("after reset");
}

#[test]
fn connections_that_misbehave_are_errors_not_panics() {
    struct Stuck;
    impl embedded_io::ErrorType for Stuck {
        type Error = embedded_io::ErrorKind;
    }
    impl embedded_io::Read for Stuck {
        fn read(&mut self, _: &mut [u8]) -> Result<usize, Self::Error> {
            Ok(0)
        }
    }
    impl embedded_io::Write for Stuck {
        fn write(&mut self, _: &[u8]) -> Result<usize, Self::Error> {
            Ok(0)
        }
        fn flush(&mut self) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut client = client();
    let error = client
        .token(
            T0,
            &mut Stuck,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("writes nothing");
    assert_eq!(
        error.failure(),
        &Failure::Io {
            host: Host::Token,
            kind: embedded_io::ErrorKind::WriteZero
        }
    );

    // A connection that claims to have read more than it was given.
    struct Liar;
    impl embedded_io::ErrorType for Liar {
        type Error = embedded_io::ErrorKind;
    }
    impl embedded_io::Read for Liar {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
            Ok(buf.len() + 10)
        }
    }
    impl embedded_io::Write for Liar {
        fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    let mut client = seeded_client();
    let error = client
        .send_api(
            T0,
            &mut Liar,
            &mut Liar,
            &mut ApiRequest::get("/lucca-api/leaves"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("zeros are not HTTP");
    assert_eq!(
        error.failure(),
        &Failure::Http {
            host: Host::Api,
            error: ParseError::InvalidStatusLine
        }
    );
}

#[test]
fn caller_mistakes_send_nothing() {
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut client = seeded_client();
    let mut api_conn = MockConn::new([ok_json("{}")]);
    for (request, failure) in [
        (
            ApiRequest::get("//evil.example/x"),
            Failure::InvalidPath(EndpointError::NotHostAbsolute),
        ),
        (
            ApiRequest::new("GE T", "/lucca-api/leaves"),
            Failure::InvalidRequest(WriteError::InvalidMethod),
        ),
        (
            ApiRequest::new("POST", "/lucca-api/leaves").with_body("a\r\nX-Evil: 1", b"{}"),
            Failure::InvalidRequest(WriteError::InvalidHeaderValue { index: 4 }),
        ),
    ] {
        let mut request = request;
        let error = client
            .send_api(
                T0,
                &mut MockConn::new([]),
                &mut api_conn,
                &mut request,
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .expect_err("refused");
        assert_eq!(
            (error.failure(), error.connections()),
            (&failure, Connections::default())
        );
        assert!(error.failure().is_caller_misuse());
    }
    assert!(api_conn.requests.is_empty());
}

#[test]
fn kept_alive_connections_carry_the_next_requests() {
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut client = client();
    let mut token_conn = MockConn::new([B05.to_vec()]);
    let mut api_conn = MockConn::new([ok_json("[1]"), ok_json("[2]"), ok_json("[3]")]);
    for expected in ["[1]", "[2]", "[3]"] {
        let response = client
            .send_api(
                T0,
                &mut token_conn,
                &mut api_conn,
                &mut ApiRequest::get("/lucca-api/leaves"),
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .expect("answered");
        assert_eq!(response.body(), expected.as_bytes());
        assert!(!response.must_reconnect(Host::Api));
        assert!(!response.must_reconnect(Host::Token));
    }
    assert_eq!((token_conn.requests.len(), api_conn.requests.len()), (1, 3));
}

#[test]
fn async_driver_matches_and_cancelling_abandons_the_token_request() {
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut client = client();
    let mut hanging = MockConn::new([]);
    hanging.hang_when_empty = true;
    let cancelled = client
        .token_async(
            T0,
            &mut hanging,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .now_or_never();
    assert!(cancelled.is_none(), "the read waits forever");
    assert_eq!(hanging.requests.len(), 1, "the request was sent");
    assert!(!client.machine().is_fetching(), "and abandoned on drop");
    assert!(request_buf.iter().all(|&b| b == 0), "and wiped");

    let mut token_conn = MockConn::new([token_response("AT-async")]);
    let mut api_conn = MockConn::new([B18.to_vec(), ok_json("{}")]);
    let ready = block_on(client.token_async(
        T0,
        &mut token_conn,
        Buffers::new(&mut request_buf, &mut response_buf),
    ))
    .expect("token");
    assert_eq!(ready.token().access_token().secret(), "AT-async");
    let mut token_conn = MockConn::new([token_response("AT-async-2")]);
    let response = block_on(client.send_api_async(
        T0,
        &mut token_conn,
        &mut api_conn,
        &mut ApiRequest::get("/lucca-api/leaves"),
        Buffers::new(&mut request_buf, &mut response_buf),
    ))
    .expect("answered");
    assert_eq!(
        (
            response.status(),
            response.attempt(),
            response.token_generation().get()
        ),
        (200, ApiAttempt::RetryAfterRefresh, 2)
    );
}

#[test]
fn errors_and_debug_output_hold_no_secrets() {
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    // A token endpoint that echoes the request's secret in its error description.
    let body = format!(r#"{{"error":"invalid_request","error_description":"bad {SECRET}"}}"#);
    let echo = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut client = client();
    let error = client
        .token(
            T0,
            &mut MockConn::new([echo.into_bytes()]),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("refused");
    let mut token_conn = MockConn::new([token_response("AT-sentinel-token")]);
    let mut api_conn = MockConn::new([ok_json("{}")]);
    let later = T0 + Duration::from_secs(2);
    let response = client
        .send_api(
            later,
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    let shown = format!(
        "{error} {error:?} {response:?} {:?} {client:?}",
        client.machine().current()
    );
    for needle in [SECRET, "Ab%2B1", "AT-sentinel-token"] {
        assert!(!shown.contains(needle), "{needle} in {shown}");
    }
}

/// An API that echoes the request's `Authorization` in its 403 challenge or its problem
/// details: the class the caller gets names `[redacted]` instead of the token (without the
/// feature `problem-details` the problem is not decoded at all).
#[test]
fn api_texts_that_echo_the_token_are_redacted() {
    let challenge = "HTTP/1.1 403 Forbidden\r\nWWW-Authenticate: Bearer error=\"insufficient_scope\", \
                     scope=\"leaves.readonly\", error_description=\"Bearer AT-seeded lacks it\"\r\n\
                     Content-Length: 0\r\n\r\n";
    let problem_body =
        r#"{"title":"Bad request","detail":"header Authorization: Bearer AT-seeded"}"#;
    let problem = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\n\
         Content-Length: {}\r\n\r\n{problem_body}",
        problem_body.len()
    );
    let mut client = seeded_client();
    let mut api_conn = MockConn::new([challenge.as_bytes().to_vec(), problem.into_bytes()]);
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut classes = Vec::new();
    for _ in 0..2 {
        let response = client
            .send_api(
                T0,
                &mut MockConn::new([]),
                &mut api_conn,
                &mut ApiRequest::get("/lucca-api/leaves"),
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .expect("answered");
        let shown = format!("{response:?}");
        assert!(!shown.contains("AT-seeded"), "{shown}");
        classes.push(response.class().clone());
    }
    assert_eq!(
        classes[0],
        ApiResponseClass::MissingScope {
            required: vec!["leaves.readonly".to_owned()],
            description: Some("Bearer [redacted] lacks it".to_owned()),
        }
    );
    assert_fatal_problem_redacted(&classes[1]);
}

fn assert_fatal_problem_redacted(class: &ApiResponseClass) {
    let ApiResponseClass::Fatal {
        status: 400,
        problem,
    } = class
    else {
        panic!("{class:?}");
    };
    if cfg!(feature = "problem-details") {
        let problem = problem.as_ref().expect("problem details decoded");
        assert_eq!(
            (problem.title.as_deref(), problem.detail.as_deref()),
            (
                Some("Bad request"),
                Some("header Authorization: Bearer [redacted]")
            )
        );
    } else {
        // Not decoded at all without the feature.
        assert_eq!(problem, &None);
    }
}
