//! Client configuration values: [`ApiVersion`], [`UserAgent`], [`ClientAuthMethod`] and
//! [`ClientCredentials`], with [`HeaderValueError`] for header values that are refused.
//!
//! `ApiVersion` and `UserAgent` end up verbatim in HTTP header fields, so they are validated
//! once, when built: non-empty, visible ASCII and spaces only (no CR, LF or other control
//! characters, no non-ASCII), no leading or trailing space.
//!
//! ```
//! use lucca_auth::config::{ApiVersion, ClientAuthMethod, ClientCredentials, UserAgent};
//! use lucca_auth::secret::{ClientId, ClientSecret};
//!
//! assert_eq!(ApiVersion::default().as_str(), "2024-11-01");
//! assert!(UserAgent::default().as_str().starts_with("lucca-auth/"));
//!
//! let credentials = ClientCredentials::new(ClientId::new("my-app"), ClientSecret::new("s3cr3t"))
//!     .with_method(ClientAuthMethod::HttpBasic);
//! assert_eq!(credentials.method(), ClientAuthMethod::HttpBasic);
//! assert!(!format!("{credentials:?}").contains("s3cr3t"));
//! ```

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use crate::secret::{ClientId, ClientSecret};

/// Why a header value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderValueError {
    /// The value is empty.
    Empty,
    /// A byte that is neither visible ASCII nor a space (CR, LF, another control character or
    /// part of a non-ASCII character).
    InvalidByte {
        /// Byte offset in the value.
        position: usize,
    },
    /// The value starts or ends with a space (it would be trimmed on the wire).
    SurroundingWhitespace,
}

impl fmt::Display for HeaderValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderValueError::Empty => f.write_str("header value is empty"),
            HeaderValueError::InvalidByte { position } => write!(
                f,
                "header value has a byte that is not visible ASCII or space at offset {position}"
            ),
            HeaderValueError::SurroundingWhitespace => {
                f.write_str("header value starts or ends with a space")
            }
        }
    }
}

impl core::error::Error for HeaderValueError {}

/// Checks that `value` is safe to write as a header field value.
fn check_header_value(value: &str) -> Result<(), HeaderValueError> {
    if value.is_empty() {
        return Err(HeaderValueError::Empty);
    }
    if let Some(position) = value.bytes().position(|b| !(b' '..=b'~').contains(&b)) {
        return Err(HeaderValueError::InvalidByte { position });
    }
    if value.starts_with(' ') || value.ends_with(' ') {
        return Err(HeaderValueError::SurroundingWhitespace);
    }
    Ok(())
}

macro_rules! header_value {
    ($(#[$doc:meta])* $name:ident, default = $default:expr, default_doc = $default_doc:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps a header value: non-empty, visible ASCII and spaces only, no
            /// leading or trailing space.
            pub fn new(value: impl Into<String>) -> Result<Self, HeaderValueError> {
                let value = value.into();
                check_header_value(&value)?;
                Ok($name(value))
            }

            /// The value as sent in the header field.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            #[doc = $default_doc]
            fn default() -> Self {
                $name(String::from($default))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = HeaderValueError;

            fn from_str(s: &str) -> Result<Self, HeaderValueError> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = HeaderValueError;

            fn try_from(s: &str) -> Result<Self, HeaderValueError> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = HeaderValueError;

            fn try_from(s: String) -> Result<Self, HeaderValueError> {
                $name::new(s)
            }
        }
    };
}

header_value! {
    /// The Lucca API version sent in the `Api-Version` header of API requests.
    ///
    /// Only header safety is checked, not the date form, so a future version scheme needs no
    /// library change.
    ///
    /// ```
    /// use lucca_auth::config::{ApiVersion, HeaderValueError};
    ///
    /// assert_eq!(ApiVersion::default().as_str(), ApiVersion::DEFAULT);
    /// assert_eq!(ApiVersion::new("2025-06-01")?.as_str(), "2025-06-01");
    /// assert_eq!(
    ///     ApiVersion::new("2024-11-01\r\nX-Evil: 1"),
    ///     Err(HeaderValueError::InvalidByte { position: 10 })
    /// );
    /// # Ok::<(), HeaderValueError>(())
    /// ```
    ApiVersion,
    default = ApiVersion::DEFAULT,
    default_doc = "[`ApiVersion::DEFAULT`], `2024-11-01`."
}

impl ApiVersion {
    /// The API version this library is written against.
    pub const DEFAULT: &'static str = "2024-11-01";
}

header_value! {
    /// The `User-Agent` header of token and API requests.
    ///
    /// ```
    /// use lucca_auth::config::UserAgent;
    ///
    /// assert_eq!(UserAgent::default().as_str(), UserAgent::DEFAULT);
    /// let custom = UserAgent::new("acme-payroll-sync/2.1 lucca-auth/0.1")?;
    /// assert_eq!(custom.as_str(), "acme-payroll-sync/2.1 lucca-auth/0.1");
    /// # Ok::<(), lucca_auth::config::HeaderValueError>(())
    /// ```
    UserAgent,
    default = UserAgent::DEFAULT,
    default_doc = "[`UserAgent::DEFAULT`], `lucca-auth/<crate version>`."
}

impl UserAgent {
    /// `lucca-auth/<version of this crate>`.
    pub const DEFAULT: &'static str = concat!("lucca-auth/", env!("CARGO_PKG_VERSION"));
}

/// How the client authenticates to the token endpoint (RFC 6749 §2.3.1). Never both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// `client_id` and `client_secret` in the form body: Lucca's documented way.
    #[default]
    RequestBody,
    /// `Authorization: Basic base64(enc(client_id) ":" enc(client_secret))`, each part
    /// form-encoded first; the body then carries neither.
    HttpBasic,
}

/// A client's identity and secret, and how to present them to the token endpoint.
///
/// `Debug` shows the client id and method, never the secret.
///
/// ```
/// use lucca_auth::config::{ClientAuthMethod, ClientCredentials};
/// use lucca_auth::secret::{ClientId, ClientSecret};
///
/// let c = ClientCredentials::new(ClientId::new("app"), ClientSecret::new("pa ss"));
/// assert_eq!(c.method(), ClientAuthMethod::RequestBody);
/// assert_eq!(
///     format!("{c:?}"),
///     r#"ClientCredentials { id: ClientId("app"), secret: ClientSecret([redacted]), method: RequestBody }"#
/// );
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    id: ClientId,
    secret: ClientSecret,
    method: ClientAuthMethod,
}

impl ClientCredentials {
    /// Credentials presented in the request body ([`ClientAuthMethod::RequestBody`]).
    #[must_use]
    pub fn new(id: ClientId, secret: ClientSecret) -> Self {
        ClientCredentials {
            id,
            secret,
            method: ClientAuthMethod::default(),
        }
    }

    /// The same credentials, presented with `method`.
    #[must_use]
    pub fn with_method(mut self, method: ClientAuthMethod) -> Self {
        self.method = method;
        self
    }

    /// The client id.
    #[must_use]
    pub fn id(&self) -> &ClientId {
        &self.id
    }

    /// The client secret, still wrapped: read it only through [`ClientSecret::secret`].
    #[must_use]
    pub fn secret(&self) -> &ClientSecret {
        &self.secret
    }

    /// How the credentials are presented.
    #[must_use]
    pub fn method(&self) -> ClientAuthMethod {
        self.method
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("id", &self.id)
            .field("secret", &format_args!("ClientSecret([redacted])"))
            .field("method", &self.method)
            .finish()
    }
}

/// Everything an adapter needs to talk to Lucca on behalf of one client application: where to
/// get tokens, with which credentials, for which default scopes, and which tenant to call.
///
/// Timeouts and connection settings belong to each adapter.
///
/// ```
/// use lucca_auth::config::{ClientCredentials, LuccaConfig};
/// use lucca_auth::endpoint::TenantHost;
/// use lucca_auth::scope::Scopes;
/// use lucca_auth::secret::{ClientId, ClientSecret};
///
/// let config = LuccaConfig::new(
///     ClientCredentials::new(ClientId::new("my-app"), ClientSecret::new("s3cr3t")),
///     TenantHost::parse("https://example.ilucca.net/lucca-api")?,
/// )
/// .with_scopes(Scopes::parse_space_separated("leaves.readonly")?);
/// assert_eq!(config.token_endpoint.as_str(), "https://accounts.world.luccasoftware.com/connect/token");
/// assert_eq!(config.tenant.origin(), "https://example.ilucca.net");
/// assert_eq!(config.api_version.as_str(), "2024-11-01");
/// assert!(!format!("{config:?}").contains("s3cr3t"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LuccaConfig {
    /// The token endpoint (default: Lucca's global one).
    pub token_endpoint: crate::endpoint::TokenEndpoint,
    /// The client application's credentials.
    pub credentials: ClientCredentials,
    /// The tenant's API origin.
    pub tenant: crate::endpoint::TenantHost,
    /// The scopes requested by default (empty: every scope the application has).
    pub scopes: crate::scope::Scopes,
    /// The `Api-Version` sent with API calls.
    pub api_version: ApiVersion,
    /// The `User-Agent` sent with every request.
    pub user_agent: UserAgent,
    /// The token lifecycle policy.
    pub policy: crate::machine::TokenPolicy,
}

impl LuccaConfig {
    /// A configuration with Lucca's defaults: the global token endpoint, no explicit scopes,
    /// `Api-Version` 2024-11-01, the default `User-Agent` and token policy.
    #[must_use]
    pub fn new(credentials: ClientCredentials, tenant: crate::endpoint::TenantHost) -> Self {
        LuccaConfig {
            token_endpoint: crate::endpoint::TokenEndpoint::default(),
            credentials,
            tenant,
            scopes: crate::scope::Scopes::default(),
            api_version: ApiVersion::default(),
            user_agent: UserAgent::default(),
            policy: crate::machine::TokenPolicy::default(),
        }
    }

    /// The same configuration with another token endpoint.
    #[must_use]
    pub fn with_token_endpoint(mut self, endpoint: crate::endpoint::TokenEndpoint) -> Self {
        self.token_endpoint = endpoint;
        self
    }

    /// The same configuration with another default scope set.
    #[must_use]
    pub fn with_scopes(mut self, scopes: crate::scope::Scopes) -> Self {
        self.scopes = scopes;
        self
    }

    /// The same configuration with another `Api-Version`.
    #[must_use]
    pub fn with_api_version(mut self, api_version: ApiVersion) -> Self {
        self.api_version = api_version;
        self
    }

    /// The same configuration with another `User-Agent`.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: UserAgent) -> Self {
        self.user_agent = user_agent;
        self
    }

    /// The same configuration with another token policy.
    #[must_use]
    pub fn with_policy(mut self, policy: crate::machine::TokenPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// A token machine for `scopes` under this configuration.
    #[must_use]
    pub fn token_machine(&self, scopes: crate::scope::Scopes) -> crate::machine::TokenMachine {
        crate::machine::TokenMachine::with_policy(
            crate::machine::TokenClient {
                endpoint: self.token_endpoint.clone(),
                credentials: self.credentials.clone(),
                scopes,
                user_agent: self.user_agent.clone(),
            },
            self.policy.clone(),
        )
    }

    /// The header fields every API call carries besides `Authorization`.
    #[must_use]
    pub fn api_request_headers(&self) -> crate::api::ApiRequestHeaders {
        crate::api::ApiRequestHeaders::new()
            .with_api_version(self.api_version.clone())
            .with_user_agent(self.user_agent.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn header_value_validation_table() {
        let cases: &[(&str, Result<(), HeaderValueError>)] = &[
            ("2024-11-01", Ok(())),
            ("lucca-auth/0.1.0 (+https://example.com; x=1)", Ok(())),
            ("a b", Ok(())),
            ("!~", Ok(())),
            ("", Err(HeaderValueError::Empty)),
            (" ", Err(HeaderValueError::SurroundingWhitespace)),
            (" x", Err(HeaderValueError::SurroundingWhitespace)),
            ("x ", Err(HeaderValueError::SurroundingWhitespace)),
            ("a\r\nb", Err(HeaderValueError::InvalidByte { position: 1 })),
            ("ab\n", Err(HeaderValueError::InvalidByte { position: 2 })),
            ("a\tb", Err(HeaderValueError::InvalidByte { position: 1 })),
            ("\0", Err(HeaderValueError::InvalidByte { position: 0 })),
            ("x\x7f", Err(HeaderValueError::InvalidByte { position: 1 })),
            ("é", Err(HeaderValueError::InvalidByte { position: 0 })),
        ];
        for &(input, expected) in cases {
            assert_eq!(ApiVersion::new(input).map(|_| ()), expected, "{input:?}");
            assert_eq!(UserAgent::new(input).map(|_| ()), expected, "{input:?}");
            if expected.is_ok() {
                assert_eq!(
                    ApiVersion::new(input).map(|v| v.to_string()),
                    Ok(input.to_string())
                );
                assert_eq!(
                    input.parse::<UserAgent>().map(|v| v.to_string()),
                    Ok(input.to_string())
                );
            }
        }
    }

    #[test]
    fn defaults() {
        assert_eq!(ApiVersion::default().as_str(), "2024-11-01");
        assert_eq!(
            UserAgent::default().as_str(),
            format!("lucca-auth/{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(
            ApiVersion::new(ApiVersion::DEFAULT),
            Ok(ApiVersion::default())
        );
        assert_eq!(UserAgent::new(UserAgent::DEFAULT), Ok(UserAgent::default()));
        assert_eq!(ClientAuthMethod::default(), ClientAuthMethod::RequestBody);
        assert_eq!(
            format!("{:?}", ApiVersion::default()),
            r#"ApiVersion("2024-11-01")"#
        );
    }

    #[test]
    fn credentials_accessors() {
        let c = ClientCredentials::new(ClientId::new("app"), ClientSecret::new("s"));
        assert_eq!(c.id().as_str(), "app");
        assert_eq!(c.secret().secret(), "s");
        assert_eq!(c.method(), ClientAuthMethod::RequestBody);
        let c = c.with_method(ClientAuthMethod::HttpBasic);
        assert_eq!(c.method(), ClientAuthMethod::HttpBasic);
    }

    #[test]
    fn credentials_debug_never_leaks_the_secret() {
        const SENTINEL: &str = "S3ntinel+/=&% é:\"secret\"";
        for method in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic] {
            let c = ClientCredentials::new(ClientId::new("app"), ClientSecret::new(SENTINEL))
                .with_method(method);
            let shown = format!("{c:?} {c:#?}");
            let mut encoded = String::new();
            crate::form::encode_to_string(SENTINEL.as_bytes(), &mut encoded);
            for needle in [SENTINEL, "S3ntinel", encoded.as_str(), "UzNudGluZWw"] {
                assert!(!shown.contains(needle), "{needle:?} in {shown}");
            }
            assert_eq!(
                format!("{c:?}"),
                format!(
                    "ClientCredentials {{ id: ClientId(\"app\"), secret: ClientSecret([redacted]), \
                     method: {method:?} }}"
                )
            );
        }
    }

    #[test]
    fn error_display() {
        assert_eq!(HeaderValueError::Empty.to_string(), "header value is empty");
        assert_eq!(
            HeaderValueError::InvalidByte { position: 3 }.to_string(),
            "header value has a byte that is not visible ASCII or space at offset 3"
        );
        assert_eq!(
            HeaderValueError::SurroundingWhitespace.to_string(),
            "header value starts or ends with a space"
        );
    }
}
