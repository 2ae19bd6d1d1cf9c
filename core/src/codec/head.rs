//! Scanning response heads line by line as bytes arrive: validation (the same rules httparse
//! applies with the parser's configuration), obs-fold unfolding in place, 1xx interim heads,
//! and the header fields that frame the body.
//!
//! The scanner only ever looks at the first `max_head_len` bytes of the buffer, so its verdict
//! does not depend on how the input was split across calls.

use super::parser::{Limits, ParseError};
use super::request::{is_field_value_byte, is_token};

/// A complete final (non-1xx) response head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Head {
    /// Offset of the status line.
    pub start: usize,
    /// Offset just past the blank line.
    pub end: usize,
    /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    pub status: u16,
    /// Number of header fields (folded continuation lines not counted).
    pub fields: usize,
    /// Number of 1xx interim heads skipped before this one.
    pub interim: usize,
    pub framing: FramingFields,
}

/// What the framing-relevant header fields of the final head say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct FramingFields {
    /// The agreed value of every `Content-Length` field, if any.
    pub content_length: Option<u64>,
    /// Some `Transfer-Encoding` field was present.
    pub transfer_encoding: bool,
    /// Number of transfer codings listed over all `Transfer-Encoding` fields.
    pub transfer_codings: usize,
    /// Some listed transfer coding is not `chunked`.
    pub other_transfer_coding: bool,
    /// `Connection: close`.
    pub close: bool,
    /// `Connection: keep-alive`.
    pub keep_alive: bool,
    /// A `Content-Encoding` other than `identity`.
    pub content_coded: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldKind {
    ContentLength,
    TransferEncoding,
    Connection,
    ContentEncoding,
    Other,
}

impl FieldKind {
    fn of(name: &[u8]) -> FieldKind {
        let is = |expected: &str| name.eq_ignore_ascii_case(expected.as_bytes());
        if is("content-length") {
            FieldKind::ContentLength
        } else if is("transfer-encoding") {
            FieldKind::TransferEncoding
        } else if is("connection") {
            FieldKind::Connection
        } else if is("content-encoding") {
            FieldKind::ContentEncoding
        } else {
            FieldKind::Other
        }
    }
}

/// The last field line seen, which obs-fold continuation lines may still extend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OpenField {
    kind: FieldKind,
    value_start: usize,
    value_end: usize,
    /// Offset of the line break (CR or LF) that ends the field's last line.
    break_start: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CurrentHead {
    start: usize,
    minor_version: u8,
    status: u16,
    fields: usize,
    open: Option<OpenField>,
    framing: FramingFields,
}

impl CurrentHead {
    fn is_interim(&self) -> bool {
        is_interim(self.status)
    }

    /// Applies the open field (if any) to the framing summary; interim heads are not framed.
    fn close_field(&mut self, buf: &[u8]) -> Result<(), ParseError> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        if self.is_interim() {
            return Ok(());
        }
        let value = buf
            .get(open.value_start..open.value_end)
            .unwrap_or_default();
        let framing = &mut self.framing;
        match open.kind {
            FieldKind::ContentLength => {
                for element in value.split(|&b| b == b',') {
                    let length = parse_content_length(trim(element))?;
                    match framing.content_length {
                        Some(previous) if previous != length => {
                            return Err(ParseError::ConflictingContentLength);
                        }
                        _ => framing.content_length = Some(length),
                    }
                }
            }
            FieldKind::TransferEncoding => {
                framing.transfer_encoding = true;
                for element in list_elements(value) {
                    let coding = trim(element.split(|&b| b == b';').next().unwrap_or_default());
                    framing.transfer_codings = framing.transfer_codings.saturating_add(1);
                    if !coding.eq_ignore_ascii_case(b"chunked") {
                        framing.other_transfer_coding = true;
                    }
                }
            }
            FieldKind::Connection => {
                for option in list_elements(value) {
                    if option.eq_ignore_ascii_case(b"close") {
                        framing.close = true;
                    } else if option.eq_ignore_ascii_case(b"keep-alive") {
                        framing.keep_alive = true;
                    }
                }
            }
            FieldKind::ContentEncoding => {
                if list_elements(value).any(|coding| !coding.eq_ignore_ascii_case(b"identity")) {
                    framing.content_coded = true;
                }
            }
            FieldKind::Other => {}
        }
        Ok(())
    }
}

/// 1xx responses other than 101 Switching Protocols are interim: a final response follows.
pub(super) fn is_interim(status: u16) -> bool {
    (100..200).contains(&status) && status != 101
}

/// Incremental scanner over the heads at the start of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct HeadScanner {
    next_line: usize,
    current: Option<CurrentHead>,
    interim: usize,
}

impl HeadScanner {
    pub(super) const fn new() -> Self {
        HeadScanner {
            next_line: 0,
            current: None,
            interim: 0,
        }
    }

    /// Whether anything but leading empty lines was seen.
    pub(super) fn started(&self) -> bool {
        self.current.is_some() || self.interim > 0
    }

    /// Processes every complete line of `buf` not yet seen; returns the final head once its
    /// blank line is in. Rewrites obs-fold line breaks in `buf` to spaces.
    pub(super) fn advance(
        &mut self,
        buf: &mut [u8],
        limits: &Limits,
    ) -> Result<Option<Head>, ParseError> {
        let max = limits.max_head_len();
        loop {
            let window_end = buf.len().min(max);
            let from = self.next_line;
            let window = buf.get(from..window_end).unwrap_or_default();
            if self.current.is_none() {
                check_status_prefix(window)?;
            }
            let Some(offset) = window.iter().position(|&b| b == b'\n') else {
                if buf.len() >= max {
                    return Err(ParseError::HeadTooLarge { limit: max });
                }
                return Ok(None);
            };
            let lf = from + offset;
            self.next_line = lf + 1;
            if let Some(head) = self.line(buf, from, lf, limits)? {
                return Ok(Some(head));
            }
        }
    }

    fn line(
        &mut self,
        buf: &mut [u8],
        start: usize,
        lf: usize,
        limits: &Limits,
    ) -> Result<Option<Head>, ParseError> {
        let content_end = if lf > start && buf.get(lf - 1) == Some(&b'\r') {
            lf - 1
        } else {
            lf
        };
        let content = buf.get(start..content_end).unwrap_or_default();
        let Some(current) = self.current.as_mut() else {
            if content.is_empty() {
                return Ok(None); // empty lines before the status line are skipped
            }
            let (minor_version, status) =
                parse_status_line(content).ok_or(ParseError::InvalidStatusLine)?;
            self.current = Some(CurrentHead {
                start,
                minor_version,
                status,
                fields: 0,
                open: None,
                framing: FramingFields::default(),
            });
            return Ok(None);
        };
        if content.contains(&b'\r') {
            return Err(ParseError::InvalidHeader);
        }
        match content.first() {
            None => {
                current.close_field(buf)?;
                let head = Head {
                    start: current.start,
                    end: lf + 1,
                    minor_version: current.minor_version,
                    status: current.status,
                    fields: current.fields,
                    interim: self.interim,
                    framing: current.framing,
                };
                self.current = None;
                if is_interim(head.status) {
                    self.interim += 1;
                    Ok(None)
                } else {
                    Ok(Some(head))
                }
            }
            Some(b' ' | b'\t') => {
                // obs-fold (RFC 9112 §5.2): a continuation of the previous field's value. We
                // replace the line break with spaces in place, as a user agent must, so the
                // value reads as one line and httparse sees no folding.
                let open = current.open.as_mut().ok_or(ParseError::InvalidHeader)?;
                if !content.iter().all(|&b| is_field_value_byte(b)) {
                    return Err(ParseError::InvalidHeader);
                }
                for byte in buf.get_mut(open.break_start..start).unwrap_or_default() {
                    *byte = b' ';
                }
                open.value_end = content_end;
                open.break_start = content_end;
                Ok(None)
            }
            Some(_) => {
                let (name_len, value_offset) =
                    split_field_line(content).ok_or(ParseError::InvalidHeader)?;
                let kind = FieldKind::of(content.get(..name_len).unwrap_or_default());
                current.fields += 1;
                if current.fields > limits.max_headers() {
                    return Err(ParseError::TooManyHeaders {
                        limit: limits.max_headers(),
                    });
                }
                current.close_field(buf)?;
                current.open = Some(OpenField {
                    kind,
                    value_start: start + value_offset,
                    value_end: content_end,
                    break_start: content_end,
                });
                Ok(None)
            }
        }
    }
}

/// Fails as soon as the first bytes of a status line cannot start `HTTP/1.0` or `HTTP/1.1`,
/// so a peer that does not speak HTTP/1.x is rejected without waiting for a line break.
fn check_status_prefix(window: &[u8]) -> Result<(), ParseError> {
    let line_start = window.iter().position(|&b| b != b'\r' && b != b'\n');
    let Some(line_start) = line_start else {
        return Ok(());
    };
    // Only a candidate status line: skip the empty lines before it.
    if window
        .get(..line_start)
        .unwrap_or_default()
        .windows(2)
        .any(|pair| pair == b"\r\r")
    {
        return Ok(()); // malformed empty lines: the full line check reports it
    }
    let line = window.get(line_start..).unwrap_or_default();
    let line = line
        .get(
            ..line
                .iter()
                .position(|&b| b == b'\r' || b == b'\n')
                .unwrap_or(line.len()),
        )
        .unwrap_or_default();
    let ok = line.iter().zip(b"HTTP/1.").all(|(got, want)| got == want)
        && line.get(7).is_none_or(|&b| b == b'0' || b == b'1');
    if ok {
        Ok(())
    } else {
        Err(ParseError::InvalidStatusLine)
    }
}

/// `HTTP/1.x SP 3DIGIT [SP reason]`: the minor version and the status code (at least 100).
fn parse_status_line(line: &[u8]) -> Option<(u8, u16)> {
    let minor_version = match line.get(..9)? {
        b"HTTP/1.0 " => 0,
        b"HTTP/1.1 " => 1,
        _ => return None,
    };
    let digits = line.get(9..12)?;
    let mut status = 0u16;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        status = status * 10 + u16::from(digit - b'0');
    }
    if status < 100 {
        return None;
    }
    match line.get(12..) {
        None | Some([]) => Some((minor_version, status)),
        Some([b' ', reason @ ..]) if reason.iter().all(|&b| is_field_value_byte(b)) => {
            Some((minor_version, status))
        }
        Some(_) => None,
    }
}

/// `token *(SP / HTAB) ":" *(SP / HTAB) *field-value-byte`: the name's length and the
/// offset where the value starts. Whitespace before the colon is tolerated (servers send it;
/// RFC 9112 §5.1 only forbids it in requests and for proxies), and left out of the name.
pub(super) fn split_field_line(line: &[u8]) -> Option<(usize, usize)> {
    let name_len = line
        .iter()
        .position(|&b| !is_token(b))
        .unwrap_or(line.len());
    if name_len == 0 {
        return None;
    }
    let after_name = line.get(name_len..)?;
    let colon = after_name.iter().position(|&b| b != b' ' && b != b'\t')?;
    if after_name.get(colon) != Some(&b':') {
        return None;
    }
    let value_offset = name_len + colon + 1;
    let value = line.get(value_offset..)?;
    if !value.iter().all(|&b| is_field_value_byte(b)) {
        return None;
    }
    let leading = value
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(value.len());
    Some((name_len, value_offset + leading))
}

/// `bytes` without leading and trailing SP / HTAB.
pub(super) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |last| last + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// The non-empty trimmed elements of a comma-separated list (RFC 9110 §5.6.1).
fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim)
        .filter(|element| !element.is_empty())
}

/// One `Content-Length` element: 1*DIGIT.
fn parse_content_length(element: &[u8]) -> Result<u64, ParseError> {
    if element.is_empty() {
        return Err(ParseError::InvalidContentLength);
    }
    element.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .ok_or(ParseError::InvalidContentLength)
        } else {
            Err(ParseError::InvalidContentLength)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        type Case = (&'static [u8], Option<(u8, u16)>);
        let cases: [Case; 14] = [
            (b"HTTP/1.1 200 OK", Some((1, 200))),
            (b"HTTP/1.0 404 Not Found", Some((0, 404))),
            (b"HTTP/1.1 204", Some((1, 204))),
            (b"HTTP/1.1 200 ", Some((1, 200))),
            (b"HTTP/1.1 200 \xc3\xa9t\xc3\xa9\tok", Some((1, 200))),
            (b"HTTP/1.1 999 Whatever", Some((1, 999))),
            (b"HTTP/1.1 099 Low", None),
            (b"HTTP/1.1 2000 OK", None),
            (b"HTTP/1.1 20 OK", None),
            (b"HTTP/1.2 200 OK", None),
            (b"HTTP/2 200 OK", None),
            (b"http/1.1 200 OK", None),
            (b"HTTP/1.1  200 OK", None),
            (b"HTTP/1.1 200 O\x7fK", None),
        ];
        for (line, expected) in cases {
            assert_eq!(
                parse_status_line(line),
                expected,
                "{:?}",
                line.escape_ascii()
            );
        }
    }

    #[test]
    fn field_lines() {
        type Case = (&'static [u8], Option<(usize, usize)>);
        let cases: [Case; 11] = [
            (b"Content-Length: 5", Some((14, 16))),
            (b"A:b", Some((1, 2))),
            (b"A:", Some((1, 2))),
            (b"A:  \t x ", Some((1, 6))),
            (b"A : b", Some((1, 4))),
            (b"A\t\t: b", Some((1, 5))),
            (b": b", None),
            (b"A b: c", None),
            (b"A", None),
            (b"A: b\x00", None),
            (b"A\x7f: b", None),
        ];
        for (line, expected) in cases {
            assert_eq!(
                split_field_line(line),
                expected,
                "{:?}",
                line.escape_ascii()
            );
        }
    }

    #[test]
    fn content_length_elements() {
        let cases: [(&[u8], Result<u64, ParseError>); 6] = [
            (b"0", Ok(0)),
            (b"0071", Ok(71)),
            (b"18446744073709551615", Ok(u64::MAX)),
            (
                b"18446744073709551616",
                Err(ParseError::InvalidContentLength),
            ),
            (b"+5", Err(ParseError::InvalidContentLength)),
            (b"", Err(ParseError::InvalidContentLength)),
        ];
        for (element, expected) in cases {
            assert_eq!(parse_content_length(element), expected);
        }
    }

    #[test]
    fn status_prefix_fails_early() {
        let cases: [(&[u8], bool); 9] = [
            (b"", true),
            (b"\r\n", true),
            (b"HT", true),
            (b"HTTP/1.", true),
            (b"HTTP/1.1", true),
            (b"\r\nHTTP/1.0 2", true),
            (b"HTTP/1.2", false),
            (b"\x16\x03\x01", false),
            (b"\nGET", false),
        ];
        for (window, ok) in cases {
            assert_eq!(
                check_status_prefix(window).is_ok(),
                ok,
                "{:?}",
                window.escape_ascii()
            );
        }
    }

    #[test]
    fn trims_and_lists() {
        assert_eq!(trim(b" \ta b\t "), b"a b");
        assert_eq!(trim(b"  "), b"");
        let elements: alloc::vec::Vec<&[u8]> = list_elements(b" close , ,Keep-Alive,").collect();
        assert_eq!(elements, [&b"close"[..], &b"Keep-Alive"[..]]);
    }
}
