//! Why a peer could not be installed, started or driven.

use std::fmt;
use std::io;

/// Why a peer could not be installed, started or driven.
///
/// Messages carry the peer's own output (install logs, server logs) to make failures
/// diagnosable; they never carry a token or a client secret the harness sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum PeerError {
    /// A tool the peer needs (node, npm, python3 with venv) is not on `PATH`.
    ToolMissing {
        /// The missing tools, as [`crate::missing_tools`] names them.
        tools: Vec<&'static str>,
    },
    /// Installing the peer's dependencies failed.
    Install {
        /// The command that failed, e.g. `npm ci`.
        step: String,
        /// Its exit status and the tail of its output.
        detail: String,
    },
    /// The configuration cannot be passed to the peer (e.g. a zero token lifetime).
    Config(&'static str),
    /// Reading or writing a file, or spawning or talking to the server, failed.
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The server exited before printing its ready line.
    Exited {
        /// Its exit status.
        status: String,
        /// The tail of its stdout and stderr.
        log: String,
    },
    /// The server did not print its ready line in time, or printed a malformed one.
    NotReady {
        /// What went wrong.
        reason: String,
        /// The tail of its stdout and stderr.
        log: String,
    },
    /// The peer's clients file could not be read.
    Clients(String),
    /// The revocation endpoint answered something else than 200.
    Revocation {
        /// The status code it answered.
        status: u16,
    },
}

impl PeerError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ToolMissing { tools } => {
                write!(
                    f,
                    "interop peers need tools that are missing: {}",
                    tools.join(", ")
                )
            }
            Self::Install { step, detail } => {
                write!(f, "installing a peer failed at `{step}`: {detail}")
            }
            Self::Config(what) => write!(f, "invalid peer configuration: {what}"),
            Self::Io { context, source } => write!(f, "{context}: {source}"),
            Self::Exited { status, log } => {
                write!(
                    f,
                    "the peer exited before it was ready ({status}); its output:\n{log}"
                )
            }
            Self::NotReady { reason, log } => {
                write!(f, "the peer is not ready: {reason}; its output:\n{log}")
            }
            Self::Clients(detail) => write!(f, "the peers' clients file is invalid: {detail}"),
            Self::Revocation { status } => {
                write!(f, "the revocation endpoint answered status {status}")
            }
        }
    }
}

impl std::error::Error for PeerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
