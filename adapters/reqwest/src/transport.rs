//! What the adapter needs from reqwest beyond sending: the kind of a failure, bodies read
//! with a size cap, the borrowed view of a response the core classifies, and the clock.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use lucca_auth::response::{Header, HttpResponse};
use lucca_auth::time::{Instant, UnixTime};
use lucca_auth::token_response::{TransportError, TransportErrorKind};
use reqwest::header::{HeaderMap, HeaderValue};
use zeroize::Zeroizing;

/// The kind of a reqwest failure, in the core's vocabulary.
pub(crate) fn error_kind(error: &reqwest::Error) -> TransportErrorKind {
    if is_tls(error) {
        TransportErrorKind::Tls
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_request() || error.is_body() || error.is_decode() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    }
}

/// Whether a rustls error is somewhere in the chain (certificate or handshake failure).
fn is_tls(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        source = current.source();
    }
    false
}

/// A transport failure in the core's terms: the kind and a fixed detail, never reqwest's
/// message (which quotes URLs, proxy answers or certificate contents).
pub(crate) fn transport_error(error: &reqwest::Error) -> TransportError {
    let kind = error_kind(error);
    let detail = if error.is_body() {
        "reading the answer failed"
    } else if error.is_connect() {
        "connecting failed"
    } else {
        "sending the request failed"
    };
    TransportError::new(kind).with_detail(detail)
}

/// Reads a whole body of at most `limit` bytes. A body that arrives in one piece (the usual
/// case for a small JSON answer) is returned as received, without copying.
pub(crate) async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Result<Bytes, TooLarge>, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Ok(Err(TooLarge));
    }
    let Some(first) = response.chunk().await? else {
        return Ok(Ok(Bytes::new()));
    };
    if first.len() > limit {
        return Ok(Err(TooLarge));
    }
    let Some(second) = response.chunk().await? else {
        return Ok(Ok(first));
    };
    let mut body = bytes::BytesMut::with_capacity(first.len() + second.len());
    body.extend_from_slice(&first);
    body.extend_from_slice(&second);
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            return Ok(Err(TooLarge));
        }
    }
    if body.len() > limit {
        return Ok(Err(TooLarge));
    }
    Ok(Ok(body.freeze()))
}

/// A body longer than the limit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TooLarge;

/// Reads at most `limit` bytes of a body (one more is read to tell "longer than `limit`"),
/// into `out`, a zeroizing buffer that is replaced (not grown in place) when it runs out of
/// room, so that no copy of a token answer is left behind in freed memory. Returns whether
/// the body was longer than `limit` (and cut).
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
    out: &mut Zeroizing<Vec<u8>>,
) -> Result<bool, reqwest::Error> {
    while let Some(chunk) = response.chunk().await? {
        let room = limit.saturating_add(1).saturating_sub(out.len());
        let piece = chunk.get(..chunk.len().min(room)).unwrap_or_default();
        if out.capacity() - out.len() < piece.len() {
            let wanted = (out.len() + piece.len())
                .max(out.capacity().saturating_mul(2))
                .min(limit.saturating_add(1));
            let mut bigger = Zeroizing::new(Vec::with_capacity(wanted));
            bigger.extend_from_slice(out);
            // The old buffer is zeroized as it is dropped here.
            *out = bigger;
        }
        out.extend_from_slice(piece);
        if out.len() > limit {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The header fields of a reqwest response as the core's borrowed [`Header`]s.
pub(crate) fn core_headers(headers: &HeaderMap) -> Vec<Header<'_>> {
    headers
        .iter()
        .map(|(name, value)| Header {
            name: name.as_str(),
            value: value.as_bytes(),
        })
        .collect()
}

/// A borrowed response for the core, stamped with the wall clock.
pub(crate) fn core_response<'a>(
    status: u16,
    headers: &'a [Header<'a>],
    body: &'a [u8],
) -> HttpResponse<'a> {
    HttpResponse::new(status, headers, body).with_wall_clock(wall_clock())
}

/// The wall clock in whole seconds since the epoch (the epoch if the clock is before it).
pub(crate) fn wall_clock() -> UnixTime {
    UnixTime::from_secs(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs()),
    )
}

/// The monotonic clock every token machine of one client reads: milliseconds since the
/// client was built.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    origin: std::time::Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            origin: std::time::Instant::now(),
        }
    }

    /// Now, on this clock.
    pub(crate) fn now(self) -> Instant {
        Instant::from_millis(u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// The platform instant of a core instant on this clock.
    pub(crate) fn to_std(self, instant: Instant) -> std::time::Instant {
        self.origin + std::time::Duration::from_millis(instant.as_millis())
    }
}

/// Bytes whose storage is zeroized when the last [`Bytes`] (or header value) sharing them is
/// dropped.
struct ZeroizingOwner(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for ZeroizingOwner {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Secret bytes as [`Bytes`] that zeroize their storage when the last clone is dropped.
/// Copies that hyper makes into its connection buffers are out of reach.
pub(crate) fn zeroizing_bytes(secret: Zeroizing<Vec<u8>>) -> Bytes {
    Bytes::from_owner(ZeroizingOwner(secret))
}

/// A sensitive header value (hidden from `Debug`, never indexed by HTTP/2 HPACK) over
/// zeroizing storage; `None` when the bytes are not a valid field value.
pub(crate) fn secret_header_value(secret: Zeroizing<Vec<u8>>) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_maybe_shared(zeroizing_bytes(secret)).ok()?;
    value.set_sensitive(true);
    Some(value)
}
