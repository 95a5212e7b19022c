//! The handler shared by all resources: `get` one object, `list` many.

use std::marker::PhantomData;

use crate::client::{MomentClient, Request};
use crate::error::Result;
use crate::paging::ListRequest;
use crate::resources::Resource;

/// Reads one kind of Moment object. Created by [`MomentClient::customers`] and its siblings.
#[derive(Debug, Clone, Copy)]
pub struct ResourceHandler<'c, T> {
    pub(crate) client: &'c MomentClient,
    _marker: PhantomData<fn() -> T>,
}

impl<'c, T: Resource> ResourceHandler<'c, T> {
    pub(crate) fn new(client: &'c MomentClient) -> Self {
        Self {
            client,
            _marker: PhantomData,
        }
    }

    /// Fetches one object by id (`GET /{resource}/{id}`). `Ok(None)` when Moment answers 404.
    ///
    /// ```no_run
    /// # async fn run(client: moment_client::MomentClient) -> moment_client::Result<()> {
    /// use moment_client::CustomerId;
    /// match client.customers().get(CustomerId(62788973)).await? {
    ///     Some(customer) => println!("{:?}", customer.name),
    ///     None => println!("no such customer"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get(&self, id: T::Id) -> Result<Option<T>> {
        let id = id.to_string();
        let request = Request::get(&[T::PATH, &id], Vec::new());
        self.client.get_optional(&request).await
    }

    /// Starts a list request (`GET /{resource}?page=..&size=..`), see [`ListRequest`].
    ///
    /// ```no_run
    /// # async fn run(client: moment_client::MomentClient) -> moment_client::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let since = chrono::Utc::now() - chrono::Duration::days(1);
    /// let mut changed = client.customers().list().modified_since(since).stream();
    /// while let Some(customer) = changed.try_next().await? {
    ///     println!("{} {:?}", customer.id, customer.customer_number);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListRequest<T> {
        ListRequest::new(self.client.clone())
    }
}
