//! Test helpers: the throwaway `redis-server` (the crate's own, compiled in here), sandbox
//! configurations, a Redis dump for leak scans, and a tracing capture.
#![allow(dead_code, clippy::unwrap_used)]

#[path = "../../src/test_server.rs"]
mod test_server;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lucca_auth::config::{ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::machine::{TokenClient, TokenPolicy};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
pub use test_server::RedisServer;

/// The sandbox demo application's configuration for these endpoints and scopes.
pub fn demo_config(token_url: &str, api_base: &str, scopes: &str) -> LuccaConfig {
    config_with_secret(token_url, api_base, scopes, DEMO_CLIENT_SECRET)
}

/// The same with another secret.
pub fn config_with_secret(
    token_url: &str,
    api_base: &str,
    scopes: &str,
    secret: &str,
) -> LuccaConfig {
    LuccaConfig::new(
        ClientCredentials::new(ClientId::new(DEMO_CLIENT_ID), ClientSecret::new(secret)),
        TenantHost::parse(api_base).unwrap(),
    )
    .with_token_endpoint(TokenEndpoint::parse(token_url).unwrap())
    .with_scopes(Scopes::parse_space_separated(scopes).unwrap())
}

/// A token policy whose safety margin is at most `max_margin`.
pub fn policy_with_margin(max_margin: Duration) -> TokenPolicy {
    let mut policy = TokenPolicy::default();
    policy.max_margin = max_margin;
    policy
}

/// The token client of `config` for its scopes.
pub fn token_client(config: &LuccaConfig) -> TokenClient {
    config.token_machine(config.scopes.clone()).client().clone()
}

/// Every key in Redis with everything it holds (strings, sorted-set members and scores,
/// and the key's name itself), as raw bytes.
pub fn dump(url: &str) -> Vec<(String, Vec<u8>)> {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_connection().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
    let mut all = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE").arg(&key).query(&mut connection).unwrap();
        let mut bytes = key.clone().into_bytes();
        match kind.as_str() {
            "string" => {
                let value: Option<Vec<u8>> =
                    redis::cmd("GET").arg(&key).query(&mut connection).unwrap();
                bytes.extend(value.unwrap_or_default());
            }
            "zset" => {
                let members: Vec<Vec<u8>> = redis::cmd("ZRANGE")
                    .arg(&key)
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES")
                    .query(&mut connection)
                    .unwrap();
                for member in members {
                    bytes.extend(member);
                }
            }
            "none" => continue,
            other => panic!("unexpected key type {other} for {key}"),
        }
        all.push((key, bytes));
    }
    all
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// Asserts that nothing in Redis contains any of `needles` (in clear, nor hex-encoded).
pub fn assert_nowhere_in_redis(url: &str, needles: &[&str]) -> usize {
    let all = dump(url);
    for (key, bytes) in &all {
        for needle in needles {
            let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
            assert!(
                !contains(bytes, needle.as_bytes()),
                "{key} holds a secret in clear"
            );
            assert!(
                !contains(bytes, hex.as_bytes()),
                "{key} holds a secret in hex"
            );
        }
    }
    all.len()
}

/// A `tracing` subscriber writing plain lines into a buffer.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        let sink = self.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || sink.clone())
            .finish()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
