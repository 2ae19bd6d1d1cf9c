//! The API listener: everything under `/lucca-api/`, checked in this order:
//!
//! ```text
//! request ─▶ rate limit ─▶ bearer token ─▶ Api-Version ─▶ resource & method ─▶ scope ─▶ answer
//!              429            401              400             404 / 405          403
//! ```
//!
//! Every request under `/lucca-api/` counts against the rate limit (except those refused
//! with 429), and every request on the listener is counted per path.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::pagination::PageRequest;
use crate::problem::Problem;
use crate::rate_limit::retry_after_secs;
use crate::resources::Resource;
use crate::state::{Counters, Shared, TokenCheck};

/// The prefix of every API path.
pub(crate) const API_PREFIX: &str = "/lucca-api/";

/// The API listener's routes: one handler, so that the checks above run in one place.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(api).with_state(shared)
}

/// A header value made from our own formatting; the fallback is never used in practice
/// (every caller formats printable ASCII).
fn header_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

async fn api(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    shared.counters.count_api_request(path);
    let Some(relative) = path.strip_prefix(API_PREFIX) else {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "The Lucca API lives under /lucca-api/.",
        )
        .into_response();
    };

    if let Err(wait) = shared.admit_api_request() {
        Counters::bump(&shared.counters.api_rate_limited);
        let seconds = retry_after_secs(wait);
        return Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("The API rate limit is exceeded; retry in {seconds} s."),
        )
        .header(header::RETRY_AFTER, HeaderValue::from(seconds))
        .into_response();
    }

    let granted = match authenticate(&shared, &headers) {
        Ok(granted) => granted,
        Err(problem) => {
            Counters::bump(&shared.counters.api_unauthorized);
            return problem.into_response();
        }
    };

    if let Err(problem) = check_api_version(&headers) {
        return problem.into_response();
    }

    let Some(resource) = Resource::from_path(relative) else {
        return Problem::new(
            StatusCode::NOT_FOUND,
            format!("There is no resource at {path}."),
        )
        .into_response();
    };
    let write = match method {
        Method::GET | Method::HEAD => false,
        Method::POST if resource.writable() => true,
        _ => {
            let allow = if resource.writable() {
                "GET, HEAD, POST"
            } else {
                "GET, HEAD"
            };
            return Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{method} is not allowed on {path}."),
            )
            .header(header::ALLOW, HeaderValue::from_static(allow))
            .into_response();
        }
    };

    let rule = resource.scope_rule(write);
    if !rule
        .accepted
        .iter()
        .any(|scope| granted.iter().any(|have| have == scope))
    {
        return Problem::new(
            StatusCode::FORBIDDEN,
            format!("The access token lacks the scope {}.", rule.named),
        )
        .header(
            header::WWW_AUTHENTICATE,
            header_value(format!(
                "Bearer error=\"insufficient_scope\", scope=\"{}\"",
                rule.named
            )),
        )
        .into_response();
    }

    if write {
        create(&shared, resource, path, &headers, &body)
    } else {
        list(&shared, resource, path, uri.query().unwrap_or_default())
    }
}

/// RFC 6750 §3: the bearer token's granted scopes, or the 401 to send.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Vec<String>, Problem> {
    let invalid = |description: &str| {
        Problem::new(StatusCode::UNAUTHORIZED, description).header(
            header::WWW_AUTHENTICATE,
            header_value(format!(
                "Bearer error=\"invalid_token\", error_description=\"{description}\""
            )),
        )
    };
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (Some(value), None) => value,
        (Some(_), Some(_)) => return Err(invalid("The Authorization header is repeated.")),
        (None, _) => {
            // RFC 6750 §3.1: no error code when the request carries no credentials.
            return Err(
                Problem::new(StatusCode::UNAUTHORIZED, "An access token is required.").header(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"lucca\""),
                ),
            );
        }
    };
    let text = value.to_str().unwrap_or_default();
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "The API accepts Bearer access tokens only.",
        )
        .header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"lucca\""),
        ));
    }
    let token = token.trim_matches(' ');
    // RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    let body = token.trim_end_matches('=');
    let well_formed = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !well_formed {
        return Err(invalid("The access token is malformed."));
    }
    match shared.check_token(token) {
        TokenCheck::Valid(scopes) => Ok(scopes),
        TokenCheck::Unknown => Err(invalid("The access token is unknown.")),
        TokenCheck::Expired => Err(invalid("The access token expired.")),
        TokenCheck::Revoked => Err(invalid("The access token was revoked.")),
    }
}

/// `Api-Version: YYYY-MM-DD` is required.
fn check_api_version(headers: &HeaderMap) -> Result<(), Problem> {
    let bad = |message: &str| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "One or more validation errors occurred.",
        )
        .field_error("Api-Version", message)
    };
    let Some(value) = headers.get("api-version") else {
        return Err(bad(
            "The Api-Version header is required (for example 2024-11-01).",
        ));
    };
    let date = value.as_bytes();
    let is_date = date.len() == 10
        && date.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    if is_date {
        Ok(())
    } else {
        Err(bad(
            "The Api-Version header must be a date like 2024-11-01.",
        ))
    }
}

fn list(shared: &Shared, resource: Resource, path: &str, query: &str) -> Response {
    let items = resource.items();
    let request = match PageRequest::parse(resource, query, items.len()) {
        Ok(request) => request,
        Err(error) => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "One or more validation errors occurred.",
            )
            .field_error(error.field, error.message)
            .into_response();
        }
    };
    let base = format!("{}{path}", shared.api_origin);
    json_response(StatusCode::OK, &request.page(resource, items, &base, query))
}

/// POST: answers 201 with the item and a new id; the item is not stored, so lists stay
/// deterministic.
fn create(
    shared: &Shared,
    resource: Resource,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The body must be application/json.",
        )
        .into_response();
    }
    let Ok(Value::Object(mut item)) = serde_json::from_slice::<Value>(body) else {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "One or more validation errors occurred.",
        )
        .field_error(
            "body",
            format!(
                "The body must be a JSON object describing one of {}.",
                resource.name()
            ),
        )
        .into_response();
    };
    let id = shared.next_created_id.fetch_add(1, Ordering::Relaxed);
    item.insert("id".into(), Value::from(id));
    let mut response = json_response(StatusCode::CREATED, &Value::Object(item));
    response.headers_mut().insert(
        header::LOCATION,
        header_value(format!("{}{path}/{id}", shared.api_origin)),
    );
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions() {
        let cases: &[(Option<&str>, bool)] = &[
            (Some("2024-11-01"), true),
            (Some("1999-99-99"), true),
            (Some("2024-11-1"), false),
            (Some("2024/11/01"), false),
            (Some("latest"), false),
            (Some(""), false),
            (None, false),
        ];
        for (value, ok) in cases {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert("api-version", HeaderValue::from_str(value).expect("ok"));
            }
            assert_eq!(check_api_version(&headers).is_ok(), *ok, "{value:?}");
        }
    }
}
