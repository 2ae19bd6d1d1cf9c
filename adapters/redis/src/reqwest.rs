//! [`AsyncRedisFleet`] as `lucca-auth-reqwest`'s [`SharedTokenStore`] and
//! [`SharedRatePacer`] (feature `reqwest`).

use std::time::Duration;

use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::TokenClient;
use lucca_auth::secret::AccessToken;
use lucca_auth_reqwest::shared::{BoxFuture, Lease, LeaseAttempt, SharedToken};
use lucca_auth_reqwest::{SharedRatePacer, SharedTokenStore};

use crate::AsyncRedisFleet;
use crate::error::log_unexpected;
use crate::sealed::FleetToken;

impl SharedTokenStore for AsyncRedisFleet {
    fn load<'a>(&'a self, client: &'a TokenClient) -> BoxFuture<'a, Option<SharedToken>> {
        Box::pin(async move {
            match self.load_token(client).await {
                Ok(token) => token.map(|token| {
                    SharedToken::new(token.access_token, token.granted, token.remaining)
                }),
                Err(error) => {
                    log_unexpected("load", &error);
                    None
                }
            }
        })
    }

    fn try_lease<'a>(&'a self, client: &'a TokenClient) -> BoxFuture<'a, LeaseAttempt> {
        Box::pin(async move {
            match AsyncRedisFleet::try_lease(self, client).await {
                Ok(Some(value)) => LeaseAttempt::Acquired(Lease::new(value)),
                Ok(None) => LeaseAttempt::Busy,
                Err(error) => {
                    log_unexpected("lease", &error);
                    LeaseAttempt::Unavailable
                }
            }
        })
    }

    fn publish<'a>(
        &'a self,
        client: &'a TokenClient,
        token: &'a SharedToken,
        lease: Lease,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let token = FleetToken {
                access_token: token.access_token().clone(),
                granted: token.granted().clone(),
                remaining: token.remaining(),
            };
            if let Err(error) = self.publish_token(client, &token, lease.value()).await {
                log_unexpected("publish", &error);
            }
        })
    }

    fn release<'a>(&'a self, client: &'a TokenClient, lease: Lease) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(error) = self.release_lease(client, lease.value()).await {
                log_unexpected("release", &error);
            }
        })
    }

    fn wait<'a>(&'a self, _client: &'a TokenClient) -> BoxFuture<'a, ()> {
        Box::pin(self.wait_poll_interval())
    }

    fn discard<'a>(
        &'a self,
        client: &'a TokenClient,
        refused: &'a AccessToken,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(error) = self.discard_token(client, refused).await {
                log_unexpected("discard", &error);
            }
        })
    }
}

impl SharedRatePacer for AsyncRedisFleet {
    fn poll_send<'a>(&'a self, tenant: &'a TenantHost) -> BoxFuture<'a, Result<(), Duration>> {
        Box::pin(AsyncRedisFleet::poll_send(self, tenant))
    }

    fn handle_retry_after<'a>(
        &'a self,
        tenant: &'a TenantHost,
        delay: Duration,
    ) -> BoxFuture<'a, ()> {
        Box::pin(AsyncRedisFleet::handle_retry_after(self, tenant, delay))
    }
}
