//! A stateful fake DK+ server for tests, on [`wiremock`] (feature `testing`).
//!
//! ```
//! use dkplus_client::testing::FakeDkPlus;
//! use dkplus_client::{Customer, CustomerNumber};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dkplus_client::Result<()> {
//! let fake = FakeDkPlus::start().await;
//! fake.add_customer(Customer {
//!     number: Some("1710794709".into()),
//!     name: Some("Jón Jónsson".into()),
//!     ..Default::default()
//! });
//! let client = fake.client()?;
//! let found = client.customers().get(&CustomerNumber::new("1710794709")).await?;
//! assert_eq!(found.unwrap().name.as_deref(), Some("Jón Jónsson"));
//! assert_eq!(fake.count("GET", "/Customer/{number}"), 1);
//! # Ok(()) }
//! ```
//!
//! What it does, like DK+ as far as DK+ is known:
//! - checks `Authorization: bearer <token>` (401 with a `Message` otherwise);
//! - keeps customers, projects, products, sales persons and invoices in memory; keys are matched
//!   case-insensitively; unknown keys are 404;
//! - paging is 1-based (page 0 → 400) with bare JSON arrays, and the common filters;
//! - invoice `POST`: 400 with a `Message` for an unknown customer, project, sales person or item
//!   code. Without a sales person it uses `vef` or `web` when those exist, as DK+ does. Line totals
//!   are `quantity × price × (1 − discount/100)`, VAT comes from the product's `TaxPercent` (none
//!   for a `NoVat` customer), amounts are rounded to 2 decimals. Posted invoices get the next
//!   number of the series; unposted ones get no number;
//! - customer `POST` answers 200 with an empty body (DK+'s documented answer); a number that
//!   exists is refused with 409 `{"Message": "Customer exists with this Number."}`, and so is an
//!   existing project number — the same shape DK+ uses for other duplicate creations;
//! - customer `PUT` answers 200 with an empty body; product `POST`/`PUT` and project `POST` answer
//!   with the stored record;
//! - any other path is 404 with ASP.NET's "No HTTP resource was found" message.
//!
//! Faults: [`fail_next`](FakeDkPlus::fail_next), [`fail_next_with`](FakeDkPlus::fail_next_with),
//! [`delay_next`](FakeDkPlus::delay_next), a per-request [`latency`](FakeDkPlus::set_latency), and
//! [`store_then_fail_next_invoice`](FakeDkPlus::store_then_fail_next_invoice). Every request is
//! recorded ([`requests`](FakeDkPlus::requests)) unless recording is switched off, and counted
//! per route ([`count`](FakeDkPlus::count)) either way.

mod faults;
mod router;
mod state;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use self::faults::Fault;
pub use self::faults::{AfterStore, Failure};
use self::router::Router;
pub use self::state::RecordedRequest;
use self::state::{State, key};
use crate::client::DkPlusClient;
use crate::client::builder::DkPlusClientBuilder;
use crate::client::retry::RetryPolicy;
use crate::error::Result;
use crate::models::{Customer, Product, Project, SalesInvoice, SalesPerson};

/// The token a fake accepts unless another is configured.
pub const DEFAULT_FAKE_TOKEN: &str = "fake-dkplus-token-0000";

/// A running fake DK+ (see the [module documentation](self)). Stops when dropped.
#[derive(Debug)]
pub struct FakeDkPlus {
    server: MockServer,
    state: Arc<Mutex<State>>,
    token: String,
}

/// Options for [`FakeDkPlus`].
#[derive(Debug, Clone)]
#[must_use = "call .start().await"]
pub struct FakeDkPlusBuilder {
    token: String,
    invoice_start: u64,
    recording: bool,
    latency: Option<Duration>,
}

impl Default for FakeDkPlusBuilder {
    fn default() -> Self {
        Self {
            token: DEFAULT_FAKE_TOKEN.to_owned(),
            invoice_start: 100_001,
            recording: true,
            latency: None,
        }
    }
}

impl FakeDkPlusBuilder {
    /// The token the fake accepts (default [`DEFAULT_FAKE_TOKEN`]).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// The first invoice number handed out (default 100001).
    pub fn invoice_number_series(mut self, start: u64) -> Self {
        self.invoice_start = start;
        self
    }

    /// Record every request (default on). Off keeps memory flat in long benchmarks; counters are
    /// kept either way.
    pub fn record_requests(mut self, on: bool) -> Self {
        self.recording = on;
        self
    }

    /// Delay every answer by this much (for benchmarks).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Starts the server on a free loopback port.
    pub async fn start(self) -> FakeDkPlus {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let state = Arc::new(Mutex::new(State::new(
            self.invoice_start,
            self.recording,
            self.latency,
        )));
        Mock::given(any())
            .respond_with(Router::new(state.clone(), self.token.clone()))
            .mount(&server)
            .await;
        FakeDkPlus {
            server,
            state,
            token: self.token,
        }
    }
}

impl FakeDkPlus {
    /// Options for a fake.
    pub fn builder() -> FakeDkPlusBuilder {
        FakeDkPlusBuilder::default()
    }

    /// A fake with the default options.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:PORT/api/v1`.
    pub fn uri(&self) -> String {
        format!("{}/api/v1", self.server.uri())
    }

    /// The token the fake accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A client builder pointed at the fake with its token, 10 s timeout and fast retries
    /// (10 ms doubling to 100 ms), to adjust before building.
    pub fn client_builder(&self) -> DkPlusClientBuilder {
        DkPlusClient::builder()
            .token(self.token.clone())
            .base_url(self.uri())
            .timeout(Duration::from_secs(10))
            .retry_policy(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(10), Duration::from_millis(100)),
            )
    }

    /// A client pointed at the fake (see [`client_builder`](Self::client_builder)).
    ///
    /// # Errors
    /// [`crate::Error::Config`] when the configured fake token cannot go into a header.
    pub fn client(&self) -> Result<DkPlusClient> {
        self.client_builder().build()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds or replaces a customer (keyed by `number`; one without a number is ignored).
    pub fn add_customer(&self, customer: Customer) -> &Self {
        if let Some(number) = customer.number.clone() {
            let mut state = self.lock();
            let mut customer = customer;
            customer.record_id = customer.record_id.or_else(|| Some(state.record_id()));
            state.customers.insert(key(number.as_str()), customer);
        }
        self
    }

    /// Adds or replaces a project (keyed by `number`; one without a number is ignored).
    pub fn add_project(&self, project: Project) -> &Self {
        if let Some(number) = project.number.clone() {
            self.lock().projects.insert(key(number.as_str()), project);
        }
        self
    }

    /// Adds or replaces a product (keyed by `item_code`; one without a code is ignored).
    pub fn add_product(&self, product: Product) -> &Self {
        if let Some(code) = product.item_code.clone() {
            let mut state = self.lock();
            let mut product = product;
            product.record_id = product.record_id.or_else(|| Some(state.record_id()));
            state.products.insert(key(code.as_str()), product);
        }
        self
    }

    /// Adds or replaces a sales person (keyed by `number`; one without a number is ignored).
    pub fn add_sales_person(&self, sales_person: SalesPerson) -> &Self {
        if let Some(number) = sales_person.number.clone() {
            self.lock()
                .sales_persons
                .insert(key(number.as_str()), sales_person);
        }
        self
    }

    /// Adds an invoice as if it had been created earlier (numbers are not checked).
    pub fn add_invoice(&self, invoice: SalesInvoice) -> &Self {
        self.lock().invoices.push(invoice);
        self
    }

    /// The customers, ordered by number.
    pub fn customers(&self) -> Vec<Customer> {
        self.lock().customers.values().cloned().collect()
    }

    /// The projects, ordered by number.
    pub fn projects(&self) -> Vec<Project> {
        self.lock().projects.values().cloned().collect()
    }

    /// The products, ordered by item code.
    pub fn products(&self) -> Vec<Product> {
        self.lock().products.values().cloned().collect()
    }

    /// The sales persons, ordered by number.
    pub fn sales_persons(&self) -> Vec<SalesPerson> {
        self.lock().sales_persons.values().cloned().collect()
    }

    /// The invoices, in creation order (with lines).
    pub fn invoices(&self) -> Vec<SalesInvoice> {
        self.lock().invoices.clone()
    }

    /// Every recorded request, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Forgets the recorded requests and the counters.
    pub fn clear_requests(&self) {
        let mut state = self.lock();
        state.requests.clear();
        state.counts.clear();
    }

    /// Switches request recording on or off.
    pub fn set_recording(&self, on: bool) {
        let mut state = self.lock();
        state.recording = on;
        if !on {
            state.requests = Vec::new();
        }
    }

    /// How many requests matched this method and route template, e.g.
    /// `count("POST", "/sales/invoice")` or `count("GET", "/Customer/{number}")`.
    pub fn count(&self, method: &str, route: &str) -> u64 {
        let wanted = format!("{} {}", method.to_uppercase(), route.to_lowercase());
        self.lock()
            .counts
            .iter()
            .filter(|(k, _)| k.to_lowercase() == wanted.to_lowercase())
            .map(|(_, v)| *v)
            .sum()
    }

    /// All counters, keyed by `"METHOD /route/{template}"`.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.lock().counts.clone()
    }

    /// The next `n` requests fail with this status (JSON `Message` body).
    pub fn fail_next(&self, n: usize, status: u16) {
        self.fail_next_with(n, Failure::status(status));
    }

    /// The next `n` requests fail as described.
    pub fn fail_next_with(&self, n: usize, failure: Failure) {
        let mut state = self.lock();
        for _ in 0..n {
            state.faults.push_back(Fault::Fail(failure.clone()));
        }
    }

    /// The next `n` requests are answered normally, after this delay.
    pub fn delay_next(&self, n: usize, delay: Duration) {
        let mut state = self.lock();
        for _ in 0..n {
            state.faults.push_back(Fault::Delay(delay));
        }
    }

    /// Drops every queued fault (failures, delays and a pending lost invoice answer): DK+ is
    /// healthy again.
    pub fn clear_faults(&self) {
        let mut state = self.lock();
        state.faults.clear();
        state.after_store = None;
    }

    /// How many queued faults have not been used yet.
    pub fn pending_faults(&self) -> usize {
        self.lock().faults.len()
    }

    /// Delays every answer by `latency` (or stops doing so with `None`).
    pub fn set_latency(&self, latency: Option<Duration>) {
        self.lock().latency = latency;
    }

    /// The next invoice `POST` is stored (with a number) but its answer is lost as described: the
    /// situation where a connection drops after DK+ booked the invoice.
    pub fn store_then_fail_next_invoice(&self, after: AfterStore) {
        self.lock().after_store = Some(after);
    }

    /// `true` while a [`store_then_fail_next_invoice`](Self::store_then_fail_next_invoice) has
    /// not been used by an invoice `POST` yet.
    pub fn lost_answer_pending(&self) -> bool {
        self.lock().after_store.is_some()
    }
}
