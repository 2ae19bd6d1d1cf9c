//! Endpoint, header-value and scope tricks that must be refused (these hold up).
#![allow(clippy::unwrap_used)]

use lucca_auth::config::{ApiVersion, UserAgent};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::scope::Scopes;

#[test]
fn hostile_endpoint_urls_are_refused() {
    let refused = [
        "http://localhost.evil",
        "http://localhost.evil.com",
        "http://localhost.",
        "http://127.0.0.1.nip.io",
        "http://127.0.0.1.",
        "https://evil.com\\@tenant.ilucca.net",
        "https://evil.com\\.tenant.ilucca.net",
        "https://tenant.ilucca.net@evil.com",
        "https://tenant.ilucca.net:443@evil.com",
        "https://user:pass@tenant.ilucca.net",
        "https://xn--80ak6aa92e.com\u{2024}evil",
        "https://exаmple.com", // Cyrillic а
        "https://tenant\u{3002}ilucca\u{3002}net",
        "https://tenant%2Eilucca.net",
        "https://%74enant.ilucca.net",
        "http://[::1%25eth0]",
        "http://[fe80::1%eth0]:8080",
        "http://[::ffff:127.0.0.1]",
        "http://0177.0.0.1",
        "http://0x7f.0.0.1",
        "http://127.1",
        "http://2130706433",
        "http://0",
        "http://0.0.0.0",
        "http://[::]",
        "https://tenant.ilucca.net:0",
        "https://tenant.ilucca.net:65536",
        "https://tenant.ilucca.net:+443",
        "https://tenant.ilucca.net:-1",
        "https://tenant.ilucca.net: 443",
        "https:///tenant.ilucca.net",
        "https:/tenant.ilucca.net",
        "https//tenant.ilucca.net",
        "ftp://tenant.ilucca.net",
        "javascript://tenant.ilucca.net",
        "https://ten ant.ilucca.net",
        "https://tenant.ilucca.net\r\nHost: evil",
        "https://tenant.ilucca.net\0",
        "https://-tenant.ilucca.net",
        "https://tenant-.ilucca.net",
        "https://tenant..ilucca.net",
        "https://.tenant.ilucca.net",
        "https://tenant.ilucca.net#frag",
        "http://evil.com#@localhost",
        "http://evil.com?@localhost",
        "http://localhost@evil.com",
        "http://evil.com/http://localhost",
    ];
    for input in refused {
        assert!(
            TenantHost::parse(input).is_err(),
            "tenant accepted {input:?}"
        );
        let token_url = format!("{input}/connect/token");
        let token = TokenEndpoint::parse(&token_url);
        // A path after a query/fragment is still part of it; only insist where it matters.
        if !input.contains('?') && !input.contains('#') && !input.contains("/http") {
            assert!(
                token.is_err(),
                "token endpoint accepted {token_url:?}: {token:?}"
            );
        }
    }
    let accepted = [
        (
            "HTTPS://Tenant.ILUCCA.net:443/lucca-api/",
            "https://tenant.ilucca.net",
        ),
        ("HtTp://LOCALHOST:8080", "http://localhost:8080"),
        ("http://[0:0:0:0:0:0:0:1]:80", "http://[::1]"),
        ("http://127.255.255.254", "http://127.255.255.254"),
        ("https://xn--80ak6aa92e.com", "https://xn--80ak6aa92e.com"),
    ];
    for (input, origin) in accepted {
        assert_eq!(
            TenantHost::parse(input).unwrap().origin(),
            origin,
            "{input}"
        );
    }
}

#[test]
fn hostile_header_values_and_scopes_are_refused() {
    for value in [
        "2024-11-01\r\nX-Evil: 1",
        "2024-11-01\nX-Evil: 1",
        "2024-11-01\r",
        "a\0b",
        "a\x7fb",
        "a\tb",
        "é",
        " a",
        "a ",
        "",
    ] {
        assert!(ApiVersion::new(value).is_err(), "api version {value:?}");
        assert!(UserAgent::new(value).is_err(), "user agent {value:?}");
    }
    for scopes in ["a\"b", "a\\b", "a\tb", "a\r\nb", "é", "a\u{0}"] {
        assert!(
            Scopes::parse_space_separated(scopes).is_err(),
            "scopes {scopes:?}"
        );
    }
    assert!(Scopes::parse_space_separated(&"a ".repeat(3000)).is_ok());
    assert!(Scopes::parse_space_separated(&"ab ".repeat(3000)).is_ok());
    let many: String = (0..2000).map(|i| format!("s{i} ")).collect();
    assert!(Scopes::parse_space_separated(&many).is_err());
}

#[test]
fn hostile_request_targets_are_refused() {
    let tenant = TenantHost::parse("https://tenant.ilucca.net").unwrap();
    for path in [
        "//evil.com/x",
        "/\\evil.com/x",
        "\\\\evil.com",
        "https://evil.com/x",
        "evil.com/x",
        "/x\r\nHost: evil",
        "/x y",
        "/x#frag",
        "/x%zz",
        "/x%2",
        "/[x]",
        "",
        "/x\u{2028}",
    ] {
        assert!(tenant.url_for(path).is_err(), "url_for accepted {path:?}");
    }
}
