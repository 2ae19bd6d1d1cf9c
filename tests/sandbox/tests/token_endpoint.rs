//! The token endpoint over real HTTP: client authentication, grant type, scopes, errors.

mod common;

use common::{basic, encode, post_token, post_token_form};
use lucca_auth_sandbox::{ClientApp, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox, SandboxConfig};
use serde_json::{Value, json};

fn demo_body(extra: &str) -> String {
    format!(
        "grant_type=client_credentials&client_id={}&client_secret={}{extra}",
        encode(DEMO_CLIENT_ID),
        encode(DEMO_CLIENT_SECRET)
    )
}

fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).expect("the sandbox starts")
}

/// Checks a successful token answer and returns its token.
fn assert_token(answer: &common::Answer, scope: &str, expires_in: u64) -> String {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("pragma"), Some("no-cache"));
    let body = answer.json();
    let token = body["access_token"].as_str().expect("a token").to_owned();
    assert_eq!(token.len(), 43, "256 random bits in base64url");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );
    assert_eq!(
        body,
        json!({"token_type": "bearer", "access_token": token, "expires_in": expires_in, "scope": scope})
    );
    token
}

fn assert_oauth_error(
    answer: &common::Answer,
    status: u16,
    error: &str,
    description: &str,
    basic_challenge: bool,
) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(
        answer.json(),
        json!({"error": error, "error_description": description})
    );
    let challenge = basic_challenge.then_some("Basic realm=\"lucca\"");
    assert_eq!(answer.header("www-authenticate"), challenge);
}

#[test]
fn client_credentials_in_the_body() {
    let sandbox = start(SandboxConfig::default());
    let answer = post_token_form(
        &sandbox,
        &[],
        &demo_body("&scope=leaves.readonly%20leave-requests.readonly"),
    );
    assert_token(&answer, "leaves.readonly leave-requests.readonly", 1800);
    assert_eq!(sandbox.token_requests_served(), 1);
    assert_eq!(sandbox.token_requests_received(), 1);
}

#[test]
fn no_scope_grants_every_allowed_scope_and_plus_is_a_space() {
    let sandbox = start(SandboxConfig::default());
    let all = "leaves.readonly leaves.readwrite leave-requests.readonly";
    assert_token(&post_token_form(&sandbox, &[], &demo_body("")), all, 1800);
    // An empty parameter counts as absent (RFC 6749 §3.1).
    assert_token(
        &post_token_form(&sandbox, &[], &demo_body("&scope=")),
        all,
        1800,
    );
    // Form encoding: `+` is a space; a repeated scope is granted once.
    assert_token(
        &post_token_form(
            &sandbox,
            &[],
            &demo_body("&scope=leaves.readwrite+leaves.readonly+leaves.readwrite"),
        ),
        "leaves.readwrite leaves.readonly",
        1800,
    );
    assert_eq!(sandbox.token_requests_served(), 3);
}

#[test]
fn http_basic_with_a_secret_that_needs_encoding() {
    let id = "ops tool+1";
    let secret = "p+s/w=o&r%d é ü 🔑:";
    let config =
        SandboxConfig::default().with_client(ClientApp::new(id, secret, ["employees.readonly"]));
    let sandbox = start(config);
    let body = "grant_type=client_credentials&scope=employees.readonly";

    let authorization = basic(id, secret);
    // "ops%20tool%2B1:p%2Bs%2Fw%3Do%26r%25d%20%C3%A9%20%C3%BC%20%F0%9F%94%91%3A" in base64
    assert_eq!(
        authorization,
        "Basic b3BzJTIwdG9vbCUyQjE6cCUyQnMlMkZ3JTNEbyUyNnIlMjVkJTIwJUMzJUE5JTIwJUMzJUJDJTIwJUYwJTlGJTk0JTkxJTNB"
    );
    let answer = post_token_form(&sandbox, &[("Authorization", &authorization)], body);
    assert_token(&answer, "employees.readonly", 1800);

    // The same credentials with `+` for spaces, as form encoders may write them.
    let plus_spaces = format!(
        "Basic {}",
        base64_of(&format!(
            "ops+tool%2B1:{}",
            encode(secret).replace("%20", "+")
        ))
    );
    let answer = post_token_form(&sandbox, &[("Authorization", &plus_spaces)], body);
    assert_token(&answer, "employees.readonly", 1800);

    // The same credentials in the body, percent-encoded.
    let in_body = format!(
        "{body}&client_id={}&client_secret={}",
        encode(id),
        encode(secret)
    );
    assert_token(
        &post_token_form(&sandbox, &[], &in_body),
        "employees.readonly",
        1800,
    );

    // Not form-encoded: `+` decodes to a space, so the secret does not match.
    let raw = format!("Basic {}", base64_of(&format!("{}:{secret}", encode(id))));
    let answer = post_token_form(&sandbox, &[("Authorization", &raw)], body);
    assert_oauth_error(
        &answer,
        401,
        "invalid_client",
        "client authentication failed",
        true,
    );

    // Scheme names are case-insensitive.
    let lower = authorization.replacen("Basic", "basic", 1);
    assert_token(
        &post_token_form(&sandbox, &[("Authorization", &lower)], body),
        "employees.readonly",
        1800,
    );

    assert_eq!(sandbox.token_requests_served(), 4);
    assert_eq!(sandbox.token_requests_received(), 5);
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn both_authentication_methods_at_once() {
    let sandbox = start(SandboxConfig::default());
    let authorization = basic(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    let expected = "use one client authentication method: HTTP Basic or client_id and client_secret in the body, not both";
    for body in [
        demo_body(""),
        format!("grant_type=client_credentials&client_id={DEMO_CLIENT_ID}"),
        format!(
            "grant_type=client_credentials&client_secret={}",
            encode(DEMO_CLIENT_SECRET)
        ),
    ] {
        let answer = post_token_form(&sandbox, &[("Authorization", &authorization)], &body);
        assert_oauth_error(&answer, 400, "invalid_request", expected, false);
    }
    assert_eq!(sandbox.token_requests_served(), 0);
    assert_eq!(sandbox.token_requests_received(), 3);
}

#[test]
fn form_bodies_only() {
    let sandbox = start(SandboxConfig::default());
    let json_body = json!({
        "grant_type": "client_credentials",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
    })
    .to_string();
    let expected = "the body must be application/x-www-form-urlencoded";
    let answer = post_token(
        &sandbox,
        &[("Content-Type", "application/json")],
        &json_body,
    );
    assert_oauth_error(&answer, 400, "invalid_request", expected, false);
    // A form body without a Content-Type, or with another one.
    for headers in [&[][..], &[("Content-Type", "text/plain")][..]] {
        let answer = post_token(&sandbox, headers, &demo_body(""));
        assert_oauth_error(&answer, 400, "invalid_request", expected, false);
    }
    // A charset parameter is fine when it says UTF-8.
    let answer = post_token(
        &sandbox,
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )],
        &demo_body(""),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(sandbox.token_requests_served(), 1);
}

/// A token request (an `Authorization` header or not, a body) and the 401 it gets.
struct Case {
    request: (Option<String>, String),
    description: &'static str,
    challenge: bool,
}

#[test]
fn client_authentication_failures() {
    let sandbox = start(SandboxConfig::default());
    const FAILED: &str = "client authentication failed";
    let body_only = |body: String| (None, body);
    let with_basic = |authorization: String| {
        (
            Some(authorization),
            "grant_type=client_credentials".to_owned(),
        )
    };
    let cases: Vec<Case> = vec![
        // Wrong secret in the body: no challenge (no Authorization header was sent).
        Case {
            request: body_only(format!(
                "grant_type=client_credentials&client_id={DEMO_CLIENT_ID}&client_secret=wrong"
            )),
            description: FAILED,
            challenge: false,
        },
        // Unknown client.
        Case {
            request: body_only(format!(
                "grant_type=client_credentials&client_id=nobody&client_secret={}",
                encode(DEMO_CLIENT_SECRET)
            )),
            description: FAILED,
            challenge: false,
        },
        // No secret.
        Case {
            request: body_only(format!(
                "grant_type=client_credentials&client_id={DEMO_CLIENT_ID}"
            )),
            description: FAILED,
            challenge: false,
        },
        // No credentials at all.
        Case {
            request: body_only("grant_type=client_credentials".to_owned()),
            description: "no client authentication: send client_id and client_secret",
            challenge: false,
        },
        // Wrong secret with Basic: 401 with a Basic challenge.
        Case {
            request: with_basic(basic(DEMO_CLIENT_ID, "wrong")),
            description: FAILED,
            challenge: true,
        },
        Case {
            request: with_basic("Basic !!!".to_owned()),
            description: "malformed Basic credentials: not base64",
            challenge: true,
        },
        Case {
            request: with_basic("Bearer abc".to_owned()),
            description: "unsupported client authentication scheme",
            challenge: true,
        },
    ];
    let count = cases.len() as u64;
    for Case {
        request: (authorization, body),
        description,
        challenge,
    } in cases
    {
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        let answer = post_token_form(&sandbox, &headers, &body);
        assert_oauth_error(&answer, 401, "invalid_client", description, challenge);
    }
    assert_eq!(sandbox.token_requests_served(), 0);
    assert_eq!(sandbox.token_requests_received(), count);
}

#[test]
fn grant_type_and_request_syntax() {
    let sandbox = start(SandboxConfig::default());
    let credentials = format!(
        "client_id={}&client_secret={}",
        encode(DEMO_CLIENT_ID),
        encode(DEMO_CLIENT_SECRET)
    );
    let cases: &[(String, u16, &str, &str)] = &[
        (
            format!("grant_type=authorization_code&{credentials}"),
            400,
            "unsupported_grant_type",
            "only the client_credentials grant is supported",
        ),
        (
            format!("grant_type=password&{credentials}"),
            400,
            "unsupported_grant_type",
            "only the client_credentials grant is supported",
        ),
        (
            credentials.clone(),
            400,
            "invalid_request",
            "grant_type is required",
        ),
        (
            format!("grant_type=client_credentials&grant_type=client_credentials&{credentials}"),
            400,
            "invalid_request",
            "the parameter grant_type is repeated",
        ),
        (
            format!("grant_type=client_credentials&{credentials}&scope=%FF"),
            400,
            "invalid_request",
            "a parameter is not UTF-8",
        ),
    ];
    for (body, status, error, description) in cases {
        let answer = post_token_form(&sandbox, &[], body);
        assert_oauth_error(&answer, *status, error, description, false);
    }
    assert_eq!(sandbox.token_requests_served(), 0);
}

#[test]
fn scopes_the_client_may_not_have() {
    let sandbox = start(SandboxConfig::default());
    let cases: &[(&str, &str)] = &[
        (
            "employees.readonly",
            "scope not allowed for this client: employees.readonly",
        ),
        (
            "leaves.readonly%20employees.readonly%20payroll",
            "scope not allowed for this client: employees.readonly payroll",
        ),
        (
            "leaves.readonly%20%20leaves.readwrite",
            "the scope parameter is malformed",
        ),
        ("%22quoted%22", "the scope parameter is malformed"),
    ];
    for (scope, description) in cases {
        let answer = post_token_form(&sandbox, &[], &demo_body(&format!("&scope={scope}")));
        assert_oauth_error(&answer, 400, "invalid_scope", description, false);
    }
    assert_eq!(sandbox.token_requests_served(), 0);
}

#[test]
fn only_post_on_connect_token() {
    let sandbox = start(SandboxConfig::default());
    let answer = common::Answer::read(common::agent().get(sandbox.token_url()).call());
    assert_oauth_error(
        &answer,
        405,
        "invalid_request",
        "the token endpoint only accepts POST",
        false,
    );
    assert_eq!(answer.header("allow"), Some("POST"));

    let elsewhere = sandbox
        .token_url()
        .replace("/connect/token", "/connect/authorize");
    let answer = common::Answer::read(common::agent().post(elsewhere).send_empty());
    assert_oauth_error(
        &answer,
        404,
        "invalid_request",
        "the token endpoint is POST /connect/token",
        false,
    );
    assert_eq!(
        sandbox.token_requests_received(),
        1,
        "only /connect/token counts"
    );
}

#[test]
fn token_lifetime_is_configurable() {
    let sandbox =
        start(SandboxConfig::default().with_token_lifetime(std::time::Duration::from_millis(2500)));
    assert_eq!(
        post_token_form(&sandbox, &[], &demo_body("")).json()["expires_in"],
        json!(2)
    );
    sandbox.set_token_lifetime(std::time::Duration::from_secs(60));
    assert_eq!(sandbox.token_lifetime(), std::time::Duration::from_secs(60));
    assert_eq!(
        post_token_form(&sandbox, &[], &demo_body("")).json()["expires_in"],
        json!(60)
    );
}

#[test]
fn every_token_is_different() {
    let sandbox = start(SandboxConfig::default());
    let mut tokens: Vec<Value> = (0..20)
        .map(|_| post_token_form(&sandbox, &[], &demo_body("")).json()["access_token"].clone())
        .collect();
    tokens.sort_by_key(|token| token.to_string());
    tokens.dedup();
    assert_eq!(tokens.len(), 20);
}
