//! `lucca-auth token [--reveal]`: get a token and show what was granted.

use std::time::Duration;

use serde::Serialize;

use crate::client::{build_client, failure_from_client_error};
use crate::failure::Failure;
use crate::options::GlobalOptions;
use crate::settings::{HostNeed, Settings};

use super::write_stdout;

/// The `--json` output, member order as documented.
#[derive(Serialize)]
struct TokenJson<'a> {
    token_type: &'static str,
    expires_in: Option<u64>,
    scope: Option<Vec<&'a str>>,
    not_granted: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<&'a str>,
}

/// Gets a token for the configured scopes and prints the summary (or the JSON object).
///
/// # Errors
/// A usage failure before any request, or the token request's failure.
pub fn run(options: &GlobalOptions, reveal: bool) -> Result<(), Failure> {
    let settings = Settings::resolve(options, HostNeed::TokenOnly)?;
    let client = build_client(&settings);
    let info = client
        .token()
        .map_err(|error| failure_from_client_error(&error))?;

    // `scope` is what the server said it granted: `null` when it named none.
    let granted: Option<Vec<&str>> = (!info.scope_missing())
        .then(|| info.granted().iter().map(|scope| scope.as_str()).collect());
    let not_granted_set = info.not_granted();
    let not_granted: Vec<&str> = not_granted_set.iter().map(|scope| scope.as_str()).collect();
    let access_token = reveal.then(|| info.access_token().secret());
    let expires_in = info.expires_in().map(|lifetime| lifetime.as_secs());

    let text = if options.json {
        let json = TokenJson {
            token_type: "Bearer",
            expires_in,
            scope: granted,
            not_granted,
            access_token,
        };
        let mut line = serde_json::to_string(&json)
            .map_err(|_| Failure::internal("cannot format the token summary"))?;
        line.push('\n');
        line
    } else {
        human_summary(
            &settings,
            info.expires_in(),
            granted.as_deref(),
            &not_granted,
            access_token,
        )
    };
    write_stdout(text.as_bytes())
}

fn human_summary(
    settings: &Settings,
    expires_in: Option<Duration>,
    granted: Option<&[&str]>,
    not_granted: &[&str],
    access_token: Option<&str>,
) -> String {
    let config = &settings.config;
    let requested = if config.scopes.is_empty() {
        String::from("(none: every scope the application has)")
    } else {
        config.scopes.to_space_separated()
    };
    let expires = match expires_in {
        Some(lifetime) => format!("{} s", lifetime.as_secs()),
        None => String::from("not said by the server"),
    };
    let granted = match granted {
        Some(scopes) => scopes.join(" "),
        None => String::from("(none named by the server)"),
    };
    let not_granted = if not_granted.is_empty() {
        String::from("(none)")
    } else {
        not_granted.join(" ")
    };
    let token = match access_token {
        Some(token) => token.to_owned(),
        None => String::from("[hidden: add --reveal to print it]"),
    };
    format!(
        "Got a Bearer token for client {} from {}\n  \
         requested scopes: {requested}\n  \
         granted scopes:   {granted}\n  \
         not granted:      {not_granted}\n  \
         expires in:       {expires}\n  \
         access token:     {token}\n",
        config.credentials.id(),
        config.token_endpoint,
    )
}
