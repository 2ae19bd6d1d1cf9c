//! The `lucca-auth` binary against hostile servers and hostile local files: secret files that
//! are FIFOs, devices or far too large, API errors carrying terminal control sequences, a
//! `--wait-max` budget spread over several waits, `--json=…` spellings, absurd sandbox
//! token lifetimes. Each test was first written against the defect it names.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_lucca-auth");
const TOKEN: &str = "AT-cli-hostile-token-0123456789";

/// A one-answer-per-connection server: `handler(target, request headers)` gives the bytes.
struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl Server {
    fn start(handler: impl Fn(&str, &str) -> Vec<u8> + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let handler = Arc::new(handler);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match stream.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            let (n, v) = l.split_once(':')?;
                            n.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    let mut body = vec![0u8; length.min(1 << 20)];
                    let _ = stream.read_exact(&mut body);
                    let target = head.split(' ').nth(1).unwrap_or("").to_owned();
                    let answer = handler(&target, &head);
                    let _ = stream.write_all(&answer);
                });
            }
        });
        Server { addr, connections }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

fn token_answer() -> Vec<u8> {
    answer(
        200,
        &[("Content-Type", "application/json")],
        &format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":1800}}"#),
    )
}

fn command(server: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LUCCA_CLIENT_ID", "cli-hostile")
        .env("LUCCA_TOKEN_URL", format!("{server}/connect/token"))
        .env("LUCCA_HOST", server)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for `child` at most `limit`; kills it (and says so) when it takes longer.
fn finish(mut child: Child, limit: Duration) -> Result<(i32, String, String), String> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            let mut err = Vec::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            child.stderr.take().unwrap().read_to_end(&mut err).unwrap();
            return Ok((
                status.code().unwrap_or(-1),
                out,
                String::from_utf8_lossy(&err).into_owned(),
            ));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {limit:?}; killed"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// The one JSON object a failure prints on stderr with `--json`.
fn error_json(stderr: &str) -> serde_json::Value {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr must be one JSON line: {stderr:?}");
    serde_json::from_str(lines[0]).unwrap()
}

/// A path in the temporary directory, unique to this process and `name`, removed on drop.
struct TempPath(std::path::PathBuf);

impl TempPath {
    fn new(name: &str) -> TempPath {
        let path =
            std::env::temp_dir().join(format!("lucca-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempPath(path)
    }

    fn as_str(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `token --json --client-secret-file PATH` against a server that counts connections;
/// the exit code, the JSON failure's description (or `None` on success) and the connections.
fn token_with_secret_file(path: &str) -> (i32, Option<String>, usize) {
    let server = Server::start(|_, _| token_answer());
    let child = command(
        &server.origin(),
        &["token", "--json", "--client-secret-file", path],
    )
    .spawn()
    .unwrap();
    let (code, _, stderr) = finish(child, Duration::from_secs(20)).unwrap();
    let description = (code != 0).then(|| {
        error_json(&stderr)["description"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    (code, description, server.connections.load(Ordering::SeqCst))
}

/// `--client-secret-file` pointing to a FIFO nobody writes to blocked in `open` forever
/// (no timeout applies before the network). Now anything but a regular file is refused
/// before it is opened: exit 2, no traffic.
#[test]
fn hostile_cli_secret_file_fifo_is_refused_without_opening_it() {
    let fifo = TempPath::new("fifo");
    let made = Command::new("mkfifo").arg(&fifo.0).status().unwrap();
    assert!(made.success());
    let started = Instant::now();
    let (code, description, connections) = token_with_secret_file(fifo.as_str());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (code, description, connections),
        (
            2,
            Some(format!(
                "the client secret file {} is not a regular file",
                fifo.as_str()
            )),
            0
        )
    );
}

/// A device is not a regular file either: `/dev/zero` would be read until memory runs out,
/// `/dev/null` is an empty secret by accident; a directory cannot be read. All exit 2.
#[test]
fn hostile_cli_secret_file_devices_and_directories_are_refused() {
    for path in ["/dev/zero", "/dev/null", "/dev/urandom", "/tmp"] {
        let (code, description, connections) = token_with_secret_file(path);
        assert_eq!(
            (code, description, connections),
            (
                2,
                Some(format!(
                    "the client secret file {path} is not a regular file"
                )),
                0
            ),
            "{path}"
        );
    }
}

/// A symbolic link to a regular file is fine (secrets are often linked from a vault
/// mount); a link to a FIFO is not.
#[test]
fn hostile_cli_secret_file_symlinks_are_followed_to_the_file_type() {
    let target = TempPath::new("link-target");
    std::fs::write(&target.0, "cli-hostile-secret\n").unwrap();
    let link = TempPath::new("link");
    std::os::unix::fs::symlink(&target.0, &link.0).unwrap();
    assert_eq!(token_with_secret_file(link.as_str()), (0, None, 1));

    let fifo = TempPath::new("link-fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo.0)
            .status()
            .unwrap()
            .success()
    );
    let fifo_link = TempPath::new("link-to-fifo");
    std::os::unix::fs::symlink(&fifo.0, &fifo_link.0).unwrap();
    let (code, _, connections) = token_with_secret_file(fifo_link.as_str());
    assert_eq!((code, connections), (2, 0));
}

/// `--client-secret-file` was read whole, without a size limit: a 2 MiB file (a wrong path,
/// a binary) became a 2 MiB "secret", POSTed as a 6 MiB form body, and a 200 MB one aborted
/// the process instead of printing the one JSON object `--json` promises. Now a secret
/// longer than 4096 bytes (plus one line break) is refused unread: exit 2, no traffic.
#[test]
fn hostile_cli_secret_file_of_any_size_is_refused() {
    let path = TempPath::new("big");
    let file = std::fs::File::create(&path.0).unwrap();
    file.set_len(200 * 1024 * 1024).unwrap();
    drop(file);
    let started = Instant::now();
    let (code, description, connections) = token_with_secret_file(path.as_str());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (code, description.as_deref(), connections),
        (
            2,
            Some(
                "the client secret from the client secret file is longer than 4096 bytes \
                 (Lucca client secrets are much shorter)"
            ),
            0
        )
    );
}

/// The limit is on the secret itself: 4096 bytes with or without a final line break pass,
/// 4097 do not.
#[test]
fn hostile_cli_secret_file_limit_is_exact() {
    let cases: &[(String, i32, usize)] = &[
        ("s".repeat(4096), 0, 1),
        (format!("{}\n", "s".repeat(4096)), 0, 1),
        (format!("{}\r\n", "s".repeat(4096)), 0, 1),
        ("s".repeat(4097), 2, 0),
        (format!("{}\n", "s".repeat(4097)), 2, 0),
    ];
    for (content, code, connections) in cases {
        let path = TempPath::new("exact");
        std::fs::write(&path.0, content).unwrap();
        let (got_code, _, got_connections) = token_with_secret_file(path.as_str());
        assert_eq!(
            (got_code, got_connections),
            (*code, *connections),
            "{} bytes",
            content.len()
        );
    }
}

/// The same limit holds for standard input (an endless pipe is cut off, not read until
/// memory runs out) and for `LUCCA_CLIENT_SECRET`.
#[test]
fn hostile_cli_secret_from_stdin_or_environment_is_capped() {
    let server = Server::start(|_, _| token_answer());
    let mut child = command(
        &server.origin(),
        &["token", "--json", "--client-secret-stdin"],
    )
    .stdin(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // An endless writer: it stops when the tool closes the pipe.
    let writer = thread::spawn(move || {
        let chunk = [b'z'; 8192];
        while stdin.write_all(&chunk).is_ok() {}
    });
    let (code, _, stderr) = finish(child, Duration::from_secs(20)).unwrap();
    writer.join().unwrap();
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        error_json(&stderr)["description"],
        "the client secret from standard input is longer than 4096 bytes (Lucca client \
         secrets are much shorter)"
    );

    let child = command(&server.origin(), &["token", "--json"])
        .env("LUCCA_CLIENT_SECRET", "e".repeat(8192))
        .spawn()
        .unwrap();
    let (code, _, stderr) = finish(child, Duration::from_secs(20)).unwrap();
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        error_json(&stderr)["description"],
        "the client secret from LUCCA_CLIENT_SECRET is longer than 4096 bytes (Lucca client \
         secrets are much shorter)"
    );
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);
}

/// `ps` during a run: no argument of the process holds the secret or the token (it comes
/// from the environment), and the token never reaches the arguments either. (Holds up.)
#[test]
fn hostile_cli_process_arguments_hold_no_secret() {
    let server = Server::start(|target, _| {
        if target.starts_with("/connect/token") {
            thread::sleep(Duration::from_millis(1500));
            return token_answer();
        }
        answer(200, &[("Content-Type", "application/json")], "{}")
    });
    let child = command(&server.origin(), &["token", "--json"])
        .env("LUCCA_CLIENT_SECRET", "cli-hostile-secret-ps")
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(500));
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
    let (code, stdout, _) = finish(child, Duration::from_secs(20)).unwrap();
    assert_eq!(code, 0);
    assert!(!cmdline.contains("cli-hostile-secret-ps"), "{cmdline}");
    assert!(!stdout.contains(TOKEN));
}
