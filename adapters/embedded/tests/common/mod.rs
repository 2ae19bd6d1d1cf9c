//! Test support: an in-memory connection (blocking and async) that answers each request with
//! the next scripted response, read back in the pieces a test chooses; configurations; and an
//! owned summary of a call's outcome so outcomes of different runs compare.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::future::pending;
use std::time::Duration;

use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::codec::ConnectionMode;
use lucca_auth::config::{ClientAuthMethod, ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::TokenSnapshot;
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{AccessToken, ClientId, ClientSecret};
use lucca_auth::time::{Instant, UnixTime};
use lucca_auth_embedded::{ApiResponse, Client, Connections, Error, Failure, TokenReady};

/// How a [`MockConn`] hands out a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// As much as the reader asks for.
    Whole,
    /// A first read stops at this offset of the response; the next ones give the rest.
    SplitAt(usize),
    /// One byte per read.
    Bytewise,
}

/// A connection that answers the n-th request (ended by a flush) with the n-th scripted
/// response, then reports end of stream. What was written is kept, request by request.
#[derive(Debug)]
pub struct MockConn {
    script: VecDeque<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    mode: ReadMode,
    writing: Vec<u8>,
    /// Every request written, one entry per flush.
    pub requests: Vec<Vec<u8>>,
    /// Reads fail with this once the current response is exhausted.
    pub read_error: Option<embedded_io::ErrorKind>,
    /// Writes fail with this.
    pub write_error: Option<embedded_io::ErrorKind>,
    /// The async reader waits forever instead of reporting end of stream.
    pub hang_when_empty: bool,
}

impl MockConn {
    pub fn new<I: IntoIterator<Item = Vec<u8>>>(script: I) -> Self {
        MockConn {
            script: script.into_iter().collect(),
            current: Vec::new(),
            pos: 0,
            mode: ReadMode::Whole,
            writing: Vec::new(),
            requests: Vec::new(),
            read_error: None,
            write_error: None,
            hang_when_empty: false,
        }
    }

    pub fn with_mode(mut self, mode: ReadMode) -> Self {
        self.mode = mode;
        self
    }

    /// Responses not yet sent.
    pub fn unsent(&self) -> usize {
        self.script.len() + usize::from(self.pos < self.current.len())
    }

    fn next_len(&self, room: usize) -> usize {
        let rest = self.current.len() - self.pos;
        let limit = match self.mode {
            ReadMode::Whole => rest,
            ReadMode::SplitAt(at) if self.pos < at => (at - self.pos).min(rest),
            ReadMode::SplitAt(_) => rest,
            ReadMode::Bytewise => rest.min(1),
        };
        limit.min(room)
    }

    fn read_now(&mut self, buf: &mut [u8]) -> Result<usize, embedded_io::ErrorKind> {
        if self.pos >= self.current.len()
            && let Some(kind) = self.read_error
        {
            return Err(kind);
        }
        let n = self.next_len(buf.len());
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }

    fn write_now(&mut self, buf: &[u8]) -> Result<usize, embedded_io::ErrorKind> {
        if let Some(kind) = self.write_error {
            return Err(kind);
        }
        self.writing.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush_now(&mut self) {
        if !self.writing.is_empty() {
            self.requests.push(std::mem::take(&mut self.writing));
            self.current = self.script.pop_front().unwrap_or_default();
            self.pos = 0;
        }
    }
}

impl embedded_io::ErrorType for MockConn {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Read for MockConn {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.read_now(buf)
    }
}

impl embedded_io::Write for MockConn {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.write_now(buf)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.flush_now();
        Ok(())
    }
}

impl embedded_io_async::Read for MockConn {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if self.hang_when_empty && self.pos >= self.current.len() {
            pending::<()>().await;
        }
        self.read_now(buf)
    }
}

impl embedded_io_async::Write for MockConn {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.write_now(buf)
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        self.flush_now();
        Ok(())
    }
}

pub const TENANT: &str = "https://acme.ilucca.net";
pub const SECRET: &str = "Ab+1/c=d&e%f";

/// The shared cases' client: `demo-integration` with a secret that needs form-encoding.
pub fn config(method: ClientAuthMethod) -> LuccaConfig {
    LuccaConfig::new(
        ClientCredentials::new(ClientId::new("demo-integration"), ClientSecret::new(SECRET))
            .with_method(method),
        TenantHost::parse(TENANT).expect("valid tenant"),
    )
    .with_scopes(
        Scopes::parse_space_separated("leaves.readwrite leave-requests.readonly")
            .expect("valid scopes"),
    )
}

pub fn client() -> Client {
    Client::new(&config(ClientAuthMethod::RequestBody))
}

/// A client that already holds the token `AT-seeded` for an hour.
pub fn seeded_client() -> Client {
    let mut client = client();
    let snapshot = TokenSnapshot {
        access_token: AccessToken::new("AT-seeded"),
        granted: Scopes::parse_space_separated("leaves.readwrite").expect("valid scope"),
        usable_until: UnixTime::from_secs(1_000_000 + 3600),
    };
    client
        .machine_mut()
        .import(T0, UnixTime::from_secs(1_000_000), Duration::ZERO, snapshot)
        .expect("snapshot imported");
    client
}

pub const T0: Instant = Instant::from_millis(1_000_000);

pub const B05: &[u8] = include_bytes!("../../../../core/tests/data/B05.http");
pub const B17: &[u8] = include_bytes!("../../../../core/tests/data/B17.http");
pub const B18: &[u8] = include_bytes!("../../../../core/tests/data/B18.http");

pub fn ok_json(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub fn token_response(token: &str) -> Vec<u8> {
    ok_json(&format!(
        r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":1800}}"#
    ))
}

/// Everything a call showed, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Token {
        access_token: String,
        generation: u64,
        connection: Option<ConnectionMode>,
    },
    Api {
        status: u16,
        class: ApiResponseClass,
        body: Vec<u8>,
        headers: Vec<(String, Vec<u8>)>,
        attempt: ApiAttempt,
        generation: u64,
        connections: Connections,
    },
    Failed(Failure, Connections),
}

pub fn seen_token(result: Result<TokenReady<'_>, Error>) -> Seen {
    match result {
        Ok(ready) => Seen::Token {
            access_token: ready.token().access_token().secret().to_owned(),
            generation: ready.generation().get(),
            connection: ready.connection(),
        },
        Err(error) => Seen::Failed(error.failure().clone(), error.connections()),
    }
}

pub fn seen_api(result: Result<ApiResponse<'_>, Error>) -> Seen {
    match result {
        Ok(response) => {
            let mut slots = [lucca_auth::codec::EMPTY_HEADER; 64];
            let headers = response
                .response(&mut slots)
                .expect("the response parses again")
                .headers()
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect();
            Seen::Api {
                status: response.status(),
                class: response.class().clone(),
                body: response.body().to_vec(),
                headers,
                attempt: response.attempt(),
                generation: response.token_generation().get(),
                connections: response.connections(),
            }
        }
        Err(error) => Seen::Failed(error.failure().clone(), error.connections()),
    }
}
