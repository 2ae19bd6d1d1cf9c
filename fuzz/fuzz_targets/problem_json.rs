//! `application/problem+json` bodies, alone and through the API response classifier.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::problem::{PROBLEM_JSON, Problem};
use lucca_auth::response::{Header, HttpResponse};

/// Statuses the classifier treats differently, picked by the first input byte.
const STATUSES: [u16; 8] = [400, 404, 409, 422, 401, 403, 429, 503];

fuzz_target!(|input: &[u8]| {
    let (status, body) = match input {
        [first, body @ ..] => (STATUSES[usize::from(*first) % STATUSES.len()], body),
        [] => (400, input),
    };
    let problem = Problem::parse(body);
    if let Some(problem) = &problem {
        assert_ne!(problem, &Problem::default());
        let _ = format!("{problem:?}");
        for (field, _) in &problem.errors {
            assert!(problem.errors_for(field).is_some());
        }
    }
    let headers = [Header {
        name: "Content-Type",
        value: PROBLEM_JSON.as_bytes(),
    }];
    let response = HttpResponse::new(status, &headers, body);
    for attempt in [ApiAttempt::First, ApiAttempt::RetryAfterRefresh] {
        let class = ApiResponseClass::classify(&response, attempt);
        if let ApiResponseClass::Fatal { problem: seen, .. } = &class {
            assert_eq!(seen, &problem);
        }
        let _ = format!("{class:?}");
    }
});
