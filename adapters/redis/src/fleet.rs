//! What the blocking and the async fleet clients share ([`FleetCore`]): the settings, the
//! health of the connection, the fallback pacers, and each operation as the Redis command it
//! sends and the reading of its reply. The front ends only run the commands.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::TokenClient;
use lucca_auth::secret::AccessToken;
use redis::{Cmd, Pipeline, ScriptInvocation};

use crate::builder::Options;
use crate::error::StoreError;
use crate::fallback::LocalPacers;
use crate::health::Health;
use crate::keys::{PaceKeys, TokenKeys, hex};
use crate::scripts::{BLOCK_SCRIPT, COMPARE_AND_DELETE_SCRIPT, PACE_SCRIPT, PUBLISH_SCRIPT};
use crate::sealed::{FleetToken, SealError, TokenSealer};

/// Settings, connection health, fallback, and the operations' commands.
#[derive(Debug)]
pub(crate) struct FleetCore {
    pub(crate) options: Options,
    pub(crate) health: Health,
    pub(crate) local: LocalPacers,
    /// Random per fleet client: makes lease values and pacing members unique fleet-wide.
    instance: String,
    counter: AtomicU64,
}

impl FleetCore {
    pub(crate) fn new(options: Options) -> Self {
        let mut random = [0u8; 16];
        // Without OS randomness, the time and process id still tell instances apart.
        if getrandom::fill(&mut random).is_err() {
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos());
            random[..8].copy_from_slice(&(seed as u64).to_be_bytes());
            random[8..12].copy_from_slice(&std::process::id().to_be_bytes());
        }
        FleetCore {
            health: Health::new(options.retry_interval),
            local: LocalPacers::new(),
            options,
            instance: hex(&random),
            counter: AtomicU64::new(0),
        }
    }

    /// A value no other call of any process uses.
    fn unique(&self) -> String {
        format!(
            "{}:{}",
            self.instance,
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }

    pub(crate) fn token_keys(&self, client: &TokenClient) -> TokenKeys {
        TokenKeys::new(&self.options.key_prefix, client)
    }

    pub(crate) fn pace_keys(&self, tenant: &TenantHost) -> PaceKeys {
        PaceKeys::new(&self.options.key_prefix, tenant)
    }

    /// `GET` and `PTTL` of the token, in one transaction.
    pub(crate) fn load_command(keys: &TokenKeys) -> Pipeline {
        let mut pipe = redis::pipe();
        pipe.atomic().get(&keys.token).pttl(&keys.token);
        pipe
    }

    /// Opens a loaded value. `pttl` is the key's time left when Redis read it, `round_trip`
    /// how long the read took: the time left is counted from when it was sent, so that it
    /// is never more than the truth.
    pub(crate) fn read_load(
        client: &TokenClient,
        keys: &TokenKeys,
        reply: (Option<Vec<u8>>, i64),
        round_trip: Duration,
    ) -> Result<Option<FleetToken>, StoreError> {
        let (Some(value), pttl) = reply else {
            return Ok(None);
        };
        // -1 (no time to live) is not a value this crate wrote; -2 is gone.
        let Ok(pttl) = u64::try_from(pttl) else {
            return Ok(None);
        };
        let Some(remaining) = Duration::from_millis(pttl).checked_sub(round_trip) else {
            return Ok(None);
        };
        if remaining.is_zero() {
            return Ok(None);
        }
        let sealer = TokenSealer::new(client.credentials.secret());
        Ok(Some(sealer.open(&keys.token, &value, remaining)?))
    }

    /// `SET lease value NX PX ttl`, with a fresh unique value.
    pub(crate) fn lease_command(&self, keys: &TokenKeys) -> (Cmd, String) {
        let value = self.unique();
        let mut cmd = redis::cmd("SET");
        cmd.arg(&keys.lease)
            .arg(&value)
            .arg("NX")
            .arg("PX")
            .arg(millis(self.options.lease_ttl).max(1));
        (cmd, value)
    }

    /// The publish script for `token` (sealed for its key), or `None` when it has no whole
    /// millisecond left (then only the lease is released).
    pub(crate) fn publish_invocation(
        client: &TokenClient,
        keys: &TokenKeys,
        token: &FleetToken,
        lease: &str,
    ) -> Result<Option<ScriptInvocation<'static>>, SealError> {
        let ttl = millis(token.remaining);
        if ttl == 0 {
            return Ok(None);
        }
        let sealed = TokenSealer::new(client.credentials.secret()).seal(&keys.token, token)?;
        let mut invocation = PUBLISH_SCRIPT.prepare_invoke();
        invocation
            .key(&keys.token)
            .key(&keys.lease)
            .arg(sealed)
            .arg(ttl)
            .arg(lease);
        Ok(Some(invocation))
    }

    pub(crate) fn release_invocation(keys: &TokenKeys, lease: &str) -> ScriptInvocation<'static> {
        let mut invocation = COMPARE_AND_DELETE_SCRIPT.prepare_invoke();
        invocation.key(&keys.lease).arg(lease);
        invocation
    }

    /// `GET` of the sealed token, to tell whether it is the one to discard.
    pub(crate) fn sealed_command(keys: &TokenKeys) -> Cmd {
        let mut cmd = redis::cmd("GET");
        cmd.arg(&keys.token);
        cmd
    }

    /// The compare-and-delete of the stored value `sealed` if it holds `refused`, or `None`
    /// when it holds another token, nothing, or a value that does not open with `client`'s
    /// secret under its key (left alone: not this client's to judge).
    pub(crate) fn discard_invocation(
        client: &TokenClient,
        keys: &TokenKeys,
        sealed: Option<Vec<u8>>,
        refused: &AccessToken,
    ) -> Option<ScriptInvocation<'static>> {
        let sealed = sealed?;
        let sealer = TokenSealer::new(client.credentials.secret());
        let stored = sealer.open(&keys.token, &sealed, Duration::ZERO).ok()?;
        if stored.access_token != *refused {
            return None;
        }
        let mut invocation = COMPARE_AND_DELETE_SCRIPT.prepare_invoke();
        invocation.key(&keys.token).arg(sealed);
        Some(invocation)
    }

    /// The pacing script for one request to `tenant`.
    pub(crate) fn pace_invocation(&self, tenant: &TenantHost) -> ScriptInvocation<'static> {
        let keys = self.pace_keys(tenant);
        let budget = self.options.fleet_budget(tenant);
        let mut invocation = PACE_SCRIPT.prepare_invoke();
        invocation
            .key(&keys.log)
            .key(&keys.block)
            .arg(budget.max_requests())
            .arg(micros(budget.window()))
            .arg(self.unique());
        invocation
    }

    /// The pacing script's answer: 0 admitted, else the µs to wait.
    pub(crate) fn read_pace(wait_micros: u64) -> Result<(), Duration> {
        if wait_micros == 0 {
            Ok(())
        } else {
            Err(Duration::from_micros(wait_micros))
        }
    }

    pub(crate) fn block_invocation(
        &self,
        tenant: &TenantHost,
        delay: Duration,
    ) -> ScriptInvocation<'static> {
        let keys = self.pace_keys(tenant);
        let mut invocation = BLOCK_SCRIPT.prepare_invoke();
        invocation.key(&keys.block).arg(micros(delay));
        invocation
    }

    /// The local pacer's answer, while Redis is unreachable.
    pub(crate) fn local_poll_send(&self, tenant: &TenantHost) -> Result<(), Duration> {
        self.local
            .poll_send(tenant, self.options.fallback_budget(tenant))
    }

    pub(crate) fn local_retry_after(&self, tenant: &TenantHost, delay: Duration) {
        self.local
            .handle_retry_after(tenant, self.options.fallback_budget(tenant), delay);
    }

    /// Records the outcome of one Redis operation in the connection's health.
    pub(crate) fn record<T>(&self, result: &redis::RedisResult<T>) {
        match result {
            Ok(_) => self.health.succeeded(),
            Err(error) if crate::error::is_connection_failure(error) => {
                self.health.failed(error.category());
            }
            Err(_) => {}
        }
    }
}

/// Whole milliseconds of `duration`, saturating.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Whole microseconds of `duration`, saturating.
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
