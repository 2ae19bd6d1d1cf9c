//! What can go wrong between this crate and Redis: [`StoreError`].

use std::fmt;

use crate::sealed::SealError;

/// Why an operation on the fleet's store did not happen.
///
/// Never contains the Redis URL (it may hold a password), a token or a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// Redis was not asked: it was unreachable moments ago and is probed again after the
    /// retry interval.
    Unavailable,
    /// Redis could not be reached or did not answer in time (`category` as the `redis`
    /// crate names it: "I/O error", …).
    Connection {
        /// The kind of failure.
        category: String,
    },
    /// Redis answered with an error or an unexpected reply.
    Redis {
        /// The kind of failure.
        category: String,
    },
    /// The stored token could not be opened with this client's secret under this key.
    Sealed(SealError),
    /// The Redis URL given to the builder is not valid.
    InvalidUrl,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Unavailable => f.write_str("Redis is unreachable (retried later)"),
            StoreError::Connection { category } => {
                write!(f, "Redis could not be reached: {category}")
            }
            StoreError::Redis { category } => write!(f, "Redis answered with an error: {category}"),
            StoreError::Sealed(error) => error.fmt(f),
            StoreError::InvalidUrl => f.write_str("the Redis URL is not valid"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sealed(error) => Some(error),
            _ => None,
        }
    }
}

impl From<SealError> for StoreError {
    fn from(error: SealError) -> Self {
        StoreError::Sealed(error)
    }
}

/// Whether `error` means the connection is unusable (drop it, fall back, probe later).
pub(crate) fn is_connection_failure(error: &redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
}

/// The `StoreError` for a Redis failure: its category only, never its details (which can
/// quote a reply).
pub(crate) fn from_redis(error: &redis::RedisError) -> StoreError {
    let category = error.category().to_owned();
    if is_connection_failure(error) {
        StoreError::Connection { category }
    } else {
        StoreError::Redis { category }
    }
}

/// Logs a store failure that the connection's health does not already log (its outages are
/// logged once, by the health), for the adapters' hooks, which cannot return it.
#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub(crate) fn log_unexpected(operation: &'static str, error: &StoreError) {
    match error {
        StoreError::Unavailable | StoreError::Connection { .. } => {}
        _ => tracing::warn!(operation, %error, "the fleet's token store failed; working alone"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_table() {
        let cases: &[(StoreError, &str)] = &[
            (
                StoreError::Unavailable,
                "Redis is unreachable (retried later)",
            ),
            (
                StoreError::Connection {
                    category: "I/O error".into(),
                },
                "Redis could not be reached: I/O error",
            ),
            (
                StoreError::Redis {
                    category: "type error".into(),
                },
                "Redis answered with an error: type error",
            ),
            (StoreError::InvalidUrl, "the Redis URL is not valid"),
            (
                StoreError::Sealed(SealError::Malformed),
                "the stored token is not in a format this version reads",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_string(), *expected);
        }
    }
}
