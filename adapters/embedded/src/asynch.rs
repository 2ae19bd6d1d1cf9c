//! The async driver: [`Client::token_async`] and [`Client::send_api_async`] over
//! [`embedded_io_async`] connections (embassy-net sockets, embedded-tls, …): the blocking
//! driver's loop with `.await`s. It writes the request bytes, reads into the response buffer
//! until the response is complete, and hands each outcome to the shared `Call`.
//!
//! Cancelling a call (dropping its future, say on a timeout) is safe: a token request in
//! flight is abandoned in the token machine, so the next call may send a new one, and the
//! request bytes are wiped. The connection is then in an unknown state: reopen it.

use embedded_io_async::{Read, Write};
use lucca_auth::time::Instant;

use crate::buffers::Buffers;
use crate::call::{Call, Step};
use crate::client::Client;
use crate::error::{Error, Failure, Host};
use crate::reader::{ExchangeError, Exchanged, NextRead, ResponseReader};
use crate::request::ApiRequest;
use crate::response::{ApiResponse, TokenReady};

impl<const HEADERS: usize> Client<HEADERS> {
    /// [`Client::token`] over an async connection.
    ///
    /// A usable token at `now`: the cached one, or one fetched over `conn`, a connection to
    /// the token endpoint's host (already TLS-wrapped in production).
    ///
    /// Sends at most one token request. When the refresh of a still-valid token fails, the
    /// still-valid token is returned (and the failure is in
    /// [`TokenMachine::last_error`](lucca_auth::machine::TokenMachine::last_error)).
    /// Reopen `conn` when [`TokenReady::must_reconnect`] or [`Error::must_reconnect`] says so.
    ///
    /// # Errors
    /// See [`Failure`]: buffers too small, I/O and HTTP errors, the token endpoint's refusal,
    /// backoff, halt.
    pub async fn token_async<C: Read + Write + ?Sized>(
        &mut self,
        now: Instant,
        conn: &mut C,
        bufs: Buffers<'_>,
    ) -> Result<TokenReady<'_>, Error> {
        let connections = {
            let mut call = Call::new(&mut self.machine, &self.settings, bufs, None);
            loop {
                match call.poll(now)? {
                    Step::Send(_) => {
                        let (request, response, reader) = call.exchange_parts();
                        let result = exchange(conn, request, response, reader).await;
                        call.handle_exchange::<HEADERS>(now, result)?;
                    }
                    Step::Done => break call.connections(),
                }
            }
        };
        match self.machine.current() {
            Some(token) => Ok(TokenReady::new(token, connections.token())),
            None => Err(Error::new(Failure::NoUsableToken, connections)),
        }
    }

    /// [`Client::send_api`] over async connections.
    ///
    /// Sends `request` to the tenant over `api_conn` with a usable token, fetching one over
    /// `token_conn` first when the core's token machine asks for it, and after a 401 fetches a
    /// new token and resends once. Returns the API's answer, whatever its status, in the
    /// response buffer.
    ///
    /// Reopen the connections [`ApiResponse::connections`] or [`Error::connections`] say to.
    /// When the server closed a connection the 401 retry needs, the call ends with
    /// [`Failure::ReconnectAndResend`]: reconnect and call again with the same `request`.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn send_api_async<'b, T, A>(
        &mut self,
        now: Instant,
        token_conn: &mut T,
        api_conn: &mut A,
        request: &mut ApiRequest<'_>,
        bufs: Buffers<'b>,
    ) -> Result<ApiResponse<'b>, Error>
    where
        T: Read + Write + ?Sized,
        A: Read + Write + ?Sized,
    {
        let mut call = Call::new(&mut self.machine, &self.settings, bufs, Some(request));
        loop {
            match call.poll(now)? {
                Step::Send(host) => {
                    let (request, response, reader) = call.exchange_parts();
                    let result = match host {
                        Host::Token => exchange(token_conn, request, response, reader).await,
                        Host::Api => exchange(api_conn, request, response, reader).await,
                    };
                    call.handle_exchange::<HEADERS>(now, result)?;
                }
                Step::Done => return call.into_api_response(),
            }
        }
    }
}

/// Sends `request` on `conn` and reads the response into `response`.
async fn exchange<C: Read + Write + ?Sized>(
    conn: &mut C,
    request: &[u8],
    response: &mut [u8],
    reader: &mut ResponseReader,
) -> Result<Exchanged, ExchangeError> {
    write_all(conn, request).await?;
    conn.flush().await.map_err(io_error)?;
    loop {
        let step = match reader.next_read(response.len()) {
            NextRead::Buffer(at) => {
                let room = response.get_mut(at..).unwrap_or_default();
                let n = conn.read(room).await.map_err(io_error)?;
                reader.handle_read(response, n)?
            }
            NextRead::Probe => {
                let mut probe = [0u8; 1];
                let n = conn.read(&mut probe).await.map_err(io_error)?;
                reader.handle_probe(response, n)?
            }
        };
        if let Some(exchanged) = step {
            return Ok(exchanged);
        }
    }
}

/// `Write::write_all`, except that a connection that accepts nothing is an error, not a panic.
async fn write_all<C: Write + ?Sized>(conn: &mut C, mut bytes: &[u8]) -> Result<(), ExchangeError> {
    while !bytes.is_empty() {
        match conn.write(bytes).await {
            Ok(0) => return Err(ExchangeError::Io(embedded_io::ErrorKind::WriteZero)),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(error) => return Err(io_error(error)),
        }
    }
    Ok(())
}

fn io_error<E: embedded_io::Error>(error: E) -> ExchangeError {
    ExchangeError::Io(error.kind())
}
