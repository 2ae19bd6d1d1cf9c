//! The names of everything this crate keeps in Redis: [`TokenKeys`] per (token endpoint,
//! client id, scope set) and [`PaceKeys`] per tenant.
//!
//! A name never contains the client secret, nor the client id or scopes in clear: the parts
//! are hashed with SHA-256, each one length-prefixed so that no two different triples give
//! the same input, under a domain label that names the key's purpose and version:
//!
//! ```text
//!   <prefix>:token:{<hex>}    the sealed token   hex = SHA-256("lucca-auth-redis token v1"
//!   <prefix>:lease:{<hex>}    the fetch lease          ‖ len‖endpoint ‖ len‖client id
//!                                                      ‖ len‖scope-set cache key)
//!   <prefix>:pace:{<hex>}:log    sent requests   hex = SHA-256("lucca-auth-redis tenant v1"
//!   <prefix>:pace:{<hex>}:block  Retry-After           ‖ len‖tenant origin)
//! ```
//!
//! (`len` is the part's length in bytes, 8 bytes big-endian.) The braces are a Redis Cluster
//! hash tag: the keys one script touches are in one slot.

use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::TokenClient;
use sha2::{Digest, Sha256};

/// The default prefix of every key: `lucca-auth`.
pub const DEFAULT_KEY_PREFIX: &str = "lucca-auth";

/// The Redis keys of one client's token for one scope set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenKeys {
    /// Where the sealed token lives (its time to live is the token's time left).
    pub token: String,
    /// The single-flight lease of the next fetch.
    pub lease: String,
}

impl TokenKeys {
    /// The keys of `client`'s token (its endpoint, id and scope set) under `prefix`.
    ///
    /// ```
    /// use lucca_auth::config::{ClientCredentials, LuccaConfig};
    /// use lucca_auth::endpoint::TenantHost;
    /// use lucca_auth::scope::Scopes;
    /// use lucca_auth::secret::{ClientId, ClientSecret};
    /// use lucca_auth_redis::TokenKeys;
    ///
    /// let config = LuccaConfig::new(
    ///     ClientCredentials::new(ClientId::new("my-app"), ClientSecret::new("s3cr3t")),
    ///     TenantHost::parse("https://acme.ilucca.net")?,
    /// );
    /// let machine = config.token_machine(Scopes::parse_space_separated("b a")?);
    /// let keys = TokenKeys::new("lucca-auth", machine.client());
    /// assert!(keys.token.starts_with("lucca-auth:token:{"));
    /// assert!(!keys.token.contains("my-app") && !keys.token.contains("s3cr3t"));
    /// // Same set in another order: same keys.
    /// let same = config.token_machine(Scopes::parse_space_separated("a b")?);
    /// assert_eq!(TokenKeys::new("lucca-auth", same.client()), keys);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(prefix: &str, client: &TokenClient) -> Self {
        let hex = digest_hex(
            "lucca-auth-redis token v1",
            &[
                client.endpoint.as_str().as_bytes(),
                client.credentials.id().as_str().as_bytes(),
                client.scopes.cache_key().as_bytes(),
            ],
        );
        TokenKeys {
            token: format!("{prefix}:token:{{{hex}}}"),
            lease: format!("{prefix}:lease:{{{hex}}}"),
        }
    }
}

/// The Redis keys of one tenant's rate budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaceKeys {
    /// A sorted set of the requests sent in the window, scored by when (µs, Redis's clock).
    pub log: String,
    /// The end of a `Retry-After` block (µs, Redis's clock).
    pub block: String,
}

impl PaceKeys {
    /// The keys of `tenant`'s budget under `prefix`.
    #[must_use]
    pub fn new(prefix: &str, tenant: &TenantHost) -> Self {
        let hex = digest_hex("lucca-auth-redis tenant v1", &[tenant.origin().as_bytes()]);
        PaceKeys {
            log: format!("{prefix}:pace:{{{hex}}}:log"),
            block: format!("{prefix}:pace:{{{hex}}}:block"),
        }
    }
}

/// Lowercase hex SHA-256 of `label` followed by each part, length-prefixed.
fn digest_hex(label: &str, parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(label.as_bytes());
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lucca_auth::config::{ClientCredentials, LuccaConfig};
    use lucca_auth::endpoint::TokenEndpoint;
    use lucca_auth::scope::Scopes;
    use lucca_auth::secret::{ClientId, ClientSecret};

    fn client(endpoint: &str, id: &str, secret: &str, scopes: &str) -> TokenClient {
        let config = LuccaConfig::new(
            ClientCredentials::new(ClientId::new(id), ClientSecret::new(secret)),
            TenantHost::parse("https://acme.ilucca.net").expect("tenant"),
        )
        .with_token_endpoint(TokenEndpoint::parse(endpoint).expect("endpoint"));
        config
            .token_machine(Scopes::parse_space_separated(scopes).expect("scopes"))
            .client()
            .clone()
    }

    const LUCCA: &str = "https://accounts.world.luccasoftware.com/connect/token";

    #[test]
    fn token_keys_are_stable_and_secret_free() {
        let keys = TokenKeys::new("lucca-auth", &client(LUCCA, "my-app", "s3cr3t", "a b"));
        // A stable encoding: the same inputs give these names in every version of the crate
        // that reads the same values.
        assert_eq!(
            keys.token,
            format!(
                "lucca-auth:token:{{{}}}",
                digest_hex(
                    "lucca-auth-redis token v1",
                    &[LUCCA.as_bytes(), b"my-app", b"a b"]
                )
            )
        );
        assert_eq!(keys.token.len(), "lucca-auth:token:{}".len() + 64);
        assert_eq!(keys.lease.replace(":lease:", ":token:"), keys.token);
        for part in ["my-app", "s3cr3t", "a b"] {
            assert!(!keys.token.contains(part) && !keys.lease.contains(part));
        }
    }

    #[test]
    fn every_part_changes_the_keys_but_not_the_secret() {
        let base = TokenKeys::new("p", &client(LUCCA, "app", "s1", "a b"));
        let cases: &[(&str, TokenClient, bool)] = &[
            ("scope order", client(LUCCA, "app", "s1", "b a"), true),
            ("duplicate scope", client(LUCCA, "app", "s1", "a b a"), true),
            ("secret", client(LUCCA, "app", "s2", "a b"), true),
            ("client id", client(LUCCA, "app2", "s1", "a b"), false),
            ("scopes", client(LUCCA, "app", "s1", "a"), false),
            ("no scopes", client(LUCCA, "app", "s1", ""), false),
            (
                "endpoint",
                client("http://127.0.0.1:8080/connect/token", "app", "s1", "a b"),
                false,
            ),
        ];
        for (name, other, same) in cases {
            assert_eq!(TokenKeys::new("p", other) == base, *same, "{name}");
        }
        assert_ne!(
            TokenKeys::new("q", &client(LUCCA, "app", "s1", "a b")),
            base
        );
    }

    #[test]
    fn length_prefixes_keep_parts_apart() {
        assert_ne!(
            digest_hex("l", &[b"ab", b"c"]),
            digest_hex("l", &[b"a", b"bc"])
        );
        assert_ne!(digest_hex("l", &[b"", b"x"]), digest_hex("l", &[b"x", b""]));
    }

    #[test]
    fn pace_keys_share_a_hash_tag() {
        let tenant = TenantHost::parse("https://acme.ilucca.net").expect("tenant");
        let keys = PaceKeys::new("lucca-auth", &tenant);
        let tag = |key: &str| {
            let open = key.find('{').expect("open");
            let close = key.find('}').expect("close");
            key[open..=close].to_owned()
        };
        assert_eq!(tag(&keys.log), tag(&keys.block));
        assert!(keys.log.starts_with("lucca-auth:pace:{") && keys.log.ends_with("}:log"));
        assert!(!keys.log.contains("acme"));
        let other = PaceKeys::new(
            "lucca-auth",
            &TenantHost::parse("https://other.ilucca.net").expect("tenant"),
        );
        assert_ne!(other, keys);
    }

    #[test]
    fn hex_table() {
        let cases: &[(&[u8], &str)] = &[(b"", ""), (&[0, 15, 16, 255], "000f10ff")];
        for (bytes, expected) in cases {
            assert_eq!(hex(bytes), *expected);
        }
    }
}
