//! Tokens as they are stored: sealed with a key derived from the client secret, bound to the
//! Redis key they are stored under ([`TokenSealer`]).
//!
//! - **Key**: HKDF-SHA256 (RFC 5869) with the client secret as input keying material, the
//!   fixed salt `lucca-auth-redis v1` and the info `token sealing key`: 32 bytes. Anyone who
//!   can read Redis but does not know the secret cannot derive it. (HKDF is not a password
//!   hash: the secret must be the high-entropy value Lucca generates, not a password.)
//! - **Cipher**: XChaCha20-Poly1305 (an AEAD), with a fresh random 24-byte nonce from the
//!   operating system for every write: random nonces that long never repeat in practice.
//! - **Associated data**: the format version and the Redis key. A value copied under
//!   another key (another client or scope set) does not open, nor does one read with another
//!   secret: both are [`SealError::Undecryptable`].
//!
//! ```text
//!   value = 0x01 ‖ nonce (24 bytes) ‖ XChaCha20-Poly1305(key, nonce,
//!             plaintext = {"access_token":"…","scope":"…"}, aad = 0x01 ‖ redis key)
//! ```
//!
//! The time left is not in the value: it is the Redis key's own time to live, measured on
//! Redis's clock (see the [crate documentation](crate#timing)).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{AccessToken, ClientSecret};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The version byte that starts every value this module writes.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const SALT: &[u8] = b"lucca-auth-redis v1";
const INFO: &[u8] = b"token sealing key";

/// A token read from or written to the fleet's store: the token, its scopes, and its time
/// left when it was read (or written).
///
/// `Debug` redacts the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetToken {
    /// The access token.
    pub access_token: AccessToken,
    /// The scopes it carries.
    pub granted: Scopes,
    /// How long it may still be handed out (the margin before its expiry already taken).
    pub remaining: Duration,
}

/// Why a stored value could not be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The value does not authenticate under this key with this secret: written with another
    /// client secret, copied from another key, or altered.
    Undecryptable,
    /// The value is not in a format this version writes (too short, unknown version byte,
    /// or a plaintext that is not a token record).
    Malformed,
    /// The operating system's random generator failed (no nonce, nothing written).
    Randomness,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SealError::Undecryptable => {
                "the stored token does not decrypt with this client secret under this key \
                 (another secret, a value copied from another key, or an altered value)"
            }
            SealError::Malformed => "the stored token is not in a format this version reads",
            SealError::Randomness => "the operating system's random generator failed",
        })
    }
}

impl std::error::Error for SealError {}

/// The plaintext of a sealed value.
#[derive(Serialize, Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    access_token: Cow<'a, str>,
    #[serde(borrow)]
    scope: Cow<'a, str>,
}

/// Seals and opens the tokens of one client secret.
///
/// `Debug` shows nothing of the key.
pub struct TokenSealer {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for TokenSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSealer").finish_non_exhaustive()
    }
}

impl TokenSealer {
    /// The sealer of tokens fetched with `secret`.
    #[must_use]
    pub fn new(secret: &ClientSecret) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit of 255 × 32: expand cannot fail; the
        // all-zero key it would leave is never reached.
        let _ = Hkdf::<Sha256>::new(Some(SALT), secret.secret().as_bytes())
            .expand(INFO, key.as_mut_slice());
        TokenSealer {
            cipher: XChaCha20Poly1305::new(&(*key).into()),
        }
    }

    /// Seals `token` for storage under `redis_key`.
    ///
    /// # Errors
    ///
    /// [`SealError::Randomness`] when no nonce could be drawn.
    pub fn seal(&self, redis_key: &str, token: &FleetToken) -> Result<Vec<u8>, SealError> {
        let scope = token.granted.to_string();
        let plaintext = Zeroizing::new(
            serde_json::to_vec(&Record {
                access_token: Cow::Borrowed(token.access_token.secret()),
                scope: Cow::Borrowed(&scope),
            })
            .map_err(|_| SealError::Malformed)?,
        );
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Randomness)?;
        let aad = associated_data(redis_key);
        let ciphertext = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Malformed)?;
        let mut value = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        value.push(VERSION);
        value.extend_from_slice(&nonce);
        value.extend_from_slice(&ciphertext);
        Ok(value)
    }

    /// Opens a value read from `redis_key`; `remaining` is the key's time left.
    ///
    /// # Errors
    ///
    /// [`SealError::Undecryptable`] when it was sealed with another secret or for another
    /// key, or altered; [`SealError::Malformed`] when it is not a value this version writes.
    pub fn open(
        &self,
        redis_key: &str,
        value: &[u8],
        remaining: Duration,
    ) -> Result<FleetToken, SealError> {
        let Some((&VERSION, rest)) = value.split_first() else {
            return Err(SealError::Malformed);
        };
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Malformed)?;
        let aad = associated_data(redis_key);
        let plaintext = Zeroizing::new(
            self.cipher
                .decrypt(
                    &nonce,
                    Payload {
                        msg: ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| SealError::Undecryptable)?,
        );
        let record: Record<'_> =
            serde_json::from_slice(&plaintext).map_err(|_| SealError::Malformed)?;
        let granted =
            Scopes::parse_space_separated(&record.scope).map_err(|_| SealError::Malformed)?;
        if record.access_token.is_empty() {
            return Err(SealError::Malformed);
        }
        Ok(FleetToken {
            access_token: AccessToken::new(record.access_token.into_owned()),
            granted,
            remaining,
        })
    }
}

/// The version byte followed by the Redis key.
fn associated_data(redis_key: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(1 + redis_key.len());
    aad.push(VERSION);
    aad.extend_from_slice(redis_key.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "lucca-auth:token:{00}";
    const TOKEN: &str = "sentinel-access-token-0123456789";

    fn token() -> FleetToken {
        FleetToken {
            access_token: AccessToken::new(TOKEN),
            granted: Scopes::parse_space_separated("leaves.readonly leave-requests.readonly")
                .expect("scopes"),
            remaining: Duration::from_millis(2_500),
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn round_trip_with_the_same_secret_and_key() {
        let sealer = TokenSealer::new(&ClientSecret::new("s3cr3t"));
        let value = sealer.seal(KEY, &token()).expect("sealed");
        assert_eq!(value.first(), Some(&1));
        // version + nonce + JSON plaintext + tag
        let plaintext_len = r#"{"access_token":"","scope":""}"#.len()
            + TOKEN.len()
            + "leaves.readonly leave-requests.readonly".len();
        assert_eq!(value.len(), 1 + 24 + plaintext_len + 16);
        let opened = sealer
            .open(KEY, &value, Duration::from_millis(2_000))
            .expect("opens");
        assert_eq!(opened.access_token.secret(), TOKEN);
        assert_eq!(opened.granted, token().granted);
        assert_eq!(opened.remaining, Duration::from_millis(2_000));
        // The same secret in another sealer (another process) opens it too.
        let again = TokenSealer::new(&ClientSecret::new("s3cr3t"));
        assert!(again.open(KEY, &value, Duration::ZERO).is_ok());
    }

    #[test]
    fn fresh_nonce_every_write_and_nothing_in_clear() {
        let sealer = TokenSealer::new(&ClientSecret::new("s3cr3t"));
        let a = sealer.seal(KEY, &token()).expect("sealed");
        let b = sealer.seal(KEY, &token()).expect("sealed");
        assert_ne!(a.get(1..25), b.get(1..25));
        assert_ne!(a, b);
        for value in [&a, &b] {
            for needle in [TOKEN.as_bytes(), b"s3cr3t", b"leaves", b"access_token"] {
                assert!(!contains(value, needle));
            }
        }
    }

    #[test]
    fn refusals_table() {
        let sealer = TokenSealer::new(&ClientSecret::new("s3cr3t"));
        let value = sealer.seal(KEY, &token()).expect("sealed");
        let mut flipped = value.clone();
        if let Some(byte) = flipped.last_mut() {
            *byte ^= 1;
        }
        let mut other_version = value.clone();
        if let Some(byte) = other_version.first_mut() {
            *byte = 2;
        }
        let other_secret = TokenSealer::new(&ClientSecret::new("s3cr3t!"));
        let cases: &[(&str, &TokenSealer, &str, &[u8], SealError)] = &[
            (
                "another secret",
                &other_secret,
                KEY,
                &value,
                SealError::Undecryptable,
            ),
            (
                "another key",
                &sealer,
                "lucca-auth:token:{01}",
                &value,
                SealError::Undecryptable,
            ),
            ("altered", &sealer, KEY, &flipped, SealError::Undecryptable),
            ("empty", &sealer, KEY, b"", SealError::Malformed),
            ("version only", &sealer, KEY, &[1], SealError::Malformed),
            ("no tag", &sealer, KEY, &value[..40], SealError::Malformed),
            (
                "another version",
                &sealer,
                KEY,
                &other_version,
                SealError::Malformed,
            ),
            (
                "plain JSON",
                &sealer,
                KEY,
                br#"{"access_token":"x","scope":""}"#,
                SealError::Malformed,
            ),
        ];
        for (name, opener, key, bytes, expected) in cases {
            assert_eq!(
                opener.open(key, bytes, Duration::ZERO).map(|_| ()),
                Err(*expected),
                "{name}"
            );
        }
    }

    #[test]
    fn a_sealed_non_record_is_malformed() {
        let sealer = TokenSealer::new(&ClientSecret::new("s3cr3t"));
        let seal_raw = |plaintext: &[u8]| {
            let nonce = [7u8; NONCE_LEN];
            let ciphertext = sealer
                .cipher
                .encrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: plaintext,
                        aad: &associated_data(KEY),
                    },
                )
                .expect("encrypts");
            [&[VERSION][..], &nonce, &ciphertext].concat()
        };
        for plaintext in [
            &b"not json"[..],
            br#"{"access_token":"","scope":""}"#,
            br#"{"access_token":"x","scope":"a\tb"}"#,
            br#"{"scope":"a"}"#,
        ] {
            assert_eq!(
                sealer
                    .open(KEY, &seal_raw(plaintext), Duration::ZERO)
                    .map(|_| ()),
                Err(SealError::Malformed)
            );
        }
        let fine = sealer
            .open(
                KEY,
                &seal_raw(br#"{"access_token":"x","scope":""}"#),
                Duration::ZERO,
            )
            .expect("opens");
        assert!(fine.granted.is_empty());
    }

    #[test]
    fn debug_and_display_never_show_secrets() {
        let sealer = TokenSealer::new(&ClientSecret::new("s3cr3t"));
        let shown = format!("{sealer:?} {:?}", token());
        assert!(
            !shown.contains("s3cr3t") && !shown.contains(TOKEN),
            "{shown}"
        );
        for error in [
            SealError::Undecryptable,
            SealError::Malformed,
            SealError::Randomness,
        ] {
            assert!(!error.to_string().is_empty());
        }
    }
}
