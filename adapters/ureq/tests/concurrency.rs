//! 32 threads call the API through one client for more than five token lifetimes of 2 s:
//! no expired token is ever sent (the sandbox serves no 401), tokens are refreshed ahead of
//! expiry without a stampede, and no call fails.
#![allow(clippy::unwrap_used)]

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::demo_config;
use lucca_auth_sandbox::{RateLimit, Sandbox, SandboxConfig};
use lucca_auth_ureq::LuccaClient;

const THREADS: usize = 32;
const LIFETIME: Duration = Duration::from_secs(2);
/// min(60 s, lifetime / 10).
const MARGIN: Duration = Duration::from_millis(200);
const RUN_FOR: Duration = Duration::from_millis(10_500);

#[test]
fn thirty_two_threads_share_one_token_cache() {
    let sandbox = Sandbox::start(
        SandboxConfig::default()
            .with_token_lifetime(LIFETIME)
            .with_rate_limit(RateLimit::unlimited()),
    )
    .unwrap();
    let client = LuccaClient::new(demo_config(&sandbox, "leaves.readonly"));

    let started = Instant::now();
    let results: Vec<(usize, Vec<String>)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let client = client.clone();
                scope.spawn(move || {
                    let (mut calls, mut failures) = (0, Vec::new());
                    while started.elapsed() < RUN_FOR {
                        match client.get("/lucca-api/leaves?limit=1").send() {
                            Ok(response) if response.status() == 200 => calls += 1,
                            Ok(response) => failures.push(format!("status {}", response.status())),
                            Err(error) => failures.push(error.to_string()),
                        }
                        thread::sleep(Duration::from_millis(5));
                    }
                    (calls, failures)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();

    let calls: usize = results.iter().map(|(calls, _)| calls).sum();
    let failures: Vec<&String> = results.iter().flat_map(|(_, f)| f).collect();
    assert!(
        failures.is_empty(),
        "{} failed calls: {failures:?}",
        failures.len()
    );
    assert_eq!(sandbox.api_unauthorized_served(), 0);
    assert!(calls >= THREADS * 100, "only {calls} calls");

    let tokens = sandbox.token_requests_served() as f64;
    let lifetime = LIFETIME.as_secs_f64();
    let lower = elapsed / lifetime - 1.0;
    let upper = elapsed / (lifetime - 2.0 * MARGIN.as_secs_f64()) + 2.0;
    assert!(
        tokens >= lower && tokens <= upper,
        "{tokens} tokens in {elapsed:.1} s, expected between {lower:.1} and {upper:.1}"
    );
    assert_eq!(sandbox.token_requests_received() as f64, tokens);
    println!("{calls} calls, {tokens} tokens in {elapsed:.1} s");
}
