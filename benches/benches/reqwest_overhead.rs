//! The per-request overhead of the async adapter: `LuccaClient::get` with a valid cached
//! token against the same GET written by hand with plain reqwest (a fixed, prebuilt
//! `Authorization` header and the same four other headers), to the same local server, side
//! by side. After the criterion timings it prints the ratio from interleaved rounds and the
//! allocations per request of each, counted by the bench's global allocator on the thread
//! that runs the client (the server runs on a thread of its own and is not counted).
//!
//! `cargo bench -p lucca-auth-benches --bench reqwest_overhead`

use std::hint::black_box;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::Criterion;
use lucca_auth::config::{ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth_benches::{CountingAllocator, allocations};
use lucca_auth_reqwest::LuccaClient;
use lucca_auth_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox, SandboxConfig};
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, HeaderName, HeaderValue, USER_AGENT,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The request target of both clients.
const PATH: &str = "/lucca-api/leaves?limit=2";

/// A small Lucca-like list page.
const BODY: &str = r#"{"items":[{"id":1,"type":"holiday","startsOn":"2025-01-06"},{"id":2,"type":"holiday","startsOn":"2025-01-07"}],"links":{"next":null}}"#;

/// A minimal HTTP/1.1 server on its own thread: every request head gets the same `200`
/// answer on a kept-alive connection. As cheap as a server gets, so that the client's cost
/// shows.
fn start_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("address");
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((mut stream, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    let mut buffer = vec![0u8; 8192];
                    let mut filled = 0;
                    loop {
                        match stream.read(&mut buffer[filled..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => filled += n,
                        }
                        while let Some(end) =
                            buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n")
                        {
                            if stream.write_all(answer.as_bytes()).await.is_err() {
                                return;
                            }
                            buffer.copy_within(end + 4..filled, 0);
                            filled -= end + 4;
                        }
                        if filled == buffer.len() {
                            return;
                        }
                    }
                });
            }
        });
    });
    addr
}

struct Setup {
    runtime: tokio::runtime::Runtime,
    _sandbox: Sandbox,
    lucca: LuccaClient,
    plain: reqwest::Client,
    url: String,
    headers: [(HeaderName, HeaderValue); 5],
}

impl Setup {
    fn new() -> Setup {
        let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
        let server = start_server();
        let origin = format!("http://{server}");
        let config = LuccaConfig::new(
            ClientCredentials::new(
                ClientId::new(DEMO_CLIENT_ID),
                ClientSecret::new(DEMO_CLIENT_SECRET),
            ),
            TenantHost::parse(&origin).expect("tenant"),
        )
        .with_token_endpoint(TokenEndpoint::parse(sandbox.token_url()).expect("token URL"))
        .with_scopes(Scopes::parse_space_separated("leaves.readonly").expect("scopes"));
        let user_agent = HeaderValue::from_str(config.user_agent.as_str()).expect("UA");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        let lucca = runtime.block_on(async { LuccaClient::new(config).expect("client") });
        let token = runtime.block_on(lucca.token()).expect("a token");
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", token.access_token().secret()))
                .expect("header");
        authorization.set_sensitive(true);
        // Configured like the adapter's own client: same TLS setup, redirects off, and the
        // same whole-exchange timeout (reqwest arms a timer per request for it).
        let plain = lucca_auth_reqwest::http_client_builder()
            .expect("TLS")
            .timeout(lucca_auth_reqwest::DEFAULT_GLOBAL_TIMEOUT)
            .build()
            .expect("client");
        Setup {
            runtime,
            _sandbox: sandbox,
            lucca,
            plain,
            url: format!("{origin}{PATH}"),
            headers: [
                (AUTHORIZATION, authorization),
                (
                    HeaderName::from_static("api-version"),
                    HeaderValue::from_static("2024-11-01"),
                ),
                (ACCEPT, HeaderValue::from_static("application/json")),
                (ACCEPT_ENCODING, HeaderValue::from_static("identity")),
                (USER_AGENT, user_agent),
            ],
        }
    }

    /// One GET through the adapter: token from the cache, send, status checked, body read.
    fn lucca_get(&self) -> usize {
        self.runtime.block_on(async {
            let response = self.lucca.get(PATH).send().await.expect("200");
            response.body().len()
        })
    }

    /// The same GET by hand: the same headers, prebuilt; status checked, body read.
    fn plain_get(&self) -> usize {
        self.runtime.block_on(async {
            let mut request = self.plain.get(self.url.as_str());
            for (name, value) in &self.headers {
                request = request.header(name.clone(), value.clone());
            }
            let response = request.send().await.expect("sent");
            assert!(response.status().is_success());
            response.bytes().await.expect("body").len()
        })
    }
}

fn bench(c: &mut Criterion, setup: &Setup) {
    let mut group = c.benchmark_group("get_with_valid_token");
    group.bench_function("plain_reqwest", |b| b.iter(|| black_box(setup.plain_get())));
    group.bench_function("lucca_client", |b| b.iter(|| black_box(setup.lucca_get())));
    group.finish();
}

/// Average allocations per call on this thread, after a warm-up.
fn allocations_per_request(calls: u64, mut request: impl FnMut() -> usize) -> f64 {
    for _ in 0..100 {
        black_box(request());
    }
    let before = allocations();
    for _ in 0..calls {
        black_box(request());
    }
    #[allow(clippy::cast_precision_loss)]
    let per_request = (allocations() - before) as f64 / calls as f64;
    per_request
}

/// Median time per request of each, over interleaved rounds (so that both see the same
/// machine state).
fn interleaved(setup: &Setup, rounds: usize, per_round: u32) -> (Duration, Duration) {
    let mut plain = Vec::with_capacity(rounds);
    let mut lucca = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..per_round {
            black_box(setup.plain_get());
        }
        plain.push(started.elapsed() / per_round);
        let started = Instant::now();
        for _ in 0..per_round {
            black_box(setup.lucca_get());
        }
        lucca.push(started.elapsed() / per_round);
    }
    plain.sort();
    lucca.sort();
    (plain[rounds / 2], lucca[rounds / 2])
}

fn main() -> io::Result<()> {
    let setup = Setup::new();
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, &setup);
    criterion.final_summary();

    // `cargo test --benches` runs each benchmark once: keep the extra report short there.
    let quick = std::env::args().any(|arg| arg == "--test");
    let (rounds, per_round, calls) = if quick {
        (3, 20, 100)
    } else {
        (21, 2000, 10_000)
    };
    let (plain, lucca) = interleaved(&setup, rounds, per_round);
    println!("\nmedian of {rounds} interleaved rounds of {per_round} requests:");
    println!("  plain_reqwest  {plain:>10.2?} per request");
    println!("  lucca_client   {lucca:>10.2?} per request");
    println!(
        "  ratio          {:>10.3}",
        lucca.as_secs_f64() / plain.as_secs_f64()
    );
    let plain_allocations = allocations_per_request(calls, || setup.plain_get());
    let lucca_allocations = allocations_per_request(calls, || setup.lucca_get());
    println!("\nallocations per request ({calls} requests after 100 warm-up):");
    println!("  plain_reqwest  {plain_allocations:.2}");
    println!("  lucca_client   {lucca_allocations:.2}");
    println!(
        "  beyond reqwest {:.2}",
        lucca_allocations - plain_allocations
    );
    Ok(())
}
