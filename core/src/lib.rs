//! Sans-IO, `no_std` OAuth 2.0 client-credentials core for the Lucca HR API.
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
pub mod form;
pub mod http_date;
pub mod machine;
pub mod problem;
pub mod response;
pub mod retry_after;
pub mod scope;
pub mod secret;
pub mod time;
pub mod token_request;
pub mod token_response;
pub mod www_authenticate;
