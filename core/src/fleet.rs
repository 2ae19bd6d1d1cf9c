//! What a fleet of processes shares through a store: [`SharedToken`], a token with its time
//! left as the store measured it; [`Lease`] and [`LeaseAttempt`], the right to fetch the
//! fleet's next token; and how a [`TokenMachine`] takes a shared token ([`adopt`]).
//!
//! No I/O: the adapters' store hooks (`lucca-auth-ureq`'s and `lucca-auth-reqwest`'s
//! `shared` modules, implemented over Redis by `lucca-auth-redis`) move these values; the
//! decisions are here, once.

use alloc::string::String;
use core::time::Duration;

use crate::machine::{CachedToken, TokenGeneration, TokenMachine, TokenSnapshot};
use crate::scope::Scopes;
use crate::secret::AccessToken;
use crate::time::{Instant, UnixTime};

/// A token as a shared store hands it over: the token, its scopes, and how long it may still
/// be handed out, measured when it was read (or, for a store's `publish`, when it
/// is written).
///
/// `Debug` redacts the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedToken {
    access_token: AccessToken,
    granted: Scopes,
    remaining: Duration,
}

impl SharedToken {
    /// A token that may be handed out for `remaining` more.
    #[must_use]
    pub fn new(access_token: AccessToken, granted: Scopes, remaining: Duration) -> Self {
        SharedToken {
            access_token,
            granted,
            remaining,
        }
    }

    /// The token of `cached`, with its time left at `now`.
    #[must_use]
    pub fn from_cached(cached: &CachedToken, now: Instant) -> Self {
        SharedToken::new(
            cached.access_token().clone(),
            cached.granted().clone(),
            cached.usable_until() - now,
        )
    }

    /// The access token. Read it with [`AccessToken::secret`] only to store it where the
    /// fleet keeps it (encrypted).
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The scopes it carries.
    #[must_use]
    pub fn granted(&self) -> &Scopes {
        &self.granted
    }

    /// How long it may still be handed out (the margin before its expiry already taken).
    #[must_use]
    pub fn remaining(&self) -> Duration {
        self.remaining
    }
}

/// The right to fetch the fleet's next token, held by one worker at a time: an opaque value
/// the store chose, released only by its holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease(String);

impl Lease {
    /// A lease with this unique value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Lease(value.into())
    }

    /// The unique value.
    #[must_use]
    pub fn value(&self) -> &str {
        &self.0
    }
}

/// The answer to a store's `try_lease`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaseAttempt {
    /// This worker holds the lease: fetch, then publish or release.
    Acquired(Lease),
    /// Another worker holds it: wait for its token.
    Busy,
    /// The store cannot be reached: fetch alone.
    Unavailable,
}

/// Imports `token` into `machine` at `now`, unless it is the token the machine holds already
/// or lives no longer than it. Returns the new generation when it was taken.
///
/// [`TokenMachine::import`] takes the expiry as whole wall-clock seconds and subtracts its
/// `clock_skew` argument from the time left. A shared store measures the time left itself,
/// to the millisecond, on one clock (Redis's), so no skew between the hosts' wall clocks
/// applies: the time left is passed as whole seconds from an arbitrary origin (rounded up),
/// and the rounding is handed to `clock_skew`, which takes it off again.
#[must_use]
pub fn adopt(
    machine: &mut TokenMachine,
    now: Instant,
    token: SharedToken,
) -> Option<TokenGeneration> {
    if machine
        .current()
        .is_some_and(|current| current.access_token() == token.access_token())
    {
        return None;
    }
    let whole_secs = token
        .remaining
        .as_secs()
        .saturating_add(u64::from(token.remaining.subsec_nanos() > 0));
    let rounding = Duration::from_secs(whole_secs).saturating_sub(token.remaining);
    machine.import(
        now,
        UnixTime::EPOCH,
        rounding,
        TokenSnapshot {
            access_token: token.access_token,
            granted: token.granted,
            usable_until: UnixTime::from_secs(whole_secs),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientCredentials, LuccaConfig};
    use crate::endpoint::TenantHost;
    use crate::machine::TokenAction;
    use crate::secret::{ClientId, ClientSecret};
    use alloc::format;

    fn machine() -> TokenMachine {
        let config = LuccaConfig::new(
            ClientCredentials::new(ClientId::new("id"), ClientSecret::new("s")),
            TenantHost::parse("https://acme.ilucca.net").expect("tenant"),
        );
        config.token_machine(Scopes::default())
    }

    fn shared(token: &str, remaining_ms: u64) -> SharedToken {
        SharedToken::new(
            AccessToken::new(token),
            Scopes::default(),
            Duration::from_millis(remaining_ms),
        )
    }

    #[test]
    fn adopt_keeps_the_millisecond() {
        // (time left in ms, expected usable_until in ms after importing at 1000)
        let cases: &[(u64, u64)] = &[(2_650, 3_650), (3_000, 4_000), (1, 1_001), (999, 1_999)];
        for &(remaining, expected) in cases {
            let mut machine = machine();
            let now = Instant::from_millis(1_000);
            assert!(adopt(&mut machine, now, shared("T1", remaining)).is_some());
            let current = machine.current().expect("imported");
            assert_eq!(current.usable_until(), Instant::from_millis(expected));
            assert!(matches!(machine.poll(now), TokenAction::Use(_)));
        }
    }

    #[test]
    fn adopt_refuses_the_same_token_a_shorter_one_nothing_left_and_a_refused_one() {
        let mut machine = machine();
        let now = Instant::from_millis(0);
        let Some(first) = adopt(&mut machine, now, shared("T1", 2_000)) else {
            panic!("imported");
        };
        assert_eq!(adopt(&mut machine, now, shared("T1", 5_000)), None);
        assert_eq!(adopt(&mut machine, now, shared("T2", 1_000)), None);
        assert_eq!(adopt(&mut machine, now, shared("T3", 0)), None);
        assert!(machine.invalidate(first));
        assert_eq!(adopt(&mut machine, now, shared("T1", 5_000)), None);
        assert!(adopt(&mut machine, now, shared("T2", 2_500)).is_some());
    }

    #[test]
    fn shared_token_from_a_cached_one_and_debug_redacts() {
        let mut machine = machine();
        assert!(
            adopt(
                &mut machine,
                Instant::from_millis(0),
                shared("sentinel-token", 2_000)
            )
            .is_some()
        );
        let cached = machine.current().expect("imported");
        let again = SharedToken::from_cached(cached, Instant::from_millis(500));
        assert_eq!(again.remaining(), Duration::from_millis(1_500));
        assert_eq!(again.access_token().secret(), "sentinel-token");
        assert!(!format!("{again:?}").contains("sentinel-token"));
    }
}
