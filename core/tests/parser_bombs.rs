//! Parser bombs — huge maps and lists, deep nesting, thousands of auth-params, half a million
//! page items, long OAuth texts — give their exact results without a panic. What they cost is
//! measured against ordinary inputs in the `parser_bombs` criterion bench (`benches/`).
#![allow(clippy::unwrap_used)]

use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::pagination::Page;
use lucca_auth::problem::Problem;
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::token_response::{
    OAuthErrorCode, TokenError, TokenResponseOptions, parse_token_response,
};
use lucca_auth::www_authenticate::parse_challenges;

fn entry(field: &str, message: &str) -> (String, Vec<String>) {
    (field.to_owned(), vec![message.to_owned()])
}

#[test]
fn problem_with_an_errors_map_of_4001_fields() {
    let fields: String = (0..4000).map(|i| format!("\"f{i}\":\"x\",")).collect();
    let body = format!("{{\"errors\":{{{fields}\"z\":\"x\"}}}}");
    let problem = Problem::parse(body.as_bytes()).unwrap();
    assert_eq!(problem.errors.len(), 4001);
    assert_eq!(problem.errors[0], entry("f0", "x"));
    assert_eq!(problem.errors[3999], entry("f3999", "x"));
    assert_eq!(problem.errors[4000], entry("z", "x"));
}

#[test]
fn problem_with_an_errors_list_of_1500_objects() {
    let items: String = (0..1500)
        .map(|i| format!("{{\"field\":\"f{i}\",\"message\":\"m\"}},"))
        .collect();
    let body = format!("{{\"errors\":[{items}{{}}]}}");
    let problem = Problem::parse(body.as_bytes()).unwrap();
    // The trailing `{}` names no field and no message: nothing to keep.
    assert_eq!(problem.errors.len(), 1500);
    assert_eq!(problem.errors[0], entry("f0", "m"));
    assert_eq!(problem.errors[1499], entry("f1499", "m"));
}

#[test]
fn problem_nested_30000_deep_is_not_a_problem() {
    let nested = format!(
        "{{\"title\":\"t\",\"errors\":{}1{}}}",
        "[".repeat(30000),
        "]".repeat(30000)
    );
    assert_eq!(Problem::parse(nested.as_bytes()), None);
}

#[test]
fn www_authenticate_bombs() {
    let challenge = format!("Bearer {}", "a=\"\\\"\\\\\", ".repeat(6000));
    let challenges = parse_challenges(challenge.as_bytes());
    assert_eq!(challenges.len(), 1);
    assert_eq!(challenges[0].scheme(), "Bearer");
    assert_eq!(challenges[0].token68(), None);
    assert_eq!(challenges[0].params().len(), 6000);
    assert!(
        challenges[0]
            .params()
            .iter()
            .all(|(name, value)| name == "a" && value == "\"\\")
    );
    // `a a a …`: the scheme `a`, then a token where `,` or an auth-param must come; the rest
    // of the malformed field is dropped.
    let bare = parse_challenges("a ".repeat(30000).as_bytes());
    assert_eq!(bare.len(), 1);
    assert_eq!(
        (bare[0].scheme(), bare[0].token68(), bare[0].params().len()),
        ("a", None, 0)
    );
    assert!(parse_challenges(",".repeat(60000).as_bytes()).is_empty());
    assert!(parse_challenges("\"".repeat(60000).as_bytes()).is_empty());

    // A 403 with that Bearer challenge: no `scope` auth-param, so no scope is named.
    let headers = [Header {
        name: "WWW-Authenticate",
        value: challenge.as_bytes(),
    }];
    assert_eq!(
        ApiResponseClass::classify(&HttpResponse::new(403, &headers, b""), ApiAttempt::First),
        ApiResponseClass::MissingScope {
            required: Vec::new(),
            description: None,
        }
    );
}

#[test]
fn page_of_500001_items() {
    let page = format!(
        "{{\"items\":[{}0],\"links\":{{\"next\":\"/x\"}}}}",
        "0,".repeat(500_000)
    );
    let page = Page::parse(page.as_bytes()).unwrap();
    assert_eq!(page.items().len(), 500_001);
    assert_eq!(page.next(), Some("/x"));
}

#[test]
fn oauth_error_with_long_texts_is_cut_and_sanitized() {
    let big = format!(
        "{{\"error\":\"{}\",\"error_description\":\"{}\"}}",
        "e".repeat(30000),
        "\u{202e}".repeat(10000)
    );
    let error = parse_token_response(
        &HttpResponse::new(400, &[], big.as_bytes()),
        &TokenResponseOptions::default(),
    )
    .unwrap_err();
    let TokenError::OAuth(error) = error else {
        panic!("an OAuth error, not {error:?}");
    };
    let OAuthErrorCode::Other(code) = &error.code else {
        panic!("an unknown code, not {:?}", error.code);
    };
    // The code is cut to 64 characters and marked; the description, only bidirectional
    // overrides, sanitizes to nothing.
    assert_eq!(code, &format!("{}…", "e".repeat(64)));
    assert_eq!(error.description, None);
    assert_eq!(error.status, 400);
}
