//! Parser bombs that must stay cheap and total (these hold up).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::pagination::Page;
use lucca_auth::problem::Problem;
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::token_response::{TokenResponseOptions, parse_token_response};
use lucca_auth::www_authenticate::parse_challenges;

fn quick(what: &str, f: impl FnOnce()) {
    let started = Instant::now();
    f();
    let took = started.elapsed();
    eprintln!("{what}: {took:?}");
    assert!(took < Duration::from_secs(2), "{what} took {took:?}");
}

#[test]
fn hostile_parser_bombs_stay_cheap() {
    let fields: String = (0..6000).map(|i| format!("\"f{i}\":\"x\",")).collect();
    let body = format!("{{\"errors\":{{{}\"z\":\"x\"}}}}", fields);
    quick("problem errors map", || {
        let _ = Problem::parse(&body.as_bytes()[..body.len().min(64 * 1024)]);
    });
    let items: String = (0..3000)
        .map(|i| format!("{{\"field\":\"f{i}\",\"message\":\"m\"}},"))
        .collect();
    let body = format!("{{\"errors\":[{}{{}}]}}", items);
    quick("problem errors list", || {
        let _ = Problem::parse(&body.as_bytes()[..body.len().min(64 * 1024)]);
    });
    let nested = format!(
        "{{\"title\":\"t\",\"errors\":{}1{}}}",
        "[".repeat(30000),
        "]".repeat(30000)
    );
    quick("problem deep nesting", || {
        assert!(Problem::parse(nested.as_bytes()).is_none())
    });
    let challenge = format!("Bearer {}", "a=\"\\\"\\\\\", ".repeat(6000));
    quick("www-authenticate params", || {
        let _ = parse_challenges(challenge.as_bytes());
    });
    let schemes = "a ".repeat(30000);
    quick("www-authenticate bare tokens", || {
        let _ = parse_challenges(schemes.as_bytes());
    });
    let commas = ",".repeat(60000);
    quick("www-authenticate commas", || {
        let _ = parse_challenges(commas.as_bytes());
    });
    let quotes = "\"".repeat(60000);
    quick("www-authenticate quotes", || {
        let _ = parse_challenges(quotes.as_bytes());
    });
    let headers = [Header {
        name: "WWW-Authenticate",
        value: challenge.as_bytes(),
    }];
    quick("403 classify", || {
        let _ =
            ApiResponseClass::classify(&HttpResponse::new(403, &headers, b""), ApiAttempt::First);
    });
    let page = format!(
        "{{\"items\":[{}0],\"links\":{{\"next\":\"/x\"}}}}",
        "0,".repeat(500_000)
    );
    quick("page 500k items", || {
        let _ = Page::parse(page.as_bytes()).unwrap();
    });
    let big = format!(
        "{{\"error\":\"{}\",\"error_description\":\"{}\"}}",
        "e".repeat(30000),
        "\u{202e}".repeat(10000)
    );
    quick("oauth error long texts", || {
        let _ = parse_token_response(
            &HttpResponse::new(400, &[], big.as_bytes()),
            &TokenResponseOptions::default(),
        );
    });
}
