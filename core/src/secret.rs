//! Credentials: the public [`ClientId`] and the secret [`ClientSecret`] and [`AccessToken`].
//!
//! Secrets have a redacted `Debug`, no `Display`, and are zeroized when dropped. Their only
//! accessor is named `secret()` and documented with a warning, so that every place that reads
//! one stands out in review.

use alloc::string::String;
use core::fmt;
use zeroize::Zeroizing;

/// The identifier of a client application, as declared in Lucca's administration.
///
/// Not a secret: it appears in `Debug` output and in cache keys.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps a client identifier.
    pub fn new(id: impl Into<String>) -> Self {
        ClientId(id.into())
    }

    /// The identifier as sent on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClientId").field(&self.0).finish()
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// Wraps a secret value. The `String` is moved, not copied, and zeroized on drop.
            pub fn new(value: impl Into<String>) -> Self {
                $name(Zeroizing::new(value.into()))
            }

            /// The secret value itself.
            ///
            /// # Security warning
            ///
            /// Whoever holds this value can act as your integration. Do not log it, print
            /// it, put it in an error message, a URL or a process argument, or copy it
            /// anywhere that is not zeroized.
            #[must_use]
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_string! {
    /// The secret of a client application. Lucca shows it once, when the application is
    /// created.
    ///
    /// ```
    /// use lucca_auth::secret::ClientSecret;
    ///
    /// let secret = ClientSecret::new("s3cr3t");
    /// assert_eq!(format!("{secret:?}"), "ClientSecret([redacted])");
    /// ```
    ClientSecret
}

secret_string! {
    /// A bearer access token issued by the token endpoint.
    ///
    /// ```
    /// use lucca_auth::secret::AccessToken;
    ///
    /// let token = AccessToken::new("eyJhbGciOi");
    /// assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
    /// ```
    AccessToken
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn secrets_are_redacted_in_debug() {
        assert_eq!(
            format!("{:?}", ClientSecret::new("hunter2")),
            "ClientSecret([redacted])"
        );
        assert_eq!(
            format!("{:?}", AccessToken::new("hunter2")),
            "AccessToken([redacted])"
        );
        assert_eq!(format!("{:?}", ClientId::new("app")), "ClientId(\"app\")");
    }

    #[test]
    fn secret_accessor_returns_the_value() {
        assert_eq!(ClientSecret::new("a b").secret(), "a b");
        assert_eq!(AccessToken::new("t").secret(), "t");
    }
}
