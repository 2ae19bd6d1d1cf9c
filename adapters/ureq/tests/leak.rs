//! A sentinel secret full of special characters and the access tokens go through every kind
//! of failure and success; every error, token info and client value is formatted with
//! `Display`, `Debug` and `{:#?}` (errors with their whole source chain), and none of the
//! secret's forms (literal, percent-encoded with %20 and with +, HTTP Basic base64, byte
//! list) nor any token may appear.
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{Recorded, ScriptedServer, config_for, json, response, scripted_config};
use lucca_auth::config::ClientAuthMethod;
use lucca_auth::endpoint::TenantHost;
use lucca_auth_sandbox::{ClientApp, RateLimit, Sandbox, SandboxConfig, TokenFault};
use lucca_auth_ureq::{Error, LuccaClient};

const ID: &str = "leak-client";
const SECRET: &str = "Sëntinel: + /%&=€ S3cr3t-ü";
const SCOPES: &str = "leaves.readonly";

/// Every form in which the secret could leak.
fn secret_forms() -> Vec<String> {
    let mut percent = String::new();
    lucca_auth::form::encode_to_string(SECRET.as_bytes(), &mut percent);
    let plus: String = form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    let mut id = String::new();
    lucca_auth::form::encode_to_string(ID.as_bytes(), &mut id);
    let basic = STANDARD.encode(format!("{id}:{percent}"));
    let raw_basic = STANDARD.encode(format!("{ID}:{SECRET}"));
    let bytes = format!("{:?}", SECRET.as_bytes());
    let forms = vec![
        SECRET.to_owned(),
        percent.clone(),
        plus.clone(),
        basic.clone(),
        raw_basic.clone(),
        bytes.trim_end_matches(']').to_owned(),
        "S3cr3t".to_owned(),
        "ntinel".to_owned(),
        // The base64 forms minus their padding, and their first half (a cut excerpt).
        basic.trim_end_matches('=').to_owned(),
        basic[..basic.len() / 2].to_owned(),
        raw_basic[..raw_basic.len() / 2].to_owned(),
    ];
    assert!(percent.contains("%20") && plus.contains('+'));
    forms
}

/// `Display`, `Debug` and `{:#?}` of an error and of every error in its source chain.
fn error_texts(error: &Error) -> Vec<String> {
    let mut texts = vec![
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ];
    let mut source = error.source();
    while let Some(inner) = source {
        texts.push(inner.to_string());
        texts.push(format!("{inner:?}"));
        source = inner.source();
    }
    texts
}

fn assert_clean(texts: &[String], needles: &[String]) {
    assert!(texts.len() > 40, "too few outputs: {}", texts.len());
    for text in texts {
        for needle in needles {
            assert!(
                !text.contains(needle.as_str()),
                "{needle:?} leaked in: {text}"
            );
        }
    }
}

#[test]
fn secret_and_tokens_never_appear_in_errors_or_debug_output() {
    let mut texts: Vec<String> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let forms = secret_forms();
    // The forms a server may echo from the request body: literal, %20 and + encoded. (An
    // echoed Basic header is the ignored test below.)
    let form_body = forms[..3].join(" | ");

    let sandbox = Sandbox::start(
        SandboxConfig::default()
            .with_client(ClientApp::new(ID, SECRET, [SCOPES]))
            .with_rate_limit(RateLimit::new(5, Duration::from_secs(60))),
    )
    .unwrap();

    for method in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic] {
        // The right secret: a token, an API call, a 403, a 429.
        let builder = LuccaClient::builder(config_for(&sandbox, ID, SECRET, method, SCOPES));
        texts.push(format!("{builder:?}"));
        let client = builder.build();
        texts.push(format!("{client:?} {client:#?}"));
        let token = client.token().unwrap();
        tokens.push(token.access_token().secret().to_owned());
        texts.push(format!("{token:?} {token:#?}"));
        let response = client.get("/lucca-api/leaves?limit=1").send().unwrap();
        texts.push(format!("{response:?}"));
        texts.extend(error_texts(
            &client.get("/lucca-api/employees").send().unwrap_err(),
        ));
        let pager = client.pages("/lucca-api/leaves?limit=1");
        texts.push(format!("{pager:?}"));
        let request = client
            .get("/lucca-api/leaves")
            .header("X-Echo", &format!("{SECRET}\n"));
        texts.push(format!("{request:?}"));
        texts.extend(error_texts(&request.send().unwrap_err()));
        texts.extend(error_texts(
            &client
                .get(&format!("/lucca-api/leaves?s={SECRET}"))
                .send()
                .unwrap_err(),
        ));

        // The wrong secret (the sentinel), and a client the server does not know.
        for (id, secret) in [(ID, "wrong"), ("someone-else", SECRET)] {
            let client = LuccaClient::new(config_for(&sandbox, id, secret, method, SCOPES));
            texts.extend(error_texts(&client.token().unwrap_err()));
            texts.extend(error_texts(
                &client.get("/lucca-api/leaves").send().unwrap_err(),
            ));
        }
    }
    sandbox.revoke_all_tokens();
    let client = LuccaClient::new(config_for(
        &sandbox,
        ID,
        SECRET,
        ClientAuthMethod::RequestBody,
        SCOPES,
    ));
    let rate_limited = (0..4)
        .find_map(|_| client.get("/lucca-api/leaves?limit=1").send().err())
        .unwrap();
    assert!(
        matches!(rate_limited, Error::RateLimited { .. }),
        "{rate_limited:?}"
    );
    texts.extend(error_texts(&rate_limited));
    tokens.push(client.token().unwrap().access_token().secret().to_owned());

    // Error answers that echo the secret in every form: OAuth descriptions and excerpts of
    // non-JSON pages are redacted.
    let faults = [
        TokenFault::Status {
            status: 500,
            content_type: Some("text/html".into()),
            body: format!("<html>echo: {form_body}</html>"),
            retry_after: None,
        },
        TokenFault::Status {
            status: 400,
            content_type: Some("application/json".into()),
            body: serde_json::json!({
                "error": "invalid_request",
                "error_description": format!("bad client_secret={form_body}"),
                "error_uri": format!("https://x.example/?s={}", forms[1]),
            })
            .to_string(),
            retry_after: None,
        },
        TokenFault::Status {
            status: 503,
            content_type: None,
            body: forms[2].clone(),
            retry_after: Some(1),
        },
    ];
    for fault in faults {
        sandbox.set_token_fault(fault).unwrap();
        for method in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic] {
            let client = LuccaClient::new(config_for(&sandbox, ID, SECRET, method, SCOPES));
            texts.extend(error_texts(&client.token().unwrap_err()));
        }
    }
    sandbox
        .set_token_fault(TokenFault::RefuseConnections)
        .unwrap();
    let client = LuccaClient::new(config_for(
        &sandbox,
        ID,
        SECRET,
        ClientAuthMethod::HttpBasic,
        SCOPES,
    ));
    texts.extend(error_texts(&client.token().unwrap_err()));

    // A scripted server: its token, a second 401, a 3xx, a 5xx, a foreign `next` carrying
    // the secret in userinfo, a dropped connection.
    const SCRIPTED_TOKEN: &str = "AT-Sentinel-Token-0123456789";
    let server = ScriptedServer::start(|request: &Recorded, _| match request.path() {
        "/connect/token" => json(&format!(
            r#"{{"access_token":"{SCRIPTED_TOKEN}","token_type":"bearer","expires_in":60}}"#
        )),
        "/lucca-api/unauthorized" => response(401, &[], ""),
        "/lucca-api/moved" => response(301, &[("Location", "https://evil.example/")], ""),
        "/lucca-api/down" => response(502, &[], "<html>bad gateway</html>"),
        "/lucca-api/dropped" => Vec::new(),
        _ => json(&format!(
            r#"{{"items":[],"links":{{"next":"https://{ID}:{}@evil.example/"}}}}"#,
            secret_forms()[1]
        )),
    });
    tokens.push(SCRIPTED_TOKEN.to_owned());
    let client = LuccaClient::new(scripted_config(&server, ""));
    for path in [
        "/lucca-api/unauthorized",
        "/lucca-api/moved",
        "/lucca-api/down",
        "/lucca-api/dropped",
    ] {
        texts.extend(error_texts(&client.get(path).send().unwrap_err()));
    }
    let mut pager = client.pages("/lucca-api/list");
    texts.extend(error_texts(&pager.next().unwrap().unwrap_err()));
    texts.push(format!("{:?}", client.token().unwrap()));

    // The API host refuses connections.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut config = config_for(&sandbox, ID, SECRET, ClientAuthMethod::RequestBody, SCOPES);
    config.tenant = TenantHost::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    sandbox.clear_token_fault().unwrap();
    let client = LuccaClient::new(config);
    texts.extend(error_texts(
        &client.get("/lucca-api/leaves").send().unwrap_err(),
    ));
    tokens.push(client.token().unwrap().access_token().secret().to_owned());

    let mut needles = forms;
    needles.extend(tokens.iter().cloned());
    needles.extend(tokens.iter().map(|t| t[..t.len() / 2].to_owned()));
    assert_clean(&texts, &needles);
}

/// A token endpoint that echoes the HTTP Basic `Authorization` value in its error
/// description: the core's `TokenError::redact` (called by the token machine) removes it.
#[test]
fn an_echoed_basic_credential_is_redacted() {
    let forms = secret_forms();
    let sandbox =
        Sandbox::start(SandboxConfig::default().with_client(ClientApp::new(ID, SECRET, [SCOPES])))
            .unwrap();
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 400,
            content_type: Some("application/json".into()),
            body: serde_json::json!({
                "error": "invalid_request",
                "error_description": format!("Authorization: Basic {} refused", forms[3]),
            })
            .to_string(),
            retry_after: None,
        })
        .unwrap();
    let client = LuccaClient::new(config_for(
        &sandbox,
        ID,
        SECRET,
        ClientAuthMethod::HttpBasic,
        SCOPES,
    ));
    let texts = error_texts(&client.token().unwrap_err());
    for text in &texts {
        for needle in &forms {
            assert!(
                !text.contains(needle.as_str()),
                "{needle:?} leaked in: {text}"
            );
        }
    }
}

/// An API (or a proxy in front of it) that echoes the request's `Authorization` in its 403
/// challenge or its problem+json: the error the caller gets holds no trace of the token.
#[test]
fn api_errors_that_echo_the_token_are_redacted() {
    const TOKEN: &str = "AT-Sentinel-Token-0123456789";
    let server = ScriptedServer::start(|request: &Recorded, _| match request.path() {
        "/connect/token" => common::token_answer(TOKEN, 3600),
        "/lucca-api/forbidden" => response(
            403,
            &[(
                "WWW-Authenticate",
                &format!(
                    r#"Bearer error="insufficient_scope", scope="x", error_description="token Bearer {TOKEN} lacks x""#
                ),
            )],
            "",
        ),
        _ => response(
            400,
            &[("Content-Type", "application/problem+json")],
            &format!(
                r#"{{"title":"Bad Request","detail":"header Authorization: Bearer {TOKEN} is malformed","errors":{{"{TOKEN}":["{TOKEN}"]}}}}"#
            ),
        ),
    });
    let client = LuccaClient::new(scripted_config(&server, ""));
    let forbidden = client.get("/lucca-api/forbidden").send().unwrap_err();
    assert_eq!(
        forbidden,
        Error::MissingScope {
            required: vec!["x".to_owned()],
            description: Some("token Bearer [redacted] lacks x".to_owned()),
        }
    );
    let bad = client.get("/lucca-api/leaves").send().unwrap_err();
    let Error::Api {
        status: 400,
        problem: Some(problem),
    } = &bad
    else {
        panic!("a 400 with its problem, not {bad:?}");
    };
    assert_eq!(
        problem.detail.as_deref(),
        Some("header Authorization: Bearer [redacted] is malformed")
    );
    for error in [&forbidden, &bad] {
        for text in error_texts(error) {
            assert!(!text.contains(TOKEN), "the token leaked in: {text}");
            assert!(
                !text.contains("0123456789"),
                "a part of the token leaked in: {text}"
            );
        }
    }
}
