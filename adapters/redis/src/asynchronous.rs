//! The async fleet client, [`AsyncRedisFleet`]: the same operations as
//! [`RedisFleet`](crate::RedisFleet) on one multiplexed tokio connection.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::TokenClient;
use lucca_auth::secret::AccessToken;
use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;

use crate::builder::{FleetBuilder, Options};
use crate::error::{StoreError, from_redis, is_connection_failure};
use crate::fleet::FleetCore;
use crate::keys::{PaceKeys, TokenKeys};
use crate::sealed::FleetToken;

/// An async (tokio) client of the fleet's shared state in Redis; the counterpart of
/// [`RedisFleet`](crate::RedisFleet), with the same keys, values and scripts, so blocking
/// and async workers can share one fleet. Cheap to clone.
#[derive(Clone)]
pub struct AsyncRedisFleet {
    inner: Arc<Inner>,
}

struct Inner {
    core: FleetCore,
    client: redis::Client,
    /// The connection, shared by clones of it (multiplexed); `None` until connected or after
    /// it failed.
    connection: Mutex<Option<MultiplexedConnection>>,
}

impl fmt::Debug for AsyncRedisFleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRedisFleet")
            .field("key_prefix", &self.inner.core.options.key_prefix)
            .field("reachable", &self.inner.core.health.is_up())
            .finish_non_exhaustive()
    }
}

impl AsyncRedisFleet {
    /// A builder for a fleet client of the Redis at `url`; finish it with
    /// [`FleetBuilder::build_async`].
    pub fn builder(url: impl Into<String>) -> FleetBuilder {
        FleetBuilder::new(url)
    }

    pub(crate) fn new(client: redis::Client, options: Options) -> Self {
        AsyncRedisFleet {
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

    /// The connection, connecting first if needed. While Redis is down only one task
    /// probes it; the others get [`StoreError::Unavailable`] at once.
    async fn connection(&self) -> Result<MultiplexedConnection, StoreError> {
        let core = self.core();
        if !core.health.may_try() {
            return Err(StoreError::Unavailable);
        }
        let mut slot = if core.health.is_up() {
            self.inner.connection.lock().await
        } else {
            self.inner
                .connection
                .try_lock()
                .map_err(|_| StoreError::Unavailable)?
        };
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(core.options.connect_timeout))
            .set_response_timeout(Some(core.options.io_timeout));
        let connected = self
            .inner
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await;
        core.record(&connected);
        let connection = connected.map_err(|error| from_redis(&error))?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Records `result` in the health and drops a failed connection.
    async fn settle<T>(&self, result: redis::RedisResult<T>) -> Result<T, StoreError> {
        self.core().record(&result);
        match result {
            Ok(value) => Ok(value),
            Err(error) => {
                if is_connection_failure(&error) {
                    *self.inner.connection.lock().await = None;
                }
                Err(from_redis(&error))
            }
        }
    }

    /// See [`RedisFleet::load_token`](crate::RedisFleet::load_token).
    ///
    /// # Errors
    ///
    /// [`StoreError::Sealed`] when the stored value does not open with `client`'s secret
    /// under its key; the others when Redis did not answer.
    pub async fn load_token(&self, client: &TokenClient) -> Result<Option<FleetToken>, StoreError> {
        let keys = self.core().token_keys(client);
        let sent = Instant::now();
        let mut connection = self.connection().await?;
        let result = FleetCore::load_command(&keys)
            .query_async(&mut connection)
            .await;
        let reply = self.settle(result).await?;
        FleetCore::read_load(client, &keys, reply, sent.elapsed())
    }

    /// See [`RedisFleet::try_lease`](crate::RedisFleet::try_lease).
    ///
    /// # Errors
    ///
    /// When Redis did not answer.
    pub async fn try_lease(&self, client: &TokenClient) -> Result<Option<String>, StoreError> {
        let keys = self.core().token_keys(client);
        let (command, value) = self.core().lease_command(&keys);
        let mut connection = self.connection().await?;
        let result: redis::RedisResult<Option<String>> = command.query_async(&mut connection).await;
        Ok(self.settle(result).await?.map(|_| value))
    }

    /// See [`RedisFleet::publish_token`](crate::RedisFleet::publish_token).
    ///
    /// # Errors
    ///
    /// When the token could not be sealed or Redis did not answer.
    pub async fn publish_token(
        &self,
        client: &TokenClient,
        token: &FleetToken,
        lease: &str,
    ) -> Result<bool, StoreError> {
        let keys = self.core().token_keys(client);
        let Some(invocation) = FleetCore::publish_invocation(client, &keys, token, lease)? else {
            return self.release_lease(client, lease).await.map(|_| false);
        };
        let mut connection = self.connection().await?;
        let result: redis::RedisResult<i64> = invocation.invoke_async(&mut connection).await;
        Ok(self.settle(result).await? == 1)
    }

    /// See [`RedisFleet::release_lease`](crate::RedisFleet::release_lease).
    ///
    /// # Errors
    ///
    /// When Redis did not answer.
    pub async fn release_lease(
        &self,
        client: &TokenClient,
        lease: &str,
    ) -> Result<bool, StoreError> {
        let keys = self.core().token_keys(client);
        let invocation = FleetCore::release_invocation(&keys, lease);
        let mut connection = self.connection().await?;
        let result: redis::RedisResult<i64> = invocation.invoke_async(&mut connection).await;
        Ok(self.settle(result).await? == 1)
    }

    /// See [`RedisFleet::discard_token`](crate::RedisFleet::discard_token).
    ///
    /// # Errors
    ///
    /// When Redis did not answer.
    pub async fn discard_token(
        &self,
        client: &TokenClient,
        refused: &AccessToken,
    ) -> Result<bool, StoreError> {
        let keys = self.core().token_keys(client);
        let mut connection = self.connection().await?;
        let result: redis::RedisResult<Option<Vec<u8>>> = FleetCore::sealed_command(&keys)
            .query_async(&mut connection)
            .await;
        let sealed = self.settle(result).await?;
        let Some(invocation) = FleetCore::discard_invocation(client, &keys, sealed, refused) else {
            return Ok(false);
        };
        let result: redis::RedisResult<i64> = invocation.invoke_async(&mut connection).await;
        Ok(self.settle(result).await? == 1)
    }

    /// See [`RedisFleet::poll_send`](crate::RedisFleet::poll_send).
    ///
    /// # Errors
    ///
    /// The wait, when no request may be sent now.
    pub async fn poll_send(&self, tenant: &TenantHost) -> Result<(), Duration> {
        let invocation = self.core().pace_invocation(tenant);
        let answer = match self.connection().await {
            Ok(mut connection) => {
                let result: redis::RedisResult<u64> =
                    invocation.invoke_async(&mut connection).await;
                self.settle(result).await
            }
            Err(error) => Err(error),
        };
        match answer {
            Ok(wait) => FleetCore::read_pace(wait),
            Err(_) => self.core().local_poll_send(tenant),
        }
    }

    /// Waits until a request to `tenant` may be sent, and takes its slot.
    pub async fn pace(&self, tenant: &TenantHost) {
        while let Err(wait) = self.poll_send(tenant).await {
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// See [`RedisFleet::handle_retry_after`](crate::RedisFleet::handle_retry_after).
    pub async fn handle_retry_after(&self, tenant: &TenantHost, delay: Duration) {
        self.core().local_retry_after(tenant, delay);
        let invocation = self.core().block_invocation(tenant, delay);
        if let Ok(mut connection) = self.connection().await {
            let result: redis::RedisResult<i64> = invocation.invoke_async(&mut connection).await;
            // Unreachable: the local block above is what this process can do.
            let _ = self.settle(result).await;
        }
    }

    /// Waits for the poll interval.
    pub async fn wait_poll_interval(&self) {
        tokio::time::sleep(self.core().options.poll_interval).await;
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
