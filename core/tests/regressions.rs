//! Inputs the fuzz targets in `fuzz/` once failed on, replayed byte for byte with the exact
//! expected result. One test per finding; the name says which target found it.

use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::www_authenticate::{bearer_challenge, challenges, parse_challenges};

/// `www_authenticate`: auth-params after a `token68` challenge were added to it, so a challenge
/// had both (which the grammar forbids) and `Bearer e, error="invalid_token"` read as a Bearer
/// challenge with an error. They are now dropped, like auth-params before any challenge.
#[test]
fn www_authenticate_token68_challenge_takes_no_auth_params() {
    let input: &[u8] = br#"Bearer e, error_desircption="token revokeidrror="invalid_token", error_desircption="token revokeid""#;
    let parsed = parse_challenges(input);
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].scheme(), "Bearer");
    assert_eq!(parsed[0].token68(), Some("e"));
    assert_eq!(parsed[0].params(), &[] as &[(String, String)]);

    // The same across field lines: a line of auth-params does not continue a token68
    // challenge from the line before.
    let headers = [
        Header {
            name: "WWW-Authenticate",
            value: b"Bearer abc==",
        },
        Header {
            name: "WWW-Authenticate",
            value: br#"error="invalid_token""#,
        },
    ];
    let response = HttpResponse::new(401, &headers, b"");
    let all = challenges(&response);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].token68(), Some("abc=="));
    assert!(all[0].params().is_empty());
    let bearer = bearer_challenge(&response).expect("a Bearer challenge");
    assert_eq!(bearer.error, None);
}
