//! A fleet of worker processes against the sandbox and a real `redis-server`: one token for
//! the whole fleet, a worker killed while it holds the lease, Redis stopped and restarted
//! mid-run, and one rate budget paced for everyone.
//!
//! The workers are this test binary itself, started with the `fleet_worker` test selected
//! and its settings in `LUCCA_FLEET_*` variables (that test does nothing without them). Each
//! worker runs one `lucca-auth-ureq` client with the Redis fleet as its shared store (and
//! pacer), called by several threads, and reports on stdout. The scenarios run one at a
//! time: they measure time, and the fleet is 8 processes.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{RedisServer, assert_nowhere_in_redis, demo_config, policy_with_margin};
use lucca_auth::machine::TokenClient;
use lucca_auth::pacer::RateBudget;
use lucca_auth_redis::RedisFleet;
use lucca_auth_sandbox::{DEMO_CLIENT_SECRET, RateLimit, Sandbox, SandboxConfig};
use lucca_auth_ureq::shared::{Lease, LeaseAttempt, SharedToken};
use lucca_auth_ureq::{LuccaClient, SharedTokenStore};

const WORKERS: usize = 8;
const THREADS: usize = 4;
const SCOPES: &str = "leaves.readonly";

/// One scenario at a time.
fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------
// The worker process.

fn setting(name: &str) -> Option<String> {
    std::env::var(format!("LUCCA_FLEET_{name}")).ok()
}

fn setting_u64(name: &str, default: u64) -> u64 {
    setting(name).map_or(default, |value| value.parse().unwrap())
}

/// Dies holding the lease: takes it, says so, and hangs until killed.
#[derive(Debug)]
struct Doomed(RedisFleet);

impl SharedTokenStore for Doomed {
    fn load(&self, client: &TokenClient) -> Option<SharedToken> {
        self.0.load(client)
    }

    fn try_lease(&self, client: &TokenClient) -> LeaseAttempt {
        let attempt = SharedTokenStore::try_lease(&self.0, client);
        if let LeaseAttempt::Acquired(_) = attempt {
            let mut out = std::io::stdout().lock();
            writeln!(out, "FLEET-LEASE {}", unix_ms()).unwrap();
            out.flush().unwrap();
            loop {
                thread::sleep(Duration::from_secs(3600));
            }
        }
        attempt
    }

    fn publish(&self, client: &TokenClient, token: &SharedToken, lease: Lease) {
        self.0.publish(client, token, lease);
    }

    fn release(&self, client: &TokenClient, lease: Lease) {
        self.0.release(client, lease);
    }

    fn wait(&self, client: &TokenClient) {
        self.0.wait(client);
    }
}

/// What one worker thread saw.
#[derive(Default)]
struct Seen {
    calls: u64,
    failures: Vec<String>,
    tokens: BTreeSet<String>,
    /// Tokens used in the last `LATE_MS` before the end.
    late_tokens: BTreeSet<String>,
}

/// The worker's body (in a child process).
fn run_worker() {
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    let redis = setting("REDIS").unwrap();
    let token_url = setting("TOKEN_URL").unwrap();
    let api_base = setting("API_BASE").unwrap();
    let threads = usize::try_from(setting_u64("THREADS", 4)).unwrap();
    let start = setting_u64("START_MS", unix_ms());
    let until = setting_u64("UNTIL_MS", 0);
    let late = setting_u64("LATE_MS", 1_000);
    let pause = Duration::from_millis(setting_u64("PAUSE_MS", 25));
    let budget = setting("BUDGET").map(|value| {
        let (max, window) = value.split_once('/').unwrap();
        RateBudget::new(
            max.parse().unwrap(),
            Duration::from_millis(window.parse().unwrap()),
        )
    });

    let mut config = demo_config(&token_url, &api_base, SCOPES);
    if let Some(margin) = setting("MAX_MARGIN_MS") {
        config = config.with_policy(policy_with_margin(Duration::from_millis(
            margin.parse().unwrap(),
        )));
    }
    let mut fleet = RedisFleet::builder(redis)
        .lease_ttl(Duration::from_millis(setting_u64("LEASE_TTL_MS", 10_000)))
        .poll_interval(Duration::from_millis(setting_u64("POLL_MS", 50)))
        .window_margin(Duration::from_millis(setting_u64(
            "WINDOW_MARGIN_MS",
            1_000,
        )))
        .timeouts(Duration::from_millis(200), Duration::from_millis(500))
        .retry_interval(Duration::from_millis(setting_u64("RETRY_MS", 1_000)))
        .fleet_size(u32::try_from(WORKERS).unwrap());
    if let Some(budget) = budget {
        fleet = fleet.default_budget(budget);
    }
    let fleet = fleet.build().unwrap();
    let builder = LuccaClient::builder(config).wait_max(Duration::from_secs(10));
    let builder = if setting("ROLE").as_deref() == Some("doomed") {
        builder.shared_store(Doomed(fleet.clone()))
    } else {
        builder.shared_store(fleet.clone())
    };
    let builder = if setting("PACE").is_some() {
        builder.shared_pacer(fleet)
    } else {
        builder
    };
    let client = builder.build();

    while unix_ms() < start {
        thread::sleep(Duration::from_millis(1));
    }
    let seen: Vec<Seen> = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let client = client.clone();
                scope.spawn(move || {
                    let mut seen = Seen::default();
                    while unix_ms() < until {
                        match client.get("/lucca-api/leaves?limit=1").send() {
                            Ok(response) if response.status() == 200 => {
                                seen.calls += 1;
                                if let Ok(token) = client.token() {
                                    let token = token.access_token().secret().to_owned();
                                    if unix_ms() + late >= until {
                                        seen.late_tokens.insert(token.clone());
                                    }
                                    seen.tokens.insert(token);
                                }
                            }
                            Ok(response) => {
                                seen.failures.push(format!("status {}", response.status()))
                            }
                            Err(error) => seen.failures.push(error.to_string()),
                        }
                        thread::sleep(pause);
                    }
                    seen
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let mut out = std::io::stdout().lock();
    let calls: u64 = seen.iter().map(|s| s.calls).sum();
    let failures: Vec<&String> = seen.iter().flat_map(|s| &s.failures).collect();
    for failure in failures.iter().take(5) {
        writeln!(out, "FLEET-FAILURE {failure}").unwrap();
    }
    let tokens: BTreeSet<&String> = seen.iter().flat_map(|s| &s.tokens).collect();
    let late_tokens: BTreeSet<&String> = seen.iter().flat_map(|s| &s.late_tokens).collect();
    let join = |set: BTreeSet<&String>| set.into_iter().cloned().collect::<Vec<_>>().join(",");
    writeln!(
        out,
        "FLEET-RESULT calls={calls} failures={} tokens={} late={}",
        failures.len(),
        join(tokens),
        join(late_tokens)
    )
    .unwrap();
    out.flush().unwrap();
}

/// The entry point of the worker processes; a no-op in the test run itself.
#[test]
fn fleet_worker() {
    if setting("ROLE").is_some() {
        run_worker();
    }
}

// ---------------------------------------------------------------------------------------
// The harness.

/// A worker process and what it printed.
struct Worker {
    child: Child,
    lines: Receiver<String>,
    stdout: JoinHandle<Vec<String>>,
    stderr: JoinHandle<Vec<String>>,
}

/// A worker's report.
#[derive(Debug, Default)]
struct Report {
    calls: u64,
    failures: u64,
    failure_lines: Vec<String>,
    tokens: Vec<String>,
    late_tokens: Vec<String>,
    log: Vec<String>,
}

fn spawn_worker(settings: &[(&str, String)]) -> Worker {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["fleet_worker", "--exact", "--nocapture", "--test-threads=1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in settings {
        command.env(format!("LUCCA_FLEET_{name}"), value);
    }
    let mut child = command.spawn().unwrap();
    let (sender, lines) = mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let stdout = thread::spawn(move || {
        let mut all = Vec::new();
        for line in stdout.lines().map_while(Result::ok) {
            let _ = sender.send(line.clone());
            all.push(line);
        }
        all
    });
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let stderr = thread::spawn(move || stderr.lines().map_while(Result::ok).collect());
    Worker {
        child,
        lines,
        stdout,
        stderr,
    }
}

impl Worker {
    /// Waits for the worker to exit and reads its report.
    fn report(mut self) -> Report {
        let status = self.child.wait().unwrap();
        let stdout = self.stdout.join().unwrap();
        let log = self.stderr.join().unwrap();
        assert!(status.success(), "worker failed: {stdout:?} {log:?}");
        let mut report = Report {
            log,
            ..Report::default()
        };
        for line in stdout {
            if let Some(failure) = after(&line, "FLEET-FAILURE ") {
                report.failure_lines.push(failure.to_owned());
            }
            let Some(result) = after(&line, "FLEET-RESULT ") else {
                continue;
            };
            for field in result.split(' ') {
                let (name, value) = field.split_once('=').unwrap();
                let list = || {
                    value
                        .split(',')
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect()
                };
                match name {
                    "calls" => report.calls = value.parse().unwrap(),
                    "failures" => report.failures = value.parse().unwrap(),
                    "tokens" => report.tokens = list(),
                    "late" => report.late_tokens = list(),
                    _ => {}
                }
            }
        }
        report
    }

    /// SIGKILL.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// What follows `marker` in `line` (libtest may have printed "test fleet_worker ... " before
/// it on the same line).
fn after<'l>(line: &'l str, marker: &str) -> Option<&'l str> {
    line.find(marker)
        .and_then(|at| line.get(at + marker.len()..))
}

/// The settings every worker of a scenario shares.
fn base_settings(
    redis: &RedisServer,
    sandbox: &Sandbox,
    start: u64,
    until: u64,
) -> Vec<(&'static str, String)> {
    vec![
        ("ROLE", "worker".to_owned()),
        ("REDIS", redis.url()),
        ("TOKEN_URL", sandbox.token_url().to_owned()),
        ("API_BASE", sandbox.api_base().to_owned()),
        ("THREADS", THREADS.to_string()),
        ("START_MS", start.to_string()),
        ("UNTIL_MS", until.to_string()),
    ]
}

fn with(
    mut settings: Vec<(&'static str, String)>,
    more: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    for (name, value) in more {
        settings.retain(|(existing, _)| existing != name);
        settings.push((name, (*value).to_owned()));
    }
    settings
}

/// Totals over the fleet.
struct Totals {
    calls: u64,
    failures: u64,
    failure_lines: Vec<String>,
    tokens: BTreeSet<String>,
    late_tokens: BTreeSet<String>,
}

fn totals(reports: &[Report]) -> Totals {
    Totals {
        calls: reports.iter().map(|r| r.calls).sum(),
        failures: reports.iter().map(|r| r.failures).sum(),
        failure_lines: reports
            .iter()
            .flat_map(|r| r.failure_lines.clone())
            .collect(),
        tokens: reports.iter().flat_map(|r| r.tokens.clone()).collect(),
        late_tokens: reports.iter().flat_map(|r| r.late_tokens.clone()).collect(),
    }
}

fn sandbox(lifetime: Duration, limit: RateLimit) -> Sandbox {
    Sandbox::start(
        SandboxConfig::default()
            .with_token_lifetime(lifetime)
            .with_rate_limit(limit),
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------
// The scenarios.

/// 8 workers × 4 threads for 20 s with 3 s tokens: one token at a time for the fleet.
#[test]
fn a_fleet_shares_one_token() {
    let _one_at_a_time = exclusive();
    let Some(redis) = RedisServer::start("a_fleet_shares_one_token") else {
        return;
    };
    let lifetime = Duration::from_secs(3);
    let sandbox = sandbox(lifetime, RateLimit::unlimited());
    let start = unix_ms() + 1_500;
    let until = start + 20_000;
    // A 100 ms margin: refreshes at 2.8 s of a 3 s token (the default, min(60 s, L/10),
    // refreshes at 80 % of the lifetime, 2.4 s here: see the README).
    let settings = with(
        base_settings(&redis, &sandbox, start, until),
        &[("MAX_MARGIN_MS", "100")],
    );
    let workers: Vec<Worker> = (0..WORKERS).map(|_| spawn_worker(&settings)).collect();
    let reports: Vec<Report> = workers.into_iter().map(Worker::report).collect();
    let elapsed = Duration::from_millis(until - start);
    let totals = totals(&reports);

    let token_requests = sandbox.token_requests_served();
    let bound = elapsed.as_secs_f64() / lifetime.as_secs_f64() + 2.0;
    eprintln!(
        "fleet: {WORKERS} workers x {THREADS} threads, {:.1} s, {} calls, {} failures, \
         {token_requests} token requests (bound {bound:.2}), {} 401s",
        elapsed.as_secs_f64(),
        totals.calls,
        totals.failures,
        sandbox.api_unauthorized_served()
    );
    assert_eq!(totals.failures, 0, "{:?}", totals.failure_lines);
    assert!(
        (token_requests as f64) <= bound,
        "{token_requests} token requests > {bound:.2}"
    );
    assert!(totals.calls > 1_000, "{}", totals.calls);
    assert_eq!(sandbox.api_unauthorized_served(), 0);
    assert_eq!(totals.tokens.len() as u64, token_requests);

    // Every key and value in Redis, after the run: no secret, no token in clear.
    let mut needles: Vec<&str> = vec![DEMO_CLIENT_SECRET];
    needles.extend(totals.tokens.iter().map(String::as_str));
    assert_nowhere_in_redis(&redis.url(), &needles);
}

/// A worker takes the lease and is SIGKILLed: another fetches within the lease's lifetime and
/// no call fails.
#[test]
fn a_worker_killed_holding_the_lease_delays_the_others_at_most_the_lease_ttl() {
    let _one_at_a_time = exclusive();
    let Some(redis) = RedisServer::start("a_worker_killed_holding_the_lease") else {
        return;
    };
    let lease_ttl = Duration::from_millis(1_000);
    let sandbox = sandbox(Duration::from_secs(4), RateLimit::unlimited());
    let start = unix_ms() + 1_000;
    let until = start + 9_000;
    let settings = with(
        base_settings(&redis, &sandbox, start, until),
        &[("MAX_MARGIN_MS", "100"), ("LEASE_TTL_MS", "1000")],
    );
    let workers: Vec<Worker> = (0..4).map(|_| spawn_worker(&settings)).collect();
    // The doomed worker joins once the fleet has its first token, adopts it, and (with the
    // default margin, larger) is the first to want the next one.
    while sandbox.token_requests_served() == 0 {
        thread::sleep(Duration::from_millis(5));
    }
    let doomed = spawn_worker(&with(
        settings.clone(),
        &[
            ("ROLE", "doomed"),
            ("THREADS", "1"),
            ("START_MS", "0"),
            ("MAX_MARGIN_MS", "60000"),
        ],
    ));
    let line = loop {
        let line = doomed.lines.recv_timeout(Duration::from_secs(8)).unwrap();
        if line.contains("FLEET-LEASE ") {
            break line;
        }
    };
    let leased_at: u64 = after(&line, "FLEET-LEASE ").unwrap().parse().unwrap();
    let before = sandbox.token_requests_served();
    doomed.kill();
    let fetched_at = loop {
        if sandbox.token_requests_served() > before {
            break unix_ms();
        }
        assert!(
            unix_ms() < leased_at + 5_000,
            "nobody fetched after the kill"
        );
        thread::sleep(Duration::from_millis(2));
    };
    let reports: Vec<Report> = workers.into_iter().map(Worker::report).collect();
    let totals = totals(&reports);
    let delay = Duration::from_millis(fetched_at - leased_at);
    eprintln!(
        "kill: lease taken at +{} ms, next token fetched {} ms later (lease TTL {} ms); \
         {} calls, {} failures, {} token requests",
        leased_at - start,
        delay.as_millis(),
        lease_ttl.as_millis(),
        totals.calls,
        totals.failures,
        sandbox.token_requests_served()
    );
    assert_eq!(totals.failures, 0, "{:?}", totals.failure_lines);
    // Within the lease's lifetime, plus one poll interval and the token request itself.
    assert!(delay <= lease_ttl + Duration::from_millis(250), "{delay:?}");
    assert_eq!(sandbox.api_unauthorized_served(), 0);
}

/// Redis stops for 4 s mid-run and comes back empty: no call fails, each worker logs the
/// outage and the recovery once, and the fleet is back to one token.
#[test]
fn redis_stopped_and_restarted_mid_run() {
    let _one_at_a_time = exclusive();
    let Some(mut redis) = RedisServer::start("redis_stopped_and_restarted_mid_run") else {
        return;
    };
    let sandbox = sandbox(Duration::from_secs(3), RateLimit::unlimited());
    let start = unix_ms() + 1_500;
    let until = start + 17_000;
    let settings = with(
        base_settings(&redis, &sandbox, start, until),
        &[
            ("MAX_MARGIN_MS", "100"),
            ("LATE_MS", "1500"),
            ("RETRY_MS", "500"),
        ],
    );
    let workers: Vec<Worker> = (0..WORKERS).map(|_| spawn_worker(&settings)).collect();
    let at = |offset: u64| {
        while unix_ms() < start + offset {
            thread::sleep(Duration::from_millis(5));
        }
    };
    at(4_000);
    let before_outage = sandbox.token_requests_served();
    redis.stop();
    at(8_000);
    let during_outage = sandbox.token_requests_served() - before_outage;
    redis.restart();
    at(11_000);
    let settled = sandbox.token_requests_served();
    let reports: Vec<Report> = workers.into_iter().map(Worker::report).collect();
    let after_recovery = sandbox.token_requests_served() - settled;
    let totals = totals(&reports);
    eprintln!(
        "restart: {} calls, {} failures; token requests: {before_outage} in the first 4 s, \
         {during_outage} during the 4 s outage, {after_recovery} in the last 6 s; \
         tokens used in the last 1.5 s: {}",
        totals.calls,
        totals.failures,
        totals.late_tokens.len()
    );
    assert_eq!(totals.failures, 0, "{:?}", totals.failure_lines);
    assert_eq!(sandbox.api_unauthorized_served(), 0);
    // Alone, the workers fetched their own tokens; back together, one per refresh.
    assert!(during_outage >= 4, "{during_outage}");
    assert!(after_recovery <= 6_000 / 2_800 + 2, "{after_recovery}");
    assert!(
        totals.late_tokens.len() <= 2,
        "{}",
        totals.late_tokens.len()
    );
    for report in &reports {
        let log = report.log.join("\n");
        assert_eq!(log.matches("Redis is unreachable").count(), 1, "{log}");
        assert_eq!(log.matches("Redis is reachable again").count(), 1, "{log}");
    }
}

/// 8 workers against a sliding-window limit of 50 per 6 s: no 429, and at least 90 % of the
/// budget used.
#[test]
fn a_fleet_paces_itself_within_the_tenant_budget() {
    let _one_at_a_time = exclusive();
    let Some(redis) = RedisServer::start("a_fleet_paces_itself") else {
        return;
    };
    let limit = RateLimit::new(50, Duration::from_secs(6));
    let sandbox = sandbox(Duration::from_secs(1800), limit);
    let start = unix_ms() + 1_500;
    let run = Duration::from_secs(18);
    let until = start + u64::try_from(run.as_millis()).unwrap();
    let settings = with(
        base_settings(&redis, &sandbox, start, until),
        &[
            ("PACE", "1"),
            ("BUDGET", "50/6000"),
            ("WINDOW_MARGIN_MS", "250"),
            ("PAUSE_MS", "0"),
        ],
    );
    let workers: Vec<Worker> = (0..WORKERS).map(|_| spawn_worker(&settings)).collect();
    while unix_ms() < until {
        thread::sleep(Duration::from_millis(1));
    }
    // Threads already waiting for a slot at the end still send (later): counted apart.
    let sent = sandbox.api_requests_received();
    let reports: Vec<Report> = workers.into_iter().map(Worker::report).collect();
    let totals = totals(&reports);
    let budget = 50.0 * run.as_secs_f64() / 6.0;
    eprintln!(
        "pacing: {sent} API requests in {:.0} s against 50 per 6 s ({:.0} % of {budget:.0}), \
         {} in all with the late ones, {} answered 429, {} calls, {} failures",
        run.as_secs_f64(),
        100.0 * sent as f64 / budget,
        sandbox.api_requests_received(),
        sandbox.api_rate_limited_served(),
        totals.calls,
        totals.failures
    );
    assert_eq!(sandbox.api_rate_limited_served(), 0);
    assert_eq!(totals.failures, 0, "{:?}", totals.failure_lines);
    assert!(sent as f64 >= 0.9 * budget, "{sent} < 90 % of {budget}");
    // The pacer never lets more than the budget through: three windows began by then.
    assert!(sent <= 50 * 3, "{sent}");
}
