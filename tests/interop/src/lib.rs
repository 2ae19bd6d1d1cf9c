//! Real, independent OAuth 2.0 peers for lucca-auth's interop suite.
//!
//! Two authorization servers nobody on the team wrote, each configured (in its own language,
//! under `tests/interop/peers/`) for the client credentials grant at `/connect/token`, with a
//! protected resource at `/lucca-api/leaves` that needs `leaves.readonly`:
//!
//! - [`PeerKind::OidcProvider`]: Node's `oidc-provider`, installed with `npm ci` from the
//!   committed lockfile into `target/interop/oidc-provider`;
//! - [`PeerKind::Authlib`]: Python's Authlib on Flask, installed into the virtual environment
//!   `target/interop/authlib-venv` from the pinned `requirements.txt`.
//!
//! The first [`Peer::start`] of a kind installs its dependencies (once per checkout and
//! lockfile, guarded by a file lock so parallel test binaries do not install twice); every
//! start spawns a fresh server on a loopback port the OS picks, and dropping the [`Peer`]
//! stops it. The server also exits by itself when the test process goes away (it watches
//! its stdin).
//!
//! ```no_run
//! use std::time::Duration;
//! use lucca_auth_interop::{Peer, PeerConfig, PeerKind, peers_or_skip};
//!
//! if !peers_or_skip("example") {
//!     return Ok(());
//! }
//! let peer = Peer::start(
//!     PeerKind::Authlib,
//!     PeerConfig { token_lifetime: Duration::from_secs(2), ..PeerConfig::default() },
//! )?;
//! let client = peer.main_client();
//! println!("POST {} as {}", peer.token_url(), client.id);
//! # Ok::<(), lucca_auth_interop::PeerError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod encoding;
mod error;
mod install;
mod peer;
mod tools;

pub use encoding::{basic_authorization, form_body, form_urlencode};
pub use error::PeerError;
pub use peer::{
    AuthMethod, AuthMethods, ClientRole, Peer, PeerClient, PeerConfig, PeerKind, RESOURCE_PATH,
    RESOURCE_SCOPE, REVOCATION_PATH, SCOPES, TOKEN_PATH,
};
pub use tools::{missing_tools, missing_tools_for, peer_or_skip, peers_available, peers_or_skip};
