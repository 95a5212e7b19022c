//! Paging: the [`Page`] type, decoding of both list shapes, and [`ListRequest`], which keeps its
//! filters on every page and stops when a page repeats.

mod list;
mod page;

pub use list::{ListRequest, ResultStream};
pub(crate) use page::PageBody;
pub use page::{Page, PageBase, PageShape};

use serde::de::DeserializeOwned;

use crate::client::Request;
use crate::client::transport::{Fetched, decode};
use crate::error::Result;

/// Decodes a list body (bare array or envelope).
pub(crate) fn decode_page<T: DeserializeOwned>(
    request: &Request,
    fetched: &Fetched,
) -> Result<PageBody<T>> {
    decode(request, fetched)
}
