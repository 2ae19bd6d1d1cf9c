//! [`RedisFleet`] as `lucca-auth-ureq`'s [`SharedTokenStore`] and [`SharedRatePacer`]
//! (feature `ureq`).

use std::time::Duration;

use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::TokenClient;
use lucca_auth::secret::AccessToken;
use lucca_auth_ureq::shared::{Lease, LeaseAttempt, SharedToken};
use lucca_auth_ureq::{SharedRatePacer, SharedTokenStore};

use crate::RedisFleet;
use crate::error::log_unexpected;
use crate::sealed::FleetToken;

impl SharedTokenStore for RedisFleet {
    fn load(&self, client: &TokenClient) -> Option<SharedToken> {
        match self.load_token(client) {
            Ok(token) => token
                .map(|token| SharedToken::new(token.access_token, token.granted, token.remaining)),
            Err(error) => {
                log_unexpected("load", &error);
                None
            }
        }
    }

    fn try_lease(&self, client: &TokenClient) -> LeaseAttempt {
        match RedisFleet::try_lease(self, client) {
            Ok(Some(value)) => LeaseAttempt::Acquired(Lease::new(value)),
            Ok(None) => LeaseAttempt::Busy,
            Err(error) => {
                log_unexpected("lease", &error);
                LeaseAttempt::Unavailable
            }
        }
    }

    fn publish(&self, client: &TokenClient, token: &SharedToken, lease: Lease) {
        let token = FleetToken {
            access_token: token.access_token().clone(),
            granted: token.granted().clone(),
            remaining: token.remaining(),
        };
        if let Err(error) = self.publish_token(client, &token, lease.value()) {
            log_unexpected("publish", &error);
        }
    }

    fn release(&self, client: &TokenClient, lease: Lease) {
        if let Err(error) = self.release_lease(client, lease.value()) {
            log_unexpected("release", &error);
        }
    }

    fn discard(&self, client: &TokenClient, refused: &AccessToken) {
        if let Err(error) = self.discard_token(client, refused) {
            log_unexpected("discard", &error);
        }
    }

    fn wait(&self, _client: &TokenClient) {
        self.wait_poll_interval();
    }
}

impl SharedRatePacer for RedisFleet {
    fn poll_send(&self, tenant: &TenantHost) -> Result<(), Duration> {
        RedisFleet::poll_send(self, tenant)
    }

    fn handle_retry_after(&self, tenant: &TenantHost, delay: Duration) {
        RedisFleet::handle_retry_after(self, tenant, delay);
    }
}
