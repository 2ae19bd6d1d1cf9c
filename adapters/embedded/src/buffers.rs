//! [`Buffers`]: the caller's memory for one call — where requests are written and responses
//! are read.

/// The caller-owned buffers a call works in. Nothing else is needed on the request path: the
/// adapter writes each request into `request`, reads each response into `response`, and
/// parses it there (a chunked body is de-chunked in place).
///
/// - `request` holds one whole request: the token request (head, form body with the client
///   secret, or the `Authorization: Basic` field) or the API request (head with the
///   `Authorization: Bearer` field, and the body if any). Around 300 bytes plus the secret or
///   the token and the API body. It is zeroed after each request is sent.
/// - `response` holds one whole response, head and body. A response that does not fit is
///   [`Failure::ResponseBufferTooSmall`](crate::Failure::ResponseBufferTooSmall), never
///   truncated. Before an API request is written it briefly holds the `Bearer` value (then
///   zeroed), and after a token response has been handed to the core it is zeroed too.
///
/// The same two slices serve every exchange of a call (a token fetch, the API request, and
/// after a 401 the new token and the retry); the API response returned borrows `response`.
#[derive(Debug)]
pub struct Buffers<'a> {
    /// Where requests are written.
    pub request: &'a mut [u8],
    /// Where responses are read and parsed.
    pub response: &'a mut [u8],
}

impl<'a> Buffers<'a> {
    /// The buffers for one call.
    #[must_use]
    pub fn new(request: &'a mut [u8], response: &'a mut [u8]) -> Self {
        Buffers { request, response }
    }
}
