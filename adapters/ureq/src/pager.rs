//! [`Pager`]: an iterator over the items of a Lucca list, following its cursor pagination.

use std::fmt;
use std::iter::FusedIterator;

use lucca_auth::pagination::{Page, PageCursor};
use serde_json::Value;
use ureq::http::Method;

use crate::LuccaClient;
use crate::error::Error;

/// An iterator over every item of a list, page after page, returned by
/// [`LuccaClient::pages`].
///
/// The first request is the path with `include=links` added (other query parameters, such
/// as `limit`, are kept); each page's `items` are yielded in order, then its `links.next` is
/// followed, only if it points to the tenant's own origin and to a page not read yet. A page
/// that cannot be read, a `next` to another origin ([`PageError::ForeignNext`]), a `next`
/// back to any page already read ([`PageError::NextRepeats`]: links in a cycle) or any
/// failed request is yielded once as an error, after the items already read, and the
/// iterator ends.
///
/// Each page is one API call, with everything [`RequestBuilder::send`] does (token, one
/// retry after a 401, the retry policy).
///
/// [`PageError::ForeignNext`]: lucca_auth::pagination::PageError::ForeignNext
/// [`PageError::NextRepeats`]: lucca_auth::pagination::PageError::NextRepeats
/// [`RequestBuilder::send`]: crate::RequestBuilder::send
pub struct Pager {
    client: LuccaClient,
    /// The request targets: the next one, and every one fetched.
    cursor: PageCursor,
    items: std::vec::IntoIter<Value>,
    /// An error to yield once the current page's items are out.
    pending: Option<Error>,
    pages_read: usize,
}

impl Pager {
    pub(crate) fn new(client: LuccaClient, path: &str) -> Self {
        Pager {
            client,
            cursor: PageCursor::new(path),
            items: Vec::new().into_iter(),
            pending: None,
            pages_read: 0,
        }
    }

    /// How many pages were fetched so far.
    #[must_use]
    pub fn pages_read(&self) -> usize {
        self.pages_read
    }

    /// Fetches the page at `target`, queues its items and records where the next one is.
    fn fetch(&mut self, target: &str) -> Result<(), Error> {
        let response = self.client.execute(&Method::GET, target, &[], None)?;
        self.pages_read += 1;
        let page = Page::parse(response.body()).map_err(Error::Pagination)?;
        if let Err(error) = self
            .cursor
            .handle_page(&self.client.shared.config.tenant, &page)
        {
            self.pending = Some(Error::Pagination(error));
        }
        let (items, _) = page.into_parts();
        self.items = items.into_iter();
        Ok(())
    }
}

impl Iterator for Pager {
    type Item = Result<Value, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.items.next() {
                return Some(Ok(item));
            }
            if let Some(error) = self.pending.take() {
                return Some(Err(error));
            }
            // Polling the target takes it: after a failed fetch there is no next page.
            let target = self.cursor.poll_target()?;
            if let Err(error) = self.fetch(&target) {
                return Some(Err(error));
            }
        }
    }
}

impl FusedIterator for Pager {}

impl fmt::Debug for Pager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("pages_read", &self.pages_read)
            .field("has_next", &self.cursor.has_next())
            .field("queued_items", &self.items.len())
            .finish()
    }
}
