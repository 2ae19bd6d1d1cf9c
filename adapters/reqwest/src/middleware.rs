//! [`LuccaAuthMiddleware`]: Lucca authentication as a `reqwest_middleware::Middleware`.

use std::fmt;

use http::Extensions;
use reqwest::header::AUTHORIZATION;
use reqwest::{Request, Response, StatusCode};
use reqwest_middleware::{Middleware, Next};

use lucca_auth::api::{ApiAttempt, ApiResponseClass};

use crate::trace::event;
use crate::transport::{core_headers, core_response};
use crate::{Error, LuccaClient};

/// Adds a [`LuccaClient`]'s token to the requests of a `reqwest_middleware` chain that go to
/// the client's tenant origin (same scheme, host and port), and leaves every other request
/// untouched: the token never goes to another host.
///
/// For a tenant request it sets `Authorization: Bearer …` (replacing any), and `Api-Version`,
/// `Accept` and `User-Agent` when the request has none. The token comes from the client's
/// cache for its scope set (single-flight refresh, shared with the client and its clones).
/// On a 401 it invalidates that token and resends the request once with a fresh one, when
/// the request can be cloned (its body is not a stream); otherwise the 401 response is
/// returned as is. Other statuses are returned as they are: classification (403, 429, …) is
/// the [`LuccaClient`] request API's job, not a middleware's. With a
/// [shared pacer](crate::LuccaClientBuilder::shared_pacer), every attempt waits for a slot of
/// the tenant's budget, and a 429's `Retry-After` is told to the pacer.
///
/// When no token can be had, the chain fails with `reqwest_middleware::Error::Middleware`
/// wrapping the crate's [`Error`].
///
/// Build the `reqwest::Client` inside the chain with `redirect::Policy::none()` (the
/// [`LuccaClient`]'s own client, or one from [`http_client_builder`](crate::http_client_builder),
/// is).
///
/// ```no_run
/// # async fn run(client: lucca_auth_reqwest::LuccaClient) -> Result<(), Box<dyn std::error::Error>> {
/// let with_auth = reqwest_middleware::ClientBuilder::new(client.http_client().clone())
///     .with(client.middleware())
///     .build();
/// let leaves = with_auth
///     .get(format!("{}/lucca-api/leaves", client.tenant().origin()))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LuccaAuthMiddleware {
    client: LuccaClient,
}

impl LuccaAuthMiddleware {
    /// Authentication with `client`'s token (its scope set) for `client`'s tenant.
    #[must_use]
    pub fn new(client: LuccaClient) -> Self {
        LuccaAuthMiddleware { client }
    }

    /// Whether a request to `url` gets the token.
    #[must_use]
    pub fn applies_to(&self, url: &reqwest::Url) -> bool {
        self.client.tenant().same_origin(url.as_str())
    }

    /// Sends `request` down the chain, within the shared pacer's budget if there is one.
    async fn paced(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let shared = &self.client.shared;
        let Some(pacer) = &shared.pacer else {
            return next.run(request, extensions).await;
        };
        crate::shared::pace(pacer.as_ref(), &shared.config.tenant).await;
        let response = next.run(request, extensions).await?;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let fields = core_headers(response.headers());
            let answer = core_response(StatusCode::TOO_MANY_REQUESTS.as_u16(), &fields, &[]);
            if let ApiResponseClass::RateLimited {
                retry_after: Some(delay),
            } = ApiResponseClass::classify(&answer, ApiAttempt::First)
            {
                pacer.handle_retry_after(&shared.config.tenant, delay).await;
            }
        }
        Ok(response)
    }

    async fn authorize(
        &self,
        request: &mut Request,
    ) -> Result<crate::token_cache::Authorization, Error> {
        let authorization = self
            .client
            .cache
            .authorization(&self.client.shared.token_http, self.client.shared.wait_max)
            .await?;
        let headers = request.headers_mut();
        for (name, value) in &self.client.shared.api_headers {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        headers.insert(AUTHORIZATION, authorization.value.clone());
        Ok(authorization)
    }
}

#[async_trait::async_trait]
impl Middleware for LuccaAuthMiddleware {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if !self.applies_to(request.url()) {
            return next.run(request, extensions).await;
        }
        let authorization = self
            .authorize(&mut request)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let resend = request.try_clone();
        let response = self.paced(request, extensions, next.clone()).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        self.client.cache.invalidate(authorization.generation).await;
        let Some(mut resend) = resend else {
            return Ok(response);
        };
        event!(
            info,
            "API refused the token (401); middleware resends once with a fresh token"
        );
        drop(response);
        self.authorize(&mut resend)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        self.paced(resend, extensions, next).await
    }
}

impl fmt::Debug for LuccaAuthMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LuccaAuthMiddleware")
            .field("tenant", self.client.tenant())
            .finish_non_exhaustive()
    }
}
