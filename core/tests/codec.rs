//! The HTTP/1.1 codec against the shared real-world cases and generated traffic: every
//! response in `tests/data/` parses to the same result whole, split at every byte boundary into
//! two feeds, and fed one byte at a time; arbitrary bytes in arbitrary splits never panic and
//! give the same verdict whatever the split; generated responses parse back to their model.

use std::path::Path;

use lucca_auth::codec::{
    BodyFraming, ConnectionMode, Limits, ParseError, ParseStatus, ParsedResponse, RequestHead,
    ResponseParser, WriteError,
};
use lucca_auth::response::Header;
use proptest::prelude::*;

/// Everything a parse yields, owned, so results of different feeds compare.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Outcome {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    consumed: usize,
    connection: ConnectionMode,
    framing: BodyFraming,
    content_coded: bool,
}

fn outcome(parsed: &ParsedResponse, buf: &[u8]) -> Result<Outcome, ParseError> {
    let mut headers = vec![lucca_auth::codec::EMPTY_HEADER; parsed.header_count()];
    let response = parsed.response(buf, &mut headers)?;
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
    })
}

/// Feeds `input` in pieces ending at each of `cuts` (ascending) and then whole, then signals
/// EOF if still incomplete. `Ok(None)`: incomplete even at EOF cannot happen, EOF decides.
fn parse_with_cuts(limits: Limits, input: &[u8], cuts: &[usize]) -> Result<Outcome, ParseError> {
    let mut buf = input.to_vec();
    let mut parser = ResponseParser::new(limits);
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.min(input.len());
        if let ParseStatus::Complete(parsed) = parser.handle_bytes(&mut buf[..cut])? {
            return outcome(&parsed, &buf);
        }
    }
    match parser.handle_eof(&mut buf)? {
        ParseStatus::Complete(parsed) => outcome(&parsed, &buf),
        ParseStatus::Partial { .. } => panic!("handle_eof returned Partial"),
    }
}

fn parse_whole(input: &[u8]) -> Result<Outcome, ParseError> {
    parse_with_cuts(Limits::new(), input, &[])
}

fn bytewise_cuts(len: usize) -> Vec<usize> {
    (0..=len).collect()
}

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn read_case(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(name)).expect("case file is readable")
}

#[test]
fn b21_chunked_token_response_is_dechunked() {
    let input = read_case("B21.http");
    assert_eq!(input.len(), 262);
    let body = br#"{"token_type":"bearer","access_token":"AT-demo-0021","expires_in":1800}"#;
    assert_eq!(body.len(), 71);
    let expected = Outcome {
        status: 200,
        headers: vec![
            ("Date".into(), b"Tue, 03 Mar 2026 10:00:00 GMT".to_vec()),
            (
                "Content-Type".into(),
                b"application/json; charset=utf-8".to_vec(),
            ),
            ("Transfer-Encoding".into(), b"chunked".to_vec()),
            ("Cache-Control".into(), b"no-store".to_vec()),
            ("Pragma".into(), b"no-cache".to_vec()),
        ],
        body: body.to_vec(),
        consumed: 262,
        connection: ConnectionMode::KeepAlive,
        framing: BodyFraming::Chunked,
        content_coded: false,
    };
    assert_eq!(parse_whole(&input), Ok(expected));
}

#[test]
fn b01_content_length_token_response() {
    let input = read_case("B01.http");
    assert_eq!(input.len(), 239);
    let body = br#"{"token_type":"bearer","access_token":"AT-demo-0001","expires_in":"1800"}"#;
    let expected = Outcome {
        status: 200,
        headers: vec![
            ("Date".into(), b"Tue, 03 Mar 2026 10:00:00 GMT".to_vec()),
            (
                "Content-Type".into(),
                b"application/json; charset=utf-8".to_vec(),
            ),
            ("Cache-Control".into(), b"no-store".to_vec()),
            ("Pragma".into(), b"no-cache".to_vec()),
            ("Content-Length".into(), b"73".to_vec()),
        ],
        body: body.to_vec(),
        consumed: 239,
        connection: ConnectionMode::KeepAlive,
        framing: BodyFraming::ContentLength,
        content_coded: false,
    };
    assert_eq!(body.len(), 73);
    assert_eq!(parse_whole(&input), Ok(expected));
}

/// Status and body length of every shared response case in `tests/data/`.
const CASES: [(&str, u16, usize); 14] = [
    ("B01.http", 200, 73),
    ("B03.http", 200, 53),
    ("B05.http", 200, 71),
    ("B07.http", 200, 161),
    ("B08.http", 200, 98),
    ("B11.http", 400, 71),
    ("B12.http", 502, 156),
    ("B14.http", 401, 26),
    ("B15.http", 429, 0),
    ("B17.http", 403, 0),
    ("B18.http", 401, 0),
    ("B19.http", 403, 0),
    ("B21.http", 200, 71),
    ("B24.http", 200, 71),
];

#[test]
fn every_response_in_test_data_parses_the_same_however_split() {
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(data_dir())
        .expect("tests/data exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "http"))
        .collect();
    entries.sort();
    for path in entries {
        let input = std::fs::read(&path).expect("readable case");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !input.starts_with(b"HTTP/") {
            continue; // a request (B09)
        }
        seen += 1;
        let whole = parse_whole(&input);
        let parsed = whole.clone().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.consumed, input.len(), "{name}");
        if let Some(&(_, status, body_len)) = CASES.iter().find(|(case, ..)| *case == name) {
            assert_eq!(
                (parsed.status, parsed.body.len()),
                (status, body_len),
                "{name}"
            );
        }
        for cut in 0..=input.len() {
            assert_eq!(
                parse_with_cuts(Limits::new(), &input, &[cut]),
                whole,
                "{name} cut at {cut}"
            );
        }
        assert_eq!(
            parse_with_cuts(Limits::new(), &input, &bytewise_cuts(input.len())),
            whole,
            "{name} bytewise"
        );
    }
    assert!(seen >= CASES.len(), "only {seen} response cases found");
}

#[test]
fn every_shared_case_is_in_test_data() {
    for (name, ..) in CASES {
        assert!(data_dir().join(name).is_file(), "{name} missing");
    }
}

/// The request writer's output is what a server-side parser reads back.
#[test]
fn written_token_request_matches_b09_head() {
    let fields = [
        Header {
            name: "Content-Type",
            value: b"application/x-www-form-urlencoded",
        },
        Header {
            name: "Accept",
            value: b"application/json",
        },
    ];
    let body: &[u8] = b"grant_type=client_credentials&client_id=demo-integration&client_secret=Ab%2B1%2Fc%3Dd%26e%25f&scope=leaves.readwrite%20leave-requests.readonly";
    let head = RequestHead::new("POST", "/connect/token", "accounts.world.luccasoftware.com")
        .with_headers(&fields);
    let expected = read_case("B09.http");
    let mut buf = vec![0u8; expected.len()];
    assert_eq!(head.write_with_body(body, &mut buf), Ok(expected.len()));
    assert_eq!(buf, expected);
    let mut short = vec![0u8; expected.len() - 1];
    assert_eq!(
        head.write_with_body(body, &mut short),
        Err(WriteError::BufferTooSmall {
            needed: 310,
            available: 309
        })
    );
    assert!(short.iter().all(|&b| b == 0));
}

// ---- property tests ----

/// Sorted, deduplicated cut points within `len`.
fn cuts(len: usize, raw: &[usize]) -> Vec<usize> {
    let mut cuts: Vec<usize> = raw.iter().map(|c| c % (len + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// Bytes that look like an HTTP response (status line, header lines, blank line, body
/// pieces, some of them noise, with an optional byte overwritten), to reach deep states.
fn http_ish() -> impl Strategy<Value = Vec<u8>> {
    let bytes = |s: &'static str| Just(s.as_bytes().to_vec());
    let noise = || proptest::collection::vec(any::<u8>(), 0..6);
    let status = prop_oneof![
        bytes("HTTP/1.1 200 OK\r\n"),
        bytes("HTTP/1.0 200 OK\r\n"),
        bytes(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: <x>\r\n\r\nHTTP/1.1 404 Not Found\r\n"
        ),
        bytes("\r\nHTTP/1.1 204 No Content\n"),
        bytes("HTTP/1.1 304 Not Modified\r\n"),
        noise(),
    ];
    let header = prop_oneof![
        bytes("Content-Length: 3\r\n"),
        bytes("Content-Length: 0\r\n"),
        bytes("content-length : 10, 10\r\n"),
        bytes("Transfer-Encoding: chunked\r\n"),
        bytes("Transfer-Encoding: gzip\r\n"),
        bytes("Connection: close\r\n"),
        bytes("Connection: keep-alive\n"),
        bytes("Content-Encoding: gzip\r\n"),
        bytes(" folded\r\n"),
        bytes("X-A: b\r\n"),
        noise(),
    ];
    let body = prop_oneof![
        bytes("3\r\nabc\r\n"),
        bytes("A;e=\"1\"\r\n0123456789\r\n"),
        bytes("0\r\n\r\n"),
        bytes("0\r\nT: v\r\n\r\n"),
        bytes("abc"),
        noise(),
    ];
    (
        status,
        proptest::collection::vec(header, 0..6),
        proptest::bool::weighted(0.9),
        proptest::collection::vec(body, 0..5),
        proptest::option::weighted(0.3, (any::<usize>(), any::<u8>())),
    )
        .prop_map(|(status, headers, blank, body, mutation)| {
            let mut out = status;
            out.extend(headers.concat());
            if blank {
                out.extend_from_slice(b"\r\n");
            }
            out.extend(body.concat());
            if let Some((at, byte)) = mutation
                && !out.is_empty()
            {
                let at = at % out.len();
                out[at] = byte;
            }
            out
        })
}

fn small_limits() -> impl Strategy<Value = Limits> {
    (1usize..8, 1usize..200, 0usize..40).prop_map(|(headers, head, body)| {
        Limits::new()
            .with_max_headers(headers)
            .with_max_head_len(head)
            .with_max_body_len(body)
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_ignore_the_split(
        input in prop_oneof![proptest::collection::vec(any::<u8>(), 0..300), http_ish()],
        raw_cuts in proptest::collection::vec(any::<usize>(), 0..6),
        limits in prop_oneof![Just(Limits::new()), small_limits()],
    ) {
        let whole = parse_with_cuts(limits, &input, &[]);
        if let Err(error) = &whole {
            prop_assert!(!error.is_caller_misuse(), "{error:?}");
        }
        let split = parse_with_cuts(limits, &input, &cuts(input.len(), &raw_cuts));
        prop_assert_eq!(&split, &whole);
        if input.len() <= 120 {
            prop_assert_eq!(parse_with_cuts(limits, &input, &bytewise_cuts(input.len())), whole);
        }
    }
}

/// A response as a model: what it should parse back to.
#[derive(Clone, Debug)]
struct Model {
    interim: Vec<u16>,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// `None`: Content-Length; `Some(sizes)`: chunked in chunks of these sizes.
    chunks: Option<Vec<usize>>,
    trailers: Vec<(String, String)>,
}

impl Model {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for code in &self.interim {
            out.extend_from_slice(format!("HTTP/1.1 {code} Interim\r\n\r\n").as_bytes());
        }
        out.extend_from_slice(format!("HTTP/1.1 {} Reason Phrase\r\n", self.status).as_bytes());
        for (name, value) in self.all_headers() {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        match &self.chunks {
            None => out.extend_from_slice(&self.body),
            Some(sizes) => {
                let mut rest = &self.body[..];
                for (i, &size) in sizes.iter().enumerate() {
                    let size = size.min(rest.len());
                    if size == 0 {
                        continue;
                    }
                    let (chunk, tail) = rest.split_at(size);
                    if i % 2 == 0 {
                        out.extend_from_slice(format!("{size:x}\r\n").as_bytes());
                    } else {
                        out.extend_from_slice(format!("{size:X} ;ext{i}=\"v\"\r\n").as_bytes());
                    }
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                    rest = tail;
                }
                if !rest.is_empty() {
                    out.extend_from_slice(format!("{:x}\r\n", rest.len()).as_bytes());
                    out.extend_from_slice(rest);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n");
                for (name, value) in &self.trailers {
                    out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
                }
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    fn all_headers(&self) -> Vec<(String, String)> {
        let mut headers = self.headers.clone();
        match &self.chunks {
            None => headers.push(("Content-Length".into(), self.body.len().to_string())),
            Some(_) => headers.push(("Transfer-Encoding".into(), "chunked".into())),
        }
        headers
    }
}

fn field() -> impl Strategy<Value = (String, String)> {
    ("X-[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}", "[ -~]{0,20}")
        .prop_map(|(name, value)| (name, value.trim_matches(' ').to_owned()))
}

fn model() -> impl Strategy<Value = Model> {
    (
        proptest::collection::vec(prop_oneof![Just(100u16), Just(102), Just(103)], 0..3),
        prop_oneof![200u16..204, 205u16..304, 305u16..600],
        proptest::collection::vec(field(), 0..8),
        proptest::collection::vec(any::<u8>(), 0..200),
        proptest::option::of(proptest::collection::vec(1usize..40, 0..10)),
        proptest::collection::vec(field(), 0..3),
    )
        .prop_map(|(interim, status, headers, body, chunks, trailers)| Model {
            interim,
            status,
            headers,
            body,
            chunks,
            trailers,
        })
}

proptest! {
    #[test]
    fn generated_responses_parse_back_to_their_model(
        model in model(),
        raw_cuts in proptest::collection::vec(any::<usize>(), 0..8),
        next in proptest::collection::vec(any::<u8>(), 0..10),
    ) {
        let encoded = model.encode();
        let mut input = encoded.clone();
        input.extend_from_slice(&next);
        let expected = Outcome {
            status: model.status,
            headers: model
                .all_headers()
                .into_iter()
                .map(|(name, value)| (name, value.into_bytes()))
                .collect(),
            body: model.body.clone(),
            consumed: encoded.len(),
            connection: ConnectionMode::KeepAlive,
            framing: if model.chunks.is_some() { BodyFraming::Chunked } else { BodyFraming::ContentLength },
            content_coded: false,
        };
        prop_assert_eq!(parse_with_cuts(Limits::new(), &input, &cuts(input.len(), &raw_cuts)), Ok(expected.clone()));
        prop_assert_eq!(parse_with_cuts(Limits::new(), &input, &bytewise_cuts(input.len())), Ok(expected));
    }

    #[test]
    fn written_requests_read_back_and_short_buffers_are_exact(
        fields in proptest::collection::vec(field(), 0..6),
        target in "/[!-~]{0,30}",
        body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
        close in any::<bool>(),
        short_by in 1usize..400,
    ) {
        let fields: Vec<Header<'_>> = fields
            .iter()
            .map(|(name, value)| Header { name, value: value.as_bytes() })
            .collect();
        let mode = if close { ConnectionMode::Close } else { ConnectionMode::KeepAlive };
        let head = RequestHead::new("POST", &target, "example.com:8443")
            .with_headers(&fields)
            .with_connection(mode);
        let needed = head.encoded_len(body.as_ref().map(Vec::len)).expect("valid request");
        let write = |out: &mut [u8]| match &body {
            Some(body) => head.write_with_body(&body[..], out),
            None => head.write(out),
        };
        let mut short = vec![0x5Au8; needed.saturating_sub(short_by)];
        let available = short.len();
        prop_assert_eq!(write(&mut short), Err(WriteError::BufferTooSmall { needed, available }));
        prop_assert!(short.iter().all(|&b| b == 0x5A));
        let mut out = vec![0u8; needed + 3];
        prop_assert_eq!(write(&mut out), Ok(needed));
        let mut parsed_headers = [lucca_auth::codec::EMPTY_HEADER; 16];
        let mut request = httparse::Request::new(&mut parsed_headers);
        prop_assert_eq!(request.parse(&out[..needed]), Ok(httparse::Status::Complete(needed - body.as_ref().map_or(0, Vec::len))));
        prop_assert_eq!(request.method, Some("POST"));
        prop_assert_eq!(request.path, Some(target.as_str()));
        prop_assert_eq!(request.headers[0].name, "Host");
        prop_assert_eq!(request.headers[0].value, b"example.com:8443");
        for (got, want) in request.headers[1..].iter().zip(&fields) {
            prop_assert_eq!(got.name, want.name);
            prop_assert_eq!(got.value, want.value);
        }
        let extra: Vec<(&str, &[u8])> = request.headers[1 + fields.len()..].iter().map(|h| (h.name, h.value)).collect();
        let mut expected_extra: Vec<(&str, Vec<u8>)> = Vec::new();
        if let Some(body) = &body {
            expected_extra.push(("Content-Length", body.len().to_string().into_bytes()));
        }
        if close {
            expected_extra.push(("Connection", b"close".to_vec()));
        }
        let expected_extra: Vec<(&str, &[u8])> = expected_extra.iter().map(|(n, v)| (*n, &v[..])).collect();
        prop_assert_eq!(extra, expected_extra);
        if let Some(body) = &body {
            prop_assert_eq!(&out[needed - body.len()..needed], &body[..]);
        }
    }
}
