//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1, formerly RFC 7235 §4.1) and the Bearer
//! challenge of RFC 6750 §3 that an API sends when it refuses a token.
//!
//! A field value is a comma-separated list of challenges; each challenge is a scheme followed
//! either by a `token68` or by a comma-separated list of `name=value` auth-params, where a
//! value is a token or a quoted string (which may hold commas and `\"` escapes). Commas
//! therefore separate both challenges and parameters, and the parser tells them apart the way
//! the grammar does: `name =` starts a parameter, a bare token starts the next challenge.
//!
//! The parser is lenient and total: it never panics, skips what it cannot read and keeps what
//! it can. Schemes and parameter names compare ASCII case-insensitively (`Bearer`, `bearer`).
//!
//! ```
//! use lucca_auth::response::{Header, HttpResponse};
//! use lucca_auth::www_authenticate::{bearer_challenge, BearerError};
//!
//! let headers = [Header {
//!     name: "WWW-Authenticate",
//!     value: br#"Basic realm="legacy", Bearer error="insufficient_scope", scope="leaves.readonly users.readonly""#,
//! }];
//! let response = HttpResponse::new(403, &headers, b"");
//! let bearer = bearer_challenge(&response).unwrap();
//! assert_eq!(bearer.error, Some(BearerError::InsufficientScope));
//! assert_eq!(bearer.scope, ["leaves.readonly", "users.readonly"]);
//! ```

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::response::HttpResponse;

/// The name of the response header field that carries challenges.
pub const WWW_AUTHENTICATE: &str = "WWW-Authenticate";

/// One authentication challenge: a scheme, and either a `token68` or auth-params.
///
/// ```
/// use lucca_auth::www_authenticate::parse_challenges;
///
/// let challenges = parse_challenges(br#"bearer realm = "api", error="invalid_token""#);
/// assert_eq!(challenges.len(), 1);
/// assert!(challenges[0].is_scheme("Bearer"));
/// assert_eq!(challenges[0].param("REALM"), Some("api"));
/// assert_eq!(challenges[0].param("scope"), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    scheme: String,
    token68: Option<String>,
    params: Vec<(String, String)>,
}

impl Challenge {
    /// The scheme as received (`Bearer`, `bearer`, `Basic`, …).
    #[must_use]
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the scheme is `scheme`, compared ASCII case-insensitively as RFC 9110 requires.
    #[must_use]
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The `token68` that follows the scheme, if the challenge has one instead of auth-params.
    #[must_use]
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// Every auth-param in received order, names as received, values unquoted and unescaped.
    #[must_use]
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The value of the first auth-param named `name` (ASCII case-insensitive).
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses one `WWW-Authenticate` field value into its challenges, in order.
///
/// Malformed parts are skipped: an item that is neither a challenge nor an auth-param is
/// dropped up to the next comma, an unterminated quoted string ends at the end of the value,
/// and bytes that are not UTF-8 inside a quoted string become U+FFFD. Auth-params that appear
/// before any scheme are dropped.
///
/// ```
/// use lucca_auth::www_authenticate::parse_challenges;
///
/// let challenges = parse_challenges(br#"Negotiate a87421==, Basic realm="a, \"b\"""#);
/// assert_eq!(challenges[0].token68(), Some("a87421=="));
/// assert_eq!(challenges[1].param("realm"), Some(r#"a, "b""#));
/// ```
#[must_use]
pub fn parse_challenges(value: &[u8]) -> Vec<Challenge> {
    let mut challenges = Vec::new();
    parse_into(value, &mut challenges);
    challenges
}

/// Every challenge of every `WWW-Authenticate` field line of `response`, in order.
///
/// Several field lines mean the same as one line holding their values joined by commas
/// (RFC 9110 §5.3), so a line that starts with auth-params continues the last challenge of
/// the line before it. A quoted string never runs from one line into the next.
///
/// ```
/// use lucca_auth::response::{Header, HttpResponse};
/// use lucca_auth::www_authenticate::challenges;
///
/// let headers = [
///     Header { name: "WWW-Authenticate", value: br#"Bearer realm="api""# },
///     Header { name: "www-authenticate", value: br#"error="insufficient_scope", scope="a""# },
/// ];
/// let all = challenges(&HttpResponse::new(403, &headers, b""));
/// assert_eq!(all.len(), 1);
/// assert_eq!(all[0].param("scope"), Some("a"));
/// ```
#[must_use]
pub fn challenges(response: &HttpResponse<'_>) -> Vec<Challenge> {
    let mut challenges = Vec::new();
    for value in response.headers_named(WWW_AUTHENTICATE) {
        parse_into(value, &mut challenges);
    }
    challenges
}

/// The `error` code of a Bearer challenge (RFC 6750 §3.1).
///
/// ```
/// use lucca_auth::www_authenticate::BearerError;
///
/// assert_eq!(BearerError::from_code("invalid_token"), BearerError::InvalidToken);
/// assert_eq!(BearerError::from_code("rate_limited").as_str(), "rate_limited");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BearerError {
    /// `invalid_request`: the request is malformed (HTTP 400).
    InvalidRequest,
    /// `invalid_token`: the token is expired, revoked or malformed (HTTP 401).
    InvalidToken,
    /// `insufficient_scope`: the token lacks a scope the resource requires (HTTP 403).
    InsufficientScope,
    /// Any other code, as received.
    Other(String),
}

impl BearerError {
    /// The error for this code. The three codes of RFC 6750 are recognised in any ASCII case.
    #[must_use]
    pub fn from_code(code: &str) -> Self {
        if code.eq_ignore_ascii_case("invalid_request") {
            BearerError::InvalidRequest
        } else if code.eq_ignore_ascii_case("invalid_token") {
            BearerError::InvalidToken
        } else if code.eq_ignore_ascii_case("insufficient_scope") {
            BearerError::InsufficientScope
        } else {
            BearerError::Other(code.to_owned())
        }
    }

    /// The code: the RFC 6750 spelling for the known ones, as received for [`Other`].
    ///
    /// [`Other`]: BearerError::Other
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            BearerError::InvalidRequest => "invalid_request",
            BearerError::InvalidToken => "invalid_token",
            BearerError::InsufficientScope => "insufficient_scope",
            BearerError::Other(code) => code,
        }
    }
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a `Bearer` challenge says (RFC 6750 §3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BearerChallenge {
    /// `realm`, if sent.
    pub realm: Option<String>,
    /// `error`, if sent.
    pub error: Option<BearerError>,
    /// `error_description`, if sent, unescaped.
    pub error_description: Option<String>,
    /// `error_uri`, if sent.
    pub error_uri: Option<String>,
    /// `scope` split on whitespace, in received order; empty when absent.
    pub scope: Vec<String>,
}

impl BearerChallenge {
    /// Reads a challenge whose scheme is `Bearer` (any case); `None` for any other scheme.
    ///
    /// ```
    /// use lucca_auth::www_authenticate::{parse_challenges, BearerChallenge};
    ///
    /// let parsed = parse_challenges(br#"Bearer scope="a  b", realm="api""#);
    /// let bearer = BearerChallenge::from_challenge(&parsed[0]).unwrap();
    /// assert_eq!(bearer.scope, ["a", "b"]);
    /// assert_eq!(bearer.realm.as_deref(), Some("api"));
    /// assert_eq!(bearer.error, None);
    /// ```
    #[must_use]
    pub fn from_challenge(challenge: &Challenge) -> Option<Self> {
        if !challenge.is_scheme("Bearer") {
            return None;
        }
        let text = |name: &str| challenge.param(name).map(ToOwned::to_owned);
        Some(BearerChallenge {
            realm: text("realm"),
            error: challenge.param("error").map(BearerError::from_code),
            error_description: text("error_description"),
            error_uri: text("error_uri"),
            scope: challenge
                .param("scope")
                .map(|s| s.split_ascii_whitespace().map(ToOwned::to_owned).collect())
                .unwrap_or_default(),
        })
    }
}

/// The first `Bearer` challenge (any case) among all `WWW-Authenticate` fields of `response`,
/// or `None` when the response has none.
///
/// ```
/// use lucca_auth::response::{Header, HttpResponse};
/// use lucca_auth::www_authenticate::{bearer_challenge, BearerError};
///
/// let headers = [Header {
///     name: "WWW-Authenticate",
///     value: br#"Bearer error="invalid_token", error_description="token revoked""#,
/// }];
/// let bearer = bearer_challenge(&HttpResponse::new(401, &headers, b"")).unwrap();
/// assert_eq!(bearer.error, Some(BearerError::InvalidToken));
/// assert_eq!(bearer.error_description.as_deref(), Some("token revoked"));
/// assert_eq!(bearer_challenge(&HttpResponse::new(401, &[], b"")), None);
/// ```
#[must_use]
pub fn bearer_challenge(response: &HttpResponse<'_>) -> Option<BearerChallenge> {
    challenges(response)
        .iter()
        .find_map(BearerChallenge::from_challenge)
}

/// `tchar` of RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The characters of `token68` before its trailing `=` padding (RFC 9110 §11.2).
fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A cursor over one field value. Every method stays in bounds and every loop in
/// [`parse_into`] advances the cursor or returns, so parsing is total and linear.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, pos: usize) -> Option<u8> {
        self.bytes.get(pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Skips optional whitespace; returns whether any was skipped.
    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Skips whitespace and empty list elements (`, ,`).
    fn skip_ws_and_commas(&mut self) {
        while self.peek().is_some_and(|b| is_ws(b) || b == b',') {
            self.pos += 1;
        }
    }

    /// Reads a token (possibly empty) as a `String`; tokens are ASCII.
    fn token(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        let bytes = self.bytes.get(start..self.pos).unwrap_or_default();
        bytes.iter().map(|&b| char::from(b)).collect()
    }

    /// The end of a `token68` starting at the cursor, if one is there and is followed only by
    /// whitespace and then a comma or the end of the value.
    fn token68_end(&self) -> Option<usize> {
        let mut end = self.pos;
        while self.peek_at(end).is_some_and(is_token68_char) {
            end += 1;
        }
        if end == self.pos {
            return None;
        }
        while self.peek_at(end) == Some(b'=') {
            end += 1;
        }
        let mut after = end;
        while self.peek_at(after).is_some_and(is_ws) {
            after += 1;
        }
        match self.peek_at(after) {
            None | Some(b',') => Some(end),
            Some(_) => None,
        }
    }

    /// Whether the cursor is at `token BWS "="`, the start of an auth-param.
    fn at_auth_param(&self) -> bool {
        let mut at = self.pos;
        while self.peek_at(at).is_some_and(is_tchar) {
            at += 1;
        }
        if at == self.pos {
            return false;
        }
        while self.peek_at(at).is_some_and(is_ws) {
            at += 1;
        }
        self.peek_at(at) == Some(b'=')
    }

    /// Reads a quoted string starting at the opening `"`, undoing `\` escapes. An
    /// unterminated string runs to the end of the value.
    fn quoted_string(&mut self) -> String {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(escaped) = self.peek() {
                        self.pos += 1;
                        out.push(escaped);
                    }
                }
                _ => out.push(b),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Reads an auth-param at the cursor (which [`Cursor::at_auth_param`] accepted).
    fn auth_param(&mut self) -> (String, String) {
        let name = self.token();
        self.skip_ws();
        // The `=` that `at_auth_param` saw.
        self.pos += 1;
        self.skip_ws();
        let value = if self.peek() == Some(b'"') {
            self.quoted_string()
        } else {
            self.token()
        };
        (name, value)
    }

    /// Skips to the next comma that is not inside a quoted string, or to the end.
    fn skip_item(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b',' => return,
                b'"' => {
                    let _ = self.quoted_string();
                }
                _ => self.pos += 1,
            }
        }
    }

    /// After an item: skips whitespace, then anything up to the next top-level comma.
    fn finish_item(&mut self) {
        self.skip_ws();
        if self.peek() != Some(b',') {
            self.skip_item();
        }
    }
}

/// Appends the challenges of one field value to `out`. The first auth-param of a challenge is
/// read with its scheme; every later auth-param (an item that starts `name =`) is added to the
/// last challenge in `out`, which also continues a challenge from a previous field line (see
/// [`challenges`]). Auth-params with no challenge before them, or after a challenge that has
/// a `token68` (which cannot also have auth-params), are dropped.
fn parse_into(value: &[u8], out: &mut Vec<Challenge>) {
    let mut cursor = Cursor {
        bytes: value,
        pos: 0,
    };
    loop {
        cursor.skip_ws_and_commas();
        if cursor.at_end() {
            return;
        }
        if cursor.at_auth_param() {
            let param = cursor.auth_param();
            if let Some(last) = out.last_mut().filter(|last| last.token68.is_none()) {
                last.params.push(param);
            }
            cursor.finish_item();
            continue;
        }
        let scheme = cursor.token();
        if scheme.is_empty() {
            // Not a token: drop this item. `skip_item` advances past at least this byte
            // unless it is a comma, which the next round skips.
            cursor.skip_item();
            continue;
        }
        let mut challenge = Challenge {
            scheme,
            token68: None,
            params: Vec::new(),
        };
        if cursor.skip_ws() {
            // `token68` first: `abc=` followed by a comma is a token68, not an empty param.
            if let Some(end) = cursor.token68_end() {
                let bytes = value.get(cursor.pos..end).unwrap_or_default();
                challenge.token68 = Some(bytes.iter().map(|&b| char::from(b)).collect());
                cursor.pos = end;
            } else if cursor.at_auth_param() {
                challenge.params.push(cursor.auth_param());
            }
        }
        out.push(challenge);
        cursor.finish_item();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Header;
    use alloc::string::ToString;
    use alloc::vec;
    use alloc::{format, string::String};

    /// A challenge written compactly: scheme, token68, params.
    fn ch(scheme: &str, token68: Option<&str>, params: &[(&str, &str)]) -> Challenge {
        Challenge {
            scheme: scheme.to_string(),
            token68: token68.map(ToString::to_string),
            params: params
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn parses_field_values_exactly() {
        let cases: &[(&[u8], Vec<Challenge>)] = &[
            (b"", vec![]),
            (b"  , ,", vec![]),
            (b"Bearer", vec![ch("Bearer", None, &[])]),
            (b"bearer", vec![ch("bearer", None, &[])]),
            (
                br#"Bearer realm="example""#,
                vec![ch("Bearer", None, &[("realm", "example")])],
            ),
            (
                br#"Bearer error="insufficient_scope", scope="leaves.readwrite""#,
                vec![ch(
                    "Bearer",
                    None,
                    &[("error", "insufficient_scope"), ("scope", "leaves.readwrite")],
                )],
            ),
            // BWS around `=`, token values, tabs.
            (
                b"Bearer realm = api ,\terror\t=\tinvalid_token",
                vec![ch(
                    "Bearer",
                    None,
                    &[("realm", "api"), ("error", "invalid_token")],
                )],
            ),
            // Several challenges in one value, commas and escapes inside quoted strings.
            (
                br#"Basic realm="legacy", Bearer realm="api", error="insufficient_scope", error_description="requires \"leaves.readonly\", granted: none", scope="leaves.readonly leave-requests.readonly""#,
                vec![
                    ch("Basic", None, &[("realm", "legacy")]),
                    ch(
                        "Bearer",
                        None,
                        &[
                            ("realm", "api"),
                            ("error", "insufficient_scope"),
                            (
                                "error_description",
                                r#"requires "leaves.readonly", granted: none"#,
                            ),
                            ("scope", "leaves.readonly leave-requests.readonly"),
                        ],
                    ),
                ],
            ),
            // token68 with and without padding, then another challenge.
            (
                b"Negotiate a87421000492aa874209af8bc028==, NTLM, Basic realm=x",
                vec![
                    ch("Negotiate", Some("a87421000492aa874209af8bc028=="), &[]),
                    ch("NTLM", None, &[]),
                    ch("Basic", None, &[("realm", "x")]),
                ],
            ),
            (b"Custom abc/+def", vec![ch("Custom", Some("abc/+def"), &[])]),
            (b"Custom abc= , X", vec![ch("Custom", Some("abc="), &[]), ch("X", None, &[])]),
            // Found by fuzzing: a token68 challenge takes no auth-params after it.
            (
                br#"Bearer e, error="invalid_token", Basic x=y"#,
                vec![ch("Bearer", Some("e"), &[]), ch("Basic", None, &[("x", "y")])],
            ),
            // Schemes without params separated by commas.
            (
                b"Basic, Bearer",
                vec![ch("Basic", None, &[]), ch("Bearer", None, &[])],
            ),
            // Empty quoted string, empty token value, backslash at the very end.
            (
                br#"Bearer realm="", error=, scope="a\"#,
                vec![ch(
                    "Bearer",
                    None,
                    &[("realm", ""), ("error", ""), ("scope", "a")],
                )],
            ),
            // Unterminated quoted string runs to the end.
            (
                br#"Bearer error_description="oops, Basic realm=x"#,
                vec![ch(
                    "Bearer",
                    None,
                    &[("error_description", "oops, Basic realm=x")],
                )],
            ),
            // Junk after a value is skipped up to the next comma.
            (
                br#"Bearer realm="a" junk "b,c", error=invalid_token"#,
                vec![ch(
                    "Bearer",
                    None,
                    &[("realm", "a"), ("error", "invalid_token")],
                )],
            ),
            // Items that are not tokens are dropped.
            (
                br#""quoted", @@, Bearer realm=x"#,
                vec![ch("Bearer", None, &[("realm", "x")])],
            ),
            // Params before any scheme are dropped.
            (
                b"realm=x, Bearer",
                vec![ch("Bearer", None, &[])],
            ),
            // A scheme glued to junk keeps the scheme and drops the junk.
            (
                br#"Bearer"x", Basic"#,
                vec![ch("Bearer", None, &[]), ch("Basic", None, &[])],
            ),
            // Non-UTF-8 inside a quoted string.
            (
                b"Bearer realm=\"caf\xe9\"",
                vec![ch("Bearer", None, &[("realm", "caf\u{fffd}")])],
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                &parse_challenges(input),
                expected,
                "input: {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn lookups_are_case_insensitive() {
        let parsed = parse_challenges(br#"BEARER Realm="a", realm="b""#);
        let [challenge] = parsed.as_slice() else {
            panic!("expected one challenge, got {parsed:?}");
        };
        assert_eq!(challenge.scheme(), "BEARER");
        assert!(challenge.is_scheme("bearer"));
        assert!(!challenge.is_scheme("basic"));
        assert_eq!(challenge.param("REALM"), Some("a"));
        assert_eq!(challenge.token68(), None);
        assert_eq!(challenge.params().len(), 2);
    }

    #[test]
    fn bearer_errors_round_trip() {
        let cases = [
            (
                "invalid_request",
                BearerError::InvalidRequest,
                "invalid_request",
            ),
            ("invalid_token", BearerError::InvalidToken, "invalid_token"),
            (
                "insufficient_scope",
                BearerError::InsufficientScope,
                "insufficient_scope",
            ),
            ("Invalid_Token", BearerError::InvalidToken, "invalid_token"),
            ("", BearerError::Other(String::new()), ""),
            ("quota", BearerError::Other("quota".into()), "quota"),
        ];
        for (code, error, shown) in cases {
            assert_eq!(BearerError::from_code(code), error, "{code}");
            assert_eq!(error.as_str(), shown);
            assert_eq!(format!("{error}"), shown);
        }
    }

    fn response_challenge(lines: &[&[u8]]) -> Option<BearerChallenge> {
        let headers: Vec<Header<'_>> = lines
            .iter()
            .map(|value| Header {
                name: "WWW-Authenticate",
                value,
            })
            .collect();
        bearer_challenge(&HttpResponse::new(403, &headers, b""))
    }

    #[test]
    fn bearer_challenge_from_responses() {
        let full = |realm: Option<&str>,
                    error: Option<BearerError>,
                    description: Option<&str>,
                    scope: &[&str]| BearerChallenge {
            realm: realm.map(Into::into),
            error,
            error_description: description.map(Into::into),
            error_uri: None,
            scope: scope.iter().map(ToString::to_string).collect(),
        };
        let cases: &[(&[&[u8]], Option<BearerChallenge>)] = &[
            (&[], None),
            (&[br#"Basic realm="x""#], None),
            (&[b"Bearer"], Some(BearerChallenge::default())),
            (
                &[br#"bearer scope="a.read  b.write ", error="insufficient_scope""#],
                Some(full(
                    None,
                    Some(BearerError::InsufficientScope),
                    None,
                    &["a.read", "b.write"],
                )),
            ),
            // Split across two lines: the second continues the first.
            (
                &[
                    br#"Bearer realm="api""#,
                    br#"error="insufficient_scope", scope="x""#,
                ],
                Some(full(
                    Some("api"),
                    Some(BearerError::InsufficientScope),
                    None,
                    &["x"],
                )),
            ),
            // Bearer on the second line after a Basic challenge.
            (
                &[
                    br#"Basic realm="legacy""#,
                    br#"Bearer error="invalid_token""#,
                ],
                Some(full(None, Some(BearerError::InvalidToken), None, &[])),
            ),
            // The first Bearer challenge wins.
            (
                &[br#"Bearer realm="one", Bearer realm="two""#],
                Some(full(Some("one"), None, None, &[])),
            ),
            // A quoted string does not run into the next line.
            (
                &[br#"Bearer error_description="cut"#, br#"Basic realm="x""#],
                Some(full(None, None, Some("cut"), &[])),
            ),
        ];
        for (lines, expected) in cases {
            assert_eq!(&response_challenge(lines), expected, "{lines:?}");
        }
    }

    #[test]
    fn error_uri_is_kept() {
        let bearer = response_challenge(&[br#"Bearer error_uri="https://e.example/x""#]);
        assert_eq!(
            bearer.and_then(|b| b.error_uri).as_deref(),
            Some("https://e.example/x")
        );
    }

    mod properties {
        use super::super::*;
        use alloc::string::String;
        use alloc::vec::Vec;
        use proptest::prelude::*;

        /// Writes `value` as a quoted string, escaping `"` and `\`.
        fn quote(value: &str) -> String {
            let mut out = String::from("\"");
            for c in value.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
            out
        }

        proptest! {
            #[test]
            fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                let parsed = parse_challenges(&bytes);
                for challenge in &parsed {
                    let _ = BearerChallenge::from_challenge(challenge);
                }
            }

            #[test]
            fn never_panics_on_header_like_bytes(
                bytes in proptest::collection::vec(
                    prop_oneof![
                        Just(b'"'), Just(b'\\'), Just(b','), Just(b'='), Just(b' '),
                        Just(b'\t'), Just(b'a'), Just(b'B'), any::<u8>()
                    ],
                    0..128,
                )
            ) {
                let _ = parse_challenges(&bytes);
            }

            #[test]
            fn quoted_values_round_trip(
                values in proptest::collection::vec("[ -~\u{e9}\u{1f600}]{0,24}", 1..4),
                lower in any::<bool>(),
            ) {
                let scheme = if lower { "bearer" } else { "Bearer" };
                let params: Vec<String> = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| alloc::format!("p{i} = {}", quote(v)))
                    .collect();
                let header = alloc::format!("Basic realm=\"x\", {scheme} {}", params.join(", "));
                let parsed = parse_challenges(header.as_bytes());
                prop_assert_eq!(parsed.len(), 2);
                let bearer = &parsed[1];
                prop_assert!(bearer.is_scheme("Bearer"));
                let got: Vec<&str> = bearer.params().iter().map(|(_, v)| v.as_str()).collect();
                let want: Vec<&str> = values.iter().map(String::as_str).collect();
                prop_assert_eq!(got, want);
            }
        }
    }
}
