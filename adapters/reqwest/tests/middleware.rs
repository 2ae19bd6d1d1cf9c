//! The `reqwest_middleware` integration: the token goes to the tenant origin and nowhere
//! else.

mod common;

use std::time::Duration;

use common::{Recorder, client, sandbox};

fn chain(client: &lucca_auth_reqwest::LuccaClient) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(client.http_client().clone())
        .with(client.middleware())
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_goes_to_the_tenant_only() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readonly");
    let http = chain(&client);

    let response = http
        .get(format!("{}/lucca-api/leaves?limit=2", sandbox.api_base()))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(sandbox.token_requests_served(), 1);

    // Another host (another port on the same address), and the same port under another
    // host name: untouched, byte for byte what the caller built.
    let elsewhere = Recorder::start().await;
    let other = http
        .get(format!("http://{}/lucca-api/leaves", elsewhere.addr))
        .header("x-caller", "kept")
        .send()
        .await
        .expect("sent");
    assert_eq!(other.status(), 200);
    let heads = elsewhere.heads();
    assert_eq!(heads.len(), 1);
    let head = heads[0].to_ascii_lowercase();
    assert!(
        head.starts_with("get /lucca-api/leaves http/1.1\r\n"),
        "{head}"
    );
    assert!(!head.contains("authorization"), "{head}");
    assert!(!head.contains("api-version"), "{head}");
    assert!(head.contains("x-caller: kept"), "{head}");
    let token = client.token().await.expect("token");
    assert!(!heads[0].contains(token.access_token().secret()));

    let by_name = http
        .get(format!(
            "http://localhost:{}/lucca-api/leaves",
            sandbox.api_addr().port()
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(by_name.status(), 401, "no token for another origin");
    assert_eq!(sandbox.api_unauthorized_served(), 1);
    assert_eq!(sandbox.token_requests_served(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_replaced_and_the_request_resent_once() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readonly");
    let http = chain(&client);
    let first = client.token().await.expect("token");
    assert!(sandbox.revoke_token(first.access_token().secret()));

    let response = http
        .get(format!("{}/lucca-api/leaves", sandbox.api_base()))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(sandbox.api_unauthorized_served(), 1);
    assert_eq!(sandbox.token_requests_served(), 2);
    // The client and the middleware share the cache: the client uses the new token too.
    assert_eq!(client.token().await.expect("token").generation().get(), 2);

    // A missing scope is the API's answer, passed through as is.
    let forbidden = http
        .get(format!("{}/lucca-api/employees", sandbox.api_base()))
        .send()
        .await
        .expect("sent");
    assert_eq!(forbidden.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_is_a_middleware_error() {
    let sandbox = sandbox(Duration::from_secs(1800));
    sandbox
        .set_token_fault(lucca_auth_sandbox::TokenFault::RefuseConnections)
        .expect("fault");
    let client = client(&sandbox, "leaves.readonly");
    let error = chain(&client)
        .get(format!("{}/lucca-api/leaves", sandbox.api_base()))
        .send()
        .await
        .expect_err("an error");
    let reqwest_middleware::Error::Middleware(inner) = &error else {
        panic!("expected a middleware error, got {error:?}");
    };
    let lucca = inner
        .downcast_ref::<lucca_auth_reqwest::Error>()
        .expect("the crate's error");
    assert!(
        matches!(lucca, lucca_auth_reqwest::Error::Token(_)),
        "{lucca:?}"
    );
    assert_eq!(sandbox.api_requests_received(), 0);
}
