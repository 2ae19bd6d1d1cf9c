//! The token state machine driven by an arbitrary sequence of events (time passing, polls,
//! answers of every kind, transport failures, cancellations, 401 invalidations, resets,
//! snapshots), with a model of what it promises checked after every step:
//!
//! - a token is never handed out at or after `sent + lifetime − margin` (so never expired),
//!   and a usable token is always handed out (or refreshed), never withheld;
//! - at most one token request is in flight, and every id is new;
//! - no request before the `Retry-After` of the last failure (nor before the shortest
//!   backoff) has passed;
//! - no request after a fatal error until `reset`;
//! - answers to abandoned or superseded requests change nothing.
#![no_main]

use core::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lucca_auth::codec::{EMPTY_HEADER, Limits, ParseStatus, ResponseParser};
use lucca_auth::config::{ClientCredentials, UserAgent};
use lucca_auth::endpoint::TokenEndpoint;
use lucca_auth::machine::{
    TokenAction, TokenClient, TokenGeneration, TokenMachine, TokenOutcome, TokenPolicy,
    TokenRequestId, TokenSnapshot,
};
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::retry_after::retry_after_delay;
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{AccessToken, ClientId, ClientSecret};
use lucca_auth::time::{Instant, UnixTime};
use lucca_auth::token_response::{
    DEFAULT_LIFETIME, MAX_LIFETIME, TransportError, TransportErrorKind,
};

const SECRET: &str = "fuzz-client-s3cret";
const T0: u64 = 1_000_000;
const WALL0: u64 = 1_772_532_000;

#[derive(Arbitrary, Debug)]
enum Policy {
    Default,
    Custom {
        backoff_initial_ms: u16,
        backoff_max_ms: u32,
        max_margin_ms: u32,
    },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ExpiresIn {
    Absent,
    Null,
    Integer(u32),
    String(u32),
    Decimal(u32, u8),
    Exponent(u16),
    StringExponent(u16),
    Negative(u16),
}

impl ExpiresIn {
    /// The member as JSON, and the lifetime it states in whole seconds (`None`: absent).
    fn json(self) -> (Option<String>, Result<Option<u64>, ()>) {
        match self {
            ExpiresIn::Absent => (None, Ok(None)),
            ExpiresIn::Null => (Some("null".into()), Ok(None)),
            ExpiresIn::Integer(s) => (Some(s.to_string()), Ok(Some(s.into()))),
            ExpiresIn::String(s) => (Some(format!("\"{s}\"")), Ok(Some(s.into()))),
            ExpiresIn::Decimal(s, f) => (Some(format!("{s}.{f}")), Ok(Some(s.into()))),
            ExpiresIn::Exponent(m) => (Some(format!("{m}e1")), Ok(Some(u64::from(m) * 10))),
            ExpiresIn::StringExponent(m) => {
                (Some(format!("\"{m}E-1\"")), Ok(Some(u64::from(m) / 10)))
            }
            ExpiresIn::Negative(s) => (Some(format!("-{}", u32::from(s) + 1)), Err(())),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum TokenType {
    Lower,
    Capital,
    Upper,
    Absent,
    Null,
    Empty,
    Mac,
}

impl TokenType {
    fn json(self) -> Option<&'static str> {
        match self {
            TokenType::Lower => Some("\"bearer\""),
            TokenType::Capital => Some("\"Bearer\""),
            TokenType::Upper => Some("\"BEARER\""),
            TokenType::Absent => None,
            TokenType::Null => Some("null"),
            TokenType::Empty => Some("\"\""),
            TokenType::Mac => Some("\"mac\""),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Code {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
    SlowDown,
}

impl Code {
    fn wire(self) -> &'static str {
        match self {
            Code::InvalidRequest => "invalid_request",
            Code::InvalidClient => "invalid_client",
            Code::InvalidGrant => "INVALID_GRANT",
            Code::UnauthorizedClient => "unauthorized_client",
            Code::UnsupportedGrantType => "unsupported_grant_type",
            Code::InvalidScope => "invalid_scope",
            Code::ServerError => "server_error",
            Code::TemporarilyUnavailable => "temporarily_unavailable",
            Code::SlowDown => "slow_down",
        }
    }

    fn fatal(self) -> bool {
        matches!(
            self,
            Code::InvalidClient
                | Code::InvalidGrant
                | Code::UnauthorizedClient
                | Code::UnsupportedGrantType
                | Code::InvalidScope
        )
    }

    fn transient(self) -> bool {
        matches!(self, Code::ServerError | Code::TemporarilyUnavailable)
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum Answer {
    Token {
        expires_in: ExpiresIn,
        token_type: TokenType,
        scope: bool,
        unknown_member: bool,
    },
    OAuthError {
        status: u16,
        code: Code,
        retry_after_secs: Option<u16>,
    },
    Status {
        status: u16,
        retry_after_secs: Option<u16>,
    },
    Raw {
        status: u16,
        headers: Vec<(u8, Vec<u8>)>,
        body: Vec<u8>,
    },
    /// One of the project's recorded token endpoint answers (`core/tests/data`).
    Case(u8),
}

/// The recorded answers, read through the core's own HTTP/1.1 parser.
const CASES: [&[u8]; 9] = [
    include_bytes!("../../core/tests/data/B01.http"),
    include_bytes!("../../core/tests/data/B03.http"),
    include_bytes!("../../core/tests/data/B05.http"),
    include_bytes!("../../core/tests/data/B07.http"),
    include_bytes!("../../core/tests/data/B08.http"),
    include_bytes!("../../core/tests/data/B11.http"),
    include_bytes!("../../core/tests/data/B12.http"),
    include_bytes!("../../core/tests/data/B14.http"),
    include_bytes!("../../core/tests/data/B21.http"),
];

/// Status, header fields and body of an answer, owned.
type OwnedResponse = (u16, Vec<(String, Vec<u8>)>, Vec<u8>);

/// Status, header fields and de-chunked body of a recorded answer.
fn case(pick: u8) -> OwnedResponse {
    let raw = CASES[usize::from(pick) % CASES.len()];
    let mut buf = raw.to_vec();
    let mut parser = ResponseParser::new(Limits::new());
    let Ok(ParseStatus::Complete(parsed)) = parser.handle_eof(&mut buf) else {
        panic!("a recorded case does not parse");
    };
    let mut headers = vec![EMPTY_HEADER; parsed.header_count()];
    let response = parsed.response(&buf, &mut headers).expect("recorded case");
    let fields = response
        .headers()
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    (response.status(), fields, response.body().to_vec())
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    Connect,
    Timeout,
    Io,
    Tls,
    Other,
}

#[derive(Arbitrary, Debug)]
enum Event {
    AdvanceMillis(u16),
    AdvanceSeconds(u16),
    AdvanceHours(u8),
    Poll,
    /// Answer the request in flight (if any).
    Answer(Answer),
    /// Answer a request that is no longer in flight.
    AnswerStale(u8, Answer),
    Transport(Kind),
    TransportStale(u8, Kind),
    Abandon,
    AbandonStale(u8),
    InvalidateCurrent,
    InvalidateStale(u8),
    Reset,
    Jitter(u32),
    Export,
    Import {
        remaining_secs: u32,
        skew_secs: u16,
    },
}

#[derive(Arbitrary, Debug)]
struct Scenario {
    policy: Policy,
    events: Vec<Event>,
}

/// What the harness knows about the token the machine should hold.
#[derive(Debug, Clone)]
struct ModelToken {
    secret: String,
    generation: TokenGeneration,
    usable_until: Instant,
    /// `sent + lifetime` for a fetched token (`usable_until` for an imported one).
    expires_at: Instant,
}

struct Harness {
    machine: TokenMachine,
    policy: TokenPolicy,
    now: Instant,
    in_flight: Option<(TokenRequestId, Instant)>,
    old_ids: Vec<TokenRequestId>,
    all_ids: Vec<TokenRequestId>,
    token: Option<ModelToken>,
    generations: Vec<TokenGeneration>,
    /// No request may be sent before this (the last failure's Retry-After or shortest
    /// backoff).
    not_before: Option<Instant>,
    halted: bool,
    issued: u64,
}

fn wall(now: Instant) -> UnixTime {
    UnixTime::from_secs(WALL0 + now.as_millis() / 1000)
}

impl Harness {
    fn new(policy: TokenPolicy) -> Self {
        let client = TokenClient {
            endpoint: TokenEndpoint::default(),
            credentials: ClientCredentials::new(
                ClientId::new("fuzz-client"),
                ClientSecret::new(SECRET),
            ),
            scopes: Scopes::parse_space_separated("leaves.readwrite users.readonly")
                .unwrap_or_default(),
            user_agent: UserAgent::default(),
        };
        Harness {
            machine: TokenMachine::with_policy(client, policy.clone()),
            policy,
            now: Instant::from_millis(T0),
            in_flight: None,
            old_ids: Vec::new(),
            all_ids: Vec::new(),
            token: None,
            generations: Vec::new(),
            not_before: None,
            halted: false,
            issued: 0,
        }
    }

    fn model_usable(&self) -> Option<&ModelToken> {
        self.token.as_ref().filter(|t| self.now < t.usable_until)
    }

    fn margin(&self, lifetime: Duration) -> Duration {
        self.policy.max_margin.min(lifetime / 10)
    }

    fn poll(&mut self) {
        let now = self.now;
        let usable = self.model_usable().cloned();
        let action = self.machine.poll(now);
        match action {
            TokenAction::Use(token) => {
                let model = usable.expect("a token handed out that the model says is unusable");
                assert!(now < model.expires_at, "expired token handed out");
                assert!(token.is_usable(now));
                assert_eq!(token.generation(), model.generation);
                assert_eq!(token.access_token().secret(), model.secret);
                assert_eq!(token.usable_until(), model.usable_until);
                assert!(token.refresh_at() <= token.usable_until());
            }
            TokenAction::Send(id) => {
                assert!(self.in_flight.is_none(), "a second request in flight");
                assert!(!self.halted, "a request after a fatal error");
                if let Some(not_before) = self.not_before {
                    assert!(
                        now >= not_before,
                        "a request before Retry-After/backoff ended"
                    );
                }
                assert!(!self.all_ids.contains(&id), "a request id reused");
                self.all_ids.push(id);
                self.in_flight = Some((id, now));
                let request = self.machine.token_request();
                let body = request.body();
                assert_eq!(body.len(), request.body_len());
            }
            TokenAction::AwaitInFlight => {
                assert!(usable.is_none(), "a usable token withheld");
                assert!(self.in_flight.is_some(), "awaiting nothing");
            }
            TokenAction::WaitUntil { until, .. } => {
                assert!(usable.is_none(), "a usable token withheld");
                assert!(self.in_flight.is_none());
                assert!(until > now);
                assert!(!self.halted);
            }
            TokenAction::Halted(error) => {
                assert!(usable.is_none(), "a usable token withheld");
                assert!(self.halted, "halted without a fatal error");
                assert!(error.is_fatal_for_client());
            }
            _ => panic!("an action this harness does not know"),
        }
    }

    fn respond(&mut self, stale: Option<u8>, answer: &Answer) {
        let (id, sent_at) = match stale {
            None => match self.in_flight {
                Some(in_flight) => in_flight,
                None => return,
            },
            Some(pick) => match self.stale_id(pick) {
                Some(id) => (id, self.now),
                None => return,
            },
        };
        let mut expected_lifetime: Option<Result<Option<u64>, ()>> = None;
        let mut expected_fatal: Option<bool> = None;
        let mut expected_retry_after: Option<Duration> = None;
        let mut token_type_ok = true;
        let secret = format!("AT-fuzz-{}-{}", self.issued, "x".repeat(40));
        let (status, headers, body): OwnedResponse = match answer {
            Answer::Token {
                expires_in,
                token_type,
                scope,
                unknown_member,
            } => {
                let mut members = vec![format!("\"access_token\":\"{secret}\"")];
                let (expires_json, lifetime) = expires_in.json();
                if let Some(json) = expires_json {
                    members.push(format!("\"expires_in\":{json}"));
                }
                if let Some(json) = token_type.json() {
                    members.push(format!(" \"token_type\" : {json}"));
                }
                if *scope {
                    members.push("\"scope\":\"leaves.readwrite\"".into());
                }
                if *unknown_member {
                    members.insert(0, "\"x_meta\":{\"a\":[1,2,{\"b\":null}]}".into());
                }
                expected_lifetime = Some(lifetime);
                token_type_ok = !matches!(token_type, TokenType::Mac);
                expected_fatal = Some(!token_type_ok);
                let json = format!("{{{}}}", members.join(","));
                (200, json_headers(), json.into_bytes())
            }
            Answer::OAuthError {
                status,
                code,
                retry_after_secs,
            } => {
                let status = 400 + status % 200;
                let mut headers = json_headers();
                if let Some(secs) = retry_after_secs {
                    headers.push(("Retry-After".into(), secs.to_string().into_bytes()));
                    expected_retry_after = Some(Duration::from_secs((*secs).into()));
                }
                let retryable_status = status == 408 || status == 429 || status >= 500;
                expected_fatal = Some(
                    !(retryable_status || code.transient()) && (code.fatal() || status == 401),
                );
                let json = format!(
                    "{{\"error\":\"{}\",\"error_description\":\"client {SECRET} refused\"}}",
                    code.wire()
                );
                (status, headers, json.into_bytes())
            }
            Answer::Status {
                status,
                retry_after_secs,
            } => {
                let status = 300 + status % 300;
                let mut headers = vec![("Content-Type".into(), b"text/html".to_vec())];
                if let Some(secs) = retry_after_secs {
                    headers.push(("Retry-After".into(), secs.to_string().into_bytes()));
                    // A redirect is refused as such; its Retry-After is not read.
                    if status >= 400 {
                        expected_retry_after = Some(Duration::from_secs((*secs).into()));
                    }
                }
                expected_fatal = Some(status < 400 || status == 401);
                let body = format!("<html>echo client_secret={SECRET}</html>");
                (status, headers, body.into_bytes())
            }
            Answer::Raw {
                status,
                headers,
                body,
            } => {
                const NAMES: [&str; 6] = [
                    "Content-Type",
                    "Retry-After",
                    "Date",
                    "Content-Encoding",
                    "WWW-Authenticate",
                    "X-Other",
                ];
                let headers = headers
                    .iter()
                    .map(|(name, value)| {
                        (
                            NAMES[usize::from(*name) % NAMES.len()].to_string(),
                            value.clone(),
                        )
                    })
                    .collect();
                (*status, headers, body.clone())
            }
            Answer::Case(pick) => case(*pick),
        };
        let header_fields: Vec<Header<'_>> = headers
            .iter()
            .map(|(name, value)| Header { name, value })
            .collect();
        let response =
            HttpResponse::new(status, &header_fields, &body).with_wall_clock(wall(self.now));
        if matches!(answer, Answer::Raw { .. } | Answer::Case(_)) && !(200..400).contains(&status) {
            expected_retry_after = retry_after_delay(&response);
        }
        let was_fetching = self.machine.is_fetching();
        let outcome = self.machine.handle_token_response(self.now, id, &response);
        if stale.is_some() {
            assert!(
                matches!(outcome, TokenOutcome::Stale),
                "a stale answer was used"
            );
            assert_eq!(self.machine.is_fetching(), was_fetching);
            return;
        }
        self.in_flight = None;
        self.old_ids.push(id);
        match outcome {
            TokenOutcome::Issued(generation) => {
                assert!(
                    self.generations
                        .last()
                        .is_none_or(|&last| generation > last),
                    "generations increase"
                );
                self.generations.push(generation);
                let token = self.machine.current().expect("an issued token is held");
                assert_eq!(token.generation(), generation);
                assert_eq!(token.sent_at(), sent_at);
                let lifetime = token.lifetime();
                assert!(lifetime <= MAX_LIFETIME);
                if let Some(expected) = expected_lifetime {
                    let stated = expected.expect("a negative expires_in was accepted");
                    assert!(token_type_ok, "an unsupported token type was accepted");
                    let expected = stated.map_or(DEFAULT_LIFETIME, |secs| {
                        Duration::from_secs(secs).min(MAX_LIFETIME)
                    });
                    assert_eq!(lifetime, expected);
                    assert_eq!(token.access_token().secret(), secret);
                }
                let margin = self.margin(lifetime);
                let expires_at = sent_at + lifetime;
                assert_eq!(token.usable_until(), expires_at - margin);
                assert!(self.now < token.usable_until(), "issued already expired");
                assert!(token.refresh_at() <= expires_at - margin - margin);
                assert!(token.refresh_at() + margin / 2 >= expires_at - margin - margin);
                self.token = Some(ModelToken {
                    secret: token.access_token().secret().to_string(),
                    generation,
                    usable_until: token.usable_until(),
                    expires_at,
                });
                self.issued += 1;
                self.not_before = None;
                self.halted = false;
            }
            TokenOutcome::Failed(error) => {
                let shown = format!("{error} {error:?}");
                assert!(!shown.contains(SECRET), "the client secret in an error");
                assert!(!shown.contains(&secret), "the token in an error");
                if let Some(Ok(Some(secs))) = expected_lifetime
                    && token_type_ok
                {
                    // Only a token already expired on arrival may fail.
                    let lifetime = Duration::from_secs(secs).min(MAX_LIFETIME);
                    let usable_until = sent_at + lifetime - self.margin(lifetime);
                    assert!(self.now >= usable_until, "a good token refused: {error}");
                }
                if let Some(fatal) = expected_fatal {
                    assert_eq!(error.is_fatal_for_client(), fatal, "fatal? {error}");
                }
                if let Some(delay) = expected_retry_after {
                    assert_eq!(error.retry_after(), Some(delay));
                }
                self.failed(error.retry_after(), error.is_fatal_for_client());
            }
            TokenOutcome::Stale => panic!("the answer to the request in flight is stale"),
            _ => panic!("an outcome this harness does not know"),
        }
    }

    fn failed(&mut self, retry_after: Option<Duration>, fatal: bool) {
        let shortest = self.policy.backoff_initial.min(self.policy.backoff_max);
        let wait = retry_after.map_or(shortest, |delay| delay.max(shortest));
        self.not_before = Some(self.now + wait);
        self.halted = fatal;
    }

    fn stale_id(&self, pick: u8) -> Option<TokenRequestId> {
        if self.old_ids.is_empty() {
            return None;
        }
        self.old_ids
            .get(usize::from(pick) % self.old_ids.len())
            .copied()
    }

    fn transport(&mut self, stale: Option<u8>, kind: Kind) {
        let kind = match kind {
            Kind::Connect => TransportErrorKind::Connect,
            Kind::Timeout => TransportErrorKind::Timeout,
            Kind::Io => TransportErrorKind::Io,
            Kind::Tls => TransportErrorKind::Tls,
            Kind::Other => TransportErrorKind::Other,
        };
        let error = TransportError::new(kind).with_detail(SECRET);
        let id = match stale {
            None => match self.in_flight {
                Some((id, _)) => id,
                None => return,
            },
            Some(pick) => match self.stale_id(pick) {
                Some(id) => id,
                None => return,
            },
        };
        let outcome = self.machine.handle_transport_error(self.now, id, error);
        if stale.is_some() {
            assert!(matches!(outcome, TokenOutcome::Stale));
            return;
        }
        self.in_flight = None;
        self.old_ids.push(id);
        let TokenOutcome::Failed(error) = outcome else {
            panic!("a transport error did not fail the request");
        };
        assert!(!format!("{error} {error:?}").contains(SECRET));
        assert!(!error.is_fatal_for_client());
        assert_eq!(error.is_retryable(), kind.is_retryable());
        self.failed(None, false);
    }

    fn step(&mut self, event: &Event) {
        match event {
            Event::AdvanceMillis(ms) => self.now = self.now + Duration::from_millis((*ms).into()),
            Event::AdvanceSeconds(s) => self.now = self.now + Duration::from_secs((*s).into()),
            Event::AdvanceHours(h) => {
                self.now = self.now + Duration::from_secs(u64::from(*h) * 3600);
            }
            Event::Poll => self.poll(),
            Event::Answer(answer) => self.respond(None, answer),
            Event::AnswerStale(pick, answer) => self.respond(Some(*pick), answer),
            Event::Transport(kind) => self.transport(None, *kind),
            Event::TransportStale(pick, kind) => self.transport(Some(*pick), *kind),
            Event::Abandon => {
                let expected = self.in_flight.is_some();
                if let Some((id, _)) = self.in_flight.take() {
                    self.old_ids.push(id);
                    assert!(self.machine.abandon(id));
                }
                assert!(!self.machine.is_fetching() || !expected);
            }
            Event::AbandonStale(pick) => {
                if let Some(id) = self.stale_id(*pick) {
                    assert!(!self.machine.abandon(id), "abandoned a finished request");
                }
            }
            Event::InvalidateCurrent => {
                if let Some(token) = self.token.take() {
                    assert!(self.machine.invalidate(token.generation));
                    assert!(self.machine.current().is_none());
                }
            }
            Event::InvalidateStale(pick) => {
                let current = self.token.as_ref().map(|t| t.generation);
                let older: Vec<_> = self
                    .generations
                    .iter()
                    .copied()
                    .filter(|&g| Some(g) != current)
                    .collect();
                if let Some(&generation) = older.get(usize::from(*pick) % older.len().max(1)) {
                    assert!(
                        !self.machine.invalidate(generation),
                        "a newer token dropped"
                    );
                }
            }
            Event::Reset => {
                self.machine.reset();
                self.halted = false;
                self.not_before = None;
            }
            Event::Jitter(random) => self.machine.set_refresh_jitter(*random),
            Event::Export => {
                let snapshot = self.machine.export(self.now, wall(self.now));
                let usable = self.model_usable().cloned();
                assert_eq!(snapshot.is_some(), usable.is_some());
                if let (Some(snapshot), Some(model)) = (snapshot, usable) {
                    assert_eq!(snapshot.access_token.secret(), model.secret);
                    let remaining = model.usable_until - self.now;
                    assert!(
                        snapshot.usable_until.as_secs()
                            <= wall(self.now).as_secs() + remaining.as_secs()
                    );
                    assert!(!format!("{snapshot:?}").contains(&model.secret));
                }
            }
            Event::Import {
                remaining_secs,
                skew_secs,
            } => {
                let wall_now = wall(self.now);
                let secret = format!("AT-imported-{}", self.issued);
                let snapshot = TokenSnapshot {
                    access_token: AccessToken::new(secret.clone()),
                    granted: Scopes::new(),
                    usable_until: UnixTime::from_secs(
                        wall_now.as_secs() + u64::from(*remaining_secs),
                    ),
                };
                let skew = Duration::from_secs((*skew_secs).into());
                let remaining = Duration::from_secs((*remaining_secs).into()).saturating_sub(skew);
                let usable_until = self.now + remaining;
                let expected = !remaining.is_zero()
                    && self
                        .token
                        .as_ref()
                        .is_none_or(|t| t.usable_until < usable_until);
                let imported = self.machine.import(self.now, wall_now, skew, snapshot);
                assert_eq!(imported.is_some(), expected);
                if let Some(generation) = imported {
                    assert!(
                        self.generations
                            .last()
                            .is_none_or(|&last| generation > last)
                    );
                    self.generations.push(generation);
                    self.issued += 1;
                    self.token = Some(ModelToken {
                        secret,
                        generation,
                        usable_until,
                        expires_at: usable_until,
                    });
                }
            }
        }
        // After every step.
        assert_eq!(self.machine.is_fetching(), self.in_flight.is_some());
        assert_eq!(self.machine.is_halted(), self.halted);
        if let Some(at) = self.machine.poll_timeout(self.now) {
            assert!(at > self.now, "poll_timeout in the past");
        }
        assert_eq!(
            self.machine.current().map(|t| t.generation()),
            self.token.as_ref().map(|t| t.generation)
        );
        let _ = format!("{:?}", self.machine);
        assert!(!format!("{:?}", self.machine).contains(SECRET));
    }
}

fn json_headers() -> Vec<(String, Vec<u8>)> {
    vec![(
        "Content-Type".into(),
        b"application/json; charset=utf-8".to_vec(),
    )]
}

fuzz_target!(|scenario: Scenario| {
    let mut policy = TokenPolicy::default();
    if let Policy::Custom {
        backoff_initial_ms,
        backoff_max_ms,
        max_margin_ms,
    } = scenario.policy
    {
        policy.backoff_initial = Duration::from_millis(backoff_initial_ms.into());
        policy.backoff_max = Duration::from_millis(backoff_max_ms.into());
        policy.max_margin = Duration::from_millis(max_margin_ms.into());
    }
    let mut harness = Harness::new(policy);
    for event in scenario.events.iter().take(256) {
        harness.step(event);
    }
});
