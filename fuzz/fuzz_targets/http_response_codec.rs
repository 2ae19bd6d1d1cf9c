//! The HTTP/1.1 response push parser, fed the same bytes whole and split at points the
//! fuzzer chooses, then told the peer closed: both feeds must give the same result, and a
//! complete response goes on through the token response parser and the API classifier.
//!
//! Input: one flag byte (bits 0–2: number of cuts; bit 3: response to HEAD; bit 4: small
//! limits), two little-endian bytes per cut, three limit bytes when bit 4 is set, then the
//! response bytes. A flag byte of 0 followed by an `.http` case feeds the case whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::codec::{
    BodyFraming, ConnectionMode, EMPTY_HEADER, Limits, ParseError, ParseStatus, ParsedResponse,
    ResponseParser,
};
use lucca_auth_fuzz::check_token_endpoint_answer;

/// Everything a parse yields, owned, so the results of two feeds compare.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    consumed: usize,
    connection: ConnectionMode,
    framing: BodyFraming,
    content_coded: bool,
    interim: usize,
}

fn outcome(parsed: &ParsedResponse, buf: &[u8], limits: Limits) -> Result<Outcome, ParseError> {
    assert!(parsed.consumed() <= buf.len());
    let (head, body) = (parsed.head_range(), parsed.body_range());
    assert!(head.start <= head.end && head.end <= body.start);
    assert!(body.start <= body.end && body.end <= parsed.consumed());
    assert!(body.len() <= limits.max_body_len());
    assert!(parsed.header_count() <= limits.max_headers());
    let mut headers = vec![EMPTY_HEADER; parsed.header_count()];
    let response = parsed.response(buf, &mut headers)?;
    if parsed.status() >= 200 {
        check_token_endpoint_answer(&response);
        let _ = ApiResponseClass::classify(&response, ApiAttempt::First);
    }
    Ok(Outcome {
        status: response.status(),
        headers: response
            .headers()
            .iter()
            .map(|h| (h.name.to_owned(), h.value.to_vec()))
            .collect(),
        body: response.body().to_vec(),
        consumed: parsed.consumed(),
        connection: parsed.connection(),
        framing: parsed.framing(),
        content_coded: parsed.has_content_coding(),
        interim: parsed.interim_responses(),
    })
}

/// Appends `input` to a buffer piece by piece, ending pieces at `cuts`, parsing after each
/// piece; signals EOF if the response is still incomplete after the last byte.
fn feed(parser: ResponseParser, input: &[u8], cuts: &[usize]) -> Result<Outcome, ParseError> {
    let limits = parser.limits();
    let mut parser = parser;
    let mut buf = Vec::with_capacity(input.len());
    for &cut in cuts.iter().chain([&input.len()]) {
        let Some(piece) = input.get(buf.len()..cut) else {
            continue;
        };
        buf.extend_from_slice(piece);
        match parser.handle_bytes(&mut buf)? {
            ParseStatus::Complete(parsed) => return outcome(&parsed, &buf, limits),
            ParseStatus::Partial { min_len } => {
                if let Some(min_len) = min_len {
                    assert!(min_len > buf.len(), "Partial with min_len already reached");
                }
            }
        }
    }
    match parser.handle_eof(&mut buf)? {
        ParseStatus::Complete(parsed) => outcome(&parsed, &buf, limits),
        ParseStatus::Partial { .. } => panic!("handle_eof returned Partial"),
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, mut rest)) = input.split_first() else {
        return;
    };
    let mut cuts = Vec::new();
    for _ in 0..(flags & 7) {
        let Some((cut, tail)) = rest.split_first_chunk::<2>() else {
            return;
        };
        cuts.push(usize::from(u16::from_le_bytes(*cut)));
        rest = tail;
    }
    let mut limits = Limits::new();
    if flags & 16 != 0 {
        let Some(([headers, head, body], tail)) = rest.split_first_chunk::<3>() else {
            return;
        };
        limits = limits
            .with_max_headers(usize::from(*headers % 16))
            .with_max_head_len(usize::from(*head) * 4)
            .with_max_body_len(usize::from(*body) * 4);
        rest = tail;
    }
    let response = rest;
    cuts.iter_mut()
        .for_each(|cut| *cut = (*cut).min(response.len()));
    cuts.sort_unstable();
    let parser = if flags & 8 != 0 {
        ResponseParser::for_head_request(limits)
    } else {
        ResponseParser::new(limits)
    };
    let whole = feed(parser.clone(), response, &[]);
    if let Err(error) = &whole {
        assert!(!error.is_caller_misuse(), "{error:?}");
        let _ = format!("{error}");
    }
    let split = feed(parser.clone(), response, &cuts);
    assert_eq!(split, whole, "split at {cuts:?}");
    // One byte at a time, for short inputs.
    if response.len() <= 256 {
        let bytewise: Vec<usize> = (1..response.len()).collect();
        assert_eq!(feed(parser, response, &bytewise), whole, "fed byte by byte");
    }
});
