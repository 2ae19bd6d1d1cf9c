//! Error answers of the token endpoint: like `token_response`, with any 2xx status moved to
//! 4xx, so every input exercises the error path (OAuth error bodies, excerpts, Retry-After).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lucca_auth::token_response::{TokenError, TokenResponseOptions, parse_token_response};
use lucca_auth_fuzz::{check_token_endpoint_answer, with_response};

fuzz_target!(|input: &[u8]| {
    let non_2xx = |status: u16| {
        if (200..300).contains(&status) {
            status + 200
        } else {
            status
        }
    };
    with_response(input, non_2xx, |response| {
        let result = parse_token_response(response, &TokenResponseOptions::default());
        assert!(result.is_err(), "a non-2xx answer gave a token");
        if let Err(TokenError::OAuth(error)) = &result {
            assert!(!error.code.as_str().is_empty());
        }
        check_token_endpoint_answer(response);
    });
});
