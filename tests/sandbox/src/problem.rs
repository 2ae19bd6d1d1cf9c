//! RFC 7807 `application/problem+json` error answers, shaped like ASP.NET Core's (Lucca's
//! API runs on it): `type`, `title`, `status`, `detail`, `traceId`, and `errors` for
//! validation failures.

use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::state::random_bytes;

/// The problem `type` URI and `title` for a status.
fn type_and_title(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "Bad Request",
        ),
        401 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.2",
            "Unauthorized",
        ),
        403 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.4",
            "Forbidden",
        ),
        404 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.5",
            "Not Found",
        ),
        405 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.6",
            "Method Not Allowed",
        ),
        415 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.16",
            "Unsupported Media Type",
        ),
        429 => (
            "https://tools.ietf.org/html/rfc6585#section-4",
            "Too Many Requests",
        ),
        _ => ("about:blank", "Error"),
    }
}

/// A W3C trace-context id like ASP.NET Core's: `00-<32 hex>-<16 hex>-00`.
pub(crate) fn trace_id() -> String {
    let bytes = random_bytes::<24>().unwrap_or([0; 24]);
    let mut hex = String::with_capacity(55);
    hex.push_str("00-");
    for (index, byte) in bytes.iter().enumerate() {
        if index == 16 {
            hex.push('-');
        }
        let _ = write!(hex, "{byte:02x}");
    }
    hex.push_str("-00");
    hex
}

/// A problem+json answer under construction.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    detail: String,
    errors: Map<String, Value>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            errors: Map::new(),
            headers: Vec::new(),
        }
    }

    /// Adds a validation message for `field` (ASP.NET's `errors` member).
    pub(crate) fn field_error(mut self, field: &str, message: impl Into<String>) -> Self {
        let message = Value::String(message.into());
        match self.errors.get_mut(field) {
            Some(Value::Array(messages)) => messages.push(message),
            _ => {
                self.errors
                    .insert(field.to_owned(), Value::Array(vec![message]));
            }
        }
        self
    }

    /// Adds a response header (the value must be a valid header value: it is built from
    /// constants and our own formatting).
    pub(crate) fn header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn body(&self, trace_id: &str) -> Value {
        let (type_, title) = type_and_title(self.status);
        let mut body = json!({
            "type": type_,
            "title": title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "traceId": trace_id,
        });
        if !self.errors.is_empty()
            && let Value::Object(members) = &mut body
        {
            members.insert("errors".into(), Value::Object(self.errors.clone()));
        }
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.body(&trace_id()).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_id_shape() {
        let id = trace_id();
        assert_eq!(id.len(), 55, "{id}");
        assert!(id.starts_with("00-") && id.ends_with("-00"), "{id}");
        assert_eq!(id.as_bytes().get(35), Some(&b'-'), "{id}");
        assert_ne!(trace_id(), trace_id());
    }

    #[test]
    fn bodies() {
        let problem = Problem::new(StatusCode::BAD_REQUEST, "The request is invalid.")
            .field_error("limit", "one")
            .field_error("limit", "two");
        assert_eq!(
            problem.body("t"),
            json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "title": "Bad Request",
                "status": 400,
                "detail": "The request is invalid.",
                "traceId": "t",
                "errors": {"limit": ["one", "two"]},
            })
        );
        let plain = Problem::new(StatusCode::TOO_MANY_REQUESTS, "slow down");
        assert_eq!(
            plain.body("t"),
            json!({
                "type": "https://tools.ietf.org/html/rfc6585#section-4",
                "title": "Too Many Requests",
                "status": 429,
                "detail": "slow down",
                "traceId": "t",
            })
        );
    }
}
