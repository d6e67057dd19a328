//! A `Stream` over every item of a paginated listing, following `pagination.next_offset`.

use std::collections::VecDeque;
use std::future::Future;

use futures_util::stream::{self, Stream};
use futures_util::TryStreamExt;
use lakefs_models::Pagination;

use crate::{Error, Operation};

/// The most pages one listing walks before it decides the server is looping.
const MAX_PAGES: usize = 100_000;

struct Pager<F, I> {
    fetch: F,
    after: Option<String>,
    buffer: VecDeque<I>,
    done: bool,
    pages: usize,
}

/// Every item of a listing, page after page: `fetch(after)` returns one page and its
/// `Pagination`; the next page starts after its `next_offset`. The stream ends after the
/// last page, or with an [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) when the server claims more pages but its cursor
/// does not move forward (a server bug that would otherwise loop forever). It stops at the
/// first error.
pub fn items<I, F, Fut>(
    operation: Operation,
    first_after: Option<String>,
    fetch: F,
) -> impl Stream<Item = Result<I, Error>> + Send
where
    I: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send,
    Fut: Future<Output = Result<(Vec<I>, Pagination), Error>> + Send,
{
    let pager = Pager {
        fetch,
        after: first_after,
        buffer: VecDeque::new(),
        done: false,
        pages: 0,
    };
    stream::try_unfold(pager, move |mut pager| async move {
        loop {
            if let Some(item) = pager.buffer.pop_front() {
                return Ok(Some((item, pager)));
            }
            if pager.done {
                return Ok(None);
            }
            if pager.pages == MAX_PAGES {
                return Err(Error::protocol(
                    operation,
                    format!("more than {MAX_PAGES} pages"),
                ));
            }
            pager.pages += 1;
            let (results, pagination) = (pager.fetch)(pager.after.clone()).await?;
            pager.buffer.extend(results);
            if !pagination.has_more {
                pager.done = true;
                continue;
            }
            let next = pagination.next_offset;
            if next.is_empty() || pager.after.as_deref() == Some(next.as_str()) {
                return Err(Error::protocol(
                    operation,
                    format!(
                        "has_more is true but next_offset {next:?} does not advance the listing"
                    ),
                ));
            }
            pager.after = Some(next);
        }
    })
}

/// A list request that can be walked page by page.
pub trait Listing: Clone + Send + 'static {
    /// What the pages hold.
    type Item: Send + 'static;
    /// The list operation.
    const OPERATION: Operation;
    /// Where the listing starts (exclusive), as the caller set it.
    fn after(&self) -> Option<String>;
    /// The same request, starting after `after`.
    fn starting_after(self, after: Option<String>) -> Self;
    /// Sends the request: one page.
    fn page(self) -> impl Future<Output = Result<(Vec<Self::Item>, Pagination), Error>> + Send;
}

/// Every item of `listing`, page after page (see [`items`]).
pub fn stream<L: Listing>(listing: L) -> impl Stream<Item = Result<L::Item, Error>> + Send {
    let first = listing.after();
    items(L::OPERATION, first, move |after| {
        listing.clone().starting_after(after).page()
    })
}

/// Every item of `listing`, collected.
pub async fn collect<L: Listing>(listing: L) -> Result<Vec<L::Item>, Error> {
    stream(listing).try_collect().await
}
