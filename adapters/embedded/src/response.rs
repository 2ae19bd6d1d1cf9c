//! What a successful call returns: [`TokenReady`] for a token, [`ApiResponse`] for an API call.

use core::fmt;

use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::codec::{ConnectionMode, ParseError, ParsedResponse};
use lucca_auth::machine::{CachedToken, TokenGeneration};
use lucca_auth::response::{Header, HttpResponse};

use crate::error::{Connections, Host};

/// A usable token, and what getting it did to the token connection.
#[derive(Debug)]
pub struct TokenReady<'c> {
    token: &'c CachedToken,
    connection: Option<ConnectionMode>,
}

impl<'c> TokenReady<'c> {
    pub(crate) fn new(token: &'c CachedToken, connection: Option<ConnectionMode>) -> Self {
        TokenReady { token, connection }
    }

    /// The token (its `Debug` is redacted).
    #[must_use]
    pub fn token(&self) -> &'c CachedToken {
        self.token
    }

    /// Which token it is.
    #[must_use]
    pub fn generation(&self) -> TokenGeneration {
        self.token.generation()
    }

    /// The token connection after the call: `None` when no token request was sent (the token
    /// was cached), else whether it may carry the next request.
    #[must_use]
    pub fn connection(&self) -> Option<ConnectionMode> {
        self.connection
    }

    /// Whether a token request was sent in this call (a first token, a replacement, or a
    /// refresh ahead of expiry — which, if it failed, left the still-valid token in use; see
    /// [`TokenMachine::last_error`](lucca_auth::machine::TokenMachine::last_error)).
    #[must_use]
    pub fn fetched(&self) -> bool {
        self.connection.is_some()
    }

    /// Whether the caller must open a new token connection before the next token request.
    #[must_use]
    pub fn must_reconnect(&self) -> bool {
        self.connection == Some(ConnectionMode::Close)
    }
}

/// The API's answer, borrowing the response buffer: status, body, the core's classification
/// of it, and how the call left both connections.
///
/// Every complete answer is an `ApiResponse`, whatever its status: the
/// [`class`](ApiResponse::class) says what it means (success, missing scope, rate limited, …);
/// a 401 has already been answered with one new token and one retry when it says
/// [`ApiAttempt::RetryAfterRefresh`].
pub struct ApiResponse<'b> {
    buf: &'b [u8],
    parsed: ParsedResponse,
    class: ApiResponseClass,
    attempt: ApiAttempt,
    generation: TokenGeneration,
    connections: Connections,
}

impl<'b> ApiResponse<'b> {
    pub(crate) fn new(
        buf: &'b [u8],
        parsed: ParsedResponse,
        class: ApiResponseClass,
        attempt: ApiAttempt,
        generation: TokenGeneration,
        connections: Connections,
    ) -> Self {
        ApiResponse {
            buf,
            parsed,
            class,
            attempt,
            generation,
            connections,
        }
    }

    /// The status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.parsed.status()
    }

    /// What the answer means, as the core classifies it.
    #[must_use]
    pub fn class(&self) -> &ApiResponseClass {
        &self.class
    }

    /// Whether the status is 2xx.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.class == ApiResponseClass::Success
    }

    /// The complete body (de-chunked), in the response buffer.
    #[must_use]
    pub fn body(&self) -> &'b [u8] {
        self.buf.get(self.parsed.body_range()).unwrap_or_default()
    }

    /// Which try this answer is to: [`ApiAttempt::RetryAfterRefresh`] when the first try got
    /// a 401 and this is the retry with a new token.
    #[must_use]
    pub fn attempt(&self) -> ApiAttempt {
        self.attempt
    }

    /// The token the request was sent with.
    #[must_use]
    pub fn token_generation(&self) -> TokenGeneration {
        self.generation
    }

    /// How the call left the connections.
    #[must_use]
    pub fn connections(&self) -> Connections {
        self.connections
    }

    /// Whether the caller must open a new connection to `host` before using it again.
    #[must_use]
    pub fn must_reconnect(&self, host: Host) -> bool {
        self.connections.must_reconnect(host)
    }

    /// Where the head and body lie in the response buffer, the framing, the connection verdict.
    #[must_use]
    pub fn parsed(&self) -> &ParsedResponse {
        &self.parsed
    }

    /// The whole response with its header fields, parsed into `headers` (at least
    /// [`header_count`](ApiResponse::header_count) slots).
    ///
    /// ```
    /// # fn show(response: &lucca_auth_embedded::ApiResponse<'_>) -> Result<(), lucca_auth::codec::ParseError> {
    /// let mut headers = [lucca_auth::codec::EMPTY_HEADER; 32];
    /// let http = response.response(&mut headers)?;
    /// if let Some(sunset) = lucca_auth::api::sunset(&http) {
    ///     // the API version is going away
    /// }
    /// # Ok(()) }
    /// ```
    pub fn response<'h>(
        &'h self,
        headers: &'h mut [Header<'h>],
    ) -> Result<HttpResponse<'h>, ParseError> {
        self.parsed.response(self.buf, headers)
    }

    /// The number of header fields.
    #[must_use]
    pub fn header_count(&self) -> usize {
        self.parsed.header_count()
    }
}

impl fmt::Debug for ApiResponse<'_> {
    /// Status, class, body length, attempt and connections; never the body, which may hold
    /// personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status())
            .field("class", &self.class)
            .field("body_len", &self.body().len())
            .field("attempt", &self.attempt)
            .field("token_generation", &self.generation)
            .field("connections", &self.connections)
            .finish()
    }
}
