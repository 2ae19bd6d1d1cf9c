//! The `lucca-auth` binary against an independent authorization server: Authlib (Python),
//! installed and started by the `lucca-auth-interop` harness on a loopback port. `token
//! --json` with body and Basic client authentication (exit 0, the exact JSON members, a
//! token the peer's resource accepts), a secret full of special characters read from stdin,
//! and the refusals (wrong secret, unknown client: exit 3 `invalid_client` with the peer's
//! exact status and description).
//!
//! Skips loudly when python3 (with venv) is missing, except under `CI=true` (the harness's
//! `peer_or_skip`).

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use lucca_auth_interop::{ClientRole, Peer, PeerConfig, PeerKind, peer_or_skip};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_lucca-auth");
const KIND: PeerKind = PeerKind::Authlib;

/// Every environment variable the tool reads, removed from the inherited environment.
const VARIABLES: [&str; 9] = [
    "LUCCA_CLIENT_ID",
    "LUCCA_CLIENT_SECRET",
    "LUCCA_TOKEN_URL",
    "LUCCA_HOST",
    "LUCCA_API_VERSION",
    "LUCCA_SCOPE",
    "LUCCA_CLIENT_AUTH",
    "LUCCA_AUTH_TIMEOUT_MS",
    "LUCCA_AUTH_DEMO_BREAK",
];

const AUTHLIB_CLIENT_AUTH_FAILED: &str =
    "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post']";
const AUTHLIB_UNKNOWN_CLIENT: &str = "The client does not exist on this server.";

/// One Authlib peer for this test binary; it exits with the process (it watches its stdin).
fn peer() -> &'static Peer {
    static PEER: OnceLock<Peer> = OnceLock::new();
    PEER.get_or_init(|| {
        Peer::start(KIND, PeerConfig::default())
            .unwrap_or_else(|e| panic!("starting the {KIND} peer: {e}"))
    })
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `lucca-auth` with `args` for client `id` at the peer, the secret given through
/// `LUCCA_CLIENT_SECRET` or, with `stdin`, through `--client-secret-stdin`. Checks that the
/// secret never appears in the output.
fn lucca_auth(id: &str, secret: &str, stdin: bool, args: &[&str]) -> Run {
    let peer = peer();
    let mut command = Command::new(BINARY);
    command.args(args);
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    command
        .env("LUCCA_CLIENT_ID", id)
        .env("LUCCA_TOKEN_URL", peer.token_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if stdin {
        command.arg("--client-secret-stdin").stdin(Stdio::piped());
    } else {
        command
            .env("LUCCA_CLIENT_SECRET", secret)
            .stdin(Stdio::null());
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("starting {BINARY}: {e}"));
    if stdin && let Some(mut input) = child.stdin.take() {
        input
            .write_all(format!("{secret}\n").as_bytes())
            .unwrap_or_else(|e| panic!("writing stdin: {e}"));
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for {BINARY}: {e}"));
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stdout.contains(secret) && !run.stderr.contains(secret),
        "the secret leaked: {run:?}"
    );
    run
}

fn one_json_line(text: &str, run: &Run) -> Value {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line expected: {run:?}");
    serde_json::from_str(lines.first().copied().unwrap_or_default())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"))
}

/// The resource's status for `token`, sent by hand.
fn resource_status(token: &str) -> u16 {
    let agent: lucca_auth_ureq::ureq::Agent = lucca_auth_ureq::ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .get(peer().resource_url())
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .map(|response| response.status().as_u16())
        .unwrap_or_else(|e| panic!("resource request: {e}"))
}

#[test]
fn token_json_with_body_and_basic_auth() {
    if !peer_or_skip(KIND, "interop::token_json_with_body_and_basic_auth") {
        return;
    }
    let main = peer().main_client().clone();
    for method in ["body", "basic"] {
        let scope = "leaves.readonly employees.readonly";
        let run = lucca_auth(
            &main.id,
            &main.secret,
            false,
            &["token", "--json", "--client-auth", method, "--scope", scope],
        );
        assert_eq!(run.code, 0, "{method}: {run:?}");
        assert_eq!(run.stderr, "", "{method}");
        assert_eq!(
            run.stdout,
            "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"scope\":[\"leaves.readonly\",\
             \"employees.readonly\"],\"not_granted\":[]}\n",
            "{method}"
        );

        let revealed = lucca_auth(
            &main.id,
            &main.secret,
            false,
            &[
                "token",
                "--json",
                "--reveal",
                "--client-auth",
                method,
                "--scope",
                scope,
            ],
        );
        assert_eq!(revealed.code, 0, "{method}: {revealed:?}");
        let summary = one_json_line(&revealed.stdout, &revealed);
        let token = summary["access_token"].as_str().unwrap_or_default();
        assert!(!token.is_empty(), "{revealed:?}");
        // The members in the documented order, `access_token` last.
        assert_eq!(
            revealed.stdout,
            format!(
                "{{\"token_type\":\"Bearer\",\"expires_in\":3600,\"scope\":[\"leaves.readonly\",\
                 \"employees.readonly\"],\"not_granted\":[],\"access_token\":\"{token}\"}}\n"
            ),
            "{method}"
        );
        assert_eq!(resource_status(token), 200, "{method}");
    }
}

/// The special secrets read from stdin, both methods: `interop-special`'s (`: + space / % & =
/// " \` …) and `interop-special-utf8`'s (`é€`); the narrow client asking for a scope Authlib drops: `scope` is null (the answer has no
/// `scope` member).
#[test]
fn token_json_special_secret_from_stdin_and_a_dropped_scope() {
    if !peer_or_skip(KIND, "interop::token_json_special_secret_from_stdin") {
        return;
    }
    for role in [ClientRole::Special, ClientRole::SpecialUtf8] {
        let special = peer()
            .client(role)
            .cloned()
            .unwrap_or_else(|| panic!("no {role:?} client"));
        special_secret_from_stdin(&special.id, &special.secret);
    }
    let narrow = peer()
        .client(ClientRole::Narrow)
        .cloned()
        .unwrap_or_else(|| panic!("no narrow client"));
    let run = lucca_auth(
        &narrow.id,
        &narrow.secret,
        false,
        &["token", "--json", "--scope", "leaves.readonly"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        one_json_line(&run.stdout, &run),
        json!({"token_type": "Bearer", "expires_in": 3600, "scope": null, "not_granted": []})
    );
}

/// `token --json` with the secret read from stdin, both methods.
fn special_secret_from_stdin(id: &str, secret: &str) {
    for method in ["body", "basic"] {
        let run = lucca_auth(
            id,
            secret,
            true,
            &[
                "token",
                "--json",
                "--client-auth",
                method,
                "--scope",
                "leaves.readonly",
            ],
        );
        assert_eq!(run.code, 0, "{method}: {run:?}");
        assert_eq!(
            run.stdout,
            "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"scope\":[\"leaves.readonly\"],\
             \"not_granted\":[]}\n",
            "{method}"
        );
    }
}

fn refusal(description: &str, status: u16) -> Value {
    json!({
        "error": "invalid_client",
        "description": description,
        "status": status,
        "retryable": false,
        "retry_after_s": null,
        "missing_scope": null,
    })
}

/// A wrong secret: exit 3 `invalid_client`, HTTP 401 with both methods; an unknown client:
/// exit 3 `invalid_client` with Authlib's 400 (body) or 401 (Basic).
#[test]
fn wrong_secret_and_unknown_client_exit_3_invalid_client() {
    if !peer_or_skip(KIND, "interop::wrong_secret_and_unknown_client_exit_3") {
        return;
    }
    let main = peer().main_client().clone();
    let cases = [
        (
            main.id.as_str(),
            "body",
            refusal(AUTHLIB_CLIENT_AUTH_FAILED, 401),
        ),
        (
            main.id.as_str(),
            "basic",
            refusal(AUTHLIB_CLIENT_AUTH_FAILED, 401),
        ),
        ("nobody", "body", refusal(AUTHLIB_UNKNOWN_CLIENT, 400)),
        ("nobody", "basic", refusal(AUTHLIB_UNKNOWN_CLIENT, 401)),
    ];
    for (id, method, expected) in cases {
        let run = lucca_auth(
            id,
            "not-the-secret-0000",
            false,
            &[
                "token",
                "--json",
                "--client-auth",
                method,
                "--wait-max",
                "5",
            ],
        );
        assert_eq!(run.code, 3, "{id} {method}: {run:?}");
        assert_eq!(run.stdout, "", "{id} {method}");
        assert_eq!(one_json_line(&run.stderr, &run), expected, "{id} {method}");
    }
}
