//! The one percent-encoder of the crate, for `application/x-www-form-urlencoded` bodies and
//! HTTP Basic credentials, and the [`ByteSink`] abstraction every wire writer writes into.
//!
//! Every byte outside the RFC 3986 unreserved set `A-Z a-z 0-9 - . _ ~` is written as `%XX`
//! with uppercase hexadecimal digits; a space becomes `%20`, never `+`. This is valid form
//! encoding (RFC 6749 Appendix B) and it is the only form that servers decode identically in
//! HTTP Basic credentials, where some read `+` as a space and others keep it.
//!
//! The encoder allocates nothing itself. It writes into any [`ByteSink`]: a `Vec<u8>`, a
//! [`ByteCounter`] that only measures, or a [`SliceWriter`] over a caller-provided buffer.
//! [`encoded_len`] gives the exact output length up front, so a short buffer is detected before
//! anything is written ([`encode_to_slice`], [`write_to_slice`]).
//!
//! ```
//! use lucca_auth::form;
//!
//! let mut body = Vec::new();
//! form::encode(b"Ab+1/c=d&e%f", &mut body);
//! assert_eq!(body, b"Ab%2B1%2Fc%3Dd%26e%25f");
//! assert_eq!(form::encoded_len(b"Ab+1/c=d&e%f"), body.len());
//!
//! let mut line = String::from("scope=");
//! form::encode_to_string("a b".as_bytes(), &mut line);
//! assert_eq!(line, "scope=a%20b");
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Somewhere to write output bytes: the destination of the form encoder and of every other
/// wire writer in the crate.
///
/// `put` cannot fail. A sink with a fixed capacity ([`SliceWriter`]) records that it ran short
/// and reports it when it is finished; writers that must be all-or-nothing measure first with
/// a [`ByteCounter`] (see [`write_to_slice`]).
pub trait ByteSink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

impl ByteSink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl<S: ByteSink + ?Sized> ByteSink for &mut S {
    fn put(&mut self, bytes: &[u8]) {
        (**self).put(bytes);
    }
}

/// A sink that only counts the bytes put into it: the exact length a writer would produce.
///
/// ```
/// use lucca_auth::form::{self, ByteCounter, ByteSink};
///
/// let mut counter = ByteCounter::new();
/// counter.put(b"scope=");
/// form::encode("é".as_bytes(), &mut counter);
/// assert_eq!(counter.count(), 12);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByteCounter {
    count: usize,
}

impl ByteCounter {
    /// A counter at zero.
    #[must_use]
    pub const fn new() -> Self {
        ByteCounter { count: 0 }
    }

    /// The number of bytes put so far (saturating at `usize::MAX`).
    #[must_use]
    pub const fn count(&self) -> usize {
        self.count
    }
}

impl ByteSink for ByteCounter {
    fn put(&mut self, bytes: &[u8]) {
        self.count = self.count.saturating_add(bytes.len());
    }
}

/// A short caller-provided buffer: how many bytes were needed and how many were available.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferTooSmall {
    /// The number of bytes the complete output needs.
    pub needed: usize,
    /// The size of the buffer that was provided.
    pub available: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "output buffer too small: {} bytes needed, {} available",
            self.needed, self.available
        )
    }
}

impl core::error::Error for BufferTooSmall {}

/// A cursor that writes bytes into a fixed slice and knows how much room is left.
///
/// Writing more than fits is not an error at the call site (body encoders write through
/// infallible sinks); the writer stops copying at the first piece that does not fit, keeps
/// counting what was asked of it, and reports the shortfall from [`SliceWriter::finish`].
/// A piece is copied whole or not at all, and nothing is copied after the first piece that did
/// not fit.
///
/// ```
/// use lucca_auth::form::SliceWriter;
///
/// let mut buf = [0u8; 8];
/// let mut out = SliceWriter::new(&mut buf);
/// out.put(b"grant");
/// assert_eq!(out.remaining(), 3);
/// out.put(b"_type");
/// assert_eq!(out.written(), b"grant");
/// assert_eq!(out.requested(), 10);
/// assert_eq!(out.finish().map_err(|e| e.needed), Err(10));
/// ```
#[derive(Debug)]
pub struct SliceWriter<'a> {
    buf: &'a mut [u8],
    filled: usize,
    requested: usize,
    overflowed: bool,
}

impl<'a> SliceWriter<'a> {
    /// A writer that fills `buf` from its start.
    #[must_use]
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceWriter {
            buf,
            filled: 0,
            requested: 0,
            overflowed: false,
        }
    }

    /// Appends `bytes` if they fit entirely; otherwise copies nothing, now or later, and
    /// remembers the shortfall.
    pub fn put(&mut self, bytes: &[u8]) {
        self.requested = self.requested.saturating_add(bytes.len());
        if self.overflowed {
            return;
        }
        let end = self.filled.saturating_add(bytes.len());
        match self.buf.get_mut(self.filled..end) {
            Some(dest) => {
                dest.copy_from_slice(bytes);
                self.filled = end;
            }
            None => self.overflowed = true,
        }
    }

    /// The size of the underlying slice.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// How many more bytes fit (zero once a piece did not fit).
    #[must_use]
    pub fn remaining(&self) -> usize {
        if self.overflowed {
            0
        } else {
            self.buf.len().saturating_sub(self.filled)
        }
    }

    /// The bytes written so far.
    #[must_use]
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.filled).unwrap_or_default()
    }

    /// The total number of bytes asked for so far, including any that did not fit.
    #[must_use]
    pub fn requested(&self) -> usize {
        self.requested
    }

    /// Whether some piece did not fit.
    #[must_use]
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// The number of bytes written, or [`BufferTooSmall`] with the total that was asked for.
    pub fn finish(self) -> Result<usize, BufferTooSmall> {
        if self.overflowed {
            Err(BufferTooSmall {
                needed: self.requested,
                available: self.buf.len(),
            })
        } else {
            Ok(self.filled)
        }
    }
}

impl ByteSink for SliceWriter<'_> {
    fn put(&mut self, bytes: &[u8]) {
        SliceWriter::put(self, bytes);
    }
}

impl fmt::Write for SliceWriter<'_> {
    /// Writes the string's bytes; fails (with [`fmt::Error`]) once the slice is full.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s.as_bytes());
        if self.overflowed {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

/// Runs `write` against `out` all or nothing: `write` first runs against a [`ByteCounter`];
/// only when the whole output fits does it run again into `out`. Returns the number of bytes
/// written; on a short buffer, `out` is left untouched.
///
/// `write` must produce the same bytes each time it runs (every writer in this crate does).
///
/// ```
/// use lucca_auth::form::{self, BufferTooSmall, ByteSink};
///
/// let write = |sink: &mut dyn ByteSink| {
///     sink.put(b"client_id=");
///     form::encode(b"a b", sink);
/// };
/// let mut buf = [0u8; 32];
/// assert_eq!(form::write_to_slice(&mut buf, write), Ok(15));
/// assert_eq!(&buf[..15], b"client_id=a%20b");
///
/// let mut short = [0u8; 4];
/// assert_eq!(
///     form::write_to_slice(&mut short, write),
///     Err(BufferTooSmall { needed: 15, available: 4 })
/// );
/// assert_eq!(short, [0u8; 4]);
/// ```
pub fn write_to_slice<F>(out: &mut [u8], mut write: F) -> Result<usize, BufferTooSmall>
where
    F: FnMut(&mut dyn ByteSink),
{
    let mut counter = ByteCounter::new();
    write(&mut counter);
    let needed = counter.count();
    if needed > out.len() {
        return Err(BufferTooSmall {
            needed,
            available: out.len(),
        });
    }
    let mut sink = SliceWriter::new(out);
    write(&mut sink);
    sink.finish()
}

/// `UNRESERVED[b]` is true for the bytes written as themselves: `A-Z a-z 0-9 - . _ ~`.
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// Uppercase hexadecimal digits.
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `byte` is written as itself (`A-Z a-z 0-9 - . _ ~`) rather than as `%XX`.
///
/// ```
/// use lucca_auth::form::is_unreserved;
///
/// assert!(is_unreserved(b'~'));
/// assert!(!is_unreserved(b'*'));
/// assert!(!is_unreserved(b' '));
/// ```
#[must_use]
pub const fn is_unreserved(byte: u8) -> bool {
    UNRESERVED[byte as usize]
}

/// The `%XX` triple for `byte`, uppercase hexadecimal.
const fn escape(byte: u8) -> [u8; 3] {
    [b'%', HEX[(byte >> 4) as usize], HEX[(byte & 0x0F) as usize]]
}

/// The exact number of bytes [`encode`] writes for `input`.
///
/// ```
/// use lucca_auth::form::encoded_len;
///
/// assert_eq!(encoded_len(b""), 0);
/// assert_eq!(encoded_len(b"abc"), 3);
/// assert_eq!(encoded_len("a é".as_bytes()), 10); // a %20 %C3%A9
/// ```
#[must_use]
pub fn encoded_len(input: &[u8]) -> usize {
    input.iter().fold(0usize, |len, &b| {
        len.saturating_add(if is_unreserved(b) { 1 } else { 3 })
    })
}

/// Percent-encodes `input` into `sink`: unreserved bytes as themselves, every other byte as
/// `%XX` (uppercase), a space as `%20`. Runs of unreserved bytes are written in one `put`.
///
/// ```
/// use lucca_auth::form;
///
/// let mut out = Vec::new();
/// form::encode("~*!'() é€".as_bytes(), &mut out);
/// assert_eq!(out, b"~%2A%21%27%28%29%20%C3%A9%E2%82%AC");
/// ```
pub fn encode<S: ByteSink + ?Sized>(input: &[u8], sink: &mut S) {
    let mut rest = input;
    while !rest.is_empty() {
        let run = rest.iter().take_while(|&&b| is_unreserved(b)).count();
        let (plain, tail) = rest.split_at(run);
        if !plain.is_empty() {
            sink.put(plain);
        }
        let Some((&byte, tail)) = tail.split_first() else {
            break;
        };
        sink.put(&escape(byte));
        rest = tail;
    }
}

/// Percent-encodes `input` and appends it to `out`, reserving the exact length first.
///
/// ```
/// use lucca_auth::form;
///
/// let mut out = String::new();
/// form::encode_to_string("é".as_bytes(), &mut out);
/// assert_eq!(out, "%C3%A9");
/// ```
pub fn encode_to_string(input: &[u8], out: &mut String) {
    out.reserve(encoded_len(input));
    for &byte in input {
        if is_unreserved(byte) {
            out.push(char::from(byte));
        } else {
            for digit in escape(byte) {
                out.push(char::from(digit));
            }
        }
    }
}

/// Percent-encodes `input` into the start of `out`, returning the number of bytes written.
/// When `out` is shorter than [`encoded_len`]`(input)`, nothing is written.
///
/// ```
/// use lucca_auth::form::{self, BufferTooSmall};
///
/// let mut buf = [0u8; 6];
/// assert_eq!(form::encode_to_slice(b"a&b", &mut buf), Ok(5));
/// assert_eq!(&buf[..5], b"a%26b");
/// assert_eq!(
///     form::encode_to_slice(b"&&&", &mut buf),
///     Err(BufferTooSmall { needed: 9, available: 6 })
/// );
/// ```
pub fn encode_to_slice(input: &[u8], out: &mut [u8]) -> Result<usize, BufferTooSmall> {
    write_to_slice(out, |sink| encode(input, sink))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// (input, exact encoding)
    const VECTORS: &[(&[u8], &str)] = &[
        (b"", ""),
        (b"AZaz09-._~", "AZaz09-._~"),
        (b"~", "~"),
        (b"*", "%2A"),
        (b"!", "%21"),
        (b"'", "%27"),
        (b"(", "%28"),
        (b")", "%29"),
        (b"+", "%2B"),
        (b"&", "%26"),
        (b"=", "%3D"),
        (b"%", "%25"),
        (b"/", "%2F"),
        (b":", "%3A"),
        (b" ", "%20"),
        (b"a b", "a%20b"),
        (b"\r\n\0", "%0D%0A%00"),
        (b"\x7f\xff", "%7F%FF"),
        ("é".as_bytes(), "%C3%A9"),
        ("€".as_bytes(), "%E2%82%AC"),
        ("😀".as_bytes(), "%F0%9F%98%80"),
        (b"Ab+1/c=d&e%f", "Ab%2B1%2Fc%3Dd%26e%25f"),
        (
            b"leaves.readwrite leave-requests.readonly",
            "leaves.readwrite%20leave-requests.readonly",
        ),
    ];

    #[test]
    fn exact_vectors_into_vec_string_slice_and_counter() {
        for &(input, expected) in VECTORS {
            let mut vec = Vec::new();
            encode(input, &mut vec);
            assert_eq!(vec, expected.as_bytes(), "vec: {input:?}");

            let mut string = String::from(">");
            encode_to_string(input, &mut string);
            assert_eq!(&string[1..], expected, "string: {input:?}");

            assert_eq!(encoded_len(input), expected.len(), "len: {input:?}");

            let mut counter = ByteCounter::new();
            encode(input, &mut counter);
            assert_eq!(counter.count(), expected.len(), "counter: {input:?}");

            let mut buf = vec![0u8; expected.len()];
            assert_eq!(encode_to_slice(input, &mut buf), Ok(expected.len()));
            assert_eq!(buf, expected.as_bytes(), "slice: {input:?}");
        }
    }

    #[test]
    fn every_byte_is_encoded_as_the_table_says() {
        for b in 0..=255u8 {
            let mut out = Vec::new();
            encode(&[b], &mut out);
            let unreserved = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
            if unreserved {
                assert_eq!(out, [b]);
            } else {
                let expected = alloc::format!("%{b:02X}");
                assert_eq!(out, expected.as_bytes());
            }
            assert_eq!(is_unreserved(b), unreserved);
        }
    }

    #[test]
    fn short_slice_is_untouched() {
        const fn short(needed: usize, available: usize) -> Result<usize, BufferTooSmall> {
            Err(BufferTooSmall { needed, available })
        }
        // (input, buffer size, expected result)
        let cases: &[(&[u8], usize, Result<usize, BufferTooSmall>)] = &[
            (b"", 0, Ok(0)),
            (b"a", 0, short(1, 0)),
            (b" ", 2, short(3, 2)),
            (b" ", 3, Ok(3)),
            ("é".as_bytes(), 5, short(6, 5)),
            ("é".as_bytes(), 7, Ok(6)),
        ];
        for &(input, size, expected) in cases {
            let mut buf = vec![b'#'; size];
            assert_eq!(
                encode_to_slice(input, &mut buf),
                expected,
                "{input:?} into {size}"
            );
            if expected.is_err() {
                assert!(buf.iter().all(|&b| b == b'#'), "half-written: {buf:?}");
            }
        }
    }

    #[test]
    fn slice_writer_stops_at_first_overflow_and_counts_needed() {
        let mut buf = [0u8; 6];
        let mut sink = SliceWriter::new(&mut buf);
        sink.put(b"abcd");
        sink.put(b"efg"); // does not fit: not written, nor is anything after it
        sink.put(b"h");
        assert_eq!(sink.written(), b"abcd");
        assert!(sink.overflowed());
        assert_eq!(
            sink.finish(),
            Err(BufferTooSmall {
                needed: 8,
                available: 6
            })
        );
        assert_eq!(&buf, b"abcd\0\0");
    }

    #[test]
    fn buffer_too_small_display() {
        let e = BufferTooSmall {
            needed: 142,
            available: 64,
        };
        assert_eq!(
            alloc::format!("{e}"),
            "output buffer too small: 142 bytes needed, 64 available"
        );
    }
}
