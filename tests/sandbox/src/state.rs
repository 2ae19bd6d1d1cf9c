//! State shared by the handlers and the [`Sandbox`](crate::Sandbox) handle: issued tokens,
//! counters, the rate limiter and the current token endpoint fault.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::sync::watch;

use crate::config::ClientApp;
use crate::fault::ActiveFault;
use crate::rate_limit::SlidingWindow;
use crate::{RateLimit, SandboxConfig};

/// How long an expired or revoked token is still recognised as such (then it is "unknown").
const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// Locks a mutex; a handler that panicked while holding it leaves consistent data behind
/// (every critical section is a single insert, remove or counter update), so poisoning is
/// ignored.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `N` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0_u8; N];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes)
}

/// An issued access token.
#[derive(Debug)]
struct TokenRecord {
    scopes: Vec<String>,
    expires_at: Instant,
    revoked: bool,
}

/// What the API makes of a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    /// Valid, with its granted scopes.
    Valid(Vec<String>),
    Unknown,
    Expired,
    Revoked,
}

/// Counters read by the tests and the demo.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) tokens_issued: AtomicU64,
    pub(crate) token_requests: AtomicU64,
    pub(crate) api_unauthorized: AtomicU64,
    pub(crate) api_rate_limited: AtomicU64,
    pub(crate) api_by_path: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub(crate) fn count_api_request(&self, path: &str) {
        let mut by_path = lock(&self.api_by_path);
        match by_path.get_mut(path) {
            Some(count) => *count = count.saturating_add(1),
            None => {
                by_path.insert(path.to_owned(), 1);
            }
        }
    }

    pub(crate) fn reset(&self) {
        for counter in [
            &self.tokens_issued,
            &self.token_requests,
            &self.api_unauthorized,
            &self.api_rate_limited,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        lock(&self.api_by_path).clear();
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) clients: Vec<ClientApp>,
    /// `http://127.0.0.1:PORT` of the API listener, for absolute `next` links.
    pub(crate) api_origin: String,
    pub(crate) counters: Counters,
    pub(crate) fault: watch::Sender<ActiveFault>,
    /// Ids given to items created with POST (they are not stored: lists stay deterministic).
    pub(crate) next_created_id: AtomicU64,
    token_lifetime: Mutex<Duration>,
    tokens: Mutex<HashMap<String, TokenRecord>>,
    rate: Mutex<SlidingWindow>,
}

impl Shared {
    pub(crate) fn new(config: &SandboxConfig, api_origin: String) -> Self {
        Self {
            clients: config.clients.clone(),
            api_origin,
            counters: Counters::default(),
            fault: watch::Sender::new(ActiveFault::None),
            next_created_id: AtomicU64::new(1001),
            token_lifetime: Mutex::new(config.token_lifetime),
            tokens: Mutex::new(HashMap::new()),
            rate: Mutex::new(SlidingWindow::new(config.rate_limit)),
        }
    }

    pub(crate) fn token_lifetime(&self) -> Duration {
        *lock(&self.token_lifetime)
    }

    pub(crate) fn set_token_lifetime(&self, lifetime: Duration) {
        *lock(&self.token_lifetime) = lifetime;
    }

    pub(crate) fn set_rate_limit(&self, limit: RateLimit) {
        lock(&self.rate).set_limit(limit);
    }

    /// Admits an API request now, or returns the wait until it would be admitted.
    pub(crate) fn admit_api_request(&self) -> Result<(), Duration> {
        lock(&self.rate).admit(Instant::now())
    }

    /// Issues a token for `scopes`; returns it with its lifetime, or `None` when the
    /// operating system has no randomness to give.
    pub(crate) fn issue_token(&self, scopes: Vec<String>) -> Option<(String, Duration)> {
        let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
        let lifetime = self.token_lifetime();
        let now = Instant::now();
        let expires_at = now.checked_add(lifetime)?;
        let mut tokens = lock(&self.tokens);
        tokens.retain(|_, record| {
            record
                .expires_at
                .checked_add(FORGET_AFTER)
                .is_none_or(|forget_at| forget_at > now)
        });
        tokens.insert(
            token.clone(),
            TokenRecord {
                scopes,
                expires_at,
                revoked: false,
            },
        );
        Some((token, lifetime))
    }

    pub(crate) fn check_token(&self, token: &str) -> TokenCheck {
        let tokens = lock(&self.tokens);
        match tokens.get(token) {
            None => TokenCheck::Unknown,
            Some(record) if record.revoked => TokenCheck::Revoked,
            Some(record) if Instant::now() >= record.expires_at => TokenCheck::Expired,
            Some(record) => TokenCheck::Valid(record.scopes.clone()),
        }
    }

    /// Revokes one token; whether it was known and not yet revoked.
    pub(crate) fn revoke_token(&self, token: &str) -> bool {
        match lock(&self.tokens).get_mut(token) {
            Some(record) if !record.revoked => {
                record.revoked = true;
                true
            }
            _ => false,
        }
    }

    /// Revokes every token; how many were not revoked yet.
    pub(crate) fn revoke_all_tokens(&self) -> usize {
        let mut revoked = 0;
        for record in lock(&self.tokens).values_mut() {
            if !record.revoked {
                record.revoked = true;
                revoked += 1;
            }
        }
        revoked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared::new(&SandboxConfig::default(), "http://127.0.0.1:1".into())
    }

    #[test]
    fn token_lifecycle() {
        let shared = shared();
        let (token, lifetime) = shared.issue_token(vec!["a".into()]).expect("random");
        assert_eq!(lifetime, Duration::from_secs(1800));
        assert_eq!(token.len(), 43);
        assert_eq!(
            shared.check_token(&token),
            TokenCheck::Valid(vec!["a".into()])
        );
        assert_eq!(shared.check_token("nope"), TokenCheck::Unknown);
        assert!(shared.revoke_token(&token));
        assert!(!shared.revoke_token(&token));
        assert_eq!(shared.check_token(&token), TokenCheck::Revoked);

        shared.set_token_lifetime(Duration::ZERO);
        let (expired, _) = shared.issue_token(vec![]).expect("random");
        assert_eq!(shared.check_token(&expired), TokenCheck::Expired);
        assert_eq!(shared.revoke_all_tokens(), 1);
        assert_eq!(shared.revoke_all_tokens(), 0);
    }

    #[test]
    fn tokens_differ() {
        let shared = shared();
        let a = shared.issue_token(vec![]).expect("random").0;
        let b = shared.issue_token(vec![]).expect("random").0;
        assert_ne!(a, b);
    }

    #[test]
    fn counters_reset() {
        let counters = Counters::default();
        Counters::bump(&counters.tokens_issued);
        counters.count_api_request("/lucca-api/leaves");
        counters.count_api_request("/lucca-api/leaves");
        assert_eq!(Counters::read(&counters.tokens_issued), 1);
        assert_eq!(
            lock(&counters.api_by_path).get("/lucca-api/leaves"),
            Some(&2)
        );
        counters.reset();
        assert_eq!(Counters::read(&counters.tokens_issued), 0);
        assert!(lock(&counters.api_by_path).is_empty());
    }
}
