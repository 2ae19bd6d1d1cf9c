//! `lucca-auth sandbox`: a local Lucca stand-in in the foreground, until Ctrl-C or SIGTERM.

use std::sync::mpsc;
use std::time::Duration;

use lucca_auth_sandbox::{
    DEMO_ALLOWED_SCOPES, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox, SandboxConfig, SandboxError,
};
use serde::Serialize;

use crate::failure::Failure;
use crate::options::GlobalOptions;

use super::write_stdout;

/// The `--json` announcement, one line on stdout once the sandbox listens.
#[derive(Serialize)]
struct SandboxJson<'a> {
    token_url: &'a str,
    api_base: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    allowed_scopes: &'a [&'a str],
    token_lifetime_s: u64,
}

/// Starts the sandbox, prints where it listens and how to use it, and serves until a
/// termination signal.
///
/// # Errors
/// A usage failure for an unusable port or lifetime (or a port in use), an internal one when
/// the sandbox or the signal handler cannot start.
pub fn run(options: &GlobalOptions, port: Option<u16>, lifetime_secs: u64) -> Result<(), Failure> {
    if lifetime_secs == 0 {
        return Err(Failure::usage("--token-lifetime must be at least 1 second"));
    }
    let mut config =
        SandboxConfig::default().with_token_lifetime(Duration::from_secs(lifetime_secs));
    if let Some(port) = port.filter(|port| *port != 0) {
        let api_port = port.checked_add(1).ok_or_else(|| {
            Failure::usage("--port must leave room for the API on the next port (at most 65534)")
        })?;
        config = config.with_token_port(port).with_api_port(api_port);
    }

    let (stop, stopped) = mpsc::sync_channel::<()>(1);
    ctrlc::set_handler(move || {
        let _ = stop.try_send(());
    })
    .map_err(|error| Failure::internal(format!("cannot handle Ctrl-C and SIGTERM: {error}")))?;

    let sandbox = Sandbox::start(config).map_err(|error| match error {
        SandboxError::Bind { .. } => Failure::usage(error.to_string()),
        other => Failure::internal(other.to_string()),
    })?;
    let announcement = if options.json {
        let json = SandboxJson {
            token_url: sandbox.token_url(),
            api_base: sandbox.api_base(),
            client_id: DEMO_CLIENT_ID,
            client_secret: DEMO_CLIENT_SECRET,
            allowed_scopes: &DEMO_ALLOWED_SCOPES,
            token_lifetime_s: lifetime_secs,
        };
        let mut line = serde_json::to_string(&json)
            .map_err(|_| Failure::internal("cannot format the sandbox's addresses"))?;
        line.push('\n');
        line
    } else {
        announcement(&sandbox, lifetime_secs)
    };
    write_stdout(announcement.as_bytes())?;

    // Either a signal or every sender gone (impossible while the handler is installed).
    let _ = stopped.recv();
    drop(sandbox);
    if !options.json {
        write_stdout(b"Sandbox stopped.\n")?;
    }
    Ok(())
}

/// What a person reads: where it listens, the demo application, and exports to paste.
fn announcement(sandbox: &Sandbox, lifetime_secs: u64) -> String {
    format!(
        "Lucca sandbox running (Ctrl-C to stop)\n\
         \n  token endpoint:  {token_url}\n  \
         tenant host:     {api_base}  (the API is under /lucca-api/: leaves, leave-requests, employees)\n  \
         token lifetime:  {lifetime_secs} s\n\
         \nDemo application (public test values, accepted only by this sandbox):\n  \
         client id:       {DEMO_CLIENT_ID}\n  \
         client secret:   {DEMO_CLIENT_SECRET}\n  \
         allowed scopes:  {scopes}  (not employees.readonly)\n\
         \nIn another shell, paste:\n\
         export LUCCA_TOKEN_URL={token_url_quoted}\n\
         export LUCCA_HOST={api_base_quoted}\n\
         export LUCCA_CLIENT_ID={id_quoted}\n\
         export LUCCA_CLIENT_SECRET={secret_quoted}\n\
         \nthen try:\n  \
         lucca-auth token\n  \
         lucca-auth get '/lucca-api/leaves?limit=5'\n  \
         lucca-auth get /lucca-api/leaves --all-pages\n  \
         lucca-auth get /lucca-api/employees    # 403: a scope the application lacks\n",
        token_url = sandbox.token_url(),
        api_base = sandbox.api_base(),
        scopes = DEMO_ALLOWED_SCOPES.join(" "),
        token_url_quoted = shell_quote(sandbox.token_url()),
        api_base_quoted = shell_quote(sandbox.api_base()),
        id_quoted = shell_quote(DEMO_CLIENT_ID),
        secret_quoted = shell_quote(DEMO_CLIENT_SECRET),
    )
}

/// `value` as one POSIX shell word: single-quoted, each `'` written as `'\''`.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting() {
        let cases = [
            (
                "demo+sandbox/not=a&real%secret",
                "'demo+sandbox/not=a&real%secret'",
            ),
            ("it's", r"'it'\''s'"),
            ("", "''"),
            ("$HOME `x`", "'$HOME `x`'"),
        ];
        for (value, quoted) in cases {
            assert_eq!(shell_quote(value), quoted, "{value:?}");
        }
    }
}
