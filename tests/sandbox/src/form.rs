//! Strict `application/x-www-form-urlencoded` decoding (token request bodies, query strings,
//! RFC 6749 §2.3.1 Basic credentials).

use percent_encoding::percent_decode;

/// Why a form could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FormError {
    /// A name or value is not UTF-8 once percent-decoded.
    NotUtf8,
    /// A parameter appears twice (RFC 6749 §3.1); carries its name.
    Repeated(String),
}

/// Decodes one form-urlencoded component: `+` is a space, `%XX` a byte, the result UTF-8.
///
/// A `%` not followed by two hex digits is kept literally, as the WHATWG URL standard does.
pub(crate) fn decode_component(raw: &str) -> Result<String, FormError> {
    let spaced = raw.replace('+', " ");
    percent_decode(spaced.as_bytes())
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| FormError::NotUtf8)
}

/// The `name=value` pairs of a form body or query string, in order, decoded.
///
/// Empty segments (`a=1&&b=2`) are skipped; a segment without `=` has an empty value.
pub(crate) fn decode_pairs(raw: &str) -> Result<Vec<(String, String)>, FormError> {
    raw.split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            Ok((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

/// RFC 6749 §3.1: parameters without a value are treated as omitted, and a parameter sent
/// twice is an error. Returns the remaining pairs in order.
pub(crate) fn oauth_parameters(raw: &str) -> Result<Vec<(String, String)>, FormError> {
    let mut parameters: Vec<(String, String)> = Vec::new();
    for (name, value) in decode_pairs(raw)? {
        if value.is_empty() {
            continue;
        }
        if parameters.iter().any(|(seen, _)| *seen == name) {
            return Err(FormError::Repeated(name));
        }
        parameters.push((name, value));
    }
    Ok(parameters)
}

/// The value of `name` among decoded pairs.
pub(crate) fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(candidate, _)| candidate == name)
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        let cases: &[(&str, Result<&str, FormError>)] = &[
            ("plain", Ok("plain")),
            ("a+b", Ok("a b")),
            ("a%2Bb", Ok("a+b")),
            ("%2F%3D%26%25", Ok("/=&%")),
            ("%c3%a9", Ok("é")),
            ("%C3%A9", Ok("é")),
            ("100%", Ok("100%")),
            ("%zz", Ok("%zz")),
            ("%20", Ok(" ")),
            ("%ff", Err(FormError::NotUtf8)),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                decode_component(raw),
                expected.clone().map(String::from),
                "{raw}"
            );
        }
    }

    #[test]
    fn pairs() {
        let pairs = decode_pairs("a=1&&b&c=x%3Dy=z&").expect("decodes");
        let expected = [("a", "1"), ("b", ""), ("c", "x=y=z")];
        assert_eq!(pairs.len(), expected.len());
        for ((name, value), (want_name, want_value)) in pairs.iter().zip(expected) {
            assert_eq!((name.as_str(), value.as_str()), (want_name, want_value));
        }
    }

    #[test]
    fn oauth_rules() {
        let pairs = oauth_parameters("grant_type=client_credentials&scope=&scope=a").expect("ok");
        assert_eq!(find(&pairs, "scope"), Some("a"));
        assert_eq!(find(&pairs, "grant_type"), Some("client_credentials"));
        assert_eq!(find(&pairs, "client_id"), None);
        assert_eq!(
            oauth_parameters("scope=a&scope=b"),
            Err(FormError::Repeated("scope".into()))
        );
        assert_eq!(oauth_parameters("x=%80"), Err(FormError::NotUtf8));
    }
}
