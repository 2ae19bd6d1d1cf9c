#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
mod error;
#[cfg(feature = "middleware")]
mod middleware;
mod pager;
mod request;
mod retry;
pub mod shared;
mod token_cache;
mod trace;
mod transport;

pub use client::{
    BuildError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_GLOBAL_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY,
    LuccaClient, LuccaClientBuilder, http_client_builder,
};
pub use error::{BodyError, Error, RequestError};
#[cfg(feature = "middleware")]
pub use middleware::LuccaAuthMiddleware;
pub use pager::Pager;
pub use request::{ApiResponse, RequestBuilder};
pub use retry::RetryPolicy;
pub use shared::{SharedRatePacer, SharedTokenStore};
pub use token_cache::TokenInfo;

/// The core crate, re-exported: configuration, scopes, secrets, errors.
pub use lucca_auth;
/// The reqwest version this crate is built on, re-exported.
pub use reqwest;
