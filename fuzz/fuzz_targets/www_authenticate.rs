//! `WWW-Authenticate` field values: the input is one value, and also several field lines
//! (split at LF), read the way the API classifier reads a 401 or 403.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::www_authenticate::{
    BearerChallenge, Challenge, bearer_challenge, challenges, parse_challenges,
};

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn check(challenge: &Challenge) {
    assert!(!challenge.scheme().is_empty());
    assert!(
        challenge.scheme().bytes().all(is_tchar),
        "scheme is a token"
    );
    assert!(
        challenge.token68().is_none() || challenge.params().is_empty(),
        "a token68 and auth-params"
    );
    for (name, _) in challenge.params() {
        assert!(!name.is_empty() && name.bytes().all(is_tchar), "param name");
    }
    if let Some(bearer) = BearerChallenge::from_challenge(challenge) {
        assert!(challenge.is_scheme("bearer"));
        assert!(bearer.scope.iter().all(|s| !s.is_empty()));
    }
}

fuzz_target!(|input: &[u8]| {
    for challenge in parse_challenges(input) {
        check(&challenge);
    }

    let lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    let headers: Vec<Header<'_>> = lines
        .iter()
        .map(|line| Header {
            name: "WWW-Authenticate",
            value: line,
        })
        .collect();
    for status in [401, 403] {
        let response = HttpResponse::new(status, &headers, b"");
        let all = challenges(&response);
        all.iter().for_each(check);
        // Several field lines mean the same as one joined with commas, when no quoted
        // string could run across a line break.
        if !input.contains(&b'"') && !input.contains(&b'\\') {
            assert_eq!(all, parse_challenges(&lines.join(&b", "[..])));
        }
        let bearer = bearer_challenge(&response);
        let class = ApiResponseClass::classify(&response, ApiAttempt::First);
        if let ApiResponseClass::MissingScope {
            required,
            description,
        } = class
        {
            let bearer = bearer.unwrap_or_default();
            assert_eq!(required, bearer.scope);
            assert_eq!(description, bearer.error_description);
        }
    }
});
