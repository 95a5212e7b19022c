//! Paged listings. DK+ pages are 1-based, live in the path (`/<resource>/page/{page}/{count}`) and
//! come back as bare JSON arrays with no total and no next link; the last page is the first one
//! with fewer than `count` items. Filters are query parameters and are sent with every page.

use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use crate::client::DkPlusClient;
use crate::client::request::ApiRequest;
use crate::error::{Error, Result};
use crate::operations::Operation;

/// Default number of records per page.
pub const DEFAULT_PER_PAGE: u32 = 100;

/// A boxed stream of results, as returned by the `stream()`/`pages()` methods of list builders.
pub type ResultStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'static>>;

/// One page of a listing: its records, the page number and the page size asked for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The records of this page.
    pub items: Vec<T>,
    /// The page number as sent (DK+ counts from 1).
    pub number: u32,
    /// The page size asked for.
    pub per_page: u32,
}

impl<T> Page<T> {
    /// `true` when no page follows: DK+ answered fewer records than asked for (DK+ reports no
    /// totals; a full page may be the last one, which the next, empty page shows).
    pub fn is_last(&self) -> bool {
        (self.items.len() as u64) < u64::from(self.per_page)
    }
}

crate::shared::page_items!(Page);

/// Which page to fetch and how large pages are, plus the filters of one listing.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    /// The paged operation (its path ends in `{page}/{count}`).
    pub(crate) operation: &'static Operation,
    pub(crate) page: u32,
    pub(crate) per_page: u32,
    pub(crate) filters: Vec<(&'static str, String)>,
}

impl Listing {
    pub(crate) fn new(operation: &'static Operation) -> Self {
        Self {
            operation,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            filters: Vec::new(),
        }
    }

    /// Sets a filter, replacing an earlier value for the same key.
    pub(crate) fn set(&mut self, key: &'static str, value: String) {
        self.filters.retain(|(k, _)| *k != key);
        self.filters.push((key, value));
    }

    fn check(&self) -> Result<()> {
        if self.page == 0 {
            return Err(Error::invalid("page", "pages start at 1"));
        }
        if self.per_page == 0 {
            return Err(Error::invalid("per_page", "must be at least 1"));
        }
        Ok(())
    }

    fn request(&self, page: u32) -> Result<ApiRequest> {
        let mut request = ApiRequest::to(
            self.operation,
            &[&page.to_string(), &self.per_page.to_string()],
        )?;
        for (key, value) in &self.filters {
            request = request.query(key, value.clone());
        }
        Ok(request)
    }

    async fn fetch<T: DeserializeOwned>(
        &self,
        client: &DkPlusClient,
        page: u32,
    ) -> Result<(Vec<T>, Bytes)> {
        let response = client.execute(&self.request(page)?).await?;
        if response.is_empty() {
            return Ok((Vec::new(), response.body));
        }
        let items: Vec<T> = response.json()?;
        Ok((items, response.body))
    }

    /// The page set with `page` (default 1).
    pub(crate) async fn one_page<T: DeserializeOwned>(
        &self,
        client: &DkPlusClient,
    ) -> Result<Page<T>> {
        self.check()?;
        let (items, _) = self.fetch(client, self.page).await?;
        Ok(Page {
            items,
            number: self.page,
            per_page: self.per_page,
        })
    }

    /// Every page from `page` on, until a short page.
    pub(crate) fn pages<T>(self, client: DkPlusClient) -> ResultStream<Page<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        if let Err(e) = self.check() {
            return Box::pin(stream::once(async move { Err(e) }));
        }
        struct State {
            listing: Listing,
            client: DkPlusClient,
            next: Option<u32>,
            previous_body: Option<Bytes>,
        }
        let state = State {
            next: Some(self.page),
            listing: self,
            client,
            previous_body: None,
        };
        Box::pin(stream::try_unfold(state, |mut state| async move {
            let Some(page) = state.next else {
                return Ok(None);
            };
            let (items, body): (Vec<T>, Bytes) = state.listing.fetch(&state.client, page).await?;
            let full = items.len() as u64 >= u64::from(state.listing.per_page);
            if full && state.previous_body.as_ref() == Some(&body) {
                return Err(Error::RepeatedPage {
                    path: state.listing.operation.path.to_owned(),
                    page,
                });
            }
            state.next = if full { page.checked_add(1) } else { None };
            state.previous_body = Some(body);
            if items.is_empty() {
                return Ok(None);
            }
            let page = Page {
                items,
                number: page,
                per_page: state.listing.per_page,
            };
            Ok(Some((page, state)))
        }))
    }

    /// Every record of every page from `page` on.
    pub(crate) fn items<T>(self, client: DkPlusClient) -> ResultStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        Box::pin(
            self.pages::<T>(client)
                .map_ok(|page| stream::iter(page.into_iter().map(Ok)))
                .try_flatten()
                .fuse(),
        )
    }
}

/// The `page`, `per_page`, `include`, `send`, `pages`, `stream` and `collect_all` methods every
/// list builder has.
macro_rules! list_builder_common {
    ($item:ty) => {
        /// Which page `send()` fetches, or where `pages()`/`stream()` start (1-based, default 1).
        pub fn page(mut self, page: u32) -> Self {
            self.listing.page = page;
            self
        }

        /// Records per page (default 100).
        pub fn per_page(mut self, per_page: u32) -> Self {
            self.listing.per_page = per_page;
            self
        }

        /// Asks DK+ to return only these fields (PascalCase wire names, e.g. `["Number", "Name"]`);
        /// the others read as `None`.
        pub fn include<I, S>(mut self, fields: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: AsRef<str>,
        {
            let list: Vec<String> = fields.into_iter().map(|f| f.as_ref().to_owned()).collect();
            self.listing.set("include", list.join(","));
            self
        }

        /// Fetches one page.
        ///
        /// # Errors
        /// Any [`crate::Error`]; [`crate::Error::InvalidInput`] for page or per-page 0.
        pub async fn send(self) -> $crate::Result<$crate::paging::Page<$item>> {
            self.listing.one_page(&self.client).await
        }

        /// Streams pages from `page` on until a short page, keeping the filters.
        pub fn pages(self) -> $crate::paging::ResultStream<$crate::paging::Page<$item>> {
            self.listing.pages(self.client)
        }

        /// Every record of every page from `page` on, in one `Vec`.
        ///
        /// # Errors
        /// The first error of any page.
        pub async fn collect_all(self) -> $crate::Result<Vec<$item>> {
            use futures_util::TryStreamExt as _;
            self.stream().try_collect().await
        }

        /// Streams every record of every page from `page` on, keeping the filters.
        pub fn stream(self) -> $crate::paging::ResultStream<$item> {
            self.listing.items(self.client)
        }
    };
}

pub(crate) use list_builder_common;

/// Formats a boolean filter the way DK+ expects.
pub(crate) fn flag(value: bool) -> String {
    if value { "true" } else { "false" }.to_owned()
}
