//! [`Problem`]: the RFC 7807 / RFC 9457 `application/problem+json` error body, as Lucca's API
//! sends it (ASP.NET-style: an `errors` map of field → messages and a `traceId`).
//!
//! Parsing is lenient, because an error body is diagnostic information, never a reason to
//! fail harder: anything that is not a JSON object gives `None`, a member of the wrong type is
//! ignored, unknown members are ignored. Decide what to do from the status code, never from
//! the `title`, as [`ApiResponseClass::classify`](crate::api::ApiResponseClass::classify)
//! does; it attaches the parsed problem to a fatal 4xx.
//!
//! ```
//! use lucca_auth::problem::Problem;
//!
//! let body = br#"{
//!     "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
//!     "title": "One or more validation errors occurred.",
//!     "status": 400,
//!     "errors": { "startsOn": ["The date is required."] },
//!     "traceId": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
//! }"#;
//! let problem = Problem::parse(body).unwrap();
//! assert_eq!(problem.status, Some(400));
//! assert_eq!(problem.errors_for("startsOn"), Some(&["The date is required.".to_string()][..]));
//! assert_eq!(problem.trace_id.as_deref(), Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
//! assert_eq!(Problem::parse(b"<html>Bad Gateway</html>"), None);
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Bodies longer than this many bytes are not parsed ([`Problem::parse`] gives `None`).
pub const MAX_PROBLEM_BODY: usize = 64 * 1024;

/// The media type of a problem details body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem details object (RFC 9457, which obsoletes RFC 7807).
///
/// Every member is optional; a member the server sent with the wrong JSON type is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// `type`: a URI reference naming the kind of problem.
    pub problem_type: Option<String>,
    /// `title`: a short human-readable summary. For display only.
    pub title: Option<String>,
    /// `status`: the status code the server says it sent.
    pub status: Option<u16>,
    /// `detail`: a human-readable explanation of this occurrence.
    pub detail: Option<String>,
    /// `instance`: a URI reference naming this occurrence.
    pub instance: Option<String>,
    /// `errors`: field name → messages, in the order received. A list of bare strings is
    /// gathered under the field `""`; a list of objects is read from their `field` / `name` /
    /// `propertyName` / `pointer` member and their `message` / `messages` / `detail` /
    /// `errorMessage` / `reason` member. Repeated fields are merged.
    pub errors: Vec<(String, Vec<String>)>,
    /// `traceId` or `trace_id`, top-level or under `extensions` (top-level wins).
    pub trace_id: Option<String>,
}

impl Problem {
    /// Parses a problem details body.
    ///
    /// `None` when the body is longer than [`MAX_PROBLEM_BODY`], is not JSON, is not a JSON
    /// object, or is an object with none of the members above. A UTF-8 byte-order mark is
    /// skipped. Member names are matched ASCII case-insensitively; for a repeated member the
    /// first usable value wins.
    ///
    /// ```
    /// use lucca_auth::problem::Problem;
    ///
    /// let problem = Problem::parse(br#"{"title": "Not Found", "status": "404", "detail": 7}"#).unwrap();
    /// assert_eq!(problem.title.as_deref(), Some("Not Found"));
    /// assert_eq!(problem.status, Some(404));
    /// assert_eq!(problem.detail, None);
    /// assert_eq!(Problem::parse(b"{}"), None);
    /// assert_eq!(Problem::parse(b""), None);
    /// ```
    #[must_use]
    pub fn parse(body: &[u8]) -> Option<Problem> {
        if body.len() > MAX_PROBLEM_BODY {
            return None;
        }
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let problem = serde_json::from_slice::<ProblemObject>(body).ok()?.0;
        (problem != Problem::default()).then_some(problem)
    }

    /// The messages for `field` (exact match), if the problem lists any for it.
    #[must_use]
    pub fn errors_for(&self, field: &str) -> Option<&[String]> {
        self.errors
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, messages)| messages.as_slice())
    }
}

/// The top-level object, read member by member so that order is kept and no member's type can
/// fail the whole parse.
struct ProblemObject(Problem);

impl<'de> Deserialize<'de> for ProblemObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ProblemVisitor)
    }
}

struct ProblemVisitor;

/// Sets `slot` to `value` unless it already holds something.
fn first<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

impl<'de> Visitor<'de> for ProblemVisitor {
    type Value = ProblemObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a problem details object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ProblemObject, A::Error> {
        let mut problem = Problem::default();
        let mut extension_trace_id = None;
        while let Some(key) = map.next_key::<String>()? {
            let is = |name: &str| key.eq_ignore_ascii_case(name);
            if is("type") {
                first(&mut problem.problem_type, text(map.next_value()?));
            } else if is("title") {
                first(&mut problem.title, text(map.next_value()?));
            } else if is("status") {
                first(&mut problem.status, status(&map.next_value()?));
            } else if is("detail") {
                first(&mut problem.detail, text(map.next_value()?));
            } else if is("instance") {
                first(&mut problem.instance, text(map.next_value()?));
            } else if is("errors") {
                let Errors(errors) = map.next_value()?;
                merge_errors(&mut problem.errors, errors);
            } else if is("traceId") || is("trace_id") {
                first(&mut problem.trace_id, text(map.next_value()?));
            } else if is("extensions") {
                if let Value::Object(extensions) = map.next_value()? {
                    let found = extensions
                        .iter()
                        .filter(|(k, _)| {
                            k.eq_ignore_ascii_case("traceId") || k.eq_ignore_ascii_case("trace_id")
                        })
                        .find_map(|(_, v)| text(v.clone()));
                    first(&mut extension_trace_id, found);
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        first(&mut problem.trace_id, extension_trace_id);
        Ok(ProblemObject(problem))
    }
}

/// A JSON string member; anything else is ignored.
fn text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A status: an integer or a string of digits that fits a `u16`.
fn status(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

/// Appends `(field, messages)` entries to `into`, merging repeated fields in first-seen order.
fn merge_errors(into: &mut Vec<(String, Vec<String>)>, entries: Vec<(String, Vec<String>)>) {
    for (field, messages) in entries {
        match into.iter_mut().find(|(name, _)| *name == field) {
            Some((_, existing)) => existing.extend(messages),
            None => into.push((field, messages)),
        }
    }
}

/// The `errors` member in any of the shapes servers send; any other JSON type is empty.
struct Errors(Vec<(String, Vec<String>)>);

impl<'de> Deserialize<'de> for Errors {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ErrorsVisitor)
    }
}

struct ErrorsVisitor;

impl<'de> Visitor<'de> for ErrorsVisitor {
    type Value = Errors;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an errors map or list")
    }

    /// `{"field": ["message", …] | "message" | {…}}`
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Errors, A::Error> {
        let mut errors = Vec::new();
        while let Some(field) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            if matches!(value, Value::String(_) | Value::Array(_) | Value::Object(_)) {
                merge_errors(&mut errors, [(field, messages(value))].into());
            }
        }
        Ok(Errors(errors))
    }

    /// `["message", …]` or `[{"field": …, "message": …}, …]`
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Errors, A::Error> {
        let mut errors = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            match item {
                Value::String(message) => {
                    merge_errors(&mut errors, [(String::new(), [message].into())].into())
                }
                Value::Object(object) => {
                    let field = member(&object, FIELD_NAMES)
                        .and_then(text)
                        .unwrap_or_default();
                    let messages = member(&object, MESSAGE_NAMES)
                        .map(messages)
                        .unwrap_or_default();
                    if !messages.is_empty() {
                        merge_errors(&mut errors, [(field, messages)].into());
                    }
                }
                _ => {}
            }
        }
        Ok(Errors(errors))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Errors, E> {
        Ok(Errors(Vec::new()))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Errors, E> {
        Ok(Errors(Vec::new()))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Errors, E> {
        Ok(Errors(Vec::new()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Errors, E> {
        Ok(Errors(Vec::new()))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Errors, E> {
        Ok(Errors(Vec::new()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Errors, E> {
        Ok(Errors(Vec::new()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Errors, E> {
        Ok(Errors(Vec::new()))
    }
}

/// Members naming the field of an error object, in order of preference.
const FIELD_NAMES: &[&str] = &[
    "field",
    "name",
    "propertyName",
    "property",
    "pointer",
    "key",
];

/// Members holding the message(s) of an error object, in order of preference.
const MESSAGE_NAMES: &[&str] = &[
    "message",
    "messages",
    "detail",
    "errorMessage",
    "reason",
    "description",
];

/// The first member of `object` named (ASCII case-insensitively) by `names`, by preference.
fn member(object: &serde_json::Map<String, Value>, names: &[&str]) -> Option<Value> {
    names.iter().find_map(|wanted| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(wanted))
            .map(|(_, v)| v.clone())
    })
}

/// The messages in a value: a string, a list of strings or message objects, or one message
/// object. Other values hold no message.
fn messages(value: Value) -> Vec<String> {
    match value {
        Value::String(message) => [message].into(),
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| match item {
                Value::String(message) => Some(message),
                Value::Object(object) => member(&object, MESSAGE_NAMES).and_then(text),
                _ => None,
            })
            .collect(),
        Value::Object(object) => member(&object, MESSAGE_NAMES)
            .map(messages)
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn errors(entries: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        entries
            .iter()
            .map(|(field, messages)| {
                (
                    field.to_string(),
                    messages.iter().map(ToString::to_string).collect(),
                )
            })
            .collect()
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn parses_exact_values() {
        let lucca_validation = Problem {
            problem_type: some("https://tools.ietf.org/html/rfc9110#section-15.5.1"),
            title: some("One or more validation errors occurred."),
            status: Some(400),
            detail: None,
            instance: some("/lucca-api/leaves"),
            errors: errors(&[
                ("startsOn", &["The date is required.", "Must be a date."]),
                ("$.owner", &["Unknown owner."]),
            ]),
            trace_id: some("00-4bf9-01"),
        };
        let cases: &[(&[u8], Option<Problem>)] = &[
            (
                br#"{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"instance":"/lucca-api/leaves","errors":{"startsOn":["The date is required.","Must be a date."],"$.owner":["Unknown owner."]},"traceId":"00-4bf9-01"}"#,
                Some(lucca_validation),
            ),
            // Not found, trace id under `extensions`, BOM, surrounding whitespace.
            (
                b"\xEF\xBB\xBF {\"title\":\"Not Found\",\"status\":404,\"detail\":\"No leave 42.\",\"extensions\":{\"traceId\":\"abc\"}}\r\n",
                Some(Problem {
                    title: some("Not Found"),
                    status: Some(404),
                    detail: some("No leave 42."),
                    trace_id: some("abc"),
                    ..Problem::default()
                }),
            ),
            // Top-level trace id wins over extensions, whatever the order; snake case.
            (
                br#"{"extensions":{"trace_id":"ext"},"trace_id":"top","status":500}"#,
                Some(Problem {
                    status: Some(500),
                    trace_id: some("top"),
                    ..Problem::default()
                }),
            ),
            // Wrong member types are ignored; unknown members too; names in any case.
            (
                br#"{"Title":"T","status":"abc","detail":["x"],"type":null,"instance":1,"errors":"bad","traceId":42,"other":{"deep":[1,2,3]}}"#,
                Some(Problem {
                    title: some("T"),
                    ..Problem::default()
                }),
            ),
            (
                br#"{"status":70000}"#,
                None,
            ),
            (
                br#"{"status":-1,"title":"x"}"#,
                Some(Problem {
                    title: some("x"),
                    ..Problem::default()
                }),
            ),
            (
                br#"{"status":"429"}"#,
                Some(Problem {
                    status: Some(429),
                    ..Problem::default()
                }),
            ),
            // Repeated member: the first usable value wins.
            (
                br#"{"title":1,"title":"second","title":"third"}"#,
                Some(Problem {
                    title: some("second"),
                    ..Problem::default()
                }),
            ),
            // `errors` as a list of strings.
            (
                br#"{"errors":["Too many items.","Bad cursor."]}"#,
                Some(Problem {
                    errors: errors(&[("", &["Too many items.", "Bad cursor."])]),
                    ..Problem::default()
                }),
            ),
            // `errors` as a list of objects, in several spellings, merged by field.
            (
                br##"{"errors":[{"field":"a","message":"m1"},{"propertyName":"b","errorMessage":"m2"},{"pointer":"#/a","detail":"m3"},{"name":"a","messages":["m4","m5"]},{"message":"m6"},{"field":"c"},3,null]}"##,
                Some(Problem {
                    errors: errors(&[
                        ("a", &["m1", "m4", "m5"]),
                        ("b", &["m2"]),
                        ("#/a", &["m3"]),
                        ("", &["m6"]),
                    ]),
                    ..Problem::default()
                }),
            ),
            // `errors` map values as a string, objects, mixed lists; non-message values dropped.
            (
                br#"{"errors":{"z":"one","y":{"message":"two"},"x":["three",4,{"reason":"five"}],"w":7,"v":[]}}"#,
                Some(Problem {
                    errors: errors(&[
                        ("z", &["one"]),
                        ("y", &["two"]),
                        ("x", &["three", "five"]),
                        ("v", &[]),
                    ]),
                    ..Problem::default()
                }),
            ),
            // Not problems.
            (b"", None),
            (b"{}", None),
            (br#"{"foo":1}"#, None),
            (b"[]", None),
            (br#""title""#, None),
            (b"null", None),
            (b"<html><body>502 Bad Gateway</body></html>", None),
            (br#"{"title":"cut"#, None),
            (br#"{"title":"x"} trailing"#, None),
            (b"\xff\xfe{}", None),
        ];
        for (body, expected) in cases {
            assert_eq!(
                &Problem::parse(body),
                expected,
                "body: {}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn size_cap() {
        // `{"title":"x"}` is 13 bytes; pad it to exactly the cap, then one byte over.
        let at_cap = alloc::format!("{{\"title\":\"x\"}}{}", " ".repeat(MAX_PROBLEM_BODY - 13));
        assert_eq!(at_cap.len(), MAX_PROBLEM_BODY);
        assert_eq!(
            Problem::parse(at_cap.as_bytes()).and_then(|p| p.title),
            some("x")
        );
        let over_cap = alloc::format!("{at_cap} ");
        assert_eq!(Problem::parse(over_cap.as_bytes()), None);
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = alloc::format!("{{\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(Problem::parse(deep.as_bytes()), None);
        let deep_errors = alloc::format!(
            "{{\"title\":\"t\",\"errors\":{}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(Problem::parse(deep_errors.as_bytes()), None);
    }

    #[test]
    fn errors_for_matches_exactly() {
        let problem = Problem {
            errors: errors(&[("a", &["m"]), ("", &["n"])]),
            ..Problem::default()
        };
        assert_eq!(problem.errors_for("a"), Some(&["m".to_string()][..]));
        assert_eq!(problem.errors_for(""), Some(&["n".to_string()][..]));
        assert_eq!(problem.errors_for("A"), None);
    }

    mod properties {
        use super::super::*;
        // `prop_oneof!` with many arms expands to `vec!`.
        use alloc::vec;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                let _ = Problem::parse(&bytes);
            }

            #[test]
            fn never_panics_on_json_like_bytes(
                bytes in proptest::collection::vec(
                    prop_oneof![
                        Just(b'{'), Just(b'}'), Just(b'['), Just(b']'), Just(b'"'), Just(b':'),
                        Just(b','), Just(b'1'), Just(b'e'), Just(b'\\'), any::<u8>()
                    ],
                    0..256,
                )
            ) {
                let _ = Problem::parse(&bytes);
            }

            #[test]
            fn string_members_round_trip(title in ".{0,40}", detail in ".{0,40}", status in 0u16..1000) {
                let body = serde_json::json!({"title": title, "detail": detail, "status": status});
                let bytes = serde_json::to_vec(&body).unwrap_or_default();
                let problem = Problem::parse(&bytes);
                prop_assert_eq!(problem.as_ref().and_then(|p| p.title.as_deref()), Some(title.as_str()));
                prop_assert_eq!(problem.as_ref().and_then(|p| p.detail.as_deref()), Some(detail.as_str()));
                prop_assert_eq!(problem.and_then(|p| p.status), Some(status));
            }
        }
    }
}
