//! Why the sandbox could not start or obey a control call.

use std::{fmt, io};

/// Which of the sandbox's two listeners an error concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Listener {
    /// The token endpoint's listener (`token_url()`).
    Token,
    /// The API's listener (`api_base()`).
    Api,
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Token => "token endpoint",
            Self::Api => "API",
        })
    }
}

/// An error from [`Sandbox::start`](crate::Sandbox::start) or a control call.
#[derive(Debug)]
#[non_exhaustive]
pub enum SandboxError {
    /// The configuration is unusable (duplicate client ids, invalid scope tokens, …).
    InvalidConfig(String),
    /// A fault description is unusable (a status outside 200..=999, a content type that is
    /// not a valid header value).
    InvalidFault(&'static str),
    /// A listener could not be bound (port in use, …).
    Bind {
        /// Which listener.
        listener: Listener,
        /// The port asked for (0: ephemeral).
        port: u16,
        /// What the operating system said.
        source: io::Error,
    },
    /// The runtime or its thread could not be created.
    Runtime(io::Error),
    /// The sandbox's server thread is gone (it panicked); the sandbox cannot be controlled.
    Stopped,
}

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidConfig(why) => write!(f, "invalid sandbox configuration: {why}"),
            Self::InvalidFault(why) => write!(f, "invalid token endpoint fault: {why}"),
            Self::Bind {
                listener,
                port,
                source,
            } => write!(
                f,
                "cannot listen for the sandbox's {listener} on 127.0.0.1:{port}: {source}"
            ),
            Self::Runtime(source) => write!(f, "cannot start the sandbox's runtime: {source}"),
            Self::Stopped => f.write_str("the sandbox's server thread has stopped"),
        }
    }
}

impl std::error::Error for SandboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind { source, .. } | Self::Runtime(source) => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let cases: Vec<(SandboxError, &str)> = vec![
            (
                SandboxError::InvalidConfig("x".into()),
                "invalid sandbox configuration: x",
            ),
            (
                SandboxError::InvalidFault("y"),
                "invalid token endpoint fault: y",
            ),
            (
                SandboxError::Bind {
                    listener: Listener::Api,
                    port: 8080,
                    source: io::Error::new(io::ErrorKind::AddrInUse, "in use"),
                },
                "cannot listen for the sandbox's API on 127.0.0.1:8080: in use",
            ),
            (
                SandboxError::Runtime(io::Error::other("no threads")),
                "cannot start the sandbox's runtime: no threads",
            ),
            (
                SandboxError::Stopped,
                "the sandbox's server thread has stopped",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_string(), expected);
        }
    }
}
