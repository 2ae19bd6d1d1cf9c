//! Scenario tests for the token machine, on a virtual clock.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::config::ClientCredentials;
use crate::response::Header;
use crate::secret::{ClientId, ClientSecret};
use crate::token_response::{OAuthErrorCode, TransportErrorKind};

const T0: u64 = 1_000_000;

fn client(scopes: &str) -> TokenClient {
    TokenClient {
        endpoint: TokenEndpoint::default(),
        credentials: ClientCredentials::new(
            ClientId::new("demo-integration"),
            ClientSecret::new("s3cret"),
        ),
        scopes: Scopes::parse_space_separated(scopes).expect("valid scopes"),
        user_agent: UserAgent::default(),
    }
}

fn machine() -> TokenMachine {
    TokenMachine::new(client("leaves.readwrite leave-requests.readonly"))
}

fn at(secs: u64) -> Instant {
    Instant::from_millis(T0 + secs * 1000)
}

fn at_ms(millis: u64) -> Instant {
    Instant::from_millis(T0 + millis)
}

const JSON: [Header<'static>; 1] = [Header {
    name: "Content-Type",
    value: b"application/json",
}];

fn ok(body: &str) -> HttpResponse<'_> {
    HttpResponse::new(200, &JSON, body.as_bytes())
}

fn token_body(token: &str, expires_in: u64) -> String {
    format!(r#"{{"token_type":"bearer","access_token":"{token}","expires_in":{expires_in}}}"#)
}

fn send(machine: &mut TokenMachine, now: Instant) -> TokenRequestId {
    match machine.poll(now) {
        TokenAction::Send(id) => id,
        other => panic!("expected Send at {now:?}, got {other:?}"),
    }
}

fn issue(
    machine: &mut TokenMachine,
    sent: Instant,
    received: Instant,
    token: &str,
    expires_in: u64,
) -> TokenGeneration {
    let id = send(machine, sent);
    let body = token_body(token, expires_in);
    match machine.handle_token_response(received, id, &ok(&body)) {
        TokenOutcome::Issued(generation) => generation,
        other => panic!("expected Issued, got {other:?}"),
    }
}

fn used_token(machine: &mut TokenMachine, now: Instant) -> String {
    match machine.poll(now) {
        TokenAction::Use(token) => String::from(token.access_token().secret()),
        other => panic!("expected Use at {now:?}, got {other:?}"),
    }
}

/// A shared case's raw response, parsed with `httparse` into owned parts.
struct RawCase {
    status: u16,
    fields: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl RawCase {
    fn parse(raw: &[u8]) -> RawCase {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(raw).expect("case parses") {
            httparse::Status::Complete(len) => len,
            httparse::Status::Partial => panic!("case is complete"),
        };
        RawCase {
            status: response.code.expect("status"),
            fields: response
                .headers
                .iter()
                .map(|h| (String::from(h.name), h.value.to_vec()))
                .collect(),
            body: raw[head_len..].to_vec(),
        }
    }
}

fn feed_case(
    machine: &mut TokenMachine,
    id: TokenRequestId,
    now: Instant,
    raw: &[u8],
) -> TokenOutcome {
    let case = RawCase::parse(raw);
    let headers: Vec<Header<'_>> = case
        .fields
        .iter()
        .map(|(name, value)| Header { name, value })
        .collect();
    machine.handle_token_response(
        now,
        id,
        &HttpResponse::new(case.status, &headers, &case.body),
    )
}

#[test]
fn b24_margin_counts_from_the_time_the_request_was_sent() {
    let mut machine = machine();
    let id = send(&mut machine, at(0));
    let outcome = feed_case(
        &mut machine,
        id,
        at(2),
        include_bytes!("../../tests/data/B24.http"),
    );
    assert!(matches!(outcome, TokenOutcome::Issued(g) if g.get() == 1));
    let token = machine.current().expect("token");
    assert_eq!(token.access_token().secret(), "AT-demo-0024");
    assert_eq!(token.lifetime(), Duration::from_secs(1800));
    assert_eq!(token.usable_until(), at(1740));
    assert_eq!(token.refresh_at(), at(1680));
    // usable(t0+1739) = true, refresh not yet due at t0+1679.
    assert_eq!(used_token(&mut machine, at(1679)), "AT-demo-0024");
    assert_eq!(used_token(&mut machine, at_ms(1_679_999)), "AT-demo-0024");
    // refresh_due(t0+1680) = true: the poller is asked to refresh...
    let refresh = send(&mut machine, at(1680));
    // ...while every other caller keeps using the current token until its hard limit.
    assert_eq!(used_token(&mut machine, at(1700)), "AT-demo-0024");
    assert_eq!(used_token(&mut machine, at_ms(1_739_999)), "AT-demo-0024");
    // usable(t0+1740) = false: never handed out at or after the limit.
    assert!(matches!(machine.poll(at(1740)), TokenAction::AwaitInFlight));
    let body = token_body("AT-next", 1800);
    assert!(matches!(
        machine.handle_token_response(at(1741), refresh, &ok(&body)),
        TokenOutcome::Issued(g) if g.get() == 2
    ));
    assert_eq!(used_token(&mut machine, at(1741)), "AT-next");
    assert_eq!(
        machine.current().map(CachedToken::usable_until),
        Some(at(1680 + 1740))
    );
}

#[test]
fn short_lifetimes_use_a_tenth_as_margin() {
    let mut machine = machine();
    issue(&mut machine, at(0), at(0), "short", 2);
    let token = machine.current().expect("token");
    assert_eq!(token.usable_until(), at_ms(1800));
    assert_eq!(token.refresh_at(), at_ms(1600));
}

#[test]
fn b03_missing_expires_in_uses_the_default_lifetime() {
    let mut machine = machine();
    let id = send(&mut machine, at(0));
    feed_case(
        &mut machine,
        id,
        at(0),
        include_bytes!("../../tests/data/B03.http"),
    );
    let token = machine.current().expect("token");
    assert_eq!(token.access_token().secret(), "AT-demo-0003");
    assert!(token.expires_in_missing());
    assert_eq!(token.lifetime(), Duration::from_secs(1800));
    assert_eq!(token.usable_until(), at(1740));
    // refresh_on=401: an API 401 drops it and the next poll fetches a new one.
    assert!(machine.invalidate(token.generation()));
    send(&mut machine, at(10));
}

#[test]
fn b03_default_lifetime_is_configurable() {
    let mut policy = TokenPolicy::default();
    policy.response.default_lifetime = Duration::from_secs(600);
    let mut machine = TokenMachine::with_policy(client("a"), policy);
    let id = send(&mut machine, at(0));
    feed_case(
        &mut machine,
        id,
        at(0),
        include_bytes!("../../tests/data/B03.http"),
    );
    assert_eq!(
        machine.current().map(CachedToken::usable_until),
        Some(at(540))
    );
}

#[test]
fn b08_granted_scopes_differ_from_requested() {
    let mut machine = machine();
    let id = send(&mut machine, at(0));
    feed_case(
        &mut machine,
        id,
        at(0),
        include_bytes!("../../tests/data/B08.http"),
    );
    let token = machine.current().expect("token");
    assert_eq!(token.granted().to_space_separated(), "leaves.readwrite");
    assert!(!token.scope_missing());
    assert_eq!(
        machine
            .client()
            .scopes
            .difference(token.granted())
            .to_space_separated(),
        "leave-requests.readonly"
    );
}

#[test]
fn absent_scope_means_the_requested_scopes() {
    let mut machine = machine();
    issue(&mut machine, at(0), at(0), "t", 1800);
    assert_eq!(
        machine.current().map(|t| t.granted().to_space_separated()),
        Some(String::from("leaves.readwrite leave-requests.readonly"))
    );
    assert_eq!(
        machine.current().map(CachedToken::scope_missing),
        Some(true)
    );
}

#[test]
fn at_most_one_request_in_flight() {
    let mut machine = machine();
    send(&mut machine, at(0));
    assert!(matches!(machine.poll(at(0)), TokenAction::AwaitInFlight));
    assert!(matches!(machine.poll(at(100)), TokenAction::AwaitInFlight));
    assert!(machine.is_fetching());
}

#[test]
fn abandoned_request_answer_is_ignored_and_no_backoff_applies() {
    let mut machine = machine();
    let first = send(&mut machine, at(0));
    assert!(machine.abandon(first));
    assert!(!machine.abandon(first));
    let second = send(&mut machine, at(0));
    let body = token_body("late", 1800);
    assert!(matches!(
        machine.handle_token_response(at(1), first, &ok(&body)),
        TokenOutcome::Stale
    ));
    assert!(machine.current().is_none());
    let body = token_body("fresh", 1800);
    assert!(matches!(
        machine.handle_token_response(at(1), second, &ok(&body)),
        TokenOutcome::Issued(_)
    ));
    assert_eq!(used_token(&mut machine, at(1)), "fresh");
}

#[test]
fn transport_failures_back_off_exponentially_up_to_the_cap() {
    let mut machine = machine();
    let mut now = at(0);
    let expected = [1, 2, 4, 8, 16, 32, 60, 60];
    for secs in expected {
        let id = send(&mut machine, now);
        let outcome = machine.handle_transport_error(
            now,
            id,
            TransportError::new(TransportErrorKind::Connect),
        );
        assert!(matches!(
            outcome,
            TokenOutcome::Failed(TokenError::Transport(_))
        ));
        let until = now + Duration::from_secs(secs);
        match machine.poll(now) {
            TokenAction::WaitUntil {
                until: u,
                last_error,
            } => {
                assert_eq!(u, until);
                assert!(matches!(last_error, Some(TokenError::Transport(_))));
            }
            other => panic!("expected WaitUntil, got {other:?}"),
        }
        assert!(matches!(
            machine.poll(until - Duration::from_millis(1)),
            TokenAction::WaitUntil { .. }
        ));
        now = until;
    }
    send(&mut machine, now);
}

#[test]
fn b15_retry_after_is_honoured_even_beyond_the_backoff() {
    let mut machine = machine();
    let id = send(&mut machine, at(0));
    let outcome = feed_case(
        &mut machine,
        id,
        at(0),
        include_bytes!("../../tests/data/B15.http"),
    );
    match outcome {
        TokenOutcome::Failed(error) => {
            assert_eq!(error.status(), Some(429));
            assert!(error.is_retryable());
            assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    // No new token request before t0+30 s, for every caller.
    for _ in 0..3 {
        assert!(matches!(
            machine.poll(at_ms(29_999)),
            TokenAction::WaitUntil { until, .. } if until == at(30)
        ));
    }
    send(&mut machine, at(30));
}

#[test]
fn a_failed_refresh_keeps_the_valid_token_until_its_limit() {
    let mut machine = machine();
    issue(&mut machine, at(0), at(0), "kept", 1800);
    let refresh = send(&mut machine, at(1680));
    machine.handle_transport_error(
        at(1681),
        refresh,
        TransportError::new(TransportErrorKind::Timeout),
    );
    assert_eq!(used_token(&mut machine, at(1681)), "kept");
    // After the 1 s backoff the refresh is retried while the token still serves.
    assert_eq!(used_token(&mut machine, at_ms(1_681_999)), "kept");
    let retry = send(&mut machine, at(1682));
    machine.handle_transport_error(
        at(1739),
        retry,
        TransportError::new(TransportErrorKind::Timeout),
    );
    assert_eq!(used_token(&mut machine, at_ms(1_739_999)), "kept");
    assert!(matches!(
        machine.poll(at(1740)),
        TokenAction::WaitUntil { until, last_error: Some(TokenError::Transport(_)) } if until == at(1741)
    ));
}

#[test]
fn b14_invalid_client_halts_until_reset() {
    let mut machine = machine();
    let id = send(&mut machine, at(0));
    let outcome = feed_case(
        &mut machine,
        id,
        at(0),
        include_bytes!("../../tests/data/B14.http"),
    );
    match &outcome {
        TokenOutcome::Failed(TokenError::OAuth(error)) => {
            assert_eq!(error.code, OAuthErrorCode::InvalidClient);
            assert_eq!(error.status, 401);
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
    assert!(machine.is_halted());
    for secs in [0, 1, 3600, 86_400] {
        assert!(matches!(
            machine.poll(at(secs)),
            TokenAction::Halted(TokenError::OAuth(_))
        ));
    }
    machine.reset();
    send(&mut machine, at(86_400));
}

#[test]
fn a_fatal_refresh_failure_keeps_serving_the_valid_token() {
    let mut machine = machine();
    issue(&mut machine, at(0), at(0), "still-good", 1800);
    let refresh = send(&mut machine, at(1680));
    feed_case(
        &mut machine,
        refresh,
        at(1680),
        include_bytes!("../../tests/data/B11.http"),
    );
    assert!(machine.is_halted());
    assert_eq!(used_token(&mut machine, at(1739)), "still-good");
    assert!(matches!(machine.poll(at(1740)), TokenAction::Halted(_)));
}

#[test]
fn invalidate_drops_only_the_generation_it_names() {
    let mut machine = machine();
    let first = issue(&mut machine, at(0), at(0), "one", 1800);
    assert!(machine.invalidate(first));
    let second = issue(&mut machine, at(1), at(1), "two", 1800);
    assert_eq!(second.get(), 2);
    // A late 401 for the first token must not discard the second.
    assert!(!machine.invalidate(first));
    assert_eq!(used_token(&mut machine, at(2)), "two");
}

#[test]
fn a_token_refused_by_the_api_is_never_imported_again() {
    let snapshot = |token: &str| TokenSnapshot {
        access_token: AccessToken::new(token),
        granted: Scopes::default(),
        usable_until: UnixTime::from_secs(2_000),
    };
    let wall = UnixTime::from_secs(1_000);
    let mut machine = machine();
    let first = machine
        .import(at(0), wall, Duration::ZERO, snapshot("revoked"))
        .expect("imported");
    assert!(machine.invalidate(first));
    // The store still holds it: refused, however long it has left.
    assert_eq!(
        machine.import(at(1), wall, Duration::ZERO, snapshot("revoked")),
        None
    );
    assert!(machine.current().is_none());
    // Another token is taken; the refused ones are remembered while four newer ones are.
    let mut refused = Vec::new();
    for index in 0..REFUSED_TOKENS {
        let token = format!("t{index}");
        let generation = machine
            .import(at(2), wall, Duration::ZERO, snapshot(&token))
            .expect("imported");
        assert!(machine.invalidate(generation));
        refused.push(token);
    }
    for token in &refused {
        assert_eq!(
            machine.import(at(3), wall, Duration::ZERO, snapshot(token)),
            None,
            "{token}"
        );
    }
    // The oldest fell out of the four remembered.
    assert!(
        machine
            .import(at(3), wall, Duration::ZERO, snapshot("revoked"))
            .is_some()
    );
    // A token issued by the endpoint itself is taken even if it was refused before.
    let mut fresh = TokenMachine::new(client("leaves.readwrite leave-requests.readonly"));
    let generation = issue(&mut fresh, at(0), at(0), "same", 1800);
    assert!(fresh.invalidate(generation));
    assert_eq!(issue(&mut fresh, at(1), at(1), "same", 1800).get(), 2);
    // Debug shows how many are remembered, not their fingerprints.
    let debug = format!("{machine:?}");
    assert!(debug.contains("RefusedTokens { count: 4 }"), "{debug}");
}

#[test]
fn a_token_expired_on_arrival_is_a_failure_not_a_loop() {
    let mut machine = machine();
    let id = send(&mut machine, at(0));
    let body = token_body("zero", 0);
    assert!(matches!(
        machine.handle_token_response(at(0), id, &ok(&body)),
        TokenOutcome::Failed(TokenError::InvalidResponse(
            InvalidResponseReason::ExpiredOnArrival
        ))
    ));
    assert!(machine.current().is_none());
    assert!(matches!(machine.poll(at(0)), TokenAction::WaitUntil { until, .. } if until == at(1)));
}

#[test]
fn a_slow_answer_past_the_limit_is_not_handed_out() {
    let mut machine = machine();
    let id = send(&mut machine, at(0));
    let body = token_body("slow", 10);
    assert!(matches!(
        machine.handle_token_response(at(9), id, &ok(&body)),
        TokenOutcome::Failed(_)
    ));
}

#[test]
fn jitter_moves_the_refresh_earlier_by_at_most_half_the_margin() {
    let mut machine = machine();
    machine.set_refresh_jitter(u32::MAX);
    issue(&mut machine, at(0), at(0), "j", 1800);
    assert_eq!(
        machine.current().map(CachedToken::refresh_at),
        Some(at(1650))
    );
    machine.set_refresh_jitter(u32::MAX / 2);
    let id = send(&mut machine, at(1650));
    let body = token_body("k", 1800);
    machine.handle_token_response(at(1650), id, &ok(&body));
    assert_eq!(
        machine.current().map(CachedToken::refresh_at),
        // 15 s × (u32::MAX / 2) / u32::MAX rounds down to 14.999 s.
        Some(at(1650 + 1665) + Duration::from_millis(1))
    );
}

#[test]
fn poll_timeout_names_the_next_deadline() {
    let mut machine = machine();
    assert_eq!(machine.poll_timeout(at(0)), None);
    issue(&mut machine, at(0), at(0), "t", 1800);
    assert_eq!(machine.poll_timeout(at(0)), Some(at(1680)));
    let id = send(&mut machine, at(1680));
    assert_eq!(machine.poll_timeout(at(1680)), Some(at(1740)));
    machine.handle_transport_error(at(1690), id, TransportError::new(TransportErrorKind::Io));
    assert_eq!(machine.poll_timeout(at(1690)), Some(at(1691)));
}

#[test]
fn export_and_import_carry_the_token_across_processes() {
    let mut first = machine();
    issue(&mut first, at(0), at(0), "shared", 1800);
    let wall = UnixTime::from_secs(1_772_532_000);
    let snapshot = first.export(at(100), wall).expect("usable");
    assert_eq!(snapshot.access_token.secret(), "shared");
    assert_eq!(
        snapshot.usable_until,
        UnixTime::from_secs(1_772_532_000 + 1640)
    );
    assert!(first.export(at(1740), wall).is_none());

    let mut second = machine();
    let later = Instant::from_millis(5_000);
    let generation = second
        .import(
            later,
            UnixTime::from_secs(1_772_532_010),
            Duration::from_secs(2),
            snapshot.clone(),
        )
        .expect("imported");
    assert_eq!(generation.get(), 1);
    let token = second.current().expect("token");
    assert_eq!(token.usable_until(), later + Duration::from_secs(1628));
    assert_eq!(token.refresh_at(), later + Duration::from_secs(1568));
    // An older snapshot never replaces a token that lasts longer.
    assert!(
        second
            .import(
                later,
                UnixTime::from_secs(1_772_532_010),
                Duration::from_secs(3),
                snapshot.clone()
            )
            .is_none()
    );
    // A snapshot already past its limit is refused.
    assert!(
        machine()
            .import(
                later,
                UnixTime::from_secs(1_772_534_000),
                Duration::ZERO,
                snapshot
            )
            .is_none()
    );
}

#[derive(Clone, Debug)]
enum Event {
    Poll,
    Advance(u64),
    Ok { expires_in: u64, delay: u64 },
    RateLimited { retry_after: u64 },
    ServerError,
    InvalidClient,
    Transport,
    Abandon,
    Invalidate,
    Reset,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => Just(Event::Poll),
        4 => (0u64..4_000_000).prop_map(Event::Advance),
        3 => (0u64..4000, 0u64..20_000).prop_map(|(expires_in, delay)| Event::Ok { expires_in, delay }),
        1 => (0u64..600).prop_map(|retry_after| Event::RateLimited { retry_after }),
        1 => Just(Event::ServerError),
        1 => Just(Event::InvalidClient),
        1 => Just(Event::Transport),
        1 => Just(Event::Abandon),
        1 => Just(Event::Invalidate),
        1 => Just(Event::Reset),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Over random event sequences: never an expired token handed out, never two requests in
    /// flight, no request before a `Retry-After` ends, none after a fatal error until reset.
    #[test]
    fn invariants_hold_over_random_event_sequences(events in proptest::collection::vec(event(), 1..80)) {
        let mut machine = machine();
        let mut now = at(0);
        let mut in_flight: Option<(TokenRequestId, Instant)> = None;
        let mut no_request_before = Instant::ZERO;
        let mut halted = false;
        let mut expiries: Vec<(u64, Instant)> = Vec::new();
        for event in events {
            match event {
                Event::Poll => match machine.poll(now) {
                    TokenAction::Use(token) => {
                        let (_, hard) = expiries.iter().find(|(g, _)| *g == token.generation().get()).copied().expect("known generation");
                        prop_assert!(now < hard, "expired token handed out");
                    }
                    TokenAction::Send(id) => {
                        prop_assert!(in_flight.is_none(), "two requests in flight");
                        prop_assert!(now >= no_request_before, "request before Retry-After");
                        prop_assert!(!halted, "request after a fatal error");
                        in_flight = Some((id, now));
                    }
                    TokenAction::AwaitInFlight => prop_assert!(in_flight.is_some()),
                    TokenAction::WaitUntil { until, .. } => prop_assert!(until > now),
                    TokenAction::Halted(_) => prop_assert!(halted),
                },
                Event::Advance(ms) => now = now + Duration::from_millis(ms),
                Event::Ok { expires_in, delay } => {
                    if let Some((id, sent)) = in_flight.take() {
                        now = now + Duration::from_millis(delay);
                        let body = token_body("prop", expires_in);
                        if let TokenOutcome::Issued(g) = machine.handle_token_response(now, id, &ok(&body)) {
                            let lifetime = Duration::from_secs(expires_in);
                            let margin = Duration::from_secs(60).min(lifetime / 10);
                            expiries.push((g.get(), sent + lifetime - margin));
                            halted = false;
                            no_request_before = Instant::ZERO;
                        } else {
                            no_request_before = no_request_before.max(now);
                        }
                    }
                }
                Event::RateLimited { retry_after } => {
                    if let Some((id, _)) = in_flight.take() {
                        let value = format!("{retry_after}");
                        let headers = [Header { name: "Retry-After", value: value.as_bytes() }];
                        machine.handle_token_response(now, id, &HttpResponse::new(429, &headers, b""));
                        no_request_before = no_request_before.max(now + Duration::from_secs(retry_after));
                    }
                }
                Event::ServerError => {
                    if let Some((id, _)) = in_flight.take() {
                        machine.handle_token_response(now, id, &HttpResponse::new(503, &[], b"<html>down</html>"));
                    }
                }
                Event::InvalidClient => {
                    if let Some((id, _)) = in_flight.take() {
                        machine.handle_token_response(now, id, &HttpResponse::new(401, &JSON, br#"{"error":"invalid_client"}"#));
                        halted = true;
                    }
                }
                Event::Transport => {
                    if let Some((id, _)) = in_flight.take() {
                        machine.handle_transport_error(now, id, TransportError::new(TransportErrorKind::Io));
                    }
                }
                Event::Abandon => {
                    if let Some((id, _)) = in_flight.take() {
                        prop_assert!(machine.abandon(id));
                    }
                }
                Event::Invalidate => {
                    if let Some(generation) = machine.current().map(CachedToken::generation) {
                        prop_assert!(machine.invalidate(generation));
                    }
                }
                Event::Reset => {
                    machine.reset();
                    halted = false;
                    no_request_before = Instant::ZERO;
                }
            }
        }
    }
}
