//! The drivers against the local Lucca sandbox (axum on hyper, two loopback ports like
//! production's two hosts), over real TCP: `std::net::TcpStream` through
//! `embedded-io-adapters`' `FromStd` for the blocking driver, tokio's `TcpStream` through
//! `FromTokio` for the async one.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use embedded_io_adapters::std::FromStd;
use embedded_io_adapters::tokio_1::FromTokio;
use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::codec::{ConnectionMode, ParseError};
use lucca_auth::config::{ClientAuthMethod, ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth::time::Instant;
use lucca_auth_embedded::{ApiRequest, Buffers, Client, Failure, Host};
use lucca_auth_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox, SandboxConfig};

fn config(sandbox: &Sandbox, method: ClientAuthMethod) -> LuccaConfig {
    LuccaConfig::new(
        ClientCredentials::new(
            ClientId::new(DEMO_CLIENT_ID),
            ClientSecret::new(DEMO_CLIENT_SECRET),
        )
        .with_method(method),
        TenantHost::parse(sandbox.api_base()).expect("sandbox origin"),
    )
    .with_token_endpoint(TokenEndpoint::parse(sandbox.token_url()).expect("sandbox endpoint"))
    .with_scopes(Scopes::parse_space_separated("leaves.readonly").expect("scope"))
}

fn connect(addr: SocketAddr) -> FromStd<TcpStream> {
    let stream = TcpStream::connect(addr).expect("sandbox listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    FromStd::new(stream)
}

/// The test's monotonic clock.
struct Clock(StdInstant);

impl Clock {
    fn now(&self) -> Instant {
        Instant::from_millis(u64::try_from(self.0.elapsed().as_millis()).expect("fits"))
    }
}

#[test]
fn token_api_call_keep_alive_403_and_401_retry() {
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox starts");
    let clock = Clock(StdInstant::now());
    for method in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic] {
        sandbox.reset_counters();
        let mut client = Client::new(&config(&sandbox, method));
        let mut token_conn = connect(sandbox.token_addr());
        let mut api_conn = connect(sandbox.api_addr());
        let (mut request_buf, mut response_buf) = ([0u8; 2048], [0u8; 16 * 1024]);

        // A token, then API calls on the same kept-alive connection.
        let first = client
            .token(
                clock.now(),
                &mut token_conn,
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .expect("token");
        assert_eq!(first.connection(), Some(ConnectionMode::KeepAlive));
        let first_token = first.token().access_token().secret().to_owned();
        for page in ["/lucca-api/leaves?limit=2", "/lucca-api/leaves?limit=3"] {
            let response = client
                .send_api(
                    clock.now(),
                    &mut token_conn,
                    &mut api_conn,
                    &mut ApiRequest::get(page),
                    Buffers::new(&mut request_buf, &mut response_buf),
                )
                .expect("answered");
            assert_eq!(
                (response.status(), response.class(), response.attempt()),
                (200, &ApiResponseClass::Success, ApiAttempt::First),
                "{method:?} {page}"
            );
            assert!(response.body().starts_with(b"{"), "{method:?}");
            assert_eq!(
                response.connections().api(),
                Some(ConnectionMode::KeepAlive)
            );
            assert_eq!(response.connections().token(), None, "token cached");
        }

        // 403: the demo application is not granted employees.readonly.
        let response = client
            .send_api(
                clock.now(),
                &mut token_conn,
                &mut api_conn,
                &mut ApiRequest::get("/lucca-api/employees"),
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .expect("answered");
        assert_eq!(response.status(), 403);
        assert!(matches!(
            response.class(),
            ApiResponseClass::MissingScope { required, .. } if required == &["employees.readonly"]
        ));

        // 401: the token is revoked; one new token on the kept-alive token connection, one
        // retry on the kept-alive API connection.
        assert!(sandbox.revoke_token(&first_token));
        let response = client
            .send_api(
                clock.now(),
                &mut token_conn,
                &mut api_conn,
                &mut ApiRequest::get("/lucca-api/leaves?limit=1"),
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .expect("answered");
        assert_eq!(
            (
                response.status(),
                response.attempt(),
                response.token_generation().get()
            ),
            (200, ApiAttempt::RetryAfterRefresh, 2),
            "{method:?}"
        );
        assert_eq!(
            (response.connections().token(), response.connections().api()),
            (
                Some(ConnectionMode::KeepAlive),
                Some(ConnectionMode::KeepAlive)
            )
        );
        assert_eq!(sandbox.token_requests_served(), 2, "{method:?}");
        assert_eq!(sandbox.api_unauthorized_served(), 1, "{method:?}");
        assert_eq!(sandbox.api_requests_received(), 5, "{method:?}");
    }
}

#[test]
fn connection_close_says_reconnect_and_a_new_connection_works() {
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox starts");
    let clock = Clock(StdInstant::now());
    let mut client = Client::new(&config(&sandbox, ClientAuthMethod::RequestBody))
        .with_connection_mode(ConnectionMode::Close);
    let mut token_conn = connect(sandbox.token_addr());
    let mut api_conn = connect(sandbox.api_addr());
    let (mut request_buf, mut response_buf) = ([0u8; 2048], [0u8; 16 * 1024]);
    let response = client
        .send_api(
            clock.now(),
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves?limit=1"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!(response.status(), 200);
    assert!(response.must_reconnect(Host::Token));
    assert!(response.must_reconnect(Host::Api));

    // Ignoring that: the server closed the connection.
    let client_keep_alive = client.with_connection_mode(ConnectionMode::KeepAlive);
    let mut client = client_keep_alive;
    let error = client
        .send_api(
            clock.now(),
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves?limit=1"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect_err("closed by the server");
    let closed = matches!(
        error.failure(),
        Failure::Http {
            host: Host::Api,
            error: ParseError::ClosedBeforeResponse
        } | Failure::Io {
            host: Host::Api,
            ..
        }
    );
    assert!(closed, "{error:?}");
    assert!(error.must_reconnect(Host::Api));

    // Reconnected as told.
    let mut api_conn = connect(sandbox.api_addr());
    let response = client
        .send_api(
            clock.now(),
            &mut token_conn,
            &mut api_conn,
            &mut ApiRequest::get("/lucca-api/leaves?limit=1"),
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .expect("answered");
    assert_eq!(response.status(), 200);
    assert!(!response.must_reconnect(Host::Api));
}

#[test]
fn expiry_and_refresh_with_short_lived_tokens() {
    let sandbox =
        Sandbox::start(SandboxConfig::default().with_token_lifetime(Duration::from_secs(2)))
            .expect("sandbox starts");
    let clock = Clock(StdInstant::now());
    let mut client = Client::new(&config(&sandbox, ClientAuthMethod::RequestBody));
    let mut token_conn = connect(sandbox.token_addr());
    let mut api_conn = connect(sandbox.api_addr());
    let (mut request_buf, mut response_buf) = ([0u8; 2048], [0u8; 16 * 1024]);
    let mut generations = Vec::new();
    for _ in 0..3 {
        let response = client
            .send_api(
                clock.now(),
                &mut token_conn,
                &mut api_conn,
                &mut ApiRequest::get("/lucca-api/leaves?limit=1"),
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .expect("answered");
        assert_eq!(
            (response.status(), response.attempt()),
            (200, ApiAttempt::First)
        );
        generations.push(response.token_generation().get());
        // 2 s tokens, margin 0.2 s: usable for 1.8 s, refreshed from 1.6 s.
        std::thread::sleep(Duration::from_millis(1700));
    }
    assert_eq!(
        generations,
        [1, 2, 3],
        "refreshed ahead of expiry, never a 401"
    );
    assert_eq!(sandbox.api_unauthorized_served(), 0);
}

#[test]
fn async_driver_over_tokio() {
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let clock = Clock(StdInstant::now());
        let mut client = Client::new(&config(&sandbox, ClientAuthMethod::HttpBasic));
        let connect = |addr| async move {
            FromTokio::new(
                tokio::net::TcpStream::connect(addr)
                    .await
                    .expect("sandbox listens"),
            )
        };
        let mut token_conn = connect(sandbox.token_addr()).await;
        let mut api_conn = connect(sandbox.api_addr()).await;
        let (mut request_buf, mut response_buf) = ([0u8; 2048], [0u8; 16 * 1024]);
        let token = client
            .token_async(
                clock.now(),
                &mut token_conn,
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .await
            .expect("token")
            .token()
            .access_token()
            .secret()
            .to_owned();
        assert!(sandbox.revoke_token(&token));
        let response = client
            .send_api_async(
                clock.now(),
                &mut token_conn,
                &mut api_conn,
                &mut ApiRequest::get("/lucca-api/leaves?limit=1"),
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .await
            .expect("answered");
        assert_eq!(
            (response.status(), response.attempt()),
            (200, ApiAttempt::RetryAfterRefresh)
        );
        assert!(!response.must_reconnect(Host::Api));
    });
}
