//! Conversions between the codec's vocabulary and the [`http`] crate's types, for
//! adapters built on HTTP clients that speak them (behind the `http` feature, which needs
//! `std`).
//!
//! - [`http_request`]: a method, an absolute URL, header fields and a body →
//!   `http::Request<Vec<u8>>`; [`token_http_request`] does it for a [`TokenRequest`].
//! - [`from_http_response`]: an `http::Response<B>` → the borrowed [`HttpResponse`] the core
//!   classifies, with the header array built in a caller-owned `Vec`.
//!
//! `Host` and `Content-Length` are not added to requests: HTTP clients derive them from the
//! URI and the body.

use alloc::vec::Vec;

use super::WriteError;
use crate::response::{Header, HttpResponse};
use crate::token_request::TokenRequest;

/// Builds an `http::Request` with `method`, the absolute `url`, the `headers` in order and
/// `body`. Errors name the offending part (and field index), never its value.
///
/// ```
/// use lucca_auth::codec::http_types::http_request;
/// use lucca_auth::response::Header;
///
/// let fields = [Header { name: "Accept", value: b"application/json" }];
/// let request = http_request("GET", "https://acme.ilucca.net/lucca-api/leaves", &fields, Vec::new())?;
/// assert_eq!(request.method(), "GET");
/// assert_eq!(request.uri().host(), Some("acme.ilucca.net"));
/// assert_eq!(request.headers()["accept"], "application/json");
/// # Ok::<(), lucca_auth::codec::WriteError>(())
/// ```
pub fn http_request(
    method: &str,
    url: &str,
    headers: &[Header<'_>],
    body: Vec<u8>,
) -> Result<::http::Request<Vec<u8>>, WriteError> {
    let mut request = ::http::Request::new(body);
    *request.method_mut() =
        ::http::Method::from_bytes(method.as_bytes()).map_err(|_| WriteError::InvalidMethod)?;
    *request.uri_mut() = ::http::Uri::try_from(url).map_err(|_| WriteError::InvalidTarget)?;
    let map = request.headers_mut();
    for (index, field) in headers.iter().enumerate() {
        let name = ::http::HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| WriteError::InvalidHeaderName { index })?;
        let value = ::http::HeaderValue::from_bytes(field.value)
            .map_err(|_| WriteError::InvalidHeaderValue { index })?;
        map.append(name, value);
    }
    Ok(request)
}

/// The token request as an `http::Request`: `POST` to the endpoint URL with `Content-Type`,
/// `Accept`, `User-Agent`, `Authorization` (HTTP Basic only, marked sensitive) and the form
/// body.
///
/// # Security warning
///
/// The body (or the `Authorization` value) holds the client secret, and the `http` crate's
/// types do not zeroize their memory on drop. Drop the request as soon as it is sent.
pub fn token_http_request(
    token_request: &TokenRequest<'_>,
) -> Result<::http::Request<Vec<u8>>, WriteError> {
    let mut body = token_request.body();
    let fields = token_request.header_fields();
    let mut request = http_request(
        token_request.method(),
        token_request.url(),
        &fields,
        core::mem::take(&mut *body),
    )?;
    if let Some(authorization) = token_request.basic_authorization() {
        let mut value = ::http::HeaderValue::from_str(&authorization).map_err(|_| {
            WriteError::InvalidHeaderValue {
                index: fields.len(),
            }
        })?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .append(::http::header::AUTHORIZATION, value);
    }
    Ok(request)
}

/// A borrowed [`HttpResponse`] over an `http::Response`: its status, its header fields
/// (collected into `headers`, which is cleared first) and its body bytes.
///
/// Header names come out in the `http` crate's lowercase form; lookups through
/// [`HttpResponse::header`] are case-insensitive anyway. Fields are in the `HeaderMap`'s
/// iteration order: grouped by name, each name's values in the order received.
///
/// ```
/// use lucca_auth::codec::http_types::from_http_response;
///
/// let response = http::Response::builder()
///     .status(429)
///     .header("Retry-After", "30")
///     .body(b"slow down".to_vec())
///     .unwrap();
/// let mut headers = Vec::new();
/// let view = from_http_response(&response, &mut headers);
/// assert_eq!(view.status(), 429);
/// assert_eq!(view.header("retry-after"), Some(&b"30"[..]));
/// assert_eq!(view.body(), b"slow down");
/// ```
pub fn from_http_response<'a, B: AsRef<[u8]>>(
    response: &'a ::http::Response<B>,
    headers: &'a mut Vec<Header<'a>>,
) -> HttpResponse<'a> {
    headers.clear();
    headers.reserve(response.headers().len());
    headers.extend(response.headers().iter().map(|(name, value)| Header {
        name: name.as_str(),
        value: value.as_bytes(),
    }));
    let headers: &'a [Header<'a>] = headers;
    HttpResponse::new(
        response.status().as_u16(),
        headers,
        response.body().as_ref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientAuthMethod, ClientCredentials, UserAgent};
    use crate::endpoint::TokenEndpoint;
    use crate::scope::Scopes;
    use crate::secret::{ClientId, ClientSecret};
    use alloc::vec;

    #[test]
    fn generic_request_rejects_bad_parts() {
        let ok = [Header {
            name: "X-A",
            value: b"b",
        }];
        let cases: [(&str, &str, &[Header<'_>], WriteError); 4] = [
            ("GE T", "https://h/", &ok, WriteError::InvalidMethod),
            ("GET", "https://h/a b", &ok, WriteError::InvalidTarget),
            (
                "GET",
                "https://h/",
                &[Header {
                    name: "X A",
                    value: b"b",
                }],
                WriteError::InvalidHeaderName { index: 0 },
            ),
            (
                "GET",
                "https://h/",
                &[
                    ok[0],
                    Header {
                        name: "X-B",
                        value: b"a\r\nEvil: 1",
                    },
                ],
                WriteError::InvalidHeaderValue { index: 1 },
            ),
        ];
        for (method, url, headers, expected) in cases {
            assert_eq!(
                http_request(method, url, headers, Vec::new()).map(|_| ()),
                Err(expected)
            );
        }
    }

    fn token_request_parts(
        method: ClientAuthMethod,
    ) -> (TokenEndpoint, ClientCredentials, Scopes, UserAgent) {
        (
            TokenEndpoint::default(),
            ClientCredentials::new(
                ClientId::new("demo-integration"),
                ClientSecret::new("Ab+1/c=d&e%f"),
            )
            .with_method(method),
            Scopes::parse_space_separated("leaves.readwrite leave-requests.readonly")
                .expect("valid scopes"),
            UserAgent::default(),
        )
    }

    #[test]
    fn token_request_in_body() {
        let (endpoint, credentials, scopes, user_agent) =
            token_request_parts(ClientAuthMethod::RequestBody);
        let token_request = TokenRequest::new(&endpoint, &credentials, &scopes, &user_agent);
        let request = token_http_request(&token_request).expect("valid request");
        assert_eq!(request.method(), "POST");
        assert_eq!(
            request.uri(),
            "https://accounts.world.luccasoftware.com/connect/token"
        );
        let headers: Vec<(&str, &[u8])> = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
            .collect();
        assert_eq!(
            headers,
            [
                ("content-type", &b"application/x-www-form-urlencoded"[..]),
                ("accept", b"application/json"),
                ("user-agent", user_agent.as_str().as_bytes()),
            ]
        );
        assert_eq!(
            request.body(),
            b"grant_type=client_credentials&client_id=demo-integration\
              &client_secret=Ab%2B1%2Fc%3Dd%26e%25f\
              &scope=leaves.readwrite%20leave-requests.readonly"
        );
    }

    #[test]
    fn token_request_with_basic_auth_is_sensitive() {
        let (endpoint, credentials, scopes, user_agent) =
            token_request_parts(ClientAuthMethod::HttpBasic);
        let token_request = TokenRequest::new(&endpoint, &credentials, &scopes, &user_agent);
        let request = token_http_request(&token_request).expect("valid request");
        let authorization = &request.headers()["authorization"];
        assert!(authorization.is_sensitive());
        // base64("demo-integration:Ab%2B1%2Fc%3Dd%26e%25f")
        assert_eq!(
            authorization.as_bytes(),
            b"Basic ZGVtby1pbnRlZ3JhdGlvbjpBYiUyQjElMkZjJTNEZCUyNmUlMjVm"
        );
        assert_eq!(
            request.body(),
            b"grant_type=client_credentials&scope=leaves.readwrite%20leave-requests.readonly"
        );
    }

    #[test]
    fn response_view_keeps_status_headers_and_body() {
        let mut response = ::http::Response::new(vec![1u8, 2, 3]);
        *response.status_mut() = ::http::StatusCode::FORBIDDEN;
        let map = response.headers_mut();
        map.append(
            "WWW-Authenticate",
            ::http::HeaderValue::from_static("Basic realm=\"a\""),
        );
        map.append(
            "content-type",
            ::http::HeaderValue::from_static("text/plain"),
        );
        map.append(
            "www-authenticate",
            ::http::HeaderValue::from_static("Bearer"),
        );
        let mut headers = vec![Header {
            name: "stale",
            value: b"x",
        }];
        let view = from_http_response(&response, &mut headers);
        assert_eq!(view.status(), 403);
        assert_eq!(view.body(), &[1, 2, 3]);
        let fields: Vec<(&str, &[u8])> = view.headers().iter().map(|h| (h.name, h.value)).collect();
        assert_eq!(
            fields,
            [
                ("www-authenticate", &b"Basic realm=\"a\""[..]),
                ("www-authenticate", b"Bearer"),
                ("content-type", b"text/plain"),
            ]
        );
    }
}
