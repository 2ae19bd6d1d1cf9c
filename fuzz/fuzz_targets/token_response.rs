//! Token endpoint answers: status, header fields and body from the input (an HTTP/1.x
//! response as in the `.http` cases, or a two-byte status and a body).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lucca_auth_fuzz::{check_token_endpoint_answer, with_response};

fuzz_target!(|input: &[u8]| {
    with_response(input, |status| status, check_token_endpoint_answer);
});
