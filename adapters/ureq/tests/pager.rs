//! The pager over Lucca's cursor pagination: every page of the sandbox's lists with exact
//! item ids, both forms of `next`, and a `next` to another origin refused without a single
//! connection to it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Recorded, ScriptedServer, demo_config, json, scripted_config, token_answer};
use lucca_auth::pagination::PageError;
use lucca_auth_sandbox::{Sandbox, SandboxConfig};
use lucca_auth_ureq::{Error, LuccaClient};
use serde_json::Value;

fn id(item: Result<Value, Error>) -> Result<u64, Error> {
    item.map(|item| item["id"].as_u64().unwrap())
}

#[test]
fn every_page_of_the_sandbox_lists() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = LuccaClient::new(demo_config(
        &sandbox,
        "leaves.readonly leave-requests.readonly",
    ));
    let cases: &[(&str, &str, u64, u64)] = &[
        ("/lucca-api/leaves?limit=10", "/lucca-api/leaves", 25, 3),
        ("/lucca-api/leaves?limit=7", "/lucca-api/leaves", 25, 4),
        ("/lucca-api/leaves?limit=25", "/lucca-api/leaves", 25, 1),
        ("/lucca-api/leaves", "/lucca-api/leaves", 25, 3),
        (
            "/lucca-api/leave-requests?limit=5&include=links",
            "/lucca-api/leave-requests",
            12,
            3,
        ),
    ];
    client.token().unwrap();
    for &(path, counted, total, pages) in cases {
        sandbox.reset_counters();
        let mut pager = client.pages(path);
        let ids: Vec<u64> = pager.by_ref().map(id).collect::<Result<_, _>>().unwrap();
        assert_eq!(ids, (1..=total).collect::<Vec<_>>(), "{path}");
        assert_eq!(pager.pages_read() as u64, pages, "{path}");
        assert_eq!(sandbox.api_requests(counted), pages, "{path}");
        assert!(pager.next().is_none());
        // One token for every page of every list.
        assert_eq!(sandbox.token_requests_served(), 0, "{path}");
    }
}

#[test]
fn a_pager_error_is_yielded_once_then_the_pager_ends() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = LuccaClient::new(demo_config(&sandbox, "leaves.readonly"));
    let mut pager = client.pages("/lucca-api/employees?limit=3");
    assert_eq!(
        pager.next().unwrap().unwrap_err(),
        Error::MissingScope {
            required: vec!["employees.readonly".into()],
            description: None
        }
    );
    assert!(pager.next().is_none());
    assert_eq!(pager.pages_read(), 0);
}

#[test]
fn plain_string_and_host_absolute_next_links_are_followed() {
    let server = ScriptedServer::start(|request: &Recorded, _| match request.target.as_str() {
        "/connect/token" => token_answer("AT-1", 1800),
        "/lucca-api/things?include=links" => {
            json(r#"{"items":[{"id":1},{"id":2}],"links":{"next":"/lucca-api/things?page=2"}}"#)
        }
        "/lucca-api/things?page=2" => json(&format!(
            r#"{{"items":[{{"id":3}}],"links":{{"next":{{"href":"{}/lucca-api/things?page=3#top"}}}}}}"#,
            request
                .header_values("host")
                .first()
                .map(|host| format!("http://{host}"))
                .unwrap_or_default()
        )),
        "/lucca-api/things?page=3" => json(r#"{"items":[{"id":4}],"links":{"next":null}}"#),
        _ => json(r#"{"unexpected":true}"#),
    });
    let client = LuccaClient::new(scripted_config(&server, ""));
    let ids: Vec<u64> = client
        .pages("/lucca-api/things")
        .map(id)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids, [1, 2, 3, 4]);
    let targets: Vec<String> = server
        .requests_to("/lucca-api/things")
        .into_iter()
        .map(|r| r.target)
        .collect();
    assert_eq!(
        targets,
        [
            "/lucca-api/things?include=links",
            "/lucca-api/things?page=2",
            "/lucca-api/things?page=3"
        ]
    );
}

#[test]
fn next_to_another_origin_is_refused_and_never_contacted() {
    let elsewhere = ScriptedServer::start(|_, _| json(r#"{"items":[{"id":666}]}"#));
    let foreign = format!("{}/lucca-api/leaves?page=2", elsewhere.origin());
    let server = ScriptedServer::start(move |request: &Recorded, _| match request.path() {
        "/connect/token" => token_answer("AT-1", 1800),
        _ => json(&format!(
            r#"{{"items":[{{"id":1}},{{"id":2}}],"links":{{"next":{{"href":"{foreign}"}}}}}}"#
        )),
    });
    let client = LuccaClient::new(scripted_config(&server, ""));
    let items: Vec<Result<u64, Error>> =
        client.pages("/lucca-api/leaves?limit=2").map(id).collect();
    assert_eq!(
        items,
        [Ok(1), Ok(2), Err(Error::Pagination(PageError::ForeignNext))]
    );
    assert_eq!(elsewhere.connections(), 0);
    assert_eq!(server.requests_to("/lucca-api/leaves").len(), 1);
}

#[test]
fn malformed_pages_and_loops_are_typed_errors() {
    let server = ScriptedServer::start(|request: &Recorded, _| match request.path() {
        "/connect/token" => token_answer("AT-1", 1800),
        "/lucca-api/html" => json("<html>"),
        "/lucca-api/no-items" => json(r#"{"data":[]}"#),
        "/lucca-api/loop" => {
            json(r#"{"items":[{"id":1}],"links":{"next":"/lucca-api/loop?include=links"}}"#)
        }
        _ => json(r#"{"items":[],"links":{"next":"https://user:pw@127.0.0.1/x"}}"#),
    });
    let client = LuccaClient::new(scripted_config(&server, ""));
    let cases: &[(&str, Vec<Result<u64, Error>>)] = &[
        (
            "/lucca-api/html",
            vec![Err(Error::Pagination(PageError::NotJson))],
        ),
        (
            "/lucca-api/no-items",
            vec![Err(Error::Pagination(PageError::MissingItems))],
        ),
        (
            "/lucca-api/loop",
            vec![Ok(1), Err(Error::Pagination(PageError::NextRepeats))],
        ),
        (
            "/lucca-api/userinfo",
            vec![Err(Error::Pagination(PageError::ForeignNext))],
        ),
    ];
    for (path, expected) in cases {
        let got: Vec<Result<u64, Error>> = client.pages(path).map(id).collect();
        assert_eq!(&got, expected, "{path}");
    }
}

/// `/a` → `/b` → `/a`: links that go round in a cycle end the pager with
/// `PageError::NextRepeats` after two pages, instead of fetching forever.
#[test]
fn next_links_in_a_cycle_end_the_pager() {
    let server = ScriptedServer::start(|request: &Recorded, _| match request.path() {
        "/connect/token" => token_answer("AT-1", 1800),
        "/lucca-api/a" => json(r#"{"items":[{"id":1}],"links":{"next":"/lucca-api/b"}}"#),
        _ => json(r#"{"items":[{"id":2}],"links":{"next":"/lucca-api/a?include=links"}}"#),
    });
    let client = LuccaClient::new(scripted_config(&server, ""));
    let mut pager = client.pages("/lucca-api/a");
    let items: Vec<Result<u64, Error>> = pager.by_ref().map(id).collect();
    assert_eq!(
        items,
        [Ok(1), Ok(2), Err(Error::Pagination(PageError::NextRepeats))]
    );
    assert_eq!(pager.pages_read(), 2);
    let targets: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.path() != "/connect/token")
        .map(|r| r.target)
        .collect();
    assert_eq!(targets, ["/lucca-api/a?include=links", "/lucca-api/b"]);
}
