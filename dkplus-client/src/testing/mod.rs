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
//! What it does, like DK+ as DK+ publishes itself (see [`contract`]):
//! - checks `Authorization: bearer <token>` (401 with a `Message` otherwise);
//! - answers only DK+'s published operations (any other path is 404 with ASP.NET's "No HTTP
//!   resource was found" message); drops query parameters and body fields DK+ does not publish,
//!   as DK+ ignores them, and refuses a value of the wrong JSON type with 400, as DK+'s model
//!   binding does; every such disagreement is kept in
//!   [`contract_violations`](FakeDkPlus::contract_violations);
//! - answers with every published field of the operation's model in its published type — .NET's
//!   defaults for what was never set (`"ClaimStatus": 0`, `"0001-01-01T00:00:00"`), enums as
//!   integers — trimmed to `include` where the operation takes it;
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
//! - customer `PUT` updates only the fields sent (`null` counts as not sent; `""` clears) and answers
//!   200 with an empty body; product `POST`/`PUT` and project `POST` answer with the stored record.
//!
//! Faults: [`fail_next`](FakeDkPlus::fail_next), [`fail_next_with`](FakeDkPlus::fail_next_with),
//! [`delay_next`](FakeDkPlus::delay_next), a per-request [`latency`](FakeDkPlus::set_latency), and
//! [`store_then_fail_next_invoice`](FakeDkPlus::store_then_fail_next_invoice), a
//! [`visibility lag`](FakeDkPlus::set_invoice_visibility_lag), and faults at random rates
//! ([`set_chaos`](FakeDkPlus::set_chaos)). Every request is
//! recorded ([`requests`](FakeDkPlus::requests)) unless recording is switched off, and counted
//! per route ([`count`](FakeDkPlus::count)) either way.

mod books;
pub mod contract;
mod faults;
mod router;
mod routes;
mod state;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use self::contract::{Contract, Violation};
use self::faults::Fault;
pub use self::faults::{AfterStore, Chaos, ChaosCounts, Failure, PostLatency};
use self::router::Router;
pub use self::state::RecordedRequest;
use self::state::{State, key};
use crate::client::DkPlusClient;
use crate::client::builder::DkPlusClientBuilder;
use crate::client::retry::ExponentialBuilder;
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

    /// A client builder pointed at the fake with its token, a 10 s timeout and fast retries
    /// (3, 10 ms doubling, with jitter), to adjust before building.
    pub fn client_builder(&self) -> DkPlusClientBuilder {
        DkPlusClient::builder()
            .token(self.token.clone())
            .base_url(self.uri())
            .timeout(Duration::from_secs(10))
            .retry_policy(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(10))
                    .with_jitter(),
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
        self.add(
            customer,
            "DkCloudDataModelCustomersCustomerModel",
            "Number",
            |s| &mut s.customers,
        )
    }

    /// Adds or replaces a project (keyed by `number`; one without a number is ignored).
    pub fn add_project(&self, project: Project) -> &Self {
        self.add(
            project,
            "DkCloudDataModelProjectProjectModel",
            "Number",
            |s| &mut s.projects,
        )
    }

    /// Adds or replaces a product (keyed by `item_code`; one without a code is ignored).
    pub fn add_product(&self, product: Product) -> &Self {
        self.add(
            product,
            "DkCloudDataModelProductsProductModel",
            "ItemCode",
            |s| &mut s.products,
        )
    }

    /// Adds or replaces a sales person (keyed by `number`; one without a number is ignored).
    pub fn add_sales_person(&self, sales_person: SalesPerson) -> &Self {
        self.add(
            sales_person,
            "DkCloudDataModelSalesSalesPersonModel",
            "Number",
            |s| &mut s.sales_persons,
        )
    }

    /// Stores a record as DK+ keeps it: its published fields, with a `RecordID` where the model
    /// has one.
    fn add<T: Serialize>(
        &self,
        record: T,
        model: &str,
        key_field: &str,
        table: fn(&mut State) -> &mut BTreeMap<String, Value>,
    ) -> &Self {
        let mut value = serde_json::to_value(record).unwrap_or(Value::Null);
        Contract::published().strip(&mut value, &format!("object:{model}"));
        let Some(id) = value
            .get(key_field)
            .and_then(Value::as_str)
            .filter(|k| !k.trim().is_empty())
            .map(key)
        else {
            return self;
        };
        let mut state = self.lock();
        if let Some(map) = value.as_object_mut() {
            let has_record_id = Contract::published()
                .model(model)
                .is_some_and(|m| m.fields.contains_key("RecordID"));
            if has_record_id && map.get("RecordID").is_none_or(Value::is_null) {
                map.insert("RecordID".into(), Value::from(state.record_id()));
            }
        }
        table(&mut state).insert(id, value);
        self
    }

    /// Adds an invoice as if it had been created earlier (numbers are not checked).
    pub fn add_invoice(&self, invoice: SalesInvoice) -> &Self {
        let mut value = serde_json::to_value(invoice).unwrap_or(Value::Null);
        Contract::published().strip(&mut value, "object:DkCloudDataModelSalesInvoiceModel");
        self.lock().store_invoice(value);
        self
    }

    /// Records that `settled` (with VAT) of invoice `number` is paid, as DK+ shows it once a
    /// payment or a credit note is matched to it: `SettledAmount` becomes `settled`,
    /// `SettledType` 0 with nothing settled, 2 when the whole total is settled (as in DK's
    /// examples) and 1 in between (an inference: DK publishes only the integer), and the
    /// invoice counts as changed. `false` when no invoice has that number.
    pub fn settle_invoice(&self, number: &str, settled: rust_decimal::Decimal) -> bool {
        self.change_invoice(number, |invoice| {
            let total = invoice
                .get("TotalAmountWithTax")
                .and_then(Value::as_f64)
                .and_then(|t| rust_decimal::Decimal::try_from(t).ok())
                .unwrap_or_default();
            let settled_type = if settled.is_zero() {
                0
            } else if settled.abs() >= total.abs() {
                2
            } else {
                1
            };
            let amount = serde_json::Number::from_f64(f64::try_from(settled).unwrap_or_default())
                .map_or(Value::Null, Value::Number);
            invoice.insert("SettledAmount".into(), amount);
            invoice.insert("SettledType".into(), Value::from(settled_type));
        })
    }

    /// Changes the stored invoice `number` (its published fields by wire name), as a person
    /// editing it in DK+ would; it counts as changed. `false` when no invoice has that number.
    pub fn change_invoice(
        &self,
        number: &str,
        change: impl FnOnce(&mut serde_json::Map<String, Value>),
    ) -> bool {
        let mut state = self.lock();
        let found = state.invoices.iter_mut().find(|invoice| {
            invoice.get("Number").is_some_and(|n| match n {
                Value::String(s) => s == number,
                Value::Number(n) => n.as_i64().is_some_and(|n| number.parse() == Ok(n)),
                _ => false,
            })
        });
        let Some(Value::Object(invoice)) = found else {
            return false;
        };
        change(invoice);
        invoice.insert("Modified".into(), books::now());
        true
    }

    /// The customers, ordered by number, read as the client reads DK+'s answers.
    pub fn customers(&self) -> Vec<Customer> {
        let records: Vec<Value> = self.lock().customers.values().cloned().collect();
        read_all(records, "DkCloudDataModelCustomersCustomerModel")
    }

    /// The projects, ordered by number.
    pub fn projects(&self) -> Vec<Project> {
        let records: Vec<Value> = self.lock().projects.values().cloned().collect();
        read_all(records, "DkCloudDataModelProjectProjectModel")
    }

    /// The products, ordered by item code.
    pub fn products(&self) -> Vec<Product> {
        let records: Vec<Value> = self.lock().products.values().cloned().collect();
        read_all(records, "DkCloudDataModelProductsProductModel")
    }

    /// The sales persons, ordered by number.
    pub fn sales_persons(&self) -> Vec<SalesPerson> {
        let records: Vec<Value> = self.lock().sales_persons.values().cloned().collect();
        read_all(records, "DkCloudDataModelSalesSalesPersonModel")
    }

    /// The invoices, in creation order (with lines).
    pub fn invoices(&self) -> Vec<SalesInvoice> {
        let records = self.lock().invoices.clone();
        read_all(records, "DkCloudDataModelSalesInvoiceModel")
    }

    /// The stored records of one kind as DK+ would answer them (every published field), e.g.
    /// to inspect a field the client's read model does not keep.
    pub fn raw_customers(&self) -> Vec<Value> {
        let records: Vec<Value> = self.lock().customers.values().cloned().collect();
        records
            .into_iter()
            .map(|mut r| {
                Contract::published()
                    .complete_answer(&mut r, "object:DkCloudDataModelCustomersCustomerModel");
                r
            })
            .collect()
    }

    /// Every disagreement with DK+'s published description seen so far: requests to unpublished
    /// operations, unpublished query parameters or body fields (which DK+ would ignore), values
    /// of the wrong type — and any answer of the fake itself that is not as published. A test
    /// that talks to the fake should end with this empty.
    pub fn contract_violations(&self) -> Vec<Violation> {
        self.lock().violations.clone()
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

    /// How many requests went to this method and published path template, e.g.
    /// `count("POST", "/sales/invoice")` or `count("GET", "/Customer/{number}")` (case and the
    /// names of the placeholders do not matter).
    pub fn count(&self, method: &str, route: &str) -> u64 {
        let wanted = normalise_route(&format!("{method} {route}"));
        self.lock()
            .counts
            .iter()
            .filter(|(k, _)| normalise_route(k) == wanted)
            .map(|(_, v)| *v)
            .sum()
    }

    /// How many requests were received (counted even when recording is off).
    pub fn request_count(&self) -> u64 {
        self.lock().counts.values().sum()
    }

    /// All counters, keyed by `"METHOD /published/{template}"`.
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

    /// Delays each invoice `POST` by a delay drawn from `latency` instead (a slow tail, as DK+
    /// has at peak hours), or stops doing so with `None`; the drawn delays are added up.
    pub fn set_invoice_post_latency(&self, latency: Option<PostLatency>) {
        self.lock().post_latency.set(latency);
    }

    /// The invoice posts delayed by [`set_invoice_post_latency`](Self::set_invoice_post_latency)
    /// and their delays added up: the least time posting them one after another can take.
    pub fn invoice_post_delays(&self) -> (u64, Duration) {
        let state = self.lock();
        (state.post_latency.drawn, state.post_latency.total)
    }

    /// The next invoice `POST` is stored (with a number) but its answer is lost as described: the
    /// situation where a connection drops after DK+ booked the invoice.
    pub fn store_then_fail_next_invoice(&self, after: AfterStore) {
        self.lock().after_store = Some(after);
    }

    /// From now on, a stored invoice shows in look-ups (by number, by reference, in listings)
    /// only `lag` after it was stored — as DK+ does at peak times — or at once with `None`.
    /// [`invoices`](Self::invoices) shows the books as they are, hidden invoices included.
    pub fn set_invoice_visibility_lag(&self, lag: Option<Duration>) {
        self.lock().invoice_lag = lag;
    }

    /// From now on, faults at random at the rates of `chaos` (or none with `None`), besides the
    /// queued ones: for long runs of several processes against one fake.
    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        self.lock().dice.set(chaos);
    }

    /// How many faults [`set_chaos`](Self::set_chaos) caused so far.
    pub fn chaos_counts(&self) -> ChaosCounts {
        self.lock().dice.counts
    }

    /// `true` while a [`store_then_fail_next_invoice`](Self::store_then_fail_next_invoice) has
    /// not been used by an invoice `POST` yet.
    pub fn lost_answer_pending(&self) -> bool {
        self.lock().after_store.is_some()
    }
}

/// Reads stored records the way the client reads DK+'s answers (records that do not read are left
/// out; the contract tests make sure there are none).
fn read_all<T: DeserializeOwned>(records: Vec<Value>, model: &str) -> Vec<T> {
    let ty = format!("object:{model}");
    records
        .into_iter()
        .filter_map(|mut record| {
            Contract::published().complete_answer(&mut record, &ty);
            serde_json::from_value(record).ok()
        })
        .collect()
}

/// `"GET /Customer/{number}"` → `"get /customer/{}"`: counters compare without case and without
/// placeholder names.
fn normalise_route(route: &str) -> String {
    let mut out = String::with_capacity(route.len());
    let mut in_placeholder = false;
    for c in route.chars() {
        match c {
            '{' => {
                in_placeholder = true;
                out.push('{');
            }
            '}' => {
                in_placeholder = false;
                out.push('}');
            }
            _ if in_placeholder => {}
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}
