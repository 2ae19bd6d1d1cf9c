//! Lucca's cursor pagination: the body of one list page ([`Page`]), the request target of the
//! first page ([`with_links`]) and where a page's `next` link may lead
//! ([`Page::next_target`]).
//!
//! A list answer is `{"items": [...], "links": {"next": ...}}`. Lucca sends `links` only when
//! the request asks for it with `include=links`, so the first request of a pager goes through
//! [`with_links`]. `next` is the next page's URL, as an object `{"href": "<url>"}` or as a
//! plain string; `null`, an absent `next` or an absent `links` means this is the last page.
//!
//! A `next` link is followed with the tenant's access token, so it is followed only when it
//! points to the tenant's own origin ([`TenantHost::same_origin`]): a link to any other host,
//! scheme or port is [`PageError::ForeignNext`], and the driver stops. The link is reduced to
//! a host-absolute request target, so the next URL is always rebuilt from the tenant's
//! origin with [`TenantHost::url_for`] and never taken from the server as is.
//!
//! A driver that follows `next` from page to page keeps a [`PageCursor`]: it hands out the
//! request target of each page and remembers every target already fetched, so that a
//! `next` leading back to any of them (`/a` → `/a`, or a cycle `/a` → `/b` → `/a`) ends the
//! list with [`PageError::NextRepeats`] instead of being followed forever.
//!
//! ```
//! use lucca_auth::endpoint::TenantHost;
//! use lucca_auth::pagination::{with_links, Page, PageError};
//!
//! let tenant = TenantHost::parse("https://acme.ilucca.net")?;
//! let first = with_links("/lucca-api/leaves?limit=2");
//! assert_eq!(first, "/lucca-api/leaves?limit=2&include=links");
//!
//! let body = br#"{"items":[{"id":1},{"id":2}],
//!     "links":{"next":{"href":"https://acme.ilucca.net/lucca-api/leaves?limit=2&include=links&page=Mg"}}}"#;
//! let page = Page::parse(body)?;
//! assert_eq!(page.items().len(), 2);
//! assert_eq!(
//!     page.next_target(&tenant, &first)?.as_deref(),
//!     Some("/lucca-api/leaves?limit=2&include=links&page=Mg")
//! );
//!
//! let last = Page::parse(br#"{"items":[{"id":3}],"links":{"next":null}}"#)?;
//! assert_eq!(last.next_target(&tenant, &first)?, None);
//!
//! let evil = Page::parse(br#"{"items":[],"links":{"next":"https://evil.example/steal"}}"#)?;
//! assert_eq!(evil.next_target(&tenant, &first), Err(PageError::ForeignNext));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde_json::Value;

use crate::endpoint::TenantHost;

/// The query parameter that makes Lucca send `links`.
pub const INCLUDE_LINKS: &str = "include=links";

/// Why a list page cannot be read, or its `next` link cannot be followed. Never repeats the
/// body or the link (a link may carry anything, including credentials).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PageError {
    /// The body is not JSON (empty, HTML, truncated, not UTF-8, …).
    NotJson,
    /// The body is JSON but not an object.
    NotAnObject,
    /// The object has no `items` member.
    MissingItems,
    /// `items` is not an array.
    ItemsNotArray,
    /// `links` is neither an object nor `null`.
    InvalidLinks,
    /// `links.next` is neither a string, an object with a string (or `null`) `href`, nor
    /// `null`; or it is a host-absolute path that is not a valid request target.
    InvalidNext,
    /// `links.next` points to another origin (host, scheme or port) than the tenant's, or is
    /// not a URL this crate can check: it is not followed, so the token never leaves the
    /// tenant.
    ForeignNext,
    /// `links.next` leads back to the page just read or, with a [`PageCursor`], to any page
    /// already read: following it would never end.
    NextRepeats,
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PageError::NotJson => "list page body is not JSON",
            PageError::NotAnObject => "list page body is not a JSON object",
            PageError::MissingItems => "list page has no \"items\" member",
            PageError::ItemsNotArray => "list page \"items\" is not an array",
            PageError::InvalidLinks => "list page \"links\" is not an object",
            PageError::InvalidNext => "list page \"links.next\" is not a usable link",
            PageError::ForeignNext => {
                "list page \"links.next\" points to another origin than the tenant's; \
                 not followed"
            }
            PageError::NextRepeats => "list page \"links.next\" leads back to a page already read",
        })
    }
}

impl core::error::Error for PageError {}

/// One page of a list answer: its items and the raw `next` link, if any.
///
/// `Debug` shows the number of items and whether there is a next page, not their content.
#[derive(Clone, PartialEq)]
pub struct Page {
    items: Vec<Value>,
    next: Option<String>,
}

impl Page {
    /// Parses a list page body `{"items":[…],"links":{"next":…}}`.
    ///
    /// A UTF-8 byte-order mark is skipped. Members other than `items` and `links` are ignored;
    /// a member repeated in the body counts once (the last one wins). `next` may be
    /// `{"href": "<url>"}` or `"<url>"`; `null`, `{"href": null}`, an empty string, an absent
    /// `next` and an absent or `null` `links` all mean "last page".
    ///
    /// ```
    /// use lucca_auth::pagination::{Page, PageError};
    ///
    /// let page = Page::parse(br#"{"items":[1,2],"links":{"next":"/lucca-api/x?page=2"}}"#)?;
    /// assert_eq!(page.items(), &[serde_json::json!(1), serde_json::json!(2)][..]);
    /// assert_eq!(page.next(), Some("/lucca-api/x?page=2"));
    /// assert_eq!(Page::parse(br#"{"data":[]}"#), Err(PageError::MissingItems));
    /// # Ok::<(), PageError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PageError::NotJson`], [`NotAnObject`](PageError::NotAnObject),
    /// [`MissingItems`](PageError::MissingItems), [`ItemsNotArray`](PageError::ItemsNotArray),
    /// [`InvalidLinks`](PageError::InvalidLinks), [`InvalidNext`](PageError::InvalidNext).
    pub fn parse(body: &[u8]) -> Result<Page, PageError> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let value: Value = serde_json::from_slice(body).map_err(|_| PageError::NotJson)?;
        let Value::Object(mut object) = value else {
            return Err(PageError::NotAnObject);
        };
        let items = match object.remove("items") {
            Some(Value::Array(items)) => items,
            Some(_) => return Err(PageError::ItemsNotArray),
            None => return Err(PageError::MissingItems),
        };
        let next = match object.remove("links") {
            None | Some(Value::Null) => None,
            Some(Value::Object(mut links)) => match links.remove("next") {
                None | Some(Value::Null) => None,
                Some(Value::String(link)) => Some(link),
                Some(Value::Object(mut next)) => match next.remove("href") {
                    None => return Err(PageError::InvalidNext),
                    Some(Value::Null) => None,
                    Some(Value::String(link)) => Some(link),
                    Some(_) => return Err(PageError::InvalidNext),
                },
                Some(_) => return Err(PageError::InvalidNext),
            },
            Some(_) => return Err(PageError::InvalidLinks),
        };
        Ok(Page {
            items,
            next: next.filter(|link| !link.is_empty()),
        })
    }

    /// The page's items, in order.
    #[must_use]
    pub fn items(&self) -> &[Value] {
        &self.items
    }

    /// The raw `next` link as the server sent it; `None` on the last page. Do not follow it
    /// directly: use [`next_target`](Page::next_target).
    #[must_use]
    pub fn next(&self) -> Option<&str> {
        self.next.as_deref()
    }

    /// The items and the raw `next` link.
    #[must_use]
    pub fn into_parts(self) -> (Vec<Value>, Option<String>) {
        (self.items, self.next)
    }

    /// The host-absolute request target (path and query) of the next page on `tenant`, or
    /// `None` on the last page. `current` is the request target of the page just read.
    ///
    /// An absolute link must be on the tenant's origin ([`TenantHost::same_origin`]); a
    /// host-absolute link (`/lucca-api/…`) is on it by definition. A fragment is dropped
    /// (it is never sent). Send the result to [`TenantHost::url_for`].
    ///
    /// ```
    /// use lucca_auth::endpoint::TenantHost;
    /// use lucca_auth::pagination::{Page, PageError};
    ///
    /// let tenant = TenantHost::parse("https://acme.ilucca.net")?;
    /// let page = Page::parse(br#"{"items":[],"links":{"next":{"href":"https://ACME.ilucca.net:443?page=2"}}}"#)?;
    /// assert_eq!(page.next_target(&tenant, "/")?.as_deref(), Some("/?page=2"));
    ///
    /// let page = Page::parse(br#"{"items":[],"links":{"next":"/x?page=2"}}"#)?;
    /// assert_eq!(page.next_target(&tenant, "/x?page=2"), Err(PageError::NextRepeats));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PageError::ForeignNext`] for a link to another origin (or one that cannot be
    /// checked), [`PageError::InvalidNext`] for a host-absolute link that is not a valid
    /// request target, [`PageError::NextRepeats`] when it equals `current`.
    pub fn next_target(
        &self,
        tenant: &TenantHost,
        current: &str,
    ) -> Result<Option<String>, PageError> {
        match self.link_target(tenant)? {
            Some(target) if target == current => Err(PageError::NextRepeats),
            next => Ok(next),
        }
    }

    /// The request target of the `next` link on `tenant`, `None` on the last page.
    fn link_target(&self, tenant: &TenantHost) -> Result<Option<String>, PageError> {
        self.next
            .as_deref()
            .map(|link| next_request_target(tenant, link))
            .transpose()
    }
}

/// Where a driver is in a list: the request target of the next page to fetch, and every
/// target already fetched.
///
/// Calling order: [`poll_target`](PageCursor::poll_target) for the target to fetch (`None`:
/// the list is over); fetch it and parse it with [`Page::parse`]; hand the page to
/// [`handle_page`](PageCursor::handle_page); repeat. When a fetch or a parse fails, call
/// [`stop`](PageCursor::stop) (or drop the cursor). After an error from `handle_page` the
/// cursor is stopped already.
///
/// A `next` link to any target already fetched is [`PageError::NextRepeats`]: a server
/// whose links go round in a cycle (`/a` → `/b` → `/a`) cannot keep a driver busy forever.
/// Targets are compared as strings, after the link was reduced to a request target on the
/// tenant (so `https://tenant/a` and `/a` are the same page). One string is kept per page
/// read.
///
/// `Debug` shows how many pages were fetched and whether one is left, not the targets (a
/// link may carry anything).
///
/// ```
/// use lucca_auth::endpoint::TenantHost;
/// use lucca_auth::pagination::{Page, PageCursor, PageError};
///
/// let tenant = TenantHost::parse("https://acme.ilucca.net")?;
/// let mut cursor = PageCursor::new("/lucca-api/a");
/// assert_eq!(cursor.poll_target().as_deref(), Some("/lucca-api/a?include=links"));
/// let a = Page::parse(br#"{"items":[1],"links":{"next":"/lucca-api/b"}}"#)?;
/// cursor.handle_page(&tenant, &a)?;
/// assert_eq!(cursor.poll_target().as_deref(), Some("/lucca-api/b"));
/// let b = Page::parse(br#"{"items":[2],"links":{"next":"https://acme.ilucca.net/lucca-api/a?include=links"}}"#)?;
/// assert_eq!(cursor.handle_page(&tenant, &b), Err(PageError::NextRepeats));
/// assert_eq!(cursor.poll_target(), None);
/// assert_eq!(cursor.pages_fetched(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PageCursor {
    next: Option<String>,
    visited: BTreeSet<String>,
}

impl PageCursor {
    /// A cursor at the first page of the list at `path`, which is asked for with
    /// [`with_links`].
    #[must_use]
    pub fn new(path: &str) -> PageCursor {
        PageCursor {
            next: Some(with_links(path)),
            visited: BTreeSet::new(),
        }
    }

    /// The request target of the next page to fetch, remembered as fetched; `None` once the
    /// last page was read or the cursor stopped.
    #[must_use]
    pub fn poll_target(&mut self) -> Option<String> {
        let target = self.next.take()?;
        self.visited.insert(target.clone());
        Some(target)
    }

    /// Takes the page read at the target last polled and records where the next one is.
    ///
    /// # Errors
    ///
    /// What [`Page::next_target`] refuses ([`PageError::ForeignNext`],
    /// [`PageError::InvalidNext`]), and [`PageError::NextRepeats`] for a link to any target
    /// already fetched. The cursor is then stopped.
    pub fn handle_page(&mut self, tenant: &TenantHost, page: &Page) -> Result<(), PageError> {
        let next = match page.link_target(tenant) {
            Ok(Some(target)) if self.visited.contains(&target) => Err(PageError::NextRepeats),
            other => other,
        };
        match next {
            Ok(next) => {
                self.next = next;
                Ok(())
            }
            Err(error) => {
                self.next = None;
                Err(error)
            }
        }
    }

    /// Ends the list: [`poll_target`](PageCursor::poll_target) gives `None` from now on.
    pub fn stop(&mut self) {
        self.next = None;
    }

    /// Whether there is a page left to fetch.
    #[must_use]
    pub fn has_next(&self) -> bool {
        self.next.is_some()
    }

    /// How many targets were handed out by [`poll_target`](PageCursor::poll_target).
    #[must_use]
    pub fn pages_fetched(&self) -> usize {
        self.visited.len()
    }
}

impl fmt::Debug for PageCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageCursor")
            .field("pages_fetched", &self.visited.len())
            .field("has_next", &self.next.is_some())
            .finish()
    }
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("items", &self.items.len())
            .field("has_next", &self.next.is_some())
            .finish()
    }
}

/// The request target of a `next` link on `tenant`.
fn next_request_target(tenant: &TenantHost, link: &str) -> Result<String, PageError> {
    let link = link.split_once('#').map_or(link, |(before, _)| before);
    if link.starts_with('/') && !link.starts_with("//") {
        return tenant
            .request_target(link)
            .map(String::from)
            .map_err(|_| PageError::InvalidNext);
    }
    if !tenant.same_origin(link) {
        return Err(PageError::ForeignNext);
    }
    // `same_origin` accepted an absolute URL: `scheme://authority` then the rest.
    let after_scheme = link
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or(PageError::ForeignNext)?;
    let rest = after_scheme
        .find(['/', '?'])
        .and_then(|at| after_scheme.get(at..))
        .unwrap_or("");
    let mut target = String::with_capacity(rest.len() + 1);
    if !rest.starts_with('/') {
        target.push('/');
    }
    target.push_str(rest);
    tenant
        .request_target(&target)
        .map_err(|_| PageError::InvalidNext)?;
    Ok(target)
}

/// `target` with `include=links` added to its query, unless an `include` parameter already
/// lists `links` (comma-separated values are looked into). Other parameters are kept as they
/// are, in order.
///
/// ```
/// use lucca_auth::pagination::with_links;
///
/// assert_eq!(with_links("/lucca-api/leaves"), "/lucca-api/leaves?include=links");
/// assert_eq!(with_links("/lucca-api/leaves?"), "/lucca-api/leaves?include=links");
/// assert_eq!(with_links("/x?limit=5&include=links"), "/x?limit=5&include=links");
/// assert_eq!(with_links("/x?include=owner,links"), "/x?include=owner,links");
/// assert_eq!(with_links("/x?include=owner"), "/x?include=owner&include=links");
/// ```
#[must_use]
pub fn with_links(target: &str) -> String {
    let query = target.split_once('?').map(|(_, query)| query);
    let has_links = query.is_some_and(|query| {
        query.split('&').any(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            name == "include" && value.split(',').any(|v| v.trim() == "links")
        })
    });
    let mut out = String::with_capacity(target.len() + INCLUDE_LINKS.len() + 1);
    out.push_str(target);
    if has_links {
        return out;
    }
    match query {
        None => out.push('?'),
        Some(query) if !query.is_empty() && !query.ends_with('&') => out.push('&'),
        Some(_) => {}
    }
    out.push_str(INCLUDE_LINKS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;
    use serde_json::json;

    #[test]
    fn parse_table() {
        type Expected = Result<(Vec<Value>, Option<&'static str>), PageError>;
        let cases: &[(&[u8], Expected)] = &[
            (br#"{"items":[]}"#, Ok((vec![], None))),
            (
                br#"{"items":[{"id":1}]}"#,
                Ok((vec![json!({"id":1})], None)),
            ),
            (br#"{"items":[1],"links":null}"#, Ok((vec![json!(1)], None))),
            (br#"{"items":[1],"links":{}}"#, Ok((vec![json!(1)], None))),
            (
                br#"{"items":[1],"links":{"next":null}}"#,
                Ok((vec![json!(1)], None)),
            ),
            (
                br#"{"items":[1],"links":{"next":""}}"#,
                Ok((vec![json!(1)], None)),
            ),
            (
                br#"{"items":[1],"links":{"next":{"href":null}}}"#,
                Ok((vec![json!(1)], None)),
            ),
            (
                br#"{"items":[1],"links":{"next":{"href":"/a?page=2"}}}"#,
                Ok((vec![json!(1)], Some("/a?page=2"))),
            ),
            (
                br#"{"items":[1],"links":{"next":"https://x.test/a?page=2","prev":null}}"#,
                Ok((vec![json!(1)], Some("https://x.test/a?page=2"))),
            ),
            (
                b"\xEF\xBB\xBF{\"items\":[true],\"count\":1}",
                Ok((vec![json!(true)], None)),
            ),
            (b"", Err(PageError::NotJson)),
            (b"<html>", Err(PageError::NotJson)),
            (br#"{"items":[1]"#, Err(PageError::NotJson)),
            (br#"{"items":[]} x"#, Err(PageError::NotJson)),
            (b"\xFF", Err(PageError::NotJson)),
            (b"[]", Err(PageError::NotAnObject)),
            (b"null", Err(PageError::NotAnObject)),
            (br#"{}"#, Err(PageError::MissingItems)),
            (br#"{"items":null}"#, Err(PageError::ItemsNotArray)),
            (br#"{"items":{"0":1}}"#, Err(PageError::ItemsNotArray)),
            (br#"{"items":[],"links":[]}"#, Err(PageError::InvalidLinks)),
            (br#"{"items":[],"links":"x"}"#, Err(PageError::InvalidLinks)),
            (
                br#"{"items":[],"links":{"next":1}}"#,
                Err(PageError::InvalidNext),
            ),
            (
                br#"{"items":[],"links":{"next":{}}}"#,
                Err(PageError::InvalidNext),
            ),
            (
                br#"{"items":[],"links":{"next":{"href":2}}}"#,
                Err(PageError::InvalidNext),
            ),
        ];
        for (body, expected) in cases {
            let got = Page::parse(body).map(|page| {
                let (items, next) = page.into_parts();
                (items, next)
            });
            let expected = expected
                .clone()
                .map(|(items, next)| (items, next.map(String::from)));
            assert_eq!(got, expected, "{:?}", core::str::from_utf8(body));
        }
    }

    #[test]
    fn next_target_table() {
        let tenant = TenantHost::parse("https://acme.ilucca.net").expect("valid test input");
        let current = "/lucca-api/leaves?include=links";
        let cases: &[(&str, Result<&str, PageError>)] = &[
            ("/lucca-api/leaves?page=2", Ok("/lucca-api/leaves?page=2")),
            (
                "https://acme.ilucca.net/lucca-api/leaves?page=2",
                Ok("/lucca-api/leaves?page=2"),
            ),
            (
                "HTTPS://ACME.ilucca.net:443/lucca-api/leaves?page=2#frag",
                Ok("/lucca-api/leaves?page=2"),
            ),
            ("https://acme.ilucca.net?page=2", Ok("/?page=2")),
            ("https://acme.ilucca.net", Ok("/")),
            ("/a#b", Ok("/a")),
            (current, Err(PageError::NextRepeats)),
            (
                "https://acme.ilucca.net/lucca-api/leaves?include=links",
                Err(PageError::NextRepeats),
            ),
            (
                "https://evil.example/lucca-api/leaves",
                Err(PageError::ForeignNext),
            ),
            (
                "http://acme.ilucca.net/lucca-api/leaves",
                Err(PageError::ForeignNext),
            ),
            (
                "https://acme.ilucca.net:8443/x",
                Err(PageError::ForeignNext),
            ),
            (
                "https://acme.ilucca.net.evil.example/x",
                Err(PageError::ForeignNext),
            ),
            (
                "https://acme.ilucca.net@evil.example/x",
                Err(PageError::ForeignNext),
            ),
            ("//evil.example/x", Err(PageError::ForeignNext)),
            ("lucca-api/leaves?page=2", Err(PageError::ForeignNext)),
            ("?page=2", Err(PageError::ForeignNext)),
            ("javascript:alert(1)", Err(PageError::ForeignNext)),
            ("/a b", Err(PageError::InvalidNext)),
            ("/a\r\nHost: evil", Err(PageError::InvalidNext)),
        ];
        for (link, expected) in cases {
            let body = json!({"items": [], "links": {"next": {"href": link}}}).to_string();
            let page = Page::parse(body.as_bytes()).expect("valid test input");
            assert_eq!(
                page.next_target(&tenant, current),
                expected.map(|t| Some(String::from(t))),
                "{link:?}"
            );
        }
        let last = Page::parse(br#"{"items":[]}"#).expect("valid test input");
        assert_eq!(last.next_target(&tenant, current), Ok(None));
    }

    #[test]
    fn next_target_on_a_loopback_tenant_with_a_port() {
        let tenant = TenantHost::parse("http://127.0.0.1:8080").expect("valid test input");
        let cases: &[(&str, Result<&str, PageError>)] = &[
            ("http://127.0.0.1:8080/a?page=2", Ok("/a?page=2")),
            (
                "http://127.0.0.1:8081/a?page=2",
                Err(PageError::ForeignNext),
            ),
            ("http://127.0.0.1/a?page=2", Err(PageError::ForeignNext)),
            (
                "http://localhost:8080/a?page=2",
                Err(PageError::ForeignNext),
            ),
        ];
        for (link, expected) in cases {
            let body = json!({"items": [], "links": {"next": link}}).to_string();
            let page = Page::parse(body.as_bytes()).expect("valid test input");
            assert_eq!(
                page.next_target(&tenant, "/a"),
                expected.map(|t| Some(String::from(t))),
                "{link:?}"
            );
        }
    }

    #[test]
    fn cursor_refuses_a_link_to_any_page_already_read() {
        let tenant = TenantHost::parse("https://acme.ilucca.net").expect("valid test input");
        let page = |next: &str| {
            Page::parse(
                json!({"items": [1], "links": {"next": next}})
                    .to_string()
                    .as_bytes(),
            )
            .expect("valid test input")
        };
        let last = Page::parse(br#"{"items":[]}"#).expect("valid test input");
        // (links of the pages in order, targets fetched, how it ends)
        type Case<'a> = (&'a [&'a str], &'a [&'a str], Result<(), PageError>);
        let cases: &[Case<'_>] = &[
            (&[""], &["/x?include=links"], Ok(())),
            (
                &["/x?include=links"],
                &["/x?include=links"],
                Err(PageError::NextRepeats),
            ),
            (
                &["/b", "/x?include=links"],
                &["/x?include=links", "/b"],
                Err(PageError::NextRepeats),
            ),
            (
                &["/b", "/c", "https://acme.ilucca.net/b#again"],
                &["/x?include=links", "/b", "/c"],
                Err(PageError::NextRepeats),
            ),
            (&["/b", "/c", ""], &["/x?include=links", "/b", "/c"], Ok(())),
            (
                &["/b", "https://evil.example/c"],
                &["/x?include=links", "/b"],
                Err(PageError::ForeignNext),
            ),
        ];
        for (links, fetched, end) in cases {
            let mut cursor = PageCursor::new("/x");
            let mut targets = Vec::new();
            let mut outcome = Ok(());
            let mut links = links.iter();
            while let Some(target) = cursor.poll_target() {
                targets.push(target);
                let Some(link) = links.next() else {
                    panic!("fetched more pages than the case has: {targets:?}");
                };
                let read = if link.is_empty() {
                    last.clone()
                } else {
                    page(link)
                };
                if let Err(error) = cursor.handle_page(&tenant, &read) {
                    outcome = Err(error);
                }
            }
            assert_eq!(targets, *fetched, "{links:?}");
            assert_eq!(outcome, *end, "{links:?}");
            assert_eq!(cursor.pages_fetched(), fetched.len());
            assert!(!cursor.has_next());
            assert_eq!(cursor.poll_target(), None);
        }
        let mut stopped = PageCursor::new("/x?token=S3NT1NEL");
        assert_eq!(
            format!("{stopped:?}"),
            "PageCursor { pages_fetched: 0, has_next: true }"
        );
        assert!(stopped.has_next());
        stopped.stop();
        assert_eq!(stopped.poll_target(), None);
    }

    #[test]
    fn with_links_table() {
        let cases: &[(&str, &str)] = &[
            ("/a", "/a?include=links"),
            ("/a?", "/a?include=links"),
            ("/a?limit=5", "/a?limit=5&include=links"),
            ("/a?limit=5&", "/a?limit=5&include=links"),
            ("/a?include=links", "/a?include=links"),
            ("/a?include=links&limit=5", "/a?include=links&limit=5"),
            (
                "/a?include=a,%20links",
                "/a?include=a,%20links&include=links",
            ),
            ("/a?include=a, links", "/a?include=a, links"),
            ("/a?include=owner", "/a?include=owner&include=links"),
            ("/a?xinclude=links", "/a?xinclude=links&include=links"),
            ("/a?include", "/a?include&include=links"),
        ];
        for (input, expected) in cases {
            assert_eq!(with_links(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn debug_and_errors_never_show_content() {
        let page = Page::parse(
            br#"{"items":[{"secret":"S3NT1NEL"}],"links":{"next":"https://u:S3NT1NEL@x/"}}"#,
        )
        .expect("valid test input");
        let shown = format!("{page:?} {page:#?}");
        assert!(!shown.contains("S3NT1NEL"), "{shown}");
        assert_eq!(format!("{page:?}"), "Page { items: 1, has_next: true }");
        let tenant = TenantHost::parse("https://x").expect("valid test input");
        let error = page.next_target(&tenant, "/").expect_err("a foreign link");
        assert_eq!(error, PageError::ForeignNext);
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("S3NT1NEL"), "{shown}");
    }

    #[test]
    fn display_table() {
        let cases: &[(PageError, &str)] = &[
            (PageError::NotJson, "list page body is not JSON"),
            (
                PageError::NotAnObject,
                "list page body is not a JSON object",
            ),
            (PageError::MissingItems, "list page has no \"items\" member"),
            (
                PageError::ItemsNotArray,
                "list page \"items\" is not an array",
            ),
            (
                PageError::InvalidLinks,
                "list page \"links\" is not an object",
            ),
            (
                PageError::InvalidNext,
                "list page \"links.next\" is not a usable link",
            ),
            (
                PageError::ForeignNext,
                "list page \"links.next\" points to another origin than the tenant's; not followed",
            ),
            (
                PageError::NextRepeats,
                "list page \"links.next\" leads back to a page already read",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_string(), *expected);
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = Page::parse(&body);
        }

        /// Whatever the link, a followed target is a request target on the tenant's origin.
        #[test]
        fn followed_links_stay_on_the_tenant(link in "[a-zA-Z0-9:/?#@.%&=_~-]{0,40}") {
            let tenant = TenantHost::parse("https://acme.ilucca.net").expect("valid test input");
            let body = json!({"items": [], "links": {"next": link}}).to_string();
            let page = Page::parse(body.as_bytes()).expect("valid test input");
            if let Ok(Some(target)) = page.next_target(&tenant, "/") {
                let url = tenant.url_for(&target).expect("valid test input");
                proptest::prop_assert!(url.starts_with("https://acme.ilucca.net/"));
                proptest::prop_assert!(tenant.same_origin(&url));
            }
        }
    }
}
