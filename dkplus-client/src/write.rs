//! Writes as data: a [`WriteRequest`] is exactly what the client sends for a write — the published
//! operation, the method, the percent-encoded path, the query and the JSON body — built and
//! checked by the same code the client sends with. A dry run, an audit log or an approval step
//! can record and show a write without knowing DK+'s paths.
//!
//! ```
//! use dkplus_client::{CustomerNumber, CustomerWrite, WriteRequest};
//!
//! let write = WriteRequest::create_customer(&CustomerWrite {
//!     number: Some(CustomerNumber::new("10001")),
//!     name: Some("Norðurljós ehf.".into()),
//!     ..Default::default()
//! })?;
//! assert_eq!(write.request_line(), "POST /Customer");
//! assert_eq!(write.body["Name"], "Norðurljós ehf.");
//! # Ok::<(), dkplus_client::Error>(())
//! ```

use serde::Serialize;

use crate::client::request::ApiRequest;
use crate::error::{Error, Result};
use crate::ids::{CustomerNumber, ItemCode};
use crate::models::{
    CustomerWrite, ProductCreate, ProductUpdate, ProjectCreate, SalesInvoiceCreate,
};
use crate::resources::{customers, products, projects, sales_invoices};

/// One write to DK+ as data. Built only by its constructors, which check the input as the client
/// does before sending (an invalid write is the same [`Error::InvalidInput`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WriteRequest {
    /// The published operation's name (see [`operations`](crate::operations)).
    pub operation: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path below the API root, percent-encoded as sent (`/Customer/10001`).
    pub path: String,
    /// The query parameters, in the order sent.
    pub query: Vec<(String, String)>,
    /// The JSON body.
    pub body: serde_json::Value,
}

impl WriteRequest {
    /// `POST /Customer`, as [`Customers::create`](crate::resources::Customers::create) sends it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for what the client would refuse to send.
    pub fn create_customer(customer: &CustomerWrite) -> Result<Self> {
        Self::of(&customers::create_request(customer)?)
    }

    /// `PUT /Customer/{number}`, as [`Customers::update`](crate::resources::Customers::update)
    /// sends it (only the fields that are set; never `Number`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for what the client would refuse to send.
    pub fn update_customer(number: &CustomerNumber, changes: &CustomerWrite) -> Result<Self> {
        Self::of(&customers::update_request(number, changes)?)
    }

    /// `POST /project`, as [`Projects::create`](crate::resources::Projects::create) sends it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for what the client would refuse to send.
    pub fn create_project(project: &ProjectCreate) -> Result<Self> {
        Self::of(&projects::create_request(project)?)
    }

    /// `POST /Product`, as [`Products::create`](crate::resources::Products::create) sends it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for what the client would refuse to send.
    pub fn create_product(product: &ProductCreate) -> Result<Self> {
        Self::of(&products::create_request(product)?)
    }

    /// `PUT /Product/{itemcode}`, as [`Products::update`](crate::resources::Products::update)
    /// sends it (an item code beyond plain letters and digits goes base64-encoded).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for what the client would refuse to send.
    pub fn update_product(item_code: &ItemCode, update: &ProductUpdate) -> Result<Self> {
        Self::of(&products::update_request(item_code, update)?)
    }

    /// `POST /sales/invoice?post=true` (or `post=false` for an unbooked one), as
    /// [`CreateSalesInvoice::send`](crate::resources::CreateSalesInvoice::send) sends it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for what the client would refuse to send.
    pub fn create_invoice(invoice: &SalesInvoiceCreate, post: bool) -> Result<Self> {
        Self::of(&sales_invoices::create_request(invoice, post)?)
    }

    /// The request line without the host: `POST /sales/invoice?post=true`.
    pub fn request_line(&self) -> String {
        let mut line = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&self.query)
                .finish();
            line.push('?');
            line.push_str(&query);
        }
        line
    }

    /// The body as indented JSON, for people.
    pub fn pretty_body(&self) -> String {
        serde_json::to_string_pretty(&self.body).unwrap_or_else(|_| self.body.to_string())
    }

    fn of(request: &ApiRequest) -> Result<Self> {
        request.check_published()?;
        let body = match &request.body {
            Some(bytes) => {
                serde_json::from_slice(bytes).map_err(|e| Error::invalid("body", e.to_string()))?
            }
            None => serde_json::Value::Null,
        };
        Ok(Self {
            operation: request.operation.name,
            method: request.operation.method,
            path: request.encoded_path(),
            query: request
                .query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            body,
        })
    }
}
