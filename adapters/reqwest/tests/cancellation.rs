//! Cancellation safety of the single-flight refresh: the task sending the token request is
//! dropped mid-request while 100 others wait for it.

mod common;

use std::time::Duration;

use lucca_auth::config::ClientAuthMethod;
use lucca_auth_reqwest::LuccaClient;
use lucca_auth_sandbox::TokenFault;

use common::{Gate, config_with, eventually, sandbox};

/// The leader's token request hangs (the sandbox's `Hang` fault) and its task is aborted:
/// the request is abandoned without a backoff, one of the 100 waiting tasks takes over, and
/// every one of them gets its answer with exactly one more token request.
///
/// A gate in front of the token endpoint holds the takeover request until the hang is lifted
/// (lifting it closes the connections the sandbox holds), so that the test does not depend
/// on which comes first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dropped_leader_hands_the_refresh_to_a_waiter() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let gate = Gate::start(sandbox.token_addr()).await;
    let token_url = format!("http://{}/connect/token", gate.addr);
    let config = config_with(
        &token_url,
        sandbox.api_base(),
        "leaves.readonly",
        ClientAuthMethod::RequestBody,
    );
    let client = LuccaClient::new(config).expect("client");
    sandbox.set_token_fault(TokenFault::Hang).expect("hang");

    let leader = {
        let client = client.clone();
        tokio::spawn(async move { client.get("/lucca-api/leaves?limit=1").send().await })
    };
    eventually(Duration::from_secs(5), "the leader's token request", || {
        sandbox.token_requests_received() == 1
    })
    .await;
    let waiters: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get("/lucca-api/leaves?limit=1").send().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(waiters.iter().all(|waiter| !waiter.is_finished()));
    assert_eq!(sandbox.token_requests_received(), 1);

    gate.pause();
    leader.abort();
    assert!(leader.await.expect_err("aborted").is_cancelled());
    eventually(Duration::from_secs(5), "the takeover token request", || {
        gate.held() == 1
    })
    .await;
    sandbox.clear_token_fault().expect("hang lifted");
    gate.resume();

    for waiter in waiters {
        let response = tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("no waiter is left waiting")
            .expect("task")
            .expect("a response");
        assert_eq!(response.status(), 200);
    }
    assert_eq!(sandbox.token_requests_received(), 2);
    assert_eq!(sandbox.token_requests_served(), 1);
    assert_eq!(gate.forwarded(), 2);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 100);
    assert_eq!(sandbox.api_unauthorized_served(), 0);
}

/// Dropping half of the tasks waiting on a hung token request, maybe the one sending it,
/// never leaves the others waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_waiters_do_not_disturb_the_others() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = common::client(&sandbox, "leaves.readonly");
    sandbox.set_token_fault(TokenFault::Hang).expect("hang");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.token().await })
        })
        .collect();
    eventually(Duration::from_secs(5), "the token request", || {
        sandbox.token_requests_received() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Cancel every other one of them. The one sending the request may be among the
    // cancelled: then another takes over (a second token request, after the hang is lifted).
    let mut kept = Vec::new();
    for (index, task) in tasks.into_iter().enumerate() {
        if index % 2 == 0 {
            task.abort();
        } else {
            kept.push(task);
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    sandbox.clear_token_fault().expect("hang lifted");
    let mut generations = Vec::new();
    for task in kept {
        let outcome = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("no task is left waiting")
            .expect("task");
        match outcome {
            Ok(token) => generations.push(token.generation()),
            // The hung request's connection was closed without an answer: a transport error
            // for the callers waiting on it. None of them is left waiting.
            Err(error) => assert!(error.is_retryable(), "{error:?}"),
        }
    }
    assert!(sandbox.token_requests_received() <= 2);
    generations.dedup();
    assert!(generations.len() <= 1, "{generations:?}");
}
