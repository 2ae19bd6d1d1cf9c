//! The API over real HTTP: bearer tokens, Api-Version, scopes, pagination, counters.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{API_VERSION, api, api_get, api_with_body, demo_token};
use lucca_auth_sandbox::{ClientApp, RateLimit, Sandbox, SandboxConfig};
use serde_json::{Value, json};

fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config.with_rate_limit(RateLimit::unlimited())).expect("the sandbox starts")
}

fn ids(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_u64().expect("an id"))
        .collect()
}

fn unauthorized(description: &str) -> Value {
    json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        "title": "Unauthorized",
        "status": 401,
        "detail": description,
    })
}

fn assert_invalid_token(answer: &common::Answer, description: &str) {
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(
        answer.header("www-authenticate"),
        Some(
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\"").as_str()
        )
    );
    assert_eq!(answer.problem(), unauthorized(description));
}

#[test]
fn lists_with_the_default_page_size() {
    let sandbox = start(SandboxConfig::default());
    let token = demo_token(&sandbox, None);
    let answer = api_get(&sandbox, "/lucca-api/leaves", &token);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let body = answer.json();
    assert_eq!(ids(&body), (1..=10).collect::<Vec<u64>>());
    assert_eq!(body.get("links"), None, "links only with include=links");
    assert_eq!(
        body["items"][0],
        json!({"id": 1, "employeeId": 1, "date": "2025-03-01", "halfDay": "AM",
               "leaveAccountId": 2, "status": "approved"})
    );
    let requests = api_get(&sandbox, "/lucca-api/leave-requests?limit=100", &token).json();
    assert_eq!(ids(&requests), (1..=12).collect::<Vec<u64>>());
}

#[test]
fn pagination_with_links_returns_every_item_once() {
    let config = SandboxConfig::default().with_client(ClientApp::new(
        "all",
        "secret",
        [
            "leaves.readonly",
            "leave-requests.readonly",
            "employees.readonly",
        ],
    ));
    let sandbox = start(config);
    let token = {
        let body = "grant_type=client_credentials&client_id=all&client_secret=secret";
        let answer = common::post_token_form(&sandbox, &[], body);
        answer.json()["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    for (resource, total) in [("leaves", 25_u64), ("leave-requests", 12), ("employees", 8)] {
        for limit in [1_u64, 7, 10, 25, 100] {
            let first = format!("/lucca-api/{resource}?limit={limit}&include=links");
            let mut url = format!("{}{first}", sandbox.api_base());
            let mut seen = Vec::new();
            let mut pages = 0;
            loop {
                let path = url
                    .strip_prefix(sandbox.api_base())
                    .expect("next stays on the API origin");
                let answer = api_get(&sandbox, path, &token);
                assert_eq!(answer.status, 200, "{path}: {}", answer.body);
                let body = answer.json();
                pages += 1;
                let page = ids(&body);
                assert!(page.len() as u64 <= limit);
                seen.extend(page);
                match &body["links"]["next"] {
                    Value::Null => break,
                    next => {
                        let href = next["href"].as_str().expect("an href").to_owned();
                        let expected_prefix = format!(
                            "{}/lucca-api/{resource}?limit={limit}&include=links&page=",
                            sandbox.api_base()
                        );
                        assert!(href.starts_with(&expected_prefix), "{href}");
                        url = href;
                    }
                }
                assert!(pages <= total, "the pager does not end");
            }
            assert_eq!(
                seen,
                (1..=total).collect::<Vec<u64>>(),
                "{resource} limit {limit}"
            );
            assert_eq!(pages, total.div_ceil(limit), "{resource} limit {limit}");
        }
    }
}

#[test]
fn bad_pagination_parameters() {
    let sandbox = start(SandboxConfig::default());
    let token = demo_token(&sandbox, None);
    let cases: &[(&str, &str, &str)] = &[
        (
            "limit=0",
            "limit",
            "limit must be an integer between 1 and 100.",
        ),
        (
            "limit=101",
            "limit",
            "limit must be an integer between 1 and 100.",
        ),
        (
            "limit=-1",
            "limit",
            "limit must be an integer between 1 and 100.",
        ),
        ("page=garbage", "page", "The page cursor is invalid."),
        // A cursor of another resource.
        (
            "page=ZW1wbG95ZWVzOjU",
            "page",
            "The page cursor is invalid.",
        ),
    ];
    for (query, field, message) in cases {
        let answer = api_get(&sandbox, &format!("/lucca-api/leaves?{query}"), &token);
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(
            answer.problem(),
            json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "title": "Bad Request",
                "status": 400,
                "detail": "One or more validation errors occurred.",
                "errors": {*field: [message]},
            }),
            "{query}"
        );
    }
}

#[test]
fn api_version_is_required() {
    let sandbox = start(SandboxConfig::default());
    let token = demo_token(&sandbox, None);
    let cases: &[(Option<&str>, &str)] = &[
        (
            None,
            "The Api-Version header is required (for example 2024-11-01).",
        ),
        (
            Some("latest"),
            "The Api-Version header must be a date like 2024-11-01.",
        ),
    ];
    for (version, message) in cases {
        let answer = api(&sandbox, "GET", "/lucca-api/leaves", Some(&token), *version);
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.problem(),
            json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "title": "Bad Request",
                "status": 400,
                "detail": "One or more validation errors occurred.",
                "errors": {"Api-Version": [message]},
            })
        );
    }
}

#[test]
fn missing_malformed_and_unknown_tokens() {
    let sandbox = start(SandboxConfig::default());
    // No credentials: a challenge without an error code (RFC 6750 §3.1).
    let answer = api(
        &sandbox,
        "GET",
        "/lucca-api/leaves",
        None,
        Some(API_VERSION),
    );
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("www-authenticate"),
        Some("Bearer realm=\"lucca\"")
    );
    assert_eq!(
        answer.problem(),
        unauthorized("An access token is required.")
    );

    let basic = api_with_body(
        &sandbox,
        "GET",
        "/lucca-api/leaves",
        &[
            ("Authorization", "Basic YTpi"),
            ("Api-Version", API_VERSION),
        ],
        "",
    );
    assert_eq!(basic.status, 401);
    assert_eq!(
        basic.header("www-authenticate"),
        Some("Bearer realm=\"lucca\"")
    );

    assert_invalid_token(
        &api_get(&sandbox, "/lucca-api/leaves", "not-issued-here"),
        "The access token is unknown.",
    );
    assert_invalid_token(
        &api_get(&sandbox, "/lucca-api/leaves", "bad\"token"),
        "The access token is malformed.",
    );
    assert_eq!(sandbox.api_unauthorized_served(), 4);
}

#[test]
fn revoked_tokens() {
    let sandbox = start(SandboxConfig::default());
    let first = demo_token(&sandbox, None);
    let second = demo_token(&sandbox, None);
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &first).status, 200);

    assert!(sandbox.revoke_token(&first));
    assert!(!sandbox.revoke_token(&first), "already revoked");
    assert!(!sandbox.revoke_token("never-issued"));
    assert_invalid_token(
        &api_get(&sandbox, "/lucca-api/leaves", &first),
        "The access token was revoked.",
    );
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &second).status, 200);

    assert_eq!(sandbox.revoke_all_tokens(), 1);
    assert_invalid_token(
        &api_get(&sandbox, "/lucca-api/leaves", &second),
        "The access token was revoked.",
    );
    let third = demo_token(&sandbox, None);
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &third).status, 200);
    assert_eq!(sandbox.api_unauthorized_served(), 2);
}

#[test]
fn expired_tokens() {
    let sandbox = start(SandboxConfig::default().with_token_lifetime(Duration::from_secs(1)));
    let token = demo_token(&sandbox, None);
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &token).status, 200);
    std::thread::sleep(Duration::from_millis(1100));
    assert_invalid_token(
        &api_get(&sandbox, "/lucca-api/leaves", &token),
        "The access token expired.",
    );
    assert_eq!(sandbox.api_unauthorized_served(), 1);
}

#[test]
fn missing_scopes_are_named() {
    let sandbox = start(SandboxConfig::default());
    let read_only = demo_token(&sandbox, Some("leaves.readonly"));
    let read_write = demo_token(&sandbox, Some("leaves.readwrite"));
    let cases: &[(&str, &str, &str)] = &[
        // The demo application was never granted employees.readonly.
        (&read_write, "/lucca-api/employees", "employees.readonly"),
        (
            &read_only,
            "/lucca-api/leave-requests",
            "leave-requests.readonly",
        ),
    ];
    for (token, path, scope) in cases {
        let answer = api_get(&sandbox, path, token);
        assert_eq!(answer.status, 403, "{path}");
        assert_eq!(
            answer.header("www-authenticate"),
            Some(format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\"").as_str())
        );
        assert_eq!(
            answer.problem(),
            json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.4",
                "title": "Forbidden",
                "status": 403,
                "detail": format!("The access token lacks the scope {scope}."),
            })
        );
    }
    // leaves.readwrite reads leaves too; creating one needs it.
    assert_eq!(
        api_get(&sandbox, "/lucca-api/leaves", &read_write).status,
        200
    );
    let leave = r#"{"employeeId": 3, "date": "2025-06-02"}"#;
    let post = |token: &str| {
        api_with_body(
            &sandbox,
            "POST",
            "/lucca-api/leaves",
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Api-Version", API_VERSION),
                ("Content-Type", "application/json"),
            ],
            leave,
        )
    };
    let denied = post(&read_only);
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.header("www-authenticate"),
        Some("Bearer error=\"insufficient_scope\", scope=\"leaves.readwrite\"")
    );
    let created = post(&read_write);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.json(),
        json!({"id": 1001, "employeeId": 3, "date": "2025-06-02"})
    );
    assert_eq!(
        created.header("location"),
        Some(format!("{}/lucca-api/leaves/1001", sandbox.api_base()).as_str())
    );
    assert_eq!(sandbox.api_unauthorized_served(), 0, "403s are not 401s");
}

#[test]
fn post_bodies_and_methods() {
    let sandbox = start(SandboxConfig::default());
    let token = demo_token(&sandbox, None);
    let bearer = format!("Bearer {token}");
    let headers = |content_type: &'static str| {
        vec![
            ("Authorization", bearer.clone()),
            ("Api-Version", API_VERSION.to_owned()),
            ("Content-Type", content_type.to_owned()),
        ]
    };
    let send = |method: &str, path: &str, content_type: &'static str, body: &str| {
        let headers = headers(content_type);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        api_with_body(&sandbox, method, path, &headers, body)
    };
    let cases: &[(&str, &str, &str, &str, u16, &str)] = &[
        (
            "POST",
            "/lucca-api/leaves",
            "text/plain",
            "{}",
            415,
            "The body must be application/json.",
        ),
        (
            "POST",
            "/lucca-api/leaves",
            "application/json",
            "[1]",
            400,
            "One or more validation errors occurred.",
        ),
        (
            "PUT",
            "/lucca-api/leaves",
            "application/json",
            "{}",
            405,
            "PUT is not allowed on /lucca-api/leaves.",
        ),
        (
            "POST",
            "/lucca-api/employees",
            "application/json",
            "{}",
            405,
            "POST is not allowed on /lucca-api/employees.",
        ),
        (
            "GET",
            "/lucca-api/payslips",
            "application/json",
            "",
            404,
            "There is no resource at /lucca-api/payslips.",
        ),
        (
            "GET",
            "/elsewhere",
            "application/json",
            "",
            404,
            "The Lucca API lives under /lucca-api/.",
        ),
    ];
    for (method, path, content_type, body, status, detail) in cases {
        let answer = send(method, path, content_type, body);
        assert_eq!(answer.status, *status, "{method} {path}");
        assert_eq!(answer.problem()["detail"], json!(detail), "{method} {path}");
    }
    assert_eq!(
        send("PUT", "/lucca-api/leaves", "application/json", "{}").header("allow"),
        Some("GET, HEAD, POST")
    );
    assert_eq!(
        send("POST", "/lucca-api/employees", "application/json", "{}").header("allow"),
        Some("GET, HEAD")
    );
}

#[test]
fn requests_are_counted_per_path() {
    let sandbox = start(SandboxConfig::default());
    let token = demo_token(&sandbox, None);
    for _ in 0..3 {
        api_get(&sandbox, "/lucca-api/leaves?limit=2", &token);
    }
    api_get(&sandbox, "/lucca-api/employees", &token);
    api(&sandbox, "GET", "/lucca-api/leave-requests", None, None);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 3);
    assert_eq!(sandbox.api_requests("/lucca-api/nothing"), 0);
    let expected: BTreeMap<String, u64> = [
        ("/lucca-api/employees".to_owned(), 1),
        ("/lucca-api/leave-requests".to_owned(), 1),
        ("/lucca-api/leaves".to_owned(), 3),
    ]
    .into();
    assert_eq!(sandbox.api_requests_by_path(), expected);
    assert_eq!(sandbox.api_requests_received(), 5);
    assert_eq!(sandbox.api_unauthorized_served(), 1);
    assert_eq!(sandbox.token_requests_served(), 1);

    sandbox.reset_counters();
    assert_eq!(sandbox.api_requests_by_path(), BTreeMap::new());
    assert_eq!(sandbox.api_unauthorized_served(), 0);
    assert_eq!(sandbox.token_requests_served(), 0);
    assert_eq!(sandbox.token_requests_received(), 0);
    // Issued tokens survive a counter reset.
    assert_eq!(api_get(&sandbox, "/lucca-api/leaves", &token).status, 200);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 1);
}
