//! One call of the client ([`Call`]): the order of its exchanges — a token request when the
//! core's token machine asks for one, the API request, and after a 401 one new token and one
//! retry — without any I/O. The blocking and async drivers run the same `Call` and only move
//! bytes: `poll` says which connection to use, `exchange_parts` lends them the request bytes,
//! the response buffer and the [`ResponseReader`], and `handle_exchange` takes what they got.
//!
//! ```text
//!  poll ──► answer stored ─────────────────────────────────────────────► Done
//!       └─► machine.poll(now)
//!             ├─ Use(token) ── token-only call ───────────────────────────► Done
//!             │             └─ API call: write the API request ───────────► Send(Api)
//!             ├─ Send(id) ── write the token request ─────────────────────► Send(Token)
//!             │   (already sent one this attempt, or the token connection
//!             │    is closed: abandon; a still-usable token serves ───────► Send(Api)
//!             │    else ──────────────────────────────────────────────────► Err)
//!             └─ WaitUntil / Halted / AwaitInFlight ──────────────────────► Err
//!  handle_exchange(Token) ─► machine.handle_token_response, or
//!                            handle_transport_error (abandon when the connection was
//!                            stale: closed before any byte); poll again
//!  handle_exchange(Api)   ─► content coding → Err; classify: 401 on the first try →
//!                            invalidate, attempt = retry, poll again; else store the answer
//! ```
//!
//! All decisions are the core's: what the token response means, when a token is due, what an
//! API response means. This module only sequences them and keeps the caller's connections'
//! state.

use lucca_auth::api::{
    AUTHORIZATION, ApiAttempt, ApiResponseClass, AuthorizationError, bearer_authorization_len,
    write_bearer_authorization,
};
use lucca_auth::codec::{ConnectionMode, EMPTY_HEADER, RequestHead, SliceWriter, WriteError};
use lucca_auth::machine::{
    TokenAction, TokenGeneration, TokenMachine, TokenOutcome, TokenRequestId,
};
use lucca_auth::response::Header;
use lucca_auth::time::Instant;
use lucca_auth::token_response::{TransportError, TransportErrorKind};
use zeroize::Zeroize;

use crate::buffers::Buffers;
use crate::client::Settings;
use crate::error::{Connections, Error, Failure, Host};
use crate::reader::{ExchangeError, Exchanged, ResponseReader};
use crate::request::ApiRequest;
use crate::response::ApiResponse;

/// What the driver does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send the request in the request buffer on this host's connection and read the answer.
    Send(Host),
    /// The call is over: a token is usable (token call), or the API answered (API call, with
    /// the retry after a 401 already done when it could be).
    Done,
}

/// The API's final answer.
#[derive(Debug)]
struct Answer {
    exchanged: Exchanged,
    class: ApiResponseClass,
    attempt: ApiAttempt,
    generation: TokenGeneration,
}

/// The exchange a sent request waits for.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Token(TokenRequestId),
    Api(TokenGeneration),
}

/// What the token machine said, owned, so the machine can be used again right away.
enum TokenStep {
    Use(TokenGeneration),
    Send(TokenRequestId),
    Unavailable(Failure),
}

/// One call: a token, or an API request with its token. Dropping it mid-exchange (an async
/// call cancelled) abandons the token request in flight, so the machine does not wait for
/// its answer forever, and wipes the request bytes.
pub(crate) struct Call<'m, 'b, 'r, 'p> {
    machine: &'m mut TokenMachine,
    settings: &'m Settings,
    bufs: Buffers<'b>,
    api: Option<&'r mut ApiRequest<'p>>,
    attempt: ApiAttempt,
    pending: Option<Pending>,
    reader: ResponseReader,
    sent_len: usize,
    /// A token request was sent since the last API attempt.
    token_sent: bool,
    /// How the last token request of this call failed, reported if no token is usable.
    token_failure: Option<Failure>,
    connections: Connections,
    answer: Option<Answer>,
}

impl<'m, 'b, 'r, 'p> Call<'m, 'b, 'r, 'p> {
    /// A call for a token (`api` = `None`) or for an API request.
    pub(crate) fn new(
        machine: &'m mut TokenMachine,
        settings: &'m Settings,
        bufs: Buffers<'b>,
        api: Option<&'r mut ApiRequest<'p>>,
    ) -> Self {
        let attempt = api
            .as_ref()
            .map_or(ApiAttempt::First, |request| request.attempt);
        Call {
            machine,
            settings,
            bufs,
            api,
            attempt,
            pending: None,
            reader: settings.reader(false),
            sent_len: 0,
            token_sent: false,
            token_failure: None,
            connections: Connections::default(),
            answer: None,
        }
    }

    /// How the call has left the connections so far.
    pub(crate) fn connections(&self) -> Connections {
        self.connections
    }

    fn fail(&self, failure: Failure) -> Error {
        Error::new(failure, self.connections)
    }

    /// What to do next. After [`Step::Send`], the request is in the request buffer.
    pub(crate) fn poll(&mut self, now: Instant) -> Result<Step, Error> {
        if self.answer.is_some() {
            return Ok(Step::Done);
        }
        match self.token_step(now) {
            TokenStep::Use(generation) => self.after_token(generation),
            TokenStep::Send(id) => self.send_token_request(now, id),
            TokenStep::Unavailable(failure) => {
                // The failure of this call's own token request says more than the backoff
                // or halt it caused.
                let failure = self.token_failure.take().unwrap_or(failure);
                Err(self.fail(failure))
            }
        }
    }

    fn token_step(&mut self, now: Instant) -> TokenStep {
        match self.machine.poll(now) {
            TokenAction::Use(token) => TokenStep::Use(token.generation()),
            TokenAction::Send(id) => TokenStep::Send(id),
            TokenAction::WaitUntil { until, last_error } => {
                TokenStep::Unavailable(Failure::Backoff {
                    until,
                    last_error: last_error.cloned(),
                })
            }
            TokenAction::Halted(error) => TokenStep::Unavailable(Failure::Halted(error.clone())),
            _ => TokenStep::Unavailable(Failure::NoUsableToken),
        }
    }

    fn send_token_request(&mut self, now: Instant, id: TokenRequestId) -> Result<Step, Error> {
        if self.token_sent || self.connections.must_reconnect_token() {
            // One token request per attempt, and none on a connection the server closed.
            // A token that is still usable (this was a refresh ahead of expiry) serves on.
            self.machine.abandon(id);
            if let Some(token) = self.machine.current().filter(|t| t.is_usable(now)) {
                let generation = token.generation();
                return self.after_token(generation);
            }
            let failure = match self.token_failure.take() {
                Some(failure) => failure,
                None if self.token_sent => Failure::NoUsableToken,
                None => Failure::ReconnectAndResend,
            };
            return Err(self.fail(failure));
        }
        if let Err(failure) = self.write_token_request() {
            self.machine.abandon(id);
            return Err(self.fail(failure));
        }
        self.token_sent = true;
        self.begin(Pending::Token(id), Host::Token)
    }

    /// The API half of [`Call::poll`] once a token is usable.
    fn after_token(&mut self, generation: TokenGeneration) -> Result<Step, Error> {
        if self.api.is_none() {
            return Ok(Step::Done);
        }
        if self.connections.must_reconnect_api() {
            return Err(self.fail(Failure::ReconnectAndResend));
        }
        self.write_api_request()?;
        self.begin(Pending::Api(generation), Host::Api)
    }

    fn begin(&mut self, pending: Pending, host: Host) -> Result<Step, Error> {
        let head_request = matches!(pending, Pending::Api(_))
            && self.api.as_ref().is_some_and(|request| request.is_head());
        self.reader = self.settings.reader(head_request);
        self.pending = Some(pending);
        Ok(Step::Send(host))
    }

    /// Writes the core's token request into the request buffer. With HTTP Basic client
    /// authentication the `Authorization` value is written into the response buffer, which
    /// is free until the answer arrives, and wiped right after: nothing is allocated.
    fn write_token_request(&mut self) -> Result<(), Failure> {
        let request = self.machine.token_request();
        let endpoint = request.endpoint();
        let [content_type, accept, user_agent] = request.header_fields();
        let head = RequestHead::new(request.method(), endpoint.path(), endpoint.host_header())
            .with_connection(self.settings.connection);
        let written = match request.basic_authorization_len() {
            Some(needed) => {
                let available = self.bufs.response.len();
                let Some(scratch) = self.bufs.response.get_mut(..needed) else {
                    return Err(Failure::ResponseBufferTooSmall {
                        host: Host::Token,
                        needed: Some(needed),
                        available,
                    });
                };
                let mut value = SliceWriter::new(scratch);
                request.write_basic_authorization(&mut value);
                let written = match value.finish() {
                    Ok(_) => {
                        let fields = [
                            content_type,
                            accept,
                            user_agent,
                            Header {
                                name: AUTHORIZATION,
                                value: scratch,
                            },
                        ];
                        head.with_headers(&fields)
                            .write_with_body(&request, self.bufs.request)
                            .map_err(write_failure)
                    }
                    // More than the announced length: the response buffer held too little.
                    Err(short) => Err(Failure::ResponseBufferTooSmall {
                        host: Host::Token,
                        needed: Some(short.needed),
                        available,
                    }),
                };
                scratch.zeroize();
                written
            }
            None => {
                let fields = [content_type, accept, user_agent];
                head.with_headers(&fields)
                    .write_with_body(&request, self.bufs.request)
                    .map_err(write_failure)
            }
        };
        self.sent_len = written?;
        Ok(())
    }

    /// Writes the API request with the current token into the request buffer. The
    /// `Bearer` value is built in the response buffer, which is free until the answer
    /// arrives, and wiped right after.
    fn write_api_request(&mut self) -> Result<(), Error> {
        let Some(request) = self.api.as_deref().copied() else {
            return Err(self.fail(Failure::NoUsableToken));
        };
        let target = match self.settings.tenant.request_target(request.path()) {
            Ok(target) => target,
            Err(error) => return Err(self.fail(Failure::InvalidPath(error))),
        };
        let Some(token) = self.machine.current() else {
            return Err(self.fail(Failure::NoUsableToken));
        };
        let token = token.access_token();
        let needed = bearer_authorization_len(token);
        let available = self.bufs.response.len();
        let Some(scratch) = self.bufs.response.get_mut(..needed) else {
            return Err(self.fail(Failure::ResponseBufferTooSmall {
                host: Host::Api,
                needed: Some(needed),
                available,
            }));
        };
        let written = match write_bearer_authorization(token, scratch) {
            Ok(_) => {
                let [authorization, api_version, accept, user_agent] =
                    self.settings.api_headers.fields_with_authorization(scratch);
                let head =
                    RequestHead::new(request.method(), target, self.settings.tenant.host_header())
                        .with_connection(self.settings.connection);
                match (request.content_type(), request.body()) {
                    (Some(content_type), Some(body)) => {
                        let fields = [
                            authorization,
                            api_version,
                            accept,
                            user_agent,
                            Header {
                                name: "Content-Type",
                                value: content_type.as_bytes(),
                            },
                        ];
                        head.with_headers(&fields)
                            .write_with_body(body, self.bufs.request)
                    }
                    _ => {
                        let fields = [authorization, api_version, accept, user_agent];
                        head.with_headers(&fields).write(self.bufs.request)
                    }
                }
                .map_err(write_failure)
            }
            Err(AuthorizationError::BufferTooSmall(short)) => {
                Err(Failure::ResponseBufferTooSmall {
                    host: Host::Api,
                    needed: Some(short.needed),
                    available,
                })
            }
            Err(_) => Err(Failure::TokenNotHeaderSafe),
        };
        scratch.zeroize();
        match written {
            Ok(len) => {
                self.sent_len = len;
                Ok(())
            }
            Err(failure) => Err(self.fail(failure)),
        }
    }

    /// The request bytes to send, the response buffer and its reader, after [`Step::Send`].
    pub(crate) fn exchange_parts(&mut self) -> (&[u8], &mut [u8], &mut ResponseReader) {
        let request = self.bufs.request.get(..self.sent_len).unwrap_or_default();
        (request, self.bufs.response, &mut self.reader)
    }

    /// Takes the outcome of the exchange [`Step::Send`] asked for, at `now`, parsing the
    /// response with `H` header slots.
    pub(crate) fn handle_exchange<const H: usize>(
        &mut self,
        now: Instant,
        result: Result<Exchanged, ExchangeError>,
    ) -> Result<(), Error> {
        self.wipe_request();
        match self.pending.take() {
            Some(Pending::Token(id)) => {
                self.handle_token_exchange::<H>(now, id, result);
                Ok(())
            }
            Some(Pending::Api(generation)) => self.handle_api_exchange::<H>(generation, result),
            None => Ok(()),
        }
    }

    fn handle_token_exchange<const H: usize>(
        &mut self,
        now: Instant,
        id: TokenRequestId,
        result: Result<Exchanged, ExchangeError>,
    ) {
        let outcome = match result {
            Ok(exchanged) => {
                self.connections.set(Host::Token, exchanged.connection);
                let mut headers = [EMPTY_HEADER; H];
                match exchanged.parsed.response(self.bufs.response, &mut headers) {
                    Ok(response) => Ok(self.machine.handle_token_response(now, id, &response)),
                    Err(error) => Err(ExchangeError::Http(error)),
                }
            }
            Err(error) => Err(error),
        };
        // The buffer held the access token (or part of it); the machine has its own copy.
        self.bufs.response.zeroize();
        match outcome {
            Ok(TokenOutcome::Failed(error)) => self.token_failure = Some(Failure::Token(error)),
            Ok(_) => {}
            Err(error) => {
                self.connections.set(Host::Token, ConnectionMode::Close);
                let failure = exchange_failure(Host::Token, error);
                match error {
                    // Nothing came back on a kept-alive connection: the server had closed it
                    // while idle. Not the token endpoint's fault, so no backoff.
                    ExchangeError::Http(lucca_auth::codec::ParseError::ClosedBeforeResponse) => {
                        self.machine.abandon(id);
                    }
                    _ => {
                        let (kind, detail) = transport_error(error);
                        self.machine.handle_transport_error(
                            now,
                            id,
                            TransportError::new(kind).with_detail(detail),
                        );
                    }
                }
                self.token_failure = Some(failure);
            }
        }
    }

    fn handle_api_exchange<const H: usize>(
        &mut self,
        generation: TokenGeneration,
        result: Result<Exchanged, ExchangeError>,
    ) -> Result<(), Error> {
        let exchanged = match result {
            Ok(exchanged) => exchanged,
            Err(error) => {
                self.connections.set(Host::Api, ConnectionMode::Close);
                return Err(self.fail(exchange_failure(Host::Api, error)));
            }
        };
        self.connections.set(Host::Api, exchanged.connection);
        let parsed = exchanged.parsed;
        if parsed.has_content_coding() {
            return Err(self.fail(Failure::UnsupportedContentEncoding {
                status: parsed.status(),
            }));
        }
        let mut class = {
            let mut headers = [EMPTY_HEADER; H];
            match parsed.response(self.bufs.response, &mut headers) {
                Ok(response) => ApiResponseClass::classify(&response, self.attempt),
                Err(error) => {
                    return Err(self.fail(Failure::Http {
                        host: Host::Api,
                        error,
                    }));
                }
            }
        };
        // A server that echoes the request's `Authorization` in a challenge or problem text
        // must not put the token into what the caller may log.
        if let Some(token) = self
            .machine
            .current()
            .filter(|token| token.generation() == generation)
        {
            class.redact(token.access_token());
        }
        if class == ApiResponseClass::RefreshAndRetry
            && let Some(next) = self.attempt.next_after_refresh()
        {
            self.machine.invalidate(generation);
            self.attempt = next;
            if let Some(request) = self.api.as_deref_mut() {
                request.attempt = next;
            }
            self.token_sent = false;
            self.token_failure = None;
            return Ok(());
        }
        if let Some(request) = self.api.as_deref_mut() {
            request.attempt = ApiAttempt::First;
        }
        self.answer = Some(Answer {
            exchanged,
            class,
            attempt: self.attempt,
            generation,
        });
        Ok(())
    }

    fn wipe_request(&mut self) {
        if let Some(sent) = self.bufs.request.get_mut(..self.sent_len) {
            sent.zeroize();
        }
        self.sent_len = 0;
    }

    /// The API response of a finished call, borrowing the response buffer.
    pub(crate) fn into_api_response(mut self) -> Result<ApiResponse<'b>, Error> {
        let Some(answer) = self.answer.take() else {
            return Err(self.fail(Failure::NoUsableToken));
        };
        let buf: &'b mut [u8] = core::mem::take(&mut self.bufs.response);
        Ok(ApiResponse::new(
            buf,
            answer.exchanged.parsed,
            answer.class,
            answer.attempt,
            answer.generation,
            self.connections,
        ))
    }
}

impl Drop for Call<'_, '_, '_, '_> {
    fn drop(&mut self) {
        if let Some(Pending::Token(id)) = self.pending.take() {
            self.machine.abandon(id);
        }
        self.wipe_request();
    }
}

fn write_failure(error: WriteError) -> Failure {
    match error {
        WriteError::BufferTooSmall { needed, available } => {
            Failure::RequestBufferTooSmall { needed, available }
        }
        other => Failure::InvalidRequest(other),
    }
}

fn exchange_failure(host: Host, error: ExchangeError) -> Failure {
    match error {
        ExchangeError::Io(kind) => Failure::Io { host, kind },
        ExchangeError::Http(error) => Failure::Http { host, error },
        ExchangeError::BufferTooSmall { needed, available } => Failure::ResponseBufferTooSmall {
            host,
            needed,
            available,
        },
    }
}

/// How a failed token exchange is reported to the token machine.
fn transport_error(error: ExchangeError) -> (TransportErrorKind, &'static str) {
    use embedded_io::ErrorKind;
    match error {
        ExchangeError::Io(ErrorKind::TimedOut) => (TransportErrorKind::Timeout, "timed out"),
        ExchangeError::Io(
            ErrorKind::ConnectionRefused | ErrorKind::NotConnected | ErrorKind::AddrNotAvailable,
        ) => (TransportErrorKind::Connect, "not connected"),
        ExchangeError::Io(_) => (TransportErrorKind::Io, "connection read or write failed"),
        ExchangeError::Http(_) => (
            TransportErrorKind::Io,
            "malformed or truncated HTTP response",
        ),
        ExchangeError::BufferTooSmall { .. } => (
            TransportErrorKind::Other,
            "response larger than the caller's buffer",
        ),
    }
}
