//! What the adapter interop tests (`ureq.rs`, `reqwest.rs`) share: one running peer of each
//! kind per test binary, client configurations pointing at a peer, and the exact answers each
//! peer gives (the rows of `README.md`'s table, as lucca-auth reports them).
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use lucca_auth::config::{ClientAuthMethod, ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth::token_response::{OAuthError, OAuthErrorCode, TokenError};
use lucca_auth_interop::{ClientRole, Peer, PeerClient, PeerConfig, PeerKind};

/// Both client authentication methods, in the order the tests try them.
pub const METHODS: [ClientAuthMethod; 2] =
    [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic];

/// A secret no client has.
pub const WRONG_SECRET: &str = "not-the-secret-0000";

/// The non-ASCII secret of `interop-special-utf8` (Authlib only).
pub const UTF8_SECRET: &str = "p:a+s s/%&=é€";

pub const AUTHLIB_CLIENT_AUTH_FAILED: &str =
    "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post']";
pub const AUTHLIB_UNKNOWN_CLIENT: &str = "The client does not exist on this server.";
pub const AUTHLIB_INVALID_SCOPE: &str = "The requested scope is invalid, unknown, or malformed.";
pub const AUTHLIB_INSUFFICIENT_SCOPE: &str =
    "The request requires higher privileges than provided by the access token.";
pub const OIDC_CLIENT_AUTH_FAILED: &str = "client authentication failed";
pub const OIDC_SCOPE_NOT_ALLOWED: &str = "requested scope is not allowed";
pub const OIDC_INSUFFICIENT_SCOPE: &str = "access token missing required scope";
pub const OIDC_BASIC_NOT_ENCODED: &str =
    "client_id and client_secret in the authorization header are not properly encoded";

/// The peer of `kind` shared by every test of this binary, started on first use with the
/// default configuration (one-hour tokens). It is never dropped: the server exits when this
/// process ends, because it watches its stdin, which closes with the process.
pub fn shared_peer(kind: PeerKind) -> &'static Peer {
    static OIDC_PROVIDER: OnceLock<Peer> = OnceLock::new();
    static AUTHLIB: OnceLock<Peer> = OnceLock::new();
    let cell = match kind {
        PeerKind::OidcProvider => &OIDC_PROVIDER,
        PeerKind::Authlib => &AUTHLIB,
    };
    cell.get_or_init(|| start(kind, PeerConfig::default()))
}

/// A peer of its own (for a short token lifetime), stopped when dropped.
pub fn start(kind: PeerKind, config: PeerConfig) -> Peer {
    Peer::start(kind, config).unwrap_or_else(|e| panic!("starting the {kind} peer: {e}"))
}

/// A peer of `kind` whose tokens live `lifetime` at the client and at its resource.
///
/// oidc-provider writes `exp` in whole seconds (the issue time rounded down), so a token can
/// expire at its resource up to a second before the client's reckoning; one second of
/// `clockTolerance` makes both agree. Authlib counts from the exact issue time.
pub fn start_with_lifetime(kind: PeerKind, lifetime: Duration) -> Peer {
    let clock_tolerance = match kind {
        PeerKind::OidcProvider => Duration::from_secs(1),
        PeerKind::Authlib => Duration::ZERO,
    };
    start(
        kind,
        PeerConfig {
            token_lifetime: lifetime,
            clock_tolerance,
            ..PeerConfig::default()
        },
    )
}

pub fn client(peer: &Peer, role: ClientRole) -> PeerClient {
    peer.client(role)
        .cloned()
        .unwrap_or_else(|| panic!("{} registers no {role:?} client", peer.kind()))
}

/// A configuration for `id`/`secret` at `peer` (token endpoint and tenant), with `scopes`.
pub fn config(
    peer: &Peer,
    id: &str,
    secret: &str,
    method: ClientAuthMethod,
    scopes: &str,
) -> LuccaConfig {
    let tenant = TenantHost::parse(&peer.base_url())
        .unwrap_or_else(|e| panic!("tenant {}: {e}", peer.base_url()));
    let endpoint = TokenEndpoint::parse(&peer.token_url())
        .unwrap_or_else(|e| panic!("token endpoint {}: {e}", peer.token_url()));
    let scopes =
        Scopes::parse_space_separated(scopes).unwrap_or_else(|e| panic!("scopes {scopes:?}: {e}"));
    LuccaConfig::new(
        ClientCredentials::new(ClientId::new(id), ClientSecret::new(secret)).with_method(method),
        tenant,
    )
    .with_token_endpoint(endpoint)
    .with_scopes(scopes)
}

/// A configuration for a registered client.
pub fn client_config(
    peer: &Peer,
    client: &PeerClient,
    method: ClientAuthMethod,
    scopes: &str,
) -> LuccaConfig {
    config(peer, &client.id, &client.secret, method, scopes)
}

pub fn scopes(list: &str) -> Scopes {
    Scopes::parse_space_separated(list).unwrap_or_else(|e| panic!("scopes {list:?}: {e}"))
}

/// What an OAuth error answer is made of (`OAuthError` is non-exhaustive): code, HTTP
/// status, `error_description`, `error_uri` and `Retry-After`.
pub type OAuthParts = (
    OAuthErrorCode,
    u16,
    Option<String>,
    Option<String>,
    Option<Duration>,
);

/// An OAuth error answer with a description, no URI and no `Retry-After`, as both peers send.
pub fn oauth(code: OAuthErrorCode, status: u16, description: &str) -> OAuthParts {
    (code, status, Some(description.to_owned()), None, None)
}

/// The parts of `Error::Token(TokenError::OAuth(..))`; `None` for any other token error.
pub fn oauth_parts(error: &TokenError) -> Option<OAuthParts> {
    match error {
        TokenError::OAuth(OAuthError {
            code,
            description,
            uri,
            status,
            retry_after,
            ..
        }) => Some((
            code.clone(),
            *status,
            description.clone(),
            uri.clone(),
            *retry_after,
        )),
        _ => None,
    }
}

/// A wrong secret: 401 `invalid_client` from both peers, with both methods.
pub fn wrong_secret_error(kind: PeerKind) -> OAuthParts {
    let description = match kind {
        PeerKind::OidcProvider => OIDC_CLIENT_AUTH_FAILED,
        PeerKind::Authlib => AUTHLIB_CLIENT_AUTH_FAILED,
    };
    oauth(OAuthErrorCode::InvalidClient, 401, description)
}

/// An unknown client: 401 from oidc-provider; from Authlib 400 with body credentials and 401
/// with Basic.
pub fn unknown_client_error(kind: PeerKind, method: ClientAuthMethod) -> OAuthParts {
    match (kind, method) {
        (PeerKind::OidcProvider, _) => {
            oauth(OAuthErrorCode::InvalidClient, 401, OIDC_CLIENT_AUTH_FAILED)
        }
        (PeerKind::Authlib, ClientAuthMethod::HttpBasic) => {
            oauth(OAuthErrorCode::InvalidClient, 401, AUTHLIB_UNKNOWN_CLIENT)
        }
        (PeerKind::Authlib, _) => oauth(OAuthErrorCode::InvalidClient, 400, AUTHLIB_UNKNOWN_CLIENT),
    }
}

/// The 403 description each peer's resource sends with `insufficient_scope`.
pub fn insufficient_scope_description(kind: PeerKind) -> &'static str {
    match kind {
        PeerKind::OidcProvider => OIDC_INSUFFICIENT_SCOPE,
        PeerKind::Authlib => AUTHLIB_INSUFFICIENT_SCOPE,
    }
}

/// Runs a test body once per peer kind, in a module per peer, after the harness's skip
/// policy (a loud SKIP when node/npm or python3 are missing; a failure under `CI=true`).
#[macro_export]
macro_rules! peer_tests {
    ($($name:ident),* $(,)?) => {
        mod oidc_provider {
            $(
                #[test]
                fn $name() {
                    let kind = lucca_auth_interop::PeerKind::OidcProvider;
                    if lucca_auth_interop::peer_or_skip(kind, concat!(module_path!(), "::", stringify!($name))) {
                        super::$name(kind);
                    }
                }
            )*
        }
        mod authlib {
            $(
                #[test]
                fn $name() {
                    let kind = lucca_auth_interop::PeerKind::Authlib;
                    if lucca_auth_interop::peer_or_skip(kind, concat!(module_path!(), "::", stringify!($name))) {
                        super::$name(kind);
                    }
                }
            )*
        }
    };
}

/// [`peer_tests!`] for `async fn name(kind)` bodies, each run by the test file's own
/// `block_on`.
#[macro_export]
macro_rules! async_peer_tests {
    ($($name:ident),* $(,)?) => {
        mod oidc_provider {
            $(
                #[test]
                fn $name() {
                    let kind = lucca_auth_interop::PeerKind::OidcProvider;
                    if lucca_auth_interop::peer_or_skip(kind, concat!(module_path!(), "::", stringify!($name))) {
                        super::block_on(super::$name(kind));
                    }
                }
            )*
        }
        mod authlib {
            $(
                #[test]
                fn $name() {
                    let kind = lucca_auth_interop::PeerKind::Authlib;
                    if lucca_auth_interop::peer_or_skip(kind, concat!(module_path!(), "::", stringify!($name))) {
                        super::block_on(super::$name(kind));
                    }
                }
            )*
        }
    };
}
