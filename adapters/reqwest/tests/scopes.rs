//! One token cache per scope set: two sets on one client are two entries, never mixed;
//! `{a b}` and `{b a}` are one.

mod common;

use std::time::Duration;

use lucca_auth::scope::Scopes;
use lucca_auth_reqwest::Error;

use common::{client, sandbox};

fn scopes(list: &str) -> Scopes {
    Scopes::parse_space_separated(list).expect("valid scopes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_scope_sets_are_two_cache_entries_and_order_does_not_matter() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let leaves = client(&sandbox, "leaves.readonly");
    let both = leaves.scoped(scopes("leaves.readonly leave-requests.readonly"));
    let both_reversed = leaves.scoped(scopes("leave-requests.readonly leaves.readonly"));
    assert!(both.shares_token_cache_with(&both_reversed));
    assert!(!both.shares_token_cache_with(&leaves));
    assert!(leaves.shares_token_cache_with(&leaves.clone()));
    assert!(leaves.shares_token_cache_with(&both.scoped(scopes("leaves.readonly"))));

    // Concurrently, from every handle: one token per set.
    let calls: Vec<_> = (0..30)
        .map(|index| {
            let handle = match index % 3 {
                0 => leaves.clone(),
                1 => both.clone(),
                _ => both_reversed.clone(),
            };
            tokio::spawn(async move { handle.get("/lucca-api/leaves?limit=1").send().await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.expect("task").expect("200").status(), 200);
    }
    assert_eq!(sandbox.token_requests_served(), 2);

    let leaves_token = leaves.token().await.expect("token");
    let both_token = both.token().await.expect("token");
    let reversed_token = both_reversed.token().await.expect("token");
    assert_eq!(both_token.access_token(), reversed_token.access_token());
    assert_ne!(leaves_token.access_token(), both_token.access_token());
    assert_eq!(leaves_token.granted(), &scopes("leaves.readonly"));
    assert_eq!(
        both_token.granted(),
        &scopes("leaves.readonly leave-requests.readonly")
    );
    assert_eq!(
        both_reversed.scopes(),
        &scopes("leave-requests.readonly leaves.readonly")
    );

    // Never mixed: the narrower token stays narrower.
    let refused = leaves
        .get("/lucca-api/leave-requests")
        .send()
        .await
        .expect_err("an error");
    assert_eq!(
        refused,
        Error::MissingScope {
            required: vec!["leave-requests.readonly".into()],
            description: None
        }
    );
    let allowed = both_reversed
        .get("/lucca-api/leave-requests")
        .send()
        .await
        .expect("200");
    assert_eq!(allowed.status(), 200);
    assert_eq!(sandbox.token_requests_served(), 2);

    // A refused token in one set leaves the other set's token alone.
    assert!(sandbox.revoke_token(both_token.access_token().secret()));
    both.get("/lucca-api/leaves")
        .send()
        .await
        .expect("resent with a fresh token");
    assert_eq!(sandbox.token_requests_served(), 3);
    assert_eq!(
        leaves.token().await.expect("token").access_token(),
        leaves_token.access_token()
    );
}
