//! Client-side encodings the peer tests use: `application/x-www-form-urlencoded` values and
//! HTTP Basic client credentials (RFC 6749 §2.3.1), written independently of lucca-auth.

/// Percent-encodes every byte of `value` outside `A-Z a-z 0-9 - . _ ~` (UTF-8 bytes
/// included), writing space as `%20`.
///
/// ```
/// assert_eq!(lucca_auth_interop::form_urlencode("p:a+s s/%&=é"), "p%3Aa%2Bs%20s%2F%25%26%3D%C3%A9");
/// ```
pub fn form_urlencode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len() * 3);
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

/// Joins `name=value` pairs into a form body, both sides encoded with [`form_urlencode`].
///
/// ```
/// assert_eq!(
///     lucca_auth_interop::form_body(&[("grant_type", "client_credentials"), ("scope", "a b")]),
///     "grant_type=client_credentials&scope=a%20b",
/// );
/// ```
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", form_urlencode(name), form_urlencode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The `Authorization` header value for HTTP Basic client authentication:
/// `Basic base64(form_urlencode(id) ":" form_urlencode(secret))`, as RFC 6749 §2.3.1 asks.
///
/// ```
/// assert_eq!(lucca_auth_interop::basic_authorization("a b", "c:d"), "Basic YSUyMGI6YyUzQWQ=");
/// ```
pub fn basic_authorization(id: &str, secret: &str) -> String {
    let credentials = format!("{}:{}", form_urlencode(id), form_urlencode(secret));
    format!("Basic {}", base64(credentials.as_bytes()))
}

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                let index = usize::try_from((n >> shift) & 0x3f).unwrap_or(0);
                out.push(char::from(ALPHABET[index]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_urlencode_table() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("AZaz09-._~", "AZaz09-._~"),
            (" ", "%20"),
            ("+", "%2B"),
            (":/%&=", "%3A%2F%25%26%3D"),
            ("p:a+s s/%&=é€", "p%3Aa%2Bs%20s%2F%25%26%3D%C3%A9%E2%82%AC"),
            (
                "!*'()#?[]@$,;\"\\",
                "%21%2A%27%28%29%23%3F%5B%5D%40%24%2C%3B%22%5C",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(form_urlencode(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn base64_table() {
        let cases: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
            (&[0xff, 0xfe, 0xfd], "//79"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn basic_authorization_encodes_before_base64() {
        // RFC 6749 §2.3.1: id and secret are form-encoded, then joined, then base64.
        assert_eq!(
            basic_authorization("interop-special", "p:a+s s/%&="),
            format!(
                "Basic {}",
                base64(b"interop-special:p%3Aa%2Bs%20s%2F%25%26%3D")
            ),
        );
    }
}
