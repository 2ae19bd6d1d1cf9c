//! Tokens and API calls over real HTTP on loopback: against the sandbox, and against a
//! scripted server for exact bytes (shared cases B05, B08, B17), 5xx, 3xx and dropped
//! connections.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{
    Recorded, ScriptedServer, config_for, demo_config, json, response, scripted_config,
    token_answer,
};
use lucca_auth::config::ClientAuthMethod;
use lucca_auth::scope::Scopes;
use lucca_auth::token_response::{OAuthErrorCode, TokenError, TransportErrorKind};
use lucca_auth_sandbox::{ClientApp, RateLimit, Sandbox, SandboxConfig};
use lucca_auth_ureq::{Error, LuccaClient, RequestError, RetryPolicy};
use serde_json::Value;

const B05: &[u8] = include_bytes!("data/B05.http");
const B08: &[u8] = include_bytes!("data/B08.http");
const B17: &[u8] = include_bytes!("data/B17.http");

fn ids(value: &Value) -> Vec<u64> {
    value["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn token_then_api_call_with_one_token_request() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = LuccaClient::new(demo_config(&sandbox, "leaves.readonly"));

    let token = client.token().unwrap();
    assert_eq!(token.generation().get(), 1);
    assert_eq!(token.granted().to_space_separated(), "leaves.readonly");
    assert!(token.not_granted().is_empty());
    assert_eq!(token.expires_in(), Some(Duration::from_secs(1800)));
    assert!(!token.token_type_missing());
    // Usable until sent + 1800 s − 60 s (the margin), counted from before the request.
    let left = token.usable_until() - Instant::now();
    assert!(
        left <= Duration::from_secs(1740) && left > Duration::from_secs(1735),
        "{left:?}"
    );

    let response = client
        .get("/lucca-api/leaves")
        .query("limit", "3")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let body: Value = response.json().unwrap();
    assert_eq!(ids(&body), [1, 2, 3]);
    assert!(response.text().unwrap().starts_with("{\"items\":"));

    // An invalid cursor: a typed 400 with the sandbox's problem details.
    let error = client
        .get("/lucca-api/leaves?limit=2")
        .query("page", "bogus")
        .send()
        .unwrap_err();
    let Error::Api {
        status: 400,
        problem: Some(problem),
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        problem.errors_for("page"),
        Some(&["The page cursor is invalid.".to_owned()][..])
    );
    assert_eq!(
        error.to_string(),
        "the API refused the request (HTTP 400): Bad Request — One or more validation errors \
         occurred."
    );
    assert_eq!(sandbox.token_requests_served(), 1);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 2);
    assert_eq!(client.token().unwrap().generation().get(), 1);
}

#[test]
fn post_with_a_json_body() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = LuccaClient::new(demo_config(&sandbox, "leaves.readwrite"));
    let created: Value = client
        .post("/lucca-api/leaves")
        .json(&serde_json::json!({"date": "2025-05-01", "halfDay": "AM"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(created["date"], "2025-05-01");
    assert!(created["id"].as_u64().is_some());

    let unsupported = client
        .post("/lucca-api/leaves")
        .body(
            b"date=2025-05-01".to_vec(),
            "application/x-www-form-urlencoded",
        )
        .send()
        .unwrap_err();
    let Error::Api { status, problem } = unsupported else {
        panic!("{unsupported:?}");
    };
    assert_eq!(status, 415);
    assert_eq!(
        problem.and_then(|p| p.detail),
        Some("The body must be application/json.".to_owned())
    );
}

/// Shared case B05: `token_type` "bearer" in lower case; the API request carries
/// `Authorization: Bearer AT-demo-0005` exactly, with the client's other headers.
#[test]
fn b05_authorization_header_is_bearer_with_the_token() {
    let server = ScriptedServer::start(|request: &Recorded, _| match request.path() {
        "/connect/token" => B05.to_vec(),
        _ => json(r#"{"items":[]}"#),
    });
    let client = LuccaClient::new(scripted_config(&server, "leaves.readonly"));
    client.get("/lucca-api/leaves?limit=1").send().unwrap();

    let token_requests = server.requests_to("/connect/token");
    assert_eq!(token_requests.len(), 1);
    let token_request = &token_requests[0];
    assert_eq!(token_request.method, "POST");
    assert_eq!(
        token_request.header_values("content-type"),
        ["application/x-www-form-urlencoded"]
    );
    assert_eq!(token_request.header_values("accept"), ["application/json"]);
    assert_eq!(token_request.header_values("accept-encoding"), ["identity"]);
    assert_eq!(
        token_request.header_values("authorization"),
        Vec::<&str>::new()
    );
    assert_eq!(
        String::from_utf8(token_request.body.clone()).unwrap(),
        "grant_type=client_credentials&client_id=scripted&client_secret=scripted-secret\
         &scope=leaves.readonly"
    );

    let api = server.requests_to("/lucca-api/leaves");
    assert_eq!(api.len(), 1);
    assert_eq!(api[0].method, "GET");
    assert_eq!(api[0].target, "/lucca-api/leaves?limit=1");
    assert_eq!(
        api[0].header_values("authorization"),
        ["Bearer AT-demo-0005"]
    );
    assert_eq!(api[0].header_values("api-version"), ["2024-11-01"]);
    assert_eq!(api[0].header_values("accept"), ["application/json"]);
    assert_eq!(api[0].header_values("accept-encoding"), ["identity"]);
    assert_eq!(
        api[0].header_values("user-agent"),
        [lucca_auth::config::UserAgent::DEFAULT]
    );
    assert_eq!(api[0].header_values("content-length"), Vec::<&str>::new());
}

/// Shared case B08: fewer scopes granted than requested.
#[test]
fn b08_not_granted_scopes() {
    let server = ScriptedServer::start(|_, _| B08.to_vec());
    let client = LuccaClient::new(scripted_config(
        &server,
        "leaves.readwrite leave-requests.readonly",
    ));
    let token = client.token().unwrap();
    assert_eq!(token.access_token().secret(), "AT-demo-0008");
    assert_eq!(token.granted().to_space_separated(), "leaves.readwrite");
    assert_eq!(
        token.requested().to_space_separated(),
        "leaves.readwrite leave-requests.readonly"
    );
    assert_eq!(
        token.not_granted().to_space_separated(),
        "leave-requests.readonly"
    );
    assert_eq!(token.expires_in(), Some(Duration::from_secs(1800)));
}

/// Shared case B17: a 403 names the scope; no token refresh, the cached token is kept.
#[test]
fn b17_forbidden_names_the_scope_without_refresh() {
    let server = ScriptedServer::start(|request: &Recorded, _| match request.path() {
        "/connect/token" => token_answer("AT-17", 1800),
        _ => B17.to_vec(),
    });
    let client = LuccaClient::new(scripted_config(&server, "leaves.readonly"));
    for _ in 0..2 {
        let error = client.post("/lucca-api/leaves").send().unwrap_err();
        assert_eq!(
            error,
            Error::MissingScope {
                required: vec!["leaves.readwrite".to_owned()],
                description: None
            }
        );
        // status=403 retryable=false
        assert_eq!(error.status(), Some(403));
        assert!(!error.is_retryable());
    }
    // token_refresh=false cached_token_kept=true: one token request, and both calls sent
    // the same token.
    assert_eq!(server.requests_to("/connect/token").len(), 1);
    let sent: Vec<Vec<String>> = server
        .requests_to("/lucca-api/leaves")
        .iter()
        .map(|request| {
            request
                .header_values("authorization")
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    assert_eq!(sent, vec![vec!["Bearer AT-17".to_owned()]; 2]);
    assert_eq!(server.requests_to("/lucca-api/leaves").len(), 2);
}

#[test]
fn forbidden_from_the_sandbox_names_the_scope_without_refresh() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = LuccaClient::new(demo_config(&sandbox, "leaves.readonly"));
    let error = client.get("/lucca-api/employees").send().unwrap_err();
    assert_eq!(
        error,
        Error::MissingScope {
            required: vec!["employees.readonly".to_owned()],
            description: None
        }
    );
    assert_eq!(error.status(), Some(403));
    assert!(!error.is_retryable());
    assert_eq!(
        error.to_string(),
        "the access token lacks a scope for this request (HTTP 403); required: employees.readonly"
    );
    let error = client
        .post("/lucca-api/leaves")
        .json(&serde_json::json!({}))
        .send()
        .unwrap_err();
    assert_eq!(
        error,
        Error::MissingScope {
            required: vec!["leaves.readwrite".to_owned()],
            description: None
        }
    );
    assert_eq!(sandbox.token_requests_served(), 1);
    assert_eq!(sandbox.api_unauthorized_served(), 0);
}

#[test]
fn revoked_token_gets_exactly_one_new_token_and_succeeds() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = LuccaClient::new(demo_config(&sandbox, "leaves.readonly"));
    let first = client.token().unwrap();
    client.get("/lucca-api/leaves?limit=1").send().unwrap();
    assert!(sandbox.revoke_token(first.access_token().secret()));

    let response = client.get("/lucca-api/leaves?limit=1").send().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(sandbox.token_requests_served(), 2);
    assert_eq!(sandbox.api_unauthorized_served(), 1);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 3);
    let second = client.token().unwrap();
    assert_eq!(second.generation().get(), 2);
    assert_ne!(second.access_token(), first.access_token());
}

#[test]
fn a_second_401_with_a_fresh_token_is_unauthorized() {
    let server = ScriptedServer::start(|request: &Recorded, earlier| match request.path() {
        "/connect/token" => token_answer(&format!("AT-{earlier}"), 1800),
        _ => response(
            401,
            &[(
                "WWW-Authenticate",
                r#"Bearer error="invalid_token", error_description="nope""#,
            )],
            "",
        ),
    });
    let client = LuccaClient::new(scripted_config(&server, "leaves.readonly"));
    assert_eq!(
        client.get("/lucca-api/leaves").send().unwrap_err(),
        Error::Unauthorized
    );
    let api = server.requests_to("/lucca-api/leaves");
    assert_eq!(api.len(), 2);
    assert_eq!(api[0].header_values("authorization"), ["Bearer AT-0"]);
    assert_eq!(api[1].header_values("authorization"), ["Bearer AT-1"]);
    assert_eq!(server.requests_to("/connect/token").len(), 2);
}

#[test]
fn rate_limited_api_call_is_typed_with_retry_after() {
    let sandbox = Sandbox::start(
        SandboxConfig::default().with_rate_limit(RateLimit::new(2, Duration::from_secs(60))),
    )
    .unwrap();
    let client = LuccaClient::new(demo_config(&sandbox, "leaves.readonly"));
    client.get("/lucca-api/leaves?limit=1").send().unwrap();
    client.get("/lucca-api/leaves?limit=1").send().unwrap();
    let error = client.get("/lucca-api/leaves?limit=1").send().unwrap_err();
    assert_eq!(
        error,
        Error::RateLimited {
            retry_after: Some(Duration::from_secs(60))
        }
    );
    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(60)));
    assert_eq!(sandbox.api_rate_limited_served(), 1);
}

#[test]
fn retry_policy_waits_out_a_429_for_idempotent_requests_only() {
    let sandbox = Sandbox::start(
        SandboxConfig::default().with_rate_limit(RateLimit::new(2, Duration::from_secs(1))),
    )
    .unwrap();
    let policy = RetryPolicy::new()
        .with_max_retries(2)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_total_wait(Duration::from_secs(5));
    let client = LuccaClient::builder(demo_config(&sandbox, "leaves.readwrite"))
        .retry_policy(policy)
        .build();
    let started = Instant::now();
    for _ in 0..3 {
        client.get("/lucca-api/leaves?limit=1").send().unwrap();
    }
    // The third call got a 429 with `Retry-After: 1` and waited at least that long.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(sandbox.api_rate_limited_served(), 1);
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 4);

    // The window is full again: a POST is not resent.
    client.get("/lucca-api/leaves?limit=1").send().unwrap();
    let error = client
        .post("/lucca-api/leaves")
        .json(&serde_json::json!({"date": "2025-05-01"}))
        .send()
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::RateLimited {
                retry_after: Some(_)
            }
        ),
        "{error:?}"
    );
    assert_eq!(sandbox.api_rate_limited_served(), 2);
}

#[test]
fn retry_policy_resends_after_503_and_a_dropped_connection() {
    let server = ScriptedServer::start(|request: &Recorded, earlier| match request.path() {
        "/connect/token" => token_answer("AT-1", 1800),
        "/lucca-api/unwell" if earlier == 0 => response(
            503,
            &[("Retry-After", "1"), ("Content-Type", "text/html")],
            "<h1>down</h1>",
        ),
        "/lucca-api/dropping" if earlier == 0 => Vec::new(),
        "/lucca-api/always-dropping" => Vec::new(),
        _ => json(r#"{"ok":true}"#),
    });
    let plain = LuccaClient::new(scripted_config(&server, ""));
    let error = plain.get("/lucca-api/unwell").send().unwrap_err();
    assert_eq!(
        error,
        Error::Transient {
            status: 503,
            retry_after: Some(Duration::from_secs(1))
        }
    );
    // A connection closed without an answer (as a kept-alive one the server closed at that
    // moment is): an idempotent request is sent once more on a new connection, even without
    // a retry policy; a POST is not.
    assert_eq!(
        plain.get("/lucca-api/dropping").send().unwrap().status(),
        200
    );
    assert_eq!(server.requests_to("/lucca-api/dropping").len(), 2);
    for (method, sent) in [(ureq::http::Method::GET, 2), (ureq::http::Method::POST, 1)] {
        let before = server.requests_to("/lucca-api/always-dropping").len();
        let request = match method {
            ureq::http::Method::GET => plain.get("/lucca-api/always-dropping"),
            _ => plain.post("/lucca-api/always-dropping"),
        };
        let error = request.send().unwrap_err();
        let Error::Transport(transport) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(transport.kind(), TransportErrorKind::Io);
        assert!(error.is_retryable());
        assert_eq!(
            server.requests_to("/lucca-api/always-dropping").len() - before,
            sent,
            "{method}"
        );
    }

    let server = ScriptedServer::start(|request: &Recorded, earlier| match request.path() {
        "/connect/token" => token_answer("AT-1", 1800),
        "/lucca-api/unwell" if earlier == 0 => response(503, &[("Retry-After", "1")], ""),
        "/lucca-api/always-unwell" => response(503, &[], ""),
        // Dropped twice: the transport's one resend is dropped too, the policy resends.
        "/lucca-api/dropping" if earlier < 2 => Vec::new(),
        _ => json(r#"{"ok":true}"#),
    });
    let retrying = LuccaClient::builder(scripted_config(&server, ""))
        .retry_policy(RetryPolicy::new().with_initial_backoff(Duration::from_millis(50)))
        .build();
    let started = Instant::now();
    assert_eq!(
        retrying.get("/lucca-api/unwell").send().unwrap().status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.requests_to("/lucca-api/unwell").len(), 2);
    assert_eq!(
        retrying.put("/lucca-api/dropping").send().unwrap().status(),
        200
    );
    assert_eq!(server.requests_to("/lucca-api/dropping").len(), 3);
    // PATCH is not idempotent: not resent.
    let error = retrying
        .patch("/lucca-api/always-unwell")
        .send()
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.requests_to("/lucca-api/always-unwell").len(), 1);
}

#[test]
fn redirects_are_not_followed_even_with_a_caller_built_agent() {
    let server = ScriptedServer::start(|request: &Recorded, _| match request.path() {
        "/connect/token" => token_answer("AT-1", 1800),
        "/lucca-api/moved" => response(302, &[("Location", "/lucca-api/elsewhere")], ""),
        _ => json("{}"),
    });
    // An agent with ureq's defaults: 10 redirects, statuses as errors.
    let agent = ureq::Agent::new_with_defaults();
    let client = LuccaClient::builder(scripted_config(&server, ""))
        .agent(agent.clone())
        .build();
    let error = client.get("/lucca-api/moved").send().unwrap_err();
    assert_eq!(error, Error::Redirect { status: 302 });
    assert_eq!(server.requests_to("/lucca-api/elsewhere").len(), 0);

    let token_redirect = ScriptedServer::start(|_, _| {
        response(307, &[("Location", "https://elsewhere.example/token")], "")
    });
    let client = LuccaClient::builder(scripted_config(&token_redirect, ""))
        .agent(agent)
        .build();
    assert_eq!(
        client.token().unwrap_err(),
        Error::Token(TokenError::Redirect { status: 307 })
    );
    assert_eq!(token_redirect.requests().len(), 1);
}

#[test]
fn both_client_auth_methods_with_a_secret_full_of_special_characters() {
    const ID: &str = "special client/é";
    const SECRET: &str = "p@ss: + /%&= word-é€ü\u{1F600}";
    let sandbox = Sandbox::start(SandboxConfig::default().with_client(ClientApp::new(
        ID,
        SECRET,
        ["leaves.readonly"],
    )))
    .unwrap();
    for (served, method) in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic]
        .into_iter()
        .enumerate()
    {
        let client = LuccaClient::new(config_for(&sandbox, ID, SECRET, method, "leaves.readonly"));
        let token = client.token().unwrap();
        assert_eq!(token.granted().to_space_separated(), "leaves.readonly");
        client.get("/lucca-api/leaves?limit=1").send().unwrap();
        assert_eq!(sandbox.token_requests_served(), served as u64 + 1);
    }

    // The wrong secret: invalid_client, fatal for the client: no second request.
    for method in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic] {
        let received = sandbox.token_requests_received();
        let client = LuccaClient::new(config_for(
            &sandbox,
            ID,
            "p@ss: + /%&= word-é€ü",
            method,
            "leaves.readonly",
        ));
        for _ in 0..2 {
            let error = client.token().unwrap_err();
            let Error::Token(TokenError::OAuth(oauth)) = &error else {
                panic!("{error:?}");
            };
            assert_eq!(oauth.code, OAuthErrorCode::InvalidClient);
            assert_eq!(oauth.status, 401);
            assert!(!error.is_retryable());
        }
        assert_eq!(sandbox.token_requests_received(), received + 1);
    }
}

#[test]
fn scoped_handles_share_one_cache_entry_per_scope_set() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = LuccaClient::new(demo_config(&sandbox, "leaves.readonly"));
    let default_token = client.token().unwrap();
    assert_eq!(sandbox.token_requests_served(), 1);

    let ab = client
        .scoped(Scopes::parse_space_separated("leaves.readonly leave-requests.readonly").unwrap());
    let ba = client
        .scoped(Scopes::parse_space_separated("leave-requests.readonly leaves.readonly").unwrap());
    let ab_token = ab.token().unwrap();
    let ba_token = ba.token().unwrap();
    assert_eq!(sandbox.token_requests_served(), 2);
    assert_eq!(ab_token.access_token(), ba_token.access_token());
    assert_ne!(ab_token.access_token(), default_token.access_token());
    assert_eq!(
        ab_token.granted().to_space_separated(),
        "leaves.readonly leave-requests.readonly"
    );
    assert_eq!(
        ba.scopes().to_space_separated(),
        "leave-requests.readonly leaves.readonly"
    );

    let other = ba.scoped(Scopes::parse_space_separated("leaves.readwrite").unwrap());
    other.get("/lucca-api/leaves?limit=1").send().unwrap();
    assert_eq!(sandbox.token_requests_served(), 3);

    // Clones and re-scoping to the default set reuse the existing entries.
    let again = other.scoped(Scopes::parse_space_separated("leaves.readonly").unwrap());
    assert_eq!(
        again.token().unwrap().access_token(),
        default_token.access_token()
    );
    client
        .clone()
        .get("/lucca-api/leaves?limit=1")
        .send()
        .unwrap();
    ab.clone()
        .get("/lucca-api/leave-requests?limit=1")
        .send()
        .unwrap();
    assert_eq!(sandbox.token_requests_served(), 3);

    // The empty set is its own entry: every allowed scope.
    let all = client.scoped(Scopes::new());
    assert_eq!(
        all.token().unwrap().granted().to_space_separated(),
        "leaves.readonly leaves.readwrite leave-requests.readonly"
    );
    assert_eq!(sandbox.token_requests_served(), 4);
}

#[test]
fn requests_refused_before_sending() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = LuccaClient::new(demo_config(&sandbox, "leaves.readonly"));
    let cases: Vec<(lucca_auth_ureq::RequestBuilder, RequestError)> = vec![
        (
            client
                .get("/lucca-api/leaves")
                .header("authorization", "Bearer x"),
            RequestError::AuthorizationHeader,
        ),
        (
            client
                .get("/lucca-api/leaves")
                .header("Host", "evil.example"),
            RequestError::ReservedHeader {
                name: "host".into(),
            },
        ),
        (
            client
                .get("/lucca-api/leaves")
                .header("Accept-Encoding", "gzip"),
            RequestError::ReservedHeader {
                name: "accept-encoding".into(),
            },
        ),
        (
            client
                .get("/lucca-api/leaves")
                .header("X-A", "a\r\nX-Injected: 1"),
            RequestError::InvalidHeaderValue { name: "x-a".into() },
        ),
        (
            client.get("/lucca-api/leaves").header("bad name", "v"),
            RequestError::InvalidHeaderName,
        ),
        (
            client
                .post("/lucca-api/leaves")
                .body(Vec::new(), "text/plain\n"),
            RequestError::InvalidContentType,
        ),
        (
            client.get("https://evil.example/lucca-api/leaves"),
            RequestError::Path(lucca_auth::endpoint::EndpointError::NotHostAbsolute),
        ),
        (
            client.get("//evil.example/lucca-api/leaves"),
            RequestError::Path(lucca_auth::endpoint::EndpointError::NotHostAbsolute),
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(request.send().unwrap_err(), Error::InvalidRequest(expected));
    }
    assert!(matches!(
        client.get("/lucca-api/leaves?a b").send().unwrap_err(),
        Error::InvalidRequest(RequestError::Path(_))
    ));
    assert_eq!(sandbox.token_requests_received(), 0);
    assert_eq!(sandbox.api_requests_received(), 0);

    // A caller header replaces the client's default of the same name.
    let server = ScriptedServer::start(|request: &Recorded, _| match request.path() {
        "/connect/token" => token_answer("AT-1", 1800),
        _ => json("{}"),
    });
    let client = LuccaClient::new(scripted_config(&server, ""));
    client
        .delete("/lucca-api/things/1?x=1")
        .query("name", "a b&c=d/é")
        .header("Api-Version", "2025-06-01")
        .header("X-Request-Id", "r-1")
        .send()
        .unwrap();
    let sent = &server.requests_to("/lucca-api/things/1")[0];
    assert_eq!(sent.method, "DELETE");
    assert_eq!(
        sent.target,
        "/lucca-api/things/1?x=1&name=a%20b%26c%3Dd%2F%C3%A9"
    );
    assert_eq!(sent.header_values("api-version"), ["2025-06-01"]);
    assert_eq!(sent.header_values("x-request-id"), ["r-1"]);
}

#[test]
fn response_body_limit_and_body_errors() {
    let server = ScriptedServer::start(|request: &Recorded, _| match request.path() {
        "/connect/token" => token_answer("AT-1", 1800),
        "/lucca-api/big" => json(&"x".repeat(100)),
        _ => response(
            200,
            &[
                ("Deprecation", "@1772532000"),
                ("Sunset", "Wed, 30 Sep 2026 23:59:59 GMT"),
            ],
            "\u{fffd}not json",
        ),
    });
    let client = LuccaClient::builder(scripted_config(&server, ""))
        .max_response_body(99)
        .build();
    assert_eq!(
        client.get("/lucca-api/big").send().unwrap_err(),
        Error::ResponseTooLarge { limit: 99 }
    );
    let response = client.get("/lucca-api/odd").send().unwrap();
    assert_eq!(response.deprecation(), Some("@1772532000"));
    assert_eq!(
        response.deprecation_time(),
        Some(lucca_auth::time::UnixTime::from_secs(1_772_532_000))
    );
    assert_eq!(response.sunset(), Some("Wed, 30 Sep 2026 23:59:59 GMT"));
    assert_eq!(
        response.sunset_time(),
        Some(lucca_auth::time::UnixTime::from_secs(1_790_812_799))
    );
    assert_eq!(response.text().unwrap(), "\u{fffd}not json");
    assert_eq!(
        response.json::<Value>().unwrap_err(),
        Error::InvalidBody(lucca_auth_ureq::BodyError::Json { line: 1, column: 1 })
    );
    assert_eq!(
        format!("{response:?}"),
        "ApiResponse { status: 200, headers: 4, body_len: 11, deprecation: Some(\"@1772532000\"), \
         sunset: Some(\"Wed, 30 Sep 2026 23:59:59 GMT\") }"
    );
}
