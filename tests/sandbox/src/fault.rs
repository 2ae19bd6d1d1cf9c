//! Faults injected into the token endpoint while the API keeps serving.

use axum::http::{HeaderValue, StatusCode};

use crate::SandboxError;

/// How the token endpoint misbehaves; set with
/// [`Sandbox::set_token_fault`](crate::Sandbox::set_token_fault).
///
/// Only the token endpoint's listener is affected: the API keeps serving, and tokens issued
/// before stay valid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenFault {
    /// No fault: the token endpoint works as documented.
    #[default]
    None,
    /// The token endpoint's port is really closed: the listener and every open connection
    /// to it are dropped, so connection attempts are refused. Any other setting binds the
    /// same port again.
    RefuseConnections,
    /// Every token request is answered with this status, headers and body (an outage page,
    /// a 503 with `Retry-After`, a 500 with an OAuth error…).
    Status {
        /// The status code, 200..=999.
        status: u16,
        /// The `Content-Type` header, if any.
        content_type: Option<String>,
        /// The body, sent as is.
        body: String,
        /// The `Retry-After` header in seconds, if any.
        retry_after: Option<u32>,
    },
    /// Token requests are read and never answered. When the fault is changed or the sandbox
    /// dropped, the held requests' connections are closed without an answer, as when a stuck
    /// server is restarted.
    Hang,
}

/// A [`TokenFault::Status`] checked and converted for the handler.
#[derive(Debug, Clone)]
pub(crate) struct StatusFault {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<HeaderValue>,
    pub(crate) body: String,
    pub(crate) retry_after: Option<u32>,
}

/// A [`TokenFault`] as the token handler sees it.
#[derive(Debug, Clone, Default)]
pub(crate) enum ActiveFault {
    #[default]
    None,
    /// The listener is closed (or closing): hold whatever still arrives.
    Closed,
    Status(StatusFault),
    Hang,
}

impl ActiveFault {
    pub(crate) fn from_fault(fault: &TokenFault) -> Result<Self, SandboxError> {
        Ok(match fault {
            TokenFault::None => Self::None,
            TokenFault::RefuseConnections => Self::Closed,
            TokenFault::Hang => Self::Hang,
            TokenFault::Status {
                status,
                content_type,
                body,
                retry_after,
            } => {
                if !(200..=999).contains(status) {
                    return Err(SandboxError::InvalidFault(
                        "the status must be in 200..=999",
                    ));
                }
                let status = StatusCode::from_u16(*status)
                    .map_err(|_| SandboxError::InvalidFault("the status must be in 200..=999"))?;
                let content_type = match content_type {
                    None => None,
                    Some(value) => Some(HeaderValue::from_str(value).map_err(|_| {
                        SandboxError::InvalidFault("the content type must be a valid header value")
                    })?),
                };
                Self::Status(StatusFault {
                    status,
                    content_type,
                    body: body.clone(),
                    retry_after: *retry_after,
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, content_type: Option<&str>) -> TokenFault {
        TokenFault::Status {
            status,
            content_type: content_type.map(String::from),
            body: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn validation() {
        let cases: &[(TokenFault, bool)] = &[
            (TokenFault::None, true),
            (TokenFault::Hang, true),
            (TokenFault::RefuseConnections, true),
            (status(500, Some("text/html")), true),
            (status(200, None), true),
            (status(999, None), true),
            (status(199, None), false),
            (status(101, None), false),
            (status(1000, None), false),
            (status(503, Some("text/html\r\nX-Injected: 1")), false),
        ];
        for (fault, ok) in cases {
            assert_eq!(ActiveFault::from_fault(fault).is_ok(), *ok, "{fault:?}");
        }
    }
}
