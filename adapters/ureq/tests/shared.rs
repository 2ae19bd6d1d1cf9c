//! The shared-store and shared-pacer hooks, with in-memory stand-ins for a fleet's store:
//! a second client adopts the first one's token instead of fetching, a busy lease is waited
//! for, an unavailable store leaves each client on its own, and the pacer is asked before
//! every attempt and told about 429s.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::demo_config;
use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::TokenClient;
use lucca_auth_sandbox::{RateLimit, Sandbox, SandboxConfig};
use lucca_auth_ureq::shared::{Lease, LeaseAttempt, SharedToken};
use lucca_auth_ureq::{Error, LuccaClient, SharedRatePacer, SharedTokenStore};

/// A fleet's store in memory: one token, one lease with a lifetime, and counters.
#[derive(Debug, Default)]
struct MemoryStore {
    state: Mutex<MemoryState>,
    lease_ttl: Duration,
    unavailable: bool,
    publishes: AtomicUsize,
    releases: AtomicUsize,
    waits: AtomicUsize,
}

#[derive(Debug, Default)]
struct MemoryState {
    token: Option<(SharedToken, Instant)>,
    lease: Option<(String, Instant)>,
    leases_given: usize,
}

impl MemoryStore {
    fn new(lease_ttl: Duration) -> Arc<Self> {
        Arc::new(MemoryStore {
            lease_ttl,
            ..MemoryStore::default()
        })
    }
}

/// The stand-in shared between clients (the builder takes the store by value).
#[derive(Debug, Clone)]
struct Shared(Arc<MemoryStore>);

impl SharedTokenStore for Shared {
    fn load(&self, _client: &TokenClient) -> Option<SharedToken> {
        if self.0.unavailable {
            return None;
        }
        let state = self.0.state.lock().unwrap();
        let (token, stored_at) = state.token.as_ref()?;
        let remaining = token.remaining().checked_sub(stored_at.elapsed())?;
        Some(SharedToken::new(
            token.access_token().clone(),
            token.granted().clone(),
            remaining,
        ))
    }

    fn try_lease(&self, _client: &TokenClient) -> LeaseAttempt {
        if self.0.unavailable {
            return LeaseAttempt::Unavailable;
        }
        let mut state = self.0.state.lock().unwrap();
        if state
            .lease
            .as_ref()
            .is_some_and(|(_, until)| Instant::now() < *until)
        {
            return LeaseAttempt::Busy;
        }
        state.leases_given += 1;
        let value = format!("lease-{}", state.leases_given);
        state.lease = Some((value.clone(), Instant::now() + self.0.lease_ttl));
        LeaseAttempt::Acquired(Lease::new(value))
    }

    fn publish(&self, client: &TokenClient, token: &SharedToken, lease: Lease) {
        self.0.publishes.fetch_add(1, Ordering::SeqCst);
        self.0.state.lock().unwrap().token = Some((token.clone(), Instant::now()));
        self.release(client, lease);
    }

    fn release(&self, _client: &TokenClient, lease: Lease) {
        self.0.releases.fetch_add(1, Ordering::SeqCst);
        let mut state = self.0.state.lock().unwrap();
        if state
            .lease
            .as_ref()
            .is_some_and(|(value, _)| value == lease.value())
        {
            state.lease = None;
        }
    }

    fn wait(&self, _client: &TokenClient) {
        self.0.waits.fetch_add(1, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_client_adopts_the_first_ones_token() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let store = MemoryStore::new(Duration::from_secs(5));
    let first = LuccaClient::builder(demo_config(&sandbox, "leaves.readonly"))
        .shared_store(Shared(Arc::clone(&store)))
        .build();
    let second = LuccaClient::builder(demo_config(&sandbox, "leaves.readonly"))
        .shared_store(Shared(Arc::clone(&store)))
        .build();

    let token = first.token().unwrap();
    assert_eq!(
        first
            .get("/lucca-api/leaves?limit=1")
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        second
            .get("/lucca-api/leaves?limit=1")
            .send()
            .unwrap()
            .status(),
        200
    );
    let adopted = second.token().unwrap();

    assert_eq!(sandbox.token_requests_served(), 1);
    assert_eq!(adopted.access_token(), token.access_token());
    assert_eq!(adopted.granted(), token.granted());
    // Imported to the millisecond: at most the time between the two reads apart.
    let apart = token
        .usable_until()
        .saturating_duration_since(adopted.usable_until())
        .max(
            adopted
                .usable_until()
                .saturating_duration_since(token.usable_until()),
        );
    assert!(apart < Duration::from_millis(200), "{apart:?}");
    assert_eq!(store.publishes.load(Ordering::SeqCst), 1);
    assert_eq!(store.releases.load(Ordering::SeqCst), 1);
    assert_eq!(store.state.lock().unwrap().lease, None);
}

#[test]
fn a_lease_held_elsewhere_is_waited_out_then_taken() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let store = MemoryStore::new(Duration::from_millis(300));
    // A worker that died holding the lease.
    store.state.lock().unwrap().lease = Some((
        "dead-worker".into(),
        Instant::now() + Duration::from_millis(300),
    ));
    let client = LuccaClient::builder(demo_config(&sandbox, "leaves.readonly"))
        .shared_store(Shared(Arc::clone(&store)))
        .build();

    let started = Instant::now();
    client.token().unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(280), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert!(store.waits.load(Ordering::SeqCst) >= 5);
    assert_eq!(sandbox.token_requests_served(), 1);
    assert_eq!(store.publishes.load(Ordering::SeqCst), 1);
}

#[test]
fn a_token_published_while_waiting_is_adopted_without_a_request() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let store = MemoryStore::new(Duration::from_secs(5));
    let fetcher = LuccaClient::new(demo_config(&sandbox, "leaves.readonly"));
    store.state.lock().unwrap().lease = Some((
        "other-worker".into(),
        Instant::now() + Duration::from_secs(5),
    ));
    let publisher = {
        let store = Arc::clone(&store);
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(150));
            let token = fetcher.token().unwrap();
            let mut state = store.state.lock().unwrap();
            state.token = Some((
                SharedToken::new(
                    token.access_token().clone(),
                    token.granted().clone(),
                    Duration::from_secs(60),
                ),
                Instant::now(),
            ));
            state.lease = None;
            token
        })
    };
    let client = LuccaClient::builder(demo_config(&sandbox, "leaves.readonly"))
        .shared_store(Shared(Arc::clone(&store)))
        .build();
    let adopted = client.token().unwrap();
    let published = publisher.join().unwrap();
    assert_eq!(adopted.access_token(), published.access_token());
    assert_eq!(sandbox.token_requests_served(), 1);
    assert_eq!(store.publishes.load(Ordering::SeqCst), 0);
}

#[test]
fn an_unavailable_store_leaves_each_client_on_its_own() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let store = Arc::new(MemoryStore {
        unavailable: true,
        ..MemoryStore::default()
    });
    for _ in 0..2 {
        let client = LuccaClient::builder(demo_config(&sandbox, "leaves.readonly"))
            .shared_store(Shared(Arc::clone(&store)))
            .build();
        assert_eq!(
            client
                .get("/lucca-api/leaves?limit=1")
                .send()
                .unwrap()
                .status(),
            200
        );
    }
    assert_eq!(sandbox.token_requests_served(), 2);
    assert_eq!(store.publishes.load(Ordering::SeqCst), 0);
}

/// Admits a fixed number of requests at once, then asks for short waits; records 429s.
#[derive(Debug, Default)]
struct CountingPacer {
    polls: AtomicUsize,
    refusals_left: AtomicUsize,
    retry_afters: Mutex<Vec<(String, Duration)>>,
}

#[derive(Debug, Clone)]
struct Pacer(Arc<CountingPacer>);

impl SharedRatePacer for Pacer {
    fn poll_send(&self, _tenant: &TenantHost) -> Result<(), Duration> {
        self.0.polls.fetch_add(1, Ordering::SeqCst);
        let refuse = self
            .0
            .refusals_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if refuse {
            Err(Duration::from_millis(30))
        } else {
            Ok(())
        }
    }

    fn handle_retry_after(&self, tenant: &TenantHost, delay: Duration) {
        self.0
            .retry_afters
            .lock()
            .unwrap()
            .push((tenant.origin().to_owned(), delay));
    }
}

#[test]
fn the_pacer_is_asked_before_every_attempt_and_told_about_429s() {
    let sandbox = Sandbox::start(
        SandboxConfig::default().with_rate_limit(RateLimit::new(1, Duration::from_secs(30))),
    )
    .unwrap();
    let pacer = Arc::new(CountingPacer {
        refusals_left: AtomicUsize::new(2),
        ..CountingPacer::default()
    });
    let client = LuccaClient::builder(demo_config(&sandbox, "leaves.readonly"))
        .shared_pacer(Pacer(Arc::clone(&pacer)))
        .build();

    let started = Instant::now();
    assert_eq!(
        client
            .get("/lucca-api/leaves?limit=1")
            .send()
            .unwrap()
            .status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(60));
    let refused = client.get("/lucca-api/leaves?limit=1").send().unwrap_err();
    assert_eq!(
        refused,
        Error::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    assert_eq!(pacer.polls.load(Ordering::SeqCst), 4);
    assert_eq!(
        *pacer.retry_afters.lock().unwrap(),
        [(sandbox.api_base().to_owned(), Duration::from_secs(30))]
    );
}
