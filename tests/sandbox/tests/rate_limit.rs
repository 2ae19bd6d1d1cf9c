//! The API's sliding-window rate limit over real HTTP, with real time.

mod common;

use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{API_VERSION, api, api_get, demo_token};
use lucca_auth_sandbox::{RateLimit, Sandbox, SandboxConfig};
use serde_json::json;

fn sleep_until(deadline: Instant) {
    sleep(deadline.saturating_duration_since(Instant::now()));
}

/// Sends one request; returns `Ok(())` for 200, `Err(Retry-After)` for 429.
fn call(sandbox: &Sandbox, token: &str) -> Result<(), u64> {
    let answer = api_get(sandbox, "/lucca-api/leaves?limit=1", token);
    match answer.status {
        200 => Ok(()),
        429 => {
            let seconds = answer.header("retry-after").expect("a Retry-After");
            let body = answer.problem();
            assert_eq!(
                body,
                json!({
                    "type": "https://tools.ietf.org/html/rfc6585#section-4",
                    "title": "Too Many Requests",
                    "status": 429,
                    "detail": format!("The API rate limit is exceeded; retry in {seconds} s."),
                })
            );
            Err(seconds.parse().expect("whole seconds"))
        }
        other => panic!("unexpected status {other}: {}", answer.body),
    }
}

#[test]
fn three_per_two_seconds_is_a_sliding_window() {
    let sandbox = Sandbox::start(
        SandboxConfig::default().with_rate_limit(RateLimit::new(3, Duration::from_secs(2))),
    )
    .expect("the sandbox starts");
    let token = demo_token(&sandbox, None);
    let t0 = Instant::now();

    // A at ~0 s; B, C at ~1.2 s; the 4th request is refused until A leaves (at ~2 s).
    assert_eq!(call(&sandbox, &token), Ok(()));
    sleep_until(t0 + Duration::from_millis(1200));
    assert_eq!(call(&sandbox, &token), Ok(()));
    assert_eq!(call(&sandbox, &token), Ok(()));
    assert_eq!(
        call(&sandbox, &token),
        Err(1),
        "A leaves in ~0.8 s, rounded up"
    );

    // At ~2.5 s A has left: E gets in. A fixed window starting at 2 s would now admit F as
    // well; the sliding window still holds B, C and E.
    sleep_until(t0 + Duration::from_millis(2500));
    assert_eq!(call(&sandbox, &token), Ok(()));
    assert_eq!(call(&sandbox, &token), Err(1), "B leaves in ~0.7 s");

    // At ~3.4 s B and C have left: G and H get in, then E (~2.5 s) blocks until ~4.5 s.
    sleep_until(t0 + Duration::from_millis(3400));
    assert_eq!(call(&sandbox, &token), Ok(()));
    assert_eq!(call(&sandbox, &token), Ok(()));
    assert_eq!(
        call(&sandbox, &token),
        Err(2),
        "E leaves in ~1.1 s, rounded up"
    );

    assert_eq!(sandbox.api_rate_limited_served(), 3);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 9);
}

#[test]
fn a_burst_waits_for_the_oldest_request() {
    let sandbox = Sandbox::start(
        SandboxConfig::default().with_rate_limit(RateLimit::new(3, Duration::from_secs(2))),
    )
    .expect("the sandbox starts");
    let token = demo_token(&sandbox, None);
    let t0 = Instant::now();
    for _ in 0..3 {
        assert_eq!(call(&sandbox, &token), Ok(()));
    }
    // Between 1 and 2 s remain: rounded up to 2.
    assert_eq!(call(&sandbox, &token), Err(2));
    assert_eq!(
        call(&sandbox, &token),
        Err(2),
        "refused requests do not count"
    );
    sleep_until(t0 + Duration::from_millis(2100));
    assert_eq!(call(&sandbox, &token), Ok(()));
    assert_eq!(sandbox.api_rate_limited_served(), 2);
}

#[test]
fn every_api_request_counts_whatever_its_answer() {
    let sandbox = Sandbox::start(
        SandboxConfig::default().with_rate_limit(RateLimit::new(2, Duration::from_secs(60))),
    )
    .expect("the sandbox starts");
    let token = demo_token(&sandbox, None);
    // A 401 and a 400 use the budget too.
    assert_eq!(
        api(
            &sandbox,
            "GET",
            "/lucca-api/leaves",
            None,
            Some(API_VERSION)
        )
        .status,
        401
    );
    assert_eq!(
        api(&sandbox, "GET", "/lucca-api/leaves", Some(&token), None).status,
        400
    );
    assert_eq!(call(&sandbox, &token), Err(60));
    // Token requests do not.
    demo_token(&sandbox, None);

    // A new limit applies at once, to the requests already in the window.
    sandbox.set_rate_limit(RateLimit::new(3, Duration::from_secs(60)));
    assert_eq!(call(&sandbox, &token), Ok(()));
    assert_eq!(call(&sandbox, &token), Err(60));
    sandbox.set_rate_limit(RateLimit::unlimited());
    for _ in 0..20 {
        assert_eq!(call(&sandbox, &token), Ok(()));
    }
    assert_eq!(sandbox.api_rate_limited_served(), 2);
}

#[test]
fn the_default_is_fifty_per_minute() {
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("the sandbox starts");
    let token = demo_token(&sandbox, None);
    for _ in 0..50 {
        assert_eq!(call(&sandbox, &token), Ok(()));
    }
    assert_eq!(call(&sandbox, &token), Err(60));
}
