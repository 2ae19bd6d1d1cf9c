//! A token revoked mid-run, with several clients sharing one fleet: the clients that see the
//! 401 never take the revoked token back from Redis (even from a store that cannot drop it),
//! the first of them drops it from the store, and exactly one new token is fetched for
//! everyone.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use common::{RedisServer, demo_config, token_client};
use lucca_auth::config::LuccaConfig;
use lucca_auth::machine::TokenClient;
use lucca_auth::pacer::RateBudget;
use lucca_auth_redis::RedisFleet;
use lucca_auth_sandbox::{RateLimit, Sandbox, SandboxConfig, TokenFault};
use lucca_auth_ureq::shared::{Lease, LeaseAttempt, SharedToken};
use lucca_auth_ureq::{LuccaClient, SharedTokenStore};

const CLIENTS: usize = 4;
const CALLS_AFTER: usize = 10;
const SCOPES: &str = "leaves.readonly";

fn sandbox() -> Sandbox {
    Sandbox::start(
        SandboxConfig::default()
            .with_token_lifetime(Duration::from_secs(600))
            .with_rate_limit(RateLimit::unlimited()),
    )
    .unwrap()
}

fn fleet(redis: &RedisServer) -> RedisFleet {
    RedisFleet::builder(redis.url())
        .default_budget(RateBudget::new(10_000, Duration::from_secs(1)))
        .poll_interval(Duration::from_millis(20))
        .timeouts(Duration::from_millis(200), Duration::from_millis(500))
        .build()
        .unwrap()
}

/// A store that cannot drop a token (the hooks' default `discard`): the revoked token stays in
/// Redis, and only the clients' refusal to adopt it again keeps it out of use.
#[derive(Debug)]
struct NoDiscard(RedisFleet);

impl SharedTokenStore for NoDiscard {
    fn load(&self, client: &TokenClient) -> Option<SharedToken> {
        self.0.load(client)
    }

    fn try_lease(&self, client: &TokenClient) -> LeaseAttempt {
        SharedTokenStore::try_lease(&self.0, client)
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

#[test]
fn a_revoked_token_is_dropped_by_the_fleet_and_fetched_again_once() {
    let Some(redis) = RedisServer::start("a_revoked_token_is_dropped_by_the_fleet") else {
        return;
    };
    let fleet = fleet(&redis);
    revoked_mid_run(&fleet, |config| {
        LuccaClient::builder(config.clone())
            .shared_store(fleet.clone())
            .build()
    });
}

#[test]
fn a_revoked_token_left_in_the_store_is_never_adopted_again() {
    let Some(redis) = RedisServer::start("a_revoked_token_left_in_the_store") else {
        return;
    };
    let fleet = fleet(&redis);
    revoked_mid_run(&fleet, |config| {
        LuccaClient::builder(config.clone())
            .shared_store(NoDiscard(fleet.clone()))
            .build()
    });
}

/// `CLIENTS` clients made by `build`, sharing `fleet`: the token is revoked once all of them
/// hold it, then each calls `CALLS_AFTER` times.
fn revoked_mid_run(fleet: &RedisFleet, build: impl Fn(&LuccaConfig) -> LuccaClient) {
    let sandbox = sandbox();
    let config = demo_config(sandbox.token_url(), sandbox.api_base(), SCOPES);
    // Separate clients, as separate processes would have: one cache each.
    let clients: Vec<LuccaClient> = (0..CLIENTS).map(|_| build(&config)).collect();
    let warmed = Barrier::new(CLIENTS + 1);
    let revoked = Barrier::new(CLIENTS + 1);
    let failures: Vec<String> = thread::scope(|scope| {
        let handles: Vec<_> = clients
            .iter()
            .map(|client| {
                let (warmed, revoked) = (&warmed, &revoked);
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    let mut call = || match client.get("/lucca-api/leaves?limit=1").send() {
                        Ok(response) if response.status() == 200 => {}
                        Ok(response) => failures.push(format!("status {}", response.status())),
                        Err(error) => failures.push(error.to_string()),
                    };
                    call();
                    warmed.wait();
                    revoked.wait();
                    for _ in 0..CALLS_AFTER {
                        call();
                    }
                    failures
                })
            })
            .collect();
        warmed.wait();
        assert_eq!(sandbox.token_requests_served(), 1);
        assert_eq!(sandbox.revoke_all_tokens(), 1);
        revoked.wait();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect()
    });
    assert_eq!(failures, Vec::<String>::new());
    // One token before the revocation, exactly one after it for the whole fleet.
    assert_eq!(sandbox.token_requests_served(), 2);
    // Each client sent the revoked token once, and never again.
    assert_eq!(sandbox.api_unauthorized_served(), CLIENTS as u64);
    // The store holds the new token, which every client uses.
    let stored = fleet.load_token(&token_client(&config)).unwrap().unwrap();
    for client in &clients {
        assert_eq!(
            client.token().unwrap().access_token().secret(),
            stored.access_token.secret()
        );
    }
}

/// The client that saw the 401 drops the token from Redis even when it cannot fetch the next
/// one; a client that holds a newer token drops nothing.
#[test]
fn the_client_that_sees_the_401_drops_the_token_from_the_store() {
    let Some(redis) = RedisServer::start("the_client_that_sees_the_401_drops_the_token") else {
        return;
    };
    let sandbox = sandbox();
    let fleet = fleet(&redis);
    let config = demo_config(sandbox.token_url(), sandbox.api_base(), SCOPES);
    let client = token_client(&config);
    let build = || {
        LuccaClient::builder(config.clone())
            .shared_store(fleet.clone())
            .wait_max(Duration::ZERO)
            .build()
    };
    let (first, second) = (build(), build());
    assert_eq!(first.get("/lucca-api/leaves").send().unwrap().status(), 200);
    assert_eq!(
        second.get("/lucca-api/leaves").send().unwrap().status(),
        200
    );
    let revoked = first.token().unwrap().access_token().clone();
    assert_eq!(sandbox.token_requests_served(), 1);

    assert_eq!(sandbox.revoke_all_tokens(), 1);
    sandbox
        .set_token_fault(TokenFault::RefuseConnections)
        .unwrap();
    // Its next token request fails (and backs off): the revoked token is gone from Redis all
    // the same.
    assert!(first.get("/lucca-api/leaves").send().is_err());
    assert_eq!(fleet.load_token(&client).unwrap(), None);

    sandbox.clear_token_fault().unwrap();
    let third = build();
    assert_eq!(third.get("/lucca-api/leaves").send().unwrap().status(), 200);
    let fresh = third.token().unwrap().access_token().clone();
    assert_ne!(fresh, revoked);
    // The second client still holds the revoked token: its 401 leaves the new one stored.
    assert_eq!(
        second.get("/lucca-api/leaves").send().unwrap().status(),
        200
    );
    assert_eq!(second.token().unwrap().access_token(), &fresh);
    assert_eq!(sandbox.token_requests_served(), 2);
    assert_eq!(sandbox.api_unauthorized_served(), 2);
    let stored = fleet.load_token(&client).unwrap().unwrap();
    assert_eq!(stored.access_token, fresh);
    // Discarding by hand: only the token stored is dropped.
    assert!(!fleet.discard_token(&client, &revoked).unwrap());
    assert!(fleet.discard_token(&client, &fresh).unwrap());
    assert_eq!(fleet.load_token(&client).unwrap(), None);
    assert!(!fleet.discard_token(&client, &fresh).unwrap());
}
