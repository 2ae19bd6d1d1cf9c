//! A local stand-in for Lucca's OAuth 2.0 token endpoint and API, for demos and for the
//! tests of Lucca API clients (ours and yours).
//!
//! [`Sandbox::start`] binds two loopback listeners, like production's two hosts: a token
//! endpoint ([`Sandbox::token_url`], `POST /connect/token`, the client credentials grant)
//! and a tenant ([`Sandbox::api_base`], the API under `/lucca-api/`). It is a real HTTP
//! server (axum on hyper and tokio) that shares no code with the `lucca-auth` client, so it
//! catches the client's mistakes instead of repeating them.
//!
//! ```
//! use lucca_auth_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig::default())?;
//! let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
//!
//! // A token for the demo application, client authentication in the form body.
//! let mut answer = agent.post(sandbox.token_url()).send_form([
//!     ("grant_type", "client_credentials"),
//!     ("client_id", DEMO_CLIENT_ID),
//!     ("client_secret", DEMO_CLIENT_SECRET),
//!     ("scope", "leaves.readonly"),
//! ])?;
//! assert_eq!(answer.status(), 200);
//! let body: serde_json::Value = serde_json::from_str(&answer.body_mut().read_to_string()?)?;
//! let token = body["access_token"].as_str().unwrap_or_default();
//!
//! // The API: a bearer token and an Api-Version header.
//! let leaves = agent
//!     .get(format!("{}/lucca-api/leaves?limit=5", sandbox.api_base()))
//!     .header("Authorization", format!("Bearer {token}"))
//!     .header("Api-Version", "2024-11-01")
//!     .call()?;
//! assert_eq!(leaves.status(), 200);
//! assert_eq!(sandbox.token_requests_served(), 1);
//! assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The token endpoint
//! `POST /connect/token` as RFC 6749 describes it for the client credentials grant:
//! - `application/x-www-form-urlencoded` bodies only (anything else: 400
//!   `invalid_request`); a repeated parameter is 400 `invalid_request`, an empty one counts
//!   as absent (§3.1).
//! - Client authentication (§2.3.1) with `client_id` and `client_secret` in the body, or
//!   HTTP Basic over the form-encoded id and secret; both at once (any `client_id` or
//!   `client_secret` in the body next to an `Authorization` header) is 400
//!   `invalid_request`. An unknown client, a wrong secret or no credentials is 401
//!   `invalid_client`, with `WWW-Authenticate: Basic realm="lucca"` when an
//!   `Authorization` header was sent.
//! - `grant_type` missing: 400 `invalid_request`; other than `client_credentials`: 400
//!   `unsupported_grant_type`.
//! - `scope`: space-separated RFC 6749 §3.3 tokens, each allowed for the client (else 400
//!   `invalid_scope`); absent means every allowed scope.
//! - Success: 200 `{"token_type":"bearer","access_token":"…","expires_in":N,"scope":"…"}`
//!   with `Cache-Control: no-store`; errors are `{"error":"…","error_description":"…"}`.
//!   Access tokens are 256 random bits from the operating system, base64url-encoded.
//!
//! # The API
//! `GET /lucca-api/leaves` (25 items), `/lucca-api/leave-requests` (12) and
//! `/lucca-api/employees` (8), with deterministic fake items; `POST` on `leaves` and
//! `leave-requests` answers 201 with the JSON object sent and a new `id` (nothing is
//! stored). Each request passes these checks in order:
//! 1. the rate limit ([`RateLimit`]): 429 with `Retry-After`;
//! 2. `Authorization: Bearer <token>`: 401 with
//!    `WWW-Authenticate: Bearer error="invalid_token", error_description="…"` for a
//!    malformed, unknown, expired or revoked token, and `Bearer realm="lucca"` without an
//!    error code when there is no bearer token at all (RFC 6750 §3.1);
//! 3. `Api-Version: YYYY-MM-DD`: 400 when missing or not a date;
//! 4. the resource and method: 404, 405;
//! 5. the scope: 403 with `WWW-Authenticate: Bearer error="insufficient_scope",
//!    scope="<scope>"` naming the scope needed (`leaves.readonly` or `leaves.readwrite` to
//!    read leaves, `leaves.readwrite` to create one; likewise for `leave-requests`;
//!    `employees.readonly` for employees).
//!
//! Lists use Lucca's cursor pagination: `limit` (1 to 100, default 10), `page` (an opaque
//! cursor), and with `include=links` a `"links":{"next":{"href":"<absolute URL>"}}` member,
//! `"next":null` on the last page. Errors are RFC 7807 `application/problem+json` bodies
//! `{"type","title","status","detail","traceId"}` (and `errors` for validation failures).
//!
//! # Controls
//! Revoke tokens ([`Sandbox::revoke_token`]), change the token lifetime or rate limit,
//! read counters ([`Sandbox::token_requests_served`], [`Sandbox::api_unauthorized_served`],
//! [`Sandbox::api_requests`], …) and break the token endpoint
//! ([`Sandbox::set_token_fault`] with a [`TokenFault`]) while the API keeps serving.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
mod config;
mod error;
mod fault;
mod form;
mod listener;
mod pagination;
mod problem;
mod rate_limit;
mod resources;
mod sandbox;
mod state;
mod token_endpoint;

pub use config::{
    ClientApp, DEMO_ALLOWED_SCOPES, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RateLimit, SandboxConfig,
};
pub use error::{Listener, SandboxError};
pub use fault::TokenFault;
pub use sandbox::Sandbox;
