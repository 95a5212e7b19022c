//! [`FakeMoment`]: the fake server and everything a test does with it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use crate::client::{MomentClient, MomentClientBuilder};
use crate::error::Result;
use crate::ids::{CustomerId, FinancialAccountId, InvoiceId, ProductId, ProjectId};
use crate::models::{Customer, FinancialAccount, Invoice, InvoiceState, Product, Project};
use crate::numbers::InvoiceNumber;
use crate::paging::{PageBase, PageShape};
use crate::retry::ExponentialBuilder;
use crate::testing::faults::{Failure, Fault};
use crate::testing::state::{RESOURCES, RecordedRequest, Responder, Shared, State, lock};
use crate::testing::store::{Seedable, Table};

/// Settings of a [`FakeMoment`] (see [`FakeMoment::builder`]).
#[derive(Debug, Clone)]
#[must_use]
pub struct FakeMomentBuilder {
    company_code: String,
    api_key: String,
    page_base: PageBase,
    page_shape: PageShape,
    default_per_page: u32,
    max_per_page: u32,
    latency: Duration,
    record_requests: bool,
}

impl Default for FakeMomentBuilder {
    fn default() -> Self {
        Self {
            company_code: "fake-company".to_owned(),
            api_key: "fake-moment-api-key".to_owned(),
            page_base: PageBase::Zero,
            page_shape: PageShape::BareArray,
            default_per_page: 20,
            max_per_page: 1000,
            latency: Duration::ZERO,
            record_requests: true,
        }
    }
}

impl FakeMomentBuilder {
    /// The company code in the base path (default `fake-company`).
    pub fn company_code(mut self, code: impl Into<String>) -> Self {
        self.company_code = code.into();
        self
    }

    /// The API key the fake accepts (default `fake-moment-api-key`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// How the fake numbers pages (default [`PageBase::Zero`]).
    pub fn page_base(mut self, base: PageBase) -> Self {
        self.page_base = base;
        self
    }

    /// The list shape served (default [`PageShape::BareArray`], the shape of the captured
    /// real payload).
    pub fn page_shape(mut self, shape: PageShape) -> Self {
        self.page_shape = shape;
        self
    }

    /// The page size used when a request has no `size` (default 20).
    pub fn default_per_page(mut self, size: u32) -> Self {
        self.default_per_page = size.max(1);
        self
    }

    /// The largest page served; a bigger `size` is capped, as real servers do (default 1000).
    pub fn max_per_page(mut self, size: u32) -> Self {
        self.max_per_page = size.max(1);
        self
    }

    /// A delay added to every answer (for benchmarks).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Whether requests are recorded (default on). Turn off for long benchmarks so memory
    /// stays flat.
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    /// Starts the fake on a loopback port.
    pub async fn start(self) -> FakeMoment {
        let server = if self.record_requests {
            MockServer::builder().start().await
        } else {
            MockServer::builder()
                .disable_request_recording()
                .start()
                .await
        };
        let credentials = STANDARD.encode(format!("apikey:{}", self.api_key));
        let state: Shared = Arc::new(Mutex::new(State {
            expected_auth: format!("Basic {credentials}"),
            company_code: self.company_code,
            api_key: self.api_key,
            page_base: self.page_base,
            page_shape: self.page_shape,
            default_per_page: self.default_per_page,
            max_per_page: self.max_per_page,
            latency: self.latency,
            recording: self.record_requests,
            tables: RESOURCES
                .iter()
                .map(|r| (*r, Table::default()))
                .collect::<BTreeMap<_, _>>(),
            faults: VecDeque::new(),
            repeat_next: 0,
            last_list: None,
            leave_after_page: None,
            payments: BTreeMap::new(),
            next_payment_id: 0,
            lose_next_payment_answer: false,
            drop_external_ids: false,
            requests: Vec::new(),
            request_count: 0,
            last_tick: 0,
        }));
        Mock::given(any())
            .respond_with(Responder(Arc::clone(&state)))
            .mount(&server)
            .await;
        FakeMoment { server, state }
    }
}

/// A stateful fake of Moment's API on a loopback port (wiremock underneath).
///
/// It checks Basic auth (`apikey:<key>`, else 401), serves `GET /{resource}` (paged, filtered)
/// and `GET /{resource}/{id}` (404 for unknown ids) for customers, projects, invoices (lines
/// inline, and on `/invoices/{id}/lines`), products and financial accounts, and can fail, delay
/// or repeat the next answers.
///
/// ```
/// use moment_client::testing::FakeMoment;
/// use moment_client::{Customer, CustomerId};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> moment_client::Result<()> {
/// let fake = FakeMoment::start().await;
/// fake.add_customer(Customer {
///     id: CustomerId(1),
///     customer_number: Some("10001".into()),
///     name: Some("Norðurljós ehf.".into()),
///     ..Customer::default()
/// });
/// let client = fake.client()?;
/// let customer = client.customers().get(CustomerId(1)).await?;
/// assert_eq!(customer.and_then(|c| c.name).as_deref(), Some("Norðurljós ehf."));
/// # Ok(())
/// # }
/// ```
pub struct FakeMoment {
    server: MockServer,
    state: Shared,
}

impl std::fmt::Debug for FakeMoment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeMoment")
            .field("uri", &self.uri())
            .finish()
    }
}

macro_rules! typed_accessors {
    ($( $t:ty, $id:ty, $add:ident, $update:ident, $remove:ident, $get:ident, $all:ident, $what:literal; )+) => {
        $(
            #[doc = concat!("Adds (or replaces) ", $what, "; missing audit dates are set to now.")]
            pub fn $add(&self, object: $t) -> $id {
                self.insert(object)
            }

            #[doc = concat!("Changes ", $what, " in place and bumps its last-modified date; `false` if unknown.")]
            pub fn $update(&self, id: $id, change: impl FnOnce(&mut $t)) -> bool {
                self.update(id, change)
            }

            #[doc = concat!("Removes ", $what, "; `false` if unknown.")]
            pub fn $remove(&self, id: $id) -> bool {
                self.remove::<$t>(id)
            }

            #[doc = concat!("A snapshot of ", $what, ", as served.")]
            pub fn $get(&self, id: $id) -> Option<$t> {
                self.get::<$t>(id)
            }

            #[doc = concat!("Snapshots of every stored object of this kind (", $what, "), by id.")]
            pub fn $all(&self) -> Vec<$t> {
                self.all::<$t>()
            }
        )+
    };
}

impl FakeMoment {
    /// Starts a fake with default settings.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// Starts configuring a fake.
    pub fn builder() -> FakeMomentBuilder {
        FakeMomentBuilder::default()
    }

    /// The company base URL: `http://127.0.0.1:<port>/api/1.0/companies/<code>`.
    pub fn uri(&self) -> String {
        format!("{}{}", self.server.uri(), lock(&self.state).base_path())
    }

    /// The company code.
    pub fn company_code(&self) -> String {
        lock(&self.state).company_code.clone()
    }

    /// The API key the fake accepts.
    pub fn api_key(&self) -> String {
        lock(&self.state).api_key.clone()
    }

    /// A client builder pointed at the fake with its key, company code and page base, a 10 s
    /// timeout and fast retries (3, 10 ms doubling, with jitter), to adjust before building.
    pub fn client_builder(&self) -> MomentClientBuilder {
        let state = lock(&self.state);
        MomentClient::builder()
            .base_url(format!("{}{}", self.server.uri(), state.base_path()))
            .company_code(state.company_code.clone())
            .api_key(state.api_key.clone())
            .page_base(state.page_base)
            .timeout(Duration::from_secs(10))
            .retry_policy(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(10))
                    .with_jitter(),
            )
    }

    /// A client for the fake (see [`client_builder`](Self::client_builder)). Fails only if the
    /// company code or key given to the builder are not valid client settings.
    pub fn client(&self) -> Result<MomentClient> {
        self.client_builder().build()
    }

    /// Adds (or replaces) any storable object; missing audit dates are set to now.
    pub fn insert<T: Seedable>(&self, mut object: T) -> T::Id {
        let mut state = lock(&self.state);
        let now = state.tick();
        object.stamp_new(now);
        let id = object.id();
        if let Some(table) = state.tables.get_mut(T::PATH) {
            table.put(&object);
        }
        id
    }

    /// Changes a stored object in place; unless the change set the last-modified date itself,
    /// it is bumped to now. `false` if the id is unknown.
    pub fn update<T: Seedable>(&self, id: T::Id, change: impl FnOnce(&mut T)) -> bool {
        let mut state = lock(&self.state);
        let Some(mut object) = state
            .tables
            .get(T::PATH)
            .and_then(|t| t.get::<T>(id.into()))
        else {
            return false;
        };
        let before = object.modified();
        change(&mut object);
        if object.modified() == before {
            let now = state.tick();
            object.set_modified(now);
        }
        if let Some(table) = state.tables.get_mut(T::PATH) {
            table.rows.remove(&id.into());
            table.put(&object);
        }
        true
    }

    /// Removes a stored object; `false` if the id is unknown.
    pub fn remove<T: Seedable>(&self, id: T::Id) -> bool {
        lock(&self.state)
            .tables
            .get_mut(T::PATH)
            .is_some_and(|t| t.rows.remove(&id.into()).is_some())
    }

    /// A snapshot of a stored object, as served.
    pub fn get<T: Seedable>(&self, id: T::Id) -> Option<T> {
        lock(&self.state).tables.get(T::PATH)?.get(id.into())
    }

    /// Snapshots of every stored object of a kind, by id.
    pub fn all<T: Seedable>(&self) -> Vec<T> {
        let state = lock(&self.state);
        state
            .tables
            .get(T::PATH)
            .map(|t| {
                t.rows
                    .values()
                    .filter_map(|row| serde_json::from_str(&row.json).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many objects of a kind are stored.
    pub fn record_count<T: Seedable>(&self) -> usize {
        lock(&self.state)
            .tables
            .get(T::PATH)
            .map_or(0, |t| t.rows.len())
    }

    typed_accessors! {
        Customer, CustomerId, add_customer, update_customer, remove_customer, customer, customers, "a customer";
        Project, ProjectId, add_project, update_project, remove_project, project, projects, "a project";
        Invoice, InvoiceId, add_invoice, update_invoice, remove_invoice, invoice, invoices, "an invoice (with its lines)";
        Product, ProductId, add_product, update_product, remove_product, product, products, "a product";
        FinancialAccount, FinancialAccountId, add_financial_account, update_financial_account, remove_financial_account, financial_account, financial_accounts, "a financial account";
    }

    /// Finalizes a draft: sets the state to finalized and gives it its invoice number.
    /// `false` if the id is unknown.
    pub fn finalize_invoice(&self, id: InvoiceId, number: impl Into<InvoiceNumber>) -> bool {
        let number = number.into();
        self.update::<Invoice>(id, |invoice| {
            invoice.state = Some(InvoiceState::Finalized);
            invoice.invoice_number = Some(number);
        })
    }

    /// Serves lists as a bare array or an envelope from now on.
    pub fn set_page_shape(&self, shape: PageShape) {
        lock(&self.state).page_shape = shape;
    }

    /// Numbers pages from 0 or 1 from now on (clients made earlier keep their own base).
    pub fn set_page_base(&self, base: PageBase) {
        lock(&self.state).page_base = base;
    }

    /// Caps the page size from now on.
    pub fn set_max_per_page(&self, size: u32) {
        lock(&self.state).max_per_page = size.max(1);
    }

    /// The payments registered on an invoice, as stored (the JSON Moment would answer).
    pub fn payments(&self, invoice: InvoiceId) -> Vec<crate::models::Payment> {
        lock(&self.state)
            .payments
            .get(&invoice.get())
            .map(|p| {
                p.iter()
                    .filter_map(|v| serde_json::from_value(v.clone()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The next payment registered is stored, then answered with a 502: the answer is lost on
    /// the way, so the sender cannot know it went through.
    pub fn store_then_fail_next_payment(&self) {
        lock(&self.state).lose_next_payment_answer = true;
    }

    /// From now on payments are stored without the sender's `externalId` (`on`), as a Moment
    /// that does not keep it would.
    pub fn drop_payment_external_ids(&self, on: bool) {
        lock(&self.state).drop_external_ids = on;
    }

    /// Registers a payment as a person in Moment would (no external id).
    pub fn add_payment(
        &self,
        invoice: InvoiceId,
        amount: rust_decimal::Decimal,
        date: chrono::NaiveDate,
    ) {
        let mut state = lock(&self.state);
        state.next_payment_id += 1;
        let payment = serde_json::json!({
            "id": state.next_payment_id,
            "amount": f64::try_from(amount).unwrap_or_default(),
            "paymentDate": date.to_string(),
        });
        state
            .payments
            .entry(invoice.get())
            .or_default()
            .push(payment);
    }

    /// The next `n` requests fail with `status` (and a small JSON body).
    pub fn fail_next(&self, n: usize, status: u16) {
        self.fail_next_with(n, Failure::status(status));
    }

    /// The next `n` requests fail as described (status, `Retry-After`, HTML body).
    pub fn fail_next_with(&self, n: usize, failure: Failure) {
        let mut state = lock(&self.state);
        state
            .faults
            .extend(std::iter::repeat_n(Fault::Fail(failure), n));
    }

    /// The next `n` requests are answered normally, after `delay`.
    pub fn delay_next(&self, n: usize, delay: Duration) {
        lock(&self.state)
            .faults
            .extend(std::iter::repeat_n(Fault::Delay(delay), n));
    }

    /// How many queued faults (failures and delays) have not been used yet.
    pub fn pending_faults(&self) -> usize {
        lock(&self.state).faults.len()
    }

    /// Drops every pending injected failure, delay and page repeat.
    pub fn clear_faults(&self) {
        let mut state = lock(&self.state);
        state.faults.clear();
        state.repeat_next = 0;
    }

    /// Delays every answer by `latency` (or stops doing so with `None`).
    pub fn set_latency(&self, latency: Option<Duration>) {
        lock(&self.state).latency = latency.unwrap_or_default();
    }

    /// The next `n` list requests for the same resource are answered with the previous list
    /// answer again, whatever page they ask for (a server bug a pager must survive).
    pub fn repeat_page_next(&self, n: u32) {
        lock(&self.state).repeat_next = n;
    }

    /// The object leaves its listing (it is removed) right after the next page of that listing
    /// is served: the objects after it move up, so a pager that goes on to the next page skips
    /// one — what a listing that changes while it is read does.
    pub fn leave_listing_after_next_page<T: Seedable>(&self, id: T::Id) {
        lock(&self.state).leave_after_page = Some((T::PATH.to_owned(), id.into()));
    }

    /// The requests received so far (when recording is on).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// How many requests were received (counted even when recording is off).
    pub fn request_count(&self) -> u64 {
        lock(&self.state).request_count
    }

    /// Turns request recording on or off.
    pub fn set_recording(&self, on: bool) {
        let mut state = lock(&self.state);
        state.recording = on;
        if !on {
            state.requests = Vec::new();
        }
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }
}
