//! `lucca-auth-reqwest` clients sharing one [`AsyncRedisFleet`] against the sandbox and a
//! real `redis-server`: separate clients (one token cache each, as separate processes would
//! have) on one tokio runtime. One token for all of them, a token revoked mid-run (and
//! dropped from Redis by the client that saw the 401), Redis
//! stopped and restarted mid-run, and one rate budget paced for everyone.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{RedisServer, assert_nowhere_in_redis, demo_config, policy_with_margin, token_client};
use lucca_auth::pacer::RateBudget;
use lucca_auth_redis::AsyncRedisFleet;
use lucca_auth_reqwest::LuccaClient;
use lucca_auth_sandbox::{DEMO_CLIENT_SECRET, RateLimit, Sandbox, SandboxConfig, TokenFault};
use tokio::sync::{Mutex, MutexGuard};

const CLIENTS: usize = 8;
const TASKS: usize = 4;
const SCOPES: &str = "leaves.readonly";

/// One scenario at a time: they measure time.
async fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::const_new(());
    LOCK.lock().await
}

fn sandbox(lifetime: Duration, limit: RateLimit) -> Sandbox {
    Sandbox::start(
        SandboxConfig::default()
            .with_token_lifetime(lifetime)
            .with_rate_limit(limit),
    )
    .unwrap()
}

/// The fleet's settings in these tests: short timeouts and polls, a fast retry after an
/// outage, and `budget` per tenant.
fn fleet(redis: &RedisServer, budget: RateBudget) -> AsyncRedisFleet {
    AsyncRedisFleet::builder(redis.url())
        .default_budget(budget)
        .window_margin(Duration::from_millis(250))
        .poll_interval(Duration::from_millis(20))
        .timeouts(Duration::from_millis(200), Duration::from_millis(500))
        .retry_interval(Duration::from_millis(500))
        .build_async()
        .unwrap()
}

fn unlimited() -> RateBudget {
    RateBudget::new(100_000, Duration::from_secs(1))
}

/// `count` separate clients of the sandbox sharing `fleet` as their store (and pacer).
fn clients(
    sandbox: &Sandbox,
    fleet: &AsyncRedisFleet,
    count: usize,
    pace: bool,
) -> Vec<LuccaClient> {
    let config = demo_config(sandbox.token_url(), sandbox.api_base(), SCOPES)
        .with_policy(policy_with_margin(Duration::from_millis(100)));
    (0..count)
        .map(|_| {
            let builder = LuccaClient::builder(config.clone())
                .wait_max(Duration::from_secs(10))
                .shared_store(fleet.clone());
            let builder = if pace {
                builder.shared_pacer(fleet.clone())
            } else {
                builder
            };
            builder.build().unwrap()
        })
        .collect()
}

/// What the tasks saw.
#[derive(Default)]
struct Seen {
    calls: u64,
    failures: Vec<String>,
    tokens: BTreeSet<String>,
}

impl Seen {
    fn merge(&mut self, other: Seen) {
        self.calls += other.calls;
        self.failures.extend(other.failures);
        self.tokens.extend(other.tokens);
    }
}

/// One call, recorded in `seen`.
async fn call(client: &LuccaClient, seen: &mut Seen) {
    match client.get("/lucca-api/leaves?limit=1").send().await {
        Ok(response) if response.status() == 200 => {
            seen.calls += 1;
            if let Ok(token) = client.token().await {
                seen.tokens.insert(token.access_token().secret().to_owned());
            }
        }
        Ok(response) => seen.failures.push(format!("status {}", response.status())),
        Err(error) => seen.failures.push(error.to_string()),
    }
}

/// `TASKS` tasks per client calling until `until`, `pause` apart.
async fn run_until(clients: &[LuccaClient], until: Instant, pause: Duration) -> Seen {
    let mut handles = Vec::new();
    for client in clients {
        for _ in 0..TASKS {
            let client = client.clone();
            handles.push(tokio::spawn(async move {
                let mut seen = Seen::default();
                while Instant::now() < until {
                    call(&client, &mut seen).await;
                    tokio::time::sleep(pause).await;
                }
                seen
            }));
        }
    }
    let mut all = Seen::default();
    for handle in handles {
        all.merge(handle.await.unwrap());
    }
    all
}

/// 8 clients × 4 tasks for 12 s with 3 s tokens: one token at a time for all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_clients_share_one_token() {
    let _one_at_a_time = exclusive().await;
    let Some(redis) = RedisServer::start("reqwest_clients_share_one_token") else {
        return;
    };
    let lifetime = Duration::from_secs(3);
    let sandbox = sandbox(lifetime, RateLimit::unlimited());
    let fleet = fleet(&redis, unlimited());
    let clients = clients(&sandbox, &fleet, CLIENTS, false);
    let start = Instant::now();
    let seen = run_until(
        &clients,
        start + Duration::from_secs(12),
        Duration::from_millis(25),
    )
    .await;
    let elapsed = start.elapsed();
    let token_requests = sandbox.token_requests_served();
    let bound = elapsed.as_secs_f64() / lifetime.as_secs_f64() + 2.0;
    eprintln!(
        "reqwest fleet: {CLIENTS} clients x {TASKS} tasks, {:.1} s, {} calls, {} failures, \
         {token_requests} token requests (bound {bound:.2}), {} 401s",
        elapsed.as_secs_f64(),
        seen.calls,
        seen.failures.len(),
        sandbox.api_unauthorized_served()
    );
    assert_eq!(seen.failures, Vec::<String>::new());
    assert!(
        (token_requests as f64) <= bound,
        "{token_requests} token requests > {bound:.2}"
    );
    assert!(seen.calls > 1_000, "{}", seen.calls);
    assert_eq!(sandbox.api_unauthorized_served(), 0);
    assert_eq!(seen.tokens.len() as u64, token_requests);
    let mut needles: Vec<&str> = vec![DEMO_CLIENT_SECRET];
    needles.extend(seen.tokens.iter().map(String::as_str));
    assert_nowhere_in_redis(&redis.url(), &needles);
}

/// The token is revoked once every client holds it: every call succeeds, each client sends
/// the revoked token once, and exactly one new token is fetched for all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_clients_drop_a_revoked_token_and_fetch_one_new_one() {
    let _one_at_a_time = exclusive().await;
    let Some(redis) = RedisServer::start("reqwest_clients_drop_a_revoked_token") else {
        return;
    };
    let sandbox = sandbox(Duration::from_secs(600), RateLimit::unlimited());
    let fleet = fleet(&redis, unlimited());
    let clients = clients(&sandbox, &fleet, 4, false);
    let mut seen = Seen::default();
    let warm: Vec<_> = clients
        .iter()
        .map(|client| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut seen = Seen::default();
                call(&client, &mut seen).await;
                seen
            })
        })
        .collect();
    for handle in warm {
        seen.merge(handle.await.unwrap());
    }
    assert_eq!(sandbox.token_requests_served(), 1);
    assert_eq!(sandbox.revoke_all_tokens(), 1);
    // One task per client, ten calls each, all clients at once.
    let after: Vec<_> = clients
        .iter()
        .map(|client| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut seen = Seen::default();
                for _ in 0..10 {
                    call(&client, &mut seen).await;
                }
                seen
            })
        })
        .collect();
    for handle in after {
        seen.merge(handle.await.unwrap());
    }
    assert_eq!(seen.failures, Vec::<String>::new());
    assert_eq!(seen.calls, 4 * 11);
    assert_eq!(sandbox.token_requests_served(), 2);
    assert_eq!(sandbox.api_unauthorized_served(), 4);
    assert_eq!(seen.tokens.len(), 2);
}

/// The client that saw the 401 drops the token from Redis even when it cannot fetch the next
/// one; a client that holds a newer token drops nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reqwest_client_that_sees_the_401_drops_the_token_from_the_store() {
    let _one_at_a_time = exclusive().await;
    let Some(redis) = RedisServer::start("the_reqwest_client_that_sees_the_401_drops") else {
        return;
    };
    let sandbox = sandbox(Duration::from_secs(600), RateLimit::unlimited());
    let fleet = fleet(&redis, unlimited());
    let config = demo_config(sandbox.token_url(), sandbox.api_base(), SCOPES);
    let client = token_client(&config);
    let build = || {
        LuccaClient::builder(config.clone())
            .shared_store(fleet.clone())
            .build()
            .unwrap()
    };
    let (first, second) = (build(), build());
    let status = |client: &LuccaClient| {
        let client = client.clone();
        async move {
            client
                .get("/lucca-api/leaves")
                .send()
                .await
                .map(|response| response.status())
        }
    };
    assert_eq!(status(&first).await.unwrap(), 200);
    assert_eq!(status(&second).await.unwrap(), 200);
    let revoked = first.token().await.unwrap().access_token().clone();
    assert_eq!(sandbox.token_requests_served(), 1);

    assert_eq!(sandbox.revoke_all_tokens(), 1);
    sandbox
        .set_token_fault(TokenFault::RefuseConnections)
        .unwrap();
    // Its next token request fails (and backs off): the revoked token is gone from Redis all
    // the same.
    assert!(status(&first).await.is_err());
    assert_eq!(fleet.load_token(&client).await.unwrap(), None);

    sandbox.clear_token_fault().unwrap();
    let third = build();
    assert_eq!(status(&third).await.unwrap(), 200);
    let fresh = third.token().await.unwrap().access_token().clone();
    assert_ne!(fresh, revoked);
    // The second client still holds the revoked token: its 401 leaves the new one stored.
    assert_eq!(status(&second).await.unwrap(), 200);
    assert_eq!(second.token().await.unwrap().access_token(), &fresh);
    assert_eq!(sandbox.token_requests_served(), 2);
    assert_eq!(sandbox.api_unauthorized_served(), 2);
    let stored = fleet.load_token(&client).await.unwrap().unwrap();
    assert_eq!(stored.access_token, fresh);
    assert!(!fleet.discard_token(&client, &revoked).await.unwrap());
    assert!(fleet.discard_token(&client, &fresh).await.unwrap());
    assert_eq!(fleet.load_token(&client).await.unwrap(), None);
}

/// Redis stops for 3 s mid-run and comes back empty: no call fails, and the clients share
/// one token again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_clients_survive_redis_stopped_mid_run() {
    let _one_at_a_time = exclusive().await;
    let Some(redis) = RedisServer::start("reqwest_clients_survive_redis_stopped") else {
        return;
    };
    let sandbox = sandbox(Duration::from_secs(3), RateLimit::unlimited());
    let fleet = fleet(&redis, unlimited());
    let clients = clients(&sandbox, &fleet, CLIENTS, true);
    let start = Instant::now();
    let control = tokio::task::spawn_blocking(move || {
        let mut redis = redis;
        let at = |offset: Duration| {
            std::thread::sleep((start + offset).saturating_duration_since(Instant::now()))
        };
        at(Duration::from_secs(3));
        redis.stop();
        at(Duration::from_secs(6));
        redis.restart();
        redis
    });
    let seen = run_until(
        &clients,
        start + Duration::from_secs(14),
        Duration::from_millis(25),
    )
    .await;
    let _redis = control.await.unwrap();
    let settled = sandbox.token_requests_served();
    eprintln!(
        "reqwest restart: {} calls, {} failures, {settled} token requests in {:.1} s, Redis \
         reachable again: {}",
        seen.calls,
        seen.failures.len(),
        start.elapsed().as_secs_f64(),
        fleet.is_reachable()
    );
    assert_eq!(seen.failures, Vec::<String>::new());
    assert_eq!(sandbox.api_unauthorized_served(), 0);
    assert!(fleet.is_reachable());
    // Back together, the clients share one token: all of them use the fleet's.
    let mut tokens = BTreeSet::new();
    for client in &clients {
        tokens.insert(
            client
                .token()
                .await
                .unwrap()
                .access_token()
                .secret()
                .to_owned(),
        );
    }
    assert_eq!(tokens.len(), 1, "{tokens:?}");
}

/// 8 clients against a sliding-window limit of 50 per 6 s: no 429, and at least 90 % of the
/// budget used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_clients_pace_themselves_within_the_tenant_budget() {
    let _one_at_a_time = exclusive().await;
    let Some(redis) = RedisServer::start("reqwest_clients_pace_themselves") else {
        return;
    };
    let limit = RateLimit::new(50, Duration::from_secs(6));
    let sandbox = sandbox(Duration::from_secs(1800), limit);
    let fleet = fleet(&redis, RateBudget::new(50, Duration::from_secs(6)));
    let clients = clients(&sandbox, &fleet, CLIENTS, true);
    let run = Duration::from_secs(18);
    let start = Instant::now();
    let until = start + run;
    let running = tokio::spawn({
        let clients = clients.clone();
        async move { run_until(&clients, until, Duration::ZERO).await }
    });
    tokio::time::sleep_until(until.into()).await;
    // Tasks already waiting for a slot at the end still send (later): counted apart.
    let sent = sandbox.api_requests_received();
    let seen = running.await.unwrap();
    let budget = 50.0 * run.as_secs_f64() / 6.0;
    eprintln!(
        "reqwest pacing: {sent} API requests in {:.0} s against 50 per 6 s ({:.0} % of \
         {budget:.0}), {} in all with the late ones, {} answered 429, {} calls, {} failures",
        run.as_secs_f64(),
        100.0 * sent as f64 / budget,
        sandbox.api_requests_received(),
        sandbox.api_rate_limited_served(),
        seen.calls,
        seen.failures.len()
    );
    assert_eq!(sandbox.api_rate_limited_served(), 0);
    assert_eq!(seen.failures, Vec::<String>::new());
    assert!(sent as f64 >= 0.9 * budget, "{sent} < 90 % of {budget}");
    assert!(sent <= 50 * 3, "{sent}");
}
