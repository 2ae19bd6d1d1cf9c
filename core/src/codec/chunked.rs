//! Decoding a `Transfer-Encoding: chunked` body in place: chunk data is moved down over the
//! chunk framing, so the decoded body ends up contiguous right after the head.
//!
//! Framing is strict: chunk-size lines, the CRLF after each chunk's data and trailer lines must
//! end in CRLF; a chunk size is one or more hexadecimal digits (any case) that must fit in 64
//! bits, optionally followed by whitespace and `;` chunk extensions, which are ignored. A
//! chunk-size line longer than [`MAX_CHUNK_LINE_LEN`] is rejected. Trailer fields are
//! validated like header fields, counted against the head size limit, and discarded.

use super::head::split_field_line;
use super::parser::{Limits, ParseError};
use super::request::is_field_value_byte;

/// The longest chunk-size line accepted, extensions and CRLF included.
pub const MAX_CHUNK_LINE_LEN: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Expecting a chunk-size line at `read`.
    Size,
    /// Inside chunk data.
    Data { remaining: usize },
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// After the last chunk: trailer lines until a blank line; the section started at `start`.
    Trailers { start: usize },
}

/// Where a finished chunked body lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Decoded {
    /// End of the decoded body (it starts where the encoded one did).
    pub body_end: usize,
    /// End of the encoded message: the next response starts here.
    pub consumed: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ChunkedDecoder {
    body_start: usize,
    /// Next encoded byte to examine.
    read: usize,
    /// End of the decoded body so far.
    write: usize,
    step: Step,
}

impl ChunkedDecoder {
    pub(super) const fn new(body_start: usize) -> Self {
        ChunkedDecoder {
            body_start,
            read: body_start,
            write: body_start,
            step: Step::Size,
        }
    }

    /// Decodes as far as `buf` allows; `Some` once the last chunk and trailers are in.
    pub(super) fn advance(
        &mut self,
        buf: &mut [u8],
        limits: &Limits,
    ) -> Result<Option<Decoded>, ParseError> {
        loop {
            match self.step {
                Step::Size => {
                    let Some((line, next)) = crlf_line(buf, self.read, MAX_CHUNK_LINE_LEN)
                        .map_err(|()| ParseError::InvalidChunkSize)?
                    else {
                        if buf.len().saturating_sub(self.read) >= MAX_CHUNK_LINE_LEN {
                            return Err(ParseError::ChunkLineTooLong {
                                limit: MAX_CHUNK_LINE_LEN,
                            });
                        }
                        return Ok(None);
                    };
                    let size = parse_chunk_size(line)?;
                    let decoded = (self.write - self.body_start) as u64;
                    let max = limits.max_body_len();
                    if decoded.saturating_add(size) > max as u64 {
                        return Err(ParseError::BodyTooLarge { limit: max });
                    }
                    self.read = next;
                    self.step = match usize::try_from(size) {
                        Ok(0) => Step::Trailers { start: next },
                        Ok(remaining) => Step::Data { remaining },
                        // Unreachable: `size` fits under `max_body_len`, a `usize`.
                        Err(_) => return Err(ParseError::BodyTooLarge { limit: max }),
                    };
                }
                Step::Data { remaining } => {
                    let available = buf.len().saturating_sub(self.read).min(remaining);
                    if available == 0 {
                        return Ok(None);
                    }
                    buf.copy_within(self.read..self.read + available, self.write);
                    self.read += available;
                    self.write += available;
                    self.step = match remaining - available {
                        0 => Step::DataEnd,
                        remaining => Step::Data { remaining },
                    };
                }
                Step::DataEnd => match buf.get(self.read..) {
                    Some([b'\r', b'\n', ..]) => {
                        self.read += 2;
                        self.step = Step::Size;
                    }
                    Some([] | [b'\r']) | None => return Ok(None),
                    Some(_) => return Err(ParseError::InvalidChunkTerminator),
                },
                Step::Trailers { start } => {
                    let max = limits.max_head_len();
                    let room = (start + max).saturating_sub(self.read);
                    let Some((line, next)) =
                        crlf_line(buf, self.read, room).map_err(|()| ParseError::InvalidTrailer)?
                    else {
                        if buf.len().saturating_sub(start) >= max {
                            return Err(ParseError::TrailersTooLarge { limit: max });
                        }
                        return Ok(None);
                    };
                    self.read = next;
                    if line.is_empty() {
                        return Ok(Some(Decoded {
                            body_end: self.write,
                            consumed: next,
                        }));
                    }
                    if split_field_line(line).is_none() {
                        return Err(ParseError::InvalidTrailer);
                    }
                }
            }
        }
    }

    /// A lower bound on the total buffer length at which the body can be complete.
    pub(super) fn min_len(&self) -> usize {
        const LAST_CHUNK: usize = b"0\r\n\r\n".len();
        match self.step {
            Step::Size => self.read + LAST_CHUNK,
            Step::Data { remaining } => self
                .read
                .saturating_add(remaining)
                .saturating_add(2 + LAST_CHUNK),
            Step::DataEnd => self.read + 2 + LAST_CHUNK,
            Step::Trailers { .. } => self.read + 2,
        }
    }
}

/// The CRLF-terminated line starting at `start` within the next `room` bytes: its content
/// and the offset after its LF. `Ok(None)` when no LF is in reach yet; `Err` when the LF is
/// not preceded by CR.
fn crlf_line(buf: &[u8], start: usize, room: usize) -> Result<Option<(&[u8], usize)>, ()> {
    let window_end = buf.len().min(start.saturating_add(room));
    let window = buf.get(start..window_end).unwrap_or_default();
    let Some(lf) = window.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    match window.get(..lf) {
        Some([content @ .., b'\r']) => Ok(Some((content, start + lf + 1))),
        _ => Err(()),
    }
}

/// `1*HEXDIG *(SP / HTAB) [";" extensions]`, where extensions hold no control bytes.
fn parse_chunk_size(line: &[u8]) -> Result<u64, ParseError> {
    let digits = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    if digits == 0 {
        return Err(ParseError::InvalidChunkSize);
    }
    let mut size = 0u64;
    for &digit in line.get(..digits).unwrap_or_default() {
        let value = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => digit - b'A' + 10,
        };
        size = size
            .checked_mul(16)
            .and_then(|size| size.checked_add(u64::from(value)))
            .ok_or(ParseError::ChunkSizeOverflow)?;
    }
    let rest = line.get(digits..).unwrap_or_default();
    let rest = rest
        .get(
            rest.iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(rest.len())..,
        )
        .unwrap_or_default();
    match rest {
        [] => Ok(size),
        [b';', extensions @ ..] if extensions.iter().all(|&b| is_field_value_byte(b)) => Ok(size),
        _ => Err(ParseError::InvalidChunkSize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes() {
        let cases: [(&[u8], Result<u64, ParseError>); 15] = [
            (b"0", Ok(0)),
            (b"1e", Ok(30)),
            (b"1E", Ok(30)),
            (b"00ff", Ok(255)),
            (b"29;name=value", Ok(41)),
            (b"29 ; a=\"q;x\"; b", Ok(41)),
            (b"29\t", Ok(41)),
            (b"ffffffffffffffff", Ok(u64::MAX)),
            (b"10000000000000000", Err(ParseError::ChunkSizeOverflow)),
            (b"", Err(ParseError::InvalidChunkSize)),
            (b";ext", Err(ParseError::InvalidChunkSize)),
            (b"-1", Err(ParseError::InvalidChunkSize)),
            (b"0x1f", Err(ParseError::InvalidChunkSize)),
            (b"1 2", Err(ParseError::InvalidChunkSize)),
            (b"1;a\x00", Err(ParseError::InvalidChunkSize)),
        ];
        for (line, expected) in cases {
            assert_eq!(
                parse_chunk_size(line),
                expected,
                "{:?}",
                line.escape_ascii()
            );
        }
    }

    fn decode(
        input: &[u8],
        limits: &Limits,
    ) -> Result<Option<(alloc::vec::Vec<u8>, usize)>, ParseError> {
        let mut buf = input.to_vec();
        let mut decoder = ChunkedDecoder::new(0);
        Ok(decoder
            .advance(&mut buf, limits)?
            .map(|done| (buf[..done.body_end].to_vec(), done.consumed)))
    }

    #[test]
    fn decodes_in_place() {
        let limits = Limits::new();
        type Case = (
            &'static [u8],
            Result<Option<(&'static [u8], usize)>, ParseError>,
        );
        let cases: [Case; 12] = [
            (b"0\r\n\r\n", Ok(Some((b"", 5)))),
            (b"3\r\nabc\r\n0\r\n\r\nNEXT", Ok(Some((b"abc", 13)))),
            (
                b"3;x=1\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n",
                Ok(Some((b"abc0123456789", 32))),
            ),
            (
                b"3\r\nabc\r\n0\r\nExpires: never\r\nX: y\r\n\r\n",
                Ok(Some((b"abc", 35))),
            ),
            (b"3\r\nabc\r\n0\r\n", Ok(None)),
            (b"3\r\nab", Ok(None)),
            (b"3\r\nabc\r", Ok(None)),
            (b"3\r\nabcX\r\n", Err(ParseError::InvalidChunkTerminator)),
            (b"3\nabc\r\n", Err(ParseError::InvalidChunkSize)),
            (
                b"3\r\nabc\r\n0\r\nBad trailer\r\n\r\n",
                Err(ParseError::InvalidTrailer),
            ),
            (b"3\r\nabc\r\n0\r\n\n", Err(ParseError::InvalidTrailer)),
            (b"g\r\n", Err(ParseError::InvalidChunkSize)),
        ];
        for (input, expected) in cases {
            let expected =
                expected.map(|done| done.map(|(body, consumed)| (body.to_vec(), consumed)));
            assert_eq!(
                decode(input, &limits),
                expected,
                "{:?}",
                input.escape_ascii()
            );
        }
    }

    #[test]
    fn limits_exactly_and_one_over() {
        let input = b"5\r\nhello\r\n0\r\nA: b\r\n\r\n";
        let exact = Limits::new().with_max_body_len(5).with_max_head_len(8);
        assert_eq!(
            decode(input, &exact),
            Ok(Some((b"hello".to_vec(), input.len())))
        );
        let body = Limits::new().with_max_body_len(4);
        assert_eq!(
            decode(input, &body),
            Err(ParseError::BodyTooLarge { limit: 4 })
        );
        let trailers = Limits::new().with_max_head_len(7);
        assert_eq!(
            decode(input, &trailers),
            Err(ParseError::TrailersTooLarge { limit: 7 })
        );

        let mut line = alloc::vec![b'0'; MAX_CHUNK_LINE_LEN - 2];
        line.extend_from_slice(b"\r\n\r\n");
        assert_eq!(
            decode(&line, &Limits::new()),
            Ok(Some((alloc::vec::Vec::new(), line.len())))
        );
        let mut long = alloc::vec![b'0'; MAX_CHUNK_LINE_LEN - 1];
        long.extend_from_slice(b"\r\n\r\n");
        assert_eq!(
            decode(&long, &Limits::new()),
            Err(ParseError::ChunkLineTooLong {
                limit: MAX_CHUNK_LINE_LEN
            })
        );
    }
}
