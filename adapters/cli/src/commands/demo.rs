//! `lucca-auth demo`: the whole story against a sandbox started in-process, each step
//! narrated and checked against the documented behaviour.
//!
//! A hidden test switch, the environment variable `LUCCA_AUTH_DEMO_BREAK=<step>`, breaks one
//! step on purpose (it changes what the step does, never what it checks) so that tests can
//! see the failure path: a ✗, the step named, exit 1.

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use lucca_auth::config::{ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth::token_response::{OAuthErrorCode, TokenError};
use lucca_auth_sandbox::{
    DEMO_ALLOWED_SCOPES, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox, SandboxConfig, TokenFault,
};
use lucca_auth_ureq::{Error, LuccaClient};

use crate::failure::Failure;
use crate::options::GlobalOptions;

/// The hidden test switch: the name of the step to break.
const BREAK_VARIABLE: &str = "LUCCA_AUTH_DEMO_BREAK";

/// The sandbox's token lifetime unless a step changes it.
const NORMAL_LIFETIME: Duration = Duration::from_secs(1800);
/// The short lifetime of the refresh step.
const SHORT_LIFETIME: Duration = Duration::from_secs(2);
/// How long the refresh step keeps calling the API.
const REFRESH_RUN: Duration = Duration::from_secs(5);
/// The pause between two calls of the refresh step.
const REFRESH_PAUSE: Duration = Duration::from_millis(250);

/// The steps of the story, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Token,
    Api,
    MissingScope,
    Refresh,
    Revoke,
    WrongSecret,
}

impl Step {
    const ALL: [Step; 6] = [
        Step::Token,
        Step::Api,
        Step::MissingScope,
        Step::Refresh,
        Step::Revoke,
        Step::WrongSecret,
    ];

    /// The name used in failure messages and by the break switch.
    fn name(self) -> &'static str {
        match self {
            Step::Token => "token",
            Step::Api => "api",
            Step::MissingScope => "missing-scope",
            Step::Refresh => "refresh",
            Step::Revoke => "revoke",
            Step::WrongSecret => "wrong-secret",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Step::Token => "Get a token",
            Step::Api => "Call the API with it",
            Step::MissingScope => "Call an API the application has no scope for",
            Step::Refresh => "Short-lived tokens are refreshed ahead of expiry",
            Step::Revoke => "A revoked token: 401, a fresh token, the call retried",
            Step::WrongSecret => "A wrong client secret",
        }
    }

    fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.name() == name)
    }
}

/// What a step found: what behaved (for the ✓ line), or what did not (for the ✗ line).
type Verdict = Result<String, String>;

/// Fails the step with `why` unless `condition` holds.
fn check(condition: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(why()) }
}

/// Prints one narration line, indented under its step, and flushes so that a person (or a
/// test) sees it as it happens.
fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    for line in text.lines() {
        let _ = writeln!(stdout, "   {line}");
    }
    let _ = stdout.flush();
}

/// Prints a line at the left margin.
fn heading(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// Runs the demo; `Ok` only when every step behaved as documented.
///
/// # Errors
/// `demo_failed` naming the steps that did not behave, `usage` for an unknown step in the
/// break switch, `internal` when the sandbox cannot start.
pub fn run(_options: &GlobalOptions) -> Result<(), Failure> {
    let broken = match std::env::var(BREAK_VARIABLE) {
        Ok(name) if !name.is_empty() => Some(Step::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = Step::ALL.into_iter().map(Step::name).collect();
            Failure::usage(format!(
                "{BREAK_VARIABLE}={name:?} names no demo step (one of: {})",
                names.join(", ")
            ))
        })?),
        _ => None,
    };

    heading("lucca-auth demo: the whole client-credentials story against a local Lucca sandbox");
    heading("");
    let sandbox = Sandbox::start(SandboxConfig::default())
        .map_err(|error| Failure::internal(format!("cannot start the sandbox: {error}")))?;
    say(&format!(
        "Started a sandbox on this machine: token endpoint {}, tenant {} (API under /lucca-api/).",
        sandbox.token_url(),
        sandbox.api_base()
    ));
    say(&format!(
        "The demo application \"{DEMO_CLIENT_ID}\" may use {}, but not employees.readonly.",
        DEMO_ALLOWED_SCOPES.join(", ")
    ));
    if let Some(step) = broken {
        say(&format!(
            "{BREAK_VARIABLE} is set: step \"{}\" is broken on purpose.",
            step.name()
        ));
    }
    heading("");

    let config = demo_config(&sandbox, DEMO_CLIENT_SECRET)?;
    let client = LuccaClient::new(config);
    let demo = Demo {
        sandbox: &sandbox,
        client,
        broken,
    };

    let mut failed: Vec<(Step, String)> = Vec::new();
    for (number, step) in Step::ALL.into_iter().enumerate() {
        heading(&format!("{}. {}", number + 1, step.title()));
        match demo.run_step(step) {
            Ok(summary) => say(&format!("✓ {summary}")),
            Err(why) => {
                say(&format!("✗ {why}"));
                failed.push((step, why));
            }
        }
        heading("");
    }

    say(&format!(
        "Sandbox counters at the end: {} issued, {} received, {}, {}.",
        counted(sandbox.token_requests_served(), "token"),
        counted(sandbox.token_requests_received(), "token request"),
        counted(sandbox.api_requests_received(), "API request"),
        counted(sandbox.api_unauthorized_served(), "API 401"),
    ));
    if failed.is_empty() {
        heading(&format!(
            "All {} steps behaved as documented.",
            Step::ALL.len()
        ));
        return Ok(());
    }
    let names: Vec<&str> = failed.iter().map(|(step, _)| step.name()).collect();
    heading(&format!(
        "{} of {} steps did not behave as documented: {}.",
        failed.len(),
        Step::ALL.len(),
        names.join(", ")
    ));
    let details: Vec<String> = failed
        .iter()
        .map(|(step, why)| format!("step {} failed: {why}", step.name()))
        .collect();
    Err(Failure::demo_failed(details.join("; ")))
}

/// The demo application's configuration against `sandbox`, with `secret`.
fn demo_config(sandbox: &Sandbox, secret: &str) -> Result<LuccaConfig, Failure> {
    let endpoint = TokenEndpoint::parse(sandbox.token_url())
        .map_err(|error| Failure::internal(format!("sandbox token URL: {error}")))?;
    let tenant = TenantHost::parse(sandbox.api_base())
        .map_err(|error| Failure::internal(format!("sandbox API base: {error}")))?;
    let credentials =
        ClientCredentials::new(ClientId::new(DEMO_CLIENT_ID), ClientSecret::new(secret));
    Ok(LuccaConfig::new(credentials, tenant).with_token_endpoint(endpoint))
}

/// Counters read before a step, to check what the step alone caused.
#[derive(Debug, Clone, Copy)]
struct Counters {
    tokens_issued: u64,
    token_requests: u64,
    api_requests: u64,
    api_unauthorized: u64,
}

impl Counters {
    fn read(sandbox: &Sandbox) -> Self {
        Counters {
            tokens_issued: sandbox.token_requests_served(),
            token_requests: sandbox.token_requests_received(),
            api_requests: sandbox.api_requests_received(),
            api_unauthorized: sandbox.api_unauthorized_served(),
        }
    }

    /// What happened since `before`.
    fn since(self, before: Counters) -> Counters {
        Counters {
            tokens_issued: self.tokens_issued.saturating_sub(before.tokens_issued),
            token_requests: self.token_requests.saturating_sub(before.token_requests),
            api_requests: self.api_requests.saturating_sub(before.api_requests),
            api_unauthorized: self
                .api_unauthorized
                .saturating_sub(before.api_unauthorized),
        }
    }
}

struct Demo<'s> {
    sandbox: &'s Sandbox,
    /// The demo application's client with its default scope set (every allowed scope).
    client: LuccaClient,
    broken: Option<Step>,
}

impl Demo<'_> {
    fn run_step(&self, step: Step) -> Verdict {
        let broken = self.broken == Some(step);
        if broken {
            say("(broken on purpose by the test switch)");
        }
        match step {
            Step::Token => self.token(broken),
            Step::Api => self.api(broken),
            Step::MissingScope => self.missing_scope(broken),
            Step::Refresh => self.refresh(broken),
            Step::Revoke => self.revoke(broken),
            Step::WrongSecret => self.wrong_secret(broken),
        }
    }

    fn counters(&self) -> Counters {
        Counters::read(self.sandbox)
    }

    /// A token for every scope the application has: one request, the documented lifetime
    /// and the allowed scopes granted.
    fn token(&self, broken: bool) -> Verdict {
        let before = self.counters();
        let info = if broken {
            say("The client asks for a token for employees.readonly, which the application may not have.");
            let result = self
                .client
                .scoped(parse_scopes("employees.readonly")?)
                .token();
            if result.is_err() {
                // So that the next steps start from the state they document.
                say("(the demo then gets the usual token, so that the next steps can run)");
                let _ = self.client.token();
            }
            result
        } else {
            say("The client asks the token endpoint for a token, naming no scope: the application gets every scope it was allowed.");
            self.client.token()
        }
        .map_err(|error| format!("expected a token, got an error: {error}"))?;
        let done = self.counters().since(before);
        let granted: Vec<String> = info
            .granted()
            .iter()
            .map(|scope| scope.as_str().to_owned())
            .collect();
        say(&format!(
            "Got a Bearer token (kept out of sight; `lucca-auth token --reveal` prints one), \
             expires in {}, granted: {}.",
            match info.expires_in() {
                Some(lifetime) => format!("{} s", lifetime.as_secs()),
                None => String::from("an unsaid time"),
            },
            granted.join(" ")
        ));
        check(done.tokens_issued == 1, || {
            format!(
                "expected exactly 1 token issued, the sandbox issued {}",
                done.tokens_issued
            )
        })?;
        check(info.expires_in() == Some(NORMAL_LIFETIME), || {
            format!("expected expires_in 1800 s, got {:?}", info.expires_in())
        })?;
        check(granted == DEMO_ALLOWED_SCOPES, || {
            format!(
                "expected the scopes {} granted, got {}",
                DEMO_ALLOWED_SCOPES.join(" "),
                granted.join(" ")
            )
        })?;
        Ok(String::from(
            "1 token request, a 1800 s Bearer token, the three allowed scopes granted",
        ))
    }

    /// An API call with the cached token: no new token request.
    fn api(&self, broken: bool) -> Verdict {
        let path = if broken {
            "/lucca-api/no-such-resource?limit=5"
        } else {
            "/lucca-api/leaves?limit=5"
        };
        let before = self.counters();
        say(&format!(
            "GET {path} with the token the client already holds."
        ));
        let response = self
            .client
            .get(path)
            .send()
            .map_err(|error| format!("expected HTTP 200, got an error: {error}"))?;
        let done = self.counters().since(before);
        let items = serde_json::from_slice::<serde_json::Value>(response.body())
            .ok()
            .and_then(|body| {
                body.get("items")
                    .and_then(|items| items.as_array())
                    .map(Vec::len)
            });
        say(&format!(
            "HTTP {}, {} leaves in the page.",
            response.status(),
            items.map_or_else(|| String::from("no"), |count| count.to_string())
        ));
        check(response.status() == 200, || {
            format!("expected HTTP 200, got {}", response.status())
        })?;
        check(items == Some(5), || {
            format!("expected 5 items, got {items:?}")
        })?;
        check(done.tokens_issued == 0 && done.api_requests == 1, || {
            format!(
                "expected 1 API request and no new token, the sandbox saw {} API requests and \
                 issued {} tokens",
                done.api_requests, done.tokens_issued
            )
        })?;
        Ok(String::from(
            "HTTP 200 with 5 leaves; the cached token was reused (no new token request)",
        ))
    }

    /// A 403 naming the scope the application lacks, and no token refresh.
    fn missing_scope(&self, broken: bool) -> Verdict {
        let path = if broken {
            "/lucca-api/leaves?limit=1"
        } else {
            "/lucca-api/employees"
        };
        let before = self.counters();
        say(&format!(
            "GET {path}: employees need employees.readonly, which the application was not granted."
        ));
        let result = self.client.get(path).send();
        let done = self.counters().since(before);
        match result {
            Err(Error::MissingScope {
                required,
                description,
            }) => {
                say(&format!(
                    "The API answered 403 insufficient_scope; it needs: {}{}.",
                    required.join(" "),
                    description
                        .as_deref()
                        .map(|text| format!(" (\"{text}\")"))
                        .unwrap_or_default()
                ));
                check(required == ["employees.readonly"], || {
                    format!("expected the missing scope employees.readonly, got {required:?}")
                })?;
                check(done.tokens_issued == 0 && done.token_requests == 0, || {
                    format!(
                        "expected no token request (a new token has the same scopes), the \
                         sandbox received {}",
                        done.token_requests
                    )
                })?;
                check(done.api_requests == 1, || {
                    format!(
                        "expected 1 API request, the sandbox saw {}",
                        done.api_requests
                    )
                })?;
                Ok(String::from(
                    "403 naming employees.readonly, as a typed missing-scope error; no token refresh, no retry",
                ))
            }
            Ok(response) => Err(format!(
                "expected a 403 for employees.readonly, got HTTP {}",
                response.status()
            )),
            Err(other) => Err(format!("expected a 403 missing-scope error, got: {other}")),
        }
    }

    /// With 2 s tokens, calls for 5 s: tokens are replaced before they expire, so no call
    /// ever fails and the API never sees an expired token (no 401).
    fn refresh(&self, broken: bool) -> Verdict {
        self.sandbox.set_token_lifetime(SHORT_LIFETIME);
        let verdict = self.refresh_run(broken);
        self.sandbox.set_token_lifetime(NORMAL_LIFETIME);
        verdict
    }

    fn refresh_run(&self, broken: bool) -> Verdict {
        say(&format!(
            "The sandbox now issues tokens that live {} s. A client handle scoped to \
             leaves.readonly (its own token cache entry, sharing the connections) calls the API \
             every {} ms for {} s.",
            SHORT_LIFETIME.as_secs(),
            REFRESH_PAUSE.as_millis(),
            REFRESH_RUN.as_secs()
        ));
        let scoped = self.client.scoped(parse_scopes("leaves.readonly")?);
        let before = self.counters();
        let start = Instant::now();
        let mut calls = 0u32;
        let mut failures: Vec<String> = Vec::new();
        let mut generation = None;
        let mut tokens_seen = 0u32;
        let mut sabotaged = false;
        while start.elapsed() < REFRESH_RUN {
            if broken && !sabotaged && start.elapsed() >= REFRESH_RUN / 2 {
                sabotaged = true;
                if let Ok(info) = scoped.token() {
                    self.sandbox.revoke_token(info.access_token().secret());
                }
                say("(sabotage: the sandbox revoked the handle's token behind its back)");
            }
            calls += 1;
            match scoped.get("/lucca-api/leaves?limit=1").send() {
                Ok(response) if response.status() == 200 => {}
                Ok(response) => failures.push(format!("HTTP {}", response.status())),
                Err(error) => failures.push(error.to_string()),
            }
            if let Ok(info) = scoped.token() {
                let current = Some(info.generation());
                if current != generation {
                    generation = current;
                    tokens_seen += 1;
                    let issued = self.counters().since(before).tokens_issued;
                    say(&format!(
                        "{:>4.1} s: using token #{tokens_seen} ({issued} issued so far, {}, {} failed)",
                        start.elapsed().as_secs_f64(),
                        counted(calls.into(), "call"),
                        failures.len()
                    ));
                }
            }
            thread::sleep(REFRESH_PAUSE);
        }
        let elapsed = start.elapsed().as_secs_f64();
        let done = self.counters().since(before);
        say(&format!(
            "{calls} calls in {elapsed:.1} s: {} failed; the sandbox issued {} and served {}.",
            failures.len(),
            counted(done.tokens_issued, "token"),
            counted(done.api_unauthorized, "401"),
        ));
        check(failures.is_empty(), || {
            format!(
                "expected every call to succeed, {} failed: {}",
                failures.len(),
                failures.join("; ")
            )
        })?;
        check(done.api_unauthorized == 0, || {
            format!(
                "expected no 401 (an expired token is never sent), the sandbox served {}",
                done.api_unauthorized
            )
        })?;
        // Refresh ahead of expiry: between elapsed / lifetime − 1 and
        // elapsed / (lifetime − 2·margin) + 2 tokens, margin = lifetime / 10.
        let lifetime = SHORT_LIFETIME.as_secs_f64();
        let fewest = (elapsed / lifetime - 1.0).floor().max(2.0);
        let most = (elapsed / (lifetime * 0.8) + 2.0).ceil();
        let issued = done.tokens_issued as f64;
        check(issued >= fewest && issued <= most, || {
            format!(
                "expected between {fewest} and {most} tokens for {elapsed:.1} s of 2 s tokens, \
                 the sandbox issued {}",
                done.tokens_issued
            )
        })?;
        Ok(format!(
            "{} tokens, each replaced before it expired: {calls} calls, none failed, no 401",
            done.tokens_issued
        ))
    }

    /// A token revoked behind the client's back: the API's 401 makes the client fetch a new
    /// token and retry once, and the call succeeds.
    fn revoke(&self, broken: bool) -> Verdict {
        let path = "/lucca-api/leave-requests?limit=3";
        let info = self
            .client
            .token()
            .map_err(|error| format!("expected the cached token, got an error: {error}"))?;
        let old_generation = info.generation();
        let before = self.counters();
        let revoked = self.sandbox.revoke_token(info.access_token().secret());
        say("The sandbox revokes the token the client holds; the client cannot know.");
        if broken {
            say("(sabotage: the token endpoint now answers 503, so no fresh token can be had)");
            self.sandbox
                .set_token_fault(TokenFault::Status {
                    status: 503,
                    content_type: Some(String::from("text/html")),
                    body: String::from("<html><body>Service Unavailable</body></html>"),
                    retry_after: None,
                })
                .map_err(|error| format!("cannot break the token endpoint: {error}"))?;
        }
        say(&format!("GET {path} with the revoked token."));
        let result = self.client.get(path).send();
        if broken {
            self.sandbox
                .clear_token_fault()
                .map_err(|error| format!("cannot repair the token endpoint: {error}"))?;
        }
        let done = self.counters().since(before);
        check(revoked, || {
            String::from("the sandbox did not know the client's token")
        })?;
        let response = result
            .map_err(|error| format!("expected the retried call to succeed, got: {error}"))?;
        say(&format!(
            "HTTP {} — sandbox counters for this step: {} API requests, {} API 401, {} token issued.",
            response.status(),
            done.api_requests,
            done.api_unauthorized,
            done.tokens_issued
        ));
        check(response.status() == 200, || {
            format!("expected HTTP 200, got {}", response.status())
        })?;
        check(
            done.api_unauthorized == 1 && done.tokens_issued == 1 && done.api_requests == 2,
            || {
                format!(
                    "expected 1 API 401, 1 new token and 2 API requests, the sandbox counted {} \
                     401s, {} tokens, {} API requests",
                    done.api_unauthorized, done.tokens_issued, done.api_requests
                )
            },
        )?;
        let new_generation = self
            .client
            .token()
            .map_err(|error| format!("expected the fresh token, got an error: {error}"))?
            .generation();
        check(new_generation != old_generation, || {
            String::from("expected the client to hold a new token")
        })?;
        Ok(String::from(
            "401 → the revoked token dropped → 1 fresh token → the call retried once and succeeded",
        ))
    }

    /// A wrong secret: `invalid_client`, one request, no retry, no token.
    fn wrong_secret(&self, broken: bool) -> Verdict {
        let secret = if broken {
            DEMO_CLIENT_SECRET
        } else {
            "not-the-demo-secret"
        };
        say(
            "A second client for the same application, configured with a wrong secret, asks for a token.",
        );
        let config = demo_config(self.sandbox, secret).map_err(|failure| {
            failure
                .description
                .unwrap_or_else(|| String::from("cannot configure the client"))
        })?;
        let client = LuccaClient::new(config);
        let before = self.counters();
        let result = client.token();
        let done = self.counters().since(before);
        match result {
            Err(Error::Token(TokenError::OAuth(oauth)))
                if oauth.code == OAuthErrorCode::InvalidClient =>
            {
                say(&format!(
                    "The token endpoint answered HTTP {} {}: the credentials are wrong, and \
                     retrying cannot fix that.",
                    oauth.status,
                    oauth.code.as_str()
                ));
                let error = TokenError::OAuth(oauth.clone());
                check(oauth.status == 401 && !error.is_retryable(), || {
                    format!(
                        "expected a non-retryable 401, got HTTP {} (retryable: {})",
                        oauth.status,
                        error.is_retryable()
                    )
                })?;
                check(done.token_requests == 1 && done.tokens_issued == 0, || {
                    format!(
                        "expected exactly 1 token request and no token, the sandbox received {} \
                         and issued {}",
                        done.token_requests, done.tokens_issued
                    )
                })?;
                Ok(String::from(
                    "invalid_client (HTTP 401), not retryable: 1 request, no token, no retry",
                ))
            }
            Ok(_) => Err(String::from("expected invalid_client, got a token")),
            Err(other) => Err(format!("expected invalid_client, got: {other}")),
        }
    }
}

fn parse_scopes(list: &str) -> Result<Scopes, String> {
    Scopes::parse_space_separated(list).map_err(|error| format!("scope {list:?}: {error}"))
}

/// `1 token`, `2 tokens`, `0 tokens`: a count and its noun, plural when it is not one.
fn counted(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_their_plural() {
        assert_eq!(counted(0, "token"), "0 tokens");
        assert_eq!(counted(1, "API 401"), "1 API 401");
        assert_eq!(counted(5, "token request"), "5 token requests");
    }

    #[test]
    fn step_names_round_trip() {
        for step in Step::ALL {
            assert_eq!(Step::from_name(step.name()), Some(step));
        }
        assert_eq!(Step::from_name("nope"), None);
        let names: Vec<&str> = Step::ALL.into_iter().map(Step::name).collect();
        assert_eq!(
            names,
            [
                "token",
                "api",
                "missing-scope",
                "refresh",
                "revoke",
                "wrong-secret"
            ]
        );
    }
}
