//! A small HTTP client for the sandbox's integration tests (each test file uses a part).
#![allow(dead_code)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lucca_auth_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use ureq::http::{HeaderMap, Response};

/// The `Api-Version` the tests send.
pub const API_VERSION: &str = "2024-11-01";

/// Every byte but `A-Z a-z 0-9 - . _ ~` is percent-encoded (space as `%20`).
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Form-urlencodes one component.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, FORM).to_string()
}

/// `Basic base64(encode(id) ":" encode(secret))` (RFC 6749 §2.3.1).
pub fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}

/// A client that reports statuses instead of failing on them.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

/// An answer read to the end.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn read(result: Result<Response<ureq::Body>, ureq::Error>) -> Self {
        let mut response = result.expect("the sandbox answers");
        let body = response.body_mut().read_to_string().expect("a text body");
        Self {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body,
        }
    }

    /// The only value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self.headers.get_all(name).iter();
        let value = values.next()?;
        assert!(values.next().is_none(), "{name} is repeated");
        Some(value.to_str().expect("a text header"))
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// The problem+json body with its `traceId` checked and removed.
    pub fn problem(&self) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let mut body = self.json();
        let trace_id = body
            .as_object_mut()
            .and_then(|members| members.remove("traceId"))
            .expect("a traceId");
        let trace_id = trace_id.as_str().expect("a string traceId");
        assert_eq!(trace_id.len(), 55, "{trace_id}");
        assert!(trace_id.starts_with("00-"), "{trace_id}");
        body
    }
}

/// POSTs a raw body to the token endpoint with the given headers.
pub fn post_token(sandbox: &Sandbox, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut request = agent().post(sandbox.token_url());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Answer::read(request.send(body))
}

/// POSTs a form body to the token endpoint.
pub fn post_token_form(sandbox: &Sandbox, extra_headers: &[(&str, &str)], body: &str) -> Answer {
    let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
    headers.extend_from_slice(extra_headers);
    post_token(sandbox, &headers, body)
}

/// A token for the demo application (client authentication in the body).
pub fn demo_token(sandbox: &Sandbox, scope: Option<&str>) -> String {
    let mut body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        encode(DEMO_CLIENT_ID),
        encode(DEMO_CLIENT_SECRET)
    );
    if let Some(scope) = scope {
        body.push_str(&format!("&scope={}", encode(scope)));
    }
    let answer = post_token_form(sandbox, &[], &body);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// A request to the API with a bearer token and the API version.
pub fn api(
    sandbox: &Sandbox,
    method: &str,
    path_and_query: &str,
    token: Option<&str>,
    api_version: Option<&str>,
) -> Answer {
    let url = format!("{}{path_and_query}", sandbox.api_base());
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(version) = api_version {
        request = request.header("Api-Version", version);
    }
    let request = request.body(()).expect("a valid request");
    Answer::read(agent().run(request))
}

/// A request with a body to the API.
pub fn api_with_body(
    sandbox: &Sandbox,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let url = format!("{}{path_and_query}", sandbox.api_base());
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(body.to_owned()).expect("a valid request");
    Answer::read(agent().run(request))
}

/// `GET` of an API path with a token and the API version.
pub fn api_get(sandbox: &Sandbox, path_and_query: &str, token: &str) -> Answer {
    api(
        sandbox,
        "GET",
        path_and_query,
        Some(token),
        Some(API_VERSION),
    )
}
