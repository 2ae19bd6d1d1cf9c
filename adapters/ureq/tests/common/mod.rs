//! Test helpers: client configurations for the sandbox, and a tiny scripted HTTP/1.1 server
//! on a std `TcpListener` for what the sandbox cannot do (exact bytes of a shared case, a
//! foreign `next` link, API 5xx and 3xx, dropped connections).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use lucca_auth::config::{ClientAuthMethod, ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox};

/// A configuration for the sandbox's demo application with these scopes.
pub fn demo_config(sandbox: &Sandbox, scopes: &str) -> LuccaConfig {
    config_for(
        sandbox,
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        ClientAuthMethod::RequestBody,
        scopes,
    )
}

/// A configuration for the sandbox with these credentials and scopes.
pub fn config_for(
    sandbox: &Sandbox,
    id: &str,
    secret: &str,
    method: ClientAuthMethod,
    scopes: &str,
) -> LuccaConfig {
    LuccaConfig::new(
        ClientCredentials::new(ClientId::new(id), ClientSecret::new(secret)).with_method(method),
        TenantHost::parse(sandbox.api_base()).unwrap(),
    )
    .with_token_endpoint(TokenEndpoint::parse(sandbox.token_url()).unwrap())
    .with_scopes(Scopes::parse_space_separated(scopes).unwrap())
}

/// A configuration whose token endpoint and tenant are both `server`.
pub fn scripted_config(server: &ScriptedServer, scopes: &str) -> LuccaConfig {
    LuccaConfig::new(
        ClientCredentials::new(
            ClientId::new("scripted"),
            ClientSecret::new("scripted-secret"),
        ),
        TenantHost::parse(&server.origin()).unwrap(),
    )
    .with_token_endpoint(
        TokenEndpoint::parse(&format!("{}/connect/token", server.origin())).unwrap(),
    )
    .with_scopes(Scopes::parse_space_separated(scopes).unwrap())
}

/// A request as the scripted server read it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// Every value of header `name` (any case).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The path without query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Vec<u8> + Send + Sync;

/// A one-request-per-connection HTTP/1.1 server. The handler gets each request and the
/// number of earlier requests to the same path, and returns the raw response bytes; empty
/// bytes close the connection without an answer.
pub struct ScriptedServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl ScriptedServer {
    pub fn start(handler: impl Fn(&Recorded, usize) -> Vec<u8> + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let (requests, connections, stop) =
                (requests.clone(), connections.clone(), stop.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (requests, handler) = (requests.clone(), handler.clone());
                    thread::spawn(move || serve(stream, &requests, &*handler));
                }
            })
        };
        ScriptedServer {
            addr,
            requests,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// Requests received for `path` (without query).
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path() == path)
            .collect()
    }

    /// TCP connections accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(mut stream: TcpStream, requests: &Mutex<Vec<Recorded>>, handler: &Handler) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.to_owned(), value.trim().to_owned()))
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let recorded = Recorded {
        method,
        target,
        headers,
        body,
    };
    let earlier = {
        let mut all = requests.lock().unwrap();
        let earlier = all.iter().filter(|r| r.path() == recorded.path()).count();
        all.push(recorded.clone());
        earlier
    };
    let answer = handler(&recorded, earlier);
    if !answer.is_empty() {
        let _ = stream.write_all(&answer);
    }
    let _ = stream.flush();
}

/// A response with `Content-Length` and `Connection: close`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Status\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

/// A 200 JSON response.
pub fn json(body: &str) -> Vec<u8> {
    response(200, &[("Content-Type", "application/json")], body)
}

/// A token answer.
pub fn token_answer(token: &str, expires_in: u64) -> Vec<u8> {
    json(&format!(
        r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":{expires_in}}}"#
    ))
}
