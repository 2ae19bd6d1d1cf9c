//! The HTTP exchanges, done with ureq: every request configured so that ureq follows no
//! redirect and returns every status as a response, bodies read up to a limit, and ureq's
//! errors mapped to the core's [`TransportError`] without copying their messages.

use std::io::{self, Read};
use std::time::Duration;

use lucca_auth::api::BearerAuthorization;
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::time::UnixTime;
use lucca_auth::token_request::TokenRequest;
use lucca_auth::token_response::{TransportError, TransportErrorKind};
use ureq::http::header::{ACCEPT_ENCODING, AUTHORIZATION};
use ureq::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response};
use ureq::{Agent, Body};
use zeroize::Zeroizing;

use crate::clock;

/// `Accept-Encoding` of every request: responses are never compressed.
const IDENTITY: &str = "identity";

/// Connection and whole-exchange time limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// Connection setup, including TLS.
    pub(crate) connect: Duration,
    /// The whole exchange, from the first byte sent to the last byte of the body.
    pub(crate) global: Duration,
}

/// The ureq agent and the per-request settings applied to every request sent with it.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    agent: Agent,
    timeouts: Option<Timeouts>,
}

/// A response as received: status, header fields, body and the wall clock at reception.
pub(crate) struct Received<B> {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: B,
    pub(crate) received_at: UnixTime,
}

impl<B: AsRef<[u8]>> Received<B> {
    /// Runs `f` on the core's borrowed view of the response.
    pub(crate) fn with_view<R>(&self, f: impl FnOnce(&HttpResponse<'_>) -> R) -> R {
        let headers: Vec<Header<'_>> = self
            .headers
            .iter()
            .map(|(name, value)| Header {
                name: name.as_str(),
                value: value.as_bytes(),
            })
            .collect();
        f(
            &HttpResponse::new(self.status, &headers, self.body.as_ref())
                .with_wall_clock(self.received_at),
        )
    }
}

/// Why an API exchange gave no usable response.
pub(crate) enum ExchangeFailure {
    /// The body was longer than the limit.
    TooLarge,
    /// The request could not be sent or the response not received.
    Transport(TransportError),
}

/// A token request copied out of the token machine, so that it can be sent without holding
/// the machine's lock. Secret parts are zeroized on drop.
pub(crate) struct TokenHttpRequest {
    url: String,
    fields: Vec<(String, Vec<u8>)>,
    basic_authorization: Option<Zeroizing<String>>,
    body: Zeroizing<Vec<u8>>,
    max_body_len: usize,
}

impl TokenHttpRequest {
    /// Copies `request`; the answer will be read up to `max_body_len + 1` bytes (one more
    /// than the core accepts, so that it can tell a body that is too long).
    pub(crate) fn new(request: &TokenRequest<'_>, max_body_len: usize) -> Self {
        TokenHttpRequest {
            url: request.url().to_owned(),
            fields: request
                .header_fields()
                .iter()
                .map(|field| (field.name.to_owned(), field.value.to_vec()))
                .collect(),
            basic_authorization: request.basic_authorization(),
            body: request.body(),
            max_body_len,
        }
    }
}

/// A request refused by the `http` crate's builder (cannot happen with values the core
/// validated).
fn unbuildable() -> TransportError {
    TransportError::new(TransportErrorKind::Other).with_detail("the request could not be built")
}

impl Transport {
    /// Sends with `agent`; `timeouts`, when given, override the agent's for every request.
    pub(crate) fn new(agent: Agent, timeouts: Option<Timeouts>) -> Self {
        Transport { agent, timeouts }
    }

    /// Sends `request` with this client's per-request settings: no redirect is followed
    /// (`max_redirects(0)` returns a 3xx as a response), statuses are never errors, and the
    /// timeouts, when set, replace the agent's. These settings are applied to each request,
    /// so they hold for a caller-built agent too.
    ///
    /// A request that finds its connection closed or reset before any answer — a kept-alive
    /// connection the server closed at the same moment — is sent once more, on a new
    /// connection, when `resend_if_closed` says resending is harmless (token requests and
    /// idempotent API requests: GET, HEAD, PUT, DELETE), as browsers and hyper do. `build` makes the request again.
    fn run<S: ureq::AsSendBody>(
        &self,
        build: impl Fn() -> Result<Request<S>, TransportError>,
        resend_if_closed: bool,
    ) -> Result<Response<Body>, TransportError> {
        match self.run_once(build()?) {
            Err(error) if resend_if_closed && closed_before_answer(&error) => {
                self.run_once(build()?).map_err(transport_error)
            }
            other => other.map_err(transport_error),
        }
    }

    fn run_once<S: ureq::AsSendBody>(
        &self,
        request: Request<S>,
    ) -> Result<Response<Body>, ureq::Error> {
        let mut config = self
            .agent
            .configure_request(request)
            .max_redirects(0)
            .http_status_as_error(false)
            .save_redirect_history(false)
            .accept_encoding(IDENTITY);
        if let Some(timeouts) = self.timeouts {
            config = config
                .timeout_connect(Some(timeouts.connect))
                .timeout_global(Some(timeouts.global));
        }
        self.agent.run(config.build())
    }

    /// Sends a token request and reads its answer.
    pub(crate) fn token_exchange(
        &self,
        request: &TokenHttpRequest,
    ) -> Result<Received<Zeroizing<Vec<u8>>>, TransportError> {
        let build = || {
            let mut builder = Request::builder().method(Method::POST).uri(&request.url);
            for (name, value) in &request.fields {
                builder = builder.header(name.as_str(), value.as_slice());
            }
            builder = builder.header(ACCEPT_ENCODING, IDENTITY);
            if let Some(basic) = &request.basic_authorization {
                let mut value = HeaderValue::from_str(basic).map_err(|_| unbuildable())?;
                value.set_sensitive(true);
                builder = builder.header(AUTHORIZATION, value);
            }
            builder.body(&request.body[..]).map_err(|_| unbuildable())
        };
        // A second token request is harmless: at worst the server issues one more token.
        let response = self.run(build, true)?;
        let (parts, body) = response.into_parts();
        // Allocated once at its final size, so no unzeroized copy of a token is left behind
        // by a reallocation.
        let limit = request.max_body_len.saturating_add(1);
        let mut buffer = Zeroizing::new(Vec::with_capacity(limit));
        read_limited(body, limit, &mut buffer).map_err(|error| io_transport_error(&error))?;
        Ok(Received {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: buffer,
            received_at: clock::wall_now(),
        })
    }

    /// Sends an API request with `authorization` and reads its answer, up to `max_body`
    /// bytes.
    pub(crate) fn api_exchange(
        &self,
        method: &Method,
        url: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Option<&[u8]>,
        authorization: &BearerAuthorization,
        max_body: usize,
    ) -> Result<Received<Vec<u8>>, ExchangeFailure> {
        let failed = |error| ExchangeFailure::Transport(error);
        let mut value =
            HeaderValue::from_str(authorization.secret()).map_err(|_| failed(unbuildable()))?;
        value.set_sensitive(true);
        let builder = || {
            let mut builder = Request::builder()
                .method(method.clone())
                .uri(url)
                .header(AUTHORIZATION, value.clone());
            for (name, value) in headers {
                builder = builder.header(name, value);
            }
            builder.header(ACCEPT_ENCODING, IDENTITY)
        };
        let idempotent = crate::retry::is_idempotent(method);
        let response = match body {
            Some(body) => self.run(
                || builder().body(body).map_err(|_| unbuildable()),
                idempotent,
            ),
            None => self.run(|| builder().body(()).map_err(|_| unbuildable()), idempotent),
        }
        .map_err(failed)?;
        let (parts, body) = response.into_parts();
        let limit = max_body.saturating_add(1);
        let hint = body
            .content_length()
            .and_then(|len| usize::try_from(len).ok())
            .unwrap_or(0)
            .min(limit);
        let mut buffer = Vec::with_capacity(hint);
        read_limited(body, limit, &mut buffer)
            .map_err(|error| failed(io_transport_error(&error)))?;
        if buffer.len() > max_body {
            return Err(ExchangeFailure::TooLarge);
        }
        Ok(Received {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: buffer,
            received_at: clock::wall_now(),
        })
    }
}

/// Whether the peer closed or reset the connection before answering: what a kept-alive
/// connection gives when the server closed it just as the request went out.
fn closed_before_answer(error: &ureq::Error) -> bool {
    matches!(
        error,
        ureq::Error::Io(io) if matches!(
            io.kind(),
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
        )
    )
}

/// Reads at most `limit` bytes of `body` into `buffer`.
fn read_limited(body: Body, limit: usize, buffer: &mut Vec<u8>) -> io::Result<()> {
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    body.into_reader().take(limit).read_to_end(buffer)?;
    Ok(())
}

/// The core's transport error for a ureq error. Only fixed descriptions are kept as detail:
/// ureq's messages can quote URLs (with credentials in them), proxy answers or certificate
/// contents.
pub(crate) fn transport_error(error: ureq::Error) -> TransportError {
    use TransportErrorKind as Kind;
    let (kind, detail) = match &error {
        ureq::Error::Io(io) => return io_transport_error(io),
        ureq::Error::Timeout(which) => (Kind::Timeout, timeout_detail(*which)),
        ureq::Error::HostNotFound => (Kind::Connect, "host not found"),
        ureq::Error::ConnectionFailed => (Kind::Connect, "connection failed"),
        ureq::Error::ConnectProxyFailed(_) | ureq::Error::InvalidProxyUrl => {
            (Kind::Connect, "proxy connection failed")
        }
        ureq::Error::Tls(_) | ureq::Error::Pem(_) | ureq::Error::Rustls(_) => {
            (Kind::Tls, "TLS handshake or certificate failure")
        }
        ureq::Error::TlsRequired => (Kind::Tls, "TLS required"),
        ureq::Error::Protocol(_) => (Kind::Io, "malformed HTTP response"),
        ureq::Error::LargeResponseHeader(..) => (Kind::Io, "response header too large"),
        ureq::Error::BodyStalled => (Kind::Timeout, "response body stalled"),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => (Kind::Other, "invalid request"),
        _ => (Kind::Other, "HTTP client error"),
    };
    TransportError::new(kind).with_detail(detail)
}

/// The core's transport error for an I/O error, looking through a wrapped ureq error.
fn io_transport_error(error: &io::Error) -> TransportError {
    use TransportErrorKind as Kind;
    if let Some(inner) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
    {
        return match inner {
            ureq::Error::Timeout(which) => {
                TransportError::new(Kind::Timeout).with_detail(timeout_detail(*which))
            }
            ureq::Error::BodyStalled => {
                TransportError::new(Kind::Timeout).with_detail("response body stalled")
            }
            ureq::Error::Protocol(_) => {
                TransportError::new(Kind::Io).with_detail("malformed HTTP response")
            }
            _ => TransportError::new(Kind::Io).with_detail("reading the response failed"),
        };
    }
    // Name resolution fails with an error of no stable kind (std's `Uncategorized`); its
    // message is std's fixed "failed to lookup address information: …".
    if error
        .to_string()
        .starts_with("failed to lookup address information")
    {
        return TransportError::new(Kind::Connect).with_detail("could not resolve the host name");
    }
    let kind = match error.kind() {
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::NotFound => Kind::Connect,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Kind::Timeout,
        _ => Kind::Io,
    };
    // An `io::ErrorKind`'s description is a fixed text ("connection refused").
    TransportError::new(kind).with_detail(&error.kind().to_string())
}

/// Which limit fired, as a fixed text.
fn timeout_detail(which: ureq::Timeout) -> &'static str {
    match which {
        ureq::Timeout::Global => "global timeout",
        ureq::Timeout::PerCall => "per-call timeout",
        ureq::Timeout::Resolve => "name resolution timeout",
        ureq::Timeout::Connect => "connect timeout",
        ureq::Timeout::SendRequest | ureq::Timeout::SendBody => "send timeout",
        ureq::Timeout::RecvResponse => "timeout waiting for the response",
        ureq::Timeout::RecvBody => "timeout reading the response body",
        _ => "timeout",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ureq_errors_map_to_kinds_with_fixed_details() {
        let cases: Vec<(ureq::Error, TransportErrorKind, &str)> = vec![
            (
                ureq::Error::Io(io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    "refused by https://user:S3CRET@host/",
                )),
                TransportErrorKind::Connect,
                "connection refused",
            ),
            (
                ureq::Error::Io(io::Error::new(io::ErrorKind::ConnectionReset, "x")),
                TransportErrorKind::Io,
                "connection reset",
            ),
            (
                ureq::Error::Io(io::Error::new(io::ErrorKind::TimedOut, "x")),
                TransportErrorKind::Timeout,
                "timed out",
            ),
            (
                ureq::Error::Timeout(ureq::Timeout::Global),
                TransportErrorKind::Timeout,
                "global timeout",
            ),
            (
                ureq::Error::Timeout(ureq::Timeout::Connect),
                TransportErrorKind::Timeout,
                "connect timeout",
            ),
            (
                ureq::Error::HostNotFound,
                TransportErrorKind::Connect,
                "host not found",
            ),
            // What std's resolver returns when the name does not resolve (its message is
            // fixed; only the resolver's reason after the colon varies).
            (
                ureq::Error::Io(io::Error::other(
                    "failed to lookup address information: Temporary failure in name resolution",
                )),
                TransportErrorKind::Connect,
                "could not resolve the host name",
            ),
            (
                ureq::Error::ConnectionFailed,
                TransportErrorKind::Connect,
                "connection failed",
            ),
            (
                ureq::Error::ConnectProxyFailed("HTTP/1.1 407 S3CRET".into()),
                TransportErrorKind::Connect,
                "proxy connection failed",
            ),
            (
                ureq::Error::Tls("bad certificate"),
                TransportErrorKind::Tls,
                "TLS handshake or certificate failure",
            ),
            (
                ureq::Error::BadUri("https://user:S3CRET@host/".into()),
                TransportErrorKind::Other,
                "invalid request",
            ),
            (
                ureq::Error::TooManyRedirects,
                TransportErrorKind::Other,
                "HTTP client error",
            ),
        ];
        for (error, kind, detail) in cases {
            let mapped = transport_error(error);
            assert_eq!(mapped.kind(), kind);
            assert_eq!(mapped.detail(), Some(detail));
            assert!(!format!("{mapped} {mapped:?}").contains("S3CRET"));
        }
    }

    #[test]
    fn wrapped_ureq_errors_are_looked_through() {
        let wrapped = ureq::Error::Timeout(ureq::Timeout::RecvBody).into_io();
        let mapped = io_transport_error(&wrapped);
        assert_eq!(mapped.kind(), TransportErrorKind::Timeout);
        assert_eq!(mapped.detail(), Some("timeout reading the response body"));
    }
}
