//! The blocking fleet client, [`RedisFleet`]: one Redis connection per client (reconnected
//! after failures), every operation with a timeout, falling back when Redis is unreachable.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::TokenClient;
use lucca_auth::secret::AccessToken;

use crate::builder::{FleetBuilder, Options};
use crate::error::{StoreError, from_redis, is_connection_failure};
use crate::fleet::FleetCore;
use crate::keys::{PaceKeys, TokenKeys};
use crate::sealed::FleetToken;

/// A blocking client of the fleet's shared state in Redis: the token store with its lease,
/// and the tenants' rate budgets. Cheap to clone (clones share the connection). See the
/// [crate documentation](crate) for what it stores and how it behaves when Redis is down.
///
/// With the `ureq` feature it implements `lucca_auth_ureq`'s `SharedTokenStore` and
/// `SharedRatePacer`.
#[derive(Clone)]
pub struct RedisFleet {
    inner: Arc<Inner>,
}

struct Inner {
    core: FleetCore,
    client: redis::Client,
    connection: Mutex<Option<redis::Connection>>,
}

impl fmt::Debug for RedisFleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the client: its connection info may carry a password.
        f.debug_struct("RedisFleet")
            .field("key_prefix", &self.inner.core.options.key_prefix)
            .field("reachable", &self.inner.core.health.is_up())
            .finish_non_exhaustive()
    }
}

impl RedisFleet {
    /// A builder for a fleet client of the Redis at `url` (`redis://[:password@]host:port/db`,
    /// `rediss://` needs a TLS feature of the `redis` crate).
    pub fn builder(url: impl Into<String>) -> FleetBuilder {
        FleetBuilder::new(url)
    }

    pub(crate) fn new(client: redis::Client, options: Options) -> Self {
        RedisFleet {
            inner: Arc::new(Inner {
                core: FleetCore::new(options),
                client,
                connection: Mutex::new(None),
            }),
        }
    }

    fn core(&self) -> &FleetCore {
        &self.inner.core
    }

    /// Runs `op` on the connection (connecting first if needed), recording Redis's health.
    /// While Redis is down, only one thread probes it; the others get
    /// [`StoreError::Unavailable`] at once.
    fn run<T>(
        &self,
        op: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let core = self.core();
        if !core.health.may_try() {
            return Err(StoreError::Unavailable);
        }
        let mut slot: MutexGuard<'_, Option<redis::Connection>> = if core.health.is_up() {
            self.inner
                .connection
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        } else {
            match self.inner.connection.try_lock() {
                Ok(slot) => slot,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => return Err(StoreError::Unavailable),
            }
        };
        if slot.is_none() {
            let connected = self.connect();
            core.record(&connected);
            *slot = Some(connected.map_err(|error| from_redis(&error))?);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(StoreError::Unavailable);
        };
        let result = op(connection);
        core.record(&result);
        result.map_err(|error| {
            if is_connection_failure(&error) {
                *slot = None;
            }
            from_redis(&error)
        })
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let options = &self.core().options;
        let connection = self
            .inner
            .client
            .get_connection_with_timeout(options.connect_timeout)?;
        connection.set_read_timeout(Some(options.io_timeout))?;
        connection.set_write_timeout(Some(options.io_timeout))?;
        Ok(connection)
    }

    /// The token the fleet shares for `client` (its endpoint, id and scope set), with its time
    /// left, if there is one.
    ///
    /// # Errors
    ///
    /// [`StoreError::Sealed`] when the stored value does not open with `client`'s secret
    /// under its key (another secret, a value copied from another key, an altered value);
    /// [`StoreError::Unavailable`], [`StoreError::Connection`] or [`StoreError::Redis`] when
    /// Redis did not answer.
    pub fn load_token(&self, client: &TokenClient) -> Result<Option<FleetToken>, StoreError> {
        let keys = self.core().token_keys(client);
        let sent = Instant::now();
        let reply = self.run(|connection| FleetCore::load_command(&keys).query(connection))?;
        FleetCore::read_load(client, &keys, reply, sent.elapsed())
    }

    /// Tries to take the lease of `client`'s next fetch: `Some(value)` when this caller holds
    /// it (for the lease's lifetime at most), `None` when another one does.
    ///
    /// # Errors
    ///
    /// When Redis did not answer.
    pub fn try_lease(&self, client: &TokenClient) -> Result<Option<String>, StoreError> {
        let keys = self.core().token_keys(client);
        let (command, value) = self.core().lease_command(&keys);
        let taken: Option<String> = self.run(|connection| command.query(connection))?;
        Ok(taken.map(|_| value))
    }

    /// Shares `token` (sealed with `client`'s secret for its key, living in Redis for its time
    /// left) unless the one already there lives longer, and releases `lease` if the caller
    /// still holds it. Returns whether the token was stored.
    ///
    /// # Errors
    ///
    /// When the token could not be sealed or Redis did not answer.
    pub fn publish_token(
        &self,
        client: &TokenClient,
        token: &FleetToken,
        lease: &str,
    ) -> Result<bool, StoreError> {
        let keys = self.core().token_keys(client);
        match FleetCore::publish_invocation(client, &keys, token, lease)? {
            Some(invocation) => {
                let stored: i64 = self.run(|connection| invocation.invoke(connection))?;
                Ok(stored == 1)
            }
            None => self.release_lease(client, lease).map(|_| false),
        }
    }

    /// Releases `lease` if the caller still holds it (a lease that expired and was taken by
    /// another worker is left alone). Returns whether it was released.
    ///
    /// # Errors
    ///
    /// When Redis did not answer.
    pub fn release_lease(&self, client: &TokenClient, lease: &str) -> Result<bool, StoreError> {
        let keys = self.core().token_keys(client);
        let invocation = FleetCore::release_invocation(&keys, lease);
        let released: i64 = self.run(|connection| invocation.invoke(connection))?;
        Ok(released == 1)
    }

    /// Drops `refused` from the store if it is still the token stored for `client` (a
    /// compare-and-delete: a newer token another worker stored meanwhile is left alone),
    /// after the API refused it (401), so that no worker adopts it again. Returns whether it
    /// was dropped.
    ///
    /// # Errors
    ///
    /// When Redis did not answer.
    pub fn discard_token(
        &self,
        client: &TokenClient,
        refused: &AccessToken,
    ) -> Result<bool, StoreError> {
        let keys = self.core().token_keys(client);
        let sealed: Option<Vec<u8>> =
            self.run(|connection| FleetCore::sealed_command(&keys).query(connection))?;
        let Some(invocation) = FleetCore::discard_invocation(client, &keys, sealed, refused) else {
            return Ok(false);
        };
        let deleted: i64 = self.run(|connection| invocation.invoke(connection))?;
        Ok(deleted == 1)
    }

    /// Takes one slot of `tenant`'s budget for a request sent now (`Ok`), or says how long to
    /// wait before asking again (`Err`). Atomic on the Redis server for the whole fleet; while
    /// Redis is unreachable, paced by this process alone (see
    /// [`FleetBuilder::fleet_size`]).
    ///
    /// # Errors
    ///
    /// The wait, when no request may be sent now.
    pub fn poll_send(&self, tenant: &TenantHost) -> Result<(), Duration> {
        let invocation = self.core().pace_invocation(tenant);
        match self.run(|connection| invocation.invoke::<u64>(connection)) {
            Ok(wait) => FleetCore::read_pace(wait),
            Err(_) => self.core().local_poll_send(tenant),
        }
    }

    /// Blocks until a request to `tenant` may be sent, and takes its slot.
    pub fn pace(&self, tenant: &TenantHost) {
        while let Err(wait) = self.poll_send(tenant) {
            thread::sleep(wait.max(Duration::from_millis(1)));
        }
    }

    /// A 429 from `tenant` asked to wait `delay`: nobody in the fleet sends to it before then
    /// (and neither does this process's fallback pacer).
    pub fn handle_retry_after(&self, tenant: &TenantHost, delay: Duration) {
        self.core().local_retry_after(tenant, delay);
        let invocation = self.core().block_invocation(tenant, delay);
        // Unreachable: the local block above is what this process can do.
        let _ = self.run(|connection| invocation.invoke::<i64>(connection));
    }

    /// Blocks for the poll interval: the time between two looks at a token another worker is
    /// fetching.
    pub fn wait_poll_interval(&self) {
        thread::sleep(self.core().options.poll_interval);
    }

    /// The Redis keys of `client`'s token and lease.
    #[must_use]
    pub fn token_keys(&self, client: &TokenClient) -> TokenKeys {
        self.core().token_keys(client)
    }

    /// The Redis keys of `tenant`'s budget.
    #[must_use]
    pub fn pace_keys(&self, tenant: &TenantHost) -> PaceKeys {
        self.core().pace_keys(tenant)
    }

    /// Whether Redis answered the last time it was asked.
    #[must_use]
    pub fn is_reachable(&self) -> bool {
        self.core().health.is_up()
    }

    /// The lease's lifetime.
    #[must_use]
    pub fn lease_ttl(&self) -> Duration {
        self.core().options.lease_ttl
    }
}
