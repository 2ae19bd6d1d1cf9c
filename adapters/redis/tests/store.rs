//! The fleet's store in one process against a real `redis-server`: what lands in Redis
//! (nothing in clear), typed refusals of values copied to another key or read with another
//! secret, the lease, pacing shared with the async client and across `Retry-After`, and the
//! fallback when Redis goes away (logged once, recovered).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{
    Captured, RedisServer, assert_nowhere_in_redis, config_with_secret, demo_config, dump,
    token_client,
};
use lucca_auth::endpoint::TenantHost;
use lucca_auth::pacer::RateBudget;
use lucca_auth::scope::Scopes;
use lucca_auth::secret::AccessToken;
use lucca_auth_redis::{FleetToken, RedisFleet, SealError, StoreError};
use lucca_auth_sandbox::{DEMO_CLIENT_SECRET, RateLimit, Sandbox, SandboxConfig};
use lucca_auth_ureq::LuccaClient;

/// A fleet client with short timeouts and a budget the tests never exhaust.
fn fleet(server: &RedisServer) -> RedisFleet {
    RedisFleet::builder(server.url())
        .default_budget(RateBudget::new(10_000, Duration::from_secs(1)))
        .retry_interval(Duration::from_millis(200))
        .timeouts(Duration::from_millis(200), Duration::from_millis(500))
        .build()
        .unwrap()
}

#[test]
fn redis_holds_neither_secret_nor_token_and_refuses_moved_or_foreign_values() {
    let Some(server) = RedisServer::start("redis_holds_neither_secret_nor_token") else {
        return;
    };
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let fleet = fleet(&server);
    let config = demo_config(sandbox.token_url(), sandbox.api_base(), "leaves.readonly");
    let client = LuccaClient::builder(config.clone())
        .shared_store(fleet.clone())
        .shared_pacer(fleet.clone())
        .build();
    for _ in 0..3 {
        assert_eq!(
            client
                .get("/lucca-api/leaves?limit=1")
                .send()
                .unwrap()
                .status(),
            200
        );
    }
    let token = client.token().unwrap();
    let plaintext = token.access_token().secret().to_owned();

    // Every key and value, scanned: the token, the lease's absence, the pacing log.
    let keys = assert_nowhere_in_redis(
        &server.url(),
        &[
            DEMO_CLIENT_SECRET,
            "demo%2Bsandbox%2Fnot%3Da%26real%25secret",
            &plaintext,
            "demo-integration",
            "leaves.readonly",
        ],
    );
    let names: Vec<String> = dump(&server.url())
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    assert_eq!(keys, 2, "{names:?}");
    let own = token_client(&config);
    let token_keys = fleet.token_keys(&own);
    assert!(names.contains(&token_keys.token), "{names:?}");
    assert!(
        names.contains(&fleet.pace_keys(&config.tenant).log),
        "{names:?}"
    );

    let loaded = fleet.load_token(&own).unwrap().unwrap();
    assert_eq!(loaded.access_token.secret(), plaintext);
    assert_eq!(loaded.granted, *token.granted());

    // Copied under the key of another scope set: it does not open there.
    let other_scopes = demo_config(sandbox.token_url(), sandbox.api_base(), "leaves.readwrite");
    let other = token_client(&other_scopes);
    let redis = redis::Client::open(server.url()).unwrap();
    let mut connection = redis.get_connection().unwrap();
    let value: Vec<u8> = redis::cmd("GET")
        .arg(&token_keys.token)
        .query(&mut connection)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg(fleet.token_keys(&other).token)
        .arg(&value)
        .arg("PX")
        .arg(60_000)
        .query(&mut connection)
        .unwrap();
    assert_eq!(
        fleet.load_token(&other),
        Err(StoreError::Sealed(SealError::Undecryptable))
    );

    // Read with another secret (same id, endpoint and scopes: same key): refused too.
    let foreign = token_client(&config_with_secret(
        sandbox.token_url(),
        sandbox.api_base(),
        "leaves.readonly",
        "another-secret",
    ));
    assert_eq!(fleet.token_keys(&foreign), token_keys);
    assert_eq!(
        fleet.load_token(&foreign),
        Err(StoreError::Sealed(SealError::Undecryptable))
    );
    // The adapter hook treats that as "nothing shared" and the client works alone.
    let through_hook = <RedisFleet as lucca_auth_ureq::SharedTokenStore>::load(&fleet, &foreign);
    assert_eq!(through_hook, None);
    assert_eq!(sandbox.token_requests_served(), 1);
}

#[test]
fn lease_is_exclusive_expires_and_is_released_only_by_its_holder() {
    let Some(server) = RedisServer::start("lease_is_exclusive") else {
        return;
    };
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let fleet = RedisFleet::builder(server.url())
        .lease_ttl(Duration::from_millis(300))
        .build()
        .unwrap();
    let other_worker = RedisFleet::builder(server.url())
        .lease_ttl(Duration::from_millis(300))
        .build()
        .unwrap();
    let client = token_client(&demo_config(
        sandbox.token_url(),
        sandbox.api_base(),
        "leaves.readonly",
    ));

    let lease = fleet.try_lease(&client).unwrap().unwrap();
    assert_eq!(other_worker.try_lease(&client).unwrap(), None);
    assert_eq!(fleet.try_lease(&client).unwrap(), None);
    assert!(
        !other_worker
            .release_lease(&client, "not-the-holder")
            .unwrap()
    );
    assert_eq!(other_worker.try_lease(&client).unwrap(), None);
    assert!(fleet.release_lease(&client, &lease).unwrap());
    let second = other_worker.try_lease(&client).unwrap().unwrap();
    assert_ne!(second, lease);

    // Expiry: a holder that never releases delays the others by the lease's lifetime.
    let started = Instant::now();
    let taken = loop {
        if let Some(value) = fleet.try_lease(&client).unwrap() {
            break value;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let waited = started.elapsed();
    assert!(
        waited <= Duration::from_millis(1_000) + Duration::from_millis(100),
        "{waited:?}"
    );
    // The late release of the expired holder does not free the new holder's lease.
    assert!(!other_worker.release_lease(&client, &second).unwrap());
    assert_eq!(other_worker.try_lease(&client).unwrap(), None);

    // Publishing keeps the token that lives longer and releases the lease.
    let token = |value: &str, secs: u64| FleetToken {
        access_token: AccessToken::new(value),
        granted: Scopes::parse_space_separated("leaves.readonly").unwrap(),
        remaining: Duration::from_secs(secs),
    };
    assert!(
        fleet
            .publish_token(&client, &token("long", 60), &taken)
            .unwrap()
    );
    let third = other_worker.try_lease(&client).unwrap().unwrap();
    assert!(
        !other_worker
            .publish_token(&client, &token("short", 5), &third)
            .unwrap()
    );
    let loaded = fleet.load_token(&client).unwrap().unwrap();
    assert_eq!(loaded.access_token.secret(), "long");
    assert!(
        loaded.remaining > Duration::from_secs(59) && loaded.remaining <= Duration::from_secs(60)
    );
    assert!(fleet.try_lease(&client).unwrap().is_some());
}

#[test]
fn pacing_is_shared_with_the_async_client_and_across_retry_after() {
    let Some(server) = RedisServer::start("pacing_is_shared") else {
        return;
    };
    let tenant = TenantHost::parse("https://acme.ilucca.net").unwrap();
    let budget = RateBudget::new(3, Duration::from_secs(10));
    let blocking = RedisFleet::builder(server.url())
        .tenant_budget(&tenant, budget)
        .window_margin(Duration::ZERO)
        .build()
        .unwrap();
    let asynchronous = RedisFleet::builder(server.url())
        .tenant_budget(&tenant, budget)
        .window_margin(Duration::ZERO)
        .build_async()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    assert_eq!(blocking.poll_send(&tenant), Ok(()));
    runtime.block_on(async {
        assert_eq!(asynchronous.poll_send(&tenant).await, Ok(()));
        assert_eq!(asynchronous.poll_send(&tenant).await, Ok(()));
        let wait = asynchronous.poll_send(&tenant).await.unwrap_err();
        assert!(
            wait > Duration::from_millis(9_800) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
    });
    let wait = blocking.poll_send(&tenant).unwrap_err();
    assert!(wait > Duration::from_millis(9_800), "{wait:?}");
    // Another tenant has its own (default) budget.
    let other = TenantHost::parse("https://other.ilucca.net").unwrap();
    assert_eq!(blocking.poll_send(&other), Ok(()));

    // A Retry-After seen by one blocks the other.
    runtime.block_on(asynchronous.handle_retry_after(&other, Duration::from_secs(30)));
    let wait = blocking.poll_send(&other).unwrap_err();
    assert!(
        wait > Duration::from_secs(29) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );

    // Tokens published by one are loaded by the other.
    let client = token_client(&demo_config(
        "http://127.0.0.1:9/connect/token",
        "http://127.0.0.1:9",
        "a",
    ));
    runtime.block_on(async {
        let lease = asynchronous.try_lease(&client).await.unwrap().unwrap();
        let token = FleetToken {
            access_token: AccessToken::new("from-async"),
            granted: Scopes::parse_space_separated("a").unwrap(),
            remaining: Duration::from_secs(30),
        };
        assert!(
            asynchronous
                .publish_token(&client, &token, &lease)
                .await
                .unwrap()
        );
        assert_eq!(
            asynchronous
                .load_token(&client)
                .await
                .unwrap()
                .unwrap()
                .access_token
                .secret(),
            "from-async"
        );
    });
    assert_eq!(
        blocking
            .load_token(&client)
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "from-async"
    );
}

#[test]
fn redis_going_away_falls_back_logs_once_and_recovers() {
    let Some(mut server) = RedisServer::start("redis_going_away_falls_back") else {
        return;
    };
    let sandbox =
        Sandbox::start(SandboxConfig::default().with_rate_limit(RateLimit::unlimited())).unwrap();
    let fleet = fleet(&server);
    let config = demo_config(sandbox.token_url(), sandbox.api_base(), "leaves.readonly");
    let client = LuccaClient::builder(config.clone())
        .shared_store(fleet.clone())
        .shared_pacer(fleet.clone())
        .build();
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());

    assert_eq!(
        client
            .get("/lucca-api/leaves?limit=1")
            .send()
            .unwrap()
            .status(),
        200
    );
    assert!(fleet.is_reachable());
    server.stop();
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_millis(1_000) {
        assert_eq!(
            client
                .get("/lucca-api/leaves?limit=1")
                .send()
                .unwrap()
                .status(),
            200
        );
        // A new scope set needs a token: fetched alone, without Redis.
        calls += 1;
    }
    let alone = client.scoped(Scopes::parse_space_separated("leaves.readwrite").unwrap());
    assert_eq!(
        alone
            .get("/lucca-api/leaves?limit=1")
            .send()
            .unwrap()
            .status(),
        200
    );
    assert!(!fleet.is_reachable());
    assert!(calls > 10, "{calls}");

    server.restart();
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(
        client
            .get("/lucca-api/leaves?limit=1")
            .send()
            .unwrap()
            .status(),
        200
    );
    assert!(fleet.is_reachable());

    let log = captured.text();
    assert_eq!(log.matches("Redis is unreachable").count(), 1, "{log}");
    assert_eq!(log.matches("Redis is reachable again").count(), 1, "{log}");
    assert!(log.contains("WARN") && log.contains("INFO"), "{log}");
    assert!(
        !log.contains(DEMO_CLIENT_SECRET) && !log.contains(&server.url()),
        "{log}"
    );
}
