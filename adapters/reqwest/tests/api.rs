//! API calls against the sandbox: success, the one retry after a 401, typed 403 and 429, the
//! opt-in retry policy, requests refused before sending, and the pager.

mod common;

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use lucca_auth::pagination::PageError;
use lucca_auth_reqwest::{Error, LuccaClient, RequestError, RetryPolicy};
use lucca_auth_sandbox::{RateLimit, Sandbox, SandboxConfig};
use serde::Deserialize;
use serde_json::Value;

use common::{client, sandbox};

#[derive(Debug, Deserialize)]
struct Leaves {
    items: Vec<Value>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_with_a_cached_token_and_typed_json() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readonly");
    for _ in 0..5 {
        let response = client
            .get("/lucca-api/leaves?limit=3")
            .send()
            .await
            .expect("200");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let leaves: Leaves = response.json().expect("a list page");
        assert_eq!(leaves.items.len(), 3);
    }
    let with_query = client
        .get("/lucca-api/leaves")
        .query("limit", "2")
        .send()
        .await
        .expect("200");
    assert_eq!(with_query.json::<Leaves>().expect("a page").items.len(), 2);
    assert_eq!(sandbox.token_requests_served(), 1);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 6);
    assert_eq!(sandbox.api_unauthorized_served(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_replaced_once_and_the_request_resent() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readwrite");
    let first = client.token().await.expect("a token");
    assert!(sandbox.revoke_token(first.access_token().secret()));

    let created = client
        .post("/lucca-api/leaves")
        .json(&serde_json::json!({"type": "holiday"}))
        .send()
        .await
        .expect("resent with a fresh token");
    assert_eq!(created.status(), 201);
    assert_eq!(created.json::<Value>().expect("json")["type"], "holiday");
    assert_eq!(sandbox.api_unauthorized_served(), 1);
    assert_eq!(sandbox.token_requests_served(), 2);
    let second = client.token().await.expect("a token");
    assert_eq!(second.generation().get(), first.generation().get() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_is_not_resent_after_a_401() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readwrite");
    let first = client.token().await.expect("a token");
    assert!(sandbox.revoke_token(first.access_token().secret()));

    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(b"{\"type\":".to_vec()), Ok(b"\"holiday\"}".to_vec())];
    let stream = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let refused = client
        .post("/lucca-api/leaves")
        .body_stream(stream, "application/json")
        .send()
        .await;
    assert_eq!(
        refused.expect_err("an error"),
        Error::UnauthorizedNotReplayable
    );
    // The refused token was dropped: the next call fetches a fresh one and succeeds.
    let created = client
        .post("/lucca-api/leaves")
        .body(b"{\"type\":\"holiday\"}".to_vec(), "application/json")
        .send()
        .await
        .expect("a fresh token");
    assert_eq!(created.status(), 201);
    assert_eq!(sandbox.api_unauthorized_served(), 1);
    assert_eq!(sandbox.token_requests_served(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_is_a_typed_missing_scope_without_refresh() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readonly");
    let refused = client
        .get("/lucca-api/employees")
        .send()
        .await
        .expect_err("an error");
    assert_eq!(
        refused,
        Error::MissingScope {
            required: vec!["employees.readonly".into()],
            description: None
        }
    );
    assert_eq!(refused.status(), Some(403));
    assert!(!refused.is_retryable());
    assert_eq!(sandbox.token_requests_served(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_statuses_are_typed() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readonly");
    let missing = client
        .get("/lucca-api/nothing-here")
        .send()
        .await
        .expect_err("an error");
    let Error::Api {
        status: 404,
        problem: Some(problem),
    } = &missing
    else {
        panic!("expected a 404 with a problem, got {missing:?}");
    };
    assert_eq!(problem.status, Some(404));
    assert_eq!(missing.status(), Some(404));

    let not_allowed = client
        .delete("/lucca-api/leaves")
        .send()
        .await
        .expect_err("an error");
    assert!(
        matches!(not_allowed, Error::Api { status: 405, .. }),
        "{not_allowed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_is_typed_with_the_wait_and_retried_only_when_asked() {
    let sandbox = Sandbox::start(
        SandboxConfig::default().with_rate_limit(RateLimit::new(2, Duration::from_secs(1))),
    )
    .expect("sandbox");
    let plain = client(&sandbox, "leaves.readonly");
    plain.get("/lucca-api/leaves").send().await.expect("1st");
    plain.get("/lucca-api/leaves").send().await.expect("2nd");
    let limited = plain
        .get("/lucca-api/leaves")
        .send()
        .await
        .expect_err("an error");
    assert_eq!(
        limited,
        Error::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    assert!(limited.is_retryable());

    let patient = common::builder(&sandbox, "leaves.readonly")
        .retry_policy(RetryPolicy::new().with_initial_backoff(Duration::from_millis(100)))
        .build()
        .expect("client");
    let started = std::time::Instant::now();
    let response = patient
        .get("/lucca-api/leaves")
        .send()
        .await
        .expect("after waiting");
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert!(sandbox.api_rate_limited_served() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_never_resent_by_the_retry_policy() {
    let sandbox = Sandbox::start(
        SandboxConfig::default().with_rate_limit(RateLimit::new(1, Duration::from_secs(60))),
    )
    .expect("sandbox");
    let patient = common::builder(&sandbox, "leaves.readwrite")
        .retry_policy(RetryPolicy::new())
        .build()
        .expect("client");
    patient.get("/lucca-api/leaves").send().await.expect("1st");
    let post = patient
        .post("/lucca-api/leaves")
        .json(&serde_json::json!({"type": "holiday"}))
        .send()
        .await;
    assert!(
        matches!(
            post,
            Err(Error::RateLimited {
                retry_after: Some(_)
            })
        ),
        "{post:?}"
    );
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_refused_before_sending() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readonly");
    let cases: Vec<(lucca_auth_reqwest::RequestBuilder, Error)> = vec![
        (
            client.get("https://evil.example/lucca-api/leaves"),
            Error::InvalidRequest(RequestError::Path(
                lucca_auth::endpoint::EndpointError::NotHostAbsolute,
            )),
        ),
        (
            client.get("//evil.example/x"),
            Error::InvalidRequest(RequestError::Path(
                lucca_auth::endpoint::EndpointError::NotHostAbsolute,
            )),
        ),
        (
            client
                .get("/lucca-api/leaves")
                .header("authorization", "Bearer x"),
            Error::InvalidRequest(RequestError::AuthorizationHeader),
        ),
        (
            client
                .get("/lucca-api/leaves")
                .header("Host", "evil.example"),
            Error::InvalidRequest(RequestError::ReservedHeader {
                name: "host".into(),
            }),
        ),
        (
            client.get("/lucca-api/leaves").header("x-a", "b\r\nc"),
            Error::InvalidRequest(RequestError::InvalidHeaderValue { name: "x-a".into() }),
        ),
        (
            client.get("/lucca-api/leaves").header("a b", "c"),
            Error::InvalidRequest(RequestError::InvalidHeaderName),
        ),
        (
            client
                .post("/lucca-api/leaves")
                .body(Vec::new(), "text/plain\n"),
            Error::InvalidRequest(RequestError::InvalidContentType),
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(request.send().await.expect_err("an error"), expected);
    }
    assert_eq!(sandbox.api_requests_received(), 0);
    assert_eq!(sandbox.token_requests_received(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_too_large() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = common::builder(&sandbox, "leaves.readonly")
        .max_response_body(100)
        .build()
        .expect("client");
    assert_eq!(
        client
            .get("/lucca-api/leaves?limit=50")
            .send()
            .await
            .expect_err("an error"),
        Error::ResponseTooLarge { limit: 100 }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pager_streams_every_item_of_every_page() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readonly leave-requests.readonly");
    let leaves: Vec<Value> = client
        .pages("/lucca-api/leaves?limit=10")
        .try_collect()
        .await
        .expect("every page");
    assert_eq!(leaves.len(), 25);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 3);

    let mut pager = client.pages("/lucca-api/leave-requests?limit=5");
    let mut ids = Vec::new();
    while let Some(item) = pager.next().await {
        ids.push(item.expect("an item")["id"].clone());
    }
    assert_eq!(ids.len(), 12);
    assert_eq!(pager.pages_read(), 3);
    assert!(pager.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pager_never_follows_a_next_link_to_another_origin() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let elsewhere = common::Recorder::start().await;
    let tenant = common::Recorder::start_with(format!(
        r#"{{"items":[{{"id":1}},{{"id":2}}],"links":{{"next":{{"href":"http://{}/lucca-api/leaves?page=2"}}}}}}"#,
        elsewhere.addr
    ))
    .await;
    let config = common::config_with(
        sandbox.token_url(),
        &format!("http://{}", tenant.addr),
        "leaves.readonly",
        lucca_auth::config::ClientAuthMethod::RequestBody,
    );
    let client = LuccaClient::new(config).expect("client");
    let items: Vec<Result<Value, Error>> = client.pages("/lucca-api/leaves").collect().await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].as_ref().expect("item")["id"], 1);
    assert_eq!(items[1].as_ref().expect("item")["id"], 2);
    assert_eq!(items[2], Err(Error::Pagination(PageError::ForeignNext)));
    assert!(elsewhere.heads().is_empty());
    let heads = tenant.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with("GET /lucca-api/leaves?include=links HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
}

#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let sandbox = sandbox(Duration::from_secs(1800));
    let client = client(&sandbox, "leaves.readonly");
    assert_send(&client.get("/lucca-api/leaves").send());
    assert_send(&client.token());
    assert_send(&client.pages("/lucca-api/leaves"));
    fn assert_sync<T: Send + Sync + Clone>(_: &T) {}
    assert_sync(&client);
}

/// A caller-built `reqwest::Client` (here with a default header) carries the API requests,
/// with the adapter's `Authorization` added, and the per-request timeout set by
/// `timeouts(…)` does not get in the way.
#[tokio::test]
async fn a_caller_built_http_client_carries_the_api_requests() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let api = common::Recorder::start_with(String::from(r#"{"items":[]}"#)).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-caller-client",
        reqwest::header::HeaderValue::from_static("yes"),
    );
    let http = lucca_auth_reqwest::http_client_builder()
        .expect("the TLS setup")
        .default_headers(headers)
        .build()
        .expect("the caller's client");
    let client = LuccaClient::builder(common::config_with(
        sandbox.token_url(),
        &format!("http://{}", api.addr),
        "leaves.readonly",
        lucca_auth::config::ClientAuthMethod::RequestBody,
    ))
    .http_client(http)
    .timeouts(Duration::from_secs(5), Duration::from_secs(5))
    .build()
    .expect("the client builds");
    let response = client
        .get("/lucca-api/leaves")
        .send()
        .await
        .expect("the API call");
    assert_eq!(response.status(), 200);
    assert_eq!(sandbox.token_requests_served(), 1);
    let heads = api.heads();
    assert_eq!(heads.len(), 1);
    let head = heads[0].to_ascii_lowercase();
    assert!(head.contains("\r\nx-caller-client: yes\r\n"), "{head}");
    assert!(head.contains("\r\nauthorization: bearer "), "{head}");
}

/// `/a` → `/b` → `/a`: links that go round in a cycle end the stream with
/// `PageError::NextRepeats` after two pages, instead of fetching forever.
#[tokio::test]
async fn next_links_in_a_cycle_end_the_pager() {
    let sandbox = sandbox(Duration::from_secs(1800));
    let api = common::Recorder::start_routed(|head| {
        let body = if head.starts_with("GET /lucca-api/a") {
            r#"{"items":[{"id":1}],"links":{"next":"/lucca-api/b"}}"#
        } else {
            r#"{"items":[{"id":2}],"links":{"next":"/lucca-api/a?include=links"}}"#
        };
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let config = common::config_with(
        sandbox.token_url(),
        &format!("http://{}", api.addr),
        "leaves.readonly",
        lucca_auth::config::ClientAuthMethod::RequestBody,
    );
    let client = LuccaClient::new(config).expect("client");
    let mut pager = client.pages("/lucca-api/a");
    let mut items = Vec::new();
    while let Some(item) = pager.next().await {
        items.push(item.map(|value| value["id"].clone()));
    }
    assert_eq!(
        items,
        [
            Ok(Value::from(1)),
            Ok(Value::from(2)),
            Err(Error::Pagination(PageError::NextRepeats))
        ]
    );
    assert_eq!(pager.pages_read(), 2);
    let lines: Vec<String> = api
        .heads()
        .iter()
        .map(|head| head.lines().next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        lines,
        [
            "GET /lucca-api/a?include=links HTTP/1.1",
            "GET /lucca-api/b HTTP/1.1"
        ]
    );
}
