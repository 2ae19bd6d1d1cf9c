//! The token cache under load: 1,000 concurrent requests over several short token lifetimes,
//! and a token revoked in the middle of a run.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lucca_auth_reqwest::LuccaClient;

use common::{client, sandbox};

/// Keeps `tasks` requests in flight (each task sends one after the other) until `until`;
/// returns how many succeeded and the failures.
async fn load(client: &LuccaClient, tasks: usize, until: Instant) -> (u64, Vec<String>) {
    let succeeded = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::with_capacity(tasks);
    for _ in 0..tasks {
        let client = client.clone();
        let succeeded = Arc::clone(&succeeded);
        handles.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            while Instant::now() < until {
                match client.get("/lucca-api/leaves?limit=1").send().await {
                    Ok(response) if response.status() == 200 => {
                        succeeded.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(response) => failures.push(format!("status {}", response.status())),
                    Err(error) => failures.push(error.to_string()),
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for handle in handles {
        failures.extend(handle.await.expect("a load task"));
    }
    (succeeded.load(Ordering::Relaxed), failures)
}

/// Requests kept in flight by the load test: 1,000 in an optimized build
/// (`cargo test --release`, which CI runs: about 10,000 requests/s on two cores, so each
/// request waits about 0.1 s). A debug build of the client and the sandbox serves about 1,500
/// requests/s, so with 1,000 in flight each would wait about 0.7 s: longer than the 200 ms
/// safety margin of a 2 s token, and the sandbox would rightly see expired tokens. The debug
/// run keeps 100 in flight (about 60 ms each) and checks the same invariants.
const CONCURRENCY: usize = if cfg!(debug_assertions) { 100 } else { 1000 };

/// ⏱ 1,000 concurrent requests for 5 lifetimes of 2 s and a bit: the sandbox never sees an
/// expired token, the number of tokens stays within what refreshing ahead of expiry
/// implies, and no request fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_requests_over_five_token_lifetimes() {
    const LIFETIME: Duration = Duration::from_secs(2);
    let sandbox = sandbox(LIFETIME);
    let client = client(&sandbox, "leaves.readonly");
    let started = Instant::now();
    let (succeeded, failures) = load(
        &client,
        CONCURRENCY,
        started + LIFETIME * 5 + Duration::from_millis(500),
    )
    .await;
    let elapsed = started.elapsed().as_secs_f64();

    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(
        sandbox.api_unauthorized_served(),
        0,
        "an expired token was sent"
    );
    let tokens = sandbox.token_requests_served() as f64;
    // The margin m = min(60 s, lifetime / 10).
    let lifetime = LIFETIME.as_secs_f64();
    let margin = lifetime / 10.0;
    let at_least = elapsed / lifetime - 1.0;
    let at_most = elapsed / (lifetime - 2.0 * margin) + 2.0;
    assert!(
        tokens >= at_least && tokens <= at_most,
        "{tokens} tokens in {elapsed:.2} s, expected {at_least:.2}..={at_most:.2}"
    );
    assert_eq!(
        sandbox.token_requests_received(),
        sandbox.token_requests_served()
    );
    assert!(
        succeeded >= CONCURRENCY as u64,
        "only {succeeded} requests succeeded"
    );
    println!(
        "{CONCURRENCY} in flight: {succeeded} requests in {elapsed:.2} s ({:.0}/s), {tokens} tokens",
        succeeded as f64 / elapsed
    );
}

/// A token revoked while 100 tasks use it: exactly one more token request, and every
/// request succeeds (the ones refused are resent once with the new token).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_revoked_mid_run_costs_exactly_one_token_request() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readonly");
    let first = client.token().await.expect("a token");
    let until = Instant::now() + Duration::from_millis(1500);
    let load = {
        let client = client.clone();
        tokio::spawn(async move { load(&client, 100, until).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sandbox.revoke_token(first.access_token().secret()));
    let (succeeded, failures) = load.await.expect("the load");

    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(succeeded > 100, "{succeeded}");
    assert_eq!(sandbox.token_requests_served(), 2);
    assert!(sandbox.api_unauthorized_served() >= 1);
    let second = client.token().await.expect("a token");
    assert_eq!(second.generation().get(), first.generation().get() + 1);
    assert_ne!(
        second.access_token().secret(),
        first.access_token().secret()
    );
}
