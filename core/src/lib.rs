//! Sans-IO, `no_std` OAuth 2.0 client-credentials core for the Lucca HR API.
//!
//! This crate holds every protocol decision — how to ask for a token, what the answer means,
//! when to refresh, what an API response means — and does no I/O: no sockets, no threads,
//! no clock reads, no randomness. You (or an adapter crate: `lucca-auth-ureq`,
//! `lucca-auth-reqwest`, `lucca-auth-embedded`) drive it: read your clock, ask the
//! [`TokenMachine`](machine::TokenMachine) what to do, do the HTTP it asks for, feed the
//! answer back.
//!
//! # The driving loop
//!
//! One API call, with the token fetched, waited for after a failure, and refreshed once if the
//! API answers 401 (here it does: the first token has been revoked).
//!
//! ```
//! use lucca_auth::api::{ApiAttempt, ApiResponseClass};
//! use lucca_auth::config::{ClientCredentials, LuccaConfig};
//! use lucca_auth::endpoint::TenantHost;
//! use lucca_auth::machine::TokenAction;
//! use lucca_auth::response::HttpResponse;
//! use lucca_auth::secret::{ClientId, ClientSecret};
//! use lucca_auth::time::Instant;
//! # use std::cell::Cell;
//! # let (tokens, calls) = (Cell::new(0), Cell::new(0));
//! # let post = |_url: &str, _body: &[u8]| { tokens.set(tokens.get() + 1);
//! #     (200, format!(r#"{{"token_type":"bearer","access_token":"AT-{}","expires_in":1800}}"#, tokens.get())) };
//! # let get = |_url: &str, authorization: &str| { calls.set(calls.get() + 1);
//! #     if authorization == "Bearer AT-1" { 401 } else { 200 } };
//! # let clock = || Instant::from_millis(0);
//! # let sleep_until = |_until: Instant| {};
//! let config = LuccaConfig::new(
//!     ClientCredentials::new(ClientId::new("my-app"), ClientSecret::new("s3cr3t")),
//!     TenantHost::parse("https://example.ilucca.net")?,
//! );
//! let mut machine = config.token_machine(config.scopes.clone());
//! let url = config.tenant.url_for("/lucca-api/leaves")?;
//! let mut attempt = ApiAttempt::First;
//! loop {
//!     let now = clock(); // your monotonic clock, as milliseconds
//!     let token = match machine.poll(now) {
//!         TokenAction::Use(token) => token.clone(),
//!         TokenAction::Send(id) => {
//!             let request = machine.token_request();
//!             let (status, body) = post(request.url(), &request.body()); // your HTTP stack
//!             machine.handle_token_response(now, id, &HttpResponse::new(status, &[], body.as_bytes()));
//!             continue;
//!         }
//!         TokenAction::WaitUntil { until, .. } => { sleep_until(until); continue; }
//!         other => return Err(format!("no token: {other:?}").into()),
//!     };
//!     let status = get(&url, &format!("Bearer {}", token.access_token().secret()));
//!     match ApiResponseClass::classify(&HttpResponse::new(status, &[], b""), attempt) {
//!         ApiResponseClass::Success => break,
//!         ApiResponseClass::RefreshAndRetry => {
//!             machine.invalidate(token.generation());
//!             attempt = ApiAttempt::RetryAfterRefresh;
//!         }
//!         other => return Err(format!("API call failed: {other:?}").into()),
//!     }
//! }
//! # assert_eq!((tokens.get(), calls.get()), (2, 2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Real drivers also send [`TokenRequest::header_fields`](token_request::TokenRequest::header_fields)
//! (and [`basic_authorization`](token_request::TokenRequest::basic_authorization) when the
//! client authenticates with HTTP Basic), pass the response headers, and feed transport
//! failures to [`handle_transport_error`](machine::TokenMachine::handle_transport_error).
//!
//! # Features
//!
//! - `std` (default): std integrations only; the crate is `no_std` + `alloc` without it.
//! - `codec` (default): a sans-IO HTTP/1.1 request writer and push response parser, for
//!   stacks that speak raw bytes.
//! - `problem-details` (default): [`ApiResponseClass::classify`](api::ApiResponseClass::classify)
//!   decodes the `application/problem+json` body of a fatal status into
//!   [`Fatal { problem }`](api::ApiResponseClass::Fatal); without it `problem` is always `None`
//!   and [`Problem::parse`](problem::Problem::parse) is still there for the body. About 5 KiB
//!   of flash on a Cortex-M4, for builds that count.
//! - `http`: conversions to and from the `http` crate's types (implies `std`).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod api;
#[cfg(feature = "codec")]
pub mod codec;
pub mod config;
pub mod endpoint;
pub mod fleet;
pub mod form;
pub mod http_date;
pub mod machine;
pub mod pacer;
pub mod pagination;
pub mod problem;
pub mod redaction;
pub mod response;
pub mod retry_after;
pub mod scope;
pub mod secret;
pub mod time;
pub mod token_request;
pub mod token_response;
pub mod www_authenticate;
