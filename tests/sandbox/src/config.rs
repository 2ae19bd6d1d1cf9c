//! The sandbox's configuration: client applications, token lifetime, rate limit, ports.

use std::fmt;
use std::time::Duration;

/// Client id of the demo application that [`SandboxConfig::default`] registers.
pub const DEMO_CLIENT_ID: &str = "demo-integration";

/// Client secret of the demo application that [`SandboxConfig::default`] registers.
///
/// This is **not a real secret**: it is a public test value, printed in this documentation
/// and by the command-line tool, and only ever accepted by a local sandbox. It contains
/// `+ / = & %` on purpose, so that a client that forgets to form-encode its credentials
/// fails against the sandbox instead of against a real account.
pub const DEMO_CLIENT_SECRET: &str = "demo+sandbox/not=a&real%secret";

/// Scopes the demo application may request, in the order granted when it asks for none.
///
/// `employees.readonly` is deliberately missing, so that a demo can show the API's 403 for a
/// scope the application was not granted.
pub const DEMO_ALLOWED_SCOPES: [&str; 3] = [
    "leaves.readonly",
    "leaves.readwrite",
    "leave-requests.readonly",
];

/// A client application registered with the sandbox's token endpoint.
///
/// `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientApp {
    /// The `client_id`.
    pub id: String,
    /// The `client_secret`, compared exactly after form-decoding.
    pub secret: String,
    /// Scopes this application may request; a request without `scope` is granted all of
    /// them, in this order.
    pub allowed_scopes: Vec<String>,
}

impl ClientApp {
    /// A client application with the given id, secret and allowed scopes.
    ///
    /// ```
    /// use lucca_auth_sandbox::ClientApp;
    /// let app = ClientApp::new("payroll-sync", "test-secret", ["employees.readonly"]);
    /// assert_eq!(app.allowed_scopes, ["employees.readonly"]);
    /// ```
    pub fn new<S: Into<String>>(
        id: impl Into<String>,
        secret: impl Into<String>,
        allowed_scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
            allowed_scopes: allowed_scopes.into_iter().map(Into::into).collect(),
        }
    }

    /// The demo application: [`DEMO_CLIENT_ID`], [`DEMO_CLIENT_SECRET`],
    /// [`DEMO_ALLOWED_SCOPES`].
    pub fn demo() -> Self {
        Self::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ALLOWED_SCOPES)
    }
}

impl fmt::Debug for ClientApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientApp")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("allowed_scopes", &self.allowed_scopes)
            .finish()
    }
}

/// The API's rate limit: a sliding window.
///
/// Never more than `max_requests` API requests are admitted in any rolling period of length
/// `window`; a request over the limit is answered 429 with `Retry-After` set to the whole
/// seconds (rounded up) until enough admitted requests have left the window for it to be
/// admitted. Every request under `/lucca-api/` counts, whatever its outcome, except those
/// refused with 429 themselves. A zero `window` disables the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Requests admitted in any rolling window.
    pub max_requests: u32,
    /// Length of the rolling window; zero means no limit.
    pub window: Duration,
}

impl RateLimit {
    /// `max_requests` in any rolling `window`.
    pub const fn new(max_requests: u32, window: Duration) -> Self {
        Self {
            max_requests,
            window,
        }
    }

    /// No rate limit at all (for load tests).
    pub const fn unlimited() -> Self {
        Self::new(u32::MAX, Duration::ZERO)
    }

    /// Whether this limit admits every request.
    pub const fn is_unlimited(&self) -> bool {
        self.window.is_zero()
    }
}

impl Default for RateLimit {
    /// Lucca's documented budget: 50 requests per 60 seconds.
    fn default() -> Self {
        Self::new(50, Duration::from_secs(60))
    }
}

/// Everything [`Sandbox::start`](crate::Sandbox::start) needs.
///
/// `Default` is the demo setup: the [`ClientApp::demo`] application, 1800 s tokens, 50 API
/// requests per 60 s, ephemeral ports.
///
/// ```
/// use std::time::Duration;
/// use lucca_auth_sandbox::{ClientApp, RateLimit, SandboxConfig};
/// let config = SandboxConfig::default()
///     .with_client(ClientApp::new("reporting", "test-secret", ["employees.readonly"]))
///     .with_token_lifetime(Duration::from_secs(2))
///     .with_rate_limit(RateLimit::new(3, Duration::from_secs(2)));
/// assert_eq!(config.clients.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// Registered client applications (ids must be unique).
    pub clients: Vec<ClientApp>,
    /// Lifetime of the access tokens issued (`expires_in` is its whole seconds, rounded
    /// down).
    pub token_lifetime: Duration,
    /// The API's rate limit.
    pub rate_limit: RateLimit,
    /// Loopback port of the token endpoint's listener; `None` or `Some(0)` is ephemeral.
    pub token_port: Option<u16>,
    /// Loopback port of the API's listener; `None` or `Some(0)` is ephemeral.
    pub api_port: Option<u16>,
}

impl SandboxConfig {
    /// This configuration with one more client application.
    #[must_use]
    pub fn with_client(mut self, client: ClientApp) -> Self {
        self.clients.push(client);
        self
    }

    /// This configuration with another token lifetime.
    #[must_use]
    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// This configuration with another rate limit.
    #[must_use]
    pub fn with_rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// This configuration with the token endpoint on a fixed loopback port (0: ephemeral).
    #[must_use]
    pub fn with_token_port(mut self, port: u16) -> Self {
        self.token_port = Some(port);
        self
    }

    /// This configuration with the API on a fixed loopback port (0: ephemeral).
    #[must_use]
    pub fn with_api_port(mut self, port: u16) -> Self {
        self.api_port = Some(port);
        self
    }

    /// Checks what the sandbox relies on: non-empty unique client ids and scope tokens made
    /// of RFC 6749 §3.3 characters. Returns a description of the first problem.
    pub(crate) fn problem(&self) -> Option<String> {
        for (index, client) in self.clients.iter().enumerate() {
            if client.id.is_empty() {
                return Some(format!("client application #{index} has an empty id"));
            }
            if self
                .clients
                .iter()
                .take(index)
                .any(|other| other.id == client.id)
            {
                return Some(format!("client id {:?} is registered twice", client.id));
            }
            if let Some(scope) = client.allowed_scopes.iter().find(|s| !is_scope_token(s)) {
                return Some(format!(
                    "client {:?} allows the invalid scope token {scope:?}",
                    client.id
                ));
            }
        }
        None
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            clients: vec![ClientApp::demo()],
            token_lifetime: Duration::from_secs(1800),
            rate_limit: RateLimit::default(),
            token_port: None,
            api_port: None,
        }
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub(crate) fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_token_characters() {
        let cases: &[(&str, bool)] = &[
            ("leaves.readonly", true),
            ("a!#[]~", true),
            ("", false),
            ("a b", false),
            ("a\"b", false),
            ("a\\b", false),
            ("é", false),
            ("a\tb", false),
        ];
        for &(token, expected) in cases {
            assert_eq!(is_scope_token(token), expected, "{token:?}");
        }
    }

    #[test]
    fn config_problems() {
        let ok = SandboxConfig::default();
        assert_eq!(ok.problem(), None);
        let twice = SandboxConfig::default().with_client(ClientApp::demo());
        assert_eq!(
            twice.problem().as_deref(),
            Some("client id \"demo-integration\" is registered twice")
        );
        let empty = SandboxConfig::default().with_client(ClientApp::new("", "s", ["a"]));
        assert_eq!(
            empty.problem().as_deref(),
            Some("client application #1 has an empty id")
        );
        let bad_scope = SandboxConfig::default().with_client(ClientApp::new("x", "s", ["a b"]));
        assert_eq!(
            bad_scope.problem().as_deref(),
            Some("client \"x\" allows the invalid scope token \"a b\"")
        );
    }

    #[test]
    fn debug_redacts_the_secret() {
        let text = format!("{:?}", SandboxConfig::default());
        assert!(!text.contains(DEMO_CLIENT_SECRET), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }

    #[test]
    fn defaults() {
        let config = SandboxConfig::default();
        assert_eq!(config.token_lifetime, Duration::from_secs(1800));
        assert_eq!(
            config.rate_limit,
            RateLimit::new(50, Duration::from_secs(60))
        );
        assert_eq!(config.clients, [ClientApp::demo()]);
        assert_eq!((config.token_port, config.api_port), (None, None));
        assert!(RateLimit::unlimited().is_unlimited());
        assert!(!RateLimit::default().is_unlimited());
    }
}
