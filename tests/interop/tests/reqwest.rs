//! The async adapter `lucca-auth-reqwest` against both independent peers: tokens with body
//! and Basic client authentication, secrets full of special characters, every refusal of the
//! token endpoint with the exact status and description each peer sends, scopes the peer
//! narrows or refuses, expiry and refresh with 3-second tokens, a revoked token (401 → new
//! token → one retry) and a missing scope (403 naming it).
//!
//! One peer of each kind serves every test of this binary (`common::shared_peer`); the
//! expiry test runs its own short-lifetime peer. Tests skip loudly when node/npm or python3
//! are missing, and fail instead under `CI=true` (the harness's `peer_or_skip`).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{
    METHODS, UTF8_SECRET, WRONG_SECRET, client, client_config, config, oauth, oauth_parts,
    shared_peer, start_with_lifetime,
};
use lucca_auth::config::ClientAuthMethod;
use lucca_auth::token_response::{OAuthErrorCode, TokenError};
use lucca_auth_interop::{ClientRole, PeerKind, RESOURCE_PATH, RESOURCE_SCOPE};
use lucca_auth_reqwest::{ApiResponse, Error, LuccaClient, TokenInfo};
use serde_json::Value;

/// Runs `future` to completion on a fresh multi-threaded runtime (each test has its own
/// runtime and its own clients; the peers are separate processes shared by all).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"))
        .block_on(future)
}

fn new_client(config: lucca_auth::config::LuccaConfig) -> LuccaClient {
    LuccaClient::new(config).unwrap_or_else(|e| panic!("client: {e}"))
}

async fn token(client: &LuccaClient) -> TokenInfo {
    client
        .token()
        .await
        .unwrap_or_else(|e| panic!("no token: {e} ({e:?})"))
}

async fn token_error(client: &LuccaClient) -> TokenError {
    match client.token().await {
        Err(Error::Token(error)) => error,
        Err(other) => panic!("not a token error: {other:?}"),
        Ok(token) => panic!("a token was issued: {token:?}"),
    }
}

/// The token request's OAuth error answer, as lucca-auth reports it.
async fn token_refusal(client: &LuccaClient) -> common::OAuthParts {
    let error = token_error(client).await;
    oauth_parts(&error).unwrap_or_else(|| panic!("not an OAuth error answer: {error:?}"))
}

async fn leaves(client: &LuccaClient) -> Result<ApiResponse, Error> {
    client.get(RESOURCE_PATH).send().await
}

/// The resource answers 200 with the client's id.
async fn assert_resource_ok(client: &LuccaClient, client_id: &str) {
    let response = leaves(client)
        .await
        .unwrap_or_else(|e| panic!("resource: {e} ({e:?})"));
    assert_eq!(response.status(), 200);
    let body: Value = response
        .json()
        .unwrap_or_else(|e| panic!("resource body: {e}"));
    assert_eq!(body.get("clientId"), Some(&Value::from(client_id)));
}

fn scope_list(scopes: &lucca_auth::scope::Scopes) -> String {
    scopes.to_space_separated()
}

/// Body and Basic authentication of the main client: a one-hour token with every scope
/// asked for, which the resource accepts.
async fn token_via_body_and_basic(kind: PeerKind) {
    let peer = shared_peer(kind);
    let main = peer.main_client();
    for method in METHODS {
        let client = new_client(client_config(
            peer,
            main,
            method,
            "leaves.readonly employees.readonly",
        ));
        let info = token(&client).await;
        assert_eq!(info.generation().get(), 1, "{method:?}");
        assert_eq!(
            info.expires_in(),
            Some(Duration::from_secs(3600)),
            "{method:?}"
        );
        assert_eq!(
            scope_list(info.granted()),
            "leaves.readonly employees.readonly",
            "{method:?}"
        );
        assert!(info.not_granted().is_empty(), "{method:?}");
        assert!(!info.token_type_missing(), "{method:?}");
        assert_resource_ok(&client, &main.id).await;
        // The API call used the cached token.
        assert_eq!(token(&client).await.generation().get(), 1, "{method:?}");
    }
}

/// `interop-special` (printable ASCII with `: + space / % & =` …) on both peers and
/// `interop-special-utf8` (`é€`) on Authlib, each with both methods.
async fn special_character_secrets(kind: PeerKind) {
    let peer = shared_peer(kind);
    let mut roles = vec![ClientRole::Special];
    if kind == PeerKind::Authlib {
        roles.push(ClientRole::SpecialUtf8);
    }
    for role in roles {
        let special = client(peer, role);
        for method in METHODS {
            let client = new_client(client_config(peer, &special, method, RESOURCE_SCOPE));
            let info = token(&client).await;
            assert_eq!(info.generation().get(), 1, "{role:?} {method:?}");
            assert_eq!(scope_list(info.granted()), RESOURCE_SCOPE);
            assert_resource_ok(&client, &special.id).await;
        }
    }
}

/// oidc-provider cannot register a non-ASCII secret (RFC 6749 VSCHAR) and refuses one in
/// Basic before looking at the client; in the body it is a wrong secret. (Authlib accepts
/// it: `special_character_secrets`.)
#[test]
fn oidc_provider_non_ascii_secret() {
    let kind = PeerKind::OidcProvider;
    if !lucca_auth_interop::peer_or_skip(kind, "oidc_provider_non_ascii_secret") {
        return;
    }
    block_on(async {
        let peer = shared_peer(kind);
        assert!(peer.client(ClientRole::SpecialUtf8).is_none());
        let expected = [
            (
                ClientAuthMethod::RequestBody,
                oauth(
                    OAuthErrorCode::InvalidClient,
                    401,
                    common::OIDC_CLIENT_AUTH_FAILED,
                ),
            ),
            (
                ClientAuthMethod::HttpBasic,
                oauth(
                    OAuthErrorCode::InvalidRequest,
                    400,
                    common::OIDC_BASIC_NOT_ENCODED,
                ),
            ),
        ];
        for (method, error) in expected {
            let client = new_client(config(
                peer,
                &peer.main_client().id,
                UTF8_SECRET,
                method,
                RESOURCE_SCOPE,
            ));
            assert_eq!(token_refusal(&client).await, error, "{method:?}");
        }
    });
}

/// A wrong secret: `invalid_client` with 401 from both peers, with both methods; not
/// retryable, and no further token request for that scope set (the same error again).
async fn wrong_secret(kind: PeerKind) {
    let peer = shared_peer(kind);
    for method in METHODS {
        let client = new_client(config(
            peer,
            &peer.main_client().id,
            WRONG_SECRET,
            method,
            RESOURCE_SCOPE,
        ));
        let error = token_error(&client).await;
        assert_eq!(
            oauth_parts(&error),
            Some(common::wrong_secret_error(kind)),
            "{method:?}"
        );
        assert!(!error.is_retryable() && error.is_fatal_for_client());
        assert_eq!(
            leaves(&client).await.map(|r| r.status()),
            Err(Error::Token(error)),
            "{method:?}"
        );
    }
}

/// An unknown client: 401 from oidc-provider; 400 (body) or 401 (Basic) from Authlib.
async fn unknown_client(kind: PeerKind) {
    let peer = shared_peer(kind);
    for method in METHODS {
        let client = new_client(config(peer, "nobody", WRONG_SECRET, method, RESOURCE_SCOPE));
        let error = token_error(&client).await;
        assert_eq!(
            oauth_parts(&error),
            Some(common::unknown_client_error(kind, method)),
            "{method:?}"
        );
        assert!(!error.is_retryable() && error.is_fatal_for_client());
    }
}

/// `interop-narrow` may only have `employees.readonly`. oidc-provider refuses
/// `leaves.readonly` with 400 `invalid_scope`; Authlib drops it silently: asked together
/// with an allowed scope, the token's `scope` leaves it out and `not_granted` names it;
/// asked alone, the answer has no `scope` member at all, which RFC 6749 §5.1 reads as
/// "as requested", and only the resource's 403 tells.
async fn scope_the_client_may_not_have(kind: PeerKind) {
    let peer = shared_peer(kind);
    let narrow = client(peer, ClientRole::Narrow);
    for method in METHODS {
        let mixed = new_client(client_config(
            peer,
            &narrow,
            method,
            "leaves.readonly employees.readonly",
        ));
        let only = new_client(client_config(peer, &narrow, method, "leaves.readonly"));
        match kind {
            PeerKind::OidcProvider => {
                let expected = oauth(
                    OAuthErrorCode::InvalidScope,
                    400,
                    common::OIDC_SCOPE_NOT_ALLOWED,
                );
                for client in [&mixed, &only] {
                    let error = token_error(client).await;
                    assert_eq!(oauth_parts(&error).as_ref(), Some(&expected), "{method:?}");
                    assert!(!error.is_retryable() && error.is_fatal_for_client());
                }
            }
            PeerKind::Authlib => {
                let info = token(&mixed).await;
                assert_eq!(scope_list(info.granted()), "employees.readonly");
                assert_eq!(scope_list(&info.not_granted()), "leaves.readonly");
                assert_eq!(
                    scope_list(info.requested()),
                    "leaves.readonly employees.readonly"
                );
                let info = token(&only).await;
                assert_eq!(scope_list(info.granted()), "leaves.readonly");
                assert!(info.not_granted().is_empty());
                for client in [&mixed, &only] {
                    assert_eq!(
                        leaves(client).await.map(|r| r.status()),
                        Err(Error::MissingScope {
                            required: vec![RESOURCE_SCOPE.to_owned()],
                            description: Some(common::AUTHLIB_INSUFFICIENT_SCOPE.to_owned()),
                        }),
                        "{method:?}"
                    );
                }
            }
        }
    }
}

/// A scope the server has never heard of: oidc-provider drops it silently (`not_granted`
/// names it), Authlib refuses with 400 `invalid_scope`.
async fn unknown_scope(kind: PeerKind) {
    let peer = shared_peer(kind);
    let main = peer.main_client();
    let client = new_client(client_config(
        peer,
        main,
        ClientAuthMethod::RequestBody,
        "leaves.readonly bogus.scope",
    ));
    match kind {
        PeerKind::OidcProvider => {
            let info = token(&client).await;
            assert_eq!(scope_list(info.granted()), "leaves.readonly");
            assert_eq!(scope_list(&info.not_granted()), "bogus.scope");
            assert_resource_ok(&client, &main.id).await;
        }
        PeerKind::Authlib => assert_eq!(
            token_refusal(&client).await,
            oauth(
                OAuthErrorCode::InvalidScope,
                400,
                common::AUTHLIB_INVALID_SCOPE
            )
        ),
    }
}

/// No scope at all: no `scope` parameter, a token without a `scope` member, and a 403
/// naming the resource's scope.
async fn no_scope(kind: PeerKind) {
    let peer = shared_peer(kind);
    let main = peer.main_client();
    for method in METHODS {
        let client = new_client(client_config(peer, main, method, ""));
        assert!(client.scopes().is_empty());
        let info = token(&client).await;
        assert!(info.granted().is_empty(), "{method:?}");
        assert!(info.not_granted().is_empty(), "{method:?}");
        assert_eq!(info.expires_in(), Some(Duration::from_secs(3600)));
        assert_eq!(
            leaves(&client).await.map(|r| r.status()),
            Err(Error::MissingScope {
                required: vec![RESOURCE_SCOPE.to_owned()],
                description: Some(common::insufficient_scope_description(kind).to_owned()),
            }),
            "{method:?}"
        );
        assert_eq!(
            token(&client).await.generation().get(),
            1,
            "a 403 is no reason to refresh"
        );
    }
}

/// 3-second tokens (margin 0.3 s: refresh due from 2.4 s, never handed out from 2.7 s),
/// API calls every 100 ms for 6 s: every call succeeds, exactly three tokens are used
/// (issued at about 0, 2.4 and 4.8 s), each the peer's, each with `expires_in` 3 s; the
/// first one is refused by the peer once expired.
async fn expiry_and_refresh(kind: PeerKind) {
    let lifetime = Duration::from_secs(3);
    let peer = start_with_lifetime(kind, lifetime);
    let main = peer.main_client().clone();
    let client = new_client(client_config(
        &peer,
        &main,
        ClientAuthMethod::RequestBody,
        RESOURCE_SCOPE,
    ));
    let started = Instant::now();
    let first = token(&client).await;
    assert_eq!(first.generation().get(), 1);
    assert_eq!(first.expires_in(), Some(lifetime));
    let mut generations = BTreeSet::new();
    while started.elapsed() < Duration::from_secs(6) {
        assert_resource_ok(&client, &main.id).await;
        let info = token(&client).await;
        assert_eq!(info.expires_in(), Some(lifetime));
        assert!(info.usable_until() > Instant::now());
        generations.insert(info.generation().get());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(generations, BTreeSet::from([1, 2, 3]));
    // The first token is expired at the peer too (3 s, plus oidc-provider's 1 s tolerance).
    assert_eq!(
        ureq_status_with(&peer.resource_url(), first.access_token().secret()),
        401
    );
}

/// The resource's status for `token`, sent by hand (not through lucca-auth).
fn ureq_status_with(url: &str, token: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .get(url)
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .map(|r| r.status().as_u16())
        .unwrap_or_else(|e| panic!("resource request: {e}"))
}

/// A token revoked at the peer: the resource answers 401 `invalid_token`, the adapter drops
/// it, gets a second token and resends once, which succeeds.
async fn revoked_token_is_replaced_once(kind: PeerKind) {
    let peer = shared_peer(kind);
    let main = peer.main_client();
    for method in METHODS {
        let client = new_client(client_config(peer, main, method, RESOURCE_SCOPE));
        assert_resource_ok(&client, &main.id).await;
        let first = token(&client).await;
        assert_eq!(first.generation().get(), 1);
        peer.revoke(first.access_token().secret())
            .unwrap_or_else(|e| panic!("revoke: {e}"));
        assert_eq!(
            ureq_status_with(&peer.resource_url(), first.access_token().secret()),
            401
        );
        assert_resource_ok(&client, &main.id).await;
        let second = token(&client).await;
        assert_eq!(second.generation().get(), 2, "{method:?}");
        assert_ne!(
            second.access_token().secret(),
            first.access_token().secret()
        );
    }
}

/// A token without the resource's scope: 403, `Error::MissingScope` naming
/// `leaves.readonly` with the peer's description, and no token refresh.
async fn missing_scope_is_named(kind: PeerKind) {
    let peer = shared_peer(kind);
    let narrow = client(peer, ClientRole::Narrow);
    for method in METHODS {
        let client = new_client(client_config(peer, &narrow, method, "employees.readonly"));
        let Err(error) = leaves(&client).await else {
            panic!("{method:?}: the resource accepted a token without {RESOURCE_SCOPE}");
        };
        assert_eq!(
            error,
            Error::MissingScope {
                required: vec![RESOURCE_SCOPE.to_owned()],
                description: Some(common::insufficient_scope_description(kind).to_owned()),
            },
            "{method:?}"
        );
        assert_eq!(error.status(), Some(403));
        assert!(!error.is_retryable());
        let info = token(&client).await;
        assert_eq!(info.generation().get(), 1, "no refresh after a 403");
        assert_eq!(scope_list(info.granted()), "employees.readonly");
    }
}

/// 16 tasks sharing one client call the resource at once: all succeed with the one token
/// fetched by one of them (generation 1 afterwards).
async fn concurrent_callers_share_one_token(kind: PeerKind) {
    let peer = shared_peer(kind);
    let main = peer.main_client();
    let client = new_client(client_config(
        peer,
        main,
        ClientAuthMethod::HttpBasic,
        RESOURCE_SCOPE,
    ));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (client, id) = (client.clone(), main.id.clone());
            tokio::spawn(async move { assert_resource_ok(&client, &id).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap_or_else(|e| panic!("task: {e}"));
    }
    assert_eq!(token(&client).await.generation().get(), 1);
}

async_peer_tests!(
    concurrent_callers_share_one_token,
    token_via_body_and_basic,
    special_character_secrets,
    wrong_secret,
    unknown_client,
    scope_the_client_may_not_have,
    unknown_scope,
    no_scope,
    expiry_and_refresh,
    revoked_token_is_replaced_once,
    missing_scope_is_named,
);
