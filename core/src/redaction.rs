//! Redaction: removing a secret (the client secret, an access token) from the texts a server
//! sent back, before they reach an error, a `Debug` output or a log line.
//!
//! A server, proxy or firewall that echoes the request it received can put the client secret
//! into a token error and the access token into an API error.
//! [`TokenError::redact`](crate::token_response::TokenError::redact) (the client secret,
//! called by the token machine on every failure) and
//! [`ApiResponseClass::redact`](crate::api::ApiResponseClass::redact) (the access token,
//! called by the adapters) remove a secret from such a text in two passes:
//!
//! 1. **Exact forms**, replaced by `[redacted]` where they occur: the secret literally,
//!    percent-encoded (`%20` and `+` for a space, upper- and lower-case), JSON-escaped, each
//!    also ASCII-lower-cased; for the client secret, the base64 of an echoed HTTP Basic
//!    credential (`id:secret`, encoded or not). A text that ends with the first 4 or more
//!    characters of a form (a text cut in the middle of one) has that tail replaced.
//! 2. **Normalized views**: each text is compared, after the exact pass, with the secret
//!    under the same normalizations — JSON-unescaped (`\uXXXX`, `\/`, …), percent-decoded
//!    (any hex case), both orders, then with `+` read as a space, whitespace and control
//!    runs collapsed to one space, bidirectional controls dropped and ASCII case folded. If
//!    any view of the text still holds a view of the secret (or ends with its first
//!    [`MIN_SECRET_LEN`] characters or more), the **whole text** becomes `[redacted]`: an
//!    echo the exact pass could not cut out precisely is not kept at all.
//!
//! A secret shorter than [`MIN_SECRET_LEN`] bytes is not searched for: such a value is not a
//! secret worth hiding (it falls to a brute-force search at once), and cutting every
//! occurrence of, say, `s` out of unrelated messages (`connection refu[redacted]ed`) both
//! mangles them and reveals the secret by where the cuts are. The whole HTTP Basic forms
//! are still removed for a short client secret: they are long and never occur by chance.
//!
//! The work is linear in the lengths of the texts and of the secret: each form is searched
//! for once per text, and the tail search looks at no more of a form than the text's length.

use alloc::string::String;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::config::ClientCredentials;
use crate::token_response::is_bidi_control;

/// What replaces a secret, or a whole text that held one.
pub(crate) const REDACTED: &str = "[redacted]";

/// Secrets shorter than this many bytes are not searched for (see the module docs), and a
/// normalized view of a secret shorter than this is not compared.
pub const MIN_SECRET_LEN: usize = 8;

/// The shortest tail of an exact form worth cutting from the end of a text.
const MIN_REDACTED_FRAGMENT: usize = 4;

/// One exact form of a secret.
struct Form {
    text: Zeroizing<String>,
    /// Whether a text ending with the start of this form has that tail cut.
    cut_tail: bool,
}

/// Everything needed to remove one secret from texts: its exact forms and its normalized
/// views, built once and zeroized on drop.
pub(crate) struct Redactor {
    /// Longest first, so that a form is never half-replaced by a shorter one it contains.
    forms: Vec<Form>,
    /// The secret under each normalization of [`views`], each at least [`MIN_SECRET_LEN`]
    /// bytes long.
    views: Vec<Zeroizing<String>>,
}

impl Redactor {
    /// For the client secret of `credentials`, with the HTTP Basic forms.
    pub(crate) fn for_client_secret(credentials: &ClientCredentials) -> Redactor {
        let secret = credentials.secret().secret();
        let mut redactor = Redactor::for_secret(secret);
        if secret.is_empty() {
            return redactor;
        }
        let id = credentials.id().as_str();
        let mut encoded = Zeroizing::new(String::new());
        crate::form::encode_to_string(id.as_bytes(), &mut encoded);
        encoded.push(':');
        crate::form::encode_to_string(secret.as_bytes(), &mut encoded);
        let mut plain = Zeroizing::new(String::with_capacity(id.len() + 1 + secret.len()));
        plain.push_str(id);
        plain.push(':');
        plain.push_str(secret);
        let cut_tail = secret.len() >= MIN_SECRET_LEN;
        // Base64 is case-sensitive: no lower-case variant.
        for credential in [encoded, plain] {
            let basic = Zeroizing::new(crate::token_request::base64_string(credential.as_bytes()));
            redactor.add_form(basic, cut_tail);
        }
        redactor
    }

    /// For an access token that was sent with a request.
    pub(crate) fn for_access_token(token: &str) -> Redactor {
        Redactor::for_secret(token)
    }

    /// The forms and views of `secret` itself.
    fn for_secret(secret: &str) -> Redactor {
        let mut redactor = Redactor {
            forms: Vec::new(),
            views: Vec::new(),
        };
        if secret.len() < MIN_SECRET_LEN {
            return redactor;
        }
        let mut percent = Zeroizing::new(String::new());
        crate::form::encode_to_string(secret.as_bytes(), &mut percent);
        let plus = Zeroizing::new(percent.replace("%20", "+"));
        let json = Zeroizing::new(serde_json::to_string(secret).unwrap_or_default());
        let json = Zeroizing::new(
            json.strip_prefix('"')
                .and_then(|j| j.strip_suffix('"'))
                .map(String::from)
                .unwrap_or_default(),
        );
        // Percent-encoded twice, as when a form body is put into a URL's query.
        let mut twice = Zeroizing::new(String::new());
        crate::form::encode_to_string(percent.as_bytes(), &mut twice);
        for form in [
            Zeroizing::new(String::from(secret)),
            percent,
            plus,
            json,
            twice,
        ] {
            let lower = Zeroizing::new(form.to_ascii_lowercase());
            redactor.add_form(form, true);
            redactor.add_form(lower, true);
        }
        // The bytes as a debug-printed list (`83, 51, 99`, and without spaces), and the
        // secret alone in base64 (with and without its padding): what a server that dumps
        // the raw request, or encodes what it echoes, writes.
        for separator in [", ", ","] {
            redactor.add_form(byte_list(secret.as_bytes(), separator), true);
        }
        let base64 = Zeroizing::new(crate::token_request::base64_string(secret.as_bytes()));
        let unpadded = Zeroizing::new(String::from(base64.trim_end_matches('=')));
        redactor.add_form(base64, true);
        redactor.add_form(unpadded, true);
        for view in views(secret) {
            if view.len() >= MIN_SECRET_LEN && !redactor.views.contains(&view) {
                redactor.views.push(view);
            }
        }
        redactor
    }

    /// Adds a form after every form at least as long: longest first, and forms of the same
    /// length in the order they were added (what a stable sort by length would give,
    /// without linking a sort: a handful of forms, ~3 KiB of flash on a Cortex-M).
    fn add_form(&mut self, text: Zeroizing<String>, cut_tail: bool) {
        if !text.is_empty() && !self.forms.iter().any(|form| form.text == text) {
            let at = self
                .forms
                .iter()
                .position(|form| form.text.len() < text.len())
                .unwrap_or(self.forms.len());
            self.forms.insert(at, Form { text, cut_tail });
        }
    }

    /// Removes the secret from `text` (see the module docs).
    pub(crate) fn redact(&self, text: &mut String) {
        if self.forms.is_empty() || text.is_empty() {
            return;
        }
        for form in &self.forms {
            if text.contains(form.text.as_str()) {
                *text = text.replace(form.text.as_str(), REDACTED);
            }
        }
        let trimmed = text.trim_end_matches('…');
        let tail = self
            .forms
            .iter()
            .filter(|form| form.cut_tail)
            .map(|form| longest_tail(trimmed.as_bytes(), form.text.as_bytes()))
            .max()
            .unwrap_or(0);
        if tail >= MIN_REDACTED_FRAGMENT {
            let cut = trimmed.len() - tail;
            if text.is_char_boundary(cut) {
                text.truncate(cut);
                text.push_str(REDACTED);
            }
        }
        if self.views.is_empty() {
            return;
        }
        let text_views = views(text);
        let leaks = text_views.iter().any(|text_view| {
            self.views.iter().any(|secret| {
                text_view.contains(secret.as_str())
                    || longest_tail(
                        text_view.trim_end_matches('…').trim_end().as_bytes(),
                        secret.as_bytes(),
                    ) >= MIN_SECRET_LEN
            })
        });
        if leaks {
            text.clear();
            text.push_str(REDACTED);
        }
    }
}

/// The normalized views of `text` compared by [`Redactor::redact`]: as it is,
/// JSON-unescaped then percent-decoded, and percent-decoded then JSON-unescaped, each folded
/// with [`fold`].
fn views(text: &str) -> [Zeroizing<String>; 3] {
    let json = Zeroizing::new(json_unescape(text));
    let json_percent = Zeroizing::new(percent_decode(&json));
    let percent = Zeroizing::new(percent_decode(text));
    let percent_json = Zeroizing::new(json_unescape(&percent));
    [
        Zeroizing::new(fold(text)),
        Zeroizing::new(fold(&json_percent)),
        Zeroizing::new(fold(&percent_json)),
    ]
}

/// `+` read as a space, runs of whitespace and control characters collapsed to one space
/// and trimmed, bidirectional controls dropped, ASCII letters lower-cased: the same
/// normalization the core's error texts get (`sanitize`), and the case and `+`/space
/// ambiguity of form encoding taken out.
fn fold(text: &str) -> String {
    // Never longer than the input: no reallocation leaves an unzeroized copy behind.
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c == '+' || c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_bidi_control(c) {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Every `%XX` (either hex case) decoded; anything else, including a `%` not followed by
/// two hex digits, kept. Bytes that do not form UTF-8 become U+FFFD.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let escaped = (byte == b'%')
            .then(|| Some((hex(*bytes.get(at + 1)?)?, hex(*bytes.get(at + 2)?)?)))
            .flatten();
        match escaped {
            Some((high, low)) => {
                out.push(high << 4 | low);
                at += 3;
            }
            None => {
                out.push(byte);
                at += 1;
            }
        }
    }
    match core::str::from_utf8(&out) {
        Ok(decoded) => String::from(decoded),
        Err(_) => String::from_utf8_lossy(&out).into_owned(),
    }
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// The JSON string escapes (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX` with
/// surrogate pairs) decoded; a backslash that starts no valid escape is kept. A lone
/// surrogate becomes U+FFFD.
fn json_unescape(text: &str) -> String {
    // Never longer than the input (an escape is at least as long as what it stands for).
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once('\\') {
        out.push_str(before);
        let mut chars = after.chars();
        let simple = match chars.next() {
            Some(c @ ('"' | '\\' | '/')) => Some(c),
            Some('b') => Some('\u{8}'),
            Some('f') => Some('\u{c}'),
            Some('n') => Some('\n'),
            Some('r') => Some('\r'),
            Some('t') => Some('\t'),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            rest = chars.as_str();
            continue;
        }
        match unicode_escape(after) {
            Some((c, len)) => {
                out.push(c);
                rest = after.get(len..).unwrap_or_default();
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `uXXXX` (after the backslash), or a surrogate pair `uD83D\uDE00`: the character and how
/// many bytes of `after` it took.
fn unicode_escape(after: &str) -> Option<(char, usize)> {
    let unit = |s: &str| -> Option<u32> {
        let digits = s.strip_prefix('u')?.get(..4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    let first = unit(after)?;
    if (0xD800..0xDC00).contains(&first)
        && let Some(second) = after
            .get(5..)
            .and_then(|s| s.strip_prefix('\\'))
            .and_then(unit)
        && (0xDC00..0xE000).contains(&second)
    {
        let c = char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
        return Some((c.unwrap_or(char::REPLACEMENT_CHARACTER), 11));
    }
    Some((
        char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER),
        5,
    ))
}

/// The length of the longest start of `form`, shorter than `form`, that `text` ends with.
///
/// Knuth–Morris–Pratt over at most `text.len()` bytes of `form`: linear in the text's length,
/// whatever the form's (a multi-megabyte secret against a 200-character message costs 200
/// steps, not 200 × megabytes).
fn longest_tail(text: &[u8], form: &[u8]) -> usize {
    let cap = form.len().saturating_sub(1).min(text.len());
    let (Some(pattern), Some(tail)) = (form.get(..cap), text.get(text.len() - cap..)) else {
        return 0;
    };
    if pattern.is_empty() {
        return 0;
    }
    // failure[i]: the length of the longest proper border of pattern[..=i].
    let mut failure = Zeroizing::new(alloc::vec![0usize; pattern.len()]);
    let mut border = 0;
    for (i, byte) in pattern.iter().enumerate().skip(1) {
        while border > 0 && pattern.get(border) != Some(byte) {
            border = failure.get(border - 1).copied().unwrap_or(0);
        }
        if pattern.get(border) == Some(byte) {
            border += 1;
        }
        if let Some(slot) = failure.get_mut(i) {
            *slot = border;
        }
    }
    let mut matched = 0;
    for byte in tail {
        while matched > 0 && pattern.get(matched) != Some(byte) {
            matched = failure.get(matched - 1).copied().unwrap_or(0);
        }
        if pattern.get(matched) == Some(byte) {
            matched += 1;
        }
    }
    matched
}

/// `bytes` in decimal, joined by `separator`: `83, 51, 99` as `Debug` prints a byte slice
/// (without its brackets, so that the list is found inside a longer one).
fn byte_list(bytes: &[u8], separator: &str) -> Zeroizing<String> {
    use core::fmt::Write as _;
    let mut list = Zeroizing::new(String::with_capacity(bytes.len() * (3 + separator.len())));
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            list.push_str(separator);
        }
        // Writing to a `String` cannot fail.
        let _ = write!(list, "{byte}");
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    fn redacted(secret: &str, text: &str) -> String {
        let mut text = text.to_string();
        Redactor::for_secret(secret).redact(&mut text);
        text
    }

    #[test]
    fn exact_and_normalized_forms() {
        let cases: &[(&str, &str, &str)] = &[
            // (secret, text, expected)
            ("p4ss w0rd/é", "echo p4ss w0rd/é end", "echo [redacted] end"),
            (
                "p4ss w0rd/é",
                "echo p4ss%20w0rd%2F%C3%A9 end",
                "echo [redacted] end",
            ),
            (
                "p4ss w0rd/é",
                "echo p4ss+w0rd%2f%c3%a9 end",
                "echo [redacted] end",
            ),
            ("p4ss w0rd/é", "cut at p4ss w0…", "cut at [redacted]"),
            ("p4ss w0rd/é", "cut at p4s…", "cut at p4s…"),
            ("p4ss w0rd/é", "nothing here", "nothing here"),
            // JSON \u escapes (System.Text.Json, json.dumps) and \/ (PHP).
            (
                "Sëntinel+S3cr3t&x",
                r"bad S\u00EBntinel\u002BS3cr3t\u0026x",
                "[redacted]",
            ),
            (
                "Sëntinel+S3cr3t&x",
                r"bad S\u00ebntinel\u002bS3cr3t\u0026x!",
                "[redacted]",
            ),
            (
                "abc/def/S3cr3t/ghi",
                r"client abc\/def\/S3cr3t\/ghi unknown",
                "[redacted]",
            ),
            // Mixed-case percent hex, and the secret's own letters in another case.
            (
                "Pa55/W0rd+Secret",
                "secret=Pa55%2fW0rd%2bSecret&x",
                "[redacted]",
            ),
            (
                "Pa55/W0rd+Secret",
                "secret=Pa55%2FW0rd%2bSecret&x",
                "[redacted]",
            ),
            ("Pa55/W0rd+Secret", "secret=PA55/W0RD+SECRET", "[redacted]"),
            // JSON-escaped, then percent-encoded; and the other way round.
            ("Sëntinel-secret", "v=S%5Cu00EBntinel-secret", "[redacted]"),
            (
                "Sëntinel-secret",
                r"v=S%C3%ABntinel\u002Dsecret",
                "[redacted]",
            ),
            // Whitespace runs collapsed by sanitizing before redaction.
            (
                "first-half  S3cr3t",
                "bad secret first-half S3cr3t",
                "[redacted]",
            ),
            (
                "line1\nS3cr3t-line2",
                "bad secret line1 S3cr3t-line2",
                "[redacted]",
            ),
            ("tab\there-S3cr3t", "bad tab here-S3cr3t.", "[redacted]"),
            // A normalized echo cut in the middle.
            ("S3cr3t-with-tail", r"got S3cr3t\u002Dwi…", "[redacted]"),
            // A surrogate pair and a lone surrogate.
            (
                "😀-secret-😀",
                r"got \uD83D\uDE00-secret-\uD83D\uDE00 ok",
                "[redacted]",
            ),
            ("\u{FFFD}-secret-x", r"got \uD800-secret-x ok", "[redacted]"),
        ];
        for (secret, text, expected) in cases {
            assert_eq!(redacted(secret, text), *expected, "{secret:?} in {text:?}");
        }
    }

    #[test]
    fn short_secrets_are_left_alone() {
        // A 7-byte secret would otherwise mangle messages and show where it is.
        for (secret, text) in [
            ("s", "connection refused"),
            ("hunter2", "sent hunter2 to the server"),
            ("abcdefg", "abcdefg%20"),
        ] {
            assert_eq!(redacted(secret, text), text, "{secret:?}");
        }
        assert_eq!(redacted("hunter22", "sent hunter22"), "sent [redacted]");
    }

    #[test]
    fn secrets_made_of_whitespace_or_escapes_do_not_redact_everything() {
        // Their folded views are shorter than MIN_SECRET_LEN, so they are not compared.
        for secret in ["        ", "+ + + + ", "%20%20%20"] {
            assert_eq!(redacted(secret, "a b c d e f g h"), "a b c d e f g h");
        }
    }

    #[test]
    fn basic_forms_of_a_short_secret_are_still_removed_whole() {
        let credentials = ClientCredentials::new(
            crate::secret::ClientId::new("app"),
            crate::secret::ClientSecret::new("s"),
        );
        let redactor = Redactor::for_client_secret(&credentials);
        // base64("app:s")
        let mut text = "Basic YXBwOnM= refused; connection refused".to_string();
        redactor.redact(&mut text);
        assert_eq!(text, "Basic [redacted] refused; connection refused");
        let mut cut = "Basic YXBwOn…".to_string();
        redactor.redact(&mut cut);
        assert_eq!(cut, "Basic YXBwOn…");
    }

    #[test]
    fn the_tail_search_is_bounded_by_the_text() {
        assert_eq!(longest_tail(b"abcd", b"cdef"), 2);
        assert_eq!(longest_tail(b"xxaab", b"aabaab"), 3);
        assert_eq!(longest_tail(b"aaaa", b"aaaa"), 3);
        assert_eq!(longest_tail(b"", b"abc"), 0);
        assert_eq!(longest_tail(b"abc", b""), 0);
        assert_eq!(longest_tail(b"abababa", b"ababab"), 5);
        // A multi-megabyte secret against a short text: only the text's length is searched.
        let huge = "a".repeat(2 * 1024 * 1024) + "b";
        let text = format!("ends with {}", "a".repeat(150));
        assert_eq!(longest_tail(text.as_bytes(), huge.as_bytes()), 150);
        let mut text = text;
        Redactor::for_secret(&huge).redact(&mut text);
        assert_eq!(text, "ends with [redacted]");
    }

    #[test]
    fn decoders_never_panic_on_broken_escapes() {
        for text in [
            "%",
            "%4",
            "%zz",
            "\\",
            "\\u",
            "\\u12",
            "\\uZZZZ",
            "\\uD800\\u",
            "é%C3",
            "\\x",
        ] {
            let _ = views(text);
        }
        assert_eq!(json_unescape(r#"a\"b\\c\/d\n\u0041\q"#), "a\"b\\c/d\nA\\q");
        assert_eq!(percent_decode("%41%4a%4A%2x%"), "AJJ%2x%");
        assert_eq!(fold("  A+b \t\u{202E}C\r\n "), "a b c");
        assert_eq!(vec![fold("X")], vec!["x".to_string()]);
    }

    #[test]
    fn forms_are_kept_longest_first_in_the_order_added() {
        let mut redactor = Redactor {
            forms: Vec::new(),
            views: Vec::new(),
        };
        for text in ["ccc", "aaaaa", "ddd", "b", "eeeee", "ccc", "fffffff", ""] {
            redactor.add_form(Zeroizing::new(text.to_string()), true);
        }
        let order: Vec<&str> = redactor.forms.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(order, ["fffffff", "aaaaa", "eeeee", "ccc", "ddd", "b"]);
        // A secret's forms: the longest (percent- and JSON-encoded) before the plain one.
        let redactor = Redactor::for_secret("a/b c\\d+e");
        let order: Vec<&str> = redactor.forms.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(
            order,
            [
                "97, 47, 98, 32, 99, 92, 100, 43, 101",
                "97,47,98,32,99,92,100,43,101",
                "a%252Fb%2520c%255Cd%252Be",
                "a%252fb%2520c%255cd%252be",
                "a%2Fb%20c%5Cd%2Be",
                "a%2fb%20c%5cd%2be",
                "a%2Fb+c%5Cd%2Be",
                "a%2fb+c%5cd%2be",
                // base64 of the secret alone, which needs no padding here
                "YS9iIGNcZCtl",
                "a/b c\\\\d+e",
                "a/b c\\d+e"
            ]
        );
    }
}
