//! The token lifecycle: [`TokenMachine`], the state machine that decides when to fetch, hand
//! out, refresh and stop fetching an access token.
//!
//! The machine does no I/O and reads no clock. A driver (an adapter, or your own loop) asks it
//! what to do with [`TokenMachine::poll`], does the I/O it asks for, and feeds the outcome back
//! with the `handle_*` methods, passing the time from its own monotonic clock each time.
//!
//! # States
//!
//! ```text
//!                      poll → Send(id)                   handle_token_response(ok)
//!   ┌────────────┐ ───────────────────► ┌───────────┐ ─────────────────────────────┐
//!   │  NO TOKEN  │                      │ FETCHING  │                              ▼
//!   │ (or expired│ ◄─── failure:        │ (1 in     │                     ┌──────────────┐
//!   │  /invalid- │      backoff until t │  flight)  │ ◄── poll → Send(id) │   TOKEN      │
//!   │  ated)     │ ◄─────────────────── └───────────┘     at refresh_at   │ use until    │
//!   └────────────┘                           │                            │ usable_until │
//!         ▲   │ fatal client error           │ abandon(id): no backoff    └──────────────┘
//!         │   ▼                              ▼                                   │
//!   reset ┌────────────┐              back to the state it left                  │
//!   ──────│  HALTED    │  (a still-valid token keeps serving until usable_until) │
//!         └────────────┘ ◄─── invalidate(generation) after an API 401 ───────────┘
//!                              (drops the token: back to NO TOKEN)
//! ```
//!
//! # Timing
//!
//! With a lifetime `L` (the server's `expires_in`, or the configured default when it sends
//! none) counted from when the request was **sent**, and a safety margin
//! `m = min(60 s, L / 10)`:
//! - the token is handed out only strictly before `sent + L − m` (`usable_until`);
//! - a refresh is due from `sent + L − 2m − jitter`, where the jitter is a fraction of `m / 2`
//!   set with [`TokenMachine::set_refresh_jitter`] (none by default);
//! - while the refresh runs, the current token keeps serving until `usable_until`.
//!
//! At most one token request is in flight. A failure backs off exponentially
//! ([`TokenPolicy::backoff_initial`] doubling up to [`TokenPolicy::backoff_max`]), never for
//! less than the server's `Retry-After`. An error that retrying cannot fix
//! ([`TokenError::is_fatal_for_client`]) halts all token requests until
//! [`TokenMachine::reset`]; a token that is still valid keeps serving meanwhile.

use core::fmt;
use core::time::Duration;

use crate::config::{ClientCredentials, UserAgent};
use crate::endpoint::TokenEndpoint;
use crate::response::HttpResponse;
use crate::scope::Scopes;
use crate::secret::AccessToken;
use crate::time::{Instant, UnixTime};
use crate::token_request::TokenRequest;
use crate::token_response::{
    InvalidResponseReason, TokenError, TokenResponseOptions, TransportError, parse_token_response,
};

/// The policy knobs of a [`TokenMachine`]. The defaults follow Lucca's documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenPolicy {
    /// How token responses are read (default lifetime when `expires_in` is absent, clamps,
    /// body limit).
    pub response: TokenResponseOptions,
    /// The largest safety margin subtracted from a token's lifetime (default 60 s).
    pub max_margin: Duration,
    /// The first backoff after a failed token request (default 1 s).
    pub backoff_initial: Duration,
    /// The longest backoff (default 60 s). A `Retry-After` may ask for longer.
    pub backoff_max: Duration,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy {
            response: TokenResponseOptions::default(),
            max_margin: Duration::from_secs(60),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        }
    }
}

/// Everything needed to ask for a token: where, who, for which scopes, and how to introduce
/// ourselves.
#[derive(Clone, Debug)]
pub struct TokenClient {
    /// The token endpoint.
    pub endpoint: TokenEndpoint,
    /// The client application's credentials and how to send them.
    pub credentials: ClientCredentials,
    /// The scopes to request (empty: the server's default for the client).
    pub scopes: Scopes,
    /// The `User-Agent` sent with token requests.
    pub user_agent: UserAgent,
}

/// Identifies one issued token. Increases with every token the machine accepts, so a caller
/// that saw an API 401 with generation `g` can invalidate `g` without discarding a newer
/// token another caller already fetched.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TokenGeneration(u64);

impl TokenGeneration {
    /// The generation as a number (1 for the first token).
    #[must_use]
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Identifies one token request handed out by [`TokenMachine::poll`]. Its answer must be fed
/// back with the same id; the answer to an abandoned or superseded request is ignored.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TokenRequestId(u64);

/// A token the machine holds, with its timing and scopes.
#[derive(Clone)]
pub struct CachedToken {
    access_token: AccessToken,
    generation: TokenGeneration,
    sent_at: Instant,
    lifetime: Duration,
    usable_until: Instant,
    refresh_at: Instant,
    granted: Scopes,
    token_type_missing: bool,
    expires_in_missing: bool,
    scope_missing: bool,
}

impl CachedToken {
    /// The access token.
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// Which token this is.
    #[must_use]
    pub fn generation(&self) -> TokenGeneration {
        self.generation
    }

    /// When the request that obtained it was sent.
    #[must_use]
    pub fn sent_at(&self) -> Instant {
        self.sent_at
    }

    /// Its lifetime as the server stated it (clamped), or the default when it stated none.
    #[must_use]
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The token is handed out only strictly before this instant.
    #[must_use]
    pub fn usable_until(&self) -> Instant {
        self.usable_until
    }

    /// A refresh is due from this instant.
    #[must_use]
    pub fn refresh_at(&self) -> Instant {
        self.refresh_at
    }

    /// The scopes the token carries: the server's `scope` member, or the requested scopes
    /// when it sent none (RFC 6749 §5.1).
    #[must_use]
    pub fn granted(&self) -> &Scopes {
        &self.granted
    }

    /// Whether the server omitted `token_type` (treated as Bearer).
    #[must_use]
    pub fn token_type_missing(&self) -> bool {
        self.token_type_missing
    }

    /// Whether the server sent no usable `scope` member, so that [`granted`](Self::granted)
    /// holds the requested scopes (RFC 6749 §5.1).
    #[must_use]
    pub fn scope_missing(&self) -> bool {
        self.scope_missing
    }

    /// Whether the server omitted `expires_in` (the default lifetime applies).
    #[must_use]
    pub fn expires_in_missing(&self) -> bool {
        self.expires_in_missing
    }

    /// Whether the token may be handed out at `now`.
    #[must_use]
    pub fn is_usable(&self, now: Instant) -> bool {
        now < self.usable_until
    }
}

impl core::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CachedToken")
            .field("access_token", &self.access_token)
            .field("generation", &self.generation)
            .field("sent_at", &self.sent_at)
            .field("lifetime", &self.lifetime)
            .field("usable_until", &self.usable_until)
            .field("refresh_at", &self.refresh_at)
            .field("granted", &self.granted)
            .finish_non_exhaustive()
    }
}

/// What [`TokenMachine::poll`] asks the driver to do.
#[derive(Debug)]
#[non_exhaustive]
pub enum TokenAction<'a> {
    /// Use this token for API calls.
    Use(&'a CachedToken),
    /// Send a token request now: build it with [`TokenMachine::token_request`], then report
    /// the outcome with [`TokenMachine::handle_token_response`] or
    /// [`TokenMachine::handle_transport_error`] under this id. When a token is still usable
    /// (this is a refresh ahead of expiry), other callers keep getting [`TokenAction::Use`]
    /// meanwhile.
    Send(TokenRequestId),
    /// No token is usable and a request is already in flight: wait for its outcome.
    AwaitInFlight,
    /// No token is usable and the machine is backing off after a failure: poll again at
    /// `until`. `last_error` says why.
    WaitUntil {
        /// When the next token request may be sent.
        until: Instant,
        /// The failure that caused the backoff.
        last_error: Option<&'a TokenError>,
    },
    /// No token is usable and the server refused the client in a way retrying cannot fix.
    /// Nothing more is sent until [`TokenMachine::reset`].
    Halted(&'a TokenError),
}

/// What became of a token response or transport error fed to the machine.
#[derive(Debug)]
#[non_exhaustive]
pub enum TokenOutcome {
    /// A new token was accepted.
    Issued(TokenGeneration),
    /// The request failed; the machine backs off (or halts, for fatal errors). A token that
    /// is still usable keeps serving.
    Failed(TokenError),
    /// The answer belongs to a request that was abandoned or superseded: ignored.
    Stale,
}

/// A token exported for another process or a restart: the token, its scopes and its expiry
/// in wall-clock time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSnapshot {
    /// The access token.
    pub access_token: AccessToken,
    /// The scopes it carries.
    pub granted: Scopes,
    /// When it must no longer be used (the hand-out limit, margin already applied), in wall
    /// time.
    pub usable_until: UnixTime,
}

#[derive(Clone, Copy, Debug)]
struct InFlight {
    id: TokenRequestId,
    sent_at: Instant,
}

/// The token lifecycle state machine. See the [module documentation](self) for the states
/// and the timing rules.
///
/// Calling order: `poll(now)`; on [`TokenAction::Send`], build the request with
/// [`token_request`](Self::token_request), send it, and feed the answer with
/// [`handle_token_response`](Self::handle_token_response) (or the failure with
/// [`handle_transport_error`](Self::handle_transport_error), or give up with
/// [`abandon`](Self::abandon)); poll again. After an API 401, call
/// [`invalidate`](Self::invalidate) with the generation of the token that was refused.
#[derive(Debug)]
pub struct TokenMachine {
    client: TokenClient,
    policy: TokenPolicy,
    current: Option<CachedToken>,
    last_generation: u64,
    in_flight: Option<InFlight>,
    last_request_id: u64,
    failures: u32,
    not_before: Option<Instant>,
    last_error: Option<TokenError>,
    halted: bool,
    jitter: u32,
    refused: RefusedTokens,
}

/// Fingerprints of the last tokens the API refused (invalidated after a 401), so that
/// [`TokenMachine::import`] never takes one of them back from a shared store. Not the tokens
/// themselves: a 64-bit FNV-1a hash of each, which tells nothing usable about a random
/// bearer token. A collision would only refuse a good token, which is then fetched anew.
#[derive(Clone, Copy, Default)]
struct RefusedTokens {
    fingerprints: [Option<u64>; REFUSED_TOKENS],
    next: usize,
}

/// How many refused tokens a machine remembers.
const REFUSED_TOKENS: usize = 4;

impl RefusedTokens {
    fn fingerprint(token: &AccessToken) -> u64 {
        token
            .secret()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            })
    }

    fn remember(&mut self, token: &AccessToken) {
        self.fingerprints[self.next] = Some(Self::fingerprint(token));
        self.next = (self.next + 1) % REFUSED_TOKENS;
    }

    fn contains(&self, token: &AccessToken) -> bool {
        let fingerprint = Self::fingerprint(token);
        self.fingerprints.contains(&Some(fingerprint))
    }
}

impl fmt::Debug for RefusedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.fingerprints.iter().flatten().count();
        f.debug_struct("RefusedTokens")
            .field("count", &count)
            .finish()
    }
}

impl TokenMachine {
    /// A machine with no token yet, for this client, with the default [`TokenPolicy`].
    #[must_use]
    pub fn new(client: TokenClient) -> Self {
        Self::with_policy(client, TokenPolicy::default())
    }

    /// A machine with no token yet, for this client and policy.
    #[must_use]
    pub fn with_policy(client: TokenClient, policy: TokenPolicy) -> Self {
        TokenMachine {
            client,
            policy,
            current: None,
            last_generation: 0,
            in_flight: None,
            last_request_id: 0,
            failures: 0,
            not_before: None,
            last_error: None,
            halted: false,
            jitter: 0,
            refused: RefusedTokens::default(),
        }
    }

    /// The client this machine fetches tokens for.
    #[must_use]
    pub fn client(&self) -> &TokenClient {
        &self.client
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// Sets the refresh jitter for tokens accepted from now on, from a random value the
    /// caller draws: the refresh becomes due `random / u32::MAX × m / 2` earlier. Spreads the
    /// refreshes of many processes that started together. Zero (the default) means none.
    pub fn set_refresh_jitter(&mut self, random: u32) {
        self.jitter = random;
    }

    /// What to do now. See [`TokenAction`].
    ///
    /// Returning [`TokenAction::Send`] records the request as in flight: the caller must send
    /// it (or [`abandon`](Self::abandon) it).
    #[must_use]
    pub fn poll(&mut self, now: Instant) -> TokenAction<'_> {
        let usable = self.current.as_ref().is_some_and(|t| t.is_usable(now));
        if usable {
            let refresh_due = self.current.as_ref().is_some_and(|t| now >= t.refresh_at);
            if refresh_due && self.may_send(now) {
                return TokenAction::Send(self.begin(now));
            }
            return match &self.current {
                Some(token) => TokenAction::Use(token),
                None => TokenAction::AwaitInFlight,
            };
        }
        if self.halted {
            return match &self.last_error {
                Some(error) => TokenAction::Halted(error),
                None => TokenAction::AwaitInFlight,
            };
        }
        if self.in_flight.is_some() {
            return TokenAction::AwaitInFlight;
        }
        if let Some(until) = self.not_before.filter(|&t| now < t) {
            return TokenAction::WaitUntil {
                until,
                last_error: self.last_error.as_ref(),
            };
        }
        TokenAction::Send(self.begin(now))
    }

    /// The next instant at which [`poll`](Self::poll) may answer differently without any
    /// input: the current token's refresh or expiry, or the end of a backoff.
    #[must_use]
    pub fn poll_timeout(&self, now: Instant) -> Option<Instant> {
        let token_times = self.current.as_ref().and_then(|t| {
            [t.refresh_at, t.usable_until]
                .into_iter()
                .find(|&at| now < at)
        });
        let backoff = self.not_before.filter(|&t| now < t);
        match (token_times, backoff) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The token request to send for a [`TokenAction::Send`].
    #[must_use]
    pub fn token_request(&self) -> TokenRequest<'_> {
        TokenRequest::new(
            &self.client.endpoint,
            &self.client.credentials,
            &self.client.scopes,
            &self.client.user_agent,
        )
    }

    /// Feeds the token endpoint's answer to request `id`, received at `now`.
    pub fn handle_token_response(
        &mut self,
        now: Instant,
        id: TokenRequestId,
        response: &HttpResponse<'_>,
    ) -> TokenOutcome {
        let Some(sent_at) = self.finish(id) else {
            return TokenOutcome::Stale;
        };
        let parsed = match parse_token_response(response, &self.policy.response) {
            Ok(parsed) => parsed,
            Err(error) => return self.fail(now, error),
        };
        let lifetime = parsed.lifetime();
        let margin = self.policy.max_margin.min(lifetime / 10);
        let jitter = jitter_of(margin / 2, self.jitter);
        let expires_at = sent_at + lifetime;
        let usable_until = expires_at - margin;
        if now >= usable_until {
            return self.fail(
                now,
                TokenError::InvalidResponse(InvalidResponseReason::ExpiredOnArrival),
            );
        }
        let scope_missing = parsed.granted_scopes().is_none();
        let granted = parsed
            .granted_scopes()
            .cloned()
            .unwrap_or_else(|| self.client.scopes.clone());
        self.last_generation += 1;
        let generation = TokenGeneration(self.last_generation);
        self.current = Some(CachedToken {
            token_type_missing: parsed.token_type_missing(),
            expires_in_missing: parsed.expires_in().is_none(),
            scope_missing,
            access_token: parsed.into_access_token(),
            generation,
            sent_at,
            lifetime,
            usable_until,
            refresh_at: expires_at - margin - margin - jitter,
            granted,
        });
        self.failures = 0;
        self.not_before = None;
        self.last_error = None;
        self.halted = false;
        TokenOutcome::Issued(generation)
    }

    /// Feeds a failure to send request `id` or to receive its answer (connection refused,
    /// timeout, TLS, …), noticed at `now`. Backs off like any retryable failure.
    pub fn handle_transport_error(
        &mut self,
        now: Instant,
        id: TokenRequestId,
        error: TransportError,
    ) -> TokenOutcome {
        if self.finish(id).is_none() {
            return TokenOutcome::Stale;
        }
        self.fail(now, TokenError::Transport(error))
    }

    /// Gives up on request `id` without counting a failure (the driver was cancelled, not
    /// the server): the next poll may send a new request at once, and the late answer to
    /// `id`, if any, is ignored. Returns whether `id` was the request in flight.
    pub fn abandon(&mut self, id: TokenRequestId) -> bool {
        self.finish(id).is_some()
    }

    /// Drops the current token if it is still `generation`, after the API refused it (401).
    /// Returns whether it was dropped; a newer token is kept. The dropped token is never
    /// [imported](Self::import) again (the machine remembers a fingerprint of the last few
    /// it dropped), so a shared store that still holds it cannot hand it back.
    pub fn invalidate(&mut self, generation: TokenGeneration) -> bool {
        match self.current.take() {
            Some(token) if token.generation == generation => {
                self.refused.remember(&token.access_token);
                true
            }
            other => {
                self.current = other;
                false
            }
        }
    }

    /// Clears a halt, the backoff and the failure count (after the caller fixed the
    /// credentials or the configuration, say). A current token is kept.
    pub fn reset(&mut self) {
        self.halted = false;
        self.failures = 0;
        self.not_before = None;
        self.last_error = None;
    }

    /// The token held, usable or not.
    #[must_use]
    pub fn current(&self) -> Option<&CachedToken> {
        self.current.as_ref()
    }

    /// The last failure since the last token was issued (or the last reset).
    #[must_use]
    pub fn last_error(&self) -> Option<&TokenError> {
        self.last_error.as_ref()
    }

    /// Whether a fatal client error halted token requests.
    #[must_use]
    pub fn is_halted(&self) -> bool {
        self.halted
    }

    /// Whether a token request is in flight.
    #[must_use]
    pub fn is_fetching(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Exports the current token if it is usable at `now`, with its hand-out limit converted
    /// to wall time (`wall_now` is the caller's wall clock at `now`; rounded down to the
    /// second, so never later than the real limit).
    #[must_use]
    pub fn export(&self, now: Instant, wall_now: UnixTime) -> Option<TokenSnapshot> {
        let token = self.current.as_ref().filter(|t| t.is_usable(now))?;
        let remaining = token.usable_until - now;
        Some(TokenSnapshot {
            access_token: token.access_token.clone(),
            granted: token.granted.clone(),
            usable_until: UnixTime::from_secs(
                wall_now.as_secs().saturating_add(remaining.as_secs()),
            ),
        })
    }

    /// Imports a token exported by [`export`](Self::export) (here or in another process)
    /// at `now`, when the caller's wall clock reads `wall_now`. `clock_skew` is subtracted
    /// from the remaining time to cover the difference between the two processes' wall
    /// clocks. The snapshot is used as is, without a further margin, and refreshed
    /// `min(max_margin, remaining / 10)` before its limit. Returns the new generation, or
    /// `None` when the snapshot has no usable time left, holds no more time than the
    /// current token, or holds a token the API refused here (see
    /// [`invalidate`](Self::invalidate)).
    pub fn import(
        &mut self,
        now: Instant,
        wall_now: UnixTime,
        clock_skew: Duration,
        snapshot: TokenSnapshot,
    ) -> Option<TokenGeneration> {
        if self.refused.contains(&snapshot.access_token) {
            return None;
        }
        let remaining = snapshot
            .usable_until
            .saturating_duration_since(wall_now)
            .saturating_sub(clock_skew);
        if remaining.is_zero() {
            return None;
        }
        let usable_until = now + remaining;
        if self
            .current
            .as_ref()
            .is_some_and(|t| t.usable_until >= usable_until)
        {
            return None;
        }
        let margin = self.policy.max_margin.min(remaining / 10);
        self.last_generation += 1;
        let generation = TokenGeneration(self.last_generation);
        self.current = Some(CachedToken {
            access_token: snapshot.access_token,
            generation,
            sent_at: now,
            lifetime: remaining,
            usable_until,
            refresh_at: usable_until - margin,
            granted: snapshot.granted,
            token_type_missing: false,
            expires_in_missing: false,
            scope_missing: false,
        });
        Some(generation)
    }

    fn may_send(&self, now: Instant) -> bool {
        !self.halted && self.in_flight.is_none() && self.not_before.is_none_or(|t| now >= t)
    }

    fn begin(&mut self, now: Instant) -> TokenRequestId {
        self.last_request_id += 1;
        let id = TokenRequestId(self.last_request_id);
        self.in_flight = Some(InFlight { id, sent_at: now });
        id
    }

    fn finish(&mut self, id: TokenRequestId) -> Option<Instant> {
        match self.in_flight {
            Some(in_flight) if in_flight.id == id => {
                self.in_flight = None;
                Some(in_flight.sent_at)
            }
            _ => None,
        }
    }

    fn fail(&mut self, now: Instant, mut error: TokenError) -> TokenOutcome {
        error.redact(&self.client.credentials);
        self.failures = self.failures.saturating_add(1);
        let exponent = self.failures.saturating_sub(1).min(20);
        let backoff = self
            .policy
            .backoff_initial
            .saturating_mul(1 << exponent)
            .min(self.policy.backoff_max);
        let wait = error.retry_after().map_or(backoff, |r| r.max(backoff));
        self.not_before = Some(now + wait);
        self.halted = error.is_fatal_for_client();
        self.last_error = Some(error.clone());
        TokenOutcome::Failed(error)
    }
}

/// `random / u32::MAX` of `span`.
fn jitter_of(span: Duration, random: u32) -> Duration {
    let millis = crate::time::duration_millis(span);
    let scaled = u128::from(millis) * u128::from(random) / u128::from(u32::MAX);
    Duration::from_millis(u64::try_from(scaled).unwrap_or(millis))
}

#[cfg(test)]
mod tests;
