//! [`ListRequest`]: filters, one page, all pages, all items.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_core::Stream;
use futures_util::{TryStreamExt, stream};

use crate::client::{MomentClient, Request};
use crate::error::{Error, Result};
use crate::paging::page::{Page, PageBase};
use crate::paging::{PageBody, decode_page};
use crate::resources::Resource;

/// Query parameter names (from third-party code; unverified, see `docs/moment-api.md`).
pub(crate) mod param {
    pub(crate) const PAGE: &str = "page";
    pub(crate) const SIZE: &str = "size";
    pub(crate) const MODIFIED_FROM: &str = "lastModifiedDateFrom";
    pub(crate) const MODIFIED_TO: &str = "lastModifiedDateTo";
    pub(crate) const CREATED_FROM: &str = "createdDateFrom";
    pub(crate) const CREATED_TO: &str = "createdDateTo";
    pub(crate) const QUERY: &str = "query";
    pub(crate) const SORT: &str = "sort";
}

/// A stream of results: the items or the pages of a listing (boxed, so `try_next()` works
/// without pinning).
pub type ResultStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'static>>;

/// A list request for one resource: set filters, then [`send`](Self::send) for one page,
/// [`pages`](Self::pages) for every page or [`stream`](Self::stream) for every item.
///
/// Filters are sent on every page. Setting a filter twice keeps the last value.
#[must_use = "a list request does nothing until `send`, `pages`, `stream` or `collect_all` is called"]
pub struct ListRequest<T> {
    client: MomentClient,
    filters: Vec<(String, String)>,
    page: Option<u64>,
    per_page: Option<u32>,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Clone for ListRequest<T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            filters: self.filters.clone(),
            page: self.page,
            per_page: self.per_page,
            _marker: PhantomData,
        }
    }
}

impl<T: Resource> fmt::Debug for ListRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListRequest")
            .field("resource", &T::PATH)
            .field("filters", &self.filters)
            .field("page", &self.page)
            .field("per_page", &self.per_page)
            .finish()
    }
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl<T: Resource> ListRequest<T> {
    pub(crate) fn new(client: MomentClient) -> Self {
        Self {
            client,
            filters: Vec::new(),
            page: None,
            per_page: None,
            _marker: PhantomData,
        }
    }

    /// Sets a query parameter, replacing an earlier value of the same name.
    pub(crate) fn set(mut self, name: &str, value: String) -> Self {
        self.filters.retain(|(n, _)| n != name);
        self.filters.push((name.to_owned(), value));
        self
    }

    /// Only objects changed at or after `since` (`lastModifiedDateFrom`, ISO-8601 UTC).
    pub fn modified_since(self, since: DateTime<Utc>) -> Self {
        self.set(param::MODIFIED_FROM, timestamp(since))
    }

    /// Only objects changed before `until` (`lastModifiedDateTo`).
    pub fn modified_before(self, until: DateTime<Utc>) -> Self {
        self.set(param::MODIFIED_TO, timestamp(until))
    }

    /// Only objects created at or after `since` (`createdDateFrom`).
    pub fn created_since(self, since: DateTime<Utc>) -> Self {
        self.set(param::CREATED_FROM, timestamp(since))
    }

    /// Only objects created before `until` (`createdDateTo`).
    pub fn created_before(self, until: DateTime<Utc>) -> Self {
        self.set(param::CREATED_TO, timestamp(until))
    }

    /// Free-text search (`query`).
    pub fn query(self, text: impl Into<String>) -> Self {
        self.set(param::QUERY, text.into())
    }

    /// Sort order (`sort`, e.g. `id,asc`). A stable order makes paging reliable.
    pub fn sort(self, order: impl Into<String>) -> Self {
        self.set(param::SORT, order.into())
    }

    /// Any other query parameter, for filters this crate does not name yet. `page` and `size`
    /// are refused (use [`page`](Self::page) and [`per_page`](Self::per_page)).
    pub fn param(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.set(&name, value.into())
    }

    /// The page [`send`](Self::send) fetches, or the first page [`pages`](Self::pages) and
    /// [`stream`](Self::stream) fetch, in Moment's numbering (default: the first page).
    pub fn page(mut self, number: u64) -> Self {
        self.page = Some(number);
        self
    }

    /// The page size for this request (default: the client's).
    pub fn per_page(mut self, size: u32) -> Self {
        self.per_page = Some(size);
        self
    }

    /// The query parameters set so far (without `page` and `size`).
    pub fn filters(&self) -> &[(String, String)] {
        &self.filters
    }

    fn check(&self) -> Result<()> {
        if self.per_page == Some(0) {
            return Err(Error::Config {
                setting: "per_page",
                reason: "must be at least 1".to_owned(),
            });
        }
        if let Some((name, _)) = self
            .filters
            .iter()
            .find(|(n, _)| n == param::PAGE || n == param::SIZE)
        {
            return Err(Error::Config {
                setting: "param",
                reason: format!("`{name}` is set by the pager; use `page` / `per_page`"),
            });
        }
        if let Some(first) = self.page
            && first < self.client.page_base().first()
        {
            return Err(Error::Config {
                setting: "page",
                reason: format!(
                    "page {first} is before the first page ({}) of the configured page base",
                    self.client.page_base().first()
                ),
            });
        }
        Ok(())
    }

    /// Fetches one page (the first, or the one set with [`page`](Self::page)).
    pub async fn send(self) -> Result<Page<T>> {
        self.check()?;
        let mut pager = Pager::<T>::new(self);
        pager.next_page().await.map(|(page, _)| page)
    }

    /// Every page, in order, until the last one. Ends after the first error; a page that
    /// repeats its predecessor yields [`Error::RepeatedPage`] and ends the stream.
    pub fn pages(self) -> ResultStream<Page<T>> {
        let start = self.check().map(|()| Pager::<T>::new(self));
        let pages = stream::once(async move { start })
            .map_ok(|pager| {
                stream::try_unfold(Some(pager), |state| async move {
                    let Some(mut pager) = state else {
                        return Ok(None);
                    };
                    let (page, more) = pager.next_page().await?;
                    Ok(Some((page, more.then_some(pager))))
                })
            })
            .try_flatten();
        Box::pin(pages)
    }

    /// Every item of every page, in order (see [`pages`](Self::pages)).
    pub fn stream(self) -> ResultStream<T> {
        Box::pin(
            self.pages()
                .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
                .try_flatten(),
        )
    }

    /// Collects every item of every page.
    pub async fn collect_all(self) -> Result<Vec<T>> {
        self.stream().try_collect().await
    }
}

/// The state of a walk over the pages.
struct Pager<T> {
    client: MomentClient,
    filters: Vec<(String, String)>,
    size: u32,
    base: PageBase,
    number: u64,
    previous_ids: Option<Vec<i64>>,
    seen: u64,
    _marker: PhantomData<fn() -> T>,
}

impl<T: Resource> Pager<T> {
    fn new(request: ListRequest<T>) -> Self {
        let base = request.client.page_base();
        Self {
            size: request.per_page.unwrap_or(request.client.per_page()),
            number: request.page.unwrap_or(base.first()),
            base,
            filters: request.filters,
            client: request.client,
            previous_ids: None,
            seen: 0,
            _marker: PhantomData,
        }
    }

    /// Fetches the current page; returns it and whether another page should be fetched.
    async fn next_page(&mut self) -> Result<(Page<T>, bool)> {
        let mut query = self.filters.clone();
        query.push((param::PAGE.to_owned(), self.number.to_string()));
        query.push((param::SIZE.to_owned(), self.size.to_string()));
        let request = Request::get(&[T::PATH], query);
        let fetched = self.client.fetch(&request).await?;
        let body: PageBody<T> = decode_page(&request, &fetched)?;

        let ids: Vec<i64> = body.items.iter().map(|item| item.id().into()).collect();
        if !ids.is_empty() && self.previous_ids.as_ref() == Some(&ids) {
            return Err(Error::RepeatedPage {
                path: request.display_path(),
                page: self.number,
                other_base: self.base.other().first(),
            });
        }
        self.seen = self.seen.saturating_add(ids.len() as u64);
        self.previous_ids = Some(ids);

        let page = Page {
            items: body.items,
            number: self.number,
            base: self.base,
            per_page: self.size,
            reported_size: body.meta.size,
            total_elements: body.meta.total_elements,
            total_pages: body.meta.total_pages,
            reported_last: body.meta.last,
            shape: body.shape,
        };
        let all_seen = page.total_elements.is_some_and(|total| self.seen >= total);
        let more = !(page.is_last() || all_seen);
        tracing::debug!(
            resource = T::PATH,
            page = self.number,
            items = page.items.len(),
            more,
            "Moment page"
        );
        self.number = self.number.saturating_add(1);
        Ok((page, more))
    }
}
