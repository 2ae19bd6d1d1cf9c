//! Where requests go: the OAuth [`TokenEndpoint`], the tenant's API origin [`TenantHost`], and
//! [`EndpointError`] for URLs that are refused.
//!
//! URLs are parsed by hand (the core is `no_std`) and deliberately strictly:
//!
//! - only `https`, and plain `http` only when the host is a loopback IP literal
//!   (`127.0.0.0/8`, `[::1]`) or exactly `localhost` — so `http://127.0.0.1.example.com` and
//!   `http://localhost.evil.com` are refused;
//! - the scheme and host are lowercased, an IPv6 literal is kept in brackets in its RFC 5952
//!   canonical form, and an explicit default port (`:443` for https, `:80` for http) is
//!   removed;
//! - host names are ASCII letter-digit-hyphen labels (IDNs must be given in punycode); a host
//!   whose last label is numeric must be a dotted-decimal IPv4 address with four parts and no
//!   leading zeros (`127.1`, `0x7f.0.0.1` and `010.0.0.1` are refused, not reinterpreted);
//! - userinfo (`user:pass@`), fragments, whitespace, control characters, non-ASCII characters,
//!   `\` and any character RFC 3986 does not allow are refused rather than repaired.
//!
//! Errors never repeat the input: it may hold credentials.
//!
//! ```
//! use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
//!
//! let token = TokenEndpoint::default();
//! assert_eq!(token.as_str(), "https://accounts.world.luccasoftware.com/connect/token");
//! assert_eq!(token.host_header(), "accounts.world.luccasoftware.com");
//! assert_eq!(token.path(), "/connect/token");
//!
//! let tenant = TenantHost::parse("https://Example.ilucca.net/lucca-api/")?;
//! assert_eq!(tenant.origin(), "https://example.ilucca.net");
//! assert_eq!(
//!     tenant.url_for("/lucca-api/leaves?limit=10")?,
//!     "https://example.ilucca.net/lucca-api/leaves?limit=10"
//! );
//! assert!(tenant.same_origin("https://example.ilucca.net:443/lucca-api/leaves?page=2"));
//! assert!(!tenant.same_origin("https://example.ilucca.net.evil.com/lucca-api/leaves"));
//! # Ok::<(), lucca_auth::endpoint::EndpointError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::fmt::Write as _;
use core::str::FromStr;

/// Lucca's token endpoint, the default of [`TokenEndpoint`].
pub const DEFAULT_TOKEN_ENDPOINT: &str = "https://accounts.world.luccasoftware.com/connect/token";

/// Why a URL, origin or path was refused. Never contains the input itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndpointError {
    /// The URL has no `scheme://` prefix.
    MissingScheme,
    /// The scheme is neither `https` nor `http`.
    UnsupportedScheme,
    /// Plain `http` to a host that is not loopback (`127.0.0.0/8`, `[::1]`, `localhost`).
    InsecureScheme,
    /// A character that may not appear there: whitespace, a control character, a non-ASCII
    /// character, `\`, a character RFC 3986 does not allow, or a `%` not followed by two
    /// hexadecimal digits.
    InvalidCharacter {
        /// Byte offset of the character in the input.
        position: usize,
    },
    /// The URL has userinfo (`user:password@host`).
    Userinfo,
    /// The host is empty.
    EmptyHost,
    /// The host is not a valid DNS name, IPv4 address or bracketed IPv6 address.
    InvalidHost,
    /// The port is empty, not a number, 0, or above 65535.
    InvalidPort,
    /// The path or query contains a character not allowed there (such as `[` or `]`), or the
    /// path does not start with `/`.
    InvalidPath,
    /// A tenant host had a path other than `/`, `/lucca-api` or `/lucca-api/`.
    PathNotAllowed,
    /// A tenant host had a query (`?…`).
    Query,
    /// The URL or path has a fragment (`#…`).
    Fragment,
    /// An API path did not start with exactly one `/` (`//host/…`, `https://…` and relative
    /// paths are refused: they could send the request to another host).
    NotHostAbsolute,
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::MissingScheme => f.write_str("URL has no scheme (expected https://)"),
            EndpointError::UnsupportedScheme => f.write_str("URL scheme is not https or http"),
            EndpointError::InsecureScheme => f.write_str(
                "plain http is allowed only for loopback hosts (127.0.0.0/8, [::1], localhost)",
            ),
            EndpointError::InvalidCharacter { position } => {
                write!(f, "invalid character in URL at byte {position}")
            }
            EndpointError::Userinfo => f.write_str("URL must not contain userinfo (user@host)"),
            EndpointError::EmptyHost => f.write_str("URL has an empty host"),
            EndpointError::InvalidHost => f.write_str("URL host is not a valid host name or IP"),
            EndpointError::InvalidPort => f.write_str("URL port is not a number from 1 to 65535"),
            EndpointError::InvalidPath => f.write_str("URL path or query is not valid"),
            EndpointError::PathNotAllowed => {
                f.write_str("tenant host must have no path other than / or /lucca-api")
            }
            EndpointError::Query => f.write_str("tenant host must not have a query"),
            EndpointError::Fragment => f.write_str("URL must not have a fragment"),
            EndpointError::NotHostAbsolute => f.write_str("API path must start with a single '/'"),
        }
    }
}

impl core::error::Error for EndpointError {}

/// The scheme of an accepted URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `https`.
    Https,
    /// Plain `http`, accepted only for loopback hosts.
    Http,
}

impl Scheme {
    /// `"https"` or `"http"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }

    /// 443 or 80.
    #[must_use]
    pub const fn default_port(self) -> u16 {
        match self {
            Scheme::Https => 443,
            Scheme::Http => 80,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing building blocks.

/// Characters RFC 3986 allows anywhere in a URI (unreserved, gen-delims, sub-delims, `%`).
const fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b':'
                | b'/'
                | b'?'
                | b'#'
                | b'['
                | b']'
                | b'@'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b'%'
        )
}

/// Checks that `input` holds only URI characters and well-formed `%XX` escapes.
fn check_uri_chars(input: &str) -> Result<(), EndpointError> {
    let bytes = input.as_bytes();
    for (position, &b) in bytes.iter().enumerate() {
        let ok = is_uri_char(b)
            && (b != b'%'
                || matches!(
                    (bytes.get(position + 1), bytes.get(position + 2)),
                    (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit()
                ));
        if !ok {
            return Err(EndpointError::InvalidCharacter { position });
        }
    }
    Ok(())
}

/// Checks a path-and-query (after [`check_uri_chars`]): starts with `/`, no fragment, no `[`
/// or `]` (gen-delims that RFC 3986 allows only in the host).
fn check_path_and_query(target: &str) -> Result<(), EndpointError> {
    if target.contains('#') {
        return Err(EndpointError::Fragment);
    }
    if !target.starts_with('/') || target.contains(['[', ']']) {
        return Err(EndpointError::InvalidPath);
    }
    Ok(())
}

/// What kind of host was parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum HostKind {
    Domain,
    Ipv4([u8; 4]),
    Ipv6([u16; 8]),
}

impl HostKind {
    fn is_loopback(self, host: &str) -> bool {
        match self {
            HostKind::Domain => host == "localhost",
            HostKind::Ipv4([first, ..]) => first == 127,
            HostKind::Ipv6(groups) => groups == [0, 0, 0, 0, 0, 0, 0, 1],
        }
    }
}

/// A parsed, normalised origin: scheme, host (lowercase, IPv6 in brackets) and effective port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Origin {
    scheme: Scheme,
    host: String,
    port: u16,
    loopback: bool,
}

impl Origin {
    /// `host` or `host:port` when the port is not the scheme's default.
    fn authority(&self) -> String {
        let mut out = self.host.clone();
        if self.port != self.scheme.default_port() {
            let _ = write!(out, ":{}", self.port);
        }
        out
    }

    fn serialize(&self) -> String {
        let mut out = String::from(self.scheme.as_str());
        out.push_str("://");
        out.push_str(&self.authority());
        out
    }

    fn require_secure(&self) -> Result<(), EndpointError> {
        if self.scheme == Scheme::Http && !self.loopback {
            return Err(EndpointError::InsecureScheme);
        }
        Ok(())
    }
}

/// Splits `scheme://rest` and parses the scheme. `None` when there is no `://`.
fn split_scheme(input: &str) -> Option<Result<(Scheme, &str), EndpointError>> {
    let (scheme, rest) = input.split_once("://")?;
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        Scheme::Https
    } else if scheme.eq_ignore_ascii_case("http") {
        Scheme::Http
    } else {
        return Some(Err(EndpointError::UnsupportedScheme));
    };
    Some(Ok((scheme, rest)))
}

/// Parses `authority[/path][?query][#fragment]` (after `scheme://`). Returns the origin and
/// the rest, which is empty or starts with `/`, `?` or `#`.
fn parse_after_scheme(scheme: Scheme, rest: &str) -> Result<(Origin, &str), EndpointError> {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(end);
    if authority.contains('@') {
        return Err(EndpointError::Userinfo);
    }
    if authority.is_empty() {
        return Err(EndpointError::EmptyHost);
    }
    let (host, kind, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed
            .split_once(']')
            .ok_or(EndpointError::InvalidHost)?;
        let groups = parse_ipv6(inside).ok_or(EndpointError::InvalidHost)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(EndpointError::InvalidHost)?),
        };
        let mut host = String::from("[");
        write_ipv6(&mut host, groups);
        host.push(']');
        (host, HostKind::Ipv6(groups), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(EndpointError::EmptyHost);
        }
        let host = host.to_ascii_lowercase();
        let kind = classify_host(&host)?;
        (host, kind, port)
    };
    let port = match port {
        None => scheme.default_port(),
        Some(port) => parse_port(port)?,
    };
    let loopback = kind.is_loopback(&host);
    Ok((
        Origin {
            scheme,
            host,
            port,
            loopback,
        },
        rest,
    ))
}

/// Port: 1 to 5 digits, 1..=65535.
fn parse_port(port: &str) -> Result<u16, EndpointError> {
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EndpointError::InvalidPort);
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(EndpointError::InvalidPort),
        Ok(port) => Ok(port),
    }
}

/// Validates a lowercase, non-bracketed host: LDH labels, or strict dotted-decimal IPv4 when
/// the last label looks numeric (as browsers would read it as an address).
fn classify_host(host: &str) -> Result<HostKind, EndpointError> {
    if host.len() > 253 {
        return Err(EndpointError::InvalidHost);
    }
    for label in host.split('.') {
        let valid = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(EndpointError::InvalidHost);
        }
    }
    let last = host.rsplit('.').next().unwrap_or(host);
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || last
            .strip_prefix("0x")
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !numeric {
        return Ok(HostKind::Domain);
    }
    parse_ipv4(host)
        .map(HostKind::Ipv4)
        .ok_or(EndpointError::InvalidHost)
}

/// Strict dotted-decimal IPv4: four parts, each 0..=255, no leading zeros.
fn parse_ipv4(text: &str) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        let valid = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        if !valid {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(octets)
}

/// Parses the text between the brackets of an IPv6 literal (RFC 4291 §2.2, no zone id).
fn parse_ipv6(text: &str) -> Option<[u16; 8]> {
    /// Parses `a:b:c` groups; the last may be a dotted IPv4 address when `v4_tail`.
    fn groups(part: &str, v4_tail: bool, out: &mut Vec<u16>) -> Option<()> {
        if part.is_empty() {
            return Some(());
        }
        let mut pieces = part.split(':').peekable();
        while let Some(piece) = pieces.next() {
            let last = pieces.peek().is_none();
            if last && v4_tail && piece.contains('.') {
                let [a, b, c, d] = parse_ipv4(piece)?;
                out.push(u16::from_be_bytes([a, b]));
                out.push(u16::from_be_bytes([c, d]));
            } else {
                if piece.is_empty()
                    || piece.len() > 4
                    || !piece.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    return None;
                }
                out.push(u16::from_str_radix(piece, 16).ok()?);
            }
            if out.len() > 8 {
                return None;
            }
        }
        Some(())
    }

    let mut head = Vec::with_capacity(8);
    let mut tail = Vec::with_capacity(8);
    match text.split_once("::") {
        Some((before, after)) => {
            if after.contains("::") {
                return None;
            }
            groups(before, false, &mut head)?;
            groups(after, true, &mut tail)?;
            if head.len() + tail.len() > 7 {
                return None;
            }
        }
        None => {
            groups(text, true, &mut head)?;
            if head.len() != 8 {
                return None;
            }
        }
    }
    let mut result = [0u16; 8];
    let tail_start = 8 - tail.len();
    for (slot, value) in result.iter_mut().zip(head) {
        *slot = value;
    }
    for (slot, value) in result.iter_mut().skip(tail_start).zip(tail) {
        *slot = value;
    }
    Some(result)
}

/// Writes `groups` in RFC 5952 form: lowercase hex, no leading zeros, the longest run of two
/// or more zero groups (the first one on a tie) as `::`.
fn write_ipv6(out: &mut String, groups: [u16; 8]) {
    let (mut best_start, mut best_len) = (0usize, 0usize);
    let mut i = 0;
    while i < 8 {
        let run = groups.iter().skip(i).take_while(|&&g| g == 0).count();
        if run > best_len {
            (best_start, best_len) = (i, run);
        }
        i += run.max(1);
    }
    if best_len < 2 {
        best_len = 0;
    }
    let mut i = 0;
    while i < 8 {
        if best_len > 0 && i == best_start {
            out.push_str("::");
            i += best_len;
            continue;
        }
        if i > 0 && !out.ends_with(':') {
            out.push(':');
        }
        let _ = write!(out, "{:x}", groups.get(i).copied().unwrap_or(0));
        i += 1;
    }
}

// ---------------------------------------------------------------------------------------------

/// The OAuth 2.0 token endpoint: an absolute `https` URL (or `http` to a loopback host), with a
/// path and optionally a query, without userinfo or fragment (RFC 6749 §3.2).
///
/// The default is Lucca's endpoint, [`DEFAULT_TOKEN_ENDPOINT`].
///
/// ```
/// use lucca_auth::endpoint::{EndpointError, Scheme, TokenEndpoint};
///
/// let e = TokenEndpoint::parse("HTTP://[0:0::1]:8080/connect/token")?;
/// assert_eq!(e.as_str(), "http://[::1]:8080/connect/token");
/// assert_eq!((e.scheme(), e.host(), e.port()), (Scheme::Http, "[::1]", 8080));
/// assert_eq!(e.host_header(), "[::1]:8080");
/// assert!(e.is_loopback());
///
/// assert_eq!(
///     TokenEndpoint::parse("http://127.0.0.1.example.com/token"),
///     Err(EndpointError::InsecureScheme)
/// );
/// # Ok::<(), EndpointError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenEndpoint {
    origin: Origin,
    url: String,
    authority: String,
    target: String,
}

impl TokenEndpoint {
    /// Parses and normalises a token endpoint URL. A missing path becomes `/`.
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        check_uri_chars(url)?;
        let (scheme, rest) = split_scheme(url).ok_or(EndpointError::MissingScheme)??;
        let (origin, rest) = parse_after_scheme(scheme, rest)?;
        origin.require_secure()?;
        let mut target = String::new();
        if !rest.starts_with('/') {
            target.push('/');
        }
        target.push_str(rest);
        check_path_and_query(&target)?;
        Ok(TokenEndpoint::from_parts(origin, target))
    }

    fn from_parts(origin: Origin, target: String) -> Self {
        let authority = origin.authority();
        let mut url = origin.serialize();
        url.push_str(&target);
        TokenEndpoint {
            origin,
            url,
            authority,
            target,
        }
    }

    /// The normalised URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.origin.scheme
    }

    /// The host, lowercase; an IPv6 address in brackets (`[::1]`), as in the URL.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.origin.host
    }

    /// The effective port: the explicit one, else 443 for https and 80 for http.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.origin.port
    }

    /// The `Host` header value: the host, plus `:port` when the port is not the default.
    #[must_use]
    pub fn host_header(&self) -> &str {
        &self.authority
    }

    /// The request target: the path and, if any, `?query` (origin-form, RFC 9112 §3.2.1).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.target
    }

    /// Whether the host is loopback (`127.0.0.0/8`, `[::1]` or `localhost`).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.origin.loopback
    }
}

impl Default for TokenEndpoint {
    /// [`DEFAULT_TOKEN_ENDPOINT`].
    fn default() -> Self {
        TokenEndpoint::from_parts(
            Origin {
                scheme: Scheme::Https,
                host: String::from("accounts.world.luccasoftware.com"),
                port: 443,
                loopback: false,
            },
            String::from("/connect/token"),
        )
    }
}

impl fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenEndpoint").field(&self.url).finish()
    }
}

impl fmt::Display for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl FromStr for TokenEndpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, EndpointError> {
        TokenEndpoint::parse(s)
    }
}

/// A tenant's API origin, such as `https://{account}.ilucca.net` or a sandbox host
/// `https://{account}-{name}.sandbox.eu1.luccasoftware.com`. Any https origin is accepted; no
/// host name is hard-coded.
///
/// Accepted forms, all normalised to the origin `scheme://host[:port]`:
/// - `https://host`, `https://host/`, `https://host/lucca-api`, `https://host/lucca-api/`
///   (as Lucca's documentation prints them);
/// - a bare `host` or `host:port` without scheme, taken as `https` (plain http must always be
///   written out, and is then allowed only for loopback hosts).
///
/// Any other path, a query, a fragment or userinfo is an error.
///
/// ```
/// use lucca_auth::endpoint::{EndpointError, TenantHost};
///
/// for input in [
///     "https://example.ilucca.net",
///     "https://example.ilucca.net/",
///     "https://example.ilucca.net/lucca-api",
///     "https://EXAMPLE.ilucca.net:443/lucca-api/",
///     "example.ilucca.net",
/// ] {
///     assert_eq!(TenantHost::parse(input)?.origin(), "https://example.ilucca.net");
/// }
/// assert_eq!(
///     TenantHost::parse("https://example.ilucca.net/api/v3"),
///     Err(EndpointError::PathNotAllowed)
/// );
/// # Ok::<(), EndpointError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TenantHost {
    origin: Origin,
    serialized: String,
    authority: String,
}

impl TenantHost {
    /// Parses and normalises a tenant origin (see the type's documentation for the forms).
    pub fn parse(input: &str) -> Result<Self, EndpointError> {
        check_uri_chars(input)?;
        let (scheme, rest) = split_scheme(input).unwrap_or(Ok((Scheme::Https, input)))?;
        let (origin, rest) = parse_after_scheme(scheme, rest)?;
        if rest.contains('#') {
            return Err(EndpointError::Fragment);
        }
        if rest.contains('?') {
            return Err(EndpointError::Query);
        }
        if !matches!(rest, "" | "/" | "/lucca-api" | "/lucca-api/") {
            return Err(EndpointError::PathNotAllowed);
        }
        origin.require_secure()?;
        Ok(TenantHost {
            serialized: origin.serialize(),
            authority: origin.authority(),
            origin,
        })
    }

    /// The origin, `scheme://host[:port]`, with no trailing `/`.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.serialized
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.origin.scheme
    }

    /// The host, lowercase; an IPv6 address in brackets.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.origin.host
    }

    /// The effective port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.origin.port
    }

    /// The `Host` header value: the host, plus `:port` when the port is not the default.
    #[must_use]
    pub fn host_header(&self) -> &str {
        &self.authority
    }

    /// Whether the host is loopback (`127.0.0.0/8`, `[::1]` or `localhost`).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.origin.loopback
    }

    /// Checks that `path` is a host-absolute path with an optional query, safe to send as the
    /// request target to this host, and returns it unchanged.
    ///
    /// It must start with exactly one `/`; `//other-host/…`, absolute URLs, relative paths, a
    /// fragment, whitespace, control or non-ASCII characters, `\` and malformed `%` escapes are
    /// refused. Dot segments are sent as they are.
    ///
    /// ```
    /// use lucca_auth::endpoint::{EndpointError, TenantHost};
    ///
    /// let tenant = TenantHost::parse("example.ilucca.net")?;
    /// assert_eq!(tenant.request_target("/lucca-api/users?fields=id")?, "/lucca-api/users?fields=id");
    /// assert_eq!(tenant.request_target("//evil.com/x"), Err(EndpointError::NotHostAbsolute));
    /// # Ok::<(), EndpointError>(())
    /// ```
    pub fn request_target<'p>(&self, path: &'p str) -> Result<&'p str, EndpointError> {
        if !path.starts_with('/') || path.starts_with("//") {
            return Err(EndpointError::NotHostAbsolute);
        }
        check_uri_chars(path)?;
        check_path_and_query(path)?;
        Ok(path)
    }

    /// The absolute URL of a host-absolute `path` (with optional query) on this origin,
    /// validated as [`request_target`](TenantHost::request_target).
    ///
    /// ```
    /// use lucca_auth::endpoint::{EndpointError, TenantHost};
    ///
    /// let tenant = TenantHost::parse("https://acme-demo.sandbox.eu1.luccasoftware.com")?;
    /// assert_eq!(
    ///     tenant.url_for("/lucca-api/leaves?limit=10")?,
    ///     "https://acme-demo.sandbox.eu1.luccasoftware.com/lucca-api/leaves?limit=10"
    /// );
    /// assert_eq!(tenant.url_for("https://evil.com/"), Err(EndpointError::NotHostAbsolute));
    /// # Ok::<(), EndpointError>(())
    /// ```
    pub fn url_for(&self, path: &str) -> Result<String, EndpointError> {
        let path = self.request_target(path)?;
        let mut url = String::with_capacity(self.serialized.len() + path.len());
        url.push_str(&self.serialized);
        url.push_str(path);
        Ok(url)
    }

    /// Whether a link (such as a pager's `next`) points to this origin, so that it may be
    /// followed with this tenant's token.
    ///
    /// An absolute URL must have exactly the same scheme, host and effective port after
    /// normalisation (`https://EXAMPLE.ilucca.net:443/x` matches `https://example.ilucca.net`);
    /// a host-absolute path accepted by [`request_target`](TenantHost::request_target) is on
    /// this origin by definition. Anything else — another host, scheme or port, userinfo,
    /// scheme-relative `//host/…`, relative paths, malformed URLs — is `false`.
    ///
    /// ```
    /// use lucca_auth::endpoint::TenantHost;
    ///
    /// let tenant = TenantHost::parse("https://example.ilucca.net")?;
    /// assert!(tenant.same_origin("https://example.ilucca.net/lucca-api/leaves?page=2"));
    /// assert!(tenant.same_origin("/lucca-api/leaves?page=2"));
    /// assert!(!tenant.same_origin("http://example.ilucca.net/lucca-api/leaves"));
    /// assert!(!tenant.same_origin("https://example.ilucca.net:8443/lucca-api/leaves"));
    /// assert!(!tenant.same_origin("https://example.ilucca.net@evil.com/"));
    /// assert!(!tenant.same_origin("//evil.com/lucca-api/leaves"));
    /// # Ok::<(), lucca_auth::endpoint::EndpointError>(())
    /// ```
    #[must_use]
    pub fn same_origin(&self, url: &str) -> bool {
        if url.starts_with('/') {
            return self.request_target(url).is_ok();
        }
        if check_uri_chars(url).is_err() {
            return false;
        }
        let Some(Ok((scheme, rest))) = split_scheme(url) else {
            return false;
        };
        match parse_after_scheme(scheme, rest) {
            Ok((origin, _)) => {
                origin.scheme == self.origin.scheme
                    && origin.host == self.origin.host
                    && origin.port == self.origin.port
            }
            Err(_) => false,
        }
    }
}

impl fmt::Debug for TenantHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TenantHost").field(&self.serialized).finish()
    }
}

impl fmt::Display for TenantHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialized)
    }
}

impl FromStr for TenantHost {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, EndpointError> {
        TenantHost::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    use EndpointError::*;

    #[test]
    fn default_token_endpoint_is_lucca_and_equals_its_parse() -> Result<(), EndpointError> {
        let default = TokenEndpoint::default();
        assert_eq!(default, TokenEndpoint::parse(DEFAULT_TOKEN_ENDPOINT)?);
        assert_eq!(default.as_str(), DEFAULT_TOKEN_ENDPOINT);
        assert_eq!(default.scheme(), Scheme::Https);
        assert_eq!(default.host(), "accounts.world.luccasoftware.com");
        assert_eq!(default.port(), 443);
        assert_eq!(default.host_header(), "accounts.world.luccasoftware.com");
        assert_eq!(default.path(), "/connect/token");
        assert!(!default.is_loopback());
        Ok(())
    }

    #[test]
    fn token_endpoint_accepted_table() -> Result<(), EndpointError> {
        // (input, normalised URL, Host header, port, request target, loopback)
        type Case = (
            &'static str,
            &'static str,
            &'static str,
            u16,
            &'static str,
            bool,
        );
        #[rustfmt::skip]
        let cases: &[Case] = &[
            ("HTTPS://Accounts.World.LuccaSoftware.com:443/connect/token",
                "https://accounts.world.luccasoftware.com/connect/token",
                "accounts.world.luccasoftware.com", 443, "/connect/token", false),
            ("https://idp.example.com:8443/oauth2/token?tenant=a%20b",
                "https://idp.example.com:8443/oauth2/token?tenant=a%20b",
                "idp.example.com:8443", 8443, "/oauth2/token?tenant=a%20b", false),
            ("https://idp.example.com", "https://idp.example.com/", "idp.example.com", 443, "/", false),
            ("https://idp.example.com?x=1", "https://idp.example.com/?x=1", "idp.example.com", 443, "/?x=1", false),
            ("http://127.0.0.1:8080/token", "http://127.0.0.1:8080/token", "127.0.0.1:8080", 8080, "/token", true),
            ("http://127.255.0.9:80/token", "http://127.255.0.9/token", "127.255.0.9", 80, "/token", true),
            ("http://LOCALHOST:3000/t", "http://localhost:3000/t", "localhost:3000", 3000, "/t", true),
            ("http://[::1]:9000/t", "http://[::1]:9000/t", "[::1]:9000", 9000, "/t", true),
            ("http://[0000:0:0:0:0:0:0:0001]/t", "http://[::1]/t", "[::1]", 80, "/t", true),
            ("https://[2001:DB8:0:0:1:0:0:1]:443/t", "https://[2001:db8::1:0:0:1]/t",
                "[2001:db8::1:0:0:1]", 443, "/t", false),
            ("https://[::ffff:192.0.2.1]/t", "https://[::ffff:c000:201]/t", "[::ffff:c000:201]", 443, "/t", false),
            ("https://10.0.0.1/t", "https://10.0.0.1/t", "10.0.0.1", 443, "/t", false),
            ("https://localhost.evil.com/t", "https://localhost.evil.com/t", "localhost.evil.com", 443, "/t", false),
        ];
        for &(input, url, host_header, port, path, loopback) in cases {
            let e = TokenEndpoint::parse(input)?;
            assert_eq!(e.as_str(), url, "{input}");
            assert_eq!(e.host_header(), host_header, "{input}");
            let host = host_header
                .rsplit_once(':')
                .filter(|(_, p)| p.parse::<u16>().is_ok());
            assert_eq!(e.host(), host.map_or(host_header, |(h, _)| h), "{input}");
            assert_eq!(e.port(), port, "{input}");
            assert_eq!(e.path(), path, "{input}");
            assert_eq!(e.is_loopback(), loopback, "{input}");
            assert_eq!(e.to_string(), url);
            // Normalisation is idempotent.
            assert_eq!(TokenEndpoint::parse(url)?, e, "{input}");
        }
        Ok(())
    }

    #[test]
    fn token_endpoint_refused_table() {
        let cases: &[(&str, EndpointError)] = &[
            ("", MissingScheme),
            (
                "accounts.world.luccasoftware.com/connect/token",
                MissingScheme,
            ),
            ("ftp://example.com/t", UnsupportedScheme),
            ("https:/example.com/t", MissingScheme),
            ("http://example.com/t", InsecureScheme),
            ("http://127.0.0.1.example.com/t", InsecureScheme),
            ("http://localhost.evil.com/t", InsecureScheme),
            ("http://10.0.0.1/t", InsecureScheme),
            ("http://[::2]/t", InsecureScheme),
            ("http://[::ffff:127.0.0.1]/t", InsecureScheme),
            ("http://0.0.0.0/t", InsecureScheme),
            ("https://user:pw@example.com/t", Userinfo),
            ("https://example.com@evil.com/t", Userinfo),
            ("https:///t", EmptyHost),
            ("https://:443/t", EmptyHost),
            ("https://example.com:/t", InvalidPort),
            ("https://example.com:0/t", InvalidPort),
            ("https://example.com:65536/t", InvalidPort),
            ("https://example.com:123456/t", InvalidPort),
            ("https://example.com:8a/t", InvalidPort),
            ("https://example.com:80:80/t", InvalidPort),
            ("https://exa_mple.com/t", InvalidHost),
            ("https://example..com/t", InvalidHost),
            ("https://example.com./t", InvalidHost),
            ("https://-example.com/t", InvalidHost),
            ("https://example-.com/t", InvalidHost),
            ("https://127.1/t", InvalidHost),
            ("https://127.0.0.01/t", InvalidHost),
            ("https://0x7f.0.0.1/t", InvalidHost),
            ("https://1.2.3.256/t", InvalidHost),
            ("https://1.2.3.4.5/t", InvalidHost),
            ("https://example.0x10/t", InvalidHost),
            ("https://ex%41mple.com/t", InvalidHost),
            ("https://[::1/t", InvalidHost),
            ("https://[::1]x/t", InvalidHost),
            ("https://[1:2:3:4:5:6:7:8:9]/t", InvalidHost),
            ("https://[1::2::3]/t", InvalidHost),
            ("https://[:::1]/t", InvalidHost),
            ("https://[12345::1]/t", InvalidHost),
            ("https://[1:2:3:4:5:6:7]/t", InvalidHost),
            ("https://[::1%25eth0]/t", InvalidHost),
            ("https://[g::1]/t", InvalidHost),
            ("https://::1/t", EmptyHost),
            ("https://example.com/t#frag", Fragment),
            ("https://example.com/t[0]", InvalidPath),
            ("https://example.com/t x", InvalidCharacter { position: 21 }),
            (" https://example.com/t", InvalidCharacter { position: 0 }),
            ("https://example.com/t\n", InvalidCharacter { position: 21 }),
            (
                "https://example.com\\@evil.com/t",
                InvalidCharacter { position: 19 },
            ),
            ("https://exämple.com/t", InvalidCharacter { position: 10 }),
            ("https://example.com/%zz", InvalidCharacter { position: 20 }),
            ("https://example.com/%2", InvalidCharacter { position: 20 }),
            ("https://example.com/\"", InvalidCharacter { position: 20 }),
        ];
        for &(input, expected) in cases {
            assert_eq!(TokenEndpoint::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn tenant_host_accepted_table() -> Result<(), EndpointError> {
        // (input, origin, Host header, loopback)
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str, bool)] = &[
            ("https://example.ilucca.net", "https://example.ilucca.net", "example.ilucca.net", false),
            ("https://example.ilucca.net/", "https://example.ilucca.net", "example.ilucca.net", false),
            ("https://example.ilucca.net/lucca-api", "https://example.ilucca.net", "example.ilucca.net", false),
            ("https://example.ilucca.net/lucca-api/", "https://example.ilucca.net", "example.ilucca.net", false),
            ("HTTPS://Example.ILucca.net:443", "https://example.ilucca.net", "example.ilucca.net", false),
            ("example.ilucca.net", "https://example.ilucca.net", "example.ilucca.net", false),
            ("example.ilucca.net/lucca-api", "https://example.ilucca.net", "example.ilucca.net", false),
            ("example.ilucca-test.net:8443", "https://example.ilucca-test.net:8443", "example.ilucca-test.net:8443", false),
            ("https://example.ilucca-demo.net", "https://example.ilucca-demo.net", "example.ilucca-demo.net", false),
            ("https://example.ilucca.ch", "https://example.ilucca.ch", "example.ilucca.ch", false),
            ("https://acme-demo.sandbox.eu1.luccasoftware.com", "https://acme-demo.sandbox.eu1.luccasoftware.com",
                "acme-demo.sandbox.eu1.luccasoftware.com", false),
            ("https://acme-qa.sandbox.ch1.luccasoftware.com/lucca-api/", "https://acme-qa.sandbox.ch1.luccasoftware.com",
                "acme-qa.sandbox.ch1.luccasoftware.com", false),
            ("http://localhost:8080/", "http://localhost:8080", "localhost:8080", true),
            ("http://127.0.0.1", "http://127.0.0.1", "127.0.0.1", true),
            ("http://[::1]:8080/lucca-api", "http://[::1]:8080", "[::1]:8080", true),
            ("localhost:8443", "https://localhost:8443", "localhost:8443", true),
        ];
        for &(input, origin, host_header, loopback) in cases {
            let t = TenantHost::parse(input)?;
            assert_eq!(t.origin(), origin, "{input}");
            assert_eq!(t.host_header(), host_header, "{input}");
            assert_eq!(t.is_loopback(), loopback, "{input}");
            assert_eq!(TenantHost::parse(origin)?, t, "{input}");
            assert_eq!(format!("{t}"), origin);
            assert_eq!(format!("{t:?}"), format!("TenantHost({origin:?})"));
        }
        Ok(())
    }

    #[test]
    fn tenant_host_refused_table() {
        let cases: &[(&str, EndpointError)] = &[
            ("", EmptyHost),
            ("https://", EmptyHost),
            ("//example.ilucca.net", EmptyHost),
            ("http://example.ilucca.net", InsecureScheme),
            ("http://127.0.0.1.example.com", InsecureScheme),
            ("http://localhost.evil.com", InsecureScheme),
            ("wss://example.ilucca.net", UnsupportedScheme),
            ("https://example.ilucca.net/api", PathNotAllowed),
            (
                "https://example.ilucca.net/lucca-api/leaves",
                PathNotAllowed,
            ),
            ("https://example.ilucca.net//", PathNotAllowed),
            ("https://example.ilucca.net/LUCCA-API", PathNotAllowed),
            ("example.ilucca.net/other", PathNotAllowed),
            ("https://example.ilucca.net?x=1", Query),
            ("https://example.ilucca.net/lucca-api?x", Query),
            ("https://example.ilucca.net#top", Fragment),
            ("https://me:pw@example.ilucca.net", Userinfo),
            (
                "https://example.ilucca.net ",
                InvalidCharacter { position: 26 },
            ),
            ("https:example.ilucca.net", InvalidPort),
            ("example.ilucca.net:", InvalidPort),
            (
                "https://exa mple.ilucca.net",
                InvalidCharacter { position: 11 },
            ),
        ];
        for &(input, expected) in cases {
            assert_eq!(TenantHost::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn url_for_table() -> Result<(), EndpointError> {
        let tenant = TenantHost::parse("https://example.ilucca.net:8443")?;
        let cases: &[(&str, Result<&str, EndpointError>)] = &[
            ("/", Ok("https://example.ilucca.net:8443/")),
            (
                "/lucca-api/leaves",
                Ok("https://example.ilucca.net:8443/lucca-api/leaves"),
            ),
            (
                "/lucca-api/leaves?limit=10&fields=id,name",
                Ok("https://example.ilucca.net:8443/lucca-api/leaves?limit=10&fields=id,name"),
            ),
            (
                "/a%20b?q=%C3%A9",
                Ok("https://example.ilucca.net:8443/a%20b?q=%C3%A9"),
            ),
            ("/a/../b", Ok("https://example.ilucca.net:8443/a/../b")),
            (
                "/@evil.com",
                Ok("https://example.ilucca.net:8443/@evil.com"),
            ),
            ("", Err(NotHostAbsolute)),
            ("lucca-api/leaves", Err(NotHostAbsolute)),
            ("//evil.com/x", Err(NotHostAbsolute)),
            ("https://evil.com/x", Err(NotHostAbsolute)),
            ("?x=1", Err(NotHostAbsolute)),
            ("/\\evil.com", Err(InvalidCharacter { position: 1 })),
            ("/a b", Err(InvalidCharacter { position: 2 })),
            ("/a\r\nHost: evil", Err(InvalidCharacter { position: 2 })),
            ("/é", Err(InvalidCharacter { position: 1 })),
            ("/a%", Err(InvalidCharacter { position: 2 })),
            ("/a#b", Err(Fragment)),
            ("/a[0]", Err(InvalidPath)),
        ];
        for &(path, expected) in cases {
            assert_eq!(tenant.url_for(path), expected.map(String::from), "{path:?}");
        }
        Ok(())
    }

    #[test]
    fn same_origin_table() -> Result<(), EndpointError> {
        let tenant = TenantHost::parse("https://example.ilucca.net")?;
        let cases: &[(&str, bool)] = &[
            ("https://example.ilucca.net", true),
            ("https://example.ilucca.net/lucca-api/leaves?page=2", true),
            ("HTTPS://EXAMPLE.ilucca.net:443/x", true),
            ("https://example.ilucca.net/x#frag", true),
            ("/lucca-api/leaves?page=2", true),
            ("http://example.ilucca.net/x", false),
            ("https://example.ilucca.net:444/x", false),
            ("https://other.ilucca.net/x", false),
            ("https://example.ilucca.net.evil.com/x", false),
            ("https://example.ilucca.net@evil.com/x", false),
            ("https://evil.com/example.ilucca.net", false),
            ("https://evil.com\\@example.ilucca.net/x", false),
            ("//example.ilucca.net/x", false),
            ("example.ilucca.net/x", false),
            ("lucca-api/leaves", false),
            ("", false),
            ("/a b", false),
            ("javascript://example.ilucca.net", false),
        ];
        for &(url, expected) in cases {
            assert_eq!(tenant.same_origin(url), expected, "{url:?}");
        }
        let local = TenantHost::parse("http://[::1]:8080")?;
        assert!(local.same_origin("http://[0::1]:8080/x"));
        assert!(!local.same_origin("http://[::1]/x"));
        Ok(())
    }

    #[test]
    fn ipv6_canonical_form_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("::", Some("::")),
            ("::1", Some("::1")),
            ("1::", Some("1::")),
            ("1:0:0:2:0:0:0:3", Some("1:0:0:2::3")),
            ("1:0:0:2:0:0:3:4", Some("1::2:0:0:3:4")),
            ("1:0:2:3:4:5:6:7", Some("1:0:2:3:4:5:6:7")),
            ("ABCD:00ef::", Some("abcd:ef::")),
            ("::192.168.0.1", Some("::c0a8:1")),
            ("1:2:3:4:5:6:1.2.3.4", Some("1:2:3:4:5:6:102:304")),
            ("1:2:3:4:5:6:7::", Some("1:2:3:4:5:6:7:0")),
            ("", None),
            (":", None),
            (":1", None),
            ("1:", None),
            ("1.2.3.4::", None),
            ("::1.2.3", None),
            ("1:2:3:4:5:6:7:8:9", None),
        ];
        for &(text, expected) in cases {
            let got = parse_ipv6(text).map(|g| {
                let mut s = String::new();
                write_ipv6(&mut s, g);
                s
            });
            assert_eq!(got.as_deref(), expected, "{text:?}");
        }
    }

    #[test]
    fn error_display_never_echoes_input() {
        let secretish = "https://user:hunter2@example.com/t";
        let error = TokenEndpoint::parse(secretish).err();
        assert_eq!(error, Some(Userinfo));
        let shown = error.map(|e| format!("{e} {e:?}")).unwrap_or_default();
        assert!(!shown.contains("hunter2"));
        assert_eq!(
            InsecureScheme.to_string(),
            "plain http is allowed only for loopback hosts (127.0.0.0/8, [::1], localhost)"
        );
        assert_eq!(
            InvalidCharacter { position: 4 }.to_string(),
            "invalid character in URL at byte 4"
        );
    }

    #[test]
    fn debug_and_display() -> Result<(), EndpointError> {
        let e = TokenEndpoint::parse("https://a.example/t")?;
        assert_eq!(format!("{e:?}"), r#"TokenEndpoint("https://a.example/t")"#);
        assert_eq!(format!("{e}"), "https://a.example/t");
        assert_eq!("https://a.example/t".parse::<TokenEndpoint>()?, e);
        assert_eq!(
            "a.example".parse::<TenantHost>()?.origin(),
            "https://a.example"
        );
        assert_eq!(Scheme::Http.to_string(), "http");
        assert_eq!(
            (Scheme::Https.default_port(), Scheme::Http.default_port()),
            (443, 80)
        );
        Ok(())
    }
}
