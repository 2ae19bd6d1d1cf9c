//! Property tests across modules, beyond each module's own:
//!
//! - token answers generated from a model (every `expires_in` and `token_type` spelling,
//!   unknown members of any shape, JSON whitespace, string escapes in the token, member
//!   order, BOM, media types) parse to the model's values;
//! - the whole token request as the codec writes it (head and body, both client
//!   authentication methods, any endpoint) reads back, with an independent HTTP parser and
//!   form and base64 decoders, to exactly the inputs; `write_body_to_slice` is all or nothing;
//! - token answers framed from a model (Content-Length, chunked in random chunk sizes with
//!   extensions and zero-padded sizes, or close-delimited; HTTP/1.0 or 1.1; header names in
//!   any case, optional whitespace, random extra fields) and split arbitrarily come out of
//!   the codec with the model's body and parse to the same token as the body alone.
//!
//! (The codec's own framing properties are in `tests/codec.rs`; body and `Authorization`
//! decoding of `TokenRequest` alone are in `src/token_request.rs`.)

use core::time::Duration;

use base64::Engine as _;
use lucca_auth::codec::{EMPTY_HEADER, Limits, ParseStatus, RequestHead, ResponseParser};
use lucca_auth::config::{ClientAuthMethod, ClientCredentials, UserAgent};
use lucca_auth::endpoint::TokenEndpoint;
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth::token_request::TokenRequest;
use lucca_auth::token_response::{
    DEFAULT_LIFETIME, MAX_LIFETIME, TokenResponse, TokenResponseOptions, parse_token_response,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Token answers from a model

/// How one character of the token is written inside the JSON string.
#[derive(Clone, Copy, Debug)]
enum CharSpelling {
    Plain,
    UnicodeLower,
    UnicodeUpper,
    /// `\/` for `/` (other characters fall back to plain or a required escape).
    Solidus,
}

fn json_char(c: char, spelling: CharSpelling, out: &mut String) {
    match (c, spelling) {
        (_, CharSpelling::UnicodeLower) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        (_, CharSpelling::UnicodeUpper) => out.push_str(&format!("\\u{:04X}", u32::from(c))),
        ('/', CharSpelling::Solidus) => out.push_str("\\/"),
        ('"', _) => out.push_str("\\\""),
        ('\\', _) => out.push_str("\\\\"),
        (c, _) => out.push(c),
    }
}

#[derive(Clone, Debug)]
enum ExpiresIn {
    Absent,
    Null,
    Integer(u64),
    IntegerString(u64),
    /// `secs.fraction`, as a number or a string.
    Decimal(u64, String, bool),
    /// `d.ddd…e+N` with the decimal point after the first digit, as a number or a string.
    Exponent(u64, bool, bool),
    /// `secs` followed by `zeros` zeros and `e-zeros`, as a number or a string.
    NegativeExponent(u64, usize, bool),
}

impl ExpiresIn {
    fn json(&self) -> Option<String> {
        let quoted = |text: String, string: bool| {
            if string { format!("\"{text}\"") } else { text }
        };
        match self {
            ExpiresIn::Absent => None,
            ExpiresIn::Null => Some("null".into()),
            ExpiresIn::Integer(secs) => Some(secs.to_string()),
            ExpiresIn::IntegerString(secs) => Some(format!("\"{secs}\"")),
            ExpiresIn::Decimal(secs, fraction, string) => {
                Some(quoted(format!("{secs}.{fraction}"), *string))
            }
            ExpiresIn::Exponent(secs, upper, string) => {
                let digits = secs.to_string();
                let (first, rest) = digits.split_at(1);
                let e = if *upper { 'E' } else { 'e' };
                let mantissa = if rest.is_empty() {
                    first.to_string()
                } else {
                    format!("{first}.{rest}")
                };
                Some(quoted(format!("{mantissa}{e}+{}", rest.len()), *string))
            }
            ExpiresIn::NegativeExponent(secs, zeros, string) => Some(quoted(
                format!("{secs}{}e-{zeros}", "0".repeat(*zeros)),
                *string,
            )),
        }
    }

    /// The whole seconds the member states (`None`: absent or null).
    fn secs(&self) -> Option<u64> {
        match self {
            ExpiresIn::Absent | ExpiresIn::Null => None,
            ExpiresIn::Integer(secs)
            | ExpiresIn::IntegerString(secs)
            | ExpiresIn::Decimal(secs, _, _)
            | ExpiresIn::Exponent(secs, _, _)
            | ExpiresIn::NegativeExponent(secs, _, _) => Some(*secs),
        }
    }
}

fn expires_in() -> impl Strategy<Value = ExpiresIn> {
    // Up to a bit more than MAX_LIFETIME, so clamping is exercised; small enough that every
    // spelling, decimals included, is exact in an f64.
    let secs = prop_oneof![0u64..4000, 1u64..40_000_000];
    prop_oneof![
        Just(ExpiresIn::Absent),
        Just(ExpiresIn::Null),
        secs.clone().prop_map(ExpiresIn::Integer),
        secs.clone().prop_map(ExpiresIn::IntegerString),
        (secs.clone(), "[0-9]{1,6}", any::<bool>())
            .prop_map(|(s, f, string)| ExpiresIn::Decimal(s, f, string)),
        (secs.clone(), any::<bool>(), any::<bool>())
            .prop_map(|(s, upper, string)| ExpiresIn::Exponent(s, upper, string)),
        (secs, 0usize..4, any::<bool>())
            .prop_map(|(s, zeros, string)| ExpiresIn::NegativeExponent(s, zeros, string)),
    ]
}

/// `token_type` as written, and whether it counts as missing.
fn token_type() -> impl Strategy<Value = (Option<&'static str>, bool)> {
    prop_oneof![
        Just((Some("\"bearer\""), false)),
        Just((Some("\"Bearer\""), false)),
        Just((Some("\"BEARER\""), false)),
        Just((Some("\"bEaReR\""), false)),
        Just((Some("\"\\u0042earer\""), false)),
        Just((Some("\"bear\\u0065r\""), false)),
        Just((None, true)),
        Just((Some("null"), true)),
        Just((Some("\"\""), true)),
    ]
}

/// A JSON value of any shape, for unknown members.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        "[ !#-\\[\\]-~é€😀]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"".to_string()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(" , "))),
            proptest::collection::vec(("[a-z]{1,6}", inner), 0..4).prop_map(|members| {
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

const KNOWN_MEMBERS: [&str; 7] = [
    "access_token",
    "token_type",
    "expires_in",
    "scope",
    "error",
    "error_description",
    "error_uri",
];

#[derive(Clone, Debug)]
enum ScopeSpelling {
    Absent,
    /// Scopes joined with these separators (one or more spaces each).
    String(Vec<String>, Vec<usize>),
    Array(Vec<String>),
}

fn scope_spelling() -> impl Strategy<Value = ScopeSpelling> {
    let scope = "[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,12}";
    prop_oneof![
        Just(ScopeSpelling::Absent),
        (
            proptest::collection::vec(scope, 0..4),
            proptest::collection::vec(1usize..3, 4)
        )
            .prop_map(|(scopes, gaps)| ScopeSpelling::String(scopes, gaps)),
        proptest::collection::vec(scope, 0..4).prop_map(ScopeSpelling::Array),
    ]
}

#[derive(Clone, Debug)]
struct TokenModel {
    token: String,
    spellings: Vec<CharSpelling>,
    expires_in: ExpiresIn,
    token_type: (Option<&'static str>, bool),
    scope: ScopeSpelling,
    unknown: Vec<(String, String)>,
    /// Indexes into the member list, to shuffle it.
    order: Vec<usize>,
    whitespace: Vec<String>,
    bom: bool,
}

impl TokenModel {
    fn members(&self) -> Vec<String> {
        let mut token = String::new();
        for (c, spelling) in self.token.chars().zip(self.spellings.iter().cycle()) {
            json_char(c, *spelling, &mut token);
        }
        let mut members = vec![("access_token".to_string(), format!("\"{token}\""))];
        if let Some(json) = self.expires_in.json() {
            members.push(("expires_in".into(), json));
        }
        if let Some(json) = self.token_type.0 {
            members.push(("token_type".into(), json.into()));
        }
        match &self.scope {
            ScopeSpelling::Absent => {}
            ScopeSpelling::String(scopes, gaps) => {
                let mut text = String::new();
                for (i, scope) in scopes.iter().enumerate() {
                    if i > 0 {
                        text.push_str(&" ".repeat(gaps[i % gaps.len()]));
                    }
                    text.push_str(scope);
                }
                members.push(("scope".into(), format!("\"{text}\"")));
            }
            ScopeSpelling::Array(scopes) => {
                let items: Vec<String> = scopes.iter().map(|s| format!("\"{s}\"")).collect();
                members.push(("scope".into(), format!("[{}]", items.join(","))));
            }
        }
        members.extend(self.unknown.iter().cloned());
        // Shuffle with the drawn order (a stable sort by the drawn keys).
        let mut keyed: Vec<(usize, (String, String))> = members
            .into_iter()
            .enumerate()
            .map(|(i, m)| (self.order.get(i).copied().unwrap_or(i), m))
            .collect();
        keyed.sort_by_key(|(key, _)| *key);
        let ws = |i: usize| self.whitespace[i % self.whitespace.len()].as_str();
        keyed
            .into_iter()
            .enumerate()
            .map(|(i, (_, (name, value)))| {
                format!(
                    "{}\"{name}\"{}:{}{value}{}",
                    ws(i),
                    ws(i + 1),
                    ws(i + 2),
                    ws(i + 3)
                )
            })
            .collect()
    }

    fn body(&self) -> Vec<u8> {
        let mut body = Vec::new();
        if self.bom {
            body.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let ws = &self.whitespace[0];
        body.extend_from_slice(format!("{ws}{{{}}}{ws}", self.members().join(",")).as_bytes());
        body
    }

    fn scope_text(&self) -> Option<String> {
        match &self.scope {
            ScopeSpelling::Absent => None,
            ScopeSpelling::String(scopes, gaps) => {
                let mut text = String::new();
                for (i, scope) in scopes.iter().enumerate() {
                    if i > 0 {
                        text.push_str(&" ".repeat(gaps[i % gaps.len()]));
                    }
                    text.push_str(scope);
                }
                Some(text)
            }
            ScopeSpelling::Array(scopes) => Some(scopes.join(" ")),
        }
    }

    /// Checks a parsed token against the model.
    fn check(&self, token: &TokenResponse) -> Result<(), TestCaseError> {
        prop_assert_eq!(token.access_token().secret(), self.token.as_str());
        prop_assert_eq!(token.token_type_missing(), self.token_type.1);
        let stated = self
            .expires_in
            .secs()
            .map(|secs| Duration::from_secs(secs).min(MAX_LIFETIME));
        prop_assert_eq!(token.expires_in(), stated);
        prop_assert_eq!(token.lifetime(), stated.unwrap_or(DEFAULT_LIFETIME));
        let scope = self.scope_text();
        prop_assert_eq!(token.scope(), scope.as_deref());
        let granted = scope
            .as_deref()
            .and_then(|s| Scopes::parse_space_separated(s).ok())
            .filter(|s| !s.is_empty());
        prop_assert_eq!(token.granted_scopes(), granted.as_ref());
        Ok(())
    }
}

fn token_model() -> impl Strategy<Value = TokenModel> {
    let spelling = prop_oneof![
        4 => Just(CharSpelling::Plain),
        1 => Just(CharSpelling::UnicodeLower),
        1 => Just(CharSpelling::UnicodeUpper),
        1 => Just(CharSpelling::Solidus),
    ];
    let unknown_name =
        "[a-z_]{1,14}".prop_filter("unknown", |n| !KNOWN_MEMBERS.contains(&n.as_str()));
    (
        "[\\x21-\\x7E]{1,80}",
        proptest::collection::vec(spelling, 1..8),
        expires_in(),
        token_type(),
        scope_spelling(),
        proptest::collection::vec((unknown_name, json_value()), 0..4),
        proptest::collection::vec(0usize..16, 8),
        proptest::collection::vec("[ \t\r\n]{0,3}", 1..5),
        any::<bool>(),
    )
        .prop_map(
            |(token, spellings, expires_in, token_type, scope, unknown, order, whitespace, bom)| {
                TokenModel {
                    token,
                    spellings,
                    expires_in,
                    token_type,
                    scope,
                    unknown,
                    order,
                    whitespace,
                    bom,
                }
            },
        )
}

/// A media type the token parser reads as JSON.
fn json_media_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(Some("application/json")),
        Just(Some("application/json; charset=utf-8")),
        Just(Some("Application/JSON ; charset=\"UTF-8\"")),
        Just(Some("application/vnd.lucca.token+json")),
        Just(Some("text/plain;charset=utf-8")),
        Just(Some("text/json")),
        Just(None),
    ]
}

proptest! {
    #[test]
    fn token_answers_parse_to_their_model(
        model in token_model(),
        status in prop_oneof![Just(200u16), Just(201), Just(203)],
        media_type in json_media_type(),
    ) {
        let body = model.body();
        let headers: Vec<Header<'_>> = media_type
            .iter()
            .map(|value| Header { name: "Content-Type", value: value.as_bytes() })
            .collect();
        let response = HttpResponse::new(status, &headers, &body);
        let parsed = parse_token_response(&response, &TokenResponseOptions::default());
        prop_assert!(parsed.is_ok(), "{:?} for {}", parsed.err(), String::from_utf8_lossy(&body));
        if let Ok(token) = parsed {
            model.check(&token)?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The token request on the wire

fn endpoint() -> impl Strategy<Value = TokenEndpoint> {
    (
        prop_oneof![
            Just("accounts.world.luccasoftware.com".to_string()),
            "[a-z]([a-z0-9-]{0,8}[a-z0-9])?\\.ilucca\\.net",
        ],
        proptest::option::of(1u16..),
        "(/[A-Za-z0-9._~-]{1,8}){0,3}",
        proptest::option::of("[a-z]{1,5}=[A-Za-z0-9]{0,6}(%[0-9A-F]{2})?"),
    )
        .prop_map(|(host, port, path, query)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            TokenEndpoint::parse(&format!("https://{host}{port}{path}{query}"))
                .unwrap_or_else(|e| panic!("{e}: {host}{port}{path}{query}"))
        })
}

/// Decodes a form body into its pairs, with `form_urlencoded` (not our code).
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn decode_form_value(text: &str) -> String {
    form_pairs(text.as_bytes())
        .pop()
        .map(|(k, _)| k)
        .unwrap_or_default()
}

proptest! {
    #[test]
    fn the_written_token_request_reads_back_to_its_inputs(
        endpoint in endpoint(),
        id in any::<String>(),
        secret in any::<String>(),
        scope_list in proptest::collection::vec("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,16}", 0..5),
        basic in any::<bool>(),
        user_agent in "[!-~]([ -~]{0,30}[!-~])?",
        short_by in 1usize..64,
    ) {
        let method = if basic { ClientAuthMethod::HttpBasic } else { ClientAuthMethod::RequestBody };
        let credentials = ClientCredentials::new(ClientId::new(id.clone()), ClientSecret::new(secret.clone()))
            .with_method(method);
        let scopes = Scopes::try_from_iter(&scope_list).expect("valid scopes");
        let user_agent = UserAgent::new(user_agent.clone()).expect("a header-safe user agent");
        let request = TokenRequest::new(&endpoint, &credentials, &scopes, &user_agent);

        // The head the codec writes: request line, Host, the request's fields, Authorization
        // with HTTP Basic, Content-Length; then the body.
        let authorization = request.basic_authorization();
        let mut fields = request.header_fields().to_vec();
        if let Some(value) = &authorization {
            fields.push(Header { name: "Authorization", value: value.as_bytes() });
        }
        let head = RequestHead::new(request.method(), endpoint.path(), endpoint.host_header())
            .with_headers(&fields);
        let needed = head.encoded_len(Some(request.body_len())).expect("a valid head");
        let mut wire = vec![0u8; needed];
        prop_assert_eq!(head.write_with_body(&request, &mut wire), Ok(needed));

        let mut parsed_headers = [EMPTY_HEADER; 16];
        let mut parsed = httparse::Request::new(&mut parsed_headers);
        let Ok(httparse::Status::Complete(head_len)) = parsed.parse(&wire) else {
            return Err(TestCaseError::fail("the request head does not parse"));
        };
        prop_assert_eq!(parsed.method, Some("POST"));
        prop_assert_eq!(parsed.path, Some(endpoint.path()));
        let header = |name: &str| {
            parsed.headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.to_vec()).collect::<Vec<_>>()
        };
        prop_assert_eq!(header("Host"), vec![endpoint.host_header().as_bytes().to_vec()]);
        prop_assert_eq!(header("Content-Type"), vec![b"application/x-www-form-urlencoded".to_vec()]);
        prop_assert_eq!(header("Accept"), vec![b"application/json".to_vec()]);
        prop_assert_eq!(header("User-Agent"), vec![user_agent.as_str().as_bytes().to_vec()]);
        let body = &wire[head_len..];
        prop_assert_eq!(header("Content-Length"), vec![body.len().to_string().into_bytes()]);

        let mut expected = vec![("grant_type".to_string(), "client_credentials".to_string())];
        if !basic {
            expected.push(("client_id".into(), id.clone()));
            expected.push(("client_secret".into(), secret.clone()));
        }
        if !scopes.is_empty() {
            expected.push(("scope".into(), scope_list.iter().fold(Vec::<&str>::new(), |mut seen, s| {
                if !seen.contains(&s.as_str()) { seen.push(s); }
                seen
            }).join(" ")));
        }
        prop_assert_eq!(form_pairs(body), expected);

        let authorizations = header("Authorization");
        prop_assert_eq!(authorizations.len(), usize::from(basic));
        if let Some(value) = authorizations.first() {
            let value = String::from_utf8(value.clone()).expect("ASCII");
            let encoded = value.strip_prefix("Basic ").expect("the Basic scheme");
            let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64");
            let decoded = String::from_utf8(decoded).expect("UTF-8");
            let (user, password) = decoded.split_once(':').expect("user:password");
            prop_assert_eq!(decode_form_value(user), id);
            prop_assert_eq!(decode_form_value(password), secret);
        }

        // The body alone into a caller's slice: exact, or nothing written.
        let mut exact = vec![0u8; request.body_len()];
        prop_assert_eq!(request.write_body_to_slice(&mut exact), Ok(body.len()));
        prop_assert_eq!(&exact[..], body);
        let mut short = vec![0xA5u8; request.body_len().saturating_sub(short_by)];
        prop_assert!(request.write_body_to_slice(&mut short).is_err());
        prop_assert!(short.iter().all(|&b| b == 0xA5));
    }
}

// ---------------------------------------------------------------------------------------------
// Token answers framed on the wire

#[derive(Clone, Debug)]
enum Framing {
    ContentLength,
    /// Chunk sizes (the last chunk takes the rest), a zero padding width, extensions.
    Chunked(Vec<usize>, usize, bool),
    CloseDelimited,
}

#[derive(Clone, Debug)]
struct WireModel {
    http10: bool,
    framing: Framing,
    /// Extra header fields, placed before the framing field.
    extra: Vec<(String, String)>,
    content_type: Option<&'static str>,
    /// Upper-case the framing and Content-Type field names at these character positions.
    name_case: Vec<bool>,
    /// Optional whitespace around header values.
    ows: (String, String),
}

fn recase(name: &str, pattern: &[bool]) -> String {
    name.chars()
        .zip(pattern.iter().cycle())
        .map(|(c, &upper)| {
            if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

impl WireModel {
    fn encode(&self, body: &[u8]) -> Vec<u8> {
        let version = if self.http10 { "1.0" } else { "1.1" };
        let mut out = format!("HTTP/{version} 200 OK\r\n").into_bytes();
        let (before, after) = (&self.ows.0, &self.ows.1);
        let mut field = |name: &str, value: &str| {
            out.extend_from_slice(format!("{name}:{before}{value}{after}\r\n").as_bytes());
        };
        for (name, value) in &self.extra {
            field(name, value);
        }
        if let Some(content_type) = self.content_type {
            field(&recase("Content-Type", &self.name_case), content_type);
        }
        match &self.framing {
            Framing::ContentLength => {
                field(
                    &recase("Content-Length", &self.name_case),
                    &body.len().to_string(),
                );
            }
            Framing::Chunked(..) => field(&recase("Transfer-Encoding", &self.name_case), "chunked"),
            Framing::CloseDelimited => field("Connection", "close"),
        }
        out.extend_from_slice(b"\r\n");
        match &self.framing {
            Framing::ContentLength | Framing::CloseDelimited => out.extend_from_slice(body),
            Framing::Chunked(sizes, padding, extensions) => {
                let mut rest = body;
                let mut sizes = sizes.iter();
                while !rest.is_empty() {
                    let size = sizes.next().map_or(rest.len(), |&s| s.min(rest.len()));
                    let (chunk, tail) = rest.split_at(size);
                    let width = padding + 1;
                    out.extend_from_slice(format!("{size:0width$x}").as_bytes());
                    if *extensions {
                        out.extend_from_slice(b";name=\"quoted;value\"");
                    }
                    out.extend_from_slice(b"\r\n");
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                    rest = tail;
                }
                out.extend_from_slice(b"0\r\nX-Trailer: done\r\n\r\n");
            }
        }
        out
    }
}

fn wire_model() -> impl Strategy<Value = WireModel> {
    let framing = prop_oneof![
        Just(Framing::ContentLength),
        (
            proptest::collection::vec(1usize..64, 0..12),
            0usize..4,
            any::<bool>()
        )
            .prop_map(|(sizes, padding, ext)| Framing::Chunked(sizes, padding, ext)),
        Just(Framing::CloseDelimited),
    ];
    let extra =
        proptest::collection::vec(("X-[A-Za-z0-9-]{1,10}", "[!-~]([ -~]{0,20}[!-~])?"), 0..5);
    (
        any::<bool>(),
        framing,
        extra,
        json_media_type(),
        proptest::collection::vec(any::<bool>(), 1..6),
        ("[ \t]{0,2}", "[ \t]{0,2}"),
    )
        .prop_map(
            |(http10, framing, extra, content_type, name_case, ows)| WireModel {
                http10,
                framing,
                extra,
                content_type,
                name_case,
                ows,
            },
        )
}

/// Feeds `wire` to the codec in pieces ending at `cuts`, then EOF; returns the body and the
/// token parsed from the codec's response.
fn through_codec(wire: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, TokenResponse), String> {
    let mut buf = Vec::new();
    let mut parser = ResponseParser::new(Limits::new());
    let mut status = ParseStatus::Partial { min_len: None };
    for &cut in cuts.iter().chain([&wire.len()]) {
        let Some(piece) = wire.get(buf.len()..cut) else {
            continue;
        };
        buf.extend_from_slice(piece);
        status = parser.handle_bytes(&mut buf).map_err(|e| e.to_string())?;
        if matches!(status, ParseStatus::Complete(_)) {
            break;
        }
    }
    if matches!(status, ParseStatus::Partial { .. }) {
        status = parser.handle_eof(&mut buf).map_err(|e| e.to_string())?;
    }
    let ParseStatus::Complete(parsed) = status else {
        return Err("incomplete at EOF".into());
    };
    let mut headers = [EMPTY_HEADER; 16];
    let response = parsed
        .response(&buf, &mut headers)
        .map_err(|e| e.to_string())?;
    let token = parse_token_response(&response, &TokenResponseOptions::default())
        .map_err(|e| e.to_string())?;
    Ok((response.body().to_vec(), token))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn framed_token_answers_parse_the_same_whatever_the_split(
        model in token_model(),
        wire_model in wire_model(),
        raw_cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let body = model.body();
        let wire = wire_model.encode(&body);
        let mut cuts: Vec<usize> = raw_cuts.iter().map(|c| c % (wire.len() + 1)).collect();
        cuts.sort_unstable();

        let whole = through_codec(&wire, &[]);
        prop_assert!(whole.is_ok(), "{:?}", whole.as_ref().err());
        let (whole_body, whole_token) = whole.map_err(TestCaseError::fail)?;
        prop_assert_eq!(&whole_body, &body);
        model.check(&whole_token)?;

        let split = through_codec(&wire, &cuts).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&split.0, &body);
        prop_assert_eq!(&split.1, &whole_token);

        let bytewise: Vec<usize> = (1..wire.len()).collect();
        let bytewise = through_codec(&wire, &bytewise).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&bytewise.1, &whole_token);
    }
}
