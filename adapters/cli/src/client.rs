//! The bridge to `lucca-auth-ureq`: a client built from the checked settings, and the
//! adapter's errors mapped onto the exit-code table.

use lucca_auth_ureq::{Error, LuccaClient, RetryPolicy};

use crate::failure::Failure;
use crate::settings::Settings;

/// A blocking client for the checked settings: with `--wait-max`, it waits out the token
/// endpoint's backoff and resends idempotent requests after transient failures, within that
/// total; without, one attempt and no waiting.
pub fn build_client(settings: &Settings) -> LuccaClient {
    let mut builder = LuccaClient::builder(settings.config.clone()).wait_max(settings.wait_max);
    if !settings.wait_max.is_zero() {
        builder = builder.retry_policy(RetryPolicy::new().with_max_total_wait(settings.wait_max));
    }
    if let Some(timeout) = settings.timeout {
        builder = builder.timeouts(timeout, timeout);
    }
    builder.build()
}

/// The exit-code row and JSON fields of an adapter error.
pub fn failure_from_client_error(error: &Error) -> Failure {
    let text = error.to_string();
    match error {
        Error::Token(token) => Failure::from_token_error(token),
        Error::Unauthorized => Failure::unauthorized(text),
        Error::MissingScope {
            required,
            description,
        } => Failure::missing_scope(required, description.clone(), text),
        Error::RateLimited { retry_after } => Failure::rate_limited(*retry_after, text),
        Error::Transient {
            status,
            retry_after,
        } => Failure::transient_status(*status, *retry_after, text),
        Error::Redirect { status } => Failure::redirect(*status, text),
        Error::Api { status, problem } => Failure::api_error(*status, problem.as_deref(), text),
        Error::Transport(transport) => Failure::transport(transport),
        Error::ResponseTooLarge { .. } => Failure::response_too_large(text),
        Error::Pagination(_) | Error::InvalidBody(_) => Failure::invalid_response(None, text),
        Error::InvalidRequest(_) => Failure::usage(text),
        _ => Failure::internal(text),
    }
}
