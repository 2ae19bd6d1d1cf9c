//! [`Pager`]: a `Stream` over the items of a Lucca list, following its cursor pagination with
//! the core's page parser and `next`-link rules.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::stream::FusedStream;
use lucca_auth::pagination::{Page, PageCursor};
use serde_json::Value;

use crate::LuccaClient;
use crate::error::Error;

/// One page, read.
type PageOutcome = Result<Page, Error>;

/// A stream of every item of a list, page after page, returned by
/// [`LuccaClient::pages`].
///
/// The first request is the path with `include=links` added (other query parameters, such
/// as `limit`, are kept); each page's `items` are yielded in order, then its `links.next` is
/// followed, only if it points to the tenant's own origin and to a page not read yet. A page
/// that cannot be read, a `next` to another origin ([`PageError::ForeignNext`]), a `next`
/// back to any page already read ([`PageError::NextRepeats`]: links in a cycle) or any
/// failed request is yielded once as an error, after the items already read, and the stream
/// ends.
///
/// Each page is one API call, with everything [`RequestBuilder::send`] does (token, one
/// retry after a 401, the retry policy). The next page is requested only when the stream is
/// polled past the current page's items.
///
/// [`RequestBuilder::send`]: crate::RequestBuilder::send
/// [`PageError::ForeignNext`]: lucca_auth::pagination::PageError::ForeignNext
/// [`PageError::NextRepeats`]: lucca_auth::pagination::PageError::NextRepeats
#[must_use = "a stream does nothing unless polled"]
pub struct Pager {
    client: LuccaClient,
    /// The request targets: the next one, and every one fetched.
    cursor: PageCursor,
    items: std::vec::IntoIter<Value>,
    /// An error to yield once the current page's items are out.
    pending: Option<Error>,
    /// The page being fetched.
    fetching: Option<Pin<Box<dyn Future<Output = PageOutcome> + Send>>>,
    pages_read: usize,
    done: bool,
}

impl Pager {
    pub(crate) fn new(client: LuccaClient, path: &str) -> Self {
        Pager {
            client,
            cursor: PageCursor::new(path),
            items: Vec::new().into_iter(),
            pending: None,
            fetching: None,
            pages_read: 0,
            done: false,
        }
    }

    /// How many pages were fetched so far.
    #[must_use]
    pub fn pages_read(&self) -> usize {
        self.pages_read
    }
}

/// Fetches the page at `target`.
async fn fetch(client: LuccaClient, target: String) -> PageOutcome {
    let response = client.get(&target).send().await?;
    Page::parse(response.body()).map_err(Error::Pagination)
}

impl Stream for Pager {
    type Item = Result<Value, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.items.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(error) = this.pending.take() {
                this.done = true;
                return Poll::Ready(Some(Err(error)));
            }
            if let Some(fetching) = &mut this.fetching {
                let outcome = match fetching.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(outcome) => outcome,
                };
                this.fetching = None;
                match outcome {
                    Ok(page) => {
                        this.pages_read += 1;
                        if let Err(error) = this.cursor.handle_page(this.client.tenant(), &page) {
                            this.pending = Some(Error::Pagination(error));
                        }
                        this.items = page.into_parts().0.into_iter();
                    }
                    Err(error) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(error)));
                    }
                }
                continue;
            }
            let Some(target) = this.cursor.poll_target() else {
                this.done = true;
                return Poll::Ready(None);
            };
            this.fetching = Some(Box::pin(fetch(this.client.clone(), target)));
        }
    }
}

impl FusedStream for Pager {
    fn is_terminated(&self) -> bool {
        self.done && self.items.len() == 0 && self.pending.is_none()
    }
}

impl fmt::Debug for Pager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("pages_read", &self.pages_read)
            .field("buffered_items", &self.items.len())
            .field("has_next", &self.cursor.has_next())
            .finish_non_exhaustive()
    }
}
