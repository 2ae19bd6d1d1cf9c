//! The `lucca-auth` binary spawned as a process against an in-test sandbox: every row of the
//! exit-code table with exact JSON values, both JSON shapes of `token`, `get --all-pages`,
//! `demo` (and its failure path), `sandbox`, and a leak check on the output of every run.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lucca_auth_sandbox::{ClientApp, Sandbox, SandboxConfig, TokenFault};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_lucca-auth");

/// The test application. Its secret has a space and every character form encoding changes,
/// so its literal, both percent-encoded forms and its Basic base64 all differ.
const CLIENT_ID: &str = "cli-test-app";
const SECRET: &str = "cli secret+1/2=3&4%5~";
const ALLOWED: [&str; 3] = [
    "leaves.readonly",
    "leaves.readwrite",
    "leave-requests.readonly",
];

/// A fixed token some tests make the token endpoint hand out, to look for it in the output.
const FIXED_TOKEN: &str = "AT-cli-fixed-token-0123456789";

/// Every environment variable the tool reads, removed from the inherited environment.
const VARIABLES: [&str; 11] = [
    "LUCCA_CLIENT_ID",
    "LUCCA_CLIENT_SECRET",
    "LUCCA_TOKEN_URL",
    "LUCCA_HOST",
    "LUCCA_API_VERSION",
    "LUCCA_SCOPE",
    "LUCCA_CLIENT_AUTH",
    "LUCCA_AUTH_TIMEOUT_MS",
    "LUCCA_AUTH_DEMO_BREAK",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
];

fn sandbox() -> Sandbox {
    let config = SandboxConfig::default().with_client(ClientApp::new(CLIENT_ID, SECRET, ALLOWED));
    Sandbox::start(config).expect("sandbox starts")
}

/// `application/x-www-form-urlencoded` as the core writes it: every byte outside
/// `A-Z a-z 0-9 - . _ ~` as `%XX`, and a space as `space`.
fn form_encode(value: &str, space: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Every form of the secret that must never appear in any output.
fn secret_forms() -> Vec<String> {
    let percent = form_encode(SECRET, "%20");
    let plus = form_encode(SECRET, "+");
    vec![
        SECRET.to_owned(),
        percent.clone(),
        percent.to_lowercase(),
        plus.clone(),
        plus.to_lowercase(),
        STANDARD.encode(format!("{}:{percent}", form_encode(CLIENT_ID, "%20"))),
        STANDARD.encode(format!("{}:{plus}", form_encode(CLIENT_ID, "+"))),
        STANDARD.encode(format!("{CLIENT_ID}:{SECRET}")),
    ]
}

/// Runs of `[A-Za-z0-9_-]` at least 40 long: how the sandbox's tokens (43 base64url
/// characters) would look in the output.
fn token_like_runs(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|run| run.len() >= 40)
        .collect()
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The single JSON object stderr must hold on failure with `--json`.
    fn error_json(&self) -> Value {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "stderr must be one JSON line: {self:?}");
        serde_json::from_str(lines[0]).expect("stderr is JSON")
    }

    /// The single JSON object stdout must hold.
    fn stdout_json(&self) -> Value {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "stdout must be one JSON line: {self:?}");
        serde_json::from_str(lines[0]).expect("stdout is JSON")
    }
}

/// A run of the binary with exactly these arguments, environment and standard input.
struct Invocation<'a> {
    args: Vec<String>,
    env: Vec<(&'a str, String)>,
    stdin: Option<&'a str>,
}

impl<'a> Invocation<'a> {
    fn new(args: &[&str]) -> Self {
        Invocation {
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            env: Vec::new(),
            stdin: None,
        }
    }

    /// Arguments and environment for the test application against `sandbox`.
    fn against(sandbox: &Sandbox, args: &[&str]) -> Self {
        Invocation::new(args)
            .env("LUCCA_CLIENT_ID", CLIENT_ID)
            .env("LUCCA_CLIENT_SECRET", SECRET)
            .env("LUCCA_TOKEN_URL", sandbox.token_url())
            .env("LUCCA_HOST", sandbox.api_base())
    }

    fn env(mut self, name: &'a str, value: &str) -> Self {
        self.env.retain(|(existing, _)| *existing != name);
        self.env.push((name, value.to_owned()));
        self
    }

    fn without_env(mut self, name: &str) -> Self {
        self.env.retain(|(existing, _)| *existing != name);
        self
    }

    fn stdin(mut self, input: &'a str) -> Self {
        self.stdin = Some(input);
        self
    }

    /// Runs the binary and checks that no form of the secret appears in its output, and no
    /// token unless `--reveal` was given.
    fn run(self) -> Run {
        let mut command = Command::new(BINARY);
        command.args(&self.args);
        for variable in VARIABLES {
            command.env_remove(variable);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary starts");
        if let Some(input) = self.stdin
            && let Some(mut stdin) = child.stdin.take()
        {
            stdin.write_all(input.as_bytes()).expect("stdin written");
        }
        let output = child.wait_with_output().expect("the binary ends");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        };
        let all = format!("{}{}", run.stdout, run.stderr);
        for form in secret_forms() {
            assert!(!all.contains(&form), "the secret ({form}) leaked: {run:?}");
        }
        if !self.args.iter().any(|arg| arg == "--reveal") {
            assert!(!all.contains(FIXED_TOKEN), "the token leaked: {run:?}");
            assert_eq!(
                token_like_runs(&all),
                Vec::<&str>::new(),
                "a token leaked: {run:?}"
            );
        }
        run
    }
}

fn failure(
    error: &str,
    description: Option<&str>,
    status: Option<u16>,
    retryable: bool,
    retry_after_s: Option<u64>,
    missing_scope: Option<&[&str]>,
) -> Value {
    json!({
        "error": error,
        "description": description,
        "status": status,
        "retryable": retryable,
        "retry_after_s": retry_after_s,
        "missing_scope": missing_scope,
    })
}

fn assert_no_traffic(sandbox: &Sandbox, run: &Run) {
    assert_eq!(
        (
            sandbox.token_requests_received(),
            sandbox.api_requests_received()
        ),
        (0, 0),
        "a usage error must come before any network traffic: {run:?}"
    );
}

fn set_fault(
    sandbox: &Sandbox,
    status: u16,
    content_type: &str,
    body: &str,
    retry_after: Option<u32>,
) {
    sandbox
        .set_token_fault(TokenFault::Status {
            status,
            content_type: Some(content_type.to_owned()),
            body: body.to_owned(),
            retry_after,
        })
        .expect("fault set");
}

// ---------------------------------------------------------------------------------------
// exit 0: token, get

#[test]
fn token_json_without_reveal_has_exactly_the_documented_members() {
    let sandbox = sandbox();
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "{\"token_type\":\"Bearer\",\"expires_in\":1800,\"scope\":[\"leaves.readonly\",\
         \"leaves.readwrite\",\"leave-requests.readonly\"],\"not_granted\":[]}\n"
    );
    assert_eq!(sandbox.token_requests_served(), 1);
}

#[test]
fn token_json_with_reveal_adds_the_access_token() {
    let sandbox = sandbox();
    // Options after the subcommand, before it, and the scope repeated and space-separated.
    let run = Invocation::against(
        &sandbox,
        &[
            "--json",
            "token",
            "--reveal",
            "--scope",
            "leaves.readonly leave-requests.readonly",
            "--scope",
            "leaves.readonly",
        ],
    )
    .run();
    assert_eq!(run.code, 0, "{run:?}");
    let summary = run.stdout_json();
    let token = summary["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(token.len(), 43, "{token}");
    assert_eq!(
        run.stdout,
        format!(
            "{{\"token_type\":\"Bearer\",\"expires_in\":1800,\"scope\":[\"leaves.readonly\",\
             \"leave-requests.readonly\"],\"not_granted\":[],\"access_token\":\"{token}\"}}\n"
        )
    );
    // The printed token is the one the sandbox issued.
    assert!(sandbox.revoke_token(&token));
}

#[test]
fn token_json_scope_is_null_when_the_server_sends_none() {
    let sandbox = sandbox();
    set_fault(
        &sandbox,
        200,
        "application/json",
        &format!(r#"{{"access_token":"{FIXED_TOKEN}","token_type":"bearer","expires_in":600}}"#),
        None,
    );
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout_json(),
        json!({"token_type": "Bearer", "expires_in": 600, "scope": null, "not_granted": []})
    );
    let revealed = Invocation::against(&sandbox, &["token", "--json", "--reveal"]).run();
    assert_eq!(revealed.code, 0, "{revealed:?}");
    assert_eq!(revealed.stdout_json()["access_token"], FIXED_TOKEN);
    // Scopes were requested and the server named none: still `null`, not the requested set.
    let scoped =
        Invocation::against(&sandbox, &["token", "--json", "--scope", "leaves.readonly"]).run();
    assert_eq!(scoped.code, 0, "{scoped:?}");
    assert_eq!(
        scoped.stdout_json(),
        json!({"token_type": "Bearer", "expires_in": 600, "scope": null, "not_granted": []})
    );
}

#[test]
fn token_human_summary_hides_the_token() {
    let sandbox = sandbox();
    set_fault(
        &sandbox,
        200,
        "application/json",
        &format!(
            r#"{{"access_token":"{FIXED_TOKEN}","token_type":"bearer","expires_in":1800,"scope":"leaves.readonly"}}"#
        ),
        None,
    );
    let run = Invocation::against(
        &sandbox,
        &["token", "--scope", "leaves.readonly leaves.readwrite"],
    )
    .run();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("granted scopes:   leaves.readonly\n"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("not granted:      leaves.readwrite\n"),
        "{run:?}"
    );
    assert!(run.stdout.contains("expires in:       1800 s\n"), "{run:?}");
    assert!(
        run.stdout.contains("[hidden: add --reveal to print it]"),
        "{run:?}"
    );

    let revealed = Invocation::against(&sandbox, &["token", "--reveal"]).run();
    assert_eq!(revealed.code, 0, "{revealed:?}");
    assert!(
        revealed
            .stdout
            .contains(&format!("access token:     {FIXED_TOKEN}\n")),
        "{revealed:?}"
    );
}

#[test]
fn secret_from_a_file_or_stdin_and_basic_auth() {
    let sandbox = sandbox();
    let directory =
        std::env::temp_dir().join(format!("lucca-auth-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    let file = directory.join("secret");
    std::fs::write(&file, format!("{SECRET}\n")).expect("secret file");
    let path = file.to_str().expect("UTF-8 path");

    // The file beats a wrong environment value; Basic client authentication.
    let run = Invocation::against(
        &sandbox,
        &[
            "token",
            "--json",
            "--client-secret-file",
            path,
            "--client-auth",
            "basic",
        ],
    )
    .env("LUCCA_CLIENT_SECRET", "wrong")
    .run();
    assert_eq!(run.code, 0, "{run:?}");

    let run = Invocation::against(&sandbox, &["token", "--json", "--client-secret-stdin"])
        .without_env("LUCCA_CLIENT_SECRET")
        .env("LUCCA_CLIENT_AUTH", "basic")
        .stdin(&format!("{SECRET}\r\n"))
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sandbox.token_requests_served(), 2);
    let _ = std::fs::remove_dir_all(&directory);
}

#[test]
fn flags_override_the_environment() {
    let sandbox = sandbox();
    let run = Invocation::against(
        &sandbox,
        &[
            "token",
            "--json",
            "--client-id",
            CLIENT_ID,
            "--token-url",
            sandbox.token_url(),
            "--scope",
            "leaves.readonly",
            "--client-auth",
            "body",
        ],
    )
    .env("LUCCA_CLIENT_ID", "someone-else")
    .env("LUCCA_TOKEN_URL", "http://example.com/connect/token")
    .env("LUCCA_SCOPE", "employees.readonly")
    .env("LUCCA_CLIENT_AUTH", "basic")
    .run();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout_json()["scope"], json!(["leaves.readonly"]));
}

#[test]
fn get_prints_the_body() {
    let sandbox = sandbox();
    let run = Invocation::against(&sandbox, &["get", "/lucca-api/leaves?limit=3"]).run();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "");
    let body = run.stdout_json();
    let ids: Vec<u64> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["id"].as_u64())
        .collect();
    assert_eq!(ids, [1, 2, 3]);
}

#[test]
fn get_all_pages_prints_every_item_as_a_json_line() {
    let sandbox = sandbox();
    let run = Invocation::against(
        &sandbox,
        &[
            "get",
            "/lucca-api/leaves?limit=10",
            "--all-pages",
            "--scope",
            "leaves.readonly",
        ],
    )
    .run();
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 25, "{run:?}");
    let ids: Vec<u64> = lines
        .iter()
        .map(|line| {
            let item: Value = serde_json::from_str(line).expect("a JSON line");
            item["id"].as_u64().expect("an id")
        })
        .collect();
    assert_eq!(ids, (1..=25).collect::<Vec<u64>>());
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 3);
    assert_eq!(sandbox.token_requests_served(), 1);
}

#[test]
fn get_all_pages_into_a_closed_pipe_stops_quietly_with_exit_0() {
    let sandbox = sandbox();
    let mut command = Command::new(BINARY);
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    let mut child = command
        .args(["get", "/lucca-api/leaves?limit=1", "--all-pages"])
        .env("LUCCA_CLIENT_ID", CLIENT_ID)
        .env("LUCCA_CLIENT_SECRET", SECRET)
        .env("LUCCA_TOKEN_URL", sandbox.token_url())
        .env("LUCCA_HOST", sandbox.api_base())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The reader goes away before the first line is written, as `| head -0` would.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("the binary ends");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    // It stopped at the first page instead of fetching all 25.
    assert_eq!(sandbox.api_requests("/lucca-api/leaves"), 1);
}

// ---------------------------------------------------------------------------------------
// exit 1: a demo step failed

#[test]
fn demo_with_a_broken_step_exits_1_naming_it() {
    let run = Invocation::new(&["demo", "--json"])
        .env("LUCCA_AUTH_DEMO_BREAK", "wrong-secret")
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    let error = run.error_json();
    assert_eq!(error["error"], "demo_failed");
    let description = error["description"].as_str().expect("a description");
    assert!(
        description.starts_with("step wrong-secret failed: "),
        "{description}"
    );
    assert_eq!(
        error,
        failure("demo_failed", Some(description), None, false, None, None)
    );
    assert!(
        run.stdout
            .contains("✗ expected invalid_client, got a token"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("1 of 6 steps did not behave as documented: wrong-secret."),
        "{run:?}"
    );
    // The other steps still behaved.
    assert_eq!(run.stdout.matches("   ✓ ").count(), 5, "{run:?}");
}

#[test]
fn demo_runs_every_step() {
    let start = Instant::now();
    let run = Invocation::new(&["demo"]).run();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    for title in [
        "1. Get a token",
        "2. Call the API with it",
        "3. Call an API the application has no scope for",
        "4. Short-lived tokens are refreshed ahead of expiry",
        "5. A revoked token: 401, a fresh token, the call retried",
        "6. A wrong client secret",
        "All 6 steps behaved as documented.",
    ] {
        assert!(run.stdout.contains(title), "{title}: {run:?}");
    }
    assert_eq!(run.stdout.matches("   ✓ ").count(), 6, "{run:?}");
    assert!(!run.stdout.contains('✗'), "{run:?}");
    assert!(run.stdout.contains("employees.readonly"), "{run:?}");
    assert!(run.stdout.contains("invalid_client"), "{run:?}");
}

#[test]
fn demo_break_switch_must_name_a_step() {
    let run = Invocation::new(&["demo", "--json"])
        .env("LUCCA_AUTH_DEMO_BREAK", "nope")
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "usage",
            Some(
                "LUCCA_AUTH_DEMO_BREAK=\"nope\" names no demo step (one of: token, api, \
                 missing-scope, refresh, revoke, wrong-secret)"
            ),
            None,
            false,
            None,
            None
        )
    );
}

// ---------------------------------------------------------------------------------------
// exit 2: usage errors, before any network traffic

/// Arguments, extra environment, and the expected description.
type UsageCase<'a> = (&'a [&'a str], &'a [(&'static str, &'a str)], &'a str);

fn usage_case(args: &[&str], env: &[(&'static str, &str)], stdin: Option<&str>, description: &str) {
    let sandbox = sandbox();
    let mut invocation = Invocation::against(&sandbox, args);
    for (name, value) in env {
        invocation = invocation.env(name, value);
    }
    if let Some(input) = stdin {
        invocation = invocation.stdin(input);
    }
    let run = invocation.run();
    assert_eq!(run.code, 2, "{args:?}: {run:?}");
    assert_eq!(run.stdout, "", "{args:?}");
    assert_eq!(
        run.error_json(),
        failure("usage", Some(description), None, false, None, None),
        "{args:?}"
    );
    assert_no_traffic(&sandbox, &run);
}

#[test]
fn usage_errors_are_exit_2_with_no_traffic() {
    let secret_equals = format!("--client-secret={SECRET}");
    let cases: &[UsageCase<'_>] = &[
        (
            &[
                "token",
                "--json",
                "--client-secret-file",
                "/nonexistent",
                "--client-secret-stdin",
            ],
            &[],
            "the argument '--client-secret-file <PATH>' cannot be used with '--client-secret-stdin'",
        ),
        (
            &[
                "token",
                "--json",
                "--client-secret-file",
                "/a",
                "--client-secret-file",
                "/b",
            ],
            &[],
            "the argument '--client-secret-file <PATH>' cannot be used multiple times",
        ),
        (
            &[
                "token",
                "--json",
                "--client-secret-stdin",
                "--client-secret-stdin",
            ],
            &[],
            "the argument '--client-secret-stdin' cannot be used multiple times",
        ),
        (
            &["token", "--json", &secret_equals],
            &[],
            "the client secret is never accepted as an argument (arguments are visible to \
             every user of the machine): set LUCCA_CLIENT_SECRET, or use \
             --client-secret-file PATH or --client-secret-stdin",
        ),
        (
            &["token", "--json", "--client-secret", SECRET],
            &[],
            "the client secret is never accepted as an argument (arguments are visible to \
             every user of the machine): set LUCCA_CLIENT_SECRET, or use \
             --client-secret-file PATH or --client-secret-stdin",
        ),
        (
            &["token", "--json", "--token-url", "not a url"],
            &[],
            "invalid token URL (--token-url / LUCCA_TOKEN_URL): invalid character in URL at byte 3",
        ),
        (
            &["token", "--json"],
            &[(
                "LUCCA_TOKEN_URL",
                "http://accounts.example.com/connect/token",
            )],
            "invalid token URL (--token-url / LUCCA_TOKEN_URL): plain http is allowed only for loopback \
             hosts (127.0.0.0/8, [::1], localhost)",
        ),
        (
            &[
                "get",
                "/lucca-api/leaves",
                "--json",
                "--host",
                "http://example.ilucca.net",
            ],
            &[],
            "invalid host (--host / LUCCA_HOST): plain http is allowed only for loopback hosts \
             (127.0.0.0/8, [::1], localhost)",
        ),
        (
            &["get", "lucca-api/leaves", "--json"],
            &[],
            "invalid path \"lucca-api/leaves\": API path must start with a single '/' (give a \
             host-absolute path like /lucca-api/leaves)",
        ),
        (
            &["token", "--json", "--scope", "leaves\"readonly"],
            &[],
            "invalid scope (--scope / LUCCA_SCOPE): invalid character in scope at byte 6 (RFC 6749 \
             section 3.3 allows visible ASCII except '\"' and '\\')",
        ),
        (
            &["token", "--json", "--api-version", "2024-11-01\r\nX: y"],
            &[],
            "invalid API version (--api-version / LUCCA_API_VERSION): header value has a byte that \
             is not visible ASCII or space at offset 10",
        ),
        (
            &[
                "get",
                "/lucca-api/leaves",
                "--json",
                "--api-version",
                "garbage",
            ],
            &[],
            "invalid API version (--api-version / LUCCA_API_VERSION): not a date like 2024-11-01",
        ),
        (
            &["get", "/lucca-api/leaves", "--json"],
            &[("LUCCA_API_VERSION", "2024-13-45")],
            "invalid API version (--api-version / LUCCA_API_VERSION): not a date like 2024-11-01",
        ),
        (
            &["token", "--json", "--client-auth", "digest"],
            &[],
            "invalid value 'digest' for '--client-auth <METHOD>'",
        ),
        (
            &["token", "--json", "--client-id", ""],
            &[],
            "the client id is empty",
        ),
        (
            &["token", "--json", "--wait-max", "-1"],
            &[],
            "unexpected argument '-1' found",
        ),
        (
            &["--json"],
            &[],
            "'lucca-auth' requires a subcommand but one was not provided",
        ),
        (
            &["frobnicate", "--json"],
            &[],
            "unrecognized subcommand 'frobnicate'",
        ),
    ];
    for (args, env, description) in cases {
        usage_case(args, env, None, description);
    }
}

#[test]
fn missing_configuration_is_a_usage_error() {
    let sandbox = sandbox();
    let run = Invocation::against(&sandbox, &["token", "--json"])
        .without_env("LUCCA_CLIENT_ID")
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "usage",
            Some("no client id: pass --client-id or set LUCCA_CLIENT_ID"),
            None,
            false,
            None,
            None
        )
    );
    let run = Invocation::against(&sandbox, &["token", "--json"])
        .without_env("LUCCA_CLIENT_SECRET")
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "usage",
            Some(
                "no client secret: set LUCCA_CLIENT_SECRET, or use --client-secret-file PATH or --client-secret-stdin"
            ),
            None,
            false,
            None,
            None
        )
    );
    let run = Invocation::against(&sandbox, &["get", "/lucca-api/leaves", "--json"])
        .without_env("LUCCA_HOST")
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.error_json()["description"],
        "no tenant host: pass --host or set LUCCA_HOST (like https://example.ilucca.net)"
    );
    let run = Invocation::against(&sandbox, &["token", "--json", "--client-secret-stdin"])
        .stdin("\n")
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.error_json()["description"],
        "the client secret from standard input is empty"
    );
    assert_no_traffic(&sandbox, &run);
}

#[test]
fn usage_errors_without_json_are_short_human_messages() {
    let sandbox = sandbox();
    let run = Invocation::against(&sandbox, &["token", "--token-url", "ftp://x"]).run();
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("lucca-auth: error: usage: invalid token URL"),
        "{run:?}"
    );
    let run = Invocation::against(&sandbox, &["token", "--bogus"]).run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("unexpected argument '--bogus'"),
        "{run:?}"
    );
    assert_no_traffic(&sandbox, &run);
}

#[test]
fn help_shows_the_exit_code_table() {
    let run = Invocation::new(&["--help"]).run();
    assert_eq!(run.code, 0, "{run:?}");
    let table = "\
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
";
    assert!(run.stdout.contains(table), "{run:?}");
    assert!(
        run.stdout.contains(
            "set LUCCA_CLIENT_SECRET, or use --client-secret-file or --client-secret-stdin"
        ),
        "{run:?}"
    );
}

// ---------------------------------------------------------------------------------------
// exit 3: the authorization server refused the client

#[test]
fn wrong_secret_is_invalid_client() {
    let sandbox = sandbox();
    let run = Invocation::against(&sandbox, &["token", "--json"])
        .env("LUCCA_CLIENT_SECRET", "wrong secret")
        .run();
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.error_json(),
        failure(
            "invalid_client",
            Some("client authentication failed"),
            Some(401),
            false,
            None,
            None
        )
    );
    assert_eq!(sandbox.token_requests_received(), 1);
}

#[test]
fn disallowed_scope_is_invalid_scope() {
    let sandbox = sandbox();
    let run = Invocation::against(
        &sandbox,
        &["token", "--json", "--scope", "employees.readonly"],
    )
    .run();
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "invalid_scope",
            Some("scope not allowed for this client: employees.readonly"),
            Some(400),
            false,
            None,
            None
        )
    );
}

// ---------------------------------------------------------------------------------------
// shared cases that concern the CLI

/// Shared case B14: a token endpoint 401 `{"error":"invalid_client"}` is a credential
/// problem: exit 3, not retryable, exactly one request (no retry, even with --wait-max).
#[test]
fn shared_case_b14_invalid_client_is_not_retried() {
    let server = ScriptedServer::start(include_bytes!("data/B14.http"));
    let run = Invocation::new(&["token", "--json", "--wait-max", "5"])
        .env("LUCCA_CLIENT_ID", CLIENT_ID)
        .env("LUCCA_CLIENT_SECRET", SECRET)
        .env(
            "LUCCA_TOKEN_URL",
            &format!("{}/connect/token", server.origin),
        )
        .run();
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure("invalid_client", None, Some(401), false, None, None)
    );
    assert_eq!(server.requests().len(), 1);
}

/// Shared case B09: the token request's form body, byte for byte, for a secret with
/// `+ / = & %` and two scopes.
#[test]
fn shared_case_b09_token_request_body() {
    let case = include_bytes!("data/B09.http");
    let split = case
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("a head");
    let expected_body = &case[split + 4..];
    let answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 77\r\n\r\n\
        {\"access_token\":\"AT-demo-0001\",\"token_type\":\"Bearer\",\"expires_in\":1800,\"x\":1}";
    let server = ScriptedServer::start(answer);
    let run = Invocation::new(&[
        "token",
        "--json",
        "--client-secret-stdin",
        "--scope",
        "leaves.readwrite",
        "--scope",
        "leave-requests.readonly",
    ])
    .env("LUCCA_CLIENT_ID", "demo-integration")
    .env(
        "LUCCA_TOKEN_URL",
        &format!("{}/connect/token", server.origin),
    )
    .stdin("Ab+1/c=d&e%f\n")
    .run();
    assert_eq!(run.code, 0, "{run:?}");
    let output = format!("{}{}", run.stdout, run.stderr);
    assert!(!output.contains("Ab+1/c=d&e%f") && !output.contains("AT-demo-0001"));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        String::from_utf8_lossy(&request.body),
        String::from_utf8_lossy(expected_body)
    );
    assert_eq!(request.header("content-length"), Some("142"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("authorization"), None);
}

// ---------------------------------------------------------------------------------------
// exit 4: transient

#[test]
fn token_endpoint_503_html_is_a_retryable_server_error() {
    let sandbox = sandbox();
    set_fault(
        &sandbox,
        503,
        "text/html",
        "<html><body>Service Unavailable</body></html>",
        None,
    );
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "server_error",
            Some(
                "token endpoint answered HTTP 503 without an OAuth error (body starts: \
                 \"<html><body>Service Unavailable</body></html>\")"
            ),
            Some(503),
            true,
            None,
            None
        )
    );
    assert_eq!(
        sandbox.token_requests_received(),
        1,
        "one attempt with --wait-max 0"
    );
}

#[test]
fn token_endpoint_429_gives_retry_after() {
    let sandbox = sandbox();
    set_fault(
        &sandbox,
        429,
        "application/json",
        r#"{"error":"slow_down","error_description":"too many token requests"}"#,
        Some(30),
    );
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "rate_limited",
            Some("too many token requests"),
            Some(429),
            true,
            Some(30),
            None
        )
    );
    assert_eq!(sandbox.token_requests_received(), 1);
}

#[test]
fn wait_max_waits_out_the_token_endpoint() {
    let sandbox = sandbox();
    set_fault(&sandbox, 503, "text/plain", "maintenance", Some(1));
    thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(300));
            sandbox.clear_token_fault().expect("fault cleared");
        });
        let run = Invocation::against(&sandbox, &["token", "--json", "--wait-max", "10"]).run();
        assert_eq!(run.code, 0, "{run:?}");
    });
    assert_eq!(
        sandbox.token_requests_received(),
        2,
        "the 503, then the token"
    );
    assert_eq!(sandbox.token_requests_served(), 1);
}

#[test]
fn refused_connection_is_a_network_error() {
    let sandbox = sandbox();
    sandbox
        .set_token_fault(TokenFault::RefuseConnections)
        .expect("fault set");
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "network",
            Some("token request failed: could not connect (connection refused)"),
            None,
            true,
            None,
            None
        )
    );
}

#[test]
fn hanging_token_endpoint_is_a_timeout() {
    let sandbox = sandbox();
    sandbox
        .set_token_fault(TokenFault::Hang)
        .expect("fault set");
    let start = Instant::now();
    let run = Invocation::against(&sandbox, &["token", "--json"])
        .env("LUCCA_AUTH_TIMEOUT_MS", "500")
        .run();
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        run.error_json(),
        failure(
            "timeout",
            Some("token request failed: timed out (global timeout)"),
            None,
            true,
            None,
            None
        )
    );
}

#[test]
fn api_rate_limit_is_rate_limited() {
    let config = SandboxConfig::default()
        .with_client(ClientApp::new(CLIENT_ID, SECRET, ALLOWED))
        .with_rate_limit(lucca_auth_sandbox::RateLimit::new(
            1,
            Duration::from_secs(60),
        ));
    let sandbox = Sandbox::start(config).expect("sandbox starts");
    let first =
        Invocation::against(&sandbox, &["get", "/lucca-api/leaves?limit=1", "--json"]).run();
    assert_eq!(first.code, 0, "{first:?}");
    let run = Invocation::against(&sandbox, &["get", "/lucca-api/leaves?limit=1", "--json"]).run();
    assert_eq!(run.code, 4, "{run:?}");
    let error = run.error_json();
    // The sandbox's window is 60 s: its Retry-After is what is left of it, rounded up.
    let retry_after = error["retry_after_s"].as_u64().expect("a Retry-After");
    assert!((59..=60).contains(&retry_after), "{error}");
    let description =
        format!("the API is rate limiting this client (HTTP 429); retry after {retry_after} s");
    assert_eq!(
        error,
        failure(
            "rate_limited",
            Some(&description),
            Some(429),
            true,
            Some(retry_after),
            None
        )
    );
}

// ---------------------------------------------------------------------------------------
// exit 5: invalid answers

#[test]
fn token_endpoint_200_with_html_is_an_invalid_response() {
    let sandbox = sandbox();
    set_fault(
        &sandbox,
        200,
        "text/html",
        "<html>Welcome to the captive portal</html>",
        None,
    );
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "invalid_response",
            Some("invalid token response: content type is not JSON"),
            None,
            false,
            None,
            None
        )
    );
}

#[test]
fn token_endpoint_redirect_is_unexpected_redirect() {
    let sandbox = sandbox();
    set_fault(&sandbox, 302, "text/html", "", None);
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "unexpected_redirect",
            Some(
                "token endpoint answered with redirect HTTP 302, which is not followed; check \
                 the endpoint URL"
            ),
            Some(302),
            false,
            None,
            None
        )
    );
}

#[test]
fn token_of_another_type_is_unsupported_token_type() {
    let sandbox = sandbox();
    set_fault(
        &sandbox,
        200,
        "application/json",
        &format!(r#"{{"access_token":"{FIXED_TOKEN}","token_type":"mac","expires_in":60}}"#),
        None,
    );
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "unsupported_token_type",
            Some("token endpoint issued a token of type \"mac\"; only Bearer is supported"),
            None,
            false,
            None,
            None
        )
    );
}

// ---------------------------------------------------------------------------------------
// exit 6: the API refuses even a fresh token

/// A request as a scripted server received it.
#[derive(Debug, Clone)]
struct Recorded {
    /// Header lines (without the request line), as sent.
    headers: Vec<String>,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|line| {
            let (field, value) = line.split_once(':')?;
            field.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// A loopback server that answers every request with the same bytes and records what it
/// received: an API that always refuses, or a token endpoint replaying a shared case.
struct ScriptedServer {
    origin: String,
    requests: Arc<std::sync::Mutex<Vec<Recorded>>>,
}

impl ScriptedServer {
    fn start(answer: &[u8]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (answer, seen) = (Arc::new(answer.to_vec()), Arc::clone(&requests));
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (answer, seen) = (Arc::clone(&answer), Arc::clone(&seen));
                thread::spawn(move || serve_connection(stream, &answer, &seen));
            }
        });
        ScriptedServer { origin, requests }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_default()
    }
}

/// Answers every request on the connection with `answer` until the client closes it.
fn serve_connection(stream: TcpStream, answer: &[u8], seen: &std::sync::Mutex<Vec<Recorded>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            headers.push(line);
        }
        let mut recorded = Recorded {
            headers,
            body: Vec::new(),
        };
        let length = recorded
            .header("content-length")
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        recorded.body = vec![0; length];
        if reader.read_exact(&mut recorded.body).is_err() {
            return;
        }
        if let Ok(mut seen) = seen.lock() {
            seen.push(recorded);
        }
        if writer.write_all(answer).is_err() {
            return;
        }
    }
}

/// An API answer of 401 `invalid_token`, whatever the token.
const REFUSAL: &str = "HTTP/1.1 401 Unauthorized\r\n\
    WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"token refused\"\r\n\
    Content-Type: application/problem+json\r\n\
    Content-Length: 50\r\n\r\n\
    {\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"x\"}";

#[test]
fn api_401_even_with_a_fresh_token_is_invalid_token() {
    let sandbox = sandbox();
    let api = ScriptedServer::start(REFUSAL.as_bytes());
    let run = Invocation::against(&sandbox, &["get", "/lucca-api/leaves", "--json"])
        .env("LUCCA_HOST", &api.origin)
        .run();
    assert_eq!(run.code, 6, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "invalid_token",
            Some(
                "the API refused a freshly issued access token (HTTP 401): the credentials \
                 are not accepted for this API"
            ),
            Some(401),
            false,
            None,
            None
        )
    );
    // Tried with the first token, then once with a fresh one, and no more.
    let requests = api.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(sandbox.token_requests_served(), 2);
    let authorizations: BTreeSet<&str> = requests
        .iter()
        .filter_map(|request| request.header("authorization"))
        .collect();
    assert_eq!(authorizations.len(), 2, "the retry carried a fresh token");
}

// ---------------------------------------------------------------------------------------
// exit 7 and 8: other API refusals

#[test]
fn api_403_is_insufficient_scope_naming_the_scope() {
    let sandbox = sandbox();
    let run = Invocation::against(&sandbox, &["get", "/lucca-api/employees", "--json"]).run();
    assert_eq!(run.code, 7, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.error_json(),
        failure(
            "insufficient_scope",
            Some(
                "the access token lacks a scope for this request (HTTP 403); required: \
                 employees.readonly"
            ),
            Some(403),
            false,
            None,
            Some(&["employees.readonly"])
        )
    );
    assert_eq!(sandbox.token_requests_served(), 1, "no refresh on a 403");
    assert_eq!(
        sandbox.api_requests("/lucca-api/employees"),
        1,
        "no retry on a 403"
    );
}

#[test]
fn api_404_is_api_error_with_the_problem() {
    let sandbox = sandbox();
    let run = Invocation::against(&sandbox, &["get", "/lucca-api/nothing", "--json"]).run();
    assert_eq!(run.code, 8, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "api_error",
            Some("Not Found: There is no resource at /lucca-api/nothing."),
            Some(404),
            false,
            None,
            None
        )
    );
}

#[test]
fn api_failures_without_json_are_short_human_messages() {
    let sandbox = sandbox();
    let run = Invocation::against(&sandbox, &["get", "/lucca-api/employees"]).run();
    assert_eq!(run.code, 7, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "lucca-auth: error: insufficient_scope: the access token lacks a scope for this \
             request (HTTP 403); required: employees.readonly\n"
        ),
        "{run:?}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
}

// ---------------------------------------------------------------------------------------
// `lucca-auth sandbox`

#[test]
fn sandbox_subcommand_serves_until_sigterm() {
    let mut child = Command::new(BINARY)
        .args(["sandbox", "--json", "--token-lifetime", "120"])
        .env_remove("LUCCA_CLIENT_SECRET")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("UTF-8");
    let announced: Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(announced["client_id"], lucca_auth_sandbox::DEMO_CLIENT_ID);
    assert_eq!(
        announced["client_secret"],
        lucca_auth_sandbox::DEMO_CLIENT_SECRET
    );
    assert_eq!(announced["token_lifetime_s"], 120);
    let token_url = announced["token_url"]
        .as_str()
        .expect("token_url")
        .to_owned();
    let api_base = announced["api_base"].as_str().expect("api_base").to_owned();

    let run = Invocation::new(&["token", "--json"])
        .env("LUCCA_CLIENT_ID", lucca_auth_sandbox::DEMO_CLIENT_ID)
        .env(
            "LUCCA_CLIENT_SECRET",
            lucca_auth_sandbox::DEMO_CLIENT_SECRET,
        )
        .env("LUCCA_TOKEN_URL", &token_url)
        .env("LUCCA_HOST", &api_base)
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout_json()["expires_in"], 120);

    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(terminated.success());
    let status = child.wait().expect("the sandbox ends");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sandbox_subcommand_prints_exports() {
    let mut child = Command::new(BINARY)
        .args(["sandbox"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut text = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("UTF-8");
        let done = line.starts_with("export LUCCA_CLIENT_SECRET=");
        text.push_str(&line);
        text.push('\n');
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        text.starts_with("Lucca sandbox running (Ctrl-C to stop)\n"),
        "{text}"
    );
    assert!(
        text.contains("export LUCCA_TOKEN_URL='http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("export LUCCA_HOST='http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("export LUCCA_CLIENT_ID='demo-integration'\n"),
        "{text}"
    );
    assert!(
        text.contains("export LUCCA_CLIENT_SECRET='demo+sandbox/not=a&real%secret'\n"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// The rest of the exit table: every `error` value a server can cause, each exactly.

#[test]
fn token_json_reports_a_missing_expires_in_and_the_scopes_not_granted() {
    let sandbox = sandbox();
    // No expires_in (the default lifetime is used, and reported as unknown), and only one of
    // the two requested scopes granted.
    set_fault(
        &sandbox,
        200,
        "application/json",
        &format!(
            r#"{{"access_token":"{FIXED_TOKEN}","token_type":"Bearer","scope":"leaves.readonly"}}"#
        ),
        None,
    );
    let run = Invocation::against(
        &sandbox,
        &[
            "token",
            "--json",
            "--scope",
            "leaves.readonly leaves.readwrite",
        ],
    )
    .run();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "{\"token_type\":\"Bearer\",\"expires_in\":null,\"scope\":[\"leaves.readonly\"],\
         \"not_granted\":[\"leaves.readwrite\"]}\n"
    );
}

#[test]
fn unauthorized_client_is_exit_3_with_the_servers_code() {
    let sandbox = sandbox();
    set_fault(
        &sandbox,
        400,
        "application/json",
        r#"{"error":"unauthorized_client","error_description":"client_credentials is not allowed for this client"}"#,
        None,
    );
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "unauthorized_client",
            Some("client_credentials is not allowed for this client"),
            Some(400),
            false,
            None,
            None
        )
    );
    assert_eq!(sandbox.token_requests_received(), 1, "no retry");
}

#[test]
fn token_endpoint_408_is_exit_4_timeout() {
    let sandbox = sandbox();
    set_fault(&sandbox, 408, "text/plain", "Request Timeout", None);
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "timeout",
            Some(
                "token endpoint answered HTTP 408 without an OAuth error (body starts: \
                 \"Request Timeout\")"
            ),
            Some(408),
            true,
            None,
            None
        )
    );
}

#[test]
fn token_endpoint_5xx_with_an_oauth_code_is_exit_4_with_that_code() {
    let sandbox = sandbox();
    set_fault(
        &sandbox,
        503,
        "application/json",
        r#"{"error":"temporarily_unavailable","error_description":"maintenance until 10:00"}"#,
        Some(20),
    );
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "temporarily_unavailable",
            Some("maintenance until 10:00"),
            Some(503),
            true,
            Some(20),
            None
        )
    );
}

#[test]
fn api_5xx_is_exit_4_server_error() {
    let sandbox = sandbox();
    let api = ScriptedServer::start(
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Type: text/html\r\n\
          Content-Length: 21\r\n\r\n<html>upstream</html>",
    );
    let run = Invocation::against(&sandbox, &["get", "/lucca-api/leaves", "--json"])
        .env("LUCCA_HOST", &api.origin)
        .run();
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "server_error",
            Some("the API answered HTTP 503; the request may succeed later; retry after 7 s"),
            Some(503),
            true,
            Some(7),
            None
        )
    );
    assert_eq!(api.requests().len(), 1, "no retry with --wait-max 0");
}

#[test]
fn token_answer_too_large_is_exit_5_response_too_large() {
    let sandbox = sandbox();
    let padding = " ".repeat(70_000);
    set_fault(
        &sandbox,
        200,
        "application/json",
        &format!(r#"{{"access_token":"{FIXED_TOKEN}","token_type":"Bearer"}}{padding}"#),
        None,
    );
    let run = Invocation::against(&sandbox, &["token", "--json"]).run();
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "response_too_large",
            Some("token response body exceeds the 65536-byte limit"),
            None,
            false,
            None,
            None
        )
    );
}

#[test]
fn compressed_token_answer_is_exit_5_unsupported_content_encoding() {
    let token = ScriptedServer::start(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n\
          Content-Length: 4\r\n\r\n\x1f\x8b\x08\x00",
    );
    let run = Invocation::new(&["token", "--json"])
        .env("LUCCA_CLIENT_ID", CLIENT_ID)
        .env("LUCCA_CLIENT_SECRET", SECRET)
        .env(
            "LUCCA_TOKEN_URL",
            &format!("{}/connect/token", token.origin),
        )
        .run();
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "unsupported_content_encoding",
            Some("token response has content coding \"gzip\"; only identity is supported"),
            None,
            false,
            None,
            None
        )
    );
    let requests = token.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("accept-encoding"), Some("identity"));
}

#[test]
fn api_version_header_is_the_default_or_the_one_given() {
    let sandbox = sandbox();
    let api = ScriptedServer::start(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"items\":[]}",
    );
    let default = Invocation::against(&sandbox, &["get", "/lucca-api/leaves"])
        .env("LUCCA_HOST", &api.origin)
        .run();
    assert_eq!(
        (default.code, default.stdout.as_str()),
        (0, "{\"items\":[]}\n"),
        "{default:?}"
    );
    let flag = Invocation::against(
        &sandbox,
        &["get", "/lucca-api/leaves", "--api-version", "2025-06-01"],
    )
    .env("LUCCA_HOST", &api.origin)
    .env("LUCCA_API_VERSION", "2024-02-29")
    .run();
    assert_eq!(flag.code, 0, "{flag:?}");
    let variable = Invocation::against(&sandbox, &["get", "/lucca-api/leaves"])
        .env("LUCCA_HOST", &api.origin)
        .env("LUCCA_API_VERSION", "2024-02-29")
        .run();
    assert_eq!(variable.code, 0, "{variable:?}");
    let sent: Vec<Option<String>> = api
        .requests()
        .iter()
        .map(|request| request.header("api-version").map(str::to_owned))
        .collect();
    assert_eq!(
        sent,
        [Some("2024-11-01"), Some("2025-06-01"), Some("2024-02-29")].map(|v| v.map(str::to_owned))
    );
}

#[test]
fn an_api_error_that_echoes_the_token_never_prints_it() {
    let sandbox = sandbox();
    set_fault(
        &sandbox,
        200,
        "application/json",
        &format!(r#"{{"access_token":"{FIXED_TOKEN}","token_type":"Bearer","expires_in":600}}"#),
        None,
    );
    let problem = format!(
        r#"{{"title":"Bad Request","detail":"Authorization: Bearer {FIXED_TOKEN} is malformed"}}"#
    );
    let api = ScriptedServer::start(
        format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\nContent-Length: {}\r\n\r\n{problem}",
            problem.len()
        )
        .as_bytes(),
    );
    // `run` fails the test if the token appears anywhere in the output.
    let run = Invocation::against(&sandbox, &["get", "/lucca-api/leaves", "--json"])
        .env("LUCCA_HOST", &api.origin)
        .run();
    assert_eq!(run.code, 8, "{run:?}");
    assert_eq!(
        run.error_json(),
        failure(
            "api_error",
            Some("Bad Request: Authorization: Bearer [redacted] is malformed"),
            Some(400),
            false,
            None,
            None
        )
    );
}
