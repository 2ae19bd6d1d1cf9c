//! [`Client`]: the token machine and the settings every call uses. The calls themselves are
//! in the `blocking` and `asynch` modules.

use lucca_auth::api::ApiRequestHeaders;
use lucca_auth::codec::{ConnectionMode, Limits};
use lucca_auth::config::LuccaConfig;
use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::TokenMachine;
use lucca_auth::time::Instant;

use crate::reader::ResponseReader;

/// The default number of header slots, [`Client`]'s `HEADERS` parameter.
pub const DEFAULT_HEADER_SLOTS: usize = 32;

/// What every call of a client uses besides the token machine.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) tenant: TenantHost,
    pub(crate) api_headers: ApiRequestHeaders,
    pub(crate) limits: Limits,
    pub(crate) connection: ConnectionMode,
}

impl Settings {
    pub(crate) fn reader(&self, head_request: bool) -> ResponseReader {
        ResponseReader::new(self.limits, head_request, self.connection)
    }
}

/// A Lucca API client over connections the caller opens: the core's
/// [`TokenMachine`] (the token and its lifecycle) plus the tenant and the API request
/// headers.
///
/// Calls: [`token`](Client::token) and [`send_api`](Client::send_api) over blocking
/// [`embedded_io`] connections, [`token_async`](Client::token_async) and
/// [`send_api_async`](Client::send_api_async) over [`embedded_io_async`] ones. Each takes the
/// time from the caller's monotonic clock, the connection(s) and the [`Buffers`](crate::Buffers).
///
/// `HEADERS` is the number of header fields a response may have
/// ([`ParseError::TooManyHeaders`](lucca_auth::codec::ParseError::TooManyHeaders) beyond):
/// the driver parses each response's head into an array of that many slots on its stack
/// (16 bytes a slot on 32-bit targets, 32 on 64-bit ones).
///
/// ```
/// use lucca_auth::config::{ClientCredentials, LuccaConfig};
/// use lucca_auth::endpoint::TenantHost;
/// use lucca_auth::secret::{ClientId, ClientSecret};
/// use lucca_auth_embedded::Client;
///
/// let config = LuccaConfig::new(
///     ClientCredentials::new(ClientId::new("my-app"), ClientSecret::new("s3cr3t")),
///     TenantHost::parse("https://example.ilucca.net")?,
/// );
/// let client = Client::new(&config);
/// assert_eq!(client.tenant().host_header(), "example.ilucca.net");
/// let small: Client<16> = client.with_header_slots::<16>();
/// assert_eq!(small.limits().max_headers(), 16);
/// # Ok::<(), lucca_auth::endpoint::EndpointError>(())
/// ```
#[derive(Debug)]
pub struct Client<const HEADERS: usize = DEFAULT_HEADER_SLOTS> {
    pub(crate) machine: TokenMachine,
    pub(crate) settings: Settings,
}

impl Client {
    /// A client for this configuration: a token machine for its credentials, endpoint,
    /// scopes and policy; API calls to its tenant with its `Api-Version` and `User-Agent`.
    /// Allocates the machine's copies of the configuration (once, here).
    #[must_use]
    pub fn new(config: &LuccaConfig) -> Self {
        Client::from_parts(
            config.token_machine(config.scopes.clone()),
            config.tenant.clone(),
            config.api_request_headers(),
        )
    }
}

impl<const HEADERS: usize> Client<HEADERS> {
    /// A client from a token machine built elsewhere (another scope set, another policy),
    /// the tenant it calls, and the API request headers.
    #[must_use]
    pub fn from_parts(
        machine: TokenMachine,
        tenant: TenantHost,
        api_headers: ApiRequestHeaders,
    ) -> Self {
        Client {
            machine,
            settings: Settings {
                tenant,
                api_headers,
                limits: Limits::new().with_max_headers(HEADERS),
                connection: ConnectionMode::KeepAlive,
            },
        }
    }

    /// The same client with `N` header slots.
    #[must_use]
    pub fn with_header_slots<const N: usize>(self) -> Client<N> {
        let limits = self.settings.limits.with_max_headers(N);
        Client {
            machine: self.machine,
            settings: Settings {
                limits,
                ..self.settings
            },
        }
    }

    /// Caps on response heads and bodies (the core's defaults: 16 KiB of head, 1 MiB of
    /// body); the header count is capped at `HEADERS` whatever `limits` says. The response
    /// buffer is a cap too: a response must fit in it.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.settings.limits = limits.with_max_headers(limits.max_headers().min(HEADERS));
        self
    }

    /// [`ConnectionMode::Close`] sends `Connection: close` with every request, for stacks
    /// that open a connection per request; every result then says to reconnect.
    /// [`ConnectionMode::KeepAlive`] (the default) lets the server keep connections open.
    #[must_use]
    pub fn with_connection_mode(mut self, connection: ConnectionMode) -> Self {
        self.settings.connection = connection;
        self
    }

    /// The limits in force.
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.settings.limits
    }

    /// The connection mode requests ask for.
    #[must_use]
    pub fn connection_mode(&self) -> ConnectionMode {
        self.settings.connection
    }

    /// The tenant the API calls go to.
    #[must_use]
    pub fn tenant(&self) -> &TenantHost {
        &self.settings.tenant
    }

    /// The token machine: the current token, the last error, halted or not.
    #[must_use]
    pub fn machine(&self) -> &TokenMachine {
        &self.machine
    }

    /// The token machine, to [`reset`](TokenMachine::reset) it after a halt, set the refresh
    /// jitter, or import a token.
    pub fn machine_mut(&mut self) -> &mut TokenMachine {
        &mut self.machine
    }

    /// Whether a call at `now` may send a token request: no usable token, or its refresh is
    /// due, and token requests are not halted. A caller that opens its token connection only
    /// when needed asks this first (a kept-alive connection left idle for the ~25 minutes
    /// between refreshes has usually been closed by the server).
    #[must_use]
    pub fn needs_token_connection(&self, now: Instant) -> bool {
        if self.machine.is_halted() {
            return false;
        }
        self.machine
            .current()
            .is_none_or(|token| !token.is_usable(now) || now >= token.refresh_at())
    }
}
