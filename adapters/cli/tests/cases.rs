//! The shared real-world cases that concern the CLI's exit codes, replayed byte for byte by
//! a raw loopback token endpoint (a std `TcpListener`), with siblings of the same kinds
//! (`tests/data/SNN-*.http`): B12 (a proxy's HTML page labelled JSON on a 502) and S08 (a
//! plain-text 504) are exit 4 `server_error` with a bounded excerpt; B15 (429,
//! `Retry-After: 30`) and S05 (503, `Retry-After` as an HTTP date) are exit 4 with the
//! delay; B11 (`invalid_scope` JSON labelled `text/plain`) is exit 3. Each is one request.
//! (B09 and B14 are in `cli.rs`.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_lucca-auth");

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

const SECRET: &str = "cases secret+1/2=3&4%5~";

/// A token endpoint that answers every request with the same bytes and closes the
/// connection; it counts the requests it read.
struct CaseServer {
    origin: String,
    requests: Arc<AtomicUsize>,
}

impl CaseServer {
    fn start(answer: &'static [u8]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let origin = format!(
            "http://{}",
            listener
                .local_addr()
                .unwrap_or_else(|e| panic!("address: {e}"))
        );
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = Arc::clone(&counter);
                thread::spawn(move || answer_one(stream, answer, &counter));
            }
        });
        CaseServer { origin, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Reads one request (head and `Content-Length` body), writes `answer`, closes.
fn answer_one(stream: TcpStream, answer: &[u8], counter: &AtomicUsize) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    counter.fetch_add(1, Ordering::SeqCst);
    let _ = writer.write_all(answer);
    let _ = writer.flush();
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn token_json(server: &CaseServer) -> Run {
    let mut command = Command::new(BINARY);
    command.args(["token", "--json", "--scope", "leaves.readonly"]);
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    let output = command
        .env("LUCCA_CLIENT_ID", "cases-app")
        .env("LUCCA_CLIENT_SECRET", SECRET)
        .env(
            "LUCCA_TOKEN_URL",
            format!("{}/connect/token", server.origin),
        )
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {BINARY}: {e}"));
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "the secret leaked: {run:?}"
    );
    run
}

fn failure(
    error: &str,
    description: &str,
    status: u16,
    retryable: bool,
    retry_after_s: Option<u64>,
) -> Value {
    json!({
        "error": error,
        "description": description,
        "status": status,
        "retryable": retryable,
        "retry_after_s": retry_after_s,
        "missing_scope": null,
    })
}

#[test]
fn token_endpoint_cases_exit_codes() {
    let b12_description = concat!(
        "token endpoint answered HTTP 502 without an OAuth error (body starts: \"",
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>",
        "<h1>Bad Gateway</h1><p>The upstream identity servi…\")",
    );
    #[rustfmt::skip]
    let cases: [(&str, &'static [u8], i32, Value); 5] = [
        // B12: kind=unexpected_response status=502 body=not_json class=transient retryable=true.
        ("B12", include_bytes!("data/B12.http"), 4,
            failure("server_error", b12_description, 502, true, None)),
        ("S08", include_bytes!("data/S08-token-504-text-plain.http"), 4,
            failure("server_error", "token endpoint answered HTTP 504 without an OAuth error (body starts: \"upstream request timeout\")", 504, true, None)),
        // B15: kind=rate_limited status=429 retryable=true retry_after_s=30.
        ("B15", include_bytes!("data/B15.http"), 4,
            failure("rate_limited", "token endpoint answered HTTP 429 without an OAuth error (empty body); retry after 30 s", 429, true, Some(30))),
        ("S05", include_bytes!("data/S05-retry-after-http-date.http"), 4,
            failure("server_error", "token endpoint answered HTTP 503 without an OAuth error (body starts: \"<html><body>Maintenance</body></html>\"); retry after 120 s", 503, true, Some(120))),
        // B11: kind=invalid_scope status=400 retryable=false.
        ("B11", include_bytes!("data/B11.http"), 3,
            failure("invalid_scope", "unknown scope requested", 400, false, None)),
    ];
    for (name, bytes, code, expected) in cases {
        let server = CaseServer::start(bytes);
        let run = token_json(&server);
        assert_eq!(run.code, code, "{name}: {run:?}");
        assert_eq!(run.stdout, "", "{name}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{name}: one JSON line on stderr: {run:?}");
        let reported: Value = serde_json::from_str(lines.first().copied().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{name}: stderr is not JSON ({e}): {run:?}"));
        assert_eq!(reported, expected, "{name}");
        assert_eq!(
            server.requests(),
            1,
            "{name}: one attempt with --wait-max 0"
        );
    }
}
