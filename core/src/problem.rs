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
        let problem = serde_json::from_slice::<ProblemObject>(body).ok()?.0?;
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

// How this is read, and what it costs. Every visitor here accepts every JSON type (a
// type it does not want becomes "nothing"), so serde_json never builds an "invalid type"
// error, whose message formatting (with float printing and `Debug` string escaping) is
// most of the code size of a JSON parser on a microcontroller. Member values the parse
// needs are read into [`Node`], a JSON tree without numbers, instead of
// `serde_json::Value` with its ordered maps: same answers, a fraction of the code.

/// The top-level value: `Some` for an object, `None` for any other JSON value. Read member
/// by member so that order is kept and no member's type can fail the whole parse.
struct ProblemObject(Option<Problem>);

impl<'de> Deserialize<'de> for ProblemObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ProblemVisitor)
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
                first(
                    &mut problem.problem_type,
                    map.next_value::<Node>()?.into_text(),
                );
            } else if is("title") {
                first(&mut problem.title, map.next_value::<Node>()?.into_text());
            } else if is("status") {
                first(&mut problem.status, map.next_value::<Node>()?.status());
            } else if is("detail") {
                first(&mut problem.detail, map.next_value::<Node>()?.into_text());
            } else if is("instance") {
                first(&mut problem.instance, map.next_value::<Node>()?.into_text());
            } else if is("errors") {
                add_errors(&mut problem.errors, map.next_value()?);
            } else if is("traceId") || is("trace_id") {
                first(&mut problem.trace_id, map.next_value::<Node>()?.into_text());
            } else if is("extensions") {
                if let Node::Object(extensions) = map.next_value()? {
                    first(&mut extension_trace_id, extension_trace(&extensions));
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        first(&mut problem.trace_id, extension_trace_id);
        problem.errors = merge_repeated_fields(core::mem::take(&mut problem.errors));
        Ok(ProblemObject(Some(problem)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<ProblemObject, A::Error> {
        Ok(ProblemObject(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<ProblemObject, E> {
        Ok(ProblemObject(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<ProblemObject, E> {
        Ok(ProblemObject(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<ProblemObject, E> {
        Ok(ProblemObject(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<ProblemObject, E> {
        Ok(ProblemObject(None))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<ProblemObject, E> {
        Ok(ProblemObject(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<ProblemObject, E> {
        Ok(ProblemObject(None))
    }
}

/// A JSON value as far as a problem needs it. Objects keep every member in document order,
/// repeated names included; [`Node::member`] looks one up the way a JSON map would.
/// Nesting is limited by serde_json's recursion limit, as for any value it builds.
enum Node {
    Text(String),
    /// A non-negative integer.
    Unsigned(u64),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
    /// `null`, a boolean, a negative or fractional number.
    Other,
}

impl Node {
    /// A JSON string; anything else is ignored.
    fn into_text(self) -> Option<String> {
        match self {
            Node::Text(s) => Some(s),
            _ => None,
        }
    }

    /// [`Node::into_text`], copied.
    fn text(&self) -> Option<String> {
        match self {
            Node::Text(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// A status: an integer or a string of digits that fits a `u16`.
    fn status(&self) -> Option<u16> {
        match self {
            Node::Unsigned(n) => u16::try_from(*n).ok(),
            Node::Text(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok()
            }
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(u64::try_from(v).map_or(Node::Other, Node::Unsigned))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Unsigned(v))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Text(String::from(v)))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Text(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            members.push((name, map.next_value()?));
        }
        Ok(Node::Object(members))
    }
}

/// The value of the member of `object` named (ASCII case-insensitively) by the first of
/// `names` it has, looked up as in a JSON map: of members with the same name the last one
/// counts, and of names matching in different cases the smallest (byte order).
fn member<'a>(object: &'a [(String, Node)], names: &[&str]) -> Option<&'a Node> {
    names.iter().find_map(|wanted| {
        let mut best: Option<&(String, Node)> = None;
        // From the end, so that the first occurrence of a name seen is the last one sent.
        for entry in object.iter().rev() {
            if entry.0.eq_ignore_ascii_case(wanted)
                && best.is_none_or(|(best_name, _)| entry.0 < *best_name)
            {
                best = Some(entry);
            }
        }
        best.map(|(_, value)| value)
    })
}

/// The trace id under `extensions`: the string value of `traceId` or `trace_id` (in any
/// case), looked up as in a JSON map (see [`member`]), the smallest name first.
fn extension_trace(extensions: &[(String, Node)]) -> Option<String> {
    let mut best: Option<(&String, &String)> = None;
    let mut seen: Vec<&String> = Vec::new();
    for (name, value) in extensions.iter().rev() {
        if !(name.eq_ignore_ascii_case("traceId") || name.eq_ignore_ascii_case("trace_id"))
            || seen.contains(&name)
        {
            continue;
        }
        seen.push(name);
        if let Node::Text(text) = value
            && best.is_none_or(|(best_name, _)| name < best_name)
        {
            best = Some((name, text));
        }
    }
    best.map(|(_, text)| text.clone())
}

/// Adds `messages` under `field`; [`merge_repeated_fields`] merges repeated fields once the
/// whole body is read.
fn merge_error(into: &mut Vec<(String, Vec<String>)>, field: String, messages: Vec<String>) {
    into.push((field, messages));
}

/// `errors` with every repeated field merged into its first occurrence (messages in the
/// order received), the fields in first-seen order.
///
/// In O(n log n): a stable sort of the positions by field name puts each field's
/// occurrences side by side in arrival order, the first of them the one that stays. (A
/// lookup per added field made a body of a few thousand distinct fields quadratic: 48× the
/// cost per byte of an ordinary problem, in the `parser_bombs` bench.)
fn merge_repeated_fields(errors: Vec<(String, Vec<String>)>) -> Vec<(String, Vec<String>)> {
    let mut order: Vec<usize> = (0..errors.len()).collect();
    // Unstable with the position as tie-break: the order a stable sort gives, with less code.
    order.sort_unstable_by(|&a, &b| errors[a].0.cmp(&errors[b].0).then(a.cmp(&b)));
    // For each position, the position of its field's first occurrence.
    let mut first: Vec<usize> = (0..errors.len()).collect();
    for run in order.chunk_by(|&a, &b| errors[a].0 == errors[b].0) {
        for &position in run {
            first[position] = run[0];
        }
    }
    // For each first occurrence, where it went in `merged`.
    let mut merged_at: Vec<usize> = alloc::vec![0; errors.len()];
    let mut merged: Vec<(String, Vec<String>)> = Vec::new();
    for (position, (field, messages)) in errors.into_iter().enumerate() {
        let keeper = first[position];
        if keeper == position {
            merged_at[position] = merged.len();
            merged.push((field, messages));
        } else if let Some((_, existing)) = merged.get_mut(merged_at[keeper]) {
            existing.extend(messages);
        }
    }
    merged
}

/// The `errors` member in any of the shapes servers send, merged into `into`; any other
/// JSON type adds nothing.
fn add_errors(into: &mut Vec<(String, Vec<String>)>, value: Node) {
    match value {
        // `{"field": ["message", …] | "message" | {…}}`
        Node::Object(fields) => {
            for (field, value) in fields {
                if matches!(value, Node::Text(_) | Node::Array(_) | Node::Object(_)) {
                    merge_error(into, field, messages(&value));
                }
            }
        }
        // `["message", …]` or `[{"field": …, "message": …}, …]`
        Node::Array(items) => {
            for item in items {
                match item {
                    Node::Text(message) => merge_error(into, String::new(), [message].into()),
                    Node::Object(object) => {
                        let field = member(&object, FIELD_NAMES)
                            .and_then(Node::text)
                            .unwrap_or_default();
                        let messages = member(&object, MESSAGE_NAMES)
                            .map(messages)
                            .unwrap_or_default();
                        if !messages.is_empty() {
                            merge_error(into, field, messages);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
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

/// The messages in a value: a string, a list of strings or message objects, or one message
/// object. Other values hold no message.
fn messages(value: &Node) -> Vec<String> {
    match value {
        Node::Text(message) => [message.clone()].into(),
        Node::Array(items) => items
            .iter()
            .filter_map(|item| match item {
                Node::Text(message) => Some(message.clone()),
                Node::Object(object) => member(object, MESSAGE_NAMES).and_then(Node::text),
                _ => None,
            })
            .collect(),
        Node::Object(object) => member(object, MESSAGE_NAMES)
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

    /// The merge as a lookup per field: the obvious way, quadratic, kept as the reference.
    fn merged_by_lookup(entries: Vec<(String, Vec<String>)>) -> Vec<(String, Vec<String>)> {
        let mut merged: Vec<(String, Vec<String>)> = Vec::new();
        for (field, messages) in entries {
            match merged.iter_mut().find(|(name, _)| *name == field) {
                Some((_, existing)) => existing.extend(messages),
                None => merged.push((field, messages)),
            }
        }
        merged
    }

    /// Error entries as written in a table: (field, messages).
    type Entries<'a> = &'a [(&'a str, &'a [&'a str])];

    #[test]
    fn repeated_fields_merge_into_their_first_occurrence() {
        #[rustfmt::skip]
        let cases: &[(Entries<'_>, Entries<'_>)] = &[
            (&[], &[]),
            (&[("a", &["1"])], &[("a", &["1"])]),
            (&[("b", &["1"]), ("a", &["2"]), ("b", &["3"]), ("", &["4"]), ("a", &["5", "6"])],
             &[("b", &["1", "3"]), ("a", &["2", "5", "6"]), ("", &["4"])]),
            (&[("x", &[]), ("x", &["1"]), ("x", &["2"])], &[("x", &["1", "2"])]),
        ];
        for &(entries, expected) in cases {
            assert_eq!(
                merge_repeated_fields(errors(entries)),
                errors(expected),
                "{entries:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn merge_agrees_with_a_lookup_per_field(
            entries in proptest::collection::vec(
                ("[abc]{0,2}", proptest::collection::vec("[xy]", 0..3)),
                0..40,
            )
        ) {
            proptest::prop_assert_eq!(
                merge_repeated_fields(entries.clone()),
                merged_by_lookup(entries)
            );
        }
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
