//! What went wrong in a call ([`Error`], [`Failure`]) and how it left the caller's
//! connections ([`Connections`], [`Host`]).

use core::fmt;

use lucca_auth::codec::{ConnectionMode, ParseError, WriteError};
use lucca_auth::endpoint::EndpointError;
use lucca_auth::time::Instant;
use lucca_auth::token_response::TokenError;

/// Which of the caller's two connections: the token endpoint's host or the tenant's API host.
/// In production they are different hosts, so the caller keeps one connection to each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// The token endpoint's host (`accounts.world.luccasoftware.com` by default).
    Token,
    /// The tenant's API host (`{account}.ilucca.net`).
    Api,
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Host::Token => "token endpoint",
            Host::Api => "API host",
        })
    }
}

/// How a call left the caller's connections: for each host, `None` when the call did not use
/// that connection (keep it as it was), [`ConnectionMode::KeepAlive`] when it may carry the
/// next request, [`ConnectionMode::Close`] when the caller must close it and open a new one
/// before the next call that needs it.
///
/// A connection must be reopened after the server said `Connection: close` (or sent an
/// HTTP/1.0 or close-delimited answer), after sending more bytes than one response, and after
/// any I/O or HTTP error or an oversized response on it: its state is then unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Connections {
    pub(crate) token: Option<ConnectionMode>,
    pub(crate) api: Option<ConnectionMode>,
}

impl Connections {
    /// The states of the token and the API connection (for tests and for callers that
    /// merge the results of several calls).
    #[must_use]
    pub fn new(token: Option<ConnectionMode>, api: Option<ConnectionMode>) -> Self {
        Connections { token, api }
    }

    /// The token connection's state after the call; `None` when the call did not use it.
    #[must_use]
    pub fn token(&self) -> Option<ConnectionMode> {
        self.token
    }

    /// The API connection's state after the call; `None` when the call did not use it.
    #[must_use]
    pub fn api(&self) -> Option<ConnectionMode> {
        self.api
    }

    /// The state of `host`'s connection after the call.
    #[must_use]
    pub fn of(&self, host: Host) -> Option<ConnectionMode> {
        match host {
            Host::Token => self.token,
            Host::Api => self.api,
        }
    }

    /// Whether the caller must open a new connection to `host` before using it again.
    #[must_use]
    pub fn must_reconnect(&self, host: Host) -> bool {
        self.of(host) == Some(ConnectionMode::Close)
    }

    /// Whether the caller must open a new connection to the token endpoint.
    #[must_use]
    pub fn must_reconnect_token(&self) -> bool {
        self.must_reconnect(Host::Token)
    }

    /// Whether the caller must open a new connection to the API host.
    #[must_use]
    pub fn must_reconnect_api(&self) -> bool {
        self.must_reconnect(Host::Api)
    }

    pub(crate) fn set(&mut self, host: Host, mode: ConnectionMode) {
        match host {
            Host::Token => self.token = Some(mode),
            Host::Api => self.api = Some(mode),
        }
    }
}

/// Why a call did not produce a token or an API response.
///
/// Grouped by whose fault it is: the caller's (buffers, request), the network's (I/O), the
/// server's (malformed HTTP, content coding, the token endpoint's refusal), or a state of the
/// token lifecycle (backing off, halted). No variant carries a secret, a token or a response
/// body; [`TokenError`]s come from the core's token machine, which has already removed the
/// client secret from them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Caller: the request buffer cannot hold the request. Nothing was sent.
    RequestBufferTooSmall {
        /// The exact size the request needs.
        needed: usize,
        /// The request buffer's size.
        available: usize,
    },
    /// Caller: the response buffer cannot hold the response (never truncated silently). The
    /// connection must be reopened: the rest of the response is still on it. Also reported
    /// before an API request is sent when the response buffer, which holds the
    /// `Authorization: Bearer` value while the request is written, is shorter than that value.
    ResponseBufferTooSmall {
        /// Whose response.
        host: Host,
        /// The size needed: exact for a `Content-Length` body or the `Authorization` value, a
        /// lower bound for a chunked body, `None` when the head alone does not fit or the body
        /// runs until the connection closes.
        needed: Option<usize>,
        /// The response buffer's size.
        available: usize,
    },
    /// Caller: the API request is malformed (method not a token, a header value with control
    /// bytes, …). Nothing was sent.
    InvalidRequest(WriteError),
    /// Caller: the API path is not a host-absolute path on the tenant (`//other/…`, an
    /// absolute URL, spaces, …). Nothing was sent.
    InvalidPath(EndpointError),
    /// Network: reading or writing the connection failed.
    Io {
        /// Which connection.
        host: Host,
        /// The connection's error kind.
        kind: embedded_io::ErrorKind,
    },
    /// Server (or a stale connection): the bytes received are not a valid HTTP/1.1 response,
    /// or the connection closed before the response was complete.
    /// [`ParseError::ClosedBeforeResponse`] on a kept-alive connection usually means the
    /// server closed it while it was idle: reconnect and call again.
    Http {
        /// Which connection.
        host: Host,
        /// What the codec found.
        error: ParseError,
    },
    /// Server: the API response declares a `Content-Encoding` other than `identity`. We never
    /// ask for one, and the body is not decoded.
    UnsupportedContentEncoding {
        /// The response's status.
        status: u16,
    },
    /// Server: the token endpoint refused the request or answered with something that is not
    /// a usable token (see [`TokenError`] for retryable and fatal kinds).
    Token(TokenError),
    /// No usable token: the token machine is backing off after failures; call again at
    /// `until` or later.
    Backoff {
        /// When a token request may be sent again.
        until: Instant,
        /// The failure that caused the backoff.
        last_error: Option<TokenError>,
    },
    /// No usable token: the token endpoint refused the client in a way retrying cannot fix.
    /// Nothing more is sent until [`TokenMachine::reset`](lucca_auth::machine::TokenMachine::reset)
    /// (through [`Client::machine_mut`](crate::Client::machine_mut)).
    Halted(TokenError),
    /// No usable token and the token machine has a request in flight that this client did not
    /// send (a request started through [`Client::machine_mut`](crate::Client::machine_mut)
    /// and never finished).
    NoUsableToken,
    /// Server: the access token holds bytes that cannot be sent in a header field.
    TokenNotHeaderSafe,
    /// Not a failure of the request: after a 401 the API connection (or, to fetch the new
    /// token, the token connection) was closed by the server, so the retry could not be sent
    /// in this call. Reconnect as [`Error::connections`] says and call again with the same
    /// [`ApiRequest`](crate::ApiRequest): it remembers that it already had its one refresh.
    ReconnectAndResend,
}

impl Failure {
    /// Whether the caller's own input (buffers, request) is at fault.
    #[must_use]
    pub fn is_caller_misuse(&self) -> bool {
        matches!(
            self,
            Failure::RequestBufferTooSmall { .. }
                | Failure::ResponseBufferTooSmall { .. }
                | Failure::InvalidRequest(_)
                | Failure::InvalidPath(_)
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::RequestBufferTooSmall { needed, available } => write!(
                f,
                "request buffer too small: {needed} bytes needed, {available} available"
            ),
            Failure::ResponseBufferTooSmall {
                host,
                needed: Some(needed),
                available,
            } => write!(
                f,
                "response buffer too small for the {host}'s response: {needed} bytes needed, \
                 {available} available"
            ),
            Failure::ResponseBufferTooSmall {
                host,
                needed: None,
                available,
            } => write!(
                f,
                "response buffer too small for the {host}'s response: more than {available} \
                 bytes"
            ),
            Failure::InvalidRequest(error) => write!(f, "invalid API request: {error}"),
            Failure::InvalidPath(error) => write!(f, "invalid API path: {error}"),
            Failure::Io { host, kind } => write!(f, "I/O error on the {host} connection: {kind}"),
            Failure::Http { host, error } => {
                write!(f, "invalid HTTP response from the {host}: {error}")
            }
            Failure::UnsupportedContentEncoding { status } => write!(
                f,
                "API response (status {status}) has a Content-Encoding other than identity"
            ),
            Failure::Token(error) => error.fmt(f),
            Failure::Backoff { until, last_error } => {
                write!(f, "no token until {} ms", until.as_millis())?;
                if let Some(error) = last_error {
                    write!(f, " (after: {error})")?;
                }
                Ok(())
            }
            Failure::Halted(error) => write!(f, "token requests halted: {error}"),
            Failure::NoUsableToken => {
                f.write_str("no usable token and a token request is already in flight")
            }
            Failure::TokenNotHeaderSafe => {
                f.write_str("access token is not safe to send in a header field")
            }
            Failure::ReconnectAndResend => f.write_str(
                "the connection closed after a 401: reconnect and resend the same request",
            ),
        }
    }
}

/// A failed call: the [`Failure`] and how the call left the caller's [`Connections`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    failure: Failure,
    connections: Connections,
}

impl Error {
    pub(crate) fn new(failure: Failure, connections: Connections) -> Self {
        Error {
            failure,
            connections,
        }
    }

    /// What went wrong.
    #[must_use]
    pub fn failure(&self) -> &Failure {
        &self.failure
    }

    /// What went wrong, by value.
    #[must_use]
    pub fn into_failure(self) -> Failure {
        self.failure
    }

    /// How the call left the connections: reopen those it says to.
    #[must_use]
    pub fn connections(&self) -> Connections {
        self.connections
    }

    /// Whether the caller must open a new connection to `host` before using it again.
    #[must_use]
    pub fn must_reconnect(&self, host: Host) -> bool {
        self.connections.must_reconnect(host)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.failure.fmt(f)
    }
}

impl core::error::Error for Error {}
