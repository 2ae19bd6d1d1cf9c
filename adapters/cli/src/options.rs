//! The command line as clap sees it: global options, subcommands, and the exit-code table
//! shown by `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit-code table, shown after `--help` and repeated in the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes and `error` values (with --json, a failure prints exactly one JSON object on stderr:
{\"error\":…,\"description\":…,\"status\":…,\"retryable\":…,\"retry_after_s\":…,\"missing_scope\":…}):
  0  success
  1  internal error, or a demo step failed            internal, demo_failed
  2  usage or configuration error, before any network traffic
                                                      usage
  3  the authorization server refused the client      the OAuth code it sent: invalid_client,
                                                      invalid_scope, unauthorized_client, …
  4  transient: network, timeout, 408, 429, 5xx       network, timeout, rate_limited, server_error
                                                      (or the server's OAuth code on a 5xx)
  5  invalid answer from a server                     invalid_response, unexpected_redirect,
                                                      response_too_large, unsupported_token_type,
                                                      unsupported_content_encoding
  6  the API answered 401 even with a fresh token     invalid_token
  7  the API answered 403                             insufficient_scope
  8  the API answered another 4xx                     api_error

The client secret is never accepted as an argument (arguments are visible to every user of
the machine): set LUCCA_CLIENT_SECRET, or use --client-secret-file or --client-secret-stdin.";

/// `lucca-auth`: OAuth 2.0 client-credentials tokens and API calls for the Lucca HR API.
#[derive(Debug, Parser)]
#[command(
    name = "lucca-auth",
    version,
    about = "OAuth 2.0 client-credentials tokens and API calls for the Lucca HR API",
    long_about = "OAuth 2.0 client-credentials tokens and API calls for the Lucca HR API.\n\n\
                  Try it without an account: `lucca-auth demo` runs the whole story against a \
                  local sandbox, and `lucca-auth sandbox` keeps one running for your own tries.",
    after_help = EXIT_CODES_HELP,
    max_term_width = 100
)]
pub struct Cli {
    /// Options shared by every subcommand.
    #[command(flatten)]
    pub global: GlobalOptions,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body (Lucca's documented way).
    Body,
    /// HTTP Basic authentication over the form-encoded id and secret.
    Basic,
}

/// Options accepted before or after the subcommand; each flag overrides its environment
/// variable.
#[derive(Debug, Args)]
pub struct GlobalOptions {
    /// The client application's id.
    #[arg(
        long,
        global = true,
        env = "LUCCA_CLIENT_ID",
        hide_env_values = true,
        value_name = "ID"
    )]
    pub client_id: Option<String>,

    /// Read the client secret from this regular file (one trailing line break is ignored; at
    /// most 4096 bytes).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "client_secret_stdin"
    )]
    pub client_secret_file: Option<PathBuf>,

    /// Read the client secret from standard input (one trailing line break is ignored; at
    /// most 4096 bytes).
    #[arg(long, global = true)]
    pub client_secret_stdin: bool,

    /// Never accepted: caught to explain why instead of echoing the value in an error.
    #[arg(
        long = "client-secret",
        global = true,
        hide = true,
        num_args = 0..=1,
        value_name = "NEVER",
        allow_hyphen_values = true
    )]
    pub client_secret_argument: Option<Option<String>>,

    /// The token endpoint [default: https://accounts.world.luccasoftware.com/connect/token].
    #[arg(
        long,
        global = true,
        env = "LUCCA_TOKEN_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub token_url: Option<String>,

    /// The tenant's API origin, like https://example.ilucca.net (required by `get`).
    #[arg(
        long,
        global = true,
        env = "LUCCA_HOST",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub host: Option<String>,

    /// The Api-Version header sent with API calls [default: 2024-11-01].
    #[arg(
        long,
        global = true,
        env = "LUCCA_API_VERSION",
        hide_env_values = true,
        value_name = "DATE"
    )]
    pub api_version: Option<String>,

    /// A scope to request; repeat the flag or separate scopes with spaces [default: every
    /// scope the application has].
    #[arg(
        long = "scope",
        global = true,
        env = "LUCCA_SCOPE",
        hide_env_values = true,
        value_name = "SCOPES"
    )]
    pub scopes: Vec<String>,

    /// How to authenticate to the token endpoint [default: body].
    #[arg(
        long,
        global = true,
        env = "LUCCA_CLIENT_AUTH",
        hide_env_values = true,
        value_enum,
        value_name = "METHOD"
    )]
    pub client_auth: Option<ClientAuth>,

    /// Print results and failures as JSON (a failure: one object on stderr).
    #[arg(long, global = true)]
    pub json: bool,

    /// Wait at most this long in total on Retry-After and transient failures, retrying
    /// idempotent requests; 0 means one attempt and no waiting.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 0)]
    pub wait_max: u64,

    /// Test hook: the connect, send and receive timeout of every request, in milliseconds.
    #[arg(
        long,
        global = true,
        hide = true,
        env = "LUCCA_AUTH_TIMEOUT_MS",
        hide_env_values = true,
        value_name = "MS"
    )]
    pub timeout_ms: Option<u64>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Get an access token and show what was granted (the token itself only with --reveal).
    Token {
        /// Also print the access token itself.
        #[arg(long)]
        reveal: bool,
    },
    /// GET a host-absolute path on the tenant host (like /lucca-api/leaves?limit=10) and
    /// print the body.
    Get {
        /// The path, starting with a single `/`.
        #[arg(value_name = "PATH")]
        path: String,
        /// Follow Lucca's cursor pagination and print every item as one JSON line.
        #[arg(long)]
        all_pages: bool,
    },
    /// Run a local Lucca sandbox in the foreground until Ctrl-C or SIGTERM.
    Sandbox {
        /// The token endpoint's loopback port (the API listens on the next one); 0 or
        /// absent: ephemeral ports.
        #[arg(long, value_name = "N")]
        port: Option<u16>,
        /// The lifetime of the tokens it issues, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 1800)]
        token_lifetime: u64,
    },
    /// Start a sandbox in-process and run the whole story, narrating each step.
    Demo,
}
