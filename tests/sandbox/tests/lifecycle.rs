//! Starting, configuring, sharing and dropping sandboxes.

mod common;

use std::io::ErrorKind;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use common::{api_get, demo_token};
use lucca_auth_sandbox::{
    ClientApp, Listener, RateLimit, Sandbox, SandboxConfig, SandboxError, TokenFault,
};

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("an ephemeral port")
        .port()
}

#[test]
fn urls_and_two_listeners() {
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("starts");
    let token = sandbox.token_addr();
    let api = sandbox.api_addr();
    assert_ne!(token.port(), api.port());
    assert!(token.ip().is_loopback() && api.ip().is_loopback());
    assert_eq!(
        sandbox.token_url(),
        format!("http://127.0.0.1:{}/connect/token", token.port())
    );
    assert_eq!(
        sandbox.api_base(),
        format!("http://127.0.0.1:{}", api.port())
    );
    assert_eq!(
        format!("{sandbox:?}"),
        format!(
            "Sandbox {{ token_url: {:?}, api_base: {:?}, .. }}",
            sandbox.token_url(),
            sandbox.api_base()
        )
    );
    // The API is not on the token listener and the reverse.
    let wrong = common::Answer::read(
        common::agent()
            .get(format!("http://{token}/lucca-api/leaves"))
            .call(),
    );
    assert_eq!(wrong.status, 404);
}

#[test]
fn dropping_closes_both_ports() {
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("starts");
    let (token, api) = (sandbox.token_addr(), sandbox.api_addr());
    let _kept_alive = TcpStream::connect(api).expect("listening");
    drop(sandbox);
    for address in [token, api] {
        let error = TcpStream::connect(address).expect_err("closed");
        assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{address}");
    }
}

#[test]
fn fixed_ports() {
    let (token_port, api_port) = (free_port(), free_port());
    let sandbox = Sandbox::start(
        SandboxConfig::default()
            .with_token_port(token_port)
            .with_api_port(api_port),
    )
    .expect("starts");
    assert_eq!(
        sandbox.token_url(),
        format!("http://127.0.0.1:{token_port}/connect/token")
    );
    assert_eq!(sandbox.api_base(), format!("http://127.0.0.1:{api_port}"));
    let token = demo_token(&sandbox, None);
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &token).status, 200);
    drop(sandbox);
    // The same ports can be used again right away.
    let again = Sandbox::start(
        SandboxConfig::default()
            .with_token_port(token_port)
            .with_api_port(api_port),
    )
    .expect("starts again");
    demo_token(&again, None);
}

#[test]
fn a_port_in_use() {
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bound");
    let port = taken.local_addr().expect("address").port();
    match Sandbox::start(SandboxConfig::default().with_api_port(port)) {
        Err(
            error @ SandboxError::Bind {
                listener: Listener::Api,
                port: p,
                ..
            },
        ) => {
            assert_eq!(p, port);
            assert!(
                error.to_string().starts_with(&format!(
                    "cannot listen for the sandbox's API on 127.0.0.1:{port}: "
                )),
                "{error}"
            );
            assert!(std::error::Error::source(&error).is_some());
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn invalid_configurations() {
    let cases = [
        (
            SandboxConfig::default().with_client(ClientApp::demo()),
            "invalid sandbox configuration: client id \"demo-integration\" is registered twice",
        ),
        (
            SandboxConfig::default().with_client(ClientApp::new("x", "y", ["bad scope"])),
            "invalid sandbox configuration: client \"x\" allows the invalid scope token \"bad scope\"",
        ),
    ];
    for (config, message) in cases {
        let error = Sandbox::start(config).expect_err("refused");
        assert!(matches!(error, SandboxError::InvalidConfig(_)));
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn usable_from_inside_an_async_runtime() {
    // Async tests own a runtime; the sandbox must start, be controlled and be dropped from
    // inside it without tokio's "cannot block/drop a runtime" panics.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let sandbox = Sandbox::start(SandboxConfig::default()).expect("starts");
        sandbox
            .set_token_fault(TokenFault::RefuseConnections)
            .expect("closes");
        sandbox.clear_token_fault().expect("reopens");
        sandbox.set_rate_limit(RateLimit::unlimited());
        tokio::time::sleep(Duration::from_millis(10)).await;
        let address = sandbox.api_addr();
        let stream = tokio::net::TcpStream::connect(address).await;
        assert!(stream.is_ok(), "{stream:?}");
        drop(sandbox);
    });
}

#[test]
fn shared_between_threads() {
    let sandbox = Arc::new(
        Sandbox::start(SandboxConfig::default().with_rate_limit(RateLimit::unlimited()))
            .expect("starts"),
    );
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let sandbox = Arc::clone(&sandbox);
            std::thread::spawn(move || {
                let token = demo_token(&sandbox, None);
                for _ in 0..10 {
                    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &token).status, 200);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no panic");
    }
    assert_eq!(sandbox.token_requests_served(), 8);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 80);
}

#[test]
fn sandboxes_are_independent() {
    let first = Sandbox::start(SandboxConfig::default()).expect("starts");
    let second = Sandbox::start(SandboxConfig::default()).expect("starts");
    let token = demo_token(&first, None);
    let answer = api_get(&second, "/lucca-api/leaves", &token);
    assert_eq!(answer.status, 401, "a token of another sandbox is unknown");
    assert_eq!(first.token_requests_served(), 1);
    assert_eq!(second.token_requests_served(), 0);
}
