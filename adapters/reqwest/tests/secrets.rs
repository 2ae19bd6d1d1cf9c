//! The client secret and the access tokens never appear in any log line (everything the
//! process logs through `tracing` or `log`, at TRACE, this crate's events included) nor in
//! any error text or `Debug` output, in every form they travel in: literal, percent-encoded
//! (upper and lower case hex), inside the HTTP Basic base64, and as `Bearer <token>`.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::TryStreamExt;
use lucca_auth::config::ClientAuthMethod;
use lucca_auth::secret::ClientSecret;
use lucca_auth_reqwest::{Error, LuccaClient, RetryPolicy};
use lucca_auth_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, TokenFault};
use tracing_subscriber::util::SubscriberInitExt as _;

/// Everything logged, in one buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// Every byte outside `A-Z a-z 0-9 - . _ ~` as `%XX`, with upper or lower case hex.
fn percent_encode(text: &str, upper: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else if upper {
            out.push_str(&format!("%{byte:02X}"));
        } else {
            out.push_str(&format!("%{byte:02x}"));
        }
    }
    out
}

/// The forms a secret can leak in.
fn forms(secret: &str) -> Vec<String> {
    let upper = percent_encode(secret, true);
    let lower = percent_encode(secret, false);
    vec![
        secret.to_owned(),
        upper.clone(),
        lower.clone(),
        // application/x-www-form-urlencoded as other encoders write it (space as '+').
        secret.replace(' ', "+"),
        STANDARD.encode(format!("{}:{upper}", percent_encode(DEMO_CLIENT_ID, true))),
        STANDARD.encode(format!("{}:{lower}", percent_encode(DEMO_CLIENT_ID, false))),
        STANDARD.encode(format!("{DEMO_CLIENT_ID}:{secret}")),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_and_tokens_never_reach_a_log_line_or_an_error() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish()
        .try_init()
        .expect("the only subscriber of this test binary");

    let sandbox = common::sandbox(Duration::from_secs(2));
    let mut shown = Vec::<String>::new();
    let mut tokens = Vec::<String>::new();
    let wrong_secret = "wrong+secret/=&% value";

    for method in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic] {
        let config = common::config_with(
            sandbox.token_url(),
            sandbox.api_base(),
            "leaves.readwrite",
            method,
        );
        let client = LuccaClient::builder(config.clone())
            .retry_policy(RetryPolicy::new().with_initial_backoff(Duration::from_millis(10)))
            .build()
            .expect("client");
        shown.push(format!(
            "{client:?} {:?}",
            LuccaClient::builder(config.clone())
        ));

        let token = client.token().await.expect("token");
        shown.push(format!("{token:?}"));
        tokens.push(token.access_token().secret().to_owned());

        let page = client
            .get("/lucca-api/leaves?limit=2")
            .send()
            .await
            .expect("200");
        shown.push(format!("{page:?}"));
        let created = client
            .post("/lucca-api/leaves")
            .json(&serde_json::json!({"type": "holiday"}))
            .send()
            .await
            .expect("201");
        shown.push(format!("{created:?}"));
        let items: Vec<serde_json::Value> = client
            .pages("/lucca-api/leaves?limit=10")
            .try_collect()
            .await
            .expect("pages");
        assert_eq!(items.len(), 25);

        // 403, 404, a refused token (401, refresh, resend).
        for error in [
            client
                .get("/lucca-api/employees")
                .send()
                .await
                .expect_err("an error"),
            client
                .get("/lucca-api/nowhere")
                .send()
                .await
                .expect_err("an error"),
        ] {
            shown.push(format!("{error} {error:?}"));
        }
        assert!(sandbox.revoke_token(&tokens[tokens.len() - 1]));
        client
            .get("/lucca-api/leaves")
            .send()
            .await
            .expect("resent");

        // The middleware, then a refresh ahead of expiry.
        let middleware = client.middleware();
        shown.push(format!("{middleware:?}"));
        let http = reqwest_middleware::ClientBuilder::new(client.http_client().clone())
            .with(middleware)
            .build();
        let answer = http
            .get(format!("{}/lucca-api/leaves", sandbox.api_base()))
            .send()
            .await
            .expect("200");
        assert_eq!(answer.status(), 200);
        tokio::time::sleep(Duration::from_millis(1700)).await;
        client
            .get("/lucca-api/leaves")
            .send()
            .await
            .expect("after a refresh");
        tokens.push(
            client
                .token()
                .await
                .expect("token")
                .access_token()
                .secret()
                .to_owned(),
        );

        // A wrong secret: invalid_client, halted.
        let mut wrong_config = common::config_with(
            sandbox.token_url(),
            sandbox.api_base(),
            "leaves.readonly",
            method,
        );
        wrong_config.credentials = lucca_auth::config::ClientCredentials::new(
            lucca_auth::secret::ClientId::new(DEMO_CLIENT_ID),
            ClientSecret::new(wrong_secret),
        )
        .with_method(method);
        let wrong = LuccaClient::new(wrong_config).expect("client");
        let refused = wrong
            .get("/lucca-api/leaves")
            .send()
            .await
            .expect_err("an error");
        assert!(
            matches!(&refused, Error::Token(e) if e.is_fatal_for_client()),
            "{refused:?}"
        );
        shown.push(format!("{refused} {refused:?} {wrong:?}"));
    }

    // Token endpoint failures.
    let client = common::client(&sandbox, "leaves.readonly");
    for fault in [
        TokenFault::RefuseConnections,
        TokenFault::Status {
            status: 503,
            content_type: Some("text/html".into()),
            body: "<html>down</html>".into(),
            retry_after: Some(1),
        },
    ] {
        sandbox.set_token_fault(fault).expect("fault");
        let error = client.token().await.expect_err("an error");
        shown.push(format!("{error} {error:?}"));
    }
    sandbox.clear_token_fault().expect("cleared");

    let logs = String::from_utf8_lossy(&capture.0.lock().expect("lock")).into_owned();
    assert!(
        logs.contains("token issued"),
        "this crate's events were captured"
    );
    assert!(
        logs.contains("lucca_auth.api_request"),
        "this crate's spans were captured"
    );
    let shown = shown.join("\n");
    let mut needles = forms(DEMO_CLIENT_SECRET);
    needles.extend(forms(wrong_secret));
    for token in &tokens {
        needles.push(token.clone());
        needles.push(format!("Bearer {token}"));
    }
    assert!(tokens.len() >= 4, "{}", tokens.len());
    for needle in &needles {
        assert!(
            !logs.contains(needle.as_str()),
            "a log line holds {needle:?}"
        );
        assert!(
            !shown.contains(needle.as_str()),
            "an error or Debug output holds {needle:?}"
        );
    }
    // The search itself works: the needles are where they belong.
    assert!(!needles.iter().any(String::is_empty));
    assert!(
        logs.lines().count() > 100,
        "{} log lines",
        logs.lines().count()
    );
}

/// An API (or a proxy in front of it) that echoes the request's `Authorization` in its 403
/// challenge or its problem+json: the error the caller gets holds no trace of the token.
#[tokio::test]
async fn api_errors_that_echo_the_token_are_redacted() {
    // The token endpoint hands out one known token, so that the APIs below can echo it.
    let token = "AT-Sentinel-Token-0123456789";
    let sandbox = common::sandbox(Duration::from_secs(1800));
    sandbox
        .set_token_fault(TokenFault::Status {
            status: 200,
            content_type: Some("application/json".to_owned()),
            body: format!(
                r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":1800}}"#
            ),
            retry_after: None,
        })
        .expect("the fixed token answer");
    let challenge = format!(
        r#"Bearer error="insufficient_scope", scope="x", error_description="token Bearer {token} lacks x""#
    );
    let forbidden = common::Recorder::start_raw(format!(
        "HTTP/1.1 403 Forbidden\r\nwww-authenticate: {challenge}\r\ncontent-length: 0\r\n\r\n"
    ))
    .await;
    let problem = format!(
        r#"{{"title":"Bad Request","detail":"header Authorization: Bearer {token} is malformed"}}"#
    );
    let bad = common::Recorder::start_raw(format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\r\n{problem}",
        problem.len()
    ))
    .await;
    let mut errors = Vec::new();
    for api in [&forbidden, &bad] {
        let client = LuccaClient::builder(common::config_with(
            sandbox.token_url(),
            &format!("http://{}", api.addr),
            "leaves.readonly",
            ClientAuthMethod::RequestBody,
        ))
        .build()
        .expect("the client builds");
        errors.push(
            client
                .get("/lucca-api/leaves")
                .send()
                .await
                .expect_err("an error answer"),
        );
    }
    match &errors[0] {
        Error::MissingScope { description, .. } => {
            assert_eq!(
                description.as_deref(),
                Some("token Bearer [redacted] lacks x")
            );
        }
        other => panic!("a missing scope, not {other:?}"),
    }
    match &errors[1] {
        Error::Api {
            status: 400,
            problem: Some(problem),
        } => assert_eq!(
            problem.detail.as_deref(),
            Some("header Authorization: Bearer [redacted] is malformed")
        ),
        other => panic!("a 400 with its problem, not {other:?}"),
    }
    for error in &errors {
        for text in [
            error.to_string(),
            format!("{error:?}"),
            format!("{error:#?}"),
        ] {
            assert!(!text.contains(token), "the token leaked in: {text}");
        }
    }
}
