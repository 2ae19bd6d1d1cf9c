//! The blocking driver: [`Client::token`] and [`Client::send_api`] over [`embedded_io`]
//! connections. It writes the request bytes, reads into the response buffer until the
//! response is complete, and hands each outcome to the shared `Call`.

use embedded_io::{Read, Write};
use lucca_auth::time::Instant;

use crate::buffers::Buffers;
use crate::call::{Call, Step};
use crate::client::Client;
use crate::error::{Error, Failure, Host};
use crate::reader::{ExchangeError, Exchanged, NextRead, ResponseReader};
use crate::request::ApiRequest;
use crate::response::{ApiResponse, TokenReady};

impl<const HEADERS: usize> Client<HEADERS> {
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
    pub fn token<C: Read + Write + ?Sized>(
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
                        let result = exchange(conn, request, response, reader);
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
    pub fn send_api<'b, T, A>(
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
                        Host::Token => exchange(token_conn, request, response, reader),
                        Host::Api => exchange(api_conn, request, response, reader),
                    };
                    call.handle_exchange::<HEADERS>(now, result)?;
                }
                Step::Done => return call.into_api_response(),
            }
        }
    }
}

/// Sends `request` on `conn` and reads the response into `response`.
fn exchange<C: Read + Write + ?Sized>(
    conn: &mut C,
    request: &[u8],
    response: &mut [u8],
    reader: &mut ResponseReader,
) -> Result<Exchanged, ExchangeError> {
    write_all(conn, request)?;
    conn.flush().map_err(io_error)?;
    loop {
        let step = match reader.next_read(response.len()) {
            NextRead::Buffer(at) => {
                let room = response.get_mut(at..).unwrap_or_default();
                let n = conn.read(room).map_err(io_error)?;
                reader.handle_read(response, n)?
            }
            NextRead::Probe => {
                let mut probe = [0u8; 1];
                let n = conn.read(&mut probe).map_err(io_error)?;
                reader.handle_probe(response, n)?
            }
        };
        if let Some(exchanged) = step {
            return Ok(exchanged);
        }
    }
}

/// `Write::write_all`, except that a connection that accepts nothing is an error, not a panic.
fn write_all<C: Write + ?Sized>(conn: &mut C, mut bytes: &[u8]) -> Result<(), ExchangeError> {
    while !bytes.is_empty() {
        match conn.write(bytes) {
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
