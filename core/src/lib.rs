//! Sans-IO, `no_std` OAuth 2.0 client-credentials core for the Lucca HR API.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod response;
pub mod secret;
pub mod time;
