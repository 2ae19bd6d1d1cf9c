//! Lucca's cursor pagination: `limit`, an opaque `page` cursor, and with `include=links` a
//! `links.next.href` absolute URL to the next page.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::form;
use crate::resources::Resource;

/// Items per page when `limit` is absent.
pub(crate) const DEFAULT_LIMIT: usize = 10;
/// The largest `limit` accepted.
pub(crate) const MAX_LIMIT: usize = 100;

/// A query parameter the API rejects, with the message for the problem's `errors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryError {
    pub(crate) field: &'static str,
    pub(crate) message: &'static str,
}

/// What a list request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageRequest {
    pub(crate) limit: usize,
    pub(crate) offset: usize,
    pub(crate) include_links: bool,
}

fn cursor(resource: Resource, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{offset}", resource.name()))
}

fn offset_of(resource: Resource, cursor: &str, total: usize) -> Option<usize> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (name, offset) = decoded.split_once(':')?;
    let offset: usize = offset.parse().ok()?;
    (name == resource.name() && offset > 0 && offset < total).then_some(offset)
}

impl PageRequest {
    /// Reads `limit`, `page` and `include` from a raw query string.
    pub(crate) fn parse(resource: Resource, query: &str, total: usize) -> Result<Self, QueryError> {
        let pairs = form::decode_pairs(query).map_err(|_| QueryError {
            field: "query",
            message: "The query string is not valid UTF-8.",
        })?;
        let limit = match form::find(&pairs, "limit") {
            None => DEFAULT_LIMIT,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                .ok_or(QueryError {
                    field: "limit",
                    message: "limit must be an integer between 1 and 100.",
                })?,
        };
        let offset = match form::find(&pairs, "page") {
            None => 0,
            Some(raw) => offset_of(resource, raw, total).ok_or(QueryError {
                field: "page",
                message: "The page cursor is invalid.",
            })?,
        };
        let include_links = pairs
            .iter()
            .filter(|(name, _)| name == "include")
            .flat_map(|(_, value)| value.split(','))
            .any(|include| include.trim() == "links");
        Ok(Self {
            limit,
            offset,
            include_links,
        })
    }

    /// The page's body: `{"items":[…]}`, plus `"links":{"next":{"href":…} or null}` when
    /// links were asked for. `base` is the absolute URL of the collection (origin and path)
    /// and `query` the request's raw query, kept as sent except for `page`.
    pub(crate) fn page(
        &self,
        resource: Resource,
        items: Vec<Value>,
        base: &str,
        query: &str,
    ) -> Value {
        let total = items.len();
        let end = self.offset.saturating_add(self.limit);
        let page: Vec<Value> = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        if !self.include_links {
            return json!({ "items": page });
        }
        let next = (end < total).then(|| {
            let mut parameters: Vec<&str> = query
                .split('&')
                .filter(|segment| !segment.is_empty())
                .filter(|segment| {
                    let name = segment.split_once('=').map_or(*segment, |(name, _)| name);
                    form::decode_component(name).map_or(true, |name| name != "page")
                })
                .collect();
            let page = format!("page={}", cursor(resource, end));
            parameters.push(&page);
            json!({ "href": format!("{base}?{}", parameters.join("&")) })
        });
        json!({ "items": page, "links": { "next": next } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(page: &Value) -> Vec<u64> {
        page["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item["id"].as_u64())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn cursors() {
        let leaves = Resource::Leaves;
        assert_eq!(cursor(leaves, 10), "bGVhdmVzOjEw");
        let cases: &[(&str, Option<usize>)] = &[
            ("bGVhdmVzOjEw", Some(10)),
            (&cursor(leaves, 24), Some(24)),
            (&cursor(leaves, 25), None),
            (&cursor(leaves, 0), None),
            (&cursor(Resource::Employees, 5), None),
            ("not a cursor", None),
            ("", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(offset_of(leaves, raw, 25), *expected, "{raw}");
        }
    }

    #[test]
    fn parse_queries() {
        type Expected = Result<(usize, usize, bool), &'static str>;
        let cases: &[(&str, Expected)] = &[
            ("", Ok((10, 0, false))),
            ("limit=100&include=links", Ok((100, 0, true))),
            ("include=totalCount,links", Ok((10, 0, true))),
            ("include=totalCount", Ok((10, 0, false))),
            ("page=bGVhdmVzOjEw&limit=5", Ok((5, 10, false))),
            ("limit=0", Err("limit")),
            ("limit=101", Err("limit")),
            ("limit=ten", Err("limit")),
            ("page=xyz", Err("page")),
            ("limit=%FF", Err("query")),
        ];
        for (query, expected) in cases {
            let got = PageRequest::parse(Resource::Leaves, query, 25)
                .map(|request| (request.limit, request.offset, request.include_links))
                .map_err(|error| error.field);
            assert_eq!(got, *expected, "{query}");
        }
    }

    #[test]
    fn pages_and_links() {
        let base = "http://127.0.0.1:9/lucca-api/leaves";
        let request =
            PageRequest::parse(Resource::Leaves, "include=links&limit=10", 25).expect("valid");
        let first = request.page(
            Resource::Leaves,
            Resource::Leaves.items(),
            base,
            "include=links&limit=10",
        );
        assert_eq!(ids(&first), (1..=10).collect::<Vec<u64>>());
        assert_eq!(
            first["links"],
            json!({"next": {"href": format!("{base}?include=links&limit=10&page={}", cursor(Resource::Leaves, 10))}})
        );

        let query = format!(
            "limit=10&page={}&include=links",
            cursor(Resource::Leaves, 20)
        );
        let last = PageRequest::parse(Resource::Leaves, &query, 25).expect("valid");
        let last = last.page(Resource::Leaves, Resource::Leaves.items(), base, &query);
        assert_eq!(ids(&last), (21..=25).collect::<Vec<u64>>());
        assert_eq!(last["links"], json!({"next": null}));

        let plain = PageRequest::parse(Resource::Leaves, "", 25).expect("valid");
        let plain = plain.page(Resource::Leaves, Resource::Leaves.items(), base, "");
        assert_eq!(plain.get("links"), None);
        assert_eq!(ids(&plain).len(), 10);
    }
}
