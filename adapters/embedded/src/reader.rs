//! The bookkeeping of reading one response into the caller's buffer: where the next read goes,
//! feeding the core's [`ResponseParser`], and telling a full buffer from a complete response.
//! Shared by the blocking and the async driver, which only do the reads and writes.

use lucca_auth::codec::{
    ConnectionMode, Limits, ParseError, ParseStatus, ParsedResponse, ResponseParser,
};

/// A complete response in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exchanged {
    /// Where its parts lie in the response buffer.
    pub(crate) parsed: ParsedResponse,
    /// Whether the connection may carry the next request.
    pub(crate) connection: ConnectionMode,
}

/// Why an exchange produced no response. Every one leaves the connection unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExchangeError {
    /// The connection's read, write or flush failed.
    Io(embedded_io::ErrorKind),
    /// The bytes are not a valid response, or the connection closed early.
    Http(ParseError),
    /// The response does not fit in the buffer.
    BufferTooSmall {
        needed: Option<usize>,
        available: usize,
    },
}

/// Where the next read goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NextRead {
    /// Into the response buffer from this offset to its end (never empty).
    Buffer(usize),
    /// The buffer is full and the response may still be complete (a body delimited by the
    /// connection's close): read into a one-byte probe. End of stream completes it; a byte
    /// means it did not fit.
    Probe,
}

/// Reads one response: the parser and how much of the buffer is filled.
#[derive(Debug)]
pub(crate) struct ResponseReader {
    parser: ResponseParser,
    filled: usize,
    asked_close: bool,
}

impl ResponseReader {
    /// A reader for the response to a request that asked for `connection`, a `HEAD` request
    /// when `head_request`.
    pub(crate) fn new(limits: Limits, head_request: bool, connection: ConnectionMode) -> Self {
        ResponseReader {
            parser: if head_request {
                ResponseParser::for_head_request(limits)
            } else {
                ResponseParser::new(limits)
            },
            filled: 0,
            asked_close: connection == ConnectionMode::Close,
        }
    }

    /// Where the next read goes in a buffer of `capacity` bytes.
    pub(crate) fn next_read(&self, capacity: usize) -> NextRead {
        if self.filled < capacity {
            NextRead::Buffer(self.filled)
        } else {
            NextRead::Probe
        }
    }

    /// Takes `n` bytes read into `buf` at [`NextRead::Buffer`]'s offset (0: end of stream).
    /// `Ok(None)`: read again.
    pub(crate) fn handle_read(
        &mut self,
        buf: &mut [u8],
        n: usize,
    ) -> Result<Option<Exchanged>, ExchangeError> {
        let capacity = buf.len();
        let filled = self.filled.min(capacity);
        if n == 0 {
            return self.handle_eof(buf);
        }
        // A connection that claims more than it was given cannot overrun the buffer.
        self.filled = filled.saturating_add(n).min(capacity);
        let Some(received) = buf.get_mut(..self.filled) else {
            return Err(ExchangeError::Http(ParseError::BufferShrunk));
        };
        match self.parser.handle_bytes(received) {
            Ok(ParseStatus::Complete(parsed)) => Ok(Some(self.exchanged(parsed))),
            Ok(ParseStatus::Partial { min_len }) => match min_len {
                // Full, and the parser knows the response is longer.
                Some(needed) if self.filled >= capacity => Err(ExchangeError::BufferTooSmall {
                    needed: Some(needed.max(capacity.saturating_add(1))),
                    available: capacity,
                }),
                _ => Ok(None),
            },
            Err(error) => Err(ExchangeError::Http(error)),
        }
    }

    /// Takes the result of a read into the one-byte probe (0: end of stream).
    pub(crate) fn handle_probe(
        &mut self,
        buf: &mut [u8],
        n: usize,
    ) -> Result<Option<Exchanged>, ExchangeError> {
        if n == 0 {
            return self.handle_eof(buf);
        }
        Err(ExchangeError::BufferTooSmall {
            needed: None,
            available: buf.len(),
        })
    }

    fn handle_eof(&mut self, buf: &mut [u8]) -> Result<Option<Exchanged>, ExchangeError> {
        let Some(received) = buf.get_mut(..self.filled) else {
            return Err(ExchangeError::Http(ParseError::BufferShrunk));
        };
        match self.parser.handle_eof(received) {
            Ok(ParseStatus::Complete(parsed)) => Ok(Some(self.exchanged(parsed))),
            // `handle_eof` never answers Partial; were it to, the response is cut short.
            Ok(ParseStatus::Partial { .. }) => Err(ExchangeError::Http(ParseError::UnexpectedEof)),
            Err(error) => Err(ExchangeError::Http(error)),
        }
    }

    /// The response and the connection's fate: closed when the server says so, when we asked
    /// for it, or when bytes beyond the response arrived (we never pipeline, so they cannot
    /// be trusted to start the next response).
    fn exchanged(&self, parsed: ParsedResponse) -> Exchanged {
        let extra_bytes = self.filled > parsed.consumed();
        let connection = if extra_bytes || self.asked_close {
            ConnectionMode::Close
        } else {
            parsed.connection()
        };
        Exchanged { parsed, connection }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` into a buffer of `capacity` in reads of at most `chunk` bytes, as a
    /// driver would, ending with end of stream.
    fn read_all(
        input: &[u8],
        capacity: usize,
        chunk: usize,
    ) -> Result<(Exchanged, usize), ExchangeError> {
        let mut buf = [0u8; 512];
        let buf = &mut buf[..capacity];
        let mut reader = ResponseReader::new(Limits::new(), false, ConnectionMode::KeepAlive);
        let mut pos = 0;
        loop {
            let step = match reader.next_read(buf.len()) {
                NextRead::Buffer(at) => {
                    let n = (input.len() - pos).min(chunk).min(buf.len() - at);
                    buf[at..at + n].copy_from_slice(&input[pos..pos + n]);
                    pos += n;
                    reader.handle_read(buf, n)?
                }
                NextRead::Probe => {
                    let n = usize::from(pos < input.len());
                    pos += n;
                    reader.handle_probe(buf, n)?
                }
            };
            if let Some(done) = step {
                return Ok((done, reader.filled));
            }
        }
    }

    #[test]
    fn buffer_limits_exactly_and_one_over() {
        let fixed: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody";
        let chunked: &[u8] =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n";
        let close: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody";
        let head_only: &[u8] = b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n";
        type Case = (&'static [u8], usize, Result<ConnectionMode, ExchangeError>);
        let cases: [Case; 8] = [
            (fixed, fixed.len(), Ok(ConnectionMode::KeepAlive)),
            (
                fixed,
                fixed.len() - 1,
                Err(ExchangeError::BufferTooSmall {
                    needed: Some(fixed.len()),
                    available: fixed.len() - 1,
                }),
            ),
            (chunked, chunked.len(), Ok(ConnectionMode::KeepAlive)),
            (
                chunked,
                chunked.len() - 1,
                Err(ExchangeError::BufferTooSmall {
                    needed: Some(chunked.len()),
                    available: chunked.len() - 1,
                }),
            ),
            (close, close.len(), Ok(ConnectionMode::Close)),
            (
                close,
                close.len() - 1,
                Err(ExchangeError::BufferTooSmall {
                    needed: None,
                    available: close.len() - 1,
                }),
            ),
            (head_only, head_only.len(), Ok(ConnectionMode::KeepAlive)),
            (
                head_only,
                head_only.len() - 1,
                Err(ExchangeError::BufferTooSmall {
                    needed: None,
                    available: head_only.len() - 1,
                }),
            ),
        ];
        for (input, capacity, expected) in cases {
            for chunk in [1, 3, 512] {
                let result = read_all(input, capacity, chunk).map(|(done, filled)| {
                    assert_eq!(filled, input.len());
                    done.connection
                });
                assert_eq!(result, expected, "{capacity} {chunk}");
            }
        }
    }

    #[test]
    fn bytes_after_the_response_close_the_connection() {
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1";
        let (done, _) = read_all(input, 100, 100).expect("complete");
        assert_eq!(done.connection, ConnectionMode::Close);
        let (done, _) = read_all(input, 100, 1).expect("complete");
        assert_eq!(done.connection, ConnectionMode::KeepAlive);
    }

    #[test]
    fn end_of_stream_mid_response_and_before_it() {
        assert_eq!(
            read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 100, 7),
            Err(ExchangeError::Http(ParseError::UnexpectedEof))
        );
        assert_eq!(
            read_all(b"", 100, 7),
            Err(ExchangeError::Http(ParseError::ClosedBeforeResponse))
        );
        assert_eq!(
            read_all(b"", 0, 7),
            Err(ExchangeError::Http(ParseError::ClosedBeforeResponse))
        );
    }

    #[test]
    fn a_connection_claiming_more_than_it_was_given_is_clamped() {
        let mut buf = *b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        let mut reader = ResponseReader::new(Limits::new(), false, ConnectionMode::KeepAlive);
        let done = reader.handle_read(&mut buf, usize::MAX).expect("valid");
        assert!(done.is_some());
    }
}
