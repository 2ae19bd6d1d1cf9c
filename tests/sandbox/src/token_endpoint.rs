//! The token endpoint, `POST /connect/token`: RFC 6749 client credentials grant with client
//! authentication in the body or HTTP Basic (§2.3.1), errors as in §5.2, and the injected
//! [`TokenFault`](crate::TokenFault)s.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::config::is_scope_token;
use crate::fault::{ActiveFault, StatusFault};
use crate::form::{self, FormError};
use crate::listener::CloseConnection;
use crate::state::{Counters, Shared};

/// The path of the token endpoint on its listener.
pub(crate) const TOKEN_PATH: &str = "/connect/token";

/// The `WWW-Authenticate` challenge sent with `invalid_client` when Basic was used.
const BASIC_CHALLENGE: &str = "Basic realm=\"lucca\"";

/// The token listener's routes.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(TOKEN_PATH, any(token_endpoint))
        .fallback(not_found)
        .with_state(shared)
}

async fn not_found() -> Response {
    oauth_error(
        StatusCode::NOT_FOUND,
        "invalid_request",
        "the token endpoint is POST /connect/token",
    )
}

/// An RFC 6749 §5.2 error answer.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    basic_challenge: bool,
}

impl OAuthError {
    fn invalid_request(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            description: description.into(),
            basic_challenge: false,
        }
    }

    fn invalid_client(description: &str, basic_challenge: bool) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_client",
            description: description.into(),
            basic_challenge,
        }
    }

    fn bad_request(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            description: description.into(),
            basic_challenge: false,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = oauth_error(self.status, self.code, &self.description);
        if self.basic_challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(BASIC_CHALLENGE),
            );
        }
        response
    }
}

/// A JSON answer that must not be cached (RFC 6749 §5.1).
fn no_store_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    no_store_json(
        status,
        &json!({"error": code, "error_description": description}),
    )
}

fn status_fault(fault: StatusFault) -> Response {
    let mut response = Response::new(Body::from(fault.body));
    *response.status_mut() = fault.status;
    let headers = response.headers_mut();
    if let Some(content_type) = fault.content_type {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    if let Some(seconds) = fault.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

async fn token_endpoint(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    Counters::bump(&shared.counters.token_requests);
    let mut fault_changes = shared.fault.subscribe();
    let fault = fault_changes.borrow_and_update().clone();
    match fault {
        ActiveFault::None => {}
        ActiveFault::Status(fault) => return status_fault(fault),
        ActiveFault::Hang | ActiveFault::Closed => {
            // Held until the fault changes; an error means the sandbox is going away.
            let _ = fault_changes.changed().await;
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(CloseConnection);
            return response;
        }
    }
    if method != Method::POST {
        let mut response = oauth_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "the token endpoint only accepts POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    match grant(&shared, &headers, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// Everything after the fault and method checks; in RFC order: request syntax, client
/// authentication, grant type, scope.
fn grant(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    check_content_type(headers)?;
    let body = std::str::from_utf8(body)
        .map_err(|_| OAuthError::invalid_request("the body is not form-urlencoded text"))?;
    let parameters = form::oauth_parameters(body).map_err(|error| match error {
        FormError::NotUtf8 => OAuthError::invalid_request("a parameter is not UTF-8"),
        FormError::Repeated(name) => {
            OAuthError::invalid_request(format!("the parameter {name} is repeated"))
        }
    })?;
    let allowed_scopes = authenticate_client(shared, headers, &parameters)?;
    match form::find(&parameters, "grant_type") {
        None => return Err(OAuthError::invalid_request("grant_type is required")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthError::bad_request(
                "unsupported_grant_type",
                "only the client_credentials grant is supported",
            ));
        }
    }
    let granted = granted_scopes(form::find(&parameters, "scope"), allowed_scopes)?;
    let scope = granted.join(" ");
    let Some((access_token, lifetime)) = shared.issue_token(granted) else {
        return Ok(oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "no randomness available to make a token",
        ));
    };
    Counters::bump(&shared.counters.tokens_issued);
    let mut answer = json!({
        "token_type": "bearer",
        "access_token": access_token,
        "expires_in": lifetime.as_secs(),
    });
    if !scope.is_empty()
        && let Value::Object(members) = &mut answer
    {
        members.insert("scope".into(), Value::String(scope));
    }
    Ok(no_store_json(StatusCode::OK, &answer))
}

fn check_content_type(headers: &HeaderMap) -> Result<(), OAuthError> {
    let wrong =
        || OAuthError::invalid_request("the body must be application/x-www-form-urlencoded");
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(wrong)?;
    let mut parts = value.split(';');
    let media_type = parts.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(wrong());
    }
    for parameter in parts {
        if let Some((name, charset)) = parameter.split_once('=') {
            let charset = charset.trim().trim_matches('"');
            if name.trim().eq_ignore_ascii_case("charset") && !charset.eq_ignore_ascii_case("utf-8")
            {
                return Err(OAuthError::invalid_request("the body must be UTF-8"));
            }
        }
    }
    Ok(())
}

/// RFC 6749 §2.3.1: exactly one of HTTP Basic and body parameters; returns the scopes the
/// authenticated client may request.
fn authenticate_client<'a>(
    shared: &'a Shared,
    headers: &HeaderMap,
    parameters: &[(String, String)],
) -> Result<&'a [String], OAuthError> {
    let body_id = form::find(parameters, "client_id");
    let body_secret = form::find(parameters, "client_secret");
    let mut authorization = headers.get_all(header::AUTHORIZATION).iter();
    let (id, secret, basic) = match (authorization.next(), authorization.next()) {
        (None, _) => match (body_id, body_secret) {
            (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned(), false),
            (None, _) => {
                return Err(OAuthError::invalid_client(
                    "no client authentication: send client_id and client_secret",
                    false,
                ));
            }
            (Some(_), None) => {
                return Err(OAuthError::invalid_client(
                    "client authentication failed",
                    false,
                ));
            }
        },
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "the Authorization header is repeated",
            ));
        }
        (Some(value), None) => {
            if body_id.is_some() || body_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method: HTTP Basic or client_id and \
                     client_secret in the body, not both",
                ));
            }
            let (id, secret) = basic_credentials(value)?;
            (id, secret, true)
        }
    };
    shared
        .clients
        .iter()
        .find(|client| client.id == id && client.secret == secret)
        .map(|client| client.allowed_scopes.as_slice())
        .ok_or_else(|| OAuthError::invalid_client("client authentication failed", basic))
}

/// `Basic base64(form-urlencode(id) ":" form-urlencode(secret))`, decoded.
fn basic_credentials(value: &HeaderValue) -> Result<(String, String), OAuthError> {
    let malformed = |why: &str| OAuthError::invalid_client(why, true);
    let text = value
        .to_str()
        .map_err(|_| malformed("malformed Authorization header"))?;
    let (scheme, credentials) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed("unsupported client authentication scheme"));
    }
    let decoded = STANDARD
        .decode(credentials.trim_matches(' '))
        .map_err(|_| malformed("malformed Basic credentials: not base64"))?;
    let decoded = String::from_utf8(decoded)
        .map_err(|_| malformed("malformed Basic credentials: not UTF-8"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| malformed("malformed Basic credentials: no colon"))?;
    let id = form::decode_component(id)
        .map_err(|_| malformed("malformed Basic credentials: client id not UTF-8"))?;
    let secret = form::decode_component(secret)
        .map_err(|_| malformed("malformed Basic credentials: secret not UTF-8"))?;
    Ok((id, secret))
}

/// RFC 6749 §3.3: `scope-token *( SP scope-token )`; none requested means all allowed.
fn granted_scopes(requested: Option<&str>, allowed: &[String]) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(allowed.to_vec());
    };
    let mut granted: Vec<String> = Vec::new();
    for token in requested.split(' ') {
        if !is_scope_token(token) {
            return Err(OAuthError::bad_request(
                "invalid_scope",
                "the scope parameter is malformed",
            ));
        }
        if !granted.iter().any(|seen| seen == token) {
            granted.push(token.to_owned());
        }
    }
    let refused: Vec<&str> = granted
        .iter()
        .filter(|scope| !allowed.contains(scope))
        .map(String::as_str)
        .collect();
    if refused.is_empty() {
        Ok(granted)
    } else {
        Err(OAuthError::bad_request(
            "invalid_scope",
            format!("scope not allowed for this client: {}", refused.join(" ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    #[test]
    fn scopes() {
        type Expected = Result<&'static [&'static str], &'static str>;
        let cases: &[(Option<&str>, Expected)] = &[
            (None, Ok(&["a", "b"])),
            (Some("b"), Ok(&["b"])),
            (Some("b a b"), Ok(&["b", "a"])),
            (Some("c"), Err("scope not allowed for this client: c")),
            (Some("a c d"), Err("scope not allowed for this client: c d")),
            (Some("a  b"), Err("the scope parameter is malformed")),
            (Some(" a"), Err("the scope parameter is malformed")),
            (Some("a\"b"), Err("the scope parameter is malformed")),
        ];
        for (requested, expected) in cases {
            let got = granted_scopes(*requested, &allowed());
            match (got, expected) {
                (Ok(granted), Ok(want)) => assert_eq!(granted, *want, "{requested:?}"),
                (Err(error), Err(want)) => {
                    assert_eq!(error.code, "invalid_scope");
                    assert_eq!(error.description, *want, "{requested:?}");
                }
                (got, _) => panic!("{requested:?}: unexpected {got:?}"),
            }
        }
    }

    #[test]
    fn basic() {
        type Expected = Result<(&'static str, &'static str), &'static str>;
        let cases: &[(&str, Expected)] = &[
            ("Basic YTpi", Ok(("a", "b"))),
            ("basic  YTpi", Ok(("a", "b"))),
            // "a%2Bb:c+d%3A" → id "a+b", secret "c d:"
            ("Basic YSUyQmI6YytkJTNB", Ok(("a+b", "c d:"))),
            (
                "Bearer YTpi",
                Err("unsupported client authentication scheme"),
            ),
            ("Basic !!!", Err("malformed Basic credentials: not base64")),
            ("Basic YWI=", Err("malformed Basic credentials: no colon")),
        ];
        for (header_value, expected) in cases {
            let value = HeaderValue::from_str(header_value).expect("header");
            match (basic_credentials(&value), expected) {
                (Ok((id, secret)), Ok((want_id, want_secret))) => {
                    assert_eq!((id.as_str(), secret.as_str()), (*want_id, *want_secret));
                }
                (Err(error), Err(want)) => {
                    assert_eq!(error.description, *want, "{header_value}");
                    assert!(error.basic_challenge);
                }
                (got, _) => panic!("{header_value}: unexpected {got:?}"),
            }
        }
    }

    #[test]
    fn content_types() {
        let cases: &[(Option<&str>, bool)] = &[
            (Some("application/x-www-form-urlencoded"), true),
            (
                Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
                true,
            ),
            (
                Some("application/x-www-form-urlencoded;charset=\"utf-8\""),
                true,
            ),
            (
                Some("application/x-www-form-urlencoded; charset=latin1"),
                false,
            ),
            (Some("application/json"), false),
            (Some("multipart/form-data; boundary=x"), false),
            (None, false),
        ];
        for (content_type, ok) in cases {
            let mut headers = HeaderMap::new();
            if let Some(value) = content_type {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_str(value).expect("ok"),
                );
            }
            assert_eq!(
                check_content_type(&headers).is_ok(),
                *ok,
                "{content_type:?}"
            );
        }
    }
}
